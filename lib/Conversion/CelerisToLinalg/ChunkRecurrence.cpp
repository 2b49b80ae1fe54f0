//===- ChunkRecurrence.cpp - Chunkwise-parallel recurrence ------*- C++ -*-===//
//
// The celeris-chunk-recurrence pass: rewrites celeris.recurrence into its
// chunkwise-parallel form, an scf.for over chunks of C tokens (the last one
// shorter when C does not divide S) that carries the f32 state S [B,H,Dk,Dv].
// Inside a chunk everything is a contraction over the chunk, so the work is
// matmul-shaped and only the chunk loop is sequential.
//
// Within a chunk (positions i, j = 0..L-1, state S_prev on entry), let G_i be
// the cumulative log decay sum_{s<=i} g_s (per key channel for the vector
// kind, a scalar otherwise) and Gamma_ij = exp(G_i - G_j). Unrolling the
// sequential definition gives, for both update kinds,
//
//   S_i = exp(G_i) (.) S_prev + sum_{j<=i} exp(G_i - G_j) (.) k_j u_j^T
//
// with u = v for the additive update. For the delta rule the pseudo-values u
// follow from S_i = a_i S_{i-1} + k_i (beta_i (v_i - (a_i S_{i-1})^T k_i))^T:
//
//   (I + A) u = diag(beta) (V - (K (.) exp(G)) S_prev),
//   A_ij = beta_i sum_d k_id k_jd exp(G_id - G_jd)   for j < i, else 0
//
// which the UT/WY transform solves once per chunk: T = (I + A)^-1 diag(beta)
// by forward substitution over the rows, U = T V, W = T (K (.) exp(G)) and
// u = U - W S_prev. Then
//
//   o_i   = scale ((Q (.) exp(G)) S_prev + ((Q K^T) (.) Gamma, j <= i) u)_i
//   S_new = exp(G_L-1) (.) S_prev + (K (.) exp(G_L-1 - G))^T u
//
// The decay factors are only ever formed as exp of a difference of cumulative
// sums inside the chunk (never as exp(G) times exp(-G)), and a factor with
// j > i is selected away before it is used, so nothing overflows for decays
// <= 1; for the vector kind that puts one exp per term in the score
// contraction instead of the GLA factorisation Q exp(G) (K exp(-G))^T, which
// overflows f32 once a chunk's cumulative decay passes about -88.
//
//===----------------------------------------------------------------------===//

#include "celeris/Conversion/Passes.h"
#include "celeris/Dialect/Celeris/IR/CelerisOps.h"
#include "celeris/Utils/TensorBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir::celeris {
#define GEN_PASS_DEF_CELERISCHUNKRECURRENCE
#include "celeris/Conversion/Passes.h.inc"
} // namespace mlir::celeris

using namespace mlir;
using namespace mlir::celeris;

namespace {

using utils::IteratorType;

/// The f32 operands of one chunk of tokens [start, start + len).
struct Chunk {
  Value start;
  OpFoldResult len;
  Value q, k, v;      // [B,H,L,Dk], [B,H,L,Dk], [B,H,L,Dv]
  Value beta;         // [B,H,L], delta rule only
  Value logDecay;     // G: [B,H,L] or [B,H,L,Dk] (vector); null for none
  Value lastLogDecay; // G_{L-1}: [B,H,1] or [B,H,1,Dk]; null for none
};

/// Builds the chunk loop of one celeris.recurrence.
class ChunkwiseRecurrenceBuilder {
public:
  ChunkwiseRecurrenceBuilder(PatternRewriter &rewriter, RecurrenceOp op,
                             int64_t chunk)
      : rewriter(rewriter), loc(op.getLoc()), ctx(rewriter.getContext()),
        op(op), chunkSize(chunk), f32(rewriter.getF32Type()),
        kind(op.getDecayKind()),
        delta(op.getUpdateKind() == UpdateKind::Delta), tb{rewriter, loc} {
    bindDims(ctx, db, dh, dm, dn, dr);
    zeroExpr = getAffineConstantExpr(0, ctx);
    Value q = op.getQuery();
    batch = size(q, 0);
    heads = size(q, 1);
    seqLen = size(q, 2);
    kDim = size(q, 3);
    vDim = size(op.getValue(), 3);
  }

