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

from functorch_lite import dtypes
from functorch_lite.array import Array
from functorch_lite.core import Primitive, ShapedArray
from functorch_lite.ops import params as P
from functorch_lite.ops.fusion_rules import Elementwise
from functorch_lite.ops.kernels import buffer_pool
from functorch_lite.ops.kernels import elementwise as k
from functorch_lite.ops.tables import fusion_rules, in_place_impls, jvp_rules, param_types, vjp_rules

NUMERIC = "biufc"
REAL = "biuf"  # ordered: complex numbers have no order (Array API)
FLOAT = "f"
INEXACT = "fc"
COMPLEX = "c"
INT = "iu"
INT_OR_BOOL = "biu"
NUMBER = "iufc"
REAL_NUMBER = "iuf"

_KIND_WORDS = {
    FLOAT: "a real floating-point array (convert with .astype(jnp.float32))",
    INEXACT: "a real or complex floating-point array (convert with .astype(jnp.float32))",
    COMPLEX: "a complex array",
    INT: "an integer array",
    INT_OR_BOOL: "a boolean or integer array",
    NUMBER: "a numeric (non-boolean) array",
    REAL_NUMBER: "a real numeric (non-boolean, non-complex) array",
    NUMERIC: "an array",
    REAL: "a real (non-complex) array: complex numbers have no order",
}

ELEMENTWISE: dict[str, Primitive] = {}

#: ops whose eager impl is a NumPy ufunc called as is: prim -> (ufunc, the operand
#: kinds it accepts, whether the result keeps the operands' dtype and weak type).  The
#: ``jnp`` functions call the ufunc straight on small plain operands
#: (``numpy/_elementwise.py``): the impl's checks and buffer pool are for the rest, and
#: its extra call and tests were a fifth of ``exp(a)`` on 10 elements.
DIRECT_UFUNCS: dict[Primitive, tuple[np.ufunc, str, bool]] = {}


def _check_kind(name: str, aval: ShapedArray, kinds: str) -> None:
    if aval.dtype.kind not in kinds:
        raise TypeError(f"{name}: expected {_KIND_WORDS[kinds]}, got dtype {aval.dtype}")


# Large dense outputs come from the buffer pool: eager chains then recycle their freed
# temporaries, as NumPy's temporary elision and PyTorch's caching allocator do, instead of
# page-faulting a fresh block per op (2-5 ms per 40 MB; far more on a VM backing memory
# lazily).  The size test comes first: tiny ops, what eager code runs most, skip the rest.
_POOL_MIN = buffer_pool.POOL_MIN_BYTES
_wrap = Array._wrap


def unop(
    name: str,
    impl: Callable[[np.ndarray[Any, Any]], Any],
    kinds: str = NUMERIC,
    out_dtype: np.dtype[Any] | Callable[[np.dtype[Any]], np.dtype[Any]] | None = None,
) -> Primitive:
    """Declare a unary elementwise primitive (shape-preserving); ``out_dtype``
    is a dtype, or a function of the operand's (``abs`` of a complex is real)."""
    p = Primitive(name)

    def abstract_eval(x: ShapedArray) -> ShapedArray:
        _check_kind(name, x, kinds)
        if out_dtype is None:
            return ShapedArray(x.shape, x.dtype, x.weak_type)
        if callable(out_dtype):
            dt = out_dtype(x.dtype)
            return ShapedArray(x.shape, dt, x.weak_type and dt == x.dtype)
        return ShapedArray(x.shape, out_dtype, False)

    takes_out = isinstance(impl, np.ufunc) or impl in k.OUT_IMPLS
    # the impl takes ``out=``, and the output's dtype is known before the call
    pooled = takes_out and (out_dtype is None or callable(out_dtype))

    # the eager path of every unary op: locals and cached NumPy views, as few calls as possible
    def impl_(x: Array) -> Array:
        dt = x._dtype
        if dt.kind not in kinds:
            abstract_eval(ShapedArray(x.shape, x.dtype))
        xn = x._np
        if xn is None:
            xn = x._numpy()
        if pooled and xn.nbytes >= _POOL_MIN and xn.flags.c_contiguous:
            odt = xn.dtype if out_dtype is None else out_dtype(xn.dtype)  # type: ignore[operator]  # callable
            out = impl(xn, out=buffer_pool.empty_shaped(xn.shape, odt))  # type: ignore[call-arg]  # takes out=
        else:
            out = impl(xn)
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        if out_dtype is None:
            return _wrap(out, x.weak_type)
        return _wrap(out, x.weak_type and out.dtype == dt)

    p.impl = impl_
    p.abstract_eval = abstract_eval
    ELEMENTWISE[name] = p
    if isinstance(impl, np.ufunc):
        DIRECT_UFUNCS[p] = (impl, kinds, out_dtype is None)
    if takes_out and out_dtype is None:
        # jit runs it over a kernel's result that nothing else reads (no second buffer)
        in_place_impls[p] = impl
    return p


