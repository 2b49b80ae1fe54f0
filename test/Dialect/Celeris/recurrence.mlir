// RUN: celeris-opt %s | celeris-opt | FileCheck %s
// RUN: celeris-opt %s --mlir-print-op-generic | celeris-opt | FileCheck %s

//===----------------------------------------------------------------------===//
// celeris.recurrence: every decay kind with every update kind.
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @linear_attention
func.func @linear_attention(%q: tensor<2x8x64x32xf32>, %k: tensor<2x8x64x32xf32>,
                            %v: tensor<2x8x64x16xf32>) -> tensor<2x8x64x16xf32> {
  // CHECK: celeris.recurrence %{{.+}}, %{{.+}}, %{{.+}} : tensor<2x8x64x32xf32>, tensor<2x8x64x32xf32>, tensor<2x8x64x16xf32> -> tensor<2x8x64x16xf32>
  %o = celeris.recurrence %q, %k, %v
      : tensor<2x8x64x32xf32>, tensor<2x8x64x32xf32>, tensor<2x8x64x16xf32>
      -> tensor<2x8x64x16xf32>
  return %o : tensor<2x8x64x16xf32>
}

// CHECK-LABEL: func @retnet
func.func @retnet(%q: tensor<2x8x64x32xbf16>, %k: tensor<2x8x64x32xbf16>,
                  %v: tensor<2x8x64x16xbf16>, %g: tensor<8xf32>)
    -> (tensor<2x8x64x16xbf16>, tensor<2x8x32x16xf32>) {
  // CHECK: celeris.recurrence %{{.+}}, %{{.+}}, %{{.+}} decay head(%{{.+}} : tensor<8xf32>) scale 1.250000e-01 : tensor<2x8x64x32xbf16>, tensor<2x8x64x32xbf16>, tensor<2x8x64x16xbf16> -> tensor<2x8x64x16xbf16>, tensor<2x8x32x16xf32>
  %o, %s = celeris.recurrence %q, %k, %v decay head(%g : tensor<8xf32>)
      scale 0.125
      : tensor<2x8x64x32xbf16>, tensor<2x8x64x32xbf16>, tensor<2x8x64x16xbf16>
      -> tensor<2x8x64x16xbf16>, tensor<2x8x32x16xf32>
  return %o, %s : tensor<2x8x64x16xbf16>, tensor<2x8x32x16xf32>
}

// CHECK-LABEL: func @mamba2
func.func @mamba2(%q: tensor<2x8x64x32xf16>, %k: tensor<2x8x64x32xf16>,
                  %v: tensor<2x8x64x16xf16>, %g: tensor<2x8x64xf32>,
                  %s0: tensor<2x8x32x16xf32>) -> tensor<2x8x64x16xf16> {
  // CHECK: celeris.recurrence %{{.+}}, %{{.+}}, %{{.+}} decay scalar(%{{.+}} : tensor<2x8x64xf32>) initial_state(%{{.+}} : tensor<2x8x32x16xf32>) : tensor<2x8x64x32xf16>, tensor<2x8x64x32xf16>, tensor<2x8x64x16xf16> -> tensor<2x8x64x16xf16>
  %o = celeris.recurrence %q, %k, %v decay scalar(%g : tensor<2x8x64xf32>)
      initial_state(%s0 : tensor<2x8x32x16xf32>)
      : tensor<2x8x64x32xf16>, tensor<2x8x64x32xf16>, tensor<2x8x64x16xf16>
      -> tensor<2x8x64x16xf16>
  return %o : tensor<2x8x64x16xf16>
}

// CHECK-LABEL: func @gla
func.func @gla(%q: tensor<2x8x64x32xbf16>, %k: tensor<2x8x64x32xbf16>,
               %v: tensor<2x8x64x16xbf16>, %g: tensor<2x8x64x32xf32>,
               %s0: tensor<2x8x32x16xf32>)
    -> (tensor<2x8x64x16xbf16>, tensor<2x8x32x16xf32>) {
  // CHECK: celeris.recurrence %{{.+}}, %{{.+}}, %{{.+}} decay vector(%{{.+}} : tensor<2x8x64x32xf32>) initial_state(%{{.+}} : tensor<2x8x32x16xf32>) : tensor<2x8x64x32xbf16>, tensor<2x8x64x32xbf16>, tensor<2x8x64x16xbf16> -> tensor<2x8x64x16xbf16>, tensor<2x8x32x16xf32>
  %o, %s = celeris.recurrence %q, %k, %v
      decay vector(%g : tensor<2x8x64x32xf32>)
      initial_state(%s0 : tensor<2x8x32x16xf32>)
      : tensor<2x8x64x32xbf16>, tensor<2x8x64x32xbf16>, tensor<2x8x64x16xbf16>
      -> tensor<2x8x64x16xbf16>, tensor<2x8x32x16xf32>
  return %o, %s : tensor<2x8x64x16xbf16>, tensor<2x8x32x16xf32>
}

