// RUN: celeris-opt %s -split-input-file -verify-diagnostics

// One case per verifier message of the attention family.

func.func @f(%q: tensor<8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %v: tensor<2x4x16x32xbf16>) {
  // expected-error @+1 {{expects query to have rank 4 ([B, Hq, Sq, D]), got 'tensor<8x16x32xbf16>'}}
  %o = celeris.attention %q, %k, %v : tensor<8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%q: tensor<2x8x16x32xbf16>, %k: tensor<4x16x32xbf16>, %v: tensor<2x4x16x32xbf16>) {
  // expected-error @+1 {{expects key to have rank 4 ([B, Hkv, Sk, D]), got 'tensor<4x16x32xbf16>'}}
  %o = celeris.attention %q, %k, %v : tensor<2x8x16x32xbf16>, tensor<4x16x32xbf16>, tensor<2x4x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %v: tensor<4x16x32xbf16>) {
  // expected-error @+1 {{expects value to have rank 4 ([B, Hkv, Sk, Dv]), got 'tensor<4x16x32xbf16>'}}
  %o = celeris.attention %q, %k, %v : tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<4x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %v: tensor<2x4x16x32xbf16>) {
  // expected-error @+1 {{expects output to have rank 4 ([B, Hq, Sq, Dv]), got 'tensor<8x16x32xbf16>'}}
  %o = celeris.attention %q, %k, %v : tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x16x32xbf16> -> tensor<8x16x32xbf16>
  return
}

// -----

func.func @f(%q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xf16>, %v: tensor<2x4x16x32xbf16>) {
  // expected-error @+1 {{expects key to have the element type of query ('bf16'), got 'f16'}}
  %o = celeris.attention %q, %k, %v : tensor<2x8x16x32xbf16>, tensor<2x4x16x32xf16>, tensor<2x4x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %v: tensor<2x4x16x32xbf16>) {
  // expected-error @+1 {{expects output to have the element type of query ('bf16'), got 'f32'}}
  %o = celeris.attention %q, %k, %v : tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x16x32xbf16> -> tensor<2x8x16x32xf32>
  return
}

// -----

func.func @f(%q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x64xbf16>, %v: tensor<2x4x16x32xbf16>) {
  // expected-error @+1 {{expects the head dimension of key (64) to equal that of query (32)}}
  %o = celeris.attention %q, %k, %v : tensor<2x8x16x32xbf16>, tensor<2x4x16x64xbf16>, tensor<2x4x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %v: tensor<2x2x16x32xbf16>) {
  // expected-error @+1 {{expects the number of key/value heads of value (2) to equal that of key (4)}}
  %o = celeris.attention %q, %k, %v : tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x2x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %v: tensor<2x4x8x32xbf16>) {
  // expected-error @+1 {{expects the key length of value (8) to equal that of key (16)}}
  %o = celeris.attention %q, %k, %v : tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x8x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%q: tensor<2x8x16x32xbf16>, %k: tensor<3x4x16x32xbf16>, %v: tensor<3x4x16x32xbf16>) {
  // expected-error @+1 {{expects the batch size of key (3) to equal that of query (2)}}
  %o = celeris.attention %q, %k, %v : tensor<2x8x16x32xbf16>, tensor<3x4x16x32xbf16>, tensor<3x4x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%q: tensor<2x8x16x32xbf16>, %k: tensor<2x3x16x32xbf16>, %v: tensor<2x3x16x32xbf16>) {
  // expected-error @+1 {{expects the number of query heads (8) to be a multiple of the number of key/value heads (3)}}
  %o = celeris.attention %q, %k, %v : tensor<2x8x16x32xbf16>, tensor<2x3x16x32xbf16>, tensor<2x3x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %v: tensor<2x4x16x32xbf16>) {
  // expected-error @+1 {{expects the query length of output (15) to equal that of query (16)}}
  %o = celeris.attention %q, %k, %v : tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x16x32xbf16> -> tensor<2x8x15x32xbf16>
  return
}

// -----

func.func @f(%q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %v: tensor<2x4x16x64xbf16>) {
  // expected-error @+1 {{expects the value head dimension of output (32) to equal that of value (64)}}
  %o = celeris.attention %q, %k, %v : tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x16x64xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %v: tensor<2x4x16x32xbf16>) {
  // expected-error @+1 {{expects lse to have rank 3 ([B, Hq, Sq]), got 'tensor<2x8xf32>'}}
  %o, %l = celeris.attention %q, %k, %v : tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x16x32xbf16> -> tensor<2x8x16x32xbf16>, tensor<2x8xf32>
  return
}

