//===- AttentionToLinalg.cpp - Reference lowering of attention --*- C++ -*-===//
//
// Lowers celeris.attention to the direct computation of its definition, in
// f32, with four reductions on tensors:
//
//   s[b,h,i,j] = mask(i + offset, j) ? cap(scale * sum_d q[b,h,i,d] k[b,g,j,d])
//                                    : -inf            (g = h floordiv group)
//   m[b,h,i]   = max_j s                        (-inf for a fully masked row)
//   e[b,h,i,j] = s == -inf ? 0 : exp(s - m)     (never -inf - -inf)
//   l[b,h,i]   = sum_j e
//   out        = l == 0 ? 0 : (sum_j e v[b,g,j,:]) / l
//   lse        = l == 0 ? -inf : m + log(l)
//
// The mask is evaluated from linalg.index positions inside the score
// computation; it is never materialised as an input tensor.
//
//===----------------------------------------------------------------------===//

#include "celeris/Conversion/CelerisToLinalg/CelerisToLinalg.h"
#include "celeris/Dialect/Celeris/IR/CelerisOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::celeris;

namespace {

using utils::IteratorType;

/// Builds the linalg.generic ops of the reference attention.
class AttentionBuilder {
public:
  AttentionBuilder(PatternRewriter &rewriter, AttentionOp op, int64_t group)
      : rewriter(rewriter), loc(op.getLoc()), op(op), group(group),
        f32(rewriter.getF32Type()) {}

