// Upstream mlir-opt loads Celeris as a dialect and pass plugin, parses and
// verifies its ops, round-trips them and runs its passes.
// RUN: mlir-opt %s --load-dialect-plugin=%celeris_libs/CelerisPlugin%shlibext | FileCheck %s --check-prefix=ROUNDTRIP
// RUN: mlir-opt %s --load-dialect-plugin=%celeris_libs/CelerisPlugin%shlibext --load-pass-plugin=%celeris_libs/CelerisPlugin%shlibext --pass-pipeline="builtin.module(celeris-simplify-masks)" | FileCheck %s --check-prefix=PASS
// RUN: not mlir-opt %S/Inputs/invalid.mlir --load-dialect-plugin=%celeris_libs/CelerisPlugin%shlibext 2>&1 | FileCheck %s --check-prefix=VERIFY

// ROUNDTRIP-LABEL: func @f
// ROUNDTRIP: celeris.attention {{.*}} mask <intersect(causal, window<left = 999, right = 0>)>
// PASS-LABEL: func @f
// PASS: celeris.attention {{.*}} mask <causal>
// VERIFY: invalid.mlir:{{[0-9]+}}:{{[0-9]+}}: error: 'celeris.attention' op expects the number of query heads (8) to be a multiple of the number of key/value heads (3)
func.func @f(%q: tensor<1x2x64x32xbf16>) -> tensor<1x2x64x32xbf16> {
  %o = celeris.attention %q, %q, %q mask <intersect(causal, window<left = 999, right = 0>)>
      : tensor<1x2x64x32xbf16>, tensor<1x2x64x32xbf16>, tensor<1x2x64x32xbf16> -> tensor<1x2x64x32xbf16>
  return %o : tensor<1x2x64x32xbf16>
}
