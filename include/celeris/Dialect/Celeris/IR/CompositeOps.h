//===- CompositeOps.h - Celeris Composite family ops ----------*- C++ -*-===//
//
// Attention composites (NSA, MLA) that decompose into celeris.attention and
// the block-layout builders.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_DIALECT_CELERIS_IR_COMPOSITEOPS_H
#define CELERIS_DIALECT_CELERIS_IR_COMPOSITEOPS_H

#include "celeris/Dialect/Celeris/IR/CelerisAttrs.h"
#include "celeris/Dialect/Celeris/IR/CelerisDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "celeris/Dialect/Celeris/IR/CelerisCompositeOps.h.inc"

#endif // CELERIS_DIALECT_CELERIS_IR_COMPOSITEOPS_H
