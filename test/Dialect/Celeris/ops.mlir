// RUN: celeris-opt %s | celeris-opt | FileCheck %s
// RUN: celeris-opt %s --mlir-print-op-generic | celeris-opt | FileCheck %s

// Round trip of the attention family and of every mask form.

// CHECK-LABEL: func @attention_full
func.func @attention_full(%q: tensor<2x16x128x64xbf16>, %k: tensor<2x16x128x64xbf16>,
                          %v: tensor<2x16x128x64xbf16>) -> tensor<2x16x128x64xbf16> {
  // CHECK: celeris.attention %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x16x128x64xbf16>, tensor<2x16x128x64xbf16>, tensor<2x16x128x64xbf16> -> tensor<2x16x128x64xbf16>
  %o = celeris.attention %q, %k, %v : tensor<2x16x128x64xbf16>, tensor<2x16x128x64xbf16>,
      tensor<2x16x128x64xbf16> -> tensor<2x16x128x64xbf16>
  return %o : tensor<2x16x128x64xbf16>
}

// CHECK-LABEL: func @attention_gqa_causal_lse
func.func @attention_gqa_causal_lse(%q: tensor<2x32x1024x128xf16>, %k: tensor<2x8x1024x128xf16>,
                                    %v: tensor<2x8x1024x96xf16>)
    -> (tensor<2x32x1024x96xf16>, tensor<2x32x1024xf32>) {
  // CHECK: %{{.*}}, %{{.*}} = celeris.attention %{{.*}} mask <causal> scale 1.250000e-01 softcap 3.000000e+01
  // CHECK-SAME: -> tensor<2x32x1024x96xf16>, tensor<2x32x1024xf32>
  %o, %lse = celeris.attention %q, %k, %v mask #celeris.mask<causal> scale 0.125 softcap 30.0
      : tensor<2x32x1024x128xf16>, tensor<2x8x1024x128xf16>, tensor<2x8x1024x96xf16>
      -> tensor<2x32x1024x96xf16>, tensor<2x32x1024xf32>
  return %o, %lse : tensor<2x32x1024x96xf16>, tensor<2x32x1024xf32>
}

// CHECK-LABEL: func @attention_decode_dynamic
func.func @attention_decode_dynamic(%q: tensor<?x32x1x128xbf16>, %k: tensor<?x8x?x128xbf16>,
                                    %v: tensor<?x8x?x128xbf16>, %lens: tensor<?xi32>)
    -> tensor<?x32x1x128xbf16> {
  // CHECK: celeris.attention %{{.*}} kv_lengths(%{{.*}} : tensor<?xi32>) mask <intersect(causal, window<left = 4095, right = 0>)> query_offset 8191
  %o = celeris.attention %q, %k, %v kv_lengths(%lens : tensor<?xi32>)
      mask <intersect(causal, window<left = 4095, right = 0>)> query_offset 8191
      : tensor<?x32x1x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16> -> tensor<?x32x1x128xbf16>
  return %o : tensor<?x32x1x128xbf16>
}

// CHECK-LABEL: func @attention_alibi_documents
func.func @attention_alibi_documents(%q: tensor<1x8x256x64xf32>, %k: tensor<1x8x256x64xf32>,
                                     %v: tensor<1x8x256x64xf32>, %slopes: tensor<8xf32>,
                                     %ids: tensor<1x256xi32>) -> tensor<1x8x256x64xf32> {
  // CHECK: celeris.attention %{{.*}} alibi(%{{.*}} : tensor<8xf32>) segment_ids(%{{.*}}, %{{.*}} : tensor<1x256xi32>, tensor<1x256xi32>) mask <causal>
  %o = celeris.attention %q, %k, %v alibi(%slopes : tensor<8xf32>)
      segment_ids(%ids, %ids : tensor<1x256xi32>, tensor<1x256xi32>) mask <causal>
      : tensor<1x8x256x64xf32>, tensor<1x8x256x64xf32>, tensor<1x8x256x64xf32> -> tensor<1x8x256x64xf32>
  return %o : tensor<1x8x256x64xf32>
}

