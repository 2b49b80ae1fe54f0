// RUN: celeris-opt %s -split-input-file -verify-diagnostics

func.func @route_logits_int(%logits: tensor<16x64xi32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values}}
  %w, %i = celeris.route %logits k 2 : tensor<16x64xi32> -> tensor<16x2xf32>, tensor<16x2xi32>
  return
}

// -----

func.func @route_bias_bf16(%logits: tensor<16x64xf32>, %bias: tensor<64xbf16>) {
  // expected-error @+1 {{operand #1 must be ranked tensor of 32-bit float values}}
  %w, %i = celeris.route %logits bias(%bias : tensor<64xbf16>) k 2 : tensor<16x64xf32> -> tensor<16x2xf32>, tensor<16x2xi32>
  return
}

// -----

func.func @route_weights_bf16(%logits: tensor<16x64xf32>) {
  // expected-error @+1 {{result #0 must be ranked tensor of 32-bit float values}}
  %w, %i = celeris.route %logits k 2 : tensor<16x64xf32> -> tensor<16x2xbf16>, tensor<16x2xi32>
  return
}

// -----

func.func @route_indices_i64(%logits: tensor<16x64xf32>) {
  // expected-error @+1 {{result #1 must be ranked tensor of 32-bit signless integer values}}
  %w, %i = celeris.route %logits k 2 : tensor<16x64xf32> -> tensor<16x2xf32>, tensor<16x2xi64>
  return
}

// -----

func.func @route_k_zero(%logits: tensor<16x64xf32>) {
  // expected-error @+1 {{attribute 'k' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %w, %i = celeris.route %logits k 0 : tensor<16x64xf32> -> tensor<16x2xf32>, tensor<16x2xi32>
  return
}

// -----

func.func @dispatch_permuted_int(%x: tensor<16x32xf32>, %experts: tensor<16x2xi32>) {
  // expected-error @+1 {{result #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values}}
  %p, %o, %r = celeris.dispatch %x, %experts num_experts 8 : tensor<16x32xf32>, tensor<16x2xi32> -> tensor<32x32xi32>, tensor<8xi32>, tensor<16x2xi32>
  return
}

// -----

func.func @dispatch_experts_i64(%x: tensor<16x32xf32>, %experts: tensor<16x2xi64>) {
  // expected-error @+1 {{operand #1 must be ranked tensor of 32-bit signless integer values}}
  %p, %o, %r = celeris.dispatch %x, %experts num_experts 8 : tensor<16x32xf32>, tensor<16x2xi64> -> tensor<32x32xf32>, tensor<8xi32>, tensor<16x2xi32>
  return
}

// -----

func.func @route_missing_k(%logits: tensor<16x64xf32>) {
  // expected-error @+1 {{requires attribute 'k'}}
  %w, %i = "celeris.route"(%logits) : (tensor<16x64xf32>) -> (tensor<16x2xf32>, tensor<16x2xi32>)
  return
}

// -----

func.func @moe_bad_segments(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<8x64x32xbf16>, %down: tensor<8x32x64xbf16>) {
  // expected-error @+1 {{operand count (5) does not match with the total size (4) specified in attribute 'operandSegmentSizes'}}
  %out = "celeris.moe"(%x, %router, %gate, %up, %down) <{k = 2 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 0, 0, 0, 0, 0>}> : (tensor<16x64xbf16>, tensor<64x8xf32>, tensor<8x64x32xbf16>, tensor<8x64x32xbf16>, tensor<8x32x64xbf16>) -> tensor<16x64xbf16>
  return
}

// -----

func.func @route_logits_rank(%logits: tensor<16xf32>) {
  // expected-error @+1 {{expects logits to have rank 2 ([T, E]), got 'tensor<16xf32>'}}
  %w, %i = celeris.route %logits k 2 : tensor<16xf32> -> tensor<16x2xf32>, tensor<16x2xi32>
  return
}

// -----

func.func @route_bias_rank(%logits: tensor<16x64xf32>, %bias: tensor<1x64xf32>) {
  // expected-error @+1 {{expects bias to have rank 1 ([E]), got 'tensor<1x64xf32>'}}
  %w, %i = celeris.route %logits bias(%bias : tensor<1x64xf32>) k 2 : tensor<16x64xf32> -> tensor<16x2xf32>, tensor<16x2xi32>
  return
}

// -----

func.func @route_bias_experts(%logits: tensor<16x64xf32>, %bias: tensor<32xf32>) {
  // expected-error @+1 {{expects the number of experts of bias (32) to equal that of logits (64)}}
  %w, %i = celeris.route %logits bias(%bias : tensor<32xf32>) k 2 : tensor<16x64xf32> -> tensor<16x2xf32>, tensor<16x2xi32>
  return
}

// -----

func.func @route_ec_no_capacity(%logits: tensor<16x64xf32>) {
  // expected-error @+1 {{expects a capacity with expert_choice routing}}
  %w, %i = celeris.route %logits k 2 mode expert_choice : tensor<16x64xf32> -> tensor<64x4xf32>, tensor<64x4xi32>
  return
}

// -----

func.func @route_ec_renormalize(%logits: tensor<16x64xf32>) {
  // expected-error @+1 {{expects renormalize only with token_choice routing}}
  %w, %i = celeris.route %logits k 2 renormalize mode expert_choice capacity 4 : tensor<16x64xf32> -> tensor<64x4xf32>, tensor<64x4xi32>
  return
}

// -----

func.func @route_ec_groups(%logits: tensor<16x64xf32>) {
  // expected-error @+1 {{expects num_groups and topk_groups only with token_choice routing}}
  %w, %i = celeris.route %logits k 2 num_groups 8 topk_groups 2 mode expert_choice capacity 4 : tensor<16x64xf32> -> tensor<64x4xf32>, tensor<64x4xi32>
  return
}

// -----

func.func @route_ec_capacity_tokens(%logits: tensor<16x64xf32>) {
  // expected-error @+1 {{expects capacity (32) to be at most the number of tokens (16)}}
  %w, %i = celeris.route %logits k 2 mode expert_choice capacity 32 : tensor<16x64xf32> -> tensor<64x32xf32>, tensor<64x32xi32>
  return
}

// -----

func.func @route_tc_capacity(%logits: tensor<16x64xf32>) {
  // expected-error @+1 {{expects capacity only with expert_choice routing}}
  %w, %i = celeris.route %logits k 2 capacity 4 : tensor<16x64xf32> -> tensor<16x2xf32>, tensor<16x2xi32>
  return
}

// -----

func.func @route_ec_weights_rank(%logits: tensor<16x64xf32>) {
  // expected-error @+1 {{expects weights to have rank 2 ([E, capacity]), got 'tensor<256xf32>'}}
  %w, %i = celeris.route %logits k 2 mode expert_choice capacity 4 : tensor<16x64xf32> -> tensor<256xf32>, tensor<64x4xi32>
  return
}

