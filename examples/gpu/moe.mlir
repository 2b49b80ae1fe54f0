// Mixture-of-experts primitives on the GPU, one function per kernel:
// routing (token choice: softmax or sigmoid scores, top-k with ties to the
// lower expert, renormalisation, DeepSeek-V3's group-limited selection with
// a selection-only bias and a scaling factor; expert choice with a
// capacity), dispatch (the stable
// permutation by expert: counts, offsets, the inverse map and the permuted
// rows, optionally with a capacity; or, as dispatch_map, only the token of
// each row), grouped GEMM over ragged expert segments on wgmma (also
// gathering its rows through that map), and the weighted combine. Token counts are dynamic:
// one artifact serves every batch.

func.func @route_softmax_k8(%logits: tensor<?x64xf32>)
    -> (tensor<?x8xf32>, tensor<?x8xi32>) {
  %w, %e = celeris.route %logits k 8 score_func softmax renormalize
      : tensor<?x64xf32> -> tensor<?x8xf32>, tensor<?x8xi32>
  return %w, %e : tensor<?x8xf32>, tensor<?x8xi32>
}

func.func @route_softmax_k1(%logits: tensor<?x64xf32>)
    -> (tensor<?x1xf32>, tensor<?x1xi32>) {
  %w, %e = celeris.route %logits k 1 score_func softmax
      : tensor<?x64xf32> -> tensor<?x1xf32>, tensor<?x1xi32>
  return %w, %e : tensor<?x1xf32>, tensor<?x1xi32>
}

// DeepSeek-V3: 256 experts in 8 groups, the 4 best groups eligible.
func.func @route_deepseek_v3(%logits: tensor<?x256xf32>, %bias: tensor<256xf32>)
    -> (tensor<?x8xf32>, tensor<?x8xi32>) {
  %w, %e = celeris.route %logits bias(%bias : tensor<256xf32>) k 8
      score_func sigmoid renormalize num_groups 8 topk_groups 4
      scaling_factor 2.5
      : tensor<?x256xf32> -> tensor<?x8xf32>, tensor<?x8xi32>
  return %w, %e : tensor<?x8xf32>, tensor<?x8xi32>
}

// bf16 logits, 16 experts in groups of 4: examples/moe.mlir's router.
func.func @route_grouped_bf16(%logits: tensor<?x16xbf16>, %bias: tensor<16xf32>)
    -> (tensor<?x4xf32>, tensor<?x4xi32>) {
  %w, %e = celeris.route %logits bias(%bias : tensor<16xf32>) k 4
      score_func sigmoid renormalize num_groups 4 topk_groups 2
      : tensor<?x16xbf16> -> tensor<?x4xf32>, tensor<?x4xi32>
  return %w, %e : tensor<?x4xf32>, tensor<?x4xi32>
}

// Expert choice: every expert picks its 64 best tokens (softmax scores).
func.func @route_expert_choice(%logits: tensor<?x64xf32>)
    -> (tensor<64x64xf32>, tensor<64x64xi32>) {
  %w, %t = celeris.route %logits k 8 mode expert_choice capacity 64
      : tensor<?x64xf32> -> tensor<64x64xf32>, tensor<64x64xi32>
  return %w, %t : tensor<64x64xf32>, tensor<64x64xi32>
}

// Expert choice at the capacity of T k / E for 16384 tokens, k 8, 64
// experts.
func.func @route_expert_choice_c2048(%logits: tensor<?x64xf32>)
    -> (tensor<64x2048xf32>, tensor<64x2048xi32>) {
  %w, %t = celeris.route %logits k 8 mode expert_choice capacity 2048
      : tensor<?x64xf32> -> tensor<64x2048xf32>, tensor<64x2048xi32>
  return %w, %t : tensor<64x2048xf32>, tensor<64x2048xi32>
}

// Expert choice with sigmoid scores, a selection bias and a capacity that
// is not a power of two.
func.func @route_expert_choice_sigmoid(%logits: tensor<?x16xbf16>, %bias: tensor<16xf32>)
    -> (tensor<16x300xf32>, tensor<16x300xi32>) {
  %w, %t = celeris.route %logits bias(%bias : tensor<16xf32>) k 4
      score_func sigmoid scaling_factor 2.0 mode expert_choice capacity 300
      : tensor<?x16xbf16> -> tensor<16x300xf32>, tensor<16x300xi32>
  return %w, %t : tensor<16x300xf32>, tensor<16x300xi32>
}

