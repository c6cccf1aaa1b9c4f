"""PyTorch-style ``nn``: Module machinery (registration, state dicts,
printing, modes, hooks), each layer's and loss's forward against NumPy
implementations of PyTorch's documented formulas, and ``nn.init``."""
from __future__ import annotations

import copy
import math
from collections import OrderedDict
from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.nn.functional as F
from functorch_lite import nn

# the PyTorch-style layer keeps PyTorch's dtypes whatever the 64-bit mode: test it in the default (off)
pytestmark = pytest.mark.usefixtures("x64_off")

DTYPES = [(fl.float32, np.float32, 2e-6), (fl.float64, np.float64, 1e-12)]
RNG = np.random.default_rng(0)


def _t(a: Any, dt: Any) -> Any:
    return fl.tensor(np.asarray(a), dtype=dt)


def _close(t: Any, ref: Any, rtol: float, atol: float | None = None) -> None:
    got = t.detach().numpy()
    assert got.dtype == np.asarray(ref).dtype or np.asarray(ref).dtype == np.float64
    np.testing.assert_allclose(got, ref, rtol=rtol, atol=rtol if atol is None else atol)


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(2, 3)
        self.register_buffer("scale", fl.ones(1))
        self.act = nn.Tanh()
        self.head = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))

    def forward(self, x: Any) -> Any:
        return self.head(self.act(self.fc1(x)) * self.scale)


# Module machinery --------------------------------------------------------------------------------------
def test_registration_order_and_names() -> None:
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "fc1.weight", "fc1.bias", "head.0.weight", "head.0.bias", "head.1.weight", "head.1.bias"]
    assert [n for n, _ in net.named_buffers()] == [
        "scale", "head.1.running_mean", "head.1.running_var", "head.1.num_batches_tracked"]
    assert [n for n, _ in net.named_children()] == ["fc1", "act", "head"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "act", "head", "head.0", "head.1"]
    assert list(net.state_dict()) == [
        "scale", "fc1.weight", "fc1.bias", "head.0.weight", "head.0.bias", "head.1.weight", "head.1.bias",
        "head.1.running_mean", "head.1.running_var", "head.1.num_batches_tracked"]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())
    assert len(list(net.parameters(recurse=False))) == 0


def test_sequential_state_dict_keys_and_ordered_dict() -> None:
    seq = nn.Sequential(nn.Linear(1, 13), nn.Tanh(), nn.Linear(13, 1))
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    named = nn.Sequential(OrderedDict([("hidden_linear", nn.Linear(1, 8)), ("hidden_activation", nn.Tanh()),
                                       ("output_linear", nn.Linear(8, 1))]))
    assert list(named.state_dict()) == ["hidden_linear.weight", "hidden_linear.bias", "output_linear.weight",
                                        "output_linear.bias"]
    assert named.output_linear is named[2] and named[-1] is named[2]
    assert list(named[:2]._modules) == ["hidden_linear", "hidden_activation"]
    with pytest.raises(IndexError, match="out of range"):
        named[3]


def test_shared_parameter_listed_once_and_setattr_rules() -> None:
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    assert len(list(seq.parameters())) == 2
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'weight'"):
        lin.weight = fl.zeros(2, 2)
    lin.weight = nn.Parameter(fl.zeros(2, 2))
    assert lin.weight.sum().item() == 0.0
    m = nn.Module()
    m.register_buffer("tmp", fl.ones(1), persistent=False)
    assert list(m.state_dict()) == [] and [n for n, _ in m.named_buffers()] == ["tmp"]
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nope'"):
        _ = m.nope
    with pytest.raises(KeyError, match="contain"):
        m.register_buffer("a.b", fl.ones(1))
    del lin.bias
    assert [n for n, _ in lin.named_parameters()] == ["weight"]


