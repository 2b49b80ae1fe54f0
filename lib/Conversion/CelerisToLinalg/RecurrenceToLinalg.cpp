//===- RecurrenceToLinalg.cpp - Reference lowering of recurrences -*- C++
//-*-===//
//
// Lowers celeris.recurrence and celeris.scan to their sequential definition:
// an scf.for over the sequence axis whose iteration arguments carry the f32
// state and the output, with the per-step math as linalg.generic ops on the
// slices of one time step (tensor.extract_slice / tensor.insert_slice).
//
// celeris.recurrence, per step t, on [B, H, ...] slices:
//
//   S' = exp(g_t) (.) S                          (g_t = 0 for decay none)
//   additive: S = S' + k_t v_t^T                  (one generic with S')
//   delta:    u = k_t^T S'                        ([B, H, Dv], a reduction)
//             S = S' + beta_t k_t (v_t^T - u)     (= (I - b k k^T) S' + b k
//             v^T)
//   o_t = S^T q_t                                 (a reduction over Dk)
//
// The unscaled outputs are collected in an f32 [B, H, S, Dv] tensor; one
// final generic multiplies them by `scale` and converts them to the output
// element type. The state never leaves f32.
//
// celeris.scan, per step t along `axis` (t runs backwards for `reverse`):
//
//   h = a_t * h + b_t        (h starts at `initial`, or 0; kept in f32)
//
// with a_t, b_t the rank-reduced slices at t, and h converted to the result
// element type as it is inserted into the result.
//
//===----------------------------------------------------------------------===//

#include "celeris/Conversion/CelerisToLinalg/CelerisToLinalg.h"
#include "celeris/Dialect/Celeris/IR/CelerisOps.h"
#include "celeris/Utils/TensorBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::celeris;

namespace {

using utils::IteratorType;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// The slice of `source` at position `pos` of dimension `dim`, with that
/// dimension dropped.
Value extractSliceAt(OpBuilder &b, Location loc, Value source, int64_t dim,
                     OpFoldResult pos) {
  auto type = cast<RankedTensorType>(source.getType());
  int64_t rank = type.getRank();
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, source);
  SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
  offsets[dim] = pos;
  sizes[dim] = b.getIndexAttr(1);
  SmallVector<int64_t> shape(type.getShape());
  shape.erase(shape.begin() + dim);
  auto sliceType = RankedTensorType::get(shape, type.getElementType());
  return tensor::ExtractSliceOp::create(b, loc, sliceType, source, offsets,
                                        sizes, strides);
}

/// Inserts `slice`, of the shape of `dest` without dimension `dim`, into
/// `dest` at position `pos` of that dimension.
Value insertSliceAt(OpBuilder &b, Location loc, Value slice, Value dest,
                    int64_t dim, OpFoldResult pos) {
  int64_t rank = cast<RankedTensorType>(dest.getType()).getRank();
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, dest);
  SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
  offsets[dim] = pos;
  sizes[dim] = b.getIndexAttr(1);
  return tensor::InsertSliceOp::create(b, loc, slice, dest, offsets, sizes,
                                       strides);
}

//===----------------------------------------------------------------------===//
// celeris.recurrence
//===----------------------------------------------------------------------===//

/// Builds the sequential reference of one celeris.recurrence.
class RecurrenceBuilder {
public:
  RecurrenceBuilder(PatternRewriter &rewriter, RecurrenceOp op)
      : rewriter(rewriter), loc(op.getLoc()), op(op), ctx(op.getContext()) {
    bindDims(ctx, b, h, i, j);
    // Reductions over the key channel: (b, h, j, i), i innermost.
    AffineExpr rj = getAffineDimExpr(2, ctx), ri = getAffineDimExpr(3, ctx);
    rowReduction.state = map({b, h, ri, rj});
    rowReduction.key = map({b, h, ri});
    rowReduction.row = map({b, h, rj});
  }

  /// Emits the loop and returns (output, final state).
  std::pair<Value, Value> build();

private:
  AffineMap map(ArrayRef<AffineExpr> results) {
    return AffineMap::get(4, 0, results, ctx);
  }
  Value scaleValue();

  /// The decay gate of step `t` and its indexing map in the (b, h, i, j)
  /// iteration space of the state, or a null value for decay kind none.
  std::pair<Value, AffineMap> gateAt(OpBuilder &nb, Value t);

