"""GPU check of the tensor-core GEMM tile (test/Integration/GPU/mma_tile.mlir,
compiled by scripts/device/prepare.sh into .device/mma_tile): C = A * B with
bf16 A[M,K], B[K,N] (row-major) and f32 C, through celeris.runtime.

Numerics against float64 with fresh random inputs and a NaN-poisoned C for
several (M, N, K) multiples of 64; then the throughput (TFLOP/s, CUDA events)
of the largest checked case and of a 4096^3 product, for information only.
"""

import math
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
from celeris.runtime import load  # noqa: E402

failures = []
SHAPES = [(64, 64, 64), (128, 192, 256), (512, 512, 1024)]


def expect(condition, message):
    print(("ok   " if condition else "FAIL ") + message, flush=True)
    if not condition:
        failures.append(message)


def run_case(module, gen, m, n, k):
    a = torch.randn(m, k, device="cuda", generator=gen).to(torch.bfloat16)
    b = torch.randn(k, n, device="cuda", generator=gen).to(torch.bfloat16)
    c = torch.full((m, n), float("nan"), device="cuda", dtype=torch.float32)
    module.launch("mma_tile", A=a, B=b, C=c, sizes={"M": m, "N": n})
    torch.cuda.synchronize()
    ref = a.double() @ b.double()
    nan = torch.isnan(c).sum().item()
    err = (c.double() - ref).norm().item() / max(ref.norm().item(), 1e-300)
    max_abs = (c.double() - ref).abs().max().item()
    expect(nan == 0 and math.isfinite(err) and err <= 1e-2,
           f"mma_tile M={m} N={n} K={k}: rel err {err:.2e}, max abs err "
           f"{max_abs:.2e}, NaN {nan}")
    return a, b, c


def tflops(module, m, n, k, a, b, c, reps=20):
    """Mean TFLOP/s over `reps` back-to-back launches (after a warm-up)."""
    for _ in range(3):
        module.launch("mma_tile", A=a, B=b, C=c, sizes={"M": m, "N": n})
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(reps):
        module.launch("mma_tile", A=a, B=b, C=c, sizes={"M": m, "N": n})
    end.record()
    torch.cuda.synchronize()
    ms = start.elapsed_time(end) / reps
    for _ in range(3):  # warm-up: cuBLAS initialisation and heuristics
        torch.matmul(a, b)
    ref_start, ref_end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    ref_start.record()
    for _ in range(reps):
        torch.matmul(a, b)
    ref_end.record()
    torch.cuda.synchronize()
    ref_ms = ref_start.elapsed_time(ref_end) / reps
    flop = 2.0 * m * n * k
    print(f"info mma_tile M={m} N={n} K={k}: {ms * 1e3:.1f} us/launch, "
          f"{flop / ms / 1e9:.2f} TFLOP/s (torch.matmul bf16: {ref_ms * 1e3:.1f} us, "
          f"{flop / ref_ms / 1e9:.2f} TFLOP/s)", flush=True)


def main(manifest):
    module = load(manifest)
    expect(set(module.kernels) == {"mma_tile"}, f"kernels: {sorted(module.kernels)}")
    seed = int.from_bytes(os.urandom(4), "little")
    gen = torch.Generator(device="cuda").manual_seed(seed)
    print(f"seed {seed}")
    last = None
    for m, n, k in SHAPES:
        last = (m, n, k) + run_case(module, gen, m, n, k)
    if last is not None and not failures:
        tflops(module, *last)
        # A size where the launch overhead of the Python path is negligible.
        big = (4096, 4096, 4096)
        tflops(module, *big, *run_case(module, gen, *big), reps=10)
    print(f"{len(failures)} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
