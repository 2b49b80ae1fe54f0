"""GPU check of the mixture-of-experts kernels of examples/gpu/moe.mlir
(compiled by scripts/device/prepare.sh into .device/moe) through
celeris.runtime: celeris.route (softmax and sigmoid scores, k 1 and 8,
renormalisation, DeepSeek-V3's group-limited selection with a bias and a
scaling factor, bf16 logits), celeris.dispatch and celeris.dispatch_map
(with and without a capacity), celeris.grouped_matmul (static and fully
dynamic shapes; the gather form reading token rows through source_rows, a
twentieth of which name no token) and celeris.combine (f32 and f16
weights).
FUNCTIONS below restates each function of that file; a kernel of the
manifest that is not in it is a failure, and so is a function the manifest
lacks. A launch the runtime rejects (CelerisError) is a failure.
Usage: check_moe.py MANIFEST [--kernel NAME] [--small]

route: T = 0, 1, 7, 1000 and 16384 tokens, logits distinct multiples of
4/E or 8/E (a random permutation per row), with and without a bias (one
expert's bias of 1 selects it where its logit is the row's lowest), then
deliberate exact ties (constant rows, rows on four levels, a duplicated top
logit) that must go to the lower expert (and group), with a zero bias. Rows
whose float64 selection has a gap under 1e-4 (relative) that is not an
exact tie are redrawn, so f32 scores cannot reorder them.
expert choice: T = 0, 1, 7, 100, 1000 and 4099 (fewer tokens than the
capacity leave slots -1 with weight 0), sigmoid rows on six levels where
many tokens tie (the lower token wins); indices exact, weights 1e-5.
dispatch: T = 0, 1, 3, 1000 and 4099 with random experts; at T 1000 one
expert taking every assignment, most experts empty, and invalid ids (-1, E,
2^30, -2^31) that drop; dispatch_capacity overflows its capacity of 40.
grouped_matmul: N = 0, 1, 1000 and 4099 rows over ragged segments (half the
experts empty; the last expert always owns rows, in grouped_gemm_dsv3 past
2^31 elements of w), the last expert taking all 300 rows, and 777 rows of which
offsets[E-1] owns 2/3 (the tail rows are 0); grouped_gemm_dsv3 at N 0, 1
and 600 over five experts; grouped_gemm_f16 (a dynamic expert count) at E 5 and 1, d 192, f 320.
The gather forms read N / 3 + 2 token rows, and once none (every row 0).
combine: T = 0, 1, 7, 1000 and 4099, a tenth of the assignments dropped and
every fifth token with none kept (its row must be exactly 0).
--small (for compute-sanitizer): T = 0, 1 and 65 only (grouped_matmul: N =
0, 65 and 130).

Against float64 / integer references written here, on the rounded inputs,
fresh seeds and poisoned outputs (NaN, -12345 for integers): expert ids,
offsets, row maps and permuted rows exactly; route weights
||w - ref|| / ||ref|| <= 1e-5; grouped_matmul and combine outputs <= 1e-2
(bf16/f16, f32 accumulation); no NaN, and two launches bit-identical.
"""

import argparse
import collections
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
from celeris.runtime import CelerisError, load  # noqa: E402
from check_recurrence import expect, failures, rel  # noqa: E402

DEVICE = "cuda"
POISON = -12345
ROUTE_TOL, OUT_TOL, MARGIN, EC_MARGIN = 1e-5, 1e-2, 1e-4, 1e-5

Route = collections.namedtuple("Route", "E k score renormalize groups topk_groups scale bias dtype")
ExpertChoice = collections.namedtuple("ExpertChoice", "E capacity score scale bias dtype")
# map: celeris.dispatch_map (source_rows instead of permuted; no x).
Dispatch = collections.namedtuple("Dispatch", "E k d dtype capacity map",
                                  defaults=(False,))
# gather: x holds token rows, read through source_rows.
Grouped = collections.namedtuple("Grouped", "E d f dtype swiglu gather",
                                 defaults=(False, False))  # E None: dynamic