  /// Emits the computation and returns (output, lse).
  std::pair<Value, Value> build();

private:
  OpFoldResult size(Value v, int64_t d) {
    return tensor::getMixedSize(rewriter, loc, v, d);
  }
  Value emptyF32(ArrayRef<OpFoldResult> shape) {
    return tensor::EmptyOp::create(rewriter, loc, shape, f32);
  }
  Value filled(ArrayRef<OpFoldResult> shape, double value) {
    Value init = emptyF32(shape);
    Value cst = arith::ConstantOp::create(rewriter, loc,
                                          rewriter.getF32FloatAttr(value));
    return linalg::FillOp::create(rewriter, loc, cst, init).getResult(0);
  }
  static Value toF32(OpBuilder &b, Location loc, Value v) {
    if (v.getType().isF32())
      return v;
    return arith::ExtFOp::create(b, loc, b.getF32Type(), v);
  }
  Value f32Constant(OpBuilder &b, double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  Value generic(Value init, ValueRange inputs, ArrayRef<AffineMap> maps,
                ArrayRef<IteratorType> iterators,
                function_ref<Value(OpBuilder &, ValueRange)> body) {
    return linalg::GenericOp::create(
               rewriter, loc, init.getType(), inputs, init, maps, iterators,
               [&](OpBuilder &b, Location l, ValueRange args) {
                 linalg::YieldOp::create(b, l, body(b, args));
               })
        .getResult(0);
  }

  Value scaleValue();
  Value queryOffset();

  PatternRewriter &rewriter;
  Location loc;
  AttentionOp op;
  int64_t group;
  Type f32;
};

Value AttentionBuilder::scaleValue() {
  if (FloatAttr scale = op.getScaleAttr())
    return f32Constant(rewriter, scale.getValueAsDouble());
  int64_t d = op.getQuery().getType().getDimSize(3);
  if (!ShapedType::isDynamic(d))
    return f32Constant(rewriter, 1.0 / std::sqrt(static_cast<double>(d)));
  Value dim = tensor::DimOp::create(rewriter, loc, op.getQuery(), 3);
  Value asInt =
      arith::IndexCastOp::create(rewriter, loc, rewriter.getI64Type(), dim);
  Value asFloat = arith::SIToFPOp::create(rewriter, loc, f32, asInt);
  return math::RsqrtOp::create(rewriter, loc, asFloat);
}

Value AttentionBuilder::queryOffset() {
  if (std::optional<int64_t> offset = op.getQueryOffset())
    return arith::ConstantIndexOp::create(rewriter, loc, *offset);
  // Bottom-right alignment: Sk - Sq.
  Value sq =
      getValueOrCreateConstantIndexOp(rewriter, loc, size(op.getQuery(), 2));
  Value sk =
      getValueOrCreateConstantIndexOp(rewriter, loc, size(op.getKey(), 2));
  return arith::SubIOp::create(rewriter, loc, sk, sq);
}

std::pair<Value, Value> AttentionBuilder::build() {
  MLIRContext *ctx = rewriter.getContext();
  Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
  OpFoldResult batch = size(q, 0), heads = size(q, 1), qLen = size(q, 2),
               kvLen = size(k, 2), vDim = size(v, 3);
  const auto par = IteratorType::parallel, red = IteratorType::reduction;

  AffineExpr d0, d1, d2, d3, d4;
  bindDims(ctx, d0, d1, d2, d3, d4);
  auto map = [&](unsigned numDims, ArrayRef<AffineExpr> results) {
    return AffineMap::get(numDims, 0, results, ctx);
  };

  // Scores (b, h, i, j, d): q[b,h,i,d] . k[b,g,j,d].
  Value scores = generic(
      filled({batch, heads, qLen, kvLen}, 0.0), {q, k},
      {map(5, {d0, d1, d2, d4}), map(5, {d0, d1.floorDiv(group), d3, d4}),
       map(5, {d0, d1, d2, d3})},
      {par, par, par, par, red}, [&](OpBuilder &b, ValueRange args) -> Value {
        Value prod = arith::MulFOp::create(b, loc, toF32(b, loc, args[0]),
                                           toF32(b, loc, args[1]));
        return arith::AddFOp::create(b, loc, args[2], prod);
      });

  // Scale, soft-cap and mask (b, h, i, j).
  Value scale = scaleValue();
  MaskAttr mask = op.getMask();
  bool masked = mask.getKind() != MaskKind::All;
  Value offset = masked ? queryOffset() : Value();
  FloatAttr softcap = op.getSoftcapAttr();
  AffineMap id4 = map(4, {d0, d1, d2, d3});
  Value logits = generic(
      emptyF32({batch, heads, qLen, kvLen}), {scores}, {id4, id4},
      {par, par, par, par}, [&](OpBuilder &b, ValueRange args) -> Value {
        Value s = arith::MulFOp::create(b, loc, args[0], scale);
        if (softcap) {
          Value cap = f32Constant(b, softcap.getValueAsDouble());
          Value t = math::TanhOp::create(b, loc,
                                         arith::DivFOp::create(b, loc, s, cap));
          s = arith::MulFOp::create(b, loc, cap, t);
        }
        if (!masked)
          return s;
        Value i = linalg::IndexOp::create(b, loc, 2);
        Value j = linalg::IndexOp::create(b, loc, 3);
        Value p = arith::AddIOp::create(b, loc, i, offset);
        Value allowed = buildMaskPredicate(b, loc, mask, p, j);
        return arith::SelectOp::create(b, loc, allowed, s,
                                       f32Constant(b, -INFINITY));
      });

  // Row maximum (b, h, i, j) -> (b, h, i).
  AffineMap row4 = map(4, {d0, d1, d2});
  Value rowMax = generic(
      filled({batch, heads, qLen}, -INFINITY), {logits}, {id4, row4},
      {par, par, par, red}, [&](OpBuilder &b, ValueRange args) -> Value {
        return arith::MaximumFOp::create(b, loc, args[0], args[1]);
      });

  // Guarded exponentials and their row sum.
  Value negInf = f32Constant(rewriter, -INFINITY);
  Value zero = f32Constant(rewriter, 0.0);
  Value exps = generic(
      emptyF32({batch, heads, qLen, kvLen}), {logits, rowMax}, {id4, row4, id4},
      {par, par, par, par}, [&](OpBuilder &b, ValueRange args) -> Value {
        Value isMasked = arith::CmpFOp::create(
            b, loc, arith::CmpFPredicate::OEQ, args[0], negInf);
        Value e = math::ExpOp::create(
            b, loc, arith::SubFOp::create(b, loc, args[0], args[1]));
        return arith::SelectOp::create(b, loc, isMasked, zero, e);
      });
  Value rowSum = generic(
      filled({batch, heads, qLen}, 0.0), {exps}, {id4, row4},
      {par, par, par, red}, [&](OpBuilder &b, ValueRange args) -> Value {
        return arith::AddFOp::create(b, loc, args[0], args[1]);
      });

  // Unnormalised output (b, h, i, e, j): sum_j p[b,h,i,j] v[b,g,j,e].
  Value weighted = generic(
      filled({batch, heads, qLen, vDim}, 0.0), {exps, v},
      {map(5, {d0, d1, d2, d4}), map(5, {d0, d1.floorDiv(group), d4, d3}),
       map(5, {d0, d1, d2, d3})},
      {par, par, par, par, red}, [&](OpBuilder &b, ValueRange args) -> Value {
        Value prod =
            arith::MulFOp::create(b, loc, args[0], toF32(b, loc, args[1]));
        return arith::AddFOp::create(b, loc, args[2], prod);
      });

  // Normalise and convert to the output element type.
  Type elementType = op.getOutput().getType().getElementType();
  Value outInit = tensor::EmptyOp::create(
      rewriter, loc, ArrayRef<OpFoldResult>{batch, heads, qLen, vDim},
      elementType);
  Value output = generic(
      outInit, {weighted, rowSum}, {id4, row4, id4}, {par, par, par, par},
      [&](OpBuilder &b, ValueRange args) -> Value {
        Value empty = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                            args[1], zero);
        Value normalised = arith::DivFOp::create(b, loc, args[0], args[1]);
        Value r = arith::SelectOp::create(b, loc, empty, zero, normalised);
        if (elementType.isF32())
          return r;
        return arith::TruncFOp::create(b, loc, elementType, r);
      });

