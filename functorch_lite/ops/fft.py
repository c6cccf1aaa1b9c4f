"""The discrete Fourier transform primitive ``fft`` (``jax.lax.fft``'s form).

``fft_p`` transforms the trailing ``len(fft_lengths)`` axes of its operand;
``fft_type`` is one of :data:`FFT_TYPES` (``jax.lax.FftType``'s names):

==========  =====================================  ==========================================
type        operand (trailing axes)                result
==========  =====================================  ==========================================
``FFT``     complex, ``fft_lengths``               same complex dtype and shape, unnormalised
``IFFT``    complex, ``fft_lengths``               same, scaled by ``1 / prod(fft_lengths)``
``RFFT``    real float, ``fft_lengths``            complex of that precision, last axis
                                                   ``fft_lengths[-1] // 2 + 1`` (the
                                                   non-negative frequencies)
``IRFFT``   complex, ``fft_lengths[:-1] +``        real of that precision, ``fft_lengths``,
            ``(fft_lengths[-1] // 2 + 1,)``        scaled by ``1 / prod(fft_lengths)``
==========  =====================================  ==========================================

This is NumPy's ``"backward"`` normalisation; ``functorch_lite.numpy.fft``
converts dtypes, pads or crops to ``n``/``s``, moves ``axis``/``axes`` to the
end and applies the other norms around the primitive.  The kernel is NumPy's
pocketfft (``np.fft.fftn`` & co.), which computes float32/complex64 in
single precision.  Integer and boolean operands are a ``TypeError`` here:
the numpy layer converts them as NumPy and JAX do.

Derivatives follow JAX's complex convention (a vjp is the transpose of the
real-linear jvp under the pairing ``Re(sum(ct * t))``, no conjugation).  The
op is linear, so the jvp is the transform of the tangent.  The DFT matrix
``F`` is symmetric, so ``FFT`` and ``IFFT`` are their own transposes.  For
``RFFT`` (``y_k = sum_j x_j e^{-2 pi i k j / n}`` for the kept ``k``), the
real cotangent ``xbar_j = Re(sum_k ct_k e^{-2 pi i k j / n})``; since
``irfft(Z)_j = Re(sum_k w_k Z_k e^{2 pi i k j / n}) / N`` with Hermitian
weights ``w_k`` (1 for the zero frequency and, for even ``n``, the Nyquist
frequency, whose imaginary parts ``irfft`` ignores; 2 for the others, which
stand for their mirror images too), ``xbar = N * irfft(conj(ct) / w)``.
Likewise the transpose of ``IRFFT`` is ``conj(rfft(ct)) * w / N``.
The rules are written with primitives, so second derivatives work.

Batching moves the vmapped axis to the front (the transformed axes are the
trailing ones).  There is no fusion row: jit runs the kernel as it is.

Example:
    >>> import numpy as np
    >>> import functorch_lite.numpy as jnp
    >>> fft_p.bind(jnp.asarray(np.array([1.0, 2.0, 3.0, 4.0])), fft_type="RFFT", fft_lengths=(4,)).tolist()
    [(10+0j), (-2+2j), (-2+0j)]
"""

from __future__ import annotations

import enum
import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from functorch_lite import dtypes
from functorch_lite.array import Array
from functorch_lite.core import Primitive, ShapedArray
from functorch_lite.ops import _rules as r
from functorch_lite.ops import params as P
from functorch_lite.ops.elementwise import conj_p
from functorch_lite.ops.tables import batch_rules, param_types

__all__ = ["FFT_TYPES", "FftType", "fft_p", "fft_output_aval"]

#: the transform kinds, as ``jax.lax.FftType``'s member names
FFT_TYPES = ("FFT", "IFFT", "RFFT", "IRFFT")


class FftType(enum.IntEnum):
    """``jax.lax.FftType``: which transform ``lax.fft`` computes (its ``name``
    is the primitive's ``fft_type`` param).

    Example:
        >>> FftType.RFFT.name, int(FftType.IRFFT)
        ('RFFT', 3)
    """

    FFT = 0
    IFFT = 1
    RFFT = 2
    IRFFT = 3