Combine = collections.namedtuple("Combine", "k f dtype weights")  # None: dynamic
bf16, f16, f32 = torch.bfloat16, torch.float16, torch.float32
FUNCTIONS = {
    "route_softmax_k8": Route(64, 8, "softmax", True, None, None, 1.0, False, f32),
    "route_softmax_k1": Route(64, 1, "softmax", False, None, None, 1.0, False, f32),
    "route_deepseek_v3": Route(256, 8, "sigmoid", True, 8, 4, 2.5, True, f32),
    "route_grouped_bf16": Route(16, 4, "sigmoid", True, 4, 2, 1.0, True, bf16),
    "route_expert_choice": ExpertChoice(64, 64, "softmax", 1.0, False, f32),
    "route_expert_choice_sigmoid": ExpertChoice(16, 300, "sigmoid", 2.0, True, bf16),
    "route_expert_choice_c2048": ExpertChoice(64, 2048, "softmax", 1.0, False, f32),
    "dispatch_e64": Dispatch(64, 8, 2048, bf16, None),
    "dispatch_e64_d8": Dispatch(64, 8, 8, bf16, None),
    "dispatch_capacity": Dispatch(16, 4, 256, f16, 40),
    "dispatch_map_e64": Dispatch(64, 8, 1, bf16, None, True),
    "dispatch_map_capacity": Dispatch(16, 4, 1, bf16, 40, True),
    "grouped_gemm_e64": Grouped(64, 2048, 1408, bf16),
    "grouped_gemm_e64_down": Grouped(64, 1408, 2048, bf16),
    "grouped_gemm_dsv3": Grouped(256, 7168, 2048, bf16),
    "grouped_gemm_f16": Grouped(None, 192, 320, f16),
    "grouped_gemm_e64_swiglu": Grouped(64, 2048, 1408, bf16, True),
    "grouped_gemm_swiglu_f16": Grouped(None, 192, 704, f16, True),
    "grouped_gemm_e64_swiglu_gather": Grouped(64, 2048, 1408, bf16, True, True),
    "grouped_gemm_gather_f16": Grouped(None, 192, 704, f16, False, True),
    "combine_k8": Combine(8, 2048, bf16, f32),
    "combine_f16": Combine(None, None, f16, f16),
}


def bits(t):
    return t.view({2: torch.int16, 4: torch.int32, 8: torch.int64}[t.element_size()]) \
        if t.dtype.is_floating_point else t


def poisoned(shape, dtype):
    return torch.full(shape, float("nan") if dtype.is_floating_point else POISON,
                      dtype=dtype, device=DEVICE)


def run(module, name, label, inputs, outputs, refs, tols, extra=None):
    """Launches `name` twice on fresh poisoned outputs ({name: (shape,
    dtype)}, in the kernel's order) and compares the first with `refs`:
    bit for bit where tols[key] is None, else rel <= tols[key]. `extra`
    maps the outputs to more (ok, text) checks."""
    results = []
    try:
        for _ in range(2):
            fresh = {k: poisoned(shape, dtype) for k, (shape, dtype) in outputs.items()}
            module.launch(name, *inputs, *fresh.values())
            torch.cuda.synchronize()
            results.append(fresh)
    except CelerisError as error:
        expect(False, f"{label}: the launch was rejected: {error}")
        return
    first, second = results
    parts, ok = [], True
    for key, value in first.items():
        same = torch.equal(bits(value), bits(second[key]))
        nan = torch.isnan(value).sum().item() if value.dtype.is_floating_point else 0
        if key not in tols:  # checked by `extra`
            good, text = True, key
        elif tols[key] is None:
            wrong = (bits(value) != bits(refs[key].to(value.dtype))).sum().item()
            good = wrong == 0
            text = f"{key} {wrong} wrong"
        else:
            err = rel(value, refs[key]) if value.numel() else 0.0
            good = math.isfinite(err) and err <= tols[key]
            text = f"{key} rel {err:.2e} (<= {tols[key]:.0e})"
        ok = ok and good and same and nan == 0
        parts.append(text + (f", NaN {nan}" if nan else "") + ("" if same else ", NOT deterministic"))
    for good, text in (extra(first) if extra else []):
        ok = ok and good
        parts.append(text)
    expect(ok, f"{label}: " + "; ".join(parts))


# --- route -------------------------------------------------------------------

