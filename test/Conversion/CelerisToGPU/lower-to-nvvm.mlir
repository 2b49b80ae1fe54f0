// RUN: celeris-opt %s -celeris-lower-to-nvvm="cubin-chip=sm_90a cubin-features=+ptx80 cubin-format=isa" | FileCheck %s

// The celeris-lower-to-nvvm pipeline passes a kernel's tensor map by value:
// after the memref's five parameters, a 128-byte parameter aligned to 64,
// which the copy reads in place through its generic address.
// CHECK: gpu.binary @kernels
// CHECK-SAME: .param .u64 copy_param_6,
// CHECK-SAME: .param .align 64 .b8 copy_param_7[128]
// CHECK-SAME: cvta.param.u64
// CHECK-SAME: cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @copy(%x: memref<?x64xbf16>, %map: !llvm.ptr) kernel
        attributes {celeris.tensor_map_params = 1 : i64} {
      %c0 = arith.constant 0 : i32
      %tile = llvm.mlir.addressof @tile : !llvm.ptr<3>
      %dst = llvm.addrspacecast %tile : !llvm.ptr<3> to !llvm.ptr<7>
      %barrier = llvm.mlir.addressof @barrier : !llvm.ptr<3>
      nvvm.cp.async.bulk.tensor.shared.cluster.global %dst, %map, %barrier, box[%c0, %c0] : !llvm.ptr<7>, !llvm.ptr
      gpu.return
    }
    llvm.mlir.global internal @tile() {addr_space = 3 : i32, alignment = 1024 : i64} : !llvm.array<8192 x i8>
    llvm.mlir.global internal @barrier() {addr_space = 3 : i32, alignment = 8 : i64} : i64
  }
}
