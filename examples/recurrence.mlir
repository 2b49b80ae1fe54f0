// Linear sequence modeling layers, one op with different decay and update
// rules: RetNet, Mamba-2 (SSD), GLA, and a Gated DeltaNet decode step that
// carries its state.

func.func @retnet(%q: tensor<8x16x4096x128xbf16>, %k: tensor<8x16x4096x128xbf16>,
                  %v: tensor<8x16x4096x128xbf16>, %log_gamma: tensor<16xf32>)
    -> tensor<8x16x4096x128xbf16> {
  %o = celeris.recurrence %q, %k, %v decay head(%log_gamma : tensor<16xf32>)
      : tensor<8x16x4096x128xbf16>, tensor<8x16x4096x128xbf16>, tensor<8x16x4096x128xbf16>
      -> tensor<8x16x4096x128xbf16>
  return %o : tensor<8x16x4096x128xbf16>
}

func.func @mamba2_ssd(%c: tensor<4x32x2048x128xbf16>, %b: tensor<4x32x2048x128xbf16>,
                      %x: tensor<4x32x2048x64xbf16>, %dt_a: tensor<4x32x2048xf32>)
    -> (tensor<4x32x2048x64xbf16>, tensor<4x32x128x64xf32>) {
  %y, %state = celeris.recurrence %c, %b, %x decay scalar(%dt_a : tensor<4x32x2048xf32>) scale 1.0
      : tensor<4x32x2048x128xbf16>, tensor<4x32x2048x128xbf16>, tensor<4x32x2048x64xbf16>
      -> tensor<4x32x2048x64xbf16>, tensor<4x32x128x64xf32>
  return %y, %state : tensor<4x32x2048x64xbf16>, tensor<4x32x128x64xf32>
}

func.func @gla(%q: tensor<2x8x?x64xf16>, %k: tensor<2x8x?x64xf16>, %v: tensor<2x8x?x128xf16>,
               %g: tensor<2x8x?x64xf32>) -> tensor<2x8x?x128xf16> {
  %o = celeris.recurrence %q, %k, %v decay vector(%g : tensor<2x8x?x64xf32>)
      : tensor<2x8x?x64xf16>, tensor<2x8x?x64xf16>, tensor<2x8x?x128xf16> -> tensor<2x8x?x128xf16>
  return %o : tensor<2x8x?x128xf16>
}

func.func @gated_deltanet_decode(%q: tensor<16x16x1x128xbf16>, %k: tensor<16x16x1x128xbf16>,
                                 %v: tensor<16x16x1x128xbf16>, %g: tensor<16x16x1xf32>,
                                 %beta: tensor<16x16x1xbf16>, %s: tensor<16x16x128x128xf32>)
    -> (tensor<16x16x1x128xbf16>, tensor<16x16x128x128xf32>) {
  %o, %next = celeris.recurrence %q, %k, %v decay scalar(%g : tensor<16x16x1xf32>)
      update delta(%beta : tensor<16x16x1xbf16>) initial_state(%s : tensor<16x16x128x128xf32>)
      : tensor<16x16x1x128xbf16>, tensor<16x16x1x128xbf16>, tensor<16x16x1x128xbf16>
      -> tensor<16x16x1x128xbf16>, tensor<16x16x128x128xf32>
  return %o, %next : tensor<16x16x1x128xbf16>, tensor<16x16x128x128xf32>
}
