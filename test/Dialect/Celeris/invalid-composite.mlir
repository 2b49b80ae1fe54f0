// RUN: celeris-opt %s -split-input-file -verify-diagnostics

// One case per verifier message of celeris.nsa and celeris.mla, plus one per
// ODS constraint class (element type, positive size, f32 statistics).

func.func @nsa_query_element_type(%q: tensor<2x8x64x16xi32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<2x8x64x16xi32>'}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xi32>, tensor<2x2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_nonpositive_window(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{attribute 'window' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 0 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_query_rank(%q: tensor<8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects query to have rank 4 ([B, Hq, S, D]), got 'tensor<8x64x16xf32>'}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_key_rank(%q: tensor<2x8x64x16xf32>, %k: tensor<2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects key to have rank 4 ([B, Hkv, S, D]), got 'tensor<2x64x16xf32>'}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_value_rank(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects value to have rank 4 ([B, Hkv, S, Dv]), got 'tensor<2x64x8xf32>'}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_compressed_key_rank(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x3x16xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects compressed_key to have rank 4 ([B, Hkv, Sc, D]), got 'tensor<2x3x16xf32>'}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x3x16xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_compressed_value_rank(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x3x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects compressed_value to have rank 4 ([B, Hkv, Sc, Dv]), got 'tensor<2x3x8xf32>'}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x3x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_gates_rank(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x8x64xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects gates to have rank 4 ([B, Hq, S, 3]), got 'tensor<2x8x64xf32>'}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x8x64xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_output_rank(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x64x8x1xf32> {
  // expected-error @+1 {{expects output to have rank 4 ([B, Hq, S, Dv]), got 'tensor<2x8x64x8x1xf32>'}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x64x8x1xf32>
  return %out : tensor<2x8x64x8x1xf32>
}

// -----

