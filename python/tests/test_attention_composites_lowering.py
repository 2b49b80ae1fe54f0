"""Differential tests of the decomposition of celeris.mla and celeris.nsa.

convert-celeris-to-linalg runs the composite decompositions first, then the
reference lowering of the primitives they produce. Each test runs a small
function through celeris-run on fresh random inputs (outputs poisoned) and
compares with the float64 references of celeris_ref:
||out - ref|| / ||ref|| <= 1e-5 in f32 and 1e-2 in bf16; NaN never passes.
The bf16 references read the same bf16-rounded inputs.
"""

import ml_dtypes
import numpy as np
import pytest

from celeris_ref.attention import mla as reference_mla
from celeris_ref.attention import nsa as reference_nsa
from test_celeris_run import check, rng, run, runner  # noqa: F401 (fixtures)

TOL = {"f32": 1e-5, "bf16": 1e-2}
NP_TYPE = {"f32": np.float32, "bf16": ml_dtypes.bfloat16}
PIPELINE = ["--pre-pipeline=convert-celeris-to-linalg"]


def inputs(rng, T, *shapes):
    return [rng.standard_normal(s).astype(NP_TYPE[T]) for s in shapes]


def f64(xs):
    return [x.astype(np.float64) for x in xs]


def as_float(x, T):
    """np.load keeps ml_dtypes.bfloat16 as the 2-byte void dtype '<V2'."""
    return x.view(ml_dtypes.bfloat16).astype(np.float64) if T == "bf16" else x


MLA = """
func.func @main(%qn: tensor<{B}x{H}x{SQ}x{DN}x{T}>, %qr: tensor<{B}x{H}x{SQ}x{DR}x{T}>,
                %c: tensor<{B}x{SK}x{DL}x{T}>, %kr: tensor<{B}x{SK}x{DR}x{T}>,
                %wuk: tensor<{H}x{DL}x{DN}x{T}>, %wuv: tensor<{H}x{DL}x{DV}x{T}>)
    -> ({results}) {{
  {names} = celeris.mla %qn, %qr, %c, %kr {attrs}
      up_proj(%wuk, %wuv : tensor<{H}x{DL}x{DN}x{T}>, tensor<{H}x{DL}x{DV}x{T}>) :
      tensor<{B}x{H}x{SQ}x{DN}x{T}>, tensor<{B}x{H}x{SQ}x{DR}x{T}>,
      tensor<{B}x{SK}x{DL}x{T}>, tensor<{B}x{SK}x{DR}x{T}> -> {results}
  return {names} : {results}
}}
"""

MLA_CASES = [
    # (name, T, lse, B, H, SQ, SK, DN, DR, DL, DV, mask, scale, query_offset)
    ("prefill_causal_lse", "f32", True, 2, 3, 13, 13, 16, 8, 24, 12, "causal", None, None),
    ("decode_causal", "f32", False, 2, 4, 1, 37, 16, 8, 32, 16, "causal", None, None),
    ("unmasked_scale", "f32", True, 1, 2, 5, 9, 8, 4, 16, 8, None, 0.3, None),
    ("chunk_window_offset", "f32", True, 1, 2, 7, 30, 16, 8, 16, 16,
     "window<left = 5, right = 0>", None, 11),
    ("top_left_fully_masked", "f32", True, 1, 2, 9, 9, 8, 8, 16, 8, "causal", None, -4),
    ("bf16_prefill_lse", "bf16", True, 1, 4, 11, 11, 16, 8, 32, 16, "causal", None, None),
    ("bf16_decode", "bf16", False, 2, 2, 1, 40, 16, 8, 32, 16, "causal", None, None),
]


