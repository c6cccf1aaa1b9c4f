"""Kernels of ``take_along_axis`` and its transpose, the scatter-add along an axis.

Both work on a (A, n, B) view of the operand (the axis in the middle, the axes
before and after it merged) and (A, m, B) int64 indices, so one compiled
kernel per dtype serves both directions, every rank and axis.  Indices are checked inside the
loop (Numba does not bounds-check): a negative index wraps once, and the first
one outside ``[-n, n)`` stops the kernel and is reported by the caller.

Example:
    >>> import numpy as np
    >>> take(np.array([[10.0, 20.0, 30.0]]), np.array([[2, -3]]), 1).tolist()
    [[30.0, 10.0]]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from functorch_lite.ops.kernels._njit import njit

Arr = np.ndarray[Any, Any]


@njit(cache=True, error_model="numpy")
def _move(src: Arr, idx: Arr, out: Arr, scatter: bool) -> int:  # pragma: no cover - compiled
    # take: out[a, j, b] = src[a, idx, b]; scatter: out[a, idx, b] += src[a, j, b].  Returns
    # the flat position of the first index outside [-n, n) (negatives wrap once), else -1
    na, m, nb = idx.shape
    n = out.shape[1] if scatter else src.shape[1]
    for a in range(na):
        for j in range(m):
            for b in range(nb):
                i = idx[a, j, b]
                if i < 0:
                    i += n
                if i < 0 or i >= n:
                    return int((a * m + j) * nb + b)
                if scatter:
                    out[a, i, b] += src[a, j, b]
                else:
                    out[a, j, b] = src[a, i, b]
    return -1


@njit(cache=True, error_model="numpy")
def _scan_indices(idx: Arr, n: int) -> int:  # pragma: no cover - compiled
    # the flat position of the first index outside [-n, n); else -2 if some index is
    # negative (to be wrapped), else -1
    neg = False
    for q in range(idx.size):
        i = idx[q]
        if i < -n or i >= n:
            return q
        neg |= i < 0
    return -2 if neg else -1


def checked_indices(name: str, indices: Arr, n: int, axis: int) -> Arr:
    """``indices`` with negatives wrapped once (``indices`` itself when none
    is negative), or the gather's IndexError for the first one outside ``[-n, n)``.

    Example:
        >>> checked_indices("take_along_axis", np.array([[1], [-1]]), 3, 1).tolist()
        [[1], [2]]
    """
    if indices.size == 0:
        return indices
    flat = indices.reshape(-1)
    state = _scan_indices(flat if flat.flags.c_contiguous else np.ascontiguousarray(flat), n)
    if state >= 0:
        _raise(name, indices, state, n, axis)
    if state == -2:
        return np.where(indices < 0, indices + n, indices)
    return indices


def _split(shape: tuple[int, ...], axis: int) -> tuple[int, int, int]:
    return math.prod(shape[:axis]), shape[axis], math.prod(shape[axis + 1:])


def _raise(name: str, indices: Arr, flat_pos: int, n: int, axis: int) -> None:
    pos = np.unravel_index(flat_pos, indices.shape)
    bad = int(indices[pos])
    raise IndexError(
        f"{name}: index {bad} is out of bounds for axis {axis} with size {n} (at indices position "
        f"{tuple(int(p) for p in pos)}); use mode='clip' or mode='fill' to map out-of-range indices"
    )


def _reals(x: Arr) -> tuple[Arr, int]:
    """``x`` as reals (a complex number is a pair of them, moved together) and
    the number of reals per element."""
    if x.dtype.kind == "c":
        return x.view(np.float32 if x.dtype == np.complex64 else np.float64), 2
    return x, 1


def _index3(indices: Arr, na: int, m: int, nb: int, per: int) -> Arr:
    idx = np.ascontiguousarray(indices, dtype=np.int64).reshape(na, m, nb)
    return np.repeat(idx, per, axis=2) if per > 1 else idx


def take(x: Arr, indices: Arr, axis: int) -> Arr:
    """``out[..., j, ...] = x[..., indices[..., j, ...], ...]`` along ``axis``
    (``indices`` has ``x``'s shape outside ``axis``; negatives wrap once).

    Example:
        >>> take(np.array([[1, 2], [3, 4]]), np.array([[1], [0]]), 1).tolist()
        [[2], [3]]
    """
    out = np.empty(indices.shape, x.dtype)
    if out.size == 0:
        return out
    na, n, nb = _split(x.shape, axis)
    m = indices.shape[axis]
    xr, per = _reals(np.ascontiguousarray(x))
    outr, _ = _reals(out)
    bad = _move(xr.reshape(na, n, nb * per), _index3(indices, na, m, nb, per), outr.reshape(na, m, nb * per),
                False)
    if bad >= 0:
        _raise("take_along_axis", indices, bad // per, n, axis)
    return out


def scatter_add(updates: Arr, indices: Arr, axis: int, size: int) -> Arr:
    """The transpose of :func:`take`: zeros of ``updates``' shape with ``size``
    along ``axis``, each update added at its index (repeats accumulate).

    Example:
        >>> scatter_add(np.array([[1.0, 2.0]]), np.array([[0, 0]]), 1, 3).tolist()
        [[3.0, 0.0, 0.0]]
    """
    shape = updates.shape[:axis] + (size,) + updates.shape[axis + 1:]
    out = np.zeros(shape, updates.dtype)
    if updates.size == 0:
        return out
    na, m, nb = _split(updates.shape, axis)
    ur, per = _reals(np.ascontiguousarray(updates))
    outr, _ = _reals(out)
    bad = _move(ur.reshape(na, m, nb * per), _index3(indices, na, m, nb, per), outr.reshape(na, size, nb * per),
                True)
    if bad >= 0:
        _raise("take_along_axis (transpose)", indices, bad // per, size, axis)
    return out


__all__ = ["take", "scatter_add", "checked_indices"]
