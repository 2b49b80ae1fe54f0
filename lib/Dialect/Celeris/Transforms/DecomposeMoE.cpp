//===- DecomposeMoE.cpp - Composite decomposition --------------*- C++ -*-===//
//
// Rewrites celeris.moe into route, dispatch, grouped_matmul (SwiGLU) and combine, plus the shared experts.
//
//===----------------------------------------------------------------------===//

#include "celeris/Dialect/Celeris/IR/CelerisOps.h"
#include "celeris/Dialect/Celeris/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::celeris;

void mlir::celeris::populateDecomposeMoEPatterns(RewritePatternSet &patterns) {}
