// RUN: celeris-opt %s -celeris-decompose-composites -split-input-file | FileCheck %s

// Every optional part: dt = softplus(delta + bias) computed safely, the
// discretisation exp(dt A) and dt B u as [B, D, N, L], one celeris.scan along
// L (axis 3), the readout sum_n C h, the skip D u and the silu(z) gate, the
// conversion to bf16 last, and last_state = h[..., L - 1].

// CHECK-DAG:   #[[SEQ:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG:   #[[A:.+]] = affine_map<(d0, d1, d2, d3) -> (d1, d2)>
// CHECK-DAG:   #[[BMAT:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
// CHECK-DAG:   #[[STATE:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG:   #[[CRED:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
// CHECK-DAG:   #[[HRED:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3, d2)>
// CHECK-LABEL: func @all
// CHECK-SAME:    (%[[U:[^:]+]]: tensor<2x8x16xbf16>, %[[DELTA:[^:]+]]: tensor<2x8x16xbf16>, %[[AMAT:[^:]+]]: tensor<8x4xf32>, %[[B:[^:]+]]: tensor<2x4x16xbf16>, %[[C:[^:]+]]: tensor<2x4x16xbf16>, %[[D:[^:]+]]: tensor<8xf32>, %[[Z:[^:]+]]: tensor<2x8x16xbf16>, %[[BIAS:[^:]+]]: tensor<8xf32>)
// CHECK-DAG:     %[[LAST:.+]] = arith.constant 15 : index
// CHECK:         %[[DT:.+]] = linalg.generic {{.*}} ins(%[[DELTA]], %[[BIAS]] :
// CHECK:           %[[X:.+]] = arith.addf
// CHECK:           %[[POS:.+]] = arith.maximumf %[[X]]
// CHECK:           %[[ABS:.+]] = math.absf %[[X]]
// CHECK:           %[[NEG:.+]] = arith.negf %[[ABS]]
// CHECK:           %[[E:.+]] = math.exp %[[NEG]]
// CHECK:           %[[L:.+]] = math.log1p %[[E]]
// CHECK:           arith.addf %[[POS]], %[[L]]
// CHECK:         %[[DA:.+]] = linalg.generic {indexing_maps = [#[[SEQ]], #[[A]], #[[STATE]]]
// CHECK-SAME:      ins(%[[DT]], %[[AMAT]] : {{.*}}) outs(%{{.+}} : tensor<2x8x4x16xf32>)
// CHECK:           %[[P:.+]] = arith.mulf
// CHECK:           math.exp %[[P]]
// CHECK:         %[[DBU:.+]] = linalg.generic {indexing_maps = [#[[SEQ]], #[[BMAT]], #[[SEQ]], #[[STATE]]]
// CHECK-SAME:      ins(%[[DT]], %[[B]], %[[U]] :
// CHECK:         %[[H:.+]] = celeris.scan %[[DA]], %[[DBU]] axis 3 : tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32> -> tensor<2x8x4x16xf32>
// CHECK:         %[[READ:.+]] = linalg.generic {indexing_maps = [#[[CRED]], #[[HRED]], #[[SEQ3:.+]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME:      ins(%[[C]], %[[H]] :
// CHECK:         %[[Y:.+]] = linalg.generic {{.*}} ins(%[[READ]], %[[U]], %[[D]], %[[Z]] : {{.*}}) outs(%{{.+}} : tensor<2x8x16xbf16>)
// CHECK:           %[[DU:.+]] = arith.mulf
// CHECK:           %[[SKIPPED:.+]] = arith.addf %{{.+}}, %[[DU]]
// CHECK:           %[[ZF:.+]] = arith.extf
// CHECK:           math.exp
// CHECK:           %[[SILU:.+]] = arith.divf %[[ZF]]
// CHECK:           %[[GATED:.+]] = arith.mulf %[[SKIPPED]], %[[SILU]]
// CHECK:           arith.truncf %[[GATED]] : f32 to bf16
// CHECK:         %[[LASTH:.+]] = tensor.extract_slice %[[H]][0, 0, 0, %[[LAST]]] [2, 8, 4, 1] [1, 1, 1, 1] : tensor<2x8x4x16xf32> to tensor<2x8x4xf32>
// CHECK:         return %[[Y]], %[[LASTH]]
// CHECK-NOT:   celeris.selective_scan
func.func @all(%u: tensor<2x8x16xbf16>, %delta: tensor<2x8x16xbf16>, %A: tensor<8x4xf32>,
               %B: tensor<2x4x16xbf16>, %C: tensor<2x4x16xbf16>, %D: tensor<8xf32>,
               %z: tensor<2x8x16xbf16>, %bias: tensor<8xf32>)
    -> (tensor<2x8x16xbf16>, tensor<2x8x4xf32>) {
  %y, %last = celeris.selective_scan %u, %delta, %A, %B, %C
      D(%D : tensor<8xf32>) z(%z : tensor<2x8x16xbf16>)
      delta_bias(%bias : tensor<8xf32>) delta_softplus
      : tensor<2x8x16xbf16>, tensor<2x8x16xbf16>, tensor<8x4xf32>,
        tensor<2x4x16xbf16>, tensor<2x4x16xbf16>
      -> tensor<2x8x16xbf16>, tensor<2x8x4xf32>
  return %y, %last : tensor<2x8x16xbf16>, tensor<2x8x4xf32>
}

