//===- Passes.td - Celeris dialect passes ------------------*- tablegen -*-===//
//
// Passes that transform Celeris ops in place.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_DIALECT_CELERIS_TRANSFORMS_PASSES_TD
#define CELERIS_DIALECT_CELERIS_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def CelerisSimplifyMasks : Pass<"celeris-simplify-masks"> {
  let summary = "Bring every structured mask to its canonical form";
  let description = [{
    Rewrites the `mask` attribute of every `celeris.attention`,
    `celeris.mask_block_layout` and `celeris.topk_blocks` op to the canonical
    form of `simplifyMask`: flattened and sorted combinators, folded
    identities, and, where the op's query and key extents are static,
    primitives that cover the whole problem replaced by `all` (so a sliding
    window wider than the sequence becomes plain `causal`). Tile
    classification later relies on this form; the same rewrites run as
    canonicalization patterns.

    Example:

    ```mlir
    // Sq = Sk = 512
    celeris.attention %q, %k, %v
        mask <intersect(causal, window<left = 4096, right = 0>)>
    // becomes
    celeris.attention %q, %k, %v mask <causal>
    ```
  }];
  let dependentDialects = ["::mlir::celeris::CelerisDialect"];
}

def CelerisDecomposeComposites : Pass<"celeris-decompose-composites"> {
  let summary = "Rewrite composite ops into primitive Celeris ops";
  let description = [{
    Replaces every composite op by the primitives (and linalg/arith/math on
    tensors) that compute its documented semantics:
    `celeris.moe` into `route`, `dispatch`, `grouped_matmul` and `combine`
    with a SwiGLU between them and the shared experts added;
    `celeris.selective_scan` into the discretisation and `celeris.scan`;
    `celeris.mla` into the up-projections and `celeris.attention`;
    `celeris.nsa` into its compressed branch (on tensors), the selection
    (`celeris.topk_blocks` and `celeris.attention` with a block layout), the
    window branch (`celeris.attention` with a window mask) and the gated
    sum. `convert-celeris-to-linalg` runs the same patterns.

    `keep` names composites to leave as they are because a later lowering
    has a kernel of their own (the `celeris-gpu` pipeline keeps
    `celeris.selective_scan`, whose GPU kernel fuses the discretisation);
    only `celeris.selective_scan` and `celeris.moe` can be kept.
  }];
  let options = [
    ListOption<"keep", "keep", "std::string",
               "Composite ops to keep (celeris.selective_scan, celeris.moe)">,
  ];
  let dependentDialects = [
    "::mlir::celeris::CelerisDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def CelerisFuseDispatch : Pass<"celeris-fuse-dispatch"> {
  let summary = "Fuse celeris.dispatch into the grouped matmuls that read it";
  let description = [{
    Rewrites a `celeris.dispatch` whose permuted rows are read only as the
    `x` of `celeris.grouped_matmul` ops that take the dispatch's own offsets:
    the dispatch becomes a `celeris.dispatch_map` (the same offsets and
    row_map, and the token of every dispatched row), and each grouped matmul
    reads the token rows through its `gather` operand, so the permuted copy
    of `x` (T k rows) is never written or read. A dispatch whose permuted
    rows nothing reads becomes the map alone; one with any other use of
    its permuted rows is left as it is.

    Example:

    ```mlir
    %p, %offsets, %row_map = celeris.dispatch %x, %experts num_experts 64
    %h = celeris.grouped_matmul %p, %w, %offsets
    // becomes
    %rows, %offsets, %row_map = celeris.dispatch_map %experts num_experts 64
    %h = celeris.grouped_matmul %x, %w, %offsets gather(%rows)
    ```
  }];
  let dependentDialects = ["::mlir::celeris::CelerisDialect"];
}

#endif // CELERIS_DIALECT_CELERIS_TRANSFORMS_PASSES_TD
