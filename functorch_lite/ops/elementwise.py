"""Elementwise primitives: one line each through the ``unop``/``binop`` builders.

Operands of a binary primitive have equal shapes and dtypes: broadcasting and
promotion happen once, in :mod:`functorch_lite.numpy`, by explicit
``broadcast_in_dim`` and ``convert_element_type`` binds (stride-0 views in
eager mode, so they cost no copy).  That keeps every rule below simple.

Example:
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite.ops.elementwise import exp_p
    >>> exp_p.bind(jnp.zeros(2)).tolist()
    [1.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from functorch_lite.array import Array
from functorch_lite.core import Primitive, ShapedArray
from functorch_lite.ops.kernels import elementwise as k

NUMERIC = "biuf"
FLOAT = "f"
INT = "iu"
INT_OR_BOOL = "biu"
NUMBER = "iuf"

_KIND_WORDS = {
    FLOAT: "a float array (convert with .astype(jnp.float32))",
    INT: "an integer array",
    INT_OR_BOOL: "a boolean or integer array",
    NUMBER: "a numeric (non-boolean) array",
    NUMERIC: "an array",
}

ELEMENTWISE: dict[str, Primitive] = {}


def _check_kind(name: str, aval: ShapedArray, kinds: str) -> None:
    if aval.dtype.kind not in kinds:
        raise TypeError(f"{name}: expected {_KIND_WORDS[kinds]}, got dtype {aval.dtype}")


def unop(
    name: str,
    impl: Callable[[np.ndarray[Any, Any]], Any],
    kinds: str = NUMERIC,
    out_dtype: np.dtype[Any] | None = None,
) -> Primitive:
    """Declare a unary elementwise primitive (shape-preserving)."""
    p = Primitive(name)

    def abstract_eval(x: ShapedArray) -> ShapedArray:
        _check_kind(name, x, kinds)
        if out_dtype is not None:
            return ShapedArray(x.shape, out_dtype, False)
        return ShapedArray(x.shape, x.dtype, x.weak_type)

    def impl_(x: Array) -> Array:
        if x.dtype.kind not in kinds:
            abstract_eval(ShapedArray(x.shape, x.dtype))
        return Array._wrap(np.asarray(impl(x._numpy())), x.weak_type and out_dtype is None)

    p.impl = impl_
    p.abstract_eval = abstract_eval
    ELEMENTWISE[name] = p
    return p


def binop(
    name: str,
    impl: Callable[[np.ndarray[Any, Any], np.ndarray[Any, Any]], Any],
    kinds: str = NUMERIC,
    out_dtype: np.dtype[Any] | None = None,
) -> Primitive:
    """Declare a binary elementwise primitive on equal shapes and dtypes."""
    p = Primitive(name)

    def abstract_eval(x: ShapedArray, y: ShapedArray) -> ShapedArray:
        if x.shape != y.shape or x.dtype != y.dtype:
            raise TypeError(
                f"{name}: operands must have equal shapes and dtypes, got "
                f"{x.str_short()} and {y.str_short()}; jnp functions broadcast and "
                "promote for you (jnp.broadcast_arrays / jnp.result_type)"
            )
        _check_kind(name, x, kinds)
        weak = x.weak_type and y.weak_type
        if out_dtype is not None:
            return ShapedArray(x.shape, out_dtype, False)
        return ShapedArray(x.shape, x.dtype, weak)

    def impl_(x: Array, y: Array) -> Array:
        if x._shape != y._shape or x._dtype != y._dtype or x._dtype.kind not in kinds:
            abstract_eval(ShapedArray(x.shape, x.dtype), ShapedArray(y.shape, y.dtype))
        out = np.asarray(impl(x._numpy(), y._numpy()))
        if out.dtype != x._dtype and out_dtype is None:
            out = out.astype(x._dtype)
        return Array._wrap(out, out_dtype is None and x.weak_type and y.weak_type)

    p.impl = impl_
    p.abstract_eval = abstract_eval
    ELEMENTWISE[name] = p
    return p


def _u(f: Any) -> Callable[[np.ndarray[Any, Any]], Any]:
    return lambda x: k.unary_quiet(f, x)


def _b(f: Any) -> Callable[[np.ndarray[Any, Any], np.ndarray[Any, Any]], Any]:
    return lambda x, y: k.binary(f, x, y)


_BOOL = np.dtype(np.bool_)

# --- unary --------------------------------------------------------------------
neg_p = unop("neg", _u(np.negative), NUMBER)
sign_p = unop("sign", _u(np.sign), NUMBER)
abs_p = unop("abs", _u(np.abs), NUMBER)
floor_p = unop("floor", _u(np.floor), FLOAT)
ceil_p = unop("ceil", _u(np.ceil), FLOAT)
round_p = unop("round", _u(np.rint), FLOAT)  # half to even, as NumPy/JAX
trunc_p = unop("trunc", _u(np.trunc), FLOAT)
exp_p = unop("exp", _u(np.exp), FLOAT)
exp2_p = unop("exp2", _u(np.exp2), FLOAT)
expm1_p = unop("expm1", _u(np.expm1), FLOAT)
log_p = unop("log", _u(np.log), FLOAT)
log1p_p = unop("log1p", _u(np.log1p), FLOAT)
log2_p = unop("log2", _u(np.log2), FLOAT)
log10_p = unop("log10", _u(np.log10), FLOAT)
sqrt_p = unop("sqrt", _u(np.sqrt), FLOAT)
cbrt_p = unop("cbrt", _u(np.cbrt), FLOAT)
sin_p = unop("sin", _u(np.sin), FLOAT)
cos_p = unop("cos", _u(np.cos), FLOAT)
tan_p = unop("tan", _u(np.tan), FLOAT)
asin_p = unop("asin", _u(np.arcsin), FLOAT)
acos_p = unop("acos", _u(np.arccos), FLOAT)
atan_p = unop("atan", _u(np.arctan), FLOAT)
sinh_p = unop("sinh", _u(np.sinh), FLOAT)
cosh_p = unop("cosh", _u(np.cosh), FLOAT)
tanh_p = unop("tanh", _u(np.tanh), FLOAT)
asinh_p = unop("asinh", _u(np.arcsinh), FLOAT)
acosh_p = unop("acosh", _u(np.arccosh), FLOAT)
atanh_p = unop("atanh", _u(np.arctanh), FLOAT)
logical_not_p = unop("logical_not", _u(np.logical_not), "b")
bitwise_not_p = unop("bitwise_not", _u(np.invert), INT)
isnan_p = unop("isnan", _u(np.isnan), FLOAT, _BOOL)
isinf_p = unop("isinf", _u(np.isinf), FLOAT, _BOOL)
isfinite_p = unop("isfinite", _u(np.isfinite), FLOAT, _BOOL)

# --- binary -------------------------------------------------------------------
add_p = binop("add", _b(np.add))
sub_p = binop("sub", _b(np.subtract), NUMBER)
mul_p = binop("mul", _b(np.multiply))
div_p = binop("div", _b(np.true_divide), FLOAT)
floor_divide_p = binop("floor_divide", k.integer_divide, NUMBER)
rem_p = binop("rem", k.integer_remainder, NUMBER)  # sign of the divisor, as NumPy
pow_p = binop("pow", k.integer_power, NUMBER)
max_p = binop("max", _b(np.maximum))  # nan-propagating, as NumPy/JAX
min_p = binop("min", _b(np.minimum))
atan2_p = binop("atan2", _b(np.arctan2), FLOAT)
nextafter_p = binop("nextafter", _b(np.nextafter), FLOAT)
and_p = binop("and", _b(np.bitwise_and), INT_OR_BOOL)
or_p = binop("or", _b(np.bitwise_or), INT_OR_BOOL)
xor_p = binop("xor", _b(np.bitwise_xor), INT_OR_BOOL)
shift_left_p = binop("shift_left", lambda x, y: k.shift(np.left_shift, x, y), INT)
shift_right_p = binop("shift_right", lambda x, y: k.shift(np.right_shift, x, y), INT)
eq_p = binop("eq", _b(np.equal), NUMERIC, _BOOL)
ne_p = binop("ne", _b(np.not_equal), NUMERIC, _BOOL)
lt_p = binop("lt", _b(np.less), NUMERIC, _BOOL)
le_p = binop("le", _b(np.less_equal), NUMERIC, _BOOL)
gt_p = binop("gt", _b(np.greater), NUMERIC, _BOOL)
ge_p = binop("ge", _b(np.greater_equal), NUMERIC, _BOOL)

for _p in (isnan_p, isinf_p, isfinite_p, eq_p, ne_p, lt_p, le_p, gt_p, ge_p, sign_p,
           floor_p, ceil_p, round_p, trunc_p, logical_not_p, bitwise_not_p, and_p, or_p,
           xor_p, shift_left_p, shift_right_p, floor_divide_p, nextafter_p):
    _p.nondifferentiable = True

# --- select and convert ---------------------------------------------------------
select_p = Primitive("select")


def _select_abstract(pred: ShapedArray, on_true: ShapedArray, on_false: ShapedArray) -> ShapedArray:
    if pred.dtype != _BOOL:
        raise TypeError(f"select: the predicate must be boolean, got {pred.dtype}")
    if not (pred.shape == on_true.shape == on_false.shape) or on_true.dtype != on_false.dtype:
        raise TypeError(
            "select: predicate and branches must have equal shapes (and branches equal "
            f"dtypes), got {pred.str_short()}, {on_true.str_short()}, {on_false.str_short()}"
        )
    return ShapedArray(on_true.shape, on_true.dtype, on_true.weak_type and on_false.weak_type)


def _select_impl(pred: Array, on_true: Array, on_false: Array) -> Array:
    aval = _select_abstract(*(ShapedArray(a.shape, a.dtype, a.weak_type) for a in (pred, on_true, on_false)))
    out = k.select(pred._numpy(), on_true._numpy(), on_false._numpy())
    return Array._wrap(np.asarray(out, dtype=aval.dtype), aval.weak_type)


select_p.impl = _select_impl
select_p.abstract_eval = _select_abstract
ELEMENTWISE["select"] = select_p

convert_element_type_p = Primitive("convert_element_type")


def _convert_abstract(x: ShapedArray, *, new_dtype: np.dtype[Any], weak_type: bool) -> ShapedArray:
    return ShapedArray(x.shape, new_dtype, weak_type)


def _convert_impl(x: Array, *, new_dtype: np.dtype[Any], weak_type: bool) -> Array:
    if x.dtype == new_dtype:
        return Array(x._storage, x._shape, x._strides, x._offset, weak_type, x._np)
    return Array._wrap(np.asarray(k.convert(x._numpy(), new_dtype)), weak_type)


convert_element_type_p.impl = _convert_impl
convert_element_type_p.abstract_eval = _convert_abstract
ELEMENTWISE["convert_element_type"] = convert_element_type_p
