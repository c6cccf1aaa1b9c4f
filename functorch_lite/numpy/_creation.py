"""Array creation: ``array``, ``zeros``, ``arange``, ``eye``... (concrete arrays)."""

from __future__ import annotations

import warnings
from typing import Any, Literal, cast, overload

import numpy as np

from functorch_lite import dtypes
from functorch_lite.array import Array, strict_index
from functorch_lite.core import ShapedArray, Tracer
from functorch_lite.device import check_device
from functorch_lite.numpy._elementwise import where
from functorch_lite.numpy._manipulation import broadcast_to, diagonal, expand_dims, reshape, stack
from functorch_lite.numpy._pad_modes import pad
from functorch_lite.numpy._util import (
    ArrayOrTracer,
    broadcast_to_shape,
    convert,
    from_numpy,
    shape_tuple,
)
from functorch_lite.numpy._util import asarray as _to_array
from functorch_lite.ops._rules import full_aval
from functorch_lite.ops.shape_ops import copy_p

__all__ = [
    "array", "asarray", "zeros", "ones", "empty", "full", "zeros_like", "ones_like",
    "empty_like", "full_like", "arange", "linspace", "logspace", "eye", "identity",
    "meshgrid", "tril", "triu", "diag", "tri", "copy",
]


def asarray(a: Any, dtype: Any = None, order: str | None = None, *, copy: bool | None = None,
            device: Any = None) -> ArrayOrTracer:
    """``a`` as an array (JAX's and the Array API's signature): arrays pass through
    unless ``dtype`` asks for another dtype or ``copy=True`` asks for a fresh
    buffer; NumPy arrays, lists and scalars are converted (Python scalars stay
    weakly typed).  ``copy=False`` promises no copy and raises ``ValueError``
    where one is needed (a conversion, or any NumPy input: arrays here are
    immutable, so a NumPy buffer the caller may still write is always copied).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> x = jnp.arange(3)
        >>> jnp.asarray(x) is x, jnp.asarray(x, dtype="float32").dtype
        (True, dtype('float32'))
        >>> jnp.asarray([1.5, 2.5], copy=True).tolist()
        [1.5, 2.5]
    """
    check_device(device)
    if order not in (None, "C", "K", "A"):
        raise ValueError(f"asarray: order={order!r} is not supported; arrays here are C-ordered (use 'C' or None)")
    given = isinstance(a, (Array, Tracer))
    if copy is False and not given:
        raise ValueError(f"asarray: copy=False, but converting a {type(a).__name__} needs a copy "
                         "(arrays here are immutable); pass copy=None")
    x = _to_array(a)
    if dtype is not None:
        want = dtypes.requested(dtype, "asarray")
        if want != x.dtype:
            if copy is False:
                raise ValueError(f"asarray: copy=False, but converting {x.dtype} to {want} needs a copy")
            return convert_checked(x, want, "asarray")
    if copy and given:
        out: ArrayOrTracer = copy_p.bind(x)
        return out
    return x


def _warn_complex_to_real(where: str, dt: np.dtype[Any], src: np.dtype[Any] | None = None) -> None:
    """Warn that a complex -> real conversion drops the imaginary part (NumPy's
    ``ComplexWarning``; JAX warns that it will become an error)."""
    what = f"{src} to {dt}" if src is not None else f"complex values to {dt}"
    warnings.warn(
        f"{where}: casting {what} discards the imaginary part; take jnp.real(x) (or jnp.imag(x)) "
        "first to say which part you want",
        np.exceptions.ComplexWarning, stacklevel=dtypes._user_stacklevel(),
    )


def convert_checked(x: ArrayOrTracer, dt: np.dtype[Any], where: str) -> ArrayOrTracer:
    """``convert`` that warns, as NumPy and JAX do, when it drops imaginary parts."""
    if x.dtype.kind == "c" and dt.kind not in "cb":
        _warn_complex_to_real(where, dt, x.dtype)
    return convert(x, dt)


