"""The implementation behind :mod:`functorch_lite.numpy.fft`, which re-exports its ``__all__``
(and whose docstring describes the module)."""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from functorch_lite import dtypes
from functorch_lite.array import Array
from functorch_lite.device import check_device
from functorch_lite.numpy._elementwise import conjugate, divide, multiply
from functorch_lite.numpy._indexing import basic_getitem
from functorch_lite.numpy._manipulation import moveaxis
from functorch_lite.numpy._pad_modes import pad
from functorch_lite.numpy._rearrange import roll
from functorch_lite.numpy._util import ArrayOrTracer, asarray, check_arraylike, convert, from_numpy
from functorch_lite.ops.fft import fft_p

__all__ = [
    "fft", "ifft", "fftn", "ifftn", "rfft", "irfft", "rfftn", "irfftn", "hfft", "ihfft",
    "fft2", "ifft2", "rfft2", "irfft2", "fftfreq", "rfftfreq", "fftshift", "ifftshift",
]

_NORMS = (None, "backward", "ortho", "forward")
_SWAPPED = {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}


def _check_norm(name: str, norm: Any) -> None:
    if norm not in _NORMS:
        raise ValueError(f'{name}: invalid norm value {norm!r}; should be None, "backward", "ortho" or "forward"')


def _axis_error(name: str, axis: Any, ndim: int) -> np.exceptions.AxisError:
    return np.exceptions.AxisError(
        f"{name}: axis {axis} is out of bounds for an array of dimension {ndim} (the transform needs an axis)"
    )


def _norm_axis(name: str, axis: Any, ndim: int) -> int:
    try:
        a = operator.index(axis)
    except TypeError:
        raise TypeError(f"{name}: an axis must be an integer, got {type(axis).__name__}") from None
    if not -ndim <= a < ndim:
        raise _axis_error(name, axis, ndim)
    return a % ndim


def _input(name: str, a: Any, fft_type: str) -> ArrayOrTracer:
    """``a`` as an array of the dtype the transform takes (JAX's conversions)."""
    check_arraylike(name, a)
    x = asarray(a)
    dt = x.dtype
    if fft_type == "RFFT":
        if dt.kind == "c":
            raise TypeError(
                f"{name}: takes a real array, got {dt} of shape {x.shape}; use jnp.fft.fft / fftn for complex "
                f"input, or jnp.real(x) to drop the imaginary part"
            )
        if dt.kind != "f":
            return convert(x, dtypes.default_float_dtype())
        return x
    if dt.kind != "c":
        return convert(x, dtypes.to_complex(dt))
    return x


def _lengths(name: str, s: Any) -> tuple[int, ...]:
    if isinstance(s, (int, np.integer)):
        raise TypeError(f"{name}: s must be a sequence of ints (the output lengths), got {s!r}; use n= of the 1-D "
                        f"functions, or s=({s},)")
    try:
        out = tuple(operator.index(n) for n in s)
    except TypeError:
        raise TypeError(f"{name}: s must be a sequence of ints, got {s!r}") from None
    for n in out:
        if n <= 0:
            raise ValueError(f"{name}: invalid number of FFT data points ({n}) in s={out}; each must be positive")
    return out


def _resize(x: ArrayOrTracer, axis: int, n: int) -> Any:
    """``x`` cropped or zero-padded to ``n`` along ``axis`` (NumPy's n/s)."""
    have = x.shape[axis]
    if have > n:
        return basic_getitem(x, (slice(None),) * axis + (slice(0, n),))
    if have < n:
        widths = [(0, 0)] * x.ndim
        widths[axis] = (0, n - have)
        return pad(x, widths)
    return x


def _scale(x: ArrayOrTracer, factor: float) -> Any:
    return x if factor == 1.0 else multiply(x, factor)


def _norm_factor(fft_type: str, norm: str | None, n_total: int) -> float:
    """What the primitive's "backward" result is multiplied by for ``norm``."""
    inverse = fft_type in ("IFFT", "IRFFT")
    if norm == "ortho":
        return math.sqrt(n_total) if inverse else 1.0 / math.sqrt(n_total)
    if norm == "forward":
        return float(n_total) if inverse else 1.0 / n_total
    return 1.0


