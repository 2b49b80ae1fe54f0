"""Differential tests of celeris-tile-attention (the online-softmax tiling)
on the CPU.

Each test builds a celeris.attention function, tiles it with small tiles
(q-tile 16, kv-tile 32, so that every case has several tiles, ragged last
tiles, and tiles of each class: empty, full and partial), lowers what is left
with the reference lowering, runs it with celeris-run on fresh random inputs
and compares output and lse with the float64 reference in celeris_ref:
||out - ref|| / ||ref|| <= 1e-5 in f32; lse must be -inf exactly on the
fully masked rows and close elsewhere; NaN never passes.
"""

import ml_dtypes
import numpy as np
import pytest

from celeris_ref.attention import attention as reference_attention
from test_celeris_run import check, rng, run, runner  # noqa: F401 (fixtures)

PIPELINE = ("--pre-pipeline=celeris-tile-attention{q-tile=16 kv-tile=32},"
            "convert-celeris-to-linalg")

TEMPLATE = """
func.func @main(%q: tensor<{B}x{HQ}x{SQT}x{D}x{T}>, %k: tensor<{B}x{HKV}x{SKT}x{D}x{T}>,
                %v: tensor<{B}x{HKV}x{SKT}x{DV}x{T}>)
    -> (tensor<{B}x{HQ}x{SQT}x{DV}x{T}>, tensor<{B}x{HQ}x{SQT}xf32>) {{
  %o, %lse = celeris.attention %q, %k, %v {attrs}
      : tensor<{B}x{HQ}x{SQT}x{D}x{T}>, tensor<{B}x{HKV}x{SKT}x{D}x{T}>,
        tensor<{B}x{HKV}x{SKT}x{DV}x{T}>
      -> tensor<{B}x{HQ}x{SQT}x{DV}x{T}>, tensor<{B}x{HQ}x{SQT}xf32>
  return %o, %lse : tensor<{B}x{HQ}x{SQT}x{DV}x{T}>, tensor<{B}x{HQ}x{SQT}xf32>
}}
"""

SINK_WINDOW = "intersect(causal, union(sink<4>, window<left = 23, right = 0>))"

CASES = [
    # (name, B, HQ, HKV, SQ, SK, D, DV, mask, extra attributes)
    ("full_ragged", 2, 2, 2, 37, 45, 32, 16, None, ""),
    ("causal_gqa4", 1, 8, 2, 45, 45, 32, 32, "causal", ""),
    ("causal_prefill_chunk", 1, 4, 2, 19, 83, 32, 32, "causal", ""),
    ("decode", 2, 4, 1, 1, 97, 32, 32, "causal", ""),
    ("sliding_window", 1, 2, 1, 130, 130, 16, 16,
     "intersect(causal, window<left = 20, right = 0>)", ""),
    ("sink_window", 1, 4, 2, 100, 100, 32, 32, SINK_WINDOW, ""),
    ("chunked", 1, 2, 2, 70, 70, 16, 16, "intersect(causal, chunked<24>)", ""),
    ("fully_masked_rows", 1, 2, 2, 40, 37, 32, 32, "causal", "query_offset -20"),
    ("prefix_global_dilated", 1, 2, 1, 50, 66, 16, 16,
     "union(prefix<6>, global<[3, 40]>, dilated<rate = 2, segment = 8>)", ""),
    ("block_causal_softcap", 1, 2, 2, 33, 33, 32, 32, "block_causal<8>",
     "scale 0.2 softcap 5.0"),
    ("strided_window", 1, 2, 2, 48, 48, 16, 16,
     "union(strided<7>, window<left = 3, right = 3>)", ""),
    # Key ranges that narrow the key/value loop from both sides.
    ("dilated", 1, 2, 1, 90, 90, 16, 16, "dilated<rate = 2, segment = 40>", ""),
    ("window_lookahead_offset", 1, 2, 2, 50, 120, 16, 16,
     "window<left = 20, right = 23>", "query_offset 35"),
    ("prefix_beyond_diagonal", 1, 2, 2, 40, 90, 16, 16, "prefix<70>", "query_offset 0"),
    ("window_union_chunk", 1, 2, 1, 77, 77, 16, 16,
     "union(window<left = 5, right = 0>, intersect(causal, chunked<32>))", ""),
]


