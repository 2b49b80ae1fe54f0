//===- DecomposeAttentionComposites.cpp - Composite decomposition
//--------------*- C++ -*-===//
//
// Rewrites celeris.mla and celeris.nsa into celeris.attention, the
// block-layout builders and linalg ops on tensors.
//
// MLA takes the naive form of its spec: per head h,
//   K_h = [kv_latent . w_uk[h] ; k_rope]    V_h = kv_latent . w_uv[h]
//   Q_h = [q_nope[:, h] ; q_rope[:, h]]
// (the up-projections accumulate in f32 and are stored in the op's element
// type), then one celeris.attention with H key/value heads and the op's mask,
// scale (default 1/sqrt(Dn + Dr), made explicit when static) and offset.
//
// NSA computes its three branches for every query position t:
//   compressed: p[b,h,t,c] = softmax_c over visible c (c*d + l - 1 <= t) of
//     scale * q.k_cmp, and o_cmp = p . v_cmp. No #celeris.mask expresses the
//     visibility for a stride d > 1 (it needs c*d <= p - l + 1), and the
//     probabilities are needed anyway for the importance scores, so this
//     branch is computed directly with linalg ops (a fully masked row gives
//     p = 0 and o_cmp = 0);
//   importance[b,g,t,s] = sum over the heads of group g and over the tokens c
//     overlapping selection block s (c*d < (s+1)*l' and c*d + l > s*l') of p;
//   selected: celeris.topk_blocks (k = min(n, NSB), causal eligibility with
//     block_size [1, l'] and query_offset 0) gives one layout per key/value
//     head, broadcast to the query heads of its group, which drives a
//     celeris.attention with block_layout and a causal mask;
//   window: celeris.attention with mask window<left = w - 1, right = 0>;
//   out = g_cmp * o_cmp + g_slc * o_slc + g_win * o_win, in f32.
//
//===----------------------------------------------------------------------===//

#include "celeris/Dialect/Celeris/IR/CelerisOps.h"
#include "celeris/Dialect/Celeris/Transforms/Passes.h"
#include "celeris/Utils/TensorBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::celeris;

