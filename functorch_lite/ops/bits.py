"""Bit-level primitives: ``population_count``, ``clz``, ``bitcast_convert_type``
and ``reduce_precision`` (JAX's ``lax`` ops of those names).

``population_count`` and ``clz`` count the set bits and the leading zero bits
of integers (result in the operand's dtype).  ``bitcast_convert_type``
reinterprets the bytes of an array as another dtype: equal widths keep the
shape, a narrower target adds a trailing axis of ``wide // narrow`` elements,
a wider one consumes a trailing axis of that size.  ``reduce_precision``
rounds a float array to ``exponent_bits``/``mantissa_bits`` (round to nearest
even; values above the reduced range become inf, values below its smallest
normal become signed zero, NaN stays NaN), as XLA does.

The kernels are NumPy (``np.bitwise_count``, byte views, integer rounding);
all four are elementwise or trailing-axis ops, so the batch rules move the
vmapped axis to the front.  ``reduce_precision`` is linear in the
derivative sense JAX uses (its tangent and cotangent are reduced the same
way); the others have no derivative.

Example:
    >>> import functorch_lite.numpy as jnp
    >>> population_count_p.bind(jnp.array([0, 7, -1], dtype=jnp.int8)).tolist()
    [0, 3, 8]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from functorch_lite import dtypes
from functorch_lite.array import Array
from functorch_lite.core import Primitive, ShapedArray
from functorch_lite.ops import _rules as r
from functorch_lite.ops import params as P
from functorch_lite.ops.tables import param_types

BITS: dict[str, Primitive] = {}

_UNSIGNED: dict[int, np.dtype[Any]] = {n: np.dtype(f"uint{8 * n}") for n in (1, 2, 4, 8)}


def _declare(name: str, impl: Any, abstract_eval: Any, nondifferentiable: bool = True) -> Primitive:
    p = Primitive(name)
    p.impl = impl
    p.abstract_eval = abstract_eval
    p.nondifferentiable = nondifferentiable
    BITS[name] = p
    return p


def _int_abstract(name: str) -> Any:
    def abstract_eval(x: ShapedArray) -> ShapedArray:
        if x.dtype.kind not in "iu":
            raise TypeError(f"{name}: expected an integer array, got {x.str_short()}")
        return ShapedArray(x.shape, x.dtype, x.weak_type)

    return abstract_eval


# --- population_count, clz ------------------------------------------------------------


def _popcount_impl(x: Array) -> Array:
    _int_abstract("population_count")(ShapedArray(x.shape, x.dtype))
    return Array._wrap(np.bitwise_count(_as_unsigned(x._numpy())).astype(x.dtype), x.weak_type)


def _as_unsigned(x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The bit patterns of ``x`` as unsigned integers of the same width
    (``np.bitwise_count`` of a signed int counts the bits of its magnitude)."""
    return np.ascontiguousarray(x).reshape(x.shape).view(_UNSIGNED[x.dtype.itemsize])


