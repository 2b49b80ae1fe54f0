//===- MaskTile.cpp - Masks and score transforms on fragments ------------===//

#include "celeris/GPU/MaskTile.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <cmath>

using namespace mlir;
using namespace mlir::celeris;

KeyTileSequence KeyTileSequence::get(KernelBuilder &b,
                                     ArrayRef<KeyTileRange> ranges) {
  KeyTileSequence sequence;
  sequence.ranges.assign(ranges.begin(), ranges.end());
  Value count = b.idx(0);
  for (const KeyTileRange &r : ranges) {
    sequence.rangeStarts.push_back(count);
    count = b.add(count, b.sub(r.end, r.begin));
  }
  sequence.count = count;
  return sequence;
}

KeyTileSequence KeyTileSequence::getBlockList(KernelBuilder &b, Value indices,
                                              ValueRange prefix,
                                              Value blockCount,
                                              int64_t tilesPerBlock) {
  KeyTileSequence sequence;
  sequence.blockIndices = indices;
  sequence.listPrefix.assign(prefix.begin(), prefix.end());
  sequence.tilesPerBlock = tilesPerBlock;
  sequence.count = b.mul(b.maxS(blockCount, b.idx(0)), tilesPerBlock);
  return sequence;
}

KeyTileSequence
KeyTileSequence::compact(KernelBuilder &b, Value scratch, Value threadId,
                         int64_t warps,
                         function_ref<TileTest(Value tile)> test) const {
  using Pred = arith::CmpIPredicate;
  int64_t capacity =
      (cast<MemRefType>(scratch.getType()).getDimSize(0) - 1) / 2;
  Value warp = b.divu(threadId, 32), lane = b.remu(threadId, 32);
  Value candidates = b.minS(count, b.idx(capacity));
  // A flag per visit, the visits spread over the warps: each test is a
  // warp-wide reduction that waits on memory, so they run side by side.
  auto tests = scf::ForOp::create(b, warp, candidates, b.idx(warps));
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(tests.getBody());
    Value n = tests.getInductionVar();
    // 0: dropped, 1: kept, 2: kept and full.
    TileTest found = test(tileAt(b, n));
    Value flag = b.select(found.keep, b.i32(1), b.i32(0));
    if (found.full)
      flag = b.select(b.andI(found.keep, found.full), b.i32(2), flag);
    b.ifThen(b.cmp(Pred::eq, lane, b.idx(0)), [&] {
      memref::StoreOp::create(b, flag, scratch, b.add(n, capacity));
    });
  }
  gpu::BarrierOp::create(b);
  // Thread 0 lists the kept tiles in visit order, and their flags after
  // them: entry `kept` of the flags is read before it is written (kept <=
  // n).
  b.ifThen(b.cmp(Pred::eq, threadId, b.idx(0)), [&] {
    auto list = scf::ForOp::create(b, b.idx(0), candidates, b.idx(1),
                                   ValueRange{b.i32(0)});
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(list.getBody());
      Value n = list.getInductionVar(), kept = list.getRegionIterArgs()[0];
      Value flag =
          memref::LoadOp::create(b, scratch, ValueRange{b.add(n, capacity)});
      Value listed = b.cmp(Pred::ne, flag, b.i32(0));
      b.ifThen(listed, [&] {
        memref::StoreOp::create(b, b.toI32(tileAt(b, n)), scratch,
                                ValueRange{b.toIndex(kept)});
        memref::StoreOp::create(b, flag, scratch,
                                ValueRange{b.add(b.toIndex(kept), capacity)});
      });
      scf::YieldOp::create(
          b, ValueRange{b.add(kept, b.select(listed, b.i32(1), b.i32(0)))});
    }
    memref::StoreOp::create(b, list.getResult(0), scratch,
                            ValueRange{b.idx(2 * capacity)});
  });
  // The list is read by every thread.
  gpu::BarrierOp::create(b);
  Value kept = b.toIndex(
      memref::LoadOp::create(b, scratch, ValueRange{b.idx(2 * capacity)}));
  KeyTileSequence compacted = *this;
  compacted.list = scratch;
  compacted.listCapacity = capacity;
  compacted.useList = b.cmp(Pred::sle, count, b.idx(capacity));
  compacted.count = b.select(compacted.useList, kept, count);
  return compacted;
}

Value KeyTileSequence::isListedFull(KernelBuilder &b, Value n) const {
  assert(list && "a compacted sequence");
  if (firstVisit)
    n = b.add(n, firstVisit);
  Value at = b.add(b.minS(n, b.idx(listCapacity - 1)), listCapacity);
  return b.cmp(arith::CmpIPredicate::eq, memref::LoadOp::create(b, list, at),
               b.i32(2));
}

KeyTileSequence KeyTileSequence::slice(KernelBuilder &b, Value begin,
                                       Value end) const {
  KeyTileSequence sliced = *this;
  sliced.firstVisit = firstVisit ? b.add(firstVisit, begin) : begin;
  sliced.count = b.sub(end, begin);
  return sliced;
}

