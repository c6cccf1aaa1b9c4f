"""Array API names that NumPy/JAX spell differently or that ``jax.numpy``
adds for the standard: ``astype``, ``diff``, ``isin``, ``unique_all`` and
friends, ``unstack``, ``from_dlpack`` and ``__array_namespace_info__``.

Example:
    >>> import functorch_lite.numpy as jnp
    >>> jnp.unique_counts(jnp.array([2, 1, 2])).counts.tolist()
    [1, 2]
"""

from __future__ import annotations

from typing import Any, NamedTuple, cast

import numpy as np

from functorch_lite import dtypes
from functorch_lite.array import Array, strict_index
from functorch_lite.core import ConcretizationTypeError, Tracer
from functorch_lite.device import CPU, Device, check_device
from functorch_lite.numpy._creation import zeros
from functorch_lite.numpy._elementwise import equal, logical_not, subtract
from functorch_lite.numpy._manipulation import broadcast_to, concatenate, expand_dims, moveaxis, reshape
from functorch_lite.numpy._methods import astype as _astype
from functorch_lite.numpy._reductions import any as _any
from functorch_lite.numpy._util import asarray as _to_array
from functorch_lite.ops.shape_ops import copy_p

__all__ = [
    "astype", "diff", "isin", "unique_all", "unique_counts", "unique_inverse", "unstack",
    "from_dlpack", "__array_namespace_info__", "result_type", "isdtype",
]

_ISDTYPE_KINDS = frozenset(
    ["bool", "signed integer", "unsigned integer", "integral", "real floating", "complex floating", "numeric"])


def isdtype(dtype: object, kind: object) -> bool:
    """Array API ``isdtype``: whether ``dtype`` is of ``kind``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.isdtype(jnp.float32, "real floating")
        True
    """
    d = dtypes.canonicalize(dtype)
    kinds = kind if isinstance(kind, tuple) else (kind,)
    for k in kinds:
        if isinstance(k, str) and k not in _ISDTYPE_KINDS and k not in dtypes._NAMES:
            raise ValueError(f"isdtype: unknown kind {k!r}; use a dtype or one of {sorted(_ISDTYPE_KINDS)}")
        if k is None or isinstance(k, Array):
            raise TypeError(f"isdtype: kind must be a dtype or a kind name, got {type(k).__name__}")
        if isinstance(k, str) and k in _ISDTYPE_KINDS:
            if (k == "bool" and d.kind == "b") or (k == "signed integer" and d.kind == "i") or (
                k == "unsigned integer" and d.kind == "u") or (k == "integral" and d.kind in "iu") or (
                k in ("real floating", "numeric") and d.kind == "f") or (k == "numeric" and d.kind in "iuc") or (
                k == "complex floating" and d.kind == "c"):
                return True
        elif dtypes.canonicalize(k) == d:  # raises TypeError for a kind that is neither a name nor a dtype
            return True
    return False


def astype(x: Any, dtype: Any, /, *, copy: bool = False, device: Any = None) -> Array:
    """``x`` converted to ``dtype`` (the Array API's ``astype``; ``x.astype``).

    ``copy=True`` gives a fresh buffer even when the dtype is unchanged; the
    default is JAX's (``False``: arrays are immutable, so sharing is safe).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.astype(jnp.arange(3), jnp.float32).tolist()
        [0.0, 1.0, 2.0]
    """
    check_device(device)
    a = _to_array(x)
    out = _astype(a, dtype)
    if copy and out is a:
        res: Any = copy_p.bind(a)
        result: Array = res
        return result
    result = out
    return result


