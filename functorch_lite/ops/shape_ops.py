"""Structural primitives.  Most are views: new metadata over the same storage.

``transpose``, ``broadcast_in_dim`` (stride 0), ``squeeze``, ``expand_dims``,
``slice`` (positive steps), ``rev`` (negative strides), ``diagonal``,
``as_strided`` and ``reshape`` (when the strides allow it) never copy.
``pad``, ``concatenate`` and ``copy`` produce fresh storage.

Example:
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite.ops.shape_ops import transpose_p
    >>> x = jnp.zeros((2, 3))
    >>> transpose_p.bind(x, permutation=(1, 0)).storage() is x.storage()
    True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from functorch_lite.array import Array, check_layout, contiguous_strides
from functorch_lite.core import Primitive, ShapedArray
from functorch_lite.ops import params as P
from functorch_lite.ops.fusion_rules import IndexMap, Map, squeezable
from functorch_lite.ops.kernels import copy as kcopy
from functorch_lite.ops.tables import batch_rules, fusion_rules, param_types

SHAPE_OPS: dict[str, Primitive] = {}


def _declare(name: str, impl: Any, abstract_eval: Any) -> Primitive:
    p = Primitive(name)
    p.impl = impl
    p.abstract_eval = abstract_eval
    SHAPE_OPS[name] = p
    return p


def _aval(x: Array) -> ShapedArray:
    return ShapedArray(x._shape, x._dtype, x.weak_type)


def _prod(xs: Any) -> int:
    n = 1
    for d in xs:
        n *= int(d)
    return n


# --- transpose -------------------------------------------------------------------
def _transpose_abstract(x: ShapedArray, *, permutation: tuple[int, ...]) -> ShapedArray:
    if sorted(permutation) != list(range(x.ndim)):
        raise ValueError(
            f"transpose: permutation {permutation} is not a permutation of the "
            f"{x.ndim} axes of {x.str_short()}"
        )
    return ShapedArray(tuple(x.shape[i] for i in permutation), x.dtype, x.weak_type)


def _transpose_impl(x: Array, *, permutation: tuple[int, ...]) -> Array:
    _transpose_abstract(_aval(x), permutation=permutation)
    return x._view(
        tuple(x._shape[i] for i in permutation), tuple(x._strides[i] for i in permutation), x._offset
    )


transpose_p = _declare("transpose", _transpose_impl, _transpose_abstract)
param_types[transpose_p] = {"permutation": P.AXES}


# --- broadcast_in_dim -----------------------------------------------------------
def _broadcast_abstract(
    x: ShapedArray, *, shape: tuple[int, ...], broadcast_dimensions: tuple[int, ...]
) -> ShapedArray:
    ok = len(broadcast_dimensions) == x.ndim and all(
        0 <= d < len(shape) for d in broadcast_dimensions
    ) and list(broadcast_dimensions) == sorted(set(broadcast_dimensions))
    if ok:
        ok = all(x.shape[i] in (1, shape[d]) for i, d in enumerate(broadcast_dimensions))
    if not ok:
        raise ValueError(
            f"broadcast_in_dim: cannot broadcast {x.str_short()} to shape {shape} "
            f"with broadcast_dimensions={broadcast_dimensions}"
        )
    return ShapedArray(tuple(shape), x.dtype, x.weak_type)


def _broadcast_impl(x: Array, *, shape: tuple[int, ...], broadcast_dimensions: tuple[int, ...]) -> Array:
    _broadcast_abstract(_aval(x), shape=shape, broadcast_dimensions=broadcast_dimensions)
    strides = [0] * len(shape)
    for i, d in enumerate(broadcast_dimensions):
        if x._shape[i] == shape[d]:
            strides[d] = x._strides[i]
    return x._view(tuple(shape), tuple(strides), x._offset)


broadcast_in_dim_p = _declare("broadcast_in_dim", _broadcast_impl, _broadcast_abstract)
param_types[broadcast_in_dim_p] = {"shape": P.SIZES, "broadcast_dimensions": P.AXES}


# --- squeeze / expand_dims -------------------------------------------------------------
def _squeeze_abstract(x: ShapedArray, *, dimensions: tuple[int, ...]) -> ShapedArray:
    for d in dimensions:
        if not 0 <= d < x.ndim or x.shape[d] != 1:
            raise ValueError(
                f"squeeze: axis {d} of {x.str_short()} does not have size 1 (or is out of range)"
            )
    return ShapedArray(
        tuple(s for i, s in enumerate(x.shape) if i not in dimensions), x.dtype, x.weak_type
    )


def _squeeze_impl(x: Array, *, dimensions: tuple[int, ...]) -> Array:
    if len(dimensions) == 1:  # the common case without building avals (a jitted loss runs several)
        d, sh = dimensions[0], x._shape
        if type(d) is int and 0 <= d < len(sh) and sh[d] == 1:
            st = x._strides
            return x._view(sh[:d] + sh[d + 1:], st[:d] + st[d + 1:], x._offset)
    aval = _squeeze_abstract(_aval(x), dimensions=dimensions)
    strides = tuple(s for i, s in enumerate(x._strides) if i not in dimensions)
    return x._view(aval.shape, strides, x._offset)


squeeze_p = _declare("squeeze", _squeeze_impl, _squeeze_abstract)
param_types[squeeze_p] = {"dimensions": P.AXES}


def _expand_abstract(x: ShapedArray, *, dimensions: tuple[int, ...]) -> ShapedArray:
    n = x.ndim + len(dimensions)
    if sorted(set(dimensions)) != sorted(dimensions) or any(not 0 <= d < n for d in dimensions):
        raise ValueError(f"expand_dims: bad axes {dimensions} for {x.str_short()}")
    it = iter(x.shape)
    shape = tuple(1 if i in dimensions else next(it) for i in range(n))
    return ShapedArray(shape, x.dtype, x.weak_type)


def _expand_impl(x: Array, *, dimensions: tuple[int, ...]) -> Array:
    if len(dimensions) == 1:  # the common case without building avals (``labels[:, None]``)
        d, sh = dimensions[0], x._shape
        if type(d) is int and 0 <= d <= len(sh):
            st = x._strides
            return x._view(sh[:d] + (1,) + sh[d:], st[:d] + (0,) + st[d:], x._offset)
    aval = _expand_abstract(_aval(x), dimensions=dimensions)
    it = iter(x._strides)
    strides = tuple(0 if i in dimensions else next(it) for i in range(len(aval.shape)))
    return x._view(aval.shape, strides, x._offset)


expand_dims_p = _declare("expand_dims", _expand_impl, _expand_abstract)
param_types[expand_dims_p] = {"dimensions": P.AXES}


# --- reshape ------------------------------------------------------------------------
def view_strides(
    old_shape: tuple[int, ...], old_strides: tuple[int, ...], new_shape: tuple[int, ...]
) -> tuple[int, ...] | None:
    """Strides that show ``new_shape`` over the same elements without a copy,
    or None when only a copy can do it (PyTorch's ``computeStride``)."""
    if _prod(old_shape) == 0 or not old_shape:
        return contiguous_strides(new_shape)
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_base = old_strides[-1]
    tensor_numel = 1
    view_numel = 1
    for td in range(len(old_shape) - 1, -1, -1):
        tensor_numel *= old_shape[td]
        if td == 0 or (
            old_shape[td - 1] != 1 and old_strides[td - 1] != tensor_numel * chunk_base
        ):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * chunk_base
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if td > 0:
                chunk_base = old_strides[td - 1]
                tensor_numel = 1
                view_numel = 1
    if view_d != -1:
        return None
    return tuple(new_strides)


def _reshape_abstract(x: ShapedArray, *, new_sizes: tuple[int, ...]) -> ShapedArray:
    if _prod(new_sizes) != x.size or any(d < 0 for d in new_sizes):
        raise ValueError(f"reshape: cannot reshape {x.str_short()} ({x.size} elements) into shape {new_sizes}")
    return ShapedArray(tuple(new_sizes), x.dtype, x.weak_type)


def _reshape_impl(x: Array, *, new_sizes: tuple[int, ...]) -> Array:
    _reshape_abstract(_aval(x), new_sizes=new_sizes)
    strides = view_strides(x._shape, x._strides, new_sizes)
    if strides is not None:
        return x._view(tuple(new_sizes), strides, x._offset)
    return Array._wrap(kcopy.contiguous(x._numpy()).reshape(new_sizes), x.weak_type)


reshape_p = _declare("reshape", _reshape_impl, _reshape_abstract)
param_types[reshape_p] = {"new_sizes": P.SIZES}


# --- slice and rev ----------------------------------------------------------------------
def _slice_abstract(
    x: ShapedArray, *, start_indices: tuple[int, ...], limit_indices: tuple[int, ...],
    strides: tuple[int, ...],
) -> ShapedArray:
    if not (len(start_indices) == len(limit_indices) == len(strides) == x.ndim):
        raise ValueError(f"slice: need one start/limit/stride per axis of {x.str_short()}")
    shape = []
    for s, lim, st, d in zip(start_indices, limit_indices, strides, x.shape):
        if not (0 <= s <= lim <= d) or st < 1:
            raise IndexError(
                f"slice: start {start_indices}, limit {limit_indices}, strides {strides} "
                f"out of bounds for {x.str_short()}"
            )
        shape.append((lim - s + st - 1) // st)
    return ShapedArray(tuple(shape), x.dtype, x.weak_type)


def _slice_impl(
    x: Array, *, start_indices: tuple[int, ...], limit_indices: tuple[int, ...],
    strides: tuple[int, ...],
) -> Array:
    aval = _slice_abstract(_aval(x), start_indices=start_indices, limit_indices=limit_indices, strides=strides)
    off = x._offset + sum(s * st for s, st in zip(start_indices, x._strides))
    return x._view(aval.shape, tuple(a * b for a, b in zip(x._strides, strides)), off)


slice_p = _declare("slice", _slice_impl, _slice_abstract)
param_types[slice_p] = {"start_indices": P.INTS, "limit_indices": P.INTS, "strides": P.INTS}


def _rev_abstract(x: ShapedArray, *, dimensions: tuple[int, ...]) -> ShapedArray:
    if any(not 0 <= d < x.ndim for d in dimensions) or len(set(dimensions)) != len(dimensions):
        raise ValueError(f"rev: bad axes {dimensions} for {x.str_short()}")
    return x


def _rev_impl(x: Array, *, dimensions: tuple[int, ...]) -> Array:
    _rev_abstract(_aval(x), dimensions=dimensions)
    off = x._offset
    strides = list(x._strides)
    for d in dimensions:
        if x._shape[d] > 0:
            off += (x._shape[d] - 1) * strides[d]
        strides[d] = -strides[d]
    return x._view(x._shape, tuple(strides), off)


rev_p = _declare("rev", _rev_impl, _rev_abstract)
param_types[rev_p] = {"dimensions": P.AXES}


# --- diagonal -------------------------------------------------------------------------
def _diagonal_abstract(x: ShapedArray, *, offset: int, axis1: int, axis2: int) -> ShapedArray:
    if x.ndim < 2 or not (0 <= axis1 < x.ndim and 0 <= axis2 < x.ndim) or axis1 == axis2:
        raise ValueError(f"diagonal: bad axes ({axis1}, {axis2}) for {x.str_short()}")
    n1, n2 = x.shape[axis1], x.shape[axis2]
    n = max(0, min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2))
    rest = tuple(s for i, s in enumerate(x.shape) if i not in (axis1, axis2))
    return ShapedArray(rest + (n,), x.dtype, x.weak_type)


def _diagonal_impl(x: Array, *, offset: int, axis1: int, axis2: int) -> Array:
    aval = _diagonal_abstract(_aval(x), offset=offset, axis1=axis1, axis2=axis2)
    s1, s2 = x._strides[axis1], x._strides[axis2]
    off = x._offset
    if aval.shape[-1] > 0:
        off += offset * s2 if offset >= 0 else -offset * s1
    rest = tuple(s for i, s in enumerate(x._strides) if i not in (axis1, axis2))
    return x._view(aval.shape, rest + (s1 + s2,), off)


diagonal_p = _declare("diagonal", _diagonal_impl, _diagonal_abstract)
param_types[diagonal_p] = {"offset": P.INT, "axis1": P.AXIS, "axis2": P.AXIS}


# --- as_strided --------------------------------------------------------------------------
def _as_strided_abstract(
    x: ShapedArray, *, shape: tuple[int, ...], strides: tuple[int, ...], offset: int
) -> ShapedArray:
    # one checker for every way a layout enters (constructor, as_strided, export)
    shape, strides, offset = check_layout(
        shape, strides, offset, x.size, x.dtype.itemsize, name="as_strided",
        fix="choose a shape, strides and offset that stay inside the input's elements",
    )
    return ShapedArray(tuple(shape), x.dtype, x.weak_type)


def _as_strided_impl(x: Array, *, shape: tuple[int, ...], strides: tuple[int, ...], offset: int) -> Array:
    """Strides and offset count elements of ``x`` in row-major order; a
    contiguous ``x`` is viewed in place, others are made contiguous first."""
    _as_strided_abstract(_aval(x), shape=shape, strides=strides, offset=offset)
    base = x.contiguous()
    return base._view(tuple(shape), tuple(strides), base._offset + offset)


as_strided_p = _declare("as_strided", _as_strided_impl, _as_strided_abstract)
param_types[as_strided_p] = {"shape": P.SIZES, "strides": P.INTS, "offset": P.INT}


# --- copy, pad, concatenate --------------------------------------------------------------
def _copy_impl(x: Array) -> Array:
    return Array._wrap(kcopy.contiguous(x._numpy(), force=True), x.weak_type)


copy_p = _declare("copy", _copy_impl, lambda x: x)


def _pad_abstract(
    x: ShapedArray, padv: ShapedArray, *, padding_config: tuple[tuple[int, int, int], ...]
) -> ShapedArray:
    if padv.shape != () or padv.dtype != x.dtype:
        raise TypeError(f"pad: the padding value must be a scalar of dtype {x.dtype}, got {padv.str_short()}")
    if len(padding_config) != x.ndim:
        raise ValueError(f"pad: need one (low, high, interior) per axis of {x.str_short()}")
    shape = []
    for d, (lo, hi, interior) in zip(x.shape, padding_config):
        if interior < 0:
            raise ValueError("pad: interior padding must be >= 0")
        n = lo + hi + d + max(0, d - 1) * interior
        if n < 0:
            raise ValueError(f"pad: padding {padding_config} leaves a negative size for {x.str_short()}")
        shape.append(n)
    return ShapedArray(tuple(shape), x.dtype, x.weak_type)


def _pad_impl(x: Array, padv: Array, *, padding_config: tuple[tuple[int, int, int], ...]) -> Array:
    aval = _pad_abstract(_aval(x), _aval(padv), padding_config=padding_config)
    out = kcopy.pad(x._numpy(), padv._numpy(), padding_config, aval.shape)
    return Array._wrap(out, x.weak_type)


pad_p = _declare("pad", _pad_impl, _pad_abstract)
param_types[pad_p] = {"padding_config": P.ParamSpec(
    "a tuple of (low, high, interior) integer triples",
    P.tuple_of(lambda t: type(t) is tuple and len(t) == 3 and all(P.is_any_int(i) for i in t), P.MAX_NDIM))}


def _concat_abstract(*xs: ShapedArray, dimension: int) -> ShapedArray:
    if not xs:
        raise ValueError("concatenate needs at least one array")
    x0 = xs[0]
    if not 0 <= dimension < x0.ndim:
        raise ValueError(f"concatenate: axis {dimension} out of range for {x0.str_short()}")
    for x in xs:
        if x.dtype != x0.dtype or x.ndim != x0.ndim or any(
            a != b for i, (a, b) in enumerate(zip(x.shape, x0.shape)) if i != dimension
        ):
            raise ValueError(
                "concatenate: arrays must agree in dtype and in every axis but "
                f"{dimension}, got {', '.join(a.str_short() for a in xs)}"
            )
    shape = list(x0.shape)
    shape[dimension] = sum(x.shape[dimension] for x in xs)
    return ShapedArray(tuple(shape), x0.dtype, all(x.weak_type for x in xs))


def _concat_impl(*xs: Array, dimension: int) -> Array:
    aval = _concat_abstract(*(_aval(x) for x in xs), dimension=dimension)
    out = np.concatenate([x._numpy() for x in xs], axis=dimension)
    return Array._wrap(out, aval.weak_type)


concatenate_p = _declare("concatenate", _concat_impl, _concat_abstract)
param_types[concatenate_p] = {"dimension": P.AXIS}


# --- fusion rules: views read through index maps ----------------------------------------
# Inside a fused loop these views are never materialised: the operand is read
# through its map (ops/fusion_rules.py, ``IndexMap``), which gives each operand
# axis the loop dim of the result axis it lands on (None: size 1 or broadcast).
def _transpose_map(om: Map, x: tuple[int, ...], out: tuple[int, ...], params: dict[str, Any]) -> Map:
    inv: list[int | None] = [None] * len(x)
    for i, p in enumerate(params["permutation"]):
        inv[p] = om[i]
    return tuple(inv)


def _broadcast_map(om: Map, x: tuple[int, ...], out: tuple[int, ...], params: dict[str, Any]) -> Map:
    shape = params["shape"]
    return tuple(om[bd] if x[j] == shape[bd] and x[j] != 1 else None
                 for j, bd in enumerate(params["broadcast_dimensions"]))


def _squeeze_map(om: Map, x: tuple[int, ...], out: tuple[int, ...], params: dict[str, Any]) -> Map:
    dropped = set(params["dimensions"])
    it = iter(om)
    return tuple(None if i in dropped else next(it) for i in range(len(x)))


def _expand_map(om: Map, x: tuple[int, ...], out: tuple[int, ...], params: dict[str, Any]) -> Map:
    added = set(params["dimensions"])
    return tuple(d for i, d in enumerate(om) if i not in added)


def _reshape_map(om: Map, x: tuple[int, ...], out: tuple[int, ...], params: dict[str, Any]) -> Map:
    it = iter([d for d, s in zip(om, out) if s != 1])
    return tuple(next(it) if s != 1 else None for s in x)


fusion_rules[transpose_p] = IndexMap(_transpose_map)
fusion_rules[broadcast_in_dim_p] = IndexMap(_broadcast_map)
fusion_rules[squeeze_p] = IndexMap(_squeeze_map)
fusion_rules[expand_dims_p] = IndexMap(_expand_map)
# only a reshape that adds or drops size-1 axes is a pure re-indexing
fusion_rules[reshape_p] = IndexMap(_reshape_map, accepts=lambda x, out, params: squeezable(x, out))


# --- differentiation rules ---------------------------------------------------------
from functorch_lite.ops import _rules as r  # noqa: E402

r.deflinear(transpose_p, [lambda ct, ans, x, *, permutation: r.transpose(ct, r.inverse_permutation(permutation))])


def _broadcast_vjp(ct: Any, ans: Any, x: Any, *, shape: tuple[int, ...],
                   broadcast_dimensions: tuple[int, ...]) -> Any:
    xs = r.get_aval(x).shape
    new = [d for d in range(len(shape)) if d not in broadcast_dimensions]
    expanded = [d for i, d in enumerate(broadcast_dimensions) if xs[i] == 1 and shape[d] != 1]
    out = r.reduce_sum(ct, sorted(new + expanded))
    return r.reshape(out, xs)


r.deflinear(broadcast_in_dim_p, [_broadcast_vjp])
r.deflinear(squeeze_p, [lambda ct, ans, x, *, dimensions: r.reshape(ct, r.get_aval(x).shape)])
r.deflinear(expand_dims_p, [lambda ct, ans, x, *, dimensions: r.squeeze(ct, dimensions)])
r.deflinear(reshape_p, [lambda ct, ans, x, *, new_sizes: r.reshape(ct, r.get_aval(x).shape)])
r.deflinear(rev_p, [lambda ct, ans, x, *, dimensions: rev_p.bind(ct, dimensions=dimensions)])
r.deflinear(copy_p, [lambda ct, ans, x: ct])


def _slice_vjp(ct: Any, ans: Any, x: Any, *, start_indices: tuple[int, ...],
               limit_indices: tuple[int, ...], strides: tuple[int, ...]) -> Any:
    xs = r.get_aval(x).shape
    out_shape = r.get_aval(ct).shape
    zero = r.full_aval(ShapedArray((), r.get_aval(ct).dtype), 0)
    if 0 in out_shape:
        return r.full_like(x, 0)
    config = []
    for s, st, n, d in zip(start_indices, strides, out_shape, xs):
        last = s + (n - 1) * st
        config.append((s, d - 1 - last, st - 1))
    return pad_p.bind(ct, zero, padding_config=tuple(config))


r.deflinear(slice_p, [_slice_vjp])


def _pad_operand_vjp(ct: Any, ans: Any, x: Any, v: Any, *,
                     padding_config: tuple[tuple[int, int, int], ...]) -> Any:
    xs = r.get_aval(x).shape
    if 0 in xs:
        return r.full_like(x, 0)
    if any(lo < 0 or hi < 0 for lo, hi, _ in padding_config):  # cropped edges: restore them as zeros first
        ct_aval = r.get_aval(ct)
        ct = pad_p.bind(ct, r.full_aval(ShapedArray((), ct_aval.dtype), 0),
                        padding_config=tuple((max(-lo, 0), max(-hi, 0), 0) for lo, hi, _ in padding_config))
        padding_config = tuple((max(lo, 0), max(hi, 0), it) for lo, hi, it in padding_config)
    starts, limits, steps = [], [], []
    for (lo, _hi, interior), d in zip(padding_config, xs):
        starts.append(lo)
        limits.append(lo + (d - 1) * (interior + 1) + 1)
        steps.append(interior + 1)
    return slice_p.bind(ct, start_indices=tuple(starts), limit_indices=tuple(limits), strides=tuple(steps))


def _pad_value_vjp(ct: Any, ans: Any, x: Any, v: Any, *,
                   padding_config: tuple[tuple[int, int, int], ...]) -> Any:
    total = r.reduce_sum(ct, range(r.get_aval(ct).ndim))
    inner = _pad_operand_vjp(ct, ans, x, v, padding_config=padding_config)
    return r.sub(total, r.reduce_sum(inner, range(r.get_aval(inner).ndim)))


r.deflinear(pad_p, [_pad_operand_vjp, _pad_value_vjp])


def _concat_vjp_all(ct: Any, ans: Any, *xs: Any, dimension: int) -> list[Any]:
    """Each operand's cotangent: its slice of ``ct`` along ``dimension``."""
    shape = r.get_aval(ct).shape
    cts = []
    start = 0
    for x in xs:
        stop = start + r.get_aval(x).shape[dimension]
        starts = tuple(start if d == dimension else 0 for d in range(len(shape)))
        limits = tuple(stop if d == dimension else n for d, n in enumerate(shape))
        cts.append(slice_p.bind(ct, start_indices=starts, limit_indices=limits, strides=(1,) * len(shape)))
        start = stop
    return cts


# any number of operands: one rule giving every cotangent, not one rule per position
r.deflinear(concatenate_p, vjp_all=_concat_vjp_all)


def _diagonal_vjp(ct: Any, ans: Any, x: Any, *, offset: int, axis1: int, axis2: int) -> Any:
    xaval = r.get_aval(x)
    n1, n2 = xaval.shape[axis1], xaval.shape[axis2]
    rest = [i for i in range(xaval.ndim) if i not in (axis1, axis2)]
    cshape = r.get_aval(ct).shape  # rest + (n,)
    n = cshape[-1]
    # the k-th diagonal element sits at row k (offset >= 0) or column k (offset < 0)
    zero = r.full_aval(ShapedArray((), xaval.dtype), 0)
    nrest = len(rest)
    if offset >= 0:
        line = pad_p.bind(ct, zero, padding_config=((0, 0, 0),) * nrest + ((0, n1 - n, 0),))
        grid = r.broadcast(line, tuple(cshape[:-1]) + (n1, n2), tuple(range(nrest + 1)))
    else:
        line = pad_p.bind(ct, zero, padding_config=((0, 0, 0),) * nrest + ((0, n2 - n, 0),))
        grid = r.broadcast(line, tuple(cshape[:-1]) + (n1, n2), tuple(range(nrest)) + (nrest + 1,))
    mask_np = np.eye(n1, n2, offset, dtype=bool)
    mask = r.broadcast(Array._wrap(mask_np), grid_shape := tuple(cshape[:-1]) + (n1, n2),
                       (len(grid_shape) - 2, len(grid_shape) - 1))
    placed = r.select(mask, grid, r.full_like(grid, 0))
    # axes of `placed`: rest..., axis1, axis2 -> back to x's order
    order = rest + [axis1, axis2]
    return r.transpose(placed, r.inverse_permutation(order))


r.deflinear(diagonal_p, [_diagonal_vjp])


def _as_strided_vjp(ct: Any, ans: Any, x: Any, *, shape: tuple[int, ...], strides: tuple[int, ...],
                    offset: int) -> Any:
    # each output element reads one element of x (row-major): scatter-add the
    # cotangent back to the element it came from (overlapping windows accumulate)
    xaval = r.get_aval(x)
    flat_idx = np.full(shape, offset, np.int64)
    for axis, (n, s) in enumerate(zip(shape, strides)):
        flat_idx = flat_idx + (np.arange(n, dtype=np.int64) * s).reshape((n,) + (1,) * (len(shape) - axis - 1))
    n_out = int(flat_idx.size)
    zeros = r.full_aval(ShapedArray((xaval.size,), xaval.dtype), 0)
    out = r._p("scatter").bind(zeros, Array._wrap(flat_idx.reshape(n_out, 1)), r.reshape(ct, (n_out,)), mode="add")
    return r.reshape(out, xaval.shape)


r.deflinear(as_strided_p, [_as_strided_vjp])

# --- batching rules -------------------------------------------------------------------


def _plus1(name: str) -> Any:
    return lambda params, size: {**params, name: tuple(d + 1 for d in params[name])}


r.batch_front(transpose_p, lambda p, n: {"permutation": (0,) + tuple(d + 1 for d in p["permutation"])})
r.batch_front(
    broadcast_in_dim_p,
    lambda p, n: {"shape": (n,) + tuple(p["shape"]),
                  "broadcast_dimensions": (0,) + tuple(d + 1 for d in p["broadcast_dimensions"])},
)
r.batch_front(reshape_p, lambda p, n: {"new_sizes": (n,) + tuple(p["new_sizes"])})
r.batch_front(squeeze_p, _plus1("dimensions"))
r.batch_front(expand_dims_p, _plus1("dimensions"))
r.batch_front(rev_p, _plus1("dimensions"))
r.batch_front(
    slice_p,
    lambda p, n: {"start_indices": (0,) + tuple(p["start_indices"]),
                  "limit_indices": (n,) + tuple(p["limit_indices"]),
                  "strides": (1,) + tuple(p["strides"])},
)
r.batch_front(diagonal_p, lambda p, n: {**p, "axis1": p["axis1"] + 1, "axis2": p["axis2"] + 1})
r.batch_elementwise(copy_p)


def _as_strided_batch(vals: Any, dims: Any, *, axis_size: int, shape: tuple[int, ...],
                      strides: tuple[int, ...], offset: int) -> Any:
    (x,), (d,) = vals, dims
    x = r.bdim_to_front(x, d, axis_size)
    per = r.get_aval(x)
    example = ShapedArray(per.shape[1:], per.dtype)
    _as_strided_abstract(example, shape=shape, strides=strides, offset=offset)  # per-example bounds
    return as_strided_p.bind(
        x, shape=(axis_size,) + tuple(shape), strides=(example.size,) + tuple(strides), offset=offset
    ), 0


batch_rules[as_strided_p] = _as_strided_batch


def _pad_batch(vals: Any, dims: Any, *, axis_size: int, padding_config: Any) -> Any:
    x, v = vals
    dx, dv = dims
    config = ((0, 0, 0),) + tuple(padding_config)
    if dv is None:
        x = r.bdim_to_front(x, dx, axis_size)
        return pad_p.bind(x, v, padding_config=config), 0
    # a batched padding value: pad with zeros, then select the value into the padding
    x = r.bdim_to_front(x, dx, axis_size)
    xa = r.get_aval(x)
    zero = r.full_aval(ShapedArray((), xa.dtype), 0)
    padded = pad_p.bind(x, zero, padding_config=config)
    inside = np.ones(xa.shape[1:], dtype=bool)
    mask_np = kcopy.pad(inside, np.zeros((), bool), tuple(padding_config), r.get_aval(padded).shape[1:])
    pshape = r.get_aval(padded).shape
    mask = r.broadcast(Array._wrap(mask_np), pshape, tuple(range(1, len(pshape))))
    vb = r.broadcast(r.bdim_to_front(v, dv, axis_size), pshape, (0,))
    return r.select(mask, padded, vb), 0


batch_rules[pad_p] = _pad_batch


def _concat_batch(vals: Any, dims: Any, *, axis_size: int, dimension: int) -> Any:
    xs = [r.bdim_to_front(v, d, axis_size) for v, d in zip(vals, dims)]
    return concatenate_p.bind(*xs, dimension=dimension + 1), 0


batch_rules[concatenate_p] = _concat_batch
