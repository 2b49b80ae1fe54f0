//===- CelerisDialect.cpp - Celeris dialect ---------------------*- C++ -*-===//
//
// Registers the Celeris ops and attributes.
//
//===----------------------------------------------------------------------===//

#include "celeris/Dialect/Celeris/IR/CelerisDialect.h"
#include "celeris/Dialect/Celeris/IR/CelerisAttrs.h"
#include "celeris/Dialect/Celeris/IR/CelerisOps.h"

using namespace mlir;
using namespace mlir::celeris;

#include "celeris/Dialect/Celeris/IR/CelerisDialect.cpp.inc"

void CelerisDialect::initialize() {
  registerAttributes();
  // One list per op family (see CMakeLists.txt: one .td per family).
  addOperations<
#define GET_OP_LIST
#include "celeris/Dialect/Celeris/IR/CelerisAttentionOps.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "celeris/Dialect/Celeris/IR/CelerisRecurrenceOps.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "celeris/Dialect/Celeris/IR/CelerisMoEOps.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "celeris/Dialect/Celeris/IR/CelerisCompositeOps.cpp.inc"
      >();
}
