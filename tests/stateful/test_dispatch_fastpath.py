"""The recorded fast path of binary tensor ops (``_autograd.record_ufunc``:
the ufunc called directly, a node built lazily from the primitive's vjp
rules) gives exactly what the general path gives: values, layouts, grad_fn
names and edges, gradients (first and second order), hooks, retained
gradients, version-counter and freed-graph errors."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
from functorch_lite import core
from functorch_lite.stateful import _autograd

RNG = np.random.default_rng(7)

_OPS: list[tuple[str, Callable[[Any, Any], Any]]] = [
    ("add", operator.add), ("sub", operator.sub), ("mul", operator.mul),
    ("maximum", lambda a, b: a.maximum(b)), ("minimum", lambda a, b: a.minimum(b)),
    ("add_method", lambda a, b: a.add(b)), ("mul_method", lambda a, b: a.mul(b)),
]


def _general() -> Any:
    """A context in which record_ufunc declines every op (the general path runs)."""
    return pytest.MonkeyPatch.context()


def _run(build: Callable[[], Any], fast: bool) -> Any:
    if fast:
        return build()
    with _general() as mp:
        mp.setattr(_autograd, "UFUNC_BELOW", 0)
        mp.setattr(_autograd, "_UNARY_ENTRIES", dict.fromkeys(_autograd._FAST))
        return build()


def _names(node: Any) -> Iterator[str]:
    """Node names of the graph below ``node``, depth first."""
    stack = [node]
    while stack:
        n = stack.pop()
        if n is None:
            yield "None"
            continue
        yield n.name()
        stack.extend(nx for nx, _ in reversed(n.next_functions))


def _case(op: Callable[[Any, Any], Any], left: Any, right: Any, lg: bool, rg: bool, ct: np.ndarray[Any, Any],
          create_graph: bool = False) -> dict[str, Any]:
    """Forward, graph and gradients of ``op`` on fresh leaves built from the data."""
    def mk(v: Any, g: bool) -> Any:
        return fl.tensor(v, requires_grad=g) if isinstance(v, np.ndarray) else v

    a, b = mk(left, lg), mk(right, rg)
    out = op(a, b)
    res: dict[str, Any] = {
        "value": out.numpy(force=True), "dtype": out.dtype, "shape": tuple(out.shape), "stride": out.stride(),
        "requires_grad": out.requires_grad, "names": list(_names(out.grad_fn)),
    }
    (out * fl.tensor(ct)).sum().backward(create_graph=create_graph)
    for key, t in (("ga", a), ("gb", b)):
        res[key] = None if not isinstance(t, fl.Tensor) or t.grad is None else t.grad.numpy(force=True)
    if create_graph and isinstance(a, fl.Tensor) and a.grad is not None and a.grad.requires_grad:
        g = a.grad
        a.grad = None
        if isinstance(b, fl.Tensor):
            b.grad = None
        g.sum().backward()
        res["gga"] = None if a.grad is None else a.grad.numpy(force=True)
        res["ggb"] = None if not isinstance(b, fl.Tensor) or b.grad is None else b.grad.numpy(force=True)
    return res


def _same(x: dict[str, Any], y: dict[str, Any]) -> None:
    assert x.keys() == y.keys()
    for k in x:
        if isinstance(x[k], np.ndarray):
            assert x[k].dtype == y[k].dtype, k
            np.testing.assert_array_equal(x[k], y[k], err_msg=k)
        else:
            assert x[k] == y[k], k


@pytest.mark.parametrize("name,op", _OPS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (10,), (3, 4), (0,)])
def test_tensor_operands_match_the_general_path(name: str, op: Any, dtype: Any, shape: tuple[int, ...]) -> None:
    x = RNG.standard_normal(shape).astype(dtype)
    y = RNG.standard_normal(shape).astype(dtype)
    y.reshape(-1)[:1] = x.reshape(-1)[:1]  # a tie for maximum/minimum
    ct = RNG.standard_normal(shape).astype(dtype)
    for lg, rg in ((True, False), (False, True), (True, True)):
        fast = _run(lambda: _case(op, x, y, lg, rg, ct), True)
        slow = _run(lambda: _case(op, x, y, lg, rg, ct), False)
        _same(fast, slow)


@pytest.mark.parametrize("name,op", _OPS[:5])
def test_scalar_operands_and_reflected_ops_match(name: str, op: Any) -> None:
    x = RNG.standard_normal((2, 5)).astype(np.float32)
    ct = RNG.standard_normal((2, 5)).astype(np.float32)
    for s in (2.5, 3, -1.0, 0):
        for fn in ((lambda a, b: op(a, b)), (lambda a, b: op(b, a)) if name in ("add", "sub", "mul") else None):
            if fn is None:
                continue
            fast = _run(lambda: _case(fn, x, s, True, False, ct), True)
            slow = _run(lambda: _case(fn, x, s, True, False, ct), False)
            _same(fast, slow)


def test_the_fast_path_is_taken_and_declined_where_it_should_be() -> None:
    w, b = fl.ones(10, requires_grad=True), fl.ones(10)
    assert type((w * b).grad_fn) is _autograd._UfuncNode
    assert type((2.0 * w).grad_fn) is _autograd._UfuncNode
    assert (w * b).grad_fn.name() == "MulBackward0" and (w - b).grad_fn.name() == "SubBackward0"
    declined = [
        w * fl.ones(2, 10),  # broadcasting
        w * fl.ones(10, dtype=fl.float64),  # promotion
        w * np.float32(2.0),  # a NumPy scalar
        w / b,  # not one of the ufuncs
        w * True,  # a bool
        w * float("nan"),  # scalar_operand leaves nan to the general path
    ]
    for t in declined:
        assert t.grad_fn is not None and type(t.grad_fn) is not _autograd._UfuncNode
    assert type((w.double() * 2).grad_fn) is _autograd._UfuncNode
    m = fl.ones(3, 4, requires_grad=True)
    assert type((m.t() * fl.ones(4, 3).t().contiguous().t()).grad_fn) is not _autograd._UfuncNode  # F-ordered
    with fl.no_grad():
        assert (w * b).grad_fn is None
    with core.new_main(core.EvalTrace, name="demo"):
        assert _autograd.record_ufunc(fl.numpy.multiply, w, b, False) is None  # a transform is active


def test_transposed_and_large_operands_keep_the_general_results() -> None:
    x = RNG.standard_normal((3, 4)).astype(np.float32)
    ct = RNG.standard_normal((4, 3)).astype(np.float32)

    def tr(a: Any, b: Any) -> Any:
        return a.t() * b.t()

    fast = _run(lambda: _case(tr, x, x + 1, True, True, ct), True)
    _same(fast, _run(lambda: _case(tr, x, x + 1, True, True, ct), False))
    assert fast["stride"] == (1, 4)  # the operands' memory order, as NumPy and PyTorch keep it
    big = RNG.standard_normal(_autograd.UFUNC_BELOW).astype(np.float32)
    w = fl.tensor(big, requires_grad=True)
    assert type((w * 2.0).grad_fn) is not _autograd._UfuncNode


@pytest.mark.parametrize("name,op", _OPS[:5])
def test_second_derivatives_match(name: str, op: Any) -> None:
    x = RNG.standard_normal(6)
    y = RNG.standard_normal(6)
    ct = RNG.standard_normal(6)

    def sq(a: Any, b: Any) -> Any:
        return op(a * a, b)  # a nonlinear first operand: the gradient depends on a

    for lg, rg in ((True, False), (True, True)):
        fast = _run(lambda: _case(sq, x, y, lg, rg, ct, create_graph=True), True)
        slow = _run(lambda: _case(sq, x, y, lg, rg, ct, create_graph=True), False)
        _same(fast, slow)
    w = fl.tensor(x, requires_grad=True)
    (g,) = fl.autograd.grad((w * w).sum(), w, create_graph=True)
    assert g.grad_fn is not None
    np.testing.assert_allclose(g.numpy(force=True), 2 * x)


def _errors(build: Callable[[], Any]) -> tuple[str, str]:
    msgs = []
    for fast in (True, False):
        with pytest.raises((RuntimeError, ValueError)) as e:
            _run(build, fast)
        msgs.append(f"{type(e.value).__name__}: {e.value}")
    return msgs[0], msgs[1]


def test_errors_match() -> None:
    def modified() -> None:
        w, b = fl.ones(4, requires_grad=True), fl.ones(4)
        y = w * b
        b.add_(1.0)
        y.sum().backward()

    def modified_both() -> None:
        w, v = fl.ones(4, requires_grad=True), fl.ones(4, requires_grad=True)
        y = w.exp() * v.exp()
        with fl.no_grad():
            v.add_(0.0)  # v is not saved: only exp's outputs (their own nodes') are
        z = y.maximum(fl.zeros(4))
        z.sum().backward()
        y.sum().backward()  # freed

    def shapes() -> None:
        fl.ones(4, requires_grad=True) * fl.ones(3)

    def freed() -> None:
        w, b = fl.ones(4, requires_grad=True), fl.ones(4)
        y = (w * b).sum()
        y.backward()
        y.backward()

    for f in (modified, modified_both, shapes, freed):
        fast, slow = _errors(f)
        assert fast == slow


def test_add_keeps_its_graph_after_backward_and_results_written_in_place_keep_gradients() -> None:
    for fast in (True, False):
        def build() -> Any:
            w, b = fl.ones(3, requires_grad=True), fl.tensor([0.0, 2.0, 1.0])
            y = (w + b).sum()
            y.backward()
            y.backward()  # AddBackward0 saves nothing: a second pass works, as in PyTorch
            m = w.maximum(b)  # maximum's rule reads its result: a write to m must not change it
            with fl.no_grad():
                m.add_(100.0)
            m2 = w.maximum(b)
            w.grad = None
            (m.sum() + m2.sum()).backward()
            return w.grad.tolist(), m.tolist()

        got = _run(build, fast)
        if fast:
            first = got
        else:
            assert got == first


def test_hooks_retain_grad_and_next_functions_on_fast_results() -> None:
    for fast in (True, False):
        def build() -> Any:
            w, b = fl.tensor([1.0, 2.0], requires_grad=True), fl.tensor([3.0, 4.0])
            y = w * b
            y.retain_grad()
            seen: list[Any] = []
            y.register_hook(lambda g: seen.append(g.tolist()) or g * 2)
            z = y - 1.0
            z.sum().backward()
            edges = [(n.name() if n is not None else None, k) for n, k in y.grad_fn.next_functions]
            assert y.grad_fn.next_functions[0][0].variable is w
            return seen, y.grad.tolist(), w.grad.tolist(), edges, y.is_leaf, z.grad_fn.name()

        got = _run(build, fast)
        if fast:
            first = got
        else:
            assert got == first
    assert first[3] == [("AccumulateGrad", 0)]


_UNARY = ["exp", "log", "sin", "cos", "tan", "tanh", "sqrt", "neg", "expm1", "log1p"]


@pytest.mark.parametrize("name", _UNARY)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary_ops_match_the_general_path(name: str, dtype: Any) -> None:
    x = RNG.uniform(-0.9, 2.0, (3, 4)).astype(dtype)
    x[0, 0] = -0.5  # log/sqrt of a negative: nan, quietly, on both paths
    ct = RNG.standard_normal((3, 4)).astype(dtype)
    ct_t = np.ascontiguousarray(ct.T)

    def op(a: Any, b: Any) -> Any:
        return getattr(a, name)()

    def op_t(a: Any, b: Any) -> Any:
        return getattr(a.t(), name)()  # a transposed operand: the result keeps its memory order

    for f, c in ((op, ct), (op_t, ct_t)):
        fast = _run(lambda: _case(f, x, 0.0, True, False, c), True)
        slow = _run(lambda: _case(f, x, 0.0, True, False, c), False)
        _same(fast, slow)
    w = fl.tensor(x, requires_grad=True)
    assert type(getattr(w, name)().grad_fn) is _autograd._UfuncNode
    assert _run(lambda: type(getattr(w, name)().grad_fn), False) is not _autograd._UfuncNode

    def second() -> Any:
        w = fl.tensor(x, requires_grad=True)
        (g,) = fl.autograd.grad(getattr(w, name)().sum(), w, create_graph=True)
        (gg,) = fl.autograd.grad(g.sum(), w)
        return g.numpy(force=True), g.grad_fn.name(), gg.numpy(force=True)

    got, want = _run(second, True), _run(second, False)
    np.testing.assert_array_equal(got[0], want[0])
    assert got[1] == want[1]
    np.testing.assert_array_equal(got[2], want[2])


def test_unary_saved_input_written_in_place_raises() -> None:
    w = fl.ones(3, requires_grad=True)
    y = w * 1.0
    z = y.exp()
    with fl.no_grad():
        y.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()
    w = fl.ones(3, requires_grad=True)
    y = w * 1.0
    z = -y  # neg reads no value: a later write is harmless
    with fl.no_grad():
        y.mul_(2.0)
    z.sum().backward()
    assert w.grad.tolist() == [-1.0, -1.0, -1.0]


@pytest.mark.parametrize("name,op", _OPS)
def test_unrecorded_tensor_operands_match(name: str, op: Any) -> None:
    x = RNG.standard_normal((3, 4)).astype(np.float32)
    y = RNG.standard_normal((3, 4)).astype(np.float32)
    for b in (fl.tensor(y), fl.tensor(y[0]), fl.tensor(y, dtype=fl.float64), fl.tensor(y > 0)):
        a = fl.tensor(x)
        out = op(a, b)
        ref = op(fl.tensor(x).double(), b.double())
        assert out.grad_fn is None and out.dtype == (fl.float64 if b.dtype == fl.float64 else fl.float32)
        np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6)
        np.testing.assert_array_equal(out.numpy(), op(a.t().t(), b).numpy())
    i = fl.tensor([1, 2, 3])
    assert op(i, i).dtype == fl.int64 and op(i, i).tolist() == op(i.double(), i.double()).long().tolist()


@pytest.mark.parametrize("name,op", _OPS[:3])
def test_second_derivatives_through_number_operands_match(name: str, op: Any) -> None:
    x = RNG.standard_normal(5)
    ct = RNG.standard_normal(5)
    for s in (1.5, 2):
        for f in ((lambda a, b: op(a * a, b)), (lambda a, b: op(b, a * a))):
            fast = _run(lambda: _case(f, x, s, True, False, ct, create_graph=True), True)
            slow = _run(lambda: _case(f, x, s, True, False, ct, create_graph=True), False)
            assert "gga" in fast
            _same(fast, slow)
