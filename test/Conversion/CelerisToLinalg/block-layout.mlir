// RUN: celeris-opt %s -convert-celeris-to-linalg -split-input-file | FileCheck %s

// mask_block_layout: an any-allowed reduction over the in-block offsets
// (shape-only operand), the slot of each block (exclusive prefix count), the
// counts, and the indices gathered by slot; no loops, no celeris op left.

// CHECK-LABEL: func @mask_block_layout_causal
// CHECK:       [[SHAPE:%.+]] = tensor.empty() : tensor<16x32xi1>
// CHECK:       [[ELIG:%.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]
// CHECK-SAME:    ins([[SHAPE]] : tensor<16x32xi1>)
// CHECK-SAME:    outs(%{{.*}} : tensor<1x1x5x3xi1>)
// CHECK:         linalg.index 2
// CHECK:         linalg.index 4
// CHECK:         arith.cmpi sle
// CHECK:         arith.ori
// CHECK:       [[POS:%.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK-SAME:    ins([[ELIG]] : tensor<1x1x5x3xi1>) outs(%{{.*}} : tensor<1x1x5x3xi32>)
// CHECK:       [[COUNTS:%.+]] = linalg.generic
// CHECK-SAME:    ins([[ELIG]] : tensor<1x1x5x3xi1>) outs(%{{.*}} : tensor<1x1x5xi32>)
// CHECK:       [[INDICES:%.+]] = linalg.generic
// CHECK-SAME:    ins([[ELIG]], [[POS]] : tensor<1x1x5x3xi1>, tensor<1x1x5x3xi32>) outs(%{{.*}} : tensor<1x1x5x3xi32>)
// CHECK:       return [[COUNTS]], [[INDICES]]
// CHECK-NOT:   celeris.
func.func @mask_block_layout_causal() -> (tensor<1x1x5xi32>, tensor<1x1x5x3xi32>) {
  %sq = arith.constant 70 : index
  %sk = arith.constant 90 : index
  %c, %i = celeris.mask_block_layout %sq, %sk mask <causal> block_size [16, 32]
      : tensor<1x1x5xi32>, tensor<1x1x5x3xi32>
  return %c, %i : tensor<1x1x5xi32>, tensor<1x1x5x3xi32>
}

// -----

// Dynamic lengths: the grid extents are ceil divisions of the operands.
// CHECK-LABEL: func @mask_block_layout_dynamic
// CHECK-DAG:   arith.ceildivsi %arg0
// CHECK-DAG:   arith.ceildivsi %arg1
// CHECK:       linalg.generic
// CHECK-SAME:    outs(%{{.*}} : tensor<1x1x?x?xi1>)
// CHECK-NOT:   celeris.mask_block_layout
func.func @mask_block_layout_dynamic(%sq: index, %sk: index) -> (tensor<1x1x?xi32>, tensor<1x1x?x?xi32>) {
  %c, %i = celeris.mask_block_layout %sq, %sk mask <window<left = 8, right = 0>> block_size [4, 4]
      : tensor<1x1x?xi32>, tensor<1x1x?x?xi32>
  return %c, %i : tensor<1x1x?xi32>, tensor<1x1x?x?xi32>
}

// -----

// topk_blocks with causal eligibility: the eligibility grid is read through
// a broadcasting map, a candidate excludes NaN (cmpf ord), the rank counts
// the candidates that beat a block, and the selection keeps rank < k.

// CHECK-DAG:   #[[GRID:.+]] = affine_map<(d0, d1, d2, d3) -> (0, 0, d2, d3)>
// CHECK-LABEL: func @topk_causal
// CHECK-DAG:   [[K:%.+]] = arith.constant 2 : i32
// CHECK:       [[ELIG:%.+]] = linalg.generic
// CHECK-SAME:    outs(%{{.*}} : tensor<1x1x4x6xi1>)
// CHECK:       [[CAND:%.+]] = linalg.generic {indexing_maps = [#{{.*}}, #[[GRID]], #{{.*}}]
// CHECK-SAME:    ins(%arg0, [[ELIG]] : tensor<2x3x4x6xbf16>, tensor<1x1x4x6xi1>)
// CHECK:         arith.cmpf ord
// CHECK:       [[RANK:%.+]] = linalg.generic
// CHECK-SAME:    ins(%arg0, [[CAND]], %arg0 :
// CHECK:         arith.extf
// CHECK:         arith.cmpf ogt
// CHECK:         arith.cmpf oeq
// CHECK:       linalg.generic
// CHECK-SAME:    ins([[CAND]], [[RANK]] :
// CHECK:         arith.cmpi slt, %{{.*}}, [[K]] : i32
// CHECK:       outs(%{{.*}} : tensor<2x3x4x2xi32>)
// CHECK-NOT:   celeris.topk_blocks
func.func @topk_causal(%s: tensor<2x3x4x6xbf16>) -> (tensor<2x3x4xi32>, tensor<2x3x4x2xi32>) {
  %c, %i = celeris.topk_blocks %s k 2 mask <causal> block_size [8, 4] query_offset 0
      : tensor<2x3x4x6xbf16> -> tensor<2x3x4xi32>, tensor<2x3x4x2xi32>
  return %c, %i : tensor<2x3x4xi32>, tensor<2x3x4x2xi32>
}

// -----

// Without a mask every block is eligible: no eligibility grid.
// CHECK-LABEL: func @topk_unmasked
// CHECK-NOT:   reduction", "reduction"
// CHECK:       arith.cmpf ord
// CHECK-NOT:   celeris.topk_blocks
func.func @topk_unmasked(%s: tensor<1x1x?x8xf32>) -> (tensor<1x1x?xi32>, tensor<1x1x?x3xi32>) {
  %c, %i = celeris.topk_blocks %s k 3 : tensor<1x1x?x8xf32> -> tensor<1x1x?xi32>, tensor<1x1x?x3xi32>
  return %c, %i : tensor<1x1x?xi32>, tensor<1x1x?x3xi32>
}
