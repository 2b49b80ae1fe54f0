// RUN: celeris-opt %s -convert-celeris-to-linalg -split-input-file | FileCheck %s

// Token choice with softmax: row max, exponentials, row sum and division;
// then the stable rank of every expert within its token and the pick of the
// experts of rank < k. No renormalisation or scaling: the picked scores are
// the weights.

// CHECK-DAG:   #[[OWN:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG:   #[[ROW:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func @route_softmax
// CHECK-SAME:    (%[[L:.+]]: tensor<?x8xbf16>)
// CHECK:         %[[MAX:.+]] = linalg.generic {{.*}} ins(%[[L]] : tensor<?x8xbf16>)
// CHECK:           arith.extf
// CHECK:           arith.maximumf
// CHECK:         %[[EXP:.+]] = linalg.generic {{.*}} ins(%[[L]], %[[MAX]]
// CHECK:           math.exp
// CHECK:         %[[SUM:.+]] = linalg.generic {{.*}} ins(%[[EXP]]
// CHECK:         %[[S:.+]] = linalg.generic {{.*}} ins(%[[EXP]], %[[SUM]]
// CHECK:           arith.divf
// CHECK:         %[[RANK:.+]] = linalg.generic {indexing_maps = [#[[OWN]], #[[ROW]], #[[OWN]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[S]], %[[S]] : {{.*}}) outs({{.*}} : tensor<?x8xi32>)
// CHECK:           arith.cmpf ogt
// CHECK:           arith.cmpf oeq
// CHECK:           arith.cmpi ult
// CHECK:           arith.extui
// CHECK:         %[[PICK:.+]]:2 = linalg.generic {indexing_maps = [#[[ROW]], #[[ROW]], #[[OWN]], #[[OWN]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[RANK]], %[[S]] : {{.*}}) outs({{.*}} : tensor<?x2xi32>, tensor<?x2xf32>)
// CHECK:           arith.cmpi eq
// CHECK:           arith.select
// CHECK:           arith.select
// CHECK:         return %[[PICK]]#1, %[[PICK]]#0
func.func @route_softmax(%l: tensor<?x8xbf16>) -> (tensor<?x2xf32>, tensor<?x2xi32>) {
  %w, %e = celeris.route %l k 2 : tensor<?x8xbf16> -> tensor<?x2xf32>, tensor<?x2xi32>
  return %w, %e : tensor<?x2xf32>, tensor<?x2xi32>
}

// -----

// DeepSeek-V3 routing: sigmoid scores, the bias added for the selection
// only, the two largest of every group, the group rank, the eligible experts
// (i1), the expert rank that puts eligible experts first, the pick from the
// unbiased scores, renormalisation and scaling.

// CHECK-LABEL: func @route_grouped
// CHECK-SAME:    (%[[L:.+]]: tensor<4x16xf32>, %[[B:.+]]: tensor<16xf32>)
// CHECK:         %[[S:.+]] = linalg.generic {{.*}} ins(%[[L]] : tensor<4x16xf32>)
// CHECK:           arith.negf
// CHECK:           math.exp
// CHECK:           arith.divf
// CHECK:         %[[SEL:.+]] = linalg.generic {{.*}} ins(%[[S]], %[[B]] : tensor<4x16xf32>, tensor<16xf32>)
// CHECK:           arith.addf
// CHECK:         %[[TOP:.+]]:2 = linalg.generic {{.*}} ins(%[[SEL]] : tensor<4x16xf32>) outs({{.*}} : tensor<4x4xf32>, tensor<4x4xf32>)
// CHECK:           arith.divui
// CHECK:           arith.maximumf
// CHECK:         %[[GSCORE:.+]] = linalg.generic {{.*}} ins(%[[TOP]]#0, %[[TOP]]#1
// CHECK:           arith.addf
// CHECK:         %[[GRANK:.+]] = linalg.generic {{.*}} ins(%[[GSCORE]], %[[GSCORE]] : {{.*}}) outs({{.*}} : tensor<4x4xi32>)
// CHECK:         %[[ELIG:.+]] = linalg.generic {{.*}} ins(%[[GRANK]] : tensor<4x4xi32>) outs({{.*}} : tensor<4x16xi1>)
// CHECK:           arith.cmpi slt, %{{.+}}, %c2_i32
// CHECK:         %[[RANK:.+]] = linalg.generic {{.*}} ins(%[[SEL]], %[[SEL]], %[[ELIG]], %[[ELIG]] : {{.*}}) outs({{.*}} : tensor<4x16xi32>)
// CHECK:           arith.cmpi ugt, %{{.+}}, %{{.+}} : i1
// CHECK:         %[[PICK:.+]]:2 = linalg.generic {{.*}} ins(%[[RANK]], %[[S]] : {{.*}}) outs({{.*}} : tensor<4x3xi32>, tensor<4x3xf32>)
// CHECK:         %[[TOTAL:.+]] = linalg.generic {{.*}} ins(%[[PICK]]#1 : tensor<4x3xf32>) outs({{.*}} : tensor<4xf32>)
// CHECK:         %[[W:.+]] = linalg.generic {{.*}} ins(%[[PICK]]#1, %[[TOTAL]]
// CHECK:           arith.cmpf oeq
// CHECK:           arith.divf
// CHECK:           arith.select
// CHECK:           arith.mulf
// CHECK:         return %[[W]], %[[PICK]]#0
func.func @route_grouped(%l: tensor<4x16xf32>, %b: tensor<16xf32>) -> (tensor<4x3xf32>, tensor<4x3xi32>) {
  %w, %e = celeris.route %l bias(%b : tensor<16xf32>) k 3 score_func sigmoid
      renormalize num_groups 4 topk_groups 2 scaling_factor 2.5
      : tensor<4x16xf32> -> tensor<4x3xf32>, tensor<4x3xi32>
  return %w, %e : tensor<4x3xf32>, tensor<4x3xi32>
}

