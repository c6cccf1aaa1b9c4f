"""jit's optimiser folds elementwise equations on literals and simplifies
what they leave behind, keeping every value eager's.

The gradient of ``x ** 2`` is, as traced, ``select(2 == 0, 0, 2 * x ** (2 - 1))``
on broadcast literals: ``eq``/``sub`` on literals are folded at any shape
(``compiler.fold_elementwise``), the ``select`` on the known predicate is its
branch, ``x ** 1`` is ``x`` and ``x ** 2`` is ``x * x``
(``compiler.SIMPLIFY``), so the whole gradient is one ``mul`` and one
kernel.  Values are compared bit for bit with eager on nan, +-inf, +-0.0,
denormals, overflow and integers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite.transforms.compiler import fold_elementwise, optimize
from functorch_lite.transforms.ir import Literal

_EDGES = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1.0, -1.0, 0.5, -2.5, 1e-310, 5e-324, 1e200, -1e200, 3e38, 1e-30]


def _values(dtype: Any) -> Any:
    with np.errstate(all="ignore"):
        return jnp.asarray(np.array(_EDGES, dtype=np.float64).astype(dtype))


def _prims(f: Any, *args: Any) -> list[str]:
    return [e.prim.name for e in optimize(fl.make_ir(f)(*args)).eqns]


def assert_same_bits(got: Any, want: Any) -> None:
    g, w = np.asarray(got), np.asarray(want)
    assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, g.shape, w.dtype, w.shape)
    if g.dtype.kind == "f":
        same = (g.view(f"u{g.itemsize}") == w.view(f"u{w.itemsize}")) | (np.isnan(g) & np.isnan(w))
        assert same.all(), f"differ at {np.flatnonzero(~same)}: got {g[~same]}, eager {w[~same]}"
    else:
        np.testing.assert_array_equal(g, w)


def assert_jit_is_eager(f: Any, *args: Any) -> None:
    with np.errstate(all="ignore"):
        with fl.disable_jit():
            want = fl.tree.flatten(f(*args))[0]
        got = fl.tree.flatten(fl.jit(f)(*args))[0]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert_same_bits(g, w)


def square_grad(x: Any) -> Any:
    return fl.grad(lambda x: (x ** 2).sum())(x)


def test_grad_of_square_is_one_multiply() -> None:
    x = jnp.arange(5.0)
    assert _prims(square_grad, x) == ["mul"]
    assert fl.jit(square_grad).lower(x).n_kernels == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_grad_of_square_values(dtype: Any) -> None:
    x = _values(dtype)
    assert_jit_is_eager(square_grad, x)
    assert_jit_is_eager(fl.value_and_grad(lambda x: (x ** 2).sum()), x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
def test_small_powers_are_exact(dtype: Any) -> None:
    if np.dtype(dtype).kind == "f":
        x = _values(dtype)
    else:
        info = np.iinfo(dtype)
        x = jnp.asarray(np.array([0, 1, -1, 7, -46341, 46341, info.max, info.min, 3037000500], dtype=np.int64)
                        .astype(dtype))

    def f(x: Any) -> Any:
        return x ** 2, x ** 1, (x + x) ** 2

    assert "pow" not in _prims(f, x)
    assert_jit_is_eager(f, x)


def test_other_powers_are_kept() -> None:
    x = jnp.arange(4.0)
    assert _prims(lambda x: x ** 3, x) == ["pow"]
    assert _prims(lambda x: x ** 0.5, x) == ["pow"]
    assert _prims(lambda x, y: x ** y, x, x) == ["pow"]


def test_select_on_a_known_predicate() -> None:
    x, y = _values(np.float64), -_values(np.float64)

    def f(x: Any, y: Any) -> Any:
        return jnp.where(True, x, y) * 3.0, jnp.where(False, x, y) + 1.0, jnp.where(x > 0, y, y)

    assert _prims(f, x, y) == ["mul", "add"]
    assert_jit_is_eager(f, x, y)


def test_select_keeps_the_result_type() -> None:
    # a weak literal branch chosen for a strong result is retyped, not passed through as weak
    def f(x: Any) -> Any:
        return jnp.where(jnp.ones(3, bool), 2.0, x)

    x = jnp.arange(3.0, dtype=jnp.float32)
    assert_jit_is_eager(f, x)
    out = fl.jit(f)(x)
    with fl.disable_jit():
        want = f(x)
    assert out.weak_type == want.weak_type and out.dtype == want.dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_folding_literals_matches_eager(dtype: Any) -> None:
    # every operand a broadcast literal: folded once, on one element, whatever the shape
    def f(x: Any) -> Any:
        c = jnp.broadcast_to(jnp.asarray(2.0, dtype), x.shape)
        z = jnp.broadcast_to(jnp.asarray(0.0, dtype), x.shape)
        return (x + (c - 1.0) * jnp.exp(c), x * jnp.where(c == 0.0, c, z - 0.0), x + c / z,
                x - jnp.sqrt(z - 1.0), (c > 1.0) & (x > 0), x * jnp.tanh(c).astype(dtype))

    x = _values(dtype)
    prims = _prims(f, x)
    assert not {"exp", "sqrt", "tanh", "div", "eq", "select"} & set(prims), prims
    assert_jit_is_eager(f, x)


def test_fold_elementwise_makes_a_broadcast_literal() -> None:
    def f(x: Any) -> Any:
        return x + (jnp.broadcast_to(3.0, x.shape) - jnp.broadcast_to(1.0, x.shape))

    p = fl.make_ir(f)(jnp.ones((1000, 1000)))
    sub = next(e for e in p.eqns if e.prim.name == "sub")
    lit = fold_elementwise(sub)
    assert isinstance(lit, Literal) and lit.aval.shape == (1000, 1000)
    assert lit.val._strides == (0, 0) and lit.scalar() == 2.0
    assert fold_elementwise(next(e for e in p.eqns if e.prim.name == "add")) is None  # x is a variable