def _dt(dtype: Any, where: str) -> np.dtype[Any]:
    return dtypes.default_float_dtype() if dtype is None else dtypes.requested(dtype, where)


def array(obj: Any, dtype: Any = None, copy: bool = True) -> Array:
    """Create an array from nested lists, NumPy data, scalars or arrays.

    Python floats and ints get the default float/int (float32/int32, or
    float64/int64 in 64-bit mode) unless ``dtype`` says otherwise; in 32-bit
    mode an int beyond int32 raises ``OverflowError`` (as JAX), in 64-bit
    mode one beyond int64.  NumPy arrays keep a supported dtype (64-bit ones
    narrow to 32 bits unless 64-bit mode is on) and are always copied,
    big-endian or unaligned ones into native, aligned memory.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> jnp.array([[1, 2], [3, 4]]).dtype
        dtype('int32')
        >>> with fl.enable_x64():
        ...     print(jnp.array(2**31).dtype, jnp.array([2**31]).dtype)
        int64 int64
    """
    if hasattr(obj, "__jax_array__") and not isinstance(obj, (Array, Tracer)):
        # a Tensor gives its immutable snapshot (no copy); through np.asarray it
        # would hand out its buffer as user memory and copy on every later snapshot
        obj = _to_array(obj)
    if isinstance(obj, (Array, Tracer)):
        x: ArrayOrTracer = obj
        if dtype is not None:
            x = convert_checked(x, dtypes.requested(dtype, "array"), "array")
        return cast(Array, x)
    if isinstance(obj, (list, tuple)) and any(isinstance(e, (Array, Tracer)) for e in _flat(obj)):
        out = stack([array(e) for e in obj])
        if dtype is None:
            return out
        return cast(Array, convert_checked(out, dtypes.requested(dtype, "array"), "array"))
    return from_numpy(obj, None if dtype is None else dtypes.requested(dtype, "array"))


def _flat(obj: Any) -> list[Any]:
    if isinstance(obj, (list, tuple)):
        out = []
        for e in obj:
            out.extend(_flat(e))
        return out
    return [obj]


def zeros(shape: Any, dtype: Any = None, *, device: Any = None) -> Array:
    """An array of zeros.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.zeros((2, 2)).tolist()
        [[0.0, 0.0], [0.0, 0.0]]
    """
    check_device(device)
    return Array._wrap(np.zeros(shape_tuple(shape), _dt(dtype, "zeros")))


def ones(shape: Any, dtype: Any = None, *, device: Any = None) -> Array:
    """An array of ones.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.ones(2, dtype="int32").tolist()
        [1, 1]
    """
    check_device(device)
    return Array._wrap(np.ones(shape_tuple(shape), _dt(dtype, "ones")))


def empty(shape: Any, dtype: Any = None, *, device: Any = None) -> Array:
    """An array of zeros (immutable arrays have no use for garbage values).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.empty(3).shape
        (3,)
    """
    check_device(device)
    return zeros(shape, dtype)


def full(shape: Any, fill_value: Any, dtype: Any = None, *, device: Any = None) -> Array:
    """An array filled with ``fill_value`` (its dtype unless ``dtype`` is given).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.full((2,), 7).tolist()
        [7, 7]
    """
    check_device(device)
    return cast(Array, _full(shape, fill_value, None if dtype is None else dtypes.requested(dtype, "full")))


def _full(shape: Any, fill_value: Any, dt: np.dtype[Any] | None) -> ArrayOrTracer:
    """``full`` with a resolved dtype (None: the fill value's), taken as given."""
    shape = shape_tuple(shape)
    if isinstance(fill_value, Tracer) or (isinstance(fill_value, Array) and fill_value.ndim):
        v = _to_array(fill_value)
        if dt is not None:
            v = convert(v, dt)
        out = broadcast_to_shape(v, shape)
        return out.contiguous() if isinstance(out, Array) else out
    if isinstance(fill_value, Array):
        fill_value = fill_value.item()
    dt = dt if dt is not None else _to_array(fill_value).dtype
    buf = np.empty(shape, dt)
    buf.fill(fill_value)
    return Array._wrap(buf)


