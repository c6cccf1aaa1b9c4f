"""JAX's ``lax`` incomplete gamma and beta functions: ``igamma``, ``igammac``,
``igamma_grad_a``, ``random_gamma_grad``, ``betainc`` (and its primitive's
name, ``regularized_incomplete_beta``).

As everywhere in ``lax``, the operands are not promoted: they have one
floating-point dtype (a Python scalar takes the other operands' dtype) and
one shape, or are scalars.  The primitives are in ``ops/incomplete.py``.

Example:
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite import lax
    >>> [round(v, 6) for v in lax.igamma(jnp.array([1.0, 2.0]), 1.0).tolist()]
    [0.632121, 0.264241]
"""

from __future__ import annotations

from typing import Any

import functorch_lite.numpy as jnp
from functorch_lite.array import Array
from functorch_lite.core import get_aval
from functorch_lite.lax._elementwise import _operand
from functorch_lite.ops import incomplete as inc

__all__ = ["igamma", "igammac", "igamma_grad_a", "random_gamma_grad", "betainc", "regularized_incomplete_beta"]


def _operands(name: str, *args: Any) -> list[Any]:
    """The operands as arrays of one float dtype and one shape (scalars broadcast)."""
    anchor = next((v for v in args if not isinstance(v, (bool, int, float))), args[0])
    xs = [_operand(v, anchor) for v in args]
    avals = [get_aval(v) for v in xs]
    dts = {av.dtype for av in avals}
    if len(dts) != 1:
        raise TypeError(
            f"lax.{name} requires arguments to have the same dtypes, got {', '.join(str(av.dtype) for av in avals)}; "
            "convert one (x.astype(...)) or use functorch_lite.scipy.special, which promotes"
        )
    if avals[0].dtype.kind != "f":
        raise TypeError(f"lax.{name} requires real floating-point operands, got {avals[0].str_short()}; convert "
                        "first (x.astype(jnp.float32)) or use functorch_lite.scipy.special, which promotes")
    shapes = {av.shape for av in avals if av.shape != ()}
    if len(shapes) > 1:
        raise TypeError(f"lax.{name}: operands must have the same shape (or be scalars), got "
                        f"{', '.join(str(av.shape) for av in avals)}; functorch_lite.scipy.special broadcasts")
    if shapes:
        shape = shapes.pop()
        xs = [jnp.broadcast_to(v, shape) if av.shape != shape else v for v, av in zip(xs, avals)]
    return xs


def igamma(a: Any, x: Any) -> Array:
    """The regularized lower incomplete gamma function ``P(a, x)`` (JAX's ``lax.igamma``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> round(float(igamma(jnp.array(2.0), 3.0)), 6)
        0.800852
    """
    out: Array = inc.igamma_p.bind(*_operands("igamma", a, x))
    return out


def igammac(a: Any, x: Any) -> Array:
    """The regularized upper incomplete gamma function ``Q(a, x) = 1 - P(a, x)`` (JAX's ``lax.igammac``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> round(float(igammac(jnp.array(2.0), 3.0)), 6)
        0.199148
    """
    out: Array = inc.igammac_p.bind(*_operands("igammac", a, x))
    return out


def igamma_grad_a(a: Any, x: Any) -> Array:
    """``d P(a, x) / da`` (JAX's ``lax.igamma_grad_a``); its own derivative in ``a``
    raises ``NotImplementedError``, as in JAX.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> round(float(igamma_grad_a(jnp.array(2.0), 3.0)), 6)
        -0.197425
    """
    out: Array = inc.igamma_grad_a_p.bind(*_operands("igamma_grad_a", a, x))
    return out


def random_gamma_grad(a: Any, x: Any) -> Array:
    """The derivative of a ``Gamma(a, 1)`` sample ``x`` with respect to ``a``,
    ``-(dP/da) / (dP/dx)`` (JAX's ``lax.random_gamma_grad``: implicit reparameterisation).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> round(float(random_gamma_grad(jnp.array(2.0), 3.0)), 6)
        1.321799
    """
    out: Array = inc.random_gamma_grad_p.bind(*_operands("random_gamma_grad", a, x))
    return out


def betainc(a: Any, b: Any, x: Any) -> Array:
    """The regularized incomplete beta function ``I_x(a, b)`` (JAX's ``lax.betainc``);
    differentiable in ``x`` only, as in JAX.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> round(float(betainc(jnp.array(2.0), 3.0, 0.5)), 6)
        0.6875
    """
    out: Array = inc.betainc_p.bind(*_operands("betainc", a, b, x))
    return out


def regularized_incomplete_beta(a: Any, b: Any, x: Any) -> Array:
    """``betainc`` under its primitive's name (``lax.regularized_incomplete_beta_p`` in JAX).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> round(float(regularized_incomplete_beta(jnp.array(1.0), 1.0, 0.25)), 6)
        0.25
    """
    out: Array = inc.betainc_p.bind(*_operands("regularized_incomplete_beta", a, b, x))
    return out
