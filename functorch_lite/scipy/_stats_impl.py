"""The implementation behind :mod:`functorch_lite.scipy.stats`, which re-exports its ``__all__``
(and whose docstring describes the module)."""

from __future__ import annotations

import math
from typing import Any

from functorch_lite import dtypes
from functorch_lite import numpy as jnp
from functorch_lite.array import Array
from functorch_lite.numpy._util import convert, promote_to_float
from functorch_lite.scipy import linalg as _sl
from functorch_lite.scipy import special

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _floats(*args: Any) -> list[Any]:
    return promote_to_float("stats", *args)


def _floats_unbroadcast(*args: Any) -> list[Any]:
    """The arguments as arrays of one floating dtype (promoted as ``_floats``), shapes kept."""
    xs = [jnp.asarray(a) for a in args]
    dt, weak = xs[0].dtype, xs[0].weak_type
    for a in xs[1:]:
        dt, weak = dtypes.promote_weak(dt, weak, a.dtype, a.weak_type)
    if dt.kind not in "fc":
        dt = dtypes.default_float_dtype()
    return [convert(a, dt, a.weak_type) for a in xs]


def _outside(cond: Any, value: Any, fill: float) -> Array:
    out: Array = jnp.where(cond, jnp.full_like(value, fill), value)
    return out


