"""Differentiation and batching rules of the sorting and cumulative primitives.

Gradients and jvps are checked against central finite differences in
float64 at points away from ties (cumprod also at zeros: it is a polynomial,
so differences are exact there too); vmap against a Python loop over the
batch (also with the batch axis not first); second order for cumsum,
cumprod, cummax and sort.  ``take_along``/``add_along`` (the permutation
helpers the rules use) are a gather/scatter, so these also check those
primitives' rules under vmap and second order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite.ops import cumulative as cum
from functorch_lite.ops import sorting as srt
from functorch_lite.ops.tables import batch_rules, jvp_rules, vjp_rules
from tests._gradcheck import numerical_grad, numerical_jvp, numerical_vjp

Arr = np.ndarray[Any, Any]


def _np(x: Any) -> Arr:
    return np.asarray(x, dtype=np.float64)


def distinct(shape: tuple[int, ...], seed: int, lo: float = -3.0, hi: float = 3.0) -> Arr:
    """Values with gaps much larger than the finite-difference step (no ties), in [lo, hi]."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    ranks = rng.permutation(n).astype(np.float64)
    vals = lo + (hi - lo) * (ranks + 0.5 + 0.2 * rng.uniform(-1, 1, n)) / max(n, 1)
    return vals.reshape(shape)


def check_derivatives(fn: Callable[[Any], Any], x: Arr, seed: int = 0) -> None:
    """grad (for a random cotangent) and jvp (for a random tangent) against
    central differences."""
    rng = np.random.default_rng(seed)
    f = lambda a: _np(fn(jnp.asarray(a)))  # noqa: E731
    out = f(x)
    ct = rng.normal(size=out.shape)
    v = rng.normal(size=x.shape)
    g = fl.grad(lambda a: jnp.sum(fn(a) * jnp.asarray(ct)))(jnp.asarray(x))
    np.testing.assert_allclose(_np(g), numerical_vjp(fn, [x], ct), rtol=1e-6, atol=1e-7)
    y, t = fl.jvp(fn, (jnp.asarray(x),), (jnp.asarray(v),))
    np.testing.assert_allclose(_np(y), out)
    np.testing.assert_allclose(_np(t), numerical_jvp(fn, [x], [v]), rtol=1e-6, atol=1e-7)


def sort_fn(axis: int, descending: bool) -> Callable[[Any], Any]:
    return lambda a: srt.sort_p.bind(a, dimension=axis % a.ndim, descending=descending)


def cum_fn(prim: Any, axis: int, reverse: bool) -> Callable[[Any], Any]:
    return lambda a: prim.bind(a, axis=axis % a.ndim, reverse=reverse)


CUMS = [cum.cumsum_p, cum.cumprod_p, cum.cummax_p, cum.cummin_p]
CASES = [((7,), 0), ((3, 4), 0), ((3, 4), 1), ((2, 3, 4), 1), ((2, 3, 4), 2)]


# --- the rules are declared ---------------------------------------------------------------
def test_rules_are_declared() -> None:
    for p in [srt.sort_p, *CUMS]:
        assert p in jvp_rules and p in vjp_rules and p in batch_rules, p.name
    for p in (srt.argsort_p, srt.searchsorted_p):
        assert p.nondifferentiable and p in batch_rules, p.name


# --- first order vs finite differences ---------------------------------------------------------
@pytest.mark.parametrize("shape,axis", CASES)
@pytest.mark.parametrize("descending", [False, True])
def test_sort_derivatives(shape: tuple[int, ...], axis: int, descending: bool) -> None:
    check_derivatives(sort_fn(axis, descending), distinct(shape, seed=len(shape) + axis))


def test_jnp_sort_flattened_derivatives() -> None:
    check_derivatives(lambda a: jnp.sort(a, axis=None), distinct((3, 4), seed=5))


