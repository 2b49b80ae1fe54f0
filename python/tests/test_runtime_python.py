"""The Python runtime wrapper on a machine without a GPU: clear errors, never
a crash, and launches checked (sizes bound from argument shapes included) on
a module read from its manifest alone. (The GPU path is exercised by
scripts/device/check_runtime.py on a GPU machine.)"""

import ctypes
import os

import numpy as np
import pytest

import celeris
from celeris import runtime


def test_missing_library_is_explained(monkeypatch, tmp_path):
    monkeypatch.setenv("CELERIS_RUNTIME_LIB", str(tmp_path / "nope.so"))
    monkeypatch.setattr(runtime, "_lib", None)
    with pytest.raises(runtime.CelerisError, match="runtime library is not at"):
        runtime.load(str(tmp_path / "manifest.txt"))


def test_no_driver_or_no_device_is_explained(tmp_path):
    lib = runtime._library()
    handle = ctypes.c_void_p()
    if lib.celeris_runtime_create(0, ctypes.byref(handle)) == 0:
        pytest.skip("this machine has a CUDA device")
    with pytest.raises(runtime.CelerisError, match="cannot start the Celeris runtime"):
        runtime.load(str(tmp_path / "manifest.txt"))


def test_host_arrays_are_rejected():
    with pytest.raises(runtime.CelerisError, match="must be a CUDA torch tensor or CuPy array"):
        runtime._tensor_info(np.zeros(3), "x")


class FakeCudaTensor:
    """Enough of a contiguous CUDA torch tensor for the argument checks; no
    memory behind it (a manifest-only module never runs a kernel)."""

    def __init__(self, *shape, dtype="float32"):
        self.shape, self.dtype, self.is_cuda = shape, dtype, True
        self.device = type("Device", (), {"index": 0})()

    def data_ptr(self):
        return 0x1000

    def stride(self):
        strides, step = [], 1
        for extent in reversed(self.shape):
            strides.insert(0, step)
            step *= extent
        return tuple(strides)


@pytest.fixture
def saxpy_module(tmp_path):
    """saxpy's artifact read from its manifest alone: N is bound to x[0]."""
    source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test",
                          "Integration", "GPU", "saxpy.mlir")
    manifest = celeris.compile(source, tmp_path / "art", binary_format="isa")
    return runtime.load(manifest, device=None)


def test_sizes_bound_in_the_manifest_are_listed(saxpy_module):
    assert saxpy_module.sizes == {"saxpy": {"N": ("x", 0)}}


def test_launch_sizes_come_from_argument_shapes(saxpy_module):
    x, y = FakeCudaTensor(1000), FakeCudaTensor(1000)
    assert saxpy_module.geometry("saxpy", a=2.0, x=x, y=y) == ((4, 1, 1), 0)
    assert saxpy_module.geometry("saxpy", 2.0, x, y, sizes={"N": 1000}) == ((4, 1, 1), 0)
    # Every check passes without sizes; only the missing device stops the launch.
    with pytest.raises(runtime.CelerisError, match="loaded from its manifest alone"):
        saxpy_module.launch("saxpy", a=2.0, x=x, y=y)


def test_disagreeing_sizes_are_explained(saxpy_module):
    x = FakeCudaTensor(1000)
    with pytest.raises(runtime.CelerisError,
                       match="size 'N' was given as 999 but argument 'x' has 1000 in dimension 0"):
        saxpy_module.launch("saxpy", a=2.0, x=x, y=x, sizes={"N": 999})
    with pytest.raises(runtime.CelerisError, match="must have rank 1"):
        saxpy_module.geometry("saxpy", a=2.0, x=FakeCudaTensor(10, 100), y=x)


def _kernel_manifest(tmp_path, body):
    """A manifest of one kernel `k` with the directives of `body` (from line 5)."""
    manifest = tmp_path / "manifest.txt"
    manifest.write_text("celeris-artifact 1\nkernel k\n  binary k.ptx\n  symbol k\n"
                        + body + "end\n")
    return manifest


def test_unbound_sizes_must_be_given(tmp_path):
    manifest = _kernel_manifest(tmp_path, "  grid ceildiv(N,256) M 1\n  block 256 1 1\n  shared 0\n"
                                "  arg memref<1:f32> x\n  size N x 0\n")
    module = runtime.load(manifest, device=None)
    x = FakeCudaTensor(1000)
    with pytest.raises(runtime.CelerisError, match="no value was given for size 'M'"):
        module.geometry("k", x)
    assert module.geometry("k", x, sizes={"M": 3}) == ((4, 3, 1), 0)


def test_static_extents_are_checked(tmp_path):
    manifest = _kernel_manifest(tmp_path, "  grid N 1 1\n  block 1 1 1\n  shared 0\n"
                                "  arg memref<2:f32> q shape ?x128\n  size N q 0\n")
    module = runtime.load(manifest, device=None)
    assert module.geometry("k", FakeCudaTensor(7, 128)) == ((7, 1, 1), 0)
    with pytest.raises(runtime.CelerisError,
                       match="kernel 'k': argument 'q' has extent 64 in dimension 1, "
                             "the kernel needs 128"):
        module.geometry("k", FakeCudaTensor(7, 64))


def test_bad_size_lines_are_explained(tmp_path):
    manifest = _kernel_manifest(tmp_path, "  grid N 1 1\n  shared 0\n  arg f32 a\n  size N a 0\n")
    with pytest.raises(runtime.CelerisError,
                       match="line 8: size 'N' reads 'a', which is not a memref argument"):
        runtime.load(manifest, device=None)


def test_kernels_without_output_shapes_are_no_functions(saxpy_module):
    assert saxpy_module.results["saxpy"] == {}
    with pytest.raises(runtime.CelerisError, match="gives no output shapes for kernel 'saxpy'"):
        saxpy_module.function("saxpy")


def test_empty_tensors_take_any_strides(tmp_path):
    """torch gives an empty tensor whatever strides it likes (a recurrence
    over 0 tokens: [B, H, 0, D] with the strides of [B, H, 1, D]): no layout
    to check. A non-empty one must still be dense."""
    manifest = _kernel_manifest(tmp_path, "  grid N 1 1\n  block 1 1 1\n  shared 0\n"
                                "  arg memref<3:f32> q\n  size N q 0\n")
    module = runtime.load(manifest, device=None)
    empty = FakeCudaTensor(2, 0, 128)
    empty.stride = lambda: (128, 128, 1)
    assert module.geometry("k", empty) == ((2, 1, 1), 0)
    strided = FakeCudaTensor(2, 3, 128)
    strided.stride = lambda: (512, 128, 1)
    with pytest.raises(runtime.CelerisError, match="must be contiguous"):
        module.geometry("k", strided)
