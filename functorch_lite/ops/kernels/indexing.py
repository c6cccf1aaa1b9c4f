"""Gather and scatter kernels over strided storage.

Both kernels see an array as a flat 1-D buffer plus element offsets, so one
compiled variant per dtype serves every rank and every layout:

- the ``k`` indexed (leading) axes contribute ``sum_j idx[b, j] * stride[j]``;
- the trailing "slice" axes are collapsed (adjacent axes merge when their
  strides allow it, jointly for every array involved) into an outer part,
  whose element offsets are precomputed (usually a single 0), and one inner
  run of ``inner`` elements at a fixed stride (a plain row copy when the
  layout is contiguous).

Non-contiguous operands are read in place through their strides (no hidden
copy).  The callers in ``functorch_lite/ops/indexing.py`` validate every
index before these kernels run: Numba does not bounds-check.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

SCATTER_MODES = {"set": 0, "add": 1, "mul": 2, "min": 3, "max": 4}
_BITS = {1: np.dtype(np.uint8), 2: np.dtype(np.uint16), 4: np.dtype(np.uint32), 8: np.dtype(np.uint64)}


@numba.njit(cache=True)
def _gather_kernel(src: Any, src_off: int, idx: Any, idx_strides: Any, tail_off: Any, inner: int,
                   stride: int, out: Any) -> None:  # pragma: no cover - compiled
    nb = idx.shape[0]
    k = idx.shape[1]
    m_outer = tail_off.shape[0]
    if k == 1 and m_outer == 1:
        # one indexed axis, one run per row: the common case, kept tight
        s0 = idx_strides[0]
        t0 = src_off + tail_off[0]
        if inner == 1:
            for b in range(nb):
                out[b] = src[t0 + idx[b, 0] * s0]
        elif stride == 1:
            for b in range(nb):
                p = t0 + idx[b, 0] * s0
                d = b * inner
                for i in range(inner):
                    out[d + i] = src[p + i]
        else:
            for b in range(nb):
                p = t0 + idx[b, 0] * s0
                d = b * inner
                for i in range(inner):
                    out[d + i] = src[p + i * stride]
        return
    dst = 0
    for b in range(nb):
        base = src_off
        for j in range(k):
            base += idx[b, j] * idx_strides[j]
        for m in range(m_outer):
            p = base + tail_off[m]
            for i in range(inner):
                out[dst + i] = src[p + i * stride]
            dst += inner


@numba.njit(cache=True)
def _scatter_scalars(out: Any, idx: Any, s0: int, o0: int, upd: Any, u0: int, us: int,
                     mode: int) -> None:  # pragma: no cover - compiled
    """One indexed axis, one element per update: ``out[o0 + idx[b]*s0] op= upd[u0 + b*us]``."""
    nb = idx.shape[0]
    if mode == 0:
        for b in range(nb):
            out[o0 + idx[b, 0] * s0] = upd[u0 + b * us]
    elif mode == 1:
        for b in range(nb):
            out[o0 + idx[b, 0] * s0] += upd[u0 + b * us]
    elif mode == 2:
        for b in range(nb):
            out[o0 + idx[b, 0] * s0] *= upd[u0 + b * us]
    elif mode == 3:
        for b in range(nb):
            o = o0 + idx[b, 0] * s0
            v = upd[u0 + b * us]
            if v < out[o] or v != v:  # nan-propagating, as np.minimum.at
                out[o] = v
    else:
        for b in range(nb):
            o = o0 + idx[b, 0] * s0
            v = upd[u0 + b * us]
            if v > out[o] or v != v:
                out[o] = v


@numba.njit(cache=True)
def _scatter_rows(out: Any, idx: Any, s0: int, o0: int, upd: Any, u0: int, us: int, inner: int,
                  mode: int) -> None:  # pragma: no cover - compiled
    """One indexed axis, contiguous rows of ``inner`` elements (vectorised inner loops)."""
    nb = idx.shape[0]
    for b in range(nb):
        o = o0 + idx[b, 0] * s0
        u = u0 + b * us
        if mode == 0:
            for i in range(inner):
                out[o + i] = upd[u + i]
        elif mode == 1:
            for i in range(inner):
                out[o + i] += upd[u + i]
        elif mode == 2:
            for i in range(inner):
                out[o + i] *= upd[u + i]
        elif mode == 3:
            for i in range(inner):
                v = upd[u + i]
                if v < out[o + i] or v != v:
                    out[o + i] = v
        else:
            for i in range(inner):
                v = upd[u + i]
                if v > out[o + i] or v != v:
                    out[o + i] = v


@numba.njit(cache=True)
def _scatter_kernel(out: Any, idx: Any, idx_strides: Any, out_tail: Any, out_s: int, upd: Any,
                    upd_boff: Any, upd_binner: int, upd_bs: int, upd_tail: Any, upd_s: int, inner: int,
                    mode: int) -> None:  # pragma: no cover - compiled
    k = idx.shape[1]
    m_outer = out_tail.shape[0]
    if k == 1 and m_outer == 1 and upd_boff.shape[0] == 1:
        if inner == 1:
            _scatter_scalars(out, idx, idx_strides[0], out_tail[0], upd, upd_boff[0] + upd_tail[0], upd_bs, mode)
            return
        if out_s == 1 and upd_s == 1:
            _scatter_rows(out, idx, idx_strides[0], out_tail[0], upd, upd_boff[0] + upd_tail[0], upd_bs, inner,
                          mode)
            return
    b = 0
    for mb in range(upd_boff.shape[0]):
        for lb in range(upd_binner):
            o0 = 0
            for j in range(k):
                o0 += idx[b, j] * idx_strides[j]
            u0 = upd_boff[mb] + lb * upd_bs
            b += 1
            for m in range(m_outer):
                o = o0 + out_tail[m]
                u = u0 + upd_tail[m]
                if mode == 0:
                    for i in range(inner):
                        out[o + i * out_s] = upd[u + i * upd_s]
                elif mode == 1:
                    for i in range(inner):
                        out[o + i * out_s] += upd[u + i * upd_s]
                elif mode == 2:
                    for i in range(inner):
                        out[o + i * out_s] *= upd[u + i * upd_s]
                elif mode == 3:
                    for i in range(inner):
                        v = upd[u + i * upd_s]
                        if v < out[o + i * out_s] or v != v:
                            out[o + i * out_s] = v
                else:
                    for i in range(inner):
                        v = upd[u + i * upd_s]
                        if v > out[o + i * out_s] or v != v:
                            out[o + i * out_s] = v


# --- layout helpers (plain Python over shapes) ------------------------------------------


def collapse(shape: tuple[int, ...], *strides: tuple[int, ...]) -> tuple[
        list[tuple[int, list[int]]], int, list[int]]:
    """Merge adjacent axes of ``shape`` that every strides tuple lets merge.

    Returns ``(outer, inner, inner_strides)``: ``outer`` is a list of
    ``(size, [stride per array])`` for the outer axes, ``inner`` the length
    of the innermost run and ``inner_strides`` its stride in each array.
    Row-major order is kept; size-1 axes are dropped.
    """
    n = len(strides)
    dims: list[tuple[int, list[int]]] = []
    for i, d in enumerate(shape):
        if d == 1:
            continue
        ss = [s[i] for s in strides]
        if dims and all(ps == s * d for ps, s in zip(dims[-1][1], ss)):
            dims[-1] = (dims[-1][0] * d, ss)
        else:
            dims.append((d, ss))
    if not dims:
        return [], 1, [0] * n
    inner, inner_strides = dims[-1]
    return dims[:-1], inner, inner_strides


def outer_offsets(outer: list[tuple[int, list[int]]], which: int) -> np.ndarray[Any, Any]:
    """Element offsets (row-major) of the outer axes for array ``which``."""
    off = np.zeros(1, np.int64)
    for d, ss in outer:
        off = (off[:, None] + np.arange(d, dtype=np.int64) * ss[which]).reshape(-1)
    return off


def gather(buf: np.ndarray[Any, Any], offset: int, shape: tuple[int, ...], strides: tuple[int, ...],
           idx: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Rows ``src[idx[b, 0], ..., idx[b, k-1], ...]`` of the strided array
    (``buf``, ``offset``, ``shape``, ``strides``) as a fresh C-contiguous
    array of shape ``(B, *shape[k:])``.  ``idx`` is a validated (B, k) int64
    C-contiguous matrix."""
    nb, k = idx.shape
    tail = shape[k:]
    outer, inner, (s,) = collapse(tail, strides[k:])
    out = np.empty((nb,) + tail, buf.dtype)
    if out.size:
        # a gather only moves bits: one compiled variant per item size, not per dtype
        bits = _BITS[buf.dtype.itemsize]
        _gather_kernel(buf.view(bits), offset, idx, np.asarray(strides[:k], np.int64), outer_offsets(outer, 0),
                       inner, s, out.reshape(-1).view(bits))
    return out


