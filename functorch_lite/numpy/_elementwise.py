"""Elementwise functions of ``functorch_lite.numpy`` (NumPy names and rules)."""

from __future__ import annotations

import builtins
import math
import operator
from collections.abc import Callable
from typing import Any, Protocol, cast, overload

import numpy as np

from functorch_lite import dtypes
from functorch_lite.array import Array
from functorch_lite.core import Primitive, ShapedArray, Tracer, eager_only
from functorch_lite.numpy._util import (
    ArrayOrTracer,
    asarray,
    broadcast_shapes,
    broadcast_to_shape,
    convert,
    promote_args,
    promote_to_float,
    scalar_operand,
)
from functorch_lite.ops import _rules
from functorch_lite.ops import elementwise as ew
from functorch_lite.ops.kernels import buffer_pool

__all__ = [
    "add", "subtract", "multiply", "divide", "true_divide", "floor_divide", "remainder",
    "mod", "fmod", "power", "pow", "negative", "positive", "abs", "absolute", "sign", "exp",
    "exp2", "expm1", "log", "log1p", "log2", "log10", "sqrt", "cbrt", "square",
    "reciprocal", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "asin", "acos", "atan",
    "arctan2", "atan2", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "asinh",
    "acosh", "atanh", "floor", "ceil", "round", "around", "rint", "trunc", "fix", "clip",
    "maximum", "minimum", "fmax", "fmin", "where", "isnan", "isinf", "isfinite",
    "isposinf", "isneginf", "logaddexp", "logaddexp2", "equal", "not_equal", "less",
    "less_equal", "greater", "greater_equal", "logical_and", "logical_or", "logical_xor",
    "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "invert",
    "bitwise_invert", "left_shift", "right_shift", "bitwise_left_shift",
    "bitwise_right_shift", "isclose", "hypot", "deg2rad",
    "rad2deg", "degrees", "radians", "nan_to_num", "signbit", "copysign", "sinc",
    "heaviside", "float_power", "divmod", "nextafter",
    "real", "imag", "conjugate", "conj", "angle", "iscomplex", "isreal", "iscomplexobj", "isrealobj",
]


class BinaryFunction(Protocol):
    """An elementwise function of two operands (``add``, ``less``...)."""

    def __call__(self, x: Any, y: Any) -> Array: ...


class UnaryFunction(Protocol):
    """An elementwise function of one operand (``exp``, ``floor``, ``isnan``...)."""

    def __call__(self, x: Any) -> Array: ...


_wrap = Array._wrap
_POOL_MIN = buffer_pool.POOL_MIN_BYTES  # larger results come from the pool, through the impl


def _binary(prim: Primitive, name: str, doc: str) -> BinaryFunction:
    """``name(x, y)``: ``prim`` after NumPy's promotion and broadcasting.

    A factory, not a shared helper that each function calls: this body is the
    eager path of ``a + b``, ``a * b`` and comparisons, and a helper would add
    a Python call to each.
    """

    impl = prim.impl
    uf, kinds, same = ew.DIRECT_UFUNCS.get(prim, (None, "", False))

    def f(x: Any, y: Any) -> Array:
        tx = type(x)
        ty = type(y)
        if tx is Array:
            if ty is Array:
                # two arrays of one dtype and shape need no promotion
                # (weak_type is always a bool: ``is`` compares it)
                dt = x._dtype
                if dt is y._dtype and x._shape == y._shape and x.weak_type is y.weak_type:
                    if eager_only():  # plain Arrays: what bind would do, minus its dispatch
                        xn = x._np
                        yn = y._np
                        if (uf is not None and xn is not None and yn is not None and xn.nbytes < _POOL_MIN
                                and dt.kind in kinds):
                            # small operands: the ufunc itself, as the impl would call it
                            r = uf(xn, yn)
                            if type(r) is not np.ndarray:
                                r = np.asarray(r)
                            if same:
                                if r.dtype is not dt and r.dtype != dt:
                                    r = r.astype(dt)
                                return _wrap(r, x.weak_type)
                            return _wrap(r, False)
                        out: Array = impl(x, y)  # type: ignore[misc]
                        return out
                    out = prim.bind(x, y)
                    return out
            elif ty is float or ty is int:
                s = scalar_operand(y, x)
                if s is not None:
                    out = prim.bind(x, s)
                    return out
        elif tx is float or tx is int:
            if ty is Array:
                s = scalar_operand(x, y)
                if s is not None:
                    out = prim.bind(s, y)
                    return out
        a, b = promote_args(name, x, y)
        out = prim.bind(a, b)
        return out

    f.__name__ = name
    f.__qualname__ = name
    f.__doc__ = doc
    return f


def _eager_pair(x: Any, y: Any, kinds: str) -> bool:
    """Whether ``x`` and ``y`` are plain Arrays of one dtype (of a kind in
    ``kinds``), shape and weak type, with no transform active: there is
    nothing to promote or broadcast, and bind would call the ``impl``."""
    return (type(x) is Array and type(y) is Array and x._dtype is y._dtype and x._dtype.kind in kinds
            and x._shape == y._shape and x.weak_type == y.weak_type and eager_only())


def _float_un(prim: Primitive, x: Any) -> Any:
    x = asarray(x)
    if x.dtype.kind not in "fc":
        x = convert(x, dtypes.default_float_dtype(), x.weak_type)
    return prim.bind(x)


add = _binary(ew.add_p, "add", """Elementwise ``x + y`` with broadcasting and promotion.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.add(jnp.arange(3), 1).tolist()
        [1, 2, 3]
    """)


