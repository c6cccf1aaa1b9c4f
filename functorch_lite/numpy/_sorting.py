"""Sorting, searching and cumulative ops: ``sort``, ``argsort``, ``cumsum``,
``quantile``, ``searchsorted``, ``unique``...

Built on the ``sort``/``argsort``/``searchsorted`` primitives
(:mod:`functorch_lite.ops.sorting`) and the ``cumsum``/``cumprod``/
``cummax``/``cummin`` primitives (:mod:`functorch_lite.ops.cumulative`).
Quantiles sort once and slice at positions computed from a concrete ``q``.
"""

from __future__ import annotations

import math
from typing import Any, Literal, cast, overload

import numpy as np

from functorch_lite import dtypes
from functorch_lite.array import Array
from functorch_lite.core import ConcretizationTypeError, Tracer
from functorch_lite.numpy._creation import arange, convert_checked, full
from functorch_lite.numpy._elementwise import (
    add,
    equal,
    isnan,
    less,
    logical_and,
    logical_not,
    multiply,
    not_equal,
    subtract,
    where,
)
from functorch_lite.numpy._indexing import basic_getitem, take
from functorch_lite.numpy._manipulation import concatenate, ravel, reshape, stack, transpose
from functorch_lite.numpy._reductions import sum as sum_
from functorch_lite.numpy._util import ArrayOrTracer, asarray, convert, normalize_axes, normalize_axis, promote_dtypes
from functorch_lite.ops import cumulative as cum
from functorch_lite.ops import shape_ops as so
from functorch_lite.ops import sorting as srt

__all__ = [
    "sort", "argsort", "cumsum", "cumprod", "nancumsum", "nancumprod", "cumulative_sum",
    "cumulative_prod", "median", "quantile", "percentile", "searchsorted", "unique",
    "unique_values", "sort_complex",
]


def _axis(axis: Any, ndim: int, name: str) -> int:
    try:
        return normalize_axis(axis, ndim)
    except ValueError:
        hint = (
            "; a 0-d array has no axes: pass axis=None to work on it as a 1-element array"
            if ndim == 0 else ""
        )
        raise ValueError(
            f"{name}: axis {axis} is out of bounds for an array of dimension {ndim}{hint}"
        ) from None


def _no_kind(name: str, kind: Any, order: Any) -> None:
    if kind is not None:
        raise TypeError(f"{name}: 'kind' is not supported; use stable=True or stable=False")
    if order is not None:
        raise TypeError(f"{name}: 'order' (structured arrays) is not supported")


def _flat(x: ArrayOrTracer) -> Any:
    return ravel(x)


# --- sort / argsort ----------------------------------------------------------------
def sort(a: Any, axis: int | None = -1, *, kind: Any = None, order: Any = None, stable: bool = True,
         descending: bool = False) -> Array:
    """Sorted copy along ``axis`` (``None`` sorts the flattened array).

    The sort is always stable (``stable=False`` is accepted and changes
    nothing); NaNs go last (first with ``descending=True``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.sort(jnp.array([[3, 1, 2], [0, 5, 4]])).tolist()
        [[1, 2, 3], [0, 4, 5]]
        >>> jnp.sort(jnp.array([2.0, float("nan"), 1.0]), descending=True).tolist()
        [nan, 2.0, 1.0]
    """
    _no_kind("sort", kind, order)
    x = asarray(a)
    if axis is None:
        x, d = _flat(x), 0
    else:
        d = _axis(axis, x.ndim, "sort")
    out: Array = srt.sort_p.bind(x, dimension=d, descending=bool(descending))
    return out


def argsort(a: Any, axis: int | None = -1, *, kind: Any = None, order: Any = None, stable: bool = True,
            descending: bool = False) -> Array:
    """Indices (int32) that sort ``a`` along ``axis`` (``None``: flattened).

    Stable by default: equal elements keep their order, also when
    ``descending=True``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.argsort(jnp.array([3, 1, 3, 0])).tolist()
        [3, 1, 0, 2]
        >>> jnp.argsort(jnp.array([3, 1, 3, 0]), descending=True).tolist()
        [0, 2, 1, 3]
    """
    _no_kind("argsort", kind, order)
    x = asarray(a)
    if axis is None:
        x, d = _flat(x), 0
    else:
        d = _axis(axis, x.ndim, "argsort")
    out: Array = srt.argsort_p.bind(x, dimension=d, descending=bool(descending), stable=bool(stable))
    return out


