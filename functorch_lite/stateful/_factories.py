"""Tensor factories with PyTorch's names, signatures and default dtypes.

Example:
    >>> import functorch_lite as fl
    >>> fl.zeros(2, 3).dtype, fl.arange(3).dtype, fl.full((2,), True).dtype
    (functorch_lite.float32, functorch_lite.int64, functorch_lite.bool)
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

import functorch_lite.numpy as jnp
import functorch_lite.random as jr
from functorch_lite.array import Array, Storage
from functorch_lite.core import Tracer
from functorch_lite.dtypes import keep_64_bit_in_module
from functorch_lite.stateful import _dtypes as D
from functorch_lite.stateful import _math
from functorch_lite.stateful._base import TensorBase
from functorch_lite.stateful._convert import data_to_numpy
from functorch_lite.stateful._layout import sizes_arg
from functorch_lite.stateful._random import Generator, key_for
from functorch_lite.stateful._storage import EXTERNAL, SHARED, StorageHandle
from functorch_lite.stateful._tensor import Tensor


def _finish(t: Any, requires_grad: bool) -> Any:
    if requires_grad:
        if not t._dtype.is_differentiable:
            raise RuntimeError(
                f"Only Tensors of floating point and complex dtype can require gradients, got {t._dtype.name}")
        t.requires_grad = True
    return t


def is_tensor(obj: Any) -> bool:
    """Whether ``obj`` is a :class:`Tensor`.

    Example:
        >>> import functorch_lite as fl
        >>> fl.is_tensor(fl.zeros(1)), fl.is_tensor([1])
        (True, False)
    """
    return isinstance(obj, TensorBase)


def tensor(data: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, NumPy
    data, Arrays, tensors): Python floats take the default dtype, ints
    int64, bools bool; NumPy data keeps its dtype.

    Example:
        >>> import functorch_lite as fl
        >>> fl.tensor([[1, 2], [3, 4]]).dtype, fl.tensor(2.5).shape
        (functorch_lite.int64, functorch_lite.Size([]))
    """
    if isinstance(data, Tensor):
        out = data.clone() if dtype is None else data.to(dtype, copy=True)
        return _finish(out.detach(), requires_grad)  # type: ignore[no-any-return]
    arr, _ = data_to_numpy(data, dtype)
    return _finish(TensorBase._fresh(arr), requires_grad)  # type: ignore[no-any-return]


