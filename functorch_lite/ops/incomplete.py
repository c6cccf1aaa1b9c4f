"""Incomplete gamma and beta primitives: igamma, igammac, igamma_grad_a,
random_gamma_grad, betainc (JAX's ``regularized_incomplete_beta``).

Float-only elementwise ops on operands of one shape and dtype (the public
wrappers in ``lax`` and ``scipy.special`` broadcast and promote), whose
kernels live in ``ops/kernels/incomplete.py``.  Derivatives, as JAX's:

- ``d igamma / dx = x**(a-1) exp(-x) / Gamma(a)`` (in log space) and
  ``d igamma / da = igamma_grad_a(a, x)``; ``igammac`` the negatives;
- ``d igamma_grad_a / dx = pdf(a, x) (log x - digamma(a))`` and
  ``d random_gamma_grad / dx = digamma(a) - log x - r ((a-1)/x - 1)``
  (``r`` the op's value); their derivatives in ``a`` raise
  ``NotImplementedError``, as JAX's ``igamma_grad_a`` does;
- ``d betainc / dx = x**(a-1) (1-x)**(b-1) / B(a, b)``; in ``a`` and ``b``
  a ``ValueError``, JAX's own.

Example:
    >>> import functorch_lite.numpy as jnp
    >>> round(float(igamma_p.bind(jnp.array(1.0), jnp.array(1.0))), 6)
    0.632121
"""

from __future__ import annotations

from typing import Any

from functorch_lite.array import Array
from functorch_lite.core import Primitive, ShapedArray
from functorch_lite.ops import _rules as r
from functorch_lite.ops import elementwise as ew
from functorch_lite.ops import special as sp
from functorch_lite.ops.kernels import incomplete as k


def _gamma_kernel(name: str) -> Any:
    return lambda a, x: k.apply_gamma(name, a, x)


igamma_p = ew.binop("igamma", _gamma_kernel("igamma"), ew.FLOAT)
igammac_p = ew.binop("igammac", _gamma_kernel("igammac"), ew.FLOAT)
igamma_grad_a_p = ew.binop("igamma_grad_a", _gamma_kernel("igamma_grad_a"), ew.FLOAT)
random_gamma_grad_p = ew.binop("random_gamma_grad", _gamma_kernel("random_gamma_grad"), ew.FLOAT)

betainc_p = Primitive("regularized_incomplete_beta")


def _betainc_abstract(a: ShapedArray, b: ShapedArray, x: ShapedArray) -> ShapedArray:
    if not (a.shape == b.shape == x.shape) or not (a.dtype == b.dtype == x.dtype):
        raise TypeError(
            "regularized_incomplete_beta: operands must have equal shapes and dtypes, got "
            f"{a.str_short()}, {b.str_short()} and {x.str_short()}; scipy.special.betainc "
            "broadcasts and promotes for you"
        )
    if x.dtype.kind != "f":
        raise TypeError(
            f"regularized_incomplete_beta: expected real floating-point arrays, got dtype {x.dtype} "
            "(convert with .astype(jnp.float32))"
        )
    return ShapedArray(x.shape, x.dtype, a.weak_type and b.weak_type and x.weak_type)


def _betainc_impl(a: Array, b: Array, x: Array) -> Array:
    aval = _betainc_abstract(ShapedArray(a.shape, a.dtype, a.weak_type), ShapedArray(b.shape, b.dtype, b.weak_type),
                             ShapedArray(x.shape, x.dtype, x.weak_type))
    return Array._wrap(k.apply_beta(a._numpy(), b._numpy(), x._numpy()), aval.weak_type)


betainc_p.impl = _betainc_impl
betainc_p.abstract_eval = _betainc_abstract


# --- derivatives ------------------------------------------------------------------------------


def _c(x: Any, v: float) -> Array:
    return r.full_like(x, v)


def _log(x: Any) -> Any:
    return ew.log_p.bind(x)


