"""Registry entries for primitives outside the numerical families."""

from __future__ import annotations

from typing import Any

import functorch_lite as fl
from tests.registry import OpEntry, register
from tests.registry.elementwise import unary_inputs
from tests.strategies import ALL_DTYPES


def _print_then_return(x: Any) -> Any:
    fl.debug.print("value: {}", x)
    return x


register(OpEntry("debug_print", _print_then_return, lambda x: x, unary_inputs(ALL_DTYPES), ("debug_print",),
                 differentiable=False))


def _float_inputs(min_dims: int = 0) -> Any:
    import hypothesis.strategies as st

    from tests.strategies import FLOATS, np_arrays, shapes

    def draw_inputs(data: Any) -> list[Any]:
        dt = data.draw(st.sampled_from(FLOATS))
        return [data.draw(np_arrays(dt, data.draw(shapes(min_dims, 3, 1 if min_dims else 0))))]

    return draw_inputs


def _cond_fn(x: Any) -> Any:
    import functorch_lite.numpy as jnp

    return fl.lax.cond(jnp.sum(x) > 0, lambda v: v * 2.0, lambda v: jnp.sin(v), x)


def _cond_ref(x: Any) -> Any:
    import numpy as np

    return (x * 2.0 if x.sum() > 0 else np.sin(x)).astype(x.dtype)


def _scan_fn(x: Any) -> Any:
    import functorch_lite.numpy as jnp

    carry, ys = fl.lax.scan(lambda c, row: (c + row, c * row), jnp.zeros_like(x[0]), x)
    return carry, ys


def _scan_ref(x: Any) -> Any:
    import numpy as np

    c = np.zeros_like(x[0])
    ys = []
    for row in x:
        ys.append(c * row)
        c = c + row
    return c, (np.stack(ys) if ys else np.zeros_like(x))


def _while_fn(x: Any) -> Any:
    import functorch_lite.numpy as jnp

    return fl.lax.while_loop(lambda v: jnp.sum(v) < 100.0, lambda v: v * 2.0 + 1.0, jnp.abs(x))


def _while_ref(x: Any) -> Any:
    import numpy as np

    v = np.abs(x)
    while v.sum() < 100.0:
        v = (v * 2.0 + 1.0).astype(x.dtype)
    return v


register(OpEntry("lax_cond", _cond_fn, _cond_ref, _float_inputs(), ("cond", "reduce_sum", "gt")))
register(OpEntry("lax_scan", _scan_fn, _scan_ref, _float_inputs(1), ("scan",), rtol=1e-5, atol=1e-5))
# reverse mode of while_loop is unsupported (as in JAX), so it is tested forward only
register(OpEntry("lax_while", _while_fn, _while_ref, _float_inputs(1), ("while",), differentiable=False,
                 tags=frozenset({"forward_only"})))
