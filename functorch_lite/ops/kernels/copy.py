"""Copy kernels: strided-to-contiguous copies and padding.

A strided copy is a memory-bound loop that NumPy's copy already runs at
memory speed in memory order, so these use it (see benchmarks/RESULTS.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def contiguous(x: np.ndarray[Any, Any], force: bool = False) -> np.ndarray[Any, Any]:
    """A C-contiguous array with x's values; a fresh buffer when ``force``."""
    if force or not x.flags.c_contiguous:
        return np.array(x, order="C", copy=True)
    return x


def pad(
    x: np.ndarray[Any, Any],
    value: np.ndarray[Any, Any],
    config: tuple[tuple[int, int, int], ...],
    out_shape: tuple[int, ...],
) -> np.ndarray[Any, Any]:
    """Constant padding with (low, high, interior) per axis; negative low/high crop."""
    out = np.empty(out_shape, x.dtype)
    out[...] = value
    dst = []
    src = []
    for d, (lo, hi, interior) in zip(x.shape, config):
        step = interior + 1
        # position of source element i in the output: lo + i*step
        first = 0 if lo >= 0 else (-lo + step - 1) // step
        last = d - 1
        n_out = lo + hi + d + max(0, d - 1) * interior
        while last >= first and lo + last * step >= n_out:
            last -= 1
        if last < first:
            return out
        src.append(slice(first, last + 1))
        dst.append(slice(lo + first * step, lo + last * step + 1, step))
    out[tuple(dst)] = x[tuple(src)]
    return out
