// Recurrence errors: forms the recurrence_chunk kernel does not implement
// (the CPU path runs them), functions that are not one recurrence of their
// arguments, schedules, and options that do not apply to it.
// RUN: celeris-opt %s -split-input-file -celeris-gpu -verify-diagnostics
// RUN: not celeris-opt %s -split-input-file -celeris-select-gpu-schedule=q-tile=64 2>&1 | FileCheck %s --check-prefix=QTILE
// RUN: not celeris-opt %s -split-input-file -celeris-select-gpu-schedule=tensor-cores=wgmma 2>&1 | FileCheck %s --check-prefix=WGMMA
// RUN: not celeris-opt %s -split-input-file -celeris-select-gpu-schedule=kv-tile=128 2>&1 | FileCheck %s --check-prefix=CHUNK
// RUN: not celeris-opt %s -split-input-file -celeris-select-gpu-schedule=kv-tile=128 2>&1 | FileCheck %s --check-prefix=STEP-COLUMNS

// QTILE: error: GPU schedule: q-tile does not apply to the recurrence_chunk kernel (8 warps over chunks of 64 tokens)
// WGMMA: error: GPU schedule: tensor-cores=wgmma does not apply to the recurrence_chunk kernel (it runs mma.sync)
// STEP-COLUMNS: error: GPU schedule: gpu_schedule: recurrence_step kernels are 4 warps over 32 state columns in 1 stage (tensor_cores mma_sync, unused), got 4 warp(s) of mma_sync, 128 columns, 1 stage(s)
// CHUNK: error: GPU schedule: gpu_schedule: recurrence_chunk kernels are 8 warps of mma_sync over chunks of 64 tokens in 2 stages, got 8 warp(s) of mma_sync, chunks of 128, 2 stage(s)

func.func @delta(%q: tensor<2x4x?x64xbf16>, %k: tensor<2x4x?x64xbf16>, %v: tensor<2x4x?x64xbf16>, %beta: tensor<2x4x?xbf16>) -> tensor<2x4x?x64xbf16> {
  // expected-error @+1 {{GPU recurrence: the 'delta' update has no chunked GPU kernel yet, only 'additive' (the CPU path, celeris-cpu, runs it; the GPU runs it for one token)}}
  %o = celeris.recurrence %q, %k, %v update delta(%beta : tensor<2x4x?xbf16>)
      : tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16> -> tensor<2x4x?x64xbf16>
  return %o : tensor<2x4x?x64xbf16>
}

// -----

func.func @gla(%q: tensor<2x4x?x64xbf16>, %k: tensor<2x4x?x64xbf16>, %v: tensor<2x4x?x64xbf16>, %g: tensor<2x4x?x64xf32>) -> tensor<2x4x?x64xbf16> {
  // expected-error @+1 {{GPU recurrence: the 'vector' decay has no chunked GPU kernel yet, only 'none', 'head' and 'scalar' (the CPU path, celeris-cpu, runs it; the GPU runs it for one token)}}
  %o = celeris.recurrence %q, %k, %v decay vector(%g : tensor<2x4x?x64xf32>)
      : tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16> -> tensor<2x4x?x64xbf16>
  return %o : tensor<2x4x?x64xbf16>
}

// -----

func.func @f32(%q: tensor<2x4x?x64xf32>, %k: tensor<2x4x?x64xf32>, %v: tensor<2x4x?x64xf32>) -> tensor<2x4x?x64xf32> {
  // expected-error @+1 {{GPU recurrence: the chunked kernel supports bf16 and f16 operands (the tensor cores' inputs; the state stays f32), got 'f32' (the CPU path, celeris-cpu, runs it; the GPU runs it for one token)}}
  %o = celeris.recurrence %q, %k, %v
      : tensor<2x4x?x64xf32>, tensor<2x4x?x64xf32>, tensor<2x4x?x64xf32> -> tensor<2x4x?x64xf32>
  return %o : tensor<2x4x?x64xf32>
}

// -----

func.func @key_dim(%q: tensor<2x4x?x256xbf16>, %k: tensor<2x4x?x256xbf16>, %v: tensor<2x4x?x64xbf16>) -> tensor<2x4x?x64xbf16> {
  // expected-error @+1 {{GPU recurrence: the chunked kernel supports key dims 64 and 128, got 256}}
  %o = celeris.recurrence %q, %k, %v
      : tensor<2x4x?x256xbf16>, tensor<2x4x?x256xbf16>, tensor<2x4x?x64xbf16> -> tensor<2x4x?x64xbf16>
  return %o : tensor<2x4x?x64xbf16>
}

