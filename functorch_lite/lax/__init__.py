"""``functorch_lite.lax``: control flow that works under every transform, and the
windowed primitives (convolution, reduce_window) that nn builds on.

``cond``, ``switch``, ``while_loop``, ``fori_loop``, ``scan``, ``map`` and
``select``.  The functions you pass are traced to IR programs once, so a
traced predicate or loop bound stays traced (under jit they compile to one
loop or branch, not an unrolled sequence).  ``while_loop`` supports forward
mode only (as in JAX); ``fori_loop`` with Python-int bounds and ``scan`` are
reverse-differentiable.

Example:
    >>> import functorch_lite as fl
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite import lax
    >>> lax.fori_loop(0, 5, lambda i, acc: acc + i, 0.0).tolist()
    10.0
"""

from functorch_lite.lax import linalg  # jax.lax.linalg
from functorch_lite.lax._control_flow import (
    cond,
    fori_loop,
    map,  # noqa: A004 - JAX's name
    scan,
    select,
    stop_gradient,
    switch,
    while_loop,
)
from functorch_lite.lax._conv import (
    ConvDimensionNumbers,
    conv,
    conv_dimension_numbers,
    conv_general_dilated,
    conv_transpose,
    conv_with_general_padding,
    padtype_to_pads,
)
from functorch_lite.lax._elementwise import (  # JAX's names
    add,
    complex,  # noqa: A004
    conj,
    imag,
    max,  # noqa: A004
    min,  # noqa: A004
    mul,
    real,
)
from functorch_lite.lax._fft import FftType, fft  # jax.lax.fft
from functorch_lite.lax._incomplete import (  # incomplete gamma and beta functions
    betainc,
    igamma,
    igamma_grad_a,
    igammac,
    random_gamma_grad,
    regularized_incomplete_beta,
)
from functorch_lite.lax._ops import *  # noqa: F403 - elementwise, conversions, shapes, creation, dot_general
from functorch_lite.lax._ops import __all__ as _ops_all
from functorch_lite.lax._reduce import *  # noqa: F403 - reductions, scans, sorts
from functorch_lite.lax._reduce import __all__ as _reduce_all
from functorch_lite.lax._slicing import *  # noqa: F403 - slice and dynamic_slice families
from functorch_lite.lax._slicing import __all__ as _slicing_all
from functorch_lite.lax._windowed import reduce_window, reduce_window_shape_tuple

__all__ = ["cond", "switch", "while_loop", "fori_loop", "scan", "map", "select", "stop_gradient"]
__all__ += ["add", "mul", "max", "min", "reduce_window", "reduce_window_shape_tuple", "linalg"]
__all__ += ["fft", "FftType"]
__all__ += ["real", "imag", "conj", "complex"]
__all__ += ["igamma", "igammac", "igamma_grad_a", "random_gamma_grad", "betainc", "regularized_incomplete_beta"]
__all__ += _ops_all + _reduce_all + _slicing_all

__all__ += ["ConvDimensionNumbers", "conv", "conv_dimension_numbers", "conv_general_dilated", "conv_transpose",
            "conv_with_general_padding", "padtype_to_pads"]
