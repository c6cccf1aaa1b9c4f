"""JAX's strict ``lax`` elementwise ops, conversions, shape ops, creation and
``dot_general``.

As in JAX, binary ops do not promote: both operands have one dtype (a
Python scalar takes the other operand's dtype when it is of the same kind)
and one shape (or one is a scalar).  Each op binds this library's
primitives, so it is differentiable, batchable and jittable.  ``div`` of
integers truncates toward zero and ``rem`` has the sign of the dividend (C's
``fmod``), as ``lax.div``/``lax.rem``; integer division by zero gives -1 and
its remainder the dividend, as XLA on CPU.

Example:
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite import lax
    >>> lax.div(jnp.array([-7, 7]), 2).tolist(), lax.rem(jnp.array([-7, 7]), 2).tolist()
    ([-3, 3], [-1, 1])
"""

from __future__ import annotations

import builtins
import enum
import math
from collections.abc import Sequence
from typing import Any, cast

import numpy as np

import functorch_lite.numpy as jnp
from functorch_lite import dtypes
from functorch_lite.array import Array
from functorch_lite.core import get_aval
from functorch_lite.lax._elementwise import _operand
from functorch_lite.numpy._elementwise import BinaryFunction, UnaryFunction
from functorch_lite.ops import bits
from functorch_lite.ops import elementwise as ew
from functorch_lite.ops import linalg as ol
from functorch_lite.ops import shape_ops as so
from functorch_lite.ops import special as sp

__all__ = [
    "neg", "sub", "div", "rem", "pow", "abs", "sign", "floor", "ceil", "round", "RoundingMethod", "is_finite",
    "exp", "exp2", "log", "log1p", "expm1", "tanh", "logistic", "sin", "cos", "tan", "asin", "acos", "atan",
    "atan2", "sinh", "cosh", "asinh", "acosh", "atanh", "sqrt", "rsqrt", "cbrt", "square", "reciprocal",
    "integer_pow", "erf", "erfc", "erf_inv", "lgamma", "digamma", "clamp", "nextafter",
    "eq", "ne", "lt", "le", "gt", "ge", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
    "shift_left", "shift_right_logical", "shift_right_arithmetic", "population_count", "clz",
    "convert_element_type", "bitcast_convert_type", "reduce_precision",
    "broadcast", "broadcast_in_dim", "reshape", "squeeze", "expand_dims", "transpose", "rev", "pad",
    "concatenate", "select_n", "iota", "broadcasted_iota", "full", "full_like", "zeros_like_array",
    "dot_general", "dot",
]


# --- helpers --------------------------------------------------------------------------


def _unary(name: str, x: Any, kinds: str) -> Any:
    a = jnp.asarray(x)
    aval = get_aval(a)
    if aval.dtype.kind not in kinds:
        words = {"fc": "a floating-point or complex", "f": "a real floating-point", "iu": "an integer",
                 "iufc": "a numeric (non-boolean)", "biu": "a boolean or integer", "iuf": "a real number"}
        raise TypeError(
            f"lax.{name} requires {words.get(kinds, kinds)} operand, got {aval.str_short()}; lax does not "
            f"promote (convert first, or use the jnp function, which does)"
        )
    return a


def _pair(name: str, x: Any, y: Any, kinds: str = "biufc") -> tuple[Any, Any]:
    """Both operands as arrays of one dtype, broadcast to one shape (one may be a scalar)."""
    a, b = _operand(x, y), _operand(y, x)
    ax, bx = get_aval(a), get_aval(b)
    if ax.dtype != bx.dtype:
        raise TypeError(
            f"lax.{name} requires arguments to have the same dtypes, got {ax.dtype}, {bx.dtype}; "
            f"convert one (x.astype(...)) or use the jnp function, which promotes"
        )
    if ax.shape != bx.shape:
        if ax.shape != () and bx.shape != ():
            raise TypeError(
                f"lax.{name}: operands must have the same shape (or one be a scalar), got {ax.shape} and "
                f"{bx.shape}; the jnp function broadcasts"
            )
        shape = ax.shape if bx.shape == () else bx.shape
        a, b = jnp.broadcast_to(a, shape), jnp.broadcast_to(b, shape)
    _unary(name, a, kinds)
    return a, b


# --- arithmetic -------------------------------------------------------------------------


def neg(x: Any) -> Array:
    """``-x`` (JAX's ``lax.neg``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> neg(jnp.array([1, -2])).tolist()
        [-1, 2]
    """
    out: Array = ew.neg_p.bind(_unary("neg", x, "iufc"))
    return out


def sub(x: Any, y: Any) -> Array:
    """``x - y`` with equal dtypes (JAX's ``lax.sub``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> sub(jnp.array([3, 4]), 1).tolist()
        [2, 3]
    """
    out: Array = ew.sub_p.bind(*_pair("sub", x, y, "iufc"))
    return out


def _trunc_div(a: Any, b: Any) -> Any:
    zero = jnp.zeros_like(b)
    safe = jnp.where(b == zero, jnp.ones_like(b), b)
    q = ew.floor_divide_p.bind(a, safe)
    r = ew.sub_p.bind(a, ew.mul_p.bind(q, safe))
    if get_aval(a).dtype.kind == "i":
        fix = (r != zero) & ((a < zero) != (safe < zero))
        q = jnp.where(fix, q + jnp.ones_like(q), q)
    dt = get_aval(a).dtype
    all_ones = -1 if dt.kind == "i" else int(np.iinfo(dt).max)  # XLA's x / 0 on CPU: every bit set
    return jnp.where(b == zero, jnp.full_like(b, all_ones), q)


