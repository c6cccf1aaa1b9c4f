"""The implementation behind :mod:`functorch_lite.numpy.linalg`, which re-exports its ``__all__``
(and whose docstring describes the module)."""

from __future__ import annotations

import math
from typing import Any, Literal, cast, overload

import numpy as np

from functorch_lite import dtypes
from functorch_lite.array import Array
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

_MATRIX_ORDS = "None, 'fro', 'nuc', 1, -1, 2, -2, inf, -inf"
_SPECTRAL = ("nuc", 2, -2)


def _as_float(x: Any) -> ArrayOrTracer:
    a = asarray(x)
    if a.dtype.kind == "c":
        mod: ArrayOrTracer = abs_(a)  # every norm here is a norm of the moduli (real), as NumPy's
        return mod
    if a.dtype.kind != "f":
        a = convert(a, dtypes.default_float_dtype(), a.weak_type)
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


def _inexact(x: Any) -> ArrayOrTracer:
    """``x`` as a float or complex array (the singular values need the complex entries)."""
    a = asarray(x)
    if a.dtype.kind not in "fc":
        a = convert(a, dtypes.default_float_dtype(), a.weak_type)
    return a


def _spectral_norm(x: ArrayOrTracer, r: int, c: int, ord: Any, keepdims: bool) -> Any:  # noqa: A002
    """The nuclear norm (sum of singular values) or the largest/smallest singular value."""
    if r == c:
        raise ValueError(f"norm: the two matrix axes must differ, got ({r}, {c}) for shape {x.shape}")
    s = svdvals(moveaxis(x, (r, c), (-2, -1)))
    out = sum_(s, axis=-1) if ord == "nuc" else (max_(s, axis=-1) if ord == 2 else min_(s, axis=-1))
    if keepdims:
        out = expand_dims(out, tuple(sorted((r, c))))
    return out


def _matrix_norm(x: ArrayOrTracer, r: int, c: int, ord: Any, keepdims: bool) -> Any:  # noqa: A002
    if r == c:
        raise ValueError(f"norm: the two matrix axes must differ, got ({r}, {c}) for shape {x.shape}")
    if ord is None or ord == "fro":
        return sqrt(sum_(multiply(x, x), axis=(r, c), keepdims=keepdims))
    if isinstance(ord, str) or ord not in (1, -1, math.inf, -math.inf):
        raise ValueError(f"norm: invalid order {ord!r} for matrices; supported orders are {_MATRIX_ORDS}")
    # ord 1: largest column sum (sum over rows first); ord inf: largest row sum
    inner, outer_ax = (r, c) if abs(ord) == 1 else (c, r)
    red = max_ if ord > 0 else min_
    out = red(sum_(abs_(x), axis=inner, keepdims=True), axis=outer_ax, keepdims=True)
    return out if keepdims else squeeze(out, (r, c))


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Array:  # noqa: A002
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
    if ord in _SPECTRAL and not isinstance(ord, bool):
        m = _inexact(x)
        if axis is None and m.ndim == 2:
            out: Array = _spectral_norm(m, 0, 1, ord, keepdims)
            return out
        if axis is not None and not isinstance(axis, int) and len(tuple(axis)) == 2:
            r, c = (normalize_axis(ax, m.ndim) for ax in axis)
            out = _spectral_norm(m, r, c, ord, keepdims)
            return out
    a = _as_float(x)
    if axis is None:
        if ord is None:
            out = sqrt(sum_(multiply(a, a), axis=None, keepdims=keepdims))
            return out
        if a.ndim == 1:
            out = _vector_norm(a, (0,), ord, keepdims)
            return out
        if a.ndim == 2:
            out = _matrix_norm(a, 0, 1, ord, keepdims)
            return out
        raise ValueError(
            f"norm: with ord={ord!r} and axis=None the input must be 1-D or 2-D, got shape {a.shape}; "
            "pass axis=int for vector norms or axis=(i, j) for matrix norms"
        )
    axes = (axis,) if isinstance(axis, int) or hasattr(axis, "__index__") else tuple(axis)
    if len(axes) == 1:
        out = _vector_norm(a, (normalize_axis(axes[0], a.ndim),), ord, keepdims)
        return out
    if len(axes) == 2:
        r, c = (normalize_axis(ax, a.ndim) for ax in axes)
        out = _matrix_norm(a, r, c, ord, keepdims)
        return out
    raise ValueError(f"norm: axis must be an int or a pair of ints, got {axis!r}")


