#!/usr/bin/env python3
"""Device checks of programs: functions of several Celeris ops launched as
one call, against float64 torch references of the whole layer that share
no code with the kernels.

- `moe_program` (examples/gpu/moe_program.mlir: routing, dispatch, the
  gate/up GEMM with SwiGLU fused, the down GEMM and combine), token counts 0, 1, 77, 4096, and 4096 with
  one expert in every token's top 8;
- `moe_layer` and `moe_primitives` (examples/moe.mlir as it is, 256
  tokens): the `celeris.moe` composite (router matmul, DeepSeek-V3 routing,
  SwiGLU experts, shared experts) and its primitives;
- `hybrid_block` (examples/hybrid_block.mlir as it is): sliding-window GQA
  attention at head dim 32, key normalisation, Gated DeltaNet and a MoE
  feed-forward, against celeris_ref's numpy float64 ops rounded to bf16
  where the IR's tensors are bf16.

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
import celeris_ref  # noqa: E402
import numpy as np  # noqa: E402
from check_recurrence import expect, failures, rel  # noqa: E402

DEVICE = "cuda"
E, K, D, FF = 64, 8, 2048, 1408
TOL = 1e-2
HYBRID_MARGIN = 3e-2
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


def bf16(a):
    """`a` (numpy) rounded to bf16, where the model IR's types round."""
    return torch.from_numpy(np.ascontiguousarray(a)).bfloat16().double().numpy()


def hybrid_reference(inputs):
    """examples/hybrid_block.mlir in float64 through celeris_ref (numpy),
    rounding to bf16 where the IR's tensors are bf16; with the rows whose
    top-2 routing is a near tie."""
    q, k, v, dq, dk, gate, beta_logit, router, wg, wu, wd = [
        t.double().cpu().numpy() for t in inputs]
    attn = bf16(celeris_ref.attention(
        q, k, v, mask="intersect(causal, window<left = 63, right = 0>)"))
    g = -np.log1p(np.exp(-gate))
    beta = bf16(1.0 / (1.0 + np.exp(-beta_logit)))
    keys = bf16(dk / np.sqrt((dk * dk).sum(-1, keepdims=True) + 1e-6))
    rec, _ = celeris_ref.recurrence(dq, keys, attn, decay_kind="scalar", decay=g,
                                    update_kind="delta", beta=beta)
    x = bf16(bf16(rec)[0].transpose(1, 0, 2).reshape(256, 256))
    out = celeris_ref.moe(x, router, wg, wu, wd, 2, renormalize=True)
    # The tokens reach the router through attention, a recurrence and four
    # bf16 roundings: the kernels' x differs from this one by ~1e-2
    # relative, so a top-2 choice closer than that is a near tie.
    logits = np.sort(x @ router, axis=-1)[:, ::-1]
    gap = logits[:, 1] - logits[:, 2]
    scale = np.sqrt((logits * logits).mean(-1))
    ambiguous = torch.from_numpy(gap <= HYBRID_MARGIN * scale).to(DEVICE)
    return torch.from_numpy(out).to(DEVICE), ambiguous


def program_reference(name, inputs):
    """(out, ambiguous rows) of program `name` in float64."""
    if name == "hybrid_block":
        return hybrid_reference(inputs)
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
    if name == "hybrid_block":
        return [randn(1, 8, 256, 32), randn(1, 2, 256, 32), randn(1, 2, 256, 32),
                randn(1, 8, 256, 32), randn(1, 8, 256, 32), randn(1, 8, 256, dtype=f32),
                randn(1, 8, 256, dtype=f32), randn(256, 8, dtype=f32, scale=256 ** -0.5),
                randn(8, 256, 64, scale=256 ** -0.5), randn(8, 256, 64, scale=256 ** -0.5),
                randn(8, 64, 256, scale=64 ** -0.5)]
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
    T, width = (256, 256) if name == "hybrid_block" else inputs[0].shape
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
        for name in ("moe_program", "moe_layer", "moe_primitives", "hybrid_block"):
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
