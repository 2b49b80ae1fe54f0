// Schedule errors: option values, schedules a chip cannot run, hand-written
// schedules the attribute verifier rejects, and an op without a schedule.
// RUN: not celeris-opt %s -celeris-select-gpu-schedule=chip=sm_70 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: not celeris-opt %s -celeris-select-gpu-schedule=q-tile=96 2>&1 | FileCheck %s --check-prefix=QTILE
// RUN: not celeris-opt %s -celeris-select-gpu-schedule=kv-tile=96 2>&1 | FileCheck %s --check-prefix=KVTILE
// RUN: not celeris-opt %s -celeris-select-gpu-schedule=kv-stages=5 2>&1 | FileCheck %s --check-prefix=STAGES
// RUN: not celeris-opt %s -celeris-select-gpu-schedule=tensor-cores=tf32 2>&1 | FileCheck %s --check-prefix=CORES
// RUN: not celeris-opt %s -celeris-select-gpu-schedule="chip=sm_90 tensor-cores=wgmma" 2>&1 | FileCheck %s --check-prefix=WGMMA-CHIP
// RUN: not celeris-opt %s -celeris-select-gpu-schedule="tensor-cores=mma.sync kv-stages=3" 2>&1 | FileCheck %s --check-prefix=MMA-STAGES
// RUN: not celeris-opt %s -celeris-select-gpu-schedule=min-ctas-per-sm=2 2>&1 | FileCheck %s --check-prefix=REGISTERS
// RUN: not celeris-opt %s -celeris-select-gpu-schedule="chip=sm_86 tensor-cores=mma.sync min-ctas-per-sm=2" 2>&1 | FileCheck %s --check-prefix=SHARED
// RUN: not celeris-opt %s -celeris-select-gpu-schedule="chip=sm_86 tensor-cores=mma.sync kv-tile=128" 2>&1 | FileCheck %s --check-prefix=SHARED-CTA
// RUN: not celeris-opt %s -celeris-select-gpu-schedule="kv-stages=3 q-tile=128" -convert-celeris-to-gpu=chip=sm_90 2>&1 | FileCheck %s --check-prefix=CONVERT-CHIP
// RUN: not celeris-opt %s -convert-celeris-to-gpu 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not celeris-opt %s -celeris-gpu="schedule=q-tile" 2>&1 | FileCheck %s --check-prefix=PIPELINE

// CHIP: error: celeris-select-gpu-schedule: unsupported chip 'sm_70'; expected one of sm_80, sm_86, sm_89, sm_90, sm_90a
// QTILE: error: celeris-select-gpu-schedule: q-tile must be 64 or 128 (16 rows per warp, 4 or 8 warps), or 0 to keep the choice; got 96
// KVTILE: error: celeris-select-gpu-schedule: kv-tile must be 32 (decode only), 64, 128 or 256 (grouped GEMM only), or 0 to keep the choice; got 96
// STAGES: error: celeris-select-gpu-schedule: kv-stages must be 2 to 4 (4 for decode only), or 0 to keep the choice; got 5
// CORES: error: celeris-select-gpu-schedule: tensor-cores must be auto, mma.sync or wgmma; got 'tf32'
// WGMMA-CHIP: error: GPU schedule: tensor-cores=wgmma needs sm_90a, not sm_90
// MMA-STAGES: error: GPU schedule: gpu_schedule: mma_sync kernels double-buffer their key/value tiles: stages must be 2, got 3
// REGISTERS: error: GPU schedule: min_ctas_per_sm = 2 caps the registers at 128 per thread (256 threads per CTA), below the 200 that the head dim 128 kernel needs: it would spill
// SHARED: error: GPU schedule: min_ctas_per_sm = 2 needs 143424 bytes of shared memory per SM (70688 per CTA and 1024 reserved), more than the 102400 of sm_86
// SHARED-CTA: error: GPU schedule: the schedule needs 140320 bytes of shared memory, more than the 101376 a CTA may have on sm_86
// CONVERT-CHIP: error: GPU attention: wgmma needs sm_90a, not sm_90
// MISSING: error: GPU attention: no #celeris.gpu_schedule on the op; run celeris-select-gpu-schedule first (the celeris-gpu pipeline does)
// PIPELINE: error

func.func @f(%q: tensor<?x4x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>) -> tensor<?x4x?x128xbf16> {
  %o = celeris.attention %q, %k, %v mask <causal> : tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16> -> tensor<?x4x?x128xbf16>
  return %o : tensor<?x4x?x128xbf16>
}
