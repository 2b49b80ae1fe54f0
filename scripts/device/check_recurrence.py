"""GPU check of the recurrence kernels of examples/gpu/recurrence.mlir,
examples/gpu/recurrence_sequential.mlir and examples/gpu/recurrence_step.mlir
(compiled by scripts/device/prepare.sh into .device/recurrence,
.device/recurrence_sequential and .device/recurrence_step) through
celeris.runtime.
FUNCTIONS below restates each function of those files (decay and update
kind, dims, dtype, initial/final state, scale, one token or a sequence); a
kernel of the manifest that is not in it is a failure, and so is a function
of the manifest's file that the manifest lacks.
Usage: check_recurrence.py MANIFEST [--kernel NAME] [--small]

Sequence kernels (recurrence_chunk, recurrence_sequential) run lengths 1, 63, 64, 65, 200 and 333
(tails of the 64-token chunks) at B=2 H=3, one case at B=1 H=2 S=1000, one
with length 0, and for the decay kinds gates of 0 and of -1e4 (a state wiped
at every token). Step kernels (one token, recurrence_step) run B = 1, 5 and
64 at H=3, and the same gate extremes. --small (for compute-sanitizer):
lengths 0, 1, 65 and 130 only (step kernels: B = 1 and 5).
Keys are normal / sqrt(Dk) (the feature maps' scale; L2-normalised for the
delta rule), gates log-sigmoid(normal + 3), beta sigmoid(normal).

Against a float64 reference written here (the sequential recurrence of the
op's documentation in torch, one token at a time), on the rounded inputs,
fresh random seeds and NaN-poisoned outputs:
  ||out - ref|| / ||ref|| <= 1e-2 (bf16/f16 out), 1e-5 (f32 out);
  ||final - ref|| / ||ref|| <= 1e-5 for the additive update without decay
  (the state accumulates exact products of the inputs in f32) and 1e-2 with
  a decay or the delta rule (weighted keys and the chunk's deltas U are
  rounded to the element type for the tensor cores); step and sequential kernels compute in f32 throughout: 1e-5 for
  the state;
  no NaN anywhere, and two launches give bit-identical results.
"""

import argparse
import collections
import math
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
from celeris.runtime import load  # noqa: E402

OUT_TOL = 1e-2
OUT_TOL_F32 = 1e-5
STATE_TOL_EXACT = 1e-5
STATE_TOL_WEIGHTED = 1e-2

# family: the file's kernel family, "chunk", "sequential" or "step".
Function = collections.namedtuple(
    "Function", "decay dk dv dtype initial final scale update family",
    defaults=("additive", "chunk"))
FUNCTIONS = {
    # examples/gpu/recurrence.mlir
    "linear_attention": Function("none", 128, 128, torch.bfloat16, False, False, None),
    "retnet": Function("head", 128, 128, torch.bfloat16, False, False, None),
    "mamba2": Function("scalar", 128, 128, torch.bfloat16, True, True, 1.0),
    "scalar_d64_f16": Function("scalar", 64, 64, torch.float16, False, True, None),
    "retnet_dk64_dv128": Function("head", 64, 128, torch.bfloat16, False, False, None),
    "simple_gla": Function("scalar", 128, 128, torch.bfloat16, False, False, None),
    "linear_attention_d64": Function("none", 64, 64, torch.bfloat16, False, False, None),
    "retnet_d64": Function("head", 64, 64, torch.bfloat16, False, False, None),
    "simple_gla_d64": Function("scalar", 64, 64, torch.bfloat16, False, False, None),
    "deltanet_chunk": Function("none", 128, 128, torch.bfloat16, False, False, None,
                               "delta"),
    "gated_deltanet_chunk": Function("scalar", 128, 128, torch.bfloat16, True, True, None,
                                     "delta"),
    "gated_deltanet_chunk_d64": Function("scalar", 64, 64, torch.float16, False, True,
                                         None, "delta"),
    # examples/gpu/recurrence_sequential.mlir
    "gla": Function("vector", 128, 128, torch.bfloat16, False, False, None,
                    "additive", "sequential"),
    "deltanet": Function("none", 128, 128, torch.bfloat16, False, False, None,
                         "delta", "sequential"),
    "gated_deltanet": Function("scalar", 128, 128, torch.bfloat16, True, True, None,
                               "delta", "sequential"),
    "gla_dk32_dv64_f16": Function("vector", 32, 64, torch.float16, False, False, None,
                                  "additive", "sequential"),
    "deltanet_f32_dk40_dv24": Function("none", 40, 24, torch.float32, False, True, None,
                                       "delta", "sequential"),
    "mamba2_dk64_dv32": Function("scalar", 64, 32, torch.bfloat16, False, True, 1.0,
                                 "additive", "sequential"),
    "retnet_d32": Function("head", 32, 32, torch.bfloat16, True, True, None,
                           "additive", "sequential"),
    # examples/gpu/recurrence_step.mlir
    "gated_deltanet_step": Function("scalar", 128, 128, torch.bfloat16, True, True, None,
                                    "delta", "step"),
    "deltanet_step_f32": Function("none", 64, 64, torch.float32, True, True, None,
                                  "delta", "step"),
    "gla_step": Function("vector", 128, 128, torch.bfloat16, True, True, None,
                         "additive", "step"),
    "retnet_step": Function("head", 128, 128, torch.bfloat16, True, True, None,
                            "additive", "step"),
    "mamba2_step": Function("scalar", 128, 64, torch.float16, True, True, 1.0,
                            "additive", "step"),
}