def div(x: Any, y: Any) -> Array:
    """``x / y``; integers truncate toward zero (JAX's ``lax.div``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> div(jnp.array([-7, 7, 5]), jnp.array([2, -2, 0])).tolist()
        [-3, -3, -1]
    """
    a, b = _pair("div", x, y, "iufc")
    if get_aval(a).dtype.kind in "fc":
        out: Array = ew.div_p.bind(a, b)
        return out
    out = _trunc_div(a, b)
    return out


def rem(x: Any, y: Any) -> Array:
    """Remainder with the sign of the dividend, C's ``fmod`` (JAX's ``lax.rem``);
    an integer remainder by zero is the dividend.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> rem(jnp.array([-7.0, 7.0]), 2.0).tolist()
        [-1.0, 1.0]
    """
    a, b = _pair("rem", x, y, "iuf")
    if get_aval(a).dtype.kind == "f":
        return jnp.fmod(a, b)
    q = _trunc_div(a, b)
    zero = jnp.zeros_like(b)
    out: Array = jnp.where(b == zero, a, ew.sub_p.bind(a, ew.mul_p.bind(q, b)))
    return out


def pow(x: Any, y: Any) -> Array:  # noqa: A001 - JAX's name
    """``x ** y`` (JAX's ``lax.pow``): ``x`` float or complex, ``y`` of ``x``'s
    dtype or an integer array (of ``x``'s shape or a scalar).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> pow(jnp.array([2.0, 3.0]), jnp.array([3, 2], dtype=jnp.int32)).tolist()
        [8.0, 9.0]
    """
    a = _unary("pow", x, "fc")
    if isinstance(y, int) and not isinstance(y, bool):
        return jnp.power(a, jnp.asarray(y, dtype=get_aval(a).dtype))
    b = jnp.asarray(y)
    bd = get_aval(b).dtype
    if bd.kind in "iu":
        bshape, ashape = get_aval(b).shape, get_aval(a).shape
        if bshape != ashape and bshape != () and ashape != ():
            raise TypeError(f"lax.pow: operands must have the same shape (or one be a scalar), got {ashape} "
                            f"and {bshape}")
        return jnp.power(a, b)
    out: Array = ew.pow_p.bind(*_pair("pow", a, y, "fc"))
    return out


def integer_pow(x: Any, y: int) -> Array:
    """``x ** y`` for a Python int ``y`` (JAX's ``lax.integer_pow``); negative
    ``y`` is allowed for inexact ``x`` only.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> integer_pow(jnp.array([2, 3]), 3).tolist()
        [8, 27]
    """
    if isinstance(y, bool) or not isinstance(y, (int, np.integer)):
        raise TypeError(f"lax.integer_pow: the exponent must be a Python int, got {y!r}; use lax.pow")
    a = _unary("integer_pow", x, "iufc")
    kind = get_aval(a).dtype.kind
    if y < 0 and kind in "iu":
        raise ValueError(f"lax.integer_pow: negative exponent {y} needs a floating-point operand, got "
                         f"{get_aval(a).str_short()}")
    if y == 0:
        return jnp.ones_like(a)
    base = reciprocal(a) if y < 0 else a
    acc: Any = None
    n = builtins.abs(int(y))
    while n:  # square-and-multiply: exact for integers, smooth for floats
        if n & 1:
            acc = base if acc is None else ew.mul_p.bind(acc, base)
        n >>= 1
        if n:
            base = ew.mul_p.bind(base, base)
    out: Array = acc
    return out


def abs(x: Any) -> Array:  # noqa: A001 - JAX's name
    """``|x|``; complex gives its real magnitude (JAX's ``lax.abs``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> abs(jnp.array([3 + 4j])).tolist()
        [5.0]
    """
    out: Array = ew.abs_p.bind(_unary("abs", x, "iufc"))
    return out


def sign(x: Any) -> Array:
    """-1, 0 or 1 (``z / |z|`` for complex) (JAX's ``lax.sign``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> sign(jnp.array([-2.0, 0.0, 3.0])).tolist()
        [-1.0, 0.0, 1.0]
    """
    out: Array = ew.sign_p.bind(_unary("sign", x, "iufc"))
    return out


def floor(x: Any) -> Array:
    """Round down (float only, JAX's ``lax.floor``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> floor(jnp.array([-1.5, 1.5])).tolist()
        [-2.0, 1.0]
    """
    out: Array = ew.floor_p.bind(_unary("floor", x, "f"))
    return out


def ceil(x: Any) -> Array:
    """Round up (float only, JAX's ``lax.ceil``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> ceil(jnp.array([-1.5, 1.5])).tolist()
        [-1.0, 2.0]
    """
    out: Array = ew.ceil_p.bind(_unary("ceil", x, "f"))
    return out


class RoundingMethod(enum.IntEnum):
    """``lax.round``'s rounding of halves: away from zero (0) or to even (1)."""

    AWAY_FROM_ZERO = 0
    TO_NEAREST_EVEN = 1


