"""Masked attention forward throughput: Celeris (examples/gpu/attention_masks.mlir
compiled by scripts/device/prepare.sh into .device/attention_masks) against
FlexAttention (torch.compile'd flex_attention; its block mask built by
create_block_mask outside the timed region, a mask_mod for the mask and a
score_mod for the softcap), in one process on the same random inputs, at
B2 H16 S8192 D128 bf16 (Sq = Sk: query positions are the row indices).

CUDA events around each call, warm-up, median of REPS. Effective TFLOP/s
count only the allowed (query, key) pairs, counted exactly from the mask:
4 * B * H * D * pairs / time. Usage (repository root, GPU machine,
CELERIS_RUNTIME_LIB set as in scripts/device/run.sh):
    python3 bench/attention_masks.py [MANIFEST]
Correctness is checked by scripts/device/check_attention_masks.py; here
Flex's output is only compared with Celeris's (rel diff) as a sanity check.
"""

import argparse
import math
import os
import statistics
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
from celeris.runtime import load  # noqa: E402

REPS, WARMUP = 30, 5
B, H, S, D = 2, 16, 8192, 128


def causal(b, h, q, k):
    return q >= k


def sliding_window_1024(b, h, q, k):  # intersect(causal, window<left = 1023, right = 0>)
    return (q >= k) & (q - k <= 1023)


def sinks_4_window_1024(b, h, q, k):  # intersect(causal, union(sink<4>, window<1023, 0>))
    return (q >= k) & ((q - k <= 1023) | (k < 4))


def block_causal_128(b, h, q, k):  # block_causal<128>
    return k // 128 <= q // 128


def softcap_30(score, b, h, q, k):
    return 30.0 * torch.tanh(score / 30.0)


# (Celeris kernel, workload, mask_mod, score_mod)
ROWS = [
    ("sliding_window_1024", "sliding window 1024, causal", sliding_window_1024, None),
    ("sinks_4_window_1024", "4 sinks + window 1024, causal", sinks_4_window_1024, None),
    ("softcap_30_causal", "softcap 30, causal", causal, softcap_30),
    ("block_causal_128", "block_causal<128>", block_causal_128, None),
]


def median_ms(fn):
    for _ in range(WARMUP):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(REPS):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def allowed_pairs(mask_mod):
    """Allowed (query, key) pairs of one (batch, head), counted exactly."""
    i = torch.arange(S, device="cuda")
    return int(mask_mod(None, None, i[:, None], i[None, :]).sum().item())


def rel(a, b):
    a, b = a.float(), b.float()
    return ((a - b).norm() / b.norm()).item()


def main(manifest):
    print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}", flush=True)
    module = load(manifest)
    try:
        from torch.nn.attention.flex_attention import create_block_mask, flex_attention
        flex = torch.compile(flex_attention)
    except Exception as e:  # noqa: BLE001
        flex = None
        print(f"FlexAttention skipped: {type(e).__name__}: {str(e)[:200]}")
    gen = torch.Generator(device="cuda").manual_seed(20261125)

    def randn(*shape):
        return torch.randn(*shape, device="cuda", generator=gen).to(torch.bfloat16)
    q, k, v = randn(B, H, S, D), randn(B, H, S, D), randn(B, H, S, D)
    out = torch.empty_like(q)
    lse = torch.empty(B, H, S, device="cuda", dtype=torch.float32)
    scale = 1.0 / math.sqrt(D)
    status, rows = 0, []
    for kernel, workload, mask_mod, score_mod in ROWS:
        pairs = allowed_pairs(mask_mod)
        flop = 4.0 * B * H * D * pairs
        celeris_ms = flex_ms = None
        note = ""
        if kernel in module.kernels:
            try:
                celeris_ms = median_ms(
                    lambda: module.launch(kernel, q=q, k=k, v=v, out=out, lse=lse))
            except Exception as e:  # noqa: BLE001
                status = 1
                print(f"{workload}: Celeris failed: {type(e).__name__}: {str(e)[:200]}")
        else:
            status = 1
            print(f"{workload}: Celeris skipped: no kernel '{kernel}' in {manifest}")
        if flex is not None:
            try:
                block_mask = create_block_mask(mask_mod, None, None, S, S, device="cuda")
                fn = lambda: flex(q, k, v, score_mod=score_mod,  # noqa: E731
                                  block_mask=block_mask, scale=scale)
                ref = fn()  # compiles
                flex_ms = median_ms(fn)
                if celeris_ms is not None:
                    note = f"rel diff Celeris vs Flex {rel(out, ref):.1e}"
                del ref
            except Exception as e:  # noqa: BLE001
                print(f"{workload}: FlexAttention skipped: {type(e).__name__}: {str(e)[:200]}")
        density = pairs / (S * S)
        cells = []
        for label, ms in (("Celeris", celeris_ms), ("Flex", flex_ms)):
            if ms is not None:
                cells.append(f"{label} {ms:7.3f} ms {flop / ms / 1e9:6.1f} TFLOP/s")
        print(f"{workload:32s} density {density:.4f}  " + "  ".join(cells) + f"  {note}",
              flush=True)
        rows.append((workload, density, flop, celeris_ms, flex_ms))
        torch.cuda.empty_cache()

    def tflops(flop, ms):
        return f"{flop / ms / 1e9:.0f}" if ms is not None else "n/a"

    def millis(ms):
        return f"{ms:.3f}" if ms is not None else "n/a"
    print()
    print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}; "
          f"B{B} H{H} S{S} D{D} bf16; TFLOP/s over allowed pairs only")
    print("| workload | density | Celeris TFLOP/s | Flex TFLOP/s | Celeris/Flex | Celeris ms | Flex ms |")
    print("|---|---|---|---|---|---|---|")
    for workload, density, flop, celeris_ms, flex_ms in rows:
        ratio = (f"{flex_ms / celeris_ms:.2f}x" if celeris_ms is not None and flex_ms is not None
                 else "n/a")
        print(f"| {workload} | {density:.4f} | {tflops(flop, celeris_ms)} | "
              f"{tflops(flop, flex_ms)} | {ratio} | {millis(celeris_ms)} | {millis(flex_ms)} |")
    return status


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("manifest", nargs="?", default=".device/attention_masks/manifest.txt")
    sys.exit(main(parser.parse_args().manifest))
