"""Indexing: basic indexing as views; integer-array and mask indexing as gathers.

``x[idx]`` follows NumPy: ints, slices, None and Ellipsis give views;
integer arrays, lists, boolean masks (concrete only) and traced integers
are *advanced* indices that broadcast together and become one ``gather``.
``x.at[idx].set/add/...`` become one ``scatter`` that returns a new array.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from functorch_lite.array import Array
from functorch_lite.core import Tracer, eager_only
from functorch_lite.numpy import _elementwise as ew
from functorch_lite.numpy._creation import arange, convert_checked, full
from functorch_lite.numpy._elementwise import concrete_nonzero, floor_divide, less, not_equal, remainder, where
from functorch_lite.numpy._manipulation import reshape, stack
from functorch_lite.numpy._util import (
    ArrayOrTracer,
    _scalar_array,
    asarray,
    broadcast_shapes,
    broadcast_to_shape,
    convert,
    normalize_axis,
)
from functorch_lite.ops import cumulative, sorting
from functorch_lite.ops import shape_ops as so
from functorch_lite.ops.along_axis import operands_fit, take_along_axis_p
from functorch_lite.ops.indexing import SCATTER_MODES, gather_p, scatter_p
from functorch_lite.ops.kernels.along_axis import take as _take_kernel

__all__ = ["nonzero", "take", "take_along_axis", "put_along_axis", "NonConcreteBooleanIndexError"]


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


def basic_getitem(x: ArrayOrTracer, idx: Any) -> Array:
    """``x[idx]`` for ints, slices (any step), None and Ellipsis: a view.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> basic_getitem(jnp.arange(6).reshape(2, 3), (None, -1, slice(None, None, -2))).shape
        (1, 2)
    """
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
            start, stop, step = it.indices(n)  # Python ints: huge bounds and steps clamp exactly
            count = len(range(start, stop, step))
            if count <= 1:
                # the step never applies to one element or none (and may not fit in int64)
                start, step = (start if count else 0), 1
            elif step < 0:
                rev_dims.append(dim)
                start, step = n - 1 - start, -step
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
    traced_or_not: Any = x  # a tracer is typed Array too (the public convention), without a cast's call
    out: Array = traced_or_not
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


def _eager_basic_view(x: Array, idx: Any) -> Array | None:
    """``x[idx]`` for Python ints and forward slices on a concrete Array,
    straight to the view ``basic_getitem``'s binds would make (same shape,
    strides and offset); None for anything else, which takes the general path
    (and its errors).  ``a[1:]`` on 10 elements: 4.7 -> ~1 us."""
    parts = idx if type(idx) is tuple else (idx,)
    shape, strides = x._shape, x._strides
    if not parts or len(parts) > len(shape):
        return None
    off = x._offset
    oshape: list[int] = []
    ostrides: list[int] = []
    for d, it in enumerate(parts):
        n, st = shape[d], strides[d]
        if type(it) is slice:
            start, stop, step = it.indices(n)
            if step < 0:
                return None
            count = len(range(start, stop, step))
            if count:
                off += start * st
            oshape.append(count)
            ostrides.append(st * step if count > 1 else st)
        elif type(it) is int:
            if not -n <= it < n:
                return None
            off += (it % n) * st
        else:
            return None
    k = len(parts)
    out_shape, out_strides = (*oshape, *shape[k:]), (*ostrides, *strides[k:])
    if out_shape == shape and out_strides == strides and off == x._offset:
        return x
    return x._view(out_shape, out_strides, off)


def getitem(x: Any, idx: Any, mode: str | None = None, fill_value: Any = None) -> Array:
    """``x[idx]``: basic indices give views, array indices gather copies.

    ``mode`` (what ``x.at[idx].get(mode=...)`` passes) is None for the
    default, where an out-of-range index raises ``IndexError``, or one of
    JAX's modes, which never raise for one: ``"clip"`` (and
    ``"promise_in_bounds"``, which JAX leaves undefined and clamps on CPU)
    clamp each index into range after wrapping negatives once; ``"fill"``
    gives ``fill_value`` there (default: NaN for floats, the dtype's minimum
    for signed integers, its maximum for unsigned ones, True for bool, as
    JAX).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> x = jnp.arange(6).reshape(2, 3)
        >>> x[:, ::2].storage() is x.storage(), x[[1, 0], -1].tolist()
        (True, [5, 2])
        >>> getitem(x, (1, jnp.array([0, 7])), mode="fill", fill_value=-1).tolist()
        [3, -1]
    """
    if mode is None and type(x) is Array and eager_only():
        view = _eager_basic_view(x, idx)
        if view is not None:
            return view
    x = asarray(x)
    mode = _check_mode("x.at[idx].get", mode)
    if mode is not None:
        out: Array = _gather_parsed(x, _parse(x.shape, idx, mode), mode, fill_value)
        return out
    parts = idx if isinstance(idx, tuple) else (idx,)
    if all(_is_basic(i) for i in parts):
        return basic_getitem(x, idx)
    return advanced_getitem(x, idx)


# --- JAX's out-of-range modes -------------------------------------------------------------

JAX_MODES = ("clip", "drop", "fill", "promise_in_bounds")


def _check_mode(what: str, mode: Any) -> str | None:
    if mode is None or mode in JAX_MODES:
        return mode  # type: ignore[no-any-return]
    raise ValueError(
        f"{what}: mode must be one of {JAX_MODES} (JAX's out-of-range modes) or None (the default: an "
        f"out-of-range index raises IndexError), got {mode!r}"
    )


def _default_fill(dt: np.dtype[Any]) -> Any:
    """JAX's fill for out-of-range gathers: NaN, the integer minimum (maximum
    if unsigned), True."""
    if dt.kind in "fc":
        return float("nan")  # complex: nan + 0j, as JAX
    if dt.kind == "b":
        return True
    info = np.iinfo(dt)
    return int(info.max if dt.kind == "u" else info.min)


def _in_range(p: _Parsed) -> Any:
    """Whether every advanced index of ``p`` is in range, over ``p.bshape``:
    a boolean ndarray or tracer, or None when all are (concretely)."""
    parts: list[Any] = []
    for d, a in p.adv.items():
        n = p.shape[d]
        if isinstance(a, Tracer):
            parts.append(ew.logical_and(ew.greater_equal(a, 0), ew.less(a, n)))
        else:
            ok = (a >= 0) & (a < n)
            if not ok.all():
                parts.append(ok)
    if not parts:
        return None
    if all(isinstance(q, np.ndarray) for q in parts):
        valid = np.logical_and.reduce(np.broadcast_arrays(*parts)) if len(parts) > 1 else parts[0]
        return np.broadcast_to(valid, p.bshape)
    out = parts[0]
    for q in parts[1:]:
        out = ew.logical_and(out, q)
    return broadcast_to_shape(asarray(out), p.bshape)


def _clamp(a: Any, n: int) -> Any:
    if isinstance(a, Tracer):
        return ew.clip(a, 0, max(n - 1, 0))
    return np.clip(a, 0, max(n - 1, 0))


def _where_index(valid: Any, a: Any, sentinel: int) -> Any:
    """Index ``a`` where ``valid``, else ``sentinel`` (over ``valid``'s shape)."""
    if isinstance(valid, np.ndarray) and isinstance(a, np.ndarray):
        return np.where(valid, a, sentinel)
    return where(asarray(valid), a, sentinel)


def _pad_axis(x: Any, axis: int) -> Any:
    """``x`` with one more (zero) entry at the end of ``axis``: the slot where
    out-of-range reads and writes are sent, so that no kernel ever sees an
    out-of-range index."""
    shape = tuple(1 if d == axis else s for d, s in enumerate(x.shape))
    return so.concatenate_p.bind(x, convert(full(shape, 0, x.dtype), x.dtype), dimension=axis)


def _gather_parsed(x: ArrayOrTracer, p: _Parsed, mode: str, fill_value: Any) -> Any:
    """``x.at[idx].get(mode=...)`` for a JAX ``mode``, from primitives: clamp
    the indices, gather, then (``"fill"``) put ``fill_value`` where an index
    was out of range."""
    valid = None
    pad: list[int] = []
    if p.adv:
        if mode in ("fill", "drop"):
            valid = _in_range(p)
            pad = [d for d in p.adv if p.shape[d] == 0]  # nothing to read: a padded slot, masked
            for d in pad:
                p.shape[d] = 1
        elif any(p.shape[d] == 0 for d in p.adv) and 0 not in p.bshape:
            raise IndexError(f"x.at[idx].get(mode={mode!r}): cannot clamp an index into an empty axis "
                             f"(array of shape {x.shape}); use mode='fill'")
        for d in list(p.adv):
            p.adv[d] = _clamp(p.adv[d], p.shape[d])
    fill = None
    if valid is not None:
        fill = _value_as(_default_fill(x.dtype) if fill_value is None else fill_value, x.dtype)
    return _gather_from(x, p, valid, fill, pad)


# --- advanced indexing --------------------------------------------------------------------

_VALID_INDICES = (
    "only integers, slices (`:`), ellipsis (`...`), None (`newaxis`) and integer or boolean "
    "arrays are valid indices"
)


class NonConcreteBooleanIndexError(IndexError):
    """A boolean mask index was a traced value, so the result's shape would depend on data."""


def _mask_error(mask: Any) -> NonConcreteBooleanIndexError:
    return NonConcreteBooleanIndexError(
        f"boolean mask indexing with a traced mask ({mask.aval.str_short()}) is not supported "
        "inside a transform: the result's shape would be data-dependent (it is the number of "
        "True entries). Use jnp.where(mask, x, other) to keep the shape (for updates too: "
        "jnp.where(mask, new, x) instead of x.at[mask].set(new)), or jnp.nonzero(mask, size=N) "
        "to get integer indices of a static size N"
    )


def _contains_tracer(v: Any) -> bool:
    if isinstance(v, Tracer):
        return True
    if isinstance(v, (list, tuple)):
        return any(_contains_tracer(e) for e in v)
    return False


def _index_dtype(n: int, *dts: np.dtype[Any]) -> np.dtype[Any]:
    if n > np.iinfo(np.int32).max or any(d == np.int64 for d in dts):
        return np.dtype(np.int64)
    return np.dtype(np.int32)


def _as_index_array(v: Any, what: str = "indices") -> Any:
    """An index array: ``np.ndarray`` when concrete, the tracer otherwise
    (integer or boolean dtype; anything else raises IndexError)."""
    if isinstance(v, Tracer):
        arr: Any = v
    elif isinstance(v, Array):
        arr = v._numpy()
    elif isinstance(v, (list, tuple)) and _contains_tracer(v):
        arr = stack([asarray(e) for e in v])
    else:
        try:
            # a copy: the caller may mutate their NumPy array later (a jit constant must not change)
            arr = np.array(v, copy=True)
        except (TypeError, ValueError) as e:
            raise IndexError(f"{_VALID_INDICES}; got {type(v).__name__}: {e}") from None
        if isinstance(v, (list, tuple)) and arr.size == 0:
            arr = arr.astype(np.int64)  # x[[]] selects nothing, as in NumPy
    if arr.dtype.kind not in "iub":
        raise IndexError(
            f"arrays used as {what} must be of integer (or boolean) type, got dtype {arr.dtype}; "
            "convert with .astype(int) if the values are whole numbers"
        )
    return arr


def _normalize_index(v: Any, n: int, axis: int, mode: str = "raise") -> Any:
    """Integer index array ``v`` into an axis of size ``n``, mapped into
    ``0 <= i < n``: negative indices wrap (``mode="raise"``, which checks
    concrete indices), or ``"clip"`` / ``"wrap"`` as ``numpy.take``.
    ``mode="jax"`` only wraps negative indices once and checks nothing: the
    caller then clamps or masks (JAX's ``clip``/``fill``/``drop`` modes)."""
    if isinstance(v, Tracer):
        dt = _index_dtype(n, v.dtype)
        t = convert(v, dt)
        if mode == "clip":
            return ew.clip(t, 0, max(n - 1, 0))
        if mode == "wrap":
            return ew.remainder(t, n) if n else t
        return ew.where(ew.less(t, 0), ew.add(t, n), t)
    a = np.asarray(v)
    if mode == "jax":
        a = a.astype(np.int64)
        return np.where(a < 0, a + n, a)
    if mode == "clip":
        return np.clip(a.astype(np.int64), 0, max(n - 1, 0))
    if mode == "wrap":
        return np.mod(a.astype(np.int64), n) if n else a
    if a.size:
        lo, hi = int(a.min()), int(a.max())
        if lo < -n or hi >= n:
            bad = lo if lo < -n else hi
            raise IndexError(f"index {bad} is out of bounds for axis {axis} with size {n}")
        if lo < 0:
            a = a.astype(np.int64)
            return np.where(a < 0, a + n, a)
    return a.astype(np.int64, copy=False)


class _Parsed:
    """A NumPy index resolved against a shape.

    The array is first given a size-1 axis for every ``None`` and boolean
    scalar (``shape`` is that expanded shape, ``new_axes`` where they are);
    then each axis has exactly one entry: a slice (``slices``) or a
    normalised integer index array (``adv``, in axis order, broadcast
    together to ``bshape``).  Integer scalars are 0-d index arrays.
    """

    __slots__ = ("shape", "new_axes", "slices", "adv", "bshape")

    def __init__(self) -> None:
        self.shape: list[int] = []
        self.new_axes: list[int] = []
        self.slices: dict[int, slice] = {}
        self.adv: dict[int, Any] = {}
        self.bshape: tuple[int, ...] = ()

    def adjacent(self) -> bool:
        """Whether the advanced indices are next to each other (NumPy then
        keeps their result dims in place instead of moving them first)."""
        p = list(self.adv)
        return bool(p) and p == list(range(p[0], p[0] + len(p)))


def _parse(shape: tuple[int, ...], idx: Any, mode: str | None = None) -> _Parsed:
    """``mode=None`` checks every integer index (IndexError when out of
    range); any JAX mode leaves them unchecked, negatives wrapped once (the
    caller clamps or masks them)."""
    raw = idx if isinstance(idx, tuple) else (idx,)
    items: list[tuple[str, Any]] = []
    for it in raw:
        if it is None:
            items.append(("new", None))
        elif it is Ellipsis:
            items.append(("ell", None))
        elif isinstance(it, slice):
            items.append(("slice", it))
        elif isinstance(it, (bool, np.bool_)):
            items.append(("bool0", bool(it)))
        elif isinstance(it, (int, np.integer)):
            items.append(("int", int(it)))
        elif isinstance(it, (Array, Tracer, np.ndarray, list, tuple)):
            arr = _as_index_array(it)
            if arr.dtype.kind == "b":
                if isinstance(arr, Tracer):
                    raise _mask_error(arr)
                items.append(("bool0", bool(arr)) if arr.ndim == 0 else ("mask", arr))
            else:
                items.append(("arr", arr))
        else:
            raise IndexError(f"{_VALID_INDICES}; got {type(it).__name__} {it!r}")
    if sum(1 for k, _ in items if k == "ell") > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    consumed = sum(v.ndim if k == "mask" else 1 for k, v in items if k in ("int", "arr", "slice", "mask"))
    ndim = len(shape)
    if consumed > ndim:
        raise IndexError(
            f"too many indices for array: array is {ndim}-dimensional, but {consumed} were indexed"
        )
    expanded: list[tuple[str, Any]] = []
    for k, v in items:
        if k == "ell":
            expanded.extend([("slice", slice(None))] * (ndim - consumed))
        else:
            expanded.append((k, v))
    if not any(k == "ell" for k, _ in items):
        expanded.extend([("slice", slice(None))] * (ndim - consumed))

    p = _Parsed()
    xdim = 0
    for k, v in expanded:
        pos = len(p.shape)
        if k in ("new", "bool0"):
            p.new_axes.append(pos)
            p.shape.append(1)
            if k == "new":
                p.slices[pos] = slice(None)
            else:  # x[True] / x[False]: a new axis indexed by [0] or []
                p.adv[pos] = np.zeros(1 if v else 0, np.int64)
            continue
        if k == "mask":
            m = v.ndim
            for j in range(m):
                # an empty mask axis (size 0) selects nothing along any axis (NumPy, JAX, the Array API)
                if v.shape[j] != shape[xdim + j] and v.shape[j] != 0:
                    raise IndexError(
                        f"boolean index did not match indexed array along axis {xdim + j}; size of "
                        f"axis is {shape[xdim + j]} but size of corresponding boolean axis is {v.shape[j]}"
                    )
            for j, nz in enumerate(np.nonzero(v)):
                p.adv[pos + j] = nz.astype(np.int64)
                p.shape.append(shape[xdim + j])
            xdim += m
            continue
        n = shape[xdim]
        p.shape.append(n)
        if k == "slice":
            p.slices[pos] = v
        elif k == "int":
            if mode is None and not -n <= v < n:
                raise IndexError(f"index {v} is out of bounds for axis {xdim} with size {n}")
            p.adv[pos] = np.asarray(v + n if v < 0 else v, np.int64)
        else:
            p.adv[pos] = _normalize_index(v, n, xdim, "raise" if mode is None else "jax")
        xdim += 1
    if p.adv:
        try:
            p.bshape = broadcast_shapes(*(a.shape for a in p.adv.values()), name="indexing")
        except ValueError:
            shapes = " ".join(str(tuple(a.shape)) for a in p.adv.values())
            raise IndexError(
                f"shape mismatch: indexing arrays could not be broadcast together with shapes {shapes}"
            ) from None
    return p


def _index_matrix(cols: list[Any], batch: tuple[int, ...]) -> ArrayOrTracer:
    """Stack index columns (each broadcastable to ``batch``) into the
    ``(*batch, k)`` integer array that gather/scatter take."""
    if not any(isinstance(c, Tracer) for c in cols):
        if len(cols) == 1:
            return Array._wrap(np.broadcast_to(cols[0], batch)[..., None])
        if not cols:
            return Array._wrap(np.zeros(batch + (0,), np.int64))
        return Array._wrap(np.stack([np.broadcast_to(c, batch) for c in cols], axis=-1))
    dt = _index_dtype(0, *(c.dtype for c in cols))
    parts: list[ArrayOrTracer] = []
    for c in cols:
        t = convert(asarray(c), dt)
        if t.shape != batch:
            t = broadcast_to_shape(t.reshape(((1,) * (len(batch) - t.ndim)) + t.shape), batch)
        parts.append(so.expand_dims_p.bind(t, dimensions=(len(batch),)))
    if len(parts) == 1:
        return parts[0]
    out: ArrayOrTracer = so.concatenate_p.bind(*parts, dimension=len(batch))
    return out


def _transpose(x: Any, perm: list[int]) -> Any:
    if perm == list(range(len(perm))):
        return x
    return so.transpose_p.bind(x, permutation=tuple(perm))


def advanced_getitem(x: ArrayOrTracer, idx: Any) -> Array:
    """``x[idx]`` with integer arrays, boolean masks or traced integers,
    mixed with slices, ints, None and Ellipsis (NumPy's rules).

    Slices are applied first as a view; the advanced indices then become one
    ``gather`` over the indexed axes.  Their broadcast shape goes where the
    first advanced index was when they are adjacent, else first.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> x = jnp.arange(12).reshape(3, 4)
        >>> x[jnp.array([2, -3]), 1:3].tolist()
        [[9, 10], [1, 2]]
        >>> x[x > 8].tolist()
        [9, 10, 11]
    """
    out: Array = _gather_from(x, _parse(x.shape, idx), None, None, [])
    return out


def _gather_from(x: ArrayOrTracer, p: _Parsed, valid: Any, fill: Any, pad: list[int]) -> Any:
    """The gather of a parsed index (its advanced indices in range); where
    ``valid`` (over the index shape) is False, ``fill`` instead.  ``pad``:
    axes (of the expanded shape) to give one more slot first."""
    y: Any = x
    if p.new_axes:
        y = so.expand_dims_p.bind(y, dimensions=tuple(p.new_axes))
    for d in pad:
        y = _pad_axis(y, d)
    sl = tuple(p.slices.get(d, slice(None)) for d in range(len(p.shape)))
    if any(s != slice(None) for s in sl):
        y = basic_getitem(y, sl)
    if not p.adv:
        return y
    adv = list(p.adv)
    rest = [d for d in range(y.ndim) if d not in p.adv]
    y = _transpose(y, adv + rest)
    out = gather_p.bind(y, _index_matrix(list(p.adv.values()), p.bshape))
    nb = len(p.bshape)
    if valid is not None:
        mask = reshape(asarray(valid), p.bshape + (1,) * len(rest))
        out = where(mask, out, fill)
    if p.adjacent() and adv[0] > 0:
        first = adv[0]
        out = _transpose(out, [nb + i for i in range(first)] + list(range(nb))
                         + [nb + i for i in range(first, len(rest))])
    return out


def _fit_value(v: ArrayOrTracer, shape: tuple[int, ...], what: str) -> ArrayOrTracer:
    """Broadcast ``v`` to ``shape`` (dropping extra leading size-1 axes, as
    NumPy's assignment does)."""
    if v.ndim > len(shape):
        extra = v.ndim - len(shape)
        if any(d != 1 for d in v.shape[:extra]):
            raise ValueError(f"{what}: value of shape {v.shape} cannot be broadcast to the indexed shape {shape}")
        v = so.reshape_p.bind(v, new_sizes=v.shape[extra:])
    try:
        ok = broadcast_shapes(v.shape, shape, name=what) == shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"{what}: value of shape {v.shape} cannot be broadcast to the indexed shape {shape}")
    return broadcast_to_shape(v, shape)


