//===- FuseDispatch.cpp - celeris-fuse-dispatch -----------------*- C++ -*-===//
//
// Fuses celeris.dispatch into the celeris.grouped_matmul ops that read its
// permuted rows: they gather the token rows through the dispatch map
// instead, and the T k permuted rows are never materialised.
//
//===----------------------------------------------------------------------===//

#include "celeris/Dialect/Celeris/IR/CelerisOps.h"
#include "celeris/Dialect/Celeris/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::celeris {
#define GEN_PASS_DEF_CELERISFUSEDISPATCH
#include "celeris/Dialect/Celeris/Transforms/Passes.h.inc"
} // namespace mlir::celeris

using namespace mlir;
using namespace mlir::celeris;

namespace {
struct FuseDispatchIntoGroupedMatmul : OpRewritePattern<DispatchOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DispatchOp op,
                                PatternRewriter &rewriter) const override {
    Value permuted = op.getPermuted();
    // Every reader must be a grouped matmul over the dispatch's own groups,
    // reading the rows as its x (not gathering them itself); with no reader
    // the map alone is left.
    SmallVector<GroupedMatmulOp> readers;
    for (OpOperand &use : permuted.getUses()) {
      auto matmul = dyn_cast<GroupedMatmulOp>(use.getOwner());
      if (!matmul || &use != &matmul.getXMutable() ||
          matmul.getOffsets() != op.getOffsets() || matmul.getSourceRows())
        return rewriter.notifyMatchFailure(
            op, "the permuted rows have a use other than a grouped matmul's "
                "x over the dispatch's offsets");
      readers.push_back(matmul);
    }
    auto map = DispatchMapOp::create(
        rewriter, op.getLoc(),
        RankedTensorType::get(op.getPermuted().getType().getDimSize(0),
                              rewriter.getI32Type()),
        op.getOffsets().getType(), op.getRowMap().getType(), op.getExperts(),
        op.getNumExpertsAttr(), op.getCapacityAttr());
    for (GroupedMatmulOp matmul : readers) {
      rewriter.setInsertionPoint(matmul);
      rewriter.replaceOpWithNewOp<GroupedMatmulOp>(
          matmul, matmul.getY().getType(), op.getX(), matmul.getW(),
          map.getOffsets(), map.getSourceRows(), matmul.getWUp());
    }
    rewriter.replaceAllUsesWith(op.getOffsets(), map.getOffsets());
    rewriter.replaceAllUsesWith(op.getRowMap(), map.getRowMap());
    rewriter.eraseOp(op);
    return success();
  }
};

struct CelerisFuseDispatchPass
    : mlir::celeris::impl::CelerisFuseDispatchBase<CelerisFuseDispatchPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFuseDispatchPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace

void mlir::celeris::populateFuseDispatchPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseDispatchIntoGroupedMatmul>(patterns.getContext());
}
