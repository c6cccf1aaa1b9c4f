"""Windowed-reduction kernels: ``reduce_window`` sum/max/min and the
select-and-gather / select-and-scatter pair that differentiates max/min.

Every array is a flat 1-D buffer plus element offsets (strided views are
read in place, no copy).  A call is planned once per (layout, window) and
the plan is cached; the plan splits the axes three ways:

- ``v``, the *row* axis: the axis the input walks fastest in memory (among
  those with more than one output).  Each output row along ``v`` stays in
  L1 while every window position adds into it, one pass per position
  ``kv`` of the window along ``v``: ``row[m] op= x[i0 + m * istep]`` over the
  outputs ``m`` that position reaches, a tight loop with constant strides
  (contiguous, or stride 2 for a stride-2 window, read as such);
- *trivial* axes (window 1, stride 1, no padding, no dilation: batch and
  channel axes, a vmapped axis): a list of row base offsets;
- *windowed* axes (the others): for each output position along them, the
  offsets of its valid window positions (CSR: ``q_ptr``/``j_x``), computed
  with NumPy from per-axis tables, so padding and base dilation cost no test
  inside the loops (a window position over padding or a dilation hole is
  simply absent).

Base dilation along ``v`` makes the outputs one window position reaches an
arithmetic progression of step ``P = bd / gcd(s, bd)``, read at input step
``s * P / bd``: the same loop with other strides.

When every window is a tile (window == stride, no padding, no dilation, at
most two windowed axes: the usual max-pooling), each operand element is in
at most one window, and ``select_and_scatter`` is one pass that writes
every element (``_scatter_tiles``; 2x2 tiles along a contiguous row find
each window's extreme and its first occurrence with selects only), the
gradient PyTorch computes from saved indices.

The selections of max/min (``select_and_gather``/``select_and_scatter``)
walk each output's window instead (rows are short and the winner is
data-dependent): a chain of compares and selects, no branch to mispredict,
in row-major window order (the plan then keeps the row axis outside the
window or last in it).  The selected element is the first maximal
(minimal) one in that order, as PyTorch's ``max_pool`` and XLA's
``select_and_scatter`` with ``ge`` pick; a window holding a NaN selects its
first NaN; a window over padding only selects nothing (its tangent is 0 and
its cotangent is dropped); a window whose elements all equal the identity
(-inf for max) selects its first element.

The output is allocated in the input's axis order (NumPy's K order), so
rows are written in memory order too.  Sums accumulate in the operand dtype
(as XLA and PyTorch's CPU pooling do); integers wrap.  Max/min propagate
NaN.  Booleans run as uint8 (max is or, min is and).  A window that covers
whole axes (global pooling) is a plain NumPy reduction.

Measured on this project's 2-vCPU AMD EPYC, 64x32x28x28 float32, one
thread, against PyTorch's ``max_pool2d``/``avg_pool2d`` (medians of
interleaved runs, ``benchmarks/bench_pool.py``): 2x2/2 max 0.3x PyTorch's
time and 0.1x NumPy's reshape-max, 3x3/1 max 0.15x; the sums 0.4-0.5x;
gradients (forward + backward) 0.4-0.75x.

Specialisations, kept few for cold-start compile time: one kernel per
operation (sum, max, min, gather-max, gather-min, scatter-max, scatter-min,
and the tiled scatter-max and scatter-min)
compiled per dtype on first use.

Example:
    >>> import numpy as np
    >>> x = np.arange(16.0).reshape(4, 4)
    >>> reduce_window(x.reshape(-1), 0, x.shape, (4, 1), "max",
    ...               ((2, 2, 0, 0, 1, 1), (2, 2, 0, 0, 1, 1))).tolist()
    [[5.0, 7.0], [13.0, 15.0]]
"""

from __future__ import annotations

import math
import threading
from typing import Any

import numpy as np

from functorch_lite.ops.kernels import buffer_pool
from functorch_lite.ops.kernels._njit import njit, njit_cached

Arr = np.ndarray[Any, Any]
# one axis' window: (window size, stride, low padding, high padding, base dilation, window dilation)
Win = tuple[int, int, int, int, int, int]


def out_size(n: int, win: Win) -> int:
    """Output size along one axis (XLA's rule; 0 when the window does not fit).

    Example:
        >>> out_size(28, (2, 2, 0, 0, 1, 1)), out_size(28, (3, 1, 1, 1, 1, 1)), out_size(1, (3, 1, 0, 0, 1, 1))
        (14, 28, 0)
    """
    w, s, lo, hi, bd, wd = win
    dilated = 0 if n == 0 else (n - 1) * bd + 1
    span = (w - 1) * wd + 1
    padded = dilated + lo + hi
    return 0 if padded < span else (padded - span) // s + 1


# --- combine functions -----------------------------------------------------------------------


@njit(inline="always")
def _add(a: Any, b: Any) -> Any:
    return a + b


