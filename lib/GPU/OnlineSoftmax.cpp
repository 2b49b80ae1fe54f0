//===- OnlineSoftmax.cpp - Softmax over a stream of score tiles ----------===//

#include "celeris/GPU/OnlineSoftmax.h"

#include <cmath>

using namespace mlir;
using namespace mlir::celeris;

SoftmaxState SoftmaxState::initial(KernelBuilder &b) {
  Value negInf = b.f32(-INFINITY), zero = b.f32(0.0);
  return {{negInf, negInf}, {zero, zero}};
}

/// The exponent base of a row: m, or 0 when m is -inf.
static Value exponentBase(KernelBuilder &b, Value m) {
  Value isNegInf =
      arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, m, b.f32(-INFINITY));
  return b.select(isNegInf, b.f32(0.0), m);
}

SoftmaxUpdate mlir::celeris::updateOnlineSoftmax(KernelBuilder &b,
                                                 AccumulatorFragment &scores,
                                                 const SoftmaxState &state,
                                                 Value factor) {
  SoftmaxUpdate update;
  Value negMu[2];
  for (int64_t row = 0; row < 2; ++row) {
    Value rowMax = reduceRow(b, scores, row, RowReduction::Max);
    Value m = b.maxF(state.max[row], b.mulF(rowMax, factor));
    Value mu = exponentBase(b, m);
    update.alpha[row] = b.exp2(arith::SubFOp::create(b, state.max[row], mu));
    negMu[row] = arith::NegFOp::create(b, mu);
    update.state.max[row] = m;
  }
  Value partial[2] = {};
  for (auto [i, s] : llvm::enumerate(scores.values)) {
    int64_t row = AccumulatorFragment::rowOf(i);
    s = b.exp2(b.fma(s, factor, negMu[row]));
    partial[row] = partial[row] ? b.addF(partial[row], s) : s;
  }
  for (int64_t row = 0; row < 2; ++row)
    update.state.sum[row] =
        b.fma(update.alpha[row], state.sum[row], partial[row]);
  return update;
}

void mlir::celeris::rescaleRows(KernelBuilder &b, AccumulatorFragment &o,
                                ArrayRef<Value> alpha) {
  for (auto [i, v] : llvm::enumerate(o.values))
    v = b.mulF(v, alpha[AccumulatorFragment::rowOf(i)]);
}

SoftmaxResult mlir::celeris::finalizeOnlineSoftmax(KernelBuilder &b,
                                                   const SoftmaxState &state,
                                                   bool withLse) {
  SoftmaxResult result;
  Value zero = b.f32(0.0);
  for (int64_t row = 0; row < 2; ++row) {
    Value l = reduceAcrossQuad(b, state.sum[row], RowReduction::Sum);
    Value positive =
        arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, l, zero);
    result.inverseSum[row] =
        b.select(positive, arith::DivFOp::create(b, b.f32(1.0), l), zero);
    if (!withLse)
      continue;
    Value natural =
        b.mulF(b.addF(state.max[row], b.log2(l)), b.f32(0.693147180559945309));
    result.lse[row] = b.select(positive, natural, b.f32(-INFINITY));
  }
  return result;
}

/// (1 / total, m + ln total) of a merge whose weights e^(lse - m) sum to
/// `total`; (0, -inf) when nothing is left (total 0).
static std::pair<Value, Value> normalizeMerge(KernelBuilder &b, Value m,
                                              Value total) {
  Value positive =
      arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, total, b.f32(0.0));
  Value inverse = b.select(
      positive, arith::DivFOp::create(b, b.f32(1.0), total), b.f32(0.0));
  Value lse = b.select(
      positive, b.addF(m, b.mulF(b.log2(total), b.f32(0.693147180559945309))),
      b.f32(-INFINITY));
  return {inverse, lse};
}

/// The weights and merged lse of the partials `lses`, with `across` folding
/// a max or a sum over whatever else holds partials (the identity for a
/// thread's own; shuffles for a warp's).
static std::pair<SmallVector<Value>, Value>
mergeByLse(KernelBuilder &b, ArrayRef<Value> lses,
           function_ref<Value(Value, bool isMax)> across) {
  constexpr double log2e = 1.4426950408889634;
  Value m = lses.front();
  for (Value lse : lses.drop_front())
    m = b.maxF(m, lse);
  m = exponentBase(b, across(m, /*isMax=*/true));
  SmallVector<Value> weights;
  Value total;
  for (Value lse : lses) {
    weights.push_back(
        b.exp2(b.mulF(arith::SubFOp::create(b, lse, m), b.f32(log2e))));
    total = total ? b.addF(total, weights.back()) : weights.back();
  }
  auto [inverse, merged] = normalizeMerge(b, m, across(total, /*isMax=*/false));
  for (Value &w : weights)
    w = b.mulF(w, inverse);
  return {weights, merged};
}

std::pair<SmallVector<Value>, Value>
mlir::celeris::buildLseMerge(KernelBuilder &b, ArrayRef<Value> lses) {
  return mergeByLse(b, lses, [](Value x, bool) { return x; });
}

std::pair<SmallVector<Value>, Value>
mlir::celeris::buildWarpLseMerge(KernelBuilder &b, ArrayRef<Value> lses) {
  return mergeByLse(b, lses, [&](Value x, bool isMax) {
    for (int32_t mask = 1; mask < 32; mask *= 2) {
      Value other = b.shuffleXor(x, mask);
      x = isMax ? b.maxF(x, other) : b.addF(x, other);
    }
    return x;
  });
}
