"""float64 reference for celeris.attention, mask_block_layout, topk_blocks,
nsa and mla (CelerisAttentionOps.md, CelerisCompositeOps.md)."""

import math

import numpy as np

from .masks import as_mask, allowed_scalar


def _f64(x):
    return None if x is None else np.asarray(x, dtype=np.float64)


def masked_softmax_row(s, allowed, v):
    """One query row: scores s[Sk], allowed[Sk] bool, v[Sk, Dv].
    Returns (out[Dv], lse).  No allowed key -> (0, -inf), no warning."""
    idx = np.nonzero(allowed)[0]
    if idx.size == 0:
        return np.zeros(v.shape[1]), -np.inf
    sa = s[idx]
    m = np.max(sa)
    w = np.exp(sa - m)
    denom = np.sum(w)
    out = (w[:, None] * v[idx]).sum(axis=0) / denom
    return out, m + math.log(denom)


def _gather_paged(pool, table):
    """pool [num_pages, H, page_size, D], table [B, P] -> [B, H, P*page_size, D]."""
    B, P = table.shape
    _, H, ps, D = pool.shape
    out = np.zeros((B, H, P * ps, D))
    for b in range(B):
        for j in range(P * ps):
            out[b, :, j, :] = pool[int(table[b, j // ps]), :, j % ps, :]
    return out


def attention(q, k, v, *, mask=None, scale=None, softcap=None, alibi_slopes=None,
              query_offset=None, q_segment_ids=None, kv_segment_ids=None,
              cu_seqlens_q=None, cu_seqlens_kv=None, block_counts=None,
              block_indices=None, block_size=None, kv_lengths=None,
              page_table=None, return_lse=False):
    """celeris.attention in float64.

    q [B,Hq,Sq,D], k [B,Hkv,Sk,D], v [B,Hkv,Sk,Dv] (or page pools with
    page_table [B, P]).  Returns out [B,Hq,Sq,Dv] (and lse [B,Hq,Sq])."""
    q, k, v = _f64(q), _f64(k), _f64(v)
    mask = as_mask(mask)
    if page_table is not None:
        page_table = np.asarray(page_table)
        k = _gather_paged(k, page_table)
        v = _gather_paged(v, page_table)
    B, Hq, Sq, D = q.shape
    Hkv, Sk = k.shape[1], k.shape[2]
    Dv = v.shape[3]
    assert Hq % Hkv == 0
    group = Hq // Hkv
    if scale is None:
        scale = 1.0 / math.sqrt(D)
    alibi = _f64(alibi_slopes)

    # Per batch: allowed0[i, j] (head independent), qpos[i, j], kpos[i, j]
    # (positions used by the mask and by ALiBi for that pair).
    out = np.zeros((B, Hq, Sq, Dv))
    lse = np.full((B, Hq, Sq), -np.inf)
    for b in range(B):
        allowed0 = np.zeros((Sq, Sk), dtype=bool)
        ppos = np.zeros((Sq, Sk), dtype=np.int64)
        jpos = np.zeros((Sq, Sk), dtype=np.int64)
        if cu_seqlens_q is not None:
            cq = [int(x) for x in cu_seqlens_q]
            ck = [int(x) for x in cu_seqlens_kv]
            for n in range(len(cq) - 1):
                sq_n = cq[n + 1] - cq[n]
                sk_n = ck[n + 1] - ck[n]
                off = (sk_n - sq_n) if query_offset is None else int(query_offset)
                for i in range(cq[n], cq[n + 1]):
                    p = (i - cq[n]) + off
                    for j in range(ck[n], ck[n + 1]):
                        jl = j - ck[n]
                        allowed0[i, j] = allowed_scalar(mask, p, jl)
                        ppos[i, j] = p
                        jpos[i, j] = jl
        else:
            if query_offset is not None:
                off = int(query_offset)
            elif kv_lengths is not None:
                off = int(kv_lengths[b]) - Sq
            else:
                off = Sk - Sq
            for i in range(Sq):
                p = i + off
                for j in range(Sk):
                    ok = allowed_scalar(mask, p, j)
                    if kv_lengths is not None and not j < int(kv_lengths[b]):
                        ok = False
                    allowed0[i, j] = ok
                    ppos[i, j] = p
                    jpos[i, j] = j
        if q_segment_ids is not None:
            for i in range(Sq):
                for j in range(Sk):
                    if q_segment_ids[b][i] != kv_segment_ids[b][j]:
                        allowed0[i, j] = False
        for h in range(Hq):
            g = h // group
            allowed = allowed0.copy()
            if block_counts is not None:
                bq, bk = int(block_size[0]), int(block_size[1])
                cnt = np.asarray(block_counts)
                ind = np.asarray(block_indices)
                bb = b if cnt.shape[0] != 1 else 0
                hh = h if cnt.shape[1] != 1 else 0
                for i in range(Sq):
                    c = int(cnt[bb, hh, i // bq])
                    listed = set(int(x) for x in ind[bb, hh, i // bq, :c])
                    for j in range(Sk):
                        if j // bk not in listed:
                            allowed[i, j] = False
            for i in range(Sq):
                s = np.zeros(Sk)
                for j in range(Sk):
                    s[j] = scale * np.dot(q[b, h, i], k[b, g, j])
                    if alibi is not None:
                        s[j] += alibi[h] * (jpos[i, j] - ppos[i, j])
                    if softcap is not None:
                        s[j] = softcap * math.tanh(s[j] / softcap)
                out[b, h, i], lse[b, h, i] = masked_softmax_row(s, allowed[i], v[b, g])
    if return_lse:
        return out, lse
    return out


def block_eligible(mask, q_len, kv_len, block_size, query_offset=None):
    """E[qb, kb] = some allowed pair (i, j) with i//bq == qb, j//bk == kb."""
    mask = as_mask(mask)
    bq, bk = int(block_size[0]), int(block_size[1])
    if query_offset is None:
        query_offset = kv_len - q_len
    nqb = -(-q_len // bq)
    nkb = -(-kv_len // bk)
    e = np.zeros((nqb, nkb), dtype=bool)
    for i in range(q_len):
        for j in range(kv_len):
            if allowed_scalar(mask, i + query_offset, j):
                e[i // bq, j // bk] = True
    return e


def mask_block_layout(q_len, kv_len, mask, block_size, query_offset=None):
    """counts [1,1,NQB], indices [1,1,NQB,NKB] (int64)."""
    e = block_eligible(mask, q_len, kv_len, block_size, query_offset)
    nqb, nkb = e.shape
    counts = np.zeros((1, 1, nqb), dtype=np.int64)
    indices = np.zeros((1, 1, nqb, nkb), dtype=np.int64)
    for qb in range(nqb):
        blocks = [kb for kb in range(nkb) if e[qb, kb]]
        counts[0, 0, qb] = len(blocks)
        indices[0, 0, qb, :len(blocks)] = blocks
    return counts, indices


def topk_blocks(scores, k, mask=None, block_size=None, query_offset=None):
    """scores [B,H,NQB,NKB] -> counts [B,H,NQB], indices [B,H,NQB,k] (int64).
    Ties -> lower block index; NaN never selected; result ascending."""
    scores = _f64(scores)
    B, H, nqb, nkb = scores.shape
    if mask is not None:
        bq, bk = int(block_size[0]), int(block_size[1])
        elig = block_eligible(mask, nqb * bq, nkb * bk, block_size, query_offset)
    else:
        elig = np.ones((nqb, nkb), dtype=bool)
    counts = np.zeros((B, H, nqb), dtype=np.int64)
    indices = np.zeros((B, H, nqb, k), dtype=np.int64)
    for b in range(B):
        for h in range(H):
            for qb in range(nqb):
                cand = [kb for kb in range(nkb)
                        if elig[qb, kb] and not np.isnan(scores[b, h, qb, kb])]
                cand.sort(key=lambda kb: (-scores[b, h, qb, kb], kb))
                sel = sorted(cand[:k])
                counts[b, h, qb] = len(sel)
                indices[b, h, qb, :len(sel)] = sel
    return counts, indices


def _softmax_attend(qv, keys, vals, scale, visible):
    """Single query vector over keys[n, D] restricted to visible indices.
    Returns (out, probs[n]) with probs 0 outside visible; empty -> zeros."""
    n = keys.shape[0]
    probs = np.zeros(n)
    if len(visible) == 0:
        return np.zeros(vals.shape[1]), probs
    s = np.array([scale * np.dot(qv, keys[j]) for j in visible])
    w = np.exp(s - s.max())
    w /= w.sum()
    probs[list(visible)] = w
    return probs @ vals, probs


def nsa(q, k, v, k_cmp, v_cmp, gates, *, cmp_block, cmp_stride, select_block,
        select_count, window, scale=None):
    """celeris.nsa, written directly from the documented per-query formulas."""
    q, k, v, k_cmp, v_cmp, gates = map(_f64, (q, k, v, k_cmp, v_cmp, gates))
    B, Hq, S, D = q.shape
    Hkv = k.shape[1]
    Sc = k_cmp.shape[2]
    Dv = v.shape[3]
    group = Hq // Hkv
    l, d, ls, n, w = cmp_block, cmp_stride, select_block, select_count, window
    if scale is None:
        scale = 1.0 / math.sqrt(D)
    nsb = -(-S // ls)
    out = np.zeros((B, Hq, S, Dv))
    for b in range(B):
        for g in range(Hkv):
            heads = range(g * group, (g + 1) * group)
            for t in range(S):
                vis_c = [c for c in range(Sc) if c * d + l - 1 <= t]
                o_cmp = {}
                importance = np.zeros(nsb)
                for h in heads:
                    o_cmp[h], p = _softmax_attend(q[b, h, t], k_cmp[b, g], v_cmp[b, g], scale, vis_c)
                    for s_ in range(nsb):
                        for c in range(Sc):
                            if c * d < (s_ + 1) * ls and c * d + l > s_ * ls:
                                importance[s_] += p[c]
                cands = [s_ for s_ in range(nsb) if s_ * ls <= t]
                cands.sort(key=lambda s_: (-importance[s_], s_))
                sel = set(cands[:n])
                vis_s = [j for j in range(t + 1) if j // ls in sel]
                vis_w = list(range(max(0, t - w + 1), t + 1))
                for h in heads:
                    o_slc, _ = _softmax_attend(q[b, h, t], k[b, g], v[b, g], scale, vis_s)
                    o_win, _ = _softmax_attend(q[b, h, t], k[b, g], v[b, g], scale, vis_w)
                    gc, gs, gw = gates[b, h, t]
                    out[b, h, t] = gc * o_cmp[h] + gs * o_slc + gw * o_win
    return out


def mla(q_nope, q_rope, kv_latent, k_rope, w_uk, w_uv, *, mask=None, scale=None,
        query_offset=None, return_lse=False):
    """celeris.mla, naive form: materialise per-head K and V, then attention."""
    q_nope, q_rope, kv_latent, k_rope, w_uk, w_uv = map(
        _f64, (q_nope, q_rope, kv_latent, k_rope, w_uk, w_uv))
    B, H, Sq, Dn = q_nope.shape
    Dr = q_rope.shape[3]
    Sk = kv_latent.shape[1]
    Dv = w_uv.shape[2]
    if scale is None:
        scale = 1.0 / math.sqrt(Dn + Dr)
    qh = np.concatenate([q_nope, q_rope], axis=-1)              # [B,H,Sq,Dn+Dr]
    kh = np.zeros((B, H, Sk, Dn + Dr))
    vh = np.zeros((B, H, Sk, Dv))
    for h in range(H):
        kh[:, h, :, :Dn] = np.einsum("bsl,ln->bsn", kv_latent, w_uk[h])
        kh[:, h, :, Dn:] = k_rope
        vh[:, h] = np.einsum("bsl,lv->bsv", kv_latent, w_uv[h])
    return attention(qh, kh, vh, mask=mask, scale=scale, query_offset=query_offset,
                     return_lse=return_lse)
