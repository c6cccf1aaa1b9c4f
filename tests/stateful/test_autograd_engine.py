"""The tape's behaviour as PyTorch's: accumulation into ``.grad``, zeroing,
leaf rules, PyTorch's errors (freed graph, in-place on saved values,
non-scalar outputs, leaves written in place), hooks, ``retain_grad``,
``autograd.grad`` (with ``create_graph`` second derivatives),
``autograd.Function``, in-place ops on recorded tensors and a 10,000-op
chain.  Values against NumPy."""

from __future__ import annotations

import gc
import threading
import warnings
import weakref
from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
from functorch_lite import autograd
from functorch_lite.stateful import _autograd


def leaf(values: Any, dtype: Any = fl.float64) -> Any:
    return fl.tensor(values, dtype=dtype, requires_grad=True)


# accumulation and zeroing ----------------------------------------------------------------
def test_first_backward_stores_later_ones_accumulate_into_the_same_object() -> None:
    w = leaf([1.0, -2.0, 3.0])
    x = np.array([0.5, 1.5, -1.0])
    (w * fl.tensor(x)).sum().backward()
    g = w.grad
    np.testing.assert_array_equal(g.numpy(), x)
    (w * w).sum().backward()
    assert w.grad is g, "the second backward must accumulate into the same tensor"
    np.testing.assert_array_equal(g.numpy(), x + 2 * np.array([1.0, -2.0, 3.0]))
    assert g.grad_fn is None and not g.requires_grad


def test_zero_and_set_to_none() -> None:
    w = leaf([1.0, 2.0])
    (w * 3).sum().backward()
    g = w.grad
    g.zero_()
    (w * 3).sum().backward()
    assert w.grad is g and w.grad.tolist() == [3.0, 3.0]
    w.grad = None
    (w * w).sum().backward()
    assert w.grad is not g and w.grad.tolist() == [2.0, 4.0]


def test_accumulated_grad_never_writes_into_values_the_graph_or_user_hold() -> None:
    w = leaf([1.0, 2.0])
    y = w * 1.0
    gy = fl.tensor([1.0, 1.0], dtype=fl.float64)
    y.backward(gy)
    (w * 1.0).backward(gy)
    assert gy.tolist() == [1.0, 1.0], "the user's gradient tensor must not be written"
    assert w.grad.tolist() == [2.0, 2.0]
    w2 = leaf([1.0, 2.0])
    w2.backward(gy)  # a leaf as the root: its grad is a copy of gy
    w2.grad.add_(1.0)
    assert gy.tolist() == [1.0, 1.0]


def test_shared_subexpressions_and_fan_out_sum_their_gradients() -> None:
    x = leaf([0.5, -1.0])
    a = x * 2
    y = (a * a + a.exp() + x).sum()
    y.backward()
    xv = np.array([0.5, -1.0])
    np.testing.assert_allclose(x.grad.numpy(), 8 * xv + 2 * np.exp(2 * xv) + 1, rtol=1e-14)


def test_several_roots_with_autograd_backward() -> None:
    x = leaf([1.0, 2.0])
    autograd.backward([(x * x).sum(), x.sum() * 3])
    assert x.grad.tolist() == [5.0, 7.0]


# leaves ----------------------------------------------------------------------------------------
def test_leaf_rules() -> None:
    w = leaf([1.0])
    y = w * 2
    assert w.is_leaf and not y.is_leaf and fl.tensor([1.0]).is_leaf
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
        y.requires_grad = False
    with pytest.raises(RuntimeError, match="floating point"):
        fl.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad.*in-place.*no_grad"):
        w.add_(1)
    with fl.no_grad():
        w.add_(1)  # the optimizer's update
    assert w.tolist() == [2.0] and w.is_leaf and w.requires_grad


def test_grad_of_a_non_leaf_warns_and_is_none() -> None:
    w = leaf([1.0])
    y = w * 2
    y.sum().backward()
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert y.grad is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert w.grad is not None


def test_retain_grad_keeps_a_non_leaf_gradient() -> None:
    w = leaf([1.0, 2.0])
    y = w * 3
    y.retain_grad()
    assert y.retains_grad and not w.retains_grad
    (y * y).sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert y.grad.tolist() == [6.0, 12.0]
    assert w.grad.tolist() == [18.0, 36.0]


