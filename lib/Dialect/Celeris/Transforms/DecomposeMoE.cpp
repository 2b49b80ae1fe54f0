//===- DecomposeMoE.cpp - Decomposition of celeris.moe ----------*- C++ -*-===//
//
// Rewrites celeris.moe into the primitives of its definition:
//
//   logits          = x . router_weight                  (linalg.matmul, f32)
//   weights, ids    = celeris.route logits (the routing attributes)
//   xs, offs, rmap  = celeris.dispatch x, ids (capacity)
//   h               = grouped_matmul(xs, w_gate, offs) swiglu(w_up)
//                     (silu(xs . w_gate) * (xs . w_up) in f32, rounded)
//   out             = celeris.combine grouped_matmul(h, w_down, offs),
//                     weights, rmap
//                     + (silu(x . shared_gate) * (x . shared_up)) . shared_down
//
// The shared expert is computed in f32 from end to end (linalg.matmul with an
// f32 accumulator) and added to the routed output before the final rounding.
// celeris.dispatch needs the number of experts as an attribute, so the layer
// is decomposed only when it is static.
//
//===----------------------------------------------------------------------===//

#include "celeris/Dialect/Celeris/IR/CelerisOps.h"
#include "celeris/Dialect/Celeris/Transforms/Passes.h"
#include "celeris/Utils/TensorBuilder.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::celeris;

using utils::IteratorType;

/// silu(gate) * up in f32.
static Value swiglu(OpBuilder &b, Location loc, Value gate, Value up) {
  Value g = toF32(b, loc, gate);
  Value one = f32Constant(b, loc, 1.0);
  Value expNeg = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, g));
  Value silu = arith::DivFOp::create(
      b, loc, g, arith::AddFOp::create(b, loc, one, expNeg));
  return arith::MulFOp::create(b, loc, silu, toF32(b, loc, up));
}

/// An elementwise linalg.generic over the 2-D `inputs` into `elementType`.
static Value elementwise(OpBuilder &b, Location loc, ValueRange inputs,
                         Type elementType,
                         function_ref<Value(OpBuilder &, ValueRange)> body) {
  Value first = inputs.front();
  Value init = tensor::EmptyOp::create(
      b, loc, tensor::getMixedSizes(b, loc, first), elementType);
  SmallVector<AffineMap> maps(inputs.size() + 1, b.getMultiDimIdentityMap(2));
  return generic(b, loc, init, inputs, maps,
                 {IteratorType::parallel, IteratorType::parallel},
                 [&](OpBuilder &nb, Location, ValueRange args) {
                   return body(nb, args.drop_back());
                 });
}

/// a . b accumulated in f32, as a [rows(a), cols(b)] f32 tensor.
static Value matmulF32(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  SmallVector<OpFoldResult> shape = {tensor::getMixedSize(b, loc, lhs, 0),
                                     tensor::getMixedSize(b, loc, rhs, 1)};
  Value acc = TensorBuilder{b, loc}.filledF32(shape, 0.0);
  return linalg::MatmulOp::create(b, loc, TypeRange{acc.getType()},
                                  ValueRange{lhs, rhs}, ValueRange{acc})
      .getResult(0);
}

/// The number of experts, from any operand that has it static (the verifier
/// makes them agree).
static std::optional<int64_t> getStaticNumExperts(MoEOp op) {
  SmallVector<std::pair<Value, unsigned>> expertDims = {
      {op.getRouterWeight(), 1},
      {op.getWGate(), 0},
      {op.getWUp(), 0},
      {op.getWDown(), 0}};
  if (Value bias = op.getBias())
    expertDims.push_back({bias, 0});
  for (auto [value, dim] : expertDims) {
    int64_t size = cast<RankedTensorType>(value.getType()).getDimSize(dim);
    if (!ShapedType::isDynamic(size))
      return size;
  }
  return std::nullopt;
}