Value KeyTileSequence::tileAt(KernelBuilder &b, Value n) const {
  if (firstVisit) {
    KeyTileSequence whole = *this;
    whole.firstVisit = Value();
    return whole.tileAt(b, b.add(n, firstVisit));
  }
  if (list) {
    KeyTileSequence plain = *this;
    plain.list = plain.useList = Value();
    Value at = b.minS(n, b.idx(listCapacity - 1));
    Value listed = b.toIndex(memref::LoadOp::create(b, list, at));
    return b.select(useList, listed, plain.tileAt(b, n));
  }
  if (blockIndices) {
    // Entry n / r, clamped into the list (visits past the end load
    // nothing, but their address must be valid).
    auto type = cast<MemRefType>(blockIndices.getType());
    int64_t rank = type.getRank();
    Value last =
        b.sub(memref::DimOp::create(b, blockIndices, rank - 1), b.idx(1));
    Value entry = b.maxS(b.minS(b.divu(n, tilesPerBlock), last), b.idx(0));
    SmallVector<Value> index(listPrefix);
    index.push_back(entry);
    Value block = b.toIndex(memref::LoadOp::create(b, blockIndices, index));
    return b.add(b.mul(block, tilesPerBlock), b.remu(n, tilesPerBlock));
  }
  // From the last range back: visit n is in range r when n falls below the
  // start of range r + 1.
  ArrayRef<Value> starts = rangeStarts;
  const KeyTileRange &last = ranges.back();
  Value tile = b.add(last.begin, b.sub(n, starts.back()));
  for (int64_t i = ranges.size() - 2; i >= 0; --i) {
    Value inRange = b.cmp(arith::CmpIPredicate::slt, n, starts[i + 1]);
    tile = b.select(inRange, b.add(ranges[i].begin, b.sub(n, starts[i])), tile);
  }
  return tile;
}

KeyTileSequence MaskTile::getKeyTiles(KernelBuilder &b, Value rowBegin,
                                      Value rowEnd, int64_t tileSize) const {
  SmallVector<KeyTileRange> ranges =
      buildKeyTileRanges(b, b.getLoc(), mask, b.add(rowBegin, queryOffset),
                         b.add(rowEnd, queryOffset), kvLength, tileSize);
  return KeyTileSequence::get(b, ranges);
}

/// Whether every key tile of buildKeyTileRanges holds an allowed pair of
/// the query rows it was built for.
static bool hasTightKeyRanges(MaskAttr mask) {
  switch (mask.getKind()) {
  case MaskKind::All:
  case MaskKind::Causal:
  case MaskKind::Window:
  case MaskKind::Sink:
  case MaskKind::Prefix:
  case MaskKind::BlockCausal:
  case MaskKind::Chunked:
    return true;
  case MaskKind::Union:
    // Each range is one part's, and tight for it.
    return llvm::all_of(mask.getOperands(), hasTightKeyRanges);
  default:
    return false;
  }
}

bool MaskTile::mayVisitEmptyTiles() const { return !hasTightKeyRanges(mask); }

std::pair<Value, Value> MaskTile::classify(KernelBuilder &b, Value rowBegin,
                                           Value rowEnd, Value keyBegin,
                                           int64_t tileSize) const {
  Value keyEnd = b.add(keyBegin, tileSize);
  auto [empty, full] =
      buildTileClassification(b, b.getLoc(), mask, b.add(rowBegin, queryOffset),
                              b.add(rowEnd, queryOffset), keyBegin, keyEnd);
  // Keys outside [0, kvLength) make a tile partial (block lists name any
  // block).
  Value inside = b.andI(b.cmp(arith::CmpIPredicate::sle, keyEnd, kvLength),
                        b.cmp(arith::CmpIPredicate::sge, keyBegin, b.idx(0)));
  return {empty, b.andI(full, inside)};
}

void MaskTile::apply(KernelBuilder &b, AccumulatorFragment &scores,
                     ArrayRef<Value> rows, Value keyBase) const {
  // Per element in i32: positions and keys of one problem fit, and 64-bit
  // integer operations take two instructions each.
  Value negInf = b.f32(-INFINITY);
  Value offset = b.toI32(queryOffset), length = b.toI32(kvLength);
  Value positions[2] = {b.add(b.toI32(rows[0]), offset),
                        b.add(b.toI32(rows[1]), offset)};
  Value key0 = b.toI32(keyBase);
  for (auto [i, s] : llvm::enumerate(scores.values)) {
    Value key = b.add(key0, AccumulatorFragment::columnOf(i));
    Value allowed = b.andI(
        buildMaskPredicate(b, b.getLoc(), mask,
                           positions[AccumulatorFragment::rowOf(i)], key),
        b.cmp(arith::CmpIPredicate::ult, key, length));
    s = b.select(allowed, s, negInf);
  }
}

Value ScoreTransform::apply(KernelBuilder &b, AccumulatorFragment &scores,
                            ArrayRef<Value> rows, Value keyBase) const {
  constexpr double log2e = 1.4426950408889634;
  if (isIdentity())
    return b.f32(scale * log2e);
  Value scaleValue = b.f32(softcap ? scale / *softcap : scale);
  Value positions[2], key0;
  if (alibiSlope[0]) {
    for (int64_t r = 0; r < 2; ++r)
      positions[r] = b.toI32(b.add(rows[r], queryOffset));
    key0 = b.toI32(keyBase);
  }
  for (auto [i, s] : llvm::enumerate(scores.values)) {
    s = b.mulF(s, scaleValue);
    if (alibiSlope[0]) {
      // slope (j - p); with a softcap the bias is divided by c as well.
      int64_t row = AccumulatorFragment::rowOf(i);
      Value key = b.add(key0, AccumulatorFragment::columnOf(i));
      Value distance = b.sub(key, positions[row]);
      Value d = arith::SIToFPOp::create(b, b.getF32Type(), distance);
      Value slope = softcap ? b.mulF(alibiSlope[row], b.f32(1.0 / *softcap))
                            : alibiSlope[row];
      s = b.fma(slope, d, s);
    }
    if (softcap)
      s = b.mulF(b.tanh(s), b.f32(*softcap));
  }
  return b.f32(log2e);
}