def subtract(x: Any, y: Any) -> Array:
    """Elementwise ``x - y``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.subtract(3.0, jnp.ones(2)).tolist()
        [2.0, 2.0]
    """
    if _eager_pair(x, y, "iuf"):
        out: Array = ew.sub_p.impl(x, y)  # type: ignore[misc]
        return out
    a, b = promote_args("subtract", x, y)
    if a.dtype.kind == "b":
        raise TypeError("subtract: boolean subtraction is not supported; use logical_xor")
    out = ew.sub_p.bind(a, b)
    return out


multiply = _binary(ew.mul_p, "multiply", """Elementwise ``x * y``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.multiply(jnp.arange(3), 2).tolist()
        [0, 2, 4]
    """)


def true_divide(x: Any, y: Any) -> Array:
    """Elementwise ``x / y``; integers divide as floats.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.true_divide(jnp.arange(3), 2).tolist()
        [0.0, 0.5, 1.0]
    """
    if _eager_pair(x, y, "f"):
        out: Array = ew.div_p.impl(x, y)  # type: ignore[misc]
        return out
    a, b = promote_to_float("true_divide", x, y)
    out = ew.div_p.bind(a, b)
    return out


divide = true_divide


def _real_only(name: str, *xs: ArrayOrTracer, hint: str = "") -> None:
    """Refuse complex operands of a function that NumPy defines on real numbers only
    (an order, a sign bit, a floor), before a primitive gives a less direct message."""
    for v in xs:
        if v.dtype.kind == "c":
            raise TypeError(
                f"{name}: complex numbers are not supported (got {v.dtype}{list(v.shape)}), as in NumPy; "
                + (hint or "apply it to jnp.real(x) and jnp.imag(x) separately, or to jnp.abs(x)")
            )


def floor_divide(x: Any, y: Any) -> Array:
    """Elementwise ``x // y`` (integer division by zero gives 0).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.floor_divide(jnp.array([7, -7]), 2).tolist()
        [3, -4]
    """
    a, b = promote_args("floor_divide", x, y)
    _real_only("floor_divide", a)
    if a.dtype.kind == "b":
        a, b = convert(a, dtypes.int8), convert(b, dtypes.int8)
    out: Array = ew.floor_divide_p.bind(a, b)
    return out


def remainder(x: Any, y: Any) -> Array:
    """Elementwise remainder with the sign of the divisor (NumPy's ``%``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.remainder(jnp.array([7, -7]), 3).tolist()
        [1, 2]
    """
    a, b = promote_args("remainder", x, y)
    _real_only("remainder", a)
    if a.dtype.kind == "b":
        a, b = convert(a, dtypes.int8), convert(b, dtypes.int8)
    out: Array = ew.rem_p.bind(a, b)
    return out


mod = remainder


def fmod(x: Any, y: Any) -> Array:
    """Remainder with the sign of the dividend (C's ``fmod``, NumPy's ``np.fmod``).

    Exact for every pair of floats, as C's ``fmod``: ``fmod(5.0, inf)`` is
    ``5.0``, ``fmod(-5.0, 1e300)`` is ``-5.0``, a zero result has the sign of
    the dividend and a zero divisor gives nan.  Integer division by zero gives
    0, as in NumPy.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.fmod(jnp.array([-7]), 3).tolist()
        [-1]
        >>> jnp.fmod(jnp.array([-5.0, 5.0]), jnp.inf).tolist()
        [-5.0, 5.0]
    """
    a, b = promote_args("fmod", x, y)
    _real_only("fmod", a)
    if a.dtype.kind == "f":
        # On non-negative operands remainder *is* fmod (no sign fix-up, which would
        # round: -5 % 1e300 is 1e300 - 5 == 1e300), so divide the magnitudes and put
        # the dividend's sign back.  Flipping with where (not abs) keeps d/da == 1 at a == 0.
        neg = ew.signbit_p.bind(a)
        mag = ew.rem_p.bind(where(neg, negative(a), a), abs(b))
        return where(neg, negative(mag), mag)
    r = remainder(a, b)
    fix = logical_and(not_equal(r, 0), not_equal(sign(r), sign(a)))
    return where(fix, subtract(r, b), r)


def divmod(x: Any, y: Any) -> tuple[Array, Array]:  # noqa: A001
    """``(x // y, x % y)``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> [a.tolist() for a in jnp.divmod(jnp.array([7]), 2)]
        [[3], [1]]
    """
    return floor_divide(x, y), remainder(x, y)


def power(x: Any, y: Any) -> Array:
    """Elementwise ``x ** y``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.power(jnp.arange(4), 2).tolist()
        [0, 1, 4, 9]
    """
    a, b = promote_args("power", x, y)
    if a.dtype.kind == "b":
        a, b = convert(a, dtypes.int8), convert(b, dtypes.int8)
    out: Array = ew.pow_p.bind(a, b)
    return out


pow = power  # noqa: A001


def float_power(x: Any, y: Any) -> Array:
    """Power computed in float64.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.float_power(2, jnp.array([3])).dtype
        dtype('float64')
    """
    a, b = promote_args("float_power", x, y)
    wide = dtypes.complex128 if a.dtype.kind == "c" else dtypes.float64  # complex stays complex, as NumPy
    return power(convert(a, wide), convert(b, wide))


def negative(x: Any) -> Array:
    """Elementwise ``-x``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.negative(jnp.arange(2)).tolist()
        [0, -1]
    """
    x = asarray(x)
    if x.dtype.kind == "b":
        raise TypeError("negative: boolean negation is not supported; use logical_not (~)")
    out: Array = ew.neg_p.bind(x)
    return out


def positive(x: Any) -> Array:
    """Elementwise ``+x`` (returns the same values).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.positive(jnp.arange(2)).tolist()
        [0, 1]
    """
    return cast(Array, asarray(x))


