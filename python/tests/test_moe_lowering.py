"""Differential tests of the MoE reference lowering on the CPU.

Each test builds a small function over one op of the MoE family (route,
dispatch, grouped_matmul, combine, and the moe composite through its
decomposition), runs it through celeris-run with convert-celeris-to-linalg on
fresh random inputs, and compares every result with the float64 reference of
celeris_ref.moe: integer results (expert and token ids, offsets, row maps)
must be equal, values within ||out - ref|| / ||ref|| <= 1e-5 in f32 and 1e-2
in bf16; NaN never passes.
"""

import subprocess
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest

import celeris_ref as ref
from test_celeris_run import check, rng, run, runner  # noqa: F401 (fixtures)

PIPELINE = ["--pre-pipeline=convert-celeris-to-linalg"]
BF16 = ml_dtypes.bfloat16


def tensor(shape, element):
    return "tensor<" + "x".join(str(s) for s in shape) + f"x{element}>"


def as_bf16(out):
    # np.save/np.load keep bfloat16 as the 2-byte void dtype '<V2'.
    assert out.dtype.itemsize == 2 and out.dtype.kind == "V", out.dtype
    return out.view(BF16)


def check_ints(out, expected, what, msg):
    assert out.dtype == np.int32, f"{what}: dtype {out.dtype}; {msg}"
    assert out.shape == expected.shape, f"{what}: shape {out.shape}; {msg}"
    np.testing.assert_array_equal(out, expected, err_msg=f"{what}; {msg}")


#===------------------------------------------------------------------------===#
# celeris.route
#===------------------------------------------------------------------------===#


def route_mlir(T, E, k, attrs, bias, rows, cols):
    """A function returning both results of one celeris.route; `rows`, `cols`
    are the result shape ([T, k] or [E, C]); T may be '?'."""
    logits_t = tensor((T, E), "f32")
    w_t, i_t = tensor((rows, cols), "f32"), tensor((rows, cols), "i32")
    args = f"%l: {logits_t}" + (f", %b: {tensor((E,), 'f32')}" if bias else "")
    bias_clause = f"bias(%b : {tensor((E,), 'f32')}) " if bias else ""
    return f"""
func.func @main({args}) -> ({w_t}, {i_t}) {{
  %w, %i = celeris.route %l {bias_clause}k {k} {attrs} : {logits_t} -> {w_t}, {i_t}
  return %w, %i : {w_t}, {i_t}
}}
"""


def run_route(runner, tmp_path, logits, k, bias=None, dynamic=False, **kwargs):
    """Runs celeris.route with the keyword attributes of the reference and
    returns (weights, indices, reference weights, reference indices)."""
    T, E = logits.shape
    attrs = []
    if kwargs.get("score_func", "softmax") != "softmax":
        attrs.append(f"score_func {kwargs['score_func']}")
    if kwargs.get("renormalize"):
        attrs.append("renormalize")
    if "num_groups" in kwargs:
        attrs.append(f"num_groups {kwargs['num_groups']} "
                     f"topk_groups {kwargs['topk_groups']}")
    if "scaling_factor" in kwargs:
        attrs.append(f"scaling_factor {kwargs['scaling_factor']!r}")
    if kwargs.get("mode") == "expert_choice":
        attrs.append(f"mode expert_choice capacity {kwargs['capacity']}")
        rows, cols = E, kwargs["capacity"]
    else:
        rows, cols = ("?" if dynamic else T), k
    mlir = route_mlir("?" if dynamic else T, E, k, " ".join(attrs),
                      bias is not None, rows, cols)
    inputs = [logits] + ([bias] if bias is not None else [])
    w, i = run(runner, tmp_path, mlir, inputs, 2, extra=PIPELINE)
    ref_w, ref_i = ref.route(logits, k, bias=bias, **kwargs)
    return w, i, ref_w, ref_i


def check_route(out, msg):
    w, i, ref_w, ref_i = out
    check_ints(i, ref_i, "indices", msg)
    assert w.dtype == np.float32, msg
    check(w, ref_w, 1e-5, msg)


def normal(rng, shape, scale=1.0):
    return (scale * rng.standard_normal(shape)).astype(np.float32)