def test_detach_and_detach_() -> None:
    w = leaf([1.0, 2.0])
    y = w * 2
    d = y.detach()
    assert d.is_leaf and not d.requires_grad
    (d * w).sum().backward()
    assert w.grad.tolist() == [2.0, 4.0]  # no gradient flows through d
    y.detach_()
    assert y.is_leaf and not y.requires_grad and y.grad_fn is None


# PyTorch's errors -----------------------------------------------------------------------------
def test_backward_twice_through_a_freed_graph_raises_and_retain_graph_allows_it() -> None:
    w = leaf([1.0, 2.0])
    y = (w * w).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert w.grad.tolist() == [4.0, 8.0]
    with pytest.raises(RuntimeError, match="backward through the graph a second time.*retain_graph=True"):
        y.backward()


def test_a_graph_that_saves_nothing_can_run_twice_as_in_pytorch() -> None:
    w = leaf([1.0, 2.0])
    y = (w * 2 + 1).sum()
    y.backward()
    y.backward()
    assert w.grad.tolist() == [4.0, 4.0]


def test_saved_tensor_modified_in_place_raises() -> None:
    w = leaf([1.0, 2.0])
    h = w * 1
    y = (h * h).sum()  # saves h
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*version 1; expected version 0"):
        y.backward()


def test_version_counter_is_shared_by_views() -> None:
    w = leaf([[1.0, 2.0], [3.0, 4.0]])
    x = fl.ones(2, 2, dtype=fl.float64)
    y = (w * x).sum()  # saves x (w requires grad)
    x[0].mul_(2)  # written through a view
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_in_place_on_values_the_pullback_does_not_need_is_allowed() -> None:
    w = leaf([1.0, 2.0])
    h = w * 1
    y = (h * 2).sum()  # needs no value of h, as PyTorch's MulBackward0 with a number
    h.add_(1)
    z = (h + 5).sum()
    y.backward()
    z.backward()
    assert w.grad.tolist() == [3.0, 3.0]
    x = fl.ones(2, dtype=fl.float64)
    u = (w + x).sum()
    x.add_(1)  # add needs neither value
    u.backward()
    assert w.grad.tolist() == [4.0, 4.0]


