"""``functorch_lite.scipy``: SciPy's special functions and distributions, as ``jax.scipy``.

Example:
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite.scipy import special, stats
    >>> round(float(special.ndtr(jnp.array(0.0))), 3), round(float(stats.norm.cdf(jnp.array(0.0))), 3)
    (0.5, 0.5)
"""

from functorch_lite.scipy import linalg, special, stats

__all__ = ["linalg", "special", "stats"]
