"""Registry entries for the complex primitives (``real``, ``imag``, ``conj``,
``complex``) and complex arithmetic through the other primitives.

The registry sweeps draw real arrays, so each entry builds its complex
operand inside ``fn`` from two real ones (``lax.complex(x, y)``) and returns
a complex result as its real and imaginary parts stacked on a new leading
axis (as tests/registry/fft.py does): every sweep (values, gradients against
finite differences, vmap, jit) then sees real inputs and outputs, and a vjp
rule that conjugated where JAX's convention does not (or forgot to) shows as
a wrong real gradient.  References compute in complex128 and cast the parts
to the inputs' precision.  Values stay in [-1, 1], away from the branch cuts
of ``sqrt``/``log`` (their arguments are shifted into the right half-plane).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import hypothesis.strategies as st
import numpy as np

import functorch_lite.numpy as jnp
from functorch_lite import lax
from tests.registry import OpEntry, register
from tests.strategies import FLOATS, np_arrays, shapes

_TOL = {"rtol": 1e-4, "atol": 1e-5}


def _draw(data: Any, min_dims: int, max_dims: int, min_side: int) -> list[Any]:
    dt = data.draw(st.sampled_from(FLOATS))
    shp = data.draw(shapes(min_dims, max_dims, min_side, 4))
    return [data.draw(np_arrays(dt, shp, -1, 1)) for _ in range(2)]


def _fl_parts(z: Any) -> Any:
    return jnp.stack([jnp.real(z), jnp.imag(z)])


def _np_parts(z: Any, dt: np.dtype[Any]) -> Any:
    z = np.asarray(z)
    return np.stack([z.real, z.imag]).astype(dt)


def _entry(name: str, fl_fn: Callable[[Any], Any], np_fn: Callable[[Any], Any], prims: tuple[str, ...],
           complex_out: bool = True, min_dims: int = 0, max_dims: int = 3, min_side: int = 0,
           **kw: Any) -> None:
    """An entry of ``z = x + 1j * y`` (``lax.complex``); a complex result comes
    back as its parts, a real one as it is."""

    def fn(x: Any, y: Any) -> Any:
        out = fl_fn(lax.complex(x, y))
        return _fl_parts(out) if complex_out else out

    def ref(x: Any, y: Any) -> Any:
        z = x.astype(np.complex128)
        z.imag = y  # exactly the parts (x + 1j * y would turn -0.0 into 0.0)
        out = np_fn(z)
        return _np_parts(out, x.dtype) if complex_out else np.asarray(out).astype(x.dtype)

    register(OpEntry(name, fn, ref, lambda data: _draw(data, min_dims, max_dims, min_side),
                     prims, **{**_TOL, **kw}))


_entry("complex_parts", lambda z: z, lambda z: z, ("complex", "real", "imag"))
_entry("complex_conj", jnp.conj, np.conj, ("conj", "complex", "real", "imag"))
_entry("complex_abs", jnp.abs, np.abs, ("abs", "complex"), complex_out=False)
_entry("complex_angle", jnp.angle, np.angle, ("atan2", "real", "imag"), complex_out=False)
_entry("complex_arith", lambda z: z * z * (2 - 1j) - z / (z + 3) + 1j,
       lambda z: z * z * (2 - 1j) - z / (z + 3) + 1j, ("mul", "div", "add", "sub"))
_entry("complex_exp_sin", lambda z: jnp.exp(z) * jnp.sin(z) + jnp.cosh(z),
       lambda z: np.exp(z) * np.sin(z) + np.cosh(z), ("exp", "sin", "cosh"))
_entry("complex_sqrt_log", lambda z: jnp.sqrt(z * z + 2) + jnp.log(z + 2) + jnp.tanh(z),
       lambda z: np.sqrt(z * z + 2) + np.log(z + 2) + np.tanh(z), ("sqrt", "log", "tanh"))
_entry("complex_power", lambda z: (z + 2) ** (0.5 + 0.25j) + z ** 3,
       lambda z: (z + 2) ** (0.5 + 0.25j) + z ** 3, ("pow",))
_entry("complex_sum_prod", lambda z: jnp.sum(z, axis=-1) * jnp.prod(z + 1.5, axis=-1),
       lambda z: np.sum(z, axis=-1) * np.prod(z + 1.5, axis=-1), ("reduce_sum", "reduce_prod"), min_dims=1)
_entry("complex_cumsum_cumprod", lambda z: jnp.cumsum(z, axis=-1) + jnp.cumprod(z, axis=-1),
       lambda z: np.cumsum(z, axis=-1) + np.cumprod(z, axis=-1), ("cumsum", "cumprod"), min_dims=1)
_entry("complex_var", lambda z: jnp.var(z, axis=-1), lambda z: np.var(z, axis=-1), ("reduce_sum", "real", "imag"),
       complex_out=False, min_dims=1, min_side=1, rtol=1e-3, atol=1e-4)
_entry("complex_matmul", lambda z: z @ jnp.conj(z).T * 1j, lambda z: z @ np.conj(z).T * 1j,
       ("dot_general", "conj"), min_dims=2, max_dims=2)
_entry("complex_vdot", lambda z: jnp.vdot(z, z * (1 + 2j)), lambda z: np.vdot(z, z * (1 + 2j)),
       ("dot_general", "conj"), min_dims=1)
_entry("complex_gather_scatter",
       lambda z: z.at[0].add(z[-1] * 1j).at[-1].set(z[0] * (2 - 1j))[jnp.array([-1, 0, -1])],
       lambda z: _np_gather_scatter(z), ("gather", "scatter"), min_dims=1, min_side=1)
_entry("complex_sort", lambda z: jnp.sort(z, axis=-1), lambda z: np.sort(z, axis=-1), ("sort",), min_dims=1)
_entry("complex_max_minimum", lambda z: jnp.max(z, axis=-1, keepdims=True) + jnp.minimum(z, z[..., ::-1] * 1j),
       lambda z: np.max(z, axis=-1, keepdims=True) + np.minimum(z, z[..., ::-1] * 1j),
       ("argsort", "gather", "select"), min_dims=1, min_side=1)
_entry("complex_concat_transpose", lambda z: jnp.concatenate([z.T, jnp.conj(z).T * 2]),
       lambda z: np.concatenate([z.T, np.conj(z).T * 2]), ("concatenate", "transpose"), min_dims=2, max_dims=2)


def _np_gather_scatter(z: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    out = z.copy()
    out[0] = out[0] + z[-1] * 1j
    out[-1] = z[0] * (2 - 1j)
    return out[[-1, 0, -1]]
