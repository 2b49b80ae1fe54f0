// A DeepSeek-V3-style MoE layer as the composite op (sigmoid scores, a
// selection bias, group-limited top-8, SwiGLU experts, shared experts), and
// the primitives it decomposes into: routing, dispatch, grouped expert
// matmuls over expert segments, weighted combine. (The primitive version
// uses a two-matrix expert to stay short.)

func.func @moe_layer(%x: tensor<4096x2048xbf16>, %router: tensor<2048x64xf32>,
                     %wg: tensor<64x2048x1408xbf16>, %wu: tensor<64x2048x1408xbf16>,
                     %wd: tensor<64x1408x2048xbf16>, %bias: tensor<64xf32>,
                     %sg: tensor<2048x2816xbf16>, %su: tensor<2048x2816xbf16>,
                     %sd: tensor<2816x2048xbf16>) -> tensor<4096x2048xbf16> {
  %y = celeris.moe %x, %router, %wg, %wu, %wd bias(%bias : tensor<64xf32>)
      shared(%sg, %su, %sd : tensor<2048x2816xbf16>, tensor<2048x2816xbf16>, tensor<2816x2048xbf16>)
      k 8 score_func sigmoid renormalize num_groups 8 topk_groups 4 scaling_factor 2.5
      : tensor<4096x2048xbf16>, tensor<2048x64xf32>, tensor<64x2048x1408xbf16>,
        tensor<64x2048x1408xbf16>, tensor<64x1408x2048xbf16> -> tensor<4096x2048xbf16>
  return %y : tensor<4096x2048xbf16>
}

func.func @moe_primitives(%x: tensor<4096x2048xbf16>, %logits: tensor<4096x64xf32>,
                          %bias: tensor<64xf32>, %wg: tensor<64x2048x1408xbf16>,
                          %wd: tensor<64x1408x2048xbf16>) -> tensor<4096x2048xbf16> {
  %weights, %experts = celeris.route %logits bias(%bias : tensor<64xf32>) k 8
      score_func sigmoid renormalize num_groups 8 topk_groups 4
      : tensor<4096x64xf32> -> tensor<4096x8xf32>, tensor<4096x8xi32>
  %rows, %offsets, %row_map = celeris.dispatch %x, %experts num_experts 64
      : tensor<4096x2048xbf16>, tensor<4096x8xi32>
      -> tensor<32768x2048xbf16>, tensor<64xi32>, tensor<4096x8xi32>
  %h = celeris.grouped_matmul %rows, %wg, %offsets
      : tensor<32768x2048xbf16>, tensor<64x2048x1408xbf16>, tensor<64xi32> -> tensor<32768x1408xbf16>
  %down = celeris.grouped_matmul %h, %wd, %offsets
      : tensor<32768x1408xbf16>, tensor<64x1408x2048xbf16>, tensor<64xi32> -> tensor<32768x2048xbf16>
  %y = celeris.combine %down, %weights, %row_map
      : tensor<32768x2048xbf16>, tensor<4096x8xf32>, tensor<4096x8xi32> -> tensor<4096x2048xbf16>
  return %y : tensor<4096x2048xbf16>
}
