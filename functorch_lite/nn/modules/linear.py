"""Affine layers: ``Identity``, ``Linear``, ``Bilinear``, with PyTorch's
default initialisation.

Example:
    >>> from functorch_lite import nn
    >>> nn.Linear(1, 1)
    Linear(in_features=1, out_features=1, bias=True)
"""

from __future__ import annotations

import math
from typing import Any

from functorch_lite.nn import functional as F
from functorch_lite.nn import init
from functorch_lite.nn.modules.module import Module
from functorch_lite.nn.parameter import Parameter
from functorch_lite.stateful import Tensor, empty


class Identity(Module):
    """Returns its input (arguments are accepted and ignored, as PyTorch).

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite import nn
        >>> nn.Identity(54, unused="x")(fl.tensor([1.0])).tolist()
        [1.0]
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return input


class Linear(Module):
    """``y = x W^T + b`` with ``weight`` (out, in) and ``bias`` (out,),
    initialised as PyTorch: ``kaiming_uniform_(a=sqrt(5))`` for the weight
    and U(-1/sqrt(in), 1/sqrt(in)) for the bias.

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite import nn
        >>> m = nn.Linear(3, 2)
        >>> m(fl.zeros(4, 3)).shape, bool((m.weight.abs() <= 3 ** -0.5).all())
        (functorch_lite.Size([4, 2]), True)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(empty(out_features, in_features, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default initialisation (see the class docstring)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Bilinear(Module):
    """``y_k = x1^T W_k x2 + b_k`` with ``weight`` (out, in1, in2); weight
    and bias uniform in ±1/sqrt(in1), as PyTorch.

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite import nn
        >>> nn.Bilinear(2, 3, 4)(fl.ones(5, 2), fl.ones(5, 3)).shape
        functorch_lite.Size([5, 4])
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(empty(out_features, in1_features, in2_features, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
