"""Ownership of tensor storage (DESIGN.md, "Storage ownership"): an in-place
write through a Tensor is never seen through an Array, a cache or a pool of
the functional core; views of one tensor see each other's writes; NumPy
memory given with ``from_numpy`` is shared both ways."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite.core import ShapedArray
from functorch_lite.ops import _rules
from functorch_lite.ops.kernels import codegen
from functorch_lite.stateful._storage import EXCLUSIVE, EXTERNAL, SHARED

# the PyTorch-style layer keeps PyTorch's dtypes whatever the 64-bit mode: test it in the default (off)
pytestmark = pytest.mark.usefixtures("x64_off")


def test_exclusive_tensor_writes_in_place_without_copy() -> None:
    x = fl.zeros(4)
    assert x._h.state == EXCLUSIVE
    ptr = x.data_ptr()
    y = x * 2  # lending x to the core does not make it shared
    x.add_(1)
    assert x.data_ptr() == ptr
    assert x.tolist() == [1.0] * 4 and y.tolist() == [0.0] * 4


def test_snapshot_is_immutable_and_write_copies_once() -> None:
    x = fl.tensor([1.0, 2.0, 3.0])
    a = x.array()
    assert a.storage().data_ptr() == x.data_ptr()  # the snapshot itself costs no copy
    x.mul_(10)
    assert a.tolist() == [1.0, 2.0, 3.0]
    assert x.tolist() == [10.0, 20.0, 30.0]
    ptr = x.data_ptr()
    x.add_(1)  # exclusive again after the copy: no second copy
    assert x.data_ptr() == ptr


def test_asarray_of_tensor_is_a_snapshot() -> None:
    x = fl.ones(3)
    a = jnp.asarray(x)
    b = jnp.array(x)
    x.zero_()
    assert a.tolist() == [1.0] * 3 and b.tolist() == [1.0] * 3
    assert float(jnp.sum(a)) == 3.0


def test_copy_on_write_keeps_views_together() -> None:
    base = jnp.arange(6.0)
    x = fl.as_tensor(base).view(2, 3)
    col = x[:, 1]
    row = x[1]
    col.fill_(-1.0)  # the first write copies the whole buffer under both views
    assert base.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert row.tolist() == [3.0, -1.0, 5.0]
    assert x.tolist() == [[0.0, -1.0, 2.0], [3.0, -1.0, 5.0]]
    assert col.untyped_storage().data_ptr() == row.untyped_storage().data_ptr()


def test_version_counter_is_shared_by_views() -> None:
    x = fl.zeros(2, 3)
    v = x[0]
    w = x.t()
    assert x._version == 0
    v.add_(1)
    w.mul_(2)
    x[1, 1] = 5.0
    assert x._version == v._version == w._version == 3
    y = x + 1  # out-of-place: a new counter
    assert y._version == 0
    x.detach().zero_()
    assert x._version == 4


def test_constant_cache_is_not_written() -> None:
    aval = ShapedArray((), np.dtype("float32"))
    const = _rules.full_aval(aval, 3.0)
    t = fl.as_tensor(const)
    t.add_(1.0)
    assert t.item() == 4.0
    assert const.item() == 3.0
    assert _rules.full_aval(aval, 3.0).item() == 3.0


def test_stride_zero_constant_is_copied_into_a_writable_tensor() -> None:
    aval = ShapedArray((5,), np.dtype("float32"))
    zeros = _rules.full_aval(aval, 0.0)
    assert zeros.stride() == (0,)
    t = fl.as_tensor(zeros)
    assert t.stride() == (1,)
    t[2] = 7.0
    assert zeros.tolist() == [0.0] * 5
    assert _rules.full_aval(aval, 0.0).tolist() == [0.0] * 5


def test_stride_zero_zero_gradient_is_not_written() -> None:
    a = jnp.ones(4)
    b = jnp.ones(4)
    g = fl.grad(lambda x, y: jnp.sum(x), argnums=1)(a, b)
    t = fl.as_tensor(g)
    t += 5.0
    assert g.tolist() == [0.0] * 4
    g2 = fl.grad(lambda x, y: jnp.sum(x), argnums=1)(a, b)
    assert g2.tolist() == [0.0] * 4
    assert t.tolist() == [5.0] * 4


def test_convert_element_type_alias_is_not_written() -> None:
    a = jnp.arange(4.0)
    same = a.astype(a.dtype)  # the core returns its input's storage here
    t = fl.as_tensor(same)
    t.sub_(1)
    assert a.tolist() == [0.0, 1.0, 2.0, 3.0] and same.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert t.tolist() == [-1.0, 0.0, 1.0, 2.0]


def test_result_that_aliases_its_input_is_a_new_buffer() -> None:
    x = fl.tensor([1, 2, 3])
    y = x.floor()  # integer floor: the core may hand back x's own buffer
    z = x.to(fl.int64, copy=True)
    x.add_(10)
    assert y.tolist() == [1, 2, 3] and z.tolist() == [1, 2, 3]
    y.mul_(2)
    assert x.tolist() == [11, 12, 13]


def test_jit_buffer_pool_is_not_shared_with_a_tensor() -> None:
    n = 512 * 512  # a 1 MiB float32 output: the pool's smallest size
    assert n * 4 >= codegen.POOL_MIN_BYTES
    f = fl.jit(lambda v: v * 2.0 + 1.0)
    x = jnp.ones((512, 512))
    first = f(x)
    ptr = first.storage().data_ptr()
    del first
    out = f(x)
    if out.storage().data_ptr() != ptr:
        pytest.skip("the jit buffer pool is disabled (FUNCTORCH_LITE_POOL_BYTES)")
    t = fl.as_tensor(out)
    del out  # only the tensor holds the pooled buffer now
    again = [f(x) for _ in range(3)]  # the pool must not hand out t's buffer
    assert all(r.storage().data_ptr() != t.data_ptr() for r in again)
    assert float(t.sum()) == 3.0 * n
    t.add_(1.0)
    assert all(float(jnp.sum(r)) == 3.0 * n for r in again)
    del again
    t.mul_(0.5)  # exclusive now: the pool may reuse the buffer it gave up
    assert float(jnp.sum(f(x))) == 3.0 * n
    assert float(t.sum()) == 2.0 * n


def test_jit_constant_argument_is_not_written() -> None:
    t = fl.tensor([1.0, 2.0])
    c = t.array()
    f = fl.jit(lambda v: v + c)
    g = fl.jit(lambda v: v * t)  # a captured tensor becomes a snapshot constant
    h = fl.jit(lambda v: t * v)  # the tensor defers to the tracer's operator
    r1, s1, q1 = f(jnp.zeros(2)).tolist(), g(jnp.ones(2)).tolist(), h(jnp.ones(2)).tolist()
    t.mul_(100)
    assert c.tolist() == [1.0, 2.0]
    assert f(jnp.zeros(2)).tolist() == r1 == [1.0, 2.0]
    assert g(jnp.ones(2)).tolist() == s1 == [1.0, 2.0]
    assert h(jnp.ones(2)).tolist() == q1 == [1.0, 2.0]


def test_from_numpy_shares_memory_both_ways() -> None:
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    t = fl.from_numpy(a)
    assert t.dtype == fl.float64 and t._h.state == EXTERNAL
    t[0, 0] = 100.0
    assert a[0, 0] == 100.0
    a[1, 2] = -5.0
    assert t[1, 2].item() == -5.0
    snap = t.array()  # user memory: the snapshot must be a copy
    a[0, 1] = 42.0
    assert snap.tolist()[0][1] == 1.0


def test_from_numpy_of_a_strided_array_shares_its_memory() -> None:
    base = np.arange(20, dtype=np.int32).reshape(4, 5)
    view = base[1:, ::2]
    t = fl.from_numpy(view)
    assert t.stride() == (5, 2) and t.tolist() == view.tolist()
    t.mul_(-1)
    assert base[1:, ::2].tolist() == (-np.arange(20).reshape(4, 5)[1:, ::2]).tolist()
    assert base[0].tolist() == [0, 1, 2, 3, 4] and base[1, 1] == 6


def test_from_numpy_rejects_what_it_cannot_share() -> None:
    with pytest.raises(ValueError, match="negative"):
        fl.from_numpy(np.arange(4.0)[::-1])
    with pytest.raises(ValueError, match="byte order"):
        fl.from_numpy(np.arange(4, dtype=">f4"))
    with pytest.raises(TypeError, match="not supported"):
        fl.from_numpy(np.arange(4, dtype=np.float16))
    with pytest.raises(TypeError, match="np.ndarray"):
        fl.from_numpy([1, 2])  # type: ignore[arg-type]


def test_from_numpy_read_only_copies_on_write() -> None:
    a = np.arange(3.0)
    a.flags.writeable = False
    with pytest.warns(UserWarning, match="not writable"):
        t = fl.from_numpy(a)
    assert t._h.state == SHARED
    t.add_(1)
    assert a.tolist() == [0.0, 1.0, 2.0] and t.tolist() == [1.0, 2.0, 3.0]


def test_numpy_shares_memory_and_later_snapshots_copy() -> None:
    t = fl.zeros(3)
    n = t.numpy()
    n[1] = 2.0
    assert t.tolist() == [0.0, 2.0, 0.0]
    snap = t.array()
    n[0] = 9.0
    assert snap.tolist() == [0.0, 2.0, 0.0]
    t.add_(1)
    assert n.tolist() == [10.0, 3.0, 1.0]


def test_numpy_of_shared_tensor_copies_first() -> None:
    a = jnp.arange(3.0)
    t = fl.as_tensor(a)
    n = t.numpy()
    n[0] = 7.0
    assert a.tolist() == [0.0, 1.0, 2.0] and t.tolist() == [7.0, 1.0, 2.0]


def test_op_results_are_not_exclusive() -> None:
    x = fl.ones(3)
    y = x.exp()  # a core result: it may be a cached constant, so the first write copies it
    assert y._h.state == SHARED
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y.add_(1)
    assert y._h.state == EXCLUSIVE and x.tolist() == [1.0] * 3


def test_direct_arithmetic_results_own_a_fresh_buffer() -> None:
    x = fl.ones(3)
    y = x + 0  # the ufunc's fresh output: nobody else holds it
    assert y._h.state == EXCLUSIVE and not np.shares_memory(y.numpy(), x.numpy())
    y.add_(1)
    assert x.tolist() == [1.0] * 3 and y.tolist() == [2.0] * 3


def test_jnp_array_of_a_tensor_is_a_snapshot_without_making_it_user_memory() -> None:
    import functorch_lite as fl
    import functorch_lite.numpy as jnp
    from functorch_lite.stateful._storage import EXTERNAL

    t = fl.tensor([1.0, 2.0])
    a = jnp.array(t)
    assert t._h.state != EXTERNAL  # later snapshots need no copy
    t.add_(1.0)
    assert a.tolist() == [1.0, 2.0] and t.tolist() == [2.0, 3.0]
    assert jnp.array(t, dtype="int32").tolist() == [2, 3]
