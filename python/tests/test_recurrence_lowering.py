"""Differential tests of the reference lowering of the recurrence family.

celeris.recurrence (sequential form), celeris.scan and celeris.selective_scan
(decomposed into elementwise ops and celeris.scan) run through celeris-run
with convert-celeris-to-linalg on fresh random inputs and are compared with
the float64 references of celeris_ref.recurrence: ||out - ref|| / ||ref||
<= 1e-5 in f32 and 1e-2 in bf16 (references computed on the bf16-rounded
inputs; the f32 states are held to 1e-5 in either case); NaN never passes.
Inputs are realistic: decays are log-sigmoids of normals (<= 0), beta a
sigmoid, delta-rule keys L2-normalised, Mamba's A negative. Each family has
one case with every extent dynamic.
"""

import ml_dtypes
import numpy as np
import pytest

from celeris_ref.recurrence import recurrence as reference_recurrence
from celeris_ref.recurrence import scan as reference_scan
from celeris_ref.recurrence import selective_scan as reference_selective_scan
from test_celeris_run import check, rng, run, runner  # noqa: F401 (fixtures)

PIPELINE = ["--pre-pipeline=convert-celeris-to-linalg"]
# f16 keeps 11 significant bits: its output rounding alone is <= 2^-11.
TOL = {"f32": 1e-5, "f16": 1e-3, "bf16": 1e-2}
NP_TYPE = {"f32": np.float32, "f16": np.float16, "bf16": ml_dtypes.bfloat16}


def ttype(shape, elt, dynamic=False):
    """The tensor type of `shape`, with every extent `?` when `dynamic`."""
    dims = ["?" if dynamic else str(d) for d in shape]
    return "tensor<" + "".join(f"{d}x" for d in dims) + f"{elt}>"


def as_f64(x):
    return np.asarray(x).astype(np.float64)


def load(x, elt):
    """A result of celeris-run as float64 (bf16 comes back as '<V2')."""
    if elt == "bf16":
        assert x.dtype.itemsize == 2 and x.dtype.kind == "V", x.dtype
        x = x.view(ml_dtypes.bfloat16)
    return as_f64(x)


def log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def function(args, op_text, results):
    """A func.func @main over `args` [(name, type)] returning `results`
    [(name, type)] after the op text that defines them."""
    params = ", ".join(f"%{n}: {t}" for n, t in args)
    rtypes = ", ".join(t for _, t in results)
    names = ", ".join(f"%{n}" for n, _ in results)
    return (f"func.func @main({params}) -> ({rtypes}) {{\n  {op_text}\n"
            f"  return {names} : {rtypes}\n}}\n")


#===------------------------------------------------------------------------===#
# celeris.recurrence
#===------------------------------------------------------------------------===#

RECURRENCE_CASES = [
    # (name, decay, update, B, H, S, Dk, Dv, initial, final, elt, scale[,
    #  dynamic shapes])
    *[(f"{d}_{u}{'_init' if init else ''}", d, u, 2, 3, 37, 8, 12, init, True,
       "f32", None)
      for d in ("none", "head", "scalar", "vector")
      for u in ("additive", "delta")
      for init in (False, True)],
    ("decode_scalar_delta", "scalar", "delta", 2, 4, 1, 16, 8, True, True,
     "f32", None),
    ("decode_vector_additive", "vector", "additive", 1, 2, 1, 8, 8, True, True,
     "f32", None),
    ("no_final_state_scale", "head", "additive", 1, 2, 19, 16, 4, False, False,
     "f32", 0.3),
    ("bf16_scalar_delta", "scalar", "delta", 2, 2, 29, 16, 8, True, True,
     "bf16", None),
    ("bf16_vector_additive", "vector", "additive", 1, 3, 23, 8, 16, False, True,
     "bf16", None),
    ("bf16_none_delta", "none", "delta", 1, 2, 17, 8, 8, False, True,
     "bf16", None),
    ("f16_vector_additive_gla", "vector", "additive", 2, 2, 21, 8, 16, False,
     False, "f16", None),
    ("dynamic_vector_delta", "vector", "delta", 2, 3, 13, 9, 5, True, True,
     "f32", None, True),
]


@pytest.mark.parametrize("case", RECURRENCE_CASES,
                         ids=[c[0] for c in RECURRENCE_CASES])
