"""GPU check of the masked attention kernels of examples/gpu/attention_masks.mlir
(compiled by scripts/device/prepare.sh into .device/attention_masks) through
celeris.runtime. FUNCTIONS below restates each function of that file (mask,
scale, softcap, ALiBi, kv_lengths, query_offset, head dim, dtype, Hq, segment
ids, varlen offsets or a block layout); a kernel of the manifest that is not
in it, or a function of it that the manifest lacks, is a failure.
Usage: check_attention_masks.py MANIFEST [--small] [--kernel NAME] [--case LABEL]

Every kernel runs B2 S8192 (not with --small), B2 S1000, Sq=300 Sk=77 and
Sq=77 Sk=1000 (tails; fully masked rows for causal-like masks), with B=4 and
random key lengths (0, Sk, and others not multiples of 64) for kv_lengths.
Hkv = Hq: the functions fix both head counts to the same value.
Segment ids: 1 to 8 documents of random lengths per batch (sorted ids), and
one case of random ids in 0..3. Varlen (B=1, Sq and Sk the packed totals):
random sequence lengths (one of length 0, none a multiple of 64; keys at
least as many as queries where Sk leaves room, else random, which gives
fully masked rows), query rows before the first sequence (cu_q[0] = 5) and
after the last, which must stay NaN. Block layouts: random, about 50% dense,
per (batch, head) and broadcast over the batch, the heads or both; one query
block lists no key block (fully masked rows), one lists all; the entries
past a block's count list the other blocks (never allowed).
Against a float64 reference written here (the mask algebra of
docs/reference/CelerisAttrs.md in torch, one (batch, head) at a time), fresh
random inputs and NaN-poisoned outputs:
  ||out - ref|| / ||ref|| <= 1e-2 (bf16/f16 out); |lse - ref| <= 1e-3 where
  the reference is finite (5e-3 with a softcap, see LSE_TOL_SOFTCAP);
  lse == -inf and out == 0 on fully masked rows; no NaN anywhere; and two
  launches on the same inputs give bit-identical out and lse.
"""

import argparse
import collections
import functools
import math
import operator
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
from celeris.runtime import load  # noqa: E402

OUT_TOL = 1e-2
LSE_TOL = 1e-3
# The kernels compute the softcap with tanh.approx.f32 (relative error up to
# about 2^-11), so a capped score c * tanh(s / c) carries an absolute error
# up to |s| * 2^-11: about 2e-3 on the scores that dominate lse here.
LSE_TOL_SOFTCAP = 5e-3
# With a softcap, q is scaled by this power of two (exact in bf16/f16) so
# that the scores reach the part of tanh that is not linear.
SOFTCAP_Q_GAIN = 2.0

# One entry per function of examples/gpu/attention_masks.mlir. Masks are
# tuples: ("causal",), ("window", left, right), ("sink", n),
# ("dilated", rate, segment), ("strided", s), ("block_causal", b),
# ("prefix", n), ("chunked", c), ("global", (t0, ...)), ("union", m, ...),
# ("intersect", m, ...), ("all",). scale None: 1 / sqrt(d); query_offset
# None: the default (Sk - Sq, or kv_lengths[b] - Sq). layout: None,
# "segments" (segment_ids), "varlen" (cu_seqlens) or "blocks" (block_layout
# with block_size).
Fn = collections.namedtuple(
    "Fn", "mask scale softcap alibi kv_lengths query_offset d dtype hq layout block_size",
    defaults=(None, None, False, False, None, 128, torch.bfloat16, 16, None, None))
