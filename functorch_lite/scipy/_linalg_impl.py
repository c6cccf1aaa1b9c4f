"""The implementation behind :mod:`functorch_lite.scipy.linalg`, which re-exports its ``__all__``
(and whose docstring describes the module)."""

from __future__ import annotations

from typing import Any

import numpy as np

from functorch_lite import numpy as jnp
from functorch_lite.array import Array
from functorch_lite.numpy import _linalg_api as _la
from functorch_lite.numpy._util import asarray, convert, from_numpy
from functorch_lite.ops import linalg_decomp as _ld

__all__ = ["solve_triangular", "cho_factor", "cho_solve", "lu", "lu_factor", "lu_solve", "expm", "det", "inv",
           "solve"]


def _float(name: str, a: Any, square: bool = True) -> Any:
    return _la._float_matrix(name, a, square=square)


def _rhs(name: str, x: Any, b: Any) -> tuple[tuple[Any, Any], bool]:
    x, y = _la._promote_pair(name, x, b)
    vec = y.ndim == x.ndim - 1
    if vec:
        y = jnp.expand_dims(y, -1)
    if y.shape[-2] != x.shape[-1]:
        raise ValueError(
            f"{name}: a has shape {x.shape} but b has shape {asarray(b).shape}; b needs {x.shape[-1]} rows")
    x, y = _la._broadcast_batch(x, y, 2)
    return (x, y), vec


def _trans(trans: Any) -> bool | str:
    """False (none), True (transpose) or 'C' (conjugate transpose)."""
    if trans in (0, "N"):
        return False
    if trans in (1, "T"):
        return True
    if trans in (2, "C"):
        return "C"
    raise ValueError(f"trans must be 0, 1, 2, 'N', 'T' or 'C', got {trans!r}")


def solve_triangular(a: Any, b: Any, trans: Any = 0, lower: bool = False, unit_diagonal: bool = False,
                     overwrite_b: bool = False, debug: Any = None, check_finite: bool = True) -> Array:
    """Solve ``op(a) x = b`` for triangular ``a`` (only its ``lower``/upper
    triangle is read; ``op`` is the transpose for ``trans`` 1/'T', the
    conjugate transpose for 2/'C').

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> solve_triangular(jnp.array([[1.0, 1.0], [0.0, 2.0]]), jnp.array([3.0, 4.0])).tolist()
        [1.0, 2.0]
    """
    x = _float("solve_triangular", a)
    (x, y), vec = _rhs("solve_triangular", x, b)
    tr = _trans(trans)
    out = _ld._solve(x, y, left_side=True, lower=lower, transpose_a=bool(tr), unit_diagonal=unit_diagonal,
                     conjugate_a=tr == "C")
    return jnp.squeeze(out, -1) if vec else out


def cho_factor(a: Any, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True) -> tuple[Any, bool]:
    """Cholesky factor for :func:`cho_solve`: ``(c, lower)`` with ``c`` the lower
    (or upper) factor of the Hermitian matrix whose ``lower`` (or upper) triangle
    ``a`` holds (the other triangle is not read); unlike SciPy the other triangle
    of ``c`` is zero.  The derivative is JAX's: the input is taken as Hermitian
    (the cotangent is not confined to the triangle read).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> c, low = cho_factor(jnp.array([[4.0, 2.0], [2.0, 2.0]]))
        >>> c.tolist(), low
        ([[2.0, 1.0], [0.0, 1.0]], False)
    """
    x = _float("cho_factor", a)
    # only the named triangle is read, as SciPy and JAX (no symmetrisation: JAX's gradient)
    low = _ld.cholesky_p.bind(x if lower else _la._mH(x), symmetrize_input=False)
    return (low if lower else _la._mH(low)), lower


def cho_solve(c_and_lower: tuple[Any, bool], b: Any, overwrite_b: bool = False, check_finite: bool = True) -> Array:
    """Solve ``a x = b`` given :func:`cho_factor`'s ``(c, lower)``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> cho_solve(cho_factor(jnp.array([[4.0, 2.0], [2.0, 2.0]])), jnp.array([6.0, 4.0])).tolist()
        [1.0, 1.0]
    """
    c, lower = c_and_lower
    x = _float("cho_solve", c)
    (x, y), vec = _rhs("cho_solve", x, b)
    ts = _ld._solve
    # a = L L^H (lower) or U^H U (upper)
    z = ts(x, y, left_side=True, lower=lower, transpose_a=not lower, conjugate_a=not lower)
    out = ts(x, z, left_side=True, lower=lower, transpose_a=lower, conjugate_a=lower)
    return jnp.squeeze(out, -1) if vec else out


