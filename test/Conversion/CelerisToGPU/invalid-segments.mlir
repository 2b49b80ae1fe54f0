// RUN: celeris-opt %s -convert-celeris-to-gpu -verify-diagnostics

// The key-tile list of segment ids takes shared memory beside the stages:
// three stages of 128-key tiles fit a CTA without it (229 KB), not with it.
func.func @segments_list_too_big(%q: tensor<?x4x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>, %qid: tensor<?x?xi32>, %kid: tensor<?x?xi32>) -> tensor<?x4x?x128xbf16> {
  // expected-error @+1 {{GPU attention: the schedule needs 246840 bytes of shared memory, more than the 232448 a CTA may have on sm_90a}}
  %o = celeris.attention %q, %k, %v segment_ids(%qid, %kid : tensor<?x?xi32>, tensor<?x?xi32>) mask <causal> {celeris.gpu_schedule = #celeris.gpu_schedule<kernel = attention_prefill, tensor_cores = wgmma, warps = 8, kv_tile = 128, stages = 3, min_ctas_per_sm = 1>} : tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16> -> tensor<?x4x?x128xbf16>
  return %o : tensor<?x4x?x128xbf16>
}
