// RUN: celeris-opt %s | celeris-opt | FileCheck %s
// RUN: celeris-opt %s --mlir-print-op-generic | celeris-opt | FileCheck %s

// CHECK-LABEL: func @route_defaults
func.func @route_defaults(%logits: tensor<16x64xf32>) -> (tensor<16x2xf32>, tensor<16x2xi32>) {
  // CHECK: celeris.route %{{.*}} k 2 : tensor<16x64xf32> -> tensor<16x2xf32>, tensor<16x2xi32>
  %w, %e = celeris.route %logits k 2
      : tensor<16x64xf32> -> tensor<16x2xf32>, tensor<16x2xi32>
  return %w, %e : tensor<16x2xf32>, tensor<16x2xi32>
}

// CHECK-LABEL: func @route_explicit_defaults
func.func @route_explicit_defaults(%logits: tensor<16x64xbf16>) -> tensor<16x2xf32> {
  // Default-valued attributes are elided when printed.
  // CHECK: celeris.route %{{.*}} k 2 : tensor<16x64xbf16>
  %w, %e = celeris.route %logits k 2 score_func softmax scaling_factor 1.0
      mode token_choice : tensor<16x64xbf16> -> tensor<16x2xf32>, tensor<16x2xi32>
  return %w : tensor<16x2xf32>
}

// CHECK-LABEL: func @route_deepseek_v3
func.func @route_deepseek_v3(%logits: tensor<?x256xbf16>, %bias: tensor<256xf32>) -> (tensor<?x8xf32>, tensor<?x8xi32>) {
  // CHECK: celeris.route %{{.*}} bias(%{{.*}} : tensor<256xf32>) k 8 score_func sigmoid renormalize num_groups 8 topk_groups 4 scaling_factor 2.500000e+00 : tensor<?x256xbf16> -> tensor<?x8xf32>, tensor<?x8xi32>
  %w, %e = celeris.route %logits bias(%bias : tensor<256xf32>) k 8
      score_func sigmoid renormalize num_groups 8 topk_groups 4
      scaling_factor 2.5
      : tensor<?x256xbf16> -> tensor<?x8xf32>, tensor<?x8xi32>
  return %w, %e : tensor<?x8xf32>, tensor<?x8xi32>
}

// CHECK-LABEL: func @route_renormalize_f16
func.func @route_renormalize_f16(%logits: tensor<?x?xf16>) -> tensor<?x4xf32> {
  // CHECK: celeris.route %{{.*}} k 4 renormalize : tensor<?x?xf16> -> tensor<?x4xf32>, tensor<?x4xi32>
  %w, %e = celeris.route %logits k 4 renormalize
      : tensor<?x?xf16> -> tensor<?x4xf32>, tensor<?x4xi32>
  return %w : tensor<?x4xf32>
}

// CHECK-LABEL: func @route_groups_one_expert_each
func.func @route_groups_one_expert_each(%logits: tensor<8x8xf32>) -> tensor<8x2xi32> {
  // CHECK: celeris.route %{{.*}} k 2 num_groups 8 topk_groups 2 : tensor<8x8xf32>
  %w, %e = celeris.route %logits k 2 num_groups 8 topk_groups 2
      : tensor<8x8xf32> -> tensor<8x2xf32>, tensor<8x2xi32>
  return %e : tensor<8x2xi32>
}

// CHECK-LABEL: func @route_expert_choice
func.func @route_expert_choice(%logits: tensor<128x16xf32>, %bias: tensor<16xf32>) -> (tensor<16x16xf32>, tensor<16x16xi32>) {
  // CHECK: celeris.route %{{.*}} bias(%{{.*}} : tensor<16xf32>) k 2 score_func sigmoid scaling_factor 5.000000e-01 mode expert_choice capacity 16 : tensor<128x16xf32> -> tensor<16x16xf32>, tensor<16x16xi32>
  %w, %t = celeris.route %logits bias(%bias : tensor<16xf32>) k 2
      score_func sigmoid scaling_factor 0.5 mode expert_choice capacity 16
      : tensor<128x16xf32> -> tensor<16x16xf32>, tensor<16x16xi32>
  return %w, %t : tensor<16x16xf32>, tensor<16x16xi32>
}

