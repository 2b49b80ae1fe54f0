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

func.func @sliced_b(%a: tensor<2x64xf32>, %wide: tensor<2x128xf32>) -> tensor<2x64xf32> {
  // expected-error @+1 {{GPU scan: the b is computed by 'tensor.extract_slice', which the kernel cannot apply as it loads the b: only elementwise arith and math ops on tensors of its shape and splat constants can be}}
  %b = tensor.extract_slice %wide[0, 0] [2, 64] [1, 1] : tensor<2x128xf32> to tensor<2x64xf32>
  %h = celeris.scan %a, %b axis 1 : tensor<2x64xf32>, tensor<2x64xf32> -> tensor<2x64xf32>
  return %h : tensor<2x64xf32>
}

// -----

func.func @splat_of_extract(%a: tensor<2x64xf32>, %b: tensor<2x64xf32>, %s: tensor<1xf32>) -> tensor<2x64xf32> {
  %c0 = arith.constant 0 : index
  %x = tensor.extract %s[%c0] : tensor<1xf32>
  // expected-error @+1 {{GPU scan: the a splats a value that is not a constant; the kernel has no place for it}}
  %splat = tensor.splat %x : tensor<2x64xf32>
  %scaled = arith.mulf %a, %splat : tensor<2x64xf32>
  %h = celeris.scan %scaled, %b axis 1 : tensor<2x64xf32>, tensor<2x64xf32> -> tensor<2x64xf32>
  return %h : tensor<2x64xf32>
}

// -----

// Math with no arith expansion and no NVVM instruction is an error at the
// function's op, not a libdevice call left for the linker.
func.func @copysign(%a: tensor<2x64xf32>, %b: tensor<2x64xf32>) -> tensor<2x64xf32> {
  %one = arith.constant dense<1.0> : tensor<2x64xf32>
  // expected-error @+1 {{GPU lowering: 'math.copysign' in an operand's elementwise math has no expansion for the GPU (exp, log, log1p, tanh, erf, sin, cos and the like have)}}
  %signed = math.copysign %one, %a : tensor<2x64xf32>
  %h = celeris.scan %signed, %b axis 1 : tensor<2x64xf32>, tensor<2x64xf32> -> tensor<2x64xf32>
  return %h : tensor<2x64xf32>
}
