// A hybrid block in the style of Jamba/Samba: a sliding-window GQA attention
// layer, a Gated DeltaNet layer and a DeepSeek-style MoE feed-forward, chained
// on one residual stream of 256 tokens (batch 1, model width 256; the
// projections between layers are left out to keep the example about Celeris).

#id4 = affine_map<(b, h, t, d) -> (b, h, t, d)>
#row = affine_map<(b, h, t, d) -> (b, h, t)>

func.func @hybrid_block(%q: tensor<1x8x256x32xbf16>, %k: tensor<1x2x256x32xbf16>,
                        %v: tensor<1x2x256x32xbf16>, %dq: tensor<1x8x256x32xbf16>,
                        %dk: tensor<1x8x256x32xbf16>, %gate: tensor<1x8x256xf32>,
                        %beta_logit: tensor<1x8x256xf32>, %router: tensor<256x8xf32>,
                        %wg: tensor<8x256x64xbf16>, %wu: tensor<8x256x64xbf16>,
                        %wd: tensor<8x64x256xbf16>) -> tensor<256x256xbf16> {
  // Attention: GQA 8/2, causal sliding window of 64.
  %attn = celeris.attention %q, %k, %v mask <intersect(causal, window<left = 63, right = 0>)>
      : tensor<1x8x256x32xbf16>, tensor<1x2x256x32xbf16>, tensor<1x2x256x32xbf16>
      -> tensor<1x8x256x32xbf16>

  // Gated DeltaNet's inputs: decay g = log_sigmoid(gate) <= 0, write
  // strength beta = sigmoid(beta_logit), and L2-normalised keys (the delta
  // rule is a contraction only for |k| <= 1).
  %ng = arith.negf %gate : tensor<1x8x256xf32>
  %eg = math.exp %ng : tensor<1x8x256xf32>
  %lg = math.log1p %eg : tensor<1x8x256xf32>
  %g = arith.negf %lg : tensor<1x8x256xf32>
  %nb = arith.negf %beta_logit : tensor<1x8x256xf32>
  %eb = math.exp %nb : tensor<1x8x256xf32>
  %one = arith.constant dense<1.0> : tensor<1x8x256xf32>
  %den = arith.addf %one, %eb : tensor<1x8x256xf32>
  %beta32 = arith.divf %one, %den : tensor<1x8x256xf32>
  %beta = arith.truncf %beta32 : tensor<1x8x256xf32> to tensor<1x8x256xbf16>
  %zero = arith.constant 0.0 : f32
  %sums = tensor.empty() : tensor<1x8x256xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%sums : tensor<1x8x256xf32>) -> tensor<1x8x256xf32>
  %sumsq = linalg.generic {indexing_maps = [#id4, #row],
      iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%dk : tensor<1x8x256x32xbf16>) outs(%acc : tensor<1x8x256xf32>) {
  ^bb0(%x: bf16, %a: f32):
    %xf = arith.extf %x : bf16 to f32
    %sq = arith.mulf %xf, %xf : f32
    %r = arith.addf %a, %sq : f32
    linalg.yield %r : f32
  } -> tensor<1x8x256xf32>
  %keys = tensor.empty() : tensor<1x8x256x32xbf16>
  %dkn = linalg.generic {indexing_maps = [#id4, #row, #id4],
      iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%dk, %sumsq : tensor<1x8x256x32xbf16>, tensor<1x8x256xf32>)
      outs(%keys : tensor<1x8x256x32xbf16>) {
  ^bb0(%x: bf16, %s: f32, %o: bf16):
    %eps = arith.constant 1.0e-6 : f32
    %xf = arith.extf %x : bf16 to f32
    %se = arith.addf %s, %eps : f32
    %inv = math.rsqrt %se : f32
    %y = arith.mulf %xf, %inv : f32
    %yb = arith.truncf %y : f32 to bf16
    linalg.yield %yb : bf16
  } -> tensor<1x8x256x32xbf16>

  // Linear attention: Gated DeltaNet reads the attention output as values.
  %rec = celeris.recurrence %dq, %dkn, %attn decay scalar(%g : tensor<1x8x256xf32>)
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