@pytest.mark.parametrize("case", MLA_CASES, ids=[c[0] for c in MLA_CASES])
def test_mla_matches_reference(runner, tmp_path, rng, case):
    name, T, want_lse, B, H, SQ, SK, DN, DR, DL, DV, mask, scale, offset = case
    args = inputs(rng, T, (B, H, SQ, DN), (B, H, SQ, DR), (B, SK, DL), (B, SK, DR),
                  (H, DL, DN), (H, DL, DV))
    # Keep the logits O(1): the up-projected keys have norm ~ sqrt(DL * DN).
    args[4] = (args[4].astype(np.float32) / np.sqrt(DL)).astype(NP_TYPE[T])
    out_type = f"tensor<{B}x{H}x{SQ}x{DV}x{T}>"
    results = out_type + (f", tensor<{B}x{H}x{SQ}xf32>" if want_lse else "")
    attrs = ((f"mask <{mask}> " if mask else "") +
             (f"scale {scale} " if scale is not None else "") +
             (f"query_offset {offset}" if offset is not None else ""))
    mlir = MLA.format(B=B, H=H, SQ=SQ, SK=SK, DN=DN, DR=DR, DL=DL, DV=DV, T=T,
                      attrs=attrs, results=results,
                      names="%o, %lse" if want_lse else "%o")
    outs = run(runner, tmp_path, mlir, args, 2 if want_lse else 1, extra=PIPELINE)
    ref = reference_mla(*f64(args), mask=f"<{mask}>" if mask else None, scale=scale,
                        query_offset=offset, return_lse=True)
    msg = f"{name}, {rng.msg}"
    masked_rows = np.isneginf(ref[1])
    out = as_float(outs[0], T)
    assert np.all(out[masked_rows] == 0), f"fully masked rows not 0; {msg}"
    check(out, ref[0], TOL[T], msg)
    if want_lse:
        lse = outs[1]
        assert not np.any(np.isnan(lse)), f"NaN lse; {msg}"
        assert np.array_equal(np.isneginf(lse), masked_rows), f"-inf rows differ; {msg}"
        check(lse[~masked_rows], ref[1][~masked_rows], TOL[T], msg)


NSA = """
func.func @main(%q: tensor<{B}x{HQ}x{S}x{D}x{T}>, %k: tensor<{B}x{HKV}x{S}x{D}x{T}>,
                %v: tensor<{B}x{HKV}x{S}x{DV}x{T}>, %kc: tensor<{B}x{HKV}x{SC}x{D}x{T}>,
                %vc: tensor<{B}x{HKV}x{SC}x{DV}x{T}>, %g: tensor<{B}x{HQ}x{S}x3x{T}>)
    -> tensor<{B}x{HQ}x{S}x{DV}x{T}> {{
  %o = celeris.nsa %q, %k, %v
      compressed(%kc, %vc : tensor<{B}x{HKV}x{SC}x{D}x{T}>, tensor<{B}x{HKV}x{SC}x{DV}x{T}>)
      gates(%g : tensor<{B}x{HQ}x{S}x3x{T}>)
      cmp_block {L} cmp_stride {STRIDE} select_block {LS} select_count {N} window {W} {attrs}
      : tensor<{B}x{HQ}x{S}x{D}x{T}>, tensor<{B}x{HKV}x{S}x{D}x{T}>,
        tensor<{B}x{HKV}x{S}x{DV}x{T}> -> tensor<{B}x{HQ}x{S}x{DV}x{T}>
  return %o : tensor<{B}x{HQ}x{S}x{DV}x{T}>
}}
"""

NSA_CASES = [
    # (name, T, B, HQ, HKV, S, D, DV, l, d, l', n, w, scale)
    ("gqa2", "f32", 1, 4, 2, 70, 16, 16, 8, 4, 16, 2, 12, None),
    ("mqa_stride8", "f32", 2, 2, 1, 99, 8, 12, 16, 8, 16, 3, 20, None),
    ("stride1_scale", "f32", 1, 2, 2, 64, 16, 8, 4, 1, 8, 3, 7, 0.2),
    ("all_blocks", "f32", 1, 2, 1, 75, 8, 8, 8, 4, 8, 16, 9, None),
    ("bf16", "bf16", 1, 4, 2, 90, 16, 16, 8, 4, 16, 2, 16, None),
]


@pytest.mark.parametrize("case", NSA_CASES, ids=[c[0] for c in NSA_CASES])
def test_nsa_matches_reference(runner, tmp_path, rng, case):
    name, T, B, HQ, HKV, S, D, DV, l, d, ls, n, w, scale = case
    SC = (S - l) // d + 1 if S >= l else 0
    q, k, v, kc, vc = inputs(rng, T, (B, HQ, S, D), (B, HKV, S, D), (B, HKV, S, DV),
                             (B, HKV, SC, D), (B, HKV, SC, DV))
    gates = (1 / (1 + np.exp(-rng.standard_normal((B, HQ, S, 3))))).astype(NP_TYPE[T])
    mlir = NSA.format(B=B, HQ=HQ, HKV=HKV, S=S, D=D, DV=DV, SC=SC, T=T, L=l, STRIDE=d,
                      LS=ls, N=n, W=w, attrs=f"scale {scale}" if scale is not None else "")
    (out,) = run(runner, tmp_path, mlir, [q, k, v, kc, vc, gates], 1, extra=PIPELINE)
    ref = reference_nsa(*f64([q, k, v, kc, vc, gates]), cmp_block=l, cmp_stride=d,
                        select_block=ls, select_count=n, window=w, scale=scale)
    check(as_float(out, T), ref, TOL[T], f"{name}, {rng.msg}")
