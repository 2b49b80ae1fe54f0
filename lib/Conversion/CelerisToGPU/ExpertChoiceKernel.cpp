//===- ExpertChoiceKernel.cpp - Expert-choice routing ---------------------===//
//
// Expert-choice celeris.route on the CUDA cores (the moe_route family): a
// CTA of 512 threads per expert e picks the C tokens with the largest
// selection score sel[:, e], in descending order, ties to the lower token.
// With softmax scores a first kernel of the launch (a manifest step before
// it) writes each token's row maximum and 1 / sum of exponentials to the
// workspace, so every expert's CTA computes the same scores.
//
// Per expert, on scores recomputed bit for bit from the logits each pass:
//   1. radix select: four passes over 8-bit digits of the scores as ordered
//      u32 keys (a shared-memory histogram each) find the C-th largest key
//      and how many of the keys equal to it the C picks take;
//   2. compaction in token order: the keys above it, and the first of the
//      keys equal to it (their rank among the ties by a CTA scan), go to
//      shared memory as (key, token) pairs;
//   3. a bitonic sort of the pairs by (key descending, token ascending);
//   4. lane c writes slot c: the token and its unbiased score, scaled.
// Everything is integer counting and a fixed network: deterministic. With
// fewer tokens than C the last slots hold token -1 and weight 0.
//
//===----------------------------------------------------------------------===//

#include "FunctionKernel.h"
#include "MoEKernels.h"

#include "celeris/GPU/KernelBuilder.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include "llvm/Support/MathExtras.h"

#include <cmath>

using namespace mlir;
using namespace mlir::celeris;

namespace {

constexpr int64_t kLanes = 32;
constexpr int64_t kThreads = 512;
constexpr int64_t kWarps = kThreads / kLanes;
constexpr double kLog2e = 1.4426950408889634;
using Pred = arith::CmpIPredicate;

/// The launch's arguments and the shared memory of the select kernel.
struct ExpertChoiceArgs {
  Value logits, bias, weights, indices, workspace;
  Value tokens, expert, tid, lane, warp;
  const RouteKernelSpec &spec;

  ExpertChoiceArgs(KernelBuilder &b, gpu::GPUFuncOp kernel,
                   const RouteKernelSpec &spec)
      : spec(spec) {
    unsigned arg = 0;
    logits = kernel.getArgument(arg++);
    bias = spec.bias ? kernel.getArgument(arg++) : Value();
    weights = kernel.getArgument(arg++);
    indices = kernel.getArgument(arg++);
    workspace = spec.sigmoid ? Value() : kernel.getArgument(arg++);
    tokens = memref::DimOp::create(b, logits, 0);
    tid = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
    lane = b.remu(tid, kLanes);
    warp = b.divu(tid, kLanes);
  }

  /// The row maximum and 1 / sum of token t's softmax (f32 in the
  /// workspace).
  Value stats(KernelBuilder &b) const {
    return memref::ViewOp::create(
        b, MemRefType::get({ShapedType::kDynamic}, b.getF32Type()), workspace,
        b.idx(0), ValueRange{b.mul(tokens, 2)});
  }

  /// The unbiased score of token t for expert e.
  Value score(KernelBuilder &b, Value t, Value e) const {
    Value x = loadAsF32(b, b.getLoc(), logits, {t, e});
    if (spec.sigmoid) {
      Value ex = b.exp2(b.mulF(x, b.f32(-kLog2e)));
      return arith::DivFOp::create(b, b.f32(1.0), b.addF(b.f32(1.0), ex));
    }
    Value view = stats(b);
    Value max = memref::LoadOp::create(b, view, b.mul(t, 2));
    Value inverse = memref::LoadOp::create(b, view, b.add(b.mul(t, 2), 1));
    Value p = b.exp2(b.mulF(arith::SubFOp::create(b, x, max), b.f32(kLog2e)));
    return b.mulF(p, inverse);
  }

