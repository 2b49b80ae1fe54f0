//===- BlockLayoutToLinalg.cpp - Reference lowering ------------------*- C++
//-*-===//
//
// Reference lowering of celeris.mask_block_layout and celeris.topk_blocks.
// Both ops choose a set of key blocks per query block and emit it as a
// compacted, ascending list; both lower to linalg.generic ops on tensors
// without loops or scatters:
//
//   eligible[0,0,qb,kb] = OR_{ii<bq, jj<bk} i < q_len and j < kv_len and
//                         mask(i + offset, j)   (i = qb*bq + ii, j = kb*bk +
//                         jj)
//
//   topk_blocks only: a candidate is an eligible block whose score is not NaN;
//   rank[kb] = #{candidates kb' that beat kb}, where kb' beats kb when
//              s[kb'] > s[kb], or s[kb'] == s[kb] and kb' < kb;
//   selected[kb] = candidate[kb] and rank[kb] < k
//   (candidates are totally ordered, so exactly min(k, #candidates) blocks
//   are selected: the k best, ties going to the lower index).
//
//   Compaction of a selection sel[b,h,qb,kb]:
//   pos[kb]      = #{kb' < kb : sel[kb']}      (slot of kb in the list)
//   counts       = #{kb : sel[kb]}
//   indices[r]   = sum_kb (sel[kb] and pos[kb] == r) ? kb : 0
//   At most one block lands in each slot r, so the sum is that block or 0,
//   the value the ops document for unused slots.
//
//===----------------------------------------------------------------------===//

#include "celeris/Conversion/CelerisToLinalg/CelerisToLinalg.h"
#include "celeris/Dialect/Celeris/IR/CelerisOps.h"
#include "celeris/Utils/TensorBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::celeris;

namespace {

using utils::IteratorType;

/// Builds the eligibility grid and the compaction shared by both ops.
class BlockLayoutBuilder {
public:
  BlockLayoutBuilder(PatternRewriter &rewriter, Location loc)
      : rewriter(rewriter), loc(loc), ctx(rewriter.getContext()),
        i1(rewriter.getI1Type()),
        i32(rewriter.getI32Type()), tb{rewriter, loc} {}

  /// eligible[0, 0, qb, kb] (i1): the block pair holds an allowed pair of
  /// `mask`. `qLen` and `kvLen` bound the positions of a partial last block;
  /// they may be null when every block is full.
  Value buildEligibility(MaskAttr mask, ArrayRef<int64_t> blockSize,
                         OpFoldResult numQueryBlocks, OpFoldResult numKeyBlocks,
                         Value offset, Value qLen, Value kvLen);

  /// Compacts the selection `selected[b, h, qb, kb]` (i1) into ascending
  /// lists of the types of `countsType` and `indicesType`.
  std::pair<Value, Value> compact(Value selected, RankedTensorType countsType,
                                  RankedTensorType indicesType);

  /// The sizes of a tensor of type `type`, taking the dynamic ones from
  /// `like`.
  SmallVector<OpFoldResult> sizesOf(RankedTensorType type, Value like) {
    SmallVector<OpFoldResult> sizes;
    for (int64_t d = 0; d < type.getRank(); ++d)
      sizes.push_back(type.isDynamicDim(d)
                          ? tensor::getMixedSize(rewriter, loc, like, d)
                          : rewriter.getIndexAttr(type.getDimSize(d)));
    return sizes;
  }

  /// A tensor of `shape` and integer `type` filled with `value`.
  Value filled(ArrayRef<OpFoldResult> shape, Type type, int64_t value) {
    return tb.filled(shape, rewriter.getIntegerAttr(type, value));
  }

