// RUN: celeris-opt %s | celeris-opt | FileCheck %s
// RUN: celeris-opt %s --mlir-print-op-generic | celeris-opt | FileCheck %s

// CHECK-LABEL: func @nsa_static
func.func @nsa_static(%q: tensor<1x64x4096x128xbf16>,
                      %k: tensor<1x4x4096x128xbf16>,
                      %v: tensor<1x4x4096x128xbf16>,
                      %kc: tensor<1x4x255x128xbf16>,
                      %vc: tensor<1x4x255x128xbf16>,
                      %g: tensor<1x64x4096x3xbf16>) -> tensor<1x64x4096x128xbf16> {
  // CHECK: celeris.nsa %{{.*}}, %{{.*}}, %{{.*}} compressed(%{{.*}}, %{{.*}} : tensor<1x4x255x128xbf16>, tensor<1x4x255x128xbf16>)
  // CHECK-SAME: gates(%{{.*}} : tensor<1x64x4096x3xbf16>)
  // CHECK-SAME: cmp_block 32 cmp_stride 16 select_block 64 select_count 16 window 512 :
  // CHECK-SAME: tensor<1x64x4096x128xbf16>, tensor<1x4x4096x128xbf16>, tensor<1x4x4096x128xbf16> -> tensor<1x64x4096x128xbf16>
  %out = celeris.nsa %q, %k, %v
      compressed(%kc, %vc : tensor<1x4x255x128xbf16>, tensor<1x4x255x128xbf16>)
      gates(%g : tensor<1x64x4096x3xbf16>)
      cmp_block 32 cmp_stride 16 select_block 64 select_count 16 window 512 :
      tensor<1x64x4096x128xbf16>, tensor<1x4x4096x128xbf16>,
      tensor<1x4x4096x128xbf16> -> tensor<1x64x4096x128xbf16>
  return %out : tensor<1x64x4096x128xbf16>
}

// Short sequence (S < cmp_block: no compressed token), scale, Dv != D.
// CHECK-LABEL: func @nsa_short_scale
func.func @nsa_short_scale(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x16x64xf32>,
                           %v: tensor<2x2x16x32xf32>, %kc: tensor<2x2x0x64xf32>,
                           %vc: tensor<2x2x0x32xf32>,
                           %g: tensor<2x8x16x3xf32>) -> tensor<2x8x16x32xf32> {
  // CHECK: celeris.nsa
  // CHECK-SAME: cmp_block 32 cmp_stride 16 select_block 16 select_count 2 window 8 scale 1.250000e-01 :
  // CHECK-SAME: -> tensor<2x8x16x32xf32>
  %out = celeris.nsa %q, %k, %v
      compressed(%kc, %vc : tensor<2x2x0x64xf32>, tensor<2x2x0x32xf32>)
      gates(%g : tensor<2x8x16x3xf32>)
      cmp_block 32 cmp_stride 16 select_block 16 select_count 2 window 8
      scale 0.125 :
      tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>, tensor<2x2x16x32xf32>
      -> tensor<2x8x16x32xf32>
  return %out : tensor<2x8x16x32xf32>
}

// CHECK-LABEL: func @nsa_dynamic
func.func @nsa_dynamic(%q: tensor<?x?x?x128xf16>, %k: tensor<?x?x?x128xf16>,
                       %v: tensor<?x?x?x128xf16>, %kc: tensor<?x?x?x128xf16>,
                       %vc: tensor<?x?x?x128xf16>,
                       %g: tensor<?x?x?x3xf16>) -> tensor<?x?x?x128xf16> {
  // CHECK: celeris.nsa
  // CHECK-SAME: -> tensor<?x?x?x128xf16>
  %out = celeris.nsa %q, %k, %v
      compressed(%kc, %vc : tensor<?x?x?x128xf16>, tensor<?x?x?x128xf16>)
      gates(%g : tensor<?x?x?x3xf16>)
      cmp_block 32 cmp_stride 16 select_block 64 select_count 16 window 512 :
      tensor<?x?x?x128xf16>, tensor<?x?x?x128xf16>, tensor<?x?x?x128xf16>
      -> tensor<?x?x?x128xf16>
  return %out : tensor<?x?x?x128xf16>
}