  /// sel = score + bias as a u32 key in the order of the floats (+0 for
  /// -0, so equal scores have equal keys).
  Value key(KernelBuilder &b, Value t, Value e) const {
    Value sel = score(b, t, e);
    if (bias)
      sel = b.addF(sel, memref::LoadOp::create(b, bias, e));
    sel = b.addF(sel, b.f32(0.0));
    Value bits = arith::BitcastOp::create(b, b.getI32Type(), sel);
    Value negative = b.cmp(Pred::slt, bits, b.i32(0));
    Value flip =
        b.select(negative, b.i32(-1), b.i32(static_cast<int32_t>(0x80000000)));
    return arith::XOrIOp::create(b, bits, flip);
  }
};

/// Emits `body(t)` for the tokens t = tid, tid + 512, ... below T.
void forEachToken(KernelBuilder &b, const ExpertChoiceArgs &args,
                  function_ref<void(Value)> body) {
  auto loop = scf::ForOp::create(b, args.tid, args.tokens, b.idx(kThreads));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  body(loop.getInductionVar());
}

/// Unsigned compare of two u32 keys held in i32.
Value keyAbove(KernelBuilder &b, Value x, Value y) {
  return b.cmp(Pred::ugt, x, y);
}

void emitSelectKernel(gpu::GPUFuncOp kernel, const RouteKernelSpec &spec) {
  KernelBuilder b(kernel.getLoc(), kernel.getContext());
  b.setInsertionPointToStart(&kernel.getBody().front());
  ExpertChoiceArgs args(b, kernel, spec);
  int64_t capacity = spec.capacity;
  int64_t sorted = static_cast<int64_t>(llvm::PowerOf2Ceil(capacity));
  Value e = gpu::BlockIdOp::create(b, gpu::Dimension::x);
  Value tid = args.tid;

  // Shared memory: the sort's keys and tokens, a 256-bin histogram, and a
  // word per warp for the scans, then the select's state.
  auto workgroup =
      gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  Value raw = gpu::DynamicSharedMemoryOp::create(
      b, MemRefType::get({ShapedType::kDynamic}, b.getI8Type(), nullptr,
                         workgroup));
  int64_t offset = 0;
  auto words = [&](int64_t count) {
    Value view = memref::ViewOp::create(
        b, MemRefType::get({count}, b.getI32Type(), nullptr, workgroup), raw,
        b.idx(offset), ValueRange{});
    offset += 4 * count;
    return view;
  };
  Value keys = words(sorted), ids = words(sorted);
  Value histogram = words(256), warpSums = words(kWarps), state = words(2);

  // 1. Radix select of the C-th largest key, 8 bits a pass from the top.
  Value wanted = b.toI32(b.minS(args.tokens, b.idx(capacity)));
  Value prefix = b.i32(0), mask = b.i32(0), need = wanted;
  for (int64_t shift = 24; shift >= 0; shift -= 8) {
    b.ifThen(b.cmp(Pred::slt, tid, b.idx(256)),
             [&] { memref::StoreOp::create(b, b.i32(0), histogram, tid); });
    gpu::BarrierOp::create(b);
    forEachToken(b, args, [&](Value t) {
      Value k = args.key(b, t, e);
      b.ifThen(b.cmp(Pred::eq, b.andI(k, mask), prefix), [&] {
        Value digit = b.toIndex(
            b.andI(arith::ShRUIOp::create(b, k, b.i32(shift)), b.i32(255)));
        memref::AtomicRMWOp::create(b, arith::AtomicRMWKind::addi, b.i32(1),
                                    histogram, ValueRange{digit});
      });
    });
    gpu::BarrierOp::create(b);
    // Thread 0 walks the bins from the top to the one holding the need-th
    // largest key of those left.
    b.ifThen(b.cmp(Pred::eq, tid, b.idx(0)), [&] {
      auto walk = scf::ForOp::create(b, b.idx(0), b.idx(256), b.idx(1),
                                     ValueRange{b.i32(0), b.i32(-1), need});
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(walk.getBody());
        Value bin = b.sub(b.idx(255), walk.getInductionVar());
        Value above = walk.getRegionIterArgs()[0];
        Value found = walk.getRegionIterArgs()[1];
        Value left = walk.getRegionIterArgs()[2];
        Value count = memref::LoadOp::create(b, histogram, bin);
        Value here = b.andI(b.cmp(Pred::slt, found, b.i32(0)),
                            b.cmp(Pred::sge, b.add(above, count), left));
        scf::YieldOp::create(
            b,
            ValueRange{b.add(above, count), b.select(here, b.toI32(bin), found),
                       b.select(here, b.sub(left, above), left)});
      }
      memref::StoreOp::create(b, b.maxS(walk.getResult(1), b.i32(0)), state,
                              b.idx(0));
      memref::StoreOp::create(b, walk.getResult(2), state, b.idx(1));
    });
    gpu::BarrierOp::create(b);
    Value digit = memref::LoadOp::create(b, state, b.idx(0));
    need = memref::LoadOp::create(b, state, b.idx(1));
    prefix = arith::OrIOp::create(
        b, prefix, arith::ShLIOp::create(b, digit, b.i32(shift)));
    mask = arith::OrIOp::create(b, mask,
                                b.i32(static_cast<int32_t>(0xffu << shift)));
    // Nobody reads the state again before the next pass's barriers.
    gpu::BarrierOp::create(b);
  }
  Value threshold = prefix;