def test_recurrence_matches_reference(runner, tmp_path, rng, case):
    name, decay, update, B, H, S, Dk, Dv, has_init, has_final, elt, scale = case[:12]
    dyn = len(case) > 12 and case[12]
    g = rng.gen
    cast = NP_TYPE[elt]
    q = g.standard_normal((B, H, S, Dk)).astype(cast)
    k = g.standard_normal((B, H, S, Dk))
    if update == "delta":
        k /= np.linalg.norm(k, axis=-1, keepdims=True)
    k = k.astype(cast)
    v = g.standard_normal((B, H, S, Dv)).astype(cast)
    qkv_types = [ttype(x.shape, elt, dyn) for x in (q, k, v)]
    args = [("q", qkv_types[0]), ("k", qkv_types[1]), ("v", qkv_types[2])]
    inputs = [q, k, v]
    text = "celeris.recurrence %q, %k, %v"
    kwargs = {"decay_kind": decay, "update_kind": update, "scale": scale}

    decay_shape = {"none": None, "head": (H,), "scalar": (B, H, S),
                   "vector": (B, H, S, Dk)}[decay]
    if decay_shape:
        gate = log_sigmoid(g.standard_normal(decay_shape) + 2.0).astype(np.float32)
        args.append(("g", ttype(gate.shape, "f32", dyn)))
        inputs.append(gate)
        text += f" decay {decay}(%g : {ttype(gate.shape, 'f32', dyn)})"
        kwargs["decay"] = as_f64(gate)
    if update == "delta":
        beta = sigmoid(g.standard_normal((B, H, S))).astype(cast)
        args.append(("beta", ttype(beta.shape, elt, dyn)))
        inputs.append(beta)
        text += f" update delta(%beta : {ttype(beta.shape, elt, dyn)})"
        kwargs["beta"] = as_f64(beta)
    if has_init:
        init = g.standard_normal((B, H, Dk, Dv)).astype(np.float32)
        args.append(("s0", ttype(init.shape, "f32", dyn)))
        inputs.append(init)
        text += f" initial_state(%s0 : {ttype(init.shape, 'f32', dyn)})"
        kwargs["initial_state"] = as_f64(init)
    if scale is not None:
        text += f" scale {scale}"

    out_type = ttype((B, H, S, Dv), elt, dyn)
    state_type = ttype((B, H, Dk, Dv), "f32", dyn)
    results = [("o", out_type)] + ([("s", state_type)] if has_final else [])
    text = (f"%{', %'.join(n for n, _ in results)} = {text} : "
            f"{', '.join(qkv_types)} -> {', '.join(t for _, t in results)}")
    mlir = function(args, text, results)
    outs = run(runner, tmp_path, mlir, inputs, len(results), extra=PIPELINE)

    ref_out, ref_final = reference_recurrence(as_f64(q), as_f64(k), as_f64(v),
                                        **kwargs)
    msg = f"{name}, {rng.msg}"
    check(load(outs[0], elt), ref_out, TOL[elt], "output; " + msg)
    if has_final:
        assert outs[1].dtype == np.float32, msg
        # The state stays f32 and the inputs are exact, even in bf16.
        check(outs[1], ref_final, TOL["f32"], "final_state; " + msg)


#===------------------------------------------------------------------------===#
# celeris.scan
#===------------------------------------------------------------------------===#

SCAN_CASES = [
    *[(f"axis{axis}{'_reverse' if rev else ''}{'_init' if init else ''}",
       (4, 5, 6), axis, rev, init, "f32")
      for axis in (0, 1, 2) for rev in (False, True) for init in (False, True)],
    ("rank1_reverse_init", (11,), 0, True, True, "f32"),
    ("bf16_axis1_init", (3, 9, 4), 1, False, True, "bf16"),
    ("bf16_axis2_reverse", (3, 4, 9), 2, True, False, "bf16"),
    ("f16_axis0_init", (7, 3, 4), 0, False, True, "f16"),
    ("dynamic_axis1_reverse_init", (3, 7, 5), 1, True, True, "f32", True),
]


@pytest.mark.parametrize("case", SCAN_CASES, ids=[c[0] for c in SCAN_CASES])
def test_scan_matches_reference(runner, tmp_path, rng, case):
    name, shape, axis, reverse, has_init, elt = case[:6]
    dyn = len(case) > 6 and case[6]
    g = rng.gen
    cast = NP_TYPE[elt]
    # Decays in (0, 1) as in RG-LRU / Mamba; inputs of either sign.
    a = sigmoid(g.standard_normal(shape) + 1.0).astype(cast)
    b = g.standard_normal(shape).astype(cast)
    t = ttype(shape, elt, dyn)
    args = [("a", t), ("b", t)]
    inputs = [a, b]
    text = "%h = celeris.scan %a, %b"
    init = None
    if has_init:
        init_shape = shape[:axis] + shape[axis + 1:]
        init = g.standard_normal(init_shape).astype(cast)
        args.append(("h0", ttype(init_shape, elt, dyn)))
        inputs.append(init)
        text += f" initial(%h0 : {ttype(init_shape, elt, dyn)})"
    text += f" axis {axis}" + (" reverse" if reverse else "") + f" : {t}, {t} -> {t}"
    mlir = function(args, text, [("h", t)])
    (h,) = run(runner, tmp_path, mlir, inputs, 1, extra=PIPELINE)
    expected = reference_scan(as_f64(a), as_f64(b), axis,
                        initial=None if init is None else as_f64(init),
                        reverse=reverse)
    check(load(h, elt), expected, TOL[elt], f"{name}, {rng.msg}")


