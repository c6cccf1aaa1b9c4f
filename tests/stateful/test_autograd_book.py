"""The thermometer model of *Deep Learning with PyTorch* (the chapter on
autograd), run as the book writes it with ``backward()``, ``params.grad``
and an update under ``no_grad()``, in float32 as in the book.  The reference
is NumPy with the hand-derived gradient of the same loss."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import functorch_lite as fl

# the PyTorch-style layer keeps PyTorch's dtypes whatever the 64-bit mode: test it in the default (off)
pytestmark = pytest.mark.usefixtures("x64_off")

# the book's readings: temperatures in Celsius and in the unknown unit
T_C = [0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0]
T_U = [35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4]


def model(t_u: Any, w: Any, b: Any) -> Any:
    return w * t_u + b


def loss_fn(t_p: Any, t_c: Any) -> Any:
    squared_diffs = (t_p - t_c) ** 2
    return squared_diffs.mean()


def numpy_grad(params: np.ndarray[Any, Any], t_u: np.ndarray[Any, Any],
               t_c: np.ndarray[Any, Any]) -> tuple[np.ndarray[Any, Any], Any]:
    """d loss / d (w, b) by hand: loss = mean((w t_u + b - t_c)^2)."""
    w, b = params
    t_p = w * t_u + b
    d = 2 * (t_p - t_c) / t_u.size
    return np.array([np.sum(d * t_u), np.sum(d)], dtype=params.dtype), np.mean((t_p - t_c) ** 2)


def test_first_params_grad() -> None:
    t_c, t_u = fl.tensor(T_C), fl.tensor(T_U)
    params = fl.tensor([1.0, 0.0], requires_grad=True)
    assert params.grad is None
    loss = loss_fn(model(t_u, *params), t_c)
    loss.backward()
    want, want_loss = numpy_grad(np.array([1.0, 0.0], np.float32), np.array(T_U, np.float32),
                                 np.array(T_C, np.float32))
    print("params.grad:", params.grad)
    assert params.grad.dtype == fl.float32
    np.testing.assert_allclose(params.grad.numpy(), want, rtol=1e-5)
    np.testing.assert_allclose(loss.item(), want_loss, rtol=1e-5)


def training_loop(n_epochs: int, learning_rate: float, params: Any, t_u: Any, t_c: Any) -> Any:
    for _ in range(1, n_epochs + 1):
        if params.grad is not None:
            params.grad.zero_()
        t_p = model(t_u, *params)
        loss = loss_fn(t_p, t_c)
        loss.backward()
        with fl.no_grad():
            params -= learning_rate * params.grad
    return params, loss


def test_manual_training_loop_on_normalised_input() -> None:
    t_c, t_u = fl.tensor(T_C), fl.tensor(T_U)
    t_un = 0.1 * t_u
    params, loss = training_loop(5000, 1e-2, fl.tensor([1.0, 0.0], requires_grad=True), t_un, t_c)
    print("params:", params, "loss:", loss.item())
    p = np.array([1.0, 0.0], np.float32)
    un, c = (np.float32(0.1) * np.array(T_U, np.float32)), np.array(T_C, np.float32)
    for _ in range(5000):
        g, want_loss = numpy_grad(p, un, c)
        p = p - np.float32(1e-2) * g
    assert params.is_leaf and params.requires_grad and params.grad.shape == (2,)
    np.testing.assert_allclose(params.detach().numpy(), p, rtol=2e-4)
    np.testing.assert_allclose(loss.item(), want_loss, rtol=2e-4)
    # the fit converged: w t_un + b reproduces the readings to within their noise
    assert float(loss) < 3.0
