//===- BlockScan.cpp - Blocked elementwise linear scan ----------*- C++ -*-===//
//
// The celeris-block-scan pass: rewrites celeris.scan (h_t = a_t h_{t-1} + b_t
// along one axis) into the three phases of a blocked scan over blocks of
// `block` positions (the last one shorter when the block does not divide the
// axis), in f32:
//
//   1. local scans, independent across blocks: for each block, from zero,
//        hLocal_t = a_t hLocal_{t-1} + b_t,   P_t = a_t P_{t-1}
//      (P_t the product of a over the block up to t, hLocal and P starting
//      from 0 and 1 at the block's first position);
//   2. carry propagation, sequential over blocks: carry_0 = initial and
//        carry_{k+1} = hLocal_last(k) + P_last(k) carry_k;
//   3. fix-up, parallel within a block: h_t = hLocal_t + P_t carry_k.
//
// Since h_t = hLocal_t + P_t h_(block start - 1) by linearity, this is the
// scan. Phases 2 and 3 share one loop over blocks. The reverse scan is the
// same computation in reverse order: scan step s visits position T - 1 - s,
// and the blocks are taken from the end.
//
//===----------------------------------------------------------------------===//

#include "celeris/Conversion/Passes.h"
#include "celeris/Dialect/Celeris/IR/CelerisOps.h"
#include "celeris/Utils/TensorBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::celeris {
#define GEN_PASS_DEF_CELERISBLOCKSCAN
#include "celeris/Conversion/Passes.h.inc"
} // namespace mlir::celeris

using namespace mlir;
using namespace mlir::celeris;

namespace {

using utils::IteratorType;

/// Builds the blocked form of one celeris.scan.
class BlockedScanBuilder {
public:
  BlockedScanBuilder(PatternRewriter &rewriter, ScanOp op, int64_t block)
      : rewriter(rewriter), loc(op.getLoc()), op(op), blockSize(block),
        f32(rewriter.getF32Type()), axis(op.getAxis()),
        reverse(op.getReverse()), tb{rewriter, loc} {
    sizes = tensor::getMixedSizes(rewriter, loc, op.getA());
    rank = sizes.size();
    length = getValueOrCreateConstantIndexOp(rewriter, loc, sizes[axis]);
    pointSizes = sizes;
    pointSizes[axis] = index(1);
  }

  /// Emits the three phases and returns h.
  Value build();

private:
  OpFoldResult index(int64_t i) { return rewriter.getIndexAttr(i); }
  Value indexConstant(int64_t i) {
    return arith::ConstantIndexOp::create(rewriter, loc, i);
  }
  /// src[... , offset +: len (along the axis), ...]. One position keeps its
  /// unit axis (rather than a rank-reducing slice, whose dropped dimension
  /// is ambiguous when other dimensions are 1 too).
  Value slab(Value src, OpFoldResult offset, OpFoldResult len);
  Value point(Value src, Value pos) { return slab(src, pos, index(1)); }
  Value insertSlab(Value src, Value dest, OpFoldResult offset,
                   OpFoldResult len);
  /// Elementwise generic over `init`'s shape; `inputs` are read through the
  /// identity or, for those listed in `broadcast`, at position 0 of the scan
  /// axis (a one-position tensor broadcast along it).
  SmallVector<Value>
  elementwise(ValueRange inits, ValueRange inputs, ArrayRef<bool> broadcast,
              function_ref<SmallVector<Value>(OpBuilder &, ValueRange)> body);

  /// The number of positions of the block starting at scan step `start`.
  OpFoldResult blockLength(Value start);
  /// The axis position of scan step `step`.
  Value position(Value step);
  /// The lowest axis position of the block of `len` steps starting at scan
  /// step `start`.
  Value blockOffset(Value start, OpFoldResult len);

  Value initialCarry(Value initial);
  std::pair<Value, Value> localScans();
  Value propagateAndFixUp(Value hLocal, Value prodA);