def vector_norm(x: Any, /, *, axis: Any = None, keepdims: bool = False, ord: Any = 2) -> Array:  # noqa: A002
    """Array API vector norm over ``axis`` (None: all axes, as one vector).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.linalg.vector_norm(jnp.ones((2, 2)), ord=1).item()
        4.0
    """
    a = _as_float(x)
    out: Array = _vector_norm(a, normalize_axes(axis, a.ndim), ord, keepdims)
    return out


def matrix_norm(x: Any, /, *, keepdims: bool = False, ord: Any = "fro") -> Array:  # noqa: A002
    """Array API matrix norm over the last two axes.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.linalg.matrix_norm(jnp.ones((3, 2, 2))).tolist()
        [2.0, 2.0, 2.0]
    """
    if ord in _SPECTRAL and not isinstance(ord, bool):
        m = _inexact(x)
        if m.ndim < 2:
            raise ValueError(f"matrix_norm needs at least 2 dimensions, got shape {m.shape}")
        out: Array = _spectral_norm(m, m.ndim - 2, m.ndim - 1, ord, keepdims)
        return out
    a = _as_float(x)
    if a.ndim < 2:
        raise ValueError(f"matrix_norm needs at least 2 dimensions, got shape {a.shape}")
    out = _matrix_norm(a, a.ndim - 2, a.ndim - 1, ord, keepdims)
    return out


def outer(x1: Any, x2: Any, /) -> Array:
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


def trace(x: Any, /, *, offset: int = 0, dtype: Any = None) -> Array:
    """Sum of the diagonal of the last two axes (Array API).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.linalg.trace(jnp.ones((2, 3, 3))).tolist()
        [3.0, 3.0]
    """
    return _trace(x, offset=offset, axis1=-2, axis2=-1, dtype=dtype)


def diagonal(x: Any, /, *, offset: int = 0) -> Array:
    """The diagonal of the last two axes, a view (Array API).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.linalg.diagonal(jnp.arange(8).reshape(2, 2, 2)).tolist()
        [[0, 3], [4, 7]]
    """
    return _diagonal(x, offset=offset, axis1=-2, axis2=-1)


# --- decompositions and what is built on them (ops/linalg_decomp.py) -----------------------

from collections.abc import Sequence  # noqa: E402
from typing import NamedTuple  # noqa: E402

from functorch_lite.numpy._creation import arange, eye  # noqa: E402
from functorch_lite.numpy._elementwise import (  # noqa: E402
    conj,
    divide,
    equal,
    greater,
    greater_equal,
    log,
    sign,
    subtract,
    where,
)
from functorch_lite.numpy._manipulation import broadcast_to, expand_dims, moveaxis, reshape, stack  # noqa: E402
from functorch_lite.numpy._reductions import any as any_  # noqa: E402
from functorch_lite.numpy._reductions import prod as prod_  # noqa: E402
from functorch_lite.ops import linalg_decomp as _ld  # noqa: E402

__all__ += [
    "cholesky", "solve", "inv", "det", "slogdet", "qr", "svd", "svdvals", "eigh", "eigvalsh", "lstsq", "pinv",
    "matrix_rank", "matrix_power", "multi_dot", "cond", "tensorinv", "tensorsolve", "cross", "eig", "eigvals",
    "EigResult", "EighResult", "QRResult", "SlogdetResult", "SVDResult",
]


class EigResult(NamedTuple):
    """``eig``'s result: the (complex) eigenvalues and eigenvectors (columns).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.linalg.eig(jnp.eye(2)).eigenvalues.dtype.kind
        'c'
    """

    eigenvalues: Array
    eigenvectors: Array


class EighResult(NamedTuple):
    """``eigh``'s result: ascending eigenvalues and the eigenvectors (columns).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.linalg.eigh(jnp.eye(2)).eigenvalues.tolist()
        [1.0, 1.0]
    """

    eigenvalues: Array
    eigenvectors: Array


class QRResult(NamedTuple):
    """``qr``'s result: Q and R.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.linalg.qr(jnp.eye(2)).R.shape
        (2, 2)
    """

    Q: Array
    R: Array


class SlogdetResult(NamedTuple):
    """``slogdet``'s result: the sign and ``log|det|``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> float(jnp.linalg.slogdet(2 * jnp.eye(2)).logabsdet) == float(jnp.log(4.0))
        True
    """

    sign: Array
    logabsdet: Array