@pytest.mark.parametrize("prim", CUMS, ids=lambda p: p.name)
@pytest.mark.parametrize("shape,axis", CASES)
@pytest.mark.parametrize("reverse", [False, True])
def test_cumulative_derivatives(prim: Any, shape: tuple[int, ...], axis: int, reverse: bool) -> None:
    lo, hi = (0.5, 1.5) if prim is cum.cumprod_p else (-3.0, 3.0)
    x = distinct(shape, seed=3 * axis + len(shape), lo=lo, hi=hi)
    if prim is cum.cumprod_p:
        x = x * np.where(np.arange(x.size).reshape(shape) % 3 == 0, -1.0, 1.0)
    check_derivatives(cum_fn(prim, axis, reverse), x)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize(
    "x",
    [
        [2.0, 0.0, 3.0, 1.5, 0.5],  # one zero
        [2.0, 0.0, 3.0, 0.0, 5.0],  # two zeros
        [0.0, 0.0, 0.0, 2.0],  # zeros only at the start
        [1.5, -2.0, 0.5, 0.0],  # zero last
        [0.0],
    ],
)
def test_cumprod_derivatives_exact_at_zeros(x: list[float], reverse: bool) -> None:
    check_derivatives(cum_fn(cum.cumprod_p, 0, reverse), np.array(x))
    x2 = np.array([x, x[::-1]])
    check_derivatives(cum_fn(cum.cumprod_p, 1, reverse), x2, seed=1)


def test_cumprod_gradient_values_at_zeros() -> None:
    x = jnp.asarray(np.array([2.0, 0.0, 3.0, 0.0, 5.0]))
    # d/dx1 of sum(cumprod) = x0 + x0*x2 + x0*x2*x3 + x0*x2*x3*x4 = 2 + 6 + 0 + 0
    g = fl.grad(lambda a: jnp.sum(jnp.cumprod(a)))(x)
    assert _np(g).tolist() == [1.0, 8.0, 0.0, 0.0, 0.0]


# --- ties, NaN and the choices made there -------------------------------------------------------
def test_sort_tangent_follows_the_applied_permutation() -> None:
    t = jnp.asarray(np.array([10.0, 20.0, 30.0]))
    cases = [
        ([np.nan, 1.0, 0.0], False, [30.0, 20.0, 10.0]),
        ([np.nan, 1.0, 0.0], True, [10.0, 20.0, 30.0]),  # NaN first descending
        ([1.0, 1.0, 0.0], False, [30.0, 10.0, 20.0]),  # stable: ties in order
        ([1.0, 1.0, 0.0], True, [20.0, 10.0, 30.0]),  # the reversed ascending sort (as JAX)
    ]
    for x, desc, want in cases:
        f = sort_fn(0, desc)
        _, tan = fl.jvp(f, (jnp.asarray(np.array(x)),), (t,))
        assert _np(tan).tolist() == want
        # the vjp is the transpose of the jvp: <ct, J t> == <J^T ct, t>
        ct = np.array([1.0, -2.0, 5.0])
        _, pull = fl.vjp(f, jnp.asarray(np.array(x)))
        (g,) = pull(jnp.asarray(ct))
        assert np.dot(_np(g), _np(t)) == np.dot(ct, want)


@pytest.mark.parametrize(
    "prim,reverse,want",
    [
        # x = [1, 3, 3, 2, 3]: the running extreme's derivative goes to the most recent winner
        (cum.cummax_p, False, [1.0, 10.0, 1100.0, 0.0, 10000.0]),
        (cum.cummax_p, True, [0.0, 11.0, 100.0, 0.0, 11000.0]),
        (cum.cummin_p, False, [11111.0, 0.0, 0.0, 0.0, 0.0]),
        # reversed running min = [1, 2, 2, 2, 3]: winners 0, 3, 3, 3, 4
        (cum.cummin_p, True, [1.0, 0.0, 0.0, 1110.0, 10000.0]),
    ],
)
def test_cummax_cummin_ties_go_to_the_most_recent(prim: Any, reverse: bool, want: list[float]) -> None:
    x = jnp.asarray(np.array([1.0, 3.0, 3.0, 2.0, 3.0]))
    w = jnp.asarray(np.array([1.0, 10.0, 100.0, 1000.0, 10000.0]))
    g = fl.grad(lambda a: jnp.sum(prim.bind(a, axis=0, reverse=reverse) * w))(x)
    assert _np(g).tolist() == want
    _, t = fl.jvp(lambda a: prim.bind(a, axis=0, reverse=reverse), (x,), (w,))
    assert float(jnp.sum(t * w)) == pytest.approx(float(jnp.sum(g * w)))


