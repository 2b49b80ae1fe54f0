"""Celeris kernels as PyTorch operators.

`register(module, kernel)` defines the operator `celeris::<kernel>` (through
torch.library) whose CUDA implementation calls the kernel as a function of
its inputs (celeris.runtime.KernelFunction: outputs allocated, launch on the
current stream) and whose fake implementation gives the outputs' shapes and
element types from the manifest, so the operator runs inside torch.compile
graphs (no graph break) and under CUDA graph capture:

    from celeris import runtime, torch_ops
    module = runtime.load("artifact/manifest.txt")
    attention = torch_ops.register(module, "gqa_32_8")   # torch.ops.celeris.gqa_32_8
    out, lse = torch.compile(lambda q, k, v, n: attention(q, k, v, n))(q, k, v, lens)

Memref inputs become `Tensor` arguments, f32 scalars `float`, i32/i64
scalars `int`, in the kernel's argument order; the outputs are returned as
a tuple (a single output alone). Needs PyTorch; the rest of Celeris does
not.
"""

import torch

from .runtime import _KIND_F32, _KIND_I32, _KIND_I64, _KIND_MEMREF, _MLIR_TO_DTYPE_NAME
from .runtime import CelerisError

__all__ = ["register"]

_libraries = {}


def _schema_type(kind):
    if kind == _KIND_MEMREF:
        return "Tensor"
    if kind == _KIND_F32:
        return "float"
    if kind in (_KIND_I32, _KIND_I64):
        return "int"
    raise CelerisError("pointer arguments have no PyTorch operator type")


def register(module, kernel, name=None, namespace="celeris"):
    """Defines `torch.ops.<namespace>.<name>` (name: the kernel's) for
    `kernel` of `module` and returns it."""
    function = module.function(kernel)
    name = name or kernel
    signature = {a[0]: a for a in module.kernels[kernel]}
    inputs = function.inputs
    arguments = ", ".join(f"{_schema_type(signature[n][1])} {n}" for n in inputs)
    outputs = [o[0] for o in function.outputs]
    returns = ("Tensor" if len(outputs) == 1
               else "(" + ", ".join("Tensor" for _ in outputs) + ")")
    if namespace not in _libraries:
        _libraries[namespace] = torch.library.Library(namespace, "FRAGMENT")
    library = _libraries[namespace]
    library.define(f"{name}({arguments}) -> {returns}")

    def cuda(*args):
        return function(*args)

    def fake(*args):
        values = dict(zip(inputs, args))
        shapes = module.result_shapes(kernel, **values)
        device = next(v.device for v in args if isinstance(v, torch.Tensor))
        results = tuple(
            torch.empty(shapes[output], device=device,
                        dtype=getattr(torch, _MLIR_TO_DTYPE_NAME.get(element, element)))
            for output, _, _, element in function.outputs)
        return results[0] if len(results) == 1 else results

    library.impl(name, cuda, "CUDA")
    torch.library.register_fake(f"{namespace}::{name}", fake, lib=library)
    return getattr(getattr(torch.ops, namespace), name)
