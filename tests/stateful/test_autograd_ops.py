"""Tensor.backward() through each recorded op, in float64, against central
finite differences of the same Tensor computation and against the functional
``fl.grad`` of the same ``functorch_lite.numpy`` computation (one rule set,
two front ends: they agree to round-off)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from tests._gradcheck import assert_close, numerical_vjp

T = Callable[..., Any]


def _idx() -> Any:
    return fl.tensor([2, 0, 2])


# name, tensor function, jnp function, input shapes, input range (low, high)
CASES: list[tuple[str, T, T, list[tuple[int, ...]], tuple[float, float]]] = [
    ("add", lambda a, b: a + b, lambda a, b: a + b, [(2, 3), (2, 3)], (-2, 2)),
    ("add_bcast", lambda a, b: a + b, lambda a, b: a + b, [(2, 3), (3,)], (-2, 2)),
    ("sub_alpha", lambda a, b: a.sub(b, alpha=3), lambda a, b: a - 3 * b, [(3,), (3,)], (-2, 2)),
    ("rsub", lambda a: 2.0 - a, lambda a: 2.0 - a, [(3,)], (-2, 2)),
    ("mul", lambda a, b: a * b, lambda a, b: a * b, [(2, 3), (2, 3)], (-2, 2)),
    ("mul_bcast", lambda a, b: a * b, lambda a, b: a * b, [(3, 1), (1, 4)], (-2, 2)),
    ("mul_self", lambda a: a * a, lambda a: a * a, [(3,)], (-2, 2)),
    ("div", lambda a, b: a / b, lambda a, b: a / b, [(2, 3), (2, 3)], (0.5, 2)),
    ("rdiv", lambda a: 1.5 / a, lambda a: 1.5 / a, [(3,)], (0.5, 2)),
    ("pow_scalar", lambda a: a ** 3, lambda a: a ** 3, [(4,)], (-2, 2)),
    ("pow_tensor", lambda a, b: a.pow(b), lambda a, b: a ** b, [(4,), (4,)], (0.5, 2)),
    ("rpow", lambda a: 2.0 ** a, lambda a: 2.0 ** a, [(3,)], (-1, 1)),
    ("neg", lambda a: -a, lambda a: -a, [(3,)], (-2, 2)),
    ("exp", lambda a: a.exp(), jnp.exp, [(3,)], (-1, 1)),
    ("log", lambda a: a.log(), jnp.log, [(3,)], (0.5, 2)),
    ("sqrt", lambda a: a.sqrt(), jnp.sqrt, [(3,)], (0.5, 2)),
    ("rsqrt", lambda a: a.rsqrt(), lambda a: 1 / jnp.sqrt(a), [(3,)], (0.5, 2)),
    ("reciprocal", lambda a: a.reciprocal(), lambda a: 1 / a, [(3,)], (0.5, 2)),
    ("sin_cos", lambda a: a.sin() * a.cos(), lambda a: jnp.sin(a) * jnp.cos(a), [(3,)], (-2, 2)),
    ("tanh", lambda a: a.tanh(), jnp.tanh, [(3,)], (-2, 2)),
    ("sigmoid", lambda a: a.sigmoid(), lambda a: 1 / (1 + jnp.exp(-a)), [(3,)], (-2, 2)),
    ("relu", lambda a: a.relu(), lambda a: jnp.maximum(a, 0), [(6,)], (-2, 2)),
    ("abs", lambda a: a.abs(), jnp.abs, [(6,)], (-2, 2)),
    ("square", lambda a: a.square(), jnp.square, [(3,)], (-2, 2)),
    ("clamp", lambda a: a.clamp(-0.5, 0.7), lambda a: jnp.clip(a, -0.5, 0.7), [(8,)], (-2, 2)),
    ("maximum", lambda a, b: a.maximum(b), jnp.maximum, [(5,), (5,)], (-2, 2)),
    ("mm", lambda a, b: a @ b, jnp.matmul, [(2, 3), (3, 4)], (-1, 1)),
    ("mv", lambda a, b: a.matmul(b), jnp.matmul, [(2, 3), (3,)], (-1, 1)),
    ("dot", lambda a, b: a.dot(b), jnp.dot, [(3,), (3,)], (-1, 1)),
    ("bmm", lambda a, b: a @ b, jnp.matmul, [(2, 2, 3), (2, 3, 2)], (-1, 1)),
    ("sum", lambda a: a.sum(), jnp.sum, [(2, 3)], (-1, 1)),
    ("sum_dim", lambda a: a.sum(dim=1), lambda a: jnp.sum(a, axis=1), [(2, 3)], (-1, 1)),
    ("mean_keep", lambda a: a.mean(0, keepdim=True), lambda a: jnp.mean(a, 0, keepdims=True), [(2, 3)], (-1, 1)),
    ("var", lambda a: a.var(dim=1), lambda a: jnp.var(a, axis=1, ddof=1), [(2, 4)], (-1, 1)),
    ("std", lambda a: a.std(), lambda a: jnp.std(a, ddof=1), [(5,)], (-1, 1)),
    ("prod", lambda a: a.prod(1), lambda a: jnp.prod(a, axis=1), [(2, 3)], (0.5, 2)),
    ("max_dim", lambda a: a.max(dim=1).values, lambda a: jnp.max(a, axis=1), [(3, 4)], (-2, 2)),
    ("amin", lambda a: a.amin(0), lambda a: jnp.min(a, axis=0), [(3, 4)], (-2, 2)),
    ("cumsum", lambda a: a.cumsum(0), lambda a: jnp.cumsum(a, axis=0), [(4,)], (-1, 1)),
    ("where", lambda a, b: fl.where(a > 0, a, b), lambda a, b: jnp.where(a > 0, a, b), [(6,), (6,)], (-2, 2)),
    ("t", lambda a: a.t() * 1.0, lambda a: a.T, [(2, 3)], (-1, 1)),
    ("transpose", lambda a: a.transpose(0, 2), lambda a: jnp.swapaxes(a, 0, 2), [(2, 3, 2)], (-1, 1)),
    ("permute", lambda a: a.permute(2, 0, 1), lambda a: jnp.transpose(a, (2, 0, 1)), [(2, 3, 2)], (-1, 1)),
    ("view", lambda a: a.view(3, 2), lambda a: a.reshape(3, 2), [(2, 3)], (-1, 1)),
    ("reshape_copy", lambda a: a.t().reshape(6), lambda a: a.T.reshape(6), [(2, 3)], (-1, 1)),
    ("flatten", lambda a: a.flatten(), lambda a: a.reshape(-1), [(2, 3)], (-1, 1)),
    ("narrow", lambda a: a.narrow(1, 1, 2), lambda a: a[:, 1:3], [(2, 4)], (-1, 1)),
    ("select", lambda a: a.select(0, -1), lambda a: a[-1], [(3, 2)], (-1, 1)),
    ("unsqueeze", lambda a: a.unsqueeze(1), lambda a: a[:, None], [(3,)], (-1, 1)),
    ("squeeze", lambda a: a.squeeze(), lambda a: a.reshape(3), [(1, 3)], (-1, 1)),
    ("expand", lambda a: a.expand(2, 3), lambda a: jnp.broadcast_to(a, (2, 3)), [(1, 3)], (-1, 1)),
    ("slice", lambda a: a[1:, ::2], lambda a: a[1:, ::2], [(3, 4)], (-1, 1)),
    ("int_index", lambda a: a[1, 2], lambda a: a[1, 2], [(3, 4)], (-1, 1)),
    ("adv_index", lambda a: a[_idx()], lambda a: a[jnp.array([2, 0, 2])], [(3, 2)], (-1, 1)),
    ("mask_index", lambda a: a[a > 0], None, [(6,)], (-2, 2)),
    ("contiguous", lambda a: a.t().contiguous(), lambda a: a.T, [(2, 3)], (-1, 1)),
    ("clone", lambda a: a.clone(), lambda a: a, [(3,)], (-1, 1)),
    ("unbind", lambda a: a.unbind(1)[1] * a.unbind(1)[0], lambda a: a[:, 1] * a[:, 0], [(3, 2)], (-1, 1)),
    ("split", lambda a: a.split(2)[1], lambda a: a[2:4], [(5,)], (-1, 1)),
    ("chunk", lambda a: a.chunk(2, dim=1)[0], lambda a: a[:, :2], [(2, 4)], (-1, 1)),
    ("cat", lambda a, b: fl.cat([a, b], 0), lambda a, b: jnp.concatenate([a, b], 0), [(2, 3), (1, 3)], (-1, 1)),
    ("stack", lambda a, b: fl.stack([a, b], 1), lambda a, b: jnp.stack([a, b], 1), [(3,), (3,)], (-1, 1)),
    ("masked_fill", lambda a: a.masked_fill(a < 0, 0.5), lambda a: jnp.where(a < 0, 0.5, a), [(6,)], (-2, 2)),
    ("index_add", lambda a, b: a.index_add(0, fl.tensor([0, 2, 0]), b),
     lambda a, b: a.at[jnp.array([0, 2, 0])].add(b), [(3, 2), (3, 2)], (-1, 1)),
    ("scatter", lambda a, b: a.scatter(1, fl.tensor([[1], [0]]), b),
     lambda a, b: a.at[jnp.array([[0], [1]]), jnp.array([[1], [0]])].set(b[:, :1]), [(2, 3), (2, 2)], (-1, 1)),
    ("to_float32", lambda a: a.float().double(), lambda a: a.astype(np.float32).astype(np.float64), [(3,)],
     (-1, 1)),
    ("chain", lambda a, b: ((a @ b).tanh() * 2 - 1).exp().mean(),
     lambda a, b: jnp.mean(jnp.exp(jnp.tanh(a @ b) * 2 - 1)), [(2, 3), (3, 2)], (-1, 1)),
]


# float32 rounding is far coarser than the finite-difference step: checked against fl.grad only
NO_FINITE_DIFFERENCES = {"to_float32"}


def _inputs(shapes: list[tuple[int, ...]], lo: float, hi: float, seed: int) -> list[np.ndarray[Any, Any]]:
    rng = np.random.default_rng(seed)
    out = []
    for s in shapes:
        x = rng.uniform(lo, hi, size=s)
        # keep clear of kinks (abs, relu, clamp, max, where) so differences are smooth
        x = np.where(np.abs(x) < 0.1, 0.3, x)
        x = np.where(np.abs(x - 0.7) < 0.05, 0.8, x)
        x = np.where(np.abs(x + 0.5) < 0.05, -0.6, x)
        out.append(x)
    return out


def _tensor_loss(tf: T, xs: list[Any], ct: np.ndarray[Any, Any]) -> Any:
    out = tf(*xs)
    return (out * fl.tensor(ct)).sum()


@pytest.mark.parametrize("name,tf,jf,shapes,rng", CASES, ids=[c[0] for c in CASES])
def test_backward_matches_finite_differences_and_functional_grad(name: str, tf: T, jf: T | None,
                                                                  shapes: list[tuple[int, ...]],
                                                                  rng: tuple[float, float]) -> None:
    xs = _inputs(shapes, *rng, seed=len(name))
    with fl.no_grad():
        out_shape = tuple(tf(*[fl.tensor(x) for x in xs]).shape)
    ct = np.random.default_rng(1).uniform(0.5, 1.5, size=out_shape)
    ts = [fl.tensor(x, requires_grad=True) for x in xs]
    loss = _tensor_loss(tf, ts, ct)
    loss.backward()
    for k, t in enumerate(ts):
        assert t.grad is not None, f"{name}: input {k} got no gradient"
        assert t.grad.dtype == fl.float64 and tuple(t.grad.shape) == shapes[k]
        if name not in NO_FINITE_DIFFERENCES:
            numeric = numerical_vjp(lambda *a: tf(*a).detach(), xs, ct, argnum=k,
                                    wrap=lambda v: fl.tensor(np.asarray(v)))
            assert_close(t.grad.numpy(), numeric, rtol=1e-6, atol=1e-7, what=f"{name} input {k} vs finite differences")
        if jf is None:
            continue
        functional = fl.grad(lambda *a: jnp.sum(jf(*a) * jnp.asarray(ct)), argnums=k)(*[jnp.asarray(x) for x in xs])
        assert_close(t.grad.numpy(), np.asarray(functional), rtol=1e-12, atol=1e-14,
                     what=f"{name} input {k} vs fl.grad")


def test_grad_fn_names_and_next_functions() -> None:
    x = fl.tensor([1.0, 2.0], requires_grad=True)
    w = fl.tensor([3.0, 4.0], requires_grad=True)
    y = (x * w).sum()
    assert y.grad_fn.name() == "SumBackward0"
    (mul, _), = y.grad_fn.next_functions
    assert mul.name() == "MulBackward0"
    acc_x, acc_w = (n for n, _ in mul.next_functions)
    assert acc_x.name() == "AccumulateGrad" and acc_x.variable is x and acc_w.variable is w
    names = {
        "AddBackward0": x + w, "SubBackward0": x - w, "DivBackward0": x / w, "PowBackward0": x ** 2,
        "ExpBackward0": x.exp(), "MmBackward0": x.view(1, 2) @ w.view(2, 1), "ViewBackward0": x.view(2, 1),
        "TBackward0": x.view(1, 2).t(), "MeanBackward0": x.mean(), "SelectBackward0": x[0],
        "SliceBackward0": x[1:], "ExpandBackward0": x.expand(3, 2), "UnsqueezeBackward0": x.unsqueeze(0),
        "CatBackward0": fl.cat([x, w]), "CloneBackward0": x.clone(),
    }
    for want, t in names.items():
        assert t.grad_fn.name() == want
        assert repr(t).endswith(f"grad_fn=<{want}>)")


def test_no_recording_without_requires_grad_or_in_no_grad() -> None:
    x = fl.tensor([1.0, 2.0])
    assert (x * 2).grad_fn is None and not (x * 2).requires_grad
    w = fl.tensor([1.0, 2.0], requires_grad=True)
    with fl.no_grad():
        y = w * 2
    assert y.grad_fn is None and not y.requires_grad and y.is_leaf
    assert (w > 1).grad_fn is None and not (w > 1).requires_grad  # bool results carry no gradient
    assert w.argmax().grad_fn is None
    z = w.detach()
    assert not z.requires_grad and z.is_leaf and (z * 2).grad_fn is None
    z[0] = 5.0  # shares storage, as PyTorch's detach()
    assert w.tolist() == [5.0, 2.0]
