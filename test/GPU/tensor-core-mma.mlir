// RUN: celeris-opt %s -test-celeris-kernel-blocks -canonicalize -cse -split-input-file | FileCheck %s

// The two tensor-core families behind one interface, on S = A B^T (A 64x16,
// B 16x16 K-major) followed by O += toA(S) B (B MN-major).

// wgmma: S with both operands from shared memory (nvvm.wgmma.mma_async,
// D scaled by zero: S = A B^T), the wait and the register fence; O with A
// from registers (inline PTX, transpose-b for MN-major) accumulating.
// CHECK-LABEL: gpu.func @wgmma
// CHECK: nvvm.wgmma.fence.aligned
// CHECK: nvvm.wgmma.mma_async %{{.+}}, %{{.+}}, %{{.+}}, <m = 64, n = 16, k = 16>, D[<f32>, <zero>], A[<bf16>, <one>, <row>], B[<bf16>, <one>, <col>]
// CHECK: nvvm.wgmma.commit.group.sync.aligned
// CHECK: nvvm.wgmma.wait.group.sync.aligned 0
// CHECK: llvm.inline_asm has_side_effects asm_dialect = att "", "=f,=f,=f,=f,=f,=f,=f,=f,0,1,2,3,4,5,6,7"
// CHECK-COUNT-4: llvm.bitcast %{{.+}} : vector<2xbf16> to i32
// CHECK: nvvm.wgmma.fence.aligned
// CHECK: llvm.inline_asm has_side_effects asm_dialect = att "wgmma.mma_async.sync.aligned.m64n16k16.f32.bf16.bf16 {$0, $1, $2, $3, $4, $5, $6, $7}, {$16, $17, $18, $19}, $20, 1, 1, 1, 1;"
// CHECK: nvvm.wgmma.commit.group.sync.aligned
// CHECK: nvvm.wgmma.wait.group.sync.aligned 0
// Then one more group left running: wait for all but one, then for all.
// CHECK: nvvm.wgmma.commit.group.sync.aligned
// CHECK-NEXT: nvvm.wgmma.wait.group.sync.aligned 1
// CHECK-NEXT: nvvm.wgmma.wait.group.sync.aligned 0
gpu.module @blocks {
  gpu.func @wgmma(%out: memref<?xf32>) kernel attributes {celeris.test_block = "mma-wgmma"} {
    gpu.return
  }
}

// -----

// mma.sync: A loaded once by ldmatrix from the padded tile (rows of 16 + 8
// elements), B by ldmatrix (K-major: registers {0, 2} and {1, 3} per n8
// block) or ldmatrix.trans (MN-major); m16n8k16 per n8 block, no waits.
// CHECK-LABEL: gpu.func @mma_sync
// CHECK-NOT: wgmma
// CHECK: arith.muli %{{.+}}, %c24 : index
// CHECK: nvgpu.ldmatrix %{{.+}} {numTiles = 4 : i32, transpose = false}
// CHECK: %[[B:.+]] = nvgpu.ldmatrix %{{.+}} {numTiles = 4 : i32, transpose = false}
// CHECK: vector.extract %[[B]][0]
// CHECK: vector.extract %[[B]][2]
// CHECK: nvvm.mma.sync A[{{.+}}]  B[{{.+}}]  C[%cst, %cst, %cst, %cst]  {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, {{.+}}shape = #nvvm.shape<m = 16, n = 8, k = 16>}
// CHECK: nvvm.mma.sync
// CHECK: nvgpu.ldmatrix %{{.+}} {numTiles = 4 : i32, transpose = true}
// CHECK-COUNT-2: nvvm.mma.sync
// Waiting for pending groups is a no-op: mma.sync completes when issued.
// CHECK-NOT: wait.group
gpu.module @blocks {
  gpu.func @mma_sync(%out: memref<?xf32>) kernel attributes {celeris.test_block = "mma-sync"} {
    gpu.return
  }
}