  // 2. The picks in token order: keys above the threshold, and the first
  // `need` keys equal to it. A CTA scan of 512 tokens at a time.
  Value padKey = b.i32(0), padId = b.i32(-1);
  auto fill = scf::ForOp::create(b, tid, b.idx(sorted), b.idx(kThreads));
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(fill.getBody());
    memref::StoreOp::create(b, padKey, keys, fill.getInductionVar());
    memref::StoreOp::create(b, padId, ids, fill.getInductionVar());
  }
  gpu::BarrierOp::create(b);
  Value below = NVVM::LaneMaskLtOp::create(b, b.getI32Type());
  // The CTA's exclusive prefix of `flag` and its total, through warpSums.
  auto scan = [&](Value flag) -> std::pair<Value, Value> {
    Value ballot = NVVM::VoteSyncOp::create(b, b.getI32Type(), b.i32(-1), flag,
                                            NVVM::VoteSyncKind::ballot);
    Value inWarp = LLVM::CtPopOp::create(b, b.andI(ballot, below));
    b.ifThen(b.cmp(Pred::eq, args.lane, b.idx(0)), [&] {
      memref::StoreOp::create(b, LLVM::CtPopOp::create(b, ballot), warpSums,
                              args.warp);
    });
    gpu::BarrierOp::create(b);
    Value before = b.i32(0), total = b.i32(0);
    for (int64_t w = 0; w < kWarps; ++w) {
      Value sum = memref::LoadOp::create(b, warpSums, b.idx(w));
      before = b.add(before, b.select(b.cmp(Pred::slt, b.idx(w), args.warp),
                                      sum, b.i32(0)));
      total = b.add(total, sum);
    }
    gpu::BarrierOp::create(b);
    return {b.add(before, inWarp), total};
  };
  Value chunks = b.divu(b.add(args.tokens, b.idx(kThreads - 1)), kThreads);
  auto compact = scf::ForOp::create(b, b.idx(0), chunks, b.idx(1),
                                    ValueRange{b.i32(0), b.i32(0)});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(compact.getBody());
    Value ties = compact.getRegionIterArgs()[0];
    Value picked = compact.getRegionIterArgs()[1];
    Value t = b.add(b.mul(compact.getInductionVar(), kThreads), tid);
    Value inRange = b.cmp(Pred::slt, t, args.tokens);
    Value k = args.key(b, b.minS(t, b.sub(args.tokens, b.idx(1))), e);
    Value isTie = b.andI(inRange, b.cmp(Pred::eq, k, threshold));
    auto [tieRank, tieTotal] = scan(isTie);
    Value take = b.andI(
        inRange,
        b.orI(keyAbove(b, k, threshold),
              b.andI(isTie, b.cmp(Pred::slt, b.add(ties, tieRank), need))));
    auto [slot, takeTotal] = scan(take);
    b.ifThen(take, [&] {
      Value at = b.toIndex(b.add(picked, slot));
      memref::StoreOp::create(b, k, keys, at);
      memref::StoreOp::create(b, b.toI32(t), ids, at);
    });
    scf::YieldOp::create(
        b, ValueRange{b.add(ties, tieTotal), b.add(picked, takeTotal)});
  }
  gpu::BarrierOp::create(b);

  // 3. Bitonic sort: (key descending, token ascending); the padding (key 0,
  // token -1 read as the largest unsigned) goes last.
  auto before = [&](Value ka, Value ia, Value kb, Value ib) {
    return b.orI(keyAbove(b, ka, kb),
                 b.andI(b.cmp(Pred::eq, ka, kb), b.cmp(Pred::ult, ia, ib)));
  };
  for (int64_t size = 2; size <= sorted; size *= 2) {
    for (int64_t stride = size / 2; stride >= 1; stride /= 2) {
      auto pass = scf::ForOp::create(b, tid, b.idx(sorted), b.idx(kThreads));
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(pass.getBody());
        Value i = pass.getInductionVar();
        Value j = arith::XOrIOp::create(b, i, b.idx(stride));
        b.ifThen(b.cmp(Pred::ugt, j, i), [&] {
          Value ki = memref::LoadOp::create(b, keys, i);
          Value ii = memref::LoadOp::create(b, ids, i);
          Value kj = memref::LoadOp::create(b, keys, j);
          Value ij = memref::LoadOp::create(b, ids, j);
          // Blocks of `size` alternate between the order and its reverse.
          Value forward = b.cmp(Pred::eq, b.andI(i, b.idx(size)), b.idx(0));
          Value jFirst = before(kj, ij, ki, ii);
          Value swap = b.select(forward, jFirst, b.notI(jFirst));
          b.ifThen(swap, [&] {
            memref::StoreOp::create(b, kj, keys, i);
            memref::StoreOp::create(b, ij, ids, i);
            memref::StoreOp::create(b, ki, keys, j);
            memref::StoreOp::create(b, ii, ids, j);
          });
        });
      }
      gpu::BarrierOp::create(b);
    }
  }

  // 4. Slot c: the token and its scaled unbiased score.
  auto out = scf::ForOp::create(b, tid, b.idx(capacity), b.idx(kThreads));
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(out.getBody());
    Value c = out.getInductionVar();
    Value token = memref::LoadOp::create(b, ids, c);
    Value valid = b.cmp(Pred::sge, token, b.i32(0));
    Value at = b.toIndex(b.maxS(token, b.i32(0)));
    Value weight = b.f32(0.0);
    auto scored = scf::IfOp::create(b, TypeRange{b.getF32Type()}, valid,
                                    /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard ifGuard(b);
      b.setInsertionPointToStart(scored.thenBlock());
      scf::YieldOp::create(b, ValueRange{b.mulF(args.score(b, at, e),
                                                b.f32(spec.scalingFactor))});
      b.setInsertionPointToStart(scored.elseBlock());
      scf::YieldOp::create(b, ValueRange{weight});
    }
    memref::StoreOp::create(b, scored.getResult(0), args.weights,
                            ValueRange{e, c});
    memref::StoreOp::create(b, token, args.indices, ValueRange{e, c});
  }
  gpu::ReturnOp::create(b);
}

