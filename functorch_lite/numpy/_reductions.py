"""Reductions: ``sum``, ``mean``, ``var``, ``max``, ``argmax``, ``logsumexp``..."""

from __future__ import annotations

import builtins
from typing import Any, cast

import numpy as np

from functorch_lite import dtypes
from functorch_lite.array import Array
from functorch_lite.core import eager_only
from functorch_lite.numpy._creation import _warn_complex_to_real, array, full
from functorch_lite.numpy._elementwise import (
    add,
    equal,
    exp,
    imag,
    isclose,
    isfinite,
    isnan,
    log,
    logical_and,
    logical_or,
    maximum,
    minimum,
    multiply,
    not_equal,
    real,
    sqrt,
    subtract,
    true_divide,
    where,
)
from functorch_lite.numpy._manipulation import ravel, reshape
from functorch_lite.numpy._util import (
    ArrayOrTracer,
    asarray,
    broadcast_to_shape,
    convert,
    normalize_axes,
    normalize_axis,
    promote_to_float,
)
from functorch_lite.ops import reductions as red
from functorch_lite.ops import shape_ops as so
from functorch_lite.ops import sorting as srt
from functorch_lite.ops.elementwise import stop_gradient_p
from functorch_lite.ops.kernels.reductions import sum_ as sum_kernel
from functorch_lite.ops.reductions import reduce_max_p

__all__ = [
    "sum", "prod", "mean", "var", "std", "max", "min", "amax", "amin", "argmax", "argmin",
    "all", "any", "ptp", "average", "logsumexp", "softmax", "log_softmax", "count_nonzero",
    "allclose", "array_equal",
]