def _like_dtype(x: Any, dtype: Any) -> np.dtype[Any]:
    if dtype is not None:
        return dtypes.requested(dtype, "a *_like function")
    return _to_array(x).dtype


def zeros_like(x: Any, dtype: Any = None, shape: Any = None, *, device: Any = None) -> Array:
    """Zeros with the shape and dtype of ``x``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.zeros_like(jnp.arange(3)).tolist()
        [0, 0, 0]
    """
    check_device(device)
    # x's own dtype is kept as is (64-bit data stays 64-bit): no request to narrow
    return Array._wrap(np.zeros(shape_tuple(_to_array(x).shape if shape is None else shape), _like_dtype(x, dtype)))


def ones_like(x: Any, dtype: Any = None, shape: Any = None, *, device: Any = None) -> Array:
    """Ones with the shape and dtype of ``x``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.ones_like(jnp.zeros(2)).tolist()
        [1.0, 1.0]
    """
    check_device(device)
    return Array._wrap(np.ones(shape_tuple(_to_array(x).shape if shape is None else shape), _like_dtype(x, dtype)))


def empty_like(x: Any, dtype: Any = None, shape: Any = None, *, device: Any = None) -> Array:
    """Same as :func:`zeros_like`.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.empty_like(jnp.zeros(2)).shape
        (2,)
    """
    check_device(device)
    return zeros_like(x, dtype, shape)


def full_like(x: Any, fill_value: Any, dtype: Any = None, shape: Any = None, *,
              device: Any = None) -> Array:
    """``fill_value`` with the shape (and dtype) of ``x``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.full_like(jnp.zeros(2), 3).tolist()
        [3.0, 3.0]
    """
    check_device(device)
    return cast(Array, _full(_to_array(x).shape if shape is None else shape, fill_value, _like_dtype(x, dtype)))


def arange(start: Any, stop: Any = None, step: Any = None, dtype: Any = None, *, device: Any = None) -> Array:
    """Evenly spaced values in ``[start, stop)``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.arange(1, 7, 2).tolist()
        [1, 3, 5]
    """
    check_device(device)
    for v in (start, stop, step):
        if isinstance(v, Tracer):
            raise TypeError(
                "arange needs concrete bounds, but got a traced value; the output shape "
                "must be known when tracing (pass the bound as a static argument)"
            )
    args = [v.item() if isinstance(v, Array) else v for v in (start, stop, step)]
    if stop is None:
        args = [0, args[0], args[2]]
    if args[1] is None:
        raise TypeError("arange needs a stop value (arange(stop) or arange(start, stop[, step])), got None")
    if args[2] is None:
        args[2] = 1
    if args[2] == 0:
        raise ValueError("arange: step must not be zero")
    if dtype is None:
        is_float = any(isinstance(v, float) for v in args)
        dt = dtypes.default_float_dtype() if is_float else dtypes.default_int_dtype()
    else:
        dt = dtypes.requested(dtype, "arange")
    return Array._wrap(np.arange(args[0], args[1], args[2], dtype=dt))


@overload
def linspace(start: Any, stop: Any, num: int = ..., endpoint: bool = ..., retstep: Literal[False] = ...,
             dtype: Any = ..., axis: int = ..., *, device: Any = ...) -> Array: ...
@overload
def linspace(start: Any, stop: Any, num: int, endpoint: bool, retstep: Literal[True],
             dtype: Any = ..., axis: int = ..., *, device: Any = ...) -> tuple[Array, Any]: ...
@overload
def linspace(start: Any, stop: Any, num: int = ..., endpoint: bool = ..., *, retstep: Literal[True],
             dtype: Any = ..., axis: int = ..., device: Any = ...) -> tuple[Array, Any]: ...
