"""Tests of the float64 reference implementations (python/celeris_ref).

Every test can fail: hand-computed values, or properties from the op docs and
the literature checked against independent formulations written here."""

import math
import warnings

import numpy as np
import pytest

import celeris_ref as R
from celeris_ref import masks as M

TOL = dict(rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------
# Masks
# ----------------------------------------------------------------------------

def grid(desc, positions, kv_len):
    return R.allowed_matrix(desc, positions, kv_len)


def test_mask_primitives_hand():
    P = np.arange(4)
    c = grid(("causal",), P, 4)
    assert (c == np.tril(np.ones((4, 4), bool))).all()
    assert grid(("all",), P, 3).all() and not grid(("none",), P, 3).any()
    w = grid(("window", 1, 0), P, 4)
    exp = np.array([[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]], bool)
    assert (w == exp).all()
    w2 = grid(("window", 0, 1), P, 4)
    assert (w2 == exp.T).all()
    assert (grid(("sink", 2), P, 4) == np.array([[1, 1, 0, 0]] * 4, bool)).all()
    # dilated rate 2, segment 4 over 8 positions: same segment and both even
    # within their segment
    d = grid(("dilated", 2, 4), np.arange(8), 8)
    for p in range(8):
        for j in range(8):
            assert d[p, j] == (p // 4 == j // 4 and p % 2 == 0 and j % 2 == 0)
    assert d[0, 2] and d[4, 6] and not d[0, 4] and not d[1, 1]
    s = grid(("strided", 3), P, 4)
    assert s[3, 0] and s[0, 3] and not s[1, 0] and s[2, 2]
    bc = grid(("block_causal", 2), P, 4)
    exp = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 1, 1], [1, 1, 1, 1]], bool)
    assert (bc == exp).all()
    pf = grid(("prefix", 2), P, 4)
    exp = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]], bool)
    assert (pf == exp).all()
    ch = grid(("chunked", 2), P, 4)
    exp = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1]], bool)
    assert (ch == exp).all()
    gl = grid(("global", [1]), P, 4)
    exp = np.array([[0, 1, 0, 0], [1, 1, 1, 1], [0, 1, 0, 0], [0, 1, 0, 0]], bool)
    assert (gl == exp).all()
    u = grid(("union", ("sink", 1), ("window", 0, 0)), P, 4)
    assert (u == (np.eye(4, dtype=bool) | (np.arange(4)[None, :] < 1))).all()
    i = grid(("intersect", ("causal",), ("chunked", 2)), P, 4)
    exp = np.array([[1, 0, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 1, 1]], bool)
    assert (i == exp).all()


def test_mask_query_offset():
    # decode step: one query at position Sk-1 sees everything under causal
    m = R.mask_matrix(("causal",), 1, 5)
    assert m.all()
    m = R.mask_matrix(("causal",), 2, 5, query_offset=1)
    assert (m == np.array([[1, 1, 0, 0, 0], [1, 1, 1, 0, 0]], bool)).all()


def random_primitive(rng, n):
    kind = rng.choice(["all", "none", "causal", "window", "sink", "dilated", "strided",
                       "block_causal", "prefix", "chunked", "global"])
    if kind == "window":
        return (kind, int(rng.integers(0, n)), int(rng.integers(0, n)))
    if kind == "dilated":
        r = int(rng.integers(1, 4))
        return (kind, r, r * int(rng.integers(1, 4)))
    if kind in ("sink", "prefix"):
        return (kind, int(rng.integers(0, n + 1)))
    if kind in ("strided", "block_causal", "chunked"):
        return (kind, int(rng.integers(1, n + 1)))
    if kind == "global":
        return (kind, tuple(sorted(set(int(t) for t in rng.integers(0, n, size=rng.integers(1, 4))))))
    return (kind,)


def random_mask(rng, n, depth=2):
    if depth == 0 or rng.random() < 0.4:
        return random_primitive(rng, n)
    kind = "union" if rng.random() < 0.5 else "intersect"
    return (kind,) + tuple(random_mask(rng, n, depth - 1) for _ in range(int(rng.integers(2, 4))))


def test_mask_identities(rs):
    rng = rs.rng
    n = 12
    P = np.arange(-3, n + 2)  # include negative positions and positions past Sk
    for _ in range(20):
        nn = int(rng.integers(0, n + 1))
        l = int(rng.integers(0, n + 2))
        r = int(rng.integers(0, n + 2))
        m = random_mask(rng, n)
        eq = lambda a, b: (grid(a, P, n) == grid(b, P, n)).all()
        assert eq(("union", ("causal",), ("sink", nn)), ("prefix", nn)), rs.msg
        assert eq(("intersect", ("causal",), ("window", l, r)), ("window", l, 0)), rs.msg
        assert eq(("union", m, ("all",)), ("all",)), rs.msg
        assert eq(("intersect", m, ("none",)), ("none",)), rs.msg
        assert eq(("union", m, ("none",)), m), rs.msg
        assert eq(("intersect", m, ("all",)), m), rs.msg
        assert eq(("union", m, m), m), rs.msg
        m2 = random_mask(rng, n)
        assert eq(("union", m, m2), ("union", m2, m)), rs.msg
        assert eq(("intersect", ("intersect", m, m2), ("causal",)),
                  ("intersect", m, m2, ("causal",))), rs.msg
    # a window whose left side reaches the first key is causal on the problem
    Sq, Sk = 5, 9
    pos = np.arange(Sq) + Sk - Sq
    assert (grid(("window", Sk - 1, 0), pos, Sk) == grid(("causal",), pos, Sk)).all()
    assert (grid(("window", Sk - 2, 0), np.array([Sk - 1]), Sk) != grid(("causal",), np.array([Sk - 1]), Sk)).any()
    # window >= Sk union causal is causal only if right side is 0
    assert (grid(("union", ("window", Sk, 0), ("causal",)), pos, Sk) == grid(("causal",), pos, Sk)).all()