def few_values(rng, shape, values=(-1.0, 0.0, 1.0)):
    """Entries drawn from a few values: many exact ties."""
    return np.asarray(values, np.float32)[rng.integers(0, len(values), shape)]


@pytest.mark.parametrize("score_func", ["softmax", "sigmoid"])
def test_route_token_choice(runner, tmp_path, rng, score_func):
    logits = normal(rng, (7, 8), 2.0)
    check_route(run_route(runner, tmp_path, logits, 3, score_func=score_func),
                f"{score_func}, {rng.msg}")


def test_route_dynamic_tokens(runner, tmp_path, rng):
    logits = normal(rng, (5, 6))
    check_route(run_route(runner, tmp_path, logits, 2, dynamic=True,
                          renormalize=True), rng.msg)


@pytest.mark.parametrize("score_func", ["softmax", "sigmoid"])
def test_route_ties_go_to_lower_expert(runner, tmp_path, rng, score_func):
    logits = few_values(rng, (9, 8))
    logits[0] = 0.0  # a token whose experts all tie
    out = run_route(runner, tmp_path, logits, 3, score_func=score_func)
    check_route(out, f"{score_func}, {rng.msg}")
    np.testing.assert_array_equal(out[1][0], [0, 1, 2], err_msg=rng.msg)


def test_route_bias_steers_selection_only(runner, tmp_path, rng):
    logits = normal(rng, (6, 8))
    bias = np.zeros(8, np.float32)
    bias[[5, 6]] = 4.0  # every token picks 6 and 5 first
    out = run_route(runner, tmp_path, logits, 3, bias=bias,
                    score_func="sigmoid")
    check_route(out, rng.msg)
    assert np.all(np.sort(out[1][:, :2], axis=1) == [5, 6]), (out[1], rng.msg)
    # Unbiased weights: a sigmoid score, never above 1.
    assert np.all(out[0] < 1.0), (out[0], rng.msg)


@pytest.mark.parametrize("score_func", ["softmax", "sigmoid"])
def test_route_renormalize_and_scale(runner, tmp_path, rng, score_func):
    logits = normal(rng, (8, 6))
    out = run_route(runner, tmp_path, logits, 3, score_func=score_func,
                    renormalize=True, scaling_factor=2.5)
    check_route(out, f"{score_func}, {rng.msg}")
    np.testing.assert_allclose(out[0].sum(axis=1), 2.5, rtol=1e-5,
                               err_msg=rng.msg)


# The reference's float64 sigmoid overflows in exp(800) on the way to 0.
@pytest.mark.filterwarnings("ignore:overflow encountered in exp")
def test_route_renormalize_zero_sum(runner, tmp_path, rng):
    logits = normal(rng, (4, 6))
    logits[2] = -800.0  # sigmoid underflows to 0 in f32 and f64
    out = run_route(runner, tmp_path, logits, 2, score_func="sigmoid",
                    renormalize=True)
    check_route(out, rng.msg)
    assert np.all(out[0][2] == 0.0), (out[0], rng.msg)


@pytest.mark.parametrize("groups,topk_groups,k,E", [
    (4, 2, 4, 16),   # DeepSeek-V3 style, top-2 sums
    (8, 3, 2, 8),    # groups of one expert: the largest alone
    (2, 1, 3, 12),
])
def test_route_group_limited(runner, tmp_path, rng, groups, topk_groups, k, E):
    logits = normal(rng, (9, E))
    size = E // groups
    if size > 1:
        # Token 0: the best expert sits alone in group 0, two good ones in
        # each of groups 1 and 2, so the limit excludes the best expert.
        logits[0] = -4.0
        logits[0, 0] = 8.0
        logits[0, size:size + 2] = 3.0
        logits[0, 2 * size:2 * size + 2] = 3.0
    out = run_route(runner, tmp_path, logits, k, score_func="sigmoid",
                    renormalize=True, num_groups=groups,
                    topk_groups=topk_groups, scaling_factor=1.5)
    check_route(out, f"G={groups} g={topk_groups}, {rng.msg}")
    if size > 1:
        assert 0 not in out[1][0], (out[1], rng.msg)


