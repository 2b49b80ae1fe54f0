// RUN: celeris-opt %s -celeris-select-gpu-schedule | FileCheck %s --check-prefix=SCHEDULE
// RUN: celeris-opt %s -celeris-gpu -canonicalize -cse | FileCheck %s --check-prefix=KERNEL

// One token of celeris.recurrence (a decode step) runs on recurrence_step:
// a lane per state column, 4 warps over the key rows, the f32 state read
// and written once.

// SCHEDULE-LABEL: func.func @gated_deltanet_step
// SCHEDULE: #celeris.gpu_schedule<kernel = recurrence_step, tensor_cores = mma_sync, warps = 4, kv_tile = 32, stages = 1, min_ctas_per_sm = 0>

// KERNEL-LABEL: gpu.func @gated_deltanet_step
// KERNEL-SAME: workgroup(%{{.+}} : memref<256xf32, #gpu.address_space<workgroup>>)
// KERNEL-SAME: celeris.arg_names = ["q", "k", "v", "decay", "beta", "initial_state", "out", "final_state"]
// KERNEL-SAME: block = array<i32: 128, 1, 1>, grid = ["2", "H", "B"]
// KERNEL-SAME: shared = "0"
// One gate for the token; the warp's 32 rows of k, then of q, in 16-byte
// vectors of 8 bf16 (the same for every lane); then a thread's 32 key rows
// of its column.
// KERNEL-COUNT-1: llvm.nvvm.ex2.approx.ftz.f32
// KERNEL-COUNT-4: vector.load %arg1{{.+}} : memref<?x?x1x128xbf16>, vector<8xbf16>
// KERNEL-COUNT-4: vector.load %arg0{{.+}} : memref<?x?x1x128xbf16>, vector<8xbf16>
// KERNEL-NOT: vector.load
// KERNEL-COUNT-32: memref.load %{{.+}} : memref<?x?x128x64xf32>
// The delta rule's S^T k, then S^T q: each over the warps through shared
// memory.
// KERNEL: gpu.barrier
// KERNEL: gpu.barrier
// KERNEL: memref.store %{{.+}} : memref<?x?x1x64xbf16>
// KERNEL-COUNT-32: memref.store %{{.+}} : memref<?x?x128x64xf32>
// KERNEL: gpu.return
func.func @gated_deltanet_step(%q: tensor<?x?x1x128xbf16>, %k: tensor<?x?x1x128xbf16>,
                               %v: tensor<?x?x1x64xbf16>, %g: tensor<?x?x1xf32>,
                               %beta: tensor<?x?x1xbf16>, %s0: tensor<?x?x128x64xf32>)
    -> (tensor<?x?x1x64xbf16>, tensor<?x?x128x64xf32>) {
  %o, %s = celeris.recurrence %q, %k, %v decay scalar(%g : tensor<?x?x1xf32>)
      update delta(%beta : tensor<?x?x1xbf16>) initial_state(%s0 : tensor<?x?x128x64xf32>)
      : tensor<?x?x1x128xbf16>, tensor<?x?x1x128xbf16>, tensor<?x?x1x64xbf16>
      -> tensor<?x?x1x64xbf16>, tensor<?x?x128x64xf32>
  return %o, %s : tensor<?x?x1x64xbf16>, tensor<?x?x128x64xf32>
}

// A per-key-channel gate: one exponential a key row. f32 keys and queries
// load 4 a vector.
// KERNEL-LABEL: gpu.func @gla_step
// KERNEL-COUNT-8: vector.load %{{.+}} : memref<?x?x1x64xf32>, vector<4xf32>
// KERNEL-COUNT-16: llvm.nvvm.ex2.approx.ftz.f32
// KERNEL-NOT: gpu.barrier
// KERNEL: gpu.barrier
// KERNEL-NOT: gpu.barrier
// KERNEL: gpu.return
func.func @gla_step(%q: tensor<?x?x1x64xf32>, %k: tensor<?x?x1x64xf32>,
                    %v: tensor<?x?x1x32xf32>, %g: tensor<?x?x1x64xf32>,
                    %s0: tensor<?x?x64x32xf32>) -> (tensor<?x?x1x32xf32>, tensor<?x?x64x32xf32>) {
  %o, %s = celeris.recurrence %q, %k, %v decay vector(%g : tensor<?x?x1x64xf32>)
      initial_state(%s0 : tensor<?x?x64x32xf32>)
      : tensor<?x?x1x64xf32>, tensor<?x?x1x64xf32>, tensor<?x?x1x32xf32>
      -> tensor<?x?x1x32xf32>, tensor<?x?x64x32xf32>
  return %o, %s : tensor<?x?x1x32xf32>, tensor<?x?x64x32xf32>
}