def linspace(
    start: Any, stop: Any, num: int = 50, endpoint: bool = True, retstep: bool = False,
    dtype: Any = None, axis: int = 0, *, device: Any = None,
) -> Array | tuple[Array, Any]:
    """``num`` evenly spaced values from ``start`` to ``stop``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.linspace(0, 1, 3).tolist()
        [0.0, 0.5, 1.0]
    """
    check_device(device)
    if num < 0:
        raise ValueError(f"linspace: num must be non-negative, got {num}")
    if start is None or stop is None:
        raise TypeError(f"linspace needs numeric start and stop values, got start={start!r}, stop={stop!r}")
    s = np.asarray(start.tolist() if isinstance(start, Array) else start)
    e = np.asarray(stop.tolist() if isinstance(stop, Array) else stop)
    cplx = "c" in (s.dtype.kind, e.dtype.kind)  # complex bounds: a line in the complex plane
    work = np.complex128 if cplx or (dtype is not None and dtypes.canonicalize(dtype).kind == "c") else np.float64
    out, step = np.linspace(s.astype(work), e.astype(work), num, endpoint=endpoint, retstep=True, axis=axis)
    dt = dtypes.default_complex_dtype() if cplx and dtype is None else _dt(dtype, "linspace")
    if out.dtype.kind == "c" and dt.kind != "c":
        _warn_complex_to_real("linspace", dt)
        out = out.real
    if dt.kind in "iu":
        out = np.floor(out)
    res = Array._wrap(out.astype(dt))
    return (res, step) if retstep else res


def logspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, base: float = 10.0,
             dtype: Any = None) -> Array:
    """``base ** linspace(start, stop, num)``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.logspace(0, 2, 3).tolist()
        [1.0, 10.0, 100.0]
    """
    out = np.logspace(float(start), float(stop), num, endpoint=endpoint, base=base)
    return Array._wrap(out.astype(_dt(dtype, "logspace")))


def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None, *, device: Any = None) -> Array:
    """A 2-D array with ones on the ``k``-th diagonal.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.eye(2).tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """
    check_device(device)
    n, m = _size(N, "eye", "N"), None if M is None else _size(M, "eye", "M")
    return Array._wrap(np.eye(n, m, strict_index(k, "eye: k"), dtype=_dt(dtype, "eye")))


def _size(v: Any, fn: str, what: str) -> int:
    n = strict_index(v, f"{fn}: {what}")
    if n < 0:
        raise ValueError(f"{fn}: {what} must be non-negative, got {n}")
    return n


def identity(n: int, dtype: Any = None) -> Array:
    """The ``n`` by ``n`` identity matrix.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.identity(2, dtype="int32").tolist()
        [[1, 0], [0, 1]]
    """
    return eye(n, dtype=dtype)


