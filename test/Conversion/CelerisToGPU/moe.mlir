// RUN: celeris-opt %s -celeris-gpu -canonicalize -cse | FileCheck %s

// The mixture-of-experts kernels: what each launch asks of the runtime and
// the blocks each kernel is made of (whole kernels are checked by ptxas and
// on the device).

// Routing: a warp per token, 8 a CTA; sigmoid by ex2; reductions and the
// k arg-maxes by warp butterflies.
// CHECK-LABEL: gpu.func @route
// CHECK-SAME: celeris.arg_names = ["logits", "bias", "weights", "experts"]
// CHECK-SAME: kernel = moe_route, tensor_cores = mma_sync, warps = 8, kv_tile = 32, stages = 1, min_ctas_per_sm = 0
// CHECK-SAME: block = array<i32: 256, 1, 1>, grid = ["ceildiv(T,8)", "1", "1"], results = {experts = ["logits[0]", "4"], weights = ["logits[0]", "4"]}, shared = "0", sizes = {T = "logits[0]"}
// CHECK: llvm.nvvm.ex2.approx.ftz.f32
// CHECK: gpu.shuffle  xor
func.func @route(%logits: tensor<?x64xf32>, %bias: tensor<64xf32>)
    -> (tensor<?x4xf32>, tensor<?x4xi32>) {
  %w, %e = celeris.route %logits bias(%bias : tensor<64xf32>) k 4
      score_func sigmoid renormalize num_groups 8 topk_groups 2 scaling_factor 2.5
      : tensor<?x64xf32> -> tensor<?x4xf32>, tensor<?x4xi32>
  return %w, %e : tensor<?x4xf32>, tensor<?x4xi32>
}

// Expert choice with softmax scores: the token statistics, then a CTA of
// 512 threads per expert (radix select, compaction, bitonic sort) as the
// launch's step.
// CHECK-LABEL: gpu.func @expert_choice_select(
// CHECK-SAME: block = array<i32: 512, 1, 1>, grid = ["16", "1", "1"], shared = "1608"
// CHECK: memref.atomic_rmw addi
// CHECK: nvvm.vote.sync ballot
// CHECK-LABEL: gpu.func @expert_choice(
// CHECK-SAME: celeris.arg_names = ["logits", "weights", "indices", "workspace"]
// CHECK-SAME: grid = ["ceildiv(T,16)", "1", "1"], results = {indices = ["16", "40"], weights = ["16", "40"]}, shared = "0", sizes = {T = "logits[0]"}, steps = ["expert_choice_select"], workspace = "8*T"
func.func @expert_choice(%logits: tensor<?x16xf32>) -> (tensor<16x40xf32>, tensor<16x40xi32>) {
  %w, %t = celeris.route %logits k 2 mode expert_choice capacity 40
      : tensor<?x16xf32> -> tensor<16x40xf32>, tensor<16x40xi32>
  return %w, %t : tensor<16x40xf32>, tensor<16x40xi32>
}

// Dispatch: four kernels one launch runs in order, sharing the arguments
// and the workspace (per-chunk counts and the experts' first rows). Count
// and rank group a warp's lanes by expert with match.any.
// CHECK-LABEL: gpu.func @dispatch(
// CHECK-SAME: celeris.arg_names = ["x", "experts", "permuted", "offsets", "row_map", "workspace"]
// CHECK-SAME: kernel = moe_dispatch
// CHECK-SAME: grid = ["ceildiv(T*K,4096)", "1", "1"], results = {offsets = ["16"], permuted = ["experts[0]*experts[1]", "x[1]"], row_map = ["experts[0]", "experts[1]"]}, shared = "512", sizes = {K = "experts[1]", T = "experts[0]"}, steps = ["dispatch_scan", "dispatch_rank", "dispatch_rows"], workspace = "4*16*(ceildiv(T*K,4096)+1)"
// CHECK: nvvm.match.sync any
// CHECK: nvvm.read.ptx.sreg.lanemask.lt
// CHECK-LABEL: gpu.func @dispatch_scan(
// CHECK-SAME: block = array<i32: 1024, 1, 1>, grid = ["1", "1", "1"], shared = "128"
// CHECK-LABEL: gpu.func @dispatch_rank(
// CHECK-SAME: grid = ["ceildiv(T*K,4096)", "1", "1"], shared = "512"
// CHECK: nvvm.match.sync any
// CHECK-LABEL: gpu.func @dispatch_rows(
// CHECK-SAME: grid = ["ceildiv(T*K,8)", "1", "1"], shared = "0"
// Rows of 128 bf16: an aligned 16-byte vector a lane.
// CHECK: vector.load {{.*}} {alignment = 16 : i64} : memref<?x128xbf16>, vector<8xbf16>
// CHECK: vector.store {{.*}} {alignment = 16 : i64} : memref<?x128xbf16>, vector<8xbf16>
func.func @dispatch(%x: tensor<?x128xbf16>, %experts: tensor<?x2xi32>)
    -> (tensor<?x128xbf16>, tensor<16xi32>, tensor<?x2xi32>) {
  %rows, %offsets, %row_map = celeris.dispatch %x, %experts num_experts 16 capacity 8
      : tensor<?x128xbf16>, tensor<?x2xi32>
      -> tensor<?x128xbf16>, tensor<16xi32>, tensor<?x2xi32>
  return %rows, %offsets, %row_map : tensor<?x128xbf16>, tensor<16xi32>, tensor<?x2xi32>
}

