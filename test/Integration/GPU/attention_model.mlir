// Model IR to GPU artifact: celeris-compile runs the celeris-gpu pipeline
// (convert-celeris-to-gpu) on these functions, then the NVVM lowering, and
// writes one kernel per function with its manifest entry. The kernels follow
// the cost model: on sm_90a wgmma (D = 128: two warpgroups, 128 rows; D = 64:
// one warpgroup, 64 rows; 128-key tiles, two stages); on sm_80, or with
// --schedule=tensor-cores=mma.sync, mma.sync (D = 128: 64-row tile, 4 warps, one
// stage; D = 64: 128-row tile, 8 warps, two stages, 2 CTAs per SM).
// --q-tile/--kv-tile/--kv-stages override it. attention_model_ptxas.test
// assembles the PTX and checks for spills.
// RUN: rm -rf %t && celeris-compile %s -o %t/sm80 --chip=sm_80 --format=isa | FileCheck %s --check-prefix=DRIVER80
// RUN: FileCheck %s --check-prefix=PTX < %t/sm80/kernels.ptx
// RUN: FileCheck %s --check-prefix=NO-LOCAL < %t/sm80/kernels.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t/sm80/manifest.txt
// RUN: celeris-compile %s -o %t/mma90a --format=isa --schedule=tensor-cores=mma.sync | FileCheck %s --check-prefix=DRIVER90
// RUN: FileCheck %s --check-prefixes=PTX,PTX90 < %t/mma90a/kernels.ptx
// RUN: FileCheck %s --check-prefix=NO-LOCAL < %t/mma90a/kernels.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t/mma90a/manifest.txt
// RUN: celeris-compile %s -o %t/sm90a --format=isa | FileCheck %s --check-prefix=DRIVER90
// RUN: FileCheck %s --check-prefix=WGMMA-PTX < %t/sm90a/kernels.ptx
// RUN: FileCheck %s --check-prefix=NO-LOCAL < %t/sm90a/kernels.ptx
// RUN: FileCheck %s --check-prefix=WGMMA-MANIFEST < %t/sm90a/manifest.txt
// RUN: celeris-compile %s -o %t/tile128 --format=isa "--schedule=tensor-cores=mma.sync q-tile=128"
// RUN: FileCheck %s --check-prefix=TILE128 < %t/tile128/manifest.txt
// RUN: celeris-compile %s -o %t/kv64 --format=isa --schedule=kv-tile=64
// RUN: FileCheck %s --check-prefix=KV64 < %t/kv64/manifest.txt
// RUN: not celeris-compile %s -o %t/bad --schedule=q-tile=96 2>&1 | FileCheck %s --check-prefix=ERROR
// RUN: not celeris-compile %s -o %t/bad --schedule=tensor-cores=wgmma --chip=sm_80 2>&1 | FileCheck %s --check-prefix=ERROR-CHIP
// RUN: not celeris-compile %s -o %t/bad "--schedule=tensor-cores=mma.sync kv-stages=3" 2>&1 | FileCheck %s --check-prefix=ERROR-STAGES
// RUN: not celeris-compile %s -o %t/bad --schedule=bogus=1 2>&1 | FileCheck %s --check-prefix=ERROR-OPTION

// DRIVER80: wrote 6 kernel(s) for sm_80
// DRIVER90: wrote 6 kernel(s) for sm_90a

