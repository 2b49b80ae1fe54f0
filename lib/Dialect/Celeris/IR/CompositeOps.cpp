//===- CompositeOps.cpp - Celeris Composite family ops --------*- C++ -*-===//
//
// Verifiers of the Composite family.
//
//===----------------------------------------------------------------------===//

#include "celeris/Dialect/Celeris/IR/CompositeOps.h"
#include "VerifyUtils.h"

using namespace mlir;
using namespace mlir::celeris;
using verify::Named;

#define GET_OP_CLASSES
#include "celeris/Dialect/Celeris/IR/CelerisCompositeOps.cpp.inc"