def test_mask_parser_examples():
    txt = "#celeris.mask<intersect(causal, union(sink<4>, window<left = 1023, right = 0>))>"
    d = R.parse_mask(txt)
    assert d == ("intersect", ("causal",), ("union", ("sink", 4), ("window", 1023, 0)))
    assert R.format_mask(d, full=True) == txt
    assert R.parse_mask("<causal>") == ("causal",)
    assert R.parse_mask("causal") == ("causal",)
    assert R.parse_mask("<global<[0, 5, 7]>>") == ("global", (0, 5, 7))
    assert R.parse_mask("<dilated<rate = 2, segment = 8>>") == ("dilated", 2, 8)
    # keywords in the other order still map to the right parameters
    assert R.parse_mask("<window<right = 3, left = 1>>") == ("window", 1, 3)
    for bad in ["<causal", "<bogus>", "<window<left = 1>>", "<union(causal)>", "<sink<1>> x"]:
        with pytest.raises(ValueError):
            R.parse_mask(bad)


def test_mask_parser_roundtrip(rs):
    for _ in range(50):
        m = M.normalize(random_mask(rs.rng, 10, depth=3))
        for full in (False, True):
            assert R.parse_mask(R.format_mask(m, full=full)) == m, (rs.msg, m)


def test_streaming_llm_mask():
    P = np.arange(0, 1300, 11)
    g = grid(("intersect", ("causal",), ("union", ("sink", 4), ("window", 1023, 0))), P, 1300)
    j = np.arange(1300)[None, :]
    p = P[:, None]
    assert (g == ((j <= p) & ((j < 4) | (j >= p - 1023)))).all()


# ----------------------------------------------------------------------------
# Attention
# ----------------------------------------------------------------------------

def dense_attention(q, k, v, allowed, scale, bias=None, softcap=None):
    """Vectorised independent formulation: scores + (-inf where disallowed).
    allowed: [B or 1, H or 1, Sq, Sk] bool."""
    B, Hq, Sq, D = q.shape
    rep = Hq // k.shape[1]
    kk = np.repeat(k, rep, axis=1)
    vv = np.repeat(v, rep, axis=1)
    s = scale * np.einsum("bhid,bhjd->bhij", q, kk)
    if bias is not None:
        s = s + bias
    if softcap is not None:
        s = softcap * np.tanh(s / softcap)
    allowed = np.broadcast_to(allowed, s.shape)
    s = np.where(allowed, s, -np.inf)
    any_ = allowed.any(axis=-1, keepdims=True)
    m = np.where(any_, s.max(axis=-1, keepdims=True, initial=-np.inf, where=allowed), 0.0)
    p = np.where(allowed, np.exp(np.where(allowed, s - m, 0.0)), 0.0)
    den = p.sum(axis=-1, keepdims=True)
    out = np.einsum("bhij,bhjd->bhid", p, vv) / np.where(any_, den, 1.0)
    lse = np.where(any_[..., 0], m[..., 0] + np.log(np.where(any_[..., 0], den[..., 0], 1.0)), -np.inf)
    return out, lse


def rand_qkv(rng, B=2, Hq=4, Hkv=2, Sq=5, Sk=7, D=4, Dv=3):
    return (rng.standard_normal((B, Hq, Sq, D)), rng.standard_normal((B, Hkv, Sk, D)),
            rng.standard_normal((B, Hkv, Sk, Dv)))


def test_attention_hand():
    q = np.ones((1, 1, 1, 1))
    k = np.array([0.0, math.log(2.0)]).reshape(1, 1, 2, 1)
    v = np.array([3.0, 6.0]).reshape(1, 1, 2, 1)
    out, lse = R.attention(q, k, v, scale=1.0, return_lse=True)
    assert np.allclose(out, 5.0, **TOL) and np.allclose(lse, math.log(3.0), **TOL)
    # default scale 1/sqrt(D): D = 4, q.k = 4 * x => scale*q.k = 2 * x
    q = np.ones((1, 1, 1, 4))
    k = np.zeros((1, 1, 2, 4)); k[0, 0, 1, :] = math.log(2.0) / 2
    out = R.attention(q, k, v)
    assert np.allclose(out, 5.0, **TOL)
    # causal, two queries: row 0 sees only key 0
    q = np.ones((1, 1, 2, 1))
    out = R.attention(q, k[..., :1] * 0 + np.array([0.0, math.log(2)]).reshape(1, 1, 2, 1),
                      v, scale=1.0, mask=("causal",))
    assert np.allclose(out[0, 0, :, 0], [3.0, 5.0], **TOL)


def test_attention_gqa_equals_repeat(rs):
    q, k, v = rand_qkv(rs.rng, Hq=6, Hkv=2)
    out, lse = R.attention(q, k, v, mask="causal", return_lse=True)
    out2, lse2 = R.attention(q, np.repeat(k, 3, axis=1), np.repeat(v, 3, axis=1),
                             mask="causal", return_lse=True)
    assert np.allclose(out, out2, **TOL), rs.msg
    assert np.allclose(lse, lse2, **TOL), rs.msg
    # and head h really reads kv head h // 3 (not h % Hkv)
    out3 = R.attention(q, np.tile(k, (1, 3, 1, 1)), np.tile(v, (1, 3, 1, 1)), mask="causal")
    assert not np.allclose(out, out3), rs.msg


