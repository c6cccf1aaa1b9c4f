"""Registry entries for ``jnp.fft`` (the ``fft`` primitive, all four types; NumPy as the oracle).

The registry sweeps draw real arrays, so a complex operand is built inside
``fn`` from two real ones (``x + 1j * y``) and a complex result is returned as
its real and imaginary parts stacked on a new leading axis: every sweep
(values, gradients, vmap, jit) then sees real inputs and outputs.  Each entry
fixes its ``n``/``s``/``axis``/``norm`` (crop, pad, move and scale paths) and
draws the sizes of the transformed axes so that both cropping and padding
happen.  The references compute in float64 and cast to the result's
precision.
"""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st
import numpy as np

import functorch_lite.numpy as jnp
from tests.registry import OpEntry, register
from tests.strategies import FLOATS, np_arrays, shapes

_RTOL = _ATOL = 1e-4


def _draw(data: Any, count: int, min_dims: int, min_side: int) -> list[Any]:
    dt = data.draw(st.sampled_from(FLOATS))
    shp = data.draw(shapes(min_dims, min_dims + 1, min_side, 5))
    return [data.draw(np_arrays(dt, shp, -1, 1)) for _ in range(count)]


def _inputs(count: int, min_dims: int, min_side: int) -> Any:
    return lambda data: _draw(data, count, min_dims, min_side)


def _fl_parts(z: Any) -> Any:
    return jnp.stack([jnp.real(z), jnp.imag(z)])


def _np_parts(z: Any, dt: np.dtype[Any]) -> Any:
    return np.stack([z.real, z.imag]).astype(dt)


def _complex_in(name: str, fl_fn: Any, np_fn: Any, prims: tuple[str, ...], min_dims: int = 1,
                min_side: int = 1, complex_out: bool = True) -> None:
    """An entry whose operand is ``x + 1j * y``."""

    def fn(x: Any, y: Any) -> Any:
        out = fl_fn(x + 1j * y)
        return _fl_parts(out) if complex_out else out

    def ref(x: Any, y: Any) -> Any:
        out = np_fn(x.astype(np.float64) + 1j * y.astype(np.float64))
        return _np_parts(out, x.dtype) if complex_out else out.astype(x.dtype)

    register(OpEntry(name, fn, ref, _inputs(2, min_dims, min_side), prims, rtol=_RTOL, atol=_ATOL))


def _real_in(name: str, fl_fn: Any, np_fn: Any, prims: tuple[str, ...], min_dims: int = 1,
             min_side: int = 1) -> None:
    """An entry whose operand is real and whose result is complex."""

    def fn(x: Any) -> Any:
        return _fl_parts(fl_fn(x))

    def ref(x: Any) -> Any:
        return _np_parts(np_fn(x.astype(np.float64)), x.dtype)

    register(OpEntry(name, fn, ref, _inputs(1, min_dims, min_side), prims, rtol=_RTOL, atol=_ATOL))


_complex_in("fft_fft", jnp.fft.fft, np.fft.fft, ("fft",))
_complex_in("fft_ifft_n_axis0_ortho", lambda z: jnp.fft.ifft(z, n=4, axis=0, norm="ortho"),
            lambda z: np.fft.ifft(z, n=4, axis=0, norm="ortho"), ("fft",), min_side=0)
_complex_in("fft_fftn_s", lambda z: jnp.fft.fftn(z, s=(3, 2), axes=(-1, 0), norm="forward"),
            lambda z: np.fft.fftn(z, s=(3, 2), axes=(-1, 0), norm="forward"), ("fft",), min_dims=2,
            min_side=0)
_real_in("fft_rfft", jnp.fft.rfft, np.fft.rfft, ("fft",))
_real_in("fft_rfftn_s", lambda x: jnp.fft.rfftn(x, s=(4, 3)), lambda x: np.fft.rfftn(x, s=(4, 3), axes=(-2, -1)),
         ("fft",), min_dims=2, min_side=0)
_complex_in("fft_irfft_n", lambda z: jnp.fft.irfft(z, n=5), lambda z: np.fft.irfft(z, n=5), ("fft",),
            min_side=0, complex_out=False)
_complex_in("fft_irfftn_axes", lambda z: jnp.fft.irfftn(z, s=(4, 4), axes=(0, -1), norm="ortho"),
            lambda z: np.fft.irfftn(z, s=(4, 4), axes=(0, -1), norm="ortho"), ("fft",), min_dims=2, min_side=0,
            complex_out=False)
_complex_in("fft_hfft", lambda z: jnp.fft.hfft(z, n=4), lambda z: np.fft.hfft(z, n=4), ("fft", "conj"),
            min_side=0, complex_out=False)
_real_in("fft_ihfft", lambda x: jnp.fft.ihfft(x, n=5, axis=0), lambda x: np.fft.ihfft(x, n=5, axis=0),
         ("fft", "conj"), min_side=0)
