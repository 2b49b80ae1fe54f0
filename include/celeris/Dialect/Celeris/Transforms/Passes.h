//===- Passes.h - Celeris dialect passes ------------------------*- C++ -*-===//
//
// Declares the Celeris dialect passes and their pattern sets.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_DIALECT_CELERIS_TRANSFORMS_PASSES_H
#define CELERIS_DIALECT_CELERIS_TRANSFORMS_PASSES_H

#include "celeris/Dialect/Celeris/IR/CelerisDialect.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
namespace celeris {

#define GEN_PASS_DECL
#include "celeris/Dialect/Celeris/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "celeris/Dialect/Celeris/Transforms/Passes.h.inc"

} // namespace celeris
} // namespace mlir

#endif // CELERIS_DIALECT_CELERIS_TRANSFORMS_PASSES_H
