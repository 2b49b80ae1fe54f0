// Decode steps for the GPU path: each function is one celeris.attention
// with a few query rows per sequence, which celeris-compile turns into a
// kernel of the attention_decode family (split-KV flash-decoding with the
// query heads of a KV head packed into one tile;
// docs/pipelines/gpu-attention.md). bf16, head dim 128 unless the name says
// otherwise; batch, cache length and pages per sequence are dynamic.
// scripts/device/check_decode.py runs every function against a float64
// reference; bench/decode.py times them against SDPA.
//
//   build/bin/celeris-compile examples/gpu/decode.mlir -o artifact

// Llama-3-8B-like decode step: 32 query heads over 8 KV heads, ragged cache.
func.func @gqa_32_8(%q: tensor<?x32x1x128xbf16>, %k: tensor<?x8x?x128xbf16>, %v: tensor<?x8x?x128xbf16>, %lens: tensor<?xi32>)
    -> (tensor<?x32x1x128xbf16>, tensor<?x32x1xf32>) {
  %out, %lse = celeris.attention %q, %k, %v kv_lengths(%lens : tensor<?xi32>) mask <causal>
      : tensor<?x32x1x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16>
      -> tensor<?x32x1x128xbf16>, tensor<?x32x1xf32>
  return %out, %lse : tensor<?x32x1x128xbf16>, tensor<?x32x1xf32>
}

// Multi-query: 8 query heads over one KV head, full caches.
func.func @mqa_8_1(%q: tensor<?x8x1x128xbf16>, %k: tensor<?x1x?x128xbf16>, %v: tensor<?x1x?x128xbf16>)
    -> (tensor<?x8x1x128xbf16>, tensor<?x8x1xf32>) {
  %out, %lse = celeris.attention %q, %k, %v
      : tensor<?x8x1x128xbf16>, tensor<?x1x?x128xbf16>, tensor<?x1x?x128xbf16>
      -> tensor<?x8x1x128xbf16>, tensor<?x8x1xf32>
  return %out, %lse : tensor<?x8x1x128xbf16>, tensor<?x8x1xf32>
}

// Multi-head: one query row per tile.
func.func @mha_16(%q: tensor<?x16x1x128xbf16>, %k: tensor<?x16x?x128xbf16>, %v: tensor<?x16x?x128xbf16>, %lens: tensor<?xi32>)
    -> (tensor<?x16x1x128xbf16>, tensor<?x16x1xf32>) {
  %out, %lse = celeris.attention %q, %k, %v kv_lengths(%lens : tensor<?xi32>) mask <causal>
      : tensor<?x16x1x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>
      -> tensor<?x16x1x128xbf16>, tensor<?x16x1xf32>
  return %out, %lse : tensor<?x16x1x128xbf16>, tensor<?x16x1xf32>
}

// Paged caches: pages of 16, 64 and 256 keys in any order.
func.func @paged_16(%q: tensor<?x32x1x128xbf16>, %k: tensor<?x8x16x128xbf16>, %v: tensor<?x8x16x128xbf16>, %lens: tensor<?xi32>, %table: tensor<?x?xi32>)
    -> (tensor<?x32x1x128xbf16>, tensor<?x32x1xf32>) {
  %out, %lse = celeris.attention %q, %k, %v kv_lengths(%lens : tensor<?xi32>) page_table(%table : tensor<?x?xi32>) mask <causal>
      : tensor<?x32x1x128xbf16>, tensor<?x8x16x128xbf16>, tensor<?x8x16x128xbf16>
      -> tensor<?x32x1x128xbf16>, tensor<?x32x1xf32>
  return %out, %lse : tensor<?x32x1x128xbf16>, tensor<?x32x1xf32>
}

// 
func.func @paged_64(%q: tensor<?x32x1x128xbf16>, %k: tensor<?x8x64x128xbf16>, %v: tensor<?x8x64x128xbf16>, %lens: tensor<?xi32>, %table: tensor<?x?xi32>)
    -> (tensor<?x32x1x128xbf16>, tensor<?x32x1xf32>) {
  %out, %lse = celeris.attention %q, %k, %v kv_lengths(%lens : tensor<?xi32>) page_table(%table : tensor<?x?xi32>) mask <causal>
      : tensor<?x32x1x128xbf16>, tensor<?x8x64x128xbf16>, tensor<?x8x64x128xbf16>
      -> tensor<?x32x1x128xbf16>, tensor<?x32x1xf32>
  return %out, %lse : tensor<?x32x1x128xbf16>, tensor<?x32x1xf32>
}

// 
func.func @paged_256(%q: tensor<?x32x1x128xbf16>, %k: tensor<?x8x256x128xbf16>, %v: tensor<?x8x256x128xbf16>, %lens: tensor<?xi32>, %table: tensor<?x?xi32>)
    -> (tensor<?x32x1x128xbf16>, tensor<?x32x1xf32>) {
  %out, %lse = celeris.attention %q, %k, %v kv_lengths(%lens : tensor<?xi32>) page_table(%table : tensor<?x?xi32>) mask <causal>
      : tensor<?x32x1x128xbf16>, tensor<?x8x256x128xbf16>, tensor<?x8x256x128xbf16>
      -> tensor<?x32x1x128xbf16>, tensor<?x32x1xf32>
  return %out, %lse : tensor<?x32x1x128xbf16>, tensor<?x32x1xf32>
}

