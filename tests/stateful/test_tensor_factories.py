"""Factories, dtypes, generators, grad modes and printing of the stateful
layer, with PyTorch's names, signatures and defaults."""
from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

import functorch_lite as fl

# the PyTorch-style layer keeps PyTorch's dtypes whatever the 64-bit mode: test it in the default (off)
pytestmark = pytest.mark.usefixtures("x64_off")


def test_tensor_dtype_inference() -> None:
    assert fl.tensor([1, 2]).dtype == fl.int64 and fl.tensor([1.0, 2]).dtype == fl.float32
    assert fl.tensor([True]).dtype == fl.bool and fl.tensor(3).shape == () and fl.tensor([]).dtype == fl.float32
    assert fl.tensor(np.arange(3, dtype=np.int32)).dtype == fl.int32
    assert fl.tensor(np.arange(3.0)).dtype == fl.float64
    assert fl.tensor([1, 2], dtype=fl.float64).tolist() == [1.0, 2.0]
    assert fl.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert fl.tensor([fl.tensor(1.5), fl.tensor(2.5)]).tolist() == [1.5, 2.5]
    with pytest.raises(ValueError, match="rectangular"):
        fl.tensor([[1, 2], [3]])
    with pytest.raises(OverflowError):
        fl.tensor([2**64 - 1])
    with pytest.raises(TypeError, match="not supported"):
        fl.tensor([1], dtype=np.float16)
    assert fl.tensor([1], dtype=np.complex64).dtype == fl.complex64


def test_tensor_copies_and_as_tensor_shares() -> None:
    a = np.arange(3.0)
    t = fl.tensor(a)
    a[0] = 9.0
    assert t.tolist() == [0.0, 1.0, 2.0]
    s = fl.as_tensor(a)
    a[1] = -1.0
    assert s.tolist() == [9.0, -1.0, 2.0]
    assert fl.as_tensor(s) is s and fl.as_tensor(s, dtype=fl.float32).dtype == fl.float32
    c = fl.as_tensor(a, dtype=fl.float32)  # another dtype: a copy
    a[2] = 0.0
    assert c.tolist() == [9.0, -1.0, 2.0]
    u = fl.tensor(s)
    u.add_(1)
    assert s.tolist() == [9.0, -1.0, 0.0] and u.requires_grad is False


@pytest.mark.parametrize("make,shape,dtype,value", [
    (lambda: fl.zeros(2, 3), (2, 3), fl.float32, 0.0), (lambda: fl.zeros((2, 3)), (2, 3), fl.float32, 0.0),
    (lambda: fl.ones([4], dtype=fl.int32), (4,), fl.int32, 1), (lambda: fl.empty(2), (2,), fl.float32, None),
    (lambda: fl.full((2, 2), 1.5), (2, 2), fl.float32, 1.5), (lambda: fl.full((2,), 3), (2,), fl.int64, 3),
    (lambda: fl.full((1,), False), (1,), fl.bool, False), (lambda: fl.zeros(0), (0,), fl.float32, None),
    (lambda: fl.zeros_like(fl.ones(2, dtype=fl.int64)), (2,), fl.int64, 0),
    (lambda: fl.ones_like(fl.zeros(1, 2)), (1, 2), fl.float32, 1.0),
    (lambda: fl.full_like(fl.zeros(3), 7), (3,), fl.float32, 7.0),
    (lambda: fl.empty_like(fl.zeros(2), dtype=fl.float64), (2,), fl.float64, None),
])
def test_filled_factories(make: Any, shape: tuple[int, ...], dtype: Any, value: Any) -> None:
    t = make()
    assert t.shape == shape and t.dtype == dtype and t.is_contiguous()
    if value is not None:
        assert np.all(np.array(t.tolist()) == value)
    t2 = make()
    assert t2.untyped_storage() != t.untyped_storage()


