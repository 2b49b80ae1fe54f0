// RUN: celeris-opt %s -celeris-select-gpu-schedule | FileCheck %s --check-prefix=FAMILY
// RUN: celeris-opt %s -celeris-select-gpu-schedule=decode-warps=2 | FileCheck %s --check-prefix=OVERRIDE
// RUN: celeris-opt %s -celeris-gpu -canonicalize -cse | FileCheck %s --check-prefix=KERNEL

// The kernel family follows from the op: a static query length of at most
// 16 without segment ids, varlen offsets or a block layout is decoded
// (split-KV, GQA heads packed), anything else is prefill.

// FAMILY-LABEL: func.func @decode_step
// FAMILY: #celeris.gpu_schedule<kernel = attention_decode, tensor_cores = mma_sync, warps = 4, kv_tile = 64, stages = 2, min_ctas_per_sm = 0>
// OVERRIDE-LABEL: func.func @decode_step
// OVERRIDE: #celeris.gpu_schedule<kernel = attention_decode, tensor_cores = mma_sync, warps = 2, kv_tile = 64, stages = 2, min_ctas_per_sm = 0>
// Grid (splits, Hkv x row tiles of 16 packed rows, B); the splits and the
// workspace follow from the runtime sizes.
// KERNEL-LABEL: gpu.func @decode_step
// KERNEL-SAME: %{{.+}}: memref<?xi8>
// KERNEL-SAME: celeris.arg_names = ["q", "k", "v", "kv_lengths", "out", "lse", "workspace"]
// KERNEL-SAME: block = array<i32: 128, 1, 1>
// KERNEL-SAME: grid = ["max(1,min(min(32,ceildiv(ceildiv(Sk,64),4)),(ceildiv(3*B*Hkv*ceildiv((Hq/Hkv)*Sq,16),396)*396)/max(1,B*Hkv*ceildiv((Hq/Hkv)*Sq,16))))", "Hkv*ceildiv((Hq/Hkv)*Sq,16)", "B"]
// KERNEL-SAME: sizes = {B = "q[0]", Hkv = "k[1]", Hq = "q[1]", Sk = "k[2]", Sq = "q[2]"}
// KERNEL-SAME: workspace = "256*ceildiv(B*Hkv*ceildiv((Hq/Hkv)*Sq,16)*4,256)+B*Hkv*ceildiv((Hq/Hkv)*Sq,16)*2048+B*Hkv*ceildiv((Hq/Hkv)*Sq,16)*max(1,min(min(32,ceildiv(ceildiv(Sk,64),4)),(ceildiv(3*B*Hkv*ceildiv((Hq/Hkv)*Sq,16),396)*396)/max(1,B*Hkv*ceildiv((Hq/Hkv)*Sq,16))))*8192"
// The four warps' partials (each over 16 keys of a tile) merge in shared
// memory; then one split writes out directly, several write partials,
// count, and the last (told through shared memory) merges them in split
// order.
// KERNEL: gpu.barrier
// KERNEL-COUNT-4: vector.load %{{.+}} : memref<8257xf32, #gpu.address_space<workgroup>>, vector<4xf32>
// KERNEL: memref.view %{{.+}} : memref<?xi8> to memref<?xi32>
// KERNEL: nvvm.memory.barrier <gpu>
// KERNEL: memref.atomic_rmw addi
// KERNEL: memref.store %{{.+}}, %{{.+}}[%c8256]
// KERNEL: gpu.barrier
// KERNEL: memref.load %{{.+}}[%c8256]
// KERNEL: nvvm.memory.barrier <gpu>
// KERNEL: scf.for %{{.+}} = %c0 to %{{.+}} step %c4
// KERNEL-COUNT-16: vector.load %{{.+}} : memref<?xf32>, vector<4xf32>
// KERNEL-COUNT-16: vector.fma
func.func @decode_step(%q: tensor<?x32x1x128xbf16>, %k: tensor<?x8x?x128xbf16>, %v: tensor<?x8x?x128xbf16>, %lens: tensor<?xi32>)
    -> (tensor<?x32x1x128xbf16>, tensor<?x32x1xf32>) {
  %out, %lse = celeris.attention %q, %k, %v kv_lengths(%lens : tensor<?xi32>) mask <causal>
      : tensor<?x32x1x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16>
      -> tensor<?x32x1x128xbf16>, tensor<?x32x1xf32>
  return %out, %lse : tensor<?x32x1x128xbf16>, tensor<?x32x1xf32>
}

