"""Windowed-reduction primitives (JAX's design): what pooling is built on.

``reduce_window_sum``, ``reduce_window_max`` and ``reduce_window_min`` reduce
each window of their operand; ``select_and_gather_add`` and
``select_and_scatter_add`` are the linear pair that differentiates max/min.
All take the same params, one entry per operand axis:

- ``window_dimensions``: window size (>= 1);
- ``window_strides``: step between windows (>= 1);
- ``padding``: ``(low, high)`` pairs (negative crops);
- ``base_dilation``: operand dilation (``d - 1`` holes between elements);
- ``window_dilation``: window dilation (a "rate" or "atrous" window).

Padding and holes hold the monoid's identity (0 for sum, -inf or the dtype's
lowest value for max, the highest for min): the output along an axis of
size ``n`` is ``(dilated(n) + low + high - dilated(window)) // stride + 1``
(0 when the window does not fit), as XLA's ReduceWindow.

Rules (beside each declaration below):

- sum is linear; its transpose is another ``reduce_window_sum`` over the
  cotangent, with the strides and base dilation swapped and the padding
  mirrored (JAX pads the cotangent first; one op here), so
  gradients of any order stay windowed sums;
- max/min: the tangent of each window is the tangent of the element it
  selects (``select_and_gather_add``), the cotangent goes back to that
  element (``select_and_scatter_add``, its transpose, and vice versa).  The
  selected element is the first maximal (minimal) one in row-major window
  order, as PyTorch's ``max_pool`` picks and XLA's ``select_and_scatter``
  with ``ge`` does; a window holding a NaN selects its first NaN; a window
  over padding only selects nothing (zero tangent, cotangent dropped).  Both
  support base and window dilation (JAX's transpose refuses window dilation);
- vmap: the batch axis is one more window axis of size 1.

``jit`` runs them as opaque ops (their ``impl``), between fused groups.

Example:
    >>> import functorch_lite.numpy as jnp
    >>> x = jnp.arange(16.0).reshape(4, 4)
    >>> reduce_window_max_p.bind(x, window_dimensions=(2, 2), window_strides=(2, 2),
    ...                          padding=((0, 0), (0, 0)), base_dilation=(1, 1),
    ...                          window_dilation=(1, 1)).tolist()
    [[5.0, 7.0], [13.0, 15.0]]
"""

from __future__ import annotations

from typing import Any

from functorch_lite.array import Array
from functorch_lite.core import Primitive, ShapedArray
from functorch_lite.ops import params as P
from functorch_lite.ops.kernels import windowed as k
from functorch_lite.ops.tables import batch_rules, jvp_rules, param_types, specializers, vjp_rules

WINDOWED: dict[str, Primitive] = {}

Ints = tuple[int, ...]
Pads = tuple[tuple[int, int], ...]

_PAIRS = P.tuple_of(lambda t: type(t) is tuple and len(t) == 2 and all(P.is_any_int(i) for i in t), P.MAX_NDIM)
WINDOW_PARAMS: dict[str, P.ParamSpec] = {
    "window_dimensions": P.ParamSpec("a tuple of positive integers", P.tuple_of(P.int_in(1, P.INT_LIMIT - 1),
                                                                                 P.MAX_NDIM)),
    "window_strides": P.ParamSpec("a tuple of positive integers", P.tuple_of(P.int_in(1, P.INT_LIMIT - 1),
                                                                              P.MAX_NDIM)),
    "padding": P.ParamSpec("a tuple of (low, high) integer pairs", _PAIRS),
    "base_dilation": P.ParamSpec("a tuple of positive integers", P.tuple_of(P.int_in(1, P.INT_LIMIT - 1),
                                                                             P.MAX_NDIM)),
    "window_dilation": P.ParamSpec("a tuple of positive integers", P.tuple_of(P.int_in(1, P.INT_LIMIT - 1),
                                                                               P.MAX_NDIM)),
}
SELECT = {"select": P.one_of("max", "min")}

_KIND_WORDS = {"iuf": "a numeric (non-boolean) array", "biuf": "an array"}


