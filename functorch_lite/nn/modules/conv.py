"""Convolution layers: ``Conv1d``, ``Conv2d``, ``Conv3d``, with PyTorch's
arguments, default initialisation and printed form.

Example:
    >>> from functorch_lite import nn
    >>> nn.Conv2d(1, 32, 3, padding=1)
    Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
"""

from __future__ import annotations

import math
from typing import Any

from functorch_lite.nn import _conv, init
from functorch_lite.nn.modules.module import Module
from functorch_lite.nn.parameter import Parameter
from functorch_lite.stateful import Tensor, empty


class _ConvNd(Module):
    _nsp = 0

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        n = self._nsp
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(f"in_channels ({in_channels}) and out_channels ({out_channels}) must be divisible by "
                             f"groups ({groups})")
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ValueError(f"padding_mode must be one of 'zeros', 'reflect', 'replicate', 'circular', got "
                             f"{padding_mode!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _conv.ntuple(kernel_size, n, "kernel_size")
        self.stride = _conv.ntuple(stride, n, "stride")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding: Any = padding
        else:
            self.padding = _conv.ntuple(padding, n, "padding")
        self.dilation = _conv.ntuple(dilation, n, "dilation")
        self.groups = groups
        self.padding_mode = padding_mode
        self.transposed = False
        self.output_padding = (0,) * n
        self.weight = Parameter(empty(out_channels, in_channels // groups, *self.kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: ``kaiming_uniform_(a=sqrt(5))`` for the weight,
        U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        padding, x = self.padding, input
        if self.padding_mode != "zeros" and not isinstance(padding, str):
            x = _conv.pad_input(x, padding, self.padding_mode)
            padding = 0
        return _conv._conv(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups,
                           self._nsp, f"conv{self._nsp}d")

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * self._nsp:
            s += f", padding={self.padding!r}"
        if self.dilation != (1,) * self._nsp:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    """1-D convolution layer over (N, C, L) input (``torch.nn.Conv1d``).

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite import nn
        >>> nn.Conv1d(2, 4, 3)(fl.ones(5, 2, 10)).shape
        functorch_lite.Size([5, 4, 8])
    """

    _nsp = 1


class Conv2d(_ConvNd):
    """2-D convolution layer over (N, C, H, W) input (``torch.nn.Conv2d``):
    stride, padding (ints, pairs, ``'same'``/``'valid'``), dilation, groups,
    ``padding_mode`` (``'zeros'``, ``'reflect'``, ``'replicate'``, ``'circular'``).

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite import nn
        >>> nn.Conv2d(1, 8, 3, stride=2, padding=1)(fl.ones(4, 1, 28, 28)).shape
        functorch_lite.Size([4, 8, 14, 14])
    """

    _nsp = 2


class Conv3d(_ConvNd):
    """3-D convolution layer over (N, C, D, H, W) input (``torch.nn.Conv3d``).

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite import nn
        >>> nn.Conv3d(1, 2, 3)(fl.ones(1, 1, 4, 4, 4)).shape
        functorch_lite.Size([1, 2, 2, 2, 2])
    """

    _nsp = 3