def binop(
    name: str,
    impl: Callable[[np.ndarray[Any, Any], np.ndarray[Any, Any]], Any],
    kinds: str = NUMERIC,
    out_dtype: np.dtype[Any] | Callable[[np.dtype[Any]], np.dtype[Any]] | None = None,
) -> Primitive:
    """Declare a binary elementwise primitive on equal shapes and dtypes;
    ``out_dtype`` as for :func:`unop`."""
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
        if callable(out_dtype):
            return ShapedArray(x.shape, out_dtype(x.dtype), weak)
        if out_dtype is not None:
            return ShapedArray(x.shape, out_dtype, False)
        return ShapedArray(x.shape, x.dtype, weak)

    pooled = (isinstance(impl, np.ufunc) or impl in k.OUT_IMPLS) and out_dtype is None

    weak_out = out_dtype is None or callable(out_dtype)

    # the eager path of every binary op: locals and cached NumPy views, as few calls as possible
    def impl_(x: Array, y: Array) -> Array:
        dt = x._dtype
        if x._shape != y._shape or (dt is not y._dtype and dt != y._dtype) or dt.kind not in kinds:
            abstract_eval(ShapedArray(x.shape, x.dtype), ShapedArray(y.shape, y.dtype))
        xn = x._np
        if xn is None:
            xn = x._numpy()
        yn = y._np
        if yn is None:
            yn = y._numpy()
        if pooled and xn.nbytes >= _POOL_MIN and (xn.flags.c_contiguous or yn.flags.c_contiguous):
            out = impl(xn, yn, out=buffer_pool.empty_shaped(xn.shape, xn.dtype))  # type: ignore[call-arg]  # takes out=
        else:
            out = impl(xn, yn)
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        if out_dtype is None and out.dtype is not dt and out.dtype != dt:
            out = out.astype(dt)
        return _wrap(out, weak_out and x.weak_type and y.weak_type)

    p.impl = impl_
    p.abstract_eval = abstract_eval
    ELEMENTWISE[name] = p
    if isinstance(impl, np.ufunc) and not callable(out_dtype):
        DIRECT_UFUNCS[p] = (impl, kinds, out_dtype is None)
    return p


def _u(f: Any) -> Callable[[np.ndarray[Any, Any]], Any]:
    """A ufunc whose domain errors (log(0), sqrt(-1)) give inf/nan quietly, as in JAX
    (taking ``out=``: large eager results come from the buffer pool)."""
    impl: Callable[[np.ndarray[Any, Any]], Any] = k.quiet(f)
    return impl


def _b(f: Any) -> Callable[[np.ndarray[Any, Any], np.ndarray[Any, Any]], Any]:
    return lambda x, y: k.binary(f, x, y)


# Ops without floating-point *domain* errors call the ufunc directly: entering
# np.errstate costs ~1 us, more than the whole op on small arrays.  (Overflow to
# inf in add/mul/exp may still warn, exactly as NumPy does; log(0), sqrt(-1)
# and 0/0 stay quiet, as in JAX.)
_direct = k.direct


_BOOL = np.dtype(np.bool_)