  PatternRewriter &rewriter;
  Location loc;
  ScanOp op;
  int64_t blockSize;
  Type f32;
  int64_t axis;
  bool reverse;
  TensorBuilder tb;
  int64_t rank;
  SmallVector<OpFoldResult> sizes, pointSizes;
  Value length;
  bool fullBlocks = false;
};

Value BlockedScanBuilder::slab(Value src, OpFoldResult offset,
                               OpFoldResult len) {
  SmallVector<OpFoldResult> offsets(rank, index(0)), sliceSizes(sizes);
  offsets[axis] = offset;
  sliceSizes[axis] = len;
  SmallVector<OpFoldResult> strides(rank, index(1));
  return tensor::ExtractSliceOp::create(rewriter, loc, src, offsets, sliceSizes,
                                        strides);
}

Value BlockedScanBuilder::insertSlab(Value src, Value dest, OpFoldResult offset,
                                     OpFoldResult len) {
  SmallVector<OpFoldResult> offsets(rank, index(0)), sliceSizes(sizes);
  offsets[axis] = offset;
  sliceSizes[axis] = len;
  SmallVector<OpFoldResult> strides(rank, index(1));
  return tensor::InsertSliceOp::create(rewriter, loc, src, dest, offsets,
                                       sliceSizes, strides);
}

SmallVector<Value> BlockedScanBuilder::elementwise(
    ValueRange inits, ValueRange inputs, ArrayRef<bool> broadcast,
    function_ref<SmallVector<Value>(OpBuilder &, ValueRange)> body) {
  MLIRContext *ctx = rewriter.getContext();
  unsigned n = cast<RankedTensorType>(inits[0].getType()).getRank();
  AffineMap id = AffineMap::getMultiDimIdentityMap(n, ctx);
  AffineMap atAxisStart = id.replace(getAffineDimExpr(axis, ctx),
                                     getAffineConstantExpr(0, ctx), n, 0);
  SmallVector<AffineMap> maps;
  for (bool bcast : broadcast)
    maps.push_back(bcast ? atAxisStart : id);
  maps.append(inits.size(), id);
  SmallVector<IteratorType> iterators(n, IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      rewriter, loc, ValueRange(inits).getTypes(), inputs, inits, maps,
      iterators, [&](OpBuilder &b, Location l, ValueRange args) {
        linalg::YieldOp::create(b, l, body(b, args));
      });
  return SmallVector<Value>(generic.getResults());
}

OpFoldResult BlockedScanBuilder::blockLength(Value start) {
  if (fullBlocks)
    return index(blockSize);
  Value remaining = arith::SubIOp::create(rewriter, loc, length, start);
  return arith::MinSIOp::create(rewriter, loc, indexConstant(blockSize),
                                remaining)
      .getResult();
}

Value BlockedScanBuilder::position(Value step) {
  if (!reverse)
    return step;
  Value last = arith::SubIOp::create(rewriter, loc, length, indexConstant(1));
  return arith::SubIOp::create(rewriter, loc, last, step);
}

Value BlockedScanBuilder::blockOffset(Value start, OpFoldResult len) {
  if (!reverse)
    return start;
  // Steps start .. start + len - 1 visit T - start - len .. T - 1 - start.
  Value end = arith::AddIOp::create(
      rewriter, loc, start,
      getValueOrCreateConstantIndexOp(rewriter, loc, len));
  return arith::SubIOp::create(rewriter, loc, length, end);
}

/// Phase 1: per block, the scan from zero and the running product of a.
std::pair<Value, Value> BlockedScanBuilder::localScans() {
  Value hInit = tensor::EmptyOp::create(rewriter, loc, sizes, f32);
  Value pInit = tensor::EmptyOp::create(rewriter, loc, sizes, f32);
  Value zero = indexConstant(0), one = indexConstant(1);
  auto blocks =
      scf::ForOp::create(rewriter, loc, zero, length, indexConstant(blockSize),
                         ValueRange{hInit, pInit});
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointToStart(blocks.getBody());
  Value start = blocks.getInductionVar();
  OpFoldResult len = blockLength(start);

  auto steps = scf::ForOp::create(
      rewriter, loc, zero, getValueOrCreateConstantIndexOp(rewriter, loc, len),
      one,
      ValueRange{blocks.getRegionIterArgs()[0], blocks.getRegionIterArgs()[1],
                 tb.filledF32(pointSizes, 0.0), tb.filledF32(pointSizes, 1.0)});
  {
    OpBuilder::InsertionGuard inner(rewriter);
    rewriter.setInsertionPointToStart(steps.getBody());
    ValueRange iter = steps.getRegionIterArgs();
    Value pos = position(
        arith::AddIOp::create(rewriter, loc, start, steps.getInductionVar()));
    SmallVector<Value> next = elementwise(
        {tensor::EmptyOp::create(rewriter, loc, pointSizes, f32),
         tensor::EmptyOp::create(rewriter, loc, pointSizes, f32)},
        {point(op.getA(), pos), point(op.getB(), pos), iter[2], iter[3]},
        {false, false, false, false},
        [&](OpBuilder &b, ValueRange args) -> SmallVector<Value> {
          Value a = toF32(b, loc, args[0]);
          Value h = arith::AddFOp::create(
              b, loc, arith::MulFOp::create(b, loc, a, args[2]),
              toF32(b, loc, args[1]));
          return {h, arith::MulFOp::create(b, loc, a, args[3])};
        });
    Value h = insertSlab(next[0], iter[0], pos, index(1));
    Value p = insertSlab(next[1], iter[1], pos, index(1));
    scf::YieldOp::create(rewriter, loc, ValueRange{h, p, next[0], next[1]});
  }
  scf::YieldOp::create(rewriter, loc,
                       ValueRange{steps.getResult(0), steps.getResult(1)});
  return {blocks.getResult(0), blocks.getResult(1)};
}

/// `initial` (the shape of a without the axis) as a one-position f32 slab.
Value BlockedScanBuilder::initialCarry(Value initial) {
  MLIRContext *ctx = rewriter.getContext();
  SmallVector<AffineExpr> withoutAxis;
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis)
      withoutAxis.push_back(getAffineDimExpr(d, ctx));
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
  SmallVector<IteratorType> iterators(rank, IteratorType::parallel);
  Value init = tensor::EmptyOp::create(rewriter, loc, pointSizes, f32);
  return tb.generic(
      init, ValueRange{initial}, {tb.map(rank, withoutAxis), id}, iterators,
      [&](OpBuilder &b, ValueRange args) { return toF32(b, loc, args[0]); });
}

