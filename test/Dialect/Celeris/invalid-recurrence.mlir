// RUN: celeris-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// celeris.recurrence
//===----------------------------------------------------------------------===//

func.func @query_element_type(%q: tensor<2x8x64x32xi32>, %k: tensor<2x8x64x32xf32>,
                              %v: tensor<2x8x64x16xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values}}
  %o = celeris.recurrence %q, %k, %v
      : tensor<2x8x64x32xi32>, tensor<2x8x64x32xf32>, tensor<2x8x64x16xf32>
      -> tensor<2x8x64x16xf32>
  return
}

// -----

func.func @state_element_type(%q: tensor<2x8x64x32xf32>, %v: tensor<2x8x64x16xf32>,
                              %s0: tensor<2x8x32x16xbf16>) {
  // expected-error @+1 {{operand #3 must be ranked tensor of 32-bit float values, but got 'tensor<2x8x32x16xbf16>'}}
  %o = celeris.recurrence %q, %q, %v initial_state(%s0 : tensor<2x8x32x16xbf16>)
      : tensor<2x8x64x32xf32>, tensor<2x8x64x32xf32>, tensor<2x8x64x16xf32>
      -> tensor<2x8x64x16xf32>
  return
}

// -----

func.func @final_state_element_type(%q: tensor<2x8x64x32xf32>,
                                    %v: tensor<2x8x64x16xf32>) {
  // expected-error @+1 {{result #1 must be ranked tensor of 32-bit float values}}
  %o, %s = celeris.recurrence %q, %q, %v
      : tensor<2x8x64x32xf32>, tensor<2x8x64x32xf32>, tensor<2x8x64x16xf32>
      -> tensor<2x8x64x16xf32>, tensor<2x8x32x16xf16>
  return
}

// -----

func.func @operand_segments(%q: tensor<2x8x64x32xf32>, %v: tensor<2x8x64x16xf32>) {
  // expected-error @+1 {{operand count (3) does not match with the total size (4) specified in attribute 'operandSegmentSizes'}}
  %o = "celeris.recurrence"(%q, %q, %v)
      <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 0, 0>}>
      : (tensor<2x8x64x32xf32>, tensor<2x8x64x32xf32>, tensor<2x8x64x16xf32>)
      -> tensor<2x8x64x16xf32>
  return
}

// -----

func.func @query_rank(%q: tensor<8x64x32xf32>, %k: tensor<2x8x64x32xf32>,
                      %v: tensor<2x8x64x16xf32>) {
  // expected-error @+1 {{expects query to have rank 4 ([B, H, S, Dk]), got 'tensor<8x64x32xf32>'}}
  %o = celeris.recurrence %q, %k, %v
      : tensor<8x64x32xf32>, tensor<2x8x64x32xf32>, tensor<2x8x64x16xf32>
      -> tensor<2x8x64x16xf32>
  return
}

// -----

func.func @key_element_type(%q: tensor<2x8x64x32xbf16>, %k: tensor<2x8x64x32xf32>,
                            %v: tensor<2x8x64x16xbf16>) {
  // expected-error @+1 {{expects key to have the element type of query ('bf16'), got 'f32'}}
  %o = celeris.recurrence %q, %k, %v
      : tensor<2x8x64x32xbf16>, tensor<2x8x64x32xf32>, tensor<2x8x64x16xbf16>
      -> tensor<2x8x64x16xbf16>
  return
}

// -----

func.func @value_batch(%q: tensor<2x8x64x32xf32>, %v: tensor<3x8x64x16xf32>) {
  // expected-error @+1 {{expects the batch size of value (3) to equal that of query (2)}}
  %o = celeris.recurrence %q, %q, %v
      : tensor<2x8x64x32xf32>, tensor<2x8x64x32xf32>, tensor<3x8x64x16xf32>
      -> tensor<2x8x64x16xf32>
  return
}

// -----

func.func @key_heads(%q: tensor<2x8x64x32xf32>, %k: tensor<2x4x64x32xf32>,
                     %v: tensor<2x8x64x16xf32>) {
  // expected-error @+1 {{expects the number of heads of key (4) to equal that of query (8)}}
  %o = celeris.recurrence %q, %k, %v
      : tensor<2x8x64x32xf32>, tensor<2x4x64x32xf32>, tensor<2x8x64x16xf32>
      -> tensor<2x8x64x16xf32>
  return
}

// -----

func.func @output_sequence(%q: tensor<2x8x64x32xf32>, %v: tensor<2x8x64x16xf32>) {
  // expected-error @+1 {{expects the sequence length of output (1) to equal that of query (64)}}
  %o = celeris.recurrence %q, %q, %v
      : tensor<2x8x64x32xf32>, tensor<2x8x64x32xf32>, tensor<2x8x64x16xf32>
      -> tensor<2x8x1x16xf32>
  return
}

