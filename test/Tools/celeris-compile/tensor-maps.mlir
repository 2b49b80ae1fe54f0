// A kernel's tensor maps become manifest lines after its arguments, and
// their trailing arguments are not listed as the caller's.
// RUN: rm -rf %t && celeris-compile %s -o %t --format=isa | FileCheck %s --check-prefix=DRIVER
// RUN: FileCheck %s --check-prefix=MANIFEST < %t/manifest.txt
// RUN: not celeris-compile %S/Inputs/bad-tensor-maps.mlir -o %t/bad 2>&1 | FileCheck %s --check-prefix=ERROR

// DRIVER: wrote 1 kernel(s) for sm_90a

// MANIFEST:      kernel copy
// MANIFEST:        arg memref<2:bf16> x shape ?x64
// MANIFEST-NEXT:   tensor_map x box 64x64 swizzle 128
// MANIFEST-NEXT: end

// ERROR: bad-tensor-maps.mlir:{{[0-9]+}}:{{[0-9]+}}: error: 'celeris.tensor_map_params' must count the entries of the 'celeris.launch' tensor_maps, the kernel's last arguments
// ERROR: bad-tensor-maps.mlir:{{[0-9]+}}:{{[0-9]+}}: error: a 'celeris.launch' tensor map needs a source argument name, a box and a swizzle
// ERROR-NOT: error
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @copy(%x: memref<?x64xbf16>, %map: !llvm.ptr) kernel attributes {
        celeris.arg_names = ["x"], celeris.tensor_map_params = 1 : i64,
        celeris.launch = {grid = ["1", "1", "1"], block = array<i32: 32, 1, 1>, shared = "0",
          tensor_maps = [{source = "x", box = array<i64: 64, 64>, swizzle = 128 : i64}]}} {
      gpu.return
    }
  }
}