// A paged cache: the logical length is pages per sequence x page size; with
// pages a multiple of the key tile, one table lookup per tile.
// FAMILY-LABEL: func.func @paged
// FAMILY: kernel = attention_decode
// KERNEL-LABEL: gpu.func @paged
// KERNEL-SAME: celeris.arg_names = ["q", "k", "v", "kv_lengths", "page_table", "out", "lse", "workspace"]
// KERNEL-SAME: min(min(32,ceildiv(ceildiv(NP*P,64),4))
// KERNEL-SAME: sizes = {B = "q[0]", Hkv = "k[1]", Hq = "q[1]", NP = "page_table[1]", P = "k[2]", Sq = "q[2]"}
// KERNEL: %[[PAGE:.+]] = memref.load %arg4[%{{.+}}, %{{.+}}] : memref<?x?xi32>
// KERNEL-NOT: memref.load %arg4
// KERNEL: nvgpu.device_async_copy %arg1[%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}]
// KERNEL: memref.load %arg4
func.func @paged(%q: tensor<?x32x1x128xbf16>, %k: tensor<?x8x64x128xbf16>, %v: tensor<?x8x64x128xbf16>, %lens: tensor<?xi32>, %table: tensor<?x?xi32>)
    -> (tensor<?x32x1x128xbf16>, tensor<?x32x1xf32>) {
  %out, %lse = celeris.attention %q, %k, %v kv_lengths(%lens : tensor<?xi32>) page_table(%table : tensor<?x?xi32>) mask <causal>
      : tensor<?x32x1x128xbf16>, tensor<?x8x64x128xbf16>, tensor<?x8x64x128xbf16>
      -> tensor<?x32x1x128xbf16>, tensor<?x32x1xf32>
  return %out, %lse : tensor<?x32x1x128xbf16>, tensor<?x32x1xf32>
}

// 16 query rows (speculative decoding) still decode; 17 do not.
// FAMILY-LABEL: func.func @sixteen_rows
// FAMILY: kernel = attention_decode
func.func @sixteen_rows(%q: tensor<?x8x16x64xf16>, %k: tensor<?x8x?x64xf16>, %v: tensor<?x8x?x64xf16>) -> tensor<?x8x16x64xf16> {
  %o = celeris.attention %q, %k, %v mask <causal> : tensor<?x8x16x64xf16>, tensor<?x8x?x64xf16>, tensor<?x8x?x64xf16> -> tensor<?x8x16x64xf16>
  return %o : tensor<?x8x16x64xf16>
}

// FAMILY-LABEL: func.func @seventeen_rows
// FAMILY: kernel = attention_prefill
func.func @seventeen_rows(%q: tensor<?x8x17x64xf16>, %k: tensor<?x8x?x64xf16>, %v: tensor<?x8x?x64xf16>) -> tensor<?x8x17x64xf16> {
  %o = celeris.attention %q, %k, %v mask <causal> : tensor<?x8x17x64xf16>, tensor<?x8x?x64xf16>, tensor<?x8x?x64xf16> -> tensor<?x8x17x64xf16>
  return %o : tensor<?x8x17x64xf16>
}

// FAMILY-LABEL: func.func @dynamic_rows
// FAMILY: kernel = attention_prefill
func.func @dynamic_rows(%q: tensor<?x8x?x64xf16>, %k: tensor<?x8x?x64xf16>, %v: tensor<?x8x?x64xf16>) -> tensor<?x8x?x64xf16> {
  %o = celeris.attention %q, %k, %v mask <causal> : tensor<?x8x?x64xf16>, tensor<?x8x?x64xf16>, tensor<?x8x?x64xf16> -> tensor<?x8x?x64xf16>
  return %o : tensor<?x8x?x64xf16>
}

// Segment ids stay with the prefill kernel at any query length.
// FAMILY-LABEL: func.func @segments_one_row
// FAMILY: kernel = attention_prefill
func.func @segments_one_row(%q: tensor<?x8x1x64xbf16>, %k: tensor<?x8x?x64xbf16>, %v: tensor<?x8x?x64xbf16>, %qid: tensor<?x1xi32>, %kid: tensor<?x?xi32>) -> tensor<?x8x1x64xbf16> {
  %o = celeris.attention %q, %k, %v segment_ids(%qid, %kid : tensor<?x1xi32>, tensor<?x?xi32>) : tensor<?x8x1x64xbf16>, tensor<?x8x?x64xbf16>, tensor<?x8x?x64xbf16> -> tensor<?x8x1x64xbf16>
  return %o : tensor<?x8x1x64xbf16>
}
