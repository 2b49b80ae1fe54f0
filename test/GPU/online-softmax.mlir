// RUN: celeris-opt %s -test-celeris-kernel-blocks -canonicalize -cse -split-input-file | FileCheck %s

// One tile's update from the initial state (m = -inf, l = 0) over a
// fragment of 8 columns: row maxima over the lane's values and the quad
// (shuffles xor 1, 2), m' = max(m, c max), the exponent base guarded
// against -inf, p = ex2(fma(s, c, -mu)), l' = fma(alpha, l, sum p).
// CHECK-LABEL: gpu.func @update
// CHECK-DAG: %[[C:.+]] = arith.constant 0.180336878 : f32
// CHECK-DAG: %[[NEGINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK: %[[MAX0:.+]] = arith.maximumf %arg0, %arg1 : f32
// CHECK: gpu.shuffle  xor %[[MAX0]]
// CHECK: gpu.shuffle  xor
// (max(-inf, x) folds to x.)
// CHECK: %[[M:.+]] = arith.mulf %{{.+}}, %[[C]] : f32
// CHECK: %[[ISINF:.+]] = arith.cmpf oeq, %[[M]], %[[NEGINF]] : f32
// CHECK: %[[MU:.+]] = arith.select %[[ISINF]], %{{.+}}, %[[M]] : f32
// CHECK: %[[ALPHA:.+]] = llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"
// CHECK: %[[NEGMU:.+]] = arith.negf %[[MU]] : f32
// CHECK: %[[T:.+]] = llvm.intr.fma(%arg0, %[[C]], %[[NEGMU]])
// CHECK: %[[P:.+]] = llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"(%[[T]])
// CHECK: llvm.intr.fma(%[[ALPHA]], %{{.+}}, %{{.+}})
// CHECK: memref.store %[[M]], %arg4[%{{.+}}]
gpu.module @blocks {
  gpu.func @update(%s0: f32, %s1: f32, %s2: f32, %s3: f32, %out: memref<?xf32>) kernel attributes {celeris.test_block = "online-softmax-update"} {
    gpu.return
  }
}

// -----

// Finalizing: l reduced over the quad; 1 / l and (m + lg2 l) ln 2 where
// l > 0, else 0 and -inf.
// CHECK-LABEL: gpu.func @finalize
// CHECK: gpu.shuffle  xor %arg2
// CHECK: gpu.shuffle  xor
// CHECK: %[[POS:.+]] = arith.cmpf ogt, %[[L:.+]], %{{.+}} : f32
// CHECK: %[[INV:.+]] = arith.divf %{{.+}}, %[[L]] : f32
// CHECK: arith.select %[[POS]], %[[INV]], %{{.+}} : f32
// CHECK: %[[LG:.+]] = llvm.call_intrinsic "llvm.nvvm.lg2.approx.f"(%[[L]])
// CHECK: %[[SUM:.+]] = arith.addf %arg0, %[[LG]] : f32
// CHECK: %[[LN:.+]] = arith.mulf %[[SUM]], %{{.+}} : f32
// CHECK: arith.select %[[POS]], %[[LN]], %{{.+}} : f32
gpu.module @blocks {
  gpu.func @finalize(%m0: f32, %m1: f32, %l0: f32, %l1: f32, %out: memref<?xf32>) kernel attributes {celeris.test_block = "online-softmax-finalize"} {
    gpu.return
  }
}

// -----

// The merge of two partial results by lse (split-KV decoding): weights
// 2^((a - m) log2 e) / total, merged lse = m + ln total; a -inf maximum is
// replaced by 0 so that two empty halves give 0 weights and -inf.
// CHECK-LABEL: gpu.func @merge
// CHECK: %[[MAX:.+]] = arith.maximumf %arg0, %arg1 : f32
// CHECK: %[[INF:.+]] = arith.cmpf oeq, %[[MAX]]
// CHECK: %[[M:.+]] = arith.select %[[INF]], %{{.+}}, %[[MAX]] : f32
// CHECK: arith.subf %arg0, %[[M]] : f32
// CHECK: %[[WA:.+]] = llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"
// CHECK: arith.subf %arg1, %[[M]] : f32
// CHECK: %[[WB:.+]] = llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"
// CHECK: %[[TOTAL:.+]] = arith.addf %[[WA]], %[[WB]] : f32
// CHECK: arith.cmpf ogt, %[[TOTAL]]
// CHECK: llvm.call_intrinsic "llvm.nvvm.lg2.approx.f"(%[[TOTAL]])
gpu.module @blocks {
  gpu.func @merge(%a: f32, %b: f32, %out: memref<?xf32>) kernel attributes {celeris.test_block = "lse-merge"} {
    gpu.return
  }
}

// -----

// The merge of partials spread over a warp, two per lane here (split-KV
// decoding): the lane's maximum, then the warp's by xor shuffles (a fixed
// tree: every lane gets the same bits); the weights, their lane total, the
// warp's total, then the weights and the merged lse.
// CHECK-LABEL: gpu.func @warp_merge
// CHECK: arith.maximumf %arg0, %arg1 : f32
// CHECK-COUNT-5: gpu.shuffle xor
// CHECK: %[[INF:.+]] = arith.cmpf oeq
// CHECK: %[[M:.+]] = arith.select %[[INF]]
// CHECK: arith.subf %arg0, %[[M]] : f32
// CHECK: llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"
// CHECK: arith.subf %arg1, %[[M]] : f32
// CHECK: llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"
// CHECK: arith.addf
// CHECK-COUNT-5: gpu.shuffle xor
// CHECK: arith.cmpf ogt
// CHECK: llvm.call_intrinsic "llvm.nvvm.lg2.approx.f"
gpu.module @blocks {
  gpu.func @warp_merge(%a: f32, %b: f32, %out: memref<?xf32>) kernel attributes {celeris.test_block = "warp-lse-merge"} {
    gpu.return
  }
}
