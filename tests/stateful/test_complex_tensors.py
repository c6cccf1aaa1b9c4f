"""Complex (and wide unsigned) tensors in the PyTorch-style layer: creation,
promotion by category (bool < int < float < complex), the complex methods,
printing, random sampling, and autograd in PyTorch's convention (``.grad`` of
a real loss is dL/dx + i dL/dy, the conjugate of the functional core's JAX
convention), checked against finite differences and, when installed,
against PyTorch itself."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import functorch_lite as fl

pytestmark = pytest.mark.usefixtures("x64_off")  # PyTorch's dtypes whatever the functional mode


def test_creation_and_dtypes() -> None:
    assert fl.tensor([1 + 2j]).dtype == fl.complex64 and fl.tensor([1 + 2j]).dtype is fl.cfloat
    assert fl.tensor(np.array([1j], np.complex128)).dtype == fl.complex128
    assert fl.zeros(2, dtype=fl.cdouble).dtype == fl.complex128
    assert fl.tensor([1, 2], dtype=fl.uint32).dtype == fl.uint32
    fl.set_default_dtype(fl.float64)
    try:
        assert fl.tensor([1j]).dtype == fl.complex128  # the default float's precision, as PyTorch
    finally:
        fl.set_default_dtype(fl.float32)
    assert fl.tensor([1j]).is_complex() and not fl.tensor([1.0]).is_complex() and fl.is_complex(fl.tensor([1j]))


@pytest.mark.parametrize("expr,want", [
    ("fl.tensor([1.0, 2.0]) * 1j", "complex64"),
    ("fl.tensor([1, 2]) * 1j", "complex64"),
    ("fl.tensor([1.0], dtype=fl.float64) + 2j", "complex128"),
    ("fl.tensor([1j]) + fl.tensor([1.0], dtype=fl.float64)", "complex128"),
    ("fl.tensor([1j]) + fl.tensor(1.0, dtype=fl.float64)", "complex64"),  # a 0-d float keeps the precision
    ("fl.tensor([1.0]) + fl.tensor(1j, dtype=fl.complex128)", "complex64"),  # a 0-d complex: complex64
    ("fl.tensor([1j]).abs()", "float32"),
    ("fl.tensor([1j], dtype=fl.complex128).real", "float64"),
    ("fl.tensor([1j]).angle()", "float32"),
    ("fl.tensor([1j]).sum()", "complex64"),
    ("fl.tensor([1j]).mean()", "complex64"),
])
def test_promotion_matches_pytorch(expr: str, want: str) -> None:
    got = eval(expr, {"fl": fl})
    assert got.dtype.name == want
    torch = pytest.importorskip("torch")
    assert str(eval(expr.replace("fl.", "torch."), {"torch": torch}).dtype) == f"torch.{want}"


def test_complex_methods_against_numpy() -> None:
    z = np.array([1 + 2j, -3 + 0.5j, 0 - 1j], np.complex64)
    t = fl.tensor(z)
    for got, want in ((t.real, z.real), (t.imag, z.imag), (t.conj(), np.conj(z)), (t.abs(), np.abs(z)),
                      (t.angle(), np.angle(z)), (t.exp(), np.exp(z)), (t * t, z * z), (t / (t + 5), z / (z + 5)),
                      (fl.view_as_real(t), np.stack([z.real, z.imag], -1)), (t.sum(), z.sum()),
                      (t @ t, z @ z), (fl.complex(t.real, t.imag), z),
                      (fl.polar(t.abs(), t.angle()), z), (fl.view_as_complex(fl.view_as_real(t)), z)):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, atol=1e-6)
    assert fl.tensor([1.0]).real.tolist() == [1.0] and fl.tensor([1.0]).conj().tolist() == [1.0]
    with pytest.raises(RuntimeError, match="non-complex"):
        _ = fl.tensor([1.0]).imag
    with pytest.raises(RuntimeError, match="same floating dtype"):
        fl.complex(fl.tensor([1.0]), fl.tensor([1], dtype=fl.int64))


def test_printing_follows_pytorch() -> None:
    assert repr(fl.tensor([2.5 - 3j, 7.9121323 + 1.3626225j])) == "tensor([2.5000-3.0000j, 7.9121+1.3626j])"
    assert repr(fl.tensor([6 - 2j, 12 + 4j])) == "tensor([ 6.-2.j, 12.+4.j])"
    assert repr(fl.tensor(1 + 2j)) == "tensor(1.+2.j)"
    assert repr(fl.tensor([1j], dtype=fl.complex128)) == "tensor([0.+1.j], dtype=functorch_lite.complex128)"


def test_random_complex_samples() -> None:
    fl.manual_seed(0)
    x = fl.randn(20000, dtype=fl.complex64).numpy()
    assert x.dtype == np.complex64
    assert abs(np.mean(np.abs(x) ** 2) - 1.0) < 0.05 and abs(x.real.var() - 0.5) < 0.03
    u = fl.rand(20000, dtype=fl.complex128).numpy()
    assert u.dtype == np.complex128 and 0 <= u.real.min() and u.real.max() < 1 and 0 <= u.imag.min() < 1
    with pytest.raises(RuntimeError, match="floating point or complex"):
        fl.randn(2, dtype=fl.int64)


def _loss(m: Any, z: Any, w: Any) -> Any:
    return (z * w).abs().sum() + (z * z).real.sum() + (z.conj() * w).imag.sum()


def _fd_grad(z: np.ndarray[Any, Any], w: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """dL/dx + i dL/dy by central differences (PyTorch's convention)."""
    def f(v: np.ndarray[Any, Any]) -> float:
        return float(np.sum(np.abs(v * w)) + np.sum((v * v).real) + np.sum((np.conj(v) * w).imag))

    g = np.zeros_like(z)
    h = 1e-6
    for i in range(z.size):
        for unit in (1.0, 1j):
            e = np.zeros_like(z)
            e[i] = h * unit
            d = (f(z + e) - f(z - e)) / (2 * h)
            g[i] += d * unit
    return g


def test_backward_gives_pytorchs_conjugate_convention() -> None:
    z0 = np.array([1 + 2j, 3 - 1j, -0.5 + 0.25j])
    w0 = np.array([0.5 - 1j, 2 + 0.25j, -1 + 1j])
    z = fl.tensor(z0, requires_grad=True)
    _loss(fl, z, fl.tensor(w0)).backward()
    assert z.grad is not None and z.grad.dtype == fl.complex128
    np.testing.assert_allclose(z.grad.numpy(), _fd_grad(z0, w0), rtol=1e-6, atol=1e-6)
    # hooks, retain_grad and autograd.grad see the same convention
    z2 = fl.tensor(z0, requires_grad=True)
    seen: list[Any] = []
    y = z2 * 2
    y.retain_grad()
    y.register_hook(lambda g: seen.append(g.clone()))
    out = (y * y.conj()).real.sum()
    (g,) = fl.autograd.grad(out, z2, retain_graph=True)
    out.backward()
    np.testing.assert_allclose(g.numpy(), 8 * z0)  # |2z|^2 = 4|z|^2: gradient 8z (dL/dx + i dL/dy)
    assert len(seen) == 2
    np.testing.assert_allclose(seen[-1].numpy(), 2 * (2 * z0))
    # autograd.grad fills retained gradients too (as PyTorch): two passes accumulated
    np.testing.assert_allclose(y.grad.numpy(), 2 * 2 * (2 * z0))


def test_backward_with_gradient_and_custom_function_match_pytorch() -> None:
    torch = pytest.importorskip("torch")
    z0 = np.array([1 + 2j, 3 - 1j])
    v0 = np.array([1 + 1j, 2.0 + 0j])

    class Square(fl.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            (x,) = ctx.saved_tensors
            return g * 2 * x.conj()  # PyTorch's convention for a holomorphic function

    results = []
    for m, fn in ((fl, lambda t: t * t), (torch, lambda t: t * t), (fl, Square.apply)):
        z = m.tensor(z0, requires_grad=True)
        fn(z).backward(m.tensor(v0))
        results.append(np.asarray(z.grad.detach().numpy() if m is torch else z.grad.numpy()))
    np.testing.assert_allclose(results[0], results[1])
    np.testing.assert_allclose(results[2], results[1])


def test_optimizer_step_on_complex_parameters_matches_pytorch() -> None:
    torch = pytest.importorskip("torch")
    z0 = np.array([1 + 2j, 3 - 1j], np.complex64)
    target = np.array([0.5 + 0.5j, -1 + 0j], np.complex64)
    finals = []
    for m in (fl, torch):
        p = m.tensor(z0, requires_grad=True)
        opt = m.optim.SGD([p], lr=0.1)
        tgt = m.tensor(target)
        for _ in range(5):
            opt.zero_grad()
            ((p - tgt).abs() ** 2).sum().backward()
            opt.step()
        finals.append(np.asarray(p.detach().numpy()))
    np.testing.assert_allclose(finals[0], finals[1], rtol=1e-5, atol=1e-6)
