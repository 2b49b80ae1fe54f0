// Mixture-of-experts forms the GPU kernels do not take, each with the
// reason, and schedules that cannot run.
// RUN: celeris-opt %s -split-input-file -celeris-gpu -verify-diagnostics

func.func @expert_choice_dynamic_experts(%logits: tensor<?x?xf32>) -> (tensor<?x8xf32>, tensor<?x8xi32>) {
  // expected-error @+1 {{GPU routing: expert choice runs a CTA per expert: the expert count (logits' dim 1) must be static}}
  %w, %i = celeris.route %logits k 2 mode expert_choice capacity 8
      : tensor<?x?xf32> -> tensor<?x8xf32>, tensor<?x8xi32>
  return %w, %i : tensor<?x8xf32>, tensor<?x8xi32>
}

// -----

func.func @expert_choice_large_capacity(%logits: tensor<?x16xf32>) -> (tensor<16x20000xf32>, tensor<16x20000xi32>) {
  // expected-error @+1 {{GPU routing: an expert's picks are sorted in shared memory: the capacity must be at most 16384, got 20000}}
  %w, %i = celeris.route %logits k 2 mode expert_choice capacity 20000
      : tensor<?x16xf32> -> tensor<16x20000xf32>, tensor<16x20000xi32>
  return %w, %i : tensor<16x20000xf32>, tensor<16x20000xi32>
}

// -----

func.func @dynamic_experts(%logits: tensor<64x?xf32>) -> (tensor<64x2xf32>, tensor<64x2xi32>) {
  // expected-error @+1 {{GPU routing: a warp holds a token's scores in registers: the expert count (logits' dim 1) must be static and at most 1024, got a dynamic one}}
  %w, %i = celeris.route %logits k 2 : tensor<64x?xf32> -> tensor<64x2xf32>, tensor<64x2xi32>
  return %w, %i : tensor<64x2xf32>, tensor<64x2xi32>
}

// -----

func.func @many_experts(%logits: tensor<?x2048xf32>) -> (tensor<?x2xf32>, tensor<?x2xi32>) {
  // expected-error @+1 {{GPU routing: a warp holds a token's scores in registers: the expert count (logits' dim 1) must be static and at most 1024, got 2048}}
  %w, %i = celeris.route %logits k 2 : tensor<?x2048xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  return %w, %i : tensor<?x2xf32>, tensor<?x2xi32>
}

// -----

func.func @large_k(%logits: tensor<?x64xf32>) -> (tensor<?x33xf32>, tensor<?x33xi32>) {
  // expected-error @+1 {{GPU routing: the kernel picks at most 32 experts a token, got k = 33}}
  %w, %i = celeris.route %logits k 33 : tensor<?x64xf32> -> tensor<?x33xf32>, tensor<?x33xi32>
  return %w, %i : tensor<?x33xf32>, tensor<?x33xi32>
}

// -----

func.func @many_groups(%logits: tensor<?x128xf32>) -> (tensor<?x2xf32>, tensor<?x2xi32>) {
  // expected-error @+1 {{GPU routing: group-limited routing ranks at most 32 groups on the GPU, got 64}}
  %w, %i = celeris.route %logits k 2 num_groups 64 topk_groups 2
      : tensor<?x128xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  return %w, %i : tensor<?x2xf32>, tensor<?x2xi32>
}

// -----

func.func @computed_logits(%x: tensor<?x64xf32>) -> (tensor<?x2xf32>, tensor<?x2xi32>) {
  %logits = arith.negf %x : tensor<?x64xf32>
  // expected-error @+1 {{GPU routing: the logits is not an argument of @computed_logits; the kernel reads its operands from its arguments}}
  %w, %i = celeris.route %logits k 2 : tensor<?x64xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  return %w, %i : tensor<?x2xf32>, tensor<?x2xi32>
}

// -----

func.func @dispatch_many_experts(%x: tensor<?x64xbf16>, %e: tensor<?x2xi32>)
    -> (tensor<?x64xbf16>, tensor<2048xi32>, tensor<?x2xi32>) {
  // expected-error @+1 {{GPU dispatch: the kernels keep per-warp counts of every expert in shared memory: at most 1024 experts, got 2048}}
  %r, %o, %m = celeris.dispatch %x, %e num_experts 2048
      : tensor<?x64xbf16>, tensor<?x2xi32> -> tensor<?x64xbf16>, tensor<2048xi32>, tensor<?x2xi32>
  return %r, %o, %m : tensor<?x64xbf16>, tensor<2048xi32>, tensor<?x2xi32>
}

// -----

func.func @f32_gemm(%x: tensor<?x64xf32>, %w: tensor<4x64x64xf32>, %o: tensor<4xi32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{GPU grouped matmul: the grouped_gemm kernel multiplies bf16 or f16 on the tensor cores, got 'f32'}}
  %y = celeris.grouped_matmul %x, %w, %o
      : tensor<?x64xf32>, tensor<4x64x64xf32>, tensor<4xi32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

