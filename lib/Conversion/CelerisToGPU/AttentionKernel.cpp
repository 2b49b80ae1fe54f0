//===- AttentionKernel.cpp - The attention kernel families ---------------===//
//
// FlashAttention forward as a composition of the kernel layer's blocks
// (celeris/GPU): one body for both tensor-core families, every mask, and
// both kernel families, prefill and decode.
//
// Prefill: grid (ceildiv(Sq, 16 W), Hq, B), W warps; warp w owns query
// rows 16 w + [0, 16) of the CTA's tile (with wgmma, warpgroup i the 64
// rows from 64 i), so every softmax row lives in the four lanes of one
// warp. Where the mask makes work grow with the row, the CTAs run longest
// first.
//
// Decode (flash-decoding): grid (S, Hkv ceildiv(G Sq, 16), B), one warp.
// The G = Hq / Hkv query heads that share a KV head are packed with their
// Sq rows into tiles of 16 rows (row p is head p / Sq, position p mod Sq),
// so each K/V byte is read once per tile; CTA x walks split x of S of the
// key tiles, S chosen at launch from the sizes. With S > 1 every split
// writes its normalised partial O and lse to the launch's workspace, and
// the last split of a tile to finish (an atomic count) merges them by
// their lse in split order: deterministic, one kernel. Paged caches load
// their rows through the page table.
//
// The CTA visits the key tiles its rows can reach (MaskTile: ranges from
// the mask, never a loop that skips), streamed through a TilePipeline of
// `stages` K/V buffers (mbarriers with wgmma, CTA barriers with mma.sync).
// Per tile:
//   S = Q K^T                       (TensorCoreMma, Q from shared memory or
//                                    registers, K K-major)
//   S = transform(S)                (ALiBi, softcap; else the scale is
//                                    folded into the softmax exponent)
//   mask S where the tile is partial (full tiles do no mask math)
//   P = online softmax update of S  (OnlineSoftmax), O *= alpha
//   O += P V                        (P from registers, V MN-major)
// then out = O / l and lse for the rows below Sq.
//
//===----------------------------------------------------------------------===//

#include "AttentionKernel.h"

#include "celeris/GPU/MaskTile.h"
#include "celeris/GPU/OnlineSoftmax.h"
#include "celeris/GPU/TilePipeline.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::celeris;

namespace {

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

} // namespace

std::pair<Value, Value> AttentionKernelEmitter::idRange(Value ids, Value base,
                                                        Value begin, Value end,
                                                        int64_t count) {
  // Lane l reads count / 32 ids, then the warp reduces; ids past `end`
  // repeat the last one.
  Value last = b.sub(end, b.idx(1));
  Value lo, hi;
  for (int64_t i = 0; i < count / 32; ++i) {
    Value at = b.add(b.add(begin, b.mul(laneId, count / 32)), i);
    at = b.maxS(b.minS(at, last), b.idx(0));
    Value id =
        memref::LoadOp::create(b, ids, ValueRange{batch, b.add(base, at)});
    lo = lo ? b.minS(lo, id) : id;
    hi = hi ? b.maxS(hi, id) : id;
  }
  for (int32_t mask = 1; mask < 32; mask *= 2) {
    lo = b.minS(lo, b.shuffleXor(lo, mask));
    hi = b.maxS(hi, b.shuffleXor(hi, mask));
  }
  return {lo, hi};
}

std::pair<Value, Value> AttentionKernelEmitter::classifyTile(Value keyTile) {
  int64_t kvTile = schedule.getKvTile();
  Value keyBegin = b.mul(keyTile, kvTile);
  auto [isEmpty, isFull] =
      mask->classify(b, rowBegin, rowEnd, keyBegin, kvTile);
  if (!kvSegments)
    return {isEmpty, isFull};
  // Segment ids: empty when the id ranges of the rows and the keys are
  // disjoint, full when both hold one and the same id. Correct for any ids;
  // tight for sorted ones (packed documents).
  auto [lo, hi] = idRange(kvSegments, kBase, keyBegin,
                          b.minS(b.add(keyBegin, kvTile), kvLength), kvTile);
  using Pred = arith::CmpIPredicate;
  Value disjoint = b.orI(b.cmp(Pred::slt, hi, qSegmentMin),
                         b.cmp(Pred::slt, qSegmentMax, lo));
  Value single = b.andI(b.andI(b.cmp(Pred::eq, lo, hi),
                               b.cmp(Pred::eq, qSegmentMin, qSegmentMax)),
                        b.cmp(Pred::eq, lo, qSegmentMin));
  return {b.orI(isEmpty, disjoint), b.andI(isFull, single)};
}

void AttentionKernelEmitter::applySegments(AccumulatorFragment &s,
                                           Value keyBase) {
  Value negInf = b.f32(-INFINITY);
  Value last = b.sub(kvLength, b.idx(1));
  Value rowIds[2];
  for (int64_t r = 0; r < 2; ++r) {
    Value row = b.maxS(b.minS(rows[r], b.sub(sq, b.idx(1))), b.idx(0));
    rowIds[r] = memref::LoadOp::create(b, qSegments,
                                       ValueRange{batch, b.add(qBase, row)});
  }
  for (auto [i, v] : llvm::enumerate(s.values)) {
    Value key = b.add(keyBase, AccumulatorFragment::columnOf(i));
    Value at = b.maxS(b.minS(key, last), b.idx(0));
    Value id = memref::LoadOp::create(b, kvSegments,
                                      ValueRange{batch, b.add(kBase, at)});
    Value same = b.cmp(arith::CmpIPredicate::eq, id,
                       rowIds[AccumulatorFragment::rowOf(i)]);
    v = b.select(same, v, negInf);
  }
}

