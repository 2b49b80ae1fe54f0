//===- MoEOps.cpp - Celeris MoE family ops --------*- C++ -*-===//
//
// Verifiers of the MoE family.
//
//===----------------------------------------------------------------------===//

#include "celeris/Dialect/Celeris/IR/MoEOps.h"
#include "VerifyUtils.h"

using namespace mlir;
using namespace mlir::celeris;
using verify::Named;

#define GET_OP_CLASSES
#include "celeris/Dialect/Celeris/IR/CelerisMoEOps.cpp.inc"
