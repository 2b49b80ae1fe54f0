// RUN: celeris-opt %s -convert-celeris-to-linalg -split-input-file -verify-diagnostics | FileCheck %s

// GQA (8 query heads over 2 KV heads) with a causal mask and lse: scores,
// mask from linalg.index, row max, guarded exponentials, row sum, weighted
// values, normalisation, lse.

// CHECK-DAG: #[[KV:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 floordiv 4, d3, d4)>
// CHECK-LABEL: func @gqa_causal
// CHECK:       linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK-SAME:    ins(%{{.*}}, %{{.*}} : tensor<2x8x16x32xbf16>, tensor<2x2x24x32xbf16>)
// CHECK:         arith.extf
// CHECK:       linalg.generic
// CHECK:         linalg.index 2
// CHECK:         linalg.index 3
// CHECK:         arith.cmpi sle
// CHECK:         arith.select
// CHECK:       arith.maximumf
// CHECK:       math.exp
// CHECK:       linalg.generic
// CHECK:         arith.addf
// CHECK:       linalg.generic
// CHECK:       linalg.generic
// CHECK:         arith.divf
// CHECK:         arith.truncf
// CHECK:       linalg.generic
// CHECK:         math.log
// CHECK-NOT:   celeris.attention
func.func @gqa_causal(%q: tensor<2x8x16x32xbf16>, %k: tensor<2x2x24x32xbf16>, %v: tensor<2x2x24x32xbf16>)
    -> (tensor<2x8x16x32xbf16>, tensor<2x8x16xf32>) {
  %o, %lse = celeris.attention %q, %k, %v mask <causal>
      : tensor<2x8x16x32xbf16>, tensor<2x2x24x32xbf16>, tensor<2x2x24x32xbf16>
      -> tensor<2x8x16x32xbf16>, tensor<2x8x16xf32>
  return %o, %lse : tensor<2x8x16x32xbf16>, tensor<2x8x16xf32>
}

// -----

// Dynamic sequence lengths: the default query offset Sk - Sq is computed
// from tensor.dim; an unmasked op evaluates no predicate.
// CHECK-LABEL: func @dynamic
// CHECK:       tensor.dim
// CHECK:       arith.subi
// CHECK:       arith.floordivsi
// CHECK-LABEL: func @unmasked
// CHECK-NOT:   linalg.index
func.func @dynamic(%q: tensor<1x4x?x64xf32>, %k: tensor<1x4x?x64xf32>) -> tensor<1x4x?x64xf32> {
  %o = celeris.attention %q, %k, %k mask <intersect(causal, chunked<128>)>
      : tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32> -> tensor<1x4x?x64xf32>
  return %o : tensor<1x4x?x64xf32>
}
func.func @unmasked(%q: tensor<1x4x8x64xf32>) -> tensor<1x4x8x64xf32> {
  %o = celeris.attention %q, %q, %q : tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32> -> tensor<1x4x8x64xf32>
  return %o : tensor<1x4x8x64xf32>
}

// -----

func.func @segment_ids(%q: tensor<1x4x8x64xf32>, %ids: tensor<1x8xi32>) -> tensor<1x4x8x64xf32> {
  // expected-error @+1 {{'celeris.attention' op cannot be lowered by convert-celeris-to-linalg: it has segment ids, which the reference lowering does not handle yet}}
  %o = celeris.attention %q, %q, %q segment_ids(%ids, %ids : tensor<1x8xi32>, tensor<1x8xi32>)
      : tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32> -> tensor<1x4x8x64xf32>
  return %o : tensor<1x4x8x64xf32>
}

// -----

func.func @dynamic_heads(%q: tensor<1x?x8x64xf32>) -> tensor<1x?x8x64xf32> {
  // expected-error @+1 {{it has dynamic head counts; the reference lowering needs static query and key/value head counts}}
  %o = celeris.attention %q, %q, %q : tensor<1x?x8x64xf32>, tensor<1x?x8x64xf32>, tensor<1x?x8x64xf32> -> tensor<1x?x8x64xf32>
  return %o : tensor<1x?x8x64xf32>
}

// -----

func.func @route(%l: tensor<4x8xf32>) -> (tensor<4x2xf32>, tensor<4x2xi32>) {
  // expected-error @+1 {{'celeris.route' op cannot be lowered by convert-celeris-to-linalg: it has no reference lowering yet}}
  %w, %e = celeris.route %l k 2 : tensor<4x8xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  return %w, %e : tensor<4x2xf32>, tensor<4x2xi32>
}