CAUSAL = ("causal",)
FUNCTIONS = {
    "sliding_window_1024": Fn(("intersect", CAUSAL, ("window", 1023, 0))),
    "sinks_4_window_1024": Fn(
        ("intersect", CAUSAL, ("union", ("sink", 4), ("window", 1023, 0)))),
    "softcap_30_causal": Fn(CAUSAL, softcap=30.0),
    "block_causal_128": Fn(("block_causal", 128)),
    "bidirectional_window_64_sinks_16": Fn(("union", ("sink", 16), ("window", 64, 64))),
    "dilated_2_512": Fn(("dilated", 2, 512)),
    "strided_4_causal": Fn(("intersect", CAUSAL, ("strided", 4))),
    "prefix_300": Fn(("prefix", 300)),
    "chunked_256": Fn(("chunked", 256)),
    "global_window_causal": Fn(
        ("intersect", CAUSAL, ("union", ("global", (0, 7, 100)), ("window", 255, 0)))),
    "alibi_causal": Fn(CAUSAL, alibi=True),
    "kv_lengths_causal": Fn(CAUSAL, kv_lengths=True),
    "scale_offset_causal": Fn(CAUSAL, scale=0.05, query_offset=100),
    "softcap_alibi_window_f16_d64": Fn(
        ("intersect", CAUSAL, ("window", 200, 0)), softcap=20.0, alibi=True,
        d=64, dtype=torch.float16, hq=8),
    "document_segments_causal": Fn(CAUSAL, layout="segments"),
    "varlen_causal": Fn(CAUSAL, layout="varlen"),
    "block_sparse_128": Fn(("all",), layout="blocks", block_size=(128, 128)),
    "block_sparse_causal_64": Fn(CAUSAL, layout="blocks", block_size=(64, 64)),
    "causal_window_d32": Fn(("intersect", CAUSAL, ("window", 63, 0)), d=32, hq=8),
    "causal_d256": Fn(CAUSAL, d=256, hq=8),
}
LAYOUT_ARGS = {"segments": ["q_segment_ids", "kv_segment_ids"],
               "varlen": ["cu_seqlens_q", "cu_seqlens_kv"],
               "blocks": ["block_counts", "block_indices"]}

# Big cases are skipped with --small; variant: how a layout's operands are
# drawn (segments: "unsorted" ids; blocks: "1xH", "Bx1", "1x1" broadcast).
Case = collections.namedtuple("Case", "label b sq sk big variant", defaults=(None,))
CASES = [
    Case("B2-S8192", 2, 8192, 8192, True),
    Case("B2-S1000", 2, 1000, 1000, False),
    Case("Sq300-Sk77", 1, 300, 77, False),
    Case("Sq77-Sk1000", 1, 77, 1000, False),
]
# Further cases of the functions of one layout.
LAYOUT_CASES = {
    "segments": [Case("B2-S1000-ids0..3", 2, 1000, 1000, False, "unsorted")],
    "blocks": [Case(f"B2-Sq1000-Sk700-layout{v}", 2, 1000, 700, False, v)
               for v in ("1xH", "Bx1", "1x1")],
}
KV_LENGTHS_BATCH = 4
VARLEN_Q_LEAD, VARLEN_KV_LEAD = 5, 3

failures = []


def expect(condition, message):
    print(("ok   " if condition else "FAIL ") + message, flush=True)
    if not condition:
        failures.append(message)


def fdiv(x, n):
    return torch.div(x, n, rounding_mode="floor")


def allowed(mask, p, j):
    """allowed(p, j) of `mask` (CelerisAttrs.md) for int64 tensors p [Sq, 1]
    and j [1, Sk], broadcast; / and mod are floor division and its remainder
    (they differ from truncation only for negative positions)."""
    kind, args = mask[0], mask[1:]
    if kind == "all":
        return torch.ones_like(p + j, dtype=torch.bool)
    if kind == "causal":
        return j <= p
    if kind == "window":
        return (p - args[0] <= j) & (j <= p + args[1])
    if kind == "sink":
        return j < args[0]
    if kind == "dilated":
        rate, segment = args
        return ((fdiv(p, segment) == fdiv(j, segment)) & (p % segment % rate == 0)
                & (j % segment % rate == 0))
    if kind == "strided":
        return (p - j) % args[0] == 0
    if kind == "block_causal":
        return fdiv(j, args[0]) <= fdiv(p, args[0])
    if kind == "prefix":
        return (j <= p) | (j < args[0])
    if kind == "chunked":
        return fdiv(p, args[0]) == fdiv(j, args[0])
    if kind == "global":
        tokens = torch.tensor(args[0], device=p.device, dtype=p.dtype)
        return torch.isin(p, tokens) | torch.isin(j, tokens)
    if kind in ("union", "intersect"):
        combine = operator.or_ if kind == "union" else operator.and_
        return functools.reduce(combine, [allowed(m, p, j) for m in args])
    raise ValueError(f"mask kind {kind!r} has no reference here")


