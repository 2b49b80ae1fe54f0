// RUN: celeris-opt %s -convert-celeris-to-linalg -split-input-file | FileCheck %s

// Mamba-2 style (scalar decay, additive update): one scf.for over S carrying
// the f32 state and the collected outputs; per step the slices of t, one
// generic S = exp(g_t) S + k v^T, the readout S^T q (a reduction over Dk)
// inserted at t; the scale applied once after the loop.

// CHECK-DAG:   #[[GATE:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1)>
// CHECK-LABEL: func @scalar_additive
// CHECK-SAME:    (%[[Q:.+]]: tensor<2x3x5x4xf32>, %[[K:.+]]: tensor<2x3x5x4xf32>, %[[V:.+]]: tensor<2x3x5x6xf32>, %[[G:.+]]: tensor<2x3x5xf32>)
// CHECK-DAG:     %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG:     %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG:     %[[C5:.+]] = arith.constant 5 : index
// CHECK-DAG:     %[[SCALE:.+]] = arith.constant 5.000000e-01 : f32
// CHECK:         %[[S0:.+]] = linalg.fill {{.*}} -> tensor<2x3x4x6xf32>
// CHECK:         %[[O0:.+]] = tensor.empty() : tensor<2x3x5x6xf32>
// CHECK:         %[[LOOP:.+]]:2 = scf.for %[[T:[^ ]+]] = %[[C0]] to %[[C5]] step %[[C1]] iter_args(%[[S:[^ ]+]] = %[[S0]], %[[O:[^ ]+]] = %[[O0]]) -> (tensor<2x3x4x6xf32>, tensor<2x3x5x6xf32>)
// CHECK-DAG:       %[[KT:.+]] = tensor.extract_slice %[[K]][0, 0, %[[T]], 0] [2, 3, 1, 4] [1, 1, 1, 1] : tensor<2x3x5x4xf32> to tensor<2x3x4xf32>
// CHECK-DAG:       %[[VT:.+]] = tensor.extract_slice %[[V]][0, 0, %[[T]], 0] [2, 3, 1, 6] [1, 1, 1, 1] : tensor<2x3x5x6xf32> to tensor<2x3x6xf32>
// CHECK-DAG:       %[[GT:.+]] = tensor.extract_slice %[[G]][0, 0, %[[T]]] [2, 3, 1] [1, 1, 1] : tensor<2x3x5xf32> to tensor<2x3xf32>
// CHECK:           %[[NEXT:.+]] = linalg.generic {{.*}}#[[GATE]]{{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel"]
// CHECK-SAME:        ins(%[[S]], %[[KT]], %[[VT]], %[[GT]] :
// CHECK:             %[[A:.+]] = math.exp
// CHECK:             %[[DECAYED:.+]] = arith.mulf %[[A]]
// CHECK:             %[[KV:.+]] = arith.mulf
// CHECK:             arith.addf %[[DECAYED]], %[[KV]]
// CHECK:           %[[QT:.+]] = tensor.extract_slice %[[Q]][0, 0, %[[T]], 0]
// CHECK:           %[[ROW:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK-SAME:        ins(%[[NEXT]], %[[QT]] :
// CHECK:           %[[INS:.+]] = tensor.insert_slice %[[ROW]] into %[[O]][0, 0, %[[T]], 0] [2, 3, 1, 6]
// CHECK:           scf.yield %[[NEXT]], %[[INS]]
// CHECK:         %[[OUT:.+]] = linalg.generic {{.*}} ins(%[[LOOP]]#1 :
// CHECK:           arith.mulf %{{.*}}, %[[SCALE]]
// CHECK:         return %[[OUT]], %[[LOOP]]#0
// CHECK-NOT:   celeris.recurrence
func.func @scalar_additive(%q: tensor<2x3x5x4xf32>, %k: tensor<2x3x5x4xf32>, %v: tensor<2x3x5x6xf32>, %g: tensor<2x3x5xf32>)
    -> (tensor<2x3x5x6xf32>, tensor<2x3x4x6xf32>) {
  %o, %s = celeris.recurrence %q, %k, %v decay scalar(%g : tensor<2x3x5xf32>)
      : tensor<2x3x5x4xf32>, tensor<2x3x5x4xf32>, tensor<2x3x5x6xf32>
      -> tensor<2x3x5x6xf32>, tensor<2x3x4x6xf32>
  return %o, %s : tensor<2x3x5x6xf32>, tensor<2x3x4x6xf32>
}

// -----

// Gated delta rule over bf16 with a per-channel (vector) gate and an initial
// state: S' = exp(g_t) (.) S, u = k^T S' (a reduction), then the delta-rule
// correction S' + beta k (v - u); the output is truncated to bf16 at the end.