// CHECK-LABEL: func @deltanet
func.func @deltanet(%q: tensor<2x8x64x32xbf16>, %k: tensor<2x8x64x32xbf16>,
                    %v: tensor<2x8x64x32xbf16>, %beta: tensor<2x8x64xbf16>)
    -> tensor<2x8x64x32xbf16> {
  // CHECK: celeris.recurrence %{{.+}}, %{{.+}}, %{{.+}} update delta(%{{.+}} : tensor<2x8x64xbf16>) : tensor<2x8x64x32xbf16>, tensor<2x8x64x32xbf16>, tensor<2x8x64x32xbf16> -> tensor<2x8x64x32xbf16>
  %o = celeris.recurrence %q, %k, %v update delta(%beta : tensor<2x8x64xbf16>)
      : tensor<2x8x64x32xbf16>, tensor<2x8x64x32xbf16>, tensor<2x8x64x32xbf16>
      -> tensor<2x8x64x32xbf16>
  return %o : tensor<2x8x64x32xbf16>
}

// CHECK-LABEL: func @gated_deltanet
func.func @gated_deltanet(%q: tensor<2x8x64x32xbf16>, %k: tensor<2x8x64x32xbf16>,
                          %v: tensor<2x8x64x16xbf16>, %g: tensor<2x8x64xf32>,
                          %beta: tensor<2x8x64xbf16>, %s0: tensor<2x8x32x16xf32>)
    -> (tensor<2x8x64x16xbf16>, tensor<2x8x32x16xf32>) {
  // CHECK: celeris.recurrence %{{.+}}, %{{.+}}, %{{.+}} decay scalar(%{{.+}} : tensor<2x8x64xf32>) update delta(%{{.+}} : tensor<2x8x64xbf16>) initial_state(%{{.+}} : tensor<2x8x32x16xf32>) scale 0.176776{{[0-9]*}} : tensor<2x8x64x32xbf16>, tensor<2x8x64x32xbf16>, tensor<2x8x64x16xbf16> -> tensor<2x8x64x16xbf16>, tensor<2x8x32x16xf32>
  %o, %s = celeris.recurrence %q, %k, %v
      decay scalar(%g : tensor<2x8x64xf32>)
      update delta(%beta : tensor<2x8x64xbf16>)
      initial_state(%s0 : tensor<2x8x32x16xf32>) scale 0.1767767
      : tensor<2x8x64x32xbf16>, tensor<2x8x64x32xbf16>, tensor<2x8x64x16xbf16>
      -> tensor<2x8x64x16xbf16>, tensor<2x8x32x16xf32>
  return %o, %s : tensor<2x8x64x16xbf16>, tensor<2x8x32x16xf32>
}

// Delta rule with a per-head decay (no named model, but well defined).
// CHECK-LABEL: func @head_delta
func.func @head_delta(%q: tensor<1x4x16x8xf32>, %k: tensor<1x4x16x8xf32>,
                      %v: tensor<1x4x16x8xf32>, %g: tensor<4xf32>,
                      %beta: tensor<1x4x16xf32>) -> tensor<1x4x16x8xf32> {
  // CHECK: celeris.recurrence %{{.+}}, %{{.+}}, %{{.+}} decay head(%{{.+}} : tensor<4xf32>) update delta(%{{.+}} : tensor<1x4x16xf32>) :
  %o = celeris.recurrence %q, %k, %v decay head(%g : tensor<4xf32>)
      update delta(%beta : tensor<1x4x16xf32>)
      : tensor<1x4x16x8xf32>, tensor<1x4x16x8xf32>, tensor<1x4x16x8xf32>
      -> tensor<1x4x16x8xf32>
  return %o : tensor<1x4x16x8xf32>
}

