//===- CelerisCompositeOps.td - Composite family ops ---*- tablegen -*-===//
//
// Attention composites (NSA, MLA) that decompose into celeris.attention and
// the block-layout builders.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_DIALECT_CELERIS_IR_CELERISCOMPOSITEOPS_TD
#define CELERIS_DIALECT_CELERIS_IR_CELERISCOMPOSITEOPS_TD

include "celeris/Dialect/Celeris/IR/CelerisDialect.td"
include "celeris/Dialect/Celeris/IR/CelerisAttrs.td"
include "celeris/Dialect/Celeris/IR/CelerisTypeConstraints.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

/// A positive size attribute (block sizes, strides, counts).
defvar Celeris_PositiveI64Attr = ConfinedAttr<I64Attr, [IntPositive]>;

//===----------------------------------------------------------------------===//
// NsaOp
//===----------------------------------------------------------------------===//

def Celeris_NsaOp : Celeris_Op<"nsa", [
    Pure,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>]> {
  let summary = "Native Sparse Attention (causal, grouped-query)";
  let description = [{
    Native Sparse Attention (Yuan et al., DeepSeek, 2025): every query attends
    through three causal branches, compressed, selected and sliding-window,
    whose outputs are mixed by per-query gates. Shapes:

    ```
    query            q:     [B, Hq,  S,  D]
    key              k:     [B, Hkv, S,  D]
    value            v:     [B, Hkv, S,  Dv]
    compressed_key   k_cmp: [B, Hkv, Sc, D]
    compressed_value v_cmp: [B, Hkv, Sc, Dv]
    gates            g:     [B, Hq,  S,  3]     (g_cmp, g_slc, g_win)
    output                  [B, Hq,  S,  Dv]
    ```

    Query head `h` reads key/value head `h / (Hq / Hkv)` (GQA), so `Hq` must
    be a multiple of `Hkv`. The compressed keys and values are produced by
    the model's own learned compression `phi` (an MLP over blocks of
    `cmp_block = l` keys taken every `cmp_stride = d` positions), which keeps
    this op exact: compressed token `c` summarises keys `[c*d, c*d + l)`, so

    ```
    Sc = floor((S - l) / d) + 1    when S >= l,   else 0.
    ```

    The gates are already activated (e.g. sigmoid). With `scale` (default
    `1 / sqrt(D)`) and `softmax` over the allowed keys only, for query
    position `t`:

    ```
    o_cmp[t] = softmax_c(scale * q[t].k_cmp[c])  . v_cmp   over c*d + l - 1 <= t
    p_cmp[t, c] = the probabilities of o_cmp (per query head)

    importance[t, s] = sum_{heads of the GQA group} sum_{c overlapping s} p_cmp[t, c]
        selection block s covers keys [s*l', (s+1)*l') with l' = select_block;
        c overlaps s iff c*d < (s+1)*l' and c*d + l > s*l'
    Sel(t) = the select_count = n blocks of highest importance among the
        blocks with s*l' <= t (ties: lower index; all of them when fewer)
    o_slc[t] = softmax_j(scale * q[t].k[j]) . v    over j <= t, j/l' in Sel(t)
    o_win[t] = softmax_j(scale * q[t].k[j]) . v    over max(0, t-w+1) <= j <= t
    out[t]   = g_cmp[t] * o_cmp[t] + g_slc[t] * o_slc[t] + g_win[t] * o_win[t]
    ```

    with `w = window`. The selection is shared by all query heads of a GQA
    group (one set of blocks per key/value head). A branch without any
    visible key (`o_cmp` for `t < l - 1`) contributes 0, never NaN.

    Attribute rules: all sizes are positive; `cmp_block` is a multiple of
    `cmp_stride` (hence `d <= l`) and `select_block` is a multiple of
    `cmp_stride`, so selection blocks align with compressed-token starts.

    Decomposition: the compressed branch is computed directly on tensors
    (its visibility rule `c*d + l - 1 <= t` is no mask primitive when
    `d > 1`), which also yields the probabilities `p_cmp`; the pooled
    importance scores feed
    `celeris.topk_blocks` (`k = select_count`, causal eligibility), whose
    layout drives a `celeris.attention` with `block_layout(...)`
    (`block_size [1, select_block]`) and a causal mask; the window branch is
    a `celeris.attention` with mask `window<left = w - 1, right = 0>`; the
    gated sum is elementwise.

    ```mlir
    %out = celeris.nsa %q, %k, %v
        compressed(%k_cmp, %v_cmp : tensor<1x4x255x128xbf16>,
                                    tensor<1x4x255x128xbf16>)
        gates(%g : tensor<1x64x4096x3xbf16>)
        cmp_block 32 cmp_stride 16 select_block 64 select_count 16
        window 512 :
        tensor<1x64x4096x128xbf16>, tensor<1x4x4096x128xbf16>,
        tensor<1x4x4096x128xbf16> -> tensor<1x64x4096x128xbf16>
    ```
  }];
  let arguments = (ins
    Celeris_FloatTensor:$query,
    Celeris_FloatTensor:$key,
    Celeris_FloatTensor:$value,
    Celeris_FloatTensor:$compressed_key,
    Celeris_FloatTensor:$compressed_value,
    Celeris_FloatTensor:$gates,
    Celeris_PositiveI64Attr:$cmp_block,
    Celeris_PositiveI64Attr:$cmp_stride,
    Celeris_PositiveI64Attr:$select_block,
    Celeris_PositiveI64Attr:$select_count,
    Celeris_PositiveI64Attr:$window,
    OptionalAttr<F32Attr>:$scale);
  let results = (outs Celeris_FloatTensor:$output);
  let assemblyFormat = [{
    $query `,` $key `,` $value
    `compressed` `(` $compressed_key `,` $compressed_value `:`
        type($compressed_key) `,` type($compressed_value) `)`
    `gates` `(` $gates `:` type($gates) `)`
    `cmp_block` $cmp_block `cmp_stride` $cmp_stride
    `select_block` $select_block `select_count` $select_count
    `window` $window
    (`scale` $scale^)?
    attr-dict `:` type($query) `,` type($key) `,` type($value)
    `->` type($output)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// MlaOp
//===----------------------------------------------------------------------===//

def Celeris_MlaOp : Celeris_Op<"mla", [
    Pure,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>]> {
  let summary = "Multi-head Latent Attention over a compressed KV cache";
  let description = [{
    Multi-head Latent Attention (DeepSeek-V2/V3) reads a cache that stores,
    per key position, one latent vector `c_KV` and one rotary key shared by
    all heads, and up-projects them per head. Shapes:

    ```
    q_nope    [B, H, Sq, Dn]     q_rope [B, H, Sq, Dr]
    kv_latent [B, Sk, Dl]        k_rope [B, Sk, Dr]
    w_uk      [H, Dl, Dn]        w_uv   [H, Dl, Dv]
    output    [B, H, Sq, Dv]     lse    [B, H, Sq]  (optional, f32)
    ```

    For every head `h`:

    ```
    q_h = [q_nope[:, h] ; q_rope[:, h]]                 [B, Sq, Dn + Dr]
    k_h = [kv_latent . w_uk[h] ; k_rope]                [B, Sk, Dn + Dr]
    v_h = kv_latent . w_uv[h]                           [B, Sk, Dv]
    output[:, h], lse[:, h] = attention(q_h, k_h, v_h)
    ```

    where `attention` is exactly `celeris.attention`'s: `scale` (default
    `1 / sqrt(Dn + Dr)`), the structured `mask` (default `all`) evaluated at
    query position `i + query_offset` (default `Sk - Sq`) and key position
    `j`, a fully masked row giving output 0 and `lse = -inf`.

    The lowering may pick either of two equivalent forms:

    * naive: materialise `k_h` and `v_h` (two batched matmuls over the
      cache) and run `celeris.attention` with `H` key/value heads;
    * absorbed (decode): fold `w_uk` into the query,
      `q'_h = [q_nope[:, h] . w_uk[h]^T ; q_rope[:, h]]` of width `Dl + Dr`,
      attend over the latent directly with key `[kv_latent ; k_rope]` and
      value `kv_latent` (multi-query attention: one key/value head of head
      dimension `Dl + Dr` and value dimension `Dl`, same `scale`), then
      up-project the result with `w_uv[h]`. The cache is never expanded.

    ```mlir
    %out, %lse = celeris.mla %q_nope, %q_rope, %c_kv, %k_rope
        mask #celeris.mask<causal>
        up_proj(%w_uk, %w_uv : tensor<128x512x128xbf16>,
                               tensor<128x512x128xbf16>) :
        tensor<4x128x1x128xbf16>, tensor<4x128x1x64xbf16>,
        tensor<4x8192x512xbf16>, tensor<4x8192x64xbf16>
        -> tensor<4x128x1x128xbf16>, tensor<4x128x1xf32>
    ```
  }];
  let arguments = (ins
    Celeris_FloatTensor:$q_nope,
    Celeris_FloatTensor:$q_rope,
    Celeris_FloatTensor:$kv_latent,
    Celeris_FloatTensor:$k_rope,
    Celeris_FloatTensor:$w_uk,
    Celeris_FloatTensor:$w_uv,
    DefaultValuedAttr<Celeris_MaskAttr,
        "::mlir::celeris::MaskAttr::getAll($_builder.getContext())">:$mask,
    OptionalAttr<F32Attr>:$scale,
    OptionalAttr<I64Attr>:$query_offset);
  let results = (outs
    Celeris_FloatTensor:$output,
    Optional<Celeris_F32Tensor>:$lse);
  // The mask precedes `up_proj(...)`: a dialect attribute directly before the
  // `:` of the type list would take that list as its own type.
  let assemblyFormat = [{
    $q_nope `,` $q_rope `,` $kv_latent `,` $k_rope
    (`mask` $mask^)?
    (`scale` $scale^)?
    (`query_offset` $query_offset^)?
    `up_proj` `(` $w_uk `,` $w_uv `:` type($w_uk) `,` type($w_uv) `)`
    attr-dict `:` type($q_nope) `,` type($q_rope) `,` type($kv_latent) `,`
    type($k_rope) `->` type($output) (`,` type($lse)^)?
  }];
  let hasVerifier = 1;
}

#endif // CELERIS_DIALECT_CELERIS_IR_CELERISCOMPOSITEOPS_TD
