// Attention composites: DeepSeek's native sparse attention and multi-head
// latent attention over the compressed KV cache.

func.func @nsa(%q: tensor<1x8x256x64xbf16>, %k: tensor<1x2x256x64xbf16>,
               %v: tensor<1x2x256x64xbf16>, %k_cmp: tensor<1x2x15x64xbf16>,
               %v_cmp: tensor<1x2x15x64xbf16>, %gates: tensor<1x8x256x3xbf16>)
    -> tensor<1x8x256x64xbf16> {
  %o = celeris.nsa %q, %k, %v
      compressed(%k_cmp, %v_cmp : tensor<1x2x15x64xbf16>, tensor<1x2x15x64xbf16>)
      gates(%gates : tensor<1x8x256x3xbf16>)
      cmp_block 32 cmp_stride 16 select_block 32 select_count 4 window 64
      : tensor<1x8x256x64xbf16>, tensor<1x2x256x64xbf16>, tensor<1x2x256x64xbf16>
      -> tensor<1x8x256x64xbf16>
  return %o : tensor<1x8x256x64xbf16>
}

func.func @mla_decode(%q_nope: tensor<2x16x1x64xbf16>, %q_rope: tensor<2x16x1x32xbf16>,
                      %c_kv: tensor<2x512x128xbf16>, %k_rope: tensor<2x512x32xbf16>,
                      %w_uk: tensor<16x128x64xbf16>, %w_uv: tensor<16x128x64xbf16>)
    -> tensor<2x16x1x64xbf16> {
  %o = celeris.mla %q_nope, %q_rope, %c_kv, %k_rope mask <causal>
      up_proj(%w_uk, %w_uv : tensor<16x128x64xbf16>, tensor<16x128x64xbf16>)
      : tensor<2x16x1x64xbf16>, tensor<2x16x1x32xbf16>, tensor<2x512x128xbf16>,
        tensor<2x512x32xbf16> -> tensor<2x16x1x64xbf16>
  return %o : tensor<2x16x1x64xbf16>
}
