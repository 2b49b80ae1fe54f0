//===- Passes.h - Celeris conversion passes ---------------------*- C++ -*-===//
//
// Declares the Celeris conversion passes.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_CONVERSION_PASSES_H
#define CELERIS_CONVERSION_PASSES_H

#include "celeris/Conversion/CelerisToGPU/CelerisToGPU.h"
#include "celeris/Conversion/CelerisToLinalg/CelerisToLinalg.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir::celeris {

#define GEN_PASS_DECL
#include "celeris/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "celeris/Conversion/Passes.h.inc"

} // namespace mlir::celeris

#endif // CELERIS_CONVERSION_PASSES_H
