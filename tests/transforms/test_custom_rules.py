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


# --- the JAX "Custom derivative rules" tutorial, cell by cell ---------------------------------
# Expected values are those JAX prints in the tutorial (float32, shortest repr), so the
# tolerance is float32's; the same code runs here with only the import changed.


def _close(got: Any, want: Any) -> None:
    np.testing.assert_allclose(_np(got), np.asarray(want, np.float64), rtol=2e-6, atol=1e-7)


def test_tutorial_tldr_custom_jvp_and_custom_vjp() -> None:
    @fl.custom_jvp
    def f(x: Any, y: Any) -> Any:
        return jnp.sin(x) * y

    @f.defjvp
    def f_jvp(primals: Any, tangents: Any) -> Any:
        x, y = primals
        x_dot, y_dot = tangents
        return f(x, y), jnp.cos(x) * x_dot * y + jnp.sin(x) * y_dot

    _close(f(2.0, 3.0), 2.7278922)
    y, y_dot = fl.jvp(f, (2.0, 3.0), (1.0, 0.0))
    _close(y, 2.7278922)
    _close(y_dot, -1.2484405)
    _close(fl.grad(f)(2.0, 3.0), -1.2484405)

    @fl.custom_vjp
    def g(x: Any, y: Any) -> Any:
        return jnp.sin(x) * y

    g.defvjp(lambda x, y: (g(x, y), (jnp.cos(x), jnp.sin(x), y)),
             lambda res, gr: (res[0] * gr * res[2], res[1] * gr))
    _close(fl.grad(g)(2.0, 3.0), -1.2484405)


def test_tutorial_defjvps() -> None:
    @fl.custom_jvp
    def f(x: Any, y: Any) -> Any:
        return jnp.sin(x) * y

    f.defjvps(lambda x_dot, primal_out, x, y: jnp.cos(x) * x_dot * y,
              lambda y_dot, primal_out, x, y: jnp.sin(x) * y_dot)
    _close(f(2.0, 3.0), 2.7278922)
    _close(fl.grad(f)(2.0, 3.0), -1.2484405)
    _close(fl.grad(f, 1)(2.0, 3.0), 0.9092974)
    v, g = fl.value_and_grad(f)(jnp.float32(1.0), jnp.float32(2.0))
    assert (round(float(v), 2), round(float(g), 2)) == (1.68, 1.08)
    _close(fl.jvp(f, (2.0, 3.0), (1.0, 1.0))[1], -1.2484405 + 0.9092974)
    # None: that argument does not change the output
    h = fl.custom_jvp(lambda x, y: x * 2.0)
    h.defjvps(lambda x_dot, out, x, y: 2.0 * x_dot, None)
    assert float(fl.grad(h, 1)(1.0, 5.0)) == 0.0 and float(fl.grad(h)(1.0, 5.0)) == 2.0
    with pytest.raises(TypeError, match="nondiff_argnums"):
        fl.custom_jvp(lambda f, x: f(x), nondiff_argnums=(0,)).defjvps(None)


@pytest.mark.filterwarnings("ignore:overflow encountered in exp")  # exp(100.) in float32, as in JAX
def test_tutorial_numerical_stability_log1pexp() -> None:
    @fl.custom_jvp
    def log1pexp(x: Any) -> Any:
        return jnp.log(1.0 + jnp.exp(x))

    @log1pexp.defjvp
    def log1pexp_jvp(primals: Any, tangents: Any) -> Any:
        (x,), (x_dot,) = primals, tangents
        return log1pexp(x), (1 - 1 / (1 + jnp.exp(x))) * x_dot

    assert float(fl.grad(log1pexp)(100.0)) == 1.0
    _close(fl.jit(log1pexp)(3.0), 3.0485873)
    _close(fl.jit(fl.grad(log1pexp))(3.0), 0.95257413)
    _close(fl.vmap(fl.jit(fl.grad(log1pexp)))(jnp.arange(3.0)), [0.5, 0.7310586, 0.8807971])
    # the rule survives a vmap inside the grad: the naive derivative is nan at 100
    g = fl.grad(lambda xs: jnp.sum(fl.vmap(log1pexp)(xs)))(jnp.asarray([0.0, 100.0]))
    _close(g, [0.5, 1.0])


