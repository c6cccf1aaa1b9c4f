"""``optim.Adagrad`` (``lr_decay``, ``initial_accumulator_value``, ``eps``).

Example:
    >>> import functorch_lite as fl
    >>> from functorch_lite import optim
    >>> w = fl.tensor([1.0], requires_grad=True)
    >>> opt = optim.Adagrad([w], lr=0.5)
    >>> w.grad = fl.tensor([3.0]); _ = opt.step()
    >>> round(w.item(), 4)
    0.5
"""

from __future__ import annotations

from typing import Any

from functorch_lite.optim._math import coupled_decay, next_step, signed_grad
from functorch_lite.optim.optimizer import Optimizer
from functorch_lite.stateful import Tensor, full_like, tensor


class Adagrad(Optimizer):
    """PyTorch's Adagrad: with ``g`` the (negated if ``maximize``) gradient
    plus ``weight_decay * p``::

        lr_t <- lr / (1 + (t - 1) lr_decay)
        s <- s + g^2           (s starts at initial_accumulator_value)
        p <- p - lr_t g / (sqrt(s) + eps)

    As the functional ``optimizers.adagrad`` but with ``eps`` outside the
    square root and PyTorch's defaults (accumulator 0, ``eps=1e-10``).
    """

    def __init__(self, params: Any, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, *, maximize: bool = False) -> None:
        for name, v in (("learning rate", lr), ("lr_decay value", lr_decay), ("weight_decay value", weight_decay),
                        ("initial_accumulator_value value", initial_accumulator_value), ("epsilon value", eps)):
            if v < 0.0:
                raise ValueError(f"Invalid {name}: {v}")
        super().__init__(params, {"lr": lr, "lr_decay": lr_decay, "weight_decay": weight_decay,
                                  "initial_accumulator_value": initial_accumulator_value, "eps": eps,
                                  "maximize": maximize})
        # PyTorch creates the accumulators up front (they are in the state dict before any step)
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = {"step": tensor(0.0), "sum": full_like(p, group["initial_accumulator_value"])}

    def _update(self, group: dict[str, Any], p: Tensor, grad: Tensor, state: dict[str, Any]) -> None:
        if "sum" not in state:
            state["sum"] = full_like(p, group["initial_accumulator_value"])
        t = next_step(state)
        g = coupled_decay(signed_grad(grad, group["maximize"]), p, group["weight_decay"])
        clr = group["lr"] / (1 + (t - 1) * group["lr_decay"])
        s = state["sum"].add_(g * g)
        p.add_(g / (s.sqrt() + group["eps"]), alpha=-clr)
