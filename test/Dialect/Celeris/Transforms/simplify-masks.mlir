// RUN: celeris-opt %s -celeris-simplify-masks | FileCheck %s

// The pass brings every mask to its canonical form over the op's static
// extent.

// CHECK-LABEL: func @simplify
// CHECK: celeris.attention {{.*}} mask <causal> :
// CHECK: celeris.mask_block_layout {{.*}} mask <prefix<16>>
func.func @simplify(%q: tensor<1x2x128x32xf32>, %n: index)
    -> (tensor<1x2x128x32xf32>, tensor<1x1x?x?xi32>) {
  %o = celeris.attention %q, %q, %q mask <intersect(window<left = 500, right = 0>, causal)>
      : tensor<1x2x128x32xf32>, tensor<1x2x128x32xf32>, tensor<1x2x128x32xf32> -> tensor<1x2x128x32xf32>
  %c, %i = celeris.mask_block_layout %n, %n mask <union(sink<16>, causal)> block_size [64, 64]
      : tensor<1x1x?xi32>, tensor<1x1x?x?xi32>
  return %o, %i : tensor<1x2x128x32xf32>, tensor<1x1x?x?xi32>
}
