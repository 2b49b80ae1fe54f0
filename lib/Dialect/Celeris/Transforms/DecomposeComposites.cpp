//===- DecomposeComposites.cpp - celeris-decompose-composites ---*- C++ -*-===//
//
// The pass rewriting every composite op into primitive Celeris ops.
//
//===----------------------------------------------------------------------===//

#include "celeris/Dialect/Celeris/IR/CelerisOps.h"
#include "celeris/Dialect/Celeris/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::celeris {
#define GEN_PASS_DEF_CELERISDECOMPOSECOMPOSITES
#include "celeris/Dialect/Celeris/Transforms/Passes.h.inc"
} // namespace mlir::celeris

using namespace mlir;
using namespace mlir::celeris;

void mlir::celeris::populateDecomposeCompositesPatterns(
    RewritePatternSet &patterns) {
  populateDecomposeMoEPatterns(patterns);
  populateDecomposeSelectiveScanPatterns(patterns);
  populateDecomposeAttentionCompositesPatterns(patterns);
}

namespace {
struct CelerisDecomposeCompositesPass
    : mlir::celeris::impl::CelerisDecomposeCompositesBase<
          CelerisDecomposeCompositesPass> {
  using Base::Base;

  void runOnOperation() override {
    bool keepMoE = false, keepSelectiveScan = false;
    for (const std::string &name : keep) {
      if (name == MoEOp::getOperationName())
        keepMoE = true;
      else if (name == SelectiveScanOp::getOperationName())
        keepSelectiveScan = true;
      else {
        getOperation()->emitError()
            << "celeris-decompose-composites: cannot keep '" << name
            << "'; only celeris.selective_scan and celeris.moe can be kept";
        return signalPassFailure();
      }
    }
    RewritePatternSet patterns(&getContext());
    if (!keepMoE)
      populateDecomposeMoEPatterns(patterns);
    if (!keepSelectiveScan)
      populateDecomposeSelectiveScanPatterns(patterns);
    populateDecomposeAttentionCompositesPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    bool left = false;
    getOperation()->walk([&](Operation *op) {
      if ((isa<MoEOp>(op) && !keepMoE) ||
          (isa<SelectiveScanOp>(op) && !keepSelectiveScan) ||
          isa<MlaOp, NsaOp>(op)) {
        // The one composite a form of which never decomposes.
        if (isa<MoEOp>(op))
          op->emitOpError(
              "has a dynamic expert count (the router's dim 1 and the "
              "expert weights' dim 0): it decomposes into celeris.dispatch, "
              "which needs the count when compiling; give one of them a "
              "static extent");
        else
          op->emitOpError("could not be decomposed into primitive ops");
        left = true;
      }
    });
    if (left)
      signalPassFailure();
  }
};
} // namespace
