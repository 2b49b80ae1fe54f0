//===- RecurrenceOps.cpp - Celeris Recurrence family ops --------*- C++ -*-===//
//
// Verifiers of the Recurrence family.
//
//===----------------------------------------------------------------------===//

#include "celeris/Dialect/Celeris/IR/RecurrenceOps.h"
#include "VerifyUtils.h"

using namespace mlir;
using namespace mlir::celeris;
using verify::Named;

#define GET_OP_CLASSES
#include "celeris/Dialect/Celeris/IR/CelerisRecurrenceOps.cpp.inc"