def test_state_dict_round_trip_copies_in_place() -> None:
    a, b = Net(), Net()
    sd = a.state_dict()
    assert not sd["fc1.weight"].requires_grad  # detached, sharing storage
    w_before = b.fc1.weight
    assert repr(b.load_state_dict(sd)) == "<All keys matched successfully>"
    assert b.fc1.weight is w_before
    for (n, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        np.testing.assert_array_equal(x.numpy(), y.numpy(), err_msg=n)


def test_load_state_dict_strict_report() -> None:
    lin = nn.Linear(2, 1)
    sd = OrderedDict(weight=fl.zeros(1, 2), extra=fl.zeros(1))
    with pytest.raises(RuntimeError) as e:
        lin.load_state_dict(sd)
    assert str(e.value) == ('Error(s) in loading state_dict for Linear:\n\tMissing key(s) in state_dict: "bias". '
                            '\n\tUnexpected key(s) in state_dict: "extra". ')
    res = lin.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["bias"] and res.unexpected_keys == ["extra"]
    assert repr(res) == "_IncompatibleKeys(missing_keys=['bias'], unexpected_keys=['extra'])"
    assert lin.weight.tolist() == [[0.0, 0.0]]
    with pytest.raises(RuntimeError, match=r"size mismatch for weight: copying a param with shape"):
        lin.load_state_dict({"weight": fl.zeros(2, 2), "bias": fl.zeros(1)}, strict=False)


def test_repr_as_pytorch() -> None:
    assert repr(nn.Linear(1, 1)) == "Linear(in_features=1, out_features=1, bias=True)"
    assert repr(nn.Linear(3, 2, bias=False)) == "Linear(in_features=3, out_features=2, bias=False)"
    seq = nn.Sequential(nn.Sequential(nn.Linear(1, 13)), nn.Tanh(), nn.Linear(13, 1))
    assert repr(seq) == ("Sequential(\n  (0): Sequential(\n    (0): Linear(in_features=1, out_features=13, "
                         "bias=True)\n  )\n  (1): Tanh()\n  (2): Linear(in_features=13, out_features=1, bias=True)\n)")
    assert repr(nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.GELU(approximate="tanh")])) == (
        "ModuleList(\n  (0-1): 2 x ReLU()\n  (2): GELU(approximate='tanh')\n)")
    assert [repr(m) for m in (nn.Bilinear(2, 3, 4), nn.BatchNorm1d(5, momentum=None), nn.LayerNorm([2, 3]),
                              nn.Embedding(10, 3), nn.Dropout(), nn.ReLU(inplace=True), nn.LogSoftmax(dim=1),
                              nn.Flatten(), nn.Identity(), nn.CrossEntropyLoss(), nn.Sequential())] == [
        "Bilinear(in1_features=2, in2_features=3, out_features=4, bias=True)",
        "BatchNorm1d(5, eps=1e-05, momentum=None, affine=True, track_running_stats=True)",
        "LayerNorm((2, 3), eps=1e-05, elementwise_affine=True)", "Embedding(10, 3)", "Dropout(p=0.5, inplace=False)",
        "ReLU(inplace=True)", "LogSoftmax(dim=1)", "Flatten(start_dim=1, end_dim=-1)", "Identity()",
        "CrossEntropyLoss()", "Sequential()"]
    assert repr(nn.Parameter(fl.tensor([1.0]))) == "Parameter containing:\ntensor([1.], requires_grad=True)"


def test_train_eval_zero_grad_requires_grad_apply() -> None:
    net = Net()
    assert net.eval() is net and not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="boolean"):
        net.train(1)  # type: ignore[arg-type]
    g = fl.ones(3, 2)
    net.fc1.weight.grad = g
    net.zero_grad(set_to_none=False)
    assert net.fc1.weight.grad is g and g.tolist() == [[0.0] * 2] * 3
    net.zero_grad()
    assert net.fc1.weight.grad is None
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    seen: list[str] = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Tanh", "Linear", "BatchNorm1d", "Sequential", "Net"]


def test_to_dtype_keeps_integer_buffers() -> None:
    net = Net().to(fl.float64)
    assert {p.dtype for p in net.parameters()} == {fl.float64}
    assert net.head[1].running_var.dtype == fl.float64
    assert net.head[1].num_batches_tracked.dtype == fl.int64
    assert all(isinstance(p, nn.Parameter) for p in net.parameters())
    assert net(fl.ones(4, 2, dtype=fl.float64)).dtype == fl.float64


