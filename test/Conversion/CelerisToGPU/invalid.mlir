// RUN: celeris-opt %s -celeris-select-gpu-schedule=tensor-cores=mma.sync -convert-celeris-to-gpu -split-input-file -verify-diagnostics

// One case per diagnostic of convert-celeris-to-gpu: attention forms the
// prefill kernel does not implement, functions that are not exactly one
// attention, and symbol clashes in the kernel module. The forms are checked
// before the schedule is used. (Schedule errors: invalid-schedule.mlir.)

func.func @f(%q: tensor<?x4x?x128xf32>, %k: tensor<?x4x?x128xf32>, %v: tensor<?x4x?x128xf32>) -> tensor<?x4x?x128xf32> {
  // expected-error @+1 {{GPU attention supports bf16 and f16 operands, got 'f32'}}
  %o = celeris.attention %q, %k, %v : tensor<?x4x?x128xf32>, tensor<?x4x?x128xf32>, tensor<?x4x?x128xf32> -> tensor<?x4x?x128xf32>
  return %o : tensor<?x4x?x128xf32>
}

// -----
func.func @f(%q: tensor<?x4x?x96xbf16>, %k: tensor<?x4x?x96xbf16>, %v: tensor<?x4x?x96xbf16>) -> tensor<?x4x?x96xbf16> {
  // expected-error @+1 {{GPU attention supports head dims 64, 128 and 256 (and multiples of 8 below 64, padded to 64), got 96}}
  %o = celeris.attention %q, %k, %v : tensor<?x4x?x96xbf16>, tensor<?x4x?x96xbf16>, tensor<?x4x?x96xbf16> -> tensor<?x4x?x96xbf16>
  return %o : tensor<?x4x?x96xbf16>
}

// -----

func.func @f(%q: tensor<?x4x?x?xbf16>, %k: tensor<?x4x?x?xbf16>, %v: tensor<?x4x?x?xbf16>) -> tensor<?x4x?x?xbf16> {
  // expected-error @+1 {{GPU attention supports head dims 64, 128 and 256 (and multiples of 8 below 64, padded to 64), got a dynamic head dim}}
  %o = celeris.attention %q, %k, %v : tensor<?x4x?x?xbf16>, tensor<?x4x?x?xbf16>, tensor<?x4x?x?xbf16> -> tensor<?x4x?x?xbf16>
  return %o : tensor<?x4x?x?xbf16>
}

// -----

func.func @f(%q: tensor<?x4x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x64xbf16>) -> tensor<?x4x?x64xbf16> {
  // expected-error @+1 {{GPU attention needs the value head dim equal to the query head dim (128), got 64}}
  %o = celeris.attention %q, %k, %v : tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x64xbf16> -> tensor<?x4x?x64xbf16>
  return %o : tensor<?x4x?x64xbf16>
}

// -----

func.func @f(%q: tensor<4x4x?x128xbf16>, %k: tensor<64x4x16x128xbf16>, %v: tensor<64x4x16x128xbf16>, %table: tensor<4x16xi32>) -> tensor<4x4x?x128xbf16> {
  // expected-error @+1 {{GPU attention: paged KV caches run on the attention_decode kernel, for query lengths up to 16 known when compiling; this query length is dynamic}}
  %o = celeris.attention %q, %k, %v page_table(%table : tensor<4x16xi32>)
      : tensor<4x4x?x128xbf16>, tensor<64x4x16x128xbf16>, tensor<64x4x16x128xbf16> -> tensor<4x4x?x128xbf16>
  return %o : tensor<4x4x?x128xbf16>
}

// -----

func.func @f(%q: tensor<?x4x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>) -> tensor<?x4x?x128xbf16> {
  // expected-error @+1 {{GPU attention needs a positive scale (the running maximum is taken over unscaled scores), got -5.000000e-01}}
  %o = celeris.attention %q, %k, %v scale -0.5
      : tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16> -> tensor<?x4x?x128xbf16>
  return %o : tensor<?x4x?x128xbf16>
}

// -----

func.func @f(%q: tensor<?x4x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>) -> tensor<?x4x?x128xbf16> {
  // expected-error @+1 {{GPU attention: @f holds 'arith.constant' besides one celeris.attention; only a function made of one celeris.attention and the return of its results becomes a kernel}}
  %c = arith.constant 1.0 : f32
  %o = celeris.attention %q, %k, %v
      : tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16> -> tensor<?x4x?x128xbf16>
  return %o : tensor<?x4x?x128xbf16>
}

// -----

func.func @f(%q: tensor<?x4x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>) -> (tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>) {
  %o = celeris.attention %q, %k, %v
      : tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16> -> tensor<?x4x?x128xbf16>
  // expected-error @+1 {{GPU attention: @f holds 'celeris.attention' besides one celeris.attention; only a function made of one celeris.attention and the return of its results becomes a kernel}}
  %o2 = celeris.attention %q, %k, %v mask <causal>
      : tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16> -> tensor<?x4x?x128xbf16>
  return %o, %o2 : tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>
}

// -----

func.func @f(%s: tensor<1x1x4x4xf32>) -> (tensor<1x1x4xi32>, tensor<1x1x4x2xi32>) {
  // expected-error @+1 {{'celeris.topk_blocks' has no GPU lowering yet (celeris.attention, celeris.recurrence, celeris.scan, celeris.selective_scan, celeris.route, celeris.dispatch, celeris.dispatch_map, celeris.grouped_matmul and celeris.combine have)}}
  %c, %i = celeris.topk_blocks %s k 2 mask <causal> block_size [64, 64]
      : tensor<1x1x4x4xf32> -> tensor<1x1x4xi32>, tensor<1x1x4x2xi32>
  return %c, %i : tensor<1x1x4xi32>, tensor<1x1x4x2xi32>
}

