// Linear sequence models for the GPU path: one celeris.recurrence per
// function (the function's arguments and results are the kernel's), at the
// shape of flash-linear-attention's benchmark ([B, H, T, D] here where fla
// takes [B, T, H, D]). Batch, heads and length are dynamic: one kernel
// serves every size. Gates are log-space decays (<= 0), as the models
// compute them before the recurrence.

// Linear attention: no decay, additive update.
func.func @linear_attention(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>,
                            %v: tensor<?x?x?x128xbf16>) -> tensor<?x?x?x128xbf16> {
  %o = celeris.recurrence %q, %k, %v
      : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
      -> tensor<?x?x?x128xbf16>
  return %o : tensor<?x?x?x128xbf16>
}

// RetNet: one decay per head.
func.func @retnet(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>,
                  %v: tensor<?x?x?x128xbf16>, %log_gamma: tensor<?xf32>)
    -> tensor<?x?x?x128xbf16> {
  %o = celeris.recurrence %q, %k, %v decay head(%log_gamma : tensor<?xf32>)
      : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
      -> tensor<?x?x?x128xbf16>
  return %o : tensor<?x?x?x128xbf16>
}

// Mamba-2 (SSD): one gate per token, state in and out (chunked prefill).
func.func @mamba2(%c: tensor<?x?x?x128xbf16>, %b: tensor<?x?x?x128xbf16>,
                  %x: tensor<?x?x?x128xbf16>, %dt_a: tensor<?x?x?xf32>,
                  %h0: tensor<?x?x128x128xf32>)
    -> (tensor<?x?x?x128xbf16>, tensor<?x?x128x128xf32>) {
  %y, %h = celeris.recurrence %c, %b, %x decay scalar(%dt_a : tensor<?x?x?xf32>)
      initial_state(%h0 : tensor<?x?x128x128xf32>) scale 1.0
      : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
      -> tensor<?x?x?x128xbf16>, tensor<?x?x128x128xf32>
  return %y, %h : tensor<?x?x?x128xbf16>, tensor<?x?x128x128xf32>
}

// The second benchmark shape's head dim, f16, scalar gates.
func.func @scalar_d64_f16(%q: tensor<?x?x?x64xf16>, %k: tensor<?x?x?x64xf16>,
                          %v: tensor<?x?x?x64xf16>, %g: tensor<?x?x?xf32>)
    -> (tensor<?x?x?x64xf16>, tensor<?x?x64x64xf32>) {
  %o, %s = celeris.recurrence %q, %k, %v decay scalar(%g : tensor<?x?x?xf32>)
      : tensor<?x?x?x64xf16>, tensor<?x?x?x64xf16>, tensor<?x?x?x64xf16>
      -> tensor<?x?x?x64xf16>, tensor<?x?x64x64xf32>
  return %o, %s : tensor<?x?x?x64xf16>, tensor<?x?x64x64xf32>
}

// Key dim 64 with value dim 128 (Mamba-2's state of 64 x headdim).
func.func @retnet_dk64_dv128(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                             %v: tensor<?x?x?x128xbf16>, %log_gamma: tensor<?xf32>)
    -> tensor<?x?x?x128xbf16> {
  %o = celeris.recurrence %q, %k, %v decay head(%log_gamma : tensor<?xf32>)
      : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>, tensor<?x?x?x128xbf16>
      -> tensor<?x?x?x128xbf16>
  return %o : tensor<?x?x?x128xbf16>
}

// Mamba-2-like scalar gates without carried state (flash-linear-attention's
// chunk_simple_gla), and the head dim 64 forms of all three models.
func.func @simple_gla(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>,
                      %v: tensor<?x?x?x128xbf16>, %g: tensor<?x?x?xf32>)
    -> tensor<?x?x?x128xbf16> {
  %o = celeris.recurrence %q, %k, %v decay scalar(%g : tensor<?x?x?xf32>)
      : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
      -> tensor<?x?x?x128xbf16>
  return %o : tensor<?x?x?x128xbf16>
}

func.func @linear_attention_d64(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                                %v: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %o = celeris.recurrence %q, %k, %v
      : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
      -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

func.func @retnet_d64(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                      %v: tensor<?x?x?x64xbf16>, %log_gamma: tensor<?xf32>)
    -> tensor<?x?x?x64xbf16> {
  %o = celeris.recurrence %q, %k, %v decay head(%log_gamma : tensor<?xf32>)
      : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
      -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

func.func @simple_gla_d64(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                          %v: tensor<?x?x?x64xbf16>, %g: tensor<?x?x?xf32>)
    -> tensor<?x?x?x64xbf16> {
  %o = celeris.recurrence %q, %k, %v decay scalar(%g : tensor<?x?x?xf32>)
      : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
      -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// DeltaNet: the delta rule, chunkwise (the UT transform of each chunk).
func.func @deltanet_chunk(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>,
                          %v: tensor<?x?x?x128xbf16>, %beta: tensor<?x?x?xbf16>)
    -> tensor<?x?x?x128xbf16> {
  %o = celeris.recurrence %q, %k, %v update delta(%beta : tensor<?x?x?xbf16>)
      : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
      -> tensor<?x?x?x128xbf16>
  return %o : tensor<?x?x?x128xbf16>
}

// Gated DeltaNet chunkwise, state in and out.
func.func @gated_deltanet_chunk(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>,
                                %v: tensor<?x?x?x128xbf16>, %g: tensor<?x?x?xf32>,
                                %beta: tensor<?x?x?xbf16>, %s0: tensor<?x?x128x128xf32>)
    -> (tensor<?x?x?x128xbf16>, tensor<?x?x128x128xf32>) {
  %o, %s = celeris.recurrence %q, %k, %v decay scalar(%g : tensor<?x?x?xf32>)
      update delta(%beta : tensor<?x?x?xbf16>) initial_state(%s0 : tensor<?x?x128x128xf32>)
      : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
      -> tensor<?x?x?x128xbf16>, tensor<?x?x128x128xf32>
  return %o, %s : tensor<?x?x?x128xbf16>, tensor<?x?x128x128xf32>
}

// Gated DeltaNet chunkwise at head dim 64, f16.
func.func @gated_deltanet_chunk_d64(%q: tensor<?x?x?x64xf16>, %k: tensor<?x?x?x64xf16>,
                                    %v: tensor<?x?x?x64xf16>, %g: tensor<?x?x?xf32>,
                                    %beta: tensor<?x?x?xf16>)
    -> (tensor<?x?x?x64xf16>, tensor<?x?x64x64xf32>) {
  %o, %s = celeris.recurrence %q, %k, %v decay scalar(%g : tensor<?x?x?xf32>)
      update delta(%beta : tensor<?x?x?xf16>)
      : tensor<?x?x?x64xf16>, tensor<?x?x?x64xf16>, tensor<?x?x?x64xf16>
      -> tensor<?x?x?x64xf16>, tensor<?x?x64x64xf32>
  return %o, %s : tensor<?x?x?x64xf16>, tensor<?x?x64x64xf32>
}