// CHECK-DAG:   #[[ROWGATE:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func @vector_delta
// CHECK-SAME:    %[[BETA:[^:]+]]: tensor<1x2x7xbf16>, %[[S0:[^:]+]]: tensor<1x2x8x4xf32>
// CHECK:         %[[LOOP:.+]]:2 = scf.for {{.*}} iter_args(%[[S:[^ ]+]] = %[[S0]], %{{.+}} = %{{.+}}) -> (tensor<1x2x8x4xf32>, tensor<1x2x7x4xf32>)
// CHECK:           %[[DECAYED:.+]] = linalg.generic {{.*}}#[[ROWGATE]]
// CHECK-SAME:        ins(%[[S]], %{{.+}} : tensor<1x2x8x4xf32>, tensor<1x2x8xf32>)
// CHECK:             math.exp
// CHECK:           %[[PRED:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK-SAME:        ins(%{{.+}}, %[[DECAYED]] : tensor<1x2x8xbf16>, tensor<1x2x8x4xf32>)
// CHECK:           %[[BT:.+]] = tensor.extract_slice %[[BETA]]
// CHECK:           %[[NEXT:.+]] = linalg.generic
// CHECK-SAME:        ins(%[[DECAYED]], %[[BT]], %{{.+}}, %{{.+}}, %[[PRED]] :
// CHECK:           ^bb0(%[[SIN:.+]]: f32, %[[B:.+]]: bf16, %[[KI:.+]]: bf16, %[[VJ:.+]]: bf16, %[[UJ:.+]]: f32, %{{.+}}: f32):
// CHECK:             %[[V32:.+]] = arith.extf %[[VJ]]
// CHECK:             %[[ERR:.+]] = arith.subf %[[V32]], %[[UJ]] : f32
// CHECK:             %[[STRENGTH:.+]] = arith.mulf
// CHECK:             %[[CORR:.+]] = arith.mulf %[[STRENGTH]], %[[ERR]]
// CHECK:             arith.addf %[[SIN]], %[[CORR]]
// CHECK:           linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK-SAME:        ins(%[[NEXT]],
// CHECK:           scf.yield %[[NEXT]]
// CHECK:         linalg.generic {{.*}} outs(%{{.+}} : tensor<1x2x7x4xbf16>)
// CHECK:           arith.truncf %{{.+}} : f32 to bf16
// CHECK:         return %{{.+}}, %[[LOOP]]#0
func.func @vector_delta(%q: tensor<1x2x7x8xbf16>, %k: tensor<1x2x7x8xbf16>, %v: tensor<1x2x7x4xbf16>,
                        %g: tensor<1x2x7x8xf32>, %beta: tensor<1x2x7xbf16>, %s0: tensor<1x2x8x4xf32>)
    -> (tensor<1x2x7x4xbf16>, tensor<1x2x8x4xf32>) {
  %o, %s = celeris.recurrence %q, %k, %v decay vector(%g : tensor<1x2x7x8xf32>)
      update delta(%beta : tensor<1x2x7xbf16>) initial_state(%s0 : tensor<1x2x8x4xf32>)
      : tensor<1x2x7x8xbf16>, tensor<1x2x7x8xbf16>, tensor<1x2x7x4xbf16>
      -> tensor<1x2x7x4xbf16>, tensor<1x2x8x4xf32>
  return %o, %s : tensor<1x2x7x4xbf16>, tensor<1x2x8x4xf32>
}

// -----

// DeltaNet (no decay): no exponential, the delta-rule reduction reads the
// carried state directly.

// CHECK-LABEL: func @none_delta
// CHECK:         scf.for {{.*}} iter_args(%[[S:[^ ]+]] = %{{[^,]+}}, %{{.+}} = %{{.+}})
// CHECK-NOT:       math.exp
// CHECK:           linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK-SAME:        ins(%{{.+}}, %[[S]] :
// CHECK:           arith.subf
// CHECK:         scf.yield
// CHECK-NOT:     math.exp
// CHECK:         return
func.func @none_delta(%q: tensor<1x2x3x4xf32>, %k: tensor<1x2x3x4xf32>, %v: tensor<1x2x3x4xf32>,
                      %beta: tensor<1x2x3xf32>) -> tensor<1x2x3x4xf32> {
  %o = celeris.recurrence %q, %k, %v update delta(%beta : tensor<1x2x3xf32>) scale 0.25
      : tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32> -> tensor<1x2x3x4xf32>
  return %o : tensor<1x2x3x4xf32>
}

// -----

// RetNet (head decay [H], constant in time, read through (b, h, i, j) -> (h))
// with dynamic extents: the trip count and the default scale come from
// tensor.dim.

