//===- MoEToLinalg.cpp - Reference lowering of the MoE family ---*- C++ -*-===//
//
// Lowers celeris.route, celeris.dispatch, celeris.grouped_matmul and
// celeris.combine to the direct computation of their definitions with
// linalg.generic on tensors, in f32 (i32 for counts and ids).
//
// Every sort of the family is a stable ranking, computed without sorting:
// the rank of an entry is the number of entries that precede it, so the
// entry of rank j is the j-th of the sorted order. For routing, entry a
// precedes entry b when sel[a] > sel[b] or they tie and a has the lower
// index (and, in group-limited routing, eligible experts precede all others):
//
//   rank[t, e]       = #{e' : (t, e') precedes (t, e)}
//   indices[t, j]    = the e with rank[t, e] = j         (j < k)
//
// Group-limited routing ranks the groups the same way by the sum of their
// two largest sel. Expert choice ranks tokens within a column of sel.
// Dispatch transcribes its definition: rank among earlier assignments of
// the same expert, per-expert counts, their inclusive prefix sum (offsets),
// row_map = start of the expert + rank, and the inverse of row_map to
// gather the permuted rows. grouped_matmul finds the group of every row as
// #{e : offsets[e] <= row}; combine gathers y through row_map. Gathers read
// with tensor.extract at an index clamped into bounds, and a select discards
// what a dropped row read.
//
// The rankings are quadratic in the ranked extent (E per token, T per
// expert, T * k per dispatch): this is the oracle, not the fast path.
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
constexpr IteratorType kPar = IteratorType::parallel;
constexpr IteratorType kRed = IteratorType::reduction;

using BodyBuilder = function_ref<SmallVector<Value>(OpBuilder &, ValueRange)>;

/// Builds the tensors and linalg.generic ops shared by the MoE lowerings:
/// the shared TensorBuilder plus multi-result generics and the scalar
/// helpers of the rankings.
class MoEEmitter : public TensorBuilder {
public:
  MoEEmitter(OpBuilder &b, Location loc) : TensorBuilder{b, loc} {}

  Location getLoc() const { return loc; }
  OpBuilder &builder() { return b; }

  OpFoldResult size(Value v, int64_t d) {
    return tensor::getMixedSize(b, loc, v, d);
  }
  Value indexValue(OpFoldResult ofr) {
    return getValueOrCreateConstantIndexOp(b, loc, ofr);
  }
  Value filledI32(ArrayRef<OpFoldResult> shape, int64_t value) {
    return filled(shape, b.getI32IntegerAttr(value));
  }

  /// The projection of `numDims` loop dimensions onto `dims`.
  AffineMap map(unsigned numDims, ArrayRef<unsigned> dims) {
    return AffineMap::getMultiDimMapWithTargets(numDims, dims, b.getContext());
  }

  SmallVector<Value> generic(ValueRange inits, ValueRange inputs,
                             ArrayRef<AffineMap> maps,
                             ArrayRef<IteratorType> iterators,
                             BodyBuilder body) {
    auto op = linalg::GenericOp::create(
        b, loc, TypeRange(inits), inputs, inits, maps, iterators,
        [&](OpBuilder &nested, Location l, ValueRange args) {
          linalg::YieldOp::create(nested, l, body(nested, args));
        });
    return SmallVector<Value>(op.getResults());
  }
  using TensorBuilder::generic;

  //===--- Scalar helpers for generic bodies ------------------------------===//

