// RUN: celeris-opt %s -celeris-select-gpu-schedule | FileCheck %s --check-prefix=SM90A
// RUN: celeris-opt %s -celeris-select-gpu-schedule="chip=sm_80 tensor-cores=mma.sync" | FileCheck %s --check-prefix=SM80
// RUN: celeris-opt %s -celeris-select-gpu-schedule="chip=sm_86 tensor-cores=mma.sync" | FileCheck %s --check-prefix=SM86
// RUN: celeris-opt %s -celeris-select-gpu-schedule="q-tile=64 kv-tile=64 kv-stages=3" | FileCheck %s --check-prefix=OVERRIDE
// RUN: celeris-opt %s -celeris-select-gpu-schedule="tensor-cores=mma.sync min-ctas-per-sm=0" | FileCheck %s --check-prefix=MMA
// RUN: celeris-opt %s -celeris-gpu="schedule=q-tile=64" | FileCheck %s --check-prefix=PIPELINE

// The cost model's schedule per chip and head dim, recorded on the op; the
// options override single fields; a schedule written on the op is the
// starting point instead of the model.

// SM90A-LABEL: func.func @d128
// SM90A: #celeris.gpu_schedule<kernel = attention_prefill, tensor_cores = wgmma, warps = 8, kv_tile = 128, stages = 2, min_ctas_per_sm = 1>
// SM80-LABEL: func.func @d128
// SM80: #celeris.gpu_schedule<kernel = attention_prefill, tensor_cores = mma_sync, warps = 4, kv_tile = 64, stages = 2, min_ctas_per_sm = 0>
// OVERRIDE-LABEL: func.func @d128
// OVERRIDE: #celeris.gpu_schedule<kernel = attention_prefill, tensor_cores = wgmma, warps = 4, kv_tile = 64, stages = 3, min_ctas_per_sm = 1>
// MMA-LABEL: func.func @d128
// MMA: #celeris.gpu_schedule<kernel = attention_prefill, tensor_cores = mma_sync, warps = 4, kv_tile = 64, stages = 2, min_ctas_per_sm = 0>
// PIPELINE: gpu.func @d128
// PIPELINE-SAME: celeris.gpu_schedule = #celeris.gpu_schedule<kernel = attention_prefill, tensor_cores = wgmma, warps = 4, kv_tile = 128, stages = 2, min_ctas_per_sm = 1>
// PIPELINE-SAME: grid = ["ceildiv(Sq,64)", "Hq", "B"]
func.func @d128(%q: tensor<?x4x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>) -> tensor<?x4x?x128xbf16> {
  %o = celeris.attention %q, %k, %v mask <causal> : tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16> -> tensor<?x4x?x128xbf16>
  return %o : tensor<?x4x?x128xbf16>
}

// SM90A-LABEL: func.func @d64
// SM90A: #celeris.gpu_schedule<kernel = attention_prefill, tensor_cores = wgmma, warps = 4, kv_tile = 128, stages = 2, min_ctas_per_sm = 3>
// SM80-LABEL: func.func @d64
// SM80: #celeris.gpu_schedule<kernel = attention_prefill, tensor_cores = mma_sync, warps = 8, kv_tile = 64, stages = 2, min_ctas_per_sm = 0>
// SM86-LABEL: func.func @d64
// SM86: #celeris.gpu_schedule<kernel = attention_prefill, tensor_cores = mma_sync, warps = 8, kv_tile = 64, stages = 2, min_ctas_per_sm = 0>
func.func @d64(%q: tensor<?x4x?x64xf16>, %k: tensor<?x4x?x64xf16>, %v: tensor<?x4x?x64xf16>) -> tensor<?x4x?x64xf16> {
  %o = celeris.attention %q, %k, %v : tensor<?x4x?x64xf16>, tensor<?x4x?x64xf16>, tensor<?x4x?x64xf16> -> tensor<?x4x?x64xf16>
  return %o : tensor<?x4x?x64xf16>
}

// A schedule written by hand is kept, and overrides apply on top of it.
// SM90A-LABEL: func.func @by_hand
// SM90A: #celeris.gpu_schedule<kernel = attention_prefill, tensor_cores = wgmma, warps = 8, kv_tile = 64, stages = 3, min_ctas_per_sm = 1>
// OVERRIDE-LABEL: func.func @by_hand
// OVERRIDE: #celeris.gpu_schedule<kernel = attention_prefill, tensor_cores = wgmma, warps = 4, kv_tile = 64, stages = 3, min_ctas_per_sm = 1>
func.func @by_hand(%q: tensor<?x4x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>) -> tensor<?x4x?x128xbf16> {
  %o = celeris.attention %q, %k, %v {celeris.gpu_schedule = #celeris.gpu_schedule<kernel = attention_prefill, tensor_cores = wgmma, warps = 8, kv_tile = 64, stages = 3, min_ctas_per_sm = 1>} : tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16> -> tensor<?x4x?x128xbf16>
  return %o : tensor<?x4x?x128xbf16>
}

// A block layout's blocks become whole tiles: 64 x 64 blocks shrink the
// default tiles to 64.
// SM90A-LABEL: func.func @block_layout
// SM90A: #celeris.gpu_schedule<kernel = attention_prefill, tensor_cores = wgmma, warps = 4, kv_tile = 64, stages = 2, min_ctas_per_sm = 1>
func.func @block_layout(%q: tensor<1x4x256x128xbf16>, %k: tensor<1x4x256x128xbf16>, %v: tensor<1x4x256x128xbf16>, %c: tensor<1x1x4xi32>, %i: tensor<1x1x4x4xi32>) -> tensor<1x4x256x128xbf16> {
  %o = celeris.attention %q, %k, %v block_layout(%c, %i : tensor<1x1x4xi32>, tensor<1x1x4x4xi32>) block_size [64, 64] : tensor<1x4x256x128xbf16>, tensor<1x4x256x128xbf16>, tensor<1x4x256x128xbf16> -> tensor<1x4x256x128xbf16>
  return %o : tensor<1x4x256x128xbf16>
}

// Segment ids keep the model's 128-key tiles (the per-element id test fits
// in the registers since the copies moved to TMA: 0 spills at D = 64 and
// 128); softcap takes at most 2 CTAs per SM.
// SM90A-LABEL: func.func @segments_softcap
// SM90A: #celeris.gpu_schedule<kernel = attention_prefill, tensor_cores = wgmma, warps = 4, kv_tile = 128, stages = 2, min_ctas_per_sm = 2>
func.func @segments_softcap(%q: tensor<?x4x?x64xbf16>, %k: tensor<?x4x?x64xbf16>, %v: tensor<?x4x?x64xbf16>, %qi: tensor<?x?xi32>, %ki: tensor<?x?xi32>) -> tensor<?x4x?x64xbf16> {
  %o = celeris.attention %q, %k, %v segment_ids(%qi, %ki : tensor<?x?xi32>, tensor<?x?xi32>) softcap 30.0 : tensor<?x4x?x64xbf16>, tensor<?x4x?x64xbf16>, tensor<?x4x?x64xbf16> -> tensor<?x4x?x64xbf16>
  return %o : tensor<?x4x?x64xbf16>
}
