"""GPU check of the decode kernels of examples/gpu/decode.mlir (compiled by
scripts/device/prepare.sh into .device/decode) through celeris.runtime.
FUNCTIONS below restates each function of that file (heads, query length,
head dim, dtype, mask, softcap, ALiBi, kv_lengths, page size); a kernel of
the manifest that is not in it, or a function of it that the manifest
lacks, is a failure. Usage: check_decode.py MANIFEST [--small] [--kernel NAME]

Every kernel runs B4 with cache lengths 0, the full cache and random ones
(not multiples of 32 or of the page size) at a cache of 77, 5000 and (not
with --small) 32768 keys, which gives split counts from 1 to 32 across
the kernels; mqa_8_1 also runs B1 at one cache length per split count the
launch can choose (1 to 32). Paged kernels address a pool of twice
the pages the batch needs, shuffled, the unused pages random (so a wrong
page shows). A cache length of 0 gives fully masked rows (out 0, lse -inf),
as do the first rows of speculative decoding over a cache shorter than its
query.

Against a float64 reference written here (grouped heads expanded, pages
gathered into a contiguous cache, the mask algebra of check_attention_masks),
fresh random inputs and NaN-poisoned outputs:
  ||out - ref|| / ||ref|| <= 1e-2 (bf16/f16 out); |lse - ref| <= 1e-3 where
  the reference is finite (5e-3 with a softcap); lse == -inf and out == 0
  on fully masked rows; no NaN anywhere; and two launches on the same
  inputs give bit-identical out and lse.
"""

import argparse
import collections
import math
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
sys.path.insert(0, os.path.dirname(__file__))
from celeris.runtime import load  # noqa: E402
# The mask algebra, the tolerances, the comparison and the bookkeeping are
# those of the prefill check.
from check_attention_masks import (  # noqa: E402
    SOFTCAP_Q_GAIN, allowed, compare, expect, failures, kernels_to_check, launch_twice)

# One entry per function of examples/gpu/decode.mlir. mask None: all.
Fn = collections.namedtuple(
    "Fn", "hq hkv sq mask softcap alibi kv_lengths page d dtype",
    defaults=(("causal",), None, False, True, None, 128, torch.bfloat16))
CAUSAL = ("causal",)
FUNCTIONS = {
    "gqa_32_8": Fn(32, 8, 1),
    "mqa_8_1": Fn(8, 1, 1, mask=("all",), kv_lengths=False),
    "mha_16": Fn(16, 16, 1),
    "paged_16": Fn(32, 8, 1, page=16),
    "paged_64": Fn(32, 8, 1, page=64),
    "paged_256": Fn(32, 8, 1, page=256),
    "speculative_4": Fn(32, 8, 4),
    "grouped_6_rows_3": Fn(12, 2, 3),
    "streaming_sinks_4_window_1024": Fn(
        32, 8, 1, mask=("intersect", CAUSAL, ("union", ("sink", 4), ("window", 1023, 0)))),
    "softcap_50_alibi": Fn(32, 8, 1, softcap=50.0, alibi=True),
    "gqa_d64": Fn(32, 8, 1, d=64),
    "gqa_f16": Fn(32, 8, 1, dtype=torch.float16),
    "gemma_d256_softcap": Fn(16, 8, 1, softcap=50.0, d=256),
}
CACHES = [(77, False), (5000, False), (32768, True)]  # (keys, big)
SPLIT_SWEEP_KERNEL = "mqa_8_1"

def reference(fn, q, k, v, slopes, lens):
    """float64 celeris.attention over contiguous caches k, v [B, Hkv, Sk, D]:
    (out, natural-log lse)."""
    b, hq, sq, d = q.shape
    sk = k.shape[2]
    group = hq // k.shape[1]
    out = torch.empty(q.shape, device=q.device, dtype=torch.float64)
    lse = torch.empty(b, hq, sq, device=q.device, dtype=torch.float64)
    i = torch.arange(sq, device=q.device)[:, None]
    j = torch.arange(sk, device=q.device)[None, :]
    for bi in range(b):
        length = int(lens[bi]) if lens is not None else sk
        p = i + length - sq
        ok = allowed(fn.mask, p, j).expand(sq, sk) & (j < length)
        kb = k[bi].double().repeat_interleave(group, dim=0)
        vb = v[bi].double().repeat_interleave(group, dim=0)
        s = (q[bi].double() @ kb.transpose(1, 2)) / math.sqrt(d)
        if slopes is not None:
            s = s + slopes.double()[:, None, None] * (j - p).double()
        if fn.softcap is not None:
            s = fn.softcap * torch.tanh(s / fn.softcap)
        s = s.masked_fill(~ok, float("-inf"))
        lse[bi] = torch.logsumexp(s, dim=-1)
        w = torch.where(ok, torch.exp(s - lse[bi][..., None]), 0.0)
        out[bi] = w @ vb
    return out, lse


def cache_lengths(gen, b, sk, avoid):
    """0, Sk and random lengths in [1, Sk] that are not multiples of
    `avoid`."""
    lens = torch.randint(1, sk + 1, (b,), device="cuda", generator=gen)
    lens = torch.where((lens % avoid == 0) & (lens > 1), lens - 1, lens)
    lens[0], lens[-1] = 0, sk
    return lens.to(torch.int32)


