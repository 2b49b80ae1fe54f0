"""Celeris from Python.

    import celeris
    manifest = celeris.compile("kernels.mlir", "artifact")   # needs the Celeris build
    module = celeris.load(manifest)                           # needs a GPU, not MLIR
    module.launch("saxpy", a=2.0, x=x, y=y)                   # N from the shape of x

`compile` runs the compile driver of this checkout's build (or of
$CELERIS_BUILD_DIR); `load` is celeris.runtime.load, which needs only
libCelerisRuntime.so and a CUDA driver.
"""

import os
import shutil
import subprocess

from .runtime import CelerisError, Module, load

__all__ = ["CelerisError", "Module", "compile", "load"]


def _tool(name):
    here = os.path.dirname(os.path.abspath(__file__))
    build = os.environ.get("CELERIS_BUILD_DIR", os.path.join(here, "..", "..", "build"))
    path = os.path.join(build, "bin", name)
    if os.access(path, os.X_OK):
        return path
    found = shutil.which(name)
    if found:
        return found
    raise CelerisError(f"{name} not found in {os.path.join(build, 'bin')} or on PATH: "
                       "build Celeris (scripts/setup.sh) or set CELERIS_BUILD_DIR")


def compile(source, out_dir, chip="sm_90a", binary_format="bin"):  # noqa: A001
    """Compiles the gpu.module kernels of the MLIR file `source` into the
    artifact directory `out_dir` (cubin with binary_format="bin", PTX with
    "isa") and returns the path of its manifest."""
    proc = subprocess.run([_tool("celeris-compile"), os.fspath(source), "-o", os.fspath(out_dir),
                           f"--chip={chip}", f"--format={binary_format}"],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise CelerisError(f"celeris-compile failed:\n{proc.stderr.strip()}")
    return os.path.join(os.fspath(out_dir), "manifest.txt")