  PatternRewriter &rewriter;
  Location loc;
  MLIRContext *ctx;
  Type i1, i32;
  TensorBuilder tb;
};

Value BlockLayoutBuilder::buildEligibility(
    MaskAttr mask, ArrayRef<int64_t> blockSize, OpFoldResult numQueryBlocks,
    OpFoldResult numKeyBlocks, Value offset, Value qLen, Value kvLen) {
  const auto par = IteratorType::parallel, red = IteratorType::reduction;
  int64_t bq = blockSize[0], bk = blockSize[1];
  AffineExpr d0, d1, d2, d3, d4, d5;
  bindDims(ctx, d0, d1, d2, d3, d4, d5);
  OpFoldResult one = rewriter.getIndexAttr(1);
  // The in-block offsets (ii, jj) are reduction dimensions; their extents
  // come from a shape-only operand that is never read, as the window operand
  // of linalg's pooling ops.
  Value blockShape =
      tensor::EmptyOp::create(rewriter, loc,
                              ArrayRef<OpFoldResult>{rewriter.getIndexAttr(bq),
                                                     rewriter.getIndexAttr(bk)},
                              i1);
  return tb.generic(
      filled({one, one, numQueryBlocks, numKeyBlocks}, i1, 0), {blockShape},
      {tb.map(6, {d4, d5}), tb.map(6, {d0, d1, d2, d3})},
      {par, par, par, par, red, red},
      [&](OpBuilder &b, ValueRange args) -> Value {
        auto index = [&](int64_t dim, int64_t blockLen) -> Value {
          Value block = linalg::IndexOp::create(b, loc, dim);
          Value inner = linalg::IndexOp::create(b, loc, dim + 2);
          Value len = arith::ConstantIndexOp::create(b, loc, blockLen);
          return arith::AddIOp::create(
              b, loc, arith::MulIOp::create(b, loc, block, len), inner);
        };
        Value i = index(2, bq), j = index(3, bk);
        Value p = arith::AddIOp::create(b, loc, i, offset);
        Value allowed = buildMaskPredicate(b, loc, mask, p, j);
        using Pred = arith::CmpIPredicate;
        if (qLen)
          allowed = arith::AndIOp::create(
              b, loc, allowed,
              arith::CmpIOp::create(b, loc, Pred::slt, i, qLen));
        if (kvLen)
          allowed = arith::AndIOp::create(
              b, loc, allowed,
              arith::CmpIOp::create(b, loc, Pred::slt, j, kvLen));
        return arith::OrIOp::create(b, loc, args[1], allowed);
      });
}

std::pair<Value, Value>
BlockLayoutBuilder::compact(Value selected, RankedTensorType countsType,
                            RankedTensorType indicesType) {
  const auto par = IteratorType::parallel, red = IteratorType::reduction;
  AffineExpr d0, d1, d2, d3, d4;
  bindDims(ctx, d0, d1, d2, d3, d4);
  AffineMap outer = tb.map(5, {d0, d1, d2, d4}),
            inner = tb.map(5, {d0, d1, d2, d3});
  SmallVector<OpFoldResult> selectedSizes =
      tensor::getMixedSizes(rewriter, loc, selected);

  // pos[b, h, qb, kb] = #{kb' < kb : selected[kb']}, kb' = d4.
  Value pos = tb.generic(
      filled(selectedSizes, i32, 0), {selected}, {outer, inner},
      {par, par, par, par, red}, [&](OpBuilder &b, ValueRange args) -> Value {
        Value before =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                  linalg::IndexOp::create(b, loc, 4),
                                  linalg::IndexOp::create(b, loc, 3));
        Value counted = arith::AndIOp::create(b, loc, args[0], before);
        return arith::AddIOp::create(
            b, loc, args[1], arith::ExtUIOp::create(b, loc, i32, counted));
      });

  AffineMap id4 = tb.map(4, {d0, d1, d2, d3}), row4 = tb.map(4, {d0, d1, d2});
  Value counts = tb.generic(
      filled(sizesOf(countsType, selected), i32, 0), {selected}, {id4, row4},
      {par, par, par, red}, [&](OpBuilder &b, ValueRange args) -> Value {
        return arith::AddIOp::create(
            b, loc, args[1], arith::ExtUIOp::create(b, loc, i32, args[0]));
      });

  // indices[b, h, qb, r] = the selected kb (= d4) in slot r (= d3), or 0.
  Value indices = tb.generic(
      filled(sizesOf(indicesType, selected), i32, 0), {selected, pos},
      {outer, outer, inner}, {par, par, par, par, red},
      [&](OpBuilder &b, ValueRange args) -> Value {
        Value kb = linalg::IndexOp::create(b, loc, 4);
        Value slot = arith::IndexCastOp::create(
            b, loc, i32, linalg::IndexOp::create(b, loc, 3));
        Value inSlot = arith::AndIOp::create(
            b, loc, args[0],
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, args[1],
                                  slot));
        Value value = arith::SelectOp::create(
            b, loc, inSlot, arith::IndexCastOp::create(b, loc, i32, kb),
            arith::ConstantIntOp::create(b, loc, i32, 0));
        return arith::AddIOp::create(b, loc, args[2], value);
      });
  return {counts, indices};
}

/// ceil(len / block) as an index value.
Value ceilDiv(OpBuilder &b, Location loc, Value len, int64_t block) {
  return arith::CeilDivSIOp::create(
      b, loc, len, arith::ConstantIndexOp::create(b, loc, block));
}

struct MaskBlockLayoutToLinalg : OpRewritePattern<MaskBlockLayoutOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MaskBlockLayoutOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    BlockLayoutBuilder builder(rewriter, loc);
    ArrayRef<int64_t> blockSize = op.getBlockSize();
    RankedTensorType indicesType = op.getIndices().getType();
    Value qLen = op.getQLen(), kvLen = op.getKvLen();
    // The grid extents: static from the result types, else computed.
    auto extent = [&](int64_t dim, Value len, int64_t block) -> OpFoldResult {
      if (!indicesType.isDynamicDim(dim))
        return rewriter.getIndexAttr(indicesType.getDimSize(dim));
      return ceilDiv(rewriter, loc, len, block);
    };
    Value offset =
        op.getQueryOffset()
            ? arith::ConstantIndexOp::create(rewriter, loc,
                                             *op.getQueryOffset())
                  .getResult()
            : arith::SubIOp::create(rewriter, loc, kvLen, qLen).getResult();
    Value eligible = builder.buildEligibility(
        op.getMask(), blockSize, extent(2, qLen, blockSize[0]),
        extent(3, kvLen, blockSize[1]), offset, qLen, kvLen);
    auto [counts, indices] = builder.compact(eligible, op.getCounts().getType(),
                                             op.getIndices().getType());
    rewriter.replaceOp(op, {counts, indices});
    return success();
  }
};

