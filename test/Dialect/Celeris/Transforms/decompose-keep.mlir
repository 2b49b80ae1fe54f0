// RUN: celeris-opt %s -celeris-decompose-composites=keep=celeris.selective_scan | FileCheck %s --check-prefix=SCAN
// RUN: celeris-opt %s -celeris-decompose-composites=keep=celeris.moe | FileCheck %s --check-prefix=MOE
// RUN: celeris-opt %s -celeris-decompose-composites="keep=celeris.moe,celeris.selective_scan" | FileCheck %s --check-prefix=BOTH

// keep leaves the named composites whole (a later lowering has kernels for
// them) and decomposes the others.

// SCAN-LABEL: func.func @both
// SCAN: celeris.selective_scan
// SCAN-NOT: celeris.moe
// SCAN: celeris.route
// MOE-LABEL: func.func @both
// MOE-NOT: celeris.selective_scan
// MOE: celeris.scan
// MOE: celeris.moe
// BOTH-LABEL: func.func @both
// BOTH: celeris.selective_scan
// BOTH: celeris.moe
func.func @both(%u: tensor<2x8x16xf32>, %dt: tensor<2x8x16xf32>, %A: tensor<8x4xf32>,
                %B: tensor<2x4x16xf32>, %C: tensor<2x4x16xf32>,
                %x: tensor<16x32xbf16>, %router: tensor<32x4xf32>, %wg: tensor<4x32x8xbf16>,
                %wu: tensor<4x32x8xbf16>, %wd: tensor<4x8x32xbf16>)
    -> (tensor<2x8x16xf32>, tensor<16x32xbf16>) {
  %y = celeris.selective_scan %u, %dt, %A, %B, %C
      : tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<8x4xf32>, tensor<2x4x16xf32>,
        tensor<2x4x16xf32> -> tensor<2x8x16xf32>
  %m = celeris.moe %x, %router, %wg, %wu, %wd k 2
      : tensor<16x32xbf16>, tensor<32x4xf32>, tensor<4x32x8xbf16>, tensor<4x32x8xbf16>,
        tensor<4x8x32xbf16> -> tensor<16x32xbf16>
  return %y, %m : tensor<2x8x16xf32>, tensor<16x32xbf16>
}