def test_optimizer_update_between_forward_and_backward_raises() -> None:
    w = leaf([1.0, 2.0])
    x = leaf([3.0, 4.0])
    y = (w * x).sum()
    with fl.no_grad():
        w.sub_(0.1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_non_scalar_backward_needs_a_gradient() -> None:
    w = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (w * 2).backward()
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (w * 2).backward(fl.ones(3, dtype=fl.float64))
    (w * 2).backward(fl.tensor([1.0, 0.5], dtype=fl.float64))
    assert w.grad.tolist() == [2.0, 1.0]


def test_backward_of_a_tensor_without_grad_raises() -> None:
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        fl.tensor([1.0]).sum().backward()


# in-place ops on recorded tensors ------------------------------------------------------------
def test_in_place_ops_on_non_leaves_are_recorded() -> None:
    w = leaf([0.5, -1.0, 2.0])
    h = w * 3
    h.mul_(h)  # (3w)^2
    h.relu_()
    h.add_(w, alpha=2)
    h.sum().backward()
    wv = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(w.grad.numpy(), 18 * wv + 2, rtol=1e-14)


def test_setitem_and_masked_fill_record_the_new_value() -> None:
    w = leaf([1.0, -2.0, 3.0])
    h = w * 2
    h[1] = 0.0
    h[fl.tensor([0])] = w[2:] * 5
    assert h.tolist() == [15.0, 0.0, 6.0]
    h.masked_fill_(h > 10, 1.0)
    assert h.tolist() == [1.0, 0.0, 6.0]
    h.sum().backward()
    # h[0] was filled, h[1] set to a number: only h[2] = 2 * w[2] depends on w
    assert w.grad.tolist() == [0.0, 0.0, 2.0]
    v = leaf([1.0, 2.0])
    buf = fl.zeros(3, dtype=fl.float64)
    buf[fl.tensor([0, 2])] = v * v
    buf.sum().backward()
    assert buf.requires_grad and v.grad.tolist() == [2.0, 4.0]


def test_in_place_write_into_a_view_updates_the_base_graph() -> None:
    wv = np.array([1.0, 2.0, 3.0, 4.0])
    w = leaf(wv)
    h = w * 2
    v = h[1:3]
    v.mul_(w[:2])  # h = [2 w0, 2 w1 w0, 2 w2 w1, 2 w3]
    assert h.grad_fn.name() == "CopySlices" and v.tolist() == [4.0, 12.0]
    c = np.array([1.0, 10.0, 100.0, 1000.0])
    (h * fl.tensor(c)).sum().backward()
    want = [2 * c[0] + 2 * wv[1] * c[1], 2 * wv[0] * c[1] + 2 * wv[2] * c[2], 2 * wv[1] * c[2], 2 * c[3]]
    np.testing.assert_allclose(w.grad.numpy(), want, rtol=1e-14)
    w.grad = None
    h = w * 2
    v = h[1:3]
    v.mul_(3)
    (v * v).sum().backward()  # the view's own graph follows the write
    np.testing.assert_allclose(w.grad.numpy(), [0.0, 2 * 6 * wv[1] * 6, 2 * 6 * wv[2] * 6, 0.0], rtol=1e-14)


def test_writes_into_transposed_and_nested_views_while_recording() -> None:
    a = np.arange(6.0).reshape(2, 3) + 1
    w = leaf(a)
    h = w * 1
    h.t()[1].zero_()  # column 1 of h
    h[0][2] = w[1, 0] * 5  # a view of a view
    want_h = a.copy()
    want_h[:, 1] = 0
    want_h[0, 2] = 5 * a[1, 0]
    assert h.tolist() == want_h.tolist()
    h.sum().backward()
    want = np.ones((2, 3))
    want[:, 1] = 0
    want[0, 2] = 0
    want[1, 0] += 5
    np.testing.assert_array_equal(w.grad.numpy(), want)


def test_in_place_into_a_view_of_a_leaf_raises() -> None:
    w = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="view of a leaf Variable that requires grad.*no_grad"):
        w[0:1].mul_(3)
    with fl.no_grad():
        w[0:1].mul_(3)
    assert w.tolist() == [3.0, 2.0]


# hooks ------------------------------------------------------------------------------------------
def test_hooks_see_the_gradient_and_may_replace_it() -> None:
    w = leaf([1.0, 2.0])
    seen: list[list[float]] = []
    handle = w.register_hook(lambda g: seen.append(g.tolist()))
    y = w * 3
    y.register_hook(lambda g: g * 10)
    (y * y).sum().backward()
    # dL/dy = 2y = [6, 12], times 10 by y's hook, times dy/dw = 3
    assert seen == [[180.0, 360.0]] and w.grad.tolist() == [180.0, 360.0]
    handle.remove()
    w.grad = None
    (w * 1).sum().backward()
    assert len(seen) == 1 and w.grad.tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        fl.ones(1).register_hook(lambda g: g)


# autograd.grad and higher order -------------------------------------------------------------
def test_autograd_grad_returns_without_accumulating() -> None:
    x = leaf([1.0, 2.0])
    y = leaf([3.0])
    z = (x * x).sum() * y
    gx, gy = autograd.grad(z, [x, y])
    assert gx.tolist() == [6.0, 12.0] and gy.tolist() == [5.0]
    assert x.grad is None and y.grad is None


def test_autograd_grad_unused_and_grad_outputs() -> None:
    x = leaf([1.0, 2.0])
    u = leaf([1.0])
    y = x * 2
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph.*allow_unused=True"):
        autograd.grad(y.sum(), [x, u], retain_graph=True)
    gx, gu = autograd.grad(y, [x, u], grad_outputs=fl.tensor([1.0, 3.0], dtype=fl.float64), allow_unused=True)
    assert gx.tolist() == [2.0, 6.0] and gu is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        autograd.grad((x * 2).sum(), fl.ones(2))