def build(name, B, HQ, HKV, SQ, SK, D, DV, mask, extra, T="f32", dynamic=False):
    attrs = (f"mask <{mask}> " if mask else "") + extra
    return TEMPLATE.format(B=B, HQ=HQ, HKV=HKV, D=D, DV=DV, T=T, attrs=attrs,
                           SQT="?" if dynamic else SQ,
                           SKT="?" if dynamic else SK)


def reference(q, k, v, mask, extra):
    kwargs = {}
    if "scale" in extra:
        kwargs["scale"] = 0.2
    if "softcap" in extra:
        kwargs["softcap"] = 5.0
    if "query_offset" in extra:
        kwargs["query_offset"] = int(extra.split("query_offset")[1])
    return reference_attention(
        q.astype(np.float64), k.astype(np.float64), v.astype(np.float64),
        mask=f"<{mask}>" if mask else None, return_lse=True, **kwargs)


def compare(out, lse, ref_out, ref_lse, out_tol, msg):
    masked_rows = np.isneginf(ref_lse)
    assert not np.any(np.isnan(lse)), f"NaN lse; {msg}"
    assert np.array_equal(np.isneginf(lse), masked_rows), f"-inf rows differ; {msg}"
    assert np.all(out[masked_rows] == 0), f"fully masked rows not 0; {msg}"
    if np.linalg.norm(ref_out) == 0:
        assert np.all(out == 0), msg
    else:
        check(out, ref_out, out_tol, msg)
    if (~masked_rows).any():
        check(lse[~masked_rows], ref_lse[~masked_rows], 1e-5, msg)


def inputs(rng, B, HQ, HKV, SQ, SK, D, DV, dtype=np.float32):
    return [rng.standard_normal(shape).astype(dtype) for shape in
            ((B, HQ, SQ, D), (B, HKV, SK, D), (B, HKV, SK, DV))]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_tiled_attention_matches_reference(runner, tmp_path, rng, case):
    name, B, HQ, HKV, SQ, SK, D, DV, mask, extra = case
    q, k, v = inputs(rng, B, HQ, HKV, SQ, SK, D, DV)
    out, lse = run(runner, tmp_path, build(*case), [q, k, v], 2,
                   extra=[PIPELINE])
    ref_out, ref_lse = reference(q, k, v, mask, extra)
    if name == "fully_masked_rows":
        assert np.isneginf(ref_lse).any(), "the case must mask whole rows"
    compare(out, lse, ref_out, ref_lse, 1e-5, f"{name}, {rng.msg}")


@pytest.mark.parametrize("case", [CASES[2], CASES[5], CASES[7]],
                         ids=["causal_prefill_chunk", "sink_window",
                              "fully_masked_rows"])
def test_dynamic_lengths(runner, tmp_path, rng, case):
    """Dynamic Sq and Sk: tile sizes, default offset and tile classes are
    computed at run time."""
    name, B, HQ, HKV, SQ, SK, D, DV, mask, extra = case
    q, k, v = inputs(rng, B, HQ, HKV, SQ, SK, D, DV)
    out, lse = run(runner, tmp_path, build(*case, dynamic=True), [q, k, v], 2,
                   extra=[PIPELINE])
    ref_out, ref_lse = reference(q, k, v, mask, extra)
    compare(out, lse, ref_out, ref_lse, 1e-5, f"{name} (dynamic), {rng.msg}")


def test_bf16(runner, tmp_path, rng):
    """bf16 operands, f32 math: the output is the f32 result rounded to bf16
    (relative error at most 2^-9 per element), lse stays f32."""
    case = CASES[5]
    name, B, HQ, HKV, SQ, SK, D, DV, mask, extra = case
    q, k, v = inputs(rng, B, HQ, HKV, SQ, SK, D, DV, ml_dtypes.bfloat16)
    out, lse = run(runner, tmp_path, build(*case, T="bf16"), [q, k, v], 2,
                   extra=[PIPELINE])
    out = out.view(ml_dtypes.bfloat16)
    ref_out, ref_lse = reference(q, k, v, mask, extra)
    compare(out.astype(np.float64), lse, ref_out, ref_lse, 2.0**-8,
            f"{name} (bf16), {rng.msg}")

