"""``nn.Parameter``: a tensor that a :class:`~functorch_lite.nn.Module`
registers as one of its parameters.

Example:
    >>> import functorch_lite as fl
    >>> from functorch_lite import nn
    >>> p = nn.Parameter(fl.zeros(2))
    >>> p.requires_grad, isinstance(p, fl.Tensor)
    (True, True)
"""

from __future__ import annotations

import copy
from typing import Any

from functorch_lite.stateful import Tensor, empty


class Parameter(Tensor):
    """A :class:`Tensor` that requires grad by default and that a module
    assigned it as an attribute registers as a parameter.

    It shares the storage of ``data`` (as PyTorch's ``Parameter``); results
    of operations on it are plain tensors.

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite import nn
        >>> nn.Parameter(fl.tensor([1.0, 2.0]))
        Parameter containing:
        tensor([1., 2.], requires_grad=True)
    """

    __slots__ = ()

    def __new__(cls, data: Any = None, requires_grad: bool = True) -> Parameter:
        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(data) expects a Tensor, got {type(data).__name__}; "
                            "wrap data with functorch_lite.tensor(...) first")
        if requires_grad and not data.dtype.is_differentiable:
            raise RuntimeError(f"Only Tensors of floating point and complex dtype can require gradients "
                               f"(got {data.dtype}); pass requires_grad=False")
        # a detached view shares the storage and has every slot set; the class is
        # swapped, not the slots copied, so that slots added to Tensor later stay set
        out = data.detach()
        out.__class__ = cls
        out.requires_grad = bool(requires_grad)
        return out  # type: ignore[no-any-return]

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        pass  # everything is set in __new__ (Tensor.__init__ would build a new tensor)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        if id(self) in memo:
            return memo[id(self)]
        out = Parameter(self.clone(), self.requires_grad)
        if self.grad is not None:
            out.grad = copy.deepcopy(self.grad, memo)
        memo[id(self)] = out
        return out


def is_parameter(obj: Any) -> bool:
    """Whether ``obj`` is an :class:`Parameter`.

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite.nn.parameter import is_parameter
        >>> is_parameter(fl.zeros(1))
        False
    """
    return isinstance(obj, Parameter)
