"""The implementation behind :mod:`functorch_lite.lax.linalg`, which re-exports its ``__all__``
(and whose docstring describes the module)."""

from __future__ import annotations

from typing import Any, Literal, overload

from functorch_lite.array import Array
from functorch_lite.numpy import _linalg_api as _la
from functorch_lite.ops import linalg_decomp as _ld

__all__ = ["cholesky", "triangular_solve", "lu", "lu_pivots_to_permutation", "qr", "eigh", "svd", "eig"]


def cholesky(x: Any, *, symmetrize_input: bool = True) -> Array:
    """Lower Cholesky factor (NaNs where the matrix is not positive definite).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> cholesky(jnp.array([[9.0]])).tolist()
        [[3.0]]
    """
    return _la.cholesky(x, symmetrize_input=symmetrize_input)


def triangular_solve(a: Any, b: Any, *, left_side: bool = False, lower: bool = False, transpose_a: bool = False,
                     conjugate_a: bool = False, unit_diagonal: bool = False) -> Array:
    """Solve ``op(a) x = b`` (``left_side``) or ``x op(a) = b`` for triangular ``a``
    (``op`` transposes for ``transpose_a`` and conjugates for ``conjugate_a``, which
    has no effect on real inputs).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> triangular_solve(jnp.array([[2.0, 0.0], [1.0, 1.0]]), jnp.array([[2.0, 3.0]]), lower=True).tolist()
        [[-0.5, 3.0]]
    """
    x = _la._float_matrix("triangular_solve", a, square=True)
    y = _la._float_matrix("triangular_solve", b)
    x, y = _la._promote_pair("triangular_solve", x, y)
    out: Array = _ld._solve(x, y, left_side=left_side, lower=lower, transpose_a=transpose_a,
                      unit_diagonal=unit_diagonal, conjugate_a=conjugate_a)
    return out


def lu(a: Any) -> tuple[Array, Array, Array]:
    """LU with partial pivoting: packed factors, int32 pivots and int32 permutation.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> f, piv, perm = lu(jnp.array([[1.0, 2.0], [3.0, 4.0]]))
        >>> perm.tolist()
        [1, 0]
    """
    f, piv, perm = _ld.lu_p.bind(_la._float_matrix("lu", a))
    return f, piv, perm


def lu_pivots_to_permutation(pivots: Any, permutation_size: int) -> Array:
    """The permutation that the row swaps ``pivots`` make of ``range(permutation_size)``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> lu_pivots_to_permutation(jnp.array([1, 1], dtype=jnp.int32), 3).tolist()
        [1, 0, 2]
    """
    out: Array = _ld.lu_pivots_to_permutation_p.bind(pivots, permutation_size=permutation_size)
    return out


def qr(x: Any, *, pivoting: bool = False, full_matrices: bool = True) -> tuple[Array, Array]:
    """``(q, r)`` of each matrix (``full_matrices``: q is ``(m, m)``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> [a.shape for a in qr(jnp.ones((3, 2)), full_matrices=False)]
        [(3, 2), (2, 2)]
    """
    if pivoting:
        raise NotImplementedError("qr: pivoting=True is not supported")
    q, r = _ld.qr_p.bind(_la._float_matrix("qr", x), full_matrices=full_matrices)
    return q, r


def eigh(x: Any, *, lower: bool = True, symmetrize_input: bool = True,
         sort_eigenvalues: bool = True) -> tuple[Array, Array]:
    """``(v, w)``: eigenvectors (columns) and ascending eigenvalues, as ``jax.lax.linalg.eigh``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> eigh(jnp.array([[2.0, 0.0], [0.0, 1.0]]))[1].tolist()
        [1.0, 2.0]
    """
    a = _la._float_matrix("eigh", x, square=True)
    v, w = _ld.eigh_p.bind(a, lower=lower, symmetrize_input=symmetrize_input)
    return v, w


@overload
def svd(x: Any, *, full_matrices: bool = ..., compute_uv: Literal[True] = ...) -> tuple[Array, Array, Array]: ...
@overload
def svd(x: Any, *, full_matrices: bool = ..., compute_uv: Literal[False]) -> Array: ...
@overload
def svd(x: Any, *, full_matrices: bool = ..., compute_uv: bool = ...) -> Any: ...
def svd(x: Any, *, full_matrices: bool = True, compute_uv: bool = True) -> Array | tuple[Array, Array, Array]:
    """``(u, s, vh)`` (or ``s`` alone when not ``compute_uv``), as ``jax.lax.linalg.svd``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> svd(jnp.array([[0.0, 2.0], [1.0, 0.0]]), compute_uv=False).tolist()
        [2.0, 1.0]
    """
    a = _la._float_matrix("svd", x)
    if not compute_uv:
        out: Array = _ld.svd_p.bind(a, full_matrices=False, compute_uv=False)[0]
        return out
    s, u, vt = _ld.svd_p.bind(a, full_matrices=full_matrices, compute_uv=True)
    return u, s, vt




def eig(x: Any, *, compute_left_eigenvectors: bool = True, compute_right_eigenvectors: bool = True,
        enable_eigvec_derivs: bool = False) -> list[Array]:
    """``[w, vl, vr]`` (the eigenvectors as asked) of each general square matrix, all
    complex, as ``jax.lax.linalg.eig``: ``a @ vr[:, j] == w[j] * vr[:, j]`` and
    ``vl[:, j]^H @ a == w[j] * vl[:, j]^H``, columns of unit norm with their
    largest component real (``vr`` is LAPACK geev's; ``vl`` is computed from
    ``vr^-1`` with that component made positive, so it may differ from LAPACK's
    by the sign of a column).  As in JAX, derivatives of the eigenvectors (and of
    anything when eigenvectors are computed) raise ``NotImplementedError`` unless
    ``enable_eigvec_derivs=True`` (the rule assumes distinct eigenvalues).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> w, vr = eig(jnp.array([[2.0, 0.0], [0.0, 3.0]]), compute_left_eigenvectors=False)
        >>> w.real.tolist()
        [2.0, 3.0]
    """
    a = _la._float_matrix("eig", x, square=True)
    return list(_ld.eig_p.bind(a, compute_left_eigenvectors=compute_left_eigenvectors,
                               compute_right_eigenvectors=compute_right_eigenvectors,
                               enable_eigvec_derivs=enable_eigvec_derivs))
