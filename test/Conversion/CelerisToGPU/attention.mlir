// The mma.sync kernel, asked for on sm_90a or chosen on sm_80 (the wgmma
// kernel: wgmma.mlir).
// RUN: celeris-opt %s -convert-celeris-to-gpu=tensor-cores=mma.sync -split-input-file | FileCheck %s
// RUN: celeris-opt %s -convert-celeris-to-gpu=chip=sm_80 -split-input-file | FileCheck %s

// Head dim 128, bf16, causal, with lse; the cost model's schedule for D = 128
// (64-row query tile, 4 warps, one K/V stage). The host function becomes a
// kernel of the same name; the device helpers come first.

// CHECK-LABEL: module attributes {gpu.container_module}
// CHECK-NOT:   func.func @attn
// CHECK:       gpu.module @kernels
// CHECK:       func.func private @celeris_log2(%{{.*}}: f32) -> f32 attributes {llvm.linkage = #llvm.linkage<internal>}
// CHECK-NEXT:    llvm.call_intrinsic "llvm.nvvm.lg2.approx.f"
// CHECK:       func.func private @celeris_fma(
// CHECK-NEXT:    llvm.call_intrinsic "llvm.fma.f32"
// CHECK:       func.func private @celeris_exp2(
// CHECK-NEXT:    llvm.call_intrinsic "llvm.nvvm.ex2.approx.f32"
// CHECK:       func.func private @celeris_mma_bf16(%{{.*}}: vector<4x2xbf16>, %{{.*}}: vector<2xbf16>, %{{.*}}: vector<2xbf16>, %{{.*}}: vector<4xf32>) -> vector<4xf32>
// CHECK:         call @celeris_mma_bf16_regs(
// CHECK:       func.func private @celeris_mma_bf16_regs(
// CHECK:         llvm.bitcast %{{.*}} : vector<2xbf16> to i32
// CHECK:         nvvm.mma.sync A[{{.*}}] B[{{.*}}] C[{{.*}}] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>

// CHECK-LABEL: gpu.func @attn(
// CHECK-SAME:    %[[Q:[^:]+]]: memref<?x?x?x128xbf16>, %[[K:[^:]+]]: memref<?x?x?x128xbf16>, %[[V:[^:]+]]: memref<?x?x?x128xbf16>, %[[OUT:[^:]+]]: memref<?x?x?x128xbf16>, %[[LSE:[^:]+]]: memref<?x?x?xf32>) kernel
// CHECK-SAME:    celeris.arg_names = ["q", "k", "v", "out", "lse"]
// CHECK-SAME:    celeris.launch = {block = array<i32: 128, 1, 1>, grid = ["ceildiv(Sq,64)", "Hq", "B"], shared = "34816", sizes = {B = "q[0]", Hq = "q[1]", Sq = "q[2]"}}}
// The softmax scale 1/sqrt(128) times log2(e).
// CHECK:         %[[SCALE:.+]] = arith.constant 0.127517432 : f32
// CHECK:         %[[DSM:.+]] = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
// CHECK:         %[[S:.+]] = memref.view %[[DSM]][%{{.*}}][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<128x136xbf16, #gpu.address_space<workgroup>>
// CHECK:         %[[H:.+]] = gpu.block_id  y
// GQA: key/value head h * Hkv / Hq from the argument shapes.
// CHECK:         %[[HQ:.+]] = memref.dim %[[Q]], %c1
// CHECK:         %[[HKV:.+]] = memref.dim %[[K]], %c1
// CHECK:         %[[HHKV:.+]] = arith.muli %[[H]], %[[HKV]] : index
// CHECK:         %[[HK:.+]] = arith.divui %[[HHKV]], %[[HQ]] : index
// Prologue: Q and K_0 by cp.async with zero-filled tails, Q fragments.
// CHECK-COUNT-8: nvgpu.device_async_copy %[[Q]][%{{.*}}, %[[H]], %{{.*}}, %{{.*}}], %[[S]][%{{.*}}, %{{.*}}], 8, %{{.*}} {bypassL1}
// CHECK:         %[[QGROUP:.+]] = nvgpu.device_async_create_group
// CHECK:         nvgpu.device_async_copy %[[K]][%{{.*}}, %[[HK]], %{{.*}}, %{{.*}}]
// CHECK:         nvgpu.device_async_wait %[[QGROUP]] {numGroups = 0 : i32}
// CHECK-NEXT:    gpu.barrier
// CHECK-COUNT-8: nvgpu.ldmatrix %[[S]][%{{.*}}, %{{.*}}] {numTiles = 4 : i32, transpose = false} : memref<128x136xbf16, #gpu.address_space<workgroup>> -> vector<4x2xbf16>
// The key/value loop carries m, l (two rows per lane) and 16 O blocks.
// CHECK:         %[[RES:.+]]:20 = scf.for %[[J:[a-z0-9_]+]] = %c0 to %{{.*}} step %c1 iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, {{.*}}) -> (f32, f32, f32, f32, vector<4xf32>
// CHECK:           nvgpu.device_async_copy %[[V]]
// CHECK:           nvgpu.ldmatrix %[[S]]{{.*}}transpose = false
// CHECK:           func.call @celeris_mma_bf16(
// Causal: a tile is masked if it crosses Sk or the diagonal.
// CHECK:           %[[TAIL:.+]] = arith.cmpi sgt
// CHECK:           %[[DIAG:.+]] = arith.cmpi sgt
// CHECK-NEXT:      %[[NEED:.+]] = arith.ori %[[TAIL]], %[[DIAG]] : i1
// CHECK-NEXT:      scf.if %[[NEED]] -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>)
// CHECK:             arith.cmpi slt, %{{.*}}, %{{.*}} : vector<4xi32>
// CHECK:           gpu.shuffle  xor %{{.*}}, %c1_i32, %c32_i32 : f32
// CHECK:           gpu.shuffle  xor %{{.*}}, %c2_i32, %c32_i32 : f32
// CHECK:           arith.mulf %{{.*}}, %[[SCALE]] : f32
// CHECK:           func.call @celeris_exp2(
// CHECK:           func.call @celeris_fma(
// CHECK:           arith.truncf %{{.*}} : vector<4xf32> to vector<4xbf16>
// One stage: K_{j+1} only if there is a next tile.
// CHECK:           scf.if
// CHECK:             nvgpu.device_async_copy %[[K]]
// CHECK:           nvgpu.ldmatrix %[[S]]{{.*}}transpose = true
// CHECK:           func.call @celeris_mma_bf16_regs(
// CHECK:           scf.yield
// CHECK:         nvgpu.device_async_wait %[[QGROUP]] {numGroups = 0 : i32}
// CHECK:         func.call @celeris_log2(
// CHECK:         scf.if
// CHECK:           vector.store %{{.*}}, %[[OUT]][%{{.*}}] {alignment = 4 : i64} : memref<?x?x?x128xbf16>, vector<2xbf16>
// CHECK:           scf.if
// CHECK-NEXT:        memref.store %{{.*}}, %[[LSE]][%{{.*}}] : memref<?x?x?xf32>
// CHECK:         gpu.return
func.func @attn(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x16x?x128xbf16>, %v: tensor<?x16x?x128xbf16>)
    -> (tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>) {
  %o, %lse = celeris.attention %q, %k, %v mask <causal>
      : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>
      -> tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
  return %o, %lse : tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
}

