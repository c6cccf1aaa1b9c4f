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

from __future__ import annotations

import math as _math
import sys as _sys

import numpy as _np

from functorch_lite import dtypes as _dtypes
from functorch_lite.array import Array
from functorch_lite.numpy import fft as fft
from functorch_lite.numpy import linalg as linalg
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

ndarray = Array
pi = _math.pi
e = _math.e
inf = _math.inf
nan = _math.nan
newaxis = None
euler_gamma = 0.5772156649015329

dtype = _np.dtype
finfo = _dtypes.finfo
iinfo = _dtypes.iinfo
result_type = _dtypes.result_type
promote_types = _dtypes.promote_types
can_cast = _np.can_cast


_ISDTYPE_KINDS = frozenset(
    ["bool", "signed integer", "unsigned integer", "integral", "real floating", "complex floating", "numeric"])


def isdtype(dt: object, kind: object) -> bool:
    """Array API ``isdtype``: whether ``dt`` is of ``kind``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.isdtype(jnp.float32, "real floating")
        True
    """
    d = _dtypes.canonicalize(dt)
    kinds = kind if isinstance(kind, tuple) else (kind,)
    for k in kinds:
        if isinstance(k, str) and k not in _ISDTYPE_KINDS and k not in _dtypes._NAMES:
            raise ValueError(f"isdtype: unknown kind {k!r}; use a dtype or one of {sorted(_ISDTYPE_KINDS)}")
        if k is None or isinstance(k, Array):
            raise TypeError(f"isdtype: kind must be a dtype or a kind name, got {type(k).__name__}")
        if isinstance(k, str) and k in _ISDTYPE_KINDS:
            if (k == "bool" and d.kind == "b") or (k == "signed integer" and d.kind == "i") or (
                k == "unsigned integer" and d.kind == "u") or (k == "integral" and d.kind in "iu") or (
                k in ("real floating", "numeric") and d.kind == "f") or (k == "numeric" and d.kind in "iuc") or (
                k == "complex floating" and d.kind == "c"):
                return True
        elif _dtypes.canonicalize(k) == d:  # raises TypeError for a kind that is neither a name nor a dtype
            return True
    return False


from functorch_lite.numpy import _methods  # noqa: E402

_methods.install(_sys.modules[__name__])

from functorch_lite.numpy._util import guard_arraylike as _guard_arraylike  # noqa: E402

_guard_arraylike(globals(), _methods.NumpyOps)  # JAX's check_arraylike: no list for an array argument
_guard_arraylike(vars(linalg))