def _keep(out: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    if keepdims and axes:
        return so.expand_dims_p.bind(out, dimensions=axes)
    return out


def _acc_dtype(x: ArrayOrTracer, dtype: Any) -> Any:
    if dtype is not None:
        return _requested_from(x, dtype, "a reduction")
    return dtypes.accumulation_dtype(x.dtype)


def _requested_from(x: ArrayOrTracer, dtype: Any, where: str) -> Any:
    """``dtype=`` of a reduction; a real dtype for complex data warns (the
    imaginary parts are dropped first, as JAX; NumPy refuses the cast)."""
    dt = dtypes.requested(dtype, where)
    if x.dtype.kind == "c" and dt.kind not in "cb":
        _warn_complex_to_real(where, dt, x.dtype)
    return dt


def _reduce(prim: Any, x: ArrayOrTracer, axes: tuple[int, ...]) -> Any:
    if not axes:
        return x
    return prim.bind(x, axes=axes)


_ALL_AXES = [tuple(range(n)) for n in range(65)]


def sum(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False, initial: Any = None) -> Array:  # noqa: A001
    """Sum over ``axis`` (int, tuple or None for all); small ints sum as int32.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.sum(jnp.arange(6).reshape(2, 3), axis=0).tolist()
        [3, 5, 7]
    """
    if (type(a) is Array and axis is None and dtype is None and initial is None and a._shape
            and a._dtype.kind in "fc" and eager_only()):
        # the whole-array float sum, eagerly: the kernel reduce_sum's impl runs, minus the dispatch
        axes = _ALL_AXES[len(a._shape)]
        out = Array._wrap(np.asarray(sum_kernel(a._numpy(), axes)), a.weak_type)
        return _keep(out, axes, keepdims)  # type: ignore[no-any-return]
    x = asarray(a)
    axes = normalize_axes(axis, x.ndim)
    x = convert(x, _acc_dtype(x, dtype), x.weak_type)
    out = _reduce(red.reduce_sum_p, x, axes)
    if initial is not None:
        out = add(out, initial)
    result: Array = _keep(out, axes, keepdims)
    return result


def prod(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Array:
    """Product over ``axis``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> int(jnp.prod(jnp.array([2, 3, 4])))
        24
    """
    x = asarray(a)
    axes = normalize_axes(axis, x.ndim)
    x = convert(x, _acc_dtype(x, dtype), x.weak_type)
    out: Array = _keep(_reduce(red.reduce_prod_p, x, axes), axes, keepdims)
    return out


def _count(x: ArrayOrTracer, axes: tuple[int, ...]) -> int:
    n = 1
    for ax in axes:
        n *= x.shape[ax]
    return n


def mean(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Array:
    """Arithmetic mean over ``axis`` (integers average as the default float).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> float(jnp.mean(jnp.arange(4)))
        1.5
    """

    x = asarray(a)
    axes = normalize_axes(axis, x.ndim)
    dt = _requested_from(x, dtype, "mean") if dtype is not None else (
        x.dtype if x.dtype.kind in "fc" else dtypes.default_float_dtype())
    x = convert(x, dt, x.weak_type)
    n = _count(x, axes)
    s = _reduce(red.reduce_sum_p, x, axes)
    out: Array = _keep(true_divide(s, float(n) if n else float("nan")), axes, keepdims)
    return out


def var(a: Any, axis: Any = None, dtype: Any = None, ddof: int = 0, keepdims: bool = False, *,
        correction: int | float | None = None) -> Array:
    """Variance over ``axis`` with ``ddof`` delta degrees of freedom (the Array
    API's ``correction=``, as in JAX; give one or the other); of a complex
    array, the mean of ``|x - mean(x)|**2``, a real number (as NumPy).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> float(jnp.var(jnp.array([1.0, 3.0])))
        1.0
        >>> float(jnp.var(jnp.array([1j, -1j])))
        1.0
        >>> float(jnp.var(jnp.array([1.0, 3.0]), correction=1))
        2.0
    """
    ddof = _ddof(ddof, correction, "var")
    x = asarray(a)
    axes = normalize_axes(axis, x.ndim)
    dt = _requested_from(x, dtype, "var") if dtype is not None else (
        x.dtype if x.dtype.kind in "fc" else dtypes.default_float_dtype())
    x = convert(x, dt, x.weak_type)
    m = mean(x, axis=axes, keepdims=True)
    d = subtract(x, m)
    n = _count(x, axes)
    if d.dtype.kind == "c":  # |d|**2 = re**2 + im**2, real (no square root, unlike abs)
        re, im = real(d), imag(d)
        sq = add(multiply(re, re), multiply(im, im))
    else:
        sq = multiply(d, d)
    s = _reduce(red.reduce_sum_p, sq, axes)
    denom = builtins.max(n - ddof, 0)
    out: Array = _keep(true_divide(s, float(denom) if denom else float("nan")), axes, keepdims)
    return out


def _ddof(ddof: Any, correction: Any, name: str) -> Any:
    """``correction`` (the Array API's name) or ``ddof`` (NumPy's), not both."""
    if correction is None:
        return ddof
    if ddof != 0:
        raise ValueError(f"{name}: ddof={ddof!r} and correction={correction!r} both given; "
                         "they are the same parameter, pass only one")
    return correction


def std(a: Any, axis: Any = None, dtype: Any = None, ddof: int = 0, keepdims: bool = False, *,
        correction: int | float | None = None) -> Array:
    """Standard deviation over ``axis`` (``ddof`` or ``correction``, as :func:`var`).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> float(jnp.std(jnp.array([1.0, 3.0])))
        1.0
    """

    out: Array = sqrt(var(a, axis=axis, dtype=dtype, ddof=_ddof(ddof, correction, "std"), keepdims=keepdims))
    return out


def _refuse_complex(x: ArrayOrTracer, name: str) -> None:
    if x.dtype.kind == "c":
        raise TypeError(
            f"{name}: complex numbers have no order (Array API), got {x.dtype} of shape {x.shape}; "
            f"apply {name} to jnp.real(x), jnp.abs(x) or another real key (jnp.sort orders complex "
            "numbers lexicographically, as NumPy)"
        )


def _extreme(prim: Any, name: str, a: Any, axis: Any, keepdims: bool, initial: Any) -> Any:
    x = asarray(a)
    axes = normalize_axes(axis, x.ndim)
    reduce = _complex_extreme if x.dtype.kind == "c" else _reduce
    if initial is not None:
        other = maximum if name == "max" else minimum
        if builtins.any(x.shape[ax] == 0 for ax in axes):
            shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
            out = full(shape, initial, x.dtype)
        else:
            out = other(reduce(prim, x, axes), initial)
        return _keep(out, axes, keepdims)
    return _keep(reduce(prim, x, axes), axes, keepdims)


def _complex_extreme(prim: Any, x: ArrayOrTracer, axes: tuple[int, ...]) -> Any:
    """``max``/``min`` of complex numbers over ``axes`` as NumPy's
    ``maximum.reduce``: lexicographic (real part, then imaginary part), the
    first of equal extremes, and the first NaN (either part) when there is
    one.  The winner is picked by a stable argsort and gathered, so the
    derivative goes to that one element."""
    if not axes:
        return x
    upper = prim is red.reduce_max_p
    kept = [i for i in range(x.ndim) if i not in axes]
    out_shape = tuple(x.shape[i] for i in kept)
    n = 1
    for ax in axes:
        n *= x.shape[ax]
    if n == 0:
        raise ValueError(
            f"{'max' if upper else 'min'}: zero-size axis in {x.dtype}{list(x.shape)} along axes {axes} has "
            "no identity; pass initial=... or use a non-empty array"
        )
    x2 = reshape(so.transpose_p.bind(x, permutation=tuple(kept) + axes), out_shape + (n,))
    last = len(out_shape)
    order = srt.argsort_p.bind(x2, dimension=last, descending=upper, stable=True)
    best = srt.take_along(x2, order, last)
    nans = isnan(x2)
    first_nan = broadcast_to_shape(so.expand_dims_p.bind(red.argmax_p.bind(
        nans, axes=(last,), index_dtype=dtypes.default_int_dtype()), dimensions=(last,)), x2.shape)
    has_nan = so.expand_dims_p.bind(_reduce(red.reduce_or_p, nans, (last,)), dimensions=(last,))
    pick = where(has_nan, srt.take_along(x2, first_nan, last), best)
    return so.squeeze_p.bind(so.slice_p.bind(
        pick, start_indices=(0,) * x2.ndim, limit_indices=out_shape + (1,), strides=(1,) * x2.ndim),
        dimensions=(last,))


def max(a: Any, axis: Any = None, keepdims: bool = False, initial: Any = None) -> Array:  # noqa: A001
    """Maximum over ``axis`` (nan propagates); complex numbers compare
    lexicographically (real part, then imaginary part), as NumPy and JAX.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.max(jnp.array([[1, 5], [3, 2]]), axis=1).tolist()
        [5, 3]
    """
    out: Array = _extreme(red.reduce_max_p, "max", a, axis, keepdims, initial)
    return out


def min(a: Any, axis: Any = None, keepdims: bool = False, initial: Any = None) -> Array:  # noqa: A001
    """Minimum over ``axis`` (nan propagates); complex numbers compare
    lexicographically, as NumPy and JAX.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.min(jnp.array([[1, 5], [3, 2]]), axis=0).tolist()
        [1, 2]
    """
    out: Array = _extreme(red.reduce_min_p, "min", a, axis, keepdims, initial)
    return out


amax = max
amin = min


def ptp(a: Any, axis: Any = None, keepdims: bool = False) -> Array:
    """Range (max - min) over ``axis``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> int(jnp.ptp(jnp.array([4, 1, 7])))
        6
    """

    return subtract(max(a, axis, keepdims), min(a, axis, keepdims))


def _arg(prim: Any, a: Any, axis: Any, keepdims: bool) -> Any:
    x = asarray(a)
    _refuse_complex(x, prim.name)
    if axis is None:
        flat = ravel(x)
        out = prim.bind(flat, axes=(0,), index_dtype=dtypes.default_int_dtype())
        if keepdims:
            return reshape(out, (1,) * x.ndim)
        return out
    ax = normalize_axis(axis, x.ndim)
    return _keep(prim.bind(x, axes=(ax,), index_dtype=dtypes.default_int_dtype()), (ax,), keepdims)


def argmax(a: Any, axis: Any = None, keepdims: bool = False) -> Array:
    """Index of the (first) maximum along ``axis`` (of the flattened array if None).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> int(jnp.argmax(jnp.array([1, 9, 9, 2])))
        1
    """
    out: Array = _arg(red.argmax_p, a, axis, keepdims)
    return out


def argmin(a: Any, axis: Any = None, keepdims: bool = False) -> Array:
    """Index of the (first) minimum along ``axis``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.argmin(jnp.array([[3, 1], [0, 4]]), axis=1).tolist()
        [1, 0]
    """
    out: Array = _arg(red.argmin_p, a, axis, keepdims)
    return out


def _bool_reduce(prim: Any, a: Any, axis: Any, keepdims: bool) -> Any:
    x = asarray(a)
    if x.dtype.kind != "b":
        x = not_equal(x, 0)
    axes = normalize_axes(axis, x.ndim)
    return _keep(_reduce(prim, x, axes), axes, keepdims)


def all(a: Any, axis: Any = None, keepdims: bool = False) -> Array:  # noqa: A001
    """Whether every element along ``axis`` is nonzero.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> bool(jnp.all(jnp.array([1, 2, 0])))
        False
    """
    out: Array = _bool_reduce(red.reduce_and_p, a, axis, keepdims)
    return out


def any(a: Any, axis: Any = None, keepdims: bool = False) -> Array:  # noqa: A001
    """Whether any element along ``axis`` is nonzero.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> bool(jnp.any(jnp.array([0, 0, 3])))
        True
    """
    out: Array = _bool_reduce(red.reduce_or_p, a, axis, keepdims)
    return out


def count_nonzero(a: Any, axis: Any = None, keepdims: bool = False) -> Array:
    """Number of nonzero elements along ``axis``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> int(jnp.count_nonzero(jnp.array([0, 2, 3])))
        2
    """

    return sum(not_equal(asarray(a), 0), axis=axis, keepdims=keepdims)


def average(a: Any, axis: Any = None, weights: Any = None, keepdims: bool = False) -> Array:
    """Weighted average over ``axis`` (plain mean without weights).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> float(jnp.average(jnp.array([1.0, 3.0]), weights=jnp.array([3.0, 1.0])))
        1.5
    """

    if weights is None:
        return mean(a, axis=axis, keepdims=keepdims)
    x = asarray(a)
    w = asarray(weights)
    if w.shape != x.shape:
        if axis is None or w.ndim != 1:
            raise ValueError(f"average: weights of shape {w.shape} do not match data of shape {x.shape}")
        ax = normalize_axis(axis, x.ndim)

        w = broadcast_to_shape(reshape(w, tuple(-1 if i == ax else 1 for i in range(x.ndim))), x.shape)
    return true_divide(sum(multiply(x, w), axis=axis, keepdims=keepdims), sum(w, axis=axis, keepdims=keepdims))


def logsumexp(a: Any, axis: Any = None, keepdims: bool = False, b: Any = None) -> Array:
    """``log(sum(exp(a)))`` over ``axis`` without overflow (max-shifted).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> round(float(jnp.logsumexp(jnp.array([1000.0, 1000.0]))), 3)
        1000.693
    """

    x = promote_to_float("logsumexp", a)[0]
    _refuse_complex(x, "logsumexp")  # its max shift needs an order
    axes = normalize_axes(axis, x.ndim)
    if not axes:
        out = x if b is None else add(x, log(asarray(b)))
        return cast(Array, out)
    m = _reduce(reduce_max_p, x, axes) if builtins.all(x.shape[ax] for ax in axes) else None
    if m is None:
        shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
        result: Array = _keep(full(shape, -float("inf"), x.dtype), axes, keepdims)
        return result
    m = where(isfinite(m), m, 0.0)  # all -inf (or inf) rows: shift by 0
    m = stop_gradient_p.bind(m)  # a shift only: the result does not depend on it (as in JAX)
    mk = so.expand_dims_p.bind(m, dimensions=axes)
    e = exp(subtract(x, mk))
    if b is not None:
        e = multiply(e, b)
    out = add(log(_reduce(red.reduce_sum_p, e, axes)), m)
    result = _keep(out, axes, keepdims)
    return result


def softmax(x: Any, axis: Any = -1) -> Array:
    """``exp(x) / sum(exp(x))`` along ``axis``, max-shifted for stability.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.softmax(jnp.array([1000.0, 1000.0])).tolist()
        [0.5, 0.5]
    """

    v = promote_to_float("softmax", x)[0]
    shifted = subtract(v, stop_max(v, axis))
    e = exp(shifted)
    return true_divide(e, sum(e, axis=axis, keepdims=True))


def log_softmax(x: Any, axis: Any = -1) -> Array:
    """``x - logsumexp(x)`` along ``axis``, computed stably.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> [round(v, 4) for v in jnp.log_softmax(jnp.array([0.0, 0.0])).tolist()]
        [-0.6931, -0.6931]
    """

    v = promote_to_float("log_softmax", x)[0]
    shifted = subtract(v, stop_max(v, axis))
    return subtract(shifted, log(sum(exp(shifted), axis=axis, keepdims=True)))


def stop_max(v: ArrayOrTracer, axis: Any) -> Array:
    """The max along ``axis`` (kept dims), used only as a numerical shift:
    any finite shift gives the same softmax, so infinite maxima become 0."""

    if v.size == 0:
        return cast(Array, v)
    m = max(v, axis=axis, keepdims=True)
    # no derivative flows through the shift (the result does not depend on it),
    # as in JAX: the backward pass skips the max's tie-splitting rule
    out: Array = stop_gradient_p.bind(where(isfinite(m), m, 0.0))
    return out


def allclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Array:
    """Whether every element is close (a 0-d boolean array).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> bool(jnp.allclose(jnp.ones(3), 1.0))
        True
    """
    return all(isclose(a, b, rtol, atol, equal_nan))


def array_equal(a: Any, b: Any, equal_nan: bool = False) -> Array:
    """Whether two arrays have the same shape and elements.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> bool(jnp.array_equal(jnp.arange(3), jnp.arange(3)))
        True
    """
    x, y = asarray(a), asarray(b)
    if x.shape != y.shape:
        return array(False)
    eq = equal(x, y)
    if equal_nan and x.dtype.kind in "fc":
        eq = logical_or(eq, logical_and(isnan(x), isnan(y)))
    return all(eq)
