// Functions of several Celeris ops that cannot become programs: each
// message names what the program has no kernel or binding for.
// RUN: celeris-opt %s -split-input-file -celeris-gpu -verify-diagnostics

func.func @sum_after(%q: tensor<1x4x?x64xbf16>, %k: tensor<1x4x?x64xbf16>,
                     %v: tensor<1x4x?x64xbf16>) -> tensor<1x4x?x64xbf16> {
  %a = celeris.attention %q, %k, %v
      : tensor<1x4x?x64xbf16>, tensor<1x4x?x64xbf16>, tensor<1x4x?x64xbf16>
      -> tensor<1x4x?x64xbf16>
  %r = celeris.recurrence %q, %k, %v
      : tensor<1x4x?x64xbf16>, tensor<1x4x?x64xbf16>, tensor<1x4x?x64xbf16>
      -> tensor<1x4x?x64xbf16>
  // expected-error @+1 {{'arith.addf' of @sum_after computes no Celeris op's operand: in a function of several Celeris ops, each becomes a kernel, and the other ops must be elementwise math a kernel applies to its operands}}
  %s = arith.addf %a, %r : tensor<1x4x?x64xbf16>
  return %s : tensor<1x4x?x64xbf16>
}

// -----

// expected-error @+1 {{GPU program: argument #3 of @unused is read by no kernel}}
func.func @unused(%q: tensor<1x4x?x64xbf16>, %k: tensor<1x4x?x64xbf16>,
                  %v: tensor<1x4x?x64xbf16>, %extra: tensor<4xf32>)
    -> (tensor<1x4x?x64xbf16>, tensor<1x4x?x64xbf16>) {
  %a = celeris.attention %q, %k, %v
      : tensor<1x4x?x64xbf16>, tensor<1x4x?x64xbf16>, tensor<1x4x?x64xbf16>
      -> tensor<1x4x?x64xbf16>
  %r = celeris.recurrence %q, %k, %a
      : tensor<1x4x?x64xbf16>, tensor<1x4x?x64xbf16>, tensor<1x4x?x64xbf16>
      -> tensor<1x4x?x64xbf16>
  return %a, %r : tensor<1x4x?x64xbf16>, tensor<1x4x?x64xbf16>
}

// -----

func.func @returns_argument(%q: tensor<1x4x?x64xbf16>, %k: tensor<1x4x?x64xbf16>,
                            %v: tensor<1x4x?x64xbf16>)
    -> (tensor<1x4x?x64xbf16>, tensor<1x4x?x64xbf16>) {
  %a = celeris.attention %q, %k, %v
      : tensor<1x4x?x64xbf16>, tensor<1x4x?x64xbf16>, tensor<1x4x?x64xbf16>
      -> tensor<1x4x?x64xbf16>
  %r = celeris.recurrence %q, %k, %a
      : tensor<1x4x?x64xbf16>, tensor<1x4x?x64xbf16>, tensor<1x4x?x64xbf16>
      -> tensor<1x4x?x64xbf16>
  // expected-error @+1 {{GPU program: result #1 of @returns_argument must be a kernel's result, returned once: the program's results are the buffers its kernels write}}
  return %r, %q : tensor<1x4x?x64xbf16>, tensor<1x4x?x64xbf16>
}

// -----

// Each op keeps the errors of its kernel: dispatch reads its tokens as they
// are, with no math on the way.
func.func @squared(%x: tensor<64x128xbf16>, %logits: tensor<64x16xf32>)
    -> tensor<64x128xbf16> {
  %weights, %experts = celeris.route %logits k 2
      : tensor<64x16xf32> -> tensor<64x2xf32>, tensor<64x2xi32>
  %sq = arith.mulf %x, %x : tensor<64x128xbf16>
  // expected-error @+1 {{GPU dispatch: the x is not an argument of @squared_dispatch; the kernel reads its operands from its arguments}}
  %rows, %offsets, %row_map = celeris.dispatch %sq, %experts num_experts 16
      : tensor<64x128xbf16>, tensor<64x2xi32>
      -> tensor<128x128xbf16>, tensor<16xi32>, tensor<64x2xi32>
  %y = celeris.combine %rows, %weights, %row_map
      : tensor<128x128xbf16>, tensor<64x2xf32>, tensor<64x2xi32> -> tensor<64x128xbf16>
  return %y : tensor<64x128xbf16>
}

// -----

// The linalg ops of a program become loop_nest kernels, which start their
// outputs from a constant, an argument or nothing ...
#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @fill_of_argument(%logits: tensor<8x16xf32>, %s: f32)
    -> (tensor<8x2xf32>, tensor<8x16xf32>) {
  %w, %e = celeris.route %logits k 2 : tensor<8x16xf32> -> tensor<8x2xf32>, tensor<8x2xi32>
  %empty = tensor.empty() : tensor<8x16xf32>
  // expected-error @+1 {{GPU loop nest: an output starts as a fill of a constant into tensor.empty, an argument, or tensor.empty}}
  %init = linalg.fill ins(%s : f32) outs(%empty : tensor<8x16xf32>) -> tensor<8x16xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%logits : tensor<8x16xf32>) outs(%init : tensor<8x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %x = arith.addf %a, %o : f32
    linalg.yield %x : f32
  } -> tensor<8x16xf32>
  return %w, %r : tensor<8x2xf32>, tensor<8x16xf32>
}

// -----

