"""float64 reference for celeris.recurrence, celeris.scan and
celeris.selective_scan (CelerisRecurrenceOps.md), in sequential form."""

import math

import numpy as np


def _f64(x):
    return None if x is None else np.asarray(x, dtype=np.float64)


def recurrence(q, k, v, *, decay_kind="none", decay=None, update_kind="additive",
               beta=None, initial_state=None, scale=None):
    """q, k [B,H,S,Dk], v [B,H,S,Dv] -> (out [B,H,S,Dv], final_state [B,H,Dk,Dv]).

    a_t = exp(g_t) (log-space gate), broadcast over Dv:
      additive: S_t = a_t (.) S_{t-1} + k_t v_t^T
      delta:    S_t = (I - beta_t k_t k_t^T)(a_t (.) S_{t-1}) + beta_t k_t v_t^T
      o_t = scale * S_t^T q_t
    """
    q, k, v = _f64(q), _f64(k), _f64(v)
    decay, beta = _f64(decay), _f64(beta)
    B, H, S, Dk = q.shape
    Dv = v.shape[3]
    if scale is None:
        scale = 1.0 / math.sqrt(Dk)
    out = np.zeros((B, H, S, Dv))
    final = np.zeros((B, H, Dk, Dv))
    for b in range(B):
        for h in range(H):
            St = np.zeros((Dk, Dv)) if initial_state is None else _f64(initial_state)[b, h].copy()
            for t in range(S):
                # per-key-channel log gate g[Dk]
                if decay_kind == "none":
                    g = np.zeros(Dk)
                elif decay_kind == "head":
                    g = np.full(Dk, decay[h])
                elif decay_kind == "scalar":
                    g = np.full(Dk, decay[b, h, t])
                elif decay_kind == "vector":
                    g = decay[b, h, t].copy()
                else:
                    raise ValueError(decay_kind)
                decayed = np.exp(g)[:, None] * St
                kt, vt = k[b, h, t], v[b, h, t]
                if update_kind == "additive":
                    St = decayed + np.outer(kt, vt)
                elif update_kind == "delta":
                    bt = beta[b, h, t]
                    St = (np.eye(Dk) - bt * np.outer(kt, kt)) @ decayed + bt * np.outer(kt, vt)
                else:
                    raise ValueError(update_kind)
                out[b, h, t] = scale * (St.T @ q[b, h, t])
            final[b, h] = St
    return out, final


def scan(a, b, axis, initial=None, reverse=False):
    """h_t = a_t * h_{t-1} + b_t along axis (h_{-1} = initial, default 0);
    reverse: h_t = a_t * h_{t+1} + b_t (h_T = initial)."""
    a, b = _f64(a), _f64(b)
    am = np.moveaxis(a, axis, 0)
    bm = np.moveaxis(b, axis, 0)
    T = am.shape[0]
    hm = np.zeros_like(bm)
    prev = np.zeros(am.shape[1:]) if initial is None else _f64(initial).copy()
    order = range(T - 1, -1, -1) if reverse else range(T)
    for t in order:
        prev = am[t] * prev + bm[t]
        hm[t] = prev
    return np.moveaxis(hm, 0, axis)


def softplus(x):
    return np.logaddexp(0.0, x)


def silu(x):
    return x / (1.0 + np.exp(-x))


def selective_scan(u, delta, A, Bmat, C, *, D=None, z=None, delta_bias=None,
                   delta_softplus=False):
    """Mamba-1 selective scan.  u, delta, z [B,D,L]; A [D,N]; Bmat, C [B,N,L];
    D, delta_bias [D].  Returns (y [B,D,L], last_state [B,D,N])."""
    u, delta, A, Bmat, C = map(_f64, (u, delta, A, Bmat, C))
    D_, z, delta_bias = _f64(D), _f64(z), _f64(delta_bias)
    Bsz, Dch, L = u.shape
    N = A.shape[1]
    y = np.zeros((Bsz, Dch, L))
    last = np.zeros((Bsz, Dch, N))
    for b in range(Bsz):
        for d in range(Dch):
            h = np.zeros(N)
            for t in range(L):
                dt = delta[b, d, t]
                if delta_bias is not None:
                    dt = dt + delta_bias[d]
                if delta_softplus:
                    dt = softplus(dt)
                h = np.exp(dt * A[d]) * h + dt * Bmat[b, :, t] * u[b, d, t]
                yt = np.dot(C[b, :, t], h)
                if D_ is not None:
                    yt += D_[d] * u[b, d, t]
                if z is not None:
                    yt *= silu(z[b, d, t])
                y[b, d, t] = yt
            last[b, d] = h
    return y, last
