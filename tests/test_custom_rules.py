"""custom_jvp, custom_vjp and checkpoint, alone and under vmap/jit/grad."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import lax


def _np(x: Any) -> np.ndarray[Any, Any]:
    return np.asarray(x)


def f64(v: Any) -> Any:
    return jnp.asarray(np.asarray(v, np.float64))


# --- custom_jvp ---------------------------------------------------------------------------


@fl.custom_jvp
def log1pexp(x: Any) -> Any:
    return jnp.log1p(jnp.exp(x))


@log1pexp.defjvp
def _log1pexp_jvp(primals: Any, tangents: Any) -> Any:
    (x,), (t,) = primals, tangents
    return log1pexp(x), t * (1.0 - 1.0 / (1.0 + jnp.exp(x)))


def test_custom_jvp_is_used_by_forward_and_reverse_mode() -> None:
    x = f64([-2.0, 0.0, 100.0])
    want = 1.0 / (1.0 + np.exp(-np.asarray([-2.0, 0.0, 100.0])))
    y, t = fl.jvp(log1pexp, (x,), (f64(np.ones(3)),))
    np.testing.assert_allclose(_np(t), want, rtol=1e-12)
    # the naive derivative overflows at 100 (nan); the rule does not
    g = fl.grad(lambda v: jnp.sum(log1pexp(v)))(x)
    np.testing.assert_allclose(_np(g), want, rtol=1e-12)
    assert np.isfinite(_np(g)).all()


def test_custom_jvp_rule_replaces_the_true_derivative() -> None:
    @fl.custom_jvp
    def f(x: Any) -> Any:
        return jnp.sin(x)

    f.defjvp(lambda p, t: (jnp.sin(p[0]), 3.0 * t[0]))
    assert float(fl.grad(f)(0.7)) == 3.0
    assert float(fl.jvp(f, (0.7,), (2.0,))[1]) == 6.0
    assert float(f(0.7)) == pytest.approx(np.sin(0.7))
    np.testing.assert_allclose(_np(fl.jacfwd(f)(jnp.ones(2))), 3.0 * np.eye(2))
    np.testing.assert_allclose(_np(fl.jacrev(f)(jnp.ones(2))), 3.0 * np.eye(2))


def test_custom_jvp_two_arguments_and_second_order() -> None:
    @fl.custom_jvp
    def mul(x: Any, y: Any) -> Any:
        return x * y

    mul.defjvp(lambda p, t: (p[0] * p[1], t[0] * p[1] + p[0] * t[1]))
    gx, gy = fl.grad(mul, argnums=(0, 1))(2.0, 5.0)
    assert (float(gx), float(gy)) == (5.0, 2.0)
    # d2/dxdy (x*y) = 1 through the rule
    assert float(fl.grad(fl.grad(mul, argnums=0), argnums=1)(2.0, 5.0)) == 1.0


def test_custom_jvp_under_vmap_and_jit() -> None:
    xs = f64([-1.0, 0.5, 30.0])
    want = 1.0 / (1.0 + np.exp(-np.asarray([-1.0, 0.5, 30.0])))
    np.testing.assert_allclose(_np(fl.vmap(fl.grad(log1pexp))(xs)), want, rtol=1e-12)
    np.testing.assert_allclose(_np(fl.jit(fl.vmap(fl.grad(log1pexp)))(xs)), want, rtol=1e-12)
    np.testing.assert_allclose(_np(fl.vmap(log1pexp)(xs)), np.log1p(np.exp(np.asarray(xs))), rtol=1e-12)
    np.testing.assert_allclose(_np(fl.jit(log1pexp)(xs)), np.log1p(np.exp(np.asarray(xs))), rtol=1e-12)
    np.testing.assert_allclose(_np(fl.grad(lambda v: jnp.sum(fl.jit(log1pexp)(v)))(xs)), want, rtol=1e-12)


def test_custom_jvp_without_rule_raises() -> None:
    f = fl.custom_jvp(lambda x: x)
    with pytest.raises(AttributeError, match="defjvp"):
        f(1.0)


# --- custom_vjp ---------------------------------------------------------------------------


@fl.custom_vjp
def clip_gradient(x: Any) -> Any:
    return x


clip_gradient.defvjp(lambda x: (x, None), lambda res, g: (jnp.clip(g, -1.0, 1.0),))


def test_custom_vjp_is_used_in_reverse_mode() -> None:
    assert float(fl.grad(lambda x: 10.0 * clip_gradient(x))(3.0)) == 1.0
    assert float(fl.grad(lambda x: -10.0 * clip_gradient(x))(3.0)) == -1.0
    assert float(clip_gradient(3.0)) == 3.0


def test_custom_vjp_residuals_and_several_arguments() -> None:
    calls = []

    @fl.custom_vjp
    def f(x: Any, y: Any) -> Any:
        return jnp.sin(x) * y

    def fwd(x: Any, y: Any) -> Any:
        calls.append("fwd")
        return jnp.sin(x) * y, (jnp.cos(x), jnp.sin(x), y)

    def bwd(res: Any, g: Any) -> Any:
        cos_x, sin_x, y = res
        return (g * cos_x * y, g * sin_x)

    f.defvjp(fwd, bwd)
    gx, gy = fl.grad(f, argnums=(0, 1))(0.3, 2.0)
    assert float(gx) == pytest.approx(np.cos(0.3) * 2.0)
    assert float(gy) == pytest.approx(np.sin(0.3))
    assert calls == ["fwd"]
    # None for a non-differentiated argument
    f2 = fl.custom_vjp(lambda x, n: x * n)
    f2.defvjp(lambda x, n: (x * n, n), lambda n, g: (g * n, None))
    assert float(fl.grad(f2)(1.5, 4.0)) == 4.0


def test_custom_vjp_pytree_output() -> None:
    @fl.custom_vjp
    def both(x: Any) -> Any:
        return {"s": jnp.sin(x), "c": jnp.cos(x)}

    both.defvjp(lambda x: (both.fun(x), x), lambda x, g: (g["s"] * jnp.cos(x) - g["c"] * jnp.sin(x),))
    g = fl.grad(lambda x: both(x)["s"] + 2.0 * both(x)["c"])(0.4)
    assert float(g) == pytest.approx(np.cos(0.4) - 2.0 * np.sin(0.4))


def test_custom_vjp_under_vmap_and_jit() -> None:
    xs = jnp.asarray([0.5, 3.0, -4.0])
    f = lambda x: 5.0 * clip_gradient(x)  # noqa: E731
    assert _np(fl.vmap(fl.grad(f))(xs)).tolist() == [1.0, 1.0, 1.0]
    assert _np(fl.jit(fl.vmap(fl.grad(f)))(xs)).tolist() == [1.0, 1.0, 1.0]
    assert _np(fl.jit(fl.grad(f))(2.0)).tolist() == 1.0
    assert _np(fl.vmap(clip_gradient)(xs)).tolist() == [0.5, 3.0, -4.0]
    # per-example cotangents that differ: clipping applies per example
    g = fl.vmap(fl.grad(lambda x, w: w * clip_gradient(x)))(xs, jnp.asarray([0.5, 3.0, -4.0]))
    assert _np(g).tolist() == [0.5, 1.0, -1.0]
    # grad of a jitted custom_vjp function
    assert float(fl.grad(fl.jit(f))(1.0)) == 1.0


def test_jvp_of_custom_vjp_raises() -> None:
    with pytest.raises(TypeError, match="custom_vjp"):
        fl.jvp(clip_gradient, (1.0,), (1.0,))
    with pytest.raises(TypeError, match="custom_vjp"):
        fl.jacfwd(clip_gradient)(jnp.ones(2))


def test_custom_vjp_bwd_must_return_a_tuple() -> None:
    f = fl.custom_vjp(lambda x: x)
    f.defvjp(lambda x: (x, None), lambda res, g: g)
    with pytest.raises(TypeError, match="tuple"):
        fl.grad(f)(1.0)


def test_custom_vjp_without_rule_raises() -> None:
    f = fl.custom_vjp(lambda x: x)
    with pytest.raises(AttributeError, match="defvjp"):
        f(1.0)


# --- checkpoint -----------------------------------------------------------------------------


def _mlp(params: Any, x: Any) -> Any:
    for w, b in params:
        x = jnp.tanh(x @ w + b)
    return jnp.sum(x * x)


def _params(seed: int = 0) -> list[tuple[Any, Any]]:
    rng = np.random.default_rng(seed)
    return [(jnp.asarray(rng.standard_normal((3, 4))), jnp.asarray(rng.standard_normal(4))),
            (jnp.asarray(rng.standard_normal((4, 2))), jnp.asarray(rng.standard_normal(2)))]


def test_checkpoint_gives_the_same_gradients() -> None:
    params = _params()
    x = jnp.asarray(np.random.default_rng(1).standard_normal((5, 3)))
    g_plain = fl.grad(_mlp)(params, x)
    g_ckpt = fl.grad(fl.checkpoint(_mlp))(params, x)
    for a, b in zip(fl.tree.leaves(g_plain), fl.tree.leaves(g_ckpt)):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-12, atol=1e-12)
    assert float(fl.checkpoint(_mlp)(params, x)) == pytest.approx(float(_mlp(params, x)))


def test_checkpoint_per_layer_second_order_jvp_and_vmap() -> None:
    layer = fl.checkpoint(lambda x: jnp.sin(jnp.sin(x)))
    f = lambda x: jnp.sum(layer(layer(x)))  # noqa: E731
    g = lambda x: jnp.sum(jnp.sin(jnp.sin(jnp.sin(jnp.sin(x)))))  # noqa: E731
    x = jnp.asarray([0.1, 0.7, -1.3])
    np.testing.assert_allclose(_np(fl.grad(f)(x)), _np(fl.grad(g)(x)), rtol=1e-12)
    np.testing.assert_allclose(_np(fl.hessian(f)(x)), _np(fl.hessian(g)(x)), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_np(fl.jvp(f, (x,), (jnp.ones(3),))[1]), _np(fl.jvp(g, (x,), (jnp.ones(3),))[1]),
                               rtol=1e-12)
    xs = jnp.stack([x, 2.0 * x])
    np.testing.assert_allclose(_np(fl.vmap(fl.grad(f))(xs)), _np(fl.vmap(fl.grad(g))(xs)), rtol=1e-12)
    np.testing.assert_allclose(_np(fl.jit(fl.grad(f))(x)), _np(fl.grad(g)(x)), rtol=1e-12)
    assert fl.remat is fl.checkpoint


def test_checkpoint_inside_scan() -> None:
    step = fl.checkpoint(lambda c, x: (jnp.tanh(c * x + 0.1), c))

    def loss(c0: Any, xs: Any) -> Any:
        c, _ = lax.scan(step, c0, xs)
        return c

    def plain(c0: Any, xs: Any) -> Any:
        c, _ = lax.scan(lambda c, x: (jnp.tanh(c * x + 0.1), c), c0, xs)
        return c

    xs = jnp.asarray([0.5, -1.0, 2.0])
    assert float(fl.grad(loss)(0.3, xs)) == pytest.approx(float(fl.grad(plain)(0.3, xs)), rel=1e-12)