// CHECK-LABEL: func @route_expert_choice_dynamic
func.func @route_expert_choice_dynamic(%logits: tensor<?x?xbf16>) -> tensor<?x?xi32> {
  // CHECK: celeris.route %{{.*}} k 1 mode expert_choice capacity 64 : tensor<?x?xbf16> -> tensor<?x64xf32>, tensor<?x?xi32>
  %w, %t = celeris.route %logits k 1 mode expert_choice capacity 64
      : tensor<?x?xbf16> -> tensor<?x64xf32>, tensor<?x?xi32>
  return %t : tensor<?x?xi32>
}

// CHECK-LABEL: func @dispatch
func.func @dispatch(%x: tensor<1024x2048xbf16>, %experts: tensor<1024x8xi32>) -> (tensor<8192x2048xbf16>, tensor<64xi32>, tensor<1024x8xi32>) {
  // CHECK: celeris.dispatch %{{.*}}, %{{.*}} num_experts 64 : tensor<1024x2048xbf16>, tensor<1024x8xi32> -> tensor<8192x2048xbf16>, tensor<64xi32>, tensor<1024x8xi32>
  %p, %o, %r = celeris.dispatch %x, %experts num_experts 64
      : tensor<1024x2048xbf16>, tensor<1024x8xi32>
      -> tensor<8192x2048xbf16>, tensor<64xi32>, tensor<1024x8xi32>
  return %p, %o, %r : tensor<8192x2048xbf16>, tensor<64xi32>, tensor<1024x8xi32>
}

// CHECK-LABEL: func @dispatch_capacity_dynamic
func.func @dispatch_capacity_dynamic(%x: tensor<?x?xf32>, %experts: tensor<?x2xi32>) -> (tensor<?x?xf32>, tensor<?xi32>, tensor<?x?xi32>) {
  // CHECK: celeris.dispatch %{{.*}}, %{{.*}} num_experts 8 capacity 32 : tensor<?x?xf32>, tensor<?x2xi32> -> tensor<?x?xf32>, tensor<?xi32>, tensor<?x?xi32>
  %p, %o, %r = celeris.dispatch %x, %experts num_experts 8 capacity 32
      : tensor<?x?xf32>, tensor<?x2xi32>
      -> tensor<?x?xf32>, tensor<?xi32>, tensor<?x?xi32>
  return %p, %o, %r : tensor<?x?xf32>, tensor<?xi32>, tensor<?x?xi32>
}

// CHECK-LABEL: func @dispatch_map
func.func @dispatch_map(%experts: tensor<1024x8xi32>) -> (tensor<8192xi32>, tensor<64xi32>, tensor<1024x8xi32>) {
  // CHECK: celeris.dispatch_map %{{.*}} num_experts 64 capacity 256 : tensor<1024x8xi32> -> tensor<8192xi32>, tensor<64xi32>, tensor<1024x8xi32>
  %s, %o, %r = celeris.dispatch_map %experts num_experts 64 capacity 256
      : tensor<1024x8xi32> -> tensor<8192xi32>, tensor<64xi32>, tensor<1024x8xi32>
  return %s, %o, %r : tensor<8192xi32>, tensor<64xi32>, tensor<1024x8xi32>
}

