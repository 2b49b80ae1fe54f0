// A head dim below 64 (a multiple of 8) runs on the prefill kernel's
// 64-wide tiles: Q, K and V load with the columns past 32 zero-filled (the
// scores are the op's; the scale is 1/sqrt(32)), and the epilogue stores
// only the 32 columns of the output.
// RUN: celeris-opt %s -celeris-gpu | FileCheck %s

// CHECK-LABEL: gpu.func @head_dim_32(
// CHECK-SAME:      memref<?x8x?x32xbf16>, %{{.*}}: memref<?x2x?x32xbf16>, %{{.*}}: memref<?x2x?x32xbf16>, %{{.*}}: memref<?x8x?x32xbf16>
// CHECK-SAME:      kernel = attention_prefill
// CHECK-SAME:      results = {out = ["q[0]", "q[1]", "q[2]", "v[3]"]}
// CHECK:         nvvm.wgmma.mma_async {{.*}} <m = 64, n = 128, k = 16>
// CHECK-COUNT-8: vector.store %{{.*}} : memref<?x8x?x32xbf16>, vector<2xbf16>
// CHECK-NOT:     vector.store %{{.*}} : memref<?x8x?x32xbf16>
// CHECK:         gpu.return
func.func @head_dim_32(%q: tensor<?x8x?x32xbf16>, %k: tensor<?x2x?x32xbf16>,
                       %v: tensor<?x2x?x32xbf16>) -> tensor<?x8x?x32xbf16> {
  %o = celeris.attention %q, %k, %v mask <causal>
      : tensor<?x8x?x32xbf16>, tensor<?x2x?x32xbf16>, tensor<?x2x?x32xbf16>
      -> tensor<?x8x?x32xbf16>
  return %o : tensor<?x8x?x32xbf16>
}
