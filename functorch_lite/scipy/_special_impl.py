"""The implementation behind :mod:`functorch_lite.scipy.special`, which re-exports its ``__all__``
(and whose docstring describes the module)."""

from __future__ import annotations

import math
from typing import Any, Literal, overload

from functorch_lite import numpy as jnp
from functorch_lite.array import Array
from functorch_lite.numpy._util import promote_to_float
from functorch_lite.ops import incomplete as inc
from functorch_lite.ops import special as sp
from functorch_lite.ops.elementwise import stop_gradient_p

_SQRT2 = math.sqrt(2.0)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _f(x: Any) -> Any:
    return promote_to_float("special", x)[0]


def _f2(x: Any, y: Any) -> tuple[Any, Any]:
    a, b = promote_to_float("special", x, y)
    return a, b


def erf(x: Any) -> Array:
    """The error function ``2/sqrt(pi) * integral of exp(-t**2) from 0 to x``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> round(float(erf(jnp.array(1.0))), 6)
        0.842701
    """
    out: Array = sp.erf_p.bind(_f(x))
    return out


def erfc(x: Any) -> Array:
    """``1 - erf(x)``, accurate where ``erf(x)`` is close to 1.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> float(erfc(jnp.array(10.0))) > 0
        True
    """
    out: Array = sp.erfc_p.bind(_f(x))
    return out


def erfinv(x: Any) -> Array:
    """The inverse of ``erf`` on ``[-1, 1]`` (``+-inf`` at ``+-1``, nan outside).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> round(float(erfinv(jnp.array(0.5))), 6)
        0.476936
    """
    out: Array = sp.erf_inv_p.bind(_f(x))
    return out


def gammaln(x: Any) -> Array:
    """``log(abs(gamma(x)))`` (inf at the poles, the non-positive integers).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> round(float(gammaln(jnp.array(10.0))), 4)
        12.8018
    """
    out: Array = sp.lgamma_p.bind(_f(x))
    return out


def gamma(x: Any) -> Array:
    """The gamma function, ``sign * exp(gammaln(x))``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> [round(v, 4) for v in gamma(jnp.array([5.0, -0.5])).tolist()]
        [24.0, -3.5449]
    """
    x = _f(x)
    # negative between an odd and the next even pole (-1, 0), (-3, -2)...
    negative = (x < 0) & (jnp.fmod(jnp.ceil(-x), 2) == 1)
    out: Array = jnp.where(negative, -1.0, 1.0).astype(x.dtype) * jnp.exp(gammaln(x))
    return out


def digamma(x: Any) -> Array:
    """``d/dx log(gamma(x))`` (nan at the poles, as JAX).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> round(float(digamma(jnp.array(1.0))), 6)
        -0.577216
    """
    out: Array = sp.digamma_p.bind(_f(x))
    return out


