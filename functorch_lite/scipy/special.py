"""``functorch_lite.scipy.special``: special functions, as ``jax.scipy.special``.

Built on the special-function primitives (``ops/special.py``: erf, erfc,
erf_inv, lgamma, digamma, polygamma, bessel_i0e, bessel_i1e; ``ops/incomplete.py``:
igamma, igammac, regularized_incomplete_beta) and ``functorch_lite.numpy``, so every
function is differentiable (to any order), batchable and jittable.  Integer
inputs are promoted to the default float dtype; Python scalars stay weak.
Values follow SciPy; where SciPy and JAX differ at a pole, JAX's choice is
taken (``digamma`` is nan at non-positive integers, SciPy's is -inf at 0).

Example:
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite.scipy import special
    >>> [round(v, 4) for v in special.gammaln(jnp.array([0.5, 5.0])).tolist()]
    [0.5724, 3.1781]
"""

# The public face of functorch_lite.scipy._special_impl: only the names of ``__all__``, so
# the implementation's imports (numpy, typing...) do not leak into this namespace.

from functorch_lite.scipy._special_impl import (
    betainc as betainc,
)
from functorch_lite.scipy._special_impl import (
    betaln as betaln,
)
from functorch_lite.scipy._special_impl import (
    digamma as digamma,
)
from functorch_lite.scipy._special_impl import (
    entr as entr,
)
from functorch_lite.scipy._special_impl import (
    erf as erf,
)
from functorch_lite.scipy._special_impl import (
    erfc as erfc,
)
from functorch_lite.scipy._special_impl import (
    erfinv as erfinv,
)
from functorch_lite.scipy._special_impl import (
    expit as expit,
)
from functorch_lite.scipy._special_impl import (
    gamma as gamma,
)
from functorch_lite.scipy._special_impl import (
    gammainc as gammainc,
)
from functorch_lite.scipy._special_impl import (
    gammaincc as gammaincc,
)
from functorch_lite.scipy._special_impl import (
    gammaln as gammaln,
)
from functorch_lite.scipy._special_impl import (
    i0e as i0e,
)
from functorch_lite.scipy._special_impl import (
    i1e as i1e,
)
from functorch_lite.scipy._special_impl import (
    log_ndtr as log_ndtr,
)
from functorch_lite.scipy._special_impl import (
    log_softmax as log_softmax,
)
from functorch_lite.scipy._special_impl import (
    logit as logit,
)
from functorch_lite.scipy._special_impl import (
    logsumexp as logsumexp,
)
from functorch_lite.scipy._special_impl import (
    ndtr as ndtr,
)
from functorch_lite.scipy._special_impl import (
    ndtri as ndtri,
)
from functorch_lite.scipy._special_impl import (
    polygamma as polygamma,
)
from functorch_lite.scipy._special_impl import (
    softmax as softmax,
)
from functorch_lite.scipy._special_impl import (
    xlog1py as xlog1py,
)
from functorch_lite.scipy._special_impl import (
    xlogy as xlogy,
)

__all__ = [
    "erf", "erfc", "erfinv", "gammaln", "gamma", "digamma", "polygamma", "i0e", "i1e", "betaln", "xlogy",
    "xlog1py", "gammainc", "gammaincc", "betainc", "entr", "expit", "logit", "ndtr", "log_ndtr", "ndtri",
    "logsumexp", "softmax", "log_softmax",
]
