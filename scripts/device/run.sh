#!/usr/bin/env bash
# Device-side checks, run on the GPU machine from the repository root. That
# machine has CUDA, PyTorch and a compiler but no LLVM/MLIR: artifacts are
# compiled beforehand with scripts/device/prepare.sh (here, on a machine
# with the Celeris build) into .device/, which travels with the tree.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
source scripts/device/build_runtime.sh
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
status=0
python3 scripts/device/check_runtime.py .device/saxpy/manifest.txt || status=1
python3 scripts/device/check_mma.py .device/mma_tile/manifest.txt || status=1
python3 scripts/device/check_attention.py .device/attention/manifest.txt || status=1
python3 scripts/device/check_attention.py .device/attention_mma_sync/manifest.txt || status=1
python3 scripts/device/check_attention.py .device/attention_q64/manifest.txt --small || status=1
python3 scripts/device/check_attention_masks.py .device/attention_masks/manifest.txt || status=1
python3 scripts/device/check_decode.py .device/decode/manifest.txt || status=1
python3 scripts/device/check_recurrence.py .device/recurrence/manifest.txt || status=1
python3 scripts/device/check_recurrence.py .device/recurrence_step/manifest.txt || status=1
python3 scripts/device/check_recurrence.py .device/recurrence_sequential/manifest.txt || status=1
python3 scripts/device/check_examples.py .device/recurrence_examples/manifest.txt || status=1
python3 scripts/device/check_scan.py .device/scan/manifest.txt || status=1
python3 scripts/device/check_scan.py .device/scan_examples/manifest.txt || status=1
python3 scripts/device/check_moe.py .device/moe/manifest.txt || status=1
python3 scripts/device/check_program.py .device/moe_program/manifest.txt \
    .device/moe_examples/manifest.txt \
    .device/hybrid/manifest.txt || status=1
python3 scripts/device/check_function.py .device/decode/manifest.txt \
    .device/attention/manifest.txt || status=1
# Timing (not a check): Celeris vs SDPA flash/cuDNN and FlexAttention.
python3 bench/attention.py .device/attention/manifest.txt \
    .device/attention_mma_sync/manifest.txt .device/attention_q64/manifest.txt || status=1
# Masked attention (sliding window, sinks, softcap, block causal) vs FlexAttention.
python3 bench/attention_masks.py .device/attention_masks/manifest.txt || status=1
# Decode steps vs SDPA flash/cuDNN, in TB/s.
python3 bench/decode.py .device/decode/manifest.txt || status=1
# Chunkwise recurrences vs flash-linear-attention (fla-core 0.6.0 must be
# importable; see bench/recurrence.py).
python3 bench/recurrence.py .device/recurrence/manifest.txt || status=1
# Selective scan and scan vs plain PyTorch.
python3 bench/scan.py .device/scan/manifest.txt || status=1
# Mixture of experts vs torch._grouped_mm and PyTorch routing.
python3 bench/moe.py --manifest .device/moe/manifest.txt || status=1
exit $status
