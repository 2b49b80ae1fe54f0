// Decode errors: options that do not apply to the decode kernel, and
// decode schedules written on ops the decode kernel does not implement.
// RUN: not celeris-opt %s -split-input-file -celeris-select-gpu-schedule=q-tile=64 2>&1 | FileCheck %s --check-prefix=QTILE
// RUN: not celeris-opt %s -split-input-file -celeris-select-gpu-schedule=tensor-cores=wgmma 2>&1 | FileCheck %s --check-prefix=WGMMA
// RUN: celeris-opt %s -split-input-file -convert-celeris-to-gpu -verify-diagnostics

// QTILE: error: GPU schedule: q-tile does not apply to the attention_decode kernel (its CTAs take 16 packed query rows)
// WGMMA: error: GPU schedule: tensor-cores=wgmma does not apply to the attention_decode kernel (16 packed query rows run mma.sync on every chip)
func.func @step(%q: tensor<?x8x1x128xbf16>, %k: tensor<?x8x?x128xbf16>, %v: tensor<?x8x?x128xbf16>) -> tensor<?x8x1x128xbf16> {
  // expected-error @+1 {{GPU attention: no #celeris.gpu_schedule on the op; run celeris-select-gpu-schedule first (the celeris-gpu pipeline does)}}
  %o = celeris.attention %q, %k, %v : tensor<?x8x1x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16> -> tensor<?x8x1x128xbf16>
  return %o : tensor<?x8x1x128xbf16>
}

// -----

func.func @dynamic_rows(%q: tensor<?x8x?x128xbf16>, %k: tensor<?x8x?x128xbf16>, %v: tensor<?x8x?x128xbf16>) -> tensor<?x8x?x128xbf16> {
  // expected-error @+1 {{GPU attention: the attention_decode kernel takes static query lengths up to 16, got a dynamic one}}
  %o = celeris.attention %q, %k, %v {celeris.gpu_schedule = #celeris.gpu_schedule<kernel = attention_decode, tensor_cores = mma_sync, warps = 1, kv_tile = 32, stages = 4, min_ctas_per_sm = 0>} : tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16> -> tensor<?x8x?x128xbf16>
  return %o : tensor<?x8x?x128xbf16>
}

// -----

func.func @many_rows(%q: tensor<?x8x32x128xbf16>, %k: tensor<?x8x?x128xbf16>, %v: tensor<?x8x?x128xbf16>) -> tensor<?x8x32x128xbf16> {
  // expected-error @+1 {{GPU attention: the attention_decode kernel takes static query lengths up to 16, got 32}}
  %o = celeris.attention %q, %k, %v {celeris.gpu_schedule = #celeris.gpu_schedule<kernel = attention_decode, tensor_cores = mma_sync, warps = 1, kv_tile = 32, stages = 4, min_ctas_per_sm = 0>} : tensor<?x8x32x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16> -> tensor<?x8x32x128xbf16>
  return %o : tensor<?x8x32x128xbf16>
}

// -----

func.func @segments(%q: tensor<?x8x1x64xbf16>, %k: tensor<?x8x?x64xbf16>, %v: tensor<?x8x?x64xbf16>, %qid: tensor<?x1xi32>, %kid: tensor<?x?xi32>) -> tensor<?x8x1x64xbf16> {
  // expected-error @+1 {{GPU attention: segment ids run on the attention_prefill kernel, not attention_decode}}
  %o = celeris.attention %q, %k, %v segment_ids(%qid, %kid : tensor<?x1xi32>, tensor<?x?xi32>) {celeris.gpu_schedule = #celeris.gpu_schedule<kernel = attention_decode, tensor_cores = mma_sync, warps = 1, kv_tile = 32, stages = 4, min_ctas_per_sm = 0>} : tensor<?x8x1x64xbf16>, tensor<?x8x?x64xbf16>, tensor<?x8x?x64xbf16> -> tensor<?x8x1x64xbf16>
  return %o : tensor<?x8x1x64xbf16>
}
