"""Activation and utility functions on Arrays, as ``jax.nn``.

Each is composed from ``functorch_lite.numpy`` ops, so ``grad``, ``vmap``
and ``jit`` apply, and where a kink has a conventional derivative the
composition gives JAX's: ``relu``'s derivative at 0 is 0, ``relu6``'s is 0 at
both kinks, ``leaky_relu``'s at 0 is 1.  Branches are written so the branch
not taken never produces an inf or nan that a ``where`` would turn into a nan
gradient.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from functorch_lite import numpy as jnp
from functorch_lite.array import Array
from functorch_lite.scipy.special import erf, expit, log_softmax, softmax

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _float(x: Any) -> Any:
    a = jnp.asarray(x)
    return a if a.dtype.kind == "f" else a.astype(np.float32)


def relu(x: Any) -> Array:
    """``max(x, 0)``; its derivative at 0 is 0 (as JAX).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> relu(jnp.array([-1.0, 0.0, 2.0])).tolist()
        [0.0, 0.0, 2.0]
    """
    x = jnp.asarray(x)
    out: Array = jnp.where(x > 0, x, jnp.zeros_like(x))
    return out


def relu6(x: Any) -> Array:
    """``min(max(x, 0), 6)``; derivative 0 outside ``(0, 6)``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> relu6(jnp.array([-1.0, 3.0, 9.0])).tolist()
        [0.0, 3.0, 6.0]
    """
    x = jnp.asarray(x)
    inside = (x > 0) & (x < 6)
    out: Array = jnp.where(inside, x, jnp.where(x >= 6, jnp.full_like(x, 6), jnp.zeros_like(x)))
    return out


def sigmoid(x: Any) -> Array:
    """The logistic function ``1 / (1 + exp(-x))``, as ``(tanh(x/2) + 1) / 2``:
    no overflow for large ``|x|`` and a finite derivative everywhere.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> sigmoid(jnp.array([0.0, 1000.0, -1000.0])).tolist()
        [0.5, 1.0, 0.0]
    """
    return expit(x)


def softplus(x: Any) -> Array:
    """``log(1 + exp(x))``, computed as ``logaddexp(x, 0)``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> [round(v, 4) for v in softplus(jnp.array([0.0, 100.0])).tolist()]
        [0.6931, 100.0]
    """
    x = _float(x)
    out: Array = jnp.logaddexp(x, jnp.zeros_like(x))
    return out


def log_sigmoid(x: Any) -> Array:
    """``log(sigmoid(x)) = -softplus(-x)``, stable for large ``|x|``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> [round(v, 4) for v in log_sigmoid(jnp.array([0.0, -100.0])).tolist()]
        [-0.6931, -100.0]
    """
    return -softplus(-_float(x))


def silu(x: Any) -> Array:
    """``x * sigmoid(x)`` (also called swish).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> [round(v, 4) for v in silu(jnp.array([0.0, 1.0])).tolist()]
        [0.0, 0.7311]
    """
    x = _float(x)
    out: Array = x * sigmoid(x)
    return out


swish = silu


def gelu(x: Any, approximate: bool = True) -> Array:
    """The Gaussian error linear unit; ``approximate=True`` (JAX's default) is the
    tanh form ``x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x**3)))``, otherwise
    the exact ``x/2 * (1 + erf(x / sqrt(2)))``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> [round(v, 4) for v in gelu(jnp.array([-1.0, 1.0])).tolist()]
        [-0.1588, 0.8412]
        >>> [round(v, 4) for v in gelu(jnp.array([-1.0, 1.0]), approximate=False).tolist()]
        [-0.1587, 0.8413]
    """
    x = _float(x)
    if approximate:
        c = math.sqrt(2.0 / math.pi)
        out: Array = 0.5 * x * (1.0 + jnp.tanh(c * (x + 0.044715 * (x * x * x))))
        return out
    exact: Array = 0.5 * x * (1.0 + erf(x * (1.0 / math.sqrt(2.0))))
    return exact


def elu(x: Any, alpha: float = 1.0) -> Array:
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> [round(v, 4) for v in elu(jnp.array([-1.0, 2.0])).tolist()]
        [-0.6321, 2.0]
    """
    x = _float(x)
    neg = jnp.where(x > 0, jnp.zeros_like(x), x)  # the branch not taken stays finite
    out: Array = jnp.where(x > 0, x, alpha * jnp.expm1(neg))
    return out


