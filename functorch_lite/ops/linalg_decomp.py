"""Matrix decomposition primitives: ``cholesky``, ``triangular_solve``, ``lu``,
``qr``, ``eigh``, ``svd`` and ``eig`` (``jax.lax.linalg``'s forms), for real
and complex floats.

Each works on the last two axes and batches over the leading ones; its batch
rule moves the vmapped axis to the front.  The jvp rules are JAX's
(``jax/_src/lax/linalg.py``): Cholesky's ``L phi(L^-1 dA L^-T)``, eigh's
with the ``1 / (w_j - w_i)`` matrix, svd's, qr's and lu's.  The vjp rules are
those jvp rules transposed by hand (this library's reverse mode runs vjp
rules, not transposed linearisations), written with primitives so that
second derivatives work.  ``triangular_solve`` is linear in ``b``.

Complex matrices follow JAX: the jvp rules use conjugate transposes where the
real ones use transposes (``L L^H``, ``V^H dA V``, ``U^H dA V``, QR's
skew-Hermitian ``do`` with its imaginary diagonal), and each vjp is the
transpose of its jvp under the bilinear pairing ``Re(sum(ct * t))`` (no
conjugation of the cotangent, DESIGN.md "Conventions").  ``eigh`` and ``svd``
return real eigenvalues/singular values.  ``eig`` (general matrices) always
returns complex values and vectors (LAPACK's geev normalisation: unit norm,
largest component real); its eigenvalue derivative is ``diag(V^-1 dA V)`` and
its eigenvector derivative (JAX's ``enable_eigvec_derivs`` rule, nondegenerate
perturbation theory through that normalisation) is opt-in, as in JAX.

``cholesky`` and ``eigh`` take ``symmetrize_input`` (JAX does this with ops
before its primitive): they then factor ``(a + a^T) / 2``, and their
tangents and cotangents are symmetrised to match.  ``lu_pivots_to_permutation``
turns LU's row swaps into a permutation (``scipy.linalg.lu_solve`` needs it).

Degenerate points are JAX's: repeated eigenvalues (eigh) or singular values
(svd) put ``inf``/``nan`` in the derivatives; a zero singular value makes
the rectangular svd's U (or V) derivative infinite; qr is differentiable
for every shape but tall complete factorisations (wide ``m < n`` as PyTorch
does it, through the square left block: JAX raises there); svd's derivative with
``full_matrices=True`` needs a square matrix.  A matrix that is not positive
definite gives a NaN Cholesky factor (no exception), as in JAX.

Example:
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite.ops.linalg_decomp import cholesky_p
    >>> cholesky_p.bind(jnp.array([[4.0, 2.0], [2.0, 2.0]])).tolist()
    [[2.0, 0.0], [1.0, 1.0]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from functorch_lite import dtypes
from functorch_lite.array import Array
from functorch_lite.core import Primitive, ShapedArray
from functorch_lite.ops import _rules as r
from functorch_lite.ops import params as P
from functorch_lite.ops.elementwise import complex_p, conj_p, imag_p, real_p
from functorch_lite.ops.kernels import linalg_decomp as k
from functorch_lite.ops.linalg import dot_general_p
from functorch_lite.ops.tables import VjpAll, batch_rules, jvp_rules, param_types, vjp_rules

_INT32 = np.dtype(np.int32)

LINALG_DECOMP: dict[str, Primitive] = {}


def _check_matrix(name: str, x: ShapedArray, square: bool = False) -> None:
    if x.dtype.kind not in "fc":
        raise TypeError(
            f"{name}: expected a floating-point (real or complex) array, got {x.str_short()}; convert it with "
            f".astype(jnp.float32) or .astype(jnp.float64) first"
        )
    if x.ndim < 2:
        raise ValueError(f"{name}: expected a matrix (or a batch of matrices, ndim >= 2), got {x.str_short()}")
    if square and x.shape[-1] != x.shape[-2]:
        raise ValueError(f"{name}: expected square matrices in the last two axes, got {x.str_short()}")


# --- helpers for rules (all through primitives, so they differentiate and batch) ----------


def _const(x: Any, dtype: np.dtype[Any]) -> Array:
    return Array._wrap(np.array(x, dtype=dtype, order="C"))


def _shape(x: Any) -> tuple[int, ...]:
    return r.get_aval(x).shape


def _dtype(x: Any) -> np.dtype[Any]:
    return r.get_aval(x).dtype


def _mT(x: Any) -> Any:
    nd = len(_shape(x))
    return r.transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


def _cx(x: Any) -> bool:
    return bool(_dtype(x).kind == "c")


def _conj(x: Any) -> Any:
    return conj_p.bind(x) if _cx(x) else x


def _mH(x: Any) -> Any:
    """The conjugate transpose of the last two axes (the transpose for real x)."""
    return _conj(_mT(x))


def _re(x: Any) -> Any:
    return real_p.bind(x) if _cx(x) else x


def _as(x: Any, dtype: np.dtype[Any]) -> Any:
    """x (real or complex) as ``dtype``: complex -> real takes the real part (the
    transpose of embedding reals in the complex plane)."""
    if _dtype(x) == dtype:
        return x
    if dtype.kind != "c" and _cx(x):
        x = real_p.bind(x)
    return r.convert(x, dtype) if _dtype(x) != dtype else x


def _mm(a: Any, b: Any) -> Any:
    """Batched matrix product over equal leading axes."""
    nd = len(_shape(a))
    batch = tuple(range(nd - 2))
    return dot_general_p.bind(a, b, dimension_numbers=(((nd - 1,), (nd - 2,)), (batch, batch)),
                              preferred_element_type=None)


def _mask(x: Any, keep: np.ndarray[Any, Any]) -> Any:
    """x where the (m, n) boolean ``keep`` is True, zero elsewhere (select, not a
    multiply: an inf outside the mask must not become nan)."""
    shape = _shape(x)
    nd = len(shape)
    pred = r.broadcast(Array._wrap(np.ascontiguousarray(keep)), shape, (nd - 2, nd - 1))
    return r.select(pred, x, r.full_like(x, 0))


def _tril(x: Any, k_: int = 0) -> Any:
    m, n = _shape(x)[-2:]
    return _mask(x, np.tri(m, n, k_, dtype=bool))


def _triu(x: Any, k_: int = 0) -> Any:
    m, n = _shape(x)[-2:]
    return _mask(x, ~np.tri(m, n, k_ - 1, dtype=bool))


def _add_const_matrix(x: Any, c: np.ndarray[Any, Any]) -> Any:
    shape = _shape(x)
    nd = len(shape)
    return r.add(x, r.broadcast(_const(c, _dtype(x)), shape, (nd - 2, nd - 1)))


def _mul_const_matrix(x: Any, c: np.ndarray[Any, Any]) -> Any:
    shape = _shape(x)
    nd = len(shape)
    return r.mul(x, r.broadcast(_const(c, _dtype(x)), shape, (nd - 2, nd - 1)))


def _rows(v: Any, n: int) -> Any:
    """``v[..., None, :]`` broadcast to ``(..., n, len)``: v_j along columns."""
    s = _shape(v)
    nb = len(s) - 1
    return r.broadcast(v, s[:-1] + (n, s[-1]), tuple(range(nb)) + (nb + 1,))


def _cols(v: Any, n: int) -> Any:
    """``v[..., :, None]`` broadcast to ``(..., len, n)``: v_i along rows."""
    s = _shape(v)
    nb = len(s) - 1
    return r.broadcast(v, s[:-1] + (s[-1], n), tuple(range(nb)) + (nb,))


def _diag(x: Any) -> Any:
    nd = len(_shape(x))
    return r._p("diagonal").bind(x, offset=0, axis1=nd - 2, axis2=nd - 1)


def _diag_part(x: Any) -> Any:
    """x with everything off the diagonal zeroed."""
    m, n = _shape(x)[-2:]
    return _mask(x, np.eye(m, n, dtype=bool))


def _diag_embed(v: Any) -> Any:
    n = _shape(v)[-1]
    return _mask(_rows(v, n), np.eye(n, dtype=bool))


def _slice_last2(x: Any, rows: tuple[int, int], cols: tuple[int, int]) -> Any:
    shape = _shape(x)
    nb = len(shape) - 2
    if (rows, cols) == ((0, shape[-2]), (0, shape[-1])):
        return x
    return r._p("slice").bind(x, start_indices=(0,) * nb + (rows[0], cols[0]),
                              limit_indices=shape[:-2] + (rows[1], cols[1]), strides=(1,) * (nb + 2))


def _pad_last2(x: Any, extra_rows: int, extra_cols: int) -> Any:
    if not extra_rows and not extra_cols:
        return x
    nb = len(_shape(x)) - 2
    cfg = ((0, 0, 0),) * nb + ((0, extra_rows, 0), (0, extra_cols, 0))
    return r._p("pad").bind(x, _const(0, _dtype(x)), padding_config=cfg)


def _front_batch(prim: Primitive) -> None:
    """Batch rule of a one-operand op on the last two axes: vmapped axis first."""

    def rule(vals: Sequence[Any], dims: Sequence[int | None], *, axis_size: int, **params: Any) -> Any:
        x = r.moveaxis(vals[0], dims[0], 0)  # type: ignore[arg-type]
        out = prim.bind(x, **params)
        return out, ([0] * len(out) if prim.multiple_results else 0)

    batch_rules[prim] = rule


def _declare(name: str, *, multiple_results: bool = False) -> Primitive:
    p = Primitive(name, multiple_results=multiple_results)
    LINALG_DECOMP[name] = p
    return p


# --- triangular_solve -----------------------------------------------------------------------

triangular_solve_p = _declare("triangular_solve")
_OPT_BOOL = P.ParamSpec("a boolean", lambda v: type(v) is bool, required=False)
param_types[triangular_solve_p] = {"left_side": P.BOOL, "lower": P.BOOL, "transpose_a": P.BOOL,
                                   "unit_diagonal": P.BOOL, "conjugate_a": _OPT_BOOL}


def _trisolve_abstract(a: ShapedArray, b: ShapedArray, *, left_side: bool, lower: bool, transpose_a: bool,
                       unit_diagonal: bool, conjugate_a: bool = False) -> ShapedArray:
    _check_matrix("triangular_solve", a, square=True)
    _check_matrix("triangular_solve", b)
    if a.dtype != b.dtype:
        raise TypeError(f"triangular_solve: a and b must have one dtype, got {a.str_short()} and {b.str_short()}")
    n = a.shape[-1]
    side = b.shape[-2] if left_side else b.shape[-1]
    if a.shape[:-2] != b.shape[:-2] or side != n:
        want = "(..., n, m)" if left_side else "(..., m, n)"
        raise ValueError(
            f"triangular_solve: with left_side={left_side}, b must be {want} with the batch axes of a; "
            f"got a {a.str_short()} and b {b.str_short()}"
        )
    return ShapedArray(b.shape, b.dtype, b.weak_type)


def _trisolve_impl(a: Array, b: Array, *, left_side: bool, lower: bool, transpose_a: bool,
                   unit_diagonal: bool, conjugate_a: bool = False) -> Array:
    _trisolve_abstract(ShapedArray(a.shape, a.dtype), ShapedArray(b.shape, b.dtype), left_side=left_side,
                       lower=lower, transpose_a=transpose_a, unit_diagonal=unit_diagonal)
    x = a._numpy()
    if conjugate_a and x.dtype.kind == "c":
        x = np.conjugate(x)
    out = k.triangular_solve(x, b._numpy(), left_side, lower, transpose_a, unit_diagonal)
    return Array._wrap(out, b.weak_type)


triangular_solve_p.impl = _trisolve_impl
triangular_solve_p.abstract_eval = _trisolve_abstract


def _tri_part(x: Any, lower: bool, unit_diagonal: bool) -> Any:
    off = 1 if unit_diagonal else 0
    return _tril(x, -off) if lower else _triu(x, off)


def _trisolve_jvp(primals: Any, tangents: Any, **params: Any) -> tuple[Any, Any]:
    a, b = primals
    ta, tb = tangents
    x = triangular_solve_p.bind(a, b, **params)
    out = None
    if not isinstance(tb, r.Zero):
        out = triangular_solve_p.bind(a, tb, **params)
    if not isinstance(ta, r.Zero):
        da = _tri_part(ta, params["lower"], params["unit_diagonal"])
        op_da = _mT(da) if params["transpose_a"] else da
        op_da = _conj(op_da) if params.get("conjugate_a", False) else op_da
        rhs = _mm(op_da, x) if params["left_side"] else _mm(x, op_da)
        term = r.neg(triangular_solve_p.bind(a, rhs, **params))
        out = term if out is None else r.add(out, term)
    return x, (r.Zero(r.get_aval(x)) if out is None else out)


def _trisolve_vjp(ct: Any, x: Any, a: Any, b: Any, *, left_side: bool, lower: bool, transpose_a: bool,
                  unit_diagonal: bool, conjugate_a: bool = False) -> list[Any]:
    # the transpose (no conjugation) of op(a)^-1 is the solve with transpose_a flipped
    bbar = triangular_solve_p.bind(a, ct, left_side=left_side, lower=lower, transpose_a=not transpose_a,
                                   unit_diagonal=unit_diagonal, conjugate_a=conjugate_a)
    if left_side:
        g = _mm(x, _mT(bbar)) if transpose_a else _mm(bbar, _mT(x))
    else:
        g = _mm(_mT(bbar), x) if transpose_a else _mm(_mT(x), bbar)
    g = _conj(g) if conjugate_a else g  # the transpose of conj is conj
    abar = r.neg(_tri_part(g, lower, unit_diagonal)) if r.is_float(a) else None
    return [abar, bbar]


def _trisolve_batch(vals: Sequence[Any], dims: Sequence[int | None], *, axis_size: int, **params: Any) -> Any:
    a, b = (r.bdim_to_front(v, d, axis_size) for v, d in zip(vals, dims))
    return triangular_solve_p.bind(a, b, **params), 0


jvp_rules[triangular_solve_p] = _trisolve_jvp
vjp_rules[triangular_solve_p] = VjpAll(_trisolve_vjp)
batch_rules[triangular_solve_p] = _trisolve_batch


def _solve(a: Any, b: Any, *, left_side: bool = True, lower: bool = True, transpose_a: bool = False,
           unit_diagonal: bool = False, conjugate_a: bool = False) -> Any:
    if conjugate_a and _cx(a):
        return triangular_solve_p.bind(a, b, left_side=left_side, lower=lower, transpose_a=transpose_a,
                                       unit_diagonal=unit_diagonal, conjugate_a=True)
    return triangular_solve_p.bind(a, b, left_side=left_side, lower=lower, transpose_a=transpose_a,
                                   unit_diagonal=unit_diagonal)


# --- solve ------------------------------------------------------------------------------------

# a general square solve as one primitive: LAPACK's gesv (through NumPy) factors and
# solves in one call, twice as fast as lu + two triangular solves on 256x256; its
# derivatives are solves again (with a^T for the transpose), so no factor is kept
solve_p = _declare("solve")


def _solve_abstract(a: ShapedArray, b: ShapedArray) -> ShapedArray:
    _check_matrix("solve", a, square=True)
    _check_matrix("solve", b)
    if a.dtype != b.dtype:
        raise TypeError(f"solve: a and b must have one dtype, got {a.str_short()} and {b.str_short()}")
    if a.shape[:-2] != b.shape[:-2] or b.shape[-2] != a.shape[-1]:
        raise ValueError(f"solve: b must be (..., n, k) with the batch axes of a (..., n, n); "
                         f"got a {a.str_short()} and b {b.str_short()}")
    return ShapedArray(b.shape, b.dtype, b.weak_type)


def _solve_impl(a: Array, b: Array) -> Array:
    _solve_abstract(ShapedArray(a.shape, a.dtype), ShapedArray(b.shape, b.dtype))
    return Array._wrap(k.solve(a._numpy(), b._numpy()), b.weak_type)


solve_p.impl = _solve_impl
solve_p.abstract_eval = _solve_abstract


def _solve_jvp(primals: Any, tangents: Any) -> tuple[Any, Any]:
    (a, b), (ta, tb) = primals, tangents
    x = solve_p.bind(a, b)
    rhs = None if isinstance(tb, r.Zero) else tb
    if not isinstance(ta, r.Zero):
        term = r.neg(_mm(ta, x))
        rhs = term if rhs is None else r.add(rhs, term)
    return x, (r.Zero(r.get_aval(x)) if rhs is None else solve_p.bind(a, rhs))


def _solve_vjp(ct: Any, x: Any, a: Any, b: Any) -> list[Any]:
    # the transpose (no conjugation) of a^-1 is (a^T)^-1
    bbar = solve_p.bind(_mT(a), ct)
    return [r.neg(_mm(bbar, _mT(x))) if r.is_float(a) else None, bbar]


def _solve_batch(vals: Sequence[Any], dims: Sequence[int | None], *, axis_size: int) -> Any:
    a, b = (r.bdim_to_front(v, d, axis_size) for v, d in zip(vals, dims))
    return solve_p.bind(a, b), 0


jvp_rules[solve_p] = _solve_jvp
vjp_rules[solve_p] = VjpAll(_solve_vjp)
batch_rules[solve_p] = _solve_batch


inv_p = _declare("inv")


def _inv_abstract(a: ShapedArray) -> ShapedArray:
    _check_matrix("inv", a, square=True)
    return ShapedArray(a.shape, a.dtype, a.weak_type)


def _inv_impl(a: Array) -> Array:
    _inv_abstract(ShapedArray(a.shape, a.dtype))
    return Array._wrap(k.inv(a._numpy()), a.weak_type)


inv_p.impl = _inv_impl
inv_p.abstract_eval = _inv_abstract


def _inv_jvp(primals: Any, tangents: Any) -> tuple[Any, Any]:
    (a,), (ta,) = primals, tangents
    x = inv_p.bind(a)
    return x, r.neg(_mm(_mm(x, ta), x))


def _inv_vjp(ct: Any, x: Any, a: Any) -> Any:
    xt = _mT(x)  # the transpose (no conjugation) of dA -> -X dA X
    return r.neg(_mm(_mm(xt, ct), xt))


jvp_rules[inv_p] = _inv_jvp
vjp_rules[inv_p] = (_inv_vjp,)
_front_batch(inv_p)


# --- cholesky ---------------------------------------------------------------------------------

cholesky_p = _declare("cholesky")
# symmetrize_input: factor (a + a^H) / 2, as jax.lax.linalg.cholesky does by default; a
# param rather than ops before the primitive because NumPy adds a transpose several
# times faster than an elementwise kernel over a transposed view
_SYM = P.ParamSpec("a boolean", lambda v: type(v) is bool, required=False)
param_types[cholesky_p] = {"symmetrize_input": _SYM}


def _sym(x: Any) -> Any:
    """``(x + x^H) / 2``: self-adjoint under the pairing, so also its own transpose."""
    return r.mul(r.add(x, _mH(x)), r.full_like(x, 0.5))


def _cholesky_abstract(a: ShapedArray, *, symmetrize_input: bool = False) -> ShapedArray:
    _check_matrix("cholesky", a, square=True)
    return ShapedArray(a.shape, a.dtype, a.weak_type)


def _cholesky_impl(a: Array, *, symmetrize_input: bool = False) -> Array:
    _cholesky_abstract(ShapedArray(a.shape, a.dtype))
    x = a._numpy()
    return Array._wrap(k.cholesky(x, symmetrize_input), a.weak_type)


cholesky_p.impl = _cholesky_impl
cholesky_p.abstract_eval = _cholesky_abstract


def _phi(x: Any) -> Any:
    """The lower triangle of x with its diagonal halved."""
    n = _shape(x)[-1]
    return _mul_const_matrix(_tril(x), np.tri(n) - 0.5 * np.eye(n))


def _cholesky_jvp(primals: Any, tangents: Any, *, symmetrize_input: bool = False) -> tuple[Any, Any]:
    (a,), (da,) = primals, tangents
    low = cholesky_p.bind(a, symmetrize_input=symmetrize_input)
    da = _sym(da) if symmetrize_input else da
    tmp = _solve(low, da, left_side=False, transpose_a=True, conjugate_a=True)  # dA L^-H
    return low, _mm(low, _phi(_solve(low, tmp)))  # L phi(L^-1 dA L^-H)


def _cholesky_vjp(ct: Any, low: Any, a: Any, *, symmetrize_input: bool = False) -> Any:
    # the transpose of the jvp: L^-T phi(L^T ct) conj(L)^-1, symmetrised when the input is
    m = _solve(low, _phi(_mm(_mT(low), ct)), transpose_a=True)
    g = _solve(low, m, left_side=False, conjugate_a=True)
    return _sym(g) if symmetrize_input else g


jvp_rules[cholesky_p] = _cholesky_jvp
vjp_rules[cholesky_p] = (_cholesky_vjp,)
_front_batch(cholesky_p)


# --- lu ---------------------------------------------------------------------------------------

lu_p = _declare("lu", multiple_results=True)


def _lu_abstract(a: ShapedArray) -> list[ShapedArray]:
    _check_matrix("lu", a)
    m, n = a.shape[-2:]
    batch = a.shape[:-2]
    return [ShapedArray(a.shape, a.dtype, a.weak_type), ShapedArray(batch + (min(m, n),), _INT32),
            ShapedArray(batch + (m,), _INT32)]


def _lu_impl(a: Array) -> list[Array]:
    _lu_abstract(ShapedArray(a.shape, a.dtype))
    f, piv, perm = k.lu(a._numpy())
    return [Array._wrap(f, a.weak_type), Array._wrap(piv), Array._wrap(perm)]


lu_p.impl = _lu_impl
lu_p.abstract_eval = _lu_abstract


def _lu_factors(f: Any) -> tuple[Any, Any]:
    """Unit-lower ``(m, m)`` L and upper ``(n, n)`` U from packed factors,
    padded with identity where the matrix is not square (JAX's layout)."""
    m, n = _shape(f)[-2:]
    kk = min(m, n)
    low = _pad_last2(_tril(_slice_last2(f, (0, m), (0, kk)), -1), 0, m - kk)
    low = _add_const_matrix(low, np.eye(m))
    up = _pad_last2(_triu(_slice_last2(f, (0, kk), (0, n))), n - kk, 0)
    eye_tail = np.diag((np.arange(n) >= kk).astype(np.float64)) if n else np.zeros((0, 0))
    return low, _add_const_matrix(up, eye_tail)


def _perm_matrix(perm: Any, dtype: np.dtype[Any]) -> Any:
    """P with ``P[i, j] = (perm[i] == j)``, so ``P @ a == a[perm]``."""
    shape = _shape(perm)
    m = shape[-1]
    nb = len(shape) - 1
    full = shape + (m,)
    rows = r.broadcast(perm, full, tuple(range(nb + 1)))
    cols = r.broadcast(_const(np.arange(m), _INT32), full, (nb + 1,))
    return r.convert(r.eq(rows, cols), dtype)


def _lu_jvp(primals: Any, tangents: Any) -> tuple[Any, Any]:
    (a,), (da,) = primals, tangents
    f, piv, perm = lu_p.bind(a)
    low, up = _lu_factors(f)
    x = _mm(_perm_matrix(perm, _dtype(a)), da)
    la = _solve(low, x, unit_diagonal=True)
    lau = _solve(up, la, left_side=False, lower=False)
    df = r.add(_mm(low, _tril(lau, -1)), _mm(_triu(lau), up))
    return [f, piv, perm], [df, r.Zero(r.get_aval(piv)), r.Zero(r.get_aval(perm))]


def _lu_vjp(cts: Any, ans: Any, a: Any) -> Any:
    ct = cts[0]
    f, _, perm = ans
    low, up = _lu_factors(f)
    g_lau = r.add(_tril(_mm(_mT(low), ct), -1), _triu(_mm(ct, _mT(up))))
    g_la = _solve(up, g_lau, left_side=False, lower=False, transpose_a=True)
    g_x = _solve(low, g_la, transpose_a=True, unit_diagonal=True)
    return _mm(_mT(_perm_matrix(perm, _dtype(a))), g_x)


lu_pivots_to_permutation_p = _declare("lu_pivots_to_permutation")
lu_pivots_to_permutation_p.nondifferentiable = True
param_types[lu_pivots_to_permutation_p] = {"permutation_size": P.SIZE}


def _piv_abstract(piv: ShapedArray, *, permutation_size: int) -> ShapedArray:
    if piv.dtype != _INT32 or piv.ndim < 1:
        raise TypeError(f"lu_pivots_to_permutation: pivots must be an int32 array (ndim >= 1), got {piv.str_short()}")
    if piv.shape[-1] > permutation_size:
        raise ValueError(
            f"lu_pivots_to_permutation: {piv.shape[-1]} pivots do not fit a permutation of size {permutation_size}"
        )
    return ShapedArray(piv.shape[:-1] + (permutation_size,), _INT32)


def _piv_impl(piv: Array, *, permutation_size: int) -> Array:
    _piv_abstract(ShapedArray(piv.shape, piv.dtype), permutation_size=permutation_size)
    x = piv._numpy()
    if x.size and (x.min() < 0 or x.max() >= permutation_size):
        raise ValueError(
            f"lu_pivots_to_permutation: pivots must lie in [0, {permutation_size}), got values from "
            f"{int(x.min())} to {int(x.max())}"
        )
    return Array._wrap(k.lu_pivots_to_permutation(x, permutation_size))


lu_pivots_to_permutation_p.impl = _piv_impl
lu_pivots_to_permutation_p.abstract_eval = _piv_abstract
_front_batch(lu_pivots_to_permutation_p)

jvp_rules[lu_p] = _lu_jvp
vjp_rules[lu_p] = (_lu_vjp,)
_front_batch(lu_p)


# --- qr ---------------------------------------------------------------------------------------

qr_p = _declare("qr", multiple_results=True)
param_types[qr_p] = {"full_matrices": P.BOOL}


def _qr_abstract(a: ShapedArray, *, full_matrices: bool) -> list[ShapedArray]:
    _check_matrix("qr", a)
    m, n = a.shape[-2:]
    kk = m if full_matrices else min(m, n)
    b = a.shape[:-2]
    return [ShapedArray(b + (m, kk), a.dtype, a.weak_type), ShapedArray(b + (kk, n), a.dtype, a.weak_type)]


def _qr_impl(a: Array, *, full_matrices: bool) -> list[Array]:
    _qr_abstract(ShapedArray(a.shape, a.dtype), full_matrices=full_matrices)
    q, rr = k.qr(a._numpy(), full_matrices)
    return [Array._wrap(q, a.weak_type), Array._wrap(rr, a.weak_type)]


qr_p.impl = _qr_impl
qr_p.abstract_eval = _qr_abstract


def _qr_check_diff(a: Any, full_matrices: bool) -> None:
    m, n = _shape(a)[-2:]
    if full_matrices and m != n and m > n:
        raise NotImplementedError(
            f"qr: the derivative of a complete factorisation is defined for square or wide matrices, got a "
            f"{m}x{n} matrix with full_matrices=True (as in JAX and PyTorch: the last {m - n} columns of Q are "
            f"not unique); use mode='reduced'"
        )


def _qr_wide_parts(a: Any) -> tuple[Any, Any]:
    """A wide ``a = [X | Y]`` (m < n) has ``Q, U = qr(X)`` and ``R = [U | Q^H Y]``."""
    m, n = _shape(a)[-2:]
    return _slice_last2(a, (0, m), (0, m)), _slice_last2(a, (0, m), (m, n))


def _concat_last(x: Any, y: Any) -> Any:
    return r._p("concatenate").bind(x, y, dimension=len(_shape(x)) - 1)


def _qr_jvp(primals: Any, tangents: Any, *, full_matrices: bool) -> tuple[Any, Any]:
    (a,), (da,) = primals, tangents
    _qr_check_diff(a, full_matrices)
    m, n = _shape(a)[-2:]
    if m < n:  # square part by the rule below, then dR's right block d(Q^H Y) = dQ^H Y + Q^H dY
        (x, y), (dx, dy) = _qr_wide_parts(a), _qr_wide_parts(da)
        (q, u), (dq, du) = _qr_jvp((x,), (dx,), full_matrices=False)
        v = _mm(_mH(q), y)
        dv = r.add(_mm(_mH(dq), y), _mm(_mH(q), dy))
        return [q, _concat_last(u, v)], [dq, _concat_last(du, dv)]
    q, rr = qr_p.bind(a, full_matrices=full_matrices)
    dx_rinv = _solve(rr, da, left_side=False, lower=False)
    c = _mm(_mH(q), dx_rinv)
    lo = _tril(c, -1)
    do = r.sub(lo, _mH(lo))  # skew-Hermitian
    if _cx(c):  # JAX's correction for complex inputs: the imaginary part of c's diagonal
        do = r.add(do, _diag_part(r.sub(c, r.convert(real_p.bind(c), _dtype(c)))))
    dq = r.add(_mm(q, r.sub(do, c)), dx_rinv)
    dr = _mm(r.sub(c, do), rr)
    return [q, rr], [dq, dr]


def _qr_vjp(cts: Any, ans: Any, a: Any, *, full_matrices: bool) -> Any:
    _qr_check_diff(a, full_matrices)
    qb, rb = cts
    q, rr = ans
    m, n = _shape(a)[-2:]
    if m < n:  # the transpose of the wide jvp above (no conjugation: JAX's pairing)
        x, y = _qr_wide_parts(a)
        u = _slice_last2(rr, (0, m), (0, m))
        ub, vb = _slice_last2(rb, (0, m), (0, m)), _slice_last2(rb, (0, m), (m, n))
        yb = _mm(_conj(q), vb)  # V = Q^H Y: Y's cotangent
        qb = r.add(qb, _conj(_mm(y, _mT(vb))))  # and Q's
        xb = _qr_vjp((qb, ub), (q, u), x, full_matrices=False)
        return _concat_last(xb, yb)
    mm = r.sub(_mm(_mT(q), qb), _mm(rb, _mT(rr)))  # the cotangent of `do`
    g_c = r.add(r.neg(mm), _tril(r.sub(mm, _mH(mm)), -1))
    if _cx(mm):  # the transpose of the diagonal correction i Im(c_ii)
        g_c = r.add(g_c, _diag_part(complex_p.bind(r.full_like(imag_p.bind(mm), 0.0), imag_p.bind(mm))))
    g_b = r.add(qb, _mm(_conj(q), g_c))
    return _solve(rr, g_b, left_side=False, lower=False, transpose_a=True)


jvp_rules[qr_p] = _qr_jvp
vjp_rules[qr_p] = (_qr_vjp,)
_front_batch(qr_p)


# --- eigh -------------------------------------------------------------------------------------

eigh_p = _declare("eigh", multiple_results=True)
param_types[eigh_p] = {"lower": P.BOOL, "symmetrize_input": _SYM}


def _eigh_abstract(a: ShapedArray, *, lower: bool, symmetrize_input: bool = False) -> list[ShapedArray]:
    _check_matrix("eigh", a, square=True)
    w_dtype = dtypes.real_dtype(a.dtype)
    return [ShapedArray(a.shape, a.dtype, a.weak_type), ShapedArray(a.shape[:-1], w_dtype, a.weak_type)]


def _eigh_impl(a: Array, *, lower: bool, symmetrize_input: bool = False) -> list[Array]:
    _eigh_abstract(ShapedArray(a.shape, a.dtype), lower=lower)
    x = a._numpy()
    v, w = k.eigh(k.sym_for_lapack(x, lower) if symmetrize_input else x, lower)
    return [Array._wrap(v, a.weak_type), Array._wrap(w, a.weak_type)]


def _fmat(w: Any) -> Any:
    """``F[i, j] = 1 / (w_j - w_i)`` off the diagonal, 0 on it (inf for ties)."""
    n = _shape(w)[-1]
    diff = _add_const_matrix(r.sub(_rows(w, n), _cols(w, n)), np.eye(n))
    return _add_const_matrix(r.div(r.full_like(diff, 1), diff), -np.eye(n))


eigh_p.impl = _eigh_impl
eigh_p.abstract_eval = _eigh_abstract


def _eigh_fmat(w: Any, dtype: np.dtype[Any]) -> Any:
    return _as(_fmat(w), dtype)


def _eigh_jvp(primals: Any, tangents: Any, *, lower: bool, symmetrize_input: bool = False) -> tuple[Any, Any]:
    (a,), (da,) = primals, tangents
    v, w = eigh_p.bind(a, lower=lower, symmetrize_input=symmetrize_input)
    da = _sym(da) if symmetrize_input else da
    kk = _mm(_mm(_mH(v), da), v)
    dv = _mm(v, r.mul(_eigh_fmat(w, _dtype(v)), kk))
    return [v, w], [dv, _re(_diag(kk))]


def _eigh_vjp(cts: Any, ans: Any, a: Any, *, lower: bool, symmetrize_input: bool = False) -> Any:
    vb, wb = cts
    v, w = ans
    g_k = r.add(r.mul(_eigh_fmat(w, _dtype(v)), _mm(_mT(v), vb)), _diag_embed(_as(wb, _dtype(v))))
    g = _mm(_mm(_conj(v), g_k), _mT(v))  # the transpose of V^H dA V
    return _sym(g) if symmetrize_input else g


jvp_rules[eigh_p] = _eigh_jvp
vjp_rules[eigh_p] = (_eigh_vjp,)
_front_batch(eigh_p)


# --- svd --------------------------------------------------------------------------------------

svd_p = _declare("svd", multiple_results=True)
param_types[svd_p] = {"full_matrices": P.BOOL, "compute_uv": P.BOOL}


def _svd_abstract(a: ShapedArray, *, full_matrices: bool, compute_uv: bool) -> list[ShapedArray]:
    _check_matrix("svd", a)
    m, n = a.shape[-2:]
    kk = min(m, n)
    b = a.shape[:-2]
    s = ShapedArray(b + (kk,), dtypes.real_dtype(a.dtype), a.weak_type)
    if not compute_uv:
        return [s]
    um, vn = (m, n) if full_matrices else (kk, kk)
    return [s, ShapedArray(b + (m, um), a.dtype, a.weak_type), ShapedArray(b + (vn, n), a.dtype, a.weak_type)]


def _svd_impl(a: Array, *, full_matrices: bool, compute_uv: bool) -> list[Array]:
    _svd_abstract(ShapedArray(a.shape, a.dtype), full_matrices=full_matrices, compute_uv=compute_uv)
    return [Array._wrap(o, a.weak_type) for o in k.svd(a._numpy(), full_matrices, compute_uv)]


svd_p.impl = _svd_impl
svd_p.abstract_eval = _svd_abstract


def _svd_check_diff(a: Any, full_matrices: bool, compute_uv: bool) -> None:
    m, n = _shape(a)[-2:]
    if compute_uv and full_matrices and m != n:
        raise NotImplementedError(
            f"svd: the derivative with full_matrices=True is defined for square matrices only, got {m}x{n} "
            f"(as in JAX); pass full_matrices=False"
        )


def _svd_parts(s: Any, dtype: np.dtype[Any]) -> tuple[Any, Any]:
    """``s[..., None, :]`` as a matrix, and JAX's ``F = 1 / (s_j^2 - s_i^2)`` (0 on the diagonal),
    both as ``dtype``."""
    kk = _shape(s)[-1]
    sj, si = _rows(s, kk), _cols(s, kk)
    diffs = _add_const_matrix(r.mul(r.add(sj, si), r.sub(sj, si)), np.eye(kk))
    f = _add_const_matrix(r.div(r.full_like(diffs, 1), diffs), -np.eye(kk))
    return _as(sj, dtype), _as(f, dtype)


def _s_inv_diag(s: Any, dtype: np.dtype[Any]) -> Any:
    """``diag(1 / s)`` with 0 where s is 0 (JAX's, for the complex phase term)."""
    zero = r.eq(s, r.full_like(s, 0))
    safe = r.select(zero, r.full_like(s, 1), s)
    inv = r.select(zero, r.full_like(s, 0), r.div(r.full_like(s, 1), safe))
    return _as(_diag_embed(inv), dtype)


def _svd_jvp(primals: Any, tangents: Any, *, full_matrices: bool, compute_uv: bool) -> tuple[Any, Any]:
    (a,), (da,) = primals, tangents
    _svd_check_diff(a, full_matrices, compute_uv)
    s, u, vt = svd_p.bind(a, full_matrices=False, compute_uv=True)
    v = _mH(vt)
    ds_mat = _mm(_mm(_mH(u), da), v)
    ds = _re(_diag(ds_mat))
    if not compute_uv:
        return [s], [ds]
    m, n = _shape(a)[-2:]
    dt = _dtype(a)
    sj, f = _svd_parts(s, dt)
    dss = r.mul(ds_mat, sj)  # dS diag(s)
    sds = r.mul(ds_mat, _mT(sj))  # diag(s) dS
    inner_u = r.mul(f, r.add(dss, _mH(dss)))
    if _cx(a):  # the phase freedom of complex singular vectors, fixed as JAX does
        half = r.mul(r.sub(ds_mat, _mH(ds_mat)), r.full_like(ds_mat, 0.5))
        inner_u = r.add(inner_u, r.mul(half, _s_inv_diag(s, dt)))
    du = _mm(u, inner_u)
    dv = _mm(v, r.mul(f, r.add(sds, _mH(sds))))
    if m > n:
        dav = _mm(da, v)
        du = r.add(du, r.div(r.sub(dav, _mm(u, _mm(_mH(u), dav))), _as(_rows(s, m), dt)))
    if n > m:
        dau = _mm(_mH(da), u)
        dv = r.add(dv, r.div(r.sub(dau, _mm(v, _mm(vt, dau))), _as(_rows(s, n), dt)))
    return [s, u, vt], [ds, du, _mH(dv)]


def _svd_vjp(cts: Any, ans: Any, a: Any, *, full_matrices: bool, compute_uv: bool) -> Any:
    # the transpose of the jvp above: dS = U^H dA V gives dA's cotangent conj(U) g_dS V^T
    _svd_check_diff(a, full_matrices, compute_uv)
    if compute_uv:
        s, u, vt = ans
        sb, ub, vtb = cts
    else:
        s, u, vt = svd_p.bind(a, full_matrices=False, compute_uv=True)
        sb, ub, vtb = cts[0], None, None
    dt = _dtype(a)
    g_ds = _diag_embed(_as(sb, dt))
    cu, cvt = _conj(u), _conj(vt)  # conj(U) and V^T
    if ub is not None:
        m, n = _shape(a)[-2:]
        v, vb = _mH(vt), _mH(vtb)  # vt = V^H, so V's cotangent is vtb^H
        sj, f = _svd_parts(s, dt)
        gu = _mm(_mT(u), ub)
        g1 = r.mul(f, gu)
        g2 = r.mul(f, _mm(_mT(v), vb))
        g_ds = r.add(g_ds, r.add(r.mul(r.add(g1, _mH(g1)), sj), r.mul(_mT(sj), r.add(g2, _mH(g2)))))
        if _cx(a):  # the transpose of (dS - dS^H) / 2 on the diagonal: i Im(diag(U^T ub)) / s
            gd = r.mul(gu, _s_inv_diag(s, dt))
            g_ds = r.add(g_ds, r.mul(r.sub(gd, _mH(gd)), r.full_like(gd, 0.5)))
        ga = _mm(_mm(cu, g_ds), cvt)
        if m > n:
            ubs = r.div(ub, _as(_rows(s, m), dt))
            ga = r.add(ga, _mm(r.sub(ubs, _mm(cu, _mm(_mT(u), ubs))), cvt))
        if n > m:
            vbs = r.div(vb, _as(_rows(s, n), dt))
            x = r.sub(vbs, _mm(_conj(v), _mm(_mT(v), vbs)))
            ga = r.add(ga, _mm(cu, _mH(x)))
        return ga
    return _mm(_mm(cu, g_ds), cvt)


jvp_rules[svd_p] = _svd_jvp
vjp_rules[svd_p] = (_svd_vjp,)
_front_batch(svd_p)

# --- eig (general square matrices) -------------------------------------------------------------

eig_p = _declare("eig", multiple_results=True)
param_types[eig_p] = {"compute_left_eigenvectors": P.BOOL, "compute_right_eigenvectors": P.BOOL,
                      "enable_eigvec_derivs": _OPT_BOOL}


def _eig_abstract(a: ShapedArray, *, compute_left_eigenvectors: bool, compute_right_eigenvectors: bool,
                  enable_eigvec_derivs: bool = False) -> list[ShapedArray]:
    _check_matrix("eig", a, square=True)
    cdt = dtypes.to_complex(a.dtype)
    out = [ShapedArray(a.shape[:-1], cdt, a.weak_type)]
    out += [ShapedArray(a.shape, cdt, a.weak_type)] * (int(compute_left_eigenvectors)
                                                        + int(compute_right_eigenvectors))
    return out


def _eig_impl(a: Array, *, compute_left_eigenvectors: bool, compute_right_eigenvectors: bool,
              enable_eigvec_derivs: bool = False) -> list[Array]:
    _eig_abstract(ShapedArray(a.shape, a.dtype), compute_left_eigenvectors=compute_left_eigenvectors,
                  compute_right_eigenvectors=compute_right_eigenvectors)
    w, vl, vr = k.eig(a._numpy(), compute_left_eigenvectors, compute_right_eigenvectors)
    outs = [w] + [x for x in (vl, vr) if x is not None]
    return [Array._wrap(o, a.weak_type) for o in outs]


eig_p.impl = _eig_impl
eig_p.abstract_eval = _eig_abstract

_EIGVEC_MSG = (
    "eig: derivatives of non-symmetric eigenvectors are only valid for matrices with distinct eigenvalues, which "
    "cannot be checked; pass enable_eigvec_derivs=True to lax.linalg.eig to opt in (as in JAX; "
    "jnp.linalg.eig opts in), or differentiate the eigenvalues alone (jnp.linalg.eigvals)"
)


def _gsolve(a: Any, b: Any, transpose: bool = False) -> Any:
    """``a^-1 b`` (``a^-T b`` when ``transpose``) for a general square ``a``, by LU
    with partial pivoting through the primitives (so it differentiates again)."""
    f, _, perm = lu_p.bind(a)
    pm = _perm_matrix(perm, _dtype(a))  # pm @ a == a[perm] == L U
    if not transpose:
        return _solve(f, _solve(f, _mm(pm, b), unit_diagonal=True), lower=False)
    y = _solve(f, b, lower=False, transpose_a=True)
    return _mm(_mT(pm), _solve(f, y, transpose_a=True, unit_diagonal=True))


def _argmax_mask(v: Any) -> Any:
    """1 at the largest-modulus entry of each column of v (the first on ties), 0 elsewhere, v's dtype."""
    shape = _shape(v)
    nd = len(shape)
    if shape[-2] == 0:
        return r.full_like(v, 0)
    mag = r._p("abs").bind(v)
    kk = r._p("argmax").bind(mag, axes=(nd - 2,), index_dtype=_INT32)  # (..., n) row of each column
    rows = r.broadcast(_const(np.arange(shape[-2]), _INT32), shape, (nd - 2,))
    return r.convert(r.eq(rows, r.broadcast(kk, shape, tuple(range(nd - 2)) + (nd - 1,))), _dtype(v))


def _colsum(x: Any) -> Any:
    return r.reduce_sum(x, (len(_shape(x)) - 2,))


def _eig_vec_parts(w: Any, v: Any) -> tuple[Any, Any, Any]:
    """F (``1 / (w_j - w_i)``), the largest-component mask and that component's real part."""
    mask = _argmax_mask(v)
    return _fmat(w), mask, real_p.bind(_colsum(r.mul(mask, v)))


def _eig_vec_jvp(w: Any, v: Any, da: Any) -> tuple[Any, Any]:
    # nondegenerate perturbation theory through LAPACK's normalisation (unit norm, largest
    # component real): dv_j = u_j + c_j v_j, c_j = -Re(v_j^H u_j) - i Im(u_kj) / Re(v_kj)
    n = _shape(w)[-1]
    f, mask, vk = _eig_vec_parts(w, v)
    pp = _mm(_gsolve(v, da), v)
    uu = _mm(v, r.mul(f, pp))
    c_re = r.neg(real_p.bind(_colsum(r.mul(conj_p.bind(v), uu))))
    c_im = r.neg(r.div(imag_p.bind(_colsum(r.mul(mask, uu))), vk))
    return _diag(pp), r.add(uu, r.mul(v, _rows(complex_p.bind(c_re, c_im), n)))


def _eig_vec_ct_p(w: Any, v: Any, ct: Any) -> Any:
    """The cotangent of ``P = V^-1 dA V`` from the eigenvectors' cotangent (the transpose of
    :func:`_eig_vec_jvp`'s vector part)."""
    n = _shape(w)[-1]
    f, mask, vk = _eig_vec_parts(w, v)
    g = _colsum(r.mul(ct, v))
    re_g = real_p.bind(g)
    im_g = imag_p.bind(g)
    zero = r.full_like(re_g, 0.0)
    ct_u = r.add(ct, r.mul(conj_p.bind(v), _rows(complex_p.bind(r.neg(re_g), zero), n)))
    ct_u = r.add(ct_u, r.mul(mask, _rows(complex_p.bind(zero, r.neg(r.div(im_g, vk))), n)))
    return r.mul(f, _mm(_mT(v), ct_u))


def _eig_jvp(primals: Any, tangents: Any, *, compute_left_eigenvectors: bool, compute_right_eigenvectors: bool,
             enable_eigvec_derivs: bool = False) -> tuple[Any, Any]:
    (a,), (da,) = primals, tangents
    vectors = compute_left_eigenvectors or compute_right_eigenvectors
    if vectors and not enable_eigvec_derivs:
        raise NotImplementedError(_EIGVEC_MSG)
    outs = eig_p.bind(a, compute_left_eigenvectors=compute_left_eigenvectors, compute_right_eigenvectors=True,
                      enable_eigvec_derivs=enable_eigvec_derivs)
    w, vr = outs[0], outs[-1]
    da = _as(da, _dtype(vr))
    if not vectors:
        return [w], [_diag(_mm(_gsolve(vr, da), vr))]  # diag(V^-1 dA V)
    dw, dvr = _eig_vec_jvp(w, vr, da)
    primal, tangent = [w], [dw]
    if compute_left_eigenvectors:
        vl = outs[1]
        # left eigenvectors of a are right eigenvectors of a^H, with eigenvalues conj(w)
        primal.append(vl)
        tangent.append(_eig_vec_jvp(conj_p.bind(w), vl, _mH(da))[1])
    if compute_right_eigenvectors:
        primal.append(vr)
        tangent.append(dvr)
    return primal, tangent


def _eig_vjp(cts: Any, ans: Any, a: Any, *, compute_left_eigenvectors: bool, compute_right_eigenvectors: bool,
             enable_eigvec_derivs: bool = False) -> Any:
    vectors = compute_left_eigenvectors or compute_right_eigenvectors
    if vectors and not enable_eigvec_derivs:
        raise NotImplementedError(_EIGVEC_MSG)
    w = ans[0]
    if compute_right_eigenvectors:
        vr = ans[-1]
    else:
        vr = eig_p.bind(a, compute_left_eigenvectors=False, compute_right_eigenvectors=True)[-1]
    ct_p = _diag_embed(cts[0])
    if compute_right_eigenvectors:
        ct_p = r.add(ct_p, _eig_vec_ct_p(w, vr, cts[-1]))
    g = _gsolve(vr, _mm(ct_p, _mT(vr)), transpose=True)  # V^-T ct_P V^T, the transpose of V^-1 dA V
    if compute_left_eigenvectors:
        vl = ans[1]
        ct_l = _eig_vec_ct_p(conj_p.bind(w), vl, cts[1])
        g = r.add(g, _mH(_gsolve(vl, _mm(ct_l, _mT(vl)), transpose=True)))
    return _as(g, _dtype(a))


jvp_rules[eig_p] = _eig_jvp
vjp_rules[eig_p] = (_eig_vjp,)
_front_batch(eig_p)

__all__ = ["LINALG_DECOMP", "cholesky_p", "triangular_solve_p", "solve_p", "inv_p", "lu_p",
           "lu_pivots_to_permutation_p", "qr_p", "eigh_p", "svd_p", "eig_p"]
