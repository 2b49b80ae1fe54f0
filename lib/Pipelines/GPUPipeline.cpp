//===- GPUPipeline.cpp - The celeris-gpu pipeline ---------------*- C++ -*-===//
//
// Celeris functions on tensors -> gpu.module kernels, the input of
// celeris-compile's NVVM lowering. Composites are decomposed first, so a
// function whose composite reduces to one celeris.attention lowers too.
//
//===----------------------------------------------------------------------===//

#include "celeris/Conversion/Passes.h"
#include "celeris/Dialect/Celeris/Transforms/Passes.h"
#include "celeris/Pipelines/Pipelines.h"

#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::celeris;

LogicalResult mlir::celeris::buildGPUPipeline(
    OpPassManager &pm, const GPUPipelineOptions &options,
    function_ref<LogicalResult(const Twine &)> errorHandler) {
  pm.addPass(createCelerisDecomposeComposites());
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
