#!/usr/bin/env python3
"""Device checks of programs: functions of several Celeris ops launched as
one call, against float64 torch references of the whole layer that share
no code with the kernels.

- `moe_program` (examples/gpu/moe_program.mlir: routing, dispatch, the
  gate/up GEMM with SwiGLU fused, the down GEMM and combine), token counts 0, 1, 77, 4096, and 4096 with
  one expert in every token's top 8;
- `moe_layer` and `moe_primitives` (examples/moe.mlir as it is, 256
  tokens): the `celeris.moe` composite (router matmul, DeepSeek-V3 routing,
  SwiGLU experts, shared experts) and its primitives.

Each case: fresh seeds, an output poisoned with NaN, rel <= 1e-2 (bf16)
over the rows whose routing is not a near tie, no NaN, two calls
bit-equal, and the call through `Module.function` (outputs allocated by
torch) bit-equal to the launch. Then a `moe_program` call at T 16384 is
timed.

    python3 scripts/device/check_program.py MANIFEST... [--small]
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
TOL = 1e-2
f32 = torch.float32


def expert_sum(x, weights, experts, expert):
    """Σ over each token's slots of weight · expert(e, rows), in float64."""
    out = torch.zeros(x.shape[0], expert(0, x[:0]).shape[1], dtype=torch.float64,
                      device=DEVICE)
    for e in range(int(experts.max().item()) + 1 if experts.numel() else 0):
        tokens, slots = (experts == e).nonzero(as_tuple=True)
        if tokens.numel():
            out.index_add_(0, tokens, weights[tokens, slots].unsqueeze(1) * expert(e, x[tokens]))
    return out


def silu(v):
    return v * torch.sigmoid(v)


def program_reference(name, inputs):
    """(out, ambiguous rows) of program `name` in float64."""
    d = [t.double() for t in inputs]
    if name == "moe_program":
        x, logits, wg, wu, wd = d
        weights, experts, ambiguous = route_reference(
            inputs[1], None, Route(E, K, "softmax", True, None, None, 1.0, False, f32))
        return expert_sum(x, weights, experts,
                          lambda e, r: (silu(r @ wg[e]) * (r @ wu[e])) @ wd[e]), ambiguous
    if name == "moe_primitives":
        x, logits, bias, wg, wd = d
        weights, experts, ambiguous = route_reference(
            inputs[1], inputs[2], Route(16, 4, "sigmoid", True, 4, 2, 1.0, True, f32))
        return expert_sum(x, weights, experts, lambda e, r: r @ wg[e] @ wd[e]), ambiguous
    x, router, wg, wu, wd, bias, sg, su, sd = d
    weights, experts, ambiguous = route_reference(
        x @ router, inputs[5], Route(16, 4, "sigmoid", True, 4, 2, 2.5, True, f32))
    routed = expert_sum(x, weights, experts,
                        lambda e, r: (silu(r @ wg[e]) * (r @ wu[e])) @ wd[e])
    return routed + (silu(x @ sg) * (x @ su)) @ sd, ambiguous


def program_inputs(name, T, skewed, g):
    def randn(*shape, scale=1.0, dtype=torch.bfloat16):
        return (torch.randn(*shape, generator=g, device=DEVICE) * scale).to(dtype)
    if name == "moe_program":
        logits = randn(T, E, dtype=f32)
        if skewed:
            logits[:, 3] += 20.0  # every token's top 8 holds expert 3
        return [randn(T, D), logits, randn(E, D, FF, scale=D ** -0.5),
                randn(E, D, FF, scale=D ** -0.5), randn(E, FF, D, scale=FF ** -0.5)]
    if name == "moe_primitives":
        return [randn(256, 128), randn(256, 16, dtype=f32), randn(16, dtype=f32, scale=0.1),
                randn(16, 128, 64, scale=128 ** -0.5), randn(16, 64, 128, scale=64 ** -0.5)]
    return [randn(256, 128), randn(128, 16, dtype=f32, scale=128 ** -0.5),
            randn(16, 128, 64, scale=128 ** -0.5), randn(16, 128, 64, scale=128 ** -0.5),
            randn(16, 64, 128, scale=64 ** -0.5), randn(16, dtype=f32, scale=0.1),
            randn(128, 128, scale=128 ** -0.5), randn(128, 128, scale=128 ** -0.5),
            randn(128, 128, scale=128 ** -0.5)]


def case(module, name, T, skewed, seed):
    g = torch.Generator(device=DEVICE).manual_seed(seed)
    inputs = program_inputs(name, T, skewed, g)
    T, width = inputs[0].shape
    label = f"{name} T{T}{' skewed' if skewed else ''} seed {seed}"
    outs = []
    try:
        for _ in range(2):
            out = torch.full((T, width), float("nan"), dtype=torch.bfloat16, device=DEVICE)
            module.launch(name, *inputs, out)
            torch.cuda.synchronize()
            outs.append(out)
        called = module.function(name)(*inputs)
        torch.cuda.synchronize()
    except CelerisError as error:
        expect(False, f"{label}: rejected: {error}")
        return
    out = outs[0]
    ref, ambiguous = program_reference(name, inputs)
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
    wu = (torch.randn(E, D, FF, device=DEVICE) * D ** -0.5).bfloat16()
    wd = (torch.randn(E, FF, D, device=DEVICE) * FF ** -0.5).bfloat16()
    out = torch.empty(T, D, dtype=torch.bfloat16, device=DEVICE)
    call = lambda: module.launch("moe_program", x, logits, wg, wu, wd, out)  # noqa: E731
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
    flops = 6 * T * K * D * FF
    print(f"moe_program T{T} E{E} K{K} d{D} f{FF}: {ms:.3f} ms per call "
          f"({flops / ms / 1e9:.0f} TFLOP/s of expert GEMMs)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("manifests", nargs="+")
    parser.add_argument("--small", action="store_true",
                        help="small token counts and no timing (for compute-sanitizer)")
    args = parser.parse_args()
    seed = int.from_bytes(os.urandom(4), "little")
    for manifest in args.manifests:
        module = load(manifest)
        for name in ("moe_program", "moe_layer", "moe_primitives"):
            if name not in module.kernels:
                continue
            cases = [(256, False)]
            if name == "moe_program":
                cases = [(0, False), (1, False), (77, False)]
                if not args.small:
                    cases += [(4096, False), (4096, True)]
            for T, skewed in cases:
                seed += 1
                case(module, name, T, skewed, seed)
            if name == "moe_program" and not args.small:
                time_program(module)
    print(f"{len(failures)} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
