"""Launches one grouped GEMM kernel of examples/gpu/moe.mlir (compiled into
.device/moe) a few times on random inputs with balanced experts, for a
profiler to pick one launch:
    ncu --kernel-name grouped_gemm_e64 --launch-skip 2 --launch-count 1 \\
        python3 scripts/device/profile_moe.py .device/moe/manifest.txt \\
        grouped_gemm_e64 131072
Arguments: MANIFEST KERNEL N (rows; E, d and f are the kernel's)."""

import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
from celeris.runtime import load  # noqa: E402

SHAPES = {"grouped_gemm_e64": (64, 2048, 1408), "grouped_gemm_dsv3": (256, 7168, 2048)}


def main():
    manifest, kernel, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
    experts, depth, columns = SHAPES[kernel]
    module = load(manifest)
    x = torch.randn(rows, depth, device="cuda", dtype=torch.bfloat16)
    w = torch.randn(experts, depth, columns, device="cuda", dtype=torch.bfloat16)
    counts = torch.full((experts,), rows // experts, dtype=torch.int32, device="cuda")
    counts[-1] += rows - int(counts.sum())
    offsets = counts.cumsum(0).to(torch.int32)
    y = torch.empty(rows, columns, device="cuda", dtype=torch.bfloat16)
    for _ in range(3):
        module.launch(kernel, x, w, offsets, y)
    torch.cuda.synchronize()


if __name__ == "__main__":
    main()