  /// Emits the loop and returns (output, final state).
  std::pair<Value, Value> build();

private:
  //===--------------------------------------------------------------------===//
  // Generic helpers
  //===--------------------------------------------------------------------===//

  OpFoldResult size(Value v, int64_t d) {
    return tensor::getMixedSize(rewriter, loc, v, d);
  }
  OpFoldResult index(int64_t i) { return rewriter.getIndexAttr(i); }
  Value indexValue(OpFoldResult ofr) {
    return getValueOrCreateConstantIndexOp(rewriter, loc, ofr);
  }
  /// src[offsets +: sizes]. Slices of one position keep their unit
  /// dimension (a rank-reducing slice would be ambiguous when B or H is 1
  /// too) and are read through a constant-0 index in the maps.
  Value slice(Value src, ArrayRef<OpFoldResult> offsets,
              ArrayRef<OpFoldResult> sizes);
  /// The tokens of `chunk` of a [B,H,S(,D)] operand, converted to f32.
  Value chunkOf(Value src, const Chunk &chunk);
  /// init (+ or -)= sum_r lhs * rhs over the dims (b, h, m, n, r), with the
  /// result at (b, h, m, n); by default lhs at (b, h, m, r), rhs at
  /// (b, h, r, n) (a batched matmul).
  Value contract(Value init, Value lhs, Value rhs, bool subtract = false,
                 AffineMap lhsMap = {}, AffineMap rhsMap = {});

  //===--------------------------------------------------------------------===//
  // The algorithm
  //===--------------------------------------------------------------------===//

  /// G at (b, h, pos[, d]) for the dims of a generic.
  AffineMap logDecayMap(unsigned numDims, AffineExpr pos, AffineExpr d) {
    if (kind == DecayKind::Vector)
      return tb.map(numDims, {db, dh, pos, d});
    return tb.map(numDims, {db, dh, pos});
  }
  Value scaleValue();
  Value cumulativeLogDecay(const Chunk &chunk);
  Value weightByDecay(const Chunk &chunk, Value x, bool relativeToLast);
  Value decayedScores(const Chunk &chunk, Value x, Value y, bool strict,
                      Value rowScale);
  Value forwardSubstitution(const Chunk &chunk, Value a);
  Value pseudoValues(const Chunk &chunk, Value state);
  Value chunkOutput(const Chunk &chunk, Value values, Value state, Value scale);
  Value nextState(const Chunk &chunk, Value values, Value state);