  Value i32(OpBuilder &nb, int64_t v) {
    return arith::ConstantOp::create(nb, loc, nb.getI32IntegerAttr(v));
  }
  /// The position along loop dimension `dim`, as i32.
  Value loopIndexI32(OpBuilder &nb, unsigned dim) {
    Value i = linalg::IndexOp::create(nb, loc, dim);
    return arith::IndexCastOp::create(nb, loc, nb.getI32Type(), i);
  }
  /// `acc + 1` where `cond` holds, else `acc` (i32).
  Value countIf(OpBuilder &nb, Value cond, Value acc) {
    Value one = arith::ExtUIOp::create(nb, loc, nb.getI32Type(), cond);
    return arith::AddIOp::create(nb, loc, acc, one);
  }
  Value cmpI(OpBuilder &nb, arith::CmpIPredicate pred, Value l, Value r) {
    return arith::CmpIOp::create(nb, loc, pred, l, r);
  }
  Value cmpF(OpBuilder &nb, arith::CmpFPredicate pred, Value l, Value r) {
    return arith::CmpFOp::create(nb, loc, pred, l, r);
  }
  Value select(OpBuilder &nb, Value cond, Value t, Value f) {
    return arith::SelectOp::create(nb, loc, cond, t, f);
  }
  Value andI(OpBuilder &nb, Value l, Value r) {
    return arith::AndIOp::create(nb, loc, l, r);
  }
  Value orI(OpBuilder &nb, Value l, Value r) {
    return arith::OrIOp::create(nb, loc, l, r);
  }
  /// Whether entry (value, index) precedes (otherValue, otherIndex) in
  /// descending order of value, ties to the lower index.
  Value precedes(OpBuilder &nb, Value value, Value index, Value otherValue,
                 Value otherIndex) {
    Value greater = cmpF(nb, arith::CmpFPredicate::OGT, value, otherValue);
    Value equal = cmpF(nb, arith::CmpFPredicate::OEQ, value, otherValue);
    Value lower = cmpI(nb, arith::CmpIPredicate::ult, index, otherIndex);
    return orI(nb, greater, andI(nb, equal, lower));
  }
};

} // namespace

//===----------------------------------------------------------------------===//
// Rankings
//===----------------------------------------------------------------------===//

/// The stable descending rank (i32) of every entry of `keys: [A, B]` (f32)
/// within its row (`alongRows`) or its column. With `eligible` (i1, same
/// shape), eligible entries precede every ineligible one.
static Value rankEntries(MoEEmitter &em, Value keys, bool alongRows,
                         Value eligible = {}) {
  // Loops (d0, d1, d2): the entry ranked is (d0, d1); the entry compared
  // with it is (d0, d2) along rows, (d2, d1) along columns.
  unsigned ownPos = alongRows ? 1 : 0;
  AffineMap own = em.map(3, {0, 1});
  AffineMap other = alongRows ? em.map(3, {0, 2}) : em.map(3, {2, 1});
  SmallVector<Value> inputs = {keys, keys};
  SmallVector<AffineMap> maps = {own, other};
  if (eligible) {
    inputs.append({eligible, eligible});
    maps.append({own, other});
  }
  maps.push_back(own);
  Value init = em.filledI32({em.size(keys, 0), em.size(keys, 1)}, 0);
  return em.generic(
      init, inputs, maps, {kPar, kPar, kRed},
      [&](OpBuilder &b, ValueRange args) -> Value {
        Value ownIndex = linalg::IndexOp::create(b, em.getLoc(), ownPos);
        Value otherIndex = linalg::IndexOp::create(b, em.getLoc(), 2);
        Value ahead = em.precedes(b, args[1], otherIndex, args[0], ownIndex);
        if (eligible) {
          // Compare (eligible, sel, -index) lexicographically: on i1,
          // `ugt` is "eligible where the other is not".
          Value otherOnly =
              em.cmpI(b, arith::CmpIPredicate::ugt, args[3], args[2]);
          Value same = em.cmpI(b, arith::CmpIPredicate::eq, args[3], args[2]);
          ahead = em.orI(b, otherOnly, em.andI(b, same, ahead));
        }
        return em.countIf(b, ahead, args.back());
      });
}

/// For every row a of the result and every j < `count`, the position b of
/// the entry of rank j and `values` at that entry: (ids [A, count] i32,
/// picked [A, count] f32). `rank` and `values` are [A, B] when `alongRows`,
/// else [B, A] (ranked within columns).
static std::pair<Value, Value> pickRanked(MoEEmitter &em, Value rank,
                                          Value values, bool alongRows,
                                          int64_t count) {
  // Loops (d0, d1, d2) = (a, j, b).
  AffineMap entry = alongRows ? em.map(3, {0, 2}) : em.map(3, {2, 0});
  AffineMap out = em.map(3, {0, 1});
  OpFoldResult rows = em.size(rank, alongRows ? 0 : 1);
  OpFoldResult cols = em.builder().getIndexAttr(count);
  SmallVector<Value> picked = em.generic(
      {em.filledI32({rows, cols}, 0), em.filledF32({rows, cols}, 0.0)},
      {rank, values}, {entry, entry, out, out}, {kPar, kPar, kRed},
      [&](OpBuilder &b, ValueRange args) -> SmallVector<Value> {
        Value hit = em.cmpI(b, arith::CmpIPredicate::eq, args[0],
                            em.loopIndexI32(b, 1));
        return {em.select(b, hit, em.loopIndexI32(b, 2), args[2]),
                em.select(b, hit, args[1], args[3])};
      });
  return {picked[0], picked[1]};
}