def abs(x: Any) -> Array:  # noqa: A001
    """Elementwise absolute value.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.abs(jnp.array([-2, 3])).tolist()
        [2, 3]
    """
    x = asarray(x)
    if x.dtype.kind in "bu":
        out: Array = x
        return out
    out = ew.abs_p.bind(x)
    return out


absolute = abs


def sign(x: Any) -> Array:
    """Elementwise sign (-1, 0 or 1; nan for nan).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.sign(jnp.array([-2.0, 0.0, 3.0])).tolist()
        [-1.0, 0.0, 1.0]
    """
    x = asarray(x)
    if x.dtype.kind == "b":
        out: Array = x
        return out
    out = ew.sign_p.bind(x)
    return out


def _make_float_unary(prim: Primitive, name: str, np_name: str) -> UnaryFunction:
    impl = prim.impl
    uf, kinds, same = ew.DIRECT_UFUNCS.get(prim, (None, "", False))
    direct = uf is not None and same and "f" in kinds and "c" in kinds

    def f(x: Any) -> Array:
        if type(x) is Array and x._dtype.kind in "fc" and eager_only():
            # a plain float Array, no transform active: what bind would call, minus its dispatch
            xn = x._np
            if direct and xn is not None and xn.nbytes < _POOL_MIN:
                # a small operand: the ufunc itself, as the impl would call it
                r = uf(xn)  # type: ignore[misc]
                if type(r) is not np.ndarray:
                    r = np.asarray(r)
                return _wrap(r, x.weak_type)
            fast: Array = impl(x)  # type: ignore[misc]
            return fast
        out: Array = _float_un(prim, x)
        return out

    f.__name__ = name
    f.__qualname__ = name
    f.__doc__ = (
        f"Elementwise ``{np_name}``; integer and boolean inputs become the default float.\n\n"
        "Example:\n"
        "    >>> import functorch_lite.numpy as jnp\n"
        f"    >>> jnp.{name}(jnp.array([0.5])).shape\n"
        "    (1,)\n"
    )
    return f


exp = _make_float_unary(ew.exp_p, "exp", "exp")
exp2 = _make_float_unary(ew.exp2_p, "exp2", "exp2")
expm1 = _make_float_unary(ew.expm1_p, "expm1", "expm1")
log = _make_float_unary(ew.log_p, "log", "log")
log1p = _make_float_unary(ew.log1p_p, "log1p", "log1p")
log2 = _make_float_unary(ew.log2_p, "log2", "log2")
log10 = _make_float_unary(ew.log10_p, "log10", "log10")
sqrt = _make_float_unary(ew.sqrt_p, "sqrt", "sqrt")
cbrt = _make_float_unary(ew.cbrt_p, "cbrt", "cbrt")
sin = _make_float_unary(ew.sin_p, "sin", "sin")
cos = _make_float_unary(ew.cos_p, "cos", "cos")
tan = _make_float_unary(ew.tan_p, "tan", "tan")
arcsin = asin = _make_float_unary(ew.asin_p, "arcsin", "arcsin")
arccos = acos = _make_float_unary(ew.acos_p, "arccos", "arccos")
arctan = atan = _make_float_unary(ew.atan_p, "arctan", "arctan")
sinh = _make_float_unary(ew.sinh_p, "sinh", "sinh")
cosh = _make_float_unary(ew.cosh_p, "cosh", "cosh")
tanh = _make_float_unary(ew.tanh_p, "tanh", "tanh")
arcsinh = asinh = _make_float_unary(ew.asinh_p, "arcsinh", "arcsinh")
arccosh = acosh = _make_float_unary(ew.acosh_p, "arccosh", "arccosh")
arctanh = atanh = _make_float_unary(ew.atanh_p, "arctanh", "arctanh")


def square(x: Any) -> Array:
    """Elementwise ``x * x``, in x's dtype; booleans square to int8, as in
    NumPy (JAX gives its default int; ``square`` then agrees with
    ``jnp.power(x, 2)``, which also computes booleans in int8).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.square(jnp.array([3])).tolist()
        [9]
        >>> jnp.square(jnp.array([True, False])).dtype
        dtype('int8')
    """
    x = asarray(x)
    if x.dtype.kind == "b":
        x = convert(x, dtypes.int8)
    out: Array = ew.mul_p.bind(x, x)
    return out


def reciprocal(x: Any) -> Array:
    """Elementwise ``1 / x`` (integers become floats).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.reciprocal(jnp.array([2.0])).tolist()
        [0.5]
    """
    return true_divide(1.0, x)


def arctan2(y: Any, x: Any) -> Array:
    """Elementwise angle of the point ``(x, y)``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> f"{float(jnp.arctan2(1.0, 1.0)):.4f}"
        '0.7854'
    """
    a, b = promote_to_float("arctan2", y, x)
    _real_only("arctan2", a, hint="for the argument of a complex number use jnp.angle(z)")
    out: Array = ew.atan2_p.bind(a, b)
    return out


atan2 = arctan2


def hypot(x: Any, y: Any) -> Array:
    """Elementwise ``sqrt(x**2 + y**2)`` without intermediate overflow
    (``hypot(inf, nan)`` is ``inf``, as in C and NumPy).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> float(jnp.hypot(3.0, 4.0))
        5.0
    """
    a, b = promote_to_float("hypot", x, y)
    _real_only("hypot", a)
    a, b = abs(a), abs(b)
    hi, lo = maximum(a, b), minimum(a, b)
    safe = where(equal(hi, 0), 1.0, hi)
    r = multiply(hi, sqrt(add(1.0, square(true_divide(lo, safe)))))
    # an infinite leg makes the hypotenuse infinite even beside a nan (C99, NumPy)
    return where(logical_or(isinf(a), isinf(b)), np.inf, r)


