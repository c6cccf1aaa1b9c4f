"""``functorch_lite.numpy``: the ``jax.numpy`` of this library.

NumPy's names and semantics over immutable Arrays; every function is built
from primitives, so it is differentiable, batchable and jittable.  This
module is also the Array API namespace (``x.__array_namespace__()``).

Example:
    >>> import functorch_lite.numpy as jnp
    >>> x = jnp.linspace(0.0, 1.0, 5)
    >>> float(jnp.sum(x * 2))
    5.0
"""



import math as _math
import sys as _sys

import numpy as _np

from functorch_lite import dtypes as _dtypes
from functorch_lite.array import Array as _Array
from functorch_lite.numpy import (
    _array_api,
    _creation,
    _elementwise,
    _indexing,
    _linalg,
    _manipulation,
    _pad_modes,
    _rearrange,
    _reductions,
    _sorting,
)
from functorch_lite.numpy import fft as fft
from functorch_lite.numpy import linalg as linalg
from functorch_lite.numpy._array_api import *  # noqa: F403
from functorch_lite.numpy._array_api import __array_namespace_info__ as __array_namespace_info__
from functorch_lite.numpy._creation import *  # noqa: F403
from functorch_lite.numpy._elementwise import *  # noqa: F403
from functorch_lite.numpy._indexing import *  # noqa: F403
from functorch_lite.numpy._linalg import *  # noqa: F403
from functorch_lite.numpy._manipulation import *  # noqa: F403
from functorch_lite.numpy._pad_modes import *  # noqa: F403
from functorch_lite.numpy._rearrange import *  # noqa: F403
from functorch_lite.numpy._reductions import *  # noqa: F403
from functorch_lite.numpy._scalar_types import bool_ as bool_
from functorch_lite.numpy._scalar_types import complex64 as complex64
from functorch_lite.numpy._scalar_types import complex128 as complex128
from functorch_lite.numpy._scalar_types import float32 as float32
from functorch_lite.numpy._scalar_types import float64 as float64
from functorch_lite.numpy._scalar_types import int8 as int8
from functorch_lite.numpy._scalar_types import int16 as int16
from functorch_lite.numpy._scalar_types import int32 as int32
from functorch_lite.numpy._scalar_types import int64 as int64
from functorch_lite.numpy._scalar_types import uint8 as uint8
from functorch_lite.numpy._scalar_types import uint16 as uint16
from functorch_lite.numpy._scalar_types import uint32 as uint32
from functorch_lite.numpy._scalar_types import uint64 as uint64
from functorch_lite.numpy._sorting import *  # noqa: F403

__array_api_version__ = "2024.12"  # the revision jax.numpy declares
ndarray = _Array
pi = _math.pi
e = _math.e
inf = _math.inf
nan = _math.nan
newaxis = None
euler_gamma = 0.5772156649015329

dtype = _np.dtype
finfo = _dtypes.finfo
iinfo = _dtypes.iinfo
promote_types = _dtypes.promote_types
can_cast = _np.can_cast


# The public namespace: what ``from functorch_lite.numpy import *`` gives and
# what type checkers treat as exported (tests/test_public_namespaces.py).
__all__ = [
    "fft", "linalg", "ndarray", "pi", "e", "inf", "nan", "newaxis", "euler_gamma",
    "dtype", "finfo", "iinfo", "promote_types", "can_cast",
    "bool_", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float32", "float64", "complex64", "complex128",
]
__all__ += _array_api.__all__
__all__ += _creation.__all__
__all__ += _elementwise.__all__
__all__ += _indexing.__all__
__all__ += _linalg.__all__
__all__ += _manipulation.__all__
__all__ += _pad_modes.__all__
__all__ += _rearrange.__all__
__all__ += _reductions.__all__
__all__ += _sorting.__all__

from functorch_lite.numpy import _methods  # noqa: E402

_methods.install(_sys.modules[__name__])

from functorch_lite.numpy._util import guard_arraylike as _guard_arraylike  # noqa: E402

_guard_arraylike(globals(), _methods.NumpyOps)  # JAX's check_arraylike: no list for an array argument
_guard_arraylike(vars(linalg))