def _value_as(value: Any, dtype: np.dtype[Any]) -> ArrayOrTracer:
    """``value`` cast to ``dtype``; a Python float meets a float dtype
    exactly (not through the float32 of a weak scalar)."""
    if type(value) is float and dtype.kind == "f":
        return _scalar_array(value, dtype)
    return convert_checked(asarray(value), dtype, "at[]")  # complex into a real array warns


_AT_NAMES = {"set": "set", "add": "add", "mul": "multiply", "min": "min", "max": "max", "pow": "power"}


def at_update(x: Any, idx: Any, value: Any, mode: str, oob: str | None = None) -> Array:
    """``x.at[idx].set/add/multiply/min/max(value)``: a new array; ``x`` is unchanged.

    Works for basic and advanced indices; ``value`` is broadcast to the
    shape of ``x[idx]`` and cast to ``x.dtype`` (the result keeps x's dtype,
    as in JAX).  Repeated indices accumulate for add/multiply/min/max; for
    set the last write wins.  Everything becomes one ``scatter``: partial
    slices turn into index ranges, whole axes stay as contiguous rows.

    ``oob`` is the ``mode=`` of the ``.at`` method: None (an out-of-range
    index raises ``IndexError``) or one of JAX's modes: ``"clip"`` clamps each
    index into range (after wrapping negatives once); ``"drop"``, ``"fill"``
    and ``"promise_in_bounds"`` (undefined in JAX, which drops on CPU) drop
    the updates whose index is out of range.  They go to one extra slot past
    the end of the first indexed axis, sliced off afterwards, so no kernel
    ever writes out of range, under ``jit`` and ``vmap`` too.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> x = jnp.zeros(4, dtype="int32")
        >>> x.at[jnp.array([0, 2, 0])].add(5).tolist()
        [10, 0, 5, 0]
        >>> x.at[1:].set(7).tolist(), x.tolist()
        ([0, 7, 7, 7], [0, 0, 0, 0])
        >>> x.at[jnp.array([1, 9])].set(3, mode="drop").tolist()
        [0, 3, 0, 0]
    """
    if oob is None and type(x) is Array and type(idx) is tuple and mode in SCATTER_MODES and eager_only():
        fast = _at_integer_rows(x, idx, value, mode)
        if fast is not None:
            return fast
    if mode == "pow":
        result: Array = _at_power(asarray(x), idx, value, oob)
        return result
    if mode not in SCATTER_MODES:
        raise ValueError(f"at_update: mode must be one of {SCATTER_MODES} or 'pow', got {mode!r}")
    x = asarray(x)
    what = f"x.at[...].{_AT_NAMES[mode]}"
    oob = _check_mode(what, oob)
    p = _parse(x.shape, idx, oob)
    drop_slot = nothing = False
    if oob is not None and p.adv:
        nothing = any(p.shape[d] == 0 for d in p.adv)  # no element to write: x is the answer
        if oob == "clip":
            for d in list(p.adv):
                p.adv[d] = _clamp(p.adv[d], p.shape[d])
        else:
            valid = _in_range(p)
            if valid is not None and not nothing:
                drop_slot = True
                first = next(iter(p.adv))
                for d in list(p.adv):
                    p.adv[d] = _where_index(valid, p.adv[d], p.shape[d] if d == first else 0)
    nd = len(p.shape)
    adv = list(p.adv)
    slice_dims = [d for d in range(nd) if d not in p.adv]
    partial: list[tuple[int, np.ndarray[Any, Any]]] = []
    full: list[int] = []
    lens: dict[int, int] = {}
    for d in slice_dims:
        start, stop, step = p.slices[d].indices(p.shape[d])
        cnt = len(range(start, stop, step))
        lens[d] = cnt
        if start == 0 and step == 1 and cnt == p.shape[d]:
            full.append(d)
        else:
            partial.append((d, start + step * np.arange(cnt, dtype=np.int64)))
    # the shape of x[idx], and where each of its axes comes from
    nb = len(p.bshape)
    if adv and p.adjacent():
        before = [d for d in slice_dims if d < adv[0]]
        order: list[Any] = before + ["B"] + [d for d in slice_dims if d > adv[0]]
    else:
        order = ["B"] + slice_dims
    rshape: list[int] = []
    rpos: dict[int, int] = {}
    bpos: list[int] = []
    for o in order:
        if o == "B":
            bpos = list(range(len(rshape), len(rshape) + nb))
            rshape.extend(p.bshape)
        else:
            rpos[o] = len(rshape)
            rshape.append(lens[o])
    v = _fit_value(_value_as(value, x.dtype), tuple(rshape), what)
    if nothing:
        result = x
        return result
    v = _transpose(v, bpos + [rpos[d] for d, _ in partial] + [rpos[d] for d in full])

    xp: Any = x
    if p.new_axes:
        xp = so.expand_dims_p.bind(xp, dimensions=tuple(p.new_axes))
    xperm = adv + [d for d, _ in partial] + full
    xt = _transpose(xp, xperm)
    if drop_slot:
        n_first = xt.shape[0]
        xt = _pad_axis(xt, 0)
    npart = len(partial)
    batch = p.bshape + tuple(len(r) for _, r in partial)
    cols: list[Any] = []
    for a in p.adv.values():
        if isinstance(a, Tracer):
            a = broadcast_to_shape(a, p.bshape)
            cols.append(so.reshape_p.bind(a, new_sizes=p.bshape + (1,) * npart) if npart else a)
        else:
            cols.append(np.broadcast_to(a, p.bshape).reshape(p.bshape + (1,) * npart))
    for j, (_, r) in enumerate(partial):
        cols.append(r.reshape((1,) * (nb + j) + (len(r),) + (1,) * (npart - j - 1)))
    out = scatter_p.bind(xt, _index_matrix(cols, batch), v, mode=mode)
    if drop_slot:
        out = basic_getitem(out, slice(0, n_first))
    inv = [0] * nd
    for i, d in enumerate(xperm):
        inv[d] = i
    out = _transpose(out, inv)
    if p.new_axes:
        out = so.squeeze_p.bind(out, dimensions=tuple(p.new_axes))
    result = out
    return result


