#!/usr/bin/env python3
"""Device check of a program: a function of several Celeris ops launched as
one call (examples/gpu/moe_program.mlir: routing, dispatch, two grouped
GEMMs and combine with buffers between them) against a float64 torch
reference of the whole layer that shares no code with the kernels.

Per token count (0, 1, 77, 4096, and 4096 with one expert in every token's
top 8): fresh seeds, an output poisoned with NaN, rel <= 1e-2 (bf16) over
the rows whose routing is not a near tie, no NaN, two calls bit-equal;
then the call through `Module.function` (outputs allocated by torch) is
bit-equal to the launch, and a call at T 16384 is timed.

    python3 scripts/device/check_program.py .device/moe_program/manifest.txt [--small]
"""

import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from celeris.runtime import CelerisError, load  # noqa: E402
from check_moe import Route, route_reference  # noqa: E402
from check_recurrence import expect, failures, rel  # noqa: E402

DEVICE = "cuda"
E, K, D, FF = 64, 8, 2048, 1408
ROUTE = Route(E, K, "softmax", True, None, None, 1.0, False, torch.float32)
TOL = 1e-2


def reference(x, logits, wg, wd):
    """(out, ambiguous rows) in float64: each token's experts' outputs,
    weighted."""
    weights, experts, ambiguous = route_reference(logits, None, ROUTE)
    out = torch.zeros(x.shape, dtype=torch.float64, device=DEVICE)
    xd = x.double()
    for e in range(E):
        tokens, slots = (experts == e).nonzero(as_tuple=True)
        if tokens.numel() == 0:
            continue
        h = xd[tokens] @ wg[e].double()
        y = h @ wd[e].double()
        out.index_add_(0, tokens, weights[tokens, slots].unsqueeze(1) * y)
    return out, ambiguous


def case(module, T, skewed, seed):
    g = torch.Generator(device=DEVICE).manual_seed(seed)
    x = torch.randn(T, D, generator=g, device=DEVICE).bfloat16()
    logits = torch.randn(T, E, generator=g, device=DEVICE)
    if skewed:
        logits[:, 3] += 20.0  # every token's top 8 holds expert 3
    wg = (torch.randn(E, D, FF, generator=g, device=DEVICE) * D ** -0.5).bfloat16()
    wd = (torch.randn(E, FF, D, generator=g, device=DEVICE) * FF ** -0.5).bfloat16()
    label = f"moe_program T{T}{' skewed' if skewed else ''} seed {seed}"
    outs = []
    try:
        for _ in range(2):
            out = torch.full((T, D), float("nan"), dtype=torch.bfloat16, device=DEVICE)
            module.launch("moe_program", x, logits, wg, wd, out)
            torch.cuda.synchronize()
            outs.append(out)
        called = module.function("moe_program")(x, logits, wg, wd)
        torch.cuda.synchronize()
    except CelerisError as error:
        expect(False, f"{label}: rejected: {error}")
        return
    out = outs[0]
    ref, ambiguous = reference(x, logits, wg, wd)
    keep = ~ambiguous
    err = rel(out[keep], ref[keep]) if keep.any() and ref[keep].norm() > 0 else 0.0
    nan = torch.isnan(out).sum().item()
    same = torch.equal(outs[0].view(torch.int16), outs[1].view(torch.int16))
    same_call = torch.equal(called.view(torch.int16), out.view(torch.int16))
    expect(err <= TOL and nan == 0 and same and same_call,
           f"{label}: rel {err:.2e} (<= {TOL:.0e}) over {keep.sum().item()} rows "
           f"({ambiguous.sum().item()} near ties left out), NaN {nan}, "
           f"{'deterministic' if same else 'NOT deterministic'}, "
           f"function call {'bit-equal' if same_call else 'DIFFERS'}")


def time_program(module, T=16384):
    x = torch.randn(T, D, device=DEVICE).bfloat16()
    logits = torch.randn(T, E, device=DEVICE)
    wg = (torch.randn(E, D, FF, device=DEVICE) * D ** -0.5).bfloat16()
    wd = (torch.randn(E, FF, D, device=DEVICE) * FF ** -0.5).bfloat16()
    out = torch.empty(T, D, dtype=torch.bfloat16, device=DEVICE)
    call = lambda: module.launch("moe_program", x, logits, wg, wd, out)  # noqa: E731
    for _ in range(3):
        call()
    torch.cuda.synchronize()
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(20):
        call()
    stop.record()
    torch.cuda.synchronize()
    ms = start.elapsed_time(stop) / 20
    flops = 4 * T * K * D * FF
    print(f"moe_program T{T} E{E} K{K} d{D} f{FF}: {ms:.3f} ms per call "
          f"({flops / ms / 1e9:.0f} TFLOP/s of expert GEMMs)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("manifest")
    parser.add_argument("--small", action="store_true",
                        help="small token counts and no timing (for compute-sanitizer)")
    args = parser.parse_args()
    module = load(args.manifest)
    seed = int.from_bytes(os.urandom(4), "little")
    cases = [(0, False), (1, False), (77, False)]
    if not args.small:
        cases += [(4096, False), (4096, True)]
    for i, (T, skewed) in enumerate(cases):
        case(module, T, skewed, seed + i)
    if not args.small:
        time_program(module)
    print(f"{len(failures)} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