#===------------------------------------------------------------------------===#
# celeris.selective_scan
#===------------------------------------------------------------------------===#

SELECTIVE_SCAN_CASES = [
    # (name, B, D, N, L, has_D, has_z, has_bias, softplus, last, elt[,
    #  dynamic shapes])
    ("plain", 2, 5, 4, 23, False, False, False, False, False, "f32"),
    ("last_state", 2, 5, 4, 23, False, False, False, False, True, "f32"),
    ("skip_D", 1, 6, 3, 17, True, False, False, False, True, "f32"),
    ("gate_z", 2, 4, 5, 19, False, True, False, False, False, "f32"),
    ("bias_softplus", 2, 5, 4, 21, False, False, True, True, True, "f32"),
    ("softplus_only", 1, 3, 8, 13, False, False, False, True, False, "f32"),
    ("all", 2, 6, 4, 37, True, True, True, True, True, "f32"),
    ("decode_all", 2, 6, 4, 1, True, True, True, True, True, "f32"),
    ("bf16_all", 2, 6, 4, 29, True, True, True, True, True, "bf16"),
    ("dynamic_all", 2, 3, 5, 11, True, True, True, True, True, "f32", True),
]


@pytest.mark.parametrize("case", SELECTIVE_SCAN_CASES,
                         ids=[c[0] for c in SELECTIVE_SCAN_CASES])
def test_selective_scan_matches_reference(runner, tmp_path, rng, case):
    name, B, D, N, L, has_D, has_z, has_bias, softplus, has_last, elt = case[:11]
    dyn = len(case) > 11 and case[11]
    g = rng.gen
    cast = NP_TYPE[elt]
    u = g.standard_normal((B, D, L)).astype(cast)
    # Without softplus the step must already be positive; with it, raw.
    raw = g.standard_normal((B, D, L))
    delta = (raw if softplus else 0.5 * np.abs(raw)).astype(cast)
    A = -np.exp(g.standard_normal((D, N))).astype(np.float32)
    Bm = g.standard_normal((B, N, L)).astype(cast)
    C = g.standard_normal((B, N, L)).astype(cast)
    seq, ab = ttype((B, D, L), elt, dyn), ttype((B, N, L), elt, dyn)
    args = [("u", seq), ("delta", seq), ("A", ttype((D, N), "f32", dyn)),
            ("B", ab), ("C", ab)]
    inputs = [u, delta, A, Bm, C]
    text = "celeris.selective_scan %u, %delta, %A, %B, %C"
    kwargs = {"delta_softplus": softplus}
    if has_D:
        Dv = g.standard_normal(D).astype(np.float32)
        args.append(("D", ttype((D,), "f32", dyn)))
        inputs.append(Dv)
        text += f" D(%D : {ttype((D,), 'f32', dyn)})"
        kwargs["D"] = as_f64(Dv)
    if has_z:
        z = g.standard_normal((B, D, L)).astype(cast)
        args.append(("z", seq))
        inputs.append(z)
        text += f" z(%z : {seq})"
        kwargs["z"] = as_f64(z)
    if has_bias:
        bias = g.standard_normal(D).astype(np.float32)
        args.append(("bias", ttype((D,), "f32", dyn)))
        inputs.append(bias)
        text += f" delta_bias(%bias : {ttype((D,), 'f32', dyn)})"
        kwargs["delta_bias"] = as_f64(bias)
    if softplus:
        text += " delta_softplus"
    last_type = ttype((B, D, N), "f32", dyn)
    results = [("y", seq)] + ([("last", last_type)] if has_last else [])
    text = (f"%{', %'.join(n for n, _ in results)} = {text} : "
            f"{seq}, {seq}, {ttype((D, N), 'f32', dyn)}, {ab}, {ab} -> "
            f"{', '.join(t for _, t in results)}")
    mlir = function(args, text, results)
    outs = run(runner, tmp_path, mlir, inputs, len(results), extra=PIPELINE)

    ref_y, ref_last = reference_selective_scan(as_f64(u), as_f64(delta), as_f64(A),
                                         as_f64(Bm), as_f64(C), **kwargs)
    msg = f"{name}, {rng.msg}"
    check(load(outs[0], elt), ref_y, TOL[elt], "y; " + msg)
    if has_last:
        assert outs[1].dtype == np.float32, msg
        # The state stays f32 and the inputs are exact, even in bf16.
        check(outs[1], ref_last, TOL["f32"], "last_state; " + msg)
