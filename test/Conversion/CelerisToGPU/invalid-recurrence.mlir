// Recurrence errors: dims no GPU kernel implements (the CPU path runs
// them), functions that are not one recurrence of their arguments,
// schedules, and options that do not apply.
// RUN: celeris-opt %s -split-input-file -celeris-gpu -verify-diagnostics
// RUN: not celeris-opt %s -split-input-file -celeris-select-gpu-schedule=q-tile=64 2>&1 | FileCheck %s --check-prefix=QTILE
// RUN: not celeris-opt %s -split-input-file -celeris-select-gpu-schedule=tensor-cores=wgmma 2>&1 | FileCheck %s --check-prefix=WGMMA
// RUN: not celeris-opt %s -split-input-file -celeris-select-gpu-schedule=kv-tile=128 2>&1 | FileCheck %s --check-prefix=CHUNK
// RUN: not celeris-opt %s -split-input-file -celeris-select-gpu-schedule=kv-tile=128 2>&1 | FileCheck %s --check-prefix=STEP-COLUMNS
// RUN: not celeris-opt %s -split-input-file -celeris-select-gpu-schedule=kv-tile=128 2>&1 | FileCheck %s --check-prefix=SEQUENTIAL-COLUMNS

// QTILE: error: GPU schedule: q-tile does not apply to the recurrence_chunk kernel (8 warps over chunks of 64 tokens)
// WGMMA: error: GPU schedule: tensor-cores=wgmma does not apply to the recurrence_chunk kernel (it runs mma.sync)
// STEP-COLUMNS: error: GPU schedule: gpu_schedule: recurrence_step kernels are 4 warps over 32 state columns in 1 stage (tensor_cores mma_sync, unused), got 4 warp(s) of mma_sync, 128 columns, 1 stage(s)
// SEQUENTIAL-COLUMNS: error: GPU schedule: gpu_schedule: recurrence_sequential kernels are 4 warps over 32 state columns in 2 stages (tensor_cores mma_sync, unused), got 4 warp(s) of mma_sync, 128 columns, 2 stage(s)
// CHUNK: error: GPU schedule: gpu_schedule: recurrence_chunk kernels are 8 warps of mma_sync over chunks of 64 tokens in 2 stages, got 8 warp(s) of mma_sync, chunks of 128, 2 stage(s)

func.func @sequential_key_dim(%q: tensor<2x4x?x258xbf16>, %k: tensor<2x4x?x258xbf16>, %v: tensor<2x4x?x64xbf16>) -> tensor<2x4x?x64xbf16> {
  // expected-error @+1 {{GPU recurrence: the recurrence_sequential kernel supports static key dims that are multiples of 4 up to 256, got 258}}
  %o = celeris.recurrence %q, %k, %v
      : tensor<2x4x?x258xbf16>, tensor<2x4x?x258xbf16>, tensor<2x4x?x64xbf16> -> tensor<2x4x?x64xbf16>
  return %o : tensor<2x4x?x64xbf16>
}

// -----

func.func @sequential_value_dim(%q: tensor<2x4x?x64xbf16>, %k: tensor<2x4x?x64xbf16>, %v: tensor<2x4x?x?xbf16>) -> tensor<2x4x?x?xbf16> {
  // expected-error @+1 {{GPU recurrence: the recurrence_sequential kernel supports static value dims that are multiples of 8, got a dynamic one}}
  %o = celeris.recurrence %q, %k, %v
      : tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16>, tensor<2x4x?x?xbf16> -> tensor<2x4x?x?xbf16>
  return %o : tensor<2x4x?x?xbf16>
}

// -----

func.func @sequential_value_dim_12(%q: tensor<2x4x?x64xbf16>, %k: tensor<2x4x?x64xbf16>, %v: tensor<2x4x?x12xbf16>) -> tensor<2x4x?x12xbf16> {
  // expected-error @+1 {{GPU recurrence: the recurrence_sequential kernel supports static value dims that are multiples of 8, got 12}}
  %o = celeris.recurrence %q, %k, %v
      : tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16>, tensor<2x4x?x12xbf16> -> tensor<2x4x?x12xbf16>
  return %o : tensor<2x4x?x12xbf16>
}

// -----

