//===- MaskTile.h - Masks and score transforms on fragments -----*- C++ -*-===//
//
// What a `#celeris.mask` means for a kernel that walks key tiles: which key
// tiles a block of query rows visits (the ranges the mask can reach, never
// a loop that skips), how each visited tile is classified (empty, full: no
// mask math, partial), and the per-element predicate on a score fragment.
// Every piece comes from celeris/Utils/MaskBuilder.h, the code the CPU
// tiling runs, so a new mask is data here, not kernel code.
//
// Also the score transforms of celeris.attention that act per element:
// scale, ALiBi (+ slope (j - p)) and softcap (c tanh(s / c)).
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_GPU_MASKTILE_H
#define CELERIS_GPU_MASKTILE_H

#include "celeris/GPU/TensorCoreMma.h"
#include "celeris/Utils/MaskBuilder.h"

#include <optional>

namespace mlir::celeris {

/// The visited key tiles in order: ranges laid end to end, or the blocks
/// of a block-sparse layout (each `tilesPerBlock` consecutive tiles).
struct KeyTileSequence {
  SmallVector<KeyTileRange> ranges;
  /// The visit at which each range starts (index).
  SmallVector<Value> rangeStarts;
  /// The number of tiles (index).
  Value count;
  /// The visit of the whole sequence that visit 0 is (index; null for 0):
  /// a slice, as a split of split-KV decoding walks.
  Value firstVisit;
  /// Block list: the memref of block indices, the indices of this list in
  /// it (all but the last dimension) and its length bound.
  Value blockIndices;
  SmallVector<Value> listPrefix;
  int64_t tilesPerBlock = 0;
  /// Compacted: when `useList` holds, visit n is `list[n]` (i32 key tiles
  /// the kernel wrote in shared memory), else the sequence above.
  Value list, useList;
  int64_t listCapacity = 0;

  static KeyTileSequence get(KernelBuilder &b, ArrayRef<KeyTileRange> ranges);
  /// The first `blockCount` entries of `indices[prefix..., :]`, each block
  /// `tilesPerBlock` tiles long. Entries are expected distinct (as
  /// celeris.mask_block_layout and celeris.topk_blocks produce them).
  static KeyTileSequence getBlockList(KernelBuilder &b, Value indices,
                                      ValueRange prefix, Value blockCount,
                                      int64_t tilesPerBlock);
  /// What `compact` learns of a tile: whether to keep it, and whether every
  /// pair of it is allowed (null: not known).
  struct TileTest {
    Value keep, full;
  };
  /// This sequence restricted to the visits `test(tile)` keeps, listed in
  /// `scratch` (memref<2 C + 1 x i32> in shared memory: the list, a flag
  /// per visit, the count). The `warps` warps of the CTA test the visits in
  /// parallel (`test` must give all lanes of a warp the same answer), then
  /// thread 0 lists the kept tiles in order, each with whether the test
  /// found it full (`isListedFull`). With more than C visits the sequence
  /// stays as it is (`useList` false).
  KeyTileSequence compact(KernelBuilder &b, Value scratch, Value threadId,
                          int64_t warps,
                          function_ref<TileTest(Value tile)> test) const;
  /// Whether the test of `compact` found visit `n` full; meaningful where
  /// `useList` holds.
  Value isListedFull(KernelBuilder &b, Value n) const;
  /// Visits [begin, end) of this sequence, as a sequence of its own.
  KeyTileSequence slice(KernelBuilder &b, Value begin, Value end) const;
  /// The key tile of visit `n` (index). Past the end: some tile of the
  /// sequence's reach (never an out-of-bounds read), for a load that reads
  /// nothing.
  Value tileAt(KernelBuilder &b, Value n) const;
};

/// The mask of one attention problem: the structured mask, the position of
/// query row 0 (`queryOffset`) and the number of keys (`kvLength`), all
/// index values.
class MaskTile {
public:
  MaskTile(MaskAttr mask, Value queryOffset, Value kvLength)
      : mask(mask), queryOffset(queryOffset), kvLength(kvLength) {}

  /// The key tiles of `tileSize` keys that query rows [rowBegin, rowEnd)
  /// can reach.
  KeyTileSequence getKeyTiles(KernelBuilder &b, Value rowBegin, Value rowEnd,
                              int64_t tileSize) const;
  /// Whether a tile inside the key ranges can still allow no pair (strided,
  /// dilated or global parts, intersections): such tiles are skipped at run
  /// time.
  bool mayVisitEmptyTiles() const;
  /// (isEmpty, isFull) of rows [rowBegin, rowEnd) x keys [keyBegin,
  /// keyBegin + tileSize); keys past kvLength make a tile partial.
  std::pair<Value, Value> classify(KernelBuilder &b, Value rowBegin,
                                   Value rowEnd, Value keyBegin,
                                   int64_t tileSize) const;
  /// Sets the scores of disallowed pairs to -inf: value i of `scores` is
  /// query row rows[rowOf(i)] and key keyBase + columnOf(i).
  void apply(KernelBuilder &b, AccumulatorFragment &scores,
             ArrayRef<Value> rows, Value keyBase) const;

private:
  MaskAttr mask;
  Value queryOffset, kvLength;
};

/// The element-wise transforms between Q K^T and the softmax.
struct ScoreTransform {
  /// The softmax scale.
  double scale;
  /// softcap c, if any.
  std::optional<double> softcap;
  /// The ALiBi slopes (f32) of the heads of the thread's two fragment rows
  /// (the same one unless query heads are packed into a tile), if any.
  Value alibiSlope[2];
  /// Query position of row 0 (index), for ALiBi.
  Value queryOffset;

  bool isIdentity() const { return !softcap && !alibiSlope[0]; }
  /// Applies the transforms in place and returns the factor the online
  /// softmax multiplies the scores by: scale log2 e when there is nothing
  /// to apply (the scale is fused into the exponent), else log2 e.
  Value apply(KernelBuilder &b, AccumulatorFragment &scores,
              ArrayRef<Value> rows, Value keyBase) const;
};

} // namespace mlir::celeris

#endif // CELERIS_GPU_MASKTILE_H