def round(x: Any, rounding_method: Any = RoundingMethod.AWAY_FROM_ZERO) -> Array:  # noqa: A001
    """Round to the nearest integer; halves go away from zero by default, or
    to even with ``rounding_method=1`` (JAX's ``lax.round``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> round(jnp.array([0.5, 1.5, -0.5])).tolist(), round(jnp.array([0.5, 1.5]), 1).tolist()
        ([1.0, 2.0, -1.0], [0.0, 2.0])
    """
    a = _unary("round", x, "f")
    try:
        method = RoundingMethod(int(rounding_method))
    except (TypeError, ValueError):
        raise ValueError(f"lax.round: rounding_method must be 0 (AWAY_FROM_ZERO) or 1 (TO_NEAREST_EVEN), "
                         f"got {rounding_method!r}") from None
    if method == RoundingMethod.TO_NEAREST_EVEN:
        out: Array = ew.round_p.bind(a)
        return out
    t = ew.trunc_p.bind(a)
    frac = ew.abs_p.bind(ew.sub_p.bind(a, t))
    half = jnp.full_like(a, 0.5)
    out = jnp.where(frac >= half, ew.add_p.bind(t, ew.sign_p.bind(a)), t)
    return out


def is_finite(x: Any) -> Array:
    """Whether each element is neither inf nor NaN (float only, JAX's ``lax.is_finite``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> is_finite(jnp.array([1.0, float("inf")])).tolist()
        [True, False]
    """
    out: Array = ew.isfinite_p.bind(_unary("is_finite", x, "f"))
    return out


def _inexact_unop(name: str, prim: Any, kinds: str = "fc") -> UnaryFunction:
    def f(x: Any) -> Array:
        out: Array = prim.bind(_unary(name, x, kinds))
        return out

    f.__name__ = f.__qualname__ = name
    f.__doc__ = (f"Elementwise ``{name}`` (JAX's ``lax.{name}``; no promotion: "
                 f"{'float' if kinds == 'f' else 'float or complex'} operands only).\n\n"
                 f"    Example:\n"
                 f"        >>> import functorch_lite.numpy as jnp\n"
                 f"        >>> from functorch_lite import lax\n"
                 f"        >>> lax.{name}(jnp.array([0.5])).shape\n"
                 f"        (1,)\n")
    return f


exp = _inexact_unop("exp", ew.exp_p)
log = _inexact_unop("log", ew.log_p)
tanh = _inexact_unop("tanh", ew.tanh_p)
sin = _inexact_unop("sin", ew.sin_p)
cos = _inexact_unop("cos", ew.cos_p)
tan = _inexact_unop("tan", ew.tan_p)
asin = _inexact_unop("asin", ew.asin_p)
acos = _inexact_unop("acos", ew.acos_p)
atan = _inexact_unop("atan", ew.atan_p)
sinh = _inexact_unop("sinh", ew.sinh_p)
cosh = _inexact_unop("cosh", ew.cosh_p)
asinh = _inexact_unop("asinh", ew.asinh_p)
acosh = _inexact_unop("acosh", ew.acosh_p)
atanh = _inexact_unop("atanh", ew.atanh_p)
sqrt = _inexact_unop("sqrt", ew.sqrt_p)
cbrt = _inexact_unop("cbrt", ew.cbrt_p, "f")
erf = _inexact_unop("erf", sp.erf_p, "f")
erfc = _inexact_unop("erfc", sp.erfc_p, "f")
erf_inv = _inexact_unop("erf_inv", sp.erf_inv_p, "f")
lgamma = _inexact_unop("lgamma", sp.lgamma_p, "f")
digamma = _inexact_unop("digamma", sp.digamma_p, "f")


def exp2(x: Any) -> Array:
    """``2 ** x`` (JAX's ``lax.exp2``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> exp2(jnp.array([3.0])).tolist()
        [8.0]
    """
    a = _unary("exp2", x, "fc")
    out: Array = ew.exp_p.bind(ew.mul_p.bind(a, jnp.full_like(a, math.log(2.0))))
    return out


def log1p(x: Any) -> Array:
    """``log(1 + x)``, accurate near 0 (JAX's ``lax.log1p``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> float(log1p(jnp.array(1e-20))) > 0.0
        True
    """
    out: Array = jnp.log1p(_unary("log1p", x, "fc"))
    return out


def expm1(x: Any) -> Array:
    """``exp(x) - 1``, accurate near 0 (JAX's ``lax.expm1``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> float(expm1(jnp.array(1e-20))) > 0.0
        True
    """
    out: Array = jnp.expm1(_unary("expm1", x, "fc"))
    return out


def logistic(x: Any) -> Array:
    """``1 / (1 + exp(-x))`` (JAX's ``lax.logistic``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> logistic(jnp.array([0.0])).tolist()
        [0.5]
    """
    a = _unary("logistic", x, "fc")
    one = jnp.ones_like(a)
    out: Array = ew.div_p.bind(one, ew.add_p.bind(one, ew.exp_p.bind(ew.neg_p.bind(a))))
    return out


