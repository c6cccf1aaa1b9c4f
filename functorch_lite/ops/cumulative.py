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
from functorch_lite.ops import params as P
from functorch_lite.ops.kernels import cumulative as k
from functorch_lite.ops.tables import jvp_rules, param_types, vjp_rules

CUMULATIVE: dict[str, Primitive] = {}

_KIND_WORDS = {
    "iufc": "a numeric (non-boolean) array",
    "biuf": "a real (non-complex) array: complex numbers have no order",
}


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
        # complex scans take NumPy's accumulate (the Numba kernels are real-only)
        scan = k._numpy_scan if x.dtype.kind == "c" else k.cumulative
        out = scan(x.storage().numpy(), x._offset, x.shape, x._strides, axis, op, bool(reverse))
        return Array._wrap(out, x.weak_type)

    p.impl = impl
    p.abstract_eval = abstract_eval
    param_types[p] = {"axis": P.AXIS, "reverse": P.BOOL}
    CUMULATIVE[name] = p
    return p


cumsum_p = scanner("cumsum", "sum", "iufc")
cumprod_p = scanner("cumprod", "prod", "iufc")
cummax_p = scanner("cummax", "max", "biuf")
cummin_p = scanner("cummin", "min", "biuf")


# --- differentiation and batching rules ----------------------------------------------
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from functorch_lite import dtypes  # noqa: E402
from functorch_lite.ops import _rules as r  # noqa: E402
from functorch_lite.ops import elementwise as ew  # noqa: E402
from functorch_lite.ops import shape_ops as so  # noqa: E402
from functorch_lite.ops.sorting import add_along, take_along  # noqa: E402

# cumsum is linear; its transpose is the cumsum running the other way.
r.deflinear(cumsum_p, [lambda ct, ans, x, *, axis, reverse: cumsum_p.bind(ct, axis=axis, reverse=not reverse)])


# cumprod.  out_i = out_{i-1} x_i, so by the product rule the tangent is the
# linear recurrence T_i = x_i T_{i-1} + E_i t_i, with E_i = out_{i-1} (the
# exclusive running product, 1 first), and the cotangent is E_j S_j with the
# transposed recurrence S_j = ct_j + x_{j+1} S_{j+1} running the other way.
# Both recurrences are solved by an associative scan of affine maps written
# with mul/add/slice/concatenate (JAX's odd-even scheme: O(n) work, log2(n)
# levels), so there is no division: the rules are exact with zeros, and so are
# their own derivatives (everything is a polynomial in x, differentiated
# primitive by primitive), also under vmap.
def _axis_slice(x: Any, axis: int, start: int, limit: int | None = None, stride: int = 1) -> Any:
    shape = r.get_aval(x).shape
    lim = shape[axis] if limit is None else limit
    return so.slice_p.bind(
        x,
        start_indices=tuple(start if d == axis else 0 for d in range(len(shape))),
        limit_indices=tuple(lim if d == axis else n for d, n in enumerate(shape)),
        strides=tuple(stride if d == axis else 1 for d in range(len(shape))),
    )


def _axis_pad(x: Any, axis: int, lo: int, hi: int, interior: int, value: float) -> Any:
    aval = r.get_aval(x)
    config = tuple((lo, hi, interior) if d == axis else (0, 0, 0) for d in range(aval.ndim))
    return so.pad_p.bind(x, r.full_aval(ShapedArray((), aval.dtype), value), padding_config=config)


def _shift(x: Any, axis: int, reverse: bool, fill: float) -> Any:
    """x moved one step along the scan (``out[i] = x[i - 1]``, ``fill`` first)."""
    n = r.get_aval(x).shape[axis]
    if reverse:
        return _axis_pad(_axis_slice(x, axis, 1), axis, 0, 1, 0, fill)
    return _axis_pad(_axis_slice(x, axis, 0, n - 1), axis, 1, 0, 0, fill)


def _interleave(even: Any, odd: Any, axis: int) -> Any:
    """``even[0], odd[0], even[1], odd[1], ...`` along ``axis`` (``even`` as
    long as ``odd`` or one longer): pairs stacked on a new axis, then merged."""
    m = r.get_aval(odd).shape[axis]
    head = _axis_slice(even, axis, 0, m)
    pairs = so.concatenate_p.bind(r.expand_dims(head, (axis + 1,)), r.expand_dims(odd, (axis + 1,)),
                                  dimension=axis + 1)
    shape = list(r.get_aval(odd).shape)
    shape[axis] = 2 * m
    out = r.reshape(pairs, tuple(shape))
    if r.get_aval(even).shape[axis] > m:
        out = so.concatenate_p.bind(out, _axis_slice(even, axis, m), dimension=axis)
    return out


