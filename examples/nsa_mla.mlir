// Attention composites: DeepSeek's native sparse attention and multi-head
// latent attention over the compressed KV cache.

func.func @nsa(%q: tensor<1x64x4096x128xbf16>, %k: tensor<1x4x4096x128xbf16>,
               %v: tensor<1x4x4096x128xbf16>, %k_cmp: tensor<1x4x255x128xbf16>,
               %v_cmp: tensor<1x4x255x128xbf16>, %gates: tensor<1x64x4096x3xbf16>)
    -> tensor<1x64x4096x128xbf16> {
  %o = celeris.nsa %q, %k, %v
      compressed(%k_cmp, %v_cmp : tensor<1x4x255x128xbf16>, tensor<1x4x255x128xbf16>)
      gates(%gates : tensor<1x64x4096x3xbf16>)
      cmp_block 32 cmp_stride 16 select_block 64 select_count 16 window 512
      : tensor<1x64x4096x128xbf16>, tensor<1x4x4096x128xbf16>, tensor<1x4x4096x128xbf16>
      -> tensor<1x64x4096x128xbf16>
  return %o : tensor<1x64x4096x128xbf16>
}

func.func @mla_decode(%q_nope: tensor<4x128x1x128xbf16>, %q_rope: tensor<4x128x1x64xbf16>,
                      %c_kv: tensor<4x8192x512xbf16>, %k_rope: tensor<4x8192x64xbf16>,
                      %w_uk: tensor<128x512x128xbf16>, %w_uv: tensor<128x512x128xbf16>)
    -> tensor<4x128x1x128xbf16> {
  %o = celeris.mla %q_nope, %q_rope, %c_kv, %k_rope mask <causal>
      up_proj(%w_uk, %w_uv : tensor<128x512x128xbf16>, tensor<128x512x128xbf16>)
      : tensor<4x128x1x128xbf16>, tensor<4x128x1x64xbf16>, tensor<4x8192x512xbf16>,
        tensor<4x8192x64xbf16> -> tensor<4x128x1x128xbf16>
  return %o : tensor<4x128x1x128xbf16>
}