  Value lse;
  if (op.getLse()) {
    AffineMap id3 = map(3, {d0, d1, d2});
    lse = generic(
        emptyF32({batch, heads, qLen}), {rowMax, rowSum}, {id3, id3, id3},
        {par, par, par}, [&](OpBuilder &b, ValueRange args) -> Value {
          Value empty = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                              args[1], zero);
          Value value = arith::AddFOp::create(
              b, loc, args[0], math::LogOp::create(b, loc, args[1]));
          return arith::SelectOp::create(b, loc, empty, negInf, value);
        });
  }
  return {output, lse};
}

} // namespace

std::optional<std::string>
mlir::celeris::getUnsupportedAttentionForm(AttentionOp op) {
  auto notYet = [](StringRef what) {
    return (what + ", which the reference lowering does not handle yet").str();
  };
  if (op.getAlibiSlopes())
    return notYet("has ALiBi slopes");
  if (op.getQSegmentIds())
    return notYet("has segment ids");
  if (op.getCuSeqlensQ())
    return notYet("has varlen offsets");
  if (op.getBlockCounts())
    return notYet("has a block layout");
  if (op.getKvLengths())
    return notYet("has kv_lengths");
  if (op.isPaged())
    return notYet("has a page table");
  if (ShapedType::isDynamic(op.getQuery().getType().getDimSize(1)) ||
      ShapedType::isDynamic(op.getKey().getType().getDimSize(1)))
    return std::string("has dynamic head counts; the reference lowering "
                       "needs static query and key/value head counts");
  return std::nullopt;
}

namespace {
struct AttentionToLinalg : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (std::optional<std::string> reason = getUnsupportedAttentionForm(op))
      return rewriter.notifyMatchFailure(op, *reason);
    int64_t hq = op.getQuery().getType().getDimSize(1);
    int64_t hkv = op.getKey().getType().getDimSize(1);
    auto [output, lse] = AttentionBuilder(rewriter, op, hq / hkv).build();
    SmallVector<Value> results = {output};
    if (lse)
      results.push_back(lse);
    rewriter.replaceOp(op, results);
    return success();
  }
};

} // namespace

void mlir::celeris::populateAttentionToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<AttentionToLinalg>(patterns.getContext());
}
