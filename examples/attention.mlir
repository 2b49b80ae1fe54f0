// Attention variants of a modern decoder, one function each: GQA causal
// prefill, sliding window with attention sinks, document-masked packed
// pretraining, block-sparse attention from top-k block scores, and a decode
// step over a paged KV cache. Shapes are small so that the CPU backend runs
// them in well under a second; the ops are the same at any size.

func.func @gqa_causal_prefill(%q: tensor<2x8x256x64xbf16>, %k: tensor<2x2x256x64xbf16>,
                              %v: tensor<2x2x256x64xbf16>) -> tensor<2x8x256x64xbf16> {
  %o = celeris.attention %q, %k, %v mask <causal>
      : tensor<2x8x256x64xbf16>, tensor<2x2x256x64xbf16>, tensor<2x2x256x64xbf16>
      -> tensor<2x8x256x64xbf16>
  return %o : tensor<2x8x256x64xbf16>
}

// StreamingLLM: 4 sink tokens plus a 64-token window. The window is written
// as a union with causal; canonicalization brings it to normal form.
func.func @sinks_and_window(%q: tensor<1x4x512x64xbf16>, %k: tensor<1x4x512x64xbf16>,
                            %v: tensor<1x4x512x64xbf16>) -> tensor<1x4x512x64xbf16> {
  %o = celeris.attention %q, %k, %v
      mask <intersect(causal, union(sink<4>, intersect(causal, window<left = 63, right = 16>)))>
      : tensor<1x4x512x64xbf16>, tensor<1x4x512x64xbf16>, tensor<1x4x512x64xbf16>
      -> tensor<1x4x512x64xbf16>
  return %o : tensor<1x4x512x64xbf16>
}

// Packed pretraining: documents never attend to each other.
func.func @document_masking(%q: tensor<1x4x384x64xbf16>, %k: tensor<1x4x384x64xbf16>,
                            %v: tensor<1x4x384x64xbf16>, %doc: tensor<1x384xi32>)
    -> tensor<1x4x384x64xbf16> {
  %o = celeris.attention %q, %k, %v segment_ids(%doc, %doc : tensor<1x384xi32>, tensor<1x384xi32>)
      mask <causal>
      : tensor<1x4x384x64xbf16>, tensor<1x4x384x64xbf16>, tensor<1x4x384x64xbf16>
      -> tensor<1x4x384x64xbf16>
  return %o : tensor<1x4x384x64xbf16>
}

// MoBA-style dynamic sparsity: pick the 4 best 32-key blocks per query block
// (never a future one), then attend causally inside them.
func.func @topk_block_sparse(%q: tensor<1x4x512x64xbf16>, %k: tensor<1x4x512x64xbf16>,
                             %v: tensor<1x4x512x64xbf16>, %scores: tensor<1x4x16x16xf32>)
    -> tensor<1x4x512x64xbf16> {
  %counts, %indices = celeris.topk_blocks %scores k 4 mask <causal> block_size [32, 32]
      : tensor<1x4x16x16xf32> -> tensor<1x4x16xi32>, tensor<1x4x16x4xi32>
  %o = celeris.attention %q, %k, %v
      block_layout(%counts, %indices : tensor<1x4x16xi32>, tensor<1x4x16x4xi32>)
      mask <causal> block_size [32, 32]
      : tensor<1x4x512x64xbf16>, tensor<1x4x512x64xbf16>, tensor<1x4x512x64xbf16>
      -> tensor<1x4x512x64xbf16>
  return %o : tensor<1x4x512x64xbf16>
}

// One decode step for 4 sequences over a paged cache of 16-token pages,
// returning the log-sum-exp for a split-KV merge.
func.func @paged_decode(%q: tensor<4x8x1x64xbf16>, %kpool: tensor<64x2x16x64xbf16>,
                        %vpool: tensor<64x2x16x64xbf16>, %table: tensor<4x16xi32>,
                        %lens: tensor<4xi32>)
    -> (tensor<4x8x1x64xbf16>, tensor<4x8x1xf32>) {
  %o, %lse = celeris.attention %q, %kpool, %vpool kv_lengths(%lens : tensor<4xi32>)
      page_table(%table : tensor<4x16xi32>) mask <causal>
      : tensor<4x8x1x64xbf16>, tensor<64x2x16x64xbf16>, tensor<64x2x16x64xbf16>
      -> tensor<4x8x1x64xbf16>, tensor<4x8x1xf32>
  return %o, %lse : tensor<4x8x1x64xbf16>, tensor<4x8x1xf32>
}
