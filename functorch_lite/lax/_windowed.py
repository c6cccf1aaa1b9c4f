"""``lax.reduce_window``: reductions over (padded, strided, dilated) windows.

JAX's signature and semantics, for the monoids pooling needs: sum
(``lax.add``/``jnp.add``), max (``lax.max``/``jnp.maximum``) and min
(``lax.min``/``jnp.minimum``).  Each window's result is
``init_value ⊕ (⊕ of the window's elements)``: padding and base-dilation
holes contribute nothing, and ``init_value`` counts once per window (so the
identity, 0 / -inf / +inf, gives the plain windowed reduction; integer
operands take ``-inf``/``+inf`` as their lowest/highest value).  Everything
is differentiable (to any order), batchable and jittable: see
:mod:`functorch_lite.ops.windowed` for the primitives and their rules.  The
derivative of a max/min window goes to its first extreme element in
row-major window order (PyTorch's ``max_pool`` choice on ties).

Example (2x2 max pooling, stride 2, of an NCHW batch):
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite import lax
    >>> x = jnp.arange(16.0).reshape(1, 1, 4, 4)
    >>> lax.reduce_window(x, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID").tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import functorch_lite.numpy as jnp
from functorch_lite.array import Array
from functorch_lite.core import Tracer, get_aval
from functorch_lite.lax import _elementwise as lew
from functorch_lite.ops import windowed as w
from functorch_lite.ops.kernels import windowed as kw

__all__ = ["reduce_window", "reduce_window_shape_tuple"]

_MONOIDS: dict[Any, str] = {
    lew.add: "sum", jnp.add: "sum",
    lew.max: "max", jnp.maximum: "max",
    lew.min: "min", jnp.minimum: "min",
}
_PRIMS = {"sum": w.reduce_window_sum_p, "max": w.reduce_window_max_p, "min": w.reduce_window_min_p}
_SUPPORTED = "lax.add, lax.max, lax.min (or jnp.add, jnp.maximum, jnp.minimum)"


def _ints(name: str, v: Any, n: int, default: int) -> tuple[int, ...]:
    if v is None:
        return (default,) * n
    try:
        out = tuple(operator.index(a) for a in v)
    except TypeError:
        raise TypeError(f"reduce_window: {name} must be a sequence of integers, got {v!r}") from None
    if len(out) != n:
        raise TypeError(
            f"reduce_window: {name} {out} has {len(out)} entries but window_dimensions has {n}; "
            "give one per operand axis"
        )
    return out


def _pads(shape: tuple[int, ...], window: tuple[int, ...], strides: tuple[int, ...],
          padding: Any) -> tuple[tuple[int, int], ...]:
    """Explicit (low, high) pairs from 'SAME'/'SAME_LOWER'/'VALID' (JAX's
    ``padtype_to_pads`` on the dilated window) or from a sequence of pairs."""
    if isinstance(padding, str):
        mode = padding.upper()
        if mode == "VALID":
            return ((0, 0),) * len(shape)
        if mode not in ("SAME", "SAME_LOWER"):
            raise ValueError(
                f"reduce_window: padding must be 'SAME', 'SAME_LOWER', 'VALID' or (low, high) pairs, got {padding!r}"
            )
        pads = []
        for n, k, s in zip(shape, window, strides):
            total = max(0, (-(-n // s) - 1) * s + k - n)
            lo = total // 2 if mode == "SAME" else total - total // 2
            pads.append((lo, total - lo))
        return tuple(pads)
    try:
        pairs = tuple((operator.index(lo), operator.index(hi)) for lo, hi in padding)
    except (TypeError, ValueError):
        raise TypeError(
            f"reduce_window: padding must be 'SAME', 'SAME_LOWER', 'VALID' or a sequence of (low, high) integer "
            f"pairs, got {padding!r}"
        ) from None
    if len(pairs) != len(shape):
        raise TypeError(f"reduce_window: padding {pairs} needs one (low, high) pair per operand axis ({len(shape)})")
    return pairs


def reduce_window_shape_tuple(operand_shape: Sequence[int], window_dimensions: Sequence[int],
                              window_strides: Sequence[int], padding: Sequence[tuple[int, int]],
                              base_dilation: Sequence[int] | None = None,
                              window_dilation: Sequence[int] | None = None) -> tuple[int, ...]:
    """The output shape of :func:`reduce_window` (JAX's function of that name).

    Example:
        >>> reduce_window_shape_tuple((8, 28, 28), (1, 3, 3), (1, 2, 2), ((0, 0), (1, 1), (1, 1)))
        (8, 14, 14)
    """
    n = len(window_dimensions)
    bd = _ints("base_dilation", base_dilation, n, 1)
    wd = _ints("window_dilation", window_dilation, n, 1)
    pads = [(int(lo), int(hi)) for lo, hi in padding]
    return tuple(kw.out_size(int(d), (int(k), int(s), lo, hi, b, r))
                 for d, k, s, (lo, hi), b, r in zip(operand_shape, window_dimensions, window_strides, pads, bd, wd))


def _concrete_scalar(v: Any) -> Any:
    """The value of a concrete scalar init (a Python/NumPy scalar or a
    concrete 0-d array), else None (a traced init)."""
    if isinstance(v, Tracer):
        return None
    if isinstance(v, (bool, int, float, np.generic)):
        return v
    if isinstance(v, (Array, np.ndarray)) and v.shape == ():
        return np.asarray(v).item()
    return None


def _init_in(dtype: np.dtype[Any], op: str, value: Any) -> tuple[Any, bool]:
    """``value`` in the operand dtype, and whether it is the monoid's identity."""
    ident = kw.identity(op, dtype)
    if dtype.kind in "iub" and isinstance(value, float) and math.isinf(value):
        # -inf/+inf: the integer's lowest/highest value (JAX's identities)
        value = kw.identity("max" if value < 0 else "min", dtype)
    if dtype.kind in "iub" and isinstance(value, float) and math.isnan(value):
        raise ValueError(f"reduce_window: init_value nan cannot be represented in the operand dtype {dtype}")
    cast = np.asarray(value).astype(dtype).item() if dtype.kind != "b" else bool(value)
    return cast, bool(cast == ident)


def reduce_window(operand: Any, init_value: Any, computation: Callable[[Any, Any], Any],
                  window_dimensions: Sequence[int], window_strides: Sequence[int] | None = None,
                  padding: str | Sequence[tuple[int, int]] = "VALID", base_dilation: Sequence[int] | None = None,
                  window_dilation: Sequence[int] | None = None) -> Array:
    """Reduce every window of ``operand`` with ``computation`` (JAX's
    ``lax.reduce_window`` for the sum/max/min monoids).

    Args:
        operand: an array (pytrees of operands are not supported).
        init_value: a scalar: each window's result is ``init_value ⊕
            reduce(window)``; the identity (0 for add, ``-inf`` for max,
            ``+inf`` for min) gives the plain reduction.
        computation: ``lax.add``, ``lax.max`` or ``lax.min`` (also
            ``jnp.add``, ``jnp.maximum``, ``jnp.minimum``).
        window_dimensions: window size per operand axis (1 where no window).
        window_strides: step per axis (default 1).
        padding: ``"VALID"``, ``"SAME"``, ``"SAME_LOWER"`` or ``(low, high)``
            pairs (negative crops).  Padding never contributes to a window.
        base_dilation: operand dilation per axis (default 1).
        window_dilation: window dilation per axis (default 1).

    Returns:
        An array of the operand's dtype and shape
        :func:`reduce_window_shape_tuple`.

    Example (3x3 window sums, stride 1, zero padding 1: average pooling divides by 9):
        >>> import functorch_lite.numpy as jnp
        >>> from functorch_lite import lax
        >>> x = jnp.ones((3, 3))
        >>> lax.reduce_window(x, 0.0, lax.add, (3, 3), (1, 1), "SAME").tolist()
        [[4.0, 6.0, 4.0], [6.0, 9.0, 6.0], [4.0, 6.0, 4.0]]
    """
    op = _MONOIDS.get(computation)
    if op is None:
        raise TypeError(
            f"reduce_window: computation must be one of {_SUPPORTED}, got {computation!r}; "
            "other reductions over windows are not supported"
        )
    if isinstance(operand, (list, tuple, dict)):
        raise TypeError(
            "reduce_window: operand must be one array; pytrees of operands are not supported "
            "(call reduce_window once per array)"
        )
    x = jnp.asarray(operand)
    aval = get_aval(x)
    try:
        n = len(window_dimensions)
    except TypeError:
        raise TypeError(f"reduce_window: window_dimensions must be a sequence of integers, got "
                        f"{window_dimensions!r}") from None
    if n != aval.ndim:
        raise TypeError(
            f"reduce_window: got {n} window_dimensions {tuple(window_dimensions)} for an operand of shape "
            f"{aval.shape}; give one per axis (1 for an axis the window does not cover)"
        )
    wdims = _ints("window_dimensions", window_dimensions, n, 1)
    strides = _ints("window_strides", window_strides, n, 1)
    bd = _ints("base_dilation", base_dilation, n, 1)
    wd = _ints("window_dilation", window_dilation, n, 1)
    dilated_window = tuple((k - 1) * r + 1 for k, r in zip(wdims, wd))
    pads = _pads(aval.shape, dilated_window, strides, padding)
    if op == "sum" and aval.dtype.kind == "b":
        raise TypeError(
            "reduce_window: lax.add over a boolean operand is not supported; use lax.max (logical or), "
            "lax.min (logical and), or convert the operand to an integer dtype"
        )
    out = _PRIMS[op].bind(x, window_dimensions=wdims, window_strides=strides, padding=pads, base_dilation=bd,
                          window_dilation=wd)
    value = _concrete_scalar(init_value)
    if value is not None:
        cast, is_ident = _init_in(aval.dtype, op, value)
        if is_ident:
            result: Array = out
            return result
        init: Any = jnp.asarray(cast, dtype=aval.dtype)
    else:
        init = jnp.asarray(init_value)
        iv = get_aval(init)
        if iv.shape != ():
            raise TypeError(f"reduce_window: init_value must be a scalar, got shape {iv.shape}")
        if iv.dtype != aval.dtype:
            init = init.astype(aval.dtype)
    if op == "sum":
        result = jnp.add(out, init)
        return result
    return (jnp.maximum if op == "max" else jnp.minimum)(out, init)