def atan2(x: Any, y: Any) -> Array:
    """``atan(x / y)`` in the right quadrant (JAX's ``lax.atan2(x, y)``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> 2.35 < float(atan2(jnp.array(1.0), -1.0)) < 2.36
        True
    """
    a, b = _pair("atan2", x, y, "f")
    return jnp.arctan2(a, b)


def nextafter(x1: Any, x2: Any) -> Array:
    """The next float after ``x1`` toward ``x2`` (JAX's ``lax.nextafter``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> float(nextafter(jnp.array(1.0), 2.0)) > 1.0
        True
    """
    out: Array = ew.nextafter_p.bind(*_pair("nextafter", x1, x2, "f"))
    return out


def rsqrt(x: Any) -> Array:
    """``1 / sqrt(x)`` (JAX's ``lax.rsqrt``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> rsqrt(jnp.array([4.0])).tolist()
        [0.5]
    """
    a = _unary("rsqrt", x, "fc")
    out: Array = ew.div_p.bind(jnp.ones_like(a), ew.sqrt_p.bind(a))
    return out


def square(x: Any) -> Array:
    """``x * x`` (JAX's ``lax.square``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> square(jnp.array([3])).tolist()
        [9]
    """
    a = _unary("square", x, "iufc")
    out: Array = ew.mul_p.bind(a, a)
    return out


def reciprocal(x: Any) -> Array:
    """``1 / x`` (JAX's ``lax.reciprocal``; inexact operands).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> reciprocal(jnp.array([4.0])).tolist()
        [0.25]
    """
    a = _unary("reciprocal", x, "fc")
    out: Array = ew.div_p.bind(jnp.ones_like(a), a)
    return out


def clamp(min: Any, x: Any, max: Any) -> Array:  # noqa: A002 - JAX's names
    """``x`` clipped to ``[min, max]``; the bounds are scalars or of ``x``'s
    shape, all of one dtype (JAX's ``lax.clamp``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> clamp(0, jnp.array([-1, 5, 2]), 3).tolist()
        [0, 3, 2]
    """
    a = _unary("clamp", x, "iuf")
    aval = get_aval(a)
    lo, _ = _pair("clamp", min, a, "iuf")
    hi, _ = _pair("clamp", max, a, "iuf")
    for what, bound, raw in (("min", lo, min), ("max", hi, max)):
        shape = get_aval(jnp.asarray(raw) if not isinstance(raw, (int, float)) else bound).shape
        if shape not in ((), aval.shape):
            raise TypeError(f"lax.clamp: {what} must be a scalar or of x's shape {aval.shape}, got {shape}")
    out: Array = ew.min_p.bind(ew.max_p.bind(a, lo), hi)
    return out


# --- comparisons and bits ----------------------------------------------------------------


def _cmp(name: str, prim: Any, kinds: str, ref: Any) -> BinaryFunction:
    def f(x: Any, y: Any) -> Array:
        out: Array = prim.bind(*_pair(name, x, y, kinds))
        return out

    f.__name__ = f.__qualname__ = name
    f.__doc__ = (f"Elementwise ``{name}`` of two arrays of one dtype (JAX's ``lax.{name}``).\n\n"
                 f"    Example:\n"
                 f"        >>> import functorch_lite.numpy as jnp\n"
                 f"        >>> from functorch_lite import lax\n"
                 f"        >>> lax.{name}(jnp.array([1, 2]), 2).tolist()\n"
                 f"        {ref(np.array([1, 2]), 2).tolist()}\n")
    return f


eq = _cmp("eq", ew.eq_p, "biufc", np.equal)
ne = _cmp("ne", ew.ne_p, "biufc", np.not_equal)
lt = _cmp("lt", ew.lt_p, "biuf", np.less)
le = _cmp("le", ew.le_p, "biuf", np.less_equal)
gt = _cmp("gt", ew.gt_p, "biuf", np.greater)
ge = _cmp("ge", ew.ge_p, "biuf", np.greater_equal)
bitwise_and = _cmp("bitwise_and", ew.and_p, "biu", np.bitwise_and)
bitwise_or = _cmp("bitwise_or", ew.or_p, "biu", np.bitwise_or)
bitwise_xor = _cmp("bitwise_xor", ew.xor_p, "biu", np.bitwise_xor)


def bitwise_not(x: Any) -> Array:
    """Bitwise (or, for bool, logical) not (JAX's ``lax.bitwise_not``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> bitwise_not(jnp.array([0, -1])).tolist(), bitwise_not(jnp.array([True])).tolist()
        ([-1, 0], [False])
    """
    a = _unary("bitwise_not", x, "biu")
    if get_aval(a).dtype.kind == "b":
        out: Array = ew.logical_not_p.bind(a)
        return out
    out = ew.bitwise_not_p.bind(a)
    return out


def shift_left(x: Any, y: Any) -> Array:
    """``x << y``; shifts of the bit width or more give 0 (JAX's ``lax.shift_left``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> shift_left(jnp.array([1, 1], dtype=jnp.int8), jnp.array([3, 9], dtype=jnp.int8)).tolist()
        [8, 0]
    """
    out: Array = ew.shift_left_p.bind(*_pair("shift_left", x, y, "iu"))
    return out


