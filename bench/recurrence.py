"""Chunkwise recurrences: Celeris (examples/gpu/recurrence.mlir compiled by
scripts/device/prepare.sh into .device/recurrence) against
flash-linear-attention (fla-core 0.6.0, Triton; FLA_FLASH_QLA=0) in one
process, bf16 forward, at B8 T4096 H16 D128 and B4 T8192 H32 D64.

Rows: linear attention (no decay; fla chunk_simple_gla without gates),
scalar gates (Mamba-2/SSD-like; chunk_simple_gla with g), RetNet
(chunk_retention; Celeris gets the same per-head decays, log(1 - 2^(-5-h))).
Each side takes its native layout: Celeris [B, H, T, D], fla [B, T, H, D],
from the same random values. Times: median over REPS replays of a CUDA
graph of CALLS calls, per call (the host's cost of a launch, tens of µs of
Python for either side, is not timed); the first call (fla: Triton compile
and autotune; Celeris: the first launch of a loaded kernel) is timed on its
own. The memory floor
is reading q, k, v (and gates) and writing o once at the copy bandwidth
measured in the same run. fla's output is compared with Celeris's (rel
diff) as a sanity check; correctness is scripts/device/check_recurrence.py's.
The decode step (recurrence_step, examples/gpu/recurrence_step.mlir) is
timed apart: one Gated DeltaNet token at B256 H16 Dk=Dv=128 (bf16 q, k, v;
f32 state read and written: 537 MB), in TB/s of the bytes it must move,
against the copy ceiling, fla's fused_recurrent_gated_delta_rule and the
same step in eager torch.
The token-by-token kernel (recurrence_sequential,
examples/gpu/recurrence_sequential.mlir) is timed at B8 T4096 H16 D128 for
the forms only it runs today: GLA (per-key gates), DeltaNet and Gated
DeltaNet, against fla's chunked kernels (chunk_gla, chunk_delta_rule,
chunk_gated_delta_rule) and its fused recurrent ones (the same algorithm as
Celeris's).
Usage (repository root, GPU machine, fla-core and einops importable):
    FLA_FLASH_QLA=0 python3 bench/recurrence.py [MANIFEST [STEP_MANIFEST
        [SEQUENTIAL_MANIFEST]]] [--celeris-only] [--step-only | --sequential-only]
"""

import argparse
import collections
import math
import os
import sys
import time

os.environ.setdefault("FLA_FLASH_QLA", "0")

import torch  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from celeris.runtime import load  # noqa: E402
import timing  # noqa: E402

REPS, WARMUP, CALLS = 20, 3, 10
Shape = collections.namedtuple("Shape", "b t h d")
SHAPES = [Shape(8, 4096, 16, 128), Shape(4, 8192, 32, 64)]
# (label, Celeris kernel at D128, at D64, gates)
OPS = [
    ("linear attention", "linear_attention", "linear_attention_d64", None),
    ("scalar gates (SSD)", "simple_gla", "simple_gla_d64", "scalar"),
    ("RetNet", "retnet", "retnet_d64", "head"),
]


def graph_ms(fn):
    """Median ms of a call from a CUDA graph of CALLS calls; events around
    each call when `fn` cannot be captured (marked in the table)."""
    return timing.graph_or_events_ms(fn, CALLS, REPS, WARMUP)


def copy_ceiling():
    return timing.copy_ceiling(REPS, WARMUP)


def first_call_ms(fn):
    torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    torch.cuda.synchronize()
    return (time.perf_counter() - start) * 1e3


