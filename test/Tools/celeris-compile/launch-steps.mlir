// A launch of several kernels (`steps` in celeris.launch): the steps appear
// as `step` sections of the kernel naming them, not as kernels of their
// own, each with its geometry; result dimensions may be products. Each bad
// step or result gets a located error.
// RUN: rm -rf %t && celeris-compile %s -o %t --format=isa | FileCheck %s --check-prefix=DRIVER
// RUN: FileCheck %s --check-prefix=MANIFEST < %t/manifest.txt
// RUN: not celeris-compile %S/Inputs/bad-steps.mlir -o %t/bad 2>&1 | FileCheck %s --check-prefix=ERROR

// DRIVER: wrote 1 kernel(s) for sm_90a
// MANIFEST:      kernel count
// MANIFEST:        workspace 4*N
// MANIFEST:        arg memref<1:i32> x{{$}}
// MANIFEST-NEXT:   arg memref<1:i32> y{{$}}
// MANIFEST-NEXT:   size N x 0
// MANIFEST-NEXT:   result y x[0]*2
// MANIFEST-NEXT:   step count_scan
// MANIFEST-NEXT:     grid 1 1 1
// MANIFEST-NEXT:     block 1024 1 1
// MANIFEST-NEXT:     shared 128
// MANIFEST-NEXT:   step count_write
// MANIFEST-NEXT:     grid ceildiv(N,256) 1 1
// MANIFEST-NEXT:     block 256 1 1
// MANIFEST-NEXT:     shared 0
// MANIFEST-NEXT: end
// MANIFEST-NOT: kernel

// ERROR: bad-steps.mlir:{{[0-9]+}}:{{[0-9]+}}: error: 'celeris.launch' steps must be an array of kernel names
// ERROR: bad-steps.mlir:{{[0-9]+}}:{{[0-9]+}}: error: step "nowhere" of kernel 'missing' is no kernel of its gpu.module
// ERROR: bad-steps.mlir:{{[0-9]+}}:{{[0-9]+}}: error: step 'other_args' of kernel 'mismatched' must take the kernel's argument types
// ERROR: bad-steps.mlir:{{[0-9]+}}:{{[0-9]+}}: error: a step needs a 'celeris.launch' with its grid, block and shared memory
// ERROR: bad-steps.mlir:{{[0-9]+}}:{{[0-9]+}}: error: result 'y' of kernel 'bad_product' has a dimension that is neither an extent nor "ARG[DIM]" nor their product: "x[0]*"
// ERROR-NOT: error
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @count(%x: memref<?xi32>, %y: memref<?xi32>, %ws: memref<?xi8>) kernel attributes {
        celeris.launch = {grid = ["ceildiv(N,256)", "1", "1"], block = array<i32: 256, 1, 1>,
                          shared = "0", sizes = {N = "x[0]"}, workspace = "4*N",
                          results = {y = ["x[0]*2"]},
                          steps = ["count_scan", "count_write"]},
        celeris.arg_names = ["x", "y"]} {
      gpu.return
    }
    gpu.func @count_scan(%x: memref<?xi32>, %y: memref<?xi32>, %ws: memref<?xi8>) kernel attributes {
        celeris.launch = {grid = ["1", "1", "1"], block = array<i32: 1024, 1, 1>, shared = "128"}} {
      gpu.return
    }
    gpu.func @count_write(%x: memref<?xi32>, %y: memref<?xi32>, %ws: memref<?xi8>) kernel attributes {
        celeris.launch = {grid = ["ceildiv(N,256)", "1", "1"], block = array<i32: 256, 1, 1>, shared = "0"}} {
      gpu.return
    }
  }
}
