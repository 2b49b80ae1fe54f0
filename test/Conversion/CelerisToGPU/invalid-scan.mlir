// Scan errors: a state dim the selective-scan kernel cannot hold, operands no prologue can compute, and the
// composites the decomposition cannot keep.
// RUN: celeris-opt %s -split-input-file -celeris-gpu -verify-diagnostics
// RUN: not celeris-opt %s -celeris-decompose-composites=keep=celeris.mla 2>&1 | FileCheck %s --check-prefix=KEEP

// KEEP: error: celeris-decompose-composites: cannot keep 'celeris.mla'; only celeris.selective_scan and celeris.moe can be kept

func.func @many_states(%u: tensor<2x8x64xf32>, %dt: tensor<2x8x64xf32>, %A: tensor<8x32xf32>,
                       %B: tensor<2x32x64xf32>, %C: tensor<2x32x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{GPU selective scan: the kernel keeps a channel's states in registers: the state dim (A's dim 1) must be static, 1 to 16, got 32}}
  %y = celeris.selective_scan %u, %dt, %A, %B, %C
      : tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<8x32xf32>, tensor<2x32x64xf32>,
        tensor<2x32x64xf32> -> tensor<2x8x64xf32>
  return %y : tensor<2x8x64xf32>
}

// -----

func.func @reduced_b(%a: tensor<2x64xf32>, %wide: tensor<2x64x4xf32>) -> tensor<2x64xf32> {
  %zero = arith.constant dense<0.0> : tensor<2x64xf32>
  // expected-error @+1 {{GPU scan: the b is computed by 'linalg.reduce', which the kernel cannot apply as it loads the b: only elementwise arith and math ops on tensors of its shape and splat constants can be}}
  %b = linalg.reduce ins(%wide : tensor<2x64x4xf32>) outs(%zero : tensor<2x64xf32>) dimensions = [2]
    (%x: f32, %acc: f32) {
      %s = arith.addf %x, %acc : f32
      linalg.yield %s : f32
    }
  %h = celeris.scan %a, %b axis 1 : tensor<2x64xf32>, tensor<2x64xf32> -> tensor<2x64xf32>
  return %h : tensor<2x64xf32>
}