def route_reference(logits, bias, fn):
    """(weights, experts, ambiguous rows): top-k token choice in float64; a
    row is ambiguous when a gap that decides its groups or experts (or their
    order) is neither 0 nor above MARGIN relative."""
    s = logits.double()
    s = s.softmax(-1) if fn.score == "softmax" else torch.sigmoid(s)
    sel = s + bias.double() if bias is not None else s
    T, E = s.shape
    ambiguous = torch.zeros(T, dtype=torch.bool, device=DEVICE)

    def close(values):  # consecutive sorted (descending) values
        gap = values[:, :-1] - values[:, 1:]
        return ((gap > 0) & (gap <= MARGIN * values[:, :-1].abs())).any(-1)

    if fn.groups:
        G, size = fn.groups, E // fn.groups
        top2 = sel.view(T, G, size).sort(-1, descending=True).values[..., :min(2, size)]
        ranked = top2.sum(-1).sort(dim=-1, descending=True, stable=True)
        if fn.topk_groups < G:
            ambiguous |= close(ranked.values[:, fn.topk_groups - 1:fn.topk_groups + 1])
        chosen = torch.zeros(T, G, dtype=torch.bool, device=DEVICE)
        chosen.scatter_(1, ranked.indices[:, :fn.topk_groups], True)
        sel = sel.masked_fill(~chosen.repeat_interleave(size, 1), -math.inf)
    ranked = sel.sort(dim=-1, descending=True, stable=True)
    ambiguous |= close(ranked.values[:, :fn.k + 1])
    experts = ranked.indices[:, :fn.k]
    weights = s.gather(1, experts)
    if fn.renormalize:
        total = weights.sum(-1, keepdim=True)
        weights = torch.where(total > 0, weights / total.clamp_min(1e-300), 0.0)
    return fn.scale * weights, experts, ambiguous


