"""The immutable strided ``Array`` and the ``Storage`` it views.

An ``Array`` is a 1-D :class:`Storage` buffer plus shape, strides (in
elements), an offset and a dtype.  Element ``[i, j]`` lives at
``storage[offset + strides[0]*i + strides[1]*j]``.  Views (transpose,
slicing, reshape when possible, broadcasting...) are new metadata over the
same Storage object; nothing here ever writes into a storage after creation.

Operators and methods (``+``, ``@``, ``.sum()``, ``.at[...]``) are ordinary
methods of :class:`ArrayMethods`, shared by concrete Arrays and tracers.  Each
calls the :mod:`functorch_lite.numpy` function of the same name through
:class:`ArrayOps`, a typed protocol of those functions that the numpy layer
installs once when it is imported (it sits above this module, so it cannot be
imported from here).

Example:
    >>> import functorch_lite.numpy as jnp
    >>> x = jnp.arange(6).reshape(2, 3)
    >>> x.T.stride(), x.T.storage() is x.storage()
    ((1, 3), True)
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import Any, Protocol, SupportsIndex, Union, cast

import numpy as np

from functorch_lite import dtypes
from functorch_lite.device import CPU, Device, check_device

# What the methods accept where the numpy function takes an array: anything
# ``functorch_lite.numpy.asarray`` converts (arrays, tracers, NumPy data,
# Python scalars, nested sequences).
ArrayLike = Union["ArrayMethods", np.ndarray[Any, Any], np.generic, bool, int, float, complex, Sequence[Any]]


class SupportsDType(Protocol):
    """Anything with a ``dtype`` (``jnp.float32`` and the other scalar types), as ``np.dtype`` takes it."""

    @property
    def dtype(self) -> np.dtype[Any]: ...


# A dtype as ``dtypes.canonicalize`` takes it: a name, a NumPy dtype, a type, or
# an object with a ``dtype`` (``jnp.float32``).
DTypeLike = str | type | np.dtype[Any] | SupportsDType
# One axis, several, or None for all of them.
AxisLike = SupportsIndex | Sequence[SupportsIndex] | None


class ArrayOps(Protocol):
    """The functions behind the operators and methods of Arrays and tracers.

    Each member is the :mod:`functorch_lite.numpy` function of that name
    (``getitem`` and ``at_update`` are its indexing entry points, ``astype``
    its dtype conversion), with the parameters the methods pass.  The numpy
    layer provides them as ``functorch_lite.numpy._methods.NumpyOps`` and
    installs them with :func:`install_ops`; ``mypy`` checks that each of its
    functions fits the signature here.
    """

    def add(self, x: Any, y: Any, /) -> Array: ...
    def subtract(self, x: Any, y: Any, /) -> Array: ...
    def multiply(self, x: Any, y: Any, /) -> Array: ...
    def true_divide(self, x: Any, y: Any, /) -> Array: ...
    def floor_divide(self, x: Any, y: Any, /) -> Array: ...
    def remainder(self, x: Any, y: Any, /) -> Array: ...
    def power(self, x: Any, y: Any, /) -> Array: ...
    def matmul(self, a: Any, b: Any, /) -> Array: ...
    def negative(self, x: Any, /) -> Array: ...
    def positive(self, x: Any, /) -> Array: ...
    def abs(self, x: Any, /) -> Array: ...
    def bitwise_not(self, x: Any, /) -> Array: ...
    def bitwise_and(self, x: Any, y: Any, /) -> Array: ...
    def bitwise_or(self, x: Any, y: Any, /) -> Array: ...
    def bitwise_xor(self, x: Any, y: Any, /) -> Array: ...
    def left_shift(self, x: Any, y: Any, /) -> Array: ...
    def right_shift(self, x: Any, y: Any, /) -> Array: ...
    def reciprocal(self, x: Any, /) -> Array: ...
    def equal(self, x: Any, y: Any, /) -> Array: ...
    def not_equal(self, x: Any, y: Any, /) -> Array: ...
    def less(self, x: Any, y: Any, /) -> Array: ...
    def less_equal(self, x: Any, y: Any, /) -> Array: ...
    def greater(self, x: Any, y: Any, /) -> Array: ...
    def greater_equal(self, x: Any, y: Any, /) -> Array: ...
    def getitem(self, x: Any, idx: Any, /, mode: str | None = None, fill_value: Any = None) -> Array: ...
    def at_update(self, x: Any, idx: Any, value: Any, mode: str, /, oob: str | None = None) -> Array: ...
    def astype(self, x: Any, dtype: DTypeLike, /) -> Array: ...
    def transpose(self, a: Any, axes: Sequence[int] | None = None, /) -> Array: ...
    def swapaxes(self, a: Any, axis1: int, axis2: int, /) -> Array: ...
    def reshape(self, a: Any, shape: Any, /, *, order: str = "C") -> Array: ...
    def squeeze(self, a: Any, axis: int | Sequence[int] | None = None, /) -> Array: ...
    def ravel(self, a: Any, /) -> Array: ...
    def diagonal(self, a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, /) -> Array: ...
    def sum(self, a: Any, /, *, axis: AxisLike = None, dtype: DTypeLike | None = None,
            keepdims: bool = False) -> Array: ...
    def prod(self, a: Any, /, *, axis: AxisLike = None, dtype: DTypeLike | None = None,
             keepdims: bool = False) -> Array: ...
    def mean(self, a: Any, /, *, axis: AxisLike = None, dtype: DTypeLike | None = None,
             keepdims: bool = False) -> Array: ...
    def var(self, a: Any, /, *, axis: AxisLike = None, ddof: int = 0, keepdims: bool = False) -> Array: ...
    def std(self, a: Any, /, *, axis: AxisLike = None, ddof: int = 0, keepdims: bool = False) -> Array: ...
    def max(self, a: Any, /, *, axis: AxisLike = None, keepdims: bool = False) -> Array: ...
    def min(self, a: Any, /, *, axis: AxisLike = None, keepdims: bool = False) -> Array: ...
    def argmax(self, a: Any, /, *, axis: SupportsIndex | None = None, keepdims: bool = False) -> Array: ...
    def argmin(self, a: Any, /, *, axis: SupportsIndex | None = None, keepdims: bool = False) -> Array: ...
    def all(self, a: Any, /, *, axis: AxisLike = None, keepdims: bool = False) -> Array: ...
    def any(self, a: Any, /, *, axis: AxisLike = None, keepdims: bool = False) -> Array: ...
    def cumsum(self, a: Any, /, *, axis: int | None = None, dtype: DTypeLike | None = None) -> Array: ...
    def cumprod(self, a: Any, /, *, axis: int | None = None, dtype: DTypeLike | None = None) -> Array: ...
    def clip(self, x: Any, min: Any = None, max: Any = None, /) -> Array: ...  # noqa: A002
    def round(self, x: Any, decimals: int = 0, /) -> Array: ...
    def dot(self, a: Any, b: Any, /) -> Array: ...
    def sort(self, a: Any, /, *, axis: int | None = -1) -> Array: ...
    def argsort(self, a: Any, /, *, axis: int | None = -1) -> Array: ...
    def take(self, a: Any, indices: Any, /, *, axis: int | None = None, mode: str | None = None,
             fill_value: Any = None) -> Array: ...
    def real(self, x: Any, /) -> Array: ...
    def imag(self, x: Any, /) -> Array: ...
    def conjugate(self, x: Any, /) -> Array: ...


class _NotInstalled:
    """Stands for the operations until :func:`install_ops` runs: says why a
    method cannot work yet instead of a bare AttributeError."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(
            f"Array method {name!r} is unavailable: import functorch_lite (not only "
            "functorch_lite.array) so that the numpy layer installs the array operations"
        )


