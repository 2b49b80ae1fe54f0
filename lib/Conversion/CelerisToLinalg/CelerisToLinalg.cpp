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

/// Why the reference lowering cannot handle `op`, or an empty string.
std::string unsupportedReason(Operation *op) {
  auto attention = dyn_cast<AttentionOp>(op);
  if (!attention)
    return "has no reference lowering yet";
  if (attention.getAlibiSlopes())
    return "has ALiBi slopes, which the reference lowering does not handle "
           "yet";
  if (attention.getQSegmentIds())
    return "has segment ids, which the reference lowering does not handle "
           "yet";
  if (attention.getCuSeqlensQ())
    return "has varlen offsets, which the reference lowering does not handle "
           "yet";
  if (attention.getBlockCounts())
    return "has a block layout, which the reference lowering does not handle "
           "yet";
  if (attention.getKvLengths())
    return "has kv_lengths, which the reference lowering does not handle yet";
  if (attention.isPaged())
    return "has a page table, which the reference lowering does not handle "
           "yet";
  if (ShapedType::isDynamic(attention.getQuery().getType().getDimSize(1)) ||
      ShapedType::isDynamic(attention.getKey().getType().getDimSize(1)))
    return "has dynamic head counts; the reference lowering needs static "
           "query and key/value head counts";
  return "";
}

struct ConvertCelerisToLinalgPass
    : impl::ConvertCelerisToLinalgBase<ConvertCelerisToLinalgPass> {
  void runOnOperation() override {
    bool unsupported = false;
    getOperation()->walk([&](Operation *op) {
      if (!isa<CelerisDialect>(op->getDialect()))
        return;
      std::string reason = unsupportedReason(op);
      if (reason.empty())
        return;
      op->emitOpError("cannot be lowered by convert-celeris-to-linalg: it ")
          << reason;
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
