"""Registry entries for reductions."""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st
import numpy as np

import functorch_lite.numpy as jnp
from functorch_lite import dtypes
from tests.registry import OpEntry, register
from tests.strategies import ALL_DTYPES, FLOATS, NUMERIC, np_arrays, shapes, sum_dtype


def _axis_inputs(dts: tuple[np.dtype[Any], ...], min_side: int = 0, lo: float | None = None,
                 hi: float | None = None) -> Any:
    def draw_inputs(data: Any) -> list[np.ndarray[Any, Any]]:
        dt = data.draw(st.sampled_from(dts))
        return [data.draw(np_arrays(dt, data.draw(shapes(1, 3, min_side)), lo, hi))]

    return draw_inputs


def _acc(x: np.ndarray[Any, Any]) -> np.dtype[Any]:
    return sum_dtype(x.dtype)


def _float(x: np.ndarray[Any, Any]) -> np.dtype[Any]:
    return x.dtype if x.dtype.kind == "f" else dtypes.default_float_dtype()


# axis variants: all axes, the last axis with keepdims, the first two axes
_AXES: list[tuple[str, Any, bool]] = [("all", None, False), ("last_keep", -1, True), ("lead", (0,), False)]

for _suffix, _axis, _keep in _AXES:
    register(OpEntry(f"sum_{_suffix}", lambda x, a=_axis, k=_keep: jnp.sum(x, axis=a, keepdims=k),
                     lambda x, a=_axis, k=_keep: np.sum(x.astype(_acc(x)), axis=a, keepdims=k).astype(_acc(x)),
                     _axis_inputs(ALL_DTYPES),
                     ("reduce_sum", "convert_element_type") + (("expand_dims",) if _keep else ()),
                     rtol=1e-4, atol=1e-4))
    register(OpEntry(f"prod_{_suffix}", lambda x, a=_axis, k=_keep: jnp.prod(x, axis=a, keepdims=k),
                     lambda x, a=_axis, k=_keep: np.prod(x.astype(_acc(x)), axis=a, keepdims=k).astype(_acc(x)),
                     _axis_inputs(NUMERIC, lo=-2, hi=2), ("reduce_prod",), rtol=1e-4, atol=1e-4))
    register(OpEntry(f"max_{_suffix}", lambda x, a=_axis, k=_keep: jnp.max(x, axis=a, keepdims=k),
                     lambda x, a=_axis, k=_keep: np.max(x, axis=a, keepdims=k),
                     _axis_inputs(ALL_DTYPES, 1), ("reduce_max",)))
    register(OpEntry(f"min_{_suffix}", lambda x, a=_axis, k=_keep: jnp.min(x, axis=a, keepdims=k),
                     lambda x, a=_axis, k=_keep: np.min(x, axis=a, keepdims=k),
                     _axis_inputs(ALL_DTYPES, 1), ("reduce_min",)))
    register(OpEntry(f"mean_{_suffix}", lambda x, a=_axis, k=_keep: jnp.mean(x, axis=a, keepdims=k),
                     lambda x, a=_axis, k=_keep: np.mean(x.astype(_float(x)), axis=a, keepdims=k).astype(_float(x)),
                     _axis_inputs(NUMERIC, 1), ("reduce_sum", "div"), rtol=1e-4, atol=1e-5))
    register(OpEntry(f"var_{_suffix}", lambda x, a=_axis, k=_keep: jnp.var(x, axis=a, keepdims=k),
                     lambda x, a=_axis, k=_keep: np.var(x.astype(np.float64), axis=a, keepdims=k).astype(_float(x)),
                     _axis_inputs(NUMERIC, 1), ("reduce_sum", "sub", "mul"), rtol=1e-3, atol=1e-4))
    register(OpEntry(f"all_{_suffix}", lambda x, a=_axis, k=_keep: jnp.all(x, axis=a, keepdims=k),
                     lambda x, a=_axis, k=_keep: np.all(x, axis=a, keepdims=k),
                     _axis_inputs(ALL_DTYPES), ("reduce_and",), differentiable=False))
    register(OpEntry(f"any_{_suffix}", lambda x, a=_axis, k=_keep: jnp.any(x, axis=a, keepdims=k),
                     lambda x, a=_axis, k=_keep: np.any(x, axis=a, keepdims=k),
                     _axis_inputs(ALL_DTYPES), ("reduce_or",), differentiable=False))

register(OpEntry("std", lambda x: jnp.std(x, axis=-1, ddof=1),
                 lambda x: np.std(x.astype(np.float64), axis=-1, ddof=1).astype(_float(x)),
                 _axis_inputs(FLOATS, 2), ("reduce_sum", "sqrt"), rtol=1e-3, atol=1e-4))
register(OpEntry("argmax", lambda x: jnp.argmax(x, axis=-1),
                 lambda x: np.argmax(x, axis=-1).astype(dtypes.default_int_dtype()),
                 _axis_inputs(ALL_DTYPES, 1), ("argmax",), differentiable=False))
register(OpEntry("argmin_flat", jnp.argmin, lambda x: np.asarray(np.argmin(x), dtypes.default_int_dtype()),
                 _axis_inputs(ALL_DTYPES, 1), ("argmin",), differentiable=False))


def _lse_ref(x: np.ndarray[Any, Any]) -> Any:
    x64 = x.astype(np.float64)
    m = np.max(x64, axis=-1, keepdims=True)
    return (np.log(np.sum(np.exp(x64 - m), axis=-1)) + m[..., 0]).astype(_float(x))


def _softmax_ref(x: np.ndarray[Any, Any]) -> Any:
    x64 = x.astype(np.float64)
    e = np.exp(x64 - np.max(x64, axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)).astype(_float(x))


register(OpEntry("logsumexp", lambda x: jnp.logsumexp(x, axis=-1), _lse_ref, _axis_inputs(NUMERIC, 1),
                 ("reduce_max", "exp", "log", "reduce_sum"), rtol=1e-5, atol=1e-5))
register(OpEntry("softmax", jnp.softmax, _softmax_ref, _axis_inputs(NUMERIC, 1), ("exp", "div"),
                 rtol=1e-5, atol=1e-6))
register(OpEntry("log_softmax", jnp.log_softmax,
                 lambda x: np.log(_softmax_ref(x).astype(np.float64)).astype(_float(x)),
                 _axis_inputs(FLOATS, 1), ("exp", "log"), rtol=1e-4, atol=1e-5))
