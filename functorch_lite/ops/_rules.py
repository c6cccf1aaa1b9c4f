"""Small helpers for writing differentiation and batching rules.

Rules are written with primitives (through ``bind``), so derivatives of
derivatives work: the ops a rule emits are themselves differentiable.
Operands passed here already have equal shapes/dtypes unless noted.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from functorch_lite.array import Array
from functorch_lite.core import PRIMITIVES, Primitive, ShapedArray, Zero, get_aval
from functorch_lite.ops.tables import VjpAll, batch_rules, jvp_rules, vjp_rules

__all__ = ["Zero", "get_aval"]

Deriv = Callable[..., Any]


def full_like(x: Any, value: float | int | bool) -> Array:
    """A concrete array of ``value`` with x's shape and dtype (a stride-0 view)."""
    return full_aval(get_aval(x), value)


def scalar_key(value: Any) -> tuple[Any, ...] | None:
    """A cache key for a scalar constant, or None when it must not be cached.

    Equal values are not always the same constant: ``1``, ``1.0`` and ``True``
    differ in type, and ``0.0 == -0.0`` although ``1 / -0.0`` is ``-inf`` (a
    cache keyed on equality alone would hand out ``-0.0`` for ``0.0``).  nan
    never equals itself, so a nan key could never hit again: None.

    Example:
        >>> scalar_key(0.0) == scalar_key(-0.0), scalar_key(1) == scalar_key(1.0)
        (False, False)
        >>> scalar_key(float("nan")) is None
        True
    """
    if isinstance(value, (float, np.floating)):
        if value != value:
            return None
        return (type(value), value, math.copysign(1.0, value))
    if isinstance(value, (complex, np.complexfloating)):
        if value != value:
            return None
        return (type(value), value, math.copysign(1.0, value.real), math.copysign(1.0, value.imag))
    return (type(value), value)


_FULL_CACHE: dict[tuple[Any, ...], Array] = {}
_FULL_CACHE_MAX = 2048
# dict reads are atomic; the lock makes "evict when full, then insert" one step, so
# concurrent first uses never grow the cache past its bound
_FULL_CACHE_LOCK = threading.Lock()


def full_aval(aval: ShapedArray, value: float | int | bool) -> Array:
    """``value`` broadcast (stride 0) to ``aval``; cached, since arrays are immutable.

    Example:
        >>> import numpy as np
        >>> from functorch_lite.core import ShapedArray
        >>> np.signbit(full_aval(ShapedArray((2,), np.dtype("float32")), -0.0)._numpy()).tolist()
        [True, True]
    """
    vkey = scalar_key(value)
    key = None if vkey is None else (vkey, aval.shape, aval.dtype, aval.weak_type)
    if key is not None:
        hit = _FULL_CACHE.get(key)
        if hit is not None:
            return hit
    base = Array._wrap(np.array(value, dtype=aval.dtype), aval.weak_type)
    out = base if not aval.shape else Array._unchecked(base._storage, aval.shape, (0,) * aval.ndim, 0, aval.weak_type)
    if key is not None:
        with _FULL_CACHE_LOCK:
            if len(_FULL_CACHE) >= _FULL_CACHE_MAX:
                _FULL_CACHE.clear()
            out = _FULL_CACHE.setdefault(key, out)
    return out


def _p(name: str) -> Primitive:
    return PRIMITIVES[name]


def add(a: Any, b: Any) -> Any:
    return _p("add").bind(a, b)


def sub(a: Any, b: Any) -> Any:
    return _p("sub").bind(a, b)


def mul(a: Any, b: Any) -> Any:
    return _p("mul").bind(a, b)


def div(a: Any, b: Any) -> Any:
    return _p("div").bind(a, b)


def neg(a: Any) -> Any:
    return _p("neg").bind(a)


def select(pred: Any, a: Any, b: Any) -> Any:
    return _p("select").bind(pred, a, b)


def eq(a: Any, b: Any) -> Any:
    return _p("eq").bind(a, b)


def convert(x: Any, dtype: np.dtype[Any], weak: bool = False) -> Any:
    aval = get_aval(x)
    if aval.dtype == dtype and aval.weak_type == weak:
        return x
    return _p("convert_element_type").bind(x, new_dtype=dtype, weak_type=weak)


def reduce_sum(x: Any, axes: Sequence[int]) -> Any:
    axes = tuple(axes)
    if not axes:
        return x
    return _p("reduce_sum").bind(x, axes=axes)


def broadcast(x: Any, shape: tuple[int, ...], dims: tuple[int, ...]) -> Any:
    if get_aval(x).shape == shape and dims == tuple(range(len(shape))):
        return x
    return _p("broadcast_in_dim").bind(x, shape=shape, broadcast_dimensions=dims)


def reshape(x: Any, shape: tuple[int, ...]) -> Any:
    if get_aval(x).shape == shape:
        return x
    return _p("reshape").bind(x, new_sizes=shape)


