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

#endif // CELERIS_DIALECT_CELERIS_TRANSFORMS_PASSES_TD