def _int_tuple(name: str, what: str, v: Any, nd: int, lo: int, x: ShapedArray) -> Ints:
    if not isinstance(v, tuple) or not all(isinstance(i, int) and not isinstance(i, bool) for i in v):
        raise TypeError(f"{name}: {what} must be a tuple of ints, got {v!r}")
    if len(v) != nd:
        raise TypeError(
            f"{name}: {what} {v} has {len(v)} entries but the operand {x.str_short()} has {nd} axes; "
            "give one per axis (1 for an axis the window does not cover)"
        )
    if any(i < lo for i in v):
        raise ValueError(f"{name}: every entry of {what} must be >= {lo}, got {v} for {x.str_short()}")
    return v


def window_shape(name: str, x: ShapedArray, window_dimensions: Any, window_strides: Any, padding: Any,
                 base_dilation: Any, window_dilation: Any) -> Ints:
    """The output shape of a windowed op on ``x``, or a clear error.

    Example:
        >>> import numpy as np
        >>> window_shape("reduce_window_max", ShapedArray((8, 3, 28, 28), np.dtype("float32")),
        ...              (1, 1, 2, 2), (1, 1, 2, 2), ((0, 0),) * 4, (1,) * 4, (1,) * 4)
        (8, 3, 14, 14)
    """
    nd = x.ndim
    w = _int_tuple(name, "window_dimensions", window_dimensions, nd, 1, x)
    s = _int_tuple(name, "window_strides", window_strides, nd, 1, x)
    bd = _int_tuple(name, "base_dilation", base_dilation, nd, 1, x)
    wd = _int_tuple(name, "window_dilation", window_dilation, nd, 1, x)
    if (not isinstance(padding, tuple) or len(padding) != nd or not all(
            isinstance(p, tuple) and len(p) == 2
            and all(isinstance(i, int) and not isinstance(i, bool) for i in p) for p in padding)):
        raise TypeError(
            f"{name}: padding must be a tuple of {nd} (low, high) int pairs for {x.str_short()}, got {padding!r}"
        )
    return tuple(k.out_size(n, win) for n, win in zip(x.shape, _wins(w, s, padding, bd, wd)))


def _wins(w: Ints, s: Ints, padding: Pads, bd: Ints, wd: Ints) -> tuple[k.Win, ...]:
    return tuple((w[d], s[d], padding[d][0], padding[d][1], bd[d], wd[d]) for d in range(len(w)))


def _params_wins(params: dict[str, Any]) -> tuple[k.Win, ...]:
    return _wins(params["window_dimensions"], params["window_strides"], params["padding"],
                 params["base_dilation"], params["window_dilation"])


def _aval(x: Array) -> ShapedArray:
    return ShapedArray(x.shape, x.dtype, x.weak_type)


# --- reduce_window_sum / max / min ----------------------------------------------------------


def reducer(name: str, op: str, kinds: str) -> Primitive:
    """Declare ``reduce_window_<op>``."""
    p = Primitive(name)

    def abstract_eval(x: ShapedArray, *, window_dimensions: Ints, window_strides: Ints, padding: Pads,
                      base_dilation: Ints, window_dilation: Ints) -> ShapedArray:
        if x.dtype.kind not in kinds:
            hint = " (max is logical or, min logical and; or convert to an integer dtype)" if op == "sum" else ""
            raise TypeError(f"{name}: expected {_KIND_WORDS[kinds]}, got dtype {x.dtype}{hint}")
        shape = window_shape(name, x, window_dimensions, window_strides, padding, base_dilation, window_dilation)
        return ShapedArray(shape, x.dtype, x.weak_type)

    def impl(x: Array, *, window_dimensions: Ints, window_strides: Ints, padding: Pads, base_dilation: Ints,
             window_dilation: Ints) -> Array:
        params: dict[str, Any] = {"window_dimensions": window_dimensions, "window_strides": window_strides,
                                  "padding": padding, "base_dilation": base_dilation,
                                  "window_dilation": window_dilation}
        abstract_eval(_aval(x), **params)
        out = k.reduce_window(x.storage().numpy(), x._offset, x.shape, x._strides, op, _params_wins(params))
        return Array._wrap(out, x.weak_type)

    def specialize(x: ShapedArray, **params: Any) -> Any:
        """For jit: the params are checked once, here; a call only runs the kernel."""
        abstract_eval(x, **params)
        wins, weak, kernel, wrap = _params_wins(params), x.weak_type, k.reduce_window, Array._wrap

        def run(a: Array) -> Array:
            return wrap(kernel(a.storage().numpy(), a._offset, a._shape, a._strides, op, wins), weak)

        return run

    p.impl = impl
    p.abstract_eval = abstract_eval
    specializers[p] = specialize
    param_types[p] = dict(WINDOW_PARAMS)
    WINDOWED[name] = p
    return p


