"""The compile cache of celeris.compile (no GPU needed): hits pay no
compile, in this process and in another one without a compiler; corrupt,
half-written and stale entries are rebuilt; failures leave nothing behind."""

import json
import os
import subprocess
import sys

import pytest

import celeris
from celeris import cache

SAXPY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test",
                     "Integration", "GPU", "saxpy.mlir")
PYTHON_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


@pytest.fixture
def compiles(monkeypatch):
    """Counts the runs of the compile driver."""
    calls = []
    real = celeris._run_compiler

    def counting(*args):
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(celeris, "_run_compiler", counting)
    return calls


def compile_saxpy(cache_dir, **options):
    return celeris.compile(SAXPY, binary_format="isa", cache_dir=cache_dir, **options)


def test_second_call_pays_no_compile(tmp_path, compiles):
    first = compile_saxpy(tmp_path)
    second = compile_saxpy(tmp_path)
    assert first == second and len(compiles) == 1
    assert "kernel saxpy" in open(first).read()
    assert os.path.isfile(os.path.join(os.path.dirname(first), "kernels.ptx"))


def test_options_and_source_are_in_the_key(tmp_path, compiles):
    manifests = {compile_saxpy(tmp_path), compile_saxpy(tmp_path, chip="sm_80"),
                 compile_saxpy(tmp_path, schedule="q-tile=64")}
    assert len(manifests) == 3 and len(compiles) == 3
    edited = tmp_path / "saxpy.mlir"
    edited.write_text(open(SAXPY).read() + "\n// edited\n")
    celeris.compile(edited, binary_format="isa", cache_dir=tmp_path)
    assert len(compiles) == 4


@pytest.mark.parametrize("damage", ["corrupt-binary", "corrupt-manifest", "no-record",
                                    "bad-record", "missing-file"])
def test_damaged_entries_are_rebuilt(tmp_path, compiles, damage):
    manifest = compile_saxpy(tmp_path)
    entry = os.path.dirname(manifest)
    if damage == "corrupt-binary":
        with open(os.path.join(entry, "kernels.ptx"), "a") as f:
            f.write("// garbage\n")
    elif damage == "corrupt-manifest":
        open(manifest, "w").write("kernel nonsense\n")
    elif damage == "no-record":
        os.remove(os.path.join(entry, "entry.json"))
    elif damage == "bad-record":
        open(os.path.join(entry, "entry.json"), "w").write("{not json")
    else:
        os.remove(os.path.join(entry, "kernels.ptx"))
    again = compile_saxpy(tmp_path)
    assert again == manifest and len(compiles) == 2
    assert "kernel saxpy" in open(again).read()
    record = json.load(open(os.path.join(entry, "entry.json")))
    assert set(record["files"]) == {"kernels.ptx", "manifest.txt"}


def test_entries_of_another_compiler_are_rebuilt(tmp_path, compiles, monkeypatch):
    compile_saxpy(tmp_path)
    monkeypatch.setattr(cache, "compiler_identity", lambda tool: "another compiler")
    compile_saxpy(tmp_path)
    assert len(compiles) == 2


def test_failures_leave_nothing_behind(tmp_path):
    bad = tmp_path / "bad.mlir"
    bad.write_text("module attributes {gpu.container_module} {\n"
                   "  gpu.module @m { gpu.func @k() kernel { gpu.return } }\n}\n")
    cache_dir = tmp_path / "cache"
    with pytest.raises(celeris.CelerisError, match="no 'celeris.launch' attribute"):
        celeris.compile(bad, cache_dir=cache_dir)
    assert os.listdir(cache_dir) == []


def run_without_compiler(cache_dir, tmp_path):
    """compile in a new process that has no celeris-compile."""
    env = dict(os.environ, CELERIS_BUILD_DIR=str(tmp_path / "no-build"),
               PATH="/usr/bin:/bin", PYTHONPATH=PYTHON_DIR)
    code = ("import celeris, sys\n"
            f"print(celeris.compile({SAXPY!r}, binary_format='isa', cache_dir={str(cache_dir)!r}))\n")
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)


def test_another_process_without_a_compiler_uses_the_cache(tmp_path):
    manifest = compile_saxpy(tmp_path / "cache")
    proc = run_without_compiler(tmp_path / "cache", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == manifest


def test_without_compiler_or_entry_the_error_says_so(tmp_path):
    proc = run_without_compiler(tmp_path / "empty", tmp_path)
    assert proc.returncode != 0
    assert "celeris-compile not found" in proc.stderr
