"""``functorch_lite.lax``: the functions JAX users call directly, against
``jax.lax`` itself (skipped without jax) and NumPy (always): values over
several dtypes, derivatives against finite differences in float64, and
eager == jit == vmap-of-a-loop for the traced-index and multi-operand ops."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import lax
from tests._gradcheck import assert_close, numerical_grad

RNG = np.random.default_rng(0)


@pytest.fixture
def jlax() -> Iterator[Any]:
    """``jax.lax`` in JAX's 64-bit mode for the test (restored after)."""
    jax = pytest.importorskip("jax")
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        yield jax.lax
    finally:
        jax.config.update("jax_enable_x64", old)


def _np(x: Any) -> Any:
    if isinstance(x, (tuple, list)):
        return type(x)(_np(v) for v in x)
    return np.asarray(x)


def _same(got: Any, want: Any, rtol: float = 1e-6, atol: float = 1e-12, dtype: bool = True) -> None:
    if isinstance(want, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(want)
        for g, w in zip(got, want):
            _same(g, w, rtol, atol, dtype)
        return
    g, w = np.asarray(got), np.asarray(want)
    assert g.shape == w.shape, (g.shape, w.shape)
    if dtype:
        assert g.dtype == w.dtype, (g.dtype, w.dtype)
    if w.dtype.kind in "fc":
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(g, w)


def _data(dt: Any, shape: tuple[int, ...] = (3, 4), lo: float = -3.0, hi: float = 3.0) -> np.ndarray[Any, Any]:
    dt = np.dtype(dt)
    if dt.kind == "b":
        return RNG.random(shape) < 0.5
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return RNG.integers(max(info.min, int(lo) * 10), min(info.max, int(hi) * 10) + 1, shape).astype(dt)
    if dt.kind == "c":
        return (RNG.uniform(lo, hi, shape) + 1j * RNG.uniform(lo, hi, shape)).astype(dt)
    return RNG.uniform(lo, hi, shape).astype(dt)


# --- elementwise against jax.lax ---------------------------------------------------------------

# JAX compiles each (op, dtype, shape) once (~50 ms): one dtype per kind, float32 and
# complex64 for the ops whose kernels differ by precision
F, C, I, U = ("float64",), ("complex128",), ("int8", "int64"), ("uint32",)
F2, C2 = ("float32", "float64"), ("complex64", "complex128")
UNARY: dict[str, tuple[tuple[str, ...], float, float]] = {
    "neg": (F + C + I, -3, 3), "abs": (F + C + I, -3, 3), "sign": (F + C + I, -3, 3),
    "floor": (F, -3, 3), "ceil": (F, -3, 3), "is_finite": (F, -3, 3),
    "exp": (F2 + C2, -3, 3), "exp2": (F, -3, 3), "log": (F2 + C2, 0.1, 3), "log1p": (F + C, -0.5, 3),
    "expm1": (F + C, -3, 3), "tanh": (F2 + C2, -3, 3), "logistic": (F2 + C2, -3, 3),
    "sin": (F + C, -3, 3), "cos": (F + C, -3, 3), "tan": (F, -1, 1), "asin": (F, -0.9, 0.9),
    "acos": (F, -0.9, 0.9), "atan": (F, -3, 3), "sinh": (F, -3, 3), "cosh": (F, -3, 3),
    "asinh": (F, -3, 3), "acosh": (F, 1.1, 3), "atanh": (F, -0.9, 0.9),
    "sqrt": (F2 + C2, 0.1, 3), "rsqrt": (F + C, 0.1, 3), "cbrt": (F, -3, 3),
    "square": (F + C + I, -3, 3), "reciprocal": (F + C, 0.5, 3),
    "erf": (F2, -3, 3), "erfc": (F, -3, 3), "erf_inv": (F2, -0.9, 0.9), "lgamma": (F2, 0.1, 5),
    "digamma": (F, 0.1, 5), "bitwise_not": (I + U + ("bool",), -3, 3),
    "population_count": (I + U, -10, 10), "clz": (I + U, -10, 10),
}
UNARY_CASES = [(n, d) for n, (dts, _, _) in UNARY.items() for d in dts]


@pytest.mark.parametrize("name,dt", UNARY_CASES)
def test_unary_matches_jax(jlax: Any, name: str, dt: str) -> None:
    _, lo, hi = UNARY[name]
    x = _data(dt, (2, 5), lo, hi)
    tol = 2e-5 if dt in ("float32", "complex64") else 1e-11
    _same(getattr(lax, name)(x), getattr(jlax, name)(x), rtol=tol, atol=tol)


BINARY: dict[str, tuple[str, ...]] = {
    "sub": F + C + I, "div": F + C + I + U, "rem": F + I + U, "pow": F + C, "atan2": F, "nextafter": F,
    "eq": F + C + I, "ne": F + I, "lt": F + I + U, "le": F + I, "gt": F + I, "ge": F + U,
    "bitwise_and": I + U + ("bool",), "bitwise_or": I + ("bool",), "bitwise_xor": I + U + ("bool",),
    "add": F + C + I, "mul": F + C + I, "max": F + I, "min": F + I,
}
BINARY_CASES = [(n, d) for n, dts in BINARY.items() for d in dts]


@pytest.mark.parametrize("name,dt", BINARY_CASES)
def test_binary_matches_jax(jlax: Any, name: str, dt: str) -> None:
    x = _data(dt, (3, 4))
    y = _data(dt, (3, 4), 0.5, 3) if name in ("pow",) else _data(dt, (3, 4))
    if name == "pow":
        x = np.abs(x) + np.asarray(0.5, x.dtype)
    if np.dtype(dt).kind in "iu" and name in ("div", "rem"):
        y.flat[0] = 0  # XLA: x / 0 == -1 and x % 0 == x for integers
        x.flat[1], y.flat[1] = np.asarray(-7).astype(dt), np.asarray(2).astype(dt)
    x.flat[2] = y.flat[2]  # a tie for the comparisons
    tol = 2e-5 if dt in ("float32", "complex64") else 1e-12
    _same(getattr(lax, name)(x, y), getattr(jlax, name)(x, y), rtol=tol, atol=tol)


def test_div_rem_truncate_like_c() -> None:
    x, y = np.array([-7, 7, -7, 7, 5, -6]), np.array([2, 2, -2, -2, 0, 3])
    _same(lax.div(x, y), np.array([-3, 3, 3, -3, -1, -2]))
    _same(lax.rem(x, y), np.array([-1, 1, -1, 1, 5, 0]))
    xf, yf = x.astype(np.float64), np.where(y == 0, 1, y).astype(np.float64)
    _same(lax.rem(xf, yf), np.fmod(xf, yf))
    _same(lax.div(np.array([7], np.uint8), np.array([2], np.uint8)), np.array([3], np.uint8))


@pytest.mark.parametrize("dt", ["int8", "int32", "uint8", "uint32", "int64"])
def test_shifts_match_jax(jlax: Any, dt: str) -> None:
    x = _data(dt, (12,), -10, 10)
    nbits = np.dtype(dt).itemsize * 8
    y = np.array([0, 1, 2, 3, nbits - 1, nbits, nbits + 5, 1, 2, 3, 4, 5]).astype(dt)
    for name in ("shift_left", "shift_right_logical", "shift_right_arithmetic"):
        _same(getattr(lax, name)(x, y), getattr(jlax, name)(x, y))


def test_round_integer_pow_clamp_pow_match_jax(jlax: Any) -> None:
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 0.49999999999999994, -2.6, 3.2])
    for method in (0, 1, lax.RoundingMethod.AWAY_FROM_ZERO, lax.RoundingMethod.TO_NEAREST_EVEN):
        _same(lax.round(x, method), jlax.round(x, int(method)))
    for dt in ("float32", "complex128", "int8"):
        v = _data(dt, (5,), -2, 2)
        for n in (0, 1, 3, 5):
            _same(lax.integer_pow(v, n), jlax.integer_pow(v, n), rtol=1e-5)
        if np.dtype(dt).kind in "fc":
            v = v + np.asarray(3, v.dtype)
            _same(lax.integer_pow(v, -3), jlax.integer_pow(v, -3), rtol=1e-5)
    base = np.array([1.5, 2.0, 0.5])
    _same(lax.pow(base, np.array([3, -2, 0], np.int32)), jlax.pow(base, np.array([3, -2, 0], np.int32)))
    _same(lax.pow(base, 2), jlax.pow(base, 2.0))
    for dt in ("float64", "int32", "uint8"):
        v = _data(dt, (6,), 0, 5)
        lo, hi = np.asarray(1).astype(dt), np.asarray(3).astype(dt)
        _same(lax.clamp(lo, v, hi), jlax.clamp(lo, v, hi))
    lo_arr, v = np.zeros(6), _data("float64", (6,))
    _same(lax.clamp(lo_arr, v, 1.0), jlax.clamp(lo_arr, v, 1.0))


