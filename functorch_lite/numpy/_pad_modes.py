"""Non-constant ``jnp.pad`` modes built from slices, flips and concatenation."""

from __future__ import annotations

from typing import Any

from functorch_lite.numpy._util import ArrayOrTracer

_MODES = ("edge", "wrap", "reflect", "symmetric")


def _take_slice(x: ArrayOrTracer, axis: int, start: int, stop: int) -> Any:
    idx = [slice(None)] * x.ndim
    idx[axis] = slice(start, stop)
    return x[tuple(idx)]


def _side(x: ArrayOrTracer, axis: int, width: int, mode: str, before: bool) -> Any:
    from functorch_lite.numpy._manipulation import concatenate, flip

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


def pad_mode(x: ArrayOrTracer, widths: list[tuple[int, int]], mode: str) -> Any:
    from functorch_lite.numpy._manipulation import concatenate

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
    return out