// -----

func.func @route_ec_weights_experts(%logits: tensor<16x64xf32>) {
  // expected-error @+1 {{expects the number of experts of weights (32) to equal that of logits (64)}}
  %w, %i = celeris.route %logits k 2 mode expert_choice capacity 4 : tensor<16x64xf32> -> tensor<32x4xf32>, tensor<64x4xi32>
  return
}

// -----

func.func @route_ec_weights_capacity(%logits: tensor<16x64xf32>) {
  // expected-error @+1 {{expects the capacity dimension of weights to be 4, got 8}}
  %w, %i = celeris.route %logits k 2 mode expert_choice capacity 4 : tensor<16x64xf32> -> tensor<64x8xf32>, tensor<64x4xi32>
  return
}

// -----

func.func @route_ec_indices_rank(%logits: tensor<16x64xf32>) {
  // expected-error @+1 {{expects indices to have rank 2 ([E, capacity]), got 'tensor<256xi32>'}}
  %w, %i = celeris.route %logits k 2 mode expert_choice capacity 4 : tensor<16x64xf32> -> tensor<64x4xf32>, tensor<256xi32>
  return
}

// -----

func.func @route_ec_indices_experts(%logits: tensor<16x64xf32>) {
  // expected-error @+1 {{expects the number of experts of indices (32) to equal that of logits (64)}}
  %w, %i = celeris.route %logits k 2 mode expert_choice capacity 4 : tensor<16x64xf32> -> tensor<64x4xf32>, tensor<32x4xi32>
  return
}

// -----

func.func @route_ec_indices_capacity(%logits: tensor<16x64xf32>) {
  // expected-error @+1 {{expects the capacity dimension of indices to be 4, got 8}}
  %w, %i = celeris.route %logits k 2 mode expert_choice capacity 4 : tensor<16x64xf32> -> tensor<64x4xf32>, tensor<64x8xi32>
  return
}

// -----

func.func @route_tc_weights_rank(%logits: tensor<16x64xf32>) {
  // expected-error @+1 {{expects weights to have rank 2 ([T, k]), got 'tensor<32xf32>'}}
  %w, %i = celeris.route %logits k 2 : tensor<16x64xf32> -> tensor<32xf32>, tensor<16x2xi32>
  return
}

// -----

func.func @route_tc_weights_tokens(%logits: tensor<16x64xf32>) {
  // expected-error @+1 {{expects the number of tokens of weights (8) to equal that of logits (16)}}
  %w, %i = celeris.route %logits k 2 : tensor<16x64xf32> -> tensor<8x2xf32>, tensor<16x2xi32>
  return
}

// -----

func.func @route_tc_weights_k(%logits: tensor<16x64xf32>) {
  // expected-error @+1 {{expects the selection dimension of weights to be 2, got 3}}
  %w, %i = celeris.route %logits k 2 : tensor<16x64xf32> -> tensor<16x3xf32>, tensor<16x2xi32>
  return
}

// -----

func.func @route_tc_indices_rank(%logits: tensor<16x64xf32>) {
  // expected-error @+1 {{expects indices to have rank 2 ([T, k]), got 'tensor<32xi32>'}}
  %w, %i = celeris.route %logits k 2 : tensor<16x64xf32> -> tensor<16x2xf32>, tensor<32xi32>
  return
}

// -----

func.func @route_tc_indices_tokens(%logits: tensor<16x64xf32>) {
  // expected-error @+1 {{expects the number of tokens of indices (8) to equal that of logits (16)}}
  %w, %i = celeris.route %logits k 2 : tensor<16x64xf32> -> tensor<16x2xf32>, tensor<8x2xi32>
  return
}

// -----

func.func @route_tc_indices_k(%logits: tensor<16x64xf32>) {
  // expected-error @+1 {{expects the selection dimension of indices to be 2, got 3}}
  %w, %i = celeris.route %logits k 2 : tensor<16x64xf32> -> tensor<16x2xf32>, tensor<16x3xi32>
  return
}

// -----

func.func @route_k_experts(%logits: tensor<16x2xf32>) {
  // expected-error @+1 {{expects k (4) to be at most the number of experts (2)}}
  %w, %i = celeris.route %logits k 4 : tensor<16x2xf32> -> tensor<16x4xf32>, tensor<16x4xi32>
  return
}

// -----

func.func @route_groups_half(%logits: tensor<16x64xf32>) {
  // expected-error @+1 {{expects both num_groups and topk_groups, or neither}}
  %w, %i = celeris.route %logits k 2 num_groups 8 : tensor<16x64xf32> -> tensor<16x2xf32>, tensor<16x2xi32>
  return
}

// -----

func.func @route_topk_groups(%logits: tensor<16x64xf32>) {
  // expected-error @+1 {{expects topk_groups (16) to be at most num_groups (8)}}
  %w, %i = celeris.route %logits k 2 num_groups 8 topk_groups 16 : tensor<16x64xf32> -> tensor<16x2xf32>, tensor<16x2xi32>
  return
}

// -----

func.func @route_groups_divide(%logits: tensor<16x64xf32>) {
  // expected-error @+1 {{expects the number of experts (64) to be a multiple of num_groups (6)}}
  %w, %i = celeris.route %logits k 2 num_groups 6 topk_groups 2 : tensor<16x64xf32> -> tensor<16x2xf32>, tensor<16x2xi32>
  return
}

// -----

func.func @route_k_groups(%logits: tensor<16x16xf32>) {
  // expected-error @+1 {{expects k (8) to be at most the number of experts of the topk_groups best groups (4)}}
  %w, %i = celeris.route %logits k 8 num_groups 8 topk_groups 2 : tensor<16x16xf32> -> tensor<16x8xf32>, tensor<16x8xi32>
  return
}

// -----

func.func @route_scaling(%logits: tensor<16x64xf32>) {
  // expected-error @+1 {{expects a positive finite scaling_factor, got 0}}
  %w, %i = celeris.route %logits k 2 scaling_factor 0.0 : tensor<16x64xf32> -> tensor<16x2xf32>, tensor<16x2xi32>
  return
}

// -----

func.func @dispatch_x_rank(%x: tensor<16xf32>, %experts: tensor<16x2xi32>) {
  // expected-error @+1 {{expects x to have rank 2 ([T, d]), got 'tensor<16xf32>'}}
  %p, %o, %r = celeris.dispatch %x, %experts num_experts 8 : tensor<16xf32>, tensor<16x2xi32> -> tensor<32x32xf32>, tensor<8xi32>, tensor<16x2xi32>
  return
}

// -----