// -----

func.func @f(%q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %v: tensor<2x4x16x32xbf16>) {
  // expected-error @+1 {{expects the number of heads of lse (4) to equal that of query (8)}}
  %o, %l = celeris.attention %q, %k, %v : tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x16x32xbf16> -> tensor<2x8x16x32xbf16>, tensor<2x4x16xf32>
  return
}

// -----

func.func @f(%s: tensor<4xf32>, %q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %v: tensor<2x4x16x32xbf16>) {
  // expected-error @+1 {{expects the number of heads of alibi_slopes (4) to equal that of query (8)}}
  %o = celeris.attention %q, %k, %v alibi(%s : tensor<4xf32>) : tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%s: tensor<1x8xf32>, %q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %v: tensor<2x4x16x32xbf16>) {
  // expected-error @+1 {{expects alibi_slopes to have rank 1 ([Hq]), got 'tensor<1x8xf32>'}}
  %o = celeris.attention %q, %k, %v alibi(%s : tensor<1x8xf32>) : tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %ids: tensor<2x16xi32>) {
  // expected-error @+1 {{expects both query and key/value segment ids, or neither}}
  %o = "celeris.attention"(%q, %k, %k, %ids) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0>}> : (tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x16xi32>) -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%a: tensor<2x8xi32>, %b: tensor<2x16xi32>, %q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %v: tensor<2x4x16x32xbf16>) {
  // expected-error @+1 {{expects the query length of q_segment_ids (8) to equal that of query (16)}}
  %o = celeris.attention %q, %k, %v segment_ids(%a, %b : tensor<2x8xi32>, tensor<2x16xi32>) : tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%a: tensor<2x16xi32>, %b: tensor<2x8xi32>, %q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %v: tensor<2x4x16x32xbf16>) {
  // expected-error @+1 {{expects the key length of kv_segment_ids (8) to equal that of key (16)}}
  %o = celeris.attention %q, %k, %v segment_ids(%a, %b : tensor<2x16xi32>, tensor<2x8xi32>) : tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%a: tensor<16xi32>, %b: tensor<2x16xi32>, %q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %v: tensor<2x4x16x32xbf16>) {
  // expected-error @+1 {{expects q_segment_ids to have rank 2 ([B, Sq]), got 'tensor<16xi32>'}}
  %o = celeris.attention %q, %k, %v segment_ids(%a, %b : tensor<16xi32>, tensor<2x16xi32>) : tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %cu: tensor<3xi32>) {
  // expected-error @+1 {{expects both query and key/value cumulative sequence lengths, or neither}}
  %o = "celeris.attention"(%q, %k, %k, %cu) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0>}> : (tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<3xi32>) -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%a: tensor<3xi32>, %q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %v: tensor<2x4x16x32xbf16>) {
  // expected-error @+1 {{expects the batch size (packed sequences) of query to be 1, got 2}}
  %o = celeris.attention %q, %k, %v varlen(%a, %a : tensor<3xi32>, tensor<3xi32>) : tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%a: tensor<3xi32>, %b: tensor<4xi32>, %q: tensor<1x8x16x32xbf16>, %k: tensor<1x4x16x32xbf16>, %v: tensor<1x4x16x32xbf16>) {
  // expected-error @+1 {{expects the number of sequences of cu_seqlens_kv (4) to equal that of cu_seqlens_q (3)}}
  %o = celeris.attention %q, %k, %v varlen(%a, %b : tensor<3xi32>, tensor<4xi32>) : tensor<1x8x16x32xbf16>, tensor<1x4x16x32xbf16>, tensor<1x4x16x32xbf16> -> tensor<1x8x16x32xbf16>
  return
}

// -----

func.func @f(%a: tensor<1x3xi32>, %b: tensor<3xi32>, %q: tensor<1x8x16x32xbf16>, %k: tensor<1x4x16x32xbf16>, %v: tensor<1x4x16x32xbf16>) {
  // expected-error @+1 {{expects cu_seqlens_q to have rank 1 ([num_sequences + 1]), got 'tensor<1x3xi32>'}}
  %o = celeris.attention %q, %k, %v varlen(%a, %b : tensor<1x3xi32>, tensor<3xi32>) : tensor<1x8x16x32xbf16>, tensor<1x4x16x32xbf16>, tensor<1x4x16x32xbf16> -> tensor<1x8x16x32xbf16>
  return
}

