"""Reduction primitives over a tuple of axes (``axes`` is sorted, distinct).

``reduce_sum``/``reduce_prod``/``reduce_max``/``reduce_min``/``reduce_and``/
``reduce_or`` keep the operand dtype; ``argmax``/``argmin`` reduce one axis to
``index_dtype``.  ``keepdims`` is the API's business (an ``expand_dims``).

Example:
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite.ops.reductions import reduce_sum_p
    >>> reduce_sum_p.bind(jnp.ones((2, 3)), axes=(1,)).tolist()
    [3.0, 3.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from functorch_lite.array import Array
from functorch_lite.core import Primitive, ShapedArray
from functorch_lite.ops import params as P
from functorch_lite.ops.fusion_rules import Reduction
from functorch_lite.ops.kernels import reductions as k
from functorch_lite.ops.tables import fusion_rules, jvp_rules, param_types, vjp_rules

REDUCTIONS: dict[str, Primitive] = {}


def _reduced_shape(name: str, x: ShapedArray, axes: tuple[int, ...]) -> tuple[int, ...]:
    if any(not 0 <= a < x.ndim for a in axes) or len(set(axes)) != len(axes):
        raise ValueError(f"{name}: axes {axes} out of range or repeated for {x.str_short()}")
    return tuple(d for i, d in enumerate(x.shape) if i not in axes)


def reducer(name: str, kernel: Any, kinds: str, identity_needed: bool = False) -> Primitive:
    p = Primitive(name)

    def abstract_eval(x: ShapedArray, *, axes: tuple[int, ...]) -> ShapedArray:
        if x.dtype.kind not in kinds:
            raise TypeError(f"{name}: unsupported dtype {x.dtype}")
        shape = _reduced_shape(name, x, axes)
        if identity_needed and any(x.shape[a] == 0 for a in axes):
            raise ValueError(
                f"{name}: zero-size axis in {x.str_short()} along axes {axes} has no "
                "identity; pass initial=... or use a non-empty array"
            )
        return ShapedArray(shape, x.dtype, x.weak_type)

    def impl(x: Array, *, axes: tuple[int, ...]) -> Array:
        aval = abstract_eval(ShapedArray(x.shape, x.dtype, x.weak_type), axes=axes)
        out = np.asarray(kernel(x._numpy(), axes))
        if out.dtype != x.dtype:
            out = out.astype(x.dtype)
        return Array._wrap(out.reshape(aval.shape), x.weak_type)

    p.impl = impl
    p.abstract_eval = abstract_eval
    param_types[p] = P.REDUCE
    REDUCTIONS[name] = p
    return p


reduce_sum_p = reducer("reduce_sum", k.sum_, "iufc")
reduce_prod_p = reducer("reduce_prod", k.prod, "iufc")
reduce_max_p = reducer("reduce_max", k.max_, "biuf", identity_needed=True)
reduce_min_p = reducer("reduce_min", k.min_, "biuf", identity_needed=True)
reduce_and_p = reducer("reduce_and", k.all_, "b")
reduce_or_p = reducer("reduce_or", k.any_, "b")
reduce_and_p.nondifferentiable = True
reduce_or_p.nondifferentiable = True


def _arg_reducer(name: str, kernel: Any) -> Primitive:
    p = Primitive(name)

    def abstract_eval(x: ShapedArray, *, axes: tuple[int, ...], index_dtype: np.dtype[Any]) -> ShapedArray:
        if len(axes) != 1:
            raise ValueError(f"{name} reduces exactly one axis, got {axes}")
        shape = _reduced_shape(name, x, axes)
        if x.shape[axes[0]] == 0:
            raise ValueError(f"{name}: attempt to get {name} of an empty sequence ({x.str_short()}, axis {axes[0]})")
        return ShapedArray(shape, index_dtype, False)

    def impl(x: Array, *, axes: tuple[int, ...], index_dtype: np.dtype[Any]) -> Array:
        abstract_eval(ShapedArray(x.shape, x.dtype), axes=axes, index_dtype=index_dtype)
        return Array._wrap(np.asarray(kernel(x._numpy(), axes[0])).astype(index_dtype))

    p.impl = impl
    p.abstract_eval = abstract_eval
    p.nondifferentiable = True
    param_types[p] = {"axes": P.AXES, "index_dtype": P.DTYPE}
    REDUCTIONS[name] = p
    return p


argmax_p = _arg_reducer("argmax", k.argmax)
argmin_p = _arg_reducer("argmin", k.argmin)


# --- differentiation rules ---------------------------------------------------------
from functorch_lite.ops import _rules as r  # noqa: E402


def _unreduce(ct: Any, x: Any, axes: tuple[int, ...]) -> Any:
    """Broadcast a reduced cotangent back over the reduced axes of x."""
    shape = r.get_aval(x).shape
    kept = tuple(i for i in range(len(shape)) if i not in axes)
    return r.broadcast(ct, shape, kept)


r.deflinear(reduce_sum_p, [lambda ct, ans, x, *, axes: _unreduce(ct, x, axes)])


def _extreme_share(ans: Any, x: Any, axes: tuple[int, ...]) -> Any:
    # where x attains the max/min; ties share the derivative evenly (JAX)
    hit = r.eq(x, _unreduce(ans, x, axes))
    w = r.convert(hit, r.get_aval(x).dtype)
    count = r.reduce_sum(w, axes)
    return r.div(w, _unreduce(count, x, axes))


def _extreme_jvp(prim: Primitive) -> Any:
    def jvp(primals: Any, tangents: Any, *, axes: tuple[int, ...]) -> tuple[Any, Any]:
        (x,), (t,) = primals, tangents
        ans = prim.bind(x, axes=axes)
        if isinstance(t, r.Zero):
            return ans, r.Zero(r.get_aval(ans))
        return ans, r.reduce_sum(r.mul(t, _extreme_share(ans, x, axes)), axes)

    return jvp


for _p in (reduce_max_p, reduce_min_p):
    jvp_rules[_p] = _extreme_jvp(_p)
    vjp_rules[_p] = (lambda ct, ans, x, *, axes: r.mul(_unreduce(ct, x, axes), _extreme_share(ans, x, axes)),)


def _prod_partials(ans: Any, x: Any, axes: tuple[int, ...]) -> Any:
    """d prod / d x_i = product of the other elements, exact with zeros."""
    dt = r.get_aval(x).dtype
    is_zero = r.eq(x, r.full_like(x, 0))
    nzeros = r.reduce_sum(r.convert(is_zero, dt), axes)
    prod_nonzero = reduce_prod_p.bind(r.select(is_zero, r.full_like(x, 1), x), axes=axes)
    safe_x = r.select(is_zero, r.full_like(x, 1), x)
    no_zero = r.div(_unreduce(ans, x, axes), safe_x)
    one_zero_here = r.select(
        is_zero, _unreduce(prod_nonzero, x, axes), r.full_like(x, 0)
    )
    nz = _unreduce(nzeros, x, axes)
    return r.select(
        r.eq(nz, r.full_like(nz, 0)), no_zero,
        r.select(r.eq(nz, r.full_like(nz, 1)), one_zero_here, r.full_like(x, 0)),
    )


def _prod_jvp(primals: Any, tangents: Any, *, axes: tuple[int, ...]) -> tuple[Any, Any]:
    (x,), (t,) = primals, tangents
    ans = reduce_prod_p.bind(x, axes=axes)
    if isinstance(t, r.Zero):
        return ans, r.Zero(r.get_aval(ans))
    return ans, r.reduce_sum(r.mul(t, _prod_partials(ans, x, axes)), axes)


jvp_rules[reduce_prod_p] = _prod_jvp
vjp_rules[reduce_prod_p] = (lambda ct, ans, x, *, axes: r.mul(_unreduce(ct, x, axes), _prod_partials(ans, x, axes)),)

# --- batching rules -------------------------------------------------------------------


def _shift_axes(params: dict[str, Any], size: int) -> dict[str, Any]:
    return {**params, "axes": tuple(a + 1 for a in params["axes"])}


for _p in REDUCTIONS.values():
    r.batch_front(_p, _shift_axes)


# --- fusion rules ---
# A ``Reduction`` row of ``fusion_rules``: how a generated fused kernel accumulates
# it (transforms/fusion*.py, ops/kernels/fused_source.py).  ``identity(dtype)`` is
# the start value, ``acc(dtype)`` the accumulator dtype (float32 sums
# accumulate in float64, integer sums in int64 and wrap back as NumPy's),
# ``combine`` a format string over the accumulator ``{0}`` and a value
# ``{1}``, and ``chunk`` the name (in ops/kernels/fastmath.py) of the
# vectorised reducer of a buffered chunk of values, whose result is combined
# into the accumulator.  Max/min propagate nan, as NumPy.
def _identity_extreme(sign: int) -> Any:
    def identity(dt: np.dtype[Any]) -> Any:
        if dt.kind == "f":
            return sign * float("inf")
        if dt.kind == "b":
            return sign > 0
        info = np.iinfo(dt)
        return int(info.max) if sign > 0 else int(info.min)

    return identity


def _combine_extreme(pick: str) -> Any:
    def combine(dt: np.dtype[Any]) -> str:
        if dt.kind == "f":
            return f"({{0}} if ({{0}} {pick}= {{1}} or {{0}} != {{0}}) else {{1}})"
        if dt.kind == "b":
            return "({0} or {1})" if pick == ">" else "({0} and {1})"
        return f"({{0}} if {{0}} {pick}= {{1}} else {{1}})"

    return combine


fusion_rules[reduce_sum_p] = Reduction(
    identity=lambda dt: False if dt.kind == "b" else 0,
    acc=lambda dt: np.dtype(np.float64) if dt.kind == "f" else np.dtype(np.int64),
    combine=lambda dt: "({0} + {1})",
    chunk="sum_chunk",
)
fusion_rules[reduce_max_p] = Reduction(
    identity=_identity_extreme(-1), acc=lambda dt: dt, combine=_combine_extreme(">"), chunk="max_chunk")
fusion_rules[reduce_min_p] = Reduction(
    identity=_identity_extreme(1), acc=lambda dt: dt, combine=_combine_extreme("<"), chunk="min_chunk")
