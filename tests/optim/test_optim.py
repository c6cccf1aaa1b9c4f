"""PyTorch-style ``optim``: each optimizer step by step against a NumPy
implementation of PyTorch's algorithm (100 steps of fixed synthetic
gradients assigned to ``.grad`` by hand), parameter groups, state dicts,
closures, errors, and the learning-rate schedulers' sequences."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
from functorch_lite import nn, optim

STEPS = 100
SHAPES = [(3,), (2, 2)]
LRS = [1.0, 0.5]  # the second group's lr is a multiple of the first's


def _grads(npdt: Any) -> list[list[Any]]:
    rng = np.random.default_rng(7)
    return [[rng.normal(size=s).astype(npdt) for s in SHAPES] for _ in range(STEPS)]


def _init(npdt: Any) -> list[Any]:
    rng = np.random.default_rng(8)
    return [rng.normal(size=s).astype(npdt) for s in SHAPES]


# NumPy implementations of PyTorch's algorithms (per parameter; ``st`` is its state) ---------------
def _np_sgd(p: Any, g: Any, st: dict[str, Any], lr: float, momentum: float = 0, dampening: float = 0,
            weight_decay: float = 0, nesterov: bool = False, maximize: bool = False) -> Any:
    g = -g if maximize else g
    g = g + weight_decay * p
    if momentum:
        st["b"] = g.copy() if "b" not in st else momentum * st["b"] + (1 - dampening) * g
        g = g + momentum * st["b"] if nesterov else st["b"]
    return p - lr * g


def _np_adam(p: Any, g: Any, st: dict[str, Any], lr: float, betas: tuple[float, float] = (0.9, 0.999),
             eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, maximize: bool = False,
             decoupled: bool = False) -> Any:
    b1, b2 = betas
    st["t"] = t = st.get("t", 0) + 1
    g = -g if maximize else g
    if decoupled:
        p = p * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * p
    st["m"] = b1 * st.get("m", 0 * p) + (1 - b1) * g
    st["v"] = b2 * st.get("v", 0 * p) + (1 - b2) * g * g
    v = st["v"]
    if amsgrad:
        st["vmax"] = v = np.maximum(st.get("vmax", 0 * p), v)
    m_hat = st["m"] / (1 - b1**t)
    return p - lr * m_hat / (np.sqrt(v) / math.sqrt(1 - b2**t) + eps)


def _np_adamw(p: Any, g: Any, st: dict[str, Any], lr: float, weight_decay: float = 1e-2, **kw: Any) -> Any:
    return _np_adam(p, g, st, lr, weight_decay=weight_decay, decoupled=True, **kw)


def _np_rmsprop(p: Any, g: Any, st: dict[str, Any], lr: float, alpha: float = 0.99, eps: float = 1e-8,
                weight_decay: float = 0, momentum: float = 0, centered: bool = False, maximize: bool = False) -> Any:
    g = -g if maximize else g
    g = g + weight_decay * p
    st["v"] = alpha * st.get("v", 0 * p) + (1 - alpha) * g * g
    v = st["v"]
    if centered:
        st["a"] = alpha * st.get("a", 0 * p) + (1 - alpha) * g
        v = v - st["a"] ** 2
    d = np.sqrt(v) + eps
    if momentum > 0:
        st["b"] = momentum * st.get("b", 0 * p) + g / d
        return p - lr * st["b"]
    return p - lr * g / d


def _np_adagrad(p: Any, g: Any, st: dict[str, Any], lr: float, lr_decay: float = 0, weight_decay: float = 0,
                initial_accumulator_value: float = 0, eps: float = 1e-10, maximize: bool = False) -> Any:
    st["t"] = t = st.get("t", 0) + 1
    g = -g if maximize else g
    g = g + weight_decay * p
    clr = lr / (1 + (t - 1) * lr_decay)
    st["s"] = st.get("s", np.full_like(p, initial_accumulator_value)) + g * g
    return p - clr * g / (np.sqrt(st["s"]) + eps)


CASES = [
    (optim.SGD, _np_sgd, {"lr": 0.05}),
    (optim.SGD, _np_sgd, {"lr": 0.05, "momentum": 0.9}),
    (optim.SGD, _np_sgd, {"lr": 0.05, "momentum": 0.9, "dampening": 0.5, "weight_decay": 0.01}),
    (optim.SGD, _np_sgd, {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
    (optim.SGD, _np_sgd, {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1, "maximize": True}),
    (optim.Adam, _np_adam, {"lr": 0.01}),
    (optim.Adam, _np_adam, {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1, "amsgrad": True}),
    (optim.Adam, _np_adam, {"lr": 0.01, "eps": 1e-3, "maximize": True}),
    (optim.AdamW, lambda *a, **k: _np_adamw(*a, **k), {"lr": 0.01, "weight_decay": 0.1}),
    (optim.AdamW, lambda *a, **k: _np_adamw(*a, **k), {"lr": 0.01, "amsgrad": True}),  # default decay 1e-2
    (optim.RMSprop, _np_rmsprop, {"lr": 0.01}),
    (optim.RMSprop, _np_rmsprop, {"lr": 0.01, "alpha": 0.9, "centered": True}),
    (optim.RMSprop, _np_rmsprop, {"lr": 0.01, "momentum": 0.5, "centered": True, "weight_decay": 0.1}),
    (optim.RMSprop, _np_rmsprop, {"lr": 0.01, "eps": 1e-4, "momentum": 0.3, "maximize": True}),
    (optim.Adagrad, _np_adagrad, {"lr": 0.1}),
    (optim.Adagrad, _np_adagrad, {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1,
                                  "initial_accumulator_value": 0.1, "eps": 1e-6, "maximize": True}),
]


@pytest.mark.parametrize("dt,npdt,rtol", [(fl.float32, np.float32, 2e-5), (fl.float64, np.float64, 1e-11)])
@pytest.mark.parametrize("cls,ref,kw", CASES, ids=[f"{c.__name__}-{i}" for i, (c, _, _) in enumerate(CASES)])
def test_steps_match_pytorch_algorithm(cls: Any, ref: Any, kw: dict[str, Any], dt: Any, npdt: Any,
                                       rtol: float) -> None:
    init, grads = _init(npdt), _grads(npdt)
    params = [nn.Parameter(fl.tensor(a, dtype=dt)) for a in init]
    lr = kw["lr"]
    opt = cls([{"params": [params[0]]}, {"params": [params[1]], "lr": lr * LRS[1]}], **kw)
    expect = [a.copy() for a in init]
    states: list[dict[str, Any]] = [{}, {}]
    for step in range(STEPS):
        for p, g in zip(params, grads[step]):
            p.grad = fl.tensor(g, dtype=dt)
        opt.step()
        for i in range(2):
            expect[i] = ref(expect[i], grads[step][i], states[i], **dict(kw, lr=lr * LRS[i])).astype(npdt)
        if step in (0, STEPS - 1):
            for p, e in zip(params, expect):
                assert p.dtype == dt and p.requires_grad and p.grad_fn is None
                np.testing.assert_allclose(p.detach().numpy(), e, rtol=rtol, atol=rtol, err_msg=f"step {step}")


def test_step_skips_params_without_grad_and_runs_closure() -> None:
    a, b = nn.Parameter(fl.ones(2)), nn.Parameter(fl.ones(2))
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = fl.tensor([1.0, -1.0])
    calls: list[int] = []
    loss = opt.step(lambda: calls.append(1) or fl.tensor(3.0))
    assert calls == [1] and loss.item() == 3.0
    assert b.tolist() == [1.0, 1.0] and b not in opt.state
    np.testing.assert_allclose(a.detach().numpy(), [0.9, 1.1], rtol=1e-6)
    opt.zero_grad(set_to_none=False)
    assert a.grad.tolist() == [0.0, 0.0] and b.grad is None
    opt.zero_grad()
    assert a.grad is None


@pytest.mark.parametrize("cls,kw", [(optim.SGD, {"lr": 0.1, "momentum": 0.9}), (optim.Adam, {"amsgrad": True}),
                                    (optim.RMSprop, {"centered": True, "momentum": 0.1}), (optim.Adagrad, {})])
def test_state_dict_round_trip_resumes_identically(cls: Any, kw: dict[str, Any]) -> None:
    grads = _grads(np.float32)
    p1 = [nn.Parameter(fl.tensor(a)) for a in _init(np.float32)]
    opt1 = cls(p1, **kw)

    def run(params: list[Any], opt: Any, steps: range) -> None:
        for s in steps:
            for p, g in zip(params, grads[s]):
                p.grad = fl.tensor(g)
            opt.step()

    run(p1, opt1, range(10))
    sd = opt1.state_dict()
    assert sorted(sd["state"]) == [0, 1] and sd["param_groups"][0]["params"] == [0, 1]
    p2 = [nn.Parameter(p.detach().clone()) for p in p1]
    opt2 = cls(p2, lr=123.0) if cls is optim.SGD else cls(p2, lr=123.0)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == opt1.param_groups[0]["lr"]
    run(p1, opt1, range(10, 20))
    run(p2, opt2, range(10, 20))
    for a, b in zip(p1, p2):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    for key, value in opt1.state[p1[0]].items():
        if isinstance(value, fl.Tensor):  # copied on load, not shared
            assert value is not opt2.state[p2[0]][key]
    with pytest.raises(ValueError, match="different number of parameter groups"):
        cls([{"params": [p2[0]]}, {"params": [p2[1]]}], lr=0.1).load_state_dict(sd)


def test_param_groups_and_errors() -> None:
    lin = nn.Linear(2, 1)
    opt = optim.SGD([lin.weight], lr=0.1, momentum=0.5)
    opt.add_param_group({"params": lin.bias, "lr": 0.01})
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01] and opt.param_groups[1]["momentum"] == 0.5
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [lin.weight]})
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.Adam(lin.weight)
    with pytest.raises(ValueError, match="didn't specify a value of required optimization parameter lr"):
        optim.SGD(lin.parameters())
    with pytest.raises(ValueError, match="Nesterov momentum requires"):
        optim.SGD(lin.parameters(), lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1"):
        optim.AdamW(lin.parameters(), betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Invalid learning rate"):
        optim.RMSprop(lin.parameters(), lr=-1.0)
    assert optim.AdamW(lin.parameters()).defaults["weight_decay"] == 1e-2


# schedulers ----------------------------------------------------------------------------------------
def _lrs(sched: Any, opt: Any, n: int) -> list[list[float]]:
    out = []
    for _ in range(n):
        out.append([g["lr"] for g in opt.param_groups])
        assert sched.get_last_lr() == out[-1]
        opt.step()
        sched.step()
    return out


def _two_groups(lr: float = 0.5) -> Any:
    a, b = nn.Parameter(fl.zeros(1)), nn.Parameter(fl.zeros(1))
    return optim.SGD([{"params": [a]}, {"params": [b], "lr": 2 * lr}], lr=lr)


def test_step_lr() -> None:
    opt = _two_groups()
    got = _lrs(optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.3), opt, 12)
    for e, lrs in enumerate(got):
        np.testing.assert_allclose(lrs, [b * 0.3 ** (e // 3) for b in (0.5, 1.0)], rtol=1e-12)


def test_cosine_annealing_lr() -> None:
    opt = _two_groups()
    t_max, eta_min = 7, 0.01
    got = _lrs(optim.lr_scheduler.CosineAnnealingLR(opt, T_max=t_max, eta_min=eta_min), opt, 3 * t_max + 2)
    for e, lrs in enumerate(got):
        ref = [eta_min + (b - eta_min) * (1 + math.cos(math.pi * e / t_max)) / 2 for b in (0.5, 1.0)]
        np.testing.assert_allclose(lrs, ref, rtol=1e-9, atol=1e-12)
    assert opt.param_groups[0]["initial_lr"] == 0.5


def test_lambda_lr_and_scheduler_state() -> None:
    opt = _two_groups()
    sched = optim.lr_scheduler.LambdaLR(opt, [lambda e: 0.9**e, lambda e: 1 / (1 + e)])
    got = _lrs(sched, opt, 6)
    for e, lrs in enumerate(got):
        np.testing.assert_allclose(lrs, [0.5 * 0.9**e, 1.0 / (1 + e)], rtol=1e-12)
    sd = sched.state_dict()
    assert sd["last_epoch"] == 6 and sd["lr_lambdas"] == [None, None] and "optimizer" not in sd
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        optim.lr_scheduler.LambdaLR(opt, [lambda e: 1.0])
    step = optim.lr_scheduler.StepLR(opt, 2)
    step.step()
    other = optim.lr_scheduler.StepLR(_two_groups(), 5)
    other.load_state_dict(step.state_dict())
    assert other.last_epoch == step.last_epoch and other.step_size == 2


# the thermometer model of *Deep Learning with PyTorch*, with nn.Linear and an optimizer ---------
T_C = [0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0]
T_U = [35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4]


@pytest.mark.parametrize("cls,lr,epochs", [(optim.SGD, 1e-2, 500), (optim.Adam, 1e-1, 300)])
def test_thermometer_fit_with_linear_and_optimizer(cls: Any, lr: float, epochs: int) -> None:
    x = np.asarray(T_U, np.float32)[:, None] * np.float32(0.1)
    y = np.asarray(T_C, np.float32)[:, None]
    model = nn.Linear(1, 1)
    with fl.no_grad():
        model.weight.fill_(1.0)
        model.bias.zero_()
    opt = cls(model.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    xt, yt = fl.tensor(x), fl.tensor(y)
    for _ in range(epochs):
        loss = loss_fn(model(xt), yt)
        opt.zero_grad()
        loss.backward()
        opt.step()
    w, b = np.ones((1, 1), np.float32), np.zeros(1, np.float32)
    ref = _np_sgd if cls is optim.SGD else _np_adam
    sw: dict[str, Any] = {}
    sb: dict[str, Any] = {}
    for _ in range(epochs):
        err = x @ w.T + b - y
        ref_loss = float((err * err).mean())
        gw = (2 * err * x).mean(axis=0, keepdims=True).astype(np.float32)
        gb = (2 * err).mean(axis=0).astype(np.float32)
        w, b = ref(w, gw, sw, lr).astype(np.float32), ref(b, gb, sb, lr).astype(np.float32)
    np.testing.assert_allclose(model.weight.detach().numpy(), w, rtol=1e-4)
    np.testing.assert_allclose(model.bias.detach().numpy(), b, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(loss.item(), ref_loss, rtol=1e-4)
