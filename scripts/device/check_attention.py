"""GPU check of the FlashAttention-2 forward kernels
(test/Integration/GPU/attention_fwd.mlir, compiled by scripts/device/prepare.sh
into .device/attention_fwd) through celeris.runtime: attention_fwd_d128,
attention_fwd_d64 and the two D=128 comparison kernels of bench/attention.py.

Numerics against a float64 attention written here (softmax of scale * Q K^T
with the bottom-right aligned causal mask, GQA by repeat_interleave of the
K/V heads, lse by logsumexp), fresh random inputs and NaN-poisoned outputs:
  ||out - ref|| / ||ref|| <= 1e-2 (bf16 out), |lse - ref| <= 1e-3 where the
  reference is finite, lse == -inf where it is -inf (fully masked rows, whose
  out must be 0), and no NaN anywhere.
Timing lives in bench/attention.py.
"""

import math
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
from celeris.runtime import load  # noqa: E402

LOG2E = 1.0 / math.log(2.0)
failures = []
KERNELS = {"attention_fwd_d128": 128, "attention_fwd_d64": 64,
           "attention_fwd_d128_m64s1": 128, "attention_fwd_d128_m64": 128}

# (kernel, name, B, Hq, Hkv, Sq, Sk, causal)
CASES = [
    ("attention_fwd_d128", "B2 H16 S1024 full", 2, 16, 16, 1024, 1024, False),
    ("attention_fwd_d128", "B2 H16 S1024 causal", 2, 16, 16, 1024, 1024, True),
    ("attention_fwd_d128", "GQA 32q/8kv S1000 causal", 1, 32, 8, 1000, 1000, True),
    ("attention_fwd_d128", "Sq=1 Sk=4097 causal", 1, 8, 8, 1, 4097, True),
    ("attention_fwd_d128", "Sq=300 Sk=77 causal (fully masked rows)", 1, 4, 2, 300, 77, True),
    ("attention_fwd_d128", "Sq=77 Sk=300 full", 1, 4, 4, 77, 300, False),
    ("attention_fwd_d64", "B8 H32 S2048 full", 8, 32, 32, 2048, 2048, False),
    ("attention_fwd_d64", "B1 H8 S2048 causal", 1, 8, 8, 2048, 2048, True),
    ("attention_fwd_d64", "GQA 8q/2kv Sq=1000 Sk=1337 causal (tails)", 1, 8, 2, 1000, 1337, True),
    ("attention_fwd_d64", "Sq=300 Sk=77 causal (fully masked rows)", 1, 4, 2, 300, 77, True),
    ("attention_fwd_d128_m64s1", "B2 H16 S1024 causal", 2, 16, 16, 1024, 1024, True),
    ("attention_fwd_d128_m64s1", "Sq=300 Sk=77 causal", 1, 4, 2, 300, 77, True),
    ("attention_fwd_d128_m64", "B2 H16 S1024 causal", 2, 16, 16, 1024, 1024, True),
    ("attention_fwd_d128_m64", "Sq=300 Sk=77 causal", 1, 4, 2, 300, 77, True),
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


def launch(module, q, k, v, out, lse, scale, causal, kernel=None):
    kernel = kernel or f"attention_fwd_d{q.shape[-1]}"
    module.launch(kernel, q=q, k=k, v=v, out=out, lse=lse,
                  scale_log2e=scale * LOG2E, causal=int(causal),
                  group=q.shape[1] // k.shape[1],
                  sizes={"Sq": q.shape[2], "Hq": q.shape[1], "B": q.shape[0]})


def inputs(gen, b, hq, hkv, sq, sk, D):
    def randn(*shape):
        return torch.randn(*shape, device="cuda", generator=gen).to(torch.bfloat16)
    return randn(b, hq, sq, D), randn(b, hkv, sk, D), randn(b, hkv, sk, D)


def run_case(module, gen, kernel, name, b, hq, hkv, sq, sk, causal):
    D = KERNELS[kernel]
    q, k, v = inputs(gen, b, hq, hkv, sq, sk, D)
    out = torch.full((b, hq, sq, D), float("nan"), device="cuda", dtype=torch.bfloat16)
    lse = torch.full((b, hq, sq), float("nan"), device="cuda", dtype=torch.float32)
    scale = 1.0 / math.sqrt(D)
    launch(module, q, k, v, out, lse, scale, causal, kernel)
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
           f"{kernel} {name}: out rel err {err:.2e}, lse max abs err "
           f"{lse_err:.2e}, NaN out/lse {nan_out}/{nan_lse}, fully masked rows "
           f"{masked} (lse -inf: {masked_ok}, out 0: {masked_out_zero})")


def main(manifest, small=False):
    """`small` keeps only the small cases (tails, fully masked rows), for
    runs under compute-sanitizer."""
    module = load(manifest)
    expect(set(module.kernels) == set(KERNELS), f"kernels: {sorted(module.kernels)}")
    seed = int.from_bytes(os.urandom(4), "little")
    gen = torch.Generator(device="cuda").manual_seed(seed)
    print(f"seed {seed}")
    cases = [c for c in CASES if not small or c[2] * c[3] * c[5] * c[6] <= 1 << 22]
    for case in cases:
        try:
            run_case(module, gen, *case)
        except Exception as e:
            expect(False, f"{case[0]} {case[1]}: {type(e).__name__}: {e}")
        torch.cuda.empty_cache()
    print(f"{len(failures)} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], small="--small" in sys.argv[2:]))