def test_route_group_ties_go_to_lower_group(runner, tmp_path, rng):
    T, E, G = 5, 8, 4
    logits = np.empty((T, E), np.float32)
    for t in range(T):
        best = normal(rng, (2,))
        # Groups 1 and 3 hold the same pair (in either order); 0 and 2 less.
        logits[t, 2:4] = best
        logits[t, 6:8] = best[::-1]
        logits[t, 0:2] = best - 3.0
        logits[t, 4:6] = best - 3.0
    out = run_route(runner, tmp_path, logits, 2, num_groups=G, topk_groups=1)
    check_route(out, rng.msg)
    assert np.all(np.isin(out[1], [2, 3])), (out[1], rng.msg)


# Ties across tokens are exact only with sigmoid: softmax divides every row by
# its own sum, whose rounding depends on the order of the logits.
@pytest.mark.parametrize("score_func,values", [
    ("softmax", None), ("sigmoid", None), ("sigmoid", "ties")])
def test_route_expert_choice(runner, tmp_path, rng, score_func, values):
    T, E, C = 12, 4, 5
    logits = few_values(rng, (T, E)) if values else normal(rng, (T, E))
    bias = normal(rng, (E,), 0.5)
    out = run_route(runner, tmp_path, logits, 2, bias=bias,
                    score_func=score_func, mode="expert_choice", capacity=C,
                    scaling_factor=3.0)
    check_route(out, f"{score_func} {values}, {rng.msg}")


#===------------------------------------------------------------------------===#
# celeris.dispatch
#===------------------------------------------------------------------------===#


def dispatch_mlir(T, k, d, E, capacity, element):
    x_t, e_t = tensor((T, d), element), tensor((T, k), "i32")
    rows = "?" if T == "?" else T * k
    p_t, o_t, r_t = tensor((rows, d), element), tensor((E,), "i32"), e_t
    cap = f" capacity {capacity}" if capacity else ""
    return f"""
func.func @main(%x: {x_t}, %e: {e_t}) -> ({p_t}, {o_t}, {r_t}) {{
  %p, %o, %r = celeris.dispatch %x, %e num_experts {E}{cap}
      : {x_t}, {e_t} -> {p_t}, {o_t}, {r_t}
  return %p, %o, %r : {p_t}, {o_t}, {r_t}
}}
"""


def experts_all_to_one(rng, T, k, E):
    return np.full((T, k), E - 1, np.int32)


def experts_skipping(rng, T, k, E):
    # Experts 0, 3 and 5 get nothing.
    return np.asarray([1, 2, 4], np.int32)[rng.integers(0, 3, (T, k))]


def experts_random(rng, T, k, E):
    return rng.integers(0, E, (T, k)).astype(np.int32)


def experts_out_of_range(rng, T, k, E):
    return rng.integers(-2, E + 2, (T, k)).astype(np.int32)


@pytest.mark.parametrize("name,make_experts,E,capacity,dynamic", [
    ("empty_experts", experts_skipping, 6, None, False),
    ("all_to_one", experts_all_to_one, 4, None, False),
    ("all_to_one_capacity", experts_all_to_one, 4, 5, False),
    ("capacity_drops", experts_random, 3, 2, False),
    ("out_of_range", experts_out_of_range, 4, None, False),
    ("out_of_range_capacity_dynamic", experts_out_of_range, 4, 3, True),
])
def test_dispatch(runner, tmp_path, rng, name, make_experts, E, capacity,
                  dynamic):
    T, k, d = 9, 2, 5
    x = normal(rng, (T, d))
    experts = make_experts(rng, T, k, E)
    mlir = dispatch_mlir("?" if dynamic else T, k, d, E, capacity, "f32")
    p, o, r = run(runner, tmp_path, mlir, [x, experts], 3, extra=PIPELINE)
    ref_p, ref_o, ref_r = ref.dispatch(x, experts, E, capacity)
    msg = f"{name}, {rng.msg}"
    check_ints(o, ref_o.astype(np.int32), "offsets", msg)
    check_ints(r, ref_r.astype(np.int32), "row_map", msg)
    # A permutation copies: exact, and rows past the last offset are 0.
    assert p.dtype == np.float32 and p.shape == ref_p.shape, msg
    np.testing.assert_array_equal(p, ref_p, err_msg=msg)


