"""PyTorch-style layers (``torch.nn``'s classes), re-exported by
:mod:`functorch_lite.nn`.

Example:
    >>> from functorch_lite.nn.modules import Linear
    >>> Linear(2, 1).weight.shape
    functorch_lite.Size([1, 2])
"""

from functorch_lite.nn.modules.activation import GELU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from functorch_lite.nn.modules.container import ModuleDict, ModuleList, Sequential
from functorch_lite.nn.modules.conv import Conv1d, Conv2d, Conv3d
from functorch_lite.nn.modules.linear import Bilinear, Identity, Linear
from functorch_lite.nn.modules.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from functorch_lite.nn.modules.misc import Dropout, Embedding, Flatten
from functorch_lite.nn.modules.module import Module, RemovableHandle
from functorch_lite.nn.modules.normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from functorch_lite.nn.modules.pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    MaxPool1d,
    MaxPool2d,
)

__all__ = [
    "Module", "RemovableHandle", "Linear", "Bilinear", "Identity", "Flatten", "Dropout", "Embedding",
    "BatchNorm1d", "BatchNorm2d", "LayerNorm", "ReLU", "GELU", "Tanh", "Sigmoid", "Softmax", "LogSoftmax",
    "Sequential", "ModuleList", "ModuleDict", "MSELoss", "L1Loss", "SmoothL1Loss", "CrossEntropyLoss", "NLLLoss",
    "BCELoss", "BCEWithLogitsLoss", "Conv1d", "Conv2d", "Conv3d", "MaxPool1d", "MaxPool2d", "AvgPool1d",
    "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
]