@njit(inline="always")
def _max(a: Any, b: Any) -> Any:
    # NaN propagates: once the running value is NaN it stays NaN (NumPy/JAX)
    return b if (b > a or b != b) else a


@njit(inline="always")
def _min(a: Any, b: Any) -> Any:
    return b if (b < a or b != b) else a


@njit(inline="always")
def _pick_max(a: Any, b: Any) -> Any:
    return max(a, b)  # NaN unspecified: the caller redoes windows holding one


@njit(inline="always")
def _pick_min(a: Any, b: Any) -> Any:
    return min(a, b)


@njit(inline="always")
def _beats_max(v: Any, best: Any) -> Any:
    return v > best


@njit(inline="always")
def _beats_min(v: Any, best: Any) -> Any:
    return v < best


# --- the loop nests ----------------------------------------------------------------------------
# Shared arguments (all offsets in elements):
#   t_x, t_y, t_o   row bases over the trivial axes, in x, y (operand-shaped) and o (output-shaped)
#   q_o             output offset of each position over the windowed axes
#   q_ptr, j_x, j_y CSR: the valid window positions of each q (row-major window order),
#                   their x and y offsets
#   kv_m, kv_i, kv_n per window position along v: first output index reached, its input
#                   index, how many outputs
#   P, istep        output-index and input-index steps along v
#   xs, ys, os      strides of v in x, y and o; row_len outputs per row
#   klo, khi        (selections) per output along v, the window positions along v inside the
#                   operand's dilated extent; vs, vwd, vlo, vbd: v's stride, window dilation,
#                   low padding and base dilation


@njit(inline="always")
def _reduce(combine: Any, xb: Any, ob: Any, ident: Any, t_x: Any, t_o: Any, q_o: Any, q_ptr: Any, j_x: Any,
            kv_m: Any, kv_i: Any, kv_n: Any, P: int, istep: int, xs: int, os: int, row_len: int) -> None:
    ostep = P * os
    xstep = istep * xs
    for t in range(t_x.shape[0]):
        tx = t_x[t]
        to = t_o[t]
        for q in range(q_o.shape[0]):
            orow = to + q_o[q]
            if os == 1:
                for m in range(row_len):
                    ob[orow + m] = ident
            else:
                for m in range(row_len):
                    ob[orow + m * os] = ident
            for j in range(q_ptr[q], q_ptr[q + 1]):
                xbase = tx + j_x[j]
                for kv in range(kv_n.shape[0]):
                    cnt = kv_n[kv]
                    oo = orow + kv_m[kv] * os
                    xo = xbase + kv_i[kv] * xs
                    # constant strides in the hot cases, so the loop vectorises; slices
                    # (indexed from 0) spare each access Numba's negative-index wraparound
                    if ostep == 1 and xstep == 1:
                        orow_ = ob[oo:oo + cnt]
                        xrow = xb[xo:xo + cnt]
                        for m in range(cnt):
                            orow_[m] = combine(orow_[m], xrow[m])
                    elif ostep == 1 and xstep == 2:
                        orow_ = ob[oo:oo + cnt]
                        xrow = xb[xo:xo + 2 * cnt - 1]
                        for m in range(cnt):
                            orow_[m] = combine(orow_[m], xrow[2 * m])
                    elif ostep == 2 and xstep == 1:
                        # the transpose of a stride-2 window (base dilation 2)
                        orow_ = ob[oo:oo + 2 * cnt - 1]
                        xrow = xb[xo:xo + cnt]
                        for m in range(cnt):
                            orow_[2 * m] = combine(orow_[2 * m], xrow[m])
                    else:
                        for m in range(cnt):
                            ob[oo + m * ostep] = combine(ob[oo + m * ostep], xb[xo + m * xstep])


