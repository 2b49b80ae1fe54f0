"""GPU check of the scan kernels of examples/gpu/scan.mlir and
examples/scan.mlir (compiled by scripts/device/prepare.sh into .device/scan
and .device/scan_examples) through celeris.runtime: celeris.scan
(scan_blocked) along every axis, forward and reverse, with and without an
initial state; Mamba-1's selective scan (selective_scan) with and without
its options, and the examples' functions with their elementwise math
(RG-LRU's a = sigmoid(x), Mamba-1's A = -exp(A_log)) applied by the kernels.
FUNCTIONS below restates each function; a kernel of the manifest that is not
in it is a failure.
Usage: check_scan.py MANIFEST [--kernel NAME] [--small]

Lengths 0, 1, 7, 64, 65, 200 and 1000 (blocks of 64 tokens: tails, one and
many blocks), channel counts that are not multiples of 32. --small (for
compute-sanitizer): lengths 0, 1 and 65.

Against a float64 reference written here (the recurrences of the ops'
documentation, token by token, in torch), on the rounded inputs, fresh seeds
and NaN-poisoned outputs: ||out - ref|| / ||ref|| <= 1e-5 for f32 outputs
and 1e-2 for bf16/f16 (the state is f32 throughout); the last state 1e-5;
no NaN, and two launches bit-identical.
"""

import argparse
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
from celeris.runtime import load  # noqa: E402
from check_recurrence import expect, failures, rel  # noqa: E402

def scan_reference(a, b, initial, axis, reverse):
    """h_t = a_t h_{t-1} + b_t along `axis` in float64."""
    a, b = a.double().movedim(axis, 0), b.double().movedim(axis, 0)
    h = (initial.double().clone() if initial is not None
         else torch.zeros_like(a[0]) if a.shape[0] else None)
    out = torch.empty_like(a)
    order = range(a.shape[0] - 1, -1, -1) if reverse else range(a.shape[0])
    for t in order:
        h = a[t] * h + b[t]
        out[t] = h
    return out.movedim(0, axis)


def selective_reference(u, delta, A, B, C, D=None, z=None, bias=None, softplus=False):
    """Mamba-1's selective scan (mamba_ssm's selective_scan_ref) in float64:
    y [batch, width, L], last state [batch, width, N]."""
    u, delta, B, C = (t.double() for t in (u, delta, B, C))
    A = A.double()
    if bias is not None:
        delta = delta + bias.double()[None, :, None]
    if softplus:
        delta = torch.nn.functional.softplus(delta)
    batch, width, length = u.shape
    h = torch.zeros(batch, width, A.shape[1], dtype=torch.float64, device=u.device)
    y = torch.empty(batch, width, length, dtype=torch.float64, device=u.device)
    for t in range(length):
        dt = delta[:, :, t, None]
        h = torch.exp(dt * A[None]) * h + dt * B[:, None, :, t] * u[:, :, t, None]
        y[:, :, t] = (h * C[:, None, :, t]).sum(-1)
    if D is not None:
        y = y + D.double()[None, :, None] * u
    if z is not None:
        zz = z.double()
        y = y * zz * torch.sigmoid(zz)
    return y, h


def scan_case(g, name, shape, axis, dtype, has_initial, reverse, transform=None):
    """Inputs of a celeris.scan kernel and its reference. `transform` maps
    the argument `a` to the op's operand (the function's elementwise math)."""
    arg = torch.randn(shape, device="cuda", generator=g)
    if transform is None:
        # Decays in (0.5, 1): long memories, no blow-up.
        arg = 0.5 + 0.5 * torch.rand(shape, device="cuda", generator=g)
    arg = arg.to(dtype)
    b = torch.randn(shape, device="cuda", generator=g).to(dtype)
    inputs = [arg, b]
    initial = None
    if has_initial:
        initial_shape = shape[:axis] + shape[axis + 1:]
        initial = torch.randn(initial_shape, device="cuda", generator=g).to(dtype)
        inputs.append(initial)
    a = transform(arg.double()) if transform else arg
    ref = scan_reference(a, b, initial, axis, reverse)
    return inputs, {"h": torch.full(shape, float("nan"), device="cuda", dtype=dtype)}, \
        {"h": ref}


