"""``optim.RMSprop`` (``alpha``, ``eps``, ``centered``, ``momentum``).

Example:
    >>> import functorch_lite as fl
    >>> from functorch_lite import optim
    >>> w = fl.tensor([1.0], requires_grad=True)
    >>> opt = optim.RMSprop([w], lr=0.01, alpha=0.75)
    >>> w.grad = fl.tensor([2.0]); _ = opt.step()
    >>> round(w.item(), 4)
    0.98
"""

from __future__ import annotations

from typing import Any

from functorch_lite.optim._math import coupled_decay, ema_, next_step, signed_grad
from functorch_lite.optim.optimizer import Optimizer
from functorch_lite.stateful import Tensor, zeros_like


class RMSprop(Optimizer):
    """PyTorch's RMSprop: with ``g`` the (negated if ``maximize``) gradient
    plus ``weight_decay * p``::

        v <- alpha v + (1 - alpha) g^2
        a <- alpha a + (1 - alpha) g          (centered)
        d <- sqrt(v - a^2) if centered else sqrt(v);  d <- d + eps
        b <- momentum b + g / d;  p <- p - lr b    (momentum > 0)
        p <- p - lr g / d                          (otherwise)

    The averages are the functional ``optimizers.rmsprop``'s; PyTorch adds
    ``eps`` outside the square root, optax inside (``g / sqrt(v + eps)``).
    """

    def __init__(self, params: Any, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, *,
                 maximize: bool = False) -> None:
        for name, v in (("learning rate", lr), ("epsilon value", eps), ("momentum value", momentum),
                        ("weight_decay value", weight_decay), ("alpha value", alpha)):
            if v < 0.0:
                raise ValueError(f"Invalid {name}: {v}")
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay,
                                  "momentum": momentum, "centered": centered, "maximize": maximize})

    def _update(self, group: dict[str, Any], p: Tensor, grad: Tensor, state: dict[str, Any]) -> None:
        next_step(state)
        if "square_avg" not in state:
            state["square_avg"] = zeros_like(p)
            if group["momentum"] > 0:
                state["momentum_buffer"] = zeros_like(p)
            if group["centered"]:
                state["grad_avg"] = zeros_like(p)
        g = coupled_decay(signed_grad(grad, group["maximize"]), p, group["weight_decay"])
        alpha = group["alpha"]
        v = ema_(state["square_avg"], g, alpha, 2)
        if group["centered"]:
            a = ema_(state["grad_avg"], g, alpha, 1)
            d = (v - a * a).sqrt() + group["eps"]
        else:
            d = v.sqrt() + group["eps"]
        if group["momentum"] > 0:
            buf = state["momentum_buffer"].mul_(group["momentum"]).add_(g / d)
            p.add_(buf, alpha=-group["lr"])
        else:
            p.add_(g / d, alpha=-group["lr"])
