// Linear sequence modeling layers, one op with different decay and update
// rules: RetNet, Mamba-2 (SSD), GLA, and a Gated DeltaNet decode step that
// carries its state. Decays arrive as raw gate logits and go through
// log-sigmoid, as in the models, so that they are at most 0 in log space:
// log_sigmoid(x) = -log1p(exp(-x)).

func.func @retnet(%q: tensor<2x4x256x64xbf16>, %k: tensor<2x4x256x64xbf16>,
                  %v: tensor<2x4x256x64xbf16>, %gamma_logit: tensor<4xf32>)
    -> tensor<2x4x256x64xbf16> {
  %ne = arith.negf %gamma_logit : tensor<4xf32>
  %en = math.exp %ne : tensor<4xf32>
  %l = math.log1p %en : tensor<4xf32>
  %log_gamma = arith.negf %l : tensor<4xf32>
  %o = celeris.recurrence %q, %k, %v decay head(%log_gamma : tensor<4xf32>)
      : tensor<2x4x256x64xbf16>, tensor<2x4x256x64xbf16>, tensor<2x4x256x64xbf16>
      -> tensor<2x4x256x64xbf16>
  return %o : tensor<2x4x256x64xbf16>
}

func.func @mamba2_ssd(%c: tensor<2x4x256x64xbf16>, %b: tensor<2x4x256x64xbf16>,
                      %x: tensor<2x4x256x32xbf16>, %gate: tensor<2x4x256xf32>)
    -> (tensor<2x4x256x32xbf16>, tensor<2x4x64x32xf32>) {
  %ng = arith.negf %gate : tensor<2x4x256xf32>
  %eg = math.exp %ng : tensor<2x4x256xf32>
  %lg = math.log1p %eg : tensor<2x4x256xf32>
  %dt_a = arith.negf %lg : tensor<2x4x256xf32>
  %y, %state = celeris.recurrence %c, %b, %x decay scalar(%dt_a : tensor<2x4x256xf32>) scale 1.0
      : tensor<2x4x256x64xbf16>, tensor<2x4x256x64xbf16>, tensor<2x4x256x32xbf16>
      -> tensor<2x4x256x32xbf16>, tensor<2x4x64x32xf32>
  return %y, %state : tensor<2x4x256x32xbf16>, tensor<2x4x64x32xf32>
}

func.func @gla(%q: tensor<2x4x?x32xf16>, %k: tensor<2x4x?x32xf16>, %v: tensor<2x4x?x64xf16>,
               %gate: tensor<2x4x?x32xf32>) -> tensor<2x4x?x64xf16> {
  %ng = arith.negf %gate : tensor<2x4x?x32xf32>
  %eg = math.exp %ng : tensor<2x4x?x32xf32>
  %lg = math.log1p %eg : tensor<2x4x?x32xf32>
  %g = arith.negf %lg : tensor<2x4x?x32xf32>
  %o = celeris.recurrence %q, %k, %v decay vector(%g : tensor<2x4x?x32xf32>)
      : tensor<2x4x?x32xf16>, tensor<2x4x?x32xf16>, tensor<2x4x?x64xf16> -> tensor<2x4x?x64xf16>
  return %o : tensor<2x4x?x64xf16>
}

func.func @gated_deltanet_decode(%q: tensor<4x4x1x64xbf16>, %k: tensor<4x4x1x64xbf16>,
                                 %v: tensor<4x4x1x64xbf16>, %gate: tensor<4x4x1xf32>,
                                 %beta_logit: tensor<4x4x1xf32>, %s: tensor<4x4x64x64xf32>)
    -> (tensor<4x4x1x64xbf16>, tensor<4x4x64x64xf32>) {
  %ng = arith.negf %gate : tensor<4x4x1xf32>
  %eg = math.exp %ng : tensor<4x4x1xf32>
  %lg = math.log1p %eg : tensor<4x4x1xf32>
  %g = arith.negf %lg : tensor<4x4x1xf32>
  // beta = sigmoid(beta_logit), the write strength in (0, 1).
  %nb = arith.negf %beta_logit : tensor<4x4x1xf32>
  %eb = math.exp %nb : tensor<4x4x1xf32>
  %one = arith.constant dense<1.0> : tensor<4x4x1xf32>
  %den = arith.addf %one, %eb : tensor<4x4x1xf32>
  %beta32 = arith.divf %one, %den : tensor<4x4x1xf32>
  %beta = arith.truncf %beta32 : tensor<4x4x1xf32> to tensor<4x4x1xbf16>
  %o, %next = celeris.recurrence %q, %k, %v decay scalar(%g : tensor<4x4x1xf32>)
      update delta(%beta : tensor<4x4x1xbf16>) initial_state(%s : tensor<4x4x64x64xf32>)
      : tensor<4x4x1x64xbf16>, tensor<4x4x1x64xbf16>, tensor<4x4x1x64xbf16>
      -> tensor<4x4x1x64xbf16>, tensor<4x4x64x64xf32>
  return %o, %next : tensor<4x4x1x64xbf16>, tensor<4x4x64x64xf32>
}
