"""The Python runtime wrapper on a machine without a GPU: clear errors, never
a crash. (The GPU path is exercised by scripts/device/check_runtime.py on a
GPU machine.)"""

import ctypes

import numpy as np
import pytest

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