// -----

func.func @value_dim(%q: tensor<2x4x?x64xbf16>, %k: tensor<2x4x?x64xbf16>, %v: tensor<2x4x?x?xbf16>) -> tensor<2x4x?x?xbf16> {
  // expected-error @+1 {{GPU recurrence: the chunked kernel supports value dims 64 and 128, got a dynamic one}}
  %o = celeris.recurrence %q, %k, %v
      : tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16>, tensor<2x4x?x?xbf16> -> tensor<2x4x?x?xbf16>
  return %o : tensor<2x4x?x?xbf16>
}

// -----

func.func @computed_gate(%q: tensor<2x4x?x64xbf16>, %k: tensor<2x4x?x64xbf16>, %v: tensor<2x4x?x64xbf16>, %logit: tensor<2x4x?xf32>) -> tensor<2x4x?x64xbf16> {
  %g = arith.negf %logit : tensor<2x4x?xf32>
  // expected-error @+1 {{GPU recurrence: the decay is not an argument of @computed_gate; the kernel reads its operands from its arguments}}
  %o = celeris.recurrence %q, %k, %v decay scalar(%g : tensor<2x4x?xf32>)
      : tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16> -> tensor<2x4x?x64xbf16>
  return %o : tensor<2x4x?x64xbf16>
}

// -----

func.func @state_dropped(%q: tensor<2x4x?x64xbf16>, %k: tensor<2x4x?x64xbf16>, %v: tensor<2x4x?x64xbf16>) -> tensor<2x4x?x64xbf16> {
  %o, %s = celeris.recurrence %q, %k, %v
      : tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16> -> tensor<2x4x?x64xbf16>, tensor<2x4x64x64xf32>
  // expected-error @+1 {{GPU recurrence: @state_dropped must return the results of its celeris.recurrence directly, in order (output, then final_state if any): the kernel writes them}}
  return %o : tensor<2x4x?x64xbf16>
}

// -----

// expected-error @+1 {{GPU recurrence: argument #3 of @extra is not an operand of its celeris.recurrence; the kernel has no place for it}}
func.func @extra(%q: tensor<2x4x?x64xbf16>, %k: tensor<2x4x?x64xbf16>, %v: tensor<2x4x?x64xbf16>, %unused: tensor<4xf32>) -> tensor<2x4x?x64xbf16> {
  %o = celeris.recurrence %q, %k, %v
      : tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16> -> tensor<2x4x?x64xbf16>
  return %o : tensor<2x4x?x64xbf16>
}

// -----

func.func @with_attention(%q: tensor<2x4x?x64xbf16>, %k: tensor<2x4x?x64xbf16>, %v: tensor<2x4x?x64xbf16>) -> (tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16>) {
  %o = celeris.recurrence %q, %k, %v
      : tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16> -> tensor<2x4x?x64xbf16>
  // expected-error @+1 {{GPU recurrence: @with_attention holds 'celeris.attention' besides one celeris.recurrence; only a function made of one celeris.recurrence and the return of its results becomes a kernel}}
  %a = celeris.attention %q, %k, %v
      : tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16> -> tensor<2x4x?x64xbf16>
  return %o, %a : tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16>
}

// -----

// One token: every decay and update runs on recurrence_step, but its dims
// are limited.
func.func @step_key_dim(%q: tensor<2x4x1x250xf32>, %k: tensor<2x4x1x250xf32>, %v: tensor<2x4x1x64xf32>) -> tensor<2x4x1x64xf32> {
  // expected-error @+1 {{GPU recurrence: the recurrence_step kernel supports static key dims that are multiples of 4 up to 256, got 250}}
  %o = celeris.recurrence %q, %k, %v
      : tensor<2x4x1x250xf32>, tensor<2x4x1x250xf32>, tensor<2x4x1x64xf32> -> tensor<2x4x1x64xf32>
  return %o : tensor<2x4x1x64xf32>
}

// -----

func.func @step_value_dim(%q: tensor<2x4x1x64xbf16>, %k: tensor<2x4x1x64xbf16>, %v: tensor<2x4x1x48xbf16>) -> tensor<2x4x1x48xbf16> {
  // expected-error @+1 {{GPU recurrence: the recurrence_step kernel supports static value dims that are multiples of 32, got 48}}
  %o = celeris.recurrence %q, %k, %v
      : tensor<2x4x1x64xbf16>, tensor<2x4x1x64xbf16>, tensor<2x4x1x48xbf16> -> tensor<2x4x1x48xbf16>
  return %o : tensor<2x4x1x48xbf16>
}
