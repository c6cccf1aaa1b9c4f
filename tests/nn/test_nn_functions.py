"""functorch_lite.nn functions (jax.nn's) against NumPy formulas: values and
closed-form derivatives in float64, jit == eager, vmap == loop; initializers'
statistics and determinism."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import nn, random

X = np.array([-7.5, -2.0, -1.0, -0.3, 0.0, 0.4, 1.0, 2.5, 6.0, 8.0])


def _sig(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


_ERF = np.vectorize(math.erf)
SELU_A, SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

NpFn = Callable[[np.ndarray], np.ndarray]
# name -> (function, NumPy value, NumPy derivative)
CASES: dict[str, tuple[Callable[[Any], Any], NpFn, NpFn]] = {
    "relu": (nn.relu, lambda x: np.maximum(x, 0), lambda x: (x > 0) * 1.0),
    "relu6": (nn.relu6, lambda x: np.clip(x, 0, 6), lambda x: ((x > 0) & (x < 6)) * 1.0),
    "sigmoid": (nn.sigmoid, _sig, lambda x: _sig(x) * (1 - _sig(x))),
    "softplus": (nn.softplus, lambda x: np.logaddexp(x, 0), _sig),
    "log_sigmoid": (nn.log_sigmoid, lambda x: -np.logaddexp(-x, 0), lambda x: 1 - _sig(x)),
    "silu": (nn.silu, lambda x: x * _sig(x), lambda x: _sig(x) * (1 + x * (1 - _sig(x)))),
    "gelu_tanh": (nn.gelu,
                  lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
                  lambda x: (0.5 * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
                             + 0.5 * x * (1 - np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)) ** 2)
                             * math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * x**2))),
    "gelu_exact": (lambda x: nn.gelu(x, approximate=False),
                   lambda x: 0.5 * x * (1 + _ERF(x / math.sqrt(2))),
                   lambda x: 0.5 * (1 + _ERF(x / math.sqrt(2))) + x * np.exp(-x * x / 2) / math.sqrt(2 * math.pi)),
    "elu": (nn.elu, lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))), lambda x: np.where(x > 0, 1, np.exp(x))),
    "selu": (nn.selu, lambda x: SELU_S * np.where(x > 0, x, SELU_A * np.expm1(np.minimum(x, 0))),
             lambda x: SELU_S * np.where(x > 0, 1, SELU_A * np.exp(x))),
    "celu": (lambda x: nn.celu(x, 2.0), lambda x: np.where(x > 0, x, 2 * np.expm1(np.minimum(x, 0) / 2)),
             lambda x: np.where(x > 0, 1, np.exp(x / 2))),
    "leaky_relu": (lambda x: nn.leaky_relu(x, 0.1), lambda x: np.where(x >= 0, x, 0.1 * x),
                   lambda x: np.where(x >= 0, 1.0, 0.1)),
    "hard_tanh": (nn.hard_tanh, lambda x: np.clip(x, -1, 1), lambda x: ((x >= -1) & (x <= 1)) * 1.0),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_derivatives_float64(name: str) -> None:
    f, value, deriv = CASES[name]
    x = jnp.array(X)
    np.testing.assert_allclose(np.asarray(f(x)), value(X), rtol=1e-12, atol=1e-14)
    g = fl.vmap(fl.grad(f))(x)
    np.testing.assert_allclose(np.asarray(g), deriv(X), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_float32_jit_and_vmap_agree_with_eager(name: str) -> None:
    f = CASES[name][0]
    x = jnp.array(X.reshape(2, 5).astype(np.float32))
    eager = np.asarray(f(x))
    assert eager.dtype == np.float32
    np.testing.assert_allclose(np.asarray(fl.jit(f)(x)), eager, rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(np.asarray(fl.vmap(f)(x)), np.stack([np.asarray(f(r)) for r in x]), rtol=2e-6,
                               atol=1e-7)


def test_extremes_stay_finite() -> None:
    big = jnp.array([-1e4, -100.0, 100.0, 1e4])
    for name in ("sigmoid", "softplus", "log_sigmoid", "silu", "elu", "selu", "celu", "gelu_tanh"):
        f = CASES[name][0]
        assert np.isfinite(np.asarray(f(big))).all(), name
        assert np.isfinite(np.asarray(fl.vmap(fl.grad(f))(big))).all(), name


def test_glu_and_softmax_family() -> None:
    x = np.arange(12.0).reshape(3, 4) / 5 - 1
    np.testing.assert_allclose(np.asarray(nn.glu(jnp.array(x))), x[:, :2] * _sig(x[:, 2:]), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(nn.glu(jnp.array(x[:2]), axis=0)), x[:1] * _sig(x[1:2]), rtol=1e-12)
    with pytest.raises(ValueError, match="odd size 3"):
        nn.glu(jnp.array(x), axis=0)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    np.testing.assert_allclose(np.asarray(nn.softmax(jnp.array(x))), e / e.sum(1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(nn.log_softmax(jnp.array(x), axis=0)),
                               x - np.log(np.exp(x).sum(0, keepdims=True)), rtol=1e-12)
    np.testing.assert_allclose(float(nn.logsumexp(jnp.array(x))), np.log(np.exp(x).sum()), rtol=1e-12)


def test_one_hot() -> None:
    labels = np.array([[0, 3], [-1, 2]])
    out = np.asarray(nn.one_hot(jnp.array(labels), 3))
    want = (labels[..., None] == np.arange(3)).astype(np.float32)
    np.testing.assert_array_equal(out, want)
    assert out.dtype == np.float32
    front = np.asarray(nn.one_hot(jnp.array(labels), 3, axis=0, dtype=jnp.int32))
    np.testing.assert_array_equal(front, np.moveaxis(want, -1, 0).astype(np.int32))
    with pytest.raises(TypeError, match="num_classes"):
        nn.one_hot(jnp.array([1]), 2.5)  # type: ignore[arg-type]
    jitted = fl.jit(lambda y: nn.one_hot(y, 4))(jnp.array([1, 3]))
    np.testing.assert_array_equal(np.asarray(jitted), np.eye(4, dtype=np.float32)[[1, 3]])


def test_standardize() -> None:
    x = np.random.default_rng(0).normal(size=(4, 6))
    out = np.asarray(nn.standardize(jnp.array(x)))
    m = x.mean(-1, keepdims=True)
    v = (x * x).mean(-1, keepdims=True) - m * m
    np.testing.assert_allclose(out, (x - m) / np.sqrt(v + 1e-5), rtol=1e-10)


def _attention_ref(q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None, causal: bool) -> np.ndarray:
    n, kh = q.shape[2], k.shape[2]
    k = np.repeat(k, n // kh, axis=2)
    v = np.repeat(v, n // kh, axis=2)
    logits = np.einsum("btnh,bsnh->bnts", q, k) / math.sqrt(q.shape[3])
    keep = np.ones(logits.shape, bool)
    if mask is not None:
        keep &= mask
    if causal:
        keep &= np.tril(np.ones(logits.shape[-2:], bool))
    logits = np.where(keep, logits, np.finfo(logits.dtype).min)
    w = np.exp(logits - logits.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    return np.einsum("bnts,bsnh->btnh", w, v)


@pytest.mark.parametrize("heads_kv,causal,masked", [(4, False, False), (2, True, False), (1, False, True)])
def test_dot_product_attention(heads_kv: int, causal: bool, masked: bool) -> None:
    rng = np.random.default_rng(1)
    q = rng.normal(size=(2, 5, 4, 3))
    k = rng.normal(size=(2, 5, heads_kv, 3))
    v = rng.normal(size=(2, 5, heads_kv, 3))
    mask = rng.random((2, 1, 5, 5)) > 0.3 if masked else None
    if mask is not None:
        mask[..., 0] = True  # every query keeps at least one key
    got = nn.dot_product_attention(jnp.array(q), jnp.array(k), jnp.array(v),
                                   mask=None if mask is None else jnp.array(mask), is_causal=causal)
    np.testing.assert_allclose(np.asarray(got), _attention_ref(q, k, v, mask, causal), rtol=1e-10, atol=1e-12)
    unbatched = nn.dot_product_attention(jnp.array(q[0]), jnp.array(k[0]), jnp.array(v[0]), is_causal=causal,
                                         mask=None if mask is None else jnp.array(mask[0]))
    np.testing.assert_allclose(np.asarray(unbatched), _attention_ref(q[:1], k[:1], v[:1],
                                                                      None if mask is None else mask[:1], causal)[0],
                               rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="K dividing N"):
        nn.dot_product_attention(jnp.array(q), jnp.array(k[:, :, :1, :2]), jnp.array(v[:, :, :1, :2]))


def test_attention_gradient_matches_jit() -> None:
    rng = np.random.default_rng(2)
    q, k, v = (jnp.array(rng.normal(size=(1, 3, 2, 4))) for _ in range(3))

    def loss(q: Any) -> Any:
        return jnp.sum(nn.dot_product_attention(q, k, v, is_causal=True) ** 2)

    g = np.asarray(fl.grad(loss)(q))
    np.testing.assert_allclose(np.asarray(fl.jit(fl.grad(loss))(q)), g, rtol=1e-10)
    assert np.abs(g).sum() > 0


# --- initializers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name,scale,mode", [
    ("glorot_uniform", 1.0, "fan_avg"), ("glorot_normal", 1.0, "fan_avg"), ("he_uniform", 2.0, "fan_in"),
    ("he_normal", 2.0, "fan_in"), ("lecun_uniform", 1.0, "fan_in"), ("lecun_normal", 1.0, "fan_in"),
])
def test_variance_scaling_family(name: str, scale: float, mode: str) -> None:
    shape = (300, 200)
    init = getattr(nn.initializers, name)()
    w = np.asarray(init(random.key(3), shape))
    assert w.shape == shape and w.dtype == np.float32
    fan = {"fan_in": 300, "fan_avg": 250}[mode]
    assert w.var() == pytest.approx(scale / fan, rel=0.05)
    assert abs(w.mean()) < 0.01
    np.testing.assert_array_equal(w, np.asarray(init(random.key(3), shape)))  # same key, same values
    assert not np.array_equal(w, np.asarray(init(random.key(4), shape)))
    if "uniform" in name:
        assert np.abs(w).max() <= math.sqrt(3 * scale / fan) + 1e-6
    else:
        assert np.abs(w).max() <= 2 * math.sqrt(scale / fan) / 0.87962566103423978 + 1e-6


def test_receptive_field_counts_in_fans() -> None:
    w = np.asarray(nn.initializers.variance_scaling(1.0, "fan_in", "normal")(random.key(0), (3, 3, 40, 50)))
    assert w.var() == pytest.approx(1.0 / (3 * 3 * 40), rel=0.05)


def test_simple_initializers() -> None:
    assert np.asarray(nn.initializers.zeros(random.key(0), (2, 3))).sum() == 0
    np.testing.assert_array_equal(np.asarray(nn.initializers.ones(None, (2,), jnp.float64)), [1.0, 1.0])
    np.testing.assert_array_equal(np.asarray(nn.initializers.constant(-2.0)(None, (2,))), [-2.0, -2.0])
    u = np.asarray(nn.initializers.uniform(0.5)(random.key(0), (1000,)))
    assert u.min() >= 0 and u.max() < 0.5
    n = np.asarray(nn.initializers.normal(0.1)(random.key(0), (4000,)))
    assert n.std() == pytest.approx(0.1, rel=0.05)
    with pytest.raises(ValueError, match="mode"):
        nn.initializers.variance_scaling(1.0, "fan", "normal")
    with pytest.raises(ValueError, match="scalar shape"):
        nn.initializers.lecun_normal()(random.key(0), ())


def test_loss_grad_fn_names_are_pytorchs() -> None:
    import functorch_lite as fl
    import functorch_lite.nn.functional as F

    x, t = fl.rand(3, requires_grad=True), fl.rand(3)
    expected = {  # as PyTorch 2.x prints them, for reductions mean, sum, none
        "mse_loss": ["MseLossBackward0"] * 3,
        "l1_loss": ["MeanBackward0", "SumBackward0", "AbsBackward0"],
        "smooth_l1_loss": ["SmoothL1LossBackward0"] * 3,
        "binary_cross_entropy": ["BinaryCrossEntropyBackward0"] * 3,
        "binary_cross_entropy_with_logits": ["BinaryCrossEntropyWithLogitsBackward0"] * 3,
    }
    for name, names in expected.items():
        assert [getattr(F, name)(x, t, reduction=r).grad_fn.name() for r in ("mean", "sum", "none")] == names
    logits = fl.rand(2, 3, requires_grad=True)
    assert F.cross_entropy(logits, fl.tensor([0, 2])).grad_fn.name() == "NllLossBackward0"
    assert F.log_softmax(logits, 1).grad_fn.name() == "LogSoftmaxBackward0"


def test_linear_compiled_op_matches_matmul_for_every_layout() -> None:
    import numpy as np

    import functorch_lite as fl
    import functorch_lite.nn.functional as F

    rng = np.random.default_rng(5)
    w_np = rng.standard_normal((4, 3))
    for x_shape in ((3,), (2, 3), (2, 5, 3)):
        for with_bias in (True, False):
            x_np = rng.standard_normal(x_shape)
            b_np = rng.standard_normal(4)
            x = fl.tensor(x_np, requires_grad=True)
            w = fl.tensor(w_np, requires_grad=True)
            b = fl.tensor(b_np, requires_grad=True) if with_bias else None
            out = F.linear(x, w, b)
            ref = x_np @ w_np.T + (b_np if with_bias else 0)
            np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-12)
            (out * out).sum().backward()
            g = 2 * ref
            np.testing.assert_allclose(w.grad.numpy(), g.reshape(-1, 4).T @ x_np.reshape(-1, 3), rtol=1e-10)
            np.testing.assert_allclose(x.grad.numpy(), g @ w_np, rtol=1e-10)
            if b is not None:
                np.testing.assert_allclose(b.grad.numpy(), g.reshape(-1, 4).sum(0), rtol=1e-10)
            assert w.grad.is_contiguous()  # PyTorch's gradient layout contract
    frozen = fl.tensor(rng.standard_normal((2, 3)))
    w = fl.tensor(w_np, requires_grad=True)
    F.linear(frozen, w).sum().backward()  # only the weight's cotangent is computed
    assert frozen.grad is None and w.grad is not None


def test_compiled_activations_match_their_formulas_and_gradients() -> None:
    import numpy as np
    from scipy.special import erf

    import functorch_lite as fl
    import functorch_lite.nn.functional as F

    rng = np.random.default_rng(8)
    for shape in ((5,), (80, 70)):  # below and above the compiled-op threshold
        x = rng.standard_normal(shape)
        c = 1 / np.sqrt(2)
        cases = {
            "relu": (lambda t: F.relu(t), np.maximum(x, 0), (x > 0).astype(float)),
            "gelu": (lambda t: F.gelu(t), 0.5 * x * (1 + erf(x * c)),
                     0.5 * (1 + erf(x * c)) + x * np.exp(-x * x / 2) / np.sqrt(2 * np.pi)),
            "silu": (lambda t: F.silu(t), x / (1 + np.exp(-x)),
                     (1 + np.exp(-x) + x * np.exp(-x)) / (1 + np.exp(-x)) ** 2),
        }
        for name, (f, value, slope) in cases.items():
            t = fl.tensor(x, requires_grad=True)
            y = f(t)
            y.sum().backward()
            np.testing.assert_allclose(y.detach().numpy(), value, rtol=1e-12, atol=1e-14, err_msg=name)
            np.testing.assert_allclose(t.grad.numpy(), slope, rtol=1e-10, atol=1e-12, err_msg=name)
