// The wgmma kernel, the cost model's choice on sm_90a (the default chip).
// RUN: celeris-opt %s -convert-celeris-to-gpu -split-input-file | FileCheck %s
// RUN: celeris-opt %s -convert-celeris-to-gpu=tensor-cores=wgmma -split-input-file | FileCheck %s
// RUN: celeris-opt %s -convert-celeris-to-gpu=kv-tile=64 -split-input-file | FileCheck %s --check-prefix=KV64
// RUN: celeris-opt %s -convert-celeris-to-gpu=q-tile=64 -split-input-file | FileCheck %s --check-prefix=Q64
// RUN: celeris-opt %s -convert-celeris-to-gpu="kv-tile=64 kv-stages=3" -split-input-file | FileCheck %s --check-prefix=PIPE
// (The mma.sync kernel: attention.mlir; option errors: invalid-tensor-cores.mlir.)

// Head dim 128, bf16, causal, with lse: two warpgroups (128 query rows,
// 256 threads) share 128-key K/V tiles in two stages, one CTA per SM.

// CHECK-LABEL: gpu.func @attn(
// CHECK-SAME:    %[[Q:[^:]+]]: memref<?x?x?x128xbf16>, %[[K:[^:]+]]: memref<?x?x?x128xbf16>, %[[V:[^:]+]]: memref<?x?x?x128xbf16>, %[[OUT:[^:]+]]: memref<?x?x?x128xbf16>, %[[LSE:[^:]+]]: memref<?x?x?xf32>) kernel
// CHECK-SAME:    celeris.launch = {block = array<i32: 256, 1, 1>, grid = ["ceildiv(Sq,128)", "Hq", "B"], shared = "164896", sizes = {B = "q[0]", Hq = "q[1]", Sq = "q[2]"}}
// CHECK-SAME:    nvvm.maxntid = array<i32: 256, 1, 1>, nvvm.minctasm = 1 : i32
// The 128-byte swizzle repeats every 1024 bytes of address: the dynamic
// shared memory is viewed from its base aligned up to 1024.
// CHECK:         %[[DSM:.+]] = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
// CHECK-NEXT:    %[[BASE:.+]] = memref.extract_aligned_pointer_as_index %[[DSM]]
// CHECK:         %[[UP:.+]] = arith.addi %[[BASE]], %{{.+}} : index
// CHECK-NEXT:    %[[ALIGNED:.+]] = arith.andi %[[UP]], %{{.+}} : index
// CHECK-NEXT:    %[[PAD:.+]] = arith.subi %[[ALIGNED]], %[[BASE]] : index
// CHECK-NEXT:    %[[S:.+]] = memref.view %[[DSM]][%[[PAD]]][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<81920xbf16, #gpu.address_space<workgroup>>
// Thread 0 sets up full and empty mbarriers per stage, each expecting all
// 256 threads.
// CHECK:         scf.if
// CHECK:           %[[ALL:.+]] = arith.constant 256 : i32
// CHECK-NEXT:      llvm.inline_asm has_side_effects {{.*}}"mbarrier.init.shared.b64 [$0], $1;"{{.*}}, %[[ALL]] : (i32, i32) -> ()
// CHECK-COUNT-3:   "mbarrier.init.shared.b64 [$0], $1;"
// CHECK:         gpu.barrier
// Prologue: Q, K_0 and V_0 by cp.async into the swizzled view; the copies
// arrive on full[0].
// CHECK:         nvgpu.device_async_copy %[[Q]][%{{.*}}], %[[S]][%{{.*}}], 8, %{{.*}} {bypassL1}
// CHECK:         %[[QGROUP:.+]] = nvgpu.device_async_create_group
// CHECK:         nvgpu.device_async_copy %[[K]]
// CHECK:         nvgpu.device_async_copy %[[V]]
// CHECK:         "cp.async.mbarrier.arrive.noinc.shared.b64 [$0];"
// The loop carries m, l (two rows per lane) and the 64 O accumulators.
// CHECK:         %{{.+}}:68 = scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args({{.*}}) -> (f32, f32, f32, f32, f32,
// Tile j landed (full) and is made visible to the tensor cores' async
// proxy; once the other stage is released (empty), tile j+1 goes there.
// CHECK:           mbarrier.try_wait.parity.shared.b64
// CHECK-NEXT:      nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// CHECK:           mbarrier.try_wait.parity.shared.b64
// CHECK:           nvgpu.device_async_copy %[[K]]
// CHECK:           nvgpu.device_async_copy %[[V]]
// CHECK:           cp.async.mbarrier.arrive.noinc.shared.b64
// S = Q K^T: D/16 = 8 SS wgmma (both operands through descriptors), the
// first one overwriting.
// CHECK:           nvvm.wgmma.fence.aligned
// CHECK-NEXT:      "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{.*}}, 0, 1, 1, 0, 0;"{{.*}} f32, i64, i64) -> !llvm.struct<(f32,
// CHECK-COUNT-7:   "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{.*}}, 1, 1, 1, 0, 0;"{{.*}} f32, i64, i64) -> !llvm.struct<(f32,
// CHECK-NOT:       wgmma.mma_async
// CHECK:           nvvm.wgmma.commit.group.sync.aligned
// CHECK-NEXT:      nvvm.wgmma.wait.group.sync.aligned 0
// Causal: a tile is masked if it crosses Sk or the diagonal.
// CHECK:           %[[TAIL:.+]] = arith.cmpi sgt
// CHECK:           %[[DIAG:.+]] = arith.cmpi sgt
// CHECK-NEXT:      %[[NEED:.+]] = arith.ori %[[TAIL]], %[[DIAG]] : i1
// CHECK-NEXT:      scf.if %[[NEED]] -> (f32, f32,
// CHECK:           gpu.shuffle  xor
// CHECK:           llvm.call_intrinsic "llvm.nvvm.ex2.approx
// P in registers: bf16 pairs, the A fragments of the next wgmma.
// CHECK:           arith.truncf %{{.*}} : vector<2xf32> to vector<2xbf16>
// CHECK-NEXT:      llvm.bitcast %{{.*}} : vector<2xbf16> to i32
// O += P V: kv-tile/16 = 8 RS wgmma, A from registers, V transposed.
// CHECK:           nvvm.wgmma.fence.aligned
// CHECK-COUNT-8:   "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{[{].*[}]}}, {{[{][$][0-9]+, [$][0-9]+, [$][0-9]+, [$][0-9]+[}]}}, ${{[0-9]+}}, 1, 1, 1, 1;"{{.*}} f32, i32, i32, i32, i32, i64) -> !llvm.struct<(f32,
// CHECK-NOT:       wgmma.mma_async
// CHECK:           nvvm.wgmma.commit.group.sync.aligned
// CHECK-NEXT:      nvvm.wgmma.wait.group.sync.aligned 0
// The stage is released.
// CHECK:           mbarrier.arrive.shared.b64
// CHECK:           scf.yield
// CHECK:         nvgpu.device_async_wait %[[QGROUP]] {numGroups = 0 : i32}
// CHECK:         vector.store %{{.*}}, %[[OUT]][%{{.*}}] {alignment = 4 : i64} : memref<?x?x?x128xbf16>, vector<2xbf16>
// CHECK:         memref.store %{{.*}}, %[[LSE]][%{{.*}}] : memref<?x?x?xf32>
// CHECK:         gpu.return