func.func @nsa_key_element_type(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf16>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects key to have the element type of query ('f32'), got 'f16'}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf16>, tensor<2x2x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_value_element_type(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x8xf16>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects value to have the element type of query ('f32'), got 'f16'}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x8xf16> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_compressed_key_element_type(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x3x16xf16>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects compressed_key to have the element type of query ('f32'), got 'f16'}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf16>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_compressed_value_element_type(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x2x3x8xf16>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects compressed_value to have the element type of query ('f32'), got 'f16'}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x2x3x8xf16>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_gates_element_type(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x8x64x3xbf16>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects gates to have the element type of query ('f32'), got 'bf16'}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x8x64x3xbf16>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_output_element_type(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x64x8xbf16> {
  // expected-error @+1 {{expects output to have the element type of query ('f32'), got 'bf16'}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x64x8xbf16>
  return %out : tensor<2x8x64x8xbf16>
}

// -----

func.func @nsa_key_batch(%q: tensor<2x8x64x16xf32>, %k: tensor<3x2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects the batch size of key (3) to equal that of query (2)}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<3x2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_value_batch(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<3x2x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects the batch size of value (3) to equal that of query (2)}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<3x2x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_compressed_key_batch(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<3x2x3x16xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects the batch size of compressed_key (3) to equal that of query (2)}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<3x2x3x16xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_compressed_value_batch(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<3x2x3x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects the batch size of compressed_value (3) to equal that of query (2)}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<3x2x3x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_gates_batch(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<3x8x64x3xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects the batch size of gates (3) to equal that of query (2)}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<3x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_output_batch(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<3x8x64x8xf32> {
  // expected-error @+1 {{expects the batch size of output (3) to equal that of query (2)}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<3x8x64x8xf32>
  return %out : tensor<3x8x64x8xf32>
}

// -----

func.func @nsa_value_heads(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x4x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects the number of key/value heads of value (4) to equal that of key (2)}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x4x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_compressed_key_heads(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x4x3x16xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects the number of key/value heads of compressed_key (4) to equal that of key (2)}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x4x3x16xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_compressed_value_heads(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x4x3x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects the number of key/value heads of compressed_value (4) to equal that of key (2)}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x4x3x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_gates_heads(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x4x64x3xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects the number of heads of gates (4) to equal that of query (8)}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x4x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_output_heads(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x4x64x8xf32> {
  // expected-error @+1 {{expects the number of heads of output (4) to equal that of query (8)}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x4x64x8xf32>
  return %out : tensor<2x4x64x8xf32>
}

// -----

func.func @nsa_gqa(%q: tensor<2x6x64x16xf32>, %k: tensor<2x4x64x16xf32>, %v: tensor<2x4x64x8xf32>, %kc: tensor<2x4x3x16xf32>,
    %vc: tensor<2x4x3x8xf32>, %g: tensor<2x6x64x3xf32>) -> tensor<2x6x64x8xf32> {
  // expected-error @+1 {{expects the number of query heads (6) to be a multiple of the number of key/value heads (4)}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x4x3x16xf32>, tensor<2x4x3x8xf32>)
      gates(%g : tensor<2x6x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x6x64x16xf32>, tensor<2x4x64x16xf32>, tensor<2x4x64x8xf32> -> tensor<2x6x64x8xf32>
  return %out : tensor<2x6x64x8xf32>
}

// -----

func.func @nsa_key_sequence(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x32x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects the sequence length of key (32) to equal that of query (64)}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x32x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_value_sequence(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x32x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects the sequence length of value (32) to equal that of query (64)}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x32x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_gates_sequence(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x8x32x3xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects the sequence length of gates (32) to equal that of query (64)}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x8x32x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_output_sequence(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x32x8xf32> {
  // expected-error @+1 {{expects the sequence length of output (32) to equal that of query (64)}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x32x8xf32>
  return %out : tensor<2x8x32x8xf32>
}

// -----

func.func @nsa_key_head_dim(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x8xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects the head dimension of key (8) to equal that of query (16)}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x8xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_compressed_key_head_dim(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x3x8xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects the head dimension of compressed_key (8) to equal that of query (16)}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x8xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_compressed_value_head_dim(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x2x3x4xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects the value head dimension of compressed_value (4) to equal that of value (8)}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x2x3x4xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_output_head_dim(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x64x4xf32> {
  // expected-error @+1 {{expects the value head dimension of output (4) to equal that of value (8)}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x64x4xf32>
  return %out : tensor<2x8x64x4xf32>
}

// -----

func.func @nsa_gate_count(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x8x64x2xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects the number of gates (g_cmp, g_slc, g_win) of gates to be 3, got 2}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x8x64x2xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_cmp_block_multiple(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects cmp_block (8) to be a multiple of cmp_stride (16)}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 8 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_select_block_multiple(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects select_block (40) to be a multiple of cmp_stride (16)}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 40 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_compressed_value_length(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x2x4x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects the number of compressed tokens of compressed_value (4) to equal that of compressed_key (3)}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x2x4x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_compressed_length(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x4x16xf32>,
    %vc: tensor<2x2x4x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects the number of compressed tokens (floor((S - cmp_block) / cmp_stride) + 1, or 0 when S < cmp_block) of compressed_key to be 3, got 4}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x4x16xf32>, tensor<2x2x4x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @nsa_scale(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x8xf32>, %kc: tensor<2x2x3x16xf32>,
    %vc: tensor<2x2x3x8xf32>, %g: tensor<2x8x64x3xf32>) -> tensor<2x8x64x8xf32> {
  // expected-error @+1 {{expects a finite scale, got INF}}
  %out = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<2x2x3x16xf32>, tensor<2x2x3x8xf32>)
      gates(%g : tensor<2x8x64x3xf32>) cmp_block 32 cmp_stride 16 select_block 64 select_count 4 window 16 scale 0x7F800000 :
      tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x8xf32> -> tensor<2x8x64x8xf32>
  return %out : tensor<2x8x64x8xf32>
}

// -----

func.func @mla_lse_element_type(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x8x4xf32>, %c: tensor<2x32x24xf32>, %kr: tensor<2x32x4xf32>,
    %wuk: tensor<4x24x16xf32>, %wuv: tensor<4x24x12xf32>) -> (tensor<2x4x8x12xf32>, tensor<2x4x8xbf16>) {
  // expected-error @+1 {{result #1 must be ranked tensor of 32-bit float values, but got 'tensor<2x4x8xbf16>'}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x24x16xf32>, tensor<4x24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x4x8x4xf32>, tensor<2x32x24xf32>, tensor<2x32x4xf32> -> tensor<2x4x8x12xf32>, tensor<2x4x8xbf16>
  return %out, %lse : tensor<2x4x8x12xf32>, tensor<2x4x8xbf16>
}

// -----

func.func @mla_q_nope_rank(%qn: tensor<2x4x8x16x1xf32>, %qr: tensor<2x4x8x4xf32>, %c: tensor<2x32x24xf32>, %kr: tensor<2x32x4xf32>,
    %wuk: tensor<4x24x16xf32>, %wuv: tensor<4x24x12xf32>) -> (tensor<2x4x8x12xf32>, tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects q_nope to have rank 4 ([B, H, Sq, Dn]), got 'tensor<2x4x8x16x1xf32>'}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x24x16xf32>, tensor<4x24x12xf32>) :
      tensor<2x4x8x16x1xf32>, tensor<2x4x8x4xf32>, tensor<2x32x24xf32>, tensor<2x32x4xf32> -> tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
  return %out, %lse : tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
}

// -----

func.func @mla_q_rope_rank(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x8xf32>, %c: tensor<2x32x24xf32>, %kr: tensor<2x32x4xf32>,
    %wuk: tensor<4x24x16xf32>, %wuv: tensor<4x24x12xf32>) -> (tensor<2x4x8x12xf32>, tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects q_rope to have rank 4 ([B, H, Sq, Dr]), got 'tensor<2x4x8xf32>'}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x24x16xf32>, tensor<4x24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x4x8xf32>, tensor<2x32x24xf32>, tensor<2x32x4xf32> -> tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
  return %out, %lse : tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
}

// -----

func.func @mla_kv_latent_rank(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x8x4xf32>, %c: tensor<2x4x32x24xf32>, %kr: tensor<2x32x4xf32>,
    %wuk: tensor<4x24x16xf32>, %wuv: tensor<4x24x12xf32>) -> (tensor<2x4x8x12xf32>, tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects kv_latent to have rank 3 ([B, Sk, Dl]), got 'tensor<2x4x32x24xf32>'}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x24x16xf32>, tensor<4x24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x4x8x4xf32>, tensor<2x4x32x24xf32>, tensor<2x32x4xf32> -> tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
  return %out, %lse : tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
}

// -----

func.func @mla_k_rope_rank(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x8x4xf32>, %c: tensor<2x32x24xf32>, %kr: tensor<2x4x32x4xf32>,
    %wuk: tensor<4x24x16xf32>, %wuv: tensor<4x24x12xf32>) -> (tensor<2x4x8x12xf32>, tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects k_rope to have rank 3 ([B, Sk, Dr]), got 'tensor<2x4x32x4xf32>'}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x24x16xf32>, tensor<4x24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x4x8x4xf32>, tensor<2x32x24xf32>, tensor<2x4x32x4xf32> -> tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
  return %out, %lse : tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
}

