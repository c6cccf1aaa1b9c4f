"""Registry entries for indexing: gather/scatter, advanced getitem, ``.at``
updates, take/take_along_axis/put_along_axis, split/tile/repeat/roll/rot90.

NumPy is the oracle: fancy indexing for gathers, ``np.add.at``,
``np.multiply.at``, ``np.minimum.at`` and ``np.maximum.at`` for accumulating
scatters (so repeated indices must accumulate), and an in-order loop for
``set`` (the last of repeated indices wins, as documented).
"""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st
import numpy as np

import functorch_lite.numpy as jnp
from functorch_lite.ops.along_axis import scatter_add_along_axis_p
from functorch_lite.ops.indexing import gather_p, scatter_p
from tests.registry import OpEntry, register
from tests.strategies import ALL_DTYPES, INTS, NUMERIC, np_arrays, shapes

Arr = np.ndarray[Any, Any]


def _ints(data: Any, shape: tuple[int, ...], lo: int, hi: int) -> Arr:
    """An integer array of a drawn integer dtype with values in [lo, hi)."""
    dts = [d for d in INTS if np.iinfo(d).min <= lo and hi - 1 <= np.iinfo(d).max]
    dt = data.draw(st.sampled_from(dts))
    if hi <= lo:
        return np.zeros(shape, dt)
    return data.draw(np_arrays(np.dtype(dt), shape, lo, hi - 1))


def _index_cols(data: Any, sizes: tuple[int, ...], batch: tuple[int, ...]) -> Arr:
    """A (*batch, k) index matrix with column j in [0, sizes[j])."""
    raw = _ints(data, batch + (len(sizes),), 0, 100)
    if not sizes:
        return raw
    return (raw.astype(np.int64) % np.asarray(sizes, np.int64)).astype(raw.dtype)


# --- gather / scatter primitives ------------------------------------------------------------


def _gather_inputs(data: Any) -> list[Arr]:
    dt = data.draw(st.sampled_from(ALL_DTYPES))
    x = data.draw(np_arrays(dt, data.draw(shapes(1, 3, 1))))
    k = data.draw(st.integers(0, x.ndim))
    batch = data.draw(shapes(0, 2, 0))
    return [x, _index_cols(data, x.shape[:k], batch)]


def _gather_ref(x: Arr, idx: Arr) -> Arr:
    k = idx.shape[-1]
    if k == 0:
        return np.broadcast_to(x, idx.shape[:-1] + x.shape).copy()
    return x[tuple(idx[..., j] for j in range(k))]


register(OpEntry("gather", lambda x, i: gather_p.bind(x, i), _gather_ref, _gather_inputs, ("gather",),
                 nondiff_args=(1,)))

def _clip(x: Arr, lo: float | None, hi: float | None) -> Arr:
    """Keep repeated products small: clip numeric values into [lo, hi]."""
    if lo is None or hi is None or x.dtype.kind == "b":
        return x
    return np.clip(x.astype(np.float64), lo, hi).astype(x.dtype)


_UFUNC_AT = {"add": np.add, "mul": np.multiply, "min": np.minimum, "max": np.maximum}


def _scatter_inputs(lo: float | None, hi: float | None) -> Any:
    def draw_inputs(data: Any) -> list[Arr]:
        x, idx = _gather_inputs(data)
        k = idx.shape[-1]
        upd = data.draw(np_arrays(x.dtype, idx.shape[:-1] + x.shape[k:], lo, hi))
        return [_clip(x, lo, hi), idx, upd]

    return draw_inputs


def _scatter_ref(mode: str) -> Any:
    def ref(x: Arr, idx: Arr, upd: Arr) -> Arr:
        out = x.copy()
        k = idx.shape[-1]
        if mode != "set" and k > 0:
            _UFUNC_AT[mode].at(out, tuple(idx[..., j] for j in range(k)), upd)
            return out
        for b in np.ndindex(*idx.shape[:-1]):
            where = tuple(int(v) for v in idx[b])
            out[where] = upd[b] if mode == "set" else _UFUNC_AT[mode](out[where], upd[b])
        return out

    return ref


for _mode in ("set", "add", "mul", "min", "max"):
    _lo, _hi = (-2.0, 2.0) if _mode == "mul" else (None, None)
    register(OpEntry(f"scatter_{_mode}", lambda x, i, u, m=_mode: scatter_p.bind(x, i, u, mode=m),
                     _scatter_ref(_mode), _scatter_inputs(_lo, _hi), ("scatter",), nondiff_args=(1,)))


