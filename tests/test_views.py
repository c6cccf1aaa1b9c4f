"""Views share storage, with NumPy's strides and offsets; copies happen only where NumPy copies.

Every view op is applied both to a NumPy array ``base`` and to
``x = jnp.array(base)`` (whose storage is laid out exactly like ``base``), and
the results are compared: values, shape, strides in elements
(``y.stride() == v.strides // itemsize``), ``storage_offset()`` (the distance
of the first element from the start of the buffer) and storage sharing.

Strides of size-1 axes and of empty arrays never change which element is
read, and NumPy itself is not consistent about them (``expand_dims`` and
``reshape`` give different strides for the same new axis), so they are not
compared; every other stride must match exactly.
"""

from __future__ import annotations

import math
from typing import Any

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given

import functorch_lite.numpy as jnp
from functorch_lite.array import Array
from tests.strategies import ALL_DTYPES, shapes

# --- helpers ------------------------------------------------------------------------------------


def _values(shape: tuple[int, ...], dtype: Any) -> np.ndarray[Any, Any]:
    """Distinct-ish values (so a wrong element is noticed) in ``dtype``."""
    n = math.prod(shape)
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return (np.arange(n) % 3 == 0).reshape(shape)
    return (np.arange(n) % 101).astype(dt).reshape(shape)


