"""``debug_print``: a side-effecting primitive that prints runtime values.

It has no outputs, so it is marked ``effectful`` and the compiler never
removes or merges it.  Under vmap it prints the batched values; under
differentiation it prints primal values and contributes nothing.

Example:
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite.ops.debug import debug_print_p
    >>> debug_print_p.bind(jnp.arange(2), fmt="x={}")
    x=[0 1]
    []
"""

from __future__ import annotations

from typing import Any

import numpy as np

from functorch_lite.array import Array
from functorch_lite.core import Primitive, ShapedArray

debug_print_p = Primitive("debug_print", multiple_results=True)
debug_print_p.nondifferentiable = True
debug_print_p.effectful = True


def _impl(*args: Array, fmt: str) -> list[Any]:
    print(fmt.format(*[np.asarray(a) for a in args]))
    return []


def _abstract(*args: ShapedArray, fmt: str) -> list[ShapedArray]:
    return []


def _batch(vals: Any, dims: Any, *, axis_size: int, fmt: str) -> Any:
    debug_print_p.bind(*vals, fmt=fmt)
    return [], []


debug_print_p.impl = _impl
debug_print_p.abstract_eval = _abstract
debug_print_p.batch = _batch
debug_print_p.jvp = lambda primals, tangents, *, fmt: (debug_print_p.bind(*primals, fmt=fmt), [])
debug_print_p.vjp = ()
