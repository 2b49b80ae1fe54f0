//===- CelerisAttentionOps.td - Attention family ops -------*- tablegen -*-===//
//
// Attention, the block-layout builders, and the attention composites (NSA,
// MLA).
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_DIALECT_CELERIS_IR_CELERISATTENTIONOPS_TD
#define CELERIS_DIALECT_CELERIS_IR_CELERISATTENTIONOPS_TD

include "celeris/Dialect/Celeris/IR/CelerisDialect.td"
include "celeris/Dialect/Celeris/IR/CelerisAttrs.td"
include "celeris/Dialect/Celeris/IR/CelerisTypeConstraints.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Celeris_MaskAttrOrAll
    : DefaultValuedAttr<Celeris_MaskAttr,
          "::mlir::celeris::MaskAttr::getAll($_builder.getContext())">;

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

def Celeris_AttentionOp : Celeris_Op<"attention", [
    Pure, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>]> {
  let summary = "Scaled dot-product attention with structured sparsity";
  let description = [{
    Computes, for every batch `b`, query head `h`, and query row `i`,

    ```
    s_j   = scale * <q[b,h,i,:], k[b,g,j,:]> (+ alibi[h] * (j - p))
    s_j   = softcap * tanh(s_j / softcap)            (when softcap is set)
    w_j   = allowed(i, j) ? exp(s_j - max_j' s_j') : 0
    out[b,h,i,:] = sum_j w_j v[b,g,j,:] / sum_j w_j
    lse[b,h,i]   = log(sum_j exp(s_j)) over allowed j
    ```

    with `q: [B, Hq, Sq, D]`, `k: [B, Hkv, Sk, D]`, `v: [B, Hkv, Sk, Dv]`
    and `g = h / (Hq / Hkv)`: grouped-query (and multi-query) attention reads
    the shared key/value head by index, never by copy. `scale` defaults to
    `1 / sqrt(D)`.

    `allowed(i, j)` is the conjunction of

    * the structured `mask` (`#celeris.mask`, default `all`) evaluated at the
      query position `p = i + query_offset` and key position `j`.
      `query_offset` defaults to `Sk - Sq` (bottom-right alignment), so a
      decode step (`Sq = 1`) sees the whole cache under `causal`, and a
      chunk of a chunked prefill passes its start position;
    * `segment_ids(q_ids, kv_ids)`: `q_ids[b, i] == kv_ids[b, j]` (document
      masking of packed sequences);
    * `varlen(cu_q, cu_kv)`: packed variable-length batches (`B = 1`);
      sequence `n` owns query rows `[cu_q[n], cu_q[n+1])` and keys
      `[cu_kv[n], cu_kv[n+1])`; positions of the mask are local to the
      sequence and the default offset is its own `Sk_n - Sq_n`;
    * `block_layout(counts, indices)` with `block_size = [bq, bk]`: key
      block `j / bk` must be one of the first `counts[b', h', i / bq]`
      entries of `indices[b', h', i / bq, :]`, where `b'`, `h'` broadcast
      when the layout's batch or head dimension is 1 (FlexAttention's
      BlockMask);
    * `kv_lengths(lens)`: `j < lens[b]`; the default query offset becomes
      `lens[b] - Sq`;
    * `page_table(table)`: paged KV cache; `k` and `v` are
      `[num_pages, Hkv, page_size, D]` pools and logical key `j` of batch `b`
      lives in page `table[b, j / page_size]` at row `j mod page_size`. The
      logical key length is `table`'s second dimension times `page_size`.

    A row with no allowed key (fully masked) has output 0 and `lse = -inf`;
    it never produces NaN. `lse` is optional and always `f32`.

    Example (GQA with 32 query heads over 8 KV heads, causal, returning the
    log-sum-exp for a later merge):

    ```mlir
    %out, %lse = celeris.attention %q, %k, %v
        mask <causal> scale 0.0883883 :
        tensor<2x32x1024x128xbf16>, tensor<2x8x1024x128xbf16>,
        tensor<2x8x1024x128xbf16> -> tensor<2x32x1024x128xbf16>,
        tensor<2x32x1024xf32>
    ```
  }];
  let arguments = (ins
    Celeris_FloatTensor:$query,
    Celeris_FloatTensor:$key,
    Celeris_FloatTensor:$value,
    Optional<Celeris_F32Tensor>:$alibi_slopes,
    Optional<Celeris_IndexTensor>:$q_segment_ids,
    Optional<Celeris_IndexTensor>:$kv_segment_ids,
    Optional<Celeris_IndexTensor>:$cu_seqlens_q,
    Optional<Celeris_IndexTensor>:$cu_seqlens_kv,
    Optional<Celeris_IndexTensor>:$block_counts,
    Optional<Celeris_IndexTensor>:$block_indices,
    Optional<Celeris_IndexTensor>:$kv_lengths,
    Optional<Celeris_IndexTensor>:$page_table,
    Celeris_MaskAttrOrAll:$mask,
    OptionalAttr<F32Attr>:$scale,
    OptionalAttr<F32Attr>:$softcap,
    OptionalAttr<I64Attr>:$query_offset,
    OptionalAttr<DenseI64ArrayAttr>:$block_size);
  let results = (outs
    Celeris_FloatTensor:$output,
    Optional<Celeris_F32Tensor>:$lse);
  let assemblyFormat = [{
    $query `,` $key `,` $value
    (`alibi` `(` $alibi_slopes^ `:` type($alibi_slopes) `)`)?
    (`segment_ids` `(` $q_segment_ids^ `,` $kv_segment_ids `:`
        type($q_segment_ids) `,` type($kv_segment_ids) `)`)?
    (`varlen` `(` $cu_seqlens_q^ `,` $cu_seqlens_kv `:`
        type($cu_seqlens_q) `,` type($cu_seqlens_kv) `)`)?
    (`block_layout` `(` $block_counts^ `,` $block_indices `:`
        type($block_counts) `,` type($block_indices) `)`)?
    (`kv_lengths` `(` $kv_lengths^ `:` type($kv_lengths) `)`)?
    (`page_table` `(` $page_table^ `:` type($page_table) `)`)?
    (`mask` $mask^)?
    (`scale` $scale^)?
    (`softcap` $softcap^)?
    (`query_offset` $query_offset^)?
    (`block_size` $block_size^)?
    attr-dict `:` type($query) `,` type($key) `,` type($value)
    `->` type($output) (`,` type($lse)^)?
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    /// Whether `key` and `value` are page pools addressed by `page_table`.
    bool isPaged() { return getPageTable() != nullptr; }
    /// The static extent of the problem (query positions and key length) when
    /// it is the same for every batch and head, for mask simplification.
    std::optional<::mlir::celeris::MaskExtent> getStaticMaskExtent();
  }];
}

