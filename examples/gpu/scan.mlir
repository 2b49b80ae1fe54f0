// Elementwise linear recurrences on the GPU: celeris.scan (scan_blocked)
// along any axis, forward or reverse, and Mamba-1's selective scan with and
// without its options (selective_scan). Sizes are dynamic but the state dim.

// Along the last axis (each channel's tokens contiguous), bf16, no initial
// state.
func.func @scan_last_axis(%a: tensor<?x?xbf16>, %b: tensor<?x?xbf16>) -> tensor<?x?xbf16> {
  %h = celeris.scan %a, %b axis 1 : tensor<?x?xbf16>, tensor<?x?xbf16> -> tensor<?x?xbf16>
  return %h : tensor<?x?xbf16>
}

// Along a middle axis, backwards, from an initial state.
func.func @scan_reverse(%a: tensor<?x?x?xf32>, %b: tensor<?x?x?xf32>, %h0: tensor<?x?xf32>)
    -> tensor<?x?x?xf32> {
  %h = celeris.scan %a, %b initial(%h0 : tensor<?x?xf32>) axis 1 reverse
      : tensor<?x?x?xf32>, tensor<?x?x?xf32> -> tensor<?x?x?xf32>
  return %h : tensor<?x?x?xf32>
}

// Along the first axis, f16.
func.func @scan_first_axis_f16(%a: tensor<?x?xf16>, %b: tensor<?x?xf16>) -> tensor<?x?xf16> {
  %h = celeris.scan %a, %b axis 0 : tensor<?x?xf16>, tensor<?x?xf16> -> tensor<?x?xf16>
  return %h : tensor<?x?xf16>
}

// Mamba-1 with every option and the last state.
func.func @selective_scan_full(%u: tensor<?x?x?xbf16>, %dt: tensor<?x?x?xbf16>,
                               %A: tensor<?x16xf32>, %B: tensor<?x16x?xbf16>,
                               %C: tensor<?x16x?xbf16>, %D: tensor<?xf32>,
                               %z: tensor<?x?x?xbf16>, %dt_bias: tensor<?xf32>)
    -> (tensor<?x?x?xbf16>, tensor<?x?x16xf32>) {
  %y, %last = celeris.selective_scan %u, %dt, %A, %B, %C D(%D : tensor<?xf32>)
      z(%z : tensor<?x?x?xbf16>) delta_bias(%dt_bias : tensor<?xf32>) delta_softplus
      : tensor<?x?x?xbf16>, tensor<?x?x?xbf16>, tensor<?x16xf32>,
        tensor<?x16x?xbf16>, tensor<?x16x?xbf16> -> tensor<?x?x?xbf16>, tensor<?x?x16xf32>
  return %y, %last : tensor<?x?x?xbf16>, tensor<?x?x16xf32>
}

// The bare scan in f32 with 4 states.
func.func @selective_scan_plain(%u: tensor<?x?x?xf32>, %dt: tensor<?x?x?xf32>,
                                %A: tensor<?x4xf32>, %B: tensor<?x4x?xf32>,
                                %C: tensor<?x4x?xf32>)
    -> (tensor<?x?x?xf32>, tensor<?x?x4xf32>) {
  %y, %last = celeris.selective_scan %u, %dt, %A, %B, %C
      : tensor<?x?x?xf32>, tensor<?x?x?xf32>, tensor<?x4xf32>,
        tensor<?x4x?xf32>, tensor<?x4x?xf32> -> tensor<?x?x?xf32>, tensor<?x?x4xf32>
  return %y, %last : tensor<?x?x?xf32>, tensor<?x?x4xf32>
}