// -----

func.func @mla_w_uk_rank(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x8x4xf32>, %c: tensor<2x32x24xf32>, %kr: tensor<2x32x4xf32>,
    %wuk: tensor<24x16xf32>, %wuv: tensor<4x24x12xf32>) -> (tensor<2x4x8x12xf32>, tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects w_uk to have rank 3 ([H, Dl, Dn]), got 'tensor<24x16xf32>'}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<24x16xf32>, tensor<4x24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x4x8x4xf32>, tensor<2x32x24xf32>, tensor<2x32x4xf32> -> tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
  return %out, %lse : tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
}

// -----

func.func @mla_w_uv_rank(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x8x4xf32>, %c: tensor<2x32x24xf32>, %kr: tensor<2x32x4xf32>,
    %wuk: tensor<4x24x16xf32>, %wuv: tensor<24x12xf32>) -> (tensor<2x4x8x12xf32>, tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects w_uv to have rank 3 ([H, Dl, Dv]), got 'tensor<24x12xf32>'}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x24x16xf32>, tensor<24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x4x8x4xf32>, tensor<2x32x24xf32>, tensor<2x32x4xf32> -> tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
  return %out, %lse : tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
}

// -----

func.func @mla_output_rank(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x8x4xf32>, %c: tensor<2x32x24xf32>, %kr: tensor<2x32x4xf32>,
    %wuk: tensor<4x24x16xf32>, %wuv: tensor<4x24x12xf32>) -> (tensor<2x4x8xf32>, tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects output to have rank 4 ([B, H, Sq, Dv]), got 'tensor<2x4x8xf32>'}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x24x16xf32>, tensor<4x24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x4x8x4xf32>, tensor<2x32x24xf32>, tensor<2x32x4xf32> -> tensor<2x4x8xf32>, tensor<2x4x8xf32>
  return %out, %lse : tensor<2x4x8xf32>, tensor<2x4x8xf32>
}

