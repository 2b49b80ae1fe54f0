"""Reference semantics of the ``#celeris.mask`` algebra (CelerisAttrs.md).

A mask is described by a small Python tuple tree:

    ("all",) ("none",) ("causal",)
    ("window", left, right)       ("sink", n)
    ("dilated", rate, segment)    ("strided", s)
    ("block_causal", b)           ("prefix", n)
    ("chunked", c)                ("global", [t0, t1, ...])
    ("union", m0, m1, ...)        ("intersect", m0, m1, ...)

A bare string such as ``"causal"`` is accepted for parameterless primitives.

Integer division and ``mod`` use floor semantics (Python ``//`` and ``%``);
they only matter for negative query positions (query_offset < 0).
"""

import numpy as np

PRIMITIVE_ARITY = {
    "all": 0, "none": 0, "causal": 0,
    "window": 2, "sink": 1, "dilated": 2, "strided": 1,
    "block_causal": 1, "prefix": 1, "chunked": 1, "global": -1,
}
KEYWORD_NAMES = {"window": ("left", "right"), "dilated": ("rate", "segment")}
COMBINATORS = ("union", "intersect")


def normalize(desc):
    """Return the canonical tuple form of a description (no simplification)."""
    if isinstance(desc, str):
        desc = (desc,)
    desc = tuple(desc)
    kind = desc[0]
    if kind in COMBINATORS:
        if len(desc) < 3:
            raise ValueError(f"{kind} takes two or more masks, got {len(desc) - 1}")
        return (kind,) + tuple(normalize(m) for m in desc[1:])
    if kind not in PRIMITIVE_ARITY:
        raise ValueError(f"unknown mask kind {kind!r}")
    arity = PRIMITIVE_ARITY[kind]
    if arity == -1:
        if len(desc) == 2 and not np.isscalar(desc[1]):
            tokens = tuple(int(t) for t in desc[1])
        else:
            tokens = tuple(int(t) for t in desc[1:])
        if not tokens:
            raise ValueError("global needs at least one token")
        return (kind, tokens)
    if len(desc) - 1 != arity:
        raise ValueError(f"{kind} takes {arity} parameters, got {len(desc) - 1}")
    return (kind,) + tuple(int(x) for x in desc[1:])


def allowed_scalar(desc, p, j):
    """allowed(p, j) for single integers, written literally from the table."""
    d = normalize(desc)
    kind = d[0]
    if kind == "all":
        return True
    if kind == "none":
        return False
    if kind == "causal":
        return j <= p
    if kind == "window":
        left, right = d[1], d[2]
        return p - left <= j <= p + right
    if kind == "sink":
        return j < d[1]
    if kind == "dilated":
        r, w = d[1], d[2]
        return p // w == j // w and (p % w) % r == 0 and (j % w) % r == 0
    if kind == "strided":
        return (p - j) % d[1] == 0
    if kind == "block_causal":
        b = d[1]
        return j // b <= p // b
    if kind == "prefix":
        return j <= p or j < d[1]
    if kind == "chunked":
        c = d[1]
        return p // c == j // c
    if kind == "global":
        return p in d[1] or j in d[1]
    if kind == "union":
        return any(allowed_scalar(m, p, j) for m in d[1:])
    if kind == "intersect":
        return all(allowed_scalar(m, p, j) for m in d[1:])
    raise AssertionError(kind)


def allowed_matrix(desc, query_positions, kv_len):
    """Boolean matrix A[i, j] = allowed(query_positions[i], j), j in [0, kv_len).

    Straight double loop over the scalar predicate (clarity over speed).
    """
    d = normalize(desc)
    qp = [int(p) for p in np.asarray(query_positions).reshape(-1)]
    out = np.zeros((len(qp), int(kv_len)), dtype=bool)
    for i, p in enumerate(qp):
        for j in range(int(kv_len)):
            out[i, j] = allowed_scalar(d, p, j)
    return out


def mask_matrix(desc, q_len, kv_len, query_offset=None):
    """Allowed matrix of an attention problem: row i sits at i + query_offset
    (default kv_len - q_len)."""
    if query_offset is None:
        query_offset = kv_len - q_len
    return allowed_matrix(desc, np.arange(q_len) + query_offset, kv_len)


# ----------------------------------------------------------------------------
# Textual form, as printed by Celeris:  #celeris.mask<intersect(causal,
# union(sink<4>, window<left = 1023, right = 0>))>   or the short form <...>.
# ----------------------------------------------------------------------------