reduce_window_sum_p = reducer("reduce_window_sum", "sum", "iuf")
reduce_window_max_p = reducer("reduce_window_max", "max", "biuf")
reduce_window_min_p = reducer("reduce_window_min", "min", "biuf")


# --- select_and_gather_add / select_and_scatter_add -----------------------------------------

select_and_gather_add_p = Primitive("select_and_gather_add")
select_and_scatter_add_p = Primitive("select_and_scatter_add")


def _check_select(name: str, select: Any, values: ShapedArray, what: str, operand: ShapedArray) -> None:
    if select not in ("max", "min"):
        raise ValueError(f"{name}: select must be 'max' or 'min', got {select!r}")
    if values.dtype.kind not in "iuf":
        raise TypeError(f"{name}: the {what} must be numeric, got {values.str_short()}")
    if operand.dtype.kind not in "biuf":
        raise TypeError(f"{name}: unsupported operand dtype {operand.dtype}")


def _gather_abstract(tangents: ShapedArray, operand: ShapedArray, *, select: str, window_dimensions: Ints,
                     window_strides: Ints, padding: Pads, base_dilation: Ints,
                     window_dilation: Ints) -> ShapedArray:
    name = "select_and_gather_add"
    _check_select(name, select, tangents, "tangents", operand)
    if tangents.shape != operand.shape:
        raise ValueError(
            f"{name}: tangents {tangents.str_short()} and operand {operand.str_short()} need the same shape"
        )
    shape = window_shape(name, operand, window_dimensions, window_strides, padding, base_dilation, window_dilation)
    return ShapedArray(shape, tangents.dtype, tangents.weak_type)


def _gather_impl(tangents: Array, operand: Array, *, select: str, **params: Any) -> Array:
    _gather_abstract(_aval(tangents), _aval(operand), select=select, **params)
    out = k.select_and_gather(tangents.storage().numpy(), tangents._offset, tangents._strides,
                              operand.storage().numpy(), operand._offset, operand._strides, operand.shape, select,
                              _params_wins(params))
    return Array._wrap(out, tangents.weak_type)


def _scatter_abstract(source: ShapedArray, operand: ShapedArray, *, select: str, window_dimensions: Ints,
                      window_strides: Ints, padding: Pads, base_dilation: Ints,
                      window_dilation: Ints) -> ShapedArray:
    name = "select_and_scatter_add"
    _check_select(name, select, source, "source", operand)
    shape = window_shape(name, operand, window_dimensions, window_strides, padding, base_dilation, window_dilation)
    if source.shape != shape:
        raise ValueError(
            f"{name}: source {source.str_short()} must have the windowed shape {shape} of the operand "
            f"{operand.str_short()} (one value per window)"
        )
    return ShapedArray(operand.shape, source.dtype, source.weak_type)


def _scatter_impl(source: Array, operand: Array, *, select: str, **params: Any) -> Array:
    _scatter_abstract(_aval(source), _aval(operand), select=select, **params)
    out = k.select_and_scatter(source.storage().numpy(), source._offset, source._strides,
                               operand.storage().numpy(), operand._offset, operand._strides, operand.shape, select,
                               _params_wins(params))
    return Array._wrap(out, source.weak_type)


select_and_gather_add_p.impl = _gather_impl
select_and_gather_add_p.abstract_eval = _gather_abstract
select_and_scatter_add_p.impl = _scatter_impl
select_and_scatter_add_p.abstract_eval = _scatter_abstract
for _p in (select_and_gather_add_p, select_and_scatter_add_p):
    param_types[_p] = {**SELECT, **WINDOW_PARAMS}
    WINDOWED[_p.name] = _p


# --- differentiation rules ---------------------------------------------------------------------
from functorch_lite.ops import _rules as r  # noqa: E402


def _dilated(n: int, d: int) -> int:
    return 0 if n == 0 else (n - 1) * d + 1