// mma.sync, on sm_80 and on sm_90a when asked for.
// MANIFEST:      kernel d128_full  # #celeris.gpu_schedule<kernel = attention_prefill, tensor_cores = mma_sync, warps = 4, kv_tile = 64, stages = 2, min_ctas_per_sm = 0>
// MANIFEST-NEXT:   binary kernels.ptx
// MANIFEST-NEXT:   symbol d128_full
// MANIFEST-NEXT:   grid ceildiv(Sq,64) Hq B
// MANIFEST-NEXT:   block 128 1 1
// MANIFEST-NEXT:   shared 70688
// MANIFEST-NEXT:   arg memref<4:bf16> q shape {{[0-9?]+}}x{{[0-9?]+}}x?x128
// MANIFEST-NEXT:   arg memref<4:bf16> k shape {{[0-9?]+}}x{{[0-9?]+}}x?x128
// MANIFEST-NEXT:   arg memref<4:bf16> v shape {{[0-9?]+}}x{{[0-9?]+}}x?x128
// MANIFEST-NEXT:   arg memref<4:bf16> out shape {{[0-9?]+}}x{{[0-9?]+}}x?x128
// MANIFEST-NEXT:   arg memref<3:f32> lse shape ?x16x?
// MANIFEST-NEXT:   size B q 0
// MANIFEST-NEXT:   size Hq q 1
// MANIFEST-NEXT:   size Sq q 2
// MANIFEST-NEXT:   result lse q[0] q[1] q[2]
// MANIFEST-NEXT:   result out q[0] q[1] q[2] v[3]
// MANIFEST-NEXT: end
// MANIFEST:      kernel d128_causal
// MANIFEST:        grid ceildiv(Sq,64) Hq B
// MANIFEST-NEXT:   block 128 1 1
// MANIFEST-NEXT:   shared 70688
// MANIFEST: arg memref<3:f32> lse
// MANIFEST:      kernel d64_causal
// MANIFEST:        grid ceildiv(Sq,128) Hq B
// MANIFEST-NEXT:   block 256 1 1
// MANIFEST-NEXT:   shared 37920
// MANIFEST: arg memref<3:f32> lse
// MANIFEST:      kernel d128_causal_f16
// MANIFEST:        shared 70688
// MANIFEST-NEXT:   arg memref<4:f16> q shape {{[0-9?]+}}x{{[0-9?]+}}x?x128
// MANIFEST-NEXT:   arg memref<4:f16> k shape {{[0-9?]+}}x{{[0-9?]+}}x?x128
// MANIFEST-NEXT:   arg memref<4:f16> v shape {{[0-9?]+}}x{{[0-9?]+}}x?x128
// MANIFEST-NEXT:   arg memref<4:f16> out shape {{[0-9?]+}}x{{[0-9?]+}}x?x128
// MANIFEST-NEXT:   arg memref<3:f32> lse shape ?x16x?
// MANIFEST:      kernel gqa_causal
// MANIFEST:        grid ceildiv(Sq,64) Hq B
// MANIFEST:        arg memref<4:bf16> k shape {{[0-9?]+}}x{{[0-9?]+}}x?x128
// MANIFEST:      kernel dynamic_heads
// MANIFEST:        grid ceildiv(Sq,128) Hq B
// MANIFEST-NEXT:   block 256 1 1
// MANIFEST-NEXT:   shared 37920
// MANIFEST-NEXT:   arg memref<4:bf16> q shape {{[0-9?]+}}x{{[0-9?]+}}x?x64
// MANIFEST-NEXT:   arg memref<4:bf16> k shape {{[0-9?]+}}x{{[0-9?]+}}x?x64
// MANIFEST-NEXT:   arg memref<4:bf16> v shape {{[0-9?]+}}x{{[0-9?]+}}x?x64
// MANIFEST-NEXT:   arg memref<4:bf16> out shape {{[0-9?]+}}x{{[0-9?]+}}x?x64
// MANIFEST-NEXT:   size B q 0
// MANIFEST-NEXT:   size Hq q 1
// MANIFEST-NEXT:   size Sq q 2
// MANIFEST-NEXT:   result out q[0] q[1] q[2] v[3]
// MANIFEST-NEXT: end

// TILE128:      kernel d128_full
// TILE128:        grid ceildiv(Sq,128) Hq B
// TILE128-NEXT:   block 256 1 1
// TILE128-NEXT:   shared 70688

// wgmma with 64-key tiles: less shared memory, the same launch.
// KV64:      kernel d128_full
// KV64:        grid ceildiv(Sq,128) Hq B
// KV64-NEXT:   block 256 1 1
// KV64-NEXT:   shared 99360
// KV64:      kernel d64_causal
// KV64:        grid ceildiv(Sq,64) Hq B
// KV64-NEXT:   block 128 1 1
// KV64-NEXT:   shared 42016