// Delta rule with a gate per key channel (KDA-like).
// CHECK-LABEL: func @vector_delta
func.func @vector_delta(%q: tensor<1x4x16x8xf32>, %k: tensor<1x4x16x8xf32>,
                        %v: tensor<1x4x16x8xf32>, %g: tensor<1x4x16x8xf32>,
                        %beta: tensor<1x4x16xf32>)
    -> (tensor<1x4x16x8xf32>, tensor<1x4x8x8xf32>) {
  // CHECK: celeris.recurrence %{{.+}}, %{{.+}}, %{{.+}} decay vector(%{{.+}} : tensor<1x4x16x8xf32>) update delta(%{{.+}} : tensor<1x4x16xf32>) : {{.*}} -> tensor<1x4x16x8xf32>, tensor<1x4x8x8xf32>
  %o, %s = celeris.recurrence %q, %k, %v decay vector(%g : tensor<1x4x16x8xf32>)
      update delta(%beta : tensor<1x4x16xf32>)
      : tensor<1x4x16x8xf32>, tensor<1x4x16x8xf32>, tensor<1x4x16x8xf32>
      -> tensor<1x4x16x8xf32>, tensor<1x4x8x8xf32>
  return %o, %s : tensor<1x4x16x8xf32>, tensor<1x4x8x8xf32>
}

// Dynamic batch, sequence and head dimensions.
// CHECK-LABEL: func @dynamic
func.func @dynamic(%q: tensor<?x8x?x?xbf16>, %k: tensor<?x8x?x32xbf16>,
                   %v: tensor<?x8x?x?xbf16>, %g: tensor<?x?x?xf32>,
                   %beta: tensor<?x8x?xbf16>, %s0: tensor<?x8x32x?xf32>)
    -> (tensor<?x8x?x?xbf16>, tensor<?x?x?x?xf32>) {
  // CHECK: celeris.recurrence %{{.+}}, %{{.+}}, %{{.+}} decay scalar(%{{.+}} : tensor<?x?x?xf32>) update delta(%{{.+}} : tensor<?x8x?xbf16>) initial_state(%{{.+}} : tensor<?x8x32x?xf32>) : tensor<?x8x?x?xbf16>, tensor<?x8x?x32xbf16>, tensor<?x8x?x?xbf16> -> tensor<?x8x?x?xbf16>, tensor<?x?x?x?xf32>
  %o, %s = celeris.recurrence %q, %k, %v decay scalar(%g : tensor<?x?x?xf32>)
      update delta(%beta : tensor<?x8x?xbf16>)
      initial_state(%s0 : tensor<?x8x32x?xf32>)
      : tensor<?x8x?x?xbf16>, tensor<?x8x?x32xbf16>, tensor<?x8x?x?xbf16>
      -> tensor<?x8x?x?xbf16>, tensor<?x?x?x?xf32>
  return %o, %s : tensor<?x8x?x?xbf16>, tensor<?x?x?x?xf32>
}

// A decode step: one token, state in and out.
// CHECK-LABEL: func @decode_step
func.func @decode_step(%q: tensor<4x16x1x128xbf16>, %k: tensor<4x16x1x128xbf16>,
                       %v: tensor<4x16x1x128xbf16>, %g: tensor<4x16x1xf32>,
                       %beta: tensor<4x16x1xbf16>, %s0: tensor<4x16x128x128xf32>)
    -> (tensor<4x16x1x128xbf16>, tensor<4x16x128x128xf32>) {
  // CHECK: %{{.+}}, %{{.+}} = celeris.recurrence %{{.+}}, %{{.+}}, %{{.+}} decay scalar(%{{.+}} : tensor<4x16x1xf32>) update delta(%{{.+}} : tensor<4x16x1xbf16>) initial_state(%{{.+}} : tensor<4x16x128x128xf32>) : tensor<4x16x1x128xbf16>, tensor<4x16x1x128xbf16>, tensor<4x16x1x128xbf16> -> tensor<4x16x1x128xbf16>, tensor<4x16x128x128xf32>
  %o, %s = celeris.recurrence %q, %k, %v decay scalar(%g : tensor<4x16x1xf32>)
      update delta(%beta : tensor<4x16x1xbf16>)
      initial_state(%s0 : tensor<4x16x128x128xf32>)
      : tensor<4x16x1x128xbf16>, tensor<4x16x1x128xbf16>, tensor<4x16x1x128xbf16>
      -> tensor<4x16x1x128xbf16>, tensor<4x16x128x128xf32>
  return %o, %s : tensor<4x16x1x128xbf16>, tensor<4x16x128x128xf32>
}