SmallVector<Value>
AttentionKernelEmitter::emitTile(TensorCoreMma &mma, const MmaOperandA &query,
                                 Value keyTile, Value stageOffset, Value isFull,
                                 ValueRange carried) {
  int64_t headDim = spec.getHeadDim(), kvTile = schedule.getKvTile();
  int64_t keys = layout.kvPart.rows;
  // This warp's rows of the K and V tiles.
  Value partOffset = b.mul(keyWarpOffset, layout.kv.rowStride());
  Value keyOffset = b.add(stageOffset, partOffset);
  Value valueOffset =
      b.add(b.add(stageOffset, layout.kv.elements()), partOffset);
  AccumulatorFragment s = AccumulatorFragment::splat(b.f32(0.0), keys);
  mma.multiply(b, s, query, {layout.kvPart, keyOffset, /*kMajor=*/true},
               headDim, /*accumulate=*/false);
  mma.wait(b, {&s});

  Value keyBegin = b.add(b.mul(keyTile, kvTile), keyWarpOffset);
  Value keyBase = b.add(keyBegin, b.mul(quad, 2));
  Value factor = transform.apply(b, s, rows, keyBase);
  if (!matchPattern(isFull, m_One())) {
    SmallVector<Type> types(s.values.size(), b.getF32Type());
    auto partial = scf::IfOp::create(b, types, b.notI(isFull),
                                     /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(partial.thenBlock());
    AccumulatorFragment masked = s;
    mask->apply(b, masked, rows, keyBase);
    if (kvSegments)
      applySegments(masked, keyBase);
    scf::YieldOp::create(b, masked.values);
    b.setInsertionPointToStart(partial.elseBlock());
    scf::YieldOp::create(b, s.values);
    s.values.assign(partial.getResults().begin(), partial.getResults().end());
  }

  SoftmaxState state = SoftmaxState::fromValues(carried.take_front(4));
  AccumulatorFragment o{llvm::to_vector(carried.drop_front(4))};
  SoftmaxUpdate update = updateOnlineSoftmax(b, s, state, factor);
  rescaleRows(b, o, update.alpha);
  MmaOperandA p;
  p.registers = toOperandA(b, s, spec.getElementType());
  mma.multiply(b, o, p, {layout.kvPart, valueOffset, /*kMajor=*/false}, keys,
               /*accumulate=*/true);
  mma.wait(b, {&o});
  SmallVector<Value> next = update.state.toValues();
  next.append(o.values);
  return next;
}

void AttentionKernelEmitter::emitEpilogue(ValueRange results) {
  SoftmaxState state = SoftmaxState::fromValues(results.take_front(4));
  ValueRange o = results.drop_front(4);
  SoftmaxResult result = finalizeOnlineSoftmax(b, state, lse != nullptr);
  Value column = b.mul(quad, 2);
  auto narrowType = VectorType::get({2}, spec.getElementType());
  auto pairType = VectorType::get({2}, b.getF32Type());
  for (int64_t row = 0; row < 2; ++row) {
    b.ifThen(b.cmp(arith::CmpIPredicate::slt, rows[row], sq), [&] {
      for (int64_t i = 2 * row; i < int64_t(o.size()); i += 4) {
        Value lo = b.mulF(o[i], result.inverseSum[row]);
        Value hi = b.mulF(o[i + 1], result.inverseSum[row]);
        Value pair =
            vector::FromElementsOp::create(b, pairType, ValueRange{lo, hi});
        Value narrow = arith::TruncFOp::create(b, narrowType, pair);
        vector::StoreOp::create(b, narrow, out,
                                ValueRange{batch, head, b.add(qBase, rows[row]),
                                           b.add(column, 8 * (i / 4))},
                                /*nontemporal=*/false, llvm::MaybeAlign(4));
      }
      if (lse)
        b.ifThen(b.cmp(arith::CmpIPredicate::eq, quad, b.idx(0)), [&] {
          memref::StoreOp::create(
              b, result.lse[row], lse,
              ValueRange{batch, head, b.add(qBase, rows[row])});
        });
    });
  }
}

void AttentionKernelEmitter::locatePrefillRows(Value warp,
                                               const FragmentLane &lane) {
  int64_t rowsPerCta = schedule.getQueryTile();
  tile = gpu::BlockIdOp::create(b, gpu::Dimension::x);
  head = gpu::BlockIdOp::create(b, gpu::Dimension::y);
  batch = gpu::BlockIdOp::create(b, gpu::Dimension::z);
  sk = memref::DimOp::create(b, k, 2);
  qBase = kBase = b.idx(0);
  if (cuSeqlensQ) {
    // Packed sequences (B = 1): CTA x is tile x - (tiles of the sequences
    // before) of the sequence it falls in; CTAs past the last tile of
    // every sequence have no rows.
    Value sequences = b.sub(memref::DimOp::create(b, cuSeqlensQ, 0), b.idx(1));
    auto load = [&](Value offsets, Value i) {
      return b.toIndex(memref::LoadOp::create(b, offsets, i));
    };
    auto scan = scf::ForOp::create(b, b.idx(0), sequences, b.idx(1),
                                   ValueRange{b.idx(0), b.idx(0), b.idx(-1)});
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(scan.getBody());
      Value m = scan.getInductionVar();
      Value before = scan.getRegionIterArgs()[0];
      Value length = b.sub(load(cuSeqlensQ, b.add(m, 1)), load(cuSeqlensQ, m));
      Value tiles =
          b.divu(b.add(b.maxS(length, b.idx(0)), rowsPerCta - 1), rowsPerCta);
      Value after = b.add(before, tiles);
      Value here = b.andI(b.cmp(arith::CmpIPredicate::sge, tile, before),
                          b.cmp(arith::CmpIPredicate::slt, tile, after));
      scf::YieldOp::create(
          b, ValueRange{after,
                        b.select(here, b.sub(tile, before),
                                 scan.getRegionIterArgs()[1]),
                        b.select(here, m, scan.getRegionIterArgs()[2])});
    }
    Value sequence = scan.getResult(2);
    Value found = b.cmp(arith::CmpIPredicate::sge, sequence, b.idx(0));
    Value n = b.maxS(sequence, b.idx(0));
    qBase = load(cuSeqlensQ, n);
    kBase = load(cuSeqlensKv, n);
    sq = b.select(found, b.sub(load(cuSeqlensQ, b.add(n, 1)), qBase), b.idx(0));
    sk =
        b.select(found, b.sub(load(cuSeqlensKv, b.add(n, 1)), kBase), b.idx(0));
    tile = scan.getResult(1);
  } else {
    sq = memref::DimOp::create(b, q, 2);
    if (spec.mask.dependsOnQueryPosition()) {
      // Work grows with the query tile under causal-like masks: launch the
      // longest first so the short ones fill the last wave.
      Value tiles = gpu::GridDimOp::create(b, gpu::Dimension::x);
      tile = b.sub(b.sub(tiles, b.idx(1)), tile);
    }
  }
  // GQA: query head h reads key/value head h Hkv / Hq (= h / (Hq / Hkv)
  // when Hkv divides Hq): one division.
  kvHead =
      arith::DivUIOp::create(b, b.mul(head, memref::DimOp::create(b, k, 1)),
                             memref::DimOp::create(b, q, 1));
  rowBegin = b.mul(tile, rowsPerCta);
  rowEnd = b.maxS(b.minS(b.add(rowBegin, rowsPerCta), sq), rowBegin);
  rows[0] = b.add(b.add(rowBegin, b.mul(warp, 16)), lane.group);
  rows[1] = b.add(rows[0], 8);
}

