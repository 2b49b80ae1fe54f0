//===- RouteKernel.cpp - The moe_route kernel family ----------------------===//
//
// Token-choice celeris.route on the CUDA cores: a warp per token, 8 a CTA.
// Lane l holds the scores of experts l, l + 32, ... (coalesced loads), so
// every reduction over the experts is the lane's own values and then a
// butterfly of shuffles, after which all lanes agree:
//   softmax: the row maximum, exp2((x - max) log2 e), the row sum;
//   groups (DeepSeek-V3): per group the two largest selection scores, merged
//     pairwise across lanes; the best `topk_groups` groups, ties to the
//     lower group, make their experts eligible;
//   top-k: k rounds of a warp-wide arg-max over the eligible experts not yet
//     taken, ordered by (score descending, expert ascending), which is the
//     op's tie rule for any reduction order.
// The k weights are renormalised in slot order, scaled, and lane j stores
// slot j.
//
//===----------------------------------------------------------------------===//

#include "FunctionKernel.h"
#include "MoEKernels.h"

#include "celeris/GPU/KernelBuilder.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include <cmath>

using namespace mlir;
using namespace mlir::celeris;

namespace {

constexpr int64_t kLanes = 32;
constexpr int64_t kWarps = 8;
using Pred = arith::CmpIPredicate;
using FPred = arith::CmpFPredicate;

Value cmpF(KernelBuilder &b, FPred predicate, Value x, Value y) {
  return arith::CmpFOp::create(b, predicate, x, y);
}

/// Reduces `value` over the warp with `combine`; every lane gets the result.
Value warpReduce(KernelBuilder &b, Value value,
                 function_ref<Value(Value, Value)> combine) {
  for (int32_t mask = kLanes / 2; mask >= 1; mask /= 2)
    value = combine(value, b.shuffleXor(value, mask));
  return value;
}

/// An expert candidate: its selection score, id and unbiased score.
struct Candidate {
  Value selection, expert, score;
};

/// Whether `other` ranks before `best`: a larger selection score, or an
/// equal one and a lower expert id. A lane without a candidate holds
/// (-inf, E), which every real candidate beats.
Value ranksBefore(KernelBuilder &b, const Candidate &other,
                  const Candidate &best) {
  Value larger = cmpF(b, FPred::OGT, other.selection, best.selection);
  Value tie = b.andI(cmpF(b, FPred::OEQ, other.selection, best.selection),
                     b.cmp(Pred::slt, other.expert, best.expert));
  return b.orI(larger, tie);
}

void emitRouteKernel(gpu::GPUFuncOp kernel, const RouteKernelSpec &spec) {
  KernelBuilder b(kernel.getLoc(), kernel.getContext());
  b.setInsertionPointToStart(&kernel.getBody().front());
  unsigned arg = 0;
  Value logits = kernel.getArgument(arg++);
  Value bias = spec.bias ? kernel.getArgument(arg++) : Value();
  Value weights = kernel.getArgument(arg++);
  Value expertIds = kernel.getArgument(arg++);
  int64_t experts = spec.logits.getDimSize(1);
  int64_t slots = (experts + kLanes - 1) / kLanes;
  int64_t k = spec.k;

  Value tid = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
  Value lane = b.remu(tid, kLanes);
  Value token =
      b.add(b.mul(gpu::BlockIdOp::create(b, gpu::Dimension::x), kWarps),
            b.divu(tid, kLanes));
  Value tokens = memref::DimOp::create(b, logits, 0);
  b.ifThen(b.cmp(Pred::slt, token, tokens), [&] {
    Value negInf = b.f32(-INFINITY);
    Value zero = b.f32(0.0);
    // This lane's experts: id, presence, raw logit.
    SmallVector<Value> ids, present, scores, selection;
    for (int64_t i = 0; i < slots; ++i) {
      Value id = b.add(lane, i * kLanes);
      ids.push_back(b.toI32(id));
      if ((i + 1) * kLanes <= experts) {
        present.push_back(b.boolean(true));
        scores.push_back(loadAsF32(b, b.getLoc(), logits, {token, id}));
        continue;
      }
      Value inRange = b.cmp(Pred::slt, id, b.idx(experts));
      present.push_back(inRange);
      Value at = b.minS(id, b.idx(experts - 1));
      scores.push_back(b.select(
          inRange, loadAsF32(b, b.getLoc(), logits, {token, at}), negInf));
    }
    const double log2e = 1.4426950408889634;
    if (!spec.sigmoid) {
      Value max = scores[0];
      for (Value s : ArrayRef(scores).drop_front())
        max = b.maxF(max, s);
      max = warpReduce(b, max, [&](Value x, Value y) { return b.maxF(x, y); });
      Value sum = zero;
      for (auto [i, s] : llvm::enumerate(scores)) {
        Value p =
            b.exp2(b.mulF(arith::SubFOp::create(b, s, max), b.f32(log2e)));
        s = b.select(present[i], p, zero);
        sum = b.addF(sum, s);
      }
      sum = warpReduce(b, sum, [&](Value x, Value y) { return b.addF(x, y); });
      for (Value &s : scores)
        s = arith::DivFOp::create(b, s, sum);
    } else {
      for (Value &s : scores) {
        Value e = b.exp2(b.mulF(s, b.f32(-log2e)));
        s = arith::DivFOp::create(b, b.f32(1.0), b.addF(b.f32(1.0), e));
      }
    }
    for (auto [i, s] : llvm::enumerate(scores)) {
      Value sel = s;
      if (bias) {
        Value at = b.minS(b.add(lane, int64_t(i) * kLanes), b.idx(experts - 1));
        sel = b.addF(sel, memref::LoadOp::create(b, bias, at));
      }
      selection.push_back(sel);
    }

    // Group-limited routing: experts of the best groups stay eligible.
    SmallVector<Value> eligible(present);
    if (spec.numGroups) {
      int64_t groups = spec.numGroups, size = experts / groups;
      SmallVector<Value> groupScores;
      for (int64_t g = 0; g < groups; ++g) {
        Value top1 = negInf, top2 = negInf;
        for (int64_t i = 0; i < slots; ++i) {
          Value id = b.add(lane, i * kLanes);
          Value in =
              b.andI(present[i], b.cmp(Pred::eq, b.divu(id, size), b.idx(g)));
          Value v = b.select(in, selection[i], negInf);
          Value above1 = cmpF(b, FPred::OGT, v, top1);
          top2 = b.select(above1, top1, b.maxF(top2, v));
          top1 = b.select(above1, v, top1);
        }
        for (int32_t mask = kLanes / 2; mask >= 1; mask /= 2) {
          Value other1 = b.shuffleXor(top1, mask);
          Value other2 = b.shuffleXor(top2, mask);
          Value high = b.maxF(top1, other1);
          Value low = arith::MinimumFOp::create(b, top1, other1);
          top2 = b.maxF(low, b.maxF(top2, other2));
          top1 = high;
        }
        groupScores.push_back(size == 1 ? top1 : b.addF(top1, top2));
      }
      SmallVector<Value> chosen(groups, b.boolean(false));
      for (int64_t round = 0; round < spec.topkGroups; ++round) {
        Value best = negInf, bestGroup = b.i32(groups);
        for (int64_t g = 0; g < groups; ++g) {
          Value take = b.andI(b.notI(chosen[g]),
                              b.orI(cmpF(b, FPred::OGT, groupScores[g], best),
                                    b.cmp(Pred::eq, bestGroup, b.i32(groups))));
          best = b.select(take, groupScores[g], best);
          bestGroup = b.select(take, b.i32(g), bestGroup);
        }
        for (int64_t g = 0; g < groups; ++g)
          chosen[g] = b.orI(chosen[g], b.cmp(Pred::eq, bestGroup, b.i32(g)));
      }
      for (int64_t i = 0; i < slots; ++i) {
        Value group = b.toI32(b.divu(b.add(lane, i * kLanes), size));
        Value in = b.boolean(false);
        for (int64_t g = 0; g < groups; ++g)
          in = b.orI(in, b.andI(chosen[g], b.cmp(Pred::eq, group, b.i32(g))));
        eligible[i] = b.andI(eligible[i], in);
      }
    }

    // Top-k: k rounds of a warp-wide arg-max.
    SmallVector<Value> pickedIds, pickedScores;
    for (int64_t j = 0; j < k; ++j) {
      Candidate best{negInf, b.i32(experts), zero};
      for (int64_t i = 0; i < slots; ++i) {
        Candidate mine{selection[i], ids[i], scores[i]};
        Value take = b.andI(eligible[i], ranksBefore(b, mine, best));
        best = {b.select(take, mine.selection, best.selection),
                b.select(take, mine.expert, best.expert),
                b.select(take, mine.score, best.score)};
      }
      for (int32_t mask = kLanes / 2; mask >= 1; mask /= 2) {
        Candidate other{b.shuffleXor(best.selection, mask),
                        b.shuffleXor(best.expert, mask),
                        b.shuffleXor(best.score, mask)};
        Value take = ranksBefore(b, other, best);
        best = {b.select(take, other.selection, best.selection),
                b.select(take, other.expert, best.expert),
                b.select(take, other.score, best.score)};
      }
      for (int64_t i = 0; i < slots; ++i)
        eligible[i] = b.andI(eligible[i], b.cmp(Pred::ne, ids[i], best.expert));
      pickedIds.push_back(best.expert);
      pickedScores.push_back(best.score);
    }
    Value scale = b.f32(spec.scalingFactor);
    if (spec.renormalize) {
      Value sum = zero;
      for (Value s : pickedScores)
        sum = b.addF(sum, s);
      Value nonzero = cmpF(b, FPred::UNE, sum, zero);
      for (Value &s : pickedScores)
        s = b.select(nonzero, arith::DivFOp::create(b, s, sum), zero);
    }
    // Lane j stores slot j.
    for (int64_t base = 0; base < k; base += kLanes) {
      Value slot = b.add(lane, base);
      Value id = pickedIds[base], weight = pickedScores[base];
      for (int64_t j = base + 1; j < std::min(k, base + kLanes); ++j) {
        Value mine = b.cmp(Pred::eq, slot, b.idx(j));
        id = b.select(mine, pickedIds[j], id);
        weight = b.select(mine, pickedScores[j], weight);
      }
      b.ifThen(b.cmp(Pred::slt, slot, b.idx(k)), [&] {
        memref::StoreOp::create(b, b.mulF(weight, scale), weights,
                                ValueRange{token, slot});
        memref::StoreOp::create(b, id, expertIds, ValueRange{token, slot});
      });
    }
  });
  gpu::ReturnOp::create(b);
}

} // namespace