# --- advanced getitem ---------------------------------------------------------------------------


def _x(data: Any, min_dims: int = 1, max_dims: int = 3, dts: tuple[np.dtype[Any], ...] = ALL_DTYPES) -> Arr:
    dt = data.draw(st.sampled_from(dts))
    return data.draw(np_arrays(dt, data.draw(shapes(min_dims, max_dims, 1))))


def _signed_index(data: Any, n: int, shape: tuple[int, ...] | None = None) -> Arr:
    """Indices in [-n, n) (negative ones wrap), repeated often."""
    if shape is None:
        shape = data.draw(shapes(0, 2, 0))
    return _ints(data, shape, -n, n)


def _x_and_index(data: Any) -> list[Arr]:
    x = _x(data)
    return [x, _signed_index(data, x.shape[0])]


register(OpEntry("getitem_int_array", lambda x, i: x[i], lambda x, i: x[i], _x_and_index,
                 ("gather",), nondiff_args=(1,)))


def _x3_two_indices(data: Any) -> list[Arr]:
    x = _x(data, 3, 3)
    s1, s2 = data.draw(st.sampled_from([((2,), (2,)), ((2, 1), (3,)), ((), (2,)), ((1,), (0,))]))
    return [x, _signed_index(data, x.shape[0], s1), _signed_index(data, x.shape[2], s2)]


register(OpEntry("getitem_separated", lambda x, i, j: x[i, :, j], lambda x, i, j: x[i, :, j], _x3_two_indices,
                 ("gather", "transpose"), nondiff_args=(1, 2)))


def _x3_adjacent(data: Any) -> list[Arr]:
    x = _x(data, 3, 3)
    s1, s2 = data.draw(st.sampled_from([((2,), (2,)), ((2, 1), (3,)), ((), (2,)), ((4,), ())]))
    return [x, _signed_index(data, x.shape[1], s1), _signed_index(data, x.shape[2], s2)]


register(OpEntry("getitem_adjacent", lambda x, i, j: x[::-1, i, j], lambda x, i, j: x[::-1, i, j], _x3_adjacent,
                 ("gather", "rev", "transpose"), nondiff_args=(1, 2)))


def _x3_one(axis: int) -> Any:
    def draw_inputs(data: Any) -> list[Arr]:
        x = _x(data, 3, 3)
        return [x, _signed_index(data, x.shape[axis])]

    return draw_inputs


register(OpEntry("getitem_int_ellipsis_array", lambda x, i: x[-1, ..., i], lambda x, i: x[-1, ..., i], _x3_one(2),
                 ("gather",), nondiff_args=(1,)))
register(OpEntry("getitem_newaxis_slice_array", lambda x, i: x[None, 1:, None, i],
                 lambda x, i: x[None, 1:, None, i], _x3_one(1), ("gather", "slice", "expand_dims"), nondiff_args=(1,)))
register(OpEntry("getitem_list", lambda x: x[[0, -1, 0]], lambda x: x[[0, -1, 0]], lambda d: [_x(d)], ("gather",)))


def _x_and_mask(full: bool) -> Any:
    def draw_inputs(data: Any) -> list[Arr]:
        x = _x(data, 1 if full else 2)
        shape = x.shape if full else x.shape[1:]
        return [x, data.draw(np_arrays(np.dtype(bool), shape))]

    return draw_inputs


register(OpEntry("getitem_mask", lambda x, m: x[m], lambda x, m: x[m], _x_and_mask(True), ("gather",),
                 nondiff_args=(1,)))
register(OpEntry("getitem_mask_trailing", lambda x, m: x[:, m], lambda x, m: x[:, m], _x_and_mask(False),
                 ("gather",), nondiff_args=(1,)))


# --- .at updates -----------------------------------------------------------------------------

_AT_METHOD = {"set": "set", "add": "add", "mul": "multiply", "min": "min", "max": "max"}


def _at_inputs(lo: float | None, hi: float | None) -> Any:
    def draw_inputs(data: Any) -> list[Arr]:
        x = _clip(_x(data), lo, hi)
        i = _signed_index(data, x.shape[0], (data.draw(st.integers(0, 6)),))
        v = data.draw(np_arrays(x.dtype, i.shape + x.shape[1:], lo, hi))
        return [x, i, v]

    return draw_inputs


