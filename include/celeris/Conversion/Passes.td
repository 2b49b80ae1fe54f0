//===- Passes.td - Celeris conversion passes ---------------*- tablegen -*-===//
//
// Passes that lower Celeris ops to other dialects.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_CONVERSION_PASSES_TD
#define CELERIS_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertCelerisToLinalg : Pass<"convert-celeris-to-linalg"> {
  let summary = "Lower Celeris ops to their reference form in linalg/tensor/arith";
  let description = [{
    The reference lowering: each op becomes the direct, untiled computation
    of its documented semantics on tensors (linalg.generic, tensor, arith,
    math), accumulating in f32. It is the correctness oracle of the tiled
    and GPU lowerings, not a fast path.

    `celeris.attention` lowers to four linalg.generic ops: the scaled
    (and soft-capped) scores `[B, Hq, Sq, Sk]` with the structured mask
    evaluated from `linalg.index` positions (never materialised as a
    tensor input), the row maximum, the exponentials and their row sum, and
    the normalised product with the values. Grouped-query heads are read
    through the index map `h floordiv (Hq / Hkv)`. A row without any
    allowed key yields output 0 and `lse = -inf`.

    Ops or operand forms the reference lowering does not handle yet are
    reported as errors on the op and fail the pass.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // CELERIS_CONVERSION_PASSES_TD
