// Executes the reference lowering of celeris.attention on a known case
// (values from a float64 numpy computation of the documented semantics):
// causal with the default offset, and with query_offset -1, where row 0 has
// no allowed key and must give output 0 and lse -inf (no NaN).
// RUN: celeris-opt %s --celeris-cpu | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils \
// RUN: | FileCheck %s

func.func private @printMemrefF32(tensor<*xf32>)

func.func @main() {
  %q = arith.constant dense<[[[[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]]]]> : tensor<1x1x3x2xf32>
  %k = arith.constant dense<[[[[1.0, 0.5], [-0.5, 1.5], [2.0, -1.0]]]]> : tensor<1x1x3x2xf32>
  %v = arith.constant dense<[[[[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]]]]> : tensor<1x1x3x2xf32>

  %o, %lse = celeris.attention %q, %k, %v mask <causal>
      : tensor<1x1x3x2xf32>, tensor<1x1x3x2xf32>, tensor<1x1x3x2xf32> -> tensor<1x1x3x2xf32>, tensor<1x1x3xf32>
  // CHECK: [1, 2]
  // CHECK: [1.39{{[0-9]*}}, 1.41{{[0-9]*}}]
  // CHECK: [2.78{{[0-9]*}}, -0.69{{[0-9]*}}]
  %o_u = tensor.cast %o : tensor<1x1x3x2xf32> to tensor<*xf32>
  call @printMemrefF32(%o_u) : (tensor<*xf32>) -> ()
  // CHECK: [0, 1.36{{[0-9]*}}, 2.49{{[0-9]*}}]
  %lse_u = tensor.cast %lse : tensor<1x1x3xf32> to tensor<*xf32>
  call @printMemrefF32(%lse_u) : (tensor<*xf32>) -> ()

  %o2, %lse2 = celeris.attention %q, %k, %v mask <causal> query_offset -1
      : tensor<1x1x3x2xf32>, tensor<1x1x3x2xf32>, tensor<1x1x3x2xf32> -> tensor<1x1x3x2xf32>, tensor<1x1x3xf32>
  // CHECK: [0, 0]
  // CHECK: [1, 2]
  // CHECK: [2.80{{[0-9]*}}, -0.70{{[0-9]*}}]
  %o2_u = tensor.cast %o2 : tensor<1x1x3x2xf32> to tensor<*xf32>
  call @printMemrefF32(%o2_u) : (tensor<*xf32>) -> ()
  // CHECK: [-inf, 1.14{{[0-9]*}}, 2.49{{[0-9]*}}]
  %lse2_u = tensor.cast %lse2 : tensor<1x1x3xf32> to tensor<*xf32>
  call @printMemrefF32(%lse2_u) : (tensor<*xf32>) -> ()
  return
}
