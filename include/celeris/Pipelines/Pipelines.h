//===- Pipelines.h - Celeris pass pipelines ---------------------*- C++ -*-===//
//
// The end-to-end pipelines: `celeris-cpu` lowers a module with Celeris ops on
// tensors to the LLVM dialect for the host; `celeris-gpu` lowers its
// functions to GPU kernels for celeris-compile.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_PIPELINES_PIPELINES_H
#define CELERIS_PIPELINES_PIPELINES_H

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

/// Options of the `celeris-gpu` pipeline: those of convert-celeris-to-gpu.
struct GPUPipelineOptions : public PassPipelineOptions<GPUPipelineOptions> {
  PassOptions::Option<std::string> chip{
      *this, "chip",
      llvm::cl::desc("Target chip: sm_80, sm_86, sm_89, sm_90 or sm_90a"),
      llvm::cl::init("sm_90a")};
  PassOptions::Option<std::string> tensorCores{
      *this, "tensor-cores",
      llvm::cl::desc("Tensor-core instructions: auto, mma.sync or wgmma"),
      llvm::cl::init("auto")};
  PassOptions::Option<int64_t> qTile{
      *this, "q-tile",
      llvm::cl::desc("Query rows per CTA, 64 or 128; 0 = cost model"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> kvTile{
      *this, "kv-tile",
      llvm::cl::desc("Keys per K/V tile, 64 or 128 (wgmma); 0 = cost model"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> kvStages{
      *this, "kv-stages",
      llvm::cl::desc("Shared-memory K/V stages, 1-2 (mma.sync) or 2-3 "
                     "(wgmma); 0 = cost model"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> minCtasPerSm{
      *this, "min-ctas-per-sm",
      llvm::cl::desc("CTAs per SM ptxas must fit; 0 = cost model"),
      llvm::cl::init(0)};
};

/// Adds to `pm` (on a builtin.module) everything from Celeris functions on
/// tensors to gpu.module kernels: composite decomposition,
/// convert-celeris-to-gpu, canonicalization and CSE.
void buildGPUPipeline(OpPassManager &pm, const GPUPipelineOptions &options);

/// Registers `celeris-cpu` and `celeris-gpu` with the pass pipeline
/// registry.
void registerCelerisPipelines();

} // namespace mlir::celeris

#endif // CELERIS_PIPELINES_PIPELINES_H
