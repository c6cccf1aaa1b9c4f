"""Small plain operands of ``jnp`` elementwise functions go straight to the op's
ufunc (``ops.elementwise.DIRECT_UFUNCS``), skipping the impl's call: the result
must be the impl's in value, dtype, weak type and layout, for every op in the
table, 0-d and strided operands included; bad dtypes still raise the op's error."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite.array import Array
from functorch_lite.ops import elementwise as ew

_JNP_NAME = {"add": "add", "sub": "subtract", "mul": "multiply", "max": "maximum", "min": "minimum",
             "and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor", "eq": "equal", "ne": "not_equal",
             "lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal"}


def _same(got: Array, want: Array) -> None:
    assert type(got) is Array
    assert got.dtype == want.dtype and got.weak_type == want.weak_type and got.shape == want.shape
    assert got.stride() == want.stride()
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


def _operands(dt: np.dtype[Any]) -> list[Array]:
    rng = np.random.default_rng(0)
    base = (rng.standard_normal((3, 4)) * 3).astype(dt)
    x = jnp.asarray(base)
    return [x, x.T, x[:, ::2], jnp.asarray(base[0, 0]), jnp.asarray(base[:0])]


def test_the_table_holds_the_common_ops() -> None:
    names = {p.name for p in ew.DIRECT_UFUNCS}
    assert {"exp", "sin", "neg", "add", "sub", "mul", "lt", "eq"} <= names
    assert "log" not in names and "div" not in names  # quiet impls (errstate): not plain ufuncs


@pytest.mark.parametrize("dt", [np.float32, np.float64, np.complex64])
def test_float_unary_functions_match_their_impl(dt: Any) -> None:
    with fl.enable_x64():
        for prim in ew.DIRECT_UFUNCS:
            fn = getattr(jnp, prim.name, None)
            if fn is None or prim.name not in ("exp", "exp2", "sin", "cos", "tan", "sinh", "cosh", "atan", "asinh"):
                continue
            for x in _operands(np.dtype(dt)):
                if np.dtype(dt).kind == "c" and prim.name in ("exp2", "atan"):
                    continue
                with np.errstate(all="ignore"):
                    _same(fn(x), prim.impl(x))


@pytest.mark.parametrize("dt", [np.float32, np.int32, np.bool_])
def test_same_shape_binary_functions_match_their_impl(dt: Any) -> None:
    for prim in ew.DIRECT_UFUNCS:
        name = _JNP_NAME.get(prim.name)
        if name is None:
            continue
        fn = getattr(jnp, name)
        for x in _operands(np.dtype(dt)):
            y = x[::-1] if x.ndim else x
            if np.dtype(dt).kind not in ew.DIRECT_UFUNCS[prim][1]:
                with pytest.raises(TypeError, match=prim.name):
                    fn(x, y)
                with pytest.raises(TypeError, match=prim.name):
                    prim.impl(x, y)
                continue
            _same(fn(x, y), prim.impl(x, y))


def test_weak_types_and_transforms_keep_their_paths() -> None:
    x = jnp.asarray(2.0) * 1.0  # a weak-typed result stays weak through the direct path
    w = x + x
    assert w.weak_type == (x.weak_type and x.weak_type) and float(w) == 4.0
    assert jnp.exp(x).weak_type == x.weak_type
    # under a transform the same functions trace (no direct call on tracers)
    np.testing.assert_allclose(float(fl.grad(lambda v: jnp.sum(jnp.exp(v) * v))(jnp.asarray(0.5))),
                               np.exp(0.5) * 1.5, rtol=1e-6)
    assert "exp" in str(fl.make_jaxpr(lambda v: jnp.exp(v) + v)(jnp.ones(3)))