def pair(shape: tuple[int, ...], dtype: Any = np.float64) -> tuple[np.ndarray[Any, Any], Array]:
    """A NumPy array and an Array whose storage is laid out exactly like it."""
    base = _values(shape, dtype)
    x = jnp.array(base)
    if base.size:
        assert x.stride() == tuple(s // base.itemsize for s in base.strides)
    return base, x


def npi(a: np.ndarray[Any, Any], idx: Any) -> np.ndarray[Any, Any]:
    """NumPy's ``a[idx]``, but a 0-d view instead of a scalar copy for full
    integer indices (a trailing ``...`` changes nothing else)."""
    t = idx if isinstance(idx, tuple) else (idx,)
    return a[t] if any(i is Ellipsis for i in t) else a[t + (Ellipsis,)]


def np_flip(a: np.ndarray[Any, Any], axis: Any) -> np.ndarray[Any, Any]:
    return np.flip(a, axis) if a.ndim else a[...]


def np_strides(v: np.ndarray[Any, Any]) -> tuple[int, ...]:
    return tuple(s // v.itemsize for s in v.strides)


def np_offset(v: np.ndarray[Any, Any], base: np.ndarray[Any, Any]) -> int:
    diff = v.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    assert diff % v.itemsize == 0
    return diff // v.itemsize


def assert_same_layout(y: Array, v: np.ndarray[Any, Any]) -> None:
    """Shape, dtype, values and (meaningful) strides equal NumPy's."""
    assert y.shape == v.shape
    assert y.dtype == v.dtype
    np.testing.assert_array_equal(np.asarray(y), v)
    if v.size == 0:
        return
    for d, got, want in zip(v.shape, y.stride(), np_strides(v)):
        if d != 1:
            assert got == want, f"strides {y.stride()} != NumPy's {np_strides(v)} for shape {v.shape}"
    # the contiguity flag matches NumPy's (NumPy ignores size-1 axes too)
    assert y.is_contiguous() == v.flags.c_contiguous


def assert_view(y: Array, v: np.ndarray[Any, Any], x: Array, base: np.ndarray[Any, Any]) -> None:
    """``y`` is a view of ``x`` laid out like NumPy's view ``v`` of ``base``."""
    assert isinstance(y, Array)
    assert y.storage() is x.storage(), "expected a view (shared storage), got a copy"
    assert_same_layout(y, v)
    if v.size:
        assert y.storage_offset() == np_offset(v, base)


def assert_copy(y: Array, v: np.ndarray[Any, Any], x: Array) -> None:
    assert isinstance(y, Array)
    assert y.storage() is not x.storage(), "expected a copy (new storage)"
    assert y.is_contiguous() and y.storage_offset() == 0
    assert y.shape == v.shape and y.dtype == v.dtype
    np.testing.assert_array_equal(np.asarray(y), v)


dtypes_st = st.sampled_from(ALL_DTYPES)


@st.composite
def shape_and_perm(draw: Any, min_dims: int = 0, max_dims: int = 4) -> tuple[tuple[int, ...], list[int]]:
    shape = draw(shapes(min_dims=min_dims, max_dims=max_dims, max_side=5))
    perm = draw(st.permutations(range(len(shape))))
    return shape, perm


# --- transpose / permute_dims / swapaxes / moveaxis -----------------------------------------------


@given(sp=shape_and_perm(), dt=dtypes_st)
def test_transpose_any_permutation(sp: Any, dt: Any) -> None:
    shape, perm = sp
    base, x = pair(shape, dt)
    assert_view(jnp.transpose(x, perm), np.transpose(base, perm), x, base)
    assert_view(jnp.permute_dims(x, perm), np.permute_dims(base, perm), x, base)
    assert_view(x.transpose(perm), base.transpose(perm), x, base)
    # negative axes name the same permutation
    neg = [p - len(perm) for p in perm]
    assert_view(jnp.transpose(x, neg), np.transpose(base, neg), x, base)


@given(shape=shapes(0, 4, max_side=5))
def test_transpose_default_reverses(shape: tuple[int, ...]) -> None:
    base, x = pair(shape)
    y = jnp.transpose(x)
    if x.ndim >= 2:
        assert_view(y, base.T, x, base)
        assert_view(x.T, base.T, x, base)
    else:
        assert y.storage() is x.storage() and y.shape == base.shape


@given(data=st.data())
def test_swapaxes_any_two_dims(data: Any) -> None:
    shape = data.draw(shapes(1, 4, max_side=5))
    nd = len(shape)
    a = data.draw(st.integers(-nd, nd - 1))
    b = data.draw(st.integers(-nd, nd - 1))
    base, x = pair(shape, data.draw(dtypes_st))
    assert_view(jnp.swapaxes(x, a, b), np.swapaxes(base, a, b), x, base)
    assert_view(x.swapaxes(a, b), base.swapaxes(a, b), x, base)


@given(data=st.data())
def test_moveaxis(data: Any) -> None:
    shape = data.draw(shapes(1, 4, max_side=5))
    nd = len(shape)
    k = data.draw(st.integers(1, nd))
    src = data.draw(st.permutations(range(nd)))[:k]
    dst = data.draw(st.permutations(range(-nd, 0)))[:k]
    base, x = pair(shape)
    assert_view(jnp.moveaxis(x, src, dst), np.moveaxis(base, src, dst), x, base)
    assert_view(jnp.moveaxis(x, src[0], dst[0]), np.moveaxis(base, src[0], dst[0]), x, base)


def test_mT_and_matrix_transpose() -> None:
    base, x = pair((2, 3, 4))
    assert_view(x.mT, base.mT, x, base)
    assert_view(jnp.matrix_transpose(x), np.matrix_transpose(base), x, base)


# --- basic indexing -------------------------------------------------------------------------------


@given(data=st.data())
def test_basic_indexing_is_a_view(data: Any) -> None:
    """Slices with any step (negative too), None, Ellipsis and integers."""
    shape = data.draw(shapes(0, 4, max_side=6))
    idx = data.draw(hnp.basic_indices(shape, min_dims=0, allow_newaxis=True, allow_ellipsis=True))
    base, x = pair(shape, data.draw(dtypes_st))
    y = x[idx]
    assert_view(y, npi(base, idx), x, base)


@pytest.mark.parametrize(
    "idx",
    [
        np.s_[::-1], np.s_[::-3], np.s_[5:1:-2], np.s_[-2::-2], np.s_[1:-1, ::-2],
        np.s_[..., 1], np.s_[None, ..., None], np.s_[:, None, -1], np.s_[2, 3], np.s_[-1, ::2],
        np.s_[100:], np.s_[3:3], np.s_[::-1, ::-1], np.s_[1::4, 5:0:-2], np.s_[...],
        np.s_[np.int64(2)], np.s_[:, np.int8(-1)],
    ],
)
def test_basic_indexing_examples(idx: Any) -> None:
    base, x = pair((6, 7))
    assert_view(x[idx], npi(base, idx), x, base)


def test_integer_indexing_offsets() -> None:
    base, x = pair((3, 4, 5), np.int32)
    y = x[2]
    assert y.storage_offset() == 40 and y.stride() == (5, 1)
    assert_view(x[2, -1], npi(base, (2, -1)), x, base)
    z = x[1, 2, 3]
    assert z.shape == () and z.storage_offset() == 20 + 10 + 3 and int(z) == int(base[1, 2, 3])
    with pytest.raises(IndexError, match="out of bounds for axis 1 with size 4"):
        x[0, 4]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0, 0]


def test_views_of_views_accumulate_offsets() -> None:
    base, x = pair((8, 9))
    y = x[2:, 1::2][::-1][1:, ::-1].T
    v = base[2:, 1::2][::-1][1:, ::-1].T
    assert_view(y, v, x, base)


# --- reshape --------------------------------------------------------------------------------------


def _factorisations(n: int) -> st.SearchStrategy[tuple[int, ...]]:
    if n == 0:
        return st.lists(st.integers(0, 3), min_size=1, max_size=4).filter(lambda s: 0 in s).map(tuple)
    divisors = [d for d in range(1, n + 1) if n % d == 0]

    @st.composite
    def fact(draw: Any) -> tuple[int, ...]:
        out: list[int] = []
        rest = n
        for _ in range(draw(st.integers(0, 3))):
            d = draw(st.sampled_from([d for d in divisors if rest % d == 0]))
            out.append(d)
            rest //= d
        out.append(rest)
        ones = draw(st.integers(0, 2))
        for _ in range(ones):
            out.insert(draw(st.integers(0, len(out))), 1)
        return tuple(draw(st.permutations(out)))

    return fact()


@given(data=st.data())
def test_reshape_view_when_possible_copy_otherwise(data: Any) -> None:
    shape = data.draw(shapes(0, 3, max_side=5))
    base, x = pair(shape, data.draw(dtypes_st))
    # a drawn (possibly non-contiguous) view of the base
    perm = data.draw(st.permutations(range(len(shape))))
    idx = data.draw(hnp.basic_indices(base.transpose(perm).shape, allow_newaxis=False, allow_ellipsis=False))
    v0, y0 = npi(base.transpose(perm), idx), x.transpose(perm)[idx]
    new_shape = data.draw(_factorisations(v0.size))
    y = y0.reshape(new_shape)
    try:
        v = v0.reshape(new_shape, copy=False)
    except ValueError:  # NumPy needs a copy: so must we
        assert_copy(y, v0.reshape(new_shape), x)
    else:
        assert_view(y, v, x, base)


def test_reshape_of_transposed_copies() -> None:
    base, x = pair((3, 4))
    y = x.T.reshape(12)
    assert_copy(y, base.T.reshape(12), x)
    assert y.tolist() == base.T.reshape(12).tolist()
    z = x.T.reshape(2, 6)
    assert_copy(z, base.T.reshape(2, 6), x)
    # splitting or merging axes that stay adjacent in memory is still a view
    assert_view(x.T.reshape(2, 2, 3), base.T.reshape(2, 2, 3), x, base)


def test_reshape_minus_one_and_forms() -> None:
    base, x = pair((2, 3, 4))
    assert_view(x.reshape(-1), base.reshape(-1), x, base)
    assert_view(x.reshape(4, -1), base.reshape(4, -1), x, base)
    assert_view(x.reshape((6, 4)), base.reshape((6, 4)), x, base)
    assert_view(jnp.reshape(x, (2, 12)), np.reshape(base, (2, 12)), x, base)
    assert jnp.reshape(x, x.shape) is x


def test_reshape_order_f() -> None:
    base, x = pair((2, 3, 4))
    y = jnp.reshape(x, (4, 6), order="F")
    np.testing.assert_array_equal(np.asarray(y), np.reshape(base, (4, 6), order="F"))


# --- expand_dims / squeeze / broadcast_to --------------------------------------------------------------


@given(data=st.data())
def test_expand_dims(data: Any) -> None:
    shape = data.draw(shapes(0, 3, max_side=4))
    n = len(shape) + data.draw(st.integers(1, 3))
    axes = data.draw(st.lists(st.integers(-n, n - 1), min_size=n - len(shape), max_size=n - len(shape),
                              unique_by=lambda a: a % n))
    base, x = pair(shape, data.draw(dtypes_st))
    assert_view(jnp.expand_dims(x, axes), np.expand_dims(base, axes), x, base)
    assert_view(x[None], base[None], x, base)


@given(data=st.data())
def test_squeeze(data: Any) -> None:
    shape = data.draw(shapes(0, 5, min_side=1, max_side=3))
    base, x = pair(shape)
    if base.ndim:
        assert_view(jnp.squeeze(x), np.squeeze(base), x, base)
    ones = [i for i, d in enumerate(shape) if d == 1]
    if ones:
        axes = data.draw(st.lists(st.sampled_from(ones), min_size=1, unique=True))
        assert_view(jnp.squeeze(x, tuple(axes)), np.squeeze(base, tuple(axes)), x, base)
        assert_view(x.squeeze(axes[0]), base.squeeze(axes[0]), x, base)
    not_one = [i for i, d in enumerate(shape) if d != 1]
    if not_one:
        with pytest.raises(ValueError, match="size is not 1"):
            jnp.squeeze(x, not_one[0])


@given(data=st.data())
def test_broadcast_to_has_zero_strides(data: Any) -> None:
    shape = data.draw(shapes(0, 3, max_side=4))
    target = list(data.draw(shapes(0, 2, min_side=1, max_side=3))) + [
        data.draw(st.integers(0, 3)) if d == 1 else d for d in shape
    ]
    base, x = pair(shape, data.draw(dtypes_st))
    v = np.broadcast_to(base, target)
    y = jnp.broadcast_to(x, target)
    assert_view(y, v, x, base)
    for d, s, src in zip(y.shape[::-1], y.stride()[::-1], list(shape[::-1]) + [None] * 9):
        if d > 1 and src != d:
            assert s == 0


def test_broadcast_arrays_are_views() -> None:
    a, x = pair((3, 1))
    b, z = pair((4,))
    (y1, y2), (v1, v2) = jnp.broadcast_arrays(x, z), np.broadcast_arrays(a, b)
    assert_view(y1, v1, x, a)
    assert_view(y2, v2, z, b)
    with pytest.raises(ValueError, match=r"\(3, 1\).*\(2, 3\)|cannot broadcast"):
        jnp.broadcast_to(x, (2, 3))


# --- diagonal -----------------------------------------------------------------------------------


@given(data=st.data())
def test_diagonal_any_offset_and_axes(data: Any) -> None:
    shape = data.draw(shapes(2, 4, max_side=5))
    nd = len(shape)
    a1 = data.draw(st.integers(-nd, nd - 1))
    a2 = data.draw(st.integers(-nd, nd - 1).filter(lambda a: a % nd != a1 % nd))
    off = data.draw(st.integers(-6, 6))
    base, x = pair(shape, data.draw(dtypes_st))
    assert_view(jnp.diagonal(x, off, a1, a2), np.diagonal(base, off, a1, a2), x, base)
    assert_view(x.diagonal(off, a1, a2), base.diagonal(off, a1, a2), x, base)


def test_diagonal_of_views() -> None:
    base, x = pair((5, 6, 7))
    v, y = base[1:, ::-2].transpose(2, 0, 1), x[1:, ::-2].transpose(2, 0, 1)
    assert_view(jnp.diagonal(y, 1, 2, 0), np.diagonal(v, 1, 2, 0), x, base)
    with pytest.raises(ValueError, match="differ"):
        jnp.diagonal(x, 0, 1, -2)


# --- as_strided ---------------------------------------------------------------------------------------


@given(data=st.data())
def test_as_strided_views_contiguous_input_in_place(data: Any) -> None:
    n = data.draw(st.integers(1, 30))
    base, x = pair((n,), data.draw(dtypes_st))
    start = data.draw(st.integers(0, n - 1))
    x = x[start:]  # a contiguous view with an offset
    m = n - start
    nd = data.draw(st.integers(0, 3))
    shp = tuple(data.draw(st.lists(st.integers(0, 4), min_size=nd, max_size=nd)))
    strides = tuple(data.draw(st.lists(st.integers(-3, 3), min_size=nd, max_size=nd)))
    offset = data.draw(st.integers(0, m - 1))
    reach = [offset + sum(i * s for i, s in zip(corner, strides))
             for corner in np.ndindex(*(2,) * nd)
             for corner in [tuple((d - 1) * c for d, c in zip(shp, corner))]]
    if math.prod(shp) and (min(reach) < 0 or max(reach) >= m):
        with pytest.raises(IndexError, match="as_strided"):
            jnp.as_strided(x, shp, strides, offset)
        return
    y = jnp.as_strided(x, shp, strides, offset)
    isz = base.itemsize
    v = np.lib.stride_tricks.as_strided(base[start + offset:], shp, tuple(s * isz for s in strides))
    assert y.storage() is x.storage()
    assert y.shape == shp and y.stride() == strides
    assert y.storage_offset() == start + offset
    np.testing.assert_array_equal(np.asarray(y), v)


def test_as_strided_out_of_bounds_raises() -> None:
    x = jnp.arange(6)
    with pytest.raises(IndexError, match="outside the 6 elements"):
        jnp.as_strided(x, (3, 3), (2, 1))
    with pytest.raises(IndexError, match="outside"):
        jnp.as_strided(x, (2,), (-1,))
    with pytest.raises(IndexError, match="outside"):
        jnp.as_strided(x, (1,), (1,), offset=6)
    with pytest.raises(IndexError, match="outside"):
        jnp.as_strided(x[2:], (5,), (1,))  # the view has only 4 elements
    # empty results touch nothing
    assert jnp.as_strided(x, (0, 5), (100, 100)).shape == (0, 5)


def test_as_strided_non_contiguous_reads_logical_order() -> None:
    base, x = pair((3, 4))
    y = jnp.as_strided(x.T, (2, 3), (3, 1))
    flat = base.T.reshape(-1)
    np.testing.assert_array_equal(np.asarray(y), np.lib.stride_tricks.as_strided(flat, (2, 3), (24, 8)))


# --- ravel / flatten / flip -----------------------------------------------------------------------


@given(data=st.data())
def test_ravel_view_iff_reshape_can(data: Any) -> None:
    """``ravel``/``flatten`` of a contiguous array is a view, and one that needs
    a copy is a copy.  Unlike NumPy (which copies every non-C-contiguous
    input), a uniformly strided input such as ``x[:, ::2]`` of a (n, 4) array
    is flattened as a view, like PyTorch's ``flatten``: arrays are immutable,
    so only memory use can tell the difference."""
    shape = data.draw(shapes(0, 3, max_side=5))
    base, x = pair(shape, data.draw(dtypes_st))
    perm = data.draw(st.permutations(range(len(shape))))
    idx = data.draw(hnp.basic_indices(base.transpose(perm).shape))
    v0, y0 = npi(base.transpose(perm), idx), x.transpose(perm)[idx]
    y = jnp.ravel(y0)
    v = np.ravel(v0)
    if y0.is_contiguous():
        assert_view(y, v, x, base)
        assert_view(y0.ravel(), v, x, base)
        assert_view(y0.flatten(), v, x, base)
    elif _reshape_is_view(v0, (-1,)):
        assert_view(y, v0.reshape(-1, copy=False), x, base)
    else:
        assert_copy(y, v, x)
        assert_copy(y0.flatten(), v, x)


def test_ravel_examples() -> None:
    base, x = pair((3, 4))
    assert_view(jnp.ravel(x), base.ravel(), x, base)
    assert_view(jnp.ravel(x[1:]), base[1:].ravel(), x, base)
    assert_copy(jnp.ravel(x.T), base.T.ravel(), x)
    assert_copy(jnp.ravel(x[:, 1:]), base[:, 1:].ravel(), x)
    # uniformly strided: a view with stride 2 (NumPy's ravel would copy)
    assert_view(jnp.ravel(x[:, ::2]), base.reshape(-1)[::2], x, base)
    assert_copy(jnp.ravel(x[::-1]), base[::-1].ravel(), x)


@given(data=st.data())
def test_flip_negative_strides(data: Any) -> None:
    shape = data.draw(shapes(0, 4, max_side=5))
    nd = len(shape)
    axis = data.draw(st.none() | st.lists(st.integers(-nd, nd - 1), unique_by=lambda a: a % nd).map(tuple)
                     if nd else st.none())
    base, x = pair(shape, data.draw(dtypes_st))
    y = jnp.flip(x, axis)
    v = np_flip(base, axis)
    assert_view(y, v, x, base)
    flipped = range(nd) if axis is None else [a % nd for a in axis]
    for a in flipped:
        if shape[a] > 1:
            assert y.stride(a) < 0


def test_fliplr_flipud() -> None:
    base, x = pair((3, 4))
    assert_view(jnp.fliplr(x), np.fliplr(base), x, base)
    assert_view(jnp.flipud(x), np.flipud(base), x, base)


# --- random chains of views -------------------------------------------------------------------------


@st.composite
def _step(draw: Any, shape: tuple[int, ...]) -> tuple[str, Any]:
    nd = len(shape)
    kinds = ["index", "reshape", "flip", "expand"]
    if nd >= 1:
        kinds += ["transpose", "swap", "moveaxis", "broadcast"]
    if nd >= 2:
        kinds.append("diagonal")
    if 1 in shape:
        kinds.append("squeeze")
    kind = draw(st.sampled_from(kinds))
    if kind == "transpose":
        return kind, draw(st.permutations(range(nd)))
    if kind == "swap":
        return kind, (draw(st.integers(-nd, nd - 1)), draw(st.integers(-nd, nd - 1)))
    if kind == "moveaxis":
        return kind, (draw(st.integers(-nd, nd - 1)), draw(st.integers(-nd, nd - 1)))
    if kind == "index":
        return kind, draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    if kind == "reshape":
        return kind, draw(_factorisations(math.prod(shape)))
    if kind == "flip":
        return kind, draw(st.lists(st.integers(0, max(nd - 1, 0)), unique=True, max_size=nd).map(tuple))
    if kind == "expand":
        return kind, draw(st.integers(-nd - 1, nd))
    if kind == "squeeze":
        return kind, draw(st.sampled_from([i for i, d in enumerate(shape) if d == 1]))
    if kind == "broadcast":
        return kind, (draw(st.integers(1, 3)),) + tuple(
            draw(st.sampled_from([1, 3])) if d == 1 else d for d in shape
        )
    off = draw(st.integers(-3, 3))
    a1, a2 = draw(st.permutations(range(nd)))[:2]
    return kind, (off, a1, a2)


def _apply(kind: str, arg: Any, m: Any, x: Any) -> Any:
    """Apply one step with NumPy's module ``m`` (np or jnp) to ``x``."""
    if kind == "transpose":
        return m.transpose(x, arg)
    if kind == "swap":
        return m.swapaxes(x, *arg)
    if kind == "moveaxis":
        return m.moveaxis(x, *arg)
    if kind == "index":
        return npi(x, arg) if m is np else x[arg]
    if kind == "reshape":
        return m.reshape(x, arg)
    if kind == "flip":
        return (np_flip(x, arg) if m is np else m.flip(x, arg)) if arg else x
    if kind == "expand":
        return m.expand_dims(x, arg)
    if kind == "squeeze":
        return m.squeeze(x, arg)
    if kind == "broadcast":
        return m.broadcast_to(x, arg)
    return m.diagonal(x, *arg)


@given(data=st.data())
def test_random_view_chains_match_numpy(data: Any) -> None:
    """Random sequences of view ops: at each step values, strides, offsets and
    sharing match NumPy; after an unavoidable copy both sides continue from
    their fresh buffers."""
    shape = data.draw(shapes(1, 4, max_side=4))
    base, x = pair(shape, data.draw(dtypes_st))
    v, y = base, x
    for _ in range(data.draw(st.integers(1, 6))):
        kind, arg = data.draw(_step(v.shape))
        v2 = _apply(kind, arg, np, v)
        y2 = _apply(kind, arg, jnp, y)
        copied = kind == "reshape" and v.size and not _reshape_is_view(v, arg)
        if copied:
            assert_copy(y2, v2, x)
            base, x = v2, y2  # continue from the fresh buffers
        else:
            assert_view(y2, v2, x, base)
        v, y = v2, y2


def _reshape_is_view(v: np.ndarray[Any, Any], shape: tuple[int, ...]) -> bool:
    try:
        v.reshape(shape, copy=False)
    except ValueError:
        return False
    return True


# --- contiguous / clone / is_contiguous ------------------------------------------------------------------


@given(data=st.data())
def test_is_contiguous_matches_numpy_flag(data: Any) -> None:
    shape = data.draw(shapes(0, 4, max_side=4))
    base, x = pair(shape)
    perm = data.draw(st.permutations(range(len(shape))))
    idx = data.draw(hnp.basic_indices(base.transpose(perm).shape, allow_newaxis=True, allow_ellipsis=True))
    v, y = npi(base.transpose(perm), idx), x.transpose(perm)[idx]
    assert y.is_contiguous() == v.flags.c_contiguous
    c = y.contiguous()
    if y.is_contiguous():
        assert c is y
    else:
        assert_copy(c, np.ascontiguousarray(v), x)
    k = y.clone()
    assert_copy(k, v, x)
    assert k is not y and k.is_contiguous()


def test_contiguous_and_clone_examples() -> None:
    base, x = pair((3, 4))
    assert x.contiguous() is x
    y = x[1:]
    assert y.contiguous() is y
    t = x.T
    c = t.contiguous()
    assert c is not t and c.storage() is not x.storage() and c.stride() == (3, 1)
    np.testing.assert_array_equal(np.asarray(c), base.T)
    k = x.clone()
    assert k.storage() is not x.storage() and k.tolist() == x.tolist()
    # a broadcast (stride-0) view is not contiguous and clones to real memory
    b = jnp.broadcast_to(x[:1], (5, 4))
    assert not b.is_contiguous()
    assert b.clone().stride() == (4, 1)
    assert len(b.clone().storage()) == 20


def test_is_contiguous_degenerate_shapes() -> None:
    x = jnp.zeros((3, 1, 4))
    assert x[:, :, :1].is_contiguous() is False  # rows 4 elements apart
    assert x[:, :, 1:2].squeeze(2).is_contiguous() is False
    assert x[:1, :, ::-1][:, :, :1].is_contiguous()  # a single element
    # size-1 and empty axes never break contiguity (NumPy's relaxed rule)
    assert jnp.zeros((1, 5)).T.is_contiguous()
    assert jnp.zeros((0, 5)).T.is_contiguous()
    assert jnp.zeros(()).is_contiguous()


def test_views_never_write_and_storage_is_read_only() -> None:
    base, x = pair((3, 4))
    views = [x.T, x[::2], x.reshape(12), jnp.flip(x), jnp.diagonal(x), jnp.broadcast_to(x, (2, 3, 4))]
    for y in views:
        arr = np.asarray(y)
        assert not arr.flags.writeable
        with pytest.raises(ValueError):
            arr[...] = 0
    assert not x.storage().numpy().flags.writeable
    np.testing.assert_array_equal(np.asarray(x), base)