def _at_integer_rows(x: Array, idx: tuple[Any, ...], value: Any, mode: str) -> Array | None:
    """``x.at[i0, i1, ...].<mode>(value)`` with one plain integer Array of one
    shape per axis of ``x`` (``z.at[rows, labels].add(g)``), no transform active:
    the scatter the general path ends in, without its parsing (58 -> 30 us for
    128 updates).  None where the case is not that one, or an index is out of
    range: the general path then runs, and raises its own error."""
    if len(idx) != len(x._shape) or not idx or type(idx[0]) is not Array:
        return None
    shape = idx[0]._shape
    for i in idx:
        if type(i) is not Array or i._dtype.kind not in "iu" or i._shape != shape:
            return None
    cols = np.stack([i._numpy() for i in idx], axis=-1).astype(np.int64, copy=False)
    neg = cols < 0
    if neg.any():
        cols = cols + neg * np.asarray(x._shape, np.int64)  # negatives wrap once
    v = _fit_value(_value_as(value, x._dtype), shape, f"x.at[...].{_AT_NAMES[mode]}")
    try:
        out: Array = scatter_p.impl(x, Array._wrap(cols), v, mode=mode)  # type: ignore[misc]
    except IndexError:
        return None
    return out


def _at_power(x: ArrayOrTracer, idx: Any, value: Any, oob: str | None) -> Any:
    """``x.at[idx].power(v)``: ``x ** v`` at the indexed positions.  A
    position indexed several times gets ``x ** (v1 * v2 * ...)`` (one
    ``mul`` scatter of the exponents), JAX's repeated ``(x ** v1) ** v2``
    for positive ``x`` and for integer exponents, up to rounding."""
    expo = at_update(full(x.shape, 1, x.dtype), idx, value, "mul", oob)
    touched = at_update(full(x.shape, False, np.dtype(bool)), idx, True, "set", oob)
    return where(touched, ew.power(x, expo), x)