// ... run payloads of scalar ops on the elements and constants ...
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @payload_reads_argument(%logits: tensor<8x16xf32>, %s: f32)
    -> (tensor<8x2xf32>, tensor<8x16xf32>) {
  %w, %e = celeris.route %logits k 2 : tensor<8x16xf32> -> tensor<8x2xf32>, tensor<8x2xi32>
  %empty = tensor.empty() : tensor<8x16xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%logits : tensor<8x16xf32>) outs(%empty : tensor<8x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    // expected-error @+1 {{GPU loop nest: the payload reads a value from outside the op that is not a constant}}
    %x = arith.mulf %a, %s : f32
    linalg.yield %x : f32
  } -> tensor<8x16xf32>
  return %w, %r : tensor<8x2xf32>, tensor<8x16xf32>
}

// -----

// ... and read each loop's extent from an argument at launch.
#row = affine_map<(d0, d1) -> (d1)>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @broadcast_to_dynamic(%logits: tensor<?x16xf32>, %bias: tensor<16xf32>)
    -> (tensor<?x2xf32>, tensor<?x16xf32>) {
  %w, %e = celeris.route %logits k 2 : tensor<?x16xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  %c0 = arith.constant 0 : index
  %t = tensor.dim %logits, %c0 : tensor<?x16xf32>
  %empty = tensor.empty(%t) : tensor<?x16xf32>
  // expected-error @+1 {{GPU loop nest: loop dimension 0 is dynamic and no argument has it, so its extent is unknown at launch}}
  %r = linalg.generic {indexing_maps = [#row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%bias : tensor<16xf32>) outs(%empty : tensor<?x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<?x16xf32>
  return %w, %r : tensor<?x2xf32>, tensor<?x16xf32>
}

// -----

// A view's extents are products of the arguments' extents: splitting a
// dynamic dimension would need a quotient.
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @split_dynamic(%logits: tensor<?x16xf32>) -> tensor<?x2x2xf32> {
  %w, %e = celeris.route %logits k 2 : tensor<?x16xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %t = tensor.dim %logits, %c0 : tensor<?x16xf32>
  %half = arith.divui %t, %c2 : index
  // expected-error @+1 {{GPU program: a view's extents are products of the arguments' extents; this expand_shape splits a dynamic dimension, which needs a quotient}}
  %split = tensor.expand_shape %w [[0, 1], [2]] output_shape [%half, 2, 2]
      : tensor<?x2xf32> into tensor<?x2x2xf32>
  %empty = tensor.empty(%half) : tensor<?x2x2xf32>
  %n = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%split : tensor<?x2x2xf32>) outs(%empty : tensor<?x2x2xf32>) {
  ^bb0(%a: f32, %o: f32):
    %x = arith.negf %a : f32
    linalg.yield %x : f32
  } -> tensor<?x2x2xf32>
  return %n : tensor<?x2x2xf32>
}

// -----

// A loop_nest kernel's payload may not read an output that starts empty.
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @reads_empty_output(%logits: tensor<8x16xf32>) -> (tensor<8x2xf32>, tensor<8x16xf32>) {
  %w, %e = celeris.route %logits k 2 : tensor<8x16xf32> -> tensor<8x2xf32>, tensor<8x2xi32>
  %empty = tensor.empty() : tensor<8x16xf32>
  // expected-error @+1 {{GPU loop nest: output #1 must start as an argument, a splat constant, a constant fill of tensor.empty, or (when the payload does not read it) tensor.empty}}
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%logits : tensor<8x16xf32>) outs(%empty : tensor<8x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %x = arith.addf %a, %o : f32
    linalg.yield %x : f32
  } -> tensor<8x16xf32>
  return %w, %r : tensor<8x2xf32>, tensor<8x16xf32>
}

// -----

// Its inputs are the program's arguments or other kernels' results.
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @computed_input(%logits: tensor<8x16xf32>) -> (tensor<8x2xf32>, tensor<8x16xf32>) {
  %w, %e = celeris.route %logits k 2 : tensor<8x16xf32> -> tensor<8x2xf32>, tensor<8x2xi32>
  %n = arith.negf %logits : tensor<8x16xf32>
  %empty = tensor.empty() : tensor<8x16xf32>
  // expected-error @+1 {{GPU loop nest: input #0 is not an argument of @computed_input_generic; the kernel reads its operands from its arguments}}
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%n : tensor<8x16xf32>) outs(%empty : tensor<8x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %x = math.exp %a : f32
    linalg.yield %x : f32
  } -> tensor<8x16xf32>
  return %w, %r : tensor<8x2xf32>, tensor<8x16xf32>
}

// -----

// A program launches kernels only: a call of another function has no place.
func.func private @helper(%x: tensor<8x16xf32>) -> tensor<8x16xf32>
func.func @calls_helper(%logits: tensor<8x16xf32>) -> (tensor<8x2xf32>, tensor<8x2xf32>) {
  // expected-error @+1 {{GPU program: @calls_helper may only call functions of one Celeris op, which become kernels}}
  %h = call @helper(%logits) : (tensor<8x16xf32>) -> tensor<8x16xf32>
  %w, %e = celeris.route %logits k 2 : tensor<8x16xf32> -> tensor<8x2xf32>, tensor<8x2xi32>
  %v, %f = celeris.route %h k 2 : tensor<8x16xf32> -> tensor<8x2xf32>, tensor<8x2xi32>
  return %w, %v : tensor<8x2xf32>, tensor<8x2xf32>
}