/// The softmax statistics of every token: a warp per token.
void emitStatsKernel(gpu::GPUFuncOp kernel, const RouteKernelSpec &spec) {
  KernelBuilder b(kernel.getLoc(), kernel.getContext());
  b.setInsertionPointToStart(&kernel.getBody().front());
  ExpertChoiceArgs args(b, kernel, spec);
  int64_t experts = spec.logits.getDimSize(1);
  Value t = b.add(b.mul(gpu::BlockIdOp::create(b, gpu::Dimension::x), kWarps),
                  args.warp);
  b.ifThen(b.cmp(Pred::slt, t, args.tokens), [&] {
    auto reduce = [&](bool sum, Value max) {
      auto loop =
          scf::ForOp::create(b, args.lane, b.idx(experts), b.idx(kLanes),
                             ValueRange{b.f32(sum ? 0.0 : -INFINITY)});
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(loop.getBody());
        Value x =
            loadAsF32(b, b.getLoc(), args.logits, {t, loop.getInductionVar()});
        Value acc = loop.getRegionIterArgs()[0];
        Value next =
            sum ? b.addF(acc, b.exp2(b.mulF(arith::SubFOp::create(b, x, max),
                                            b.f32(kLog2e))))
                : b.maxF(acc, x);
        scf::YieldOp::create(b, ValueRange{next});
      }
      Value v = loop.getResult(0);
      for (int32_t m = kLanes / 2; m >= 1; m /= 2)
        v = sum ? b.addF(v, b.shuffleXor(v, m)) : b.maxF(v, b.shuffleXor(v, m));
      return v;
    };
    Value max = reduce(false, Value());
    Value total = reduce(true, max);
    b.ifThen(b.cmp(Pred::eq, args.lane, b.idx(0)), [&] {
      Value view = args.stats(b);
      memref::StoreOp::create(b, max, view, b.mul(t, 2));
      memref::StoreOp::create(b, arith::DivFOp::create(b, b.f32(1.0), total),
                              view, b.add(b.mul(t, 2), 1));
    });
  });
  gpu::ReturnOp::create(b);
}

} // namespace