func.func @dispatch_experts_rank(%x: tensor<16x32xf32>, %experts: tensor<16xi32>) {
  // expected-error @+1 {{expects experts to have rank 2 ([T, k]), got 'tensor<16xi32>'}}
  %p, %o, %r = celeris.dispatch %x, %experts num_experts 8 : tensor<16x32xf32>, tensor<16xi32> -> tensor<32x32xf32>, tensor<8xi32>, tensor<16x2xi32>
  return
}

// -----

func.func @dispatch_permuted_rank(%x: tensor<16x32xf32>, %experts: tensor<16x2xi32>) {
  // expected-error @+1 {{expects permuted to have rank 2 ([T * k, d]), got 'tensor<32x32x1xf32>'}}
  %p, %o, %r = celeris.dispatch %x, %experts num_experts 8 : tensor<16x32xf32>, tensor<16x2xi32> -> tensor<32x32x1xf32>, tensor<8xi32>, tensor<16x2xi32>
  return
}

// -----

func.func @dispatch_offsets_rank(%x: tensor<16x32xf32>, %experts: tensor<16x2xi32>) {
  // expected-error @+1 {{expects offsets to have rank 1 ([E]), got 'tensor<1x8xi32>'}}
  %p, %o, %r = celeris.dispatch %x, %experts num_experts 8 : tensor<16x32xf32>, tensor<16x2xi32> -> tensor<32x32xf32>, tensor<1x8xi32>, tensor<16x2xi32>
  return
}

// -----

func.func @dispatch_row_map_rank(%x: tensor<16x32xf32>, %experts: tensor<16x2xi32>) {
  // expected-error @+1 {{expects row_map to have rank 2 ([T, k]), got 'tensor<32xi32>'}}
  %p, %o, %r = celeris.dispatch %x, %experts num_experts 8 : tensor<16x32xf32>, tensor<16x2xi32> -> tensor<32x32xf32>, tensor<8xi32>, tensor<32xi32>
  return
}

// -----

func.func @dispatch_permuted_type(%x: tensor<16x32xf32>, %experts: tensor<16x2xi32>) {
  // expected-error @+1 {{expects permuted to have the element type of x ('f32'), got 'bf16'}}
  %p, %o, %r = celeris.dispatch %x, %experts num_experts 8 : tensor<16x32xf32>, tensor<16x2xi32> -> tensor<32x32xbf16>, tensor<8xi32>, tensor<16x2xi32>
  return
}

// -----

func.func @dispatch_experts_tokens(%x: tensor<16x32xf32>, %experts: tensor<8x2xi32>) {
  // expected-error @+1 {{expects the number of tokens of experts (8) to equal that of x (16)}}
  %p, %o, %r = celeris.dispatch %x, %experts num_experts 8 : tensor<16x32xf32>, tensor<8x2xi32> -> tensor<16x32xf32>, tensor<8xi32>, tensor<16x2xi32>
  return
}

// -----

func.func @dispatch_row_map_tokens(%x: tensor<16x32xf32>, %experts: tensor<16x2xi32>) {
  // expected-error @+1 {{expects the number of tokens of row_map (8) to equal that of experts (16)}}
  %p, %o, %r = celeris.dispatch %x, %experts num_experts 8 : tensor<16x32xf32>, tensor<16x2xi32> -> tensor<32x32xf32>, tensor<8xi32>, tensor<8x2xi32>
  return
}

// -----

func.func @dispatch_row_map_k(%x: tensor<16x32xf32>, %experts: tensor<16x2xi32>) {
  // expected-error @+1 {{expects the selection dimension of row_map (4) to equal that of experts (2)}}
  %p, %o, %r = celeris.dispatch %x, %experts num_experts 8 : tensor<16x32xf32>, tensor<16x2xi32> -> tensor<32x32xf32>, tensor<8xi32>, tensor<16x4xi32>
  return
}

// -----

func.func @dispatch_permuted_model(%x: tensor<16x32xf32>, %experts: tensor<16x2xi32>) {
  // expected-error @+1 {{expects the model dimension of permuted (16) to equal that of x (32)}}
  %p, %o, %r = celeris.dispatch %x, %experts num_experts 8 : tensor<16x32xf32>, tensor<16x2xi32> -> tensor<32x16xf32>, tensor<8xi32>, tensor<16x2xi32>
  return
}

// -----

func.func @dispatch_permuted_rows(%x: tensor<16x32xf32>, %experts: tensor<16x2xi32>) {
  // expected-error @+1 {{expects the number of rows (T * k) of permuted to be 32, got 16}}
  %p, %o, %r = celeris.dispatch %x, %experts num_experts 8 : tensor<16x32xf32>, tensor<16x2xi32> -> tensor<16x32xf32>, tensor<8xi32>, tensor<16x2xi32>
  return
}

// -----

func.func @dispatch_offsets_experts(%x: tensor<16x32xf32>, %experts: tensor<16x2xi32>) {
  // expected-error @+1 {{expects the number of experts of offsets to be 8, got 4}}
  %p, %o, %r = celeris.dispatch %x, %experts num_experts 8 : tensor<16x32xf32>, tensor<16x2xi32> -> tensor<32x32xf32>, tensor<4xi32>, tensor<16x2xi32>
  return
}

// -----

func.func @gm_swiglu_type(%x: tensor<32x64xbf16>, %w: tensor<8x64x16xbf16>, %offsets: tensor<8xi32>, %u: tensor<8x64x32xbf16>) {
  // expected-error @+1 {{swiglu's w_up must have w's type 'tensor<8x64x16xbf16>', got 'tensor<8x64x32xbf16>'}}
  %y = celeris.grouped_matmul %x, %w, %offsets swiglu(%u : tensor<8x64x32xbf16>) : tensor<32x64xbf16>, tensor<8x64x16xbf16>, tensor<8xi32> -> tensor<32x16xbf16>
  return
}

// -----

func.func @gm_x_rank(%x: tensor<32xbf16>, %w: tensor<8x64x16xbf16>, %offsets: tensor<8xi32>) {
  // expected-error @+1 {{expects x to have rank 2 ([N, d]), got 'tensor<32xbf16>'}}
  %y = celeris.grouped_matmul %x, %w, %offsets : tensor<32xbf16>, tensor<8x64x16xbf16>, tensor<8xi32> -> tensor<32x16xbf16>
  return
}

// -----

func.func @gm_w_rank(%x: tensor<32x64xbf16>, %w: tensor<64x16xbf16>, %offsets: tensor<8xi32>) {
  // expected-error @+1 {{expects w to have rank 3 ([E, d, f]), got 'tensor<64x16xbf16>'}}
  %y = celeris.grouped_matmul %x, %w, %offsets : tensor<32x64xbf16>, tensor<64x16xbf16>, tensor<8xi32> -> tensor<32x16xbf16>
  return
}

// -----