def test_tutorial_differentiation_convention() -> None:
    @fl.custom_jvp
    def f(x: Any) -> Any:
        return x / (1 + jnp.sqrt(x))

    @f.defjvp
    def f_jvp(primals: Any, tangents: Any) -> Any:
        (x,), (x_dot,) = primals, tangents
        return f(x), ((jnp.sqrt(x) + 2) / (2 * (jnp.sqrt(x) + 1) ** 2)) * x_dot

    assert float(fl.grad(f)(0.0)) == 1.0


def _fixed_point_fns() -> Any:
    from functools import partial

    @partial(fl.custom_vjp, nondiff_argnums=(0,))
    def fixed_point(f: Any, a: Any, x_guess: Any) -> Any:
        def cond_fun(carry: Any) -> Any:
            x_prev, x = carry
            return jnp.abs(x_prev - x) > 1e-6

        def body_fun(carry: Any) -> Any:
            _, x = carry
            return x, f(a, x)

        _, x_star = lax.while_loop(cond_fun, body_fun, (x_guess, f(a, x_guess)))
        return x_star

    def fixed_point_fwd(f: Any, a: Any, x_init: Any) -> Any:
        x_star = fixed_point(f, a, x_init)
        return x_star, (a, x_star)

    def fixed_point_rev(f: Any, res: Any, x_star_bar: Any) -> Any:
        a, x_star = res
        _, vjp_a = fl.vjp(lambda a: f(a, x_star), a)
        (a_bar,) = vjp_a(fixed_point(partial(rev_iter, f), (a, x_star, x_star_bar), x_star_bar))
        return a_bar, jnp.zeros_like(x_star)

    def rev_iter(f: Any, packed: Any, u: Any) -> Any:
        a, x_star, x_star_bar = packed
        _, vjp_x = fl.vjp(lambda x: f(a, x), x_star)
        return x_star_bar + vjp_x(u)[0]

    fixed_point.defvjp(fixed_point_fwd, fixed_point_rev)

    def newton_sqrt(a: Any) -> Any:
        return fixed_point(lambda a, x: 0.5 * (x + a / x), a, a)

    return newton_sqrt


def test_tutorial_implicit_differentiation_fixed_point() -> None:
    newton_sqrt = _fixed_point_fns()
    _close(newton_sqrt(2.0), 1.4142135)
    _close(fl.jit(fl.vmap(newton_sqrt))(jnp.asarray([1.0, 2.0, 3.0, 4.0])), [1.0, 1.4142135, 1.7320508, 2.0])
    np.testing.assert_allclose(float(fl.grad(newton_sqrt)(2.0)), 0.35355335, rtol=1e-5)
    np.testing.assert_allclose(float(fl.grad(fl.grad(newton_sqrt))(2.0)), -0.088388346, rtol=1e-4)


def test_tutorial_basic_custom_jvp_and_call_counts() -> None:
    calls: list[str] = []

    @fl.custom_jvp
    def f(x: Any) -> Any:
        calls.append("f")
        return jnp.sin(x)

    @f.defjvp
    def f_jvp(primals: Any, tangents: Any) -> Any:
        calls.append("f_jvp")
        (x,), (t,) = primals, tangents
        return f(x), jnp.cos(x) * t

    def run(thunk: Any) -> tuple[Any, list[str]]:
        calls.clear()
        out = thunk()
        return out, list(calls)

    out, seen = run(lambda: f(3.0))
    _close(out, 0.14112)
    assert seen == ["f"]
    out, seen = run(lambda: fl.vmap(f)(jnp.arange(3.0)))
    _close(out, [0.0, 0.841471, 0.9092974])
    assert seen == ["f"]
    out, seen = run(lambda: fl.jit(f)(3.0))
    _close(out, 0.14112)
    assert seen == ["f"]
    (y, y_dot), seen = run(lambda: fl.jvp(f, (3.0,), (1.0,)))
    _close(y, 0.14112)
    _close(y_dot, -0.9899925)
    assert seen == ["f_jvp", "f"]
    # reverse mode transposes the rule: it runs once, and f only where the rule calls it
    out, seen = run(lambda: fl.grad(f)(3.0))
    _close(out, -0.9899925)
    assert seen == ["f_jvp", "f"]
    out, seen = run(lambda: fl.grad(fl.grad(f))(3.0))
    _close(out, -0.14112)
    assert seen == ["f_jvp", "f_jvp", "f"]