// -----

func.func @f(%a: tensor<0xi32>, %q: tensor<1x8x16x32xbf16>, %k: tensor<1x4x16x32xbf16>, %v: tensor<1x4x16x32xbf16>) {
  // expected-error @+1 {{expects cu_seqlens_q and cu_seqlens_kv to hold at least one offset (the start of the first sequence)}}
  %o = celeris.attention %q, %k, %v varlen(%a, %a : tensor<0xi32>, tensor<0xi32>) : tensor<1x8x16x32xbf16>, tensor<1x4x16x32xbf16>, tensor<1x4x16x32xbf16> -> tensor<1x8x16x32xbf16>
  return
}

// -----

func.func @f(%a: tensor<3xi32>, %l: tensor<1xi32>, %q: tensor<1x8x16x32xbf16>, %k: tensor<1x4x16x32xbf16>, %v: tensor<1x4x16x32xbf16>) {
  // expected-error @+1 {{expects varlen offsets not to be combined with kv_lengths or a page table}}
  %o = celeris.attention %q, %k, %v varlen(%a, %a : tensor<3xi32>, tensor<3xi32>) kv_lengths(%l : tensor<1xi32>) : tensor<1x8x16x32xbf16>, tensor<1x4x16x32xbf16>, tensor<1x4x16x32xbf16> -> tensor<1x8x16x32xbf16>
  return
}

// -----

