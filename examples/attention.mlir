// Attention variants of a modern decoder, one function each: GQA causal
// prefill, sliding window with attention sinks, document-masked packed
// pretraining, block-sparse attention from top-k block scores, and a decode
// step over a paged KV cache.

func.func @gqa_causal_prefill(%q: tensor<2x32x4096x128xbf16>, %k: tensor<2x8x4096x128xbf16>,
                              %v: tensor<2x8x4096x128xbf16>) -> tensor<2x32x4096x128xbf16> {
  %o = celeris.attention %q, %k, %v mask <causal>
      : tensor<2x32x4096x128xbf16>, tensor<2x8x4096x128xbf16>, tensor<2x8x4096x128xbf16>
      -> tensor<2x32x4096x128xbf16>
  return %o : tensor<2x32x4096x128xbf16>
}

// StreamingLLM: 4 sink tokens plus a 1024-token window. The window is written
// as a union with causal; canonicalization brings it to normal form.
func.func @sinks_and_window(%q: tensor<1x16x8192x64xbf16>, %k: tensor<1x16x8192x64xbf16>,
                            %v: tensor<1x16x8192x64xbf16>) -> tensor<1x16x8192x64xbf16> {
  %o = celeris.attention %q, %k, %v
      mask <intersect(causal, union(sink<4>, intersect(causal, window<left = 1023, right = 64>)))>
      : tensor<1x16x8192x64xbf16>, tensor<1x16x8192x64xbf16>, tensor<1x16x8192x64xbf16>
      -> tensor<1x16x8192x64xbf16>
  return %o : tensor<1x16x8192x64xbf16>
}

// Packed pretraining: documents never attend to each other.
func.func @document_masking(%q: tensor<1x16x?x128xbf16>, %k: tensor<1x16x?x128xbf16>,
                            %v: tensor<1x16x?x128xbf16>, %doc: tensor<1x?xi32>)
    -> tensor<1x16x?x128xbf16> {
  %o = celeris.attention %q, %k, %v segment_ids(%doc, %doc : tensor<1x?xi32>, tensor<1x?xi32>)
      mask <causal>
      : tensor<1x16x?x128xbf16>, tensor<1x16x?x128xbf16>, tensor<1x16x?x128xbf16>
      -> tensor<1x16x?x128xbf16>
  return %o : tensor<1x16x?x128xbf16>
}

// MoBA-style dynamic sparsity: pick the 8 best 64-key blocks per query block
// (never a future one), then attend causally inside them.
func.func @topk_block_sparse(%q: tensor<2x16x2048x128xbf16>, %k: tensor<2x16x2048x128xbf16>,
                             %v: tensor<2x16x2048x128xbf16>, %scores: tensor<2x16x32x32xf32>)
    -> tensor<2x16x2048x128xbf16> {
  %counts, %indices = celeris.topk_blocks %scores k 8 mask <causal> block_size [64, 64]
      : tensor<2x16x32x32xf32> -> tensor<2x16x32xi32>, tensor<2x16x32x8xi32>
  %o = celeris.attention %q, %k, %v
      block_layout(%counts, %indices : tensor<2x16x32xi32>, tensor<2x16x32x8xi32>)
      mask <causal> block_size [64, 64]
      : tensor<2x16x2048x128xbf16>, tensor<2x16x2048x128xbf16>, tensor<2x16x2048x128xbf16>
      -> tensor<2x16x2048x128xbf16>
  return %o : tensor<2x16x2048x128xbf16>
}

// One decode step for 16 sequences over a paged cache of 16-token pages,
// returning the log-sum-exp for a split-KV merge.
func.func @paged_decode(%q: tensor<16x32x1x128xbf16>, %kpool: tensor<32768x8x16x128xbf16>,
                        %vpool: tensor<32768x8x16x128xbf16>, %table: tensor<16x2048xi32>,
                        %lens: tensor<16xi32>)
    -> (tensor<16x32x1x128xbf16>, tensor<16x32x1xf32>) {
  %o, %lse = celeris.attention %q, %kpool, %vpool kv_lengths(%lens : tensor<16xi32>)
      page_table(%table : tensor<16x2048xi32>) mask <causal>
      : tensor<16x32x1x128xbf16>, tensor<32768x8x16x128xbf16>, tensor<32768x8x16x128xbf16>
      -> tensor<16x32x1x128xbf16>, tensor<16x32x1xf32>
  return %o, %lse : tensor<16x32x1x128xbf16>, tensor<16x32x1xf32>
}