//===----------------------------------------------------------------------===//
// celeris.route
//===----------------------------------------------------------------------===//

/// The router scores s: [T, E] in f32.
static Value routerScores(MoEEmitter &em, Value logits, ScoreFunc scoreFunc) {
  OpFoldResult tokens = em.size(logits, 0), experts = em.size(logits, 1);
  AffineMap id = em.map(2, {0, 1}), row = em.map(2, {0});
  Value init = em.empty({tokens, experts}, em.builder().getF32Type());
  if (scoreFunc == ScoreFunc::Sigmoid)
    return em.generic(
        init, {logits}, {id, id}, {kPar, kPar},
        [&](OpBuilder &b, ValueRange args) -> Value {
          Location loc = em.getLoc();
          Value neg = arith::NegFOp::create(b, loc, em.toF32(b, args[0]));
          Value denom = arith::AddFOp::create(b, loc, em.f32Constant(b, 1.0),
                                              math::ExpOp::create(b, loc, neg));
          return arith::DivFOp::create(b, loc, em.f32Constant(b, 1.0), denom);
        });

  // Softmax over experts, shifted by the row maximum.
  Value rowMax =
      em.generic(em.filledF32({tokens}, -INFINITY), {logits}, {id, row},
                 {kPar, kRed}, [&](OpBuilder &b, ValueRange args) -> Value {
                   return arith::MaximumFOp::create(
                       b, em.getLoc(), em.toF32(b, args[0]), args[1]);
                 });
  Value exps = em.generic(init, {logits, rowMax}, {id, row, id}, {kPar, kPar},
                          [&](OpBuilder &b, ValueRange args) -> Value {
                            Value shifted = arith::SubFOp::create(
                                b, em.getLoc(), em.toF32(b, args[0]), args[1]);
                            return math::ExpOp::create(b, em.getLoc(), shifted);
                          });
  Value rowSum = em.generic(
      em.filledF32({tokens}, 0.0), {exps}, {id, row}, {kPar, kRed},
      [&](OpBuilder &b, ValueRange args) -> Value {
        return arith::AddFOp::create(b, em.getLoc(), args[0], args[1]);
      });
  return em.generic(init, {exps, rowSum}, {id, row, id}, {kPar, kPar},
                    [&](OpBuilder &b, ValueRange args) -> Value {
                      return arith::DivFOp::create(b, em.getLoc(), args[0],
                                                   args[1]);
                    });
}

