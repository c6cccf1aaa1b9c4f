"""``functorch_lite.numpy.linalg``: norms and the Array API ``linalg`` names.

``norm`` follows ``numpy.linalg.norm`` (vector and matrix orders, ``axis``,
``keepdims``) with JAX's dtypes: integer and boolean inputs are measured in
the default float (float32).  Matrix norms that need singular values
(``'nuc'``, ``2``, ``-2``) are not available yet and raise
``NotImplementedError`` naming what is supported.

``trace`` and ``diagonal`` here follow the Array API (the last two axes),
unlike ``jnp.trace``/``jnp.diagonal`` (axes 0 and 1 by default).

Example:
    >>> import functorch_lite.numpy as jnp
    >>> float(jnp.linalg.norm(jnp.array([3.0, 4.0])))
    5.0
"""

# The public face of functorch_lite.numpy._linalg_api: only the names of ``__all__``, so
# the implementation's imports (numpy, typing...) do not leak into this namespace.

from functorch_lite.numpy._linalg_api import (
    EighResult as EighResult,
)
from functorch_lite.numpy._linalg_api import (
    EigResult as EigResult,
)
from functorch_lite.numpy._linalg_api import (
    QRResult as QRResult,
)
from functorch_lite.numpy._linalg_api import (
    SlogdetResult as SlogdetResult,
)
from functorch_lite.numpy._linalg_api import (
    SVDResult as SVDResult,
)
from functorch_lite.numpy._linalg_api import (
    cholesky as cholesky,
)
from functorch_lite.numpy._linalg_api import (
    cond as cond,
)
from functorch_lite.numpy._linalg_api import (
    cross as cross,
)
from functorch_lite.numpy._linalg_api import (
    det as det,
)
from functorch_lite.numpy._linalg_api import (
    diagonal as diagonal,
)
from functorch_lite.numpy._linalg_api import (
    eig as eig,
)
from functorch_lite.numpy._linalg_api import (
    eigh as eigh,
)
from functorch_lite.numpy._linalg_api import (
    eigvals as eigvals,
)
from functorch_lite.numpy._linalg_api import (
    eigvalsh as eigvalsh,
)
from functorch_lite.numpy._linalg_api import (
    inv as inv,
)
from functorch_lite.numpy._linalg_api import (
    lstsq as lstsq,
)
from functorch_lite.numpy._linalg_api import (
    matmul as matmul,
)
from functorch_lite.numpy._linalg_api import (
    matrix_norm as matrix_norm,
)
from functorch_lite.numpy._linalg_api import (
    matrix_power as matrix_power,
)
from functorch_lite.numpy._linalg_api import (
    matrix_rank as matrix_rank,
)
from functorch_lite.numpy._linalg_api import (
    matrix_transpose as matrix_transpose,
)
from functorch_lite.numpy._linalg_api import (
    multi_dot as multi_dot,
)
from functorch_lite.numpy._linalg_api import (
    norm as norm,
)
from functorch_lite.numpy._linalg_api import (
    outer as outer,
)
from functorch_lite.numpy._linalg_api import (
    pinv as pinv,
)
from functorch_lite.numpy._linalg_api import (
    qr as qr,
)
from functorch_lite.numpy._linalg_api import (
    slogdet as slogdet,
)
from functorch_lite.numpy._linalg_api import (
    solve as solve,
)
from functorch_lite.numpy._linalg_api import (
    svd as svd,
)
from functorch_lite.numpy._linalg_api import (
    svdvals as svdvals,
)
from functorch_lite.numpy._linalg_api import (
    tensordot as tensordot,
)
from functorch_lite.numpy._linalg_api import (
    tensorinv as tensorinv,
)
from functorch_lite.numpy._linalg_api import (
    tensorsolve as tensorsolve,
)
from functorch_lite.numpy._linalg_api import (
    trace as trace,
)
from functorch_lite.numpy._linalg_api import (
    vecdot as vecdot,
)
from functorch_lite.numpy._linalg_api import (
    vector_norm as vector_norm,
)

__all__ = [
    "norm", "vector_norm", "matrix_norm", "vecdot", "matmul", "outer", "tensordot", "trace", "diagonal",
    "matrix_transpose", "cholesky", "solve", "inv", "det", "slogdet", "qr", "svd", "svdvals", "eigh",
    "eigvalsh", "lstsq", "pinv", "matrix_rank", "matrix_power", "multi_dot", "cond", "tensorinv",
    "tensorsolve", "cross", "eig", "eigvals", "EigResult", "EighResult", "QRResult", "SlogdetResult",
    "SVDResult",
]