// Speculative decoding: 4 query tokens per sequence, causal among themselves.
func.func @speculative_4(%q: tensor<?x32x4x128xbf16>, %k: tensor<?x8x?x128xbf16>, %v: tensor<?x8x?x128xbf16>, %lens: tensor<?xi32>)
    -> (tensor<?x32x4x128xbf16>, tensor<?x32x4xf32>) {
  %out, %lse = celeris.attention %q, %k, %v kv_lengths(%lens : tensor<?xi32>) mask <causal>
      : tensor<?x32x4x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16>
      -> tensor<?x32x4x128xbf16>, tensor<?x32x4xf32>
  return %out, %lse : tensor<?x32x4x128xbf16>, tensor<?x32x4xf32>
}

// 6 query heads per KV head x 3 tokens: 18 packed rows, two row tiles.
func.func @grouped_6_rows_3(%q: tensor<?x12x3x128xbf16>, %k: tensor<?x2x?x128xbf16>, %v: tensor<?x2x?x128xbf16>, %lens: tensor<?xi32>)
    -> (tensor<?x12x3x128xbf16>, tensor<?x12x3xf32>) {
  %out, %lse = celeris.attention %q, %k, %v kv_lengths(%lens : tensor<?xi32>) mask <causal>
      : tensor<?x12x3x128xbf16>, tensor<?x2x?x128xbf16>, tensor<?x2x?x128xbf16>
      -> tensor<?x12x3x128xbf16>, tensor<?x12x3xf32>
  return %out, %lse : tensor<?x12x3x128xbf16>, tensor<?x12x3xf32>
}

// StreamingLLM: attention sinks and a sliding window.
func.func @streaming_sinks_4_window_1024(%q: tensor<?x32x1x128xbf16>, %k: tensor<?x8x?x128xbf16>, %v: tensor<?x8x?x128xbf16>, %lens: tensor<?xi32>)
    -> (tensor<?x32x1x128xbf16>, tensor<?x32x1xf32>) {
  %out, %lse = celeris.attention %q, %k, %v kv_lengths(%lens : tensor<?xi32>) mask <intersect(causal, union(sink<4>, window<left = 1023, right = 0>))>
      : tensor<?x32x1x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16>
      -> tensor<?x32x1x128xbf16>, tensor<?x32x1xf32>
  return %out, %lse : tensor<?x32x1x128xbf16>, tensor<?x32x1xf32>
}

// Gemma-2-like softcap, with ALiBi slopes per query head.
func.func @softcap_50_alibi(%q: tensor<?x32x1x128xbf16>, %k: tensor<?x8x?x128xbf16>, %v: tensor<?x8x?x128xbf16>, %slopes: tensor<32xf32>, %lens: tensor<?xi32>)
    -> (tensor<?x32x1x128xbf16>, tensor<?x32x1xf32>) {
  %out, %lse = celeris.attention %q, %k, %v alibi(%slopes : tensor<32xf32>) kv_lengths(%lens : tensor<?xi32>) mask <causal> softcap 50.0
      : tensor<?x32x1x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16>
      -> tensor<?x32x1x128xbf16>, tensor<?x32x1xf32>
  return %out, %lse : tensor<?x32x1x128xbf16>, tensor<?x32x1xf32>
}

// Head dim 64.
func.func @gqa_d64(%q: tensor<?x32x1x64xbf16>, %k: tensor<?x8x?x64xbf16>, %v: tensor<?x8x?x64xbf16>, %lens: tensor<?xi32>)
    -> (tensor<?x32x1x64xbf16>, tensor<?x32x1xf32>) {
  %out, %lse = celeris.attention %q, %k, %v kv_lengths(%lens : tensor<?xi32>) mask <causal>
      : tensor<?x32x1x64xbf16>, tensor<?x8x?x64xbf16>, tensor<?x8x?x64xbf16>
      -> tensor<?x32x1x64xbf16>, tensor<?x32x1xf32>
  return %out, %lse : tensor<?x32x1x64xbf16>, tensor<?x32x1xf32>
}

// f16.
func.func @gqa_f16(%q: tensor<?x32x1x128xf16>, %k: tensor<?x8x?x128xf16>, %v: tensor<?x8x?x128xf16>, %lens: tensor<?xi32>)
    -> (tensor<?x32x1x128xf16>, tensor<?x32x1xf32>) {
  %out, %lse = celeris.attention %q, %k, %v kv_lengths(%lens : tensor<?xi32>) mask <causal>
      : tensor<?x32x1x128xf16>, tensor<?x8x?x128xf16>, tensor<?x8x?x128xf16>
      -> tensor<?x32x1x128xf16>, tensor<?x32x1xf32>
  return %out, %lse : tensor<?x32x1x128xf16>, tensor<?x32x1xf32>
}

// Gemma-2-like: head dim 256, 16 query heads over 8 KV heads, softcap 50.
func.func @gemma_d256_softcap(%q: tensor<?x16x1x256xbf16>, %k: tensor<?x8x?x256xbf16>, %v: tensor<?x8x?x256xbf16>, %lens: tensor<?xi32>)
    -> (tensor<?x16x1x256xbf16>, tensor<?x16x1xf32>) {
  %out, %lse = celeris.attention %q, %k, %v kv_lengths(%lens : tensor<?xi32>) mask <causal> softcap 50.0
      : tensor<?x16x1x256xbf16>, tensor<?x8x?x256xbf16>, tensor<?x8x?x256xbf16>
      -> tensor<?x16x1x256xbf16>, tensor<?x16x1xf32>
  return %out, %lse : tensor<?x16x1x256xbf16>, tensor<?x16x1xf32>
}
