"""Registry entries for the windowed reductions (``lax.reduce_window``) and
the select-and-gather/scatter pair that differentiates max/min.

Each entry has a fixed window configuration, applied to the trailing axes of
a drawn operand (leading axes get a window of 1, like batch and channel
axes), and a plain-Python oracle (loops over windows), :func:`oracle`.  The
max/min configurations never make a window of padding only, so outputs stay
finite for the gradient sweeps.
"""

from __future__ import annotations

import itertools
from typing import Any

import hypothesis.strategies as st
import numpy as np

import functorch_lite as fl
from functorch_lite import lax
from tests.registry import OpEntry, register
from tests.strategies import ALL_DTYPES, FLOATS, NUMERIC, np_arrays, shapes

Arr = np.ndarray[Any, Any]
# one axis' window: (size, stride, low pad, high pad, base dilation, window dilation)
Win = tuple[int, int, int, int, int, int]
TRIVIAL: Win = (1, 1, 0, 0, 1, 1)


def out_size(n: int, win: Win) -> int:
    w, s, lo, hi, bd, wd = win
    padded = (0 if n == 0 else (n - 1) * bd + 1) + lo + hi
    span = (w - 1) * wd + 1
    return 0 if padded < span else (padded - span) // s + 1


def _windows(shape: tuple[int, ...], wins: tuple[Win, ...]) -> Any:
    """(output index, [operand indices of its window in row-major window order])."""
    oshape = tuple(out_size(n, w) for n, w in zip(shape, wins))
    for o in itertools.product(*(range(n) for n in oshape)):
        members = []
        for k in itertools.product(*(range(w[0]) for w in wins)):
            idx = []
            for d, (_w, s, lo, _hi, bd, wd) in enumerate(wins):
                p = o[d] * s + k[d] * wd - lo
                if p < 0 or p % bd or p // bd >= shape[d]:
                    break
                idx.append(p // bd)
            else:
                members.append(tuple(idx))
        yield o, members


def identity(op: str, dtype: np.dtype[Any]) -> Any:
    if op == "sum":
        return 0
    if dtype.kind == "f":
        return -np.inf if op == "max" else np.inf
    if dtype.kind == "b":
        return op == "min"
    info = np.iinfo(dtype)
    return info.min if op == "max" else info.max


def oracle(x: Arr, op: str, wins: tuple[Win, ...]) -> Arr:
    """Windowed sum/max/min by loops over windows (float sums in float64,
    integer sums wrapping as the operand dtype does); NaN propagates."""
    x = np.asarray(x)
    oshape = tuple(out_size(n, w) for n, w in zip(x.shape, wins))
    out = np.empty(oshape, x.dtype)
    for o, members in _windows(x.shape, wins):
        vals = [x[i] for i in members]
        if op == "sum":
            if x.dtype.kind == "f":
                out[o] = sum((float(v) for v in vals), 0.0)
            else:
                out[o] = np.array(sum(int(v) for v in vals)).astype(np.int64).astype(x.dtype)
        elif not vals:
            out[o] = identity(op, x.dtype)
        elif any(v != v for v in vals):
            out[o] = np.nan
        else:
            out[o] = max(vals) if op == "max" else min(vals)
    return out


def selections(x: Arr, op: str, wins: tuple[Win, ...]) -> dict[tuple[int, ...], tuple[int, ...] | None]:
    """Output index -> the operand index max/min selects: the first extreme
    element in row-major window order (the first NaN if any); None when the
    window is all padding."""
    x = np.asarray(x)
    res: dict[tuple[int, ...], tuple[int, ...] | None] = {}
    for o, members in _windows(x.shape, wins):
        nans = [i for i in members if x[i] != x[i]]
        if nans:
            res[o] = nans[0]
            continue
        best = None
        for i in members:
            if best is None or (x[i] > x[best] if op == "max" else x[i] < x[best]):
                best = i
        res[o] = best
    return res


def gather_oracle(t: Arr, x: Arr, op: str, wins: tuple[Win, ...]) -> Arr:
    oshape = tuple(out_size(n, w) for n, w in zip(np.shape(x), wins))
    out = np.zeros(oshape, np.asarray(t).dtype)
    for o, i in selections(x, op, wins).items():
        if i is not None:
            out[o] = t[i]
    return out


def scatter_oracle(s: Arr, x: Arr, op: str, wins: tuple[Win, ...]) -> Arr:
    g = np.zeros(np.shape(x), np.float64)
    for o, i in selections(x, op, wins).items():
        if i is not None:
            g[i] += s[o]
    return g.astype(np.asarray(s).dtype)


def trailing(cfg: tuple[Win, ...], nd: int) -> tuple[Win, ...]:
    """``cfg`` on the trailing axes of an ``nd``-axis operand, windows of 1 before."""
    cfg = cfg[-nd:] if nd else ()
    return (TRIVIAL,) * (nd - len(cfg)) + cfg


def call(x: Any, op: str, wins: tuple[Win, ...], padding: Any = None) -> Any:
    """``lax.reduce_window`` with ``wins`` (``padding`` overrides their pads)."""
    comp = {"sum": lax.add, "max": lax.max, "min": lax.min}[op]
    init = {"sum": 0, "max": -np.inf, "min": np.inf}[op]
    pads = tuple((w[2], w[3]) for w in wins) if padding is None else padding
    return lax.reduce_window(x, init, comp, tuple(w[0] for w in wins), tuple(w[1] for w in wins), pads,
                             tuple(w[4] for w in wins), tuple(w[5] for w in wins))


CONFIGS: dict[str, tuple[str, tuple[Win, ...], Any]] = {
    # name: (op, trailing-axes windows, padding override)
    "reduce_window_sum_overlap": ("sum", ((2, 1, 0, 0, 1, 1), (3, 2, 0, 0, 1, 1)), None),
    "reduce_window_sum_padded_dilated": ("sum", ((2, 2, 1, 2, 2, 1), (2, 1, -1, 1, 1, 2), (3, 1, 1, 1, 1, 1)),
                                         None),
    "reduce_window_max_pool2": ("max", ((2, 2, 0, 0, 1, 1), (2, 2, 0, 0, 1, 1)), None),
    "reduce_window_max_same3": ("max", ((3, 1, 1, 1, 1, 1), (3, 1, 1, 1, 1, 1)), "SAME"),
    "reduce_window_max_dilated": ("max", ((2, 1, 1, 0, 2, 1), (2, 2, 0, 0, 1, 2)), None),
    "reduce_window_min_padded": ("min", ((3, 2, 1, 1, 1, 1), (2, 1, 0, 1, 1, 1)), None),
}


def _pool_fn(op: str, cfg: tuple[Win, ...], padding: Any) -> Any:
    def fn(x: Any) -> Any:
        return call(x, op, trailing(cfg, x.ndim), padding)

    return fn


def _pool_ref(op: str, cfg: tuple[Win, ...]) -> Any:
    return lambda x: oracle(x, op, trailing(cfg, x.ndim))


def _inputs(dts: tuple[np.dtype[Any], ...], n: int = 1, pooled: Any = None) -> Any:
    """``n`` operand-shaped arrays (1-4 axes of 1-5), plus one of the pooled
    shape when ``pooled`` (the windows) is given."""

    def draw(data: Any) -> list[Arr]:
        dt = data.draw(st.sampled_from(dts))
        shape = data.draw(shapes(1, 4, 1, 5))
        xs = [data.draw(np_arrays(dt, shape)) for _ in range(n)]
        if pooled is not None:
            wins = trailing(pooled, len(shape))
            xs.append(data.draw(np_arrays(dt, tuple(out_size(d, w) for d, w in zip(shape, wins)))))
        return xs

    return draw


for _name, (_op, _cfg, _pad) in CONFIGS.items():
    register(OpEntry(_name, _pool_fn(_op, _cfg, _pad), _pool_ref(_op, _cfg),
                     _inputs(NUMERIC if _op == "sum" else ALL_DTYPES), (f"reduce_window_{_op}",),
                     rtol=1e-4, atol=1e-4))


# the derivative pair, staged directly through jvp and vjp of max/min pooling
def _gather_fn(op: str, cfg: tuple[Win, ...]) -> Any:
    def fn(x: Any, t: Any) -> Any:
        return fl.jvp(lambda z: call(z, op, trailing(cfg, z.ndim)), (x,), (t,))[1]

    return fn


def _scatter_fn(op: str, cfg: tuple[Win, ...]) -> Any:
    def fn(x: Any, ct: Any) -> Any:
        return fl.vjp(lambda z: call(z, op, trailing(cfg, z.ndim)), x)[1](ct)[0]

    return fn


for _op, _key in (("max", "reduce_window_max_dilated"), ("min", "reduce_window_min_padded")):
    _cfg = CONFIGS[_key][1]
    register(OpEntry(f"select_and_gather_add_{_op}", _gather_fn(_op, _cfg),
                     lambda x, t, op=_op, cfg=_cfg: gather_oracle(t, x, op, trailing(cfg, x.ndim)),
                     _inputs(FLOATS, 2), ("select_and_gather_add",), rtol=1e-4, atol=1e-4))
    register(OpEntry(f"select_and_scatter_add_{_op}", _scatter_fn(_op, _cfg),
                     lambda x, ct, op=_op, cfg=_cfg: scatter_oracle(ct, x, op, trailing(cfg, x.ndim)),
                     _inputs(FLOATS, 1, _cfg), ("select_and_scatter_add",), rtol=1e-4, atol=1e-4))