def lu(a: Any, permute_l: bool = False, overwrite_a: bool = False, check_finite: bool = True) -> tuple[Array, ...]:
    """LU decomposition with partial pivoting: ``(p, l, u)`` with ``a = p @ l @ u``,
    or ``(p @ l, u)`` when ``permute_l``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> p, l, u = lu(jnp.array([[1.0, 2.0], [3.0, 4.0]]))
        >>> (p @ l @ u).tolist()
        [[1.0, 2.0], [3.0, 4.0]]
    """
    x = _float("lu", a, square=False)
    f, _, perm = _ld.lu_p.bind(x)
    m, n = x.shape[-2:]
    k = min(m, n)
    low = jnp.tril(f[..., :, :k], -1) + jnp.eye(m, k, dtype=x.dtype)
    up = jnp.triu(f[..., :k, :])
    p = jnp.matrix_transpose(_la._perm_matrix(perm, x.dtype))
    if permute_l:
        return jnp.matmul(p, low), up
    return p, low, up


def lu_factor(a: Any, overwrite_a: bool = False, check_finite: bool = True) -> tuple[Array, Array]:
    """Packed LU factors and int32 pivots (row ``i`` was swapped with ``piv[i]``), as SciPy.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> f, piv = lu_factor(jnp.array([[1.0, 2.0], [3.0, 4.0]]))
        >>> piv.tolist()
        [1, 1]
    """
    x = _float("lu_factor", a, square=False)
    f, piv, _ = _ld.lu_p.bind(x)
    return f, piv


def lu_solve(lu_and_piv: tuple[Any, Any], b: Any, trans: Any = 0, overwrite_b: bool = False,
             check_finite: bool = True) -> Array:
    """Solve ``a x = b`` (``a.T x = b`` for ``trans`` 1, ``a^H x = b`` for 2) from :func:`lu_factor`'s result.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> lu_solve(lu_factor(jnp.array([[1.0, 2.0], [3.0, 4.0]])), jnp.array([5.0, 11.0])).tolist()
        [1.0, 2.0]
    """
    f, piv = lu_and_piv
    x = _float("lu_solve", f)
    pv = asarray(piv)
    if pv.dtype != np.int32:
        pv = convert(pv, np.dtype(np.int32))
    perm = _ld.lu_pivots_to_permutation_p.bind(pv, permutation_size=x.shape[-1])
    (x, y), vec = _rhs("lu_solve", x, b)
    perm = jnp.broadcast_to(perm, x.shape[:-1])
    out = _la._lu_solve_perm(x, perm, y, trans=_trans(trans))
    return jnp.squeeze(out, -1) if vec else out


def det(a: Any, overwrite_a: bool = False, check_finite: bool = True) -> Array:
    """Determinant of each square matrix (as ``jnp.linalg.det``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> float(det(jnp.array([[2.0, 0.0], [0.0, 3.0]])))
        6.0
    """
    return _la.det(a)


def inv(a: Any, overwrite_a: bool = False, check_finite: bool = True) -> Array:
    """Inverse of each square matrix (as ``jnp.linalg.inv``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> inv(jnp.array([[2.0, 0.0], [0.0, 4.0]])).tolist()
        [[0.5, 0.0], [0.0, 0.25]]
    """
    return _la.inv(a)


def solve(a: Any, b: Any, lower: bool = False, overwrite_a: bool = False, overwrite_b: bool = False,
          debug: bool = False, check_finite: bool = True, assume_a: str = "gen") -> Array:
    """Solve ``a x = b``: ``assume_a='gen'`` by LU, ``'pos'`` (symmetric positive
    definite) by Cholesky of the ``lower``/upper triangle.  ``b`` is a vector
    when it has one axis fewer than ``a``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> solve(jnp.array([[4.0, 2.0], [2.0, 2.0]]), jnp.array([6.0, 4.0]), assume_a="pos").tolist()
        [1.0, 1.0]
    """
    if assume_a not in ("gen", "pos", "sym", "her"):
        raise ValueError(f"solve: assume_a must be 'gen', 'sym', 'her' or 'pos', got {assume_a!r}")
    x = _float("solve", a)
    if assume_a != "pos":
        (x, y), vec = _rhs("solve", x, b)
        out = _ld.solve_p.bind(x, y)
        return jnp.squeeze(out, -1) if vec else out
    # the named triangle, mirrored (conjugated for complex): what SciPy's posv reads
    tri = jnp.tril(x) if lower else jnp.triu(x)
    diag = jnp.tril(jnp.triu(x))
    sym = tri + _la._mH(tri) - diag
    if sym.dtype.kind == "c":
        sym = sym - 1j * jnp.imag(jnp.tril(jnp.triu(sym))).astype(sym.dtype)  # a Hermitian diagonal is real
    c = _ld.cholesky_p.bind(sym)
    return cho_solve((c, True), b)


