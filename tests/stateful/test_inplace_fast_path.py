"""The in-place fast paths (ufunc with out=, the axpy kernel) give exactly
what the general path gives, and keep copy-on-write, version counters and
overlap rules."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import functorch_lite as fl

RNG = np.random.default_rng(3)


def _pair(dtype: Any = np.float32) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    return RNG.standard_normal((4, 5)).astype(dtype), RNG.standard_normal((4, 5)).astype(dtype)


@pytest.mark.parametrize("op,ref", [("add_", np.add), ("sub_", np.subtract), ("mul_", np.multiply),
                                    ("maximum_", np.maximum), ("minimum_", np.minimum)])
def test_inplace_binary_matches_numpy_for_tensors_scalars_broadcasts(op: str, ref: Any) -> None:
    a, b = _pair()
    for other, np_other in ((fl.tensor(b), b), (2.5, np.float32(2.5)), (3, np.float32(3)),
                            (fl.tensor(b[0]), b[0]), (fl.tensor(b).t().t(), b)):
        t = fl.tensor(a)
        out = getattr(t, op)(other)
        assert out is t and t.dtype == fl.float32
        np.testing.assert_array_equal(t.numpy(), ref(a, np_other))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_add_alpha_matches_the_two_step_formula(dtype: Any) -> None:
    a, b = _pair(dtype)
    t = fl.tensor(a)
    t.add_(fl.tensor(b), alpha=-0.1)
    np.testing.assert_allclose(t.numpy(), a + dtype(-0.1) * b, rtol=1e-6 if dtype == np.float32 else 1e-15)
    t2 = fl.tensor(a)
    t2.sub_(fl.tensor(b), alpha=2)
    np.testing.assert_allclose(t2.numpy(), a - 2 * b, rtol=1e-6)


def test_overlapping_operands_read_before_write() -> None:
    a = np.arange(10, dtype=np.float64)
    t = fl.tensor(a)
    t[1:].add_(t[:-1])  # reads overlap the written region: as if the operand were copied first
    np.testing.assert_array_equal(t.numpy(), np.concatenate([[0.0], a[1:] + a[:-1]]))
    t = fl.tensor(a)
    t[1:].add_(t[:-1], alpha=2.0)
    np.testing.assert_array_equal(t.numpy(), np.concatenate([[0.0], a[1:] + 2 * a[:-1]]))
    t = fl.tensor(a)
    t.add_(t, alpha=0.5)
    np.testing.assert_array_equal(t.numpy(), 1.5 * a)


def test_copy_on_write_and_versions_are_kept() -> None:
    a, b = _pair()
    t = fl.tensor(a)
    snap = t.array()
    v = t._version
    t.add_(1.0)
    t.add_(fl.tensor(b), alpha=3)
    assert t._version == v + 2
    np.testing.assert_array_equal(np.asarray(snap), a)  # the Array never changes
    w = fl.tensor(a, requires_grad=True)
    y = w.exp()
    saved_base = fl.tensor(b)
    z = y * saved_base  # saves saved_base for w's gradient
    saved_base.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_fallbacks_keep_general_semantics() -> None:
    i = fl.tensor([1, 2, 3])
    i.add_(2)
    assert i.tolist() == [3, 4, 5] and i.dtype == fl.int64
    with pytest.raises(RuntimeError, match="can't be cast"):
        i.add_(0.5)
    f = fl.ones(3)
    f.add_(fl.tensor([1.0, 2.0, 3.0], dtype=fl.float64))  # another dtype: the general path casts
    assert f.dtype == fl.float32 and f.tolist() == [2.0, 3.0, 4.0]
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        fl.ones(3).add_(fl.ones(2, 3))
    with pytest.raises(RuntimeError, match="more than one element"):
        fl.ones(1).expand(3).add_(1.0)
    leaf = fl.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        leaf.add_(1.0)
    with fl.no_grad():
        leaf.add_(fl.ones(2), alpha=2)
    assert leaf.tolist() == [3.0, 3.0]