std::pair<Value, Value> AttentionKernelEmitter::packedRowIndex(Value p) {
  Value row = b.minS(p, b.sub(packedRows, b.idx(1)));
  Value headInGroup = arith::DivUIOp::create(b, row, sq);
  return {b.add(b.mul(kvHead, groupSize), headInGroup),
          arith::RemUIOp::create(b, row, sq)};
}

void AttentionKernelEmitter::locateDecodeRows(const FragmentLane &lane) {
  // CTA (x, y, z): split x of row tile y mod T of KV head y / T of
  // sequence z, T = ceildiv(G Sq, 16).
  sq = memref::DimOp::create(b, q, 2);
  groupSize = arith::DivUIOp::create(b, memref::DimOp::create(b, q, 1),
                                     memref::DimOp::create(b, k, 1));
  packedRows = b.mul(groupSize, sq);
  Value rowTiles = b.divu(b.add(packedRows, 15), 16);
  Value y = gpu::BlockIdOp::create(b, gpu::Dimension::y);
  kvHead = arith::DivUIOp::create(b, y, rowTiles);
  rowTile = arith::RemUIOp::create(b, y, rowTiles);
  batch = gpu::BlockIdOp::create(b, gpu::Dimension::z);
  qBase = kBase = b.idx(0);
  sk = memref::DimOp::create(b, k, 2);
  if (pageTable)
    sk = b.mul(memref::DimOp::create(b, pageTable, 1), sk);
  // The key tiles are those of every position a row of the tile may have.
  rowBegin = b.idx(0);
  rowEnd = sq;
  for (int64_t r = 0; r < 2; ++r) {
    Value p = b.add(b.mul(rowTile, 16), b.add(lane.group, 8 * r));
    std::tie(rowHeads[r], rows[r]) = packedRowIndex(p);
  }
}

SmallVector<Value>
AttentionKernelEmitter::loadKeyRows(const TileLoader &loader,
                                    const SharedMemory &smem, Value offset,
                                    Value source, Value keyTile, Value limit) {
  int64_t kvTile = schedule.getKvTile();
  Value row0 = b.add(kBase, b.mul(keyTile, kvTile));
  if (!pageTable)
    return loader.load(b, smem, offset, source, {batch, kvHead}, row0, limit);
  // Paged: key j is row j mod P of page table[b, j / P]. Page ids are
  // clamped into the pool, so a bad table reads wrong keys, never out of
  // bounds.
  Value pageSize = memref::DimOp::create(b, source, 2);
  Value lastPage = b.sub(memref::DimOp::create(b, source, 0), b.idx(1));
  Value lastKey = b.maxS(b.sub(sk, b.idx(1)), b.idx(0));
  auto pageOf = [&](Value key) {
    Value entry = arith::DivUIOp::create(b, key, pageSize);
    Value page =
        b.toIndex(memref::LoadOp::create(b, pageTable, {batch, entry}));
    return b.maxS(b.minS(page, lastPage), b.idx(0));
  };
  int64_t staticPageSize = cast<MemRefType>(source.getType()).getDimSize(2);
  if (!ShapedType::isDynamic(staticPageSize) && staticPageSize % kvTile == 0) {
    // Whole tiles per page: one lookup per tile.
    Value first = b.minS(row0, lastKey);
    Value page = pageOf(first);
    Value inPage = arith::RemUIOp::create(b, first, pageSize);
    return loader.loadRows(b, smem, offset, source, [&](Value r) {
      return TileLoader::RowSource{
          {page, kvHead, b.add(inPage, r)},
          b.cmp(arith::CmpIPredicate::slt, b.add(row0, r), limit)};
    });
  }
  return loader.loadRows(b, smem, offset, source, [&](Value r) {
    Value key = b.add(row0, r);
    Value clamped = b.maxS(b.minS(key, lastKey), b.idx(0));
    return TileLoader::RowSource{
        {pageOf(clamped), kvHead, arith::RemUIOp::create(b, clamped, pageSize)},
        b.cmp(arith::CmpIPredicate::slt, key, limit)};
  });
}

