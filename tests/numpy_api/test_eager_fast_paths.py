"""The eager fast paths of ``x[idx]`` (ints and forward slices) and of the
whole-array float ``sum`` give exactly what the general paths give: the same
view (shape, strides, offset, storage, weak type), the same values and dtype."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import functorch_lite.numpy as jnp
from functorch_lite.numpy import _indexing
from functorch_lite.numpy._indexing import basic_getitem


def _index_item(n: int) -> st.SearchStrategy[object]:
    bound = st.integers(-2 * n - 2, 2 * n + 2) | st.none()
    return (st.integers(-n, n - 1) if n else st.nothing()) | st.builds(
        slice, bound, bound, st.integers(-3, 5).filter(bool) | st.none())


@st.composite
def _array_and_index(draw: st.DrawFn) -> tuple[jnp.ndarray, object]:
    shape = tuple(draw(st.lists(st.integers(0, 5), min_size=1, max_size=3)))
    base = jnp.arange(int(np.prod(shape)) + 3, dtype=jnp.float32)[3:].reshape(shape)
    if draw(st.booleans()) and len(shape) > 1:
        base = base.T  # a strided view with an offset
    k = draw(st.integers(1, base.ndim))
    parts = tuple(draw(_index_item(base.shape[d])) for d in range(k))
    return base, parts if draw(st.booleans()) or k > 1 else parts[0]


@settings(max_examples=300, deadline=None)
@given(_array_and_index())
def test_fast_view_is_the_general_view(case: tuple[jnp.ndarray, object]) -> None:
    x, idx = case
    want = basic_getitem(x, idx)
    got = x[idx]
    assert (got.shape, got.stride(), got.storage_offset()) == (
        want.shape, want.stride(), want.storage_offset())
    assert got.storage() is x.storage() and got.weak_type == want.weak_type
    np.testing.assert_array_equal(np.asarray(got), np.asarray(x)[idx])


def test_the_fast_view_is_taken_and_declines_what_it_does_not_cover() -> None:
    x = jnp.arange(10.0)
    assert _indexing._eager_basic_view(x, slice(1, None)) is not None
    assert _indexing._eager_basic_view(x, (3,)) is not None
    assert _indexing._eager_basic_view(x, slice(None)) is x
    for idx in (slice(None, None, -1), None, Ellipsis, np.int64(1), True, 10, -11, (1, 2), ()):
        assert _indexing._eager_basic_view(x, idx) is None
    with pytest.raises(IndexError, match="out of bounds"):
        x[10]


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "complex128"])
@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 0, 3), (1000,)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_fast_sum_is_the_general_sum(dtype: str, shape: tuple[int, ...], keepdims: bool) -> None:
    rng = np.random.default_rng(0)
    xn = rng.standard_normal(shape).astype(dtype)
    x = jnp.asarray(xn)
    got = jnp.sum(x, keepdims=keepdims)
    want = jnp.sum(x, axis=tuple(range(len(shape))), keepdims=keepdims)  # the general path
    assert got.dtype == want.dtype and got.shape == want.shape and got.weak_type == want.weak_type
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    np.testing.assert_array_equal(np.asarray(jnp.sum(x.T if x.ndim > 1 else x)), np.asarray(want).reshape(()))


@pytest.mark.parametrize("axis", [0, 1, -1, -2])
def test_take_along_axis_eager_fast_path_matches_numpy(axis: int) -> None:
    """Plain Arrays with no broadcasting go straight to the primitive's impl:
    NumPy's values, negative indices wrapped once, an out-of-range index still
    raises IndexError; broadcast indices and other modes take the general path."""
    import functorch_lite as fl

    rng = np.random.default_rng(axis + 5)
    xn = rng.standard_normal((6, 5)).astype(np.float32)
    ax = axis % 2
    n = xn.shape[ax]
    shape = (3, 5) if ax == 0 else (6, 3)
    idx = rng.integers(-n, n, shape).astype(np.int32)
    x, i = jnp.asarray(xn), jnp.asarray(idx)
    want = np.take_along_axis(xn, np.where(idx < 0, idx + n, idx), axis=axis)
    np.testing.assert_array_equal(np.asarray(jnp.take_along_axis(x, i, axis=axis)), want)
    np.testing.assert_array_equal(np.asarray(fl.jit(lambda a, b: jnp.take_along_axis(a, b, axis=axis))(x, i)), want)
    bad = idx.copy()
    bad[0, 0] = n
    with pytest.raises(IndexError):
        jnp.take_along_axis(x, jnp.asarray(bad), axis=axis)
    # broadcast indices (a size-1 axis outside ``axis``) and clip mode: the general path
    one = idx[:, :1] if ax == 0 else idx[:1]
    full_shape = (3, 5) if ax == 0 else (6, 3)
    np.testing.assert_array_equal(np.asarray(jnp.take_along_axis(x, jnp.asarray(one), axis=axis)),
                                  np.take_along_axis(xn, np.broadcast_to(np.where(one < 0, one + n, one), full_shape),
                                                     axis=axis))
    np.testing.assert_array_equal(np.asarray(jnp.take_along_axis(x, jnp.asarray(bad), axis=axis, mode="clip")),
                                  np.take_along_axis(xn, np.clip(np.where(bad < 0, bad + n, bad), 0, n - 1),
                                                     axis=axis))
    with pytest.raises(IndexError):
        jnp.take_along_axis(x, jnp.asarray(idx.astype(bool)), axis=axis)


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.complex64, np.bool_])
def test_at_with_one_integer_array_per_axis_matches_numpy(dtype: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """``x.at[i0, i1].add/mul/min/max/set(v)`` with plain integer index arrays of
    one shape (the eager fast path to the scatter): NumPy's ``ufunc.at`` values,
    repeated and negative indices included; bad indices and values raise the
    general path's errors; other index forms still work."""
    rng = np.random.default_rng(1)
    xn = (rng.standard_normal((5, 4)) * 3).astype(dtype)
    i0 = rng.integers(-5, 5, 12).astype(np.int32)
    i1 = rng.integers(-4, 4, 12).astype(np.int64)
    vn = (rng.standard_normal(12) * 2).astype(dtype)
    x, a, b, v = jnp.asarray(xn), jnp.asarray(i0), jnp.asarray(i1), jnp.asarray(vn)
    ufuncs = {"add": np.add, "mul": np.multiply, "min": np.minimum, "max": np.maximum}
    if np.dtype(dtype).kind == "c":
        ufuncs = {"add": np.add, "mul": np.multiply}
    if np.dtype(dtype).kind == "b":
        ufuncs = {"add": np.logical_or, "mul": np.logical_and, "min": np.minimum, "max": np.maximum}
    general = _indexing._parse

    def no_general_path(*args: object) -> object:
        raise AssertionError("the general .at path ran")

    monkeypatch.setattr(_indexing, "_parse", no_general_path)
    for name, uf in ufuncs.items():
        want = xn.copy()
        uf.at(want, (i0, i1), vn)
        method = {"mul": "multiply"}.get(name, name)
        got = getattr(x.at[a, b], method)(v)
        np.testing.assert_array_equal(np.asarray(got), want, err_msg=name)
        assert got.dtype == xn.dtype
    monkeypatch.setattr(_indexing, "_parse", general)
    np.testing.assert_array_equal(np.asarray(x), xn)  # x unchanged
    # set, unique positions; a scalar value broadcast
    u0, u1 = jnp.asarray(np.array([0, 4, -1], np.int32)), jnp.asarray(np.array([1, 2, 3], np.int32))
    want = xn.copy()
    want[[0, 4, 4], [1, 2, 3]] = 1
    np.testing.assert_array_equal(np.asarray(x.at[u0, u1].set(1)), want)
    with pytest.raises(IndexError, match="out of bounds"):
        x.at[jnp.asarray(np.array([5], np.int32)), jnp.asarray(np.array([0], np.int32))].add(1)
    with pytest.raises(IndexError, match="out of bounds"):
        x.at[jnp.asarray(np.array([-6], np.int32)), jnp.asarray(np.array([0], np.int32))].add(1)
    with pytest.raises(ValueError, match="cannot be broadcast"):
        x.at[a, b].add(jnp.ones(5, dtype))
    # index arrays of two shapes broadcast on the general path
    got = x.at[jnp.asarray(np.array([[0], [1]], np.int32)), jnp.asarray(np.array([0, 1, 2], np.int32))].set(0)
    want = xn.copy()
    want[np.array([[0], [1]]), np.array([0, 1, 2])] = 0
    np.testing.assert_array_equal(np.asarray(got), want)