# --- expm: Pade approximants with scaling and squaring (Higham 2005, as JAX's) ----------------

_PADE = {
    3: (120.0, 60.0, 12.0, 1.0),
    5: (30240.0, 15120.0, 3360.0, 420.0, 30.0, 1.0),
    7: (17297280.0, 8648640.0, 1995840.0, 277200.0, 25200.0, 1512.0, 56.0, 1.0),
    9: (17643225600.0, 8821612800.0, 2075673600.0, 302702400.0, 30270240.0, 2162160.0, 110880.0, 3960.0,
        90.0, 1.0),
    13: (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0, 129060195264000.0,
         10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0,
         1.0),
}
# (theta of each degree but the last, max norm before scaling): Higham's bounds
_THETAS = {
    "float64": ((1.495585217958292e-002, 2.539398330063230e-001, 9.504178996162932e-001, 2.097847961257068e+000),
                5.371920351148152, (3, 5, 7, 9, 13)),
    "float32": ((4.258730016922831e-001, 1.880152677804762e+000), 3.925724783138660, (3, 5, 7)),
}


def _pade(a: Any, deg: int, powers: dict[int, Any], ident: Any) -> tuple[Any, Any]:
    b = _PADE[deg]
    if deg == 13:
        a2, a4, a6 = powers[2], powers[4], powers[6]
        u_in = jnp.matmul(a6, b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * ident
        v = jnp.matmul(a6, b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * ident
        return jnp.matmul(a, u_in), v
    u_in = b[1] * ident
    v = b[0] * ident
    for j in range(2, deg + 1, 2):
        u_in = u_in + b[j + 1] * powers[j]
        v = v + b[j] * powers[j]
    return jnp.matmul(a, u_in), v


def expm(A: Any, *, upper_triangular: bool = False, max_squarings: int = 16) -> Array:  # noqa: N803
    """Matrix exponential of each square matrix by Padé approximation with
    scaling and squaring (JAX's algorithm: degree 3-13 chosen by the 1-norm,
    float32 up to degree 7).  NaN when more than ``max_squarings`` squarings
    would be needed.  Differentiable through its operations.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> [[round(v, 6) for v in row] for row in expm(jnp.array([[0.0, 1.0], [0.0, 0.0]])).tolist()]
        [[1.0, 1.0], [0.0, 1.0]]
    """
    x = _float("expm", A)
    thetas, maxnorm, degs = _THETAS["float32" if x.dtype in (np.float32, np.complex64) else "float64"]
    n = x.shape[-1]
    if n == 0:
        result: Array = x
        return result
    norm1 = jnp.max(jnp.sum(jnp.abs(x), axis=-2), axis=-1)
    ratio = norm1 / maxnorm
    safe = jnp.where(ratio > 0, ratio, 1.0)
    squarings = jnp.maximum(0.0, jnp.floor(jnp.log2(safe)))
    squarings = jnp.where(ratio > 0, squarings, 0.0)
    scale = jnp.expand_dims(jnp.expand_dims(2.0 ** squarings, -1), -1)
    xs = x / scale
    ident = jnp.broadcast_to(jnp.eye(n, dtype=x.dtype), x.shape)
    powers = {2: jnp.matmul(xs, xs)}
    for j in (4, 6, 8) if degs[-1] == 13 else (4, 6):
        powers[j] = jnp.matmul(powers[j - 2], powers[2])
    idx = sum(convert(norm1 > t, np.dtype(np.int32)) for t in thetas) if thetas else None
    out = None
    for i, deg in enumerate(degs):
        u, v = _pade(xs, deg, powers, ident)
        num, den = v + u, v - u
        if upper_triangular:
            r = _ld.triangular_solve_p.bind(den, num, left_side=True, lower=False, transpose_a=False,
                                            unit_diagonal=False)
        else:
            r = _ld.solve_p.bind(den, num)
        pick = jnp.expand_dims(jnp.expand_dims(jnp.equal(idx, i), -1), -1)
        out = r if out is None else jnp.where(pick, r, out)
    assert out is not None
    sq = jnp.expand_dims(jnp.expand_dims(squarings, -1), -1)
    for i in range(max_squarings):
        out = jnp.where(sq > i, jnp.matmul(out, out), out)
    return jnp.where(sq > max_squarings, from_numpy(np.asarray(np.nan, x.dtype)), out)
