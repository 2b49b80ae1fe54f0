//===- BlockLayoutToLinalg.cpp - Reference lowering ------------------*- C++ -*-===//
//
// Reference lowering of celeris.mask_block_layout and celeris.topk_blocks.
//
//===----------------------------------------------------------------------===//

#include "celeris/Conversion/CelerisToLinalg/CelerisToLinalg.h"
#include "celeris/Dialect/Celeris/IR/CelerisOps.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::celeris;

void mlir::celeris::populateBlockLayoutToLinalgPatterns(
    RewritePatternSet &patterns) {}