void AttentionKernelEmitter::storeDecodeRow(Value r, Value column,
                                            ValueRange values, Value rowLse,
                                            Value writeLse) {
  Value p = b.add(b.mul(rowTile, 16), r);
  b.ifThen(b.cmp(arith::CmpIPredicate::slt, p, packedRows), [&] {
    auto [rowHead, position] = packedRowIndex(p);
    auto narrowType = VectorType::get({4}, spec.getElementType());
    for (auto [c, value] : llvm::enumerate(values)) {
      Value narrow = arith::TruncFOp::create(b, narrowType, value);
      vector::StoreOp::create(
          b, narrow, out,
          ValueRange{batch, rowHead, position, b.add(column, 4 * c)},
          /*nontemporal=*/false, llvm::MaybeAlign(8));
    }
    if (lse)
      b.ifThen(writeLse, [&] {
        memref::StoreOp::create(b, rowLse, lse,
                                ValueRange{batch, rowHead, position});
      });
  });
}

void AttentionKernelEmitter::emitDecodeEpilogue(const SharedMemory &smem,
                                                ValueRange results, Value tid,
                                                Value warp) {
  int64_t warps = schedule.getWarps(), headDim = spec.getHeadDim();
  Type f32 = b.getF32Type();
  SoftmaxState state = SoftmaxState::fromValues(results.take_front(4));
  ValueRange o = results.drop_front(4);
  SoftmaxResult result = finalizeOnlineSoftmax(b, state, /*withLse=*/true);

  // Each warp's normalised O [16][D] and lse [16] into the K/V buffers (the
  // other warps may still read the last tile: a barrier first), then a
  // thread per (row r, chunk c of D / 2W columns) merges the warps'.
  gpu::BarrierOp::create(b);
  Value parts =
      smem.viewAt(b, f32, layout.mergeBytes(), warps * 16 * (headDim + 1) + 1);
  Value lseBase = b.idx(warps * 16 * headDim);
  Value column = b.mul(quad, 2);
  auto pairType = VectorType::get({2}, f32);
  FragmentLane lane = FragmentLane::get(b, laneId);
  for (int64_t row = 0; row < 2; ++row) {
    Value tileRow = b.add(b.add(lane.group, 8 * row), b.mul(warp, 16));
    for (int64_t i = 2 * row; i < int64_t(o.size()); i += 4) {
      Value lo = b.mulF(o[i], result.inverseSum[row]);
      Value hi = b.mulF(o[i + 1], result.inverseSum[row]);
      Value pair =
          vector::FromElementsOp::create(b, pairType, ValueRange{lo, hi});
      vector::StoreOp::create(
          b, pair, parts,
          b.add(b.mul(tileRow, headDim), b.add(column, 8 * (i / 4))));
    }
    b.ifThen(b.cmp(arith::CmpIPredicate::eq, quad, b.idx(0)), [&] {
      memref::StoreOp::create(b, result.lse[row], parts,
                              b.add(lseBase, tileRow));
    });
  }
  gpu::BarrierOp::create(b);
  int64_t width = headDim / (2 * warps), vectors = width / 4;
  Value r = b.remu(tid, 16);
  Value chunkColumn = b.mul(b.divu(tid, 16), width);
  SmallVector<Value> warpLse;
  for (int64_t w = 0; w < warps; ++w)
    warpLse.push_back(
        memref::LoadOp::create(b, parts, b.add(lseBase, b.add(r, 16 * w))));
  auto [weights, rowLse] = buildLseMerge(b, warpLse);
  auto quadType = VectorType::get({4}, f32);
  SmallVector<Value> merged;
  for (int64_t c = 0; c < vectors; ++c) {
    Value sum;
    for (int64_t w = 0; w < warps; ++w) {
      Value at =
          b.add(b.mul(b.add(r, 16 * w), headDim), b.add(chunkColumn, 4 * c));
      Value part = vector::LoadOp::create(b, quadType, parts, at);
      Value weight = vector::BroadcastOp::create(b, quadType, weights[w]);
      sum = sum ? vector::FMAOp::create(b, weight, part, sum).getResult()
                : arith::MulFOp::create(b, weight, part).getResult();
    }
    merged.push_back(sum);
  }
  Value firstChunk = b.cmp(arith::CmpIPredicate::eq, chunkColumn, b.idx(0));

  Value splits = gpu::GridDimOp::create(b, gpu::Dimension::x);
  Value single = b.cmp(arith::CmpIPredicate::eq, splits, b.idx(1));
  auto ifElse = scf::IfOp::create(b, TypeRange(), single,
                                  /*withElseRegion=*/true);
  {
    // One split: out and lse directly.
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifElse.thenBlock());
    storeDecodeRow(r, chunkColumn, merged, rowLse, firstChunk);
  }
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(ifElse.elseBlock());
  // Workspace: a count per group (a row tile of a KV head of a sequence),
  // then lse[group][16 rows][kMaxDecodeSplits], then
  // out[group][split][16 rows][D], all f32 but the counts.
  Value split = gpu::BlockIdOp::create(b, gpu::Dimension::x);
  Value tilesPerBatch = gpu::GridDimOp::create(b, gpu::Dimension::y);
  Value groups =
      b.mul(tilesPerBatch, gpu::GridDimOp::create(b, gpu::Dimension::z));
  Value group = b.add(b.mul(batch, tilesPerBatch),
                      gpu::BlockIdOp::create(b, gpu::Dimension::y));
  auto view = [&](Type type, Value byteOffset, Value count) {
    return memref::ViewOp::create(b,
                                  MemRefType::get({ShapedType::kDynamic}, type),
                                  workspace, byteOffset, ValueRange{count});
  };
  Value countBytes = b.mul(b.divu(b.add(b.mul(groups, 4), 255), 256), 256);
  Value counts = view(b.getI32Type(), b.idx(0), groups);
  Value lseWords = b.mul(groups, 16 * kMaxDecodeSplits);
  Value lseParts = view(f32, countBytes, lseWords);
  Value outParts = view(f32, b.add(countBytes, b.mul(lseWords, 4)),
                        b.mul(b.mul(groups, splits), 16 * headDim));
  Value rowBase = b.add(
      b.mul(b.add(b.mul(b.add(b.mul(group, splits), split), 16), r), headDim),
      chunkColumn);
  for (auto [c, value] : llvm::enumerate(merged))
    vector::StoreOp::create(b, value, outParts, b.add(rowBase, 4 * c),
                            /*nontemporal=*/false, llvm::MaybeAlign(16));
  b.ifThen(firstChunk, [&] {
    Value at =
        b.add(b.mul(b.add(b.mul(group, 16), r), kMaxDecodeSplits), split);
    memref::StoreOp::create(b, rowLse, lseParts, at);
  });
  // Publish the partial (every thread's writes reach the GPU scope before
  // the count moves), then count; the last split merges.
  NVVM::MembarOp::create(b, NVVM::MemScopeKind::GPU);
  gpu::BarrierOp::create(b);
  Value countWord = b.idx(warps * 16 * (headDim + 1));
  Value leader = b.cmp(arith::CmpIPredicate::eq, tid, b.idx(0));
  b.ifThen(leader, [&] {
    Value before = memref::AtomicRMWOp::create(
        b, arith::AtomicRMWKind::addi, b.i32(1), counts, ValueRange{group});
    memref::StoreOp::create(b, arith::BitcastOp::create(b, f32, before), parts,
                            countWord);
  });
  gpu::BarrierOp::create(b);
  Value before = arith::BitcastOp::create(
      b, b.getI32Type(), memref::LoadOp::create(b, parts, countWord));
  Value last = b.cmp(arith::CmpIPredicate::eq, b.toIndex(before),
                     b.sub(splits, b.idx(1)));
  b.ifThen(last, [&] {
    // Acquire: the other splits' partials are visible past the count.
    NVVM::MembarOp::create(b, NVVM::MemScopeKind::GPU);
    emitDecodeMerge(smem, lseParts, outParts, group, splits, tid, warp);
    // Ready for the next launch.
    b.ifThen(leader, [&] {
      memref::StoreOp::create(b, b.i32(0), counts, ValueRange{group});
    });
  });
}

