//===- MaskBuilder.h - #celeris.mask as index arithmetic --------*- C++ -*-===//
//
// The code every tiled lowering of attention emits from a structured mask,
// on the CPU (celeris-tile-attention, the reference lowering) and on the GPU
// (the kernel layer's mask tiles): the predicate of one (query, key) pair,
// the classification of a tile of pairs as empty, full or partial, and the
// key ranges a range of queries can reach. One implementation, so the CPU
// oracle and the GPU kernels cannot disagree on what a mask allows.
//
// Positions are `index` values, or i32 (all of one type) where a GPU kernel
// keeps its per-element arithmetic 32-bit; block and segment arithmetic uses
// floor division so that positions before 0 (negative query offsets) behave as
// MaskAttr::allows documents.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_UTILS_MASKBUILDER_H
#define CELERIS_UTILS_MASKBUILDER_H

#include "celeris/Dialect/Celeris/IR/CelerisAttrs.h"
#include "mlir/IR/Builders.h"

namespace mlir::celeris {

/// Emits arith ops computing `mask.allows(queryPos, keyPos)` as an i1, for
/// index-typed positions.
Value buildMaskPredicate(OpBuilder &b, Location loc, MaskAttr mask,
                         Value queryPos, Value keyPos);

/// Emits i1 values (isEmpty, isFull) classifying the non-empty tile of
/// queries at [pBegin, pEnd) and keys at [jBegin, jEnd) (index values) under
/// `mask`, conservatively as classifyTile does: isEmpty only if no pair is
/// allowed, isFull only if every pair is. Constant bounds give constants.
std::pair<Value, Value> buildTileClassification(OpBuilder &b, Location loc,
                                                MaskAttr mask, Value pBegin,
                                                Value pEnd, Value jBegin,
                                                Value jEnd);

/// Emits index arithmetic for [lo, hi), 0 <= lo <= hi <= kvLen: a key range
/// outside of which `mask` allows no key for any query position in
/// [pBegin, pEnd). Tiled loops iterate over it instead of every key, so a
/// causal or sliding-window tile row visits only the tiles it can use.
std::pair<Value, Value> buildKeyRange(OpBuilder &b, Location loc, MaskAttr mask,
                                      Value pBegin, Value pEnd, Value kvLen);

/// A half-open range [begin, end) of key tile indices.
struct KeyTileRange {
  Value begin, end;
};

/// Emits the key tiles of `tileSize` keys that queries at [pBegin, pEnd) can
/// reach under `mask`, as at most `maxRanges` disjoint ranges in ascending
/// order, all within [0, ceil(kvLen / tileSize)). A union of masks with
/// separate reach (sinks and a sliding window) gives one range per part, so
/// the tiles between them are never visited; intersections distribute over
/// unions. Masks whose parts exceed `maxRanges` get their hull.
SmallVector<KeyTileRange> buildKeyTileRanges(OpBuilder &b, Location loc,
                                             MaskAttr mask, Value pBegin,
                                             Value pEnd, Value kvLen,
                                             int64_t tileSize,
                                             int64_t maxRanges = 4);

} // namespace mlir::celeris

#endif // CELERIS_UTILS_MASKBUILDER_H
