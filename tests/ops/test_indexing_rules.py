"""Differentiation (jvp/vjp) and batching (vmap) rules of gather and scatter.

Gradients are checked against central finite differences in float64 (with
repeated indices throughout), forward mode against directional differences,
vmap against a Python loop over the examples (batched operand, indices,
updates, and every combination), per-example gradients under vmap, and
second derivatives.  The drawn-input sweeps over every registry entry live
in tests/transforms/test_grad_registry.py and tests/transforms/test_vmap_registry.py.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite.ops.indexing import gather_p, scatter_p
from tests._gradcheck import numerical_grad, numerical_jacobian, numerical_jvp

Arr = np.ndarray[Any, Any]
RNG = np.random.default_rng(0)


def _a(x: Any) -> Any:
    return jnp.asarray(np.asarray(x))


def weighted(fn: Callable[..., Any], out_shape: tuple[int, ...]) -> Callable[..., Any]:
    """``sum(fn(*args) * w)`` for a fixed random ``w`` (no symmetric cancellation)."""
    w = _a(RNG.standard_normal(out_shape))
    return lambda *args: jnp.sum(fn(*args) * w)


def check_grads(fn: Callable[..., Any], args: list[Arr], argnums: tuple[int, ...]) -> None:
    """Reverse mode against finite differences for each argnum, and forward
    mode against a directional difference."""
    out_shape = np.asarray(fn(*[_a(a) for a in args])).shape
    loss = weighted(fn, out_shape)
    for argnum in argnums:
        got = np.asarray(fl.grad(loss, argnums=argnum)(*[_a(a) for a in args]))
        want = numerical_grad(loss, args, argnum)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7, err_msg=f"grad wrt argument {argnum}")
        v = RNG.standard_normal(np.shape(args[argnum]))

        def along(x: Any, argnum: int = argnum) -> Any:
            return fn(*[x if j == argnum else _a(a) for j, a in enumerate(args)])

        x0 = np.asarray(args[argnum], np.float64)
        _, t = fl.jvp(along, (_a(x0),), (_a(v),))
        fd = numerical_jvp(along, [x0], [v])
        np.testing.assert_allclose(np.asarray(t), fd, rtol=1e-6, atol=1e-7, err_msg=f"jvp along argument {argnum}")


def distinct(shape: tuple[int, ...], lo: float = -3.0, hi: float = 3.0) -> Arr:
    """Random values pairwise at least 1e-3 apart (no ties for min/max)."""
    n = int(np.prod(shape))
    vals = RNG.permutation(np.linspace(lo, hi, max(n, 1)))[:n]
    return vals.reshape(shape) + RNG.uniform(0, 1e-4, shape)


REPEATED = np.array([1, 3, 1, 0, 3, 1])  # position 1 three times, 3 twice, 2 never


# --- gradients of the user-level ops ---------------------------------------------------


def test_getitem_grads() -> None:
    x = distinct((4, 3))
    check_grads(lambda x: x[REPEATED], [x], (0,))
    check_grads(lambda x: x[REPEATED[:4], np.array([2, 0, 2, 2])], [x], (0,))
    check_grads(lambda x: x[1:, np.array([[0, 2], [2, 2]])], [x], (0,))
    check_grads(lambda x: x[np.array([-1, -1, 0])], [x], (0,))


def test_getitem_grad_accumulates_repeats() -> None:
    g = fl.grad(lambda x: jnp.sum(x[REPEATED]))(jnp.zeros(5, dtype="float64"))
    assert np.asarray(g).tolist() == [1.0, 3.0, 0.0, 2.0, 0.0]


@pytest.mark.parametrize("mode", ["add", "set", "multiply", "min", "max"])
def test_at_update_grads(mode: str) -> None:
    x = distinct((5, 2))
    u = distinct((6, 2), -2.9, 2.9) if mode in ("min", "max") else RNG.uniform(-2, 2, (6, 2))

    def f(x: Any, u: Any) -> Any:
        return getattr(x.at[REPEATED], mode)(u)

    check_grads(f, [x, u], (0, 1))
    # a scalar value broadcast over the indexed rows, and a partial slice
    check_grads(lambda x, v: getattr(x.at[REPEATED, 1:], mode)(v), [x, np.array(0.7)], (0, 1))


def test_scatter_set_gives_the_cotangent_to_the_last_write_only() -> None:
    x = jnp.zeros(4, dtype="float64")
    u = jnp.asarray(np.array([1.0, 2.0, 3.0, 4.0]))
    idx = np.array([2, 0, 2, 2])
    w = jnp.asarray(np.array([10.0, 20.0, 30.0, 40.0]))
    gx, gu = fl.grad(lambda x, u: jnp.sum(x.at[idx].set(u) * w), argnums=(0, 1))(x, u)
    assert np.asarray(gu).tolist() == [0.0, 10.0, 0.0, 30.0]  # the write of u[3] wins position 2
    assert np.asarray(gx).tolist() == [0.0, 20.0, 0.0, 40.0]
    # forward mode agrees: only the winner's tangent shows
    _, t = fl.jvp(lambda u: x.at[idx].set(u), (u,), (jnp.asarray(np.array([1.0, 1.0, 1.0, 5.0])),))
    assert np.asarray(t).tolist() == [1.0, 0.0, 5.0, 0.0]


def test_scatter_mul_with_zero_updates() -> None:
    """The product is smooth in the updates: finite differences are exact
    references also where updates are zero (one zero, two zeros)."""
    x = RNG.uniform(0.5, 2.0, (5, 2))
    u = RNG.uniform(-2, 2, (6, 2))
    u[0, 0] = 0.0  # position 1: one zero among three updates
    u[1, 1] = 0.0  # position 3: two zeros (both updates)
    u[4, 1] = 0.0
    check_grads(lambda x, u: x.at[REPEATED].multiply(u), [x, u], (0, 1))
    x[1, 0] = 0.0  # a zero operand too
    check_grads(lambda x, u: x.at[REPEATED].multiply(u), [x, u], (0, 1))


@pytest.mark.parametrize("mode", ["min", "max"])
def test_scatter_extremes_share_ties(mode: str) -> None:
    x = jnp.asarray(np.array([1.0, 5.0, 2.0]))
    u = jnp.asarray(np.array([1.0, 1.0, 7.0]))  # position 0: x and two updates tie at 1
    idx = np.array([0, 0, 1])
    gx, gu = fl.grad(lambda x, u: jnp.sum(getattr(x.at[idx], mode)(u)), argnums=(0, 1))(x, u)
    if mode == "min":
        np.testing.assert_allclose(np.asarray(gx), [1 / 3, 1.0, 1.0])
        np.testing.assert_allclose(np.asarray(gu), [1 / 3, 1 / 3, 0.0])
    else:
        np.testing.assert_allclose(np.asarray(gx), [1 / 3, 0.0, 1.0])
        np.testing.assert_allclose(np.asarray(gu), [1 / 3, 1 / 3, 1.0])
    # the weights of every position sum to one, also with NaN (NaN attains NaN)
    xn = jnp.asarray(np.array([np.nan, 5.0]))
    un = jnp.asarray(np.array([3.0, np.nan]))
    gx, gu = fl.grad(lambda x, u: jnp.sum(getattr(x.at[np.array([0, 1])], mode)(u)), argnums=(0, 1))(xn, un)
    assert np.asarray(gx).tolist() == [1.0, 0.0] and np.asarray(gu).tolist() == [0.0, 1.0]


def test_take_and_along_axis_grads() -> None:
    x = distinct((3, 4))
    check_grads(lambda x: jnp.take(x, np.array([3, 0, 3, -1]), axis=1), [x], (0,))
    check_grads(lambda x: jnp.take(x, np.array([[5, 11], [5, 0]])), [x], (0,))
    check_grads(lambda x: jnp.take(x, np.array([7, -2, 1]), axis=1, mode="clip"), [x], (0,))
    idx = np.array([[0, 0, 3], [2, 1, 2], [1, 1, 1]])
    check_grads(lambda x: jnp.take_along_axis(x, idx, axis=1), [x], (0,))
    check_grads(lambda x: jnp.take_along_axis(x, np.array([[0, 2, 2, 1], [2, 2, 0, 0]]), axis=0), [x], (0,))
    check_grads(lambda x, v: jnp.put_along_axis(x, idx, v, axis=1, mode="add"), [x, RNG.uniform(-1, 1, (3, 3))],
                (0, 1))


def test_integer_operands_have_zero_cotangents() -> None:
    """An integer operand reached from a float input gets zeros (no crash)."""
    def f(x: Any) -> Any:
        xi = x.astype("int32")
        y = xi[np.array([0, 0])].at[np.array([1, 1])].max(jnp.array([3, 4], dtype="int32"))
        return jnp.sum(y.astype("float64")) + jnp.sum(x)

    assert np.asarray(fl.grad(f)(jnp.asarray(np.array([1.5, 2.5])))).tolist() == [1.0, 1.0]


# --- second order ---------------------------------------------------------------------------


def test_gather_second_order() -> None:
    x = distinct((5,))
    idx = REPEATED[:, None]
    w = RNG.standard_normal(6)

    def f(x: Any) -> Any:
        return jnp.sum(jnp.sin(gather_p.bind(x, _a(idx))) ** 3 * _a(w))

    h = np.asarray(fl.hessian(f)(_a(x)))
    g = fl.grad(f)
    fd = numerical_jacobian(g, x)
    np.testing.assert_allclose(h, fd, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h, h.T, rtol=1e-10, atol=1e-12)
    # forward-over-reverse and reverse-over-reverse agree
    np.testing.assert_allclose(np.asarray(fl.jacrev(g)(_a(x))), h, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", ["add", "set", "mul", "min", "max"])
def test_scatter_second_order(mode: str) -> None:
    x = distinct((5,), 0.5, 2.5)
    u = distinct((6,), 0.6, 2.4)
    idx = _a(REPEATED[:, None])
    w = _a(RNG.standard_normal(5))

    def f(x: Any, u: Any) -> Any:
        return jnp.sum(scatter_p.bind(x * x, idx, u * u * u, mode=mode) ** 2 * w)

    for argnum, val in ((0, x), (1, u)):
        g = fl.grad(f, argnums=argnum)
        h = np.asarray(fl.hessian(f, argnums=argnum)(_a(x), _a(u)))

        def gp(v: Arr, argnum: int = argnum, g: Any = g) -> Arr:
            return np.asarray(g(_a(v), _a(u)) if argnum == 0 else g(_a(x), _a(v)))

        fd = numerical_jacobian(gp, val, wrap=None)
        np.testing.assert_allclose(h, fd, rtol=1e-5, atol=1e-5, err_msg=f"{mode}: hessian wrt {argnum}")


# --- vmap against a Python loop ---------------------------------------------------------------


def stack_on(xs: list[Arr], axis: int | None) -> Arr:
    return xs[0] if axis is None else np.stack(xs, axis=axis)


def check_vmap(fn: Callable[..., Any], examples: list[list[Arr]], in_axes: tuple[int | None, ...]) -> None:
    """vmap(fn) over the examples stacked on ``in_axes`` equals a loop of fn
    (an argument with axis None is shared: examples must agree on it)."""
    want = np.stack([np.asarray(fn(*[_a(a) for a in ex])) for ex in examples])
    args = [_a(stack_on([ex[i] for ex in examples], ax)) for i, ax in enumerate(in_axes)]
    got = np.asarray(fl.vmap(fn, in_axes=in_axes)(*args))
    np.testing.assert_array_equal(got, want, err_msg=f"in_axes={in_axes}")


def _gather_examples(n: int, shared: tuple[bool, bool], k: int = 1,
                     idx_dtype: str = "int64") -> list[list[Arr]]:
    x0 = RNG.standard_normal((4, 3, 2))
    i0 = RNG.integers(0, 3, (5, 2, k)).astype(idx_dtype)
    out = []
    for _ in range(n):
        x = x0 if shared[0] else RNG.standard_normal((4, 3, 2))
        i = i0 if shared[1] else RNG.integers(0, 3, (5, 2, k)).astype(idx_dtype)
        out.append([x, i])
    return out


@pytest.mark.parametrize("k", [0, 1, 2])
@pytest.mark.parametrize("axes", [(0, None), (2, None), (None, 0), (None, -1), (0, 0), (-1, 1), (1, 2)])
def test_gather_vmap(axes: tuple[int | None, int | None], k: int) -> None:
    ex = _gather_examples(3, (axes[0] is None, axes[1] is None), k)
    check_vmap(lambda x, i: gather_p.bind(x, i), ex, axes)


def test_gather_vmap_batch_larger_than_index_dtype() -> None:
    """130 examples with int8 indices: the iota column needs a wider dtype."""
    ex = _gather_examples(130, (False, False), 2, "int8")
    check_vmap(lambda x, i: gather_p.bind(x, i), ex, (0, 0))
    ex = _scatter_examples(130, (False, False, False), "add", "int8")
    check_vmap(lambda x, i, u: scatter_p.bind(x, i, u, mode="add"), ex, (0, 0, 0))


def _scatter_examples(n: int, shared: tuple[bool, bool, bool], mode: str,
                      idx_dtype: str = "int64") -> list[list[Arr]]:
    x0 = RNG.standard_normal((4, 3))
    i0 = RNG.integers(0, 4, (2, 3, 1)).astype(idx_dtype)  # 6 writes into 4 rows: repeats
    u0 = RNG.standard_normal((2, 3, 3))
    out = []
    for _ in range(n):
        out.append([
            x0 if shared[0] else RNG.standard_normal((4, 3)),
            i0 if shared[1] else RNG.integers(0, 4, (2, 3, 1)).astype(idx_dtype),
            u0 if shared[2] else RNG.standard_normal((2, 3, 3)),
        ])
    return out


SCATTER_AXES = [a for a in itertools.product([None, 0, -1], repeat=3) if a != (None, None, None)]


@pytest.mark.parametrize("mode", ["set", "add", "mul", "min", "max"])
def test_scatter_vmap(mode: str) -> None:
    for axes in SCATTER_AXES:
        ex = _scatter_examples(3, tuple(a is None for a in axes), mode)  # type: ignore[arg-type]
        check_vmap(lambda x, i, u: scatter_p.bind(x, i, u, mode=mode), ex, axes)


def test_scatter_vmap_k2_and_nested() -> None:
    x = RNG.standard_normal((2, 3, 4, 4, 5))
    idx = RNG.integers(0, 4, (2, 3, 6, 2))
    u = RNG.standard_normal((2, 3, 6, 5))
    f = fl.vmap(fl.vmap(lambda x, i, u: scatter_p.bind(x, i, u, mode="set")), in_axes=(1, 1, 1))
    got = np.asarray(f(_a(np.swapaxes(x, 0, 1)), _a(np.swapaxes(idx, 0, 1)), _a(np.swapaxes(u, 0, 1))))
    want = np.empty((2, 3, 4, 4, 5))
    for b, a in np.ndindex(2, 3):
        want[b, a] = np.asarray(scatter_p.bind(_a(x[b, a]), _a(idx[b, a]), _a(u[b, a]), mode="set"))
    np.testing.assert_array_equal(got, want)
    g = fl.vmap(fl.vmap(lambda x, i: gather_p.bind(x, i), in_axes=(None, 0)), in_axes=(0, None))
    got = np.asarray(g(_a(x[:, 0]), _a(idx[0])))
    want = np.stack([[np.asarray(gather_p.bind(_a(x[b, 0]), _a(i))) for i in idx[0]] for b in range(2)])
    np.testing.assert_array_equal(got, want)


def test_user_ops_under_vmap() -> None:
    xs = RNG.standard_normal((3, 5, 2))
    ids = RNG.integers(-5, 5, (3, 4))
    us = RNG.standard_normal((3, 4, 2))
    check_vmap(lambda x, i: x[i], [[xs[b], ids[b]] for b in range(3)], (0, 0))
    check_vmap(lambda x, i, u: x.at[i].add(u), [[xs[b], ids[b], us[b]] for b in range(3)], (0, 0, 0))
    check_vmap(lambda x, u: x.at[REPEATED[:4]].set(u), [[xs[b], us[b]] for b in range(3)], (0, 0))
    check_vmap(lambda x, i: jnp.take_along_axis(x, i, axis=0),
               [[xs[b], np.abs(ids[b][:, None]) % 5] for b in range(3)], (0, 0))


# --- gradients under vmap (per-example) -------------------------------------------------------


@pytest.mark.parametrize("mode", ["gather", "set", "add", "mul", "min", "max"])
def test_per_example_grads(mode: str) -> None:
    n = 3
    xs = distinct((n, 5, 2))
    us = distinct((n, 6, 2), -2.9, 2.9)
    idx_b = RNG.integers(0, 5, (n, 6, 1))
    w = _a(RNG.standard_normal((5, 2)))

    def loss(x: Any, i: Any, u: Any) -> Any:
        if mode == "gather":
            return jnp.sum(jnp.sin(gather_p.bind(x, i)) * u)
        return jnp.sum(jnp.sin(scatter_p.bind(x, i, u, mode=mode)) * w)

    for argnum in (0, 2):
        g = fl.grad(loss, argnums=argnum)
        for shared_idx in (True, False):
            ids = np.broadcast_to(idx_b[0], idx_b.shape) if shared_idx else idx_b
            want = np.stack([np.asarray(g(_a(xs[b]), _a(ids[b]), _a(us[b]))) for b in range(n)])
            in_axes = (0, None if shared_idx else 0, 0)
            got = np.asarray(fl.vmap(g, in_axes=in_axes)(_a(xs), _a(ids[0] if shared_idx else ids), _a(us)))
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12,
                                       err_msg=f"{mode}: argnum {argnum}, shared indices {shared_idx}")


def test_jit_of_grad_matches_eager() -> None:
    x = _a(distinct((5, 2)))
    u = _a(distinct((6, 2)))

    def loss(x: Any, u: Any) -> Any:
        return jnp.sum(jnp.sin(x.at[REPEATED].set(u))) + jnp.sum(jnp.cos(x[REPEATED]) * u)

    g = fl.grad(loss, argnums=(0, 1))
    for a, b in zip(fl.jit(g)(x, u), g(x, u)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12, atol=1e-12)


# --- sort's rules now run on gather/scatter ---------------------------------------------------


def test_sort_uses_gather_rules_under_vmap_and_second_order() -> None:
    xs = distinct((3, 4, 5))
    w = _a(RNG.standard_normal((4, 5)))

    def loss(x: Any) -> Any:
        return jnp.sum(jnp.sort(x, axis=-1) ** 3 * w)

    g = fl.grad(loss)
    want = np.stack([np.asarray(g(_a(x))) for x in xs])
    np.testing.assert_allclose(np.asarray(fl.vmap(g)(_a(xs))), want, rtol=1e-12, atol=1e-12)
    x0 = xs[0].reshape(-1)[:6].reshape(2, 3)
    w2 = _a(RNG.standard_normal((2, 3)))

    def loss2(x: Any) -> Any:
        return jnp.sum(jnp.sort(x, axis=0) ** 3 * w2)

    h = np.asarray(fl.hessian(loss2)(_a(x0))).reshape(6, 6)
    g2 = fl.grad(loss2)
    fd = numerical_jacobian(g2, x0).reshape(6, 6)
    np.testing.assert_allclose(h, fd, rtol=1e-5, atol=1e-5)


# --- x.at[idx].divide ---------------------------------------------------------------------------


def test_at_divide_integer_raises_and_float_divides() -> None:
    x = jnp.arange(4)
    with pytest.raises(TypeError, match=r"x\.at\[idx\]\.set\(x\[idx\] // v\)"):
        x.at[1].divide(2)
    with pytest.raises(TypeError, match="float"):
        jnp.array([True, False]).at[0].divide(True)
    y = jnp.arange(4.0).at[np.array([1, 1])].divide(2.0)
    np.testing.assert_allclose(np.asarray(y), [0.0, 0.25, 2.0, 3.0])