def rel(a, b):
    a, b = a.double(), b.double()
    return ((a - b).norm() / b.norm()).item()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("manifest", nargs="?", default=".device/recurrence/manifest.txt")
    parser.add_argument("step_manifest", nargs="?",
                        default=".device/recurrence_step/manifest.txt")
    parser.add_argument("sequential_manifest", nargs="?",
                        default=".device/recurrence_sequential/manifest.txt")
    parser.add_argument("--sequential-only", action="store_true",
                        help="time the token-by-token kernels alone")
    parser.add_argument("--celeris-only", action="store_true",
                        help="time Celeris alone (no fla: no peer column)")
    parser.add_argument("--step-only", action="store_true",
                        help="time the decode step alone")
    opts = parser.parse_args()
    if opts.step_only:
        torch.manual_seed(0)
        print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}")
        decode_step(load(opts.step_manifest), copy_ceiling(), opts.celeris_only)
        return
    if opts.sequential_only:
        torch.manual_seed(0)
        print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}")
        sequential(load(opts.sequential_manifest), load(opts.manifest), copy_ceiling(),
                   opts.celeris_only)
        return
    if not opts.celeris_only:
        from fla.ops.retention import chunk_retention
        from fla.ops.simple_gla import chunk_simple_gla

    module = load(opts.manifest)
    torch.manual_seed(0)
    print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}")
    copy = copy_ceiling()
    print(f"copy ceiling: {copy:.2f} TB/s")
    print("| shape | op | Celeris ms | fla ms | speedup vs fla | floor ms | Celeris % of floor "
          "| first call Celeris / fla ms | rel diff |")
    print("|---|---|---|---|---|---|---|---|---|")
    for shape in SHAPES:
        b, t, h, d = shape
        q, k, v = (torch.randn(b, h, t, d, device="cuda", dtype=torch.bfloat16)
                   for _ in range(3))
        k = (k.float() / math.sqrt(d)).bfloat16()
        fq, fk, fv = (x.transpose(1, 2).contiguous() for x in (q, k, v))
        gates = torch.nn.functional.logsigmoid(torch.randn(b, h, t, device="cuda") + 3.0)
        fgates = gates.transpose(1, 2).contiguous()
        head_gates = torch.log(1 - torch.exp2(-5.0 - torch.arange(h, device="cuda",
                                                                    dtype=torch.float32)))
        out = torch.empty_like(v)
        for label, d128, d64, gate_kind in OPS:
            kernel = d128 if d == 128 else d64
            inputs = [q, k, v]
            floor_bytes = 4 * q.numel() * 2
            if gate_kind == "scalar":
                inputs.append(gates)
                floor_bytes += gates.numel() * 4
                fla = lambda: chunk_simple_gla(fq, fk, fv, g=fgates)  # noqa: E731
            elif gate_kind == "head":
                inputs.append(head_gates)
                fla = lambda: chunk_retention(fq, fk, fv)  # noqa: E731
            else:
                fla = lambda: chunk_simple_gla(fq, fk, fv)  # noqa: E731
            celeris = lambda: module.launch(  # noqa: E731
                kernel, *inputs, out, stream=torch.cuda.current_stream())
            first_celeris = first_call_ms(celeris)
            ms, _ = graph_ms(celeris)
            floor = floor_bytes / copy / 1e9
            if opts.celeris_only:
                print(f"| B{b} T{t} H{h} D{d} | {label} | {ms:.3f} | | | {floor:.3f} | "
                      f"{100 * floor / ms:.0f}% | {first_celeris:.1f} | |")
                continue
            first_fla = first_call_ms(fla)
            fla_ms, how = graph_ms(fla)
            fla_out = fla()[0].transpose(1, 2)
            diff = rel(out, fla_out)
            print(f"| B{b} T{t} H{h} D{d} | {label} | {ms:.3f} | {fla_ms:.3f}{how} | "
                  f"{fla_ms / ms:.2f}x | {floor:.3f} | {100 * floor / ms:.0f}% | "
                  f"{first_celeris:.1f} / {first_fla:.0f} | {diff:.1e} |")
            sys.stdout.flush()
    decode_step(load(opts.step_manifest), copy, opts.celeris_only)
    sequential(load(opts.sequential_manifest), module, copy, opts.celeris_only)