def sort_complex(a: Any) -> Array:
    """Sort along the last axis by real part, then imaginary part, giving a
    complex array of ``a``'s precision as JAX does (float32: complex64,
    integers: the default complex; NumPy gives complex128 for float32 and
    complex64 for 8/16-bit integers).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.sort_complex(jnp.array([1 + 2j, 1 - 1j, -3.0])).tolist()
        [(-3+0j), (1-1j), (1+2j)]
    """
    x = sort(asarray(a), axis=-1)
    return cast(Array, convert(x, dtypes.to_complex(x.dtype)))


# --- cumulative ---------------------------------------------------------------------
def _acc_dtype(x: ArrayOrTracer, dtype: Any) -> np.dtype[Any]:
    if dtype is not None:
        return dtypes.requested(dtype, "a reduction")
    return dtypes.accumulation_dtype(x.dtype)


def _scan(name: str, x: ArrayOrTracer, axis: int, dtype: Any) -> Any:
    dt = _acc_dtype(x, dtype)
    if x.dtype.kind == "c" and dt.kind not in "cb":
        x = convert_checked(x, dt, name)  # warns: the imaginary parts are dropped
    x = convert(x, dt, x.weak_type)
    if dt.kind == "b":
        # a boolean running sum/product is a running or/and
        prim = cum.cummax_p if name == "cumsum" else cum.cummin_p
    else:
        prim = cum.cumsum_p if name == "cumsum" else cum.cumprod_p
    return prim.bind(x, axis=axis, reverse=False)


def _numpy_axis(name: str, x: ArrayOrTracer, axis: Any) -> tuple[ArrayOrTracer, int]:
    """NumPy's cumsum axis rule: ``None`` flattens; a 0-d array is a 1-element one."""
    if axis is None:
        return (x, 0) if x.ndim == 1 else (_flat(x), 0)
    if x.ndim == 0:
        _axis(axis, 1, name)
        return _flat(x), 0
    return x, _axis(axis, x.ndim, name)


def cumsum(a: Any, axis: int | None = None, dtype: Any = None) -> Array:
    """Running sum along ``axis`` (``None``: of the flattened array).

    Booleans and 8/16-bit integers accumulate in int32 (the default int);
    other dtypes keep theirs.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.cumsum(jnp.array([[1, 2], [3, 4]]), axis=0).tolist()
        [[1, 2], [4, 6]]
    """
    x, ax = _numpy_axis("cumsum", asarray(a), axis)
    out: Array = _scan("cumsum", x, ax, dtype)
    return out


def cumprod(a: Any, axis: int | None = None, dtype: Any = None) -> Array:
    """Running product along ``axis`` (``None``: of the flattened array).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.cumprod(jnp.array([1, 2, 3, 4])).tolist()
        [1, 2, 6, 24]
    """
    x, ax = _numpy_axis("cumprod", asarray(a), axis)
    out: Array = _scan("cumprod", x, ax, dtype)
    return out


def _nan_to(x: ArrayOrTracer, value: float) -> Any:
    if x.dtype.kind not in "fc":  # a complex number is nan when either part is
        return x

    return where(isnan(x), value, x)


def nancumsum(a: Any, axis: int | None = None, dtype: Any = None) -> Array:
    """Running sum treating NaN as zero.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.nancumsum(jnp.array([1.0, float("nan"), 2.0])).tolist()
        [1.0, 1.0, 3.0]
    """
    return cumsum(_nan_to(asarray(a), 0.0), axis, dtype)


def nancumprod(a: Any, axis: int | None = None, dtype: Any = None) -> Array:
    """Running product treating NaN as one.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.nancumprod(jnp.array([2.0, float("nan"), 3.0])).tolist()
        [2.0, 2.0, 6.0]
    """
    return cumprod(_nan_to(asarray(a), 1.0), axis, dtype)


def _cumulative(name: str, x: Any, axis: int | None, dtype: Any, include_initial: bool) -> Any:
    v = asarray(x)
    if v.ndim == 0:
        raise ValueError(f"{name}: the input must have at least one dimension, got a 0-d array")
    if axis is None:
        if v.ndim != 1:
            raise ValueError(
                f"{name}: axis=None is only allowed for 1-D arrays, got shape {v.shape}; "
                "pass the axis to accumulate along"
            )
        axis = 0
    ax = _axis(axis, v.ndim, name)
    out = _scan("cumsum" if name == "cumulative_sum" else "cumprod", v, ax, dtype)
    if include_initial:
        identity = full((), 0 if name == "cumulative_sum" else 1, out.dtype)
        config = tuple((1 if i == ax else 0, 0, 0) for i in range(out.ndim))
        out = so.pad_p.bind(out, identity, padding_config=config)
    return out


