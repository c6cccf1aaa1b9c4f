"""Windowed reductions (``lax.reduce_window`` and its primitives): values
against a loop-over-windows oracle over drawn configurations and layouts,
against JAX, derivatives against finite differences (float64), vmap against
a loop, jit against eager, the max/min selection rule (ties, NaN, padding),
and clear errors for bad input."""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import export, lax
from functorch_lite.ops import windowed as w
from tests._gradcheck import assert_close, numerical_jvp, numerical_vjp
from tests.registry.windowed import TRIVIAL, Win, call, gather_oracle, oracle, out_size, scatter_oracle
from tests.strategies import ALL_DTYPES, NUMERIC, fl_view, np_arrays

FEW = settings(max_examples=20, deadline=None)
OPS = ("sum", "max", "min")


def _pads(wins: tuple[Win, ...]) -> tuple[tuple[int, int], ...]:
    return tuple((x[2], x[3]) for x in wins)


def _params(wins: tuple[Win, ...]) -> dict[str, Any]:
    return {"window_dimensions": tuple(x[0] for x in wins), "window_strides": tuple(x[1] for x in wins),
            "padding": _pads(wins), "base_dilation": tuple(x[4] for x in wins),
            "window_dilation": tuple(x[5] for x in wins)}


@st.composite
def configs(draw: Any, max_dims: int = 3, dilation: bool = True) -> tuple[tuple[int, ...], tuple[Win, ...]]:
    """1-3 axes (sometimes a leading size-1 batch axis) and a window per axis."""
    nd = draw(st.integers(1, max_dims))
    shape, wins = [], []
    for _ in range(nd):
        shape.append(draw(st.integers(1, 6)))
        wins.append((draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(-1, 2)),
                     draw(st.integers(-1, 2)), draw(st.integers(1, 2)) if dilation else 1,
                     draw(st.integers(1, 2)) if dilation else 1))
    if draw(st.booleans()):
        shape.insert(0, 1)
        wins.insert(0, TRIVIAL)
    return tuple(shape), tuple(wins)


def _distinct(shape: tuple[int, ...], seed: int) -> np.ndarray[Any, Any]:
    """float64 values with no ties (max/min derivatives are defined)."""
    n = int(np.prod(shape))
    return np.random.default_rng(seed).permutation(np.linspace(-2.0, 2.0, n)).reshape(shape) + 0.1


# --- values ------------------------------------------------------------------------------------