# --- unary --------------------------------------------------------------------
neg_p = unop("neg", _direct(np.negative), NUMBER)
sign_p = unop("sign", _direct(np.sign), NUMBER)  # z / |z| for complex z (0 at 0), as NumPy 2 and JAX
abs_p = unop("abs", _direct(np.abs), NUMBER, dtypes.real_dtype)
real_p = unop("real", _direct(np.real), COMPLEX, dtypes.real_dtype)
imag_p = unop("imag", _direct(np.imag), COMPLEX, dtypes.real_dtype)
conj_p = unop("conj", _direct(np.conjugate), COMPLEX)
floor_p = unop("floor", _direct(np.floor), FLOAT)
ceil_p = unop("ceil", _direct(np.ceil), FLOAT)
round_p = unop("round", _direct(np.rint), FLOAT)  # half to even, as NumPy/JAX
trunc_p = unop("trunc", _direct(np.trunc), FLOAT)
exp_p = unop("exp", _direct(np.exp), INEXACT)
exp2_p = unop("exp2", _direct(np.exp2), INEXACT)
expm1_p = unop("expm1", k.expm1, INEXACT)  # complex: C99 special values
log_p = unop("log", _u(np.log), INEXACT)
log1p_p = unop("log1p", _u(np.log1p), INEXACT)
log2_p = unop("log2", _u(np.log2), INEXACT)
log10_p = unop("log10", _u(np.log10), INEXACT)
sqrt_p = unop("sqrt", _u(np.sqrt), INEXACT)
cbrt_p = unop("cbrt", _direct(np.cbrt), FLOAT)
sin_p = unop("sin", _direct(np.sin), INEXACT)
cos_p = unop("cos", _direct(np.cos), INEXACT)
tan_p = unop("tan", _direct(np.tan), INEXACT)
asin_p = unop("asin", _u(np.arcsin), INEXACT)
acos_p = unop("acos", _u(np.arccos), INEXACT)
atan_p = unop("atan", _direct(np.arctan), INEXACT)
sinh_p = unop("sinh", _direct(np.sinh), INEXACT)
cosh_p = unop("cosh", _direct(np.cosh), INEXACT)
tanh_p = unop("tanh", k.tanh, INEXACT)
asinh_p = unop("asinh", _direct(np.arcsinh), INEXACT)
acosh_p = unop("acosh", _u(np.arccosh), INEXACT)
atanh_p = unop("atanh", _u(np.arctanh), INEXACT)
logical_not_p = unop("logical_not", _direct(np.logical_not), "b")
bitwise_not_p = unop("bitwise_not", _direct(np.invert), INT)
isnan_p = unop("isnan", _direct(np.isnan), INEXACT, _BOOL)
isinf_p = unop("isinf", _direct(np.isinf), INEXACT, _BOOL)
isfinite_p = unop("isfinite", _direct(np.isfinite), INEXACT, _BOOL)
# the sign bit itself, so -0.0 and -nan count as negative (no comparison can see them)
signbit_p = unop("signbit", _direct(np.signbit), FLOAT, _BOOL)

# --- binary -------------------------------------------------------------------
add_p = binop("add", _direct(np.add))
sub_p = binop("sub", _direct(np.subtract), NUMBER)
mul_p = binop("mul", _direct(np.multiply))
div_p = binop("div", _b(np.true_divide), INEXACT)
floor_divide_p = binop("floor_divide", k.integer_divide, REAL_NUMBER)
rem_p = binop("rem", k.integer_remainder, REAL_NUMBER)  # sign of the divisor, as NumPy
pow_p = binop("pow", k.integer_power, NUMBER)
max_p = binop("max", _direct(np.maximum), REAL)  # nan-propagating, as NumPy/JAX
min_p = binop("min", _direct(np.minimum), REAL)
atan2_p = binop("atan2", _b(np.arctan2), FLOAT)
nextafter_p = binop("nextafter", _b(np.nextafter), FLOAT)
and_p = binop("and", _direct(np.bitwise_and), INT_OR_BOOL)
or_p = binop("or", _direct(np.bitwise_or), INT_OR_BOOL)
xor_p = binop("xor", _direct(np.bitwise_xor), INT_OR_BOOL)
shift_left_p = binop("shift_left", lambda x, y: k.shift(np.left_shift, x, y), INT)
shift_right_p = binop("shift_right", lambda x, y: k.shift(np.right_shift, x, y), INT)
eq_p = binop("eq", _direct(np.equal), NUMERIC, _BOOL)
ne_p = binop("ne", _direct(np.not_equal), NUMERIC, _BOOL)
lt_p = binop("lt", _direct(np.less), REAL, _BOOL)
le_p = binop("le", _direct(np.less_equal), REAL, _BOOL)
gt_p = binop("gt", _direct(np.greater), REAL, _BOOL)
ge_p = binop("ge", _direct(np.greater_equal), REAL, _BOOL)