def diff(a: Any, n: int = 1, axis: int = -1, prepend: Any = None, append: Any = None) -> Array:
    """The ``n``-th forward difference along ``axis`` (``out[i] = a[i+1] - a[i]``),
    after joining ``prepend``/``append`` (scalars broadcast) to ``a``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.diff(jnp.array([1, 4, 9, 16])).tolist()
        [3, 5, 7]
        >>> jnp.diff(jnp.array([1, 4, 9]), prepend=0).tolist()
        [1, 3, 5]
    """
    x = _to_array(a)
    n = strict_index(n, "diff: n")
    if n < 0:
        raise ValueError(f"diff: the order n must be non-negative, got {n}")
    if x.ndim == 0:
        raise ValueError("diff needs an array of at least one dimension, got a 0-d array")
    ax = strict_index(axis, "diff: axis")
    if not -x.ndim <= ax < x.ndim:
        raise ValueError(f"diff: axis {ax} is out of bounds for an array of shape {x.shape}")
    ax %= x.ndim
    parts = []
    for extra in (prepend,):
        if extra is not None:
            parts.append(_edge(extra, x, ax))
    parts.append(x)
    if append is not None:
        parts.append(_edge(append, x, ax))
    if len(parts) > 1:
        x = concatenate(parts, axis=ax)
    bool_in = x.dtype == np.bool_
    for _ in range(n):
        m = x.shape[ax]
        if m == 0:  # further differences stay empty (a huge n must not loop for long)
            break
        hi = x[(slice(None),) * ax + (slice(1, m),)]
        lo = x[(slice(None),) * ax + (slice(0, max(m - 1, 0)),)]
        x = logical_not(equal(hi, lo)) if bool_in else subtract(hi, lo)
    return cast(Array, x)


def _edge(v: Any, x: Any, ax: int) -> Any:
    """``prepend``/``append`` of :func:`diff`: a scalar broadcast to one slice."""
    e = _to_array(v)
    if e.ndim == 0:
        shape = list(x.shape)
        shape[ax] = 1
        e = broadcast_to(e, tuple(shape))
    return e


def isin(element: Any, test_elements: Any, assume_unique: bool = False, invert: bool = False, *,
         method: str = "auto") -> Array:
    """Whether each element of ``element`` occurs in ``test_elements`` (a
    boolean array of ``element``'s shape; ``invert=True`` negates it).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.isin(jnp.array([1, 2, 3]), jnp.array([3, 1])).tolist()
        [True, False, True]
    """
    del assume_unique, method
    x = _to_array(element)
    t = reshape(_to_array(test_elements), (-1,))
    if t.shape[0] == 0:
        out: Any = zeros(x.shape, dtype=np.bool_)
    else:
        out = _any(equal(expand_dims(x, -1), t), axis=-1)
    return logical_not(out) if invert else out


def result_type(*arrays_and_dtypes: Any) -> np.dtype[Any]:
    """The dtype that promoting the arguments gives: dtypes, arrays and (weak,
    as in JAX) Python scalars, which take the others' width unless their kind
    is higher.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.result_type(jnp.int8, jnp.float32), jnp.result_type(jnp.uint8, 1)
        (dtype('float32'), dtype('uint8'))
    """
    if not arrays_and_dtypes:
        raise TypeError("result_type needs at least one array, dtype or scalar")
    out: np.dtype[Any] | None = None
    weak = False
    for a in arrays_and_dtypes:
        if isinstance(a, (bool, int, float, complex)) and not isinstance(a, np.generic):
            d, w = dtypes.scalar_dtype(a), True
        elif isinstance(a, (Array, Tracer)):
            d, w = a.dtype, bool(a.weak_type)
        else:
            d, w = dtypes.canonicalize(a), False
        out, weak = (d, w) if out is None else dtypes.promote_weak(out, weak, d, w)
    assert out is not None
    return out


class UniqueAllResult(NamedTuple):
    """``unique_all``'s result: ``values, indices, inverse_indices, counts``."""

    values: Any
    indices: Any
    inverse_indices: Any
    counts: Any


class UniqueCountsResult(NamedTuple):
    """``unique_counts``'s result: ``values, counts``."""

    values: Any
    counts: Any


class UniqueInverseResult(NamedTuple):
    """``unique_inverse``'s result: ``values, inverse_indices``."""

    values: Any
    inverse_indices: Any


