//===- CelerisToLinalg.cpp - The convert-celeris-to-linalg pass -*- C++ -*-===//
//
// Applies the reference-lowering patterns and reports, on the op, every
// Celeris op or operand form that they do not lower yet.
//
//===----------------------------------------------------------------------===//

#include "celeris/Conversion/Passes.h"
#include "celeris/Dialect/Celeris/IR/CelerisOps.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::celeris {
#define GEN_PASS_DEF_CONVERTCELERISTOLINALG
#include "celeris/Conversion/Passes.h.inc"

namespace {

/// Why the reference lowering cannot handle `op`, if it cannot.
std::optional<std::string> unsupportedReason(Operation *op) {
  if (auto attention = dyn_cast<AttentionOp>(op))
    return getUnsupportedAttentionForm(attention);
  return std::string("has no reference lowering yet");
}

struct ConvertCelerisToLinalgPass
    : impl::ConvertCelerisToLinalgBase<ConvertCelerisToLinalgPass> {
  void runOnOperation() override {
    bool unsupported = false;
    getOperation()->walk([&](Operation *op) {
      if (!isa<CelerisDialect>(op->getDialect()))
        return;
      std::optional<std::string> reason = unsupportedReason(op);
      if (!reason)
        return;
      op->emitOpError("cannot be lowered by convert-celeris-to-linalg: it ")
          << *reason;
      unsupported = true;
    });
    if (unsupported)
      return signalPassFailure();

    RewritePatternSet patterns(&getContext());
    populateCelerisToLinalgPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
} // namespace mlir::celeris