void AttentionKernelEmitter::emitDecodeMerge(const SharedMemory &smem,
                                             Value lseParts, Value outParts,
                                             Value group, Value splits,
                                             Value tid, Value warp) {
  int64_t headDim = spec.getHeadDim(), warps = schedule.getWarps();
  Type f32 = b.getF32Type();
  // The weights go where the warps' partials were: every thread read those
  // before the barrier after the count.
  Value merge = smem.viewAt(b, f32, layout.mergeBytes(), kDecodeMergeWords);
  // Warp 0, lane l holding splits l, l + 32, ... of each row: the weights
  // of the splits and the merged lse, per row, into shared memory. Every
  // row's lse are loaded before any merge, so that the loads are in flight
  // together (a store under a branch between them would serialise them).
  b.ifThen(b.cmp(arith::CmpIPredicate::eq, warp, b.idx(0)), [&] {
    int64_t perLane = kMaxDecodeSplits / 32;
    SmallVector<Value> partLse, inRange, slots;
    for (int64_t r = 0; r < 16; ++r) {
      for (int64_t i = 0; i < perLane; ++i) {
        Value j = b.add(laneId, 32 * i);
        Value at = b.add(b.mul(b.add(b.mul(group, 16), r), kMaxDecodeSplits),
                         b.minS(j, b.sub(splits, b.idx(1))));
        partLse.push_back(memref::LoadOp::create(b, lseParts, at));
        inRange.push_back(b.cmp(arith::CmpIPredicate::slt, j, splits));
        slots.push_back(b.add(b.idx(r * kMaxDecodeSplits), j));
      }
    }
    SmallVector<Value> mergedLse;
    for (int64_t r = 0; r < 16; ++r) {
      SmallVector<Value> rowLse;
      for (int64_t i = r * perLane; i < (r + 1) * perLane; ++i)
        rowLse.push_back(b.select(inRange[i], partLse[i], b.f32(-INFINITY)));
      auto [weights, merged] = buildWarpLseMerge(b, rowLse);
      for (auto [w, weight] : llvm::enumerate(weights))
        memref::StoreOp::create(b, weight, merge, slots[r * perLane + w]);
      mergedLse.push_back(merged);
    }
    b.ifThen(b.cmp(arith::CmpIPredicate::eq, laneId, b.idx(0)), [&] {
      for (auto [r, merged] : llvm::enumerate(mergedLse))
        memref::StoreOp::create(b, merged, merge,
                                b.idx(16 * kMaxDecodeSplits + r));
    });
  });
  gpu::BarrierOp::create(b);
  // Thread t sums row t mod 16, chunk t / 16 of the columns, over the
  // splits in order, kDecodeMergeUnroll at a time so that their loads are
  // in flight together (a split past the last weighs 0 and reads the last).
  Value r = b.remu(tid, 16);
  int64_t width = headDim / (2 * warps), vectors = width / 4;
  Value chunkColumn = b.mul(b.divu(tid, 16), width);
  auto quadType = VectorType::get({4}, f32);
  SmallVector<Value> zeros(
      vectors, arith::ConstantOp::create(b, quadType, b.getZeroAttr(quadType)));
  auto sum =
      scf::ForOp::create(b, b.idx(0), splits, b.idx(kDecodeMergeUnroll), zeros);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(sum.getBody());
    SmallVector<Value> weights;
    SmallVector<SmallVector<Value>> parts;
    for (int64_t u = 0; u < kDecodeMergeUnroll; ++u) {
      Value j = b.add(sum.getInductionVar(), u);
      Value inRange = b.cmp(arith::CmpIPredicate::slt, j, splits);
      j = b.minS(j, b.sub(splits, b.idx(1)));
      Value weight = memref::LoadOp::create(
          b, merge, b.add(b.mul(r, kMaxDecodeSplits), j));
      weights.push_back(vector::BroadcastOp::create(
          b, quadType, b.select(inRange, weight, b.f32(0.0))));
      Value base = b.add(
          b.mul(b.add(b.mul(b.add(b.mul(group, splits), j), 16), r), headDim),
          chunkColumn);
      parts.emplace_back();
      for (int64_t c = 0; c < vectors; ++c)
        parts.back().push_back(vector::LoadOp::create(
            b, quadType, outParts, b.add(base, 4 * c),
            /*nontemporal=*/false, llvm::MaybeAlign(16)));
    }
    SmallVector<Value> next(sum.getRegionIterArgs());
    for (int64_t u = 0; u < kDecodeMergeUnroll; ++u)
      for (int64_t c = 0; c < vectors; ++c)
        next[c] = vector::FMAOp::create(b, weights[u], parts[u][c], next[c]);
    scf::YieldOp::create(b, next);
  }
  Value rowLse =
      memref::LoadOp::create(b, merge, b.add(r, 16 * kMaxDecodeSplits));
  storeDecodeRow(r, chunkColumn, sum.getResults(), rowLse,
                 b.cmp(arith::CmpIPredicate::eq, chunkColumn, b.idx(0)));
}

