//===- DecomposeSelectiveScan.cpp - Composite decomposition --------------*- C++ -*-===//
//
// Rewrites celeris.selective_scan into its discretisation and celeris.scan.
//
//===----------------------------------------------------------------------===//

#include "celeris/Dialect/Celeris/IR/CelerisOps.h"
#include "celeris/Dialect/Celeris/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::celeris;

void mlir::celeris::populateDecomposeSelectiveScanPatterns(RewritePatternSet &patterns) {}
