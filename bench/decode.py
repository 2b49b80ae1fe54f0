"""Decode throughput: Celeris (examples/gpu/decode.mlir compiled by
scripts/device/prepare.sh into .device/decode) against torch SDPA's flash and
cuDNN backends (enable_gqa) and FlexAttention (torch.compile'd
flex_attention, no mask, enable_gqa: its decoding kernel for one query
row), in one process on the same random bf16 inputs.
Rows: B16 Hq32 Hkv8 L32768, B64 L8192 and B1 L131072 (gqa_32_8, every cache
full), MQA 8/1 at B1 L32768 (mqa_8_1), and the B16 L32768 row through a
paged cache of 64-key pages in shuffled order (paged_64; SDPA reads the
contiguous cache). The copy ceiling (a 2 GiB device-to-device copy) is
measured in the same run.

Each call is timed inside a CUDA graph of CALLS back-to-back calls (so the
host's launch cost, which exceeds these kernels' run time, is not timed),
median of REPS graph replays divided by CALLS. TB/s count the bytes a
decode step must move: K and V, plus Q and O. Usage (repository root, GPU
machine, CELERIS_RUNTIME_LIB set as in scripts/device/run.sh):
    python3 bench/decode.py [MANIFEST]
Correctness is checked by scripts/device/check_decode.py; here SDPA's output
is only compared with Celeris's (rel diff) as a sanity check.
"""

import argparse
import collections
import os
import sys

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from celeris.runtime import load  # noqa: E402
import timing  # noqa: E402

REPS, WARMUP, CALLS = 20, 3, 20
D = 128
Row = collections.namedtuple("Row", "label kernel b hq hkv l page", defaults=(None,))
ROWS = [
    Row("B16 Hq32 Hkv8 L32768", "gqa_32_8", 16, 32, 8, 32768),
    Row("B64 Hq32 Hkv8 L8192", "gqa_32_8", 64, 32, 8, 8192),
    Row("B1 Hq32 Hkv8 L131072", "gqa_32_8", 1, 32, 8, 131072),
    Row("MQA B1 Hq8 Hkv1 L32768", "mqa_8_1", 1, 8, 1, 32768),
    Row("paged(64) B16 Hq32 Hkv8 L32768", "paged_64", 16, 32, 8, 32768, 64),
]


def graph_ms(fn):
    return timing.graph_ms(fn, CALLS, REPS, WARMUP)


def copy_ceiling():
    return timing.copy_ceiling(REPS, WARMUP)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("manifest", nargs="?", default=".device/decode/manifest.txt")
    opts = parser.parse_args()
    module = load(opts.manifest)
    torch.manual_seed(0)
    print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}")
    copy = copy_ceiling()
    print(f"copy ceiling: {copy:.2f} TB/s")
    try:
        from torch.nn.attention.flex_attention import flex_attention
        flex = torch.compile(flex_attention)
    except Exception as e:  # noqa: BLE001
        flex = None
        print(f"FlexAttention skipped: {type(e).__name__}: {str(e)[:200]}")
    print("| row | Celeris ms | TB/s | SDPA flash ms | TB/s | cuDNN ms | TB/s "
          "| Flex ms | TB/s | vs flash | vs cuDNN | vs Flex | vs fastest | splits "
          "| rel diff |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in ROWS:
        q = torch.randn(row.b, row.hq, 1, D, device="cuda", dtype=torch.bfloat16)
        k, v = (torch.randn(row.b, row.hkv, row.l, D, device="cuda", dtype=torch.bfloat16)
                for _ in range(2))
        out = torch.empty_like(q)
        lse = torch.empty(row.b, row.hq, 1, device="cuda", dtype=torch.float32)
        args = dict(q=q, out=out, lse=lse)
        if row.page:
            pages = row.l // row.page
            perm = torch.randperm(row.b * pages, device="cuda")
            kp, vp = (torch.empty(row.b * pages, row.hkv, row.page, D, device="cuda",
                                  dtype=torch.bfloat16) for _ in range(2))
            for pool, x in ((kp, k), (vp, v)):
                pool[perm] = x.reshape(row.b, row.hkv, pages, row.page, D).permute(
                    0, 2, 1, 3, 4).reshape(-1, row.hkv, row.page, D)
            args.update(k=kp, v=vp, page_table=perm.reshape(row.b, pages).to(torch.int32))
        else:
            args.update(k=k, v=v)
        if row.kernel != "mqa_8_1":
            args["kv_lengths"] = torch.full((row.b,), row.l, device="cuda", dtype=torch.int32)
        stream = torch.cuda.current_stream

        def celeris():
            module.launch(row.kernel, **args, stream=stream())
        (splits, _, _), _ = module.geometry(row.kernel, **args)
        ms = {"celeris": graph_ms(celeris)}
        reference = None
        for name, backend in (("flash", SDPBackend.FLASH_ATTENTION),
                              ("cudnn", SDPBackend.CUDNN_ATTENTION)):
            try:
                with sdpa_kernel(backend):
                    def sdpa():
                        return F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
                    reference = sdpa()
                    ms[name] = graph_ms(sdpa)
            except Exception as e:  # noqa: BLE001
                print(f"{row.label}: SDPA {name} failed: {type(e).__name__}: {str(e)[:200]}")
                ms[name] = float("nan")
        ms["flex"] = float("nan")
        if flex is not None:
            try:
                ms["flex"] = graph_ms(lambda: flex(q, k, v, enable_gqa=True))
            except Exception as e:  # noqa: BLE001
                print(f"{row.label}: FlexAttention failed: {type(e).__name__}: "
                      f"{str(e)[:200]}")
        celeris()
        torch.cuda.synchronize()
        diff = ((out.double() - reference.double()).norm() / reference.double().norm()).item() \
            if reference is not None else float("nan")
        moved = 2 * row.b * row.hkv * row.l * D * 2 + 2 * row.b * row.hq * D * 2

        def tbps(t):
            return moved / t / 1e9
        fastest = min(t for t in (ms["flash"], ms["cudnn"], ms["flex"]) if t == t)
        print(f"| {row.label} | {ms['celeris']:.4f} | {tbps(ms['celeris']):.2f} "
              f"| {ms['flash']:.4f} | {tbps(ms['flash']):.2f} "
              f"| {ms['cudnn']:.4f} | {tbps(ms['cudnn']):.2f} "
              f"| {ms['flex']:.4f} | {tbps(ms['flex']):.2f} "
              f"| {ms['flash'] / ms['celeris']:.2f}x | {ms['cudnn'] / ms['celeris']:.2f}x "
              f"| {ms['flex'] / ms['celeris']:.2f}x | {fastest / ms['celeris']:.2f}x "
              f"| {splits} | {diff:.1e} |", flush=True)
        del q, k, v, args
        torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
