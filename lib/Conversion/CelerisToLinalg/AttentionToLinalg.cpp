//===- AttentionToLinalg.cpp - Reference lowering of attention --*- C++ -*-===//
//
// Lowers celeris.attention to the direct computation of its definition, in
// f32, with four reductions on tensors:
//
//   s[b,h,i,j] = allowed(b,h,i,j)
//                ? cap(scale * sum_d q[b,h,i,d] k[b,g,j,d] + alibi[h] (j' - p))
//                : -inf                              (g = h floordiv group)
//   m[b,h,i]   = max_j s                        (-inf for a fully masked row)
//   e[b,h,i,j] = s == -inf ? 0 : exp(s - m)     (never -inf - -inf)
//   l[b,h,i]   = sum_j e
//   out        = l == 0 ? 0 : (sum_{j, e != 0} e v[b,g,j,:]) / l
//   lse        = l == 0 ? -inf : m + log(l)
//
// `allowed` is the conjunction of the mask at (p, j') and of every structure
// operand present. p and j' are the query and key positions the mask sees:
// p = i + offset and j' = j, or positions local to the sequence under varlen.
// Everything is evaluated inside the logits generic from linalg.index
// positions and small per-position tensors read through affine maps; the
// (b, h, i, j) mask is never materialised.
//
// The structure operands that are not plain affine reads are first turned
// into such tensors:
//
// * page_table, dynamic head counts: K and V are gathered into dense
//   [B, H', Sk, D] tensors (tensor.extract in a generic body). Logical key j
//   of batch b is row j mod page_size of page table[b, j / page_size]. With
//   dynamic head counts H' = Hq (head h reads shared head h / group, a
//   runtime value), so the score generic runs with group 1.
// * varlen: per query row and per key, the number c of sequence starts at or
//   before it (the row is in sequence c - 1 when 1 <= c <= N) and the
//   position local to that sequence; a pair is allowed when both counts agree
//   and the sequence exists, so rows outside every sequence are fully masked.
// * block_layout: an i8 "listed" tensor [B, Hq, NQB, NKB], the OR over the
//   slots s < counts[b',h',qb] of indices[b',h',qb,s] == kb. Slots past the
//   count are never read as block numbers, so they may hold anything. The
//   layout's batch and head dimensions broadcast when they are 1 (tested at
//   run time when they are dynamic).
//
// The weighted sum skips keys with e == 0: a masked key (an unwritten cache
// slot past kv_lengths, say) may hold non-finite values, and 0 * inf is NaN.
//
//===----------------------------------------------------------------------===//

#include "celeris/Conversion/CelerisToLinalg/CelerisToLinalg.h"
#include "celeris/Dialect/Celeris/IR/CelerisOps.h"
#include "celeris/Utils/TensorBuilder.h"

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

/// Small arith builders over index values, for generic bodies.
struct IndexOps {
  OpBuilder &b;
  Location loc;

  Value constant(int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v);
  }
  Value fromI32(Value v) {
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value cmp(arith::CmpIPredicate pred, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, pred, x, y);
  }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y);
  }
  Value andI(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
  /// x clamped to [lo, hi].
  Value clamp(Value x, Value lo, Value hi) {
    return arith::MinSIOp::create(b, loc, arith::MaxSIOp::create(b, loc, x, lo),
                                  hi);
  }
};

/// Builds the linalg.generic ops of the reference attention.
class AttentionBuilder {
public:
  AttentionBuilder(PatternRewriter &rewriter, AttentionOp op)
      : rewriter(rewriter), loc(op.getLoc()), op(op),
        ctx(rewriter.getContext()), f32(rewriter.getF32Type()),
        indexType(rewriter.getIndexType()), tb{rewriter, loc} {}

  /// Emits the computation and returns (output, lse).
  std::pair<Value, Value> build();

private:
  //===--- Shapes and generic construction
  //---------------------------------===//

  OpFoldResult size(Value v, int64_t d) {
    return tensor::getMixedSize(rewriter, loc, v, d);
  }
  Value indexValue(OpFoldResult size) {
    return getValueOrCreateConstantIndexOp(rewriter, loc, size);
  }
  OpFoldResult mulSizes(OpFoldResult x, OpFoldResult y);
  OpFoldResult ceilDivSize(OpFoldResult x, int64_t y);

