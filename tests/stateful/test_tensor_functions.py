"""The function forms (``fl.sum(t)``, ``fl.cat``, ``fl.stack``,
``fl.randperm``), ``Tensor.storage()``, and the interplay of tensors with
NumPy arrays, Arrays and the transforms."""
from __future__ import annotations

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite.stateful import METHOD_FUNCTIONS

# the PyTorch-style layer keeps PyTorch's dtypes whatever the 64-bit mode: test it in the default (off)
pytestmark = pytest.mark.usefixtures("x64_off")

X = np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]], dtype=np.float32)


def test_method_functions_match_methods() -> None:
    x = fl.tensor(X)
    for name in ("exp", "abs", "sum", "mean", "t", "clone", "argmax", "sigmoid", "flatten", "neg"):
        assert getattr(fl, name)(x).tolist() == getattr(x, name)().tolist(), name
    assert fl.sum(x, dim=1, keepdim=True).tolist() == x.sum(1, True).tolist()
    assert fl.transpose(x, 0, 1).stride() == (1, 3)
    assert fl.max(x, dim=0).values.tolist() == X.max(0).tolist()
    assert fl.matmul(x, fl.tensor(X.T)).shape == (2, 2)
    assert fl.exp([0.0, 1.0]).tolist() == pytest.approx([1.0, np.e])  # data becomes a tensor first
    assert all(callable(getattr(fl, n)) and n in fl.__all__ for n in METHOD_FUNCTIONS)
    assert all(hasattr(fl.Tensor, n) for n in METHOD_FUNCTIONS)
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        fl.nonexistent  # noqa: B018


def test_cat_stack_randperm() -> None:
    a, b = fl.tensor([[1, 2]]), fl.tensor([[3.5, 4.5], [5.0, 6.0]])
    c = fl.cat([a, b])
    assert c.dtype == fl.float32 and c.tolist() == [[1.0, 2.0], [3.5, 4.5], [5.0, 6.0]]
    assert fl.cat((b, b), dim=1).shape == (2, 4) and fl.cat([b, b], dim=-1).shape == (2, 4)
    s = fl.stack([fl.tensor([1, 2]), fl.tensor([3, 4])], dim=1)
    assert s.tolist() == [[1, 3], [2, 4]] and s.dtype == fl.int64
    with pytest.raises(TypeError, match="list or tuple"):
        fl.cat(a)
    fl.manual_seed(0)
    p = fl.randperm(10)
    assert p.dtype == fl.int64 and sorted(p.tolist()) == list(range(10))
    fl.manual_seed(0)
    assert fl.randperm(10).tolist() == p.tolist()


def test_typed_storage_reads_and_writes() -> None:
    points = fl.tensor([[4.0, 1.0], [5.0, 3.0], [2.0, 1.0]])
    s = points.storage()
    assert len(s) == 6 and s[0] == 4.0 and s[-1] == 1.0 and s.dtype == fl.float32 and s.tolist()[2] == 5.0
    second = points[1]
    assert second.storage_offset() == 2 and second.storage().tolist() == s.tolist()
    s[0] = 2.0
    assert points[0, 0].item() == 2.0 and points._version == 1
    with pytest.raises(IndexError, match="out of range"):
        s[6]
    snap = points.array()
    s[1] = -1.0  # copy-on-write for storage writes too
    assert snap.tolist()[0] == [2.0, 1.0] and points[0].tolist() == [2.0, -1.0]
    assert repr(fl.tensor([1, 2]).storage()).endswith("TypedStorage(dtype=functorch_lite.int64, device=cpu) of size 2]")


def test_interplay_with_numpy_and_arrays() -> None:
    t = fl.tensor([1.0, 2.0])
    out = np.array([1.0, 1.0], dtype=np.float32) + t
    assert isinstance(out, fl.Tensor) and out.tolist() == [2.0, 3.0]
    arr_out = jnp.array([1.0, 1.0]) + t  # the functional side stays functional
    assert isinstance(arr_out, fl.Array) and arr_out.tolist() == [2.0, 3.0]
    assert 2.0 in t and 3.0 not in t
    assert fl.Tensor().shape == (0,) and fl.Tensor(t).dtype == fl.float32 and fl.Tensor(t).tolist() == [1.0, 2.0]
    assert t.to("cpu") is t and t.to(device="cpu", dtype=fl.float64).dtype == fl.float64
    with pytest.raises(RuntimeError, match="not available"):
        t.to("cuda")


def test_transforms_see_tensors_as_constants() -> None:
    w = fl.tensor([2.0, 3.0])
    f = lambda x: jnp.sum(w * x) + jnp.sum(x * w)  # noqa: E731
    g = fl.grad(f)(jnp.array([1.0, 1.0]))
    assert g.tolist() == [4.0, 6.0]
    h = fl.vmap(lambda x: w * x)(jnp.ones((3, 2)))
    assert h.tolist() == [[2.0, 3.0]] * 3
    assert w.tolist() == [2.0, 3.0] and w._version == 0