def shift_right_arithmetic(x: Any, y: Any) -> Array:
    """``x >> y`` filling with the sign bit (JAX's ``lax.shift_right_arithmetic``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> shift_right_arithmetic(jnp.array([-8, 8]), 1).tolist()
        [-4, 4]
    """
    a, b = _pair("shift_right_arithmetic", x, y, "iu")
    if get_aval(a).dtype.kind == "u":
        signed = dtypes.canonicalize(f"int{get_aval(a).dtype.itemsize * 8}")
        sa = bits.bitcast_convert_type_p.bind(a, new_dtype=signed)
        sb = bits.bitcast_convert_type_p.bind(b, new_dtype=signed)
        big = b >= jnp.full_like(b, get_aval(a).dtype.itemsize * 8)
        sb = jnp.where(big, jnp.full_like(sb, get_aval(a).dtype.itemsize * 8), sb)
        out = ew.shift_right_p.bind(sa, sb)
        result: Array = bits.bitcast_convert_type_p.bind(out, new_dtype=get_aval(a).dtype)
        return result
    result = ew.shift_right_p.bind(a, b)
    return result


def shift_right_logical(x: Any, y: Any) -> Array:
    """``x >> y`` filling with zeros, for signed integers too (JAX's
    ``lax.shift_right_logical``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> shift_right_logical(jnp.array([-8], dtype=jnp.int32), 1).tolist()
        [2147483644]
    """
    a, b = _pair("shift_right_logical", x, y, "iu")
    dt = get_aval(a).dtype
    if dt.kind == "u":
        out: Array = ew.shift_right_p.bind(a, b)
        return out
    unsigned = dtypes.canonicalize(f"uint{dt.itemsize * 8}")
    ua = bits.bitcast_convert_type_p.bind(a, new_dtype=unsigned)
    neg_b = b < jnp.zeros_like(b)
    ub = bits.bitcast_convert_type_p.bind(jnp.where(neg_b, jnp.full_like(b, dt.itemsize * 8), b), new_dtype=unsigned)
    out = bits.bitcast_convert_type_p.bind(ew.shift_right_p.bind(ua, ub), new_dtype=dt)
    return out


def population_count(x: Any) -> Array:
    """The number of set bits of each integer (JAX's ``lax.population_count``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> population_count(jnp.array([7, -1], dtype=jnp.int8)).tolist()
        [3, 8]
    """
    out: Array = bits.population_count_p.bind(_unary("population_count", x, "iu"))
    return out


def clz(x: Any) -> Array:
    """The number of leading zero bits of each integer (JAX's ``lax.clz``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> clz(jnp.array([0, 1, -1], dtype=jnp.int32)).tolist()
        [32, 31, 0]
    """
    out: Array = bits.clz_p.bind(_unary("clz", x, "iu"))
    return out


# --- conversions -------------------------------------------------------------------------


def convert_element_type(operand: Any, new_dtype: Any) -> Array:
    """``operand`` converted to ``new_dtype`` (JAX's ``lax.convert_element_type``):
    floats to integers truncate toward zero, complex to real keeps the real part.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> convert_element_type(jnp.array([1.7, -1.7]), jnp.int32).tolist()
        [1, -1]
    """
    a = jnp.asarray(operand)
    dt = dtypes.requested(new_dtype, "lax.convert_element_type")
    if get_aval(a).dtype.kind == "c" and dt.kind != "c":
        a = ew.real_p.bind(a)
    out: Array = ew.convert_element_type_p.bind(a, new_dtype=dt, weak_type=False)
    return out


def bitcast_convert_type(operand: Any, new_dtype: Any) -> Array:
    """The bytes of ``operand`` reinterpreted as ``new_dtype`` (JAX's
    ``lax.bitcast_convert_type``): a narrower type adds a trailing axis, a
    wider one consumes it.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> bitcast_convert_type(jnp.array([1.0], dtype=jnp.float32), jnp.int32).tolist()
        [1065353216]
    """
    dt = dtypes.requested(new_dtype, "lax.bitcast_convert_type")
    out: Array = bits.bitcast_convert_type_p.bind(jnp.asarray(operand), new_dtype=dt)
    return out


def reduce_precision(operand: Any, exponent_bits: int, mantissa_bits: int) -> Array:
    """Round floats to a narrower format's precision and range, keeping the
    dtype (JAX's ``lax.reduce_precision``; ``(5, 10)`` is float16's).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> reduce_precision(jnp.array([1.1, 1e5], dtype=jnp.float32), 5, 10).tolist()
        [1.099609375, inf]
    """
    out: Array = bits.reduce_precision_p.bind(_unary("reduce_precision", operand, "f"),
                                        exponent_bits=int(exponent_bits), mantissa_bits=int(mantissa_bits))
    return out


# --- shapes ------------------------------------------------------------------------------


def _tuple(name: str, what: str, v: Any) -> tuple[int, ...]:
    try:
        out = tuple(int(i) for i in v)
    except TypeError:
        raise TypeError(f"lax.{name}: {what} must be a sequence of ints, got {v!r}") from None
    return out


def broadcast(operand: Any, sizes: Sequence[int]) -> Array:
    """``operand`` with new leading axes of ``sizes`` (JAX's ``lax.broadcast``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> broadcast(jnp.array([1, 2]), (3,)).shape
        (3, 2)
    """
    a = jnp.asarray(operand)
    nd = get_aval(a).ndim
    sz = _tuple("broadcast", "sizes", sizes)
    return broadcast_in_dim(a, sz + get_aval(a).shape, tuple(range(len(sz), len(sz) + nd)))