  //===--- Pieces of the computation
  //---------------------------------------===//

  Value scaleValue();
  Value queryOffset();
  Value gatherKeyValue(Value source, OpFoldResult heads, Value runtimeGroup);
  Value sequenceStartCounts(Value cuSeqlens, OpFoldResult length);
  Value localPositions(Value counts, OpFoldResult length, bool queries);
  Value listedKeyBlocks();
  Value broadcastListed(Value listed);
  Value logits(Value scores);

  PatternRewriter &rewriter;
  Location loc;
  AttentionOp op;
  MLIRContext *ctx;
  Type f32, indexType;
  TensorBuilder tb;

  // Problem sizes, set by build(). kvLen is the logical key length.
  OpFoldResult batch, heads, qLen, kvLen;
};

OpFoldResult AttentionBuilder::mulSizes(OpFoldResult x, OpFoldResult y) {
  std::optional<int64_t> cx = getConstantIntValue(x),
                         cy = getConstantIntValue(y);
  if (cx && cy)
    return rewriter.getIndexAttr(*cx * *cy);
  return arith::MulIOp::create(rewriter, loc, indexValue(x), indexValue(y))
      .getResult();
}

OpFoldResult AttentionBuilder::ceilDivSize(OpFoldResult x, int64_t y) {
  if (std::optional<int64_t> cx = getConstantIntValue(x))
    return rewriter.getIndexAttr((*cx + y - 1) / y);
  return arith::CeilDivUIOp::create(
             rewriter, loc, indexValue(x),
             arith::ConstantIndexOp::create(rewriter, loc, y))
      .getResult();
}

Value AttentionBuilder::scaleValue() {
  if (FloatAttr scale = op.getScaleAttr())
    return tb.f32Constant(rewriter, scale.getValueAsDouble());
  int64_t d = op.getQuery().getType().getDimSize(3);
  if (!ShapedType::isDynamic(d))
    return tb.f32Constant(rewriter, 1.0 / std::sqrt(static_cast<double>(d)));
  Value dim = tensor::DimOp::create(rewriter, loc, op.getQuery(), 3);
  Value asInt =
      arith::IndexCastOp::create(rewriter, loc, rewriter.getI64Type(), dim);
  Value asFloat = arith::SIToFPOp::create(rewriter, loc, f32, asInt);
  return math::RsqrtOp::create(rewriter, loc, asFloat);
}

/// The query offset shared by every batch: the explicit one, or the
/// bottom-right alignment Sk - Sq (kv_lengths and varlen have their own
/// defaults, computed per batch or sequence).
Value AttentionBuilder::queryOffset() {
  if (std::optional<int64_t> offset = op.getQueryOffset())
    return arith::ConstantIndexOp::create(rewriter, loc, *offset);
  return arith::SubIOp::create(rewriter, loc, indexValue(kvLen),
                               indexValue(qLen));
}

/// A dense [B, heads, Sk, D] copy of the key or value operand `source`, read
/// through the page table when the op is paged and, when `runtimeGroup` is
/// set, with head h reading the shared head h / runtimeGroup.
Value AttentionBuilder::gatherKeyValue(Value source, OpFoldResult outHeads,
                                       Value runtimeGroup) {
  Value table = op.getPageTable();
  Value pageSize, lastPage;
  if (table) {
    pageSize = indexValue(size(source, 2));
    lastPage =
        arith::SubIOp::create(rewriter, loc, indexValue(size(source, 0)),
                              arith::ConstantIndexOp::create(rewriter, loc, 1));
  }
  Type elementType = cast<ShapedType>(source.getType()).getElementType();
  Value init = tb.empty({batch, outHeads, kvLen, size(source, 3)}, elementType);
  AffineExpr d0, d1, d2, d3;
  bindDims(ctx, d0, d1, d2, d3);
  const auto par = IteratorType::parallel;
  return tb.generic(
      init, {}, {tb.map(4, {d0, d1, d2, d3})}, {par, par, par, par},
      [&](OpBuilder &b, ValueRange) -> Value {
        IndexOps m{b, loc};
        Value bIdx = linalg::IndexOp::create(b, loc, 0);
        Value head = linalg::IndexOp::create(b, loc, 1);
        Value row = linalg::IndexOp::create(b, loc, 2);
        Value d = linalg::IndexOp::create(b, loc, 3);
        if (runtimeGroup)
          head = arith::DivUIOp::create(b, loc, head, runtimeGroup);
        Value outer = bIdx;
        if (table) {
          Value slot = arith::DivUIOp::create(b, loc, row, pageSize);
          row = arith::RemUIOp::create(b, loc, row, pageSize);
          // Entries for pages past a sequence's length may be
          // anything (their keys are masked by kv_lengths): keep the
          // read in bounds.
          Value page = m.fromI32(
              tensor::ExtractOp::create(b, loc, table, ValueRange{bIdx, slot}));
          outer = m.clamp(page, m.constant(0), lastPage);
        }
        return tensor::ExtractOp::create(b, loc, source,
                                         ValueRange{outer, head, row, d});
      });
}