// -----

func.func @mla_q_rope_element_type(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x8x4xbf16>, %c: tensor<2x32x24xf32>, %kr: tensor<2x32x4xf32>,
    %wuk: tensor<4x24x16xf32>, %wuv: tensor<4x24x12xf32>) -> (tensor<2x4x8x12xf32>, tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects q_rope to have the element type of q_nope ('f32'), got 'bf16'}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x24x16xf32>, tensor<4x24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x4x8x4xbf16>, tensor<2x32x24xf32>, tensor<2x32x4xf32> -> tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
  return %out, %lse : tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
}

// -----

func.func @mla_kv_latent_element_type(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x8x4xf32>, %c: tensor<2x32x24xbf16>, %kr: tensor<2x32x4xf32>,
    %wuk: tensor<4x24x16xf32>, %wuv: tensor<4x24x12xf32>) -> (tensor<2x4x8x12xf32>, tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects kv_latent to have the element type of q_nope ('f32'), got 'bf16'}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x24x16xf32>, tensor<4x24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x4x8x4xf32>, tensor<2x32x24xbf16>, tensor<2x32x4xf32> -> tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
  return %out, %lse : tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
}

// -----

func.func @mla_k_rope_element_type(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x8x4xf32>, %c: tensor<2x32x24xf32>, %kr: tensor<2x32x4xbf16>,
    %wuk: tensor<4x24x16xf32>, %wuv: tensor<4x24x12xf32>) -> (tensor<2x4x8x12xf32>, tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects k_rope to have the element type of q_nope ('f32'), got 'bf16'}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x24x16xf32>, tensor<4x24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x4x8x4xf32>, tensor<2x32x24xf32>, tensor<2x32x4xbf16> -> tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
  return %out, %lse : tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
}

// -----

func.func @mla_w_uk_element_type(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x8x4xf32>, %c: tensor<2x32x24xf32>, %kr: tensor<2x32x4xf32>,
    %wuk: tensor<4x24x16xbf16>, %wuv: tensor<4x24x12xf32>) -> (tensor<2x4x8x12xf32>, tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects w_uk to have the element type of q_nope ('f32'), got 'bf16'}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x24x16xbf16>, tensor<4x24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x4x8x4xf32>, tensor<2x32x24xf32>, tensor<2x32x4xf32> -> tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
  return %out, %lse : tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
}

// -----

func.func @mla_w_uv_element_type(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x8x4xf32>, %c: tensor<2x32x24xf32>, %kr: tensor<2x32x4xf32>,
    %wuk: tensor<4x24x16xf32>, %wuv: tensor<4x24x12xbf16>) -> (tensor<2x4x8x12xf32>, tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects w_uv to have the element type of q_nope ('f32'), got 'bf16'}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x24x16xf32>, tensor<4x24x12xbf16>) :
      tensor<2x4x8x16xf32>, tensor<2x4x8x4xf32>, tensor<2x32x24xf32>, tensor<2x32x4xf32> -> tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
  return %out, %lse : tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
}

// -----

func.func @mla_output_element_type(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x8x4xf32>, %c: tensor<2x32x24xf32>, %kr: tensor<2x32x4xf32>,
    %wuk: tensor<4x24x16xf32>, %wuv: tensor<4x24x12xf32>) -> (tensor<2x4x8x12xbf16>, tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects output to have the element type of q_nope ('f32'), got 'bf16'}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x24x16xf32>, tensor<4x24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x4x8x4xf32>, tensor<2x32x24xf32>, tensor<2x32x4xf32> -> tensor<2x4x8x12xbf16>, tensor<2x4x8xf32>
  return %out, %lse : tensor<2x4x8x12xbf16>, tensor<2x4x8xf32>
}

// -----

func.func @mla_q_rope_batch(%qn: tensor<2x4x8x16xf32>, %qr: tensor<3x4x8x4xf32>, %c: tensor<2x32x24xf32>, %kr: tensor<2x32x4xf32>,
    %wuk: tensor<4x24x16xf32>, %wuv: tensor<4x24x12xf32>) -> (tensor<2x4x8x12xf32>, tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects the batch size of q_rope (3) to equal that of q_nope (2)}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x24x16xf32>, tensor<4x24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<3x4x8x4xf32>, tensor<2x32x24xf32>, tensor<2x32x4xf32> -> tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
  return %out, %lse : tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
}