// CHECK-DAG:   #[[HEAD:.+]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-LABEL: func @dynamic_head
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<?x?x?x?xf32>, %{{.+}}: tensor<?x?x?x?xf32>, %{{.+}}: tensor<?x?x?x?xf32>, %[[G:[^:]+]]: tensor<?xf32>)
// CHECK-DAG:     %[[C2:.+]] = arith.constant 2 : index
// CHECK:         %[[SEQ:.+]] = tensor.dim %[[Q]], %[[C2]]
// CHECK:         scf.for %{{.+}} = %{{.+}} to %[[SEQ]]
// CHECK:           linalg.generic {{.*}}#[[HEAD]]
// CHECK-SAME:        %[[G]] : {{.*}}tensor<?xf32>)
// CHECK:             math.exp
// CHECK:         math.rsqrt
func.func @dynamic_head(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>,
                        %g: tensor<?xf32>) -> tensor<?x?x?x?xf32> {
  %o = celeris.recurrence %q, %k, %v decay head(%g : tensor<?xf32>)
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// -----

// Forward scan along axis 2 with an initial value: h = a_t * h + b_t on
// rank-reduced slices, carried in f32, inserted at t.

// CHECK-LABEL: func @scan_forward
// CHECK-SAME:    (%[[A:[^:]+]]: tensor<4x5x6xf32>, %[[B:[^:]+]]: tensor<4x5x6xf32>, %[[H0:[^:]+]]: tensor<4x5xf32>)
// CHECK:         %[[INIT:.+]] = linalg.generic {{.*}} ins(%[[H0]] : tensor<4x5xf32>)
// CHECK:         %[[LOOP:.+]]:2 = scf.for %[[T:[^ ]+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[H:[^ ]+]] = %[[INIT]], %[[R:[^ ]+]] = %{{.+}}) -> (tensor<4x5xf32>, tensor<4x5x6xf32>)
// CHECK:           %[[AT:.+]] = tensor.extract_slice %[[A]][0, 0, %[[T]]] [4, 5, 1] [1, 1, 1] : tensor<4x5x6xf32> to tensor<4x5xf32>
// CHECK:           %[[BT:.+]] = tensor.extract_slice %[[B]][0, 0, %[[T]]] [4, 5, 1] [1, 1, 1] : tensor<4x5x6xf32> to tensor<4x5xf32>
// CHECK:           %[[NEXT:.+]] = linalg.generic {{.*}} ins(%[[AT]], %[[BT]], %[[H]] :
// CHECK:           ^bb0(%[[X:.+]]: f32, %[[Y:.+]]: f32, %[[P:.+]]: f32, %{{.+}}: f32):
// CHECK:             %[[M:.+]] = arith.mulf %[[X]], %[[P]]
// CHECK:             arith.addf %[[M]], %[[Y]]
// CHECK:           %[[INS:.+]] = tensor.insert_slice %[[NEXT]] into %[[R]][0, 0, %[[T]]] [4, 5, 1]
// CHECK:           scf.yield %[[NEXT]], %[[INS]]
// CHECK:         return %[[LOOP]]#1
func.func @scan_forward(%a: tensor<4x5x6xf32>, %b: tensor<4x5x6xf32>, %h0: tensor<4x5xf32>) -> tensor<4x5x6xf32> {
  %h = celeris.scan %a, %b initial(%h0 : tensor<4x5xf32>) axis 2
      : tensor<4x5x6xf32>, tensor<4x5x6xf32> -> tensor<4x5x6xf32>
  return %h : tensor<4x5x6xf32>
}

// -----

// Reverse bf16 scan along axis 1: t = T - 1 - iv, the f32 state truncated to
// bf16 as it is inserted.

// CHECK-LABEL: func @scan_reverse_bf16
// CHECK-DAG:     %[[LAST:.+]] = arith.constant 4 : index
// CHECK:         scf.for %[[IV:[^ ]+]] = {{.*}} -> (tensor<3x7xf32>, tensor<3x5x7xbf16>)
// CHECK:           %[[T:.+]] = arith.subi %[[LAST]], %[[IV]]
// CHECK:           tensor.extract_slice %{{.+}}[0, %[[T]], 0] [3, 1, 7]
// CHECK:           %[[NEXT:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<3x7xf32>)
// CHECK:             arith.extf
// CHECK:           %[[TRUNC:.+]] = linalg.generic {{.*}} ins(%[[NEXT]] : tensor<3x7xf32>) outs(%{{.+}} : tensor<3x7xbf16>)
// CHECK:             arith.truncf
// CHECK:           tensor.insert_slice %[[TRUNC]] into %{{.+}}[0, %[[T]], 0]
// CHECK:           scf.yield %[[NEXT]]
func.func @scan_reverse_bf16(%a: tensor<3x5x7xbf16>, %b: tensor<3x5x7xbf16>) -> tensor<3x5x7xbf16> {
  %h = celeris.scan %a, %b axis 1 reverse : tensor<3x5x7xbf16>, tensor<3x5x7xbf16> -> tensor<3x5x7xbf16>
  return %h : tensor<3x5x7xbf16>
}

// -----

// Rank 1: the slices are rank-0 tensors.

// CHECK-LABEL: func @scan_rank1
// CHECK:         scf.for {{.*}} -> (tensor<f32>, tensor<9xf32>)
// CHECK:           tensor.extract_slice %{{.+}}[%{{.+}}] [1] [1] : tensor<9xf32> to tensor<f32>
// CHECK:           linalg.generic {{.*}}iterator_types = []
func.func @scan_rank1(%a: tensor<9xf32>, %b: tensor<9xf32>) -> tensor<9xf32> {
  %h = celeris.scan %a, %b axis 0 : tensor<9xf32>, tensor<9xf32> -> tensor<9xf32>
  return %h : tensor<9xf32>
}