// -----

// No optional part: dt is the f32 delta itself, y the f32 readout itself, and
// no state is extracted.

// CHECK-LABEL: func @plain
// CHECK-SAME:    (%{{[^:]+}}: tensor<1x3x7xf32>, %[[DELTA:[^:]+]]: tensor<1x3x7xf32>, %[[A:[^:]+]]: tensor<3x5xf32>
// CHECK-NOT:     math.log1p
// CHECK:         linalg.generic {{.*}} ins(%[[DELTA]], %[[A]] :
// CHECK:           math.exp
// CHECK:         celeris.scan %{{.+}}, %{{.+}} axis 3 : tensor<1x3x5x7xf32>
// CHECK:         %[[Y:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK:           linalg.yield
// CHECK-NEXT:    } -> tensor<1x3x7xf32>
// CHECK-NEXT:    return %[[Y]] : tensor<1x3x7xf32>
func.func @plain(%u: tensor<1x3x7xf32>, %delta: tensor<1x3x7xf32>, %A: tensor<3x5xf32>,
                 %B: tensor<1x5x7xf32>, %C: tensor<1x5x7xf32>) -> tensor<1x3x7xf32> {
  %y = celeris.selective_scan %u, %delta, %A, %B, %C
      : tensor<1x3x7xf32>, tensor<1x3x7xf32>, tensor<3x5xf32>, tensor<1x5x7xf32>, tensor<1x5x7xf32>
      -> tensor<1x3x7xf32>
  return %y : tensor<1x3x7xf32>
}

// -----

// Dynamic sequence length: last_state reads h at (tensor.dim L) - 1.

// CHECK-LABEL: func @dynamic_length
// CHECK-SAME:    (%[[U:[^:]+]]: tensor<1x3x?xf32>
// CHECK-DAG:     %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG:     %[[C2:.+]] = arith.constant 2 : index
// CHECK:         %[[L:.+]] = tensor.dim %[[U]], %[[C2]]
// CHECK:         %[[H:.+]] = celeris.scan {{.*}} axis 3 : tensor<1x3x5x?xf32>
// CHECK:         %[[LAST:.+]] = arith.subi %{{.+}}, %[[C1]]
// CHECK:         tensor.extract_slice %[[H]][0, 0, 0, %[[LAST]]] [1, 3, 5, 1] [1, 1, 1, 1] : tensor<1x3x5x?xf32> to tensor<1x3x5xf32>
func.func @dynamic_length(%u: tensor<1x3x?xf32>, %delta: tensor<1x3x?xf32>, %A: tensor<3x5xf32>,
                          %B: tensor<1x5x?xf32>, %C: tensor<1x5x?xf32>)
    -> (tensor<1x3x?xf32>, tensor<1x3x5xf32>) {
  %y, %last = celeris.selective_scan %u, %delta, %A, %B, %C
      : tensor<1x3x?xf32>, tensor<1x3x?xf32>, tensor<3x5xf32>, tensor<1x5x?xf32>, tensor<1x5x?xf32>
      -> tensor<1x3x?xf32>, tensor<1x3x5xf32>
  return %y, %last : tensor<1x3x?xf32>, tensor<1x3x5xf32>
}
