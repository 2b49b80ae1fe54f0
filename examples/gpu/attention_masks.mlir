// Attention with every kind of mask and score transform, for the GPU path:
// each function is one celeris.attention that celeris-compile turns into a
// kernel of the prefill family (docs/pipelines/gpu-attention.md). Head dim
// 128, 16 heads, bf16 unless the name says otherwise; batch and sequence
// lengths are dynamic. scripts/device/check_attention_masks.py runs every
// function against a float64 reference; bench/attention_masks.py times the
// benchmark rows against FlexAttention.
//
//   build/bin/celeris-compile examples/gpu/attention_masks.mlir -o artifact

func.func @sliding_window_1024(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x16x?x128xbf16>, %v: tensor<?x16x?x128xbf16>)
    -> (tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>) {
  %out, %lse = celeris.attention %q, %k, %v mask <intersect(causal, window<left = 1023, right = 0>)>
      : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>
      -> tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
  return %out, %lse : tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
}

func.func @sinks_4_window_1024(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x16x?x128xbf16>, %v: tensor<?x16x?x128xbf16>)
    -> (tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>) {
  %out, %lse = celeris.attention %q, %k, %v mask <intersect(causal, union(sink<4>, window<left = 1023, right = 0>))>
      : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>
      -> tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
  return %out, %lse : tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
}

func.func @softcap_30_causal(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x16x?x128xbf16>, %v: tensor<?x16x?x128xbf16>)
    -> (tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>) {
  %out, %lse = celeris.attention %q, %k, %v mask <causal> softcap 30.0
      : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>
      -> tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
  return %out, %lse : tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
}

func.func @block_causal_128(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x16x?x128xbf16>, %v: tensor<?x16x?x128xbf16>)
    -> (tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>) {
  %out, %lse = celeris.attention %q, %k, %v mask <block_causal<128>>
      : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>
      -> tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
  return %out, %lse : tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
}

func.func @bidirectional_window_64_sinks_16(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x16x?x128xbf16>, %v: tensor<?x16x?x128xbf16>)
    -> (tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>) {
  %out, %lse = celeris.attention %q, %k, %v mask <union(sink<16>, window<left = 64, right = 64>)>
      : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>
      -> tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
  return %out, %lse : tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
}

func.func @dilated_2_512(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x16x?x128xbf16>, %v: tensor<?x16x?x128xbf16>)
    -> (tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>) {
  %out, %lse = celeris.attention %q, %k, %v mask <dilated<rate = 2, segment = 512>>
      : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>
      -> tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
  return %out, %lse : tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
}

func.func @strided_4_causal(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x16x?x128xbf16>, %v: tensor<?x16x?x128xbf16>)
    -> (tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>) {
  %out, %lse = celeris.attention %q, %k, %v mask <intersect(causal, strided<4>)>
      : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>
      -> tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
  return %out, %lse : tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
}

func.func @prefix_300(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x16x?x128xbf16>, %v: tensor<?x16x?x128xbf16>)
    -> (tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>) {
  %out, %lse = celeris.attention %q, %k, %v mask <prefix<300>>
      : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>
      -> tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
  return %out, %lse : tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
}

func.func @chunked_256(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x16x?x128xbf16>, %v: tensor<?x16x?x128xbf16>)
    -> (tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>) {
  %out, %lse = celeris.attention %q, %k, %v mask <chunked<256>>
      : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>
      -> tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
  return %out, %lse : tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
}

func.func @global_window_causal(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x16x?x128xbf16>, %v: tensor<?x16x?x128xbf16>)
    -> (tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>) {
  %out, %lse = celeris.attention %q, %k, %v mask <intersect(causal, union(global<[0, 7, 100]>, window<left = 255, right = 0>))>
      : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>
      -> tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
  return %out, %lse : tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
}

func.func @alibi_causal(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x16x?x128xbf16>, %v: tensor<?x16x?x128xbf16>, %slopes: tensor<16xf32>)
    -> (tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>) {
  %out, %lse = celeris.attention %q, %k, %v alibi(%slopes : tensor<16xf32>) mask <causal>
      : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>
      -> tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
  return %out, %lse : tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
}

func.func @kv_lengths_causal(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x16x?x128xbf16>, %v: tensor<?x16x?x128xbf16>, %lens: tensor<?xi32>)
    -> (tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>) {
  %out, %lse = celeris.attention %q, %k, %v kv_lengths(%lens : tensor<?xi32>) mask <causal>
      : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>
      -> tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
  return %out, %lse : tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
}

func.func @scale_offset_causal(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x16x?x128xbf16>, %v: tensor<?x16x?x128xbf16>)
    -> (tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>) {
  %out, %lse = celeris.attention %q, %k, %v mask <causal> scale 0.05 query_offset 100
      : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>
      -> tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
  return %out, %lse : tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
}

