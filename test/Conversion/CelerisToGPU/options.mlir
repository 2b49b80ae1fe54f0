// The cost model's schedule per chip and head dim, and pass options
// overriding it. mma.sync below sm_90a, or when asked for:
// RUN: celeris-opt %s -convert-celeris-to-gpu=chip=sm_80 | FileCheck %s --check-prefix=MODEL
// RUN: celeris-opt %s -convert-celeris-to-gpu=chip=sm_90 | FileCheck %s --check-prefix=MODEL
// RUN: celeris-opt %s -convert-celeris-to-gpu=tensor-cores=mma.sync | FileCheck %s --check-prefix=MODEL
// RUN: celeris-opt %s -convert-celeris-to-gpu="tensor-cores=mma.sync q-tile=128 kv-stages=2" | FileCheck %s --check-prefix=TILE128
// RUN: celeris-opt %s -convert-celeris-to-gpu="chip=sm_80 q-tile=64" | FileCheck %s --check-prefix=TILE64
// RUN: celeris-opt %s -convert-celeris-to-gpu="chip=sm_80 kv-stages=2" | FileCheck %s --check-prefix=STAGES2
// RUN: celeris-opt %s -convert-celeris-to-gpu="tensor-cores=mma.sync q-tile=64 min-ctas-per-sm=3" | FileCheck %s --check-prefix=CTAS3
// wgmma, the sm_90a default:
// RUN: celeris-opt %s -convert-celeris-to-gpu | FileCheck %s --check-prefix=WGMMA
// RUN: celeris-opt %s -convert-celeris-to-gpu=tensor-cores=wgmma | FileCheck %s --check-prefix=WGMMA
// RUN: celeris-opt %s -convert-celeris-to-gpu=kv-tile=64 | FileCheck %s --check-prefix=WGMMA-KV64
// RUN: celeris-opt %s -convert-celeris-to-gpu=q-tile=64 | FileCheck %s --check-prefix=WGMMA-Q64
// RUN: celeris-opt %s -convert-celeris-to-gpu=q-tile=128 | FileCheck %s --check-prefix=WGMMA-Q128
// The celeris-gpu pipeline forwards the same options.
// RUN: celeris-opt %s -celeris-gpu="tensor-cores=mma.sync q-tile=128 kv-stages=2" | FileCheck %s --check-prefix=TILE128
// RUN: celeris-opt %s -celeris-gpu=kv-tile=64 | FileCheck %s --check-prefix=WGMMA-KV64

// D = 128: 64-row tile, 4 warps, one stage, no register cap.
// MODEL-LABEL:  gpu.func @d128(
// MODEL-SAME:     celeris.launch = {block = array<i32: 128, 1, 1>, grid = ["ceildiv(Sq,64)", "Hq", "B"], shared = "34816"
// MODEL-NOT:      nvvm.minctasm
// MODEL:          memref<128x136xbf16, #gpu.address_space<workgroup>>
// MODEL-NOT:      numGroups = 2
// D = 64: 128-row tile, 8 warps, two stages, 2 CTAs per SM.
// MODEL-LABEL:  gpu.func @d64(
// MODEL-SAME:     celeris.launch = {block = array<i32: 256, 1, 1>, grid = ["ceildiv(Sq,128)", "Hq", "B"], shared = "36864"
// MODEL-SAME:     nvvm.maxntid = array<i32: 256, 1, 1>, nvvm.minctasm = 2 : i32
// MODEL:          memref<256x72xbf16, #gpu.address_space<workgroup>>
// MODEL:          numGroups = 2
// MODEL-NOT:      wgmma

// TILE128-LABEL: gpu.func @d128(
// TILE128-SAME:    celeris.launch = {block = array<i32: 256, 1, 1>, grid = ["ceildiv(Sq,128)", "Hq", "B"], shared = "69632"
// TILE128-NOT:     nvvm.minctasm
// TILE128:         memref<256x136xbf16, #gpu.address_space<workgroup>>
// TILE128:         numGroups = 2
// The D = 64 model already is that schedule: its register cap stays.
// TILE128-LABEL: gpu.func @d64(
// TILE128-SAME:    shared = "36864"
// TILE128-SAME:    nvvm.minctasm = 2 : i32

// TILE64-LABEL: gpu.func @d128(
// TILE64-SAME:    block = array<i32: 128, 1, 1>
// The cap measured for the 128-row tile does not carry over.
// TILE64-LABEL: gpu.func @d64(
// TILE64-SAME:    celeris.launch = {block = array<i32: 128, 1, 1>, grid = ["ceildiv(Sq,64)", "Hq", "B"], shared = "36864"
// TILE64-NOT:     nvvm.minctasm
// TILE64:         memref<256x72xbf16, #gpu.address_space<workgroup>>

