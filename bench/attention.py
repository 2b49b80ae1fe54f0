"""Attention forward throughput: Celeris (examples/gpu/attention.mlir compiled
by scripts/device/prepare.sh into .device/attention: wgmma on sm_90a; and
.device/attention_mma_sync: the mma.sync kernel) against torch SDPA (flash and cuDNN backends) and FlexAttention, all in one process on the
same random inputs, for the first four attention workloads of DESIGN §6.

Each call is timed in a CUDA graph of CALLS calls (the host's launch cost is
not timed; bench/timing.py), median of REPS replays after a warm-up; a call
that cannot be captured falls back to CUDA events around each call, marked
"(events)". TFLOP/s counts
4·B·Hq·S²·D (full), half that for causal. Usage (repository root, GPU machine,
CELERIS_RUNTIME_LIB set as in scripts/device/run.sh):
    python3 bench/attention.py [MANIFEST...] [--main KERNEL]
Every kernel of the manifests is timed on the workloads of its head dim.
Correctness is checked by scripts/device/check_attention.py; here each peer's
output is only compared with Celeris's (rel diff) as a sanity check.
"""

import argparse
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scripts", "device"))
from celeris.runtime import load  # noqa: E402
import timing  # noqa: E402
from attention_kernels import Kernel  # noqa: E402

REPS, WARMUP, CALLS = 20, 3, 10

# (name, B, Hq, Hkv, S, D, causal)
WORKLOADS = [
    ("B2 H16 S8192 D128 full", 2, 16, 16, 8192, 128, False),
    ("B2 H16 S8192 D128 causal", 2, 16, 16, 8192, 128, True),
    ("B8 H32 S2048 D64 full", 8, 32, 32, 2048, 64, False),
    ("GQA 32q/8kv B2 S8192 D128 causal", 2, 32, 8, 8192, 128, True),
]


def median_ms(fn):
    """Median ms of a call of `fn` (which launches on the current stream):
    from a CUDA graph, or with events when `fn` cannot be captured."""
    return timing.graph_or_events_ms(fn, CALLS, REPS, WARMUP)[0]


def rel(a, b):
    a, b = a.float(), b.float()
    return ((a - b).norm() / b.norm()).item()


