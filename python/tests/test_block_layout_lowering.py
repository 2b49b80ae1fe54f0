"""Differential tests of the reference lowering of celeris.mask_block_layout
and celeris.topk_blocks on the CPU.

Each test runs a small function through celeris-run with
convert-celeris-to-linalg (fresh random inputs, poisoned outputs) and
compares the layouts exactly with the float64 references of celeris_ref:
counts and the whole index tensor (including the zeros after each count).
"""

import ml_dtypes
import numpy as np
import pytest

from celeris_ref.attention import mask_block_layout as reference_mask_block_layout
from celeris_ref.attention import topk_blocks as reference_topk_blocks
from test_celeris_run import rng, run, runner  # noqa: F401 (fixtures)

# q_len and kv_len come from the dimensions of a dummy input, so the static
# cases use constant lengths and the dynamic ones tensor.dim.
MASK_BLOCK_LAYOUT_STATIC = """
func.func @main(%unused: tensor<1xf32>) -> (tensor<1x1x{NQB}xi32>, tensor<1x1x{NQB}x{NKB}xi32>) {{
  %sq = arith.constant {SQ} : index
  %sk = arith.constant {SK} : index
  %c, %i = celeris.mask_block_layout %sq, %sk mask <{mask}> block_size [{BQ}, {BK}] {offset}
      : tensor<1x1x{NQB}xi32>, tensor<1x1x{NQB}x{NKB}xi32>
  return %c, %i : tensor<1x1x{NQB}xi32>, tensor<1x1x{NQB}x{NKB}xi32>
}}
"""

MASK_BLOCK_LAYOUT_DYNAMIC = """
func.func @main(%lengths: tensor<?x?xf32>) -> (tensor<1x1x?xi32>, tensor<1x1x?x?xi32>) {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %sq = tensor.dim %lengths, %c0 : tensor<?x?xf32>
  %sk = tensor.dim %lengths, %c1 : tensor<?x?xf32>
  %c, %i = celeris.mask_block_layout %sq, %sk mask <{mask}> block_size [{BQ}, {BK}] {offset}
      : tensor<1x1x?xi32>, tensor<1x1x?x?xi32>
  return %c, %i : tensor<1x1x?xi32>, tensor<1x1x?x?xi32>
}}
"""

LAYOUT_CASES = [
    # (name, q_len, kv_len, mask, [bq, bk], query_offset)
    ("causal", 70, 90, "causal", [16, 32], None),
    ("causal_square", 37, 37, "causal", [8, 8], None),
    ("causal_top_left_empty_rows", 20, 20, "causal", [4, 4], -12),
    ("window", 50, 61, "window<left = 9, right = 2>", [7, 5], 3),
    ("sink_window", 45, 45,
     "intersect(causal, union(sink<4>, window<left = 11, right = 0>))", [8, 8], None),
    ("chunked", 33, 47, "chunked<10>", [6, 9], 5),
    ("dilated_block_causal", 41, 41,
     "union(dilated<rate = 3, segment = 12>, block_causal<5>)", [4, 6], None),
    ("decode_window", 1, 77, "window<left = 20, right = 0>", [1, 8], None),
]


