"""lax control flow (cond, switch, while_loop, fori_loop, scan, map, select)
under eager, jit, grad, jvp and vmap, against Python references."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import lax
from tests._gradcheck import numerical_grad


def f64(v: Any) -> Any:
    return jnp.asarray(np.asarray(v, np.float64))


def _np(x: Any) -> np.ndarray[Any, Any]:
    return np.asarray(x)


# --- cond / switch --------------------------------------------------------------------------


def _branchy(x: Any) -> Any:
    return lax.cond(jnp.sum(x) > 0, lambda v: jnp.sin(v) * 2.0, lambda v: v * v - 1.0, x)


def _branchy_ref(x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return np.sin(x) * 2.0 if x.sum() > 0 else x * x - 1.0


@pytest.mark.parametrize("xv", [[0.5, 1.0], [-2.0, 0.3]])
def test_cond_eager_jit_grad_jvp(xv: list[float]) -> None:
    x = f64(xv)
    want = _branchy_ref(np.asarray(xv))
    np.testing.assert_allclose(_np(_branchy(x)), want, rtol=1e-12)
    np.testing.assert_allclose(_np(fl.jit(_branchy)(x)), want, rtol=1e-12)
    loss = lambda v: jnp.sum(_branchy(v) * f64([1.0, -2.0]))  # noqa: E731
    np.testing.assert_allclose(_np(fl.grad(loss)(x)), numerical_grad(loss, [np.asarray(xv)]), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(_np(fl.jit(fl.grad(loss))(x)), _np(fl.grad(loss)(x)), rtol=1e-12)
    t = f64([0.3, -0.7])
    _, tan = fl.jvp(_branchy, (x,), (t,))
    np.testing.assert_allclose(_np(tan), _np(fl.jacfwd(_branchy)(x)) @ np.asarray([0.3, -0.7]), rtol=1e-12)


def test_cond_with_closure_and_multiple_operands() -> None:
    w = f64([2.0, 3.0])

    def f(p: Any, x: Any, y: Any) -> Any:
        return lax.cond(p, lambda a, b: (a * w, b), lambda a, b: (b * w, a), x, y)

    x, y = f64([1.0, 1.0]), f64([5.0, 6.0])
    a, b = f(True, x, y)
    assert _np(a).tolist() == [2.0, 3.0] and _np(b).tolist() == [5.0, 6.0]
    a, b = fl.jit(f)(False, x, y)
    assert _np(a).tolist() == [10.0, 18.0] and _np(b).tolist() == [1.0, 1.0]
    # gradient reaches the closed-over w
    gw = fl.grad(lambda w_: jnp.sum(lax.cond(True, lambda a: a * w_, lambda a: a, x)))(w)
    assert _np(gw).tolist() == [1.0, 1.0]


def test_cond_vmap_batched_predicate_and_operand() -> None:
    xs = f64([[0.5, 1.0], [-2.0, 0.3], [1.0, -0.5]])
    want = np.stack([_branchy_ref(r) for r in np.asarray(xs)])
    np.testing.assert_allclose(_np(fl.vmap(_branchy)(xs)), want, rtol=1e-12)
    np.testing.assert_allclose(_np(fl.jit(fl.vmap(_branchy))(xs)), want, rtol=1e-12)
    # batched predicate, unbatched operand
    ps = jnp.asarray([True, False, True])
    out = fl.vmap(lambda p, x: lax.cond(p, lambda v: v + 1.0, lambda v: v - 1.0, x), in_axes=(0, None))(ps, f64(2.0))
    assert _np(out).tolist() == [3.0, 1.0, 3.0]
    # unbatched predicate, batched operand
    out = fl.vmap(lambda x: lax.cond(True, lambda v: v * 10.0, lambda v: v, x))(f64([1.0, 2.0]))
    assert _np(out).tolist() == [10.0, 20.0]
    # per-example gradients through a batched cond
    loss = lambda v: jnp.sum(_branchy(v))  # noqa: E731
    want_g = np.stack([numerical_grad(loss, [r]) for r in np.asarray(xs)])
    np.testing.assert_allclose(_np(fl.vmap(fl.grad(loss))(xs)), want_g, rtol=1e-6, atol=1e-8)


def test_cond_integer_predicate_and_errors() -> None:
    assert float(lax.cond(jnp.asarray(3), lambda: f64(1.0), lambda: f64(0.0))) == 1.0
    assert float(lax.cond(0, lambda: f64(1.0), lambda: f64(0.0))) == 0.0
    with pytest.raises(TypeError, match="scalar"):
        lax.cond(jnp.asarray([True, False]), lambda: 1.0, lambda: 0.0)
    with pytest.raises(TypeError, match="same"):
        lax.cond(True, lambda x: x, lambda x: jnp.stack([x, x]), f64(1.0))
    with pytest.raises(TypeError, match="structure"):
        lax.cond(True, lambda x: (x, x), lambda x: x, f64(1.0))


def _three(i: Any, x: Any) -> Any:
    return lax.switch(i, [lambda v: v + 1.0, lambda v: v * v, lambda v: jnp.exp(v)], x)


def _three_ref(i: int, x: float) -> float:
    i = min(max(i, 0), 2)
    return [x + 1.0, x * x, float(np.exp(x))][i]


@pytest.mark.parametrize("i", [-1, 0, 1, 2, 5])
def test_switch_clamps_index_eager_jit_grad(i: int) -> None:
    x = 0.7
    assert float(_three(i, f64(x))) == pytest.approx(_three_ref(i, x))
    assert float(fl.jit(_three)(i, f64(x))) == pytest.approx(_three_ref(i, x))
    d = [1.0, 2 * x, np.exp(x)][min(max(i, 0), 2)]
    assert float(fl.grad(_three, argnums=1)(i, f64(x))) == pytest.approx(d)
    assert float(fl.jvp(lambda v: _three(i, v), (f64(x),), (f64(1.0),))[1]) == pytest.approx(d)


def test_switch_vmap_batched_index() -> None:
    idx = jnp.array([0, 1, 2, 7, -3], dtype=jnp.int32)
    xs = f64([0.5, 1.5, 0.2, 0.1, 2.0])
    want = [_three_ref(int(i), float(x)) for i, x in zip(np.asarray(idx), np.asarray(xs))]
    np.testing.assert_allclose(_np(fl.vmap(_three)(idx, xs)), want, rtol=1e-12)
    np.testing.assert_allclose(_np(fl.jit(fl.vmap(_three))(idx, xs)), want, rtol=1e-12)
    np.testing.assert_allclose(_np(fl.vmap(_three, in_axes=(0, None))(idx, f64(0.5))),
                               [_three_ref(int(i), 0.5) for i in np.asarray(idx)], rtol=1e-12)
    g = fl.vmap(fl.grad(_three, argnums=1))(idx, xs)
    want_g = [[1.0, 2 * x, np.exp(x)][min(max(int(i), 0), 2)] for i, x in zip(np.asarray(idx), np.asarray(xs))]
    np.testing.assert_allclose(_np(g), want_g, rtol=1e-12)


def test_switch_errors() -> None:
    with pytest.raises(ValueError, match="at least one branch"):
        lax.switch(0, [], 1.0)
    with pytest.raises(TypeError, match="integer"):
        lax.switch(0.5, [lambda: 1.0], )


# --- while_loop / fori_loop -----------------------------------------------------------------------


def _collatz_steps(n: Any) -> Any:
    def body(s: Any) -> Any:
        v, k = s
        return (jnp.where(v % 2 == 0, v // 2, 3 * v + 1), k + 1)

    return lax.while_loop(lambda s: s[0] != 1, body, (n, jnp.array(0, dtype=jnp.int32)))[1]


def _collatz_ref(n: int) -> int:
    k = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        k += 1
    return k


def test_while_loop_eager_jit_and_vmap_with_batched_predicate() -> None:
    ns = [1, 6, 7, 27]
    for n in ns:
        assert int(_collatz_steps(jnp.array(n, dtype=jnp.int32))) == _collatz_ref(n)
    assert int(fl.jit(_collatz_steps)(jnp.array(27, dtype=jnp.int32))) == _collatz_ref(27)
    batch = jnp.array(ns, dtype=jnp.int32)
    assert _np(fl.vmap(_collatz_steps)(batch)).tolist() == [_collatz_ref(n) for n in ns]
    assert _np(fl.jit(fl.vmap(_collatz_steps))(batch)).tolist() == [_collatz_ref(n) for n in ns]


def _newton_sqrt(a: Any) -> Any:
    # a fixed number of Newton steps, counted in the carry
    def body(s: Any) -> Any:
        x, i = s
        return (0.5 * (x + a / x), i + 1)

    return lax.while_loop(lambda s: s[1] < 6, body, (a, 0))[0]


def test_while_loop_jvp_and_reverse_mode_raises() -> None:
    a = f64(2.0)
    assert float(_newton_sqrt(a)) == pytest.approx(np.sqrt(2.0), rel=1e-12)
    _, t = fl.jvp(_newton_sqrt, (a,), (f64(1.0),))
    assert float(t) == pytest.approx(0.5 / np.sqrt(2.0), rel=1e-8)
    assert float(fl.jacfwd(_newton_sqrt)(a)) == pytest.approx(0.5 / np.sqrt(2.0), rel=1e-8)
    # jvp under vmap (per-example forward derivatives)
    xs = f64([1.0, 4.0, 9.0])
    tv = fl.vmap(lambda v: fl.jvp(_newton_sqrt, (v,), (f64(1.0),))[1])(xs)
    np.testing.assert_allclose(_np(tv), 0.5 / np.sqrt([1.0, 4.0, 9.0]), rtol=1e-6)
    with pytest.raises(TypeError, match="while_loop"):
        fl.grad(_newton_sqrt)(a)
    _, pull = fl.vjp(_newton_sqrt, a)
    with pytest.raises(TypeError, match="scan|fori_loop"):
        pull(f64(1.0))


def test_while_loop_errors() -> None:
    with pytest.raises(TypeError, match="boolean scalar"):
        lax.while_loop(lambda v: v, lambda v: v + 1.0, f64(1.0))
    with pytest.raises(TypeError, match="structure|shapes"):
        lax.while_loop(lambda v: v < 3.0, lambda v: (v, v), f64(1.0))
    with pytest.raises(TypeError, match="shapes and dtypes"):
        lax.while_loop(lambda v: jnp.sum(v) < 3.0, lambda v: jnp.concatenate([v, v]), f64([1.0]))


def test_fori_loop_python_bounds_eager_jit_grad() -> None:
    def power(x: Any, n: int) -> Any:
        return lax.fori_loop(0, n, lambda i, acc: acc * x, jnp.ones_like(x))

    x = f64(1.3)
    assert float(power(x, 5)) == pytest.approx(1.3 ** 5)
    assert float(fl.jit(power, static_argnums=1)(x, 5)) == pytest.approx(1.3 ** 5)
    assert float(fl.grad(power)(x, 5)) == pytest.approx(5 * 1.3 ** 4)
    assert float(fl.grad(fl.grad(power))(x, 5)) == pytest.approx(20 * 1.3 ** 3)
    # the loop index is usable in the body
    s = lax.fori_loop(2, 6, lambda i, acc: acc + i * x, f64(0.0))
    assert float(s) == pytest.approx((2 + 3 + 4 + 5) * 1.3)
    assert float(power(x, 0)) == 1.0


def test_fori_loop_traced_bounds_jit_and_vmap() -> None:
    def tri(n: Any) -> Any:
        return lax.fori_loop(0, n, lambda i, acc: acc + i, jnp.array(0, dtype=jnp.int32))

    assert int(fl.jit(tri)(jnp.array(5, dtype=jnp.int32))) == 10
    ns = jnp.array([0, 1, 4, 7], dtype=jnp.int32)
    assert _np(fl.vmap(tri)(ns)).tolist() == [0, 0, 6, 21]
    # batched upper bound and batched carry
    f = lambda n, x: lax.fori_loop(0, n, lambda i, v: v * 2.0, x)  # noqa: E731
    out = fl.vmap(f)(jnp.array([0, 1, 3], dtype=jnp.int32), f64([1.0, 1.5, 0.5]))
    assert _np(out).tolist() == [1.0, 3.0, 4.0]
    # forward-mode derivative with a traced bound
    _, t = fl.jvp(lambda x: fl.jit(f)(jnp.array(3, dtype=jnp.int32), x), (f64(1.0),), (f64(1.0),))
    assert float(t) == 8.0


# --- scan / map ----------------------------------------------------------------------------------


def _rnn(params: Any, xs: Any) -> Any:
    w, u, b = params

    def step(h: Any, x: Any) -> Any:
        h = jnp.tanh(h @ w + x @ u + b)
        return h, jnp.sum(h)

    h, ys = lax.scan(step, jnp.zeros(w.shape[0], dtype=w.dtype), xs)
    return jnp.sum(h * h) + jnp.sum(ys)


def _rnn_ref(params: Any, xs: np.ndarray[Any, Any]) -> float:
    w, u, b = (np.asarray(p) for p in params)
    h = np.zeros(w.shape[0])
    tot = 0.0
    for x in xs:
        h = np.tanh(h @ w + x @ u + b)
        tot += h.sum()
    return float(np.sum(h * h) + tot)


def _rnn_params(seed: int = 0) -> tuple[Any, Any, Any]:
    rng = np.random.default_rng(seed)
    return (f64(rng.standard_normal((3, 3)) * 0.5), f64(rng.standard_normal((2, 3))), f64(rng.standard_normal(3)))


def test_scan_rnn_eager_jit_grad_against_reference() -> None:
    params = _rnn_params()
    xs = np.random.default_rng(1).standard_normal((4, 2))
    want = _rnn_ref(params, xs)
    assert float(_rnn(params, f64(xs))) == pytest.approx(want, rel=1e-12)
    assert float(fl.jit(_rnn)(params, f64(xs))) == pytest.approx(want, rel=1e-12)
    g = fl.grad(_rnn, argnums=1)(params, f64(xs))
    np.testing.assert_allclose(_np(g), numerical_grad(lambda v: _rnn(params, v), [xs]), rtol=1e-6, atol=1e-8)
    gw = fl.grad(lambda w: _rnn((w, params[1], params[2]), f64(xs)))(params[0])
    np.testing.assert_allclose(_np(gw), numerical_grad(lambda w: _rnn((w, params[1], params[2]), f64(xs)),
                                                       [np.asarray(params[0])]), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(_np(fl.jit(fl.grad(_rnn, argnums=1))(params, f64(xs))), _np(g), rtol=1e-10)
    # forward mode agrees with reverse mode
    t = np.random.default_rng(2).standard_normal((4, 2))
    _, tan = fl.jvp(lambda v: _rnn(params, v), (f64(xs),), (f64(t),))
    assert float(tan) == pytest.approx(float(np.sum(_np(g) * t)), rel=1e-9)


def test_scan_vmap_and_per_example_gradients() -> None:
    params = _rnn_params()
    batch = np.random.default_rng(3).standard_normal((3, 4, 2))
    want = [_rnn_ref(params, b) for b in batch]
    np.testing.assert_allclose(_np(fl.vmap(_rnn, in_axes=(None, 0))(params, f64(batch))), want, rtol=1e-12)
    g = fl.vmap(fl.grad(_rnn, argnums=1), in_axes=(None, 0))(params, f64(batch))
    loop = np.stack([_np(fl.grad(_rnn, argnums=1)(params, f64(b))) for b in batch])
    np.testing.assert_allclose(_np(g), loop, rtol=1e-10, atol=1e-12)
    # the scanned sequence batched on its second axis
    np.testing.assert_allclose(_np(fl.vmap(_rnn, in_axes=(None, 1))(params, f64(batch.transpose(1, 0, 2)))), want,
                               rtol=1e-12)


def test_scan_reverse_pytree_carry_and_none_xs() -> None:
    xs = f64([1.0, 2.0, 3.0])
    c, ys = lax.scan(lambda c, x: (c + x, c), f64(0.0), xs, reverse=True)
    assert float(c) == 6.0 and _np(ys).tolist() == [5.0, 3.0, 0.0]
    (a, b), ys = lax.scan(lambda c, _: ((c[0] + 1.0, c[1] * 2.0), {"a": c[0]}), (f64(0.0), f64(1.0)), None, length=3)
    assert (float(a), float(b)) == (3.0, 8.0) and _np(ys["a"]).tolist() == [0.0, 1.0, 2.0]
    g = fl.grad(lambda x: lax.scan(lambda c, v: (c * v, None), f64(1.0), x, reverse=True)[0])(xs)
    np.testing.assert_allclose(_np(g), [6.0, 3.0, 2.0])


def test_scan_errors() -> None:
    with pytest.raises(ValueError, match="length"):
        lax.scan(lambda c, x: (c, x), 0.0, None)
    with pytest.raises(ValueError, match="different leading sizes"):
        lax.scan(lambda c, x: (c, x), 0.0, (jnp.ones(2), jnp.ones(3)))
    with pytest.raises(TypeError, match="carry"):
        lax.scan(lambda c, x: (jnp.stack([c, c]), x), f64(0.0), jnp.ones(2))
    with pytest.raises(ValueError, match="leading axis"):
        lax.scan(lambda c, x: (c, x), 0.0, jnp.asarray(1.0))


def test_map_eager_jit_vmap_grad() -> None:
    xs = f64([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    f = lambda r: jnp.sum(r * r)  # noqa: E731
    assert _np(lax.map(f, xs)).tolist() == [5.0, 25.0, 61.0]
    assert _np(fl.jit(lambda v: lax.map(f, v))(xs)).tolist() == [5.0, 25.0, 61.0]
    np.testing.assert_allclose(_np(fl.grad(lambda v: jnp.sum(lax.map(f, v)))(xs)), 2 * _np(xs))
    out = fl.vmap(lambda v: lax.map(f, v))(jnp.stack([xs, 2.0 * xs]))
    assert _np(out).tolist() == [[5.0, 25.0, 61.0], [20.0, 100.0, 244.0]]


def test_select() -> None:
    p = jnp.asarray([True, False, True])
    a, b = f64([1.0, 2.0, 3.0]), f64([10.0, 20.0, 30.0])
    assert _np(lax.select(p, a, b)).tolist() == [1.0, 20.0, 3.0]
    assert _np(fl.jit(lax.select)(p, a, b)).tolist() == [1.0, 20.0, 3.0]
    ga, gb = fl.grad(lambda x, y: jnp.sum(lax.select(p, x, y)), argnums=(0, 1))(a, b)
    assert _np(ga).tolist() == [1.0, 0.0, 1.0] and _np(gb).tolist() == [0.0, 1.0, 0.0]
    assert _np(fl.vmap(lax.select, in_axes=(0, None, None))(jnp.asarray([[True], [False]]), f64([1.0]), f64([2.0]))
               ).tolist() == [[1.0], [2.0]]
    with pytest.raises(TypeError):
        lax.select(p, a, f64([1.0]))


def test_control_flow_stays_one_primitive_under_jit() -> None:
    prog = fl.make_ir(lambda x: lax.fori_loop(0, 100, lambda i, v: v * 1.01, x))(f64(1.0))
    assert [e.prim.name for e in prog.eqns].count("scan") == 1
    assert len(prog.eqns) < 5
    prog = fl.make_ir(lambda x: lax.cond(x > 0, jnp.sin, jnp.cos, x))(f64(1.0))
    assert "cond" in [e.prim.name for e in prog.eqns]
