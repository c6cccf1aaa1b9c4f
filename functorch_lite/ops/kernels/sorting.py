"""Sorting kernels: sort, argsort (NumPy) and searchsorted (Numba).

Sorting uses NumPy: its sorts are at the hardware limit here (AVX-512
SIMD quicksort for 32/64-bit keys, radix sort for 8/16-bit and boolean
keys), far beyond what a hand-written Numba sort reaches.  Measured on this
project's 2-vCPU AMD EPYC (AVX-512) machine, 4M random values, NumPy 2.4,
milliseconds (``kind="quicksort"`` / ``kind="stable"``)::

    dtype      sort quick / stable     argsort quick / stable
    bool         23.7 /   1.2            30.8 /   2.8
    int8        115.3 /   5.2           156.5 /  13.1
    uint8       121.4 /   5.4           157.8 /  11.6
    int16        64.6 /  14.7           173.4 /  25.3
    int32        90.9 / 148.2           261.7 / 222.5
    int64       138.2 / 156.9           318.8 / 268.1
    float32     148.7 / 403.8           417.0 / 588.1
    float64     249.7 / 417.8           509.5 / 648.5

so each call picks the fastest kind that gives the stable result: equal
integers and booleans are indistinguishable, so a value sort may use any
kind; equal floats are distinguishable only as ``-0.0`` vs ``0.0`` (and NaN
payloads), so float value sorts use quicksort unless the input holds a
negative zero (a ~1 ms check per 4M elements), where they fall back to the
stable sort.  ``argsort`` is stable unless asked otherwise; even then the
integer stable sorts are the faster ones.

Layout: ``sort`` copies the input once in its own axis order (K order) and
sorts that copy in place, so a transposed input sorted along its contiguous
axis sorts contiguous rows and nothing is copied beyond the output itself;
``argsort`` moves the axis last as a view and writes indices whose sorted
axis is contiguous.
"""

from __future__ import annotations

from typing import Any, Literal

import numba
import numpy as np

_RADIX = frozenset("?bBh")  # bool, int8, uint8, int16: NumPy's stable sort is a radix sort


def _has_negative_zero(x: np.ndarray[Any, Any]) -> bool:
    return bool(np.signbit(x[x == 0]).any())


def sort(x: np.ndarray[Any, Any], axis: int) -> np.ndarray[Any, Any]:
    """Stable ascending sort along ``axis``; NaNs last (NumPy's order)."""
    kind: Literal["stable", "quicksort"]
    if x.dtype.char in _RADIX:
        kind = "stable"
    elif x.dtype.kind == "f" and _has_negative_zero(x):
        kind = "stable"
    else:
        kind = "quicksort"
    out = x.copy(order="K")  # keeps the input's axis order: contiguous rows stay contiguous
    out.sort(axis=axis, kind=kind)
    return out


def argsort(x: np.ndarray[Any, Any], axis: int, descending: bool, stable: bool,
            index_dtype: np.dtype[Any]) -> np.ndarray[Any, Any]:
    """Indices that sort ``x`` along ``axis``.  Descending and stable keeps
    equal elements in their original order (as JAX does); NaNs come last
    ascending, first descending."""
    kind: Literal["stable", "quicksort"] = "stable" if stable or x.dtype.kind != "f" else "quicksort"
    v = np.moveaxis(x, axis, -1)
    n = v.shape[-1]
    if descending:
        # a stable ascending sort of the reversed rows, reversed back, keeps ties in order
        idx = np.argsort(v[..., ::-1], axis=-1, kind=kind)
        out = np.empty(v.shape, index_dtype)
        np.subtract(n - 1, idx[..., ::-1], out=out, casting="unsafe")
    else:
        out = np.argsort(v, axis=-1, kind=kind).astype(index_dtype)
    return np.moveaxis(out, -1, axis)


@numba.njit(inline="always")
def _lt(a: Any, b: Any) -> Any:
    # NaN-aware less-than: NaN is larger than everything (NumPy's sort order)
    return a < b or (b != b and a == a)


@numba.njit(cache=True)
def _searchsorted(sb: Any, off: int, stride: int, n: int, keys: Any, out: Any, right: bool) -> None:
    # NumPy's binary search, including its trick for sorted keys: a key not
    # smaller than the previous one only moves the lower bound.
    lo = 0
    hi = n
    if keys.shape[0] == 0:
        return
    last = keys[0]
    for j in range(keys.shape[0]):
        v = keys[j]
        if _lt(last, v):
            hi = n
        else:
            lo = 0
            hi = hi + 1 if hi < n else n
        last = v
        while lo < hi:
            mid = lo + ((hi - lo) >> 1)
            mv = sb[off + mid * stride]
            if right:
                go_right = not _lt(v, mv)
            else:
                go_right = _lt(mv, v)
            if go_right:
                lo = mid + 1
            else:
                hi = mid
        out[j] = lo


def searchsorted(buf: np.ndarray[Any, Any], offset: int, n: int, stride: int,
                 keys: np.ndarray[Any, Any], right: bool, index_dtype: np.dtype[Any]) -> np.ndarray[Any, Any]:
    """Insertion points of ``keys`` in the sorted strided 1-D view
    (``offset``, ``n``, ``stride`` in elements) of the flat buffer ``buf``.

    The sorted array is read in place (a reversed or stepped view is not
    copied: that would cost O(n) against O(log n) per key).  Keys are
    flattened, which copies only when their layout is not row-major; each
    key costs a binary search, so that copy is noise.
    """
    k = np.ascontiguousarray(keys).reshape(-1)
    out = np.empty(k.shape[0], index_dtype)
    if buf.dtype.kind == "b":
        buf, k = buf.view(np.uint8), k.view(np.uint8)
    _searchsorted(buf, offset, stride, n, k, out, right)
    return out.reshape(keys.shape)
