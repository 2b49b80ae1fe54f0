// RUN: celeris-opt %s -celeris-decompose-composites -split-input-file -verify-diagnostics | FileCheck %s

// The whole layer: f32 router logits, route with every routing attribute,
// dispatch with the capacity, the gate and up grouped matmuls with the
// SwiGLU as one (the swiglu form: f32 products, one rounding to bf16), the
// down grouped matmul, combine, and the shared expert in f32 added before
// the final rounding.

// CHECK-LABEL: func @moe_shared
// CHECK-SAME:    (%[[X:[^:]+]]: tensor<?x16xbf16>, %[[R:[^:]+]]: tensor<16x8xf32>, %[[WG:[^:]+]]: tensor<8x16x32xbf16>, %[[WU:[^:]+]]: tensor<8x16x32xbf16>, %[[WD:[^:]+]]: tensor<8x32x16xbf16>, %[[B:[^:]+]]: tensor<8xf32>, %[[SG:[^:]+]]: tensor<16x24xbf16>, %[[SU:[^:]+]]: tensor<16x24xbf16>, %[[SD:[^:]+]]: tensor<24x16xbf16>)
// CHECK:         %[[LOGITS:.+]] = linalg.matmul ins(%[[X]], %[[R]] : tensor<?x16xbf16>, tensor<16x8xf32>) outs({{.*}} : tensor<?x8xf32>)
// CHECK:         %[[W:.+]], %[[IDS:.+]] = celeris.route %[[LOGITS]] bias(%[[B]] : tensor<8xf32>) k 2 score_func sigmoid renormalize num_groups 4 topk_groups 2 scaling_factor 2.500000e+00 : tensor<?x8xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
// CHECK:         %[[P:.+]], %[[OFFS:.+]], %[[RMAP:.+]] = celeris.dispatch %[[X]], %[[IDS]] num_experts 8 capacity 3 : tensor<?x16xbf16>, tensor<?x2xi32> -> tensor<?x16xbf16>, tensor<8xi32>, tensor<?x2xi32>
// CHECK:         %[[H:.+]] = celeris.grouped_matmul %[[P]], %[[WG]], %[[OFFS]] swiglu(%[[WU]] : tensor<8x16x32xbf16>) {{.*}} -> tensor<?x32xbf16>
// CHECK:         %[[DOWN:.+]] = celeris.grouped_matmul %[[H]], %[[WD]], %[[OFFS]] {{.*}} -> tensor<?x16xbf16>
// CHECK:         %[[ROUTED:.+]] = celeris.combine %[[DOWN]], %[[W]], %[[RMAP]] {{.*}} -> tensor<?x16xbf16>
// CHECK:         %[[SGATE:.+]] = linalg.matmul ins(%[[X]], %[[SG]] : {{.*}}) outs({{.*}} : tensor<?x24xf32>)
// CHECK:         %[[SUP:.+]] = linalg.matmul ins(%[[X]], %[[SU]] : {{.*}}) outs({{.*}} : tensor<?x24xf32>)
// CHECK:         %[[SH:.+]] = linalg.generic {{.*}} ins(%[[SGATE]], %[[SUP]] : {{.*}}) outs({{.*}} : tensor<?x24xf32>)
// CHECK-NOT:       arith.truncf
// CHECK:         %[[SHARED:.+]] = linalg.matmul ins(%[[SH]], %[[SD]] : tensor<?x24xf32>, tensor<24x16xbf16>) outs({{.*}} : tensor<?x16xf32>)
// CHECK:         %[[OUT:.+]] = linalg.generic {{.*}} ins(%[[ROUTED]], %[[SHARED]] : tensor<?x16xbf16>, tensor<?x16xf32>) outs({{.*}} : tensor<?x16xbf16>)
// CHECK:           arith.extf
// CHECK:           arith.addf
// CHECK:           arith.truncf
// CHECK:         return %[[OUT]]
func.func @moe_shared(%x: tensor<?x16xbf16>, %r: tensor<16x8xf32>, %wg: tensor<8x16x32xbf16>,
                      %wu: tensor<8x16x32xbf16>, %wd: tensor<8x32x16xbf16>, %b: tensor<8xf32>,
                      %sg: tensor<16x24xbf16>, %su: tensor<16x24xbf16>, %sd: tensor<24x16xbf16>)
    -> tensor<?x16xbf16> {
  %o = celeris.moe %x, %r, %wg, %wu, %wd bias(%b : tensor<8xf32>)
      shared(%sg, %su, %sd : tensor<16x24xbf16>, tensor<16x24xbf16>, tensor<24x16xbf16>)
      k 2 score_func sigmoid renormalize num_groups 4 topk_groups 2 scaling_factor 2.5 capacity 3
      : tensor<?x16xbf16>, tensor<16x8xf32>, tensor<8x16x32xbf16>, tensor<8x16x32xbf16>,
        tensor<8x32x16xbf16> -> tensor<?x16xbf16>
  return %o : tensor<?x16xbf16>
}

// -----

// Without shared experts the layer is the combine; static T gives T * k
// permuted rows; f32 needs no rounding. The number of experts is taken from
// whichever operand has it static.

// CHECK-LABEL: func @moe_routed_only
// CHECK-SAME:    (%[[X:[^:]+]]: tensor<4x16xf32>, %[[R:[^:]+]]: tensor<16x?xf32>
// CHECK:         %[[LOGITS:.+]] = linalg.matmul ins(%[[X]], %[[R]]
// CHECK:         %[[W:.+]], %[[IDS:.+]] = celeris.route %[[LOGITS]] k 2 : tensor<4x?xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
// CHECK:         %[[P:.+]], %[[OFFS:.+]], %[[RMAP:.+]] = celeris.dispatch %[[X]], %[[IDS]] num_experts 8 : {{.*}} -> tensor<8x16xf32>, tensor<8xi32>, tensor<4x2xi32>
// CHECK:         celeris.grouped_matmul %[[P]], {{.*}} swiglu
// CHECK-NOT:     linalg.generic
// CHECK:         %[[DOWN:.+]] = celeris.grouped_matmul
// CHECK:         %[[OUT:.+]] = celeris.combine %[[DOWN]], %[[W]], %[[RMAP]]
// CHECK-NOT:     linalg.matmul
// CHECK:         return %[[OUT]]
func.func @moe_routed_only(%x: tensor<4x16xf32>, %r: tensor<16x?xf32>, %wg: tensor<?x16x32xf32>,
                           %wd: tensor<8x32x16xf32>) -> tensor<4x16xf32> {
  %o = celeris.moe %x, %r, %wg, %wg, %wd k 2
      : tensor<4x16xf32>, tensor<16x?xf32>, tensor<?x16x32xf32>, tensor<?x16x32xf32>,
        tensor<8x32x16xf32> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}

// -----

// celeris.dispatch takes the number of experts as an attribute: a layer with
// no static expert count stays whole.

func.func @moe_dynamic_experts(%x: tensor<4x16xf32>, %r: tensor<16x?xf32>, %wg: tensor<?x16x32xf32>,
                               %wd: tensor<?x32x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'celeris.moe' op has a dynamic expert count (the router's dim 1 and the expert weights' dim 0): it decomposes into celeris.dispatch, which needs the count when compiling; give one of them a static extent}}
  %o = celeris.moe %x, %r, %wg, %wg, %wd k 2
      : tensor<4x16xf32>, tensor<16x?xf32>, tensor<?x16x32xf32>, tensor<?x16x32xf32>,
        tensor<?x32x16xf32> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}
