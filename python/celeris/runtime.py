"""Loads Celeris artifacts and launches their kernels on torch tensors or CuPy
arrays.

A thin ctypes layer over the C API of libCelerisRuntime.so
(include/celeris-c/Runtime.h): no build step, no MLIR. Arguments are checked
against the artifact's manifest before a launch (kind, rank, element type,
device here; static extents in the runtime), and every failure raises
CelerisError with the runtime's message.
The runtime sizes of the launch geometry come from the argument shapes where
the manifest binds them (saxpy's N is the length of x); others are passed in
`sizes`.

    from celeris.runtime import load
    module = load("artifact/manifest.txt")
    module.launch("saxpy", a=2.0, x=x, y=y)

A kernel whose manifest gives its outputs' shapes (`result` lines: the
attention kernels) is also a function of its inputs, which allocates the
outputs and launches on the current torch stream:

    attention = module.function("gqa_32_8")
    out, lse = attention(q, k, v, kv_lengths=lens)
"""

import ctypes
import functools
import os

__all__ = ["CelerisError", "KernelFunction", "Module", "load", "library_path"]

_KIND_PTR, _KIND_I32, _KIND_I64, _KIND_F32, _KIND_MEMREF = range(5)
_MLIR_TO_DTYPE_NAME = {
    "f32": "float32", "f16": "float16", "bf16": "bfloat16", "f64": "float64",
    "i32": "int32", "i64": "int64", "i8": "int8", "i1": "bool",
}


class CelerisError(RuntimeError):
    """A failure reported by the Celeris runtime or found by the checks here."""


def library_path():
    """Where libCelerisRuntime.so is: $CELERIS_RUNTIME_LIB, else the build tree
    of this checkout."""
    env = os.environ.get("CELERIS_RUNTIME_LIB")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    build = os.environ.get("CELERIS_BUILD_DIR", os.path.join(here, "..", "..", "build"))
    return os.path.join(build, "lib", "libCelerisRuntime.so")


_lib = None


def _library():
    global _lib
    if _lib is None:
        path = library_path()
        if not os.path.exists(path):
            raise CelerisError(
                f"the Celeris runtime library is not at {path}: build it "
                "(ninja -C build CelerisRuntime) or set CELERIS_RUNTIME_LIB")
        lib = ctypes.CDLL(path)
        lib.celeris_last_error.restype = ctypes.c_char_p
        lib.celeris_module_kernel_name.restype = ctypes.c_char_p
        lib.celeris_kernel_arg.argtypes = [
            ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int,
            ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int),
            ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_char_p)]
        lib.celeris_kernel_num_args.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        lib.celeris_module_num_kernels.argtypes = [ctypes.c_void_p]
        lib.celeris_module_kernel_name.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.celeris_kernel_num_sizes.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        lib.celeris_kernel_size.argtypes = [
            ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_char_p),
            ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_int)]
        lib.celeris_kernel_num_results.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        lib.celeris_kernel_result.argtypes = [
            ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_char_p),
            ctypes.POINTER(ctypes.c_char_p)]
        size_args = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p),
                     ctypes.POINTER(ctypes.c_int64), ctypes.c_int,
                     ctypes.POINTER(ctypes.c_void_p), ctypes.c_int]
        lib.celeris_launch.argtypes = size_args + [ctypes.c_void_p]
        lib.celeris_launch_geometry.argtypes = size_args + [
            ctypes.POINTER(ctypes.c_int64), ctypes.POINTER(ctypes.c_int64)]
        lib.celeris_module_load.argtypes = [
            ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
        lib.celeris_module_load_manifest.argtypes = [
            ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
        lib.celeris_runtime_create.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_void_p)]
        lib.celeris_synchronize.argtypes = [ctypes.c_void_p]
        _lib = lib
    return _lib


def _check(status, what):
    if status != 0:
        message = _library().celeris_last_error().decode()
        raise CelerisError(f"{what}: {message}")


_runtimes = {}


def _runtime(device):
    if device not in _runtimes:
        handle = ctypes.c_void_p()
        _check(_library().celeris_runtime_create(device, ctypes.byref(handle)),
               f"cannot start the Celeris runtime on device {device}")
        _runtimes[device] = handle
    return _runtimes[device]


@functools.lru_cache(maxsize=None)
def _memref_descriptor(rank):
    """The ctypes structure of a rank-`rank` memref descriptor (one class per
    rank: creating a class costs more than a launch)."""
    sizes_type = ctypes.c_int64 * rank
    fields = [("allocated", ctypes.c_void_p), ("aligned", ctypes.c_void_p),
              ("offset", ctypes.c_int64)]
    if rank:
        fields += [("sizes", sizes_type), ("strides", sizes_type)]
    return type(f"MemRef{rank}", (ctypes.Structure,),
                {"_fields_": fields, "sizes_type": sizes_type})


