// RUN: celeris-opt %s -test-celeris-kernel-blocks -canonicalize -cse | FileCheck %s

// The PTX no MLIR 22 op expresses, one helper each: tanh.approx (pure),
// the register fence after wgmma.wait_group (tied operands, volatile), and
// wgmma with A from registers (tied accumulators, four b32 A registers, the
// B descriptor; scale-d 1, transpose-b 1 here).
// CHECK-LABEL: gpu.func @ptx
// CHECK: llvm.inline_asm asm_dialect = att "tanh.approx.f32 $0, $1;", "=f,f" %arg0 : (f32) -> f32
// CHECK: llvm.inline_asm has_side_effects asm_dialect = att "", "=f,=f,=f,=f,=f,=f,=f,=f,0,1,2,3,4,5,6,7" %arg0, %arg1, %arg2, %arg3, %arg4, %arg5, %arg6, %arg7
// CHECK: llvm.inline_asm has_side_effects asm_dialect = att "wgmma.mma_async.sync.aligned.m64n16k16.f32.bf16.bf16 {$0, $1, $2, $3, $4, $5, $6, $7}, {$16, $17, $18, $19}, $20, 1, 1, 1, 1;", "=f,=f,=f,=f,=f,=f,=f,=f,0,1,2,3,4,5,6,7,r,r,r,r,l"
gpu.module @blocks {
  gpu.func @ptx(%s0: f32, %s1: f32, %s2: f32, %s3: f32, %s4: f32, %s5: f32, %s6: f32, %s7: f32, %out: memref<?xf32>) kernel attributes {celeris.test_block = "ptx"} {
    gpu.return
  }
}