class SVDResult(NamedTuple):
    """``svd``'s result: U, the singular values S (descending) and Vh.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.linalg.svd(jnp.eye(2)).S.tolist()
        [1.0, 1.0]
    """

    U: Array
    S: Array
    Vh: Array


def _float_matrix(name: str, a: Any, square: bool = False) -> ArrayOrTracer:
    x = asarray(a)
    if x.dtype.kind not in "fc":
        raise TypeError(
            f"{name}: expected a floating-point (real or complex) array, got {x.dtype}{list(x.shape)}; convert it "
            f"with .astype(jnp.float32) or .astype(jnp.float64) first"
        )
    if x.ndim < 2:
        raise ValueError(f"{name}: expected a matrix (or a batch of matrices, ndim >= 2), got shape {x.shape}")
    if square and x.shape[-1] != x.shape[-2]:
        raise ValueError(f"{name}: expected square matrices in the last two axes, got shape {x.shape}")
    return x


def _mH(x: Any) -> Any:
    """The conjugate transpose of the last two axes (the transpose for real x)."""
    t = matrix_transpose(x)
    return conj(t) if t.dtype.kind == "c" else t


def _real_dtype(dt: Any) -> Any:
    return dtypes.real_dtype(np.dtype(dt))


def _const(v: Any, dtype: Any) -> Any:
    return from_numpy(np.asarray(v, dtype))


def cholesky(a: Any, *, upper: bool = False, symmetrize_input: bool = True) -> Array:
    """Cholesky factor of each symmetric (Hermitian) positive-definite matrix:
    lower ``L`` with ``a = L @ L^H`` (``upper=True``: ``U = L^H``).  As in JAX,
    the input is symmetrised first (``(a + a^H) / 2``, so its gradient is too)
    and a matrix that is not positive definite gives NaNs instead of raising.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.linalg.cholesky(jnp.array([[4.0, 2.0], [2.0, 2.0]])).tolist()
        [[2.0, 0.0], [1.0, 1.0]]
    """
    x = _float_matrix("cholesky", a, square=True)
    low = _ld.cholesky_p.bind(x, symmetrize_input=symmetrize_input)
    out: Array = _mH(low) if upper else low
    return out


def _perm_apply(perm: Any, b: Any) -> Any:
    """``b[..., perm, :]`` as a product with the permutation matrix."""
    return matmul(_perm_matrix(perm, b.dtype), b)


def _lu_solve_perm(f: Any, perm: Any, b: Any, trans: bool | str = False) -> Any:
    """Solve ``a x = b`` (``a.T x = b`` when ``trans``, ``a^H x = b`` when ``trans == 'C'``) from
    ``a[perm] = L U``."""
    if trans == "C" and f.dtype.kind == "c":  # a^H x = b is a^T conj(x) = conj(b)
        return conj(_lu_solve_perm(f, perm, conj(b), True))
    ts = _ld.triangular_solve_p.bind
    if not trans:
        y = ts(f, _perm_apply(perm, b), left_side=True, lower=True, transpose_a=False, unit_diagonal=True)
        return ts(f, y, left_side=True, lower=False, transpose_a=False, unit_diagonal=False)
    y = ts(f, b, left_side=True, lower=False, transpose_a=True, unit_diagonal=False)
    z = ts(f, y, left_side=True, lower=True, transpose_a=True, unit_diagonal=True)
    # a[perm] = L U, so a.T x = b is x = P.T L^-T U^-T b
    return matmul(matrix_transpose(_perm_matrix(perm, z.dtype)), z)


def _perm_matrix(perm: Any, dtype: Any) -> Any:
    return convert(equal(expand_dims(perm, -1), arange(perm.shape[-1], dtype=np.int32)), dtype)


def _broadcast_batch(a: Any, b: Any, b_core: int) -> tuple[Any, Any]:
    batch = tuple(np.broadcast_shapes(a.shape[:-2], b.shape[:b.ndim - b_core]))
    return broadcast_to(a, batch + a.shape[-2:]), broadcast_to(b, batch + b.shape[b.ndim - b_core:])


def _promote_pair(name: str, x: Any, b: Any) -> tuple[Any, Any]:
    """The matrix and right-hand side in one floating dtype (real or complex)."""
    y = asarray(b)
    if y.dtype != x.dtype:
        if y.dtype.kind not in "biufc":
            raise TypeError(f"{name}: b must be numbers, got {y.dtype}")
        dt = dtypes.promote_types(x.dtype, y.dtype)
        y, x = convert(y, dt), convert(x, dt)
    return x, y


