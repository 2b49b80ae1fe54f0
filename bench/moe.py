"""Mixture-of-experts primitives: Celeris (examples/gpu/moe.mlir compiled by
scripts/device/prepare.sh into .device/moe) against PyTorch, in one
process, bf16 activations and weights, f32 router logits.

Rows:
  grouped GEMM (grouped_gemm_e64 at T16384 K8 E64 d2048 f1408, N = 131072
  rows; grouped_gemm_dsv3 at DeepSeek-V3's E256 K8 d7168 f2048, T4096, N =
  32768), balanced (N/E rows per expert) and imbalanced (softmax(normal)
  shares), against torch._grouped_mm(x, w, offs=offsets); TFLOP/s of
  2 N d f;
  routing and permutation at T16384 E64 K8: route_softmax_k8 then
  dispatch_e64_d8 (rows of 8 elements: the permutation, not the copy) in one
  graph, against softmax, top-k, renormalisation, a stable argsort of the
  flattened experts, the counts (bincount as scatter_add, capturable) and
  their cumsum, and the inverse map; route_softmax_k8 then dispatch_map_e64
  (the token of each row instead of the rows) against the same torch ops;
  dispatch_e64 (the 2048-wide rows
  copied) against index_select of the rows by a precomputed order, and
  against the argsort plus that gather; route_deepseek_v3 at T4096 against
  DeepSeek-V3's grouped sigmoid routing in torch;
  route_expert_choice_c2048 (every expert's 2048 best of 16384 tokens)
  against softmax and torch.topk over the tokens;
  grouped_gemm_e64_swiglu (the gate and up GEMMs with SwiGLU in one
  kernel) against two torch._grouped_mm and silu * up, and against two
  Celeris grouped GEMMs and torch's silu * up; its gather form
  (grouped_gemm_e64_swiglu_gather, the rows read from T token rows through
  source_rows) against the same kernel on the permuted rows;
  combine_k8 at T16384 K8 d2048 against (weights[..., None] * y[row_map])
  .sum(1) rounded to bf16;
  a MoE layer from router logits at T16384 E64 K8 d2048 f1408 (SwiGLU
  experts): eager PyTorch (routing and permutation as above, torch
  _grouped_mm for gate, up and down, the weighted combine) against the
  Celeris kernels chained (route, dispatch, the swiglu gate/up GEMM,
  down, combine), the same chain with the dispatch fused (dispatch_map,
  the gathered gate/up GEMM), and the layer as one call of the program of
  examples/gpu/moe_program.mlir (which the GPU pipeline fuses the same
  way); TFLOP/s of 6 N d f.
Rates: TFLOP/s, or TB/s of the bytes each op must read and write once.
Times are medians of CUDA-graph replays (bench/timing.py; events where a
call cannot be captured, marked); a missing kernel skips its rows.
Usage: python3 bench/moe.py [--manifest M] [--program P] [--reps N] [--quick]
"""

import argparse
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from celeris.runtime import load  # noqa: E402
import timing  # noqa: E402

REPS, WARMUP, CALLS = 20, 3, 5
notes = []
T, E, K, D, FF = 16384, 64, 8, 2048, 1408
N = T * K
stream = torch.cuda.current_stream


def timed(fn):
    """Median ms of a call; events around each call when `fn` cannot be
    captured in a CUDA graph."""
    return timing.graph_or_events_ms(fn, CALLS, REPS, WARMUP, report=notes.append)


def rate(work, ms, unit):
    return f"{work / ms / 1e9:.2f} {unit}" if unit == "TB/s" else f"{work / ms / 1e9:.0f} {unit}"


def compare(op, shape, celeris, peers, work, unit, check=""):
    """One row per (label, fn) of `peers` against the Celeris call."""
    celeris()
    ms, how = timed(celeris)
    for label, fn in peers or [("", None)]:
        cells = ["", "", "", ""]
        if fn is not None:
            try:
                fn()
                peer_ms, peer_how = timed(fn)
                cells = [label, f"{peer_ms:.3f}{peer_how}", rate(work, peer_ms, unit),
                         f"{peer_ms / ms:.2f}x"]
            except Exception as error:  # noqa: BLE001 (a peer that cannot run is reported)
                torch.cuda.synchronize()
                cells = [label, f"not run ({str(error).splitlines()[0][:80]})", "", ""]
        print(f"| {op} | {shape} | {ms:.3f}{how} | {rate(work, ms, unit)} | "
              + " | ".join(cells) + f" | {check} |")
        sys.stdout.flush()


def call(module, name, *args):
    return lambda: module.launch(name, *args, stream=stream())