  PatternRewriter &rewriter;
  Location loc;
  MLIRContext *ctx;
  RecurrenceOp op;
  int64_t chunkSize;
  Type f32;
  DecayKind kind;
  bool delta;
  TensorBuilder tb;
  AffineExpr db, dh, dm, dn, dr, zeroExpr;
  OpFoldResult batch, heads, seqLen, kDim, vDim;
  const IteratorType par = IteratorType::parallel,
                     red = IteratorType::reduction;
};

Value ChunkwiseRecurrenceBuilder::slice(Value src,
                                        ArrayRef<OpFoldResult> offsets,
                                        ArrayRef<OpFoldResult> sizes) {
  SmallVector<OpFoldResult> strides(sizes.size(), index(1));
  return tensor::ExtractSliceOp::create(rewriter, loc, src, offsets, sizes,
                                        strides);
}

Value ChunkwiseRecurrenceBuilder::chunkOf(Value src, const Chunk &chunk) {
  auto type = cast<RankedTensorType>(src.getType());
  SmallVector<OpFoldResult> offsets = {index(0), index(0), chunk.start};
  SmallVector<OpFoldResult> sizes = {batch, heads, chunk.len};
  if (type.getRank() == 4) {
    offsets.push_back(index(0));
    sizes.push_back(size(src, 3));
  }
  Value part = slice(src, offsets, sizes);
  if (type.getElementType().isF32())
    return part;
  // Convert once per chunk, so every contraction below reads f32.
  AffineMap id = rewriter.getMultiDimIdentityMap(type.getRank());
  SmallVector<IteratorType> iterators(type.getRank(), par);
  return tb.generic(
      tb.empty(sizes, f32), {part}, {id, id}, iterators,
      [&](OpBuilder &b, ValueRange args) { return toF32(b, loc, args[0]); });
}

Value ChunkwiseRecurrenceBuilder::contract(Value init, Value lhs, Value rhs,
                                           bool subtract, AffineMap lhsMap,
                                           AffineMap rhsMap) {
  if (!lhsMap)
    lhsMap = tb.map(5, {db, dh, dm, dr});
  if (!rhsMap)
    rhsMap = tb.map(5, {db, dh, dr, dn});
  return tb.generic(
      init, {lhs, rhs}, {lhsMap, rhsMap, tb.map(5, {db, dh, dm, dn})},
      {par, par, par, par, red}, [&](OpBuilder &b, ValueRange args) -> Value {
        Value prod = arith::MulFOp::create(b, loc, args[0], args[1]);
        if (subtract)
          return arith::SubFOp::create(b, loc, args[2], prod);
        return arith::AddFOp::create(b, loc, args[2], prod);
      });
}

Value ChunkwiseRecurrenceBuilder::scaleValue() {
  if (FloatAttr scale = op.getScaleAttr())
    return f32Constant(rewriter, loc, scale.getValueAsDouble());
  if (std::optional<int64_t> d = getConstantIntValue(kDim))
    return f32Constant(rewriter, loc, 1.0 / std::sqrt(static_cast<double>(*d)));
  Value asInt = arith::IndexCastOp::create(rewriter, loc, rewriter.getI64Type(),
                                           indexValue(kDim));
  Value asFloat = arith::SIToFPOp::create(rewriter, loc, f32, asInt);
  return math::RsqrtOp::create(rewriter, loc, asFloat);
}

/// G_i = sum_{s <= i} g_s within the chunk: [B,H,L], or [B,H,L,Dk] for the
/// vector kind. The head kind's gate is constant, so G_i = (i + 1) g_h.
Value ChunkwiseRecurrenceBuilder::cumulativeLogDecay(const Chunk &chunk) {
  if (kind == DecayKind::Head) {
    return tb.generic(
        tb.empty({batch, heads, chunk.len}, f32), {op.getDecay()},
        {tb.map(3, {dh}), tb.map(3, {db, dh, dm})}, {par, par, par},
        [&](OpBuilder &b, ValueRange args) -> Value {
          Value i = linalg::IndexOp::create(b, loc, 2);
          Value count = arith::AddIOp::create(
              b, loc, i, arith::ConstantIndexOp::create(b, loc, 1));
          Value asInt =
              arith::IndexCastOp::create(b, loc, b.getI64Type(), count);
          Value asFloat =
              arith::SIToFPOp::create(b, loc, b.getF32Type(), asInt);
          return arith::MulFOp::create(b, loc, asFloat, args[0]);
        });
  }
  // A masked sum over the chunk (dims b, h, i, [d,] j): quadratic in the
  // chunk length like every other intra-chunk step, and parallel over i.
  Value g = chunkOf(op.getDecay(), chunk);
  bool vector = kind == DecayKind::Vector;
  unsigned n = vector ? 5 : 4;
  AffineExpr j = vector ? dr : dn;
  SmallVector<OpFoldResult> shape = {batch, heads, chunk.len};
  SmallVector<AffineExpr> in = {db, dh, j}, out = {db, dh, dm};
  SmallVector<IteratorType> iterators = {par, par, par, red};
  if (vector) {
    shape.push_back(kDim);
    in.push_back(dn);
    out.push_back(dn);
    iterators = {par, par, par, par, red};
  }
  return tb.generic(
      tb.filledF32(shape, 0.0), {g}, {tb.map(n, in), tb.map(n, out)}, iterators,
      [&](OpBuilder &b, ValueRange args) -> Value {
        Value i = linalg::IndexOp::create(b, loc, 2);
        Value jj = linalg::IndexOp::create(b, loc, n - 1);
        Value upTo =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, jj, i);
        Value term = arith::SelectOp::create(b, loc, upTo, args[0],
                                             f32Constant(b, loc, 0.0));
        return arith::AddFOp::create(b, loc, args[1], term);
      });
}