// kv-tile=64: S = Q K^T is m64n64k16, P V has 4 steps.
// KV64-LABEL:   gpu.func @attn(
// KV64-SAME:      celeris.launch = {block = array<i32: 256, 1, 1>, grid = ["ceildiv(Sq,128)", "Hq", "B"], shared = "99360"
// KV64:           scf.for
// KV64:             nvvm.wgmma.fence.aligned
// KV64-COUNT-8:     "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {{.*}}, {{[01]}}, 1, 1, 0, 0;"
// KV64-NOT:         wgmma.mma_async
// KV64:             nvvm.wgmma.commit.group.sync.aligned
// KV64:             nvvm.wgmma.fence.aligned
// KV64-COUNT-4:     "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{.*}}, 1, 1, 1, 1;"
// KV64-NOT:         wgmma.mma_async
// KV64:             nvvm.wgmma.commit.group.sync.aligned

// kv-stages=3: intra-warpgroup pipelining. Six mbarriers (full and empty
// per stage); the scores of tile 0 before the loop; in the loop the scores
// of tile j+1 are issued before the softmax of tile j, and one wait covers
// them and P V_j.
// PIPE-LABEL:   gpu.func @attn(
// PIPE-SAME:      shared = "132144"
// PIPE-COUNT-6:   "mbarrier.init.shared.b64 [$0], $1;"
// PIPE:           "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {{.*}}, 0, 1, 1, 0, 0;"
// PIPE:           nvvm.wgmma.commit.group.sync.aligned
// PIPE-NEXT:      nvvm.wgmma.wait.group.sync.aligned 0
// PIPE:           scf.for
// PIPE:             mbarrier.try_wait.parity.shared.b64
// PIPE:             cp.async.mbarrier.arrive.noinc.shared.b64
// PIPE:             mbarrier.try_wait.parity.shared.b64
// PIPE-NEXT:        nvvm.fence.proxy
// PIPE:             nvvm.wgmma.fence.aligned
// PIPE-COUNT-8:     "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {{.*}}, {{[01]}}, 1, 1, 0, 0;"
// PIPE:             nvvm.wgmma.commit.group.sync.aligned
// PIPE-NOT:         nvvm.wgmma.wait.group
// PIPE:             gpu.shuffle  xor
// PIPE:             llvm.call_intrinsic "llvm.nvvm.ex2.approx
// PIPE:             nvvm.wgmma.fence.aligned
// PIPE-COUNT-4:     "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{.*}}, 1, 1, 1, 1;"
// PIPE:             nvvm.wgmma.commit.group.sync.aligned
// PIPE-NEXT:        nvvm.wgmma.wait.group.sync.aligned 0
// PIPE:             mbarrier.arrive.shared.b64
// PIPE:             scf.yield

