// RUN: celeris-opt %s -celeris-decompose-composites -split-input-file | FileCheck %s

// MLA, naive form: two up-projections (f32 accumulation, back to bf16), the
// rotary key broadcast over heads, the concatenated key and query, and one
// celeris.attention with H key/value heads, the default scale
// 1/sqrt(Dn + Dr) = 1/sqrt(24) made explicit, and lse.

// CHECK-DAG:   #[[LATENT:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d4)>
// CHECK-DAG:   #[[W:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d4, d3)>
// CHECK-LABEL: func @mla
// CHECK-SAME:    (%[[QN:.+]]: tensor<2x4x3x16xbf16>, %[[QR:.+]]: tensor<2x4x3x8xbf16>, %[[C:.+]]: tensor<2x10x32xbf16>, %[[KR:.+]]: tensor<2x10x8xbf16>, %[[WUK:.+]]: tensor<4x32x16xbf16>, %[[WUV:.+]]: tensor<4x32x12xbf16>)
// CHECK:       [[KNF:%.+]] = linalg.generic {indexing_maps = [#[[LATENT]], #[[W]], #{{.*}}]
// CHECK-SAME:    ins(%[[C]], %[[WUK]] : tensor<2x10x32xbf16>, tensor<4x32x16xbf16>) outs(%{{.*}} : tensor<2x4x10x16xf32>)
// CHECK:       [[KN:%.+]] = linalg.generic {{.*}} ins([[KNF]] : tensor<2x4x10x16xf32>) outs(%{{.*}} : tensor<2x4x10x16xbf16>)
// CHECK:         arith.truncf
// CHECK:       [[VF:%.+]] = linalg.generic {{.*}} ins(%[[C]], %[[WUV]] :
// CHECK:       [[V:%.+]] = linalg.generic {{.*}} ins([[VF]] : tensor<2x4x10x12xf32>)
// CHECK:       [[KRH:%.+]] = linalg.generic {{.*}} ins(%[[KR]] : tensor<2x10x8xbf16>) outs(%{{.*}} : tensor<2x4x10x8xbf16>)
// CHECK:       [[K:%.+]] = tensor.concat dim(3) [[KN]], [[KRH]] : (tensor<2x4x10x16xbf16>, tensor<2x4x10x8xbf16>) -> tensor<2x4x10x24xbf16>
// CHECK:       [[Q:%.+]] = tensor.concat dim(3) %[[QN]], %[[QR]] : (tensor<2x4x3x16xbf16>, tensor<2x4x3x8xbf16>) -> tensor<2x4x3x24xbf16>
// CHECK:       [[O:%.+]], [[LSE:%.+]] = celeris.attention [[Q]], [[K]], [[V]] mask <causal> scale 0.204124{{[0-9]*}} query_offset 7 :
// CHECK-SAME:    -> tensor<2x4x3x12xbf16>, tensor<2x4x3xf32>
// CHECK:       return [[O]], [[LSE]]
// CHECK-NOT:   celeris.mla
func.func @mla(%qn: tensor<2x4x3x16xbf16>, %qr: tensor<2x4x3x8xbf16>, %c: tensor<2x10x32xbf16>,
               %kr: tensor<2x10x8xbf16>, %wuk: tensor<4x32x16xbf16>, %wuv: tensor<4x32x12xbf16>)
    -> (tensor<2x4x3x12xbf16>, tensor<2x4x3xf32>) {
  %o, %lse = celeris.mla %qn, %qr, %c, %kr mask <causal> query_offset 7
      up_proj(%wuk, %wuv : tensor<4x32x16xbf16>, tensor<4x32x12xbf16>) :
      tensor<2x4x3x16xbf16>, tensor<2x4x3x8xbf16>, tensor<2x10x32xbf16>, tensor<2x10x8xbf16>
      -> tensor<2x4x3x12xbf16>, tensor<2x4x3xf32>
  return %o, %lse : tensor<2x4x3x12xbf16>, tensor<2x4x3xf32>
}

// -----

// An explicit scale is kept; f32 needs no conversion of the projections.
// CHECK-LABEL: func @mla_f32_scale
// CHECK-NOT:   arith.truncf
// CHECK:       celeris.attention {{.*}} scale 5.000000e-01 :
// CHECK-SAME:    -> tensor<1x2x1x4xf32>{{$}}
func.func @mla_f32_scale(%qn: tensor<1x2x1x4xf32>, %qr: tensor<1x2x1x2xf32>, %c: tensor<1x5x6xf32>,
                         %kr: tensor<1x5x2xf32>, %wuk: tensor<2x6x4xf32>, %wuv: tensor<2x6x4xf32>)
    -> tensor<1x2x1x4xf32> {
  %o = celeris.mla %qn, %qr, %c, %kr scale 0.5
      up_proj(%wuk, %wuv : tensor<2x6x4xf32>, tensor<2x6x4xf32>) :
      tensor<1x2x1x4xf32>, tensor<1x2x1x2xf32>, tensor<1x5x6xf32>, tensor<1x5x2xf32>
      -> tensor<1x2x1x4xf32>
  return %o : tensor<1x2x1x4xf32>
}

// -----

