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
from functorch_lite.ops import params as P
from functorch_lite.ops import shape_ops as so
from functorch_lite.ops.kernels import sorting as k
from functorch_lite.ops.tables import batch_rules, jvp_rules, param_types, vjp_rules

SORTING: dict[str, Primitive] = {}


def _index_max() -> int:
    """The longest axis the index dtype (int32, or int64 in 64-bit mode) can count."""
    return int(np.iinfo(dtypes.default_int_dtype()).max)


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
param_types[sort_p] = {"dimension": P.AXIS, "descending": P.BOOL}


# --- argsort --------------------------------------------------------------------------
def _argsort_abstract(x: ShapedArray, *, dimension: int, descending: bool, stable: bool) -> ShapedArray:
    _check_dimension("argsort", x, dimension)
    if x.shape[dimension] > _index_max():
        raise ValueError(
            f"argsort: axis {dimension} of {x.str_short()} is too long for "
            f"{dtypes.default_int_dtype()} indices"
        )
    return ShapedArray(x.shape, dtypes.default_int_dtype(), False)


def _argsort_impl(x: Array, *, dimension: int, descending: bool, stable: bool) -> Array:
    aval = _argsort_abstract(_aval(x), dimension=dimension, descending=descending, stable=stable)
    return Array._wrap(k.argsort(x._numpy(), dimension, descending, stable, aval.dtype))


argsort_p = _declare("argsort", _argsort_impl, _argsort_abstract)
param_types[argsort_p] = {"dimension": P.AXIS, "descending": P.BOOL, "stable": P.BOOL}
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
    if sorted_arr.shape[0] > _index_max():
        raise ValueError(f"searchsorted: {sorted_arr.str_short()} is too long for {dtypes.default_int_dtype()} indices")
    return ShapedArray(keys.shape, dtypes.default_int_dtype(), False)


def _searchsorted_impl(sorted_arr: Array, keys: Array, *, side: str) -> Array:
    aval = _searchsorted_abstract(_aval(sorted_arr), _aval(keys), side=side)
    return Array._wrap(k.searchsorted(sorted_arr._numpy(), keys._numpy(), side == "right", aval.dtype))


searchsorted_p = _declare("searchsorted", _searchsorted_impl, _searchsorted_abstract)
param_types[searchsorted_p] = {"side": P.one_of("left", "right")}
searchsorted_p.nondifferentiable = True


# --- differentiation and batching rules ----------------------------------------------
# ``sort`` is a permutation of its operand along ``dimension``: its tangent is
# the tangent permuted the same way, its cotangent the cotangent sent back
# through that permutation (a scatter-add).  ``argsort``/``searchsorted`` give
# integers (``nondifferentiable`` above).  The permutation is ``argsort``
# (stable), reversed for a descending sort: the descending sort is the
# reversed ascending one, so that this is the permutation it applied, ties
# and NaNs included.
from functorch_lite.ops import _rules as r  # noqa: E402
from functorch_lite.ops import indexing as ix  # noqa: E402


def _iota(n: int, dtype: np.dtype[Any]) -> Array:
    return Array._wrap(np.arange(n, dtype=dtype))


def _along_indices(idx: Any, dim: int) -> Any:
    """``(*idx.shape, ndim)`` gather indices: ``idx`` along ``dim``, the
    position itself (an iota) along every other axis."""
    aval = r.get_aval(idx)
    shape, nd = aval.shape, aval.ndim
    cols = []
    for d in range(nd):
        col = idx if d == dim else r.broadcast(_iota(shape[d], aval.dtype), shape, (d,))
        cols.append(r.expand_dims(col, (nd,)))
    return cols[0] if nd == 1 else so.concatenate_p.bind(*cols, dimension=nd)


def take_along(t: Any, idx: Any, dim: int) -> Any:
    """``out[..., i, ...] = t[..., idx[..., i, ...], ...]`` along ``dim``
    (``t`` and ``idx`` of one shape, ``idx`` valid), written with primitives
    so that it is differentiable and batchable: the rule-side
    ``take_along_axis``: one ``gather``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> take_along(jnp.array([[1.0, 2.0, 3.0]]), jnp.array([[2, 0, 0]]), 1).tolist()
        [[3.0, 1.0, 1.0]]
    """
    if r.get_aval(t).size == 0:
        return t
    return ix.gather_p.bind(t, _along_indices(idx, dim))