def broadcast_in_dim(operand: Any, shape: Sequence[int], broadcast_dimensions: Sequence[int]) -> Array:
    """``operand`` placed at ``broadcast_dimensions`` of a ``shape`` array (JAX's
    ``lax.broadcast_in_dim``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> broadcast_in_dim(jnp.array([1, 2]), (2, 3), (0,)).tolist()
        [[1, 1, 1], [2, 2, 2]]
    """
    a = jnp.asarray(operand)
    shp = _tuple("broadcast_in_dim", "shape", shape)
    dims = _tuple("broadcast_in_dim", "broadcast_dimensions", broadcast_dimensions)
    aval = get_aval(a)
    if len(dims) != aval.ndim or any(not 0 <= d < len(shp) for d in dims) or list(dims) != sorted(set(dims)):
        raise ValueError(
            f"lax.broadcast_in_dim: broadcast_dimensions {dims} must be increasing axes of shape {shp}, one per "
            f"axis of {aval.str_short()}"
        )
    for d, n in zip(dims, aval.shape):
        if n not in (1, shp[d]):
            raise ValueError(f"lax.broadcast_in_dim: operand axis of size {n} cannot broadcast to axis {d} of "
                             f"shape {shp}")
    out: Array = so.broadcast_in_dim_p.bind(a, shape=shp, broadcast_dimensions=dims)
    return out


def reshape(operand: Any, new_sizes: Sequence[int], dimensions: Sequence[int] | None = None) -> Array:
    """``operand`` (first transposed by ``dimensions`` when given) in shape
    ``new_sizes`` (JAX's ``lax.reshape``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> reshape(jnp.arange(6).reshape(2, 3), (6,), (1, 0)).tolist()
        [0, 3, 1, 4, 2, 5]
    """
    a = jnp.asarray(operand)
    if dimensions is not None:
        a = transpose(a, dimensions)
    sizes = _tuple("reshape", "new_sizes", new_sizes)
    aval = get_aval(a)
    if math.prod(sizes) != aval.size or any(s < 0 for s in sizes):
        raise TypeError(f"lax.reshape: cannot reshape {aval.str_short()} to {sizes} (sizes must multiply "
                        f"to {aval.size}; lax.reshape takes no -1)")
    return jnp.reshape(a, sizes)


def squeeze(array: Any, dimensions: Sequence[int]) -> Array:
    """``array`` without the size-1 axes ``dimensions`` (JAX's ``lax.squeeze``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> squeeze(jnp.zeros((1, 2, 1)), (0, -1)).shape
        (2,)
    """
    a = jnp.asarray(array)
    nd = get_aval(a).ndim
    dims = tuple(sorted({d % nd if -nd <= d < nd else _bad_axis("squeeze", d, nd)
                         for d in _tuple("squeeze", "dimensions", dimensions)}))
    for d in dims:
        if get_aval(a).shape[d] != 1:
            raise ValueError(f"lax.squeeze: axis {d} of shape {get_aval(a).shape} has size "
                             f"{get_aval(a).shape[d]}, not 1")
    out: Array = so.squeeze_p.bind(a, dimensions=dims)
    return out


def _bad_axis(name: str, d: int, nd: int) -> int:
    raise ValueError(f"lax.{name}: axis {d} is out of range for {nd} dimensions")


def expand_dims(array: Any, dimensions: Sequence[int]) -> Array:
    """``array`` with size-1 axes inserted at ``dimensions`` of the result
    (JAX's ``lax.expand_dims``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> expand_dims(jnp.zeros(3), (0, -1)).shape
        (1, 3, 1)
    """
    a = jnp.asarray(array)
    return jnp.expand_dims(a, _tuple("expand_dims", "dimensions", dimensions))


def transpose(operand: Any, permutation: Sequence[int]) -> Array:
    """Axes permuted: output axis i is input axis ``permutation[i]`` (JAX's ``lax.transpose``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> transpose(jnp.zeros((2, 3, 4)), (2, 0, 1)).shape
        (4, 2, 3)
    """
    a = jnp.asarray(operand)
    perm = _tuple("transpose", "permutation", permutation)
    nd = get_aval(a).ndim
    if sorted(perm) != list(range(nd)):
        raise ValueError(f"lax.transpose: permutation {perm} is not a permutation of the {nd} axes of "
                         f"{get_aval(a).str_short()}")
    out: Array = so.transpose_p.bind(a, permutation=perm)
    return out


def rev(operand: Any, dimensions: Sequence[int]) -> Array:
    """``operand`` reversed along ``dimensions`` (JAX's ``lax.rev``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> rev(jnp.arange(3), (0,)).tolist()
        [2, 1, 0]
    """
    a = jnp.asarray(operand)
    nd = get_aval(a).ndim
    dims = _tuple("rev", "dimensions", dimensions)
    if any(not 0 <= d < nd for d in dims) or len(set(dims)) != len(dims):
        raise ValueError(f"lax.rev: dimensions {dims} must be distinct axes in [0, {nd})")
    out: Array = so.rev_p.bind(a, dimensions=tuple(sorted(dims)))
    return out