// -----

func.func @key_head_dim(%q: tensor<2x8x64x32xf32>, %k: tensor<2x8x64x64xf32>,
                        %v: tensor<2x8x64x16xf32>) {
  // expected-error @+1 {{expects the key head dimension of key (64) to equal that of query (32)}}
  %o = celeris.recurrence %q, %k, %v
      : tensor<2x8x64x32xf32>, tensor<2x8x64x64xf32>, tensor<2x8x64x16xf32>
      -> tensor<2x8x64x16xf32>
  return
}

// -----

func.func @state_value_head_dim(%q: tensor<2x8x64x32xf32>, %v: tensor<2x8x64x16xf32>,
                                %s0: tensor<2x8x32x32xf32>) {
  // expected-error @+1 {{expects the value head dimension of initial_state (32) to equal that of value (16)}}
  %o = celeris.recurrence %q, %q, %v initial_state(%s0 : tensor<2x8x32x32xf32>)
      : tensor<2x8x64x32xf32>, tensor<2x8x64x32xf32>, tensor<2x8x64x16xf32>
      -> tensor<2x8x64x16xf32>
  return
}

// -----

func.func @decay_without_kind(%q: tensor<2x8x64x32xf32>, %v: tensor<2x8x64x16xf32>,
                              %g: tensor<2x8x64xf32>) {
  // expected-error @+1 {{expects no decay operand for decay kind 'none'}}
  %o = "celeris.recurrence"(%q, %q, %v, %g)
      <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 0, 0>}>
      : (tensor<2x8x64x32xf32>, tensor<2x8x64x32xf32>, tensor<2x8x64x16xf32>,
         tensor<2x8x64xf32>) -> tensor<2x8x64x16xf32>
  return
}

// -----

func.func @missing_decay(%q: tensor<2x8x64x32xf32>, %v: tensor<2x8x64x16xf32>) {
  // expected-error @+1 {{expects a decay operand of shape [B, H, S] for decay kind 'scalar'}}
  %o = celeris.recurrence %q, %q, %v decay scalar
      : tensor<2x8x64x32xf32>, tensor<2x8x64x32xf32>, tensor<2x8x64x16xf32>
      -> tensor<2x8x64x16xf32>
  return
}

// -----

func.func @decay_rank(%q: tensor<2x8x64x32xf32>, %v: tensor<2x8x64x16xf32>,
                      %g: tensor<2x8x64xf32>) {
  // expected-error @+1 {{expects decay to have rank 4 ([B, H, S, Dk] for decay kind 'vector'), got 'tensor<2x8x64xf32>'}}
  %o = celeris.recurrence %q, %q, %v decay vector(%g : tensor<2x8x64xf32>)
      : tensor<2x8x64x32xf32>, tensor<2x8x64x32xf32>, tensor<2x8x64x16xf32>
      -> tensor<2x8x64x16xf32>
  return
}

// -----

func.func @beta_with_additive(%q: tensor<2x8x64x32xf32>, %v: tensor<2x8x64x16xf32>,
                              %beta: tensor<2x8x64xf32>) {
  // expected-error @+1 {{expects no beta operand for update kind 'additive'}}
  %o = "celeris.recurrence"(%q, %q, %v, %beta)
      <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 1, 0>}>
      : (tensor<2x8x64x32xf32>, tensor<2x8x64x32xf32>, tensor<2x8x64x16xf32>,
         tensor<2x8x64xf32>) -> tensor<2x8x64x16xf32>
  return
}

// -----

func.func @missing_beta(%q: tensor<2x8x64x32xf32>, %v: tensor<2x8x64x16xf32>) {
  // expected-error @+1 {{expects a beta operand of shape [B, H, S] for update kind 'delta'}}
  %o = celeris.recurrence %q, %q, %v update delta
      : tensor<2x8x64x32xf32>, tensor<2x8x64x32xf32>, tensor<2x8x64x16xf32>
      -> tensor<2x8x64x16xf32>
  return
}

// -----

func.func @infinite_scale(%q: tensor<2x8x64x32xf32>, %v: tensor<2x8x64x16xf32>) {
  // expected-error @+1 {{expects a finite scale, got INF}}
  %o = celeris.recurrence %q, %q, %v scale 0x7F800000
      : tensor<2x8x64x32xf32>, tensor<2x8x64x32xf32>, tensor<2x8x64x16xf32>
      -> tensor<2x8x64x16xf32>
  return
}

