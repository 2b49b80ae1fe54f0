//===- DecomposeAttentionComposites.cpp - Composite decomposition --------------*- C++ -*-===//
//
// Rewrites celeris.mla and celeris.nsa into celeris.attention and the block-layout builders.
//
//===----------------------------------------------------------------------===//

#include "celeris/Dialect/Celeris/IR/CelerisOps.h"
#include "celeris/Dialect/Celeris/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::celeris;

void mlir::celeris::populateDecomposeAttentionCompositesPatterns(RewritePatternSet &patterns) {}