@FEW
@given(cfg=configs(), op=st.sampled_from(OPS), data=st.data())
def test_values_match_the_oracle_on_drawn_layouts(cfg: Any, op: str, data: Any) -> None:
    shape, wins = cfg
    dt = data.draw(st.sampled_from(NUMERIC if op == "sum" else ALL_DTYPES))
    x = data.draw(np_arrays(dt, shape))
    if op != "sum" and dt.kind == "f" and x.size and data.draw(st.booleans()):
        x.reshape(-1)[0] = -np.inf if op == "max" else np.inf  # infinities are values too
    got = np.asarray(call(fl_view(data.draw, x), op, wins))
    want = oracle(x, op, wins)
    assert got.dtype == x.dtype and got.shape == want.shape
    if dt.kind == "f":
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    else:
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("padding", ["SAME", "VALID", "SAME_LOWER"])
@pytest.mark.parametrize("op", OPS)
def test_string_paddings(padding: str, op: str) -> None:
    x = _distinct((2, 7, 6), 0)
    wdims, strides = (1, 3, 2), (1, 2, 2)
    got = call(jnp.asarray(x), op, tuple((k, s, 0, 0, 1, 1) for k, s in zip(wdims, strides)), padding)
    pads = []
    for n, k, s in zip(x.shape, wdims, strides):
        total = 0 if padding == "VALID" else max(0, (-(-n // s) - 1) * s + k - n)
        lo = total // 2 if padding == "SAME" else total - total // 2
        pads.append((lo, total - lo))
    want = oracle(x, op, tuple((k, s, lo, hi, 1, 1) for k, s, (lo, hi) in zip(wdims, strides, pads)))
    np.testing.assert_allclose(np.asarray(got), want)
    if padding != "VALID":
        assert got.shape == tuple(-(-n // s) for n, s in zip(x.shape, strides))


def test_pooling_shapes_and_global_windows() -> None:
    x = _distinct((3, 4, 8, 8), 1)
    mx = lax.reduce_window(jnp.asarray(x), -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
    np.testing.assert_array_equal(np.asarray(mx), x.reshape(3, 4, 4, 2, 4, 2).max(axis=(3, 5)))
    # a window covering whole axes is a plain reduction (global pooling)
    s = lax.reduce_window(jnp.asarray(x), 0.0, lax.add, (1, 1, 8, 8), (1, 1, 1, 1), "VALID")
    np.testing.assert_allclose(np.asarray(s), x.sum(axis=(2, 3), keepdims=True))
    mn = lax.reduce_window(jnp.asarray(x), jnp.inf, jnp.minimum, (1, 4, 8, 8), (1, 1, 1, 1), "VALID")
    np.testing.assert_array_equal(np.asarray(mn), x.min(axis=(1, 2, 3), keepdims=True))


def test_rank_zero_and_empty_operands() -> None:
    assert float(lax.reduce_window(jnp.asarray(3.0), 0.0, lax.add, (), (), ())) == 3.0
    e = lax.reduce_window(jnp.zeros((0, 4)), -jnp.inf, lax.max, (1, 2), (1, 1), "VALID")
    assert e.shape == (0, 3)
    # windows over padding only hold the identity
    p = lax.reduce_window(jnp.ones(2), -jnp.inf, lax.max, (1,), (1,), ((1, 1),))
    assert np.asarray(p).tolist() == [-np.inf, 1.0, 1.0, -np.inf]
    assert lax.reduce_window(jnp.ones(2), 0.0, lax.add, (3,), (1,), "VALID").shape == (0,)


def test_huge_windows_over_huge_padding() -> None:
    """Window positions that only ever reach padding cost nothing (an
    exported program may hold any window); tables past a limit raise."""
    got = lax.reduce_window(jnp.asarray([2.0, 3.0]), -jnp.inf, lax.max, (10**9,), (1,), ((10**9, 0),))
    assert np.asarray(got).tolist() == [-np.inf, 2.0, 3.0]
    g = fl.grad(lambda z: lax.reduce_window(z, 0.0, lax.add, (10**9,), (1,), ((10**9, 0),)).sum())(
        jnp.asarray([2.0, 3.0]))
    assert np.asarray(g).tolist() == [2.0, 1.0]
    with pytest.raises(ValueError, match="split the reduction"):
        lax.reduce_window(jnp.ones((200, 200, 2)), 0.0, lax.add, (100, 100, 1), (1, 1, 1), "VALID")


def test_integer_and_boolean_operands() -> None:
    x = np.array([[3, -7, 2], [9, 0, -1]], np.int8)
    got = lax.reduce_window(jnp.asarray(x), -jnp.inf, lax.max, (2, 2), (1, 1), ((0, 0), (1, 0)))
    np.testing.assert_array_equal(np.asarray(got), oracle(x, "max", ((2, 1, 0, 0, 1, 1), (2, 1, 1, 0, 1, 1))))
    assert got.dtype == np.int8
    b = np.array([[True, False, False], [False, False, True]])
    anyb = lax.reduce_window(jnp.asarray(b), False, lax.max, (2, 2), (1, 1), "VALID")
    allb = lax.reduce_window(jnp.asarray(b), True, lax.min, (1, 2), (1, 1), "VALID")
    assert np.asarray(anyb).tolist() == [[True, True]]
    assert np.asarray(allb).tolist() == [[False, False], [False, False]]
    # integer sums wrap as the operand dtype does (XLA)
    big = np.full(4, 100, np.int8)
    np.testing.assert_array_equal(np.asarray(lax.reduce_window(jnp.asarray(big), 0, lax.add, (2,), (1,), "VALID")),
                                  (big[:3].astype(np.int64) * 2).astype(np.int8))


def test_nan_propagates_through_max_and_min() -> None:
    x = np.array([1.0, np.nan, 3.0, 0.0])
    for comp, init in ((lax.max, -np.inf), (lax.min, np.inf)):
        got = np.asarray(lax.reduce_window(jnp.asarray(x), init, comp, (2,), (1,), "VALID"))
        assert np.isnan(got[:2]).all() and not np.isnan(got[2])


@pytest.mark.parametrize(("comp", "init", "ref"), [
    (lax.add, 1.5, lambda s, c: s + c), (lax.max, 0.25, np.maximum), (lax.min, -0.5, np.minimum),
    (lax.max, -np.inf, lambda s, c: s), (lax.add, 0.0, lambda s, c: s),
])
def test_init_value_counts_once_per_window(comp: Any, init: float, ref: Any) -> None:
    """JAX's semantics: ``init ⊕ reduce(window)``; padding contributes nothing."""
    x = _distinct((5, 4), 2)
    wins = ((2, 1, 1, 1, 1, 1), (3, 2, 1, 0, 1, 1))
    op = {lax.add: "sum", lax.max: "max", lax.min: "min"}[comp]
    got = lax.reduce_window(jnp.asarray(x), init, comp, (2, 3), (1, 2), _pads(wins))
    np.testing.assert_allclose(np.asarray(got), ref(oracle(x, op, wins), init))
    traced = fl.jit(lambda z, c: lax.reduce_window(z, c, comp, (2, 3), (1, 2), _pads(wins)))
    np.testing.assert_allclose(np.asarray(traced(jnp.asarray(x), jnp.asarray(init))), np.asarray(got))


# --- against JAX -------------------------------------------------------------------------------


@settings(max_examples=12, deadline=None)
@given(cfg=configs(), op=st.sampled_from(OPS), seed=st.integers(0, 2**16))
def test_matches_jax(cfg: Any, op: str, seed: int) -> None:
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    shape, wins = cfg
    x = _distinct(shape, seed)
    p = _params(wins)
    comp = {"sum": jax.lax.add, "max": jax.lax.max, "min": jax.lax.min}[op]
    init = {"sum": 0.0, "max": -np.inf, "min": np.inf}[op]

    def jf(z: Any) -> Any:
        return jax.lax.reduce_window(z, init, comp, p["window_dimensions"], p["window_strides"], p["padding"],
                                     p["base_dilation"], p["window_dilation"])

    want = np.asarray(jf(x))
    got = np.asarray(call(jnp.asarray(x), op, wins))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    finite = np.isfinite(want)
    # JAX's max/min transpose refuses window dilation and fails on negative padding
    if got.size and (op == "sum" or (all(d == 1 for d in p["window_dilation"])
                                     and all(lo >= 0 and hi >= 0 for lo, hi in p["padding"]))):
        ct = np.where(finite, np.random.default_rng(seed).standard_normal(want.shape), 0.0)
        jg = jax.vjp(jf, x)[1](ct)[0]
        g = fl.vjp(lambda z: call(z, op, wins), jnp.asarray(x))[1](jnp.asarray(ct))[0]
        np.testing.assert_allclose(np.asarray(g), np.asarray(jg), rtol=1e-12, atol=1e-12)


def test_init_values_match_jax() -> None:
    jax = pytest.importorskip("jax")
    x = np.arange(6.0, dtype=np.float32).reshape(2, 3) - 2.5
    for comp, jcomp, init in ((lax.add, jax.lax.add, 1.0), (lax.max, jax.lax.max, 0.5),
                              (lax.min, jax.lax.min, -1.0), (lax.max, jax.lax.max, -np.inf)):
        args = ((2, 2), (1, 1), ((1, 0), (0, 1)))
        np.testing.assert_allclose(np.asarray(lax.reduce_window(jnp.asarray(x), init, comp, *args)),
                                   np.asarray(jax.lax.reduce_window(x, np.float32(init), jcomp, *args)))


# --- derivatives ------------------------------------------------------------------------------


@FEW
@given(cfg=configs(), op=st.sampled_from(OPS), seed=st.integers(0, 2**16))
def test_gradients_match_finite_differences(cfg: Any, op: str, seed: int) -> None:
    shape, wins = cfg
    x = _distinct(shape, seed)
    rng = np.random.default_rng(seed)
    y = np.asarray(call(jnp.asarray(x), op, wins))
    ct = np.where(np.isfinite(y), rng.standard_normal(y.shape), 0.0)

    def f(z: Any) -> Any:
        return call(z, op, wins)

    g = fl.vjp(f, jnp.asarray(x))[1](jnp.asarray(ct))[0]
    assert_close(np.asarray(g), numerical_vjp(lambda z: jnp.where(jnp.isfinite(f(z)), f(z), 0.0), [x], ct),
                 rtol=1e-6, atol=1e-7, what=f"vjp of {op}")
    v = rng.standard_normal(shape)
    t = fl.jvp(f, (jnp.asarray(x),), (jnp.asarray(v),))[1]
    fd = numerical_jvp(lambda z: jnp.where(jnp.isfinite(f(z)), f(z), 0.0), [x], [v])
    assert_close(np.where(np.isfinite(y), np.asarray(t), 0.0), fd, rtol=1e-6, atol=1e-7, what=f"jvp of {op}")


@FEW
@given(cfg=configs(), seed=st.integers(0, 2**16))
def test_second_order_of_the_sum(cfg: Any, seed: int) -> None:
    """grad of grad of average pooling: the transpose of the transpose."""
    shape, wins = cfg
    x = _distinct(shape, seed)
    rng = np.random.default_rng(seed)

    def loss_grad(z: Any) -> Any:
        return fl.grad(lambda u: (jnp.sin(call(u, "sum", wins)) ** 2).sum())(z)

    v = rng.standard_normal(shape)
    t = fl.jvp(loss_grad, (jnp.asarray(x),), (jnp.asarray(v),))[1]
    assert_close(np.asarray(t), numerical_jvp(loss_grad, [x], [v]), rtol=1e-5, atol=1e-6, what="jvp of grad")
    h = fl.grad(lambda z: (loss_grad(z) ** 2).sum())(jnp.asarray(x))
    fd = numerical_vjp(loss_grad, [x], 2 * np.asarray(loss_grad(jnp.asarray(x))))
    assert_close(np.asarray(h), fd, rtol=1e-5, atol=1e-6, what="grad of grad")


def test_second_order_of_max_pooling() -> None:
    """The selection is piecewise constant: second derivatives flow through
    the tangent/cotangent only (gather and scatter are each other's transpose)."""
    x = _distinct((2, 6, 6), 3)
    wins = ((1, 1, 0, 0, 1, 1), (3, 2, 1, 1, 1, 1), (2, 1, 0, 1, 1, 2))

    def g(z: Any) -> Any:
        return fl.grad(lambda u: (call(u, "max", wins) ** 3).sum())(z)

    v = np.random.default_rng(0).standard_normal(x.shape)
    t = fl.jvp(g, (jnp.asarray(x),), (jnp.asarray(v),))[1]
    assert_close(np.asarray(t), numerical_jvp(g, [x], [v]), rtol=1e-5, atol=1e-6, what="jvp of grad of max")


def test_ties_go_to_the_first_element_and_nan_wins() -> None:
    x = np.zeros((1, 1, 4, 4))
    g = fl.grad(lambda z: lax.reduce_window(z, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID").sum())(
        jnp.asarray(x))
    want = np.zeros((4, 4))
    want[::2, ::2] = 1.0  # the first element of each window, row-major, as torch's max_pool2d
    np.testing.assert_array_equal(np.asarray(g)[0, 0], want)
    y = np.array([1.0, np.nan, 5.0, np.nan])
    g2 = fl.grad(lambda z: lax.reduce_window(z, jnp.inf, lax.min, (4,), (1,), "VALID").sum())(jnp.asarray(y))
    assert np.asarray(g2).tolist() == [0.0, 1.0, 0.0, 0.0]
    # a window whose elements all equal the identity selects its first element
    z = np.full(3, -np.inf)
    g3 = fl.grad(lambda u: jnp.where(True, lax.reduce_window(u, -jnp.inf, lax.max, (2,), (1,), ((1, 0),)), 0.0)
                 .sum())(jnp.asarray(z))
    assert np.asarray(g3).tolist() == [2.0, 1.0, 0.0]


def test_ties_match_torch() -> None:
    torch = pytest.importorskip("torch")
    x = np.round(np.random.default_rng(4).standard_normal((2, 3, 7, 7)) * 2) / 2  # many ties
    for k, s, p in ((2, 2, 0), (3, 1, 1), (3, 2, 1)):
        tx = torch.tensor(x, requires_grad=True)
        torch.nn.functional.max_pool2d(tx, k, s, p).sum().backward()
        g = fl.grad(lambda z, k=k, s=s, p=p: lax.reduce_window(z, -jnp.inf, lax.max, (1, 1, k, k), (1, 1, s, s),
                                                               ((0, 0), (0, 0), (p, p), (p, p))).sum())(
            jnp.asarray(x))
        np.testing.assert_array_equal(np.asarray(g), tx.grad.numpy())


@FEW
@given(cfg=configs(), op=st.sampled_from(("max", "min")), data=st.data())
def test_gather_and_scatter_primitives_match_the_oracle(cfg: Any, op: str, data: Any) -> None:
    shape, wins = cfg
    x = data.draw(np_arrays(np.dtype(np.float64), shape, -3, 3)).round()  # ties
    t = data.draw(np_arrays(np.dtype(np.float64), shape))
    p = _params(wins)
    got = w.select_and_gather_add_p.bind(fl_view(data.draw, t), fl_view(data.draw, x), select=op, **p)
    np.testing.assert_array_equal(np.asarray(got), gather_oracle(t, x, op, wins))
    s = data.draw(np_arrays(np.dtype(np.float64), tuple(out_size(n, win) for n, win in zip(shape, wins))))
    got = w.select_and_scatter_add_p.bind(fl_view(data.draw, s), fl_view(data.draw, x), select=op, **p)
    np.testing.assert_allclose(np.asarray(got), scatter_oracle(s, x, op, wins), rtol=1e-12, atol=1e-12)


# --- modes: vmap, jit -----------------------------------------------------------------------


@FEW
@given(cfg=configs(max_dims=2), op=st.sampled_from(OPS), axis=st.sampled_from([0, 1, -1]),
       seed=st.integers(0, 2**16))
def test_vmap_and_vmap_of_grad_match_a_loop(cfg: Any, op: str, axis: int, seed: int) -> None:
    shape, wins = cfg
    xs = np.moveaxis(_distinct((3,) + shape, seed), 0, axis)

    def f(z: Any) -> Any:
        return call(z, op, wins)

    def loss(z: Any) -> Any:
        y = f(z)
        return jnp.where(jnp.isfinite(y), y, 0.0).sum() ** 2

    got = np.asarray(fl.vmap(f, in_axes=axis)(jnp.asarray(xs)))
    per = [np.asarray(f(jnp.asarray(np.take(xs, i, axis=axis)))) for i in range(3)]
    np.testing.assert_array_equal(got, np.stack(per))
    gg = np.asarray(fl.vmap(fl.grad(loss), in_axes=axis)(jnp.asarray(xs)))
    per_g = [np.asarray(fl.grad(loss)(jnp.asarray(np.take(xs, i, axis=axis)))) for i in range(3)]
    np.testing.assert_allclose(gg, np.stack(per_g), rtol=1e-12, atol=1e-12)


@settings(max_examples=10, deadline=None)
@given(cfg=configs(), op=st.sampled_from(OPS), seed=st.integers(0, 2**16))
def test_jit_matches_eager(cfg: Any, op: str, seed: int) -> None:
    shape, wins = cfg
    x = jnp.asarray(_distinct(shape, seed).astype(np.float32))

    def f(z: Any) -> Any:
        y = call(z * 2.0, op, wins)
        return jnp.where(jnp.isfinite(y), y, 0.0).sum() + y.size

    np.testing.assert_array_equal(np.asarray(fl.jit(lambda z: call(z, op, wins))(x)),
                                  np.asarray(call(x, op, wins)))
    np.testing.assert_allclose(np.asarray(fl.jit(fl.grad(f))(x)), np.asarray(fl.grad(f)(x)), rtol=1e-6)


def test_export_round_trip() -> None:
    def f(z: Any) -> Any:
        return lax.reduce_window(z, -jnp.inf, lax.max, (1, 3, 3), (1, 2, 2), "SAME")

    x = jnp.asarray(_distinct((2, 5, 5), 5))
    loaded = export.deserialize(export.export(f, x).serialize())
    np.testing.assert_array_equal(np.asarray(loaded(x)), np.asarray(f(x)))


# --- errors ------------------------------------------------------------------------------------


def test_bad_inputs_raise_clear_errors() -> None:
    x = jnp.ones((4, 4))
    with pytest.raises(TypeError, match=r"computation must be one of lax.add, lax.max, lax.min"):
        lax.reduce_window(x, 1.0, lax.mul, (2, 2), (1, 1), "VALID")
    with pytest.raises(TypeError, match="one per axis"):
        lax.reduce_window(x, 0.0, lax.add, (2,), (1,), "VALID")
    with pytest.raises(ValueError, match=r"window_dimensions must be >= 1"):
        lax.reduce_window(x, 0.0, lax.add, (0, 2), (1, 1), "VALID")
    with pytest.raises(ValueError, match=r"window_strides must be >= 1"):
        lax.reduce_window(x, 0.0, lax.add, (2, 2), (0, 1), "VALID")
    with pytest.raises(ValueError, match="padding must be 'SAME'"):
        lax.reduce_window(x, 0.0, lax.add, (2, 2), (1, 1), "FULL")
    with pytest.raises(TypeError, match=r"padding"):
        lax.reduce_window(x, 0.0, lax.add, (2, 2), (1, 1), ((1, 1),))
    with pytest.raises(TypeError, match="logical or"):
        lax.reduce_window(jnp.ones(3, dtype=bool), False, lax.add, (2,), (1,), "VALID")
    with pytest.raises(TypeError, match="pytrees of operands"):
        lax.reduce_window((x, x), (0.0, 0.0), lax.add, (2, 2), (1, 1), "VALID")
    with pytest.raises(TypeError, match="init_value must be a scalar"):
        fl.jit(lambda z, c: lax.reduce_window(z, c, lax.add, (2, 2), (1, 1), "VALID"))(x, jnp.ones(2))
    p = _params(((2, 1, 0, 0, 1, 1), (2, 1, 0, 0, 1, 1)))
    with pytest.raises(ValueError, match="one value per window"):
        w.select_and_scatter_add_p.bind(jnp.ones((4, 4)), x, select="max", **p)
    with pytest.raises(ValueError, match="need the same shape"):
        w.select_and_gather_add_p.bind(jnp.ones((3, 4)), x, select="max", **p)
    with pytest.raises(ValueError, match="select must be 'max' or 'min'"):
        w.select_and_gather_add_p.bind(x, x, select="sum", **p)
    with pytest.raises(TypeError, match="padding must be a tuple of 2"):
        w.reduce_window_sum_p.bind(x, **{**p, "padding": ((0, 0),)})


def test_lax_binary_ops_are_strict() -> None:
    with pytest.raises(TypeError, match="same dtypes"):
        lax.add(jnp.ones(3, dtype=np.int32), 1.0)
    with pytest.raises(TypeError, match="same shape"):
        lax.max(jnp.ones(3), jnp.ones((2, 3)))
    assert lax.mul(jnp.ones(2), jnp.asarray(3.0)).tolist() == [3.0, 3.0]
    assert lax.min(jnp.array([1, 5], dtype=np.int8), 3).dtype == np.int8