// CHECK-LABEL: func @attention_varlen
func.func @attention_varlen(%q: tensor<1x16x?x128xbf16>, %k: tensor<1x4x?x128xbf16>,
                            %v: tensor<1x4x?x128xbf16>, %cu: tensor<5xi32>) -> tensor<1x16x?x128xbf16> {
  // CHECK: celeris.attention %{{.*}} varlen(%{{.*}}, %{{.*}} : tensor<5xi32>, tensor<5xi32>) mask <causal>
  %o = celeris.attention %q, %k, %v varlen(%cu, %cu : tensor<5xi32>, tensor<5xi32>) mask <causal>
      : tensor<1x16x?x128xbf16>, tensor<1x4x?x128xbf16>, tensor<1x4x?x128xbf16> -> tensor<1x16x?x128xbf16>
  return %o : tensor<1x16x?x128xbf16>
}

// CHECK-LABEL: func @attention_block_sparse
func.func @attention_block_sparse(%q: tensor<2x16x1000x64xbf16>, %k: tensor<2x16x1000x64xbf16>,
                                  %v: tensor<2x16x1000x64xbf16>, %counts: tensor<2x1x8xi32>,
                                  %indices: tensor<2x1x8x4xi32>) -> tensor<2x16x1000x64xbf16> {
  // CHECK: celeris.attention %{{.*}} block_layout(%{{.*}}, %{{.*}} : tensor<2x1x8xi32>, tensor<2x1x8x4xi32>) mask <causal> block_size [128, 128]
  %o = celeris.attention %q, %k, %v block_layout(%counts, %indices : tensor<2x1x8xi32>, tensor<2x1x8x4xi32>)
      mask <causal> block_size [128, 128]
      : tensor<2x16x1000x64xbf16>, tensor<2x16x1000x64xbf16>, tensor<2x16x1000x64xbf16> -> tensor<2x16x1000x64xbf16>
  return %o : tensor<2x16x1000x64xbf16>
}

// CHECK-LABEL: func @attention_paged
func.func @attention_paged(%q: tensor<4x32x1x128xbf16>, %kpool: tensor<512x8x16x128xbf16>,
                           %vpool: tensor<512x8x16x128xbf16>, %table: tensor<4x64xi32>,
                           %lens: tensor<4xi32>) -> (tensor<4x32x1x128xbf16>, tensor<4x32x1xf32>) {
  // CHECK: celeris.attention %{{.*}} kv_lengths(%{{.*}} : tensor<4xi32>) page_table(%{{.*}} : tensor<4x64xi32>) mask <causal>
  %o, %lse = celeris.attention %q, %kpool, %vpool kv_lengths(%lens : tensor<4xi32>)
      page_table(%table : tensor<4x64xi32>) mask <causal>
      : tensor<4x32x1x128xbf16>, tensor<512x8x16x128xbf16>, tensor<512x8x16x128xbf16>
      -> tensor<4x32x1x128xbf16>, tensor<4x32x1xf32>
  return %o, %lse : tensor<4x32x1x128xbf16>, tensor<4x32x1xf32>
}