def main(manifests, main_kernel):
    """Times every bf16 kernel of `manifests` on the workloads of its head
    dim (and mask, for kernels compiled with one); the column "Celeris" is
    `main_kernel` ("{d}" = the head dim, "{mask}" = causal or full)."""
    from torch.nn.attention import SDPBackend, sdpa_kernel
    print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}", flush=True)
    kernels = {}  # name -> (module, Kernel)
    for manifest in manifests:
        module = load(manifest)
        artifact = os.path.basename(os.path.dirname(os.path.abspath(manifest)))
        for name in module.kernels:
            # Artifacts of one model IR with other options share kernel names.
            label = name if name not in kernels else f"{name}@{artifact}"
            kernels[label] = (module, Kernel(module, name))
    gen = torch.Generator(device="cuda").manual_seed(20261125)
    try:
        from torch.nn.attention.flex_attention import create_block_mask, flex_attention
        flex = torch.compile(flex_attention)
    except Exception as e:  # noqa: BLE001
        flex = None
        print(f"FlexAttention skipped: {type(e).__name__}: {str(e)[:200]}")
    rows = []
    for name, b, hq, hkv, s, d, causal in WORKLOADS:
        def randn(*shape):
            return torch.randn(*shape, device="cuda", generator=gen).to(torch.bfloat16)
        q, k, v = randn(b, hq, s, d), randn(b, hkv, s, d), randn(b, hkv, s, d)
        scale = 1.0 / math.sqrt(d)
        flop = 4.0 * b * hq * s * s * d * (0.5 if causal else 1.0)
        out = torch.empty_like(q)
        lse = torch.empty(b, hq, s, device="cuda", dtype=torch.float32)
        results = {}  # label -> (ms, note)

        def celeris(label):
            module, kern = kernels[label]
            return lambda: kern.launch(module, q, k, v, out, lse, scale, causal,
                                       stream=torch.cuda.current_stream())
        main = main_kernel.format(d=d, mask="causal" if causal else "full")
        results["Celeris"] = (median_ms(celeris(main)), main)
        ours = out.clone()
        for name_, (_, kern) in sorted(kernels.items()):
            if (name_ != main and kern.d == d and kern.dtype == torch.bfloat16
                    and kern.fixed_causal in (None, causal)):
                results["Celeris " + name_.replace("attention_", "")] = (
                    median_ms(celeris(name_)), f"rel diff {rel(out, ours):.1e}")
        gqa = hq != hkv
        for label, backend in (("SDPA flash", SDPBackend.FLASH_ATTENTION),
                               ("SDPA cuDNN", SDPBackend.CUDNN_ATTENTION)):
            try:
                with sdpa_kernel(backend):
                    fn = lambda: F.scaled_dot_product_attention(  # noqa: E731
                        q, k, v, is_causal=causal, scale=scale, enable_gqa=gqa)
                    ref = fn()
                    results[label] = (median_ms(fn), f"rel diff {rel(ours, ref):.1e}")
            except Exception as e:  # noqa: BLE001
                print(f"{name}: {label} skipped: {type(e).__name__}: {str(e)[:160]}")
        if flex is not None:
            try:
                bm = None
                if causal:
                    bm = create_block_mask(lambda b_, h_, qi, ki: qi >= ki, None, None, s, s,
                                           device="cuda")
                fn = lambda: flex(q, k, v, block_mask=bm, scale=scale, enable_gqa=gqa)  # noqa: E731
                ref = fn()
                results["FlexAttention"] = (median_ms(fn), f"rel diff {rel(ours, ref):.1e}")
            except Exception as e:  # noqa: BLE001
                print(f"{name}: FlexAttention skipped: {type(e).__name__}: {str(e)[:160]}")
        for label, (ms, note) in results.items():
            print(f"{name:36s} {label:24s} {ms:8.3f} ms {flop / ms / 1e9:7.1f} TFLOP/s  {note}",
                  flush=True)
        rows.append((name, flop, results))
        del q, k, v, out, lse, ours
        torch.cuda.empty_cache()

    peers = ["SDPA flash", "SDPA cuDNN", "FlexAttention"]
    print()
    print(f"device: {torch.cuda.get_device_name()}")
    print("| workload | Celeris | SDPA flash | cuDNN | FlexAttention | Celeris/flash | /cuDNN | /Flex |")
    print("|---|---|---|---|---|---|---|---|")
    for name, flop, results in rows:
        tf = {k_: flop / ms / 1e9 for k_, (ms, _) in results.items()}
        cells = [f"{tf[p]:.0f}" if p in tf else "n/a" for p in peers]
        ratios = [f"{tf['Celeris'] / tf[p]:.2f}x" if p in tf else "n/a" for p in peers]
        print(f"| {name} | {tf['Celeris']:.0f} | " + " | ".join(cells) + " | "
              + " | ".join(ratios) + " |")
        for k_ in results:
            if k_.startswith("Celeris "):
                print(f"|   {k_} | {tf[k_]:.0f} | | | | "
                      + (f"{tf[k_] / tf['SDPA flash']:.2f}x" if "SDPA flash" in tf else "n/a")
                      + " | | |")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("manifests", nargs="*", default=[
        ".device/attention/manifest.txt", ".device/attention_mma_sync/manifest.txt"])
    parser.add_argument("--main", default="attention_{mask}_d{d}_bf16",
                        help='kernel of the "Celeris" column; {d} = head dim, {mask} = causal or full')
    args = parser.parse_args()
    sys.exit(main(args.manifests, args.main))
