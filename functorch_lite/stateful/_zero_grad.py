"""``zero_grads``: what ``Module.zero_grad`` and ``Optimizer.zero_grad`` both do."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def zero_grads(params: Iterable[Any], set_to_none: bool = True) -> None:
    """Drop (``set_to_none``) or zero in place the ``.grad`` of every tensor in ``params``.

    Example:
        >>> import functorch_lite as fl
        >>> w = fl.ones(2, requires_grad=True)
        >>> (w * 3).sum().backward()
        >>> zero_grads([w], set_to_none=False); w.grad.tolist()
        [0.0, 0.0]
    """
    for p in params:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None
        else:
            if p.grad.grad_fn is not None:  # a grad built with create_graph: drop its graph
                p.grad = p.grad.detach()
            p.grad.zero_()
