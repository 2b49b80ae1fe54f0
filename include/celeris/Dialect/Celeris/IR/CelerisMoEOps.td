//===- CelerisMoEOps.td - MoE family ops -------------------*- tablegen -*-===//
//
// Mixture-of-experts routing, dispatch, grouped matmul and combine, and the
// composite MoE layer that decomposes into them.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_DIALECT_CELERIS_IR_CELERISMOEOPS_TD
#define CELERIS_DIALECT_CELERIS_IR_CELERISMOEOPS_TD

include "celeris/Dialect/Celeris/IR/CelerisDialect.td"
include "celeris/Dialect/Celeris/IR/CelerisAttrs.td"
include "celeris/Dialect/Celeris/IR/CelerisEnums.td"
include "celeris/Dialect/Celeris/IR/CelerisTypeConstraints.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Celeris_PositiveI64Attr : ConfinedAttr<I64Attr, [IntPositive]>;

/// The routing attributes shared by `celeris.route` and `celeris.moe`.
defvar Celeris_RoutingAttrs = (ins
    Celeris_PositiveI64Attr:$k,
    DefaultValuedAttr<Celeris_ScoreFuncAttr,
                      "::mlir::celeris::ScoreFunc::Softmax">:$score_func,
    UnitAttr:$renormalize,
    OptionalAttr<Celeris_PositiveI64Attr>:$num_groups,
    OptionalAttr<Celeris_PositiveI64Attr>:$topk_groups,
    DefaultValuedAttr<F32Attr, "1.0f">:$scaling_factor);

/// The printed form of the routing attributes.
defvar Celeris_RoutingFormat = [{
    `k` $k
    (`score_func` `` $score_func^)?
    (`renormalize` $renormalize^)?
    (`num_groups` $num_groups^)?
    (`topk_groups` $topk_groups^)?
    (`scaling_factor` $scaling_factor^)?
}];

//===----------------------------------------------------------------------===//
// RouteOp
//===----------------------------------------------------------------------===//

