"""Masked attention forward throughput: Celeris (examples/gpu/attention_masks.mlir
compiled by scripts/device/prepare.sh into .device/attention_masks) against
FlexAttention (torch.compile'd flex_attention; its block mask built by
create_block_mask outside the timed region, a mask_mod for the mask and a
score_mod for the softcap), in one process on the same random inputs, at
B2 H16 S8192 D128 bf16 (Sq = Sk: query positions are the row indices).
Document masking (8 documents of random lengths per batch, causal within
each) runs through varlen_causal (the two batches packed into B=1, 16
sequences) and document_segments_causal (B=2, ids per batch), against Flex
with a mask_mod on the document ids; the random block layout (128 x 128
blocks, each listed with probability 1/2 per batch, head and query block)
through block_sparse_128, against Flex with a BlockMask of the same layout
(BlockMask.from_kv_blocks, every listed block full). Layouts and documents
are drawn from the same seeded generator as the inputs.

Each side is timed in a CUDA graph of CALLS calls (the host's launch cost
is not timed; bench/timing.py), median of REPS replays after a warm-up; a
call that cannot be captured falls back to CUDA events around each call and
its time is marked "(events)". Effective TFLOP/s
count only the allowed (query, key) pairs, counted exactly from the mask
over every batch and head: 4 * D * pairs / time. Usage (repository root,
GPU machine, CELERIS_RUNTIME_LIB set as in scripts/device/run.sh):
    python3 bench/attention_masks.py [MANIFEST]
Correctness is checked by scripts/device/check_attention_masks.py; here
Flex's output is only compared with Celeris's (rel diff) as a sanity check.
"""

import argparse
import collections
import math
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from celeris.runtime import load  # noqa: E402
import timing  # noqa: E402

REPS, WARMUP, CALLS = 30, 5, 10
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


# extra: the kernel's further arguments; packed: q, k, v, out and lse packed
# into B=1 along the sequence (varlen); flex_mask: () -> Flex's BlockMask
# (default: create_block_mask of mask_mod, the same for every batch and head).
Row = collections.namedtuple(
    "Row", "kernel workload mask_mod score_mod extra packed flex_mask",
    defaults=(None, {}, False, None))
ROWS = [
    Row("sliding_window_1024", "sliding window 1024, causal", sliding_window_1024),
    Row("sinks_4_window_1024", "4 sinks + window 1024, causal", sinks_4_window_1024),
    Row("softcap_30_causal", "softcap 30, causal", causal, softcap_30),
    Row("block_causal_128", "block_causal<128>", block_causal_128),
]
DOCUMENTS, LAYOUT_BLOCK, LAYOUT_DENSITY = 8, 128, 0.5


