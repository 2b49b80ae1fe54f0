import math, os, sys, time
import numpy as np
import torch
sys.path.insert(0, "scripts/device"); sys.path.insert(0, "bench"); sys.path.insert(0, "python")
import types
# celeris.runtime.load needs the runtime library only when called.
import check_attention_masks as C
import celeris_ref
t0 = time.time()
gen = torch.Generator(device="cuda").manual_seed(1)

class Fake:
    """Launch = the numpy float64 oracle (python/celeris_ref), written to out/lse
    only on the rows the kernel writes."""
    def __init__(self, fn): self.fn = fn
    def launch(self, kernel, q, k, v, out, lse, **a):
        fn = self.fn
        kw = dict(mask=fn.mask, return_lse=True)
        cv = lambda t: t.cpu().numpy()
        if "q_segment_ids" in a: kw.update(q_segment_ids=cv(a["q_segment_ids"]), kv_segment_ids=cv(a["kv_segment_ids"]))
        if "block_counts" in a: kw.update(block_counts=cv(a["block_counts"]), block_indices=cv(a["block_indices"]), block_size=fn.block_size)
        if "cu_seqlens_q" in a: kw.update(cu_seqlens_q=cv(a["cu_seqlens_q"]), cu_seqlens_kv=cv(a["cu_seqlens_kv"]))
        o, l = celeris_ref.attention(cv(q.float()), cv(k.float()), cv(v.float()), **kw)
        rows = list(range(q.shape[2]))
        if "cu_seqlens_q" in a:
            cu = a["cu_seqlens_q"].tolist(); rows = [r for n in range(len(cu) - 1) for r in range(cu[n], cu[n + 1])]
        out[:, :, rows] = torch.from_numpy(o[:, :, rows]).cuda().to(out.dtype)
        lse[:, :, rows] = torch.from_numpy(l[:, :, rows]).cuda().float()

small = [C.Case("s1", 2, 150, 150, False), C.Case("s2", 1, 90, 40, False), C.Case("s3", 1, 70, 200, False)]
for name in ["document_segments_causal", "varlen_causal", "block_sparse_128", "block_sparse_causal_64"]:
    fn = C.FUNCTIONS[name]._replace(hq=2, d=16)
    cases = small + [c._replace(b=min(c.b, 2), sq=150, sk=130) for c in C.LAYOUT_CASES.get(fn.layout, [])]
    for case in cases:
        C.run_case(Fake(fn), gen, name, fn, case)
# varlen offsets at the real sizes; segment ids at the big size
for sq, sk in [(8192, 8192), (1000, 1000), (300, 77), (77, 1000)]:
    cq, ck = C.varlen_offsets(gen, sq, sk)
    ql = np.diff(cq); kl = np.diff(ck)
    print("varlen", sq, sk, cq[0], cq[-1], ck[0], ck[-1], list(ql), list(kl), "zero:", (ql == 0).any())
qi, ki = C.segment_ids(gen, 2, 8192, 8192, False)
print("docs", [x.unique().numel() for x in ki], torch.equal(qi, ki))
c, i, d = C.block_layout(gen, 2, 16, 1000, 1000, (128, 128), None)
print("layout", c.shape, i.shape, d.float().mean().item(), c[0, 0, -1].item(), c[-1, -1, 0].item())
print("empty logsumexp", torch.logsumexp(torch.empty(3, 0, dtype=torch.float64), -1))
print("check side done", time.time() - t0, flush=True)

# Bench side at a small size: structured rows, pairs, Flex against a dense reference.
import attention_masks as Bm
Bm.B, Bm.H, Bm.S, Bm.D = 2, 2, 1024, 64
from torch.nn.attention.flex_attention import flex_attention
flex = torch.compile(flex_attention)
g2 = torch.Generator(device="cuda").manual_seed(3)
rn = lambda: torch.randn(2, 2, 1024, 64, device="cuda", generator=g2).to(torch.bfloat16)
q, k, v = rn(), rn(), rn()
rows = Bm.structured_rows(g2)
print("cu", rows[0].extra["cu_seqlens_q"].tolist())
assert torch.equal(Bm.unpack(Bm.pack(q)), q)
for r in rows:
    pairs = Bm.allowed_pairs(r.mask_mod)
    i = torch.arange(1024, device="cuda")
    dense = torch.stack([torch.stack([r.mask_mod(torch.tensor(b, device="cuda"), torch.tensor(h, device="cuda"), i[:, None], i[None, :]) for h in range(2)]) for b in range(2)])
    s = (q.double() @ k.double().transpose(-1, -2)) / 8.0
    ref = torch.softmax(s.masked_fill(~dense, -math.inf), -1) @ v.double()
    bm = r.flex_mask()
    out = flex(q, k, v, block_mask=bm, scale=1 / 8.0)
    extra = ""
    if r.packed:
        fnv = C.Fn(("causal",), hq=2, d=64)
        cu = r.extra["cu_seqlens_q"].tolist()
        vo, _ = C.varlen_reference(fnv, Bm.pack(q), Bm.pack(k), Bm.pack(v), cu, cu)
        extra = f" varlen ref vs dense {(Bm.unpack(vo) - ref).abs().max().item():.1e}"
    print(r.workload, "pairs", pairs, dense.sum().item(), "flex vs dense ref", ((out.double() - ref).norm() / ref.norm()).item(), extra, flush=True)
print("done", time.time() - t0)