def _complex_impl(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    out = np.empty(x.shape, dtypes.to_complex(x.dtype))
    out.real = x
    out.imag = y
    return out


complex_p = binop("complex", _complex_impl, FLOAT, dtypes.to_complex)  # x + i*y from two real arrays


for _p in (isnan_p, isinf_p, isfinite_p, signbit_p, eq_p, ne_p, lt_p, le_p, gt_p, ge_p, sign_p,
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
param_types[convert_element_type_p] = {"new_dtype": P.DTYPE, "weak_type": P.BOOL}


def _convert_abstract(x: ShapedArray, *, new_dtype: np.dtype[Any], weak_type: bool) -> ShapedArray:
    if not isinstance(new_dtype, np.dtype) or new_dtype not in dtypes.SUPPORTED:
        raise TypeError(f"convert_element_type: new_dtype must be a supported dtype, got {new_dtype!r}")
    return ShapedArray(x.shape, new_dtype, bool(weak_type))


def _convert_impl(x: Array, *, new_dtype: np.dtype[Any], weak_type: bool) -> Array:
    if x.dtype == new_dtype:
        return Array._unchecked(x._storage, x._shape, x._strides, x._offset, weak_type, x._np)
    return Array._wrap(np.asarray(k.convert(x._numpy(), new_dtype)), weak_type)


convert_element_type_p.impl = _convert_impl
convert_element_type_p.abstract_eval = _convert_abstract
ELEMENTWISE["convert_element_type"] = convert_element_type_p


# --- stop_gradient: identity on values, zero derivative ----------------------------
stop_gradient_p = Primitive("stop_gradient")
stop_gradient_p.impl = lambda x: x
stop_gradient_p.abstract_eval = lambda x: x
stop_gradient_p.nondifferentiable = True
ELEMENTWISE["stop_gradient"] = stop_gradient_p

# --- differentiation rules ---------------------------------------------------------
# (declared beside the primitives above; each derivative is d out / d arg)
from functorch_lite.ops import _rules as r  # noqa: E402

_LN2 = float(np.log(2.0))
_LN10 = float(np.log(10.0))


def _c(x: Any, v: float) -> Array:
    return r.full_like(x, v)


r.defderiv(neg_p, lambda ans, x: _c(x, -1.0))


# Complex derivatives follow JAX's convention: a jvp is the (real-linear) map on
# tangents, and a vjp its transpose under the bilinear pairing Re(ct * t), with
# no conjugation; so holomorphic ops keep their real rules (ct * f'(z)) and the
# gradient of a real-valued f of z is df/dx - i df/dy.
def _abs_jvp(primals: Any, tangents: Any) -> tuple[Any, Any]:
    (x,), (t,) = primals, tangents
    ans = abs_p.bind(x)
    if isinstance(t, r.Zero):
        return ans, r.Zero(r.get_aval(ans))
    if r.get_aval(x).dtype.kind != "c":
        return ans, r.mul(t, sign_p.bind(x))
    # d|z| = Re(conj(z) dz) / |z|, taken as 0 at z == 0 (as JAX)
    return ans, real_p.bind(r.mul(t, _conj_over_abs(x, ans)))


def _conj_over_abs(x: Any, ans: Any) -> Any:
    """``conj(x) / |x|`` (0 at 0), written with differentiable primitives as JAX's
    rule is, so that second derivatives of ``abs`` are right (``sign_p`` has a
    zero derivative)."""
    zero = r.eq(ans, r.full_like(ans, 0.0))
    safe = r.select(zero, r.full_like(ans, 1.0), ans)
    return r.div(conj_p.bind(x), complex_p.bind(safe, r.full_like(ans, 0.0)))


def _abs_vjp(ct: Any, ans: Any, x: Any) -> Any:
    if r.get_aval(x).dtype.kind != "c":
        return r.mul(ct, sign_p.bind(x))
    return r.mul(complex_p.bind(ct, r.full_like(ct, 0.0)), _conj_over_abs(x, ans))


jvp_rules[abs_p] = _abs_jvp
vjp_rules[abs_p] = (_abs_vjp,)
r.deflinear(real_p, [lambda ct, ans, x: complex_p.bind(ct, r.full_like(ct, 0.0))])
r.deflinear(imag_p, [lambda ct, ans, x: complex_p.bind(r.full_like(ct, 0.0), r.neg(ct))])
r.deflinear(conj_p, [lambda ct, ans, x: conj_p.bind(ct)])
r.deflinear(complex_p, [lambda ct, ans, x, y: real_p.bind(ct), lambda ct, ans, x, y: r.neg(imag_p.bind(ct))])
r.defderiv(exp_p, lambda ans, x: ans)
r.defderiv(exp2_p, lambda ans, x: r.mul(ans, _c(x, _LN2)))
r.defderiv(expm1_p, lambda ans, x: r.add(ans, _c(x, 1.0)))
r.defderiv(log_p, lambda ans, x: r.div(_c(x, 1.0), x))
r.defderiv(log1p_p, lambda ans, x: r.div(_c(x, 1.0), r.add(x, _c(x, 1.0))))
r.defderiv(log2_p, lambda ans, x: r.div(_c(x, 1.0), r.mul(x, _c(x, _LN2))))
r.defderiv(log10_p, lambda ans, x: r.div(_c(x, 1.0), r.mul(x, _c(x, _LN10))))
r.defderiv(sqrt_p, lambda ans, x: r.div(_c(x, 0.5), ans))
r.defderiv(cbrt_p, lambda ans, x: r.div(_c(x, 1.0 / 3.0), r.mul(ans, ans)))
r.defderiv(sin_p, lambda ans, x: cos_p.bind(x))
r.defderiv(cos_p, lambda ans, x: r.neg(sin_p.bind(x)))
r.defderiv(tan_p, lambda ans, x: r.add(_c(x, 1.0), r.mul(ans, ans)))
r.defderiv(asin_p, lambda ans, x: r.div(_c(x, 1.0), sqrt_p.bind(r.sub(_c(x, 1.0), r.mul(x, x)))))
r.defderiv(acos_p, lambda ans, x: r.div(_c(x, -1.0), sqrt_p.bind(r.sub(_c(x, 1.0), r.mul(x, x)))))
r.defderiv(atan_p, lambda ans, x: r.div(_c(x, 1.0), r.add(_c(x, 1.0), r.mul(x, x))))
r.defderiv(sinh_p, lambda ans, x: cosh_p.bind(x))
r.defderiv(cosh_p, lambda ans, x: sinh_p.bind(x))
r.defderiv(tanh_p, lambda ans, x: r.sub(_c(x, 1.0), r.mul(ans, ans)))
r.defderiv(asinh_p, lambda ans, x: r.div(_c(x, 1.0), sqrt_p.bind(r.add(r.mul(x, x), _c(x, 1.0)))))
r.defderiv(acosh_p, lambda ans, x: r.div(_c(x, 1.0), sqrt_p.bind(r.sub(r.mul(x, x), _c(x, 1.0)))))
r.defderiv(atanh_p, lambda ans, x: r.div(_c(x, 1.0), r.sub(_c(x, 1.0), r.mul(x, x))))

r.defderiv(add_p, lambda ans, x, y: _c(x, 1.0), lambda ans, x, y: _c(y, 1.0))
r.defderiv(sub_p, lambda ans, x, y: _c(x, 1.0), lambda ans, x, y: _c(y, -1.0))
r.defderiv(mul_p, lambda ans, x, y: y, lambda ans, x, y: x)
r.defderiv(div_p, lambda ans, x, y: r.div(_c(x, 1.0), y), lambda ans, x, y: r.neg(r.div(ans, y)))
r.defderiv(
    # d/dy = -q with q = (x - ans) / y, an integer up to rounding: round it (floor
    # of 2.9999999999999996 would be off by one)
    rem_p, lambda ans, x, y: _c(x, 1.0), lambda ans, x, y: r.neg(round_p.bind(r.div(r.sub(x, ans), y)))
)


def _pow_dx(ans: Any, x: Any, y: Any) -> Any:
    # y * x**(y-1), defined as 0 where y == 0 (as JAX)
    zero = r.eq(y, _c(y, 0.0))
    safe = pow_p.bind(x, r.sub(y, _c(y, 1.0)))
    return r.select(zero, _c(x, 0.0), r.mul(y, safe))


def _pow_dy(ans: Any, x: Any, y: Any) -> Any:
    # log(x) * x**y, defined as 0 where x == 0 (as JAX)
    zero = r.eq(x, _c(x, 0.0))
    safe_log = log_p.bind(r.select(zero, _c(x, 1.0), x))
    return r.select(zero, _c(x, 0.0), r.mul(safe_log, ans))


r.defderiv(pow_p, _pow_dx, _pow_dy)


def _tie_share(win: Any, tie: Any, like: Any) -> Any:
    # 1 where this operand wins, 1/2 on ties (JAX splits ties evenly), else 0
    return r.select(win, _c(like, 1.0), r.select(tie, _c(like, 0.5), _c(like, 0.0)))


r.defderiv(
    max_p,
    lambda ans, x, y: _tie_share(gt_p.bind(x, y), r.eq(x, y), x),
    lambda ans, x, y: _tie_share(gt_p.bind(y, x), r.eq(x, y), y),
)
r.defderiv(
    min_p,
    lambda ans, x, y: _tie_share(lt_p.bind(x, y), r.eq(x, y), x),
    lambda ans, x, y: _tie_share(lt_p.bind(y, x), r.eq(x, y), y),
)


def _atan2_denom(y: Any, x: Any) -> Any:
    return r.add(r.mul(x, x), r.mul(y, y))


r.defderiv(
    atan2_p,
    lambda ans, y, x: r.div(x, _atan2_denom(y, x)),
    lambda ans, y, x: r.neg(r.div(y, _atan2_denom(y, x))),
)


def _select_jvp(primals: Any, tangents: Any) -> tuple[Any, Any]:
    pred, a, b = primals
    ans = select_p.bind(pred, a, b)
    _, ta, tb = tangents
    if isinstance(ta, r.Zero) and isinstance(tb, r.Zero):
        return ans, r.Zero(r.get_aval(ans))
    ta = r.full_like(a, 0) if isinstance(ta, r.Zero) else ta
    tb = r.full_like(b, 0) if isinstance(tb, r.Zero) else tb
    return ans, select_p.bind(pred, ta, tb)


jvp_rules[select_p] = _select_jvp
vjp_rules[select_p] = (
    None,
    lambda ct, ans, p, a, b: select_p.bind(p, ct, r.full_like(ct, 0)),
    lambda ct, ans, p, a, b: select_p.bind(p, r.full_like(ct, 0), ct),
)


def _convert_jvp(primals: Any, tangents: Any, *, new_dtype: np.dtype[Any], weak_type: bool) -> tuple[Any, Any]:
    (x,), (t,) = primals, tangents
    ans = convert_element_type_p.bind(x, new_dtype=new_dtype, weak_type=weak_type)
    if isinstance(t, r.Zero) or new_dtype.kind not in "fc" or not r.is_float(x):
        return ans, r.Zero(r.get_aval(ans))
    # complex -> real keeps the real part: so does the tangent
    return ans, convert_element_type_p.bind(t, new_dtype=new_dtype, weak_type=weak_type)


def _convert_vjp(ct: Any, ans: Any, x: Any, *, new_dtype: np.dtype[Any], weak_type: bool) -> Any:
    aval = r.get_aval(x)
    if aval.dtype.kind not in "fc" or new_dtype.kind not in "fc":
        return None
    if new_dtype.kind == "c" and aval.dtype.kind == "f":
        ct = real_p.bind(ct)  # the transpose of embedding reals in the complex plane
    return r.convert(ct, aval.dtype, aval.weak_type)


jvp_rules[convert_element_type_p] = _convert_jvp
vjp_rules[convert_element_type_p] = (_convert_vjp,)

# --- batching rules -------------------------------------------------------------------
for _prim in list(ELEMENTWISE.values()):
    r.batch_elementwise(_prim)


# --- fusion rules ---
# A row of ``fusion_rules`` (ops/fusion_rules.py) is the scalar expression a
# primitive contributes to a generated fused loop (transforms/fusion*.py
# build the groups, ops/kernels/fused_source.py the Numba source): an
# ``Elementwise`` template over the operand names ``{0}``, ``{1}``... and
# ``{t}`` (the operand dtype's short name: f32, f64...), or a ``build``
# function ``(names, in_dtypes, out_dtype, params, literals) -> str | None``
# where ``literals[i]`` is operand i's value when it is a compile-time
# scalar, and None means "not fusable for these dtypes/params" (the op then
# runs its impl).  Names resolve in the generated module: ``np`` (NumPy
# scalar functions that Numba lowers to vectorisable LLVM code), ``fm``
# (ops/kernels/fastmath.py: vectorisable exp/log/tanh, since Numba's libm
# calls would stop vectorisation).  Every result is cast back to the output
# dtype by the generator.  Ops without a vectorisable scalar form (sin,
# atan2, ...) or with subtle integer semantics (floor_divide, rem, shifts)
# have no row: NumPy runs them.
def _fuse_max(pick: str) -> Callable[..., str | None]:
    # nan-propagating for floats (as np.maximum/np.minimum): a nan in either operand wins;
    # on a tie the second operand wins, as in NumPy, which decides max(0.0, -0.0) == -0.0
    def rule(names: list[str], dts: list[np.dtype[Any]], out: np.dtype[Any], params: dict[str, Any],
             lits: list[Any]) -> str | None:
        a, b = names
        if dts[0].kind == "f":
            return f"({a} if ({a} {pick} {b} or {a} != {a}) else {b})"
        if dts[0].kind == "b":
            return f"({a} or {b})" if pick == ">" else f"({a} and {b})"
        return f"({a} if {a} {pick}= {b} else {b})"

    return rule


def _fuse_sign(names: list[str], dts: list[np.dtype[Any]], out: np.dtype[Any], params: dict[str, Any],
               lits: list[Any]) -> str | None:
    x, t = names[0], dts[0].name
    if dts[0].kind == "f":  # +-0 -> +0, nan -> nan, as np.sign
        return f"(np.{t}(1) if {x} > 0 else (np.{t}(-1) if {x} < 0 else (np.{t}(0) if {x} == 0 else {x})))"
    return f"(np.{t}(1) if {x} > 0 else (np.{t}(-1) if {x} < 0 else np.{t}(0)))"


def _fuse_pow(names: list[str], dts: list[np.dtype[Any]], out: np.dtype[Any], params: dict[str, Any],
              lits: list[Any]) -> str | None:
    # only a compile-time exponent with an exact multiplicative form (x**2 -> x*x)
    y = lits[1]
    if y is None or isinstance(y, bool):
        return None
    x, t = names[0], dts[0].name
    if y == 0:
        return f"np.{t}(1)"
    if y == 1:
        return x
    if y == 2:
        return f"({x} * {x})"
    if y == 3:
        return f"({x} * {x} * {x})"
    if y == -1 and dts[0].kind == "f":
        return f"(np.{t}(1) / {x})"
    return None


def _fuse_convert(names: list[str], dts: list[np.dtype[Any]], out: np.dtype[Any], params: dict[str, Any],
                  lits: list[Any]) -> str | None:
    x, src = names[0], dts[0]
    if src == out:
        return x
    if src.kind == "c" or out.kind == "c":
        # real or complex -> complex; complex -> real keeps the real part; to or from bool: impl
        if src.kind == "b" or out.kind == "b":
            return None
        if out.kind == "c":
            return f"np.{out.name}({x})"
        return None if out.kind != "f" else f"np.{out.name}(({x}).real)"
    if out.kind == "b":
        return f"({x} != 0)"
    if out.kind == "f" or src.kind in "biu":
        return f"np.{out.name}({x})"  # integers wrap, as NumPy's astype
    # float -> int: nan -> 0, +-inf and out-of-range values clamp (as the impl); the bounds
    # are exact in float64 only up to 32-bit integers
    if out.itemsize > 4:
        return None
    info = np.iinfo(out)
    return f"np.{out.name}(fm.clamp_trunc(np.float64({x}), {float(info.min)!r}, {float(info.max)!r}))"


def _isinf(names: list[str], dts: list[np.dtype[Any]], out: np.dtype[Any], params: dict[str, Any],
           lits: list[Any]) -> str | None:
    return f"(abs({names[0]}) == np.{dts[0].name}(np.inf))"


def _isfinite(names: list[str], dts: list[np.dtype[Any]], out: np.dtype[Any], params: dict[str, Any],
              lits: list[Any]) -> str | None:
    return f"(abs({names[0]}) < np.{dts[0].name}(np.inf))"


def _floats(template: str) -> Elementwise:
    return Elementwise(template, floats_only=True)


def _alone32(template: str) -> Elementwise:
    """A float row whose float32 op, alone in a group, runs NumPy's loop (``alone_impl``)."""
    return Elementwise(template, floats_only=True, alone_impl=frozenset({"float32"}))


def _cx(template: str) -> Elementwise:
    """A row whose expression is also right for complex scalars in Numba."""
    return Elementwise(template, complex_ok=True)


_E = Elementwise
for _p, _row in (
    (add_p, _cx("({0} + {1})")), (sub_p, _cx("({0} - {1})")), (mul_p, _cx("({0} * {1})")),
    (div_p, _E("({0} / {1})")), (neg_p, _cx("(-{0})")), (abs_p, _E("abs({0})")),
    (real_p, _cx("({0}).real")), (imag_p, _cx("({0}).imag")), (conj_p, _cx("({0}).conjugate()")),
    (complex_p, _cx("complex({0}, {1})")),
    (sign_p, Elementwise(build=_fuse_sign)),
    (floor_p, _E("np.floor({0})")), (ceil_p, _E("np.ceil({0})")), (trunc_p, _E("np.trunc({0})")),
    (round_p, _E("np.rint({0})")), (sqrt_p, _E("np.sqrt({0})")),
    (exp_p, _floats("fm.exp_{t}({0})")), (exp2_p, _floats("fm.exp2_{t}({0})")),
    # NumPy's float32 tanh and logs (AVX-512 loops with tables in registers) take 0.165
    # (tanh) and 0.17-0.25 (logs) ns per element here, fm's 0.26 and 0.35: alone, under
    # jit, these ran 1.4-2x eager's time; with other ops to fuse, the kernel still wins
    (log_p, _alone32("fm.log_{t}({0})")), (log2_p, _alone32("fm.log2_{t}({0})")),
    (log10_p, _alone32("fm.log10_{t}({0})")), (tanh_p, _alone32("fm.tanh_{t}({0})")),
    (max_p, Elementwise(build=_fuse_max(">"))), (min_p, Elementwise(build=_fuse_max("<"))),
    (pow_p, Elementwise(build=_fuse_pow, complex_ok=True)),
    (eq_p, _cx("({0} == {1})")), (ne_p, _cx("({0} != {1})")), (lt_p, _E("({0} < {1})")),
    (le_p, _E("({0} <= {1})")), (gt_p, _E("({0} > {1})")), (ge_p, _E("({0} >= {1})")),
    (and_p, _E("({0} & {1})")), (or_p, _E("({0} | {1})")), (xor_p, _E("({0} ^ {1})")),
    (logical_not_p, _E("(not {0})")), (bitwise_not_p, _E("(~{0})")),
    (isnan_p, _cx("({0} != {0})")), (isinf_p, Elementwise(build=_isinf)),
    (isfinite_p, Elementwise(build=_isfinite)), (signbit_p, _E("np.signbit({0})")),
    (select_p, _cx("({1} if {0} else {2})")),
    (convert_element_type_p, Elementwise(build=_fuse_convert, complex_ok=True)),
    (stop_gradient_p, _cx("{0}")),
):
    fusion_rules[_p] = _row
