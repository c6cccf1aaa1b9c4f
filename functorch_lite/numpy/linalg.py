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

from __future__ import annotations

import math
from typing import Any

import numpy as np

from functorch_lite import dtypes
from functorch_lite.numpy._elementwise import abs as abs_
from functorch_lite.numpy._elementwise import multiply, not_equal, power, sqrt
from functorch_lite.numpy._linalg import matmul, tensordot, vecdot
from functorch_lite.numpy._linalg import outer as outer_
from functorch_lite.numpy._linalg import trace as _trace
from functorch_lite.numpy._manipulation import diagonal as _diagonal
from functorch_lite.numpy._manipulation import matrix_transpose, squeeze
from functorch_lite.numpy._reductions import max as max_
from functorch_lite.numpy._reductions import min as min_
from functorch_lite.numpy._reductions import sum as sum_
from functorch_lite.numpy._util import (
    ArrayOrTracer,
    asarray,
    convert,
    from_numpy,
    normalize_axes,
    normalize_axis,
)

__all__ = [
    "norm", "vector_norm", "matrix_norm", "vecdot", "matmul", "outer", "tensordot", "trace",
    "diagonal", "matrix_transpose",
]

_MATRIX_ORDS = "None, 'fro', 1, -1, inf, -inf"


def _as_float(x: Any) -> ArrayOrTracer:
    a = asarray(x)
    if a.dtype.kind != "f":
        a = convert(a, dtypes.default_float, a.weak_type)
    return a


def _vector_norm(x: ArrayOrTracer, axes: tuple[int, ...], ord: Any, keepdims: bool) -> Any:  # noqa: A002
    if isinstance(ord, str):
        raise ValueError(f"norm: invalid order {ord!r} for vectors; use a number, inf or -inf")
    if ord is None or ord == 2:
        return sqrt(sum_(multiply(x, x), axis=axes, keepdims=keepdims))
    if ord == math.inf:
        return max_(abs_(x), axis=axes, keepdims=keepdims)
    if ord == -math.inf:
        return min_(abs_(x), axis=axes, keepdims=keepdims)
    if ord == 0:
        return sum_(convert(not_equal(x, 0), x.dtype), axis=axes, keepdims=keepdims)
    if ord == 1:
        return sum_(abs_(x), axis=axes, keepdims=keepdims)
    p = float(ord)
    # exponents as arrays of x's dtype: a weak Python float would pass through float32
    pw, inv = from_numpy(np.asarray(p, x.dtype)), from_numpy(np.asarray(1.0 / p, x.dtype))
    return power(sum_(power(abs_(x), pw), axis=axes, keepdims=keepdims), inv)


