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
- ``i0e``/``i1e`` (``exp(-|x|) I0(x)``, ``exp(-|x|) I1(x)``): Cephes' Chebyshev
  series on ``[0, 8]`` and in ``8 / x`` beyond (the coefficients of Cephes
  ``i0.c``/``i1.c``, which SciPy and NumPy's ``i0`` also use).
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

CODES = {"erf": 0, "erfc": 1, "erf_inv": 2, "lgamma": 3, "digamma": 4, "polygamma": 5, "i0e": 6, "i1e": 7}

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


# Cephes (Moshier) Chebyshev coefficients: exp(-x) I0(x) on [0, 8], exp(-x) sqrt(x) I0(x) on
# [8, inf) in 32/x - 2, and the same for I1 (exp(-x) I1(x) / x on [0, 8])
_I0_A = (-4.41534164647933937950E-18, 3.33079451882223809783E-17, -2.43127984654795469359E-16,
         1.71539128555513303061E-15, -1.16853328779934516808E-14, 7.67618549860493561688E-14,
         -4.85644678311192946090E-13, 2.95505266312963983461E-12, -1.72682629144155570723E-11,
         9.67580903537323691224E-11, -5.18979560163526290666E-10, 2.65982372468238665035E-9,
         -1.30002500998624804212E-8, 6.04699502254191894932E-8, -2.67079385394061173391E-7,
         1.11738753912010371815E-6, -4.41673835845875056359E-6, 1.64484480707288970893E-5,
         -5.75419501008210370398E-5, 1.88502885095841655729E-4, -5.76375574538582365885E-4,
         1.63947561694133579842E-3, -4.32430999505057594430E-3, 1.05464603945949983183E-2,
         -2.37374148058994688156E-2, 4.93052842396707084878E-2, -9.49010970480476444210E-2,
         1.71620901522208775349E-1, -3.04682672343198398683E-1, 6.76795274409476084995E-1)
_I0_B = (-7.23318048787475395456E-18, -4.83050448594418207126E-18, 4.46562142029675999901E-17,
         3.46122286769746109310E-17, -2.82762398051658348494E-16, -3.42548561967721913462E-16,
         1.77256013305652638360E-15, 3.81168066935262242075E-15, -9.55484669882830764870E-15,
         -4.15056934728722208663E-14, 1.54008621752140982691E-14, 3.85277838274214270114E-13,
         7.18012445138366623367E-13, -1.79417853150680611778E-12, -1.32158118404477131188E-11,
         -3.14991652796324136454E-11, 1.18891471078464383424E-11, 4.94060238822496958910E-10,
         3.39623202570838634515E-9, 2.26666899049817806459E-8, 2.04891858946906374183E-7,
         2.89137052083475648297E-6, 6.88975834691682398426E-5, 3.36911647825569408990E-3,
         8.04490411014108831608E-1)
_I1_A = (2.77791411276104639959E-18, -2.11142121435816608115E-17, 1.55363195773620046921E-16,
         -1.10559694773538630805E-15, 7.60068429473540693410E-15, -5.04218550472791168711E-14,
         3.22379336594557470981E-13, -1.98397439776494371520E-12, 1.17361862988909016308E-11,
         -6.66348972350202774223E-11, 3.62559028155211703701E-10, -1.88724975172282928790E-9,
         9.38153738649577178388E-9, -4.44505912879632808065E-8, 2.00329475355213526229E-7,
         -8.56872026469545474066E-7, 3.47025130813767847674E-6, -1.32731636560394358279E-5,
         4.78156510755005422638E-5, -1.61760815825896745588E-4, 5.12285956168575772895E-4,
         -1.51357245063125314899E-3, 4.15642294431288815669E-3, -1.05640848946261981558E-2,
         2.47264490306265168283E-2, -5.29459812080949914269E-2, 1.02643658689847095384E-1,
         -1.76416518357834055153E-1, 2.52587186443633654823E-1)
_I1_B = (7.51729631084210481353E-18, 4.41434832307170791151E-18, -4.65030536848935832153E-17,
         -3.20952592199342395980E-17, 2.96262899764595013876E-16, 3.30820231092092828324E-16,
         -1.88035477551078244854E-15, -3.81440307243700780478E-15, 1.04202769841288027642E-14,
         4.27244001671195135429E-14, -2.10154184277266431302E-14, -4.08355111109219731823E-13,
         -7.19855177624590851209E-13, 2.03562854414708950722E-12, 1.41258074366137813316E-11,
         3.25260358301548823856E-11, -1.89749581235054123450E-11, -5.58974346219658380687E-10,
         -3.83538038596423702205E-9, -2.63146884688951950684E-8, -2.51223623787020892529E-7,
         -3.88256480887769039346E-6, -1.10588938762623716291E-4, -9.76109749136146840777E-3,
         7.78576235018280120474E-1)


@njit(inline="always")
def _chbevl(x: float, coef: Any) -> float:
    b0 = coef[0]
    b1 = 0.0
    b2 = 0.0
    for i in range(1, len(coef)):
        b2 = b1
        b1 = b0
        b0 = x * b1 - b2 + coef[i]
    out: float = 0.5 * (b0 - b2)
    return out


@njit(inline="always")
def _i0e(v: float) -> float:
    x = abs(v)
    if x != x:
        return math.nan
    if x <= 8.0:
        return _chbevl(0.5 * x - 2.0, _I0_A)
    if x == math.inf:
        return 0.0
    out: float = _chbevl(32.0 / x - 2.0, _I0_B) / math.sqrt(x)
    return out


@njit(inline="always")
def _i1e(v: float) -> float:
    x = abs(v)
    if x != x:
        return math.nan
    if x <= 8.0:
        out = _chbevl(0.5 * x - 2.0, _I1_A) * x
    elif x == math.inf:
        out = 0.0
    else:
        out = _chbevl(32.0 / x - 2.0, _I1_B) / math.sqrt(x)
    return -out if v < 0 else out


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
        elif code == 6:
            r = _i0e(v)
        elif code == 7:
            r = _i1e(v)
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