int64_t mlir::celeris::getExpertChoiceSharedBytes(int64_t capacity) {
  return 4 * (2 * static_cast<int64_t>(llvm::PowerOf2Ceil(capacity)) + 256 +
              kWarps + 2);
}

FailureOr<gpu::GPUFuncOp>
mlir::celeris::buildExpertChoiceKernel(gpu::GPUModuleOp module, StringRef name,
                                       Location loc,
                                       const RouteKernelSpec &spec) {
  MLIRContext *ctx = module.getContext();
  Builder builder(ctx);
  // Softmax needs every token's statistics first: they go to the
  // workspace, and the select kernel runs as the launch's step.
  MemRefType workspace =
      spec.sigmoid
          ? MemRefType()
          : MemRefType::get({ShapedType::kDynamic}, IntegerType::get(ctx, 8));
  SmallVector<KernelArgument> arguments = {{spec.logits, "logits"},
                                           {spec.bias, "bias"},
                                           {spec.weights, "weights"},
                                           {spec.experts, "indices"},
                                           {workspace, "workspace"}};
  int64_t experts = spec.logits.getDimSize(1);
  std::string selectName = spec.sigmoid ? name.str() : (name + "_select").str();
  FailureOr<gpu::GPUFuncOp> select =
      createKernel(module, selectName, loc, arguments, spec.schedule);
  if (failed(select))
    return failure();
  NamedAttrList selectLaunch =
      getKernelLaunch(builder, {std::to_string(experts)}, kThreads,
                      getExpertChoiceSharedBytes(spec.capacity));
  gpu::GPUFuncOp entry = *select;
  NamedAttrList launch = selectLaunch;
  if (!spec.sigmoid) {
    (*select)->setAttr("celeris.launch", selectLaunch.getDictionary(ctx));
    FailureOr<gpu::GPUFuncOp> stats =
        createKernel(module, name, loc, arguments, spec.schedule);
    if (failed(stats))
      return failure();
    entry = *stats;
    launch =
        getKernelLaunch(builder, {"ceildiv(T," + std::to_string(kWarps) + ")"},
                        kThreads, /*sharedBytes=*/0);
    launch.append("workspace", builder.getStringAttr("8*T"));
    launch.append("steps", builder.getStrArrayAttr({selectName}));
  }
  NamedAttrList sizes;
  sizes.append("T", builder.getStringAttr("logits[0]"));
  launch.append("sizes", sizes.getDictionary(ctx));
  NamedAttrList results;
  std::string e = std::to_string(experts), c = std::to_string(spec.capacity);
  results.append("weights", builder.getStrArrayAttr({e, c}));
  results.append("indices", builder.getStrArrayAttr({e, c}));
  launch.append("results", results.getDictionary(ctx));
  entry->setAttr("celeris.launch", launch.getDictionary(ctx));
  // 512 threads leave 128 registers a thread: ptxas must know.
  capKernelRegisters(*select, kThreads, 1);
  capKernelRegisters(entry, kThreads, 1);
  emitSelectKernel(*select, spec);
  if (!spec.sigmoid)
    emitStatsKernel(entry, spec);
  return entry;
}
