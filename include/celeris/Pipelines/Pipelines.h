//===- Pipelines.h - Celeris pass pipelines ---------------------*- C++ -*-===//
//
// The end-to-end pipelines: `celeris-cpu` lowers a module with Celeris ops on
// tensors to the LLVM dialect for the host; `celeris-gpu` lowers its
// functions to GPU kernels for celeris-compile.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_PIPELINES_PIPELINES_H
#define CELERIS_PIPELINES_PIPELINES_H

#include "mlir/Dialect/GPU/Pipelines/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::celeris {

/// Options of the `celeris-cpu` pipeline.
struct CPUPipelineOptions : public PassPipelineOptions<CPUPipelineOptions> {
  PassOptions::Option<bool> tiled{
      *this, "tiled",
      llvm::cl::desc("Lower through the tiled algorithms (online-softmax "
                     "attention, chunkwise recurrences, blocked scans) "
                     "instead of the reference forms"),
      llvm::cl::init(false)};
};

/// Adds to `pm` (on a builtin.module) everything from Celeris ops on tensors
/// to LLVM dialect: composite decomposition, the (tiled or reference)
/// lowering to linalg, bufferization, and conversion to LLVM.
void buildCPUPipeline(OpPassManager &pm, const CPUPipelineOptions &options);

/// Adds the host part of the CPU pipeline alone: from linalg/tensor/scf on
/// tensors to the LLVM dialect.
void buildHostLoweringPipeline(OpPassManager &pm);

/// Options of the `celeris-gpu` pipeline: the target, and overrides of the
/// schedule in the option syntax of celeris-select-gpu-schedule (the one
/// place that declares them), e.g. "q-tile=64 kv-stages=3".
struct GPUPipelineOptions : public PassPipelineOptions<GPUPipelineOptions> {
  PassOptions::Option<std::string> chip{
      *this, "chip",
      llvm::cl::desc("Target chip: sm_80, sm_86, sm_89, sm_90 or sm_90a"),
      llvm::cl::init("sm_90a")};
  PassOptions::Option<std::string> schedule{
      *this, "schedule",
      llvm::cl::desc("Schedule overrides, as options of "
                     "celeris-select-gpu-schedule (e.g. 'q-tile=64 "
                     "tensor-cores=mma.sync')"),
      llvm::cl::init("")};
};

/// Adds to `pm` (on a builtin.module) everything from Celeris functions on
/// tensors to gpu.module kernels: composite decomposition (keeping
/// celeris.selective_scan, which has a kernel, and celeris.moe, which the
/// lowering reports as a launch sequence it does not build yet),
/// celeris-select-gpu-schedule, convert-celeris-to-gpu, canonicalization
/// and CSE. Fails, through `errorHandler`, on a malformed schedule.
LogicalResult
buildGPUPipeline(OpPassManager &pm, const GPUPipelineOptions &options,
                 function_ref<LogicalResult(const Twine &)> errorHandler);

/// Adds to `pm` (on a builtin.module) the lowering of gpu.module kernels to
/// NVVM and their binaries: upstream's gpu-lower-to-nvvm-pipeline, with
/// celeris-lower-tensor-map-params after the kernels' conversion to the
/// NVVM dialect. celeris-compile runs it.
void buildNVVMLoweringPipeline(OpPassManager &pm,
                               const gpu::GPUToNVVMPipelineOptions &options);

/// Registers `celeris-cpu`, `celeris-gpu` and `celeris-lower-to-nvvm` with the
/// pass pipeline registry.
void registerCelerisPipelines();

} // namespace mlir::celeris

#endif // CELERIS_PIPELINES_PIPELINES_H