func.func @dispatch_e64(%x: tensor<?x2048xbf16>, %experts: tensor<?x8xi32>)
    -> (tensor<?x2048xbf16>, tensor<64xi32>, tensor<?x8xi32>) {
  %rows, %offsets, %row_map = celeris.dispatch %x, %experts num_experts 64
      : tensor<?x2048xbf16>, tensor<?x8xi32>
      -> tensor<?x2048xbf16>, tensor<64xi32>, tensor<?x8xi32>
  return %rows, %offsets, %row_map
      : tensor<?x2048xbf16>, tensor<64xi32>, tensor<?x8xi32>
}

// Rows of 8 elements: the time of the permutation itself, not of moving
// the rows.
func.func @dispatch_e64_d8(%x: tensor<?x8xbf16>, %experts: tensor<?x8xi32>)
    -> (tensor<?x8xbf16>, tensor<64xi32>, tensor<?x8xi32>) {
  %rows, %offsets, %row_map = celeris.dispatch %x, %experts num_experts 64
      : tensor<?x8xbf16>, tensor<?x8xi32>
      -> tensor<?x8xbf16>, tensor<64xi32>, tensor<?x8xi32>
  return %rows, %offsets, %row_map
      : tensor<?x8xbf16>, tensor<64xi32>, tensor<?x8xi32>
}

// Every expert keeps its first 40 assignments; ids outside [0, 16) drop.
func.func @dispatch_capacity(%x: tensor<?x256xf16>, %experts: tensor<?x4xi32>)
    -> (tensor<?x256xf16>, tensor<16xi32>, tensor<?x4xi32>) {
  %rows, %offsets, %row_map = celeris.dispatch %x, %experts num_experts 16
      capacity 40
      : tensor<?x256xf16>, tensor<?x4xi32>
      -> tensor<?x256xf16>, tensor<16xi32>, tensor<?x4xi32>
  return %rows, %offsets, %row_map
      : tensor<?x256xf16>, tensor<16xi32>, tensor<?x4xi32>
}

// The permutation alone (celeris.dispatch_map): the token of each
// dispatched row, for grouped GEMMs that gather the rows themselves.
func.func @dispatch_map_e64(%experts: tensor<?x8xi32>)
    -> (tensor<?xi32>, tensor<64xi32>, tensor<?x8xi32>) {
  %source_rows, %offsets, %row_map = celeris.dispatch_map %experts
      num_experts 64
      : tensor<?x8xi32> -> tensor<?xi32>, tensor<64xi32>, tensor<?x8xi32>
  return %source_rows, %offsets, %row_map
      : tensor<?xi32>, tensor<64xi32>, tensor<?x8xi32>
}

// With a capacity; ids outside [0, 16) drop.
func.func @dispatch_map_capacity(%experts: tensor<?x4xi32>)
    -> (tensor<?xi32>, tensor<16xi32>, tensor<?x4xi32>) {
  %source_rows, %offsets, %row_map = celeris.dispatch_map %experts
      num_experts 16 capacity 40
      : tensor<?x4xi32> -> tensor<?xi32>, tensor<16xi32>, tensor<?x4xi32>
  return %source_rows, %offsets, %row_map
      : tensor<?xi32>, tensor<16xi32>, tensor<?x4xi32>
}

// The gate/up GEMM of a 64-expert layer (d 2048, ffn 1408).
func.func @grouped_gemm_e64(%x: tensor<?x2048xbf16>, %w: tensor<64x2048x1408xbf16>,
                            %offsets: tensor<64xi32>) -> tensor<?x1408xbf16> {
  %y = celeris.grouped_matmul %x, %w, %offsets
      : tensor<?x2048xbf16>, tensor<64x2048x1408xbf16>, tensor<64xi32>
      -> tensor<?x1408xbf16>
  return %y : tensor<?x1408xbf16>
}

// Its gate and up GEMMs with the SwiGLU as one kernel (the swiglu form).
func.func @grouped_gemm_e64_swiglu(%x: tensor<?x2048xbf16>, %wg: tensor<64x2048x1408xbf16>,
                                   %offsets: tensor<64xi32>, %wu: tensor<64x2048x1408xbf16>)
    -> tensor<?x1408xbf16> {
  %h = celeris.grouped_matmul %x, %wg, %offsets swiglu(%wu : tensor<64x2048x1408xbf16>)
      : tensor<?x2048xbf16>, tensor<64x2048x1408xbf16>, tensor<64xi32>
      -> tensor<?x1408xbf16>
  return %h : tensor<?x1408xbf16>
}