def test_dispatch_bf16(runner, tmp_path, rng):
    T, k, d, E = 6, 3, 4, 5
    x = normal(rng, (T, d)).astype(BF16)
    experts = experts_out_of_range(rng, T, k, E)
    p, o, r = run(runner, tmp_path, dispatch_mlir(T, k, d, E, 2, "bf16"),
                  [x, experts], 3, extra=PIPELINE)
    ref_p, ref_o, ref_r = ref.dispatch(x.astype(np.float64), experts, E, 2)
    check_ints(o, ref_o.astype(np.int32), "offsets", rng.msg)
    check_ints(r, ref_r.astype(np.int32), "row_map", rng.msg)
    np.testing.assert_array_equal(as_bf16(p).astype(np.float64), ref_p,
                                  err_msg=rng.msg)


def dispatch_map_mlir(T, k, E, capacity):
    e_t = tensor((T, k), "i32")
    rows = "?" if T == "?" else T * k
    s_t, o_t = tensor((rows,), "i32"), tensor((E,), "i32")
    cap = f" capacity {capacity}" if capacity else ""
    return f"""
func.func @main(%e: {e_t}) -> ({s_t}, {o_t}, {e_t}) {{
  %s, %o, %r = celeris.dispatch_map %e num_experts {E}{cap}
      : {e_t} -> {s_t}, {o_t}, {e_t}
  return %s, %o, %r : {s_t}, {o_t}, {e_t}
}}
"""


@pytest.mark.parametrize("name,make_experts,E,capacity,dynamic", [
    ("empty_experts", experts_skipping, 6, None, False),
    ("all_to_one_capacity", experts_all_to_one, 4, 5, False),
    ("out_of_range_capacity_dynamic", experts_out_of_range, 4, 3, True),
])
def test_dispatch_map(runner, tmp_path, rng, name, make_experts, E, capacity,
                      dynamic):
    T, k = 9, 2
    experts = make_experts(rng, T, k, E)
    s, o, r = run(runner, tmp_path,
                  dispatch_map_mlir("?" if dynamic else T, k, E, capacity),
                  [experts], 3, extra=PIPELINE)
    ref_s, ref_o, ref_r = ref.dispatch_map(experts, E, capacity)
    msg = f"{name}, {rng.msg}"
    check_ints(s, ref_s.astype(np.int32), "source_rows", msg)
    check_ints(o, ref_o.astype(np.int32), "offsets", msg)
    check_ints(r, ref_r.astype(np.int32), "row_map", msg)


#===------------------------------------------------------------------------===#
# celeris.grouped_matmul and celeris.combine
#===------------------------------------------------------------------------===#


def grouped_matmul_mlir(N, d, f, E, element):
    x_t, w_t = tensor((N, d), element), tensor((E, d, f), element)
    o_t, y_t = tensor((E,), "i32"), tensor((N, f), element)
    return f"""
func.func @main(%x: {x_t}, %w: {w_t}, %o: {o_t}) -> {y_t} {{
  %y = celeris.grouped_matmul %x, %w, %o : {x_t}, {w_t}, {o_t} -> {y_t}
  return %y : {y_t}
}}
"""


@pytest.mark.parametrize("name,offsets,element,tol", [
    ("empty_groups", [0, 4, 4, 9], "f32", 1e-5),
    ("rows_past_end", [3, 3, 7, 8], "f32", 1e-5),
    ("all_in_last", [0, 0, 0, 11], "f32", 1e-5),
    ("random", None, "f32", 1e-5),
    ("bf16", None, "bf16", 1e-2),
])
def test_grouped_matmul(runner, tmp_path, rng, name, offsets, element, tol):
    N, d, f, E = 11, 6, 7, 4
    if offsets is None:
        offsets = np.sort(rng.integers(0, N + 1, E))
    offsets = np.asarray(offsets, np.int32)
    dtype = BF16 if element == "bf16" else np.float32
    x = normal(rng, (N, d)).astype(dtype)
    w = normal(rng, (E, d, f)).astype(dtype)
    (y,) = run(runner, tmp_path, grouped_matmul_mlir(N, d, f, E, element),
               [x, w, offsets], 1, extra=PIPELINE)
    if element == "bf16":
        y = as_bf16(y)
    ref_y = ref.grouped_matmul(x.astype(np.float64), w.astype(np.float64),
                               offsets)
    msg = f"{name} offsets={offsets.tolist()}, {rng.msg}"
    check(y, ref_y, tol, msg)
    assert np.all(np.asarray(y, np.float64)[offsets[-1]:] == 0), msg


