"""Sorting primitives: ``sort``, ``argsort`` and ``searchsorted``.

``sort(x, dimension, descending)`` is stable and puts NaNs last (first when
descending, as JAX's reversed sort does); it keeps the operand dtype.
``argsort(x, dimension, descending, stable)`` gives ``index_dtype`` (the
default int) indices; a stable descending argsort keeps equal elements in
their original order.  Both act along one axis, so they stay closed under
batching (a batch axis just shifts ``dimension``).
``searchsorted(sorted, keys, side)`` gives insertion points of ``keys`` (any
shape) in the 1-D ``sorted``; both operands share one dtype.

Example:
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite.ops.sorting import sort_p
    >>> sort_p.bind(jnp.array([3, 1, 2]), dimension=0, descending=False).tolist()
    [1, 2, 3]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from functorch_lite import dtypes
from functorch_lite.array import Array
from functorch_lite.core import Primitive, ShapedArray
from functorch_lite.ops import shape_ops as so
from functorch_lite.ops.kernels import sorting as k

SORTING: dict[str, Primitive] = {}
_INDEX_MAX = int(np.iinfo(dtypes.default_int).max)


def _aval(x: Array) -> ShapedArray:
    return ShapedArray(x.shape, x.dtype, x.weak_type)


def _check_dimension(name: str, x: ShapedArray, dimension: int) -> None:
    if not isinstance(dimension, int) or not 0 <= dimension < x.ndim:
        hint = "; a 0-d array has no axis to sort (flatten it, or use axis=None)" if x.ndim == 0 else ""
        raise ValueError(
            f"{name}: dimension {dimension} is out of bounds for {x.str_short()} "
            f"with {x.ndim} dimensions{hint}"
        )


def _declare(name: str, impl: Any, abstract_eval: Any) -> Primitive:
    p = Primitive(name)
    p.impl = impl
    p.abstract_eval = abstract_eval
    SORTING[name] = p
    return p


# --- sort ---------------------------------------------------------------------------
def _sort_abstract(x: ShapedArray, *, dimension: int, descending: bool) -> ShapedArray:
    _check_dimension("sort", x, dimension)
    return ShapedArray(x.shape, x.dtype, x.weak_type)


def _sort_impl(x: Array, *, dimension: int, descending: bool) -> Array:
    _sort_abstract(_aval(x), dimension=dimension, descending=descending)
    out = Array._wrap(k.sort(x._numpy(), dimension), x.weak_type)
    if descending:
        # the reversed view of the ascending sort (NaNs first), no copy
        out = so.rev_p.impl(out, dimensions=(dimension,))  # type: ignore[misc]
    return out


sort_p = _declare("sort", _sort_impl, _sort_abstract)


# --- argsort --------------------------------------------------------------------------
def _argsort_abstract(x: ShapedArray, *, dimension: int, descending: bool, stable: bool) -> ShapedArray:
    _check_dimension("argsort", x, dimension)
    if x.shape[dimension] > _INDEX_MAX:
        raise ValueError(
            f"argsort: axis {dimension} of {x.str_short()} is too long for "
            f"{dtypes.default_int} indices"
        )
    return ShapedArray(x.shape, dtypes.default_int, False)


def _argsort_impl(x: Array, *, dimension: int, descending: bool, stable: bool) -> Array:
    aval = _argsort_abstract(_aval(x), dimension=dimension, descending=descending, stable=stable)
    return Array._wrap(k.argsort(x._numpy(), dimension, descending, stable, aval.dtype))


argsort_p = _declare("argsort", _argsort_impl, _argsort_abstract)
argsort_p.nondifferentiable = True


# --- searchsorted -------------------------------------------------------------------
_SIDES = ("left", "right")


def _searchsorted_abstract(sorted_arr: ShapedArray, keys: ShapedArray, *, side: str) -> ShapedArray:
    if side not in _SIDES:
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    if sorted_arr.ndim != 1:
        raise ValueError(f"searchsorted: the sorted array must be 1-D, got {sorted_arr.str_short()}")
    if sorted_arr.dtype != keys.dtype:
        raise TypeError(
            f"searchsorted: the sorted array {sorted_arr.str_short()} and the keys "
            f"{keys.str_short()} must share one dtype (promote them first)"
        )
    if sorted_arr.shape[0] > _INDEX_MAX:
        raise ValueError(f"searchsorted: {sorted_arr.str_short()} is too long for {dtypes.default_int} indices")
    return ShapedArray(keys.shape, dtypes.default_int, False)


def _searchsorted_impl(sorted_arr: Array, keys: Array, *, side: str) -> Array:
    aval = _searchsorted_abstract(_aval(sorted_arr), _aval(keys), side=side)
    s = sorted_arr
    stride = s._strides[0] if s.shape[0] > 1 else 1
    out = k.searchsorted(s.storage().numpy(), s._offset, s.shape[0], stride, keys._numpy(),
                         side == "right", aval.dtype)
    return Array._wrap(out)


searchsorted_p = _declare("searchsorted", _searchsorted_impl, _searchsorted_abstract)
searchsorted_p.nondifferentiable = True
