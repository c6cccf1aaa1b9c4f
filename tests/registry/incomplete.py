"""Registry entries for the incomplete gamma and beta functions (ops/incomplete.py).

The derivative in the shape parameters is not part of these entries' sweeps
(``nondiff_args``): ``igamma_grad_a`` has no derivative in ``a`` and
``betainc`` none in ``a``, ``b`` (as in JAX), which the second-order sweep
would ask for; tests/numpy_api/test_incomplete.py checks the first
derivatives in ``a`` against finite differences instead.
"""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st
import numpy as np

import functorch_lite.numpy as jnp
from functorch_lite import dtypes, lax
from functorch_lite.scipy import special
from tests.registry import OpEntry, register
from tests.registry.elementwise import _promoted, binary_inputs
from tests.strategies import FLOATS, NUMERIC, broadcastable_shapes, np_arrays

sp = __import__("scipy.special", fromlist=["special"])

Arr = np.ndarray[Any, Any]


def _ref2(f: Any) -> Any:
    def reference(a: Arr, x: Arr) -> Any:
        a, x = _promoted(a, x, to_float=True)
        with np.errstate(all="ignore"):
            return np.asarray(f(a.astype(np.float64), x.astype(np.float64))).astype(x.dtype)

    return reference


def _grad_a_series(a: Arr, x: Arr) -> Arr:
    """``dP/da`` term by term: ``P = sum_n exp((a+n) log x - x - lgamma(a+n+1))`` (DLMF 8.7.1), each
    term's derivative being itself times ``log x - digamma(a+n+1)``; for moderate ``x`` (< 20)."""
    n = np.arange(120.0).reshape((-1,) + (1,) * a.ndim)
    with np.errstate(all="ignore"):
        log_x = np.log(x)
        terms = np.exp((a + n) * log_x - x - sp.gammaln(a + n + 1.0))
        out: Arr = np.sum(terms * (log_x - sp.psi(a + n + 1.0)), axis=0)
    return out


def _grad_a_ref(a: Arr, x: Arr) -> Any:
    a, x = np.broadcast_arrays(*_promoted(a, x, to_float=True))
    return _grad_a_series(a.astype(np.float64), x.astype(np.float64)).astype(x.dtype)


def _sample_grad_ref(a: Arr, x: Arr) -> Any:
    a, x = np.broadcast_arrays(*_promoted(a, x, to_float=True))
    a64, x64 = a.astype(np.float64), x.astype(np.float64)
    with np.errstate(all="ignore"):
        density = np.exp((a64 - 1) * np.log(x64) - x64 - sp.gammaln(a64))
    return (-_grad_a_ref(a64, x64) / density).astype(x.dtype)


def _lax2(f: Any) -> Any:
    return lambda a, x: f(*jnp.broadcast_arrays(a, x))


def _lax3(f: Any) -> Any:
    return lambda a, b, x: f(*jnp.broadcast_arrays(a, b, x))


def _beta_inputs(dts: tuple[np.dtype[Any], ...], same_dtype: bool) -> Any:
    def draw_inputs(data: Any) -> list[Arr]:
        d1 = data.draw(st.sampled_from(dts))
        d2, d3 = (d1, d1) if same_dtype else (data.draw(st.sampled_from(dts)), data.draw(st.sampled_from(dts)))
        s1, s2, s3 = data.draw(broadcastable_shapes(3))
        return [data.draw(np_arrays(d1, s1, 1, 6)), data.draw(np_arrays(d2, s2, 1, 6)),
                data.draw(np_arrays(d3, s3, 0.02, 0.98))]

    return draw_inputs


def _beta_ref(a: Arr, b: Arr, x: Arr) -> Any:
    dt = np.dtype(dtypes.result_type(dtypes.result_type(a.dtype, b.dtype), x.dtype))
    dt = dt if dt.kind == "f" else np.dtype(dtypes.default_float_dtype())
    return np.asarray(sp.betainc(a.astype(np.float64), b.astype(np.float64), x.astype(np.float64))).astype(dt)


for _name, _prim, _fn, _f in [
    ("special.gammainc", "igamma", special.gammainc, sp.gammainc),
    ("special.gammaincc", "igammac", special.gammaincc, sp.gammaincc),
]:
    register(OpEntry(_name, _fn, _ref2(_f), binary_inputs(NUMERIC, 1, 6, 0.1, 8), (_prim,),
                     rtol=2e-5, atol=1e-6, nondiff_args=(0,)))

register(OpEntry("lax.igamma_grad_a", _lax2(lax.igamma_grad_a), _grad_a_ref,
                 binary_inputs(FLOATS, 0.5, 6, 0.1, 8, same_dtype=True), ("igamma_grad_a",),
                 rtol=2e-5, atol=1e-6, nondiff_args=(0,)))
register(OpEntry("lax.random_gamma_grad", _lax2(lax.random_gamma_grad), _sample_grad_ref,
                 binary_inputs(FLOATS, 0.5, 6, 0.1, 8, same_dtype=True), ("random_gamma_grad",),
                 rtol=2e-5, atol=1e-6, nondiff_args=(0,)))
register(OpEntry("special.betainc", special.betainc, _beta_ref, _beta_inputs(NUMERIC, False),
                 ("regularized_incomplete_beta",), rtol=2e-5, atol=1e-6, nondiff_args=(0, 1)))
register(OpEntry("lax.betainc", _lax3(lax.betainc), _beta_ref, _beta_inputs(FLOATS, True),
                 ("regularized_incomplete_beta",), rtol=2e-5, atol=1e-6, nondiff_args=(0, 1)))