def selective_case(g, name, batch, width, length, states, dtype, options, a_log=False):
    u = torch.randn(batch, width, length, device="cuda", generator=g).to(dtype)
    if options:  # softplus(delta + bias) > 0
        delta = 0.5 * torch.randn(batch, width, length, device="cuda", generator=g) - 1.0
    else:  # the step itself: positive
        delta = 0.1 + 0.4 * torch.rand(batch, width, length, device="cuda", generator=g)
    delta = delta.to(dtype)
    A_arg = torch.rand(width, states, device="cuda", generator=g) * 2.0
    # The example takes log(-A); the others take A < 0.
    A = -torch.exp(A_arg) if a_log else -A_arg - 0.1
    Bm = torch.randn(batch, states, length, device="cuda", generator=g).to(dtype)
    Cm = torch.randn(batch, states, length, device="cuda", generator=g).to(dtype)
    inputs = [u, delta, A_arg if a_log else A, Bm, Cm]
    D = z = bias = None
    if options:
        D = torch.randn(width, device="cuda", generator=g)
        z = torch.randn(batch, width, length, device="cuda", generator=g).to(dtype)
        bias = torch.randn(width, device="cuda", generator=g) * 0.5
        inputs += [D, z, bias]
    y, h = selective_reference(u, delta, A, Bm, Cm, D, z, bias, softplus=options)
    outputs = {"y": torch.full((batch, width, length), float("nan"), device="cuda",
                               dtype=dtype)}
    refs = {"y": y}
    if name != "mamba1_selective_scan":
        outputs["last_state"] = torch.full((batch, width, states), float("nan"),
                                           device="cuda")
        refs["last_state"] = h
    return inputs, outputs, refs


# name -> builder(generator, length) of (inputs, outputs, references);
# static examples ignore the length they cannot take.
FUNCTIONS = {
    # examples/gpu/scan.mlir
    "scan_last_axis": lambda g, L: scan_case(g, "scan_last_axis", [45, L], 1,
                                             torch.bfloat16, False, False),
    "scan_reverse": lambda g, L: scan_case(g, "scan_reverse", [3, L, 50], 1,
                                           torch.float32, True, True),
    "scan_first_axis_f16": lambda g, L: scan_case(g, "scan_first_axis_f16", [L, 70], 0,
                                                  torch.float16, False, False),
    "selective_scan_full": lambda g, L: selective_case(g, "selective_scan_full", 2, 37, L,
                                                       16, torch.bfloat16, True),
    "selective_scan_plain": lambda g, L: selective_case(g, "selective_scan_plain", 3, 33, L,
                                                        4, torch.float32, False),
    # examples/scan.mlir (static shapes but RG-LRU's length)
    "rg_lru": lambda g, L: scan_case(g, "rg_lru", [4, L, 256], 1, torch.float32, True,
                                     False, transform=torch.sigmoid),
    "mamba1_selective_scan": lambda g, L: selective_case(
        g, "mamba1_selective_scan", 2, 64, 256, 16, torch.bfloat16, True, a_log=True),
}
STATIC_LENGTH = {"mamba1_selective_scan": 256}


def run_case(module, name, length, seed):
    g = torch.Generator(device="cuda").manual_seed(seed)
    inputs, outputs, refs = FUNCTIONS[name](g, length)

    def launch():
        fresh = {k: torch.full_like(v, float("nan")) for k, v in outputs.items()}
        module.launch(name, *inputs, *fresh.values())
        torch.cuda.synchronize()
        return fresh

    first, second = launch(), launch()
    label = f"{name} L{length} seed={seed}"
    parts, ok = [], True
    for key, value in first.items():
        nan = torch.isnan(value).sum().item()
        width = torch.int16 if value.element_size() == 2 else torch.int32
        same = torch.equal(value.view(width), second[key].view(width))
        tol = 1e-5 if value.dtype == torch.float32 else 1e-2
        err = rel(value, refs[key]) if value.numel() else 0.0
        ok = ok and nan == 0 and same and math.isfinite(err) and err <= tol
        parts.append(f"{key} rel {err:.2e} (<= {tol:.0e}), NaN {nan}, deterministic {same}")
    expect(ok, f"{label}: " + "; ".join(parts))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("manifest")
    parser.add_argument("--kernel")
    parser.add_argument("--small", action="store_true")
    args = parser.parse_args()
    module = load(args.manifest)
    for name in sorted(module.kernels):
        if name not in FUNCTIONS:
            expect(False, f"{name}: in the manifest only")
            continue
        if args.kernel and name != args.kernel:
            continue
        seed = int.from_bytes(os.urandom(4), "little")
        lengths = (0, 1, 65) if args.small else (0, 1, 7, 64, 65, 200, 1000)
        if name in STATIC_LENGTH:
            lengths = (STATIC_LENGTH[name],)
        for i, length in enumerate(lengths):
            run_case(module, name, length, seed + i)
    print(f"{len(failures)} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