//===----------------------------------------------------------------------===//
// MaskBlockLayoutOp
//===----------------------------------------------------------------------===//

def Celeris_MaskBlockLayoutOp : Celeris_Op<"mask_block_layout", [Pure]> {
  let summary = "Block layout of a structured mask";
  let description = [{
    Lists, for every query block `qb` of `block_size[0]` rows, the key blocks
    of `block_size[1]` keys that hold at least one allowed pair of `mask`,
    for a problem of `q_len` queries at positions `i + query_offset` (default
    `kv_len - q_len`) and `kv_len` keys:

    ```
    counts[0, 0, qb]        = number of such key blocks
    indices[0, 0, qb, 0..c) = their indices, ascending; the rest is 0
    ```

    The result is a layout that `celeris.attention` consumes through
    `block_layout(...)` (batch and head dimensions are 1 and broadcast).
    Shapes are `[1, 1, ceil(q_len / bq)]` and
    `[1, 1, ceil(q_len / bq), ceil(kv_len / bk)]`.

    ```mlir
    %counts, %indices = celeris.mask_block_layout %sq, %sk
        mask <causal> block_size [128, 128]
        : tensor<1x1x8xi32>, tensor<1x1x8x8xi32>
    ```
  }];
  let arguments = (ins
    Index:$q_len,
    Index:$kv_len,
    Celeris_MaskAttr:$mask,
    DenseI64ArrayAttr:$block_size,
    OptionalAttr<I64Attr>:$query_offset);
  let results = (outs Celeris_IndexTensor:$counts,
                      Celeris_IndexTensor:$indices);
  let assemblyFormat = [{
    $q_len `,` $kv_len `mask` $mask `block_size` $block_size
    (`query_offset` $query_offset^)?
    attr-dict `:` type($counts) `,` type($indices)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// TopkBlocksOp
//===----------------------------------------------------------------------===//

def Celeris_TopkBlocksOp : Celeris_Op<"topk_blocks", [Pure]> {
  let summary = "Block layout of the k best-scoring key blocks";
  let description = [{
    Dynamic block sparsity (NSA's selection branch, MoBA, SeerAttention):
    from block scores `scores: [B, H, NQB, NKB]` select, for every query
    block, the `k` key blocks with the largest score, ties going to the lower
    block index. When `mask` is given (with `block_size` and optionally
    `query_offset`, over `NQB * bq` queries and `NKB * bk` keys), key blocks
    without any allowed pair of the query block are not eligible, so a causal
    selection never picks a future block.

    ```
    counts[b, h, qb]         = min(k, number of eligible blocks)
    indices[b, h, qb, 0..c)  = the selected blocks, ascending; the rest is 0
    ```

    NaN scores are never selected.

    ```mlir
    %counts, %indices = celeris.topk_blocks %scores k 16
        mask <causal> block_size [64, 64]
        : tensor<2x16x128x128xf32> -> tensor<2x16x128xi32>, tensor<2x16x128x16xi32>
    ```
  }];
  let arguments = (ins
    Celeris_FloatTensor:$scores,
    ConfinedAttr<I64Attr, [IntPositive]>:$k,
    OptionalAttr<Celeris_MaskAttr>:$mask,
    OptionalAttr<DenseI64ArrayAttr>:$block_size,
    OptionalAttr<I64Attr>:$query_offset);
  let results = (outs Celeris_IndexTensor:$counts,
                      Celeris_IndexTensor:$indices);
  let assemblyFormat = [{
    $scores `k` $k
    (`mask` $mask^)?
    (`block_size` $block_size^)?
    (`query_offset` $query_offset^)?
    attr-dict `:` type($scores) `->` type($counts) `,` type($indices)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

#endif // CELERIS_DIALECT_CELERIS_IR_CELERISATTENTIONOPS_TD