_ops: ArrayOps = cast(ArrayOps, _NotInstalled())
_namespace: ModuleType | None = None


def install_ops(ops: ArrayOps, namespace: ModuleType) -> None:
    """Make ``ops`` the functions behind every Array/tracer method, and
    ``namespace`` what ``x.__array_namespace__()`` returns.

    :mod:`functorch_lite.numpy` calls this once when it is imported.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> from functorch_lite.numpy._methods import NumpyOps
        >>> install_ops(NumpyOps, jnp)  # what importing functorch_lite.numpy did
        >>> (jnp.arange(3) + 1).tolist()
        [1, 2, 3]
    """
    global _ops, _namespace
    _ops = ops
    _namespace = namespace
    # Concrete Arrays call the function itself for their forward operators: the
    # ``ArrayMethods`` trampoline is one Python frame, ~10 % of an eager ``a + b``
    # on small arrays.  Each is exactly ``_ops.<name>(self, o)``; the reflected
    # ones swap their operands and keep the trampoline.
    for dunder, name in _DIRECT_DUNDERS.items():
        setattr(Array, dunder, getattr(ops, name))


#: Array operators whose ArrayMethods body is ``_ops.<name>(self, ...)``
_DIRECT_DUNDERS = {
    "__add__": "add", "__sub__": "subtract", "__mul__": "multiply", "__truediv__": "true_divide",
    "__floordiv__": "floor_divide", "__mod__": "remainder", "__pow__": "power", "__matmul__": "matmul",
    "__neg__": "negative", "__pos__": "positive", "__abs__": "abs", "__invert__": "bitwise_not",
    "__and__": "bitwise_and", "__or__": "bitwise_or", "__xor__": "bitwise_xor",
    "__lshift__": "left_shift", "__rshift__": "right_shift",
    "__lt__": "less", "__le__": "less_equal", "__gt__": "greater", "__ge__": "greater_equal",
    "__getitem__": "getitem",
}