class _Norm:
    """The normal distribution ``N(loc, scale**2)``."""

    @staticmethod
    def logpdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        """Example: ``stats.norm.logpdf(0.0)`` is ``-log(sqrt(2 pi))``."""
        x, loc, scale = _floats(x, loc, scale)
        z = (x - loc) / scale
        out: Array = -0.5 * z * z - _LOG_SQRT_2PI - jnp.log(scale)
        return out

    @staticmethod
    def pdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        out: Array = jnp.exp(_Norm.logpdf(x, loc, scale))
        return out

    @staticmethod
    def cdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        x, loc, scale = _floats(x, loc, scale)
        return special.ndtr((x - loc) / scale)

    @staticmethod
    def logcdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        x, loc, scale = _floats(x, loc, scale)
        return special.log_ndtr((x - loc) / scale)

    @staticmethod
    def sf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        x, loc, scale = _floats(x, loc, scale)
        return special.ndtr((loc - x) / scale)

    @staticmethod
    def logsf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        x, loc, scale = _floats(x, loc, scale)
        return special.log_ndtr((loc - x) / scale)

    @staticmethod
    def ppf(q: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        q, loc, scale = _floats(q, loc, scale)
        out: Array = loc + scale * special.ndtri(q)
        return out


class _Logistic:
    """The logistic distribution."""

    @staticmethod
    def logpdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        x, loc, scale = _floats(x, loc, scale)
        z = (x - loc) / scale
        a = jnp.abs(z)  # symmetric: the form with exp(-|z|) never overflows
        out: Array = -a - 2.0 * jnp.log1p(jnp.exp(-a)) - jnp.log(scale)
        return out

    @staticmethod
    def pdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        out: Array = jnp.exp(_Logistic.logpdf(x, loc, scale))
        return out

    @staticmethod
    def cdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        x, loc, scale = _floats(x, loc, scale)
        return special.expit((x - loc) / scale)

    @staticmethod
    def sf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        x, loc, scale = _floats(x, loc, scale)
        return special.expit((loc - x) / scale)

    @staticmethod
    def ppf(q: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        q, loc, scale = _floats(q, loc, scale)
        out: Array = loc + scale * special.logit(q)
        return out


class _Laplace:
    """The Laplace (double exponential) distribution."""

    @staticmethod
    def logpdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        x, loc, scale = _floats(x, loc, scale)
        out: Array = -jnp.abs(x - loc) / scale - jnp.log(2.0 * scale)
        return out

    @staticmethod
    def pdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        out: Array = jnp.exp(_Laplace.logpdf(x, loc, scale))
        return out

    @staticmethod
    def cdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        x, loc, scale = _floats(x, loc, scale)
        z = (x - loc) / scale
        out: Array = jnp.where(z < 0, 0.5 * jnp.exp(jnp.minimum(z, 0.0)), 1.0 - 0.5 * jnp.exp(-jnp.maximum(z, 0.0)))
        return out


class _Cauchy:
    """The Cauchy distribution."""

    @staticmethod
    def logpdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        x, loc, scale = _floats(x, loc, scale)
        z = (x - loc) / scale
        out: Array = -math.log(math.pi) - jnp.log(scale) - jnp.log1p(z * z)
        return out

    @staticmethod
    def pdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        out: Array = jnp.exp(_Cauchy.logpdf(x, loc, scale))
        return out

    @staticmethod
    def cdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        x, loc, scale = _floats(x, loc, scale)
        out: Array = 0.5 + jnp.arctan((x - loc) / scale) / math.pi
        return out

    @staticmethod
    def ppf(q: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        q, loc, scale = _floats(q, loc, scale)
        out: Array = loc + scale * jnp.tan(math.pi * (q - 0.5))
        return out


class _Uniform:
    """The uniform distribution on ``[loc, loc + scale]``."""

    @staticmethod
    def logpdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        x, loc, scale = _floats(x, loc, scale)
        inside = (x >= loc) & (x <= loc + scale)
        return _outside(~inside, -jnp.log(scale) + jnp.zeros_like(x), -math.inf)

    @staticmethod
    def pdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        out: Array = jnp.exp(_Uniform.logpdf(x, loc, scale))
        return out

    @staticmethod
    def cdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        x, loc, scale = _floats(x, loc, scale)
        out: Array = jnp.clip((x - loc) / scale, 0.0, 1.0)
        return out

    @staticmethod
    def ppf(q: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        q, loc, scale = _floats(q, loc, scale)
        out: Array = jnp.where((q >= 0) & (q <= 1), loc + q * scale, jnp.nan)
        return out


class _Expon:
    """The exponential distribution (rate ``1 / scale``, shifted by ``loc``)."""

    @staticmethod
    def logpdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        x, loc, scale = _floats(x, loc, scale)
        z = (x - loc) / scale
        return _outside(z < 0, -z - jnp.log(scale), -math.inf)

    @staticmethod
    def pdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        out: Array = jnp.exp(_Expon.logpdf(x, loc, scale))
        return out

    @staticmethod
    def cdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        x, loc, scale = _floats(x, loc, scale)
        out: Array = -jnp.expm1(-jnp.maximum((x - loc) / scale, 0.0))
        return out


class _T:
    """Student's t distribution with ``df`` degrees of freedom."""

    @staticmethod
    def logpdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        x, df, loc, scale = _floats(x, df, loc, scale)
        z = (x - loc) / scale
        half = 0.5 * (df + 1.0)
        out: Array = (special.gammaln(half) - special.gammaln(0.5 * df) - 0.5 * jnp.log(df * math.pi)
                      - jnp.log(scale) - half * jnp.log1p(z * z / df))
        return out

    @staticmethod
    def pdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        out: Array = jnp.exp(_T.logpdf(x, df, loc, scale))
        return out


class _Gamma:
    """The gamma distribution with shape ``a``."""

    @staticmethod
    def logpdf(x: Any, a: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        x, a, loc, scale = _floats(x, a, loc, scale)
        z = (x - loc) / scale
        zs = jnp.where(z > 0, z, jnp.ones_like(z))
        value = special.xlogy(a - 1.0, zs) - zs - special.gammaln(a) - jnp.log(scale)
        at_zero = jnp.where(a == 1.0, -jnp.log(scale), jnp.where(a < 1.0, jnp.inf, -jnp.inf))
        out: Array = jnp.where(z > 0, value, jnp.where(z == 0, at_zero, -jnp.inf))
        return out

    @staticmethod
    def pdf(x: Any, a: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        out: Array = jnp.exp(_Gamma.logpdf(x, a, loc, scale))
        return out

    @staticmethod
    def cdf(x: Any, a: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        """``P(a, (x - loc) / scale)``, 0 below ``loc``.

        Example:
            >>> import functorch_lite.numpy as jnp
            >>> from functorch_lite.scipy import stats
            >>> round(float(stats.gamma.cdf(jnp.array(1.0), 1.0)), 6)
            0.632121
        """
        x, a, loc, scale = _floats(x, a, loc, scale)
        return special.gammainc(a, jnp.clip((x - loc) / scale, 0.0, jnp.inf))

    @staticmethod
    def logcdf(x: Any, a: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        out: Array = jnp.log(_Gamma.cdf(x, a, loc, scale))
        return out

    @staticmethod
    def sf(x: Any, a: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        """``Q(a, (x - loc) / scale)`` (computed directly: accurate in the upper tail), 1 below ``loc``.

        Example:
            >>> import functorch_lite.numpy as jnp
            >>> from functorch_lite.scipy import stats
            >>> round(float(stats.gamma.sf(jnp.array(1.0), 1.0)), 6)
            0.367879
        """
        x, a, loc, scale = _floats(x, a, loc, scale)
        y = (x - loc) / scale
        out: Array = jnp.where(y < 0, jnp.ones_like(y), special.gammaincc(a, jnp.maximum(y, 0.0)))
        return out

    @staticmethod
    def logsf(x: Any, a: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        out: Array = jnp.log(_Gamma.sf(x, a, loc, scale))
        return out


class _Chi2:
    """The chi-squared distribution with ``df`` degrees of freedom: ``gamma(df / 2, scale=2 scale)``."""

    @staticmethod
    def logpdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        """The log-density, ``gamma.logpdf(x, df / 2, loc, 2 scale)``: here ``-log(2) - 1/2``.

        Example:
            >>> import functorch_lite.numpy as jnp
            >>> from functorch_lite.scipy import stats
            >>> round(float(stats.chi2.logpdf(jnp.array(1.0), 2.0)), 6)
            -1.193147
        """
        x, df, loc, scale = _floats(x, df, loc, scale)
        return _Gamma.logpdf(x, 0.5 * df, loc, 2.0 * scale)

    @staticmethod
    def pdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        out: Array = jnp.exp(_Chi2.logpdf(x, df, loc, scale))
        return out

    @staticmethod
    def cdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        """Example:

            >>> import functorch_lite.numpy as jnp
            >>> from functorch_lite.scipy import stats
            >>> round(float(stats.chi2.cdf(jnp.array(3.84), 1.0)), 4)
            0.95
        """
        x, df, loc, scale = _floats(x, df, loc, scale)
        return _Gamma.cdf(x, 0.5 * df, loc, 2.0 * scale)

    @staticmethod
    def logcdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        out: Array = jnp.log(_Chi2.cdf(x, df, loc, scale))
        return out

    @staticmethod
    def sf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        x, df, loc, scale = _floats(x, df, loc, scale)
        return _Gamma.sf(x, 0.5 * df, loc, 2.0 * scale)

    @staticmethod
    def logsf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        out: Array = jnp.log(_Chi2.sf(x, df, loc, scale))
        return out


class _Beta:
    """The beta distribution on ``[loc, loc + scale]``."""

    @staticmethod
    def logpdf(x: Any, a: Any, b: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        x, a, b, loc, scale = _floats(x, a, b, loc, scale)
        z = (x - loc) / scale
        inside = (z > 0) & (z < 1)
        zs = jnp.where(inside, z, jnp.full_like(z, 0.5))
        value = special.xlogy(a - 1.0, zs) + special.xlog1py(b - 1.0, -zs) - special.betaln(a, b) - jnp.log(scale)
        return _outside(~inside, value, -math.inf)

    @staticmethod
    def pdf(x: Any, a: Any, b: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        out: Array = jnp.exp(_Beta.logpdf(x, a, b, loc, scale))
        return out

    @staticmethod
    def cdf(x: Any, a: Any, b: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        """``I_z(a, b)`` at ``z = (x - loc) / scale`` clipped to ``[0, 1]``.

        Example:
            >>> import functorch_lite.numpy as jnp
            >>> from functorch_lite.scipy import stats
            >>> round(float(stats.beta.cdf(jnp.array(0.5), 2.0, 3.0)), 6)
            0.6875
        """
        x, a, b, loc, scale = _floats(x, a, b, loc, scale)
        return special.betainc(a, b, jnp.clip((x - loc) / scale, 0.0, 1.0))

    @staticmethod
    def logcdf(x: Any, a: Any, b: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        out: Array = jnp.log(_Beta.cdf(x, a, b, loc, scale))
        return out

    @staticmethod
    def sf(x: Any, a: Any, b: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        """``I_{1-z}(b, a)``, the upper tail computed directly.

        Example:
            >>> import functorch_lite.numpy as jnp
            >>> from functorch_lite.scipy import stats
            >>> round(float(stats.beta.sf(jnp.array(0.5), 2.0, 3.0)), 6)
            0.3125
        """
        x, a, b, loc, scale = _floats(x, a, b, loc, scale)
        return special.betainc(b, a, 1.0 - jnp.clip((x - loc) / scale, 0.0, 1.0))

    @staticmethod
    def logsf(x: Any, a: Any, b: Any, loc: Any = 0.0, scale: Any = 1.0) -> Array:
        out: Array = jnp.log(_Beta.sf(x, a, b, loc, scale))
        return out


class _Dirichlet:
    """The Dirichlet distribution; ``x`` and ``alpha`` along the last axis."""

    @staticmethod
    def logpdf(x: Any, alpha: Any) -> Array:
        x, alpha = _floats(x, alpha)
        norm = jnp.sum(special.gammaln(alpha), axis=-1) - special.gammaln(jnp.sum(alpha, axis=-1))
        out: Array = jnp.sum(special.xlogy(alpha - 1.0, x), axis=-1) - norm
        return out

    @staticmethod
    def pdf(x: Any, alpha: Any) -> Array:
        out: Array = jnp.exp(_Dirichlet.logpdf(x, alpha))
        return out


class _Poisson:
    """The Poisson distribution with mean ``mu``."""

    @staticmethod
    def logpmf(k: Any, mu: Any, loc: Any = 0.0) -> Array:
        k, mu, loc = _floats(k, mu, loc)
        n = k - loc
        valid = (n >= 0) & (n == jnp.floor(n))
        ns = jnp.where(valid, n, jnp.zeros_like(n))
        return _outside(~valid, special.xlogy(ns, mu) - mu - special.gammaln(ns + 1.0), -math.inf)

    @staticmethod
    def pmf(k: Any, mu: Any, loc: Any = 0.0) -> Array:
        out: Array = jnp.exp(_Poisson.logpmf(k, mu, loc))
        return out

    @staticmethod
    def cdf(k: Any, mu: Any, loc: Any = 0.0) -> Array:
        """``Q(floor(k - loc) + 1, mu)``, 0 below ``loc``.

        Example:
            >>> import functorch_lite.numpy as jnp
            >>> from functorch_lite.scipy import stats
            >>> round(float(stats.poisson.cdf(jnp.array(2.0), 1.0)), 6)
            0.919699
        """
        k, mu, loc = _floats(k, mu, loc)
        n = k - loc
        out: Array = jnp.where(n < 0, jnp.zeros_like(n), special.gammaincc(jnp.floor(1.0 + jnp.maximum(n, 0.0)), mu))
        return out


class _Bernoulli:
    """The Bernoulli distribution with success probability ``p``."""

    @staticmethod
    def logpmf(k: Any, p: Any, loc: Any = 0.0) -> Array:
        k, p, loc = _floats(k, p, loc)
        n = k - loc
        value = special.xlogy(n, p) + special.xlog1py(1.0 - n, -p)
        return _outside((n != 0) & (n != 1), value, -math.inf)

    @staticmethod
    def pmf(k: Any, p: Any, loc: Any = 0.0) -> Array:
        out: Array = jnp.exp(_Bernoulli.logpmf(k, p, loc))
        return out

    @staticmethod
    def cdf(k: Any, p: Any) -> Array:
        k, p = _floats(k, p)
        out: Array = jnp.where(k < 0, 0.0, jnp.where(k < 1, 1.0 - p, 1.0))
        return out


class _MultivariateNormal:
    """The multivariate normal distribution ``N(mean, cov)``; ``x`` holds vectors along its last axis."""

    @staticmethod
    def logpdf(x: Any, mean: Any, cov: Any, allow_singular: Any = None) -> Array:
        """Log-density of each vector of ``x`` (``(..., n)``) under ``N(mean, cov)``, as
        ``jax.scipy.stats.multivariate_normal.logpdf``: ``mean`` is ``(n,)`` (or a
        scalar, with a scalar ``cov``: the one-dimensional normal), ``cov`` an ``(n, n)``
        positive-definite matrix (batches broadcast), a scalar (``cov * I``), and the
        log-determinant and Mahalanobis distance come from its Cholesky factor and
        a triangular solve.  A covariance that is not positive definite gives nan
        (``allow_singular=True`` is not supported, as in JAX).

        Example:
            >>> import functorch_lite.numpy as jnp
            >>> from functorch_lite.scipy import stats
            >>> round(float(stats.multivariate_normal.logpdf(jnp.zeros(2), jnp.zeros(2), jnp.eye(2))), 6)
            -1.837877
        """
        if allow_singular:
            raise NotImplementedError("multivariate_normal.logpdf: allow_singular=True is not supported (as in JAX); "
                                      "give a positive-definite covariance")
        x, mean, cov = _floats_unbroadcast(x, mean, cov)
        if not mean.shape:
            out0: Array = -0.5 * (x - mean) ** 2 / cov - 0.5 * (math.log(2 * math.pi) + jnp.log(cov))
            return out0
        n = mean.shape[-1]
        if x.ndim < 1 or x.shape[-1] != n:
            raise ValueError(f"multivariate_normal.logpdf: x must have {n} components along its last axis (the mean's "
                             f"length), got shape {x.shape}")
        d = x - mean
        if not cov.shape:
            out1: Array = (-0.5 * jnp.sum(d * d, axis=-1) / cov - 0.5 * n * (math.log(2 * math.pi) + jnp.log(cov)))
            return out1
        if cov.ndim < 2 or cov.shape[-2:] != (n, n):
            raise ValueError(f"multivariate_normal.logpdf: cov must be ({n}, {n}) (or a batch of them) for a mean of "
                             f"length {n}, got shape {cov.shape}")
        low = jnp.linalg.cholesky(cov)
        if cov.ndim == 2:  # one factor: every vector solved at once, as the columns of one matrix
            flat = jnp.reshape(d, (-1, n))
            y = jnp.reshape(jnp.matrix_transpose(_sl.solve_triangular(low, flat.T, lower=True)), d.shape)
        else:
            y = _sl.solve_triangular(low, d[..., None], lower=True)[..., 0]
        log_det = jnp.sum(jnp.log(jnp.diagonal(low, axis1=-2, axis2=-1)), axis=-1)
        out: Array = -0.5 * jnp.sum(y * y, axis=-1) - 0.5 * n * math.log(2 * math.pi) - log_det
        return out

    @staticmethod
    def pdf(x: Any, mean: Any, cov: Any, allow_singular: Any = None) -> Array:
        """The density, ``exp(logpdf)``.

        Example:
            >>> import functorch_lite.numpy as jnp
            >>> from functorch_lite.scipy import stats
            >>> round(float(stats.multivariate_normal.pdf(jnp.zeros(1), jnp.zeros(1), jnp.eye(1))), 6)
            0.398942
        """
        out: Array = jnp.exp(_MultivariateNormal.logpdf(x, mean, cov, allow_singular))
        return out


norm = _Norm()
logistic = _Logistic()
laplace = _Laplace()
cauchy = _Cauchy()
uniform = _Uniform()
expon = _Expon()
t = _T()
gamma = _Gamma()
chi2 = _Chi2()
beta = _Beta()
dirichlet = _Dirichlet()
poisson = _Poisson()
bernoulli = _Bernoulli()
multivariate_normal = _MultivariateNormal()

__all__ = ["norm", "logistic", "laplace", "cauchy", "uniform", "expon", "t", "gamma", "chi2", "beta", "dirichlet",
           "poisson", "bernoulli", "multivariate_normal"]