def test_ranges() -> None:
    assert fl.arange(5).tolist() == list(range(5)) and fl.arange(5).dtype == fl.int64
    assert fl.arange(1, 10, 3).tolist() == [1, 4, 7] and fl.arange(5, 0, -2).tolist() == [5, 3, 1]
    np.testing.assert_allclose(fl.arange(0, 1, 0.1).tolist(), np.arange(0, 1, 0.1), rtol=1e-6)
    assert fl.arange(0, 1, 0.1).shape == (10,) and fl.arange(0.0, 3).dtype == fl.float32
    assert fl.arange(3, dtype=fl.float64).dtype == fl.float64
    np.testing.assert_allclose(fl.linspace(-1, 2, 7).tolist(), np.linspace(-1, 2, 7), rtol=1e-6)
    assert fl.linspace(0, 1, 5).tolist()[-1] == 1.0 and fl.linspace(0, 1, 1).tolist() == [0.0]
    assert fl.eye(3).tolist() == np.eye(3).tolist() and fl.eye(2, 3, dtype=fl.int64).tolist() == [[1, 0, 0], [0, 1, 0]]
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        fl.arange(0, 5, 0)
    with pytest.raises(RuntimeError, match="inconsistent with step sign"):
        fl.arange(0, 5, -1)


def test_random_factories_and_seeds() -> None:
    fl.manual_seed(123)
    a, b, c = fl.rand(3, 4), fl.randn(1000), fl.randint(2, 7, (500,))
    assert a.shape == (3, 4) and a.dtype == fl.float32 and bool(((a >= 0) & (a < 1)).all())
    assert abs(b.mean().item()) < 0.15 and abs(b.std().item() - 1.0) < 0.1
    assert c.dtype == fl.int64 and set(c.tolist()) == {2, 3, 4, 5, 6}
    fl.manual_seed(123)
    assert fl.rand(3, 4).tolist() == a.tolist()
    assert fl.randn(1000).tolist() == b.tolist()
    assert fl.rand(3).tolist() != fl.rand(3).tolist()
    g = fl.Generator().manual_seed(5)
    x = fl.randn(4, generator=g)
    assert fl.randn(4, generator=fl.Generator().manual_seed(5)).tolist() == x.tolist()
    assert fl.randint(10, (3,)).shape == (3,) and fl.randint(0, 3, size=(2,), dtype=fl.int32).dtype == fl.int32
    assert fl.rand_like(fl.zeros(2, dtype=fl.float64)).dtype == fl.float64
    assert fl.randn_like(fl.zeros(3)).shape == (3,) and fl.randint_like(fl.zeros(4), 3).dtype == fl.float32
    assert fl.initial_seed() == 123
    with pytest.raises(RuntimeError, match="floating point"):
        fl.rand(2, dtype=fl.int64)


def test_new_methods_keep_dtype() -> None:
    x = fl.ones(1, dtype=fl.int32)
    for t, shape, value in [(x.new_zeros(2, 3), (2, 3), 0), (x.new_ones((2,)), (2,), 1), (x.new_empty(1), (1,), 0),
                            (x.new_full((2,), 7), (2,), 7)]:
        assert t.dtype is fl.int32 and t.shape == shape and all(v == value for v in t.reshape(-1).tolist())
    assert x.new_tensor([1.7, 2.2]).tolist() == [1, 2] and x.new_zeros(2, dtype=fl.float64).dtype is fl.float64


def test_requires_grad_only_for_floats() -> None:
    assert fl.zeros(2, requires_grad=True).requires_grad
    assert fl.tensor([1.0], requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="floating point"):
        fl.tensor([1], requires_grad=True)


