"""Differential tests of the tiled recurrence algorithms on the CPU.

celeris-chunk-recurrence (chunkwise-parallel celeris.recurrence, UT/WY
transform for the delta rule) and celeris-block-scan (blocked celeris.scan)
run before convert-celeris-to-linalg in celeris-run, on fresh random inputs,
and are compared with the float64 references of celeris_ref.recurrence:
||out - ref|| / ||ref|| <= 1e-5 in f32, NaN never passes. The sequence
lengths are chosen so that the chunk or block size does not divide them
(37 with 16), is the whole sequence (16 with 16) or exceeds it (a decode
step, S = 1). Inputs are realistic: log decays are log-sigmoids of normals,
beta = sigmoid(normal), and the delta rule's keys are L2-normalised.

The tiled pass runs alone as celeris-run's --pre-pipeline, so a pass that
left the op in place fails (the host lowering cannot lower Celeris ops)
instead of falling through to the reference lowering unnoticed; one test
runs it in front of convert-celeris-to-linalg, as a compiler would. Tiled
results are also compared with the untiled sequential lowering
(convert-celeris-to-linalg alone).
"""

import numpy as np
import pytest

from celeris_ref.recurrence import recurrence as reference_recurrence
from celeris_ref.recurrence import scan as reference_scan
from test_celeris_run import check, rng, run, runner  # noqa: F401 (fixtures)

TOL = 1e-5


def log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def tensor_type(shape):
    return "tensor<" + "".join(f"{d}x" for d in shape) + "f32>"


def run_in(runner, tmp_path, sub, mlir, inputs, n_outputs, pipeline):
    d = tmp_path / sub
    d.mkdir()
    return run(runner, d, mlir, inputs, n_outputs,
               extra=[f"--pre-pipeline={pipeline}"])


#===------------------------------------------------------------------------===#
# celeris.recurrence
#===------------------------------------------------------------------------===#

B, H, DK, DV = 2, 3, 16, 8


def recurrence_function(S, decay, update, initial, final, scale, B=B, H=H):
    """A @main taking q, k, v[, decay][, beta][, initial] and returning
    out[, final_state]."""
    q_t = tensor_type((B, H, S, DK))
    v_t = tensor_type((B, H, S, DV))
    state_t = tensor_type((B, H, DK, DV))
    args = [f"%q: {q_t}", f"%k: {q_t}", f"%v: {v_t}"]
    clauses = []
    if decay != "none":
        g_t = tensor_type({"head": (H,), "scalar": (B, H, S),
                           "vector": (B, H, S, DK)}[decay])
        args.append(f"%g: {g_t}")
        clauses.append(f"decay {decay}(%g : {g_t})")
    if update == "delta":
        b_t = tensor_type((B, H, S))
        args.append(f"%beta: {b_t}")
        clauses.append(f"update delta(%beta : {b_t})")
    if initial:
        args.append(f"%s0: {state_t}")
        clauses.append(f"initial_state(%s0 : {state_t})")
    if scale is not None:
        clauses.append(f"scale {scale}")
    results = [v_t] + ([state_t] if final else [])
    names = ["%o"] + (["%s"] if final else [])
    return f"""
func.func @main({", ".join(args)}) -> ({", ".join(results)}) {{
  {", ".join(names)} = celeris.recurrence %q, %k, %v {" ".join(clauses)}
      : {q_t}, {q_t}, {v_t} -> {", ".join(results)}
  return {", ".join(names)} : {", ".join(results)}
}}
"""


def recurrence_inputs(gen, S, decay, update, initial, B=B, H=H):
    """(inputs in argument order, reference keyword arguments)."""
    f32 = np.float32
    q = gen.standard_normal((B, H, S, DK)).astype(f32)
    k = gen.standard_normal((B, H, S, DK))
    if update == "delta":
        k /= np.linalg.norm(k, axis=-1, keepdims=True)
    k = k.astype(f32)
    v = gen.standard_normal((B, H, S, DV)).astype(f32)
    inputs, kwargs = [q, k, v], {"decay_kind": decay, "update_kind": update}
    if decay != "none":
        shape = {"head": (H,), "scalar": (B, H, S), "vector": (B, H, S, DK)}[decay]
        g = log_sigmoid(gen.standard_normal(shape)).astype(f32)
        inputs.append(g)
        kwargs["decay"] = g
    if update == "delta":
        beta = sigmoid(gen.standard_normal((B, H, S))).astype(f32)
        inputs.append(beta)
        kwargs["beta"] = beta
    if initial:
        s0 = gen.standard_normal((B, H, DK, DV)).astype(f32)
        inputs.append(s0)
        kwargs["initial_state"] = s0
    return inputs, kwargs


