// Pass options outside what the kernel supports, and schedules that cannot
// run well, are errors. (The tensor-cores and kv-tile options and the wgmma
// kernel's limits: invalid-tensor-cores.mlir.)
// RUN: not celeris-opt %s -convert-celeris-to-gpu=chip=sm_70 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: not celeris-opt %s -convert-celeris-to-gpu=q-tile=96 2>&1 | FileCheck %s --check-prefix=QTILE
// RUN: not celeris-opt %s -convert-celeris-to-gpu=kv-stages=4 2>&1 | FileCheck %s --check-prefix=STAGES
// RUN: not celeris-opt %s -convert-celeris-to-gpu=min-ctas-per-sm=-1 2>&1 | FileCheck %s --check-prefix=CTAS
// RUN: not celeris-opt %s -convert-celeris-to-gpu="tensor-cores=mma.sync q-tile=128 min-ctas-per-sm=2" 2>&1 | FileCheck %s --check-prefix=REGISTERS
// RUN: not celeris-opt %s -convert-celeris-to-gpu="chip=sm_86 kv-stages=2 min-ctas-per-sm=2" 2>&1 | FileCheck %s --check-prefix=SHARED

// CHIP: error: convert-celeris-to-gpu: unsupported chip 'sm_70'; expected one of sm_80, sm_86, sm_89, sm_90, sm_90a
// QTILE: error: convert-celeris-to-gpu: q-tile must be 64 or 128 (16 rows per warp, 4 or 8 warps), or 0 for the cost model; got 96
// STAGES: error: convert-celeris-to-gpu: kv-stages must be 1, 2 or 3, or 0 for the cost model; got 4
// CTAS: error: convert-celeris-to-gpu: min-ctas-per-sm must be positive, or 0 for the cost model; got -1
// REGISTERS: invalid-options.mlir:[[@LINE+5]]:8: error: GPU attention: min-ctas-per-sm=2 caps the registers at 128 per thread (256 threads per CTA), below the 160 that the head dim 128 kernel needs: it would spill
// SHARED: invalid-options.mlir:[[@LINE+4]]:8: error: GPU attention: min-ctas-per-sm=2 needs 141312 bytes of shared memory per SM (69632 per CTA and 1024 reserved), more than the 102400 of sm_86

func.func @d128(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x16x?x128xbf16>, %v: tensor<?x16x?x128xbf16>)
    -> tensor<?x16x?x128xbf16> {
  %o = celeris.attention %q, %k, %v
      : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16> -> tensor<?x16x?x128xbf16>
  return %o : tensor<?x16x?x128xbf16>
}
