"""Update formulas shared by the optimizers, on Tensors under ``no_grad``.

Moving averages are the functional optimizers' ``update_moment`` (one formula for
both front ends); what PyTorch does differently (coupled weight decay added
to the gradient, SGD's dampening, RMSprop's eps outside the square root) is
written where it is used.

Example:
    >>> import functorch_lite as fl
    >>> from functorch_lite.optim._math import ema_
    >>> m = fl.zeros(1)
    >>> round(ema_(m, fl.tensor([1.0]), 0.9, 1).item(), 6)
    0.1
"""

from __future__ import annotations

from typing import Any

# one definition of the exponential moving average for optax-style and torch-style optimizers
from functorch_lite.optimizers import update_moment
from functorch_lite.stateful import Tensor, tensor


def ema_(avg: Tensor, grad: Tensor, decay: float, order: int) -> Tensor:
    """``avg <- decay * avg + (1 - decay) * grad**order``, in place.

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite.optim._math import ema_
        >>> ema_(fl.ones(1), fl.tensor([3.0]), 0.5, 2).tolist()
        [5.0]
    """
    return avg.copy_(update_moment(grad, avg, decay, order))  # type: ignore[no-any-return]


def signed_grad(grad: Tensor, maximize: bool) -> Tensor:
    """The gradient to descend: negated when maximising (as PyTorch's code,
    before weight decay is added)."""
    return -grad if maximize else grad


def coupled_decay(grad: Tensor, param: Tensor, weight_decay: float) -> Tensor:
    """PyTorch's L2 penalty: ``grad + weight_decay * param`` (optax's
    ``add_decayed_weights`` adds it to the update instead)."""
    return grad.add(param, alpha=weight_decay) if weight_decay != 0 else grad


def next_step(state: dict[str, Any]) -> float:
    """Increment the state's float32 ``step`` tensor (PyTorch keeps it as a tensor); the new count."""
    if "step" not in state:
        state["step"] = tensor(0.0)
    state["step"].add_(1)
    return float(state["step"].item())
