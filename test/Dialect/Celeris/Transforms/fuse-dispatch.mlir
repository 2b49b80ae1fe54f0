// RUN: celeris-opt %s -celeris-fuse-dispatch -split-input-file | FileCheck %s

// The permuted rows feed two grouped matmuls over the dispatch's offsets:
// both gather the token rows through one dispatch map.

// CHECK-LABEL: func @fused
// CHECK-SAME: (%[[X:.*]]: tensor<64x32xbf16>, %[[E:.*]]: tensor<64x2xi32>, %[[W:.*]]: tensor<8x32x16xbf16>, %[[U:.*]]: tensor<8x32x16xbf16>, %[[D:.*]]: tensor<8x32x32xbf16>)
// CHECK-NOT: celeris.dispatch %
// CHECK: %[[ROWS:.*]], %[[OFFS:.*]], %[[MAP:.*]] = celeris.dispatch_map %[[E]] num_experts 8 capacity 20 : tensor<64x2xi32> -> tensor<128xi32>, tensor<8xi32>, tensor<64x2xi32>
// CHECK: celeris.grouped_matmul %[[X]], %[[W]], %[[OFFS]] gather(%[[ROWS]] : tensor<128xi32>) swiglu(%[[U]] : tensor<8x32x16xbf16>) : tensor<64x32xbf16>, tensor<8x32x16xbf16>, tensor<8xi32> -> tensor<128x16xbf16>
// CHECK: celeris.grouped_matmul %[[X]], %[[D]], %[[OFFS]] gather(%[[ROWS]] : tensor<128xi32>) : tensor<64x32xbf16>, tensor<8x32x32xbf16>, tensor<8xi32> -> tensor<128x32xbf16>
// CHECK: return %{{.*}}, %{{.*}}, %[[MAP]]
func.func @fused(%x: tensor<64x32xbf16>, %e: tensor<64x2xi32>, %w: tensor<8x32x16xbf16>, %u: tensor<8x32x16xbf16>, %d: tensor<8x32x32xbf16>) -> (tensor<128x16xbf16>, tensor<128x32xbf16>, tensor<64x2xi32>) {
  %p, %o, %r = celeris.dispatch %x, %e num_experts 8 capacity 20
      : tensor<64x32xbf16>, tensor<64x2xi32> -> tensor<128x32xbf16>, tensor<8xi32>, tensor<64x2xi32>
  %h = celeris.grouped_matmul %p, %w, %o swiglu(%u : tensor<8x32x16xbf16>)
      : tensor<128x32xbf16>, tensor<8x32x16xbf16>, tensor<8xi32> -> tensor<128x16xbf16>
  %g = celeris.grouped_matmul %p, %d, %o
      : tensor<128x32xbf16>, tensor<8x32x32xbf16>, tensor<8xi32> -> tensor<128x32xbf16>
  return %h, %g, %r : tensor<128x16xbf16>, tensor<128x32xbf16>, tensor<64x2xi32>
}

// -----

// The permuted rows are also a result: the dispatch stays.

// CHECK-LABEL: func @returned
// CHECK: celeris.dispatch %
// CHECK-NOT: dispatch_map
// CHECK: celeris.grouped_matmul %{{.*}}, %{{.*}}, %{{.*}} :
func.func @returned(%x: tensor<64x32xbf16>, %e: tensor<64x2xi32>, %w: tensor<8x32x16xbf16>) -> (tensor<128x16xbf16>, tensor<128x32xbf16>) {
  %p, %o, %r = celeris.dispatch %x, %e num_experts 8
      : tensor<64x32xbf16>, tensor<64x2xi32> -> tensor<128x32xbf16>, tensor<8xi32>, tensor<64x2xi32>
  %h = celeris.grouped_matmul %p, %w, %o
      : tensor<128x32xbf16>, tensor<8x32x16xbf16>, tensor<8xi32> -> tensor<128x16xbf16>
  return %h, %p : tensor<128x16xbf16>, tensor<128x32xbf16>
}

// -----

// The grouped matmul's groups are not the dispatch's: the dispatch stays.

// CHECK-LABEL: func @other_offsets
// CHECK: celeris.dispatch %
// CHECK-NOT: gather
func.func @other_offsets(%x: tensor<64x32xbf16>, %e: tensor<64x2xi32>, %w: tensor<8x32x16xbf16>, %offsets: tensor<8xi32>) -> tensor<128x16xbf16> {
  %p, %o, %r = celeris.dispatch %x, %e num_experts 8
      : tensor<64x32xbf16>, tensor<64x2xi32> -> tensor<128x32xbf16>, tensor<8xi32>, tensor<64x2xi32>
  %h = celeris.grouped_matmul %p, %w, %offsets
      : tensor<128x32xbf16>, tensor<8x32x16xbf16>, tensor<8xi32> -> tensor<128x16xbf16>
  return %h : tensor<128x16xbf16>
}

// -----

// Nothing reads the permuted rows: only the map is computed.

// CHECK-LABEL: func @unused_rows
// CHECK-NOT: celeris.dispatch %
// CHECK: %{{.*}}, %[[OFFS:.*]], %[[MAP:.*]] = celeris.dispatch_map
// CHECK: return %[[OFFS]], %[[MAP]]
func.func @unused_rows(%x: tensor<64x32xbf16>, %e: tensor<64x2xi32>) -> (tensor<8xi32>, tensor<64x2xi32>) {
  %p, %o, %r = celeris.dispatch %x, %e num_experts 8
      : tensor<64x32xbf16>, tensor<64x2xi32> -> tensor<128x32xbf16>, tensor<8xi32>, tensor<64x2xi32>
  return %o, %r : tensor<8xi32>, tensor<64x2xi32>
}

// -----

// Another op (here a second dispatch) reads the permuted rows: the
// dispatch stays.

// CHECK-LABEL: func @read_elsewhere
// CHECK-COUNT-2: celeris.dispatch %
func.func @read_elsewhere(%x: tensor<64x32xbf16>, %e: tensor<64x2xi32>, %e2: tensor<128x1xi32>) -> tensor<128x32xbf16> {
  %p, %o, %r = celeris.dispatch %x, %e num_experts 8
      : tensor<64x32xbf16>, tensor<64x2xi32> -> tensor<128x32xbf16>, tensor<8xi32>, tensor<64x2xi32>
  %q, %o2, %r2 = celeris.dispatch %p, %e2 num_experts 8
      : tensor<128x32xbf16>, tensor<128x1xi32> -> tensor<128x32xbf16>, tensor<8xi32>, tensor<128x1xi32>
  return %q : tensor<128x32xbf16>
}