def _at_ref(mode: str) -> Any:
    def ref(x: Arr, i: Arr, v: Arr) -> Arr:
        out = x.copy()
        if mode == "set":
            for j in range(i.shape[0]):  # in order: the last write wins
                out[i[j]] = v[j]
        else:
            _UFUNC_AT[mode].at(out, i, v)
        return out

    return ref


for _mode in ("set", "add", "mul", "min", "max"):
    _lo, _hi = (-2.0, 2.0) if _mode == "mul" else (None, None)
    register(OpEntry(f"at_{_mode}_repeated", lambda x, i, v, m=_AT_METHOD[_mode]: getattr(x.at[i], m)(v),
                     _at_ref(_mode), _at_inputs(_lo, _hi), ("scatter",), nondiff_args=(1,)))


def _at_mixed_inputs(data: Any) -> list[Arr]:
    x = _x(data, 2, 3)
    i = _signed_index(data, x.shape[1], (data.draw(st.integers(0, 5)),))
    v = data.draw(np_arrays(x.dtype, x[1:, i].shape))
    return [x, i, v]


def _at_mixed_ref(x: Arr, i: Arr, v: Arr) -> Arr:
    out = x.copy()
    np.add.at(out, (slice(1, None), i), v)
    return out


register(OpEntry("at_add_slice_and_array", lambda x, i, v: x.at[1:, i].add(v), _at_mixed_ref, _at_mixed_inputs,
                 ("scatter", "transpose"), nondiff_args=(1,)))


def _at_set_cast_ref(x: Arr) -> Arr:
    out = x.copy()
    out[::-2] = np.asarray(2.7).astype(x.dtype)
    return out


register(OpEntry("at_set_basic_cast", lambda x: x.at[::-2].set(2.7), _at_set_cast_ref, lambda d: [_x(d)],
                 ("scatter",)))


def _at_mask_ref(x: Arr, m: Arr) -> Arr:
    out = x.copy()
    out[m] = np.maximum(out[m], np.asarray(3).astype(x.dtype))
    return out


register(OpEntry("at_max_mask", lambda x, m: x.at[m].max(3), _at_mask_ref, _x_and_mask(True), ("scatter",),
                 nondiff_args=(1,)))


# --- take / take_along_axis / put_along_axis --------------------------------------------------------


def _take_flat_inputs(data: Any) -> list[Arr]:
    x = _x(data)
    return [x, _signed_index(data, x.size)]


register(OpEntry("take_flat", lambda x, i: jnp.take(x, i), lambda x, i: np.take(x, i), _take_flat_inputs,
                 ("gather", "reshape"), nondiff_args=(1,)))


def _take_axis_inputs(lo: int, hi: int) -> Any:
    def draw_inputs(data: Any) -> list[Arr]:
        x = _x(data)
        n = x.shape[-1]
        return [x, _ints(data, data.draw(shapes(0, 2, 0)), lo if lo else -n, hi if hi else n)]

    return draw_inputs


register(OpEntry("take_axis", lambda x, i: jnp.take(x, i, axis=-1), lambda x, i: np.take(x, i, axis=-1),
                 _take_axis_inputs(0, 0), ("gather", "transpose"), nondiff_args=(1,)))
for _tmode in ("clip", "wrap"):
    register(OpEntry(f"take_{_tmode}", lambda x, i, m=_tmode: jnp.take(x, i, axis=-1, mode=m),
                     lambda x, i, m=_tmode: np.take(x, i, axis=-1, mode=m), _take_axis_inputs(-9, 10),
                     ("gather", "transpose"), nondiff_args=(1,)))


def _along_inputs(data: Any) -> list[Arr]:
    x = _x(data)
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    shape = [data.draw(st.sampled_from([d, 1])) for d in x.shape]
    shape[axis] = data.draw(st.integers(0, 4))
    return [x, _signed_index(data, x.shape[axis], tuple(shape)), np.asarray(axis)]


register(OpEntry("take_along_axis", lambda x, i, a: jnp.take_along_axis(x, i, int(a)),
                 lambda x, i, a: np.take_along_axis(x, i, int(a)), _along_inputs, ("take_along_axis",),
                 nondiff_args=(1, 2)))
register(OpEntry("take_along_axis_fill", lambda x, i, a: jnp.take_along_axis(x, i, int(a), mode="fill"),
                 lambda x, i, a: np.take_along_axis(x, i, int(a)), _along_inputs, ("gather",),
                 nondiff_args=(1, 2)))


