//===- CelerisAttrs.h - Celeris attributes ----------------------*- C++ -*-===//
//
// Declares the Celeris enums and attributes, chiefly the structured mask
// algebra `#celeris.mask` and its simplifier.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_DIALECT_CELERIS_IR_CELERISATTRS_H
#define CELERIS_DIALECT_CELERIS_IR_CELERISATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"

#include "celeris/Dialect/Celeris/IR/CelerisEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "celeris/Dialect/Celeris/IR/CelerisAttrs.h.inc"

namespace mlir::celeris {

/// The positions a mask is evaluated over: queries at absolute positions
/// [queryBegin, queryEnd) and keys at [0, kvLength).
struct MaskExtent {
  int64_t queryBegin;
  int64_t queryEnd;
  int64_t kvLength;
};

/// Returns the canonical form of `mask`: combinators flattened, operands
/// simplified, deduplicated and sorted, algebraic identities folded. With an
/// `extent`, primitives that allow every pair of the extent become `all`
/// and windows reaching the first key become `causal`. The result allows
/// exactly the same pairs as `mask` (within `extent`, when given).
MaskAttr simplifyMask(MaskAttr mask,
                      std::optional<MaskExtent> extent = std::nullopt);

/// How a mask covers a tile of (query position, key position) pairs.
enum class TileClass { Empty, Full, Partial };

/// Classifies the tile of queries at [pBegin, pEnd) and keys at
/// [jBegin, jEnd), conservatively: Empty only if no pair is allowed, Full
/// only if every pair is, Partial otherwise (including when undecided). An
/// empty rectangle is Empty.
TileClass classifyTile(MaskAttr mask, int64_t pBegin, int64_t pEnd,
                       int64_t jBegin, int64_t jEnd);

} // namespace mlir::celeris

#endif // CELERIS_DIALECT_CELERIS_IR_CELERISATTRS_H
