"""Cumulative (scan) primitives: ``cumsum``, ``cumprod``, ``cummax``, ``cummin``.

Each scans one ``axis`` of its operand, from the end when ``reverse``, and
keeps the operand's shape and dtype (accumulation dtypes are the API's
business: ``jnp.cumsum`` converts small integers to int32 first).  As in
JAX there is one primitive per operation, so each keeps its own
differentiation rules; they share one builder and one Numba kernel.
``cummax``/``cummin`` propagate NaN; they also accept booleans (or/and).

Example:
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite.ops.cumulative import cumsum_p
    >>> cumsum_p.bind(jnp.array([1, 2, 3]), axis=0, reverse=True).tolist()
    [6, 5, 3]
"""

from __future__ import annotations

from functorch_lite.array import Array
from functorch_lite.core import Primitive, ShapedArray
from functorch_lite.ops.kernels import cumulative as k

CUMULATIVE: dict[str, Primitive] = {}

_KIND_WORDS = {"iuf": "a numeric (non-boolean) array", "biuf": "an array"}


def scanner(name: str, op: str, kinds: str) -> Primitive:
    """Declare a cumulative primitive ``name`` running ``op`` along ``axis``."""
    p = Primitive(name)

    def abstract_eval(x: ShapedArray, *, axis: int, reverse: bool) -> ShapedArray:
        if x.dtype.kind not in kinds:
            raise TypeError(f"{name}: expected {_KIND_WORDS[kinds]}, got dtype {x.dtype}")
        if not isinstance(axis, int) or not 0 <= axis < x.ndim:
            raise ValueError(
                f"{name}: axis {axis} is out of bounds for {x.str_short()} with {x.ndim} dimensions"
            )
        return ShapedArray(x.shape, x.dtype, x.weak_type)

    def impl(x: Array, *, axis: int, reverse: bool) -> Array:
        abstract_eval(ShapedArray(x.shape, x.dtype, x.weak_type), axis=axis, reverse=reverse)
        out = k.cumulative(x.storage().numpy(), x._offset, x.shape, x._strides, axis, op, bool(reverse))
        return Array._wrap(out, x.weak_type)

    p.impl = impl
    p.abstract_eval = abstract_eval
    CUMULATIVE[name] = p
    return p


cumsum_p = scanner("cumsum", "sum", "iuf")
cumprod_p = scanner("cumprod", "prod", "iuf")
cummax_p = scanner("cummax", "max", "biuf")
cummin_p = scanner("cummin", "min", "biuf")
