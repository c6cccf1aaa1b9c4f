"""``lax.fft`` and ``lax.FftType``: the ``fft`` primitive as ``jax.lax.fft`` calls it.

The trailing ``len(fft_lengths)`` axes are transformed, unnormalised forward
and ``1/n``-normalised inverse (see ``functorch_lite/ops/fft.py``).  As in
JAX the operand is converted first: to the complex of its precision for
``FFT``/``IFFT``/``IRFFT``, to its floating dtype for ``RFFT`` (a complex
operand is a ``ValueError`` there), and empty ``fft_lengths`` return the
converted operand.

Example:
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite import lax
    >>> lax.fft(jnp.array([1.0, 2.0, 3.0, 4.0]), "RFFT", (4,)).tolist()
    [(10+0j), (-2+2j), (-2+0j)]
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any, cast

from functorch_lite import dtypes
from functorch_lite.array import Array
from functorch_lite.numpy._util import asarray, convert
from functorch_lite.ops.fft import FFT_TYPES, FftType, fft_p

__all__ = ["fft", "FftType"]


def _type_name(fft_type: Any) -> str:
    if isinstance(fft_type, FftType):
        return fft_type.name
    if isinstance(fft_type, str) and fft_type.upper() in FFT_TYPES:
        return fft_type.upper()
    raise ValueError(f"lax.fft: unknown FFT type {fft_type!r}; use lax.FftType or one of {list(FFT_TYPES)}")


def fft(x: Any, fft_type: FftType | str, fft_lengths: Sequence[int]) -> Array:
    """The discrete Fourier transform of ``x``'s trailing ``len(fft_lengths)``
    axes (``jax.lax.fft``): ``fft_type`` is a :class:`FftType` or its name.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> fft(jnp.array([[1.0, 1.0], [1.0, 1.0]]), FftType.FFT, (2, 2)).tolist()
        [[(4+0j), 0j], [0j, 0j]]
    """
    kind = _type_name(fft_type)
    try:
        lengths = tuple(operator.index(n) for n in fft_lengths)
    except TypeError:
        raise TypeError(f"lax.fft: fft_lengths must be a sequence of ints, got {fft_lengths!r}") from None
    a = asarray(x)
    if kind == "RFFT":
        if a.dtype.kind == "c":
            raise ValueError(f"lax.fft: RFFT takes real input, got {a.dtype}; use FFT for complex input")
        if a.dtype.kind != "f":
            a = convert(a, dtypes.default_float_dtype())
    elif a.dtype.kind != "c":
        a = convert(a, dtypes.to_complex(a.dtype))
    if not lengths:
        return cast(Array, a)
    out: Array = fft_p.bind(a, fft_type=kind, fft_lengths=lengths)
    return out
