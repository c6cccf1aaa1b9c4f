"""functorch_lite: JAX-style functional arrays on Numba kernels.

Example:
    >>> import functorch_lite as fl
    >>> import functorch_lite.numpy as jnp
    >>> fl.__version__ != ""
    True
"""

import importlib as _importlib
from typing import Any as _Any

from functorch_lite import (
    autograd,
    debug,
    dtypes,
    errors,
    export,
    func,
    lax,
    nn,
    numpy,
    ops,
    optim,
    optimizers,
    random,
    safetensors,
    scipy,
    stateful,
    test_util,
    tree,
    tree_util,
)
from functorch_lite.array import Array, Storage, ViewBoundsError
from functorch_lite.device import Device, devices
from functorch_lite.dtypes import enable_x64
from functorch_lite.placement import device_get, device_put
from functorch_lite.serialization import load, save
from functorch_lite.stateful import (
    Generator,
    Size,
    Tensor,
    TypedStorage,
    UntypedStorage,
    arange,
    as_tensor,
    bool_,
    can_cast,
    cat,
    cdouble,
    cfloat,
    complex,  # noqa: A004 - PyTorch's name
    complex64,
    complex128,
    concat,
    concatenate,
    default_generator,
    double,
    dtype,
    empty,
    empty_like,
    enable_grad,
    eye,
    float32,
    float64,
    from_numpy,
    full,
    full_like,
    get_default_dtype,
    imag,
    inference_mode,
    initial_seed,
    int8,
    int16,
    int32,
    int64,
    is_complex,
    is_grad_enabled,
    is_inference_mode_enabled,
    is_tensor,
    linspace,
    long,
    manual_seed,
    no_grad,
    ones,
    ones_like,
    polar,
    promote_types,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    real,
    seed,
    set_default_dtype,
    set_grad_enabled,
    short,
    stack,
    tensor,
    uint8,
    uint16,
    uint32,
    uint64,
    view_as_complex,
    view_as_real,
    where,
    zeros,
    zeros_like,
)
from functorch_lite.transforms.ad import grad, jvp, linearize, stop_gradient, value_and_grad, vjp
from functorch_lite.transforms.batching import vmap
from functorch_lite.transforms.custom import checkpoint, custom_jvp, custom_vjp, remat
from functorch_lite.transforms.jacobians import hessian, jacfwd, jacobian, jacrev
from functorch_lite.transforms.jit import config, disable_jit, jit
from functorch_lite.transforms.staging import ShapeDtypeStruct, eval_shape, make_ir

__version__ = "0.1.0"

make_jaxpr = make_ir  # JAX's name; the IR prints in its layout


def __getattr__(name: str) -> _Any:
    # PyTorch's dtype names that are Python builtins (fl.float, as torch.float) and the function
    # forms of tensor methods (fl.sum, fl.max, fl.abs...) are served here, so that importing them
    # does not shadow the builtins in this module
    if name in ("bool", "float", "int") or name in stateful.METHOD_FUNCTIONS:
        return getattr(stateful, name)
    if name == "distributed":  # imported on first use: most programs never need it
        return _importlib.import_module("functorch_lite.distributed")
    raise AttributeError(f"module 'functorch_lite' has no attribute {name!r}")

__all__ = [
    "Array", "Storage", "ViewBoundsError", "__version__",
    "debug", "distributed", "dtypes", "errors", "export", "lax", "numpy", "ops", "optim", "optimizers", "random",
    "tree", "tree_util",
    "grad", "value_and_grad", "vjp", "jvp", "linearize", "stop_gradient", "vmap",
    "jacrev", "jacfwd", "jacobian", "hessian", "custom_jvp", "custom_vjp", "checkpoint", "remat",
    "jit", "disable_jit", "config", "enable_x64", "make_ir", "make_jaxpr", "eval_shape", "ShapeDtypeStruct",
    "nn", "scipy", "safetensors", "test_util", "save", "load", "Device", "devices", "device_put", "device_get",
    # the stateful, PyTorch-style layer
    "stateful", "autograd", "func", "Tensor", "Size", "TypedStorage", "UntypedStorage", "Generator",
    "default_generator",
    "cat", "concat", "concatenate", "stack", "randperm",
    "real", "imag", "complex", "polar", "view_as_real", "view_as_complex", "is_complex",
    "tensor", "as_tensor", "from_numpy", "is_tensor", "zeros", "ones", "empty", "full", "arange", "linspace", "eye",
    "rand", "randn", "randint", "zeros_like", "ones_like", "empty_like", "full_like", "rand_like", "randn_like",
    "randint_like", "where", "manual_seed", "initial_seed", "seed",
    "no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled", "is_inference_mode_enabled",
    "dtype", "bool_", "uint8", "int8", "int16", "int32", "int64", "float32", "float64",
    "uint16", "uint32", "uint64", "complex64", "complex128", "cfloat", "cdouble",
    "double", "long", "short", "get_default_dtype", "set_default_dtype", "promote_types", "can_cast",
]
__all__ += ["bool", "float", "int", *(n for n in stateful.METHOD_FUNCTIONS if n not in __all__)]
