//===- GPUPipeline.cpp - The celeris-gpu pipeline ---------------*- C++ -*-===//
//
// Celeris functions on tensors -> gpu.module kernels, the input of
// celeris-compile's NVVM lowering. Composites are decomposed first, so a
// function whose composite reduces to one celeris.attention lowers too;
// celeris.selective_scan, which has a kernel, is kept; a dispatch read only
// by grouped matmuls is fused into them.
//
//===----------------------------------------------------------------------===//

#include "celeris/Conversion/Passes.h"
#include "celeris/Dialect/Celeris/IR/CelerisOps.h"
#include "celeris/Dialect/Celeris/Transforms/Passes.h"
#include "celeris/Pipelines/Pipelines.h"

#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::celeris;

LogicalResult mlir::celeris::buildGPUPipeline(
    OpPassManager &pm, const GPUPipelineOptions &options,
    function_ref<LogicalResult(const Twine &)> errorHandler) {
  // The selective scan has a kernel of its own, which fuses the
  // discretisation its decomposition would materialise. The MoE layer
  // decomposes into a program of kernels.
  CelerisDecomposeCompositesOptions decompose;
  decompose.keep = {SelectiveScanOp::getOperationName().str()};
  pm.addPass(createCelerisDecomposeComposites(decompose));
  // The grouped GEMMs gather the token rows the dispatch would copy.
  pm.addPass(createCelerisFuseDispatch());
  // A function of several Celeris ops becomes a program of their kernels.
  pm.addPass(createCelerisOutlineKernels());
  std::unique_ptr<Pass> select = createCelerisSelectGPUSchedule();
  if (failed(select->initializeOptions(
          "chip=" + options.chip + " " + options.schedule, errorHandler)))
    return failure();
  pm.addPass(std::move(select));
  ConvertCelerisToGPUOptions lowering;
  lowering.chip = options.chip;
  pm.addPass(createConvertCelerisToGPU(lowering));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  return success();
}