def _tensor_info(value, name):
    """(data pointer, shape, strides in elements, dtype name, device index) of
    a torch tensor or CuPy array."""
    if hasattr(value, "data_ptr") and hasattr(value, "is_cuda"):  # torch
        if not value.is_cuda:
            raise CelerisError(f"argument '{name}' is on {value.device}, not a CUDA device")
        dtype = str(value.dtype).replace("torch.", "")
        return (value.data_ptr(), tuple(value.shape), tuple(value.stride()),
                dtype, value.device.index)
    if hasattr(value, "data") and hasattr(value.data, "ptr"):  # CuPy
        itemsize = value.dtype.itemsize
        return (value.data.ptr, tuple(value.shape),
                tuple(s // itemsize for s in value.strides), str(value.dtype),
                value.device.id)
    raise CelerisError(
        f"argument '{name}' must be a CUDA torch tensor or CuPy array, got {type(value).__name__}")


class Module:
    """A loaded artifact; launch its kernels by name.

    `kernels` maps each kernel to its arguments (name, kind, rank, element
    type); `sizes` maps it to the sizes its manifest binds to argument shapes,
    {size: (argument, dimension)}. With device=None only the manifest is read
    (no GPU needed): launches can be checked with `geometry`, not run.
    """

    def __init__(self, manifest_path, device=0):
        manifest_path = os.fspath(manifest_path)
        self.device = device
        lib = _library()
        handle = ctypes.c_void_p()
        if device is None:
            self._runtime = None
            status = lib.celeris_module_load_manifest(manifest_path.encode(),
                                                      ctypes.byref(handle))
        else:
            self._runtime = _runtime(device)
            status = lib.celeris_module_load(self._runtime, manifest_path.encode(),
                                             ctypes.byref(handle))
        _check(status, f"cannot load '{manifest_path}'")
        self._handle = handle
        self.kernels = {}
        self.sizes = {}
        self.results = {}
        for i in range(lib.celeris_module_num_kernels(handle)):
            name = lib.celeris_module_kernel_name(handle, i).decode()
            self.kernels[name] = self._signature(name)
            self.sizes[name] = self._bound_sizes(name)
            self.results[name] = self._result_shapes(name)

    def _signature(self, kernel):
        lib = _library()
        args = []
        for i in range(lib.celeris_kernel_num_args(self._handle, kernel.encode())):
            kind, rank = ctypes.c_int(), ctypes.c_int()
            element, name = ctypes.c_char_p(), ctypes.c_char_p()
            _check(lib.celeris_kernel_arg(self._handle, kernel.encode(), i, ctypes.byref(kind),
                                          ctypes.byref(rank), ctypes.byref(element),
                                          ctypes.byref(name)), "reading the manifest")
            args.append((name.value.decode(), kind.value, rank.value, element.value.decode()))
        return args

    def _bound_sizes(self, kernel):
        lib = _library()
        sizes = {}
        for i in range(lib.celeris_kernel_num_sizes(self._handle, kernel.encode())):
            name, arg, dim = ctypes.c_char_p(), ctypes.c_char_p(), ctypes.c_int()
            _check(lib.celeris_kernel_size(self._handle, kernel.encode(), i, ctypes.byref(name),
                                           ctypes.byref(arg), ctypes.byref(dim)),
                   "reading the manifest")
            sizes[name.value.decode()] = (arg.value.decode(), dim.value)
        return sizes

    def _result_shapes(self, kernel):
        """{output: [[(argument, dimension) or extent, ...] per dimension]}
        from the manifest: each dimension the product of its factors."""
        lib = _library()
        results = {}
        for i in range(lib.celeris_kernel_num_results(self._handle, kernel.encode())):
            name, shape = ctypes.c_char_p(), ctypes.c_char_p()
            _check(lib.celeris_kernel_result(self._handle, kernel.encode(), i,
                                             ctypes.byref(name), ctypes.byref(shape)),
                   "reading the manifest")
            dims = []
            for word in shape.value.decode().split():
                factors = []
                for factor in word.split("*"):
                    if "[" in factor:
                        arg, dim = factor[:-1].split("[")
                        factors.append((arg, int(dim)))
                    else:
                        factors.append(int(factor))
                dims.append(factors)
            results[name.value.decode()] = dims
        return results

    def result_shapes(self, kernel, *positional, **named):
        """The shapes of `kernel`'s outputs for its inputs, given in order (the
        arguments that are no output) or by name: {output: shape}."""
        inputs = self._inputs(kernel, positional, named)
        shapes = {}
        for output, dims in self.results[kernel].items():
            shape = []
            for factors in dims:
                extent = 1
                for factor in factors:
                    if isinstance(factor, int):
                        extent = extent * factor
                        continue
                    arg, index = factor
                    # As the input has it: symbolic under torch.compile.
                    extent = extent * tuple(inputs[arg].shape)[index]
                shape.append(extent)
            shapes[output] = tuple(shape)
        return shapes

    def _inputs(self, kernel, positional, named):
        """{input: value} of a call of `kernel` as a function: its arguments
        but the outputs the manifest gives shapes for, in order or by name."""
        self._require_results(kernel)
        names = [a[0] for a in self.kernels[kernel] if a[0] not in self.results[kernel]]
        if len(positional) > len(names):
            raise CelerisError(f"kernel '{kernel}' takes {len(names)} inputs "
                               f"({', '.join(names)}), got {len(positional)} positional")
        values = dict(zip(names, positional))
        for name, value in named.items():
            if name in values:
                raise CelerisError(f"input '{name}' given twice")
            values[name] = value
        missing = [n for n in names if n not in values]
        unknown = sorted(set(values) - set(names))
        if missing or unknown:
            raise CelerisError(
                f"kernel '{kernel}' takes inputs ({', '.join(names)})"
                + (f"; missing {', '.join(missing)}" if missing else "")
                + (f"; unknown {', '.join(unknown)}" if unknown else ""))
        return values

    def _require_results(self, kernel):
        if kernel not in self.kernels:
            raise CelerisError(f"the artifact has no kernel '{kernel}'; it has "
                               f"{', '.join(sorted(self.kernels))}")
        if not self.results[kernel]:
            raise CelerisError(f"the manifest gives no output shapes for kernel "
                               f"'{kernel}': launch it with `launch`")

    def function(self, kernel):
        """`kernel` as a function of its inputs (see KernelFunction)."""
        return KernelFunction(self, kernel)

    def launch(self, kernel, *positional, sizes=None, stream=None, **named):
        """Launches `kernel` with its arguments given in order or by name.

        `sizes` ({name: value}) gives the runtime sizes of the launch geometry
        that the manifest does not bind to argument shapes (see `self.sizes`);
        a size given that is also bound must equal the argument's extent.
        `stream` is a torch/CuPy stream or a raw CUstream handle (default: the
        default stream)."""
        # keep_alive holds what `pointers` point to until the call returns.
        pointers, keep_alive = self._arguments(kernel, positional, named)
        names, numbers = _size_arrays(sizes)
        if stream is None:
            handle = None
        elif hasattr(stream, "cuda_stream"):  # torch.cuda.Stream
            handle = stream.cuda_stream
        elif hasattr(stream, "ptr"):  # cupy.cuda.Stream
            handle = stream.ptr
        else:
            handle = int(stream)
        _check(_library().celeris_launch(self._handle, kernel.encode(), names, numbers,
                                         len(names), pointers, len(pointers), handle),
               f"launching '{kernel}'")

    def geometry(self, kernel, *positional, sizes=None, **named):
        """Checks a launch as `launch` does, without running it, and returns
        its geometry: (grid (x, y, z), dynamic shared memory bytes)."""
        pointers, keep_alive = self._arguments(kernel, positional, named)
        names, numbers = _size_arrays(sizes)
        grid, shared = (ctypes.c_int64 * 3)(), ctypes.c_int64()
        _check(_library().celeris_launch_geometry(
            self._handle, kernel.encode(), names, numbers, len(names), pointers,
            len(pointers), grid, ctypes.byref(shared)), f"checking a launch of '{kernel}'")
        return tuple(grid), shared.value

    def _arguments(self, kernel, positional, named):
        """The kernel's argument pointers as celeris_launch takes them, checked
        against the manifest, and the ctypes objects they point to."""
        if kernel not in self.kernels:
            raise CelerisError(f"the artifact has no kernel '{kernel}'; it has "
                               f"{', '.join(sorted(self.kernels))}")
        signature = self.kernels[kernel]
        if len(positional) > len(signature):
            raise CelerisError(f"kernel '{kernel}' takes {len(signature)} arguments, "
                               f"got {len(positional)} positional")
        values = dict(zip([a[0] for a in signature], positional))
        for name, value in named.items():
            if name in values:
                raise CelerisError(f"argument '{name}' given twice")
            values[name] = value
        missing = [a[0] for a in signature if a[0] not in values]
        unknown = sorted(set(values) - {a[0] for a in signature})
        if missing or unknown:
            raise CelerisError(
                f"kernel '{kernel}' takes ({', '.join(a[0] for a in signature)})"
                + (f"; missing {', '.join(missing)}" if missing else "")
                + (f"; unknown {', '.join(unknown)}" if unknown else ""))

        keep_alive = []
        pointers = (ctypes.c_void_p * len(signature))()
        for i, (name, kind, rank, element) in enumerate(signature):
            value = values[name]
            if kind == _KIND_MEMREF:
                ptr, shape, strides, dtype, device = _tensor_info(value, name)
                if self.device is not None and device != self.device:
                    raise CelerisError(f"argument '{name}' is on cuda:{device}, the "
                                       f"module on cuda:{self.device}")
                if len(shape) != rank:
                    raise CelerisError(f"argument '{name}' must have rank {rank}, got shape {shape}")
                want = _MLIR_TO_DTYPE_NAME.get(element, element)
                if element and dtype != want:
                    raise CelerisError(f"argument '{name}' must be {want}, got {dtype}")
                # Row-major strides; an empty tensor has no layout to check
                # (torch gives it any strides).
                expected = 1
                for d in range(rank - 1, -1, -1):
                    extent = shape[d]
                    if extent == 0:
                        break
                    if extent > 1 and strides[d] != expected:
                        raise CelerisError(
                            f"argument '{name}' must be contiguous (row-major), "
                            f"got strides {strides} for shape {shape}")
                    expected *= extent
                descriptor = _memref_descriptor(rank)
                if rank:
                    sizes = descriptor.sizes_type(*shape)
                    desc = descriptor(ptr, ptr, 0, sizes, descriptor.sizes_type(*strides))
                else:
                    desc = descriptor(ptr, ptr, 0)
                keep_alive.append(desc)
                pointers[i] = ctypes.addressof(desc)
                continue
            if kind == _KIND_PTR:
                scalar = ctypes.c_void_p(_tensor_info(value, name)[0]
                                         if not isinstance(value, int) else value)
            elif kind == _KIND_I32:
                scalar = ctypes.c_int32(int(value))
            elif kind == _KIND_I64:
                scalar = ctypes.c_int64(int(value))
            else:
                scalar = ctypes.c_float(float(value))
            keep_alive.append(scalar)
            pointers[i] = ctypes.addressof(scalar)
        return pointers, keep_alive

    def synchronize(self):
        if self._runtime is None:
            raise CelerisError("the module was loaded without a device (device=None)")
        _check(_library().celeris_synchronize(self._runtime), "synchronizing")


class KernelFunction:
    """A kernel of a module as a function of its inputs: called with torch
    CUDA tensors (in order or by name), it checks them as `launch` does,
    allocates the outputs (shapes from the manifest's `result` lines, element
    types from its arguments) on the inputs' device, launches on the current
    torch stream of that device (so it works on side streams and under CUDA
    graph capture) and returns the outputs: one tensor, or a tuple in the
    kernel's argument order."""

    def __init__(self, module, kernel):
        module._require_results(kernel)
        self.module, self.kernel = module, kernel
        signature = module.kernels[kernel]
        self.outputs = [a for a in signature if a[0] in module.results[kernel]]
        self.inputs = [a[0] for a in signature if a[0] not in module.results[kernel]]

    def __call__(self, *positional, sizes=None, **named):
        import torch

        values = self.module._inputs(self.kernel, positional, named)
        shapes = self.module.result_shapes(self.kernel, **values)
        device = next((v.device for v in values.values() if hasattr(v, "device")
                       and getattr(v, "is_cuda", False)), None)
        if device is None:
            raise CelerisError(f"kernel '{self.kernel}' needs CUDA torch tensors as inputs")
        outputs = {}
        for name, _, _, element in self.outputs:
            dtype = getattr(torch, _MLIR_TO_DTYPE_NAME.get(element, element))
            outputs[name] = torch.empty(shapes[name], dtype=dtype, device=device)
        self.module.launch(self.kernel, **values, **outputs, sizes=sizes,
                           stream=torch.cuda.current_stream(device))
        result = tuple(outputs[name] for name, _, _, _ in self.outputs)
        return result[0] if len(result) == 1 else result


def _size_arrays(sizes):
    """The names and values of `sizes` ({name: value}) as C arrays."""
    sizes = dict(sizes or {})
    names = (ctypes.c_char_p * len(sizes))(*[str(k).encode() for k in sizes])
    numbers = (ctypes.c_int64 * len(sizes))(*[int(v) for v in sizes.values()])
    return names, numbers


def load(manifest_path, device=0):
    """Loads the artifact described by `manifest_path` on CUDA device `device`;
    device=None reads the manifest alone, to inspect kernels and check
    launches without a GPU."""
    return Module(manifest_path, device)
