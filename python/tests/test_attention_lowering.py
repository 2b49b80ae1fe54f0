"""Differential tests of the attention reference lowering on the CPU.

Each test builds a small celeris.attention function, runs it through
celeris-run with convert-celeris-to-linalg on fresh random inputs, and
compares output and lse with the independent float64 reference in
celeris_ref: ||out - ref|| / ||ref|| <= 1e-5 in f32 and 1e-2 in bf16 (the
reference reads the same bf16 inputs); lse must match exactly where it is
-inf (fully masked rows) and closely elsewhere; NaN never passes.

The cases cover every mask form, then every structure operand (ALiBi,
segment ids, varlen, block layouts with garbage past the counts, kv_lengths,
page tables with NaN in unused cache slots), GQA ratios 1/4/8, head dims
32-128 and dynamic head counts, each with fully masked rows where the form
can produce them.
"""

import ml_dtypes
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


# ---------------------------------------------------------------------------
# Structure operands: ALiBi, segment ids, varlen, block layouts, kv_lengths,
# page tables, GQA ratios and head dims, dynamic head counts, bf16.
# ---------------------------------------------------------------------------

# The op's structure clauses, in assembly order, with their operands (named
# as the keyword arguments of reference_attention).
STRUCTURE = [
    ("alibi", ["alibi_slopes"]),
    ("segment_ids", ["q_segment_ids", "kv_segment_ids"]),
    ("varlen", ["cu_seqlens_q", "cu_seqlens_kv"]),
    ("block_layout", ["block_counts", "block_indices"]),
    ("kv_lengths", ["kv_lengths"]),
    ("page_table", ["page_table"]),
]


def element_type(x):
    if x.dtype == ml_dtypes.bfloat16:
        return "bf16"
    return {np.dtype(np.float32): "f32", np.dtype(np.int32): "i32"}[x.dtype]


def tensor_type(x, dynamic_dims=()):
    dims = ["?" if d in dynamic_dims else str(n) for d, n in enumerate(x.shape)]
    return "tensor<" + "x".join(dims + [element_type(x)]) + ">"


def attention_function(q, k, v, structure, attrs, dynamic):
    """A @main taking q, k, v and the structure operands, returning out and
    lse. `dynamic` maps operand names to the dims typed `?`."""
    args = [("q", q), ("k", k), ("v", v)]
    clauses = []
    for clause, names in STRUCTURE:
        if names[0] not in structure:
            continue
        args += [(n, structure[n]) for n in names]
        operands = ", ".join(f"%{n}" for n in names)
        types = ", ".join(tensor_type(structure[n], dynamic.get(n, ())) for n in names)
        clauses.append(f"{clause}({operands} : {types})")
    if "mask" in attrs:
        clauses.append(f"mask <{attrs['mask']}>")
    for name in ("scale", "softcap", "query_offset"):
        if name in attrs:
            clauses.append(f"{name} {attrs[name]}")
    if "block_size" in attrs:
        clauses.append("block_size [{}, {}]".format(*attrs["block_size"]))
    B, HQ, SQ, _ = q.shape
    out = np.empty((B, HQ, SQ, v.shape[3]), q.dtype)
    lse = np.empty((B, HQ, SQ), np.float32)
    out_t = tensor_type(out, dynamic.get("q", ()))
    lse_t = tensor_type(lse, dynamic.get("q", ()))
    types = {n: tensor_type(x, dynamic.get(n, ())) for n, x in args}
    params = ", ".join(f"%{n}: {types[n]}" for n, _ in args)
    return f"""
func.func @main({params}) -> ({out_t}, {lse_t}) {{
  %o, %lse = celeris.attention %q, %k, %v {' '.join(clauses)}
      : {types['q']}, {types['k']}, {types['v']} -> {out_t}, {lse_t}
  return %o, %lse : {out_t}, {lse_t}
}}
""", [x for _, x in args]


def qkv(g, B, HQ, HKV, SQ, SK, D, DV=None, pages=None):
    """Random q, k, v; with `pages`, k and v are [pages, HKV, SK, D] pools."""
    kv_outer = B if pages is None else pages
    q = g.standard_normal((B, HQ, SQ, D))
    k = g.standard_normal((kv_outer, HKV, SK, D))
    v = g.standard_normal((kv_outer, HKV, SK, DV or D))
    return q, k, v


def i32(x):
    return np.asarray(x, dtype=np.int32)


