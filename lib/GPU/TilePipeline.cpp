//===- TilePipeline.cpp - N-stage shared-memory pipeline -----------------===//

#include "celeris/GPU/TilePipeline.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"

using namespace mlir;
using namespace mlir::celeris;

TilePipeline::TilePipeline(const SharedMemory &smem, PipelineSync sync,
                           int64_t stages, int64_t threads,
                           int64_t barrierBytes, bool releaseByWarp,
                           int64_t copyingThreads)
    : smem(smem), sync(sync), stages(stages), threads(threads),
      barrierBytes(barrierBytes), byWarp(releaseByWarp),
      copyingThreads(copyingThreads) {
  assert((sync != PipelineSync::CopiesAndTensorMaps || copyingThreads > 0) &&
         "a pipeline gathered by cp.async names its copying threads");
}

Value TilePipeline::barrier(KernelBuilder &b, int64_t kind, Value stage) const {
  // full[s] at 8 s, empty[s] at 8 (stages + s).
  Value offset =
      b.add(b.mul(b.toI32(stage), 8), barrierBytes + kind * 8 * stages);
  return smem.pointer(b, offset);
}

void TilePipeline::initialize(KernelBuilder &b, Value threadId) {
  if (sync != PipelineSync::CtaBarrier) {
    b.ifThen(b.cmp(arith::CmpIPredicate::eq, threadId, b.idx(0)), [&] {
      for (int64_t kind = 0; kind < 2; ++kind)
        for (int64_t s = 0; s < stages; ++s) {
          int64_t arrivals = kind == 1 && byWarp ? threads / 32 : threads;
          if (kind == 0 && sync == PipelineSync::TensorMemoryAccess)
            arrivals = 1;
          if (kind == 0 && sync == PipelineSync::CopiesAndTensorMaps)
            arrivals = copyingThreads + 1;
          NVVM::MBarrierInitOp::create(b, barrier(b, kind, b.idx(s)),
                                       b.i32(arrivals), Value());
        }
      // The copies complete on the barriers through the async proxy, which
      // must see them initialised.
      if (sync == PipelineSync::TensorMemoryAccess ||
          sync == PipelineSync::CopiesAndTensorMaps)
        NVVM::FenceProxyOp::create(
            b, NVVM::ProxyKind::async_shared,
            NVVM::SharedSpaceAttr::get(b.getContext(),
                                       NVVM::SharedSpace::shared_cta));
    });
  }
  gpu::BarrierOp::create(b);
}

Value TilePipeline::stageOf(KernelBuilder &b, Value n) const {
  return b.remu(n, stages);
}

void TilePipeline::waitParity(KernelBuilder &b, Value bar, Value parity) {
  // A suspend-time hint of 10 ms (CUTLASS's): a hint of 0 makes every try
  // return at once, and the spinning warps take issue slots from the
  // warps that compute.
  NVVM::MBarrierTryWaitParityOp::create(b, bar, b.toI32(parity),
                                        b.i32(10000000));
}

void TilePipeline::produce(
    KernelBuilder &b, Value n,
    function_ref<SmallVector<Value>(Value stage)> issue) {
  Value stage = stageOf(b, n);
  auto tokenType = nvgpu::DeviceAsyncTokenType::get(b.getContext());
  if (sync == PipelineSync::CtaBarrier) {
    // The CTA barrier of waitFull made the stage free; one cp.async group
    // per item, so waiting for an item is counting groups.
    nvgpu::DeviceAsyncCreateGroupOp::create(b, tokenType, issue(stage));
    return;
  }
  waitFree(b, n, stage);
  issue(stage);
  // Arrives once every copy this thread issued so far landed.
  NVVM::CpAsyncMBarrierArriveOp::create(b, barrier(b, 0, stage),
                                        /*noinc=*/true);
}