def structured_rows(gen):
    """Rows of document masking and of a random block layout, drawn from `gen`."""
    # Document d of batch b: rows bounds[b][d] .. bounds[b][d + 1] - 1.
    bounds = [[0] + (torch.randperm(S - 1, device="cuda", generator=gen)[:DOCUMENTS - 1] + 1)
              .sort().values.tolist() + [S] for _ in range(B)]
    pos = torch.arange(S, device="cuda")
    doc = torch.stack([torch.searchsorted(torch.tensor(x[1:-1], device="cuda"), pos, right=True)
                       for x in bounds]).to(torch.int32)
    cu = torch.tensor([b * S + x for b in range(B) for x in bounds[b][:-1]] + [B * S],
                      device="cuda", dtype=torch.int32)

    def document_causal(b, h, q, k):
        return (doc[b, q] == doc[b, k]) & (q >= k)

    def document_mask():
        from torch.nn.attention.flex_attention import create_block_mask
        return create_block_mask(document_causal, B, None, S, S, device="cuda")

    nb = S // LAYOUT_BLOCK
    listed = torch.rand(B, H, nb, nb, device="cuda", generator=gen) < LAYOUT_DENSITY
    counts = listed.sum(-1).to(torch.int32)
    # The listed blocks first, ascending, then the others (past the count).
    indices = torch.argsort((~listed).to(torch.int8), dim=-1, stable=True).to(torch.int32)

    def block_layout(b, h, q, k):
        return listed[b, h, q // LAYOUT_BLOCK, k // LAYOUT_BLOCK]

    def layout_mask():
        from torch.nn.attention.flex_attention import BlockMask
        mask = BlockMask.from_kv_blocks(torch.zeros_like(counts), indices, counts, indices,
                                        BLOCK_SIZE=LAYOUT_BLOCK, mask_mod=block_layout)
        assert torch.equal(mask.to_dense().bool(), listed), "Flex's layout is not ours"
        return mask
    document = f"document masking, {DOCUMENTS} documents, causal"
    return [
        Row("varlen_causal", document + " (varlen)", document_causal,
            extra=dict(cu_seqlens_q=cu, cu_seqlens_kv=cu), packed=True, flex_mask=document_mask),
        Row("document_segments_causal", document + " (ids)", document_causal,
            extra=dict(q_segment_ids=doc, kv_segment_ids=doc), flex_mask=document_mask),
        Row("block_sparse_128", f"random block layout {LAYOUT_DENSITY:.0%} dense",
            block_layout, extra=dict(block_counts=counts, block_indices=indices),
            flex_mask=layout_mask),
    ]


def timed(fn):
    """Median ms of a call of `fn` (which launches on the current stream) and
    how it was timed: "" from a CUDA graph, " (events)" when `fn` cannot be
    captured."""
    return timing.graph_or_events_ms(fn, CALLS, REPS, WARMUP)


def allowed_pairs(mask_mod):
    """Allowed (query, key) pairs of every batch and head, counted exactly."""
    i = torch.arange(S, device="cuda")
    return sum(int(mask_mod(torch.tensor(b, device="cuda"), torch.tensor(h, device="cuda"),
                            i[:, None], i[None, :]).sum().item())
               for b in range(B) for h in range(H))


def pack(x):
    """[B, H, S, ...] -> [1, H, B * S, ...]: the batches one after the other."""
    return x.transpose(0, 1).reshape(1, x.shape[1], B * S, *x.shape[3:]).contiguous()


def unpack(x):
    return x.reshape(x.shape[1], B, S, *x.shape[3:]).transpose(0, 1)


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
    packed = dict(q=pack(q), k=pack(k), v=pack(v), out=pack(out), lse=pack(lse))
    scale = 1.0 / math.sqrt(D)
    status, rows = 0, []
    for kernel, workload, mask_mod, score_mod, extra, is_packed, flex_mask in (
            ROWS + structured_rows(gen)):
        pairs = allowed_pairs(mask_mod)
        flop = 4.0 * D * pairs
        celeris_ms = flex_ms = None
        celeris_how = flex_how = ""
        note = ""
        args = dict(packed if is_packed else dict(q=q, k=k, v=v, out=out, lse=lse), **extra)
        if kernel in module.kernels:
            try:
                celeris_ms, celeris_how = timed(lambda: module.launch(
                    kernel, stream=torch.cuda.current_stream(), **args))
            except Exception as e:  # noqa: BLE001
                status = 1
                print(f"{workload}: Celeris failed: {type(e).__name__}: {str(e)[:200]}")
        else:
            status = 1
            print(f"{workload}: Celeris skipped: no kernel '{kernel}' in {manifest}")
        if flex is not None:
            try:
                block_mask = (flex_mask() if flex_mask is not None else
                              create_block_mask(mask_mod, None, None, S, S, device="cuda"))
                fn = lambda: flex(q, k, v, score_mod=score_mod,  # noqa: E731
                                  block_mask=block_mask, scale=scale)
                ref = fn()  # compiles
                flex_ms, flex_how = timed(fn)
                if celeris_ms is not None:
                    result = unpack(args["out"]) if is_packed else out
                    note = f"rel diff Celeris vs Flex {rel(result, ref):.1e}"
                del ref
            except Exception as e:  # noqa: BLE001
                print(f"{workload}: FlexAttention skipped: {type(e).__name__}: {str(e)[:200]}")
        density = pairs / (B * H * S * S)
        cells = []
        for label, ms in (("Celeris", celeris_ms), ("Flex", flex_ms)):
            if ms is not None:
                cells.append(f"{label} {ms:7.3f} ms {flop / ms / 1e9:6.1f} TFLOP/s")
        print(f"{workload:48s} density {density:.4f}  " + "  ".join(cells) + f"  {note}",
              flush=True)
        rows.append((workload, density, flop, celeris_ms, flex_ms, celeris_how + flex_how))
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
    for workload, density, flop, celeris_ms, flex_ms, how in rows:
        ratio = (f"{flex_ms / celeris_ms:.2f}x" if celeris_ms is not None and flex_ms is not None
                 else "n/a")
        print(f"| {workload}{how} | {density:.4f} | {tflops(flop, celeris_ms)} | "
              f"{tflops(flop, flex_ms)} | {ratio} | {millis(celeris_ms)} | {millis(flex_ms)} |")
    return status


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("manifest", nargs="?", default=".device/attention_masks/manifest.txt")
    sys.exit(main(parser.parse_args().manifest))
