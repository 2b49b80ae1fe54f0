func.func @f(%q: tensor<1x8x64x32xbf16>, %k: tensor<1x3x64x32xbf16>) -> tensor<1x8x64x32xbf16> {
  %o = celeris.attention %q, %k, %k : tensor<1x8x64x32xbf16>, tensor<1x3x64x32xbf16>, tensor<1x3x64x32xbf16> -> tensor<1x8x64x32xbf16>
  return %o : tensor<1x8x64x32xbf16>
}