void TilePipeline::waitFree(KernelBuilder &b, Value n, Value stage) {
  Value freeParity = b.remu(b.add(b.divu(n, stages), 1), 2);
  waitParity(b, barrier(b, 1, stage), freeParity);
}

void TilePipeline::issueTensorMaps(
    KernelBuilder &b, Value stage, int64_t bytes,
    function_ref<void(Value stage, Value full)> issue) {
  Value full = barrier(b, 0, stage);
  NVVM::MBarrierArriveExpectTxOp::create(b, /*res=*/Type(), full, b.i32(bytes),
                                         NVVM::MemScopeKind::CTA,
                                         /*relaxed=*/false,
                                         /*predicate=*/Value());
  issue(stage, full);
}

void TilePipeline::produceWithTensorMaps(
    KernelBuilder &b, Value n, int64_t bytes, Value startsTensorMaps,
    function_ref<SmallVector<Value>(Value stage)> copy,
    function_ref<void(Value stage, Value full)> issue) {
  assert(sync == PipelineSync::CopiesAndTensorMaps &&
         "a pipeline gathered by cp.async beside tensor maps");
  Value stage = stageOf(b, n);
  waitFree(b, n, stage);
  b.ifThen(startsTensorMaps, [&] { issueTensorMaps(b, stage, bytes, issue); });
  copy(stage);
  NVVM::CpAsyncMBarrierArriveOp::create(b, barrier(b, 0, stage),
                                        /*noinc=*/true);
}

void TilePipeline::produceByTensorMaps(
    KernelBuilder &b, Value n, int64_t bytes,
    function_ref<void(Value stage, Value full)> issue) {
  assert(sync == PipelineSync::TensorMemoryAccess &&
         "a pipeline fed by tensor maps");
  Value stage = stageOf(b, n);
  waitFree(b, n, stage);
  issueTensorMaps(b, stage, bytes, issue);
}

void TilePipeline::waitFull(KernelBuilder &b, Value n, bool forTensorCores) {
  MLIRContext *ctx = b.getContext();
  if (sync == PipelineSync::CtaBarrier) {
    // Items n + 1 .. n + stages - 2 may stay in flight.
    NVVM::CpAsyncWaitGroupOp::create(b, std::max<int64_t>(stages - 2, 0));
    gpu::BarrierOp::create(b);
  } else {
    waitParity(b, barrier(b, 0, stageOf(b, n)), b.remu(b.divu(n, stages), 2));
  }
  // TMA copies are async-proxy writes already.
  if (forTensorCores && (sync == PipelineSync::MBarrier ||
                         sync == PipelineSync::CopiesAndTensorMaps))
    NVVM::FenceProxyOp::create(
        b, NVVM::ProxyKind::async_shared,
        NVVM::SharedSpaceAttr::get(ctx, NVVM::SharedSpace::shared_cta));
}

void TilePipeline::release(KernelBuilder &b, Value n) {
  if (sync != PipelineSync::CtaBarrier)
    NVVM::MBarrierArriveOp::create(b, b.getI64Type(),
                                   barrier(b, 1, stageOf(b, n)), Value());
}

void TilePipeline::releaseByWarp(KernelBuilder &b, Value n, Value laneId) {
  assert(byWarp && sync != PipelineSync::CtaBarrier &&
         "a pipeline released by warps");
  // Every lane is done reading when the warp converges here.
  NVVM::SyncWarpOp::create(b, b.i32(-1));
  b.ifThen(b.cmp(arith::CmpIPredicate::eq, laneId, b.idx(0)), [&] {
    NVVM::MBarrierArriveOp::create(b, b.getI64Type(),
                                   barrier(b, 1, stageOf(b, n)), Value());
  });
}

void TilePipeline::drain(KernelBuilder &b) {
  // A TMA item is waited for by its consumers.
  if (sync != PipelineSync::TensorMemoryAccess)
    NVVM::CpAsyncWaitGroupOp::create(b, 0);
}