// -----

func.func @mla_output_batch(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x8x4xf32>, %c: tensor<2x32x24xf32>, %kr: tensor<2x32x4xf32>,
    %wuk: tensor<4x24x16xf32>, %wuv: tensor<4x24x12xf32>) -> (tensor<3x4x8x12xf32>, tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects the batch size of output (3) to equal that of q_nope (2)}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x24x16xf32>, tensor<4x24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x4x8x4xf32>, tensor<2x32x24xf32>, tensor<2x32x4xf32> -> tensor<3x4x8x12xf32>, tensor<2x4x8xf32>
  return %out, %lse : tensor<3x4x8x12xf32>, tensor<2x4x8xf32>
}

// -----

func.func @mla_q_rope_heads(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x2x8x4xf32>, %c: tensor<2x32x24xf32>, %kr: tensor<2x32x4xf32>,
    %wuk: tensor<4x24x16xf32>, %wuv: tensor<4x24x12xf32>) -> (tensor<2x4x8x12xf32>, tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects the number of heads of q_rope (2) to equal that of q_nope (4)}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x24x16xf32>, tensor<4x24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x2x8x4xf32>, tensor<2x32x24xf32>, tensor<2x32x4xf32> -> tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
  return %out, %lse : tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
}

// -----

func.func @mla_output_heads(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x8x4xf32>, %c: tensor<2x32x24xf32>, %kr: tensor<2x32x4xf32>,
    %wuk: tensor<4x24x16xf32>, %wuv: tensor<4x24x12xf32>) -> (tensor<2x2x8x12xf32>, tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects the number of heads of output (2) to equal that of q_nope (4)}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x24x16xf32>, tensor<4x24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x4x8x4xf32>, tensor<2x32x24xf32>, tensor<2x32x4xf32> -> tensor<2x2x8x12xf32>, tensor<2x4x8xf32>
  return %out, %lse : tensor<2x2x8x12xf32>, tensor<2x4x8xf32>
}

// -----

func.func @mla_q_rope_query_length(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x4x4xf32>, %c: tensor<2x32x24xf32>, %kr: tensor<2x32x4xf32>,
    %wuk: tensor<4x24x16xf32>, %wuv: tensor<4x24x12xf32>) -> (tensor<2x4x8x12xf32>, tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects the query length of q_rope (4) to equal that of q_nope (8)}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x24x16xf32>, tensor<4x24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x4x4x4xf32>, tensor<2x32x24xf32>, tensor<2x32x4xf32> -> tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
  return %out, %lse : tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
}

// -----

func.func @mla_output_query_length(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x8x4xf32>, %c: tensor<2x32x24xf32>, %kr: tensor<2x32x4xf32>,
    %wuk: tensor<4x24x16xf32>, %wuv: tensor<4x24x12xf32>) -> (tensor<2x4x4x12xf32>, tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects the query length of output (4) to equal that of q_nope (8)}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x24x16xf32>, tensor<4x24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x4x8x4xf32>, tensor<2x32x24xf32>, tensor<2x32x4xf32> -> tensor<2x4x4x12xf32>, tensor<2x4x8xf32>
  return %out, %lse : tensor<2x4x4x12xf32>, tensor<2x4x8xf32>
}

// -----

func.func @mla_kv_latent_batch(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x8x4xf32>, %c: tensor<3x32x24xf32>, %kr: tensor<2x32x4xf32>,
    %wuk: tensor<4x24x16xf32>, %wuv: tensor<4x24x12xf32>) -> (tensor<2x4x8x12xf32>, tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects the batch size of kv_latent (3) to equal that of q_nope (2)}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x24x16xf32>, tensor<4x24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x4x8x4xf32>, tensor<3x32x24xf32>, tensor<2x32x4xf32> -> tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
  return %out, %lse : tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
}

// -----

func.func @mla_k_rope_batch(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x8x4xf32>, %c: tensor<2x32x24xf32>, %kr: tensor<3x32x4xf32>,
    %wuk: tensor<4x24x16xf32>, %wuv: tensor<4x24x12xf32>) -> (tensor<2x4x8x12xf32>, tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects the batch size of k_rope (3) to equal that of q_nope (2)}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x24x16xf32>, tensor<4x24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x4x8x4xf32>, tensor<2x32x24xf32>, tensor<3x32x4xf32> -> tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
  return %out, %lse : tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
}