// The same with the dispatch fused into the A-operand load (the gather
// form): the rows are read from x [T, d] through source_rows.
func.func @grouped_gemm_e64_swiglu_gather(%x: tensor<?x2048xbf16>,
    %wg: tensor<64x2048x1408xbf16>, %offsets: tensor<64xi32>,
    %source_rows: tensor<?xi32>, %wu: tensor<64x2048x1408xbf16>)
    -> tensor<?x1408xbf16> {
  %h = celeris.grouped_matmul %x, %wg, %offsets
      gather(%source_rows : tensor<?xi32>)
      swiglu(%wu : tensor<64x2048x1408xbf16>)
      : tensor<?x2048xbf16>, tensor<64x2048x1408xbf16>, tensor<64xi32>
      -> tensor<?x1408xbf16>
  return %h : tensor<?x1408xbf16>
}

// The gather form of a plain GEMM, f16, a dynamic expert count and f = 704.
func.func @grouped_gemm_gather_f16(%x: tensor<?x192xf16>, %w: tensor<?x192x704xf16>,
                                   %offsets: tensor<?xi32>, %source_rows: tensor<?xi32>)
    -> tensor<?x704xf16> {
  %y = celeris.grouped_matmul %x, %w, %offsets gather(%source_rows : tensor<?xi32>)
      : tensor<?x192xf16>, tensor<?x192x704xf16>, tensor<?xi32> -> tensor<?x704xf16>
  return %y : tensor<?x704xf16>
}

// The swiglu form with f16, a dynamic expert count and f = 704: tiles of
// 128 gate and 128 up columns, the last one half past f.
func.func @grouped_gemm_swiglu_f16(%x: tensor<?x192xf16>, %wg: tensor<?x192x704xf16>,
                                   %offsets: tensor<?xi32>, %wu: tensor<?x192x704xf16>)
    -> tensor<?x704xf16> {
  %h = celeris.grouped_matmul %x, %wg, %offsets swiglu(%wu : tensor<?x192x704xf16>)
      : tensor<?x192xf16>, tensor<?x192x704xf16>, tensor<?xi32> -> tensor<?x704xf16>
  return %h : tensor<?x704xf16>
}

// The down GEMM of the same layer (ffn 1408 back to d 2048).
func.func @grouped_gemm_e64_down(%h: tensor<?x1408xbf16>, %w: tensor<64x1408x2048xbf16>,
                                 %offsets: tensor<64xi32>) -> tensor<?x2048xbf16> {
  %y = celeris.grouped_matmul %h, %w, %offsets
      : tensor<?x1408xbf16>, tensor<64x1408x2048xbf16>, tensor<64xi32>
      -> tensor<?x2048xbf16>
  return %y : tensor<?x2048xbf16>
}

// DeepSeek-V3's routed experts: 256 experts, d 7168, ffn 2048.
func.func @grouped_gemm_dsv3(%x: tensor<?x7168xbf16>, %w: tensor<256x7168x2048xbf16>,
                             %offsets: tensor<256xi32>) -> tensor<?x2048xbf16> {
  %y = celeris.grouped_matmul %x, %w, %offsets
      : tensor<?x7168xbf16>, tensor<256x7168x2048xbf16>, tensor<256xi32>
      -> tensor<?x2048xbf16>
  return %y : tensor<?x2048xbf16>
}

// f16 experts, a dynamic expert count, 320 output columns: tiles of 64.
func.func @grouped_gemm_f16(%x: tensor<?x192xf16>, %w: tensor<?x192x320xf16>,
                            %offsets: tensor<?xi32>) -> tensor<?x320xf16> {
  %y = celeris.grouped_matmul %x, %w, %offsets
      : tensor<?x192xf16>, tensor<?x192x320xf16>, tensor<?xi32>
      -> tensor<?x320xf16>
  return %y : tensor<?x320xf16>
}

func.func @combine_k8(%y: tensor<?x2048xbf16>, %weights: tensor<?x8xf32>,
                      %row_map: tensor<?x8xi32>) -> tensor<?x2048xbf16> {
  %out = celeris.combine %y, %weights, %row_map
      : tensor<?x2048xbf16>, tensor<?x8xf32>, tensor<?x8xi32>
      -> tensor<?x2048xbf16>
  return %out : tensor<?x2048xbf16>
}

// Weights of the element type of y, dynamic widths.
func.func @combine_f16(%y: tensor<?x?xf16>, %weights: tensor<?x?xf16>,
                       %row_map: tensor<?x?xi32>) -> tensor<?x?xf16> {
  %out = celeris.combine %y, %weights, %row_map
      : tensor<?x?xf16>, tensor<?x?xf16>, tensor<?x?xi32> -> tensor<?x?xf16>
  return %out : tensor<?x?xf16>
}
