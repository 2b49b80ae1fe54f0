"""Launches one recurrence kernel of examples/gpu/recurrence.mlir (compiled
into .device/recurrence) a few times on random inputs, for a profiler to
pick one launch:
    ncu --kernel-name linear_attention --launch-skip 2 --launch-count 1 \\
        python3 scripts/device/profile_recurrence.py .device/recurrence/manifest.txt \\
        linear_attention 8 4096 16 128
Arguments: MANIFEST KERNEL B T H D (linear_attention, simple_gla, retnet
and their _d64 forms, deltanet_chunk: no state in or out)."""

import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
from celeris.runtime import load  # noqa: E402


def main():
    manifest, kernel = sys.argv[1], sys.argv[2]
    b, t, h, d = (int(x) for x in sys.argv[3:7])
    module = load(manifest)
    q, k, v = (torch.randn(b, h, t, d, device="cuda", dtype=torch.bfloat16) * 0.1
               for _ in range(3))
    inputs = [q, k, v]
    if kernel.startswith("simple_gla"):
        inputs.append(torch.nn.functional.logsigmoid(torch.randn(b, h, t, device="cuda") + 3))
    elif kernel.startswith("retnet"):
        inputs.append(torch.full((h,), -0.01, device="cuda"))
    elif kernel == "deltanet_chunk":
        k = torch.nn.functional.normalize(k.float(), dim=-1).bfloat16()
        inputs = [q, k, v, torch.sigmoid(torch.randn(b, h, t, device="cuda")).bfloat16()]
    out = torch.empty_like(v)
    for _ in range(3):
        module.launch(kernel, *inputs, out)
    torch.cuda.synchronize()


if __name__ == "__main__":
    main()