def solve(a: Any, b: Any) -> Array:
    """Solve ``a @ x = b`` for square ``a`` by LU with partial pivoting (LAPACK gesv).  As in
    NumPy 2, ``b`` is a vector only when it is 1-D; otherwise ``(..., n, k)``,
    with batch axes broadcast against ``a``'s.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.linalg.solve(jnp.array([[2.0, 0.0], [1.0, 1.0]]), jnp.array([2.0, 3.0])).tolist()
        [1.0, 2.0]
    """
    x = _float_matrix("solve", a, square=True)
    x, y = _promote_pair("solve", x, b)
    vec = y.ndim == 1
    if vec:
        y = expand_dims(y, -1)
    if y.ndim < 2 or y.shape[-2] != x.shape[-1]:
        raise ValueError(f"solve: a has shape {x.shape} but b has shape {asarray(b).shape}; b needs {x.shape[-1]} rows")
    x, y = _broadcast_batch(x, y, 2)
    out = _ld.solve_p.bind(x, y)
    return squeeze(out, -1) if vec else out


def inv(a: Any) -> Array:
    """Inverse of each square matrix (LU with partial pivoting).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.linalg.inv(jnp.array([[2.0, 0.0], [0.0, 4.0]])).tolist()
        [[0.5, 0.0], [0.0, 0.25]]
    """
    out: Array = _ld.inv_p.bind(_float_matrix("inv", a, square=True))
    return out


def _lu_sign_logdet(x: Any) -> tuple[Any, Any, Any]:
    f, piv, _ = _ld.lu_p.bind(x)
    d = _diagonal(f, axis1=-2, axis2=-1)
    swaps = sum_(convert(not_equal(piv, arange(piv.shape[-1], dtype=np.int32)), np.dtype(np.int32)), axis=-1)
    parity = subtract(_const(1, x.dtype), multiply(_const(2, x.dtype), convert(swaps % 2, x.dtype)))
    return d, parity, f


def det(a: Any) -> Array:
    """Determinant of each square matrix: the product of LU's diagonal, with the
    sign of the row permutation.  Differentiated through the LU factors, so the
    gradient at a singular matrix is nan (JAX's custom rule gives the
    adjugate there).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> round(float(jnp.linalg.det(jnp.array([[1.0, 2.0], [3.0, 4.0]]))), 5)
        -2.0
    """
    x = _float_matrix("det", a, square=True)
    d, parity, _ = _lu_sign_logdet(x)
    out: Array = multiply(parity, prod_(d, axis=-1))
    return out


def slogdet(a: Any) -> SlogdetResult:
    """Sign and ``log|det|`` of each square matrix (JAX's: via LU); a singular
    matrix gives sign 0 and ``-inf``.  For complex matrices the sign is
    ``det / |det|`` (complex) and ``logabsdet`` is real.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> s, l = jnp.linalg.slogdet(jnp.array([[1.0, 2.0], [3.0, 4.0]]))
        >>> float(s), round(float(l), 6)
        (-1.0, 0.693147)
    """
    x = _float_matrix("slogdet", a, square=True)
    d, parity, _ = _lu_sign_logdet(x)
    if x.dtype.kind == "c":  # z / |z| (0 at 0), written so that it differentiates (sign's derivative is 0)
        mag = abs_(d)
        zero = equal(mag, _const(0, mag.dtype))
        unit = where(zero, _const(0, x.dtype), divide(d, convert(where(zero, _const(1, mag.dtype), mag), x.dtype)))
    else:
        unit = sign(d)
    s = multiply(parity, prod_(unit, axis=-1))
    return SlogdetResult(s, sum_(log(abs_(d)), axis=-1))


@overload
def qr(a: Any, mode: Literal["reduced", "complete"] = ...) -> QRResult: ...
@overload
def qr(a: Any, mode: Literal["r"]) -> Array: ...
@overload
def qr(a: Any, mode: str) -> Any: ...
def qr(a: Any, mode: str = "reduced") -> Array | QRResult:
    """QR decomposition of each matrix (NumPy's signs): ``mode`` is
    ``'reduced'`` (Q ``(m, k)``, R ``(k, n)``, ``k = min(m, n)``), ``'complete'``
    (Q ``(m, m)``) or ``'r'`` (R alone).  Differentiable for ``m >= n``
    (and square complete), as in JAX.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> q, r = jnp.linalg.qr(jnp.array([[3.0, 0.0], [4.0, 5.0]]))
        >>> [[round(v, 6) for v in row] for row in (q @ r).tolist()]
        [[3.0, 0.0], [4.0, 5.0]]
    """
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"qr: mode must be 'reduced', 'complete' or 'r', got {mode!r} ('raw' is not supported)")
    x = _float_matrix("qr", a)
    q, r = _ld.qr_p.bind(x, full_matrices=mode == "complete")
    return r if mode == "r" else QRResult(q, r)