def page(gen, k, v, size):
    """(k pool, v pool, table): the pages of k, v [B, Hkv, Sk, D] (Sk a
    multiple of `size`) shuffled into pools of twice as many pages, the rest
    random."""
    b, hkv, sk, d = k.shape
    per = sk // size
    used = b * per
    perm = torch.randperm(2 * used, device="cuda", generator=gen)[:used]
    pools = []
    for x in (k, v):
        pool = torch.randn(2 * used, hkv, size, d, device="cuda", generator=gen).to(x.dtype)
        pages = x.reshape(b, hkv, per, size, d).permute(0, 2, 1, 3, 4).reshape(used, hkv, size, d)
        pool[perm] = pages
        pools.append(pool)
    return pools[0], pools[1], perm.reshape(b, per).to(torch.int32).contiguous()


def run_case(module, gen, kernel, fn, b, sk, label):
    if fn.page:
        sk = -(-sk // fn.page) * fn.page

    def randn(*shape):
        return torch.randn(*shape, device="cuda", generator=gen).to(fn.dtype)
    q = randn(b, fn.hq, fn.sq, fn.d)
    k, v = randn(b, fn.hkv, sk, fn.d), randn(b, fn.hkv, sk, fn.d)
    if fn.softcap is not None:
        q = q * SOFTCAP_Q_GAIN
    args = dict(q=q)
    shape = f"B{b} Hq{fn.hq} Hkv{fn.hkv} Sq{fn.sq} Sk{sk} D{fn.d}"
    slopes = lens = None
    if fn.page:
        args["k"], args["v"], table = page(gen, k, v, fn.page)
        args["page_table"] = table
        shape += f" pages of {fn.page} in a pool of {args['k'].shape[0]}"
    else:
        args.update(k=k, v=v)
    if fn.alibi:
        slopes = torch.tensor([2.0 ** (-8.0 * (h + 1) / fn.hq) for h in range(fn.hq)],
                              device="cuda", dtype=torch.float32)
        args["alibi_slopes"] = slopes
    if fn.kv_lengths:
        lens = cache_lengths(gen, b, sk, fn.page or 32)
        args["kv_lengths"] = lens
        shape += f" kv_lengths {lens.tolist()}"
    grid, _ = module.geometry(kernel, **args, out=q, lse=q[..., 0].float())
    shape += f", {grid[0]} split(s)"

    out, lse, deterministic = launch_twice(module, kernel, args, q.shape, fn.dtype)
    ref, ref_lse = reference(fn, q, k, v, slopes, lens)
    ok, summary = compare(out, lse, ref, ref_lse, fn.softcap is not None, deterministic)
    expect(ok, f"{kernel} {label} ({shape}): {summary}")
    return grid[0]


def split_sweep(module, kernel, fn):
    """One cache length (B1) per split count the launch geometry chooses,
    the first of each, from a scan of lengths (the geometry alone: nothing
    runs)."""
    q = torch.empty(1, fn.hq, fn.sq, fn.d, device="cuda", dtype=fn.dtype)
    lse = torch.empty(1, fn.hq, fn.sq, device="cuda")
    first = {}
    cache = torch.empty(1, fn.hkv, 16384, fn.d, device="cuda", dtype=fn.dtype)
    for sk in range(1, 16384, 7):
        kv = cache[:, :, :sk]
        (splits, _, _), _ = module.geometry(kernel, q=q, k=kv, v=kv, out=q, lse=lse)
        first.setdefault(splits, sk)
    return [first[s] for s in sorted(first)]


def arguments(fn):
    """The manifest arguments of the table's function `fn`."""
    return (["q", "k", "v"] + (["alibi_slopes"] if fn.alibi else [])
            + (["kv_lengths"] if fn.kv_lengths else [])
            + (["page_table"] if fn.page else []) + ["out", "lse"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("manifest")
    parser.add_argument("--small", action="store_true",
                        help="skip the 32768-key caches (for compute-sanitizer)")
    parser.add_argument("--kernel", action="append", help="run only this kernel (repeatable)")
    opts = parser.parse_args()
    module = load(opts.manifest)
    seed = int.from_bytes(os.urandom(4), "little")
    gen = torch.Generator(device="cuda").manual_seed(seed)
    print(f"seed {seed}")
    wanted = set(opts.kernel or FUNCTIONS)
    splits_seen = set()
    for kernel, fn in kernels_to_check(module, FUNCTIONS, wanted, opts.manifest, arguments):
        cases = [(4, sk, f"B4-Sk{sk}") for sk, big in CACHES if not (big and opts.small)]
        if kernel == SPLIT_SWEEP_KERNEL:
            cases += [(1, sk, f"B1-Sk{sk}") for sk in split_sweep(module, kernel, fn)]
        for b, sk, label in cases:
            try:
                splits_seen.add(run_case(module, gen, kernel, fn, b, sk, label))
            except Exception as e:  # noqa: BLE001
                expect(False, f"{kernel} {label}: {type(e).__name__}: {e}")
            torch.cuda.empty_cache()
    if not opts.kernel:
        expect(splits_seen >= set(range(1, 33)),
               f"split counts covered: {sorted(splits_seen)} (want 1..32)")
    print(f"{len(failures)} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
