// A mixture-of-experts layer of primitives in one function: celeris-compile
// makes it a program of five kernels (routing, dispatch, the gate/up GEMM
// with the SwiGLU fused in, the down GEMM, combine) with buffers between
// them, launched as one call. The shape is the benchmark's (64 experts, top
// 8, d 2048, ffn 1408); the token count is dynamic. (examples/moe.mlir has
// the layer as one op, with its router and shared experts.)

func.func @moe_program(%x: tensor<?x2048xbf16>, %logits: tensor<?x64xf32>,
                       %wg: tensor<64x2048x1408xbf16>, %wu: tensor<64x2048x1408xbf16>,
                       %wd: tensor<64x1408x2048xbf16>) -> tensor<?x2048xbf16> {
  %weights, %experts = celeris.route %logits k 8 renormalize
      : tensor<?x64xf32> -> tensor<?x8xf32>, tensor<?x8xi32>
  %rows, %offsets, %row_map = celeris.dispatch %x, %experts num_experts 64
      : tensor<?x2048xbf16>, tensor<?x8xi32>
      -> tensor<?x2048xbf16>, tensor<64xi32>, tensor<?x8xi32>
  %h = celeris.grouped_matmul %rows, %wg, %offsets swiglu(%wu : tensor<64x2048x1408xbf16>)
      : tensor<?x2048xbf16>, tensor<64x2048x1408xbf16>, tensor<64xi32>
      -> tensor<?x1408xbf16>
  %down = celeris.grouped_matmul %h, %wd, %offsets
      : tensor<?x1408xbf16>, tensor<64x1408x2048xbf16>, tensor<64xi32>
      -> tensor<?x2048xbf16>
  %y = celeris.combine %down, %weights, %row_map
      : tensor<?x2048xbf16>, tensor<?x8xf32>, tensor<?x8xi32> -> tensor<?x2048xbf16>
  return %y : tensor<?x2048xbf16>
}