@overload
def svd(a: Any, full_matrices: bool = ..., compute_uv: Literal[True] = ..., hermitian: bool = ...) -> SVDResult: ...
@overload
def svd(a: Any, full_matrices: bool, compute_uv: Literal[False], hermitian: bool = ...) -> Array: ...
@overload
def svd(a: Any, full_matrices: bool = ..., *, compute_uv: Literal[False], hermitian: bool = ...) -> Array: ...
@overload
def svd(a: Any, full_matrices: bool = ..., compute_uv: bool = ..., hermitian: bool = ...) -> Any: ...
def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False) -> Array | SVDResult:
    """Singular value decomposition ``a = U @ diag(S) @ Vh`` (S descending), or
    the singular values alone (``compute_uv=False``).  ``hermitian`` is
    accepted for NumPy's signature; the general algorithm is used.  The
    derivative (JAX's) is inf/nan at repeated or zero singular values and needs
    ``full_matrices=False`` for non-square matrices.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.linalg.svd(jnp.array([[3.0, 0.0], [0.0, -4.0]]), compute_uv=False).tolist()
        [4.0, 3.0]
    """
    x = _float_matrix("svd", a)
    if not compute_uv:
        out: Array = _ld.svd_p.bind(x, full_matrices=False, compute_uv=False)[0]
        return out
    s, u, vt = _ld.svd_p.bind(x, full_matrices=full_matrices, compute_uv=True)
    return SVDResult(u, s, vt)


def svdvals(x: Any, /) -> Array:
    """Singular values of each matrix, descending.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.linalg.svdvals(jnp.array([[0.0, 2.0], [1.0, 0.0]])).tolist()
        [2.0, 1.0]
    """
    return svd(x, compute_uv=False)


def eigh(a: Any, UPLO: str | None = None, symmetrize_input: bool = True) -> EighResult:  # noqa: N803
    """Eigenvalues (ascending) and eigenvectors (columns) of each symmetric
    matrix.  As in JAX the input is symmetrised first (``symmetrize_input``);
    otherwise ``UPLO`` ('L' or 'U') picks the triangle read.  The derivative
    (JAX's, with ``1 / (w_j - w_i)``) is inf/nan at repeated eigenvalues.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> w, v = jnp.linalg.eigh(jnp.array([[2.0, 1.0], [1.0, 2.0]]))
        >>> [round(x, 6) for x in w.tolist()]
        [1.0, 3.0]
    """
    if UPLO not in (None, "L", "U"):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    x = _float_matrix("eigh", a, square=True)
    v, w = _ld.eigh_p.bind(x, lower=UPLO != "U", symmetrize_input=symmetrize_input)
    return EighResult(w, v)


def eigvalsh(a: Any, UPLO: str | None = "L") -> Array:  # noqa: N803
    """Eigenvalues of each symmetric matrix, ascending.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.linalg.eigvalsh(jnp.array([[2.0, 0.0], [0.0, 1.0]])).tolist()
        [1.0, 2.0]
    """
    out: Array = eigh(a, UPLO).eigenvalues
    return out


