// A recurrence or scan lowered without a schedule, or with one written by
// hand that names another op's family or a recurrence family that does not
// implement the op's form.
// RUN: celeris-opt %s -split-input-file -convert-celeris-to-gpu -verify-diagnostics

func.func @unscheduled(%q: tensor<2x4x?x64xbf16>, %k: tensor<2x4x?x64xbf16>, %v: tensor<2x4x?x64xbf16>) -> tensor<2x4x?x64xbf16> {
  // expected-error @+1 {{GPU recurrence: no #celeris.gpu_schedule on the op; run celeris-select-gpu-schedule first (the celeris-gpu pipeline does)}}
  %o = celeris.recurrence %q, %k, %v
      : tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16> -> tensor<2x4x?x64xbf16>
  return %o : tensor<2x4x?x64xbf16>
}

// -----

func.func @attention_schedule(%q: tensor<2x4x?x64xbf16>, %k: tensor<2x4x?x64xbf16>, %v: tensor<2x4x?x64xbf16>) -> tensor<2x4x?x64xbf16> {
  // expected-error @+1 {{GPU recurrence: the schedule names the attention_prefill kernel; celeris.recurrence runs on recurrence_chunk, recurrence_sequential or recurrence_step}}
  %o = celeris.recurrence %q, %k, %v {celeris.gpu_schedule = #celeris.gpu_schedule<kernel = attention_prefill, tensor_cores = mma_sync, warps = 4, kv_tile = 64, stages = 2, min_ctas_per_sm = 0>}
      : tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16> -> tensor<2x4x?x64xbf16>
  return %o : tensor<2x4x?x64xbf16>
}

// -----

func.func @step_schedule_on_a_sequence(%q: tensor<2x4x?x64xbf16>, %k: tensor<2x4x?x64xbf16>, %v: tensor<2x4x?x64xbf16>) -> tensor<2x4x?x64xbf16> {
  // expected-error @+1 {{GPU recurrence: the recurrence_step kernel takes one token (a static length of 1), got a dynamic one}}
  %o = celeris.recurrence %q, %k, %v {celeris.gpu_schedule = #celeris.gpu_schedule<kernel = recurrence_step, tensor_cores = mma_sync, warps = 4, kv_tile = 32, stages = 1, min_ctas_per_sm = 0>}
      : tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16> -> tensor<2x4x?x64xbf16>
  return %o : tensor<2x4x?x64xbf16>
}

// -----

func.func @gla(%q: tensor<2x4x?x64xbf16>, %k: tensor<2x4x?x64xbf16>, %v: tensor<2x4x?x64xbf16>, %g: tensor<2x4x?x64xf32>) -> tensor<2x4x?x64xbf16> {
  // expected-error @+1 {{GPU recurrence: the 'vector' decay has no chunked GPU kernel yet, only 'none', 'head' and 'scalar' (recurrence_sequential runs it token by token)}}
  %o = celeris.recurrence %q, %k, %v decay vector(%g : tensor<2x4x?x64xf32>) {celeris.gpu_schedule = #celeris.gpu_schedule<kernel = recurrence_chunk, tensor_cores = mma_sync, warps = 8, kv_tile = 64, stages = 2, min_ctas_per_sm = 1>}
      : tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16> -> tensor<2x4x?x64xbf16>
  return %o : tensor<2x4x?x64xbf16>
}

// -----

func.func @f32(%q: tensor<2x4x?x64xf32>, %k: tensor<2x4x?x64xf32>, %v: tensor<2x4x?x64xf32>) -> tensor<2x4x?x64xf32> {
  // expected-error @+1 {{GPU recurrence: the chunked kernel supports bf16 and f16 operands (the tensor cores' inputs; the state stays f32), got 'f32' (recurrence_sequential runs it token by token)}}
  %o = celeris.recurrence %q, %k, %v {celeris.gpu_schedule = #celeris.gpu_schedule<kernel = recurrence_chunk, tensor_cores = mma_sync, warps = 8, kv_tile = 64, stages = 2, min_ctas_per_sm = 1>}
      : tensor<2x4x?x64xf32>, tensor<2x4x?x64xf32>, tensor<2x4x?x64xf32> -> tensor<2x4x?x64xf32>
  return %o : tensor<2x4x?x64xf32>
}

// -----

func.func @key_dim(%q: tensor<2x4x?x256xbf16>, %k: tensor<2x4x?x256xbf16>, %v: tensor<2x4x?x64xbf16>) -> tensor<2x4x?x64xbf16> {
  // expected-error @+1 {{GPU recurrence: the chunked kernel supports key dims 64 and 128, got 256 (recurrence_sequential runs it token by token)}}
  %o = celeris.recurrence %q, %k, %v {celeris.gpu_schedule = #celeris.gpu_schedule<kernel = recurrence_chunk, tensor_cores = mma_sync, warps = 8, kv_tile = 64, stages = 2, min_ctas_per_sm = 1>}
      : tensor<2x4x?x256xbf16>, tensor<2x4x?x256xbf16>, tensor<2x4x?x64xbf16> -> tensor<2x4x?x64xbf16>
  return %o : tensor<2x4x?x64xbf16>
}

// -----

func.func @value_dim(%q: tensor<2x4x?x64xbf16>, %k: tensor<2x4x?x64xbf16>, %v: tensor<2x4x?x?xbf16>) -> tensor<2x4x?x?xbf16> {
  // expected-error @+1 {{GPU recurrence: the chunked kernel supports value dims 64 and 128, got a dynamic one}}
  %o = celeris.recurrence %q, %k, %v {celeris.gpu_schedule = #celeris.gpu_schedule<kernel = recurrence_chunk, tensor_cores = mma_sync, warps = 8, kv_tile = 64, stages = 2, min_ctas_per_sm = 1>}
      : tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16>, tensor<2x4x?x?xbf16> -> tensor<2x4x?x?xbf16>
  return %o : tensor<2x4x?x?xbf16>
}

// -----

func.func @recurrence_schedule(%a: tensor<2x64xf32>, %b: tensor<2x64xf32>) -> tensor<2x64xf32> {
  // expected-error @+1 {{GPU scan: the schedule names the recurrence_step kernel; celeris.scan runs on scan_blocked}}
  %h = celeris.scan %a, %b axis 1 {celeris.gpu_schedule = #celeris.gpu_schedule<kernel = recurrence_step, tensor_cores = mma_sync, warps = 4, kv_tile = 32, stages = 1, min_ctas_per_sm = 0>}
      : tensor<2x64xf32>, tensor<2x64xf32> -> tensor<2x64xf32>
  return %h : tensor<2x64xf32>
}
