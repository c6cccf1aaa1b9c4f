"""Threefry-2x32 kernel: Random123's counter-based block cipher, 20 rounds.

``threefry2x32(key0, key1, count0, count1)`` encrypts the 64-bit counter
``(count0, count1)`` under the 64-bit key ``(key0, key1)``, elementwise, and
returns the two 32-bit output words (Salmon et al., "Parallel random
numbers: as easy as 1, 2, 3", SC 2011; the same function as JAX's
``threefry2x32_p``).  Words are uint32; the wrapper also takes int32
buffers (uint32 bit patterns, from programs exported before the library had
uint32) and the kernel reads every buffer through ``.view(np.uint32)`` -- a
reinterpretation, not a copy -- so one compiled variant serves both.

Every operand is read in place through its strides (keys are usually
stride-0 broadcasts of one word, counters a dense iota): the wrapper permutes
the axes into the memory order of the first operand that is not a
broadcast, merges axes where every operand allows it, and the kernel walks
runs of ``inner`` elements.  One compiled variant serves every rank and
layout.  The output is dense, laid out in that memory order.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from functorch_lite.ops.kernels._njit import njit_cached
from functorch_lite.ops.kernels.indexing import collapse, outer_offsets

# one operand: (flat uint32 or int32 storage buffer, element offset, element strides)
Operand = tuple[np.ndarray[Any, Any], int, tuple[int, ...]]

_UINT32 = np.dtype(np.uint32)


@njit_cached()
def _block(k0: Any, k1: Any, x0: Any, x1: Any) -> tuple[Any, Any]:  # pragma: no cover - compiled
    """One Threefry-2x32-20 block on uint32 words: 5 groups of 4 rounds (add,
    rotate left by 13 15 26 6, then 17 29 16 24; xor), a key injection after
    each group.  Written out in full: straight-line code inlines into the
    kernel's loop and vectorises (rotations become rotate instructions)."""
    k2 = np.uint32(k0 ^ k1 ^ np.uint32(0x1BD11BDA))
    x0 = np.uint32(x0 + k0)
    x1 = np.uint32(x1 + k1)
    x0 = np.uint32(x0 + x1)
    x1 = np.uint32(np.uint32(x1 << np.uint32(13)) | np.uint32(x1 >> np.uint32(19))) ^ x0
    x0 = np.uint32(x0 + x1)
    x1 = np.uint32(np.uint32(x1 << np.uint32(15)) | np.uint32(x1 >> np.uint32(17))) ^ x0
    x0 = np.uint32(x0 + x1)
    x1 = np.uint32(np.uint32(x1 << np.uint32(26)) | np.uint32(x1 >> np.uint32(6))) ^ x0
    x0 = np.uint32(x0 + x1)
    x1 = np.uint32(np.uint32(x1 << np.uint32(6)) | np.uint32(x1 >> np.uint32(26))) ^ x0
    x0 = np.uint32(x0 + k1)
    x1 = np.uint32(x1 + k2 + np.uint32(1))
    x0 = np.uint32(x0 + x1)
    x1 = np.uint32(np.uint32(x1 << np.uint32(17)) | np.uint32(x1 >> np.uint32(15))) ^ x0
    x0 = np.uint32(x0 + x1)
    x1 = np.uint32(np.uint32(x1 << np.uint32(29)) | np.uint32(x1 >> np.uint32(3))) ^ x0
    x0 = np.uint32(x0 + x1)
    x1 = np.uint32(np.uint32(x1 << np.uint32(16)) | np.uint32(x1 >> np.uint32(16))) ^ x0
    x0 = np.uint32(x0 + x1)
    x1 = np.uint32(np.uint32(x1 << np.uint32(24)) | np.uint32(x1 >> np.uint32(8))) ^ x0
    x0 = np.uint32(x0 + k2)
    x1 = np.uint32(x1 + k0 + np.uint32(2))
    x0 = np.uint32(x0 + x1)
    x1 = np.uint32(np.uint32(x1 << np.uint32(13)) | np.uint32(x1 >> np.uint32(19))) ^ x0
    x0 = np.uint32(x0 + x1)
    x1 = np.uint32(np.uint32(x1 << np.uint32(15)) | np.uint32(x1 >> np.uint32(17))) ^ x0
    x0 = np.uint32(x0 + x1)
    x1 = np.uint32(np.uint32(x1 << np.uint32(26)) | np.uint32(x1 >> np.uint32(6))) ^ x0
    x0 = np.uint32(x0 + x1)
    x1 = np.uint32(np.uint32(x1 << np.uint32(6)) | np.uint32(x1 >> np.uint32(26))) ^ x0
    x0 = np.uint32(x0 + k0)
    x1 = np.uint32(x1 + k1 + np.uint32(3))
    x0 = np.uint32(x0 + x1)
    x1 = np.uint32(np.uint32(x1 << np.uint32(17)) | np.uint32(x1 >> np.uint32(15))) ^ x0
    x0 = np.uint32(x0 + x1)
    x1 = np.uint32(np.uint32(x1 << np.uint32(29)) | np.uint32(x1 >> np.uint32(3))) ^ x0
    x0 = np.uint32(x0 + x1)
    x1 = np.uint32(np.uint32(x1 << np.uint32(16)) | np.uint32(x1 >> np.uint32(16))) ^ x0
    x0 = np.uint32(x0 + x1)
    x1 = np.uint32(np.uint32(x1 << np.uint32(24)) | np.uint32(x1 >> np.uint32(8))) ^ x0
    x0 = np.uint32(x0 + k1)
    x1 = np.uint32(x1 + k2 + np.uint32(4))
    x0 = np.uint32(x0 + x1)
    x1 = np.uint32(np.uint32(x1 << np.uint32(13)) | np.uint32(x1 >> np.uint32(19))) ^ x0
    x0 = np.uint32(x0 + x1)
    x1 = np.uint32(np.uint32(x1 << np.uint32(15)) | np.uint32(x1 >> np.uint32(17))) ^ x0
    x0 = np.uint32(x0 + x1)
    x1 = np.uint32(np.uint32(x1 << np.uint32(26)) | np.uint32(x1 >> np.uint32(6))) ^ x0
    x0 = np.uint32(x0 + x1)
    x1 = np.uint32(np.uint32(x1 << np.uint32(6)) | np.uint32(x1 >> np.uint32(26))) ^ x0
    x0 = np.uint32(x0 + k2)
    x1 = np.uint32(x1 + k0 + np.uint32(5))
    return x0, x1


