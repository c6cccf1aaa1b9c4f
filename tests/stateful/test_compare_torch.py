"""The PyTorch-style layer against PyTorch itself (the ``compare`` extra:
skipped where torch is not installed): views and strides, dtype promotion,
reductions, errors, autograd, losses, BatchNorm, optimizers, reprs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
from functorch_lite import nn as fnn
from functorch_lite import optim as foptim

torch = pytest.importorskip("torch")
# one thread: PyTorch's spinning OpenMP pool would otherwise slow every later test on 2 cores
torch.set_num_threads(1)

A = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)


def _raises(f: Callable[[], Any]) -> str:
    try:
        f()
    except Exception as e:  # noqa: BLE001 - the class name is what is compared
        return type(e).__name__
    return "no error"


def _dt(t: Any) -> str:
    return str(t.dtype).split(".")[-1]


def _grad_of(m: Any, x: Any) -> list[float]:
    w = x.clone().requires_grad_()
    (w * w).sum().backward()
    return [round(v, 4) for v in w.grad.flatten().tolist()]


def _accumulated(m: Any, x: Any) -> float:
    w = x.clone().requires_grad_()
    w.sum().backward()
    (w.sum() * 2).backward()
    return float(w.grad[0, 0].item())


def _setitem(m: Any, x: Any) -> list[float]:
    y = x.clone()
    y[:, 0] = 7.0
    return [float(v) for v in y[:, 0].tolist()]


CHECKS: dict[str, Callable[[Any, Any], Any]] = {
    "t().stride": lambda m, x: tuple(x.t().stride()),
    "narrow offset": lambda m, x: x.narrow(1, 1, 2).storage_offset(),
    "expand stride": lambda m, x: tuple(x[:, :1].expand(3, 5).stride()),
    "sum keepdim": lambda m, x: tuple(x.sum(dim=1, keepdim=True).shape),
    "max dim": lambda m, x: [v.tolist() for v in x.max(dim=0)],
    "std": lambda m, x: round(float(x.std()), 5),
    "var correction=0": lambda m, x: round(float(x.var(correction=0)), 5),
    "int / int": lambda m, x: _dt(m.tensor([1, 2]) / 2),
    "int + float scalar": lambda m, x: _dt(m.tensor([1, 2]) + 1.5),
    "bool sum": lambda m, x: _dt(m.tensor([True, False]).sum()),
    "chunk": lambda m, x: [c.shape[1] for c in x.chunk(3, dim=1)],
    "split": lambda m, x: [c.shape[1] for c in x.split([1, 3], dim=1)],
    "view(-1, 2)": lambda m, x: tuple(x.view(-1, 2).shape),
    "t().is_contiguous": lambda m, x: x.t().is_contiguous(),
    "contiguous stride": lambda m, x: tuple(x.t().contiguous().stride()),
    "index list": lambda m, x: tuple(x[[0, 2]].shape),
    "setitem column": _setitem,
    "arange dtype": lambda m, x: _dt(m.arange(5)),
    "full int dtype": lambda m, x: _dt(m.full((2,), 3)),
    "linspace": lambda m, x: [round(v, 6) for v in m.linspace(0, 1, 5).tolist()],
    "grad of sum(w*w)": _grad_of,
    "grad accumulates": _accumulated,
    "grad_fn name": lambda m, x: (x.clone().requires_grad_() * 2).grad_fn.name(),
    "mean of ints raises": lambda m, x: _raises(lambda: m.tensor([1, 2]).mean()),
    "view of non-contiguous raises": lambda m, x: _raises(lambda: x.t().view(-1)),
    "in-place on a leaf raises": lambda m, x: _raises(lambda: m.ones(2, requires_grad=True).add_(1)),
}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_tensor_semantics_match_pytorch(name: str, x64_off: None) -> None:
    f = CHECKS[name]
    assert f(fl, fl.tensor(A)) == f(torch, torch.tensor(A))


@pytest.mark.parametrize("kw", [{}, {"label_smoothing": 0.1}, {"ignore_index": -100},
                                {"reduction": "sum", "ignore_index": -100, "label_smoothing": 0.2}])
def test_cross_entropy_matches_pytorch(kw: dict[str, Any]) -> None:
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((6, 5)).astype(np.float32)
    y = np.array([0, 4, 2, -100, 1, 3]) if "ignore_index" in kw else np.array([0, 4, 2, 3, 1, 3])
    want = torch.nn.CrossEntropyLoss(**kw)(torch.tensor(logits), torch.tensor(y))
    got = fnn.CrossEntropyLoss(**kw)(fl.tensor(logits), fl.tensor(y))
    assert float(got) == pytest.approx(float(want), rel=1e-6)


def test_batchnorm_and_linear_match_pytorch() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((8, 3)).astype(np.float32)
    tb, fb = torch.nn.BatchNorm1d(3), fnn.BatchNorm1d(3)
    for _ in range(3):
        to, fo = tb(torch.tensor(x)), fb(fl.tensor(x))
    np.testing.assert_allclose(fo.detach().numpy(), to.detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(fb.running_var.numpy(), tb.running_var.numpy(), rtol=1e-6)
    tb.eval()
    fb.eval()
    np.testing.assert_allclose(fb(fl.tensor(x)).detach().numpy(), tb(torch.tensor(x)).detach().numpy(), atol=1e-6)
    w, b = rng.standard_normal((2, 3)).astype(np.float32), rng.standard_normal(2).astype(np.float32)
    tl, flin = torch.nn.Linear(3, 2), fnn.Linear(3, 2)
    tl.load_state_dict({"weight": torch.tensor(w), "bias": torch.tensor(b)})
    flin.load_state_dict({"weight": fl.tensor(w), "bias": fl.tensor(b)})
    xin, tgt = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((4, 2)).astype(np.float32)
    torch.nn.functional.mse_loss(tl(torch.tensor(xin)), torch.tensor(tgt)).backward()
    fnn.functional.mse_loss(flin(fl.tensor(xin)), fl.tensor(tgt)).backward()
    np.testing.assert_allclose(flin.weight.grad.numpy(), tl.weight.grad.numpy(), atol=1e-6)
    assert repr(flin) == repr(tl)
    assert repr(fnn.Sequential(fnn.Linear(1, 1), fnn.Tanh())) == repr(torch.nn.Sequential(torch.nn.Linear(1, 1),
                                                                                         torch.nn.Tanh()))


@pytest.mark.parametrize("name,kw", [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.1, "momentum": 0.5, "dampening": 0.3, "maximize": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.01, "amsgrad": True}),
    ("AdamW", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
    ("Adagrad", {"lr": 0.1}),
])
def test_optimizers_step_as_pytorch(name: str, kw: dict[str, Any]) -> None:
    w0 = np.random.default_rng(3).standard_normal(4).astype(np.float32)
    tw, fw = torch.tensor(w0, requires_grad=True), fl.tensor(w0, requires_grad=True)
    topt, fopt = getattr(torch.optim, name)([tw], **kw), getattr(foptim, name)([fw], **kw)
    for i in range(50):
        g = np.sin(np.arange(4) + i).astype(np.float32)
        tw.grad, fw.grad = torch.tensor(g), fl.tensor(g)
        topt.step()
        fopt.step()
    np.testing.assert_allclose(fw.detach().numpy(), tw.detach().numpy(), rtol=2e-5, atol=1e-6)
