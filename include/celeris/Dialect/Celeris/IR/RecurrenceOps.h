//===- RecurrenceOps.h - Celeris Recurrence family ops ----------*- C++ -*-===//
//
// The matrix-state recurrence (gated delta-rule family) and the elementwise
// scan.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_DIALECT_CELERIS_IR_RECURRENCEOPS_H
#define CELERIS_DIALECT_CELERIS_IR_RECURRENCEOPS_H

#include "celeris/Dialect/Celeris/IR/CelerisAttrs.h"
#include "celeris/Dialect/Celeris/IR/CelerisDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "celeris/Dialect/Celeris/IR/CelerisRecurrenceOps.h.inc"

#endif // CELERIS_DIALECT_CELERIS_IR_RECURRENCEOPS_H