void AttentionKernelEmitter::emit() {
  bool wgmma = schedule.getTensorCores() == TensorCoreKind::Wgmma;
  bool decode = spec.isDecode();
  int64_t threads = schedule.getThreads();
  int64_t rowsPerCta = schedule.getQueryTile(), kvTile = schedule.getKvTile();
  int64_t stages = schedule.getStages(), headDim = spec.getHeadDim();

  SmallVector<Value> inits = SoftmaxState::initial(b).toValues();
  inits.append(headDim / 2, b.f32(0.0));
  SharedMemory smem =
      SharedMemory::create(b, spec.getElementType(), layout.usableBytes());
  Value tid = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
  Value warp = b.divu(tid, 32);
  laneId = b.remu(tid, 32);
  FragmentLane lane = FragmentLane::get(b, tid);
  quad = lane.quad;
  std::unique_ptr<TensorCoreMma> mma = TensorCoreMma::create(
      schedule.getTensorCores(), spec.getElementType(), smem, laneId);
  TilePipeline pipeline(
      smem, wgmma ? PipelineSync::MBarrier : PipelineSync::CtaBarrier, stages,
      threads, layout.barrierBytes());
  pipeline.initialize(b, tid);

  if (decode)
    locateDecodeRows(lane);
  else
    locatePrefillRows(warp, lane);
  // Decode: warp w multiplies keys [w K / W, (w + 1) K / W) of each tile.
  keyWarpOffset = decode ? b.mul(warp, layout.kvPart.rows) : b.idx(0);
  kvLength = sk;
  Value lengthForOffset = sk;
  if (kvLengths) {
    Value length = b.toIndex(memref::LoadOp::create(b, kvLengths, batch));
    lengthForOffset = length;
    kvLength = b.minS(b.maxS(length, b.idx(0)), sk);
  }
  Value queryOffset =
      spec.queryOffset ? b.idx(*spec.queryOffset) : b.sub(lengthForOffset, sq);
  mask.emplace(spec.mask, queryOffset, kvLength);
  transform = {spec.scale, spec.softcap, {}, queryOffset};
  if (alibi)
    for (int64_t r = 0; r < 2; ++r)
      transform.alibiSlope[r] =
          memref::LoadOp::create(b, alibi, decode ? rowHeads[r] : head);
  if (qSegments)
    std::tie(qSegmentMin, qSegmentMax) =
        idRange(qSegments, qBase, rowBegin, rowEnd, rowsPerCta);

  KeyTileSequence keyTiles;
  bool mayVisitEmpty = mask->mayVisitEmptyTiles() || qSegments;
  if (blockCounts) {
    // The layout's list for this CTA's query block; batch and head
    // broadcast where the layout has one.
    auto broadcast = [&](Value index, int64_t dim) {
      Value extent = memref::DimOp::create(b, blockCounts, dim);
      return b.select(b.cmp(arith::CmpIPredicate::eq, extent, b.idx(1)),
                      b.idx(0), index);
    };
    Value listBatch = broadcast(batch, 0), listHead = broadcast(head, 1);
    Value queryBlock = b.divu(rowBegin, spec.blockSize[0]);
    Value lastBlock = b.sub(memref::DimOp::create(b, blockCounts, 2), b.idx(1));
    queryBlock = b.minS(queryBlock, lastBlock);
    Value count = b.toIndex(memref::LoadOp::create(
        b, blockCounts, ValueRange{listBatch, listHead, queryBlock}));
    // A CTA without rows visits nothing.
    count = b.select(b.cmp(arith::CmpIPredicate::slt, rowBegin, rowEnd), count,
                     b.idx(0));
    keyTiles = KeyTileSequence::getBlockList(
        b, blockIndices, ValueRange{listBatch, listHead, queryBlock}, count,
        spec.blockSize[1] / kvTile);
    mayVisitEmpty = mayVisitEmpty || spec.mask.getKind() != MaskKind::All;
  } else {
    keyTiles = mask->getKeyTiles(b, rowBegin, rowEnd, kvTile);
    if (qSegments) {
      // Segment ids: list the tiles whose ids meet the rows' before the
      // loop, so that tiles of other documents are neither loaded nor
      // visited.
      Value scratch = smem.viewAt(b, b.getI32Type(), layout.listBytes(),
                                  layout.listScratch());
      keyTiles = keyTiles.compact(
          b, scratch, tid, schedule.getWarps(),
          [&](Value keyTile) { return b.notI(classifyTile(keyTile).first); });
    }
  }
  if (decode) {
    // Split x of S walks visits [x n / S, (x + 1) n / S).
    Value split = gpu::BlockIdOp::create(b, gpu::Dimension::x);
    Value splits = gpu::GridDimOp::create(b, gpu::Dimension::x);
    auto boundary = [&](Value x) {
      return arith::DivUIOp::create(b, b.mul(x, keyTiles.count), splits);
    };
    keyTiles =
        keyTiles.slice(b, boundary(split), boundary(b.add(split, b.idx(1))));
  }

  TileLoader queryLoader(b, layout.q, tid, threads);
  TileLoader kvLoader(b, layout.kv, tid, threads);
  auto stageOffset = [&](Value stage) {
    return b.add(b.mul(stage, 2 * layout.kv.elements()), layout.keyOffset(0));
  };
  auto loadQuery = [&]() {
    Value at = b.idx(layout.queryOffset);
    if (!decode)
      return queryLoader.load(b, smem, at, q, {batch, head},
                              b.add(qBase, rowBegin), b.add(qBase, sq));
    return queryLoader.loadRows(b, smem, at, q, [&](Value r) {
      Value p = b.add(b.mul(rowTile, 16), r);
      auto [rowHead, position] = packedRowIndex(p);
      return TileLoader::RowSource{
          {batch, rowHead, position},
          b.cmp(arith::CmpIPredicate::slt, p, packedRows)};
    });
  };
  // Visit n loads its key tile into stage n % stages; visits past the last
  // load nothing (row limit 0) but still complete their stage. The Q tile
  // travels with visit 0.
  auto produce = [&](Value n, bool withQuery) {
    pipeline.produce(b, n, [&](Value stage) {
      SmallVector<Value> tokens;
      if (withQuery)
        tokens = loadQuery();
      Value valid = b.cmp(arith::CmpIPredicate::slt, n, keyTiles.count);
      Value limit = b.select(valid, b.add(kBase, kvLength), b.idx(0));
      Value keyTile = keyTiles.tileAt(b, n);
      Value offset = stageOffset(stage);
      tokens.append(loadKeyRows(kvLoader, smem, offset, k, keyTile, limit));
      tokens.append(loadKeyRows(kvLoader, smem,
                                b.add(offset, layout.kv.elements()), v, keyTile,
                                limit));
      return tokens;
    });
  };
  for (int64_t n = 0; n + 1 < stages; ++n)
    produce(b.idx(n), /*withQuery=*/n == 0);

  int64_t unitRows = mma->getRowsPerUnit();
  MmaOperandA query{layout.q,
                    b.idx(layout.queryOffset),
                    decode ? b.idx(0)
                           : b.mul(b.divu(warp, unitRows / 16), unitRows),
                    {}};
  if (!wgmma) {
    // mma.sync reads Q from registers: load them once, when Q landed.
    pipeline.waitFull(b, b.idx(0), /*forTensorCores=*/false);
    query = mma->prepareA(b, query);
  }

  auto loop = scf::ForOp::create(b, b.idx(0), keyTiles.count, b.idx(1), inits);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value n = loop.getInductionVar();
    ValueRange carried = loop.getRegionIterArgs();
    pipeline.waitFull(b, n, /*forTensorCores=*/wgmma);
    produce(b.add(n, stages - 1), /*withQuery=*/false);
    Value keyTile = keyTiles.tileAt(b, n);
    Value offset = stageOffset(pipeline.stageOf(b, n));
    auto [isEmpty, isFull] = classifyTile(keyTile);
    SmallVector<Value> next;
    if (mayVisitEmpty) {
      // Tiles of the sequence that the mask still leaves empty: skip.
      auto visit = scf::IfOp::create(b, TypeRange(carried), b.notI(isEmpty),
                                     /*withElseRegion=*/true);
      {
        OpBuilder::InsertionGuard ifGuard(b);
        b.setInsertionPointToStart(visit.thenBlock());
        scf::YieldOp::create(
            b, emitTile(*mma, query, keyTile, offset, isFull, carried));
        b.setInsertionPointToStart(visit.elseBlock());
        scf::YieldOp::create(b, carried);
      }
      next.assign(visit.getResults().begin(), visit.getResults().end());
    } else {
      next = emitTile(*mma, query, keyTile, offset, isFull, carried);
    }
    pipeline.release(b, n);
    scf::YieldOp::create(b, next);
  }
  // No copy may still write shared memory when the CTA exits.
  pipeline.drain(b);
  if (decode)
    emitDecodeEpilogue(smem, loop.getResults(), tid, warp);
  else
    emitEpilogue(loop.getResults());
  gpu::ReturnOp::create(b);
}

