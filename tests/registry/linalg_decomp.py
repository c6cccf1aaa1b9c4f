"""Registry entries for the matrix decompositions (NumPy/SciPy as the oracles).

Each entry moves its drawn values (in [-1, 1]) into the op's domain inside
``fn`` itself (``x @ x.T + n I`` for Cholesky, a dominant anti-diagonal so
that LU pivots and the matrix stays well conditioned, well-separated
eigenvalues and singular values), so every drawn value — also the permuted
ones of the vmap sweep and the jittered ones of the gradient sweep — is a
valid, well-conditioned input.  Eigenvectors and singular vectors are
returned squared (sign-free), so NumPy's and finite differences' sign
choices cannot differ from ours.
"""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st
import numpy as np

import functorch_lite.numpy as jnp
from functorch_lite.lax import linalg as lax_linalg
from functorch_lite.scipy import linalg as fl_sl
from tests.registry import OpEntry, register
from tests.strategies import FLOATS, np_arrays, shapes

_TOL = {"rtol": 1e-4, "atol": 1e-4}


def _draw(data: Any, shps: list[tuple[int, ...]]) -> list[Any]:
    dt = data.draw(st.sampled_from(FLOATS))
    return [data.draw(np_arrays(dt, s, -1, 1)) for s in shps]


def _square(min_n: int = 0) -> Any:
    def draw(data: Any) -> list[Any]:
        batch = data.draw(shapes(0, 2, 0, 2))
        n = data.draw(st.integers(min_n, 4))
        return _draw(data, [batch + (n, n)])

    return draw


def _rect(tall_only: bool = False) -> Any:
    def draw(data: Any) -> list[Any]:
        batch = data.draw(shapes(0, 1, 0, 2))
        m, n = data.draw(st.integers(0, 4)), data.draw(st.integers(0, 4))
        if tall_only and m < n:
            m, n = n, m
        return _draw(data, [batch + (m, n)])

    return draw


def _square_rhs(data: Any) -> list[Any]:
    batch = data.draw(shapes(0, 1, 0, 2))
    n, k = data.draw(st.integers(0, 4)), data.draw(st.integers(0, 3))
    return _draw(data, [batch + (n, n), batch + (n, k)])


# --- domain maps, in both libraries ----------------------------------------------------------


def _np_spd(x: Any) -> Any:
    n = x.shape[-1]
    return x @ np.swapaxes(x, -1, -2) + n * np.eye(n, dtype=x.dtype)


def _fl_spd(x: Any) -> Any:
    n = x.shape[-1]
    return x @ jnp.matrix_transpose(x) + n * jnp.eye(n, dtype=x.dtype)


def _anti(m: int, n: int, dtype: Any) -> Any:
    k = min(m, n)
    j = np.zeros((m, n), dtype)
    j[np.arange(k), k - 1 - np.arange(k)] = 2.0 * max(m, n) + 2.0
    return j


def _np_pivoting(x: Any) -> Any:
    return x + _anti(*x.shape[-2:], x.dtype)


def _fl_pivoting(x: Any) -> Any:
    return x + jnp.asarray(_anti(*x.shape[-2:], x.dtype))


def _sep_diag(m: int, n: int, dtype: Any) -> Any:
    # diagonal values 10, 20, ...: singular values/eigenvalues stay >= 2 apart under
    # a perturbation of spectral norm <= 4 (a 4x4 matrix of entries in [-1, 1])
    k = min(m, n)
    d = np.zeros((m, n), dtype)
    d[np.arange(k), np.arange(k)] = 10.0 * (k - np.arange(k))
    return d


def _np_sym(x: Any) -> Any:
    n = x.shape[-1]
    return 0.5 * (x + np.swapaxes(x, -1, -2)) + _sep_diag(n, n, x.dtype)


def _fl_sym(x: Any) -> Any:
    n = x.shape[-1]
    return 0.5 * (x + jnp.matrix_transpose(x)) + jnp.asarray(_sep_diag(n, n, x.dtype))


def _np_sep(x: Any) -> Any:
    return x + _sep_diag(*x.shape[-2:], x.dtype)


def _fl_sep(x: Any) -> Any:
    return x + jnp.asarray(_sep_diag(*x.shape[-2:], x.dtype))


def _same_dtype(fn: Any) -> Any:
    """NumPy reference in the input dtype (LAPACK's float32 routines, as ours)."""

    def ref(*xs: Any) -> Any:
        out = fn(*xs)
        dt = xs[0].dtype
        if isinstance(out, tuple):
            return tuple(np.asarray(o).astype(dt) if np.asarray(o).dtype.kind == "f" else np.asarray(o) for o in out)
        return np.asarray(out).astype(dt)

    return ref


# --- entries ---------------------------------------------------------------------------------

