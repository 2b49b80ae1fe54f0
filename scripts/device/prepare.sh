#!/usr/bin/env bash
# Compiles the artifacts the device checks load into .device/ (ignored by
# git; pass it to the device machine alongside the tree).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${CELERIS_BUILD_DIR:-$root/build}
compile="$build/bin/celeris-compile"
rm -rf "$root/.device" && mkdir -p "$root/.device"
"$compile" "$root/test/Integration/GPU/saxpy.mlir" -o "$root/.device/saxpy"
"$compile" "$root/test/Integration/GPU/mma_tile.mlir" -o "$root/.device/mma_tile"
# The attention model IR through the GPU lowering: the cost model's kernels
# (wgmma on sm_90a) and the mma.sync kernels, for comparison.
"$compile" "$root/examples/gpu/attention.mlir" -o "$root/.device/attention"
"$compile" "$root/examples/gpu/attention.mlir" --schedule=tensor-cores=mma.sync \
    -o "$root/.device/attention_mma_sync"
# One warpgroup per CTA (the wgmma kernel's q-tile override).
"$compile" "$root/examples/gpu/attention.mlir" --schedule=q-tile=64 \
    -o "$root/.device/attention_q64"
# Every mask and score transform through the prefill kernel family.
"$compile" "$root/examples/gpu/attention_masks.mlir" -o "$root/.device/attention_masks"
# Decode steps through the attention_decode family (split-KV, packed GQA
# heads, paged caches).
"$compile" "$root/examples/gpu/decode.mlir" -o "$root/.device/decode"
# Decode schedules besides the cost model's, for comparison in bench/decode.py.
"$compile" "$root/examples/gpu/decode.mlir" --schedule="decode-warps=1 kv-tile=32 kv-stages=4" \
    -o "$root/.device/decode_w1"
"$compile" "$root/examples/gpu/decode.mlir" --schedule="decode-warps=4 kv-stages=3" \
    -o "$root/.device/decode_w4_s3"
"$compile" "$root/examples/gpu/decode.mlir" --schedule="decode-warps=2 kv-tile=32 kv-stages=4" \
    -o "$root/.device/decode_w2"
# Linear attention, RetNet and Mamba-2 forms through the recurrence_chunk
# family.
"$compile" "$root/examples/gpu/recurrence.mlir" -o "$root/.device/recurrence"
# GLA, DeltaNet, Gated DeltaNet and odd dims token by token through
# recurrence_sequential.
"$compile" "$root/examples/gpu/recurrence_sequential.mlir" -o "$root/.device/recurrence_sequential"
# examples/recurrence.mlir as it is: gate math in the functions.
"$compile" "$root/examples/recurrence.mlir" -o "$root/.device/recurrence_examples"
# Blocked scans: celeris.scan and Mamba-1's selective scan, and the
# examples' RG-LRU and Mamba-1 functions.
"$compile" "$root/examples/gpu/scan.mlir" -o "$root/.device/scan"
"$compile" "$root/examples/scan.mlir" -o "$root/.device/scan_examples"
# One token of every recurrence kind (decode steps) through recurrence_step.
"$compile" "$root/examples/gpu/recurrence_step.mlir" -o "$root/.device/recurrence_step"
# Mixture of experts: routing, dispatch, grouped GEMM and combine.
"$compile" "$root/examples/gpu/moe.mlir" -o "$root/.device/moe"
# The same primitives as one function: a program of five kernels.
"$compile" "$root/examples/gpu/moe_program.mlir" -o "$root/.device/moe_program"
# examples/moe.mlir as it is: the celeris.moe layer and its primitives.
"$compile" "$root/examples/moe.mlir" -o "$root/.device/moe_examples"
# examples/hybrid_block.mlir as it is: attention, Gated DeltaNet and MoE in
# one program.
"$compile" "$root/examples/hybrid_block.mlir" -o "$root/.device/hybrid"
# A disk compile cache holding examples/gpu/decode.mlir, so that celeris.jit
# finds it on the device machine (which has no compiler).
CELERIS_BUILD_DIR="$build" PYTHONPATH="$root/python" "$root/.venv/bin/python" -c \
    "import celeris, sys; celeris.compile(sys.argv[1], cache_dir=sys.argv[2])" \
    "$root/examples/gpu/decode.mlir" "$root/.device/cache"