def test_forward_hooks() -> None:
    lin = nn.Linear(1, 1)
    calls: list[str] = []
    h1 = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda m, args, out: calls.append("post") or out + 100)
    out = lin(fl.ones(1, 1))
    np.testing.assert_allclose(out.item(), lin.bias.item() + 100, rtol=1e-6)
    h1.remove()
    h2.remove()
    np.testing.assert_allclose(lin(fl.ones(1, 1)).item(), (lin.weight.sum() + lin.bias.sum()).item(), rtol=1e-6)
    assert calls == ["post"]


def test_containers() -> None:
    ml = nn.ModuleList([nn.Linear(1, 1)])
    ml.append(nn.Tanh())
    ml.insert(0, nn.ReLU())
    assert [type(m).__name__ for m in ml] == ["ReLU", "Linear", "Tanh"] and len(ml) == 3
    del ml[0]
    assert list(ml._modules) == ["0", "1"] and [n for n, _ in ml.named_parameters()] == ["0.weight", "0.bias"]
    md = nn.ModuleDict({"enc": nn.Linear(1, 2), "dec": nn.Linear(2, 1)})
    assert list(md) == ["enc", "dec"] and list(md.state_dict())[0] == "enc.weight"
    assert md.pop("enc") is not None and list(md.keys()) == ["dec"]


# initialisation ------------------------------------------------------------------------------------
def test_linear_default_init_matches_pytorch_bounds() -> None:
    fl.manual_seed(1)
    lin = nn.Linear(64, 48)
    bound = 1 / math.sqrt(64)
    w, b = lin.weight.detach().numpy(), lin.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound / math.sqrt(3)  # uniform, not a narrower law
    fl.manual_seed(1)
    np.testing.assert_array_equal(nn.Linear(64, 48).weight.detach().numpy(), w)


def test_init_functions() -> None:
    assert nn.init.calculate_gain("relu") == math.sqrt(2)
    assert nn.init.calculate_gain("leaky_relu") == math.sqrt(2 / (1 + 0.01**2))
    assert nn.init.calculate_gain("conv2d") == 1 and nn.init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        nn.init.calculate_gain("cubic")
    w = fl.empty(200, 100)
    nn.init.xavier_normal_(w, gain=2.0)
    expect = 2.0 * math.sqrt(2 / 300)
    assert abs(w.numpy().std() - expect) < 0.05 * expect
    nn.init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu")
    bound = math.sqrt(2) * math.sqrt(3 / 200)
    assert np.abs(w.numpy()).max() <= bound and np.abs(w.numpy()).max() > 0.9 * bound
    nn.init.kaiming_normal_(w)
    assert abs(w.numpy().std() - math.sqrt(2 / 100)) < 0.05 * math.sqrt(2 / 100)
    assert nn.init.constant_(w, 0.25).numpy().max() == 0.25 and nn.init.zeros_(w).numpy().max() == 0
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init.xavier_uniform_(fl.empty(3))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        nn.init.kaiming_uniform_(w, mode="fan_avg")


