//===- CelerisToGPU.cpp - The convert-celeris-to-gpu pass -------*- C++ -*-===//
//
// The two passes of the GPU lowering: celeris-select-gpu-schedule records
// the schedule of every op, convert-celeris-to-gpu collects the functions
// that hold Celeris ops and lowers each to a kernel of one gpu.module.
//
//===----------------------------------------------------------------------===//

#include "celeris/Conversion/CelerisToGPU/CelerisToGPU.h"
#include "celeris/Conversion/Passes.h"
#include "celeris/Dialect/Celeris/IR/CelerisOps.h"

#include "FunctionKernel.h"
#include "OperandPrologue.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir::celeris {
#define GEN_PASS_DEF_CELERISSELECTGPUSCHEDULE
#define GEN_PASS_DEF_CONVERTCELERISTOGPU
#include "celeris/Conversion/Passes.h.inc"
} // namespace mlir::celeris

using namespace mlir;
using namespace mlir::celeris;

/// The gpu.module every kernel goes into.
static constexpr StringLiteral kKernelModuleName = "kernels";

KernelFamily mlir::celeris::chooseAttentionFamily(AttentionOp op) {
  // Decode: a few query rows per sequence, known when compiling; the
  // per-row structure of packed documents and block layouts stays with
  // the prefill kernel.
  int64_t queryLength = cast<ShapedType>(op.getQuery().getType()).getDimSize(2);
  bool fewRows = !ShapedType::isDynamic(queryLength) &&
                 queryLength <= kMaxDecodeQueryLength;
  if (fewRows && !op.getQSegmentIds() && !op.getCuSeqlensQ() &&
      !op.getBlockCounts())
    return KernelFamily::AttentionDecode;
  return KernelFamily::AttentionPrefill;
}

static bool isRecurrenceFamily(KernelFamily family) {
  return family == KernelFamily::RecurrenceChunk ||
         family == KernelFamily::RecurrenceSequential ||
         family == KernelFamily::RecurrenceStep;
}

/// `overrides` with the fields an option leaves open fitted to what `op`
/// needs of the schedule `chosen` for it.
static GPUScheduleOverrides
fitOverridesToOp(AttentionOp op, GPUScheduleAttr chosen,
                 const GPUScheduleOverrides &overrides) {
  GPUScheduleOverrides fitted = overrides;
  if (chosen.getKernel() == KernelFamily::AttentionDecode)
    return fitted;
  // Score transforms need registers the model's cap leaves no room for (48
  // bytes of spills at D = 64 with 3 CTAs per SM); the key-tile list of
  // segment ids (16 KB) leaves shared memory for 2 CTAs per SM, not 3.
  if ((op.getAlibiSlopes() || op.getSoftcapAttr() || op.getQSegmentIds()) &&
      overrides.minCtasPerSm < 0 && chosen.getMinCtasPerSm() > 2)
    fitted.minCtasPerSm = 2;
  // A block layout's blocks must be whole query and key tiles: the tiles
  // not fixed by an option shrink to 64 when that makes them fit.
  if (op.getBlockCounts() && op.getBlockSize()) {
    ArrayRef<int64_t> blockSize = *op.getBlockSize();
    int64_t kvTile = fitted.kvTile ? fitted.kvTile : chosen.getKvTile();
    if (!fitted.queryTile && blockSize[0] % chosen.getQueryTile() != 0)
      fitted.queryTile = 64;
    if (!fitted.kvTile && blockSize[1] % kvTile != 0)
      fitted.kvTile = 64;
  }
  return fitted;
}