def bit_length(x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The number of significant bits of each integer's bit pattern (int64).

    Example:
        >>> bit_length(np.array([0, 1, 5, -1], dtype=np.int8)).tolist()
        [0, 1, 3, 8]
    """
    u = _as_unsigned(x).astype(np.uint64)
    n = np.zeros(u.shape, np.int64)
    for s in (32, 16, 8, 4, 2, 1):
        hi = u >> np.uint64(s)
        moved = hi != 0
        n += moved * s
        u = np.where(moved, hi, u)
    out: np.ndarray[Any, Any] = n + (u != 0)
    return out


def _clz_impl(x: Array) -> Array:
    _int_abstract("clz")(ShapedArray(x.shape, x.dtype))
    out = x.dtype.itemsize * 8 - bit_length(x._numpy())
    return Array._wrap(out.astype(x.dtype), x.weak_type)


population_count_p = _declare("population_count", _popcount_impl, _int_abstract("population_count"))
clz_p = _declare("clz", _clz_impl, _int_abstract("clz"))


# --- bitcast_convert_type -----------------------------------------------------------


def _bitcast_abstract(x: ShapedArray, *, new_dtype: np.dtype[Any]) -> ShapedArray:
    if not isinstance(new_dtype, np.dtype) or new_dtype not in dtypes.SUPPORTED:
        raise TypeError(f"bitcast_convert_type: new_dtype must be a supported dtype, got {new_dtype!r}")
    for what, dt in (("operand", x.dtype), ("new_dtype", new_dtype)):
        if dt.kind in "bc":
            raise TypeError(
                f"bitcast_convert_type: {what} dtype {dt} is not supported (bool and complex have no "
                "plain bit pattern here); bitcast integers or real floats"
            )
    a, b = x.dtype.itemsize, new_dtype.itemsize
    if a == b:
        shape = x.shape
    elif a > b:
        shape = x.shape + (a // b,)
    else:
        if not x.shape or x.shape[-1] != b // a:
            raise ValueError(
                f"bitcast_convert_type: converting {x.str_short()} to the wider {new_dtype} needs a last "
                f"axis of size {b // a} ({new_dtype.itemsize} bytes / {x.dtype.itemsize}), got shape {x.shape}"
            )
        shape = x.shape[:-1]
    return ShapedArray(shape, new_dtype, False)


def _bitcast_impl(x: Array, *, new_dtype: np.dtype[Any]) -> Array:
    aval = _bitcast_abstract(ShapedArray(x.shape, x.dtype), new_dtype=new_dtype)
    out = np.ascontiguousarray(x._numpy()).view(new_dtype).reshape(aval.shape)
    return Array._wrap(out.copy(), False)


bitcast_convert_type_p = _declare("bitcast_convert_type", _bitcast_impl, _bitcast_abstract)
param_types[bitcast_convert_type_p] = {"new_dtype": P.DTYPE}


# --- reduce_precision ---------------------------------------------------------------


def _reduce_precision_abstract(x: ShapedArray, *, exponent_bits: int, mantissa_bits: int) -> ShapedArray:
    if x.dtype.kind != "f":
        raise TypeError(f"reduce_precision: expected a real floating-point array, got {x.str_short()}")
    if type(exponent_bits) is not int or exponent_bits < 1:
        raise ValueError(f"reduce_precision: exponent_bits must be an int >= 1, got {exponent_bits!r}")
    if type(mantissa_bits) is not int or mantissa_bits < 0:
        raise ValueError(f"reduce_precision: mantissa_bits must be an int >= 0, got {mantissa_bits!r}")
    return ShapedArray(x.shape, x.dtype, x.weak_type)


def reduce_precision_numpy(x: np.ndarray[Any, Any], exponent_bits: int, mantissa_bits: int) -> np.ndarray[Any, Any]:
    """Round ``x`` (float32/float64) to a float format with the given bits.

    Example:
        >>> reduce_precision_numpy(np.array([1.1, 70000.0], np.float32), 5, 10).tolist()
        [1.099609375, inf]
    """
    fi = np.finfo(x.dtype)
    src_mant, src_exp = int(fi.nmant), int(fi.nexp)
    udt = _UNSIGNED[x.dtype.itemsize]
    y = np.array(x, copy=True)
    if mantissa_bits < src_mant:
        shift = udt.type(src_mant - mantissa_bits)
        bits = y.view(udt)
        one = udt.type(1)
        last = (bits >> shift) & one
        bias = ((one << (shift - one)) - one) + last
        bits = (bits + bias) & ~((one << shift) - one)
        y = bits.view(x.dtype)
    if exponent_bits < src_exp:
        rbias = 2 ** (exponent_bits - 1) - 1
        mb = min(mantissa_bits, src_mant)
        big = (2.0 - 2.0 ** -mb) * 2.0**rbias
        small = 2.0 ** (1 - rbias)
        with np.errstate(all="ignore"):
            a = np.abs(y)
            y = np.where(a > big, np.copysign(np.inf, y), y)
            y = np.where(a < small, np.copysign(0.0, y), y).astype(x.dtype)
    return np.where(np.isnan(x), x, y).astype(x.dtype)


def _reduce_precision_impl(x: Array, *, exponent_bits: int, mantissa_bits: int) -> Array:
    _reduce_precision_abstract(ShapedArray(x.shape, x.dtype), exponent_bits=exponent_bits,
                               mantissa_bits=mantissa_bits)
    return Array._wrap(reduce_precision_numpy(x._numpy(), exponent_bits, mantissa_bits), x.weak_type)


reduce_precision_p = _declare("reduce_precision", _reduce_precision_impl, _reduce_precision_abstract,
                              nondifferentiable=False)
param_types[reduce_precision_p] = {
    "exponent_bits": P.ParamSpec("an integer >= 1", P.int_in(1, 64)),
    "mantissa_bits": P.ParamSpec("an integer >= 0", P.int_in(0, 64)),
}


def _reduce_precision_vjp(ct: Any, ans: Any, x: Any, *, exponent_bits: int, mantissa_bits: int) -> Any:
    return reduce_precision_p.bind(ct, exponent_bits=exponent_bits, mantissa_bits=mantissa_bits)


r.deflinear(reduce_precision_p, [_reduce_precision_vjp])

# --- batching: every op here keeps or extends trailing axes ---------------------------
for _p in (population_count_p, clz_p, reduce_precision_p):
    r.batch_elementwise(_p)
r.batch_front(bitcast_convert_type_p, lambda params, size: params)

__all__ = ["BITS", "population_count_p", "clz_p", "bitcast_convert_type_p", "reduce_precision_p", "bit_length",
           "reduce_precision_numpy"]