namespace {

using utils::IteratorType;

/// Converts the f32 tensor `t` to `type` elementwise (no-op for f32).
Value convert(TensorBuilder &tb, Value t, Type type) {
  if (type.isF32())
    return t;
  auto tensorType = cast<RankedTensorType>(t.getType());
  AffineMap id =
      AffineMap::getMultiDimIdentityMap(tensorType.getRank(), tb.getContext());
  SmallVector<IteratorType> par(tensorType.getRank(), IteratorType::parallel);
  return tb.generic(tb.empty(tensor::getMixedSizes(tb.b, tb.loc, t), type), {t},
                    {id, id}, par, [&](OpBuilder &b, ValueRange args) -> Value {
                      return tb.fromF32(b, args[0], type);
                    });
}

//===----------------------------------------------------------------------===//
// MLA
//===----------------------------------------------------------------------===//

struct DecomposeMla : OpRewritePattern<MlaOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MlaOp op,
                                PatternRewriter &rewriter) const override {
    RankedTensorType qNopeType = op.getQNope().getType();
    if (qNopeType.isDynamicDim(1))
      return rewriter.notifyMatchFailure(
          op, "needs a static head count (celeris.attention does)");
    Location loc = op.getLoc();
    TensorBuilder tb{rewriter, loc};
    Type elementType = qNopeType.getElementType();
    Value latent = op.getKvLatent(), kRope = op.getKRope();
    auto size = [&](Value v, int64_t d) {
      return tensor::getMixedSize(rewriter, loc, v, d);
    };
    OpFoldResult batch = size(latent, 0), heads = size(op.getQNope(), 1),
                 keyLen = size(latent, 1);

    // Up-projection (b, h, s, n, l): latent[b,s,l] . w[h,l,n], in f32.
    AffineExpr d0, d1, d2, d3, d4;
    bindDims(rewriter.getContext(), d0, d1, d2, d3, d4);
    const auto par = IteratorType::parallel, red = IteratorType::reduction;
    auto upProject = [&](Value w) {
      Value acc = tb.generic(
          tb.filledF32({batch, heads, keyLen, size(w, 2)}, 0.0), {latent, w},
          {tb.map(5, {d0, d2, d4}), tb.map(5, {d1, d4, d3}),
           tb.map(5, {d0, d1, d2, d3})},
          {par, par, par, par, red},
          [&](OpBuilder &b, ValueRange args) -> Value {
            Value prod = arith::MulFOp::create(b, loc, tb.toF32(b, args[0]),
                                               tb.toF32(b, args[1]));
            return arith::AddFOp::create(b, loc, args[2], prod);
          });
      return convert(tb, acc, elementType);
    };
    Value kNope = upProject(op.getWUk());
    Value value = upProject(op.getWUv());

    // The rotary key is shared by all heads: broadcast it over h.
    Value kRopeHeads = tb.generic(
        tb.empty({batch, heads, keyLen, size(kRope, 2)}, elementType), {kRope},
        {tb.map(4, {d0, d2, d3}), tb.map(4, {d0, d1, d2, d3})},
        {par, par, par, par},
        [&](OpBuilder &, ValueRange args) -> Value { return args[0]; });
    Value key = tensor::ConcatOp::create(rewriter, loc, 3,
                                         ValueRange{kNope, kRopeHeads});
    Value query = tensor::ConcatOp::create(
        rewriter, loc, 3, ValueRange{op.getQNope(), op.getQRope()});

    FloatAttr scale = op.getScaleAttr();
    int64_t dn = qNopeType.getDimSize(3);
    int64_t dr = op.getQRope().getType().getDimSize(3);
    // With a dynamic Dn or Dr, attention's own default 1/sqrt(D) of the
    // concatenated query is the same value.
    if (!scale && !ShapedType::isDynamic(dn) && !ShapedType::isDynamic(dr))
      scale = rewriter.getF32FloatAttr(1.0 / std::sqrt(double(dn + dr)));

    Value lse = op.getLse();
    auto attention = AttentionOp::create(
        rewriter, loc, op.getOutput().getType(), lse ? lse.getType() : Type(),
        query, key, value,
        /*alibi_slopes=*/Value(), /*q_segment_ids=*/Value(),
        /*kv_segment_ids=*/Value(), /*cu_seqlens_q=*/Value(),
        /*cu_seqlens_kv=*/Value(), /*block_counts=*/Value(),
        /*block_indices=*/Value(), /*kv_lengths=*/Value(),
        /*page_table=*/Value(), op.getMask(), scale, /*softcap=*/FloatAttr(),
        op.getQueryOffsetAttr(), /*block_size=*/DenseI64ArrayAttr());
    rewriter.replaceOp(op, attention->getResults());
    return success();
  }
};

//===----------------------------------------------------------------------===//
// NSA
//===----------------------------------------------------------------------===//

/// Builds the branches of one celeris.nsa (static shapes).
class NsaBuilder {
public:
  NsaBuilder(PatternRewriter &rewriter, NsaOp op)
      : rewriter(rewriter), loc(op.getLoc()), tb{rewriter, loc}, op(op) {
    RankedTensorType q = op.getQuery().getType();
    batch = q.getDimSize(0);
    queryHeads = q.getDimSize(1);
    seqLen = q.getDimSize(2);
    headDim = q.getDimSize(3);
    kvHeads = op.getKey().getType().getDimSize(1);
    group = queryHeads / kvHeads;
    valueDim = op.getValue().getType().getDimSize(3);
    numCompressed = op.getCompressedKey().getType().getDimSize(2);
    numSelectBlocks = llvm::divideCeil(seqLen, op.getSelectBlock());
    elementType = q.getElementType();
    scale = op.getScale() ? op.getScaleAttr().getValueAsDouble()
                          : 1.0 / std::sqrt(double(headDim));
  }

  Value build();

private:
  /// (o_cmp in f32, p_cmp) of the compressed branch.
  std::pair<Value, Value> compressedBranch();
  /// importance[b, g, t, s] from p_cmp[b, h, t, c].
  Value importance(Value probs);
  /// The selected branch's attention over the top-k blocks of `importance`.
  Value selectedBranch(Value importance);
  Value windowBranch();
  Value attention(MaskAttr mask, Value counts, Value indices,
                  DenseI64ArrayAttr blockSize);
  /// Broadcasts a per-key/value-head tensor [B, Hkv, ...] to the query heads.
  Value toQueryHeads(Value perKvHead);

  SmallVector<OpFoldResult> shape(ArrayRef<int64_t> sizes) {
    return getAsIndexOpFoldResult(rewriter.getContext(), sizes);
  }

  PatternRewriter &rewriter;
  Location loc;
  TensorBuilder tb;
  NsaOp op;
  int64_t batch, queryHeads, kvHeads, group, seqLen, headDim, valueDim,
      numCompressed, numSelectBlocks;
  Type elementType;
  double scale;
};

