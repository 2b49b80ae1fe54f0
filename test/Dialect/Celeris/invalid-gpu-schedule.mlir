// RUN: celeris-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{gpu_schedule: warps must be 4 or 8 (query tiles of 64 or 128 rows), got 6}}
func.func private @f() attributes {s = #celeris.gpu_schedule<kernel = attention_prefill, tensor_cores = wgmma, warps = 6, kv_tile = 128, stages = 2, min_ctas_per_sm = 1>}

// -----

// expected-error @+1 {{gpu_schedule: kv_tile must be 64 or 128, got 32}}
func.func private @f() attributes {s = #celeris.gpu_schedule<kernel = attention_prefill, tensor_cores = wgmma, warps = 8, kv_tile = 32, stages = 2, min_ctas_per_sm = 1>}

// -----

// expected-error @+1 {{gpu_schedule: wgmma kernels keep the next key/value tile in flight: stages must be 2 or 3, got 1}}
func.func private @f() attributes {s = #celeris.gpu_schedule<kernel = attention_prefill, tensor_cores = wgmma, warps = 8, kv_tile = 128, stages = 1, min_ctas_per_sm = 1>}

// -----

// expected-error @+1 {{gpu_schedule: mma_sync kernels double-buffer their key/value tiles: stages must be 2, got 3}}
func.func private @f() attributes {s = #celeris.gpu_schedule<kernel = attention_prefill, tensor_cores = mma_sync, warps = 4, kv_tile = 64, stages = 3, min_ctas_per_sm = 0>}

// -----

// expected-error @+1 {{gpu_schedule: min_ctas_per_sm must be 0 (free) or positive, got -1}}
func.func private @f() attributes {s = #celeris.gpu_schedule<kernel = attention_prefill, tensor_cores = mma_sync, warps = 4, kv_tile = 64, stages = 2, min_ctas_per_sm = -1>}

// -----

// expected-error @+1 {{gpu_schedule: attention_decode kernels are 1, 2 or 4 warps of mma_sync (16 packed query rows), got 8 warp(s) of mma_sync}}
func.func private @f() attributes {s = #celeris.gpu_schedule<kernel = attention_decode, tensor_cores = mma_sync, warps = 8, kv_tile = 128, stages = 4, min_ctas_per_sm = 0>}

// -----

// expected-error @+1 {{gpu_schedule: attention_decode warps take at least 16 keys of a tile each: kv_tile 32 is too small for 4 warps}}
func.func private @f() attributes {s = #celeris.gpu_schedule<kernel = attention_decode, tensor_cores = mma_sync, warps = 4, kv_tile = 32, stages = 4, min_ctas_per_sm = 0>}

// -----

// expected-error @+1 {{gpu_schedule: attention_decode kernels are 1, 2 or 4 warps of mma_sync (16 packed query rows), got 1 warp(s) of wgmma}}
func.func private @f() attributes {s = #celeris.gpu_schedule<kernel = attention_decode, tensor_cores = wgmma, warps = 1, kv_tile = 32, stages = 4, min_ctas_per_sm = 0>}

// -----

// expected-error @+1 {{gpu_schedule: kv_tile must be 32, 64 or 128, got 16}}
func.func private @f() attributes {s = #celeris.gpu_schedule<kernel = attention_decode, tensor_cores = mma_sync, warps = 1, kv_tile = 16, stages = 4, min_ctas_per_sm = 0>}

// -----

// expected-error @+1 {{gpu_schedule: attention_decode kernels stream their key/value tiles through 2 to 4 stages, got 5}}
func.func private @f() attributes {s = #celeris.gpu_schedule<kernel = attention_decode, tensor_cores = mma_sync, warps = 1, kv_tile = 32, stages = 5, min_ctas_per_sm = 0>}

// -----

// expected-error @+1 {{gpu_schedule: recurrence_chunk kernels are 8 warps of mma_sync over chunks of 64 tokens in 2 stages, got 4 warp(s) of mma_sync, chunks of 64, 2 stage(s)}}
func.func private @f() attributes {s = #celeris.gpu_schedule<kernel = recurrence_chunk, tensor_cores = mma_sync, warps = 4, kv_tile = 64, stages = 2, min_ctas_per_sm = 1>}

// -----

// expected-error @+1 {{gpu_schedule: recurrence_chunk kernels are 8 warps of mma_sync over chunks of 64 tokens in 2 stages, got 8 warp(s) of wgmma, chunks of 128, 3 stage(s)}}
func.func private @f() attributes {s = #celeris.gpu_schedule<kernel = recurrence_chunk, tensor_cores = wgmma, warps = 8, kv_tile = 128, stages = 3, min_ctas_per_sm = 1>}

// -----

// expected-error @+1 {{gpu_schedule: grouped_gemm kv_tile (the output columns of a tile) must be 64, 128 or 256, got 96}}
func.func private @f() attributes {s = #celeris.gpu_schedule<kernel = grouped_gemm, tensor_cores = wgmma, warps = 8, kv_tile = 96, stages = 3, min_ctas_per_sm = 1>}

// -----

// expected-error @+1 {{gpu_schedule: grouped_gemm kernels stream their operand tiles through 2 to 6 stages, got 7}}
func.func private @f() attributes {s = #celeris.gpu_schedule<kernel = grouped_gemm, tensor_cores = wgmma, warps = 4, kv_tile = 128, stages = 7, min_ctas_per_sm = 1>}

// -----

// expected-error @+1 {{gpu_schedule: moe_dispatch kernels are 8 warps on the CUDA cores (kv_tile 32, 1 stage, tensor_cores mma_sync, unused), got 4 warp(s) of mma_sync, 32, 1 stage(s)}}
func.func private @f() attributes {s = #celeris.gpu_schedule<kernel = moe_dispatch, tensor_cores = mma_sync, warps = 4, kv_tile = 32, stages = 1, min_ctas_per_sm = 0>}