def rel(a, b):
    a, b = a.double(), b.double()
    return ((a - b).norm() / b.norm()).item()


def randn(*shape, scale=1.0):
    return torch.randn(*shape, device="cuda", dtype=torch.bfloat16).mul_(scale)


def offsets_of(counts):
    return counts.cumsum(0).to(torch.int32)


def counts_for(n, experts, imbalanced):
    if not imbalanced:
        return torch.full((experts,), n // experts, device="cuda", dtype=torch.long)
    counts = (torch.softmax(torch.randn(experts, device="cuda"), 0) * n).long()
    counts[counts.argmax()] += n - counts.sum()
    return counts


def grouped_gemm(module, quick):
    for name, e, d, f, n in (("grouped_gemm_e64", E, D, FF, N),
                             ("grouped_gemm_e64_down", E, FF, D, N),
                             ("grouped_gemm_dsv3", 256, 7168, 2048, 4096 * K)):
        if name not in module.kernels:
            notes.append(f"{name}: not in the manifest, skipped")
            continue
        x, w = randn(n, d), randn(e, d, f, scale=d ** -0.5)
        y = torch.empty(n, f, device="cuda", dtype=torch.bfloat16)
        for imbalanced in (False,) if quick else (False, True):
            offs = offsets_of(counts_for(n, e, imbalanced))
            peer = lambda: torch._grouped_mm(x, w, offs=offs)  # noqa: E731
            celeris = call(module, name, x, w, offs, y)
            celeris()
            check = f"rel {rel(y, peer()):.1e}"
            compare(f"grouped GEMM {name} ({'imbalanced' if imbalanced else 'balanced'})",
                    f"E{e} d{d} f{f} N{n}", celeris, [("torch._grouped_mm", peer)],
                    2 * n * d * f, "TFLOP/s", check)
        x = w = y = None  # freed before the next shape
        torch.cuda.empty_cache()


def swiglu(module, quick):
    """The gate and up GEMMs with SwiGLU as one kernel (the swiglu form)
    against two torch._grouped_mm and silu * up; and the two GEMMs apart."""
    name = "grouped_gemm_e64_swiglu"
    if name not in module.kernels:
        notes.append(f"{name}: not in the manifest, skipped")
        return
    x = randn(N, D)
    wg, wu = randn(E, D, FF, scale=D ** -0.5), randn(E, D, FF, scale=D ** -0.5)
    h = torch.empty(N, FF, device="cuda", dtype=torch.bfloat16)
    gate, up = torch.empty_like(h), torch.empty_like(h)
    offs = offsets_of(counts_for(N, E, False))
    fused = call(module, name, x, wg, offs, wu, h)

    def apart():
        module.launch("grouped_gemm_e64", x, wg, offs, gate, stream=stream())
        module.launch("grouped_gemm_e64", x, wu, offs, up, stream=stream())
        return F.silu(gate) * up

    def peer():
        return F.silu(torch._grouped_mm(x, wg, offs=offs)) * torch._grouped_mm(x, wu, offs=offs)

    fused()
    check = f"rel {rel(h, peer()):.1e}"
    peers = [("torch: 2 _grouped_mm + silu*up", peer)]
    if "grouped_gemm_e64" in module.kernels:
        peers.append(("Celeris: 2 grouped GEMMs + torch silu*up", apart))
    compare("gate/up GEMM with SwiGLU fused (balanced)", f"E{E} d{D} f{FF} N{N}", fused,
            peers, 4 * N * D * FF, "TFLOP/s", check)

    # The gather form: the same rows read from T token rows through
    # source_rows (each token K times, in expert order), against the
    # kernel that reads them permuted.
    gathered = "grouped_gemm_e64_swiglu_gather"
    if gathered not in module.kernels:
        notes.append(f"{gathered}: not in the manifest, skipped")
        return
    tokens = randn(T, D)
    source_rows = torch.randperm(N, device="cuda").div(K, rounding_mode="floor").to(torch.int32)
    permuted = tokens.index_select(0, source_rows.long())
    h_gathered = torch.empty_like(h)
    gather = call(module, gathered, tokens, wg, offs, source_rows, wu, h_gathered)
    on_permuted = call(module, name, permuted, wg, offs, wu, h)
    gather()
    on_permuted()
    check = f"rel {rel(h_gathered, h):.1e} vs permuted rows"
    compare("gate/up GEMM with SwiGLU, rows gathered (dispatch fused)",
            f"E{E} d{D} f{FF} N{N} T{T}", gather,
            [("Celeris: the same on permuted rows", on_permuted)],
            4 * N * D * FF, "TFLOP/s", check)


def torch_route(logits, k):
    weights, experts = logits.softmax(-1).topk(k, -1)
    return weights / weights.sum(-1, keepdim=True), experts


def torch_permutation(experts, num_experts):
    """Stable order by expert, end offsets, the inverse map."""
    flat = experts.flatten()
    order = flat.argsort(stable=True)
    counts = torch.zeros(num_experts, device="cuda", dtype=torch.long).scatter_add_(
        0, flat, torch.ones_like(flat))
    row_map = torch.empty_like(order).scatter_(0, order, torch.arange(
        order.numel(), device="cuda"))
    return order, offsets_of(counts), row_map


def routing(module, quick):
    logits = torch.randn(T, E, device="cuda")
    weights = torch.empty(T, K, device="cuda")
    experts = torch.empty(T, K, device="cuda", dtype=torch.int32)
    offs = torch.empty(E, device="cuda", dtype=torch.int32)
    row_map = torch.empty_like(experts)
    if {"route_softmax_k8", "dispatch_e64_d8"} <= set(module.kernels):
        x8 = randn(T, 8)
        permuted8 = torch.empty(N, 8, device="cuda", dtype=torch.bfloat16)
        route = call(module, "route_softmax_k8", logits, weights, experts)
        dispatch = call(module, "dispatch_e64_d8", x8, experts, permuted8, offs, row_map)

        def celeris():
            route()
            dispatch()

        def peer():
            w, e = torch_route(logits, K)
            return w, e, torch_permutation(e, E)

        celeris()
        w, e, (_, peer_offs, _) = peer()
        check = (f"experts equal {(experts == e).float().mean().item():.4%}, offsets equal "
                 f"{torch.equal(offs, peer_offs)}, weights rel {rel(weights, w):.1e}")
        moved = T * E * 4 + T * K * (4 + 4 + 4) + E * 4 + 2 * N * 8 * 2
        compare("route softmax k8 + permutation (dispatch d8)", f"T{T} E{E} K{K}", celeris,
                [("softmax, topk, argsort, counts", peer)], moved, "TB/s", check)
    else:
        notes.append("route_softmax_k8 or dispatch_e64_d8: not in the manifest, skipped")
    if {"route_softmax_k8", "dispatch_map_e64"} <= set(module.kernels):
        # The permutation as the gathered GEMM takes it: the token of each
        # row, no rows moved.
        source_rows = torch.empty(N, device="cuda", dtype=torch.int32)
        route = call(module, "route_softmax_k8", logits, weights, experts)
        dispatch_map = call(module, "dispatch_map_e64", experts, source_rows, offs, row_map)

        def celeris_map():
            route()
            dispatch_map()

        def peer_map():
            w, e = torch_route(logits, K)
            order, peer_offs, inverse = torch_permutation(e, E)
            return w, order // K, peer_offs, inverse

        celeris_map()
        _, peer_rows, peer_offs, _ = peer_map()
        check = (f"source_rows equal {torch.equal(source_rows.long(), peer_rows)}, offsets "
                 f"equal {torch.equal(offs, peer_offs)}")
        moved = T * E * 4 + T * K * (4 + 4 + 4) + E * 4 + N * 4
        compare("route softmax k8 + dispatch map (source rows)", f"T{T} E{E} K{K}",
                celeris_map, [("softmax, topk, argsort, counts", peer_map)], moved, "TB/s",
                check)
    if "dispatch_e64" in module.kernels:
        experts = torch_route(logits, K)[1].to(torch.int32)
        x = randn(T, D)
        permuted = torch.empty(N, D, device="cuda", dtype=torch.bfloat16)
        celeris = call(module, "dispatch_e64", x, experts, permuted, offs, row_map)
        order = experts.flatten().long().argsort(stable=True)
        tokens = order // K
        gather = lambda: x.index_select(0, tokens)  # noqa: E731
        celeris()
        check = f"permuted == gather {torch.equal(permuted, gather())}"
        moved = (T + N) * D * 2 + T * K * 8 + E * 4
        compare("dispatch (rows copied)", f"T{T} E{E} K{K} d{D}", celeris,
                [("index_select (order given)", gather),
                 ("argsort + index_select", lambda: x.index_select(
                     0, experts.flatten().long().argsort(stable=True) // K))],
                moved, "TB/s", check)
    else:
        notes.append("dispatch_e64: not in the manifest, skipped")
    if "route_deepseek_v3" in module.kernels:
        t, e, groups = 4096, 256, 8
        logits = torch.randn(t, e, device="cuda")
        bias = 0.01 * torch.randn(e, device="cuda")
        weights = torch.empty(t, K, device="cuda")
        experts = torch.empty(t, K, device="cuda", dtype=torch.int32)

        def peer():
            scores = logits.sigmoid()
            sel = scores + bias
            group = sel.view(t, groups, e // groups).topk(2, -1).values.sum(-1)
            keep = torch.zeros_like(group, dtype=torch.bool).scatter_(
                1, group.topk(4, -1).indices, True)
            sel = sel.masked_fill(~keep.repeat_interleave(e // groups, 1), float("-inf"))
            chosen = sel.topk(K, -1).indices
            w = scores.gather(1, chosen)
            return 2.5 * w / w.sum(-1, keepdim=True), chosen

        celeris = call(module, "route_deepseek_v3", logits, bias, weights, experts)
        celeris()
        w, chosen = peer()
        check = (f"experts equal {(experts == chosen).float().mean().item():.4%}, "
                 f"weights rel {rel(weights, w):.1e}")
        compare("route DeepSeek-V3 (sigmoid, 8 groups, top 4)", f"T{t} E{e} K{K}", celeris,
                [("torch grouped routing", peer)], t * e * 4 + t * K * 8 + e * 4, "TB/s",
                check)
    else:
        notes.append("route_deepseek_v3: not in the manifest, skipped")


def expert_choice(module, quick):
    name = "route_expert_choice_c2048"
    if name not in module.kernels:
        notes.append(f"{name}: not in the manifest, skipped")
        return
    C = T * K // E
    logits = torch.randn(T, E, device="cuda")
    weights = torch.empty(E, C, device="cuda")
    indices = torch.empty(E, C, device="cuda", dtype=torch.int32)

    def celeris():
        module.launch(name, logits, weights, indices, stream=stream())

    def peer():
        return logits.softmax(-1).t().topk(C, dim=-1)

    celeris()
    w, idx = peer()
    compare("route, expert choice (softmax)", f"T{T} E{E} C{C}", celeris,
            [("softmax, topk over tokens", peer)], T * E * 4, "TB/s",
            f"indices equal {(idx.int() == indices).float().mean().item() * 100:.2f}%, "
            f"weights rel {rel(weights, w):.1e}")


def combine(module, quick):
    if "combine_k8" not in module.kernels:
        notes.append("combine_k8: not in the manifest, skipped")
        return
    y = randn(N, D)
    weights = torch.rand(T, K, device="cuda")
    row_map = torch.randperm(N, device="cuda").view(T, K).to(torch.int32)
    index = row_map.long()
    out = torch.empty(T, D, device="cuda", dtype=torch.bfloat16)
    celeris = call(module, "combine_k8", y, weights, row_map, out)
    peer = lambda: (weights.unsqueeze(-1) * y[index]).sum(1).to(y.dtype)  # noqa: E731
    celeris()
    compare("combine", f"T{T} K{K} d{D}", celeris, [("torch gather, weighted sum", peer)],
            (N + T) * D * 2 + T * K * 8, "TB/s", f"rel {rel(out, peer()):.1e}")


def layer(module, quick, program=None):
    needed = {"route_softmax_k8", "dispatch_e64", "grouped_gemm_e64", "combine_k8"}
    if not needed <= set(module.kernels):
        notes.append(f"MoE layer: {', '.join(sorted(needed - set(module.kernels)))} "
                     "not in the manifest, skipped")
        return
    x, logits = randn(T, D), torch.randn(T, E, device="cuda")
    w_gate, w_up = randn(E, D, FF, scale=D ** -0.5), randn(E, D, FF, scale=D ** -0.5)
    w_down = randn(E, FF, D, scale=FF ** -0.5)
    weights = torch.empty(T, K, device="cuda")
    experts = torch.empty(T, K, device="cuda", dtype=torch.int32)
    offs = torch.empty(E, device="cuda", dtype=torch.int32)
    row_map = torch.empty_like(experts)
    xs = torch.empty(N, D, device="cuda", dtype=torch.bfloat16)
    gate, up = (torch.empty(N, FF, device="cuda", dtype=torch.bfloat16) for _ in range(2))
    out = torch.empty_like(x)
    down = torch.empty(N, D, device="cuda", dtype=torch.bfloat16)
    down_by = ("Celeris" if "grouped_gemm_e64_down" in module.kernels
               else "torch._grouped_mm")
    launch = lambda name, *args: module.launch(name, *args, stream=stream())  # noqa: E731

    fused = "grouped_gemm_e64_swiglu" in module.kernels
    h = torch.empty(N, FF, device="cuda", dtype=torch.bfloat16)
    source_rows = torch.empty(N, device="cuda", dtype=torch.int32)
    gathers = {"dispatch_map_e64", "grouped_gemm_e64_swiglu_gather"} <= set(module.kernels)
    gathering = False

    def celeris():
        launch("route_softmax_k8", logits, weights, experts)
        if gathering:
            launch("dispatch_map_e64", experts, source_rows, offs, row_map)
            launch("grouped_gemm_e64_swiglu_gather", x, w_gate, offs, source_rows, w_up, h)
        elif fused:
            launch("dispatch_e64", x, experts, xs, offs, row_map)
            launch("grouped_gemm_e64_swiglu", xs, w_gate, offs, w_up, h)
        else:
            launch("dispatch_e64", x, experts, xs, offs, row_map)
            launch("grouped_gemm_e64", xs, w_gate, offs, gate)
            launch("grouped_gemm_e64", xs, w_up, offs, up)
            h.copy_(F.silu(gate) * up)
        if "grouped_gemm_e64_down" in module.kernels:
            launch("grouped_gemm_e64_down", h, w_down, offs, down)
        else:
            down.copy_(torch._grouped_mm(h, w_down, offs=offs))
        launch("combine_k8", down, weights, row_map, out)

    def peer():
        w, e = torch_route(logits, K)
        order, peer_offs, inverse = torch_permutation(e, E)
        rows = x.index_select(0, order // K)
        h = (F.silu(torch._grouped_mm(rows, w_gate, offs=peer_offs))
             * torch._grouped_mm(rows, w_up, offs=peer_offs))
        down = torch._grouped_mm(h, w_down, offs=peer_offs)
        return (w.unsqueeze(-1) * down.index_select(0, inverse).view(T, K, D)).sum(1).to(x.dtype)

    celeris()
    peers = [("eager torch, _grouped_mm", peer)]
    how = "SwiGLU fused in the gate/up GEMM" if fused else "silu*up by torch"
    compare(f"MoE layer from logits ({how}, the down GEMM by {down_by})",
            f"T{T} E{E} K{K} d{D} f{FF}", celeris, peers,
            6 * N * D * FF, "TFLOP/s", f"rel {rel(out, peer()):.1e}")
    if gathers:
        # The same chain with the dispatch fused into the gate/up GEMM.
        gathering = True
        celeris()
        compare("MoE layer from logits, rows gathered by the gate/up GEMM "
                "(dispatch_map, no permuted copy)",
                f"T{T} E{E} K{K} d{D} f{FF}", celeris, peers,
                6 * N * D * FF, "TFLOP/s", f"rel {rel(out, peer()):.1e}")
    if program is not None and "moe_program" in program.kernels:
        one = lambda: program.launch("moe_program", x, logits, w_gate, w_up, w_down,  # noqa: E731
                                     out, stream=stream())
        one()
        compare("MoE layer as one program call (examples/gpu/moe_program.mlir)",
                f"T{T} E{E} K{K} d{D} f{FF}", one, peers,
                6 * N * D * FF, "TFLOP/s", f"rel {rel(out, peer()):.1e}")


def main():
    global REPS, WARMUP, CALLS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifest", default=".device/moe/manifest.txt")
    parser.add_argument("--program", default=".device/moe_program/manifest.txt",
                        help="artifact of examples/gpu/moe_program.mlir (the layer as one call)")
    parser.add_argument("--reps", type=int, default=REPS)
    parser.add_argument("--only", choices=["grouped_gemm", "swiglu", "routing", "expert_choice",
                                           "combine", "layer"],
                        help="run one section")
    parser.add_argument("--quick", action="store_true",
                        help="fewer repetitions, balanced grouped GEMMs only")
    args = parser.parse_args()
    REPS = args.reps
    if args.quick:
        REPS, WARMUP, CALLS = min(REPS, 5), 1, 2
    module = load(args.manifest)
    torch.manual_seed(0)
    print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}")
    print("| op | shape | Celeris ms | Celeris rate | peer | peer ms | peer rate "
          "| Celeris speedup | check |")
    print("|---|---|---|---|---|---|---|---|---|")
    status = 0
    for section in (grouped_gemm, swiglu, routing, expert_choice, combine, layer):
        if args.only and section.__name__ != args.only:
            continue
        try:
            if section is layer:
                program = load(args.program) if os.path.exists(args.program) else None
                section(module, args.quick, program)
            else:
                section(module, args.quick)
        except Exception as error:  # noqa: BLE001 (reported; the other sections run)
            notes.append(f"{section.__name__}: failed: {error}")
            status = 1
        torch.cuda.synchronize()
        torch.cuda.empty_cache()
    for note in notes:
        print(f"({note})")
    return status


if __name__ == "__main__":
    sys.exit(main())