// -----

// Expert choice ranks the tokens within every expert's column and picks the
// `capacity` first of each column.

// CHECK-DAG:   #[[OWN:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG:   #[[COL:.+]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG:   #[[TRANSPOSED:.+]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-LABEL: func @route_expert_choice
// CHECK:         %[[RANK:.+]] = linalg.generic {indexing_maps = [#[[OWN]], #[[COL]], #[[OWN]]], {{.*}} outs({{.*}} : tensor<16x4xi32>)
// CHECK:         %[[PICK:.+]]:2 = linalg.generic {indexing_maps = [#[[TRANSPOSED]], #[[TRANSPOSED]], #[[OWN]], #[[OWN]]], {{.*}} ins(%[[RANK]], {{.*}}) outs({{.*}} : tensor<4x6xi32>, tensor<4x6xf32>)
// CHECK:         %[[W:.+]] = linalg.generic {{.*}} ins(%[[PICK]]#1
// CHECK:           arith.mulf
// CHECK:         return %[[W]], %[[PICK]]#0
func.func @route_expert_choice(%l: tensor<16x4xf32>) -> (tensor<4x6xf32>, tensor<4x6xi32>) {
  %w, %i = celeris.route %l k 2 scaling_factor 2.0 mode expert_choice capacity 6
      : tensor<16x4xf32> -> tensor<4x6xf32>, tensor<4x6xi32>
  return %w, %i : tensor<4x6xf32>, tensor<4x6xi32>
}

// -----

// Dispatch: rank among earlier assignments to the same expert (loops
// t, j, t', j'), kept counts per expert, their inclusive prefix sum, the
// first row of every expert, row_map (-1 when dropped), its inverse, and the
// gather of x through it (rows T * k of a dynamic T).

// CHECK-LABEL: func @dispatch
// CHECK-SAME:    (%[[X:.+]]: tensor<?x16xbf16>, %[[E:.+]]: tensor<?x2xi32>)
// CHECK-DAG:     %[[CAP:.+]] = arith.constant 3 : i32
// CHECK-DAG:     %[[NE:.+]] = arith.constant 4 : i32
// CHECK-DAG:     %[[DROP:.+]] = arith.constant -1 : i32
// CHECK:         %[[RANK:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%[[E]], %[[E]] : {{.*}}) outs({{.*}} : tensor<?x2xi32>)
// CHECK:         %[[COUNT:.+]] = linalg.generic {{.*}} ins(%[[E]], %[[RANK]] : {{.*}}) outs({{.*}} : tensor<4xi32>)
// CHECK:           arith.cmpi slt, %{{.+}}, %[[NE]]
// CHECK:           arith.cmpi slt, %{{.+}}, %[[CAP]]
// CHECK:         %[[OFFSETS:.+]] = linalg.generic {{.*}} ins(%[[COUNT]] : tensor<4xi32>) outs({{.*}} : tensor<4xi32>)
// CHECK:           arith.cmpi ule
// CHECK:         %[[START:.+]] = linalg.generic {{.*}} ins(%[[E]], %[[COUNT]] : {{.*}}) outs({{.*}} : tensor<?x2xi32>)
// CHECK:         %[[ROWMAP:.+]] = linalg.generic {{.*}} ins(%[[E]], %[[RANK]], %[[START]] : {{.*}})
// CHECK:           arith.select %{{.+}}, %{{.+}}, %[[DROP]]
// CHECK:         %[[ROWS:.+]] = arith.muli
// CHECK:         %[[SOURCE:.+]] = linalg.generic {{.*}} ins(%[[ROWMAP]] : tensor<?x2xi32>) outs({{.*}} : tensor<?xi32>)
// CHECK:         %[[P:.+]] = linalg.generic {{.*}} ins(%[[SOURCE]] : tensor<?xi32>) outs({{.*}} : tensor<?x16xbf16>)
// CHECK:           tensor.extract %[[X]]
// CHECK:         return %[[P]], %[[OFFSETS]], %[[ROWMAP]]
func.func @dispatch(%x: tensor<?x16xbf16>, %e: tensor<?x2xi32>)
    -> (tensor<?x16xbf16>, tensor<4xi32>, tensor<?x2xi32>) {
  %p, %o, %r = celeris.dispatch %x, %e num_experts 4 capacity 3
      : tensor<?x16xbf16>, tensor<?x2xi32> -> tensor<?x16xbf16>, tensor<4xi32>, tensor<?x2xi32>
  return %p, %o, %r : tensor<?x16xbf16>, tensor<4xi32>, tensor<?x2xi32>
}

