// RUN: celeris-opt %s -test-celeris-kernel-blocks -canonicalize -cse | FileCheck %s

// The accumulator layout: values 4n + {0, 1} are row g, 4n + {2, 3} row
// g + 8. Row 0's maximum reduces values 0, 1, 4, 5 as a tree, then over the
// quad; row 1's sum values 2, 3, 6, 7. Packing pairs gives the A operand.
// CHECK-LABEL: gpu.func @fragment
// CHECK: %[[A:.+]] = arith.maximumf %arg0, %arg1 : f32
// CHECK: %[[B:.+]] = arith.maximumf %arg4, %arg5 : f32
// CHECK: %[[AB:.+]] = arith.maximumf %[[A]], %[[B]] : f32
// CHECK: gpu.shuffle  xor %[[AB]], %c1_i32, %c32_i32 : f32
// CHECK: gpu.shuffle  xor %{{.+}}, %c2_i32, %c32_i32 : f32
// CHECK: %[[C:.+]] = arith.addf %arg2, %arg3 : f32
// CHECK: %[[D:.+]] = arith.addf %arg6, %arg7 : f32
// CHECK: arith.addf %[[C]], %[[D]] : f32
gpu.module @blocks {
  gpu.func @fragment(%s0: f32, %s1: f32, %s2: f32, %s3: f32, %s4: f32, %s5: f32, %s6: f32, %s7: f32, %out: memref<?xf32>) kernel attributes {celeris.test_block = "fragment"} {
    gpu.return
  }
}