register(OpEntry("linalg_cholesky", lambda x: jnp.linalg.cholesky(_fl_spd(x)),
                 _same_dtype(lambda x: np.linalg.cholesky(_np_spd(x)) if x.size else np.zeros(x.shape, x.dtype)),
                 _square(), ("cholesky",), **_TOL))

register(OpEntry("linalg_solve", lambda a, b: jnp.linalg.solve(_fl_pivoting(a), b),
                 _same_dtype(lambda a, b: np.linalg.solve(_np_pivoting(a), b) if a.size and b.size
                             else np.zeros(b.shape, a.dtype)),
                 _square_rhs, ("solve",), **_TOL))

register(OpEntry("linalg_inv", lambda a: jnp.linalg.inv(_fl_pivoting(a)),
                 _same_dtype(lambda a: np.linalg.inv(_np_pivoting(a)) if a.size else np.zeros(a.shape, a.dtype)),
                 _square(), ("inv",), **_TOL))

register(OpEntry("linalg_slogdet", lambda a: tuple(jnp.linalg.slogdet(_fl_pivoting(a))),
                 _same_dtype(lambda a: tuple(np.linalg.slogdet(_np_pivoting(a)))),
                 _square(), ("lu",), **_TOL))

register(OpEntry("linalg_qr", lambda a: tuple(jnp.linalg.qr(_fl_pivoting(a))),
                 _same_dtype(lambda a: tuple(np.linalg.qr(_np_pivoting(a)))), _rect(), ("qr",),
                 **_TOL))


def _np_eigh(a: Any) -> Any:
    w, v = np.linalg.eigh(_np_sym(a))
    return w, v * v


def _fl_eigh(a: Any) -> Any:
    w, v = jnp.linalg.eigh(_fl_sym(a))
    return w, v * v


register(OpEntry("linalg_eigh", _fl_eigh, _same_dtype(_np_eigh), _square(), ("eigh",), **_TOL))


def _np_svd(a: Any) -> Any:
    u, s, vt = np.linalg.svd(_np_sep(a), full_matrices=False)
    return u * u, s, vt * vt


def _fl_svd(a: Any) -> Any:
    u, s, vt = jnp.linalg.svd(_fl_sep(a), full_matrices=False)
    return u * u, s, vt * vt


register(OpEntry("linalg_svd", _fl_svd, _same_dtype(_np_svd), _rect(), ("svd",), **_TOL))
register(OpEntry("linalg_svdvals", lambda a: jnp.linalg.svdvals(_fl_sep(a)),
                 _same_dtype(lambda a: np.linalg.svd(_np_sep(a), compute_uv=False)), _rect(), ("svd",), **_TOL))


def _np_lu(a: Any) -> Any:
    import scipy.linalg as sl

    x = _np_pivoting(a)
    m, n = x.shape[-2:]
    k = min(m, n)
    flat = x.reshape((int(np.prod(x.shape[:-2])), m, n))
    fs, pivs, perms = [], [], []
    for mat in flat:
        if mat.size:
            p, low, up = sl.lu(mat)
            f = np.zeros((m, n), x.dtype)
            f[:, :k] += np.tril(low, -1)[:, :k]
            f[:k, :] += up[:k, :]
            perm = np.argmax(p, axis=0).astype(np.int32)
            piv = _pivots_from_perm(perm, k)
        else:
            f = np.zeros((m, n), x.dtype)
            perm = np.arange(m, dtype=np.int32)
            piv = np.zeros(k, np.int32)
        fs.append(f)
        pivs.append(piv)
        perms.append(perm)
    shape = x.shape[:-2]
    return (np.asarray(fs, x.dtype).reshape(x.shape), np.asarray(pivs, np.int32).reshape(shape + (k,)),
            np.asarray(perms, np.int32).reshape(shape + (m,)))


def _pivots_from_perm(perm: Any, k: int) -> Any:
    cur = list(range(len(perm)))
    piv = np.zeros(k, np.int32)
    for i in range(k):
        j = cur.index(int(perm[i]))
        piv[i] = j
        cur[i], cur[j] = cur[j], cur[i]
    return piv


register(OpEntry("lax_linalg_lu", lambda a: lax_linalg.lu(_fl_pivoting(a)), _same_dtype(_np_lu), _rect(), ("lu",),
                 **_TOL))


def _tri_inputs(left: bool) -> Any:
    def draw(data: Any) -> list[Any]:
        batch = data.draw(shapes(0, 1, 0, 2))
        n, k = data.draw(st.integers(0, 4)), data.draw(st.integers(0, 3))
        return _draw(data, [batch + (n, n), batch + ((n, k) if left else (k, n))])

    return draw


def _np_tri(a: Any, lower: bool, unit: bool) -> Any:
    n = a.shape[-1]
    t = np.tril(a) if lower else np.triu(a)
    t = t + (0.0 if unit else 3.0) * np.eye(n, dtype=a.dtype)
    if unit:
        t[..., np.arange(n), np.arange(n)] = 1
    return t


