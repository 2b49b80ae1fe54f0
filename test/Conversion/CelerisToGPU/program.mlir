// A function of several Celeris ops becomes a program: each op (with the
// elementwise math computing its operands) moves into a function of its own
// that becomes a kernel, and the program records the launches, the buffers
// between them and its results' shapes, composed from the kernels'. In the
// GPU pipeline the dispatch is fused into the first grouped GEMM, which
// gathers the token rows: no permuted buffer.
// RUN: celeris-opt %s -celeris-outline-kernels | FileCheck %s --check-prefix=OUTLINE
// RUN: celeris-opt %s -celeris-gpu | FileCheck %s

// OUTLINE-LABEL: func.func private @moe_route(
// OUTLINE-SAME:      %{{.*}}: tensor<?x16xf32>) -> (tensor<?x4xf32>, tensor<?x4xi32>)
// OUTLINE-NEXT:    celeris.route
// OUTLINE-NEXT:    return
// OUTLINE:       func.func private @moe_grouped_matmul(
// OUTLINE:       func.func private @moe_grouped_matmul_1(
// OUTLINE-LABEL: func.func @moe(
// OUTLINE-SAME:      attributes {celeris.program}
// OUTLINE-NEXT:    %[[R:.*]]:2 = call @moe_route(%arg1)
// OUTLINE-NEXT:    %[[D:.*]]:3 = call @moe_dispatch(%arg0, %[[R]]#1)
// OUTLINE-NEXT:    %[[G:.*]] = call @moe_grouped_matmul(%[[D]]#0, %arg2, %[[D]]#1)
// OUTLINE-NEXT:    %[[H:.*]] = call @moe_grouped_matmul_1(%[[G]], %arg3, %[[D]]#1)
// OUTLINE-NEXT:    %[[Y:.*]] = call @moe_combine(%[[H]], %[[R]]#0, %[[D]]#2)
// OUTLINE-NEXT:    return %[[Y]]

// CHECK-LABEL: func.func private @moe(
// CHECK-SAME:      memref<?x128xbf16>, memref<?x16xf32>, memref<16x128x64xbf16>, memref<16x64x128xbf16>, memref<?x128xbf16>)
// CHECK-SAME:      celeris.arg_names = ["x", "logits", "w", "w_1", "out"]
// CHECK-SAME:      buffers = [
// CHECK-SAME:        {name = "weights", shape = ["logits[0]", "4"], type = memref<?x4xf32>}
// CHECK-SAME:        {name = "experts", shape = ["logits[0]", "4"], type = memref<?x4xi32>}
// CHECK-SAME:        {name = "source_rows", shape = ["4*logits[0]"], type = memref<?xi32>}
// CHECK-SAME:        {name = "offsets", shape = ["16"], type = memref<16xi32>}
// CHECK-SAME:        {name = "row_map", shape = ["logits[0]", "4"], type = memref<?x4xi32>}
// CHECK-SAME:        {name = "y", shape = ["4*logits[0]", "64"], type = memref<?x64xbf16>}
// CHECK-SAME:        {name = "y_1", shape = ["4*logits[0]", "128"], type = memref<?x128xbf16>}]
// CHECK-SAME:      launches = [
// CHECK-SAME:        {args = ["logits", "weights", "experts"], kernel = @kernels::@moe_route}
// CHECK-SAME:        {args = ["experts", "source_rows", "offsets", "row_map"], kernel = @kernels::@moe_dispatch_map}
// CHECK-SAME:        {args = ["x", "w", "offsets", "source_rows", "y"], kernel = @kernels::@moe_grouped_matmul}
// CHECK-SAME:        {args = ["y", "w_1", "offsets", "y_1"], kernel = @kernels::@moe_grouped_matmul_1}
// CHECK-SAME:        {args = ["y_1", "weights", "row_map", "out"], kernel = @kernels::@moe_combine}]
// CHECK-SAME:      results = {out = ["logits[0]", "128"]}
func.func @moe(%x: tensor<?x128xbf16>, %logits: tensor<?x16xf32>,
               %wg: tensor<16x128x64xbf16>, %wd: tensor<16x64x128xbf16>)
    -> tensor<?x128xbf16> {
  %weights, %experts = celeris.route %logits k 4 renormalize
      : tensor<?x16xf32> -> tensor<?x4xf32>, tensor<?x4xi32>
  %rows, %offsets, %row_map = celeris.dispatch %x, %experts num_experts 16
      : tensor<?x128xbf16>, tensor<?x4xi32>
      -> tensor<?x128xbf16>, tensor<16xi32>, tensor<?x4xi32>
  %h = celeris.grouped_matmul %rows, %wg, %offsets
      : tensor<?x128xbf16>, tensor<16x128x64xbf16>, tensor<16xi32> -> tensor<?x64xbf16>
  %down = celeris.grouped_matmul %h, %wd, %offsets
      : tensor<?x64xbf16>, tensor<16x64x128xbf16>, tensor<16xi32> -> tensor<?x128xbf16>
  %y = celeris.combine %down, %weights, %row_map
      : tensor<?x128xbf16>, tensor<?x4xf32>, tensor<?x4xi32> -> tensor<?x128xbf16>
  return %y : tensor<?x128xbf16>
}