# --- take / take_along_axis / put_along_axis ------------------------------------------------

_TAKE_MODES = (None, "raise", "clip", "wrap", "fill")


def take(a: Any, indices: Any, axis: int | None = None, mode: str | None = None, *,
         fill_value: Any = None, unique_indices: bool = False, indices_are_sorted: bool = False) -> Array:
    """Elements of ``a`` at ``indices`` along ``axis`` (flattened when None).

    ``mode=None``/``"raise"``: negative indices wrap once, out of range raises
    ``IndexError`` (JAX's default is ``"fill"``: we never give a silent
    value for a bad index unless asked); ``"clip"`` clips into range
    (negative -> 0, as NumPy and JAX); ``"wrap"`` takes indices modulo the
    axis size; ``"fill"`` (JAX's) wraps negatives once and gives
    ``fill_value`` for an index still out of range (default: NaN for
    floats, the dtype's minimum for signed integers, its maximum for
    unsigned ones, True for bool).  ``unique_indices`` and
    ``indices_are_sorted`` are JAX's hints, accepted and unused.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> x = jnp.array([[1, 2, 3], [4, 5, 6]])
        >>> jnp.take(x, jnp.array([2, 0]), axis=1).tolist()
        [[3, 1], [6, 4]]
        >>> jnp.take(x, jnp.array([7, -1]), mode="clip").tolist()
        [6, 1]
        >>> jnp.take(x, jnp.array([7, -1]), mode="fill", fill_value=0).tolist()
        [0, 6]
    """
    if mode not in _TAKE_MODES:
        raise ValueError(f"take: mode must be one of 'raise', 'clip', 'wrap', 'fill', got {mode!r}")
    x = asarray(a)
    if axis is None:
        x = so.reshape_p.bind(x, new_sizes=(x.size,)) if x.ndim != 1 else x
        ax = 0
    else:
        ax = normalize_axis(axis, x.ndim)
    n = x.shape[ax]
    i = _as_index_array(indices)
    if i.dtype.kind == "b":
        raise TypeError(f"take: indices must be integers, got dtype {i.dtype}")
    if mode == "fill":
        return getitem(x, (slice(None),) * ax + (i,), "fill", fill_value)
    if mode in ("clip", "wrap") and n == 0 and i.size:
        raise IndexError(f"take: cannot do a non-empty take from an empty axis ({ax} of shape {x.shape})")
    i = _normalize_index(i, n, ax, mode or "raise")
    xt = _transpose(x, [ax] + [d for d in range(x.ndim) if d != ax])
    out = gather_p.bind(xt, _index_matrix([i], tuple(i.shape)))
    ni = i.ndim
    nrest = x.ndim - 1
    result: Array = _transpose(out, [ni + j for j in range(ax)] + list(range(ni)) + [ni + j for j in range(ax, nrest)])
    return result


