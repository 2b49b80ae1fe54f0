"""Blocked scans: Celeris (examples/gpu/scan.mlir compiled by
scripts/device/prepare.sh into .device/scan) against plain PyTorch, in one
process. Rows: Mamba-1's selective scan (bf16, every option: D, z, delta
bias, softplus; the last state) at B8 D1536 L2048 N16 (mamba-130m's inner
width), and celeris.scan along the tokens of a [B, L, D] f32 tensor (RG-LRU's
layout) at B8 L4096 D2560. The PyTorch baselines are the plain forms a model
uses without a fused kernel: for the selective scan mamba_ssm's
selective_scan_ref (a loop over the tokens over [B, D, N] tensors; timed on
a slice of the tokens and scaled, it takes seconds), for the scan a loop over
the tokens of elementwise ops (timed the same way).
Times are medians of CUDA-graph replays (bench/timing.py); the memory floor
reads every input and writes every output once at the copy bandwidth
measured in the same run.
Usage: python3 bench/scan.py [MANIFEST]
"""

import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from celeris.runtime import load  # noqa: E402
import timing  # noqa: E402

REPS, WARMUP, CALLS = 20, 3, 5


def torch_selective_scan(u, delta, A, B, C, D, z, bias, tokens):
    """selective_scan_ref over the first `tokens` tokens."""
    delta = torch.nn.functional.softplus(delta[..., :tokens].float() + bias[None, :, None])
    h = torch.zeros(u.shape[0], u.shape[1], A.shape[1], device=u.device)
    ys = []
    for t in range(tokens):
        dt = delta[:, :, t, None]
        h = torch.exp(dt * A) * h + dt * B[:, None, :, t].float() * u[:, :, t, None].float()
        ys.append((h * C[:, None, :, t].float()).sum(-1))
    y = torch.stack(ys, -1) + D[None, :, None] * u[..., :tokens].float()
    return (y * torch.nn.functional.silu(z[..., :tokens].float())).bfloat16(), h


def torch_scan(a, b, tokens):
    h = torch.zeros_like(a[:, 0])
    out = []
    for t in range(tokens):
        h = a[:, t] * h + b[:, t]
        out.append(h)
    return torch.stack(out, 1)


def loop_ms(fn, tokens, total):
    """ms of `fn` over `tokens` tokens (events, median of 3), scaled to
    `total` tokens."""
    times = []
    for _ in range(3):
        torch.cuda.synchronize()
        start = time.perf_counter()
        fn(tokens)
        torch.cuda.synchronize()
        times.append((time.perf_counter() - start) * 1e3)
    return sorted(times)[1] * total / tokens


def main():
    manifest = sys.argv[1] if len(sys.argv) > 1 else ".device/scan/manifest.txt"
    module = load(manifest)
    torch.manual_seed(0)
    print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}")
    copy = timing.copy_ceiling(REPS, WARMUP)
    print(f"copy ceiling: {copy:.2f} TB/s")
    print("| op | shape | Celeris ms | PyTorch ms | speedup | floor ms | Celeris % of floor |")
    print("|---|---|---|---|---|---|---|")
    stream = torch.cuda.current_stream

    b, d, length, n = 8, 1536, 2048, 16
    u, delta, z = (torch.randn(b, d, length, device="cuda").bfloat16() for _ in range(3))
    A = -torch.rand(d, n, device="cuda") - 0.1
    Bm, Cm = (torch.randn(b, n, length, device="cuda").bfloat16() for _ in range(2))
    D, bias = torch.randn(d, device="cuda"), torch.randn(d, device="cuda")
    y = torch.empty_like(u)
    last = torch.empty(b, d, n, device="cuda")
    celeris = lambda: module.launch("selective_scan_full", u, delta, A, Bm, Cm, D, z,  # noqa: E731
                                    bias, y, last, stream=stream())
    celeris()
    ms = timing.graph_ms(celeris, CALLS, REPS, WARMUP)
    ref, _ = torch_selective_scan(u, delta, A, Bm, Cm, D, z, bias, 64)
    diff = ((y[..., :64].double() - ref.double()).norm() / ref.double().norm()).item()
    base = loop_ms(lambda t: torch_selective_scan(u, delta, A, Bm, Cm, D, z, bias, t),
                   128, length)
    moved = (4 * u.numel() * 2 + 2 * Bm.numel() * 2 + last.numel() * 4)
    floor = moved / copy / 1e9
    print(f"| selective scan (bf16, all options) | B{b} D{d} L{length} N{n} | {ms:.3f} | "
          f"{base:.1f} (selective_scan_ref) | {base / ms:.0f}x | {floor:.3f} | "
          f"{100 * floor / ms:.0f}% |")
    print(f"(Celeris vs selective_scan_ref on the first 64 tokens: rel {diff:.1e})")
    sys.stdout.flush()

    b, length, d = 8, 4096, 2560
    a = torch.rand(b, length, d, device="cuda") * 0.5 + 0.5
    x = torch.randn(b, length, d, device="cuda")
    h0 = torch.zeros(b, d, device="cuda")
    h = torch.empty_like(x)
    celeris = lambda: module.launch("scan_reverse", a, x, h0, h, stream=stream())  # noqa: E731
    ms = timing.graph_ms(celeris, CALLS, REPS, WARMUP)
    base = loop_ms(lambda t: torch_scan(a, x, t), 256, length)
    floor = 3 * x.numel() * 4 / copy / 1e9
    print(f"| scan (f32, reverse, initial state) | B{b} L{length} D{d} | {ms:.3f} | "
          f"{base:.1f} (token loop) | {base / ms:.0f}x | {floor:.3f} | "
          f"{100 * floor / ms:.0f}% |")


if __name__ == "__main__":
    main()