def _fftn_core(name: str, fft_type: str, a: Any, s: Any, axes: Any, norm: str | None) -> Any:
    """NumPy's ``*fftn`` on top of the primitive (JAX's ``_fft_core``)."""
    _check_norm(name, norm)
    x = _input(name, a, fft_type)
    nd = x.ndim
    lengths = None if s is None else _lengths(name, s)
    if axes is None:
        ax = tuple(range(nd)) if lengths is None else tuple(range(nd - len(lengths), nd))
        if lengths is not None and len(lengths) > nd:
            raise ValueError(f"{name}: s={lengths} names more axes than the input's {nd} (shape {x.shape})")
    else:
        if isinstance(axes, (int, np.integer)):
            raise TypeError(f"{name}: axes must be a sequence of ints, got {axes!r}; use axes=({axes},)")
        ax = tuple(_norm_axis(name, v, nd) for v in axes)
    if lengths is not None and len(lengths) != len(ax):
        raise ValueError(f"{name}: s={lengths} and axes={tuple(axes) if axes is not None else ax} have "
                         f"different lengths")
    if len(set(ax)) != len(ax):
        raise ValueError(f"{name}: repeated axes {tuple(axes) if axes is not None else ax} are not supported "
                         f"(as in JAX); transform twice instead")
    if not ax:
        return x  # nothing to transform (a 0-d input, or axes=()): JAX gives the converted input
    k = len(ax)
    tail = tuple(range(nd - k, nd))
    moved = ax != tail
    if moved:
        x = moveaxis(x, ax, tail)
    if lengths is None:
        lengths = tuple(x.shape[nd - k:])
        if fft_type == "IRFFT":
            lengths = lengths[:-1] + (2 * (lengths[-1] - 1),)
    else:
        for i, n in enumerate(lengths):
            want = n // 2 + 1 if fft_type == "IRFFT" and i == k - 1 else n
            x = _resize(x, nd - k + i, want)
    if min(lengths) <= 0:
        last = fft_type == "IRFFT" and lengths[-1] <= 0 and x.shape[-1] <= 1
        what = (f"the default output length 2 * (m - 1) of m = {x.shape[-1]} input frequencies" if last
                else "an empty axis")
        raise ValueError(
            f"{name}: invalid number of FFT data points ({min(lengths)}): {what} in the transformed axes of an "
            f"input of shape {x.shape}; give a positive n or s"
        )
    out = fft_p.bind(x, fft_type=fft_type, fft_lengths=tuple(lengths))
    out = _scale(out, _norm_factor(fft_type, norm, math.prod(lengths)))
    return moveaxis(out, tail, ax) if moved else out


def _fft1(name: str, fft_type: str, a: Any, n: Any, axis: Any, norm: str | None) -> Any:
    check_arraylike(name, a)
    x = asarray(a)
    ax = _norm_axis(name, axis, x.ndim)
    s = None
    if n is not None:
        try:
            s = (operator.index(n),)
        except TypeError:
            raise TypeError(f"{name}: n must be an integer (the transform length), got {n!r}") from None
    return _fftn_core(name, fft_type, x, s, (ax,), norm)


# --- one axis ---------------------------------------------------------------------------------


def fft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Array:
    """The 1-D discrete Fourier transform along ``axis`` (``numpy.fft.fft``):
    ``n`` crops or zero-pads the input first.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.fft.fft(jnp.array([1.0, 0.0, 0.0]), n=4).tolist()
        [(1+0j), (1+0j), (1+0j), (1+0j)]
    """
    out: Array = _fft1("fft", "FFT", a, n, axis, norm)
    return out


def ifft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Array:
    """The 1-D inverse discrete Fourier transform (``numpy.fft.ifft``; scaled by
    ``1/n`` under the default norm).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.fft.ifft(jnp.array([4.0, 0.0, 0.0, 0.0])).tolist()
        [(1+0j), (1+0j), (1+0j), (1+0j)]
    """
    out: Array = _fft1("ifft", "IFFT", a, n, axis, norm)
    return out


def rfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Array:
    """The 1-D transform of a real array: the ``n // 2 + 1`` non-negative
    frequencies (``numpy.fft.rfft``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.fft.rfft(jnp.array([1.0, 2.0, 3.0, 4.0])).tolist()
        [(10+0j), (-2+2j), (-2+0j)]
    """
    out: Array = _fft1("rfft", "RFFT", a, n, axis, norm)
    return out


def irfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Array:
    """The inverse of :func:`rfft`: a real signal of length ``n`` (default
    ``2 * (m - 1)`` for ``m`` input frequencies) from its non-negative
    frequencies (``numpy.fft.irfft``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.fft.irfft(jnp.array([10.0, -2 + 2j, -2.0])).tolist()
        [1.0, 2.0, 3.0, 4.0]
    """
    out: Array = _fft1("irfft", "IRFFT", a, n, axis, norm)
    return out


def hfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Array:
    """The transform of a signal with Hermitian symmetry, given its first half:
    a real spectrum of length ``n`` (``numpy.fft.hfft``: ``irfft(conj(a))``
    with the norm's direction swapped).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.fft.hfft(jnp.array([1.0, 2.0, 3.0])).tolist()
        [8.0, -2.0, 0.0, -2.0]
    """
    _check_norm("hfft", norm)
    x = _input("hfft", a, "IRFFT")
    out: Array = _fft1("hfft", "IRFFT", conjugate(x), n, axis, _SWAPPED[norm])
    return out


def ihfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Array:
    """The inverse of :func:`hfft` for a real signal: ``conj(rfft(a)) / n``
    under the default norm (``numpy.fft.ihfft``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.fft.ihfft(jnp.array([8.0, -2.0, 0.0, -2.0])).real.tolist()
        [1.0, 2.0, 3.0]
    """
    _check_norm("ihfft", norm)
    return conjugate(_fft1("ihfft", "RFFT", a, n, axis, _SWAPPED[norm]))


# --- several axes -----------------------------------------------------------------------------


def fftn(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] | None = None, norm: str | None = None) -> Array:
    """The N-D discrete Fourier transform over ``axes`` (all axes by default, the
    last ``len(s)`` when only ``s`` is given), each cropped or zero-padded to
    ``s`` (``numpy.fft.fftn``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.fft.fftn(jnp.array([[1.0, 2.0], [3.0, 4.0]])).tolist()
        [[(10+0j), (-2+0j)], [(-4+0j), 0j]]
    """
    out: Array = _fftn_core("fftn", "FFT", a, s, axes, norm)
    return out


def ifftn(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] | None = None, norm: str | None = None) -> Array:
    """The N-D inverse discrete Fourier transform (``numpy.fft.ifftn``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.fft.ifftn(jnp.array([[4.0, 0.0], [0.0, 0.0]])).tolist()
        [[(1+0j), (1+0j)], [(1+0j), (1+0j)]]
    """
    out: Array = _fftn_core("ifftn", "IFFT", a, s, axes, norm)
    return out


def rfftn(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] | None = None, norm: str | None = None) -> Array:
    """The N-D transform of a real array; the last of ``axes`` keeps its
    ``s[-1] // 2 + 1`` non-negative frequencies (``numpy.fft.rfftn``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.fft.rfftn(jnp.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).shape
        (2, 2)
    """
    out: Array = _fftn_core("rfftn", "RFFT", a, s, axes, norm)
    return out


def irfftn(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] | None = None, norm: str | None = None) -> Array:
    """The inverse of :func:`rfftn`: a real array of shape ``s`` over ``axes``
    (the last defaults to ``2 * (m - 1)``) (``numpy.fft.irfftn``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> x = jnp.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        >>> jnp.fft.irfftn(jnp.fft.rfftn(x), s=x.shape).tolist()
        [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    """
    out: Array = _fftn_core("irfftn", "IRFFT", a, s, axes, norm)
    return out


def fft2(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1), norm: str | None = None) -> Array:
    """:func:`fftn` over the last two axes by default (``numpy.fft.fft2``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.fft.fft2(jnp.ones((2, 2))).tolist()
        [[(4+0j), 0j], [0j, 0j]]
    """
    out: Array = _fftn_core("fft2", "FFT", a, s, axes, norm)
    return out


def ifft2(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1), norm: str | None = None) -> Array:
    """:func:`ifftn` over the last two axes by default (``numpy.fft.ifft2``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.fft.ifft2(jnp.array([[4.0, 0.0], [0.0, 0.0]])).tolist()
        [[(1+0j), (1+0j)], [(1+0j), (1+0j)]]
    """
    out: Array = _fftn_core("ifft2", "IFFT", a, s, axes, norm)
    return out


def rfft2(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1), norm: str | None = None) -> Array:
    """:func:`rfftn` over the last two axes by default (``numpy.fft.rfft2``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.fft.rfft2(jnp.ones((2, 4))).shape
        (2, 3)
    """
    out: Array = _fftn_core("rfft2", "RFFT", a, s, axes, norm)
    return out


def irfft2(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1), norm: str | None = None) -> Array:
    """:func:`irfftn` over the last two axes by default (``numpy.fft.irfft2``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.fft.irfft2(jnp.fft.rfft2(jnp.ones((2, 4)))).tolist()
        [[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]]
    """
    out: Array = _fftn_core("irfft2", "IRFFT", a, s, axes, norm)
    return out


