// The linalg ops of a program become loop_nest kernels: a thread per point
// of the parallel iteration space (the output's innermost dimension
// fastest), the reductions looped inside the thread, the payload on scalars
// loaded through the indexing maps, fills of constants as the accumulators'
// start. Here the router's matmul, SwiGLU between two grouped GEMMs, and a
// row reduction.
// RUN: celeris-opt %s -celeris-gpu | FileCheck %s
// RUN: celeris-opt %s -celeris-gpu | FileCheck %s --check-prefix=REDUCE

// CHECK-LABEL: func.func private @layer(
// CHECK-SAME:      celeris.arg_names = ["x", "arg1", "w", "w_1", "out", "out_1"]
// CHECK-SAME:      {args = ["x", "arg1", "out_2"], kernel = @kernels::@layer_matmul}
// CHECK-SAME:      {args = ["y", "y_1", "out"], kernel = @kernels::@layer_generic}
// CHECK-SAME:      {args = ["out_2", "out_1"], kernel = @kernels::@layer_generic_1}

// The matmul: 16 outputs a token, the 128-deep reduction in the thread,
// from the fill's zero.
// CHECK-LABEL: gpu.func @layer_matmul(
// CHECK-SAME:      %[[A:.*]]: memref<?x128xbf16>, %[[B:.*]]: memref<128x16xf32>, %[[OUT:.*]]: memref<?x16xf32>)
// CHECK-SAME:      celeris.arg_names = ["a", "b", "out"]
// CHECK-SAME:      celeris.gpu_schedule = #celeris.gpu_schedule<kernel = loop_nest
// CHECK-SAME:      grid = ["ceildiv(L0*16,256)", "1", "1"], results = {out = ["a[0]", "16"]}
// CHECK-SAME:      sizes = {L0 = "a[0]"}
// CHECK:         %[[POINT:.*]] = arith.addi
// CHECK:         %[[COL:.*]] = arith.remui %[[POINT]], %{{.*}}
// CHECK:         %[[ROW:.*]] = arith.divui %[[POINT]], %{{.*}}
// CHECK:         %[[SUM:.*]] = scf.for %[[K:.*]] = %{{.*}} to %{{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (f32)
// CHECK-DAG:       memref.load %[[A]][%{{.*}}, %[[K]]]
// CHECK-DAG:       memref.load %[[B]][%[[K]], %{{.*}}]
// CHECK:           arith.mulf
// CHECK:           arith.addf %[[ACC]]
// CHECK:         memref.store %[[SUM]], %[[OUT]][%{{.*}}, %{{.*}}]

// SwiGLU: no loop, the constant from above cloned in.
// CHECK-LABEL: gpu.func @layer_generic(
// CHECK-SAME:      grid = ["ceildiv(L0*64,256)", "1", "1"]
// CHECK-NOT:     scf.for
// CHECK:         arith.divf
// CHECK:         arith.truncf
// CHECK:         memref.store

// The row reduction: one sum a row.
// CHECK-LABEL: gpu.func @layer_generic_1(
// CHECK-SAME:      grid = ["ceildiv(L0,256)", "1", "1"], results = {out = ["input0[0]"]}
// CHECK:         scf.for %{{.*}} = %{{.*}} to %c16
#map = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @layer(%x: tensor<?x128xbf16>, %router: tensor<128x16xf32>,
                 %wg: tensor<16x128x64xbf16>, %wu: tensor<16x128x64xbf16>)
    -> (tensor<?x64xbf16>, tensor<?xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %c0 = arith.constant 0 : index
  %t = tensor.dim %x, %c0 : tensor<?x128xbf16>
  %empty = tensor.empty(%t) : tensor<?x16xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<?x16xf32>) -> tensor<?x16xf32>
  %logits = linalg.matmul ins(%x, %router : tensor<?x128xbf16>, tensor<128x16xf32>)
      outs(%init : tensor<?x16xf32>) -> tensor<?x16xf32>
  %weights, %experts = celeris.route %logits k 2
      : tensor<?x16xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  %rows, %offsets, %row_map = celeris.dispatch %x, %experts num_experts 16
      : tensor<?x128xbf16>, tensor<?x2xi32>
      -> tensor<?x128xbf16>, tensor<16xi32>, tensor<?x2xi32>
  %g = celeris.grouped_matmul %rows, %wg, %offsets
      : tensor<?x128xbf16>, tensor<16x128x64xbf16>, tensor<16xi32> -> tensor<?x64xbf16>
  %u = celeris.grouped_matmul %rows, %wu, %offsets
      : tensor<?x128xbf16>, tensor<16x128x64xbf16>, tensor<16xi32> -> tensor<?x64xbf16>
  %n = tensor.dim %g, %c0 : tensor<?x64xbf16>
  %hidden = tensor.empty(%n) : tensor<?x64xbf16>
  %h = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%g, %u : tensor<?x64xbf16>, tensor<?x64xbf16>) outs(%hidden : tensor<?x64xbf16>) {
  ^bb0(%a: bf16, %b: bf16, %o: bf16):
    %af = arith.extf %a : bf16 to f32
    %na = arith.negf %af : f32
    %e = math.exp %na : f32
    %d = arith.addf %e, %one : f32
    %s = arith.divf %af, %d : f32
    %bf = arith.extf %b : bf16 to f32
    %p = arith.mulf %s, %bf : f32
    %r = arith.truncf %p : f32 to bf16
    linalg.yield %r : bf16
  } -> tensor<?x64xbf16>
  %sums = tensor.empty(%t) : tensor<?xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%sums : tensor<?xf32>) -> tensor<?xf32>
  %sumsq = linalg.generic {indexing_maps = [#map, #row], iterator_types = ["parallel", "reduction"]}
      ins(%logits : tensor<?x16xf32>) outs(%acc : tensor<?xf32>) {
  ^bb0(%v: f32, %a: f32):
    %sq = arith.mulf %v, %v : f32
    %r = arith.addf %a, %sq : f32
    linalg.yield %r : f32
  } -> tensor<?xf32>
  return %h, %sumsq : tensor<?x64xbf16>, tensor<?xf32>
}

// A reduction whose output starts as a splat constant, feeding a scan: the
// accumulator starts at the splat's value.
// REDUCE-LABEL: func.func private @reduced_b(
// REDUCE-SAME:      {args = ["arg1", "out"], kernel = @kernels::@reduced_b_reduce}
// REDUCE-SAME:      {args = ["a", "out", "h"], kernel = @kernels::@reduced_b_scan}
// REDUCE-LABEL: gpu.func @reduced_b_reduce(
// REDUCE-SAME:      grid = ["ceildiv(2*64,256)", "1", "1"]
// REDUCE:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// REDUCE:         scf.for %{{.*}} = %{{.*}} to %c4 step %{{.*}} iter_args(%{{.*}} = %[[ZERO]]) -> (f32)
func.func @reduced_b(%a: tensor<2x64xf32>, %wide: tensor<2x64x4xf32>) -> tensor<2x64xf32> {
  %zero = arith.constant dense<0.0> : tensor<2x64xf32>
  %b = linalg.reduce ins(%wide : tensor<2x64x4xf32>) outs(%zero : tensor<2x64xf32>) dimensions = [2]
    (%x: f32, %acc: f32) {
      %s = arith.addf %x, %acc : f32
      linalg.yield %s : f32
    }
  %h = celeris.scan %a, %b axis 1 : tensor<2x64xf32>, tensor<2x64xf32> -> tensor<2x64xf32>
  return %h : tensor<2x64xf32>
}