def sequential(module, chunk_module, copy, celeris_only):
    """GLA, DeltaNet and Gated DeltaNet token by token (recurrence_sequential)
    and, for the delta rules, chunkwise (recurrence_chunk, from
    `chunk_module`), against fla's chunked and fused recurrent kernels, B8
    T4096 H16 D128."""
    b, t, h, d = 8, 4096, 16, 128
    q, v = (torch.randn(b, h, t, d, device="cuda", dtype=torch.bfloat16) for _ in range(2))
    k_scaled = (torch.randn(b, h, t, d, device="cuda") / math.sqrt(d)).bfloat16()
    k_unit = torch.nn.functional.normalize(torch.randn(b, h, t, d, device="cuda"),
                                           dim=-1).bfloat16()
    key_gates = torch.nn.functional.logsigmoid(torch.randn(b, h, t, d, device="cuda") + 3.0)
    gates = torch.nn.functional.logsigmoid(torch.randn(b, h, t, device="cuda") + 3.0)
    beta = torch.sigmoid(torch.randn(b, h, t, device="cuda")).bfloat16()
    s0 = torch.zeros(b, h, d, d, device="cuda")
    out, s1 = torch.empty_like(v), torch.empty_like(s0)
    scale = d ** -0.5
    native = lambda x: x.transpose(1, 2).contiguous()  # noqa: E731
    fq, fv, fks, fku = (native(x) for x in (q, v, k_scaled, k_unit))
    fkg, fg, fb = native(key_gates), native(gates), native(beta)
    stream = torch.cuda.current_stream
    rows = [
        ("GLA (per-key gates)", "gla", None, [q, k_scaled, v, key_gates], 4 * q.numel() * 2
         + key_gates.numel() * 4, "gla", dict(q=fq, k=fks, v=fv, g=fkg),
         dict(q=fq, k=fks, v=fv, gk=fkg)),
        ("DeltaNet", "deltanet", "deltanet_chunk", [q, k_unit, v, beta], 4 * q.numel() * 2 + beta.numel() * 2,
         "delta_rule", dict(q=fq, k=fku, v=fv, beta=fb), dict(q=fq, k=fku, v=fv, beta=fb)),
        ("Gated DeltaNet", "gated_deltanet", "gated_deltanet_chunk",
         [q, k_unit, v, gates, beta, s0],
         4 * q.numel() * 2 + gates.numel() * 4 + beta.numel() * 2, "gated_delta_rule",
         dict(q=fq, k=fku, v=fv, g=fg, beta=fb), dict(q=fq, k=fku, v=fv, g=fg, beta=fb)),
    ]
    print(f"\nDelta rules and GLA, B{b} T{t} H{h} D{d} bf16: Celeris chunkwise "
          "(recurrence_chunk) and token by token (recurrence_sequential)")
    print("| op | Celeris chunk ms | Celeris sequential ms | fla chunk ms "
          "| fla fused recurrent ms | best Celeris vs fla chunk | floor ms "
          "| first call Celeris ms | rel diff vs fla chunk |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (label, kernel, chunk_kernel, inputs, floor_bytes, fla_name, chunk_args,
         fused_args) in rows:
        results = [out] + ([s1] if kernel == "gated_deltanet" else [])
        celeris = lambda: module.launch(kernel, *inputs, *results,  # noqa: E731
                                        stream=stream())
        first = first_call_ms(celeris)
        ms, _ = graph_ms(celeris)
        chunk_ms = None
        if chunk_kernel:
            chunked = lambda: chunk_module.launch(  # noqa: E731
                chunk_kernel, *inputs, *results, stream=stream())
            first = min(first, first_call_ms(chunked))
            chunk_ms, _ = graph_ms(chunked)
        best = min(ms, chunk_ms or ms)
        floor = floor_bytes / copy / 1e9
        cells = [f"{chunk_ms:.3f}" if chunk_ms else "", f"{ms:.3f}", "", "", "",
                 f"{floor:.3f}", f"{first:.1f}", ""]
        if not celeris_only:
            try:
                import importlib
                ops = importlib.import_module(f"fla.ops.{fla_name}")
                chunk = getattr(ops, f"chunk_{fla_name}")
                fused = getattr(ops, f"fused_recurrent_{fla_name}")
                chunk_fn = lambda: chunk(**chunk_args, scale=scale)  # noqa: E731
                fused_fn = lambda: fused(**fused_args, scale=scale)  # noqa: E731
                first_call_ms(chunk_fn)
                first_call_ms(fused_fn)
                fla_chunk_ms, how = graph_ms(chunk_fn)
                fused_ms, fused_how = graph_ms(fused_fn)
                diff = rel(out, chunk_fn()[0].transpose(1, 2))
                cells[2:5] = [f"{fla_chunk_ms:.3f}{how}", f"{fused_ms:.3f}{fused_how}",
                              f"{fla_chunk_ms / best:.2f}x"]
                cells[7] = f"{diff:.1e}"
            except Exception as error:  # noqa: BLE001 (a peer that cannot run is reported)
                print(f"fla {fla_name}: not run ({error})")
        print(f"| {label} | " + " | ".join(cells) + " |")
        sys.stdout.flush()


