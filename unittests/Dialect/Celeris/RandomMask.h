//===- RandomMask.h - Random #celeris.mask trees for tests ------*- C++ -*-===//
//
// The random mask generator of the property tests: small parameters, so
// that grids and tiles of a few dozen positions cross every boundary; and
// the printer their failure messages show masks with.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_UNITTESTS_DIALECT_CELERIS_RANDOMMASK_H
#define CELERIS_UNITTESTS_DIALECT_CELERIS_RANDOMMASK_H

#include "celeris/Dialect/Celeris/IR/CelerisAttrs.h"
#include "llvm/Support/raw_ostream.h"

#include <random>
#include <string>

namespace mlir::celeris::unittest {

/// Draws a random mask tree of at most `depth` levels with small parameters,
/// so that a small grid exercises every boundary.
inline MaskAttr randomMask(MLIRContext *ctx, std::mt19937 &rng, int depth) {
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  int64_t kind = pick(0, depth > 0 ? 12 : 10);
  switch (static_cast<MaskKind>(kind)) {
  case MaskKind::Union:
  case MaskKind::Intersect: {
    SmallVector<MaskAttr> operands;
    for (int64_t i = 0, e = pick(2, 3); i < e; ++i)
      operands.push_back(randomMask(ctx, rng, depth - 1));
    return MaskAttr::get(ctx, static_cast<MaskKind>(kind), {}, operands);
  }
  case MaskKind::Window:
    return MaskAttr::getWindow(ctx, pick(0, 12), pick(0, 3));
  case MaskKind::Dilated: {
    int64_t rate = pick(1, 3);
    return MaskAttr::get(ctx, MaskKind::Dilated, {rate, rate * pick(1, 4)});
  }
  case MaskKind::Global: {
    SmallVector<int64_t> tokens;
    for (int64_t t = 0; t < 14; ++t)
      if (pick(0, 5) == 0)
        tokens.push_back(t);
    if (tokens.empty())
      tokens.push_back(pick(0, 13));
    return MaskAttr::get(ctx, MaskKind::Global, tokens);
  }
  case MaskKind::Sink:
  case MaskKind::Strided:
  case MaskKind::BlockCausal:
  case MaskKind::Prefix:
  case MaskKind::Chunked:
    return MaskAttr::get(ctx, static_cast<MaskKind>(kind), {pick(1, 12)});
  default:
    return MaskAttr::get(ctx, static_cast<MaskKind>(kind));
  }
}

/// `mask` in its textual form.
inline std::string printMask(MaskAttr mask) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << Attribute(mask);
  return text;
}

} // namespace mlir::celeris::unittest

#endif // CELERIS_UNITTESTS_DIALECT_CELERIS_RANDOMMASK_H
