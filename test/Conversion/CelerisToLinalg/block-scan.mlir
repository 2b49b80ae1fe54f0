// RUN: celeris-opt %s -celeris-block-scan=block=16 -split-input-file | FileCheck %s
// RUN: not celeris-opt %s -celeris-block-scan=block=0 -split-input-file 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: celeris-block-scan: block must be positive, got 0

// Forward scan along axis 1 of length 37 in blocks of 16: phase 1 scans
// every block from zero (inner loop over its positions) and records the
// running product of a; the carry is a one-position [3, 1, 2] slab read
// at axis position 0; phase 2 carries from block to block, starting at
// `initial`, and fixes up h = hLocal + P carry over the block's slab.

// CHECK-DAG:   #[[ID:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG:   #[[AXIS0:.+]] = affine_map<(d0, d1, d2) -> (d0, 0, d2)>
// CHECK-LABEL: func @forward
// CHECK-SAME:    %[[A:[^:]+]]: tensor<3x37x2xbf16>, %[[B:[^:]+]]: tensor<3x37x2xbf16>, %[[H0:[^:]+]]: tensor<3x2xbf16>
// CHECK:       %[[LOCAL:.+]]:2 = scf.for %[[BLK:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(
// CHECK:         %[[LEN:.+]] = arith.minsi
// CHECK:         scf.for %[[STEP:.+]] = %{{.+}} to %[[LEN]] step %{{.+}} iter_args({{.*}}) -> (tensor<3x37x2xf32>, tensor<3x37x2xf32>, tensor<3x1x2xf32>, tensor<3x1x2xf32>)
// CHECK:           %[[POS:.+]] = arith.addi %[[BLK]], %[[STEP]]
// CHECK:           tensor.extract_slice %[[A]][0, %[[POS]], 0] [3, 1, 2] [1, 1, 1] : tensor<3x37x2xbf16> to tensor<3x1x2xbf16>
// CHECK:           linalg.generic
// CHECK:             arith.extf
// CHECK:             arith.mulf
// CHECK:             arith.addf
// CHECK:             arith.mulf
// CHECK:             linalg.yield %{{.+}}, %{{.+}} : f32, f32
// CHECK:           tensor.insert_slice {{.*}}[0, %[[POS]], 0] [3, 1, 2]
// CHECK:           tensor.insert_slice {{.*}}[0, %[[POS]], 0] [3, 1, 2]
// CHECK:       arith.extf
// CHECK:       scf.for %[[BLK2:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[OUT:.+]] = %{{.+}}, %[[CARRY:.+]] = %{{.+}}) -> (tensor<3x37x2xbf16>, tensor<3x1x2xf32>)
// CHECK:         %[[LEN2:.+]] = arith.minsi
// CHECK:         %[[HL:.+]] = tensor.extract_slice %[[LOCAL]]#0[0, %[[BLK2]], 0] [3, %[[LEN2]], 2]
// CHECK:         %[[PA:.+]] = tensor.extract_slice %[[LOCAL]]#1[0, %[[BLK2]], 0] [3, %[[LEN2]], 2]
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[AXIS0]], #[[ID]]], {{.*}} ins(%[[HL]], %[[PA]], %[[CARRY]] :
// CHECK:           arith.mulf
// CHECK:           arith.addf
// CHECK:           arith.truncf
// CHECK:         tensor.insert_slice %{{.+}} into %[[OUT]][0, %[[BLK2]], 0] [3, %[[LEN2]], 2]
// CHECK:         scf.yield
// CHECK-NOT:   celeris.scan
func.func @forward(%a: tensor<3x37x2xbf16>, %b: tensor<3x37x2xbf16>, %h0: tensor<3x2xbf16>)
    -> tensor<3x37x2xbf16> {
  %h = celeris.scan %a, %b initial(%h0 : tensor<3x2xbf16>) axis 1
      : tensor<3x37x2xbf16>, tensor<3x37x2xbf16> -> tensor<3x37x2xbf16>
  return %h : tensor<3x37x2xbf16>
}

// -----

// Reverse scan of length 32 (two full blocks, static block shapes): step s
// visits position 31 - s, and block k covers positions 32 - 16 (k + 1) ..
// 31 - 16 k.

// CHECK-LABEL: func @reverse
// CHECK:       scf.for
// CHECK:         scf.for %[[STEP:.+]] =
// CHECK:           %[[S:.+]] = arith.addi
// CHECK:           %[[POS:.+]] = arith.subi %c31, %[[S]]
// CHECK:           tensor.extract_slice %{{.+}}[%[[POS]]] [1] [1] : tensor<32xf32> to tensor<1xf32>
// CHECK:       scf.for %[[BLK:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(
// CHECK:         %[[END:.+]] = arith.addi %[[BLK]], %c16
// CHECK:         %[[OFF:.+]] = arith.subi %c32, %[[END]]
// CHECK:         tensor.extract_slice %{{.+}}[%[[OFF]]] [16] [1] : tensor<32xf32> to tensor<16xf32>
// CHECK-NOT:   celeris.scan
func.func @reverse(%a: tensor<32xf32>, %b: tensor<32xf32>) -> tensor<32xf32> {
  %h = celeris.scan %a, %b axis 0 reverse : tensor<32xf32>, tensor<32xf32> -> tensor<32xf32>
  return %h : tensor<32xf32>
}