@pytest.mark.parametrize("prim", [cum.cummax_p, cum.cummin_p], ids=lambda p: p.name)
def test_cummax_with_nan_has_valid_winners(prim: Any) -> None:
    x = jnp.asarray(np.array([np.nan, 1.0, 3.0, np.nan, 2.0]))
    g = fl.grad(lambda a: jnp.sum(prim.bind(a, axis=0, reverse=False)))(x)
    # every output after a NaN is NaN, "won" by the latest NaN so far
    assert _np(g).tolist() == [3.0, 0.0, 0.0, 2.0, 0.0]


def test_argsort_and_searchsorted_have_zero_derivatives() -> None:
    x = jnp.asarray(distinct((5,), 1))
    g = fl.grad(lambda a: jnp.sum(a * jnp.argsort(a)))(x)
    np.testing.assert_array_equal(_np(g), _np(jnp.argsort(x)))
    s = jnp.asarray(np.array([0.0, 1.0, 2.0]))
    g2 = fl.grad(lambda a: jnp.sum(a * jnp.searchsorted(s, a)))(x)
    np.testing.assert_array_equal(_np(g2), _np(jnp.searchsorted(s, x)))


# --- vmap vs a Python loop ----------------------------------------------------------------------
def loop(fn: Callable[..., Any], args: list[Arr], in_axes: tuple[int | None, ...]) -> Arr:
    size = next(a.shape[d] for a, d in zip(args, in_axes) if d is not None)
    outs = []
    for i in range(size):
        sl = [jnp.asarray(a if d is None else np.take(a, i, axis=d)) for a, d in zip(args, in_axes)]
        outs.append(np.asarray(fn(*sl)))
    return np.stack(outs)


def check_vmap(fn: Callable[..., Any], args: list[Arr], in_axes: tuple[int | None, ...]) -> None:
    got = fl.vmap(fn, in_axes=in_axes)(*[jnp.asarray(a) for a in args])
    want = loop(fn, args, in_axes)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(np.asarray(got), want)


def ties(shape: tuple[int, ...], seed: int) -> Arr:
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, size=shape).astype(np.float64)
    x[rng.random(shape) < 0.1] = np.nan
    return x


@pytest.mark.parametrize("in_axis", [0, 1, 2])
@pytest.mark.parametrize("axis", [0, -1])
def test_vmap_sort_argsort(in_axis: int, axis: int) -> None:
    x = ties((3, 4, 5), seed=in_axis)
    for desc in (False, True):
        check_vmap(lambda a: jnp.sort(a, axis=axis, descending=desc), [x], (in_axis,))
        check_vmap(lambda a: jnp.argsort(a, axis=axis, descending=desc), [x], (in_axis,))


@pytest.mark.parametrize("in_axis", [0, 1])
@pytest.mark.parametrize("prim", CUMS, ids=lambda p: p.name)
def test_vmap_cumulative(prim: Any, in_axis: int) -> None:
    x = ties((3, 4, 5), seed=2)
    x = np.where(np.isnan(x), 0.5, x)
    for axis in (0, 1):
        for rev in (False, True):
            check_vmap(cum_fn(prim, axis, rev), [x], (in_axis,))
    check_vmap(cum_fn(prim, 0, False), [x.astype(np.int32)], (in_axis,))


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize(
    "s_shape,k_shape,in_axes",
    [
        ((6,), (4, 3), (None, 0)),  # batched keys only: more keys
        ((4, 6), (3,), (0, None)),  # batched sorted array
        ((4, 6), (4, 3), (0, 0)),
        ((6, 4), (3, 4), (1, 1)),  # batch axis last
        ((4, 6), (2, 4, 3), (0, 1)),  # multi-dimensional keys
        ((4, 6), (4,), (0, 0)),  # one scalar key per example
        ((4, 0), (4, 3), (0, 0)),  # empty sorted rows
        ((4, 6), (4, 0), (0, 0)),  # no keys
    ],
)
def test_vmap_searchsorted(side: str, s_shape: tuple[int, ...], k_shape: tuple[int, ...],
                           in_axes: tuple[int | None, ...]) -> None:
    # sorted along the non-batch axis
    s = np.sort(ties(s_shape, seed=1), axis=1 if in_axes[0] == 0 else 0)
    keys = ties(k_shape, seed=2)
    fn = lambda a, v: jnp.searchsorted(a, v, side=side)  # noqa: E731
    check_vmap(fn, [s, keys], in_axes)
    # NaNs (last in the sort order) become the largest integer
    as_int = lambda a: np.nan_to_num(a, nan=9).astype(np.int32)  # noqa: E731
    check_vmap(fn, [as_int(s), as_int(keys)], in_axes)