DECAYS = ["none", "head", "scalar", "vector"]
UPDATES = ["additive", "delta"]
# (S, chunk): chunk not dividing S, a decode step, exactly one chunk, and a
# chunk of 1 (every token its own chunk).
LENGTHS = [(37, 16), (1, 16), (16, 16), (5, 1)]


@pytest.mark.parametrize("S,chunk", LENGTHS, ids=[f"S{s}_c{c}" for s, c in LENGTHS])
@pytest.mark.parametrize("update", UPDATES)
@pytest.mark.parametrize("decay", DECAYS)
def test_chunk_recurrence_matches_reference(runner, tmp_path, rng, decay, update,
                                            S, chunk):
    inputs, kwargs = recurrence_inputs(rng.gen, S, decay, update, initial=True)
    mlir = recurrence_function(S, decay, update, initial=True, final=True,
                               scale=None)
    out, state = run_in(runner, tmp_path, "tiled", mlir, inputs, 2,
                        f"celeris-chunk-recurrence{{chunk={chunk}}}")
    ref_out, ref_state = reference_recurrence(*inputs[:3], **kwargs)
    msg = f"{decay}/{update} S={S} chunk={chunk}, {rng.msg}"
    check(out, ref_out, TOL, msg)
    check(state, ref_state, TOL, msg)


@pytest.mark.parametrize("initial,final", [(False, False), (False, True),
                                           (True, False)])
@pytest.mark.parametrize("update", UPDATES)
@pytest.mark.parametrize("decay", ["none", "scalar", "vector"])
def test_chunk_recurrence_optional_states(runner, tmp_path, rng, decay, update,
                                          initial, final):
    S = 37
    inputs, kwargs = recurrence_inputs(rng.gen, S, decay, update, initial)
    mlir = recurrence_function(S, decay, update, initial, final, scale=0.3)
    results = run_in(runner, tmp_path, "tiled", mlir, inputs, 1 + final,
                     "celeris-chunk-recurrence{chunk=8}")
    refs = reference_recurrence(*inputs[:3], scale=0.3, **kwargs)
    msg = f"{decay}/{update} initial={initial} final={final}, {rng.msg}"
    for got, want in zip(results, refs):
        check(got, want, TOL, msg)


@pytest.mark.parametrize("update", UPDATES)
@pytest.mark.parametrize("decay", DECAYS)
def test_chunk_recurrence_single_batch_and_head(runner, tmp_path, rng, decay,
                                                update):
    """B = H = 1: one-position slices must not be confused with the unit
    batch and head dimensions."""
    S = 37
    inputs, kwargs = recurrence_inputs(rng.gen, S, decay, update, True, B=1, H=1)
    mlir = recurrence_function(S, decay, update, True, True, None, B=1, H=1)
    out, state = run_in(runner, tmp_path, "tiled", mlir, inputs, 2,
                        "celeris-chunk-recurrence{chunk=16}")
    ref_out, ref_state = reference_recurrence(*inputs[:3], **kwargs)
    msg = f"{decay}/{update}, {rng.msg}"
    check(out, ref_out, TOL, msg)
    check(state, ref_state, TOL, msg)


@pytest.mark.parametrize("update", UPDATES)
@pytest.mark.parametrize("decay", DECAYS)
def test_chunk_recurrence_matches_sequential_lowering(runner, tmp_path, rng,
                                                      decay, update):
    """Tiled and untiled lowerings of the same op agree in f32."""
    S = 37
    inputs, _ = recurrence_inputs(rng.gen, S, decay, update, initial=True)
    mlir = recurrence_function(S, decay, update, initial=True, final=True,
                               scale=None)
    tiled = run_in(runner, tmp_path, "tiled", mlir, inputs, 2,
                   "celeris-chunk-recurrence{chunk=16}")
    untiled = run_in(runner, tmp_path, "untiled", mlir, inputs, 2,
                     "convert-celeris-to-linalg")
    msg = f"{decay}/{update}, {rng.msg}"
    for got, want in zip(tiled, untiled):
        check(got, want, TOL, msg)


#===------------------------------------------------------------------------===#
# celeris.scan
#===------------------------------------------------------------------------===#

def scan_function(shape, axis, reverse, initial):
    t = tensor_type(shape)
    rest = tensor_type([d for i, d in enumerate(shape) if i != axis])
    args = [f"%a: {t}", f"%b: {t}"] + ([f"%h0: {rest}"] if initial else [])
    init = f"initial(%h0 : {rest}) " if initial else ""
    rev = " reverse" if reverse else ""
    return f"""
func.func @main({", ".join(args)}) -> {t} {{
  %h = celeris.scan %a, %b {init}axis {axis}{rev} : {t}, {t} -> {t}
  return %h : {t}
}}
"""


