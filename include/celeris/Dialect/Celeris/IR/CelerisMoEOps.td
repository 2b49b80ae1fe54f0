//===- CelerisMoEOps.td - MoE family ops ---*- tablegen -*-===//
//
// Mixture-of-experts routing, dispatch, grouped matmul and combine.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_DIALECT_CELERIS_IR_CELERISMOEOPS_TD
#define CELERIS_DIALECT_CELERIS_IR_CELERISMOEOPS_TD

include "celeris/Dialect/Celeris/IR/CelerisDialect.td"
include "celeris/Dialect/Celeris/IR/CelerisAttrs.td"
include "celeris/Dialect/Celeris/IR/CelerisTypeConstraints.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

#endif // CELERIS_DIALECT_CELERIS_IR_CELERISMOEOPS_TD