// CHECK-LABEL: func @grouped_matmul_gather
func.func @grouped_matmul_gather(%x: tensor<1024x2048xbf16>, %wg: tensor<64x2048x1408xbf16>, %offsets: tensor<64xi32>, %rows: tensor<8192xi32>, %wu: tensor<64x2048x1408xbf16>) -> (tensor<8192x1408xbf16>, tensor<?x1408xbf16>) {
  // CHECK: celeris.grouped_matmul %{{.*}}, %{{.*}}, %{{.*}} gather(%{{.*}} : tensor<8192xi32>) swiglu(%{{.*}} : tensor<64x2048x1408xbf16>) : tensor<1024x2048xbf16>, tensor<64x2048x1408xbf16>, tensor<64xi32> -> tensor<8192x1408xbf16>
  %y = celeris.grouped_matmul %x, %wg, %offsets gather(%rows : tensor<8192xi32>)
      swiglu(%wu : tensor<64x2048x1408xbf16>)
      : tensor<1024x2048xbf16>, tensor<64x2048x1408xbf16>, tensor<64xi32> -> tensor<8192x1408xbf16>
  // CHECK: celeris.grouped_matmul %{{.*}}, %{{.*}}, %{{.*}} gather(%{{.*}} : tensor<?xi32>) : tensor<1024x2048xbf16>
  %rows_dyn = tensor.cast %rows : tensor<8192xi32> to tensor<?xi32>
  %z = celeris.grouped_matmul %x, %wg, %offsets gather(%rows_dyn : tensor<?xi32>)
      : tensor<1024x2048xbf16>, tensor<64x2048x1408xbf16>, tensor<64xi32> -> tensor<?x1408xbf16>
  return %y, %z : tensor<8192x1408xbf16>, tensor<?x1408xbf16>
}

// CHECK-LABEL: func @grouped_matmul
func.func @grouped_matmul(%x: tensor<8192x2048xbf16>, %w: tensor<64x2048x1408xbf16>, %offsets: tensor<64xi32>) -> tensor<8192x1408xbf16> {
  // CHECK: celeris.grouped_matmul %{{.*}}, %{{.*}}, %{{.*}} : tensor<8192x2048xbf16>, tensor<64x2048x1408xbf16>, tensor<64xi32> -> tensor<8192x1408xbf16>
  %y = celeris.grouped_matmul %x, %w, %offsets
      : tensor<8192x2048xbf16>, tensor<64x2048x1408xbf16>, tensor<64xi32>
      -> tensor<8192x1408xbf16>
  return %y : tensor<8192x1408xbf16>
}

// CHECK-LABEL: func @grouped_matmul_swiglu
func.func @grouped_matmul_swiglu(%x: tensor<?x2048xbf16>, %wg: tensor<64x2048x1408xbf16>, %offsets: tensor<64xi32>, %wu: tensor<64x2048x1408xbf16>) -> tensor<?x1408xbf16> {
  // CHECK: celeris.grouped_matmul %{{.*}}, %{{.*}}, %{{.*}} swiglu(%{{.*}} : tensor<64x2048x1408xbf16>) : tensor<?x2048xbf16>, tensor<64x2048x1408xbf16>, tensor<64xi32> -> tensor<?x1408xbf16>
  %y = celeris.grouped_matmul %x, %wg, %offsets swiglu(%wu : tensor<64x2048x1408xbf16>)
      : tensor<?x2048xbf16>, tensor<64x2048x1408xbf16>, tensor<64xi32> -> tensor<?x1408xbf16>
  return %y : tensor<?x1408xbf16>
}

// CHECK-LABEL: func @grouped_matmul_dynamic
func.func @grouped_matmul_dynamic(%x: tensor<?x?xf16>, %w: tensor<?x?x?xf16>, %offsets: tensor<?xi32>) -> tensor<?x?xf16> {
  // CHECK: celeris.grouped_matmul %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x?xf16>, tensor<?x?x?xf16>, tensor<?xi32> -> tensor<?x?xf16>
  %y = celeris.grouped_matmul %x, %w, %offsets
      : tensor<?x?xf16>, tensor<?x?x?xf16>, tensor<?xi32> -> tensor<?x?xf16>
  return %y : tensor<?x?xf16>
}

