//===- CelerisToGPU.cpp - The convert-celeris-to-gpu pass -------*- C++ -*-===//
//
// Collects the functions of a module that hold Celeris ops and lowers each to
// a kernel of one gpu.module; the pass only checks its options and reports.
//
//===----------------------------------------------------------------------===//

#include "celeris/Conversion/CelerisToGPU/CelerisToGPU.h"
#include "celeris/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir::celeris {
#define GEN_PASS_DEF_CONVERTCELERISTOGPU
#include "celeris/Conversion/Passes.h.inc"
} // namespace mlir::celeris

using namespace mlir;
using namespace mlir::celeris;

/// The gpu.module every kernel goes into.
static constexpr StringLiteral kKernelModuleName = "kernels";

LogicalResult mlir::celeris::lowerCelerisFunctionsToGPU(
    ModuleOp module, StringRef chipName,
    const AttentionKernelOverrides &overrides) {
  std::optional<NvidiaChip> chip = lookupNvidiaChip(chipName);
  if (!chip)
    return module.emitError()
           << "convert-celeris-to-gpu: unsupported chip '" << chipName
           << "'; expected one of " << getSupportedNvidiaChipNames();
  if (failed(verifyAttentionKernelOverrides(overrides, [&] {
        return module.emitError("convert-celeris-to-gpu: ");
      })))
    return failure();

  SmallVector<func::FuncOp> functions;
  for (auto func : module.getOps<func::FuncOp>())
    if (hasCelerisOps(func))
      functions.push_back(func);
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
    if (failed(lowerAttentionFunctionToGPU(func, kernels, *chip, overrides)))
      failedAny = true;
  return failure(failedAny);
}

namespace mlir::celeris {
namespace {
struct ConvertCelerisToGPUPass
    : impl::ConvertCelerisToGPUBase<ConvertCelerisToGPUPass> {
  using Base::Base;

  void runOnOperation() override {
    AttentionKernelOverrides overrides{tensorCores, qTile, kvTile, kvStages,
                                       minCtasPerSm};
    if (failed(lowerCelerisFunctionsToGPU(getOperation(), chip, overrides)))
      signalPassFailure();
  }
};
} // namespace
} // namespace mlir::celeris
