// A DeepSeek-V3-style MoE layer as the composite op (sigmoid scores, a
// selection bias, group-limited top-4, SwiGLU experts, shared experts), and
// the primitives it decomposes into: routing, dispatch, grouped expert
// matmuls over expert segments, weighted combine. (The primitive version
// uses a two-matrix expert to stay short.)

func.func @moe_layer(%x: tensor<256x128xbf16>, %router: tensor<128x16xf32>,
                     %wg: tensor<16x128x64xbf16>, %wu: tensor<16x128x64xbf16>,
                     %wd: tensor<16x64x128xbf16>, %bias: tensor<16xf32>,
                     %sg: tensor<128x128xbf16>, %su: tensor<128x128xbf16>,
                     %sd: tensor<128x128xbf16>) -> tensor<256x128xbf16> {
  %y = celeris.moe %x, %router, %wg, %wu, %wd bias(%bias : tensor<16xf32>)
      shared(%sg, %su, %sd : tensor<128x128xbf16>, tensor<128x128xbf16>, tensor<128x128xbf16>)
      k 4 score_func sigmoid renormalize num_groups 4 topk_groups 2 scaling_factor 2.5
      : tensor<256x128xbf16>, tensor<128x16xf32>, tensor<16x128x64xbf16>,
        tensor<16x128x64xbf16>, tensor<16x64x128xbf16> -> tensor<256x128xbf16>
  return %y : tensor<256x128xbf16>
}

func.func @moe_primitives(%x: tensor<256x128xbf16>, %logits: tensor<256x16xf32>,
                          %bias: tensor<16xf32>, %wg: tensor<16x128x64xbf16>,
                          %wd: tensor<16x64x128xbf16>) -> tensor<256x128xbf16> {
  %weights, %experts = celeris.route %logits bias(%bias : tensor<16xf32>) k 4
      score_func sigmoid renormalize num_groups 4 topk_groups 2
      : tensor<256x16xf32> -> tensor<256x4xf32>, tensor<256x4xi32>
  %rows, %offsets, %row_map = celeris.dispatch %x, %experts num_experts 16
      : tensor<256x128xbf16>, tensor<256x4xi32>
      -> tensor<1024x128xbf16>, tensor<16xi32>, tensor<256x4xi32>
  %h = celeris.grouped_matmul %rows, %wg, %offsets
      : tensor<1024x128xbf16>, tensor<16x128x64xbf16>, tensor<16xi32> -> tensor<1024x64xbf16>
  %down = celeris.grouped_matmul %h, %wd, %offsets
      : tensor<1024x64xbf16>, tensor<16x64x128xbf16>, tensor<16xi32> -> tensor<1024x128xbf16>
  %y = celeris.combine %down, %weights, %row_map
      : tensor<1024x128xbf16>, tensor<256x4xf32>, tensor<256x4xi32> -> tensor<256x128xbf16>
  return %y : tensor<256x128xbf16>
}
