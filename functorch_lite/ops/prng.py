"""The PRNG primitive: ``threefry2x32``, the counter-based hash behind
:mod:`functorch_lite.random`.

``threefry2x32(key0, key1, count0, count1) -> [out0, out1]`` applies the
Threefry-2x32 block cipher (20 rounds, as Random123 and JAX) elementwise: the
pair ``(count0, count1)`` is encrypted under the key ``(key0, key1)``.  All
four operands are int32 arrays of one shape, holding the bit patterns of
uint32 words (the library has no uint32 dtype); broadcasting happens in the
caller, as for every elementwise primitive, usually as stride-0 views that
the kernel reads in place.  Being elementwise keeps every rule trivial:
vmap over a batch of keys gives independent streams, and the outputs are
integers, so the op has no derivative.

Example:
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite.ops.prng import threefry2x32_p
    >>> z = jnp.zeros(1, dtype=jnp.int32)
    >>> [hex(int(w[0]) & 0xFFFFFFFF) for w in threefry2x32_p.bind(z, z, z, z)]
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

_INT32 = np.dtype(np.int32)
_NAMES = ("key0", "key1", "count0", "count1")

threefry2x32_p = Primitive("threefry2x32", multiple_results=True)
threefry2x32_p.nondifferentiable = True


def _threefry_abstract(k0: ShapedArray, k1: ShapedArray, x0: ShapedArray, x1: ShapedArray) -> list[ShapedArray]:
    avals = (k0, k1, x0, x1)
    if any(a.dtype != _INT32 for a in avals) or any(a.shape != x0.shape for a in avals):
        got = ", ".join(f"{n}={a.str_short()}" for n, a in zip(_NAMES, avals))
        raise TypeError(
            "threefry2x32: expects four int32 arrays of one shape (uint32 words as int32 bit "
            f"patterns), got {got}; broadcast the key words to the counters' shape first "
            "(functorch_lite.random does this for you)"
        )
    out = ShapedArray(x0.shape, _INT32)
    return [out, out]


def _threefry_impl(k0: Array, k1: Array, x0: Array, x1: Array) -> list[Array]:
    ops = (k0, k1, x0, x1)
    shape = x0._shape
    if any(a._dtype != _INT32 or a._shape != shape for a in ops):
        _threefry_abstract(*(ShapedArray(a.shape, a.dtype) for a in ops))
    y0, y1 = k.threefry2x32([(a._storage._data, a._offset, a._strides) for a in ops], shape)
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
