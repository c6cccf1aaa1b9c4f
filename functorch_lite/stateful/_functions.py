"""PyTorch's function forms: ``cat``, ``stack``, ``randperm``, and
``functorch_lite.X(t, ...)`` for the tensor methods in :data:`METHOD_FUNCTIONS`
(``fl.sum(t, dim=0)`` is ``t.sum(dim=0)``; data that is not a tensor is
converted with ``as_tensor`` first).

Example:
    >>> import functorch_lite as fl
    >>> x = fl.tensor([[1.0, -2.0], [3.0, 4.0]])
    >>> all(getattr(fl, n)(x).tolist() == getattr(x, n)().tolist() for n in ("exp", "abs", "sum", "t", "clone"))
    True
    >>> fl.transpose(x, 0, 1).stride(), fl.max(x, dim=1).indices.tolist()
    ((1, 2), [0, 1])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import functorch_lite.numpy as jnp
import functorch_lite.random as jr
from functorch_lite.dtypes import keep_64_bit_in_module
from functorch_lite.stateful import _dtypes as D
from functorch_lite.stateful._autograd import SAVE_NONE, apply_op
from functorch_lite.stateful._base import TensorBase
from functorch_lite.stateful._factories import as_tensor
from functorch_lite.stateful._layout import norm_dim
from functorch_lite.stateful._math import cast, promote
from functorch_lite.stateful._random import Generator, key_for

METHOD_FUNCTIONS: tuple[str, ...] = (
    "abs", "add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "pow", "neg", "negative",
    "exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "rsqrt", "square", "sin", "cos", "tan", "tanh",
    "sigmoid", "relu", "sign", "floor", "ceil", "round", "trunc", "reciprocal", "clamp", "clip",
    "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge", "equal", "allclose", "isnan", "isfinite",
    "logical_not", "matmul", "mm", "dot", "sum", "prod", "mean", "std", "var", "max", "min", "amax", "amin",
    "argmax", "argmin", "all", "any", "cumsum", "numel", "t", "transpose", "permute", "reshape", "flatten",
    "unflatten", "squeeze", "unsqueeze", "narrow", "select", "unbind", "chunk", "split", "clone", "detach",
    "masked_fill", "index_add", "scatter", "conj", "conj_physical", "resolve_conj", "angle", "is_complex",
)


def _method_function(name: str) -> Callable[..., Any]:
    def f(input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002 - PyTorch's name
        t = input if isinstance(input, TensorBase) else as_tensor(input)
        return getattr(t, name)(*args, **kwargs)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"``{name}(input, *args, **kwargs)`` is ``input.{name}(*args, **kwargs)``: see ``Tensor.{name}``."
    return f


FUNCTIONS: dict[str, Callable[..., Any]] = {n: _method_function(n) for n in METHOD_FUNCTIONS}


def real(input: Any) -> Any:  # noqa: A002 - PyTorch's name
    """The real part of a tensor (a new tensor: see ``Tensor.real``).

    Example:
        >>> import functorch_lite as fl
        >>> fl.real(fl.tensor([3 - 4j])).tolist()
        [3.0]
    """
    t: Any = input if isinstance(input, TensorBase) else as_tensor(input)
    return t.real


def imag(input: Any) -> Any:  # noqa: A002 - PyTorch's name
    """The imaginary part of a complex tensor (a new tensor: see ``Tensor.imag``).

    Example:
        >>> import functorch_lite as fl
        >>> fl.imag(fl.tensor([3 - 4j])).tolist()
        [-4.0]
    """
    t: Any = input if isinstance(input, TensorBase) else as_tensor(input)
    return t.imag


def complex(real: Any, imag: Any) -> Any:  # noqa: A001 - PyTorch's name
    """A complex tensor from real and imaginary parts of one floating dtype
    (float32 gives complex64, float64 complex128), as ``torch.complex``.

    Example:
        >>> import functorch_lite as fl
        >>> fl.complex(fl.tensor([1.0]), fl.tensor([2.0])).tolist()
        [(1+2j)]
    """
    re, im = (t if isinstance(t, TensorBase) else as_tensor(t) for t in (real, imag))
    if re._dtype is not im._dtype or not re._dtype.is_floating_point:
        raise RuntimeError(f"complex: expected real and imag to have the same floating dtype (float32 or "
                           f"float64), got {re._dtype.name} and {im._dtype.name}")
    return apply_op(lambda a, b: jnp.asarray(a) + 1j * jnp.asarray(b), [re, im], "ComplexBackward0", SAVE_NONE)


def polar(abs: Any, angle: Any) -> Any:  # noqa: A002 - PyTorch's names
    """``abs * (cos(angle) + i sin(angle))``, as ``torch.polar``.

    Example:
        >>> import functorch_lite as fl
        >>> [round(v.real, 6) for v in fl.polar(fl.tensor([2.0]), fl.tensor([0.0])).tolist()]
        [2.0]
    """
    return complex(abs * angle.cos(), abs * angle.sin())


def view_as_real(input: Any) -> Any:  # noqa: A002 - PyTorch's name
    """A complex tensor of shape ``s`` as a real one of shape ``(*s, 2)``
    (real and imaginary parts).  PyTorch's shares storage; this is a new
    tensor (in-place writes to it do not reach ``input``).

    Example:
        >>> import functorch_lite as fl
        >>> fl.view_as_real(fl.tensor([1 + 2j])).tolist()
        [[1.0, 2.0]]
    """
    t: Any = input if isinstance(input, TensorBase) else as_tensor(input)
    if not t._dtype.is_complex:
        raise RuntimeError(f"view_as_real is only supported for complex tensors, got {t._dtype.name}")
    return stack([t.real, t.imag], dim=-1)


def view_as_complex(input: Any) -> Any:  # noqa: A002 - PyTorch's name
    """A real tensor of shape ``(*s, 2)`` as a complex one of shape ``s``
    (a new tensor, where PyTorch's shares storage).

    Example:
        >>> import functorch_lite as fl
        >>> fl.view_as_complex(fl.tensor([[1.0, 2.0]])).tolist()
        [(1+2j)]
    """
    t: Any = input if isinstance(input, TensorBase) else as_tensor(input)
    if not t._shape or t._shape[-1] != 2 or not t._dtype.is_floating_point:
        raise RuntimeError(f"view_as_complex needs a float32/float64 tensor whose last dimension has size 2, got "
                           f"{t._dtype.name} of shape {list(t._shape)}")
    return complex(t.select(-1, 0), t.select(-1, 1))


def is_complex(input: Any) -> bool:  # noqa: A002 - PyTorch's name
    """Whether a tensor's dtype is complex.

    Example:
        >>> import functorch_lite as fl
        >>> fl.is_complex(fl.tensor([1j]))
        True
    """
    return bool((input if isinstance(input, TensorBase) else as_tensor(input))._dtype.is_complex)


def _tensors(name: str, tensors: Sequence[Any]) -> list[Any]:
    if isinstance(tensors, TensorBase) or not isinstance(tensors, (list, tuple)) or not tensors:
        raise TypeError(f"{name}() expects a non-empty list or tuple of tensors")
    return [t if isinstance(t, TensorBase) else as_tensor(t) for t in tensors]


def cat(tensors: Sequence[Any], dim: int = 0) -> Any:
    """Join tensors along an existing dim (dtypes promoted as PyTorch).

    Example:
        >>> import functorch_lite as fl
        >>> fl.cat([fl.zeros(1, 2), fl.ones(2, 2)]).tolist()
        [[0.0, 0.0], [1.0, 1.0], [1.0, 1.0]]
    """
    ts = _tensors("cat", tensors)
    dt = promote(*ts)
    d = norm_dim(dim, ts[0].ndim)
    np_dt = dt.np_dtype
    return apply_op(lambda *xs: jnp.concatenate([cast(x, np_dt) for x in xs], axis=d), ts, "CatBackward0",
                    SAVE_NONE)


concat = concatenate = cat


def stack(tensors: Sequence[Any], dim: int = 0) -> Any:
    """Join equal-shaped tensors along a new dim.

    Example:
        >>> import functorch_lite as fl
        >>> fl.stack([fl.tensor(1.0), fl.tensor(2.0)]).tolist()
        [1.0, 2.0]
    """
    ts = _tensors("stack", tensors)
    dt = promote(*ts)
    d = norm_dim(dim, ts[0].ndim + 1)
    np_dt = dt.np_dtype
    return apply_op(lambda *xs: jnp.stack([cast(x, np_dt) for x in xs], axis=d), ts, "StackBackward0", SAVE_NONE)


def randperm(n: int, *, generator: Generator | None = None, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Any:
    """A random permutation of ``0 .. n-1`` (int64).

    Example:
        >>> import functorch_lite as fl
        >>> sorted(fl.randperm(5).tolist())
        [0, 1, 2, 3, 4]
    """
    dt = D.int64 if dtype is None else D.to_dtype(dtype)
    perm = jr.permutation(key_for(generator), jnp.arange(int(n), dtype=np.int64))
    return TensorBase._wrap(perm.astype(dt.np_dtype))


keep_64_bit_in_module(globals())  # PyTorch's dtype rules whatever the functional API's 64-bit mode