def decode_step(module, copy, celeris_only):
    """One Gated DeltaNet token: Celeris, fla's fused recurrent kernel, eager
    torch; TB/s of the bytes moved (state in and out, q, k, v, o, gates)."""
    b, h, d = 256, 16, 128
    q, v = (torch.randn(b, h, 1, d, device="cuda", dtype=torch.bfloat16) for _ in range(2))
    k = torch.nn.functional.normalize(torch.randn(b, h, 1, d, device="cuda"), dim=-1)
    k = k.bfloat16()
    g = torch.nn.functional.logsigmoid(torch.randn(b, h, 1, device="cuda") + 3.0)
    beta = torch.sigmoid(torch.randn(b, h, 1, device="cuda")).bfloat16()
    s0 = torch.randn(b, h, d, d, device="cuda")
    out, s1 = torch.empty_like(q), torch.empty_like(s0)
    scale = d ** -0.5
    moved = 2 * s0.numel() * 4 + 4 * q.numel() * 2 + g.numel() * 4 + beta.numel() * 2

    def eager():
        s = s0 * g.exp()[..., None]
        kk, vv, qq = k[:, :, 0].float(), v[:, :, 0].float(), q[:, :, 0].float()
        old = torch.einsum("bhkv,bhk->bhv", s, kk)
        s = s + kk[..., :, None] * (beta[:, :, 0].float()[..., None] * (vv - old))[..., None, :]
        return (scale * torch.einsum("bhkv,bhk->bhv", s, qq)).bfloat16(), s

    rows = [("Celeris gated_deltanet_step",
             lambda: module.launch("gated_deltanet_step", q, k, v, g, beta, s0, out, s1,
                                   stream=torch.cuda.current_stream()))]
    rows.append(("eager torch", eager))
    if not celeris_only:
        try:
            from fla.ops.gated_delta_rule import fused_recurrent_gated_delta_rule
            fq, fk, fv = (x.transpose(1, 2).contiguous() for x in (q, k, v))
            fg, fb = g.transpose(1, 2).contiguous(), beta.transpose(1, 2).contiguous()
            rows.append(("fla fused_recurrent_gated_delta_rule",
                         lambda: fused_recurrent_gated_delta_rule(
                             fq, fk, fv, g=fg, beta=fb, scale=scale, initial_state=s0,
                             output_final_state=True)))
        except Exception as error:  # noqa: BLE001 (a peer that cannot run is reported)
            print(f"fla fused_recurrent_gated_delta_rule: not run ({error})")
    print(f"\nDecode step B{b} H{h} Dk=Dv={d} Gated DeltaNet, {moved / 1e6:.0f} MB moved, "
          f"copy ceiling {copy:.2f} TB/s")
    print("| kernel | ms | TB/s | of copy | Celeris speedup |")
    print("|---|---|---|---|---|")
    sys.stdout.flush()
    module.launch("gated_deltanet_step", q, k, v, g, beta, s0, out, s1)
    ref_out, ref_state = eager()
    print(f"(Celeris vs eager torch: out rel {rel(out[:, :, 0], ref_out):.1e}, "
          f"state rel {rel(s1, ref_state):.1e})")
    celeris_ms = None
    for label, fn in rows:  # the peers last: a failing one cannot hide Celeris
        first_call_ms(fn)
        ms, how = graph_ms(fn)
        celeris_ms = celeris_ms or ms
        tbs = moved / ms / 1e9
        print(f"| {label}{how} | {ms:.4f} | {tbs:.2f} | {tbs / copy:.2f} | "
              f"{ms / celeris_ms:.2f}x |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