def _along_indices(name: str, x: ArrayOrTracer, indices: Any, ax: int) -> tuple[Any, tuple[int, ...]]:
    """The index array of a ``*_along_axis`` call, checked, and the shape both
    it and ``x`` (outside ``ax``) broadcast to."""
    i = _as_index_array(indices)
    if i.dtype.kind == "b":
        raise IndexError(f"{name}: indices must be integers, got dtype {i.dtype}")
    if i.ndim != x.ndim:
        raise ValueError(
            f"{name}: indices and arr must have the same number of dimensions, got indices shape "
            f"{tuple(i.shape)} for arr shape {x.shape}"
        )
    shape_1 = tuple(1 if d == ax else s for d, s in enumerate(x.shape))
    try:
        return i, broadcast_shapes(tuple(i.shape), shape_1, name=name)
    except ValueError:
        raise ValueError(
            f"{name}: indices of shape {tuple(i.shape)} do not broadcast against arr of shape {x.shape} "
            f"outside axis {ax}"
        ) from None


def _along_axis(name: str, x: ArrayOrTracer, indices: Any, axis: int | None,
                mode: str | None = None) -> tuple[Any, Any, tuple[int, ...], Any]:
    if axis is None:
        x = so.reshape_p.bind(x, new_sizes=(x.size,)) if x.ndim != 1 else x
        ax = 0
    else:
        ax = normalize_axis(axis, x.ndim)
    i, bshape = _along_indices(name, x, indices, ax)
    n = x.shape[ax]
    valid = None
    if mode is None:
        i = _normalize_index(i, n, ax)
    else:
        if mode != "promise_in_bounds":  # JAX wraps negatives once, except with this promise
            i = _normalize_index(i, n, ax, "jax")
        elif not isinstance(i, Tracer):
            i = np.asarray(i, np.int64)
        if mode in ("fill", "drop"):
            p = _Parsed()
            p.shape, p.adv, p.bshape = [n], {0: i}, tuple(i.shape)
            valid = _in_range(p)
            if n == 0:
                x = _pad_axis(x, ax)
                n = 1
        elif n == 0 and i.size:
            raise IndexError(f"{name}(mode={mode!r}): cannot clamp an index into an empty axis "
                             f"(axis {ax} of shape {x.shape}); use mode='fill'")
        i = _clamp(i, n)
    nd = x.ndim
    cols: list[Any] = []
    for d in range(nd):
        if d == ax:
            cols.append(i)
        else:
            r = np.arange(x.shape[d], dtype=np.int64) if x.shape[d] == bshape[d] else np.zeros(1, np.int64)
            cols.append(r.reshape((1,) * d + (-1,) + (1,) * (nd - d - 1)))
    return x, _index_matrix(cols, bshape), bshape, valid