/// x (.) exp(G) (the decay from the chunk start), or x (.) exp(G_{L-1} - G)
/// (the decay to the chunk end), for x: [B,H,L,D] with D = Dk.
Value ChunkwiseRecurrenceBuilder::weightByDecay(const Chunk &chunk, Value x,
                                                bool relativeToLast) {
  if (kind == DecayKind::None)
    return x;
  SmallVector<Value> inputs = {x, chunk.logDecay};
  SmallVector<AffineMap> maps = {tb.map(4, {db, dh, dm, dn}),
                                 logDecayMap(4, dm, dn)};
  if (relativeToLast) {
    inputs.push_back(chunk.lastLogDecay);
    maps.push_back(kind == DecayKind::Vector ? tb.map(4, {db, dh, zeroExpr, dn})
                                             : tb.map(4, {db, dh, zeroExpr}));
  }
  maps.push_back(tb.map(4, {db, dh, dm, dn}));
  auto shape = tensor::getMixedSizes(rewriter, loc, x);
  return tb.generic(tb.empty(shape, f32), inputs, maps, {par, par, par, par},
                    [&](OpBuilder &b, ValueRange args) -> Value {
                      Value logWeight = args[1];
                      if (relativeToLast)
                        logWeight =
                            arith::SubFOp::create(b, loc, args[2], args[1]);
                      Value w = math::ExpOp::create(b, loc, logWeight);
                      return arith::MulFOp::create(b, loc, args[0], w);
                    });
}

/// rowScale_i * sum_d x_id y_jd Gamma_ij(d) for j <= i (j < i when strict),
/// else 0: [B,H,L,L]. For the vector kind the decay is per channel and so
/// enters the contraction; otherwise it scales the finished score.
Value ChunkwiseRecurrenceBuilder::decayedScores(const Chunk &chunk, Value x,
                                                Value y, bool strict,
                                                Value rowScale) {
  auto allowed = [&](OpBuilder &b, Value i, Value j) -> Value {
    return arith::CmpIOp::create(
        b, loc, strict ? arith::CmpIPredicate::ult : arith::CmpIPredicate::ule,
        j, i);
  };
  Value zero = f32Constant(rewriter, loc, 0.0);
  SmallVector<OpFoldResult> shape = {batch, heads, chunk.len, chunk.len};
  Value raw;
  if (kind == DecayKind::Vector) {
    // (b, h, i, j, d); exp(G_id - G_jd) is only formed where j <= i.
    raw = tb.generic(
        tb.filledF32(shape, 0.0), {x, y, chunk.logDecay, chunk.logDecay},
        {tb.map(5, {db, dh, dm, dr}), tb.map(5, {db, dh, dn, dr}),
         tb.map(5, {db, dh, dm, dr}), tb.map(5, {db, dh, dn, dr}),
         tb.map(5, {db, dh, dm, dn})},
        {par, par, par, par, red}, [&](OpBuilder &b, ValueRange args) -> Value {
          Value i = linalg::IndexOp::create(b, loc, 2);
          Value j = linalg::IndexOp::create(b, loc, 3);
          Value gamma = math::ExpOp::create(
              b, loc, arith::SubFOp::create(b, loc, args[2], args[3]));
          Value factor =
              arith::SelectOp::create(b, loc, allowed(b, i, j), gamma, zero);
          Value prod = arith::MulFOp::create(b, loc, args[0], args[1]);
          prod = arith::MulFOp::create(b, loc, prod, factor);
          return arith::AddFOp::create(b, loc, args[4], prod);
        });
  } else {
    // y is read transposed: (b, h, j = n, d = r).
    raw = contract(tb.filledF32(shape, 0.0), x, y, /*subtract=*/false,
                   AffineMap(), tb.map(5, {db, dh, dn, dr}));
  }

  // Mask (b, h, i, j), with the scalar decay ratio and the row scale.
  bool scalarDecay = kind == DecayKind::Head || kind == DecayKind::Scalar;
  SmallVector<Value> inputs = {raw};
  SmallVector<AffineMap> maps = {tb.map(4, {db, dh, dm, dn})};
  if (scalarDecay) {
    inputs.append({chunk.logDecay, chunk.logDecay});
    maps.append({tb.map(4, {db, dh, dm}), tb.map(4, {db, dh, dn})});
  }
  if (rowScale) {
    inputs.push_back(rowScale);
    maps.push_back(tb.map(4, {db, dh, dm}));
  }
  maps.push_back(tb.map(4, {db, dh, dm, dn}));
  return tb.generic(tb.empty(shape, f32), inputs, maps, {par, par, par, par},
                    [&](OpBuilder &b, ValueRange args) -> Value {
                      Value s = args[0];
                      unsigned next = 1;
                      Value i = linalg::IndexOp::create(b, loc, 2);
                      Value j = linalg::IndexOp::create(b, loc, 3);
                      Value ok = allowed(b, i, j);
                      if (scalarDecay) {
                        Value diff =
                            arith::SubFOp::create(b, loc, args[1], args[2]);
                        // exp of a masked-out (j > i) difference could
                        // overflow.
                        diff = arith::SelectOp::create(b, loc, ok, diff, zero);
                        Value gamma = math::ExpOp::create(b, loc, diff);
                        s = arith::MulFOp::create(b, loc, s, gamma);
                        next = 3;
                      }
                      if (rowScale)
                        s = arith::MulFOp::create(b, loc, s, args[next]);
                      return arith::SelectOp::create(b, loc, ok, s, zero);
                    });
}