def format_mask(desc, full=False):
    """Print a description in Celeris' syntax: ``<...>`` (or
    ``#celeris.mask<...>`` when full)."""
    body = _format_node(normalize(desc))
    return ("#celeris.mask<" if full else "<") + body + ">"


def _format_node(d):
    kind = d[0]
    if kind in COMBINATORS:
        return kind + "(" + ", ".join(_format_node(m) for m in d[1:]) + ")"
    arity = PRIMITIVE_ARITY[kind]
    if arity == 0:
        return kind
    if arity == -1:
        return kind + "<[" + ", ".join(str(t) for t in d[1]) + "]>"
    if kind in KEYWORD_NAMES:
        names = KEYWORD_NAMES[kind]
        return kind + "<" + ", ".join(f"{n} = {v}" for n, v in zip(names, d[1:])) + ">"
    return kind + "<" + str(d[1]) + ">"


class _Lexer:
    def __init__(self, text):
        self.toks = []
        i = 0
        while i < len(text):
            c = text[i]
            if c.isspace():
                i += 1
            elif c.isalpha() or c == "_":
                k = i
                while k < len(text) and (text[k].isalnum() or text[k] in "_."):
                    k += 1
                self.toks.append(text[i:k])
                i = k
            elif c.isdigit() or (c == "-" and i + 1 < len(text) and text[i + 1].isdigit()):
                k = i + 1
                while k < len(text) and text[k].isdigit():
                    k += 1
                self.toks.append(int(text[i:k]))
                i = k
            elif c in "<>()[],=#":
                self.toks.append(c)
                i += 1
            else:
                raise ValueError(f"unexpected character {c!r} in mask {text!r}")
        self.pos = 0

    def peek(self):
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def next(self):
        t = self.peek()
        if t is None:
            raise ValueError("unexpected end of mask")
        self.pos += 1
        return t

    def expect(self, t):
        got = self.next()
        if got != t:
            raise ValueError(f"expected {t!r}, got {got!r}")


def parse_mask(text):
    """Parse ``#celeris.mask<...>``, ``<...>`` or a bare node like ``causal``
    into the canonical tuple description."""
    lx = _Lexer(text.strip())
    wrapped = False
    if lx.peek() == "#":
        lx.next()
        name = lx.next()
        if name != "celeris.mask":
            raise ValueError(f"expected celeris.mask, got {name!r}")
        lx.expect("<")
        wrapped = True
    elif lx.peek() == "<":
        lx.next()
        wrapped = True
    node = _parse_node(lx)
    if wrapped:
        lx.expect(">")
    if lx.peek() is not None:
        raise ValueError(f"trailing tokens in mask {text!r}")
    return normalize(node)


def _parse_node(lx):
    kind = lx.next()
    if not isinstance(kind, str):
        raise ValueError(f"expected a mask kind, got {kind!r}")
    if kind in COMBINATORS:
        lx.expect("(")
        ops = [_parse_node(lx)]
        while lx.peek() == ",":
            lx.next()
            ops.append(_parse_node(lx))
        lx.expect(")")
        return (kind,) + tuple(ops)
    if kind not in PRIMITIVE_ARITY:
        raise ValueError(f"unknown mask kind {kind!r}")
    arity = PRIMITIVE_ARITY[kind]
    if arity == 0:
        return (kind,)
    lx.expect("<")
    if arity == -1:
        lx.expect("[")
        toks = [lx.next()]
        while lx.peek() == ",":
            lx.next()
            toks.append(lx.next())
        lx.expect("]")
        lx.expect(">")
        return (kind, tuple(toks))
    names = KEYWORD_NAMES.get(kind)
    vals = {}
    positional = []
    for idx in range(arity):
        if idx:
            lx.expect(",")
        t = lx.next()
        if isinstance(t, str):
            lx.expect("=")
            vals[t] = lx.next()
        else:
            positional.append(t)
    lx.expect(">")
    if vals:
        if set(vals) != set(names):
            raise ValueError(f"{kind} expects keywords {names}, got {sorted(vals)}")
        return (kind,) + tuple(vals[n] for n in names)
    return (kind,) + tuple(positional)


def as_mask(m):
    """Accept a tuple description, a string of textual form, or None (all)."""
    if m is None:
        return ("all",)
    if isinstance(m, str):
        if m in PRIMITIVE_ARITY or m in COMBINATORS:
            return normalize(m)
        return parse_mask(m)
    return normalize(m)