def _take_along(a: ArrayOrTracer, indices: Any, ax: int) -> Array:
    """The one-kernel path (ops/along_axis.py): both broadcast outside ``ax``,
    negative indices wrapped and the rest checked by the kernel itself."""
    i, bshape = _along_indices("take_along_axis", a, indices, ax)
    xshape = bshape[:ax] + (a.shape[ax],) + bshape[ax + 1:]
    out: Array = take_along_axis_p.bind(broadcast_to_shape(a, xshape), broadcast_to_shape(asarray(i), bshape),
                                        axis=ax)
    return out


def take_along_axis(arr: Any, indices: Any, axis: int | None = -1, mode: str | None = None,
                    fill_value: Any = None) -> Array:
    """``out[..., j, ...] = arr[..., indices[..., j, ...], ...]`` along ``axis``
    (``arr`` and ``indices`` broadcast against each other outside ``axis``;
    ``axis`` defaults to -1 as in NumPy 2.3+ and the Array API; JAX requires it).

    ``mode=None``: an out-of-range index raises ``IndexError`` (JAX's default
    is ``"fill"``); JAX's modes: ``"clip"`` (negatives wrap once, then clamp),
    ``"fill"`` (``fill_value`` where out of range, default as
    :func:`take`), ``"promise_in_bounds"`` (as JAX on CPU: clamp, negatives
    unwrapped).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> x = jnp.array([[10, 30, 20], [60, 40, 50]])
        >>> jnp.take_along_axis(x, jnp.array([[0, 2, 1], [1, 2, 0]]), axis=1).tolist()
        [[10, 20, 30], [40, 50, 60]]
        >>> jnp.take_along_axis(x, jnp.array([[5], [-1]]), axis=1, mode="fill", fill_value=0).tolist()
        [[0], [50]]
    """
    if (mode is None and type(arr) is Array and type(indices) is Array and type(axis) is int
            and -arr.ndim <= axis < arr.ndim and eager_only()):
        # plain Arrays, no transform active, no broadcasting needed: what the primitive's
        # impl runs (its kernel checks the indices); the general path below costs 3 us more
        ax = axis % arr.ndim
        if operands_fit(arr, indices, ax):  # the impl's own test: its kernel straight away
            return Array._wrap(_take_kernel(arr._numpy(), indices._numpy(), ax), arr.weak_type)
    mode = _check_mode("take_along_axis", mode)
    a = asarray(arr)
    if mode is None and axis is not None:
        return _take_along(a, indices, normalize_axis(axis, a.ndim))
    x, idx, bshape, valid = _along_axis("take_along_axis", a, indices, axis, mode)
    out = gather_p.bind(x, idx)
    if valid is None:
        result: Array = out
        return result
    fill = _value_as(_default_fill(a.dtype) if fill_value is None else fill_value, a.dtype)
    return where(asarray(valid), out, fill)