/// Which experts are eligible ([T, E] i1) under group-limited routing: those
/// of the `topkGroups` groups with the largest group score.
static Value eligibleExperts(MoEEmitter &em, Value selection, int64_t numGroups,
                             int64_t topkGroups) {
  OpBuilder &builder = em.builder();
  Location loc = em.getLoc();
  OpFoldResult tokens = em.size(selection, 0),
               groups = builder.getIndexAttr(numGroups);
  Value experts = em.indexValue(em.size(selection, 1));
  Value groupSize = arith::DivUIOp::create(
      builder, loc, experts,
      arith::ConstantIndexOp::create(builder, loc, numGroups));

  // The two largest selection scores of every group: loops (t, g, e) visit
  // every expert and keep the members of g.
  auto inGroup = [&](OpBuilder &b) {
    Value e = linalg::IndexOp::create(b, loc, 2);
    Value g = linalg::IndexOp::create(b, loc, 1);
    Value groupOfE = arith::DivUIOp::create(b, loc, e, groupSize);
    return em.cmpI(b, arith::CmpIPredicate::eq, groupOfE, g);
  };
  SmallVector<Value> topTwo = em.generic(
      {em.filledF32({tokens, groups}, -INFINITY),
       em.filledF32({tokens, groups}, -INFINITY)},
      {selection}, {em.map(3, {0, 2}), em.map(3, {0, 1}), em.map(3, {0, 1})},
      {kPar, kPar, kRed},
      [&](OpBuilder &b, ValueRange args) -> SmallVector<Value> {
        Value x = args[0], first = args[1], second = args[2];
        Value member = inGroup(b);
        Value newFirst = arith::MaximumFOp::create(b, loc, first, x);
        Value beatsFirst = em.cmpF(b, arith::CmpFPredicate::OGT, x, first);
        Value newSecond = em.select(
            b, beatsFirst, first, arith::MaximumFOp::create(b, loc, second, x));
        return {em.select(b, member, newFirst, first),
                em.select(b, member, newSecond, second)};
      });

  // Group score: the sum of the two largest, the largest alone for groups of
  // one expert.
  Value singleton = em.cmpI(builder, arith::CmpIPredicate::eq, groupSize,
                            arith::ConstantIndexOp::create(builder, loc, 1));
  AffineMap id = em.map(2, {0, 1});
  Value groupScore = em.generic(
      em.empty({tokens, groups}, builder.getF32Type()), topTwo, {id, id, id},
      {kPar, kPar}, [&](OpBuilder &b, ValueRange args) -> Value {
        Value sum = arith::AddFOp::create(b, loc, args[0], args[1]);
        return em.select(b, singleton, args[0], sum);
      });
  Value groupRank = rankEntries(em, groupScore, /*alongRows=*/true);

  // Expert e is eligible when its group ranks below topk_groups: loops
  // (t, e, g) find the group of e.
  Value init = em.filled({tokens, em.size(selection, 1)},
                         builder.getIntegerAttr(builder.getI1Type(), 0));
  return em.generic(
      init, {groupRank}, {em.map(3, {0, 2}), em.map(3, {0, 1})},
      {kPar, kPar, kRed}, [&](OpBuilder &b, ValueRange args) -> Value {
        Value e = linalg::IndexOp::create(b, loc, 1);
        Value g = linalg::IndexOp::create(b, loc, 2);
        Value groupOfE = arith::DivUIOp::create(b, loc, e, groupSize);
        Value member = em.cmpI(b, arith::CmpIPredicate::eq, groupOfE, g);
        Value best = em.cmpI(b, arith::CmpIPredicate::slt, args[0],
                             em.i32(b, topkGroups));
        return em.orI(b, args[1], em.andI(b, member, best));
      });
}