// CHECK-LABEL: func @combine_f32_weights
func.func @combine_f32_weights(%y: tensor<8192x2048xbf16>, %w: tensor<1024x8xf32>, %r: tensor<1024x8xi32>) -> tensor<1024x2048xbf16> {
  // CHECK: celeris.combine %{{.*}}, %{{.*}}, %{{.*}} : tensor<8192x2048xbf16>, tensor<1024x8xf32>, tensor<1024x8xi32> -> tensor<1024x2048xbf16>
  %out = celeris.combine %y, %w, %r
      : tensor<8192x2048xbf16>, tensor<1024x8xf32>, tensor<1024x8xi32>
      -> tensor<1024x2048xbf16>
  return %out : tensor<1024x2048xbf16>
}

// CHECK-LABEL: func @combine_same_type_dynamic
func.func @combine_same_type_dynamic(%y: tensor<?x?xbf16>, %w: tensor<?x?xbf16>, %r: tensor<?x?xi32>) -> tensor<?x?xbf16> {
  // CHECK: celeris.combine %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x?xbf16>, tensor<?x?xbf16>, tensor<?x?xi32> -> tensor<?x?xbf16>
  %out = celeris.combine %y, %w, %r
      : tensor<?x?xbf16>, tensor<?x?xbf16>, tensor<?x?xi32> -> tensor<?x?xbf16>
  return %out : tensor<?x?xbf16>
}

// CHECK-LABEL: func @moe_minimal
func.func @moe_minimal(%x: tensor<16x64xf32>, %router: tensor<64x8xf32>, %gate: tensor<8x64x32xf32>, %up: tensor<8x64x32xf32>, %down: tensor<8x32x64xf32>) -> tensor<16x64xf32> {
  // CHECK: celeris.moe %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} k 2 : tensor<16x64xf32>, tensor<64x8xf32>, tensor<8x64x32xf32>, tensor<8x64x32xf32>, tensor<8x32x64xf32> -> tensor<16x64xf32>
  %out = celeris.moe %x, %router, %gate, %up, %down k 2
      : tensor<16x64xf32>, tensor<64x8xf32>, tensor<8x64x32xf32>,
        tensor<8x64x32xf32>, tensor<8x32x64xf32> -> tensor<16x64xf32>
  return %out : tensor<16x64xf32>
}

// CHECK-LABEL: func @moe_deepseek_v3
func.func @moe_deepseek_v3(%x: tensor<?x7168xbf16>, %router: tensor<7168x256xf32>, %gate: tensor<256x7168x2048xbf16>, %up: tensor<256x7168x2048xbf16>, %down: tensor<256x2048x7168xbf16>, %bias: tensor<256xf32>, %sg: tensor<7168x2048xbf16>, %su: tensor<7168x2048xbf16>, %sd: tensor<2048x7168xbf16>) -> tensor<?x7168xbf16> {
  // CHECK: celeris.moe %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} bias(%{{.*}} : tensor<256xf32>) shared(%{{.*}}, %{{.*}}, %{{.*}} : tensor<7168x2048xbf16>, tensor<7168x2048xbf16>, tensor<2048x7168xbf16>) k 8 score_func sigmoid renormalize num_groups 8 topk_groups 4 scaling_factor 2.500000e+00 : tensor<?x7168xbf16>, tensor<7168x256xf32>, tensor<256x7168x2048xbf16>, tensor<256x7168x2048xbf16>, tensor<256x2048x7168xbf16> -> tensor<?x7168xbf16>
  %out = celeris.moe %x, %router, %gate, %up, %down
      bias(%bias : tensor<256xf32>)
      shared(%sg, %su, %sd : tensor<7168x2048xbf16>, tensor<7168x2048xbf16>,
             tensor<2048x7168xbf16>)
      k 8 score_func sigmoid renormalize num_groups 8 topk_groups 4
      scaling_factor 2.5
      : tensor<?x7168xbf16>, tensor<7168x256xf32>, tensor<256x7168x2048xbf16>,
        tensor<256x7168x2048xbf16>, tensor<256x2048x7168xbf16>
      -> tensor<?x7168xbf16>
  return %out : tensor<?x7168xbf16>
}

