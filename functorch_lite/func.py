"""``functorch_lite.func``: the functional transforms for tensors and modules,
as ``torch.func``.

``functional_call(module, params, args)`` runs a module with the given
parameters and buffers in place of its own, so a module becomes a function
of its weights; ``grad``, ``grad_and_value``, ``vjp``, ``jvp``, ``jacrev``,
``jacfwd``, ``hessian`` and ``vmap`` take and return tensors (pytrees of
them) and are the core's transforms underneath: one set of derivative rules
(the primitives'), whichever front end calls them.

Inside these transforms the tensors a function sees are traced
(:class:`~functorch_lite.stateful.TracedTensor`): tensor methods, ``nn``
modules and ``nn.functional`` work on them unchanged; their values are read
only where the transform has concrete ones, and an in-place op rebinds the
traced tensor (a write into a view of a traced tensor raises).

``functional_call`` also takes the core's Arrays (or tracers of ``fl.grad``,
``fl.vmap``, ``fl.jit``) as values and then returns core values, so a whole
training step written with modules can be jitted::

    step = fl.jit(lambda p, x, y: fl.value_and_grad(lambda p: loss(functional_call(model, p, (x,)), y))(p))

Example:
    >>> import functorch_lite as fl
    >>> from functorch_lite import nn
    >>> from functorch_lite.func import functional_call, grad
    >>> model = nn.Linear(2, 1)
    >>> params = {k: fl.ones_like(v) for k, v in model.named_parameters()}
    >>> x = fl.tensor([[1.0, 2.0]])
    >>> functional_call(model, params, (x,))
    tensor([[4.]])
    >>> g = grad(lambda p: functional_call(model, p, (x,)).sum())(params)
    >>> g["weight"], g["bias"]
    (tensor([[1., 2.]]), tensor([1.]))
"""

# The public face of functorch_lite._func_impl: only the names of ``__all__``, so
# the implementation's imports (numpy, typing...) do not leak into this namespace.

from functorch_lite._func_impl import (
    functional_call as functional_call,
)
from functorch_lite._func_impl import (
    grad as grad,
)
from functorch_lite._func_impl import (
    grad_and_value as grad_and_value,
)
from functorch_lite._func_impl import (
    hessian as hessian,
)
from functorch_lite._func_impl import (
    jacfwd as jacfwd,
)
from functorch_lite._func_impl import (
    jacrev as jacrev,
)
from functorch_lite._func_impl import (
    jvp as jvp,
)
from functorch_lite._func_impl import (
    stack_module_state as stack_module_state,
)
from functorch_lite._func_impl import (
    vjp as vjp,
)
from functorch_lite._func_impl import (
    vmap as vmap,
)

__all__ = [
    "functional_call", "stack_module_state", "grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd",
    "hessian", "vmap",
]