namespace {
struct RouteToLinalg : OpRewritePattern<RouteOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RouteOp op,
                                PatternRewriter &rewriter) const override {
    MoEEmitter em(rewriter, op.getLoc());
    Location loc = op.getLoc();
    Value scores = routerScores(em, op.getLogits(), op.getScoreFunc());
    AffineMap id = em.map(2, {0, 1});
    OpFoldResult tokens = em.size(scores, 0), experts = em.size(scores, 1);

    // The bias steers the selection only.
    Value selection = scores;
    if (Value bias = op.getBias())
      selection =
          em.generic(em.empty({tokens, experts}, rewriter.getF32Type()),
                     {scores, bias}, {id, em.map(2, {1}), id}, {kPar, kPar},
                     [&](OpBuilder &b, ValueRange args) -> Value {
                       return arith::AddFOp::create(b, loc, args[0], args[1]);
                     });

    Value ids, picked;
    if (op.isExpertChoice()) {
      Value rank = rankEntries(em, selection, /*alongRows=*/false);
      std::tie(ids, picked) =
          pickRanked(em, rank, scores, /*alongRows=*/false, *op.getCapacity());
    } else {
      Value eligible;
      if (std::optional<uint64_t> numGroups = op.getNumGroups())
        eligible =
            eligibleExperts(em, selection, *numGroups, *op.getTopkGroups());
      Value rank = rankEntries(em, selection, /*alongRows=*/true, eligible);
      std::tie(ids, picked) =
          pickRanked(em, rank, scores, /*alongRows=*/true, op.getK());
    }

    // Renormalise (a zero sum leaves 0) and scale.
    double scaling = op.getScalingFactor().convertToDouble();
    bool renormalize = op.getRenormalize();
    if (!renormalize && scaling == 1.0) {
      rewriter.replaceOp(op, {picked, ids});
      return success();
    }
    OpFoldResult rows = em.size(picked, 0), cols = em.size(picked, 1);
    SmallVector<Value> inputs = {picked};
    SmallVector<AffineMap> maps = {id};
    if (renormalize) {
      inputs.push_back(
          em.generic(em.filledF32({rows}, 0.0), {picked}, {id, em.map(2, {0})},
                     {kPar, kRed}, [&](OpBuilder &b, ValueRange args) -> Value {
                       return arith::AddFOp::create(b, loc, args[0], args[1]);
                     }));
      maps.push_back(em.map(2, {0}));
    }
    maps.push_back(id);
    Value weights = em.generic(
        em.empty({rows, cols}, rewriter.getF32Type()), inputs, maps,
        {kPar, kPar}, [&](OpBuilder &b, ValueRange args) -> Value {
          Value w = args[0];
          if (renormalize) {
            Value zero = em.f32Constant(b, 0.0);
            Value isZero = em.cmpF(b, arith::CmpFPredicate::OEQ, args[1], zero);
            w = em.select(b, isZero, zero,
                          arith::DivFOp::create(b, loc, w, args[1]));
          }
          if (scaling != 1.0)
            w = arith::MulFOp::create(b, loc, w, em.f32Constant(b, scaling));
          return w;
        });
    rewriter.replaceOp(op, {weights, ids});
    return success();
  }
};
} // namespace

//===----------------------------------------------------------------------===//
// celeris.dispatch
//===----------------------------------------------------------------------===//

namespace {
/// What celeris.dispatch_map computes: the token of every dispatched row
/// (-1 past the kept ones), offsets and row_map.
struct DispatchMap {
  Value sourceRows, offsets, rowMap;
};
} // namespace