std::pair<Value, Value> NsaBuilder::compressedBranch() {
  MLIRContext *ctx = rewriter.getContext();
  const auto par = IteratorType::parallel, red = IteratorType::reduction;
  AffineExpr d0, d1, d2, d3, d4;
  bindDims(ctx, d0, d1, d2, d3, d4);
  AffineMap id4 = tb.map(4, {d0, d1, d2, d3}), row4 = tb.map(4, {d0, d1, d2});
  SmallVector<OpFoldResult> scoreShape =
      shape({batch, queryHeads, seqLen, numCompressed});
  SmallVector<OpFoldResult> rowShape = shape({batch, queryHeads, seqLen});
  int64_t cmpBlock = op.getCmpBlock(), cmpStride = op.getCmpStride();

  // Scores (b, h, t, c, e), scaled, -inf where c is not yet visible.
  Value dots = tb.generic(
      tb.filledF32(scoreShape, 0.0), {op.getQuery(), op.getCompressedKey()},
      {tb.map(5, {d0, d1, d2, d4}), tb.map(5, {d0, d1.floorDiv(group), d3, d4}),
       tb.map(5, {d0, d1, d2, d3})},
      {par, par, par, par, red}, [&](OpBuilder &b, ValueRange args) -> Value {
        Value prod = arith::MulFOp::create(b, loc, tb.toF32(b, args[0]),
                                           tb.toF32(b, args[1]));
        return arith::AddFOp::create(b, loc, args[2], prod);
      });
  Value negInf = tb.f32Constant(rewriter, -INFINITY);
  Value zero = tb.f32Constant(rewriter, 0.0);
  Value logits = tb.generic(
      tb.emptyF32(scoreShape), {dots}, {id4, id4}, {par, par, par, par},
      [&](OpBuilder &b, ValueRange args) -> Value {
        // Token c summarises keys [c*d, c*d + l): visible once t >= c*d+l-1.
        Value t = linalg::IndexOp::create(b, loc, 2);
        Value c = linalg::IndexOp::create(b, loc, 3);
        Value lastKey = arith::AddIOp::create(
            b, loc,
            arith::MulIOp::create(
                b, loc, c, arith::ConstantIndexOp::create(b, loc, cmpStride)),
            arith::ConstantIndexOp::create(b, loc, cmpBlock - 1));
        Value visible = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle,
                                              lastKey, t);
        Value s =
            arith::MulFOp::create(b, loc, args[0], tb.f32Constant(b, scale));
        return arith::SelectOp::create(b, loc, visible, s, negInf);
      });
  Value rowMax = tb.generic(
      tb.filledF32(rowShape, -INFINITY), {logits}, {id4, row4},
      {par, par, par, red}, [&](OpBuilder &b, ValueRange args) -> Value {
        return arith::MaximumFOp::create(b, loc, args[0], args[1]);
      });
  Value exps = tb.generic(
      tb.emptyF32(scoreShape), {logits, rowMax}, {id4, row4, id4},
      {par, par, par, par}, [&](OpBuilder &b, ValueRange args) -> Value {
        Value hidden = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                             args[0], negInf);
        Value e = math::ExpOp::create(
            b, loc, arith::SubFOp::create(b, loc, args[0], args[1]));
        return arith::SelectOp::create(b, loc, hidden, zero, e);
      });
  Value rowSum = tb.generic(
      tb.filledF32(rowShape, 0.0), {exps}, {id4, row4}, {par, par, par, red},
      [&](OpBuilder &b, ValueRange args) -> Value {
        return arith::AddFOp::create(b, loc, args[0], args[1]);
      });
  // A row with no visible token (t < l - 1) has probabilities 0.
  Value probs = tb.generic(
      tb.emptyF32(scoreShape), {exps, rowSum}, {id4, row4, id4},
      {par, par, par, par}, [&](OpBuilder &b, ValueRange args) -> Value {
        Value empty = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                            args[1], zero);
        Value p = arith::DivFOp::create(b, loc, args[0], args[1]);
        return arith::SelectOp::create(b, loc, empty, zero, p);
      });
  // o_cmp (b, h, t, e, c) = sum_c p . v_cmp[b, g, c, e].
  Value output = tb.generic(
      tb.filledF32(shape({batch, queryHeads, seqLen, valueDim}), 0.0),
      {probs, op.getCompressedValue()},
      {tb.map(5, {d0, d1, d2, d4}), tb.map(5, {d0, d1.floorDiv(group), d4, d3}),
       tb.map(5, {d0, d1, d2, d3})},
      {par, par, par, par, red}, [&](OpBuilder &b, ValueRange args) -> Value {
        Value prod =
            arith::MulFOp::create(b, loc, args[0], tb.toF32(b, args[1]));
        return arith::AddFOp::create(b, loc, args[2], prod);
      });
  return {output, probs};
}