// -----

func.func @mla_key_length(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x8x4xf32>, %c: tensor<2x32x24xf32>, %kr: tensor<2x16x4xf32>,
    %wuk: tensor<4x24x16xf32>, %wuv: tensor<4x24x12xf32>) -> (tensor<2x4x8x12xf32>, tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects the key length of k_rope (16) to equal that of kv_latent (32)}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x24x16xf32>, tensor<4x24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x4x8x4xf32>, tensor<2x32x24xf32>, tensor<2x16x4xf32> -> tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
  return %out, %lse : tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
}

// -----

func.func @mla_w_uk_heads(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x8x4xf32>, %c: tensor<2x32x24xf32>, %kr: tensor<2x32x4xf32>,
    %wuk: tensor<2x24x16xf32>, %wuv: tensor<4x24x12xf32>) -> (tensor<2x4x8x12xf32>, tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects the number of heads of w_uk (2) to equal that of q_nope (4)}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<2x24x16xf32>, tensor<4x24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x4x8x4xf32>, tensor<2x32x24xf32>, tensor<2x32x4xf32> -> tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
  return %out, %lse : tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
}

// -----

func.func @mla_w_uv_heads(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x8x4xf32>, %c: tensor<2x32x24xf32>, %kr: tensor<2x32x4xf32>,
    %wuk: tensor<4x24x16xf32>, %wuv: tensor<2x24x12xf32>) -> (tensor<2x4x8x12xf32>, tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects the number of heads of w_uv (2) to equal that of q_nope (4)}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x24x16xf32>, tensor<2x24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x4x8x4xf32>, tensor<2x32x24xf32>, tensor<2x32x4xf32> -> tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
  return %out, %lse : tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
}

// -----

func.func @mla_w_uk_latent(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x8x4xf32>, %c: tensor<2x32x24xf32>, %kr: tensor<2x32x4xf32>,
    %wuk: tensor<4x32x16xf32>, %wuv: tensor<4x24x12xf32>) -> (tensor<2x4x8x12xf32>, tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects the latent dimension of w_uk (32) to equal that of kv_latent (24)}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x32x16xf32>, tensor<4x24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x4x8x4xf32>, tensor<2x32x24xf32>, tensor<2x32x4xf32> -> tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
  return %out, %lse : tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
}

// -----

func.func @mla_w_uv_latent(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x8x4xf32>, %c: tensor<2x32x24xf32>, %kr: tensor<2x32x4xf32>,
    %wuk: tensor<4x24x16xf32>, %wuv: tensor<4x32x12xf32>) -> (tensor<2x4x8x12xf32>, tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects the latent dimension of w_uv (32) to equal that of kv_latent (24)}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x24x16xf32>, tensor<4x32x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x4x8x4xf32>, tensor<2x32x24xf32>, tensor<2x32x4xf32> -> tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
  return %out, %lse : tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
}

// -----

func.func @mla_rope_dim(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x8x4xf32>, %c: tensor<2x32x24xf32>, %kr: tensor<2x32x8xf32>,
    %wuk: tensor<4x24x16xf32>, %wuv: tensor<4x24x12xf32>) -> (tensor<2x4x8x12xf32>, tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects the rope dimension of k_rope (8) to equal that of q_rope (4)}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x24x16xf32>, tensor<4x24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x4x8x4xf32>, tensor<2x32x24xf32>, tensor<2x32x8xf32> -> tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
  return %out, %lse : tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
}

// -----

func.func @mla_nope_dim(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x8x4xf32>, %c: tensor<2x32x24xf32>, %kr: tensor<2x32x4xf32>,
    %wuk: tensor<4x24x8xf32>, %wuv: tensor<4x24x12xf32>) -> (tensor<2x4x8x12xf32>, tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects the non-rope head dimension of w_uk (8) to equal that of q_nope (16)}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x24x8xf32>, tensor<4x24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x4x8x4xf32>, tensor<2x32x24xf32>, tensor<2x32x4xf32> -> tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
  return %out, %lse : tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
}

// -----