def test_conversions_match_jax(jlax: Any) -> None:
    x = np.array([1.7, -1.7, 0.5, 300.25])
    for dt in ("int32", "int8", "uint8", "float32", "complex64", "bool"):
        if dt in ("int8", "uint8"):
            continue  # out-of-range float -> narrow int is implementation-defined
        _same(lax.convert_element_type(x, dt), jlax.convert_element_type(x, dt))
    _same(lax.convert_element_type(np.array([1 + 2j]), np.float64),
          jlax.convert_element_type(np.array([1 + 2j]), np.float64))
    for src, dst in (("float32", "int32"), ("float32", "uint8"), ("int16", "int8"), ("uint8", "int32"),
                     ("float64", "uint32"), ("int64", "float64"), ("int8", "uint8")):
        a = _data(src, (2, 4), -3, 3)
        if np.dtype(dst).itemsize > np.dtype(src).itemsize:
            a = _data(src, (2, np.dtype(dst).itemsize // np.dtype(src).itemsize))
        _same(lax.bitcast_convert_type(a, dst), jlax.bitcast_convert_type(a, dst))
    v = np.array([1.0, 1.1, 3e38, 1e-40, -2.5, np.nan, np.inf, -np.inf, 65519.0, 65520.0, 6e-8, 1e-5, -0.0],
                 np.float32)
    for e, m in ((5, 10), (8, 7), (8, 23), (4, 3), (11, 52)):
        _same(lax.reduce_precision(v, e, m), jlax.reduce_precision(v, exponent_bits=e, mantissa_bits=m))
        w = v.astype(np.float64) * 1.0000001
        _same(lax.reduce_precision(w, e, m), jlax.reduce_precision(w, exponent_bits=e, mantissa_bits=m))


def test_population_count_and_clz_all_int8_values() -> None:
    x = np.arange(-128, 128).astype(np.int8)
    u = x.view(np.uint8)
    _same(lax.population_count(x), np.array([bin(int(v)).count("1") for v in u], np.int8))
    _same(lax.clz(x), np.array([8 - int(v).bit_length() for v in u], np.int8))
    big = np.array([0, 1, 2**40, -1, 2**62], np.int64)
    _same(lax.clz(big), np.array([64, 63, 23, 0, 1], np.int64))


# --- shapes and creation --------------------------------------------------------------------------


def test_shape_ops_match_jax(jlax: Any) -> None:
    x = _data("float64", (2, 3))
    _same(lax.broadcast(x, (4, 1)), jlax.broadcast(x, (4, 1)))
    _same(lax.broadcast_in_dim(x[:, :1], (2, 5, 3), (0, 2)), jlax.broadcast_in_dim(x[:, :1], (2, 5, 3), (0, 2)))
    _same(lax.reshape(x, (3, 2)), jlax.reshape(x, (3, 2)))
    _same(lax.reshape(x, (6,), (1, 0)), jlax.reshape(x, (6,), (1, 0)))
    _same(lax.squeeze(x[None, :, None], (0, 2)), jlax.squeeze(x[None, :, None], (0, 2)))
    _same(lax.expand_dims(x, (0, 3)), jlax.expand_dims(x, (0, 3)))
    y = _data("int32", (2, 3, 4))
    _same(lax.transpose(y, (2, 0, 1)), jlax.transpose(y, (2, 0, 1)))
    _same(lax.rev(y, (0, 2)), jlax.rev(y, (0, 2)))
    for cfg in ([(1, 2, 0), (0, 0, 1), (-1, 1, 2)], [(0, -2, 0), (2, -1, 1), (0, 0, 0)]):
        _same(lax.pad(y, np.int32(-5), cfg), jlax.pad(y, np.int32(-5), cfg))
    _same(lax.concatenate([y, y[:1]], 0), jlax.concatenate([y, y[:1]], 0))
    c = [_data("complex128", (3,)) for _ in range(3)]
    which = np.array([2, 0, 1], np.int32)
    _same(lax.select_n(which, *c), jlax.select_n(which, *c))
    pred = np.array([True, False, True])
    _same(lax.select_n(pred, c[0], c[1]), jlax.select_n(pred, c[0], c[1]))
    _same(lax.select_n(np.int32(1), c[0], c[1]), jlax.select_n(np.int32(1), c[0], c[1]))
    _same(lax.iota(np.int32, 5), jlax.iota(np.int32, 5))
    _same(lax.broadcasted_iota(np.float32, (2, 3), 0), jlax.broadcasted_iota(np.float32, (2, 3), 0))
    _same(lax.full((2, 2), 3, np.int8), jlax.full((2, 2), 3, np.int8))
    _same(lax.full_like(y, 2.5, np.float32), jlax.full_like(y, 2.5, np.float32))
    _same(lax.full_like(y, 7, shape=(3,)), jlax.full_like(y, 7, shape=(3,)))
    _same(lax.zeros_like_array(y), np.zeros_like(y))  # jax.lax no longer exports it


@pytest.mark.parametrize("dt", ["float32", "float64", "complex128", "int32", "int8"])
def test_dot_general_and_dot_match_jax(jlax: Any, dt: str) -> None:
    a, b = _data(dt, (5, 2, 3), -2, 2), _data(dt, (3, 5, 4), -2, 2)
    dn = (((2,), (0,)), ((0,), (1,)))
    tol = 1e-5 if dt == "float32" else 1e-12
    _same(lax.dot_general(a, b, dn), jlax.dot_general(a, b, dn), rtol=tol, atol=tol)
    m, v = _data(dt, (3, 4), -2, 2), _data(dt, (4,), -2, 2)
    _same(lax.dot(m, v), jlax.dot(m, v), rtol=tol, atol=tol)
    _same(lax.dot(v, v), jlax.dot(v, v), rtol=tol, atol=tol)
    _same(lax.dot(m, m.T), jlax.dot(m, m.T), rtol=tol, atol=tol)
    if dt == "int8":
        big = np.full((2, 64), 100, np.int8)
        got = lax.dot_general(big, big, (((1,), (1,)), ((), ())), preferred_element_type=np.int32)
        _same(got, jlax.dot_general(big, big, (((1,), (1,)), ((), ())), preferred_element_type=np.int32))
        assert int(np.asarray(got)[0, 0]) == 640000
    if dt == "float32":
        _same(lax.dot(m, v, preferred_element_type=np.float64), jlax.dot(m, v, preferred_element_type=np.float64),
              rtol=1e-6)
        _same(lax.dot(m, v.astype(np.float64)), jlax.dot(m, v.astype(np.float64)), rtol=1e-6)


# --- slicing -------------------------------------------------------------------------------------


def test_static_slices_match_numpy() -> None:
    x = np.arange(24).reshape(4, 6)
    _same(lax.slice(x, (1, 0), (4, 6), (2, 3)), x[1:4:2, 0:6:3])
    _same(lax.slice_in_dim(x, 1, -1, 2, axis=1), x[:, 1:-1:2])
    _same(lax.slice_in_dim(x, None, 2), x[:2])
    _same(lax.index_in_dim(x, -1, 1), x[:, -1:])
    _same(lax.index_in_dim(x, 2, 0, keepdims=False), x[2])


STARTS = [(0, 0), (1, 2), (3, 5), (-1, -2), (10, -100), (-7, 3)]


def _ref_dynamic_slice(x: np.ndarray[Any, Any], starts: Any, sizes: Any) -> Any:
    idx = []
    for s, k, n in zip(starts, sizes, x.shape):
        s = s + n if s < 0 else s
        s = min(max(s, 0), n - k)
        idx.append(slice(s, s + k))
    return x[tuple(idx)]


def _ref_dynamic_update(x: np.ndarray[Any, Any], u: np.ndarray[Any, Any], starts: Any) -> Any:
    out = x.copy()
    idx = []
    for s, k, n in zip(starts, u.shape, x.shape):
        s = s + n if s < 0 else s
        s = min(max(s, 0), n - k)
        idx.append(slice(s, s + k))
    out[tuple(idx)] = u
    return out


@pytest.mark.parametrize("starts", STARTS)
@pytest.mark.parametrize("dt", ["float64", "int32", "complex64", "bool"])
def test_dynamic_slice_clamps_like_jax_in_every_mode(starts: tuple[int, int], dt: str) -> None:
    x = _data(dt, (4, 6))
    want = _ref_dynamic_slice(x, starts, (2, 3))
    _same(lax.dynamic_slice(x, starts, (2, 3)), want)
    _same(lax.dynamic_slice(x, np.array(starts), (2, 3)), want)
    jitted = fl.jit(lambda a, i, j: lax.dynamic_slice(a, (i, j), (2, 3)))
    _same(jitted(x, np.int32(starts[0]), np.int64(starts[1])), want)
    u = _data(dt, (2, 3))
    want_u = _ref_dynamic_update(x, u, starts)
    _same(lax.dynamic_update_slice(x, u, starts), want_u)
    jitted_u = fl.jit(lambda a, b, i, j: lax.dynamic_update_slice(a, b, (i, j)))
    _same(jitted_u(x, u, np.int32(starts[0]), np.int32(starts[1])), want_u)


def test_dynamic_slice_matches_jax(jlax: Any) -> None:
    x = _data("float32", (4, 6, 3))
    for starts in [(0, 0, 0), (3, -1, 2), (-9, 4, 1), (2, 9, -1)]:
        _same(lax.dynamic_slice(x, starts, (2, 3, 2)), jlax.dynamic_slice(x, starts, (2, 3, 2)))
        u = _data("float32", (1, 2, 3))
        _same(lax.dynamic_update_slice(x, u, starts), jlax.dynamic_update_slice(x, u, starts))
        _same(lax.dynamic_slice_in_dim(x, starts[1], 4, axis=1), jlax.dynamic_slice_in_dim(x, starts[1], 4, axis=1))
        _same(lax.dynamic_index_in_dim(x, starts[0], 0, False), jlax.dynamic_index_in_dim(x, starts[0], 0, False))
        _same(lax.dynamic_index_in_dim(x, starts[2], 2), jlax.dynamic_index_in_dim(x, starts[2], 2))
        row = _data("float32", (4, 3))
        _same(lax.dynamic_update_index_in_dim(x, row, starts[1], 1),
              jlax.dynamic_update_index_in_dim(x, row, starts[1], 1))
        _same(lax.dynamic_update_slice_in_dim(x, u[:, :, :1], starts[0], 0),
              jlax.dynamic_update_slice_in_dim(x, u[:, :, :1], starts[0], 0))


def test_dynamic_slice_vmap_matches_loop_and_grads() -> None:
    x = _data("float64", (5, 4))
    idx = np.array([-1, 0, 2, 4, 9], np.int32)
    got = fl.vmap(lambda i: lax.dynamic_slice(x, (i, 1), (2, 2)))(idx)
    _same(got, np.stack([_ref_dynamic_slice(x, (int(i), 1), (2, 2)) for i in idx]))
    xs = _data("float64", (5, 6))
    got = fl.vmap(lambda row, i: lax.dynamic_slice_in_dim(row, i, 3))(xs, idx)
    _same(got, np.stack([_ref_dynamic_slice(r, (int(i),), (3,)) for r, i in zip(xs, idx)]))
    us = _data("float64", (5, 2))
    got = fl.jit(fl.vmap(lambda row, u, i: lax.dynamic_update_slice(row, u, (i,))))(xs, us, idx)
    _same(got, np.stack([_ref_dynamic_update(r, u, (int(i),)) for r, u, i in zip(xs, us, idx)]))
    # gradients with a traced start, against finite differences
    w = _data("float64", (6,))

    def loss(a: Any, u: Any) -> Any:
        s = lax.dynamic_slice(a, (jnp.array(3),), (2,))
        b = lax.dynamic_update_slice(a, u * s, (jnp.array(-2),))
        return jnp.sum(jnp.sin(b) * w)

    a0, u0 = _data("float64", (6,)), _data("float64", (2,))
    for argnum in (0, 1):
        g = fl.jit(fl.grad(loss, argnums=argnum))(a0, u0)
        assert_close(g, numerical_grad(loss, [a0, u0], argnum), rtol=1e-6, atol=1e-8)


# --- reductions, scans, sorts -----------------------------------------------------------------


_NP_REDUCERS: dict[str, Any] = {
    "reduce_sum": np.sum, "reduce_prod": np.prod, "reduce_max": np.max, "reduce_min": np.min,
    "reduce_and": lambda x, axis: np.bitwise_and.reduce(x, axis=axis) if x.dtype.kind != "b" else np.all(x, axis),
    "reduce_or": lambda x, axis: np.bitwise_or.reduce(x, axis=axis) if x.dtype.kind != "b" else np.any(x, axis),
    "reduce_xor": lambda x, axis: np.bitwise_xor.reduce(x, axis=axis),
}


def _reducer_names(kind: str) -> list[str]:
    names = [] if kind == "b" else ["reduce_sum", "reduce_prod"]
    names += [] if kind == "c" else ["reduce_max", "reduce_min"]
    return names + (["reduce_and", "reduce_or", "reduce_xor"] if kind in "biu" else [])


@pytest.mark.parametrize("dt", ["float64", "int32", "uint8", "bool", "complex128", "int8", "uint64"])
def test_reductions_match_numpy(dt: str) -> None:
    x = _data(dt, (3, 4, 5), -2, 2)
    kind = np.dtype(dt).kind
    for axes in [(0,), (1, 2), (0, 1, 2), ()]:
        for name in _reducer_names(kind):
            want = _NP_REDUCERS[name](x, axis=axes)
            _same(getattr(lax, name)(x, axes), np.asarray(want).astype(x.dtype), rtol=1e-10)
    monoids: list[tuple[Any, Any]] = [(lax.add, np.add), (lax.mul, np.multiply)] if kind != "b" else []
    monoids += [] if kind == "c" else [(lax.max, np.maximum), (lax.min, np.minimum)]
    monoids += [(lax.bitwise_and, np.bitwise_and), (lax.bitwise_or, np.bitwise_or)] if kind in "biu" else []
    init = x.reshape(-1)[0]
    for ours, ufunc in monoids:
        _same(lax.reduce(x, init, ours, (0, 2)), ufunc(ufunc.reduce(x, axis=(0, 2)), init).astype(x.dtype),
              rtol=1e-10)
    if kind not in "bc":
        x[0, 0, :2] = x[0, 0, 2]  # ties: the first index wins
        for axis in (0, 1, 2):
            _same(lax.argmax(x, axis, np.int32), np.argmax(x, axis).astype(np.int32))
            _same(lax.argmin(x, axis, np.uint8), np.argmin(x, axis).astype(np.uint8))


def test_reductions_match_jax(jlax: Any) -> None:
    x = _data("int16", (3, 4), -20, 20)
    f = np.array([[1.0, np.nan, 3.0], [2.0, 0.5, -1.0]])
    for name in ("reduce_and", "reduce_or", "reduce_xor", "reduce_max"):
        _same(getattr(lax, name)(x, (1,)), getattr(jlax, name)(x, (1,)))
    _same(lax.reduce(x, np.int16(-1), lax.bitwise_and, (0,)), jlax.reduce(x, np.int16(-1), jlax.bitwise_and, (0,)))
    for name in ("argmax", "argmin"):
        _same(getattr(lax, name)(f, 1, np.int32), getattr(jlax, name)(f, 1, np.int32))


def test_reduce_pytree_and_errors() -> None:
    a, b = _data("float64", (3, 2)), _data("int32", (3, 2))
    out = lax.reduce((a, b), (0.0, np.int32(0)), lax.add, (0,))
    _same(out[0], a.sum(0))
    _same(out[1], b.sum(0).astype(np.int32))
    with pytest.raises(NotImplementedError, match="not a recognised monoid"):
        lax.reduce(a, 0.0, lambda u, v: u + v, (0,))
    with pytest.raises(TypeError, match="scalar of the operand's dtype"):
        lax.reduce(a, np.int32(0), lax.add, (0,))
    with pytest.raises(ValueError, match="distinct axes"):
        lax.reduce_sum(a, (2,))
    with pytest.raises(ValueError, match="axis"):
        lax.argmax(a, 3, np.int32)
    with pytest.raises(TypeError, match="index_dtype"):
        lax.argmax(a, 0, np.float32)


_NP_SCANS: dict[str, Any] = {"cumsum": np.cumsum, "cumprod": np.cumprod, "cummax": np.maximum.accumulate,
                             "cummin": np.minimum.accumulate, "cumlogsumexp": np.logaddexp.accumulate}


@pytest.mark.parametrize("dt", ["float64", "float32", "int32", "uint8", "complex128"])
def test_cumulative_match_numpy(dt: str) -> None:
    x = _data(dt, (4, 5), -2, 2)
    tol = 1e-5 if dt == "float32" else 1e-12
    names = ["cumsum", "cumprod"] + (["cummax", "cummin"] if dt != "complex128" else [])
    names += ["cumlogsumexp"] if dt.startswith("float") else []
    for name in names:
        for axis in (0, 1):
            for reverse in (False, True):
                v = np.flip(x, axis) if reverse else x
                want = _NP_SCANS[name](v, axis=axis).astype(x.dtype)
                want = np.flip(want, axis) if reverse else want
                _same(getattr(lax, name)(x, axis=axis, reverse=reverse), want, rtol=tol, atol=tol)


def test_cumulative_match_jax(jlax: Any) -> None:
    x = _data("float32", (3, 6))
    for name in ("cumsum", "cummax", "cumlogsumexp"):
        _same(getattr(lax, name)(x, axis=1, reverse=True), getattr(jlax, name)(x, axis=1, reverse=True),
              rtol=1e-5, atol=1e-6)


def test_cumlogsumexp_is_stable_and_differentiable() -> None:
    x = np.array([-1000.0, 0.0, 1000.0, 999.0])
    want = np.logaddexp.accumulate(x)
    _same(lax.cumlogsumexp(x), want)
    x0 = _data("float64", (6,))
    g = fl.grad(lambda v: jnp.sum(lax.cumlogsumexp(v, reverse=True) * jnp.arange(6.0)))(x0)
    assert_close(g, numerical_grad(lambda v: jnp.sum(lax.cumlogsumexp(v, reverse=True) * jnp.arange(6.0)), [x0]),
                 rtol=1e-6, atol=1e-8)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 13), reverse=st.booleans(), axis=st.sampled_from([0, 1, -1]))
