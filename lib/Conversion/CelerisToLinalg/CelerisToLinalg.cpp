//===- CelerisToLinalg.cpp - The convert-celeris-to-linalg pass -*- C++ -*-===//
//
// Applies the reference-lowering patterns and reports, on the op, every
// Celeris op or operand form that they do not lower yet.
//
//===----------------------------------------------------------------------===//

#include "celeris/Conversion/Passes.h"
#include "celeris/Dialect/Celeris/IR/CelerisOps.h"
#include "celeris/Dialect/Celeris/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::celeris {
#define GEN_PASS_DEF_CONVERTCELERISTOLINALG
#include "celeris/Conversion/Passes.h.inc"

namespace {

struct ConvertCelerisToLinalgPass
    : impl::ConvertCelerisToLinalgBase<ConvertCelerisToLinalgPass> {
  void runOnOperation() override {
    // Operand forms the patterns do not handle are reported up front, with
    // the reason, rather than as a bare leftover op.
    bool unsupported = false;
    getOperation()->walk([&](AttentionOp op) {
      if (std::optional<std::string> reason = getUnsupportedAttentionForm(op)) {
        op.emitOpError("cannot be lowered by convert-celeris-to-linalg: it ")
            << *reason;
        unsupported = true;
      }
    });
    if (unsupported)
      return signalPassFailure();

    RewritePatternSet patterns(&getContext());
    populateDecomposeCompositesPatterns(patterns);
    populateCelerisToLinalgPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();

    getOperation()->walk([&](Operation *op) {
      if (!isa<CelerisDialect>(op->getDialect()))
        return;
      op->emitOpError("cannot be lowered by convert-celeris-to-linalg: it has "
                      "no reference lowering yet");
      unsupported = true;
    });
    if (unsupported)
      signalPassFailure();
  }
};

} // namespace
} // namespace mlir::celeris

void mlir::celeris::populateCelerisToLinalgPatterns(
    RewritePatternSet &patterns) {
  populateAttentionToLinalgPatterns(patterns);
  populateBlockLayoutToLinalgPatterns(patterns);
  populateRecurrenceToLinalgPatterns(patterns);
  populateMoEToLinalgPatterns(patterns);
}
