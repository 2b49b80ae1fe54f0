// RUN: celeris-opt %s -celeris-gpu | FileCheck %s

// Segment ids: before the loop the CTA lists the key tiles whose ids meet
// its rows'. The 8 warps test the candidate tiles side by side (a flag per
// tile after the 2048-entry list: 0 dropped, 1 kept, 2 kept and full),
// then thread 0 lists the kept tiles in order with their flags after them
// and stores their count (entry 4096); every thread reads it. In the loop a
// listed tile is not empty and is full as its flag says: no test of the
// ids per visit unless the list overflowed.
// CHECK-LABEL: gpu.func @segments
// CHECK: %[[LIST:.+]] = memref.view %{{.+}} to memref<4097xi32, #gpu.address_space<workgroup>>
// CHECK: scf.for %{{.+}} = %{{.+}} to %[[N:.+]] step %c8 {
// CHECK: arith.select %{{.+}}, %c2_i32, %{{.+}} : i32
// CHECK: memref.store %{{.+}}, %[[LIST]][%{{.+}}]
// CHECK: gpu.barrier
// CHECK: scf.for %{{.+}} = %c0 to %[[N]] step %c1 iter_args(%{{.+}} = %c0_i32) -> (i32) {
// CHECK: memref.load %[[LIST]]
// CHECK: memref.store %{{.+}}, %[[LIST]][%{{.+}}]
// CHECK: memref.store %{{.+}}, %[[LIST]][%{{.+}}]
// CHECK: memref.store %{{.+}}, %[[LIST]][%c4096]
// CHECK: gpu.barrier
// CHECK: memref.load %[[LIST]][%c4096]
// CHECK: scf.for
// CHECK: %[[FULL:.+]] = arith.cmpi eq, %{{.+}}, %c2_i32
// CHECK-NEXT: scf.yield %false, %[[FULL]] : i1, i1
func.func @segments(%q: tensor<?x4x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>, %qid: tensor<?x?xi32>, %kid: tensor<?x?xi32>) -> tensor<?x4x?x128xbf16> {
  %o = celeris.attention %q, %k, %v segment_ids(%qid, %kid : tensor<?x?xi32>, tensor<?x?xi32>) mask <causal> : tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16> -> tensor<?x4x?x128xbf16>
  return %o : tensor<?x4x?x128xbf16>
}
