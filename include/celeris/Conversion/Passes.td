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
    of its documented semantics on tensors (linalg.generic, tensor, scf,
    arith, math), accumulating in f32. It is the correctness oracle of the
    tiled and GPU lowerings, not a fast path. Composite ops are decomposed
    into primitives first (the `celeris-decompose-composites` patterns).

    `celeris.attention` lowers to linalg.generic ops: the scaled (and
    soft-capped, ALiBi-biased) scores `[B, Hq, Sq, Sk]` with the structured
    mask evaluated from `linalg.index` positions (never materialised as a
    tensor input) and the data-dependent terms (segment ids, kv lengths,
    varlen offsets, block layouts) added to the predicate, the row maximum,
    the exponentials and their row sum, and the normalised product with the
    values. Grouped-query heads are read through the index map
    `h floordiv (Hq / Hkv)`. A row without any allowed key yields output 0
    and `lse = -inf`. Recurrences and scans become `scf.for` loops over the
    sequence; routing and dispatch use stable ranks and prefix sums.

    An op form no pattern handles is reported as an error on the op and
    fails the pass.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def CelerisTileAttention : Pass<"celeris-tile-attention"> {
  let summary = "Tile celeris.attention into FlashAttention's online softmax";
  let description = [{
    The target-independent tiled algorithm of `celeris.attention`, on
    tensors and scf so that it runs on the CPU and the GPU lowering can map
    the same loops: an `scf.forall` over (batch, query head, query tile)
    and, inside, an `scf.for` over key/value tiles carrying the running row
    maximum `m`, row sum `l` and unnormalised output `acc` (f32).

    Each key/value tile is classified against the structured mask over its
    query and key positions (`buildTileClassification`; constant when the
    bounds are): an empty tile is skipped, a full one computes its scores
    without mask math, and only a partial one evaluates the mask. The
    update is the online softmax

    ```
    m' = max(m, rowmax(s))
    p  = s == -inf ? 0 : exp(s - m')
    c  = m' == -inf ? 1 : exp(m - m')
    l' = c * l + rowsum(p)
    acc' = c * acc + p v
    ```

    and at the end `out = l == 0 ? 0 : acc / l`,
    `lse = l == 0 ? -inf : m + log(l)`.

    Forms it does not tile yet (ALiBi, segment ids, varlen, block layouts,
    kv_lengths, page tables, dynamic head counts) are left untouched for
    `convert-celeris-to-linalg`.
  }];
  let options = [
    Option<"qTile", "q-tile", "int64_t", /*default=*/"64",
           "Query rows per tile">,
    Option<"kvTile", "kv-tile", "int64_t", /*default=*/"64",
           "Key/value rows per tile">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def CelerisChunkRecurrence : Pass<"celeris-chunk-recurrence"> {
  let summary = "Rewrite celeris.recurrence into its chunkwise-parallel form";
  let description = [{
    Replaces each `celeris.recurrence` (every decay kind, additive and delta
    updates) by an `scf.for` over chunks of `chunk` tokens (the last one
    shorter when `chunk` does not divide the sequence) that carries the f32
    state `[B, H, Dk, Dv]`. Within a chunk, with `G` the cumulative log
    decay, the output is `scale ((Q exp(G)) S_prev + ((Q K^T) (.) exp(G_i -
    G_j), j <= i) U)` and the state `exp(G_last) S_prev + (K exp(G_last -
    G))^T U`, as `linalg.generic` contractions on tensors. `U = V` for the
    additive update; for the delta rule the UT/WY transform gives the
    pseudo-values `U = T V - T (K exp(G)) S_prev` with `T = (I + A)^-1
    diag(beta)`, `A = tril(diag(beta) (K K^T (.) exp(G_i - G_j)), -1)`,
    solved by forward substitution over the chunk's rows (an inner scf.for).
    Target independent; runs before `convert-celeris-to-linalg`.
  }];
  let options = [
    Option<"chunk", "chunk", "int64_t", /*default=*/"64",
           "Tokens per chunk (positive)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def CelerisBlockScan : Pass<"celeris-block-scan"> {
  let summary = "Rewrite celeris.scan into a blocked scan";
  let description = [{
    Replaces each `celeris.scan` (forward or reverse, any axis, optional
    initial value) by a blocked scan in f32 over blocks of `block`
    positions along the axis (the last one shorter when `block` does not
    divide it): a local scan from zero per block, which also forms the
    running product of `a` (independent across blocks); then, sequentially
    over blocks, the carry into each block and the fix-up `h = h_local +
    prod(a) carry` of its positions. Target independent; runs before
    `convert-celeris-to-linalg`.
  }];
  let options = [
    Option<"block", "block", "int64_t", /*default=*/"64",
           "Positions per block (positive)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // CELERIS_CONVERSION_PASSES_TD
