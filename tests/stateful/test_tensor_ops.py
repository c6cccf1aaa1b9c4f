"""Tensor math, comparisons and reductions: values against NumPy, dtypes as
PyTorch's promotion rules give them."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import functorch_lite as fl
from functorch_lite.stateful._dtypes import result_type

# the PyTorch-style layer keeps PyTorch's dtypes whatever the 64-bit mode: test it in the default (off)
pytestmark = pytest.mark.usefixtures("x64_off")

A = np.array([[1.5, -2.0, 3.25], [0.5, 4.0, -1.0]], dtype=np.float32)
B = np.array([[2.0, 1.0, -0.5], [3.0, -2.5, 2.0]], dtype=np.float32)


def _close(t: Any, ref: Any, rtol: float = 1e-6) -> None:
    np.testing.assert_allclose(np.asarray(t.tolist(), dtype=np.float64), np.asarray(ref, dtype=np.float64),
                               rtol=rtol, atol=1e-6)


@pytest.mark.parametrize("name,fn,ref", [
    ("add", lambda a, b: a + b, np.add), ("sub", lambda a, b: a - b, np.subtract),
    ("mul", lambda a, b: a * b, np.multiply), ("div", lambda a, b: a / b, np.divide),
    ("pow", lambda a, b: a.abs() ** b, lambda a, b: np.abs(a) ** b),
    ("maximum", lambda a, b: a.maximum(b), np.maximum), ("rsub", lambda a, b: 2.0 - a, lambda a, b: 2.0 - a),
    ("add_alpha", lambda a, b: a.add(b, alpha=3), lambda a, b: a + 3 * b),
    ("floor_div", lambda a, b: a.div(b, rounding_mode="floor"), np.floor_divide),
    ("trunc_div", lambda a, b: a.div(b, rounding_mode="trunc"), lambda a, b: np.trunc(a / b)),
    ("where", lambda a, b: fl.where(a > b, a, b), lambda a, b: np.where(a > b, a, b)),
    ("clamp", lambda a, b: a.clamp(min=-1.0, max=2.0), lambda a, b: np.clip(a, -1.0, 2.0)),
    ("clamp_t", lambda a, b: a.clamp(max=b), np.minimum),
])
def test_binary_values(name: str, fn: Any, ref: Any) -> None:
    out = fn(fl.tensor(A), fl.tensor(B))
    assert out.dtype == fl.float32
    _close(out, ref(A, B))


@pytest.mark.parametrize("name,ref", [
    ("exp", np.exp), ("log", lambda a: np.log(np.abs(a))), ("sqrt", lambda a: np.sqrt(np.abs(a))),
    ("abs", np.abs), ("neg", np.negative), ("tanh", np.tanh), ("sigmoid", lambda a: 1 / (1 + np.exp(-a))),
    ("relu", lambda a: np.maximum(a, 0)), ("floor", np.floor), ("sin", np.sin), ("square", np.square),
])
def test_unary_values(name: str, ref: Any) -> None:
    t = fl.tensor(A)
    if name in ("log", "sqrt"):
        t = t.abs()
    _close(getattr(t, name)(), ref(A), rtol=1e-5)
    assert t.tolist() == (np.abs(A) if name in ("log", "sqrt") else A).tolist()  # inputs never change


def test_matmul() -> None:
    a, b = fl.tensor(A), fl.tensor(B)
    _close(a @ b.t(), A @ B.T, rtol=1e-5)
    _close(a.matmul(fl.tensor(B[0])), A @ B[0], rtol=1e-5)
    _close(fl.tensor(B[0]).dot(fl.tensor(A[1])), B[0] @ A[1], rtol=1e-5)
    with pytest.raises(RuntimeError, match="same dtype"):
        a @ b.t().double()
    with pytest.raises(RuntimeError, match="at least 1D"):
        a @ fl.tensor(2.0)


def test_comparisons_give_bool() -> None:
    a, b = fl.tensor(A), fl.tensor(B)
    for op, ref in [("lt", np.less), ("le", np.less_equal), ("gt", np.greater), ("ge", np.greater_equal),
                    ("eq", np.equal), ("ne", np.not_equal)]:
        out = getattr(a, op)(b)
        assert out.dtype == fl.bool and out.tolist() == ref(A, B).tolist()
    assert (a == a).all().item() is True and (a != 1.5).tolist() == (A != 1.5).tolist()
    assert a.equal(fl.tensor(A)) and not a.equal(b)


def test_promotion_like_pytorch() -> None:
    i32 = fl.tensor([1, 2], dtype=fl.int32)
    i64 = fl.tensor([1, 2])
    f32 = fl.tensor([1.0, 2.0])
    f64_0d = fl.tensor(2.0, dtype=fl.float64)
    i64_0d = fl.tensor(3)
    u8 = fl.tensor([1, 2], dtype=fl.uint8)
    i8 = fl.tensor([1, 2], dtype=fl.int8)
    cases = [
        (i32 + 1, fl.int32), (i32 + 2.5, fl.float32), (i32 + True, fl.int32), (i32 + i64_0d, fl.int32),
        (i32 + f64_0d, fl.float64), (f32 + f64_0d, fl.float32), (i32 + i64, fl.int64), (i64 + f32, fl.float32),
        (u8 + i8, fl.int16), (i64 / 2, fl.float32), (i64 // 2, fl.int64), (fl.tensor([True]) + 1, fl.int64),
        (fl.tensor([True]) + fl.tensor([True]), fl.bool), (f32.double() * f32, fl.float64),
        (i64_0d + f64_0d, fl.float64), (i64_0d * 2.0, fl.float32), (i64.sqrt(), fl.float32),
        (i64.sum(), fl.int64), (i32.sum(), fl.int64), (fl.tensor([True, True]).sum(), fl.int64),
        (i32.max(), fl.int32), (f32.argmax(), fl.int64),
    ]
    for out, dt in cases:
        assert out.dtype == dt, (out, dt)
    assert (i32 + 2.5).tolist() == [3.5, 4.5] and (i64 / 2).tolist() == [0.5, 1.0]
    fl.set_default_dtype(fl.float64)
    try:
        assert (i32 * 0.5).dtype == fl.float64 and fl.tensor([1.5]).dtype == fl.float64
    finally:
        fl.set_default_dtype(fl.float32)
    with pytest.raises(TypeError, match="floating point"):
        fl.set_default_dtype(fl.int64)


def test_reductions() -> None:
    a = fl.tensor(A)
    _close(a.sum(), A.sum())
    _close(a.sum(dim=1), A.sum(1))
    _close(a.sum(dim=(0, 1), keepdim=True), A.sum((0, 1), keepdims=True))
    _close(a.mean(0), A.mean(0))
    _close(a.std(), A.std(ddof=1), rtol=1e-5)
    _close(a.var(1, correction=0), A.var(1), rtol=1e-5)
    _close(a.std(1, unbiased=False, keepdim=True), A.std(1, keepdims=True), rtol=1e-5)
    _close(a.var(False), A.var(), rtol=1e-5)
    assert a.sum(dim=1, keepdim=True).shape == (2, 1)
    assert a.max().item() == 4.0 and a.min().item() == -2.0
    v, i = a.max(dim=1)
    assert v.tolist() == A.max(1).tolist() and i.tolist() == A.argmax(1).tolist() and i.dtype == fl.int64
    r = a.min(dim=0, keepdim=True)
    assert r.values.shape == (1, 3) and r.indices.tolist() == [A.argmin(0).tolist()]
    assert a.argmax().item() == int(A.argmax()) and a.argmin(dim=1).tolist() == A.argmin(1).tolist()
    assert fl.tensor([3, 1, 3]).max(dim=0).indices.item() == 0  # the first maximum
    assert a.max(fl.tensor(B)).tolist() == np.maximum(A, B).tolist()
    assert fl.tensor([[1, 2], [3, 4]]).prod(1).tolist() == [2, 12]
    assert fl.tensor([1, 2, 3]).cumsum(0).tolist() == [1, 3, 6]
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype"):
        fl.tensor([1, 2]).mean()
    assert fl.tensor([1, 2]).mean(dtype=fl.float32).item() == 1.5
    with pytest.raises(IndexError, match="numel\\(\\) == 0"):
        fl.zeros(0).max()


def test_scalars_and_conversion() -> None:
    t = fl.tensor([[1.5, 2.0]])
    assert t.shape == (1, 2) and t.size() == (1, 2) and t.size(1) == 2 and t.dim() == 2 and t.numel() == 2
    assert t.ndim == 2 and t.element_size() == 4 and isinstance(t.shape, fl.Size) and t.shape.numel() == 2
    assert t[0, 0].item() == 1.5 and float(t[0, 1]) == 2.0 and int(fl.tensor(3)) == 3
    assert t.tolist() == [[1.5, 2.0]] and t.to(fl.int64).tolist() == [[1, 2]]
    assert t.to(fl.float32) is t and t.float() is t and t.double().dtype == fl.float64
    arr = t.array()
    assert isinstance(arr, fl.Array) and arr.tolist() == [[1.5, 2.0]]
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        t.item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(t)
    assert len(t) == 1 and list(range(10))[fl.tensor(3)] == 3


def test_bad_operands() -> None:
    with pytest.raises(TypeError, match="unsupported operand"):
        fl.ones(2) + "a"
    with pytest.raises(TypeError, match="tensor or a number"):
        fl.ones(2).add("a")
    with pytest.raises(RuntimeError, match="Negation"):
        -fl.tensor([True])
    with pytest.raises(RuntimeError, match="boolean tensor"):
        fl.where(fl.tensor([1, 0]), 1.0, 0.0)
    with pytest.raises((ValueError, RuntimeError)):
        fl.ones(2, 3) + fl.ones(4)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.integers(0, 2), st.booleans(),
       st.sampled_from(["sum", "mean", "max", "amin", "std", "var"]))
def test_reductions_of_noncontiguous_views(shape: list[int], dim: int, keepdim: bool, op: str) -> None:
    rng = np.random.default_rng(len(shape) * 7 + dim)
    n = rng.standard_normal([*shape, 2]).astype(np.float32)
    t = fl.tensor(n)[..., 1].permute(*reversed(range(len(shape))))
    ref = n[..., 1].transpose(*reversed(range(len(shape))))
    d = dim % len(shape)
    if op in ("std", "var") and ref.shape[d] < 2:
        return
    if op == "max":
        out = t.max(dim=d, keepdim=keepdim).values
        expect = ref.max(d, keepdims=keepdim)
    elif op in ("std", "var"):
        out = getattr(t, op)(d, keepdim=keepdim)
        expect = getattr(ref, op)(d, ddof=1, keepdims=keepdim)
    elif op == "amin":
        out = t.amin(d, keepdim)
        expect = ref.min(d, keepdims=keepdim)
    else:
        out = getattr(t, op)(dim=d, keepdim=keepdim)
        expect = getattr(ref, op)(d, keepdims=keepdim)
    assert out.shape == expect.shape
    _close(out, expect, rtol=1e-5)


def test_fractional_correction() -> None:
    x = fl.tensor(A)
    n = A.shape[1]
    _close(x.var(1, correction=0.5), A.astype(np.float64).var(1) * n / (n - 0.5), rtol=1e-5)
    _close(x.std(correction=2.5), np.sqrt(A.astype(np.float64).var() * A.size / (A.size - 2.5)), rtol=1e-5)
    with pytest.raises(RuntimeError, match="either unbiased= or correction="):
        x.var(0, True, correction=1)


_DTYPES = [fl.bool, fl.uint8, fl.int8, fl.int16, fl.int32, fl.int64, fl.float32, fl.float64]


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(_DTYPES), st.sampled_from(_DTYPES), st.integers(0, 2), st.integers(0, 2))
def test_promotion_properties(a: Any, b: Any, pa: int, pb: int) -> None:
    ab = result_type((a, pa), (b, pb))
    assert ab is result_type((b, pb), (a, pa))  # symmetric
    assert fl.promote_types(a, b) is fl.promote_types(b, a)
    if pa == pb:
        assert ab is fl.promote_types(a, b)  # equal priority: plain promotion
    if pa > pb and (a.is_floating_point or not b.is_floating_point) and (a is not fl.bool or b is fl.bool):
        assert ab is a  # a lower-priority operand of no higher category never changes the dtype
    x = fl.zeros(*([2] if pa == 2 else []), dtype=a) if pa else None
    y = fl.zeros(*([2] if pb == 2 else []), dtype=b) if pb else None
    if x is not None and y is not None and not (a is fl.bool and b is fl.bool):
        assert (x + y).dtype is ab  # the tensors' own arithmetic agrees with the table


def test_relu_gradient_is_pytorchs_at_zero_and_nan() -> None:
    import functorch_lite as fl

    x = fl.tensor([0.0, -1.0, 2.0, float("nan")], requires_grad=True)
    y = x.relu()
    y.sum().backward()
    assert x.grad.tolist()[:3] == [0.0, 0.0, 1.0] and x.grad.tolist()[3] == 1.0  # threshold_backward
    assert y.tolist()[:3] == [0.0, 0.0, 2.0] and y.tolist()[3] != y.tolist()[3]  # nan stays nan
    assert fl.tensor([-2, 3]).relu().tolist() == [0, 3]
