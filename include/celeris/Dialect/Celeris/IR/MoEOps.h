//===- MoEOps.h - Celeris MoE family ops ----------*- C++ -*-===//
//
// Mixture-of-experts routing, dispatch, grouped matmul and combine.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_DIALECT_CELERIS_IR_MOEOPS_H
#define CELERIS_DIALECT_CELERIS_IR_MOEOPS_H

#include "celeris/Dialect/Celeris/IR/CelerisAttrs.h"
#include "celeris/Dialect/Celeris/IR/CelerisDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "celeris/Dialect/Celeris/IR/CelerisMoEOps.h.inc"

#endif // CELERIS_DIALECT_CELERIS_IR_MOEOPS_H
