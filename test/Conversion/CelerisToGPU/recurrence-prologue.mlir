// RUN: celeris-opt %s -celeris-gpu | FileCheck %s

// Gates and write strengths computed in the function by elementwise math
// (log-sigmoid, sigmoid) are computed by the kernel as it loads each
// element: the kernel takes the function's arguments (the raw logits), and
// the computed tensors never exist.

// CHECK-LABEL: gpu.func @gated_deltanet
// CHECK-SAME: %{{[^:]+}}: memref<2x3x?xf32>, %{{[^:]+}}: memref<2x3x?xf32>
// CHECK-SAME: celeris.arg_names = ["q", "k", "v", "decay", "beta", "out"]
// CHECK: scf.for
// The gate: -log1p(exp(-x)) of the logit loaded; exp and log1p become
// MLIR's polynomial approximations (arith and the NVVM floor), so the kernel
// needs no libdevice.
// CHECK: %[[G:.+]] = memref.load %{{.+}} : memref<2x3x?xf32>
// CHECK: arith.negf %[[G]] : f32
// CHECK-NOT: math.
// CHECK: llvm.nvvm.floor.f
// beta: sigmoid of the logit, rounded to bf16 as the function does, then
// widened.
// CHECK: %[[B:.+]] = memref.load %{{.+}} : memref<2x3x?xf32>
// CHECK: arith.negf %[[B]] : f32
// CHECK-NOT: math.
// CHECK: arith.divf
// CHECK: %[[NARROW:.+]] = arith.truncf %{{.+}} : f32 to bf16
// CHECK: arith.extf %[[NARROW]] : bf16 to f32
// CHECK-NOT: math.
// CHECK: scf.yield
func.func @gated_deltanet(%q: tensor<2x3x?x64xbf16>, %k: tensor<2x3x?x64xbf16>,
                          %v: tensor<2x3x?x64xbf16>, %gate: tensor<2x3x?xf32>,
                          %beta_logit: tensor<2x3x?xf32>) -> tensor<2x3x?x64xbf16> {
  %ng = arith.negf %gate : tensor<2x3x?xf32>
  %eg = math.exp %ng : tensor<2x3x?xf32>
  %lg = math.log1p %eg : tensor<2x3x?xf32>
  %g = arith.negf %lg : tensor<2x3x?xf32>
  %c2 = arith.constant 2 : index
  %n = tensor.dim %beta_logit, %c2 : tensor<2x3x?xf32>
  %f1 = arith.constant 1.0 : f32
  %one = tensor.splat %f1[%n] : tensor<2x3x?xf32>
  %nb = arith.negf %beta_logit : tensor<2x3x?xf32>
  %eb = math.exp %nb : tensor<2x3x?xf32>
  %den = arith.addf %one, %eb : tensor<2x3x?xf32>
  %beta32 = arith.divf %one, %den : tensor<2x3x?xf32>
  %beta = arith.truncf %beta32 : tensor<2x3x?xf32> to tensor<2x3x?xbf16>
  %o = celeris.recurrence %q, %k, %v decay scalar(%g : tensor<2x3x?xf32>)
      update delta(%beta : tensor<2x3x?xbf16>)
      : tensor<2x3x?x64xbf16>, tensor<2x3x?x64xbf16>, tensor<2x3x?x64xbf16>
      -> tensor<2x3x?x64xbf16>
  return %o : tensor<2x3x?x64xbf16>
}

// The chunked kernel applies a head decay's math once per CTA.
// CHECK-LABEL: gpu.func @retnet
// CHECK-SAME: celeris.gpu_schedule = #celeris.gpu_schedule<kernel = recurrence_chunk
// CHECK: %[[L:.+]] = memref.load %{{.+}} : memref<4xf32>
// CHECK: arith.negf %[[L]] : f32
// CHECK: llvm.nvvm.floor.f
// CHECK-NOT: math.
func.func @retnet(%q: tensor<2x4x?x64xbf16>, %k: tensor<2x4x?x64xbf16>,
                  %v: tensor<2x4x?x64xbf16>, %logit: tensor<4xf32>)
    -> tensor<2x4x?x64xbf16> {
  %ne = arith.negf %logit : tensor<4xf32>
  %en = math.exp %ne : tensor<4xf32>
  %l = math.log1p %en : tensor<4xf32>
  %g = arith.negf %l : tensor<4xf32>
  %o = celeris.recurrence %q, %k, %v decay head(%g : tensor<4xf32>)
      : tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16>
      -> tensor<2x4x?x64xbf16>
  return %o : tensor<2x4x?x64xbf16>
}