def pad(operand: Any, padding_value: Any, padding_config: Sequence[tuple[int, int, int]]) -> Array:
    """``operand`` padded per axis by ``(low, high, interior)`` copies of the
    scalar ``padding_value``; negative low/high crop (JAX's ``lax.pad``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> pad(jnp.array([1, 2, 3]), 0, [(1, -1, 1)]).tolist()
        [0, 1, 0, 2, 0]
    """
    a = jnp.asarray(operand)
    aval = get_aval(a)
    v = _operand(padding_value, a)
    vaval = get_aval(v)
    if vaval.dtype != aval.dtype or vaval.shape != ():
        raise TypeError(f"lax.pad: padding_value must be a scalar of dtype {aval.dtype}, got "
                        f"{vaval.str_short()}")
    try:
        cfg = tuple((int(lo), int(hi), int(it)) for lo, hi, it in padding_config)
    except (TypeError, ValueError):
        raise TypeError(f"lax.pad: padding_config must be (low, high, interior) int triples, got "
                        f"{padding_config!r}") from None
    if len(cfg) != aval.ndim:
        raise ValueError(f"lax.pad: padding_config needs one triple per axis of {aval.str_short()}")
    out: Array = so.pad_p.bind(a, v, padding_config=cfg)
    return out


def concatenate(operands: Sequence[Any], dimension: int) -> Array:
    """Arrays of one dtype joined along ``dimension`` (JAX's ``lax.concatenate``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> concatenate([jnp.zeros(2), jnp.ones(1)], 0).tolist()
        [0.0, 0.0, 1.0]
    """
    xs = [jnp.asarray(o) for o in operands]
    if not xs:
        raise ValueError("lax.concatenate: need at least one operand")
    dts = {get_aval(x).dtype for x in xs}
    if len(dts) != 1:
        raise TypeError(f"lax.concatenate: operands must share one dtype, got {sorted(str(d) for d in dts)}")
    nd = get_aval(xs[0]).ndim
    if isinstance(dimension, bool) or not isinstance(dimension, (int, np.integer)) or not 0 <= dimension < nd:
        raise ValueError(f"lax.concatenate: dimension {dimension!r} must be an axis in [0, {nd})")
    if len(xs) == 1:
        return cast(Array, xs[0])
    out: Array = so.concatenate_p.bind(*xs, dimension=int(dimension))
    return out


def select_n(which: Any, *cases: Any) -> Array:
    """``cases[which]`` elementwise (JAX's ``lax.select_n``): ``which`` is bool
    (two cases) or an integer array, a scalar or of the cases' shape.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> select_n(jnp.array([0, 2, 1]), jnp.zeros(3), jnp.ones(3), jnp.full(3, 2.0)).tolist()
        [0.0, 2.0, 1.0]
    """
    if not cases:
        raise ValueError("lax.select_n: need at least one case")
    w = jnp.asarray(which)
    cs = [jnp.asarray(c) for c in cases]
    c0 = get_aval(cs[0])
    for c in cs[1:]:
        if get_aval(c).dtype != c0.dtype or get_aval(c).shape != c0.shape:
            raise TypeError(f"lax.select_n: cases must share dtype and shape, got {c0.str_short()} and "
                            f"{get_aval(c).str_short()}")
    wa = get_aval(w)
    if wa.shape not in ((), c0.shape):
        raise TypeError(f"lax.select_n: which {wa.str_short()} must be a scalar or of the cases' shape "
                        f"{c0.shape}")
    if wa.dtype.kind == "b":
        if len(cs) > 2:
            raise TypeError(f"lax.select_n: a boolean which selects between two cases, got {len(cs)}")
    elif wa.dtype.kind not in "iu":
        raise TypeError(f"lax.select_n: which must be bool or integer, got {wa.str_short()}")
    if len(cs) == 1:
        return cast(Array, cs[0])
    w = jnp.broadcast_to(w, c0.shape)
    if wa.dtype.kind == "b":
        result: Array = ew.select_p.bind(w, cs[1], cs[0])
        return result
    out = cs[0]
    for i, c in enumerate(cs[1:], start=1):
        out = ew.select_p.bind(w == jnp.full_like(w, i), c, out)
    return cast(Array, out)


# --- creation ----------------------------------------------------------------------------


def iota(dtype: Any, size: int) -> Array:
    """``[0, 1, ..., size - 1]`` in ``dtype`` (JAX's ``lax.iota``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> iota(jnp.int32, 3).tolist()
        [0, 1, 2]
    """
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0:
        raise ValueError(f"lax.iota: size must be a non-negative int, got {size!r}")
    return jnp.arange(int(size), dtype=dtypes.canonicalize(dtype))


def broadcasted_iota(dtype: Any, shape: Sequence[int], dimension: int) -> Array:
    """An array of ``shape`` counting along ``dimension`` (JAX's ``lax.broadcasted_iota``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> broadcasted_iota(jnp.int32, (2, 3), 1).tolist()
        [[0, 1, 2], [0, 1, 2]]
    """
    shp = _tuple("broadcasted_iota", "shape", shape)
    if not 0 <= dimension < len(shp):
        raise ValueError(f"lax.broadcasted_iota: dimension {dimension} out of range for shape {shp}")
    return broadcast_in_dim(iota(dtype, shp[dimension]), shp, (dimension,))


