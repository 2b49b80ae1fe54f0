// RUN: celeris-opt %s -celeris-select-gpu-schedule -convert-celeris-to-gpu -split-input-file | FileCheck %s --check-prefix=WGMMA
// RUN: celeris-opt %s -celeris-select-gpu-schedule=tensor-cores=mma.sync -convert-celeris-to-gpu -split-input-file | FileCheck %s --check-prefix=MMA

// The prefill kernel family: the function's signature with its static
// extents, the launch geometry, and the blocks each tensor-core family
// composes (the blocks' own IR is tested under test/GPU).

// With wgmma, thread 0 copies the Q, K and V tiles by TMA, through tensor
// maps over q, k and v passed after the memrefs (a 64-column block a copy):
// each visit expects its bytes on its stage's full barrier (Q travels with
// the first: 32 KB more).
// WGMMA-LABEL: gpu.func @causal(
// WGMMA-SAME: %{{.*}}: memref<?x4x?x128xbf16>, %{{.*}}: memref<?x4x?x128xbf16>, %{{.*}}: memref<?x4x?x128xbf16>, %{{.*}}: memref<?x4x?x128xbf16>, %{{.*}}: memref<?x4x?xf32>, %[[QMAP:.+]]: !llvm.ptr, %[[KMAP:.+]]: !llvm.ptr, %[[VMAP:.+]]: !llvm.ptr) kernel
// WGMMA-SAME: celeris.arg_names = ["q", "k", "v", "out", "lse"]
// WGMMA-SAME: grid = ["ceildiv(Sq,128)", "Hq", "B"]
// WGMMA-SAME: tensor_maps = [{box = array<i64: 1, 1, 128, 64>, source = "q", swizzle = 128 : i64}, {box = array<i64: 1, 1, 128, 64>, source = "k", swizzle = 128 : i64}, {box = array<i64: 1, 1, 128, 64>, source = "v", swizzle = 128 : i64}]
// WGMMA: nvvm.mbarrier.init
// WGMMA: nvvm.mbarrier.arrive.expect_tx %{{.+}}, %c98304_i32
// WGMMA-COUNT-2: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.+}}, %[[QMAP]]
// WGMMA-COUNT-2: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.+}}, %[[KMAP]]
// WGMMA-COUNT-2: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.+}}, %[[VMAP]]
// WGMMA: scf.for
// WGMMA: nvvm.mbarrier.try_wait.parity
// WGMMA: nvvm.mbarrier.arrive.expect_tx %{{.+}}, %c65536_i32
// WGMMA-NOT: nvvm.cp.async.mbarrier.arrive
// WGMMA: nvvm.wgmma.mma_async
// WGMMA: nvvm.wgmma.wait.group.sync.aligned 0
// The causal mask is applied to partial tiles only.
// WGMMA: scf.if
// WGMMA: arith.select
// WGMMA: llvm.inline_asm has_side_effects asm_dialect = att "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
// WGMMA: nvvm.mbarrier.arrive
// WGMMA: scf.yield
// MMA-LABEL: gpu.func @causal(
// MMA-SAME: grid = ["ceildiv(Sq,64)", "Hq", "B"]
// MMA: nvgpu.ldmatrix
// MMA: scf.for
// MMA: nvvm.cp.async.wait.group 0
// MMA: gpu.barrier
// MMA: nvvm.mma.sync
// MMA-NOT: wgmma
// MMA: scf.yield
func.func @causal(%q: tensor<?x4x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>) -> (tensor<?x4x?x128xbf16>, tensor<?x4x?xf32>) {
  %o, %lse = celeris.attention %q, %k, %v mask <causal> : tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16> -> tensor<?x4x?x128xbf16>, tensor<?x4x?xf32>
  return %o, %lse : tensor<?x4x?x128xbf16>, tensor<?x4x?xf32>
}

// -----

// ALiBi slopes and kv_lengths are kernel arguments; softcap goes through
// tanh.approx.
// Key lengths limit the keys inside the tensor, where TMA would not
// zero-fill: cp.async copies them, and there are no tensor maps.
// WGMMA-LABEL: gpu.func @alibi_lengths_softcap(
// WGMMA-SAME: memref<4xf32>, %{{.*}}: memref<?xi32>
// WGMMA-NOT: !llvm.ptr
// WGMMA-SAME: celeris.arg_names = ["q", "k", "v", "alibi_slopes", "kv_lengths", "out"]
// WGMMA-NOT: tensor_maps
// WGMMA: memref.load %{{.*}}[%{{.*}}] : memref<?xi32>
// WGMMA: memref.load %{{.*}}[%{{.*}}] : memref<4xf32>
// WGMMA: tanh.approx.f32
// MMA-LABEL: gpu.func @alibi_lengths_softcap(
// MMA: tanh.approx.f32
func.func @alibi_lengths_softcap(%q: tensor<?x4x?x64xf16>, %k: tensor<?x4x?x64xf16>, %v: tensor<?x4x?x64xf16>, %slopes: tensor<4xf32>, %lens: tensor<?xi32>) -> tensor<?x4x?x64xf16> {
  %o = celeris.attention %q, %k, %v alibi(%slopes : tensor<4xf32>) kv_lengths(%lens : tensor<?xi32>) mask <causal> softcap 30.0 : tensor<?x4x?x64xf16>, tensor<?x4x?x64xf16>, tensor<?x4x?x64xf16> -> tensor<?x4x?x64xf16>
  return %o : tensor<?x4x?x64xf16>
}

// -----

// Masks whose key ranges may still hold empty tiles (here strided) skip
// them at run time: a second scf.if around the tile's work.
// WGMMA-LABEL: gpu.func @strided(
// WGMMA: scf.for
// WGMMA: scf.if
// WGMMA: nvvm.wgmma.mma_async
// WGMMA: } else {
// WGMMA: nvvm.mbarrier.arrive
func.func @strided(%q: tensor<?x4x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>) -> tensor<?x4x?x128xbf16> {
  %o = celeris.attention %q, %k, %v mask <intersect(causal, strided<4>)> : tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16> -> tensor<?x4x?x128xbf16>
  return %o : tensor<?x4x?x128xbf16>
}