def Celeris_RouteOp : Celeris_Op<"route", [
    Pure,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>]> {
  let summary = "Mixture-of-experts router: scores, top-k selection, weights";
  let description = [{
    Routes `T` tokens over `E` experts from router `logits: [T, E]`. Scores
    are computed in `f32`:

    ```
    s[t, e]   = softmax_e(logits[t, :])[e]        (score_func = softmax)
              = sigmoid(logits[t, e])             (score_func = sigmoid)
    sel[t, e] = s[t, e] + bias[e]                 (bias absent: sel = s)
    ```

    The optional `bias: [E]` (`f32`, auxiliary-loss-free load balancing as in
    DeepSeek-V3) only steers the selection; returned weights are always
    taken from the unbiased scores `s`.

    **Token choice** (`mode token_choice`, the default): every token picks
    the `k` eligible experts with the largest `sel[t, :]`, in descending
    order of `sel`; ties go to the lower expert index. Results are
    `weights: [T, k]` (`f32`) and `indices: [T, k]` (`i32` expert ids):

    ```
    indices[t, j] = the j-th selected expert of token t
    w[t, j]       = s[t, indices[t, j]]
    w[t, j]      /= sum_j' w[t, j']                (renormalize; a zero sum
                                                    leaves the weights 0)
    weights[t, j] = scaling_factor * w[t, j]
    ```

    Group-limited routing (`num_groups G`, `topk_groups g`, both or neither,
    DeepSeek-V3's `n_group` / `topk_group`): the experts form `G` contiguous
    groups of `E / G` experts (`E mod G = 0`); the score of a group is the
    sum of its two largest `sel` (the largest alone when groups have one
    expert); only experts of the `g` best groups (ties: lower group index)
    are eligible. Requires `1 <= g <= G` and `k <= g * E / G`.

    **Expert choice** (`mode expert_choice`, with `capacity C`, Zhou et al.
    2022): every expert picks the `C` tokens with the largest `sel[:, e]`,
    in descending order, ties to the lower token index. Results are
    `weights: [E, C]` and `indices: [E, C]` (`i32` token ids), with
    `weights[e, c] = scaling_factor * s[indices[e, c], e]`. `k` is the
    routing fan-out the capacity was sized for (typically `C = T * k / E`)
    and does not change the selection; `renormalize` and group-limited
    routing are token-choice only. `C <= T` when `T` is static.

    Always `1 <= k <= E`; `capacity` is given exactly with expert choice.

    ```mlir
    %weights, %experts = celeris.route %logits bias(%bias : tensor<256xf32>)
        k 8 score_func sigmoid renormalize num_groups 8 topk_groups 4
        scaling_factor 2.500000e+00
        : tensor<?x256xbf16> -> tensor<?x8xf32>, tensor<?x8xi32>
    ```
  }];
  let arguments = !con(
    (ins Celeris_FloatTensor:$logits,
         Optional<Celeris_F32Tensor>:$bias),
    Celeris_RoutingAttrs,
    (ins DefaultValuedAttr<Celeris_RoutingModeAttr,
             "::mlir::celeris::RoutingMode::TokenChoice">:$mode,
         OptionalAttr<Celeris_PositiveI64Attr>:$capacity));
  let results = (outs Celeris_F32Tensor:$weights,
                      Celeris_IndexTensor:$indices);
  let assemblyFormat = !strconcat([{
    $logits
    (`bias` `(` $bias^ `:` type($bias) `)`)?
  }], Celeris_RoutingFormat, [{
    (`mode` `` $mode^)?
    (`capacity` $capacity^)?
    attr-dict `:` type($logits) `->` type($weights) `,` type($indices)
  }]);
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Whether every expert chooses its tokens (results are [E, capacity]).
    bool isExpertChoice() {
      return getMode() == ::mlir::celeris::RoutingMode::ExpertChoice;
    }
  }];
}

//===----------------------------------------------------------------------===//
// DispatchOp
//===----------------------------------------------------------------------===//

