//===- Passes.h - Celeris dialect passes ------------------------*- C++ -*-===//
//
// Declares the Celeris dialect passes and their pattern sets.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_DIALECT_CELERIS_TRANSFORMS_PASSES_H
#define CELERIS_DIALECT_CELERIS_TRANSFORMS_PASSES_H

#include "celeris/Dialect/Celeris/IR/CelerisDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
namespace celeris {

#define GEN_PASS_DECL
#include "celeris/Dialect/Celeris/Transforms/Passes.h.inc"

/// Patterns rewriting composite ops into primitives: the union of the
/// per-composite sets below.
void populateDecomposeCompositesPatterns(RewritePatternSet &patterns);
void populateDecomposeMoEPatterns(RewritePatternSet &patterns);
void populateDecomposeSelectiveScanPatterns(RewritePatternSet &patterns);
void populateDecomposeAttentionCompositesPatterns(RewritePatternSet &patterns);
/// The pattern of celeris-fuse-dispatch.
void populateFuseDispatchPatterns(RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "celeris/Dialect/Celeris/Transforms/Passes.h.inc"

} // namespace celeris
} // namespace mlir

#endif // CELERIS_DIALECT_CELERIS_TRANSFORMS_PASSES_H