# layers against NumPy ------------------------------------------------------------------------------
def _np_log_softmax(x: Any, axis: int) -> Any:
    s = x - x.max(axis=axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


_erf = np.vectorize(math.erf)


@pytest.mark.parametrize("dt,npdt,tol", DTYPES)
def test_activations(dt: Any, npdt: Any, tol: float) -> None:
    x = RNG.normal(size=(3, 4)).astype(npdt) * 3
    t = _t(x, dt)
    refs = {
        nn.ReLU(): np.maximum(x, 0), nn.Tanh(): np.tanh(x), nn.Sigmoid(): 1 / (1 + np.exp(-x)),
        nn.GELU(): 0.5 * x * (1 + _erf(x / math.sqrt(2))),
        nn.GELU("tanh"): 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
        nn.Softmax(dim=1): np.exp(_np_log_softmax(x, 1)), nn.LogSoftmax(dim=0): _np_log_softmax(x, 0),
        nn.Identity(): x, nn.Flatten(0): x.reshape(-1),
    }
    for mod, ref in refs.items():
        out = mod(t)
        assert out.dtype == dt, mod
        _close(out, ref.astype(npdt), 5 * tol)
    _close(F.log_softmax(_t(np.array([1000.0, 0.0], npdt), dt), 0), np.array([0.0, -1000.0], npdt), tol)


@pytest.mark.parametrize("dt,npdt,tol", DTYPES)
def test_linear_bilinear_embedding(dt: Any, npdt: Any, tol: float) -> None:
    lin = nn.Linear(4, 3).to(dt)
    x = RNG.normal(size=(2, 5, 4)).astype(npdt)
    _close(lin(_t(x, dt)), x @ lin.weight.detach().numpy().T + lin.bias.detach().numpy(), 10 * tol)
    bil = nn.Bilinear(3, 2, 4).to(dt)
    x1, x2 = RNG.normal(size=(5, 3)).astype(npdt), RNG.normal(size=(5, 2)).astype(npdt)
    ref = np.einsum("ni,kij,nj->nk", x1, bil.weight.detach().numpy(), x2) + bil.bias.detach().numpy()
    _close(bil(_t(x1, dt), _t(x2, dt)), ref, 10 * tol)
    emb = nn.Embedding(6, 3, padding_idx=-1).to(dt)
    idx = np.array([[0, 5], [2, 2]])
    out = emb(fl.tensor(idx))
    _close(out, emb.weight.detach().numpy()[idx], tol)
    assert emb.padding_idx == 5 and out[0, 1].tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(IndexError, match="index out of range"):
        emb(fl.tensor([6]))
    with pytest.raises(RuntimeError, match="mat1 and mat2 shapes cannot be multiplied"):
        lin(fl.ones(2, 5, dtype=dt))


@pytest.mark.parametrize("dt,npdt,tol", DTYPES)
def test_layer_norm(dt: Any, npdt: Any, tol: float) -> None:
    x = RNG.normal(size=(2, 3, 4)).astype(npdt)
    ln = nn.LayerNorm([3, 4], eps=1e-3).to(dt)
    with fl.no_grad():
        ln.weight.copy_(_t(RNG.normal(size=(3, 4)), dt))
        ln.bias.copy_(_t(RNG.normal(size=(3, 4)), dt))
    mu = x.mean(axis=(1, 2), keepdims=True)
    var = ((x - mu) ** 2).mean(axis=(1, 2), keepdims=True)
    ref = (x - mu) / np.sqrt(var + 1e-3) * ln.weight.detach().numpy() + ln.bias.detach().numpy()
    _close(ln(_t(x, dt)), ref, 20 * tol)


@pytest.mark.parametrize("dt,npdt,tol", DTYPES)
@pytest.mark.parametrize("momentum", [0.3, None])
def test_batch_norm_running_stats(dt: Any, npdt: Any, tol: float, momentum: float | None) -> None:
    bn = nn.BatchNorm1d(3, eps=1e-4, momentum=momentum).to(dt)
    with fl.no_grad():
        bn.weight.copy_(_t([1.0, 2.0, -1.0], dt))
        bn.bias.copy_(_t([0.0, 0.5, 1.0], dt))
    rm, rv = np.zeros(3), np.ones(3)
    w, b = bn.weight.detach().numpy(), bn.bias.detach().numpy()
    for step in range(1, 4):
        x = RNG.normal(size=(4, 3, 2)).astype(npdt) * step
        mean, var = x.mean(axis=(0, 2)), x.var(axis=(0, 2))
        ref = (x - mean[:, None]) / np.sqrt(var[:, None] + 1e-4) * w[:, None] + b[:, None]
        _close(bn(_t(x, dt)), ref, 50 * tol)
        f = 1 / step if momentum is None else momentum
        rm = (1 - f) * rm + f * mean
        rv = (1 - f) * rv + f * x.var(axis=(0, 2), ddof=1)
        _close(bn.running_mean, rm, 50 * tol)
        _close(bn.running_var, rv, 50 * tol)
    assert bn.num_batches_tracked.item() == 3
    bn.eval()
    x = RNG.normal(size=(2, 3)).astype(npdt)
    _close(bn(_t(x, dt)), (x - rm) / np.sqrt(rv + 1e-4) * w + b, 50 * tol)
    _close(bn.running_mean, rm, 50 * tol)  # evaluation leaves the statistics alone
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        bn(fl.zeros(1, 3, 1, 1, dtype=dt))


def test_dropout_train_and_eval() -> None:
    fl.manual_seed(3)
    drop = nn.Dropout(0.25)
    x = fl.ones(4000)
    out = drop(x).numpy()
    assert set(np.unique(out).tolist()) <= {0.0, np.float32(1 / 0.75)}
    assert abs((out == 0).mean() - 0.25) < 0.03
    assert x.tolist() == [1.0] * 4000
    assert drop.eval()(x) is x
    assert F.dropout(x, 1.0).numpy().max() == 0.0
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


# losses against NumPy ------------------------------------------------------------------------------
def _reduce(loss: Any, reduction: str) -> Any:
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


@pytest.mark.parametrize("dt,npdt,tol", DTYPES)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_regression_losses(dt: Any, npdt: Any, tol: float, reduction: str) -> None:
    x, y = RNG.normal(size=(3, 4)).astype(npdt) * 2, RNG.normal(size=(3, 4)).astype(npdt)
    d = x - y
    ad = np.abs(d)
    cases = [(nn.MSELoss(reduction=reduction), d * d), (nn.L1Loss(reduction=reduction), ad),
             (nn.SmoothL1Loss(reduction=reduction, beta=0.5), np.where(ad < 0.5, 0.5 * d * d / 0.5, ad - 0.25)),
             (nn.SmoothL1Loss(reduction=reduction, beta=0.0), ad)]
    for mod, ref in cases:
        out = mod(_t(x, dt), _t(y, dt))
        assert out.dtype == dt
        _close(out, _reduce(ref, reduction), 10 * tol)
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        nn.MSELoss(reduction="avg")


def _np_cross_entropy(x: Any, y: Any, w: Any, ignore: int, reduction: str, ls: float) -> Any:
    """PyTorch's documented formula, class indices, classes on axis 1."""
    c = x.shape[1]
    logp = _np_log_softmax(x, 1)
    w = np.ones(c) if w is None else w
    kept = y != ignore
    ys = np.where(kept, y, 0)
    picked = np.take_along_axis(logp, ys[:, None], axis=1)[:, 0]
    wn = w[ys] * kept
    nll = -picked * wn
    smooth = -(logp * w.reshape((1, c) + (1,) * (x.ndim - 2))).sum(axis=1) * kept
    if reduction == "mean":
        return (1 - ls) * nll.sum() / wn.sum() + ls / c * smooth.sum() / wn.sum()
    return (1 - ls) * _reduce(nll, reduction) + ls / c * _reduce(smooth, reduction)


@pytest.mark.parametrize("dt,npdt,tol", DTYPES)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_cross_entropy_class_indices(dt: Any, npdt: Any, tol: float, reduction: str) -> None:
    x = RNG.normal(size=(5, 4, 2)).astype(npdt) * 2
    y = np.array([[0, 3], [1, -100], [3, 2], [2, 2], [-100, 1]])
    w = np.array([1.0, 2.0, 0.5, 1.5], npdt)
    for weight, ls in ((None, 0.0), (w, 0.0), (None, 0.2), (w, 0.3)):
        mod = nn.CrossEntropyLoss(weight=None if weight is None else _t(weight, dt), reduction=reduction,
                                  label_smoothing=ls)
        out = mod(_t(x, dt), fl.tensor(y))
        ref = _np_cross_entropy(x.astype(np.float64), y, None if weight is None else weight.astype(np.float64),
                                -100, reduction, ls)
        _close(out, np.asarray(ref).astype(npdt), 20 * tol)
    # 2-d input, NLLLoss of log-probabilities is the same number
    x2, y2 = x[:, :, 0], y[:, 0].copy()
    y2[4] = 0
    ce = F.cross_entropy(_t(x2, dt), fl.tensor(y2), reduction=reduction)
    nll = nn.NLLLoss(reduction=reduction)(F.log_softmax(_t(x2, dt), 1), fl.tensor(y2))
    _close(ce, _reduce(-np.take_along_axis(_np_log_softmax(x2, 1), y2[:, None], 1)[:, 0], reduction), 20 * tol)
    _close(nll, ce.numpy(), 20 * tol)


@pytest.mark.parametrize("dt,npdt,tol", DTYPES)
def test_cross_entropy_probabilities_and_unbatched(dt: Any, npdt: Any, tol: float) -> None:
    x = RNG.normal(size=(3, 4)).astype(npdt)
    p = RNG.random(size=(3, 4)).astype(npdt)
    p /= p.sum(axis=1, keepdims=True)
    w = np.array([1.0, 0.5, 2.0, 1.0], npdt)
    ps = p * 0.9 + 0.1 / 4
    ref = -(_np_log_softmax(x, 1) * ps * w).sum(axis=1)
    out = F.cross_entropy(_t(x, dt), _t(p, dt), weight=_t(w, dt), label_smoothing=0.1, reduction="none")
    _close(out, ref, 20 * tol)
    _close(F.cross_entropy(_t(x, dt), _t(p, dt), weight=_t(w, dt), label_smoothing=0.1), ref.mean(), 20 * tol)
    one = F.cross_entropy(_t(x[0], dt), fl.tensor(2), reduction="none")
    assert one.shape == () and abs(one.item() + _np_log_softmax(x[0], 0)[2]) < 20 * tol


def test_class_loss_errors() -> None:
    with pytest.raises(IndexError, match="Target 4 is out of bounds"):
        F.cross_entropy(fl.zeros(2, 4), fl.tensor([0, 4]))
    with pytest.raises(ValueError, match="expected target of shape"):
        F.nll_loss(fl.zeros(2, 4), fl.tensor([0, 1, 2]))
    with pytest.raises(RuntimeError, match="integer"):
        F.nll_loss(fl.zeros(2, 4), fl.tensor([0.0, 1.0]))
    assert math.isnan(F.cross_entropy(fl.zeros(1, 3), fl.tensor([-100])).item())  # all ignored: 0/0, as PyTorch


@pytest.mark.parametrize("dt,npdt,tol", DTYPES)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_binary_losses(dt: Any, npdt: Any, tol: float, reduction: str) -> None:
    z = np.array([[-30.0, -2.0, 0.0], [0.5, 3.0, 40.0]], npdt)
    y = np.array([[0.0, 1.0, 0.3], [1.0, 0.0, 1.0]], npdt)
    w = np.array([1.0, 2.0, 0.5], npdt)
    pw = np.array([3.0, 1.0, 0.5], npdt)
    x = 1 / (1 + np.exp(-z.astype(np.float64)))
    with np.errstate(divide="ignore"):  # log(0) = -inf, clamped to -100 as PyTorch
        bce = -w * (y * np.maximum(np.log(x), -100) + (1 - y) * np.maximum(np.log1p(-x), -100))
    out = nn.BCELoss(weight=_t(w, dt), reduction=reduction)(_t(x.astype(npdt), dt), _t(y, dt))
    _close(out, _reduce(bce, reduction).astype(npdt), 50 * tol, atol=1e-5 if npdt is np.float32 else 1e-12)
    zz = z.astype(np.float64)
    log_sig, log_one_minus = -np.logaddexp(0, -zz), -np.logaddexp(0, zz)
    bcel = -w * (pw * y * log_sig + (1 - y) * log_one_minus)
    out = nn.BCEWithLogitsLoss(weight=_t(w, dt), reduction=reduction, pos_weight=_t(pw, dt))(_t(z, dt), _t(y, dt))
    assert np.isfinite(out.numpy()).all()
    _close(out, _reduce(bcel, reduction).astype(npdt), 20 * tol)
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(fl.tensor([1.5]), fl.tensor([1.0]))
    with pytest.raises(ValueError, match="must be the same as input size"):
        F.binary_cross_entropy_with_logits(fl.zeros(2), fl.zeros(3))


def test_one_hot() -> None:
    out = F.one_hot(fl.tensor([[0, 2], [1, 0]]), 4)
    np.testing.assert_array_equal(out.numpy(), np.eye(4, dtype=np.int64)[[[0, 2], [1, 0]]])
    assert out.dtype == fl.int64 and F.one_hot(fl.tensor([3])).shape == (1, 4)
    with pytest.raises(RuntimeError, match="non-negative"):
        F.one_hot(fl.tensor([-1]))
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(fl.tensor([3]), 3)


# gradients: the layers are Tensor compositions, so the tape differentiates them -------------------
def _fd_grad(f: Any, x: Any, h: float = 1e-6) -> Any:
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        g[i] = (f(xp) - f(xm)) / (2 * h)
    return g


def _tape_grad(f: Any, x: Any) -> Any:
    t = fl.tensor(x, dtype=fl.float64, requires_grad=True)
    f(t).backward()
    return t.grad.numpy()


@pytest.mark.parametrize("name,fn", [
    ("layer_norm", lambda t, c: (F.layer_norm(t, (3,), eps=1e-3) * c).sum()),
    ("batch_norm", lambda t, c: (F.batch_norm(t, None, None, training=True, eps=1e-3) * c).sum()),
    ("gelu", lambda t, c: (F.gelu(t) * c).sum()),
    ("gelu_tanh", lambda t, c: (F.gelu(t, approximate="tanh") * c).sum()),
    ("log_softmax", lambda t, c: (F.log_softmax(t, 1) * c).sum()),
    ("cross_entropy", lambda t, c: F.cross_entropy(t, fl.tensor([2, 0, -100, 1]), weight=fl.tensor(
        [1.0, 2.0, 0.5], dtype=fl.float64), label_smoothing=0.2)),
    ("bce_logits", lambda t, c: F.binary_cross_entropy_with_logits(t, c.abs().clamp(max=1.0), pos_weight=fl.tensor(
        [2.0, 1.0, 0.5], dtype=fl.float64))),
    ("smooth_l1", lambda t, c: F.smooth_l1_loss(t, c, beta=0.5)),
])
def test_gradients_against_finite_differences(name: str, fn: Any) -> None:
    x = RNG.normal(size=(4, 3))
    c = RNG.normal(size=(4, 3))
    ct = fl.tensor(c, dtype=fl.float64)
    ref = _fd_grad(lambda a: fn(fl.tensor(a, dtype=fl.float64), ct).item(), x)
    np.testing.assert_allclose(_tape_grad(lambda t: fn(t, ct), x), ref, rtol=1e-6, atol=1e-8)


def test_linear_module_gradients() -> None:
    lin = nn.Linear(3, 2).double()
    x = RNG.normal(size=(5, 3))
    y = RNG.normal(size=(5, 2))
    nn.MSELoss()(lin(fl.tensor(x)), fl.tensor(y)).backward()
    err = x @ lin.weight.detach().numpy().T + lin.bias.detach().numpy() - y
    np.testing.assert_allclose(lin.weight.grad.numpy(), 2 * err.T @ x / err.size, rtol=1e-10)
    np.testing.assert_allclose(lin.bias.grad.numpy(), 2 * err.sum(0) / err.size, rtol=1e-10)


def test_embedding_padding_row_gets_no_gradient() -> None:
    emb = nn.Embedding(4, 2, padding_idx=1)
    with fl.no_grad():
        emb.weight[1].fill_(3.0)  # a non-zero padding row is still returned
    out = emb(fl.tensor([[1, 2], [2, 0]]))
    assert out[0, 0].tolist() == [3.0, 3.0]
    out.sum().backward()
    assert emb.weight.grad.tolist() == [[1.0, 1.0], [0.0, 0.0], [2.0, 2.0], [0.0, 0.0]]


def test_deepcopy_module() -> None:
    net = Net()
    twin = copy.deepcopy(net)
    assert all(isinstance(p, nn.Parameter) for p in twin.parameters())
    assert all(p is not q for p, q in zip(net.parameters(), twin.parameters()))
    with fl.no_grad():
        twin.fc1.weight.zero_()
    assert net.fc1.weight.detach().abs().sum().item() > 0


def test_to_dtype_keeps_parameter_identity_for_optimizers() -> None:
    import functorch_lite as fl
    from functorch_lite import nn, optim

    m = nn.Linear(2, 1)
    w = m.weight
    opt = optim.SGD(m.parameters(), lr=0.5)
    m.to(fl.float64)
    assert m.weight is w and w.dtype == fl.float64 and w.requires_grad
    before = w.detach().clone()
    m(fl.ones(3, 2, dtype=fl.float64)).sum().backward()
    opt.step()  # the optimizer built before .to() updates the converted parameter
    np.testing.assert_allclose(w.detach().numpy(), before.numpy() - 0.5 * 3.0, rtol=1e-12)