def test_vmap_searchsorted_matches_numpy_with_signed_zeros_and_infs() -> None:
    s = np.array([[-np.inf, -0.0, 0.0, 1.0, np.inf, np.nan], [-1.0, 0.0, 0.0, 0.0, 2.0, 2.0]])
    keys = np.array([[0.0, -0.0, np.inf, np.nan, -np.inf], [0.0, 2.0, 3.0, -2.0, np.nan]])
    for side in ("left", "right"):
        got = fl.vmap(lambda a, v: jnp.searchsorted(a, v, side=side))(jnp.asarray(s), jnp.asarray(keys))
        want = np.stack([np.searchsorted(a, v, side=side) for a, v in zip(s, keys)])
        np.testing.assert_array_equal(np.asarray(got), want)


# --- transforms composed ------------------------------------------------------------------------
def test_grad_of_sort_under_vmap() -> None:
    x = distinct((4, 5), seed=7)
    w = jnp.asarray(np.arange(5.0) ** 2)

    def f(a: Any) -> Any:
        return jnp.sum(jnp.sort(a) * w * a[0])

    for in_axis in (0, 1):
        xs = x if in_axis == 0 else x.T.copy()
        got = fl.vmap(fl.grad(f), in_axes=in_axis)(jnp.asarray(xs))
        want = np.stack([_np(fl.grad(f)(jnp.asarray(r))) for r in x])
        np.testing.assert_allclose(_np(got), want, rtol=1e-12)
        fd = np.stack([numerical_grad(f, [r]) for r in x])
        np.testing.assert_allclose(want, fd, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("prim", CUMS, ids=lambda p: p.name)
def test_grad_and_jvp_of_cumulative_under_vmap(prim: Any) -> None:
    x = distinct((3, 2, 4), seed=4, lo=0.5, hi=2.0)
    x[0, 1, 2] = 0.0
    ct = jnp.asarray(np.random.default_rng(0).normal(size=(2, 4)))

    def f(a: Any) -> Any:
        return jnp.sum(prim.bind(a, axis=1, reverse=False) * ct)

    for in_axis in (0, 2):
        xs = np.moveaxis(x, 0, in_axis).copy()
        got = fl.vmap(fl.grad(f), in_axes=in_axis)(jnp.asarray(xs))
        want = np.stack([_np(fl.grad(f)(jnp.asarray(r))) for r in x])
        np.testing.assert_allclose(_np(got), want, rtol=1e-12, atol=1e-14)
    v = np.random.default_rng(1).normal(size=x.shape)
    g = fl.vmap(lambda a, t: fl.jvp(f, (a,), (t,))[1])(jnp.asarray(x), jnp.asarray(v))
    want_t = np.array([_np(fl.jvp(f, (jnp.asarray(a),), (jnp.asarray(t),))[1]) for a, t in zip(x, v)])
    np.testing.assert_allclose(_np(g), want_t, rtol=1e-12, atol=1e-14)


def check_second_order(f: Callable[[Any], Any], x: Arr, seed: int = 0) -> None:
    """jvp of grad (a Hessian-vector product) and grad of the directional
    derivative against central differences of the gradient."""
    v = np.random.default_rng(seed).normal(size=x.shape)
    fd = numerical_jvp(fl.grad(f), [x], [v])
    _, hv = fl.jvp(fl.grad(f), (jnp.asarray(x),), (jnp.asarray(v),))
    np.testing.assert_allclose(_np(hv), fd, rtol=1e-5, atol=1e-6)
    hv2 = fl.grad(lambda a: fl.jvp(f, (a,), (jnp.asarray(v),))[1])(jnp.asarray(x))
    np.testing.assert_allclose(_np(hv2), fd, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("reverse", [False, True])
def test_second_order_cumsum(reverse: bool) -> None:
    x = distinct((3, 4), seed=3)
    check_second_order(lambda a: jnp.sum(jnp.sin(cum.cumsum_p.bind(a, axis=1, reverse=reverse)) ** 2), x)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("zeros", [(), ((0, 1),), ((0, 1), (0, 3)), ((1, 0), (1, 2), (2, 3))])
def test_second_order_cumprod(reverse: bool, zeros: tuple[tuple[int, int], ...]) -> None:
    x = distinct((3, 4), seed=5, lo=0.5, hi=1.5)
    for i in zeros:
        x[i] = 0.0
    w = jnp.asarray(np.random.default_rng(2).normal(size=(3, 4)))
    check_second_order(lambda a: jnp.sum(cum.cumprod_p.bind(a, axis=1, reverse=reverse) * w), x)
    check_second_order(lambda a: jnp.sum(jnp.sin(cum.cumprod_p.bind(a, axis=1, reverse=reverse))), x)


def test_hessian_of_cumprod_entries() -> None:
    # d^2 out_3 / dx_1 dx_3 = x0 * x2 for out = cumprod(x), also with zeros elsewhere
    x = jnp.asarray(np.array([2.0, 0.0, 3.0, 0.0]))
    h = _np(fl.hessian(lambda a: jnp.cumprod(a)[3])(x))
    want = np.array([[0, 0, 0, 0], [0, 0, 0, 6.0], [0, 0, 0, 0], [0, 6.0, 0, 0]])
    np.testing.assert_array_equal(h, want)


@pytest.mark.parametrize("prim", [cum.cummax_p, cum.cummin_p], ids=lambda p: p.name)
def test_second_order_cummax_and_sort(prim: Any) -> None:
    x = distinct((3, 5), seed=6)
    check_second_order(lambda a: jnp.sum(prim.bind(a, axis=1, reverse=False) ** 3), x)
    w = jnp.asarray(np.arange(5.0))
    check_second_order(lambda a: jnp.sum(jnp.sort(a, axis=1) ** 3 * w), x)


def test_hessian_under_vmap() -> None:
    x = distinct((2, 4), seed=8, lo=0.5, hi=1.5)
    x[0, 1] = 0.0

    def f(a: Any) -> Any:
        return jnp.sum(jnp.cumprod(jnp.sort(a)) * jnp.cumsum(a))

    got = fl.vmap(fl.hessian(f))(jnp.asarray(x))
    want = np.stack([_np(fl.hessian(f)(jnp.asarray(r))) for r in x])
    np.testing.assert_allclose(_np(got), want, rtol=1e-12, atol=1e-12)


def test_jit_of_grad() -> None:
    x = jnp.asarray(distinct((3, 4), seed=9, lo=0.5, hi=1.5))

    def f(a: Any) -> Any:
        return jnp.sum(jnp.cumprod(jnp.sort(a, axis=0), axis=1) + cum.cummax_p.bind(a, axis=1, reverse=True))

    np.testing.assert_allclose(_np(fl.jit(fl.grad(f))(x)), _np(fl.grad(f)(x)), rtol=1e-12)


def test_sort_derivatives_on_a_long_axis_under_vmap() -> None:
    x = np.random.default_rng(0).normal(size=(2, 3000))
    # d/dx_j sum_i sort(x)_i x_i = x[where sort put x_j] + sort(x)_j
    inv = np.argsort(np.argsort(x, axis=1), axis=1)
    want = np.take_along_axis(x, inv, axis=1) + np.sort(x, axis=1)
    got = fl.vmap(fl.grad(lambda a: jnp.sum(jnp.sort(a) * a)))(jnp.asarray(x))
    np.testing.assert_allclose(_np(got), want, rtol=1e-12)