def grouped_swiglu_mlir(N, d, f, E, element):
    x_t, w_t = tensor((N, d), element), tensor((E, d, f), element)
    o_t, y_t = tensor((E,), "i32"), tensor((N, f), element)
    return f"""
func.func @main(%x: {x_t}, %w: {w_t}, %o: {o_t}, %u: {w_t}) -> {y_t} {{
  %y = celeris.grouped_matmul %x, %w, %o swiglu(%u : {w_t}) : {x_t}, {w_t}, {o_t} -> {y_t}
  return %y : {y_t}
}}
"""


@pytest.mark.parametrize("element,tol", [("f32", 1e-5), ("bf16", 1e-2)])
def test_grouped_matmul_swiglu(runner, tmp_path, rng, element, tol):
    N, d, f, E = 11, 6, 7, 4
    offsets = np.asarray([0, 4, 4, 9], np.int32)  # an empty group, rows past the end
    dtype = BF16 if element == "bf16" else np.float32
    x = normal(rng, (N, d)).astype(dtype)
    w = normal(rng, (E, d, f)).astype(dtype)
    u = normal(rng, (E, d, f)).astype(dtype)
    (y,) = run(runner, tmp_path, grouped_swiglu_mlir(N, d, f, E, element),
               [x, w, offsets, u], 1, extra=PIPELINE)
    if element == "bf16":
        y = as_bf16(y)
    ref_y = ref.grouped_matmul(x.astype(np.float64), w.astype(np.float64),
                               offsets, u.astype(np.float64))
    msg = f"swiglu {element}, {rng.msg}"
    check(y, ref_y, tol, msg)
    assert np.all(np.asarray(y, np.float64)[offsets[-1]:] == 0), msg


def grouped_gather_mlir(T, N, d, f, E, element, swiglu):
    x_t, w_t = tensor((T, d), element), tensor((E, d, f), element)
    o_t, s_t, y_t = tensor((E,), "i32"), tensor((N,), "i32"), tensor((N, f), element)
    up_arg = f", %u: {w_t}" if swiglu else ""
    up = f" swiglu(%u : {w_t})" if swiglu else ""
    return f"""
func.func @main(%x: {x_t}, %w: {w_t}, %o: {o_t}, %s: {s_t}{up_arg}) -> {y_t} {{
  %y = celeris.grouped_matmul %x, %w, %o gather(%s : {s_t}){up} : {x_t}, {w_t}, {o_t} -> {y_t}
  return %y : {y_t}
}}
"""


@pytest.mark.parametrize("element,tol,swiglu", [
    ("f32", 1e-5, False), ("f32", 1e-5, True), ("bf16", 1e-2, True)])
def test_grouped_matmul_gather(runner, tmp_path, rng, element, tol, swiglu):
    T, N, d, f, E = 5, 11, 6, 7, 4
    offsets = np.asarray([0, 4, 4, 9], np.int32)  # an empty group, rows past the end
    # Repeated tokens, and sources outside [0, T) that read zeros.
    source_rows = rng.integers(-2, T + 2, N).astype(np.int32)
    dtype = BF16 if element == "bf16" else np.float32
    x = normal(rng, (T, d)).astype(dtype)
    w = normal(rng, (E, d, f)).astype(dtype)
    inputs = [x, w, offsets, source_rows]
    u = None
    if swiglu:
        u = normal(rng, (E, d, f)).astype(dtype)
        inputs.append(u)
    (y,) = run(runner, tmp_path,
               grouped_gather_mlir(T, N, d, f, E, element, swiglu), inputs, 1,
               extra=PIPELINE)
    if element == "bf16":
        y = as_bf16(y)
    f64 = lambda a: None if a is None else np.asarray(a, np.float64)  # noqa
    ref_y = ref.grouped_matmul(f64(x), f64(w), offsets, f64(u),
                               source_rows=source_rows)
    msg = f"gather {element} swiglu={swiglu} sources={source_rows.tolist()}, " \
          f"{rng.msg}"
    check(y, ref_y, tol, msg)
    assert np.all(np.asarray(y, np.float64)[offsets[-1]:] == 0), msg


