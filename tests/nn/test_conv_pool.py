"""Convolution and pooling layers: values against NumPy loops, gradients
against finite differences (float64), the tape against the transforms, and
forward/backward against PyTorch (compare extra)."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.nn.functional as F
from functorch_lite import func, nn

RNG = np.random.default_rng(7)


def _np_conv2d(x: np.ndarray[Any, Any], w: np.ndarray[Any, Any], b: Any, stride: tuple[int, int],
               pad: tuple[int, int], dil: tuple[int, int], groups: int) -> np.ndarray[Any, Any]:
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    oh = (h + 2 * pad[0] - dil[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + 2 * pad[1] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow), np.float64)
    og = o // groups
    for oc in range(o):
        g = oc // og
        for i, j in itertools.product(range(oh), range(ow)):
            patch = xp[:, g * cg:(g + 1) * cg, i * stride[0]:i * stride[0] + dil[0] * (kh - 1) + 1:dil[0],
                       j * stride[1]:j * stride[1] + dil[1] * (kw - 1) + 1:dil[1]]
            out[:, oc, i, j] = (patch * w[oc]).sum(axis=(1, 2, 3))
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def _np_pool(x: np.ndarray[Any, Any], k: int, s: int, p: int, op: str, include_pad: bool = True,
             ceil: bool = False) -> np.ndarray[Any, Any]:
    n, c, h, w = x.shape
    fill = -np.inf if op == "max" else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=fill)

    def size(m: int) -> int:
        span = m + 2 * p - k
        o = (-(-span // s) if ceil else span // s) + 1
        return o - 1 if ceil and (o - 1) * s >= m + p else o

    oh, ow = size(h), size(w)
    out = np.zeros((n, c, oh, ow))
    for i, j in itertools.product(range(oh), range(ow)):
        r0, c0 = i * s, j * s
        r1, c1 = min(r0 + k, h + 2 * p), min(c0 + k, w + 2 * p)
        win = xp[:, :, r0:r1, c0:c1]
        if op == "max":
            out[:, :, i, j] = win.max(axis=(2, 3))
        else:
            if include_pad:
                cnt = (r1 - r0) * (c1 - c0)
            else:
                cnt = (min(r1, h + p) - max(r0, p)) * (min(c1, w + p) - max(c0, p))
            out[:, :, i, j] = win.sum(axis=(2, 3)) / cnt
    return out


@pytest.mark.parametrize("stride,pad,dil,groups", [((1, 1), (0, 0), (1, 1), 1), ((2, 1), (1, 2), (1, 1), 1),
                                                   ((1, 1), (1, 1), (2, 1), 2), ((2, 2), (0, 1), (1, 2), 4)])
def test_conv2d_values_against_numpy(stride: Any, pad: Any, dil: Any, groups: int) -> None:
    x = RNG.standard_normal((2, 4, 7, 6))
    w = RNG.standard_normal((8, 4 // groups, 3, 2))
    b = RNG.standard_normal(8)
    got = F.conv2d(fl.tensor(x), fl.tensor(w), fl.tensor(b), stride, pad, dil, groups).numpy()
    np.testing.assert_allclose(got, _np_conv2d(x, w, b, stride, pad, dil, groups), rtol=1e-10, atol=1e-10)


def test_conv2d_non_contiguous_unbatched_and_padding_strings() -> None:
    x = RNG.standard_normal((3, 6, 5, 2)).astype(np.float32)
    xt = fl.tensor(x).permute(3, 0, 1, 2)  # a non-contiguous view (2, 3, 6, 5)
    w = RNG.standard_normal((2, 3, 3, 3)).astype(np.float32)
    ref = _np_conv2d(x.transpose(3, 0, 1, 2), w, None, (1, 1), (1, 1), (1, 1), 1)
    np.testing.assert_allclose(F.conv2d(xt, fl.tensor(w), padding="same").numpy(), ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(F.conv2d(xt[0], fl.tensor(w), padding=1).numpy(), ref[0], rtol=1e-4, atol=1e-5)
    assert F.conv2d(xt, fl.tensor(w), padding="valid").shape == (2, 2, 4, 3)
    # an even kernel with 'same': the extra padding element goes on the right, as PyTorch
    same = F.conv2d(fl.ones(1, 1, 4, 4), fl.ones(1, 1, 2, 2), padding="same")
    assert same.tolist()[0][0][0] == [4.0, 4.0, 4.0, 2.0]


def test_conv1d_and_conv3d_against_conv2d() -> None:
    x = RNG.standard_normal((2, 3, 9))
    w = RNG.standard_normal((4, 3, 3))
    a = F.conv1d(fl.tensor(x), fl.tensor(w), stride=2, padding=1).numpy()
    b = F.conv2d(fl.tensor(x[:, :, None]), fl.tensor(w[:, :, None]), stride=(1, 2), padding=(0, 1)).numpy()
    np.testing.assert_allclose(a, b[:, :, 0], rtol=1e-12)
    x3 = RNG.standard_normal((1, 2, 1, 5, 5))
    w3 = RNG.standard_normal((3, 2, 1, 3, 3))
    c = F.conv3d(fl.tensor(x3), fl.tensor(w3), padding=(0, 1, 1)).numpy()
    d = F.conv2d(fl.tensor(x3[:, :, 0]), fl.tensor(w3[:, :, 0]), padding=1).numpy()
    np.testing.assert_allclose(c[:, :, 0], d, rtol=1e-12)


def test_conv_errors_name_shapes() -> None:
    with pytest.raises(RuntimeError, match="channels"):
        F.conv2d(fl.ones(1, 3, 5, 5), fl.ones(2, 2, 3, 3))
    with pytest.raises(RuntimeError, match="should be the same"):
        F.conv2d(fl.ones(1, 1, 5, 5, dtype=fl.float64), fl.ones(1, 1, 3, 3))
    with pytest.raises(RuntimeError, match="kernel size"):
        F.conv2d(fl.ones(1, 1, 2, 2), fl.ones(1, 1, 3, 3))
    with pytest.raises(RuntimeError, match="4D"):
        F.conv2d(fl.ones(5, 5), fl.ones(1, 1, 3, 3))
    with pytest.raises(ValueError, match="strided"):
        F.conv2d(fl.ones(1, 1, 5, 5), fl.ones(1, 1, 3, 3), stride=2, padding="same")
    with pytest.raises(ValueError, match="divisible"):
        nn.Conv2d(3, 4, 3, groups=2)


@pytest.mark.parametrize("k,s,p,ceil", [(2, 2, 0, False), (3, 1, 1, False), (3, 2, 1, True), (2, 3, 1, True)])
def test_pools_against_numpy(k: int, s: int, p: int, ceil: bool) -> None:
    x = RNG.standard_normal((2, 3, 7, 8))
    t = fl.tensor(x)
    np.testing.assert_allclose(F.max_pool2d(t, k, s, p, ceil_mode=ceil).numpy(), _np_pool(x, k, s, p, "max", ceil=ceil))
    np.testing.assert_allclose(F.avg_pool2d(t, k, s, p, ceil_mode=ceil).numpy(),
                               _np_pool(x, k, s, p, "avg", True, ceil), rtol=1e-12)
    np.testing.assert_allclose(F.avg_pool2d(t, k, s, p, ceil_mode=ceil, count_include_pad=False).numpy(),
                               _np_pool(x, k, s, p, "avg", False, ceil), rtol=1e-12)


def test_pool_variants_and_errors() -> None:
    x = fl.tensor(RNG.standard_normal((2, 3, 6, 6)))
    np.testing.assert_allclose(F.avg_pool2d(x, 2, divisor_override=3).numpy(),
                               F.avg_pool2d(x, 2).numpy() * 4 / 3, rtol=1e-12)
    assert F.max_pool2d(x, 3, 1, dilation=2).shape == (2, 3, 2, 2)
    assert F.max_pool2d(fl.arange(16).reshape(1, 1, 4, 4), 2).tolist() == [[[[5, 7], [13, 15]]]]
    with pytest.raises(RuntimeError, match="half of effective kernel"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(NotImplementedError, match="return_indices"):
        F.max_pool2d(x, 2, return_indices=True)
    m1 = F.max_pool1d(x[:, :, 0], 2).numpy()
    np.testing.assert_allclose(m1, F.max_pool2d(x[:, :, :1], (1, 2)).numpy()[:, :, 0])


@pytest.mark.parametrize("out", [1, 2, 4, (3, None), (5, 2)])
def test_adaptive_avg_pool_against_loops(out: Any) -> None:
    x = RNG.standard_normal((2, 3, 7, 5))
    got = F.adaptive_avg_pool2d(fl.tensor(x), out).numpy()
    oh, ow = (out, out) if isinstance(out, int) else (out[0], out[1] if out[1] is not None else 5)
    ref = np.zeros((2, 3, oh, ow))
    for i, j in itertools.product(range(oh), range(ow)):
        h0, h1 = (i * 7) // oh, -(-((i + 1) * 7) // oh)
        w0, w1 = (j * 5) // ow, -(-((j + 1) * 5) // ow)
        ref[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
    np.testing.assert_allclose(got, ref, rtol=1e-12)


def _fd_check(f: Any, *xs: np.ndarray[Any, Any], eps: float = 1e-6) -> None:
    ts = [fl.tensor(x, requires_grad=True) for x in xs]
    f(*ts).backward()
    for k, (x, t) in enumerate(zip(xs, ts)):
        num = np.zeros_like(x)
        for idx in np.ndindex(*x.shape):
            hi, lo = [a.copy() for a in xs], [a.copy() for a in xs]
            hi[k][idx] += eps
            lo[k][idx] -= eps
            num[idx] = (f(*map(fl.tensor, hi)).item() - f(*map(fl.tensor, lo)).item()) / (2 * eps)
        np.testing.assert_allclose(t.grad.numpy(), num, rtol=1e-5, atol=1e-7)


def test_gradients_against_finite_differences() -> None:
    x = RNG.standard_normal((2, 2, 5, 4))
    w = RNG.standard_normal((4, 1, 3, 2))
    b = RNG.standard_normal(4)
    c = RNG.standard_normal((2, 4, 5, 3))
    _fd_check(lambda xx, ww, bb: (F.conv2d(xx, ww, bb, stride=(1, 2), padding=1, groups=2) * fl.tensor(c)).sum(),
              x, w, b)
    xs = RNG.permutation(200)[:40].reshape(1, 2, 4, 5) / 10.0  # distinct values: no ties at maxima
    _fd_check(lambda xx: (F.max_pool2d(xx, 2, 1, 1) ** 2).sum(), xs)
    _fd_check(lambda xx: (F.avg_pool2d(xx, 3, 2, 1, ceil_mode=True, count_include_pad=False) ** 2).sum(), xs)
    _fd_check(lambda xx: (F.adaptive_avg_pool2d(xx, (3, 2)) ** 2).sum(), xs)


def test_cnn_tape_matches_transforms_and_jit() -> None:
    fl.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 4, 3, padding=1),
                          nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3))
    x = fl.tensor(RNG.standard_normal((5, 1, 8, 8)).astype(np.float32))
    y = fl.tensor(RNG.integers(0, 3, 5))
    F.cross_entropy(model(x), y).backward()
    params = {k: v.detach() for k, v in model.named_parameters()}
    g = func.grad(lambda p: F.cross_entropy(func.functional_call(model, p, (x,)), y))(params)
    arrays = {k: v.array() for k, v in params.items()}

    def loss(p: Any) -> Any:
        logits = func.functional_call(model, p, (x.array(),))
        return -fl.numpy.mean(fl.numpy.take_along_axis(fl.nn.log_softmax(logits, axis=1), y.array()[:, None], 1))

    gj = fl.jit(fl.grad(loss))(arrays)
    for k, p in model.named_parameters():
        np.testing.assert_allclose(g[k].numpy(), p.grad.numpy(), rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(np.asarray(gj[k]), p.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_modules_repr_and_init() -> None:
    assert repr(nn.Conv2d(1, 32, 3, padding=1)) == "Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    assert repr(nn.Conv1d(2, 4, 3, stride=2, bias=False, groups=2)) == \
        "Conv1d(2, 4, kernel_size=(3,), stride=(2,), groups=2, bias=False)"
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.AvgPool2d(3, 1, 1)) == "AvgPool2d(kernel_size=3, stride=1, padding=1)"
    assert repr(nn.AdaptiveAvgPool2d((1, 1))) == "AdaptiveAvgPool2d(output_size=(1, 1))"
    conv = nn.Conv2d(4, 6, (3, 5))
    bound = 1 / math.sqrt(4 * 15)
    assert conv.weight.shape == (6, 4, 3, 5)
    assert float(conv.weight.abs().max()) <= bound and float(conv.bias.abs().max()) <= bound
    reflect = nn.Conv2d(1, 1, 3, padding=1, padding_mode="circular", bias=False)
    with fl.no_grad():
        reflect.weight.fill_(1.0)
    assert reflect(fl.ones(1, 1, 4, 4)).tolist() == [[[[9.0] * 4] * 4]]


# --- against PyTorch (compare extra) -------------------------------------------------------------

def test_layers_forward_and_backward_against_torch() -> None:
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    x = RNG.standard_normal((3, 4, 9, 8)).astype(np.float32)
    cases = [
        (lambda m, t: m.nn.functional.conv2d(t, m.tensor(W), m.tensor(B), stride=2, padding=1, dilation=1, groups=2)),
        (lambda m, t: m.nn.functional.conv2d(t, m.tensor(W), None, padding="same", dilation=(2, 1), groups=2)),
        (lambda m, t: m.nn.functional.max_pool2d(t, 3, 2, 1, ceil_mode=True)),
        (lambda m, t: m.nn.functional.avg_pool2d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False)),
        (lambda m, t: m.nn.functional.avg_pool2d(t, 2)),
        (lambda m, t: m.nn.functional.adaptive_avg_pool2d(t, (4, 3))),
        (lambda m, t: m.nn.functional.max_pool1d(t.flatten(2), 4, 3)),
        (lambda m, t: m.nn.functional.conv1d(t.flatten(2), m.tensor(W[:, :, 0]), stride=3, groups=2)),
    ]
    for case in cases:
        outs, grads = [], []
        for m in (fl, torch):
            t = m.tensor(x, requires_grad=True)
            out = case(m, t)
            (out * out).sum().backward()
            outs.append(out.detach().numpy())
            grads.append(t.grad.numpy())
        np.testing.assert_allclose(outs[0], outs[1], rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(grads[0], grads[1], rtol=1e-3, atol=1e-3)


W = RNG.standard_normal((6, 2, 3, 3)).astype(np.float32)
B = RNG.standard_normal(6).astype(np.float32)