/// The dispatch map of `experts` [T, k] (`staticRows`: T k, or dynamic).
static DispatchMap buildDispatchMap(MoEEmitter &em, PatternRewriter &rewriter,
                                    Location loc, Value experts,
                                    int64_t numExperts,
                                    std::optional<uint64_t> capacity,
                                    int64_t staticRows) {
  OpFoldResult tokens = em.size(experts, 0), slots = em.size(experts, 1);
  OpFoldResult numExpertsSize = rewriter.getIndexAttr(numExperts);
  AffineMap id = em.map(2, {0, 1});
  // rank(t, j): earlier assignments, in (token, slot) order, to the same
  // expert. Loops (t, j, t', j').
  Value rank = em.generic(
      em.filledI32({tokens, slots}, 0), {experts, experts},
      {em.map(4, {0, 1}), em.map(4, {2, 3}), em.map(4, {0, 1})},
      {kPar, kPar, kRed, kRed}, [&](OpBuilder &b, ValueRange args) -> Value {
        Value t = linalg::IndexOp::create(b, loc, 0);
        Value j = linalg::IndexOp::create(b, loc, 1);
        Value tOther = linalg::IndexOp::create(b, loc, 2);
        Value jOther = linalg::IndexOp::create(b, loc, 3);
        Value before =
            em.orI(b, em.cmpI(b, arith::CmpIPredicate::ult, tOther, t),
                   em.andI(b, em.cmpI(b, arith::CmpIPredicate::eq, tOther, t),
                           em.cmpI(b, arith::CmpIPredicate::ult, jOther, j)));
        Value sameExpert =
            em.cmpI(b, arith::CmpIPredicate::eq, args[0], args[1]);
        return em.countIf(b, em.andI(b, before, sameExpert), args[2]);
      });

  // kept(t, j): a valid expert id, within capacity.
  auto isKept = [&](OpBuilder &b, Value expert, Value expertRank) {
    Value kept = em.andI(
        b, em.cmpI(b, arith::CmpIPredicate::sge, expert, em.i32(b, 0)),
        em.cmpI(b, arith::CmpIPredicate::slt, expert, em.i32(b, numExperts)));
    if (capacity)
      kept = em.andI(b, kept,
                     em.cmpI(b, arith::CmpIPredicate::slt, expertRank,
                             em.i32(b, *capacity)));
    return kept;
  };

  // count[e]: kept assignments to e. Loops (e, t, j).
  Value count = em.generic(
      em.filledI32({numExpertsSize}, 0), {experts, rank},
      {em.map(3, {1, 2}), em.map(3, {1, 2}), em.map(3, {0})},
      {kPar, kRed, kRed}, [&](OpBuilder &b, ValueRange args) -> Value {
        Value toE = em.cmpI(b, arith::CmpIPredicate::eq, args[0],
                            em.loopIndexI32(b, 0));
        return em.countIf(b, em.andI(b, toE, isKept(b, args[0], args[1])),
                          args[2]);
      });

  // offsets[e] = count[0] + ... + count[e]. Loops (e, e').
  Value offsets =
      em.generic(em.filledI32({numExpertsSize}, 0), {count},
                 {em.map(2, {1}), em.map(2, {0})}, {kPar, kRed},
                 [&](OpBuilder &b, ValueRange args) -> Value {
                   Value upTo = em.cmpI(b, arith::CmpIPredicate::ule,
                                        linalg::IndexOp::create(b, loc, 1),
                                        linalg::IndexOp::create(b, loc, 0));
                   Value sum = arith::AddIOp::create(b, loc, args[1], args[0]);
                   return em.select(b, upTo, sum, args[1]);
                 });

  // The first row of the expert of (t, j): counts of the experts below
  // it. Loops (t, j, e).
  Value start = em.generic(
      em.filledI32({tokens, slots}, 0), {experts, count},
      {em.map(3, {0, 1}), em.map(3, {2}), em.map(3, {0, 1})},
      {kPar, kPar, kRed}, [&](OpBuilder &b, ValueRange args) -> Value {
        Value below = em.cmpI(b, arith::CmpIPredicate::slt,
                              em.loopIndexI32(b, 2), args[0]);
        Value sum = arith::AddIOp::create(b, loc, args[2], args[1]);
        return em.select(b, below, sum, args[2]);
      });

  Value rowMap = em.generic(
      em.empty({tokens, slots}, rewriter.getI32Type()), {experts, rank, start},
      {id, id, id, id}, {kPar, kPar},
      [&](OpBuilder &b, ValueRange args) -> Value {
        Value row = arith::AddIOp::create(b, loc, args[2], args[1]);
        return em.select(b, isKept(b, args[0], args[1]), row, em.i32(b, -1));
      });

  // The inverse of row_map: the token of every permuted row, -1 past the
  // kept ones. Loops (r, t, j).
  OpFoldResult rows =
      ShapedType::isDynamic(staticRows)
          ? OpFoldResult(arith::MulIOp::create(rewriter, loc,
                                               em.indexValue(tokens),
                                               em.indexValue(slots))
                             .getResult())
          : OpFoldResult(rewriter.getIndexAttr(staticRows));
  Value source = em.generic(
      em.filledI32({rows}, -1), {rowMap}, {em.map(3, {1, 2}), em.map(3, {0})},
      {kPar, kRed, kRed}, [&](OpBuilder &b, ValueRange args) -> Value {
        Value hit = em.cmpI(b, arith::CmpIPredicate::eq, args[0],
                            em.loopIndexI32(b, 0));
        return em.select(b, hit, em.loopIndexI32(b, 1), args[1]);
      });
  return {source, offsets, rowMap};
}

