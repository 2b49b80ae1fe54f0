//===- TileAttention.cpp - FlashAttention's online softmax ------*- C++ -*-===//
//
// The celeris-tile-attention pass: celeris.attention as the tiled online
// softmax of FlashAttention, on tensors and scf, accumulating in f32.
//
//   forall b, h, query tile [i0, i0 + tq')     (tq' = min(tq, Sq - i0))
//     g = h floordiv (Hq / Hkv); positions p in [i0 + off, i0 + tq' + off)
//     m = -inf, l = 0, acc = 0                  ([tq'], [tq'], [tq', Dv])
//     for key/value tile [j0, j0 + tk') over the mask's key range for
//         these positions (buildKeyRange; j0 aligned to tk)
//                                               (tk' = min(tk, Sk - j0))
//       classify the tile's (p, j) pairs under the mask:
//       Empty:   m, l, acc unchanged (no score is computed)
//       Full:    s = cap(scale * q_tile k_tile^T)
//       Partial: s = mask(p, j) ? cap(scale * q_tile k_tile^T) : -inf
//       m'  = max(m, rowmax(s))
//       e   = s == -inf ? 0 : exp(s - m')
//       c   = m' == -inf ? 1 : exp(m - m')
//       l   = c * l + rowsum(e)
//       acc = c * acc + e v_tile
//       m   = m'
//     out = l == 0 ? 0 : acc / l;  lse = l == 0 ? -inf : m + log(l)
//
// Invariants after each tile: m is the maximum allowed score seen so far
// (-inf while none), l = sum of exp(s - m) and acc = sum of exp(s - m) v
// over the allowed keys seen so far. exp never sees -inf - -inf: e is
// guarded on s and c on m' (m' = -inf implies m = -inf, l = 0, acc = 0), so
// a fully masked row stays at l = 0 and ends with out = 0, lse = -inf.
//
// The forall over (b, h, query tile) is the grid of FlashAttention-2; the
// GPU lowering maps it to blocks and the key/value loop stays sequential.
// Constant tile bounds (a single tile along a dimension, static offsets)
// are classified at compile time and only the branch taken is emitted.
//
//===----------------------------------------------------------------------===//

#include "celeris/Conversion/CelerisToLinalg/CelerisToLinalg.h"
#include "celeris/Conversion/Passes.h"
#include "celeris/Dialect/Celeris/IR/CelerisOps.h"
#include "celeris/Utils/TensorBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir::celeris {
#define GEN_PASS_DEF_CELERISTILEATTENTION
#include "celeris/Conversion/Passes.h.inc"
} // namespace mlir::celeris

using namespace mlir;
using namespace mlir::celeris;

namespace {

using utils::IteratorType;

/// The running state of one query tile: row max, row sum, unnormalised
/// output.
struct SoftmaxState {
  Value m, l, acc;
  SmallVector<Value> asRange() const { return {m, l, acc}; }
};

/// Builds the tiled computation of one celeris.attention op at the
/// rewriter's insertion point.
class TiledAttentionBuilder {
public:
  TiledAttentionBuilder(RewriterBase &rewriter, AttentionOp op, int64_t group,
                        int64_t qTile, int64_t kvTile)
      : b(rewriter), loc(op.getLoc()), op(op), group(group), qTile(qTile),
        kvTile(kvTile), f32(rewriter.getF32Type()), tb{rewriter, loc} {}

  /// Emits the computation and returns (output, lse); lse is null when the
  /// op has none.
  std::pair<Value, Value> build();

private:
  //===--- Index arithmetic that folds constants -------------------------===//
  OpFoldResult index(int64_t v) { return b.getIndexAttr(v); }
  Value value(OpFoldResult v) {
    return getValueOrCreateConstantIndexOp(b, loc, v);
  }
  OpFoldResult add(OpFoldResult x, OpFoldResult y) {
    std::optional<int64_t> cx = getConstantIntValue(x),
                           cy = getConstantIntValue(y);
    if (cx && cy)
      return index(*cx + *cy);
    return arith::AddIOp::create(b, loc, value(x), value(y)).getResult();
  }
  OpFoldResult sub(OpFoldResult x, OpFoldResult y) {
    std::optional<int64_t> cx = getConstantIntValue(x),
                           cy = getConstantIntValue(y);
    if (cx && cy)
      return index(*cx - *cy);
    return arith::SubIOp::create(b, loc, value(x), value(y)).getResult();
  }
  OpFoldResult size(Value v, int64_t d) {
    return tensor::getMixedSize(b, loc, v, d);
  }

