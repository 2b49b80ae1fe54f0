//===- Pipelines.h - Celeris pass pipelines ---------------------*- C++ -*-===//
//
// The end-to-end pipelines: `celeris-cpu` lowers a module with Celeris ops on
// tensors to the LLVM dialect for the host.
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

/// Registers `celeris-cpu` with the pass pipeline registry.
void registerCelerisPipelines();

} // namespace mlir::celeris

#endif // CELERIS_PIPELINES_PIPELINES_H