//===----------------------------------------------------------------------===//
// celeris.scan
//===----------------------------------------------------------------------===//

// -----

func.func @scan_element_type(%a: tensor<16xi32>, %b: tensor<16xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values}}
  %h = celeris.scan %a, %b axis 0 : tensor<16xi32>, tensor<16xf32> -> tensor<16xf32>
  return
}

// -----

func.func @scan_result_type(%a: tensor<16xf32>, %b: tensor<16xf32>) {
  // expected-error @+1 {{result #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values}}
  %h = celeris.scan %a, %b axis 0 : tensor<16xf32>, tensor<16xf32> -> tensor<16xi32>
  return
}

// -----

func.func @scan_missing_axis(%a: tensor<16xf32>, %b: tensor<16xf32>) {
  // expected-error @+1 {{requires attribute 'axis'}}
  %h = "celeris.scan"(%a, %b) : (tensor<16xf32>, tensor<16xf32>) -> tensor<16xf32>
  return
}

// -----

func.func @scan_rank0(%a: tensor<f32>) {
  // expected-error @+1 {{expects a to have rank at least 1, got 'tensor<f32>'}}
  %h = celeris.scan %a, %a axis 0 : tensor<f32>, tensor<f32> -> tensor<f32>
  return
}

// -----

func.func @scan_b_rank(%a: tensor<4x16xf32>, %b: tensor<16xf32>) {
  // expected-error @+1 {{expects b to have rank 2 (the rank of a), got 'tensor<16xf32>'}}
  %h = celeris.scan %a, %b axis 1 : tensor<4x16xf32>, tensor<16xf32> -> tensor<4x16xf32>
  return
}

// -----

func.func @scan_b_element_type(%a: tensor<4x16xf32>, %b: tensor<4x16xbf16>) {
  // expected-error @+1 {{expects b to have the element type of a ('f32'), got 'bf16'}}
  %h = celeris.scan %a, %b axis 1 : tensor<4x16xf32>, tensor<4x16xbf16> -> tensor<4x16xbf16>
  return
}

// -----

func.func @scan_result_dim(%a: tensor<4x16xf32>, %b: tensor<4x16xf32>) {
  // expected-error @+1 {{expects dimension 1 of h (8) to equal that of b (16)}}
  %h = celeris.scan %a, %b axis 1 : tensor<4x16xf32>, tensor<4x16xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @scan_axis(%a: tensor<4x16xf32>, %b: tensor<4x16xf32>) {
  // expected-error @+1 {{expects axis (2) to be in [0, 2), the dimensions of a}}
  %h = celeris.scan %a, %b axis 2 : tensor<4x16xf32>, tensor<4x16xf32> -> tensor<4x16xf32>
  return
}

// -----

func.func @scan_initial_rank(%a: tensor<4x16xf32>, %h0: tensor<4x16xf32>) {
  // expected-error @+1 {{expects initial to have rank 1 (the shape of a without the scan axis), got 'tensor<4x16xf32>'}}
  %h = celeris.scan %a, %a initial(%h0 : tensor<4x16xf32>) axis 1
      : tensor<4x16xf32>, tensor<4x16xf32> -> tensor<4x16xf32>
  return
}

// -----

func.func @scan_initial_dim(%a: tensor<4x16x8xf32>, %h0: tensor<4x16xf32>) {
  // expected-error @+1 {{expects dimension 1 of initial (16) to equal dimension 2 of a (8), the scan axis removed}}
  %h = celeris.scan %a, %a initial(%h0 : tensor<4x16xf32>) axis 1
      : tensor<4x16x8xf32>, tensor<4x16x8xf32> -> tensor<4x16x8xf32>
  return
}

//===----------------------------------------------------------------------===//
// celeris.selective_scan
//===----------------------------------------------------------------------===//

// -----

func.func @ss_u_element_type(%u: tensor<2x64x128xi32>, %x: tensor<2x64x128xf32>,
                             %A: tensor<64x16xf32>, %B: tensor<2x16x128xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values}}
  %y = celeris.selective_scan %u, %x, %A, %B, %B
      : tensor<2x64x128xi32>, tensor<2x64x128xf32>, tensor<64x16xf32>,
        tensor<2x16x128xf32>, tensor<2x16x128xf32> -> tensor<2x64x128xf32>
  return
}

// -----

