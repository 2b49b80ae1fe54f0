// RUN: celeris-opt %s -test-celeris-kernel-blocks -canonicalize -cse | FileCheck %s

// A tensor map over argument 0 becomes a trailing !llvm.ptr argument,
// counted by celeris.tensor_map_params and described in the launch (the
// argument's name, the box, the 128-byte swizzle). A copy of the box at
// (row %r, column 64) into element 1024 (byte 2048) of shared memory names
// the coordinates innermost first, as i32, and a shared::cluster
// destination.
// CHECK-LABEL: gpu.func @copy
// CHECK-SAME: (%[[SRC:.+]]: memref<?x128xbf16>, %[[ROW:.+]]: index, %[[MAP:.+]]: !llvm.ptr)
// CHECK-SAME: celeris.launch = {block = array<i32: 128, 1, 1>, tensor_maps = [{box = array<i64: 128, 64>, source = "src", swizzle = 128 : i64}]}
// CHECK-SAME: celeris.tensor_map_params = 1 : i64
// CHECK: %[[BARRIER:.+]] = llvm.inttoptr %{{.+}} : i32 to !llvm.ptr<3>
// CHECK: %[[BYTE:.+]] = arith.addi %{{.+}}, %c2048_i32 : i32
// CHECK: %[[DST:.+]] = llvm.inttoptr %[[BYTE]] : i32 to !llvm.ptr<3>
// CHECK: %[[CLUSTER:.+]] = llvm.addrspacecast %[[DST]] : !llvm.ptr<3> to !llvm.ptr<7>
// CHECK: %[[Y:.+]] = arith.index_cast %[[ROW]] : index to i32
// CHECK: nvvm.cp.async.bulk.tensor.shared.cluster.global %[[CLUSTER]], %[[MAP]], %[[BARRIER]], box[%c64_i32, %[[Y]]]
gpu.module @blocks {
  gpu.func @copy(%src: memref<?x128xbf16>, %r: index) kernel attributes {
      celeris.test_block = "tensor-map-argument",
      celeris.arg_names = ["src", "r"],
      celeris.launch = {block = array<i32: 128, 1, 1>}} {
    gpu.return
  }
}
