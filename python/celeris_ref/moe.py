"""float64 reference for celeris.route, dispatch, grouped_matmul, combine and
moe (CelerisMoEOps.md)."""

import numpy as np


def _f64(x):
    return None if x is None else np.asarray(x, dtype=np.float64)


def _softmax(x):
    e = np.exp(x - np.max(x))
    return e / e.sum()


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _top(values, candidates, k):
    """The k candidates with the largest value, descending, ties -> lower index."""
    return sorted(candidates, key=lambda i: (-values[i], i))[:k]


def route(logits, k, *, bias=None, score_func="softmax", renormalize=False,
          num_groups=None, topk_groups=None, scaling_factor=1.0,
          mode="token_choice", capacity=None):
    """Token choice: (weights [T,k], indices [T,k]); expert choice:
    (weights [E,C], indices [E,C] token ids)."""
    logits = _f64(logits)
    bias = _f64(bias)
    T, E = logits.shape
    s = np.zeros((T, E))
    for t in range(T):
        if score_func == "softmax":
            s[t] = _softmax(logits[t])
        elif score_func == "sigmoid":
            s[t] = _sigmoid(logits[t])
        else:
            raise ValueError(score_func)
    sel = s + bias[None, :] if bias is not None else s.copy()
    if mode == "expert_choice":
        C = int(capacity)
        weights = np.zeros((E, C))
        indices = np.zeros((E, C), dtype=np.int64)
        for e in range(E):
            toks = _top(sel[:, e], range(T), C)
            indices[e] = toks
            weights[e] = scaling_factor * s[toks, e]
        return weights, indices
    assert mode == "token_choice"
    weights = np.zeros((T, k))
    indices = np.zeros((T, k), dtype=np.int64)
    for t in range(T):
        eligible = list(range(E))
        if num_groups is not None:
            G, g = int(num_groups), int(topk_groups)
            gs = E // G
            gscore = np.zeros(G)
            for grp in range(G):
                members = sorted(sel[t, grp * gs:(grp + 1) * gs], reverse=True)
                gscore[grp] = sum(members[:2])
            best = _top(gscore, range(G), g)
            eligible = [e for e in range(E) if e // gs in best]
        chosen = _top(sel[t], eligible, k)
        indices[t] = chosen
        w = s[t, chosen]
        if renormalize:
            tot = w.sum()
            w = w / tot if tot != 0 else np.zeros_like(w)
        weights[t] = scaling_factor * w
    return weights, indices


def dispatch(x, experts, num_experts, capacity=None):
    """Returns (permuted [T*k, d], offsets [E] cumulative END, row_map [T,k])."""
    x = _f64(x)
    experts = np.asarray(experts)
    T, k = experts.shape
    E = int(num_experts)
    rank = np.zeros((T, k), dtype=np.int64)
    kept = np.zeros((T, k), dtype=bool)
    seen = [0] * E
    for t in range(T):
        for j in range(k):
            e = int(experts[t, j])
            if 0 <= e < E:
                rank[t, j] = seen[e]
                seen[e] += 1
                kept[t, j] = capacity is None or rank[t, j] < capacity
    count = np.zeros(E, dtype=np.int64)
    for t in range(T):
        for j in range(k):
            if kept[t, j]:
                count[int(experts[t, j])] += 1
    offsets = np.cumsum(count)
    row_map = np.full((T, k), -1, dtype=np.int64)
    permuted = np.zeros((T * k, x.shape[1]))
    for t in range(T):
        for j in range(k):
            if kept[t, j]:
                e = int(experts[t, j])
                r = offsets[e] - count[e] + rank[t, j]
                row_map[t, j] = r
                permuted[r] = x[t]
    return permuted, offsets, row_map


def dispatch_map(experts, num_experts, capacity=None):
    """Returns (source_rows [T*k], offsets, row_map): the token of every
    dispatched row (-1 past the kept rows), from the row_map of dispatch."""
    experts = np.asarray(experts)
    T, k = experts.shape
    _, offsets, row_map = dispatch(np.zeros((T, 1)), experts, num_experts,
                                   capacity)
    source_rows = np.full(T * k, -1, dtype=np.int64)
    for t in range(T):
        for j in range(k):
            if row_map[t, j] >= 0:
                source_rows[row_map[t, j]] = t
    return source_rows, offsets, row_map


def gather_rows(x, source_rows):
    """x[source_rows[i]] for every i, zeros where the source is outside
    [0, T)."""
    x = _f64(x)
    rows = np.zeros((len(source_rows), x.shape[1]))
    for i, t in enumerate(np.asarray(source_rows)):
        if 0 <= t < x.shape[0]:
            rows[i] = x[t]
    return rows


def grouped_matmul(x, w, offsets, w_up=None, source_rows=None):
    """y[i] = x[i] . w[e] for offsets[e-1] <= i < offsets[e]; 0 past the end.
    With `w_up` (the swiglu form): y[i] = silu(x[i] . w[e]) * (x[i] . w_up[e]).
    With `source_rows` (the gather form) row i is x[source_rows[i]]."""
    if source_rows is not None:
        x = gather_rows(x, source_rows)
    x, w = _f64(x), _f64(w)
    N = x.shape[0]
    E, _, f = w.shape
    y = np.zeros((N, f))
    start = 0
    for e in range(E):
        end = int(offsets[e])
        for i in range(start, end):
            y[i] = x[i] @ w[e]
            if w_up is not None:
                y[i] = _silu(y[i]) * (x[i] @ _f64(w_up)[e])
        start = end
    return y


def combine(y, weights, row_map):
    """out[t] = sum_{j: row_map[t,j] >= 0} weights[t,j] * y[row_map[t,j]]."""
    y, weights = _f64(y), _f64(weights)
    T, k = row_map.shape
    out = np.zeros((T, y.shape[1]))
    for t in range(T):
        for j in range(k):
            r = int(row_map[t, j])
            if r >= 0:
                out[t] += weights[t, j] * y[r]
    return out


def _silu(x):
    return x / (1.0 + np.exp(-x))


def moe(x, router_weight, w_gate, w_up, w_down, k, *, bias=None, shared=None,
        score_func="softmax", renormalize=False, num_groups=None,
        topk_groups=None, scaling_factor=1.0, capacity=None):
    """Token-choice MoE with SwiGLU experts, computed densely per token
    (independent of dispatch/combine).  shared = (gate [d,fs], up [d,fs],
    down [fs,d]) or None."""
    x = _f64(x)
    w_gate, w_up, w_down = _f64(w_gate), _f64(w_up), _f64(w_down)
    logits = x @ _f64(router_weight)
    wts, idx = route(logits, k, bias=bias, score_func=score_func,
                     renormalize=renormalize, num_groups=num_groups,
                     topk_groups=topk_groups, scaling_factor=scaling_factor)
    T, d = x.shape
    E = w_gate.shape[0]
    out = np.zeros((T, d))
    used = [0] * E
    for t in range(T):
        for j in range(k):
            e = int(idx[t, j])
            keep = capacity is None or used[e] < capacity
            used[e] += 1
            if not keep:
                continue
            hidden = _silu(x[t] @ w_gate[e]) * (x[t] @ w_up[e])
            out[t] += wts[t, j] * (hidden @ w_down[e])
    if shared is not None:
        sg, su, sd = map(_f64, shared)
        for t in range(T):
            out[t] += (_silu(x[t] @ sg) * (x[t] @ su)) @ sd
    return out
