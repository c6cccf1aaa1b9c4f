"""``functorch_lite.lax.linalg``: the decomposition primitives under ``jax.lax.linalg``'s names.

Real and complex floating-point inputs; every function batches over leading axes
and is differentiable (see ``functorch_lite/ops/linalg_decomp.py`` for the
rules and their degenerate points).

Example:
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite.lax import linalg
    >>> linalg.cholesky(jnp.array([[4.0, 2.0], [2.0, 2.0]])).tolist()
    [[2.0, 0.0], [1.0, 1.0]]
"""

# The public face of functorch_lite.lax._linalg_impl: only the names of ``__all__``, so
# the implementation's imports (numpy, typing...) do not leak into this namespace.

from functorch_lite.lax._linalg_impl import (
    cholesky as cholesky,
)
from functorch_lite.lax._linalg_impl import (
    eig as eig,
)
from functorch_lite.lax._linalg_impl import (
    eigh as eigh,
)
from functorch_lite.lax._linalg_impl import (
    lu as lu,
)
from functorch_lite.lax._linalg_impl import (
    lu_pivots_to_permutation as lu_pivots_to_permutation,
)
from functorch_lite.lax._linalg_impl import (
    qr as qr,
)
from functorch_lite.lax._linalg_impl import (
    svd as svd,
)
from functorch_lite.lax._linalg_impl import (
    triangular_solve as triangular_solve,
)

__all__ = [
    "cholesky", "triangular_solve", "lu", "lu_pivots_to_permutation", "qr", "eigh", "svd", "eig",
]
