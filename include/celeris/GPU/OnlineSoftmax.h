//===- OnlineSoftmax.h - Softmax over a stream of score tiles ---*- C++ -*-===//
//
// FlashAttention's online softmax over the two rows a thread holds of an
// accumulator fragment, in base 2. For scores s of a tile and a factor c
// (scale log2 e), per row:
//   m' = max(m, c max_j s_j);   mu = (m' == -inf) ? 0 : m'
//   p_j = 2^(c s_j - mu);       alpha = 2^(m - mu)
//   l' = alpha l + sum_j p_j    (lane-partial: the four lanes of a row share
//                                m, so l is reduced once, at the end)
//   O' = alpha O + P V
// mu keeps a row that has seen no allowed key (m = -inf) at p = 0 and
// alpha = 0, never -inf - -inf. Finalising: out = O / l, lse = (m + log2 l)
// ln 2, and a row with l = 0 gets out 0 and lse -inf.
//
// Two partial results of the same rows over disjoint key sets (split-KV
// decoding) merge by their lse: lse = log(e^a + e^b) and weights
// e^(a - lse), e^(b - lse), with a -inf side weighing 0; partials spread
// over the lanes of a warp merge the same way.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_GPU_ONLINESOFTMAX_H
#define CELERIS_GPU_ONLINESOFTMAX_H

#include "celeris/GPU/TensorCoreMma.h"

namespace mlir::celeris {

/// The running max (base 2, scaled) and lane-partial sum of a thread's two
/// rows.
struct SoftmaxState {
  Value max[2], sum[2];

  static SoftmaxState initial(KernelBuilder &b);
  /// As loop-carried values, and back.
  SmallVector<Value> toValues() const {
    return {max[0], max[1], sum[0], sum[1]};
  }
  static SoftmaxState fromValues(ValueRange values) {
    return {{values[0], values[1]}, {values[2], values[3]}};
  }
};

/// The update of one tile: `scores` become the probabilities P; returns the
/// new state and each row's rescaling factor alpha for O.
struct SoftmaxUpdate {
  SoftmaxState state;
  Value alpha[2];
};
SoftmaxUpdate updateOnlineSoftmax(KernelBuilder &b, AccumulatorFragment &scores,
                                  const SoftmaxState &state, Value factor);

/// O *= alpha, row by row.
void rescaleRows(KernelBuilder &b, AccumulatorFragment &o,
                 ArrayRef<Value> alpha);

/// 1 / l per row (0 for a row without an allowed key) and, when asked, the
/// natural-log lse (-inf for such a row).
struct SoftmaxResult {
  Value inverseSum[2];
  Value lse[2];
};
SoftmaxResult finalizeOnlineSoftmax(KernelBuilder &b, const SoftmaxState &state,
                                    bool withLse);

/// The merge of partial results of the same rows over disjoint key sets by
/// their natural-log lse: (the weight of each, the merged lse). The weights
/// sum to 1, or are all 0 with lse -inf when every lse is -inf.
std::pair<SmallVector<Value>, Value> buildLseMerge(KernelBuilder &b,
                                                   ArrayRef<Value> lses);

/// The merge of partial results of the same row spread over a warp, each
/// lane holding `lses.size()` of them by their natural-log lse (-inf for a
/// slot without one): (the weight of each of this lane's partials, the
/// merged lse). The weights over the warp sum to 1, or are all 0 with lse
/// -inf when every lse is -inf. The reductions run in a fixed order (a xor
/// tree), so every lane gets the same bits and the merge is deterministic.
std::pair<SmallVector<Value>, Value> buildWarpLseMerge(KernelBuilder &b,
                                                       ArrayRef<Value> lses);

} // namespace mlir::celeris

#endif // CELERIS_GPU_ONLINESOFTMAX_H