def lstsq(a: Any, b: Any, rcond: float | None = None, *,
          numpy_resid: bool = False) -> tuple[Array, Array, Array, Array]:
    """Least-squares solution of ``a @ x = b`` by SVD, as JAX's: returns
    ``(x, residuals, rank, s)``.  Singular values below ``rcond * s[0]``
    (default ``eps * max(m, n)``) are treated as zero.  Residuals are always
    returned (``numpy_resid=True``: empty where NumPy gives none).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> x, res, rank, s = jnp.linalg.lstsq(jnp.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]),
        ...                                    jnp.array([1.0, 2.0, 3.0]))
        >>> x.tolist(), res.tolist(), int(rank)
        ([1.0, 2.0], [9.0], 2)
    """
    x = _float_matrix("lstsq", a)
    y = asarray(b)
    if x.ndim != 2:
        raise ValueError(f"lstsq: a must be 2-D, got shape {x.shape}")
    if y.ndim not in (1, 2) or y.shape[0] != x.shape[0]:
        raise ValueError(f"lstsq: b must be 1-D or 2-D with {x.shape[0]} rows, got shape {y.shape}")
    x, y = _promote_pair("lstsq", x, y)
    vec = y.ndim == 1
    if vec:
        y = expand_dims(y, -1)
    m, n = x.shape
    s, u, vt = _ld.svd_p.bind(x, full_matrices=False, compute_uv=True)
    rdt = _real_dtype(x.dtype)
    eps = float(np.finfo(rdt).eps)
    rc = eps * max(m, n) if rcond is None else (eps if rcond < 0 else float(rcond))
    if s.shape[-1]:
        mask = greater_equal(s, multiply(_const(rc, rdt), s[0]))
    else:
        mask = greater(s, _const(0, rdt))
    rank = sum_(convert(mask, np.dtype(np.int32)))
    safe = where(mask, s, _const(1, rdt))
    s_inv = expand_dims(where(mask, divide(_const(1, rdt), safe), _const(0, rdt)), -1)
    sol = matmul(_mH(vt), multiply(convert(s_inv, x.dtype), matmul(_mH(u), y)))
    if numpy_resid and (int(rank) < n or m <= n):
        resid = from_numpy(np.zeros((0,), rdt))
    else:
        r = abs_(subtract(y, matmul(x, sol))) if x.dtype.kind == "c" else subtract(y, matmul(x, sol))
        resid = sum_(multiply(r, r), axis=0)
    return (squeeze(sol, -1) if vec else sol), resid, rank, s


def pinv(a: Any, rtol: Any = None, hermitian: bool = False, *, rcond: Any = None) -> Array:
    """Moore-Penrose pseudo-inverse by SVD, as JAX's: singular values at or
    below ``rtol * s_max`` (default ``10 * max(m, n) * eps``) are dropped.
    Differentiable through the SVD (inf/nan where singular values repeat).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.linalg.pinv(jnp.array([[2.0, 0.0], [0.0, 0.0]])).tolist()
        [[0.5, 0.0], [0.0, 0.0]]
    """
    x = _float_matrix("pinv", a)
    m, n = x.shape[-2:]
    if rcond is not None:
        rtol = rcond
    if m == 0 or n == 0:
        return from_numpy(np.zeros(x.shape[:-2] + (n, m), x.dtype))
    rdt = _real_dtype(x.dtype)
    tol = 10.0 * max(m, n) * float(np.finfo(rdt).eps) if rtol is None else rtol
    s, u, vt = _ld.svd_p.bind(x, full_matrices=False, compute_uv=True)
    rt = asarray(tol)
    if rt.dtype.kind not in "biuf":
        raise TypeError(f"pinv: rtol must be real numbers, got {rt.dtype}")
    rt = convert(rt, rdt) if rt.dtype != rdt else rt
    batch = tuple(x.shape[:-2])
    try:
        ok = tuple(np.broadcast_shapes(rt.shape, batch)) == batch
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"pinv: rtol of shape {rt.shape} must broadcast to the batch shape {batch} of a {x.shape}")
    cutoff = multiply(expand_dims(rt, -1) if rt.ndim else rt, s[..., 0:1])
    s_safe = where(greater(s, cutoff), s, _const(np.inf, rdt))
    return matmul(_mH(vt), divide(_mH(u), convert(expand_dims(s_safe, -1), x.dtype)))


def _tol_array(v: Any, dtype: Any, name: str) -> Any:
    """A tolerance as a float array with a trailing unit axis (``v[..., None]``)."""
    t = asarray(v)
    if t.dtype.kind not in "biuf":
        raise TypeError(f"{name}: the tolerance must be real numbers, got {t.dtype}")
    return expand_dims(convert(t, dtype), -1)


