"""Gather and scatter: the two indexing primitives.

Both use one index form, closed under batching (vmapped indices add a
leading batch axis, and then a vmapped operand an iota column; with shared
indices the operand's batch axis just moves after the indexed axes; see the
rules at the end):

- ``gather(operand, indices)``: ``indices`` is an integer array of shape
  ``(*batch, k)`` whose last axis indexes the first ``k`` axes of
  ``operand``; the result has shape ``(*batch, *operand.shape[k:])``.
- ``scatter(operand, indices, updates, mode)``: same index form, ``updates``
  of shape ``(*batch, *operand.shape[k:])`` and ``operand``'s dtype.  Returns
  a NEW array (``operand`` is unchanged) where each row of ``updates`` is
  combined into its indexed row by ``mode``: ``"set"``, ``"add"``,
  ``"mul"``, ``"min"`` or ``"max"``.  Rows are applied in row-major batch
  order, so repeated indices accumulate for add/mul/min/max, and for
  ``"set"`` the LAST write wins.  On booleans ``add`` is logical or and
  ``mul`` logical and (as NumPy's ``np.add.at``).  min/max propagate NaN.

Indices must satisfy ``0 <= i < size`` (the numpy layer normalises negative
indices and implements clip/wrap modes); anything else raises
``IndexError`` naming the axis, its size and the offending index before
any kernel runs.

Example:
    >>> import functorch_lite.numpy as jnp
    >>> x = jnp.arange(6).reshape(3, 2)
    >>> gather_p.bind(x, jnp.array([[2], [0]])).tolist()
    [[4, 5], [0, 1]]
    >>> scatter_p.bind(jnp.zeros(3), jnp.array([[1], [1]]), jnp.ones(2), mode="add").tolist()
    [0.0, 2.0, 0.0]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from functorch_lite import dtypes
from functorch_lite.array import Array
from functorch_lite.core import Primitive, ShapedArray
from functorch_lite.ops import params as P
from functorch_lite.ops.kernels import indexing as k
from functorch_lite.ops.tables import batch_rules, jvp_rules, param_types, vjp_rules

INDEXING: dict[str, Primitive] = {}

SCATTER_MODES = ("set", "add", "mul", "min", "max")


def _aval(x: Array) -> ShapedArray:
    return ShapedArray(x.shape, x.dtype, x.weak_type)


def _check_indices_aval(name: str, operand: ShapedArray, indices: ShapedArray) -> int:
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{name}: indices must be an integer array, got {indices.str_short()}")
    if indices.ndim < 1:
        raise ValueError(
            f"{name}: indices must have shape (*batch, k) with the last axis indexing the first k "
            f"axes of the operand, got a 0-d {indices.str_short()}"
        )
    nk = indices.shape[-1]
    if nk > operand.ndim:
        raise ValueError(
            f"{name}: indices {indices.str_short()} index {nk} axes but the operand "
            f"{operand.str_short()} has only {operand.ndim}"
        )
    return nk


def index_matrix(name: str, indices: Array, sizes: tuple[int, ...]) -> np.ndarray[Any, Any]:
    """The indices as a validated C-contiguous (B, k) int64 matrix.

    Raises ``IndexError`` naming the axis, its size and the first offending
    index if any index is outside ``0 <= i < size``.
    """
    nk = len(sizes)
    nb = 1
    for d in indices.shape[:-1]:
        nb *= d
    idx = np.ascontiguousarray(indices._numpy().reshape(nb, nk), dtype=np.int64)
    if idx.shape[0] and nk:
        # per column: NumPy's reduction over axis 0 of a narrow (B, k) matrix is ~25x slower
        # than k strided 1-D reductions (1.4 ms against 53 us for B = 100,000, k = 2)
        lo = np.array([idx[:, j].min() for j in range(nk)], np.int64)
        hi = np.array([idx[:, j].max() for j in range(nk)], np.int64)
        size_arr = np.asarray(sizes, np.int64)
        bad = (lo < 0) | (hi >= size_arr)
        if bad.any():
            j = int(np.argmax(bad))
            col = idx[:, j]
            first = int(np.argmax((col < 0) | (col >= sizes[j])))
            pos = np.unravel_index(first, indices.shape[:-1]) if indices.ndim > 1 else ()
            raise IndexError(
                f"{name}: index {int(col[first])} is out of bounds for axis {j} with size {sizes[j]} "
                f"(at indices position {tuple(int(p) for p in pos) + (j,)}); primitive indices must "
                "satisfy 0 <= i < size (functorch_lite.numpy normalises negative indices)"
            )
    return idx


# --- gather ----------------------------------------------------------------------------
gather_p = Primitive("gather")


def _gather_abstract(operand: ShapedArray, indices: ShapedArray) -> ShapedArray:
    nk = _check_indices_aval("gather", operand, indices)
    return ShapedArray(indices.shape[:-1] + operand.shape[nk:], operand.dtype, operand.weak_type)


def _gather_impl(operand: Array, indices: Array) -> Array:
    aval = _gather_abstract(_aval(operand), _aval(indices))
    nk = indices.shape[-1]
    if nk == 0:
        # empty index rows each select the whole operand; the (M, 0) index matrix
        # cannot say how many rows there are (a (M, 0) reshape loses M)
        return Array._wrap(np.broadcast_to(operand._numpy(), aval.shape).copy(), operand.weak_type)
    idx = index_matrix("gather", indices, operand.shape[:nk])
    if operand.dtype.kind == "c":
        # a complex element is a pair of reals: gather the pairs (the kernels move bits of
        # at most 8 bytes), then view them back as complex numbers
        buf = operand.storage().numpy().view(dtypes.real_dtype(operand.dtype))
        pairs = k.gather(buf, 2 * operand._offset, operand.shape + (2,),
                         tuple(2 * st for st in operand._strides) + (1,), idx)
        return Array._wrap(pairs.view(operand.dtype)[..., 0].reshape(aval.shape), operand.weak_type)
    out = k.gather(operand.storage().numpy(), operand._offset, operand.shape, operand._strides, idx)
    return Array._wrap(out.reshape(aval.shape), operand.weak_type)


gather_p.impl = _gather_impl
gather_p.abstract_eval = _gather_abstract
INDEXING["gather"] = gather_p


# --- scatter ---------------------------------------------------------------------------
scatter_p = Primitive("scatter")
param_types[scatter_p] = {"mode": P.one_of(*SCATTER_MODES)}


def _scatter_abstract(operand: ShapedArray, indices: ShapedArray, updates: ShapedArray, *,
                      mode: str) -> ShapedArray:
    if mode not in SCATTER_MODES:
        raise ValueError(f"scatter: mode must be one of {SCATTER_MODES}, got {mode!r}")
    if mode in ("min", "max") and operand.dtype.kind == "c":
        raise TypeError(
            f"scatter: mode {mode!r} needs an order, and complex numbers have none (Array API); got "
            f"{operand.str_short()}: update jnp.real(x) or another real key instead"
        )
    nk = _check_indices_aval("scatter", operand, indices)
    expected = indices.shape[:-1] + operand.shape[nk:]
    if updates.shape != expected or updates.dtype != operand.dtype:
        raise ValueError(
            f"scatter: updates must have shape (*indices.shape[:-1], *operand.shape[k:]) = "
            f"{expected} and the operand's dtype {operand.dtype}; got {updates.str_short()} "
            f"(operand {operand.str_short()}, indices {indices.str_short()})"
        )
    return ShapedArray(operand.shape, operand.dtype, operand.weak_type)


def _scatter_impl(operand: Array, indices: Array, updates: Array, *, mode: str) -> Array:
    _scatter_abstract(_aval(operand), _aval(indices), _aval(updates), mode=mode)
    nk = indices.shape[-1]
    base = operand._numpy()
    if nk == 0:
        # empty index rows each address the whole operand: scatter into a leading unit axis at
        # index 0 instead (an (M, 0) index matrix cannot say how many rows there are)
        base = base[None]
        idx = np.zeros((math.prod(indices.shape[:-1]), 1), np.int64)
    else:
        idx = index_matrix("scatter", indices, operand.shape[:nk])
    if operand.dtype.kind == "b":
        mode = {"add": "max", "mul": "min"}.get(mode, mode)  # or / and, as np.add.at on bools
    if operand.dtype.kind == "c":
        return Array._wrap(_complex_scatter(base, idx, updates, mode).reshape(operand.shape), operand.weak_type)
    out = k.scatter(base, idx, updates.storage().numpy(), updates._offset, updates.shape, updates._strides, mode)
    return Array._wrap(out.reshape(operand.shape), operand.weak_type)


def _complex_scatter(base: np.ndarray[Any, Any], idx: np.ndarray[Any, Any], updates: Array,
                     mode: str) -> np.ndarray[Any, Any]:
    """Scatter into a complex operand.  "set" and "add" act on the real and
    imaginary parts separately, so they run the kernels on pairs of reals (a
    trailing axis of 2); "mul" mixes the parts: NumPy's ``multiply.at``, which
    applies repeated indices in order, as the kernels do."""
    if mode == "mul":
        out = base.copy()
        nb = idx.shape[0]
        upd = updates._numpy().reshape((nb,) + base.shape[idx.shape[1]:])
        with np.errstate(all="ignore"):
            np.multiply.at(out, tuple(idx.T), upd)
        return out
    rdt = dtypes.real_dtype(base.dtype)
    pairs = base[..., None].view(rdt)
    ubuf = updates.storage().numpy().view(rdt)
    out = k.scatter(pairs, idx, ubuf, 2 * updates._offset, updates.shape + (2,),
                    tuple(2 * st for st in updates._strides) + (1,), mode)
    res: np.ndarray[Any, Any] = out.view(base.dtype)[..., 0]
    return res


scatter_p.impl = _scatter_impl
scatter_p.abstract_eval = _scatter_abstract
INDEXING["scatter"] = scatter_p


# --- differentiation and batching rules -------------------------------------------------
# Every rule below is written with primitives (gather/scatter themselves among
# them), so derivatives of derivatives and derivatives under vmap work.
#
# gather is linear in its operand: the tangent is the gathered tangent, the
# cotangent a scatter-add of the cotangent (repeated indices accumulate).
#
# scatter, per mode (``x`` operand, ``u`` updates, ``p`` an indexed position;
# trailing slice axes are elementwise throughout):
#
# - ``add``: linear in ``x`` and ``u``: ct_x = ct, ct_u = gather(ct).
# - ``set``: linear in ``(x, u)`` jointly.  ct_x is ct with the written
#   positions zeroed; with repeated indices only the WINNING (last) update
#   of a position receives its cotangent, the overwritten ones get zero
#   (JAX's scheme: scatter the update ids, gather them back, compare).
# - ``mul``: out[p] = x[p] * prod(u_j -> p): ct_x = ct * prod(u_j -> p),
#   ct_u_j = gather(ct * x)_j * prod(u_i -> p, i != j), exact also with
#   zeros among the updates (the product of the others is formed by
#   counting zeros, as reduce_prod's rule; JAX supports only unique indices
#   here).  Like reduce_prod, the SECOND derivative is exact only where no
#   update of a position is zero.
# - ``min``/``max``: the derivative goes to whichever of x[p] and the
#   updates hitting p attain the result; ties share it evenly (as
#   reduce_max and JAX).  NaN counts as attaining a NaN result.
#
# Integer and boolean operands have no derivative: their rules give zeros.
#
# Batching: the index form is closed under batching.  With unbatched indices,
# the operand's batch axis moves to just after the k indexed axes (a view),
# so the indices are reused unchanged and every gathered/scattered row grows
# by the batch; with batched indices, the batch axis of the indices becomes
# a leading index-batch axis, and a batched operand (always for scatter, whose
# output is per example) gets an iota column prepended to the indices.
from functorch_lite.ops import _rules as r  # noqa: E402
from functorch_lite.ops import shape_ops as so  # noqa: E402


def _zeros(x: Any) -> Array:
    return r.full_like(x, 0)


def _inst(t: Any) -> Any:
    return r.full_aval(t.aval, 0) if isinstance(t, r.Zero) else t


def _nk(indices: Any) -> int:
    k: int = r.get_aval(indices).shape[-1]
    return k


def _index_iota(indices: Any) -> Array:
    """``0, 1, ...`` over the index-batch shape of ``indices`` (row-major)."""
    batch = r.get_aval(indices).shape[:-1]
    n = int(np.prod(batch, dtype=np.int64))
    dt = np.dtype(np.int32) if n < 2**31 else np.dtype(np.int64)
    return Array._wrap(np.arange(n, dtype=dt).reshape(batch))


# --- gather rules ---


def _gather_jvp(primals: Any, tangents: Any) -> tuple[Any, Any]:
    (x, indices), (t, _) = primals, tangents
    ans = gather_p.bind(x, indices)
    if isinstance(t, r.Zero) or not r.is_float(x):
        return ans, r.Zero(r.get_aval(ans))
    return ans, gather_p.bind(t, indices)


def _gather_vjp(ct: Any, ans: Any, x: Any, indices: Any) -> Any:
    if not r.is_float(x):
        return _zeros(x)
    return scatter_p.bind(_zeros(x), indices, ct, mode="add")


jvp_rules[gather_p] = _gather_jvp
vjp_rules[gather_p] = (_gather_vjp, None)


# --- scatter rules ---


def _set_winners(indices: Any, shape: tuple[int, ...]) -> Any:
    """Boolean over the index-batch shape: whether each update is the last
    write to its position (the one a ``set`` scatter keeps)."""
    ids = _index_iota(indices)
    nk = _nk(indices)
    none = r.full_aval(ShapedArray(shape[:nk], ids.dtype), -1)
    won = gather_p.bind(scatter_p.bind(none, indices, ids, mode="set"), indices)
    return r.eq(won, ids)


def _rows_mask(mask: Any, u: Any) -> Any:
    """A mask over the index-batch axes broadcast over the update rows."""
    ua = r.get_aval(u)
    return r.broadcast(mask, ua.shape, tuple(range(r.get_aval(mask).ndim)))


def _mul_others(x: Any, indices: Any, u: Any) -> Any:
    """For each update, the product of the OTHER updates hitting its
    position (exact with zeros: counts them instead of dividing by zero)."""
    dt = r.get_aval(u).dtype
    is_zero = r.eq(u, r.full_like(u, 0))
    safe_u = r.select(is_zero, r.full_like(u, 1), u)
    nzeros = gather_p.bind(scatter_p.bind(_zeros(x), indices, r.convert(is_zero, dt), mode="add"), indices)
    prod_nonzero = gather_p.bind(scatter_p.bind(r.full_like(x, 1), indices, safe_u, mode="mul"), indices)
    no_zero = r.div(prod_nonzero, safe_u)
    one_zero = r.select(is_zero, prod_nonzero, r.full_like(u, 0))
    return r.select(r.eq(nzeros, r.full_like(u, 0)), no_zero,
                    r.select(r.eq(nzeros, r.full_like(u, 1)), one_zero, r.full_like(u, 0)))


def _attains(v: Any, target: Any) -> Any:
    """``v == target``, NaN attaining NaN."""
    nan_t = r._p("isnan").bind(target)
    return r.select(nan_t, r._p("isnan").bind(v), r.eq(v, target))


def _extreme_shares(ans: Any, x: Any, indices: Any, u: Any) -> tuple[Any, Any]:
    """Weights of x and of each update in a min/max scatter's result: 1 for
    the ones attaining it, divided by how many do (ties share evenly)."""
    dt = r.get_aval(x).dtype
    wx = r.convert(_attains(x, ans), dt)
    wu = r.convert(_attains(u, gather_p.bind(ans, indices)), dt)
    count = r.add(wx, scatter_p.bind(_zeros(x), indices, wu, mode="add"))  # >= 1: someone attains it
    return r.div(wx, count), r.div(wu, gather_p.bind(count, indices))


def _scatter_jvp(primals: Any, tangents: Any, *, mode: str) -> tuple[Any, Any]:
    (x, indices, u), (tx, _, tu) = primals, tangents
    ans = scatter_p.bind(x, indices, u, mode=mode)
    if (isinstance(tx, r.Zero) and isinstance(tu, r.Zero)) or not r.is_float(x):
        return ans, r.Zero(r.get_aval(ans))
    if mode in ("add", "set"):
        return ans, scatter_p.bind(_inst(tx), indices, _inst(tu), mode=mode)
    if mode == "mul":
        out_t = None
        if not isinstance(tx, r.Zero):
            out_t = r.mul(tx, scatter_p.bind(r.full_like(x, 1), indices, u, mode="mul"))
        if not isinstance(tu, r.Zero):
            spread = scatter_p.bind(_zeros(x), indices, r.mul(tu, _mul_others(x, indices, u)), mode="add")
            term = r.mul(x, spread)
            out_t = term if out_t is None else r.add(out_t, term)
        return ans, out_t
    sx, su = _extreme_shares(ans, x, indices, u)
    return ans, scatter_p.bind(r.mul(_inst(tx), sx), indices, r.mul(_inst(tu), su), mode="add")


def _scatter_vjp_operand(ct: Any, ans: Any, x: Any, indices: Any, u: Any, *, mode: str) -> Any:
    if not r.is_float(x):
        return _zeros(x)
    if mode == "add":
        return ct
    if mode == "set":
        return scatter_p.bind(ct, indices, _zeros(u), mode="set")
    if mode == "mul":
        return r.mul(ct, scatter_p.bind(r.full_like(x, 1), indices, u, mode="mul"))
    return r.mul(ct, _extreme_shares(ans, x, indices, u)[0])


def _scatter_vjp_updates(ct: Any, ans: Any, x: Any, indices: Any, u: Any, *, mode: str) -> Any:
    if not r.is_float(u):
        return _zeros(u)
    if mode == "add":
        return gather_p.bind(ct, indices)
    if mode == "set":
        g = gather_p.bind(ct, indices)
        won = _rows_mask(_set_winners(indices, r.get_aval(x).shape), u)
        return r.select(won, g, r.full_like(g, 0))
    if mode == "mul":
        return r.mul(gather_p.bind(r.mul(ct, x), indices), _mul_others(x, indices, u))
    return r.mul(gather_p.bind(ct, indices), _extreme_shares(ans, x, indices, u)[1])


jvp_rules[scatter_p] = _scatter_jvp
vjp_rules[scatter_p] = (_scatter_vjp_operand, None, _scatter_vjp_updates)


# --- batching rules ---


def _bdim_to(v: Any, d: int | None, pos: int, size: int) -> Any:
    """``v`` with its batch axis at ``pos`` (broadcast there if unbatched)."""
    if d is not None:
        return r.moveaxis(v, d, pos)
    shape = r.get_aval(v).shape
    dims = tuple(range(pos)) + tuple(range(pos + 1, len(shape) + 1))
    return r.broadcast(v, shape[:pos] + (size,) + shape[pos:], dims)


def _with_batch_column(indices: Any, size: int) -> Any:
    """Indices ``(B, *batch, k)`` (batch axis first) with an iota column
    prepended, ``(B, *batch, k + 1)``: they then also index the operand's
    leading batch axis."""
    aval = r.get_aval(indices)
    dt = aval.dtype
    if size - 1 > np.iinfo(dt).max:
        dt = np.dtype(np.int64)
    indices = r.convert(indices, dt)
    col = r.broadcast(Array._wrap(np.arange(size, dtype=dt)), aval.shape[:-1] + (1,), (0,))
    return so.concatenate_p.bind(col, indices, dimension=aval.ndim - 1)


def _gather_batch(vals: Any, dims: Any, *, axis_size: int) -> tuple[Any, int]:
    (x, indices), (dx, di) = vals, dims
    if di is None:  # the operand's batch axis rides along after the indexed axes
        return gather_p.bind(r.moveaxis(x, dx, _nk(indices)), indices), r.get_aval(indices).ndim - 1
    indices = r.moveaxis(indices, di, 0)
    if dx is None:  # the batch is one more index-batch axis
        return gather_p.bind(x, indices), 0
    return gather_p.bind(r.moveaxis(x, dx, 0), _with_batch_column(indices, axis_size)), 0


def _scatter_batch(vals: Any, dims: Any, *, axis_size: int, mode: str) -> tuple[Any, int]:
    (x, indices, u), (dx, di, du) = vals, dims
    if di is None:
        nk = _nk(indices)
        nb = r.get_aval(indices).ndim - 1
        x = _bdim_to(x, dx, nk, axis_size)
        u = _bdim_to(u, du, nb, axis_size)
        return scatter_p.bind(x, indices, u, mode=mode), nk
    indices = _with_batch_column(r.moveaxis(indices, di, 0), axis_size)
    x = r.bdim_to_front(x, dx, axis_size)
    u = r.bdim_to_front(u, du, axis_size)
    return scatter_p.bind(x, indices, u, mode=mode), 0


batch_rules[gather_p] = _gather_batch
batch_rules[scatter_p] = _scatter_batch
