// RUN: celeris-opt %s -test-celeris-kernel-blocks -canonicalize -cse -split-input-file | FileCheck %s

// A 64 x 128 tile, 128 threads, 16-byte chunks: 16 chunks a row, 8 rows a
// pass, 8 passes. Swizzled: chunk c of row r at c ^ (r % 8) in column block
// c / 8 (64 rows x 128 bytes = 4096 elements per block); one offset per
// thread, plus 8 rows x 64 elements per pass. Rows past the limit copy 0
// bytes from a clamped row.
// CHECK-LABEL: gpu.func @swizzled
// CHECK: %[[BASE:.+]] = arith.andi %{{.+}}, %c-1024 : index
// CHECK: %[[VIEW:.+]] = memref.view
// CHECK: %[[ROW:.+]] = arith.divui %{{.+}}, %c16 : index
// CHECK: %[[CHUNK:.+]] = arith.remui %{{.+}}, %c16 : index
// CHECK: %[[COL:.+]] = arith.muli %[[CHUNK]], %c8 : index
// CHECK: arith.xori
// CHECK: %[[LAST:.+]] = arith.subi %arg2, %c1 : index
// CHECK: %[[R:.+]] = arith.addi %arg1, %[[ROW]] : index
// CHECK: %[[IN:.+]] = arith.cmpi slt, %[[R]], %arg2 : index
// CHECK: %[[MIN:.+]] = arith.minsi %[[R]], %[[LAST]] : index
// CHECK: %[[CLAMPED:.+]] = arith.maxsi %[[MIN]], %c0 : index
// CHECK: %[[COUNT:.+]] = arith.select %[[IN]], %c8, %c0 : index
// CHECK: nvgpu.device_async_copy %arg0[%c0, %c0, %[[CLAMPED]], %[[COL]]], %[[VIEW]][%{{.+}}], 8, %[[COUNT]] {bypassL1}
// CHECK: arith.addi %{{.+}}, %c512 : index
// CHECK-COUNT-6: nvgpu.device_async_copy
// CHECK: nvgpu.device_async_create_group
gpu.module @blocks {
  gpu.func @swizzled(%src: memref<?x?x?x128xbf16>, %row0: index, %limit: index) kernel attributes {celeris.test_block = "tile-loader-swizzled"} {
    gpu.return
  }
}

// -----

// Padded: rows of 128 + 8 elements, no swizzle: 8 rows x 136 per pass.
// CHECK-LABEL: gpu.func @padded
// CHECK-NOT: arith.xori
// CHECK: %[[ROW:.+]] = arith.divui %{{.+}}, %c16 : index
// CHECK: arith.muli %[[ROW]], %c136 : index
// CHECK: nvgpu.device_async_copy
// CHECK: arith.addi %{{.+}}, %c1088 : index
// CHECK: nvgpu.device_async_copy
gpu.module @blocks {
  gpu.func @padded(%src: memref<?x?x?x128xbf16>, %row0: index, %limit: index) kernel attributes {celeris.test_block = "tile-loader-padded"} {
    gpu.return
  }
}

// -----

// wgmma descriptors: (address >> 4) plus constant layout bits: 128-byte
// swizzle (bit 62), stride 1024 bytes; K-major with leading offset 16
// bytes, MN-major with the column-block distance 128 rows x 128 bytes.
// CHECK-LABEL: gpu.func @descriptors
// CHECK: %[[BASE:.+]] = arith.andi %{{.+}}, %c-1024 : index
// CHECK: %[[A:.+]] = arith.index_cast %[[BASE]] : index to i64
// CHECK: %[[A4:.+]] = arith.shrui %[[A]], %c4_i64 : i64
// CHECK: %[[K:.+]] = arith.addi %[[A4]], %c4611686293305360384_i64 : i64
// CHECK: arith.addi %[[BASE]], %c32768 : index
// CHECK: %[[MN:.+]] = arith.addi %{{.+}}, %c4611686293372403712_i64 : i64
// CHECK: memref.store %[[K]], %arg0[%c0]
// CHECK: memref.store %[[MN]], %arg0[%c1]
gpu.module @blocks {
  gpu.func @descriptors(%out: memref<?xi64>) kernel attributes {celeris.test_block = "wgmma-descriptor"} {
    gpu.return
  }
}

// -----

// K slices of weights: src[0, k0 + r, column0 + c] into a 64 x 128 tile;
// 8-column chunks at or past the column limit read nothing, from a column
// clamped into the tensor.
// CHECK-LABEL: gpu.func @columns
// CHECK: %[[COL:.+]] = arith.addi %arg2, %{{.+}} : index
// CHECK: %[[INCOL:.+]] = arith.cmpi slt, %[[COL]], %arg3 : index
// CHECK: %[[OK:.+]] = arith.andi %{{.+}}, %[[INCOL]] : i1
// CHECK: %[[LASTCOL:.+]] = arith.subi %arg3, %c8 : index
// CHECK: %[[CLAMPED:.+]] = arith.minsi %[[COL]], %[[LASTCOL]] : index
// CHECK: %[[COUNT:.+]] = arith.select %[[OK]], %c8, %c0 : index
// CHECK: nvgpu.device_async_copy %arg0[%c0, %{{.+}}, %[[CLAMPED]]], %{{.+}}[%{{.+}}], 8, %[[COUNT]] {bypassL1}
// The column terms are the same on every pass.
// CHECK: arith.andi %{{.+}}, %[[INCOL]] : i1
gpu.module @blocks {
  gpu.func @columns(%src: memref<?x512x?xbf16>, %k0: index, %column0: index, %limit: index) kernel attributes {celeris.test_block = "tile-loader-columns"} {
    gpu.return
  }
}
