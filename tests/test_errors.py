"""Bad input raises a clear exception that names what was wrong (shapes, axis,
dtype) -- never a crash, never a silently wrong value."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import functorch_lite.numpy as jnp

X = jnp.zeros((2, 3))

# --- shape mismatch in binary ops ---------------------------------------------------------------

BINARY: list[tuple[str, Callable[[Any, Any], Any]]] = [
    ("add", jnp.add), ("subtract", jnp.subtract), ("multiply", jnp.multiply), ("divide", jnp.divide),
    ("maximum", jnp.maximum), ("power", jnp.power), ("less", jnp.less), ("equal", jnp.equal),
    ("arctan2", jnp.arctan2), ("+", lambda a, b: a + b), ("*", lambda a, b: a * b),
    ("<", lambda a, b: a < b), ("==", lambda a, b: a == b), ("where", lambda a, b: jnp.where(a > 0, a, b)),
]


@pytest.mark.parametrize("name,fn", BINARY, ids=[n for n, _ in BINARY])
@pytest.mark.parametrize("other", [(3, 2), (4,), (3, 1), (5, 2, 2)])
def test_binary_shape_mismatch_names_both_shapes(name: str, fn: Any, other: tuple[int, ...]) -> None:
    y = jnp.ones(other)
    with pytest.raises(ValueError) as e:
        fn(X, y)
    msg = str(e.value)
    assert "(2, 3)" in msg and str(other) in msg, msg
    assert "broadcast" in msg


def test_shape_mismatch_with_lists_and_numpy() -> None:
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        jnp.add(np.array([1, 2]), np.array([1, 2, 3]))  # lists are a TypeError, as in JAX
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4,\)"):
        X + np.ones(4, np.float32)


def test_matmul_mismatch_names_shapes() -> None:
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 3\)"):
        X @ jnp.zeros((2, 3))


# --- bad axes -------------------------------------------------------------------------------------

REDUCTIONS = ["sum", "prod", "mean", "var", "std", "max", "min", "argmax", "argmin", "all", "any"]


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("axis", [2, -3, 7])
def test_reduction_bad_axis_names_axis_and_ndim(name: str, axis: int) -> None:
    fn = getattr(jnp, name)
    with pytest.raises((ValueError, IndexError)) as e:
        fn(X, axis=axis)
    msg = str(e.value)
    assert re.search(rf"axis {axis}\b", msg), msg
    assert "dimension 2" in msg or "ndim 2" in msg or "2 dimensions" in msg, msg
    with pytest.raises((ValueError, IndexError)):
        getattr(X, name)(axis=axis)


@pytest.mark.parametrize("name", ["sum", "max", "mean"])
def test_reduction_axis_type_and_repeats(name: str) -> None:
    fn = getattr(jnp, name)
    with pytest.raises(TypeError, match="axis must be an integer"):
        fn(X, axis=1.5)  # never truncated to 1
    with pytest.raises(TypeError, match="axis must be an integer"):
        fn(X, axis="a")
    with pytest.raises(ValueError, match="repeated axis"):
        fn(X, axis=(0, -2))
    with pytest.raises(ValueError, match="axis 0 .*dimension 0"):
        fn(jnp.zeros(()), axis=0)
    # integer-like axes are fine
    assert fn(X, axis=np.int64(1)).shape == (2,)
    assert fn(X, axis=jnp.array(1)).shape == (2,)


def test_empty_reductions_without_identity() -> None:
    with pytest.raises(ValueError, match="zero-size|empty"):
        jnp.max(jnp.zeros(0))
    with pytest.raises(ValueError, match="empty|zero-size"):
        jnp.argmax(jnp.zeros((0, 3)), axis=0)
    assert float(jnp.sum(jnp.zeros(0))) == 0.0


@pytest.mark.parametrize(
    "fn,pattern",
    [
        (lambda: jnp.transpose(X, (0, 0)), r"\(0, 0\).*permutation.*\(2, 3\)"),
        (lambda: jnp.transpose(X, (0,)), r"permutation"),
        (lambda: jnp.transpose(X, (0, 2)), r"axis 2 .*dimension 2"),
        (lambda: jnp.swapaxes(X, 0, 2), r"axis 2 .*dimension 2"),
        (lambda: jnp.moveaxis(X, 0, 5), r"axis 5 .*dimension 2"),
        (lambda: jnp.expand_dims(X, 3), r"axis 3 .*dimension 3"),
        (lambda: jnp.squeeze(X, 0), r"axis 0 .*\(2, 3\)"),
        (lambda: jnp.diagonal(jnp.zeros(3)), r"2 dimensions.*\(3,\)"),
        (lambda: jnp.diagonal(X, 0, 1, -1), r"differ"),
        (lambda: jnp.flip(X, 2), r"axis 2 .*dimension 2"),
    ],
)
def test_view_ops_bad_axes(fn: Callable[[], Any], pattern: str) -> None:
    with pytest.raises((ValueError, IndexError), match=pattern):
        fn()


# --- reshape and other shape errors -----------------------------------------------------------------


@pytest.mark.parametrize("shape", [(5,), (4, 2), (7, -1), (2, 2, 2)])
def test_reshape_incompatible(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError) as e:
        X.reshape(shape)
    msg = str(e.value)
    assert "reshape" in msg and ("(2, 3)" in msg or "[2,3]" in msg) and str(shape) in msg, msg
    with pytest.raises(ValueError):
        jnp.reshape(X, shape)


def test_reshape_bad_forms() -> None:
    with pytest.raises(ValueError, match="only one dimension can be -1"):
        X.reshape(-1, -1)
    with pytest.raises(ValueError, match="negative"):
        X.reshape(-2, -3)
    with pytest.raises(ValueError, match="order"):
        jnp.reshape(X, (6,), order="K")
    with pytest.raises(TypeError, match="sequence of ints"):
        X.reshape("a")
    with pytest.raises(TypeError, match="sequence of ints"):
        X.reshape(2.0, 3.0)  # never truncated


def test_other_shape_errors() -> None:
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3,\)"):
        jnp.broadcast_to(X, (3,))
    with pytest.raises(ValueError, match=r"f(32|64)\[2,3\].*f(32|64)\[2,4\]|\(2, 3\).*\(2, 4\)"):
        jnp.concatenate([X, jnp.zeros((2, 4))])
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 4\)"):
        jnp.stack([X, jnp.zeros((2, 4))])
    with pytest.raises(ValueError, match="negative dimensions"):
        jnp.zeros(-1)
    with pytest.raises(TypeError, match="shape"):
        jnp.zeros((2, "a"))


def test_indexing_errors() -> None:
    with pytest.raises(IndexError, match="index 2 is out of bounds for axis 0 with size 2"):
        X[2]
    with pytest.raises(IndexError, match="index -4 is out of bounds for axis 1 with size 3"):
        X[:, -4]
    with pytest.raises(IndexError, match="too many indices"):
        X[0, 0, 0]
    with pytest.raises(IndexError, match="single ellipsis"):
        X[..., ...]
    with pytest.raises(IndexError, match="str"):
        X["a"]
    with pytest.raises(IndexError, match="float"):
        X[1.5]
    with pytest.raises(IndexError, match="as_strided"):
        jnp.as_strided(X, (10,), (1,))


# --- non-array inputs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn",
    [
        lambda: jnp.add("a", 1),
        lambda: jnp.add(1, "a"),
        lambda: X + "a",
        lambda: "a" * X,
        lambda: jnp.sum(object()),
        lambda: jnp.exp(None),
        lambda: jnp.asarray({1: 2}),
        lambda: jnp.mean({}),
        lambda: jnp.exp([1, "a"]),
        lambda: jnp.reshape(object(), (1,)),
        lambda: jnp.transpose("abc"),
        lambda: X < 1j,  # complex numbers have no order
    ],
)
def test_non_array_inputs_raise_type_error(fn: Callable[[], Any]) -> None:
    with pytest.raises(TypeError) as e:
        fn()
    assert str(e.value)


def test_non_array_input_message_names_the_type() -> None:
    with pytest.raises(TypeError, match="str"):
        jnp.add("a", 1)
    with pytest.raises(TypeError, match="object"):
        jnp.sum(object())


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
def test_dtype_kind_errors_are_clear() -> None:
    with pytest.raises(TypeError, match="float32"):
        jnp.bitwise_and(jnp.ones(3), 1)
    with pytest.raises(TypeError, match="float32"):
        ~jnp.ones(3)
    with pytest.raises(TypeError, match="logical_xor"):
        jnp.ones(3, bool) - True


# --- integer overflow of weak scalars ------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn,value,dtype",
    [
        (lambda: jnp.ones(3, jnp.uint8) + (-1), "-1", "uint8"),
        (lambda: jnp.ones(3, jnp.uint8) * 256, "256", "uint8"),
        (lambda: 1000 + jnp.ones(3, jnp.int8), "1000", "int8"),
        (lambda: jnp.ones(3, jnp.int16) - 40000, "40000", "int16"),
        (lambda: jnp.ones(3, jnp.int32) + 2**31, str(2**31), "int32"),
        (lambda: jnp.maximum(jnp.ones(3, jnp.int8), 128), "128", "int8"),
        (lambda: jnp.where(jnp.ones(3, jnp.int8) > 0, 1000, jnp.ones(3, jnp.int8)), "1000", "int8"),
        (lambda: jnp.array(1000, jnp.int8), "1000", "int8"),
        (lambda: jnp.array([0, -1], jnp.uint8), "-1", "uint8"),
    ],
)
def test_weak_int_overflow(fn: Callable[[], Any], value: str, dtype: str) -> None:
    with pytest.raises(OverflowError) as e:
        fn()
    msg = str(e.value)
    assert value in msg and dtype in msg, msg


def test_python_int_too_large_for_int64() -> None:
    with pytest.raises(OverflowError, match="int64"):
        jnp.asarray(2**63)
    with pytest.raises(OverflowError):
        jnp.ones(2, jnp.int64) + 2**64


# --- Python control flow on arrays ----------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(2,), (2, 3), (0,)])
def test_if_on_array_with_more_than_one_element(shape: tuple[int, ...]) -> None:
    x = jnp.ones(shape)
    with pytest.raises(ValueError) as e:
        if x:
            pass
    msg = str(e.value)
    assert "ambiguous" in msg and ".any()" in msg and ".all()" in msg and str(shape) in msg
    with pytest.raises(ValueError, match="ambiguous"):
        bool(x > 0)
    with pytest.raises(ValueError, match="ambiguous"):
        _ = 1 if x == x else 0
    with pytest.raises(ValueError, match="ambiguous"):
        _ = x and True


def test_if_on_one_element_is_fine() -> None:
    assert bool(jnp.ones(())) is True
    assert bool(jnp.zeros((1, 1))) is False
    if jnp.array([3]) > 2:
        pass
    else:  # pragma: no cover
        raise AssertionError


def test_scalar_conversions_of_many_elements() -> None:
    with pytest.raises(TypeError, match=r"\(2,\)"):
        float(jnp.ones(2))
    with pytest.raises(TypeError, match=r"\(2,\)"):
        int(jnp.ones(2))
    with pytest.raises(ValueError, match=r"exactly one element.*\(0,\)"):
        jnp.zeros(0).item()
    with pytest.raises(TypeError, match="integer"):
        [1, 2][jnp.array(1.0)]
    with pytest.raises(TypeError, match="one element"):
        [1, 2][jnp.array([0, 1])]
