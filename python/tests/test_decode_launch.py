"""The decode family's launch contract, read from a compiled artifact's
manifest alone (no GPU): the runtime-owned workspace is not an argument,
the family is on record, and the grid (splits, KV heads x row tiles of 16
packed rows, batch) follows the sizes of each launch: whole waves of the
chip's CTA slots, at least 4 key tiles a split, at most 32 splits."""

import math

import pytest

import celeris
from celeris import runtime

from test_runtime_python import FakeCudaTensor

DECODE = """
func.func @gqa(%q: tensor<?x32x1x128xbf16>, %k: tensor<?x8x?x128xbf16>, %v: tensor<?x8x?x128xbf16>, %lens: tensor<?xi32>)
    -> (tensor<?x32x1x128xbf16>, tensor<?x32x1xf32>) {
  %out, %lse = celeris.attention %q, %k, %v kv_lengths(%lens : tensor<?xi32>) mask <causal>
      : tensor<?x32x1x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16>
      -> tensor<?x32x1x128xbf16>, tensor<?x32x1xf32>
  return %out, %lse : tensor<?x32x1x128xbf16>, tensor<?x32x1xf32>
}
func.func @paged(%q: tensor<?x12x3x64xf16>, %k: tensor<?x2x16x64xf16>, %v: tensor<?x2x16x64xf16>, %table: tensor<?x?xi32>)
    -> tensor<?x12x3x64xf16> {
  %out = celeris.attention %q, %k, %v page_table(%table : tensor<?x?xi32>)
      : tensor<?x12x3x64xf16>, tensor<?x2x16x64xf16>, tensor<?x2x16x64xf16> -> tensor<?x12x3x64xf16>
  return %out : tensor<?x12x3x64xf16>
}
func.func @prefill(%q: tensor<?x32x17x128xbf16>, %k: tensor<?x8x?x128xbf16>, %v: tensor<?x8x?x128xbf16>)
    -> tensor<?x32x17x128xbf16> {
  %out = celeris.attention %q, %k, %v mask <causal>
      : tensor<?x32x17x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16> -> tensor<?x32x17x128xbf16>
  return %out : tensor<?x32x17x128xbf16>
}
"""

# sm_90a: 132 SMs, three 74 KB decode CTAs each.
SLOTS = 3 * 132


def expected_splits(groups, keys, tile=64):
    waves = math.ceil(3 * groups / SLOTS)
    return max(1, min(32, math.ceil(math.ceil(keys / tile) / 4), waves * SLOTS // max(1, groups)))


@pytest.fixture(scope="module")
def artifact(tmp_path_factory):
    path = tmp_path_factory.mktemp("decode")
    source = path / "decode.mlir"
    source.write_text(DECODE)
    manifest = celeris.compile(str(source), path / "art", binary_format="isa")
    return manifest, runtime.load(manifest, device=None)


def test_the_workspace_is_the_runtimes(artifact):
    manifest, module = artifact
    assert [a[0] for a in module.kernels["gqa"]] == ["q", "k", "v", "kv_lengths", "out", "lse"]
    text = open(manifest).read()
    assert "kernel gqa  # #celeris.gpu_schedule<kernel = attention_decode" in text
    assert "kernel prefill  # #celeris.gpu_schedule<kernel = attention_prefill" in text
    assert text.count("  workspace ") == 2


@pytest.mark.parametrize("batch,keys", [(16, 32768), (64, 8192), (1, 131072), (1, 100),
                                        (4, 5000), (256, 4096), (0, 4096)])
def test_splits_fill_whole_waves(artifact, batch, keys):
    _, module = artifact
    q = FakeCudaTensor(batch, 32, 1, 128, dtype="bfloat16")
    kv = FakeCudaTensor(batch, 8, keys, 128, dtype="bfloat16")
    out = FakeCudaTensor(batch, 32, 1, 128, dtype="bfloat16")
    grid, shared = module.geometry("gqa", q=q, k=kv, v=kv, kv_lengths=FakeCudaTensor(batch, dtype="int32"),
                                   out=out, lse=FakeCudaTensor(batch, 32, 1))
    groups = batch * 8  # 32 query heads over 8: one row tile of 16 per KV head
    assert grid == (expected_splits(groups, keys), 8, batch)
    assert grid[0] * groups <= max(SLOTS * math.ceil(3 * groups / SLOTS), groups)
    # An empty batch is an empty grid (a no-op launch), not an error.
    assert shared < 232448


def test_packed_rows_and_pages_set_the_grid(artifact):
    _, module = artifact
    # 12 query heads over 2, 3 tokens: 18 packed rows, two row tiles a KV
    # head; the key length is pages per sequence x page size.
    q = FakeCudaTensor(2, 12, 3, 64, dtype="float16")
    pool = FakeCudaTensor(40, 2, 16, 64, dtype="float16")
    grid, _ = module.geometry("paged", q=q, k=pool, v=pool, page_table=FakeCudaTensor(2, 20, dtype="int32"),
                              out=q)
    assert grid == (expected_splits(2 * 2 * 2, 20 * 16), 4, 2)


def test_long_queries_stay_with_prefill(artifact):
    _, module = artifact
    q = FakeCudaTensor(2, 32, 17, 128, dtype="bfloat16")
    kv = FakeCudaTensor(2, 8, 1000, 128, dtype="bfloat16")
    grid, _ = module.geometry("prefill", q=q, k=kv, v=kv, out=q)
    assert grid[1:] == (32, 2)


def test_output_shapes_come_from_the_inputs(artifact):
    manifest, module = artifact
    assert "  result out q[0] q[1] q[2] v[3]" in open(manifest).read()
    assert module.results["gqa"] == {"lse": [[("q", 0)], [("q", 1)], [("q", 2)]],
                                     "out": [[("q", 0)], [("q", 1)], [("q", 2)], [("v", 3)]]}
    q = FakeCudaTensor(3, 32, 1, 128, dtype="bfloat16")
    kv = FakeCudaTensor(3, 8, 500, 128, dtype="bfloat16")
    lens = FakeCudaTensor(3, dtype="int32")
    assert module.result_shapes("gqa", q, kv, kv, lens) == {
        "out": (3, 32, 1, 128), "lse": (3, 32, 1)}
    assert module.result_shapes("gqa", q=q, k=kv, v=kv, kv_lengths=lens)["lse"] == (3, 32, 1)


def test_kernels_as_functions_take_their_inputs(artifact):
    _, module = artifact
    function = module.function("paged")
    assert function.inputs == ["q", "k", "v", "page_table"]
    assert [o[0] for o in function.outputs] == ["out"]
    q = FakeCudaTensor(2, 12, 3, 64, dtype="float16")
    with pytest.raises(runtime.CelerisError, match=r"takes inputs \(q, k, v, page_table\); "
                       r"missing page_table"):
        module.result_shapes("paged", q, q, q)
    with pytest.raises(runtime.CelerisError, match="takes 4 inputs"):
        module.result_shapes("paged", q, q, q, q, q)
    with pytest.raises(runtime.CelerisError, match="no kernel 'nope'"):
        module.function("nope")