# (shape, axis, block): blocks not dividing the axis, dividing it, larger
# than it, of 1, and a scan of length 1.
SCANS = [
    ((37,), 0, 16),
    ((3, 37, 2), 1, 16),
    ((37, 4), 0, 5),
    ((2, 5, 40), 2, 8),
    ((2, 5, 12), 2, 64),
    ((6, 3), 0, 1),
    ((4, 1, 3), 1, 16),
    ((1, 37, 1), 1, 16),
]


@pytest.mark.parametrize("initial", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("shape,axis,block", SCANS,
                         ids=[f"{'x'.join(map(str, s))}_axis{a}_block{b}"
                              for s, a, b in SCANS])
def test_block_scan_matches_reference(runner, tmp_path, rng, shape, axis,
                                      block, reverse, initial):
    gen = rng.gen
    # Decays in (0, 1) as in the diagonal recurrences, with a few sign flips
    # so that the block products are not all positive.
    a = sigmoid(gen.standard_normal(shape)) * np.where(
        gen.standard_normal(shape) > 1.5, -1.0, 1.0)
    b = gen.standard_normal(shape)
    inputs = [a.astype(np.float32), b.astype(np.float32)]
    h0 = None
    if initial:
        h0 = gen.standard_normal([d for i, d in enumerate(shape) if i != axis])
        inputs.append(h0.astype(np.float32))
        h0 = inputs[-1]
    mlir = scan_function(shape, axis, reverse, initial)
    (h,) = run_in(runner, tmp_path, "tiled", mlir, inputs, 1,
                  f"celeris-block-scan{{block={block}}}")
    ref = reference_scan(inputs[0], inputs[1], axis, initial=h0, reverse=reverse)
    check(h, ref, TOL, f"shape={shape} axis={axis} block={block} "
                       f"reverse={reverse} initial={initial}, {rng.msg}")


@pytest.mark.parametrize("reverse", [False, True])
def test_block_scan_matches_sequential_lowering(runner, tmp_path, rng, reverse):
    shape, axis = (3, 37, 2), 1
    gen = rng.gen
    inputs = [sigmoid(gen.standard_normal(shape)).astype(np.float32),
              gen.standard_normal(shape).astype(np.float32),
              gen.standard_normal((3, 2)).astype(np.float32)]
    mlir = scan_function(shape, axis, reverse, initial=True)
    (tiled,) = run_in(runner, tmp_path, "tiled", mlir, inputs, 1,
                      "celeris-block-scan{block=16}")
    (untiled,) = run_in(runner, tmp_path, "untiled", mlir, inputs, 1,
                        "convert-celeris-to-linalg")
    check(tiled, untiled, TOL, f"reverse={reverse}, {rng.msg}")


def test_tiled_passes_compose_with_the_reference_lowering(runner, tmp_path, rng):
    """Both tiled passes in front of convert-celeris-to-linalg, on a function
    with a Gated DeltaNet recurrence and a scan over its output."""
    S = 37
    inputs, kwargs = recurrence_inputs(rng.gen, S, "scalar", "delta", True)
    q_t = tensor_type((B, H, S, DK))
    v_t = tensor_type((B, H, S, DV))
    s_t = tensor_type((B, H, DK, DV))
    g_t = tensor_type((B, H, S))
    mlir = f"""
func.func @main(%q: {q_t}, %k: {q_t}, %v: {v_t}, %g: {g_t}, %beta: {g_t},
                %s0: {s_t}, %a: {v_t}) -> ({v_t}, {s_t}) {{
  %o, %s = celeris.recurrence %q, %k, %v decay scalar(%g : {g_t})
      update delta(%beta : {g_t}) initial_state(%s0 : {s_t})
      : {q_t}, {q_t}, {v_t} -> {v_t}, {s_t}
  %h = celeris.scan %a, %o axis 2 reverse : {v_t}, {v_t} -> {v_t}
  return %h, %s : {v_t}, {s_t}
}}
"""
    a = sigmoid(rng.gen.standard_normal((B, H, S, DV))).astype(np.float32)
    h, state = run_in(runner, tmp_path, "tiled", mlir, inputs + [a], 2,
                      "celeris-chunk-recurrence{chunk=16},"
                      "celeris-block-scan{block=16},convert-celeris-to-linalg")
    ref_out, ref_state = reference_recurrence(*inputs[:3], **kwargs)
    ref_h = reference_scan(a, ref_out, 2, reverse=True)
    check(h, ref_h, TOL, rng.msg)
    check(state, ref_state, TOL, rng.msg)