// Every mask primitive and both combinators.
// CHECK-LABEL: func @masks
func.func @masks(%q: tensor<1x1x64x32xf32>) {
  // The default mask, all, is not printed.
  // CHECK: celeris.attention %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}} : tensor<1x1x64x32xf32>
  %0 = celeris.attention %q, %q, %q mask <all> : tensor<1x1x64x32xf32>, tensor<1x1x64x32xf32>, tensor<1x1x64x32xf32> -> tensor<1x1x64x32xf32>
  // CHECK: mask <none>
  %1 = celeris.attention %q, %q, %q mask <none> : tensor<1x1x64x32xf32>, tensor<1x1x64x32xf32>, tensor<1x1x64x32xf32> -> tensor<1x1x64x32xf32>
  // CHECK: mask <window<left = 16, right = 2>>
  %2 = celeris.attention %q, %q, %q mask <window<left = 16, right = 2>> : tensor<1x1x64x32xf32>, tensor<1x1x64x32xf32>, tensor<1x1x64x32xf32> -> tensor<1x1x64x32xf32>
  // CHECK: mask <sink<4>>
  %3 = celeris.attention %q, %q, %q mask <sink<4>> : tensor<1x1x64x32xf32>, tensor<1x1x64x32xf32>, tensor<1x1x64x32xf32> -> tensor<1x1x64x32xf32>
  // CHECK: mask <dilated<rate = 2, segment = 16>>
  %4 = celeris.attention %q, %q, %q mask <dilated<rate = 2, segment = 16>> : tensor<1x1x64x32xf32>, tensor<1x1x64x32xf32>, tensor<1x1x64x32xf32> -> tensor<1x1x64x32xf32>
  // CHECK: mask <strided<8>>
  %5 = celeris.attention %q, %q, %q mask <strided<8>> : tensor<1x1x64x32xf32>, tensor<1x1x64x32xf32>, tensor<1x1x64x32xf32> -> tensor<1x1x64x32xf32>
  // CHECK: mask <block_causal<16>>
  %6 = celeris.attention %q, %q, %q mask <block_causal<16>> : tensor<1x1x64x32xf32>, tensor<1x1x64x32xf32>, tensor<1x1x64x32xf32> -> tensor<1x1x64x32xf32>
  // CHECK: mask <prefix<10>>
  %7 = celeris.attention %q, %q, %q mask <prefix<10>> : tensor<1x1x64x32xf32>, tensor<1x1x64x32xf32>, tensor<1x1x64x32xf32> -> tensor<1x1x64x32xf32>
  // CHECK: mask <chunked<32>>
  %8 = celeris.attention %q, %q, %q mask <chunked<32>> : tensor<1x1x64x32xf32>, tensor<1x1x64x32xf32>, tensor<1x1x64x32xf32> -> tensor<1x1x64x32xf32>
  // CHECK: mask <global<[0, 31]>>
  %9 = celeris.attention %q, %q, %q mask <global<[0, 31]>> : tensor<1x1x64x32xf32>, tensor<1x1x64x32xf32>, tensor<1x1x64x32xf32> -> tensor<1x1x64x32xf32>
  // CHECK: mask <union(causal, sink<4>)>
  %10 = celeris.attention %q, %q, %q mask <union(causal, sink<4>)> : tensor<1x1x64x32xf32>, tensor<1x1x64x32xf32>, tensor<1x1x64x32xf32> -> tensor<1x1x64x32xf32>
  // CHECK: mask <intersect(causal, union(sink<4>, window<left = 8, right = 0>), chunked<32>)>
  %11 = celeris.attention %q, %q, %q mask <intersect(causal, union(sink<4>, window<left = 8, right = 0>), chunked<32>)> : tensor<1x1x64x32xf32>, tensor<1x1x64x32xf32>, tensor<1x1x64x32xf32> -> tensor<1x1x64x32xf32>
  // CHECK: mask <causal>
  %12 = celeris.attention %q, %q, %q mask <causal> : tensor<1x1x64x32xf32>, tensor<1x1x64x32xf32>, tensor<1x1x64x32xf32> -> tensor<1x1x64x32xf32>
  return
}

// CHECK-LABEL: func @block_layouts
func.func @block_layouts(%scores: tensor<2x16x16x16xf32>, %dyn: tensor<?x?x?x?xbf16>) {
  %sq = arith.constant 1000 : index
  %sk = arith.constant 1000 : index
  // CHECK: celeris.mask_block_layout %{{.*}}, %{{.*}} mask <causal> block_size [128, 128] : tensor<1x1x8xi32>, tensor<1x1x8x8xi32>
  %c, %i = celeris.mask_block_layout %sq, %sk mask <causal> block_size [128, 128]
      : tensor<1x1x8xi32>, tensor<1x1x8x8xi32>
  // CHECK: celeris.mask_block_layout %{{.*}}, %{{.*}} mask <window<left = 255, right = 0>> block_size [64, 128] query_offset 24 : tensor<1x1x?xi32>, tensor<1x1x?x?xi32>
  %c2, %i2 = celeris.mask_block_layout %sq, %sk mask <window<left = 255, right = 0>>
      block_size [64, 128] query_offset 24 : tensor<1x1x?xi32>, tensor<1x1x?x?xi32>
  // CHECK: celeris.topk_blocks %{{.*}} k 4 : tensor<2x16x16x16xf32> -> tensor<2x16x16xi32>, tensor<2x16x16x4xi32>
  %tc, %ti = celeris.topk_blocks %scores k 4 : tensor<2x16x16x16xf32> -> tensor<2x16x16xi32>, tensor<2x16x16x4xi32>
  // CHECK: celeris.topk_blocks %{{.*}} k 2 mask <causal> block_size [64, 64] query_offset 0 : tensor<?x?x?x?xbf16> -> tensor<?x?x?xi32>, tensor<?x?x?x2xi32>
  %dc, %di = celeris.topk_blocks %dyn k 2 mask <causal> block_size [64, 64] query_offset 0
      : tensor<?x?x?x?xbf16> -> tensor<?x?x?xi32>, tensor<?x?x?x2xi32>
  return
}
