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

void mlir::celeris::buildGPUPipeline(OpPassManager &pm,
                                     const GPUPipelineOptions &options) {
  pm.addPass(createCelerisDecomposeComposites());
  ConvertCelerisToGPUOptions lowering;
  lowering.chip = options.chip;
  lowering.tensorCores = options.tensorCores;
  lowering.qTile = options.qTile;
  lowering.kvTile = options.kvTile;
  lowering.kvStages = options.kvStages;
  lowering.minCtasPerSm = options.minCtasPerSm;
  pm.addPass(createConvertCelerisToGPU(lowering));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}