// The dispatch map: count, scan and rank, the rank step writing each kept
// assignment's token to source_rows (and -1 past the kept rows); no rows
// step.
// CHECK-LABEL: gpu.func @dispatch_map(
// CHECK-SAME: celeris.arg_names = ["experts", "source_rows", "offsets", "row_map", "workspace"]
// CHECK-SAME: results = {offsets = ["16"], row_map = ["experts[0]", "experts[1]"], source_rows = ["experts[0]*experts[1]"]}
// CHECK-SAME: steps = ["dispatch_map_scan", "dispatch_map_rank"]
// CHECK-LABEL: gpu.func @dispatch_map_rank(
// CHECK: memref.store %{{.*}}, %arg1[%{{.*}}] : memref<?xi32>
// CHECK-NOT: gpu.func @dispatch_map_rows
func.func @dispatch_map(%experts: tensor<?x2xi32>)
    -> (tensor<?xi32>, tensor<16xi32>, tensor<?x2xi32>) {
  %s, %offsets, %row_map = celeris.dispatch_map %experts num_experts 16 capacity 8
      : tensor<?x2xi32> -> tensor<?xi32>, tensor<16xi32>, tensor<?x2xi32>
  return %s, %offsets, %row_map : tensor<?xi32>, tensor<16xi32>, tensor<?x2xi32>
}

// Grouped GEMM: f = 320 takes 64-column tiles (256 would waste 3/8), three
// stages and two CTAs an SM; a CTA per row-tile slot of the E + 1 segments.
// Eight computing warps and a producer warp, whose lane 0 copies each
// 64-deep slice by TMA: a 128 x 64 box of x's rows and a 64 x 64 block of
// w[e], through tensor maps passed after the memrefs. Per slice, the
// computing warps wait for its stage, run four wgmma k16 steps, then wait
// for the previous slice's GEMM only and release its stage.
// CHECK-LABEL: gpu.func @grouped(
// CHECK-SAME: %{{.+}}: memref<?x320xbf16>, %[[XMAP:.+]]: !llvm.ptr, %[[WMAP:.+]]: !llvm.ptr)
// CHECK-SAME: celeris.arg_names = ["x", "w", "offsets", "y"]
// CHECK-SAME: kernel = grouped_gemm, tensor_cores = wgmma, warps = 8, kv_tile = 64, stages = 3, min_ctas_per_sm = 2
// CHECK-SAME: block = array<i32: 288, 1, 1>, grid = ["5*(ceildiv(N,128)+16+1)", "1", "1"], results = {y = ["x[0]", "320"]}, shared = "74800", sizes = {N = "x[0]"}
// CHECK-SAME: tensor_maps = [{box = array<i64: 128, 64>, source = "x", swizzle = 128 : i64}, {box = array<i64: 1, 64, 64>, source = "w", swizzle = 128 : i64}]
// CHECK-SAME: celeris.tensor_map_params = 2 : i64
// CHECK: scf.for
// CHECK: nvvm.mbarrier.arrive.expect_tx %{{.+}}, %c24576_i32
// CHECK: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.+}}, %[[XMAP]]
// CHECK: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.+}}, %[[WMAP]]
// CHECK: scf.for
// CHECK: nvvm.mbarrier.try_wait.parity
// CHECK: nvvm.wgmma.fence.aligned
// CHECK-COUNT-4: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 64, k = 16>, D[<f32>, <one>], A[<bf16>, <one>, <row>], B[<bf16>, <one>, <row>]
// CHECK: nvvm.wgmma.commit.group.sync.aligned
// CHECK: nvvm.wgmma.wait.group.sync.aligned 1
// CHECK: nvvm.wgmma.wait.group.sync.aligned 0
func.func @grouped(%x: tensor<?x128xbf16>, %w: tensor<16x128x320xbf16>, %offsets: tensor<16xi32>)
    -> tensor<?x320xbf16> {
  %y = celeris.grouped_matmul %x, %w, %offsets
      : tensor<?x128xbf16>, tensor<16x128x320xbf16>, tensor<16xi32> -> tensor<?x320xbf16>
  return %y : tensor<?x320xbf16>
}

