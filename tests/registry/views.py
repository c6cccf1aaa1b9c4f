"""Registry entries for view-producing and joining functions."""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st
import numpy as np

import functorch_lite.numpy as jnp
from tests.registry import OpEntry, register
from tests.strategies import ALL_DTYPES, np_arrays, shapes


def _one(min_dims: int = 0, max_dims: int = 3, min_side: int = 0) -> Any:
    def draw_inputs(data: Any) -> list[np.ndarray[Any, Any]]:
        dt = data.draw(st.sampled_from(ALL_DTYPES))
        return [data.draw(np_arrays(dt, data.draw(shapes(min_dims, max_dims, min_side))))]

    return draw_inputs


register(OpEntry("transpose", jnp.transpose, np.transpose, _one(), ("transpose",)))
register(OpEntry("swapaxes", lambda x: jnp.swapaxes(x, 0, -1), lambda x: np.swapaxes(x, 0, -1), _one(1),
                 ("transpose",)))
register(OpEntry("moveaxis", lambda x: jnp.moveaxis(x, 0, -1), lambda x: np.moveaxis(x, 0, -1), _one(1),
                 ("transpose",)))
register(OpEntry("ravel", jnp.ravel, np.ravel, _one(), ("reshape",)))
register(OpEntry("reshape_split_last", lambda x: jnp.reshape(x, x.shape[:-1] + (1, x.shape[-1], 1)),
                 lambda x: np.reshape(x, x.shape[:-1] + (1, x.shape[-1], 1)), _one(1), ("reshape",)))
register(OpEntry("expand_dims", lambda x: jnp.expand_dims(x, (0, -1)), lambda x: np.expand_dims(x, (0, -1)),
                 _one(), ("expand_dims",)))
register(OpEntry("squeeze", lambda x: jnp.squeeze(jnp.expand_dims(x, 1)),
                 lambda x: np.squeeze(np.expand_dims(x, 1)), _one(1), ("squeeze", "expand_dims")))
register(OpEntry("flip", jnp.flip, np.flip, _one(), ("rev",)))
register(OpEntry("diagonal", lambda x: jnp.diagonal(x, 1, 0, -1), lambda x: np.diagonal(x, 1, 0, -1),
                 _one(2), ("diagonal",)))
register(OpEntry("diagonal_neg", lambda x: jnp.diagonal(x, -1, -1, 0), lambda x: np.diagonal(x, -1, -1, 0),
                 _one(2), ("diagonal",)))
register(OpEntry("basic_getitem", lambda x: x[::-2, None, 1:], lambda x: x[::-2, None, 1:], _one(2, 3),
                 ("slice", "rev", "expand_dims")))
register(OpEntry("basic_getitem_int", lambda x: x[..., -1], lambda x: x[..., -1], _one(1, 3, 1),
                 ("slice", "squeeze")))
register(OpEntry("broadcast_to", lambda x: jnp.broadcast_to(x, (2,) + x.shape),
                 lambda x: np.broadcast_to(x, (2,) + x.shape), _one(), ("broadcast_in_dim",)))


def _as_strided_ref(x: np.ndarray[Any, Any]) -> Any:
    flat = np.ascontiguousarray(x).reshape(-1)
    n = flat.size
    return np.lib.stride_tricks.as_strided(flat, (max(n - 1, 0), 2 if n > 1 else 0), (flat.itemsize,) * 2).copy()


register(OpEntry("as_strided", lambda x: jnp.as_strided(x, (max(x.size - 1, 0), 2 if x.size > 1 else 0), (1, 1)),
                 _as_strided_ref, _one(), ("as_strided",)))
register(OpEntry("copy", jnp.copy, np.copy, _one(), ("copy",)))


def _two_same(data: Any) -> list[np.ndarray[Any, Any]]:
    s = data.draw(shapes(1, 3))
    d1 = data.draw(st.sampled_from(ALL_DTYPES))
    d2 = data.draw(st.sampled_from(ALL_DTYPES))
    s2 = (data.draw(st.integers(0, 3)),) + s[1:]
    return [data.draw(np_arrays(d1, s)), data.draw(np_arrays(d2, s2))]


def _concat_ref(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> Any:
    from functorch_lite import dtypes

    dt = dtypes.result_type(a.dtype, b.dtype)
    return np.concatenate([a.astype(dt), b.astype(dt)])


register(OpEntry("concatenate", lambda a, b: jnp.concatenate([a, b]), _concat_ref, _two_same,
                 ("concatenate", "convert_element_type")))
register(OpEntry("stack", lambda a: jnp.stack([a, a], axis=-1), lambda a: np.stack([a, a], axis=-1),
                 _one(), ("concatenate", "expand_dims")))


def _pad_ref(x: np.ndarray[Any, Any], mode: str) -> Any:
    if mode == "constant":
        return np.pad(x, 2, constant_values=np.asarray(3).astype(x.dtype))
    return np.pad(x, 2, mode=mode)  # type: ignore[call-overload]


# a constant pad is the pad primitive; the other modes concatenate slices (mirrored ones reversed)
_PAD_MODES = {"constant": ("pad",), "edge": ("concatenate", "slice"), "wrap": ("concatenate", "slice"),
              "reflect": ("concatenate", "slice", "rev"), "symmetric": ("concatenate", "slice", "rev")}
for _mode, _prims in _PAD_MODES.items():
    register(OpEntry(f"pad_{_mode}",
                     lambda x, m=_mode: jnp.pad(x, 2, mode=m, **({"constant_values": 3} if m == "constant" else {})),
                     lambda x, m=_mode: _pad_ref(x, m), _one(1, 2, 2 if _mode == "reflect" else 1), _prims))
