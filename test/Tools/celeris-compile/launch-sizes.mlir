// Named sizes bound to memref argument shapes (`sizes` in celeris.launch):
// the manifest's `size` lines, and a located error for each bad binding.
// RUN: rm -rf %t && celeris-compile %s -o %t --format=isa
// RUN: FileCheck %s --check-prefix=MANIFEST < %t/manifest.txt
// RUN: not celeris-compile %S/Inputs/bad-sizes.mlir -o %t/bad 2>&1 | FileCheck %s --check-prefix=ERROR

// MANIFEST-LABEL: kernel attention
// MANIFEST:        arg memref<4:bf16> q shape ?x?x?x64{{$}}
// MANIFEST-NEXT:   arg i64 window
// MANIFEST-NEXT:   size B q 0
// MANIFEST-NEXT:   size Hq q 1
// MANIFEST-NEXT:   size Sq q 2
// MANIFEST-NEXT: end
// MANIFEST-LABEL: kernel unbound
// MANIFEST:        arg memref<1:f32> x{{$}}
// MANIFEST-NEXT: end

// ERROR: bad-sizes.mlir:{{[0-9]+}}:{{[0-9]+}}: error: size 'N' of kernel 'unknown_arg' reads 'z', which is no argument of the kernel
// ERROR: bad-sizes.mlir:{{[0-9]+}}:{{[0-9]+}}: error: size 'N' of kernel 'scalar_arg' reads 'a', which is not a memref but 'f32'
// ERROR: bad-sizes.mlir:{{[0-9]+}}:{{[0-9]+}}: error: size 'N' of kernel 'dim_out_of_range' reads dimension 1 of 'x', which has rank 1
// ERROR: bad-sizes.mlir:{{[0-9]+}}:{{[0-9]+}}: error: size 'N' of kernel 'no_brackets' must be a string "ARG[DIM]", got "x0"
// ERROR: bad-sizes.mlir:{{[0-9]+}}:{{[0-9]+}}: error: size 'N' of kernel 'bad_dim' must be a string "ARG[DIM]", got "x[d]"
// ERROR: bad-sizes.mlir:{{[0-9]+}}:{{[0-9]+}}: error: size 'N' of kernel 'not_a_string' must be a string "ARG[DIM]", got 0 : i64
// ERROR: bad-sizes.mlir:{{[0-9]+}}:{{[0-9]+}}: error: size 'N N' of kernel 'bad_name' does not have an identifier name
// ERROR: bad-sizes.mlir:{{[0-9]+}}:{{[0-9]+}}: error: 'celeris.launch' sizes of kernel 'not_a_dictionary' must be a dictionary of "ARG[DIM]" strings
// ERROR-NOT: error
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @attention(%q: memref<?x?x?x64xbf16>, %window: i64) kernel attributes {
        celeris.launch = {grid = ["ceildiv(Sq,128)", "Hq", "B"],
                          block = array<i32: 128, 1, 1>, shared = "0",
                          sizes = {B = "q[0]", Hq = "q[1]", Sq = "q[2]"}},
        celeris.arg_names = ["q", "window"]} {
      gpu.return
    }
    gpu.func @unbound(%x: memref<?xf32>) kernel attributes {
        celeris.launch = {grid = ["N", "1", "1"], block = array<i32: 32, 1, 1>},
        celeris.arg_names = ["x"]} {
      gpu.return
    }
  }
}