/// Phases 2 and 3: the carry into each block, in block order, and the
/// fix-up h = hLocal + P carry of the block's positions.
Value BlockedScanBuilder::propagateAndFixUp(Value hLocal, Value prodA) {
  Type outType = op.getH().getType().getElementType();
  Value outInit = tensor::EmptyOp::create(rewriter, loc, sizes, outType);
  // The carry is a one-position slab [..., 1, ...] in f32.
  Value carryInit;
  if (Value initial = op.getInitial())
    carryInit = initialCarry(initial);
  else
    carryInit = tb.filledF32(pointSizes, 0.0);

  auto blocks = scf::ForOp::create(rewriter, loc, indexConstant(0), length,
                                   indexConstant(blockSize),
                                   ValueRange{outInit, carryInit});
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointToStart(blocks.getBody());
  Value start = blocks.getInductionVar();
  Value out = blocks.getRegionIterArgs()[0];
  Value carry = blocks.getRegionIterArgs()[1];
  OpFoldResult len = blockLength(start);
  Value offset = blockOffset(start, len);

  SmallVector<OpFoldResult> slabSizes(sizes);
  slabSizes[axis] = len;
  Value fixedInit = tensor::EmptyOp::create(rewriter, loc, slabSizes, outType);
  Value fixed = elementwise(
      {fixedInit}, {slab(hLocal, offset, len), slab(prodA, offset, len), carry},
      {false, false, true},
      [&](OpBuilder &b, ValueRange args) -> SmallVector<Value> {
        Value h = arith::AddFOp::create(
            b, loc, args[0], arith::MulFOp::create(b, loc, args[1], args[2]));
        return {fromF32(b, loc, h, outType)};
      })[0];
  Value newOut = insertSlab(fixed, out, offset, len);

  // The carry out of the block is h at its last position in scan order.
  Value lastStep = arith::SubIOp::create(
      rewriter, loc,
      arith::AddIOp::create(
          rewriter, loc, start,
          getValueOrCreateConstantIndexOp(rewriter, loc, len)),
      indexConstant(1));
  Value last = position(lastStep);
  Value newCarry = elementwise(
      {tensor::EmptyOp::create(rewriter, loc, pointSizes, f32)},
      {point(hLocal, last), point(prodA, last), carry}, {false, false, false},
      [&](OpBuilder &b, ValueRange args) -> SmallVector<Value> {
        return {arith::AddFOp::create(
            b, loc, args[0], arith::MulFOp::create(b, loc, args[1], args[2]))};
      })[0];
  scf::YieldOp::create(rewriter, loc, ValueRange{newOut, newCarry});
  return blocks.getResult(0);
}

Value BlockedScanBuilder::build() {
  // Static block shapes when every block is full.
  if (std::optional<int64_t> t = getConstantIntValue(sizes[axis])) {
    if (*t > 0)
      blockSize = std::min(blockSize, *t);
    fullBlocks = *t % blockSize == 0;
  }
  auto [hLocal, prodA] = localScans();
  return propagateAndFixUp(hLocal, prodA);
}

struct BlockScan : OpRewritePattern<ScanOp> {
  BlockScan(MLIRContext *ctx, int64_t block)
      : OpRewritePattern(ctx), block(block) {}

  LogicalResult matchAndRewrite(ScanOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, BlockedScanBuilder(rewriter, op, block).build());
    return success();
  }

  int64_t block;
};

struct CelerisBlockScanPass
    : mlir::celeris::impl::CelerisBlockScanBase<CelerisBlockScanPass> {
  using Base::Base;
  void runOnOperation() override {
    if (block < 1) {
      getOperation()->emitError("celeris-block-scan: block must be "
                                "positive, got ")
          << static_cast<int64_t>(block);
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    patterns.add<BlockScan>(&getContext(), block);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
