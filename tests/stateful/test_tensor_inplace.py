"""In-place tensor methods, operators and ``t[idx] = v``: values against
NumPy, ``self`` returned, the version counter bumped, validation before any
write, and the out-of-place forms never changing their input."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import functorch_lite as fl

# the PyTorch-style layer keeps PyTorch's dtypes whatever the 64-bit mode: test it in the default (off)
pytestmark = pytest.mark.usefixtures("x64_off")

A = np.array([[1.5, -2.0, 3.25], [0.5, 4.0, -1.0]], dtype=np.float32)


@pytest.mark.parametrize("name,args,ref", [
    ("add_", (2.0,), lambda a: a + 2.0), ("sub_", (0.5,), lambda a: a - 0.5), ("mul_", (3.0,), lambda a: a * 3.0),
    ("div_", (4.0,), lambda a: a / 4.0), ("pow_", (2,), lambda a: a ** 2), ("neg_", (), np.negative),
    ("abs_", (), np.abs), ("exp_", (), np.exp), ("clamp_", (-1.0, 2.0), lambda a: np.clip(a, -1.0, 2.0)),
    ("zero_", (), np.zeros_like), ("fill_", (7.0,), lambda a: np.full_like(a, 7.0)),
    ("add_", (np.array([1.0, 2.0, 3.0], np.float32),), lambda a: a + np.array([1.0, 2.0, 3.0])),
    ("mul_", (np.array([[2.0], [3.0]], np.float32),), lambda a: a * np.array([[2.0], [3.0]])),
])
def test_inplace_values(name: str, args: tuple[Any, ...], ref: Any) -> None:
    t = fl.tensor(A)
    v = t._version
    targs = tuple(fl.tensor(x) if isinstance(x, np.ndarray) else x for x in args)
    out = getattr(t, name)(*targs)
    assert out is t and t._version == v + 1
    np.testing.assert_allclose(np.array(t.tolist()), ref(A.astype(np.float64)), rtol=1e-6)
    assert t.dtype == fl.float32


def test_log_and_sqrt_in_place() -> None:
    t = fl.tensor(np.abs(A))
    t.log_()
    np.testing.assert_allclose(np.array(t.tolist()), np.log(np.abs(A)), rtol=1e-6)
    s = fl.tensor(np.abs(A)).sqrt_()
    np.testing.assert_allclose(np.array(s.tolist()), np.sqrt(np.abs(A)), rtol=1e-6)


def test_add_alpha_and_operators() -> None:
    t = fl.ones(3)
    t.add_(fl.tensor([1.0, 2.0, 3.0]), alpha=2)
    assert t.tolist() == [3.0, 5.0, 7.0]
    t.sub_(fl.ones(3), alpha=0.5)
    assert t.tolist() == [2.5, 4.5, 6.5]
    u = t
    u += 1
    u -= 0.5
    u *= 2
    u /= 4
    assert u is t and t.tolist() == [1.5, 2.5, 3.5]
    m = fl.tensor([[1.0, 2.0], [3.0, 4.0]])
    alias = m
    m @= fl.tensor([[0.0, 1.0], [1.0, 0.0]])  # square: written in place
    assert m is alias and m.tolist() == [[2.0, 1.0], [4.0, 3.0]]
    r = fl.ones(2, 3)
    r2 = r
    r2 @= fl.ones(3, 1)  # the shape changes: rebound to the product, r unchanged
    assert r2.shape == (2, 1) and r.tolist() == [[1.0] * 3] * 2


def test_out_of_place_never_changes_input() -> None:
    t = fl.tensor(A)
    for f in (lambda x: x.add(1), lambda x: x.mul(2), lambda x: x.clamp(0, 1), lambda x: x.exp(),
              lambda x: x.masked_fill(x > 0, 0.0), lambda x: x.index_add(0, fl.tensor([1]), fl.ones(1, 3)),
              lambda x: x.scatter(1, fl.tensor([[0], [1]]), 9.0), lambda x: x.neg(), lambda x: x.pow(2)):
        f(t)
    assert t.tolist() == A.tolist() and t._version == 0


def test_inplace_dtype_rules() -> None:
    i = fl.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        i.add_(1.5)
    with pytest.raises(RuntimeError, match="can't be cast"):
        i.div_(2)
    with pytest.raises(RuntimeError, match="can't be cast"):
        i.exp_()
    assert i.tolist() == [1, 2, 3] and i._version == 0
    i.mul_(2)
    i.div_(2, rounding_mode="floor")
    assert i.tolist() == [1, 2, 3] and i.dtype == fl.int64
    f = fl.zeros(2)
    f.add_(fl.tensor([1, 2]))  # int into float: allowed
    assert f.tolist() == [1.0, 2.0]
    i.fill_(2.7)  # fill_ and copy_ cast like PyTorch
    assert i.tolist() == [2, 2, 2]
    i.copy_(fl.tensor([1.9, -1.9, 0.0]))
    assert i.tolist() == [1, -1, 0]


def test_scalars_that_do_not_fit_raise() -> None:
    t = fl.zeros(3, dtype=fl.int64)
    for write in (lambda: t.fill_(float("nan")), lambda: t.masked_fill_(t == 0, 1e30),
                  lambda: t.__setitem__(0, float("inf")), lambda: t.__setitem__([0, 1], float("nan")),
                  lambda: t.scatter_(0, fl.tensor([0]), float("-inf"))):
        with pytest.raises(RuntimeError, match="without overflow"):
            write()
    with pytest.raises(RuntimeError, match="without overflow"):
        fl.zeros(2, dtype=fl.uint8).fill_(300)
    assert t.tolist() == [0, 0, 0] and t._version == 0


def test_broadcast_into_self_only() -> None:
    t = fl.zeros(3)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        t.add_(fl.ones(2, 3))
    with pytest.raises(RuntimeError, match="doesn't match"):
        t.copy_(fl.ones(2))
    assert t._version == 0


def test_copy_between_overlapping_views() -> None:
    x = fl.arange(6.0)
    x[1:].copy_(x[:-1].clone())
    assert x.tolist() == [0.0, 0.0, 1.0, 2.0, 3.0, 4.0]
    y = fl.tensor([0.0, 1.0, 2.0, 3.0])
    y[1:] = y[:-1]  # reads before it writes, as PyTorch's result
    assert y.tolist() == [0.0, 0.0, 1.0, 2.0]
    m = fl.tensor([[1.0, 2.0], [3.0, 4.0]])
    m.copy_(m.t())
    assert m.tolist() == [[1.0, 3.0], [2.0, 4.0]]


def test_setitem_basic_and_advanced() -> None:
    t = fl.zeros(3, 4)
    n = np.zeros((3, 4), np.float32)
    for idx, val in [((1,), 5.0), ((slice(None), 2), fl.tensor([1.0, 2.0, 3.0])), ((0, slice(1, 3)), 7),
                     (([0, 2], [1, 3]), -1.0), ((fl.tensor([2, 0]),), fl.tensor([9.0, 8.0, 7.0, 6.0])),
                     ((Ellipsis, -1), 4.0), ((None, 1, 0), 11.0)]:
        t[idx] = val
        n[idx if not any(isinstance(i, fl.Tensor) for i in idx) else tuple(np.asarray(i.tolist()) for i in idx)] = (
            np.asarray(val.tolist()) if isinstance(val, fl.Tensor) else val)
        assert t.tolist() == n.tolist(), idx
    t[t > 5] = 0.0
    n[n > 5] = 0.0
    assert t.tolist() == n.tolist()
    assert t._version == 8


def test_setitem_validates_before_writing() -> None:
    t = fl.zeros(3)
    with pytest.raises(IndexError, match="out of bounds"):
        t[[0, 3]] = 1.0
    with pytest.raises(IndexError):
        t[fl.tensor([True, False])] = 1.0
    with pytest.raises(RuntimeError, match="shape mismatch"):
        t[[0, 1]] = fl.ones(3)
    with pytest.raises(IndexError, match="out of bounds"):
        t[5] = 1.0
    assert t.tolist() == [0.0, 0.0, 0.0] and t._version == 0


def test_masked_fill_index_add_scatter() -> None:
    x = fl.tensor([[1.0, -2.0], [-3.0, 4.0]])
    x.masked_fill_(x < 0, 0.5)
    assert x.tolist() == [[1.0, 0.5], [0.5, 4.0]]
    x.masked_fill_(fl.tensor([True, False]), fl.tensor(9.0))  # the mask broadcasts over rows
    assert x.tolist() == [[9.0, 0.5], [9.0, 4.0]]
    with pytest.raises(RuntimeError, match="boolean masks"):
        x.masked_fill_(fl.tensor([1, 0]), 0.0)
    y = fl.zeros(3, 2)
    y.index_add_(0, fl.tensor([2, 0, 2]), fl.tensor([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]), alpha=2)
    assert y.tolist() == [[4.0, 4.0], [0.0, 0.0], [8.0, 8.0]]
    y.index_add_(1, fl.tensor([1]), fl.ones(3, 1))
    assert y.tolist() == [[4.0, 5.0], [0.0, 1.0], [8.0, 9.0]]
    with pytest.raises(IndexError, match="out of bounds"):
        y.index_add_(0, fl.tensor([3]), fl.ones(1, 2))
    with pytest.raises(RuntimeError, match="same scalar type"):
        y.index_add_(0, fl.tensor([0]), fl.ones(1, 2, dtype=fl.float64))
    z = fl.zeros(3, 4)
    src = fl.arange(1, 9).view(2, 4).float()
    z.scatter_(0, fl.tensor([[0, 1, 2, 0], [2, 0, 0, 1]]), src)
    ref = np.zeros((3, 4))
    for i in range(2):
        for j in range(4):
            ref[[[0, 1, 2, 0], [2, 0, 0, 1]][i][j], j] = i * 4 + j + 1
    assert z.tolist() == ref.tolist()
    z.scatter_(1, fl.tensor([[3], [3], [3]]), 1.0, reduce="add")
    ref[:, 3] += 1.0
    assert z.tolist() == ref.tolist()
    with pytest.raises(IndexError, match="out of bounds"):
        z.scatter_(1, fl.tensor([[4]]), 1.0)
    assert z.tolist() == ref.tolist()


def test_random_in_place() -> None:
    fl.manual_seed(1)
    a = fl.empty(2000).normal_(mean=3.0, std=2.0)
    assert abs(a.mean().item() - 3.0) < 0.2 and abs(a.std().item() - 2.0) < 0.2
    b = fl.empty(2000).uniform_(-1, 5)
    assert -1.0 <= b.min().item() and b.max().item() < 5.0 and abs(b.mean().item() - 2.0) < 0.2
    c = fl.empty(5)
    c.uniform_(**{"from": 2.0, "to": 3.0})
    assert all(2.0 <= v < 3.0 for v in c.tolist())
    with pytest.raises(RuntimeError, match="floating point"):
        fl.zeros(3, dtype=fl.int64).normal_()
    fl.manual_seed(1)
    assert fl.empty(2000).normal_(mean=3.0, std=2.0).tolist() == a.tolist()


def test_leaf_requiring_grad_refuses_in_place() -> None:
    w = fl.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.add_(1)
    with fl.no_grad():
        w.add_(1)
    assert w.tolist() == [2.0, 2.0]
