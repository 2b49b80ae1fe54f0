// One token of each linear sequence model: the decode step, carrying the
// f32 state from one token to the next (recurrence_step: the state is read
// and written once). Batch and heads are dynamic; the length is 1.

// Gated DeltaNet: scalar gate, delta rule.
func.func @gated_deltanet_step(%q: tensor<?x?x1x128xbf16>, %k: tensor<?x?x1x128xbf16>,
                               %v: tensor<?x?x1x128xbf16>, %g: tensor<?x?x1xf32>,
                               %beta: tensor<?x?x1xbf16>, %s0: tensor<?x?x128x128xf32>)
    -> (tensor<?x?x1x128xbf16>, tensor<?x?x128x128xf32>) {
  %o, %s = celeris.recurrence %q, %k, %v decay scalar(%g : tensor<?x?x1xf32>)
      update delta(%beta : tensor<?x?x1xbf16>) initial_state(%s0 : tensor<?x?x128x128xf32>)
      : tensor<?x?x1x128xbf16>, tensor<?x?x1x128xbf16>, tensor<?x?x1x128xbf16>
      -> tensor<?x?x1x128xbf16>, tensor<?x?x128x128xf32>
  return %o, %s : tensor<?x?x1x128xbf16>, tensor<?x?x128x128xf32>
}

// DeltaNet in f32, head dim 64.
func.func @deltanet_step_f32(%q: tensor<?x?x1x64xf32>, %k: tensor<?x?x1x64xf32>,
                             %v: tensor<?x?x1x64xf32>, %beta: tensor<?x?x1xf32>,
                             %s0: tensor<?x?x64x64xf32>)
    -> (tensor<?x?x1x64xf32>, tensor<?x?x64x64xf32>) {
  %o, %s = celeris.recurrence %q, %k, %v update delta(%beta : tensor<?x?x1xf32>)
      initial_state(%s0 : tensor<?x?x64x64xf32>)
      : tensor<?x?x1x64xf32>, tensor<?x?x1x64xf32>, tensor<?x?x1x64xf32>
      -> tensor<?x?x1x64xf32>, tensor<?x?x64x64xf32>
  return %o, %s : tensor<?x?x1x64xf32>, tensor<?x?x64x64xf32>
}

// GLA: a gate per key channel.
func.func @gla_step(%q: tensor<?x?x1x128xbf16>, %k: tensor<?x?x1x128xbf16>,
                    %v: tensor<?x?x1x128xbf16>, %g: tensor<?x?x1x128xf32>,
                    %s0: tensor<?x?x128x128xf32>)
    -> (tensor<?x?x1x128xbf16>, tensor<?x?x128x128xf32>) {
  %o, %s = celeris.recurrence %q, %k, %v decay vector(%g : tensor<?x?x1x128xf32>)
      initial_state(%s0 : tensor<?x?x128x128xf32>)
      : tensor<?x?x1x128xbf16>, tensor<?x?x1x128xbf16>, tensor<?x?x1x128xbf16>
      -> tensor<?x?x1x128xbf16>, tensor<?x?x128x128xf32>
  return %o, %s : tensor<?x?x1x128xbf16>, tensor<?x?x128x128xf32>
}

// RetNet: one decay per head.
func.func @retnet_step(%q: tensor<?x?x1x128xbf16>, %k: tensor<?x?x1x128xbf16>,
                       %v: tensor<?x?x1x128xbf16>, %log_gamma: tensor<?xf32>,
                       %s0: tensor<?x?x128x128xf32>)
    -> (tensor<?x?x1x128xbf16>, tensor<?x?x128x128xf32>) {
  %o, %s = celeris.recurrence %q, %k, %v decay head(%log_gamma : tensor<?xf32>)
      initial_state(%s0 : tensor<?x?x128x128xf32>)
      : tensor<?x?x1x128xbf16>, tensor<?x?x1x128xbf16>, tensor<?x?x1x128xbf16>
      -> tensor<?x?x1x128xbf16>, tensor<?x?x128x128xf32>
  return %o, %s : tensor<?x?x1x128xbf16>, tensor<?x?x128x128xf32>
}

// Mamba-2: scalar gate, state of 128 x 64, f16.
func.func @mamba2_step(%c: tensor<?x?x1x128xf16>, %b: tensor<?x?x1x128xf16>,
                       %x: tensor<?x?x1x64xf16>, %dt_a: tensor<?x?x1xf32>,
                       %h0: tensor<?x?x128x64xf32>)
    -> (tensor<?x?x1x64xf16>, tensor<?x?x128x64xf32>) {
  %y, %h = celeris.recurrence %c, %b, %x decay scalar(%dt_a : tensor<?x?x1xf32>)
      initial_state(%h0 : tensor<?x?x128x64xf32>) scale 1.0
      : tensor<?x?x1x128xf16>, tensor<?x?x1x128xf16>, tensor<?x?x1x64xf16>
      -> tensor<?x?x1x64xf16>, tensor<?x?x128x64xf32>
  return %y, %h : tensor<?x?x1x64xf16>, tensor<?x?x128x64xf32>
}