def test_grad_with_respect_to_a_non_leaf() -> None:
    x = leaf([1.0, 2.0])
    h = x * 3
    (gh,) = autograd.grad((h * h).sum(), h)
    assert gh.tolist() == [6.0, 12.0]


def test_create_graph_gives_second_and_third_derivatives() -> None:
    xv = np.array([0.3, -0.7, 1.1])
    x = leaf(xv)
    y = (x.sin() * x ** 2).sum()
    (g,) = autograd.grad(y, x, create_graph=True)
    np.testing.assert_allclose(g.numpy(force=True), np.cos(xv) * xv ** 2 + 2 * xv * np.sin(xv), rtol=1e-14)
    assert g.requires_grad and g.grad_fn is not None
    (h,) = autograd.grad(g.sum(), x, create_graph=True)
    want2 = -np.sin(xv) * xv ** 2 + 4 * xv * np.cos(xv) + 2 * np.sin(xv)
    np.testing.assert_allclose(h.numpy(force=True), want2, rtol=1e-13)
    (h3,) = autograd.grad(h.sum(), x)
    want3 = -np.cos(xv) * xv ** 2 - 6 * xv * np.sin(xv) + 6 * np.cos(xv)
    np.testing.assert_allclose(h3.numpy(), want3, rtol=1e-12)


def test_backward_with_create_graph_then_backward_of_the_gradient() -> None:
    x = leaf([2.0])
    (x ** 3).sum().backward(create_graph=True)
    g = x.grad
    assert g.tolist() == [12.0] and g.requires_grad
    x.grad = None
    g.sum().backward()
    assert x.grad.tolist() == [12.0]  # d/dx 3x^2


def test_hessian_vector_product_of_a_matmul_loss() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 3))
    w = leaf(rng.normal(size=3))
    loss = ((fl.tensor(a) @ w) ** 2).sum()
    (g,) = autograd.grad(loss, w, create_graph=True)
    v = rng.normal(size=3)
    (hv,) = autograd.grad((g * fl.tensor(v)).sum(), w)
    np.testing.assert_allclose(hv.numpy(), 2 * a.T @ a @ v, rtol=1e-12)


# autograd.Function --------------------------------------------------------------------------------
class Cube(autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: Any, scale: float) -> Any:
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x ** 3 * scale

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        (x,) = ctx.saved_tensors
        return 3 * x ** 2 * ctx.scale * g, None


def test_function_forward_backward_and_errors() -> None:
    x = leaf([1.0, 2.0])
    y = Cube.apply(x, 2.0)
    assert y.grad_fn.name() == "CubeBackward" and y.requires_grad
    (y * fl.tensor([1.0, 0.5], dtype=fl.float64)).sum().backward()
    assert x.grad.tolist() == [6.0, 12.0]
    with pytest.raises(RuntimeError, match="second time"):
        y.sum().backward()
    x2 = leaf([1.0, 2.0])
    h = x2 * 1
    y2 = Cube.apply(h, 1.0)
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y2.sum().backward()
    assert not Cube.apply(fl.tensor([1.0]), 1.0).requires_grad


def test_function_with_create_graph() -> None:
    x = leaf([2.0])
    (g,) = autograd.grad(Cube.apply(x, 1.0).sum(), x, create_graph=True)
    (h,) = autograd.grad(g.sum(), x)
    assert g.tolist() == [12.0] and h.tolist() == [12.0]


# the engine ------------------------------------------------------------------------------------
def test_ten_thousand_op_chain_needs_no_recursion() -> None:
    x = leaf([1.0])
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001 ** 10_000], rtol=1e-10)


def test_saved_values_are_freed_after_backward() -> None:
    x = leaf(np.ones(8))
    big = x * 2
    ref = weakref.ref(big)
    y = (big * big).sum()
    del big
    gc.collect()
    assert ref() is not None  # held by the graph as a saved input
    y.backward()
    gc.collect()
    assert ref() is None, "backward without retain_graph must free the saved tensors"


def test_grad_mode_is_per_thread() -> None:
    w = leaf([1.0])
    out: list[Any] = []

    def other() -> None:
        out.append((w * 2).requires_grad)

    with fl.no_grad():
        t = threading.Thread(target=other)
        t.start()
        t.join()
        assert not (w * 2).requires_grad
    assert out == [True]


