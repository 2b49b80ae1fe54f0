"""Programs: a function of several Celeris ops compiles to one kernel per op
and a manifest program that runs them in order with buffers between them.
Its launch contract is read from the manifest alone (no GPU): a program is
called like a kernel, by its inputs, and its outputs' shapes follow from
them."""

import pytest

import celeris
from celeris import runtime

from test_runtime_python import FakeCudaTensor

MOE = """
func.func @moe(%x: tensor<?x128xbf16>, %logits: tensor<?x16xf32>,
               %wg: tensor<16x128x64xbf16>, %wd: tensor<16x64x128xbf16>)
    -> tensor<?x128xbf16> {
  %weights, %experts = celeris.route %logits k 4 renormalize
      : tensor<?x16xf32> -> tensor<?x4xf32>, tensor<?x4xi32>
  %rows, %offsets, %row_map = celeris.dispatch %x, %experts num_experts 16
      : tensor<?x128xbf16>, tensor<?x4xi32>
      -> tensor<?x128xbf16>, tensor<16xi32>, tensor<?x4xi32>
  %h = celeris.grouped_matmul %rows, %wg, %offsets
      : tensor<?x128xbf16>, tensor<16x128x64xbf16>, tensor<16xi32> -> tensor<?x64xbf16>
  %down = celeris.grouped_matmul %h, %wd, %offsets
      : tensor<?x64xbf16>, tensor<16x64x128xbf16>, tensor<16xi32> -> tensor<?x128xbf16>
  %y = celeris.combine %down, %weights, %row_map
      : tensor<?x128xbf16>, tensor<?x4xf32>, tensor<?x4xi32> -> tensor<?x128xbf16>
  return %y : tensor<?x128xbf16>
}
"""


@pytest.fixture(scope="module")
def artifact(tmp_path_factory):
    path = tmp_path_factory.mktemp("program")
    source = path / "moe.mlir"
    source.write_text(MOE)
    manifest = celeris.compile(str(source), path / "art", binary_format="isa")
    return manifest, runtime.load(manifest, device=None)


def test_a_function_of_five_ops_is_a_program_of_five_kernels(artifact):
    manifest, module = artifact
    # The dispatch is fused into the first grouped GEMM, which gathers the
    # token rows through the dispatch map.
    assert sorted(module.kernels) == [
        "moe", "moe_combine", "moe_dispatch_map", "moe_grouped_matmul",
        "moe_grouped_matmul_1", "moe_route"]
    assert [a[0] for a in module.kernels["moe"]] == ["x", "logits", "w", "w_1", "out"]
    text = open(manifest).read()
    program = text[text.index("program moe\n"):]
    assert program.splitlines()[-6:] == [
        "  launch moe_route logits weights experts",
        "  launch moe_dispatch_map experts source_rows offsets row_map",
        "  launch moe_grouped_matmul x w offsets source_rows y",
        "  launch moe_grouped_matmul_1 y w_1 offsets y_1",
        "  launch moe_combine y_1 weights row_map out",
        "end"]
    # The dispatched rows are k = 4 per token: composed from the dispatch
    # map's result shape over route's; no permuted copy of x.
    assert "  buffer source_rows memref<1:i32> 4*logits[0]\n" in program
    assert "permuted" not in program


def test_a_program_is_a_function_of_its_inputs(artifact):
    _, module = artifact
    x = FakeCudaTensor(1000, 128, dtype="bfloat16")
    logits = FakeCudaTensor(1000, 16, dtype="float32")
    wg = FakeCudaTensor(16, 128, 64, dtype="bfloat16")
    wd = FakeCudaTensor(16, 64, 128, dtype="bfloat16")
    assert module.result_shapes("moe", x, logits, wg, wd) == {"out": (1000, 128)}
    out = FakeCudaTensor(1000, 128, dtype="bfloat16")
    with pytest.raises(celeris.CelerisError, match="is a program of 5 launches"):
        module.geometry("moe", x, logits, wg, wd, out)
    wrong = FakeCudaTensor(999, 128, dtype="bfloat16")
    with pytest.raises(celeris.CelerisError,
                       match=r"program 'moe': result 'out' has extent 999 in "
                             r"dimension 0, its shape \(logits\[0\] 128\) gives 1000"):
        module.launch("moe", x, logits, wg, wd, wrong)
    with pytest.raises(celeris.CelerisError, match="without a runtime"):
        module.launch("moe", x, logits, wg, wd, out)


def test_the_hybrid_block_is_one_program_with_views(tmp_path):
    """examples/hybrid_block.mlir as it is: attention, Gated DeltaNet and MoE
    in one program; the heads-to-tokens reshapes are views (no copy)."""
    import os
    source = os.path.join(os.path.dirname(__file__), "..", "..", "examples",
                          "hybrid_block.mlir")
    manifest = celeris.compile(source, tmp_path / "art", binary_format="isa")
    module = runtime.load(manifest, device=None)
    assert "hybrid_block" in module.kernels
    text = open(manifest).read()
    program = text[text.index("program hybrid_block\n"):]
    assert "  view out_4_view memref<3:bf16> out_4 8 256 32\n" in program
    assert "  launch hybrid_block_transpose out_4_view out_5\n" in program
    shapes = [(1, 8, 256, 32), (1, 2, 256, 32), (1, 2, 256, 32), (1, 8, 256, 32),
              (1, 8, 256, 32)]
    inputs = [FakeCudaTensor(*s, dtype="bfloat16") for s in shapes]
    inputs += [FakeCudaTensor(1, 8, 256, dtype="float32"),
               FakeCudaTensor(1, 8, 256, dtype="float32"),
               FakeCudaTensor(256, 8, dtype="float32"),
               FakeCudaTensor(8, 256, 64, dtype="bfloat16"),
               FakeCudaTensor(8, 256, 64, dtype="bfloat16"),
               FakeCudaTensor(8, 64, 256, dtype="bfloat16")]
    assert module.result_shapes("hybrid_block", *inputs) == {"out": (256, 256)}
