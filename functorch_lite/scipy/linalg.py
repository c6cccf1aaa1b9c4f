"""``functorch_lite.scipy.linalg``: SciPy's dense linear algebra, as ``jax.scipy.linalg``.

Every function is built on the decomposition primitives
(``functorch_lite/ops/linalg_decomp.py``), so it is differentiable,
batchable (leading axes) and jittable.  Real and complex floating-point
inputs (``trans=2``/``'C'`` is the conjugate transpose; ``cho_factor`` of a
Hermitian matrix gives ``a = L L^H``).

Example:
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite.scipy import linalg
    >>> linalg.solve_triangular(jnp.array([[2.0, 0.0], [1.0, 1.0]]), jnp.array([2.0, 3.0]), lower=True).tolist()
    [1.0, 2.0]
"""

# The public face of functorch_lite.scipy._linalg_impl: only the names of ``__all__``, so
# the implementation's imports (numpy, typing...) do not leak into this namespace.

from functorch_lite.scipy._linalg_impl import (
    cho_factor as cho_factor,
)
from functorch_lite.scipy._linalg_impl import (
    cho_solve as cho_solve,
)
from functorch_lite.scipy._linalg_impl import (
    det as det,
)
from functorch_lite.scipy._linalg_impl import (
    expm as expm,
)
from functorch_lite.scipy._linalg_impl import (
    inv as inv,
)
from functorch_lite.scipy._linalg_impl import (
    lu as lu,
)
from functorch_lite.scipy._linalg_impl import (
    lu_factor as lu_factor,
)
from functorch_lite.scipy._linalg_impl import (
    lu_solve as lu_solve,
)
from functorch_lite.scipy._linalg_impl import (
    solve as solve,
)
from functorch_lite.scipy._linalg_impl import (
    solve_triangular as solve_triangular,
)

__all__ = [
    "solve_triangular", "cho_factor", "cho_solve", "lu", "lu_factor", "lu_solve", "expm", "det", "inv",
    "solve",
]
