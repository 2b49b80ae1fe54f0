"""celeris.jit: a function of an MLIR module as a Python callable.

    import celeris
    attention = celeris.jit("model.mlir", "attention")     # a path, or MLIR text
    out = attention(q, k, v)

On the GPU (target="cuda", the default where torch sees a CUDA device) the
module goes through celeris-compile and the disk cache (celeris.cache), the
entry is a kernel of the artifact, and the callable is its KernelFunction:
torch CUDA tensors (or CuPy/JAX arrays through DLPack) in, torch tensors out,
on the current stream. On the CPU (target="cpu", the default elsewhere) the
entry is JIT-compiled in this process by the _celeris_host extension
(celeris.host.HostFunction): NumPy arrays, CPU torch tensors or DLPack arrays
in, the same kind out.

Compiled callables are kept for the life of the process, keyed by source
text, entry and options; a second `jit` of the same function costs nothing,
and a second process finds the compiled code in the disk cache
(celeris.cache: GPU artifacts, CPU object code).
"""

import os
import tempfile

from .runtime import CelerisError

__all__ = ["jit"]

_compiled = {}


def _read_source(source):
    """(text, name) of `source`: MLIR text, or the path of a file."""
    if isinstance(source, os.PathLike) or (
            isinstance(source, str) and "\n" not in source and "{" not in source):
        path = os.fspath(source)
        try:
            with open(path) as f:
                return f.read(), path
        except OSError as error:
            raise CelerisError(f"cannot read '{path}': {error.strerror}") from None
    if not isinstance(source, str):
        raise CelerisError(f"source must be MLIR text or a path, got {type(source).__name__}")
    return source, "<source>"


def _default_target():
    try:
        import torch
    except ImportError:
        return "cpu"
    return "cuda" if torch.cuda.is_available() else "cpu"


class _DeviceFunction:
    """A kernel of a compiled artifact as a callable that also takes DLPack
    arrays (CuPy, JAX): they are viewed as torch tensors, without a copy."""

    def __init__(self, kernel_function):
        self.kernel_function = kernel_function
        self.name = kernel_function.kernel

    def __repr__(self):
        return f"<celeris GPU function {self.name}({', '.join(self.kernel_function.inputs)})>"

    def __call__(self, *args, **kwargs):
        import torch

        def as_torch(value):
            if isinstance(value, torch.Tensor) or not hasattr(value, "__dlpack__"):
                return value
            return torch.from_dlpack(value)

        return self.kernel_function(*[as_torch(a) for a in args],
                                    **{k: as_torch(v) for k, v in kwargs.items()})


def _compile_for_device(text, name, entry, chip, schedule, cache_dir, device):
    from . import compile as compile_artifact
    from .runtime import load

    # celeris-compile reads a file; the cache key is the text, not the path.
    with tempfile.TemporaryDirectory(prefix="celeris-jit-") as scratch:
        path = os.path.join(scratch, os.path.basename(name) if name != "<source>"
                            else "source.mlir")
        with open(path, "w") as f:
            f.write(text)
        manifest = compile_artifact(path, chip=chip, schedule=schedule, cache_dir=cache_dir)
    module = load(manifest, device)
    kernels = sorted(module.kernels)
    if entry is None:
        if len(kernels) != 1:
            raise CelerisError(f"'{name}' compiles to {len(kernels)} kernels "
                               f"({', '.join(kernels)}); name the entry")
        entry = kernels[0]
    if entry not in module.kernels:
        raise CelerisError(f"'{name}' has no GPU function '{entry}'; it has "
                           f"{', '.join(kernels)}")
    return _DeviceFunction(module.function(entry))


def jit(source, entry=None, *, target=None, tiled=True, pre_pipeline=None, opt_level=2,
        chip="sm_90a", schedule=None, cache_dir=None, device=0):
    """The function `entry` of `source` (MLIR text or the path of an .mlir
    file) as a callable; `entry` may be omitted when there is one function.

    target: "cpu" or "cuda"; default "cuda" where torch sees a GPU.
    CPU options: `tiled` (the tiled algorithms, default; False: the
    reference lowering), `pre_pipeline` (a textual pass pipeline run first),
    `opt_level` (LLVM, 0-3). GPU options: `chip`, `schedule` (overrides of
    the kernel schedules, as celeris-compile --schedule), `device` (the CUDA
    device index). Both compile through the disk cache in `cache_dir`
    (default $CELERIS_CACHE_DIR, else ~/.cache/celeris)."""
    text, name = _read_source(source)
    target = target or _default_target()
    if target == "cpu":
        key = ("cpu", text, entry, bool(tiled), pre_pipeline, int(opt_level),
               os.fspath(cache_dir) if cache_dir is not None else None)
        if key not in _compiled:
            from .host import HostFunction

            _compiled[key] = HostFunction(text, entry, source_name=name, tiled=tiled,
                                          pre_pipeline=pre_pipeline, opt_level=opt_level,
                                          cache_dir=cache_dir)
        return _compiled[key]
    if target == "cuda":
        key = ("cuda", text, entry, chip, schedule,
               os.fspath(cache_dir) if cache_dir is not None else None, device)
        if key not in _compiled:
            _compiled[key] = _compile_for_device(text, name, entry, chip, schedule,
                                                 cache_dir, device)
        return _compiled[key]
    raise CelerisError(f"target must be 'cpu' or 'cuda', got {target!r}")
