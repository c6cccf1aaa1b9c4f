"""Gather and scatter kernels over strided storage.

Every array is seen as a flat 1-D buffer plus element offsets, so one
compiled variant serves every rank and every layout:

- the ``k`` indexed (leading) axes give each row a base offset
  ``sum_j idx[b, j] * stride[j]``; the kernels take one index column and
  one stride (``k > 1`` is linearised to offsets by NumPy first);
- the trailing "slice" axes are collapsed (adjacent axes merge when their
  strides allow it, jointly for every array involved) into outer axes, whose
  element offsets are precomputed (usually the single offset 0), and one
  inner run of ``inner`` elements at a fixed stride (a row copy when the
  layout is contiguous); the batch axes of the updates are collapsed the
  same way.

Specialisations, kept few for cold-start compile time: a gather and a
``set`` scatter only move bits, so they compile once per item size (1, 2,
4 or 8 bytes), not per dtype; the other scatters compile per dtype and per
mode, each mode in its own kernel so that a program compiles only the modes
it uses.  Each kernel has tight loops for the hot cases (single elements
or contiguous rows along one axis, as in segment sums and embedding
gradients) and a general strided loop nest.

Non-contiguous operands are read in place through their strides (no hidden
copy).  The callers in ``functorch_lite/ops/indexing.py`` validate every
index before these kernels run: Numba does not bounds-check.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from functorch_lite.ops.kernels._njit import njit_cached

_BITS: dict[int, np.dtype[Any]] = {1: np.dtype(np.uint8), 2: np.dtype(np.uint16), 4: np.dtype(np.uint32),
                                   8: np.dtype(np.uint64)}

# Kernel arguments, shared by all of them:
#   out/src, upd : flat 1-D buffers
#   idx          : (B, 1) int64 row indices, row b starts at o0 + idx[b, 0] * s0
#   boff, bs     : update row b = mb * binner + lb starts at boff[mb] + lb * bs
#   otail, utail : offsets of the outer tail axes in out and in upd
#   inner, os, us: the innermost run: length and strides in out and in upd


# --- gather -------------------------------------------------------------------------------


@njit_cached()
def _gather(src: Any, o0: int, idx: Any, s0: int, tail: Any, inner: int, stride: int,
            out: Any) -> None:  # pragma: no cover - compiled
    if inner == 1 and tail.shape[0] == 1:
        # single elements along one axis (embedding-style lookups of scalars)
        oo = o0 + tail[0]
        for b in range(idx.shape[0]):
            out[b] = src[oo + idx[b, 0] * s0]
        return
    if tail.shape[0] == 1 and stride == 1:
        # contiguous rows (embedding lookups): plain row copies
        oo = o0 + tail[0]
        for b in range(idx.shape[0]):
            p = oo + idx[b, 0] * s0
            d = b * inner
            for i in range(inner):
                out[d + i] = src[p + i]
        return
    dst = 0
    for b in range(idx.shape[0]):
        base = o0 + idx[b, 0] * s0
        for m in range(tail.shape[0]):
            p = base + tail[m]
            for i in range(inner):
                out[dst + i] = src[p + i * stride]
            dst += inner


# --- scatter: one kernel per mode, so a program compiles only the modes it uses --------------


@njit_cached()
def _scatter_set(out: Any, o0: int, idx: Any, s0: int, otail: Any, os: int, upd: Any, boff: Any, binner: int,
                 bs: int, utail: Any, us: int, inner: int) -> None:  # pragma: no cover - compiled
    if otail.shape[0] == 1 and boff.shape[0] == 1:
        oo = o0 + otail[0]
        u0 = boff[0] + utail[0]
        if inner == 1:
            for b in range(idx.shape[0]):
                o = oo + idx[b, 0] * s0
                out[o] = upd[u0 + b * bs]
            return
        if os == 1 and us == 1:
            for b in range(idx.shape[0]):
                ob = oo + idx[b, 0] * s0
                ub = u0 + b * bs
                for i in range(inner):
                    out[ob + i] = upd[ub + i]
            return
    b = 0
    for mb in range(boff.shape[0]):
        for lb in range(binner):
            ob = o0 + idx[b, 0] * s0
            ub = boff[mb] + lb * bs
            b += 1
            for m in range(otail.shape[0]):
                o = ob + otail[m]
                u = ub + utail[m]
                for i in range(inner):
                    out[o + i * os] = upd[u + i * us]


@njit_cached()
def _scatter_add(out: Any, o0: int, idx: Any, s0: int, otail: Any, os: int, upd: Any, boff: Any, binner: int,
                 bs: int, utail: Any, us: int, inner: int) -> None:  # pragma: no cover - compiled
    if otail.shape[0] == 1 and boff.shape[0] == 1:
        oo = o0 + otail[0]
        u0 = boff[0] + utail[0]
        if inner == 1:
            for b in range(idx.shape[0]):
                o = oo + idx[b, 0] * s0
                out[o] += upd[u0 + b * bs]
            return
        if os == 1 and us == 1:
            for b in range(idx.shape[0]):
                ob = oo + idx[b, 0] * s0
                ub = u0 + b * bs
                for i in range(inner):
                    out[ob + i] += upd[ub + i]
            return
    b = 0
    for mb in range(boff.shape[0]):
        for lb in range(binner):
            ob = o0 + idx[b, 0] * s0
            ub = boff[mb] + lb * bs
            b += 1
            for m in range(otail.shape[0]):
                o = ob + otail[m]
                u = ub + utail[m]
                for i in range(inner):
                    out[o + i * os] += upd[u + i * us]


@njit_cached()
def _scatter_mul(out: Any, o0: int, idx: Any, s0: int, otail: Any, os: int, upd: Any, boff: Any, binner: int,
                 bs: int, utail: Any, us: int, inner: int) -> None:  # pragma: no cover - compiled
    if otail.shape[0] == 1 and boff.shape[0] == 1:
        oo = o0 + otail[0]
        u0 = boff[0] + utail[0]
        if inner == 1:
            for b in range(idx.shape[0]):
                o = oo + idx[b, 0] * s0
                out[o] *= upd[u0 + b * bs]
            return
        if os == 1 and us == 1:
            for b in range(idx.shape[0]):
                ob = oo + idx[b, 0] * s0
                ub = u0 + b * bs
                for i in range(inner):
                    out[ob + i] *= upd[ub + i]
            return
    b = 0
    for mb in range(boff.shape[0]):
        for lb in range(binner):
            ob = o0 + idx[b, 0] * s0
            ub = boff[mb] + lb * bs
            b += 1
            for m in range(otail.shape[0]):
                o = ob + otail[m]
                u = ub + utail[m]
                for i in range(inner):
                    out[o + i * os] *= upd[u + i * us]


@njit_cached()
def _scatter_min(out: Any, o0: int, idx: Any, s0: int, otail: Any, os: int, upd: Any, boff: Any, binner: int,
                 bs: int, utail: Any, us: int, inner: int) -> None:  # pragma: no cover - compiled
    if otail.shape[0] == 1 and boff.shape[0] == 1:
        oo = o0 + otail[0]
        u0 = boff[0] + utail[0]
        if inner == 1:
            for b in range(idx.shape[0]):
                o = oo + idx[b, 0] * s0
                v = upd[u0 + b * bs]
                if v < out[o] or v != v:  # nan-propagating, as np.minimum.at / np.maximum.at
                    out[o] = v
            return
        if os == 1 and us == 1:
            for b in range(idx.shape[0]):
                ob = oo + idx[b, 0] * s0
                ub = u0 + b * bs
                for i in range(inner):
                    v = upd[ub + i]
                    if v < out[ob + i] or v != v:
                        out[ob + i] = v
            return
    b = 0
    for mb in range(boff.shape[0]):
        for lb in range(binner):
            ob = o0 + idx[b, 0] * s0
            ub = boff[mb] + lb * bs
            b += 1
            for m in range(otail.shape[0]):
                o = ob + otail[m]
                u = ub + utail[m]
                for i in range(inner):
                    v = upd[u + i * us]
                    if v < out[o + i * os] or v != v:
                        out[o + i * os] = v


@njit_cached()
def _scatter_max(out: Any, o0: int, idx: Any, s0: int, otail: Any, os: int, upd: Any, boff: Any, binner: int,
                 bs: int, utail: Any, us: int, inner: int) -> None:  # pragma: no cover - compiled
    if otail.shape[0] == 1 and boff.shape[0] == 1:
        oo = o0 + otail[0]
        u0 = boff[0] + utail[0]
        if inner == 1:
            for b in range(idx.shape[0]):
                o = oo + idx[b, 0] * s0
                v = upd[u0 + b * bs]
                if v > out[o] or v != v:  # nan-propagating, as np.minimum.at / np.maximum.at
                    out[o] = v
            return
        if os == 1 and us == 1:
            for b in range(idx.shape[0]):
                ob = oo + idx[b, 0] * s0
                ub = u0 + b * bs
                for i in range(inner):
                    v = upd[ub + i]
                    if v > out[ob + i] or v != v:
                        out[ob + i] = v
            return
    b = 0
    for mb in range(boff.shape[0]):
        for lb in range(binner):
            ob = o0 + idx[b, 0] * s0
            ub = boff[mb] + lb * bs
            b += 1
            for m in range(otail.shape[0]):
                o = ob + otail[m]
                u = ub + utail[m]
                for i in range(inner):
                    v = upd[u + i * us]
                    if v > out[o + i * os] or v != v:
                        out[o + i * os] = v


_SCATTER = {"set": _scatter_set, "add": _scatter_add, "mul": _scatter_mul, "min": _scatter_min, "max": _scatter_max}


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


def _rows(idx: np.ndarray[Any, Any], strides: tuple[int, ...]) -> tuple[np.ndarray[Any, Any], int]:
    """One index column and its stride: ``k > 1`` columns become offsets."""
    nb, k = idx.shape
    if k == 1:
        return idx, strides[0]
    lin = np.zeros((nb, 1), np.int64)
    for j in range(k):
        lin[:, 0] += idx[:, j] * strides[j]
    return lin, 1


# Below this many output elements NumPy's fancy indexing / ``ufunc.at`` do the
# work (indices are validated before either runs): at that size Numba's dispatch,
# and its one-time start-up in a fresh process (0.3-0.6 s here), would dominate.
NUMPY_BELOW = 4096


def _strided(buf: np.ndarray[Any, Any], offset: int, shape: tuple[int, ...],
             strides: tuple[int, ...]) -> np.ndarray[Any, Any]:
    isz = buf.itemsize
    return np.ndarray(shape, buf.dtype, buffer=buf, offset=offset * isz, strides=tuple(s * isz for s in strides))


def gather(buf: np.ndarray[Any, Any], offset: int, shape: tuple[int, ...], strides: tuple[int, ...],
           idx: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Rows ``src[idx[b, 0], ..., idx[b, k-1], ...]`` of the strided array
    (``buf``, ``offset``, ``shape``, ``strides``) as a fresh C-contiguous
    array of shape ``(B, *shape[k:])``.  ``idx`` is a validated (B, k) int64
    C-contiguous matrix."""
    nb, k = idx.shape
    tail = shape[k:]
    if k and 0 < nb * int(np.prod(tail, dtype=np.int64)) < NUMPY_BELOW and 0 not in shape:
        return np.ascontiguousarray(_strided(buf, offset, shape, strides)[tuple(idx.T)])
    out = np.empty((nb,) + tail, buf.dtype)
    if out.size == 0:
        return out
    outer, inner, (s,) = collapse(tail, strides[k:])
    rows, s0 = _rows(idx, strides[:k])
    # a gather only moves bits: one compiled variant per item size, not per dtype
    bits = _BITS[buf.dtype.itemsize]
    _gather(buf.view(bits), offset, rows, s0, outer_offsets(outer, 0), inner, s, out.reshape(-1).view(bits))
    return out


