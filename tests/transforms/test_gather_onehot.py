"""jit's one-index gathers over short axes as masked reductions
(``transforms/gather_onehot.py``): the same values, errors and gradients as
the gather, against NumPy and eager."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import core
from functorch_lite.transforms.compiler import optimize
from functorch_lite.transforms.gather_onehot import MAX_AXIS, onehot_gathers


def _prims(f: Any, *args: Any) -> list[str]:
    return [e.prim.name for e in onehot_gathers(optimize(fl.make_ir(f)(*args))).eqns]


def _nll(logits: Any, labels: Any) -> Any:
    return -jnp.mean(jnp.take_along_axis(jnp.log_softmax(logits), labels[:, None], axis=1))


def test_integer_label_loss_and_gradient_fuse_and_match_numpy() -> None:
    rng = np.random.default_rng(0)
    z = rng.standard_normal((32, 10)).astype(np.float32)
    y = rng.integers(-10, 10, 32).astype(np.int32)  # negatives wrap once, as the gather's
    prims = _prims(fl.value_and_grad(_nll), jnp.asarray(z), jnp.asarray(y))
    assert "take_along_axis" not in prims and "scatter_add_along_axis" not in prims
    assert prims.count("index_check") == 1  # one check serves the gather and its transpose
    val, g = fl.jit(fl.value_and_grad(_nll))(jnp.asarray(z), jnp.asarray(y))
    ev, eg = fl.value_and_grad(_nll)(jnp.asarray(z), jnp.asarray(y))
    z64 = z.astype(np.float64)
    logp = z64 - z64.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    yy = y % 10
    np.testing.assert_allclose(float(val), -logp[np.arange(32), yy].mean(), rtol=1e-6)
    want = np.exp(logp)
    want[np.arange(32), yy] -= 1
    np.testing.assert_allclose(np.asarray(g), want / 32, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(float(val), float(ev), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(g), np.asarray(eg), rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("bad", [10, -11, 2**31 - 1])
def test_out_of_range_labels_raise_as_eagerly(bad: int) -> None:
    z = jnp.zeros((4, 10))
    y = jnp.asarray(np.array([0, 1, bad, 2], np.int32))
    with pytest.raises(IndexError, match=f"index {bad} is out of bounds for axis 1 with size 10"):
        fl.jit(_nll)(z, y)
    with pytest.raises(IndexError, match=f"index {bad} is out of bounds"):
        fl.jit(fl.grad(_nll))(z, y)
    with pytest.raises(IndexError, match=f"index {bad} is out of bounds"):
        _nll(z, y)


@settings(max_examples=30, deadline=None)
@given(rows=st.integers(0, 6), n=st.integers(1, 12), axis=st.sampled_from([0, 1]),
       dtype=st.sampled_from([np.float32, np.float64, np.int32, np.int8, np.uint8, np.bool_]),
       data=st.data())
def test_take_and_scatter_equal_the_gather(rows: int, n: int, axis: int, dtype: Any, data: Any) -> None:
    shape = (n, rows) if axis == 0 else (rows, n)
    rng = np.random.default_rng(rows * 100 + n)
    x = (rng.standard_normal(shape) * 5).astype(dtype)
    if dtype == np.float32 and x.size:
        x.reshape(-1)[0] = -0.0  # kept through the masked max
        x.reshape(-1)[-1] = np.nan
    ishape = (1, rows) if axis == 0 else (rows, 1)
    idx = rng.integers(-n, n, ishape).astype(data.draw(st.sampled_from([np.int32, np.int64])))
    f = lambda x, i: jnp.take_along_axis(x, i, axis=axis)  # noqa: E731
    got = np.asarray(fl.jit(f)(jnp.asarray(x), jnp.asarray(idx)))
    want = np.take_along_axis(x, idx % n, axis=axis)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)  # bit-equal, -0.0 and NaN included
    assert np.array_equal(np.signbit(got), np.signbit(want)) if dtype == np.float32 else True
    if np.dtype(dtype).kind == "f":
        u = rng.standard_normal(ishape).astype(dtype)
        s = fl.jit(lambda u, i: fl.vjp(lambda x: f(x, i), jnp.asarray(x))[1](u)[0])(jnp.asarray(u), jnp.asarray(idx))
        ref = np.zeros(shape, dtype)
        np.put_along_axis(ref, idx % n, u, axis=axis)
        np.testing.assert_array_equal(np.asarray(s), ref)
        assert not np.signbit(np.asarray(s)[ref == 0]).any()  # zeros + u: no -0.0


def test_long_axes_and_several_indices_per_row_keep_the_gather() -> None:
    x = jnp.ones((4, MAX_AXIS + 1))
    assert "take_along_axis" in _prims(lambda x, i: jnp.take_along_axis(x, i, axis=1), x, jnp.zeros((4, 1), int))
    x = jnp.ones((4, 10))
    assert "take_along_axis" in _prims(lambda x, i: jnp.take_along_axis(x, i, axis=1), x, jnp.zeros((4, 2), int))


def test_index_check_is_lowering_only() -> None:
    assert "index_check" not in core.PRIMITIVES
