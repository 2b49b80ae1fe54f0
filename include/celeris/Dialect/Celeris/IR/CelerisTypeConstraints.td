//===- CelerisTypeConstraints.td - Shared type constraints -*- tablegen -*-===//
//
// Operand and result type constraints shared by every Celeris op family.
// Ranks and shape relations are checked by the op verifiers, which can name
// the broken relation.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_DIALECT_CELERIS_IR_CELERISTYPECONSTRAINTS_TD
#define CELERIS_DIALECT_CELERIS_IR_CELERISTYPECONSTRAINTS_TD

include "mlir/IR/CommonTypeConstraints.td"

/// Activations and weights: f32, f16 or bf16.
def Celeris_FloatTensor : RankedTensorOf<[F32, F16, BF16]>;
/// Recurrent states, statistics and router weights are kept in f32.
def Celeris_F32Tensor : RankedTensorOf<[F32]>;
/// Ids, offsets, counts and indices are i32.
def Celeris_IndexTensor : RankedTensorOf<[I32]>;

#endif // CELERIS_DIALECT_CELERIS_IR_CELERISTYPECONSTRAINTS_TD