Value NsaBuilder::importance(Value probs) {
  MLIRContext *ctx = rewriter.getContext();
  const auto par = IteratorType::parallel, red = IteratorType::reduction;
  AffineExpr d0, d1, d2, d3, d4;
  bindDims(ctx, d0, d1, d2, d3, d4);
  int64_t cmpBlock = op.getCmpBlock(), cmpStride = op.getCmpStride();
  int64_t selectBlock = op.getSelectBlock();

  // Per query head (b, h, t, s, c): the probabilities of the tokens c that
  // overlap block s, i.e. c*d < (s+1)*l' and c*d + l > s*l'.
  Value perHead = tb.generic(
      tb.filledF32(shape({batch, queryHeads, seqLen, numSelectBlocks}), 0.0),
      {probs}, {tb.map(5, {d0, d1, d2, d4}), tb.map(5, {d0, d1, d2, d3})},
      {par, par, par, par, red}, [&](OpBuilder &b, ValueRange args) -> Value {
        auto times = [&](Value x, int64_t n) -> Value {
          return arith::MulIOp::create(
              b, loc, x, arith::ConstantIndexOp::create(b, loc, n));
        };
        Value s = linalg::IndexOp::create(b, loc, 3);
        Value c = linalg::IndexOp::create(b, loc, 4);
        Value start = times(c, cmpStride);
        Value end = arith::AddIOp::create(
            b, loc, start, arith::ConstantIndexOp::create(b, loc, cmpBlock));
        Value blockStart = times(s, selectBlock);
        Value blockEnd = arith::AddIOp::create(
            b, loc, blockStart,
            arith::ConstantIndexOp::create(b, loc, selectBlock));
        using Pred = arith::CmpIPredicate;
        Value overlaps = arith::AndIOp::create(
            b, loc, arith::CmpIOp::create(b, loc, Pred::slt, start, blockEnd),
            arith::CmpIOp::create(b, loc, Pred::sgt, end, blockStart));
        Value contribution = arith::SelectOp::create(b, loc, overlaps, args[0],
                                                     tb.f32Constant(b, 0.0));
        return arith::AddFOp::create(b, loc, args[1], contribution);
      });

  // Pool over the heads of each GQA group: [B, Hkv, G, S, NSB] -> sum over G.
  auto grouped = RankedTensorType::get(
      {batch, kvHeads, group, seqLen, numSelectBlocks}, rewriter.getF32Type());
  Value expanded = tensor::ExpandShapeOp::create(
      rewriter, loc, grouped, perHead,
      ArrayRef<ReassociationIndices>{{0}, {1, 2}, {3}, {4}});
  return tb.generic(
      tb.filledF32(shape({batch, kvHeads, seqLen, numSelectBlocks}), 0.0),
      {expanded},
      {tb.map(5, {d0, d1, d4, d2, d3}), tb.map(5, {d0, d1, d2, d3})},
      {par, par, par, par, red}, [&](OpBuilder &b, ValueRange args) -> Value {
        return arith::AddFOp::create(b, loc, args[1], args[0]);
      });
}

Value NsaBuilder::toQueryHeads(Value perKvHead) {
  if (group == 1)
    return perKvHead;
  auto type = cast<RankedTensorType>(perKvHead.getType());
  SmallVector<int64_t> sizes(type.getShape());
  sizes[1] = queryHeads;
  MLIRContext *ctx = rewriter.getContext();
  unsigned rank = type.getRank();
  SmallVector<AffineExpr> in, out;
  for (unsigned d = 0; d < rank; ++d) {
    AffineExpr e = getAffineDimExpr(d, ctx);
    out.push_back(e);
    in.push_back(d == 1 ? e.floorDiv(group) : e);
  }
  return tb.generic(
      tb.empty(shape(sizes), type.getElementType()), {perKvHead},
      {tb.map(rank, in), tb.map(rank, out)},
      SmallVector<IteratorType>(rank, IteratorType::parallel),
      [&](OpBuilder &, ValueRange args) -> Value { return args[0]; });
}

