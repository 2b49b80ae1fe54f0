//===- CelerisRecurrenceOps.td - Recurrence family ops ---*- tablegen -*-===//
//
// The matrix-state recurrence (gated delta-rule family), the elementwise
// linear scan, and the Mamba-1 selective scan composite.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_DIALECT_CELERIS_IR_CELERISRECURRENCEOPS_TD
#define CELERIS_DIALECT_CELERIS_IR_CELERISRECURRENCEOPS_TD

include "celeris/Dialect/Celeris/IR/CelerisDialect.td"
include "celeris/Dialect/Celeris/IR/CelerisAttrs.td"
include "celeris/Dialect/Celeris/IR/CelerisTypeConstraints.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// RecurrenceOp
//===----------------------------------------------------------------------===//

def Celeris_RecurrenceOp : Celeris_Op<"recurrence", [
    Pure, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>]> {
  let summary = "Matrix-state linear recurrence (gated delta-rule family)";
  let description = [{
    Runs, for every batch `b` and head `h`, a recurrence over a matrix state
    `S_t` in `R^{Dk x Dv}` (kept in f32) along the sequence `t = 1..S`:

    ```
    a_t  = exp(g_t)                         (g_t = 0 for decay kind none)
    additive:  S_t = a_t (.) S_{t-1} + k_t v_t^T
    delta:     S_t = (I - beta_t k_t k_t^T) (a_t (.) S_{t-1}) + beta_t k_t v_t^T
    o_t  = scale * S_t^T q_t
    ```

    with `q_t = query[b,h,t,:]`, `k_t = key[b,h,t,:]` (length `Dk`),
    `v_t = value[b,h,t,:]` (length `Dv`), `S_0 = initial_state[b,h]` (zero
    when absent) and `out[b,h,t,:] = o_t`; `final_state[b,h] = S_S`. The gate
    `g_t` is given in log space by the `decay` operand and broadcast over `Dv`:

    | decay kind | `decay` operand | `a_t (.) S` |
    |---|---|---|
    | `none` (default) | absent | `S` |
    | `head` | `[H]`: `log gamma_h`, constant in time | `gamma_h S` |
    | `scalar` | `[B, H, S]`: one gate per token | `exp(g_t) S` |
    | `vector` | `[B, H, S, Dk]`: per token and key channel | `diag(exp(g_t)) S` |

    The update kind `delta` (delta rule) needs `beta: [B, H, S]` (same
    element type as the query), the write strength of each token; `additive`
    (default) takes none. `scale` defaults to `1 / sqrt(Dk)` and must be
    finite. The combinations cover the usual linear sequence models:

    | model | decay | update |
    |---|---|---|
    | linear attention | `none` | `additive` |
    | RetNet | `head` | `additive` |
    | Mamba-2 / SSD | `scalar` | `additive` |
    | GLA, RWKV-6 | `vector` | `additive` |
    | DeltaNet | `none` | `delta` |
    | Gated DeltaNet | `scalar` | `delta` |

    Shapes: `query, key: [B, H, S, Dk]`, `value: [B, H, S, Dv]` (one float
    element type), `out: [B, H, S, Dv]` (element type of `value`),
    `initial_state, final_state: [B, H, Dk, Dv]` in f32. A decode step is the
    same op with `S = 1`, carrying the state from one step to the next.

    Example (Gated DeltaNet prefill returning the state for decoding):

    ```mlir
    %out, %state = celeris.recurrence %q, %k, %v
        decay scalar(%g : tensor<2x16x1024xf32>)
        update delta(%beta : tensor<2x16x1024xbf16>) :
        tensor<2x16x1024x128xbf16>, tensor<2x16x1024x128xbf16>,
        tensor<2x16x1024x128xbf16> -> tensor<2x16x1024x128xbf16>,
        tensor<2x16x128x128xf32>
    ```
  }];
  let arguments = (ins
    Celeris_FloatTensor:$query,
    Celeris_FloatTensor:$key,
    Celeris_FloatTensor:$value,
    Optional<Celeris_F32Tensor>:$decay,
    Optional<Celeris_FloatTensor>:$beta,
    Optional<Celeris_F32Tensor>:$initial_state,
    DefaultValuedAttr<Celeris_DecayKindAttr,
                      "::mlir::celeris::DecayKind::None">:$decay_kind,
    DefaultValuedAttr<Celeris_UpdateKindAttr,
                      "::mlir::celeris::UpdateKind::Additive">:$update_kind,
    OptionalAttr<F32Attr>:$scale);
  let results = (outs
    Celeris_FloatTensor:$output,
    Optional<Celeris_F32Tensor>:$final_state);
  let assemblyFormat = [{
    $query `,` $key `,` $value
    (`decay` `` $decay_kind^)? (`(` $decay^ `:` type($decay) `)`)?
    (`update` `` $update_kind^)? (`(` $beta^ `:` type($beta) `)`)?
    (`initial_state` `(` $initial_state^ `:` type($initial_state) `)`)?
    (`scale` $scale^)?
    attr-dict `:` type($query) `,` type($key) `,` type($value)
    `->` type($output) (`,` type($final_state)^)?
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// ScanOp
//===----------------------------------------------------------------------===//

def Celeris_ScanOp : Celeris_Op<"scan", [
    Pure, DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                                    ["reifyResultShapes"]>]> {
  let summary = "First-order elementwise linear scan along one axis";
  let description = [{
    Computes, along dimension `axis` (index `t`, every other index fixed),

    ```
    forward:  h_t = a_t * h_{t-1} + b_t,   h_{-1} = initial
    reverse:  h_t = a_t * h_{t+1} + b_t,   h_{T}  = initial
    ```

    elementwise, where `T` is the extent of `axis`. `a` and `b` have the
    same shape and float element type, of rank at least 1, and
    `0 <= axis < rank`. `initial` has the shape of `a` with `axis` removed
    and its element type; it defaults to 0. The result `h` has the type of
    `b`. This is the state update of diagonal recurrences: Mamba-1's
    selective scan, RG-LRU (Griffin, Hawk), HGRN and LRU.

    ```mlir
    %h = celeris.scan %a, %b initial(%h0 : tensor<2x512xf32>) axis 2 :
        tensor<2x512x1024xf32>, tensor<2x512x1024xf32> -> tensor<2x512x1024xf32>
    ```
  }];
  let arguments = (ins
    Celeris_FloatTensor:$a,
    Celeris_FloatTensor:$b,
    Optional<Celeris_FloatTensor>:$initial,
    I64Attr:$axis,
    UnitAttr:$reverse);
  let results = (outs Celeris_FloatTensor:$h);
  let assemblyFormat = [{
    $a `,` $b
    (`initial` `(` $initial^ `:` type($initial) `)`)?
    `axis` $axis (`reverse` $reverse^)?
    attr-dict `:` type($a) `,` type($b) `->` type($h)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// SelectiveScanOp
//===----------------------------------------------------------------------===//

def Celeris_SelectiveScanOp : Celeris_Op<"selective_scan", [
    Pure, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>]> {
  let summary = "Mamba-1 selective scan";
  let description = [{
    The selective state-space scan of Mamba-1 (`selective_scan_fn` of
    mamba_ssm). For every batch `b`, channel `d` and state index `n`:

    ```
    delta_t[d]  = delta[b,d,t] (+ delta_bias[d])
    delta_t[d]  = softplus(delta_t[d])             (when delta_softplus)
    h_t[d,n]    = exp(delta_t[d] A[d,n]) h_{t-1}[d,n]
                  + delta_t[d] Bmat[b,n,t] u[b,d,t],   h_{-1} = 0
    y[b,d,t]    = sum_n C[b,n,t] h_t[d,n] (+ D[d] u[b,d,t])
    y[b,d,t]   *= silu(z[b,d,t])                    (when z is given)
    last_state[b,d,n] = h_{L-1}[d,n]
    ```

    Shapes: `u, delta, z: [B, D, L]`, `A: [D, N]` (f32), `Bmat, C: [B, N, L]`,
    `D, delta_bias: [D]` (f32), `y: [B, D, L]` (element type of `u`),
    `last_state: [B, D, N]` (f32). `u`, `delta`, `Bmat`, `C` and `z` share
    one float element type.

    It is a composite: it decomposes into elementwise ops that form the
    discretised `exp(delta A)` and `delta B u`, a `celeris.scan` along `L`,
    and a contraction with `C`.

    ```mlir
    %y, %last = celeris.selective_scan %u, %delta, %A, %B, %C
        D(%D : tensor<1536xf32>) z(%z : tensor<2x1536x1024xbf16>)
        delta_bias(%bias : tensor<1536xf32>) delta_softplus :
        tensor<2x1536x1024xbf16>, tensor<2x1536x1024xbf16>,
        tensor<1536x16xf32>, tensor<2x16x1024xbf16>, tensor<2x16x1024xbf16>
        -> tensor<2x1536x1024xbf16>, tensor<2x1536x16xf32>
    ```
  }];
  let arguments = (ins
    Celeris_FloatTensor:$u,
    Celeris_FloatTensor:$delta,
    Celeris_F32Tensor:$A,
    Celeris_FloatTensor:$Bmat,
    Celeris_FloatTensor:$C,
    Optional<Celeris_F32Tensor>:$D,
    Optional<Celeris_FloatTensor>:$z,
    Optional<Celeris_F32Tensor>:$delta_bias,
    UnitAttr:$delta_softplus);
  let results = (outs
    Celeris_FloatTensor:$y,
    Optional<Celeris_F32Tensor>:$last_state);
  let assemblyFormat = [{
    $u `,` $delta `,` $A `,` $Bmat `,` $C
    (`D` `(` $D^ `:` type($D) `)`)?
    (`z` `(` $z^ `:` type($z) `)`)?
    (`delta_bias` `(` $delta_bias^ `:` type($delta_bias) `)`)?
    (`delta_softplus` $delta_softplus^)?
    attr-dict `:` type($u) `,` type($delta) `,` type($A) `,` type($Bmat) `,`
    type($C) `->` type($y) (`,` type($last_state)^)?
  }];
  let hasVerifier = 1;
}

#endif // CELERIS_DIALECT_CELERIS_IR_CELERISRECURRENCEOPS_TD