def _rounding(prim: Primitive, name: str) -> UnaryFunction:
    def f(x: Any) -> Array:
        x = asarray(x)
        _real_only(name, x, hint="round the parts: jnp.round(x) rounds both, as NumPy")
        if x.dtype.kind != "f":
            out: Array = x
            return out
        out = prim.bind(x)
        return out

    f.__name__ = name
    f.__qualname__ = name
    f.__doc__ = (
        f"Elementwise {name}; integer inputs are returned unchanged.\n\n"
        "Example:\n"
        "    >>> import functorch_lite.numpy as jnp\n"
        f"    >>> jnp.{name}(jnp.array([1.5])).shape\n"
        "    (1,)\n"
    )
    return f


floor = _rounding(ew.floor_p, "floor")
ceil = _rounding(ew.ceil_p, "ceil")
trunc = _rounding(ew.trunc_p, "trunc")
fix = trunc


def rint(x: Any) -> Array:
    """Round to the nearest integer, half to even.

    Integer and boolean inputs become the default float dtype, as in JAX
    (NumPy picks a float wide enough for them: float16 to float64).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.rint(jnp.array([0.5, 1.5, -2.5])).tolist()
        [0.0, 2.0, -2.0]
        >>> jnp.rint(jnp.array([3])).dtype
        dtype('float32')
    """
    x = asarray(x)
    if x.dtype.kind == "c":
        out: Array = _complex_parts(rint, x)
        return out
    out = _float_un(ew.round_p, x)
    return out


def _complex_parts(f: Callable[[Any], Any], z: ArrayOrTracer) -> Any:
    """``f`` applied to the real and imaginary parts of ``z`` separately."""
    return ew.complex_p.bind(f(ew.real_p.bind(z)), f(ew.imag_p.bind(z)))


def round(x: Any, decimals: int = 0) -> Array:  # noqa: A001
    """Round half to even, to ``decimals`` places (NumPy's ``round``).

    Floats keep their dtype and follow NumPy's algorithm (scale by
    ``10**decimals``, ``rint``, scale back), except where NumPy and JAX give
    inf or nan for a finite input: when ``x * 10**decimals`` overflows, or
    ``10**|decimals|`` is beyond the dtype, ``x`` has no digits that far right
    and is returned as is (that far left, every finite value rounds to 0).

    Integers keep their dtype; with ``decimals < 0`` they round half to even
    exactly, in integer arithmetic (NumPy goes through float64, which is
    inexact beyond 2**53; JAX refuses).  A result outside the dtype wraps
    around, as integer ``+`` and ``*`` do (``round(int8(127), -1)`` is
    ``130 - 256 == -126``, as in NumPy).  Booleans become the default float
    (NumPy: float16).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.round(jnp.array([0.5, 1.5, 2.5])).tolist()
        [0.0, 2.0, 2.0]
        >>> jnp.round(jnp.array([15, 25, -15, 250]), -1).tolist()
        [20, 20, -20, 250]
    """
    try:
        d = operator.index(decimals)
    except TypeError:
        raise TypeError(f"round: decimals must be an integer, got {type(decimals).__name__}") from None
    x = asarray(x)
    kind = x.dtype.kind
    if kind == "c":  # both parts, as NumPy and JAX
        out: Array = _complex_parts(lambda part: round(part, d), x)
        return out
    if kind in "iu":
        out = x if d >= 0 else _round_int(x, -d)
        return out
    if kind == "b":
        x = convert(x, dtypes.default_float_dtype(), x.weak_type)
    if d == 0:
        out = ew.round_p.bind(x)
        return out
    # 10**|d| exactly, as a Python int; past 10**400 it is beyond every float (and
    # computing 10**(10**9) would take minutes)
    scale = 10 ** min(builtins.abs(d), 400)
    # the overflows below are expected and replaced: no warning for them
    with np.errstate(over="ignore", invalid="ignore"):
        if scale > float(np.finfo(x.dtype).max):
            big: Array = x if d > 0 else where(isfinite(x), multiply(x, 0.0), x)
            return big
        f = float(scale)
        if d > 0:
            y = multiply(x, f)
            return where(isinf(y), x, true_divide(ew.round_p.bind(y), f))
        out = multiply(ew.round_p.bind(true_divide(x, f)), f)
        return out


def _round_int(x: ArrayOrTracer, d: int) -> Any:
    """Integers rounded half to even to a multiple of ``10**d`` (``d > 0``)
    with no intermediate overflow: quotient and remainder are exact."""
    info = np.iinfo(x.dtype)
    f = 10 ** min(d, 40)  # 10**40 already exceeds twice every integer dtype's range
    if f >= 2 * max(-int(info.min), int(info.max)):
        return multiply(x, 0)  # every |x| <= f/2, and a tie goes to the even quotient, 0
    half = f // 2
    if f > info.max:
        # 10**d itself does not fit (int64, d == 19): the quotient is -1, 0 or 1
        bits = 8 * x.dtype.itemsize
        wrapped = ((f + 2 ** (bits - 1)) % 2**bits) - 2 ** (bits - 1)
        up = _rules.full_like(x, wrapped)
        down = _rules.full_like(x, -wrapped if wrapped != info.min else info.min)
        return where(greater(x, half), up, where(less(x, -half), down, _rules.full_like(x, 0)))
    q = floor_divide(x, f)
    r = subtract(x, multiply(q, f))  # in [0, f): exact, although q * f may wrap
    odd = equal(bitwise_and(q, 1), 1)
    up = logical_or(greater(r, half), logical_and(equal(r, half), odd))
    return multiply(where(up, add(q, 1), q), f)


around = round


_maximum_real = _binary(ew.max_p, "maximum", "maximum of real operands (the factory's fast paths)")
_minimum_real = _binary(ew.min_p, "minimum", "minimum of real operands (the factory's fast paths)")