// STAGES2-LABEL: gpu.func @d128(
// STAGES2-SAME:    celeris.launch = {block = array<i32: 128, 1, 1>, grid = ["ceildiv(Sq,64)", "Hq", "B"], shared = "69632"
// STAGES2:         memref<256x136xbf16, #gpu.address_space<workgroup>>
// STAGES2:         numGroups = 2

// CTAS3-LABEL: gpu.func @d128(
// CTAS3-SAME:    nvvm.maxntid = array<i32: 128, 1, 1>, nvvm.minctasm = 3 : i32
// CTAS3-LABEL: gpu.func @d64(
// CTAS3-SAME:    nvvm.maxntid = array<i32: 128, 1, 1>, nvvm.minctasm = 3 : i32

// sm_90a, D = 128: two warpgroups (128 rows), 128-key tiles, two stages,
// one CTA per SM.
// WGMMA-LABEL:  gpu.func @d128(
// WGMMA-SAME:     celeris.launch = {block = array<i32: 256, 1, 1>, grid = ["ceildiv(Sq,128)", "Hq", "B"], shared = "164896"
// WGMMA-SAME:     nvvm.maxntid = array<i32: 256, 1, 1>, nvvm.minctasm = 1 : i32
// WGMMA:          wgmma.mma_async.sync.aligned.m64n128k16
// WGMMA-NOT:      nvvm.mma.sync
// sm_90a, D = 64: one warpgroup (64 rows), so several CTAs share an SM.
// WGMMA-LABEL:  gpu.func @d64(
// WGMMA-SAME:     celeris.launch = {block = array<i32: 128, 1, 1>, grid = ["ceildiv(Sq,64)", "Hq", "B"], shared = "74784"
// WGMMA-SAME:     nvvm.maxntid = array<i32: 128, 1, 1>, nvvm.minctasm = 1 : i32
// WGMMA:          wgmma.mma_async.sync.aligned.m64n128k16

// WGMMA-KV64-LABEL: gpu.func @d128(
// WGMMA-KV64-SAME:    celeris.launch = {block = array<i32: 256, 1, 1>, grid = ["ceildiv(Sq,128)", "Hq", "B"], shared = "99360"
// WGMMA-KV64:         wgmma.mma_async.sync.aligned.m64n64k16
// WGMMA-KV64-LABEL: gpu.func @d64(
// WGMMA-KV64-SAME:    celeris.launch = {block = array<i32: 128, 1, 1>, grid = ["ceildiv(Sq,64)", "Hq", "B"], shared = "42016"

// WGMMA-Q64-LABEL: gpu.func @d128(
// WGMMA-Q64-SAME:    celeris.launch = {block = array<i32: 128, 1, 1>, grid = ["ceildiv(Sq,64)", "Hq", "B"], shared = "148512"
// WGMMA-Q64-SAME:    nvvm.maxntid = array<i32: 128, 1, 1>, nvvm.minctasm = 1 : i32
// WGMMA-Q64-LABEL: gpu.func @d64(
// WGMMA-Q64-SAME:    block = array<i32: 128, 1, 1>

// WGMMA-Q128-LABEL: gpu.func @d128(
// WGMMA-Q128-SAME:    block = array<i32: 256, 1, 1>
// WGMMA-Q128-LABEL: gpu.func @d64(
// WGMMA-Q128-SAME:    celeris.launch = {block = array<i32: 256, 1, 1>, grid = ["ceildiv(Sq,128)", "Hq", "B"], shared = "82976"
// WGMMA-Q128-SAME:    nvvm.maxntid = array<i32: 256, 1, 1>, nvvm.minctasm = 1 : i32


func.func @d128(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x16x?x128xbf16>, %v: tensor<?x16x?x128xbf16>)
    -> tensor<?x16x?x128xbf16> {
  %o = celeris.attention %q, %k, %v
      : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16> -> tensor<?x16x?x128xbf16>
  return %o : tensor<?x16x?x128xbf16>
}

func.func @d64(%q: tensor<?x16x?x64xbf16>, %k: tensor<?x16x?x64xbf16>, %v: tensor<?x16x?x64xbf16>)
    -> tensor<?x16x?x64xbf16> {
  %o = celeris.attention %q, %k, %v
      : tensor<?x16x?x64xbf16>, tensor<?x16x?x64xbf16>, tensor<?x16x?x64xbf16> -> tensor<?x16x?x64xbf16>
  return %o : tensor<?x16x?x64xbf16>
}
