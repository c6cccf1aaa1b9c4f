"""``nn.functional``: PyTorch's functional layers and losses on Tensors
(``F.relu``, ``F.linear``, ``F.cross_entropy``...).

Every function is composed of Tensor operations, so the autograd tape
records the primitives they run and their vjp rules give the gradients (no
derivative formula lives here).  The jax.nn-style functions on Arrays are
the lowercase names of :mod:`functorch_lite.nn` itself.

Example:
    >>> import functorch_lite as fl
    >>> import functorch_lite.nn.functional as F
    >>> F.relu(fl.tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
"""

# The public face of functorch_lite.nn._functional_impl: only the names of ``__all__``, so
# the implementation's imports (numpy, typing...) do not leak into this namespace.

from functorch_lite.nn._functional_impl import (
    adaptive_avg_pool1d as adaptive_avg_pool1d,
)
from functorch_lite.nn._functional_impl import (
    adaptive_avg_pool2d as adaptive_avg_pool2d,
)
from functorch_lite.nn._functional_impl import (
    avg_pool1d as avg_pool1d,
)
from functorch_lite.nn._functional_impl import (
    avg_pool2d as avg_pool2d,
)
from functorch_lite.nn._functional_impl import (
    batch_norm as batch_norm,
)
from functorch_lite.nn._functional_impl import (
    bilinear as bilinear,
)
from functorch_lite.nn._functional_impl import (
    binary_cross_entropy as binary_cross_entropy,
)
from functorch_lite.nn._functional_impl import (
    binary_cross_entropy_with_logits as binary_cross_entropy_with_logits,
)
from functorch_lite.nn._functional_impl import (
    conv1d as conv1d,
)
from functorch_lite.nn._functional_impl import (
    conv2d as conv2d,
)
from functorch_lite.nn._functional_impl import (
    conv3d as conv3d,
)
from functorch_lite.nn._functional_impl import (
    cross_entropy as cross_entropy,
)
from functorch_lite.nn._functional_impl import (
    dropout as dropout,
)
from functorch_lite.nn._functional_impl import (
    embedding as embedding,
)
from functorch_lite.nn._functional_impl import (
    gelu as gelu,
)
from functorch_lite.nn._functional_impl import (
    l1_loss as l1_loss,
)
from functorch_lite.nn._functional_impl import (
    layer_norm as layer_norm,
)
from functorch_lite.nn._functional_impl import (
    leaky_relu as leaky_relu,
)
from functorch_lite.nn._functional_impl import (
    linear as linear,
)
from functorch_lite.nn._functional_impl import (
    log_softmax as log_softmax,
)
from functorch_lite.nn._functional_impl import (
    max_pool1d as max_pool1d,
)
from functorch_lite.nn._functional_impl import (
    max_pool2d as max_pool2d,
)
from functorch_lite.nn._functional_impl import (
    mse_loss as mse_loss,
)
from functorch_lite.nn._functional_impl import (
    nll_loss as nll_loss,
)
from functorch_lite.nn._functional_impl import (
    one_hot as one_hot,
)
from functorch_lite.nn._functional_impl import (
    relu as relu,
)
from functorch_lite.nn._functional_impl import (
    sigmoid as sigmoid,
)
from functorch_lite.nn._functional_impl import (
    silu as silu,
)
from functorch_lite.nn._functional_impl import (
    smooth_l1_loss as smooth_l1_loss,
)
from functorch_lite.nn._functional_impl import (
    softmax as softmax,
)
from functorch_lite.nn._functional_impl import (
    softplus as softplus,
)
from functorch_lite.nn._functional_impl import (
    tanh as tanh,
)

__all__ = [
    "relu", "gelu", "tanh", "sigmoid", "silu", "leaky_relu", "softplus", "softmax", "log_softmax", "linear",
    "bilinear", "dropout", "layer_norm", "batch_norm", "embedding", "one_hot", "mse_loss", "l1_loss",
    "smooth_l1_loss", "nll_loss", "cross_entropy", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "conv1d", "conv2d", "conv3d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d",
]