func.func @f(%q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %c: tensor<1x1x1xi32>) {
  // expected-error @+1 {{expects both block counts and block indices, or neither}}
  %o = "celeris.attention"(%q, %k, %k, %c) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0>, block_size = array<i64: 16, 16>}> : (tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<1x1x1xi32>) -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%c: tensor<1x1x1xi32>, %i: tensor<1x1x1x1xi32>, %q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %v: tensor<2x4x16x32xbf16>) {
  // expected-error @+1 {{expects a block_size with a block layout}}
  %o = celeris.attention %q, %k, %v block_layout(%c, %i : tensor<1x1x1xi32>, tensor<1x1x1x1xi32>) : tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%c: tensor<1x1x1xi32>, %i: tensor<1x1x1x1xi32>, %q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %v: tensor<2x4x16x32xbf16>) {
  // expected-error @+1 {{expects block_size to be two positive sizes [query block, key block], got [16, 0]}}
  %o = celeris.attention %q, %k, %v block_layout(%c, %i : tensor<1x1x1xi32>, tensor<1x1x1x1xi32>) block_size [16, 0] : tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%c: tensor<1x1xi32>, %i: tensor<1x1x1x1xi32>, %q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %v: tensor<2x4x16x32xbf16>) {
  // expected-error @+1 {{expects block_counts to have rank 3 ([B or 1, Hq or 1, query blocks]), got 'tensor<1x1xi32>'}}
  %o = celeris.attention %q, %k, %v block_layout(%c, %i : tensor<1x1xi32>, tensor<1x1x1x1xi32>) block_size [16, 16] : tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%c: tensor<1x1x1xi32>, %i: tensor<1x1x2x1xi32>, %q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %v: tensor<2x4x16x32xbf16>) {
  // expected-error @+1 {{expects the query blocks of block_indices (2) to equal that of block_counts (1)}}
  %o = celeris.attention %q, %k, %v block_layout(%c, %i : tensor<1x1x1xi32>, tensor<1x1x2x1xi32>) block_size [16, 16] : tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%c: tensor<1x4x1xi32>, %i: tensor<1x4x1x1xi32>, %q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %v: tensor<2x4x16x32xbf16>) {
  // expected-error @+1 {{expects the number of heads of block_counts (4) to be 1 or that of query (8)}}
  %o = celeris.attention %q, %k, %v block_layout(%c, %i : tensor<1x4x1xi32>, tensor<1x4x1x1xi32>) block_size [16, 16] : tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%c: tensor<1x1x1xi32>, %i: tensor<1x1x1x1xi32>, %q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %v: tensor<2x4x16x32xbf16>) {
  // expected-error @+1 {{expects the number of query blocks of block_counts to be 2, got 1}}
  %o = celeris.attention %q, %k, %v block_layout(%c, %i : tensor<1x1x1xi32>, tensor<1x1x1x1xi32>) block_size [8, 16] : tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %v: tensor<2x4x16x32xbf16>) {
  // expected-error @+1 {{expects block_size only with a block layout}}
  %o = celeris.attention %q, %k, %v block_size [16, 16] : tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%l: tensor<3xi32>, %q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %v: tensor<2x4x16x32xbf16>) {
  // expected-error @+1 {{expects the batch size of kv_lengths (3) to equal that of query (2)}}
  %o = celeris.attention %q, %k, %v kv_lengths(%l : tensor<3xi32>) : tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%l: tensor<2x1xi32>, %q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %v: tensor<2x4x16x32xbf16>) {
  // expected-error @+1 {{expects kv_lengths to have rank 1 ([B]), got 'tensor<2x1xi32>'}}
  %o = celeris.attention %q, %k, %v kv_lengths(%l : tensor<2x1xi32>) : tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%t: tensor<3x8xi32>, %q: tensor<2x8x16x32xbf16>, %k: tensor<64x4x16x32xbf16>, %v: tensor<64x4x16x32xbf16>) {
  // expected-error @+1 {{expects the batch size of page_table (3) to equal that of query (2)}}
  %o = celeris.attention %q, %k, %v page_table(%t : tensor<3x8xi32>) : tensor<2x8x16x32xbf16>, tensor<64x4x16x32xbf16>, tensor<64x4x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%t: tensor<16xi32>, %q: tensor<2x8x16x32xbf16>, %k: tensor<64x4x16x32xbf16>, %v: tensor<64x4x16x32xbf16>) {
  // expected-error @+1 {{expects page_table to have rank 2 ([B, pages per sequence]), got 'tensor<16xi32>'}}
  %o = celeris.attention %q, %k, %v page_table(%t : tensor<16xi32>) : tensor<2x8x16x32xbf16>, tensor<64x4x16x32xbf16>, tensor<64x4x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%t: tensor<2x8xi32>, %q: tensor<2x8x16x32xbf16>, %k: tensor<64x4x16x32xbf16>, %v: tensor<64x4x8x32xbf16>) {
  // expected-error @+1 {{expects the page size of value (8) to equal that of key (16)}}
  %o = celeris.attention %q, %k, %v page_table(%t : tensor<2x8xi32>) : tensor<2x8x16x32xbf16>, tensor<64x4x16x32xbf16>, tensor<64x4x8x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%t: tensor<2x8xi32>, %q: tensor<2x8x16x32xbf16>, %k: tensor<64x4x16x32xbf16>, %v: tensor<32x4x16x32xbf16>) {
  // expected-error @+1 {{expects the number of pages of value (32) to equal that of key (64)}}
  %o = celeris.attention %q, %k, %v page_table(%t : tensor<2x8xi32>) : tensor<2x8x16x32xbf16>, tensor<64x4x16x32xbf16>, tensor<32x4x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%t: tensor<2x8xi32>, %q: tensor<2x8x16x32xbf16>, %k: tensor<64x4x16xbf16>, %v: tensor<64x4x16x32xbf16>) {
  // expected-error @+1 {{expects key to have rank 4 ([pages, Hkv, page_size, D]), got 'tensor<64x4x16xbf16>'}}
  %o = celeris.attention %q, %k, %v page_table(%t : tensor<2x8xi32>) : tensor<2x8x16x32xbf16>, tensor<64x4x16xbf16>, tensor<64x4x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %v: tensor<2x4x16x32xbf16>) {
  // expected-error @+1 {{expects a finite scale, got INF}}
  %o = celeris.attention %q, %k, %v scale 0x7F800000 : tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %v: tensor<2x4x16x32xbf16>) {
  // expected-error @+1 {{expects a positive finite softcap, got -1}}
  %o = celeris.attention %q, %k, %v softcap -1.0 : tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%q: tensor<2x8x16x32xi8>, %k: tensor<2x4x16x32xbf16>, %v: tensor<2x4x16x32xbf16>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<2x8x16x32xi8>'}}
  %o = celeris.attention %q, %k, %v : tensor<2x8x16x32xi8>, tensor<2x4x16x32xbf16>, tensor<2x4x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%s: tensor<8xbf16>, %q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %v: tensor<2x4x16x32xbf16>) {
  // expected-error @+1 {{operand #3 must be ranked tensor of 32-bit float values, but got 'tensor<8xbf16>'}}
  %o = celeris.attention %q, %k, %v alibi(%s : tensor<8xbf16>) : tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%a: tensor<2x16xi64>, %q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %v: tensor<2x4x16x32xbf16>) {
  // expected-error @+1 {{operand #3 must be ranked tensor of 32-bit signless integer values, but got 'tensor<2x16xi64>'}}
  %o = celeris.attention %q, %k, %v segment_ids(%a, %a : tensor<2x16xi64>, tensor<2x16xi64>) : tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x16x32xbf16> -> tensor<2x8x16x32xbf16>
  return
}