func.func @mla_value_dim(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x8x4xf32>, %c: tensor<2x32x24xf32>, %kr: tensor<2x32x4xf32>,
    %wuk: tensor<4x24x16xf32>, %wuv: tensor<4x24x12xf32>) -> (tensor<2x4x8x16xf32>, tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects the value head dimension of output (16) to equal that of w_uv (12)}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x24x16xf32>, tensor<4x24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x4x8x4xf32>, tensor<2x32x24xf32>, tensor<2x32x4xf32> -> tensor<2x4x8x16xf32>, tensor<2x4x8xf32>
  return %out, %lse : tensor<2x4x8x16xf32>, tensor<2x4x8xf32>
}

// -----

func.func @mla_lse_rank(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x8x4xf32>, %c: tensor<2x32x24xf32>, %kr: tensor<2x32x4xf32>,
    %wuk: tensor<4x24x16xf32>, %wuv: tensor<4x24x12xf32>) -> (tensor<2x4x8x12xf32>, tensor<2x4xf32>) {
  // expected-error @+1 {{expects lse to have rank 3 ([B, H, Sq]), got 'tensor<2x4xf32>'}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x24x16xf32>, tensor<4x24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x4x8x4xf32>, tensor<2x32x24xf32>, tensor<2x32x4xf32> -> tensor<2x4x8x12xf32>, tensor<2x4xf32>
  return %out, %lse : tensor<2x4x8x12xf32>, tensor<2x4xf32>
}

// -----

func.func @mla_lse_batch(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x8x4xf32>, %c: tensor<2x32x24xf32>, %kr: tensor<2x32x4xf32>,
    %wuk: tensor<4x24x16xf32>, %wuv: tensor<4x24x12xf32>) -> (tensor<2x4x8x12xf32>, tensor<3x4x8xf32>) {
  // expected-error @+1 {{expects the batch size of lse (3) to equal that of q_nope (2)}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x24x16xf32>, tensor<4x24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x4x8x4xf32>, tensor<2x32x24xf32>, tensor<2x32x4xf32> -> tensor<2x4x8x12xf32>, tensor<3x4x8xf32>
  return %out, %lse : tensor<2x4x8x12xf32>, tensor<3x4x8xf32>
}

// -----

func.func @mla_lse_heads(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x8x4xf32>, %c: tensor<2x32x24xf32>, %kr: tensor<2x32x4xf32>,
    %wuk: tensor<4x24x16xf32>, %wuv: tensor<4x24x12xf32>) -> (tensor<2x4x8x12xf32>, tensor<2x2x8xf32>) {
  // expected-error @+1 {{expects the number of heads of lse (2) to equal that of q_nope (4)}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x24x16xf32>, tensor<4x24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x4x8x4xf32>, tensor<2x32x24xf32>, tensor<2x32x4xf32> -> tensor<2x4x8x12xf32>, tensor<2x2x8xf32>
  return %out, %lse : tensor<2x4x8x12xf32>, tensor<2x2x8xf32>
}

// -----

func.func @mla_lse_query_length(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x8x4xf32>, %c: tensor<2x32x24xf32>, %kr: tensor<2x32x4xf32>,
    %wuk: tensor<4x24x16xf32>, %wuv: tensor<4x24x12xf32>) -> (tensor<2x4x8x12xf32>, tensor<2x4x4xf32>) {
  // expected-error @+1 {{expects the query length of lse (4) to equal that of q_nope (8)}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr 
      up_proj(%wuk, %wuv : tensor<4x24x16xf32>, tensor<4x24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x4x8x4xf32>, tensor<2x32x24xf32>, tensor<2x32x4xf32> -> tensor<2x4x8x12xf32>, tensor<2x4x4xf32>
  return %out, %lse : tensor<2x4x8x12xf32>, tensor<2x4x4xf32>
}

// -----

func.func @mla_scale(%qn: tensor<2x4x8x16xf32>, %qr: tensor<2x4x8x4xf32>, %c: tensor<2x32x24xf32>, %kr: tensor<2x32x4xf32>,
    %wuk: tensor<4x24x16xf32>, %wuv: tensor<4x24x12xf32>) -> (tensor<2x4x8x12xf32>, tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects a finite scale, got nan}}
  %out, %lse = celeris.mla %qn, %qr, %c, %kr scale 0x7FC00000
      up_proj(%wuk, %wuv : tensor<4x24x16xf32>, tensor<4x24x12xf32>) :
      tensor<2x4x8x16xf32>, tensor<2x4x8x4xf32>, tensor<2x32x24xf32>, tensor<2x32x4xf32> -> tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
  return %out, %lse : tensor<2x4x8x12xf32>, tensor<2x4x8xf32>
}