def cumulative_sum(x: Any, /, *, axis: int | None = None, dtype: Any = None,
                   include_initial: bool = False) -> Array:
    """Array API running sum; ``include_initial`` prepends the zero.

    ``axis`` may be omitted only for 1-D input.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.cumulative_sum(jnp.array([1, 2, 3]), include_initial=True).tolist()
        [0, 1, 3, 6]
    """
    out: Array = _cumulative("cumulative_sum", x, axis, dtype, include_initial)
    return out


def cumulative_prod(x: Any, /, *, axis: int | None = None, dtype: Any = None,
                    include_initial: bool = False) -> Array:
    """Array API running product; ``include_initial`` prepends the one.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.cumulative_prod(jnp.array([[1, 2], [3, 4]]), axis=1).tolist()
        [[1, 2], [3, 12]]
    """
    out: Array = _cumulative("cumulative_prod", x, axis, dtype, include_initial)
    return out


# --- quantiles ------------------------------------------------------------------------
_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _concrete(name: str, q: Any) -> np.ndarray[Any, Any]:
    if isinstance(q, Tracer):
        raise ConcretizationTypeError(
            f"{name}: q must be concrete (the positions to slice depend on it), got a traced "
            f"value {q.aval.str_short()}; pass q as a Python number, list or NumPy array"
        )
    return np.asarray(q._numpy() if isinstance(q, Array) else q, dtype=np.float64)


def _take1(x: ArrayOrTracer, i: int) -> Any:
    """``x[..., i]`` as a view."""

    return basic_getitem(x, (Ellipsis, i))


def _at_position(s: ArrayOrTracer, n: int, q: float, method: str) -> Any:
    """The ``q``-quantile of each row of the sorted ``s`` (rows of length ``n``)."""

    pos = (n - 1) * q  # NumPy's virtual index
    lo = min(int(math.floor(pos)), n - 1)
    if method == "nearest":
        return _take1(s, min(round(pos), n - 1))  # ties to the even index, as NumPy
    if method == "lower" or pos == lo:
        return _take1(s, lo)
    if method == "higher":
        return _take1(s, lo + 1)
    t = 0.5 if method == "midpoint" else pos - lo
    a, b = _take1(s, lo), _take1(s, lo + 1)
    # NumPy's lerp, from the nearer end; equal ends (inf, inf) give that value
    # where NumPy's formula gives inf - inf = nan
    d = subtract(b, a)
    lerp = add(a, multiply(d, t)) if t < 0.5 else subtract(b, multiply(d, 1.0 - t))
    return where(equal(a, b), a, lerp)


def quantile(a: Any, q: Any, axis: Any = None, method: str = "linear", keepdims: bool = False, *,
             interpolation: str | None = None) -> Array:
    """The ``q``-th quantiles (``q`` in [0, 1], concrete) along ``axis``.

    ``method`` is ``"linear"`` (default), ``"lower"``, ``"higher"``,
    ``"midpoint"`` or ``"nearest"`` (NumPy's definitions).  The result has
    ``q``'s shape in front; integers give the default float; a NaN along
    the axis gives NaN.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> float(jnp.quantile(jnp.arange(5), 0.3))
        1.2000000476837158
        >>> jnp.quantile(jnp.array([[1.0, 2.0, 4.0]]), [0.0, 0.5], axis=1).tolist()
        [[1.0], [2.0]]
    """

    if interpolation is not None:
        method = interpolation
    if method not in _METHODS:
        raise ValueError(f"quantile: method must be one of {', '.join(_METHODS)}, got {method!r}")
    qs = _concrete("quantile", q)
    if np.isnan(qs).any() or (qs < 0).any() or (qs > 1).any():
        raise ValueError(f"quantile: q must be in the range [0, 1], got {qs.tolist()}")
    x = asarray(a)
    if x.dtype.kind == "c":
        raise TypeError(
            f"quantile (and median, percentile): complex input {x.dtype}{list(x.shape)} is not supported, "
            "as in JAX (NumPy's quantile refuses it too): take quantiles of jnp.real(x), jnp.abs(x) or another "
            "real key"
        )
    if x.dtype.kind != "f":
        x = convert(x, dtypes.default_float_dtype())
    axes = normalize_axes(axis, x.ndim)
    kept = [i for i in range(x.ndim) if i not in axes]
    out_shape = tuple(x.shape[i] for i in kept)
    keep_shape = tuple(1 if i in axes else d for i, d in enumerate(x.shape))
    final_shape = qs.shape + (keep_shape if keepdims else out_shape)
    n = 1
    for ax in axes:
        n *= x.shape[ax]
    if n == 0:
        return full(final_shape, float("nan"), x.dtype)
    if axes != tuple(range(x.ndim - len(axes), x.ndim)):
        x = transpose(x, tuple(kept) + axes)
    if len(axes) != 1:
        x = reshape(x, out_shape + (n,))
    s = srt.sort_p.bind(x, dimension=x.ndim - 1, descending=False)
    vals = [_at_position(s, n, float(qi), method) for qi in qs.reshape(-1)]
    res = vals[0] if qs.ndim == 0 else stack(vals, axis=0)
    # a NaN sorts last: it poisons the quantiles of its slice, as in NumPy
    last = _take1(s, n - 1)
    res = where(isnan(last), float("nan"), res)
    if res.shape != final_shape:
        res = reshape(res, final_shape)
    return res