@njit_cached()
def _threefry_kernel(k0: Any, k1: Any, x0: Any, x1: Any, offs: Any, strides: Any, inner: int,
                     out0: Any, out1: Any) -> None:  # pragma: no cover - compiled
    """``offs[j, m]``: start of run ``m`` in operand ``j``; ``strides[j]``: its
    stride within a run.  The outputs are written densely, run after run."""
    sa = strides[0]
    sb = strides[1]
    sc = strides[2]
    sd = strides[3]
    dst = 0
    for m in range(offs.shape[1]):
        a = offs[0, m]
        b = offs[1, m]
        c = offs[2, m]
        d = offs[3, m]
        if sa == 0 and sb == 0 and sc == 0 and sd == 1:
            # one key and one high counter word per run, dense low words: what
            # random_bits/split/uniform produce (also per key under vmap); vectorises
            ka = k0[a]
            kb = k1[b]
            xc = x0[c]
            for i in range(inner):
                y0, y1 = _block(ka, kb, xc, x1[d + i])
                out0[dst + i] = y0
                out1[dst + i] = y1
        else:
            for i in range(inner):
                y0, y1 = _block(k0[a + i * sa], k1[b + i * sb], x0[c + i * sc], x1[d + i * sd])
                out0[dst + i] = y0
                out1[dst + i] = y1
        dst += inner


def _memory_order(shape: tuple[int, ...], operands: list[Operand]) -> list[int]:
    """Axes ordered as the first non-broadcast operand lays them out in memory."""
    for _, _, st in operands:
        if any(s != 0 and d > 1 for s, d in zip(st, shape)):
            return sorted(range(len(shape)), key=lambda i: (-abs(st[i]), i))
    return list(range(len(shape)))


def threefry2x32(operands: list[Operand], shape: tuple[int, ...],
                 dtype: np.dtype[Any] = _UINT32) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Threefry-2x32 of four equal-shaped operands of 32-bit words (key0, key1,
    count0, count1), each given as (flat storage buffer, offset, strides) and
    read in place.  Returns the two output words as fresh dense arrays of
    ``shape`` and ``dtype`` (uint32, or int32 for the bit patterns; laid out
    in the operands' memory order)."""
    n = math.prod(shape)
    if n == 0:
        return np.empty(shape, dtype), np.empty(shape, dtype)
    perm = _memory_order(shape, operands)
    pshape = tuple(shape[i] for i in perm)
    pstrides = [tuple(st[i] for i in perm) for _, _, st in operands]
    outer, inner, inner_strides = collapse(pshape, *pstrides)
    offs = np.empty((4, max(1, math.prod(d for d, _ in outer))), np.int64)
    for j, (_, off, _) in enumerate(operands):
        offs[j] = outer_offsets(outer, j) + off
    out0 = np.empty(n, dtype)
    out1 = np.empty(n, dtype)
    bufs = [buf.view(np.uint32) for buf, _, _ in operands]
    _threefry_kernel(bufs[0], bufs[1], bufs[2], bufs[3], offs, np.asarray(inner_strides, np.int64), inner,
                     out0.view(np.uint32), out1.view(np.uint32))
    inv = np.argsort(perm)
    return out0.reshape(pshape).transpose(inv), out1.reshape(pshape).transpose(inv)