def reference(fn, q, k, v, slopes, lens, ids=None, blocks=None):
    """float64 celeris.attention: (out, natural-log lse), one (batch, head)
    at a time so that S=8192 fits. ids: (q_ids [B, Sq], kv_ids [B, Sk]);
    blocks: the layout as a dense table [B or 1, Hq or 1, NQB, NKB] of
    listed blocks."""
    b, hq, sq, d = q.shape
    hkv, sk = k.shape[1], k.shape[2]
    scale = fn.scale if fn.scale is not None else 1.0 / math.sqrt(d)
    out = torch.empty(q.shape, device=q.device, dtype=torch.float64)
    lse = torch.empty(b, hq, sq, device=q.device, dtype=torch.float64)
    i = torch.arange(sq, device=q.device)[:, None]
    j = torch.arange(sk, device=q.device)[None, :]
    for bi in range(b):
        length = int(lens[bi]) if lens is not None else sk
        offset = fn.query_offset if fn.query_offset is not None else length - sq
        p = i + offset
        ok = allowed(fn.mask, p, j).expand(sq, sk)
        if lens is not None:
            ok = ok & (j < length)
        if ids is not None:
            ok = ok & (ids[0][bi][:, None] == ids[1][bi][None, :])
        distance = (j - p).double() if slopes is not None else None
        for h in range(hq):
            g = h // (hq // hkv)
            okh = ok
            if blocks is not None:
                bq, bk = fn.block_size
                table = blocks[bi if blocks.shape[0] > 1 else 0, h if blocks.shape[1] > 1 else 0]
                okh = ok & table[i[:, 0] // bq][:, j[0] // bk]
            s = scale * (q[bi, h].double() @ k[bi, g].double().T)
            if slopes is not None:
                s = s + float(slopes[h]) * distance
            if fn.softcap is not None:
                s = fn.softcap * torch.tanh(s / fn.softcap)
            s = s.masked_fill(~okh, float("-inf"))
            lse[bi, h] = torch.logsumexp(s, dim=-1)
            # Fully masked rows: exp(-inf - -inf) is NaN; their out is 0.
            w = torch.where(okh, torch.exp(s - lse[bi, h][:, None]), 0.0)
            out[bi, h] = w @ v[bi, g].double()
    return out, lse


def varlen_reference(fn, q, k, v, cu_q, cu_kv):
    """reference() of each packed sequence on its own (its default offset is
    then Sk_n - Sq_n); rows outside every sequence are NaN."""
    out = torch.full(q.shape, float("nan"), device=q.device, dtype=torch.float64)
    lse = torch.full(q.shape[:3], float("nan"), device=q.device, dtype=torch.float64)
    for n in range(len(cu_q) - 1):
        (a, e), (c, f) = cu_q[n:n + 2], cu_kv[n:n + 2]
        if e > a:
            out[:, :, a:e], lse[:, :, a:e] = reference(
                fn, q[:, :, a:e], k[:, :, c:f], v[:, :, c:f], None, None)
    return out, lse


def randint(gen, low, high, shape=()):
    return torch.randint(low, high, shape, device="cuda", generator=gen)


def segment_ids(gen, b, sq, sk, unsorted):
    """(q_ids [B, Sq], kv_ids [B, Sk]) int32, read off one stream of
    L = max(Sq, Sk) ids per batch at the positions that the default query
    offset gives (row i at i + L - Sq, key j at j + L - Sk): 1 to 8 documents
    of random lengths with consecutive ids from a random base, or (unsorted)
    random ids in 0..3."""
    n = max(sq, sk)
    if unsorted:
        ids = randint(gen, 0, 4, (b, n))
    else:
        pos = torch.arange(n, device="cuda")
        ids = torch.stack([
            int(randint(gen, 0, 1000)) + torch.searchsorted(
                randint(gen, 1, n, (int(randint(gen, 0, 8)),)).sort().values, pos, right=True)
            for _ in range(b)])
    ids = ids.to(torch.int32)
    # Copies, not views: a one-row slice is contiguous already but starts
    # inside the storage, where the kernels' 16-byte loads cannot.
    return ids[:, n - sq:].clone(), ids[:, n - sk:].clone()


def split(gen, total, n):
    """n random lengths >= 0 that sum to total."""
    cuts = randint(gen, 0, total + 1, (n - 1,)).sort().values.tolist()
    return [e - a for a, e in zip([0] + cuts, cuts + [total])]


def varlen_offsets(gen, sq, sk):
    """(cu_q, cu_kv) lists of N + 1 offsets. Queries: N - 1 random lengths
    over 7/8 of the rows after VARLEN_Q_LEAD (none a multiple of 64) and one
    of length 0 at a random place; the rows before the first and after the
    last sequence belong to none. Keys from VARLEN_KV_LEAD: each sequence's
    query length plus a random share of the rest, or random lengths when Sk
    is shorter than the queries."""
    n = min(12, max(4, sq // 250))
    q_lead = VARLEN_Q_LEAD if sq > 64 else 0
    kv_lead = VARLEN_KV_LEAD if sk > 64 else 0
    q_lens = [x - 1 if x and x % 64 == 0 else x
              for x in split(gen, (sq - 2 * q_lead) * 7 // 8, n - 1)]
    q_lens.insert(int(randint(gen, 0, n)), 0)
    room = sk - kv_lead - sum(q_lens)
    kv_lens = ([x + e for x, e in zip(q_lens, split(gen, room, n))] if room >= 0
               else split(gen, sk - kv_lead, n))

    def offsets(lead, lens):
        return [lead + sum(lens[:m]) for m in range(n + 1)]
    return offsets(q_lead, q_lens), offsets(kv_lead, kv_lens)


def block_layout(gen, b, hq, sq, sk, block_size, variant):
    """(counts [B', H', NQB], indices [B', H', NQB, NKB] int32, dense table
    of the listed blocks [B', H', NQB, NKB] bool); B' = 1 for "1xH" and
    "1x1", H' = 1 for "Bx1" and "1x1". Each query block lists a random
    number (binomial, p = 1/2) of key blocks in random order, then the
    others, which its count excludes; query block 0 of the last (b', h')
    lists every block, the last query block of (0, 0) none."""
    lb = 1 if variant in ("1xH", "1x1") else b
    lh = 1 if variant in ("Bx1", "1x1") else hq
    nqb, nkb = -(-sq // block_size[0]), -(-sk // block_size[1])
    shape = (lb, lh, nqb, nkb)
    order = torch.rand(shape, device="cuda", generator=gen).argsort(dim=-1)
    counts = (torch.rand(shape, device="cuda", generator=gen) < 0.5).sum(-1)
    counts[0, 0, -1] = 0
    counts[-1, -1, 0] = nkb
    listed = torch.arange(nkb, device="cuda") < counts[..., None]
    dense = torch.zeros(shape, device="cuda", dtype=torch.bool).scatter_(-1, order, listed)
    return counts.to(torch.int32), order.to(torch.int32), dense


def kv_lengths(gen, b, sk):
    """Key lengths of a batch: 0, Sk, and random ones in [1, Sk] that are not
    multiples of 64."""
    lens = torch.randint(1, sk + 1, (b,), device="cuda", generator=gen)
    lens = torch.where(lens % 64 == 0, lens - 1, lens)
    lens[0], lens[-1] = 0, sk
    return lens.to(torch.int32)


def run_case(module, gen, kernel, fn, case):
    b, sq, sk = case.b, case.sq, case.sk
    hq = hkv = fn.hq
    if fn.kv_lengths:
        b = KV_LENGTHS_BATCH
    if fn.layout == "varlen":
        b = 1

    def randn(*shape):
        return torch.randn(*shape, device="cuda", generator=gen).to(fn.dtype)
    q, k, v = randn(b, hq, sq, fn.d), randn(b, hkv, sk, fn.d), randn(b, hkv, sk, fn.d)
    if fn.softcap is not None:
        q = q * SOFTCAP_Q_GAIN
    args = dict(q=q, k=k, v=v)
    slopes = lens = ids = blocks = cu = None
    shape = f"B{b} H{hq} Sq{sq} Sk{sk} D{fn.d}"
    if fn.alibi:
        slopes = torch.tensor([2.0 ** (-8.0 * (h + 1) / hq) for h in range(hq)],
                              device="cuda", dtype=torch.float32)
        args["alibi_slopes"] = slopes
    if fn.layout == "segments":
        ids = segment_ids(gen, b, sq, sk, case.variant == "unsorted")
        args.update(q_segment_ids=ids[0], kv_segment_ids=ids[1])
        shape += (" random ids 0..3" if case.variant == "unsorted" else
                  f" documents per batch {[x.unique().numel() for x in ids[1]]}")
    if fn.layout == "varlen":
        cu = varlen_offsets(gen, sq, sk)
        args.update(cu_seqlens_q=torch.tensor(cu[0], device="cuda", dtype=torch.int32),
                    cu_seqlens_kv=torch.tensor(cu[1], device="cuda", dtype=torch.int32))
        shape += f" cu_q {cu[0]} cu_kv {cu[1]}"
    if fn.layout == "blocks":
        counts, indices, blocks = block_layout(gen, b, hq, sq, sk, fn.block_size, case.variant)
        args.update(block_counts=counts, block_indices=indices)
        shape += (f" layout {list(indices.shape)} of {fn.block_size[0]}x{fn.block_size[1]}, "
                  f"density {blocks.double().mean().item():.2f}")
    if fn.kv_lengths:
        lens = kv_lengths(gen, b, sk)
        args["kv_lengths"] = lens
        shape += f" kv_lengths {lens.tolist()}"

    out, lse, deterministic = launch_twice(module, kernel, args, (b, hq, sq, fn.d), fn.dtype)

    # rows: the query rows the kernel writes (varlen: those of a sequence).
    rows = torch.ones(sq, device="cuda", dtype=torch.bool)
    untouched = True
    if cu is not None:
        ref, ref_lse = varlen_reference(fn, q, k, v, *cu)
        rows[:] = False
        for a, e in zip(cu[0], cu[0][1:]):
            rows[a:e] = True
        untouched = bool(torch.isnan(out[:, :, ~rows]).all().item()
                         and torch.isnan(lse[:, :, ~rows]).all().item())
        out, lse, ref, ref_lse = (t[:, :, rows] for t in (out, lse, ref, ref_lse))
    else:
        ref, ref_lse = reference(fn, q, k, v, slopes, lens, ids, blocks)
    ok, summary = compare(out, lse, ref, ref_lse, fn.softcap is not None, deterministic)
    extra = ""
    if cu is not None:
        extra = (f", rows in sequences {int(rows.sum())}/{sq}, the others untouched "
                 f"(NaN): {untouched}")
    expect(ok and untouched, f"{kernel} {case.label} ({shape}): {summary}{extra}")


def launch_twice(module, kernel, args, shape, dtype):
    """(out, lse, deterministic): `kernel` launched on `args` with
    NaN-poisoned out (`shape`, `dtype`) and lse, twice; deterministic when
    both launches give the same bits (so that the NaN of rows left unwritten
    compare equal)."""
    def launch():
        out = torch.full(shape, float("nan"), device="cuda", dtype=dtype)
        lse = torch.full(shape[:3], float("nan"), device="cuda", dtype=torch.float32)
        module.launch(kernel, **args, out=out, lse=lse)
        torch.cuda.synchronize()
        return out, lse
    out, lse = launch()
    out2, lse2 = launch()
    same = (torch.equal(out.view(torch.int16), out2.view(torch.int16))
            and torch.equal(lse.view(torch.int32), lse2.view(torch.int32)))
    return out, lse, same


def compare(out, lse, ref, ref_lse, softcap, deterministic):
    """(passed, summary) of a kernel's out and lse against the float64
    reference: the bounds of the module docstring."""
    nan_out = torch.isnan(out).sum().item()
    nan_lse = torch.isnan(lse).sum().item()
    err = (out.double() - ref).norm().item() / max(ref.norm().item(), 1e-300)
    finite = torch.isfinite(ref_lse)
    lse_err = (lse.double() - ref_lse)[finite].abs().max().item() if finite.any() else 0.0
    lse_finite = bool(torch.isfinite(lse[finite]).all().item())
    masked = (~finite).sum().item()
    masked_ok = (bool((out[~finite] == 0).all().item())
                 and bool((lse[~finite] == float("-inf")).all().item())) if masked else True
    lse_tol = LSE_TOL_SOFTCAP if softcap else LSE_TOL
    ok = (nan_out == 0 and nan_lse == 0 and math.isfinite(err) and err <= OUT_TOL
          and lse_err <= lse_tol and lse_finite and masked_ok and deterministic)
    return ok, (f"out rel err {err:.2e}, lse max abs err {lse_err:.2e} (<= {lse_tol:g}), "
                f"NaN out/lse {nan_out}/{nan_lse}, fully masked rows {masked} (out 0, "
                f"lse -inf: {masked_ok}), deterministic: {deterministic}")


def arguments(fn):
    """The manifest arguments of the table's function `fn`."""
    return (["q", "k", "v"] + (["alibi_slopes"] if fn.alibi else [])
            + LAYOUT_ARGS.get(fn.layout, []) + (["kv_lengths"] if fn.kv_lengths else [])
            + ["out", "lse"])


def kernels_to_check(module, functions, wanted, manifest, arguments_of):
    """The kernels of `module` in `wanted` (names) whose manifest arguments
    and element type are those of their entry in `functions` (by
    `arguments_of(fn)` and fn.dtype); each mismatch between the table, the
    manifest and `wanted` is a failure."""
    for name in sorted(wanted - set(functions)):
        expect(False, f"{name}: not a function of the table")
    for name in sorted(wanted & set(functions) - set(module.kernels)):
        expect(False, f"{name}: in the table but not in {manifest}")
    for kernel in sorted(module.kernels):
        if kernel not in functions:
            expect(False, f"{kernel}: kernel of the manifest missing from the table; "
                   "add its options to check it")
            continue
        if kernel not in wanted:
            continue
        fn = functions[kernel]
        signature = {a[0]: a for a in module.kernels[kernel]}
        names = arguments_of(fn)
        element = {torch.bfloat16: "bf16", torch.float16: "f16"}[fn.dtype]
        if list(signature) != names or signature["q"][3] != element:
            expect(False, f"{kernel}: the manifest's arguments "
                   f"{[(a[0], a[3]) for a in module.kernels[kernel]]} are not those of the "
                   f"table ({names}, q {element}): the table is out of date")
            continue
        yield kernel, fn


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("manifest")
    parser.add_argument("--small", action="store_true",
                        help="skip the S8192 cases (for runs under compute-sanitizer)")
    parser.add_argument("--kernel", action="append",
                        help="run only this kernel (repeatable)")
    labels = [c.label for c in CASES + sum(LAYOUT_CASES.values(), [])]
    parser.add_argument("--case", action="append", choices=labels,
                        help="run only this case (repeatable)")
    opts = parser.parse_args()
    module = load(opts.manifest)
    print(f"kernels: {sorted(module.kernels)}")
    seed = int.from_bytes(os.urandom(4), "little")
    gen = torch.Generator(device="cuda").manual_seed(seed)
    print(f"seed {seed}")
    wanted = set(opts.kernel or FUNCTIONS)
    for kernel, fn in kernels_to_check(module, FUNCTIONS, wanted, opts.manifest, arguments):
        for case in CASES + LAYOUT_CASES.get(fn.layout, []):
            if (opts.small and case.big) or (opts.case and case.label not in opts.case):
                continue
            try:
                run_case(module, gen, kernel, fn, case)
            except Exception as e:  # noqa: BLE001
                expect(False, f"{kernel} {case.label}: {type(e).__name__}: {e}")
            torch.cuda.empty_cache()
    print(f"{len(failures)} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
