"""Kernels of the special functions: erf, erfc, erf_inv, lgamma, digamma, polygamma.

One Numba kernel serves every function (an op code selects it, outside the
hot loop's data dependence), so each dtype compiles once instead of once per
function: cold start pays two compiles, not twelve.  Everything is evaluated
in float64 and rounded to the output dtype.

- ``erf``/``erfc``/``lgamma``: the C library's, through Numba's ``math``.
- ``erf_inv``: a rational first guess refined by Newton steps on ``erf``
  (on ``log(erfc)`` for ``|y| > 0.5``, where ``1 - |y|`` is exact), so
  the result is accurate to a few ulps up to ``+-1`` (``+-inf`` there, nan
  outside ``[-1, 1]``).
- ``digamma``: the recurrence up to ``x >= 10``, then the asymptotic series
  (Abramowitz & Stegun 6.3.18), and the reflection formula below 0; nan at
  the poles (non-positive integers), as JAX.
- ``polygamma(n, x)``, ``n >= 1``: ``(-1)**(n+1) n! zeta(n+1, x)``, the Hurwitz
  zeta summed term by term until ``x >= 10`` (so negative non-integer ``x``
  needs no reflection; it costs ``|x|`` steps there), then Euler-Maclaurin.
  At the poles: inf for odd ``n``, nan for even ``n``.

Example:
    >>> import numpy as np
    >>> [round(v, 6) for v in apply("digamma", np.array([1.0, 0.5])).tolist()]
    [-0.577216, -1.96351]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from functorch_lite.ops.kernels._njit import njit, njit_cached

CODES = {"erf": 0, "erfc": 1, "erf_inv": 2, "lgamma": 3, "digamma": 4, "polygamma": 5}

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


@njit(inline="always")
def _erf_inv_guess(y: float) -> float:
    # Giles (2010) single-precision approximation: a start for Newton's method
    w = -math.log((1.0 - y) * (1.0 + y))
    if w < 5.0:
        w -= 2.5
        p = 2.81022636e-08
        p = 3.43273939e-07 + p * w
        p = -3.5233877e-06 + p * w
        p = -4.39150654e-06 + p * w
        p = 0.00021858087 + p * w
        p = -0.00125372503 + p * w
        p = -0.00417768164 + p * w
        p = 0.246640727 + p * w
        p = 1.50140941 + p * w
    else:
        w = math.sqrt(w) - 3.0
        p = -0.000200214257
        p = 0.000100950558 + p * w
        p = 0.00134934322 + p * w
        p = -0.00367342844 + p * w
        p = 0.00573950773 + p * w
        p = -0.0076224613 + p * w
        p = 0.00943887047 + p * w
        p = 1.00167406 + p * w
        p = 2.83297682 + p * w
    return p * y


@njit(inline="always")
def _erf_inv(y: float) -> float:
    if y != y or y < -1.0 or y > 1.0:
        return math.nan
    if y == 1.0:
        return math.inf
    if y == -1.0:
        return -math.inf
    ay = abs(y)
    x = _erf_inv_guess(ay)
    tail = 1.0 - ay  # exact for ay >= 0.5 (Sterbenz)
    log_tail = math.log(tail)
    for _ in range(6):
        slope = _TWO_OVER_SQRT_PI * math.exp(-x * x)
        if ay > 0.5:
            # Newton on log(erfc(x)) = log(1 - y): nearly linear in the far tail
            c = math.erfc(x)
            if c == 0.0 or slope == 0.0:
                break
            step = (math.log(c) - log_tail) * c / slope
        else:
            step = -(math.erf(x) - ay) / slope
        x += step
        if abs(step) <= 1e-16 * abs(x):
            break
    return x if y >= 0 else -x


@njit(inline="always")
def _digamma(x: float) -> float:
    if x != x or x == -math.inf:
        return math.nan
    if x == math.inf:
        return math.inf
    if x <= 0.0 and x == math.floor(x):
        return math.nan
    acc = 0.0
    if x < 0.0:
        # psi(x) = psi(1 - x) - pi / tan(pi x), with pi x reduced to [-pi/2, pi/2] first
        r = x - math.floor(x + 0.5)
        acc = -math.pi / math.tan(math.pi * r)
        x = 1.0 - x
    while x < 10.0:
        acc -= 1.0 / x
        x += 1.0
    z = 1.0 / (x * x)
    series = z * (1.0 / 12 - z * (1.0 / 120 - z * (1.0 / 252 - z * (1.0 / 240 - z * (1.0 / 132)))))
    return acc + math.log(x) - 0.5 / x - series


# Bernoulli numbers B_2j / (2j)! for the Euler-Maclaurin tail of the Hurwitz zeta function
_EM = (1.0 / 12, -1.0 / 720, 1.0 / 30240, -1.0 / 1209600, 1.0 / 47900160,
       -691.0 / 1307674368000, 1.0 / 74724249600, -3617.0 / 10670622842880000)


@njit(inline="always")
def _polygamma(n: int, x: float) -> float:
    # psi^(n)(x) = (-1)^(n+1) n! zeta(n+1, x), zeta summed directly until x >= 10
    # (this also covers negative non-integer x), then Euler-Maclaurin
    if x != x or x == -math.inf:
        return math.nan
    if x <= 0.0 and x == math.floor(x):
        return math.inf if n % 2 == 1 else math.nan
    s = n + 1.0
    acc = 0.0
    while x < 10.0:
        acc += x ** -s
        x += 1.0
    tail = x ** (1.0 - s) / (s - 1.0) + 0.5 * x ** -s
    rising = s  # s (s+1) ... (s+2j-2)
    power = x ** (-s - 1.0)
    for j in range(len(_EM)):
        tail += _EM[j] * rising * power
        rising *= (s + 2 * j + 1) * (s + 2 * j + 2)
        power /= x * x
    out: float = (1.0 if n % 2 == 1 else -1.0) * math.gamma(s) * (acc + tail)
    return out


@njit_cached()
def _apply(code: int, order: int, x: Any, out: Any) -> None:
    for i in range(x.size):
        v = float(x[i])
        if code == 0:
            r = math.erf(v)
        elif code == 1:
            r = math.erfc(v)
        elif code == 2:
            r = _erf_inv(v)
        elif code == 3:
            r = math.lgamma(v) if not (v <= 0.0 and v == math.floor(v)) else math.inf
        elif code == 4:
            r = _digamma(v)
        else:
            r = _polygamma(order, v)
        out[i] = r


def apply(name: str, x: np.ndarray[Any, Any], order: int = 0) -> np.ndarray[Any, Any]:
    """``name`` (a key of ``CODES``) elementwise over a float32/float64 array;
    ``order`` is polygamma's ``n``."""
    flat = np.ascontiguousarray(x).reshape(-1)
    out = np.empty(flat.shape, x.dtype)
    _apply(CODES[name], order, flat, out)
    return out.reshape(x.shape)
