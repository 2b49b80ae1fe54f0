// RUN: celeris-opt %s -celeris-select-gpu-schedule | FileCheck %s --check-prefix=SCHEDULE
// RUN: celeris-opt %s -celeris-gpu -canonicalize -cse | FileCheck %s --check-prefix=KERNEL

// celeris.recurrence runs on the recurrence_chunk family: one CTA of 8
// warps per (head, sequence) walks the chunks of 64 tokens with the f32
// state in registers.

// SCHEDULE-LABEL: func.func @mamba2
// SCHEDULE: #celeris.gpu_schedule<kernel = recurrence_chunk, tensor_cores = mma_sync, warps = 8, kv_tile = 64, stages = 2, min_ctas_per_sm = 1>

// KERNEL-LABEL: gpu.func @mamba2
// KERNEL-SAME: %{{.+}}: memref<?x?x?x128xbf16>, %{{.+}}: memref<?x?x?x128xbf16>, %{{.+}}: memref<?x?x?x64xbf16>, %{{.+}}: memref<?x?x?xf32>, %{{.+}}: memref<?x?x128x64xf32>, %{{.+}}: memref<?x?x?x64xbf16>, %{{.+}}: memref<?x?x128x64xf32>
// KERNEL-SAME: celeris.arg_names = ["q", "k", "v", "decay", "initial_state", "out", "final_state"]
// KERNEL-SAME: block = array<i32: 256, 1, 1>, grid = ["H", "B", "1"]
// KERNEL-SAME: results = {final_state = ["q[0]", "q[1]", "k[3]", "v[3]"], out = ["q[0]", "q[1]", "q[2]", "v[3]"]}
// KERNEL-SAME: sizes = {B = "q[0]", H = "q[1]"}
// KERNEL-SAME: nvvm.maxntid = array<i32: 256, 1, 1>, nvvm.minctasm = 1
// The explicit scale and the gates in log2 units.
// KERNEL-DAG: arith.constant 5.000000e-01 : f32
// KERNEL-DAG: arith.constant 1.44269502 : f32
// The initial state goes to registers (a warp: 16 key rows x 64 value
// columns, 32 values a thread) and, rounded, to the shared state tile.
// KERNEL-COUNT-16: vector.load %{{.+}} : memref<?x?x128x64xf32>, vector<2xf32>
// Warp 0 scans the first chunk's gates over its lanes.
// KERNEL-COUNT-5: gpu.shuffle  up
// The chunk loop carries the state.
// KERNEL: scf.for %{{.+}} = %c0 to %{{.+}} step %c1 iter_args(
// KERNEL-SAME: -> ({{(f32, ){31}f32}})
// KERNEL: nvvm.cp.async.wait.group 0
// KERNEL: gpu.barrier
// Q K^T over the warp's half of the keys (8 k-steps x 4 column blocks), P
// to shared memory and the warp pair's named barrier; then Q S' (8 x 4: half
// of the 64 value columns), P V (4 x 4), and after the CTA barrier the
// state update (4 x 8) with the weighted keys transposed as A.
// KERNEL-COUNT-32: nvvm.mma.sync
// KERNEL: vector.store %{{.+}}, %{{.+}}[%{{.+}}] : memref<{{[0-9]+}}xbf16, #gpu.address_space<workgroup>>, vector<2xbf16>
// KERNEL: nvvm.barrier id = %{{.+}} number_of_threads = %{{.+}}
// KERNEL-COUNT-32: nvvm.mma.sync
// KERNEL-COUNT-16: nvvm.mma.sync
// KERNEL: vector.store %{{.+}}, %{{.+}}[%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}] {alignment = 4 : i64} : memref<?x?x?x64xbf16>, vector<2xbf16>
// KERNEL: gpu.barrier
// KERNEL: nvgpu.ldmatrix %{{.+}} {numTiles = 4 : i32, transpose = true}
// KERNEL-COUNT-32: nvvm.mma.sync
// KERNEL-NOT: nvvm.mma.sync
// KERNEL: scf.yield
// After the loop: the final state from registers.
// KERNEL: nvvm.cp.async.wait.group 0
// KERNEL-COUNT-16: vector.store %{{.+}} : memref<?x?x128x64xf32>, vector<2xf32>
// KERNEL: gpu.return
func.func @mamba2(%c: tensor<?x?x?x128xbf16>, %b: tensor<?x?x?x128xbf16>,
                  %x: tensor<?x?x?x64xbf16>, %dt_a: tensor<?x?x?xf32>,
                  %h0: tensor<?x?x128x64xf32>)
    -> (tensor<?x?x?x64xbf16>, tensor<?x?x128x64xf32>) {
  %y, %h = celeris.recurrence %c, %b, %x decay scalar(%dt_a : tensor<?x?x?xf32>)
      initial_state(%h0 : tensor<?x?x128x64xf32>) scale 0.5
      : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>, tensor<?x?x?x64xbf16>
      -> tensor<?x?x?x64xbf16>, tensor<?x?x128x64xf32>
  return %y, %h : tensor<?x?x?x64xbf16>, tensor<?x?x128x64xf32>
}

// Without a decay there are no gates: no scan, no weighted keys, and the
// state update reads the K tile itself.
// SCHEDULE-LABEL: func.func @linear_attention
// KERNEL-LABEL: gpu.func @linear_attention
// KERNEL-SAME: celeris.arg_names = ["q", "k", "v", "out"]
// KERNEL-NOT: gpu.shuffle
// KERNEL-NOT: llvm.nvvm.ex2
// KERNEL: gpu.return
func.func @linear_attention(%q: tensor<2x4x?x64xf16>, %k: tensor<2x4x?x64xf16>,
                            %v: tensor<2x4x?x64xf16>) -> tensor<2x4x?x64xf16> {
  %o = celeris.recurrence %q, %k, %v
      : tensor<2x4x?x64xf16>, tensor<2x4x?x64xf16>, tensor<2x4x?x64xf16> -> tensor<2x4x?x64xf16>
  return %o : tensor<2x4x?x64xf16>
}

// The delta rule chunkwise: per chunk the system I + diag(beta) A (the keys'
// products below the diagonal, f32 in shared memory), Y = V - diag(2^b) K S'
// in place of V, the forward substitution T = (I + ...)^-1 diag(beta) (a
// column a lane quad: steps 0 to 62, each a shuffle from the lane holding
// the step's row), U = T Y in place of Y, then the additive chunk with U for
// V.
// SCHEDULE-LABEL: func.func @gated_deltanet
// SCHEDULE: kernel = recurrence_chunk
// KERNEL-LABEL: gpu.func @gated_deltanet
// KERNEL-SAME: celeris.arg_names = ["q", "k", "v", "decay", "beta", "out"]
// KERNEL: scf.for
// KERNEL: memref.load %{{.+}} : memref<?x?x?xbf16>
// KERNEL: memref.store %{{.+}} : memref<4352xf32, #gpu.address_space<workgroup>>
// KERNEL: gpu.barrier
// KERNEL-COUNT-63: gpu.shuffle  idx
// KERNEL: gpu.barrier
// KERNEL: gpu.barrier
// KERNEL: gpu.barrier
func.func @gated_deltanet(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                          %v: tensor<?x?x?x64xbf16>, %g: tensor<?x?x?xf32>,
                          %beta: tensor<?x?x?xbf16>) -> tensor<?x?x?x64xbf16> {
  %o = celeris.recurrence %q, %k, %v decay scalar(%g : tensor<?x?x?xf32>)
      update delta(%beta : tensor<?x?x?xbf16>)
      : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
      -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}