func.func @gm_offsets_rank(%x: tensor<32x64xbf16>, %w: tensor<8x64x16xbf16>, %offsets: tensor<8x1xi32>) {
  // expected-error @+1 {{expects offsets to have rank 1 ([E]), got 'tensor<8x1xi32>'}}
  %y = celeris.grouped_matmul %x, %w, %offsets : tensor<32x64xbf16>, tensor<8x64x16xbf16>, tensor<8x1xi32> -> tensor<32x16xbf16>
  return
}

// -----

func.func @gm_y_rank(%x: tensor<32x64xbf16>, %w: tensor<8x64x16xbf16>, %offsets: tensor<8xi32>) {
  // expected-error @+1 {{expects y to have rank 2 ([N, f]), got 'tensor<32x1x16xbf16>'}}
  %y = celeris.grouped_matmul %x, %w, %offsets : tensor<32x64xbf16>, tensor<8x64x16xbf16>, tensor<8xi32> -> tensor<32x1x16xbf16>
  return
}

// -----

func.func @gm_w_type(%x: tensor<32x64xbf16>, %w: tensor<8x64x16xf16>, %offsets: tensor<8xi32>) {
  // expected-error @+1 {{expects w to have the element type of x ('bf16'), got 'f16'}}
  %y = celeris.grouped_matmul %x, %w, %offsets : tensor<32x64xbf16>, tensor<8x64x16xf16>, tensor<8xi32> -> tensor<32x16xbf16>
  return
}

// -----

func.func @gm_y_type(%x: tensor<32x64xbf16>, %w: tensor<8x64x16xbf16>, %offsets: tensor<8xi32>) {
  // expected-error @+1 {{expects y to have the element type of x ('bf16'), got 'f32'}}
  %y = celeris.grouped_matmul %x, %w, %offsets : tensor<32x64xbf16>, tensor<8x64x16xbf16>, tensor<8xi32> -> tensor<32x16xf32>
  return
}

// -----

func.func @gm_input_dim(%x: tensor<32x64xbf16>, %w: tensor<8x32x16xbf16>, %offsets: tensor<8xi32>) {
  // expected-error @+1 {{expects the input dimension of w (32) to equal that of x (64)}}
  %y = celeris.grouped_matmul %x, %w, %offsets : tensor<32x64xbf16>, tensor<8x32x16xbf16>, tensor<8xi32> -> tensor<32x16xbf16>
  return
}

// -----

func.func @gm_groups(%x: tensor<32x64xbf16>, %w: tensor<8x64x16xbf16>, %offsets: tensor<4xi32>) {
  // expected-error @+1 {{expects the number of groups of offsets (4) to equal that of w (8)}}
  %y = celeris.grouped_matmul %x, %w, %offsets : tensor<32x64xbf16>, tensor<8x64x16xbf16>, tensor<4xi32> -> tensor<32x16xbf16>
  return
}

// -----

func.func @gm_rows(%x: tensor<32x64xbf16>, %w: tensor<8x64x16xbf16>, %offsets: tensor<8xi32>) {
  // expected-error @+1 {{expects the number of rows of y (16) to equal that of x (32)}}
  %y = celeris.grouped_matmul %x, %w, %offsets : tensor<32x64xbf16>, tensor<8x64x16xbf16>, tensor<8xi32> -> tensor<16x16xbf16>
  return
}

// -----

func.func @gm_output_dim(%x: tensor<32x64xbf16>, %w: tensor<8x64x16xbf16>, %offsets: tensor<8xi32>) {
  // expected-error @+1 {{expects the output dimension of y (8) to equal that of w (16)}}
  %y = celeris.grouped_matmul %x, %w, %offsets : tensor<32x64xbf16>, tensor<8x64x16xbf16>, tensor<8xi32> -> tensor<32x8xbf16>
  return
}

// -----

func.func @combine_y_rank(%y: tensor<32xbf16>, %weights: tensor<16x2xf32>, %row_map: tensor<16x2xi32>) {
  // expected-error @+1 {{expects y to have rank 2 ([N, f]), got 'tensor<32xbf16>'}}
  %out = celeris.combine %y, %weights, %row_map : tensor<32xbf16>, tensor<16x2xf32>, tensor<16x2xi32> -> tensor<16x16xbf16>
  return
}

// -----

func.func @combine_weights_rank(%y: tensor<32x16xbf16>, %weights: tensor<32xf32>, %row_map: tensor<16x2xi32>) {
  // expected-error @+1 {{expects weights to have rank 2 ([T, k]), got 'tensor<32xf32>'}}
  %out = celeris.combine %y, %weights, %row_map : tensor<32x16xbf16>, tensor<32xf32>, tensor<16x2xi32> -> tensor<16x16xbf16>
  return
}

// -----

func.func @combine_row_map_rank(%y: tensor<32x16xbf16>, %weights: tensor<16x2xf32>, %row_map: tensor<32xi32>) {
  // expected-error @+1 {{expects row_map to have rank 2 ([T, k]), got 'tensor<32xi32>'}}
  %out = celeris.combine %y, %weights, %row_map : tensor<32x16xbf16>, tensor<16x2xf32>, tensor<32xi32> -> tensor<16x16xbf16>
  return
}

// -----

func.func @combine_output_rank(%y: tensor<32x16xbf16>, %weights: tensor<16x2xf32>, %row_map: tensor<16x2xi32>) {
  // expected-error @+1 {{expects output to have rank 2 ([T, f]), got 'tensor<16xbf16>'}}
  %out = celeris.combine %y, %weights, %row_map : tensor<32x16xbf16>, tensor<16x2xf32>, tensor<16x2xi32> -> tensor<16xbf16>
  return
}

// -----

func.func @combine_weights_type(%y: tensor<32x16xbf16>, %weights: tensor<16x2xf16>, %row_map: tensor<16x2xi32>) {
  // expected-error @+1 {{expects weights to have element type f32 or that of y ('bf16'), got 'f16'}}
  %out = celeris.combine %y, %weights, %row_map : tensor<32x16xbf16>, tensor<16x2xf16>, tensor<16x2xi32> -> tensor<16x16xbf16>
  return
}

// -----

func.func @combine_output_type(%y: tensor<32x16xbf16>, %weights: tensor<16x2xf32>, %row_map: tensor<16x2xi32>) {
  // expected-error @+1 {{expects output to have the element type of y ('bf16'), got 'f32'}}
  %out = celeris.combine %y, %weights, %row_map : tensor<32x16xbf16>, tensor<16x2xf32>, tensor<16x2xi32> -> tensor<16x16xf32>
  return
}

// -----

func.func @combine_row_map_tokens(%y: tensor<32x16xbf16>, %weights: tensor<16x2xf32>, %row_map: tensor<8x2xi32>) {
  // expected-error @+1 {{expects the number of tokens of row_map (8) to equal that of weights (16)}}
  %out = celeris.combine %y, %weights, %row_map : tensor<32x16xbf16>, tensor<16x2xf32>, tensor<8x2xi32> -> tensor<16x16xbf16>
  return
}