def full(shape: Sequence[int], fill_value: Any, dtype: Any = None) -> Array:
    """An array of ``shape`` filled with the scalar ``fill_value`` (JAX's ``lax.full``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> full((2,), 3, jnp.float32).tolist()
        [3.0, 3.0]
    """
    if get_aval(jnp.asarray(fill_value)).shape != ():
        raise TypeError(f"lax.full: fill_value must be a scalar, got shape {get_aval(jnp.asarray(fill_value)).shape}")
    return jnp.full(_tuple("full", "shape", shape), fill_value, dtype)


def full_like(x: Any, fill_value: Any, dtype: Any = None, shape: Sequence[int] | None = None) -> Array:
    """An array like ``x`` (its shape and dtype unless given) filled with
    ``fill_value`` (JAX's ``lax.full_like``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> full_like(jnp.zeros((2,), dtype=jnp.int32), 7).tolist()
        [7, 7]
    """
    aval = get_aval(jnp.asarray(x))
    shp = aval.shape if shape is None else _tuple("full_like", "shape", shape)
    return full(shp, fill_value, aval.dtype if dtype is None else dtype)


def zeros_like_array(x: Any) -> Array:
    """Zeros of ``x``'s shape and dtype (JAX's ``lax.zeros_like_array``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> zeros_like_array(jnp.ones(2)).tolist()
        [0.0, 0.0]
    """
    return full_like(x, 0)


# --- contractions ------------------------------------------------------------------------


def dot_general(lhs: Any, rhs: Any, dimension_numbers: Any, precision: Any = None,
                preferred_element_type: Any = None, out_sharding: Any = None) -> Array:
    """The general contraction (JAX's ``lax.dot_general``):
    ``dimension_numbers = ((lhs_contracting, rhs_contracting), (lhs_batch,
    rhs_batch))``; output axes are batch, lhs free, rhs free.  Operands of
    different dtypes are promoted; ``preferred_element_type`` sets the result
    dtype (e.g. int8 operands accumulated in int32).  ``precision`` is
    accepted and ignored (CPU arithmetic is exact to the dtype).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> a, b = jnp.ones((5, 2, 3)), jnp.ones((5, 3, 4))
        >>> dot_general(a, b, (((2,), (1,)), ((0,), (0,)))).shape
        (5, 2, 4)
    """
    del precision, out_sharding
    a, b = jnp.asarray(lhs), jnp.asarray(rhs)
    try:
        (lc, rc), (lb, rb) = dimension_numbers
        dn = ((tuple(int(i) for i in lc), tuple(int(i) for i in rc)),
              (tuple(int(i) for i in lb), tuple(int(i) for i in rb)))
    except (TypeError, ValueError):
        raise TypeError("lax.dot_general: dimension_numbers must be ((lhs_contracting, rhs_contracting), "
                        f"(lhs_batch, rhs_batch)), got {dimension_numbers!r}") from None
    ad, bd = get_aval(a).dtype, get_aval(b).dtype
    if ad != bd:
        common = dtypes.promote_types(ad, bd)
        a = ew.convert_element_type_p.bind(a, new_dtype=common, weak_type=False) if ad != common else a
        b = ew.convert_element_type_p.bind(b, new_dtype=common, weak_type=False) if bd != common else b
    pet = None if preferred_element_type is None else dtypes.requested(preferred_element_type, "lax.dot_general")
    if pet is not None and pet == get_aval(a).dtype:
        pet = None
    if pet is not None and pet.kind != get_aval(a).dtype.kind and dtypes.promote_types(get_aval(a).dtype, pet) != pet:
        raise TypeError(f"lax.dot_general: preferred_element_type {pet} cannot hold a product of "
                        f"{get_aval(a).dtype} operands")
    if pet is not None and (pet.kind == "c") != (get_aval(a).dtype.kind == "c"):
        raise TypeError(f"lax.dot_general: preferred_element_type {pet} mixes real and complex with "
                        f"{get_aval(a).dtype} operands")
    if pet is None:
        out: Array = ol.dot_general_p.bind(a, b, dimension_numbers=dn)
        return out
    out = ol.dot_general_p.bind(a, b, dimension_numbers=dn, preferred_element_type=pet)
    return out


def dot(lhs: Any, rhs: Any, precision: Any = None, preferred_element_type: Any = None,
        out_sharding: Any = None) -> Array:
    """Vector/matrix products (JAX's ``lax.dot``): 1-D . 1-D, 2-D . 1-D, 2-D . 2-D,
    contracting lhs's last axis with rhs's first.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> dot(jnp.ones((2, 3)), jnp.ones(3)).tolist()
        [3.0, 3.0]
    """
    a, b = jnp.asarray(lhs), jnp.asarray(rhs)
    an, bn = get_aval(a).ndim, get_aval(b).ndim
    if an not in (1, 2) or bn not in (1, 2):
        raise TypeError(f"lax.dot: needs 1-D or 2-D operands, got {get_aval(a).str_short()} and "
                        f"{get_aval(b).str_short()}; use lax.dot_general or jnp.matmul")
    return dot_general(a, b, (((an - 1,), (0,)), ((), ())), precision, preferred_element_type, out_sharding)