class ArrayMethods:
    """Operators and methods shared by concrete Arrays and tracers.

    Each calls the :mod:`functorch_lite.numpy` function of the same name
    (see :class:`ArrayOps`); under a transform that function binds primitives
    on tracers, so the methods need nothing transform-specific.  The return
    type is ``Array`` for both, as JAX annotates ``jax.Array`` (a tracer
    stands for an array).
    """

    __slots__ = ()
    # NumPy must defer to our reflected operators instead of converting us.
    __array_ufunc__ = None
    __array_priority__ = 100
    __hash__ = None  # type: ignore[assignment]

    @property
    def shape(self) -> tuple[int, ...]:
        raise NotImplementedError

    @property
    def dtype(self) -> np.dtype[Any]:
        raise NotImplementedError

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d array")
        return self.shape[0]

    def __iter__(self) -> Iterator[Array]:
        if not self.shape:
            raise TypeError("iteration over a 0-d array")  # at iter(), as NumPy
        return (self[i] for i in range(self.shape[0]))

    # arithmetic -------------------------------------------------------------
    def __add__(self, o: ArrayLike) -> Array: return _ops.add(self, o)
    def __radd__(self, o: ArrayLike) -> Array: return _ops.add(o, self)
    def __sub__(self, o: ArrayLike) -> Array: return _ops.subtract(self, o)
    def __rsub__(self, o: ArrayLike) -> Array: return _ops.subtract(o, self)
    def __mul__(self, o: ArrayLike) -> Array: return _ops.multiply(self, o)
    def __rmul__(self, o: ArrayLike) -> Array: return _ops.multiply(o, self)
    def __truediv__(self, o: ArrayLike) -> Array: return _ops.true_divide(self, o)
    def __rtruediv__(self, o: ArrayLike) -> Array: return _ops.true_divide(o, self)
    def __floordiv__(self, o: ArrayLike) -> Array: return _ops.floor_divide(self, o)
    def __rfloordiv__(self, o: ArrayLike) -> Array: return _ops.floor_divide(o, self)
    def __mod__(self, o: ArrayLike) -> Array: return _ops.remainder(self, o)
    def __rmod__(self, o: ArrayLike) -> Array: return _ops.remainder(o, self)
    def __divmod__(self, o: ArrayLike) -> tuple[Array, Array]:
        return (_ops.floor_divide(self, o), _ops.remainder(self, o))
    def __pow__(self, o: ArrayLike) -> Array: return _ops.power(self, o)
    def __rpow__(self, o: ArrayLike) -> Array: return _ops.power(o, self)
    def __matmul__(self, o: ArrayLike) -> Array: return _ops.matmul(self, o)
    def __rmatmul__(self, o: ArrayLike) -> Array: return _ops.matmul(o, self)
    def __neg__(self) -> Array: return _ops.negative(self)
    def __pos__(self) -> Array: return _ops.positive(self)
    def __abs__(self) -> Array: return _ops.abs(self)
    def __invert__(self) -> Array: return _ops.bitwise_not(self)
    def __and__(self, o: ArrayLike) -> Array: return _ops.bitwise_and(self, o)
    def __rand__(self, o: ArrayLike) -> Array: return _ops.bitwise_and(o, self)
    def __or__(self, o: ArrayLike) -> Array: return _ops.bitwise_or(self, o)
    def __ror__(self, o: ArrayLike) -> Array: return _ops.bitwise_or(o, self)
    def __xor__(self, o: ArrayLike) -> Array: return _ops.bitwise_xor(self, o)
    def __rxor__(self, o: ArrayLike) -> Array: return _ops.bitwise_xor(o, self)
    def __lshift__(self, o: ArrayLike) -> Array: return _ops.left_shift(self, o)
    def __rlshift__(self, o: ArrayLike) -> Array: return _ops.left_shift(o, self)
    def __rshift__(self, o: ArrayLike) -> Array: return _ops.right_shift(self, o)
    def __rrshift__(self, o: ArrayLike) -> Array: return _ops.right_shift(o, self)

    # comparisons (elementwise, as in NumPy: not object's bool-valued ones) ---
    def __eq__(self, o: object) -> Array: return _ops.equal(self, o)  # type: ignore[override]
    def __ne__(self, o: object) -> Array: return _ops.not_equal(self, o)  # type: ignore[override]
    def __lt__(self, o: ArrayLike) -> Array: return _ops.less(self, o)
    def __le__(self, o: ArrayLike) -> Array: return _ops.less_equal(self, o)
    def __gt__(self, o: ArrayLike) -> Array: return _ops.greater(self, o)
    def __ge__(self, o: ArrayLike) -> Array: return _ops.greater_equal(self, o)

    # indexing ---------------------------------------------------------------
    def __getitem__(self, idx: Any) -> Array:
        return _ops.getitem(self, idx)

    def __setitem__(self, idx: Any, value: Any) -> None:
        raise TypeError(
            f"{type(self).__name__} is immutable and does not support item assignment; "
            "use x = x.at[idx].set(value) (or .add/.multiply/.min/.max) for a new array"
        )

    @property
    def at(self) -> _IndexUpdateHelper:
        """Functional updates: ``x.at[idx].set(v)`` returns a new array.

        Example:
            >>> import functorch_lite.numpy as jnp
            >>> jnp.zeros(3).at[1].set(5.0).tolist()
            [0.0, 5.0, 0.0]
        """
        return _IndexUpdateHelper(self)

    # methods ----------------------------------------------------------------
    @property
    def T(self) -> Array:
        return _ops.transpose(self)

    @property
    def mT(self) -> Array:
        if self.ndim < 2:
            raise ValueError(f"mT needs an array with at least 2 dimensions, got shape {self.shape}")
        return _ops.swapaxes(self, -1, -2)

    def astype(self, dtype: DTypeLike) -> Array: return _ops.astype(self, dtype)
    def reshape(self, *shape: Any, order: str = "C") -> Array:
        if len(shape) == 1 and not isinstance(shape[0], SupportsIndex):
            shape = tuple(shape[0])
        return _ops.reshape(self, shape, order=order)
    def transpose(self, *axes: Any) -> Array:
        if len(axes) == 1 and not isinstance(axes[0], SupportsIndex):
            axes = tuple(axes[0]) if axes[0] is not None else ()
        return _ops.transpose(self, axes or None)
    def permute(self, *dims: Any) -> Array: return self.transpose(*dims)
    def swapaxes(self, a: int, b: int) -> Array: return _ops.swapaxes(self, a, b)
    def squeeze(self, axis: int | Sequence[int] | None = None) -> Array: return _ops.squeeze(self, axis)
    def ravel(self) -> Array: return _ops.ravel(self)
    def flatten(self) -> Array: return _ops.ravel(self)
    def diagonal(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Array:
        return _ops.diagonal(self, offset, axis1, axis2)
    def sum(self, axis: AxisLike = None, dtype: DTypeLike | None = None, keepdims: bool = False) -> Array:
        return _ops.sum(self, axis=axis, dtype=dtype, keepdims=keepdims)
    def prod(self, axis: AxisLike = None, dtype: DTypeLike | None = None, keepdims: bool = False) -> Array:
        return _ops.prod(self, axis=axis, dtype=dtype, keepdims=keepdims)
    def mean(self, axis: AxisLike = None, dtype: DTypeLike | None = None, keepdims: bool = False) -> Array:
        return _ops.mean(self, axis=axis, dtype=dtype, keepdims=keepdims)
    def var(self, axis: AxisLike = None, ddof: int = 0, keepdims: bool = False) -> Array:
        return _ops.var(self, axis=axis, ddof=ddof, keepdims=keepdims)
    def std(self, axis: AxisLike = None, ddof: int = 0, keepdims: bool = False) -> Array:
        return _ops.std(self, axis=axis, ddof=ddof, keepdims=keepdims)
    def max(self, axis: AxisLike = None, keepdims: bool = False) -> Array:
        return _ops.max(self, axis=axis, keepdims=keepdims)
    def min(self, axis: AxisLike = None, keepdims: bool = False) -> Array:
        return _ops.min(self, axis=axis, keepdims=keepdims)
    def argmax(self, axis: SupportsIndex | None = None, keepdims: bool = False) -> Array:
        return _ops.argmax(self, axis=axis, keepdims=keepdims)
    def argmin(self, axis: SupportsIndex | None = None, keepdims: bool = False) -> Array:
        return _ops.argmin(self, axis=axis, keepdims=keepdims)
    def all(self, axis: AxisLike = None, keepdims: bool = False) -> Array:
        return _ops.all(self, axis=axis, keepdims=keepdims)
    def any(self, axis: AxisLike = None, keepdims: bool = False) -> Array:
        return _ops.any(self, axis=axis, keepdims=keepdims)
    def cumsum(self, axis: int | None = None, dtype: DTypeLike | None = None) -> Array:
        return _ops.cumsum(self, axis=axis, dtype=dtype)
    def cumprod(self, axis: int | None = None, dtype: DTypeLike | None = None) -> Array:
        return _ops.cumprod(self, axis=axis, dtype=dtype)
    def clip(self, min: ArrayLike | None = None, max: ArrayLike | None = None) -> Array:  # noqa: A002
        return _ops.clip(self, min, max)
    def round(self, decimals: int = 0) -> Array: return _ops.round(self, decimals)
    def dot(self, other: ArrayLike) -> Array: return _ops.dot(self, other)
    def sort(self, axis: int | None = -1) -> Array: return _ops.sort(self, axis=axis)
    def argsort(self, axis: int | None = -1) -> Array: return _ops.argsort(self, axis=axis)
    def take(self, indices: ArrayLike, axis: int | None = None, mode: str | None = None,
             fill_value: Any = None) -> Array:
        return _ops.take(self, indices, axis=axis, mode=mode, fill_value=fill_value)
    def conj(self) -> Array: return _ops.conjugate(self)
    def conjugate(self) -> Array: return _ops.conjugate(self)
    @property
    def real(self) -> Array: return _ops.real(self)
    @property
    def imag(self) -> Array: return _ops.imag(self)


class _IndexUpdateHelper:
    __slots__ = ("_array",)

    def __init__(self, array: ArrayMethods) -> None:
        self._array = array

    def __getitem__(self, idx: Any) -> _IndexUpdateRef:
        return _IndexUpdateRef(self._array, idx)


class _IndexUpdateRef:
    """``x.at[idx]``: each method returns a new array; ``x`` is unchanged.

    ``mode=`` takes JAX's out-of-range modes: ``"clip"`` (clamp the index,
    negatives wrapped once), ``"drop"``/``"fill"``/``"promise_in_bounds"``
    (an update out of range is dropped; ``get`` with ``"fill"`` gives
    ``fill_value``, with ``"promise_in_bounds"`` clamps, as JAX on CPU).
    Without ``mode`` an out-of-range index raises ``IndexError`` (JAX clamps
    gathers and drops updates silently).  ``indices_are_sorted`` and
    ``unique_indices`` are JAX's performance hints: accepted, unused.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> x = jnp.arange(3.0)
        >>> x.at[jnp.array([0, 5])].get(mode="fill", fill_value=-1.0).tolist()
        [0.0, -1.0]
        >>> x.at[jnp.array([0, 5])].add(10.0, mode="drop").tolist()
        [10.0, 1.0, 2.0]
    """

    __slots__ = ("_array", "_idx")

    def __init__(self, array: ArrayMethods, idx: Any) -> None:
        self._array = array
        self._idx = idx

    def get(self, *, mode: str | None = None, fill_value: Any = None, indices_are_sorted: bool = False,
            unique_indices: bool = False) -> Array:
        return _ops.getitem(self._array, self._idx, mode, fill_value)

    def _update(self, v: Any, how: str, mode: str | None) -> Array:
        return _ops.at_update(self._array, self._idx, v, how, mode)

    def set(self, v: ArrayLike, *, mode: str | None = None, indices_are_sorted: bool = False,
            unique_indices: bool = False) -> Array:
        return self._update(v, "set", mode)

    def add(self, v: ArrayLike, *, mode: str | None = None, indices_are_sorted: bool = False,
            unique_indices: bool = False) -> Array:
        return self._update(v, "add", mode)

    def multiply(self, v: ArrayLike, *, mode: str | None = None, indices_are_sorted: bool = False,
                 unique_indices: bool = False) -> Array:
        return self._update(v, "mul", mode)

    mul = multiply

    def divide(self, v: ArrayLike, *, mode: str | None = None, indices_are_sorted: bool = False,
               unique_indices: bool = False) -> Array:
        dt = self._array.dtype
        if dt.kind != "f":
            raise TypeError(
                f"x.at[idx].divide needs a float array, got {dt} (true division does not stay in {dt}); use "
                "x.at[idx].set(x[idx] // v) for floor division, or convert x to a float dtype first"
            )
        return self._update(_ops.reciprocal(v), "mul", mode)

    def power(self, v: ArrayLike, *, mode: str | None = None, indices_are_sorted: bool = False,
              unique_indices: bool = False) -> Array:
        return self._update(v, "pow", mode)

    def min(self, v: ArrayLike, *, mode: str | None = None, indices_are_sorted: bool = False,
            unique_indices: bool = False) -> Array:
        return self._update(v, "min", mode)

    def max(self, v: ArrayLike, *, mode: str | None = None, indices_are_sorted: bool = False,
            unique_indices: bool = False) -> Array:
        return self._update(v, "max", mode)


class Storage:
    """A 1-D buffer of one dtype, shared by every view made from it.

    Arrays never write into a Storage after creating it; the stateful
    ``Tensor`` layer swaps a handle to a fresh Storage instead (copy-on-write).

    ``Storage(data)`` takes a 1-D NumPy array of a supported dtype.  A plain,
    native-byte-order, aligned, contiguous array is shared without a copy (do
    not write into it afterwards: arrays are promised immutable); any other
    layout (big-endian, unaligned, strided, an ndarray subclass) is copied
    into one.  Anything else raises ``TypeError``/``ValueError``.

    Example:
        >>> import numpy as np
        >>> import functorch_lite.numpy as jnp
        >>> s = jnp.arange(4).storage()
        >>> len(s), s.tolist()
        (4, [0, 1, 2, 3])
        >>> Storage(np.arange(3, dtype=">f4")).dtype  # converted to native order
        dtype('float32')
    """

    __slots__ = ("_base", "_flat", "__weakref__")
    _base: np.ndarray[Any, Any]
    _flat: np.ndarray[Any, Any] | None

    def __init__(self, data: np.ndarray[Any, Any]) -> None:
        flat = _native_buffer(data)
        self._base = flat
        self._flat = flat

    @staticmethod
    def _of_dense(base: np.ndarray[Any, Any]) -> Storage:
        """A storage over a fresh C-contiguous array of any shape; the flat
        1-D view is made only when someone needs it (it costs ~0.3 us)."""
        s = object.__new__(Storage)
        s._base = base
        s._flat = None
        return s

    @property
    def _data(self) -> np.ndarray[Any, Any]:
        flat = self._flat
        if flat is None:
            flat = self._flat = self._base.reshape(-1)
        return flat

    @property
    def dtype(self) -> np.dtype[Any]:
        dt: np.dtype[Any] = self._base.dtype
        return dt

    def __len__(self) -> int:
        return int(self._base.size)

    def __getitem__(self, i: int) -> Any:
        return self._data[i].item()

    def tolist(self) -> list[Any]:
        return list(self._data.tolist())

    def numpy(self) -> np.ndarray[Any, Any]:
        """A read-only NumPy view of the whole buffer (no copy)."""
        v = self._data.view()
        v.flags.writeable = False
        return v

    def data_ptr(self) -> int:
        return int(self._data.ctypes.data)

    def __repr__(self) -> str:
        return f"Storage(size={len(self)}, dtype={self.dtype})"


def _native_dtype(dt: np.dtype[Any]) -> np.dtype[Any]:
    """``dt`` in this machine's byte order, checked to be supported."""
    if not dt.isnative:
        dt = dt.newbyteorder("=")
    if dt not in dtypes.SUPPORTED:
        names = ", ".join(str(d) for d in dtypes.SUPPORTED)
        raise TypeError(f"dtype {dt} is not supported by functorch_lite; use one of: {names}")
    return dt


def _native_buffer(data: Any) -> np.ndarray[Any, Any]:
    """``data`` as a buffer kernels can read directly: a plain 1-D ndarray of
    a supported dtype, native byte order, aligned and contiguous (copied into
    one when it is not: Numba kernels assume all four)."""
    if not isinstance(data, np.ndarray):
        raise TypeError(
            f"a Storage wraps a 1-D NumPy array, got {type(data).__name__}; "
            "pass numpy.asarray(data).reshape(-1), or use functorch_lite.numpy.asarray(data)"
        )
    if data.ndim != 1:
        raise ValueError(
            f"a Storage wraps a 1-D buffer, got shape {data.shape}; pass data.reshape(-1) and describe "
            "the layout with the Array's shape and strides"
        )
    dt = _native_dtype(data.dtype)
    f = data.flags
    if type(data) is not np.ndarray or dt is not data.dtype or not (f.aligned and f.c_contiguous):
        data = np.array(data, dtype=dt, order="C", copy=True, subok=False)
    out: np.ndarray[Any, Any] = data
    return out


_INT64_MAX = 2**63 - 1
_MAX_DIMS = 64  # NumPy's limit: every Array must have a NumPy view


class ViewBoundsError(ValueError, IndexError):
    """A view would reach memory outside its buffer.

    A ``ValueError`` (bad layout arguments) that is also an ``IndexError``
    (they index outside the data), as NumPy's ``AxisError`` is both.
    """


def strict_index(d: Any, what: str) -> int:
    """``d`` as a Python int: ints, NumPy ints and integer 0-d arrays; bools
    and floats raise ``TypeError`` (never truncated).

    Example:
        >>> strict_index(np.int64(3), "size")
        3
    """
    if isinstance(d, (bool, np.bool_)):
        raise TypeError(f"{what} must be an integer, got a bool ({d!r})")
    try:
        return operator.index(d)
    except TypeError:
        raise TypeError(
            f"{what} must be an integer, got {type(d).__name__} {d!r}; convert with int() only if the value "
            "is integral"
        ) from None


def _index_tuple(v: Any, what: str, name: str) -> tuple[int, ...]:
    if not isinstance(v, (tuple, list)):
        raise TypeError(f"{name}: {what} must be a tuple of ints, got {type(v).__name__} {v!r}")
    return tuple(strict_index(d, f"{name}: every entry of {what} {tuple(v)!r}") for d in v)


def check_layout(
    shape: Any, strides: Any, offset: Any, size: int, itemsize: int = 1, name: str = "Array",
    fix: str = "build arrays with functorch_lite.numpy (jnp.asarray, jnp.as_strided, slicing)",
) -> tuple[tuple[int, ...], tuple[int, ...], int]:
    """Check that a view of ``size`` elements stays inside them.

    Returns ``(shape, strides, offset)`` as Python ints (``strides=None`` is
    row-major).  Raises ``TypeError`` for wrong types (bools, floats), and a
    ``ValueError`` naming shape, strides, offset and size otherwise
    (:class:`ViewBoundsError` when an element would lie outside
    ``[0, size)``).  The arithmetic is in Python ints, so nothing wraps.

    Example:
        >>> check_layout([2, np.int64(2)], None, 0, size=4)
        ((2, 2), (2, 1), 0)
        >>> check_layout((2,), (-1,), 0, size=4)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        functorch_lite.array.ViewBoundsError: Array(shape=(2,), strides=(-1,), offset=0) over 4 elements ...
    """
    shp = _index_tuple(shape, "shape", name)
    st = contiguous_strides(shp) if strides is None else _index_tuple(strides, "strides", name)
    off = strict_index(offset, f"{name}: offset")

    def bad(reason: str, cls: type[ValueError] = ValueError) -> ValueError:
        return cls(
            f"{name}(shape={shp}, strides={st}, offset={off}) over {size} elements {reason}; {fix}, "
            f"or pass a shape, strides and offset whose every element index lies in [0, {size})"
        )

    if len(shp) != len(st):
        raise bad(f"has {len(shp)} sizes but {len(st)} strides: they must match in length")
    if len(shp) > _MAX_DIMS:
        raise bad(f"has {len(shp)} dimensions; at most {_MAX_DIMS} are supported")
    if any(d < 0 for d in shp):
        raise bad("has a negative size")
    count = 1
    for d in shp:
        count *= max(d, 1)  # NumPy's rule: zero-length dims do not excuse the others
    if count * itemsize > _INT64_MAX:
        raise bad(f"has {count} elements of {itemsize} bytes, more than int64 can count")
    if any(abs(s) * itemsize > _INT64_MAX for s in st):
        raise bad("has a stride whose size in bytes does not fit in int64")
    if off < 0:
        raise bad("has a negative offset: offsets count elements from the first one and must be >= 0",
                  ViewBoundsError)
    if 0 in shp:
        if off > size:
            raise bad(f"is empty but its offset lies beyond the end ({size})", ViewBoundsError)
        return shp, st, off
    lo = off + sum((d - 1) * s for d, s in zip(shp, st) if s < 0)
    hi = off + sum((d - 1) * s for d, s in zip(shp, st) if s > 0)
    if lo < 0:
        raise bad(f"reaches element {lo}, outside the {size} elements it may index [0, {size})", ViewBoundsError)
    if hi >= size:
        raise bad(f"reaches element {hi}, outside the {size} elements it may index [0, {size})", ViewBoundsError)
    return shp, st, off


def contiguous_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    """Row-major strides in elements for ``shape``.

    Example:
        >>> contiguous_strides((2, 3, 4))
        (12, 4, 1)
    """
    strides = []
    acc = 1
    for d in reversed(shape):
        strides.append(acc)
        acc *= max(d, 1)
    return tuple(reversed(strides))


def is_row_major(shape: tuple[int, ...], strides: tuple[int, ...]) -> bool:
    """Whether a layout is row-major with no gaps, ignoring size-1 dims (whose
    stride never matters); empty layouts are, whatever their strides.

    Example:
        >>> is_row_major((2, 3), (3, 1)), is_row_major((2, 3), (1, 2)), is_row_major((2, 1), (1, 7))
        (True, False, True)
    """
    if 0 in shape:
        return True
    expected = 1
    for d, s in zip(reversed(shape), reversed(strides)):
        if d == 1:
            continue
        if s != expected:
            return False
        expected *= d
    return True


# ``object.__new__`` as a module global: one lookup less in ``Array._of_buffer``
_new = object.__new__


class Array(ArrayMethods):
    """An immutable strided n-d array over a shared 1-D :class:`Storage`.

    Build arrays with :mod:`functorch_lite.numpy` (``jnp.array``,
    ``jnp.zeros``...).  ``Array(storage, shape, strides=None, offset=0,
    weak_type=False)`` describes a view of an existing storage (strides and
    offset count elements; ``strides=None`` is row-major) and checks it:

    - ``shape``, ``strides`` are tuples or lists of ints (NumPy ints too;
      never bools or floats: ``TypeError``) of equal length, at most 64 dims,
      with non-negative sizes;
    - a non-empty array reaches only storage elements ``0 <= i < len(storage)``:
      ``offset + sum((n-1)*s for s < 0) >= 0`` and
      ``offset + sum((n-1)*s for s > 0) < len(storage)``; an empty one needs
      ``0 <= offset <= len(storage)``;
    - the element count and every stride in bytes fit in int64, as in NumPy.

    Anything else raises one ``ValueError`` naming the shape, strides, offset
    and storage size (a :class:`ViewBoundsError`, also an ``IndexError``,
    when an element would lie outside the storage).

    Example:
        >>> import numpy as np
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> x = jnp.array([[1.0, 2.0], [3.0, 4.0]])
        >>> x[:, 1].tolist(), x.dtype
        ([2.0, 4.0], dtype('float32'))
        >>> s = fl.Storage(np.arange(6.0))
        >>> fl.Array(s, (2, 3), (1, 2)).tolist()
        [[0.0, 2.0, 4.0], [1.0, 3.0, 5.0]]
        >>> fl.Array(s, (3,), (-2,), offset=5).tolist()
        [5.0, 3.0, 1.0]
        >>> fl.Array(s, (10,), (1,))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        functorch_lite.array.ViewBoundsError: Array(shape=(10,), strides=(1,), offset=0) over 6 elements ...
    """

    __slots__ = ("_storage", "_shape", "_strides", "_offset", "_dtype", "weak_type", "_np", "_aval")
    _storage: Storage
    _shape: tuple[int, ...]
    _strides: tuple[int, ...]
    _offset: int
    _dtype: np.dtype[Any]
    weak_type: bool
    _np: np.ndarray[Any, Any] | None
    _aval: Any  # the cached abstract value (core.get_aval)

    def __init__(
        self,
        storage: Storage,
        shape: tuple[SupportsIndex, ...] | list[SupportsIndex],
        strides: tuple[SupportsIndex, ...] | list[SupportsIndex] | None = None,
        offset: SupportsIndex = 0,
        weak_type: bool = False,
    ) -> None:
        if not isinstance(storage, Storage):
            raise TypeError(
                f"Array needs a functorch_lite Storage, got {type(storage).__name__}; wrap a 1-D NumPy "
                "array with Storage(data), or convert data with functorch_lite.numpy.asarray"
            )
        if not isinstance(weak_type, (bool, np.bool_)):
            raise TypeError(f"Array: weak_type must be a bool, got {type(weak_type).__name__}")
        shp, st, off = check_layout(shape, strides, offset, len(storage), storage.dtype.itemsize)
        self._storage = storage
        self._shape = shp
        self._strides = st
        self._offset = off
        self._dtype = storage._base.dtype
        self.weak_type = bool(weak_type)
        self._np = None
        self._aval = None

    # construction -----------------------------------------------------------
    @staticmethod
    def _unchecked(
        storage: Storage,
        shape: tuple[int, ...],
        strides: tuple[int, ...],
        offset: int = 0,
        weak_type: bool = False,
        np_view: np.ndarray[Any, Any] | None = None,
    ) -> Array:
        """The constructor without checks, for the library's own views.

        Every caller must know the layout is inside ``storage`` (it came from
        a checked Array or a fresh buffer) and that ``np_view``, if given, is
        exactly this view: Numba kernels trust both and do not bounds-check.
        """
        a = Array.__new__(Array)
        a._storage = storage
        a._shape = shape
        a._strides = strides
        a._offset = offset
        a._dtype = storage._base.dtype
        a.weak_type = weak_type
        a._np = np_view
        a._aval = None
        return a

    @staticmethod
    def _of_buffer(buf: np.ndarray[Any, Any], shape: tuple[int, ...], strides: tuple[int, ...],
                   weak_type: bool) -> Array:
        """An Array over ``buf``, a fresh 1-D C-contiguous buffer that nobody
        else holds (a jit program's kernel output), at offset 0; the caller
        guarantees the layout fits.  ``_unchecked(Storage._of_dense(buf), ...)``
        in one call: the per-call cost of every jitted output."""
        s = _new(Storage)
        s._base = buf
        s._flat = buf  # already flat: no view to make on first ``_data``
        a = _new(Array)
        a._storage = s
        a._shape = shape
        a._strides = strides
        a._offset = 0
        a._dtype = buf.dtype
        a.weak_type = weak_type
        a._np = None
        a._aval = None
        return a

    @staticmethod
    def _wrap(arr: np.ndarray[Any, Any], weak_type: bool = False) -> Array:
        """Wrap a NumPy array that nobody else holds (a fresh kernel output).

        This is the hot path of every eager op, so the common case (a
        C-contiguous result) avoids everything that costs a microsecond.
        """
        shape = arr.shape
        if arr.flags.c_contiguous:
            strides = _CSTRIDES.get(shape)
            if strides is None:
                strides = contiguous_strides(shape)
                if len(_CSTRIDES) < 4096:
                    _CSTRIDES[shape] = strides
            # Storage._of_dense inlined: a call costs a tenth of this whole function
            storage = _new(Storage)
            storage._base = arr
            storage._flat = None
        else:
            flat = _dense_buffer(arr)
            if flat is None:
                arr = np.ascontiguousarray(arr)
                flat = arr.reshape(-1)
            isz = arr.itemsize
            strides = tuple(s // isz for s in arr.strides)
            storage = Storage._of_dense(flat)
        a = _new(Array)
        a._storage = storage
        a._shape = shape
        a._strides = strides
        a._offset = 0
        a._dtype = arr.dtype
        a.weak_type = weak_type
        a._np = arr
        a._aval = None
        return a

    @staticmethod
    def _from_numpy_copy(arr: np.ndarray[Any, Any], weak_type: bool = False) -> Array:
        """Copy a caller-owned NumPy array (the caller may mutate it later)
        into a native-byte-order, aligned, row-major buffer."""
        return Array._wrap(np.array(arr, dtype=_native_dtype(arr.dtype), order="C", copy=True), weak_type)

    def _view(self, shape: tuple[int, ...], strides: tuple[int, ...], offset: int) -> Array:
        """A new Array over the same storage (no copy)."""
        return Array._unchecked(self._storage, shape, strides, offset, self.weak_type)

    # metadata ---------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self._shape

    @property
    def dtype(self) -> np.dtype[Any]:
        return self._dtype

    @property
    def ndim(self) -> int:
        return len(self._shape)

    @property
    def size(self) -> int:
        n = 1
        for d in self._shape:
            n *= d
        return n

    def stride(self, dim: int | None = None) -> Any:
        """Strides in elements (PyTorch's ``stride()``); one dim's if given.

        Example:
            >>> import functorch_lite.numpy as jnp
            >>> jnp.zeros((2, 3)).stride()
            (3, 1)
        """
        if dim is None:
            return self._strides
        return self._strides[_check_dim(dim, self.ndim)]

    @property
    def strides(self) -> tuple[int, ...]:
        """Strides in bytes, as NumPy reports them."""
        isz = self._dtype.itemsize
        return tuple(s * isz for s in self._strides)

    def storage_offset(self) -> int:
        """Index of this array's first element in its storage.

        Example:
            >>> import functorch_lite.numpy as jnp
            >>> jnp.arange(5)[2:].storage_offset()
            2
        """
        return self._offset

    def storage(self) -> Storage:
        """The Storage object, shared by every view of the same buffer."""
        return self._storage

    def is_contiguous(self) -> bool:
        """Whether elements are laid out row-major with no gaps.

        Example:
            >>> import functorch_lite.numpy as jnp
            >>> x = jnp.zeros((2, 3))
            >>> x.is_contiguous(), x.T.is_contiguous()
            (True, False)
        """
        return is_row_major(self._shape, self._strides)

    def contiguous(self) -> Array:
        """``self`` if contiguous, else a row-major copy.

        Example:
            >>> import functorch_lite.numpy as jnp
            >>> x = jnp.zeros((2, 3)).T
            >>> x.contiguous().stride()
            (2, 1)
        """
        if self.is_contiguous():
            return self
        return self.clone()

    def clone(self) -> Array:
        """A row-major copy over a new storage (always copies).

        Example:
            >>> import functorch_lite.numpy as jnp
            >>> x = jnp.ones(3)
            >>> x.clone().storage() is x.storage()
            False
        """
        # NumPy's strided copy already runs at memory speed
        return Array._wrap(np.array(self._numpy(), order="C", copy=True), self.weak_type)

    # conversion -------------------------------------------------------------
    def _numpy(self) -> np.ndarray[Any, Any]:
        """A read-only NumPy view of this array (cached; no copy)."""
        v = self._np
        if v is None:
            shape = self._shape
            if 0 in shape:
                # no element is ever read; offsets into an empty buffer are moot
                v = self._np = np.empty(shape, self._dtype)
                return v
            if self._offset == 0 and self._storage._base.ndim == 1:
                # a whole flat buffer (a jitted kernel's output): a reshape takes 0.1 us,
                # the general constructor below 0.5-0.9 us, and jitted matrix products
                # ask for one per operand
                v = _whole_buffer_view(self._storage._base, shape, self._strides)
                if v is not None:
                    self._np = v
                    return v
            isz = self._dtype.itemsize
            v = np.ndarray(
                self._shape, self._dtype, buffer=self._storage._data,
                offset=self._offset * isz, strides=tuple(s * isz for s in self._strides),
            )
            self._np = v
        return v

    def _readonly(self) -> np.ndarray[Any, Any]:
        """A read-only NumPy view for users (kernels use ``_numpy()``).

        It is built on a read-only buffer, so the flag cannot be switched back
        on to write into an array that is promised immutable.
        """
        if 0 in self._shape:
            v = np.empty(self._shape, self._dtype)
            v.flags.writeable = False
            return v
        isz = self._dtype.itemsize
        data = self._storage._data
        buf = np.frombuffer(memoryview(data).toreadonly(), dtype=data.dtype)  # type: ignore[arg-type]
        return np.ndarray(
            self._shape, self._dtype, buffer=buf, offset=self._offset * isz,
            strides=tuple(s * isz for s in self._strides),
        )

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray[Any, Any]:
        v = self._readonly()
        if copy:
            v = v.copy()
        if dtype is not None and np.dtype(dtype) != v.dtype:
            if copy is False:
                raise ValueError("converting the dtype needs a copy; pass copy=None or True")
            v = v.astype(dtype)
        return v

    def __dlpack__(self, /, *, stream: Any = None, max_version: tuple[int, int] | None = None,
                   dl_device: tuple[Any, int] | None = None, copy: bool | None = None) -> Any:
        kwargs: dict[str, Any] = {k: v for k, v in (("stream", stream), ("max_version", max_version),
                                                   ("dl_device", dl_device), ("copy", copy)) if v is not None}
        try:
            return self._readonly().__dlpack__(**kwargs)
        except BufferError:
            # consumers that cannot receive a read-only flag get a copy
            return self._numpy().copy().__dlpack__(**kwargs)

    def __dlpack_device__(self) -> tuple[int, int]:
        return (1, 0)  # kDLCPU

    def __array_namespace__(self, api_version: str | None = None) -> ModuleType:
        if _namespace is None:
            raise RuntimeError(
                "the array namespace is unavailable: import functorch_lite (not only functorch_lite.array)"
            )
        return _namespace

    def tolist(self) -> Any:
        """Nested Python lists (a Python scalar for 0-d arrays).

        Example:
            >>> import functorch_lite.numpy as jnp
            >>> jnp.eye(2, dtype="int32").tolist()
            [[1, 0], [0, 1]]
        """
        return self._numpy().tolist()

    def item(self) -> Any:
        """The single element as a Python scalar.

        Example:
            >>> import functorch_lite.numpy as jnp
            >>> jnp.array([3.5]).item()
            3.5
        """
        if self.size != 1:
            raise ValueError(f"item() needs an array with exactly one element, got shape {self._shape}")
        return self._numpy().reshape(-1)[0].item()

    def __bool__(self) -> bool:
        if self.size != 1:
            raise ValueError(
                f"the truth value of an array of shape {self._shape} is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.item())

    def __float__(self) -> float:
        return float(self._scalar("float"))

    def __int__(self) -> int:
        return int(self._scalar("int"))

    def __complex__(self) -> complex:
        return complex(self._scalar("complex"))

    def _scalar(self, what: str) -> Any:
        if self.size != 1:
            raise TypeError(
                f"only arrays with one element can be converted to a Python {what}, got shape "
                f"{self._shape}; reduce it first (e.g. .sum()) or index one element"
            )
        return self.item()

    def __index__(self) -> int:
        if self._dtype.kind not in "iub" or self.size != 1:
            raise TypeError(
                f"only integer arrays of one element can be used as an index, got "
                f"shape {self._shape} dtype {self._dtype}"
            )
        return int(self.item())

    def __repr__(self) -> str:
        body = np.array2string(self._numpy(), separator=", ", prefix="Array(")
        extra = ""
        if self.size == 0 and self._shape != (0,):
            extra = f", shape={self._shape}"  # NumPy's form: the body alone is just []
        if self._dtype not in (dtypes.float32, dtypes.int32, dtypes.bool_) or self.size == 0:
            extra += f", dtype={self._dtype}"
        if self.weak_type:
            extra += ", weak_type=True"
        return f"Array({body}{extra})"

    def __str__(self) -> str:
        return str(self._numpy())

    def __format__(self, spec: str) -> str:
        if self.ndim == 0:
            return format(self.item(), spec)
        return str(self)

    def __copy__(self) -> Array:
        return self  # immutable: sharing is a copy (as for tuples)

    def __deepcopy__(self, memo: Any) -> Array:
        return self

    def __reduce__(self) -> Any:
        raise TypeError(
            "functorch_lite arrays are not pickled; save them with "
            "numpy.save(path, numpy.asarray(x)) or the library's safe save/load"
        )

    def numpy(self) -> np.ndarray[Any, Any]:
        """A read-only NumPy view (no copy).

        Example:
            >>> import functorch_lite.numpy as jnp
            >>> jnp.arange(3).numpy().flags.writeable
            False
        """
        return self._readonly()

    def block_until_ready(self) -> Array:
        """Eager arrays are always ready; present for JAX compatibility.

        Example:
            >>> import functorch_lite.numpy as jnp
            >>> jnp.ones(2).block_until_ready().tolist()
            [1.0, 1.0]
        """
        return self

    @property
    def device(self) -> Device:
        """The device holding the data: always the CPU.

        Example:
            >>> import functorch_lite.numpy as jnp
            >>> jnp.ones(2).device
            CpuDevice(id=0)
        """
        return CPU

    def devices(self) -> set[Device]:
        """The set of devices holding the data (JAX's method): ``{CPU}``.

        Example:
            >>> import functorch_lite.numpy as jnp
            >>> jnp.ones(2).devices()
            {CpuDevice(id=0)}
        """
        return {CPU}

    def to_device(self, device: Any, /, *, stream: Any = None) -> Array:
        """This array on ``device`` (the Array API's method); only the CPU exists.

        Example:
            >>> import functorch_lite.numpy as jnp
            >>> x = jnp.ones(2)
            >>> x.to_device("cpu") is x
            True
        """
        check_device(device)
        if stream is not None:
            raise ValueError("to_device: streams do not exist on the CPU; pass stream=None")
        return self


_CSTRIDES: dict[tuple[int, ...], tuple[int, ...]] = {}


def _whole_buffer_view(flat: np.ndarray[Any, Any], shape: tuple[int, ...],
                       strides: tuple[int, ...]) -> np.ndarray[Any, Any] | None:
    """``flat`` (1-D) seen as a row-major array of ``shape``, or a column-major
    matrix, when ``strides`` say it is exactly that; else None."""
    n = flat.shape[0]
    if len(shape) == 1:
        return flat.reshape(shape) if shape[0] == n and strides == (1,) else None
    if len(shape) == 2:
        r, c = shape
        if r * c == n and r > 1 and c > 1:
            if strides == (c, 1):
                return flat.reshape(shape)
            if strides == (1, r):
                return flat.reshape((c, r)).T
    return None


def _dense_buffer(arr: np.ndarray[Any, Any]) -> np.ndarray[Any, Any] | None:
    """The flat buffer of a gap-free array in any axis order (NumPy's K-order
    outputs follow their inputs' layout), or None if it has gaps or negative
    strides."""
    if arr.flags.c_contiguous:
        return arr.reshape(-1)
    if min(arr.strides, default=0) <= 0:
        return None
    perm = sorted(range(arr.ndim), key=lambda i: -arr.strides[i])
    t = arr.transpose(perm)
    if t.flags.c_contiguous:
        return t.reshape(-1)
    return None


def _check_dim(dim: int, ndim: int) -> int:
    if not -ndim <= dim < max(ndim, 1) or (ndim == 0 and dim not in (0, -1)):
        raise IndexError(f"dimension {dim} is out of range for an array with {ndim} dimensions")
    return dim % ndim if ndim else 0
