#!/usr/bin/env bash
# compute-sanitizer memcheck over the small device checks (tails, fully
# masked rows): every out-of-bounds or misaligned access of the kernels is an
# error; racecheck (shared-memory hazards) over one small masked case. Run
# on the GPU machine from the repository root after scripts/device/prepare.sh
# here, like scripts/device/run.sh.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
source scripts/device/build_runtime.sh
sanitizer=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
for artifact in attention attention_mma_sync; do
  "$sanitizer" --tool memcheck --error-exitcode 3 \
      python3 scripts/device/check_attention.py .device/$artifact/manifest.txt --small
done
"$sanitizer" --tool memcheck --error-exitcode 3 \
    python3 scripts/device/check_attention_masks.py .device/attention_masks/manifest.txt --small
"$sanitizer" --tool memcheck --error-exitcode 3 \
    python3 scripts/device/check_decode.py .device/decode/manifest.txt --small
# racecheck is slow: one masked kernel (skipped key tiles between the global
# tokens and the window) on one tail case, and only the Celeris kernel is
# instrumented, not torch's.
"$sanitizer" --tool racecheck --error-exitcode 3 \
    --kernel-name kns=global_window_causal \
    python3 scripts/device/check_attention_masks.py .device/attention_masks/manifest.txt \
    --kernel global_window_causal --case Sq77-Sk1000
# The decode kernel's split merge (shared-memory weights after the K/V
# loop) with several splits and a paged cache.
"$sanitizer" --tool racecheck --error-exitcode 3 --kernel-name kns=paged_16 \
    python3 scripts/device/check_decode.py .device/decode/manifest.txt --small \
    --kernel paged_16
# The recurrence kernels: memcheck over every form, racecheck over the
# state hand-off between chunks (state tile, weighted keys, gate buffers).
"$sanitizer" --tool memcheck --error-exitcode 3 \
    python3 scripts/device/check_recurrence.py .device/recurrence/manifest.txt --small
"$sanitizer" --tool memcheck --error-exitcode 3 \
    python3 scripts/device/check_recurrence.py .device/recurrence_step/manifest.txt --small
"$sanitizer" --tool memcheck --error-exitcode 3 \
    python3 scripts/device/check_recurrence.py .device/recurrence_sequential/manifest.txt --small
"$sanitizer" --tool memcheck --error-exitcode 3 \
    python3 scripts/device/check_scan.py .device/scan/manifest.txt --small
# The scans' carries between warps (double-buffered shared memory).
"$sanitizer" --tool racecheck --error-exitcode 3 --kernel-name kns=selective_scan_full \
    python3 scripts/device/check_scan.py .device/scan/manifest.txt --small \
    --kernel selective_scan_full
"$sanitizer" --tool racecheck --error-exitcode 3 --kernel-name kns=mamba2 \
    python3 scripts/device/check_recurrence.py .device/recurrence/manifest.txt --small \
    --kernel mamba2
# Mixture of experts: memcheck over every kernel (empty and tail segments,
# dropped assignments), racecheck over the dispatch steps (per-warp counts
# in shared memory) and a grouped GEMM with a tail segment.
"$sanitizer" --tool memcheck --error-exitcode 3 \
    python3 scripts/device/check_moe.py .device/moe/manifest.txt --small
"$sanitizer" --tool racecheck --error-exitcode 3 --kernel-name kns=dispatch_capacity \
    python3 scripts/device/check_moe.py .device/moe/manifest.txt --small \
    --kernel dispatch_capacity
"$sanitizer" --tool racecheck --error-exitcode 3 --kernel-name kns=grouped_gemm_f16 \
    python3 scripts/device/check_moe.py .device/moe/manifest.txt --small \
    --kernel grouped_gemm_f16
# The gather form: the producer warp's cp.async rows and TMA weights
# completing on one barrier; and the dispatch map's rank step.
"$sanitizer" --tool racecheck --error-exitcode 3 --kernel-name kns=grouped_gemm_gather_f16 \
    python3 scripts/device/check_moe.py .device/moe/manifest.txt --small \
    --kernel grouped_gemm_gather_f16
"$sanitizer" --tool racecheck --error-exitcode 3 --kernel-name kns=dispatch_map_capacity \
    python3 scripts/device/check_moe.py .device/moe/manifest.txt --small \
    --kernel dispatch_map_capacity
# A program: its kernels on runtime-owned buffers between launches.
"$sanitizer" --tool memcheck --error-exitcode 3 \
    python3 scripts/device/check_program.py .device/moe_program/manifest.txt \
    .device/moe_examples/manifest.txt \
    .device/hybrid/manifest.txt --small
# Expert-choice routing: the select kernel's histogram, scans and sort in
# shared memory.
"$sanitizer" --tool racecheck --error-exitcode 3 --kernel-name kns=route_expert_choice \
    python3 scripts/device/check_moe.py .device/moe/manifest.txt --small \
    --kernel route_expert_choice_sigmoid
