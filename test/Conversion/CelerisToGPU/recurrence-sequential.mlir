// RUN: celeris-opt %s -celeris-select-gpu-schedule | FileCheck %s --check-prefix=SCHEDULE
// RUN: celeris-opt %s -celeris-gpu -canonicalize -cse | FileCheck %s --check-prefix=KERNEL

// The forms the chunked kernel does not run (per-key decay, f32 operands,
// other dims, here a Gated DeltaNet with Dv 32) and decode steps of value dims that are
// not a multiple of 32 run token by token on recurrence_sequential: a warp
// per 8 state columns and 4 key-row groups, the column sums by shuffles,
// no CTA barrier.

// SCHEDULE-LABEL: func.func @gated_deltanet
// SCHEDULE: #celeris.gpu_schedule<kernel = recurrence_sequential, tensor_cores = mma_sync, warps = 4, kv_tile = 32, stages = 2, min_ctas_per_sm = 0>
// SCHEDULE-LABEL: func.func @gla_f32
// SCHEDULE: kernel = recurrence_sequential
// SCHEDULE-LABEL: func.func @step_dv48
// SCHEDULE: kernel = recurrence_sequential
// SCHEDULE-LABEL: func.func @chunk_by_hand
// SCHEDULE: kernel = recurrence_chunk

// KERNEL-LABEL: gpu.func @gated_deltanet
// KERNEL-SAME: celeris.arg_names = ["q", "k", "v", "decay", "beta", "initial_state", "out", "final_state"]
// KERNEL-SAME: block = array<i32: 128, 1, 1>, grid = ["1", "H", "B"]
// KERNEL-SAME: shared = "0"
// KERNEL-NOT: gpu.barrier
// A thread's 16 key rows of its column of the initial state.
// KERNEL-COUNT-16: memref.load %{{.+}} : memref<?x?x64x32xf32>
// KERNEL: scf.for
// The next token's operands: the lane's 16 key rows of q, then of k, in
// 16-byte vectors of 8 bf16; then the gate of the current one.
// KERNEL-COUNT-2: vector.load %arg0{{.+}} : memref<?x?x?x64xbf16>, vector<8xbf16>
// KERNEL-COUNT-2: vector.load %arg1{{.+}} : memref<?x?x?x64xbf16>, vector<8xbf16>
// KERNEL: memref.load %{{.+}} : memref<?x?x?xf32>
// KERNEL: memref.load %{{.+}} : memref<?x?x?xbf16>
// KERNEL: llvm.nvvm.ex2.approx.ftz.f32
// S^T k over the 4 row groups (lanes 8 and 16 apart), then S^T q.
// KERNEL: gpu.shuffle  xor %{{.+}}, %c8_i32
// KERNEL: gpu.shuffle  xor %{{.+}}, %c16_i32
// KERNEL: gpu.shuffle  xor %{{.+}}, %c8_i32
// KERNEL: gpu.shuffle  xor %{{.+}}, %c16_i32
// KERNEL: memref.store %{{.+}} : memref<?x?x?x32xbf16>
// KERNEL: scf.yield
// KERNEL-COUNT-16: memref.store %{{.+}} : memref<?x?x64x32xf32>
// KERNEL-NOT: gpu.barrier
// KERNEL: gpu.return
func.func @gated_deltanet(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                          %v: tensor<?x?x?x32xbf16>, %g: tensor<?x?x?xf32>,
                          %beta: tensor<?x?x?xbf16>, %s0: tensor<?x?x64x32xf32>)
    -> (tensor<?x?x?x32xbf16>, tensor<?x?x64x32xf32>) {
  %o, %s = celeris.recurrence %q, %k, %v decay scalar(%g : tensor<?x?x?xf32>)
      update delta(%beta : tensor<?x?x?xbf16>) initial_state(%s0 : tensor<?x?x64x32xf32>)
      : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>, tensor<?x?x?x32xbf16>
      -> tensor<?x?x?x32xbf16>, tensor<?x?x64x32xf32>
  return %o, %s : tensor<?x?x?x32xbf16>, tensor<?x?x64x32xf32>
}

// A gate per key row: 8 exponentials a token for Dk = 32.
// KERNEL-LABEL: gpu.func @gla_f32
// KERNEL: scf.for
// KERNEL-COUNT-8: llvm.nvvm.ex2.approx.ftz.f32
// KERNEL: scf.yield
func.func @gla_f32(%q: tensor<2x4x100x32xf32>, %k: tensor<2x4x100x32xf32>,
                   %v: tensor<2x4x100x16xf32>, %g: tensor<2x4x100x32xf32>)
    -> tensor<2x4x100x16xf32> {
  %o = celeris.recurrence %q, %k, %v decay vector(%g : tensor<2x4x100x32xf32>)
      : tensor<2x4x100x32xf32>, tensor<2x4x100x32xf32>, tensor<2x4x100x16xf32>
      -> tensor<2x4x100x16xf32>
  return %o : tensor<2x4x100x16xf32>
}

// One token whose value dim is not a multiple of 32: ceil(48 / 32) CTAs.
// KERNEL-LABEL: gpu.func @step_dv48
// KERNEL-SAME: grid = ["2", "H", "B"]
func.func @step_dv48(%q: tensor<2x4x1x64xbf16>, %k: tensor<2x4x1x64xbf16>,
                     %v: tensor<2x4x1x48xbf16>) -> tensor<2x4x1x48xbf16> {
  %o = celeris.recurrence %q, %k, %v
      : tensor<2x4x1x64xbf16>, tensor<2x4x1x64xbf16>, tensor<2x4x1x48xbf16>
      -> tensor<2x4x1x48xbf16>
  return %o : tensor<2x4x1x48xbf16>
}

// A recurrence family written by hand is kept: this step runs chunkwise.
func.func @chunk_by_hand(%q: tensor<2x4x1x64xbf16>, %k: tensor<2x4x1x64xbf16>,
                         %v: tensor<2x4x1x64xbf16>) -> tensor<2x4x1x64xbf16> {
  %o = celeris.recurrence %q, %k, %v {celeris.gpu_schedule = #celeris.gpu_schedule<kernel = recurrence_chunk, tensor_cores = mma_sync, warps = 8, kv_tile = 64, stages = 2, min_ctas_per_sm = 1>}
      : tensor<2x4x1x64xbf16>, tensor<2x4x1x64xbf16>, tensor<2x4x1x64xbf16>
      -> tensor<2x4x1x64xbf16>
  return %o : tensor<2x4x1x64xbf16>
}