def _affine_scan(a: Any, b: Any, axis: int) -> Any:
    """h_i = a_i h_{i-1} + b_i along ``axis`` (h_{-1} = 0): JAX's odd-even
    associative scan of the maps h -> a_i h + b_i.  Adjacent pairs compose
    into one map (``a_o a_e``, ``a_o b_e + b_o``), the half-length scan gives
    h at the odd positions, one more step the even ones.  Only the ``b``
    half of the composed maps is needed on the way down."""
    n = r.get_aval(b).shape[axis]
    if n < 2:
        return b
    a_e, a_o = _axis_slice(a, axis, 0, n - 1, 2), _axis_slice(a, axis, 1, None, 2)
    b_e, b_o = _axis_slice(b, axis, 0, n - 1, 2), _axis_slice(b, axis, 1, None, 2)
    odd = _affine_scan(r.mul(a_o, a_e), r.add(r.mul(a_o, b_e), b_o), axis)
    m = r.get_aval(odd).shape[axis]
    prev = odd if n % 2 else _axis_slice(odd, axis, 0, m - 1)
    even = r.add(r.mul(_axis_slice(a, axis, 2, None, 2), prev), _axis_slice(b, axis, 2, None, 2))
    even = so.concatenate_p.bind(_axis_slice(b, axis, 0, 1), even, dimension=axis)
    return _interleave(even, odd, axis)


def linear_recurrence(a: Any, b: Any, axis: int, reverse: bool) -> Any:
    """``h_i = a_i h_{i-1} + b_i`` along ``axis`` (``h_{i+1}`` when
    ``reverse``), starting from zero, with primitives only (so it is
    differentiable and batchable): an associative scan, O(n) work.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> a, b = jnp.array([5.0, 2.0, 0.0, 3.0]), jnp.array([1.0, 1.0, 1.0, 1.0])
        >>> linear_recurrence(a, b, 0, False).tolist()
        [1.0, 3.0, 1.0, 4.0]
    """
    if r.get_aval(a).shape[axis] == 0:
        return b
    if reverse:
        flip = so.rev_p.bind
        return flip(_affine_scan(flip(a, dimensions=(axis,)), flip(b, dimensions=(axis,)), axis),
                    dimensions=(axis,))
    return _affine_scan(a, b, axis)


def _cumprod_jvp(primals: Any, tangents: Any, *, axis: int, reverse: bool) -> tuple[Any, Any]:
    (x,), (t,) = primals, tangents
    ans = cumprod_p.bind(x, axis=axis, reverse=reverse)
    if isinstance(t, r.Zero):
        return ans, r.Zero(r.get_aval(ans))
    if r.get_aval(x).shape[axis] == 0:
        return ans, t
    before = _shift(ans, axis, reverse, 1)
    return ans, linear_recurrence(x, r.mul(before, t), axis, reverse)


def _cumprod_vjp(ct: Any, ans: Any, x: Any, *, axis: int, reverse: bool) -> Any:
    if r.get_aval(x).shape[axis] == 0:
        return ct
    before = _shift(ans, axis, reverse, 1)
    after = _shift(x, axis, not reverse, 1)  # x_{j+1} in scan order (its last value is never used)
    return r.mul(before, linear_recurrence(after, ct, axis, not reverse))


jvp_rules[cumprod_p] = _cumprod_jvp
vjp_rules[cumprod_p] = (_cumprod_vjp,)


# cummax/cummin: each output element is one input element, the latest (in
# scan order) that attains the running extreme: ties send the derivative to
# the most recent one, as PyTorch's cummax/cummin indices do.  (JAX
# differentiates its associative scan of max, which splits ties by the
# scan's tree shape; no simple rule reproduces that.)  Element j is such a
# "record" when x_j equals the running extreme at j (or is NaN, which the
# scan propagates); the winner of i is the last record up to i, a running
# max of the record positions.  Then the tangent is gathered from the
# winners and the cotangent scatter-added back to them.
def _winners(x: Any, ans: Any, axis: int, reverse: bool) -> Any:
    aval = r.get_aval(x)
    n = aval.shape[axis]
    record = r.eq(x, ans)
    if aval.dtype.kind == "f":
        record = ew.or_p.bind(record, ew.isnan_p.bind(x))
    idt = dtypes.default_int_dtype()
    iota = r.broadcast(Array._wrap(np.arange(n, dtype=idt)), aval.shape, (axis,))
    none = r.full_aval(ShapedArray(aval.shape, idt), n if reverse else -1)
    marked = r.select(record, iota, none)
    # the scan's first element is always a record, so every winner is a valid index
    return (cummin_p if reverse else cummax_p).bind(marked, axis=axis, reverse=reverse)


def _extreme_rules(prim: Primitive) -> None:
    def jvp(primals: Any, tangents: Any, *, axis: int, reverse: bool) -> tuple[Any, Any]:
        (x,), (t,) = primals, tangents
        ans = prim.bind(x, axis=axis, reverse=reverse)
        if isinstance(t, r.Zero):
            return ans, r.Zero(r.get_aval(ans))
        return ans, take_along(t, _winners(x, ans, axis, reverse), axis)

    def vjp(ct: Any, ans: Any, x: Any, *, axis: int, reverse: bool) -> Any:
        return add_along(ct, _winners(x, ans, axis, reverse), axis)

    jvp_rules[prim] = jvp
    vjp_rules[prim] = (vjp,)


_extreme_rules(cummax_p)
_extreme_rules(cummin_p)


def _shift_axis(params: dict[str, Any], size: int) -> dict[str, Any]:
    return {**params, "axis": params["axis"] + 1}


for _prim in CUMULATIVE.values():
    r.batch_front(_prim, _shift_axis)