  /// One step of the state update from `state` (the state S_{t-1}).
  Value updateState(OpBuilder &nb, Value state, Value t);

  PatternRewriter &rewriter;
  Location loc;
  RecurrenceOp op;
  MLIRContext *ctx;
  /// Dimensions of the state iteration space: batch, head, key channel i,
  /// value channel j.
  AffineExpr b, h, i, j;
  /// Index maps of a reduction over the key channel i of the state into a
  /// [B, H, Dv] row, in the iteration space (b, h, j, i).
  struct {
    AffineMap state, key, row;
    SmallVector<IteratorType> iterators = {
        IteratorType::parallel, IteratorType::parallel, IteratorType::parallel,
        IteratorType::reduction};
  } rowReduction;
  SmallVector<OpFoldResult> stateShape; // [B, H, Dk, Dv]
  SmallVector<OpFoldResult> rowShape;   // [B, H, Dv]
};

Value RecurrenceBuilder::scaleValue() {
  if (FloatAttr scale = op.getScaleAttr())
    return f32Constant(rewriter, loc, scale.getValueAsDouble());
  int64_t dk = op.getQuery().getType().getDimSize(3);
  if (!ShapedType::isDynamic(dk))
    return f32Constant(rewriter, loc, 1.0 / std::sqrt(static_cast<double>(dk)));
  Value dim = tensor::DimOp::create(rewriter, loc, op.getQuery(), 3);
  Value asInt =
      arith::IndexCastOp::create(rewriter, loc, rewriter.getI64Type(), dim);
  Value asFloat =
      arith::SIToFPOp::create(rewriter, loc, rewriter.getF32Type(), asInt);
  return math::RsqrtOp::create(rewriter, loc, asFloat);
}

std::pair<Value, AffineMap> RecurrenceBuilder::gateAt(OpBuilder &nb, Value t) {
  Value decay = op.getDecay();
  switch (op.getDecayKind()) {
  case DecayKind::None:
    return {Value(), AffineMap()};
  case DecayKind::Head:
    // Constant in time: the whole [H] operand.
    return {decay, map({h})};
  case DecayKind::Scalar:
    return {extractSliceAt(nb, loc, decay, 2, t), map({b, h})};
  case DecayKind::Vector:
    // Per key channel: diag(exp(g_t)) S scales row i of the state.
    return {extractSliceAt(nb, loc, decay, 2, t), map({b, h, i})};
  }
  llvm_unreachable("unknown decay kind");
}

Value RecurrenceBuilder::updateState(OpBuilder &nb, Value state, Value t) {
  SmallVector<IteratorType> parallel4(4, IteratorType::parallel);
  AffineMap stateMap = map({b, h, i, j}), keyMap = map({b, h, i}),
            valueMap = map({b, h, j}), headMap = map({b, h});
  Value kt = extractSliceAt(nb, loc, op.getKey(), 2, t);
  Value vt = extractSliceAt(nb, loc, op.getValue(), 2, t);
  auto [gate, gateMap] = gateAt(nb, t);

  if (op.getUpdateKind() == UpdateKind::Additive) {
    // S = exp(g_t) (.) S + k_t v_t^T in one generic.
    SmallVector<Value> inputs = {state, kt, vt};
    SmallVector<AffineMap> maps = {stateMap, keyMap, valueMap};
    if (gate) {
      inputs.push_back(gate);
      maps.push_back(gateMap);
    }
    maps.push_back(stateMap);
    return generic(
        nb, loc, TensorBuilder{nb, loc}.emptyF32(stateShape), inputs, maps,
        parallel4, [&](OpBuilder &bb, Location l, ValueRange args) {
          Value s = args[0];
          if (gate)
            s = arith::MulFOp::create(bb, l,
                                      math::ExpOp::create(bb, l, args[3]), s);
          Value kv = arith::MulFOp::create(bb, l, toF32(bb, l, args[1]),
                                           toF32(bb, l, args[2]));
          return arith::AddFOp::create(bb, l, s, kv);
        });
  }

  // Delta rule. S' = exp(g_t) (.) S.
  Value decayed = state;
  if (gate)
    decayed = generic(nb, loc, TensorBuilder{nb, loc}.emptyF32(stateShape),
                      {state, gate}, {stateMap, gateMap, stateMap}, parallel4,
                      [&](OpBuilder &bb, Location l, ValueRange args) -> Value {
                        Value a = math::ExpOp::create(bb, l, args[1]);
                        return arith::MulFOp::create(bb, l, a, args[0]);
                      });

  // u[b,h,j] = sum_i k_t[b,h,i] S'[b,h,i,j]: what the state currently
  // predicts for key k_t.
  Value predicted = generic(
      nb, loc, TensorBuilder{nb, loc}.filledF32(rowShape, 0.0), {kt, decayed},
      {rowReduction.key, rowReduction.state, rowReduction.row},
      rowReduction.iterators,
      [&](OpBuilder &bb, Location l, ValueRange args) -> Value {
        Value prod =
            arith::MulFOp::create(bb, l, toF32(bb, l, args[0]), args[1]);
        return arith::AddFOp::create(bb, l, args[2], prod);
      });

  // S = S' + beta_t k_t (v_t - u)^T, i.e. (I - beta k k^T) S' + beta k v^T.
  Value betat = extractSliceAt(nb, loc, op.getBeta(), 2, t);
  return generic(
      nb, loc, TensorBuilder{nb, loc}.emptyF32(stateShape),
      {decayed, betat, kt, vt, predicted},
      {stateMap, headMap, keyMap, valueMap, valueMap, stateMap}, parallel4,
      [&](OpBuilder &bb, Location l, ValueRange args) -> Value {
        Value error =
            arith::SubFOp::create(bb, l, toF32(bb, l, args[3]), args[4]);
        Value strength = arith::MulFOp::create(bb, l, toF32(bb, l, args[1]),
                                               toF32(bb, l, args[2]));
        Value correction = arith::MulFOp::create(bb, l, strength, error);
        return arith::AddFOp::create(bb, l, args[0], correction);
      });
}