_NOT_COMPLEX = (float, int, bool)


def _maybe_complex(x: Any, y: Any) -> bool:
    """Whether ``x`` or ``y`` may be complex: cheap for Arrays and Python
    scalars (the common cases); lists and tuples are looked at later."""
    tx, ty = type(x), type(y)
    if tx is Array:
        if x._dtype.kind == "c":
            return True
        if ty is Array or ty in _NOT_COMPLEX:
            return bool(ty is Array and y._dtype.kind == "c")
    for v in (x, y):
        t = type(v)
        if t is complex or t is list or t is tuple:
            return True
        dt = getattr(v, "dtype", None)
        if dt is not None and dt.kind == "c":
            return True
    return False


def _lexicographic(name: str, x: Any, y: Any, upper: bool, nan_wins: bool) -> Any:
    """``maximum``/``minimum`` (``nan_wins``) and ``fmax``/``fmin`` of complex
    numbers by NumPy's loops: compare (real, imag) lexicographically; a NaN
    (either part) wins in maximum/minimum and loses in fmax/fmin; on ties the
    first operand is kept.  Real operands go to the real primitive."""
    a, b = promote_args(name, x, y)
    if a.dtype.kind != "c":
        prim = ew.max_p if upper else ew.min_p
        return prim.bind(a, b) if nan_wins else (fmax if upper else fmin)(a, b)
    ar, ai, br, bi = ew.real_p.bind(a), ew.imag_p.bind(a), ew.real_p.bind(b), ew.imag_p.bind(b)
    beyond = ew.gt_p.bind(ar, br) if upper else ew.lt_p.bind(ar, br)
    part_ok = logical_not(logical_or(ew.isnan_p.bind(ai), ew.isnan_p.bind(bi)))
    tie = logical_and(ew.eq_p.bind(ar, br), ew.ge_p.bind(ai, bi) if upper else ew.le_p.bind(ai, bi))
    keep_a = logical_or(logical_and(beyond, part_ok), tie)
    keep_a = logical_or(keep_a, isnan(a) if nan_wins else isnan(b))
    return where(keep_a, a, b)


def maximum(x: Any, y: Any) -> Array:
    """Elementwise maximum (nan wins, as in NumPy); complex numbers compare
    lexicographically (real part, then imaginary part), as NumPy and JAX.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.maximum(jnp.array([1, 5]), 3).tolist()
        [3, 5]
        >>> jnp.maximum(jnp.array([1 + 2j]), 1 + 3j).tolist()
        [(1+3j)]
    """
    if _maybe_complex(x, y):
        out: Array = _lexicographic("maximum", x, y, True, True)
        return out
    out = _maximum_real(x, y)
    return out


def minimum(x: Any, y: Any) -> Array:
    """Elementwise minimum (nan wins, as in NumPy); complex numbers compare
    lexicographically, as NumPy and JAX.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.minimum(jnp.array([1, 5]), 3).tolist()
        [1, 3]
    """
    if _maybe_complex(x, y):
        out: Array = _lexicographic("minimum", x, y, False, True)
        return out
    out = _minimum_real(x, y)
    return out


def fmax(x: Any, y: Any) -> Array:
    """Elementwise maximum that ignores nan when the other value is a number.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.fmax(jnp.array([float("nan")]), 1.0).tolist()
        [1.0]
    """
    a, b = promote_args("fmax", x, y)
    if a.dtype.kind == "c":
        out: Array = _lexicographic("fmax", a, b, True, False)
        return out
    if a.dtype.kind != "f":
        return maximum(a, b)
    return where(isnan(a), b, where(isnan(b), a, maximum(a, b)))


def fmin(x: Any, y: Any) -> Array:
    """Elementwise minimum that ignores nan when the other value is a number.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.fmin(jnp.array([float("nan")]), 1.0).tolist()
        [1.0]
    """
    a, b = promote_args("fmin", x, y)
    if a.dtype.kind == "c":
        out: Array = _lexicographic("fmin", a, b, False, False)
        return out
    if a.dtype.kind != "f":
        return minimum(a, b)
    return where(isnan(a), b, where(isnan(b), a, minimum(a, b)))


def clip(x: Any, min: Any = None, max: Any = None, *, a_min: Any = None, a_max: Any = None) -> Array:  # noqa: A002
    """Limit values to ``[min, max]`` (either bound may be None).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.clip(jnp.arange(5), 1, 3).tolist()
        [1, 1, 2, 3, 3]
    """
    lo = min if min is not None else a_min
    hi = max if max is not None else a_max
    out = asarray(x)
    bounds = [asarray(v) for v in (lo, hi) if v is not None and type(v) not in _NOT_COMPLEX]
    _real_only("clip", out, *bounds,
               hint="complex numbers have no order (Array API; JAX refuses too); clip jnp.abs(x) or the parts")
    if lo is not None:
        out = maximum(out, lo)
    if hi is not None:
        out = minimum(out, hi)
    return cast(Array, out)


@overload
def where(condition: Any, x: None = None, y: None = None) -> tuple[Array, ...]: ...
@overload
def where(condition: Any, x: Any, y: Any) -> Array: ...
def where(condition: Any, x: Any = None, y: Any = None) -> Array | tuple[Array, ...]:
    """Pick ``x`` where ``condition`` holds, else ``y`` (broadcast together).

    ``where(condition)`` alone returns the indices of nonzero elements, like
    ``jnp.nonzero`` (concrete inputs only).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.where(jnp.arange(4) > 1, 1.0, 0.0).tolist()
        [0.0, 0.0, 1.0, 1.0]
    """
    if x is None and y is None:
        return concrete_nonzero(condition)
    if x is None or y is None:
        raise ValueError("where needs both x and y, or neither")
    c = asarray(condition)
    if c.dtype.kind != "b":
        c = not_equal(c, 0)
    a, b = promote_args("where", x, y)
    c, a, b = promote_args_keep_dtype(c, a, b)
    out: Array = ew.select_p.bind(c, a, b)
    return out