def test_tutorial_custom_jvp_multiple_arguments_and_python_control_flow() -> None:
    @fl.custom_jvp
    def f(x: Any, y: Any) -> Any:
        return x**2 * y

    f.defjvp(lambda p, t: (f(*p), 2 * p[0] * p[1] * t[0] + p[0] ** 2 * t[1]))
    assert float(fl.grad(f)(2.0, 3.0)) == 12.0

    @fl.custom_jvp
    def g(x: Any) -> Any:
        if x > 0:
            return jnp.sin(x)
        return jnp.cos(x)

    @g.defjvp
    def g_jvp(primals: Any, tangents: Any) -> Any:
        (x,), (x_dot,) = primals, tangents
        ans = g(x)
        if x > 0:
            return ans, 2 * x_dot
        return ans, 3 * x_dot

    assert float(fl.grad(g)(1.0)) == 2.0
    assert float(fl.grad(g)(-1.0)) == 3.0


def test_tutorial_custom_vjp_call_counts_and_no_forward_mode() -> None:
    calls: list[str] = []

    @fl.custom_vjp
    def f(x: Any) -> Any:
        calls.append("f")
        return jnp.sin(x)

    def f_fwd(x: Any) -> Any:
        calls.append("f_fwd")
        return f(x), jnp.cos(x)

    def f_bwd(cos_x: Any, y_bar: Any) -> Any:
        calls.append("f_bwd")
        return (cos_x * y_bar,)

    f.defvjp(f_fwd, f_bwd)
    _close(f(3.0), 0.14112)
    assert calls == ["f"]
    calls.clear()
    _close(fl.grad(f)(3.0), -0.9899925)
    assert calls == ["f_fwd", "f", "f_bwd"]
    calls.clear()
    y, f_vjp = fl.vjp(f, 3.0)
    _close(y, 0.14112)
    assert calls == ["f_fwd", "f"]
    calls.clear()
    (g,) = f_vjp(1.0)
    _close(g, -0.9899925)
    assert calls == ["f_bwd"]
    with pytest.raises(TypeError, match="custom_vjp"):
        fl.jvp(f, (3.0,), (1.0,))


def test_tutorial_pytree_arguments_and_outputs() -> None:
    from collections import namedtuple

    Point = namedtuple("Point", ["x", "y"])

    @fl.custom_jvp
    def f(pt: Any) -> Any:
        return {"a": pt.x**2, "b": (jnp.sin(pt.x), jnp.cos(pt.y))}

    @f.defjvp
    def f_jvp(primals: Any, tangents: Any) -> Any:
        (pt,), (pt_dot,) = primals, tangents
        return f(pt), {"a": 2 * pt.x * pt_dot.x,
                       "b": (jnp.cos(pt.x) * pt_dot.x, -jnp.sin(pt.y) * pt_dot.y)}

    def fun(pt: Any) -> Any:
        dct = f(pt)
        return dct["a"] + dct["b"][0]

    pt = Point(1.0, 2.0)
    out = f(pt)
    _close(out["a"], 1.0)
    _close(out["b"], [0.841471, -0.4161468])
    g = fl.grad(fun)(pt)
    assert isinstance(g, Point)
    _close(g.x, 2.5403023)
    _close(g.y, 0.0)

    @fl.custom_vjp
    def h(pt: Any) -> Any:
        return {"a": pt.x**2, "b": (jnp.sin(pt.x), jnp.cos(pt.y))}

    def h_bwd(pt: Any, g: Any) -> Any:
        a_bar, (b0_bar, b1_bar) = g["a"], g["b"]
        return (Point(2 * pt.x * a_bar + jnp.cos(pt.x) * b0_bar, -jnp.sin(pt.y) * b1_bar),)

    h.defvjp(lambda pt: (h(pt), pt), h_bwd)
    g = fl.grad(lambda pt: h(pt)["a"] + h(pt)["b"][0])(pt)
    _close(g.x, 2.5403023)
    _close(g.y, 0.0)


def test_tutorial_nondiff_argnums_custom_jvp() -> None:
    from functools import partial

    @partial(fl.custom_jvp, nondiff_argnums=(0,))
    def app(f: Any, x: Any) -> Any:
        return f(x)

    @app.defjvp
    def app_jvp(f: Any, primals: Any, tangents: Any) -> Any:
        (x,), (x_dot,) = primals, tangents
        return f(x), 2.0 * x_dot

    assert float(app(lambda x: x**3, 3.0)) == 27.0
    assert float(fl.grad(app, 1)(lambda x: x**3, 3.0)) == 2.0
    assert float(fl.jvp(lambda x: app(jnp.sin, x), (1.0,), (1.0,))[1]) == 2.0

    @partial(fl.custom_jvp, nondiff_argnums=(0, 2))
    def app2(f: Any, x: Any, g: Any) -> Any:
        return f(g(x))

    @app2.defjvp
    def app2_jvp(f: Any, g: Any, primals: Any, tangents: Any) -> Any:
        (x,), (x_dot,) = primals, tangents
        return f(g(x)), 3.0 * x_dot

    assert float(app2(lambda x: x**3, 3.0, lambda y: 5 * y)) == 3375.0
    assert float(fl.grad(app2, 1)(lambda x: x**3, 3.0, lambda y: 5 * y)) == 3.0