/// For each position x in [0, length) of a packed axis, the number of
/// sequence starts cu[n] <= x (n in [0, N]): x lies in sequence c - 1 when
/// 1 <= c <= N, and in no sequence otherwise.
Value AttentionBuilder::sequenceStartCounts(Value cuSeqlens,
                                            OpFoldResult length) {
  AffineExpr d0, d1;
  bindDims(ctx, d0, d1);
  Value init = tb.filled({length}, rewriter.getIndexAttr(0));
  return tb.generic(
      init, {cuSeqlens}, {tb.map(2, {d1}), tb.map(2, {d0})},
      {IteratorType::parallel, IteratorType::reduction},
      [&](OpBuilder &b, ValueRange args) -> Value {
        IndexOps m{b, loc};
        Value x = linalg::IndexOp::create(b, loc, 0);
        Value started = m.cmp(arith::CmpIPredicate::sle, m.fromI32(args[0]), x);
        return m.add(args[1], m.select(started, m.constant(1), m.constant(0)));
      });
}

/// The mask position of each query row (`queries`) or key of a packed axis,
/// local to its sequence n = counts - 1: p = i - cu_q[n] + offset_n, with
/// offset_n the explicit query_offset or len_kv(n) - len_q(n), and
/// j' = j - cu_kv[n]. Positions outside every sequence are unused.
Value AttentionBuilder::localPositions(Value counts, OpFoldResult length,
                                       bool queries) {
  Value cuQ = op.getCuSeqlensQ(), cuKv = op.getCuSeqlensKv();
  // N = dim(cu) - 1 sequences.
  Value lastBoundary =
      arith::SubIOp::create(rewriter, loc, indexValue(size(cuQ, 0)),
                            arith::ConstantIndexOp::create(rewriter, loc, 1));
  std::optional<int64_t> explicitOffset = op.getQueryOffset();
  AffineExpr d0;
  bindDims(ctx, d0);
  return tb.generic(
      tb.empty({length}, indexType), {counts},
      {tb.map(1, {d0}), tb.map(1, {d0})}, {IteratorType::parallel},
      [&](OpBuilder &b, ValueRange args) -> Value {
        IndexOps m{b, loc};
        Value x = linalg::IndexOp::create(b, loc, 0);
        // Clamped so that the reads stay in bounds for positions outside
        // every sequence, whose result is never used.
        Value n =
            m.clamp(m.sub(args[0], m.constant(1)), m.constant(0), lastBoundary);
        Value next = arith::MinSIOp::create(b, loc, m.add(n, m.constant(1)),
                                            lastBoundary);
        auto read = [&](Value cu, Value at) {
          return m.fromI32(tensor::ExtractOp::create(b, loc, cu, at));
        };
        if (!queries)
          return m.sub(x, read(cuKv, n));
        Value start = read(cuQ, n);
        Value offset = explicitOffset
                           ? m.constant(*explicitOffset)
                           : m.sub(m.sub(read(cuKv, next), read(cuKv, n)),
                                   m.sub(read(cuQ, next), start));
        return m.add(m.sub(x, start), offset);
      });
}

