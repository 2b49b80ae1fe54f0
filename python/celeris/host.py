"""The CPU path: a tensor function JIT-compiled for the host, called on NumPy
arrays, CPU torch tensors or any CPU DLPack array.

    from celeris.host import HostFunction
    fn = HostFunction(source_text, entry="attention")
    out = fn(q, k, v)                  # NumPy in, NumPy out

It wraps the `_celeris_host` extension (lib/Bindings/Python), which lowers
the function through the celeris-cpu pipeline and mlir::ExecutionEngine in
this process. The object code goes to the disk cache (celeris.cache): a
second process loads it (about a millisecond) instead of compiling. Inputs are checked against the function type (count, rank,
static extents, element type: nothing is converted silently); results are
new arrays the caller owns. bfloat16 is ml_dtypes.bfloat16 in NumPy.
"""

import importlib.util
import json
import os
import sys

import numpy as np

from . import cache as _cache
from .runtime import CelerisError

__all__ = ["HostFunction", "extension_path"]

_DTYPES = {
    "f16": np.dtype(np.float16), "f32": np.dtype(np.float32), "f64": np.dtype(np.float64),
    "i1": np.dtype(np.bool_), "i8": np.dtype(np.int8), "i16": np.dtype(np.int16),
    "i32": np.dtype(np.int32), "i64": np.dtype(np.int64),
}
_RAW = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def _numpy_dtype(element):
    if element == "bf16":
        import ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    return _DTYPES[element]


def extension_path():
    """The directory that holds the _celeris_host extension: $CELERIS_BUILD_DIR
    /python, else this checkout's build/python."""
    here = os.path.dirname(os.path.abspath(__file__))
    build = os.environ.get("CELERIS_BUILD_DIR", os.path.join(here, "..", "..", "build"))
    return os.path.join(build, "python")


_extension = None


def _host_extension():
    global _extension
    if _extension is None:
        directory = extension_path()
        candidates = [f for f in (os.listdir(directory) if os.path.isdir(directory) else [])
                      if f.startswith("_celeris_host.") and f.endswith(".so")]
        if not candidates:
            raise CelerisError(
                f"the Celeris host extension is not in {directory}: build Celeris "
                "(scripts/setup.sh) or set CELERIS_BUILD_DIR")
        spec = importlib.util.spec_from_file_location(
            "_celeris_host", os.path.join(directory, candidates[0]))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules.setdefault("_celeris_host", module)
        _extension = module
    return _extension


def _format_type(shape, element):
    dims = "x".join("?" if d is None else str(d) for d in shape)
    return f"tensor<{dims + 'x' if dims else ''}{element}>"


def _to_numpy(value, index):
    """(array, was_torch) for an argument: a NumPy array, a CPU torch tensor
    or an object with __dlpack__ on the CPU."""
    if isinstance(value, np.ndarray):
        return value, False
    if type(value).__module__.startswith("torch") and hasattr(value, "numpy"):
        if value.device.type != "cpu":
            raise CelerisError(
                f"argument {index} is a torch tensor on {value.device}; the host path "
                "takes CPU tensors (target='cuda' runs on the GPU)")
        import torch

        tensor = value.detach()
        if tensor.dtype == torch.bfloat16:
            import ml_dtypes

            return tensor.view(torch.int16).numpy().view(ml_dtypes.bfloat16), True
        return tensor.numpy(), True
    if hasattr(value, "__dlpack__"):
        try:
            return np.from_dlpack(value), False
        except (BufferError, RuntimeError, TypeError) as error:
            raise CelerisError(
                f"argument {index} ({type(value).__name__}) cannot be read on the CPU "
                f"through DLPack: {error}") from None
    raise CelerisError(
        f"argument {index} must be a NumPy array, a CPU torch tensor or a DLPack array, "
        f"got {type(value).__name__}")


