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
