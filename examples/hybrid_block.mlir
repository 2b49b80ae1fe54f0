// A hybrid block in the style of Jamba/Samba: a sliding-window GQA attention
// layer, a Gated DeltaNet layer and a DeepSeek-style MoE feed-forward, chained
// on one residual stream of 2048 tokens (batch 1, model width 1024; the
// projections between layers are left out to keep the example about Celeris).

func.func @hybrid_block(%q: tensor<1x16x2048x64xbf16>, %k: tensor<1x4x2048x64xbf16>,
                        %v: tensor<1x4x2048x64xbf16>, %dq: tensor<1x16x2048x64xbf16>,
                        %dk: tensor<1x16x2048x64xbf16>, %g: tensor<1x16x2048xf32>,
                        %beta: tensor<1x16x2048xbf16>, %router: tensor<1024x32xf32>,
                        %wg: tensor<32x1024x512xbf16>, %wu: tensor<32x1024x512xbf16>,
                        %wd: tensor<32x512x1024xbf16>) -> tensor<2048x1024xbf16> {
  // Attention: GQA 16/4, causal sliding window of 512.
  %attn = celeris.attention %q, %k, %v mask <intersect(causal, window<left = 511, right = 0>)>
      : tensor<1x16x2048x64xbf16>, tensor<1x4x2048x64xbf16>, tensor<1x4x2048x64xbf16>
      -> tensor<1x16x2048x64xbf16>

  // Linear attention: Gated DeltaNet reads the attention output as values.
  %rec = celeris.recurrence %dq, %dk, %attn decay scalar(%g : tensor<1x16x2048xf32>)
      update delta(%beta : tensor<1x16x2048xbf16>)
      : tensor<1x16x2048x64xbf16>, tensor<1x16x2048x64xbf16>, tensor<1x16x2048x64xbf16>
      -> tensor<1x16x2048x64xbf16>

  // Back to tokens x width: [1, 16, 2048, 64] -> [2048, 16, 64] -> [2048, 1024].
  %heads = tensor.collapse_shape %rec [[0, 1], [2], [3]]
      : tensor<1x16x2048x64xbf16> into tensor<16x2048x64xbf16>
  %init = tensor.empty() : tensor<2048x16x64xbf16>
  %tokens = linalg.transpose ins(%heads : tensor<16x2048x64xbf16>)
      outs(%init : tensor<2048x16x64xbf16>) permutation = [1, 0, 2]
  %x = tensor.collapse_shape %tokens [[0], [1, 2]]
      : tensor<2048x16x64xbf16> into tensor<2048x1024xbf16>

  // MoE feed-forward: 32 experts, top-4 softmax routing.
  %y = celeris.moe %x, %router, %wg, %wu, %wd k 4 renormalize
      : tensor<2048x1024xbf16>, tensor<1024x32xf32>, tensor<32x1024x512xbf16>,
        tensor<32x1024x512xbf16>, tensor<32x512x1024xbf16> -> tensor<2048x1024xbf16>
  return %y : tensor<2048x1024xbf16>
}