def percentile(a: Any, q: Any, axis: Any = None, method: str = "linear", keepdims: bool = False, *,
               interpolation: str | None = None) -> Array:
    """The ``q``-th percentiles (``q`` in [0, 100], concrete); see :func:`quantile`.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> float(jnp.percentile(jnp.array([1.0, 2.0, 3.0, 4.0]), 50))
        2.5
    """
    qs = _concrete("percentile", q)
    if np.isnan(qs).any() or (qs < 0).any() or (qs > 100).any():
        raise ValueError(f"percentile: q must be in the range [0, 100], got {qs.tolist()}")
    return quantile(a, qs / 100.0, axis=axis, method=method, keepdims=keepdims, interpolation=interpolation)


def median(a: Any, axis: Any = None, keepdims: bool = False) -> Array:
    """The median along ``axis`` (mean of the two middle values for even counts).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.median(jnp.array([[4.0, 1.0, 2.0, 3.0]]), axis=1).tolist()
        [2.5]
    """
    return quantile(a, 0.5, axis=axis, keepdims=keepdims)


# --- searching ----------------------------------------------------------------------------
def searchsorted(a: Any, v: Any, side: str = "left", sorter: Any = None, *, method: Any = None) -> Array:
    """Indices (int32) where ``v`` would be inserted into the sorted 1-D ``a``.

    ``side="left"`` gives the first such index, ``"right"`` the last.  NaNs
    count as larger than every number (NumPy's sort order).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.searchsorted(jnp.array([1, 2, 2, 3]), jnp.array([2, 5])).tolist()
        [1, 4]
        >>> jnp.searchsorted(jnp.array([1, 2, 2, 3]), 2, side="right").tolist()
        3
    """

    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    s = asarray(a)
    keys = asarray(v)
    if s.ndim != 1:
        raise ValueError(f"searchsorted: a must be 1-D, got shape {s.shape}")
    if sorter is not None:  # as JAX: search a[sorter]
        order = asarray(sorter)
        if order.dtype.kind not in "iu" or order.shape != s.shape:
            raise ValueError(f"searchsorted: sorter must be an integer array of a's shape {s.shape} "
                             f"(e.g. jnp.argsort(a)), got {order.dtype} of shape {order.shape}")
        s = take(s, order)
    dt, _ = promote_dtypes(s, keys)
    s = convert(s, dt, False)
    keys = convert(keys, dt, False)
    out: Array = srt.searchsorted_p.bind(s, keys, side=side)
    return out


# --- unique -------------------------------------------------------------------------------
def _pad_to(r: np.ndarray[Any, Any], size: int, fill: Any) -> np.ndarray[Any, Any]:
    if r.shape[0] >= size:
        return r[:size]
    return np.concatenate([r, np.full(size - r.shape[0], fill, r.dtype)])


def _unique_traced(x: ArrayOrTracer, size: int, fill_value: Any, equal_nan: bool) -> Any:
    """Sorted unique values padded to ``size``, from primitives only: sort,
    replace repeats by a filler that sorts last, sort again, mask the tail."""

    flat = _flat(x)
    n = flat.shape[0]
    if n == 0:
        if fill_value is None:
            raise ValueError("unique: for empty input with size > 0, pass fill_value")
        return full((size,), fill_value, x.dtype)
    s = srt.sort_p.bind(flat, dimension=0, descending=False)
    new = not_equal(basic_getitem(s, slice(1, None)), basic_getitem(s, slice(None, -1)))
    if equal_nan and s.dtype.kind in "fc":  # complex: any nan part, as NumPy
        both_nan = logical_and(isnan(basic_getitem(s, slice(1, None))), isnan(basic_getitem(s, slice(None, -1))))
        new = logical_and(new, logical_not(both_nan))
    first = full((1,), True, dtypes.bool_)
    new = concatenate([first, new])
    filler: Any
    if s.dtype.kind == "c":
        filler = complex(float("nan"), float("nan"))  # sorts after every complex value (NumPy's order)
    elif s.dtype.kind == "f":
        filler = float("nan")  # NaN sorts after every value, also after +inf
    elif s.dtype.kind == "b":
        filler = True
    else:
        filler = int(np.iinfo(s.dtype).max)
    u = srt.sort_p.bind(where(new, s, full((), filler, s.dtype)), dimension=0, descending=False)
    if size > n:
        u = concatenate([u, full((size - n,), filler, s.dtype)])
    elif size < n:
        u = basic_getitem(u, slice(0, size))
    count = sum_(new)
    fill = basic_getitem(s, 0) if fill_value is None else convert(asarray(fill_value), s.dtype)
    return where(less(arange(size), count), u, fill)