def _matrix_norm(x: ArrayOrTracer, r: int, c: int, ord: Any, keepdims: bool) -> Any:  # noqa: A002
    if r == c:
        raise ValueError(f"norm: the two matrix axes must differ, got ({r}, {c}) for shape {x.shape}")
    if ord is None or ord == "fro":
        return sqrt(sum_(multiply(x, x), axis=(r, c), keepdims=keepdims))
    if ord in ("nuc", 2, -2):
        raise NotImplementedError(
            f"norm: the matrix norm ord={ord!r} needs singular values, which functorch_lite does not "
            f"compute yet; supported matrix orders are {_MATRIX_ORDS}"
        )
    if isinstance(ord, str) or ord not in (1, -1, math.inf, -math.inf):
        raise ValueError(f"norm: invalid order {ord!r} for matrices; supported orders are {_MATRIX_ORDS}")
    # ord 1: largest column sum (sum over rows first); ord inf: largest row sum
    inner, outer_ax = (r, c) if abs(ord) == 1 else (c, r)
    red = max_ if ord > 0 else min_
    out = red(sum_(abs_(x), axis=inner, keepdims=True), axis=outer_ax, keepdims=True)
    return out if keepdims else squeeze(out, (r, c))


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A002
    """Vector or matrix norm, as ``numpy.linalg.norm``.

    ``axis`` an int: vector norm (``ord`` None/2, 1, inf, -inf, 0 = count of
    nonzeros, any other p); a pair: matrix norm (``ord`` None/'fro', 1, -1,
    inf, -inf); None: the whole array flattened when ``ord`` is None, else a
    vector (1-D) or matrix (2-D) norm.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> m = jnp.array([[1.0, -2.0], [3.0, 4.0]])
        >>> jnp.linalg.norm(m, ord=1).item(), jnp.linalg.norm(m, ord=jnp.inf).item()
        (6.0, 7.0)
        >>> jnp.linalg.norm(m, axis=1, ord=1).tolist()
        [3.0, 7.0]
    """
    a = _as_float(x)
    if axis is None:
        if ord is None:
            return sqrt(sum_(multiply(a, a), axis=None, keepdims=keepdims))
        if a.ndim == 1:
            return _vector_norm(a, (0,), ord, keepdims)
        if a.ndim == 2:
            return _matrix_norm(a, 0, 1, ord, keepdims)
        raise ValueError(
            f"norm: with ord={ord!r} and axis=None the input must be 1-D or 2-D, got shape {a.shape}; "
            "pass axis=int for vector norms or axis=(i, j) for matrix norms"
        )
    axes = (axis,) if isinstance(axis, int) or hasattr(axis, "__index__") else tuple(axis)
    if len(axes) == 1:
        return _vector_norm(a, (normalize_axis(axes[0], a.ndim),), ord, keepdims)
    if len(axes) == 2:
        r, c = (normalize_axis(ax, a.ndim) for ax in axes)
        return _matrix_norm(a, r, c, ord, keepdims)
    raise ValueError(f"norm: axis must be an int or a pair of ints, got {axis!r}")


def vector_norm(x: Any, /, *, axis: Any = None, keepdims: bool = False, ord: Any = 2) -> Any:  # noqa: A002
    """Array API vector norm over ``axis`` (None: all axes, as one vector).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.linalg.vector_norm(jnp.ones((2, 2)), ord=1).item()
        4.0
    """
    a = _as_float(x)
    return _vector_norm(a, normalize_axes(axis, a.ndim), ord, keepdims)


def matrix_norm(x: Any, /, *, keepdims: bool = False, ord: Any = "fro") -> Any:  # noqa: A002
    """Array API matrix norm over the last two axes.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.linalg.matrix_norm(jnp.ones((3, 2, 2))).tolist()
        [2.0, 2.0, 2.0]
    """
    a = _as_float(x)
    if a.ndim < 2:
        raise ValueError(f"matrix_norm needs at least 2 dimensions, got shape {a.shape}")
    return _matrix_norm(a, a.ndim - 2, a.ndim - 1, ord, keepdims)


def outer(x1: Any, x2: Any, /) -> Any:
    """Outer product of two 1-D arrays (Array API).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.linalg.outer(jnp.ones(2), jnp.ones(3)).shape
        (2, 3)
    """

    a, b = asarray(x1), asarray(x2)
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"linalg.outer needs 1-D arrays, got shapes {a.shape} and {b.shape}; use jnp.outer")
    return outer_(a, b)


def trace(x: Any, /, *, offset: int = 0, dtype: Any = None) -> Any:
    """Sum of the diagonal of the last two axes (Array API).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.linalg.trace(jnp.ones((2, 3, 3))).tolist()
        [3.0, 3.0]
    """
    return _trace(x, offset=offset, axis1=-2, axis2=-1, dtype=dtype)


def diagonal(x: Any, /, *, offset: int = 0) -> Any:
    """The diagonal of the last two axes, a view (Array API).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.linalg.diagonal(jnp.arange(8).reshape(2, 2, 2)).tolist()
        [[0, 3], [4, 7]]
    """
    return _diagonal(x, offset=offset, axis1=-2, axis2=-1)