/// T = (I + A)^-1 diag(beta) for strictly lower-triangular A, row by row:
/// T_i = beta_i e_i - sum_{j<i} A_ij T_j. The rows j < i are final when row
/// i is formed, so only the computed prefix T[0:i] is read.
Value ChunkwiseRecurrenceBuilder::forwardSubstitution(const Chunk &chunk,
                                                      Value a) {
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  Value tInit = tb.filledF32({batch, heads, chunk.len, chunk.len}, 0.0);
  auto loop = scf::ForOp::create(rewriter, loc, zero, indexValue(chunk.len),
                                 one, ValueRange{tInit});
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointToStart(loop.getBody());
  Value i = loop.getInductionVar();
  Value t = loop.getRegionIterArgs()[0];

  // Row i as [B, H, 1, L], over (b, h, unit, c[, j]).
  Value aRow =
      slice(a, {index(0), index(0), i, index(0)}, {batch, heads, index(1), i});
  Value tTop = slice(t, {index(0), index(0), index(0), index(0)},
                     {batch, heads, i, chunk.len});
  Value betaI =
      slice(chunk.beta, {index(0), index(0), i}, {batch, heads, index(1)});
  // beta_i e_i.
  Value rowInit = tb.generic(
      tb.empty({batch, heads, index(1), chunk.len}, f32), {betaI},
      {tb.map(4, {db, dh, dm}), tb.map(4, {db, dh, dm, dn})},
      {par, par, par, par}, [&](OpBuilder &b, ValueRange args) -> Value {
        Value c = linalg::IndexOp::create(b, loc, 3);
        Value diag =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, c, i);
        return arith::SelectOp::create(b, loc, diag, args[0],
                                       f32Constant(b, loc, 0.0));
      });
  // - sum_{j<i} A_ij T_jc.
  Value row = tb.generic(
      rowInit, {aRow, tTop},
      {tb.map(5, {db, dh, dm, dr}), tb.map(5, {db, dh, dr, dn}),
       tb.map(5, {db, dh, dm, dn})},
      {par, par, par, par, red}, [&](OpBuilder &b, ValueRange args) -> Value {
        Value prod = arith::MulFOp::create(b, loc, args[0], args[1]);
        return arith::SubFOp::create(b, loc, args[2], prod);
      });
  Value updated = tensor::InsertSliceOp::create(
      rewriter, loc, row, t,
      ArrayRef<OpFoldResult>{index(0), index(0), i, index(0)},
      ArrayRef<OpFoldResult>{batch, heads, index(1), chunk.len},
      ArrayRef<OpFoldResult>{index(1), index(1), index(1), index(1)});
  scf::YieldOp::create(rewriter, loc, updated);
  return loop.getResult(0);
}