def Celeris_DispatchOp : Celeris_Op<"dispatch", [Pure]> {
  let summary = "Stable permutation of token rows grouped by expert";
  let description = [{
    Gathers the token rows of `x: [T, d]` for every assignment `(t, j)` of
    `experts: [T, k]` (`i32`) into `permuted: [T * k, d]`, grouped by expert
    in ascending expert order and, within an expert, in `(token, slot)`
    row-major order (a stable sort by expert id). With `E = num_experts`:

    ```
    valid(t, j)  = 0 <= experts[t, j] < E
    rank(t, j)   = #{(t', j') before (t, j) in (token, slot) order
                     with experts[t', j'] = experts[t, j]}
    kept(t, j)   = valid(t, j) and rank(t, j) < capacity  (capacity: inf)
    count[e]     = #{kept (t, j) with experts[t, j] = e}
    offsets[e]   = count[0] + ... + count[e]
    row_map[t,j] = offsets[e] - count[e] + rank(t, j)  if kept(t, j), else -1
    permuted[row_map[t, j], :] = x[t, :]
    ```

    `offsets: [E]` (`i32`) holds cumulative end offsets, as
    `torch._grouped_mm`'s `offs`: expert `e` owns rows
    `[offsets[e - 1], offsets[e])` (with `offsets[-1] = 0`), so empty
    experts are allowed. `row_map: [T, k]` (`i32`) is the inverse map used by
    `celeris.combine`. Assignments to expert ids outside `[0, E)`, and with
    `capacity` those past the first `capacity` of their expert, are dropped
    (`row_map = -1`); rows `[offsets[E - 1], T * k)` of `permuted` are 0.

    ```mlir
    %permuted, %offsets, %row_map = celeris.dispatch %x, %experts
        num_experts 64 capacity 512
        : tensor<1024x2048xbf16>, tensor<1024x8xi32>
        -> tensor<8192x2048xbf16>, tensor<64xi32>, tensor<1024x8xi32>
    ```
  }];
  let arguments = (ins
    Celeris_FloatTensor:$x,
    Celeris_IndexTensor:$experts,
    Celeris_PositiveI64Attr:$num_experts,
    OptionalAttr<Celeris_PositiveI64Attr>:$capacity);
  let results = (outs
    Celeris_FloatTensor:$permuted,
    Celeris_IndexTensor:$offsets,
    Celeris_IndexTensor:$row_map);
  let assemblyFormat = [{
    $x `,` $experts `num_experts` $num_experts
    (`capacity` $capacity^)?
    attr-dict `:` type($x) `,` type($experts)
    `->` type($permuted) `,` type($offsets) `,` type($row_map)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// DispatchMapOp
//===----------------------------------------------------------------------===//

def Celeris_DispatchMapOp : Celeris_Op<"dispatch_map", [Pure]> {
  let summary = "The permutation of celeris.dispatch, without moving rows";
  let description = [{
    Computes what `celeris.dispatch` computes about the assignments
    `experts: [T, k]` (`i32`), with the same `offsets` and `row_map`, but
    instead of copying token rows it names them: `source_rows: [T * k]`
    (`i32`) holds the token whose row each dispatched row is,

    ```
    source_rows[row_map[t, j]] = t   for every kept assignment (t, j)
    source_rows[i]             = -1  for offsets[E - 1] <= i < T * k
    ```

    so `celeris.dispatch`'s `permuted[i, :]` is `x[source_rows[i], :]` (zeros
    where it is -1). A `celeris.grouped_matmul` with `gather(source_rows)`
    reads its rows through this map, and the permuted copy of `x` is never
    written (`celeris-fuse-dispatch` rewrites the dispatch of a
    grouped_matmul into this form).

    ```mlir
    %source_rows, %offsets, %row_map = celeris.dispatch_map %experts
        num_experts 64 : tensor<1024x8xi32>
        -> tensor<8192xi32>, tensor<64xi32>, tensor<1024x8xi32>
    ```
  }];
  let arguments = (ins
    Celeris_IndexTensor:$experts,
    Celeris_PositiveI64Attr:$num_experts,
    OptionalAttr<Celeris_PositiveI64Attr>:$capacity);
  let results = (outs
    Celeris_IndexTensor:$source_rows,
    Celeris_IndexTensor:$offsets,
    Celeris_IndexTensor:$row_map);
  let assemblyFormat = [{
    $experts `num_experts` $num_experts (`capacity` $capacity^)?
    attr-dict `:` type($experts)
    `->` type($source_rows) `,` type($offsets) `,` type($row_map)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// GroupedMatmulOp
//===----------------------------------------------------------------------===//

def Celeris_GroupedMatmulOp : Celeris_Op<"grouped_matmul", [
    Pure, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>]> {
  let summary = "Matrix product of row groups with per-group weights";
  let description = [{
    Multiplies the rows of `x: [N, d]` owned by group `e` with `w[e]`, where
    `w: [E, d, f]` and `offsets: [E]` (`i32`) are cumulative end offsets as
    produced by `celeris.dispatch` (`offsets[-1] = 0`):

    ```
    y[i, :] = x[i, :] . w[e, :, :]   for offsets[e - 1] <= i < offsets[e]
    y[i, :] = 0                      for i >= offsets[E - 1]
    ```

    Empty groups (`offsets[e - 1] = offsets[e]`) are allowed. Products are
    accumulated in `f32` and rounded to the element type of `x`, which `w`
    and `y: [N, f]` share. Offsets must be non-decreasing and at most `N`.

    With `swiglu(%w_up)` (`w_up: [E, d, f]`, `w`'s type) it is the gate and
    up projections of SwiGLU experts in one op: both products in `f32`,
    combined before the one rounding,

    ```
    y[i, :] = silu(x[i, :] . w[e]) * (x[i, :] . w_up[e]),  silu(g) = g / (1 + exp(-g))
    ```

    so a kernel computes the gate and up tiles side by side and writes only
    their product.

    ```mlir
    %y = celeris.grouped_matmul %permuted, %w, %offsets
        : tensor<?x2048xbf16>, tensor<64x2048x1408xbf16>, tensor<64xi32>
        -> tensor<?x1408xbf16>
    %h = celeris.grouped_matmul %permuted, %w_gate, %offsets
        swiglu(%w_up : tensor<64x2048x1408xbf16>)
        : tensor<?x2048xbf16>, tensor<64x2048x1408xbf16>, tensor<64xi32>
        -> tensor<?x1408xbf16>
    ```

    With `gather(%source_rows)` (`source_rows: [N]`, `i32`, as
    `celeris.dispatch_map` produces it) `x: [T, d]` holds token rows and row
    `i` of the product reads `x[source_rows[i], :]`: the dispatch is fused
    into the operand load and the permuted rows are never materialised.
    `y` has `N` rows; a source row outside `[0, T)` reads as zeros.

    ```
    y[i, :] = x[source_rows[i], :] . w[e, :, :]   for offsets[e - 1] <= i < offsets[e]
    ```

    ```mlir
    %h = celeris.grouped_matmul %x, %w_gate, %offsets
        gather(%source_rows : tensor<8192xi32>)
        swiglu(%w_up : tensor<64x2048x1408xbf16>)
        : tensor<1024x2048xbf16>, tensor<64x2048x1408xbf16>, tensor<64xi32>
        -> tensor<8192x1408xbf16>
    ```
  }];
  let arguments = (ins
    Celeris_FloatTensor:$x,
    Celeris_FloatTensor:$w,
    Celeris_IndexTensor:$offsets,
    Optional<Celeris_IndexTensor>:$source_rows,
    Optional<Celeris_FloatTensor>:$w_up);
  let results = (outs Celeris_FloatTensor:$y);
  let assemblyFormat = [{
    $x `,` $w `,` $offsets
    (`gather` `(` $source_rows^ `:` type($source_rows) `)`)?
    (`swiglu` `(` $w_up^ `:` type($w_up) `)`)? attr-dict
    `:` type($x) `,` type($w) `,` type($offsets) `->` type($y)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// CombineOp
//===----------------------------------------------------------------------===//

def Celeris_CombineOp : Celeris_Op<"combine", [
    Pure,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>]> {
  let summary = "Weighted un-permute and sum of expert outputs";
  let description = [{
    Gathers, for every token, the expert output rows of `y: [N, f]` that
    `row_map: [T, k]` (`i32`, from `celeris.dispatch`) names, and sums them
    weighted by `weights: [T, k]` (from `celeris.route`):

    ```
    out[t, :] = sum_{j : row_map[t, j] >= 0} weights[t, j] * y[row_map[t, j], :]
    ```

    Dropped assignments (`row_map = -1`) contribute nothing; a token with
    none kept gets 0. The sum is accumulated in `f32` and rounded to the
    element type of `y`, which `out: [T, f]` shares; `weights` is `f32` or
    of the element type of `y`.

    ```mlir
    %out = celeris.combine %y, %weights, %row_map
        : tensor<8192x2048xbf16>, tensor<1024x8xf32>, tensor<1024x8xi32>
        -> tensor<1024x2048xbf16>
    ```
  }];
  let arguments = (ins
    Celeris_FloatTensor:$y,
    Celeris_FloatTensor:$weights,
    Celeris_IndexTensor:$row_map);
  let results = (outs Celeris_FloatTensor:$output);
  let assemblyFormat = [{
    $y `,` $weights `,` $row_map attr-dict
    `:` type($y) `,` type($weights) `,` type($row_map) `->` type($output)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// MoEOp
//===----------------------------------------------------------------------===//

def Celeris_MoEOp : Celeris_Op<"moe", [
    Pure, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>]> {
  let summary = "Mixture-of-experts layer with SwiGLU experts";
  let description = [{
    A token-choice mixture-of-experts feed-forward layer over `x: [T, d]`
    with `E` routed SwiGLU experts (`w_gate, w_up: [E, d, f]`,
    `w_down: [E, f, d]`) and optional shared experts (`shared_gate,
    shared_up: [d, fs]`, `shared_down: [fs, d]`, all three or none) that
    every token goes through:

    ```
    logits          = x . router_weight                      [T, E], f32
    (w, e)          = route(logits, bias) with k, score_func, renormalize,
                      num_groups, topk_groups, scaling_factor
    h(t, j)         = silu(x[t] . w_gate[e_tj]) * (x[t] . w_up[e_tj])
    out[t]          = sum_{j kept} w_tj * (h(t, j) . w_down[e_tj])
                      + (silu(x[t] . shared_gate) * (x[t] . shared_up))
                        . shared_down
    ```

    The routing attributes mean what they mean on `celeris.route` (token
    choice). With `capacity`, every expert keeps only its first `capacity`
    assignments in `(token, slot)` order, as `celeris.dispatch`; dropped
    assignments contribute 0. `router_weight` is `f32` or of the element
    type of `x`; every other weight and `out: [T, d]` share the element type
    of `x`.

    The op decomposes into `celeris.route`, `celeris.dispatch`, two
    `celeris.grouped_matmul` (the gate and up projections with the SwiGLU
    in one, its `swiglu` form, then down), and `celeris.combine`, plus the
    dense shared expert.

    ```mlir
    %out = celeris.moe %x, %router, %w_gate, %w_up, %w_down
        bias(%bias : tensor<256xf32>)
        shared(%sg, %su, %sd : tensor<7168x2048xbf16>,
               tensor<7168x2048xbf16>, tensor<2048x7168xbf16>)
        k 8 score_func sigmoid renormalize num_groups 8 topk_groups 4
        scaling_factor 2.500000e+00
        : tensor<?x7168xbf16>, tensor<7168x256xf32>,
          tensor<256x7168x2048xbf16>, tensor<256x7168x2048xbf16>,
          tensor<256x2048x7168xbf16> -> tensor<?x7168xbf16>
    ```
  }];
  let arguments = !con(
    (ins Celeris_FloatTensor:$x,
         Celeris_FloatTensor:$router_weight,
         Celeris_FloatTensor:$w_gate,
         Celeris_FloatTensor:$w_up,
         Celeris_FloatTensor:$w_down,
         Optional<Celeris_F32Tensor>:$bias,
         Optional<Celeris_FloatTensor>:$shared_gate,
         Optional<Celeris_FloatTensor>:$shared_up,
         Optional<Celeris_FloatTensor>:$shared_down),
    Celeris_RoutingAttrs,
    (ins OptionalAttr<Celeris_PositiveI64Attr>:$capacity));
  let results = (outs Celeris_FloatTensor:$output);
  let assemblyFormat = !strconcat([{
    $x `,` $router_weight `,` $w_gate `,` $w_up `,` $w_down
    (`bias` `(` $bias^ `:` type($bias) `)`)?
    (`shared` `(` $shared_gate^ `,` $shared_up `,` $shared_down `:`
        type($shared_gate) `,` type($shared_up) `,` type($shared_down) `)`)?
  }], Celeris_RoutingFormat, [{
    (`capacity` $capacity^)?
    attr-dict `:` type($x) `,` type($router_weight) `,` type($w_gate) `,`
        type($w_up) `,` type($w_down) `->` type($output)
  }]);
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Whether the layer has shared experts.
    bool hasSharedExperts() { return getSharedGate() != nullptr; }
  }];
}

#endif // CELERIS_DIALECT_CELERIS_IR_CELERISMOEOPS_TD