@overload
def unique(ar: Any, return_index: Literal[False] = ..., return_inverse: Literal[False] = ...,
           return_counts: Literal[False] = ..., axis: int | None = ..., *, equal_nan: bool = ...,
           size: int | None = ..., fill_value: Any = ...) -> Array: ...
@overload
def unique(ar: Any, return_index: bool = ..., return_inverse: bool = ..., return_counts: bool = ...,
           axis: int | None = ..., *, equal_nan: bool = ..., size: int | None = ...,
           fill_value: Any = ...) -> Any: ...  # a tuple when a return_* flag is True
def unique(ar: Any, return_index: bool = False, return_inverse: bool = False, return_counts: bool = False,
           axis: int | None = None, *, equal_nan: bool = True, size: int | None = None,
           fill_value: Any = None) -> Array | tuple[Array, ...]:
    """Sorted unique elements (of the flattened array unless ``axis`` is given).

    The output length depends on the data, so the input must be concrete;
    inside a transform pass ``size=`` (the result is then cut or padded to
    that length with ``fill_value``, by default the smallest element).
    Index outputs are int32.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.unique(jnp.array([3, 1, 3, 2])).tolist()
        [1, 2, 3]
        >>> [r.tolist() for r in jnp.unique(jnp.array([3, 1, 3]), return_counts=True)]
        [[1, 3], [1, 2]]
        >>> jnp.unique(jnp.array([3, 1, 3]), size=4).tolist()
        [1, 3, 1, 1]
    """
    x = asarray(ar)
    if size is not None:
        size = int(size)
        if size < 0:
            raise ValueError(f"unique: size must be >= 0, got {size}")
    if isinstance(x, Tracer):
        if size is None:
            raise ConcretizationTypeError(
                f"unique: the number of unique elements of the traced value {x.aval.str_short()} "
                "depends on its data; pass size=... (and fill_value=...) to fix the output length"
            )
        if return_index or return_inverse or return_counts or axis is not None:
            raise NotImplementedError(
                "unique of a traced value supports only the values (no return_index/return_inverse/"
                "return_counts/axis); call it on a concrete array for those"
            )
        result: Array = _unique_traced(x, size, fill_value, equal_nan)
        return result
    arr = x._numpy()
    if axis is not None:
        axis = _axis(axis, arr.ndim, "unique")
    np_unique: Any = np.unique
    res = np_unique(arr, return_index=return_index, return_inverse=return_inverse,
                    return_counts=return_counts, axis=axis, equal_nan=equal_nan)
    parts = list(res) if isinstance(res, tuple) else [res]
    vals = parts[0]
    if size is not None:
        if vals.shape[0] == 0 and fill_value is None and size > 0:
            raise ValueError("unique: for empty input with size > 0, pass fill_value")
        fill = vals[0] if fill_value is None else fill_value
        if axis is None:
            vals = _pad_to(vals, size, fill)
        else:
            vals = np.moveaxis(_pad_to(np.moveaxis(vals, axis, 0), size, fill), 0, axis)
    out = [Array._wrap(np.array(vals, order="C"), x.weak_type)]
    names = [n for n, on in (("index", return_index), ("inverse", return_inverse),
                             ("counts", return_counts)) if on]
    for name, r in zip(names, parts[1:]):
        r = r.astype(dtypes.default_int_dtype())
        if size is not None and name != "inverse":
            r = _pad_to(r, size, 0 if name == "counts" or r.shape[0] == 0 else r[0])
        out.append(Array._wrap(np.array(r, order="C")))
    return out[0] if len(out) == 1 else tuple(out)


def unique_values(x: Any, /) -> Array:
    """Array API: the sorted unique elements of the flattened array (each NaN
    distinct, as the standard and JAX's ``unique_values``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.unique_values(jnp.array([[2, 1], [2, 2]])).tolist()
        [1, 2]
    """
    return unique(x, equal_nan=False)
