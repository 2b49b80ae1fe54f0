// A function of several Celeris ops becomes a manifest program: its
// arguments and results as a kernel's, the buffers between its launches
// with shapes composed from the kernels' result shapes, and the launches in
// order with what each kernel argument is bound to.
// RUN: rm -rf %t && celeris-compile %s -o %t --format=isa | FileCheck %s --check-prefix=DRIVER
// RUN: FileCheck %s --check-prefix=MANIFEST < %t/manifest.txt
// RUN: not celeris-compile %S/Inputs/bad-program.mlir -o %t/bad 2>&1 | FileCheck %s --check-prefix=ERROR

// DRIVER:      wrote 3 kernel(s) and 1 program(s) for sm_90a
// DRIVER-NEXT:   moe: program of moe_route moe_dispatch moe_combine

// MANIFEST:      kernel moe_route
// MANIFEST:      kernel moe_dispatch
// MANIFEST:      kernel moe_combine
// MANIFEST:      program moe
// MANIFEST-NEXT:   arg memref<2:bf16> x shape ?x128
// MANIFEST-NEXT:   arg memref<2:f32> logits shape ?x16
// MANIFEST-NEXT:   arg memref<2:bf16> out shape ?x128
// MANIFEST-NEXT:   result out logits[0] 128
// MANIFEST-NEXT:   buffer weights memref<2:f32> logits[0] 2
// MANIFEST-NEXT:   buffer experts memref<2:i32> logits[0] 2
// MANIFEST-NEXT:   buffer permuted memref<2:bf16> 2*logits[0] 128
// MANIFEST-NEXT:   buffer offsets memref<1:i32> 16
// MANIFEST-NEXT:   buffer row_map memref<2:i32> logits[0] 2
// MANIFEST-NEXT:   launch moe_route logits weights experts
// MANIFEST-NEXT:   launch moe_dispatch x experts permuted offsets row_map
// MANIFEST-NEXT:   launch moe_combine permuted weights row_map out
// MANIFEST-NEXT: end

// ERROR: bad-program.mlir:{{[0-9]+}}:{{[0-9]+}}: error: 'celeris.program' of @p: each launch needs a kernel and the names of its arguments

func.func @moe(%x: tensor<?x128xbf16>, %logits: tensor<?x16xf32>)
    -> tensor<?x128xbf16> {
  %weights, %experts = celeris.route %logits k 2
      : tensor<?x16xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  %rows, %offsets, %row_map = celeris.dispatch %x, %experts num_experts 16
      : tensor<?x128xbf16>, tensor<?x2xi32>
      -> tensor<?x128xbf16>, tensor<16xi32>, tensor<?x2xi32>
  %y = celeris.combine %rows, %weights, %row_map
      : tensor<?x128xbf16>, tensor<?x2xf32>, tensor<?x2xi32> -> tensor<?x128xbf16>
  return %y : tensor<?x128xbf16>
}