def test_associative_scan_matches_sequential(n: int, reverse: bool, axis: int) -> None:
    shape = [2, 3]
    shape.insert(axis % 3 if axis >= 0 else 2, n)
    a = RNG.uniform(0.5, 1.5, shape)
    b = RNG.uniform(-1, 1, shape)

    def affine(p: Any, q: Any) -> Any:  # (a1, b1) then (a2, b2): x -> a2 (a1 x + b1) + b2
        return (q[0] * p[0], q[0] * p[1] + q[1])

    got = lax.associative_scan(affine, (a, b), reverse=reverse, axis=axis)
    ax = axis % 3
    av, bv = np.moveaxis(a, ax, 0), np.moveaxis(b, ax, 0)
    order = range(n - 1, -1, -1) if reverse else range(n)
    acc_a, acc_b = np.ones_like(av[0]), np.zeros_like(bv[0])
    outs_a, outs_b = np.empty_like(av), np.empty_like(bv)
    for i in order:
        acc_a, acc_b = av[i] * acc_a, av[i] * acc_b + bv[i]
        outs_a[i], outs_b[i] = acc_a, acc_b
    _same(got[0], np.moveaxis(outs_a, 0, ax), rtol=1e-12)
    _same(got[1], np.moveaxis(outs_b, 0, ax), rtol=1e-12, atol=1e-12)
    cs = lax.associative_scan(jnp.add, np.arange(n), reverse=reverse)
    _same(cs, np.cumsum(np.arange(n)[::-1])[::-1] if reverse else np.cumsum(np.arange(n)))


