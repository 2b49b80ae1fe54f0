//===- DecomposeSelectiveScan.cpp - Decompose selective_scan ----*- C++ -*-===//
//
// Rewrites celeris.selective_scan (Mamba-1) into its discretisation, one
// celeris.scan and the readout, all in f32 on tensors:
//
//   dt[b,d,t]      = softplus?(delta[b,d,t] (+ delta_bias[d]))
//   dA[b,d,n,t]    = exp(dt[b,d,t] A[d,n])
//   dBu[b,d,n,t]   = dt[b,d,t] Bmat[b,n,t] u[b,d,t]
//   h              = celeris.scan dA, dBu axis 3          ([B, D, N, L])
//   y[b,d,t]       = (sum_n C[b,n,t] h[b,d,n,t] (+ D[d] u[b,d,t]))
//                    (* silu(z[b,d,t]))
//   last_state     = h[:, :, :, L - 1]
//
// The state is laid out [B, D, N, L] so that the scan runs along the
// innermost axis and every (b, d, n) is an independent first-order scan.
// softplus is evaluated as max(x, 0) + log1p(exp(-|x|)), which neither
// overflows for large x nor loses the small values of very negative x.
//
//===----------------------------------------------------------------------===//

#include "celeris/Dialect/Celeris/IR/CelerisOps.h"
#include "celeris/Dialect/Celeris/Transforms/Passes.h"
#include "celeris/Utils/TensorBuilder.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::celeris;

namespace {

using utils::IteratorType;

/// softplus(x) = log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)).
Value softplus(OpBuilder &b, Location loc, Value x) {
  Value zero = f32Constant(b, loc, 0.0);
  Value positivePart = arith::MaximumFOp::create(b, loc, x, zero);
  Value negAbs = arith::NegFOp::create(b, loc, math::AbsFOp::create(b, loc, x));
  Value tail =
      math::Log1pOp::create(b, loc, math::ExpOp::create(b, loc, negAbs));
  return arith::AddFOp::create(b, loc, positivePart, tail);
}

/// silu(z) = z / (1 + exp(-z)).
Value silu(OpBuilder &b, Location loc, Value z) {
  Value expNeg = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, z));
  Value denom = arith::AddFOp::create(b, loc, f32Constant(b, loc, 1.0), expNeg);
  return arith::DivFOp::create(b, loc, z, denom);
}

struct DecomposeSelectiveScan : OpRewritePattern<SelectiveScanOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SelectiveScanOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Type f32 = rewriter.getF32Type();
    Value u = op.getU(), a = op.getA(), bMat = op.getBmat(), c = op.getC();
    auto size = [&](Value x, int64_t d) {
      return tensor::getMixedSize(rewriter, loc, x, d);
    };
    OpFoldResult batch = size(u, 0), channels = size(u, 1), length = size(u, 2),
                 stateSize = size(a, 1);
    SmallVector<OpFoldResult> seqShape = {batch, channels, length};
    SmallVector<OpFoldResult> stateShape = {batch, channels, stateSize, length};
    const auto par = IteratorType::parallel, red = IteratorType::reduction;
    TensorBuilder tb{rewriter, loc};
    AffineExpr b, d, n, t;

    // dt over (b, d, t).
    bindDims(ctx, b, d, t);
    AffineMap seq3 = tb.map(3, {b, d, t}), channel3 = tb.map(3, {d});
    Value deltaBias = op.getDeltaBias();
    bool useSoftplus = op.getDeltaSoftplus();
    SmallVector<Value> dtInputs = {op.getDelta()};
    SmallVector<AffineMap> dtMaps = {seq3};
    if (deltaBias) {
      dtInputs.push_back(deltaBias);
      dtMaps.push_back(channel3);
    }
    dtMaps.push_back(seq3);
    // f32 delta without bias or softplus is dt itself.
    Value dt = op.getDelta();
    if (deltaBias || useSoftplus || !getElementTypeOrSelf(dt).isF32())
      dt = generic(rewriter, loc,
                   tensor::EmptyOp::create(rewriter, loc, seqShape, f32),
                   dtInputs, dtMaps, {par, par, par},
                   [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
                     Value x = toF32(nb, l, args[0]);
                     if (deltaBias)
                       x = arith::AddFOp::create(nb, l, x, args[1]);
                     return useSoftplus ? softplus(nb, l, x) : x;
                   });

    // dA and dBu over (b, d, n, t).
    bindDims(ctx, b, d, n, t);
    AffineMap state4 = tb.map(4, {b, d, n, t}), seq4 = tb.map(4, {b, d, t}),
              a4 = tb.map(4, {d, n}), input4 = tb.map(4, {b, n, t});
    SmallVector<IteratorType> parallel4(4, par);
    Value dA = generic(
        rewriter, loc, tensor::EmptyOp::create(rewriter, loc, stateShape, f32),
        {dt, a}, {seq4, a4, state4}, parallel4,
        [](OpBuilder &nb, Location l, ValueRange args) -> Value {
          return math::ExpOp::create(
              nb, l, arith::MulFOp::create(nb, l, args[0], args[1]));
        });
    Value dBu = generic(
        rewriter, loc, tensor::EmptyOp::create(rewriter, loc, stateShape, f32),
        {dt, bMat, u}, {seq4, input4, seq4, state4}, parallel4,
        [](OpBuilder &nb, Location l, ValueRange args) -> Value {
          Value dtB =
              arith::MulFOp::create(nb, l, args[0], toF32(nb, l, args[1]));
          return arith::MulFOp::create(nb, l, dtB, toF32(nb, l, args[2]));
        });

    Value h = ScanOp::create(rewriter, loc, dBu.getType(), dA, dBu,
                             /*initial=*/Value(), /*axis=*/3);

    // sum_n C[b,n,t] h[b,d,n,t] over (b, d, t, n), n innermost.
    bindDims(ctx, b, d, t, n);
    Value readout = generic(
        rewriter, loc, tb.filledF32(seqShape, 0.0), {c, h},
        {tb.map(4, {b, n, t}), tb.map(4, {b, d, n, t}), tb.map(4, {b, d, t})},
        {par, par, par, red},
        [](OpBuilder &nb, Location l, ValueRange args) -> Value {
          Value prod =
              arith::MulFOp::create(nb, l, toF32(nb, l, args[0]), args[1]);
          return arith::AddFOp::create(nb, l, args[2], prod);
        });

    auto yType = cast<RankedTensorType>(op.getY().getType());
    Value y = buildOutput(rewriter, loc, readout, u, op.getD(), op.getZ(),
                          yType.getElementType(), seqShape);
    SmallVector<Value> results = {castTo(rewriter, loc, y, yType)};

    if (Value lastState = op.getLastState())
      results.push_back(castTo(rewriter, loc, lastStateOf(rewriter, loc, h),
                               lastState.getType()));
    rewriter.replaceOp(op, results);
    return success();
  }