// -----

func.func @combine_row_map_k(%y: tensor<32x16xbf16>, %weights: tensor<16x2xf32>, %row_map: tensor<16x4xi32>) {
  // expected-error @+1 {{expects the selection dimension of row_map (4) to equal that of weights (2)}}
  %out = celeris.combine %y, %weights, %row_map : tensor<32x16xbf16>, tensor<16x2xf32>, tensor<16x4xi32> -> tensor<16x16xbf16>
  return
}

// -----

func.func @combine_output_tokens(%y: tensor<32x16xbf16>, %weights: tensor<16x2xf32>, %row_map: tensor<16x2xi32>) {
  // expected-error @+1 {{expects the number of tokens of output (8) to equal that of weights (16)}}
  %out = celeris.combine %y, %weights, %row_map : tensor<32x16xbf16>, tensor<16x2xf32>, tensor<16x2xi32> -> tensor<8x16xbf16>
  return
}

// -----

func.func @combine_output_dim(%y: tensor<32x16xbf16>, %weights: tensor<16x2xf32>, %row_map: tensor<16x2xi32>) {
  // expected-error @+1 {{expects the output dimension of output (32) to equal that of y (16)}}
  %out = celeris.combine %y, %weights, %row_map : tensor<32x16xbf16>, tensor<16x2xf32>, tensor<16x2xi32> -> tensor<16x32xbf16>
  return
}

// -----

func.func @moe_x_rank(%x: tensor<64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<8x64x32xbf16>, %down: tensor<8x32x64xbf16>) {
  // expected-error @+1 {{expects x to have rank 2 ([T, d]), got 'tensor<64xbf16>'}}
  %out = celeris.moe %x, %router, %gate, %up, %down k 2 : tensor<64xbf16>, tensor<64x8xf32>, tensor<8x64x32xbf16>, tensor<8x64x32xbf16>, tensor<8x32x64xbf16> -> tensor<16x64xbf16>
  return
}

// -----

func.func @moe_router_rank(%x: tensor<16x64xbf16>, %router: tensor<64xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<8x64x32xbf16>, %down: tensor<8x32x64xbf16>) {
  // expected-error @+1 {{expects router_weight to have rank 2 ([d, E]), got 'tensor<64xf32>'}}
  %out = celeris.moe %x, %router, %gate, %up, %down k 2 : tensor<16x64xbf16>, tensor<64xf32>, tensor<8x64x32xbf16>, tensor<8x64x32xbf16>, tensor<8x32x64xbf16> -> tensor<16x64xbf16>
  return
}

// -----

func.func @moe_gate_rank(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<64x32xbf16>, %up: tensor<8x64x32xbf16>, %down: tensor<8x32x64xbf16>) {
  // expected-error @+1 {{expects w_gate to have rank 3 ([E, d, f]), got 'tensor<64x32xbf16>'}}
  %out = celeris.moe %x, %router, %gate, %up, %down k 2 : tensor<16x64xbf16>, tensor<64x8xf32>, tensor<64x32xbf16>, tensor<8x64x32xbf16>, tensor<8x32x64xbf16> -> tensor<16x64xbf16>
  return
}

// -----

func.func @moe_up_rank(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<64x32xbf16>, %down: tensor<8x32x64xbf16>) {
  // expected-error @+1 {{expects w_up to have rank 3 ([E, d, f]), got 'tensor<64x32xbf16>'}}
  %out = celeris.moe %x, %router, %gate, %up, %down k 2 : tensor<16x64xbf16>, tensor<64x8xf32>, tensor<8x64x32xbf16>, tensor<64x32xbf16>, tensor<8x32x64xbf16> -> tensor<16x64xbf16>
  return
}

// -----

func.func @moe_down_rank(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<8x64x32xbf16>, %down: tensor<32x64xbf16>) {
  // expected-error @+1 {{expects w_down to have rank 3 ([E, f, d]), got 'tensor<32x64xbf16>'}}
  %out = celeris.moe %x, %router, %gate, %up, %down k 2 : tensor<16x64xbf16>, tensor<64x8xf32>, tensor<8x64x32xbf16>, tensor<8x64x32xbf16>, tensor<32x64xbf16> -> tensor<16x64xbf16>
  return
}

// -----

func.func @moe_output_rank(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<8x64x32xbf16>, %down: tensor<8x32x64xbf16>) {
  // expected-error @+1 {{expects output to have rank 2 ([T, d]), got 'tensor<1024xbf16>'}}
  %out = celeris.moe %x, %router, %gate, %up, %down k 2 : tensor<16x64xbf16>, tensor<64x8xf32>, tensor<8x64x32xbf16>, tensor<8x64x32xbf16>, tensor<8x32x64xbf16> -> tensor<1024xbf16>
  return
}

// -----

func.func @moe_router_type(%x: tensor<16x64xbf16>, %router: tensor<64x8xf16>, %gate: tensor<8x64x32xbf16>, %up: tensor<8x64x32xbf16>, %down: tensor<8x32x64xbf16>) {
  // expected-error @+1 {{expects router_weight to have element type f32 or that of x ('bf16'), got 'f16'}}
  %out = celeris.moe %x, %router, %gate, %up, %down k 2 : tensor<16x64xbf16>, tensor<64x8xf16>, tensor<8x64x32xbf16>, tensor<8x64x32xbf16>, tensor<8x32x64xbf16> -> tensor<16x64xbf16>
  return
}

// -----

func.func @moe_gate_type(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xf32>, %up: tensor<8x64x32xbf16>, %down: tensor<8x32x64xbf16>) {
  // expected-error @+1 {{expects w_gate to have the element type of x ('bf16'), got 'f32'}}
  %out = celeris.moe %x, %router, %gate, %up, %down k 2 : tensor<16x64xbf16>, tensor<64x8xf32>, tensor<8x64x32xf32>, tensor<8x64x32xbf16>, tensor<8x32x64xbf16> -> tensor<16x64xbf16>
  return
}

// -----

func.func @moe_up_type(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<8x64x32xf32>, %down: tensor<8x32x64xbf16>) {
  // expected-error @+1 {{expects w_up to have the element type of x ('bf16'), got 'f32'}}
  %out = celeris.moe %x, %router, %gate, %up, %down k 2 : tensor<16x64xbf16>, tensor<64x8xf32>, tensor<8x64x32xbf16>, tensor<8x64x32xf32>, tensor<8x32x64xbf16> -> tensor<16x64xbf16>
  return
}

// -----

func.func @moe_down_type(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<8x64x32xbf16>, %down: tensor<8x32x64xf32>) {
  // expected-error @+1 {{expects w_down to have the element type of x ('bf16'), got 'f32'}}
  %out = celeris.moe %x, %router, %gate, %up, %down k 2 : tensor<16x64xbf16>, tensor<64x8xf32>, tensor<8x64x32xbf16>, tensor<8x64x32xbf16>, tensor<8x32x64xf32> -> tensor<16x64xbf16>
  return
}

