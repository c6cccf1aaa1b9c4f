"""Tiny inputs take NumPy paths (cheaper than a Numba dispatch); they must agree
exactly with the Numba kernels that larger inputs use."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import functorch_lite.numpy as jnp
from functorch_lite.ops.kernels import cumulative as kcum
from functorch_lite.ops.kernels import indexing as kidx
from functorch_lite.ops.kernels import linalg as klin
from tests._kernel_paths import kernel_path


def _both(f: Any) -> tuple[Any, Any]:
    """``f()`` through the Numba kernels and through the NumPy paths for small inputs."""
    with kernel_path("numba"):
        kernel = np.asarray(f())
    with kernel_path("numpy"):
        small = np.asarray(f())
    return kernel, small


RNG = np.random.default_rng(0)
X = RNG.normal(size=(6, 7)).astype(np.float32)
X[2, 3] = np.nan
XI = RNG.integers(-50, 50, size=(6, 7)).astype(np.int8)


@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("layout", ["plain", "transposed", "reversed"])
def test_cumulative_small_path_matches_kernel(op: str, axis: int, layout: str) -> None:
    x = jnp.array(X)
    if layout == "transposed":
        x = jnp.array(np.ascontiguousarray(X.T)).T
    elif layout == "reversed":
        x = jnp.flip(jnp.array(np.flip(X, 0).copy()), 0)
    fn = getattr(jnp, op)
    kernel, small = _both(lambda: fn(x, axis=axis))
    np.testing.assert_array_equal(kernel, small)


def test_cummax_reverse_small_path_matches_kernel() -> None:
    from functorch_lite.ops.cumulative import cummax_p

    x = jnp.array(X)
    kernel, small = _both(lambda: cummax_p.bind(x, axis=1, reverse=True))
    np.testing.assert_array_equal(kernel, small)


@pytest.mark.parametrize("mode", ["add", "mul", "min", "max"])
def test_scatter_small_path_matches_kernel(mode: str) -> None:
    x = jnp.array(X)
    idx = jnp.array([1, 4, 1, 0, 4, 4])
    upd = jnp.array(RNG.normal(size=(6, 7)).astype(np.float32))
    method = {"add": "add", "mul": "multiply", "min": "min", "max": "max"}[mode]
    kernel, small = _both(lambda: getattr(x.at[idx], method)(upd))
    np.testing.assert_array_equal(kernel, small)


def test_gather_small_path_matches_kernel() -> None:
    x = jnp.array(np.ascontiguousarray(X.T)).T
    idx = jnp.array([[5, 0], [2, 6], [2, 6]])
    kernel, small = _both(lambda: x[idx[:, 0], idx[:, 1]])
    np.testing.assert_array_equal(kernel, small)
    kernel, small = _both(lambda: x[jnp.array([3, 0, 3])])
    np.testing.assert_array_equal(kernel, small)


def test_int_matmul_small_path_matches_kernel() -> None:
    a = jnp.array(XI)
    b = jnp.array(np.ascontiguousarray(XI.T))
    kernel, small = _both(lambda: a @ b)
    np.testing.assert_array_equal(kernel, small)
    assert small.dtype == np.int8


def test_kernel_path_restores_thresholds() -> None:
    before = kcum.NUMPY_BELOW, kidx.NUMPY_BELOW, klin.INT_NUMPY_BELOW, klin.OUTER_NUMPY_BELOW
    with kernel_path("numpy"):
        assert kcum.NUMPY_BELOW > 1 << 30
    assert (kcum.NUMPY_BELOW, kidx.NUMPY_BELOW, klin.INT_NUMPY_BELOW, klin.OUTER_NUMPY_BELOW) == before


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
@pytest.mark.parametrize("layout", ["plain", "transposed"])
def test_batched_outer_product_small_path_matches_kernel(dtype: str, layout: str) -> None:
    from functorch_lite.ops.linalg import dot_general_p

    a = RNG.normal(size=(3, 1, 5)).astype(dtype)
    b = RNG.normal(size=(4, 1, 3)).astype(dtype)
    x = jnp.array(a)
    y = jnp.transpose(jnp.array(np.ascontiguousarray(b.transpose(2, 1, 0))), (2, 1, 0))
    if layout == "plain":
        y = jnp.array(b)

    def f() -> Any:
        # batch axis 0 of x with axis 2 of y; the size-1 axes contract: a batch of outer products
        return dot_general_p.bind(x, y, dimension_numbers=(((1,), (1,)), ((0,), (2,))), preferred_element_type=None)

    kernel, small = _both(f)
    want = np.einsum("bi,jb->bij", a[:, 0, :], b[:, 0, :])
    np.testing.assert_array_equal(kernel, small)
    np.testing.assert_allclose(kernel, want, rtol=1e-6)