// An attention layer feeding a Gated DeltaNet: the decay's math moves with
// the recurrence into its function, which the kernel applies as it loads
// the argument; the recurrence's final state is a second result.

// OUTLINE-LABEL: func.func private @layers_recurrence(
// OUTLINE-SAME:      %[[GATE:.*]]: tensor<1x4x?xf32>, %[[Q:.*]]: tensor<1x4x?x64xbf16>, %[[K:.*]]: tensor<1x4x?x64xbf16>, %[[V:.*]]: tensor<1x4x?x64xbf16>)
// OUTLINE-NEXT:    %[[G:.*]] = arith.negf %[[GATE]]
// OUTLINE-NEXT:    celeris.recurrence %[[Q]], %[[K]], %[[V]] decay scalar(%[[G]]
// OUTLINE-LABEL: func.func @layers(
// OUTLINE-NEXT:    %[[A:.*]] = call @layers_attention(%arg0, %arg1, %arg2)
// OUTLINE-NEXT:    %[[R:.*]]:2 = call @layers_recurrence(%arg3, %arg0, %arg1, %[[A]])
// OUTLINE-NEXT:    return %[[R]]#0, %[[R]]#1

// CHECK-LABEL: func.func private @layers(
// CHECK-SAME:      celeris.arg_names = ["q", "k", "v", "decay", "out", "final_state"]
// CHECK-SAME:      buffers = [{name = "out_1", shape = ["1", "4", "q[2]", "64"], type = memref<1x4x?x64xbf16>}]
// CHECK-SAME:      launches = [
// CHECK-SAME:        {args = ["q", "k", "v", "out_1"], kernel = @kernels::@layers_attention}
// CHECK-SAME:        {args = ["q", "k", "out_1", "decay", "out", "final_state"], kernel = @kernels::@layers_recurrence}]
// CHECK-SAME:      results = {final_state = ["1", "4", "64", "64"], out = ["1", "4", "q[2]", "64"]}
func.func @layers(%q: tensor<1x4x?x64xbf16>, %k: tensor<1x4x?x64xbf16>,
                  %v: tensor<1x4x?x64xbf16>, %gate: tensor<1x4x?xf32>)
    -> (tensor<1x4x?x64xbf16>, tensor<1x4x64x64xf32>) {
  %a = celeris.attention %q, %k, %v mask <causal>
      : tensor<1x4x?x64xbf16>, tensor<1x4x?x64xbf16>, tensor<1x4x?x64xbf16>
      -> tensor<1x4x?x64xbf16>
  %g = arith.negf %gate : tensor<1x4x?xf32>
  %o, %s = celeris.recurrence %q, %k, %a decay scalar(%g : tensor<1x4x?xf32>)
      : tensor<1x4x?x64xbf16>, tensor<1x4x?x64xbf16>, tensor<1x4x?x64xbf16>
      -> tensor<1x4x?x64xbf16>, tensor<1x4x64x64xf32>
  return %o, %s : tensor<1x4x?x64xbf16>, tensor<1x4x64x64xf32>
}

// A reshape between two kernels stays in the program as a view: the
// recurrence's [1, H, T, D] output seen as [H, T, D] by the transpose,
// with no copy.

// CHECK-LABEL: func.func private @heads_to_tokens(
// CHECK-SAME:      buffers = [{name = "out_1", shape = ["1", "4", "64", "64"], type = memref<1x4x64x64xbf16>}, {name = "out_1_view", shape = ["4", "64", "64"], type = memref<4x64x64xbf16>, view = "out_1"}]
// CHECK-SAME:      {args = ["out_1_view", "out"], kernel = @kernels::@heads_to_tokens_transpose}
func.func @heads_to_tokens(%q: tensor<1x4x64x64xbf16>, %k: tensor<1x4x64x64xbf16>,
                           %v: tensor<1x4x64x64xbf16>) -> tensor<64x4x64xbf16> {
  %r = celeris.recurrence %q, %k, %v
      : tensor<1x4x64x64xbf16>, tensor<1x4x64x64xbf16>, tensor<1x4x64x64xbf16>
      -> tensor<1x4x64x64xbf16>
  %heads = tensor.collapse_shape %r [[0, 1], [2], [3]]
      : tensor<1x4x64x64xbf16> into tensor<4x64x64xbf16>
  %init = tensor.empty() : tensor<64x4x64xbf16>
  %t = linalg.transpose ins(%heads : tensor<4x64x64xbf16>)
      outs(%init : tensor<64x4x64xbf16>) permutation = [1, 0, 2]
  return %t : tensor<64x4x64xbf16>
}