def put_along_axis(arr: Any, indices: Any, values: Any, axis: int | None, mode: str = "set") -> Array:
    """A copy of ``arr`` with ``values`` put at ``indices`` along ``axis``
    (the functional ``numpy.put_along_axis``; ``mode`` may also be
    ``"add"``, ``"mul"``, ``"min"`` or ``"max"`` to combine instead).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> x = jnp.zeros((2, 3), dtype="int32")
        >>> jnp.put_along_axis(x, jnp.array([[2], [0]]), 7, axis=1).tolist()
        [[0, 0, 7], [7, 0, 0]]
    """
    if mode not in SCATTER_MODES:
        raise ValueError(f"put_along_axis: mode must be one of {SCATTER_MODES}, got {mode!r}")
    a = asarray(arr)
    x, idx, bshape, _ = _along_axis("put_along_axis", a, indices, axis)
    v = _fit_value(_value_as(values, x.dtype), bshape, "put_along_axis")
    out = scatter_p.bind(x, idx, v, mode=mode)
    if axis is None and a.ndim != 1:
        out = so.reshape_p.bind(out, new_sizes=a.shape)
    result: Array = out
    return result


def nonzero(a: Any, size: int | None = None, fill_value: Any = None) -> tuple[Array, ...]:
    """Indices of the nonzero elements, one array per axis, in C order.

    Without ``size`` the input must be concrete (the output length depends on
    its values).  ``size`` fixes that length, as in JAX: the first ``size``
    indices, padded with ``fill_value`` (default 0; one integer, or one per
    axis) when there are fewer; with it, ``nonzero`` works under ``jit``,
    ``vmap`` and ``grad``.  Indices are int32 (int64 for arrays of 2**31
    elements or more, or for a fill value beyond int32).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> [i.tolist() for i in jnp.nonzero(jnp.array([0, 3, 0, 4]))]
        [[1, 3]]
        >>> [i.tolist() for i in jnp.nonzero(jnp.array([0, 3, 0, 4]), size=3, fill_value=-1)]
        [[1, 3, -1]]
    """
    x = asarray(a)
    if x.ndim == 0 or (size is None and fill_value is None):
        return concrete_nonzero(x)  # or its error for a 0-d or traced array
    if size is None:
        raise ValueError("nonzero: fill_value only applies with size=...; pass size too")
    n_out = _nonzero_size(size)
    fills = _nonzero_fills(fill_value, x.ndim)
    big = x.size > _INT32_MAX or any(not -_INT32_MAX - 1 <= f <= _INT32_MAX for f in fills)
    idt = np.dtype(np.int64) if big else np.dtype(np.int32)
    if isinstance(x, Tracer):
        return _nonzero_traced(x, n_out, fills, idt)
    out = []
    for r, f in zip(np.nonzero(x._numpy()), fills):
        pad = np.full(max(0, n_out - r.shape[0]), f, idt)
        out.append(Array._wrap(np.concatenate([r[:n_out].astype(idt), pad])))
    return tuple(out)


