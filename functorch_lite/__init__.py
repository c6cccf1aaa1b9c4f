"""functorch_lite: JAX-style functional arrays on Numba kernels.

Example:
    >>> import functorch_lite as fl
    >>> import functorch_lite.numpy as jnp
    >>> fl.__version__ != ""
    True
"""

from functorch_lite import debug, dtypes, export, lax, numpy, ops, random, tree
from functorch_lite.array import Array, Storage, ViewBoundsError
from functorch_lite.transforms.ad import grad, jvp, linearize, stop_gradient, value_and_grad, vjp
from functorch_lite.transforms.batching import vmap
from functorch_lite.transforms.custom import checkpoint, custom_jvp, custom_vjp, remat
from functorch_lite.transforms.jacobians import hessian, jacfwd, jacobian, jacrev
from functorch_lite.transforms.jit import config, disable_jit, jit
from functorch_lite.transforms.staging import ShapeDtypeStruct, eval_shape, make_ir

__version__ = "0.1.0"

__all__ = [
    "Array", "Storage", "ViewBoundsError", "__version__",
    "debug", "dtypes", "export", "lax", "numpy", "ops", "random", "tree",
    "grad", "value_and_grad", "vjp", "jvp", "linearize", "stop_gradient", "vmap",
    "jacrev", "jacfwd", "jacobian", "hessian", "custom_jvp", "custom_vjp", "checkpoint", "remat",
    "jit", "disable_jit", "config", "make_ir", "eval_shape", "ShapeDtypeStruct",
]
