"""Values and derivatives against JAX itself (an independent autodiff), in
float64, for a handful of real functions: an MLP loss, logsumexp, softmax
cross entropy, a scan-based RNN and a cond.  Skipped when jax is not
installed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jjnp  # noqa: E402

import functorch_lite as fl  # noqa: E402
import functorch_lite.numpy as fnp  # noqa: E402
from functorch_lite import lax as flax  # noqa: E402

# JAX runs jitted (its eager op-by-op dispatch of transformed functions is
# slow); functorch_lite runs eagerly and, where named, under its own jit.
#
# Each function is written once against a namespace ``ns`` with the numpy API
# (``ns.np``), ``ns.lax`` and the transforms, so the same code runs on both.


class NS:
    def __init__(self, np_mod: Any, lax_mod: Any, lib: Any) -> None:
        self.np = np_mod
        self.lax = lax_mod
        self.lib = lib


FL = NS(fnp, flax, fl)
JX = NS(jjnp, jax.lax, jax)


def mlp_loss(ns: NS, params: Any, x: Any, y: Any) -> Any:
    h = x
    for i, (w, b) in enumerate(params):
        h = h @ w + b
        if i < len(params) - 1:
            h = ns.np.tanh(h)
    return ns.np.mean((h - y) ** 2)


def logsumexp(ns: NS, x: Any) -> Any:
    m = ns.np.max(x, axis=-1, keepdims=True)
    return ns.np.sum(ns.np.log(ns.np.sum(ns.np.exp(x - m), axis=-1)) + m[..., 0])


def softmax_xent(ns: NS, logits: Any, labels_onehot: Any) -> Any:
    z = logits - ns.np.max(logits, axis=-1, keepdims=True)
    logp = z - ns.np.log(ns.np.sum(ns.np.exp(z), axis=-1, keepdims=True))
    return -ns.np.mean(ns.np.sum(labels_onehot * logp, axis=-1))


def rnn(ns: NS, params: Any, xs: Any) -> Any:
    w, u, b = params

    def step(h: Any, x: Any) -> Any:
        h = ns.np.tanh(h @ w + x @ u + b)
        return h, ns.np.sum(h * h)

    h, ys = ns.lax.scan(step, ns.np.zeros(w.shape[0], dtype=w.dtype), xs)
    return ns.np.sum(h) + ns.np.sum(ys)


def cond_fn(ns: NS, x: Any) -> Any:
    return ns.lax.cond(ns.np.sum(x) > 0, lambda v: ns.np.sum(ns.np.sin(v) * v),
                       lambda v: ns.np.sum(ns.np.cos(v) ** 2), x)


RNG = np.random.default_rng(0)


def _mlp_args() -> tuple[Any, ...]:
    params = [(RNG.standard_normal((3, 5)) * 0.5, RNG.standard_normal(5) * 0.1),
              (RNG.standard_normal((5, 2)) * 0.5, RNG.standard_normal(2) * 0.1)]
    return params, RNG.standard_normal((4, 3)), RNG.standard_normal((4, 2))


def _xent_args() -> tuple[Any, ...]:
    labels = np.eye(3)[RNG.integers(0, 3, size=4)]
    return RNG.standard_normal((4, 3)), labels


def _rnn_args() -> tuple[Any, ...]:
    return ((RNG.standard_normal((3, 3)) * 0.4, RNG.standard_normal((2, 3)), RNG.standard_normal(3)),
            RNG.standard_normal((5, 2)))


CASES: dict[str, tuple[Callable[..., Any], tuple[Any, ...]]] = {
    "mlp": (mlp_loss, _mlp_args()),
    "logsumexp": (logsumexp, (RNG.standard_normal((3, 4)),)),
    "softmax_xent": (softmax_xent, _xent_args()),
    "rnn": (rnn, _rnn_args()),
    "cond_pos": (cond_fn, (np.abs(RNG.standard_normal(3)),)),
    "cond_neg": (cond_fn, (-np.abs(RNG.standard_normal(3)),)),
}


def _to(ns: NS, args: Any) -> Any:
    conv = fnp.asarray if ns is FL else jjnp.asarray
    return fl.tree.map(lambda a: conv(np.asarray(a, np.float64)), args)


def _close(a: Any, b: Any, rtol: float = 1e-9, atol: float = 1e-11) -> None:
    la, lb = fl.tree.leaves(a), jax.tree_util.tree_leaves(b)
    assert len(la) == len(lb)
    for x, y in zip(la, lb):
        x, y = np.asarray(x), np.asarray(y)
        assert x.shape == y.shape, f"shape {x.shape} != jax's {y.shape}"
        np.testing.assert_allclose(x, y, rtol=rtol, atol=atol)


@pytest.mark.parametrize("case", sorted(CASES))
def test_value_and_grad_match_jax(case: str) -> None:
    f, args = CASES[case]
    v1, g1 = fl.value_and_grad(lambda *a: f(FL, *a), argnums=tuple(range(len(args))))(*_to(FL, args))
    v2, g2 = jax.jit(jax.value_and_grad(lambda *a: f(JX, *a), argnums=tuple(range(len(args)))))(*_to(JX, args))
    _close(v1, v2)
    _close(g1, g2)
    # jit of grad too
    g3 = fl.jit(fl.grad(lambda *a: f(FL, *a), argnums=tuple(range(len(args)))))(*_to(FL, args))
    _close(g3, g2)


# the first differentiable array argument, as a function of one array
def _one_arg(case: str) -> tuple[Callable[[NS, Any], Any], np.ndarray[Any, Any]]:
    f, args = CASES[case]
    if case == "mlp":
        params, x, y = args
        return (lambda ns, w: f(ns, [(w, params[0][1]), params[1]], _to(ns, x), _to(ns, y))), params[0][0]
    if case == "rnn":
        (w, u, b), xs = args
        return (lambda ns, v: f(ns, _to(ns, (w, u, b)), v)), xs
    if case == "softmax_xent":
        logits, labels = args
        return (lambda ns, z: f(ns, z, _to(ns, labels))), logits
    return (lambda ns, x: f(ns, x)), args[0]


@pytest.mark.parametrize("case", sorted(CASES))
def test_jacfwd_jacrev_hessian_match_jax(case: str) -> None:
    g, x = _one_arg(case)
    xf, xj = _to(FL, x), _to(JX, x)
    _close(fl.jacfwd(lambda v: g(FL, v))(xf), jax.jit(jax.jacfwd(lambda v: g(JX, v)))(xj))
    _close(fl.jacrev(lambda v: g(FL, v))(xf), jax.jit(jax.jacrev(lambda v: g(JX, v)))(xj))
    _close(fl.hessian(lambda v: g(FL, v))(xf), jax.jit(jax.hessian(lambda v: g(JX, v)))(xj), rtol=1e-8, atol=1e-10)
    # jacobians of a vector-valued function: the gradient itself
    _close(fl.jacrev(fl.grad(lambda v: g(FL, v)))(xf), jax.jit(jax.jacrev(jax.grad(lambda v: g(JX, v))))(xj),
           rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("case", sorted(CASES))
def test_per_example_gradients_match_jax(case: str) -> None:
    g, x = _one_arg(case)
    batch = np.stack([x, 0.5 * x, -x + 0.1])
    got = fl.vmap(fl.grad(lambda v: g(FL, v)))(_to(FL, batch))
    want = jax.jit(jax.vmap(jax.grad(lambda v: g(JX, v))))(_to(JX, batch))
    _close(got, want)
    _close(fl.jit(fl.vmap(fl.grad(lambda v: g(FL, v))))(_to(FL, batch)), want)


def test_jvp_and_linearize_match_jax() -> None:
    g, x = _one_arg("rnn")
    t = RNG.standard_normal(x.shape)
    p1, t1 = fl.jvp(lambda v: g(FL, v), (_to(FL, x),), (_to(FL, t),))
    p2, t2 = jax.jit(lambda a, b: jax.jvp(lambda v: g(JX, v), (a,), (b,)))(_to(JX, x), _to(JX, t))
    _close(p1, p2)
    _close(t1, t2)
    _, f_lin = fl.linearize(lambda v: g(FL, v), _to(FL, x))
    _close(f_lin(_to(FL, t)), t2)
