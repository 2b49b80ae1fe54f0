// Elementwise (vector-state) recurrences: Mamba-1's selective scan and the
// RG-LRU scan of Griffin/Hawk, h_t = a_t * h_{t-1} + b_t along the sequence.

func.func @mamba1_selective_scan(%u: tensor<2x1536x2048xbf16>, %dt: tensor<2x1536x2048xbf16>,
                                 %A: tensor<1536x16xf32>, %B: tensor<2x16x2048xbf16>,
                                 %C: tensor<2x16x2048xbf16>, %D: tensor<1536xf32>,
                                 %z: tensor<2x1536x2048xbf16>, %dt_bias: tensor<1536xf32>)
    -> tensor<2x1536x2048xbf16> {
  %y = celeris.selective_scan %u, %dt, %A, %B, %C D(%D : tensor<1536xf32>)
      z(%z : tensor<2x1536x2048xbf16>) delta_bias(%dt_bias : tensor<1536xf32>) delta_softplus
      : tensor<2x1536x2048xbf16>, tensor<2x1536x2048xbf16>, tensor<1536x16xf32>,
        tensor<2x16x2048xbf16>, tensor<2x16x2048xbf16> -> tensor<2x1536x2048xbf16>
  return %y : tensor<2x1536x2048xbf16>
}

func.func @rg_lru(%a: tensor<4x?x2560xf32>, %b: tensor<4x?x2560xf32>, %h0: tensor<4x2560xf32>)
    -> tensor<4x?x2560xf32> {
  %h = celeris.scan %a, %b initial(%h0 : tensor<4x2560xf32>) axis 1
      : tensor<4x?x2560xf32>, tensor<4x?x2560xf32> -> tensor<4x?x2560xf32>
  return %h : tensor<4x?x2560xf32>
}
