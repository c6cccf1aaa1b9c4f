"""Contraction primitive: ``dot_general`` (JAX's form).

``dot_general(lhs, rhs, dimension_numbers=((lhs_contract, rhs_contract),
(lhs_batch, rhs_batch)), preferred_element_type=None)`` multiplies and sums
over the paired contracting axes, keeps the paired batch axes, and lays the
output out as ``batch dims, lhs free dims, rhs free dims`` (free dims in
their original order).  This one primitive carries matmul, dot, tensordot,
vecdot and every pairwise einsum contraction; its batch rule turns vmapped
axes into more batch axes and its transpose rule into other dot_generals,
so the form stays closed under transformations.

Operands have equal dtypes (the numpy layer promotes).  The output dtype is
the operand dtype, or ``preferred_element_type`` when given (it must be a
dtype the operand dtype promotes to, e.g. ``int8`` operands with an
``int32`` result).

Example:
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite.ops.linalg import dot_general_p
    >>> a, b = jnp.ones((2, 3)), jnp.ones((3, 4))
    >>> dot_general_p.bind(a, b, dimension_numbers=(((1,), (0,)), ((), ()))).shape
    (2, 4)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from functorch_lite import dtypes
from functorch_lite.array import Array
from functorch_lite.core import Primitive, ShapedArray
from functorch_lite.ops import params as P
from functorch_lite.ops.kernels import blas_update as kb
from functorch_lite.ops.kernels import linalg as k
from functorch_lite.ops.tables import batch_rules, jvp_rules, param_types, specializers, vjp_rules

DimensionNumbers = tuple[tuple[tuple[int, ...], tuple[int, ...]], tuple[tuple[int, ...], tuple[int, ...]]]

LINALG: dict[str, Primitive] = {}

dot_general_p = Primitive("dot_general")
param_types[dot_general_p] = {
    "dimension_numbers": P.ParamSpec("((lhs_contract, rhs_contract), (lhs_batch, rhs_batch)) tuples of axes",
                                     P.tuple_of(P.tuple_of(P.is_axes, 2), 2)),
    "preferred_element_type": P.ParamSpec("a supported dtype or None", lambda v: v is None or P.is_dtype(v),
                                          required=False),
}
LINALG["dot_general"] = dot_general_p


def _check_axes(what: str, axes: Any, aval: ShapedArray, dn: Any) -> tuple[int, ...]:
    if not isinstance(axes, tuple) or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
        raise TypeError(
            f"dot_general: {what} axes must be a tuple of ints, got {axes!r} in "
            f"dimension_numbers={dn!r}"
        )
    for a in axes:
        if not 0 <= a < aval.ndim:
            raise ValueError(
                f"dot_general: {what} axis {a} is out of range for {aval.str_short()} "
                f"(dimension_numbers={dn!r}; axes are non-negative here)"
            )
    return axes


def dot_general_shape(
    lhs: ShapedArray, rhs: ShapedArray, dimension_numbers: DimensionNumbers
) -> tuple[int, ...]:
    """The output shape of ``dot_general``, or a clear error.

    Example:
        >>> f32 = np.dtype("float32")
        >>> dot_general_shape(ShapedArray((5, 2, 3), f32), ShapedArray((5, 3, 4), f32),
        ...                   (((2,), (1,)), ((0,), (0,))))
        (5, 2, 4)
    """
    dn = dimension_numbers
    try:
        (lc, rc), (lb, rb) = dn
    except (TypeError, ValueError):
        raise TypeError(
            "dot_general: dimension_numbers must be ((lhs_contracting, rhs_contracting), "
            f"(lhs_batch, rhs_batch)), got {dn!r}"
        ) from None
    lc = _check_axes("lhs contracting", lc, lhs, dn)
    rc = _check_axes("rhs contracting", rc, rhs, dn)
    lb = _check_axes("lhs batch", lb, lhs, dn)
    rb = _check_axes("rhs batch", rb, rhs, dn)
    if len(lc) != len(rc) or len(lb) != len(rb):
        raise ValueError(
            f"dot_general: lhs and rhs need the same number of contracting axes and of batch "
            f"axes, got dimension_numbers={dn!r} for {lhs.str_short()} and {rhs.str_short()}"
        )
    for name, used, aval in (("lhs", lc + lb, lhs), ("rhs", rc + rb, rhs)):
        if len(set(used)) != len(used):
            raise ValueError(
                f"dot_general: {name} axes are repeated across contracting and batch axes "
                f"in dimension_numbers={dn!r} ({aval.str_short()})"
            )
    for kind, la, ra in (("contracting", lc, rc), ("batch", lb, rb)):
        for i, j in zip(la, ra):
            if lhs.shape[i] != rhs.shape[j]:
                raise ValueError(
                    f"dot_general: {kind} axis {i} of lhs {lhs.str_short()} has size "
                    f"{lhs.shape[i]} but the paired axis {j} of rhs {rhs.str_short()} has size "
                    f"{rhs.shape[j]}"
                )
    lfree = tuple(d for i, d in enumerate(lhs.shape) if i not in lc and i not in lb)
    rfree = tuple(d for i, d in enumerate(rhs.shape) if i not in rc and i not in rb)
    return tuple(lhs.shape[i] for i in lb) + lfree + rfree


def _dot_general_abstract(
    lhs: ShapedArray, rhs: ShapedArray, *, dimension_numbers: DimensionNumbers,
    preferred_element_type: np.dtype[Any] | None = None,
) -> ShapedArray:
    if lhs.dtype != rhs.dtype:
        raise TypeError(
            f"dot_general: operands must have equal dtypes, got {lhs.str_short()} and "
            f"{rhs.str_short()}; jnp.matmul/jnp.einsum promote for you"
        )
    shape = dot_general_shape(lhs, rhs, dimension_numbers)
    if preferred_element_type is None:
        return ShapedArray(shape, lhs.dtype, lhs.weak_type and rhs.weak_type)
    out = dtypes.canonicalize(preferred_element_type)
    if dtypes.promote_types(lhs.dtype, out) != out:
        raise TypeError(
            f"dot_general: preferred_element_type {out} is narrower than the operand dtype "
            f"{lhs.dtype}; pass a dtype that {lhs.dtype} promotes to (or None)"
        )
    return ShapedArray(shape, out, False)


# (lhs shape, rhs shape, dtype, dimension_numbers, preferred) -> validated output aval
# (shared by all threads without a lock: each get/set/clear is one atomic dict
# operation, and a value depends on its key alone, so a race costs a recompute)
_AVAL_CACHE: dict[tuple[Any, ...], ShapedArray] = {}


def _dot_general_impl(
    lhs: Array, rhs: Array, *, dimension_numbers: DimensionNumbers,
    preferred_element_type: np.dtype[Any] | None = None,
) -> Array:
    key = (lhs._shape, rhs._shape, lhs._dtype, rhs._dtype, dimension_numbers, preferred_element_type)
    aval = _AVAL_CACHE.get(key)
    if aval is None:
        aval = _dot_general_abstract(
            ShapedArray(lhs.shape, lhs.dtype), ShapedArray(rhs.shape, rhs.dtype),
            dimension_numbers=dimension_numbers, preferred_element_type=preferred_element_type,
        )
        if len(_AVAL_CACHE) > 1024:
            _AVAL_CACHE.clear()
        _AVAL_CACHE[key] = aval
    (lc, rc), (lb, rb) = dimension_numbers
    out = k.dot_general(lhs._numpy(), rhs._numpy(), lc, rc, lb, rb, aval.dtype)
    weak = preferred_element_type is None and lhs.weak_type and rhs.weak_type
    return Array._wrap(out, weak)


dot_general_p.impl = _dot_general_impl
dot_general_p.abstract_eval = _dot_general_abstract


def _dot_general_specialize(
    lhs: ShapedArray, rhs: ShapedArray, *, dimension_numbers: DimensionNumbers,
    preferred_element_type: np.dtype[Any] | None = None,
) -> Any:
    """For jit: a plain float matrix product (2-D operands, one contracted
    pair, no batch axes) goes straight to ``np.matmul`` on the operands' views
    (shape checks, the result dtype and the operand orientation are settled
    here, once), falling back to ``impl`` for a layout BLAS cannot take."""
    (lc, rc), (lb, rb) = dimension_numbers
    if (lhs.ndim != 2 or rhs.ndim != 2 or lb or len(lc) != 1 or lhs.dtype != rhs.dtype
            or lhs.dtype.kind != "f" or preferred_element_type not in (None, lhs.dtype)):
        return None
    lhs_t, rhs_t = lc[0] == 0, rc[0] == 1
    weak = preferred_element_type is None and lhs.weak_type and rhs.weak_type
    matmul, wrap = np.matmul, Array._wrap

    def matrix_product(a: Array, b: Array) -> Array:
        # k.blas_ready's test on the Arrays' own shapes and strides (in elements; a
        # transpose swaps them): NumPy's attributes cost 0.3 us a test, a fifth of a
        # small product's whole time
        (r, c), (s0, s1) = a._shape, a._strides
        (p, q), (t0, t1) = b._shape, b._strides
        if (r > 1 and c > 1 and p > 1 and q > 1
                and ((s1 == 1 and s0 >= c) or (s0 == 1 and s1 >= r))
                and ((t1 == 1 and t0 >= q) or (t0 == 1 and t1 >= p))):
            x, y = a._numpy(), b._numpy()
            return wrap(matmul(x.T if lhs_t else x, y.T if rhs_t else y), weak)
        return _dot_general_impl(a, b, dimension_numbers=dimension_numbers,
                                 preferred_element_type=preferred_element_type)

    return matrix_product


specializers[dot_general_p] = _dot_general_specialize


# --- a product with its update folded in (made by jit's back end only) -------------------

#: ``c + alpha * dot_general(a, b)`` for plain float matrix products: GEMM's own
#: ``beta = 1`` update (``transforms/product_update.py`` makes it from a weight
#: update ``w - lr * (x.T @ g)``; lowering-only, so no transform rules)
dot_update_p = Primitive("dot_update", lowering_only=True)


def _dot_update_abstract(c: ShapedArray, a: ShapedArray, b: ShapedArray, *,
                         dimension_numbers: DimensionNumbers, alpha: float) -> ShapedArray:
    prod = _dot_general_abstract(a, b, dimension_numbers=dimension_numbers)
    if prod.shape != c.shape or prod.dtype != c.dtype or c.dtype.kind != "f" or prod.ndim != 2:
        raise TypeError(f"dot_update: the product {prod.str_short()} must be a float matrix of the "
                        f"addend's shape and dtype, got {c.str_short()}")
    return ShapedArray(c.shape, c.dtype, c.weak_type and prod.weak_type)


def _dot_update_impl(c: Array, a: Array, b: Array, *, dimension_numbers: DimensionNumbers,
                     alpha: float) -> Array:
    aval = _dot_update_abstract(ShapedArray(c.shape, c.dtype, c.weak_type), ShapedArray(a.shape, a.dtype),
                                ShapedArray(b.shape, b.dtype), dimension_numbers=dimension_numbers, alpha=alpha)
    (lc, rc), _ = dimension_numbers
    x, y = a._numpy(), b._numpy()
    return Array._wrap(kb.accumulate_product(c._numpy(), x.T if lc[0] == 0 else x, y.T if rc[0] == 1 else y,
                                             alpha), aval.weak_type)


dot_update_p.impl = _dot_update_impl
dot_update_p.abstract_eval = _dot_update_abstract


# --- differentiation and batching rules ---------------------------------------------------
from functorch_lite.ops import _rules as r  # noqa: E402


def _ranges_like(*xs: Any) -> list[list[int]]:
    out, start = [], 0
    for x in xs:
        out.append(list(range(start, start + len(x))))
        start += len(x)
    return out


def _remaining(n: int, *taken: Any) -> list[int]:
    used = {i for t in taken for i in t}
    return [i for i in range(n) if i not in used]


def _transpose_lhs(g: Any, x: Any, y: Any, dimension_numbers: DimensionNumbers, swap_ans: bool = False) -> Any:
    """Cotangent of the lhs ``x`` of ``dot_general(x, y)`` given the output cotangent ``g``."""
    (x_contract, y_contract), (x_batch, y_batch) = dimension_numbers
    x_ndim = r.get_aval(x).ndim
    y_ndim = r.get_aval(y).ndim
    x_kept = _remaining(x_ndim, x_contract, x_batch)
    y_kept = _remaining(y_ndim, y_contract, y_batch)
    if swap_ans:
        ans_batch, ans_y, _ = _ranges_like(x_batch, y_kept, x_kept)
    else:
        ans_batch, _, ans_y = _ranges_like(x_batch, x_kept, y_kept)
    dims = ((tuple(ans_y), tuple(y_kept)), (tuple(ans_batch), tuple(y_batch)))
    order = np.argsort(np.asarray(y_contract, dtype=np.int64)) if y_contract else np.zeros(0, np.int64)
    x_contract_sorted_by_y = [x_contract[i] for i in order]
    out_axes = np.argsort(np.asarray(list(x_batch) + x_kept + x_contract_sorted_by_y, dtype=np.int64))
    xa = r.get_aval(x)
    g = r.convert(g, xa.dtype) if r.get_aval(g).dtype != xa.dtype else g
    res = dot_general_p.bind(g, y, dimension_numbers=dims, preferred_element_type=None)
    return r.transpose(res, tuple(int(a) for a in out_axes))


def _transpose_rhs(g: Any, x: Any, y: Any, dimension_numbers: DimensionNumbers) -> Any:
    (x_contract, y_contract), (x_batch, y_batch) = dimension_numbers
    swapped = ((y_contract, x_contract), (y_batch, x_batch))
    return _transpose_lhs(g, y, x, swapped, swap_ans=True)


def _dot_jvp(primals: Any, tangents: Any, *, dimension_numbers: DimensionNumbers,
             preferred_element_type: np.dtype[Any] | None = None) -> tuple[Any, Any]:
    lhs, rhs = primals
    tl, tr = tangents
    params = {"dimension_numbers": dimension_numbers, "preferred_element_type": preferred_element_type}
    ans = dot_general_p.bind(lhs, rhs, **params)
    out = None
    if not isinstance(tl, r.Zero):
        out = dot_general_p.bind(tl, rhs, **params)
    if not isinstance(tr, r.Zero):
        term = dot_general_p.bind(lhs, tr, **params)
        out = term if out is None else r.add(out, term)
    return ans, (r.Zero(r.get_aval(ans)) if out is None else out)


jvp_rules[dot_general_p] = _dot_jvp
vjp_rules[dot_general_p] = (
    lambda ct, ans, x, y, *, dimension_numbers, preferred_element_type=None: (
        _transpose_lhs(ct, x, y, dimension_numbers) if r.is_float(x) else None),
    lambda ct, ans, x, y, *, dimension_numbers, preferred_element_type=None: (
        _transpose_rhs(ct, x, y, dimension_numbers) if r.is_float(y) else None),
)


def _shift(axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(a + 1 for a in axes)


def _dot_batch(vals: Any, dims: Any, *, axis_size: int, dimension_numbers: DimensionNumbers,
               preferred_element_type: np.dtype[Any] | None = None) -> Any:
    (lhs, rhs), (dl, dr) = vals, dims
    (lc, rc), (lb, rb) = dimension_numbers
    params = {"preferred_element_type": preferred_element_type}
    if dl is not None and dr is not None:
        lhs = r.moveaxis(lhs, dl, 0)
        rhs = r.moveaxis(rhs, dr, 0)
        dn = ((_shift(lc), _shift(rc)), ((0,) + _shift(lb), (0,) + _shift(rb)))
        return dot_general_p.bind(lhs, rhs, dimension_numbers=dn, **params), 0
    if dl is not None:
        # the batch axis becomes lhs's first free axis: it lands right after the batch dims
        lhs = r.moveaxis(lhs, dl, 0)
        dn = ((_shift(lc), rc), (_shift(lb), rb))
        return dot_general_p.bind(lhs, rhs, dimension_numbers=dn, **params), len(lb)
    rhs = r.moveaxis(rhs, dr, 0)
    dn = ((lc, _shift(rc)), (lb, _shift(rb)))
    n_lhs_free = r.get_aval(lhs).ndim - len(lc) - len(lb)
    return dot_general_p.bind(lhs, rhs, dimension_numbers=dn, **params), len(lb) + n_lhs_free


batch_rules[dot_general_p] = _dot_batch
