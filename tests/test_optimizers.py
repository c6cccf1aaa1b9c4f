"""functorch_lite.optimizers against plain NumPy implementations of the
published update rules (optax's formulas), eager against jit, and schedules
against their closed forms."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import optimizers as optim

STEPS = 25


def _grad_fn(w: np.ndarray, t: int) -> np.ndarray:
    """A gradient that changes with the step and the params (a rotated quadratic plus a drift)."""
    return 2.0 * w + 0.3 * np.sin(np.arange(w.size) + t)


def _run(opt: optim.GradientTransformation, w0: np.ndarray) -> np.ndarray:
    params = {"w": jnp.array(w0.astype(np.float32))}
    state = opt.init(params)
    for t in range(STEPS):
        g = {"w": jnp.array(_grad_fn(np.asarray(params["w"], np.float64), t).astype(np.float32))}
        updates, state = opt.update(g, state, params)
        params = optim.apply_updates(params, updates)
    return np.asarray(params["w"], np.float64)


def _ref(step: Callable[[np.ndarray, np.ndarray, dict[str, Any], int], np.ndarray], w0: np.ndarray) -> np.ndarray:
    w = w0.astype(np.float64)
    st: dict[str, Any] = {}
    for t in range(STEPS):
        w = w + step(_grad_fn(w, t), w, st, t)
    return w


def ref_sgd(lr: float, momentum: float | None = None, nesterov: bool = False) -> Callable[..., np.ndarray]:
    def step(g: np.ndarray, w: np.ndarray, st: dict[str, Any], t: int) -> np.ndarray:
        if momentum is None:
            return -lr * g
        buf = st.get("buf", np.zeros_like(g))
        buf = g + momentum * buf
        st["buf"] = buf
        return -lr * (g + momentum * buf if nesterov else buf)
    return step


def ref_adam(lr: float, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
             wd: float = 0.0) -> Callable[..., np.ndarray]:
    def step(g: np.ndarray, w: np.ndarray, st: dict[str, Any], t: int) -> np.ndarray:
        m = b1 * st.get("m", 0.0) + (1 - b1) * g
        v = b2 * st.get("v", 0.0) + (1 - b2) * g * g
        st["m"], st["v"] = m, v
        n = t + 1
        u = (m / (1 - b1**n)) / (np.sqrt(v / (1 - b2**n)) + eps)
        return -lr * (u + wd * w)
    return step


def ref_rmsprop(lr: float, decay: float = 0.9, eps: float = 1e-8, centered: bool = False,
                momentum: float | None = None) -> Callable[..., np.ndarray]:
    def step(g: np.ndarray, w: np.ndarray, st: dict[str, Any], t: int) -> np.ndarray:
        v = decay * st.get("v", 0.0) + (1 - decay) * g * g
        m = decay * st.get("m", 0.0) + (1 - decay) * g
        st["v"], st["m"] = v, m
        denom = v - m * m if centered else v
        u = -lr * g / np.sqrt(denom + eps)
        if momentum is not None:
            u = u + momentum * st.get("buf", 0.0)
            st["buf"] = u
        return u
    return step


def ref_adagrad(lr: float, init: float = 0.1, eps: float = 1e-7) -> Callable[..., np.ndarray]:
    def step(g: np.ndarray, w: np.ndarray, st: dict[str, Any], t: int) -> np.ndarray:
        acc = st.get("acc", init) + g * g
        st["acc"] = acc
        return -lr * g / np.sqrt(acc + eps)
    return step


CASES = [
    ("sgd", optim.sgd(0.05), ref_sgd(0.05)),
    ("sgd momentum", optim.sgd(0.05, momentum=0.9), ref_sgd(0.05, 0.9)),
    ("sgd nesterov", optim.sgd(0.05, momentum=0.9, nesterov=True), ref_sgd(0.05, 0.9, True)),
    ("adam", optim.adam(0.05), ref_adam(0.05)),
    ("adam b", optim.adam(0.01, b1=0.5, b2=0.9, eps=1e-3), ref_adam(0.01, 0.5, 0.9, 1e-3)),
    ("adamw", optim.adamw(0.05, weight_decay=0.1), ref_adam(0.05, wd=0.1)),
    ("rmsprop", optim.rmsprop(0.01), ref_rmsprop(0.01)),
    ("rmsprop centered", optim.rmsprop(0.01, centered=True), ref_rmsprop(0.01, centered=True)),
    ("rmsprop momentum", optim.rmsprop(0.01, momentum=0.5), ref_rmsprop(0.01, momentum=0.5)),
    ("adagrad", optim.adagrad(0.1), ref_adagrad(0.1)),
]


@pytest.mark.parametrize("name,opt,ref", CASES, ids=[c[0] for c in CASES])
def test_matches_reference(name: str, opt: optim.GradientTransformation, ref: Callable[..., np.ndarray]) -> None:
    w0 = np.linspace(-1.5, 2.0, 7)
    got = _run(opt, w0)
    want = _ref(ref, w0)
    assert not np.allclose(got, w0)  # the optimizer moved
    np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-5)


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
def test_jit_step_equals_eager_on_a_pytree() -> None:
    params = {"a": jnp.array([1.0, -2.0, 0.5]), "b": (jnp.array(3.0), jnp.array([[0.1, 0.2]]))}
    opt = optim.chain(optim.clip_by_global_norm(1.0), optim.adamw(0.1, weight_decay=0.01))

    def loss(p: Any) -> Any:
        return jnp.sum(p["a"] ** 2) + p["b"][0] ** 2 + jnp.sum(jnp.sin(p["b"][1]))

    def step(p: Any, s: Any) -> Any:
        g = fl.grad(loss)(p)
        u, s = opt.update(g, s, p)
        return optim.apply_updates(p, u), s

    jstep = fl.jit(step)
    pe, se = params, opt.init(params)
    pj, sj = params, opt.init(params)
    for _ in range(5):
        pe, se = step(pe, se)
        pj, sj = jstep(pj, sj)
    for x, y in zip(fl.tree.tree_leaves(pe), fl.tree.tree_leaves(pj)):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-6, atol=1e-7)
    assert int(se[1][0].count) == 5  # adam's step counter
    assert np.asarray(pe["a"]).dtype == np.float32


def test_clip_by_global_norm() -> None:
    u = {"x": jnp.array([3.0, 0.0]), "y": jnp.array([[4.0]])}
    clipped, _ = optim.clip_by_global_norm(2.5).update(u, optim.EmptyState())
    np.testing.assert_allclose(np.asarray(clipped["x"]), [1.5, 0.0], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(clipped["y"]), [[2.0]], rtol=1e-6)
    kept, _ = optim.clip_by_global_norm(10.0).update(u, optim.EmptyState())
    np.testing.assert_array_equal(np.asarray(kept["x"]), [3.0, 0.0])


def test_learning_rate_schedule_sees_the_step_count() -> None:
    seen: list[int] = []

    def sched(n: Any) -> Any:
        seen.append(int(n))
        return 0.1 * (n + 1)

    opt = optim.sgd(sched)
    p = jnp.array(0.0)
    s = opt.init(p)
    outs = []
    for _ in range(3):
        u, s = opt.update(jnp.array(1.0), s, p)
        outs.append(float(u))
    assert seen == [0, 1, 2]
    np.testing.assert_allclose(outs, [-0.1, -0.2, -0.3], rtol=1e-6)


def test_schedules_closed_forms() -> None:
    cos = optim.cosine_decay_schedule(2.0, 10, alpha=0.1)
    for n in (0, 3, 10, 15):
        t = min(n, 10)
        want = 2.0 * ((1 - 0.1) * 0.5 * (1 + math.cos(math.pi * t / 10)) + 0.1)
        assert float(cos(n)) == pytest.approx(want, rel=1e-6)
    exp = optim.exponential_decay(1.0, 4, 0.5, transition_begin=2, end_value=0.3)
    for n in (0, 2, 4, 6, 30):
        want = 1.0 if n <= 2 else max(0.5 ** ((n - 2) / 4), 0.3)
        assert float(exp(n)) == pytest.approx(want, rel=1e-6)
    lin = optim.linear_schedule(1.0, 0.0, 10, transition_begin=5)
    assert [float(lin(n)) for n in (0, 5, 10, 15, 20)] == pytest.approx([1.0, 1.0, 0.5, 0.0, 0.0])
    warm = optim.warmup_cosine_decay_schedule(0.0, 1.0, 4, 12, end_value=0.2)
    assert float(warm(2)) == pytest.approx(0.5)
    assert float(warm(4)) == pytest.approx(1.0)
    assert float(warm(12)) == pytest.approx(0.2, rel=1e-6)
    pw = optim.piecewise_constant_schedule(1.0, {3: 0.5, 6: 0.1})
    assert [float(pw(n)) for n in (0, 2, 3, 5, 6, 9)] == pytest.approx([1, 1, 0.5, 0.5, 0.05, 0.05])


def test_schedules_work_under_jit() -> None:
    sched = optim.warmup_cosine_decay_schedule(0.0, 1.0, 4, 12)
    js = fl.jit(sched)
    for n in range(0, 14, 3):
        assert float(js(jnp.array(n))) == pytest.approx(float(sched(n)), rel=1e-6, abs=1e-7)


def test_errors_are_clear() -> None:
    with pytest.raises(ValueError, match="needs the params"):
        optim.adamw(0.1).update(jnp.array(1.0), optim.adamw(0.1).init(jnp.array(1.0)))
    with pytest.raises(ValueError, match="positive decay_steps"):
        optim.cosine_decay_schedule(1.0, 0)
    with pytest.raises(ValueError, match="non-negative"):
        optim.piecewise_constant_schedule(1.0, {3: -1.0})
    with pytest.raises(ValueError, match="state of 1"):
        optim.chain(optim.scale(1.0), optim.scale(2.0)).update(jnp.array(1.0), (optim.EmptyState(),))