def alibi_slopes(HQ):
    # The ALiBi geometric sequence, scaled up so that the bias matters.
    return (4.0 * 2.0 ** (-8.0 * (np.arange(HQ) + 1) / HQ)).astype(np.float32)


def case_alibi_causal(g):
    q, k, v = qkv(g, 2, 4, 2, 37, 37, 32)
    return q, k, v, {"alibi_slopes": alibi_slopes(4)}, {"mask": "causal"}


def case_alibi_softcap_top_left(g):
    # query_offset -5: rows 0..4 have no allowed key.
    q, k, v = qkv(g, 1, 4, 4, 23, 17, 32)
    return (q, k, v, {"alibi_slopes": alibi_slopes(4)},
            {"mask": "causal", "scale": 0.2, "softcap": 5.0, "query_offset": -5})


def case_document_ids(g):
    # Packed documents under a causal mask; query rows with id 7 (absent from
    # the keys) are fully masked.
    B, S = 2, 61
    q, k, v = qkv(g, B, 4, 1, S, S, 64)
    ids = np.sort(g.integers(0, 4, (B, S)), axis=1)
    q_ids = ids.copy()
    q_ids[:, [3, 40]] = 7
    return (q, k, v, {"q_segment_ids": i32(q_ids), "kv_segment_ids": i32(ids)},
            {"mask": "causal"})


def case_segment_ids_cross(g):
    q, k, v = qkv(g, 2, 2, 2, 37, 61, 32)
    return (q, k, v, {"q_segment_ids": i32(g.integers(0, 3, (2, 37))),
                      "kv_segment_ids": i32(g.integers(0, 3, (2, 61)))}, {})


def case_varlen_causal_alibi(g):
    # Three sequences, the second with no query rows; rows 32..34 and keys
    # 48, 49 lie outside every sequence.
    q, k, v = qkv(g, 1, 4, 2, 35, 50, 32)
    return (q, k, v, {"alibi_slopes": alibi_slopes(4),
                      "cu_seqlens_q": i32([0, 13, 13, 32]),
                      "cu_seqlens_kv": i32([0, 20, 29, 48])},
            {"mask": "causal"})


def case_varlen_window_offset(g):
    # Rows 0, 1 precede the first sequence; the second sequence has no keys,
    # so its rows are fully masked; an explicit offset applies to each one.
    q, k, v = qkv(g, 1, 2, 1, 27, 30, 32)
    return (q, k, v, {"cu_seqlens_q": i32([2, 7, 14, 25]),
                      "cu_seqlens_kv": i32([0, 9, 9, 30])},
            {"mask": "window<left = 3, right = 1>", "query_offset": 2})


def block_layout(g, lead, NQB, NKB, slots):
    """Random counts (some 0) and distinct listed blocks in random order, with
    garbage past the count: other valid block numbers and out-of-range
    values, which must not be read as listed."""
    counts = g.integers(0, NKB + 1, lead + (NQB,))
    counts.reshape(-1)[0] = 0
    indices = g.integers(-3, NKB + 3, lead + (NQB, slots))
    for pos in np.ndindex(*counts.shape):
        c = counts[pos]
        indices[pos][:c] = g.permutation(NKB)[:c]
    return i32(counts), i32(indices)