@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "dynamic"])
@pytest.mark.parametrize("case", LAYOUT_CASES, ids=[c[0] for c in LAYOUT_CASES])
def test_mask_block_layout_matches_reference(runner, tmp_path, case, dynamic):
    name, sq, sk, mask, (bq, bk), offset = case
    nqb, nkb = -(-sq // bq), -(-sk // bk)
    template = MASK_BLOCK_LAYOUT_DYNAMIC if dynamic else MASK_BLOCK_LAYOUT_STATIC
    mlir = template.format(SQ=sq, SK=sk, NQB=nqb, NKB=nkb, BQ=bq, BK=bk, mask=mask,
                           offset="" if offset is None else f"query_offset {offset}")
    dummy = np.zeros((sq, sk) if dynamic else (1,), np.float32)
    counts, indices = run(runner, tmp_path, mlir, [dummy], 2,
                          extra=["--pre-pipeline=convert-celeris-to-linalg"])
    ref_counts, ref_indices = reference_mask_block_layout(
        sq, sk, f"<{mask}>", [bq, bk], query_offset=offset)
    assert counts.dtype == np.int32 and indices.dtype == np.int32, name
    assert np.array_equal(counts, ref_counts), f"{name}: counts\n{counts}\n!=\n{ref_counts}"
    assert np.array_equal(indices, ref_indices), f"{name}: indices\n{indices}\n!=\n{ref_indices}"


TOPK = """
func.func @main(%s: tensor<{B}x{H}x{NQB}x{NKB}x{T}>)
    -> (tensor<{B}x{H}x{NQB}xi32>, tensor<{B}x{H}x{NQB}x{K}xi32>) {{
  %c, %i = celeris.topk_blocks %s k {K} {attrs}
      : tensor<{B}x{H}x{NQB}x{NKB}x{T}> -> tensor<{B}x{H}x{NQB}xi32>, tensor<{B}x{H}x{NQB}x{K}xi32>
  return %c, %i : tensor<{B}x{H}x{NQB}xi32>, tensor<{B}x{H}x{NQB}x{K}xi32>
}}
"""

TOPK_CASES = [
    # (name, B, H, NQB, NKB, k, dtype, scores, mask, [bq, bk], query_offset)
    ("distinct", 2, 3, 5, 8, 3, "f32", "normal", None, None, None),
    ("ties", 2, 2, 6, 9, 4, "f32", "ties", None, None, None),
    ("nan", 1, 3, 7, 6, 3, "f32", "nan", None, None, None),
    ("k_equals_blocks", 1, 2, 4, 5, 5, "f32", "nan", None, None, None),
    ("causal_bottom_right", 2, 2, 6, 8, 3, "f32", "normal", "causal", [4, 4], None),
    ("causal_offset0_ties", 1, 2, 9, 4, 2, "f32", "ties", "causal", [1, 16], 0),
    ("causal_nan_inf", 1, 3, 8, 8, 3, "f32", "nan_inf", "causal", [8, 8], 0),
    ("window_bf16_ties", 2, 2, 5, 7, 2, "bf16", "ties",
     "window<left = 9, right = 0>", [4, 4], 2),
]


def topk_scores(rng, shape, kind):
    s = rng.standard_normal(shape)
    if kind == "ties":
        s = np.round(s)  # few distinct values: many ties
    if kind in ("nan", "nan_inf"):
        s[rng.standard_normal(shape) > 0.6] = np.nan
        s[0, 0, 1, :] = np.nan  # a row without any candidate
    if kind == "nan_inf":
        s[rng.standard_normal(shape) > 1.2] = -np.inf
        s[rng.standard_normal(shape) > 1.2] = np.inf
    return s


@pytest.mark.parametrize("case", TOPK_CASES, ids=[c[0] for c in TOPK_CASES])
def test_topk_blocks_matches_reference(runner, tmp_path, rng, case):
    name, B, H, nqb, nkb, k, T, kind, mask, block, offset = case
    scores = topk_scores(rng, (B, H, nqb, nkb), kind)
    scores = scores.astype(ml_dtypes.bfloat16 if T == "bf16" else np.float32)
    attrs = ""
    if mask:
        attrs = f"mask <{mask}> block_size [{block[0]}, {block[1]}]"
        if offset is not None:
            attrs += f" query_offset {offset}"
    mlir = TOPK.format(B=B, H=H, NQB=nqb, NKB=nkb, K=k, T=T, attrs=attrs)
    counts, indices = run(runner, tmp_path, mlir, [scores], 2,
                          extra=["--pre-pipeline=convert-celeris-to-linalg"])
    ref_counts, ref_indices = reference_topk_blocks(
        scores.astype(np.float64), k, mask=f"<{mask}>" if mask else None,
        block_size=block, query_offset=offset)
    msg = f"{name}, {rng.msg}"
    assert counts.dtype == np.int32 and indices.dtype == np.int32, msg
    assert np.array_equal(counts, ref_counts), f"counts differ; {msg}\n{counts}\n{ref_counts}"
    assert np.array_equal(indices, ref_indices), f"indices differ; {msg}\n{indices}\n{ref_indices}"