// f = 1408: 256-column tiles (the sixth half empty), four stages; a dynamic
// expert count is bound from the offsets. The sixth column tile multiplies
// only its 128 columns below f, in a K loop of its own; the others multiply
// all 256.
// CHECK-LABEL: gpu.func @grouped_wide(
// CHECK-SAME: kernel = grouped_gemm, tensor_cores = wgmma, warps = 8, kv_tile = 256, stages = 4, min_ctas_per_sm = 1
// CHECK-SAME: grid = ["6*(ceildiv(N,128)+E+1)", "1", "1"], results = {y = ["x[0]", "1408"]}, shared = "197696", sizes = {E = "offsets[0]", N = "x[0]"}
// CHECK: %[[COLUMN_TILE:.*]] = arith.remui %{{.*}}, %c6
// CHECK: %[[LAST:.*]] = arith.cmpi eq, %[[COLUMN_TILE]], %c5
// CHECK: scf.if %[[LAST]] {
// CHECK-COUNT-4: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 128, k = 16>
// CHECK-NOT: n = 256
// CHECK: } else {
// CHECK-COUNT-4: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 256, k = 16>
// CHECK-NOT: n = 128
func.func @grouped_wide(%x: tensor<?x128xbf16>, %w: tensor<?x128x1408xbf16>, %offsets: tensor<?xi32>)
    -> tensor<?x1408xbf16> {
  %y = celeris.grouped_matmul %x, %w, %offsets
      : tensor<?x128xbf16>, tensor<?x128x1408xbf16>, tensor<?xi32> -> tensor<?x1408xbf16>
  return %y : tensor<?x1408xbf16>
}

// The swiglu form: f = 1408 gate and up columns are 2816 accumulator
// columns, so 256-wide tiles of 128 gate and 128 up columns (11 column
// tiles, none partial); each 64-deep slice copies both weights' halves into
// one B tile, and the epilogue writes silu(gate) * up.
// CHECK-LABEL: gpu.func @grouped_swiglu(
// CHECK-SAME: celeris.arg_names = ["x", "w", "offsets", "w_up", "y"]
// CHECK-SAME: kv_tile = 256, stages = 4, min_ctas_per_sm = 1
// CHECK-SAME: grid = ["11*(ceildiv(N,128)+64+1)", "1", "1"], results = {y = ["x[0]", "1408"]}
// CHECK: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 256, k = 16>
// CHECK: arith.divf
// CHECK: arith.mulf
// CHECK: arith.truncf {{.*}} : vector<2xf32> to vector<2xbf16>
func.func @grouped_swiglu(%x: tensor<?x2048xbf16>, %wg: tensor<64x2048x1408xbf16>,
                          %offsets: tensor<64xi32>, %wu: tensor<64x2048x1408xbf16>)
    -> tensor<?x1408xbf16> {
  %y = celeris.grouped_matmul %x, %wg, %offsets swiglu(%wu : tensor<64x2048x1408xbf16>)
      : tensor<?x2048xbf16>, tensor<64x2048x1408xbf16>, tensor<64xi32> -> tensor<?x1408xbf16>
  return %y : tensor<?x1408xbf16>
}

