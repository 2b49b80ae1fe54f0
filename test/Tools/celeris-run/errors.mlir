// Every user error gives one clear message and exit status 1, never a crash.
//
// RUN: rm -rf %t && split-file %s %t
// The .npy inputs come from the runner itself (seeded, returned unchanged):
// out0 f32 [2, 3], out1 f64 [2, 3], out2 f32 [3], out3 f32 [2, 4].
// RUN: celeris-run %t/make.mlir --seed=0 --output-dir=%t/npy
// RUN: printf 'not an array' > %t/npy/text.npy
// RUN: %python -c "import sys; h=b\"{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }\"; h=h+b' '*(118-len(h))+b'\n'; open(sys.argv[1],'wb').write(b'\x93NUMPY\x01\x00'+bytes([len(h),0])+h+bytes(24))" %t/npy/fortran.npy

// RUN: not celeris-run %t/no-such-file.mlir --seed=0 2>&1 | FileCheck %s --check-prefix=MISSING-FILE
// MISSING-FILE: celeris-run: error: cannot open input file '{{.*}}no-such-file.mlir': No such file or directory

// RUN: not celeris-run %t/bad-syntax.mlir --seed=0 2>&1 | FileCheck %s --check-prefix=PARSE
// PARSE: celeris-run: error: cannot parse '{{.*}}bad-syntax.mlir'

// RUN: not celeris-run %t/two.mlir --entry=nope --seed=0 2>&1 | FileCheck %s --check-prefix=NO-ENTRY
// NO-ENTRY: celeris-run: error: entry function 'nope' not found in '{{.*}}two.mlir'

// RUN: not celeris-run %t/two.mlir --seed=0 2>&1 | FileCheck %s --check-prefix=AMBIGUOUS
// AMBIGUOUS: celeris-run: error: cannot choose the entry function: '{{.*}}two.mlir' has 2 public functions and none is 'main'; name one of f, g

// RUN: not celeris-run %t/private.mlir --seed=0 2>&1 | FileCheck %s --check-prefix=NO-PUBLIC
// NO-PUBLIC: celeris-run: error: no public function with a body in '{{.*}}private.mlir' to run

// RUN: not celeris-run %t/one.mlir --input=%t/npy/out0.npy 2>&1 | FileCheck %s --check-prefix=NUM-INPUTS
// NUM-INPUTS: celeris-run: error: 'main' takes 2 argument(s) but 1 --input file(s) were given

// RUN: not celeris-run %t/one.mlir 2>&1 | FileCheck %s --check-prefix=NO-INPUTS
// NO-INPUTS: celeris-run: error: 'main' takes 2 argument(s): pass one --input=file.npy per argument or --seed=N

// RUN: not celeris-run %t/one.mlir --seed=1 --input=%t/npy/out0.npy --input=%t/npy/out0.npy 2>&1 | FileCheck %s --check-prefix=BOTH
// BOTH: celeris-run: error: pass either --input files or --seed, not both

// RUN: not celeris-run %t/one.mlir --input=%t/npy/out0.npy --input=%t/npy/out1.npy 2>&1 | FileCheck %s --check-prefix=DTYPE
// DTYPE: celeris-run: error: input 1 ('{{.*}}out1.npy'): dtype '<f8' does not match argument type tensor<2x3xf32> (expects '<f4')

// RUN: not celeris-run %t/one.mlir --input=%t/npy/out2.npy --input=%t/npy/out0.npy 2>&1 | FileCheck %s --check-prefix=RANK
// RANK: celeris-run: error: input 0 ('{{.*}}out2.npy'): rank 1 (shape [3]) does not match argument type tensor<2x3xf32>

// RUN: not celeris-run %t/one.mlir --input=%t/npy/out0.npy --input=%t/npy/out3.npy 2>&1 | FileCheck %s --check-prefix=SHAPE
// SHAPE: celeris-run: error: input 1 ('{{.*}}out3.npy'): shape [2, 4] does not match argument type tensor<2x3xf32> in dimension 1

// RUN: not celeris-run %t/one.mlir --input=%t/npy/absent.npy --input=%t/npy/out0.npy 2>&1 | FileCheck %s --check-prefix=NPY-MISSING
// NPY-MISSING: celeris-run: error: input 0: cannot open '{{.*}}absent.npy': No such file or directory

