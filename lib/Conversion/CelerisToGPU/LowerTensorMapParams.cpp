//===- LowerTensorMapParams.cpp - Tensor maps as grid constants ----------===//
//
// A kernel's trailing tensor-map arguments, `!llvm.ptr` after the NVVM
// lowering, become byval grid-constant parameters of 128 bytes: the
// runtime passes the tensor map itself, and the TMA copies read it from
// the parameter space.
//
//===----------------------------------------------------------------------===//

#include "celeris/Conversion/Passes.h"
#include "celeris/GPU/TensorMapCopy.h"

namespace mlir::celeris {
#define GEN_PASS_DEF_CELERISLOWERTENSORMAPPARAMS
#include "celeris/Conversion/Passes.h.inc"
} // namespace mlir::celeris

using namespace mlir;
using namespace mlir::celeris;

namespace {

/// CUtensorMap: 128 bytes, aligned to 64.
constexpr int64_t kTensorMapBytes = 128;
constexpr int64_t kTensorMapAlignment = 64;

struct CelerisLowerTensorMapParams
    : celeris::impl::CelerisLowerTensorMapParamsBase<
          CelerisLowerTensorMapParams> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    Builder builder(ctx);
    WalkResult result = getOperation().walk([&](LLVM::LLVMFuncOp func) {
      auto count = func->getAttrOfType<IntegerAttr>(kTensorMapParamsAttrName);
      if (!count)
        return WalkResult::advance();
      unsigned params = func.getNumArguments();
      if (count.getInt() < 0 || count.getInt() > params) {
        func.emitError() << "'" << kTensorMapParamsAttrName << "' counts "
                         << count.getInt() << " tensor-map parameters, but "
                         << "the function has " << params;
        return WalkResult::interrupt();
      }
      if (!func->hasAttr(NVVM::NVVMDialect::getKernelFuncAttrName())) {
        func.emitError() << "tensor-map parameters are kernel parameters; "
                            "@"
                         << func.getSymName() << " is no kernel";
        return WalkResult::interrupt();
      }
      for (unsigned i = params - count.getInt(); i < params; ++i) {
        if (!isa<LLVM::LLVMPointerType>(func.getArgumentTypes()[i])) {
          func.emitError() << "tensor-map parameter #" << i << " has type "
                           << func.getArgumentTypes()[i]
                           << ", expected !llvm.ptr";
          return WalkResult::interrupt();
        }
        func.setArgAttr(i, LLVM::LLVMDialect::getByValAttrName(),
                        TypeAttr::get(LLVM::LLVMArrayType::get(
                            builder.getI8Type(), kTensorMapBytes)));
        func.setArgAttr(i, LLVM::LLVMDialect::getAlignAttrName(),
                        builder.getI64IntegerAttr(kTensorMapAlignment));
        func.setArgAttr(i, NVVM::NVVMDialect::getGridConstantAttrName(),
                        builder.getUnitAttr());
      }
      func->removeAttr(kTensorMapParamsAttrName);
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