def test_associative_scan_jit_vmap_grad_match_jax(jlax: Any) -> None:
    x = _data("float64", (3, 7))
    want = jlax.associative_scan(lambda u, v: u * v + u, x, axis=1)
    _same(lax.associative_scan(lambda u, v: u * v + u, x, axis=1), want)
    _same(fl.jit(lambda v: lax.associative_scan(lambda u, w: u * w + u, v, axis=1))(x), want)
    _same(fl.vmap(lambda v: lax.associative_scan(lambda u, w: u * w + u, v))(x), want)

    def f(v: Any) -> Any:
        return jnp.sum(jnp.sin(lax.associative_scan(lax.mul, v, reverse=True, axis=1)))

    assert_close(fl.grad(f)(x), numerical_grad(f, [x]), rtol=1e-6, atol=1e-8)


SORT_DTYPES = ["float64", "uint8", "int8", "bool", "complex128"]


@pytest.mark.parametrize("dt", SORT_DTYPES)
def test_sort_matches_jax(jlax: Any, dt: str) -> None:
    x = _data(dt, (3, 8), -2, 2)
    if np.dtype(dt).kind == "f":
        x[0, :4] = [np.nan, -0.0, 0.0, np.nan]
        x[1, :3] = [1.0, 1.0, -np.inf]
    elif np.dtype(dt).kind in "iu":
        x[0, :4] = x[0, 4:]  # ties
    v = np.arange(24).reshape(3, 8)
    for dim in (0, 1, -1):
        _same(lax.sort(x, dimension=dim), jlax.sort(x, dimension=dim))
        _same(lax.sort((x, v), dimension=dim), tuple(jlax.sort((x, v), dimension=dim)))
        _same(lax.sort_key_val(x, v, dim), tuple(jlax.sort_key_val(x, v, dim)))
    k2 = _data("int32", (3, 8), -1, 1) // 10
    _same(lax.sort((k2, x, v), num_keys=2), tuple(jlax.sort((k2, x, v), num_keys=2)))
    if dt != "complex128":
        for k in (0, 1, 5, 8):
            _same(lax.top_k(x, k), tuple(jlax.top_k(x, k)))


