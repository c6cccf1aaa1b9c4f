"""``optim.Adam`` and ``optim.AdamW`` (with ``amsgrad``).

Example:
    >>> import functorch_lite as fl
    >>> from functorch_lite import optim
    >>> w = fl.tensor([1.0], requires_grad=True)
    >>> opt = optim.Adam([w], lr=0.1)
    >>> w.grad = fl.tensor([5.0]); _ = opt.step()
    >>> round(w.item(), 4)
    0.9
"""

from __future__ import annotations

import math
from typing import Any

from functorch_lite.optim._math import coupled_decay, ema_, next_step, signed_grad
from functorch_lite.optim.optimizer import Optimizer
from functorch_lite.stateful import Tensor, zeros_like


def _check(lr: float, betas: tuple[float, float], eps: float, weight_decay: float) -> None:
    if lr < 0.0:
        raise ValueError(f"Invalid learning rate: {lr}")
    if eps < 0.0:
        raise ValueError(f"Invalid epsilon value: {eps}")
    for i, b in enumerate(betas):
        if not 0.0 <= b < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {b}")
    if weight_decay < 0.0:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


class Adam(Optimizer):
    """PyTorch's Adam: with ``g`` the (negated if ``maximize``) gradient::

        g <- g + weight_decay * p               (coupled L2 decay, unlike AdamW)
        m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
        vmax <- max(vmax, v) if amsgrad
        p <- p - lr / (1 - b1^t) * m / (sqrt(v or vmax) / sqrt(1 - b2^t) + eps)

    The moment updates are the functional ``optimizers.adam``'s; ``eps``
    is added after the bias correction of ``sqrt(v)``, as PyTorch and optax.
    """

    _decoupled = False

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, maximize: bool = False) -> None:
        _check(lr, betas, eps, weight_decay)
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                                  "amsgrad": amsgrad, "maximize": maximize})

    def _update(self, group: dict[str, Any], p: Tensor, grad: Tensor, state: dict[str, Any]) -> None:
        lr, (b1, b2), wd = group["lr"], group["betas"], group["weight_decay"]
        t = next_step(state)
        if "exp_avg" not in state:
            state["exp_avg"] = zeros_like(p)
            state["exp_avg_sq"] = zeros_like(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = zeros_like(p)
        g = signed_grad(grad, group["maximize"])
        if self._decoupled:
            p.mul_(1 - lr * wd)
        else:
            g = coupled_decay(g, p, wd)
        m = ema_(state["exp_avg"], g, b1, 1)
        v = ema_(state["exp_avg_sq"], g, b2, 2)
        if group["amsgrad"]:
            v = state["max_exp_avg_sq"].copy_(state["max_exp_avg_sq"].maximum(v))
        denom = v.sqrt() / math.sqrt(1 - b2**t) + group["eps"]
        p.sub_(m / denom * (lr / (1 - b1**t)))


class AdamW(Adam):
    """Adam with decoupled weight decay: ``p <- p (1 - lr weight_decay)``
    before the Adam step (the gradient is not changed); default
    ``weight_decay=1e-2``.

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite import optim
        >>> w = fl.tensor([1.0], requires_grad=True)
        >>> opt = optim.AdamW([w], lr=0.1, weight_decay=0.5)
        >>> w.grad = fl.tensor([0.0]); _ = opt.step()
        >>> round(w.item(), 4)
        0.95
    """

    _decoupled = True

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