def _unique_np(x: Any, name: str) -> tuple[Any, tuple[np.ndarray[Any, Any], ...]]:
    a = _to_array(x)
    if isinstance(a, Tracer):
        raise ConcretizationTypeError(
            f"{name}: the number of unique elements of the traced value {a.aval.str_short()} "
            "depends on its data; call it on a concrete array (or use jnp.unique(x, size=...))"
        )
    arr = a._numpy()
    # the standard: NaNs are distinct (equal_nan=False), as JAX's unique_* functions
    vals, idx, inv, cnt = np.unique(arr.reshape(-1), return_index=True, return_inverse=True,
                                    return_counts=True, equal_nan=False)
    return a, (vals, idx, inv.reshape(arr.shape), cnt)


def _wrap_int(r: np.ndarray[Any, Any]) -> Array:
    return Array._wrap(np.array(r, dtype=dtypes.default_int_dtype(), order="C"))  # keeps 0-d


def unique_all(x: Any, /) -> UniqueAllResult:
    """The sorted unique values of ``x`` (flattened; each NaN distinct), the
    index of each one's first occurrence, the inverse indices (``x``'s shape)
    and the counts.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> r = jnp.unique_all(jnp.array([3, 1, 3]))
        >>> r.values.tolist(), r.indices.tolist(), r.inverse_indices.tolist(), r.counts.tolist()
        ([1, 3], [1, 0], [1, 0, 1], [1, 2])
    """
    a, (vals, idx, inv, cnt) = _unique_np(x, "unique_all")
    return UniqueAllResult(Array._wrap(np.ascontiguousarray(vals), a.weak_type), _wrap_int(idx),
                           _wrap_int(inv), _wrap_int(cnt))


def unique_counts(x: Any, /) -> UniqueCountsResult:
    """The sorted unique values of ``x`` (each NaN distinct) and their counts.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.unique_counts(jnp.array([2, 2, 5])).counts.tolist()
        [2, 1]
    """
    a, (vals, _, _, cnt) = _unique_np(x, "unique_counts")
    return UniqueCountsResult(Array._wrap(np.ascontiguousarray(vals), a.weak_type), _wrap_int(cnt))


def unique_inverse(x: Any, /) -> UniqueInverseResult:
    """The sorted unique values of ``x`` (each NaN distinct) and the indices
    (``x``'s shape) that rebuild ``x`` from them.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.unique_inverse(jnp.array([[2, 1], [2, 2]])).inverse_indices.tolist()
        [[1, 0], [1, 1]]
    """
    a, (vals, _, inv, _) = _unique_np(x, "unique_inverse")
    return UniqueInverseResult(Array._wrap(np.ascontiguousarray(vals), a.weak_type), _wrap_int(inv))


def unstack(x: Any, /, *, axis: int = 0) -> tuple[Array, ...]:
    """The slices of ``x`` along ``axis``, as a tuple.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> [r.tolist() for r in jnp.unstack(jnp.array([[1, 2], [3, 4]]), axis=1)]
        [[1, 3], [2, 4]]
    """
    a = _to_array(x)
    if a.ndim == 0:
        raise ValueError("unstack needs an array of at least one dimension, got a 0-d array")
    ax = strict_index(axis, "unstack: axis")
    if not -a.ndim <= ax < a.ndim:
        raise ValueError(f"unstack: axis {ax} is out of bounds for an array of shape {a.shape}")
    m = moveaxis(a, ax, 0)
    return tuple(m[i] for i in range(m.shape[0]))


