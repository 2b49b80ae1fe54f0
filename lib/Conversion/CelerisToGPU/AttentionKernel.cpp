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

#include "AttentionKernelEmitter.h"

#include "FunctionKernel.h"
#include "celeris/GPU/TensorMapCopy.h"

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

std::pair<Value, Value>
AttentionKernelEmitter::classifyListedTile(const KeyTileSequence &keyTiles,
                                           Value n, Value keyTile) {
  if (!keyTiles.list)
    return classifyTile(keyTile);
  // A listed tile was classified when the list was made: not empty, and
  // full as the test found it. Past the list's capacity, classify it here.
  Type i1 = b.getI1Type();
  auto listed = scf::IfOp::create(b, TypeRange{i1, i1}, keyTiles.useList,
                                  /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(listed.thenBlock());
  scf::YieldOp::create(
      b, ValueRange{b.boolean(false), keyTiles.isListedFull(b, n)});
  b.setInsertionPointToStart(listed.elseBlock());
  auto [isEmpty, isFull] = classifyTile(keyTile);
  scf::YieldOp::create(b, ValueRange{isEmpty, isFull});
  return {listed.getResult(0), listed.getResult(1)};
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
        // A padded tile's columns past the operands' hold zeros.
        if (8 * (i / 4) >= spec.getSourceHeadDim())
          break;
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

SmallVector<Value>
AttentionKernelEmitter::loadKeyRows(const TileLoader &loader,
                                    const SharedMemory &smem, Value offset,
                                    Value source, Value keyTile, Value limit) {
  int64_t kvTile = schedule.getKvTile();
  Value row0 = b.add(kBase, b.mul(keyTile, kvTile));
  if (!pageTable)
    return loader.load(b, smem, offset, source, {batch, kvHead}, row0, limit,
                       /*column0=*/nullptr, spec.getColumnLimit(b));
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
  bool byTensorMaps = spec.copiesByTensorMaps();
  TilePipeline pipeline(smem,
                        byTensorMaps ? PipelineSync::TensorMemoryAccess
                        : wgmma      ? PipelineSync::MBarrier
                                     : PipelineSync::CtaBarrier,
                        stages, threads, layout.barrierBytes());
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
          b, scratch, tid, schedule.getWarps(), [&](Value keyTile) {
            auto [isEmpty, isFull] = classifyTile(keyTile);
            return KeyTileSequence::TileTest{b.notI(isEmpty), isFull};
          });
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
                              b.add(qBase, rowBegin), b.add(qBase, sq),
                              /*column0=*/nullptr, spec.getColumnLimit(b));
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
  // By TMA: thread 0 copies visit n's tiles (rows past the tensor read as
  // zeros) once its stage is free, and nothing for visits past the last (no
  // one waits for them).
  auto copyTile = [&](Value map, const SharedTile &tile, Value offset,
                      ValueRange outer, Value row0, Value full) {
    copySwizzledTile(b, smem, map, tile, offset, outer, row0, b.idx(0), full);
  };
  auto produceByTensorMaps = [&](Value n, bool withQuery) {
    Value first = b.cmp(arith::CmpIPredicate::eq, tid, b.idx(0));
    Value valid = b.cmp(arith::CmpIPredicate::slt, n, keyTiles.count);
    b.ifThen(b.andI(first, valid), [&] {
      int64_t bytes = 2 * 2 * layout.kv.elements() +
                      (withQuery ? 2 * layout.q.elements() : 0);
      pipeline.produceByTensorMaps(b, n, bytes, [&](Value stage, Value full) {
        if (withQuery)
          copyTile(qMap, layout.q, b.idx(layout.queryOffset), {batch, head},
                   rowBegin, full);
        Value row0 = b.mul(keyTiles.tileAt(b, n), layout.kv.rows);
        Value offset = stageOffset(stage);
        copyTile(kMap, layout.kv, offset, {batch, kvHead}, row0, full);
        copyTile(vMap, layout.kv, b.add(offset, layout.kv.elements()),
                 {batch, kvHead}, row0, full);
      });
    });
  };
  auto produce = [&](Value n, bool withQuery) {
    if (byTensorMaps)
      return produceByTensorMaps(n, withQuery);
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
    auto [isEmpty, isFull] = classifyListedTile(keyTiles, n, keyTile);
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
  MLIRContext *ctx = module.getContext();
  Builder builder(ctx);
  // Decode's last argument is the runtime's scratch memory for the partial
  // results of the splits (the `workspace` of celeris.launch).
  MemRefType workspace =
      spec.isDecode()
          ? MemRefType::get({ShapedType::kDynamic}, IntegerType::get(ctx, 8))
          : MemRefType();
  FailureOr<gpu::GPUFuncOp> created =
      createKernel(module, name, loc,
                   {{spec.query, "q"},
                    {spec.key, "k"},
                    {spec.value, "v"},
                    {spec.alibiSlopes, "alibi_slopes"},
                    {spec.qSegmentIds, "q_segment_ids"},
                    {spec.kvSegmentIds, "kv_segment_ids"},
                    {spec.cuSeqlensQ, "cu_seqlens_q"},
                    {spec.cuSeqlensKv, "cu_seqlens_kv"},
                    {spec.blockCounts, "block_counts"},
                    {spec.blockIndices, "block_indices"},
                    {spec.kvLengths, "kv_lengths"},
                    {spec.pageTable, "page_table"},
                    {spec.output, "out"},
                    {spec.lse, "lse"},
                    {workspace, "workspace"}},
                   spec.schedule);
  if (failed(created))
    return failure();
  gpu::GPUFuncOp kernel = *created;

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
    // An empty batch (G = 0) must give an empty grid, not a division by 0.
    std::string waves = "ceildiv(3*" + groups + "," + slots + ")";
    std::string splits = "max(1,min(min(" + std::to_string(kMaxDecodeSplits) +
                         ",ceildiv(" + keyTiles + ",4)),(" + waves + "*" +
                         slots + ")/max(1," + groups + ")))";
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
  // The results' shapes in terms of the inputs', so that a caller can
  // allocate them: out is [B, Hq, Sq, Dv], lse [B, Hq, Sq].
  NamedAttrList results;
  results.append("out",
                 builder.getStrArrayAttr({"q[0]", "q[1]", "q[2]", "v[3]"}));
  if (spec.lse)
    results.append("lse", builder.getStrArrayAttr({"q[0]", "q[1]", "q[2]"}));
  launch.append("results", results.getDictionary(ctx));
  kernel->setAttr("celeris.launch", launch.getDictionary(ctx));
  if (spec.copiesByTensorMaps()) {
    // A 64-column block of the Q tile and of a K or V tile a copy.
    int64_t queryTile = schedule.getQueryTile(), kvTile = schedule.getKvTile();
    addTensorMapArgument(kernel, 0, {1, 1, queryTile, 64});
    addTensorMapArgument(kernel, 1, {1, 1, kvTile, 64});
    addTensorMapArgument(kernel, 2, {1, 1, kvTile, 64});
  }
  capKernelRegisters(kernel, schedule.getThreads(), schedule.getMinCtasPerSm());
  AttentionKernelEmitter(kernel, spec).emit();
  return kernel;
}
