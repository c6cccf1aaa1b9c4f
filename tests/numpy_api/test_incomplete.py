"""The incomplete gamma and beta functions (ops/incomplete.py) and what is built
on them: values against SciPy over a grid with the edge cases (float64 to
~1e-13 relative), derivatives against finite differences and JAX's
conventions, eager == jit == vmap-of-a-loop, and the scipy.stats CDFs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import lax
from functorch_lite.scipy import special, stats
from tests._gradcheck import assert_close, numerical_grad

sp = pytest.importorskip("scipy.special")

INF, NAN = np.inf, np.nan
A = np.array([1e-300, 1e-10, 1e-3, 0.1, 0.5, 1.0, 1.5, 3.0, 9.99, 10.0, 25.5, 100.0, 1e3, 1e4])
X = np.array([1e-300, 1e-8, 1e-3, 0.1, 0.5, 1.0, 1.05, 1.1, 1.2, 2.0, 5.0, 9.9, 10.1, 30.0, 95.0, 100.0, 105.0,
              200.0, 700.0, 750.0, 990.0, 1000.0, 1010.0, 1100.0, 1e4, 1.01e4])
GRID_A, GRID_X = (v.ravel() for v in np.meshgrid(A, X))
# special points: zero, infinities, nan, negative arguments (nan, as SciPy)
EDGE_A = np.array([0.0, 0.0, 0.0, 1.0, 1.0, INF, INF, 1.0, -1.0, NAN, 2.0, 2.0])
EDGE_X = np.array([0.0, 1.0, INF, 0.0, INF, 1.0, INF, -1.0, 1.0, 1.0, NAN, 1e-320])


def _max_rel(got: Any, want: Any) -> float:
    g, w = np.asarray(got, np.float64), np.asarray(want, np.float64)
    normal = np.isfinite(w) & (np.abs(w) > 1e-290)  # subnormal results carry fewer digits
    return float(np.max(np.abs(g[normal] - w[normal]) / np.abs(w[normal]), initial=0.0))


def _same_specials(got: Any, want: Any) -> None:
    g, w = np.asarray(got), np.asarray(want)
    np.testing.assert_array_equal(np.isnan(g), np.isnan(w))
    fin = ~np.isnan(w)
    np.testing.assert_array_equal(g[fin], w[fin])


# --- values -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("ours", "ref"), [(special.gammainc, sp.gammainc), (special.gammaincc, sp.gammaincc)])
def test_incomplete_gamma_matches_scipy_over_a_grid(ours: Any, ref: Any) -> None:
    got = np.asarray(ours(jnp.asarray(GRID_A), jnp.asarray(GRID_X)))
    assert got.dtype == np.float64
    assert _max_rel(got, ref(GRID_A, GRID_X)) < 2e-13
    _same_specials(ours(jnp.asarray(EDGE_A), jnp.asarray(EDGE_X)), ref(EDGE_A, EDGE_X))


def test_upper_gamma_is_accurate_where_small() -> None:
    # Q = 1 - P would lose every digit here: each is computed directly
    a = np.array([1e-10, 1e-10, 1e-3, 1.0, 5.0, 50.0])
    x = np.array([0.5, 1.05, 0.01, 50.0, 100.0, 200.0])
    want = sp.gammaincc(a, x)
    assert want.max() < 1e-2
    assert _max_rel(special.gammaincc(jnp.asarray(a), jnp.asarray(x)), want) < 1e-13


def test_betainc_matches_scipy_over_a_grid() -> None:
    params = np.array([1e-10, 0.01, 0.5, 1.0, 2.5, 9.5, 10.0, 30.0, 100.0, 1e3])
    xs = np.array([1e-10, 1e-3, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 0.999, 1 - 1e-10])
    a, b, x = (v.ravel() for v in np.meshgrid(params, params, xs))
    got = special.betainc(jnp.asarray(a), jnp.asarray(b), jnp.asarray(x))
    assert _max_rel(got, sp.betainc(a, b, x)) < 5e-13
    ea = np.array([0.0, 0.0, 1.0, 1.0, 0.0, INF, 1.0, INF, 1.0, 1.0, -1.0, 1.0, 1.0, 2.0])
    eb = np.array([1.0, 1.0, 0.0, 0.0, 0.0, 1.0, INF, INF, 1.0, 1.0, 1.0, 1.0, 1.0, 3.0])
    ex = np.array([0.5, 0.0, 0.5, 1.0, 0.5, 0.5, 0.5, 0.5, -0.1, 1.1, 0.5, 0.0, 1.0, NAN])
    _same_specials(special.betainc(jnp.asarray(ea), jnp.asarray(eb), jnp.asarray(ex)), sp.betainc(ea, eb, ex))


def test_dtypes_promotion_and_broadcasting(x64_off: None) -> None:
    out = special.gammainc(jnp.array([1, 2]), 3)  # integers promote to the default float
    assert out.dtype == np.float32 and out.shape == (2,)
    np.testing.assert_allclose(np.asarray(out), sp.gammainc([1, 2], 3), rtol=1e-6)
    f32 = jnp.array([[0.2], [0.7]], dtype=jnp.float32)
    out = special.betainc(2.0, jnp.array([1.0, 3.0], dtype=jnp.float32), f32)
    assert out.dtype == np.float32 and out.shape == (2, 2)
    np.testing.assert_allclose(np.asarray(out), sp.betainc(2.0, [1.0, 3.0], [[0.2], [0.7]]), rtol=1e-6)
    assert lax.igamma(jnp.array([1.0, 2.0]), 1.0).dtype == np.float32  # the scalar takes the array's dtype


def test_lax_operands_are_not_promoted() -> None:
    with pytest.raises(TypeError, match="same dtypes"):
        lax.igamma(jnp.array([1.0], dtype=jnp.float32), jnp.array([1.0], dtype=jnp.float64))
    with pytest.raises(TypeError, match="real floating-point"):
        lax.igammac(jnp.array([1, 2]), jnp.array([1, 2]))
    with pytest.raises(TypeError, match="same shape"):
        lax.betainc(jnp.ones(2), jnp.ones(3), jnp.ones(2))


def test_shape_derivatives_match_mpmath() -> None:
    mpmath = pytest.importorskip("mpmath")
    a = np.array([1e-3, 0.5, 2.0, 2.0, 10.0, 25.5, 300.0, 0.5])
    x = np.array([200.0, 0.3, 3.0, 0.01, 9.0, 40.0, 310.0, 30.0])
    want = []
    for ai, xi in zip(a, x):
        with mpmath.workdps(40):
            h = mpmath.mpf("1e-18")
            want.append(float(-mpmath.diff(lambda s, xi=xi: mpmath.gammainc(s, xi, mpmath.inf, regularized=True),
                                           ai, h=h)))
    grad_a = np.asarray(lax.igamma_grad_a(jnp.asarray(a), jnp.asarray(x)))
    assert _max_rel(grad_a, want) < 1e-10
    density = np.exp((a - 1) * np.log(x) - x - sp.gammaln(a))
    sample = np.asarray(lax.random_gamma_grad(jnp.asarray(a), jnp.asarray(x)))
    assert _max_rel(sample, -np.asarray(want) / density) < 1e-10
    # at x = 0 both are 0; a <= 0 or x < 0 gives nan (JAX's choice)
    edge = lax.igamma_grad_a(jnp.array([2.0, 0.0, 1.0]), jnp.array([0.0, 1.0, -1.0]))
    np.testing.assert_array_equal(np.isnan(np.asarray(edge)), [False, True, True])
    assert float(edge[0]) == 0.0


# --- derivatives ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fn", [special.gammainc, special.gammaincc])
def test_gamma_gradients_match_finite_differences(fn: Any) -> None:
    a = np.array([0.3, 1.0, 2.5, 7.0, 40.0])
    x = np.array([0.2, 2.0, 1.5, 9.0, 35.0])

    def f(a_: Any, x_: Any) -> Any:
        return jnp.sum(fn(a_, x_))

    for argnum in (0, 1):
        got = fl.grad(f, argnums=argnum)(jnp.asarray(a), jnp.asarray(x))
        assert_close(np.asarray(got), numerical_grad(f, [a, x], argnum), rtol=1e-6, atol=1e-9,
                     what=f"{fn.__name__} d/d{'ax'[argnum]}")
    # second derivative in x: the density's own derivative
    g = fl.grad(lambda x_: jnp.sum(fl.grad(f, argnums=1)(jnp.asarray(a), x_)))(jnp.asarray(x))
    want = numerical_grad(lambda x_: jnp.sum(fl.grad(f, argnums=1)(jnp.asarray(a), x_)), [x], 0)
    assert_close(np.asarray(g), want, rtol=1e-6, atol=1e-9, what="d2/dx2")


def test_derivative_rules_in_x_of_the_shape_derivatives() -> None:
    a = np.array([0.7, 2.0, 6.0])
    x = np.array([0.4, 3.0, 8.0])
    for fn in (lax.igamma_grad_a, lax.random_gamma_grad):
        def f(x_: Any, fn: Any = fn) -> Any:
            return jnp.sum(fn(jnp.asarray(a), x_))

        assert_close(np.asarray(fl.grad(f)(jnp.asarray(x))), numerical_grad(f, [x], 0), rtol=1e-6, atol=1e-9,
                     what=fn.__name__)
        tangent = fl.jvp(f, (jnp.asarray(x),), (jnp.ones(3),))[1]
        assert abs(float(tangent) - float(np.sum(numerical_grad(f, [x], 0)))) < 1e-6


def test_betainc_gradient_in_x_and_errors_in_parameters() -> None:
    a, b, x = np.array([0.5, 2.0, 30.0]), np.array([1.0, 3.0, 20.0]), np.array([0.3, 0.5, 0.6])

    def f(x_: Any) -> Any:
        return jnp.sum(special.betainc(jnp.asarray(a), jnp.asarray(b), x_))

    assert_close(np.asarray(fl.grad(f)(jnp.asarray(x))), numerical_grad(f, [x], 0), rtol=1e-6, atol=1e-9,
                 what="betainc d/dx")
    for argnum in (0, 1):
        with pytest.raises(ValueError, match="Betainc gradient with respect to a and b not supported"):
            fl.grad(lambda *v: jnp.sum(special.betainc(*v)), argnums=argnum)(
                jnp.asarray(a), jnp.asarray(b), jnp.asarray(x))


def test_second_derivative_in_a_raises_as_in_jax() -> None:
    dgda = fl.grad(special.gammainc, argnums=0)
    assert np.isfinite(float(dgda(2.0, 3.0)))
    with pytest.raises(NotImplementedError, match="igamma_grad_a"):
        fl.grad(dgda, argnums=0)(2.0, 3.0)
    with pytest.raises(NotImplementedError, match="random_gamma_grad"):
        fl.grad(lambda s: lax.random_gamma_grad(s, jnp.asarray(3.0)))(jnp.asarray(2.0))


def test_matches_jax_values_and_derivative_conventions(jax64: Any) -> None:
    jax = jax64
    jsp = pytest.importorskip("jax.scipy.special")
    a = np.array([0.5, 2.0, 7.5, 30.0])
    x = np.array([0.3, 3.0, 6.0, 33.0])
    b = np.array([1.5, 3.0, 0.5, 12.0])
    u = np.array([0.2, 0.5, 0.9, 0.7])
    for ours, theirs in [(lax.igamma, jax.lax.igamma), (lax.igammac, jax.lax.igammac),
                         (lax.igamma_grad_a, jax.lax.igamma_grad_a),
                         (lax.random_gamma_grad, jax.lax.random_gamma_grad)]:
        got = ours(jnp.asarray(a), jnp.asarray(x))
        np.testing.assert_allclose(np.asarray(got), np.asarray(theirs(a, x)), rtol=1e-8, err_msg=ours.__name__)
    np.testing.assert_allclose(np.asarray(lax.betainc(jnp.asarray(a), jnp.asarray(b), jnp.asarray(u))),
                               np.asarray(jax.lax.betainc(a, b, u)), rtol=1e-8)
    for argnum in (0, 1):
        got = fl.grad(special.gammainc, argnums=argnum)(2.0, 3.0)
        want = jax.grad(jsp.gammainc, argnums=argnum)(2.0, 3.0)
        assert abs(float(got) - float(want)) < 1e-8
        got = fl.grad(special.gammaincc, argnums=argnum)(2.0, 3.0)
        want = jax.grad(jsp.gammaincc, argnums=argnum)(2.0, 3.0)
        assert abs(float(got) - float(want)) < 1e-8
    assert abs(float(fl.grad(special.betainc, argnums=2)(2.0, 3.0, 0.4))
               - float(jax.grad(jsp.betainc, argnums=2)(2.0, 3.0, 0.4))) < 1e-10
    with pytest.raises(ValueError, match="Betainc gradient"):
        jax.grad(jsp.betainc, argnums=0)(2.0, 3.0, 0.4)


# --- modes ------------------------------------------------------------------------------------------


def test_jit_and_vmap_agree_with_eager() -> None:
    rng = np.random.default_rng(0)
    a = rng.uniform(0.1, 20.0, (3, 4))
    x = rng.uniform(0.0, 25.0, (3, 4))
    u = rng.uniform(0.0, 1.0, (3, 4))

    def f(a_: Any, x_: Any, u_: Any) -> Any:
        return (special.gammainc(a_, x_), special.gammaincc(a_, x_), lax.igamma_grad_a(a_, x_ + 0.1),
                lax.random_gamma_grad(a_, x_ + 0.1), special.betainc(a_, x_ + 0.5, u_))

    args = (jnp.asarray(a), jnp.asarray(x), jnp.asarray(u))
    eager = f(*args)
    for got, want in zip(fl.jit(f)(*args), eager):
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    batched = fl.vmap(f)(*args)
    for i in range(3):
        for got, want in zip(f(*(v[i] for v in args)), batched):
            np.testing.assert_array_equal(np.asarray(got), np.asarray(want)[i])
    # a batched derivative in a, under jit
    g = fl.jit(fl.vmap(fl.grad(special.gammainc)))(args[0][0], args[1][0])
    for i in range(4):
        assert float(g[i]) == float(fl.grad(special.gammainc)(args[0][0, i], args[1][0, i]))


# --- scipy.stats ----------------------------------------------------------------------------------


def test_stats_cdfs_match_scipy() -> None:
    ss = pytest.importorskip("scipy.stats")
    x = np.array([-1.0, 0.0, 0.3, 1.5, 4.0, 12.0])
    cases: list[tuple[Any, Any, tuple[Any, ...]]] = [
        (stats.gamma, ss.gamma, (2.5,)), (stats.gamma, ss.gamma, (0.7, 0.5, 2.0)),
        (stats.chi2, ss.chi2, (3.0,)), (stats.chi2, ss.chi2, (1.0, -0.5, 1.5)),
        (stats.beta, ss.beta, (2.0, 3.0)), (stats.beta, ss.beta, (0.5, 0.8, -1.0, 6.0)),
    ]
    for ours, theirs, params in cases:
        for name in ("cdf", "logcdf", "sf", "logsf"):
            got = np.asarray(getattr(ours, name)(jnp.asarray(x), *params))
            with np.errstate(all="ignore"):
                want = getattr(theirs, name)(x, *params)
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300, err_msg=f"{theirs.name}.{name}{params}")
    inside = np.array([0.3, 1.5, 4.0, 12.0])
    for name in ("logpdf", "pdf"):
        np.testing.assert_allclose(np.asarray(getattr(stats.chi2, name)(jnp.asarray(inside), 3.0)),
                                   getattr(ss.chi2, name)(inside, 3.0), rtol=1e-12)
    k = np.array([-1.0, 0.0, 1.0, 2.5, 7.0, 30.0])
    np.testing.assert_allclose(np.asarray(stats.poisson.cdf(jnp.asarray(k), 3.5)), ss.poisson.cdf(k, 3.5),
                               rtol=1e-12)
    np.testing.assert_allclose(np.asarray(stats.poisson.cdf(jnp.asarray(k), 3.5, 1.0)),
                               ss.poisson.cdf(k, 3.5, 1.0), rtol=1e-12)