def test_sort_and_top_k_modes_and_grads() -> None:
    keys = _data("int32", (4, 6), -1, 1) // 5
    vals = _data("float64", (4, 6))
    eager = lax.sort((keys, vals), num_keys=1)
    _same(fl.jit(lambda a, b: lax.sort((a, b)))(keys, vals), eager)
    _same(fl.vmap(lambda a, b: lax.sort((a, b)))(keys, vals), eager)
    _same(fl.vmap(lambda a, b: lax.sort((a, b), dimension=0))(keys, vals), eager)
    _same(fl.vmap(lambda a, b: lax.sort((a, b), dimension=0), in_axes=1, out_axes=1)(keys, vals),
          lax.sort((keys, vals), dimension=0))
    x = _data("float64", (4, 6))
    tk = lax.top_k(x, 3)
    _same(fl.jit(lambda a: lax.top_k(a, 3))(x), tk)
    _same(fl.vmap(lambda a: lax.top_k(a, 3))(x), tk)
    _same(tk[1], np.argsort(-x, axis=-1, kind="stable")[:, :3].astype(np.int32))

    def f(a: Any) -> Any:
        s, = lax.sort((a,), dimension=0)
        t, _ = lax.top_k(a, 2)
        return jnp.sum(s * jnp.arange(24.0).reshape(4, 6)) + jnp.sum(jnp.sin(t))

    assert_close(fl.grad(f)(x), numerical_grad(f, [x]), rtol=1e-6, atol=1e-8)


