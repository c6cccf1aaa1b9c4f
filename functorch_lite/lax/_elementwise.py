"""``lax.add``, ``lax.mul``, ``lax.max``, ``lax.min``: JAX's strict binary ops.

Unlike ``jnp.add`` they do not promote: both operands must have the same
dtype (a Python scalar takes the other operand's dtype when it is of the
same kind: bool, integer or float), and the same shape, or one of them is a
scalar.  ``max``/``min`` propagate NaN.  They are also the ``computation``
that :func:`functorch_lite.lax.reduce_window` recognises.

Example:
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite import lax
    >>> lax.max(jnp.array([1.0, 5.0]), 2.0).tolist()
    [2.0, 5.0]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import functorch_lite.numpy as jnp
from functorch_lite.core import get_aval

__all__ = ["add", "mul", "max", "min"]

_KINDS = {bool: "b", int: "iu", float: "f"}
_TIPS = {"add": "add", "mul": "multiply", "max": "maximum", "min": "minimum"}


def _operand(v: Any, other: Any) -> Any:
    """A Python scalar in the other operand's dtype when of the same kind."""
    kind = _KINDS.get(type(v))
    if kind is not None and not isinstance(other, (bool, int, float)):
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


def add(x: Any, y: Any) -> Any:
    """``x + y`` with equal dtypes and shapes (JAX's ``lax.add``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> add(jnp.array([1, 2]), 3).tolist()
        [4, 5]
    """
    return _binary("add", jnp.add, x, y)


def mul(x: Any, y: Any) -> Any:
    """``x * y`` with equal dtypes and shapes (JAX's ``lax.mul``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> mul(jnp.array([1.5, 2.0]), 2.0).tolist()
        [3.0, 4.0]
    """
    return _binary("mul", jnp.multiply, x, y)


def max(x: Any, y: Any) -> Any:  # noqa: A001 - JAX's name
    """Elementwise maximum, NaN-propagating (JAX's ``lax.max``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> max(jnp.array([1.0, float("nan")]), 0.0).tolist()
        [1.0, nan]
    """
    return _binary("max", jnp.maximum, x, y)


def min(x: Any, y: Any) -> Any:  # noqa: A001 - JAX's name
    """Elementwise minimum, NaN-propagating (JAX's ``lax.min``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> min(jnp.array([1, 5]), 3).tolist()
        [1, 3]
    """
    return _binary("min", jnp.minimum, x, y)