def selu(x: Any) -> Array:
    """Scaled ELU with the self-normalising constants of Klambauer et al.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> [round(v, 4) for v in selu(jnp.array([-1.0, 1.0])).tolist()]
        [-1.1113, 1.0507]
    """
    return _SELU_SCALE * elu(x, _SELU_ALPHA)


def celu(x: Any, alpha: float = 1.0) -> Array:
    """``x`` for ``x > 0``, else ``alpha * (exp(x / alpha) - 1)``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> [round(v, 4) for v in celu(jnp.array([-1.0, 2.0]), alpha=2.0).tolist()]
        [-0.7869, 2.0]
    """
    x = _float(x)
    neg = jnp.where(x > 0, jnp.zeros_like(x), x)
    out: Array = jnp.where(x > 0, x, alpha * jnp.expm1(neg / alpha))
    return out


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Array:
    """``x`` for ``x >= 0``, else ``negative_slope * x``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> leaky_relu(jnp.array([-2.0, 3.0]), 0.5).tolist()
        [-1.0, 3.0]
    """
    x = _float(x)
    out: Array = jnp.where(x >= 0, x, negative_slope * x)
    return out


def hard_tanh(x: Any) -> Array:
    """``x`` clipped to ``[-1, 1]`` (derivative 0 outside).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> hard_tanh(jnp.array([-3.0, 0.5, 3.0])).tolist()
        [-1.0, 0.5, 1.0]
    """
    x = _float(x)
    out: Array = jnp.where(x > 1, jnp.ones_like(x), jnp.where(x < -1, -jnp.ones_like(x), x))
    return out


def glu(x: Any, axis: int = -1) -> Array:
    """Gated linear unit: split ``x`` in two halves along ``axis``, ``a * sigmoid(b)``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> [round(v, 4) for v in glu(jnp.array([2.0, 0.0])).tolist()]
        [1.0]
    """
    x = _float(x)
    size = x.shape[axis]
    if size % 2:
        raise ValueError(f"glu: axis {axis} of an array of shape {x.shape} has odd size {size}; it must split in two")
    a, b = jnp.split(x, 2, axis=axis)
    out: Array = a * sigmoid(b)
    return out


def logsumexp(a: Any, axis: int | tuple[int, ...] | None = None, b: Any = None, keepdims: bool = False) -> Array:
    """``log(sum(b * exp(a)))`` along ``axis`` without overflow.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> round(float(logsumexp(jnp.array([0.0, 0.0]))), 4)
        0.6931
    """
    out: Array = jnp.logsumexp(a, axis=axis, keepdims=keepdims, b=b)
    return out


def one_hot(x: Any, num_classes: int, *, dtype: Any = None, axis: int = -1) -> Array:
    """One-hot encoding: a new axis of length ``num_classes`` (at ``axis``) that is 1
    where it equals ``x``; out-of-range or negative labels give all zeros (as JAX).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> one_hot(jnp.array([2, 0, 5]), 3).tolist()
        [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    """
    if not isinstance(num_classes, (int, np.integer)) or isinstance(num_classes, bool) or num_classes < 0:
        raise TypeError(f"one_hot: num_classes must be a non-negative Python int, got {num_classes!r}")
    labels = jnp.asarray(x)
    dt = jnp.float32 if dtype is None else dtype
    nd = labels.ndim + 1
    ax = axis + nd if axis < 0 else axis
    if not 0 <= ax < nd:
        raise ValueError(f"one_hot: axis {axis} is out of range for a result with {nd} dimensions")
    classes = jnp.arange(int(num_classes)).reshape(tuple(-1 if i == ax else 1 for i in range(nd)))
    out: Array = (jnp.expand_dims(labels, ax) == classes).astype(dt)
    return out