namespace {
struct DecomposeMoE : OpRewritePattern<MoEOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MoEOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<int64_t> numExperts = getStaticNumExperts(op);
    if (!numExperts)
      return rewriter.notifyMatchFailure(
          op, "celeris.dispatch needs a static number of experts");

    Location loc = op.getLoc();
    Value x = op.getX();
    RankedTensorType xType = op.getX().getType();
    Type elementType = xType.getElementType();
    int64_t tokens = xType.getDimSize(0), model = xType.getDimSize(1);
    int64_t k = op.getK();
    int64_t rows =
        ShapedType::isDynamic(tokens) ? ShapedType::kDynamic : tokens * k;
    auto tensorOf = [](ArrayRef<int64_t> shape, Type type) {
      return RankedTensorType::get(shape, type);
    };
    Type f32 = rewriter.getF32Type(), i32 = rewriter.getI32Type();

    // Route on f32 logits.
    Value logits = matmulF32(rewriter, loc, x, op.getRouterWeight());
    auto route = RouteOp::create(
        rewriter, loc, tensorOf({tokens, k}, f32), tensorOf({tokens, k}, i32),
        logits, op.getBias(), op.getKAttr(), op.getScoreFuncAttr(),
        op.getRenormalizeAttr(), op.getNumGroupsAttr(), op.getTopkGroupsAttr(),
        op.getScalingFactorAttr(), /*mode=*/nullptr, /*capacity=*/nullptr);

    auto dispatch = DispatchOp::create(
        rewriter, loc, tensorOf({rows, model}, elementType),
        tensorOf({*numExperts}, i32), tensorOf({tokens, k}, i32), x,
        route.getIndices(), rewriter.getI64IntegerAttr(*numExperts),
        op.getCapacityAttr());
    Value offsets = dispatch.getOffsets();

    // The routed SwiGLU experts over the permuted rows.
    // The gate and up projections are one op (its `swiglu` form), so that
    // a kernel writes only their product.
    auto groupedMatmul = [&](Value input, Value weight,
                             Value upWeight) -> Value {
      auto weightType = cast<RankedTensorType>(weight.getType());
      return GroupedMatmulOp::create(
          rewriter, loc,
          tensorOf({rows, weightType.getDimSize(2)}, elementType), input,
          weight, offsets, /*source_rows=*/Value(), upWeight);
    };
    Value hidden =
        groupedMatmul(dispatch.getPermuted(), op.getWGate(), op.getWUp());
    Value down = groupedMatmul(hidden, op.getWDown(), Value());
    Value routed = CombineOp::create(rewriter, loc, xType, down,
                                     route.getWeights(), dispatch.getRowMap());
    if (!op.hasSharedExperts()) {
      rewriter.replaceOp(op, routed);
      return success();
    }

    // The shared expert, every token, in f32.
    Value sharedGate = matmulF32(rewriter, loc, x, op.getSharedGate());
    Value sharedUp = matmulF32(rewriter, loc, x, op.getSharedUp());
    Value sharedHidden =
        elementwise(rewriter, loc, {sharedGate, sharedUp}, f32,
                    [&](OpBuilder &b, ValueRange args) -> Value {
                      return swiglu(b, loc, args[0], args[1]);
                    });
    Value shared = matmulF32(rewriter, loc, sharedHidden, op.getSharedDown());
    Value out = elementwise(rewriter, loc, {routed, shared}, elementType,
                            [&](OpBuilder &b, ValueRange args) -> Value {
                              Value r = toF32(b, loc, args[0]);
                              Value sum =
                                  arith::AddFOp::create(b, loc, r, args[1]);
                              return fromF32(b, loc, sum, elementType);
                            });
    rewriter.replaceOp(op, out);
    return success();
  }
};
} // namespace

void mlir::celeris::populateDecomposeMoEPatterns(RewritePatternSet &patterns) {
  patterns.add<DecomposeMoE>(patterns.getContext());
}