int64_t mlir::celeris::getAttentionSharedBytes(GPUScheduleAttr schedule,
                                               int64_t headDim, bool tileList) {
  // The element type does not change the size: both are 2 bytes.
  SharedLayout layout(schedule, headDim,
                      BFloat16Type::get(schedule.getContext()), tileList);
  return SharedMemory::getReservedBytes(layout.usableBytes());
}

FailureOr<gpu::GPUFuncOp>
mlir::celeris::buildAttentionKernel(gpu::GPUModuleOp module, StringRef name,
                                    Location loc,
                                    const AttentionKernelSpec &spec) {
  if (module.lookupSymbol(name))
    return emitError(loc) << "gpu.module @" << module.getName()
                          << " already has a symbol @" << name;
  MLIRContext *ctx = module.getContext();
  OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
  SmallVector<Type> argTypes = {spec.query, spec.key, spec.value};
  SmallVector<StringRef> argNames = {"q", "k", "v"};
  if (spec.alibiSlopes) {
    argTypes.push_back(spec.alibiSlopes);
    argNames.push_back("alibi_slopes");
  }
  if (spec.qSegmentIds) {
    argTypes.append({spec.qSegmentIds, spec.kvSegmentIds});
    argNames.append({"q_segment_ids", "kv_segment_ids"});
  }
  if (spec.cuSeqlensQ) {
    argTypes.append({spec.cuSeqlensQ, spec.cuSeqlensKv});
    argNames.append({"cu_seqlens_q", "cu_seqlens_kv"});
  }
  if (spec.blockCounts) {
    argTypes.append({spec.blockCounts, spec.blockIndices});
    argNames.append({"block_counts", "block_indices"});
  }
  if (spec.kvLengths) {
    argTypes.push_back(spec.kvLengths);
    argNames.push_back("kv_lengths");
  }
  if (spec.pageTable) {
    argTypes.push_back(spec.pageTable);
    argNames.push_back("page_table");
  }
  argTypes.push_back(spec.output);
  argNames.push_back("out");
  if (spec.lse) {
    argTypes.push_back(spec.lse);
    argNames.push_back("lse");
  }
  if (spec.isDecode()) {
    // The runtime's scratch memory for the partial results of the splits
    // (the `workspace` of celeris.launch).
    argTypes.push_back(
        MemRefType::get({ShapedType::kDynamic}, IntegerType::get(ctx, 8)));
    argNames.push_back("workspace");
  }
  auto kernel = gpu::GPUFuncOp::create(builder, loc, name,
                                       FunctionType::get(ctx, argTypes, {}));
  kernel->setAttr(gpu::GPUDialect::getKernelFuncAttrName(),
                  builder.getUnitAttr());

  // Launch geometry as expressions of named sizes, each bound from an
  // argument's shape, so one binary serves every sequence length.
  GPUScheduleAttr schedule = spec.schedule;
  auto i32Array = [&](int64_t x) {
    return builder.getDenseI32ArrayAttr({static_cast<int32_t>(x), 1, 1});
  };
  NamedAttrList sizes;
  sizes.append("B", builder.getStringAttr("q[0]"));
  sizes.append("Hq", builder.getStringAttr("q[1]"));
  sizes.append("Sq", builder.getStringAttr("q[2]"));
  std::string queryTiles =
      "ceildiv(Sq," + std::to_string(schedule.getQueryTile()) + ")";
  if (spec.cuSeqlensQ) {
    // Each packed sequence may round up one tile: N + 1 offsets.
    sizes.append("N1", builder.getStringAttr("cu_seqlens_q[0]"));
    queryTiles += "+N1-1";
  }
  NamedAttrList launch;
  if (spec.isDecode()) {
    // T row tiles of 16 packed rows per KV head, G = B Hkv T groups; S
    // splits of the key tiles. The chip holds C = decodeSlots CTAs at once:
    // S = floor(k C / G) fills k whole waves but for less than G CTAs, and
    // k = ceildiv(3 G, C) keeps that loss below a third of a wave (G = 128
    // on 396 slots: S = 3, 0.97 of a wave; G = 512: S = 3, 3.9 waves). Each
    // split walks at least 4 key tiles; at most kMaxDecodeSplits (G = 8
    // would take 49, which measured slower than 32 on H200).
    sizes.append("Hkv", builder.getStringAttr("k[1]"));
    std::string keys = "Sk";
    if (spec.pageTable) {
      sizes.append("NP", builder.getStringAttr("page_table[1]"));
      sizes.append("P", builder.getStringAttr("k[2]"));
      keys = "NP*P";
    } else {
      sizes.append("Sk", builder.getStringAttr("k[2]"));
    }
    std::string rowTiles = "ceildiv((Hq/Hkv)*Sq,16)";
    std::string groups = "B*Hkv*" + rowTiles;
    std::string keyTiles =
        "ceildiv(" + keys + "," + std::to_string(schedule.getKvTile()) + ")";
    std::string slots = std::to_string(spec.decodeSlots);
    std::string waves = "ceildiv(3*" + groups + "," + slots + ")";
    std::string splits = "max(1,min(min(" + std::to_string(kMaxDecodeSplits) +
                         ",ceildiv(" + keyTiles + ",4)),(" + waves + "*" +
                         slots + ")/(" + groups + ")))";
    launch.append("grid",
                  builder.getStrArrayAttr({splits, "Hkv*" + rowTiles, "B"}));
    // Counts (padded to 256 bytes), lse[groups][16][kMaxDecodeSplits] and
    // out[groups][S][16][D], as the kernel lays them out.
    std::string bytes = "256*ceildiv(" + groups + "*4,256)+" + groups + "*" +
                        std::to_string(16 * kMaxDecodeSplits * 4) + "+" +
                        groups + "*" + splits + "*" +
                        std::to_string(16 * spec.getHeadDim() * 4);
    launch.append("workspace", builder.getStringAttr(bytes));
  } else {
    launch.append("grid", builder.getStrArrayAttr({queryTiles, "Hq", "B"}));
  }
  launch.append("block", i32Array(schedule.getThreads()));
  launch.append("shared",
                builder.getStringAttr(std::to_string(spec.sharedBytes)));
  launch.append("sizes", sizes.getDictionary(ctx));
  kernel->setAttr("celeris.launch", launch.getDictionary(ctx));
  kernel->setAttr("celeris.arg_names", builder.getStrArrayAttr(argNames));
  kernel->setAttr("celeris.gpu_schedule", schedule);
  if (schedule.getMinCtasPerSm() > 0) {
    // .maxntid and .minnctapersm let ptxas cap the registers at
    // 65536 / (threads * minCtasPerSm).
    kernel->setAttr(NVVM::NVVMDialect::getMaxntidAttrName(),
                    i32Array(schedule.getThreads()));
    kernel->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(),
                    builder.getI32IntegerAttr(schedule.getMinCtasPerSm()));
  }
  AttentionKernelEmitter(kernel, spec).emit();
  return kernel;
}