func.func @computed_query(%x: tensor<2x4x?x64xbf16>, %k: tensor<2x4x?x64xbf16>, %v: tensor<2x4x?x64xbf16>) -> tensor<2x4x?x64xbf16> {
  %q = arith.negf %x : tensor<2x4x?x64xbf16>
  // expected-error @+1 {{GPU recurrence: the query is not an argument of @computed_query; the kernel reads its operands from its arguments}}
  %o = celeris.recurrence %q, %k, %v
      : tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16> -> tensor<2x4x?x64xbf16>
  return %o : tensor<2x4x?x64xbf16>
}

// -----

// The decay and beta may be computed from an argument by elementwise math
// (the kernel applies it as it loads them), not otherwise.
func.func @gate_from_two_arguments(%q: tensor<2x4x?x64xbf16>, %k: tensor<2x4x?x64xbf16>, %v: tensor<2x4x?x64xbf16>, %a: tensor<2x4x?xf32>, %b: tensor<2x4x?xf32>) -> tensor<2x4x?x64xbf16> {
  // expected-error @+1 {{GPU recurrence: the decay is computed from two arguments (#3 and #4); the kernel reads it from one}}
  %g = arith.addf %a, %b : tensor<2x4x?xf32>
  %o = celeris.recurrence %q, %k, %v decay scalar(%g : tensor<2x4x?xf32>)
      : tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16> -> tensor<2x4x?x64xbf16>
  return %o : tensor<2x4x?x64xbf16>
}

// -----

func.func @gate_sliced(%q: tensor<2x4x?x64xbf16>, %k: tensor<2x4x?x64xbf16>, %v: tensor<2x4x?x64xbf16>, %wide: tensor<2x8x?xf32>) -> tensor<2x4x?x64xbf16> {
  %c2 = arith.constant 2 : index
  %n = tensor.dim %wide, %c2 : tensor<2x8x?xf32>
  // expected-error @+1 {{GPU recurrence: the decay is computed by 'tensor.extract_slice', which the kernel cannot apply as it loads the decay: only elementwise arith and math ops on tensors of its shape and splat constants can be}}
  %g = tensor.extract_slice %wide[0, 0, 0] [2, 4, %n] [1, 1, 1] : tensor<2x8x?xf32> to tensor<2x4x?xf32>
  %o = celeris.recurrence %q, %k, %v decay scalar(%g : tensor<2x4x?xf32>)
      : tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16>, tensor<2x4x?x64xbf16> -> tensor<2x4x?x64xbf16>
  return %o : tensor<2x4x?x64xbf16>
}

// -----

func.func @constant_beta(%q: tensor<2x4x8x64xbf16>, %k: tensor<2x4x8x64xbf16>, %v: tensor<2x4x8x64xbf16>) -> tensor<2x4x8x64xbf16> {
  // expected-error @+1 {{GPU recurrence: the beta is a constant; pass it as an argument of the function}}
  %beta = arith.constant dense<0.5> : tensor<2x4x8xbf16>
  %o = celeris.recurrence %q, %k, %v update delta(%beta : tensor<2x4x8xbf16>)
      : tensor<2x4x8x64xbf16>, tensor<2x4x8x64xbf16>, tensor<2x4x8x64xbf16> -> tensor<2x4x8x64xbf16>
  return %o : tensor<2x4x8x64xbf16>
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

// One token: every decay and update runs on recurrence_step, other dims on
// recurrence_sequential; a key dim neither takes is an error.
func.func @step_key_dim(%q: tensor<2x4x1x250xf32>, %k: tensor<2x4x1x250xf32>, %v: tensor<2x4x1x64xf32>) -> tensor<2x4x1x64xf32> {
  // expected-error @+1 {{GPU recurrence: the recurrence_sequential kernel supports static key dims that are multiples of 4 up to 256, got 250}}
  %o = celeris.recurrence %q, %k, %v
      : tensor<2x4x1x250xf32>, tensor<2x4x1x250xf32>, tensor<2x4x1x64xf32> -> tensor<2x4x1x64xf32>
  return %o : tensor<2x4x1x64xf32>
}

// -----

// A decode step the recurrence_step kernel runs (for the schedule options
// above).
func.func @step(%q: tensor<2x4x1x64xbf16>, %k: tensor<2x4x1x64xbf16>, %v: tensor<2x4x1x64xbf16>) -> tensor<2x4x1x64xbf16> {
  %o = celeris.recurrence %q, %k, %v
      : tensor<2x4x1x64xbf16>, tensor<2x4x1x64xbf16>, tensor<2x4x1x64xbf16> -> tensor<2x4x1x64xbf16>
  return %o : tensor<2x4x1x64xbf16>
}