def test_dtype_objects() -> None:
    assert fl.float is fl.float32 and fl.double is fl.float64 and fl.long is fl.int64 and fl.int is fl.int32
    assert fl.float32 == np.float32 and fl.float32 != fl.float64 and repr(fl.int64) == "functorch_lite.int64"
    assert fl.float32.is_floating_point and not fl.int64.is_floating_point and fl.float64.itemsize == 8
    assert fl.promote_types(fl.int64, fl.float32) is fl.float32 and fl.promote_types(fl.uint8, fl.int8) is fl.int16
    assert fl.can_cast(fl.int64, fl.float32) and not fl.can_cast(fl.float32, fl.int64)
    assert not fl.can_cast(fl.int32, fl.bool)
    assert fl.tensor([1], dtype="float64").dtype is fl.float64 and fl.tensor([1], dtype=np.int16).dtype is fl.int16


def test_grad_modes() -> None:
    assert fl.is_grad_enabled()
    with fl.no_grad():
        assert not fl.is_grad_enabled()
        with fl.enable_grad():
            assert fl.is_grad_enabled()
        assert not fl.is_grad_enabled()
    with fl.set_grad_enabled(False):
        assert not fl.is_grad_enabled()
    assert fl.is_grad_enabled()
    fl.set_grad_enabled(False)
    assert not fl.is_grad_enabled()
    fl.set_grad_enabled(True)
    with fl.inference_mode():
        assert not fl.is_grad_enabled() and fl.is_inference_mode_enabled()
    with fl.inference_mode(False):
        assert fl.is_grad_enabled() and not fl.is_inference_mode_enabled()

    @fl.no_grad()
    def f() -> bool:
        return fl.is_grad_enabled()

    @fl.no_grad
    def g() -> bool:
        return fl.is_grad_enabled()

    @fl.set_grad_enabled(False)
    def h() -> bool:
        return fl.is_grad_enabled()

    assert fl.is_grad_enabled()  # decorating does not switch the mode
    assert not f() and not g() and not h() and fl.is_grad_enabled()
    with pytest.raises(ZeroDivisionError):
        with fl.no_grad():
            raise ZeroDivisionError
    assert fl.is_grad_enabled()


def test_grad_mode_is_per_thread() -> None:
    seen: list[bool] = []
    inside = threading.Event()
    release = threading.Event()

    def other() -> None:
        seen.append(fl.is_grad_enabled())
        inside.set()
        release.wait(5)
        seen.append(fl.is_grad_enabled())

    with fl.no_grad():
        th = threading.Thread(target=other)
        th.start()
        inside.wait(5)
        release.set()
        th.join(5)
    assert seen == [True, True]


def test_printing() -> None:
    assert repr(fl.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(fl.tensor([1.5, 2.0])) == "tensor([1.5000, 2.0000])"
    assert repr(fl.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(fl.tensor(2.5)) == "tensor(2.5000)"
    assert repr(fl.tensor([1, 2], dtype=fl.int32)) == "tensor([1, 2], dtype=functorch_lite.int32)"
    assert repr(fl.tensor([True, False])) == "tensor([ True, False])"
    assert repr(fl.zeros(2, requires_grad=True)) == "tensor([0., 0.], requires_grad=True)"
    assert repr(fl.tensor([[1.0, 10.0], [-3.0, 4.0]])) == "tensor([[ 1., 10.],\n        [-3.,  4.]])"
    assert repr(fl.zeros(2, 0)) == "tensor([], size=(2, 0))"
    assert repr(fl.zeros(2).shape) == "functorch_lite.Size([2])"


def test_top_level_names() -> None:
    names = ["Tensor", "tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "arange", "linspace",
             "eye", "rand", "randn", "randint", "zeros_like", "ones_like", "empty_like", "full_like", "rand_like",
             "randn_like", "randint_like", "manual_seed", "no_grad", "enable_grad", "set_grad_enabled",
             "inference_mode", "is_grad_enabled", "float32", "float64", "int64", "int32", "bool", "set_default_dtype",
             "get_default_dtype"]
    assert all(n in fl.__all__ and getattr(fl, n) is not None for n in names)
    assert isinstance(fl.zeros(1), fl.Tensor) and fl.is_tensor(fl.zeros(1))
    assert fl.Tensor([1, 2]).dtype == fl.float32 and fl.Tensor(2, 3).shape == (2, 3)