def memory_order_empty(view: np.ndarray[Any, Any]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """A fresh dense array shaped like ``view`` whose axes are laid out in
    ``view``'s memory order (as NumPy's K order; row-major when ``view`` is
    broadcast), and its flat buffer."""
    nd = view.ndim
    if any(s == 0 and d > 1 for s, d in zip(view.strides, view.shape)):
        perm = list(range(nd))
    else:
        perm = sorted(range(nd), key=lambda i: (-abs(view.strides[i]), i))
    flat = np.empty(view.size, view.dtype)
    strides = [0] * nd
    acc = view.itemsize
    for ax in reversed(perm):
        strides[ax] = acc
        acc *= max(view.shape[ax], 1)
    out = np.ndarray(view.shape, view.dtype, buffer=flat, strides=tuple(strides))
    return out, flat


def scatter(operand: np.ndarray[Any, Any], idx: np.ndarray[Any, Any], upd_buf: np.ndarray[Any, Any],
            upd_offset: int, upd_shape: tuple[int, ...], upd_strides: tuple[int, ...], mode: str
            ) -> np.ndarray[Any, Any]:
    """A copy of ``operand`` (laid out in its memory order) with the rows of
    the strided updates array combined in at ``idx`` by ``mode``, in index
    order (so for ``set`` the last of repeated indices wins).  ``idx`` is a
    validated (B, k) int64 C-contiguous matrix."""
    out, flat = memory_order_empty(operand)
    # the copy is memory-bound; NumPy's strided copy runs at memory speed
    np.copyto(out, operand)
    nb, k = idx.shape
    if nb == 0 or out.size == 0:
        return out
    isz = out.itemsize
    out_strides = tuple(s // isz for s in out.strides)
    nbd = len(upd_shape) - (operand.ndim - k)
    b_outer, b_inner, (b_s,) = collapse(upd_shape[:nbd], upd_strides[:nbd])
    t_outer, t_inner, (o_s, u_s) = collapse(operand.shape[k:], out_strides[k:], upd_strides[nbd:])
    _scatter_kernel(
        flat, idx, np.asarray(out_strides[:k], np.int64), outer_offsets(t_outer, 0), o_s,
        upd_buf, outer_offsets(b_outer, 0) + upd_offset, b_inner, b_s, outer_offsets(t_outer, 1), u_s,
        t_inner, SCATTER_MODES[mode],
    )
    return out