def test_backward_inputs_accumulates_only_into_the_given_tensors() -> None:
    x = leaf([1.0, 2.0])
    y = leaf([3.0])
    ((x * x).sum() * y).backward(inputs=[x])
    assert x.grad.tolist() == [6.0, 12.0] and y.grad is None


def test_index_tensor_written_after_the_gather_keeps_the_gradient_positions() -> None:
    w = leaf([1.0, 2.0, 3.0])
    i = fl.tensor([2, 0])
    y = w[i]
    i[0] = 1
    (y * fl.tensor([1.0, 10.0], dtype=fl.float64)).sum().backward()
    assert w.grad.tolist() == [10.0, 0.0, 1.0]


def test_large_operands_are_traced_at_once_and_give_the_same_gradients() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(size=(70, 70))
    grads = []
    for defer in (0, 10**9):  # every op traced in the forward pass / every op deferred to backward
        old = _autograd.DEFER_BELOW
        _autograd.DEFER_BELOW = defer
        try:
            w = leaf(a)
            ((w.t() @ w).tanh()[::2].sum(0) * w[0]).mean().backward()
            grads.append(w.grad.numpy())
        finally:
            _autograd.DEFER_BELOW = old
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-13, atol=1e-15)


def test_backward_leaves_grad_mode_as_it_was() -> None:
    w = leaf([1.0])
    (w * 2).sum().backward()
    assert fl.is_grad_enabled()
    with fl.no_grad():
        y = leaf([2.0])
        with fl.enable_grad():
            z = (y * y).sum()
        z.backward(create_graph=True)
        assert not fl.is_grad_enabled()
    assert fl.is_grad_enabled() and y.grad.tolist() == [4.0]


class SplitScale(autograd.Function):
    """Two outputs: backward receives both gradients (zeros for an unused one)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return x * 2, x * 3

    @staticmethod
    def backward(ctx: Any, ga: Any, gb: Any) -> Any:
        return ga * 2 + gb * 3


def test_function_with_two_outputs() -> None:
    x = leaf([1.0, 2.0])
    a, b = SplitScale.apply(x)
    assert a.tolist() == [2.0, 4.0] and b.tolist() == [3.0, 6.0]
    (a.sum() + (b * b).sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 + 3 * 2 * np.array([3.0, 6.0]))
    x.grad = None
    a2, _ = SplitScale.apply(x)
    a2.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_data_is_an_unrecorded_view_and_can_be_replaced() -> None:
    w = leaf([1.0, 2.0])
    (w * w).sum().backward()
    w.data -= 0.5 * w.grad.data  # the pre-no_grad style of update
    assert w.tolist() == [0.0, 0.0] and w.is_leaf and w.requires_grad
    assert not w.data.requires_grad
    w.data = fl.tensor([5.0, 6.0, 7.0], dtype=fl.float64)
    assert w.shape == (3,) and w.requires_grad
    w.grad = None
    (w * 2).sum().backward()
    assert w.grad.tolist() == [2.0, 2.0, 2.0]


def test_hook_returning_a_users_tensor_never_has_it_written() -> None:
    fixed = fl.tensor([1.0, 1.0], dtype=fl.float64)
    w = leaf([3.0, 4.0])
    w.register_hook(lambda g: fixed)
    (w * 2).sum().backward()
    (w * 2).sum().backward()
    assert w.grad.tolist() == [2.0, 2.0] and fixed.tolist() == [1.0, 1.0]
    w.grad.zero_()
    assert fixed.tolist() == [1.0, 1.0]


def test_retained_and_leaf_grads_do_not_alias_each_other() -> None:
    w = leaf([1.0, 2.0])
    y = w + 0.0  # add's pullback hands the same cotangent on
    y.retain_grad()
    y.sum().backward()
    w.grad.add_(10.0)
    assert y.grad.tolist() == [1.0, 1.0] and w.grad.tolist() == [11.0, 11.0]
    y.grad.zero_()
    assert w.grad.tolist() == [11.0, 11.0]
