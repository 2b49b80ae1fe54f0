// RUN: celeris-opt %s -canonicalize -split-input-file | FileCheck %s

// Masks reach their canonical form; with static shapes, primitives covering
// the whole problem fold away.

// A window wider than the sequence, intersected with causal, is causal.
// CHECK-LABEL: func @window_covering_sequence
// CHECK: celeris.attention {{.*}} mask <causal> :
func.func @window_covering_sequence(%q: tensor<1x4x512x64xbf16>) -> tensor<1x4x512x64xbf16> {
  %o = celeris.attention %q, %q, %q mask <intersect(causal, window<left = 4096, right = 16>)>
      : tensor<1x4x512x64xbf16>, tensor<1x4x512x64xbf16>, tensor<1x4x512x64xbf16> -> tensor<1x4x512x64xbf16>
  return %o : tensor<1x4x512x64xbf16>
}

// -----

// Anything union all is all, which is the default and not printed.
// CHECK-LABEL: func @union_all
// CHECK: celeris.attention %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}} :
func.func @union_all(%q: tensor<?x4x?x64xbf16>) -> tensor<?x4x?x64xbf16> {
  %o = celeris.attention %q, %q, %q mask <union(sink<4>, all, causal)>
      : tensor<?x4x?x64xbf16>, tensor<?x4x?x64xbf16>, tensor<?x4x?x64xbf16> -> tensor<?x4x?x64xbf16>
  return %o : tensor<?x4x?x64xbf16>
}

// -----

// Dynamic shapes: only the extent-free algebra applies.
// CHECK-LABEL: func @dynamic_window
// CHECK: mask <window<left = 4096, right = 0>>
func.func @dynamic_window(%q: tensor<?x4x?x64xbf16>) -> tensor<?x4x?x64xbf16> {
  %o = celeris.attention %q, %q, %q mask <intersect(window<left = 4096, right = 16>, causal)>
      : tensor<?x4x?x64xbf16>, tensor<?x4x?x64xbf16>, tensor<?x4x?x64xbf16> -> tensor<?x4x?x64xbf16>
  return %o : tensor<?x4x?x64xbf16>
}

// -----

// Prefix LM written as causal plus sink becomes prefix; nesting flattens and
// operands are sorted.
// CHECK-LABEL: func @prefix_lm
// CHECK: mask <union(strided<64>, prefix<128>)>
func.func @prefix_lm(%q: tensor<?x4x?x64xbf16>) -> tensor<?x4x?x64xbf16> {
  %o = celeris.attention %q, %q, %q mask <union(sink<128>, union(strided<64>, causal))>
      : tensor<?x4x?x64xbf16>, tensor<?x4x?x64xbf16>, tensor<?x4x?x64xbf16> -> tensor<?x4x?x64xbf16>
  return %o : tensor<?x4x?x64xbf16>
}

// -----

// Decode: the single query sits after every key (default offset Sk - Sq), so
// causal allows everything.
// CHECK-LABEL: func @decode_causal
// CHECK: celeris.attention %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}} :
func.func @decode_causal(%q: tensor<2x8x1x64xbf16>, %k: tensor<2x8x4097x64xbf16>) -> tensor<2x8x1x64xbf16> {
  %o = celeris.attention %q, %k, %k mask <causal>
      : tensor<2x8x1x64xbf16>, tensor<2x8x4097x64xbf16>, tensor<2x8x4097x64xbf16> -> tensor<2x8x1x64xbf16>
  return %o : tensor<2x8x1x64xbf16>
}

// -----

// With an explicit top-left alignment the same decode query only sees key 0.
// CHECK-LABEL: func @decode_top_left
// CHECK: mask <causal> query_offset 0
func.func @decode_top_left(%q: tensor<2x8x1x64xbf16>, %k: tensor<2x8x4097x64xbf16>) -> tensor<2x8x1x64xbf16> {
  %o = celeris.attention %q, %k, %k mask <causal> query_offset 0
      : tensor<2x8x1x64xbf16>, tensor<2x8x4097x64xbf16>, tensor<2x8x4097x64xbf16> -> tensor<2x8x1x64xbf16>
  return %o : tensor<2x8x1x64xbf16>
}

// -----

// kv_lengths move the query positions per sequence: no extent rules.
// CHECK-LABEL: func @kv_lengths_keep_mask
// CHECK: mask <causal>
func.func @kv_lengths_keep_mask(%q: tensor<2x8x1x64xbf16>, %k: tensor<2x8x4097x64xbf16>, %l: tensor<2xi32>) -> tensor<2x8x1x64xbf16> {
  %o = celeris.attention %q, %k, %k kv_lengths(%l : tensor<2xi32>) mask <causal>
      : tensor<2x8x1x64xbf16>, tensor<2x8x4097x64xbf16>, tensor<2x8x4097x64xbf16> -> tensor<2x8x1x64xbf16>
  return %o : tensor<2x8x1x64xbf16>
}

// -----

// The block-layout builders simplify over their constant extents.
// CHECK-LABEL: func @block_layout_masks
// CHECK: celeris.mask_block_layout {{.*}} mask <all> block_size [64, 64]
// CHECK: celeris.topk_blocks {{.*}} mask <causal> block_size [64, 64]
func.func @block_layout_masks(%s: tensor<1x1x4x4xf32>)
    -> (tensor<1x1x4x4xi32>, tensor<1x1x4x2xi32>) {
  %n = arith.constant 256 : index
  %c, %i = celeris.mask_block_layout %n, %n mask <chunked<256>> block_size [64, 64]
      : tensor<1x1x4xi32>, tensor<1x1x4x4xi32>
  %tc, %ti = celeris.topk_blocks %s k 2 mask <intersect(causal, window<left = 999, right = 0>)>
      block_size [64, 64] : tensor<1x1x4x4xf32> -> tensor<1x1x4xi32>, tensor<1x1x4x2xi32>
  return %i, %ti : tensor<1x1x4x4xi32>, tensor<1x1x4x2xi32>
}