def _scatter_along_inputs(data: Any) -> list[Arr]:
    u = _x(data)
    axis = data.draw(st.integers(0, u.ndim - 1))
    size = data.draw(st.integers(1, 4))
    return [u, _signed_index(data, size, u.shape), np.asarray(axis), np.asarray(size)]


def _scatter_along_ref(u: Arr, i: Arr, a: Arr, size: Arr) -> Arr:
    ax, n = int(a), int(size)
    out = np.zeros(u.shape[:ax] + (n,) + u.shape[ax + 1:], u.dtype if u.dtype != np.bool_ else np.int64)
    grid = list(np.indices(u.shape, sparse=True))
    grid[ax] = np.where(i < 0, i + n, i)
    np.add.at(out, tuple(grid), u)
    return out.astype(u.dtype)


# the transpose of take_along_axis (its vjp), bound directly: updates added at their indices
register(OpEntry("scatter_add_along_axis",
                 lambda u, i, a, n: scatter_add_along_axis_p.bind(jnp.asarray(u), jnp.asarray(i), axis=int(a),
                                                                 size=int(n)),
                 _scatter_along_ref, _scatter_along_inputs, ("scatter_add_along_axis",),
                 nondiff_args=(1, 2, 3)))


def _put_along_ref(x: Arr, i: Arr, a: Arr) -> Arr:
    out = x.copy()
    np.put_along_axis(out, i, np.asarray(5).astype(x.dtype), int(a))
    return out


register(OpEntry("put_along_axis", lambda x, i, a: jnp.put_along_axis(x, i, 5, int(a)), _put_along_ref,
                 _along_inputs, ("scatter",), nondiff_args=(1, 2)))


# --- split / tile / repeat / roll / rot90 -------------------------------------------------------------


def _split_inputs(data: Any) -> list[Arr]:
    x = _x(data)
    n = x.shape[0]
    return [x, np.asarray(data.draw(st.sampled_from([d for d in range(1, n + 1) if n % d == 0])))]


register(OpEntry("split_sections", lambda x, s: jnp.split(x, int(s)), lambda x, s: np.split(x, int(s)),
                 _split_inputs, ("slice",), nondiff_args=(1,)))
register(OpEntry("array_split", lambda x: jnp.array_split(x, 3, axis=-1), lambda x: np.array_split(x, 3, axis=-1),
                 lambda d: [_x(d)], ("slice",)))
register(OpEntry("split_indices", lambda x: jnp.split(x, [1, -1, 10]), lambda x: np.split(x, [1, -1, 10]),
                 lambda d: [_x(d)], ("slice",)))
for _reps in ((2,), (2, 1, 3), (1, 1)):
    register(OpEntry(f"tile_{'x'.join(map(str, _reps))}", lambda x, r=_reps: jnp.tile(x, r),
                     lambda x, r=_reps: np.tile(x, r), lambda d: [_x(d, 0)],
                     ("reshape",) if _reps == (1, 1) else ("broadcast_in_dim", "reshape")))
register(OpEntry("repeat_scalar", lambda x: jnp.repeat(x, 2), lambda x: np.repeat(x, 2), lambda d: [_x(d, 0)],
                 ("broadcast_in_dim", "reshape")))


def _repeat_inputs(data: Any) -> list[Arr]:
    x = _x(data)
    return [x, data.draw(np_arrays(np.dtype(np.int32), (x.shape[0],), 0, 3))]


register(OpEntry("repeat_per_element", lambda x, r: jnp.repeat(x, r, axis=0), lambda x, r: np.repeat(x, r, axis=0),
                 _repeat_inputs, ("gather",), nondiff_args=(1,)))
register(OpEntry("roll_flat", lambda x: jnp.roll(x, 2), lambda x: np.roll(x, 2), lambda d: [_x(d, 0)],
                 ("concatenate", "slice", "reshape")))
register(OpEntry("roll_axes", lambda x: jnp.roll(x, (1, -3), axis=(0, -1)), lambda x: np.roll(x, (1, -3), axis=(0, -1)),
                 lambda d: [_x(d, 2, 3, NUMERIC)], ("concatenate", "slice")))
for _k in (1, 2, 3):
    register(OpEntry(f"rot90_{_k}", lambda x, k=_k: jnp.rot90(x, k, axes=(-1, 0)),
                     lambda x, k=_k: np.rot90(x, k, axes=(-1, 0)), lambda d: [_x(d, 2, 3)],
                     ("rev",) if _k == 2 else ("rev", "transpose")))