def test_attention_mask_equals_bias(rs):
    rng = rs.rng
    for _ in range(8):
        Sq, Sk = int(rng.integers(1, 7)), int(rng.integers(1, 9))
        q, k, v = rand_qkv(rng, Sq=Sq, Sk=Sk)
        m = random_mask(rng, Sk)
        off = None if rng.random() < 0.5 else int(rng.integers(-2, Sk + 2))
        scale = float(rng.uniform(0.1, 1.0))
        with np.errstate(all="raise"):
            out, lse = R.attention(q, k, v, mask=m, scale=scale, query_offset=off, return_lse=True)
        allowed = R.mask_matrix(m, Sq, Sk, query_offset=off)[None, None]
        out2, lse2 = dense_attention(q, k, v, allowed, scale)
        assert np.allclose(out, out2, **TOL), (rs.msg, m, off)
        assert np.array_equal(np.isinf(lse), np.isinf(lse2)), (rs.msg, m)
        assert np.allclose(lse, lse2, **TOL), (rs.msg, m, off)


def test_attention_fully_masked_rows(rs):
    q, k, v = rand_qkv(rs.rng, Sq=4, Sk=6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            out, lse = R.attention(q, k, v, mask="none", return_lse=True)
            assert (out == 0).all() and np.isneginf(lse).all()
            # window entirely in the future for early rows: row i at p = i
            out, lse = R.attention(q, k, v, mask=("intersect", ("window", 0, 10), ("sink", 3),
                                                  ("strided", 100)),
                                   query_offset=2, return_lse=True)
    assert not np.isnan(out).any() and not np.isnan(lse).any()
    # rows p=2 -> j=2 allowed (p-j=0); p>=3 -> j in [p, p+10] and j<3 -> none
    assert np.isneginf(lse[:, :, 1:]).all() and (out[:, :, 1:] == 0).all(), rs.msg
    assert np.isfinite(lse[:, :, 0]).all(), rs.msg
    assert np.allclose(out[:, :, 0], np.repeat(v[:, :, 2], 2, axis=1), **TOL), rs.msg


def test_attention_lse_is_logsumexp(rs):
    q, k, v = rand_qkv(rs.rng)
    out, lse = R.attention(q, k, v, mask=("window", 2, 1), softcap=0.7, return_lse=True)
    B, Hq, Sq, D = q.shape
    Sk = k.shape[2]
    allowed = R.mask_matrix(("window", 2, 1), Sq, Sk)
    for b in range(B):
        for h in range(Hq):
            for i in range(Sq):
                s = q[b, h, i] @ k[b, h // 2].T / math.sqrt(D)
                s = 0.7 * np.tanh(s / 0.7)
                sa = s[allowed[i]]
                expect = math.log(sum(math.exp(x) for x in sa)) if sa.size else -math.inf
                assert math.isclose(lse[b, h, i], expect, rel_tol=1e-12), rs.msg


def test_attention_softcap_alibi(rs):
    q, k, v = rand_qkv(rs.rng, Sq=3, Sk=6)
    slopes = rs.rng.uniform(0.1, 1.0, size=4)
    off = 2
    out, lse = R.attention(q, k, v, mask="causal", alibi_slopes=slopes, softcap=1.5,
                           query_offset=off, return_lse=True)
    P = np.arange(3) + off
    bias = slopes[None, :, None, None] * (np.arange(6)[None, None, None, :] - P[None, None, :, None])
    allowed = R.mask_matrix("causal", 3, 6, off)[None, None]
    out2, lse2 = dense_attention(q, k, v, allowed, 1 / 2.0, bias=bias, softcap=1.5)
    assert np.allclose(out, out2, **TOL) and np.allclose(lse, lse2, **TOL), rs.msg
    out3 = R.attention(q, k, v, mask="causal", alibi_slopes=slopes, query_offset=off)
    assert not np.allclose(out, out3), rs.msg  # softcap did something


def test_attention_chunked_prefill_offset(rs):
    q, k, v = rand_qkv(rs.rng, Sq=8, Sk=8)
    full = R.attention(q, k, v, mask="causal")
    chunk = R.attention(q[:, :, 3:6], k, v, mask="causal", query_offset=3)
    assert np.allclose(full[:, :, 3:6], chunk, **TOL), rs.msg
    # default offset is Sk - Sq: last rows align to the end
    tail = R.attention(q[:, :, 5:], k, v, mask="causal")
    assert np.allclose(full[:, :, 5:], tail, **TOL), rs.msg


def test_attention_segment_ids(rs):
    rng = rs.rng
    q, k, v = rand_qkv(rng, Sq=6, Sk=6)
    qs = np.sort(rng.integers(0, 3, size=(2, 6)), axis=1)
    ks = qs.copy()
    out, lse = R.attention(q, k, v, mask="causal", q_segment_ids=qs, kv_segment_ids=ks, return_lse=True)
    allowed = (qs[:, :, None] == ks[:, None, :]) & np.tril(np.ones((6, 6), bool))[None]
    out2, lse2 = dense_attention(q, k, v, allowed[:, None], 0.5)
    assert np.allclose(out, out2, **TOL) and np.allclose(lse, lse2, **TOL), rs.msg


def test_attention_varlen(rs):
    rng = rs.rng
    lq = [2, 3, 1]
    lk = [4, 3, 5]
    cq = np.concatenate([[0], np.cumsum(lq)])
    ck = np.concatenate([[0], np.cumsum(lk)])
    q = rng.standard_normal((1, 4, cq[-1], 4))
    k = rng.standard_normal((1, 2, ck[-1], 4))
    v = rng.standard_normal((1, 2, ck[-1], 3))
    slopes = rng.uniform(0.1, 0.5, size=4)
    out, lse = R.attention(q, k, v, mask="causal", alibi_slopes=slopes, cu_seqlens_q=cq,
                           cu_seqlens_kv=ck, return_lse=True)
    for n in range(3):
        o, l = R.attention(q[:, :, cq[n]:cq[n + 1]], k[:, :, ck[n]:ck[n + 1]],
                           v[:, :, ck[n]:ck[n + 1]], mask="causal", alibi_slopes=slopes,
                           return_lse=True)
        assert np.allclose(out[:, :, cq[n]:cq[n + 1]], o, **TOL), rs.msg
        assert np.allclose(lse[:, :, cq[n]:cq[n + 1]], l, **TOL), rs.msg


def test_attention_kv_lengths(rs):
    rng = rs.rng
    q, k, v = rand_qkv(rng, Sq=2, Sk=7)
    lens = np.array([5, 7])
    out, lse = R.attention(q, k, v, mask="causal", kv_lengths=lens, return_lse=True)
    for b in range(2):
        o, l = R.attention(q[b:b + 1], k[b:b + 1, :, :lens[b]], v[b:b + 1, :, :lens[b]],
                           mask="causal", return_lse=True)
        assert np.allclose(out[b:b + 1], o, **TOL) and np.allclose(lse[b:b + 1], l, **TOL), rs.msg


def test_attention_page_table(rs):
    rng = rs.rng
    B, Hkv, ps, P, D = 2, 2, 3, 3, 4
    npages = 8
    kpool = rng.standard_normal((npages, Hkv, ps, D))
    vpool = rng.standard_normal((npages, Hkv, ps, 5))
    table = np.stack([rng.permutation(npages)[:P] for _ in range(B)])
    q = rng.standard_normal((B, 4, 2, D))
    out, lse = R.attention(q, kpool, vpool, page_table=table, mask="causal", return_lse=True)
    kc = np.stack([np.concatenate([kpool[table[b, i]] for i in range(P)], axis=1) for b in range(B)])
    vc = np.stack([np.concatenate([vpool[table[b, i]] for i in range(P)], axis=1) for b in range(B)])
    out2, lse2 = R.attention(q, kc, vc, mask="causal", return_lse=True)
    assert np.allclose(out, out2, **TOL) and np.allclose(lse, lse2, **TOL), rs.msg


def test_attention_block_layout(rs):
    rng = rs.rng
    Sq, Sk, bq, bk = 6, 8, 2, 3
    q, k, v = rand_qkv(rng, Sq=Sq, Sk=Sk)
    nqb, nkb = 3, 3
    B, H = 2, 4
    counts = rng.integers(0, nkb + 1, size=(B, 1, nqb))
    indices = np.zeros((B, 1, nqb, nkb), dtype=np.int64)
    for b in range(B):
        for qb in range(nqb):
            sel = np.sort(rng.permutation(nkb)[:counts[b, 0, qb]])
            indices[b, 0, qb, :len(sel)] = sel
            indices[b, 0, qb, len(sel):] = rng.integers(0, nkb, size=nkb - len(sel))  # junk past count
    out, lse = R.attention(q, k, v, block_counts=counts, block_indices=indices,
                           block_size=[bq, bk], return_lse=True)
    allowed = np.zeros((B, 1, Sq, Sk), bool)
    for b in range(B):
        for i in range(Sq):
            for j in range(Sk):
                allowed[b, 0, i, j] = j // bk in indices[b, 0, i // bq, :counts[b, 0, i // bq]]
    out2, lse2 = dense_attention(q, k, v, allowed, 0.5)
    assert np.allclose(out, out2, **TOL) and np.allclose(lse, lse2, **TOL), rs.msg
    # the layout of a mask never removes allowed pairs
    c, ind = R.mask_block_layout(Sq, Sk, "causal", [bq, bk])
    o1 = R.attention(q, k, v, mask="causal", block_counts=c, block_indices=ind, block_size=[bq, bk])
    o2 = R.attention(q, k, v, mask="causal")
    assert np.allclose(o1, o2, **TOL), rs.msg


def test_mask_block_layout_hand():
    c, ind = R.mask_block_layout(4, 4, "causal", [2, 2])
    assert c.tolist() == [[[1, 2]]]
    assert ind.tolist() == [[[[0, 0], [0, 1]]]]
    c, ind = R.mask_block_layout(2, 6, ("window", 1, 0), [1, 2])  # p = 4 -> j 3..4, p = 5 -> j 4..5
    assert c.tolist() == [[[2, 1]]] and ind.tolist() == [[[[1, 2, 0], [2, 0, 0]]]]
    c, ind = R.mask_block_layout(3, 5, "all", [2, 2])
    assert c.shape == (1, 1, 2) and ind.shape == (1, 1, 2, 3) and c.tolist() == [[[3, 3]]]


def test_topk_blocks():
    s = np.array([[[[1.0, 3.0, 3.0, np.nan, 2.0]]]])
    c, ind = R.topk_blocks(s, 2)
    assert c.tolist() == [[[2]]] and ind.tolist() == [[[[1, 2]]]]
    c, ind = R.topk_blocks(s, 3)
    assert ind.tolist() == [[[[1, 2, 4]]]]
    c, ind = R.topk_blocks(s, 5)  # NaN never selected
    assert c.tolist() == [[[4]]] and ind.tolist() == [[[[0, 1, 2, 4, 0]]]]
    # causal eligibility: 3 query blocks x 3 key blocks of 2, offset 0
    s = np.array([[[[0.0, 5.0, 9.0], [1.0, 0.5, 9.0], [3.0, 2.0, 1.0]]]])
    c, ind = R.topk_blocks(s, 2, mask="causal", block_size=[2, 2])
    assert c.tolist() == [[[1, 2, 2]]]
    assert ind.tolist() == [[[[0, 0], [0, 1], [0, 1]]]]


def test_nsa_branches(rs):
    rng = rs.rng
    B, Hq, Hkv, S, D = 1, 4, 2, 12, 4
    q, k, v = rand_qkv(rng, B=B, Hq=Hq, Hkv=Hkv, Sq=S, Sk=S, D=D, Dv=3)
    l, d, ls = 4, 2, 4
    Sc = (S - l) // d + 1
    kc = rng.standard_normal((B, Hkv, Sc, D))
    vc = rng.standard_normal((B, Hkv, Sc, 3))
    kw = dict(cmp_block=l, cmp_stride=d, select_block=ls, window=3)

    def run(gate, n=2, window=3):
        g = np.broadcast_to(np.array(gate, float), (B, Hq, S, 3))
        return R.nsa(q, k, v, kc, vc, g, cmp_block=l, cmp_stride=d, select_block=ls,
                     select_count=n, window=window)

    # window branch == attention with window<w-1, 0>
    assert np.allclose(run((0, 0, 1)), R.attention(q, k, v, mask=("window", 2, 0)), **TOL), rs.msg
    # selection with every block == causal attention
    assert np.allclose(run((0, 1, 0), n=100), R.attention(q, k, v, mask="causal"), **TOL), rs.msg
    # compressed branch == attention over k_cmp where c*d + l - 1 <= t
    allowed = np.array([[c * d + l - 1 <= t for c in range(Sc)] for t in range(S)])
    ref, _ = dense_attention(q, kc, vc, allowed[None, None], 0.5)
    with np.errstate(all="raise"):
        got = run((1, 0, 0))
    assert np.allclose(got, ref, **TOL) and (got[:, :, :l - 1] == 0).all(), rs.msg
    # gates are linear
    tot = run((0.3, 0.5, 0.2))
    assert np.allclose(tot, 0.3 * run((1, 0, 0)) + 0.5 * run((0, 1, 0)) + 0.2 * run((0, 0, 1)), **TOL)


def test_mla_equals_absorbed(rs):
    rng = rs.rng
    B, H, Sq, Sk, Dn, Dr, Dl, Dv = 2, 3, 2, 5, 4, 2, 6, 3
    qn = rng.standard_normal((B, H, Sq, Dn)); qr = rng.standard_normal((B, H, Sq, Dr))
    cl = rng.standard_normal((B, Sk, Dl)); kr = rng.standard_normal((B, Sk, Dr))
    wuk = rng.standard_normal((H, Dl, Dn)); wuv = rng.standard_normal((H, Dl, Dv))
    out, lse = R.mla(qn, qr, cl, kr, wuk, wuv, mask="causal", return_lse=True)
    qa = np.concatenate([np.einsum("bhsn,hln->bhsl", qn, wuk), qr], axis=-1)
    ka = np.concatenate([cl, kr], axis=-1)[:, None]
    allowed = R.mask_matrix("causal", Sq, Sk)[None, None]
    o_lat, lse2 = dense_attention(qa, ka, cl[:, None], allowed, 1 / math.sqrt(Dn + Dr))
    out2 = np.einsum("bhsl,hlv->bhsv", o_lat, wuv)
    assert np.allclose(out, out2, **TOL) and np.allclose(lse, lse2, **TOL), rs.msg


# ----------------------------------------------------------------------------
# Recurrence
# ----------------------------------------------------------------------------

def rand_rec(rng, B=2, H=2, S=6, Dk=3, Dv=4):
    return (rng.standard_normal((B, H, S, Dk)), rng.standard_normal((B, H, S, Dk)),
            rng.standard_normal((B, H, S, Dv)))


def test_recurrence_linear_attention_parallel(rs):
    q, k, v = rand_rec(rs.rng)
    out, fin = R.recurrence(q, k, v)
    S = q.shape[2]
    A = np.einsum("bhik,bhjk->bhij", q, k) * np.tril(np.ones((S, S)))
    ref = np.einsum("bhij,bhjv->bhiv", A, v) / math.sqrt(3)
    assert np.allclose(out, ref, **TOL), rs.msg
    assert np.allclose(fin, np.einsum("bhsk,bhsv->bhkv", k, v), **TOL), rs.msg


def test_recurrence_scalar_and_head_decay_parallel(rs):
    rng = rs.rng
    q, k, v = rand_rec(rng)
    B, H, S, Dk = q.shape
    g = -rng.uniform(0.0, 1.0, size=(B, H, S))
    out, _ = R.recurrence(q, k, v, decay_kind="scalar", decay=g, scale=0.7)
    G = np.cumsum(g, axis=-1)
    Dm = np.exp(G[..., :, None] - G[..., None, :]) * np.tril(np.ones((S, S)))
    ref = 0.7 * np.einsum("bhij,bhjv->bhiv", np.einsum("bhik,bhjk->bhij", q, k) * Dm, v)
    assert np.allclose(out, ref, **TOL), rs.msg
    lg = np.log(rng.uniform(0.5, 0.99, size=H))
    out, _ = R.recurrence(q, k, v, decay_kind="head", decay=lg)
    ii = np.arange(S)
    Dm = np.exp(lg[:, None, None] * (ii[:, None] - ii[None, :])) * np.tril(np.ones((S, S)))
    ref = np.einsum("bhij,bhjv->bhiv", np.einsum("bhik,bhjk->bhij", q, k) * Dm[None], v) / math.sqrt(Dk)
    assert np.allclose(out, ref, **TOL), rs.msg


def test_recurrence_vector_decay_parallel(rs):
    rng = rs.rng
    q, k, v = rand_rec(rng)
    B, H, S, Dk = q.shape
    g = -rng.uniform(0.0, 1.0, size=(B, H, S, Dk))
    out, _ = R.recurrence(q, k, v, decay_kind="vector", decay=g)
    G = np.cumsum(g, axis=2)
    ref = np.zeros_like(out)
    for i in range(S):
        for j in range(i + 1):
            w = np.einsum("bhk,bhk->bh", q[:, :, i] * np.exp(G[:, :, i] - G[:, :, j]), k[:, :, j])
            ref[:, :, i] += w[..., None] * v[:, :, j]
    assert np.allclose(out, ref / math.sqrt(Dk), **TOL), rs.msg


def test_recurrence_delta_beta_zero(rs):
    rng = rs.rng
    q, k, v = rand_rec(rng)
    B, H, S, Dk = q.shape
    S0 = rng.standard_normal((B, H, Dk, 4))
    g = -rng.uniform(0.0, 0.5, size=(B, H, S, Dk))
    out, fin = R.recurrence(q, k, v, decay_kind="vector", decay=g, update_kind="delta",
                            beta=np.zeros((B, H, S)), initial_state=S0)
    G = np.cumsum(g, axis=2)
    for t in range(S):
        St = np.exp(G[:, :, t])[..., None] * S0
        assert np.allclose(out[:, :, t], np.einsum("bhkv,bhk->bhv", St, q[:, :, t]) / math.sqrt(Dk), **TOL), rs.msg
    assert np.allclose(fin, np.exp(G[:, :, -1])[..., None] * S0, **TOL), rs.msg


def test_recurrence_delta_rule_writes_value(rs):
    # with beta = 1 and unit keys, reading the state at k_t returns v_t exactly
    rng = rs.rng
    q, k, v = rand_rec(rng, Dk=5)
    k = k / np.linalg.norm(k, axis=-1, keepdims=True)
    B, H, S, _ = k.shape
    g = -rng.uniform(0.0, 1.0, size=(B, H, S))
    out, _ = R.recurrence(k, k, v, decay_kind="scalar", decay=g, update_kind="delta",
                          beta=np.ones((B, H, S)), scale=1.0)
    assert np.allclose(out, v, **TOL), rs.msg
    # hand check of one DeltaNet step from a known state
    S0 = np.arange(6.0).reshape(1, 1, 2, 3)
    kk = np.array([1.0, 0.0]).reshape(1, 1, 1, 2)
    vv = np.array([10.0, 20.0, 30.0]).reshape(1, 1, 1, 3)
    qq = np.array([1.0, 1.0]).reshape(1, 1, 1, 2)
    out, fin = R.recurrence(qq, kk, vv, update_kind="delta", beta=np.full((1, 1, 1), 0.5),
                            initial_state=S0, scale=1.0)
    # row 0 -> 0.5*[0,1,2] + 0.5*[10,20,30] = [5, 10.5, 16]; row 1 unchanged [3,4,5]
    assert np.allclose(fin[0, 0], [[5, 10.5, 16], [3, 4, 5]], **TOL)
    assert np.allclose(out[0, 0, 0], [8, 14.5, 21], **TOL)


@pytest.mark.parametrize("decay_kind", ["none", "head", "scalar", "vector"])
@pytest.mark.parametrize("update_kind", ["additive", "delta"])
def test_recurrence_split_state(rs, decay_kind, update_kind):
    rng = rs.rng
    q, k, v = rand_rec(rng, S=7)
    B, H, S, Dk = q.shape
    decay = {"none": None, "head": -rng.uniform(0, 1, H),
             "scalar": -rng.uniform(0, 1, (B, H, S)),
             "vector": -rng.uniform(0, 1, (B, H, S, Dk))}[decay_kind]
    beta = rng.uniform(0, 1, (B, H, S)) if update_kind == "delta" else None
    S0 = rng.standard_normal((B, H, Dk, 4))

    def part(a, b):
        dec = decay if decay_kind in ("none", "head") else decay[:, :, a:b]
        return dict(decay_kind=decay_kind, decay=dec, update_kind=update_kind,
                    beta=None if beta is None else beta[:, :, a:b])

    out, fin = R.recurrence(q, k, v, initial_state=S0, **part(0, S))
    c = int(rng.integers(1, S))
    o1, f1 = R.recurrence(q[:, :, :c], k[:, :, :c], v[:, :, :c], initial_state=S0, **part(0, c))
    o2, f2 = R.recurrence(q[:, :, c:], k[:, :, c:], v[:, :, c:], initial_state=f1, **part(c, S))
    assert np.allclose(out, np.concatenate([o1, o2], axis=2), **TOL), rs.msg
    assert np.allclose(fin, f2, **TOL), rs.msg


def test_scan_closed_form(rs):
    rng = rs.rng
    shape = (3, 5, 4)
    for axis in range(3):
        a = rng.uniform(-1.2, 1.2, shape)
        b = rng.standard_normal(shape)
        init_shape = tuple(s for i, s in enumerate(shape) if i != axis)
        h0 = rng.standard_normal(init_shape)
        h = R.scan(a, b, axis, initial=h0)
        am, bm, hm = (np.moveaxis(x, axis, 0) for x in (a, b, h))
        T = am.shape[0]
        for t in range(T):
            expect = np.prod(am[:t + 1], axis=0) * h0
            for s in range(t + 1):
                expect = expect + np.prod(am[s + 1:t + 1], axis=0) * bm[s]
            assert np.allclose(hm[t], expect, **TOL), (rs.msg, axis, t)
        hr = R.scan(a, b, axis, initial=h0, reverse=True)
        hf = np.flip(R.scan(np.flip(a, axis), np.flip(b, axis), axis, initial=h0), axis)
        assert np.allclose(hr, hf, **TOL), (rs.msg, axis)
        assert not np.allclose(hr, h), rs.msg
    # hand: a = 2, b = 1, h0 = 1 -> 3, 7, 15
    assert np.allclose(R.scan(np.full(3, 2.0), np.ones(3), 0, initial=np.array(1.0)), [3, 7, 15])
    assert np.allclose(R.scan(np.full(3, 2.0), np.ones(3), 0, reverse=True), [7, 3, 1])


def test_selective_scan(rs):
    rng = rs.rng
    Bsz, Dch, N, L = 2, 3, 4, 5
    u = rng.standard_normal((Bsz, Dch, L)); delta = rng.standard_normal((Bsz, Dch, L))
    A = -rng.uniform(0.1, 1.0, (Dch, N)); Bm = rng.standard_normal((Bsz, N, L))
    C = rng.standard_normal((Bsz, N, L)); Dd = rng.standard_normal(Dch)
    z = rng.standard_normal((Bsz, Dch, L)); db = rng.standard_normal(Dch)
    y, last = R.selective_scan(u, delta, A, Bm, C, D=Dd, z=z, delta_bias=db, delta_softplus=True)
    # decomposition from the doc: discretise, scan along L, contract with C
    dt = np.log1p(np.exp(delta + db[None, :, None]))                  # [B, D, L]
    dA = np.exp(dt[:, :, None, :] * A[None, :, :, None])              # [B, D, N, L]
    dBu = dt[:, :, None, :] * Bm[:, None, :, :] * u[:, :, None, :]
    h = R.scan(dA, dBu, axis=3)
    y2 = np.einsum("bnl,bdnl->bdl", C, h) + Dd[None, :, None] * u
    y2 = y2 * z / (1 + np.exp(-z))
    assert np.allclose(y, y2, **TOL) and np.allclose(last, h[..., -1], **TOL), rs.msg
    # hand: L = 1, N = 1, no options: y = C * delta * B * u
    y, last = R.selective_scan(np.full((1, 1, 1), 2.0), np.full((1, 1, 1), 0.5),
                               np.full((1, 1), -1.0), np.full((1, 1, 1), 3.0),
                               np.full((1, 1, 1), 4.0))
    assert np.allclose(y, 12.0) and np.allclose(last, 3.0)


# ----------------------------------------------------------------------------
# MoE
# ----------------------------------------------------------------------------

def test_route_ties_and_bias():
    w, i = R.route(np.zeros((2, 6)), 3)
    assert i.tolist() == [[0, 1, 2], [0, 1, 2]] and np.allclose(w, 1 / 6)
    logits = np.array([[1.0, 3.0, 3.0, 2.0]])
    w, i = R.route(logits, 2)
    assert i.tolist() == [[1, 2]]
    # bias steers the selection only; weights come from unbiased scores
    bias = np.array([10.0, 0.0, 0.0, 0.0])
    w, i = R.route(logits, 2, bias=bias, score_func="sigmoid")
    assert i.tolist() == [[0, 1]]
    assert np.allclose(w, 1 / (1 + np.exp(-np.array([[1.0, 3.0]]))), **TOL)
    w, i = R.route(logits, 2, bias=bias, score_func="sigmoid", renormalize=True, scaling_factor=2.5)
    s = 1 / (1 + np.exp(-np.array([1.0, 3.0])))
    assert np.allclose(w[0], 2.5 * s / s.sum(), **TOL)
    # descending order of sel
    w, i = R.route(np.array([[0.0, 5.0, 1.0, 7.0]]), 3)
    assert i.tolist() == [[3, 1, 2]] and (np.diff(w[0]) <= 0).all()


def test_route_softmax_values(rs):
    logits = rs.rng.standard_normal((5, 8))
    w, i = R.route(logits, 8)
    s = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert np.allclose(np.take_along_axis(s, i, 1), w, **TOL), rs.msg
    assert np.allclose(w.sum(axis=1), 1.0, **TOL), rs.msg
    assert (np.sort(i, axis=1) == np.arange(8)).all(), rs.msg


def test_route_group_limited():
    # 8 experts, 4 groups of 2. group scores (sum of top 2): g0 = .1+.1, g1 = .9+0,
    # g2 = .5+.5, g3 = .3+.2 -> best 2 groups: g2 (1.0), g1 (0.9)
    sel = np.array([[0.1, 0.1, 0.9, 0.0, 0.5, 0.5, 0.3, 0.2]])
    logit = np.log(sel / (1 - sel + 1e-300) + 1e-300)  # sigmoid^-1
    logit[0, 3] = -50.0
    w, i = R.route(logit, 3, score_func="sigmoid", num_groups=4, topk_groups=2)
    assert i.tolist() == [[2, 4, 5]]
    # without group limiting expert 6 (0.3) would beat expert 3 but neither is picked;
    # with topk_groups = 3 group 3 becomes eligible
    w, i = R.route(logit, 4, score_func="sigmoid", num_groups=4, topk_groups=3)
    assert i.tolist() == [[2, 4, 5, 6]]
    # group tie -> lower group index
    w, i = R.route(np.zeros((1, 4)), 1, num_groups=2, topk_groups=1, bias=np.array([0, 0, 0, 0.0]))
    assert i.tolist() == [[0]]
    w, i = R.route(np.zeros((1, 4)), 2, num_groups=2, topk_groups=1, bias=np.array([0, 0, 1.0, -5.0]))
    # group sums: g0 = 0.5, g1 = 1.25 + -4.75 -> g0 wins (sum of two largest)
    assert i.tolist() == [[0, 1]]


def test_route_expert_choice():
    logits = np.array([[0.0, 1.0], [2.0, 0.0], [2.0, 0.0], [0.0, 3.0]])
    w, i = R.route(logits, 1, mode="expert_choice", capacity=2, scaling_factor=2.0)
    assert i.tolist() == [[1, 2], [3, 0]]
    s = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert np.allclose(w, 2.0 * np.array([[s[1, 0], s[2, 0]], [s[3, 1], s[0, 1]]]), **TOL)


def test_dispatch_hand():
    x = np.arange(3.0)[:, None] * np.ones((1, 2))
    experts = np.array([[1, 0], [1, 2], [1, 1]])
    p, off, rm = R.dispatch(x, experts, 3)
    assert off.tolist() == [1, 5, 6]
    assert rm.tolist() == [[1, 0], [2, 5], [3, 4]]
    assert p[:, 0].tolist() == [0, 0, 1, 2, 2, 1]
    p, off, rm = R.dispatch(x, experts, 4, capacity=2)
    # expert 1 keeps (0,0) and (1,0); (2,0) and (2,1) are dropped
    assert off.tolist() == [1, 3, 4, 4]
    assert rm.tolist() == [[1, 0], [2, 3], [-1, -1]]
    assert p[:, 0].tolist() == [0, 0, 1, 1, 0, 0] and (p[4:] == 0).all()
    # out-of-range ids are dropped
    p, off, rm = R.dispatch(x, np.array([[5], [-1], [0]]), 2)
    assert off.tolist() == [1, 1] and rm.tolist() == [[-1], [-1], [0]]


def test_dispatch_capacity_drops_later_tokens(rs):
    rng = rs.rng
    T, k, E, cap = 20, 2, 4, 3
    experts = np.stack([rng.permutation(E)[:k] for _ in range(T)])
    _, off, rm = R.dispatch(rng.standard_normal((T, 3)), experts, E, capacity=cap)
    for e in range(E):
        assigns = [(t, j) for t in range(T) for j in range(k) if experts[t, j] == e]
        for n, (t, j) in enumerate(assigns):
            assert (rm[t, j] >= 0) == (n < cap), rs.msg
    counts = np.diff(np.concatenate([[0], off]))
    assert (counts <= cap).all() and off[-1] == (rm >= 0).sum(), rs.msg


def test_dispatch_grouped_matmul_combine_dense(rs):
    rng = rs.rng
    T, d, f, E, k = 9, 4, 5, 4, 2
    x = rng.standard_normal((T, d))
    w = rng.standard_normal((E, d, f))
    logits = rng.standard_normal((T, E))
    wts, idx = R.route(logits, k, renormalize=True)
    for cap in (None, 3):
        p, off, rm = R.dispatch(x, idx, E, capacity=cap)
        y = R.grouped_matmul(p, w, off)
        out = R.combine(y, wts, rm)
        ref = np.zeros((T, f))
        used = np.zeros(E, int)
        for t in range(T):
            for j in range(k):
                e = idx[t, j]
                if cap is None or used[e] < cap:
                    ref[t] += wts[t, j] * (x[t] @ w[e])
                used[e] += 1
        assert np.allclose(out, ref, **TOL), (rs.msg, cap)
    # identity-like weights reproduce the tokens scaled by summed weights
    eye = np.stack([np.eye(d) * (e + 1) for e in range(E)])
    p, off, rm = R.dispatch(x, idx, E)
    out = R.combine(R.grouped_matmul(p, eye, off), wts, rm)
    ref = x * (wts * (idx + 1)).sum(axis=1, keepdims=True)
    assert np.allclose(out, ref, **TOL), rs.msg


def test_grouped_matmul_empty_groups_and_tail():
    x = np.ones((5, 2))
    w = np.stack([np.full((2, 1), e + 1.0) for e in range(3)])
    y = R.grouped_matmul(x, w, np.array([2, 2, 4]))
    assert y[:, 0].tolist() == [2, 2, 6, 6, 0]


def test_moe_composite(rs):
    rng = rs.rng
    T, d, f, fs, E, k = 7, 4, 3, 5, 4, 2
    x = rng.standard_normal((T, d))
    router = rng.standard_normal((d, E))
    wg, wu = rng.standard_normal((E, d, f)), rng.standard_normal((E, d, f))
    wd = rng.standard_normal((E, f, d))
    sh = (rng.standard_normal((d, fs)), rng.standard_normal((d, fs)), rng.standard_normal((fs, d)))
    bias = rng.standard_normal(E) * 0.1
    silu = lambda a: a / (1 + np.exp(-a))
    for cap in (None, 2):
        out = R.moe(x, router, wg, wu, wd, k, bias=bias, shared=sh, score_func="sigmoid",
                    renormalize=True, num_groups=2, topk_groups=1, scaling_factor=1.5,
                    capacity=cap)
        wts, idx = R.route(x @ router, k, bias=bias, score_func="sigmoid", renormalize=True,
                           num_groups=2, topk_groups=1, scaling_factor=1.5)
        p, off, rm = R.dispatch(x, idx, E, capacity=cap)
        h = silu(R.grouped_matmul(p, wg, off)) * R.grouped_matmul(p, wu, off)
        ref = R.combine(R.grouped_matmul(h, wd, off), wts, rm)
        ref += (silu(x @ sh[0]) * (x @ sh[1])) @ sh[2]
        assert np.allclose(out, ref, **TOL), (rs.msg, cap)