// The gather form: N is source_rows' length; the producer warp copies the
// A rows from x by cp.async (16-byte chunks, from the row each source
// names) and arrives on the full barrier as they land, its first lane
// copies w's block by TMA: full barriers expect 32 + 1 arrivals, and the
// computing warps fence before wgmma reads the generic-proxy writes. x has
// no tensor map. (Two CTAs an SM: one producer warp.)
// CHECK-LABEL: gpu.func @grouped_gather(
// CHECK-SAME: celeris.arg_names = ["x", "w", "offsets", "source_rows", "y"]
// CHECK-SAME: block = array<i32: 288, 1, 1>, grid = ["5*(ceildiv(N,128)+16+1)", "1", "1"], results = {y = ["source_rows[0]", "320"]}, shared = "74800", sizes = {N = "source_rows[0]"}, tensor_maps = [{box = array<i64: 1, 64, 64>, source = "w", swizzle = 128 : i64}]
// CHECK-SAME: celeris.tensor_map_params = 1 : i64
// CHECK: nvvm.mbarrier.init %{{.*}}, %c33_i32
// CHECK: nvvm.mbarrier.arrive.expect_tx %{{.*}}, %c8192_i32
// CHECK: nvvm.cp.async.bulk.tensor.shared.cluster.global
// CHECK: nvgpu.device_async_copy %arg0[{{.*}}], %{{.*}}[{{.*}}], 8, %{{.*}} {bypassL1} : memref<?x128xbf16>
// CHECK: nvvm.cp.async.mbarrier.arrive %{{.*}} {noinc = true}
// CHECK: nvvm.mbarrier.try_wait.parity
// CHECK-NEXT: nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>
// CHECK: nvvm.wgmma.mma_async
func.func @grouped_gather(%x: tensor<?x128xbf16>, %w: tensor<16x128x320xbf16>,
                          %offsets: tensor<16xi32>, %s: tensor<?xi32>)
    -> tensor<?x320xbf16> {
  %y = celeris.grouped_matmul %x, %w, %offsets gather(%s : tensor<?xi32>)
      : tensor<?x128xbf16>, tensor<16x128x320xbf16>, tensor<16xi32> -> tensor<?x320xbf16>
  return %y : tensor<?x320xbf16>
}

// One CTA an SM: a producer warpgroup gathers the rows (384 threads; full
// barriers expect 128 + 1 arrivals), the rows' sources formed once before
// the slices' loop.
// CHECK-LABEL: gpu.func @grouped_gather_wide(
// CHECK-SAME: block = array<i32: 384, 1, 1>
// CHECK: nvvm.mbarrier.init %{{.*}}, %c129_i32
// CHECK: memref.load %arg3
// CHECK: scf.for
// CHECK-NOT: memref.load %arg3
// CHECK: nvgpu.device_async_copy
func.func @grouped_gather_wide(%x: tensor<?x128xbf16>, %w: tensor<16x128x1408xbf16>,
                               %offsets: tensor<16xi32>, %s: tensor<?xi32>)
    -> tensor<?x1408xbf16> {
  %y = celeris.grouped_matmul %x, %w, %offsets gather(%s : tensor<?xi32>)
      : tensor<?x128xbf16>, tensor<16x128x1408xbf16>, tensor<16xi32> -> tensor<?x1408xbf16>
  return %y : tensor<?x1408xbf16>
}

// A schedule that bounds no CTAs an SM still caps the registers so that one
// CTA fits (uncapped, ptxas would give 288 threads more than an SM has).
// CHECK-LABEL: gpu.func @grouped_uncapped(
// CHECK-SAME: min_ctas_per_sm = 0
// CHECK-SAME: nvvm.maxntid = array<i32: 288, 1, 1>, nvvm.minctasm = 1 : i32
func.func @grouped_uncapped(%x: tensor<?x128xbf16>, %w: tensor<16x128x256xbf16>, %offsets: tensor<16xi32>)
    -> tensor<?x256xbf16> {
  %y = celeris.grouped_matmul %x, %w, %offsets {celeris.gpu_schedule = #celeris.gpu_schedule<kernel = grouped_gemm, tensor_cores = wgmma, warps = 8, kv_tile = 256, stages = 4, min_ctas_per_sm = 0>}
      : tensor<?x128xbf16>, tensor<16x128x256xbf16>, tensor<16xi32> -> tensor<?x256xbf16>
  return %y : tensor<?x256xbf16>
}

// Combine: a CTA per token and 2048 columns, the slots summed in order.
// CHECK-LABEL: gpu.func @combine(
// CHECK-SAME: celeris.arg_names = ["y", "weights", "row_map", "out"]
// CHECK-SAME: kernel = moe_combine
// CHECK-SAME: grid = ["T", "ceildiv(128,2048)", "1"], results = {out = ["row_map[0]", "y[1]"]}, shared = "0", sizes = {T = "row_map[0]"}
// CHECK: scf.for
// CHECK: vector.load {{.*}} {alignment = 16 : i64} : memref<?x128xbf16>, vector<8xbf16>
// CHECK: vector.fma
func.func @combine(%y: tensor<?x128xbf16>, %weights: tensor<?x2xf32>, %row_map: tensor<?x2xi32>)
    -> tensor<?x128xbf16> {
  %out = celeris.combine %y, %weights, %row_map
      : tensor<?x128xbf16>, tensor<?x2xf32>, tensor<?x2xi32> -> tensor<?x128xbf16>
  return %out : tensor<?x128xbf16>
}
