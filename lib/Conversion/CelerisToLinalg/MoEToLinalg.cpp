//===- MoEToLinalg.cpp - Reference lowering ------------------*- C++ -*-===//
//
// Reference lowering of celeris.route, celeris.dispatch, celeris.grouped_matmul and celeris.combine.
//
//===----------------------------------------------------------------------===//

#include "celeris/Conversion/CelerisToLinalg/CelerisToLinalg.h"
#include "celeris/Dialect/Celeris/IR/CelerisOps.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::celeris;

void mlir::celeris::populateMoEToLinalgPatterns(
    RewritePatternSet &patterns) {}
