// RUN: celeris-opt %s -test-celeris-kernel-blocks -canonicalize -cse -split-input-file | FileCheck %s

// Sinks and a causal sliding window, for 128 queries from %p over 128-key
// tiles: the intersection distributes over the union, giving two ranges
// (the sink tiles, the window tiles), sorted by a compare-and-swap and made
// disjoint; the visits are their lengths' sum; visit n maps into the first
// range or the second.
// CHECK-LABEL: gpu.func @ranges
// CHECK-DAG: %[[END:.+]] = arith.addi %arg0, %c128 : index
// CHECK-DAG: %[[LEFT:.+]] = arith.subi %arg0, %c1023 : index
// CHECK-DAG: arith.minsi %[[END]], %c4 : index
// CHECK-DAG: arith.maxsi %[[LEFT]], %c0 : index
// CHECK: %[[SWAP:.+]] = arith.cmpi slt, %{{.+}}, %c0 : index
// CHECK: arith.select %[[SWAP]]
// CHECK: %[[COUNT:.+]] = arith.addi %{{.+}}, %{{.+}} : index
// CHECK: memref.store %[[COUNT]], %arg3[%c0]
// CHECK: %[[FIRST:.+]] = arith.cmpi slt, %arg2, %{{.+}} : index
// CHECK: %[[TILE:.+]] = arith.select %[[FIRST]]
// CHECK: memref.store %[[TILE]], %arg3[%c1]
gpu.module @blocks {
  gpu.func @ranges(%p: index, %sk: index, %n: index, %out: memref<?xindex>) kernel attributes {celeris.test_block = "key-tile-ranges", celeris.mask = #celeris.mask<intersect(causal, union(sink<4>, window<left = 1023, right = 0>))>} {
    gpu.return
  }
}

// -----

// Causal over rows [%row, %row + 16) and keys [%key, %key + 8): empty when
// the first key is past the last row, full when the last key is at most the
// first row and the keys lie inside [0, Sk); per element, in i32, key <= row
// and key < Sk (unsigned: negative keys fail), else -inf.
// CHECK-LABEL: gpu.func @causal
// CHECK-DAG: %[[NEGINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK-DAG: %[[LAST:.+]] = arith.addi %arg0, %c15 : index
// CHECK-DAG: %[[KEYLAST:.+]] = arith.addi %arg1, %c7 : index
// CHECK: %[[EMPTY:.+]] = arith.cmpi sgt, %arg1, %[[LAST]] : index
// CHECK: %[[FULLMASK:.+]] = arith.cmpi sle, %[[KEYLAST]], %arg0 : index
// CHECK-DAG: %[[SK:.+]] = arith.index_cast %arg2 : index to i32
// CHECK-DAG: %[[ROW:.+]] = arith.index_cast %arg0 : index to i32
// CHECK-DAG: %[[KEY:.+]] = arith.index_cast %arg1 : index to i32
// CHECK: %[[INK:.+]] = arith.cmpi ult, %[[KEY]], %[[SK]] : i32
// CHECK: %[[CAUSAL:.+]] = arith.cmpi sle, %[[KEY]], %[[ROW]] : i32
// CHECK: %[[OK:.+]] = arith.andi %[[CAUSAL]], %[[INK]] : i1
// CHECK: arith.select %[[OK]], %arg3, %[[NEGINF]] : f32
// CHECK-COUNT-3: arith.select %{{.+}}, %arg{{[456]}}, %[[NEGINF]] : f32
gpu.module @blocks {
  gpu.func @causal(%row: index, %key: index, %sk: index, %s0: f32, %s1: f32, %s2: f32, %s3: f32, %out: memref<?xf32>) kernel attributes {celeris.test_block = "mask-tile", celeris.mask = #celeris.mask<causal>} {
    gpu.return
  }
}

// -----

// A mask with holes inside its key range (strided): every pair evaluated.
// CHECK-LABEL: gpu.func @strided
// CHECK: arith.floordivsi
// CHECK-COUNT-4: arith.select %{{.+}}, %arg{{[3-6]}}, %{{.+}} : f32
gpu.module @blocks {
  gpu.func @strided(%row: index, %key: index, %sk: index, %s0: f32, %s1: f32, %s2: f32, %s3: f32, %out: memref<?xf32>) kernel attributes {celeris.test_block = "mask-tile", celeris.mask = #celeris.mask<strided<4>>} {
    gpu.return
  }
}
