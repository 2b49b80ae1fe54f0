//===- SimplifyMasks.cpp - Canonical structured masks -----------*- C++ -*-===//
//
// Runs only the mask-simplification patterns of the Celeris ops, so that a
// pipeline can bring masks to canonical form without running the whole
// canonicalizer.
//
//===----------------------------------------------------------------------===//

#include "celeris/Dialect/Celeris/IR/CelerisOps.h"
#include "celeris/Dialect/Celeris/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::celeris {
#define GEN_PASS_DEF_CELERISSIMPLIFYMASKS
#include "celeris/Dialect/Celeris/Transforms/Passes.h.inc"

namespace {
struct CelerisSimplifyMasksPass
    : impl::CelerisSimplifyMasksBase<CelerisSimplifyMasksPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateSimplifyMasksPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
} // namespace mlir::celeris