def _sum_transpose(ct: Any, ans: Any, x: Any, *, window_dimensions: Ints, window_strides: Ints, padding: Pads,
                   base_dilation: Ints, window_dilation: Ints) -> Any:
    """The cotangent of ``reduce_window_sum``: operand element ``i`` sums the
    cotangents of every window over it.  With ``i * bd = o * s + k * wd -
    lo`` forwards, that is a windowed sum of the cotangent dilated by the
    strides, read at stride ``bd``, with the low padding ``(w - 1) * wd - lo``
    (the window flipped, which a window of ones does not see), and the high
    padding that makes the result the operand's shape."""
    shape = r.get_aval(x).shape
    cshape = r.get_aval(ct).shape
    if 0 in shape:
        return r.full_like(x, 0)
    pads = []
    for n, c, w, s, (lo, _hi), bd, wd in zip(shape, cshape, window_dimensions, window_strides, padding,
                                            base_dilation, window_dilation):
        new_lo = (w - 1) * wd - lo
        pads.append((new_lo, (n - 1) * bd + (w - 1) * wd + 1 - _dilated(c, s) - new_lo))
    return reduce_window_sum_p.bind(ct, window_dimensions=window_dimensions, window_strides=base_dilation,
                                    padding=tuple(pads), base_dilation=window_strides,
                                    window_dilation=window_dilation)


r.deflinear(reduce_window_sum_p, [_sum_transpose])


def _chooser_rules(prim: Primitive, select: str) -> None:
    def jvp(primals: Any, tangents: Any, **params: Any) -> tuple[Any, Any]:
        (x,), (t,) = primals, tangents
        ans = prim.bind(x, **params)
        if isinstance(t, r.Zero):
            return ans, r.Zero(r.get_aval(ans))
        return ans, select_and_gather_add_p.bind(t, x, select=select, **params)

    def vjp(ct: Any, ans: Any, x: Any, **params: Any) -> Any:
        return select_and_scatter_add_p.bind(ct, x, select=select, **params)

    jvp_rules[prim] = jvp
    vjp_rules[prim] = (vjp,)


_chooser_rules(reduce_window_max_p, "max")
_chooser_rules(reduce_window_min_p, "min")


# select_and_gather_add and select_and_scatter_add are linear in their first
# argument and each other's transpose; the selection is piecewise constant in
# the operand, whose derivative is zero.
def _linear_in_first(prim: Primitive) -> None:
    def jvp(primals: Any, tangents: Any, **params: Any) -> tuple[Any, Any]:
        (v, x), (tv, _tx) = primals, tangents
        ans = prim.bind(v, x, **params)
        if isinstance(tv, r.Zero):
            return ans, r.Zero(r.get_aval(ans))
        return ans, prim.bind(tv, x, **params)

    jvp_rules[prim] = jvp


_linear_in_first(select_and_gather_add_p)
_linear_in_first(select_and_scatter_add_p)
vjp_rules[select_and_gather_add_p] = (
    lambda ct, ans, t, x, **params: select_and_scatter_add_p.bind(ct, x, **params), None)
vjp_rules[select_and_scatter_add_p] = (
    lambda ct, ans, s, x, **params: select_and_gather_add_p.bind(ct, x, **params), None)


# --- batching rules: the batch axis is one more window axis of size 1 -------------------------


def _with_axis(params: dict[str, Any], at: int) -> dict[str, Any]:
    out = dict(params)
    for key, unit in (("window_dimensions", 1), ("window_strides", 1), ("base_dilation", 1),
                      ("window_dilation", 1), ("padding", (0, 0))):
        v = params[key]
        out[key] = v[:at] + (unit,) + v[at:]
    return out


def _reduce_batch(prim: Primitive) -> None:
    def rule(vals: Any, dims: Any, *, axis_size: int, **params: Any) -> tuple[Any, int]:
        (x,), (d,) = vals, dims  # the interpreter calls a rule only with a batched argument
        return prim.bind(x, **_with_axis(params, d)), d

    batch_rules[prim] = rule


for _p in (reduce_window_sum_p, reduce_window_max_p, reduce_window_min_p):
    _reduce_batch(_p)


def _pair_batch(prim: Primitive) -> None:
    def rule(vals: Any, dims: Any, *, axis_size: int, **params: Any) -> tuple[Any, int]:
        (v, x), (dv, dx) = vals, dims
        v = r.bdim_to_front(v, dv, axis_size)
        x = r.bdim_to_front(x, dx, axis_size)
        return prim.bind(v, x, **_with_axis(params, 0)), 0

    batch_rules[prim] = rule


_pair_batch(select_and_gather_add_p)
_pair_batch(select_and_scatter_add_p)