_INT32_MAX = 2**31 - 1


def _nonzero_size(size: Any) -> int:
    try:
        n = operator.index(size)
    except TypeError:
        raise TypeError(
            f"nonzero: size must be a concrete non-negative integer, got {type(size).__name__}"
        ) from None
    if n < 0:
        raise ValueError(f"nonzero: size must be non-negative, got {n}")
    return n


def _nonzero_fills(fill_value: Any, ndim: int) -> list[int]:
    vals = [0] * ndim if fill_value is None else fill_value
    if not isinstance(vals, (tuple, list)):
        vals = [vals] * ndim
    if len(vals) != ndim:
        raise ValueError(
            f"nonzero: fill_value must be one integer or one per axis ({ndim}), got {len(vals)} values"
        )
    try:
        fills = [operator.index(v) for v in vals]
    except TypeError:
        raise TypeError(f"nonzero: fill_value must be integers, got {fill_value!r}") from None
    for f in fills:
        if not -(2**63) <= f < 2**63:
            raise OverflowError(f"nonzero: fill_value {f} does not fit in int64")
    return fills


def _nonzero_traced(x: ArrayOrTracer, size: int, fills: list[int], idt: np.dtype[Any]) -> tuple[Any, ...]:
    """nonzero with a static output length, from primitives: the j-th nonzero
    element is the first position where the running count of nonzeros reaches j
    (``cumsum_p`` and ``searchsorted_p`` bound directly: the API functions for
    them live in ``_sorting``, which builds on this module)."""
    n = x.size
    if size == 0 or n == 0:
        return tuple(full((size,), f, idt) for f in fills)
    flat = reshape(x, (n,))
    mask = flat if flat.dtype.kind == "b" else not_equal(flat, 0)
    counts = cumulative.cumsum_p.bind(convert(mask, idt), axis=0, reverse=False)
    pos = convert(sorting.searchsorted_p.bind(counts, arange(1, size + 1, dtype=idt), side="left"), idt)
    found = less(pos, n)  # searchsorted gives n past the last nonzero
    out = []
    stride = n
    for dim, f in zip(x.shape, fills):
        stride //= dim
        coord = remainder(floor_divide(pos, stride), dim)
        out.append(where(found, coord, f))
    return tuple(out)
