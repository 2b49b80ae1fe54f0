"""The mixture-of-experts kernels' launch contract, read from a compiled
artifact's manifest alone (no GPU): dispatch is one launch of four steps
with a runtime-owned workspace, its permuted rows are T k long, and the
grouped GEMM's grid covers every row tile of every segment."""

import pytest

import celeris
from celeris import runtime

from test_runtime_python import FakeCudaTensor

MOE = """
func.func @dispatch(%x: tensor<?x256xbf16>, %experts: tensor<?x8xi32>)
    -> (tensor<?x256xbf16>, tensor<64xi32>, tensor<?x8xi32>) {
  %rows, %offsets, %row_map = celeris.dispatch %x, %experts num_experts 64
      : tensor<?x256xbf16>, tensor<?x8xi32> -> tensor<?x256xbf16>, tensor<64xi32>, tensor<?x8xi32>
  return %rows, %offsets, %row_map : tensor<?x256xbf16>, tensor<64xi32>, tensor<?x8xi32>
}
func.func @gemm(%x: tensor<?x128xbf16>, %w: tensor<?x128x1408xbf16>, %offsets: tensor<?xi32>)
    -> tensor<?x1408xbf16> {
  %y = celeris.grouped_matmul %x, %w, %offsets
      : tensor<?x128xbf16>, tensor<?x128x1408xbf16>, tensor<?xi32> -> tensor<?x1408xbf16>
  return %y : tensor<?x1408xbf16>
}
"""


@pytest.fixture(scope="module")
def artifact(tmp_path_factory):
    path = tmp_path_factory.mktemp("moe")
    source = path / "moe.mlir"
    source.write_text(MOE)
    manifest = celeris.compile(str(source), path / "art", binary_format="isa")
    return manifest, runtime.load(manifest, device=None)


def test_dispatch_is_one_launch_of_four_steps(artifact):
    manifest, module = artifact
    assert sorted(module.kernels) == ["dispatch", "gemm"]
    assert [a[0] for a in module.kernels["dispatch"]] == [
        "x", "experts", "permuted", "offsets", "row_map"]
    text = open(manifest).read()
    for step in ("dispatch_scan", "dispatch_rank", "dispatch_rows"):
        assert f"  step {step}\n" in text
    assert "  workspace 4*64*(ceildiv(T*K,4096)+1)\n" in text
    x, experts = FakeCudaTensor(1000, 256, dtype="bfloat16"), FakeCudaTensor(1000, 8, dtype="int32")
    assert module.result_shapes("dispatch", x, experts) == {
        "permuted": (8000, 256), "offsets": (64,), "row_map": (1000, 8)}
    out = [FakeCudaTensor(8000, 256, dtype="bfloat16"), FakeCudaTensor(64, dtype="int32"),
           FakeCudaTensor(1000, 8, dtype="int32")]
    grid, _ = module.geometry("dispatch", x, experts, *out)
    assert grid == (2, 1, 1)  # ceildiv(8000, 4096) chunks


def test_grouped_gemm_grid_bounds_the_segment_tiles(artifact):
    _, module = artifact
    x, offsets = FakeCudaTensor(1000, 128, dtype="bfloat16"), FakeCudaTensor(5, dtype="int32")
    w = FakeCudaTensor(5, 128, 1408, dtype="bfloat16")
    y = FakeCudaTensor(1000, 1408, dtype="bfloat16")
    assert module.result_shapes("gemm", x, w, offsets) == {"y": (1000, 1408)}
    grid, shared = module.geometry("gemm", x, w, offsets, y)
    # Six 256-column tiles (the last half empty) for each of ceildiv(1000,
    # 128) + 5 + 1 row-tile slots.
    assert grid == (6 * 14, 1, 1)
    assert shared == 197696
