//===- CelerisCompositeOps.td - Composite family ops ---*- tablegen -*-===//
//
// Composite ops (MoE layer, NSA, Mamba-1 selective scan, MLA) that decompose into the primitives.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_DIALECT_CELERIS_IR_CELERISCOMPOSITEOPS_TD
#define CELERIS_DIALECT_CELERIS_IR_CELERISCOMPOSITEOPS_TD

include "celeris/Dialect/Celeris/IR/CelerisDialect.td"
include "celeris/Dialect/Celeris/IR/CelerisAttrs.td"
include "celeris/Dialect/Celeris/IR/CelerisTypeConstraints.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

#endif // CELERIS_DIALECT_CELERIS_IR_CELERISCOMPOSITEOPS_TD
