//===- AttentionOps.h - Celeris attention family ops ------------*- C++ -*-===//
//
// Declares attention, the block-layout builders and the attention
// composites.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_DIALECT_CELERIS_IR_ATTENTIONOPS_H
#define CELERIS_DIALECT_CELERIS_IR_ATTENTIONOPS_H

#include "celeris/Dialect/Celeris/IR/CelerisAttrs.h"
#include "celeris/Dialect/Celeris/IR/CelerisDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "celeris/Dialect/Celeris/IR/CelerisAttentionOps.h.inc"

namespace mlir::celeris {
/// Adds the patterns that bring the `mask` of every attention-family op to
/// its canonical form (see `simplifyMask`); canonicalization runs them too.
void populateSimplifyMasksPatterns(RewritePatternSet &patterns);
} // namespace mlir::celeris

#endif // CELERIS_DIALECT_CELERIS_IR_ATTENTIONOPS_H