def combine_mlir(N, f, T, k, element, weight_element):
    y_t, w_t = tensor((N, f), element), tensor((T, k), weight_element)
    r_t, o_t = tensor((T, k), "i32"), tensor((T, f), element)
    return f"""
func.func @main(%y: {y_t}, %w: {w_t}, %r: {r_t}) -> {o_t} {{
  %o = celeris.combine %y, %w, %r : {y_t}, {w_t}, {r_t} -> {o_t}
  return %o : {o_t}
}}
"""


@pytest.mark.parametrize("element,weight_element,tol", [
    ("f32", "f32", 1e-5), ("bf16", "f32", 1e-2), ("bf16", "bf16", 1e-2)])
def test_combine_with_dropped_rows(runner, tmp_path, rng, element,
                                   weight_element, tol):
    T, k, f = 7, 3, 5
    N = T * k
    to_dtype = {"f32": np.float32, "bf16": BF16}
    # Poison the rows nobody reads: a NaN there must not leak.
    y = normal(rng, (N, f))
    row_map = rng.gen.permutation(N)[:T * k].reshape(T, k).astype(np.int32)
    row_map[rng.gen.random((T, k)) < 0.3] = -1
    row_map[1] = -1  # a token with nothing kept gets 0
    unread = np.setdiff1d(np.arange(N), row_map[row_map >= 0])
    y[unread] = np.nan
    y = y.astype(to_dtype[element])
    weights = normal(rng, (T, k)).astype(to_dtype[weight_element])
    (out,) = run(runner, tmp_path, combine_mlir(N, f, T, k, element,
                                                 weight_element),
                 [y, weights, row_map], 1, extra=PIPELINE)
    if element == "bf16":
        out = as_bf16(out)
    ref_out = ref.combine(np.nan_to_num(y.astype(np.float64)),
                          weights.astype(np.float64), row_map)
    msg = f"{element}/{weight_element} unread={unread.tolist()}, {rng.msg}"
    check(out, ref_out, tol, msg)
    assert np.all(np.asarray(out, np.float64)[1] == 0), msg


#===------------------------------------------------------------------------===#
# celeris.moe (through celeris-decompose-composites' patterns)
#===------------------------------------------------------------------------===#


def moe_mlir(T, d, E, f, fs, k, element, router_element, attrs, bias, shared):
    x_t = tensor((T, d), element)
    r_t = tensor((d, E), router_element)
    wg_t, wd_t = tensor((E, d, f), element), tensor((E, f, d), element)
    b_t = tensor((E,), "f32")
    sg_t, sd_t = tensor((d, fs), element), tensor((fs, d), element)
    args = [f"%x: {x_t}", f"%r: {r_t}", f"%wg: {wg_t}", f"%wu: {wg_t}",
            f"%wd: {wd_t}"]
    clauses = ""
    if bias:
        args.append(f"%b: {b_t}")
        clauses += f" bias(%b : {b_t})"
    if shared:
        args += [f"%sg: {sg_t}", f"%su: {sg_t}", f"%sd: {sd_t}"]
        clauses += f" shared(%sg, %su, %sd : {sg_t}, {sg_t}, {sd_t})"
    return f"""
func.func @main({", ".join(args)}) -> {x_t} {{
  %o = celeris.moe %x, %r, %wg, %wu, %wd{clauses} k {k} {attrs}
      : {x_t}, {r_t}, {wg_t}, {wg_t}, {wd_t} -> {x_t}
  return %o : {x_t}
}}
"""


MOE_CASES = [
    # (name, element, router element, shared, capacity, dynamic T, routing)
    ("f32", "f32", "f32", False, None, False, {}),
    ("f32_shared", "f32", "f32", True, None, False,
     dict(score_func="sigmoid", renormalize=True, scaling_factor=2.0)),
    ("f32_capacity", "f32", "f32", False, 2, False, dict(renormalize=True)),
    ("f32_groups_bias_shared_capacity_dynamic", "f32", "f32", True, 2, True,
     dict(score_func="sigmoid", renormalize=True, num_groups=4,
          topk_groups=2, scaling_factor=1.5, bias=True)),
    ("bf16", "bf16", "bf16", False, None, False, {}),
    ("bf16_shared_capacity_f32_router", "bf16", "f32", True, 1, False,
     dict(score_func="sigmoid", renormalize=True, bias=True)),
]


