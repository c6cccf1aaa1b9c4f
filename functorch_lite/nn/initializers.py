"""Parameter initializers, as ``jax.nn.initializers``.

Each factory returns a function ``init(key, shape, dtype=float32) -> Array``
that draws from :mod:`functorch_lite.random`, so the same key gives the same
values every time.  ``variance_scaling`` is the general form: the variance
``scale / fan`` (``fan`` from the shape: ``fan_in`` is ``shape[in_axis]``
times the receptive field, the product of the dimensions that are neither
``in_axis`` nor ``out_axis``), drawn from a truncated normal (rescaled so the
variance is the one asked for), a normal, or a uniform.  ``glorot_*``,
``he_*`` and ``lecun_*`` are its usual settings; ``orthogonal`` draws
(semi-)orthogonal matrices through a QR decomposition.

Example:
    >>> from functorch_lite import random
    >>> from functorch_lite.nn import initializers
    >>> w = initializers.glorot_uniform()(random.key(0), (3, 4))
    >>> w.shape, w.dtype.name
    ((3, 4), 'float32')
"""

# The public face of functorch_lite.nn._initializers_impl: only the names of ``__all__``, so
# the implementation's imports (numpy, typing...) do not leak into this namespace.

from functorch_lite.nn._initializers_impl import (
    Initializer as Initializer,
)
from functorch_lite.nn._initializers_impl import (
    constant as constant,
)
from functorch_lite.nn._initializers_impl import (
    glorot_normal as glorot_normal,
)
from functorch_lite.nn._initializers_impl import (
    glorot_uniform as glorot_uniform,
)
from functorch_lite.nn._initializers_impl import (
    he_normal as he_normal,
)
from functorch_lite.nn._initializers_impl import (
    he_uniform as he_uniform,
)
from functorch_lite.nn._initializers_impl import (
    kaiming_normal as kaiming_normal,
)
from functorch_lite.nn._initializers_impl import (
    kaiming_uniform as kaiming_uniform,
)
from functorch_lite.nn._initializers_impl import (
    lecun_normal as lecun_normal,
)
from functorch_lite.nn._initializers_impl import (
    lecun_uniform as lecun_uniform,
)
from functorch_lite.nn._initializers_impl import (
    normal as normal,
)
from functorch_lite.nn._initializers_impl import (
    ones as ones,
)
from functorch_lite.nn._initializers_impl import (
    orthogonal as orthogonal,
)
from functorch_lite.nn._initializers_impl import (
    truncated_normal as truncated_normal,
)
from functorch_lite.nn._initializers_impl import (
    uniform as uniform,
)
from functorch_lite.nn._initializers_impl import (
    variance_scaling as variance_scaling,
)
from functorch_lite.nn._initializers_impl import (
    xavier_normal as xavier_normal,
)
from functorch_lite.nn._initializers_impl import (
    xavier_uniform as xavier_uniform,
)
from functorch_lite.nn._initializers_impl import (
    zeros as zeros,
)

__all__ = [
    "Initializer", "zeros", "ones", "constant", "normal", "uniform", "truncated_normal", "variance_scaling",
    "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal",
    "orthogonal", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
]
