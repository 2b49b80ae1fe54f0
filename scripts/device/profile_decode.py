"""Launches one decode kernel of an artifact of examples/gpu/decode.mlir a
few times, eagerly, for a profiler to pick one launch (a CUDA graph, as
bench/decode.py times it, hides the kernels from simple filters):
    ncu --kernel-name gqa_32_8 --launch-skip 2 --launch-count 1 \\
        python3 scripts/device/profile_decode.py .device/decode/manifest.txt 16 32768
Arguments: MANIFEST B L [KERNEL]: gqa_32_8 (32 query heads over 8 KV heads,
every cache full, the default) or mqa_8_1 (8 over 1)."""

import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
from celeris.runtime import load  # noqa: E402


def main():
    manifest, b, length = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    kernel = sys.argv[4] if len(sys.argv) > 4 else "gqa_32_8"
    module = load(manifest)
    hq, hkv = (8, 1) if kernel == "mqa_8_1" else (32, 8)
    q = torch.randn(b, hq, 1, 128, device="cuda", dtype=torch.bfloat16)
    k, v = (torch.randn(b, hkv, length, 128, device="cuda", dtype=torch.bfloat16)
            for _ in range(2))
    args = dict(q=q, k=k, v=v, out=torch.empty_like(q),
                lse=torch.empty(b, hq, 1, device="cuda"))
    if kernel != "mqa_8_1":
        args["kv_lengths"] = torch.full((b,), length, device="cuda", dtype=torch.int32)
    for _ in range(3):
        module.launch(kernel, **args)
    torch.cuda.synchronize()


if __name__ == "__main__":
    main()