// q-tile=64: one warpgroup.
// Q64-LABEL:    gpu.func @attn(
// Q64-SAME:       celeris.launch = {block = array<i32: 128, 1, 1>, grid = ["ceildiv(Sq,64)", "Hq", "B"], shared = "148512"
// Q64-SAME:       nvvm.maxntid = array<i32: 128, 1, 1>, nvvm.minctasm = 1 : i32
// Q64:            %[[ALL:.+]] = arith.constant 128 : i32
// Q64-NEXT:       "mbarrier.init.shared.b64 [$0], $1;"{{.*}}, %[[ALL]] :
// Q64:            scf.for
// Q64-COUNT-8:      "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{.*}}, {{[01]}}, 1, 1, 0, 0;"
// Q64-COUNT-8:      "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{.*}}, 1, 1, 1, 1;"
func.func @attn(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x16x?x128xbf16>, %v: tensor<?x16x?x128xbf16>)
    -> (tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>) {
  %o, %lse = celeris.attention %q, %k, %v mask <causal>
      : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>
      -> tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
  return %o, %lse : tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
}

// -----

// Head dim 64, f16, full mask, no lse, dynamic head counts: one warpgroup
// (64 query rows, 128 threads), so several CTAs share an SM.

// CHECK-LABEL: gpu.func @f16_full(
// CHECK-SAME:    %[[OUT:[^:]+]]: memref<?x?x?x64xf16>) kernel
// CHECK-SAME:    celeris.arg_names = ["q", "k", "v", "out"]
// CHECK-SAME:    celeris.launch = {block = array<i32: 128, 1, 1>, grid = ["ceildiv(Sq,64)", "Hq", "B"], shared = "74784", sizes = {B = "q[0]", Hq = "q[1]", Sq = "q[2]"}}
// CHECK-SAME:    nvvm.maxntid = array<i32: 128, 1, 1>, nvvm.minctasm = 1 : i32
// CHECK:         memref.view {{.*}} to memref<36864xf16, #gpu.address_space<workgroup>>
// CHECK:         %{{.+}}:36 = scf.for
// S: D/16 = 4 steps of m64n128k16.
// CHECK:           nvvm.wgmma.fence.aligned
// CHECK-COUNT-4:   "wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16 {{.*}}, {{[01]}}, 1, 1, 0, 0;"
// CHECK-NOT:       wgmma.mma_async
// CHECK:           nvvm.wgmma.commit.group.sync.aligned
// Full mask: only the tile crossing Sk is masked.
// CHECK:           %[[TAIL:.+]] = arith.cmpi sgt
// CHECK-NEXT:      scf.if %[[TAIL]] -> (f32,
// CHECK-NOT:       arith.ori
// CHECK:           arith.truncf %{{.*}} : vector<2xf32> to vector<2xf16>
// CHECK-NEXT:      llvm.bitcast %{{.*}} : vector<2xf16> to i32
// O: 8 steps of m64n64k16.
// CHECK:           nvvm.wgmma.fence.aligned
// CHECK-COUNT-8:   "wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16 {{.*}}, 1, 1, 1, 1;"
// CHECK-NOT:       wgmma.mma_async
// CHECK:           nvvm.wgmma.commit.group.sync.aligned
// CHECK:         vector.store %{{.*}}, %[[OUT]]{{.*}} : memref<?x?x?x64xf16>, vector<2xf16>
// CHECK-NOT:     memref.store
// CHECK:         gpu.return
func.func @f16_full(%q: tensor<?x?x?x64xf16>, %k: tensor<?x?x?x64xf16>, %v: tensor<?x?x?x64xf16>)
    -> tensor<?x?x?x64xf16> {
  %o = celeris.attention %q, %k, %v
      : tensor<?x?x?x64xf16>, tensor<?x?x?x64xf16>, tensor<?x?x?x64xf16> -> tensor<?x?x?x64xf16>
  return %o : tensor<?x?x?x64xf16>
}
