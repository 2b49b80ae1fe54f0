// A hybrid block in the style of Jamba/Samba: a sliding-window GQA attention
// layer, a Gated DeltaNet layer and a DeepSeek-style MoE feed-forward, chained
// on one residual stream of 256 tokens (batch 1, model width 256; the
// projections between layers are left out to keep the example about Celeris).

func.func @hybrid_block(%q: tensor<1x8x256x32xbf16>, %k: tensor<1x2x256x32xbf16>,
                        %v: tensor<1x2x256x32xbf16>, %dq: tensor<1x8x256x32xbf16>,
                        %dk: tensor<1x8x256x32xbf16>, %g: tensor<1x8x256xf32>,
                        %beta: tensor<1x8x256xbf16>, %router: tensor<256x8xf32>,
                        %wg: tensor<8x256x64xbf16>, %wu: tensor<8x256x64xbf16>,
                        %wd: tensor<8x64x256xbf16>) -> tensor<256x256xbf16> {
  // Attention: GQA 8/2, causal sliding window of 64.
  %attn = celeris.attention %q, %k, %v mask <intersect(causal, window<left = 63, right = 0>)>
      : tensor<1x8x256x32xbf16>, tensor<1x2x256x32xbf16>, tensor<1x2x256x32xbf16>
      -> tensor<1x8x256x32xbf16>

  // Linear attention: Gated DeltaNet reads the attention output as values.
  %rec = celeris.recurrence %dq, %dk, %attn decay scalar(%g : tensor<1x8x256xf32>)
      update delta(%beta : tensor<1x8x256xbf16>)
      : tensor<1x8x256x32xbf16>, tensor<1x8x256x32xbf16>, tensor<1x8x256x32xbf16>
      -> tensor<1x8x256x32xbf16>

  // Back to tokens x width: [1, 8, 256, 32] -> [256, 8, 32] -> [256, 256].
  %heads = tensor.collapse_shape %rec [[0, 1], [2], [3]]
      : tensor<1x8x256x32xbf16> into tensor<8x256x32xbf16>
  %init = tensor.empty() : tensor<256x8x32xbf16>
  %tokens = linalg.transpose ins(%heads : tensor<8x256x32xbf16>)
      outs(%init : tensor<256x8x32xbf16>) permutation = [1, 0, 2]
  %x = tensor.collapse_shape %tokens [[0], [1, 2]]
      : tensor<256x8x32xbf16> into tensor<256x256xbf16>

  // MoE feed-forward: 8 experts, top-2 softmax routing.
  %y = celeris.moe %x, %router, %wg, %wu, %wd k 2 renormalize
      : tensor<256x256xbf16>, tensor<256x8xf32>, tensor<8x256x64xbf16>,
        tensor<8x256x64xbf16>, tensor<8x64x256xbf16> -> tensor<256x256xbf16>
  return %y : tensor<256x256xbf16>
}
