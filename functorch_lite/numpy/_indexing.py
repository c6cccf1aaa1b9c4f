"""Indexing: basic indexing as views; integer-array and mask indexing as gathers."""

from __future__ import annotations

from typing import Any

import numpy as np

from functorch_lite.array import Array
from functorch_lite.core import Tracer
from functorch_lite.numpy._util import ArrayOrTracer, asarray
from functorch_lite.ops import shape_ops as so

__all__ = ["nonzero"]


def _is_basic(i: Any) -> bool:
    return i is None or i is Ellipsis or isinstance(i, slice) or (
        isinstance(i, (int, np.integer)) and not isinstance(i, bool)
    )


def _expand_index(idx: Any, ndim: int) -> list[Any]:
    if not isinstance(idx, tuple):
        idx = (idx,)
    n_ell = sum(1 for i in idx if i is Ellipsis)
    if n_ell > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    consumed = sum(1 for i in idx if i is not None and i is not Ellipsis)
    if consumed > ndim:
        raise IndexError(f"too many indices for array: array is {ndim}-dimensional, but {consumed} were indexed")
    out: list[Any] = []
    for i in idx:
        if i is Ellipsis:
            out.extend([slice(None)] * (ndim - consumed))
        else:
            out.append(i)
    if n_ell == 0:
        out.extend([slice(None)] * (ndim - consumed))
    return out


def basic_getitem(x: ArrayOrTracer, idx: Any) -> Any:
    """``x[idx]`` for ints, slices (any step), None and Ellipsis: a view."""
    items = _expand_index(idx, x.ndim)
    starts: list[int] = []
    limits: list[int] = []
    steps: list[int] = []
    rev_dims: list[int] = []
    squeeze_dims: list[int] = []
    new_axes: list[int] = []
    dim = 0
    out_pos = 0
    for it in items:
        if it is None:
            new_axes.append(out_pos)
            out_pos += 1
            continue
        n = x.shape[dim]
        if isinstance(it, slice):
            start, stop, step = it.indices(n)
            count = len(range(start, stop, step))
            if step < 0:
                rev_dims.append(dim)
                start, step = n - 1 - start, -step
            if count == 0:
                start = 0
            starts.append(start)
            limits.append(start + (count - 1) * step + 1 if count else start)
            steps.append(step)
            out_pos += 1
        else:
            i = int(it)
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for axis {dim} with size {n}")
            i %= n
            starts.append(i)
            limits.append(i + 1)
            steps.append(1)
            squeeze_dims.append(dim)
        dim += 1
    out = x
    if rev_dims:
        out = so.rev_p.bind(out, dimensions=tuple(rev_dims))
    if tuple(starts) != (0,) * len(starts) or tuple(limits) != tuple(out.shape) or any(s != 1 for s in steps):
        out = so.slice_p.bind(
            out, start_indices=tuple(starts), limit_indices=tuple(limits), strides=tuple(steps)
        )
    if squeeze_dims:
        out = so.squeeze_p.bind(out, dimensions=tuple(squeeze_dims))
    if new_axes:
        out = so.expand_dims_p.bind(out, dimensions=tuple(new_axes))
    return out


def getitem(x: Any, idx: Any) -> Any:
    """``x[idx]``: basic indices give views, array indices gather copies."""
    x = asarray(x)
    parts = idx if isinstance(idx, tuple) else (idx,)
    if all(_is_basic(i) for i in parts):
        return basic_getitem(x, idx)
    return advanced_getitem(x, idx)


def advanced_getitem(x: ArrayOrTracer, idx: Any) -> Any:
    raise NotImplementedError("advanced indexing is not available yet")


def at_update(x: Any, idx: Any, value: Any, mode: str) -> Any:
    raise NotImplementedError("x.at[...] updates are not available yet")


def nonzero(a: Any, size: int | None = None, fill_value: Any = None) -> tuple[Any, ...]:
    """Indices of the nonzero elements, one array per axis (concrete input,
    or pass ``size`` to fix the output length under transforms).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> [i.tolist() for i in jnp.nonzero(jnp.array([0, 3, 0, 4]))]
        [[1, 3]]
    """
    x = asarray(a)
    if isinstance(x, Tracer):
        raise TypeError(
            "nonzero of a traced value has a data-dependent shape; pass size=... or use "
            "jnp.where(cond, x, y)"
        )
    res = np.nonzero(x._numpy())
    if size is not None:
        fill = 0 if fill_value is None else fill_value
        res = tuple(
            np.concatenate([r[:size], np.full(max(0, size - r.shape[0]), fill, r.dtype)]) for r in res
        )
    return tuple(Array._wrap(r.astype(np.int32) if r.size == 0 or r.max() < 2**31 else r) for r in res)
