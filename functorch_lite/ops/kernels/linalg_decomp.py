"""Kernels of the matrix decompositions: NumPy's LAPACK (batched over leading
axes) where it has the routine, a blocked NumPy triangular solve, and a Numba
LU with partial pivoting (NumPy exposes no ``getrf``).

Failures follow JAX, not NumPy: a matrix that is not positive definite gives
a NaN Cholesky factor (NumPy raises), a singular triangular system gives
inf/nan, so a batch never fails as a whole and jit needs no host check.

Example:
    >>> import numpy as np
    >>> cholesky(np.array([[4.0, 2.0], [2.0, 2.0]])).tolist()
    [[2.0, 0.0], [1.0, 1.0]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from functorch_lite.ops.kernels._njit import njit

Arr = np.ndarray[Any, Any]

# diagonal blocks solved by LAPACK, the rest of the work done by matmul (BLAS)
_BLOCK = 64


_SYM_TILE = 16


@njit(cache=True, error_model="numpy")
def _sym_kernel(a: Arr, out: Arr, transposed: bool, conj: bool) -> None:  # pragma: no cover - compiled
    # v = S[i, j] = (a[i, j] + conj(a[j, i])) / 2 for j <= i, stored at out[j, i]
    # (transposed) or out[i, j], conjugated when ``conj``.  The innermost loop walks
    # out and one read along a row; tiles keep the other (column) read in cache.
    n = a.shape[-1]
    half = a.dtype.type(0.5)
    for b in range(a.shape[0]):
        for bi in range(0, n, _SYM_TILE):
            for bj in range(0, bi + 1, _SYM_TILE):
                if transposed:
                    for j in range(bj, min(bj + _SYM_TILE, n)):
                        for i in range(max(j, bi), min(bi + _SYM_TILE, n)):
                            v = (a[b, i, j] + np.conj(a[b, j, i])) * half
                            out[b, j, i] = np.conj(v) if conj else v
                else:
                    for i in range(bi, min(bi + _SYM_TILE, n)):
                        for j in range(bj, min(bj + _SYM_TILE, i + 1)):
                            v = (a[b, i, j] + np.conj(a[b, j, i])) * half
                            out[b, i, j] = np.conj(v) if conj else v


def sym_for_lapack(a: Arr, lower: bool = True, c_order: bool = False) -> Arr:
    """``S = (a + a^H) / 2``, only in the triangle LAPACK's Cholesky and ``eigh``
    read (``lower`` or upper; the other is zero), returned as a Fortran-ordered
    view: NumPy hands such a matrix to LAPACK without its own transposing copy,
    which saves more than computing the triangle costs.  ``c_order``: a C-ordered
    array with S's lower triangle (for the blocked Cholesky's matmuls).

    Example:
        >>> sym_for_lapack(np.array([[1.0, 4.0], [2.0, 3.0]]))[1, 0].item()
        3.0
    """
    if a.size == 0:
        return a.copy()
    flat = np.ascontiguousarray(a.reshape((-1,) + a.shape[-2:]))  # one layout: fewer compiles
    out = np.zeros(flat.shape, a.dtype)
    if c_order:
        _sym_kernel(flat, out, False, False)
        return out.reshape(a.shape)
    # the view's lower S[i, j] (j <= i) is out[j, i]; its upper S[j, i] = conj(S[i, j]) is out[i, j]
    _sym_kernel(flat, out, lower, not lower)
    return np.swapaxes(out, -1, -2).reshape(a.shape)


# NumPy's Cholesky hands the whole matrix to the potrf of the OpenBLAS it ships, which
# is 2-3x slower than SciPy's from n ~ 400 up (512x512 float64: 6.2 ms against 2.1 ms).
# From this size on the factor is blocked: NumPy on 128x128 diagonal blocks, matmuls
# (BLAS) for the rest: 0.6x NumPy's time at 512 in a warm loop, 0.9x interleaved with
# other work (the GP gradient of bench_linalg.py); below it, the blocking loses
_CHOL_BLOCKED_MIN = 448
_CHOL_BLOCK = 128


def _cholesky_blocked(w: Arr) -> bool:
    """Right-looking blocked Cholesky of one C-ordered matrix in place (reading
    its lower triangle, zeroing the upper); False when not positive definite."""
    n = w.shape[-1]
    cx = w.dtype.kind == "c"
    for k0 in range(0, n, _CHOL_BLOCK):
        k1 = min(n, k0 + _CHOL_BLOCK)
        try:
            l11 = np.linalg.cholesky(w[k0:k1, k0:k1])
        except np.linalg.LinAlgError:
            return False
        w[k0:k1, k0:k1] = l11
        if k1 == n:
            break
        w[k0:k1, k1:] = 0
        inv = _tri_inv(l11, False, False)
        if inv is None:  # a zero pivot NumPy let through (nan input)
            return False
        l21 = w[k1:, k0:k1] @ (inv.conj().T if cx else inv.T)  # A21 L11^-H
        w[k1:, k0:k1] = l21
        l21h = l21.conj().T if cx else l21.T
        for j0 in range(k1, n, _CHOL_BLOCK):  # the trailing lower triangle, a block column at a time
            j1 = min(n, j0 + _CHOL_BLOCK)
            w[j0:, j0:j1] -= l21[j0 - k1:] @ l21h[:, j0 - k1:j1 - k1]
    return True


def cholesky(a: Arr, symmetrize: bool = False) -> Arr:
    """Lower Cholesky factor of each matrix (reading its lower triangle, or of
    ``(a + a^H) / 2`` when ``symmetrize``); NaN where one is not positive definite.

    Example:
        >>> np.isnan(cholesky(np.array([[-1.0]]))).all()
        np.True_
    """
    if a.size == 0:
        return np.zeros(a.shape, a.dtype)
    n = a.shape[-1]
    if n >= _CHOL_BLOCKED_MIN:
        w = sym_for_lapack(a, c_order=True) if symmetrize else np.array(a, order="C", copy=True)
        flat = w.reshape((-1, n, n))
        with np.errstate(all="ignore"):
            for i in range(flat.shape[0]):
                if not _cholesky_blocked(flat[i]):
                    flat[i] = np.nan
        return w
    if symmetrize:
        a = sym_for_lapack(a)
    try:
        return np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        pass
    flat = a.reshape((-1,) + a.shape[-2:])
    out = np.empty_like(flat)
    for i in range(flat.shape[0]):
        try:
            out[i] = np.linalg.cholesky(flat[i])
        except np.linalg.LinAlgError:
            out[i] = np.nan
    return out.reshape(a.shape)


# up to this many right-hand sides, substitution (O(n^2 k), one pass) beats
# LAPACK-solved diagonal blocks plus matmuls (measured: 256x256, k=8: 0.15 vs 0.5 ms)
_SUBST_MAX_RHS = 16


@njit(cache=True, error_model="numpy")
def _subst(t: Arr, x: Arr, upper: bool, unit: bool, trans: bool) -> None:  # pragma: no cover - compiled
    # forward (lower) or backward (upper) substitution in place on the system
    # matrix s = t (trans: t^T), reading only its triangle (not its diagonal when
    # ``unit``).  The column (axpy) form: once x[i] is solved, column i of s
    # updates the rows still to solve, a loop over the right-hand sides that
    # vectorises (measured 1.7x the dot form's speed at 256x256, k = 8); s's
    # column is t's row when trans, so a transposed factor is never copied
    nb, n, k = x.shape
    for b in range(nb):
        for step in range(n):
            i = n - 1 - step if upper else step
            if not unit:
                d = t[b, i, i]
                for c in range(k):
                    x[b, i, c] /= d
            lo, hi = (0, i) if upper else (i + 1, n)
            for p in range(lo, hi):
                f = t[b, i, p] if trans else t[b, p, i]
                if f != 0:
                    for c in range(k):
                        x[b, p, c] -= f * x[b, i, c]


@njit(cache=True, error_model="numpy", fastmath={"reassoc", "contract"})
def _subst_vec(t: Arr, x: Arr, upper: bool, unit: bool, trans: bool) -> None:  # pragma: no cover - compiled
    # _subst for one right-hand side (x is (nb, n)): a row of t and x are both
    # contiguous, so t is read along rows in either form: the dot form (a sum,
    # vectorised by letting LLVM reassociate it) for t, the axpy form for t^T
    nb, n = x.shape
    for b in range(nb):
        for step in range(n):
            i = n - 1 - step if upper else step
            lo, hi = (0, i) if upper else (i + 1, n)
            if not trans:
                lo, hi = (i + 1, n) if upper else (0, i)
                acc = x[b, i]
                for p in range(lo, hi):
                    acc -= t[b, i, p] * x[b, p]
                x[b, i] = acc if unit else acc / t[b, i, i]
            else:
                if not unit:
                    x[b, i] /= t[b, i, i]
                v = x[b, i]
                for p in range(lo, hi):
                    x[b, p] -= t[b, i, p] * v


def _solve_subst(t: Arr, b: Arr, upper: bool, unit: bool) -> Arr:
    batch = b.shape[:-2]
    nb = int(np.prod(batch))
    tt = np.swapaxes(t, -1, -2)
    trans = not t.flags.c_contiguous and tt.flags.c_contiguous  # a transposed view: read its base
    src = tt if trans else t
    tc = np.ascontiguousarray(np.broadcast_to(src, batch + src.shape[-2:])).reshape((nb,) + src.shape[-2:])
    xc = np.array(b, order="C", copy=True).reshape((nb,) + b.shape[-2:])
    if xc.shape[-1] == 1:
        _subst_vec(tc, xc.reshape(xc.shape[:-1]), upper, unit, trans)
    else:
        _subst(tc, xc, upper, unit, trans)
    return xc.reshape(b.shape)


@njit(cache=True, error_model="numpy")
def _tri_inv_lower(t: Arr, out: Arr, unit: bool) -> None:  # pragma: no cover - compiled
    # row i of X = L^-1 from L[i, i] X[i] = e_i - sum_{k<i} L[i, k] X[k]: axpys over rows
    # already done, along contiguous memory (reads only L's lower triangle)
    nb, n, _ = t.shape
    for b in range(nb):
        for i in range(n):
            for j in range(n):
                out[b, i, j] = 0
            out[b, i, i] = 1
            for k in range(i):
                f = t[b, i, k]
                if f != 0:
                    for j in range(k + 1):
                        out[b, i, j] -= f * out[b, k, j]
            if not unit:
                d = t[b, i, i]
                for j in range(i + 1):
                    out[b, i, j] /= d


def _tri_inv(d: Arr, upper: bool, unit: bool) -> Arr | None:
    """The inverse of a small triangular block (reading only its triangle), or
    None when its diagonal has a zero (the caller substitutes: inf/nan as JAX)."""
    if not unit and not np.all(np.diagonal(d, axis1=-2, axis2=-1)):
        return None
    low = np.swapaxes(d, -1, -2) if upper else d  # U^-1 = ((U^T)^-1)^T
    flat = np.ascontiguousarray(low).reshape((-1,) + low.shape[-2:])
    out = np.empty(flat.shape, d.dtype)
    _tri_inv_lower(flat, out, unit)
    inv = out.reshape(low.shape)
    return np.swapaxes(inv, -1, -2) if upper else inv


def _tri_solve(t: Arr, b: Arr, upper: bool, unit: bool) -> Arr:
    """``t^-1 b`` reading only ``t``'s lower (upper) triangle, and not its
    diagonal when ``unit``.  ``t`` may be any strided view (a transpose is
    handed to BLAS as one, not copied)."""
    if b.shape[-1] <= _SUBST_MAX_RHS:
        return _solve_subst(t, b, upper, unit)
    x = np.array(b, order="C", copy=True)
    n = t.shape[-1]
    starts = list(range(0, n, _BLOCK))
    with np.errstate(all="ignore"):
        for k0 in reversed(starts) if upper else starts:
            k1 = min(n, k0 + _BLOCK)
            d = t[..., k0:k1, k0:k1]
            # the small diagonal block inverted, then one matmul (as blocked trsm codes do)
            inv = _tri_inv(d, upper, unit)
            if inv is not None:
                x[..., k0:k1, :] = inv @ x[..., k0:k1, :]
            else:  # a zero on the diagonal: substitution gives inf/nan, as JAX does
                x[..., k0:k1, :] = _solve_subst(d, x[..., k0:k1, :], upper, unit)
            # blocks off the diagonal, on the triangle's side: the other one is never read
            if upper and k0 > 0:
                x[..., :k0, :] -= t[..., :k0, k0:k1] @ x[..., k0:k1, :]
            elif not upper and k1 < n:
                x[..., k1:, :] -= t[..., k1:, k0:k1] @ x[..., k0:k1, :]
    return x


def _tri_solve_right(t: Arr, b: Arr, upper: bool, unit: bool) -> Arr:
    """``b t^-1`` (the mirror of :func:`_tri_solve`, by column blocks, so that
    neither ``b`` nor the result is transposed in memory)."""
    x = np.array(b, order="C", copy=True)
    n = t.shape[-1]
    starts = list(range(0, n, _BLOCK))
    with np.errstate(all="ignore"):
        for k0 in starts if upper else reversed(starts):
            k1 = min(n, k0 + _BLOCK)
            d = t[..., k0:k1, k0:k1]
            inv = _tri_inv(d, upper, unit)
            if inv is not None:
                x[..., :, k0:k1] = x[..., :, k0:k1] @ inv
            else:
                sol = _solve_subst(np.swapaxes(d, -1, -2), np.swapaxes(x[..., :, k0:k1], -1, -2), not upper, unit)
                x[..., :, k0:k1] = np.swapaxes(sol, -1, -2)
            if upper and k1 < n:
                x[..., :, k1:] -= x[..., :, k0:k1] @ t[..., k0:k1, k1:]
            elif not upper and k0 > 0:
                x[..., :, :k0] -= x[..., :, k0:k1] @ t[..., k0:k1, :k0]
    return x


def triangular_solve(a: Arr, b: Arr, left_side: bool, lower: bool, transpose_a: bool, unit_diagonal: bool) -> Arr:
    """Solve ``op(a) x = b`` (``left_side``) or ``x op(a) = b``, reading only
    ``a``'s triangle (and not its diagonal when ``unit_diagonal``).

    Example:
        >>> a = np.array([[2.0, 0.0], [1.0, 1.0]])
        >>> triangular_solve(a, np.array([[2.0], [3.0]]), True, True, False, False).ravel().tolist()
        [1.0, 2.0]
    """
    if not left_side and b.shape[-2] > _SUBST_MAX_RHS and b.size and a.shape[-1]:
        op_a = np.swapaxes(a, -1, -2) if transpose_a else a
        out_r = _tri_solve_right(op_a, b, upper=lower == transpose_a, unit=unit_diagonal)
        return np.ascontiguousarray(out_r, dtype=b.dtype)
    # otherwise as a left-side solve: x op(a) = b is op(a)^T x^T = b^T
    flip = transpose_a != (not left_side)
    eff = np.swapaxes(a, -1, -2) if flip else a
    rhs = b if left_side else np.swapaxes(b, -1, -2)
    if rhs.size == 0 or eff.shape[-1] == 0:
        out = np.zeros(rhs.shape, b.dtype)
    else:
        out = _tri_solve(eff, rhs, upper=lower == flip, unit=unit_diagonal)
    out = out if left_side else np.swapaxes(out, -1, -2)
    return np.ascontiguousarray(out, dtype=b.dtype)


@njit(cache=True, error_model="numpy")
def _lu_panel(a: Arr, piv: Arr, perm: Arr, j0: int, j1: int) -> None:  # pragma: no cover - compiled
    """Unblocked LU of columns ``j0:j1`` (rows ``j0:``), swapping whole rows,
    and the panel rows' trailing block ``U12``; the trailing matrix is left
    to the caller (one BLAS matmul)."""
    nb, m, n = a.shape
    for b in range(nb):
        for j in range(j0, j1):
            p = j
            best = abs(a[b, j, j])
            for i in range(j + 1, m):
                v = abs(a[b, i, j])
                if v > best:
                    best = v
                    p = i
            piv[b, j] = p
            if p != j:
                for c in range(n):
                    t = a[b, j, c]
                    a[b, j, c] = a[b, p, c]
                    a[b, p, c] = t
                t2 = perm[b, j]
                perm[b, j] = perm[b, p]
                perm[b, p] = t2
            d = a[b, j, j]
            if d != 0:
                for i in range(j + 1, m):
                    f = a[b, i, j] / d
                    a[b, i, j] = f
                    for c in range(j + 1, j1):
                        a[b, i, c] -= f * a[b, j, c]
        # U12 = L11^-1 A12: forward substitution along the panel's rows
        for i in range(j0 + 1, j1):
            for p in range(j0, i):
                f = a[b, i, p]
                if f != 0:
                    for c in range(j1, n):
                        a[b, i, c] -= f * a[b, p, c]


# LU panels this wide: the panel is factored by the loop above, the trailing
# matrix updated by one triangular solve and one matmul (BLAS) per panel
_LU_BLOCK = 32


def solve(a: Arr, b: Arr) -> Arr:
    """``a^-1 b`` for each square ``a`` (batch axes equal), by LAPACK's gesv; a
    singular matrix gives inf/nan (as JAX's LU solve does) rather than raising.

    Example:
        >>> solve(np.array([[2.0, 0.0], [1.0, 1.0]]), np.array([[2.0], [3.0]])).ravel().tolist()
        [1.0, 2.0]
    """
    if a.size == 0 or b.size == 0:
        return np.zeros(b.shape, b.dtype)
    try:
        return np.ascontiguousarray(np.linalg.solve(a, b), b.dtype)
    except np.linalg.LinAlgError:
        pass
    f, _, perm = lu(a)  # the pivoted factors carry the zero pivot through as inf/nan
    y = np.take_along_axis(b, perm[..., :, None].astype(np.intp), axis=-2)
    y = triangular_solve(f, y, True, True, False, True)
    return triangular_solve(f, y, True, False, False, False)


def inv(a: Arr) -> Arr:
    """The inverse of each square matrix (LAPACK through NumPy); a singular one
    gives inf/nan, as :func:`solve` does.

    Example:
        >>> inv(np.array([[2.0, 0.0], [0.0, 4.0]])).tolist()
        [[0.5, 0.0], [0.0, 0.25]]
    """
    if a.size == 0:
        return np.zeros(a.shape, a.dtype)
    try:
        return np.ascontiguousarray(np.linalg.inv(a), a.dtype)
    except np.linalg.LinAlgError:
        return solve(a, np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape))


def lu(a: Arr) -> tuple[Arr, Arr, Arr]:
    """LU with partial pivoting of each ``(m, n)`` matrix, as ``jax.lax.linalg.lu``:
    the packed factors, the int32 pivots (row ``i`` swapped with ``pivots[i]``)
    and the int32 permutation (``a[perm] = L U``).

    Example:
        >>> f, piv, perm = lu(np.array([[1.0, 2.0], [3.0, 4.0]]))
        >>> piv.tolist(), perm.tolist()
        ([1, 1], [1, 0])
    """
    m, n = a.shape[-2:]
    batch = a.shape[:-2]
    work = np.array(a, dtype=a.dtype, order="C", copy=True).reshape((int(np.prod(batch)), m, n))
    piv = np.zeros((work.shape[0], min(m, n)), np.int32)
    perm = np.zeros((work.shape[0], m), np.int32)
    perm[:] = np.arange(m, dtype=np.int32)
    if work.size:
        k = min(m, n)
        for j0 in range(0, k, _LU_BLOCK):
            j1 = min(k, j0 + _LU_BLOCK)
            _lu_panel(work, piv, perm, j0, j1)
            if j1 < n and j1 < m:
                work[:, j1:, j1:] -= work[:, j1:, j0:j1] @ work[:, j0:j1, j1:]
    return work.reshape(a.shape), piv.reshape(batch + (min(m, n),)), perm.reshape(batch + (m,))


def qr(a: Arr, complete: bool) -> tuple[Arr, Arr]:
    """Q and R of each matrix (``numpy.linalg.qr``'s signs).

    Example:
        >>> q, r = qr(np.eye(2), False)
        >>> q.shape, r.shape
        ((2, 2), (2, 2))
    """
    m, n = a.shape[-2:]
    k = m if complete else min(m, n)
    if a.size == 0:
        q = np.zeros(a.shape[:-2] + (m, k), a.dtype)
        if k:
            q[..., np.arange(min(m, k)), np.arange(min(m, k))] = 1
        return q, np.zeros(a.shape[:-2] + (k, n), a.dtype)
    q, r = np.linalg.qr(a, mode="complete" if complete else "reduced")
    return np.ascontiguousarray(q, a.dtype), np.ascontiguousarray(r, a.dtype)


def eigh(a: Arr, lower: bool) -> tuple[Arr, Arr]:
    """Eigenvectors (columns) and ascending eigenvalues of each symmetric matrix,
    reading the lower or upper triangle.

    Example:
        >>> v, w = eigh(np.diag([2.0, 1.0]), True)
        >>> w.tolist()
        [1.0, 2.0]
    """
    n = a.shape[-1]
    rdt = _real(a.dtype)
    if a.size == 0:
        return np.zeros(a.shape, a.dtype), np.zeros(a.shape[:-1], rdt)
    w, v = np.linalg.eigh(a, UPLO="L" if lower else "U")
    return np.ascontiguousarray(v, a.dtype), np.ascontiguousarray(w, rdt).reshape(a.shape[:-2] + (n,))


def _real(dt: np.dtype[Any]) -> np.dtype[Any]:
    return np.dtype(np.float32) if dt == np.complex64 else np.dtype(np.float64) if dt.kind == "c" else dt


def _complex(dt: np.dtype[Any]) -> np.dtype[Any]:
    return np.dtype(np.complex64) if dt in (np.float32, np.complex64) else np.dtype(np.complex128)


def _unit_largest_real(v: Arr) -> Arr:
    """Columns scaled to unit 2-norm with their largest-modulus component real and
    positive (LAPACK geev's normalisation, up to that component's sign)."""
    nrm = np.sqrt(np.sum(np.abs(v) ** 2, axis=-2, keepdims=True))
    v = v / np.where(nrm == 0, 1, nrm)
    k = np.argmax(np.abs(v), axis=-2)[..., None, :]
    big = np.take_along_axis(v, k, axis=-2)
    mag = np.abs(big)
    out: Arr = v * np.where(mag == 0, 1, np.conjugate(big) / np.where(mag == 0, 1, mag))
    return out


def _eig_one(a: Arr, vectors: bool) -> tuple[Arr, Arr]:
    try:
        if vectors:
            w, v = np.linalg.eig(a)
            return w, v
        return np.linalg.eigvals(a), np.zeros(a.shape, a.dtype)
    except (np.linalg.LinAlgError, ValueError):
        flat = a.reshape((-1,) + a.shape[-2:])
        if a.ndim == 2:  # no convergence or non-finite input: NaN, as JAX
            return np.full(a.shape[:-1], np.nan, _complex(a.dtype)), np.full(a.shape, np.nan, _complex(a.dtype))
        ws, vs = zip(*(_eig_one(m, vectors) for m in flat))
        return (np.asarray(ws, _complex(a.dtype)).reshape(a.shape[:-1]),
                np.asarray(vs, _complex(a.dtype)).reshape(a.shape))


def eig(a: Arr, left: bool, right: bool) -> tuple[Arr, Arr | None, Arr | None]:
    """Eigenvalues and (``left``/``right``) eigenvectors of each general square
    matrix, always complex, as ``jax.lax.linalg.eig``: right eigenvectors are
    LAPACK's (``a v_j = w_j v_j``, unit norm, largest component real), left ones
    satisfy ``u_j^H a = w_j u_j^H``, normalised the same way.  A matrix whose
    iteration fails (or that holds inf/nan) gives NaNs, as JAX.

    Example:
        >>> w, _, v = eig(np.array([[0.0, 1.0], [-1.0, 0.0]]), False, True)
        >>> sorted(w.imag.tolist())
        [-1.0, 1.0]
    """
    cdt = _complex(a.dtype)
    n = a.shape[-1]
    if a.size == 0:
        z = np.zeros(a.shape, cdt)
        return np.zeros(a.shape[:-1], cdt), (z if left else None), (z.copy() if right else None)
    w, vr = _eig_one(a, left or right)
    w = np.ascontiguousarray(w, cdt).reshape(a.shape[:-2] + (n,))
    vr = np.ascontiguousarray(vr, cdt)
    vl = None
    if left:
        with np.errstate(all="ignore"):
            try:
                inv = np.linalg.inv(vr)
            except np.linalg.LinAlgError:
                inv = np.full(vr.shape, np.nan, cdt)
            vl = np.ascontiguousarray(_unit_largest_real(np.conjugate(np.swapaxes(inv, -1, -2))), cdt)
    return w, vl, (vr if right else None)


def svd(a: Arr, full_matrices: bool, compute_uv: bool) -> tuple[Arr, ...]:
    """Singular values (descending) and, when ``compute_uv``, U and V^T.

    Example:
        >>> [x.shape for x in svd(np.ones((3, 2)), False, True)]
        [(2,), (3, 2), (2, 2)]
    """
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    if a.size == 0:
        s = np.zeros(batch + (k,), _real(a.dtype))
        if not compute_uv:
            return (s,)
        um, vn = (m, n) if full_matrices else (k, k)
        u = np.zeros(batch + (m, um), a.dtype)
        vt = np.zeros(batch + (vn, n), a.dtype)
        u[..., np.arange(min(m, um)), np.arange(min(m, um))] = 1
        vt[..., np.arange(min(vn, n)), np.arange(min(vn, n))] = 1
        return s, u, vt
    if not compute_uv:
        return (np.ascontiguousarray(np.linalg.svd(a, compute_uv=False), _real(a.dtype)),)
    u, s, vt = np.linalg.svd(a, full_matrices=full_matrices)
    return (np.ascontiguousarray(s, _real(a.dtype)), np.ascontiguousarray(u, a.dtype),
            np.ascontiguousarray(vt, a.dtype))


def lu_pivots_to_permutation(piv: Arr, size: int) -> Arr:
    """The int32 permutation that the row swaps ``pivots`` make of ``range(size)``.

    Example:
        >>> lu_pivots_to_permutation(np.array([1, 1], np.int32), 3).tolist()
        [1, 0, 2]
    """
    batch = piv.shape[:-1]
    flat = piv.reshape((int(np.prod(batch)), piv.shape[-1])).astype(np.int64)
    perm = np.tile(np.arange(size, dtype=np.int32), (flat.shape[0], 1))
    rows = np.arange(flat.shape[0])
    for i in range(flat.shape[1]):
        j = flat[:, i]
        pi = perm[:, i].copy()
        perm[:, i] = perm[rows, j]
        perm[rows, j] = pi
    return perm.reshape(batch + (size,))