def test_tutorial_nondiff_argnums_custom_vjp_and_clip_gradient() -> None:
    from functools import partial

    @partial(fl.custom_vjp, nondiff_argnums=(0,))
    def app(f: Any, x: Any) -> Any:
        return f(x)

    app.defvjp(lambda f, x: (f(x), x), lambda f, x, g: (5 * g,))
    assert float(app(lambda x: x**2, 4.0)) == 16.0
    assert float(fl.grad(app, 1)(lambda x: x**2, 4.0)) == 5.0

    @fl.custom_vjp
    def clip_gradient(lo: Any, hi: Any, x: Any) -> Any:
        return x

    clip_gradient.defvjp(lambda lo, hi, x: (x, (lo, hi)),
                         lambda res, g: (None, None, jnp.clip(g, res[0], res[1])))

    def clip_sin(x: Any) -> Any:
        return jnp.sin(clip_gradient(-0.75, 0.75, x))

    t = jnp.linspace(0.0, 10.0, 7)
    want = np.clip(np.cos(_np(t)), -0.75, 0.75)
    _close(fl.vmap(fl.grad(clip_sin))(t), want)
    _close(fl.grad(lambda t: jnp.sum(fl.vmap(clip_sin)(t)))(t), want)
    _close(fl.jit(fl.vmap(fl.grad(clip_sin)))(t), want)


# --- beyond the tutorial: arguments, batching, errors -------------------------------------------


def test_python_scalars_as_non_differentiated_arguments_of_custom_jvp() -> None:
    @fl.custom_jvp
    def power(x: Any, n: Any) -> Any:
        return x**n

    @power.defjvp
    def power_jvp(primals: Any, tangents: Any) -> Any:
        (x, n), (x_dot, _) = primals, tangents
        return power(x, n), n * x ** (n - 1) * x_dot

    assert float(fl.grad(power)(2.0, 3)) == 12.0
    assert float(fl.grad(power)(2.0, 3.0)) == 12.0
    assert float(fl.jvp(lambda x: power(x, 3), (2.0,), (1.0,))[1]) == 12.0
    assert float(fl.grad(fl.grad(power))(2.0, 3)) == 12.0
    _close(fl.vmap(fl.grad(power), in_axes=(0, None))(jnp.asarray([1.0, 2.0]), 3), [3.0, 12.0])


def test_keyword_and_default_arguments_map_to_positions() -> None:
    @fl.custom_jvp
    def f(x: Any, y: Any = 2.0) -> Any:
        return x * y

    f.defjvp(lambda p, t: (p[0] * p[1], p[1] * t[0] + p[0] * t[1]))
    assert float(f(3.0, y=4.0)) == 12.0
    assert float(fl.grad(lambda x: f(x=x, y=4.0))(3.0)) == 4.0
    assert float(fl.grad(f)(3.0)) == 2.0
    g = fl.custom_vjp(lambda x, scale=3.0: x * scale)
    g.defvjp(lambda x, scale=3.0: (x * scale, scale), lambda s, ct: (s * ct, None))
    assert float(fl.grad(lambda x: g(x, scale=5.0))(1.0)) == 5.0
    assert float(fl.grad(g)(1.0)) == 3.0
    with pytest.raises(TypeError, match="custom_jvp"):
        f(1.0, z=2.0)


