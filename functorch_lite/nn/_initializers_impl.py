"""The implementation behind :mod:`functorch_lite.nn.initializers`, which re-exports its ``__all__``
(and whose docstring describes the module)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol

from functorch_lite import numpy as jnp
from functorch_lite import random
from functorch_lite.array import Array

# the standard deviation of a standard normal truncated to (-2, 2)
_TRUNCATED_STD = 0.87962566103423978


class Initializer(Protocol):
    def __call__(self, key: Any, shape: Sequence[int], dtype: Any = ...) -> Array: ...


def _shape(shape: Sequence[int]) -> tuple[int, ...]:
    out = tuple(int(d) for d in shape)
    if any(d < 0 for d in out):
        raise ValueError(f"initializer: shape {out} has a negative dimension")
    return out


def zeros(key: Any, shape: Sequence[int], dtype: Any = jnp.float32) -> Array:
    """All zeros (the key is ignored).

    Example:
        >>> zeros(None, (2,)).tolist()
        [0.0, 0.0]
    """
    out: Array = jnp.zeros(_shape(shape), dtype)
    return out


def ones(key: Any, shape: Sequence[int], dtype: Any = jnp.float32) -> Array:
    """All ones (the key is ignored).

    Example:
        >>> ones(None, (2,)).tolist()
        [1.0, 1.0]
    """
    out: Array = jnp.ones(_shape(shape), dtype)
    return out


def constant(value: Any, dtype: Any = jnp.float32) -> Initializer:
    """Every element ``value``.

    Example:
        >>> constant(0.5)(None, (2,)).tolist()
        [0.5, 0.5]
    """

    def init(key: Any, shape: Sequence[int], dtype: Any = dtype) -> Array:
        out: Array = jnp.full(_shape(shape), value, dtype)
        return out

    return init


def normal(stddev: float = 1e-2, dtype: Any = jnp.float32) -> Initializer:
    """Normal samples with mean 0 and standard deviation ``stddev``.

    Example:
        >>> from functorch_lite import random
        >>> normal(1.0)(random.key(0), (1000,)).std().item() > 0.9
        True
    """

    def init(key: Any, shape: Sequence[int], dtype: Any = dtype) -> Array:
        out: Array = random.normal(key, _shape(shape), dtype) * stddev
        return out

    return init


def uniform(scale: float = 1e-2, dtype: Any = jnp.float32) -> Initializer:
    """Uniform samples in ``[0, scale)``.

    Example:
        >>> from functorch_lite import random
        >>> x = uniform(2.0)(random.key(0), (100,))
        >>> bool((x >= 0).all() & (x < 2).all())
        True
    """

    def init(key: Any, shape: Sequence[int], dtype: Any = dtype) -> Array:
        out: Array = random.uniform(key, _shape(shape), dtype) * scale
        return out

    return init


def truncated_normal(stddev: float = 1e-2, dtype: Any = jnp.float32, lower: float = -2.0,
                     upper: float = 2.0) -> Initializer:
    """``stddev`` times a standard normal truncated to ``(lower, upper)``.

    Example:
        >>> from functorch_lite import random
        >>> bool((abs(truncated_normal(1.0)(random.key(0), (100,))) < 2).all())
        True
    """

    def init(key: Any, shape: Sequence[int], dtype: Any = dtype) -> Array:
        out: Array = random.truncated_normal(key, lower, upper, _shape(shape), dtype) * stddev
        return out

    return init


def _fans(shape: tuple[int, ...], in_axis: int | Sequence[int], out_axis: int | Sequence[int]) -> tuple[float, float]:
    if len(shape) < 1:
        raise ValueError("variance_scaling: a scalar shape has no fan in or fan out; give at least one dimension")
    nd = len(shape)
    ins = [a % nd for a in ((in_axis,) if isinstance(in_axis, int) else in_axis)]
    outs = [a % nd for a in ((out_axis,) if isinstance(out_axis, int) else out_axis)]
    receptive = math.prod(d for i, d in enumerate(shape) if i not in ins and i not in outs)
    return (math.prod(shape[i] for i in ins) * receptive, math.prod(shape[i] for i in outs) * receptive)


def variance_scaling(scale: float, mode: str, distribution: str, in_axis: int | Sequence[int] = -2,
                     out_axis: int | Sequence[int] = -1, dtype: Any = jnp.float32) -> Initializer:
    """Samples with variance ``scale / fan`` (``mode``: ``"fan_in"``, ``"fan_out"``
    or ``"fan_avg"``) from ``distribution``: ``"truncated_normal"``, ``"normal"`` or
    ``"uniform"``.

    Example:
        >>> from functorch_lite import random
        >>> w = variance_scaling(1.0, "fan_in", "normal")(random.key(1), (400, 300))
        >>> round(float(w.var() * 400), 1)
        1.0
    """
    if mode not in ("fan_in", "fan_out", "fan_avg"):
        raise ValueError(f"variance_scaling: mode must be 'fan_in', 'fan_out' or 'fan_avg', got {mode!r}")
    if distribution not in ("truncated_normal", "normal", "uniform"):
        raise ValueError("variance_scaling: distribution must be 'truncated_normal', 'normal' or 'uniform', "
                         f"got {distribution!r}")

    def init(key: Any, shape: Sequence[int], dtype: Any = dtype) -> Array:
        shp = _shape(shape)
        fan_in, fan_out = _fans(shp, in_axis, out_axis)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
        variance = scale / max(1.0, fan)
        out: Array
        if distribution == "truncated_normal":
            out = random.truncated_normal(key, -2.0, 2.0, shp, dtype) * (math.sqrt(variance) / _TRUNCATED_STD)
        elif distribution == "normal":
            out = random.normal(key, shp, dtype) * math.sqrt(variance)
        else:
            limit = math.sqrt(3.0 * variance)
            out = random.uniform(key, shp, dtype, -limit, limit)
        return out

    return init


def glorot_uniform(in_axis: int = -2, out_axis: int = -1, dtype: Any = jnp.float32) -> Initializer:
    """Glorot/Xavier uniform: ``variance_scaling(1.0, "fan_avg", "uniform")``.

    Example:
        >>> from functorch_lite import random
        >>> bool((abs(glorot_uniform()(random.key(0), (2, 4))) <= 1.0).all())
        True
    """
    return variance_scaling(1.0, "fan_avg", "uniform", in_axis, out_axis, dtype)


def glorot_normal(in_axis: int = -2, out_axis: int = -1, dtype: Any = jnp.float32) -> Initializer:
    """Glorot/Xavier normal: ``variance_scaling(1.0, "fan_avg", "truncated_normal")``.

    Example:
        >>> from functorch_lite import random
        >>> glorot_normal()(random.key(0), (2, 4)).shape
        (2, 4)
    """
    return variance_scaling(1.0, "fan_avg", "truncated_normal", in_axis, out_axis, dtype)


def he_uniform(in_axis: int = -2, out_axis: int = -1, dtype: Any = jnp.float32) -> Initializer:
    """He/Kaiming uniform: ``variance_scaling(2.0, "fan_in", "uniform")``.

    Example:
        >>> from functorch_lite import random
        >>> he_uniform()(random.key(0), (3, 2)).shape
        (3, 2)
    """
    return variance_scaling(2.0, "fan_in", "uniform", in_axis, out_axis, dtype)


def he_normal(in_axis: int = -2, out_axis: int = -1, dtype: Any = jnp.float32) -> Initializer:
    """He/Kaiming normal: ``variance_scaling(2.0, "fan_in", "truncated_normal")``.

    Example:
        >>> from functorch_lite import random
        >>> he_normal()(random.key(0), (3, 2)).shape
        (3, 2)
    """
    return variance_scaling(2.0, "fan_in", "truncated_normal", in_axis, out_axis, dtype)


def lecun_uniform(in_axis: int = -2, out_axis: int = -1, dtype: Any = jnp.float32) -> Initializer:
    """LeCun uniform: ``variance_scaling(1.0, "fan_in", "uniform")``.

    Example:
        >>> from functorch_lite import random
        >>> lecun_uniform()(random.key(0), (3, 2)).shape
        (3, 2)
    """
    return variance_scaling(1.0, "fan_in", "uniform", in_axis, out_axis, dtype)


def lecun_normal(in_axis: int = -2, out_axis: int = -1, dtype: Any = jnp.float32) -> Initializer:
    """LeCun normal: ``variance_scaling(1.0, "fan_in", "truncated_normal")``.

    Example:
        >>> from functorch_lite import random
        >>> lecun_normal()(random.key(0), (3, 2)).shape
        (3, 2)
    """
    return variance_scaling(1.0, "fan_in", "truncated_normal", in_axis, out_axis, dtype)


def orthogonal(scale: float = 1.0, column_axis: int = -1, dtype: Any = jnp.float32) -> Initializer:
    """A (semi-)orthogonal matrix times ``scale``, as ``jax.nn.initializers.orthogonal``:
    the shape is seen as a matrix whose columns run along ``column_axis`` (every other
    axis flattened into rows); the Q of the QR decomposition of a normal matrix, each
    column's sign (complex: phase) fixed by R's diagonal so the result is uniformly
    (Haar) distributed.  Orthonormal columns when there are at least as many rows as
    columns, orthonormal rows otherwise.

    Example:
        >>> from functorch_lite import random
        >>> import functorch_lite.numpy as jnp
        >>> w = orthogonal()(random.key(0), (4, 3))
        >>> bool(jnp.allclose(w.T @ w, jnp.eye(3), atol=1e-5))
        True
    """

    def init(key: Any, shape: Sequence[int], dtype: Any = dtype) -> Array:
        shp = _shape(shape)
        if len(shp) < 2:
            raise ValueError(f"orthogonal: the initializer needs at least a 2-D shape, got {shp}")
        if not -len(shp) <= column_axis < len(shp):
            raise ValueError(f"orthogonal: column_axis {column_axis} is out of range for shape {shp}")
        if 0 in shp:
            out0: Array = jnp.zeros(shp, dtype)
            return out0
        n_cols = shp[column_axis]
        n_rows = math.prod(shp) // n_cols
        a = random.normal(key, (n_cols, n_rows) if n_rows < n_cols else (n_rows, n_cols), dtype)
        q, r = jnp.linalg.qr(a)
        q = q * jnp.sign(jnp.diagonal(r))  # Haar: the column signs (phases) of Q made R's diagonal positive
        if n_rows < n_cols:
            q = q.T
        rest = tuple(d for i, d in enumerate(shp) if i != column_axis % len(shp))
        q = jnp.moveaxis(jnp.reshape(q, rest + (n_cols,)), -1, column_axis)
        out: Array = (q * scale).astype(q.dtype)
        return out

    return init


xavier_uniform = glorot_uniform
xavier_normal = glorot_normal
kaiming_uniform = he_uniform
kaiming_normal = he_normal

__all__ = [
    "Initializer", "zeros", "ones", "constant", "normal", "uniform", "truncated_normal", "variance_scaling",
    "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal", "orthogonal",
    "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
]
