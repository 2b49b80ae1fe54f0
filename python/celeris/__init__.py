"""Celeris from Python.

    import celeris
    fn = celeris.jit("model.mlir", "attention")              # a function as a callable
    out = fn(q, k, v)                                         # GPU: torch; CPU: NumPy/torch
    manifest = celeris.compile("kernels.mlir", "artifact")   # needs the Celeris build
    manifest = celeris.compile("kernels.mlir")               # through the disk cache
    module = celeris.load(manifest)                           # needs a GPU, not MLIR
    module.launch("saxpy", a=2.0, x=x, y=y)                   # N from the shape of x

`compile` runs the compile driver of this checkout's build (or of
$CELERIS_BUILD_DIR); without an output directory it goes through the disk
cache (celeris.cache), which also serves a process with no compiler at
all. `load` is celeris.runtime.load, which needs only libCelerisRuntime.so
and a CUDA driver. `jit` (celeris.jit) picks the GPU path where torch sees
a GPU and the CPU path (the _celeris_host extension) elsewhere.
"""

import os
import shutil
import subprocess

from . import cache as _cache
from .jit import jit
from .runtime import CelerisError, Module, load

__all__ = ["CelerisError", "Module", "compile", "jit", "load"]


def _find_tool(name):
    """The path of the Celeris tool `name`, or None."""
    here = os.path.dirname(os.path.abspath(__file__))
    build = os.environ.get("CELERIS_BUILD_DIR", os.path.join(here, "..", "..", "build"))
    path = os.path.join(build, "bin", name)
    if os.access(path, os.X_OK):
        return path
    return shutil.which(name)


def _tool(name):
    found = _find_tool(name)
    if found:
        return found
    here = os.path.dirname(os.path.abspath(__file__))
    build = os.environ.get("CELERIS_BUILD_DIR", os.path.join(here, "..", "..", "build"))
    raise CelerisError(f"{name} not found in {os.path.join(build, 'bin')} or on PATH: "
                       "build Celeris (scripts/setup.sh) or set CELERIS_BUILD_DIR")


def _run_compiler(tool, source, out_dir, chip, binary_format, schedule):
    command = [tool, os.fspath(source), "-o", os.fspath(out_dir), f"--chip={chip}",
               f"--format={binary_format}"]
    if schedule:
        command.append(f"--schedule={schedule}")
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        raise CelerisError(f"celeris-compile failed:\n{proc.stderr.strip()}")


def compile(source, out_dir=None, chip="sm_90a", binary_format="bin",  # noqa: A001
            schedule=None, cache_dir=None):
    """Compiles the MLIR file `source` (kernels, or model IR for the GPU
    lowering) for `chip` into an artifact (cubin with binary_format="bin",
    PTX with "isa") and returns the path of its manifest. `schedule`
    overrides the kernel schedules ("q-tile=64 kv-stages=3", the options of
    celeris-select-gpu-schedule).

    With `out_dir` the artifact is written there. Without, it comes from the
    disk cache (`cache_dir`, default $CELERIS_CACHE_DIR or ~/.cache/celeris),
    compiled only when no valid entry exists."""
    if out_dir is not None:
        _run_compiler(_tool("celeris-compile"), source, out_dir, chip, binary_format,
                      schedule)
        return os.path.join(os.fspath(out_dir), "manifest.txt")
    with open(source) as f:
        text = f.read()
    cache_dir = os.fspath(cache_dir) if cache_dir is not None else _cache.default_dir()
    tool = _find_tool("celeris-compile")
    compiler = _cache.compiler_identity(tool)
    entry_key = _cache.key(text, chip, binary_format, schedule)
    manifest = _cache.lookup(cache_dir, entry_key, compiler)
    if manifest is not None:
        return manifest
    if tool is None:
        _tool("celeris-compile")  # raises: nothing cached, nothing to compile with
    return _cache.store(
        cache_dir, entry_key, compiler,
        lambda directory: _run_compiler(tool, source, directory, chip, binary_format,
                                        schedule))
