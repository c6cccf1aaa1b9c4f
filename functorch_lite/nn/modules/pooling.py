"""Pooling layers: ``MaxPool1d/2d``, ``AvgPool1d/2d``,
``AdaptiveAvgPool1d/2d``, with PyTorch's arguments and printed form.

Example:
    >>> from functorch_lite import nn
    >>> nn.MaxPool2d(2)
    MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
    >>> nn.AvgPool2d(2), nn.AdaptiveAvgPool2d((1, 1))
    (AvgPool2d(kernel_size=2, stride=2, padding=0), AdaptiveAvgPool2d(output_size=(1, 1)))
"""

from __future__ import annotations

from typing import Any

from functorch_lite.nn import _conv
from functorch_lite.nn.modules.module import Module
from functorch_lite.stateful import Tensor


class _MaxPoolNd(Module):
    _nsp = 0

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return _conv._max_pool(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                               self.return_indices, self._nsp, f"max_pool{self._nsp}d")

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Max pooling over (N, C, L) input (``torch.nn.MaxPool1d``).

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite import nn
        >>> nn.MaxPool1d(2)(fl.tensor([[[1.0, 4.0, 2.0, 3.0]]])).tolist()
        [[[4.0, 3.0]]]
    """

    _nsp = 1


class MaxPool2d(_MaxPoolNd):
    """Max pooling over (N, C, H, W) input (``torch.nn.MaxPool2d``); the
    gradient goes to the first maximum of each window.

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite import nn
        >>> nn.MaxPool2d(2)(fl.ones(3, 8, 28, 28)).shape
        functorch_lite.Size([3, 8, 14, 14])
    """

    _nsp = 2


class _AvgPoolNd(Module):
    _nsp = 0

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return _conv._avg_pool(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                               self.count_include_pad, self.divisor_override, self._nsp, f"avg_pool{self._nsp}d")

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """Average pooling over (N, C, L) input (``torch.nn.AvgPool1d``).

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite import nn
        >>> nn.AvgPool1d(2)(fl.tensor([[[1.0, 3.0, 2.0, 4.0]]])).tolist()
        [[[2.0, 3.0]]]
    """

    _nsp = 1

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)


class AvgPool2d(_AvgPoolNd):
    """Average pooling over (N, C, H, W) input (``torch.nn.AvgPool2d``).

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite import nn
        >>> nn.AvgPool2d(2)(fl.ones(1, 1, 4, 4)).tolist()
        [[[[1.0, 1.0], [1.0, 1.0]]]]
    """

    _nsp = 2


class _AdaptiveAvgPoolNd(Module):
    _nsp = 0

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return _conv._adaptive(input, self.output_size, self._nsp, f"adaptive_avg_pool{self._nsp}d")

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Average pooling of (N, C, L) input to ``output_size`` positions.

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite import nn
        >>> nn.AdaptiveAvgPool1d(1)(fl.tensor([[[1.0, 2.0, 6.0]]])).tolist()
        [[[3.0]]]
    """

    _nsp = 1


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Average pooling of (N, C, H, W) input to ``output_size``
    (``torch.nn.AdaptiveAvgPool2d``; ``(1, 1)`` is global average pooling).

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite import nn
        >>> nn.AdaptiveAvgPool2d((2, 1))(fl.ones(1, 3, 5, 7)).shape
        functorch_lite.Size([1, 3, 2, 1])
    """

    _nsp = 2