// RUN: not celeris-run %t/one.mlir --input=%t/npy/text.npy --input=%t/npy/out0.npy 2>&1 | FileCheck %s --check-prefix=NOT-NPY
// NOT-NPY: celeris-run: error: input 0: '{{.*}}text.npy': not a .npy file (bad magic string)

// RUN: not celeris-run %t/one.mlir --input=%t/npy/fortran.npy --input=%t/npy/out0.npy 2>&1 | FileCheck %s --check-prefix=FORTRAN
// FORTRAN: celeris-run: error: input 0: '{{.*}}fortran.npy': Fortran-order .npy arrays are not supported (save a C-contiguous array)

// RUN: not celeris-run %t/complex.mlir --seed=0 2>&1 | FileCheck %s --check-prefix=ELEMENT
// ELEMENT: celeris-run: error: argument 0 has unsupported element type complex<f32> in tensor<4xcomplex<f32>> (supported: f16, bf16, f32, f64, i1, i8, i16, i32, i64)

// RUN: not celeris-run %t/scalar.mlir --seed=0 2>&1 | FileCheck %s --check-prefix=SCALAR
// SCALAR: celeris-run: error: argument 0 has unsupported type f32 (host functions take and return ranked tensors without encoding)

// RUN: not celeris-run %t/unranked-result.mlir --seed=0 2>&1 | FileCheck %s --check-prefix=RESULT
// RESULT: celeris-run: error: result 0 has unsupported type tensor<*xf32> (host functions take and return ranked tensors without encoding)

// RUN: not celeris-run %t/dynamic.mlir --seed=0 2>&1 | FileCheck %s --check-prefix=DYNAMIC
// DYNAMIC: celeris-run: error: argument 0 of type tensor<?x4xf32> has dynamic dimensions: pass --dynamic-size=N with --seed, or pass --input files

// RUN: not celeris-run %t/dynamic.mlir --seed=0 --dynamic-size=2 --int-range=5,5 2>&1 | FileCheck %s --check-prefix=INT-RANGE
// INT-RANGE: celeris-run: error: --int-range expects 'lo,hi' with lo < hi, got '5,5'

// RUN: not celeris-run %t/one.mlir --seed=0 --pre-pipeline=no-such-pass 2>&1 | FileCheck %s --check-prefix=PIPELINE
// PIPELINE: celeris-run: error: invalid pre-pipeline: {{.*}}no-such-pass

// RUN: not celeris-run %t/one.mlir --seed=0 --shared-libs=%t/no-such-lib.so 2>&1 | FileCheck %s --check-prefix=LIB
// LIB: celeris-run: error: shared library '{{.*}}no-such-lib.so' not found

//--- make.mlir
func.func @make(%a: tensor<2x3xf32>, %b: tensor<2x3xf64>, %c: tensor<3xf32>, %d: tensor<2x4xf32>)
    -> (tensor<2x3xf32>, tensor<2x3xf64>, tensor<3xf32>, tensor<2x4xf32>) {
  return %a, %b, %c, %d : tensor<2x3xf32>, tensor<2x3xf64>, tensor<3xf32>, tensor<2x4xf32>
}

//--- bad-syntax.mlir
func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {
  return %a : tensor<3xf32
}

//--- two.mlir
func.func @f(%a: tensor<2xf32>) -> tensor<2xf32> {
  return %a : tensor<2xf32>
}
func.func @g(%a: tensor<2xf32>) -> tensor<2xf32> {
  return %a : tensor<2xf32>
}

//--- private.mlir
func.func private @f(%a: tensor<2xf32>) -> tensor<2xf32> {
  return %a : tensor<2xf32>
}

//--- one.mlir
func.func @main(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = arith.addf %a, %b : tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

//--- complex.mlir
func.func @main(%a: tensor<4xcomplex<f32>>) -> tensor<4xcomplex<f32>> {
  return %a : tensor<4xcomplex<f32>>
}

//--- scalar.mlir
func.func @main(%a: f32) -> f32 {
  return %a : f32
}

//--- unranked-result.mlir
func.func @main(%a: tensor<4xf32>) -> tensor<*xf32> {
  %r = tensor.cast %a : tensor<4xf32> to tensor<*xf32>
  return %r : tensor<*xf32>
}

//--- dynamic.mlir
func.func @main(%a: tensor<?x4xf32>, %b: tensor<?xi32>) -> tensor<?x4xf32> {
  return %a : tensor<?x4xf32>
}