// CHECK-LABEL: func @moe_bias_only_capacity
func.func @moe_bias_only_capacity(%x: tensor<?x?xf16>, %router: tensor<?x?xf16>, %gate: tensor<?x?x?xf16>, %up: tensor<?x?x?xf16>, %down: tensor<?x?x?xf16>, %bias: tensor<?xf32>) -> tensor<?x?xf16> {
  // CHECK: celeris.moe %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} bias(%{{.*}} : tensor<?xf32>) k 2 capacity 128 : tensor<?x?xf16>, tensor<?x?xf16>, tensor<?x?x?xf16>, tensor<?x?x?xf16>, tensor<?x?x?xf16> -> tensor<?x?xf16>
  %out = celeris.moe %x, %router, %gate, %up, %down bias(%bias : tensor<?xf32>)
      k 2 capacity 128
      : tensor<?x?xf16>, tensor<?x?xf16>, tensor<?x?x?xf16>, tensor<?x?x?xf16>,
        tensor<?x?x?xf16> -> tensor<?x?xf16>
  return %out : tensor<?x?xf16>
}

// CHECK-LABEL: func @moe_shared_only
func.func @moe_shared_only(%x: tensor<4x32xbf16>, %router: tensor<32x4xbf16>, %gate: tensor<4x32x16xbf16>, %up: tensor<4x32x16xbf16>, %down: tensor<4x16x32xbf16>, %sg: tensor<32x?xbf16>, %su: tensor<32x?xbf16>, %sd: tensor<?x32xbf16>) -> tensor<4x32xbf16> {
  // CHECK: celeris.moe %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} shared(%{{.*}}, %{{.*}}, %{{.*}} : tensor<32x?xbf16>, tensor<32x?xbf16>, tensor<?x32xbf16>) k 1 score_func sigmoid : tensor<4x32xbf16>, tensor<32x4xbf16>, tensor<4x32x16xbf16>, tensor<4x32x16xbf16>, tensor<4x16x32xbf16> -> tensor<4x32xbf16>
  %out = celeris.moe %x, %router, %gate, %up, %down
      shared(%sg, %su, %sd : tensor<32x?xbf16>, tensor<32x?xbf16>, tensor<?x32xbf16>)
      k 1 score_func sigmoid
      : tensor<4x32xbf16>, tensor<32x4xbf16>, tensor<4x32x16xbf16>,
        tensor<4x32x16xbf16>, tensor<4x16x32xbf16> -> tensor<4x32xbf16>
  return %out : tensor<4x32xbf16>
}

// CHECK-LABEL: func @moe_pipeline
// The decomposition of celeris.moe into the primitives, shape by shape.
func.func @moe_pipeline(%x: tensor<?x64xbf16>, %logits: tensor<?x8xf32>, %gate: tensor<8x64x32xbf16>, %offsets_in: tensor<8xi32>) -> tensor<?x32xbf16> {
  // CHECK: celeris.route
  // CHECK: celeris.dispatch
  // CHECK: celeris.grouped_matmul
  // CHECK: celeris.combine
  %w, %e = celeris.route %logits k 2 renormalize
      : tensor<?x8xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  %p, %o, %r = celeris.dispatch %x, %e num_experts 8
      : tensor<?x64xbf16>, tensor<?x2xi32>
      -> tensor<?x64xbf16>, tensor<8xi32>, tensor<?x2xi32>
  %h = celeris.grouped_matmul %p, %gate, %o
      : tensor<?x64xbf16>, tensor<8x64x32xbf16>, tensor<8xi32> -> tensor<?x32xbf16>
  %out = celeris.combine %h, %w, %r
      : tensor<?x32xbf16>, tensor<?x2xf32>, tensor<?x2xi32> -> tensor<?x32xbf16>
  return %out : tensor<?x32xbf16>
}
