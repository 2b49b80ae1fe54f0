// Attention layers for the GPU path, the input of the GPU main job: each
// function is one celeris.attention that celeris-compile turns into a kernel
// (convert-celeris-to-gpu; docs/pipelines/gpu-attention.md). Full and causal
// masks, head dims 64 and 128, bf16 and f16, all returning the log-sum-exp,
// and grouped-query attention with 32 query heads over 8 key/value heads.
// Batch and sequence lengths are dynamic: one kernel serves every size.
//
//   build/bin/celeris-compile examples/gpu/attention.mlir -o artifact

func.func @attention_full_d128_bf16(%q: tensor<?x?x?x128xbf16>,
                                    %k: tensor<?x?x?x128xbf16>, %v: tensor<?x?x?x128xbf16>)
    -> (tensor<?x?x?x128xbf16>, tensor<?x?x?xf32>) {
  %out, %lse = celeris.attention %q, %k, %v
      : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
      -> tensor<?x?x?x128xbf16>, tensor<?x?x?xf32>
  return %out, %lse : tensor<?x?x?x128xbf16>, tensor<?x?x?xf32>
}

func.func @attention_causal_d128_bf16(%q: tensor<?x?x?x128xbf16>,
                                      %k: tensor<?x?x?x128xbf16>, %v: tensor<?x?x?x128xbf16>)
    -> (tensor<?x?x?x128xbf16>, tensor<?x?x?xf32>) {
  %out, %lse = celeris.attention %q, %k, %v mask <causal>
      : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
      -> tensor<?x?x?x128xbf16>, tensor<?x?x?xf32>
  return %out, %lse : tensor<?x?x?x128xbf16>, tensor<?x?x?xf32>
}

func.func @attention_full_d64_bf16(%q: tensor<?x?x?x64xbf16>,
                                   %k: tensor<?x?x?x64xbf16>, %v: tensor<?x?x?x64xbf16>)
    -> (tensor<?x?x?x64xbf16>, tensor<?x?x?xf32>) {
  %out, %lse = celeris.attention %q, %k, %v
      : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
      -> tensor<?x?x?x64xbf16>, tensor<?x?x?xf32>
  return %out, %lse : tensor<?x?x?x64xbf16>, tensor<?x?x?xf32>
}

func.func @attention_causal_d64_bf16(%q: tensor<?x?x?x64xbf16>,
                                     %k: tensor<?x?x?x64xbf16>, %v: tensor<?x?x?x64xbf16>)
    -> (tensor<?x?x?x64xbf16>, tensor<?x?x?xf32>) {
  %out, %lse = celeris.attention %q, %k, %v mask <causal>
      : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
      -> tensor<?x?x?x64xbf16>, tensor<?x?x?xf32>
  return %out, %lse : tensor<?x?x?x64xbf16>, tensor<?x?x?xf32>
}

func.func @attention_full_d128_f16(%q: tensor<?x?x?x128xf16>,
                                   %k: tensor<?x?x?x128xf16>, %v: tensor<?x?x?x128xf16>)
    -> (tensor<?x?x?x128xf16>, tensor<?x?x?xf32>) {
  %out, %lse = celeris.attention %q, %k, %v
      : tensor<?x?x?x128xf16>, tensor<?x?x?x128xf16>, tensor<?x?x?x128xf16>
      -> tensor<?x?x?x128xf16>, tensor<?x?x?xf32>
  return %out, %lse : tensor<?x?x?x128xf16>, tensor<?x?x?xf32>
}

func.func @attention_causal_d128_f16(%q: tensor<?x?x?x128xf16>,
                                     %k: tensor<?x?x?x128xf16>, %v: tensor<?x?x?x128xf16>)
    -> (tensor<?x?x?x128xf16>, tensor<?x?x?xf32>) {
  %out, %lse = celeris.attention %q, %k, %v mask <causal>
      : tensor<?x?x?x128xf16>, tensor<?x?x?x128xf16>, tensor<?x?x?x128xf16>
      -> tensor<?x?x?x128xf16>, tensor<?x?x?xf32>
  return %out, %lse : tensor<?x?x?x128xf16>, tensor<?x?x?xf32>
}

func.func @attention_full_d64_f16(%q: tensor<?x?x?x64xf16>,
                                  %k: tensor<?x?x?x64xf16>, %v: tensor<?x?x?x64xf16>)
    -> (tensor<?x?x?x64xf16>, tensor<?x?x?xf32>) {
  %out, %lse = celeris.attention %q, %k, %v
      : tensor<?x?x?x64xf16>, tensor<?x?x?x64xf16>, tensor<?x?x?x64xf16>
      -> tensor<?x?x?x64xf16>, tensor<?x?x?xf32>
  return %out, %lse : tensor<?x?x?x64xf16>, tensor<?x?x?xf32>
}

func.func @attention_causal_d64_f16(%q: tensor<?x?x?x64xf16>,
                                    %k: tensor<?x?x?x64xf16>, %v: tensor<?x?x?x64xf16>)
    -> (tensor<?x?x?x64xf16>, tensor<?x?x?xf32>) {
  %out, %lse = celeris.attention %q, %k, %v mask <causal>
      : tensor<?x?x?x64xf16>, tensor<?x?x?x64xf16>, tensor<?x?x?x64xf16>
      -> tensor<?x?x?x64xf16>, tensor<?x?x?xf32>
  return %out, %lse : tensor<?x?x?x64xf16>, tensor<?x?x?xf32>
}

// Grouped-query attention: query head h reads key/value head h / 4.
func.func @gqa_causal_32q_8kv_d128_bf16(%q: tensor<?x?x?x128xbf16>,
                                        %k: tensor<?x?x?x128xbf16>, %v: tensor<?x?x?x128xbf16>)
    -> (tensor<?x?x?x128xbf16>, tensor<?x?x?xf32>) {
  %out, %lse = celeris.attention %q, %k, %v mask <causal>
      : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
      -> tensor<?x?x?x128xbf16>, tensor<?x?x?xf32>
  return %out, %lse : tensor<?x?x?x128xbf16>, tensor<?x?x?xf32>
}
