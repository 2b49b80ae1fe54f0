// Recurrences the chunked kernel does not run, token by token with the f32
// state in registers (recurrence_sequential): per-key gates (GLA), f32
// operands and head dims other than 64 and 128; and DeltaNet and Gated
// DeltaNet, which the chunked kernel runs, pinned to this family by their
// schedule (to compare the two). Batch, heads and length are dynamic.

// GLA: a gate per key channel.
func.func @gla(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>,
               %v: tensor<?x?x?x128xbf16>, %g: tensor<?x?x?x128xf32>)
    -> tensor<?x?x?x128xbf16> {
  %o = celeris.recurrence %q, %k, %v decay vector(%g : tensor<?x?x?x128xf32>)
      : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
      -> tensor<?x?x?x128xbf16>
  return %o : tensor<?x?x?x128xbf16>
}

// DeltaNet: the delta rule without decay (token by token by its schedule).
func.func @deltanet(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>,
                    %v: tensor<?x?x?x128xbf16>, %beta: tensor<?x?x?xbf16>)
    -> tensor<?x?x?x128xbf16> {
  %o = celeris.recurrence %q, %k, %v update delta(%beta : tensor<?x?x?xbf16>) {celeris.gpu_schedule = #celeris.gpu_schedule<kernel = recurrence_sequential, tensor_cores = mma_sync, warps = 4, kv_tile = 32, stages = 2, min_ctas_per_sm = 0>}
      : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
      -> tensor<?x?x?x128xbf16>
  return %o : tensor<?x?x?x128xbf16>
}

// Gated DeltaNet: scalar gate and delta rule, state in and out.
func.func @gated_deltanet(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>,
                          %v: tensor<?x?x?x128xbf16>, %g: tensor<?x?x?xf32>,
                          %beta: tensor<?x?x?xbf16>, %s0: tensor<?x?x128x128xf32>)
    -> (tensor<?x?x?x128xbf16>, tensor<?x?x128x128xf32>) {
  %o, %s = celeris.recurrence %q, %k, %v decay scalar(%g : tensor<?x?x?xf32>)
      update delta(%beta : tensor<?x?x?xbf16>) initial_state(%s0 : tensor<?x?x128x128xf32>) {celeris.gpu_schedule = #celeris.gpu_schedule<kernel = recurrence_sequential, tensor_cores = mma_sync, warps = 4, kv_tile = 32, stages = 2, min_ctas_per_sm = 0>}
      : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
      -> tensor<?x?x?x128xbf16>, tensor<?x?x128x128xf32>
  return %o, %s : tensor<?x?x?x128xbf16>, tensor<?x?x128x128xf32>
}

// GLA in f16 with Dk 32 and Dv 64 (the sizes of examples/recurrence.mlir).
func.func @gla_dk32_dv64_f16(%q: tensor<?x?x?x32xf16>, %k: tensor<?x?x?x32xf16>,
                             %v: tensor<?x?x?x64xf16>, %g: tensor<?x?x?x32xf32>)
    -> tensor<?x?x?x64xf16> {
  %o = celeris.recurrence %q, %k, %v decay vector(%g : tensor<?x?x?x32xf32>)
      : tensor<?x?x?x32xf16>, tensor<?x?x?x32xf16>, tensor<?x?x?x64xf16>
      -> tensor<?x?x?x64xf16>
  return %o : tensor<?x?x?x64xf16>
}

// DeltaNet in f32 with Dk 40 and Dv 24 (a warp's columns partly past Dv:
// none; the CTA's last warps idle), final state out.
func.func @deltanet_f32_dk40_dv24(%q: tensor<?x?x?x40xf32>, %k: tensor<?x?x?x40xf32>,
                                  %v: tensor<?x?x?x24xf32>, %beta: tensor<?x?x?xf32>)
    -> (tensor<?x?x?x24xf32>, tensor<?x?x40x24xf32>) {
  %o, %s = celeris.recurrence %q, %k, %v update delta(%beta : tensor<?x?x?xf32>)
      : tensor<?x?x?x40xf32>, tensor<?x?x?x40xf32>, tensor<?x?x?x24xf32>
      -> tensor<?x?x?x24xf32>, tensor<?x?x40x24xf32>
  return %o, %s : tensor<?x?x?x24xf32>, tensor<?x?x40x24xf32>
}

// Mamba-2 (SSD) with Dk 64 and Dv 32: a scalar gate per token, scale 1,
// the state out.
func.func @mamba2_dk64_dv32(%c: tensor<?x?x?x64xbf16>, %b: tensor<?x?x?x64xbf16>,
                            %x: tensor<?x?x?x32xbf16>, %g: tensor<?x?x?xf32>)
    -> (tensor<?x?x?x32xbf16>, tensor<?x?x64x32xf32>) {
  %y, %s = celeris.recurrence %c, %b, %x decay scalar(%g : tensor<?x?x?xf32>) scale 1.0
      : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>, tensor<?x?x?x32xbf16>
      -> tensor<?x?x?x32xbf16>, tensor<?x?x64x32xf32>
  return %y, %s : tensor<?x?x?x32xbf16>, tensor<?x?x64x32xf32>
}

// RetNet at head dim 32 with the state in and out.
func.func @retnet_d32(%q: tensor<?x?x?x32xbf16>, %k: tensor<?x?x?x32xbf16>,
                      %v: tensor<?x?x?x32xbf16>, %g: tensor<?xf32>,
                      %s0: tensor<?x?x32x32xf32>)
    -> (tensor<?x?x?x32xbf16>, tensor<?x?x32x32xf32>) {
  %o, %s = celeris.recurrence %q, %k, %v decay head(%g : tensor<?xf32>)
      initial_state(%s0 : tensor<?x?x32x32xf32>)
      : tensor<?x?x?x32xbf16>, tensor<?x?x?x32xbf16>, tensor<?x?x?x32xbf16>
      -> tensor<?x?x?x32xbf16>, tensor<?x?x32x32xf32>
  return %o, %s : tensor<?x?x?x32xbf16>, tensor<?x?x32x32xf32>
}
