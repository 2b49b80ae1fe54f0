// Linear sequence modeling layers, one op with different decay and update
// rules: RetNet, Mamba-2 (SSD), GLA, and a Gated DeltaNet decode step that
// carries its state.

func.func @retnet(%q: tensor<2x4x256x64xbf16>, %k: tensor<2x4x256x64xbf16>,
                  %v: tensor<2x4x256x64xbf16>, %log_gamma: tensor<4xf32>)
    -> tensor<2x4x256x64xbf16> {
  %o = celeris.recurrence %q, %k, %v decay head(%log_gamma : tensor<4xf32>)
      : tensor<2x4x256x64xbf16>, tensor<2x4x256x64xbf16>, tensor<2x4x256x64xbf16>
      -> tensor<2x4x256x64xbf16>
  return %o : tensor<2x4x256x64xbf16>
}

func.func @mamba2_ssd(%c: tensor<2x4x256x64xbf16>, %b: tensor<2x4x256x64xbf16>,
                      %x: tensor<2x4x256x32xbf16>, %dt_a: tensor<2x4x256xf32>)
    -> (tensor<2x4x256x32xbf16>, tensor<2x4x64x32xf32>) {
  %y, %state = celeris.recurrence %c, %b, %x decay scalar(%dt_a : tensor<2x4x256xf32>) scale 1.0
      : tensor<2x4x256x64xbf16>, tensor<2x4x256x64xbf16>, tensor<2x4x256x32xbf16>
      -> tensor<2x4x256x32xbf16>, tensor<2x4x64x32xf32>
  return %y, %state : tensor<2x4x256x32xbf16>, tensor<2x4x64x32xf32>
}

func.func @gla(%q: tensor<2x4x?x32xf16>, %k: tensor<2x4x?x32xf16>, %v: tensor<2x4x?x64xf16>,
               %g: tensor<2x4x?x32xf32>) -> tensor<2x4x?x64xf16> {
  %o = celeris.recurrence %q, %k, %v decay vector(%g : tensor<2x4x?x32xf32>)
      : tensor<2x4x?x32xf16>, tensor<2x4x?x32xf16>, tensor<2x4x?x64xf16> -> tensor<2x4x?x64xf16>
  return %o : tensor<2x4x?x64xf16>
}

func.func @gated_deltanet_decode(%q: tensor<4x4x1x64xbf16>, %k: tensor<4x4x1x64xbf16>,
                                 %v: tensor<4x4x1x64xbf16>, %g: tensor<4x4x1xf32>,
                                 %beta: tensor<4x4x1xbf16>, %s: tensor<4x4x64x64xf32>)
    -> (tensor<4x4x1x64xbf16>, tensor<4x4x64x64xf32>) {
  %o, %next = celeris.recurrence %q, %k, %v decay scalar(%g : tensor<4x4x1xf32>)
      update delta(%beta : tensor<4x4x1xbf16>) initial_state(%s : tensor<4x4x64x64xf32>)
      : tensor<4x4x1x64xbf16>, tensor<4x4x1x64xbf16>, tensor<4x4x1x64xbf16>
      -> tensor<4x4x1x64xbf16>, tensor<4x4x64x64xf32>
  return %o, %next : tensor<4x4x1x64xbf16>, tensor<4x4x64x64xf32>
}
