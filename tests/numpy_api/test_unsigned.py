"""The wide unsigned dtypes (uint16, uint32, uint64) against NumPy: arithmetic
with wrap-around, bitwise ops and shifts, reductions and their result dtypes,
sorting, indexing and ``.at`` updates, conversions, promotion with Python ints,
32-bit mode narrowing, and jit/vmap agreeing with eager.  (The registry
sweeps draw from the narrower dtypes; these cover the wide ones.)"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import dtypes

WIDE = [np.dtype(np.uint16), np.dtype(np.uint32), np.dtype(np.uint64)]


def _operands(dt: np.dtype[Any]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    top = np.iinfo(dt).max
    a = np.array([0, 1, 7, top, top - 1, 300, 12345 % top], dt)
    b = np.array([3, 2, 1, 2, 5, 7, 9], dt)
    return a, b


def _same(got: Any, want: Any) -> None:
    g, w = np.asarray(got), np.asarray(want)
    assert g.dtype == w.dtype, (g.dtype, w.dtype)
    np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("dt", WIDE, ids=str)
def test_arithmetic_wraps_and_bitwise_match_numpy(dt: np.dtype[Any]) -> None:
    a, b = _operands(dt)
    x, y = jnp.asarray(a), jnp.asarray(b)
    with np.errstate(all="ignore"):
        for got, want in ((x + y, a + b), (x - y, a - b), (x * y, a * b), (x // y, a // b), (x % y, a % b),
                          (x & y, a & b), (x | y, a | b), (x ^ y, a ^ b), (~x, ~a), (x << y, a << b),
                          (x >> y, a >> b), (x ** 2, a ** 2), (jnp.maximum(x, y), np.maximum(a, b)),
                          (jnp.minimum(x, y), np.minimum(a, b)), (jnp.abs(x), a), (x == y, a == b), (x < y, a < b),
                          (jnp.where(x > 2, x, y), np.where(a > 2, a, b)), (jnp.clip(x, 1, 5), np.clip(a, 1, 5))):
            _same(got, want)
    # division by zero gives 0, as for the other integer dtypes (JAX), not NumPy's warning
    _same(x // jnp.zeros_like(y), np.zeros_like(a))


@pytest.mark.parametrize("dt", WIDE, ids=str)
def test_reductions_and_their_dtypes(dt: np.dtype[Any]) -> None:
    a, b = _operands(dt)
    x = jnp.asarray(a)
    with np.errstate(all="ignore"):
        # NumPy's rule (64-bit mode): a narrow unsigned sum accumulates in uint64
        _same(jnp.sum(x), np.sum(a))
        _same(jnp.prod(jnp.asarray(b)), np.prod(b))
        _same(jnp.cumsum(x), np.cumsum(a))
        _same(jnp.cumprod(jnp.asarray(b)), np.cumprod(b))
    _same(jnp.max(x), a.max())
    _same(jnp.min(x), a.min())
    assert int(jnp.argmax(x)) == int(a.argmax()) and int(jnp.argmin(x)) == int(a.argmin())
    _same(jnp.sort(x), np.sort(a))
    np.testing.assert_array_equal(np.asarray(jnp.argsort(x)), np.argsort(a, stable=True))
    _same(jnp.unique(x), np.unique(a))
    np.testing.assert_allclose(np.asarray(jnp.mean(x)), a.astype(np.float64).mean(), rtol=1e-12)


@pytest.mark.usefixtures("x64_off")
def test_32_bit_mode_sums_in_uint32_and_narrows_uint64_data() -> None:
    x = jnp.asarray(np.array([60000, 60000], np.uint16))
    assert jnp.sum(x).dtype == np.uint32 and int(jnp.sum(x)) == 120000
    assert jnp.asarray(np.arange(3, dtype=np.uint64)).dtype == np.uint32
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert jnp.zeros(2, jnp.uint64).dtype == np.uint32
    with fl.enable_x64():
        assert jnp.zeros(2, jnp.uint64).dtype == np.uint64


@pytest.mark.parametrize("dt", WIDE, ids=str)
def test_indexing_and_updates(dt: np.dtype[Any]) -> None:
    a, _ = _operands(dt)
    x = jnp.asarray(a)
    _same(x[jnp.asarray([4, 0, 2])], a[[4, 0, 2]])
    _same(x[1:5:2], a[1:5:2])
    want = a.copy()
    want[1] = 9
    _same(x.at[1].set(9), want)
    with np.errstate(all="ignore"):
        want = a.copy()
        want[[0, 0, 3]] += np.array(5, dt)  # one add per distinct index with fancy +=
        got = x.at[jnp.asarray([0, 3])].add(5)
        _same(got, want)
    _same(jnp.take(x, jnp.asarray([6, 1])), a[[6, 1]])
    _same(jnp.concatenate([x, x[:2]]), np.concatenate([a, a[:2]]))


@pytest.mark.parametrize("dt", WIDE, ids=str)
def test_conversions_saturate_like_other_integers(dt: np.dtype[Any]) -> None:
    top = int(np.iinfo(dt).max)
    f = jnp.asarray(np.array([1e30, -5.0, np.nan, 3.7]))
    # float -> unsigned: out-of-range values clamp, nan gives 0 (defined, as XLA), in range truncates
    assert np.asarray(f.astype(dt)).tolist() == [top, 0, 0, 3]
    a, _ = _operands(dt)
    _same(jnp.asarray(a).astype(jnp.float64), a.astype(np.float64))
    _same(jnp.asarray(a).astype(jnp.int64), a.astype(np.int64))


def test_promotion_with_python_ints_and_signed_arrays() -> None:
    u32 = jnp.asarray(np.array([1, 2], np.uint32))
    assert (u32 + 1).dtype == np.uint32
    assert (u32 * 2.5).dtype == dtypes.default_float_dtype()
    with pytest.raises(OverflowError, match="uint32"):
        u32 + (-1)
    with pytest.raises(OverflowError, match="uint16"):
        jnp.asarray(np.array([1], np.uint16)) + 70000
    # uint64 with a signed int: no integer holds both; JAX's lattice gives the default float
    i8 = jnp.asarray(np.array([-1, 2], np.int8))
    mixed = jnp.asarray(np.array([1, 2], np.uint64)) + i8
    assert mixed.dtype == np.float64 and np.asarray(mixed).tolist() == [0.0, 4.0]
    assert (jnp.asarray(np.array([1], np.uint32)) + jnp.asarray(np.array([1], np.int32))).dtype == np.int64
    with pytest.raises(TypeError, match="bitwise_and"):
        jnp.bitwise_and(jnp.asarray(np.array([1], np.uint64)), i8)  # the float result has no bits (NumPy raises too)


@pytest.mark.parametrize("dt", WIDE, ids=str)
def test_jit_and_vmap_agree_with_eager(dt: np.dtype[Any]) -> None:
    a, b = _operands(dt)
    x, y = jnp.asarray(a), jnp.asarray(b)

    def f(p: Any, q: Any) -> Any:
        return (p * q + p) ^ (q << 1), jnp.sum(p), jnp.max(q)

    eager = f(x, y)
    for got, want in zip(fl.jit(f)(x, y), eager):
        _same(got, want)
    rows = jnp.stack([x, y])
    batched = fl.vmap(lambda r: r + r * 3)(rows)
    _same(batched, np.stack([a + a * 3, b + b * 3]))


def test_iinfo_and_names() -> None:
    assert jnp.iinfo(jnp.uint64).max == 2**64 - 1
    assert jnp.iinfo(jnp.uint16).bits == 16
    assert jnp.uint32(7).dtype == np.uint32
    for name in ("uint16", "uint32", "uint64"):
        assert dtypes.canonicalize(name) == np.dtype(name)
        assert jnp.isdtype(np.dtype(name), "unsigned integer")