// -----

func.func @f(%q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %v: tensor<2x4x16x32xbf16>) {
  // expected-error @+1 {{result #1 must be ranked tensor of 32-bit float values, but got 'tensor<2x8x16xbf16>'}}
  %o, %l = celeris.attention %q, %k, %v : tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x16x32xbf16> -> tensor<2x8x16x32xbf16>, tensor<2x8x16xbf16>
  return
}

// -----

func.func @f() {
  %sq = arith.constant 64 : index
  %sk = arith.constant 64 : index
  // expected-error @+1 {{expects block_size to be two positive sizes [query block, key block], got [16]}}
  %c, %i = celeris.mask_block_layout %sq, %sk mask <causal> block_size [16] : tensor<1x1x4xi32>, tensor<1x1x4x4xi32>
  return
}

// -----

func.func @f() {
  %sq = arith.constant 64 : index
  %sk = arith.constant 64 : index
  // expected-error @+1 {{expects counts to have rank 3 ([1, 1, query blocks]), got 'tensor<4xi32>'}}
  %c, %i = celeris.mask_block_layout %sq, %sk mask <causal> block_size [16, 16] : tensor<4xi32>, tensor<1x1x4x4xi32>
  return
}

// -----

func.func @f() {
  %sq = arith.constant 64 : index
  %sk = arith.constant 64 : index
  // expected-error @+1 {{expects indices to have rank 4 ([1, 1, query blocks, key blocks]), got 'tensor<4x4xi32>'}}
  %c, %i = celeris.mask_block_layout %sq, %sk mask <causal> block_size [16, 16] : tensor<1x1x4xi32>, tensor<4x4xi32>
  return
}

// -----

func.func @f() {
  %sq = arith.constant 64 : index
  %sk = arith.constant 64 : index
  // expected-error @+1 {{expects the batch dimension of counts to be 1, got 2}}
  %c, %i = celeris.mask_block_layout %sq, %sk mask <causal> block_size [16, 16] : tensor<2x1x4xi32>, tensor<1x1x4x4xi32>
  return
}

// -----

func.func @f() {
  %sq = arith.constant 64 : index
  %sk = arith.constant 64 : index
  // expected-error @+1 {{expects the head dimension of indices to be 1, got 8}}
  %c, %i = celeris.mask_block_layout %sq, %sk mask <causal> block_size [16, 16] : tensor<1x1x4xi32>, tensor<1x8x4x4xi32>
  return
}

// -----

func.func @f() {
  %sq = arith.constant 64 : index
  %sk = arith.constant 64 : index
  // expected-error @+1 {{expects the number of query blocks of indices (5) to equal that of counts (4)}}
  %c, %i = celeris.mask_block_layout %sq, %sk mask <causal> block_size [16, 16] : tensor<1x1x4xi32>, tensor<1x1x5x4xi32>
  return
}

// -----

func.func @f() {
  %sq = arith.constant 64 : index
  %sk = arith.constant 64 : index
  // expected-error @+1 {{expects the number of query blocks of counts to be 4, got 3}}
  %c, %i = celeris.mask_block_layout %sq, %sk mask <causal> block_size [16, 16] : tensor<1x1x3xi32>, tensor<1x1x3x4xi32>
  return
}

// -----