def transpose(x: Any, perm: Sequence[int]) -> Any:
    perm = tuple(perm)
    if perm == tuple(range(len(perm))):
        return x
    return _p("transpose").bind(x, permutation=perm)


def expand_dims(x: Any, dims: Sequence[int]) -> Any:
    dims = tuple(dims)
    if not dims:
        return x
    return _p("expand_dims").bind(x, dimensions=dims)


def squeeze(x: Any, dims: Sequence[int]) -> Any:
    dims = tuple(dims)
    if not dims:
        return x
    return _p("squeeze").bind(x, dimensions=dims)


def inverse_permutation(perm: Sequence[int]) -> tuple[int, ...]:
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return tuple(inv)


def is_float(x: Any) -> bool:
    """Whether ``x`` is differentiable: a real or complex floating-point value."""
    return bool(get_aval(x).dtype.kind in "fc")


def defderiv(prim: Primitive, *derivs: Deriv | None) -> None:
    """Elementwise rules from local derivatives: ``derivs[i](ans, *primals)``
    is d out / d primals[i] (same shape as the output), or None where the
    op does not depend differentiably on that argument.

    Adds ``prim``'s rows to ``jvp_rules`` (sum of tangent * derivative) and
    ``vjp_rules`` (one function per argument: cotangent * derivative).
    """

    def jvp(primals: Sequence[Any], tangents: Sequence[Any], **params: Any) -> tuple[Any, Any]:
        ans = prim.bind(*primals, **params)
        out_t: Any = None
        for d, t in zip(derivs, tangents):
            if d is None or isinstance(t, Zero):
                continue
            term = mul(t, d(ans, *primals))
            out_t = term if out_t is None else add(out_t, term)
        return ans, (Zero(get_aval(ans)) if out_t is None else out_t)

    def make_vjp(d: Deriv) -> Callable[..., Any]:
        return lambda ct, ans, *primals, **params: mul(ct, d(ans, *primals))

    jvp_rules[prim] = jvp
    vjp_rules[prim] = tuple(None if d is None else make_vjp(d) for d in derivs)


def deflinear(prim: Primitive, vjps: Sequence[Callable[..., Any] | None] = (), *,
              vjp_all: Callable[..., Any] | None = None) -> None:
    """Rules for an op linear in each differentiable argument: the tangent
    is the op applied to the tangents (zeros where symbolic).  The cotangents
    come from ``vjps`` (one rule per argument position) or, for an op with
    any number of operands, from ``vjp_all`` (every argument's at once)."""

    def jvp(primals: Sequence[Any], tangents: Sequence[Any], **params: Any) -> tuple[Any, Any]:
        ans = prim.bind(*primals, **params)
        if all(isinstance(t, Zero) for t in tangents):
            return ans, Zero(get_aval(ans))
        ts = [full_aval(t.aval, 0) if isinstance(t, Zero) else t for t in tangents]
        return ans, prim.bind(*ts, **params)

    jvp_rules[prim] = jvp
    if vjp_all is not None:
        vjp_rules[prim] = VjpAll(vjp_all)
    else:
        vjp_rules[prim] = tuple(vjps)


# --- batching helpers ----------------------------------------------------------------


def moveaxis(x: Any, src: int, dst: int) -> Any:
    nd = get_aval(x).ndim
    src %= nd
    dst %= nd
    if src == dst:
        return x
    perm = [i for i in range(nd) if i != src]
    perm.insert(dst, src)
    return transpose(x, perm)


def bdim_to_front(x: Any, d: int | None, size: int) -> Any:
    """x with its batch axis first; an unbatched x is broadcast to have one."""
    if d is None:
        aval = get_aval(x)
        return broadcast(x, (size,) + aval.shape, tuple(range(1, aval.ndim + 1)))
    return moveaxis(x, d, 0)


def batch_elementwise(prim: Primitive) -> None:
    """Batch rule of an op on equal-shaped operands: align the batch axes."""

    def rule(vals: Sequence[Any], dims: Sequence[int | None], *, axis_size: int, **params: Any) -> Any:
        batched = {d for d in dims if d is not None}
        if len(batched) == 1 and None not in dims:
            return prim.bind(*vals, **params), batched.pop()
        xs = [bdim_to_front(v, d, axis_size) for v, d in zip(vals, dims)]
        return prim.bind(*xs, **params), 0

    batch_rules[prim] = rule


def batch_front(prim: Primitive, shift: Callable[[dict[str, Any], int], dict[str, Any]]) -> None:
    """Batch rule of a unary op whose params name axes: move the batch axis
    to the front and let ``shift(params, size)`` renumber the axes."""

    def rule(vals: Sequence[Any], dims: Sequence[int | None], *, axis_size: int, **params: Any) -> Any:
        (x,), (d,) = vals, dims
        x = bdim_to_front(x, d, axis_size)
        return prim.bind(x, **shift(params, axis_size)), 0

    batch_rules[prim] = rule
