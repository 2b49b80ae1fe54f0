"""GPU check of kernels called as functions (celeris.runtime.KernelFunction):
the outputs it allocates and returns are bit for bit those of a launch into
caller-allocated outputs; the call runs on the current torch stream, so it
works on a side stream and inside CUDA graph capture (replays give the same
bits, including the decode kernels' runtime-owned workspace after a
warm-up launch). And the decode kernel as a PyTorch operator
(celeris.torch_ops): eager, in a torch.compile graph, under torch.compile's
CUDA graphs. Usage (repository root, GPU machine, CELERIS_RUNTIME_LIB set
as in scripts/device/run.sh):
    check_function.py DECODE_MANIFEST PREFILL_MANIFEST
(.device/decode/manifest.txt and .device/attention/manifest.txt from
scripts/device/prepare.sh)."""

import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
sys.path.insert(0, os.path.dirname(__file__))
from celeris.runtime import load  # noqa: E402
from check_attention_masks import expect, failures  # noqa: E402


def same(a, b):
    return all(torch.equal(x.view(torch.int16) if x.dtype != torch.float32 else x.view(torch.int32),
                           y.view(torch.int16) if y.dtype != torch.float32 else y.view(torch.int32))
               for x, y in zip(a, b))


def check(module, kernel, inputs, launch_outputs):
    function = module.function(kernel)
    module.launch(kernel, **inputs, **launch_outputs)
    torch.cuda.synchronize()
    expected = tuple(launch_outputs[name] for name, *_ in function.outputs)
    got = function(**inputs)
    got = got if isinstance(got, tuple) else (got,)
    torch.cuda.synchronize()
    shapes = [tuple(t.shape) for t in got]
    expect(same(got, expected), f"{kernel}: function == launch, outputs {shapes}")

    stream = torch.cuda.Stream()
    with torch.cuda.stream(stream):
        side = function(**inputs)
    stream.synchronize()
    side = side if isinstance(side, tuple) else (side,)
    expect(same(side, expected), f"{kernel}: on a side stream")

    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        captured = function(**inputs)
    captured = captured if isinstance(captured, tuple) else (captured,)
    for tensor in captured:
        tensor.fill_(float("nan")) if tensor.is_floating_point() else None
    graph.replay()
    torch.cuda.synchronize()
    expect(same(captured, expected), f"{kernel}: captured in a CUDA graph and replayed")


def check_torch_op(module, q, k, v, lens):
    """celeris::gqa_32_8 as a PyTorch operator: eager, inside a
    torch.compile graph without graph breaks, and under torch.compile's CUDA
    graphs (mode="reduce-overhead")."""
    from celeris import torch_ops

    op = torch_ops.register(module, "gqa_32_8")
    expected = module.function("gqa_32_8")(q, k, v, lens)
    expect(same(op(q, k, v, lens), expected), "torch.ops.celeris.gqa_32_8 eager")

    def step(q, k, v, lens):
        out, lse = op(q, k, v, lens)
        return out * 1, lse

    compiled = torch.compile(step, fullgraph=True)
    expect(same(compiled(q, k, v, lens), expected), "inside torch.compile(fullgraph=True)")
    graphs = torch.compile(step, mode="reduce-overhead", fullgraph=True)
    for _ in range(3):  # warm-up, record, replay
        got = graphs(q, k, v, lens)
    expect(same(got, expected), "under torch.compile(mode='reduce-overhead') (CUDA graphs)")


def check_jit(module, q, k, v, lens, cache_dir):
    """celeris.jit on the GPU: the decode model IR through the disk cache
    (filled by prepare.sh; this machine has no compiler), equal to the
    kernel function; CuPy inputs through DLPack give the same bits (f16:
    CuPy has no bfloat16)."""
    import celeris

    root = os.path.join(os.path.dirname(__file__), "..", "..")
    fn = celeris.jit(os.path.join(root, "examples", "gpu", "decode.mlir"), "gqa_32_8",
                     target="cuda", cache_dir=cache_dir)
    expected = module.function("gqa_32_8")(q, k, v, lens)
    expect(same(fn(q, k, v, lens), expected), "celeris.jit(target='cuda') == kernel function")
    try:
        import cupy
    except ImportError:
        expect(False, "CuPy is not installed: DLPack inputs not checked")
        return
    fn16 = celeris.jit(os.path.join(root, "examples", "gpu", "decode.mlir"), "gqa_f16",
                       target="cuda", cache_dir=cache_dir)
    q, k, v = (t.half() for t in (q, k, v))
    expected = module.function("gqa_f16")(q, k, v, lens)
    got = fn16(*[cupy.from_dlpack(t) for t in (q, k, v, lens)])
    expect(same(got, expected), "celeris.jit with CuPy inputs (DLPack)")


def main():
    decode, prefill = load(sys.argv[1]), load(sys.argv[2])
    torch.manual_seed(0)
    b, length = 4, 3000
    q = torch.randn(b, 32, 1, 128, device="cuda", dtype=torch.bfloat16)
    k, v = (torch.randn(b, 8, length, 128, device="cuda", dtype=torch.bfloat16) for _ in range(2))
    lens = torch.tensor([0, 1, 1700, length], device="cuda", dtype=torch.int32)
    check(decode, "gqa_32_8", dict(q=q, k=k, v=v, kv_lengths=lens),
          dict(out=torch.empty_like(q), lse=torch.empty(b, 32, 1, device="cuda")))

    check_torch_op(decode, q, k, v, lens)
    check_jit(decode, q, k, v, lens,
              os.path.join(os.path.dirname(sys.argv[1]), "..", "cache"))

    kernel = "attention_full_d128_bf16"
    if kernel in prefill.kernels:
        q, k, v = (torch.randn(2, 16, 1000, 128, device="cuda", dtype=torch.bfloat16)
                   for _ in range(3))
        outputs = {name: torch.empty(shape, device="cuda",
                                     dtype=torch.float32 if name == "lse" else torch.bfloat16)
                   for name, shape in prefill.result_shapes(kernel, q=q, k=k, v=v).items()}
        check(prefill, kernel, dict(q=q, k=k, v=v), outputs)
    else:
        expect(False, f"{kernel}: not in {sys.argv[2]}")
    print(f"{len(failures)} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