func.func @f() {
  %sq = arith.constant 64 : index
  %sk = arith.constant 100 : index
  // expected-error @+1 {{expects the number of key blocks of indices to be 7, got 4}}
  %c, %i = celeris.mask_block_layout %sq, %sk mask <causal> block_size [16, 16] : tensor<1x1x4xi32>, tensor<1x1x4x4xi32>
  return
}

// -----

func.func @f(%s: tensor<4x8x8xf32>) {
  // expected-error @+1 {{expects scores to have rank 4 ([B, H, query blocks, key blocks]), got 'tensor<4x8x8xf32>'}}
  %c, %i = celeris.topk_blocks %s k 2 : tensor<4x8x8xf32> -> tensor<2x4x8xi32>, tensor<2x4x8x2xi32>
  return
}

// -----

func.func @f(%s: tensor<2x4x8x8xf32>) {
  // expected-error @+1 {{expects counts to have rank 3 ([B, H, query blocks]), got 'tensor<2x4xi32>'}}
  %c, %i = celeris.topk_blocks %s k 2 : tensor<2x4x8x8xf32> -> tensor<2x4xi32>, tensor<2x4x8x2xi32>
  return
}

// -----

func.func @f(%s: tensor<2x4x8x8xf32>) {
  // expected-error @+1 {{expects indices to have rank 4 ([B, H, query blocks, k]), got 'tensor<2x4x8xi32>'}}
  %c, %i = celeris.topk_blocks %s k 2 : tensor<2x4x8x8xf32> -> tensor<2x4x8xi32>, tensor<2x4x8xi32>
  return
}

// -----

func.func @f(%s: tensor<2x4x8x8xf32>) {
  // expected-error @+1 {{expects the number of heads of counts (2) to equal that of scores (4)}}
  %c, %i = celeris.topk_blocks %s k 2 : tensor<2x4x8x8xf32> -> tensor<2x2x8xi32>, tensor<2x4x8x2xi32>
  return
}

// -----

func.func @f(%s: tensor<2x4x8x8xf32>) {
  // expected-error @+1 {{expects the query blocks of indices (4) to equal that of scores (8)}}
  %c, %i = celeris.topk_blocks %s k 2 : tensor<2x4x8x8xf32> -> tensor<2x4x8xi32>, tensor<2x4x4x2xi32>
  return
}

// -----

func.func @f(%s: tensor<2x4x8x8xf32>) {
  // expected-error @+1 {{expects the selection dimension of indices to be 2, got 3}}
  %c, %i = celeris.topk_blocks %s k 2 : tensor<2x4x8x8xf32> -> tensor<2x4x8xi32>, tensor<2x4x8x3xi32>
  return
}

// -----

func.func @f(%s: tensor<2x4x8x8xf32>) {
  // expected-error @+1 {{expects k (9) to be at most the number of key blocks (8)}}
  %c, %i = celeris.topk_blocks %s k 9 : tensor<2x4x8x8xf32> -> tensor<2x4x8xi32>, tensor<2x4x8x9xi32>
  return
}

// -----

func.func @f(%s: tensor<2x4x8x8xf32>) {
  // expected-error @+1 {{expects a block_size with a mask}}
  %c, %i = celeris.topk_blocks %s k 2 mask <causal> : tensor<2x4x8x8xf32> -> tensor<2x4x8xi32>, tensor<2x4x8x2xi32>
  return
}

// -----

func.func @f(%s: tensor<2x4x8x8xf32>) {
  // expected-error @+1 {{expects block_size to be two positive sizes [query block, key block], got [0, 16]}}
  %c, %i = celeris.topk_blocks %s k 2 mask <causal> block_size [0, 16] : tensor<2x4x8x8xf32> -> tensor<2x4x8xi32>, tensor<2x4x8x2xi32>
  return
}

// -----

func.func @f(%s: tensor<2x4x8x8xf32>) {
  // expected-error @+1 {{expects block_size and query_offset only with a mask}}
  %c, %i = celeris.topk_blocks %s k 2 block_size [16, 16] : tensor<2x4x8x8xf32> -> tensor<2x4x8xi32>, tensor<2x4x8x2xi32>
  return
}

// -----

func.func @f(%s: tensor<2x4x8x8xf32>) {
  // expected-error @+1 {{attribute 'k' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %c, %i = celeris.topk_blocks %s k 0 : tensor<2x4x8x8xf32> -> tensor<2x4x8xi32>, tensor<2x4x8x0xi32>
  return
}