def concrete_nonzero(a: Any) -> tuple[Array, ...]:
    """Indices of the nonzero elements of a concrete array, one per axis:
    ``where(a)`` and ``nonzero(a)`` without ``size``.  Int32 (int64 for 2**31
    elements or more); a 0-d or traced array raises.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> [i.tolist() for i in concrete_nonzero(jnp.array([[0, 1], [1, 1]]))]
        [[0, 1, 1], [1, 0, 1]]
    """
    x = asarray(a)
    if x.ndim == 0:
        raise ValueError(
            "nonzero of a 0-d array is not defined (as in NumPy 2); use jnp.atleast_1d(a) "
            "to treat it as a 1-element array"
        )
    if isinstance(x, Tracer):
        raise TypeError(
            "nonzero of a traced value has a data-dependent shape; pass size=... or use "
            "jnp.where(cond, x, y)"
        )
    idt = np.dtype(np.int32) if x.size < 2**31 else np.dtype(np.int64)
    return tuple(Array._wrap(r.astype(idt)) for r in np.nonzero(x._numpy()))


def promote_args_keep_dtype(*xs: ArrayOrTracer) -> list[ArrayOrTracer]:
    """Broadcast to one shape without changing dtypes."""

    shapes = [x.shape for x in xs]
    if all(s == shapes[0] for s in shapes):
        return list(xs)
    shape = broadcast_shapes(*shapes, name="where")
    return [broadcast_to_shape(x, shape) for x in xs]


def _float_pred(prim: Primitive, name: str, int_value: bool) -> UnaryFunction:
    def f(x: Any) -> Array:
        x = asarray(x)
        if x.dtype.kind not in "fc":
            return Array._wrap(np.full(x.shape, int_value, dtypes.bool_))  # never nan or inf
        out: Array = prim.bind(x)
        return out

    f.__name__ = name
    f.__qualname__ = name
    f.__doc__ = (
        f"Elementwise ``{name}`` test, giving a boolean array.\n\n"
        "Example:\n"
        "    >>> import functorch_lite.numpy as jnp\n"
        f"    >>> jnp.{name}(jnp.array([1.0])).dtype\n"
        "    dtype('bool')\n"
    )
    return f


isnan = _float_pred(ew.isnan_p, "isnan", False)
isinf = _float_pred(ew.isinf_p, "isinf", False)
isfinite = _float_pred(ew.isfinite_p, "isfinite", True)


def isposinf(x: Any) -> Array:
    """Elementwise ``x == +inf``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.isposinf(jnp.array([float("inf"), 1.0])).tolist()
        [True, False]
    """
    x = asarray(x)
    _real_only("isposinf", x, hint="a complex infinity has no sign; use jnp.isinf(x), or test the parts")
    return logical_and(isinf(x), greater(x, 0))


def isneginf(x: Any) -> Array:
    """Elementwise ``x == -inf``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.isneginf(jnp.array([-float("inf"), 1.0])).tolist()
        [True, False]
    """
    x = asarray(x)
    _real_only("isneginf", x, hint="a complex infinity has no sign; use jnp.isinf(x), or test the parts")
    return logical_and(isinf(x), less(x, 0))


def signbit(x: Any) -> Array:
    """Whether the sign bit is set (true for -0.0 and for a nan with its sign
    bit set, as in NumPy).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.signbit(jnp.array([-0.0, 1.0, -jnp.nan])).tolist()
        [True, False, True]
    """
    x = asarray(x)
    _real_only("signbit", x, hint="a complex number has two sign bits: test jnp.real(x) and jnp.imag(x)")
    if x.dtype.kind != "f":
        out: Array = less(x, 0)
        return out
    out = ew.signbit_p.bind(x)
    return out


def copysign(x: Any, y: Any) -> Array:
    """Magnitude of ``x`` with the sign bit of ``y`` (including -0.0 and -nan).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.copysign(2.0, jnp.array([-1.0])).tolist()
        [-2.0]
    """
    a, b = promote_to_float("copysign", x, y)
    _real_only("copysign", a)
    mag = abs(a)
    return where(ew.signbit_p.bind(b), negative(mag), mag)


def logaddexp(x: Any, y: Any) -> Array:
    """``log(exp(x) + exp(y))`` without overflow.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> f"{float(jnp.logaddexp(1000.0, 1000.0)):.3f}"
        '1000.693'
    """
    a, b = promote_to_float("logaddexp", x, y)
    _real_only("logaddexp", a, hint="use jnp.log(jnp.exp(x) + jnp.exp(y)) (JAX accepts complex here, NumPy does not)")
    amax = maximum(a, b)
    delta = subtract(a, b)
    stable = add(amax, log1p(exp(negative(abs(delta)))))
    out: Array = where(isnan(delta), add(a, b), stable)
    return out


def logaddexp2(x: Any, y: Any) -> Array:
    """``log2(2**x + 2**y)`` without overflow.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> float(jnp.logaddexp2(1.0, 1.0))
        2.0
    """
    a, b = promote_to_float("logaddexp2", x, y)
    _real_only("logaddexp2", a, hint="use jnp.log2(2**x + 2**y) (JAX accepts complex here, NumPy does not)")
    ln2 = math.log(2.0)
    return true_divide(logaddexp(multiply(a, ln2), multiply(b, ln2)), ln2)


