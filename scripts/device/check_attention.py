"""GPU check of the attention forward kernels of an artifact (compiled by
scripts/device/prepare.sh into .device/) through celeris.runtime: every
kernel of the manifest runs the cases of its head dim.
Usage: check_attention.py MANIFEST [--small]

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
sys.path.insert(0, os.path.dirname(__file__))
from celeris.runtime import load  # noqa: E402
from attention_kernels import Kernel  # noqa: E402

LOG2E = 1.0 / math.log(2.0)
failures = []
# Every kernel of the manifest runs the cases of its head dim: (name, B, Hq, Hkv, Sq, Sk, causal).
CASES = {
    128: [
        ("B2 H16 S8192 full", 2, 16, 16, 8192, 8192, False),
        ("B2 H16 S8192 causal", 2, 16, 16, 8192, 8192, True),
        ("B2 H16 S1024 causal", 2, 16, 16, 1024, 1024, True),
        ("GQA 32q/8kv S1000 causal", 1, 32, 8, 1000, 1000, True),
        ("Sq=1 Sk=4097 causal", 1, 8, 8, 1, 4097, True),
        ("Sq=300 Sk=77 causal (fully masked rows)", 1, 4, 2, 300, 77, True),
        ("Sq=77 Sk=300 full", 1, 4, 4, 77, 300, False),
    ],
    64: [
        ("B8 H32 S2048 full", 8, 32, 32, 2048, 2048, False),
        ("B1 H8 S2048 causal", 1, 8, 8, 2048, 2048, True),
        ("GQA 8q/2kv Sq=1000 Sk=1337 causal (tails)", 1, 8, 2, 1000, 1337, True),
        ("Sq=300 Sk=77 causal (fully masked rows)", 1, 4, 2, 300, 77, True),
    ],
}


def expect(condition, message):
    print(("ok   " if condition else "FAIL ") + message, flush=True)
    if not condition:
        failures.append(message)


def reference(q, k, v, scale, causal):
    """float64 attention: (out, natural-log lse), one (batch, head) at a time
    so that S=8192 fits."""
    b, hq, sq, _ = q.shape
    hkv, sk = k.shape[1], k.shape[2]
    out = torch.empty(q.shape, device=q.device, dtype=torch.float64)
    lse = torch.empty(b, hq, sq, device=q.device, dtype=torch.float64)
    i = torch.arange(sq, device=q.device)[:, None]
    j = torch.arange(sk, device=q.device)[None, :]
    hidden = j > i + sk - sq
    for bi in range(b):
        for h in range(hq):
            hk = h // (hq // hkv)
            s = scale * (q[bi, h].double() @ k[bi, hk].double().T)
            if causal:
                s = s.masked_fill(hidden, float("-inf"))
            lse[bi, h] = torch.logsumexp(s, dim=-1)
            p = torch.exp(s - lse[bi, h][:, None])
            p = torch.nan_to_num(p, nan=0.0)  # fully masked rows: -inf - -inf
            out[bi, h] = p @ v[bi, hk].double()
    return out, lse


def inputs(gen, b, hq, hkv, sq, sk, D, dtype=torch.bfloat16):
    def randn(*shape):
        return torch.randn(*shape, device="cuda", generator=gen).to(dtype)
    return randn(b, hq, sq, D), randn(b, hkv, sk, D), randn(b, hkv, sk, D)


def run_case(module, gen, kern, name, b, hq, hkv, sq, sk, causal):
    if kern.fixed_causal is not None:
        causal = kern.fixed_causal
    D = kern.d
    q, k, v = inputs(gen, b, hq, hkv, sq, sk, D, kern.dtype)
    out = torch.full((b, hq, sq, D), float("nan"), device="cuda", dtype=kern.dtype)
    lse = torch.full((b, hq, sq), float("nan"), device="cuda", dtype=torch.float32)
    scale = 1.0 / math.sqrt(D)
    kern.launch(module, q, k, v, out, lse, scale, causal)
    torch.cuda.synchronize()
    ref, ref_lse = reference(q, k, v, scale, causal)
    nan_out = torch.isnan(out).sum().item()
    err = (out.double() - ref).norm().item() / max(ref.norm().item(), 1e-300)
    finite = torch.isfinite(ref_lse)
    masked = (~finite).sum().item()
    masked_out_zero = bool((out[~finite] == 0).all().item()) if masked else True
    ok = nan_out == 0 and math.isfinite(err) and err <= 1e-2 and masked_out_zero
    detail = ""
    if kern.has_lse:
        nan_lse = torch.isnan(lse).sum().item()
        lse_err = ((lse.double() - ref_lse)[finite].abs().max().item()
                   if finite.any() else 0.0)
        masked_ok = bool((lse[~finite] == float("-inf")).all().item()) if masked else True
        finite_ok = bool(torch.isfinite(lse[finite]).all().item())
        ok = ok and nan_lse == 0 and lse_err <= 1e-3 and masked_ok and finite_ok
        detail = f", lse max abs err {lse_err:.2e}, NaN lse {nan_lse}, lse -inf: {masked_ok}"
    expect(ok, f"{kern.name} {name}{' causal' if causal else ' full'}: out rel err "
           f"{err:.2e}, NaN out {nan_out}, fully masked rows {masked} (out 0: "
           f"{masked_out_zero}){detail}")


def main(manifest, small=False):
    """`small` keeps only the small cases (tails, fully masked rows), for
    runs under compute-sanitizer."""
    module = load(manifest)
    print(f"kernels: {sorted(module.kernels)}")
    seed = int.from_bytes(os.urandom(4), "little")
    gen = torch.Generator(device="cuda").manual_seed(seed)
    print(f"seed {seed}")
    for kernel in sorted(module.kernels):
        kern = Kernel(module, kernel)
        shapes = set()
        for case in CASES[kern.d]:
            if small and case[1] * case[2] * case[4] * case[5] > 1 << 22:
                continue
            if kern.fixed_causal is not None:
                # The kernel's own mask replaces the case's: each shape once.
                if case[1:6] in shapes:
                    continue
                shapes.add(case[1:6])
                case = (case[0].replace(" full", "").replace(" causal", ""),) + case[1:]
            try:
                run_case(module, gen, kern, *case)
            except Exception as e:
                expect(False, f"{kernel} {case[0]}: {type(e).__name__}: {e}")
            torch.cuda.empty_cache()
    print(f"{len(failures)} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], small="--small" in sys.argv[2:]))