struct TopkBlocksToLinalg : OpRewritePattern<TopkBlocksOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TopkBlocksOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    BlockLayoutBuilder builder(rewriter, loc);
    const auto par = IteratorType::parallel, red = IteratorType::reduction;
    Value scores = op.getScores();
    SmallVector<OpFoldResult> sizes =
        tensor::getMixedSizes(rewriter, loc, scores);
    AffineExpr d0, d1, d2, d3, d4;
    bindDims(ctx, d0, d1, d2, d3, d4);
    AffineMap id4 = builder.tb.map(4, {d0, d1, d2, d3});

    // Eligibility over NQB * bq queries and NKB * bk keys (every block full).
    Value eligible;
    if (MaskAttr mask = op.getMaskAttr()) {
      ArrayRef<int64_t> blockSize = *op.getBlockSize();
      Value offset;
      if (std::optional<int64_t> given = op.getQueryOffset()) {
        offset = arith::ConstantIndexOp::create(rewriter, loc, *given);
      } else {
        auto len = [&](int64_t dim, int64_t block) -> Value {
          Value blocks =
              getValueOrCreateConstantIndexOp(rewriter, loc, sizes[dim]);
          return arith::MulIOp::create(
              rewriter, loc, blocks,
              arith::ConstantIndexOp::create(rewriter, loc, block));
        };
        offset = arith::SubIOp::create(rewriter, loc, len(3, blockSize[1]),
                                       len(2, blockSize[0]));
      }
      eligible = builder.buildEligibility(mask, blockSize, sizes[2], sizes[3],
                                          offset, Value(), Value());
    }

    // candidate[b, h, qb, kb] = eligible and not NaN.
    SmallVector<Value> candidateInputs = {scores};
    SmallVector<AffineMap> candidateMaps = {id4};
    if (eligible) {
      AffineExpr zero = getAffineConstantExpr(0, ctx);
      candidateInputs.push_back(eligible);
      candidateMaps.push_back(builder.tb.map(4, {zero, zero, d2, d3}));
    }
    candidateMaps.push_back(id4);
    Value candidate = builder.tb.generic(
        builder.filled(sizes, builder.i1, 0), candidateInputs, candidateMaps,
        {par, par, par, par}, [&](OpBuilder &b, ValueRange args) -> Value {
          Value ordered = arith::CmpFOp::create(
              b, loc, arith::CmpFPredicate::ORD, args[0], args[0]);
          if (!eligible)
            return ordered;
          return arith::AndIOp::create(b, loc, ordered, args[1]);
        });

    // rank[b, h, qb, kb] = #{candidates kb' (= d4) that beat kb (= d3)}.
    AffineMap other = builder.tb.map(5, {d0, d1, d2, d4});
    AffineMap self = builder.tb.map(5, {d0, d1, d2, d3});
    Value rank = builder.tb.generic(
        builder.filled(sizes, builder.i32, 0), {scores, candidate, scores},
        {other, other, self, self}, {par, par, par, par, red},
        [&](OpBuilder &b, ValueRange args) -> Value {
          // Comparisons in f32 are exact for every score element type.
          Value theirs = toF32(b, loc, args[0]), mine = toF32(b, loc, args[2]);
          Value greater = arith::CmpFOp::create(
              b, loc, arith::CmpFPredicate::OGT, theirs, mine);
          Value equal = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                              theirs, mine);
          Value lower =
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                    linalg::IndexOp::create(b, loc, 4),
                                    linalg::IndexOp::create(b, loc, 3));
          Value beats = arith::OrIOp::create(
              b, loc, greater, arith::AndIOp::create(b, loc, equal, lower));
          Value counted = arith::AndIOp::create(b, loc, args[1], beats);
          return arith::AddIOp::create(
              b, loc, args[3],
              arith::ExtUIOp::create(b, loc, builder.i32, counted));
        });

    Value k = arith::ConstantIntOp::create(rewriter, loc, builder.i32,
                                           static_cast<int64_t>(op.getK()));
    Value selected = builder.tb.generic(
        builder.filled(sizes, builder.i1, 0), {candidate, rank},
        {id4, id4, id4}, {par, par, par, par},
        [&](OpBuilder &b, ValueRange args) -> Value {
          Value inTopK = arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::slt, args[1], k);
          return arith::AndIOp::create(b, loc, args[0], inTopK);
        });

    auto [counts, indices] = builder.compact(selected, op.getCounts().getType(),
                                             op.getIndices().getType());
    rewriter.replaceOp(op, {counts, indices});
    return success();
  }
};

} // namespace

void mlir::celeris::populateBlockLayoutToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<MaskBlockLayoutToLinalg, TopkBlocksToLinalg>(
      patterns.getContext());
}
