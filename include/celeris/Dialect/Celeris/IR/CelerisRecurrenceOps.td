//===- CelerisRecurrenceOps.td - Recurrence family ops ---*- tablegen -*-===//
//
// The matrix-state recurrence (gated delta-rule family) and the elementwise scan.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_DIALECT_CELERIS_IR_CELERISRECURRENCEOPS_TD
#define CELERIS_DIALECT_CELERIS_IR_CELERISRECURRENCEOPS_TD

include "celeris/Dialect/Celeris/IR/CelerisDialect.td"
include "celeris/Dialect/Celeris/IR/CelerisAttrs.td"
include "celeris/Dialect/Celeris/IR/CelerisTypeConstraints.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

#endif // CELERIS_DIALECT_CELERIS_IR_CELERISRECURRENCEOPS_TD
