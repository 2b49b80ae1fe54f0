// Grouped GEMM schedules the chip or the options cannot give, and hand-written
// schedules of the mixture-of-experts families the attribute refuses.
// RUN: not celeris-opt %s -celeris-select-gpu-schedule=chip=sm_90 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: not celeris-opt %s -celeris-select-gpu-schedule=tensor-cores=mma.sync 2>&1 | FileCheck %s --check-prefix=CORES
// RUN: celeris-opt %s -celeris-select-gpu-schedule="kv-tile=128 kv-stages=3 min-ctas-per-sm=2" | FileCheck %s --check-prefix=OVERRIDE

// CHIP: error: GPU schedule: the grouped_gemm kernel runs on wgmma, which sm_90 lacks (use sm_90a)
// CORES: error: GPU schedule: tensor-cores=mma.sync does not apply to the grouped_gemm kernel (warpgroups of wgmma)
// The tile options reach the grouped GEMM; routing keeps its one form.
// OVERRIDE: celeris.route {{.*}}kernel = moe_route, tensor_cores = mma_sync, warps = 8, kv_tile = 32, stages = 1, min_ctas_per_sm = 2
// OVERRIDE: celeris.grouped_matmul {{.*}}kernel = grouped_gemm, tensor_cores = wgmma, warps = 8, kv_tile = 128, stages = 3, min_ctas_per_sm = 2

func.func @layer(%logits: tensor<?x64xf32>, %x: tensor<?x2048xbf16>, %w: tensor<64x2048x1408xbf16>,
                 %o: tensor<64xi32>) -> (tensor<?x8xi32>, tensor<?x1408xbf16>) {
  %wt, %e = celeris.route %logits k 8 : tensor<?x64xf32> -> tensor<?x8xf32>, tensor<?x8xi32>
  %y = celeris.grouped_matmul %x, %w, %o
      : tensor<?x2048xbf16>, tensor<64x2048x1408xbf16>, tensor<64xi32> -> tensor<?x1408xbf16>
  return %e, %y : tensor<?x8xi32>, tensor<?x1408xbf16>
}