# --- gradients of the differentiable elementwise ops --------------------------------------------

GRAD_OPS: list[tuple[str, Callable[..., Any], float, float]] = [
    ("sub", lambda a, b: lax.sub(a, b), -2, 2), ("div", lambda a, b: lax.div(a, b + 5.0), -2, 2),
    ("rem", lambda a, b: lax.rem(a, b + 5.0), -2, 2), ("pow", lambda a, b: lax.pow(a + 3.0, b), -2, 2),
    ("atan2", lambda a, b: lax.atan2(a, b), -2, 2),
    ("clamp", lambda a, b: lax.clamp(-0.5, a * b, 0.5), -2, 2),
    ("select_n", lambda a, b: lax.select_n(a > b, a, b * b), -2, 2),
    ("integer_pow", lambda a, b: lax.integer_pow(a, 3) + lax.integer_pow(b + 3.0, -2), -2, 2),
    ("logistic", lambda a, b: lax.logistic(a) * lax.rsqrt(b + 3.0), -2, 2),
    ("erf_inv", lambda a, b: lax.erf_inv(a * 0.4) + lax.lgamma(b + 3.0) + lax.digamma(b + 3.0), -2, 2),
    ("exp2", lambda a, b: lax.exp2(a) + lax.expm1(b) + lax.log1p(b * b) + lax.reciprocal(a + 3.0), -2, 2),
    ("dot_general", lambda a, b: lax.dot_general(a, b, (((1,), (1,)), ((0,), (0,)))), -2, 2),
    ("shape ops", lambda a, b: lax.pad(lax.rev(lax.transpose(a, (1, 0)), (0,)), 0.5, [(1, -1, 1), (0, 2, 0)])
     * lax.reshape(b, (4, 3), (1, 0))[:, :1].sum(), -2, 2),
    ("reductions", lambda a, b: lax.reduce_max(a * b, (1,)) + lax.reduce_prod(b, (1,))
     + lax.reduce(a, 1.0, lax.mul, (1,)), -2, 2),
    ("cumulative", lambda a, b: lax.cumprod(a, axis=1, reverse=True) + lax.cummax(b, axis=1), -2, 2),
    ("reduce_precision", lambda a, b: lax.reduce_precision(a * b, 11, 52), -2, 2),
]