LogicalResult
mlir::celeris::selectGPUSchedules(ModuleOp module, StringRef chipName,
                                  const GPUScheduleOverrides &overrides) {
  std::optional<NvidiaChip> chip = lookupNvidiaChip(chipName);
  if (!chip)
    return module.emitError()
           << "celeris-select-gpu-schedule: unsupported chip '" << chipName
           << "'; expected one of " << getSupportedNvidiaChipNames();
  if (failed(verifyGPUScheduleOverrides(overrides, [&] {
        return module.emitError("celeris-select-gpu-schedule: ");
      })))
    return failure();
  bool failedAny = false;
  module.walk([&](AttentionOp op) {
    auto query = cast<ShapedType>(op.getQuery().getType());
    auto start =
        op->getAttrOfType<GPUScheduleAttr>(GPUScheduleAttr::getAttrName());
    KernelFamily family = chooseAttentionFamily(op);
    auto select = [&](const GPUScheduleOverrides &fields) {
      return selectAttentionSchedule(
          op.getContext(), *chip, family,
          getAttentionTileHeadDim(query.getDimSize(3)), query.getElementType(),
          start, fields, [&] { return op->emitError("GPU schedule: "); });
    };
    FailureOr<GPUScheduleAttr> schedule = select(overrides);
    if (succeeded(schedule)) {
      GPUScheduleOverrides fitted = fitOverridesToOp(op, *schedule, overrides);
      if (fitted != overrides)
        schedule = select(fitted);
    }
    if (failed(schedule)) {
      failedAny = true;
      return;
    }
    op->setAttr(GPUScheduleAttr::getAttrName(), *schedule);
  });
  module.walk([&](RecurrenceOp op) {
    // A recurrence family written by hand on the op is honoured.
    auto start =
        op->getAttrOfType<GPUScheduleAttr>(GPUScheduleAttr::getAttrName());
    KernelFamily family = chooseRecurrenceFamily(op);
    if (start && isRecurrenceFamily(start.getKernel()))
      family = start.getKernel();
    FailureOr<GPUScheduleAttr> schedule = selectRecurrenceSchedule(
        op.getContext(), family, start, overrides,
        [&] { return op->emitError("GPU schedule: "); });
    if (failed(schedule)) {
      failedAny = true;
      return;
    }
    op->setAttr(GPUScheduleAttr::getAttrName(), *schedule);
  });
  auto getStart = [](Operation *op) {
    return op->getAttrOfType<GPUScheduleAttr>(GPUScheduleAttr::getAttrName());
  };
  auto record = [&](Operation *op, FailureOr<GPUScheduleAttr> schedule) {
    if (failed(schedule))
      failedAny = true;
    else
      op->setAttr(GPUScheduleAttr::getAttrName(), *schedule);
  };
  // Scans: one form each so far.
  module.walk([&](Operation *op) {
    KernelFamily family;
    if (isa<ScanOp>(op))
      family = KernelFamily::ScanBlocked;
    else if (isa<SelectiveScanOp>(op))
      family = KernelFamily::SelectiveScan;
    else
      return;
    record(op, selectRecurrenceSchedule(
                   op->getContext(), family, getStart(op), overrides,
                   [&] { return op->emitError("GPU schedule: "); }));
  });
  // Mixture of experts: a kernel family per op.
  module.walk([&](Operation *op) {
    KernelFamily family;
    int64_t columns = 0;
    if (auto gemm = dyn_cast<GroupedMatmulOp>(op)) {
      family = KernelFamily::GroupedGemm;
      // The swiglu form accumulates gate and up columns side by side.
      columns = cast<ShapedType>(gemm.getY().getType()).getDimSize(1) *
                (gemm.getWUp() ? 2 : 1);
    } else if (isa<RouteOp>(op)) {
      family = KernelFamily::MoeRoute;
    } else if (isa<DispatchOp, DispatchMapOp>(op)) {
      family = KernelFamily::MoeDispatch;
    } else if (isa<CombineOp>(op)) {
      family = KernelFamily::MoeCombine;
    } else {
      return;
    }
    record(op, selectMoESchedule(
                   op->getContext(), *chip, family, columns, getStart(op),
                   overrides, [&] { return op->emitError("GPU schedule: "); }));
  });
  // The linalg ops of programs: loop_nest kernels.
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isExternal() || !isProgramCallee(func))
      continue;
    for (Operation &op : func.getBody().front())
      if (isLoopNestOp(&op))
        record(&op,
               selectMoESchedule(op.getContext(), *chip, KernelFamily::LoopNest,
                                 0, getStart(&op), overrides, [&] {
                                   return op.emitError("GPU schedule: ");
                                 }));
  }
  return failure(failedAny);
}

LogicalResult mlir::celeris::lowerCelerisFunctionsToGPU(ModuleOp module,
                                                        StringRef chipName) {
  std::optional<NvidiaChip> chip = lookupNvidiaChip(chipName);
  if (!chip)
    return module.emitError()
           << "convert-celeris-to-gpu: unsupported chip '" << chipName
           << "'; expected one of " << getSupportedNvidiaChipNames();

  SmallVector<func::FuncOp> functions, programs;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func->hasAttr(kProgramAttrName) && !func.isExternal())
      programs.push_back(func);
    else if (!func.isExternal() &&
             (hasCelerisOps(func) || isProgramCallee(func)))
      functions.push_back(func);
  }
  if (functions.empty())
    return success();

  gpu::GPUModuleOp kernels;
  if (Operation *existing = module.lookupSymbol(kKernelModuleName)) {
    kernels = dyn_cast<gpu::GPUModuleOp>(existing);
    if (!kernels)
      return existing->emitError()
             << "convert-celeris-to-gpu: the symbol @" << kKernelModuleName
             << " is taken by something other than the gpu.module the "
                "kernels go into";
  } else {
    auto builder = OpBuilder::atBlockEnd(module.getBody());
    kernels =
        gpu::GPUModuleOp::create(builder, module.getLoc(), kKernelModuleName);
  }
  module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                  UnitAttr::get(module.getContext()));

  bool failedAny = false;
  for (func::FuncOp func : functions)
    if (failed(lowerFunctionToGPU(func, kernels, *chip)))
      failedAny = true;
  if (failedAny)
    return failure();
  // Each program's launches, once its functions are kernels.
  for (func::FuncOp program : programs)
    if (failed(lowerProgramToGPU(program, kernels)))
      failedAny = true;
  if (failedAny)
    return failure();
  return expandPrologueMath(kernels);
}

namespace mlir::celeris {
namespace {
struct CelerisSelectGPUSchedulePass
    : impl::CelerisSelectGPUScheduleBase<CelerisSelectGPUSchedulePass> {
  using Base::Base;

  void runOnOperation() override {
    GPUScheduleOverrides overrides;
    overrides.tensorCores = tensorCores;
    overrides.queryTile = qTile;
    overrides.kvTile = kvTile;
    overrides.kvStages = kvStages;
    overrides.decodeWarps = decodeWarps;
    overrides.minCtasPerSm = minCtasPerSm;
    if (failed(selectGPUSchedules(getOperation(), chip, overrides)))
      signalPassFailure();
  }
};

struct ConvertCelerisToGPUPass
    : impl::ConvertCelerisToGPUBase<ConvertCelerisToGPUPass> {
  using Base::Base;

  void runOnOperation() override {
    if (failed(lowerCelerisFunctionsToGPU(getOperation(), chip)))
      signalPassFailure();
  }
};
} // namespace
} // namespace mlir::celeris