func.func @softcap_alibi_window_f16_d64(%q: tensor<?x8x?x64xf16>, %k: tensor<?x8x?x64xf16>, %v: tensor<?x8x?x64xf16>, %slopes: tensor<8xf32>)
    -> (tensor<?x8x?x64xf16>, tensor<?x8x?xf32>) {
  %out, %lse = celeris.attention %q, %k, %v alibi(%slopes : tensor<8xf32>) mask <intersect(causal, window<left = 200, right = 0>)> softcap 20.0
      : tensor<?x8x?x64xf16>, tensor<?x8x?x64xf16>, tensor<?x8x?x64xf16>
      -> tensor<?x8x?x64xf16>, tensor<?x8x?xf32>
  return %out, %lse : tensor<?x8x?x64xf16>, tensor<?x8x?xf32>
}

// Document masking of packed sequences by segment ids (any ids; tiles
// whose id ranges are disjoint are skipped).
func.func @document_segments_causal(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x16x?x128xbf16>, %v: tensor<?x16x?x128xbf16>, %q_ids: tensor<?x?xi32>, %kv_ids: tensor<?x?xi32>)
    -> (tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>) {
  %out, %lse = celeris.attention %q, %k, %v segment_ids(%q_ids, %kv_ids : tensor<?x?xi32>, tensor<?x?xi32>) mask <causal>
      : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>
      -> tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
  return %out, %lse : tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
}

// Packed variable-length sequences (B = 1): document masking with the
// boundaries known, so each sequence visits only its own key tiles.
func.func @varlen_causal(%q: tensor<1x16x?x128xbf16>, %k: tensor<1x16x?x128xbf16>, %v: tensor<1x16x?x128xbf16>, %cu_q: tensor<?xi32>, %cu_kv: tensor<?xi32>)
    -> (tensor<1x16x?x128xbf16>, tensor<1x16x?xf32>) {
  %out, %lse = celeris.attention %q, %k, %v varlen(%cu_q, %cu_kv : tensor<?xi32>, tensor<?xi32>) mask <causal>
      : tensor<1x16x?x128xbf16>, tensor<1x16x?x128xbf16>, tensor<1x16x?x128xbf16>
      -> tensor<1x16x?x128xbf16>, tensor<1x16x?xf32>
  return %out, %lse : tensor<1x16x?x128xbf16>, tensor<1x16x?xf32>
}

// Block-sparse attention over a FlexAttention-style block layout of
// 128 x 128 blocks (counts and indices per batch, head and query block).
func.func @block_sparse_128(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x16x?x128xbf16>, %v: tensor<?x16x?x128xbf16>, %counts: tensor<?x?x?xi32>, %indices: tensor<?x?x?x?xi32>)
    -> (tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>) {
  %out, %lse = celeris.attention %q, %k, %v block_layout(%counts, %indices : tensor<?x?x?xi32>, tensor<?x?x?x?xi32>) block_size [128, 128] 
      : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>
      -> tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
  return %out, %lse : tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
}

// A 64 x 64 block layout intersected with causal (as celeris.topk_blocks
// produces for NSA/MoBA-style selection): the schedule shrinks its tiles
// to the blocks.
func.func @block_sparse_causal_64(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x16x?x128xbf16>, %v: tensor<?x16x?x128xbf16>, %counts: tensor<?x?x?xi32>, %indices: tensor<?x?x?x?xi32>)
    -> (tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>) {
  %out, %lse = celeris.attention %q, %k, %v block_layout(%counts, %indices : tensor<?x?x?xi32>, tensor<?x?x?x?xi32>) mask <causal> block_size [64, 64]
      : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>
      -> tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
  return %out, %lse : tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
}

// Head dim 32 (the hybrid block's): 64-wide tiles with the columns past 32
// zero-filled; a causal sliding window of 64.
func.func @causal_window_d32(%q: tensor<?x8x?x32xbf16>, %k: tensor<?x8x?x32xbf16>, %v: tensor<?x8x?x32xbf16>)
    -> (tensor<?x8x?x32xbf16>, tensor<?x8x?xf32>) {
  %out, %lse = celeris.attention %q, %k, %v mask <intersect(causal, window<left = 63, right = 0>)>
      : tensor<?x8x?x32xbf16>, tensor<?x8x?x32xbf16>, tensor<?x8x?x32xbf16>
      -> tensor<?x8x?x32xbf16>, tensor<?x8x?xf32>
  return %out, %lse : tensor<?x8x?x32xbf16>, tensor<?x8x?xf32>
}

// Head dim 256 (one warpgroup, 64-key tiles; wgmma only).
func.func @causal_d256(%q: tensor<?x8x?x256xbf16>, %k: tensor<?x8x?x256xbf16>, %v: tensor<?x8x?x256xbf16>)
    -> (tensor<?x8x?x256xbf16>, tensor<?x8x?xf32>) {
  %out, %lse = celeris.attention %q, %k, %v mask <causal>
      : tensor<?x8x?x256xbf16>, tensor<?x8x?x256xbf16>, tensor<?x8x?x256xbf16>
      -> tensor<?x8x?x256xbf16>, tensor<?x8x?xf32>
  return %out, %lse : tensor<?x8x?x256xbf16>, tensor<?x8x?xf32>
}
