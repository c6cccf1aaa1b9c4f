"""Hypothesis strategies: shapes, dtypes, values, and non-contiguous views.

``fl_view(draw, value)`` builds a functorch_lite Array equal to the NumPy
``value`` but laid out in one of several ways (contiguous, transposed,
stepped, offset, reversed, broadcast), so every op is exercised on strided
inputs without hidden copies.
"""

from __future__ import annotations

from typing import Any

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np

import functorch_lite.numpy as jnp
from functorch_lite import dtypes
from functorch_lite.array import Array

# The registry sweeps draw from the real dtypes below; complex and the wide unsigned
# dtypes have their own tests (tests/numpy_api/test_complex.py, test_unsigned.py).
WIDE_UNSIGNED = (dtypes.uint16, dtypes.uint32, dtypes.uint64)
ALL_DTYPES = tuple(d for d in dtypes.SUPPORTED if d.kind != "c" and d not in WIDE_UNSIGNED)
COMPLEX = dtypes.COMPLEX


def sum_dtype(dt: np.dtype[Any]) -> np.dtype[Any]:
    """NumPy's/JAX's dtype for a sum without ``dtype=``, written out: booleans and
    narrow signed ints widen to the default int, narrow unsigned ints to the
    unsigned int of that width (in 64-bit mode, exactly NumPy's ``np.sum``)."""
    wide64 = dtypes.x64_enabled()
    if dt.kind == "u" and dt.itemsize < (8 if wide64 else 4):
        return np.dtype(np.uint64 if wide64 else np.uint32)
    if dt.kind == "b" or (dt.kind == "i" and dt.itemsize < (8 if wide64 else 4)):
        return np.dtype(np.int64 if wide64 else np.int32)
    return dt
FLOATS = dtypes.FLOATING
INTS = tuple(d for d in dtypes.INTEGER if d not in WIDE_UNSIGNED)
NUMERIC = FLOATS + INTS

LAYOUTS = ("contiguous", "transposed", "stepped", "offset", "reversed", "broadcast")


def shapes(
    min_dims: int = 0, max_dims: int = 3, min_side: int = 0, max_side: int = 4
) -> st.SearchStrategy[tuple[int, ...]]:
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def elements_for(dtype: np.dtype[Any], lo: float | None = None, hi: float | None = None) -> st.SearchStrategy[Any]:
    """Moderate values: large enough to matter, small enough not to overflow."""
    if dtype.kind == "b":
        return st.booleans()
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        a = max(int(info.min), -100 if lo is None else int(lo))
        b = min(int(info.max), 100 if hi is None else int(hi))
        return st.integers(a, b)
    if dtype.kind == "c":
        part = elements_for(dtypes.real_dtype(dtype), lo, hi)
        return st.builds(complex, part, part)
    width = dtype.itemsize * 8
    lo_f = float(np.asarray(-10.0 if lo is None else lo, dtype))
    hi_f = float(np.asarray(10.0 if hi is None else hi, dtype))
    return st.floats(
        lo_f, hi_f,
        allow_nan=False, allow_infinity=False, width=width,
    )


@st.composite
def np_arrays(draw: Any, dtype: np.dtype[Any], shape: tuple[int, ...], lo: float | None = None,
              hi: float | None = None) -> np.ndarray[Any, Any]:
    return draw(hnp.arrays(dtype, shape, elements=elements_for(dtype, lo, hi)))


def _all_identical(v: np.ndarray[Any, Any]) -> bool:
    """Every element the same value, bit for bit (0.0 and -0.0 differ, as do nans' signs)."""
    first = v.reshape(-1)[:1]
    return bool(np.array_equal(v.reshape(-1).view(np.uint8).reshape(v.size, -1),
                               np.broadcast_to(first.view(np.uint8), (v.size, v.dtype.itemsize))))


def fl_view(draw: Any, value: np.ndarray[Any, Any], layouts: tuple[str, ...] = LAYOUTS) -> Array:
    """A functorch_lite Array equal to ``value``, in a drawn memory layout."""
    layout = draw(st.sampled_from(layouts))
    v = np.asarray(value)
    if layout == "transposed" and v.ndim >= 2:
        base = jnp.array(np.ascontiguousarray(v.T))
        out = base.T
    elif layout == "stepped" and v.ndim >= 1:
        big = np.zeros(tuple(d * 2 for d in v.shape), v.dtype)
        big[tuple(slice(None, None, 2) for _ in v.shape)] = v
        out = jnp.array(big)[tuple(slice(None, None, 2) for _ in v.shape)]
    elif layout == "offset" and v.ndim >= 1:
        big = np.zeros((v.shape[0] + 1,) + v.shape[1:], v.dtype)
        big[1:] = v
        out = jnp.array(big)[1:]
    elif layout == "reversed" and v.ndim >= 1:
        out = jnp.flip(jnp.array(np.ascontiguousarray(np.flip(v, 0))), 0)
    elif layout == "broadcast" and v.ndim >= 1 and v.size and _all_identical(v):
        out = jnp.broadcast_to(jnp.array(v.reshape(-1)[:1].reshape((1,) * v.ndim)), v.shape)
    else:
        out = jnp.array(v)
    assert out.shape == v.shape and out.dtype == v.dtype
    return out


@st.composite
def broadcastable_shapes(draw: Any, n: int, min_dims: int = 0, max_dims: int = 3,
                         max_side: int = 4) -> list[tuple[int, ...]]:
    base = draw(shapes(min_dims=min_dims, max_dims=max_dims, max_side=max_side))
    out = []
    for _ in range(n):
        drop = draw(st.integers(0, len(base)))
        s = list(base[drop:])
        for i in range(len(s)):
            if draw(st.booleans()) and draw(st.booleans()):
                s[i] = 1
        out.append(tuple(s))
    return out
