"""GPU checks of the Celeris runtime (run on a machine with an NVIDIA GPU and
PyTorch; see scripts/device/run.sh): loads the saxpy artifact written by
celeris-compile and launches it through celeris.runtime on torch tensors.

Checks numerics against float64 with fresh random inputs and a poisoned
output, one artifact for many sizes (the grid is an expression of N, which
the runtime reads from the shape of x), an explicit N that agrees, slices at
an offset, the empty launch, and the clear errors of bad arguments and of a
size that disagrees with the shape.
"""

import math
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
from celeris.runtime import CelerisError, load  # noqa: E402

failures = []


def expect(condition, message):
    print(("ok   " if condition else "FAIL ") + message, flush=True)
    if not condition:
        failures.append(message)


def main(manifest):
    module = load(manifest)
    expect(set(module.kernels) == {"saxpy"}, f"kernels: {sorted(module.kernels)}")
    expect(module.sizes["saxpy"] == {"N": ("x", 0)}, f"bound sizes: {module.sizes}")
    seed = int.from_bytes(os.urandom(4), "little")
    gen = torch.Generator(device="cuda").manual_seed(seed)
    print(f"seed {seed}")
    for n in (1, 255, 256, 1000, 1 << 20, 3_000_017):
        x = torch.randn(n, device="cuda", generator=gen)
        y = torch.randn(n, device="cuda", generator=gen)
        a = 1.5
        ref = a * x.double() + y.double()
        module.launch("saxpy", a=a, x=x, y=y)
        torch.cuda.synchronize()
        err = (y.double() - ref).norm().item() / max(ref.norm().item(), 1e-300)
        expect(math.isfinite(err) and err <= 1e-6, f"saxpy N={n}: rel err {err:.2e}")

    # Positional arguments, a contiguous slice at an offset, and an explicit
    # size that agrees with the shape.
    base = torch.randn(2 * 4097, device="cuda", generator=gen)
    x = base[4097:]
    y = torch.randn(4097, device="cuda", generator=gen)
    ref = 2.0 * x.double() + y.double()
    module.launch("saxpy", 2.0, x, y, sizes={"N": 4097})
    torch.cuda.synchronize()
    err = (y.double() - ref).norm().item() / ref.norm().item()
    expect(err <= 1e-6, f"saxpy on a slice at an offset: rel err {err:.2e}")

    # N = 0: an empty grid is a successful no-op.
    empty = torch.empty(0, device="cuda")
    module.launch("saxpy", a=1.0, x=empty, y=empty)
    expect(True, "empty launch")

    # Bad input gets a clear message, never a crash.
    x = torch.randn(8, device="cuda")
    cases = [
        (dict(a=1.0, x=x.double(), y=x, sizes={"N": 8}), "must be float32"),
        (dict(a=1.0, x=x.cpu(), y=x, sizes={"N": 8}), "not a CUDA device"),
        (dict(a=1.0, x=x.view(2, 4), y=x, sizes={"N": 8}), "must have rank 1"),
        (dict(a=1.0, x=x[::2], y=x[:4], sizes={"N": 4}), "must be contiguous"),
        (dict(a=1.0, x=x, sizes={"N": 8}), "missing y"),
        (dict(a=1.0, x=x, y=x, sizes={"N": 4}),
         "size 'N' was given as 4 but argument 'x' has 8 in dimension 0"),
    ]
    for kwargs, message in cases:
        try:
            module.launch("saxpy", **kwargs)
            expect(False, f"expected an error containing '{message}'")
        except CelerisError as error:
            expect(message in str(error), f"error: {error}")
    try:
        module.launch("nope")
        expect(False, "unknown kernel accepted")
    except CelerisError as error:
        expect("has no kernel 'nope'" in str(error), f"error: {error}")

    print(f"{len(failures)} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
