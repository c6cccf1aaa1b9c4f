"""``functorch_lite.autograd``: PyTorch's autograd functions for tensors
(``grad``, ``backward``, ``Function``), on the tape of
:mod:`functorch_lite.stateful._autograd`.

Example:
    >>> import functorch_lite as fl
    >>> x = fl.tensor(2.0, requires_grad=True)
    >>> (g,) = fl.autograd.grad(x ** 3, x, create_graph=True)
    >>> g, fl.autograd.grad(g, x)[0]
    (tensor(12., grad_fn=<PowBackwardBackward0>), tensor(12.))
"""

# The public face of functorch_lite._autograd_impl: only the names of ``__all__``, so
# the implementation's imports (numpy, typing...) do not leak into this namespace.

from functorch_lite._autograd_impl import (
    Function as Function,
)
from functorch_lite._autograd_impl import (
    FunctionCtx as FunctionCtx,
)
from functorch_lite._autograd_impl import (
    backward as backward,
)
from functorch_lite._autograd_impl import (
    enable_grad as enable_grad,
)
from functorch_lite._autograd_impl import (
    grad as grad,
)
from functorch_lite._autograd_impl import (
    no_grad as no_grad,
)
from functorch_lite._autograd_impl import (
    set_grad_enabled as set_grad_enabled,
)

__all__ = [
    "grad", "backward", "Function", "FunctionCtx", "no_grad", "enable_grad", "set_grad_enabled",
]