def polygamma(n: int, x: Any) -> Array:
    """The ``n``-th derivative of ``digamma`` (``n`` a non-negative Python int).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> round(float(polygamma(1, jnp.array(1.0))), 6)  # pi**2 / 6
        1.644934
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise TypeError(f"polygamma: n must be a non-negative Python int, got {n!r}")
    if n == 0:
        return digamma(x)
    out: Array = sp.polygamma_p.bind(_f(x), n=n)
    return out


def i0e(x: Any) -> Array:
    """The exponentially scaled modified Bessel function of order 0, ``exp(-|x|) I0(x)``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> [round(v, 6) for v in i0e(jnp.array([0.0, 1.0])).tolist()]
        [1.0, 0.46576]
    """
    out: Array = sp.bessel_i0e_p.bind(_f(x))
    return out


def i1e(x: Any) -> Array:
    """The exponentially scaled modified Bessel function of order 1, ``exp(-|x|) I1(x)`` (odd).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> [round(v, 6) for v in i1e(jnp.array([0.0, -1.0])).tolist()]
        [0.0, -0.20791]
    """
    out: Array = sp.bessel_i1e_p.bind(_f(x))
    return out


def betaln(a: Any, b: Any) -> Array:
    """``log(abs(beta(a, b)))`` = ``gammaln(a) + gammaln(b) - gammaln(a + b)``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> round(float(betaln(jnp.array(2.0), jnp.array(3.0))), 6)  # log(1/12)
        -2.484907
    """
    a, b = _f2(a, b)
    return gammaln(a) + gammaln(b) - gammaln(a + b)


def gammainc(a: Any, x: Any) -> Array:
    """The regularized lower incomplete gamma function ``P(a, x) = gamma(a, x) / Gamma(a)``.

    Derivatives: in ``x`` the gamma density, in ``a`` ``lax.igamma_grad_a``
    (whose own derivative in ``a`` is not implemented, as in JAX).  nan for
    negative arguments, as SciPy.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> [round(v, 6) for v in gammainc(jnp.array([1.0, 2.0]), 1.0).tolist()]
        [0.632121, 0.264241]
    """
    a, x = _f2(a, x)
    out: Array = inc.igamma_p.bind(a, x)
    return out


def gammaincc(a: Any, x: Any) -> Array:
    """The regularized upper incomplete gamma function ``Q(a, x) = 1 - P(a, x)``,
    computed directly, so it keeps its relative accuracy where it is small.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> float(gammaincc(jnp.array(1.0), 50.0)) > 0.0  # exp(-50), not 1 - 1
        True
    """
    a, x = _f2(a, x)
    out: Array = inc.igammac_p.bind(a, x)
    return out


def betainc(a: Any, b: Any, x: Any) -> Array:
    """The regularized incomplete beta function ``I_x(a, b)``.

    Differentiable in ``x``; the derivative in ``a`` or ``b`` raises a
    ``ValueError``, as in JAX.  nan outside ``0 <= x <= 1`` or for negative
    parameters, as SciPy.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> round(float(betainc(jnp.array(2.0), 3.0, 0.5)), 6)
        0.6875
    """
    a, b, x = promote_to_float("betainc", a, b, x)
    out: Array = inc.betainc_p.bind(a, b, x)
    return out


def xlogy(x: Any, y: Any) -> Array:
    """``x * log(y)``, and 0 where ``x == 0`` (even where ``y == 0``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> xlogy(jnp.array([0.0, 2.0]), jnp.array([0.0, 1.0])).tolist()
        [0.0, 0.0]
    """
    x, y = _f2(x, y)
    safe = jnp.where(x == 0, jnp.ones_like(y), y)
    out: Array = x * jnp.log(safe)
    return out


def xlog1py(x: Any, y: Any) -> Array:
    """``x * log1p(y)``, and 0 where ``x == 0`` (even where ``y == -1``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> xlog1py(jnp.array([0.0]), jnp.array([-1.0])).tolist()
        [0.0]
    """
    x, y = _f2(x, y)
    safe = jnp.where(x == 0, jnp.zeros_like(y), y)
    out: Array = x * jnp.log1p(safe)
    return out


def entr(x: Any) -> Array:
    """Elementwise entropy ``-x log x``: 0 at 0, ``-inf`` for ``x < 0``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> [round(v, 4) for v in entr(jnp.array([0.0, 0.5, -1.0])).tolist()]
        [0.0, 0.3466, -inf]
    """
    x = _f(x)
    pos = jnp.where(x > 0, x, jnp.ones_like(x))
    out: Array = jnp.where(x > 0, -pos * jnp.log(pos), jnp.where(x == 0, 0.0, -jnp.inf).astype(x.dtype))
    return out


def expit(x: Any) -> Array:
    """The logistic sigmoid ``1 / (1 + exp(-x))``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> expit(jnp.array([0.0])).tolist()
        [0.5]
    """
    x = _f(x)
    out: Array = 0.5 * (jnp.tanh(0.5 * x) + 1.0)
    return out


def logit(x: Any) -> Array:
    """The inverse of ``expit``: ``log(x / (1 - x))``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> logit(jnp.array([0.5])).tolist()
        [0.0]
    """
    x = _f(x)
    out: Array = jnp.log(x) - jnp.log1p(-x)
    return out


def ndtr(x: Any) -> Array:
    """The standard normal CDF, ``erfc(-x / sqrt(2)) / 2``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> round(float(ndtr(jnp.array(1.0))), 6)
        0.841345
    """
    x = _f(x)
    out: Array = 0.5 * erfc(-x * (1.0 / _SQRT2))
    return out


def log_ndtr(x: Any) -> Array:
    """``log(ndtr(x))``, accurate far in the lower tail (an asymptotic series
    below ``x = -20``, where ``ndtr`` underflows in float64 near -38).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> round(float(log_ndtr(jnp.array(-50.0))), 4)
        -1254.8313
    """
    x = _f(x)
    far = x < -20.0
    xf = jnp.where(far, x, jnp.full_like(x, -20.0))  # the branch not taken stays finite
    z = 1.0 / (xf * xf)
    series = jnp.log1p(z * (-1.0 + z * (3.0 + z * (-15.0 + z * 105.0))))
    tail = -0.5 * xf * xf - jnp.log(-xf) - _LOG_SQRT_2PI + series
    xn = jnp.where(far, jnp.zeros_like(x), x)
    out: Array = jnp.where(far, tail, jnp.log(ndtr(xn)))
    return out


def ndtri(p: Any) -> Array:
    """The inverse of ``ndtr``: ``sqrt(2) * erfinv(2p - 1)`` (``-+inf`` at 0 and 1).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> round(float(ndtri(jnp.array(0.975))), 5)
        1.95996
    """
    p = _f(p)
    out: Array = _SQRT2 * erfinv(2.0 * p - 1.0)
    return out


@overload
def logsumexp(a: Any, axis: Any = ..., b: Any = ..., keepdims: bool = ...,
              return_sign: Literal[False] = ...) -> Array: ...
@overload
def logsumexp(a: Any, axis: Any = ..., b: Any = ..., keepdims: bool = ..., *,
              return_sign: Literal[True]) -> tuple[Array, Array]: ...
@overload
def logsumexp(a: Any, axis: Any = ..., b: Any = ..., keepdims: bool = ...,
              return_sign: bool = ...) -> Any: ...
def logsumexp(a: Any, axis: Any = None, b: Any = None, keepdims: bool = False,
              return_sign: bool = False) -> Array | tuple[Array, Array]:
    """``log(sum(b * exp(a)))`` along ``axis``; with ``return_sign=True`` a pair
    ``(log(abs(s)), sign(s))`` so negative weights ``b`` are allowed.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> v, s = logsumexp(jnp.array([0.0, 0.0]), b=jnp.array([1.0, -2.0]), return_sign=True)
        >>> float(v), float(s)
        (0.0, -1.0)
    """
    if not return_sign:
        return jnp.logsumexp(a, axis=axis, keepdims=keepdims, b=b)
    x = _f(a)
    w = jnp.ones_like(x) if b is None else jnp.asarray(b).astype(x.dtype)
    m = jnp.max(jnp.where(w != 0, x, -jnp.inf), axis=axis, keepdims=True)
    m = jnp.where(jnp.isfinite(m), m, 0.0)
    total = jnp.sum(w * jnp.exp(x - stop_gradient_p.bind(m)), axis=axis, keepdims=True)
    value = jnp.log(jnp.abs(total)) + stop_gradient_p.bind(m)
    sign = jnp.sign(total)
    if not keepdims:
        axes = tuple(range(x.ndim)) if axis is None else axis
        value, sign = jnp.squeeze(value, axes), jnp.squeeze(sign, axes)
    return value, sign


def softmax(x: Any, axis: Any = -1) -> Array:
    """``exp(x) / sum(exp(x))`` along ``axis``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> softmax(jnp.array([0.0, 0.0])).tolist()
        [0.5, 0.5]
    """
    out: Array = jnp.softmax(x, axis=axis)
    return out


def log_softmax(x: Any, axis: Any = -1) -> Array:
    """``x - logsumexp(x)`` along ``axis``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> [round(v, 4) for v in log_softmax(jnp.array([0.0, 0.0])).tolist()]
        [-0.6931, -0.6931]
    """
    out: Array = jnp.log_softmax(x, axis=axis)
    return out


__all__ = [
    "erf", "erfc", "erfinv", "gammaln", "gamma", "digamma", "polygamma", "i0e", "i1e", "betaln", "xlogy", "xlog1py",
    "gammainc", "gammaincc", "betainc",
    "entr",
    "expit", "logit", "ndtr", "log_ndtr", "ndtri", "logsumexp", "softmax", "log_softmax",
]