/// The delta rule's pseudo-values u = U - W S_prev, U = T V, W = T (K exp(G)).
Value ChunkwiseRecurrenceBuilder::pseudoValues(const Chunk &chunk,
                                               Value state) {
  Value a = decayedScores(chunk, chunk.k, chunk.k, /*strict=*/true, chunk.beta);
  Value t = forwardSubstitution(chunk, a);
  Value u =
      contract(tb.filledF32({batch, heads, chunk.len, vDim}, 0.0), t, chunk.v);
  Value w = contract(tb.filledF32({batch, heads, chunk.len, kDim}, 0.0), t,
                     weightByDecay(chunk, chunk.k, /*relativeToLast=*/false));
  return contract(u, w, state, /*subtract=*/true);
}

/// scale ((Q exp(G)) S_prev + (decayed causal scores) u), in the value type.
Value ChunkwiseRecurrenceBuilder::chunkOutput(const Chunk &chunk, Value values,
                                              Value state, Value scale) {
  SmallVector<OpFoldResult> shape = {batch, heads, chunk.len, vDim};
  Value inter = contract(tb.filledF32(shape, 0.0),
                         weightByDecay(chunk, chunk.q, false), state);
  Value scores =
      decayedScores(chunk, chunk.q, chunk.k, /*strict=*/false, Value());
  Value sum = contract(inter, scores, values);
  Type elementType = op.getOutput().getType().getElementType();
  AffineMap id = tb.map(4, {db, dh, dm, dn});
  return tb.generic(tb.empty(shape, elementType), {sum}, {id, id},
                    {par, par, par, par},
                    [&](OpBuilder &b, ValueRange args) -> Value {
                      Value r = arith::MulFOp::create(b, loc, args[0], scale);
                      return fromF32(b, loc, r, elementType);
                    });
}

/// exp(G_{L-1}) (.) S_prev + (K exp(G_{L-1} - G))^T u.
Value ChunkwiseRecurrenceBuilder::nextState(const Chunk &chunk, Value values,
                                            Value state) {
  Value decayed = state;
  if (kind != DecayKind::None) {
    AffineMap id = tb.map(4, {db, dh, dm, dn});
    AffineMap last = kind == DecayKind::Vector
                         ? tb.map(4, {db, dh, zeroExpr, dm})
                         : tb.map(4, {db, dh, zeroExpr});
    decayed = tb.generic(tb.empty({batch, heads, kDim, vDim}, f32),
                         {state, chunk.lastLogDecay}, {id, last, id},
                         {par, par, par, par},
                         [&](OpBuilder &b, ValueRange args) -> Value {
                           Value a = math::ExpOp::create(b, loc, args[1]);
                           return arith::MulFOp::create(b, loc, args[0], a);
                         });
  }
  Value keys = weightByDecay(chunk, chunk.k, /*relativeToLast=*/true);
  // (b, h, d = m, e = n, j = r): keys read transposed.
  return contract(decayed, keys, values, /*subtract=*/false,
                  tb.map(5, {db, dh, dr, dm}));
}