// -----

func.func @moe_output_type(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<8x64x32xbf16>, %down: tensor<8x32x64xbf16>) {
  // expected-error @+1 {{expects output to have the element type of x ('bf16'), got 'f32'}}
  %out = celeris.moe %x, %router, %gate, %up, %down k 2 : tensor<16x64xbf16>, tensor<64x8xf32>, tensor<8x64x32xbf16>, tensor<8x64x32xbf16>, tensor<8x32x64xbf16> -> tensor<16x64xf32>
  return
}

// -----

func.func @moe_bias_rank(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<8x64x32xbf16>, %down: tensor<8x32x64xbf16>, %bias: tensor<1x8xf32>) {
  // expected-error @+1 {{expects bias to have rank 1 ([E]), got 'tensor<1x8xf32>'}}
  %out = celeris.moe %x, %router, %gate, %up, %down bias(%bias : tensor<1x8xf32>) k 2 : tensor<16x64xbf16>, tensor<64x8xf32>, tensor<8x64x32xbf16>, tensor<8x64x32xbf16>, tensor<8x32x64xbf16> -> tensor<16x64xbf16>
  return
}

// -----

func.func @moe_shared_partial(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<8x64x32xbf16>, %down: tensor<8x32x64xbf16>, %sg: tensor<64x24xbf16>) {
  // expected-error @+1 {{expects all three shared expert weights (shared_gate, shared_up, shared_down) or none}}
  %out = "celeris.moe"(%x, %router, %gate, %up, %down, %sg) <{k = 2 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 1, 0, 0>}> : (tensor<16x64xbf16>, tensor<64x8xf32>, tensor<8x64x32xbf16>, tensor<8x64x32xbf16>, tensor<8x32x64xbf16>, tensor<64x24xbf16>) -> tensor<16x64xbf16>
  return
}

// -----

func.func @moe_shared_gate_rank(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<8x64x32xbf16>, %down: tensor<8x32x64xbf16>, %sg: tensor<64xbf16>, %su: tensor<64x24xbf16>, %sd: tensor<24x64xbf16>) {
  // expected-error @+1 {{expects shared_gate to have rank 2 ([d, fs]), got 'tensor<64xbf16>'}}
  %out = celeris.moe %x, %router, %gate, %up, %down shared(%sg, %su, %sd : tensor<64xbf16>, tensor<64x24xbf16>, tensor<24x64xbf16>) k 2 : tensor<16x64xbf16>, tensor<64x8xf32>, tensor<8x64x32xbf16>, tensor<8x64x32xbf16>, tensor<8x32x64xbf16> -> tensor<16x64xbf16>
  return
}

// -----

func.func @moe_shared_up_rank(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<8x64x32xbf16>, %down: tensor<8x32x64xbf16>, %sg: tensor<64x24xbf16>, %su: tensor<64xbf16>, %sd: tensor<24x64xbf16>) {
  // expected-error @+1 {{expects shared_up to have rank 2 ([d, fs]), got 'tensor<64xbf16>'}}
  %out = celeris.moe %x, %router, %gate, %up, %down shared(%sg, %su, %sd : tensor<64x24xbf16>, tensor<64xbf16>, tensor<24x64xbf16>) k 2 : tensor<16x64xbf16>, tensor<64x8xf32>, tensor<8x64x32xbf16>, tensor<8x64x32xbf16>, tensor<8x32x64xbf16> -> tensor<16x64xbf16>
  return
}

// -----

func.func @moe_shared_down_rank(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<8x64x32xbf16>, %down: tensor<8x32x64xbf16>, %sg: tensor<64x24xbf16>, %su: tensor<64x24xbf16>, %sd: tensor<64xbf16>) {
  // expected-error @+1 {{expects shared_down to have rank 2 ([fs, d]), got 'tensor<64xbf16>'}}
  %out = celeris.moe %x, %router, %gate, %up, %down shared(%sg, %su, %sd : tensor<64x24xbf16>, tensor<64x24xbf16>, tensor<64xbf16>) k 2 : tensor<16x64xbf16>, tensor<64x8xf32>, tensor<8x64x32xbf16>, tensor<8x64x32xbf16>, tensor<8x32x64xbf16> -> tensor<16x64xbf16>
  return
}

// -----

func.func @moe_shared_gate_type(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<8x64x32xbf16>, %down: tensor<8x32x64xbf16>, %sg: tensor<64x24xf32>, %su: tensor<64x24xbf16>, %sd: tensor<24x64xbf16>) {
  // expected-error @+1 {{expects shared_gate to have the element type of x ('bf16'), got 'f32'}}
  %out = celeris.moe %x, %router, %gate, %up, %down shared(%sg, %su, %sd : tensor<64x24xf32>, tensor<64x24xbf16>, tensor<24x64xbf16>) k 2 : tensor<16x64xbf16>, tensor<64x8xf32>, tensor<8x64x32xbf16>, tensor<8x64x32xbf16>, tensor<8x32x64xbf16> -> tensor<16x64xbf16>
  return
}

// -----

func.func @moe_shared_up_type(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<8x64x32xbf16>, %down: tensor<8x32x64xbf16>, %sg: tensor<64x24xbf16>, %su: tensor<64x24xf32>, %sd: tensor<24x64xbf16>) {
  // expected-error @+1 {{expects shared_up to have the element type of x ('bf16'), got 'f32'}}
  %out = celeris.moe %x, %router, %gate, %up, %down shared(%sg, %su, %sd : tensor<64x24xbf16>, tensor<64x24xf32>, tensor<24x64xbf16>) k 2 : tensor<16x64xbf16>, tensor<64x8xf32>, tensor<8x64x32xbf16>, tensor<8x64x32xbf16>, tensor<8x32x64xbf16> -> tensor<16x64xbf16>
  return
}

// -----

func.func @moe_shared_down_type(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<8x64x32xbf16>, %down: tensor<8x32x64xbf16>, %sg: tensor<64x24xbf16>, %su: tensor<64x24xbf16>, %sd: tensor<24x64xf32>) {
  // expected-error @+1 {{expects shared_down to have the element type of x ('bf16'), got 'f32'}}
  %out = celeris.moe %x, %router, %gate, %up, %down shared(%sg, %su, %sd : tensor<64x24xbf16>, tensor<64x24xbf16>, tensor<24x64xf32>) k 2 : tensor<16x64xbf16>, tensor<64x8xf32>, tensor<8x64x32xbf16>, tensor<8x64x32xbf16>, tensor<8x32x64xbf16> -> tensor<16x64xbf16>
  return
}

// -----