// sm_90a's default, wgmma.
// WGMMA-MANIFEST:      kernel d128_full
// WGMMA-MANIFEST-NEXT:   binary kernels.ptx
// WGMMA-MANIFEST-NEXT:   symbol d128_full
// WGMMA-MANIFEST-NEXT:   grid ceildiv(Sq,128) Hq B
// WGMMA-MANIFEST-NEXT:   block 256 1 1
// WGMMA-MANIFEST-NEXT:   shared 164896
// WGMMA-MANIFEST-NEXT:   arg memref<4:bf16> q shape {{[0-9?]+}}x{{[0-9?]+}}x?x128
// WGMMA-MANIFEST-NEXT:   arg memref<4:bf16> k shape {{[0-9?]+}}x{{[0-9?]+}}x?x128
// WGMMA-MANIFEST-NEXT:   arg memref<4:bf16> v shape {{[0-9?]+}}x{{[0-9?]+}}x?x128
// WGMMA-MANIFEST-NEXT:   arg memref<4:bf16> out shape {{[0-9?]+}}x{{[0-9?]+}}x?x128
// WGMMA-MANIFEST-NEXT: arg memref<3:f32> lse
// WGMMA-MANIFEST-NEXT:   size B q 0
// WGMMA-MANIFEST-NEXT:   size Hq q 1
// WGMMA-MANIFEST-NEXT:   size Sq q 2
// WGMMA-MANIFEST-NEXT:   result lse q[0] q[1] q[2]
// WGMMA-MANIFEST-NEXT:   result out q[0] q[1] q[2] v[3]
// WGMMA-MANIFEST-NEXT:   tensor_map q box 1x1x128x64 swizzle 128
// WGMMA-MANIFEST-NEXT:   tensor_map k box 1x1x128x64 swizzle 128
// WGMMA-MANIFEST-NEXT:   tensor_map v box 1x1x128x64 swizzle 128
// WGMMA-MANIFEST-NEXT: end
// WGMMA-MANIFEST:      kernel d128_causal
// WGMMA-MANIFEST:        grid ceildiv(Sq,128) Hq B
// WGMMA-MANIFEST-NEXT:   block 256 1 1
// WGMMA-MANIFEST-NEXT:   shared 164896
// WGMMA-MANIFEST:      kernel d64_causal
// WGMMA-MANIFEST:        grid ceildiv(Sq,64) Hq B
// WGMMA-MANIFEST-NEXT:   block 128 1 1
// WGMMA-MANIFEST-NEXT:   shared 74784
// WGMMA-MANIFEST: arg memref<3:f32> lse
// WGMMA-MANIFEST:      kernel d128_causal_f16
// WGMMA-MANIFEST:        grid ceildiv(Sq,128) Hq B
// WGMMA-MANIFEST-NEXT:   block 256 1 1
// WGMMA-MANIFEST-NEXT:   shared 164896
// WGMMA-MANIFEST-NEXT:   arg memref<4:f16> q shape {{[0-9?]+}}x{{[0-9?]+}}x?x128
// WGMMA-MANIFEST:      kernel gqa_causal
// WGMMA-MANIFEST:        grid ceildiv(Sq,128) Hq B
// WGMMA-MANIFEST-NEXT:   block 256 1 1
// WGMMA-MANIFEST:      kernel dynamic_heads
// WGMMA-MANIFEST:        grid ceildiv(Sq,64) Hq B
// WGMMA-MANIFEST-NEXT:   block 128 1 1
// WGMMA-MANIFEST-NEXT:   shared 74784
// WGMMA-MANIFEST-NEXT:   arg memref<4:bf16> q shape {{[0-9?]+}}x{{[0-9?]+}}x?x64
// WGMMA-MANIFEST-NEXT:   arg memref<4:bf16> k shape {{[0-9?]+}}x{{[0-9?]+}}x?x64
// WGMMA-MANIFEST-NEXT:   arg memref<4:bf16> v shape {{[0-9?]+}}x{{[0-9?]+}}x?x64
// WGMMA-MANIFEST-NEXT:   arg memref<4:bf16> out shape {{[0-9?]+}}x{{[0-9?]+}}x?x64
// WGMMA-MANIFEST-NEXT:   size B q 0
// WGMMA-MANIFEST-NEXT:   size Hq q 1
// WGMMA-MANIFEST-NEXT:   size Sq q 2
// WGMMA-MANIFEST-NEXT:   result out q[0] q[1] q[2] v[3]
// WGMMA-MANIFEST-NEXT:   tensor_map q box 1x1x64x64 swizzle 128
// WGMMA-MANIFEST-NEXT:   tensor_map k box 1x1x128x64 swizzle 128
// WGMMA-MANIFEST-NEXT:   tensor_map v box 1x1x128x64 swizzle 128
// WGMMA-MANIFEST-NEXT: end

// ERROR: error: celeris-select-gpu-schedule: q-tile must be 64 or 128
// ERROR-NOT: wrote
// ERROR-CHIP: error: GPU schedule: tensor-cores=wgmma needs sm_90a, not sm_80
// ERROR-CHIP-NOT: wrote
// ERROR-STAGES: error: GPU schedule: gpu_schedule: mma_sync kernels double-buffer their key/value tiles: stages must be 2, got 3
// ERROR-STAGES-NOT: wrote
// ERROR-OPTION: celeris-compile: error: --schedule: <Pass-Options-Parser>: no such option bogus
// ERROR-OPTION-NOT: wrote

// PTX90: .target sm_90a
// PTX-NOT: .func
// PTX-DAG: .visible .entry d128_full(
// PTX-DAG: .visible .entry d128_causal(
// PTX-DAG: .visible .entry d64_causal(
// PTX-DAG: .visible .entry d128_causal_f16(
// PTX-DAG: .visible .entry gqa_causal(
// PTX-DAG: .visible .entry dynamic_heads(
// PTX-DAG: cp.async.cg.shared.global
// PTX-DAG: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX-DAG: ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTX-DAG: shfl.sync.bfly.b32
// PTX-DAG: ex2.approx.ftz.f32
// PTX-DAG: lg2.approx.f32
// PTX-NOT: wgmma

