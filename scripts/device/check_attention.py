"""GPU check of the FlashAttention-2 forward kernel
(test/Integration/GPU/attention_fwd.mlir, compiled by scripts/device/prepare.sh
into .device/attention_fwd) through celeris.runtime.

Numerics against a float64 attention written here (softmax of scale * Q K^T
with the bottom-right aligned causal mask, GQA by repeat_interleave of the
K/V heads, lse by logsumexp), fresh random inputs and NaN-poisoned outputs:
  ||out - ref|| / ||ref|| <= 1e-2 (bf16 out), |lse - ref| <= 1e-3 where the
  reference is finite, lse == -inf where it is -inf (fully masked rows, whose
  out must be 0), and no NaN anywhere.
Then the throughput (CUDA events, warm-up, median of 20) on B2 H16 S8192
D128, full and causal, against torch SDPA's flash and cuDNN backends in the
same process.
"""

import math
import os
import statistics
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
from celeris.runtime import load  # noqa: E402

LOG2E = 1.0 / math.log(2.0)
D = 128
failures = []

# (name, B, Hq, Hkv, Sq, Sk, causal)
CASES = [
    ("B2 H16 S1024 full", 2, 16, 16, 1024, 1024, False),
    ("B2 H16 S1024 causal", 2, 16, 16, 1024, 1024, True),
    ("GQA 32q/8kv S1000 causal", 1, 32, 8, 1000, 1000, True),
    ("Sq=1 Sk=4097 causal", 1, 8, 8, 1, 4097, True),
    ("Sq=300 Sk=77 causal (fully masked rows)", 1, 4, 2, 300, 77, True),
]


def expect(condition, message):
    print(("ok   " if condition else "FAIL ") + message, flush=True)
    if not condition:
        failures.append(message)


def reference(q, k, v, scale, causal):
    """float64 attention: (out, natural-log lse)."""
    hq, hkv = q.shape[1], k.shape[1]
    sq, sk = q.shape[2], k.shape[2]
    qd = q.double()
    kd = k.double().repeat_interleave(hq // hkv, dim=1)
    vd = v.double().repeat_interleave(hq // hkv, dim=1)
    s = scale * (qd @ kd.transpose(-1, -2))
    if causal:
        i = torch.arange(sq, device=q.device)[:, None]
        j = torch.arange(sk, device=q.device)[None, :]
        s = s.masked_fill(j > i + sk - sq, float("-inf"))
    lse = torch.logsumexp(s, dim=-1)
    p = torch.exp(s - lse[..., None])
    p = torch.nan_to_num(p, nan=0.0)  # fully masked rows: -inf - -inf
    return p @ vd, lse


def launch(module, q, k, v, out, lse, scale, causal):
    module.launch("attention_fwd", q=q, k=k, v=v, out=out, lse=lse,
                  scale_log2e=scale * LOG2E, causal=int(causal),
                  group=q.shape[1] // k.shape[1],
                  sizes={"Sq": q.shape[2], "Hq": q.shape[1], "B": q.shape[0]})


def inputs(gen, b, hq, hkv, sq, sk):
    def randn(*shape):
        return torch.randn(*shape, device="cuda", generator=gen).to(torch.bfloat16)
    return randn(b, hq, sq, D), randn(b, hkv, sk, D), randn(b, hkv, sk, D)


def run_case(module, gen, name, b, hq, hkv, sq, sk, causal):
    q, k, v = inputs(gen, b, hq, hkv, sq, sk)
    out = torch.full((b, hq, sq, D), float("nan"), device="cuda", dtype=torch.bfloat16)
    lse = torch.full((b, hq, sq), float("nan"), device="cuda", dtype=torch.float32)
    scale = 1.0 / math.sqrt(D)
    launch(module, q, k, v, out, lse, scale, causal)
    torch.cuda.synchronize()
    ref, ref_lse = reference(q, k, v, scale, causal)
    nan_out = torch.isnan(out).sum().item()
    nan_lse = torch.isnan(lse).sum().item()
    err = (out.double() - ref).norm().item() / max(ref.norm().item(), 1e-300)
    finite = torch.isfinite(ref_lse)
    lse_err = ((lse.double() - ref_lse)[finite].abs().max().item()
               if finite.any() else 0.0)
    masked = (~finite).sum().item()
    masked_ok = bool((lse[~finite] == float("-inf")).all().item()) if masked else True
    masked_out_zero = bool((out[~finite] == 0).all().item()) if masked else True
    finite_ok = bool(torch.isfinite(lse[finite]).all().item())
    expect(nan_out == 0 and nan_lse == 0 and math.isfinite(err) and err <= 1e-2
           and lse_err <= 1e-3 and masked_ok and masked_out_zero and finite_ok,
           f"attention_fwd {name}: out rel err {err:.2e}, lse max abs err "
           f"{lse_err:.2e}, NaN out/lse {nan_out}/{nan_lse}, fully masked rows "
           f"{masked} (lse -inf: {masked_ok}, out 0: {masked_out_zero})")


def median_ms(fn, reps=20, warmup=3):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def timing(module, gen, causal, b=2, h=16, s=8192):
    from torch.nn.attention import SDPBackend, sdpa_kernel
    import torch.nn.functional as F

    q, k, v = inputs(gen, b, h, h, s, s)
    out = torch.empty_like(q)
    lse = torch.empty(b, h, s, device="cuda", dtype=torch.float32)
    scale = 1.0 / math.sqrt(D)
    flop = 4.0 * b * h * s * s * D * (0.5 if causal else 1.0)
    tag = "causal" if causal else "full"
    ms = median_ms(lambda: launch(module, q, k, v, out, lse, scale, causal))
    ours = flop / ms / 1e9
    line = f"info attention_fwd B{b} H{h} S{s} D{D} {tag}: {ms:.3f} ms, {ours:.1f} TFLOP/s"
    for label, backend in (("SDPA flash", SDPBackend.FLASH_ATTENTION),
                           ("cuDNN", SDPBackend.CUDNN_ATTENTION)):
        try:
            with sdpa_kernel(backend):
                ref = F.scaled_dot_product_attention(q, k, v, is_causal=causal, scale=scale)
                peer = median_ms(lambda: F.scaled_dot_product_attention(
                    q, k, v, is_causal=causal, scale=scale))
            tf = flop / peer / 1e9
            err = (out.double() - ref.double()).norm().item() / ref.double().norm().item()
            line += (f"; {label} {peer:.3f} ms, {tf:.1f} TFLOP/s (ours/{label} "
                     f"{ours / tf:.2f}x, out vs {label} rel diff {err:.1e})")
        except Exception as e:  # backend unavailable: report, not a failure
            line += f"; {label} unavailable ({type(e).__name__}: {str(e)[:80]})"
    print(line, flush=True)


def main(manifest):
    module = load(manifest)
    expect(set(module.kernels) == {"attention_fwd"}, f"kernels: {sorted(module.kernels)}")
    seed = int.from_bytes(os.urandom(4), "little")
    gen = torch.Generator(device="cuda").manual_seed(seed)
    print(f"seed {seed}")
    for case in CASES:
        try:
            run_case(module, gen, *case)
        except Exception as e:
            expect(False, f"attention_fwd {case[0]}: {type(e).__name__}: {e}")
        torch.cuda.empty_cache()
    for causal in (False, True):
        try:
            timing(module, gen, causal)
        except Exception as e:
            expect(False, f"attention_fwd timing causal={causal}: {type(e).__name__}: {e}")
    print(f"{len(failures)} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