fft_p = Primitive("fft")
param_types[fft_p] = {
    "fft_type": P.one_of(*FFT_TYPES),
    "fft_lengths": P.ParamSpec(
        "a non-empty tuple of positive integers",
        lambda v: type(v) is tuple and 1 <= len(v) <= P.MAX_NDIM and all(P.int_in(1, P.INT_LIMIT - 1)(n) for n in v),
    ),
}


def _check_params(fft_type: Any, fft_lengths: Any) -> None:
    if not isinstance(fft_type, str) or fft_type not in FFT_TYPES:
        raise ValueError(f"fft: fft_type must be one of {list(FFT_TYPES)}, got {fft_type!r}")
    if (type(fft_lengths) is not tuple or not fft_lengths
            or not all(type(n) is int and n >= 1 for n in fft_lengths)):
        raise ValueError(
            f"fft: fft_lengths must be a non-empty tuple of positive ints (the lengths of the trailing axes "
            f"transformed), got {fft_lengths!r}"
        )


def fft_output_aval(x: ShapedArray, *, fft_type: str, fft_lengths: tuple[int, ...]) -> ShapedArray:
    """The shape rule: the result's shape and dtype, or a clear error.

    Example:
        >>> fft_output_aval(ShapedArray((3, 8), np.dtype("float32")), fft_type="RFFT", fft_lengths=(8,)).str_short()
        'complex64[3,5]'
    """
    _check_params(fft_type, fft_lengths)
    k = len(fft_lengths)
    if k > x.ndim:
        raise ValueError(
            f"fft: {fft_type} over fft_lengths {fft_lengths} needs at least {k} axes, got {x.str_short()}"
        )
    lead, tail = x.shape[:x.ndim - k], x.shape[x.ndim - k:]
    if fft_type == "RFFT":
        if x.dtype.kind != "f":
            raise TypeError(
                f"fft: RFFT takes a real floating-point array, got {x.str_short()}; convert integers with "
                f".astype(jnp.float32), and use an FFT for complex input (jnp.fft.rfft converts integers itself)"
            )
        want = fft_lengths
        shape = lead + fft_lengths[:-1] + (fft_lengths[-1] // 2 + 1,)
        dtype = dtypes.to_complex(x.dtype)
    else:
        if x.dtype.kind != "c":
            raise TypeError(
                f"fft: {fft_type} takes a complex array, got {x.str_short()}; convert it with "
                f".astype(jnp.complex64) (or complex128) first (jnp.fft.{fft_type.lower()} converts real input itself)"
            )
        if fft_type == "IRFFT":
            want = fft_lengths[:-1] + (fft_lengths[-1] // 2 + 1,)
            shape = lead + fft_lengths
            dtype = dtypes.real_dtype(x.dtype)
        else:
            want, shape, dtype = fft_lengths, x.shape, x.dtype
    if tail != want:
        raise ValueError(
            f"fft: {fft_type} with fft_lengths {fft_lengths} needs trailing axes {want}, got {x.str_short()}; "
            f"pad or crop them first (jnp.fft functions do, given n or s)"
        )
    return ShapedArray(shape, dtype, x.weak_type and dtype == x.dtype)


@functools.lru_cache(maxsize=256)
def _checked_aval(shape: tuple[int, ...], dtype: np.dtype[Any], weak: bool, fft_type: str,
                  fft_lengths: tuple[int, ...]) -> ShapedArray:
    """The shape rule, remembered for the signatures an eager loop repeats (errors are not cached)."""
    return fft_output_aval(ShapedArray(shape, dtype, weak), fft_type=fft_type, fft_lengths=fft_lengths)


def _fft_impl(x: Array, *, fft_type: str, fft_lengths: tuple[int, ...]) -> Array:
    try:
        aval = _checked_aval(x.shape, x.dtype, x.weak_type, fft_type, fft_lengths)
    except TypeError:  # an unhashable param: let the shape rule say what is wrong with it
        aval = fft_output_aval(ShapedArray(x.shape, x.dtype, x.weak_type), fft_type=fft_type,
                               fft_lengths=fft_lengths)
    a = x._numpy()
    if 0 in a.shape:
        return Array._wrap(np.zeros(aval.shape, aval.dtype), aval.weak_type)
    out: np.ndarray[Any, Any]
    if len(fft_lengths) == 1:  # the common case: NumPy's 1-D entry points skip fftn's axis loop
        if fft_type == "FFT":
            out = np.fft.fft(a)
        elif fft_type == "IFFT":
            out = np.fft.ifft(a)
        elif fft_type == "RFFT":
            out = np.fft.rfft(a)
        else:
            out = np.fft.irfft(a, fft_lengths[0])
    else:
        nd = a.ndim
        axes = tuple(range(nd - len(fft_lengths), nd))
        if fft_type == "FFT":
            out = np.fft.fftn(a, axes=axes)
        elif fft_type == "IFFT":
            out = np.fft.ifftn(a, axes=axes)
        elif fft_type == "RFFT":
            out = np.fft.rfftn(a, axes=axes)
        else:
            out = np.fft.irfftn(a, fft_lengths, axes=axes)
    if out.dtype != aval.dtype:  # pocketfft keeps single precision; this guards other builds
        out = out.astype(aval.dtype)
    return Array._wrap(out, aval.weak_type)


fft_p.impl = _fft_impl
fft_p.abstract_eval = fft_output_aval


# --- derivatives: linear; transposes derived in the module docstring ----------------------------


def _hermitian_weights(m: int, n: int) -> np.ndarray[Any, Any]:
    """``w_k`` over the ``m = n // 2 + 1`` kept frequencies of a real length-``n``
    signal: 1 for the zero frequency (and the Nyquist one when ``n`` is even), 2
    for the others (each stands for itself and its conjugate mirror).

    Example:
        >>> _hermitian_weights(3, 4).tolist(), _hermitian_weights(3, 5).tolist()
        ([1.0, 2.0, 1.0], [1.0, 2.0, 2.0])
    """
    w = np.full(m, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    return w


def _scale_last(x: Any, c: np.ndarray[Any, Any]) -> Any:
    """``x * c`` with the 1-D constant ``c`` along x's last axis."""
    aval = r.get_aval(x)
    const = Array._wrap(np.ascontiguousarray(c, dtype=aval.dtype))
    return r.mul(x, r.broadcast(const, aval.shape, (aval.ndim - 1,)))


def _fft_vjp(ct: Any, ans: Any, x: Any, *, fft_type: str, fft_lengths: tuple[int, ...]) -> Any:
    if fft_type in ("FFT", "IFFT"):
        return fft_p.bind(ct, fft_type=fft_type, fft_lengths=fft_lengths)
    n_total = math.prod(fft_lengths)
    w = _hermitian_weights(fft_lengths[-1] // 2 + 1, fft_lengths[-1])
    if fft_type == "RFFT":
        # xbar = N * irfft(conj(ct) / w): a real cotangent of x's dtype
        return fft_p.bind(_scale_last(conj_p.bind(ct), n_total / w), fft_type="IRFFT", fft_lengths=fft_lengths)
    # IRFFT: Zbar = conj(rfft(ct)) * w / N, complex
    return _scale_last(conj_p.bind(fft_p.bind(ct, fft_type="RFFT", fft_lengths=fft_lengths)), w / n_total)


r.deflinear(fft_p, [_fft_vjp])


def _fft_batch(vals: Sequence[Any], dims: Sequence[int | None], *, axis_size: int, fft_type: str,
               fft_lengths: tuple[int, ...]) -> tuple[Any, int]:
    (x,), (d,) = vals, dims
    return fft_p.bind(r.bdim_to_front(x, d, axis_size), fft_type=fft_type, fft_lengths=fft_lengths), 0


batch_rules[fft_p] = _fft_batch