def _cmp(prim: Primitive, name: str) -> BinaryFunction:
    return _binary(prim, name, (
        f"Elementwise comparison ``{name}``, giving a boolean array.\n\n"
        "Example:\n"
        "    >>> import functorch_lite.numpy as jnp\n"
        f"    >>> jnp.{name}(jnp.arange(3), 1).dtype\n"
        "    dtype('bool')\n"
    ))


equal = _cmp(ew.eq_p, "equal")
not_equal = _cmp(ew.ne_p, "not_equal")
less = _cmp(ew.lt_p, "less")
less_equal = _cmp(ew.le_p, "less_equal")
greater = _cmp(ew.gt_p, "greater")
greater_equal = _cmp(ew.ge_p, "greater_equal")


def _to_bool(x: Any) -> ArrayOrTracer:
    x = asarray(x)
    if x.dtype.kind == "b":
        same: ArrayOrTracer = x
        return same
    out: ArrayOrTracer = ew.ne_p.bind(*promote_args("not_equal", x, 0))
    return out


# the primitives on operands already made boolean
_logical_and = _binary(ew.and_p, "logical_and", "")
_logical_or = _binary(ew.or_p, "logical_or", "")
_logical_xor = _binary(ew.xor_p, "logical_xor", "")


def logical_and(x: Any, y: Any) -> Array:
    """Elementwise logical and (nonzero is true).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.logical_and(jnp.array([1, 0]), True).tolist()
        [True, False]
    """
    out: Array = _logical_and(_to_bool(x), _to_bool(y))
    return out


def logical_or(x: Any, y: Any) -> Array:
    """Elementwise logical or.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.logical_or(jnp.array([1, 0]), False).tolist()
        [True, False]
    """
    out: Array = _logical_or(_to_bool(x), _to_bool(y))
    return out


def logical_xor(x: Any, y: Any) -> Array:
    """Elementwise logical exclusive or.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.logical_xor(jnp.array([1, 0]), True).tolist()
        [False, True]
    """
    out: Array = _logical_xor(_to_bool(x), _to_bool(y))
    return out


def logical_not(x: Any) -> Array:
    """Elementwise logical not.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.logical_not(jnp.array([1, 0])).tolist()
        [False, True]
    """
    out: Array = ew.logical_not_p.bind(_to_bool(x))
    return out


def _bitwise(prim: Primitive, name: str) -> BinaryFunction:
    def f(x: Any, y: Any) -> Array:
        a, b = promote_args(name, x, y)
        if a.dtype.kind not in "biu":
            raise TypeError(f"{name}: needs boolean or integer arrays, got {a.dtype}")
        out: Array = prim.bind(a, b)
        return out

    f.__name__ = name
    f.__qualname__ = name
    f.__doc__ = (
        f"Elementwise ``{name}`` of integer or boolean arrays.\n\n"
        "Example:\n"
        "    >>> import functorch_lite.numpy as jnp\n"
        f"    >>> jnp.{name}(jnp.array([6]), 3).dtype\n"
        "    dtype('int32')\n"
    )
    return f


bitwise_and = _bitwise(ew.and_p, "bitwise_and")
bitwise_or = _bitwise(ew.or_p, "bitwise_or")
bitwise_xor = _bitwise(ew.xor_p, "bitwise_xor")


def _shift(prim: Primitive, name: str) -> BinaryFunction:
    def f(x: Any, y: Any) -> Array:
        a, b = promote_args(name, x, y)
        if a.dtype.kind not in "iu":
            raise TypeError(f"{name}: needs integer arrays, got {a.dtype}")
        out: Array = prim.bind(a, b)
        return out

    f.__name__ = name
    f.__qualname__ = name
    f.__doc__ = (
        f"Elementwise ``{name}`` of integer arrays.\n\n"
        "Example:\n"
        "    >>> import functorch_lite.numpy as jnp\n"
        f"    >>> jnp.{name}(jnp.array([4]), 1).shape\n"
        "    (1,)\n"
    )
    return f


left_shift = bitwise_left_shift = _shift(ew.shift_left_p, "left_shift")
right_shift = bitwise_right_shift = _shift(ew.shift_right_p, "right_shift")


def bitwise_not(x: Any) -> Array:
    """Elementwise bitwise not (logical not for booleans).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.bitwise_not(jnp.array([0])).tolist()
        [-1]
    """
    x = asarray(x)
    if x.dtype.kind == "b":
        out: Array = ew.logical_not_p.bind(x)
        return out
    if x.dtype.kind not in "iu":
        raise TypeError(f"bitwise_not: needs boolean or integer arrays, got {x.dtype}")
    out = ew.bitwise_not_p.bind(x)
    return out


invert = bitwise_invert = bitwise_not


def isclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Array:
    """Elementwise ``|a - b| <= atol + rtol * |b|`` (NumPy's ``isclose``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.isclose(jnp.array([1.0, 2.0]), 1.0).tolist()
        [True, False]
    """
    x, y = promote_args("isclose", a, b)
    if x.dtype.kind not in "fc":
        x, y = convert(x, dtypes.default_float_dtype()), convert(y, dtypes.default_float_dtype())
    both_inf = logical_and(isinf(x), equal(x, y))
    close = less_equal(abs(subtract(x, y)), add(atol, multiply(rtol, abs(y))))
    out = logical_or(both_inf, logical_and(close, isfinite(y)))
    out = logical_or(out, logical_and(equal(x, y), isfinite(x)))
    if equal_nan:
        out = logical_or(out, logical_and(isnan(x), isnan(y)))
    return out


def deg2rad(x: Any) -> Array:
    """Degrees to radians.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> f"{float(jnp.deg2rad(180.0)):.5f}"
        '3.14159'
    """
    out: Array = multiply(promote_to_float("deg2rad", x)[0], math.pi / 180.0)
    return out


