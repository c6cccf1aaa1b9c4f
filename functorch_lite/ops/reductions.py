"""Reduction primitives over a tuple of axes (``axes`` is sorted, distinct).

``reduce_sum``/``reduce_prod``/``reduce_max``/``reduce_min``/``reduce_and``/
``reduce_or`` keep the operand dtype; ``argmax``/``argmin`` reduce one axis to
``index_dtype``.  ``keepdims`` is the API's business (an ``expand_dims``).

Example:
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite.ops.reductions import reduce_sum_p
    >>> reduce_sum_p.bind(jnp.ones((2, 3)), axes=(1,)).tolist()
    [3.0, 3.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from functorch_lite.array import Array
from functorch_lite.core import Primitive, ShapedArray
from functorch_lite.ops.kernels import reductions as k

REDUCTIONS: dict[str, Primitive] = {}


def _reduced_shape(name: str, x: ShapedArray, axes: tuple[int, ...]) -> tuple[int, ...]:
    if any(not 0 <= a < x.ndim for a in axes) or len(set(axes)) != len(axes):
        raise ValueError(f"{name}: axes {axes} out of range or repeated for {x.str_short()}")
    return tuple(d for i, d in enumerate(x.shape) if i not in axes)


def reducer(name: str, kernel: Any, kinds: str, identity_needed: bool = False) -> Primitive:
    p = Primitive(name)

    def abstract_eval(x: ShapedArray, *, axes: tuple[int, ...]) -> ShapedArray:
        if x.dtype.kind not in kinds:
            raise TypeError(f"{name}: unsupported dtype {x.dtype}")
        shape = _reduced_shape(name, x, axes)
        if identity_needed and any(x.shape[a] == 0 for a in axes):
            raise ValueError(
                f"{name}: zero-size axis in {x.str_short()} along axes {axes} has no "
                "identity; pass initial=... or use a non-empty array"
            )
        return ShapedArray(shape, x.dtype, x.weak_type)

    def impl(x: Array, *, axes: tuple[int, ...]) -> Array:
        aval = abstract_eval(ShapedArray(x.shape, x.dtype, x.weak_type), axes=axes)
        out = np.asarray(kernel(x._numpy(), axes))
        if out.dtype != x.dtype:
            out = out.astype(x.dtype)
        return Array._wrap(out.reshape(aval.shape), x.weak_type)

    p.impl = impl
    p.abstract_eval = abstract_eval
    REDUCTIONS[name] = p
    return p


reduce_sum_p = reducer("reduce_sum", k.sum_, "iuf")
reduce_prod_p = reducer("reduce_prod", k.prod, "iuf")
reduce_max_p = reducer("reduce_max", k.max_, "biuf", identity_needed=True)
reduce_min_p = reducer("reduce_min", k.min_, "biuf", identity_needed=True)
reduce_and_p = reducer("reduce_and", k.all_, "b")
reduce_or_p = reducer("reduce_or", k.any_, "b")
reduce_and_p.nondifferentiable = True
reduce_or_p.nondifferentiable = True


def _arg_reducer(name: str, kernel: Any) -> Primitive:
    p = Primitive(name)

    def abstract_eval(x: ShapedArray, *, axes: tuple[int, ...], index_dtype: np.dtype[Any]) -> ShapedArray:
        if len(axes) != 1:
            raise ValueError(f"{name} reduces exactly one axis, got {axes}")
        shape = _reduced_shape(name, x, axes)
        if x.shape[axes[0]] == 0:
            raise ValueError(f"{name}: attempt to get {name} of an empty sequence ({x.str_short()}, axis {axes[0]})")
        return ShapedArray(shape, index_dtype, False)

    def impl(x: Array, *, axes: tuple[int, ...], index_dtype: np.dtype[Any]) -> Array:
        abstract_eval(ShapedArray(x.shape, x.dtype), axes=axes, index_dtype=index_dtype)
        return Array._wrap(np.asarray(kernel(x._numpy(), axes[0])).astype(index_dtype))

    p.impl = impl
    p.abstract_eval = abstract_eval
    p.nondifferentiable = True
    REDUCTIONS[name] = p
    return p


argmax_p = _arg_reducer("argmax", k.argmax)
argmin_p = _arg_reducer("argmin", k.argmin)