Value NsaBuilder::attention(MaskAttr mask, Value counts, Value indices,
                            DenseI64ArrayAttr blockSize) {
  return AttentionOp::create(
             rewriter, loc, op.getOutput().getType(), /*lse=*/Type(),
             op.getQuery(), op.getKey(), op.getValue(),
             /*alibi_slopes=*/Value(), /*q_segment_ids=*/Value(),
             /*kv_segment_ids=*/Value(), /*cu_seqlens_q=*/Value(),
             /*cu_seqlens_kv=*/Value(), counts, indices,
             /*kv_lengths=*/Value(), /*page_table=*/Value(), mask,
             rewriter.getF32FloatAttr(scale), /*softcap=*/FloatAttr(),
             /*query_offset=*/IntegerAttr(), blockSize)
      .getOutput();
}

Value NsaBuilder::selectedBranch(Value importance) {
  // Fewer blocks than select_count: all eligible ones are selected, as with
  // k = NSB (topk_blocks bounds k by the number of key blocks).
  int64_t k = std::min<int64_t>(op.getSelectCount(), numSelectBlocks);
  auto i32 = rewriter.getI32Type();
  auto countsType = RankedTensorType::get({batch, kvHeads, seqLen}, i32);
  auto indicesType = RankedTensorType::get({batch, kvHeads, seqLen, k}, i32);
  MaskAttr causal = MaskAttr::getCausal(rewriter.getContext());
  // One query per query block, so block s is eligible for t iff s*l' <= t.
  auto blockSize =
      rewriter.getDenseI64ArrayAttr({1, int64_t(op.getSelectBlock())});
  auto topk = TopkBlocksOp::create(rewriter, loc, countsType, indicesType,
                                   importance, uint64_t(k), causal, blockSize,
                                   rewriter.getI64IntegerAttr(0));
  Value counts = toQueryHeads(topk.getCounts());
  Value indices = toQueryHeads(topk.getIndices());
  return attention(causal, counts, indices, blockSize);
}

Value NsaBuilder::windowBranch() {
  MaskAttr window = MaskAttr::getWindow(rewriter.getContext(),
                                        int64_t(op.getWindow()) - 1, 0);
  return attention(window, Value(), Value(), DenseI64ArrayAttr());
}

Value NsaBuilder::build() {
  auto [compressed, probs] = compressedBranch();
  Value selected = selectedBranch(importance(probs));
  Value window = windowBranch();

  // out = g_cmp * o_cmp + g_slc * o_slc + g_win * o_win.
  MLIRContext *ctx = rewriter.getContext();
  AffineExpr d0, d1, d2, d3;
  bindDims(ctx, d0, d1, d2, d3);
  AffineMap id4 = tb.map(4, {d0, d1, d2, d3});
  auto gate = [&](int64_t which) {
    return tb.map(4, {d0, d1, d2, getAffineConstantExpr(which, ctx)});
  };
  Value gates = op.getGates();
  const auto par = IteratorType::parallel;
  return tb.generic(
      tb.empty(shape({batch, queryHeads, seqLen, valueDim}), elementType),
      {compressed, selected, window, gates, gates, gates},
      {id4, id4, id4, gate(0), gate(1), gate(2), id4}, {par, par, par, par},
      [&](OpBuilder &b, ValueRange args) -> Value {
        Value sum = tb.f32Constant(b, 0.0);
        for (int i = 0; i < 3; ++i) {
          Value term = arith::MulFOp::create(b, loc, tb.toF32(b, args[3 + i]),
                                             tb.toF32(b, args[i]));
          sum = arith::AddFOp::create(b, loc, sum, term);
        }
        return tb.fromF32(b, sum, elementType);
      });
}

struct DecomposeNsa : OpRewritePattern<NsaOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(NsaOp op,
                                PatternRewriter &rewriter) const override {
    for (Value operand : op->getOperands())
      if (!cast<RankedTensorType>(operand.getType()).hasStaticShape())
        return rewriter.notifyMatchFailure(
            op, "the decomposition needs static shapes");
    rewriter.replaceOp(op, NsaBuilder(rewriter, op).build());
    return success();
  }
};

} // namespace

void mlir::celeris::populateDecomposeAttentionCompositesPatterns(
    RewritePatternSet &patterns) {
  patterns.add<DecomposeMla, DecomposeNsa>(patterns.getContext());
}
