"""Elementwise kernels.

Plain elementwise math runs through NumPy's ufunc loops: on this project's
machines they are AVX-512 vectorised (including ``exp``/``log``/``tanh``
through NumPy's SIMD/SVML paths, which Numba lacks here), iterate in memory
order over any strides, and reach memory bandwidth on large arrays -- the
hardware limit (see benchmarks/RESULTS.md).  Outputs follow the inputs'
memory layout (K order), so a transposed input gives a transposed output
with no hidden copy.  Fused chains (jit) get generated Numba kernels.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from functorch_lite.ops.kernels._njit import njit_cached


def direct(ufunc: Any) -> Any:
    """The ufunc itself, for ops without floating-point domain errors."""
    return ufunc


def binary(ufunc: Any, x: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> Any:
    with np.errstate(all="ignore"):
        return ufunc(x, y)


def unary_quiet(ufunc: Any, x: np.ndarray[Any, Any], out: Any = None) -> Any:
    """A ufunc whose domain errors give nan/inf silently (as in JAX).
    ``out``: where to write (a buffer like ``x``) or None."""
    with np.errstate(all="ignore"):
        return ufunc(x, out=out)


def quiet(ufunc: Any) -> Any:
    """``ufunc`` as an impl whose domain errors (``log(0)``, ``sqrt(-1)``) give
    inf/nan quietly, taking ``out=`` (so eager ops can hand it a pooled buffer).

    Example:
        >>> float(quiet(np.log)(np.array([0.0]))[0])
        -inf
    """
    def impl(x: np.ndarray[Any, Any], out: Any = None) -> Any:
        return unary_quiet(ufunc, x, out)

    impl.__name__ = f"quiet_{ufunc.__name__}"
    OUT_IMPLS.add(impl)
    return impl


def integer_divide(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> Any:
    """Floor division of integers; division by zero gives 0 (no trap)."""
    with np.errstate(all="ignore"):
        return np.floor_divide(x, y)


def integer_remainder(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> Any:
    with np.errstate(all="ignore"):
        return np.remainder(x, y)


def integer_power(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any], out: Any = None) -> Any:
    """Power; for integers a negative exponent gives the truncated result
    (0, or +-1 for bases +-1) as JAX does, instead of NumPy's exception.
    ``out``: where to write (a buffer of the result's shape and dtype) or None."""
    with np.errstate(all="ignore"):
        if y.size and not any(y.strides) and y.reshape(-1)[:1] == 2:
            # ``x ** 2`` with a broadcast constant: the ufunc calls powf per element (2x slower than
            # a multiply); powf(x, 2) and x*x are both the correctly rounded square, nan/inf alike
            return np.square(x, out=out)
        if x.dtype.kind not in "iu" or not (y < 0).any():
            return np.power(x, y, out=out)
        neg = y < 0
        out = np.power(x, np.where(neg, 0, y).astype(y.dtype))
        odd = (np.abs(y) % 2) == 1
        small = np.where(x == 1, 1, np.where(x == -1, np.where(odd, -1, 1), 0)).astype(x.dtype)
        return np.where(neg, small, out).astype(x.dtype)


def shift(ufunc: Any, x: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> Any:
    """Bit shifts with out-of-range counts defined (0, or -1 for negative
    right shifts) rather than the platform's undefined behaviour."""
    bits = x.dtype.itemsize * 8
    with np.errstate(all="ignore"):
        out = ufunc(x, np.clip(y, 0, bits - 1).astype(y.dtype, copy=False))
    big = (y >= bits) | (y < 0)
    if big.any():
        fill = np.where(x < 0, -1, 0).astype(x.dtype) if ufunc is np.right_shift else 0
        out = np.where(big, fill, out).astype(x.dtype, copy=False)
    return out


@njit_cached(nogil=True)
def _select_arrays(pred: Any, a: Any, b: Any, out: Any) -> None:  # pragma: no cover - compiled
    for i in range(out.shape[0]):
        out[i] = a[i] if pred[i] else b[i]


@njit_cached(nogil=True)
def _select_scalar_false(pred: Any, a: Any, b: Any, out: Any) -> None:  # pragma: no cover - compiled
    for i in range(out.shape[0]):
        out[i] = a[i] if pred[i] else b


@njit_cached(nogil=True)
def _select_scalar_true(pred: Any, a: Any, b: Any, out: Any) -> None:  # pragma: no cover - compiled
    for i in range(out.shape[0]):
        out[i] = a if pred[i] else b[i]


# below this many elements np.where's call overhead is lower than a kernel's dispatch
_SELECT_KERNEL_FROM = 4096
_SELECT_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _flat_or_scalar(x: np.ndarray[Any, Any]) -> tuple[str, Any]:
    if x.flags.c_contiguous:
        return "array", x.reshape(-1)
    if not any(x.strides):  # one value broadcast everywhere (a zero cotangent, a scalar branch)
        return "scalar", x.reshape(-1)[0] if x.size else x.dtype.type(0)
    return "other", x


def select(pred: np.ndarray[Any, Any], on_true: np.ndarray[Any, Any], on_false: np.ndarray[Any, Any]) -> Any:
    """``np.where(pred, on_true, on_false)`` (equal shapes, equal branch
    dtypes); large float cases with contiguous operands, or one branch a
    broadcast scalar, run a Numba loop (np.where is ~4x slower there)."""
    if (pred.size < _SELECT_KERNEL_FROM or on_true.dtype not in _SELECT_FLOATS or not pred.flags.c_contiguous
            or on_true.dtype != on_false.dtype):
        return np.where(pred, on_true, on_false)
    kt, a = _flat_or_scalar(on_true)
    kf, b = _flat_or_scalar(on_false)
    if kt == "other" or kf == "other" or (kt == "scalar" and kf == "scalar"):
        return np.where(pred, on_true, on_false)
    out = np.empty(pred.shape, on_true.dtype)
    flat_pred, flat_out = pred.reshape(-1), out.reshape(-1)
    if kt == "array" and kf == "array":
        _select_arrays(flat_pred, a, b, flat_out)
    elif kf == "scalar":
        _select_scalar_false(flat_pred, a, b, flat_out)
    else:
        _select_scalar_true(flat_pred, a, b, flat_out)
    return out


def convert(x: np.ndarray[Any, Any], dtype: np.dtype[Any]) -> Any:
    if x.dtype.kind == "c" and dtype.kind != "c":
        if dtype.kind == "b":
            return x != 0
        x = x.real  # complex to real keeps the real part, as JAX's convert_element_type
    with np.errstate(all="ignore"):
        if dtype.kind in "iu" and x.dtype.kind == "f":
            # float -> int: nan/inf and out-of-range values are implementation
            # defined in C; saturate them to a defined result as XLA does.  The
            # bounds are compared in float64 and the saturated lanes written as
            # integers, because the dtype's max itself may round up in float
            # (float32(2**31 - 1) == 2**31, which would wrap to -2**31).
            info = np.iinfo(dtype)
            wide = x.astype(np.float64)
            hi = wide >= float(info.max)
            lo = wide <= float(info.min)
            safe = np.where(hi | lo | np.isnan(wide), 0.0, np.trunc(wide))
            out = safe.astype(dtype, order="K")
            out[hi] = info.max
            out[lo] = info.min
            return out
        return x.astype(dtype, order="K")


def _set_parts(re: np.ndarray[Any, Any], im: np.ndarray[Any, Any], dtype: np.dtype[Any]) -> np.ndarray[Any, Any]:
    out = np.empty(re.shape, dtype)  # not re + 1j*im: inf * 1j has a nan real part
    out.real = re
    out.imag = im
    return out


def expm1(x: np.ndarray[Any, Any]) -> Any:
    """``exp(x) - 1``; for complex input with the C99/Array API special values
    (NumPy's complex ``expm1`` gives nan for an infinite real part).

    Example:
        >>> expm1(np.array([complex(np.inf, 0.0)])).tolist()
        [(inf+0j)]
    """
    if x.dtype.kind != "c":
        return np.expm1(x)
    re_x, im_x = x.real, x.imag
    with np.errstate(all="ignore"):
        em = np.expm1(re_x)
        s = np.sin(im_x)
        # e^x cos y - 1 without cancelling near 0: expm1(x) cos y - 2 sin^2(y / 2)
        re = em * np.cos(im_x) - 2 * np.sin(im_x / 2) ** 2
        im = np.exp(re_x) * s
        flat_y = im_x == 0  # expm1(x) + 0j, whatever x is (inf, nan)
        re = np.where(flat_y, em + 0.0, re)  # + 0.0: cexp(-0 + 0i) - 1 is +0, not expm1(-0)
        im = np.where(flat_y, im_x, im)
        ninf = re_x == -np.inf  # -1 + 0 cis(y), also for an infinite or nan y
        re = np.where(ninf, -1.0, re)
        # C99's cexp(-inf + iy) - 1: 0 cis(y) for finite y, a zero signed as y for an infinite one
        im = np.where(ninf, np.copysign(0.0, np.where(np.isfinite(im_x), s, np.where(np.isnan(im_x), 0.0, im_x))),
                      im)
        pinf = (re_x == np.inf) & ~np.isfinite(im_x)
        re = np.where(pinf, np.inf, re)
        im = np.where(pinf, np.nan, im)
    return _set_parts(re, im, x.dtype)


def tanh(x: np.ndarray[Any, Any], out: Any = None) -> Any:
    """``tanh``; for complex input ``tanh(+-inf + iy)`` is ``+-1 + 0j`` with the
    zero's sign that of ``y`` (the Array API; NumPy signs it as ``sin(2y)``).
    ``out``: where to write (a buffer like ``x``) or None.

    Example:
        >>> tanh(np.array([complex(np.inf, 2.0)])).tolist()
        [(1+0j)]
    """
    out = np.tanh(x, out=out)
    if x.dtype.kind == "c":
        inf_x = np.isinf(x.real) & np.isfinite(x.imag)
        if inf_x.any():
            out = np.where(inf_x, _set_parts(np.sign(x.real), np.copysign(np.zeros_like(x.imag), x.imag), x.dtype),
                           out)
    return out


# impls that take ``out=`` as a ufunc does: the elementwise builders may hand them a pooled buffer
OUT_IMPLS: set[Any] = {integer_power, tanh}  # and every ``quiet(...)`` impl