def add_along(ct: Any, idx: Any, dim: int) -> Any:
    """The transpose of :func:`take_along`: ``out[..., j, ...]`` sums the
    ``ct[..., i, ...]`` with ``idx[..., i, ...] == j`` (a scatter-add).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> add_along(jnp.array([[1.0, 2.0, 3.0]]), jnp.array([[2, 0, 0]]), 1).tolist()
        [[5.0, 0.0, 1.0]]
    """
    if r.get_aval(ct).size == 0:
        return ct
    return ix.scatter_p.bind(r.full_like(ct, 0), _along_indices(idx, dim), ct, mode="add")


def _sort_perm(x: Any, dimension: int, descending: bool) -> Any:
    """The permutation ``sort`` applies: ``sort(x) == take_along(x, perm)``."""
    perm = argsort_p.bind(x, dimension=dimension, descending=False, stable=True)
    if descending:
        perm = so.rev_p.bind(perm, dimensions=(dimension,))
    return perm


def _sort_jvp(primals: Any, tangents: Any, *, dimension: int, descending: bool) -> tuple[Any, Any]:
    (x,), (t,) = primals, tangents
    ans = sort_p.bind(x, dimension=dimension, descending=descending)
    if isinstance(t, r.Zero):
        return ans, r.Zero(r.get_aval(ans))
    return ans, take_along(t, _sort_perm(x, dimension, descending), dimension)


def _sort_vjp(ct: Any, ans: Any, x: Any, *, dimension: int, descending: bool) -> Any:
    return add_along(ct, _sort_perm(x, dimension, descending), dimension)


jvp_rules[sort_p] = _sort_jvp
vjp_rules[sort_p] = (_sort_vjp,)


def _shift_dimension(params: dict[str, Any], size: int) -> dict[str, Any]:
    return {**params, "dimension": params["dimension"] + 1}


r.batch_front(sort_p, _shift_dimension)
r.batch_front(argsort_p, _shift_dimension)


def _searchsorted_batch(vals: Any, dims: Any, *, axis_size: int, side: str) -> tuple[Any, int | None]:
    """Batched keys alone are just more keys.  A batched sorted array needs
    one search per row, which the 1-D kernel cannot do; a merge does it
    loop-free: stably sort each row of ``concat(keys, sorted)`` (sorted
    first for ``side="right"``, so ties go before the key); a key's position
    in that order minus its rank among the keys is the number of sorted
    elements before it.  The sort order is NumPy's (NaNs last), as the
    kernel's.  Cost ``O((n + m) log(n + m))`` per row (``n`` sorted, ``m``
    keys), against ``O(n m)`` for comparing every pair."""
    s, keys = vals
    ds, dk = dims
    if ds is None:
        return searchsorted_p.bind(s, keys, side=side), dk
    s = r.moveaxis(s, ds, 0)
    keys = r.bdim_to_front(keys, dk, axis_size)
    kshape = r.get_aval(keys).shape[1:]
    n = r.get_aval(s).shape[1]
    m = 1
    for d in kshape:
        m *= d
    k2 = r.reshape(keys, (axis_size, m))
    merged = so.concatenate_p.bind(*((k2, s) if side == "left" else (s, k2)), dimension=1)

    def inverse_order(v: Any) -> Any:  # rank of each element in v's stable order
        order = argsort_p.bind(v, dimension=1, descending=False, stable=True)
        return argsort_p.bind(order, dimension=1, descending=False, stable=True)

    start = 0 if side == "left" else n
    pos = so.slice_p.bind(inverse_order(merged), start_indices=(0, start), limit_indices=(axis_size, start + m),
                          strides=(1, 1))
    out = r.sub(pos, inverse_order(k2))
    return r.reshape(out, (axis_size,) + kshape), 0


batch_rules[searchsorted_p] = _searchsorted_batch