/// listed[b', h', qb, kb] = 1 when key block kb is among the first
/// counts[b', h', qb] entries of indices[b', h', qb, :], else 0, over the
/// layout's own (possibly broadcast) batch and head dimensions.
Value AttentionBuilder::listedKeyBlocks() {
  Value counts = op.getBlockCounts(), indices = op.getBlockIndices();
  int64_t keyBlock = (*op.getBlockSize())[1];
  AffineExpr d0, d1, d2, d3, d4;
  bindDims(ctx, d0, d1, d2, d3, d4);
  const auto par = IteratorType::parallel;
  Value init = tb.filled({size(counts, 0), size(counts, 1), size(counts, 2),
                          ceilDivSize(kvLen, keyBlock)},
                         rewriter.getI8IntegerAttr(0));
  return tb.generic(
      init, {counts, indices},
      {tb.map(5, {d0, d1, d2}), tb.map(5, {d0, d1, d2, d4}),
       tb.map(5, {d0, d1, d2, d3})},
      {par, par, par, par, IteratorType::reduction},
      [&](OpBuilder &b, ValueRange args) -> Value {
        IndexOps m{b, loc};
        Value kb = linalg::IndexOp::create(b, loc, 3);
        Value slot = linalg::IndexOp::create(b, loc, 4);
        Value hit =
            m.andI(m.cmp(arith::CmpIPredicate::slt, slot, m.fromI32(args[0])),
                   m.cmp(arith::CmpIPredicate::eq, m.fromI32(args[1]), kb));
        Value hit8 = arith::ExtUIOp::create(b, loc, b.getI8Type(), hit);
        return arith::OrIOp::create(b, loc, args[2], hit8);
      });
}

/// `listed` broadcast to [B, Hq, NQB, NKB] when a layout batch or head
/// dimension is dynamic: whether it broadcasts is only known at run time.
Value AttentionBuilder::broadcastListed(Value listed) {
  Value counts = op.getBlockCounts();
  auto layoutSize = [&](int64_t dim) {
    return tensor::DimOp::create(rewriter, loc, counts, dim).getResult();
  };
  Value layoutBatch = layoutSize(0), layoutHeads = layoutSize(1);
  AffineExpr d0, d1, d2, d3;
  bindDims(ctx, d0, d1, d2, d3);
  const auto par = IteratorType::parallel;
  Value init = tb.empty({batch, heads, size(listed, 2), size(listed, 3)},
                        rewriter.getI8Type());
  return tb.generic(
      init, {}, {tb.map(4, {d0, d1, d2, d3})}, {par, par, par, par},
      [&](OpBuilder &b, ValueRange) -> Value {
        IndexOps m{b, loc};
        auto layoutIndex = [&](unsigned dim, Value layoutDimSize) {
          Value broadcast =
              m.cmp(arith::CmpIPredicate::eq, layoutDimSize, m.constant(1));
          return m.select(broadcast, m.constant(0),
                          linalg::IndexOp::create(b, loc, dim));
        };
        SmallVector<Value> at = {layoutIndex(0, layoutBatch),
                                 layoutIndex(1, layoutHeads),
                                 linalg::IndexOp::create(b, loc, 2),
                                 linalg::IndexOp::create(b, loc, 3)};
        return tensor::ExtractOp::create(b, loc, listed, at);
      });
}