def from_dlpack(x: Any, /, *, device: Any = None, copy: bool | None = None) -> Array:
    """An array from any object with ``__dlpack__`` (a NumPy array, a torch
    CPU tensor, a JAX array, an Array...).

    Zero-copy where it is safe: a buffer its exporter marks read-only (a JAX
    array, a read-only NumPy array) is shared, since arrays here are
    immutable; a writable one (a torch tensor, a NumPy array) is copied, so a
    later write on the other side cannot change the array.  ``copy=True``
    always copies; ``copy=False`` shares a writable buffer too: the array
    then follows the exporter's writes (JAX's aliasing, made explicit).  An
    Array is returned as is unless ``copy=True``.

    Example:
        >>> import numpy as np
        >>> import functorch_lite.numpy as jnp
        >>> jnp.from_dlpack(np.arange(3.0)).tolist()
        [0.0, 1.0, 2.0]
        >>> ro = np.arange(3.0)
        >>> ro.flags.writeable = False
        >>> np.shares_memory(np.asarray(jnp.from_dlpack(ro)), ro)
        True
    """
    check_device(device)
    if isinstance(x, (Array, Tracer)):
        return cast(Array, copy_p.bind(x) if copy else x)
    if not hasattr(x, "__dlpack__"):
        raise TypeError(f"from_dlpack needs an object with __dlpack__ (a NumPy array, a torch CPU tensor, "
                        f"an Array...), got {type(x).__name__}; use jnp.asarray for lists and scalars")
    arr = np.from_dlpack(x)
    if copy is False or (copy is None and not arr.flags.writeable):
        view = arr.view()
        view.flags.writeable = False  # never written here; keeps np.asarray(result) read-only too
        return Array._wrap(view)
    return Array._wrap(np.array(arr, order="C", copy=True))


class ArrayNamespaceInfo:
    """What ``__array_namespace_info__()`` returns: the Array API inspection
    object (capabilities, devices and dtypes of this namespace).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> info = jnp.__array_namespace_info__()
        >>> info.capabilities()["boolean indexing"], info.default_device()
        (True, CpuDevice(id=0))
    """

    def capabilities(self) -> dict[str, Any]:
        """``boolean indexing`` and ``data-dependent shapes`` hold for concrete
        arrays (eager mode); under ``jit``/``vmap`` they raise, as in JAX.

        Example:
            >>> sorted(ArrayNamespaceInfo().capabilities())
            ['boolean indexing', 'data-dependent shapes', 'max dimensions']
        """
        return {"boolean indexing": True, "data-dependent shapes": True, "max dimensions": 64}

    def default_device(self) -> Device:
        """The CPU device.

        Example:
            >>> ArrayNamespaceInfo().default_device()
            CpuDevice(id=0)
        """
        return CPU

    def devices(self) -> list[Device]:
        """``[CPU]``.

        Example:
            >>> ArrayNamespaceInfo().devices()
            [CpuDevice(id=0)]
        """
        return [CPU]

    def default_dtypes(self, *, device: Any = None) -> dict[str, np.dtype[Any]]:
        """The default dtypes (32-bit unless 64-bit mode is on).

        Example:
            >>> ArrayNamespaceInfo().default_dtypes()["indexing"] in ("int32", "int64")
            True
        """
        check_device(device)
        i = dtypes.default_int_dtype()
        return {"real floating": dtypes.default_float_dtype(),
                "complex floating": dtypes.default_complex_dtype(), "integral": i, "indexing": i}

    def dtypes(self, *, device: Any = None, kind: Any = None) -> dict[str, np.dtype[Any]]:
        """The supported dtypes (of ``kind``: a kind name, a dtype or a tuple of
        them, as ``isdtype``); 64-bit ones only in 64-bit mode.

        Example:
            >>> "complex64" in ArrayNamespaceInfo().dtypes(kind="complex floating")
            True
        """
        check_device(device)
        names = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                 "float32", "float64", "complex64", "complex128"]
        if not dtypes.x64_enabled():
            names = [n for n in names if n not in ("int64", "uint64", "float64", "complex128")]
        out = {n: np.dtype(n) for n in names}
        if kind is not None:
            out = {n: d for n, d in out.items() if isdtype(d, kind)}
        return out


def __array_namespace_info__() -> ArrayNamespaceInfo:
    """The Array API inspection object of this namespace.

    Example:
        >>> __array_namespace_info__().devices()
        [CpuDevice(id=0)]
    """
    return ArrayNamespaceInfo()