class HostFunction:
    """One function of an MLIR module, compiled for the host.

    `source` is MLIR text (named `source_name` in diagnostics); `entry` names
    the function (default: the only public one, else `main`); `tiled` lowers
    Celeris ops through the tiled algorithms. `arguments` and `results` are
    the function's types as (shape with None for dynamic extents, element
    type) pairs."""

    def __init__(self, source, entry=None, *, source_name="<source>", tiled=True,
                 pre_pipeline=None, opt_level=2, shared_libs=(), cache=True,
                 cache_dir=None):
        extension = _host_extension()
        libs = [os.fspath(p) for p in shared_libs]
        options = {"tiled": bool(tiled), "pre_pipeline": pre_pipeline or "",
                   "opt_level": int(opt_level)}
        self.from_cache = False
        self._function = None
        if cache:
            cache_dir = os.fspath(cache_dir) if cache_dir is not None else _cache.default_dir()
            identity = _cache.compiler_identity(extension.__file__)
            key = _cache.host_key(source, entry, options, extension.host_target())
            self._function = _load_cached(extension, cache_dir, key, identity, libs)
            self.from_cache = self._function is not None
        if self._function is None:
            try:
                self._function = extension.HostFunction.compile(
                    source, source_name, entry or "", options["pre_pipeline"],
                    options["tiled"], options["opt_level"], libs, keep_object=bool(cache))
            except RuntimeError as error:
                raise CelerisError(str(error)) from None
            if cache:
                _store_cached(self._function, cache_dir, key, identity)
        self.name = self._function.name
        self.arguments = [(tuple(s), e) for s, e in self._function.arguments]
        self.results = [(tuple(s), e) for s, e in self._function.results]
        # Lowering and JIT in this process (0 when loaded from the cache).
        self.compile_ms = self._function.lowering_ms + self._function.jit_ms

    def __repr__(self):
        args = ", ".join(_format_type(*a) for a in self.arguments)
        results = ", ".join(_format_type(*r) for r in self.results)
        return f"<celeris host function {self.name}({args}) -> ({results})>"

    def _check(self, index, array):
        shape, element = self.arguments[index]
        expected = _numpy_dtype(element)
        described = _format_type(shape, element)
        if array.dtype != expected:
            raise CelerisError(
                f"argument {index} of '{self.name}' has dtype {array.dtype}, expected "
                f"{expected} for {described}")
        if array.ndim != len(shape):
            raise CelerisError(
                f"argument {index} of '{self.name}' has shape {tuple(array.shape)} "
                f"(rank {array.ndim}), expected rank {len(shape)} for {described}")
        for d, (got, want) in enumerate(zip(array.shape, shape)):
            if want is not None and got != want:
                raise CelerisError(
                    f"argument {index} of '{self.name}' has shape {tuple(array.shape)}, "
                    f"expected {want} in dimension {d} for {described}")

    def __call__(self, *args):
        """Calls the function; returns one array, or a tuple for several
        results (torch tensors when any argument was one)."""
        if len(args) != len(self.arguments):
            raise CelerisError(
                f"'{self.name}' takes {len(self.arguments)} argument(s), got {len(args)}")
        arrays, torch_in = [], False
        for i, value in enumerate(args):
            array, was_torch = _to_numpy(value, i)
            torch_in |= was_torch
            self._check(i, array)
            array = np.require(array, requirements="C")  # keeps 0-d arrays 0-d
            arrays.append(array.view(_RAW[array.dtype.itemsize]))
        try:
            raw = self._function.call(arrays)
        except RuntimeError as error:
            raise CelerisError(str(error)) from None
        results = [r.view(_numpy_dtype(element)) for r, (_, element) in zip(raw, self.results)]
        if torch_in:
            results = [_to_torch(r) for r in results]
        return results[0] if len(results) == 1 else tuple(results)


_OBJECT, _SIGNATURE = "host.o", "signature.json"


def _load_cached(extension, cache_dir, key, identity, libs):
    """The function of a valid cache entry, or None."""
    signature = _cache.lookup(cache_dir, key, identity, main=_SIGNATURE)
    if signature is None:
        return None
    try:
        with open(signature) as f:
            record = json.load(f)
        return extension.HostFunction.load(
            os.path.join(os.path.dirname(signature), _OBJECT), record["name"],
            record["arguments"], record["results"], libs)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError):
        return None  # unusable: compiled again, and the entry replaced


def _store_cached(function, cache_dir, key, identity):
    """Writes `function`'s object code and signature to the cache; a cache
    that cannot be written only costs the next process a compile."""
    def build(directory):
        function.write_object(os.path.join(directory, _OBJECT))
        with open(os.path.join(directory, _SIGNATURE), "w") as f:
            json.dump({"name": function.name,
                       "arguments": [[list(s), e] for s, e in function.arguments],
                       "results": [[list(s), e] for s, e in function.results]}, f)

    try:
        _cache.store(cache_dir, key, identity, build, main=_SIGNATURE)
    except (OSError, RuntimeError):
        pass


def _to_torch(array):
    import torch

    if array.dtype.name == "bfloat16":
        return torch.from_numpy(array.view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(array)