@pytest.mark.parametrize("name,fn,lo,hi", GRAD_OPS, ids=[g[0] for g in GRAD_OPS])
def test_gradients_match_finite_differences(name: str, fn: Callable[..., Any], lo: float, hi: float) -> None:
    a, b = RNG.uniform(lo, hi, (3, 4)), RNG.uniform(lo, hi, (3, 4))
    w = RNG.uniform(-1, 1, np.asarray(fn(a, b)).shape)

    def loss(u: Any, v: Any) -> Any:
        return jnp.sum(fn(u, v) * w)

    for argnum in (0, 1):
        assert_close(fl.grad(loss, argnums=argnum)(a, b), numerical_grad(loss, [a, b], argnum),
                     rtol=1e-5, atol=1e-7, what=f"{name} d/d arg {argnum}")


# --- clear errors -----------------------------------------------------------------------------------


def test_errors_name_the_problem() -> None:
    f32, f64 = np.ones(3, np.float32), np.ones(3)
    with pytest.raises(TypeError, match="same dtypes"):
        lax.sub(f32, f64)
    with pytest.raises(TypeError, match="same shape"):
        lax.div(np.ones(3), np.ones(2))
    with pytest.raises(TypeError, match="floating-point"):
        lax.exp(np.arange(3))
    with pytest.raises(TypeError, match="integer"):
        lax.clz(f64)
    with pytest.raises(ValueError, match="negative exponent"):
        lax.integer_pow(np.arange(3), -1)
    with pytest.raises(ValueError, match="rounding_method"):
        lax.round(f64, 5)
    with pytest.raises(ValueError, match="wider"):
        lax.bitcast_convert_type(np.ones((2, 3), np.uint8), np.int32)
    with pytest.raises(TypeError, match="bool and complex"):
        lax.bitcast_convert_type(np.ones(2, bool), np.uint8)
    with pytest.raises(ValueError, match="exponent_bits"):
        lax.reduce_precision(f64, 0, 3)
    with pytest.raises(ValueError, match="slice_sizes"):
        lax.dynamic_slice(np.ones((3, 4)), (0, 0), (4, 1))
    with pytest.raises(ValueError, match="one start index per axis"):
        lax.dynamic_slice(np.ones((3, 4)), (0,), (1, 1))
    with pytest.raises(TypeError, match="integer scalars"):
        lax.dynamic_slice(np.ones((3, 4)), (0.5, 0), (1, 1))
    with pytest.raises(TypeError, match="update dtype"):
        lax.dynamic_update_slice(np.ones(3), np.ones(1, np.int32), (0,))
    with pytest.raises(ValueError, match="fit inside"):
        lax.dynamic_update_slice(np.ones(3), np.ones(4), (0,))
    with pytest.raises(IndexError, match="out of bounds"):
        lax.index_in_dim(np.ones(3), 3)
    with pytest.raises(ValueError, match="num_keys"):
        lax.sort((f64, f64), num_keys=3)
    with pytest.raises(ValueError, match="one shape"):
        lax.sort((f64, np.ones(2)))
    with pytest.raises(ValueError, match="k must be"):
        lax.top_k(f64, 4)
    with pytest.raises(TypeError, match="complex numbers have no order"):
        lax.top_k(np.ones(3, complex), 1)
    with pytest.raises(ValueError, match="permutation"):
        lax.transpose(np.ones((2, 3)), (0, 0))
    with pytest.raises(ValueError, match="cannot broadcast"):
        lax.broadcast_in_dim(np.ones(3), (3, 2), (1,))
    with pytest.raises(ValueError, match="broadcast_dimensions"):
        lax.broadcast_in_dim(np.ones(3), (3, 2), (1, 0))
    with pytest.raises(TypeError, match="cannot reshape"):
        lax.reshape(np.ones(6), (4, 2))
    with pytest.raises(ValueError, match="size"):
        lax.squeeze(np.ones((2, 1)), (0,))
    with pytest.raises(TypeError, match="padding_value"):
        lax.pad(np.ones(3), np.int32(0), [(1, 1, 0)])
    with pytest.raises(TypeError, match="one dtype"):
        lax.concatenate([f32, f64], 0)
    with pytest.raises(TypeError, match="share dtype and shape"):
        lax.select_n(np.array([True, False, True]), f32, f64)
    with pytest.raises(TypeError, match="dimension_numbers"):
        lax.dot_general(f64, f64, ((0,), (0,)))
    with pytest.raises(TypeError, match="1-D or 2-D"):
        lax.dot(np.ones((2, 2, 2)), f64)
    with pytest.raises(ValueError, match="fn must keep shapes|returned"):
        lax.associative_scan(lambda u, v: jnp.sum(u), f64)


def test_default_32_bit_mode_narrows_requested_dtypes(x64_off: None) -> None:
    import warnings

    x = jnp.array([1.5, -2.5, 3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert lax.convert_element_type(x, np.float64).dtype == np.float32
        assert lax.argmax(x, 0, np.int64).dtype == np.int32
        assert lax.iota(np.int64, 3).dtype == np.int32
    assert lax.round(x).tolist() == [2.0, -3.0, 3.0]
    got = fl.jit(lambda a, i: lax.dynamic_slice(a, (i,), (2,)))(x, jnp.array(5))
    assert got.tolist() == [-2.5, 3.0]
    v, i = lax.top_k(x, 2)
    assert v.tolist() == [3.0, 1.5] and i.dtype == np.int32 and i.tolist() == [2, 0]