def matrix_rank(M: Any, tol: Any = None, hermitian: bool = False, *, rtol: Any = None) -> Array:  # noqa: N803
    """Rank of each matrix: the number of singular values above ``tol`` (or
    ``rtol * s_max``; default ``rtol = max(m, n) * eps``), with NumPy's
    signature (JAX's takes ``rtol`` second; pass it by keyword for both).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> int(jnp.linalg.matrix_rank(jnp.array([[1.0, 2.0], [2.0, 4.0]])))
        1
    """
    x = asarray(M)
    if x.dtype.kind not in "fc":
        raise TypeError(f"matrix_rank: expected a floating-point (real or complex) array, got {x.dtype}; "
                        "convert it first")
    if x.ndim < 2:
        return cast(Array, convert(any_(not_equal(x, 0)), np.dtype(np.int32)))
    s = svd(x, compute_uv=False)
    rdt = _real_dtype(x.dtype)
    if tol is None:
        if rtol is None:
            rt = _const([max(x.shape[-2:]) * float(np.finfo(rdt).eps)], rdt)
        else:
            rt = _tol_array(rtol, rdt, "matrix_rank")
        if not s.shape[-1]:
            return sum_(convert(greater(s, 0), np.dtype(np.int32)), axis=-1)
        t = multiply(max_(s, axis=-1, keepdims=True), rt)
    else:
        t = _tol_array(tol, rdt, "matrix_rank")
    return sum_(convert(greater(s, t), np.dtype(np.int32)), axis=-1)