func.func @moe_shared_up_hidden(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<8x64x32xbf16>, %down: tensor<8x32x64xbf16>, %sg: tensor<64x24xbf16>, %su: tensor<64x12xbf16>, %sd: tensor<24x64xbf16>) {
  // expected-error @+1 {{expects the shared expert hidden dimension of shared_up (12) to equal that of shared_gate (24)}}
  %out = celeris.moe %x, %router, %gate, %up, %down shared(%sg, %su, %sd : tensor<64x24xbf16>, tensor<64x12xbf16>, tensor<24x64xbf16>) k 2 : tensor<16x64xbf16>, tensor<64x8xf32>, tensor<8x64x32xbf16>, tensor<8x64x32xbf16>, tensor<8x32x64xbf16> -> tensor<16x64xbf16>
  return
}

// -----

func.func @moe_shared_down_hidden(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<8x64x32xbf16>, %down: tensor<8x32x64xbf16>, %sg: tensor<64x24xbf16>, %su: tensor<64x24xbf16>, %sd: tensor<12x64xbf16>) {
  // expected-error @+1 {{expects the shared expert hidden dimension of shared_down (12) to equal that of shared_gate (24)}}
  %out = celeris.moe %x, %router, %gate, %up, %down shared(%sg, %su, %sd : tensor<64x24xbf16>, tensor<64x24xbf16>, tensor<12x64xbf16>) k 2 : tensor<16x64xbf16>, tensor<64x8xf32>, tensor<8x64x32xbf16>, tensor<8x64x32xbf16>, tensor<8x32x64xbf16> -> tensor<16x64xbf16>
  return
}

// -----

func.func @moe_output_tokens(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<8x64x32xbf16>, %down: tensor<8x32x64xbf16>) {
  // expected-error @+1 {{expects the number of tokens of output (8) to equal that of x (16)}}
  %out = celeris.moe %x, %router, %gate, %up, %down k 2 : tensor<16x64xbf16>, tensor<64x8xf32>, tensor<8x64x32xbf16>, tensor<8x64x32xbf16>, tensor<8x32x64xbf16> -> tensor<8x64xbf16>
  return
}

// -----

func.func @moe_router_model(%x: tensor<16x64xbf16>, %router: tensor<32x8xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<8x64x32xbf16>, %down: tensor<8x32x64xbf16>) {
  // expected-error @+1 {{expects the model dimension of router_weight (32) to equal that of x (64)}}
  %out = celeris.moe %x, %router, %gate, %up, %down k 2 : tensor<16x64xbf16>, tensor<32x8xf32>, tensor<8x64x32xbf16>, tensor<8x64x32xbf16>, tensor<8x32x64xbf16> -> tensor<16x64xbf16>
  return
}

// -----

func.func @moe_gate_model(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x32x32xbf16>, %up: tensor<8x64x32xbf16>, %down: tensor<8x32x64xbf16>) {
  // expected-error @+1 {{expects the model dimension of w_gate (32) to equal that of x (64)}}
  %out = celeris.moe %x, %router, %gate, %up, %down k 2 : tensor<16x64xbf16>, tensor<64x8xf32>, tensor<8x32x32xbf16>, tensor<8x64x32xbf16>, tensor<8x32x64xbf16> -> tensor<16x64xbf16>
  return
}

// -----

func.func @moe_up_model(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<8x32x32xbf16>, %down: tensor<8x32x64xbf16>) {
  // expected-error @+1 {{expects the model dimension of w_up (32) to equal that of x (64)}}
  %out = celeris.moe %x, %router, %gate, %up, %down k 2 : tensor<16x64xbf16>, tensor<64x8xf32>, tensor<8x64x32xbf16>, tensor<8x32x32xbf16>, tensor<8x32x64xbf16> -> tensor<16x64xbf16>
  return
}

// -----

func.func @moe_down_model(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<8x64x32xbf16>, %down: tensor<8x32x16xbf16>) {
  // expected-error @+1 {{expects the model dimension of w_down (16) to equal that of x (64)}}
  %out = celeris.moe %x, %router, %gate, %up, %down k 2 : tensor<16x64xbf16>, tensor<64x8xf32>, tensor<8x64x32xbf16>, tensor<8x64x32xbf16>, tensor<8x32x16xbf16> -> tensor<16x64xbf16>
  return
}

// -----

func.func @moe_output_model(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<8x64x32xbf16>, %down: tensor<8x32x64xbf16>) {
  // expected-error @+1 {{expects the model dimension of output (32) to equal that of x (64)}}
  %out = celeris.moe %x, %router, %gate, %up, %down k 2 : tensor<16x64xbf16>, tensor<64x8xf32>, tensor<8x64x32xbf16>, tensor<8x64x32xbf16>, tensor<8x32x64xbf16> -> tensor<16x32xbf16>
  return
}

// -----

func.func @moe_shared_gate_model(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<8x64x32xbf16>, %down: tensor<8x32x64xbf16>, %sg: tensor<32x24xbf16>, %su: tensor<64x24xbf16>, %sd: tensor<24x64xbf16>) {
  // expected-error @+1 {{expects the model dimension of shared_gate (32) to equal that of x (64)}}
  %out = celeris.moe %x, %router, %gate, %up, %down shared(%sg, %su, %sd : tensor<32x24xbf16>, tensor<64x24xbf16>, tensor<24x64xbf16>) k 2 : tensor<16x64xbf16>, tensor<64x8xf32>, tensor<8x64x32xbf16>, tensor<8x64x32xbf16>, tensor<8x32x64xbf16> -> tensor<16x64xbf16>
  return
}

// -----

func.func @moe_shared_up_model(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<8x64x32xbf16>, %down: tensor<8x32x64xbf16>, %sg: tensor<64x24xbf16>, %su: tensor<32x24xbf16>, %sd: tensor<24x64xbf16>) {
  // expected-error @+1 {{expects the model dimension of shared_up (32) to equal that of x (64)}}
  %out = celeris.moe %x, %router, %gate, %up, %down shared(%sg, %su, %sd : tensor<64x24xbf16>, tensor<32x24xbf16>, tensor<24x64xbf16>) k 2 : tensor<16x64xbf16>, tensor<64x8xf32>, tensor<8x64x32xbf16>, tensor<8x64x32xbf16>, tensor<8x32x64xbf16> -> tensor<16x64xbf16>
  return
}

// -----

func.func @moe_shared_down_model(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<8x64x32xbf16>, %down: tensor<8x32x64xbf16>, %sg: tensor<64x24xbf16>, %su: tensor<64x24xbf16>, %sd: tensor<24x32xbf16>) {
  // expected-error @+1 {{expects the model dimension of shared_down (32) to equal that of x (64)}}
  %out = celeris.moe %x, %router, %gate, %up, %down shared(%sg, %su, %sd : tensor<64x24xbf16>, tensor<64x24xbf16>, tensor<24x32xbf16>) k 2 : tensor<16x64xbf16>, tensor<64x8xf32>, tensor<8x64x32xbf16>, tensor<8x64x32xbf16>, tensor<8x32x64xbf16> -> tensor<16x64xbf16>
  return
}