// Decode over the compressed cache, absorbed-friendly shapes of DeepSeek-V3.
// CHECK-LABEL: func @mla_decode
func.func @mla_decode(%qn: tensor<4x128x1x128xbf16>, %qr: tensor<4x128x1x64xbf16>,
                      %c: tensor<4x8192x512xbf16>, %kr: tensor<4x8192x64xbf16>,
                      %wuk: tensor<128x512x128xbf16>,
                      %wuv: tensor<128x512x128xbf16>)
    -> (tensor<4x128x1x128xbf16>, tensor<4x128x1xf32>) {
  // CHECK: %{{.*}}, %{{.*}} = celeris.mla %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} mask <causal>
  // CHECK-SAME: up_proj(%{{.*}}, %{{.*}} : tensor<128x512x128xbf16>, tensor<128x512x128xbf16>) :
  // CHECK-SAME: tensor<4x128x1x128xbf16>, tensor<4x128x1x64xbf16>, tensor<4x8192x512xbf16>, tensor<4x8192x64xbf16> -> tensor<4x128x1x128xbf16>, tensor<4x128x1xf32>
  %out, %lse = celeris.mla %qn, %qr, %c, %kr
      mask #celeris.mask<causal>
      up_proj(%wuk, %wuv : tensor<128x512x128xbf16>, tensor<128x512x128xbf16>) :
      tensor<4x128x1x128xbf16>, tensor<4x128x1x64xbf16>,
      tensor<4x8192x512xbf16>, tensor<4x8192x64xbf16>
      -> tensor<4x128x1x128xbf16>, tensor<4x128x1xf32>
  return %out, %lse : tensor<4x128x1x128xbf16>, tensor<4x128x1xf32>
}

// Default mask (all) is elided; no lse; Dv != Dn.
// CHECK-LABEL: func @mla_default_mask
func.func @mla_default_mask(%qn: tensor<1x2x8x16xf32>, %qr: tensor<1x2x8x4xf32>,
                            %c: tensor<1x8x32xf32>, %kr: tensor<1x8x4xf32>,
                            %wuk: tensor<2x32x16xf32>,
                            %wuv: tensor<2x32x24xf32>) -> tensor<1x2x8x24xf32> {
  // CHECK: celeris.mla
  // CHECK-NOT: mask
  // CHECK-SAME: up_proj(%{{.*}}, %{{.*}} : tensor<2x32x16xf32>, tensor<2x32x24xf32>) :
  // CHECK-SAME: -> tensor<1x2x8x24xf32>
  %out = celeris.mla %qn, %qr, %c, %kr
      up_proj(%wuk, %wuv : tensor<2x32x16xf32>, tensor<2x32x24xf32>) :
      tensor<1x2x8x16xf32>, tensor<1x2x8x4xf32>, tensor<1x8x32xf32>,
      tensor<1x8x4xf32> -> tensor<1x2x8x24xf32>
  return %out : tensor<1x2x8x24xf32>
}

// Chunked prefill: dynamic dims, scale and query offset.
// CHECK-LABEL: func @mla_dynamic_offset
func.func @mla_dynamic_offset(%qn: tensor<?x16x?x128xf16>, %qr: tensor<?x16x?x64xf16>,
                              %c: tensor<?x?x512xf16>, %kr: tensor<?x?x64xf16>,
                              %wuk: tensor<16x512x128xf16>,
                              %wuv: tensor<16x512x128xf16>)
    -> (tensor<?x16x?x128xf16>, tensor<?x16x?xf32>) {
  // CHECK: celeris.mla
  // CHECK-SAME: mask <window<left = 127, right = 0>> scale 6.250000e-02 query_offset 256
  // CHECK-SAME: up_proj(%{{.*}}, %{{.*}} : tensor<16x512x128xf16>, tensor<16x512x128xf16>) :
  // CHECK-SAME: -> tensor<?x16x?x128xf16>, tensor<?x16x?xf32>
  %out, %lse = celeris.mla %qn, %qr, %c, %kr
      mask #celeris.mask<window<left = 127, right = 0>> scale 0.0625
      query_offset 256
      up_proj(%wuk, %wuv : tensor<16x512x128xf16>, tensor<16x512x128xf16>) :
      tensor<?x16x?x128xf16>, tensor<?x16x?x64xf16>, tensor<?x?x512xf16>,
      tensor<?x?x64xf16> -> tensor<?x16x?x128xf16>, tensor<?x16x?xf32>
  return %out, %lse : tensor<?x16x?x128xf16>, tensor<?x16x?xf32>
}
