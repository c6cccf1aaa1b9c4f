"""``take_along_axis`` and its transpose as primitives of their own.

``take_along_axis(operand, indices, axis)``: ``indices`` (an integer array)
has the operand's shape except along ``axis``; ``out[..., j, ...] =
operand[..., indices[..., j, ...], ...]``.  Negative indices wrap once; one
outside ``[-n, n)`` raises ``IndexError``, eagerly and under ``jit`` alike
(the same contract as ``gather``).  ``scatter_add_along_axis(updates,
indices, axis, size)`` is its transpose: each update added at its index of a
zero array with ``size`` along ``axis``.

Why not ``gather``: the general gather needs a (B, rank) index matrix, which
``take_along_axis`` built from an iota per axis (a concatenate and conversions
per call, then a B x rank validation) -- for the 128 labels of a cross-entropy
loss that cost ~85 us a step against NumPy's ~15 us for ``take_along_axis`` +
``np.add.at``.  Here each direction is one kernel over the indices as given.

Example:
    >>> import functorch_lite.numpy as jnp
    >>> x = jnp.array([[10.0, 20.0, 30.0], [40.0, 50.0, 60.0]])
    >>> take_along_axis_p.bind(x, jnp.array([[2], [-3]]), axis=1).tolist()
    [[30.0], [40.0]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from functorch_lite.array import Array
from functorch_lite.core import Primitive, ShapedArray
from functorch_lite.ops import _rules as r
from functorch_lite.ops import params as P
from functorch_lite.ops.kernels import along_axis as k
from functorch_lite.ops.tables import batch_rules, jvp_rules, param_types, vjp_rules

take_along_axis_p = Primitive("take_along_axis")
scatter_add_along_axis_p = Primitive("scatter_add_along_axis")
param_types[take_along_axis_p] = {"axis": P.AXIS}
param_types[scatter_add_along_axis_p] = {"axis": P.AXIS, "size": P.SIZE}


def _check(name: str, x: ShapedArray, indices: ShapedArray, axis: int) -> None:
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{name}: indices must be an integer array, got {indices.str_short()}")
    if type(axis) is not int or not 0 <= axis < x.ndim:
        raise ValueError(f"{name}: axis must be an int in [0, {x.ndim}) for {x.str_short()}, got {axis!r}")
    if indices.ndim != x.ndim or any(a != b for d, (a, b) in enumerate(zip(indices.shape, x.shape)) if d != axis):
        raise ValueError(
            f"{name}: indices must have the array's shape outside axis {axis}: got {indices.str_short()} "
            f"for {x.str_short()} (functorch_lite.numpy.take_along_axis broadcasts them first)"
        )


def _take_abstract(x: ShapedArray, indices: ShapedArray, *, axis: int) -> ShapedArray:
    _check("take_along_axis", x, indices, axis)
    return ShapedArray(indices.shape, x.dtype, x.weak_type)


def operands_fit(x: Array, indices: Array, axis: int) -> bool:
    """``_check``'s conditions on concrete arrays, without building avals (its
    message comes from ``_check`` itself when they fail).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> operands_fit(jnp.zeros((3, 4)), jnp.zeros((3, 1), dtype="int32"), 1)
        True
    """
    xs, js = x._shape, indices._shape
    return (indices._dtype.kind in "iu" and type(axis) is int and 0 <= axis < len(xs) and len(js) == len(xs)
            and xs[:axis] == js[:axis] and xs[axis + 1:] == js[axis + 1:])


def _take_impl(x: Array, indices: Array, *, axis: int) -> Array:
    if not operands_fit(x, indices, axis):
        _take_abstract(ShapedArray(x.shape, x.dtype), ShapedArray(indices.shape, indices.dtype), axis=axis)
    return Array._wrap(k.take(x._numpy(), indices._numpy(), axis), x.weak_type)


def _scatter_abstract(u: ShapedArray, indices: ShapedArray, *, axis: int, size: int) -> ShapedArray:
    _check("scatter_add_along_axis", u, indices, axis)
    if type(size) is not int or size < 0:
        raise ValueError(f"scatter_add_along_axis: size must be an int >= 0, got {size!r}")
    return ShapedArray(u.shape[:axis] + (size,) + u.shape[axis + 1:], u.dtype, u.weak_type)


def _scatter_impl(u: Array, indices: Array, *, axis: int, size: int) -> Array:
    if not (operands_fit(u, indices, axis) and type(size) is int and size >= 0):
        _scatter_abstract(ShapedArray(u.shape, u.dtype), ShapedArray(indices.shape, indices.dtype), axis=axis,
                          size=size)
    return Array._wrap(k.scatter_add(u._numpy(), indices._numpy(), axis, size), u.weak_type)


take_along_axis_p.impl = _take_impl
take_along_axis_p.abstract_eval = _take_abstract
scatter_add_along_axis_p.impl = _scatter_impl
scatter_add_along_axis_p.abstract_eval = _scatter_abstract


#: ``index_check(idx, size=, axis=, name=)``: the indices with negatives wrapped once, or the
#: gather's own IndexError.  Lowering-only: jit's back end makes it when it turns a gather over
#: a short axis into a masked reduction (``transforms/gather_onehot.py``), after every transform.
index_check_p = Primitive("index_check", lowering_only=True)


def _index_check_abstract(idx: ShapedArray, *, size: int, axis: int, name: str) -> ShapedArray:
    return ShapedArray(idx.shape, idx.dtype)


def _index_check_impl(idx: Array, *, size: int, axis: int, name: str) -> Array:
    j = idx._numpy()
    out = k.checked_indices(name, j, size, axis)
    return idx if out is j else Array._wrap(out, False)


index_check_p.impl = _index_check_impl
index_check_p.abstract_eval = _index_check_abstract


# both are linear in their first operand, each the other's transpose (no conjugation
# is involved: moving values is linear over the complex numbers too)
def _take_vjp(ct: Any, ans: Any, x: Any, indices: Any, *, axis: int) -> Any:
    return scatter_add_along_axis_p.bind(ct, indices, axis=axis, size=r.get_aval(x).shape[axis])


def _scatter_vjp(ct: Any, ans: Any, u: Any, indices: Any, *, axis: int, size: int) -> Any:
    return take_along_axis_p.bind(ct, indices, axis=axis)


def _linear_jvp(prim: Primitive) -> None:
    def jvp(primals: Sequence[Any], tangents: Sequence[Any], **params: Any) -> tuple[Any, Any]:
        ans = prim.bind(*primals, **params)
        t = tangents[0]
        return ans, (r.Zero(r.get_aval(ans)) if isinstance(t, r.Zero) else prim.bind(t, primals[1], **params))

    jvp_rules[prim] = jvp


_linear_jvp(take_along_axis_p)
vjp_rules[take_along_axis_p] = (_take_vjp, None)
_linear_jvp(scatter_add_along_axis_p)
vjp_rules[scatter_add_along_axis_p] = (_scatter_vjp, None)


def _batch(prim: Primitive) -> None:
    """Both operands' mapped axis in front (broadcast where one is unmapped): the
    axis moves up by one."""

    def rule(vals: Sequence[Any], dims: Sequence[int | None], *, axis_size: int, axis: int,
             **params: Any) -> tuple[Any, int]:
        x, i = (r.bdim_to_front(v, d, axis_size) for v, d in zip(vals, dims))
        return prim.bind(x, i, axis=axis + 1, **params), 0

    batch_rules[prim] = rule


_batch(take_along_axis_p)
_batch(scatter_add_along_axis_p)

__all__ = ["take_along_axis_p", "scatter_add_along_axis_p", "operands_fit"]