def tri(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Array:
    """Ones at and below the ``k``-th diagonal.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.tri(2, dtype="int32").tolist()
        [[1, 0], [1, 1]]
    """
    n, m = _size(N, "tri", "N"), None if M is None else _size(M, "tri", "M")
    return Array._wrap(np.tri(n, m, strict_index(k, "tri: k"), dtype=_dt(dtype, "tri")))


def _tri_mask(x: ArrayOrTracer, k: int, lower: bool) -> Any:
    if x.ndim < 2:
        raise ValueError(f"{'tril' if lower else 'triu'} needs at least 2 dimensions, got shape {x.shape}")
    k = _diag_offset(k, "tril" if lower else "triu")
    n, m = x.shape[-2:]
    mask = np.tri(n, m, k, dtype=bool) if lower else ~np.tri(n, m, k - 1, dtype=bool)
    return where(Array._wrap(mask), x, _zero_like(x))


def _zero_like(x: ArrayOrTracer) -> Array:
    """A zero of x's dtype (and weakness): filling with a Python 0 would promote
    a boolean matrix to int."""

    return full_aval(ShapedArray((), x.dtype, x.weak_type), 0)


def _diag_offset(k: Any, name: str) -> int:
    return strict_index(k, f"{name}: the diagonal offset k")


def tril(m: Any, k: int = 0) -> Array:
    """Zero the elements above the ``k``-th diagonal (last two axes); the
    dtype is kept (booleans stay boolean).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.tril(jnp.ones((2, 2))).tolist()
        [[1.0, 0.0], [1.0, 1.0]]
    """
    out: Array = _tri_mask(_to_array(m), k, True)
    return out


def triu(m: Any, k: int = 0) -> Array:
    """Zero the elements below the ``k``-th diagonal (last two axes); the
    dtype is kept (booleans stay boolean).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.triu(jnp.ones((2, 2))).tolist()
        [[1.0, 1.0], [0.0, 1.0]]
    """
    out: Array = _tri_mask(_to_array(m), k, False)
    return out


def meshgrid(*xi: Any, indexing: str = "xy", sparse: bool = False, copy: bool = True) -> list[Array]:
    """Coordinate arrays from 1-D coordinate vectors (NumPy's ``meshgrid``).

    Inputs must be 1-D (as in JAX); zero-length inputs give empty grids and
    no inputs give ``[]``, as in NumPy.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> X, Y = jnp.meshgrid(jnp.arange(2), jnp.arange(3))
        >>> X.shape, Y.shape
        ((3, 2), (3, 2))
        >>> [g.shape for g in jnp.meshgrid(jnp.arange(0), jnp.arange(3), indexing="ij")], jnp.meshgrid()
        ([(0, 3), (0, 3)], [])
    """

    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    xs = [_to_array(x) for x in xi]
    for x in xs:
        if x.ndim != 1:
            raise ValueError(f"meshgrid takes 1-D arrays, got shape {x.shape}")
    n = len(xs)
    shapes = []
    for i, x in enumerate(xs):
        s = [1] * n
        s[i] = x.shape[0]
        if indexing == "xy" and n >= 2 and i < 2:
            s[0], s[1] = s[1], s[0]
        shapes.append(tuple(s))
    out = [reshape(x, s) for x, s in zip(xs, shapes)]
    if sparse:
        return out
    # each axis takes one input's length (zero-length inputs included)
    full = [x.shape[0] for x in xs]
    if indexing == "xy" and n >= 2:
        full[0], full[1] = full[1], full[0]
    return [broadcast_to(o, tuple(full)) for o in out]


def diag(v: Any, k: int = 0) -> Array:
    """The ``k``-th diagonal of a 2-D array, or a 2-D array with ``v`` on it
    (``k < 0``: below the main diagonal); the dtype is kept.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.diag(jnp.array([1, 2])).tolist()
        [[1, 0], [0, 2]]
        >>> jnp.diag(jnp.array([1, 2]), -1).tolist()
        [[0, 0, 0], [1, 0, 0], [0, 2, 0]]
    """

    k = _diag_offset(k, "diag")
    x = _to_array(v)
    if x.ndim == 2:
        return diagonal(x, offset=k)
    if x.ndim != 1:
        raise ValueError(f"diag needs a 1-D or 2-D array, got shape {x.shape}")
    n = x.shape[0] + abs(k)
    mask = Array._wrap(np.eye(n, n, k, dtype=bool))
    # out[i, j] = v[j - k] on the diagonal j == i + k, which is v[min(i, j)]: padded in
    # front by |k|, it is a function of the column alone (k >= 0) or of the row (k < 0)
    line = pad(x, (abs(k), 0))
    grid = broadcast_to(expand_dims(line, 0 if k >= 0 else 1), (n, n))
    return where(mask, grid, _zero_like(x))


def copy(a: Any) -> Array:
    """A copy of ``a`` over fresh storage.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> x = jnp.arange(3)
        >>> jnp.copy(x).storage() is x.storage()
        False
    """

    out: Array = copy_p.bind(_to_array(a))
    return out
