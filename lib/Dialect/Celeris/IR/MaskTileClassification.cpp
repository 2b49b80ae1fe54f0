//===- MaskTileClassification.cpp - Mask coverage of a tile -----*- C++ -*-===//
//
// Decides at compile time whether a #celeris.mask allows no pair, every pair
// or some pairs of a rectangle of (query position, key position) pairs. The
// tiled attention skips Empty tiles and drops the mask math of Full ones, so
// a wrong answer is a wrong result: every rule below is either exact or
// errs towards Partial.
//
// Primitives are decided exactly by interval reasoning on the inclusive
// ranges P = [p0, p1] and J = [j0, j1] (each primitive is monotone or
// block-structured in p and j, and positions may be negative, hence floor
// division). Combinators are decided from their operands, which is exact for
// Empty of a union and Full of an intersection and conservative otherwise;
// small undecided rectangles are then settled by enumeration.
//
//===----------------------------------------------------------------------===//

#include "celeris/Dialect/Celeris/IR/CelerisAttrs.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::celeris;

namespace {

/// Inclusive ranges of query and key positions of a non-empty tile.
struct Rect {
  int64_t p0, p1, j0, j1;
};

/// Rectangles of at most this many pairs are settled by enumeration when the
/// rules leave them Partial.
constexpr int64_t kEnumerationLimit = 256;

int64_t floorDiv(int64_t a, int64_t b) { return llvm::divideFloorSigned(a, b); }

TileClass classOf(bool empty, bool full) {
  if (empty)
    return TileClass::Empty;
  return full ? TileClass::Full : TileClass::Partial;
}

/// Whether a position range lies in one block of `size` positions.
bool inOneBlock(int64_t lo, int64_t hi, int64_t size) {
  return floorDiv(lo, size) == floorDiv(hi, size);
}

/// Empty/Full for "same block of `size` positions" (chunked, and the segment
/// condition of dilated).
TileClass classifySameBlock(const Rect &r, int64_t size) {
  bool disjoint = floorDiv(r.p1, size) < floorDiv(r.j0, size) ||
                  floorDiv(r.j1, size) < floorDiv(r.p0, size);
  bool single = inOneBlock(r.p0, r.p1, size) && inOneBlock(r.j0, r.j1, size) &&
                floorDiv(r.p0, size) == floorDiv(r.j0, size);
  return classOf(disjoint, single);
}

/// Number of sorted `tokens` in [lo, hi].
int64_t countIn(ArrayRef<int64_t> tokens, int64_t lo, int64_t hi) {
  auto first = llvm::lower_bound(tokens, lo);
  auto last = llvm::upper_bound(tokens, hi);
  return first < last ? last - first : 0;
}

TileClass classifyRules(MaskAttr mask, const Rect &r) {
  ArrayRef<int64_t> params = mask.getParams();
  switch (mask.getKind()) {
  case MaskKind::None:
    return TileClass::Empty;
  case MaskKind::All:
    return TileClass::Full;
  case MaskKind::Causal: // j <= p
    return classOf(r.j0 > r.p1, r.j1 <= r.p0);
  case MaskKind::Window: { // p - left <= j <= p + right
    int64_t left = params[0], right = params[1];
    // The allowed keys of consecutive queries overlap, so the union over P
    // is the single interval [p0 - left, p1 + right].
    return classOf(r.j1 < r.p0 - left || r.j0 > r.p1 + right,
                   r.j0 >= r.p1 - left && r.j1 <= r.p0 + right);
  }
  case MaskKind::Sink: // j < n
    return classOf(r.j0 >= params[0], r.j1 < params[0]);
  case MaskKind::BlockCausal: { // j / b <= p / b
    int64_t b = params[0];
    return classOf(floorDiv(r.j0, b) > floorDiv(r.p1, b),
                   floorDiv(r.j1, b) <= floorDiv(r.p0, b));
  }
  case MaskKind::Prefix: { // j <= p || j < n
    int64_t n = params[0];
    // Hardest pair for Full: (p0, j1); for Empty: (p1, j0).
    return classOf(r.j0 > r.p1 && r.j0 >= n, r.j1 <= r.p0 || r.j1 < n);
  }
  case MaskKind::Chunked:
    return classifySameBlock(r, params[0]);
  case MaskKind::Dilated: {
    int64_t rate = params[0], segment = params[1];
    TileClass segments = classifySameBlock(r, segment);
    // With rate 1 dilated is chunked by segment; otherwise a tile with more
    // than one position per side mixes on- and off-grid positions.
    if (segments != TileClass::Full || rate == 1)
      return segments;
    return TileClass::Partial;
  }
  case MaskKind::Strided: { // (p - j) mod s == 0
    int64_t s = params[0];
    if (s == 1)
      return TileClass::Full;
    // p - j covers the whole interval [p0 - j1, p1 - j0].
    int64_t lo = r.p0 - r.j1, hi = r.p1 - r.j0;
    bool noMultiple = floorDiv(hi, s) * s < lo;
    return classOf(noMultiple, lo == hi && !noMultiple);
  }
  case MaskKind::Global: { // p in T || j in T
    ArrayRef<int64_t> tokens = params;
    bool empty =
        countIn(tokens, r.p0, r.p1) == 0 && countIn(tokens, r.j0, r.j1) == 0;
    // A pair (p, j) with p and j both outside T exists unless one side is
    // covered by T entirely.
    bool full = countIn(tokens, r.p0, r.p1) == r.p1 - r.p0 + 1 ||
                countIn(tokens, r.j0, r.j1) == r.j1 - r.j0 + 1;
    return classOf(empty, full);
  }
  case MaskKind::Union:
  case MaskKind::Intersect: {
    bool isUnion = mask.getKind() == MaskKind::Union;
    bool anyEmpty = false, anyFull = false, allEmpty = true, allFull = true;
    for (MaskAttr operand : mask.getOperands()) {
      TileClass c = classifyRules(operand, r);
      anyEmpty |= c == TileClass::Empty;
      anyFull |= c == TileClass::Full;
      allEmpty &= c == TileClass::Empty;
      allFull &= c == TileClass::Full;
    }
    return isUnion ? classOf(allEmpty, anyFull) : classOf(anyEmpty, allFull);
  }
  }
  llvm_unreachable("unknown mask kind");
}

/// Exact classification of a small rectangle by evaluating every pair.
TileClass classifyByEnumeration(MaskAttr mask, const Rect &r) {
  bool any = false, all = true;
  for (int64_t p = r.p0; p <= r.p1; ++p)
    for (int64_t j = r.j0; j <= r.j1; ++j) {
      bool allowed = mask.allows(p, j);
      any |= allowed;
      all &= allowed;
    }
  return classOf(!any, all);
}

} // namespace

TileClass mlir::celeris::classifyTile(MaskAttr mask, int64_t pBegin,
                                      int64_t pEnd, int64_t jBegin,
                                      int64_t jEnd) {
  if (pBegin >= pEnd || jBegin >= jEnd)
    return TileClass::Empty;
  Rect r{pBegin, pEnd - 1, jBegin, jEnd - 1};
  TileClass c = classifyRules(mask, r);
  if (c == TileClass::Partial &&
      (pEnd - pBegin) <= kEnumerationLimit / (jEnd - jBegin))
    return classifyByEnumeration(mask, r);
  return c;
}