# --- frequencies and shifts -------------------------------------------------------------------


def _freq_args(name: str, n: Any, d: Any, dtype: Any) -> tuple[int, np.dtype[Any], np.dtype[Any]]:
    if isinstance(n, (list, tuple)):
        raise ValueError(f"{name}: n takes an int (the window length), got {list(n)}")
    if isinstance(d, (list, tuple)):
        raise ValueError(f"{name}: d takes a single value (the sample spacing), got {list(d)}")
    try:
        count = operator.index(n)
    except TypeError:
        raise TypeError(f"{name}: n must be an integer, got {n!r}") from None
    if count <= 0:
        raise ValueError(f"{name}: n must be positive (the window length), got {count}")
    out_dt = dtypes.default_float_dtype() if dtype is None else dtypes.requested(dtype, name)
    # computed in the real floating dtype of the request, then cast to it (JAX)
    calc = dtypes.real_dtype(out_dt) if out_dt.kind in "fc" else dtypes.default_float_dtype()
    return count, out_dt, calc


def _freqs(k: np.ndarray[Any, Any], n: int, d: Any, out_dt: np.dtype[Any], calc: np.dtype[Any]) -> Any:
    num = from_numpy(k.astype(calc))
    den = asarray(d)
    if isinstance(d, (bool, int, float, np.number)) and not isinstance(d, complex):
        den = from_numpy(np.asarray(float(d) * n, calc))
    else:
        den = convert(multiply(den, n), calc)
    return convert(divide(num, den), out_dt)


def fftfreq(n: int, d: Any = 1.0, *, dtype: Any = None, device: Any = None) -> Array:
    """The sample frequencies of :func:`fft`'s bins for a window of ``n`` samples
    spaced ``d`` apart: ``[0, 1, ..., n//2 - 1 (or (n-1)//2), -(n//2), ..., -1] / (d * n)``
    (``jax.numpy.fft.fftfreq``: default float dtype, or ``dtype``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.fft.fftfreq(4, d=0.5).tolist()
        [0.0, 0.5, -1.0, -0.5]
    """
    check_device(device)
    count, out_dt, calc = _freq_args("fftfreq", n, d, dtype)
    i = np.arange(count)
    out: Array = _freqs((i + count // 2) % count - count // 2, count, d, out_dt, calc)
    return out


def rfftfreq(n: int, d: Any = 1.0, *, dtype: Any = None, device: Any = None) -> Array:
    """The sample frequencies of :func:`rfft`'s ``n // 2 + 1`` bins
    (``jax.numpy.fft.rfftfreq``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.fft.rfftfreq(5).tolist()
        [0.0, 0.20000000298023224, 0.4000000059604645]
    """
    check_device(device)
    count, out_dt, calc = _freq_args("rfftfreq", n, d, dtype)
    out: Array = _freqs(np.arange(count // 2 + 1), count, d, out_dt, calc)
    return out


def _shift(name: str, x: Any, axes: Any, sign: int) -> Any:
    check_arraylike(name, x)
    a = asarray(x)
    if axes is None:
        ax: tuple[int, ...] = tuple(range(a.ndim))
    elif isinstance(axes, (int, np.integer)):
        ax = (_norm_axis(name, axes, a.ndim),)
    else:
        ax = tuple(_norm_axis(name, v, a.ndim) for v in axes)
    if not ax:
        return a
    return roll(a, tuple(sign * (a.shape[i] // 2) for i in ax), ax)


def fftshift(x: Any, axes: int | Sequence[int] | None = None) -> Array:
    """Move the zero frequency to the centre: roll each of ``axes`` (all by
    default) by half its length (``numpy.fft.fftshift``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.fft.fftshift(jnp.fft.fftfreq(5) * 5).tolist()
        [-2.0, -1.0, 0.0, 1.0, 2.0]
    """
    out: Array = _shift("fftshift", x, axes, 1)
    return out


def ifftshift(x: Any, axes: int | Sequence[int] | None = None) -> Array:
    """The inverse of :func:`fftshift` (they differ for odd lengths)
    (``numpy.fft.ifftshift``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.fft.ifftshift(jnp.array([-2.0, -1.0, 0.0, 1.0, 2.0])).tolist()
        [0.0, 1.0, 2.0, -2.0, -1.0]
    """
    out: Array = _shift("ifftshift", x, axes, -1)
    return out

