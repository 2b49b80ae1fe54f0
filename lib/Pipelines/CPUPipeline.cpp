//===- CPUPipeline.cpp - The celeris-cpu pipeline ---------------*- C++ -*-===//
//
// Celeris ops on tensors -> linalg (reference or tiled) -> bufferized loops
// -> LLVM dialect, ready for the ExecutionEngine or for translation to LLVM
// IR. Composite ops are decomposed into primitives first. With `tiled`, the
// tiled algorithms (online-softmax attention, chunkwise recurrences, blocked
// scans) replace the reference forms of the ops they handle.
//
//===----------------------------------------------------------------------===//

#include "celeris/Conversion/Passes.h"
#include "celeris/Dialect/Celeris/Transforms/Passes.h"
#include "celeris/Pipelines/Pipelines.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;
using namespace mlir::celeris;

void mlir::celeris::buildHostLoweringPipeline(OpPassManager &pm) {
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  // Loop-carried tensors of the scan and recurrence lowerings are rebuilt
  // every iteration; the deallocation pipeline frees the copies.
  bufferize.allowReturnAllocsFromLoops = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createConvertBufferizationToMemRefPass());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addNestedPass<func::FuncOp>(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void mlir::celeris::buildCPUPipeline(OpPassManager &pm,
                                     const CPUPipelineOptions &options) {
  if (options.tiled) {
    // The target-independent tiled algorithms first; what they do not tile
    // (e.g. attention with a page table) falls to the reference lowering.
    pm.addPass(createCelerisDecomposeComposites());
    pm.addPass(createCelerisTileAttention());
    pm.addPass(createCelerisChunkRecurrence());
    pm.addPass(createCelerisBlockScan());
  }
  pm.addPass(createConvertCelerisToLinalg());
  buildHostLoweringPipeline(pm);
}

void mlir::celeris::registerCelerisPipelines() {
  PassPipelineRegistration<CPUPipelineOptions>(
      "celeris-cpu",
      "Lower Celeris ops on tensors to the LLVM dialect for the host",
      buildCPUPipeline);
  registerPassPipeline(
      "celeris-gpu",
      "Lower Celeris functions on tensors to NVIDIA GPU kernels (gpu.module)",
      [](OpPassManager &pm, StringRef text,
         function_ref<LogicalResult(const Twine &)> errorHandler) {
        GPUPipelineOptions options;
        if (failed(options.parseFromString(text)))
          return failure();
        return buildGPUPipeline(pm, options, errorHandler);
      },
      [](function_ref<void(const mlir::detail::PassOptions &)> optionHandler) {
        optionHandler(GPUPipelineOptions());
      });
  PassPipelineRegistration<gpu::GPUToNVVMPipelineOptions>(
      "celeris-lower-to-nvvm",
      "Lower gpu.module kernels to NVVM and binaries, tensor maps passed by "
      "value",
      buildNVVMLoweringPipeline);
}
