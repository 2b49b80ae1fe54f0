// RUN: celeris-opt %s -celeris-gpu -canonicalize -cse | FileCheck %s
// RUN: celeris-opt %s -celeris-decompose-composites=keep=celeris.selective_scan | FileCheck %s --check-prefix=KEEP

// celeris.scan becomes scan_blocked: a lane per channel, 32 channels a CTA,
// 8 warps over runs of 8 tokens of each 64-token block, their aggregates
// folded through double-buffered shared memory (one barrier a block).

// CHECK-LABEL: gpu.func @rg_lru
// CHECK-SAME: celeris.arg_names = ["a", "b", "initial", "h"]
// CHECK-SAME: celeris.gpu_schedule = #celeris.gpu_schedule<kernel = scan_blocked, tensor_cores = mma_sync, warps = 8, kv_tile = 8, stages = 2, min_ctas_per_sm = 0>
// CHECK-SAME: block = array<i32: 256, 1, 1>, grid = ["ceildiv(4*256,32)", "1", "1"]
// CHECK-SAME: results = {h = ["b[0]", "b[1]", "b[2]"]}, shared = "5120", sizes = {D1 = "b[1]"}
// The carry from the initial state, then a loop over the blocks.
// CHECK: memref.load %{{.+}} : memref<4x256xf32>
// CHECK: scf.for
// a = sigmoid(x), applied as x is loaded.
// CHECK: memref.load %{{.+}} : memref<4x?x256xf32>
// CHECK: arith.negf
// CHECK-NOT: math.
// CHECK: llvm.nvvm.floor.f
// CHECK: arith.divf
// CHECK: gpu.barrier
// CHECK-NOT: gpu.barrier
// CHECK: memref.store %{{.+}} : memref<4x?x256xf32>
// CHECK: gpu.return
func.func @rg_lru(%x: tensor<4x?x256xf32>, %b: tensor<4x?x256xf32>, %h0: tensor<4x256xf32>)
    -> tensor<4x?x256xf32> {
  %c1 = arith.constant 1 : index
  %n = tensor.dim %x, %c1 : tensor<4x?x256xf32>
  %nx = arith.negf %x : tensor<4x?x256xf32>
  %ex = math.exp %nx : tensor<4x?x256xf32>
  %f1 = arith.constant 1.0 : f32
  %one = tensor.splat %f1[%n] : tensor<4x?x256xf32>
  %den = arith.addf %one, %ex : tensor<4x?x256xf32>
  %a = arith.divf %one, %den : tensor<4x?x256xf32>
  %h = celeris.scan %a, %b initial(%h0 : tensor<4x256xf32>) axis 1
      : tensor<4x?x256xf32>, tensor<4x?x256xf32> -> tensor<4x?x256xf32>
  return %h : tensor<4x?x256xf32>
}

// celeris.selective_scan is kept by the GPU pipeline and becomes its own
// kernel, the discretisation fused: 16 states a lane, 16 KB of carries a
// state... 64 KB + 1 KB of alignment.
// KEEP-LABEL: func.func @mamba1
// KEEP: celeris.selective_scan
// CHECK-LABEL: gpu.func @mamba1
// CHECK-SAME: celeris.arg_names = ["u", "delta", "A", "B", "C", "D", "z", "delta_bias", "y", "last_state"]
// CHECK-SAME: kernel = selective_scan
// CHECK-SAME: grid = ["ceildiv(D0*D1,32)", "1", "1"]
// CHECK-SAME: results = {last_state = ["u[0]", "u[1]", "A[1]"], y = ["u[0]", "u[1]", "u[2]"]}, shared = "66560"
// CHECK: scf.for
// Step 1 over the run's tokens: exp(dt A) of each state.
// CHECK: scf.for
// CHECK-COUNT-16: llvm.nvvm.ex2.approx.ftz.f32
// CHECK: scf.yield
// Step 2: the runs' aggregates of 16 states folded over the 8 warps.
// CHECK: gpu.barrier
// CHECK: scf.for %{{.+}} = %c0 to %c8
// Step 3: the outputs.
// CHECK: scf.for
// CHECK: memref.store %{{.+}} : memref<?x?x?xbf16>
// The last state of each channel.
// CHECK-COUNT-16: memref.store %{{.+}} : memref<?x?x16xf32>
func.func @mamba1(%u: tensor<?x?x?xbf16>, %dt: tensor<?x?x?xbf16>,
                  %A: tensor<?x16xf32>, %B: tensor<?x16x?xbf16>,
                  %C: tensor<?x16x?xbf16>, %D: tensor<?xf32>,
                  %z: tensor<?x?x?xbf16>, %dt_bias: tensor<?xf32>)
    -> (tensor<?x?x?xbf16>, tensor<?x?x16xf32>) {
  %y, %last = celeris.selective_scan %u, %dt, %A, %B, %C D(%D : tensor<?xf32>)
      z(%z : tensor<?x?x?xbf16>) delta_bias(%dt_bias : tensor<?xf32>) delta_softplus
      : tensor<?x?x?xbf16>, tensor<?x?x?xbf16>, tensor<?x16xf32>,
        tensor<?x16x?xbf16>, tensor<?x16x?xbf16> -> tensor<?x?x?xbf16>, tensor<?x?x16xf32>
  return %y, %last : tensor<?x?x?xbf16>, tensor<?x?x16xf32>
}

// Math in an operand's prologue becomes arith and NVVM intrinsics, never a
// libdevice call: |x| as maximum(x, -x), trunc as its NVVM instruction.
// CHECK-LABEL: gpu.func @abs_trunc
// CHECK-NOT: math.
// CHECK: arith.maximumf
// CHECK: llvm.nvvm.trunc.f
// CHECK-NOT: math.
// CHECK: gpu.return
func.func @abs_trunc(%x: tensor<2x64xf32>, %b: tensor<2x64xf32>) -> tensor<2x64xf32> {
  %abs = math.absf %x : tensor<2x64xf32>
  %a = math.trunc %abs : tensor<2x64xf32>
  %h = celeris.scan %a, %b axis 1 : tensor<2x64xf32>, tensor<2x64xf32> -> tensor<2x64xf32>
  return %h : tensor<2x64xf32>
}
