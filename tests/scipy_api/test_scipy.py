"""functorch_lite.scipy.special and .stats against SciPy (values, float64),
derivatives against SciPy's closed forms or central differences of SciPy's
own functions, and jit/vmap against eager."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite.scipy import special, stats
from tests._gradcheck import numerical_grad, numerical_jvp

sp = pytest.importorskip("scipy.special")
ss = pytest.importorskip("scipy.stats")

RNG = np.random.default_rng(0)
REALS = np.concatenate([RNG.uniform(-12, 12, 300), [-2.5, -0.5, 0.25, 1.0, 2.0, 30.0, 1e3]])
POS = np.concatenate([RNG.uniform(1e-3, 40, 300), [0.5, 1.0, 1e-6, 1e4]])
UNIT = np.concatenate([RNG.uniform(-1, 1, 300), [0.0, 1 - 1e-12, -1 + 1e-12, 0.9999]])

# name -> (ours, SciPy's, inputs, derivative from SciPy (closed form))
UNARY: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any], np.ndarray, Callable[[Any], Any]]] = {
    "erf": (special.erf, sp.erf, REALS / 3, lambda x: 2 / math.sqrt(math.pi) * np.exp(-x * x)),
    "erfc": (special.erfc, sp.erfc, REALS / 2, lambda x: -2 / math.sqrt(math.pi) * np.exp(-x * x)),
    "erfinv": (special.erfinv, sp.erfinv, UNIT, lambda x: math.sqrt(math.pi) / 2 * np.exp(sp.erfinv(x) ** 2)),
    "gammaln": (special.gammaln, sp.gammaln, REALS, sp.psi),
    "digamma": (special.digamma, sp.psi, REALS, lambda x: sp.polygamma(1, x)),
    "polygamma1": (lambda x: special.polygamma(1, x), lambda x: sp.polygamma(1, x), REALS,
                   lambda x: sp.polygamma(2, x)),
    "polygamma3": (lambda x: special.polygamma(3, x), lambda x: sp.polygamma(3, x), POS,
                   lambda x: sp.polygamma(4, x)),
    "gamma": (special.gamma, sp.gamma, REALS / 2, lambda x: sp.gamma(x) * sp.psi(x)),
    "expit": (special.expit, sp.expit, REALS, lambda x: sp.expit(x) * (1 - sp.expit(x))),
    "logit": (special.logit, sp.logit, (UNIT + 1.0001) / 2.0002, lambda x: 1 / (x * (1 - x))),
    "ndtr": (special.ndtr, sp.ndtr, REALS, lambda x: np.exp(-x * x / 2) / math.sqrt(2 * math.pi)),
    "log_ndtr": (special.log_ndtr, sp.log_ndtr, np.concatenate([REALS * 4, [-30.0, -50.0, -100.0]]),
                 lambda x: np.exp(-x * x / 2 - sp.log_ndtr(x)) / math.sqrt(2 * math.pi)),
    "ndtri": (special.ndtri, sp.ndtri, (UNIT + 1.001) / 2.002,
              lambda p: math.sqrt(2 * math.pi) * np.exp(sp.ndtri(p) ** 2 / 2)),
    "entr": (special.entr, sp.entr, POS, lambda x: -np.log(x) - 1),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_values_and_derivatives(name: str) -> None:
    ours, ref, x, dref = UNARY[name]
    x = x[np.isfinite(ref(x)) & (np.abs(x - np.round(x)) > 1e-3) | (x > 0)]
    got = np.asarray(ours(jnp.array(x)))
    want = ref(x)
    np.testing.assert_allclose(got, want, rtol=1e-12 if name not in ("gamma", "polygamma3") else 1e-11, atol=1e-13)
    d = np.asarray(fl.vmap(fl.grad(ours))(jnp.array(x)))
    np.testing.assert_allclose(d, dref(x), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", ["erf", "erfinv", "gammaln", "digamma", "ndtri"])
def test_float32_and_modes(name: str) -> None:
    ours, ref, x, _ = UNARY[name]
    x32 = x[:64].astype(np.float32).reshape(8, 8)
    eager = np.asarray(ours(jnp.array(x32)))
    assert eager.dtype == np.float32
    np.testing.assert_allclose(eager, ref(x32.astype(np.float64)), rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(np.asarray(fl.jit(ours)(jnp.array(x32))), eager, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(fl.vmap(ours)(jnp.array(x32))), eager, rtol=1e-6)


def test_poles_and_edges() -> None:
    np.testing.assert_array_equal(np.asarray(special.gammaln(jnp.array([0.0, -1.0, -2.0]))), [np.inf] * 3)
    assert np.isnan(np.asarray(special.digamma(jnp.array([0.0, -3.0])))).all()  # JAX's choice at the poles
    np.testing.assert_array_equal(np.asarray(special.erfinv(jnp.array([-1.0, 1.0]))), [-np.inf, np.inf])
    assert np.isnan(np.asarray(special.erfinv(jnp.array([1.5, -2.0])))).all()
    np.testing.assert_array_equal(np.asarray(special.xlogy(jnp.array([0.0]), jnp.array([0.0]))), [0.0])
    np.testing.assert_array_equal(np.asarray(special.xlog1py(jnp.array([0.0]), jnp.array([-1.0]))), [0.0])
    assert float(special.erf(jnp.array(3))) == pytest.approx(math.erf(3))  # integers promote
    with pytest.raises(TypeError, match="non-negative Python int"):
        special.polygamma(1.5, jnp.array(1.0))  # type: ignore[arg-type]


def test_second_derivatives_chain() -> None:
    x = jnp.array(np.array([0.7, 3.2, -1.3]))
    g2 = fl.vmap(fl.grad(fl.grad(special.gammaln)))(x)
    np.testing.assert_allclose(np.asarray(g2), sp.polygamma(1, np.asarray(x)), rtol=1e-10)
    g3 = fl.vmap(fl.grad(fl.grad(special.erfinv)))(jnp.array(np.array([0.1, -0.7])))
    y = sp.erfinv(np.array([0.1, -0.7]))
    np.testing.assert_allclose(np.asarray(g3), (math.pi / 2) * y * np.exp(2 * y * y), rtol=1e-9)


def test_binary_and_reductions() -> None:
    a, b = POS[:50], POS[50:100]
    np.testing.assert_allclose(np.asarray(special.betaln(jnp.array(a), jnp.array(b))), sp.betaln(a, b), rtol=1e-11)
    x, y = REALS[:50], POS[:50]
    np.testing.assert_allclose(np.asarray(special.xlogy(jnp.array(x), jnp.array(y))), sp.xlogy(x, y), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(special.xlog1py(jnp.array(x), jnp.array(y))), sp.xlog1py(x, y),
                               rtol=1e-12)
    m = RNG.normal(size=(3, 5))
    w = RNG.normal(size=(3, 5))
    v, s = special.logsumexp(jnp.array(m), axis=1, b=jnp.array(w), return_sign=True)
    rv, rs = sp.logsumexp(m, axis=1, b=w, return_sign=True)
    np.testing.assert_allclose(np.asarray(v), rv, rtol=1e-12)
    np.testing.assert_array_equal(np.asarray(s), rs)
    np.testing.assert_allclose(np.asarray(special.logsumexp(jnp.array(m))), sp.logsumexp(m), rtol=1e-12)


# --- stats ----------------------------------------------------------------------------------------

X = np.concatenate([RNG.uniform(-4, 6, 40), [0.0, 0.5, 1.0, 2.0]])
KS = np.array([-1.0, 0.0, 1.0, 2.0, 3.0, 7.0, 2.5])

# (our function, SciPy's, x values, extra args)
STATS: list[tuple[str, Callable[..., Any], Callable[..., Any], np.ndarray, tuple[float, ...]]] = [
    ("norm.logpdf", stats.norm.logpdf, ss.norm.logpdf, X, (0.5, 2.0)),
    ("norm.cdf", stats.norm.cdf, ss.norm.cdf, X, (0.5, 2.0)),
    ("norm.logcdf", stats.norm.logcdf, ss.norm.logcdf, X * 5, (0.5, 2.0)),
    ("norm.sf", stats.norm.sf, ss.norm.sf, X, (0.5, 2.0)),
    ("norm.logsf", stats.norm.logsf, ss.norm.logsf, X * 5, (0.5, 2.0)),
    ("norm.ppf", stats.norm.ppf, ss.norm.ppf, (UNIT[:40] + 1.01) / 2.02, (0.5, 2.0)),
    ("logistic.logpdf", stats.logistic.logpdf, ss.logistic.logpdf, X * 20, (0.3, 1.5)),
    ("logistic.cdf", stats.logistic.cdf, ss.logistic.cdf, X, (0.3, 1.5)),
    ("logistic.ppf", stats.logistic.ppf, ss.logistic.ppf, (UNIT[:40] + 1.01) / 2.02, (0.3, 1.5)),
    ("laplace.logpdf", stats.laplace.logpdf, ss.laplace.logpdf, X, (0.3, 1.5)),
    ("laplace.cdf", stats.laplace.cdf, ss.laplace.cdf, X, (0.3, 1.5)),
    ("cauchy.logpdf", stats.cauchy.logpdf, ss.cauchy.logpdf, X, (0.3, 1.5)),
    ("cauchy.cdf", stats.cauchy.cdf, ss.cauchy.cdf, X, (0.3, 1.5)),
    ("uniform.logpdf", stats.uniform.logpdf, ss.uniform.logpdf, X, (-1.0, 3.0)),
    ("uniform.cdf", stats.uniform.cdf, ss.uniform.cdf, X, (-1.0, 3.0)),
    ("expon.logpdf", stats.expon.logpdf, ss.expon.logpdf, X, (0.5, 2.0)),
    ("expon.cdf", stats.expon.cdf, ss.expon.cdf, X, (0.5, 2.0)),
    ("t.logpdf", stats.t.logpdf, ss.t.logpdf, X, (3.5, 0.5, 2.0)),
    ("gamma.logpdf", stats.gamma.logpdf, ss.gamma.logpdf, X, (2.5, -1.0, 1.5)),
    ("gamma.logpdf a<1", stats.gamma.logpdf, ss.gamma.logpdf, X, (0.5, 0.0, 1.0)),
    ("beta.logpdf", stats.beta.logpdf, ss.beta.logpdf, X / 6, (2.0, 3.5)),
    ("poisson.logpmf", stats.poisson.logpmf, ss.poisson.logpmf, KS, (3.0,)),
    ("bernoulli.logpmf", stats.bernoulli.logpmf, ss.bernoulli.logpmf, KS, (0.3,)),
    ("bernoulli.cdf", stats.bernoulli.cdf, ss.bernoulli.cdf, KS, (0.3,)),
]


@pytest.mark.parametrize("case", STATS, ids=[c[0] for c in STATS])
def test_stats_values(case: tuple[str, Callable[..., Any], Callable[..., Any], np.ndarray, tuple[float, ...]]) -> None:
    _, ours, ref, x, args = case
    got = np.asarray(ours(jnp.array(x), *args))
    want = ref(x, *args)
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("case", [c for c in STATS if c[0].split(".")[1] in ("logpdf", "cdf", "logcdf")
                                  and not c[0].startswith(("uniform", "bernoulli", "laplace"))],
                         ids=lambda c: c[0])
def test_stats_gradients_wrt_x_and_scale(
        case: tuple[str, Callable[..., Any], Callable[..., Any], np.ndarray, tuple[float, ...]]) -> None:
    name, ours, ref, x, args = case
    x = x[np.isfinite(ref(x, *args)) & np.isfinite(ref(x + 1e-4, *args)) & np.isfinite(ref(x - 1e-4, *args))]
    gx = np.asarray(fl.vmap(fl.grad(lambda v: ours(v, *args)))(jnp.array(x)))
    # finite differences of SciPy's own function: an oracle independent of ours
    fd_x = numerical_jvp(lambda v: ref(v, *args), [x], [np.ones_like(x)], wrap=None)
    np.testing.assert_allclose(gx, fd_x, rtol=1e-6, atol=1e-8)
    scale = args[-1]
    gs = np.asarray(fl.grad(lambda s: jnp.sum(ours(jnp.array(x), *args[:-1], s)))(jnp.array(scale)))
    fd = numerical_grad(lambda s: np.sum(ref(x, *args[:-1], s)), [np.float64(scale)], wrap=None)
    assert float(gs) == pytest.approx(float(fd), rel=1e-6, abs=1e-8), name


def test_dirichlet() -> None:
    alpha = np.array([1.5, 2.0, 0.7])
    xs = RNG.dirichlet(alpha, size=5)
    got = np.asarray(stats.dirichlet.logpdf(jnp.array(xs), jnp.array(alpha)))
    np.testing.assert_allclose(got, [ss.dirichlet.logpdf(x, alpha) for x in xs], rtol=1e-11)


def test_stats_under_jit_broadcast_params() -> None:
    x = jnp.array(X.reshape(4, 11))
    loc = jnp.array(np.linspace(-1, 1, 11))
    f = fl.jit(lambda v, m: stats.norm.logpdf(v, m, 2.0))
    np.testing.assert_allclose(np.asarray(f(x, loc)), ss.norm.logpdf(X.reshape(4, 11), np.linspace(-1, 1, 11), 2.0),
                               rtol=1e-12)


def test_erf_fuses_into_jit_kernels() -> None:
    """``erf``/``erfc`` have fusion rows: exact GELU under jit is one kernel, agreeing with eager to ~1 ulp."""
    from functorch_lite import nn

    for dt, tol in ((np.float32, 5e-7), (np.float64, 1e-15)):
        x = jnp.array(np.linspace(-6, 6, 2001).astype(dt))
        f = fl.jit(lambda v: nn.gelu(v, approximate=False) * 2.0 + special.erfc(v))
        assert f.lower(x).n_kernels == 1
        got = np.asarray(f(x))
        assert got.dtype == dt
        np.testing.assert_allclose(got, np.asarray(nn.gelu(x, approximate=False) * 2.0 + special.erfc(x)),
                                   rtol=tol, atol=tol)