for _lower, _trans, _unit in ((True, False, False), (False, True, False), (True, True, True), (False, False, True)):
    def _fl_tri(a: Any, b: Any, lo: bool = _lower, tr: bool = _trans, un: bool = _unit) -> Any:
        n = a.shape[-1]
        shift = a + (0.0 if un else 3.0) * jnp.eye(n, dtype=a.dtype)
        return fl_sl.solve_triangular(shift, b, trans=int(tr), lower=lo, unit_diagonal=un)

    def _ref_tri(a: Any, b: Any, lo: bool = _lower, tr: bool = _trans, un: bool = _unit) -> Any:
        t = _np_tri(a, lo, un)
        op = np.swapaxes(t, -1, -2) if tr else t
        return (np.linalg.solve(op, b) if a.size and b.size else np.zeros(b.shape)).astype(a.dtype)

    register(OpEntry(f"scipy_solve_triangular[lower={_lower},trans={_trans},unit={_unit}]", _fl_tri, _ref_tri,
                     _tri_inputs(True), ("triangular_solve",), **_TOL))


def _fl_tri_right(a: Any, b: Any) -> Any:
    n = a.shape[-1]
    return lax_linalg.triangular_solve(a + 3.0 * jnp.eye(n, dtype=a.dtype), b, left_side=False, lower=True)


def _ref_tri_right(a: Any, b: Any) -> Any:
    t = _np_tri(a, True, False)
    if not (a.size and b.size):
        return np.zeros(b.shape, a.dtype)
    return np.swapaxes(np.linalg.solve(np.swapaxes(t, -1, -2), np.swapaxes(b, -1, -2)), -1, -2).astype(a.dtype)


register(OpEntry("lax_triangular_solve_right", _fl_tri_right, _ref_tri_right, _tri_inputs(False),
                 ("triangular_solve",), **_TOL))


_PERM_SIZE = 5


def _pivot_inputs(data: Any) -> list[Any]:
    batch = data.draw(shapes(0, 1, 0, 2))
    k = data.draw(st.integers(0, _PERM_SIZE))
    return [data.draw(np_arrays(np.dtype(np.int32), batch + (k,), 0, _PERM_SIZE - 1))]


def _np_pivots_to_perm(piv: Any) -> Any:
    size = _PERM_SIZE
    flat = piv.reshape((int(np.prod(piv.shape[:-1])), piv.shape[-1]))
    out = []
    for row in flat:
        perm = list(range(size))
        for i, j in enumerate(row):
            perm[i], perm[int(j)] = perm[int(j)], perm[i]
        out.append(perm)
    return np.asarray(out, np.int32).reshape(piv.shape[:-1] + (size,))


register(OpEntry("lax_lu_pivots_to_permutation",
                 lambda piv: lax_linalg.lu_pivots_to_permutation(piv, _PERM_SIZE),
                 _np_pivots_to_perm, _pivot_inputs, ("lu_pivots_to_permutation",),
                 differentiable=False))


def _expm_ref(a: Any) -> Any:
    import scipy.linalg as sl

    if a.size == 0:
        return np.zeros(a.shape, a.dtype)
    flat = a.reshape((-1,) + a.shape[-2:]).astype(np.float64)
    return np.asarray([sl.expm(x) for x in flat]).reshape(a.shape).astype(a.dtype)


register(OpEntry("scipy_expm", fl_sl.expm, _expm_ref, _square(), ("solve",), **_TOL))


# eig of a matrix with well-separated real eigenvalues (10, 20, ... on the diagonal plus
# a perturbation of spectral norm <= 4): the eigenvalues are real, so their sorted real
# parts are a smooth, order-free function; eigenvectors enter as |v|^2 (phase-free)
def _np_eig(a: Any) -> Any:
    w, v = np.linalg.eig(_np_sep(a)) if a.size else (np.zeros(a.shape[:-1]), np.zeros(a.shape))
    order = np.argsort(np.real(w), axis=-1)
    w = np.take_along_axis(np.real(w), order, axis=-1)
    v2 = np.take_along_axis(np.abs(v) ** 2, order[..., None, :], axis=-1)
    return w, v2


def _fl_eig(a: Any) -> Any:
    w, v = jnp.linalg.eig(_fl_sep(a))
    order = jnp.argsort(jnp.real(w), axis=-1)
    w_sorted = jnp.take_along_axis(jnp.real(w), order, axis=-1)
    v2 = jnp.take_along_axis(jnp.abs(v) ** 2, order[..., None, :], axis=-1)
    return w_sorted, v2


register(OpEntry("linalg_eig", _fl_eig, _same_dtype(_np_eig), _square(), ("eig",), **_TOL))