  /// Size of the tile starting at `begin` along a dimension of `extent`:
  /// min(tile, extent - begin), static when every tile has the same size.
  OpFoldResult tileSize(OpFoldResult extent, int64_t tile, OpFoldResult begin);
  /// Number of tiles of `tile` covering `extent`.
  OpFoldResult tileCount(OpFoldResult extent, int64_t tile);

  //===--- Tensor helpers
  //--------------------------------------------------===//
  /// The rank-reduced 2-d slice [b, head, begin : begin + rows, :] of `t`.
  Value rows(Value t, Value batch, Value head, OpFoldResult begin,
             OpFoldResult count);

  //===--- The algorithm
  //---------------------------------------------------===//
  Value scaleValue();
  OpFoldResult queryOffset();
  /// Computes one query tile; returns its (output, lse) tiles.
  std::pair<Value, Value> buildQueryTile(Value batch, Value head,
                                         OpFoldResult i0, OpFoldResult rowsQ);
  /// Folds the key/value tile at `j0` into `state`.
  SoftmaxState buildKvTile(const SoftmaxState &state, Value qTileValue,
                           Value batch, Value kvHead, OpFoldResult pBegin,
                           OpFoldResult rowsQ, OpFoldResult j0);
  /// The scaled, capped and (when `masked`) masked scores of a tile.
  Value logits(Value scores, bool masked, OpFoldResult pBegin, OpFoldResult j0);
  /// The online-softmax update of `state` with the logits of one tile.
  SoftmaxState update(const SoftmaxState &state, Value logits, Value vTile);

