// RUN: celeris-opt %s -celeris-chunk-recurrence=chunk=16 -split-input-file | FileCheck %s
// RUN: not celeris-opt %s -celeris-chunk-recurrence=chunk=0 -split-input-file 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: celeris-chunk-recurrence: chunk must be positive, got 0

// DeltaNet in bf16, S = 32 = 2 chunks of 16: static chunk shapes, inputs
// converted to f32 once per chunk, the strictly lower beta-scaled K K^T, the
// forward substitution for T = (I + A)^-1 diag(beta) (an inner loop over
// rows reading only the finished prefix), U = T V, W = T K, u = U - W S,
// the causal intra-chunk scores, and the state update.

// CHECK-LABEL: func @deltanet
// CHECK:       %[[LOOP:.+]]:2 = scf.for %[[START:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[OUT:.+]] = %{{.+}}, %[[STATE:.+]] = %{{.+}}) -> (tensor<2x3x32x4xbf16>, tensor<2x3x8x4xf32>)
// CHECK:         tensor.extract_slice %{{.+}}[0, 0, %[[START]], 0] [2, 3, 16, 8] [1, 1, 1, 1] : tensor<2x3x32x8xbf16> to tensor<2x3x16x8xbf16>
// CHECK:           arith.extf
// CHECK:         linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]{{.*}} outs(%{{.+}} : tensor<2x3x16x16xf32>)
// CHECK:           arith.cmpi ult
// CHECK:         %[[T:.+]] = scf.for %[[ROW:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[TACC:.+]] = %{{.+}}) -> (tensor<2x3x16x16xf32>)
// CHECK:           tensor.extract_slice %{{.+}}[0, 0, %[[ROW]], 0] [2, 3, 1, %[[ROW]]] {{.*}} to tensor<2x3x1x?xf32>
// CHECK:           tensor.extract_slice %[[TACC]][0, 0, 0, 0] [2, 3, %[[ROW]], 16] {{.*}} to tensor<2x3x?x16xf32>
// CHECK:             arith.cmpi eq
// CHECK:           linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK:             arith.subf
// CHECK:           %[[NEWROW:.+]] = tensor.insert_slice %{{.+}} into %[[TACC]][0, 0, %[[ROW]], 0] [2, 3, 1, 16]
// CHECK:           scf.yield %[[NEWROW]]
// CHECK:         %[[U:.+]] = linalg.generic {{.*}} ins(%[[T]], %{{.+}} : tensor<2x3x16x16xf32>, tensor<2x3x16x4xf32>)
// CHECK:         %[[W:.+]] = linalg.generic {{.*}} ins(%[[T]], %{{.+}} : tensor<2x3x16x16xf32>, tensor<2x3x16x8xf32>)
// CHECK:         %[[PSEUDO:.+]] = linalg.generic {{.*}} ins(%[[W]], %[[STATE]] : {{.*}}) outs(%[[U]] : tensor<2x3x16x4xf32>)
// CHECK:           arith.subf
// CHECK:           arith.cmpi ule
// CHECK:         linalg.generic {{.*}} ins(%{{.+}}, %[[PSEUDO]] : tensor<2x3x16x16xf32>, tensor<2x3x16x4xf32>)
// CHECK:           arith.truncf {{.*}} f32 to bf16
// CHECK:         %[[NEWSTATE:.+]] = linalg.generic {{.*}} ins(%{{.+}}, %[[PSEUDO]] : {{.*}}) outs(%[[STATE]] : tensor<2x3x8x4xf32>)
// CHECK:         %[[NEWOUT:.+]] = tensor.insert_slice %{{.+}} into %[[OUT]][0, 0, %[[START]], 0] [2, 3, 16, 4]
// CHECK:         scf.yield %[[NEWOUT]], %[[NEWSTATE]]
// CHECK:       return %[[LOOP]]#0
// CHECK-NOT:   celeris.recurrence
func.func @deltanet(%q: tensor<2x3x32x8xbf16>, %k: tensor<2x3x32x8xbf16>,
                    %v: tensor<2x3x32x4xbf16>, %beta: tensor<2x3x32xbf16>)
    -> tensor<2x3x32x4xbf16> {
  %o = celeris.recurrence %q, %k, %v update delta(%beta : tensor<2x3x32xbf16>)
      : tensor<2x3x32x8xbf16>, tensor<2x3x32x8xbf16>, tensor<2x3x32x4xbf16>
      -> tensor<2x3x32x4xbf16>
  return %o : tensor<2x3x32x4xbf16>
}