def standardize(x: Any, axis: int | tuple[int, ...] | None = -1, mean: Any = None, variance: Any = None,
                epsilon: float = 1e-5) -> Array:
    """``(x - mean) / sqrt(variance + epsilon)``, the statistics taken along ``axis``
    unless given (``variance = mean(x**2) - mean(x)**2``, as JAX).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> [round(v, 3) for v in standardize(jnp.array([1.0, 3.0])).tolist()]
        [-1.0, 1.0]
    """
    x = _float(x)
    if mean is None:
        mean = jnp.mean(x, axis=axis, keepdims=True)
    if variance is None:
        variance = jnp.mean(x * x, axis=axis, keepdims=True) - mean * mean
    out: Array = (x - mean) * (1.0 / jnp.sqrt(variance + epsilon))
    return out


def dot_product_attention(query: Any, key: Any, value: Any, bias: Any = None, mask: Any = None, *,
                          scale: float | None = None, is_causal: bool = False) -> Array:
    """Scaled dot-product attention, ``softmax(q k^T * scale + bias) v``, on arrays
    shaped ``(B, T, N, H)`` (or ``(T, N, H)``): ``T`` query and ``S`` key positions,
    ``N`` query heads, ``H`` features.  ``key``/``value`` may have fewer heads
    ``K`` dividing ``N`` (grouped-query attention).  ``mask`` (boolean,
    broadcastable to ``(B, N, T, S)``) keeps the positions where it is True;
    ``is_causal`` keeps ``s <= t``.  ``scale`` defaults to ``1 / sqrt(H)``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> q = jnp.ones((1, 2, 1, 4)); v = jnp.array([[[[1.0] * 4]], [[[3.0] * 4]]])
        >>> dot_product_attention(q, q, v.reshape(1, 2, 1, 4)).shape
        (1, 2, 1, 4)
    """
    q, k, v = _float(query), _float(key), _float(value)
    squeeze = q.ndim == 3
    if squeeze:
        q, k, v = q[None], k[None], v[None]
    if q.ndim != 4 or k.ndim != 4 or v.ndim != 4:
        raise ValueError(f"dot_product_attention: query/key/value must be (B, T, N, H) or (T, N, H), got "
                         f"{query.shape}, {key.shape}, {value.shape}")
    n, heads = q.shape[2], k.shape[2]
    if k.shape != v.shape or q.shape[0] != k.shape[0] or q.shape[3] != k.shape[3] or heads == 0 or n % heads:
        raise ValueError(f"dot_product_attention: shapes query {query.shape}, key {key.shape}, value {value.shape} "
                         "do not fit (B, T, N, H) / (B, S, K, H) with K dividing N and equal key/value shapes")
    if heads != n:
        k, v = jnp.repeat(k, n // heads, axis=2), jnp.repeat(v, n // heads, axis=2)
    s = (1.0 / math.sqrt(q.shape[3])) if scale is None else scale
    logits = jnp.einsum("btnh,bsnh->bnts", q, k) * s
    if bias is not None:
        logits = logits + bias
    keep = None if mask is None else jnp.asarray(mask).astype(bool)
    if is_causal:
        causal = jnp.tril(jnp.ones((q.shape[1], k.shape[1]), dtype=bool))
        keep = causal if keep is None else keep & causal
    if keep is not None:
        logits = jnp.where(keep, logits, jnp.finfo(logits.dtype).min)
    out: Array = jnp.einsum("bnts,bsnh->btnh", softmax(logits, axis=-1), v)
    return out[0] if squeeze else out


__all__ = [
    "relu", "relu6", "sigmoid", "softplus", "log_sigmoid", "silu", "swish", "gelu", "elu", "selu", "celu",
    "leaky_relu", "hard_tanh", "glu", "softmax", "log_softmax", "logsumexp", "one_hot", "standardize",
    "dot_product_attention",
]
