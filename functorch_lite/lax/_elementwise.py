"""``lax.add``, ``lax.mul``, ``lax.max``, ``lax.min``: JAX's strict binary ops;
``lax.real``, ``lax.imag``, ``lax.conj`` and ``lax.complex``: JAX's complex parts.

Unlike ``jnp.add`` they do not promote: both operands must have the same
dtype (a Python scalar takes the other operand's dtype when it is of the
same kind: bool, integer, float or complex), and the same shape, or one of them is a
scalar.  ``max``/``min`` propagate NaN.  They are also the ``computation``
that :func:`functorch_lite.lax.reduce_window` recognises.

Example:
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite import lax
    >>> lax.max(jnp.array([1.0, 5.0]), 2.0).tolist()
    [2.0, 5.0]
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

import functorch_lite.numpy as jnp
from functorch_lite.array import Array
from functorch_lite.core import get_aval
from functorch_lite.ops import elementwise as ew

__all__ = ["add", "mul", "max", "min", "real", "imag", "conj", "complex"]

_KINDS = {bool: "b", int: "iu", float: "f", builtins.complex: "c"}
_TIPS = {"add": "add", "mul": "multiply", "max": "maximum", "min": "minimum"}


def _operand(v: Any, other: Any) -> Any:
    """A Python scalar in the other operand's dtype when of the same kind."""
    kind = _KINDS.get(type(v))
    if kind is not None and not isinstance(other, (bool, int, float, builtins.complex)):
        dt = get_aval(jnp.asarray(other)).dtype
        if dt.kind in kind:
            return jnp.asarray(v, dtype=dt)
    return jnp.asarray(v)


def _binary(name: str, fn: Callable[[Any, Any], Any], x: Any, y: Any) -> Any:
    a, b = _operand(x, y), _operand(y, x)
    ax, bx = get_aval(a), get_aval(b)
    if ax.dtype != bx.dtype:
        raise TypeError(
            f"lax.{name} requires arguments to have the same dtypes, got {ax.dtype}, {bx.dtype}. "
            f"(Tip: jnp.{_TIPS[name]} is a similar function that does automatic type promotion on inputs)."
        )
    if ax.shape != bx.shape and ax.shape != () and bx.shape != ():
        raise TypeError(
            f"lax.{name}: operands must have the same shape (or one be a scalar), got {ax.shape} and {bx.shape}; "
            f"jnp.{_TIPS[name]} broadcasts"
        )
    return fn(a, b)


def add(x: Any, y: Any) -> Array:
    """``x + y`` with equal dtypes and shapes (JAX's ``lax.add``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> add(jnp.array([1, 2]), 3).tolist()
        [4, 5]
    """
    out: Array = _binary("add", jnp.add, x, y)
    return out


def mul(x: Any, y: Any) -> Array:
    """``x * y`` with equal dtypes and shapes (JAX's ``lax.mul``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> mul(jnp.array([1.5, 2.0]), 2.0).tolist()
        [3.0, 4.0]
    """
    out: Array = _binary("mul", jnp.multiply, x, y)
    return out


def max(x: Any, y: Any) -> Array:  # noqa: A001 - JAX's name
    """Elementwise maximum, NaN-propagating (JAX's ``lax.max``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> max(jnp.array([1.0, float("nan")]), 0.0).tolist()
        [1.0, nan]
    """
    out: Array = _binary("max", jnp.maximum, x, y)
    return out


def min(x: Any, y: Any) -> Array:  # noqa: A001 - JAX's name
    """Elementwise minimum, NaN-propagating (JAX's ``lax.min``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> min(jnp.array([1, 5]), 3).tolist()
        [1, 3]
    """
    out: Array = _binary("min", jnp.minimum, x, y)
    return out


def _complex_operand(name: str, x: Any) -> Any:
    a = jnp.asarray(x)
    if get_aval(a).dtype.kind != "c":
        raise TypeError(
            f"lax.{name} requires a complex operand (complex64 or complex128), got {get_aval(a).str_short()}; "
            f"jnp.{name} also accepts real arrays"
        )
    return a


def real(x: Any) -> Array:
    """The real part of a complex array (JAX's ``lax.real``: complex input only).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> real(jnp.array([1 + 2j])).tolist()
        [1.0]
    """
    out: Array = ew.real_p.bind(_complex_operand("real", x))
    return out


def imag(x: Any) -> Array:
    """The imaginary part of a complex array (JAX's ``lax.imag``: complex input only).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> imag(jnp.array([1 + 2j])).tolist()
        [2.0]
    """
    out: Array = ew.imag_p.bind(_complex_operand("imag", x))
    return out


def conj(x: Any) -> Array:
    """The complex conjugate (JAX's ``lax.conj``): a real input gives its
    complex counterpart (float32 -> complex64), as in JAX.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> conj(jnp.array([1 + 2j])).tolist()
        [(1-2j)]
        >>> conj(jnp.array([1.0], dtype="float32")).dtype
        dtype('complex64')
    """
    a = jnp.asarray(x)
    aval = get_aval(a)
    if aval.dtype.kind == "c":
        out: Array = ew.conj_p.bind(a)
        return out
    if aval.dtype.kind != "f":
        raise TypeError(f"lax.conj requires a floating-point or complex operand, got {aval.str_short()}")
    out = ew.complex_p.bind(a, jnp.zeros_like(a))
    return out


def complex(x: Any, y: Any) -> Array:  # noqa: A001 - JAX's name
    """``x + 1j * y`` from two real arrays of one float dtype and shape (or a
    scalar), JAX's ``lax.complex``: float32 parts give complex64, float64
    parts complex128.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> complex(jnp.array([1.0, 2.0]), 0.5).tolist()
        [(1+0.5j), (2+0.5j)]
    """
    a, b = _operand(x, y), _operand(y, x)
    ax, bx = get_aval(a), get_aval(b)
    if ax.dtype != bx.dtype or ax.dtype.kind != "f":
        raise TypeError(
            f"lax.complex requires two real floating-point operands of one dtype, got {ax.dtype} and "
            f"{bx.dtype}; convert them first (e.g. .astype(jnp.float32)), or write x + 1j * y to promote"
        )
    if ax.shape != bx.shape:
        if ax.shape != () and bx.shape != ():
            raise TypeError(
                f"lax.complex: operands must have the same shape (or one be a scalar), got {ax.shape} and {bx.shape}"
            )
        shape = ax.shape if bx.shape == () else bx.shape
        a, b = jnp.broadcast_to(a, shape), jnp.broadcast_to(b, shape)
    out: Array = ew.complex_p.bind(a, b)
    return out