std::pair<Value, Value> RecurrenceBuilder::build() {
  Value q = op.getQuery(), v = op.getValue();
  auto size = [&](Value x, int64_t d) {
    return tensor::getMixedSize(rewriter, loc, x, d);
  };
  OpFoldResult batch = size(q, 0), heads = size(q, 1), seqLen = size(q, 2),
               keyDim = size(q, 3), valueDim = size(v, 3);
  stateShape = {batch, heads, keyDim, valueDim};
  rowShape = {batch, heads, valueDim};
  SmallVector<OpFoldResult> outShape = {batch, heads, seqLen, valueDim};

  Value initialState = TensorBuilder{rewriter, loc}.filledF32(stateShape, 0.0);
  if (Value given = op.getInitialState())
    initialState = castTo(rewriter, loc, given, initialState.getType());
  // Every step writes its row, so the collected outputs need no fill.
  Value outputs = TensorBuilder{rewriter, loc}.emptyF32(outShape);

  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  Value steps = getValueOrCreateConstantIndexOp(rewriter, loc, seqLen);
  auto loop = scf::ForOp::create(
      rewriter, loc, zero, steps, one, ValueRange{initialState, outputs},
      [&](OpBuilder &nb, Location l, Value t, ValueRange carried) {
        Value state = updateState(nb, carried[0], t);
        // o_t[b,h,j] = sum_i S[b,h,i,j] q_t[b,h,i] over (b, h, j, i).
        Value qt = extractSliceAt(nb, l, q, 2, t);
        Value row = generic(
            nb, l, TensorBuilder{nb, l}.filledF32(rowShape, 0.0), {state, qt},
            {rowReduction.state, rowReduction.key, rowReduction.row},
            rowReduction.iterators,
            [&](OpBuilder &bb, Location bl, ValueRange args) -> Value {
              Value prod = arith::MulFOp::create(bb, bl, args[0],
                                                 toF32(bb, bl, args[1]));
              return arith::AddFOp::create(bb, bl, args[2], prod);
            });
        Value collected = insertSliceAt(nb, l, row, carried[1], 2, t);
        scf::YieldOp::create(nb, l, ValueRange{state, collected});
      });

  // Scale and convert to the output element type.
  Value scale = scaleValue();
  auto outputType = cast<RankedTensorType>(op.getOutput().getType());
  Type elementType = outputType.getElementType();
  AffineMap id = map({b, h, i, j});
  Value output =
      generic(rewriter, loc,
              tensor::EmptyOp::create(rewriter, loc, outShape, elementType),
              {loop.getResult(1)}, {id, id},
              SmallVector<IteratorType>(4, IteratorType::parallel),
              [&](OpBuilder &bb, Location l, ValueRange args) -> Value {
                Value scaled = arith::MulFOp::create(bb, l, args[0], scale);
                return fromF32(bb, l, scaled, elementType);
              });
  output = castTo(rewriter, loc, output, outputType);

  Value finalState;
  if (Value result = op.getFinalState())
    finalState = castTo(rewriter, loc, loop.getResult(0), result.getType());
  return {output, finalState};
}

