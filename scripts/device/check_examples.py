"""GPU check of examples/recurrence.mlir as it is, gate math included
(compiled by scripts/device/prepare.sh into .device/recurrence_examples):
RetNet (recurrence_chunk), Mamba-2/SSD at Dv 32 and GLA (recurrence_sequential)
and the Gated DeltaNet decode step (recurrence_step). The functions take raw
gate logits and compute log-sigmoid (and beta = sigmoid, rounded to bf16) in
the function; the kernels apply that math as they load the gates. The
reference applies it in float64 and runs the token-by-token recurrence of
scripts/device/check_recurrence.py. Tolerances as there (bf16/f16 out 1e-2,
f32 state 1e-5 for the CUDA-core kernels); no NaN, two launches identical.
Usage: check_examples.py MANIFEST
"""

import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
from celeris.runtime import load  # noqa: E402
from check_recurrence import expect, failures, reference, rel  # noqa: E402

logsigmoid = torch.nn.functional.logsigmoid


def inputs_of(name, g):
    """Kernel inputs, the reference's arguments and the output shapes."""
    randn = lambda *shape: torch.randn(*shape, device="cuda", generator=g)  # noqa: E731
    if name == "retnet":
        q, k, v = randn(2, 4, 256, 64), randn(2, 4, 256, 64) / 8, randn(2, 4, 256, 64)
        q, k, v = (x.bfloat16() for x in (q, k, v))
        logit = randn(4) + 3.0
        return [q, k, v, logit], dict(q=q, k=k, v=v, decay_kind="head",
                                      gate=logsigmoid(logit.double()), initial=None,
                                      scale=1 / 8), [(2, 4, 256, 64)]
    if name == "mamba2_ssd":
        c, b = (randn(2, 4, 256, 64).bfloat16() for _ in range(2))
        b = (b.float() / 8).bfloat16()
        x = randn(2, 4, 256, 32).bfloat16()
        gate = randn(2, 4, 256) + 3.0
        return [c, b, x, gate], dict(q=c, k=b, v=x, decay_kind="scalar",
                                     gate=logsigmoid(gate.double()), initial=None,
                                     scale=1.0), [(2, 4, 256, 32), (2, 4, 64, 32)]
    if name == "gla":
        t = 300
        q, k = randn(2, 4, t, 32).half(), (randn(2, 4, t, 32) / math.sqrt(32)).half()
        v = randn(2, 4, t, 64).half()
        gate = randn(2, 4, t, 32) + 3.0
        return [q, k, v, gate], dict(q=q, k=k, v=v, decay_kind="vector",
                                     gate=logsigmoid(gate.double()), initial=None,
                                     scale=1 / math.sqrt(32)), [(2, 4, t, 64)]
    if name == "gated_deltanet_decode":
        q, v = randn(4, 4, 1, 64).bfloat16(), randn(4, 4, 1, 64).bfloat16()
        k = torch.nn.functional.normalize(randn(4, 4, 1, 64), dim=-1).bfloat16()
        gate, beta_logit = randn(4, 4, 1) + 3.0, randn(4, 4, 1)
        s = randn(4, 4, 64, 64)
        beta = torch.sigmoid(beta_logit).bfloat16()  # the function rounds it so
        return [q, k, v, gate, beta_logit, s], dict(
            q=q, k=k, v=v, decay_kind="scalar", gate=logsigmoid(gate.double()),
            initial=s, scale=1 / 8, update="delta", beta=beta), \
            [(4, 4, 1, 64), (4, 4, 64, 64)]
    return None


def main():
    module = load(sys.argv[1])
    for name in sorted(module.kernels):
        seed = int.from_bytes(os.urandom(4), "little")
        g = torch.Generator(device="cuda").manual_seed(seed)
        case = inputs_of(name, g)
        if case is None:
            expect(False, f"{name}: in the manifest only")
            continue
        inputs, ref_args, shapes = case
        dtype = inputs[0].dtype

        def launch():
            outs = [torch.full(shape, float("nan"), device="cuda",
                               dtype=dtype if i == 0 else torch.float32)
                    for i, shape in enumerate(shapes)]
            module.launch(name, *inputs, *outs)
            torch.cuda.synchronize()
            return outs

        first, second = launch(), launch()
        ref_out, ref_state = reference(**ref_args)
        refs = [ref_out, ref_state]
        parts, ok = [], True
        for i, out in enumerate(first):
            tol = 1e-2 if i == 0 else (1e-5 if name != "retnet" else 1e-2)
            err = rel(out, refs[i])
            nan = torch.isnan(out).sum().item()
            width = torch.int16 if out.element_size() == 2 else torch.int32
            same = torch.equal(out.view(width), second[i].view(width))
            ok = ok and nan == 0 and same and math.isfinite(err) and err <= tol
            parts.append(f"{'out' if i == 0 else 'state'} rel {err:.2e} (<= {tol:.0e}), "
                         f"NaN {nan}, deterministic {same}")
        expect(ok, f"{name} seed={seed}: " + "; ".join(parts))
    print(f"{len(failures)} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
