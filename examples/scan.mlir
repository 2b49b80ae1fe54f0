// Elementwise (vector-state) recurrences: Mamba-1's selective scan and the
// RG-LRU scan of Griffin/Hawk, h_t = a_t * h_{t-1} + b_t along the sequence.

// Mamba-1 keeps A as A_log; A = -exp(A_log) is negative, so exp(dt A) < 1.
func.func @mamba1_selective_scan(%u: tensor<2x64x256xbf16>, %dt: tensor<2x64x256xbf16>,
                                 %A_log: tensor<64x16xf32>, %B: tensor<2x16x256xbf16>,
                                 %C: tensor<2x16x256xbf16>, %D: tensor<64xf32>,
                                 %z: tensor<2x64x256xbf16>, %dt_bias: tensor<64xf32>)
    -> tensor<2x64x256xbf16> {
  %expA = math.exp %A_log : tensor<64x16xf32>
  %A = arith.negf %expA : tensor<64x16xf32>
  %y = celeris.selective_scan %u, %dt, %A, %B, %C D(%D : tensor<64xf32>)
      z(%z : tensor<2x64x256xbf16>) delta_bias(%dt_bias : tensor<64xf32>) delta_softplus
      : tensor<2x64x256xbf16>, tensor<2x64x256xbf16>, tensor<64x16xf32>,
        tensor<2x16x256xbf16>, tensor<2x16x256xbf16> -> tensor<2x64x256xbf16>
  return %y : tensor<2x64x256xbf16>
}

// RG-LRU's recurrence weight a = sigmoid(x) lies in (0, 1).
func.func @rg_lru(%x: tensor<4x?x256xf32>, %b: tensor<4x?x256xf32>, %h0: tensor<4x256xf32>)
    -> tensor<4x?x256xf32> {
  %c1 = arith.constant 1 : index
  %n = tensor.dim %x, %c1 : tensor<4x?x256xf32>
  %nx = arith.negf %x : tensor<4x?x256xf32>
  %ex = math.exp %nx : tensor<4x?x256xf32>
  %f1 = arith.constant 1.0 : f32
  %one = tensor.splat %f1[%n] : tensor<4x?x256xf32>
  %den = arith.addf %one, %ex : tensor<4x?x256xf32>
  %a = arith.divf %one, %den : tensor<4x?x256xf32>
  %h = celeris.scan %a, %b initial(%h0 : tensor<4x256xf32>) axis 1
      : tensor<4x?x256xf32>, tensor<4x?x256xf32> -> tensor<4x?x256xf32>
  return %h : tensor<4x?x256xf32>
}