/// Scale, ALiBi, soft-cap and the `allowed` predicate, over (b, h, i, j).
Value AttentionBuilder::logits(Value scores) {
  AffineExpr d0, d1, d2, d3;
  bindDims(ctx, d0, d1, d2, d3);
  AffineMap id4 = tb.map(4, {d0, d1, d2, d3});
  const auto par = IteratorType::parallel;

  // Inputs of the generic; each structure operand records its argument.
  SmallVector<Value> inputs = {scores};
  SmallVector<AffineMap> maps = {id4};
  auto addInput = [&](Value value, ArrayRef<AffineExpr> results) {
    inputs.push_back(value);
    maps.push_back(tb.map(4, results));
    return inputs.size() - 1;
  };

  MaskAttr mask = op.getMask();
  bool masked = mask.getKind() != MaskKind::All;
  Value slopes = op.getAlibiSlopes(), lens = op.getKvLengths();
  bool varlen = static_cast<bool>(op.getCuSeqlensQ());
  bool needPositions = masked || slopes;

  std::optional<size_t> slopeArg, lensArg, qIdArg, kvIdArg, listedArg;
  std::optional<size_t> qCountArg, qPosArg, kCountArg, kPosArg;
  if (slopes)
    slopeArg = addInput(slopes, {d1});
  if (lens)
    lensArg = addInput(lens, {d0});
  if (op.getQSegmentIds()) {
    qIdArg = addInput(op.getQSegmentIds(), {d0, d2});
    kvIdArg = addInput(op.getKvSegmentIds(), {d0, d3});
  }
  Value numSequences;
  if (varlen) {
    // B = 1: the packed axes are i and j alone.
    Value qCounts = sequenceStartCounts(op.getCuSeqlensQ(), qLen);
    Value kCounts = sequenceStartCounts(op.getCuSeqlensKv(), kvLen);
    qCountArg = addInput(qCounts, {d2});
    kCountArg = addInput(kCounts, {d3});
    if (needPositions) {
      qPosArg = addInput(localPositions(qCounts, qLen, true), {d2});
      kPosArg = addInput(localPositions(kCounts, kvLen, false), {d3});
    }
    numSequences = arith::SubIOp::create(
        rewriter, loc, indexValue(size(op.getCuSeqlensQ(), 0)),
        arith::ConstantIndexOp::create(rewriter, loc, 1));
  }
  if (op.getBlockCounts()) {
    // A layout dimension of static size 1 broadcasts through the map.
    ArrayRef<int64_t> blockSize = *op.getBlockSize();
    ArrayRef<int64_t> layoutShape =
        cast<ShapedType>(op.getBlockCounts().getType()).getShape();
    Value listed = listedKeyBlocks();
    AffineExpr layoutBatch = d0, layoutHead = d1;
    if (ShapedType::isDynamic(layoutShape[0]) ||
        ShapedType::isDynamic(layoutShape[1])) {
      listed = broadcastListed(listed);
    } else {
      AffineExpr zero = getAffineConstantExpr(0, ctx);
      if (layoutShape[0] == 1)
        layoutBatch = zero;
      if (layoutShape[1] == 1)
        layoutHead = zero;
    }
    listedArg =
        addInput(listed, {layoutBatch, layoutHead, d2.floorDiv(blockSize[0]),
                          d3.floorDiv(blockSize[1])});
  }
  maps.push_back(id4);

  // The query offset outside varlen: one for the whole problem, or per batch
  // (lens[b] - Sq) under kv_lengths without an explicit offset.
  bool offsetPerBatch = lens && !op.getQueryOffset();
  Value sharedOffset, sqIndex;
  if (needPositions && !varlen) {
    if (offsetPerBatch)
      sqIndex = indexValue(qLen);
    else
      sharedOffset = queryOffset();
  }

  Value scale = scaleValue();
  FloatAttr softcap = op.getSoftcapAttr();
  return tb.generic(
      tb.emptyF32({batch, heads, qLen, kvLen}), inputs, maps,
      {par, par, par, par}, [&](OpBuilder &b, ValueRange args) -> Value {
        IndexOps m{b, loc};
        using Pred = arith::CmpIPredicate;
        Value s = arith::MulFOp::create(b, loc, args[0], scale);

        // Mask positions p (query) and j' (key).
        Value p, keyPos, j;
        if (needPositions && varlen) {
          p = args[*qPosArg];
          keyPos = args[*kPosArg];
        } else if (needPositions) {
          Value i = linalg::IndexOp::create(b, loc, 2);
          Value offset = offsetPerBatch
                             ? m.sub(m.fromI32(args[*lensArg]), sqIndex)
                             : sharedOffset;
          p = m.add(i, offset);
          keyPos = j = linalg::IndexOp::create(b, loc, 3);
        }
        if (lens && !j)
          j = linalg::IndexOp::create(b, loc, 3);

        if (slopes) {
          Value distance = arith::IndexCastOp::create(b, loc, b.getI64Type(),
                                                      m.sub(keyPos, p));
          Value bias = arith::MulFOp::create(
              b, loc, args[*slopeArg],
              arith::SIToFPOp::create(b, loc, b.getF32Type(), distance));
          s = arith::AddFOp::create(b, loc, s, bias);
        }
        if (softcap) {
          Value cap = tb.f32Constant(b, softcap.getValueAsDouble());
          Value t = math::TanhOp::create(b, loc,
                                         arith::DivFOp::create(b, loc, s, cap));
          s = arith::MulFOp::create(b, loc, cap, t);
        }

        Value allowed;
        auto require = [&](Value condition) {
          allowed = allowed ? m.andI(allowed, condition) : condition;
        };
        if (masked)
          require(buildMaskPredicate(b, loc, mask, p, keyPos));
        if (lens)
          require(m.cmp(Pred::slt, j, m.fromI32(args[*lensArg])));
        if (qIdArg)
          require(m.cmp(Pred::eq, args[*qIdArg], args[*kvIdArg]));
        if (varlen) {
          Value count = args[*qCountArg];
          require(m.cmp(Pred::eq, count, args[*kCountArg]));
          require(m.cmp(Pred::sge, count, m.constant(1)));
          require(m.cmp(Pred::sle, count, numSequences));
        }
        if (listedArg) {
          Value zero8 = arith::ConstantIntOp::create(b, loc, 0, 8);
          require(m.cmp(Pred::ne, args[*listedArg], zero8));
        }
        if (!allowed)
          return s;
        return m.select(allowed, s, tb.f32Constant(b, -INFINITY));
      });
}

