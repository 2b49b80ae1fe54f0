//===- RecurrenceToLinalg.cpp - Reference lowering ------------------*- C++ -*-===//
//
// Reference lowering of celeris.recurrence (sequential form) and celeris.scan.
//
//===----------------------------------------------------------------------===//

#include "celeris/Conversion/CelerisToLinalg/CelerisToLinalg.h"
#include "celeris/Dialect/Celeris/IR/CelerisOps.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::celeris;

void mlir::celeris::populateRecurrenceToLinalgPatterns(
    RewritePatternSet &patterns) {}
