// Model IR to GPU artifact: celeris-compile runs the celeris-gpu pipeline
// (convert-celeris-to-gpu) on these functions, then the NVVM lowering, and
// writes one kernel per function with its manifest entry. The kernels follow
// the cost model (D = 128: 64-row tile, 4 warps, one stage; D = 64: 128-row
// tile, 8 warps, two stages, 2 CTAs per SM); --q-tile/--kv-stages override
// it. attention_model_ptxas.test assembles the PTX and checks for spills.
// RUN: rm -rf %t && celeris-compile %s -o %t/sm80 --chip=sm_80 --format=isa | FileCheck %s --check-prefix=DRIVER80
// RUN: FileCheck %s --check-prefix=PTX < %t/sm80/kernels.ptx
// RUN: celeris-compile %s -o %t/sm90a --format=isa | FileCheck %s --check-prefix=DRIVER90
// RUN: FileCheck %s --check-prefixes=PTX,PTX90 < %t/sm90a/kernels.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t/sm90a/manifest.txt
// RUN: celeris-compile %s -o %t/tile128 --format=isa --q-tile=128 --kv-stages=2
// RUN: FileCheck %s --check-prefix=TILE128 < %t/tile128/manifest.txt
// RUN: not celeris-compile %s -o %t/bad --q-tile=96 2>&1 | FileCheck %s --check-prefix=ERROR

// DRIVER80: wrote 6 kernel(s) for sm_80
// DRIVER90: wrote 6 kernel(s) for sm_90a

// MANIFEST:      kernel d128_full
// MANIFEST-NEXT:   binary kernels.ptx
// MANIFEST-NEXT:   symbol d128_full
// MANIFEST-NEXT:   grid ceildiv(Sq,64) Hq B
// MANIFEST-NEXT:   block 128 1 1
// MANIFEST-NEXT:   shared 34816
// MANIFEST-NEXT:   arg memref<4:bf16> q
// MANIFEST-NEXT:   arg memref<4:bf16> k
// MANIFEST-NEXT:   arg memref<4:bf16> v
// MANIFEST-NEXT:   arg memref<4:bf16> out
// MANIFEST-NEXT:   arg memref<3:f32> lse
// MANIFEST-NEXT:   size B q 0
// MANIFEST-NEXT:   size Hq q 1
// MANIFEST-NEXT:   size Sq q 2
// MANIFEST-NEXT: end
// MANIFEST:      kernel d128_causal
// MANIFEST:        grid ceildiv(Sq,64) Hq B
// MANIFEST-NEXT:   block 128 1 1
// MANIFEST-NEXT:   shared 34816
// MANIFEST:        arg memref<3:f32> lse
// MANIFEST:      kernel d64_causal
// MANIFEST:        grid ceildiv(Sq,128) Hq B
// MANIFEST-NEXT:   block 256 1 1
// MANIFEST-NEXT:   shared 36864
// MANIFEST:        arg memref<3:f32> lse
// MANIFEST:      kernel d128_causal_f16
// MANIFEST:        shared 34816
// MANIFEST-NEXT:   arg memref<4:f16> q
// MANIFEST-NEXT:   arg memref<4:f16> k
// MANIFEST-NEXT:   arg memref<4:f16> v
// MANIFEST-NEXT:   arg memref<4:f16> out
// MANIFEST-NEXT:   arg memref<3:f32> lse
// MANIFEST:      kernel gqa_causal
// MANIFEST:        grid ceildiv(Sq,64) Hq B
// MANIFEST:        arg memref<4:bf16> k
// MANIFEST:      kernel dynamic_heads
// MANIFEST:        grid ceildiv(Sq,128) Hq B
// MANIFEST-NEXT:   block 256 1 1
// MANIFEST-NEXT:   shared 36864
// MANIFEST-NEXT:   arg memref<4:bf16> q
// MANIFEST-NEXT:   arg memref<4:bf16> k
// MANIFEST-NEXT:   arg memref<4:bf16> v
// MANIFEST-NEXT:   arg memref<4:bf16> out
// MANIFEST-NEXT:   size B q 0
// MANIFEST-NEXT:   size Hq q 1
// MANIFEST-NEXT:   size Sq q 2
// MANIFEST-NEXT: end

// TILE128:      kernel d128_full
// TILE128:        grid ceildiv(Sq,128) Hq B
// TILE128-NEXT:   block 256 1 1
// TILE128-NEXT:   shared 69632

// ERROR: error: convert-celeris-to-gpu: q-tile must be 64 or 128
// ERROR-NOT: wrote

// PTX90: .target sm_90a
// PTX-NOT: .func
// PTX-DAG: .visible .entry d128_full(
// PTX-DAG: .visible .entry d128_causal(
// PTX-DAG: .visible .entry d64_causal(
// PTX-DAG: .visible .entry d128_causal_f16(
// PTX-DAG: .visible .entry gqa_causal(
// PTX-DAG: .visible .entry dynamic_heads(
// PTX-DAG: .minnctapersm 2
// PTX-DAG: cp.async.cg.shared.global
// PTX-DAG: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX-DAG: ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTX-DAG: shfl.sync.bfly.b32
// PTX-DAG: ex2.approx.f32
// PTX-DAG: lg2.approx.f32
// PTX-NOT: ld.local
// PTX-NOT: st.local

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
