//===- AttentionKernelEmitter.h - The attention kernel body -----*- C++ -*-===//
//
// The emitter shared by the attention kernel families (AttentionKernel.cpp:
// the body and prefill; AttentionDecode.cpp: what only decode does) and the
// shared-memory layout it uses. Internal to the GPU lowering.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_LIB_CONVERSION_CELERISTOGPU_ATTENTIONKERNELEMITTER_H
#define CELERIS_LIB_CONVERSION_CELERISTOGPU_ATTENTIONKERNELEMITTER_H

#include "AttentionKernel.h"

#include "celeris/GPU/MaskTile.h"
#include "celeris/GPU/TilePipeline.h"

#include <optional>

namespace mlir::celeris {

/// Words of the decode merge: the weights of 16 rows x kMaxDecodeSplits
/// splits and the 16 merged lse.
constexpr int64_t kDecodeMergeWords = 16 * kMaxDecodeSplits + 16;
/// Splits the decode merge reads at once.
constexpr int64_t kDecodeMergeUnroll = 4;

/// Shared-memory layout: per stage a K tile and a V tile, the Q tile, the
/// list of key tiles, then the pipeline's mbarriers (the decode merge
/// reuses the K/V buffers once the loop is over). wgmma reads Q from shared
/// memory at every tile, so Q comes first and stays; the prefill mma.sync
/// kernel reads it once into registers, so it is staged in stage 1's buffers,
/// which the first load into stage 1 (after the CTA barrier of visit 0) may
/// overwrite: a third less shared memory, three CTAs per SM at head dim 128.
/// (The decode tile of 16 rows is too small to be worth it.)
struct SharedLayout {
  /// Entries of the in-kernel list of key tiles (segment ids).
  static constexpr int64_t kTileListCapacity = 2048;

  /// kvPart: the rows of a K/V tile one warp multiplies (decode: a W-th of
  /// the keys; prefill: all of them).
  SharedTile q, kv, kvPart;
  int64_t stages, queryOffset, kvBase, listEntries;

  SharedLayout(GPUScheduleAttr schedule, int64_t headDim, Type elementType,
               bool tileList) {
    bool decode = schedule.getKernel() == KernelFamily::AttentionDecode;
    listEntries = tileList ? kTileListCapacity : 0;
    bool wgmma = schedule.getTensorCores() == TensorCoreKind::Wgmma;
    TileLayout layout = wgmma ? TileLayout::Swizzle128B : TileLayout::Padded;
    q = {decode ? 16 : schedule.getQueryTile(), headDim, elementType, layout};
    kv = {schedule.getKvTile(), headDim, elementType, layout};
    kvPart = kv;
    if (decode)
      kvPart.rows /= schedule.getWarps();
    stages = schedule.getStages();
    bool staged =
        !decode && !wgmma && stages >= 2 && q.elements() <= 2 * kv.elements();
    kvBase = staged ? 0 : q.elements();
    queryOffset = staged ? keyOffset(1) : 0;
  }
  /// Element offsets.
  int64_t keyOffset(int64_t stage) const {
    return kvBase + 2 * stage * kv.elements();
  } /// Where the decode merges' words go: the K/V buffers, free after the
  /// loop (the warps' partials, 16 W (D + 1) + 1 words, and the splits'
  /// weights, 16 kMaxDecodeSplits + 16, fit the smallest: 2 stages of 16 W
  /// keys).
  int64_t mergeBytes() const { return 2 * keyOffset(0); }
  int64_t listBytes() const {
    return 2 * std::max(keyOffset(stages), queryOffset + q.elements());
  }
  /// The list, a flag per entry and the count.
  int64_t listScratch() const { return listEntries ? 2 * listEntries + 1 : 0; }
  int64_t barrierBytes() const {
    return llvm::alignTo(listBytes() + 4 * listScratch(), 8);
  }
  int64_t usableBytes() const {
    return barrierBytes() + TilePipeline::getBarrierBytes(stages);
  }
};

class AttentionKernelEmitter {
public:
  AttentionKernelEmitter(gpu::GPUFuncOp kernel, const AttentionKernelSpec &spec)
      : spec(spec), schedule(spec.schedule),
        b(kernel.getLoc(), kernel.getContext()),
        layout(spec.schedule, spec.getHeadDim(), spec.getElementType(),
               spec.qSegmentIds != nullptr) {
    b.setInsertionPointToStart(&kernel.getBody().front());
    unsigned arg = 0;
    q = kernel.getArgument(arg++);
    k = kernel.getArgument(arg++);
    v = kernel.getArgument(arg++);
    if (spec.alibiSlopes)
      alibi = kernel.getArgument(arg++);
    if (spec.qSegmentIds) {
      qSegments = kernel.getArgument(arg++);
      kvSegments = kernel.getArgument(arg++);
    }
    if (spec.cuSeqlensQ) {
      cuSeqlensQ = kernel.getArgument(arg++);
      cuSeqlensKv = kernel.getArgument(arg++);
    }
    if (spec.blockCounts) {
      blockCounts = kernel.getArgument(arg++);
      blockIndices = kernel.getArgument(arg++);
    }
    if (spec.kvLengths)
      kvLengths = kernel.getArgument(arg++);
    if (spec.pageTable)
      pageTable = kernel.getArgument(arg++);
    out = kernel.getArgument(arg++);
    if (spec.lse)
      lse = kernel.getArgument(arg++);
    if (spec.isDecode())
      workspace = kernel.getArgument(arg++);
    if (spec.copiesByTensorMaps()) {
      qMap = kernel.getArgument(arg++);
      kMap = kernel.getArgument(arg++);
      vMap = kernel.getArgument(arg++);
    }
  }