std::pair<Value, Value> AttentionBuilder::build() {
  Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
  batch = size(q, 0);
  heads = size(q, 1);
  qLen = size(q, 2);
  kvLen = op.isPaged() ? mulSizes(size(op.getPageTable(), 1), size(k, 2))
                       : size(k, 2);
  OpFoldResult vDim = size(v, 3);
  const auto par = IteratorType::parallel, red = IteratorType::reduction;

  // Non-affine key/value reads become dense copies (see the file header).
  int64_t hq = op.getQuery().getType().getDimSize(1);
  int64_t hkv = op.getKey().getType().getDimSize(1);
  bool staticHeads = !ShapedType::isDynamic(hq) && !ShapedType::isDynamic(hkv);
  int64_t group = staticHeads ? hq / hkv : 1;
  if (op.isPaged() || !staticHeads) {
    Value runtimeGroup;
    OpFoldResult kvHeads = size(k, 1);
    if (!staticHeads) {
      runtimeGroup = arith::DivUIOp::create(rewriter, loc, indexValue(heads),
                                            indexValue(kvHeads));
      kvHeads = heads;
    }
    k = gatherKeyValue(k, kvHeads, runtimeGroup);
    v = gatherKeyValue(v, kvHeads, runtimeGroup);
  }

  AffineExpr d0, d1, d2, d3, d4;
  bindDims(ctx, d0, d1, d2, d3, d4);

  // Scores (b, h, i, j, d): q[b,h,i,d] . k[b,g,j,d].
  Value scores = tb.generic(
      tb.filledF32({batch, heads, qLen, kvLen}, 0.0), {q, k},
      {tb.map(5, {d0, d1, d2, d4}), tb.map(5, {d0, d1.floorDiv(group), d3, d4}),
       tb.map(5, {d0, d1, d2, d3})},
      {par, par, par, par, red}, [&](OpBuilder &b, ValueRange args) -> Value {
        Value prod = arith::MulFOp::create(b, loc, toF32(b, loc, args[0]),
                                           toF32(b, loc, args[1]));
        return arith::AddFOp::create(b, loc, args[2], prod);
      });

  Value logitValues = logits(scores);

  // Row maximum (b, h, i, j) -> (b, h, i).
  AffineMap id4 = tb.map(4, {d0, d1, d2, d3});
  AffineMap row4 = tb.map(4, {d0, d1, d2});
  Value rowMax = tb.generic(
      tb.filledF32({batch, heads, qLen}, -INFINITY), {logitValues}, {id4, row4},
      {par, par, par, red}, [&](OpBuilder &b, ValueRange args) -> Value {
        return arith::MaximumFOp::create(b, loc, args[0], args[1]);
      });

  // Guarded exponentials and their row sum.
  Value negInf = tb.f32Constant(rewriter, -INFINITY);
  Value zero = tb.f32Constant(rewriter, 0.0);
  Value exps =
      tb.generic(tb.emptyF32({batch, heads, qLen, kvLen}),
                 {logitValues, rowMax}, {id4, row4, id4}, {par, par, par, par},
                 [&](OpBuilder &b, ValueRange args) -> Value {
                   Value isMasked = arith::CmpFOp::create(
                       b, loc, arith::CmpFPredicate::OEQ, args[0], negInf);
                   Value e = math::ExpOp::create(
                       b, loc, arith::SubFOp::create(b, loc, args[0], args[1]));
                   return arith::SelectOp::create(b, loc, isMasked, zero, e);
                 });
  Value rowSum = tb.generic(
      tb.filledF32({batch, heads, qLen}, 0.0), {exps}, {id4, row4},
      {par, par, par, red}, [&](OpBuilder &b, ValueRange args) -> Value {
        return arith::AddFOp::create(b, loc, args[0], args[1]);
      });

  // Unnormalised output (b, h, i, e, j): sum_j p[b,h,i,j] v[b,g,j,e], over
  // the keys with a nonzero weight only (see the file header).
  Value weighted = tb.generic(
      tb.filledF32({batch, heads, qLen, vDim}, 0.0), {exps, v},
      {tb.map(5, {d0, d1, d2, d4}), tb.map(5, {d0, d1.floorDiv(group), d4, d3}),
       tb.map(5, {d0, d1, d2, d3})},
      {par, par, par, par, red}, [&](OpBuilder &b, ValueRange args) -> Value {
        Value prod =
            arith::MulFOp::create(b, loc, args[0], toF32(b, loc, args[1]));
        Value sum = arith::AddFOp::create(b, loc, args[2], prod);
        Value unused = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                             args[0], zero);
        return arith::SelectOp::create(b, loc, unused, args[2], sum);
      });

  // Normalise and convert to the output element type.
  Type elementType = op.getOutput().getType().getElementType();
  Value outInit = tb.empty({batch, heads, qLen, vDim}, elementType);
  Value output = tb.generic(
      outInit, {weighted, rowSum}, {id4, row4, id4}, {par, par, par, par},
      [&](OpBuilder &b, ValueRange args) -> Value {
        Value isEmpty = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                              args[1], zero);
        Value normalised = arith::DivFOp::create(b, loc, args[0], args[1]);
        Value r = arith::SelectOp::create(b, loc, isEmpty, zero, normalised);
        return fromF32(b, loc, r, elementType);
      });

  Value lse;
  if (op.getLse()) {
    AffineMap id3 = tb.map(3, {d0, d1, d2});
    lse = tb.generic(
        tb.emptyF32({batch, heads, qLen}), {rowMax, rowSum}, {id3, id3, id3},
        {par, par, par}, [&](OpBuilder &b, ValueRange args) -> Value {
          Value isEmpty = arith::CmpFOp::create(
              b, loc, arith::CmpFPredicate::OEQ, args[1], zero);
          Value value = arith::AddFOp::create(
              b, loc, args[0], math::LogOp::create(b, loc, args[1]));
          return arith::SelectOp::create(b, loc, isEmpty, negInf, value);
        });
  }
  return {output, lse};
}

} // namespace

std::optional<std::string>
mlir::celeris::getUnsupportedAttentionForm(AttentionOp op) {
  // Every operand form the verifier accepts is lowered.
  (void)op;
  return std::nullopt;
}

namespace {
struct AttentionToLinalg : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (std::optional<std::string> reason = getUnsupportedAttentionForm(op))
      return rewriter.notifyMatchFailure(op, *reason);
    auto [output, lse] = AttentionBuilder(rewriter, op).build();
    replaceAttentionOp(rewriter, op, output, lse);
    return success();
  }
};

} // namespace

void mlir::celeris::populateAttentionToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<AttentionToLinalg>(patterns.getContext());
}

void mlir::celeris::replaceAttentionOp(PatternRewriter &rewriter,
                                       AttentionOp op, Value output,
                                       Value lse) {
  SmallVector<Value> results = {output};
  if (lse)
    results.push_back(lse);
  // A static output over a dynamic query, say.
  for (auto [value, result] : llvm::zip(results, op->getResults()))
    value = castTo(rewriter, op.getLoc(), value, result.getType());
  rewriter.replaceOp(op, results);
}
