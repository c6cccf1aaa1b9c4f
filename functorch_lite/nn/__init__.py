"""``functorch_lite.nn``: neural-network functions on Arrays, as ``jax.nn``.

The lowercase functions (``relu``, ``gelu``, ``softmax``, ``one_hot``,
``dot_product_attention``...) and :mod:`~functorch_lite.nn.initializers` work
on immutable Arrays under every transform.  The PyTorch-style classes
(``Module``, ``Linear``, ``Sequential``, losses...), ``Parameter``,
:mod:`~functorch_lite.nn.functional` (torch names on Tensors) and
:mod:`~functorch_lite.nn.init` (in-place initialisations) work on Tensors.

Example:
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite import nn
    >>> nn.relu(jnp.array([-1.0, 2.0])).tolist()
    [0.0, 2.0]
"""

from functorch_lite.nn import functional, init, initializers
from functorch_lite.nn._functions import (
    celu,
    dot_product_attention,
    elu,
    gelu,
    glu,
    hard_tanh,
    leaky_relu,
    log_sigmoid,
    log_softmax,
    logsumexp,
    one_hot,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    standardize,
    swish,
)
from functorch_lite.nn.modules import (
    GELU,
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    BCELoss,
    BCEWithLogitsLoss,
    Bilinear,
    Conv1d,
    Conv2d,
    Conv3d,
    CrossEntropyLoss,
    Dropout,
    Embedding,
    Flatten,
    Identity,
    L1Loss,
    LayerNorm,
    Linear,
    LogSoftmax,
    MaxPool1d,
    MaxPool2d,
    Module,
    ModuleDict,
    ModuleList,
    MSELoss,
    NLLLoss,
    ReLU,
    Sequential,
    Sigmoid,
    SmoothL1Loss,
    Softmax,
    Tanh,
)
from functorch_lite.nn.parameter import Parameter

__all__ = [
    "initializers",
    "relu", "relu6", "sigmoid", "softplus", "log_sigmoid", "silu", "swish", "gelu", "elu", "selu", "celu",
    "leaky_relu", "hard_tanh", "glu", "softmax", "log_softmax", "logsumexp", "one_hot", "standardize",
    "dot_product_attention",
    "functional", "init", "Parameter", "Module", "Linear", "Bilinear", "Identity", "Flatten", "Dropout",
    "Embedding", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "ReLU", "GELU", "Tanh", "Sigmoid", "Softmax",
    "LogSoftmax", "Sequential", "ModuleList", "ModuleDict", "MSELoss", "L1Loss", "SmoothL1Loss",
    "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "Conv1d", "Conv2d", "Conv3d", "MaxPool1d",
    "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
]
