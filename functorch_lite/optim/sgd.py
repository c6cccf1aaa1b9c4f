"""``optim.SGD``: stochastic gradient descent with momentum, dampening,
Nesterov momentum, L2 weight decay and ``maximize``.

Example:
    >>> import functorch_lite as fl
    >>> from functorch_lite import optim
    >>> w = fl.tensor([1.0], requires_grad=True)
    >>> opt = optim.SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     w.grad = fl.tensor([1.0]); _ = opt.step()
    >>> round(w.item(), 4)
    0.71
"""

from __future__ import annotations

from typing import Any

from functorch_lite.optim._math import coupled_decay, signed_grad
from functorch_lite.optim.optimizer import Optimizer, required
from functorch_lite.stateful import Tensor


class SGD(Optimizer):
    """PyTorch's SGD: for each parameter with gradient ``g``::

        g <- -g if maximize                      (PyTorch's code negates first)
        g <- g + weight_decay * p                (coupled L2 decay)
        b <- g (first step) or momentum * b + (1 - dampening) * g
        g <- g + momentum * b if nesterov else b (when momentum != 0)
        p <- p - lr * g

    Unlike the functional ``optimizers.sgd`` (optax's ``trace``: ``b <- g +
    momentum * b``), the gradient is scaled by ``1 - dampening`` and the
    buffer starts at the first gradient.  PyTorch's documented pseudo-code
    applies ``maximize`` at the end; its code (whose numbers this follows)
    negates the gradient before the weight decay.
    """

    def __init__(self, params: Any, lr: float = required, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False) -> None:
        if lr is not required and lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize})

    def _update(self, group: dict[str, Any], p: Tensor, grad: Tensor, state: dict[str, Any]) -> None:
        g = coupled_decay(signed_grad(grad, group["maximize"]), p, group["weight_decay"])
        mu = group["momentum"]
        if mu != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.clone().detach()
            else:
                buf.mul_(mu).add_(g, alpha=1 - group["dampening"])
            g = g.add(buf, alpha=mu) if group["nesterov"] else buf
        p.add_(g, alpha=-group["lr"])
