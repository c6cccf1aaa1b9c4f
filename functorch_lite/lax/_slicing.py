"""JAX's ``lax`` slicing: ``slice``, ``slice_in_dim``, ``index_in_dim`` and the
dynamic family (``dynamic_slice``, ``dynamic_update_slice`` and their
``_in_dim``/``_index_in_dim`` forms).

Static slices are views (the ``slice`` primitive).  Dynamic start indices
follow JAX: a negative index counts from the end once, then every start is
clamped so that the whole window lies inside the operand (so no read or write
is ever out of bounds).  Concrete starts take the view/basic-update path;
traced starts (under ``jit``, ``vmap`` or ``grad`` of the index) become
gathers/scatters of the window's clamped indices, so every function here is
differentiable, batchable and jittable.

Example:
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite import lax
    >>> lax.dynamic_slice(jnp.arange(10), (8,), (4,)).tolist()
    [6, 7, 8, 9]
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

import functorch_lite.numpy as jnp
from functorch_lite.array import Array
from functorch_lite.core import Tracer, get_aval
from functorch_lite.ops import shape_ops as so

__all__ = ["slice", "slice_in_dim", "index_in_dim", "dynamic_slice", "dynamic_slice_in_dim",
           "dynamic_index_in_dim", "dynamic_update_slice", "dynamic_update_index_in_dim",
           "dynamic_update_slice_in_dim"]


def _ints(name: str, what: str, v: Any) -> tuple[int, ...]:
    try:
        out = tuple(v)
    except TypeError:
        raise TypeError(f"lax.{name}: {what} must be a sequence of ints, got {v!r}") from None
    for i in out:
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
            raise TypeError(f"lax.{name}: {what} must be a sequence of ints, got {v!r}")
    return tuple(int(i) for i in out)


def _axis(name: str, axis: Any, ndim: int) -> int:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"lax.{name}: axis must be an int, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"lax.{name}: axis {axis} is out of range for an array with {ndim} dimensions")
    return int(axis) % ndim


def slice(operand: Any, start_indices: Sequence[int], limit_indices: Sequence[int],  # noqa: A001
          strides: Sequence[int] | None = None) -> Array:
    """``operand[start:limit:stride]`` on every axis (JAX's ``lax.slice``); a view.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> slice(jnp.arange(10), (1,), (8,), (3,)).tolist()
        [1, 4, 7]
    """
    x = jnp.asarray(operand)
    aval = get_aval(x)
    start = _ints("slice", "start_indices", start_indices)
    limit = _ints("slice", "limit_indices", limit_indices)
    st = (1,) * aval.ndim if strides is None else _ints("slice", "strides", strides)
    if not len(start) == len(limit) == len(st) == aval.ndim:
        raise ValueError(
            f"lax.slice: start_indices {start}, limit_indices {limit} and strides {st} need one entry per "
            f"axis of {aval.str_short()}"
        )
    out: Array = so.slice_p.bind(x, start_indices=start, limit_indices=limit, strides=st)
    return out


def slice_in_dim(operand: Any, start_index: int | None, limit_index: int | None, stride: int = 1,
                 axis: int = 0) -> Array:
    """``lax.slice`` along one axis; ``None`` bounds mean the ends and negative
    ones count from the end (JAX's ``lax.slice_in_dim``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> slice_in_dim(jnp.arange(6).reshape(2, 3), -2, None, axis=1).tolist()
        [[1, 2], [4, 5]]
    """
    x = jnp.asarray(operand)
    shape = get_aval(x).shape
    ax = _axis("slice_in_dim", axis, len(shape))
    n = shape[ax]
    lo = 0 if start_index is None else int(start_index)
    hi = n if limit_index is None else int(limit_index)
    lo, hi = lo + n if lo < 0 else lo, hi + n if hi < 0 else hi
    start = [0] * len(shape)
    limit = list(shape)
    strides = [1] * len(shape)
    start[ax], limit[ax], strides[ax] = lo, hi, int(stride)
    return slice(x, start, limit, strides)


def index_in_dim(operand: Any, index: int, axis: int = 0, keepdims: bool = True) -> Array:
    """Element ``index`` (negative counts from the end) along ``axis``,
    keeping that axis as size 1 unless ``keepdims=False``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> index_in_dim(jnp.arange(6).reshape(2, 3), -1, axis=1, keepdims=False).tolist()
        [2, 5]
    """
    x = jnp.asarray(operand)
    shape = get_aval(x).shape
    ax = _axis("index_in_dim", axis, len(shape))
    n = shape[ax]
    i = int(index)
    if not -n <= i < n:
        raise IndexError(f"lax.index_in_dim: index {index} is out of bounds for axis {ax} of size {n}")
    i %= n
    out = slice_in_dim(x, i, i + 1, 1, ax)
    return out if keepdims else so.squeeze_p.bind(out, dimensions=(ax,))


def _start_scalars(name: str, start_indices: Any, ndim: int) -> list[Any]:
    if isinstance(start_indices, (Tracer, jnp.ndarray)) or hasattr(start_indices, "__array__"):
        arr = jnp.asarray(start_indices)
        aval = get_aval(arr)
        if aval.ndim != 1:
            raise ValueError(f"lax.{name}: start_indices as an array must be 1-D, got {aval.str_short()}")
        starts: list[Any] = [arr[i] for i in range(aval.shape[0])]
    else:
        try:
            starts = list(start_indices)
        except TypeError:
            raise TypeError(f"lax.{name}: start_indices must be a sequence of integer scalars, "
                            f"got {start_indices!r}") from None
    if len(starts) != ndim:
        raise ValueError(f"lax.{name}: need one start index per axis ({ndim}), got {len(starts)}")
    for s in starts:
        if isinstance(s, (bool, np.bool_)) or not isinstance(s, (int, np.integer)):
            dt = get_aval(jnp.asarray(s)).dtype
            if dt.kind not in "iu" or get_aval(jnp.asarray(s)).shape != ():
                raise TypeError(f"lax.{name}: start indices must be integer scalars, got {start_indices!r}")
    return starts


def _concrete(s: Any) -> int | None:
    if isinstance(s, Tracer):
        return None
    return int(s)


def _clamped_starts(name: str, starts: list[Any], shape: tuple[int, ...],
                    sizes: tuple[int, ...]) -> list[Any]:
    """Each start with a negative value wrapped once, then clamped to ``[0, n - size]``:
    a Python int where the start is concrete, a traced int32/int64 scalar otherwise."""
    out: list[Any] = []
    for s, n, k in zip(starts, shape, sizes):
        c = _concrete(s)
        if c is not None:
            c = c + n if c < 0 else c
            out.append(builtins.max(0, builtins.min(c, n - k)))
            continue
        t = jnp.asarray(s)
        t = jnp.where(t < 0, t + n, t)
        out.append(jnp.clip(t, 0, n - k))
    return out


def _window_indices(start: Any, k: int, axis: int, ndim: int) -> Any:
    """``start + arange(k)`` shaped to broadcast along ``axis`` of ``ndim`` axes."""
    idx = jnp.asarray(start) + jnp.arange(k, dtype=get_aval(jnp.asarray(start)).dtype)
    return jnp.reshape(idx, tuple(k if i == axis else 1 for i in range(ndim)))


def dynamic_slice(operand: Any, start_indices: Any, slice_sizes: Sequence[int]) -> Array:
    """The window of shape ``slice_sizes`` starting at ``start_indices`` (JAX's
    ``lax.dynamic_slice``).  Starts may be traced; negative ones count from the
    end, and each is clamped so the window fits (never out of bounds).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> x = jnp.arange(12).reshape(3, 4)
        >>> dynamic_slice(x, (jnp.array(1), 5), (2, 2)).tolist()
        [[6, 7], [10, 11]]
    """
    x = jnp.asarray(operand)
    shape = get_aval(x).shape
    sizes = _ints("dynamic_slice", "slice_sizes", slice_sizes)
    if len(sizes) != len(shape):
        raise ValueError(f"lax.dynamic_slice: slice_sizes {sizes} needs one size per axis of shape {shape}")
    for k, n in zip(sizes, shape):
        if not 0 <= k <= n:
            raise ValueError(f"lax.dynamic_slice: slice_sizes {sizes} must lie in [0, {shape}] axis by axis")
    starts = _clamped_starts("dynamic_slice", _start_scalars("dynamic_slice", start_indices, len(shape)),
                             shape, sizes)
    static = [0 if isinstance(s, Tracer) else s for s in starts]
    out = so.slice_p.bind(x, start_indices=tuple(static),
                          limit_indices=tuple(s + k if not isinstance(t, Tracer) else n
                                              for s, k, n, t in zip(static, sizes, shape, starts)),
                          strides=(1,) * len(shape))
    for ax, (s, k) in enumerate(zip(starts, sizes)):
        if isinstance(s, Tracer):
            out = jnp.take(out, jnp.asarray(s) + jnp.arange(k, dtype=get_aval(s).dtype), axis=ax,
                           mode="clip")
    result: Array = out
    return result


def dynamic_slice_in_dim(operand: Any, start_index: Any, slice_size: int, axis: int = 0) -> Array:
    """``dynamic_slice`` along one axis (the others whole).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> dynamic_slice_in_dim(jnp.arange(6).reshape(2, 3), jnp.array(2), 2, axis=1).tolist()
        [[1, 2], [4, 5]]
    """
    x = jnp.asarray(operand)
    shape = get_aval(x).shape
    ax = _axis("dynamic_slice_in_dim", axis, len(shape))
    starts: list[Any] = [0] * len(shape)
    starts[ax] = start_index
    sizes = list(shape)
    sizes[ax] = int(slice_size)
    return dynamic_slice(x, starts, sizes)


def dynamic_index_in_dim(operand: Any, index: Any, axis: int = 0, keepdims: bool = True) -> Array:
    """Element ``index`` (possibly traced; clamped) along ``axis``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> dynamic_index_in_dim(jnp.arange(6).reshape(2, 3), jnp.array(-1), 1, keepdims=False).tolist()
        [2, 5]
    """
    x = jnp.asarray(operand)
    ax = _axis("dynamic_index_in_dim", axis, get_aval(x).ndim)
    out = dynamic_slice_in_dim(x, index, 1, ax)
    return out if keepdims else so.squeeze_p.bind(out, dimensions=(ax,))


def dynamic_update_slice(operand: Any, update: Any, start_indices: Any) -> Array:
    """``operand`` with the window at ``start_indices`` replaced by ``update``
    (JAX's ``lax.dynamic_update_slice``): same dtype, same number of axes;
    starts clamped so that ``update`` fits.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> dynamic_update_slice(jnp.zeros(5, dtype=jnp.int32), jnp.array([1, 2], dtype=jnp.int32), (9,)).tolist()
        [0, 0, 0, 1, 2]
    """
    x = jnp.asarray(operand)
    u = jnp.asarray(update)
    xa, ua = get_aval(x), get_aval(u)
    if xa.dtype != ua.dtype:
        raise TypeError(
            f"lax.dynamic_update_slice: update dtype {ua.dtype} differs from operand dtype {xa.dtype}; "
            "convert it first (update.astype(operand.dtype))"
        )
    if ua.ndim != xa.ndim or any(k > n for k, n in zip(ua.shape, xa.shape)):
        raise ValueError(
            f"lax.dynamic_update_slice: update {ua.str_short()} must have the operand's number of axes and "
            f"fit inside it ({xa.str_short()})"
        )
    starts = _clamped_starts("dynamic_update_slice",
                             _start_scalars("dynamic_update_slice", start_indices, xa.ndim), xa.shape, ua.shape)
    if not any(isinstance(s, Tracer) for s in starts):
        idx = tuple(builtins.slice(s, s + k) for s, k in zip(starts, ua.shape))
        return x.at[idx].set(u)
    idx = tuple(_window_indices(s, k, ax, xa.ndim) for ax, (s, k) in enumerate(zip(starts, ua.shape)))
    return x.at[idx].set(u, mode="promise_in_bounds")


def dynamic_update_slice_in_dim(operand: Any, update: Any, start_index: Any, axis: int) -> Array:
    """``dynamic_update_slice`` with a start along ``axis`` only.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> dynamic_update_slice_in_dim(jnp.zeros(4), jnp.ones(2), 1, 0).tolist()
        [0.0, 1.0, 1.0, 0.0]
    """
    x = jnp.asarray(operand)
    ax = _axis("dynamic_update_slice_in_dim", axis, get_aval(x).ndim)
    starts: list[Any] = [0] * get_aval(x).ndim
    starts[ax] = start_index
    return dynamic_update_slice(x, update, starts)


def dynamic_update_index_in_dim(operand: Any, update: Any, index: Any, axis: int) -> Array:
    """Replace element ``index`` along ``axis``; ``update`` may lack that axis.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> dynamic_update_index_in_dim(jnp.zeros((2, 2)), jnp.ones(2), 1, 0).tolist()
        [[0.0, 0.0], [1.0, 1.0]]
    """
    x = jnp.asarray(operand)
    u = jnp.asarray(update)
    ax = _axis("dynamic_update_index_in_dim", axis, get_aval(x).ndim)
    if get_aval(u).ndim == get_aval(x).ndim - 1:
        u = so.expand_dims_p.bind(u, dimensions=(ax,))
    return dynamic_update_slice_in_dim(x, u, index, ax)