FailureOr<gpu::GPUFuncOp>
mlir::celeris::buildRouteKernel(gpu::GPUModuleOp module, StringRef name,
                                Location loc, const RouteKernelSpec &spec) {
  MLIRContext *ctx = module.getContext();
  Builder builder(ctx);
  FailureOr<gpu::GPUFuncOp> created = createKernel(module, name, loc,
                                                   {{spec.logits, "logits"},
                                                    {spec.bias, "bias"},
                                                    {spec.weights, "weights"},
                                                    {spec.experts, "experts"}},
                                                   spec.schedule);
  if (failed(created))
    return failure();
  gpu::GPUFuncOp kernel = *created;
  NamedAttrList sizes;
  sizes.append("T", builder.getStringAttr("logits[0]"));
  NamedAttrList launch = getKernelLaunch(
      builder, {"ceildiv(T," + std::to_string(kWarps) + ")"}, kWarps * kLanes,
      /*sharedBytes=*/0);
  launch.append("sizes", sizes.getDictionary(ctx));
  NamedAttrList results;
  std::string k = std::to_string(spec.k);
  results.append("weights", builder.getStrArrayAttr({"logits[0]", k}));
  results.append("experts", builder.getStrArrayAttr({"logits[0]", k}));
  launch.append("results", results.getDictionary(ctx));
  kernel->setAttr("celeris.launch", launch.getDictionary(ctx));
  emitRouteKernel(kernel, spec);
  return kernel;
}
