"""celeris.compile: the compile driver from Python (no GPU needed)."""

import os

import pytest

import celeris

SAXPY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test",
                     "Integration", "GPU", "saxpy.mlir")


def test_compiles_an_artifact(tmp_path):
    manifest = celeris.compile(SAXPY, tmp_path / "art", chip="sm_80", binary_format="isa")
    text = open(manifest).read()
    assert "kernel saxpy" in text and "grid ceildiv(N,256) 1 1" in text
    assert "arg memref<1:f32> x" in text
    assert ".target sm_80" in open(tmp_path / "art" / "kernels.ptx").read()


def test_reports_compile_errors(tmp_path):
    bad = tmp_path / "bad.mlir"
    bad.write_text("module attributes {gpu.container_module} {\n"
                   "  gpu.module @m { gpu.func @k() kernel { gpu.return } }\n}\n")
    with pytest.raises(celeris.CelerisError, match="no 'celeris.launch' attribute"):
        celeris.compile(bad, tmp_path / "out")