// NSA (S = 20, l = 4, d = 2, l' = 8 so NSB = 3, n = 2, w = 5, 4 query heads
// over 2 KV heads): the compressed branch in linalg (visibility c*2 + 3 <= t),
// the importance pooled over the GQA group of the expanded per-head scores,
// topk_blocks with causal eligibility over [1, 8] blocks, the layout
// broadcast to the query heads, the selected and window attentions, and the
// gated sum.

// CHECK-LABEL: func @nsa
// CHECK-SAME:    (%[[Q:.+]]: tensor<1x4x20x8xf32>, %[[K:.+]]: tensor<1x2x20x8xf32>, %[[V:.+]]: tensor<1x2x20x6xf32>, %[[KC:.+]]: tensor<1x2x9x8xf32>, %[[VC:.+]]: tensor<1x2x9x6xf32>, %[[G:.+]]: tensor<1x4x20x3xf32>)
// CHECK:       linalg.generic {{.*}} ins(%[[Q]], %[[KC]] :
// CHECK:         arith.cmpi sle
// CHECK:       math.exp
// CHECK:       [[PROBS:%.+]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x4x20x9xf32>, tensor<1x4x20xf32>) outs(%{{.*}} : tensor<1x4x20x9xf32>)
// CHECK:       [[OCMP:%.+]] = linalg.generic {{.*}} ins([[PROBS]], %[[VC]] :
// CHECK:       [[PERHEAD:%.+]] = linalg.generic {{.*}} ins([[PROBS]] : tensor<1x4x20x9xf32>) outs(%{{.*}} : tensor<1x4x20x3xf32>)
// CHECK:       [[GROUPED:%.+]] = tensor.expand_shape [[PERHEAD]] {{\[}}[0], [1, 2], [3], [4]] {{.*}} into tensor<1x2x2x20x3xf32>
// CHECK:       [[IMP:%.+]] = linalg.generic {{.*}} ins([[GROUPED]] : tensor<1x2x2x20x3xf32>) outs(%{{.*}} : tensor<1x2x20x3xf32>)
// CHECK:       [[CNT:%.+]], [[IDX:%.+]] = celeris.topk_blocks [[IMP]] k 2 mask <causal> block_size [1, 8] query_offset 0 : tensor<1x2x20x3xf32> -> tensor<1x2x20xi32>, tensor<1x2x20x2xi32>
// CHECK:       [[CNTQ:%.+]] = linalg.generic {{.*}} ins([[CNT]] : tensor<1x2x20xi32>) outs(%{{.*}} : tensor<1x4x20xi32>)
// CHECK:       [[IDXQ:%.+]] = linalg.generic {{.*}} ins([[IDX]] : tensor<1x2x20x2xi32>) outs(%{{.*}} : tensor<1x4x20x2xi32>)
// CHECK:       [[OSLC:%.+]] = celeris.attention %[[Q]], %[[K]], %[[V]] block_layout([[CNTQ]], [[IDXQ]] : tensor<1x4x20xi32>, tensor<1x4x20x2xi32>) mask <causal> scale 0.353553{{[0-9]*}} block_size [1, 8] :
// CHECK:       [[OWIN:%.+]] = celeris.attention %[[Q]], %[[K]], %[[V]] mask <window<left = 4, right = 0>> scale 0.353553{{[0-9]*}} :
// CHECK:       [[OUT:%.+]] = linalg.generic {{.*}} ins([[OCMP]], [[OSLC]], [[OWIN]], %[[G]], %[[G]], %[[G]] :
// CHECK:       return [[OUT]]
// CHECK-NOT:   celeris.nsa
func.func @nsa(%q: tensor<1x4x20x8xf32>, %k: tensor<1x2x20x8xf32>, %v: tensor<1x2x20x6xf32>,
               %kc: tensor<1x2x9x8xf32>, %vc: tensor<1x2x9x6xf32>, %g: tensor<1x4x20x3xf32>)
    -> tensor<1x4x20x6xf32> {
  %o = celeris.nsa %q, %k, %v compressed(%kc, %vc : tensor<1x2x9x8xf32>, tensor<1x2x9x6xf32>)
      gates(%g : tensor<1x4x20x3xf32>) cmp_block 4 cmp_stride 2 select_block 8 select_count 2
      window 5 : tensor<1x4x20x8xf32>, tensor<1x2x20x8xf32>, tensor<1x2x20x6xf32> -> tensor<1x4x20x6xf32>
  return %o : tensor<1x4x20x6xf32>
}

// -----

// More selected blocks than there are: k is bounded by NSB (= 2).
// CHECK-LABEL: func @nsa_few_blocks
// CHECK:       celeris.topk_blocks {{.*}} k 2 mask <causal> block_size [1, 8]
func.func @nsa_few_blocks(%q: tensor<1x1x16x8xbf16>, %kc: tensor<1x1x7x8xbf16>, %g: tensor<1x1x16x3xbf16>)
    -> tensor<1x1x16x8xbf16> {
  %o = celeris.nsa %q, %q, %q compressed(%kc, %kc : tensor<1x1x7x8xbf16>, tensor<1x1x7x8xbf16>)
      gates(%g : tensor<1x1x16x3xbf16>) cmp_block 4 cmp_stride 2 select_block 8 select_count 16
      window 4 : tensor<1x1x16x8xbf16>, tensor<1x1x16x8xbf16>, tensor<1x1x16x8xbf16> -> tensor<1x1x16x8xbf16>
  return %o : tensor<1x1x16x8xbf16>
}