def make_block_layout_case(layout_b, layout_h, mask=None):
    def case(g):
        B, HQ, SQ, SK, bq, bk = 2, 4, 37, 61, 8, 16
        q, k, v = qkv(g, B, HQ, 2, SQ, SK, 32)
        NQB, NKB = -(-SQ // bq), -(-SK // bk)
        counts, indices = block_layout(
            g, (B if layout_b else 1, HQ if layout_h else 1), NQB, NKB, NKB + 2)
        attrs = {"block_size": (bq, bk)}
        if mask:
            attrs["mask"] = mask
        return q, k, v, {"block_counts": counts, "block_indices": indices}, attrs
    return case


def case_kv_lengths_decode(g):
    # Sq = 1 over caches of 61, 23 and 0 valid keys; NaN past each length.
    lens = [61, 23, 0]
    q, k, v = qkv(g, 3, 8, 2, 1, 61, 64)
    for b, n in enumerate(lens):
        k[b, :, n:] = np.nan
        v[b, :, n:] = np.nan
    return q, k, v, {"kv_lengths": i32(lens)}, {"mask": "causal"}


def case_kv_lengths_prefill(g):
    # Default offset lens[b] - Sq: in batch 0 (offset -2) rows 0, 1 see no key.
    q, k, v = qkv(g, 2, 2, 2, 5, 40, 32)
    return q, k, v, {"kv_lengths": i32([3, 40])}, {"mask": "causal"}


def paged_case(g, B, HQ, HKV, SQ, D, lens, page_size=16, pages_per_seq=4,
               mask="causal", extra=None):
    """Sequences in shuffled pages of a pool; table entries past a sequence's
    length point at a NaN page, and rows past the length of its last page
    are NaN too."""
    num_pages = B * pages_per_seq + 1
    garbage = num_pages - 1
    q, k, v = qkv(g, B, HQ, HKV, SQ, page_size, D, pages=num_pages)
    order = g.permutation(num_pages - 1)
    table = np.full((B, pages_per_seq), garbage)
    for b, n in enumerate(lens):
        used = -(-n // page_size)
        table[b, :used] = order[b * pages_per_seq:b * pages_per_seq + used]
        if n % page_size:
            k[table[b, used - 1], :, n % page_size:] = np.nan
            v[table[b, used - 1], :, n % page_size:] = np.nan
    k[garbage] = np.nan
    v[garbage] = np.nan
    structure = {"kv_lengths": i32(lens), "page_table": i32(table)}
    structure.update(extra or {})
    return q, k, v, structure, {"mask": mask}


def case_paged_decode(g):
    return paged_case(g, 3, 8, 1, 1, 128, [64, 37, 0])


def case_paged_prefill(g):
    # A 7-row chunk at the end of each sequence; batch 1 (7 keys) is all
    # prefill; segment ids over the logical keys.
    B, lens = 2, [30, 7]
    q_ids = i32(np.zeros((B, 7)))
    kv_ids = i32(np.arange(64)[None, :] // 20 % 2 * np.ones((B, 1)))
    return paged_case(g, B, 4, 2, 7, 32, lens, page_size=8, pages_per_seq=8,
                      extra={"q_segment_ids": q_ids, "kv_segment_ids": kv_ids})


def make_gqa_case(HQ, HKV, D, SQ, SK, mask):
    def case(g):
        q, k, v = qkv(g, 1, HQ, HKV, SQ, SK, D)
        return q, k, v, {}, ({"mask": mask} if mask else {})
    return case


STRUCTURE_CASES = {
    "alibi_causal": case_alibi_causal,
    "alibi_softcap_top_left": case_alibi_softcap_top_left,
    "document_ids": case_document_ids,
    "segment_ids_cross": case_segment_ids_cross,
    "varlen_causal_alibi": case_varlen_causal_alibi,
    "varlen_window_offset": case_varlen_window_offset,
    "block_layout_broadcast_both": make_block_layout_case(False, False),
    "block_layout_per_batch": make_block_layout_case(True, False, "causal"),
    "block_layout_per_head": make_block_layout_case(False, True),
    "block_layout_full": make_block_layout_case(True, True),
    "kv_lengths_decode": case_kv_lengths_decode,
    "kv_lengths_prefill": case_kv_lengths_prefill,
    "paged_decode": case_paged_decode,
    "paged_prefill_segments": case_paged_prefill,
    "gqa1_d32": make_gqa_case(4, 4, 32, 37, 61, "causal"),
    "gqa4_d64": make_gqa_case(8, 2, 64, 61, 37, "causal"),
    "gqa8_d96": make_gqa_case(8, 1, 96, 37, 37, None),
    "gqa8_d128": make_gqa_case(16, 2, 128, 61, 61, "causal"),
}

BF16_CASES = ["alibi_causal", "document_ids", "varlen_causal_alibi",
              "block_layout_per_batch", "kv_lengths_decode", "paged_decode",
              "gqa8_d128"]

PARAMS = ([pytest.param(n, "f32", id=f"{n}-f32") for n in STRUCTURE_CASES] +
          [pytest.param(n, "bf16", id=f"{n}-bf16") for n in BF16_CASES])


def check_attention(out, lse, ref_out, ref_lse, tol, msg):
    masked_rows = np.isneginf(ref_lse)
    assert not np.any(np.isnan(out)), f"NaN output; {msg}"
    assert not np.any(np.isnan(lse)), f"NaN lse; {msg}"
    assert np.array_equal(np.isneginf(lse), masked_rows), f"-inf rows differ; {msg}"
    assert np.all(out[masked_rows] == 0), f"fully masked rows not 0; {msg}"
    if np.linalg.norm(ref_out) == 0:
        assert np.all(out == 0), msg
    else:
        check(out, ref_out, tol, msg)
    if (~masked_rows).any():
        check(lse[~masked_rows], ref_lse[~masked_rows], 1e-5, msg)


def run_case(runner, tmp_path, rng, q, k, v, structure, attrs, dtype,
             dynamic=None, name=""):
    if dtype == "bf16":
        q, k, v = (x.astype(ml_dtypes.bfloat16) for x in (q, k, v))
        tol = 1e-2
    else:
        q, k, v = (x.astype(np.float32) for x in (q, k, v))
        tol = 1e-5
    mlir, inputs = attention_function(q, k, v, structure, attrs, dynamic or {})
    out, lse = run(runner, tmp_path, mlir, inputs, 2,
                   extra=["--pre-pipeline=convert-celeris-to-linalg"])
    if dtype == "bf16":
        assert out.dtype.itemsize == 2 and out.dtype.kind == "V", out.dtype
        out = out.view(ml_dtypes.bfloat16)
    kwargs = dict(structure)
    kwargs.update({n: attrs[n] for n in ("scale", "softcap", "query_offset",
                                         "block_size") if n in attrs})
    if "mask" in attrs:
        kwargs["mask"] = f"<{attrs['mask']}>"
    ref_out, ref_lse = reference_attention(
        q.astype(np.float64), k.astype(np.float64), v.astype(np.float64),
        return_lse=True, **kwargs)
    check_attention(out.astype(np.float64), lse, ref_out, ref_lse, tol,
                    f"{name} {dtype}, {rng.msg}")
    return ref_lse


@pytest.mark.parametrize("name,dtype", PARAMS)
def test_structure_matches_reference(runner, tmp_path, rng, name, dtype):
    q, k, v, structure, attrs = STRUCTURE_CASES[name](rng.gen)
    run_case(runner, tmp_path, rng, q, k, v, structure, attrs, dtype, name=name)


# Each structure form's fully masked rows actually occur in its case (so the
# "output 0, lse -inf" checks above are exercised).
@pytest.mark.parametrize("name", ["alibi_softcap_top_left", "document_ids",
                                  "varlen_causal_alibi", "varlen_window_offset",
                                  "block_layout_full", "kv_lengths_decode",
                                  "kv_lengths_prefill", "paged_decode"])
def test_cases_have_fully_masked_rows(rng, name):
    q, k, v, structure, attrs = STRUCTURE_CASES[name](rng.gen)
    kwargs = dict(structure)
    kwargs.update({n: attrs[n] for n in ("scale", "softcap", "query_offset",
                                         "block_size") if n in attrs})
    if "mask" in attrs:
        kwargs["mask"] = f"<{attrs['mask']}>"
    _, ref_lse = reference_attention(q, k, v, return_lse=True, **kwargs)
    masked = np.isneginf(ref_lse)
    assert masked.any() and not masked.all(), f"{name}, {rng.msg}"


def test_dynamic_head_counts(runner, tmp_path, rng):
    # Hq and Hkv typed `?` (group 3 known only at run time), with ALiBi over
    # a dynamic number of heads.
    q, k, v = qkv(rng.gen, 2, 6, 2, 19, 23, 32)
    run_case(runner, tmp_path, rng, q, k, v, {"alibi_slopes": alibi_slopes(6)},
             {"mask": "causal"}, "f32",
             dynamic={"q": (1,), "k": (1,), "v": (1,), "alibi_slopes": (0,)},
             name="dynamic_heads")


def test_paged_dynamic_heads(runner, tmp_path, rng):
    q, k, v, structure, attrs = paged_case(rng.gen, 2, 4, 2, 3, 32, [50, 9])
    run_case(runner, tmp_path, rng, q, k, v, structure, attrs, "f32",
             dynamic={"q": (1,), "k": (1,), "v": (1,)}, name="paged_dynamic_heads")


def test_block_layout_dynamic_broadcast(runner, tmp_path, rng):
    # Layout batch/head dims typed `?`: whether they broadcast (batch 1 here,
    # heads full) is decided at run time.
    q, k, v, structure, attrs = make_block_layout_case(False, True, "causal")(rng.gen)
    run_case(runner, tmp_path, rng, q, k, v, structure, attrs, "f32",
             dynamic={"block_counts": (0, 1), "block_indices": (0, 1)},
             name="block_layout_dynamic")