std::pair<Value, Value> ChunkwiseRecurrenceBuilder::build() {
  Value scale = scaleValue();
  Type outType = op.getOutput().getType().getElementType();
  Value outInit = tb.empty({batch, heads, seqLen, vDim}, outType);
  Value stateInit = op.getInitialState()
                        ? op.getInitialState()
                        : tb.filledF32({batch, heads, kDim, vDim}, 0.0);

  // A static chunk length when every chunk is full, so the chunk tensors
  // keep static shapes; otherwise min(C, S - start).
  int64_t step = chunkSize;
  std::optional<int64_t> staticLen = getConstantIntValue(seqLen);
  if (staticLen && *staticLen > 0)
    step = std::min(step, *staticLen);
  bool fullChunks = staticLen && *staticLen % step == 0;

  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value stepValue = arith::ConstantIndexOp::create(rewriter, loc, step);
  Value seq = indexValue(seqLen);
  auto loop = scf::ForOp::create(rewriter, loc, zero, seq, stepValue,
                                 ValueRange{outInit, stateInit});
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointToStart(loop.getBody());
  Value out = loop.getRegionIterArgs()[0];
  Value state = loop.getRegionIterArgs()[1];

  Chunk chunk;
  chunk.start = loop.getInductionVar();
  chunk.len =
      fullChunks ? index(step)
                 : OpFoldResult(arith::MinSIOp::create(
                       rewriter, loc, stepValue,
                       arith::SubIOp::create(rewriter, loc, seq, chunk.start)));
  chunk.q = chunkOf(op.getQuery(), chunk);
  chunk.k = chunkOf(op.getKey(), chunk);
  chunk.v = chunkOf(op.getValue(), chunk);
  if (delta)
    chunk.beta = chunkOf(op.getBeta(), chunk);
  if (kind != DecayKind::None) {
    chunk.logDecay = cumulativeLogDecay(chunk);
    Value lastPos =
        arith::SubIOp::create(rewriter, loc, indexValue(chunk.len),
                              arith::ConstantIndexOp::create(rewriter, loc, 1));
    SmallVector<OpFoldResult> offsets = {index(0), index(0), lastPos};
    SmallVector<OpFoldResult> sizes = {batch, heads, index(1)};
    if (kind == DecayKind::Vector) {
      offsets.push_back(index(0));
      sizes.push_back(kDim);
    }
    chunk.lastLogDecay = slice(chunk.logDecay, offsets, sizes);
  }

  Value values = delta ? pseudoValues(chunk, state) : chunk.v;
  Value output = chunkOutput(chunk, values, state, scale);
  Value newState = nextState(chunk, values, state);
  Value newOut = tensor::InsertSliceOp::create(
      rewriter, loc, output, out,
      ArrayRef<OpFoldResult>{index(0), index(0), chunk.start, index(0)},
      ArrayRef<OpFoldResult>{batch, heads, chunk.len, vDim},
      ArrayRef<OpFoldResult>{index(1), index(1), index(1), index(1)});
  scf::YieldOp::create(rewriter, loc, ValueRange{newOut, newState});
  return {loop.getResult(0), loop.getResult(1)};
}

struct ChunkRecurrence : OpRewritePattern<RecurrenceOp> {
  ChunkRecurrence(MLIRContext *ctx, int64_t chunk)
      : OpRewritePattern(ctx), chunk(chunk) {}

  LogicalResult matchAndRewrite(RecurrenceOp op,
                                PatternRewriter &rewriter) const override {
    auto [output, state] =
        ChunkwiseRecurrenceBuilder(rewriter, op, chunk).build();
    SmallVector<Value> results = {output};
    if (op.getFinalState())
      results.push_back(state);
    rewriter.replaceOp(op, results);
    return success();
  }

  int64_t chunk;
};

struct CelerisChunkRecurrencePass
    : mlir::celeris::impl::CelerisChunkRecurrenceBase<
          CelerisChunkRecurrencePass> {
  using Base::Base;
  void runOnOperation() override {
    if (chunk < 1) {
      getOperation()->emitError("celeris-chunk-recurrence: chunk must be "
                                "positive, got ")
          << static_cast<int64_t>(chunk);
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    patterns.add<ChunkRecurrence>(&getContext(), chunk);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
