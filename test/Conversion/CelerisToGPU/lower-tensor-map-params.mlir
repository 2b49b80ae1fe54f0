// RUN: celeris-opt %s -split-input-file -verify-diagnostics -pass-pipeline='builtin.module(gpu.module(celeris-lower-tensor-map-params))' | FileCheck %s

// The last two parameters of a lowered kernel are tensor maps: each becomes
// a byval array of 128 bytes aligned to 64, a grid constant; the count
// attribute goes, the other parameters stay as they are.
// CHECK-LABEL: llvm.func @gemm
// CHECK-SAME: (%{{[a-z0-9]+}}: !llvm.ptr, %{{[a-z0-9]+}}: i64,
// CHECK-SAME: %{{[a-z0-9]+}}: !llvm.ptr {llvm.align = 64 : i64, llvm.byval = !llvm.array<128 x i8>, nvvm.grid_constant},
// CHECK-SAME: %{{[a-z0-9]+}}: !llvm.ptr {llvm.align = 64 : i64, llvm.byval = !llvm.array<128 x i8>, nvvm.grid_constant})
// CHECK-NOT: celeris.tensor_map_params
// CHECK-SAME: nvvm.kernel
// A kernel without tensor maps is left alone.
// CHECK-LABEL: llvm.func @plain(%{{[a-z0-9]+}}: !llvm.ptr) attributes {nvvm.kernel}
gpu.module @kernels {
  llvm.func @gemm(%x: !llvm.ptr, %n: i64, %xmap: !llvm.ptr, %wmap: !llvm.ptr)
      attributes {celeris.tensor_map_params = 2 : i64, nvvm.kernel} {
    llvm.return
  }
  llvm.func @plain(%x: !llvm.ptr) attributes {nvvm.kernel} {
    llvm.return
  }
}

// -----

gpu.module @kernels {
  // expected-error @below {{'celeris.tensor_map_params' counts 3 tensor-map parameters, but the function has 2}}
  llvm.func @short(%x: !llvm.ptr, %map: !llvm.ptr)
      attributes {celeris.tensor_map_params = 3 : i64, nvvm.kernel} {
    llvm.return
  }
}

// -----

gpu.module @kernels {
  // expected-error @below {{tensor-map parameter #1 has type 'i64', expected !llvm.ptr}}
  llvm.func @not_pointer(%x: !llvm.ptr, %n: i64)
      attributes {celeris.tensor_map_params = 1 : i64, nvvm.kernel} {
    llvm.return
  }
}

// -----

gpu.module @kernels {
  // expected-error @below {{tensor-map parameters are kernel parameters; @helper is no kernel}}
  llvm.func @helper(%map: !llvm.ptr)
      attributes {celeris.tensor_map_params = 1 : i64} {
    llvm.return
  }
}