// WGMMA-PTX: .target sm_90a
// WGMMA-PTX-NOT: .func
// WGMMA-PTX-DAG: .visible .entry d128_full(
// WGMMA-PTX-DAG: .visible .entry d128_causal(
// WGMMA-PTX-DAG: .visible .entry d64_causal(
// WGMMA-PTX-DAG: .visible .entry d128_causal_f16(
// WGMMA-PTX-DAG: .visible .entry gqa_causal(
// WGMMA-PTX-DAG: .visible .entry dynamic_heads(
// WGMMA-PTX-DAG: .maxntid 256, 1, 1
// WGMMA-PTX-DAG: .maxntid 128, 1, 1
// WGMMA-PTX-DAG: mbarrier.init.shared.b64
// WGMMA-PTX-DAG: .param .align 64 .b8 d128_full_param_{{[0-9]+}}[128]
// WGMMA-PTX-DAG: mbarrier.arrive.expect_tx.shared.b64
// WGMMA-PTX-DAG: cp.async.bulk.tensor.4d.shared::cluster.global.tile.mbarrier::complete_tx::bytes
// WGMMA-PTX-DAG: mbarrier.try_wait.parity.shared.b64
// WGMMA-PTX-DAG: fence.proxy.async.shared::cta
// WGMMA-PTX-DAG: wgmma.fence.sync.aligned
// WGMMA-PTX-DAG: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
// WGMMA-PTX-DAG: wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16
// WGMMA-PTX-DAG: wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16
// WGMMA-PTX-DAG: wgmma.commit_group.sync.aligned
// WGMMA-PTX-DAG: wgmma.wait_group.sync.aligned 0
// WGMMA-PTX-DAG: mbarrier.arrive.shared.b64
// WGMMA-PTX-DAG: shfl.sync.bfly.b32
// WGMMA-PTX-DAG: lg2.approx
// WGMMA-PTX-NOT: mma.sync

// Every kernel keeps its state in registers: nothing on the stack.
// NO-LOCAL-NOT: ld.local
// NO-LOCAL-NOT: st.local

func.func @d128_full(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x16x?x128xbf16>,
                     %v: tensor<?x16x?x128xbf16>)
    -> (tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>) {
  %o, %lse = celeris.attention %q, %k, %v
      : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>
      -> tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
  return %o, %lse : tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
}

func.func @d128_causal(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x16x?x128xbf16>,
                       %v: tensor<?x16x?x128xbf16>)
    -> (tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>) {
  %o, %lse = celeris.attention %q, %k, %v mask <causal>
      : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>
      -> tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
  return %o, %lse : tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
}

func.func @d64_causal(%q: tensor<?x32x?x64xbf16>, %k: tensor<?x32x?x64xbf16>,
                      %v: tensor<?x32x?x64xbf16>)
    -> (tensor<?x32x?x64xbf16>, tensor<?x32x?xf32>) {
  %o, %lse = celeris.attention %q, %k, %v mask <causal>
      : tensor<?x32x?x64xbf16>, tensor<?x32x?x64xbf16>, tensor<?x32x?x64xbf16>
      -> tensor<?x32x?x64xbf16>, tensor<?x32x?xf32>
  return %o, %lse : tensor<?x32x?x64xbf16>, tensor<?x32x?xf32>
}

func.func @d128_causal_f16(%q: tensor<?x16x?x128xf16>, %k: tensor<?x16x?x128xf16>,
                           %v: tensor<?x16x?x128xf16>)
    -> (tensor<?x16x?x128xf16>, tensor<?x16x?xf32>) {
  %o, %lse = celeris.attention %q, %k, %v mask <causal>
      : tensor<?x16x?x128xf16>, tensor<?x16x?x128xf16>, tensor<?x16x?x128xf16>
      -> tensor<?x16x?x128xf16>, tensor<?x16x?xf32>
  return %o, %lse : tensor<?x16x?x128xf16>, tensor<?x16x?xf32>
}

// Grouped-query attention, 32 query heads over 8 key/value heads.
func.func @gqa_causal(%q: tensor<2x32x?x128xbf16>, %k: tensor<2x8x?x128xbf16>,
                      %v: tensor<2x8x?x128xbf16>)
    -> (tensor<2x32x?x128xbf16>, tensor<2x32x?xf32>) {
  %o, %lse = celeris.attention %q, %k, %v mask <causal>
      : tensor<2x32x?x128xbf16>, tensor<2x8x?x128xbf16>, tensor<2x8x?x128xbf16>
      -> tensor<2x32x?x128xbf16>, tensor<2x32x?xf32>
  return %o, %lse : tensor<2x32x?x128xbf16>, tensor<2x32x?xf32>
}

// Head counts known only at run time (MQA through GQA), no lse.
func.func @dynamic_heads(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                         %v: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %o = celeris.attention %q, %k, %v
      : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
      -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}
