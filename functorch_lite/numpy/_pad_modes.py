"""``jnp.pad``: the constant mode is the ``pad`` primitive; the other modes are
built from slices, flips and concatenation."""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from functorch_lite.array import Array
from functorch_lite.numpy._manipulation import concatenate, flip
from functorch_lite.numpy._util import ArrayOrTracer, asarray, convert
from functorch_lite.ops import shape_ops as so

__all__ = ["pad"]

_MODES = ("edge", "wrap", "reflect", "symmetric")


def _take_slice(x: ArrayOrTracer, axis: int, start: int, stop: int) -> Any:
    idx = [slice(None)] * x.ndim
    idx[axis] = slice(start, stop)
    return x[tuple(idx)]


def _side(x: ArrayOrTracer, axis: int, width: int, mode: str, before: bool) -> Any:
    n = x.shape[axis]
    if mode == "edge":
        edge = _take_slice(x, axis, 0, 1) if before else _take_slice(x, axis, n - 1, n)
        return concatenate([edge] * width, axis=axis)
    if mode == "wrap":
        parts = []
        need = width
        while need > 0:
            k = min(need, n)
            parts.append(_take_slice(x, axis, n - k, n) if before else _take_slice(x, axis, 0, k))
            need -= k
        return concatenate(parts[::-1] if before else parts, axis=axis)
    # reflect excludes the edge element, symmetric repeats it
    if mode == "reflect" and n == 1:
        return concatenate([x] * width, axis=axis)
    # alternate flipped / unflipped copies outward from the edge
    pieces = []
    cur = x
    need = width
    while need > 0:
        cur_flip = flip(cur, axis)
        if mode == "reflect":
            seg = _take_slice(cur_flip, axis, 0, n - 1) if before else _take_slice(cur_flip, axis, 1, n)
        else:
            seg = cur_flip
        m = seg.shape[axis]
        k = min(need, m)
        pieces.append(_take_slice(seg, axis, m - k, m) if before else _take_slice(seg, axis, 0, k))
        need -= k
        cur = cur_flip
    return concatenate(pieces[::-1] if before else pieces, axis=axis)


def pad_mode(x: ArrayOrTracer, widths: list[tuple[int, int]], mode: str) -> Array:
    if mode not in _MODES:
        raise ValueError(f"pad: mode {mode!r} is not supported; use 'constant' or one of {_MODES}")
    out = x
    for axis, (lo, hi) in enumerate(widths):
        if lo == 0 and hi == 0:
            continue
        if out.shape[axis] == 0:
            raise ValueError(f"pad: mode {mode!r} cannot pad the empty axis {axis} of shape {out.shape}")
        parts = []
        if lo:
            parts.append(_side(out, axis, lo, mode, True))
        parts.append(out)
        if hi:
            parts.append(_side(out, axis, hi, mode, False))
        out = concatenate(parts, axis=axis)
    return cast(Array, out)


def _pad_widths(pad_width: Any, ndim: int) -> list[tuple[int, int]]:
    try:
        raw = np.asarray(pad_width.tolist() if hasattr(pad_width, "tolist") else pad_width)
    except ValueError:
        raise ValueError(f"pad: pad_width {pad_width!r} is not a rectangular set of integers") from None
    if raw.dtype.kind not in "iu":  # NumPy's rule: float widths are refused, not truncated
        raise TypeError(f"pad: pad_width must be integers, got {pad_width!r} (dtype {raw.dtype})")
    try:
        w = np.broadcast_to(np.asarray(pad_width, dtype=np.int64).reshape(-1, 2) if np.ndim(pad_width) == 2
                            else np.asarray(pad_width, dtype=np.int64), (ndim, 2))
    except ValueError:
        raise ValueError(f"pad: pad_width {pad_width!r} does not fit an array of {ndim} dimensions") from None
    if (w < 0).any():
        raise ValueError(f"pad: pad widths must be non-negative, got {pad_width!r}")
    return [(int(a), int(b)) for a, b in w]


def pad(array: Any, pad_width: Any, mode: str = "constant", constant_values: Any = 0) -> Array:
    """Pad an array (NumPy's ``pad``); ``mode="constant"`` fills with ``constant_values``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.pad(jnp.array([1, 2]), (1, 2)).tolist()
        [0, 1, 2, 0, 0]
    """
    x = asarray(array)
    widths = _pad_widths(pad_width, x.ndim)
    if mode != "constant":
        return pad_mode(x, widths, mode)
    if x.ndim == 0:
        return cast(Array, x)
    v = convert(asarray(constant_values), x.dtype, False)
    if v.ndim != 0:
        raise ValueError("pad: constant_values must be a scalar")
    out: Array = so.pad_p.bind(x, v, padding_config=tuple((lo, hi, 0) for lo, hi in widths))
    return out
