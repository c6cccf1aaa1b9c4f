"""Special-function primitives: erf, erfc, erf_inv, lgamma, digamma, polygamma,
bessel_i0e, bessel_i1e.

Float-only, shape-preserving elementwise ops whose kernels live in
``ops/kernels/special.py``.  Each derivative is another primitive of this
family (``lgamma' = digamma``, ``digamma' = polygamma(1)``,
``polygamma(n)' = polygamma(n + 1)``, ``erf' = 2/sqrt(pi) exp(-x**2)``,
``erf_inv' = sqrt(pi)/2 exp(erf_inv(x)**2)``), so derivatives of every order
exist.  The exponentially scaled Bessel functions are JAX's pair:
``i0e' = i1e - sign(x) i0e`` and ``i1e' = i0e - i1e (sign(x) + 1/x)``, whose
limit at ``x = 0`` is ``1/2`` (taken there exactly, so no 0/0 appears).

Example:
    >>> import functorch_lite.numpy as jnp
    >>> round(float(erf_p.bind(jnp.array(0.5))), 6)
    0.5205
"""

from __future__ import annotations

import math
from typing import Any

from functorch_lite.array import Array
from functorch_lite.core import Primitive, ShapedArray
from functorch_lite.ops import _rules as r
from functorch_lite.ops import elementwise as ew
from functorch_lite.ops import params as P
from functorch_lite.ops.fusion_rules import Elementwise
from functorch_lite.ops.kernels import special as k
from functorch_lite.ops.tables import fusion_rules, jvp_rules, param_types, vjp_rules


def _kernel(name: str) -> Any:
    return lambda x: k.apply(name, x)


erf_p = ew.unop("erf", _kernel("erf"), ew.FLOAT)
erfc_p = ew.unop("erfc", _kernel("erfc"), ew.FLOAT)
erf_inv_p = ew.unop("erf_inv", _kernel("erf_inv"), ew.FLOAT)
lgamma_p = ew.unop("lgamma", _kernel("lgamma"), ew.FLOAT)
digamma_p = ew.unop("digamma", _kernel("digamma"), ew.FLOAT)
bessel_i0e_p = ew.unop("bessel_i0e", _kernel("i0e"), ew.FLOAT)
bessel_i1e_p = ew.unop("bessel_i1e", _kernel("i1e"), ew.FLOAT)

polygamma_p = Primitive("polygamma")


def _polygamma_abstract(x: ShapedArray, *, n: int) -> ShapedArray:
    if type(n) is not int or n < 1:
        raise ValueError(f"polygamma: the order n must be a Python int >= 1 (n = 0 is digamma), got {n!r}")
    if x.dtype.kind != "f":
        raise TypeError(f"polygamma: expected a floating-point array, got dtype {x.dtype}")
    return ShapedArray(x.shape, x.dtype, x.weak_type)


def _polygamma_impl(x: Array, *, n: int) -> Array:
    _polygamma_abstract(ShapedArray(x.shape, x.dtype), n=n)
    return Array._wrap(k.apply("polygamma", x._numpy(), n), x.weak_type)


polygamma_p.impl = _polygamma_impl
polygamma_p.abstract_eval = _polygamma_abstract
param_types[polygamma_p] = {"n": P.ParamSpec("an integer order >= 1", P.int_in(1, 1000))}

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2.0


def _c(x: Any, v: float) -> Array:
    return r.full_like(x, v)


def _gauss(x: Any) -> Any:
    return ew.exp_p.bind(r.neg(r.mul(x, x)))


r.defderiv(erf_p, lambda ans, x: r.mul(_c(x, _TWO_OVER_SQRT_PI), _gauss(x)))
r.defderiv(erfc_p, lambda ans, x: r.mul(_c(x, -_TWO_OVER_SQRT_PI), _gauss(x)))
r.defderiv(erf_inv_p, lambda ans, x: r.mul(_c(x, _SQRT_PI_OVER_TWO), ew.exp_p.bind(r.mul(ans, ans))))
r.defderiv(lgamma_p, lambda ans, x: digamma_p.bind(x))
r.defderiv(digamma_p, lambda ans, x: polygamma_p.bind(x, n=1))


def _i0e_deriv(ans: Any, x: Any) -> Any:
    return r.sub(bessel_i1e_p.bind(x), r.mul(ew.sign_p.bind(x), ans))


def _i1e_deriv(ans: Any, x: Any) -> Any:
    # i0e - i1e (sign(x) + 1/x), and 1/2 at x == 0 (the limit; a safe divisor keeps 0/0 out)
    zero = r.eq(x, r.full_like(x, 0))
    safe = r.select(zero, r.full_like(x, 1), x)
    general = r.sub(bessel_i0e_p.bind(x), r.mul(ans, r.add(ew.sign_p.bind(x), r.div(r.full_like(x, 1), safe))))
    return r.select(zero, r.full_like(x, 0.5), general)


r.defderiv(bessel_i0e_p, _i0e_deriv)
r.defderiv(bessel_i1e_p, _i1e_deriv)


def _polygamma_jvp(primals: Any, tangents: Any, *, n: int) -> tuple[Any, Any]:
    (x,), (t,) = primals, tangents
    return polygamma_p.bind(x, n=n), r.mul(t, polygamma_p.bind(x, n=n + 1))


jvp_rules[polygamma_p] = _polygamma_jvp
vjp_rules[polygamma_p] = (lambda ct, ans, x, *, n: r.mul(ct, polygamma_p.bind(x, n=n + 1)),)

for _p in (erf_p, erfc_p, erf_inv_p, lgamma_p, digamma_p, polygamma_p, bessel_i0e_p, bessel_i1e_p):
    r.batch_elementwise(_p)

# fused loops call the same functions as the eager kernel (``fm.erf_f32``: float64 erf,
# rounded); a vectorised loop may use the vector library's erf, so jit and eager agree to
# about 1 ulp.  The other special functions run as their own kernel inside jit.
fusion_rules[erf_p] = Elementwise("fm.erf_{t}({0})", floats_only=True)
fusion_rules[erfc_p] = Elementwise("fm.erfc_{t}({0})", floats_only=True)

SPECIAL = {p.name: p for p in (erf_p, erfc_p, erf_inv_p, lgamma_p, digamma_p, polygamma_p, bessel_i0e_p,
                                bessel_i1e_p)}

__all__ = ["erf_p", "erfc_p", "erf_inv_p", "lgamma_p", "digamma_p", "polygamma_p", "bessel_i0e_p", "bessel_i1e_p",
           "SPECIAL"]