# The layer as the GPU pipeline rewrites it: the dispatch fused into the
# grouped matmuls, which gather the token rows.
FUSED = ["--pre-pipeline=celeris-decompose-composites,celeris-fuse-dispatch,"
         "convert-celeris-to-linalg"]


@pytest.mark.parametrize("fused", [False, True], ids=["", "fused"])
@pytest.mark.parametrize("case", MOE_CASES, ids=[c[0] for c in MOE_CASES])
def test_moe(runner, tmp_path, rng, case, fused):
    name, element, router_element, shared, capacity, dynamic, routing = case
    routing = dict(routing)
    # T * k = 20 assignments over 8 experts: some expert gets at least 3, so
    # every capacity below 3 drops assignments.
    T, d, E, f, fs, k = 10, 16, 8, 12, 10, 2
    dtype = {"f32": np.float32, "bf16": BF16}
    x = normal(rng, (T, d)).astype(dtype[element])
    router = normal(rng, (d, E)).astype(dtype[router_element])
    w_gate = normal(rng, (E, d, f), d ** -0.5).astype(dtype[element])
    w_up = normal(rng, (E, d, f), d ** -0.5).astype(dtype[element])
    w_down = normal(rng, (E, f, d), f ** -0.5).astype(dtype[element])
    inputs = [x, router, w_gate, w_up, w_down]
    bias = None
    if routing.pop("bias", False):
        bias = normal(rng, (E,), 0.3)
        inputs.append(bias)
    shared_weights = None
    if shared:
        shared_weights = (normal(rng, (d, fs), d ** -0.5).astype(dtype[element]),
                          normal(rng, (d, fs), d ** -0.5).astype(dtype[element]),
                          normal(rng, (fs, d), fs ** -0.5).astype(dtype[element]))
        inputs += list(shared_weights)

    attrs = []
    if routing.get("score_func"):
        attrs.append(f"score_func {routing['score_func']}")
    if routing.get("renormalize"):
        attrs.append("renormalize")
    if "num_groups" in routing:
        attrs.append(f"num_groups {routing['num_groups']} "
                     f"topk_groups {routing['topk_groups']}")
    if "scaling_factor" in routing:
        attrs.append(f"scaling_factor {routing['scaling_factor']!r}")
    if capacity:
        attrs.append(f"capacity {capacity}")
    mlir = moe_mlir("?" if dynamic else T, d, E, f, fs, k, element,
                    router_element, " ".join(attrs), bias is not None, shared)
    if fused:
        # The rewrite the run depends on happens.
        opt = subprocess.run(
            [str(Path(runner).with_name("celeris-opt")), "-",
             "-celeris-decompose-composites", "-celeris-fuse-dispatch"],
            input=mlir, capture_output=True, text=True, timeout=60)
        assert opt.returncode == 0, opt.stderr
        assert "celeris.dispatch_map" in opt.stdout, opt.stdout
        assert "gather(" in opt.stdout, opt.stdout
    (out,) = run(runner, tmp_path, mlir, inputs, 1,
                 extra=FUSED if fused else PIPELINE)
    if element == "bf16":
        out = as_bf16(out)

    f64 = lambda a: None if a is None else np.asarray(a, np.float64)  # noqa
    ref_out = ref.moe(f64(x), f64(router), f64(w_gate), f64(w_up),
                      f64(w_down), k, bias=bias,
                      shared=None if shared_weights is None
                      else tuple(map(f64, shared_weights)),
                      capacity=capacity, **routing)
    tol = 1e-2 if element == "bf16" else 1e-5
    msg = f"{name}, {rng.msg}"
    if capacity:
        # The case must drop something, or it does not test the capacity.
        _, idx = ref.route(f64(x) @ f64(router), k, bias=bias, **routing)
        assert np.bincount(idx.ravel(), minlength=E).max() > capacity, msg
    check(out, ref_out, tol, msg)