def matrix_power(a: Any, n: int) -> Array:
    """``a`` to the integer power ``n`` by repeated squaring (``inv`` first for
    ``n < 0``; the identity for ``n == 0``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.linalg.matrix_power(jnp.array([[1.0, 1.0], [0.0, 1.0]]), 3).tolist()
        [[1.0, 3.0], [0.0, 1.0]]
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"matrix_power: the exponent must be an integer, got {type(n).__name__}")
    x = asarray(a)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"matrix_power: expected square matrices in the last two axes, got shape {x.shape}")
    if n == 0:
        return broadcast_to(eye(x.shape[-1], dtype=x.dtype), x.shape)
    if n < 0:
        x = inv(x)
        n = -n
    result = None
    base = x
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return cast(Array, result)


def multi_dot(arrays: Sequence[Any], *, precision: Any = None) -> Array:
    """The product of a chain of matrices (the first may be 1-D, taken as a
    row; the last may be 1-D, taken as a column), as ``numpy.linalg.multi_dot``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.linalg.multi_dot([jnp.ones(2), jnp.eye(2), jnp.ones((2, 3))]).tolist()
        [2.0, 2.0, 2.0]
    """
    xs = [asarray(x) for x in arrays]
    if len(xs) < 2:
        raise ValueError(f"multi_dot: expected at least two arrays, got {len(xs)}")
    for i, x in enumerate(xs):
        want = (1, 2) if i in (0, len(xs) - 1) else (2,)
        if x.ndim not in want:
            raise ValueError(f"multi_dot: array {i} must be {' or '.join(f'{w}-D' for w in want)}, got shape {x.shape}")
    out = xs[0]
    for x in xs[1:]:
        out = matmul(out, x)
    return cast(Array, out)


def cond(x: Any, p: Any = None) -> Array:
    """Condition number of each matrix: ``s_max / s_min`` for ``p`` None/2
    (``s_min / s_max`` for -2), else ``norm(x, p) * norm(inv(x), p)``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> float(jnp.linalg.cond(jnp.array([[2.0, 0.0], [0.0, 0.5]])))
        4.0
    """
    a = _float_matrix("cond", x)
    if p is None or p == 2 or p == -2:
        s = svd(a, compute_uv=False)
        if p == -2:
            return divide(s[..., -1], s[..., 0])
        return divide(s[..., 0], s[..., -1])
    if a.shape[-1] != a.shape[-2]:
        raise ValueError(f"cond: p={p!r} needs square matrices, got shape {a.shape}")
    out: Array = multiply(norm(a, ord=p, axis=(-2, -1)), norm(inv(a), ord=p, axis=(-2, -1)))
    return out


def tensorinv(a: Any, ind: int = 2) -> Array:
    """The inverse of ``a`` seen as a linear map from its last ``ndim - ind``
    axes to its first ``ind`` axes, as ``numpy.linalg.tensorinv``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.linalg.tensorinv(jnp.eye(4).reshape(4, 2, 2), ind=1).shape
        (2, 2, 4)
    """
    x = asarray(a)
    if isinstance(ind, bool) or not isinstance(ind, (int, np.integer)) or ind <= 0:
        raise ValueError(f"tensorinv: ind must be a positive integer, got {ind!r}")
    if x.ndim == 0:
        raise ValueError("tensorinv: expected an array with at least one axis, got a 0-d array")
    outer_shape, inner_shape = x.shape[:ind], x.shape[ind:]
    rows, cols = math.prod(outer_shape), math.prod(inner_shape)
    if rows != cols:
        raise ValueError(f"tensorinv: {x.shape} split at ind={ind} is not square ({rows} x {cols})")
    return reshape(inv(reshape(x, (rows, cols))), inner_shape + outer_shape)


def tensorsolve(a: Any, b: Any, axes: Sequence[int] | None = None) -> Array:
    """Solve ``tensordot(a, x, x.ndim) = b`` for ``x``, as ``numpy.linalg.tensorsolve``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.linalg.tensorsolve(jnp.eye(6).reshape(6, 2, 3), jnp.ones(6)).shape
        (2, 3)
    """
    x = asarray(a)
    y = asarray(b)
    if axes is not None:
        for k_ in axes:
            x = moveaxis(x, k_, -1)
    sol_shape = x.shape[y.ndim:]
    n = math.prod(sol_shape)
    if math.prod(x.shape[:y.ndim]) != n:
        raise ValueError(f"tensorsolve: a {x.shape} and b {y.shape} do not give a square system")
    return reshape(solve(reshape(x, (n, n)), reshape(y, (n,))), sol_shape)


def cross(x1: Any, x2: Any, /, *, axis: int = -1) -> Array:
    """Cross product of 3-vectors along ``axis`` (the Array API ``linalg.cross``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.linalg.cross(jnp.array([1.0, 0.0, 0.0]), jnp.array([0.0, 1.0, 0.0])).tolist()
        [0.0, 0.0, 1.0]
    """
    a, b = asarray(x1), asarray(x2)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"cross: expected arrays of 3-vectors, got shapes {a.shape} and {b.shape}")
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"cross: axis must be an integer, got {axis!r}")
    if not (-a.ndim <= axis < a.ndim and -b.ndim <= axis < b.ndim):
        raise ValueError(f"cross: axis {axis} is out of range for shapes {a.shape} and {b.shape}")
    if a.shape[axis] != 3 or b.shape[axis] != 3:
        raise ValueError(f"cross: both inputs need size 3 along axis {axis}, got shapes {a.shape} and {b.shape}")
    a, b = moveaxis(a, axis, -1), moveaxis(b, axis, -1)
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    parts = [subtract(multiply(a1, b2), multiply(a2, b1)), subtract(multiply(a2, b0), multiply(a0, b2)),
             subtract(multiply(a0, b1), multiply(a1, b0))]
    return moveaxis(stack(parts, axis=-1), -1, axis)


def eig(a: Any) -> EigResult:
    """Eigenvalues and right eigenvectors (columns) of each general square matrix,
    always complex (complex64 for 32-bit input, complex128 for 64-bit), as
    ``jax.numpy.linalg.eig``: ``a @ v[:, j] == w[j] * v[:, j]``, each column of
    unit norm with its largest component real (LAPACK's geev).  The order of the
    eigenvalues is LAPACK's, not sorted.

    Differentiable: the eigenvalues by ``dw = diag(V^-1 dA V)``, the eigenvectors
    by JAX's rule through that normalisation (valid for distinct eigenvalues;
    inf/nan where two coincide).  JAX's ``jnp.linalg.eig`` refuses every
    derivative (its eigenvector rule is opt-in, ``lax.linalg.eig(...,
    enable_eigvec_derivs=True)``); this one opts in, in forward and reverse
    mode.  A matrix whose iteration fails gives NaNs.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> w, v = jnp.linalg.eig(jnp.array([[2.0, 1.0], [0.0, 3.0]]))
        >>> sorted(w.real.tolist())
        [2.0, 3.0]
    """
    x = _float_matrix("eig", a, square=True)
    w, v = _ld.eig_p.bind(x, compute_left_eigenvectors=False, compute_right_eigenvectors=True,
                          enable_eigvec_derivs=True)
    return EigResult(w, v)


def eigvals(a: Any) -> Array:
    """Eigenvalues of each general square matrix (complex, LAPACK's order), as
    ``jax.numpy.linalg.eigvals``; differentiable (``dw = diag(V^-1 dA V)``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> sorted(jnp.linalg.eigvals(jnp.array([[0.0, 1.0], [-1.0, 0.0]])).imag.tolist())
        [-1.0, 1.0]
    """
    x = _float_matrix("eigvals", a, square=True)
    out: Array = _ld.eig_p.bind(x, compute_left_eigenvectors=False, compute_right_eigenvectors=False)[0]
    return out
