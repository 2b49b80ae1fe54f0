// RUN: celeris-opt %s -convert-celeris-to-gpu -verify-diagnostics


// A block layout whose blocks are not whole tiles of the schedule (here
// written by hand: the schedule pass would shrink the tiles to 64).
func.func @f(%q: tensor<1x4x256x128xbf16>, %k: tensor<1x4x256x128xbf16>, %v: tensor<1x4x256x128xbf16>, %c: tensor<1x1x4xi32>, %i: tensor<1x1x4x4xi32>) -> tensor<1x4x256x128xbf16> {
  // expected-error @+1 {{GPU attention: the block layout's blocks [64, 64] must be whole tiles of the schedule (query tile 128, key tile 128)}}
  %o = celeris.attention %q, %k, %v block_layout(%c, %i : tensor<1x1x4xi32>, tensor<1x1x4x4xi32>) block_size [64, 64] {celeris.gpu_schedule = #celeris.gpu_schedule<kernel = attention_prefill, tensor_cores = wgmma, warps = 8, kv_tile = 128, stages = 2, min_ctas_per_sm = 1>} : tensor<1x4x256x128xbf16>, tensor<1x4x256x128xbf16>, tensor<1x4x256x128xbf16> -> tensor<1x4x256x128xbf16>
  return %o : tensor<1x4x256x128xbf16>
}
