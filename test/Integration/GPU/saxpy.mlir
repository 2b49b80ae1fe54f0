// A minimal kernel through the whole GPU artifact path: celeris-compile
// lowers it to NVVM, writes PTX (and a cubin when ptxas is available) and a
// manifest whose launch geometry is an expression of the runtime size N,
// which the runtime reads from the shape of x.
// scripts/device/check_runtime.py launches it through the runtime on a GPU.
// RUN: rm -rf %t && celeris-compile %s -o %t --format=isa | FileCheck %s --check-prefix=DRIVER
// RUN: FileCheck %s --check-prefix=MANIFEST < %t/manifest.txt
// RUN: FileCheck %s --check-prefix=PTX < %t/kernels.ptx
// RUN: not celeris-compile %S/Inputs/no-launch.mlir -o %t/bad 2>&1 | FileCheck %s --check-prefix=ERROR

// DRIVER: wrote 1 kernel(s) for sm_90a
// MANIFEST:      celeris-artifact 1
// MANIFEST-NEXT: kernel saxpy
// MANIFEST-NEXT:   binary kernels.ptx
// MANIFEST-NEXT:   symbol saxpy
// MANIFEST-NEXT:   grid ceildiv(N,256) 1 1
// MANIFEST-NEXT:   block 256 1 1
// MANIFEST-NEXT:   shared 0
// MANIFEST-NEXT:   arg f32 a
// MANIFEST-NEXT:   arg memref<1:f32> x{{$}}
// MANIFEST-NEXT:   arg memref<1:f32> y{{$}}
// MANIFEST-NEXT:   size N x 0
// MANIFEST-NEXT: end
// PTX: .target sm_90a
// PTX: .visible .entry saxpy(
// ERROR: no-launch.mlir:{{[0-9]+}}:{{[0-9]+}}: error: kernel has no 'celeris.launch' attribute

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @saxpy(%a: f32, %x: memref<?xf32>, %y: memref<?xf32>) kernel attributes {celeris.launch = {grid = ["ceildiv(N,256)", "1", "1"], block = array<i32: 256, 1, 1>, shared = "0", sizes = {N = "x[0]"}}, celeris.arg_names = ["a", "x", "y"]} {
      %bid = gpu.block_id x
      %bdim = gpu.block_dim x
      %tid = gpu.thread_id x
      %base = arith.muli %bid, %bdim : index
      %i = arith.addi %base, %tid : index
      %c0 = arith.constant 0 : index
      %n = memref.dim %x, %c0 : memref<?xf32>
      %in = arith.cmpi slt, %i, %n : index
      scf.if %in {
        %xv = memref.load %x[%i] : memref<?xf32>
        %yv = memref.load %y[%i] : memref<?xf32>
        %ax = arith.mulf %a, %xv : f32
        %r = arith.addf %ax, %yv : f32
        memref.store %r, %y[%i] : memref<?xf32>
      }
      gpu.return
    }
  }
}