//===----------------------------------------------------------------------===//
// celeris.scan
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @scan_forward
func.func @scan_forward(%a: tensor<2x64x128xf32>, %b: tensor<2x64x128xf32>)
    -> tensor<2x64x128xf32> {
  // CHECK: celeris.scan %{{.+}}, %{{.+}} axis 2 : tensor<2x64x128xf32>, tensor<2x64x128xf32> -> tensor<2x64x128xf32>
  %h = celeris.scan %a, %b axis 2
      : tensor<2x64x128xf32>, tensor<2x64x128xf32> -> tensor<2x64x128xf32>
  return %h : tensor<2x64x128xf32>
}

// CHECK-LABEL: func @scan_reverse
func.func @scan_reverse(%a: tensor<128x64xbf16>, %b: tensor<128x64xbf16>)
    -> tensor<128x64xbf16> {
  // CHECK: celeris.scan %{{.+}}, %{{.+}} axis 0 reverse : tensor<128x64xbf16>, tensor<128x64xbf16> -> tensor<128x64xbf16>
  %h = celeris.scan %a, %b axis 0 reverse
      : tensor<128x64xbf16>, tensor<128x64xbf16> -> tensor<128x64xbf16>
  return %h : tensor<128x64xbf16>
}

// CHECK-LABEL: func @scan_initial_middle_axis
func.func @scan_initial_middle_axis(%a: tensor<2x128x64xf16>,
                                    %b: tensor<2x128x64xf16>,
                                    %h0: tensor<2x64xf16>) -> tensor<2x128x64xf16> {
  // CHECK: celeris.scan %{{.+}}, %{{.+}} initial(%{{.+}} : tensor<2x64xf16>) axis 1 : tensor<2x128x64xf16>, tensor<2x128x64xf16> -> tensor<2x128x64xf16>
  %h = celeris.scan %a, %b initial(%h0 : tensor<2x64xf16>) axis 1
      : tensor<2x128x64xf16>, tensor<2x128x64xf16> -> tensor<2x128x64xf16>
  return %h : tensor<2x128x64xf16>
}

// CHECK-LABEL: func @scan_reverse_initial_dynamic
func.func @scan_reverse_initial_dynamic(%a: tensor<?x?x64xf32>,
                                        %b: tensor<4x?x?xf32>,
                                        %h0: tensor<?x?xf32>) -> tensor<4x?x?xf32> {
  // CHECK: celeris.scan %{{.+}}, %{{.+}} initial(%{{.+}} : tensor<?x?xf32>) axis 1 reverse : tensor<?x?x64xf32>, tensor<4x?x?xf32> -> tensor<4x?x?xf32>
  %h = celeris.scan %a, %b initial(%h0 : tensor<?x?xf32>) axis 1 reverse
      : tensor<?x?x64xf32>, tensor<4x?x?xf32> -> tensor<4x?x?xf32>
  return %h : tensor<4x?x?xf32>
}

// A rank-1 scan takes a rank-0 initial value.
// CHECK-LABEL: func @scan_rank1
func.func @scan_rank1(%a: tensor<16xf32>, %b: tensor<16xf32>, %h0: tensor<f32>)
    -> tensor<16xf32> {
  // CHECK: celeris.scan %{{.+}}, %{{.+}} initial(%{{.+}} : tensor<f32>) axis 0 : tensor<16xf32>, tensor<16xf32> -> tensor<16xf32>
  %h = celeris.scan %a, %b initial(%h0 : tensor<f32>) axis 0
      : tensor<16xf32>, tensor<16xf32> -> tensor<16xf32>
  return %h : tensor<16xf32>
}

//===----------------------------------------------------------------------===//
// celeris.selective_scan
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @selective_scan_minimal
func.func @selective_scan_minimal(%u: tensor<2x64x128xf32>, %dt: tensor<2x64x128xf32>,
                                  %A: tensor<64x16xf32>, %B: tensor<2x16x128xf32>,
                                  %C: tensor<2x16x128xf32>) -> tensor<2x64x128xf32> {
  // CHECK: celeris.selective_scan %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} : tensor<2x64x128xf32>, tensor<2x64x128xf32>, tensor<64x16xf32>, tensor<2x16x128xf32>, tensor<2x16x128xf32> -> tensor<2x64x128xf32>
  %y = celeris.selective_scan %u, %dt, %A, %B, %C
      : tensor<2x64x128xf32>, tensor<2x64x128xf32>, tensor<64x16xf32>,
        tensor<2x16x128xf32>, tensor<2x16x128xf32> -> tensor<2x64x128xf32>
  return %y : tensor<2x64x128xf32>
}