// -----

// Mamba-2 (scalar decay, additive) with S = 37: the last chunk is shorter,
// so the chunk length is min(16, S - start) and the chunk tensors are
// dynamic; the cumulative log decay is a masked sum over the chunk; the
// decay ratios exp(G_i - G_j) scale the causal scores; no forward
// substitution.

// CHECK-LABEL: func @mamba2
// CHECK-SAME:    %[[INIT:[^:]+]]: tensor<1x2x8x4xf32>
// CHECK:       scf.for %[[START:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%{{.+}} = %{{.+}}, %{{.+}} = %[[INIT]])
// CHECK:         %[[REM:.+]] = arith.subi %{{.+}}, %[[START]]
// CHECK:         %[[LEN:.+]] = arith.minsi %[[REM]], %{{.+}}
// CHECK:         tensor.extract_slice %{{.+}}[0, 0, %[[START]], 0] [1, 2, %[[LEN]], 8]
// CHECK:         linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]{{.*}} outs(%{{.+}} : tensor<1x2x?xf32>)
// CHECK:           arith.cmpi ule
// CHECK:           arith.addf
// CHECK-NOT:     scf.for
// CHECK:         linalg.generic {{.*}} outs(%{{.+}} : tensor<1x2x?x?xf32>)
// CHECK:         linalg.generic
// CHECK:           arith.cmpi ule
// CHECK:           arith.subf
// CHECK:           math.exp
// CHECK:         scf.yield
// CHECK-NOT:   celeris.recurrence
func.func @mamba2(%q: tensor<1x2x37x8xf32>, %k: tensor<1x2x37x8xf32>,
                  %v: tensor<1x2x37x4xf32>, %g: tensor<1x2x37xf32>,
                  %s0: tensor<1x2x8x4xf32>)
    -> (tensor<1x2x37x4xf32>, tensor<1x2x8x4xf32>) {
  %o, %s = celeris.recurrence %q, %k, %v decay scalar(%g : tensor<1x2x37xf32>)
      initial_state(%s0 : tensor<1x2x8x4xf32>)
      : tensor<1x2x37x8xf32>, tensor<1x2x37x8xf32>, tensor<1x2x37x4xf32>
      -> tensor<1x2x37x4xf32>, tensor<1x2x8x4xf32>
  return %o, %s : tensor<1x2x37x4xf32>, tensor<1x2x8x4xf32>
}

// -----

// GLA (vector decay): the per-channel decay ratio enters the score
// contraction, formed only for j <= i.

// CHECK-LABEL: func @gla
// CHECK:       scf.for
// CHECK:         linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]{{.*}} outs(%{{.+}} : tensor<1x2x16x16xf32>)
// CHECK:           linalg.index 2
// CHECK:           linalg.index 3
// CHECK:           arith.subf
// CHECK:           math.exp
// CHECK:           arith.cmpi ule
// CHECK:           arith.select
// CHECK:           arith.mulf
// CHECK-NOT:   celeris.recurrence
func.func @gla(%q: tensor<1x2x16x8xf32>, %k: tensor<1x2x16x8xf32>,
               %v: tensor<1x2x16x4xf32>, %g: tensor<1x2x16x8xf32>)
    -> tensor<1x2x16x4xf32> {
  %o = celeris.recurrence %q, %k, %v decay vector(%g : tensor<1x2x16x8xf32>)
      : tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x4xf32>
      -> tensor<1x2x16x4xf32>
  return %o : tensor<1x2x16x4xf32>
}