// -----

// Grouped matmul: the group of every row counted from the offsets, the
// products in f32 reading w at the (clamped) group, and rows past the last
// offset zeroed on the way to bf16.

// CHECK-LABEL: func @grouped_matmul
// CHECK-SAME:    (%[[X:.+]]: tensor<8x16xbf16>, %[[W:.+]]: tensor<4x16x32xbf16>, %[[O:.+]]: tensor<4xi32>)
// CHECK:         %[[GROUP:.+]] = linalg.generic {{.*}} ins(%[[O]] : tensor<4xi32>) outs({{.*}} : tensor<8xi32>)
// CHECK:           arith.cmpi sle
// CHECK:         %[[ACC:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[X]], %[[GROUP]] : {{.*}}) outs({{.*}} : tensor<8x32xf32>)
// CHECK:           arith.minsi
// CHECK:           tensor.extract %[[W]]
// CHECK:           arith.mulf
// CHECK:           arith.addf
// CHECK:         %[[Y:.+]] = linalg.generic {{.*}} ins(%[[ACC]], %[[GROUP]] : {{.*}}) outs({{.*}} : tensor<8x32xbf16>)
// CHECK:           arith.select
// CHECK:           arith.truncf
// CHECK:         return %[[Y]]
func.func @grouped_matmul(%x: tensor<8x16xbf16>, %w: tensor<4x16x32xbf16>, %o: tensor<4xi32>) -> tensor<8x32xbf16> {
  %y = celeris.grouped_matmul %x, %w, %o : tensor<8x16xbf16>, tensor<4x16x32xbf16>, tensor<4xi32> -> tensor<8x32xbf16>
  return %y : tensor<8x32xbf16>
}

// -----

// The swiglu form: the gate and up products both in f32, silu(gate) * up
// formed before the one rounding.

// CHECK-LABEL: func @grouped_matmul_swiglu
// CHECK-SAME:    (%[[X:.+]]: tensor<8x16xbf16>, %[[W:.+]]: tensor<4x16x32xbf16>, %[[O:.+]]: tensor<4xi32>, %[[U:.+]]: tensor<4x16x32xbf16>)
// CHECK:         %[[GATE:.+]] = linalg.generic {{.*}} outs({{.*}} : tensor<8x32xf32>)
// CHECK:           tensor.extract %[[W]]
// CHECK:         %[[UP:.+]] = linalg.generic {{.*}} outs({{.*}} : tensor<8x32xf32>)
// CHECK:           tensor.extract %[[U]]
// CHECK:         %[[Y:.+]] = linalg.generic {{.*}} ins(%[[GATE]], %[[UP]], %{{.*}} : {{.*}}) outs({{.*}} : tensor<8x32xbf16>)
// CHECK:           arith.negf
// CHECK:           math.exp
// CHECK:           arith.divf
// CHECK:           arith.mulf
// CHECK:           arith.select
// CHECK:           arith.truncf
// CHECK:         return %[[Y]]
func.func @grouped_matmul_swiglu(%x: tensor<8x16xbf16>, %w: tensor<4x16x32xbf16>, %o: tensor<4xi32>, %u: tensor<4x16x32xbf16>) -> tensor<8x32xbf16> {
  %y = celeris.grouped_matmul %x, %w, %o swiglu(%u : tensor<4x16x32xbf16>) : tensor<8x16xbf16>, tensor<4x16x32xbf16>, tensor<4xi32> -> tensor<8x32xbf16>
  return %y : tensor<8x32xbf16>
}

// -----

// Combine gathers y through row_map in f32 and discards dropped slots.

// CHECK-LABEL: func @combine
// CHECK-SAME:    (%[[Y:.+]]: tensor<8x32xbf16>, %[[W:.+]]: tensor<4x2xf32>, %[[R:.+]]: tensor<4x2xi32>)
// CHECK:         %[[ACC:.+]] = linalg.generic {{.*}} ins(%[[W]], %[[R]] : {{.*}}) outs({{.*}} : tensor<4x32xf32>)
// CHECK:           %[[KEPT:.+]] = arith.cmpi sge
// CHECK:           tensor.extract %[[Y]]
// CHECK:           %[[SUM:.+]] = arith.addf
// CHECK:           arith.select %[[KEPT]], %[[SUM]]
// CHECK:         %[[OUT:.+]] = linalg.generic {{.*}} ins(%[[ACC]] : tensor<4x32xf32>) outs({{.*}} : tensor<4x32xbf16>)
// CHECK:           arith.truncf
// CHECK:         return %[[OUT]]
func.func @combine(%y: tensor<8x32xbf16>, %w: tensor<4x2xf32>, %r: tensor<4x2xi32>) -> tensor<4x32xbf16> {
  %o = celeris.combine %y, %w, %r : tensor<8x32xbf16>, tensor<4x2xf32>, tensor<4x2xi32> -> tensor<4x32xbf16>
  return %o : tensor<4x32xbf16>
}