failures = []


def expect(condition, message):
    print(("ok   " if condition else "FAIL ") + message)
    if not condition:
        failures.append(message)


def reference(q, k, v, decay_kind, gate, initial, scale, update="additive", beta=None):
    """The recurrence in float64, token by token: S_t = a_t (.) S_{t-1} +
    k_t v_t^T (additive) or (I - b_t k_t k_t^T)(a_t (.) S_{t-1}) +
    b_t k_t v_t^T (delta), o_t = scale S_t^T q_t."""
    q, k, v = (t.double() for t in (q, k, v))
    B, H, S, Dk = q.shape
    Dv = v.shape[3]
    state = (initial.double().clone() if initial is not None
             else torch.zeros(B, H, Dk, Dv, dtype=torch.float64, device=q.device))
    out = torch.empty(B, H, S, Dv, dtype=torch.float64, device=q.device)
    for t in range(S):
        if decay_kind == "head":
            state = state * torch.exp(gate.double())[None, :, None, None]
        elif decay_kind == "scalar":
            state = state * torch.exp(gate[:, :, t].double())[:, :, None, None]
        elif decay_kind == "vector":
            state = state * torch.exp(gate[:, :, t].double())[:, :, :, None]
        kt, vt = k[:, :, t], v[:, :, t]
        if update == "delta":
            bt = beta[:, :, t].double()[:, :, None]
            old = torch.einsum("bhkv,bhk->bhv", state, kt)
            state = state + kt[..., :, None] * (bt * (vt - old))[..., None, :]
        else:
            state = state + kt[..., :, None] * vt[..., None, :]
        out[:, :, t] = scale * torch.einsum("bhkv,bhk->bhv", state, q[:, :, t])
    return out, state


def rel(x, ref):
    x = x.double()
    norm = ref.norm().item()
    if norm == 0:
        return x.norm().item()
    return (x - ref).norm().item() / norm