/// x's rows in the order of `sourceRows` ([N], i32): row i is
/// x[sourceRows[i], :], zeros where the source is outside [0, T).
static Value gatherRows(MoEEmitter &em, Location loc, Value x,
                        Value sourceRows) {
  Type elementType = cast<ShapedType>(x.getType()).getElementType();
  OpBuilder &builder = em.builder();
  Value tokens = arith::IndexCastOp::create(builder, loc, builder.getI32Type(),
                                            em.indexValue(em.size(x, 0)));
  return em.generic(
      em.empty({em.size(sourceRows, 0), em.size(x, 1)}, elementType),
      {sourceRows}, {em.map(2, {0}), em.map(2, {0, 1})}, {kPar, kPar},
      [&](OpBuilder &b, ValueRange args) -> Value {
        Value inside = em.andI(
            b, em.cmpI(b, arith::CmpIPredicate::sge, args[0], em.i32(b, 0)),
            em.cmpI(b, arith::CmpIPredicate::slt, args[0], tokens));
        Value token = arith::IndexCastOp::create(
            b, loc, b.getIndexType(),
            em.select(b, inside, args[0], em.i32(b, 0)));
        Value column = linalg::IndexOp::create(b, loc, 1);
        Value value =
            tensor::ExtractOp::create(b, loc, x, ValueRange{token, column});
        Value zero =
            arith::ConstantOp::create(b, loc, b.getFloatAttr(elementType, 0.0));
        return em.select(b, inside, value, zero);
      });
}

namespace {
struct DispatchToLinalg : OpRewritePattern<DispatchOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DispatchOp op,
                                PatternRewriter &rewriter) const override {
    MoEEmitter em(rewriter, op.getLoc());
    DispatchMap map = buildDispatchMap(
        em, rewriter, op.getLoc(), op.getExperts(), op.getNumExperts(),
        op.getCapacity(), op.getPermuted().getType().getDimSize(0));
    Value permuted = gatherRows(em, op.getLoc(), op.getX(), map.sourceRows);
    rewriter.replaceOp(op, {permuted, map.offsets, map.rowMap});
    return success();
  }
};

struct DispatchMapToLinalg : OpRewritePattern<DispatchMapOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DispatchMapOp op,
                                PatternRewriter &rewriter) const override {
    MoEEmitter em(rewriter, op.getLoc());
    DispatchMap map = buildDispatchMap(
        em, rewriter, op.getLoc(), op.getExperts(), op.getNumExperts(),
        op.getCapacity(), op.getSourceRows().getType().getDimSize(0));
    rewriter.replaceOp(op, {map.sourceRows, map.offsets, map.rowMap});
    return success();
  }
};
} // namespace

//===----------------------------------------------------------------------===//
// celeris.grouped_matmul
//===----------------------------------------------------------------------===//

namespace {
struct GroupedMatmulToLinalg : OpRewritePattern<GroupedMatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GroupedMatmulOp op,
                                PatternRewriter &rewriter) const override {
    MoEEmitter em(rewriter, op.getLoc());
    Location loc = op.getLoc();
    Value x = op.getX(), w = op.getW(), offsets = op.getOffsets();
    // The gather form multiplies the rows it names.
    if (Value sourceRows = op.getSourceRows())
      x = gatherRows(em, loc, x, sourceRows);
    OpFoldResult rows = em.size(x, 0), outDim = em.size(w, 2);

    // group[n] = #{e : offsets[e] <= n}; E for rows past the last group.
    // Loops (n, e).
    Value group = em.generic(
        em.filledI32({rows}, 0), {offsets}, {em.map(2, {1}), em.map(2, {0})},
        {kPar, kRed}, [&](OpBuilder &b, ValueRange args) -> Value {
          Value ended = em.cmpI(b, arith::CmpIPredicate::sle, args[0],
                                em.loopIndexI32(b, 0));
          return em.countIf(b, ended, args[1]);
        });

    // y[n, f] = sum_d x[n, d] w[group[n], d, f], reading w at the clamped
    // group. Loops (n, f, d).
    Value numGroups = arith::IndexCastOp::create(
        rewriter, loc, rewriter.getI32Type(), em.indexValue(em.size(w, 0)));
    Value lastGroup =
        arith::SubIOp::create(rewriter, loc, numGroups, em.i32(rewriter, 1));
    auto product = [&](Value weights) {
      return em.generic(
          em.filledF32({rows, outDim}, 0.0), {x, group},
          {em.map(3, {0, 2}), em.map(3, {0}), em.map(3, {0, 1})},
          {kPar, kPar, kRed}, [&](OpBuilder &b, ValueRange args) -> Value {
            Value g = arith::IndexCastOp::create(
                b, loc, b.getIndexType(),
                arith::MinSIOp::create(b, loc, args[1], lastGroup));
            Value f = linalg::IndexOp::create(b, loc, 1);
            Value d = linalg::IndexOp::create(b, loc, 2);
            Value weight =
                tensor::ExtractOp::create(b, loc, weights, ValueRange{g, d, f});
            Value prod = arith::MulFOp::create(b, loc, em.toF32(b, args[0]),
                                               em.toF32(b, weight));
            return arith::AddFOp::create(b, loc, args[2], prod);
          });
    };
    SmallVector<Value> products = {product(w)};
    // swiglu: silu(gate) * up, both in f32.
    if (Value up = op.getWUp())
      products.push_back(product(up));

    // Rows past offsets[E - 1] are 0.
    Type elementType = op.getY().getType().getElementType();
    AffineMap id = em.map(2, {0, 1});
    SmallVector<Value> inputs = products;
    inputs.push_back(group);
    SmallVector<AffineMap> maps(products.size(), id);
    maps.append({em.map(2, {0}), id});
    Value y =
        em.generic(em.empty({rows, outDim}, elementType), inputs, maps,
                   {kPar, kPar}, [&](OpBuilder &b, ValueRange args) -> Value {
                     Value value = args[0];
                     if (products.size() == 2) {
                       Value one = em.f32Constant(b, 1.0);
                       Value negated = arith::NegFOp::create(b, loc, value);
                       Value denominator = arith::AddFOp::create(
                           b, loc, math::ExpOp::create(b, loc, negated), one);
                       Value silu =
                           arith::DivFOp::create(b, loc, value, denominator);
                       value = arith::MulFOp::create(b, loc, silu, args[1]);
                     }
                     Value owned = em.cmpI(b, arith::CmpIPredicate::slt,
                                           args[products.size()], numGroups);
                     value = em.select(b, owned, value, em.f32Constant(b, 0.0));
                     return em.fromF32(b, value, elementType);
                   });
    rewriter.replaceOp(op, y);
    return success();
  }
};
} // namespace

