// RUN: celeris-opt %s -test-celeris-kernel-blocks -canonicalize -cse -split-input-file | FileCheck %s

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

// -----

// A 64 x 128 swizzled tile is two copies of 64-column blocks: the second
// 64 x 64 elements (8 KB) after the first in shared memory, 64 columns
// further in the tensor; coordinates innermost first (column, row, outer).
// CHECK-LABEL: gpu.func @tile
// CHECK: arith.addi %{{.+}}, %c8192_i32 : i32
// CHECK: %[[C:.+]] = arith.index_cast %arg2 : index to i32
// CHECK: %[[R:.+]] = arith.index_cast %arg1 : index to i32
// CHECK: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.+}}, %arg0, %{{.+}}, box[%[[C]], %[[R]], %c3_i32]
// CHECK: %[[NEXT:.+]] = arith.addi %arg2, %c64 : index
// CHECK: arith.addi %{{.+}}, %c16384_i32 : i32
// CHECK: %[[C1:.+]] = arith.index_cast %[[NEXT]] : index to i32
// CHECK: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.+}}, %arg0, %{{.+}}, box[%[[C1]], %[[R]], %c3_i32]
// CHECK-NOT: nvvm.cp.async.bulk.tensor
gpu.module @blocks {
  gpu.func @tile(%map: !llvm.ptr, %row: index, %column: index) kernel attributes {
      celeris.test_block = "swizzled-tile-copy"} {
    gpu.return
  }
}
