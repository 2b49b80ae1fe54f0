// The tensor-cores and kv-tile options and the limits of the wgmma kernel:
// one case per diagnostic, each under its own options. (The other option
// errors: invalid-options.mlir.)
// RUN: rm -rf %t && split-file %s %t
// RUN: celeris-opt %t/tensor-cores.mlir -convert-celeris-to-gpu=tensor-cores=tf32 -verify-diagnostics
// RUN: celeris-opt %t/kv-tile.mlir -convert-celeris-to-gpu=kv-tile=96 -verify-diagnostics
// RUN: celeris-opt %t/wgmma-chip.mlir -convert-celeris-to-gpu="chip=sm_90 tensor-cores=wgmma" -verify-diagnostics
// RUN: celeris-opt %t/mma-kv-tile.mlir -convert-celeris-to-gpu="tensor-cores=mma.sync kv-tile=128" -verify-diagnostics
// RUN: celeris-opt %t/mma-kv-tile.mlir -convert-celeris-to-gpu="chip=sm_80 kv-tile=128" -verify-diagnostics
// RUN: celeris-opt %t/wgmma-stages.mlir -convert-celeris-to-gpu=kv-stages=1 -verify-diagnostics
// RUN: celeris-opt %t/mma-stages.mlir -convert-celeris-to-gpu="tensor-cores=mma.sync kv-stages=3" -verify-diagnostics
// RUN: celeris-opt %t/wgmma-registers.mlir -convert-celeris-to-gpu=min-ctas-per-sm=2 -verify-diagnostics
// RUN: celeris-opt %t/wgmma-pipelined-registers.mlir -convert-celeris-to-gpu=kv-stages=3 -verify-diagnostics
// RUN: celeris-opt %t/wgmma-shared.mlir -convert-celeris-to-gpu="q-tile=64 min-ctas-per-sm=2" -verify-diagnostics

//--- tensor-cores.mlir
// Option values are checked before any function, at the module.
// expected-error @+1 {{convert-celeris-to-gpu: tensor-cores must be auto, mma.sync or wgmma; got 'tf32'}}
module {
  func.func @f(%q: tensor<?x4x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>) -> tensor<?x4x?x128xbf16> {
    %o = celeris.attention %q, %k, %v
        : tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16> -> tensor<?x4x?x128xbf16>
    return %o : tensor<?x4x?x128xbf16>
  }
}

//--- kv-tile.mlir
// expected-error @+1 {{convert-celeris-to-gpu: kv-tile must be 64 or 128, or 0 for the cost model; got 96}}
module {
  func.func @f(%q: tensor<?x4x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>) -> tensor<?x4x?x128xbf16> {
    %o = celeris.attention %q, %k, %v
        : tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16> -> tensor<?x4x?x128xbf16>
    return %o : tensor<?x4x?x128xbf16>
  }
}

//--- wgmma-chip.mlir
func.func @f(%q: tensor<?x4x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>) -> tensor<?x4x?x128xbf16> {
  // expected-error @+1 {{GPU attention: tensor-cores=wgmma needs sm_90a, not sm_90}}
  %o = celeris.attention %q, %k, %v
      : tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16> -> tensor<?x4x?x128xbf16>
  return %o : tensor<?x4x?x128xbf16>
}

//--- mma-kv-tile.mlir
func.func @f(%q: tensor<?x4x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>) -> tensor<?x4x?x128xbf16> {
  // expected-error @+1 {{GPU attention: the mma.sync kernel uses 64-key tiles: kv-tile must be 64 (or 0), got 128}}
  %o = celeris.attention %q, %k, %v
      : tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16> -> tensor<?x4x?x128xbf16>
  return %o : tensor<?x4x?x128xbf16>
}

//--- wgmma-stages.mlir
// The wgmma kernel has no single-stage form.
func.func @f(%q: tensor<?x4x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>) -> tensor<?x4x?x128xbf16> {
  // expected-error @+1 {{GPU attention: the wgmma kernel keeps the next K/V tile in flight: kv-stages must be 2 or 3 (or 0), got 1}}
  %o = celeris.attention %q, %k, %v
      : tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16> -> tensor<?x4x?x128xbf16>
  return %o : tensor<?x4x?x128xbf16>
}

//--- mma-stages.mlir
func.func @f(%q: tensor<?x4x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>) -> tensor<?x4x?x128xbf16> {
  // expected-error @+1 {{GPU attention: the mma.sync kernel has 1 or 2 K/V stages, got 3}}
  %o = celeris.attention %q, %k, %v
      : tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16> -> tensor<?x4x?x128xbf16>
  return %o : tensor<?x4x?x128xbf16>
}

//--- wgmma-pipelined-registers.mlir
// Three stages keep a second score tile in registers: with 128-key tiles
// at head dim 128 that is more than a thread may have.
func.func @f(%q: tensor<?x4x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>) -> tensor<?x4x?x128xbf16> {
  // expected-error @+1 {{GPU attention: min-ctas-per-sm=1 caps the registers at 255 per thread (256 threads per CTA), below the 264 that the head dim 128 kernel needs: it would spill}}
  %o = celeris.attention %q, %k, %v
      : tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16> -> tensor<?x4x?x128xbf16>
  return %o : tensor<?x4x?x128xbf16>
}

//--- wgmma-registers.mlir
// Two 256-thread CTAs leave 128 registers a thread; the D = 128 kernel
// needs about 200.
func.func @f(%q: tensor<?x4x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>) -> tensor<?x4x?x128xbf16> {
  // expected-error @+1 {{GPU attention: min-ctas-per-sm=2 caps the registers at 128 per thread (256 threads per CTA), below the 200 that the head dim 128 kernel needs: it would spill}}
  %o = celeris.attention %q, %k, %v
      : tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16> -> tensor<?x4x?x128xbf16>
  return %o : tensor<?x4x?x128xbf16>
}

//--- wgmma-shared.mlir
// One warpgroup (q-tile=64) fits the registers of two CTAs, not the
// shared memory.
func.func @f(%q: tensor<?x4x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>) -> tensor<?x4x?x128xbf16> {
  // expected-error @+1 {{GPU attention: min-ctas-per-sm=2 needs 299072 bytes of shared memory per SM (148512 per CTA and 1024 reserved), more than the 233472 of sm_90a}}
  %o = celeris.attention %q, %k, %v
      : tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16> -> tensor<?x4x?x128xbf16>
  return %o : tensor<?x4x?x128xbf16>
}