  RewriterBase &b;
  Location loc;
  AttentionOp op;
  int64_t group, qTile, kvTile;
  Type f32;
  TensorBuilder tb;
  // Set by build().
  Value scale;
  OpFoldResult offset, qLen, kvLen, headDim, vDim;
};

OpFoldResult TiledAttentionBuilder::tileSize(OpFoldResult extent, int64_t tile,
                                             OpFoldResult begin) {
  if (std::optional<int64_t> e = getConstantIntValue(extent)) {
    if (*e <= tile)
      return index(*e);
    if (*e % tile == 0)
      return index(tile);
  }
  Value remaining = value(sub(extent, begin));
  return arith::MinSIOp::create(b, loc, value(index(tile)), remaining)
      .getResult();
}

OpFoldResult TiledAttentionBuilder::tileCount(OpFoldResult extent,
                                              int64_t tile) {
  if (std::optional<int64_t> e = getConstantIntValue(extent))
    return index(llvm::divideCeilSigned(*e, tile));
  return arith::CeilDivSIOp::create(b, loc, value(extent), value(index(tile)))
      .getResult();
}

Value TiledAttentionBuilder::rows(Value t, Value batch, Value head,
                                  OpFoldResult begin, OpFoldResult count) {
  auto type = cast<RankedTensorType>(t.getType());
  SmallVector<OpFoldResult> offsets = {batch, head, begin, index(0)};
  SmallVector<OpFoldResult> sizes = {index(1), index(1), count, size(t, 3)};
  SmallVector<OpFoldResult> strides(4, index(1));
  auto sliceType = tensor::ExtractSliceOp::inferCanonicalRankReducedResultType(
      2, type, sizes);
  return tensor::ExtractSliceOp::create(b, loc, sliceType, t, offsets, sizes,
                                        strides);
}

Value TiledAttentionBuilder::scaleValue() {
  if (FloatAttr attr = op.getScaleAttr())
    return tb.f32Constant(b, attr.getValueAsDouble());
  if (std::optional<int64_t> d = getConstantIntValue(headDim))
    return tb.f32Constant(b, 1.0 / std::sqrt(static_cast<double>(*d)));
  Value asInt =
      arith::IndexCastOp::create(b, loc, b.getI64Type(), value(headDim));
  return math::RsqrtOp::create(b, loc,
                               arith::SIToFPOp::create(b, loc, f32, asInt));
}

OpFoldResult TiledAttentionBuilder::queryOffset() {
  if (std::optional<int64_t> attr = op.getQueryOffset())
    return index(*attr);
  return sub(kvLen, qLen); // bottom-right alignment
}

std::pair<Value, Value> TiledAttentionBuilder::build() {
  Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
  OpFoldResult batches = size(q, 0), heads = size(q, 1);
  qLen = size(q, 2);
  kvLen = size(k, 2);
  headDim = size(q, 3);
  vDim = size(v, 3);
  scale = scaleValue();
  offset = queryOffset();

  Type elementType = op.getOutput().getType().getElementType();
  SmallVector<Value> outputs = {
      tb.empty({batches, heads, qLen, vDim}, elementType)};
  if (op.getLse())
    outputs.push_back(tb.empty({batches, heads, qLen}, f32));

  OpFoldResult numQTiles = tileCount(qLen, qTile);
  auto forall = scf::ForallOp::create(
      b, loc, ArrayRef<OpFoldResult>{batches, heads, numQTiles}, outputs,
      /*mapping=*/std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(forall.getBody());
  ValueRange ivs = forall.getInductionVars();
  Value batch = ivs[0], head = ivs[1];
  // A single query tile starts at the constant 0, so that its tile bounds
  // (and with them the mask classification) can fold.
  OpFoldResult i0 = getConstantIntValue(numQTiles) == 1
                        ? index(0)
                        : OpFoldResult(arith::MulIOp::create(
                                           b, loc, ivs[2], value(index(qTile)))
                                           .getResult());
  OpFoldResult rowsQ = tileSize(qLen, qTile, i0);
  auto [outTile, lseTile] = buildQueryTile(batch, head, i0, rowsQ);

  b.setInsertionPointToStart(forall.getTerminator().getBody());
  ArrayRef<BlockArgument> shared = forall.getRegionOutArgs();
  tensor::ParallelInsertSliceOp::create(
      b, loc, outTile, shared[0],
      ArrayRef<OpFoldResult>{batch, head, i0, index(0)},
      ArrayRef<OpFoldResult>{index(1), index(1), rowsQ, vDim},
      SmallVector<OpFoldResult>(4, index(1)));
  if (lseTile)
    tensor::ParallelInsertSliceOp::create(
        b, loc, lseTile, shared[1], ArrayRef<OpFoldResult>{batch, head, i0},
        ArrayRef<OpFoldResult>{index(1), index(1), rowsQ},
        SmallVector<OpFoldResult>(3, index(1)));
  return {forall.getResult(0), lseTile ? forall.getResult(1) : Value()};
}

std::pair<Value, Value>
TiledAttentionBuilder::buildQueryTile(Value batch, Value head, OpFoldResult i0,
                                      OpFoldResult rowsQ) {
  Value kvHead = arith::DivUIOp::create(b, loc, head, value(index(group)));
  Value qTileValue = rows(op.getQuery(), batch, head, i0, rowsQ);
  OpFoldResult pBegin = add(i0, offset);
  SoftmaxState init{tb.filledF32({rowsQ}, -INFINITY),
                    tb.filledF32({rowsQ}, 0.0),
                    tb.filledF32({rowsQ, vDim}, 0.0)};

  // Loop over key/value tiles; a single tile is emitted inline at j0 = 0.
  SoftmaxState state;
  OpFoldResult numKvTiles = tileCount(kvLen, kvTile);
  if (getConstantIntValue(numKvTiles) == 1) {
    state =
        buildKvTile(init, qTileValue, batch, kvHead, pBegin, rowsQ, index(0));
  } else {
    // Only the key tiles the mask can reach for this query tile: causal
    // rows stop at the diagonal, windows start at their left edge. The
    // start is rounded down to a tile boundary so tiles stay aligned.
    auto [keyBegin, keyEnd] =
        buildKeyRange(b, loc, op.getMask(), value(pBegin),
                      value(add(pBegin, rowsQ)), value(kvLen));
    Value tile = value(index(kvTile));
    Value firstTile = arith::MulIOp::create(
        b, loc, arith::DivUIOp::create(b, loc, keyBegin, tile), tile);
    auto loop =
        scf::ForOp::create(b, loc, firstTile, keyEnd, tile, init.asRange());
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    ValueRange carried = loop.getRegionIterArgs();
    SoftmaxState next =
        buildKvTile({carried[0], carried[1], carried[2]}, qTileValue, batch,
                    kvHead, pBegin, rowsQ, loop.getInductionVar());
    scf::YieldOp::create(b, loc, next.asRange());
    state = {loop.getResult(0), loop.getResult(1), loop.getResult(2)};
  }

  // Normalise once at the end; l == 0 only for a fully masked row.
  AffineMap id2 = tb.map(2, {b.getAffineDimExpr(0), b.getAffineDimExpr(1)});
  AffineMap row2 = tb.map(2, {b.getAffineDimExpr(0)});
  AffineMap id1 = tb.map(1, {b.getAffineDimExpr(0)});
  const auto par = IteratorType::parallel;
  Type elementType = op.getOutput().getType().getElementType();
  Value out =
      tb.generic(tb.empty({rowsQ, vDim}, elementType), {state.acc, state.l},
                 {id2, row2, id2}, {par, par},
                 [&](OpBuilder &nb, ValueRange args) -> Value {
                   Value zero = tb.f32Constant(nb, 0.0);
                   Value isEmpty = arith::CmpFOp::create(
                       nb, loc, arith::CmpFPredicate::OEQ, args[1], zero);
                   Value r = arith::SelectOp::create(
                       nb, loc, isEmpty, zero,
                       arith::DivFOp::create(nb, loc, args[0], args[1]));
                   return fromF32(nb, loc, r, elementType);
                 });
  if (!op.getLse())
    return {out, Value()};
  Value lse =
      tb.generic(tb.empty({rowsQ}, f32), {state.m, state.l}, {id1, id1, id1},
                 {par}, [&](OpBuilder &nb, ValueRange args) -> Value {
                   Value isEmpty =
                       arith::CmpFOp::create(nb, loc, arith::CmpFPredicate::OEQ,
                                             args[1], tb.f32Constant(nb, 0.0));
                   Value r = arith::AddFOp::create(
                       nb, loc, args[0], math::LogOp::create(nb, loc, args[1]));
                   return arith::SelectOp::create(
                       nb, loc, isEmpty, tb.f32Constant(nb, -INFINITY), r);
                 });
  return {out, lse};
}

/// Whether `v` is a constant i1, and which.
static std::optional<bool> constantBool(Value v) {
  APInt value;
  if (!matchPattern(v, m_ConstantInt(&value)))
    return std::nullopt;
  return !value.isZero();
}

SoftmaxState TiledAttentionBuilder::buildKvTile(
    const SoftmaxState &state, Value qTileValue, Value batch, Value kvHead,
    OpFoldResult pBegin, OpFoldResult rowsQ, OpFoldResult j0) {
  OpFoldResult rowsKv = tileSize(kvLen, kvTile, j0);
  auto [isEmpty, isFull] = buildTileClassification(
      b, loc, op.getMask(), value(pBegin), value(add(pBegin, rowsQ)), value(j0),
      value(add(j0, rowsKv)));
  std::optional<bool> staticEmpty = constantBool(isEmpty);
  std::optional<bool> staticFull = constantBool(isFull);
  if (staticEmpty == true)
    return state;

  // The work of a non-empty tile: scores, then logits with or without the
  // mask, then the update.
  auto compute = [&]() -> SoftmaxState {
    Value kTile = rows(op.getKey(), batch, kvHead, j0, rowsKv);
    Value vTile = rows(op.getValue(), batch, kvHead, j0, rowsKv);
    AffineExpr i, j, d;
    bindDims(b.getContext(), i, j, d);
    const auto par = IteratorType::parallel, red = IteratorType::reduction;
    Value scores = tb.generic(
        tb.filledF32({rowsQ, rowsKv}, 0.0), {qTileValue, kTile},
        {tb.map(3, {i, d}), tb.map(3, {j, d}), tb.map(3, {i, j})},
        {par, par, red}, [&](OpBuilder &nb, ValueRange args) -> Value {
          Value prod = arith::MulFOp::create(nb, loc, toF32(nb, loc, args[0]),
                                             toF32(nb, loc, args[1]));
          return arith::AddFOp::create(nb, loc, args[2], prod);
        });
    Value s;
    if (staticFull) {
      s = logits(scores, /*masked=*/!*staticFull, pBegin, j0);
    } else {
      auto ifFull = scf::IfOp::create(b, loc, scores.getType(), isFull,
                                      /*withElseRegion=*/true);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(ifFull.thenBlock());
      scf::YieldOp::create(b, loc, logits(scores, false, pBegin, j0));
      b.setInsertionPointToStart(ifFull.elseBlock());
      scf::YieldOp::create(b, loc, logits(scores, true, pBegin, j0));
      s = ifFull.getResult(0);
    }
    return update(state, s, vTile);
  };
  if (staticEmpty == false)
    return compute();

  // Skip an empty tile at run time: the state passes through unchanged.
  SmallVector<Value> carried = state.asRange();
  auto ifEmpty = scf::IfOp::create(b, loc, ValueRange(carried).getTypes(),
                                   isEmpty, /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(ifEmpty.thenBlock());
  scf::YieldOp::create(b, loc, carried);
  b.setInsertionPointToStart(ifEmpty.elseBlock());
  scf::YieldOp::create(b, loc, compute().asRange());
  return {ifEmpty.getResult(0), ifEmpty.getResult(1), ifEmpty.getResult(2)};
}

Value TiledAttentionBuilder::logits(Value scores, bool masked,
                                    OpFoldResult pBegin, OpFoldResult j0) {
  MaskAttr mask = op.getMask();
  FloatAttr softcap = op.getSoftcapAttr();
  AffineMap id2 = tb.map(2, {b.getAffineDimExpr(0), b.getAffineDimExpr(1)});
  Value p0 = masked ? value(pBegin) : Value();
  Value jBase = masked ? value(j0) : Value();
  const auto par = IteratorType::parallel;
  return tb.generic(
      scores, {}, {id2}, {par, par},
      [&](OpBuilder &nb, ValueRange args) -> Value {
        Value s = arith::MulFOp::create(nb, loc, args[0], scale);
        if (softcap) {
          Value cap = tb.f32Constant(nb, softcap.getValueAsDouble());
          Value t = math::TanhOp::create(
              nb, loc, arith::DivFOp::create(nb, loc, s, cap));
          s = arith::MulFOp::create(nb, loc, cap, t);
        }
        if (!masked)
          return s;
        // Absolute positions of this element of the tile.
        Value p = arith::AddIOp::create(nb, loc, p0,
                                        linalg::IndexOp::create(nb, loc, 0));
        Value j = arith::AddIOp::create(nb, loc, jBase,
                                        linalg::IndexOp::create(nb, loc, 1));
        Value allowed = buildMaskPredicate(nb, loc, mask, p, j);
        return arith::SelectOp::create(nb, loc, allowed, s,
                                       tb.f32Constant(nb, -INFINITY));
      });
}

SoftmaxState TiledAttentionBuilder::update(const SoftmaxState &state,
                                           Value logits, Value vTile) {
  AffineExpr i, j, e;
  bindDims(b.getContext(), i, j, e);
  const auto par = IteratorType::parallel, red = IteratorType::reduction;
  AffineMap id1 = tb.map(1, {i}), id2 = tb.map(2, {i, j}),
            row2 = tb.map(2, {i});
  OpFoldResult rowsQ = size(logits, 0), rowsKv = size(logits, 1);

  // m' = max(m, rowmax(s)).
  Value mNew =
      tb.generic(state.m, {logits}, {id2, row2}, {par, red},
                 [&](OpBuilder &nb, ValueRange args) -> Value {
                   return arith::MaximumFOp::create(nb, loc, args[0], args[1]);
                 });
  // c = exp(m - m'), 1 while no key has been allowed (m' = -inf).
  Value corr = tb.generic(
      tb.empty({rowsQ}, f32), {state.m, mNew}, {id1, id1, id1}, {par},
      [&](OpBuilder &nb, ValueRange args) -> Value {
        Value none =
            arith::CmpFOp::create(nb, loc, arith::CmpFPredicate::OEQ, args[1],
                                  tb.f32Constant(nb, -INFINITY));
        Value c = math::ExpOp::create(
            nb, loc, arith::SubFOp::create(nb, loc, args[0], args[1]));
        return arith::SelectOp::create(nb, loc, none, tb.f32Constant(nb, 1.0),
                                       c);
      });
  // e = exp(s - m'), 0 for masked scores.
  Value exps = tb.generic(
      tb.empty({rowsQ, rowsKv}, f32), {logits, mNew}, {id2, row2, id2},
      {par, par}, [&](OpBuilder &nb, ValueRange args) -> Value {
        Value isMasked =
            arith::CmpFOp::create(nb, loc, arith::CmpFPredicate::OEQ, args[0],
                                  tb.f32Constant(nb, -INFINITY));
        Value x = math::ExpOp::create(
            nb, loc, arith::SubFOp::create(nb, loc, args[0], args[1]));
        return arith::SelectOp::create(nb, loc, isMasked,
                                       tb.f32Constant(nb, 0.0), x);
      });
  // l' = c * l + rowsum(e).
  Value lScaled =
      tb.generic(tb.empty({rowsQ}, f32), {state.l, corr}, {id1, id1, id1},
                 {par}, [&](OpBuilder &nb, ValueRange args) -> Value {
                   return arith::MulFOp::create(nb, loc, args[0], args[1]);
                 });
  Value lNew =
      tb.generic(lScaled, {exps}, {id2, row2}, {par, red},
                 [&](OpBuilder &nb, ValueRange args) -> Value {
                   return arith::AddFOp::create(nb, loc, args[0], args[1]);
                 });
  // acc' = c * acc + e v; the product runs over (row, column, key).
  Value accScaled = tb.generic(
      tb.empty({rowsQ, vDim}, f32), {state.acc, corr}, {id2, row2, id2},
      {par, par}, [&](OpBuilder &nb, ValueRange args) -> Value {
        return arith::MulFOp::create(nb, loc, args[0], args[1]);
      });
  AffineExpr row = i, column = j, key = e;
  Value accNew =
      tb.generic(accScaled, {exps, vTile},
                 {tb.map(3, {row, key}), tb.map(3, {key, column}),
                  tb.map(3, {row, column})},
                 {par, par, red}, [&](OpBuilder &nb, ValueRange args) -> Value {
                   Value prod = arith::MulFOp::create(nb, loc, args[0],
                                                      toF32(nb, loc, args[1]));
                   return arith::AddFOp::create(nb, loc, args[2], prod);
                 });
  return {mNew, lNew, accNew};
}

/// Why the tiled algorithm does not handle `op` yet, or std::nullopt. These
/// forms stay celeris.attention for the reference lowering.
static std::optional<StringRef> getUntiledForm(AttentionOp op) {
  if (op.getAlibiSlopes())
    return StringRef("has ALiBi slopes");
  if (op.getQSegmentIds())
    return StringRef("has segment ids");
  if (op.getCuSeqlensQ())
    return StringRef("has varlen offsets");
  if (op.getBlockCounts())
    return StringRef("has a block layout");
  if (op.getKvLengths())
    return StringRef("has kv_lengths");
  if (op.isPaged())
    return StringRef("has a page table");
  // The GQA group size is a compile-time divisor.
  if (ShapedType::isDynamic(op.getQuery().getType().getDimSize(1)) ||
      ShapedType::isDynamic(op.getKey().getType().getDimSize(1)))
    return StringRef("has dynamic head counts");
  return std::nullopt;
}

/// Tiles each celeris.attention of a form the tiled algorithm handles.
struct TileAttention : OpRewritePattern<AttentionOp> {
  TileAttention(MLIRContext *ctx, int64_t qTile, int64_t kvTile)
      : OpRewritePattern(ctx), qTile(qTile), kvTile(kvTile) {}

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (std::optional<StringRef> reason = getUntiledForm(op))
      return rewriter.notifyMatchFailure(op, *reason);
    int64_t hq = op.getQuery().getType().getDimSize(1);
    int64_t hkv = op.getKey().getType().getDimSize(1);
    auto [output, lse] =
        TiledAttentionBuilder(rewriter, op, hq / hkv, qTile, kvTile).build();
    replaceAttentionOp(rewriter, op, output, lse);
    return success();
  }

  int64_t qTile, kvTile;
};

struct TileAttentionPass
    : celeris::impl::CelerisTileAttentionBase<TileAttentionPass> {
  using CelerisTileAttentionBase::CelerisTileAttentionBase;

  void runOnOperation() override {
    if (qTile < 1 || kvTile < 1) {
      getOperation()->emitError("celeris-tile-attention expects positive "
                                "tile sizes, got q-tile = ")
          << qTile << ", kv-tile = " << kvTile;
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    patterns.add<TileAttention>(&getContext(), qTile, kvTile);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
