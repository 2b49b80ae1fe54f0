// .npy inputs and outputs of every supported element type, dynamic shapes
// and --pre-pipeline.
//
// RUN: rm -rf %t && split-file %s %t
// RUN: celeris-run %t/make.mlir --seed=5 --int-range=-3,4 --output-dir=%t/in | FileCheck %s --check-prefix=MAKE
// MAKE: out0: shape=[3, 2] dtype=f16
// MAKE: out1: shape=[3, 2] dtype=bf16
// MAKE: out2: shape=[3, 2] dtype=f32
// MAKE: out3: shape=[3, 2] dtype=f64
// MAKE: out4: shape=[3, 2] dtype=i1
// MAKE: out5: shape=[3, 2] dtype=i8
// MAKE: out6: shape=[3, 2] dtype=i16
// MAKE: out7: shape=[3, 2] dtype=i32
// MAKE: out8: shape=[3, 2] dtype=i64

// Reading back what was written gives the same bytes, through a function
// with dynamic shapes and a --pre-pipeline.
// RUN: celeris-run %t/dynamic.mlir --pre-pipeline='builtin.module(canonicalize,cse)' \
// RUN:   --input=%t/in/out0.npy --input=%t/in/out1.npy --input=%t/in/out2.npy \
// RUN:   --input=%t/in/out3.npy --input=%t/in/out4.npy --input=%t/in/out5.npy \
// RUN:   --input=%t/in/out6.npy --input=%t/in/out7.npy --input=%t/in/out8.npy \
// RUN:   --output-dir=%t/out | FileCheck %s --check-prefix=DYN
// DYN: out0: shape=[3, 2] dtype=f16
// DYN: out8: shape=[3, 2] dtype=i64
// RUN: for i in 0 1 2 3 4 5 6 7 8; do cmp %t/in/out$i.npy %t/out/out$i.npy || exit 1; done

// Dynamic sizes of seeded inputs; 0-d tensors.
// RUN: celeris-run %t/dynamic.mlir --seed=1 --dynamic-size=5 | FileCheck %s --check-prefix=SEEDED
// SEEDED: out0: shape=[5, 5] dtype=f16
// RUN: celeris-run %t/scalar.mlir --seed=1 --print | FileCheck %s --check-prefix=RANK0
// RANK0: out0: shape=[] dtype=f32
// RANK0-NEXT: {{^  [0-9]+$}}

//--- make.mlir
func.func @make(%a: tensor<3x2xf16>, %b: tensor<3x2xbf16>, %c: tensor<3x2xf32>,
                %d: tensor<3x2xf64>, %e: tensor<3x2xi1>, %f: tensor<3x2xi8>,
                %g: tensor<3x2xi16>, %h: tensor<3x2xi32>, %i: tensor<3x2xi64>)
    -> (tensor<3x2xf16>, tensor<3x2xbf16>, tensor<3x2xf32>, tensor<3x2xf64>,
        tensor<3x2xi1>, tensor<3x2xi8>, tensor<3x2xi16>, tensor<3x2xi32>,
        tensor<3x2xi64>) {
  return %a, %b, %c, %d, %e, %f, %g, %h, %i
      : tensor<3x2xf16>, tensor<3x2xbf16>, tensor<3x2xf32>, tensor<3x2xf64>,
        tensor<3x2xi1>, tensor<3x2xi8>, tensor<3x2xi16>, tensor<3x2xi32>,
        tensor<3x2xi64>
}

//--- dynamic.mlir
func.func @main(%a: tensor<?x?xf16>, %b: tensor<?x?xbf16>, %c: tensor<?x?xf32>,
                %d: tensor<?x?xf64>, %e: tensor<?x?xi1>, %f: tensor<?x?xi8>,
                %g: tensor<?x?xi16>, %h: tensor<?x?xi32>, %i: tensor<?x?xi64>)
    -> (tensor<?x?xf16>, tensor<?x?xbf16>, tensor<?x?xf32>, tensor<?x?xf64>,
        tensor<?x?xi1>, tensor<?x?xi8>, tensor<?x?xi16>, tensor<?x?xi32>,
        tensor<?x?xi64>) {
  return %a, %b, %c, %d, %e, %f, %g, %h, %i
      : tensor<?x?xf16>, tensor<?x?xbf16>, tensor<?x?xf32>, tensor<?x?xf64>,
        tensor<?x?xi1>, tensor<?x?xi8>, tensor<?x?xi16>, tensor<?x?xi32>,
        tensor<?x?xi64>
}

//--- scalar.mlir
// Sum of the 4 elements of a seeded i32 vector, as a 0-d tensor.
func.func @main(%a: tensor<4xi32>) -> tensor<f32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<f32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<f32>) -> tensor<f32>
  %s = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>],
      iterator_types = ["reduction"]} ins(%a : tensor<4xi32>) outs(%z : tensor<f32>) {
  ^bb0(%x: i32, %acc: f32):
    %f = arith.sitofp %x : i32 to f32
    %r = arith.addf %f, %acc : f32
    linalg.yield %r : f32
  } -> tensor<f32>
  return %s : tensor<f32>
}
