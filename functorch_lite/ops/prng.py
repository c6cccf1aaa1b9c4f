"""The PRNG primitive: ``threefry2x32``, the counter-based hash behind
:mod:`functorch_lite.random`.

``threefry2x32(key0, key1, count0, count1) -> [out0, out1]`` applies the
Threefry-2x32 block cipher (20 rounds, as Random123 and JAX) elementwise: the
pair ``(count0, count1)`` is encrypted under the key ``(key0, key1)``.  All
four operands are uint32 arrays of one shape (JAX's key words), and so are
the outputs.  Four int32 operands are accepted too, read as the bit patterns
of uint32 words, with int32 outputs: programs exported before the library had
uint32 stage the op that way, and still load and run.  Broadcasting happens in
the caller, as for every elementwise primitive, usually as stride-0 views that
the kernel reads in place.  Being elementwise keeps every rule trivial: vmap
over a batch of keys gives independent streams, and the outputs are
integers, so the op has no derivative.

Example:
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite.ops.prng import threefry2x32_p
    >>> z = jnp.zeros(1, dtype=jnp.uint32)
    >>> [hex(int(w[0])) for w in threefry2x32_p.bind(z, z, z, z)]
    ['0x6b200159', '0x99ba4efe']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from functorch_lite.array import Array
from functorch_lite.core import Primitive, ShapedArray
from functorch_lite.ops import _rules as r
from functorch_lite.ops.kernels import prng as k
from functorch_lite.ops.tables import batch_rules

_WORD_DTYPES = (np.dtype(np.uint32), np.dtype(np.int32))  # int32: uint32 bit patterns (older programs)
_NAMES = ("key0", "key1", "count0", "count1")

threefry2x32_p = Primitive("threefry2x32", multiple_results=True)
threefry2x32_p.nondifferentiable = True


def _threefry_abstract(k0: ShapedArray, k1: ShapedArray, x0: ShapedArray, x1: ShapedArray) -> list[ShapedArray]:
    avals = (k0, k1, x0, x1)
    dt = x0.dtype
    if dt not in _WORD_DTYPES or any(a.dtype != dt or a.shape != x0.shape for a in avals):
        got = ", ".join(f"{n}={a.str_short()}" for n, a in zip(_NAMES, avals))
        raise TypeError(
            "threefry2x32: expects four uint32 arrays of one shape (or four int32 arrays holding "
            f"uint32 bit patterns), got {got}; convert the words to uint32 and broadcast the key "
            "words to the counters' shape first (functorch_lite.random does this for you)"
        )
    out = ShapedArray(x0.shape, dt)
    return [out, out]


def _threefry_impl(k0: Array, k1: Array, x0: Array, x1: Array) -> list[Array]:
    ops = (k0, k1, x0, x1)
    shape = x0._shape
    dt = x0._dtype
    if dt not in _WORD_DTYPES or any(a._dtype != dt or a._shape != shape for a in ops):
        _threefry_abstract(*(ShapedArray(a.shape, a.dtype) for a in ops))
    y0, y1 = k.threefry2x32([(a._storage._data, a._offset, a._strides) for a in ops], shape, dt)
    return [Array._wrap(y0), Array._wrap(y1)]


def _threefry_batch(vals: Sequence[Any], dims: Sequence[int | None], *, axis_size: int) -> tuple[Any, list[int]]:
    """Elementwise: align the batch axes (a batch of keys gives a batch of
    independent streams); unbatched operands become stride-0 broadcasts."""
    batched = {d for d in dims if d is not None}
    if len(batched) == 1 and None not in dims:
        d = batched.pop()
        return threefry2x32_p.bind(*vals), [d, d]
    xs = [r.bdim_to_front(v, d, axis_size) for v, d in zip(vals, dims)]
    return threefry2x32_p.bind(*xs), [0, 0]


threefry2x32_p.impl = _threefry_impl
threefry2x32_p.abstract_eval = _threefry_abstract
batch_rules[threefry2x32_p] = _threefry_batch