def run_case(module, name, B, H, S, gate_mode, seed):
    fn = FUNCTIONS[name]
    decay_kind, dk, dv, dtype = fn.decay, fn.dk, fn.dv, fn.dtype
    has_initial, has_final, scale = fn.initial, fn.final, fn.scale
    g = torch.Generator(device="cuda").manual_seed(seed)
    q = torch.randn(B, H, S, dk, device="cuda", generator=g).to(dtype)
    k = torch.randn(B, H, S, dk, device="cuda", generator=g)
    if fn.update == "delta":
        k = k / k.norm(dim=-1, keepdim=True)
    else:
        k = k / math.sqrt(dk)
    k = k.to(dtype)
    v = torch.randn(B, H, S, dv, device="cuda", generator=g).to(dtype)
    inputs = [q, k, v]
    gate = None
    if decay_kind != "none":
        shape = {"head": (H,), "scalar": (B, H, S), "vector": (B, H, S, dk)}[decay_kind]
        if gate_mode == "zero":
            gate = torch.zeros(shape, device="cuda")
        elif gate_mode == "wipe":
            gate = torch.full(shape, -1e4, device="cuda")
        else:
            gate = torch.nn.functional.logsigmoid(
                torch.randn(shape, device="cuda", generator=g) + 3.0)
        inputs.append(gate)
    beta = None
    if fn.update == "delta":
        beta = torch.sigmoid(torch.randn(B, H, S, device="cuda", generator=g)).to(dtype)
        inputs.append(beta)
    initial = None
    if has_initial:
        initial = torch.randn(B, H, dk, dv, device="cuda", generator=g)
        inputs.append(initial)
    scale_value = scale if scale is not None else 1.0 / math.sqrt(dk)

    def launch():
        out = torch.full((B, H, S, dv), float("nan"), device="cuda", dtype=dtype)
        outputs = {"out": out}
        if has_final:
            outputs["final_state"] = torch.full((B, H, dk, dv), float("nan"), device="cuda")
        module.launch(name, *inputs, *outputs.values())
        torch.cuda.synchronize()
        return outputs

    first = launch()
    second = launch()
    ref_out, ref_state = reference(q, k, v, decay_kind, gate, initial, scale_value,
                                   fn.update, beta)
    label = f"{name} B{B} H{H} S{S} gates={gate_mode} seed={seed}"
    nan = sum(torch.isnan(t).sum().item() for t in first.values())
    same = all(torch.equal(first[n].view(torch.int16 if first[n].element_size() == 2
                                         else torch.int32),
                           second[n].view(torch.int16 if second[n].element_size() == 2
                                          else torch.int32))
               for n in first)
    err = rel(first["out"], ref_out) if S else 0.0
    out_tol = OUT_TOL_F32 if dtype == torch.float32 else OUT_TOL
    ok = nan == 0 and same and math.isfinite(err) and err <= out_tol
    message = (f"{label}: out rel {err:.2e} (<= {out_tol:.0e}), NaN {nan}, "
               f"deterministic {same}")
    if has_final:
        exact = fn.family != "chunk" or (decay_kind == "none" and fn.update == "additive")
        tol = STATE_TOL_EXACT if exact else STATE_TOL_WEIGHTED
        state_err = rel(first["final_state"], ref_state)
        ok = ok and math.isfinite(state_err) and state_err <= tol
        message += f", final state rel {state_err:.2e} (<= {tol:.0e})"
    expect(ok, message)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("manifest")
    parser.add_argument("--kernel")
    parser.add_argument("--small", action="store_true")
    args = parser.parse_args()
    module = load(args.manifest)
    # The functions of the manifest's file: those of its kernels' family.
    families = {FUNCTIONS[n].family for n in module.kernels if n in FUNCTIONS}
    expected = {n for n, f in FUNCTIONS.items() if f.family in families}
    for name in sorted(expected | set(module.kernels)):
        if name not in module.kernels or name not in FUNCTIONS:
            expect(False, f"{name}: in {'FUNCTIONS' if name in FUNCTIONS else 'the manifest'} only")
            continue
        if args.kernel and name != args.kernel:
            continue
        seed = int.from_bytes(os.urandom(4), "little")
        fn = FUNCTIONS[name]
        gate_modes = ["random"] + (["zero", "wipe"] if fn.decay != "none" else [])
        if fn.family == "step":
            for i, B in enumerate((1, 5) if args.small else (1, 5, 64)):
                run_case(module, name, B, 3, 1, "random", seed + i)
            if not args.small:
                for i, mode in enumerate(gate_modes[1:]):
                    run_case(module, name, 4, 3, 1, mode, seed + 10 + i)
            continue
        if args.small:
            for i, S in enumerate((0, 1, 65, 130)):
                run_case(module, name, 1, 2, S, "random", seed + i)
            continue
        for i, S in enumerate((1, 63, 64, 65, 200, 333)):
            run_case(module, name, 2, 3, S, "random", seed + i)
        run_case(module, name, 1, 2, 1000, "random", seed + 10)
        run_case(module, name, 2, 3, 0, "random", seed + 11)
        for i, mode in enumerate(gate_modes[1:]):
            run_case(module, name, 2, 3, 150, mode, seed + 12 + i)
    print(f"{len(failures)} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