def _xlogy(c: Any, x: Any) -> Any:
    """``c * log(x)``, and 0 where ``c == 0`` (so ``0 * log(0)`` is 0)."""
    zero = r.eq(c, _c(c, 0.0))
    return r.select(zero, _c(c, 0.0), r.mul(c, _log(x)))


def _xlog1py(c: Any, z: Any) -> Any:
    """``c * log1p(z)``, and 0 where ``c == 0``."""
    zero = r.eq(c, _c(c, 0.0))
    return r.select(zero, _c(c, 0.0), r.mul(c, ew.log1p_p.bind(z)))


def _gamma_density(a: Any, x: Any) -> Any:
    """``x**(a-1) exp(-x) / Gamma(a)``, from its logarithm."""
    return ew.exp_p.bind(r.sub(r.sub(_xlogy(r.sub(a, _c(a, 1.0)), x), x), sp.lgamma_p.bind(a)))


def _igamma_da(ans: Any, a: Any, x: Any) -> Any:
    return igamma_grad_a_p.bind(a, x)


def _igamma_dx(ans: Any, a: Any, x: Any) -> Any:
    return _gamma_density(a, x)


def _no_second_derivative(name: str) -> Any:
    def rule(ans: Any, a: Any, x: Any) -> Any:
        raise NotImplementedError(
            f"Differentiation rule for '{name}' with respect to a is not implemented (as in JAX: the second "
            "derivative of igamma in a); differentiate with respect to x only, or use finite differences in a"
        )

    return rule


def _grad_a_dx(ans: Any, a: Any, x: Any) -> Any:
    return r.mul(_gamma_density(a, x), r.sub(_log(x), sp.digamma_p.bind(a)))


def _sample_grad_dx(ans: Any, a: Any, x: Any) -> Any:
    # d/dx of -(dP/da) / p(a, x): digamma(a) - log(x) - ans ((a - 1)/x - 1)
    slope = r.sub(r.div(r.sub(a, _c(a, 1.0)), x), _c(x, 1.0))
    return r.sub(r.sub(sp.digamma_p.bind(a), _log(x)), r.mul(ans, slope))


def _betainc_not_in_ab(ans: Any, a: Any, b: Any, x: Any) -> Any:
    raise ValueError("Betainc gradient with respect to a and b not supported. (As in JAX; only the derivative "
                     "with respect to x is implemented: stop_gradient the parameters, or use finite differences)")


def _betainc_dx(ans: Any, a: Any, b: Any, x: Any) -> Any:
    one = _c(x, 1.0)
    log_beta = r.sub(r.add(sp.lgamma_p.bind(a), sp.lgamma_p.bind(b)), sp.lgamma_p.bind(r.add(a, b)))
    log_density = r.add(_xlogy(r.sub(a, one), x), _xlog1py(r.sub(b, one), r.neg(x)))
    return ew.exp_p.bind(r.sub(log_density, log_beta))


r.defderiv(igamma_p, _igamma_da, _igamma_dx)
r.defderiv(igammac_p, lambda ans, a, x: r.neg(_igamma_da(ans, a, x)), lambda ans, a, x: r.neg(_igamma_dx(ans, a, x)))
r.defderiv(igamma_grad_a_p, _no_second_derivative("igamma_grad_a"), _grad_a_dx)
r.defderiv(random_gamma_grad_p, _no_second_derivative("random_gamma_grad"), _sample_grad_dx)
r.defderiv(betainc_p, _betainc_not_in_ab, _betainc_not_in_ab, _betainc_dx)

for _p in (igamma_p, igammac_p, igamma_grad_a_p, random_gamma_grad_p, betainc_p):
    r.batch_elementwise(_p)

INCOMPLETE = {p.name: p for p in (igamma_p, igammac_p, igamma_grad_a_p, random_gamma_grad_p, betainc_p)}

__all__ = ["igamma_p", "igammac_p", "igamma_grad_a_p", "random_gamma_grad_p", "betainc_p", "INCOMPLETE"]