// CHECK-LABEL: func @selective_scan_full
func.func @selective_scan_full(%u: tensor<2x64x128xbf16>, %dt: tensor<2x64x128xbf16>,
                               %A: tensor<64x16xf32>, %B: tensor<2x16x128xbf16>,
                               %C: tensor<2x16x128xbf16>, %D: tensor<64xf32>,
                               %z: tensor<2x64x128xbf16>, %bias: tensor<64xf32>)
    -> (tensor<2x64x128xbf16>, tensor<2x64x16xf32>) {
  // CHECK: celeris.selective_scan %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} D(%{{.+}} : tensor<64xf32>) z(%{{.+}} : tensor<2x64x128xbf16>) delta_bias(%{{.+}} : tensor<64xf32>) delta_softplus : tensor<2x64x128xbf16>, tensor<2x64x128xbf16>, tensor<64x16xf32>, tensor<2x16x128xbf16>, tensor<2x16x128xbf16> -> tensor<2x64x128xbf16>, tensor<2x64x16xf32>
  %y, %last = celeris.selective_scan %u, %dt, %A, %B, %C
      D(%D : tensor<64xf32>) z(%z : tensor<2x64x128xbf16>)
      delta_bias(%bias : tensor<64xf32>) delta_softplus
      : tensor<2x64x128xbf16>, tensor<2x64x128xbf16>, tensor<64x16xf32>,
        tensor<2x16x128xbf16>, tensor<2x16x128xbf16>
      -> tensor<2x64x128xbf16>, tensor<2x64x16xf32>
  return %y, %last : tensor<2x64x128xbf16>, tensor<2x64x16xf32>
}

// CHECK-LABEL: func @selective_scan_some_dynamic
func.func @selective_scan_some_dynamic(%u: tensor<?x64x?xf16>, %dt: tensor<?x64x?xf16>,
                                       %A: tensor<64x?xf32>, %B: tensor<?x16x?xf16>,
                                       %C: tensor<?x?x?xf16>, %bias: tensor<?xf32>)
    -> (tensor<?x64x?xf16>, tensor<?x?x16xf32>) {
  // CHECK: celeris.selective_scan %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} delta_bias(%{{.+}} : tensor<?xf32>) : tensor<?x64x?xf16>, tensor<?x64x?xf16>, tensor<64x?xf32>, tensor<?x16x?xf16>, tensor<?x?x?xf16> -> tensor<?x64x?xf16>, tensor<?x?x16xf32>
  %y, %last = celeris.selective_scan %u, %dt, %A, %B, %C
      delta_bias(%bias : tensor<?xf32>)
      : tensor<?x64x?xf16>, tensor<?x64x?xf16>, tensor<64x?xf32>,
        tensor<?x16x?xf16>, tensor<?x?x?xf16>
      -> tensor<?x64x?xf16>, tensor<?x?x16xf32>
  return %y, %last : tensor<?x64x?xf16>, tensor<?x?x16xf32>
}

// CHECK-LABEL: func @selective_scan_softplus_D
func.func @selective_scan_softplus_D(%u: tensor<1x8x4xf32>, %dt: tensor<1x8x4xf32>,
                                     %A: tensor<8x2xf32>, %B: tensor<1x2x4xf32>,
                                     %C: tensor<1x2x4xf32>, %D: tensor<8xf32>)
    -> tensor<1x8x4xf32> {
  // CHECK: celeris.selective_scan %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} D(%{{.+}} : tensor<8xf32>) delta_softplus : {{.*}} -> tensor<1x8x4xf32>
  %y = celeris.selective_scan %u, %dt, %A, %B, %C D(%D : tensor<8xf32>)
      delta_softplus
      : tensor<1x8x4xf32>, tensor<1x8x4xf32>, tensor<8x2xf32>, tensor<1x2x4xf32>,
        tensor<1x2x4xf32> -> tensor<1x8x4xf32>
  return %y : tensor<1x8x4xf32>
}