def from_numpy(ndarray: np.ndarray[Any, Any]) -> Tensor:
    """A tensor sharing ``ndarray``'s memory, as PyTorch: writes through
    either are seen by both.  Negative strides, byte-swapped or unaligned
    data raise (copy with ``tensor``); read-only arrays warn and are copied
    on the first write.

    Example:
        >>> import numpy as np
        >>> import functorch_lite as fl
        >>> a = np.zeros(3, np.float32)
        >>> t = fl.from_numpy(a); _ = t.add_(1)
        >>> a.tolist()
        [1.0, 1.0, 1.0]
    """
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    a = ndarray
    if not a.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte order; "
                         "copy it with functorch_lite.tensor(a) instead")
    dt = D.to_dtype(a.dtype)
    isz = a.itemsize
    if any(s < 0 for s in a.strides):
        raise ValueError("At least one stride in the given numpy array is negative; copy it first "
                         "(numpy.ascontiguousarray, or functorch_lite.tensor(a))")
    if any(s % isz for s in a.strides) or not a.flags.aligned:
        raise ValueError("given numpy array is unaligned or has strides that are not a multiple of its element "
                         "size; copy it with functorch_lite.tensor(a)")
    if a.size == 0:
        buf = np.empty(0, a.dtype)
        strides = tuple(1 for _ in a.shape)
    else:
        span = 1 + sum((d - 1) * (s // isz) for d, s in zip(a.shape, a.strides))
        buf = np.lib.stride_tricks.as_strided(a, shape=(span,), strides=(isz,), writeable=a.flags.writeable)
        strides = tuple(s // isz for s in a.strides)
    state = EXTERNAL
    if not a.flags.writeable:
        warnings.warn("The given NumPy array is not writable; the tensor copies it on its first in-place write "
                      "(writes never reach the array)", UserWarning, stacklevel=2)
        state = SHARED
    h = StorageHandle(Storage(buf), state)
    return TensorBase._make(h, (tuple(a.shape), strides, 0), dt)  # type: ignore[no-any-return]


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor without a copy when possible: a tensor of the
    right dtype is returned as is, a NumPy array of the right dtype is shared
    (as :func:`from_numpy`), an Array's buffer is shared until the tensor's
    first in-place write (which copies it: the Array never changes); anything
    else is copied.

    Example:
        >>> import numpy as np
        >>> import functorch_lite as fl
        >>> a = np.arange(3)
        >>> fl.as_tensor(a).numpy() is not a, np.shares_memory(fl.as_tensor(a).numpy(), a)
        (True, True)
    """
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, Tracer):  # inside a transform: a traced tensor (see _traced.py)
        t = TensorBase._wrap(data)
        return t if dtype is None else t.to(dtype)  # type: ignore[no-any-return]
    if isinstance(data, Array) and (dtype is None or D.to_dtype(dtype) == data.dtype):
        # immutable: share it until the first write, which copies (see DESIGN.md)
        return TensorBase._wrap(data)  # type: ignore[no-any-return]
    if isinstance(data, np.ndarray) and data.dtype in D._BY_NP and (dtype is None or D.to_dtype(dtype) == data.dtype):
        try:
            return from_numpy(data)
        except ValueError:
            pass
    return tensor(data, dtype=dtype)


def _dtype_or_default(dtype: Any) -> D.dtype:
    return D.get_default_dtype() if dtype is None else D.to_dtype(dtype)


def _filled(size: tuple[Any, ...], value: Any, dtype: Any, requires_grad: bool) -> Tensor:
    shape = sizes_arg(size)
    if any(d < 0 for d in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: {list(shape)}")
    dt = _dtype_or_default(dtype)
    return _finish(TensorBase._fresh(np.full(shape, value, dt.np_dtype)), requires_grad)  # type: ignore[no-any-return]


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros (``zeros(2, 3)`` or ``zeros((2, 3))``).

    Example:
        >>> import functorch_lite as fl
        >>> fl.zeros(2, 2, dtype=fl.int64).tolist()
        [[0, 0], [0, 0]]
    """
    return _filled(size, 0, dtype, requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones.

    Example:
        >>> import functorch_lite as fl
        >>> fl.ones(2).tolist()
        [1.0, 1.0]
    """
    return _filled(size, 1, dtype, requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor whose values are unspecified (here zeros: fresh memory is
    never shown).

    Example:
        >>> import functorch_lite as fl
        >>> fl.empty(2, 3).shape
        functorch_lite.Size([2, 3])
    """
    return _filled(size, 0, dtype, requires_grad)


def full(size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value`` (dtype inferred from it: bool,
    int64 or the default float).

    Example:
        >>> import functorch_lite as fl
        >>> fl.full((2,), 7).tolist(), fl.full((2,), 7).dtype
        ([7, 7], functorch_lite.int64)
    """
    if isinstance(fill_value, TensorBase):
        fill_value = fill_value.item()
    dt = D.scalar_dtype(fill_value) if dtype is None else D.to_dtype(dtype)
    return _filled((size,) if isinstance(size, (tuple, list)) else (size,), fill_value, dt, requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """``start, start + step, ...`` below ``end`` (``arange(end)`` from 0);
    int64 for integer arguments, else the default float dtype.

    Example:
        >>> import functorch_lite as fl
        >>> fl.arange(5).tolist(), fl.arange(0, 1, 0.25).tolist()
        ([0, 1, 2, 3, 4], [0.0, 0.25, 0.5, 0.75])
    """
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, TensorBase) else v for v in (start, end, step)]
    start, end, step = vals
    if dtype is None:
        dt = D.get_default_dtype() if any(isinstance(v, float) for v in vals) else D.int64
    else:
        dt = D.to_dtype(dtype)
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(
            f"arange: upper bound ({end}) and lower bound ({start}) inconsistent with step sign ({step})"
        )
    n = math.ceil((end - start) / step) if any(isinstance(v, float) for v in vals) else -(-(end - start) // step)
    acc = np.float64 if dt.is_floating_point else (np.complex128 if dt.is_complex else np.int64)
    out = (jnp.arange(n, dtype=acc) * step + start).astype(dt.np_dtype)
    return _finish(TensorBase._wrap(out), requires_grad)  # type: ignore[no-any-return]


def linspace(start: float, end: float, steps: int, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive
    (computed from both ends, as PyTorch, so the last value is ``end``).

    Example:
        >>> import functorch_lite as fl
        >>> fl.linspace(0, 1, 5).tolist()
        [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    n = int(steps)
    if n < 0:
        raise RuntimeError("linspace: number of steps must be non-negative")
    dt = _dtype_or_default(dtype)
    if n <= 1:
        return _filled((n,), start, dt, requires_grad)
    step = (end - start) / (n - 1)
    i = jnp.arange(n, dtype=np.float64)
    vals = jnp.where(i < n // 2, start + step * i, end - step * (n - 1 - i))
    return _finish(TensorBase._wrap(vals.astype(dt.np_dtype)), requires_grad)  # type: ignore[no-any-return]


def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """The ``n x m`` identity matrix.

    Example:
        >>> import functorch_lite as fl
        >>> fl.eye(2).tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """
    dt = _dtype_or_default(dtype)
    return _finish(TensorBase._wrap(jnp.eye(n, m, dtype=dt.np_dtype)), requires_grad)  # type: ignore[no-any-return]


def _random(shape: tuple[int, ...], dtype: Any, generator: Generator | None, kind: str) -> Array:
    dt = _dtype_or_default(dtype)
    if not dt.is_differentiable:
        raise RuntimeError(f"{kind} expects a floating point or complex dtype, got {dt.name}")
    key = key_for(generator)
    if dt.is_complex:
        # PyTorch's complex samples: each part uniform on [0, 1) (rand), or normal with
        # variance 1/2 so that E|z|^2 = 1 (randn)
        part = D.float64 if dt is D.complex128 else D.float32
        k1, k2 = jr.split(key)
        if kind == "rand":
            re, im = (jr.uniform(k, shape, dtype=part.np_dtype) for k in (k1, k2))
        else:
            re, im = (jr.normal(k, shape, dtype=part.np_dtype) * np.sqrt(0.5).astype(part.np_dtype)
                      for k in (k1, k2))
        out = jnp.asarray(re) + jnp.asarray(im) * np.array(1j, dt.np_dtype)
        assert isinstance(out, Array)
        return out
    draw = jr.uniform(key, shape, dtype=dt.np_dtype) if kind == "rand" else jr.normal(key, shape, dtype=dt.np_dtype)
    assert isinstance(draw, Array)
    return draw


def rand(*size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform samples on [0, 1).

    Example:
        >>> import functorch_lite as fl
        >>> x = fl.rand(100)
        >>> bool(((x >= 0) & (x < 1)).all())
        True
    """
    out = _random(sizes_arg(size), dtype, generator, "rand")
    return _finish(TensorBase._wrap(out), requires_grad)  # type: ignore[no-any-return]


def randn(*size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal samples.

    Example:
        >>> import functorch_lite as fl
        >>> fl.randn(2, 3).shape
        functorch_lite.Size([2, 3])
    """
    out = _random(sizes_arg(size), dtype, generator, "randn")
    return _finish(TensorBase._wrap(out), requires_grad)  # type: ignore[no-any-return]


def randint(*args: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None,
            requires_grad: bool = False, **kwargs: Any) -> Tensor:
    """Integers uniform on [low, high): ``randint(high, size)`` or
    ``randint(low, high, size)``; int64 unless ``dtype`` says otherwise.

    Example:
        >>> import functorch_lite as fl
        >>> x = fl.randint(3, 10, (50,))
        >>> x.dtype, bool(((x >= 3) & (x < 10)).all())
        (functorch_lite.int64, True)
    """
    names = ("low", "high", "size")
    if len(args) > 3:
        raise TypeError(f"randint takes at most 3 positional arguments, got {len(args)}")
    pos = names[:2] if "size" in kwargs else names
    given = dict(zip(pos[max(len(pos) - len(args), 0):], args))
    given.update({k: kwargs.pop(k) for k in names if k in kwargs})
    if kwargs:
        raise TypeError(f"randint got unexpected keyword arguments {sorted(kwargs)}")
    low, high, size = given.get("low", 0), given.get("high"), given.get("size")
    if high is None or size is None:
        raise TypeError("randint needs high and size: randint(high, size) or randint(low, high, size)")
    if not low < high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dt = D.int64 if dtype is None else D.to_dtype(dtype)
    draw = jr.randint(key_for(generator), sizes_arg((size,)), low, high, dtype=np.int64)
    return _finish(TensorBase._wrap(draw.astype(dt.np_dtype)), requires_grad)  # type: ignore[no-any-return]


def _like(t: Any, dtype: Any) -> tuple[tuple[int, ...], D.dtype]:
    if not isinstance(t, TensorBase):
        raise TypeError(f"expected a Tensor, got {type(t).__name__}")
    return t._shape, (t._dtype if dtype is None else D.to_dtype(dtype))


def zeros_like(input: Any, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    """Zeros of ``input``'s shape and dtype.

    Example:
        >>> import functorch_lite as fl
        >>> fl.zeros_like(fl.ones(2, dtype=fl.int64)).tolist()
        [0, 0]
    """
    shape, dt = _like(input, dtype)
    return _filled((shape,), 0, dt, requires_grad)


def ones_like(input: Any, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    """Ones of ``input``'s shape and dtype."""
    shape, dt = _like(input, dtype)
    return _filled((shape,), 1, dt, requires_grad)


def empty_like(input: Any, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    """An unspecified (here zeroed) tensor of ``input``'s shape and dtype."""
    shape, dt = _like(input, dtype)
    return _filled((shape,), 0, dt, requires_grad)


def full_like(input: Any, fill_value: Any, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    """``fill_value`` in ``input``'s shape and dtype."""
    shape, dt = _like(input, dtype)
    return _filled((shape,), fill_value, dt, requires_grad)


def rand_like(input: Any, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    """Uniform samples in ``input``'s shape and dtype."""
    shape, dt = _like(input, dtype)
    return rand(shape, dtype=dt, requires_grad=requires_grad)


def randn_like(input: Any, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    """Normal samples in ``input``'s shape and dtype."""
    shape, dt = _like(input, dtype)
    return randn(shape, dtype=dt, requires_grad=requires_grad)


def randint_like(input: Any, low: int = 0, high: int | None = None, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """Integers on [low, high) in ``input``'s shape (``randint_like(x, high)``)."""
    shape, dt = _like(input, dtype)
    if high is None:
        low, high = 0, low
    return randint(low, high, shape, dtype=dt)


_math._TO_TENSOR.append(as_tensor)


keep_64_bit_in_module(globals())  # PyTorch's dtype rules whatever the functional API's 64-bit mode