// -----

func.func @moe_gate_experts(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<4x64x32xbf16>, %up: tensor<8x64x32xbf16>, %down: tensor<8x32x64xbf16>) {
  // expected-error @+1 {{expects the number of experts of w_gate (4) to equal that of router_weight (8)}}
  %out = celeris.moe %x, %router, %gate, %up, %down k 2 : tensor<16x64xbf16>, tensor<64x8xf32>, tensor<4x64x32xbf16>, tensor<8x64x32xbf16>, tensor<8x32x64xbf16> -> tensor<16x64xbf16>
  return
}

// -----

func.func @moe_up_experts(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<4x64x32xbf16>, %down: tensor<8x32x64xbf16>) {
  // expected-error @+1 {{expects the number of experts of w_up (4) to equal that of router_weight (8)}}
  %out = celeris.moe %x, %router, %gate, %up, %down k 2 : tensor<16x64xbf16>, tensor<64x8xf32>, tensor<8x64x32xbf16>, tensor<4x64x32xbf16>, tensor<8x32x64xbf16> -> tensor<16x64xbf16>
  return
}

// -----

func.func @moe_down_experts(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<8x64x32xbf16>, %down: tensor<4x32x64xbf16>) {
  // expected-error @+1 {{expects the number of experts of w_down (4) to equal that of router_weight (8)}}
  %out = celeris.moe %x, %router, %gate, %up, %down k 2 : tensor<16x64xbf16>, tensor<64x8xf32>, tensor<8x64x32xbf16>, tensor<8x64x32xbf16>, tensor<4x32x64xbf16> -> tensor<16x64xbf16>
  return
}

// -----

func.func @moe_bias_experts(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<8x64x32xbf16>, %down: tensor<8x32x64xbf16>, %bias: tensor<4xf32>) {
  // expected-error @+1 {{expects the number of experts of bias (4) to equal that of router_weight (8)}}
  %out = celeris.moe %x, %router, %gate, %up, %down bias(%bias : tensor<4xf32>) k 2 : tensor<16x64xbf16>, tensor<64x8xf32>, tensor<8x64x32xbf16>, tensor<8x64x32xbf16>, tensor<8x32x64xbf16> -> tensor<16x64xbf16>
  return
}

// -----

func.func @moe_up_hidden(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<8x64x16xbf16>, %down: tensor<8x32x64xbf16>) {
  // expected-error @+1 {{expects the expert hidden dimension of w_up (16) to equal that of w_gate (32)}}
  %out = celeris.moe %x, %router, %gate, %up, %down k 2 : tensor<16x64xbf16>, tensor<64x8xf32>, tensor<8x64x32xbf16>, tensor<8x64x16xbf16>, tensor<8x32x64xbf16> -> tensor<16x64xbf16>
  return
}

// -----

func.func @moe_down_hidden(%x: tensor<16x64xbf16>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xbf16>, %up: tensor<8x64x32xbf16>, %down: tensor<8x16x64xbf16>) {
  // expected-error @+1 {{expects the expert hidden dimension of w_down (16) to equal that of w_gate (32)}}
  %out = celeris.moe %x, %router, %gate, %up, %down k 2 : tensor<16x64xbf16>, tensor<64x8xf32>, tensor<8x64x32xbf16>, tensor<8x64x32xbf16>, tensor<8x16x64xbf16> -> tensor<16x64xbf16>
  return
}

// -----

func.func @dispatch_map_rows(%experts: tensor<16x2xi32>) {
  // expected-error @+1 {{expects the number of rows (T * k) of source_rows to be 32, got 16}}
  %s, %o, %r = celeris.dispatch_map %experts num_experts 8 : tensor<16x2xi32> -> tensor<16xi32>, tensor<8xi32>, tensor<16x2xi32>
  return
}

// -----

func.func @dispatch_map_rows_rank(%experts: tensor<16x2xi32>) {
  // expected-error @+1 {{expects source_rows to have rank 1 ([T * k]), got 'tensor<16x2xi32>'}}
  %s, %o, %r = celeris.dispatch_map %experts num_experts 8 : tensor<16x2xi32> -> tensor<16x2xi32>, tensor<8xi32>, tensor<16x2xi32>
  return
}

// -----

func.func @dispatch_map_experts(%experts: tensor<16x2xi32>) {
  // expected-error @+1 {{expects the number of experts of offsets to be 8, got 4}}
  %s, %o, %r = celeris.dispatch_map %experts num_experts 8 : tensor<16x2xi32> -> tensor<32xi32>, tensor<4xi32>, tensor<16x2xi32>
  return
}

// -----

func.func @dispatch_map_row_map(%experts: tensor<16x2xi32>) {
  // expected-error @+1 {{expects the selection dimension of row_map (4) to equal that of experts (2)}}
  %s, %o, %r = celeris.dispatch_map %experts num_experts 8 : tensor<16x2xi32> -> tensor<32xi32>, tensor<8xi32>, tensor<16x4xi32>
  return
}

// -----

func.func @grouped_matmul_gather_rows(%x: tensor<16x32xf32>, %w: tensor<4x32x8xf32>, %o: tensor<4xi32>, %rows: tensor<64xi32>) {
  // expected-error @+1 {{expects the number of rows of y (32) to equal that of source_rows (64)}}
  %y = celeris.grouped_matmul %x, %w, %o gather(%rows : tensor<64xi32>) : tensor<16x32xf32>, tensor<4x32x8xf32>, tensor<4xi32> -> tensor<32x8xf32>
  return
}

// -----

func.func @grouped_matmul_gather_rank(%x: tensor<16x32xf32>, %w: tensor<4x32x8xf32>, %o: tensor<4xi32>, %rows: tensor<32x1xi32>) {
  // expected-error @+1 {{expects source_rows to have rank 1 ([N]), got 'tensor<32x1xi32>'}}
  %y = celeris.grouped_matmul %x, %w, %o gather(%rows : tensor<32x1xi32>) : tensor<16x32xf32>, tensor<4x32x8xf32>, tensor<4xi32> -> tensor<32x8xf32>
  return
}

// -----

func.func @grouped_matmul_gather_x_rank(%x: tensor<16xf32>, %w: tensor<4x32x8xf32>, %o: tensor<4xi32>, %rows: tensor<32xi32>) {
  // expected-error @+1 {{expects x to have rank 2 ([T, d]), got 'tensor<16xf32>'}}
  %y = celeris.grouped_matmul %x, %w, %o gather(%rows : tensor<32xi32>) : tensor<16xf32>, tensor<4x32x8xf32>, tensor<4xi32> -> tensor<32x8xf32>
  return
}
