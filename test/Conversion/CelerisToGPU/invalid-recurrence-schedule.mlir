// A recurrence lowered without a schedule, or with one of an attention
// family written by hand.
// RUN: celeris-opt %s -split-input-file -convert-celeris-to-gpu -verify-diagnostics

func.func @unscheduled(%q: tensor<2x4x?x64xbf16>, %k: tensor<2x4x?x64xbf16>, %v: tensor<2x4x?x64xbf16>) -> tensor<2x4x?x64xbf16> {
  // expected-error @+1 {{GPU recurrence: no #celeris.gpu_schedule on the op; run celeris-select-gpu-schedule first (the celeris-gpu pipeline does)}}
  %o = celeris.recurrence %q, %k, %v
      : tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16> -> tensor<2x4x?x64xbf16>
  return %o : tensor<2x4x?x64xbf16>
}

// -----

func.func @attention_schedule(%q: tensor<2x4x?x64xbf16>, %k: tensor<2x4x?x64xbf16>, %v: tensor<2x4x?x64xbf16>) -> tensor<2x4x?x64xbf16> {
  // expected-error @+1 {{GPU recurrence: the schedule names the attention_prefill kernel; celeris.recurrence runs on recurrence_chunk or recurrence_step}}
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