struct RecurrenceToLinalg : OpRewritePattern<RecurrenceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RecurrenceOp op,
                                PatternRewriter &rewriter) const override {
    auto [output, finalState] = RecurrenceBuilder(rewriter, op).build();
    SmallVector<Value> results = {output};
    if (finalState)
      results.push_back(finalState);
    rewriter.replaceOp(op, results);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// celeris.scan
//===----------------------------------------------------------------------===//

struct ScanToLinalg : OpRewritePattern<ScanOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ScanOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value a = op.getA(), bIn = op.getB();
    auto resultType = cast<RankedTensorType>(op.getH().getType());
    Type elementType = resultType.getElementType();
    int64_t axis = op.getAxis();
    int64_t sliceRank = resultType.getRank() - 1;

    SmallVector<OpFoldResult> shape = tensor::getMixedSizes(rewriter, loc, bIn);
    SmallVector<OpFoldResult> sliceShape(shape);
    sliceShape.erase(sliceShape.begin() + axis);
    AffineMap id = rewriter.getMultiDimIdentityMap(sliceRank);
    SmallVector<IteratorType> parallel(sliceRank, IteratorType::parallel);

    // The carried h, in f32 with the extents of b's slices so that every
    // iteration yields the same type.
    Value carried = TensorBuilder{rewriter, loc}.filledF32(sliceShape, 0.0);
    if (Value initial = op.getInitial()) {
      carried = generic(rewriter, loc,
                        TensorBuilder{rewriter, loc}.emptyF32(sliceShape),
                        {initial}, {id, id}, parallel,
                        [](OpBuilder &bb, Location l, ValueRange args) {
                          return toF32(bb, l, args[0]);
                        });
    }
    Value result = tensor::EmptyOp::create(rewriter, loc, shape, elementType);

    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    Value length = getValueOrCreateConstantIndexOp(rewriter, loc, shape[axis]);
    Value last = arith::SubIOp::create(rewriter, loc, length, one);
    bool reverse = op.getReverse();
    auto loop = scf::ForOp::create(
        rewriter, loc, zero, length, one, ValueRange{carried, result},
        [&](OpBuilder &nb, Location l, Value iv, ValueRange iterArgs) {
          Value t = reverse ? arith::SubIOp::create(nb, l, last, iv) : iv;
          Value at = extractSliceAt(nb, l, a, axis, t);
          Value bt = extractSliceAt(nb, l, bIn, axis, t);
          Value h =
              generic(nb, l, TensorBuilder{nb, l}.emptyF32(sliceShape),
                      {at, bt, iterArgs[0]}, {id, id, id, id}, parallel,
                      [](OpBuilder &bb, Location bl, ValueRange args) -> Value {
                        Value decayed = arith::MulFOp::create(
                            bb, bl, toF32(bb, bl, args[0]), args[2]);
                        return arith::AddFOp::create(bb, bl, decayed,
                                                     toF32(bb, bl, args[1]));
                      });
          Value converted = h;
          if (!elementType.isF32())
            converted = generic(
                nb, l, tensor::EmptyOp::create(nb, l, sliceShape, elementType),
                {h}, {id, id}, parallel,
                [&](OpBuilder &bb, Location bl, ValueRange args) {
                  return fromF32(bb, bl, args[0], elementType);
                });
          Value updated = insertSliceAt(nb, l, converted, iterArgs[1], axis, t);
          scf::YieldOp::create(nb, l, ValueRange{h, updated});
        });
    rewriter.replaceOp(op,
                       castTo(rewriter, loc, loop.getResult(1), resultType));
    return success();
  }
};

} // namespace

void mlir::celeris::populateRecurrenceToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<RecurrenceToLinalg, ScanToLinalg>(patterns.getContext());
}