  void emit();

private:
  /// Prefill: which query tile of which sequence and head the CTA computes.
  void locatePrefillRows(Value warp, const FragmentLane &lane);
  /// Decode: which packed rows of which KV head and sequence.
  void locateDecodeRows(const FragmentLane &lane);
  /// Decode: the index (head, position) of packed row `p` (clamped to the
  /// last row) of the CTA's KV head.
  std::pair<Value, Value> packedRowIndex(Value p);
  /// Starts loading key tile `keyTile` of K or V (`source`) into the tile at
  /// `offset`, rows at or past `limit` zero.
  SmallVector<Value> loadKeyRows(const TileLoader &loader,
                                 const SharedMemory &smem, Value offset,
                                 Value source, Value keyTile, Value limit);
  /// (isEmpty, isFull) of key tile `keyTile` for the CTA's rows: the mask's,
  /// and the segment ids' when there are any.
  std::pair<Value, Value> classifyTile(Value keyTile);
  /// The same for visit `n` of `keyTiles`, read from the list where the
  /// compaction classified it.
  std::pair<Value, Value> classifyListedTile(const KeyTileSequence &keyTiles,
                                             Value n, Value keyTile);
  /// The min and max of `ids[batch, base + i]` over i in [begin, begin +
  /// count) clipped to `end` (the CTA's warps compute the same values).
  std::pair<Value, Value> idRange(Value ids, Value base, Value begin, Value end,
                                  int64_t count);
  /// Sets the scores of pairs in different segments to -inf.
  void applySegments(AccumulatorFragment &s, Value keyBase);
  SmallVector<Value> emitTile(TensorCoreMma &mma, const MmaOperandA &query,
                              Value keyTile, Value stageOffset, Value isFull,
                              ValueRange carried);
  void emitEpilogue(ValueRange results);
  /// Decode: merges the warps' partial results (each over a W-th of the
  /// keys) in shared memory; then out and lse of the CTA's rows when it is
  /// the only split, else its partial result, and the merge when it is the
  /// last split.
  void emitDecodeEpilogue(const SharedMemory &smem, ValueRange results,
                          Value tid, Value warp);
  /// Decode: merges the S partial results of workspace group `group` in
  /// split order and writes out and lse.
  void emitDecodeMerge(const SharedMemory &smem, Value lseParts, Value outParts,
                       Value group, Value splits, Value tid, Value warp);
  /// Decode: writes `values` (f32 vectors of 4) as columns [column,
  /// column + 4 n) of tile row `r` to out, and `rowLse` to lse when
  /// `writeLse`, if the row is one of the problem's.
  void storeDecodeRow(Value r, Value column, ValueRange values, Value rowLse,
                      Value writeLse);

  const AttentionKernelSpec &spec;
  GPUScheduleAttr schedule;
  KernelBuilder b;
  SharedLayout layout;
  Value q, k, v, alibi, kvLengths, pageTable, out, lse, workspace;
  /// The tensor maps of q, k and v (copiesByTensorMaps).
  Value qMap, kMap, vMap;
  Value qSegments, kvSegments, cuSeqlensQ, cuSeqlensKv, blockCounts,
      blockIndices;

  // Per-thread values of the kernel, named as in the file comment. Rows and
  // keys are local to the sequence (varlen); qBase and kBase place them in
  // the tensors. Query positions of the rows are rows[]; with decode, the
  // rows' heads are rowHeads[] and rowBegin/rowEnd bound the positions.
  Value batch, head, kvHead, sq, sk, tile, rowBegin, rowEnd, rows[2], quad,
      qBase, kBase;
  Value laneId, kvLength, qSegmentMin, qSegmentMax;
  Value groupSize, packedRows, rowTile, rowHeads[2];
  /// The first key of a tile this warp multiplies (decode: warps split each
  /// tile's keys).
  Value keyWarpOffset;
  std::optional<MaskTile> mask;
  ScoreTransform transform;
};

} // namespace mlir::celeris

#endif // CELERIS_LIB_CONVERSION_CELERISTOGPU_ATTENTIONKERNELEMITTER_H