def test_custom_vjp_is_batched_by_its_rule_under_vmap_either_side_of_grad() -> None:
    calls: list[str] = []

    @fl.custom_vjp
    def scaled(x: Any, w: Any) -> Any:
        return x * w

    def fwd(x: Any, w: Any) -> Any:
        calls.append("fwd")
        return x * w, (x, w)

    def bwd(res: Any, g: Any) -> Any:
        calls.append("bwd")
        x, w = res
        return (10.0 * g * w, 100.0 * g * x)  # not the true derivative: the rule must be used

    scaled.defvjp(fwd, bwd)
    xs = jnp.asarray([1.0, 2.0, 3.0])
    w = 0.5
    g_inside = fl.vmap(fl.grad(scaled), in_axes=(0, None))(xs, w)
    _close(g_inside, [5.0, 5.0, 5.0])
    # grad of a vmap: per-example rule, and the unbatched w's cotangent summed over the batch
    gx, gw = fl.grad(lambda xs, w: jnp.sum(fl.vmap(scaled, in_axes=(0, None))(xs, w)), argnums=(0, 1))(xs, w)
    _close(gx, [5.0, 5.0, 5.0])
    _close(gw, 100.0 * 6.0)
    assert calls.count("fwd") >= 2 and calls.count("bwd") >= 2
    # batched along another axis, and vmapped without differentiation
    m = jnp.asarray([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    gm = fl.grad(lambda m: jnp.sum(fl.vmap(scaled, in_axes=(1, None))(m, 2.0)))(m)
    _close(gm, 20.0 * np.ones((3, 2)))
    _close(fl.vmap(scaled, in_axes=(1, None))(m, 2.0), 2.0 * _np(m).T)


def test_custom_jvp_rule_is_used_by_jvp_of_vmap() -> None:
    @fl.custom_jvp
    def f(x: Any) -> Any:
        return jnp.sin(x)

    f.defjvp(lambda p, t: (f(p[0]), 7.0 * t[0]))
    xs = jnp.asarray([0.1, 0.2])
    _, t = fl.jvp(fl.vmap(f), (xs,), (jnp.ones(2),))
    _close(t, [7.0, 7.0])
    _close(fl.jacrev(fl.vmap(f))(xs), 7.0 * np.eye(2))
    _close(fl.jacfwd(fl.vmap(f))(xs), 7.0 * np.eye(2))


def test_custom_rule_errors_are_clear() -> None:
    from functools import partial

    @partial(fl.custom_vjp, nondiff_argnums=(1,))
    def f(x: Any, n: Any) -> Any:
        return x * n

    f.defvjp(lambda x, n: (x * n, None), lambda n, res, g: (g * n,))
    assert float(fl.grad(f)(2.0, 3.0)) == 3.0
    with pytest.raises(fl.errors.UnexpectedTracerError, match="nondiff_argnums"):
        fl.grad(lambda n: f(2.0, n))(3.0)
    needs = fl.custom_jvp(lambda x, fn: fn(x))
    needs.defjvp(lambda p, t: (p[1](p[0]), t[0]))
    with pytest.raises(TypeError, match="function.*nondiff_argnums"):
        needs(1.0, jnp.sin)

    wrong_len = fl.custom_vjp(lambda x, y: x * y)
    wrong_len.defvjp(lambda x, y: (x * y, None), lambda res, g: (g,))
    with pytest.raises(TypeError, match=r"one cotangent .* per differentiable positional argument \(2\)"):
        fl.grad(wrong_len)(1.0, 2.0)
    wrong_shape = fl.custom_vjp(lambda x: x)
    wrong_shape.defvjp(lambda x: (x, None), lambda res, g: (jnp.ones(3),))
    with pytest.raises(ValueError, match=r"shape \(3,\).*shape \(2,\)"):
        fl.grad(lambda x: jnp.sum(wrong_shape(x)))(jnp.ones(2))
    bad_tangent = fl.custom_jvp(lambda x: x)
    bad_tangent.defjvp(lambda p, t: (p[0], jnp.ones(3)))
    with pytest.raises(ValueError, match=r"tangent shape \(3,\) for output shape \(2,\)"):
        fl.jvp(bad_tangent, (jnp.ones(2),), (jnp.ones(2),))
    with pytest.raises(ValueError, match=r"tangent shape \(3,\) for output shape \(2,\)"):
        fl.grad(lambda x: jnp.sum(bad_tangent(x)))(jnp.ones(2))
    g = fl.custom_jvp(lambda x: x, nondiff_argnums=(3,))
    g.defjvp(lambda *a: a)
    with pytest.raises(ValueError, match="nondiff_argnums"):
        g(1.0)



def test_checkpoint_under_vmap_inside_grad() -> None:
    layer = fl.checkpoint(lambda x, w: jnp.tanh(x * w))
    xs, w = jnp.asarray([0.1, -0.4, 0.9]), 0.7
    got = fl.grad(lambda xs, w: jnp.sum(fl.vmap(layer, in_axes=(0, None))(xs, w)), argnums=(0, 1))(xs, w)
    want = fl.grad(lambda xs, w: jnp.sum(jnp.tanh(xs * w)), argnums=(0, 1))(xs, w)
    for a, b in zip(got, want):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-6)