// -----

// Head dim 64, f16, full mask, no lse, dynamic head counts; the cost model's
// schedule for D = 64 (128-row tile, 8 warps, two stages, 2 CTAs per SM).

// CHECK:       func.func private @celeris_mma_f16_regs(
// CHECK-NOT:     llvm.bitcast
// CHECK:         nvvm.mma.sync {{.*}} : (vector<2xf16>, vector<2xf16>, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// CHECK-LABEL: gpu.func @f16_full(
// CHECK-SAME:    %[[OUT:[^:]+]]: memref<?x?x?x64xf16>) kernel
// CHECK-SAME:    celeris.arg_names = ["q", "k", "v", "out"]
// CHECK-SAME:    celeris.launch = {block = array<i32: 256, 1, 1>, grid = ["ceildiv(Sq,128)", "Hq", "B"], shared = "36864", sizes = {B = "q[0]", Hq = "q[1]", Sq = "q[2]"}}
// CHECK-SAME:    nvvm.maxntid = array<i32: 256, 1, 1>, nvvm.minctasm = 2 : i32
// CHECK:         memref.view {{.*}} to memref<256x72xf16, #gpu.address_space<workgroup>>
// Two stages: Q, K_0, V_0 in flight; wait for Q, then K_1 after the Q fragments.
// CHECK:         nvgpu.device_async_wait %{{.*}} {numGroups = 2 : i32}
// CHECK-COUNT-4: nvgpu.ldmatrix {{.*}} -> vector<4x2xf16>
// CHECK-NEXT:    gpu.barrier
// CHECK:         scf.for %[[J:[a-z0-9_]+]] = {{.*}} -> (f32, f32, f32, f32, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>) {
// CHECK:           arith.remui %[[J]], %c2 : index
// CHECK:           nvgpu.device_async_wait %{{.*}} {numGroups = 2 : i32}
// Full mask: only the tile crossing Sk is masked.
// CHECK:           %[[TAIL:.+]] = arith.cmpi sgt
// CHECK-NEXT:      scf.if %[[TAIL]] -> (vector<4xf32>
// CHECK-NOT:       arith.ori
// CHECK:           arith.truncf %{{.*}} : vector<4xf32> to vector<4xf16>
// CHECK:           nvgpu.device_async_wait %{{.*}} {numGroups = 2 : i32}
// CHECK:           nvgpu.ldmatrix {{.*}}transpose = true{{.*}} -> vector<4x2xf16>
// CHECK:           func.call @celeris_mma_f16_regs(
// CHECK:         vector.store %{{.*}}, %[[OUT]]{{.*}} : memref<?x?x?x64xf16>, vector<2xf16>
// CHECK-NOT:     memref.store
// CHECK:         gpu.return
func.func @f16_full(%q: tensor<?x?x?x64xf16>, %k: tensor<?x?x?x64xf16>, %v: tensor<?x?x?x64xf16>)
    -> tensor<?x?x?x64xf16> {
  %o = celeris.attention %q, %k, %v
      : tensor<?x?x?x64xf16>, tensor<?x?x?x64xf16>, tensor<?x?x?x64xf16> -> tensor<?x?x?x64xf16>
  return %o : tensor<?x?x?x64xf16>
}

