//===- AttentionDecode.cpp - What only the decode family does -------------===//
//
// The decode family's own pieces of the attention kernel (the file comment
// of AttentionKernel.cpp has the whole): the packed rows of a CTA (query
// heads of one KV head times query positions, 16 to a tile), and after the
// loop the merge of the warps' partial results, then either out and lse or
// the split's partial result in the workspace, the count, and the merge of
// the splits by the last one.
//
//===----------------------------------------------------------------------===//

#include "AttentionKernelEmitter.h"

#include "celeris/GPU/OnlineSoftmax.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cmath>

using namespace mlir;
using namespace mlir::celeris;

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