_UFUNC_AT = {"add": np.add, "mul": np.multiply, "min": np.minimum, "max": np.maximum}


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
    the strided updates array (``upd_buf``, ``upd_offset``, ``upd_shape``,
    ``upd_strides``) combined in at ``idx`` by ``mode`` ("set", "add",
    "mul", "min", "max"), in row-major order of the updates (so for "set"
    the last of repeated indices wins).  ``idx`` is a validated (B, k) int64
    C-contiguous matrix."""
    out, flat = memory_order_empty(operand)
    # the copy is memory-bound; NumPy's strided copy runs at memory speed
    np.copyto(out, operand)
    nb, k = idx.shape
    if nb == 0 or out.size == 0:
        return out
    if k and mode != "set" and nb * int(np.prod(operand.shape[k:], dtype=np.int64)) < NUMPY_BELOW:
        # ufunc.at applies repeated indices in order, as the kernels do
        upd = _strided(upd_buf, upd_offset, upd_shape, upd_strides).reshape((nb,) + operand.shape[k:])
        with np.errstate(all="ignore"):
            _UFUNC_AT[mode].at(out, tuple(idx.T), upd)
        return out
    isz = out.itemsize
    out_strides = tuple(s // isz for s in out.strides)
    nbd = len(upd_shape) - (operand.ndim - k)
    b_outer, b_inner, (b_s,) = collapse(upd_shape[:nbd], upd_strides[:nbd])
    t_outer, t_inner, (o_s, u_s) = collapse(operand.shape[k:], out_strides[k:], upd_strides[nbd:])
    rows, s0 = _rows(idx, out_strides[:k])
    if mode == "set":  # moves bits: compile per item size, not per dtype
        bits = _BITS[isz]
        flat, upd_buf = flat.view(bits), upd_buf.view(bits)
    _SCATTER[mode](flat, 0, rows, s0, outer_offsets(t_outer, 0), o_s, upd_buf, outer_offsets(b_outer, 0) + upd_offset,
                   b_inner, b_s, outer_offsets(t_outer, 1), u_s, t_inner)
    return out