def rad2deg(x: Any) -> Array:
    """Radians to degrees.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> f"{float(jnp.rad2deg(jnp.pi)):.1f}"
        '180.0'
    """
    out: Array = multiply(promote_to_float("rad2deg", x)[0], 180.0 / math.pi)
    return out


radians = deg2rad
degrees = rad2deg


def nan_to_num(x: Any, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Array:
    """Replace nan and infinities with finite numbers.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.nan_to_num(jnp.array([float("nan"), 1.0])).tolist()
        [0.0, 1.0]
    """
    x = asarray(x)
    if x.dtype.kind == "c":
        parts = (real(x), imag(x))
        re, im = (nan_to_num(p, nan, posinf, neginf) for p in parts)
        result: Array = ew.complex_p.bind(re, im)
        return result
    if x.dtype.kind != "f":
        result = x
        return result
    info = np.finfo(x.dtype)
    hi = float(info.max) if posinf is None else posinf
    lo = float(info.min) if neginf is None else neginf
    out = where(isnan(x), nan, x)
    out = where(isposinf(out), hi, out)
    return where(isneginf(out), lo, out)


def sinc(x: Any) -> Array:
    """Normalised sinc, ``sin(pi x) / (pi x)``, with ``sinc(0) = 1``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> float(jnp.sinc(0.0))
        1.0
    """
    x = promote_to_float("sinc", x)[0]
    zero = equal(x, 0)
    safe = where(zero, 1.0, multiply(x, math.pi))
    return where(zero, 1.0, true_divide(sin(safe), safe))


def heaviside(x1: Any, x2: Any) -> Array:
    """Heaviside step: 0 below zero, ``x2`` at zero, 1 above, nan at nan.

    The result is a float: integer and boolean inputs become the default
    float dtype, as in JAX (NumPy gives float64).  A nan ``x1`` gives nan, as
    in NumPy (JAX returns ``x2`` there).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.heaviside(jnp.array([-1.0, 0.0, 2.0]), 0.5).tolist()
        [0.0, 0.5, 1.0]
        >>> jnp.heaviside(jnp.array([-2, 0, 3]), 1).dtype
        dtype('float32')
    """
    a, b = promote_to_float("heaviside", x1, x2)
    _real_only("heaviside", a)
    return where(less(a, 0), 0.0, where(greater(a, 0), 1.0, where(isnan(a), a, b)))


def nextafter(x: Any, y: Any) -> Array:
    """The next float after ``x`` towards ``y``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> float(jnp.nextafter(jnp.float32(1.0), 2.0)) > 1.0
        True
    """
    a, b = promote_to_float("nextafter", x, y)
    _real_only("nextafter", a)
    out: Array = ew.nextafter_p.bind(a, b)
    return out


# --- complex numbers ----------------------------------------------------------------------------
def real(x: Any) -> Array:
    """The real part (``x`` itself for a real array).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.real(jnp.array([1 + 2j, 3 - 1j])).tolist()
        [1.0, 3.0]
    """
    x = asarray(x)
    out: Array = ew.real_p.bind(x) if x.dtype.kind == "c" else x
    return out


def imag(x: Any) -> Array:
    """The imaginary part (zeros for a real array).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.imag(jnp.array([1 + 2j, 3 - 1j])).tolist()
        [2.0, -1.0]
    """
    x = asarray(x)
    if x.dtype.kind == "c":
        out: Array = ew.imag_p.bind(x)
        return out
    return cast(Array, _real_zeros(x))


def conjugate(x: Any) -> Array:
    """The complex conjugate (``x`` itself for a real array).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.conjugate(jnp.array([1 + 2j])).tolist()
        [(1-2j)]
    """
    x = asarray(x)
    out: Array = ew.conj_p.bind(x) if x.dtype.kind == "c" else x
    return out


conj = conjugate


def angle(z: Any, deg: bool = False) -> Array:
    """The argument of complex numbers, in radians (degrees with ``deg=True``);
    0 or pi for real numbers, as NumPy.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> f"{float(jnp.angle(jnp.array(1j))):.6f}"
        '1.570796'
    """
    z = asarray(z)
    if z.dtype.kind == "c":
        out = arctan2(imag(z), real(z))
    else:
        x = z if z.dtype.kind == "f" else convert(z, dtypes.default_float_dtype(), z.weak_type)
        out = arctan2(_real_zeros(x), x)
    return multiply(out, 180.0 / np.pi) if deg else out


def iscomplex(x: Any) -> Array:
    """Elementwise: whether the imaginary part is nonzero.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.iscomplex(jnp.array([1 + 0j, 1j])).tolist()
        [False, True]
    """
    out: Array = not_equal(imag(x), 0)
    return out


def isreal(x: Any) -> Array:
    """Elementwise: whether the imaginary part is zero.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.isreal(jnp.array([1 + 0j, 1j])).tolist()
        [True, False]
    """
    out: Array = equal(imag(x), 0)
    return out


def iscomplexobj(x: Any) -> bool:
    """Whether ``x`` has a complex dtype.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.iscomplexobj(jnp.array([1j])), jnp.iscomplexobj(jnp.ones(2))
        (True, False)
    """
    return bool(asarray(x).dtype.kind == "c")


def isrealobj(x: Any) -> bool:
    """Whether ``x`` has a real (non-complex) dtype.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.isrealobj(jnp.ones(2))
        True
    """
    return not iscomplexobj(x)


def _real_zeros(x: ArrayOrTracer) -> ArrayOrTracer:
    """Zeros of ``x``'s shape, in its real dtype (a stride-0 constant)."""
    return _rules.full_aval(ShapedArray(x.shape, dtypes.real_dtype(x.dtype), x.weak_type), 0)