//===----------------------------------------------------------------------===//
// celeris.combine
//===----------------------------------------------------------------------===//

namespace {
struct CombineToLinalg : OpRewritePattern<CombineOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CombineOp op,
                                PatternRewriter &rewriter) const override {
    MoEEmitter em(rewriter, op.getLoc());
    Location loc = op.getLoc();
    Value y = op.getY(), rowMap = op.getRowMap();
    OpFoldResult tokens = em.size(rowMap, 0), features = em.size(y, 1);

    // out[t, c] = sum_j (row_map[t, j] >= 0 ? weights[t, j] y[row, c] : 0).
    // Loops (t, c, j).
    Value acc = em.generic(
        em.filledF32({tokens, features}, 0.0), {op.getWeights(), rowMap},
        {em.map(3, {0, 2}), em.map(3, {0, 2}), em.map(3, {0, 1})},
        {kPar, kPar, kRed}, [&](OpBuilder &b, ValueRange args) -> Value {
          Value kept =
              em.cmpI(b, arith::CmpIPredicate::sge, args[1], em.i32(b, 0));
          Value row = arith::IndexCastOp::create(
              b, loc, b.getIndexType(),
              em.select(b, kept, args[1], em.i32(b, 0)));
          Value column = linalg::IndexOp::create(b, loc, 1);
          Value value =
              tensor::ExtractOp::create(b, loc, y, ValueRange{row, column});
          Value prod = arith::MulFOp::create(b, loc, em.toF32(b, args[0]),
                                             em.toF32(b, value));
          Value sum = arith::AddFOp::create(b, loc, args[2], prod);
          return em.select(b, kept, sum, args[2]);
        });

    Type elementType = op.getOutput().getType().getElementType();
    AffineMap id = em.map(2, {0, 1});
    Value out =
        em.generic(em.empty({tokens, features}, elementType), {acc}, {id, id},
                   {kPar, kPar}, [&](OpBuilder &b, ValueRange args) -> Value {
                     return em.fromF32(b, args[0], elementType);
                   });
    rewriter.replaceOp(op, out);
    return success();
  }
};
} // namespace

void mlir::celeris::populateMoEToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<RouteToLinalg, DispatchToLinalg, DispatchMapToLinalg,
               GroupedMatmulToLinalg, CombineToLinalg>(patterns.getContext());
}
