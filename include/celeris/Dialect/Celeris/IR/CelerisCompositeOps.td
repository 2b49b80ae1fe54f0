//===- CelerisCompositeOps.td - Composite family ops ---*- tablegen -*-===//
//
// Attention composites (NSA, MLA) that decompose into celeris.attention and
// the block-layout builders.
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
