"""Tensors over traced values: how a module runs inside ``grad``/``vmap``/``jit``.

Inside a functional transform the values are the core's tracers, which have
no storage to share or write.  A :class:`TracedTensor` wraps one so that
PyTorch-style code (modules, ``nn.functional``, tensor methods) runs on it
unchanged: every op hands the tracer to the same core function the eager
tensor would, and wraps the traced result again.  The differences, all of
them consequences of tracing:

- views are new traced values (the core's view ops), not aliases of a storage:
  writing into a view of a traced tensor, or into a traced tensor that has
  views, raises instead of silently not propagating;
- an in-place op rebinds the tensor to the new traced value (so
  ``running_mean.mul_(0.9)`` in a module's forward works);
- the tape does not record ops on traced tensors (the transform differentiates
  them); reading values (``item()``, ``tolist()``, ``numpy()``) works only
  where the transform has concrete values (``grad`` at concrete inputs), as
  for the core's tracers.

Example:
    >>> import functorch_lite as fl
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite.stateful._traced import TracedTensor
    >>> def f(a):
    ...     t = TracedTensor.of(a)           # what func.grad does for you
    ...     return (t.exp() * 2).sum().value()
    >>> float(fl.grad(f)(jnp.zeros(3))[0])
    2.0
"""

from __future__ import annotations

from typing import Any

import numpy as np

import functorch_lite.numpy as jnp
from functorch_lite import core
from functorch_lite.array import Array, contiguous_strides
from functorch_lite.dtypes import keep_64_bit_in_class
from functorch_lite.stateful import _dtypes as D
from functorch_lite.stateful import _layout as L
from functorch_lite.stateful._base import _TRACED_CLS, TensorBase
from functorch_lite.stateful._tensor import Tensor
from functorch_lite.transforms.ad import stop_gradient


class _NoStorage:
    """The storage handle of a traced tensor: there is none to touch."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)  # introspection (copy, inspect) probes these
        raise RuntimeError(
            "this tensor is traced by a functorch_lite transform (func.grad, func.vmap, jit, functional_call "
            f"with traced values): it has no storage ({name}); use ops on it, not its memory (data_ptr, storage, "
            "numpy() views)"
        )


_NO_STORAGE = _NoStorage()


class TracedTensor(Tensor):
    """A :class:`Tensor` whose value is a transform's tracer (see the module docstring)."""

    __slots__ = ("_value", "_has_views")
    _traced = True
    _value: Any
    _has_views: bool

    @staticmethod
    def of(value: Any) -> Any:
        """A traced tensor holding the core value ``value`` (a tracer or Array)."""
        aval = core.get_aval(value)
        t = object.__new__(TracedTensor)
        t._h = _NO_STORAGE  # type: ignore[assignment]
        t._shape = tuple(aval.shape)
        t._strides = contiguous_strides(t._shape)
        t._offset = 0
        t._dtype = D.from_np(aval.dtype)
        t._requires_grad = False
        t._grad = None
        t.grad_fn = None
        t._view_base = None
        t._lent = None
        t._acc = None
        t._value = value
        t._has_views = False
        return t

    def value(self) -> Any:
        """The core value (tracer) this tensor holds."""
        return self._value

    # the core bridge -------------------------------------------------------------------
    def _lend(self) -> Any:
        return self._value

    def array(self) -> Any:
        return self._value

    def __jax_array__(self) -> Any:
        return self._value

    def _np_read(self) -> np.ndarray[Any, Any]:
        v = self._value
        if isinstance(v, core.Tracer):
            v = core.concretize(v, "tolist")
        assert isinstance(v, Array)
        return v._numpy()

    def numpy(self, *, force: bool = False) -> np.ndarray[Any, Any]:
        return np.array(self._np_read(), copy=True)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray[Any, Any]:
        v = np.array(self._np_read(), copy=True)
        return v if dtype is None else v.astype(dtype)

    def __repr__(self) -> str:
        return f"TracedTensor({core.get_aval(self._value).str_short()})"

    __str__ = __repr__

    # views are values: the same core view op, traced -------------------------------------
    def _v(self, lay: L.Layout, fn: Any, name: str) -> Any:
        self._has_views = True
        out = TracedTensor.of(fn(self._value))
        out._view_base = self
        return out

    def _view(self, lay: L.Layout) -> Any:
        raise RuntimeError(
            "internal: a traced tensor has no storage to view; its view methods trace the core's view ops"
        )

    def _copy(self) -> Any:
        return TracedTensor.of(self._value)

    def clone(self, *args: Any, **kwargs: Any) -> Any:
        return TracedTensor.of(self._value)

    def contiguous(self, *args: Any, **kwargs: Any) -> Any:
        return self

    def detach(self) -> Any:
        return TracedTensor.of(stop_gradient(self._value))

    def detach_(self) -> Any:
        self._value = stop_gradient(self._value)
        return self

    # in-place ops rebind the value ---------------------------------------------------------
    def _check_rebind(self, name: str) -> None:
        if self._view_base is not None or self._has_views:
            raise RuntimeError(
                f"{name}: in-place writes into a view of a traced tensor (or into a traced tensor that has views) "
                "are not supported inside a transform, as the views do not share memory there; use the "
                "out-of-place op (x = x.add(1)) or index_put-style x = x.index_put(...)"
            )

    def _write(self, value: Any, name: str) -> Any:
        self._check_rebind(name)
        if isinstance(value, TensorBase):
            value = value._lend()
        v = jnp.asarray(value)
        if tuple(v.shape) != self._shape:
            try:
                ok = np.broadcast_shapes(tuple(v.shape), self._shape) == self._shape
            except ValueError:
                ok = False
            if not ok:
                raise RuntimeError(f"{name}: output with shape {list(self._shape)} doesn't match the broadcast shape "
                                   f"of the value {list(v.shape)}")
            v = jnp.broadcast_to(v, self._shape)
        self._value = v.astype(self._dtype.np_dtype)
        return self

    def __setitem__(self, idx: Any, value: Any) -> None:
        self._check_rebind("__setitem__")
        items = idx if isinstance(idx, tuple) else (idx,)
        parts = tuple(i._lend() if isinstance(i, TensorBase) else i for i in items)
        key = parts if isinstance(idx, tuple) else parts[0]
        v = value._lend() if isinstance(value, TensorBase) else value
        self._value = self._value.at[key].set(jnp.asarray(v).astype(self._dtype.np_dtype))


_TRACED_CLS.append(TracedTensor)


def to_core(x: Any) -> Any:
    """A tensor as the core value it stands for: a traced tensor's tracer, a
    tensor's immutable snapshot; other values unchanged.

    Example:
        >>> import functorch_lite as fl
        >>> to_core(fl.ones(2)).tolist(), to_core(3)
        ([1.0, 1.0], 3)
    """
    if isinstance(x, TracedTensor):
        return x._value
    if isinstance(x, TensorBase):
        return x._h.snapshot(x._shape, x._strides, x._offset)
    return x


def to_tensor(x: Any) -> Any:
    """A core value as a tensor: a tracer as a :class:`TracedTensor`, an
    Array as a tensor sharing its (immutable) buffer until a write; other
    values unchanged.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> to_tensor(jnp.ones(2))
        tensor([1., 1.])
    """
    if isinstance(x, core.Tracer):
        return TracedTensor.of(x)
    if isinstance(x, Array):
        return TensorBase._wrap(x)
    return x


keep_64_bit_in_class(TracedTensor)  # PyTorch's dtype rules whatever the 64-bit mode