def route_logits(g, T, fn, ties):
    """Distinct multiples of 4/E or 8/E (|logit| <= 4: unsaturated sigmoids;
    exact in bf16); with `ties`, constant rows, rows on four levels and rows
    whose top logit is duplicated."""
    E = fn.E
    step = 2.0 ** torch.randint(0, 2, (T, 1), device=DEVICE, generator=g) * 4 / E
    perm = torch.rand(T, E, device=DEVICE, generator=g).argsort(-1)
    logits = (perm - E // 2) * step
    kind = torch.arange(T, device=DEVICE) % 4
    if ties:
        levels = torch.randint(0, 4, (T, E), device=DEVICE, generator=g) * 0.25
        logits = torch.where((kind == 0)[:, None], levels[:, :1], logits)
        logits = torch.where((kind == 1)[:, None], levels, logits)
        dup = torch.randint(0, E, (T,), device=DEVICE, generator=g)
        rows = torch.nonzero(kind >= 2).flatten()
        logits[rows, dup[rows]] = logits[rows].max(-1).values
    elif fn.bias:
        # Expert 3 (boosted by the bias) gets the row's lowest logit.
        rows = torch.nonzero(kind == 0).flatten()
        low = logits[rows].argmin(-1)
        mine = logits[rows, 3].clone()
        logits[rows, low] = mine
        logits[rows, 3] = -(E // 2) * step[rows, 0]
    return logits.to(fn.dtype)


def route_case(module, name, T, ties, seed):
    fn = FUNCTIONS[name]
    g = torch.Generator(device=DEVICE).manual_seed(seed)
    bias = None
    if fn.bias:
        # Distinct multiples of 1/(8E), and a bias of 1 on expert 3.
        bias = (torch.rand(fn.E, device=DEVICE, generator=g).argsort() - fn.E // 2) / (8 * fn.E)
        bias[3] = 1.0
        if ties:
            bias.zero_()
    logits = route_logits(g, T, fn, ties)
    for _ in range(100):
        weights, experts, ambiguous = route_reference(logits, bias, fn)
        if not ambiguous.any():
            break
        logits = torch.where(ambiguous[:, None], route_logits(g, T, fn, ties), logits)
    else:
        expect(False, f"{name} T{T}: no unambiguous logits drawn")
        return
    inputs = [logits] + ([bias] if bias is not None else [])
    outputs = {"weights": ((T, fn.k), f32), "experts": ((T, fn.k), torch.int32)}
    label = f"{name} T{T} {'ties' if ties else 'distinct'} seed={seed}"
    run(module, name, label, inputs, outputs, {"weights": weights, "experts": experts},
        {"weights": ROUTE_TOL, "experts": None})


def expert_choice_reference(logits, bias, fn):
    """(weights [E, C], indices [E, C], ambiguous): every expert's C best
    tokens in float64, ties to the lower token; slots past the token count
    hold -1 and 0. Ambiguous when a deciding gap is neither 0 nor above
    EC_MARGIN relative."""
    s = logits.double()
    s = s.softmax(-1) if fn.score == "softmax" else torch.sigmoid(s)
    sel = (s + bias.double()) if bias is not None else s
    T, E, C = s.shape[0], fn.E, fn.capacity
    picks = min(C, T)
    indices = torch.full((E, C), -1, dtype=torch.int64, device=DEVICE)
    weights = torch.zeros(E, C, dtype=torch.float64, device=DEVICE)
    ambiguous = False
    if T:
        ranked = sel.t().sort(dim=-1, descending=True, stable=True)
        top = ranked.values[:, :min(C + 1, T)]
        gap = top[:, :-1] - top[:, 1:]
        ambiguous = bool(((gap > 0) & (gap <= EC_MARGIN * top[:, :-1].abs())).any())
        indices[:, :picks] = ranked.indices[:, :picks]
        weights[:, :picks] = fn.scale * s.t().gather(1, ranked.indices[:, :picks])
    return weights, indices, ambiguous


def expert_choice_case(module, name, T, ties, seed):
    """Random logits (with `ties`, sigmoid only: a few levels, so many
    tokens tie and the lower one must win)."""
    fn = FUNCTIONS[name]
    g = torch.Generator(device=DEVICE).manual_seed(seed)
    bias = None
    if fn.bias:
        bias = (torch.rand(fn.E, device=DEVICE, generator=g).argsort() - fn.E // 2) / (8 * fn.E)

    def draw():
        if ties:
            levels = torch.randint(0, 6, (T, fn.E), device=DEVICE, generator=g)
            return (levels * 0.5 - 1.0).to(fn.dtype)
        return torch.randn(T, fn.E, device=DEVICE, generator=g).to(fn.dtype)

    for _ in range(20):
        logits = draw()
        weights, indices, ambiguous = expert_choice_reference(logits, bias, fn)
        if not ambiguous:
            break
    inputs = [logits] + ([bias] if bias is not None else [])
    shape = (fn.E, fn.capacity)
    outputs = {"weights": (shape, f32), "indices": (shape, torch.int32)}
    label = f"{name} T{T} {'ties' if ties else 'random'} seed={seed}"
    if not ambiguous:
        run(module, name, label, inputs, outputs, {"weights": weights, "indices": indices},
            {"weights": ROUTE_TOL, "indices": None})
        return
    # Many picks from many tokens always hold near ties that f32 scores may
    # order either way: check that the picks are a valid answer instead.
    s = logits.double()
    s = s.softmax(-1) if fn.score == "softmax" else torch.sigmoid(s)
    sel = ((s + bias.double()) if bias is not None else s).t()
    picks = min(fn.capacity, T)

    def valid(out):
        idx = out["indices"].long()
        head, tail = idx[:, :picks], idx[:, picks:]
        distinct = all(len(set(row.tolist())) == picks for row in head)
        in_range = bool(((head >= 0) & (head < T)).all()) and bool((tail == -1).all())
        if not (distinct and in_range):
            return [(False, "indices not distinct tokens, or padding not -1")]
        if picks == 0:
            return [(True, "no picks")]
        chosen = sel.gather(1, head)
        slack = EC_MARGIN * chosen.abs().max().item()
        ordered = bool((chosen[:, :-1] >= chosen[:, 1:] - slack).all())
        rest = sel.clone().scatter_(1, head, -math.inf).max(-1).values
        best_rest = bool((rest <= chosen[:, -1] + slack).all()) if picks < T else True
        w = fn.scale * s.t().gather(1, head)
        err = rel(out["weights"][:, :picks], w) if picks else 0.0
        pad = bool((out["weights"][:, picks:] == 0).all())
        return [(ordered, "picks in descending order"),
                (best_rest, "no better token left out"),
                (err <= ROUTE_TOL and pad, f"weights rel {err:.2e}")]

    run(module, name, label + " (near ties: validity)", inputs, outputs, {}, {}, valid)


# --- dispatch ----------------------------------------------------------------

def dispatch_reference(x, experts, E, capacity):
    """(permuted, offsets, row_map) of a stable sort of the assignments by
    expert, with the capacity and invalid ids dropping."""
    T, k = experts.shape
    flat = experts.flatten().long()
    valid = (flat >= 0) & (flat < E)
    key = torch.where(valid, flat, E)
    order = key.argsort(stable=True)
    starts = torch.bincount(key, minlength=E + 1).cumsum(0) - torch.bincount(key, minlength=E + 1)
    rank = torch.empty_like(flat)
    rank[order] = torch.arange(flat.numel(), device=DEVICE) - starts[key[order]]
    kept = valid & (rank < (capacity if capacity is not None else flat.numel() + 1))
    count = torch.bincount(key[kept], minlength=E + 1)[:E]
    offsets = count.cumsum(0)
    row = torch.where(kept, offsets[key.clamp(max=E - 1)] - count[key.clamp(max=E - 1)] + rank, -1)
    permuted = torch.zeros(T * k, x.shape[1], dtype=x.dtype, device=DEVICE)
    permuted[row[kept]] = x[torch.arange(T * k, device=DEVICE)[kept] // k]
    return permuted, offsets, row.view(T, k)


def dispatch_case(module, name, T, mode, seed):
    fn = FUNCTIONS[name]
    g = torch.Generator(device=DEVICE).manual_seed(seed)
    x = torch.randn(T, fn.d, device=DEVICE, generator=g).to(fn.dtype)
    experts = torch.randint(0, fn.E, (T, fn.k), device=DEVICE, generator=g)
    if mode == "one":
        experts.fill_(int(torch.randint(0, fn.E, (1,), device=DEVICE, generator=g)))
    elif mode == "sparse":  # experts 0, 4, 8, ...: most are empty
        experts = experts // 4 * 4
    elif mode == "invalid":
        bad = torch.tensor([-1, fn.E, 1 << 30, -(1 << 31)], device=DEVICE)
        which = torch.randint(0, 4, (T, fn.k), device=DEVICE, generator=g)
        drop = torch.rand(T, fn.k, device=DEVICE, generator=g) < 0.2
        experts = torch.where(drop, bad[which], experts)
    experts = experts.to(torch.int32)
    permuted, offsets, row_map = dispatch_reference(x, experts, fn.E, fn.capacity)
    kept = offsets[-1].item()
    rows = {"offsets": ((fn.E,), torch.int32), "row_map": ((T, fn.k), torch.int32)}
    refs = {"offsets": offsets, "row_map": row_map}
    if fn.map:
        # The token of each dispatched row, -1 past the kept ones.
        source = torch.full((T * fn.k,), -1, dtype=torch.int32, device=DEVICE)
        flat = row_map.flatten().long()
        tokens = torch.arange(T * fn.k, device=DEVICE) // fn.k
        source[flat[flat >= 0]] = tokens[flat >= 0].to(torch.int32)
        outputs = {"source_rows": ((T * fn.k,), torch.int32), **rows}
        refs["source_rows"] = source
        inputs = [experts]
    else:
        outputs = {"permuted": ((T * fn.k, fn.d), fn.dtype), **rows}
        refs["permuted"] = permuted
        inputs = [x, experts]
    run(module, name, f"{name} T{T} {mode} ({kept} kept) seed={seed}", inputs, outputs,
        refs, dict.fromkeys(outputs))


# --- grouped_matmul ----------------------------------------------------------

def grouped_offsets(g, E, N, mode, active):
    """End offsets: `active` random experts (always the last) share the rows
    at random cuts; mode "one": the last expert takes them all; "tail": only
    the first 2/3 of the rows are owned."""
    total = N * 2 // 3 if mode == "tail" else N
    counts = torch.zeros(E, dtype=torch.long, device=DEVICE)
    active = min(active, E)
    if mode == "one" or active == 1:
        counts[-1] = total
    else:
        chosen = torch.randperm(E - 1, device=DEVICE, generator=g)[:active - 1].sort().values
        chosen = torch.cat([chosen, torch.tensor([E - 1], device=DEVICE)])
        cuts = torch.randint(0, total + 1, (active - 1,), device=DEVICE, generator=g).sort().values
        bounds = torch.cat([torch.zeros(1, dtype=torch.long, device=DEVICE), cuts,
                            torch.tensor([total], device=DEVICE)])
        counts[chosen] = bounds.diff()
    return counts.cumsum(0).to(torch.int32)


def gather_sources(g, T, N):
    """source_rows [N] over T tokens: tokens repeated in random order, and
    a twentieth naming no token (-1, T, 2^30, -2^31), whose rows read 0."""
    source = torch.randint(0, max(T, 1), (N,), device=DEVICE, generator=g)
    bad = torch.tensor([-1, T, 1 << 30, -(1 << 31)], device=DEVICE)
    which = torch.randint(0, 4, (N,), device=DEVICE, generator=g)
    drop = (torch.rand(N, device=DEVICE, generator=g) < 0.05) | (T == 0)
    return torch.where(drop, bad[which], source).to(torch.int32)


def grouped_case(module, name, w, N, mode, active, seed, up=None, gather=False,
                 tokens=None):
    """`up`: the swiglu form's up weights (y = silu(x w) * (x up)); with
    `gather`, x has T token rows (`tokens`, default N / 3 + 2) and row i of
    the product is x[source_rows[i]]."""
    E, d, f = w.shape
    g = torch.Generator(device=DEVICE).manual_seed(seed)
    T = (N // 3 + 2 if tokens is None else tokens) if gather else N
    x = torch.randn(T, d, device=DEVICE, generator=g).to(w.dtype)
    offsets = grouped_offsets(g, E, N, mode, active)
    source = gather_sources(g, T, N) if gather else None
    if gather:
        named = (source >= 0) & (source < T)
        rows_of_x = torch.where(named[:, None], x[source.long().clamp(0, max(T - 1, 0))],
                                0) if T else torch.zeros(N, d, dtype=x.dtype, device=DEVICE)
    else:
        rows_of_x = x
    ref = torch.zeros(N, f, dtype=torch.float64, device=DEVICE)
    ends = offsets.tolist()
    for e, (start, end) in enumerate(zip([0] + ends[:-1], ends)):
        if end > start:
            rows = rows_of_x[start:end].double()
            ref[start:end] = rows @ w[e].double()
            if up is not None:
                gate = ref[start:end]
                ref[start:end] = gate * torch.sigmoid(gate) * (rows @ up[e].double())
    owned = ends[-1]

    def tail(out):
        return [(bool((out["y"][owned:] == 0).all()), f"{N - owned} tail rows 0")]

    inputs = [x, w, offsets] + ([source] if gather else []) + \
        ([up] if up is not None else [])
    run(module, name, f"{name} E{E} d{d} f{f} N{N}{f' T{T} gathered' if gather else ''} "
        f"{mode} ({active} experts) seed={seed}",
        inputs, {"y": ((N, f), w.dtype)}, {"y": ref}, {"y": OUT_TOL}, tail)


def grouped_kernel(module, name, small, seed):
    fn = FUNCTIONS[name]
    shapes = [(fn.E, fn.d, fn.f)] if fn.E else [(5, fn.d, fn.f), (1, fn.d, fn.f)]
    for i, (E, d, f) in enumerate(shapes):
        g = torch.Generator(device=DEVICE).manual_seed(seed + 100 * i)
        # Normal / sqrt(d): outputs of unit scale.
        w = torch.randn(E, d, f, device=DEVICE, dtype=fn.dtype, generator=g).mul_(d ** -0.5)
        up = (torch.randn(E, d, f, device=DEVICE, dtype=fn.dtype, generator=g).mul_(d ** -0.5)
              if fn.swiglu else None)
        many = 5 if E > 64 else max(2, E // 2 + 1)
        if small:
            cases = [(0, "ragged", many), (130, "ragged", many), (65, "tail", many)]
        elif E > 64:  # dsv3: a few experts, a modest reference
            cases = [(0, "ragged", many), (1, "ragged", many), (600, "ragged", many),
                     (600, "one", 1), (600, "tail", many)]
        else:
            cases = [(0, "ragged", many), (1, "ragged", many), (300, "one", 1),
                     (1000, "ragged", many), (777, "tail", many), (4099, "ragged", many)]
        for j, (N, mode, active) in enumerate(cases):
            grouped_case(module, name, w, N, mode, active, seed + 100 * i + j + 1, up,
                         fn.gather)
        if fn.gather:
            # No token rows at all: every source names none, every row is 0.
            grouped_case(module, name, w, 130, "ragged", many, seed + 100 * i + 99, up,
                         True, tokens=0)
        del w, up


# --- combine -----------------------------------------------------------------

def combine_case(module, name, T, k, f, seed):
    fn = FUNCTIONS[name]
    g = torch.Generator(device=DEVICE).manual_seed(seed)
    y = torch.randn(T * k, f, device=DEVICE, generator=g).to(fn.dtype)
    weights = torch.rand(T, k, device=DEVICE, generator=g).to(fn.weights)
    row_map = torch.randperm(T * k, device=DEVICE, generator=g).view(T, k)
    row_map[torch.rand(T, k, device=DEVICE, generator=g) < 0.1] = -1
    row_map[::5] = -1
    row_map = row_map.to(torch.int32)
    keep = row_map >= 0
    rows = y.double()[row_map.long().clamp(min=0)]
    ref = (torch.where(keep, weights.double(), 0.0)[..., None] * rows).sum(1)

    def dropped(out):
        return [(bool((out["out"][::5] == 0).all()), "dropped tokens 0")]

    run(module, name, f"{name} T{T} k{k} f{f} seed={seed}", [y, weights, row_map],
        {"out": ((T, f), fn.dtype)}, {"out": ref}, {"out": OUT_TOL}, dropped)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("manifest")
    parser.add_argument("--kernel")
    parser.add_argument("--small", action="store_true")
    args = parser.parse_args()
    module = load(args.manifest)
    for name in sorted(set(FUNCTIONS) | set(module.kernels)):
        if name not in module.kernels or name not in FUNCTIONS:
            expect(False, f"{name}: in {'FUNCTIONS' if name in FUNCTIONS else 'the manifest'} only")
            continue
        if args.kernel and name != args.kernel:
            continue
        seed = int.from_bytes(os.urandom(4), "little")
        fn = FUNCTIONS[name]
        if isinstance(fn, Route):
            tokens = (0, 1, 65) if args.small else (0, 1, 7, 1000, 16384)
            for i, T in enumerate(tokens):
                route_case(module, name, T, False, seed + i)
                route_case(module, name, T, True, seed + 10 + i)
        elif isinstance(fn, ExpertChoice):
            # Fewer tokens than the capacity (padded slots), and more.
            tokens = (0, 1, 65) if args.small else (0, 1, 7, 100, 1000, 4099)
            for i, T in enumerate(tokens):
                expert_choice_case(module, name, T, False, seed + i)
                if fn.score == "sigmoid":
                    expert_choice_case(module, name, T, True, seed + 10 + i)
        elif isinstance(fn, Dispatch):
            tokens = (0, 1, 65) if args.small else (0, 1, 3, 1000, 4099)
            for i, T in enumerate(tokens):
                dispatch_case(module, name, T, "random", seed + i)
            for i, mode in enumerate(("one", "sparse", "invalid")):
                dispatch_case(module, name, 65 if args.small else 1000, mode, seed + 10 + i)
        elif isinstance(fn, Grouped):
            grouped_kernel(module, name, args.small, seed)
        else:
            widths = [(fn.k, fn.f)] if fn.k else [(2, 64), (6, 200)]
            tokens = (0, 1, 65) if args.small else (0, 1, 7, 1000, 4099)
            for i, (k, f) in enumerate(widths):
                for j, T in enumerate(tokens):
                    combine_case(module, name, T, k, f, seed + 10 * i + j)
    print(f"{len(failures)} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
