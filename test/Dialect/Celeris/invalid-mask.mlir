// RUN: celeris-opt %s -split-input-file -verify-diagnostics

// Every parse and verify error of #celeris.mask reachable from text. (The
// messages about parameters on combinators and operands on primitives can
// only be produced through the C++ API; the unit tests cover them.)

// expected-error @+1 {{unknown mask 'causa'; expected one of all, none, causal, window, sink, dilated, strided, block_causal, prefix, chunked, global, union, intersect}}
#m = #celeris.mask<causa>

// -----

// expected-error @+1 {{mask 'window' expects non-negative left and right extents, got left = -1, right = 0}}
#m = #celeris.mask<window<left = -1, right = 0>>

// -----

// expected-error @+1 {{mask 'dilated' expects a positive rate and segment, got rate = 0, segment = 8}}
#m = #celeris.mask<dilated<rate = 0, segment = 8>>

// -----

// expected-error @+1 {{mask 'dilated' expects the segment (8) to be a multiple of the rate (3)}}
#m = #celeris.mask<dilated<rate = 3, segment = 8>>

// -----

// expected-error @+1 {{mask 'sink' expects a positive parameter, got 0}}
#m = #celeris.mask<sink<0>>

// -----

// expected-error @+1 {{mask 'global' expects non-negative token positions, got -2}}
#m = #celeris.mask<global<[-2, 4]>>

// -----

// expected-error @+1 {{mask 'global' expects strictly increasing token positions, got 4 before 4}}
#m = #celeris.mask<global<[4, 4]>>

// -----

// expected-error @+1 {{mask 'global' expects at least one token}}
#m = #celeris.mask<global<[]>>

// -----

// expected-error @+1 {{mask 'union' expects at least 2 operands, got 1}}
#m = #celeris.mask<union(causal)>

// -----

// expected-error @+1 {{expected 'left'}}
#m = #celeris.mask<window<128, 0>>

// -----

func.func @f(%q: tensor<1x1x8x8xf32>) {
  // A full-form mask right before the type list takes the `:` as its type.
  // expected-error @+1 {{expected ':'}}
  %o = celeris.attention %q, %q, %q mask #celeris.mask<causal> : tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32> -> tensor<1x1x8x8xf32>
  return
}
