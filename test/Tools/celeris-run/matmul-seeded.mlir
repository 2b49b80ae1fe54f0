// A linalg.matmul followed by an elementwise op, on seeded inputs: the same
// seed gives the same results, another seed other results; integer inputs
// are uniform in --int-range and give exact results.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: celeris-run %s --entry=matmul_tanh --seed=7 --output-dir=%t/a | FileCheck %s --check-prefix=F32
// RUN: celeris-run %s --entry=matmul_tanh --seed=7 --output-dir=%t/b
// RUN: cmp %t/a/out0.npy %t/b/out0.npy
// RUN: celeris-run %s --entry=matmul_tanh --seed=8 --output-dir=%t/c
// RUN: not cmp -s %t/a/out0.npy %t/c/out0.npy
// RUN: celeris-run %s --entry=matmul_relu_i32 --seed=3 --int-range=-2,3 --print | FileCheck %s --check-prefix=I32
// RUN: celeris-run %s --entry=matmul_tanh --seed=7 --print -O0 | FileCheck %s --check-prefix=PRINT

// F32: out0: shape=[2, 4] dtype=f32 -> {{.*}}out0.npy
// F32-NEXT: compile: {{[0-9.]+}} ms (lowering {{[0-9.]+}} ms, jit {{[0-9.]+}} ms)
// F32-NEXT: time: {{[0-9.]+}} ms

// PRINT: out0: shape=[2, 4] dtype=f32
// PRINT-NEXT: {{^  \[\[[-0-9.e]+, [-0-9.e]+, [-0-9.e]+, [-0-9.e]+\], \[[-0-9.e]+, [-0-9.e]+, [-0-9.e]+, [-0-9.e]+\]\]$}}

#id = affine_map<(i, j) -> (i, j)>

func.func @matmul_tanh(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) -> tensor<2x4xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %m = linalg.matmul ins(%a, %b : tensor<2x3xf32>, tensor<3x4xf32>)
                     outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m : tensor<2x4xf32>) outs(%e : tensor<2x4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %t = math.tanh %x : f32
    linalg.yield %t : f32
  } -> tensor<2x4xf32>
  return %r : tensor<2x4xf32>
}

// Returns the inputs too (through copies: the deallocation pipeline clones a
// returned argument), so the product can be checked by hand:
// relu([[0, 0], [-2, 2]] x [[-1, 1], [2, 1]]) = [[0, 0], [6, 0]].
// I32: out0: shape=[2, 2] dtype=i32
// I32-NEXT: {{^  \[\[0, 0\], \[-2, 2\]\]$}}
// I32-NEXT: out1: shape=[2, 2] dtype=i32
// I32-NEXT: {{^  \[\[-1, 1\], \[2, 1\]\]$}}
// I32-NEXT: out2: shape=[2, 2] dtype=i32
// I32-NEXT: {{^  \[\[0, 0\], \[6, 0\]\]$}}
func.func @matmul_relu_i32(%a: tensor<2x2xi32>, %b: tensor<2x2xi32>)
    -> (tensor<2x2xi32>, tensor<2x2xi32>, tensor<2x2xi32>) {
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<2x2xi32>
  %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<2x2xi32>) -> tensor<2x2xi32>
  %m = linalg.matmul ins(%a, %b : tensor<2x2xi32>, tensor<2x2xi32>)
                     outs(%z : tensor<2x2xi32>) -> tensor<2x2xi32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m : tensor<2x2xi32>) outs(%e : tensor<2x2xi32>) {
  ^bb0(%x: i32, %o: i32):
    %t = arith.maxsi %x, %c0 : i32
    linalg.yield %t : i32
  } -> tensor<2x2xi32>
  return %a, %b, %r : tensor<2x2xi32>, tensor<2x2xi32>, tensor<2x2xi32>
}
