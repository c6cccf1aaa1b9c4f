"""The stateful, PyTorch-style layer: :class:`Tensor`, its factories, grad
modes, dtypes and generators (re-exported at the top level).

Example:
    >>> import functorch_lite as fl
    >>> x = fl.zeros(2, 2)
    >>> x[0] += 1
    >>> x.sum().item()
    2.0
"""

from functorch_lite.stateful._base import TypedStorage, UntypedStorage
from functorch_lite.stateful._dtypes import (
    bool_,
    can_cast,
    complex64,
    complex128,
    dtype,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    promote_types,
    set_default_dtype,
    uint8,
    uint16,
    uint32,
    uint64,
)
from functorch_lite.stateful._factories import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    is_tensor,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from functorch_lite.stateful._functions import (
    FUNCTIONS,
    METHOD_FUNCTIONS,
    cat,
    complex,  # noqa: A004 - PyTorch's name
    concat,
    concatenate,
    imag,
    is_complex,
    polar,
    randperm,
    real,
    stack,
    view_as_complex,
    view_as_real,
)
from functorch_lite.stateful._grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from functorch_lite.stateful._layout import Size
from functorch_lite.stateful._math import ValuesIndices, where
from functorch_lite.stateful._random import Generator, default_generator, initial_seed, manual_seed, seed
from functorch_lite.stateful._tensor import Tensor
from functorch_lite.stateful._traced import TracedTensor, to_core, to_tensor

# PyTorch's aliases
float = float32  # noqa: A001
double = float64
long = int64
int = int32  # noqa: A001
short = int16
bool = bool_  # noqa: A001
cfloat = complex64
cdouble = complex128

# the method forms (fl.sum(t) is t.sum()): module attributes, as torch.sum
globals().update(FUNCTIONS)

__all__ = [
    "Tensor", "TracedTensor", "to_core", "to_tensor", "Size", "TypedStorage", "UntypedStorage", "ValuesIndices",
    "Generator", "default_generator",
    "cat", "concat", "concatenate", "stack", "randperm", "METHOD_FUNCTIONS",
    "real", "imag", "complex", "polar", "view_as_real", "view_as_complex", "is_complex",
    "tensor", "as_tensor", "from_numpy", "is_tensor", "zeros", "ones", "empty", "full", "arange", "linspace", "eye",
    "rand", "randn", "randint", "zeros_like", "ones_like", "empty_like", "full_like", "rand_like", "randn_like",
    "randint_like", "where", "manual_seed", "initial_seed", "seed",
    "no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled", "is_inference_mode_enabled",
    "dtype", "bool", "bool_", "uint8", "int8", "int16", "int32", "int64", "float32", "float64",
    "uint16", "uint32", "uint64", "complex64", "complex128", "cfloat", "cdouble",
    "float", "double", "long", "int", "short", "get_default_dtype", "set_default_dtype", "promote_types", "can_cast",
]
__all__ += METHOD_FUNCTIONS
