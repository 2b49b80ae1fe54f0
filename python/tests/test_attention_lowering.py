"""Differential tests of the attention reference lowering on the CPU.

Each test builds a small celeris.attention function, runs it through
celeris-run with convert-celeris-to-linalg on fresh random inputs, and
compares output and lse with the independent float64 reference in
celeris_ref: ||out - ref|| / ||ref|| <= 1e-5 in f32; lse must match exactly
where it is -inf (fully masked rows) and closely elsewhere; NaN never passes.
"""

import numpy as np
import pytest

from celeris_ref.attention import attention as reference_attention
from test_celeris_run import check, rng, run, runner  # noqa: F401 (fixtures)

TEMPLATE = """
func.func @main(%q: tensor<{B}x{HQ}x{SQ}x{D}xf32>, %k: tensor<{B}x{HKV}x{SK}x{D}xf32>,
                %v: tensor<{B}x{HKV}x{SK}x{DV}xf32>)
    -> (tensor<{B}x{HQ}x{SQ}x{DV}xf32>, tensor<{B}x{HQ}x{SQ}xf32>) {{
  %o, %lse = celeris.attention %q, %k, %v {attrs}
      : tensor<{B}x{HQ}x{SQ}x{D}xf32>, tensor<{B}x{HKV}x{SK}x{D}xf32>,
        tensor<{B}x{HKV}x{SK}x{DV}xf32>
      -> tensor<{B}x{HQ}x{SQ}x{DV}xf32>, tensor<{B}x{HQ}x{SQ}xf32>
  return %o, %lse : tensor<{B}x{HQ}x{SQ}x{DV}xf32>, tensor<{B}x{HQ}x{SQ}xf32>
}}
"""

CASES = [
    # (name, B, HQ, HKV, SQ, SK, D, DV, mask, extra attributes)
    ("full", 2, 4, 4, 37, 37, 32, 32, None, ""),
    ("causal_gqa4", 1, 8, 2, 45, 45, 64, 32, "causal", ""),
    ("decode", 2, 4, 1, 1, 97, 32, 32, "causal", ""),
    ("prefill_chunk", 1, 4, 2, 19, 61, 32, 32, "causal", ""),
    ("top_left_fully_masked", 1, 2, 2, 23, 17, 32, 32, "causal", "query_offset -5"),
    ("sink_window", 1, 4, 2, 64, 64, 32, 32,
     "intersect(causal, union(sink<4>, window<left = 7, right = 0>))", ""),
    ("dilated_strided", 1, 2, 1, 50, 50, 32, 32,
     "union(dilated<rate = 2, segment = 8>, strided<5>)", ""),
    ("prefix_global_chunked", 1, 2, 2, 40, 40, 32, 32,
     "union(prefix<6>, global<[3, 30]>, intersect(causal, chunked<16>))", ""),
    ("block_causal_softcap", 1, 2, 2, 33, 33, 32, 32, "block_causal<8>",
     "scale 0.2 softcap 5.0"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_attention_matches_reference(runner, tmp_path, rng, case):
    name, B, HQ, HKV, SQ, SK, D, DV, mask, extra = case
    q = rng.standard_normal((B, HQ, SQ, D)).astype(np.float32)
    k = rng.standard_normal((B, HKV, SK, D)).astype(np.float32)
    v = rng.standard_normal((B, HKV, SK, DV)).astype(np.float32)
    attrs = (f"mask <{mask}> " if mask else "") + extra
    mlir = TEMPLATE.format(B=B, HQ=HQ, HKV=HKV, SQ=SQ, SK=SK, D=D, DV=DV, attrs=attrs)
    out, lse = run(runner, tmp_path, mlir, [q, k, v], 2,
                   extra=["--pre-pipeline=convert-celeris-to-linalg"])

    kwargs = {}
    if "scale" in extra:
        kwargs["scale"] = 0.2
    if "softcap" in extra:
        kwargs["softcap"] = 5.0
    if "query_offset" in extra:
        kwargs["query_offset"] = int(extra.split("query_offset")[1])
    ref_out, ref_lse = reference_attention(
        q.astype(np.float64), k.astype(np.float64), v.astype(np.float64),
        mask=f"<{mask}>" if mask else None, return_lse=True, **kwargs)

    msg = f"{name}, {rng.msg}"
    if np.linalg.norm(ref_out) == 0:
        assert np.all(out == 0), msg
    else:
        check(out, ref_out, 1e-5, msg)
    masked_rows = np.isneginf(ref_lse)
    assert np.array_equal(np.isneginf(lse), masked_rows), f"-inf rows differ; {msg}"
    assert not np.any(np.isnan(lse)), f"NaN lse; {msg}"
    assert np.all(out[masked_rows] == 0), f"fully masked rows not 0; {msg}"
    if (~masked_rows).any():
        check(lse[~masked_rows], ref_lse[~masked_rows], 1e-5, msg)
