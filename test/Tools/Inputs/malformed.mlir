// Malformed text that must be rejected without a crash.
func.func @f(%q: tensor<1x1x8x8xf32>) {
  %o = celeris.attention %q, %q, %q mask <union(causal, : tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32> -> tensor<1x1x8x8xf32>
  return
}
// -----
func.func @f(%q: tensor<1x1x8x8xf32>) {
  %o = celeris.attention %q, %q : tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32> -> tensor<1x1x8x8xf32>
  return
}
// -----
func.func @f(%q: tensor<1x1x8x8xf32>) {
  %o = celeris.attention %q, %q, %q mask <window<left = 99999999999999999999999, right = 0>> : tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32> -> tensor<1x1x8x8xf32>
  return
}
// -----
func.func @f(%q: tensor<1x1x8x8xf32>) {
  %o = "celeris.attention"(%q, %q, %q) : (tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>) -> tensor<1x1x8x8xf32>
  return
}
// -----
func.func @f(%q: tensor<1x1x8x8xf32>) {
  %o = "celeris.attention"(%q, %q, %q) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0>, mask = 3 : i64}> : (tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>) -> tensor<1x1x8x8xf32>
  return
}
// -----
func.func @f() {
  %c = arith.constant 8 : index
  %a, %b = celeris.mask_block_layout %c, %c mask <causal> block_size [0, 0] : tensor<1x1x?xi32>, tensor<1x1x?x?xi32>
  return
}
// -----
func.func @f(%s: tensor<*xf32>) {
  %c, %i = celeris.topk_blocks %s k 2 : tensor<*xf32> -> tensor<?x?x?xi32>, tensor<?x?x?x2xi32>
  return
}
