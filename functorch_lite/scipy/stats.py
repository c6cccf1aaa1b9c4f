"""``functorch_lite.scipy.stats``: log-densities, densities and CDFs, as ``jax.scipy.stats``.

Each distribution is a namespace of functions (``stats.norm.logpdf(x, loc,
scale)``), with SciPy's parameter names and defaults; arguments broadcast.
All are compositions of differentiable ops, so gradients with respect to the
data and the parameters come for free.  Outside the support, log-densities
are ``-inf`` (densities 0), as SciPy.  The CDFs of ``gamma``, ``chi2``,
``poisson`` and ``beta`` use the incomplete gamma and beta functions
(``special.gammainc``/``gammaincc``/``betainc``), as JAX's; like JAX's,
``beta``'s are not differentiable in ``a`` and ``b``.

Example:
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite.scipy import stats
    >>> round(float(stats.norm.logpdf(jnp.array(0.0))), 6)
    -0.918939
"""

# The public face of functorch_lite.scipy._stats_impl: only the names of ``__all__``, so
# the implementation's imports (numpy, typing...) do not leak into this namespace.

from functorch_lite.scipy._stats_impl import (
    bernoulli as bernoulli,
)
from functorch_lite.scipy._stats_impl import (
    beta as beta,
)
from functorch_lite.scipy._stats_impl import (
    cauchy as cauchy,
)
from functorch_lite.scipy._stats_impl import (
    chi2 as chi2,
)
from functorch_lite.scipy._stats_impl import (
    dirichlet as dirichlet,
)
from functorch_lite.scipy._stats_impl import (
    expon as expon,
)
from functorch_lite.scipy._stats_impl import (
    gamma as gamma,
)
from functorch_lite.scipy._stats_impl import (
    laplace as laplace,
)
from functorch_lite.scipy._stats_impl import (
    logistic as logistic,
)
from functorch_lite.scipy._stats_impl import (
    multivariate_normal as multivariate_normal,
)
from functorch_lite.scipy._stats_impl import (
    norm as norm,
)
from functorch_lite.scipy._stats_impl import (
    poisson as poisson,
)
from functorch_lite.scipy._stats_impl import (
    t as t,
)
from functorch_lite.scipy._stats_impl import (
    uniform as uniform,
)

__all__ = [
    "norm", "logistic", "laplace", "cauchy", "uniform", "expon", "t", "gamma", "chi2", "beta", "dirichlet",
    "poisson", "bernoulli", "multivariate_normal",
]