@njit(inline="always")
def _select(beats: Any, xb: Any, tx: Any, ty: Any, j0: int, j1: int, j_x: Any, j_y: Any, ident: Any, m: int,
            klo: int, khi: int, vs: int, vwd: int, vlo: int, vbd: int, xs: int, ys: int) -> Any:
    """The y offset of the element output ``m`` of a row selects: the first
    strictly better one in row-major window order (the plan's ``j`` order,
    then ``kv``), or the first NaN; -1 for a window over padding only.  A
    window whose elements all equal the identity (-inf for max) gets its
    first element."""
    best = ident
    bp = -1
    nanp = -1
    p0 = m * vs - vlo
    for j in range(j0, j1):
        xrow = tx + j_x[j]
        yrow = ty + j_y[j]
        for kv in range(klo, khi):
            p = p0 + kv * vwd
            if vbd != 1 and p % vbd != 0:
                continue  # a base-dilation hole
            i = p // vbd if vbd != 1 else p
            # unsigned: the offset is valid (planned), and Numba then skips its
            # negative-index wraparound
            v = xb[np.uint64(xrow + i * xs)]
            pos = yrow + i * ys
            # selects, not branches: the winner is data-dependent (a branch would
            # mispredict about half the time); the NaN test is off the chain of `best`
            take = beats(v, best)
            best = v if take else best
            bp = pos if take else bp
            first_nan = (v != v) & (nanp < 0)
            nanp = pos if first_nan else nanp
    if nanp >= 0:
        return nanp
    if bp < 0:
        # nothing beat the identity: the window's first element, if it has one
        for j in range(j0, j1):
            for kv in range(klo, khi):
                p = p0 + kv * vwd
                if vbd == 1 or p % vbd == 0:
                    return ty + j_y[j] + (p // vbd) * ys
    return bp


@njit(inline="always")
def _gather(beats: Any, xb: Any, yb: Any, ob: Any, ident: Any, t_x: Any, t_y: Any, t_o: Any, q_o: Any,
            q_ptr: Any, j_x: Any, j_y: Any, klo: Any, khi: Any, vs: int, vwd: int, vlo: int, vbd: int,
            xs: int, ys: int, os: int) -> None:
    for t in range(t_x.shape[0]):
        for q in range(q_o.shape[0]):
            orow = t_o[t] + q_o[q]
            for m in range(klo.shape[0]):
                p = _select(beats, xb, t_x[t], t_y[t], q_ptr[q], q_ptr[q + 1], j_x, j_y, ident, m, klo[m], khi[m],
                            vs, vwd, vlo, vbd, xs, ys)
                ob[orow + m * os] = yb[np.uint64(p)] if p >= 0 else 0


@njit(inline="always")
def _scatter(beats: Any, xb: Any, sb: Any, gb: Any, ident: Any, t_x: Any, t_g: Any, t_s: Any, q_s: Any,
             q_ptr: Any, j_x: Any, j_g: Any, klo: Any, khi: Any, vs: int, vwd: int, vlo: int, vbd: int,
             xs: int, gs: int, ss: int) -> None:
    for t in range(t_x.shape[0]):
        for q in range(q_s.shape[0]):
            srow = t_s[t] + q_s[q]
            for m in range(klo.shape[0]):
                p = _select(beats, xb, t_x[t], t_g[t], q_ptr[q], q_ptr[q + 1], j_x, j_g, ident, m, klo[m], khi[m],
                            vs, vwd, vlo, vbd, xs, gs)
                if p >= 0:
                    gb[np.uint64(p)] += sb[srow + m * ss]


# one compiled kernel per operation, so a program compiles only what it uses

@njit_cached(error_model="numpy")
def _reduce_sum(xb: Any, ob: Any, ident: Any, t_x: Any, t_o: Any, q_o: Any, q_ptr: Any, j_x: Any, kv_m: Any,
                kv_i: Any, kv_n: Any, P: int, istep: int, xs: int, os: int,
                row_len: int) -> None:  # pragma: no cover - compiled
    _reduce(_add, xb, ob, ident[0], t_x, t_o, q_o, q_ptr, j_x, kv_m, kv_i, kv_n, P, istep, xs, os, row_len)


@njit_cached(error_model="numpy")
def _reduce_max(xb: Any, ob: Any, ident: Any, t_x: Any, t_o: Any, q_o: Any, q_ptr: Any, j_x: Any, kv_m: Any,
                kv_i: Any, kv_n: Any, P: int, istep: int, xs: int, os: int,
                row_len: int) -> None:  # pragma: no cover - compiled
    _reduce(_max, xb, ob, ident[0], t_x, t_o, q_o, q_ptr, j_x, kv_m, kv_i, kv_n, P, istep, xs, os, row_len)


@njit_cached(error_model="numpy")
def _reduce_min(xb: Any, ob: Any, ident: Any, t_x: Any, t_o: Any, q_o: Any, q_ptr: Any, j_x: Any, kv_m: Any,
                kv_i: Any, kv_n: Any, P: int, istep: int, xs: int, os: int,
                row_len: int) -> None:  # pragma: no cover - compiled
    _reduce(_min, xb, ob, ident[0], t_x, t_o, q_o, q_ptr, j_x, kv_m, kv_i, kv_n, P, istep, xs, os, row_len)


@njit_cached(error_model="numpy")
def _gather_max(xb: Any, yb: Any, ob: Any, ident: Any, t_x: Any, t_y: Any, t_o: Any, q_o: Any, q_ptr: Any, j_x: Any,
                j_y: Any, klo: Any, khi: Any, vs: int, vwd: int, vlo: int, vbd: int, xs: int, ys: int,
                os: int) -> None:  # pragma: no cover - compiled
    _gather(_beats_max, xb, yb, ob, ident[0], t_x, t_y, t_o, q_o, q_ptr, j_x, j_y, klo, khi, vs, vwd, vlo, vbd,
            xs, ys, os)


@njit_cached(error_model="numpy")
def _gather_min(xb: Any, yb: Any, ob: Any, ident: Any, t_x: Any, t_y: Any, t_o: Any, q_o: Any, q_ptr: Any, j_x: Any,
                j_y: Any, klo: Any, khi: Any, vs: int, vwd: int, vlo: int, vbd: int, xs: int, ys: int,
                os: int) -> None:  # pragma: no cover - compiled
    _gather(_beats_min, xb, yb, ob, ident[0], t_x, t_y, t_o, q_o, q_ptr, j_x, j_y, klo, khi, vs, vwd, vlo, vbd,
            xs, ys, os)


@njit_cached(error_model="numpy")
def _scatter_max(xb: Any, sb: Any, gb: Any, ident: Any, t_x: Any, t_g: Any, t_s: Any, q_s: Any, q_ptr: Any, j_x: Any,
                 j_g: Any, klo: Any, khi: Any, vs: int, vwd: int, vlo: int, vbd: int, xs: int, gs: int,
                 ss: int) -> None:  # pragma: no cover - compiled
    _scatter(_beats_max, xb, sb, gb, ident[0], t_x, t_g, t_s, q_s, q_ptr, j_x, j_g, klo, khi, vs, vwd, vlo, vbd,
             xs, gs, ss)


@njit_cached(error_model="numpy")
def _scatter_min(xb: Any, sb: Any, gb: Any, ident: Any, t_x: Any, t_g: Any, t_s: Any, q_s: Any, q_ptr: Any, j_x: Any,
                 j_g: Any, klo: Any, khi: Any, vs: int, vwd: int, vlo: int, vbd: int, xs: int, gs: int,
                 ss: int) -> None:  # pragma: no cover - compiled
    _scatter(_beats_min, xb, sb, gb, ident[0], t_x, t_g, t_s, q_s, q_ptr, j_x, j_g, klo, khi, vs, vwd, vlo, vbd,
             xs, gs, ss)


@njit(inline="always")
def _tile_select(beats: Any, xb: Any, x0: int, g0: int, wa: int, wb: int, xa: int, xw: int, ga: int,
                 gw: int) -> int:
    """The g offset of the element a tile (window == stride) selects, as
    ``_select`` does: the first strictly better one in row-major window
    order, else the first one; the first NaN wins."""
    best = xb[np.uint64(x0)]
    bp = g0
    nanp = g0 if best != best else -1
    for u in range(wa):
        for v in range(wb):
            pos = g0 + u * ga + v * gw
            val = xb[np.uint64(x0 + u * xa + v * xw)]
            take = beats(val, best)
            best = val if take else best
            bp = pos if take else bp
            first_nan = (val != val) & (nanp < 0)
            nanp = pos if first_nan else nanp
    return nanp if nanp >= 0 else bp


@njit(inline="always")
def _scatter_tiles(beats: Any, pick: Any, xb: Any, sb: Any, gb: Any, t_x: Any, t_g: Any, t_s: Any, oa: int,
                   ob: int, wa: int, wb: int, xa: int, xw: int, ga: int, gw: int, sa: int, sw: int) -> None:
    """Non-overlapping windows (window == stride, no padding, no dilation) over
    two axes ``a`` (strides ``xa``/``ga``/``sa``) and ``b`` (``xw``/``gw``/``sw``):
    each operand element is in at most one window, so every window element is
    written once (the source at the selected one, 0 elsewhere; ``gb`` need not
    be zeroed) in one pass."""
    zero = gb.dtype.type(0)
    fast = wa == 2 and wb == 2 and xw == 1 and gw == 1 and sw == 1
    for t in range(t_x.shape[0]):
        for i in range(oa):
            xrow = t_x[t] + i * wa * xa
            grow = t_g[t] + i * wa * ga
            srow = t_s[t] + i * sa
            nan = False
            if fast:
                # 2x2 tiles along a contiguous row: the window's extreme ``m``, then the
                # first element equal to it, all as selects (the compare chains of
                # ``_tile_select`` mispredict or serialise: measured 2x slower); a row
                # holding a NaN is redone below
                xr0 = xb[xrow:xrow + 2 * ob]
                xr1 = xb[xrow + xa:xrow + xa + 2 * ob]
                gr0 = gb[grow:grow + 2 * ob]
                gr1 = gb[grow + ga:grow + ga + 2 * ob]
                sr = sb[srow:srow + ob]
                for j in range(ob):
                    a = xr0[2 * j]
                    b = xr0[2 * j + 1]
                    c = xr1[2 * j]
                    d = xr1[2 * j + 1]
                    m = pick(pick(a, b), pick(c, d))
                    nan |= (a != a) | (b != b) | (c != c) | (d != d)
                    sv = sr[j]
                    ea = a == m
                    eb = (b == m) & ~ea
                    ec = (c == m) & ~(ea | eb)
                    ed = ~(ea | eb | ec)
                    gr0[2 * j] = sv if ea else zero
                    gr0[2 * j + 1] = sv if eb else zero
                    gr1[2 * j] = sv if ec else zero
                    gr1[2 * j + 1] = sv if ed else zero
            if fast and not nan:
                continue
            for j in range(ob):
                x0 = xrow + j * wb * xw
                g0 = grow + j * wb * gw
                for u in range(wa):
                    for v in range(wb):
                        gb[np.uint64(g0 + u * ga + v * gw)] = zero
                pos = _tile_select(beats, xb, x0, g0, wa, wb, xa, xw, ga, gw)
                gb[np.uint64(pos)] = sb[np.uint64(srow + j * sw)]


@njit_cached(error_model="numpy")
def _scatter_tiles_max(xb: Any, sb: Any, gb: Any, t_x: Any, t_g: Any, t_s: Any, oa: int, ob: int, wa: int, wb: int,
                       xa: int, xw: int, ga: int, gw: int, sa: int, sw: int) -> None:  # pragma: no cover - compiled
    _scatter_tiles(_beats_max, _pick_max, xb, sb, gb, t_x, t_g, t_s, oa, ob, wa, wb, xa, xw, ga, gw, sa, sw)


@njit_cached(error_model="numpy")
def _scatter_tiles_min(xb: Any, sb: Any, gb: Any, t_x: Any, t_g: Any, t_s: Any, oa: int, ob: int, wa: int, wb: int,
                       xa: int, xw: int, ga: int, gw: int, sa: int, sw: int) -> None:  # pragma: no cover - compiled
    _scatter_tiles(_beats_min, _pick_min, xb, sb, gb, t_x, t_g, t_s, oa, ob, wa, wb, xa, xw, ga, gw, sa, sw)


_REDUCE = {"sum": _reduce_sum, "max": _reduce_max, "min": _reduce_min}
_GATHER = {"max": _gather_max, "min": _gather_min}
_SCATTER = {"max": _scatter_max, "min": _scatter_min}
_SCATTER_TILES = {"max": _scatter_tiles_max, "min": _scatter_tiles_min}


# --- planning -----------------------------------------------------------------------------------


def identity(op: str, dtype: np.dtype[Any]) -> Any:
    """The monoid identity of ``op`` in ``dtype``: 0, the lowest value (max)
    or the highest (min); booleans: False for max, True for min.

    Example:
        >>> identity("max", np.dtype("float32")), identity("min", np.dtype("int8"))
        (-inf, 127)
    """
    if op == "sum":
        return 0
    if dtype.kind == "f":
        return -math.inf if op == "max" else math.inf
    if dtype.kind == "b":
        return op != "max"
    info = np.iinfo(dtype)
    return int(info.min) if op == "max" else int(info.max)


def _layout_order(shape: tuple[int, ...], strides: tuple[int, ...]) -> list[int]:
    """Axes outermost first in memory (K order; size-1 axes outermost)."""
    return sorted(range(len(shape)), key=lambda a: -abs(strides[a]) if shape[a] > 1 else -(1 << 62))


def empty_like_layout(shape: tuple[int, ...], like: tuple[int, ...], strides: tuple[int, ...],
                      dtype: np.dtype[Any], zero: bool = False) -> tuple[Arr, Arr]:
    """An array of ``shape`` laid out in the axis order of a view of shape
    ``like`` with ``strides``, and its flat buffer."""
    order = _layout_order(like, strides)
    alloc = np.zeros if zero else np.empty
    base = alloc([shape[a] for a in order], dtype)
    inverse = [0] * len(shape)
    for i, a in enumerate(order):
        inverse[a] = i
    return base.transpose(inverse), base.reshape(-1)


class Plan:
    """The tables of one call layout (see the module docstring)."""

    __slots__ = ("t_x", "t_y", "t_o", "q_o", "q_ptr", "j_x", "j_y", "kv_m", "kv_i", "kv_n",
                 "P", "istep", "xs", "ys", "os", "row_len", "klo", "khi", "v_win")

    def __init__(self, shape: tuple[int, ...], oshape: tuple[int, ...], wins: tuple[Win, ...],
                 xst: tuple[int, ...], yst: tuple[int, ...], ost: tuple[int, ...], ordered: bool) -> None:
        nd = len(shape)
        big = [d for d in range(nd) if oshape[d] > 1]
        if ordered:
            # selections visit window positions in row-major order, so the row axis is
            # either outside the window (size 1) or its last axis of size > 1
            last = max((d for d in range(nd) if wins[d][0] > 1), default=-1)
            big = [d for d in big if wins[d][0] == 1 or d == last] or ([last] if last >= 0 else [])
        # the row axis: the one the input walks fastest (last axis on ties, e.g. broadcasts)
        v = min(big or list(range(nd)), key=lambda d: (abs(xst[d]), -d))
        trivial = [d for d in range(nd) if d != v and wins[d][:5] == (1, 1, 0, 0, 1)]
        windowed = [d for d in range(nd) if d != v and d not in trivial]
        # trivial axes: outermost in the output's memory first
        trivial.sort(key=lambda d: -abs(ost[d]))
        self.t_x = _offsets(trivial, shape, xst)
        self.t_y = _offsets(trivial, shape, yst)
        self.t_o = _offsets(trivial, shape, ost)

        grid = 1
        for d in windowed:
            grid *= max(oshape[d], 1) * max(wins[d][0], 1)
        if grid > PLAN_LIMIT:
            raise ValueError(
                f"reduce_window: the window {tuple(x[0] for x in wins)} over an operand of shape {shape} (output "
                f"{oshape}) needs {grid} (output, window) position pairs in its tables, above the limit "
                f"{PLAN_LIMIT}; split the reduction into several calls over fewer axes each"
            )
        # windowed axes: per output position, the valid window positions
        q_o = np.zeros(1, np.int64)
        cx = np.zeros((1, 1), np.int64)
        cy = np.zeros((1, 1), np.int64)
        ok = np.ones((1, 1), bool)
        for d in windowed:
            w, s, lo, _hi, bd, wd = wins[d]
            o = np.arange(oshape[d], dtype=np.int64)[:, None]
            k = np.arange(w, dtype=np.int64)[None, :]
            p = o * s + k * wd - lo
            valid = (p >= 0) & (p % bd == 0) & (p // bd < shape[d])
            i = np.where(valid, p // bd, 0)
            # combine: (Q, C) x (o_d, w_d) -> (Q * o_d, C * w_d)
            nq, nc = ok.shape
            no, nw = valid.shape
            ok = (ok[:, None, :, None] & valid[None, :, None, :]).reshape(nq * no, nc * nw)
            cx = (cx[:, None, :, None] + i[None, :, None, :] * xst[d]).reshape(nq * no, nc * nw)
            cy = (cy[:, None, :, None] + i[None, :, None, :] * yst[d]).reshape(nq * no, nc * nw)
            q_o = (q_o[:, None] + o[None, :, 0] * ost[d]).reshape(-1)
        self.q_o = q_o
        self.q_ptr = np.zeros(ok.shape[0] + 1, np.int64)
        np.cumsum(ok.sum(axis=1), out=self.q_ptr[1:])
        self.j_x = np.ascontiguousarray(cx[ok])
        self.j_y = np.ascontiguousarray(cy[ok])

        # the row axis: per window position, an arithmetic progression of outputs
        w, s, lo, _hi, bd, wd = wins[v]
        n, on = shape[v], oshape[v]
        o = np.arange(on, dtype=np.int64)[None, :]
        k = np.arange(w, dtype=np.int64)[:, None]
        p = o * s + k * wd - lo
        valid = (p >= 0) & (p % bd == 0) & (p // bd < n)
        cnt = valid.sum(axis=1)
        first = np.where(cnt > 0, np.argmax(valid, axis=1), 0)
        self.P = bd // math.gcd(s, bd)
        self.istep = s * self.P // bd
        self.kv_m = first.astype(np.int64)
        self.kv_i = np.where(cnt > 0, (first * s + k[:, 0] * wd - lo) // bd, 0).astype(np.int64)
        self.kv_n = cnt.astype(np.int64)
        self.xs, self.ys, self.os = xst[v], yst[v], ost[v]
        self.row_len = on
        # per output along v, the window positions inside [0, (n - 1) * bd] (selections)
        ps = o[0] * s - lo
        self.klo = np.maximum(0, -(ps // wd)).astype(np.int64)
        self.khi = np.maximum(self.klo, np.minimum(w, ((n - 1) * bd - ps) // wd + 1)).astype(np.int64)
        self.v_win = (s, wd, lo, bd)


#: most (output position, window position) pairs the tables of one call may hold
PLAN_LIMIT = 1 << 24


def _trim(n: int, on: int, win: Win) -> Win:
    """``win`` without the window positions that reach only padding for every
    output (a huge window over a huge padding): same results, smaller tables.

    Example:
        >>> _trim(1, 2, (10**9, 1, 10**9, 0, 1, 1))
        (1, 1, 1, 0, 1, 1)
    """
    w, s, lo, hi, bd, wd = win
    if n == 0 or on == 0:
        return win
    kmin = max(0, -((((on - 1) * s) - lo) // wd))
    kmax = min(w - 1, ((n - 1) * bd + lo) // wd)
    if kmin == 0 and kmax == w - 1:
        return win
    if kmax < kmin:
        return (0, s, lo, hi, bd, wd)
    return (kmax - kmin + 1, s, lo - kmin * wd, hi, bd, wd)


def _offsets(axes: list[int], shape: tuple[int, ...], strides: tuple[int, ...]) -> Arr:
    """Flat offsets of every index combination of ``axes`` (row-major order)."""
    off = np.zeros(1, np.int64)
    for a in axes:
        off = (off[:, None] + np.arange(shape[a], dtype=np.int64)[None, :] * strides[a]).reshape(-1)
    return off


_PLANS: dict[tuple[Any, ...], Plan] = {}
_PLANS_LOCK = threading.Lock()
_PLANS_MAX = 512


def plan(shape: tuple[int, ...], oshape: tuple[int, ...], wins: tuple[Win, ...], xst: tuple[int, ...],
         yst: tuple[int, ...], ost: tuple[int, ...], ordered: bool = False) -> Plan:
    """The (cached) plan of a call; offsets are relative to each array's start.
    ``ordered``: for selections (passes in row-major window order)."""
    key = (shape, wins, xst, yst, ost, ordered)
    hit = _PLANS.get(key)
    if hit is not None:
        return hit
    wins = tuple(_trim(n, on, win) for n, on, win in zip(shape, oshape, wins))
    pl = Plan(shape, oshape, wins, xst, yst, ost, ordered)
    with _PLANS_LOCK:
        if len(_PLANS) >= _PLANS_MAX:
            _PLANS.clear()
        _PLANS[key] = pl
    return pl


def _elem_strides(a: Arr) -> tuple[int, ...]:
    isz = a.itemsize
    return tuple(s // isz for s in a.strides)


def _as_bits(buf: Arr) -> Arr:
    # max/min of booleans are or/and: run them on the same bytes as uint8
    return buf.view(np.uint8) if buf.dtype.kind == "b" else buf


def _full_extent_axes(shape: tuple[int, ...], wins: tuple[Win, ...]) -> tuple[int, ...] | None:
    """The axes a window covers whole (others trivial), when the call is a
    plain reduction over them (global pooling), else None."""
    axes = []
    for d, (w, s, lo, hi, bd, wd) in enumerate(wins):
        if (w, s, lo, hi, bd) == (1, 1, 0, 0, 1):
            continue
        if w == shape[d] and lo == 0 and hi == 0 and bd == 1 and (wd == 1 or w == 1):
            axes.append(d)
            continue
        return None
    return tuple(axes)


_UFUNC = {"sum": np.add, "max": np.maximum, "min": np.minimum}


def reduce_window(buf: Arr, offset: int, shape: tuple[int, ...], strides: tuple[int, ...], op: str,
                  wins: tuple[Win, ...]) -> Arr:
    """``op`` ("sum", "max", "min") over the windows of the strided view
    (``offset``, ``shape``, ``strides`` in elements) of the flat ``buf``.

    The caller has validated ``wins`` (positive sizes, strides and
    dilations, one per axis); every offset the kernel forms lies in the view.
    """
    dtype = buf.dtype
    oshape = tuple(out_size(n, w) for n, w in zip(shape, wins))
    out, flat = empty_like_layout(oshape, shape, strides, dtype)
    if out.size == 0:
        return out
    if not shape or 0 in shape:
        out[...] = identity(op, dtype) if shape else _view(buf, offset, shape, strides)
        return out
    full = _full_extent_axes(shape, wins)
    if full is not None and full:
        x = _view(buf, offset, shape, strides)
        with np.errstate(all="ignore"):
            _UFUNC[op].reduce(x, axis=full, dtype=dtype, keepdims=True, out=out)
        return out
    pl = plan(shape, oshape, wins, strides, strides, _elem_strides(out))
    ident = np.full(1, identity(op, dtype), dtype)
    _REDUCE[op](_as_bits(buf), _as_bits(flat), _as_bits(ident), pl.t_x + offset, pl.t_o, pl.q_o, pl.q_ptr,
                pl.j_x, pl.kv_m, pl.kv_i, pl.kv_n, pl.P, pl.istep, pl.xs, pl.os, pl.row_len)
    return out


def _view(buf: Arr, offset: int, shape: tuple[int, ...], strides: tuple[int, ...]) -> Arr:
    if 0 in shape:
        return np.empty(shape, buf.dtype)
    isz = buf.itemsize
    return np.ndarray(shape, buf.dtype, buffer=buf, offset=offset * isz, strides=tuple(s * isz for s in strides))


def select_and_gather(tbuf: Arr, toff: int, tstrides: tuple[int, ...], xbuf: Arr, xoff: int,
                      xstrides: tuple[int, ...], shape: tuple[int, ...], op: str, wins: tuple[Win, ...]) -> Arr:
    """For each window of the operand ``x``, the element of ``t`` (same
    shape) at the position ``op`` ("max"/"min") selects; 0 for a window
    over padding only."""
    oshape = tuple(out_size(n, w) for n, w in zip(shape, wins))
    out, flat = empty_like_layout(oshape, shape, xstrides, tbuf.dtype)
    if out.size == 0:
        return out
    if not shape or 0 in shape:
        out[...] = _view(tbuf, toff, shape, tstrides) if not shape else 0
        return out
    pl = plan(shape, oshape, wins, xstrides, tstrides, _elem_strides(out), ordered=True)
    xb = _as_bits(xbuf)
    ident = _as_bits(np.full(1, identity(op, xbuf.dtype), xbuf.dtype))
    vs, vwd, vlo, vbd = pl.v_win
    _GATHER[op](xb, tbuf, flat, ident, pl.t_x + xoff, pl.t_y + toff, pl.t_o, pl.q_o, pl.q_ptr, pl.j_x, pl.j_y,
                pl.klo, pl.khi, vs, vwd, vlo, vbd, pl.xs, pl.ys, pl.os)
    return out


def select_and_scatter(sbuf: Arr, soff: int, sstrides: tuple[int, ...], xbuf: Arr, xoff: int,
                       xstrides: tuple[int, ...], shape: tuple[int, ...], op: str, wins: tuple[Win, ...]) -> Arr:
    """The operand-shaped sum of the source ``s`` (one value per window)
    added at the position ``op`` ("max"/"min") selects in each window of
    ``x``; the transpose of :func:`select_and_gather`."""
    oshape = tuple(out_size(n, w) for n, w in zip(shape, wins))
    tiles = _tiles(shape, wins)
    if tiles is not None and 0 not in shape and 0 not in oshape:
        return _scatter_tiled(sbuf, soff, sstrides, xbuf, xoff, xstrides, shape, oshape, op, tiles)
    g, gflat = empty_like_layout(shape, shape, xstrides, sbuf.dtype, zero=True)
    if g.size == 0 or 0 in oshape:
        return g
    if not shape:
        g[...] = _view(sbuf, soff, shape, sstrides)
        return g
    pl = plan(shape, oshape, wins, xstrides, _elem_strides(g), sstrides, ordered=True)
    xb = _as_bits(xbuf)
    ident = _as_bits(np.full(1, identity(op, xbuf.dtype), xbuf.dtype))
    vs, vwd, vlo, vbd = pl.v_win
    _SCATTER[op](xb, sbuf, gflat, ident, pl.t_x + xoff, pl.t_y, pl.t_o + soff, pl.q_o, pl.q_ptr, pl.j_x, pl.j_y,
                 pl.klo, pl.khi, vs, vwd, vlo, vbd, pl.xs, pl.ys, pl.os)
    return g


def _tiles(shape: tuple[int, ...], wins: tuple[Win, ...]) -> tuple[int, int, int, int] | None:
    """The (at most two, ``a < b``) windowed axes when every window is a tile
    (window == stride, no padding, no dilation; other axes trivial), so each
    operand element is in at most one window, and their window sizes; ``a == -1``
    (size 1) for one axis.  Else None."""
    axes = []
    for d, (w, s, lo, hi, bd, wd) in enumerate(wins):
        if (w, s, lo, hi, bd, wd) == (1, 1, 0, 0, 1, 1):
            continue
        if w != s or lo != 0 or hi != 0 or bd != 1 or wd != 1:
            return None
        axes.append(d)
    if not axes or len(axes) > 2:
        return None
    if len(axes) == 1:
        return -1, axes[0], 1, wins[axes[0]][0]
    return axes[0], axes[1], wins[axes[0]][0], wins[axes[1]][0]


def _scatter_tiled(sbuf: Arr, soff: int, sstrides: tuple[int, ...], xbuf: Arr, xoff: int, xstrides: tuple[int, ...],
                   shape: tuple[int, ...], oshape: tuple[int, ...], op: str, tiles: tuple[int, int, int, int]) -> Arr:
    """``select_and_scatter`` over tiled windows (see ``_tiles``): one pass that
    writes every covered element (what PyTorch's max-pool backward does with
    its saved indices), so only the uncovered border (sizes not a multiple of
    the window) is zeroed first."""
    a, b, wa, wb = tiles
    nd = len(shape)
    covered = shape[b] % wb == 0 and (a < 0 or shape[a] % wa == 0)
    order = _layout_order(shape, xstrides)
    size = 1
    for n in shape:
        size *= n
    gflat = np.zeros(size, sbuf.dtype) if not covered else buffer_pool.empty(size, sbuf.dtype)
    inverse = [0] * nd
    for i, d in enumerate(order):
        inverse[d] = i
    g = gflat.reshape([shape[d] for d in order]).transpose(inverse)
    gst = _elem_strides(g)
    trivial = [d for d in range(nd) if d != a and d != b]
    trivial.sort(key=lambda d: -abs(gst[d]))
    t_x = _offsets(trivial, shape, xstrides) + xoff
    t_g = _offsets(trivial, shape, gst)
    t_s = _offsets(trivial, shape, sstrides) + soff
    oa = oshape[a] if a >= 0 else 1
    xa, ga, sa = (xstrides[a], gst[a], sstrides[a]) if a >= 0 else (0, 0, 0)
    xb = _as_bits(xbuf)
    _SCATTER_TILES[op](xb, sbuf, gflat, t_x, t_g, t_s, oa, oshape[b], wa, wb, xa, xstrides[b], ga, gst[b], sa,
                       sstrides[b])
    return g