// -----

func.func @f(%x: tensor<?x4x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>) -> tensor<?x4x?x128xbf16> {
  %q = arith.negf %x : tensor<?x4x?x128xbf16>
  // expected-error @+1 {{GPU attention: the query is not an argument of @f; the kernel reads its operands from its arguments}}
  %o = celeris.attention %q, %k, %v
      : tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16> -> tensor<?x4x?x128xbf16>
  return %o : tensor<?x4x?x128xbf16>
}

// -----

func.func @f(%q: tensor<?x4x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>) -> tensor<?x4x?x128xbf16> {
  %o, %lse = celeris.attention %q, %k, %v
      : tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16> -> tensor<?x4x?x128xbf16>, tensor<?x4x?xf32>
  // expected-error @+1 {{GPU attention: @f must return the results of its celeris.attention directly, in order (output, then lse if any): the kernel writes them}}
  return %o : tensor<?x4x?x128xbf16>
}

// -----

// expected-error @+1 {{GPU attention: argument #3 of @f is not an operand of its celeris.attention; the kernel has no place for it}}
func.func @f(%q: tensor<?x4x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>, %scale: f32) -> tensor<?x4x?x128xbf16> {
  %o = celeris.attention %q, %k, %v
      : tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16> -> tensor<?x4x?x128xbf16>
  return %o : tensor<?x4x?x128xbf16>
}

// -----

// expected-error @+1 {{GPU attention: @f is used in the module; the kernel replaces it, so those uses would dangle}}
func.func @f(%q: tensor<?x4x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>) -> tensor<?x4x?x128xbf16> {
  %o = celeris.attention %q, %k, %v
      : tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16> -> tensor<?x4x?x128xbf16>
  return %o : tensor<?x4x?x128xbf16>
}

func.func @caller(%q: tensor<?x4x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>) -> tensor<?x4x?x128xbf16> {
  %o = func.call @f(%q, %k, %v) : (tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>) -> tensor<?x4x?x128xbf16>
  return %o : tensor<?x4x?x128xbf16>
}

// -----

// expected-error @+1 {{GPU lowering: @f has more than one block; only a function made of one Celeris op with a GPU kernel and the return of its results becomes a kernel}}
func.func @f(%q: tensor<?x4x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>) -> tensor<?x4x?x128xbf16> {
  cf.br ^bb1
^bb1:
  %o = celeris.attention %q, %k, %v
      : tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16> -> tensor<?x4x?x128xbf16>
  return %o : tensor<?x4x?x128xbf16>
}

// -----

// expected-error @+1 {{GPU lowering: @f holds no Celeris op with a GPU kernel at its top level}}
func.func @f(%q: tensor<?x4x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>) -> tensor<?x4x?x128xbf16> {
  %o = scf.execute_region -> tensor<?x4x?x128xbf16> {
    %a = celeris.attention %q, %k, %v
        : tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16> -> tensor<?x4x?x128xbf16>
    scf.yield %a : tensor<?x4x?x128xbf16>
  }
  return %o : tensor<?x4x?x128xbf16>
}

// -----

// expected-error @+1 {{gpu.module @kernels already has a symbol @f}}
func.func @f(%q: tensor<?x4x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>) -> tensor<?x4x?x128xbf16> {
  %o = celeris.attention %q, %k, %v
      : tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16> -> tensor<?x4x?x128xbf16>
  return %o : tensor<?x4x?x128xbf16>
}

gpu.module @kernels {
  gpu.func @f() kernel {
    gpu.return
  }
}

// -----

func.func @f(%q: tensor<?x4x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>) -> tensor<?x4x?x128xbf16> {
  %o = celeris.attention %q, %k, %v
      : tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16> -> tensor<?x4x?x128xbf16>
  return %o : tensor<?x4x?x128xbf16>
}

// expected-error @+1 {{convert-celeris-to-gpu: the symbol @kernels is taken by something other than the gpu.module the kernels go into}}
func.func private @kernels()



// -----

func.func @f(%q: tensor<?x4x?x36xbf16>, %k: tensor<?x4x?x36xbf16>, %v: tensor<?x4x?x36xbf16>) -> tensor<?x4x?x36xbf16> {
  // expected-error @+1 {{GPU attention supports head dims 64, 128 and 256 (and multiples of 8 below 64, padded to 64), got 36}}
  %o = celeris.attention %q, %k, %v : tensor<?x4x?x36xbf16>, tensor<?x4x?x36xbf16>, tensor<?x4x?x36xbf16> -> tensor<?x4x?x36xbf16>
  return %o : tensor<?x4x?x36xbf16>
}

// -----

// Head dims below 64 are padded by the prefill kernel only.
func.func @f(%q: tensor<?x4x1x32xbf16>, %k: tensor<?x4x?x32xbf16>, %v: tensor<?x4x?x32xbf16>) -> tensor<?x4x1x32xbf16> {
  // expected-error @+1 {{GPU attention: the decode kernel supports head dims 64, 128 and 256, got 32 (the prefill kernel pads smaller ones to 64)}}
  %o = celeris.attention %q, %k, %v : tensor<?x4x1x32xbf16>, tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16> -> tensor<?x4x1x32xbf16>
  return %o : tensor<?x4x1x32xbf16>
}