func.func @odd_depth(%x: tensor<?x96xbf16>, %w: tensor<4x96x64xbf16>, %o: tensor<4xi32>) -> tensor<?x64xbf16> {
  // expected-error @+1 {{GPU grouped matmul: the kernel streams 64-deep slices of x and w and tiles of 64 output columns: x's dim 1 (d) and y's dim 1 (f) must be static multiples of 64, got 96 and 64}}
  %y = celeris.grouped_matmul %x, %w, %o
      : tensor<?x96xbf16>, tensor<4x96x64xbf16>, tensor<4xi32> -> tensor<?x64xbf16>
  return %y : tensor<?x64xbf16>
}

// -----

func.func @dynamic_columns(%x: tensor<?x64xbf16>, %w: tensor<4x64x?xbf16>, %o: tensor<4xi32>) -> tensor<?x?xbf16> {
  // expected-error @+1 {{GPU grouped matmul: the kernel streams 64-deep slices of x and w and tiles of 64 output columns: x's dim 1 (d) and y's dim 1 (f) must be static multiples of 64, got 64 and ?}}
  %y = celeris.grouped_matmul %x, %w, %o
      : tensor<?x64xbf16>, tensor<4x64x?xbf16>, tensor<4xi32> -> tensor<?x?xbf16>
  return %y : tensor<?x?xbf16>
}

// -----

func.func @too_much_shared(%x: tensor<?x64xbf16>, %w: tensor<4x64x256xbf16>, %o: tensor<4xi32>) -> tensor<?x256xbf16> {
  // expected-error @+1 {{GPU schedule: the grouped_gemm schedule needs 197696 bytes of shared memory a CTA (2 a SM), more than sm_90a has}}
  %y = celeris.grouped_matmul %x, %w, %o {celeris.gpu_schedule = #celeris.gpu_schedule<kernel = grouped_gemm, tensor_cores = wgmma, warps = 8, kv_tile = 256, stages = 4, min_ctas_per_sm = 2>}
      : tensor<?x64xbf16>, tensor<4x64x256xbf16>, tensor<4xi32> -> tensor<?x256xbf16>
  return %y : tensor<?x256xbf16>
}

// -----

func.func @scan_schedule(%x: tensor<?x64xbf16>, %w: tensor<4x64x64xbf16>, %o: tensor<4xi32>) -> tensor<?x64xbf16> {
  // expected-error @+1 {{gpu_schedule: grouped_gemm kernels are 4 or 8 warps of wgmma (tiles of 64 or 128 rows), got 8 warp(s) of mma_sync}}
  %y = celeris.grouped_matmul %x, %w, %o {celeris.gpu_schedule = #celeris.gpu_schedule<kernel = grouped_gemm, tensor_cores = mma_sync, warps = 8, kv_tile = 64, stages = 2, min_ctas_per_sm = 0>}
      : tensor<?x64xbf16>, tensor<4x64x64xbf16>, tensor<4xi32> -> tensor<?x64xbf16>
  return %y : tensor<?x64xbf16>
}

// -----

// The layer becomes a program of kernels, which needs the expert count.
func.func @layer(%x: tensor<?x64xbf16>, %router: tensor<64x?xf32>, %wg: tensor<?x64x64xbf16>,
                 %wu: tensor<?x64x64xbf16>, %wd: tensor<?x64x64xbf16>) -> tensor<?x64xbf16> {
  // expected-error @+1 {{'celeris.moe' op has a dynamic expert count (the router's dim 1 and the expert weights' dim 0): it decomposes into celeris.dispatch, which needs the count when compiling; give one of them a static extent}}
  %y = celeris.moe %x, %router, %wg, %wu, %wd k 2
      : tensor<?x64xbf16>, tensor<64x?xf32>, tensor<?x64x64xbf16>, tensor<?x64x64xbf16>,
        tensor<?x64x64xbf16> -> tensor<?x64xbf16>
  return %y : tensor<?x64xbf16>
}

// -----

// The swiglu form splits a tile's accumulator columns into gate and up
// halves of whole 64-column blocks.
func.func @swiglu_narrow(%x: tensor<?x128xbf16>, %wg: tensor<16x128x64xbf16>, %offsets: tensor<16xi32>,
                         %wu: tensor<16x128x64xbf16>) -> tensor<?x64xbf16> {
  // expected-error @+1 {{GPU grouped matmul: the swiglu form splits a tile's kv_tile accumulator columns into gate and up halves of whole 64-column blocks: kv_tile must be 128 or 256, got 64}}
  %y = celeris.grouped_matmul %x, %wg, %offsets swiglu(%wu : tensor<16x128x64xbf16>) {celeris.gpu_schedule = #celeris.gpu_schedule<kernel = grouped_gemm, tensor_cores = wgmma, warps = 8, kv_tile = 64, stages = 3, min_ctas_per_sm = 2>}
      : tensor<?x128xbf16>, tensor<16x128x64xbf16>, tensor<16xi32> -> tensor<?x64xbf16>
  return %y : tensor<?x64xbf16>
}