func.func @ss_A_element_type(%u: tensor<2x64x128xbf16>, %A: tensor<64x16xbf16>,
                             %B: tensor<2x16x128xbf16>) {
  // expected-error @+1 {{operand #2 must be ranked tensor of 32-bit float values}}
  %y = celeris.selective_scan %u, %u, %A, %B, %B
      : tensor<2x64x128xbf16>, tensor<2x64x128xbf16>, tensor<64x16xbf16>,
        tensor<2x16x128xbf16>, tensor<2x16x128xbf16> -> tensor<2x64x128xbf16>
  return
}

// -----

func.func @ss_last_state_element_type(%u: tensor<2x64x128xbf16>, %A: tensor<64x16xf32>,
                                      %B: tensor<2x16x128xbf16>) {
  // expected-error @+1 {{result #1 must be ranked tensor of 32-bit float values}}
  %y, %last = celeris.selective_scan %u, %u, %A, %B, %B
      : tensor<2x64x128xbf16>, tensor<2x64x128xbf16>, tensor<64x16xf32>,
        tensor<2x16x128xbf16>, tensor<2x16x128xbf16>
      -> tensor<2x64x128xbf16>, tensor<2x64x16xbf16>
  return
}

// -----

func.func @ss_A_rank(%u: tensor<2x64x128xf32>, %A: tensor<64xf32>,
                     %B: tensor<2x16x128xf32>) {
  // expected-error @+1 {{expects A to have rank 2 ([D, N]), got 'tensor<64xf32>'}}
  %y = celeris.selective_scan %u, %u, %A, %B, %B
      : tensor<2x64x128xf32>, tensor<2x64x128xf32>, tensor<64xf32>,
        tensor<2x16x128xf32>, tensor<2x16x128xf32> -> tensor<2x64x128xf32>
  return
}

// -----

func.func @ss_C_element_type(%u: tensor<2x64x128xf32>, %A: tensor<64x16xf32>,
                             %B: tensor<2x16x128xf32>, %C: tensor<2x16x128xf16>) {
  // expected-error @+1 {{expects C to have the element type of u ('f32'), got 'f16'}}
  %y = celeris.selective_scan %u, %u, %A, %B, %C
      : tensor<2x64x128xf32>, tensor<2x64x128xf32>, tensor<64x16xf32>,
        tensor<2x16x128xf32>, tensor<2x16x128xf16> -> tensor<2x64x128xf32>
  return
}

// -----

func.func @ss_batch(%u: tensor<2x64x128xf32>, %A: tensor<64x16xf32>,
                    %B: tensor<3x16x128xf32>) {
  // expected-error @+1 {{expects the batch size of Bmat (3) to equal that of u (2)}}
  %y = celeris.selective_scan %u, %u, %A, %B, %B
      : tensor<2x64x128xf32>, tensor<2x64x128xf32>, tensor<64x16xf32>,
        tensor<3x16x128xf32>, tensor<3x16x128xf32> -> tensor<2x64x128xf32>
  return
}

// -----

func.func @ss_channels(%u: tensor<2x64x128xf32>, %A: tensor<64x16xf32>,
                       %B: tensor<2x16x128xf32>, %D: tensor<32xf32>) {
  // expected-error @+1 {{expects the number of channels of D (32) to equal that of u (64)}}
  %y = celeris.selective_scan %u, %u, %A, %B, %B D(%D : tensor<32xf32>)
      : tensor<2x64x128xf32>, tensor<2x64x128xf32>, tensor<64x16xf32>,
        tensor<2x16x128xf32>, tensor<2x16x128xf32> -> tensor<2x64x128xf32>
  return
}

// -----

func.func @ss_length(%u: tensor<2x64x128xf32>, %A: tensor<64x16xf32>,
                     %B: tensor<2x16x128xf32>, %z: tensor<2x64x64xf32>) {
  // expected-error @+1 {{expects the sequence length of z (64) to equal that of u (128)}}
  %y = celeris.selective_scan %u, %u, %A, %B, %B z(%z : tensor<2x64x64xf32>)
      : tensor<2x64x128xf32>, tensor<2x64x128xf32>, tensor<64x16xf32>,
        tensor<2x16x128xf32>, tensor<2x16x128xf32> -> tensor<2x64x128xf32>
  return
}

// -----

func.func @ss_state_size(%u: tensor<2x64x128xf32>, %A: tensor<64x16xf32>,
                         %B: tensor<2x16x128xf32>) {
  // expected-error @+1 {{expects the state size of last_state (8) to equal that of A (16)}}
  %y, %last = celeris.selective_scan %u, %u, %A, %B, %B
      : tensor<2x64x128xf32>, tensor<2x64x128xf32>, tensor<64x16xf32>,
        tensor<2x16x128xf32>, tensor<2x16x128xf32>
      -> tensor<2x64x128xf32>, tensor<2x64x8xf32>
  return
}