// -----

// Static GQA (32 query heads over 8 KV heads) and an explicit scale; a
// function without Celeris ops stays; the kernels share one set of helpers.
// Masks are simplified over the static extent first: a window covering the
// whole sequence is `all`, its causal half is `causal`, and the default
// query offset spelt out is accepted.

// CHECK-LABEL: module attributes {gpu.container_module}
// CHECK:       func.func @host_side(
// CHECK:       gpu.module @kernels
// CHECK:       func.func private @celeris_mma_bf16(
// CHECK-NOT:   func.func private @celeris_mma_bf16(
// CHECK-LABEL: gpu.func @gqa(
// CHECK-SAME:    memref<?x?x?x128xbf16>
// CHECK:         arith.constant 0.144269511 : f32
// CHECK:         arith.ori
// CHECK-LABEL: gpu.func @window_is_all(
// CHECK-NOT:     arith.ori
// CHECK:         gpu.return
// CHECK-LABEL: gpu.func @window_is_causal(
// CHECK:         arith.ori
// CHECK-LABEL: gpu.func @default_offset(
// CHECK:         arith.ori
// CHECK-NOT:   celeris.attention
func.func @host_side(%x: f32) -> f32 {
  return %x : f32
}

func.func @gqa(%q: tensor<2x32x1024x128xbf16>, %k: tensor<2x8x1024x128xbf16>, %v: tensor<2x8x1024x128xbf16>)
    -> tensor<2x32x1024x128xbf16> {
  %o = celeris.attention %q, %k, %v mask <causal> scale 0.1
      : tensor<2x32x1024x128xbf16>, tensor<2x8x1024x128xbf16>, tensor<2x8x1024x128xbf16>
      -> tensor<2x32x1024x128xbf16>
  return %o : tensor<2x32x1024x128xbf16>
}

func.func @window_is_all(%q: tensor<1x4x512x64xbf16>, %k: tensor<1x4x512x64xbf16>, %v: tensor<1x4x512x64xbf16>)
    -> tensor<1x4x512x64xbf16> {
  %o = celeris.attention %q, %k, %v mask <window<left = 4096, right = 4096>>
      : tensor<1x4x512x64xbf16>, tensor<1x4x512x64xbf16>, tensor<1x4x512x64xbf16> -> tensor<1x4x512x64xbf16>
  return %o : tensor<1x4x512x64xbf16>
}

func.func @window_is_causal(%q: tensor<1x4x512x64xbf16>, %k: tensor<1x4x512x64xbf16>, %v: tensor<1x4x512x64xbf16>)
    -> tensor<1x4x512x64xbf16> {
  %o = celeris.attention %q, %k, %v mask <intersect(causal, window<left = 4096, right = 0>)>
      : tensor<1x4x512x64xbf16>, tensor<1x4x512x64xbf16>, tensor<1x4x512x64xbf16> -> tensor<1x4x512x64xbf16>
  return %o : tensor<1x4x512x64xbf16>
}

func.func @default_offset(%q: tensor<1x4x128x64xbf16>, %k: tensor<1x4x512x64xbf16>, %v: tensor<1x4x512x64xbf16>)
    -> tensor<1x4x128x64xbf16> {
  %o = celeris.attention %q, %k, %v mask <causal> query_offset 384
      : tensor<1x4x128x64xbf16>, tensor<1x4x512x64xbf16>, tensor<1x4x512x64xbf16> -> tensor<1x4x128x64xbf16>
  return %o : tensor<1x4x128x64xbf16>
}