private:
  /// y = (readout (+ D[d] u)) (* silu(z)) in the element type of y; the
  /// readout itself when there is nothing to add, gate or convert.
  static Value buildOutput(OpBuilder &b, Location loc, Value readout, Value u,
                           Value skip, Value gate, Type elementType,
                           ArrayRef<OpFoldResult> shape) {
    if (!skip && !gate && elementType.isF32())
      return readout;
    MLIRContext *ctx = b.getContext();
    AffineExpr bd, d, t;
    bindDims(ctx, bd, d, t);
    AffineMap seq = AffineMap::get(3, 0, {bd, d, t}, ctx);
    AffineMap channel = AffineMap::get(3, 0, {d}, ctx);
    SmallVector<Value> inputs = {readout, u};
    SmallVector<AffineMap> maps = {seq, seq};
    if (skip) {
      inputs.push_back(skip);
      maps.push_back(channel);
    }
    if (gate) {
      inputs.push_back(gate);
      maps.push_back(seq);
    }
    maps.push_back(seq);
    return generic(
        b, loc, tensor::EmptyOp::create(b, loc, shape, elementType), inputs,
        maps, SmallVector<IteratorType>(3, IteratorType::parallel),
        [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
          Value result = args[0];
          unsigned next = 2;
          if (skip) {
            Value du = arith::MulFOp::create(nb, l, args[next++],
                                             toF32(nb, l, args[1]));
            result = arith::AddFOp::create(nb, l, result, du);
          }
          if (gate)
            result = arith::MulFOp::create(
                nb, l, result, silu(nb, l, toF32(nb, l, args[next++])));
          return fromF32(nb, l, result, elementType);
        });
  }

  /// h[:, :, :, L - 1] as [B, D, N]; zero for a statically empty sequence,
  /// where the state never left h_{-1} = 0. A dynamic L is assumed to be at
  /// least 1 (the slice at L - 1 would be out of bounds otherwise).
  static Value lastStateOf(OpBuilder &b, Location loc, Value h) {
    auto type = cast<RankedTensorType>(h.getType());
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, h);
    SmallVector<OpFoldResult> stateShape(sizes.begin(), sizes.begin() + 3);
    auto sliceType =
        RankedTensorType::get(type.getShape().take_front(3), b.getF32Type());
    if (type.getDimSize(3) == 0)
      return TensorBuilder{b, loc}.filledF32(stateShape, 0.0);
    Value length = getValueOrCreateConstantIndexOp(b, loc, sizes[3]);
    Value last = arith::SubIOp::create(
        b, loc, length, arith::ConstantIndexOp::create(b, loc, 1));
    SmallVector<OpFoldResult> offsets(4, b.getIndexAttr(0));
    offsets[3] = last;
    sizes[3] = b.getIndexAttr(1);
    SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
    return tensor::ExtractSliceOp::create(b, loc, sliceType, h, offsets, sizes,
                                          strides);
  }
};

} // namespace

void mlir::celeris::populateDecomposeSelectiveScanPatterns(
    RewritePatternSet &patterns) {
  patterns.add<DecomposeSelectiveScan>(patterns.getContext());
}
