"""``jnp.linalg``, ``functorch_lite.scipy.linalg`` and ``lax.linalg`` decompositions:
values against NumPy/SciPy over drawn sizes, dtypes and layouts, gradients
against finite differences (float64) for every function, vmap against a
loop, jit against eager, and gradients against JAX's where JAX is installed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import tree
from functorch_lite.lax import linalg as lax_linalg
from functorch_lite.scipy import linalg as fsl
from tests._gradcheck import assert_close, numerical_vjp
from tests.strategies import fl_view

sl = pytest.importorskip("scipy.linalg")

RNG = np.random.default_rng(7)
FEW = settings(max_examples=20, deadline=None)


def _np(x: Any) -> np.ndarray[Any, Any]:
    return np.asarray(x)


def _spd(shape: tuple[int, ...], rng: np.random.Generator = RNG, dtype: Any = np.float64) -> np.ndarray[Any, Any]:
    x = rng.standard_normal(shape)
    n = shape[-1]
    return (x @ np.swapaxes(x, -1, -2) + n * np.eye(n)).astype(dtype)


def _general(shape: tuple[int, ...], rng: np.random.Generator = RNG, dtype: Any = np.float64) -> np.ndarray[Any, Any]:
    n = shape[-1]
    return (rng.standard_normal(shape) + 2 * np.eye(shape[-2], n)).astype(dtype)


def _tol(dt: Any) -> dict[str, float]:
    return {"rtol": 2e-4, "atol": 2e-4} if np.dtype(dt) == np.float32 else {"rtol": 1e-9, "atol": 1e-9}


def _batched(draw: Any, np_fn: Callable[..., Any], x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """A SciPy function (2-D only) applied over leading axes."""
    batch = x.shape[:-2]
    outs = [np_fn(x[i]) for i in np.ndindex(*batch)]
    return np.asarray(outs).reshape(batch + np.shape(outs[0])) if outs else np.zeros(batch + x.shape[-2:], x.dtype)


_sizes = st.integers(0, 4)
_batches = st.sampled_from([(), (1,), (2,), (2, 1)])
_dtypes = st.sampled_from([np.dtype(np.float32), np.dtype(np.float64)])


# --- values against NumPy / SciPy ------------------------------------------------------------------


@FEW
@given(data=st.data(), n=_sizes, batch=_batches, dt=_dtypes)
def test_square_functions_match_numpy(data: Any, n: int, batch: tuple[int, ...], dt: Any) -> None:
    rng = np.random.default_rng(n * 31 + len(batch))
    a, s = _general(batch + (n, n), rng, dt), _spd(batch + (n, n), rng, dt)
    b = rng.standard_normal(batch + (n, 2)).astype(dt)
    fa, fs, fb = (fl_view(data.draw, x) for x in (a, s, b))
    tol = _tol(dt)
    np.testing.assert_allclose(_np(jnp.linalg.cholesky(fs)), np.linalg.cholesky(s), **tol)
    np.testing.assert_allclose(_np(jnp.linalg.cholesky(fs, upper=True)), np.swapaxes(np.linalg.cholesky(s), -1, -2),
                               **tol)
    if n:
        np.testing.assert_allclose(_np(jnp.linalg.solve(fa, fb)), np.linalg.solve(a, b), **tol)
        np.testing.assert_allclose(_np(jnp.linalg.inv(fa)), np.linalg.inv(a), **tol)
    np.testing.assert_allclose(_np(jnp.linalg.det(fa)), np.linalg.det(a), **tol)
    sign, logdet = jnp.linalg.slogdet(fa)
    np_sign, np_logdet = np.linalg.slogdet(a)
    np.testing.assert_array_equal(_np(sign), np_sign)
    np.testing.assert_allclose(_np(logdet), np_logdet, **tol)
    w, v = jnp.linalg.eigh(fs)
    np_w, np_v = np.linalg.eigh(s)
    np.testing.assert_allclose(_np(w), np_w, **tol)
    np.testing.assert_allclose(np.abs(_np(v)), np.abs(np_v), **tol)  # columns up to sign
    np.testing.assert_allclose(_np(jnp.linalg.eigvalsh(fs)), np.linalg.eigvalsh(s), **tol)
    np.testing.assert_allclose(_np(jnp.linalg.matrix_power(fa, 3)), np.linalg.matrix_power(a, 3), **tol)
    np.testing.assert_allclose(_np(jnp.linalg.matrix_power(fa, 0)), np.linalg.matrix_power(a, 0), **tol)
    if n:
        np.testing.assert_allclose(_np(jnp.linalg.matrix_power(fa, -2)), np.linalg.matrix_power(a, -2),
                                   rtol=10 * tol["rtol"], atol=10 * tol["atol"])
        np.testing.assert_allclose(_np(jnp.linalg.cond(fs)), np.linalg.cond(s), rtol=10 * tol["rtol"])
        np.testing.assert_allclose(_np(jnp.linalg.cond(fa, 1)), np.linalg.cond(a, 1), rtol=10 * tol["rtol"])
        # SciPy
        np.testing.assert_allclose(_np(fsl.expm(fa * 0.5)), _batched(None, sl.expm, a.astype(np.float64) * 0.5),
                                   **tol)
        np.testing.assert_allclose(_np(fsl.solve(fs, fb, assume_a="pos")), np.linalg.solve(s, b), **tol)
        np.testing.assert_allclose(_np(fsl.solve(fa, fb)), np.linalg.solve(a, b), **tol)
        np.testing.assert_allclose(_np(fsl.inv(fa)), np.linalg.inv(a), **tol)
        np.testing.assert_allclose(_np(fsl.det(fa)), np.linalg.det(a), **tol)


@FEW
@given(data=st.data(), m=_sizes, n=_sizes, batch=_batches, dt=_dtypes)
def test_rectangular_functions_match_numpy(data: Any, m: int, n: int, batch: tuple[int, ...], dt: Any) -> None:
    rng = np.random.default_rng(m * 5 + n)
    a = rng.standard_normal(batch + (m, n)).astype(dt)
    fa = fl_view(data.draw, a)
    tol = _tol(dt)
    for mode in ("reduced", "complete"):
        q, r = jnp.linalg.qr(fa, mode=mode)
        nq, nr = np.linalg.qr(a, mode=mode)
        assert _np(q).shape == nq.shape and _np(r).shape == nr.shape
        np.testing.assert_allclose(_np(q) @ _np(r), a, **tol)
        np.testing.assert_allclose(np.abs(_np(r)), np.abs(nr), **tol)
    np.testing.assert_allclose(np.abs(_np(jnp.linalg.qr(fa, mode="r"))), np.abs(np.linalg.qr(a, mode="r")), **tol)
    for full in (True, False):
        u, s, vh = jnp.linalg.svd(fa, full_matrices=full)
        nu, ns, nvh = np.linalg.svd(a, full_matrices=full)
        assert _np(u).shape == nu.shape and _np(vh).shape == nvh.shape
        np.testing.assert_allclose(_np(s), ns, **tol)
        k = min(m, n)
        np.testing.assert_allclose((_np(u)[..., :k] * _np(s)[..., None, :]) @ _np(vh)[..., :k, :], a, **tol)
    np.testing.assert_allclose(_np(jnp.linalg.svdvals(fa)), np.linalg.svd(a, compute_uv=False), **tol)
    np.testing.assert_allclose(_np(jnp.linalg.pinv(fa)), np.linalg.pinv(a), rtol=10 * tol["rtol"],
                               atol=10 * tol["atol"])
    np.testing.assert_array_equal(_np(jnp.linalg.matrix_rank(fa)), np.linalg.matrix_rank(a))
    # SciPy's lu
    if m and n and not batch:
        p, low, up = fsl.lu(fa)
        np_p, np_low, np_up = sl.lu(a)
        for got, want in ((p, np_p), (low, np_low), (up, np_up)):
            np.testing.assert_allclose(_np(got), want, **tol)
        f, piv = fsl.lu_factor(fa)
        if m == n:
            np_f, np_piv = sl.lu_factor(a)
            np.testing.assert_allclose(_np(f), np_f, **tol)
            np.testing.assert_array_equal(_np(piv), np_piv)


@FEW
@given(data=st.data(), n=st.integers(1, 4), k=st.integers(0, 3), lower=st.booleans(), trans=st.sampled_from([0, 1]),
       unit=st.booleans(), dt=_dtypes)
def test_triangular_and_factor_solves_match_scipy(data: Any, n: int, k: int, lower: bool, trans: int, unit: bool,
                                                  dt: Any) -> None:
    rng = np.random.default_rng(n * 11 + k)
    a = (rng.standard_normal((n, n)) * 0.3 + 2 * np.eye(n)).astype(dt)
    b = rng.standard_normal((n, k)).astype(dt)
    fa, fb = fl_view(data.draw, a), fl_view(data.draw, b)
    tol = _tol(dt)
    want = sl.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit)
    np.testing.assert_allclose(_np(fsl.solve_triangular(fa, fb, trans=trans, lower=lower, unit_diagonal=unit)),
                               want, **tol)
    np.testing.assert_allclose(_np(fsl.solve_triangular(fa, fb[:, 0] if k else fb[:, :0], lower=lower)),
                               sl.solve_triangular(a, b[:, 0] if k else b[:, :0], lower=lower), **tol)
    s = _spd((n, n), rng, dt)
    fs = jnp.asarray(s)
    c = fsl.cho_factor(fs, lower=lower)
    np.testing.assert_allclose(_np(fsl.cho_solve(c, fb)), sl.cho_solve(sl.cho_factor(s, lower=lower), b), **tol)
    lu_piv = fsl.lu_factor(fa)
    np.testing.assert_allclose(_np(fsl.lu_solve(lu_piv, fb, trans=trans)),
                               sl.lu_solve(sl.lu_factor(a), b, trans=trans), **tol)


def test_lstsq_matches_numpy() -> None:
    for shape, bshape in (((5, 3), (5,)), ((3, 5), (3, 2)), ((4, 4), (4, 1))):
        a = RNG.standard_normal(shape)
        b = RNG.standard_normal(bshape)
        x, res, rank, s = jnp.linalg.lstsq(jnp.asarray(a), jnp.asarray(b))
        nx, nres, nrank, ns = np.linalg.lstsq(a, b, rcond=None)
        np.testing.assert_allclose(_np(x), nx, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(_np(s), ns, rtol=1e-9)
        assert int(rank) == nrank
        if nres.size:
            np.testing.assert_allclose(_np(res), nres, rtol=1e-9)
        _, res_np, _, _ = jnp.linalg.lstsq(jnp.asarray(a), jnp.asarray(b), numpy_resid=True)
        assert _np(res_np).shape == nres.shape
    # a rank-deficient matrix: the minimum-norm solution
    a = np.array([[1.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
    x, _, rank, _ = jnp.linalg.lstsq(jnp.asarray(a), jnp.asarray(np.array([2.0, 2.0, 1.0])))
    np.testing.assert_allclose(_np(x), np.linalg.lstsq(a, np.array([2.0, 2.0, 1.0]), rcond=None)[0], atol=1e-12)
    assert int(rank) == 1


def test_small_helpers_match_numpy() -> None:
    a, b, c = RNG.standard_normal((3, 4)), RNG.standard_normal((4, 5)), RNG.standard_normal(5)
    np.testing.assert_allclose(_np(jnp.linalg.multi_dot([jnp.asarray(a), jnp.asarray(b), jnp.asarray(c)])),
                               np.linalg.multi_dot([a, b, c]), rtol=1e-12)
    t = _general((6, 6)).reshape(6, 2, 3)
    np.testing.assert_allclose(_np(jnp.linalg.tensorinv(jnp.asarray(t), ind=1)), np.linalg.tensorinv(t, ind=1),
                               rtol=1e-9, atol=1e-12)
    rhs = RNG.standard_normal(6)
    np.testing.assert_allclose(_np(jnp.linalg.tensorsolve(jnp.asarray(t), jnp.asarray(rhs))),
                               np.linalg.tensorsolve(t, rhs), rtol=1e-9, atol=1e-12)
    x, y = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 3, 4))
    np.testing.assert_allclose(_np(jnp.linalg.cross(jnp.asarray(x), jnp.asarray(y), axis=1)),
                               np.linalg.cross(x, y, axis=1), rtol=1e-12)
    np.testing.assert_array_equal(_np(jnp.linalg.matrix_rank(jnp.asarray(np.zeros((3, 3))))), 0)
    m = np.diag([3.0, 1.0, 1e-3])
    for kw in ({"tol": 0.5}, {"rtol": 0.1}, {"tol": np.array([0.5, 2.0])}):
        np.testing.assert_array_equal(_np(jnp.linalg.matrix_rank(jnp.asarray(m), **kw)), np.linalg.matrix_rank(m, **kw))
    np.testing.assert_array_equal(_np(jnp.linalg.matrix_rank(jnp.asarray(m), 0.5)), np.linalg.matrix_rank(m, 0.5))
    np.testing.assert_array_equal(_np(jnp.linalg.matrix_rank(jnp.asarray(np.ones(3)))), 1)


def test_degenerate_values_follow_jax() -> None:
    assert np.isnan(_np(jnp.linalg.cholesky(jnp.asarray(-np.eye(2))))).all()
    sign, logdet = jnp.linalg.slogdet(jnp.asarray(np.zeros((2, 2))))
    assert float(sign) == 0.0 and float(logdet) == -np.inf
    assert float(jnp.linalg.det(jnp.asarray(np.zeros((3, 3))))) == 0.0
    big = np.array([[0.0, 1e6], [-1e6, 0.0]])
    assert np.isnan(_np(fsl.expm(jnp.asarray(big), max_squarings=2))).all()


# --- errors --------------------------------------------------------------------------------------

_INT_CALLS: dict[str, Callable[[Any], Any]] = {
    "cholesky": jnp.linalg.cholesky, "solve": lambda x: jnp.linalg.solve(x, x), "inv": jnp.linalg.inv,
    "det": jnp.linalg.det, "slogdet": jnp.linalg.slogdet, "qr": jnp.linalg.qr, "svd": jnp.linalg.svd,
    "svdvals": jnp.linalg.svdvals, "eigh": jnp.linalg.eigh, "eigvalsh": jnp.linalg.eigvalsh,
    "lstsq": lambda x: jnp.linalg.lstsq(x, x), "pinv": jnp.linalg.pinv, "matrix_rank": jnp.linalg.matrix_rank,
    "cond": jnp.linalg.cond, "solve_triangular": lambda x: fsl.solve_triangular(x, x),
    "cho_factor": fsl.cho_factor, "lu": fsl.lu, "lu_factor": fsl.lu_factor, "expm": fsl.expm,
    "scipy_solve": lambda x: fsl.solve(x, x), "lax_cholesky": lax_linalg.cholesky, "lax_svd": lax_linalg.svd,
    "lax_eigh": lax_linalg.eigh, "lax_qr": lax_linalg.qr, "lax_lu": lax_linalg.lu,
}


@pytest.mark.parametrize("name", sorted(_INT_CALLS))
def test_integer_input_is_a_clear_type_error(name: str) -> None:
    with pytest.raises(TypeError, match="floating-point"):
        _INT_CALLS[name](jnp.ones((2, 2), dtype=jnp.int32))


def test_bad_arguments_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="square"):
        jnp.linalg.inv(jnp.ones((2, 3)))
    with pytest.raises(ValueError, match="mode"):
        jnp.linalg.qr(jnp.ones((2, 2)), mode="raw")
    with pytest.raises(ValueError, match="b needs 2 rows"):
        jnp.linalg.solve(jnp.ones((2, 2)), jnp.ones(3))
    with pytest.raises(ValueError, match="assume_a"):
        fsl.solve(jnp.ones((2, 2)), jnp.ones(2), assume_a="banded")
    with pytest.raises(TypeError, match="integer"):
        jnp.linalg.matrix_power(jnp.ones((2, 2)), 1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="size 3"):
        jnp.linalg.cross(jnp.ones(2), jnp.ones(2))


# --- gradients against finite differences (float64), every function ---------------------------

# name -> (function of float64 arrays, input makers)
_GRAD_CASES: dict[str, tuple[Callable[..., Any], tuple[Callable[[], Any], ...]]] = {
    "cholesky": (jnp.linalg.cholesky, (lambda: _spd((3, 3)),)),
    "cholesky_batched_upper": (lambda x: jnp.linalg.cholesky(x, upper=True), (lambda: _spd((2, 3, 3)),)),
    "solve": (jnp.linalg.solve, (lambda: _general((3, 3)), lambda: RNG.standard_normal((3, 2)))),
    "solve_vector": (jnp.linalg.solve, (lambda: _general((3, 3)), lambda: RNG.standard_normal(3))),
    "inv": (jnp.linalg.inv, (lambda: _general((2, 3, 3)),)),
    "det": (jnp.linalg.det, (lambda: _general((3, 3)),)),
    "slogdet": (lambda x: tuple(jnp.linalg.slogdet(x)), (lambda: _general((2, 3, 3)),)),
    "qr_reduced": (lambda x: tuple(jnp.linalg.qr(x)), (lambda: RNG.standard_normal((4, 3)),)),
    "qr_r": (lambda x: jnp.linalg.qr(x, mode="r"), (lambda: RNG.standard_normal((3, 3)),)),
    "svd": (lambda x: jnp.linalg.svd(x, full_matrices=False), (lambda: RNG.standard_normal((4, 3)),)),
    "svd_wide": (lambda x: jnp.linalg.svd(x, full_matrices=False), (lambda: RNG.standard_normal((2, 4)),)),
    "svdvals": (jnp.linalg.svdvals, (lambda: RNG.standard_normal((3, 4)),)),
    "eigh": (lambda x: tuple(jnp.linalg.eigh(x)), (lambda: _spd((3, 3)),)),
    "eigvalsh": (jnp.linalg.eigvalsh, (lambda: _spd((2, 3, 3)),)),
    "lstsq": (lambda a, b: jnp.linalg.lstsq(a, b)[0], (lambda: RNG.standard_normal((4, 3)),
                                                        lambda: RNG.standard_normal(4))),
    "pinv": (jnp.linalg.pinv, (lambda: RNG.standard_normal((3, 4)),)),
    "matrix_power": (lambda x: jnp.linalg.matrix_power(x, 3), (lambda: RNG.standard_normal((3, 3)) * 0.5,)),
    "matrix_power_neg": (lambda x: jnp.linalg.matrix_power(x, -2), (lambda: _general((3, 3)),)),
    "multi_dot": (lambda a, b, c: jnp.linalg.multi_dot([a, b, c]),
                  (lambda: RNG.standard_normal(3), lambda: RNG.standard_normal((3, 4)),
                   lambda: RNG.standard_normal((4, 2)))),
    "cond": (jnp.linalg.cond, (lambda: _general((3, 3)),)),
    "cond_fro": (lambda x: jnp.linalg.cond(x, "fro"), (lambda: _general((3, 3)),)),
    "tensorinv": (lambda x: jnp.linalg.tensorinv(x, ind=1), (lambda: _general((4, 4)).reshape(4, 2, 2),)),
    "tensorsolve": (jnp.linalg.tensorsolve, (lambda: _general((4, 4)).reshape(4, 2, 2),
                                             lambda: RNG.standard_normal(4))),
    "cross": (jnp.linalg.cross, (lambda: RNG.standard_normal((2, 3)), lambda: RNG.standard_normal((2, 3)))),
    "solve_triangular": (lambda a, b: fsl.solve_triangular(a, b, trans=1, lower=True),
                         (lambda: _general((3, 3)), lambda: RNG.standard_normal((3, 2)))),
    # cho_factor reads one triangle but, as JAX's, differentiates as if the input were symmetric:
    # finite differences agree through a symmetric parameterisation
    "cho_factor_solve": (lambda a, b: fsl.cho_solve(fsl.cho_factor((a + a.T) / 2), b), (lambda: _spd((3, 3)),
                                                                            lambda: RNG.standard_normal(3))),
    "scipy_lu": (lambda a: fsl.lu(a), (lambda: RNG.standard_normal((4, 3)),)),
    "scipy_lu_permute_l": (lambda a: fsl.lu(a, permute_l=True), (lambda: RNG.standard_normal((3, 4)),)),
    "lu_factor_solve": (lambda a, b: fsl.lu_solve(fsl.lu_factor(a), b, trans=1),
                        (lambda: RNG.standard_normal((3, 3)) + 2 * np.eye(3), lambda: RNG.standard_normal(3))),
    "expm_small": (fsl.expm, (lambda: RNG.standard_normal((3, 3)) * 0.05,)),
    "expm_scaled": (fsl.expm, (lambda: RNG.standard_normal((2, 3, 3)) * 3.0,)),
    "scipy_det_inv": (lambda a: (fsl.det(a), fsl.inv(a)), (lambda: _general((3, 3)),)),
    "scipy_solve_pos": (lambda a, b: fsl.solve(a, b, assume_a="pos", lower=True),
                        (lambda: _spd((3, 3)), lambda: RNG.standard_normal((3, 2)))),
    "scipy_solve_gen": (fsl.solve, (lambda: _general((3, 3)), lambda: RNG.standard_normal(3))),
    "lax_cholesky": (lax_linalg.cholesky, (lambda: _spd((3, 3)),)),
    "lax_triangular_solve": (lambda a, b: lax_linalg.triangular_solve(a, b, left_side=False, lower=False),
                             (lambda: _general((3, 3)), lambda: RNG.standard_normal((2, 3)))),
    "lax_lu": (lambda a: lax_linalg.lu(a)[0], (lambda: RNG.standard_normal((3, 3)),)),
    "lax_qr": (lambda a: lax_linalg.qr(a, full_matrices=False), (lambda: RNG.standard_normal((3, 2)),)),
    "lax_eigh": (lax_linalg.eigh, (lambda: _spd((3, 3)),)),
    "lax_svd": (lambda a: lax_linalg.svd(a, full_matrices=False), (lambda: RNG.standard_normal((3, 3)),)),
}


@pytest.mark.parametrize("name", sorted(_GRAD_CASES))
def test_gradient_matches_finite_differences(name: str) -> None:
    f, makers = _GRAD_CASES[name]
    args = [m() for m in makers]
    out = f(*(jnp.asarray(a) for a in args))
    leaves = tree.leaves(out)
    cts = [RNG.standard_normal(np.shape(o)) for o in leaves]
    ct_tree = tree.unflatten(tree.structure(out), [jnp.asarray(c) for c in cts])
    _, pullback = fl.vjp(f, *(jnp.asarray(a) for a in args))
    grads = pullback(ct_tree)
    for i, g in enumerate(grads):
        want = numerical_vjp(f, args, ct_tree, argnum=i)
        assert_close(_np(g), want, rtol=1e-5, atol=1e-6 * (1 + float(np.abs(want).max(initial=0))),
                     what=f"{name}: d/d arg {i}")


# --- modes: vmap against a loop, jit against eager ---------------------------------------------------

_MODE_CASES = ["cholesky", "solve", "inv", "det", "slogdet", "qr_reduced", "svd", "eigh", "pinv", "expm_scaled",
               "lu_factor_solve", "cho_factor_solve", "lstsq", "matrix_power_neg"]


@pytest.mark.parametrize("name", _MODE_CASES)
def test_vmap_matches_loop_and_jit_matches_eager(name: str) -> None:
    f, makers = _GRAD_CASES[name]
    stacks = [np.stack([m() for _ in range(3)]) for m in makers]
    vm = fl.vmap(f)(*(jnp.asarray(s) for s in stacks))
    for i in range(3):
        one = f(*(jnp.asarray(s[i]) for s in stacks))
        for got, want in zip(tree.leaves(vm), tree.leaves(one)):
            np.testing.assert_allclose(_np(got)[i], _np(want), rtol=1e-9, atol=1e-12, err_msg=name)
    args = [jnp.asarray(s[0]) for s in stacks]
    for got, want in zip(tree.leaves(fl.jit(f)(*args)), tree.leaves(f(*args))):
        np.testing.assert_allclose(_np(got), _np(want), rtol=1e-12, atol=1e-12, err_msg=name)
    def scalar(*xs: Any) -> Any:
        return sum(jnp.sum(o * o) for o in tree.leaves(f(*xs)))

    np.testing.assert_allclose(_np(fl.jit(fl.grad(scalar))(*args)), _np(fl.grad(scalar)(*args)), rtol=1e-9,
                               atol=1e-12, err_msg=name)


# --- against JAX's gradients -----------------------------------------------------------------------


def _jax_cases(jax: Any, jjnp: Any) -> dict[str, tuple[Callable[..., Any], Callable[..., Any], list[Any]]]:
    spd, gen = _spd((3, 3)), _general((3, 3))
    tall, b = RNG.standard_normal((4, 3)), RNG.standard_normal((3, 2))
    w_u, w_s = RNG.standard_normal((4, 3)), RNG.standard_normal(3)
    return {
        "cholesky": (lambda a: jnp.sum(jnp.sin(jnp.linalg.cholesky(a))),
                     lambda a: jjnp.sum(jjnp.sin(jjnp.linalg.cholesky(a))), [spd]),
        "eigh": (lambda a: jnp.sum(jnp.linalg.eigh(a)[0] * w_s) + jnp.sum(jnp.linalg.eigh(a)[1] ** 2 * gen),
                 lambda a: jjnp.sum(jjnp.linalg.eigh(a)[0] * w_s) + jjnp.sum(jjnp.linalg.eigh(a)[1] ** 2 * gen),
                 [spd]),
        "svd": (lambda a: _svd_loss(jnp, a, w_u, w_s), lambda a: _svd_loss(jjnp, a, w_u, w_s), [tall]),
        "qr": (lambda a: jnp.sum(jnp.linalg.qr(a)[0] * w_u) + jnp.sum(jnp.linalg.qr(a)[1] ** 3),
               lambda a: jjnp.sum(jjnp.linalg.qr(a)[0] * w_u) + jjnp.sum(jjnp.linalg.qr(a)[1] ** 3), [tall]),
        "slogdet": (lambda a: jnp.linalg.slogdet(a)[1], lambda a: jjnp.linalg.slogdet(a)[1], [gen]),
        "solve": (lambda a, c: jnp.sum(jnp.linalg.solve(a, c) ** 2),
                  lambda a, c: jjnp.sum(jjnp.linalg.solve(a, c) ** 2), [gen, b]),
    }


def _svd_loss(mod: Any, a: Any, w_u: Any, w_s: Any) -> Any:
    u, s, vh = mod.linalg.svd(a, full_matrices=False)
    return mod.sum(s * w_s) + mod.sum(u ** 2 * w_u) + mod.sum(vh ** 2)


@pytest.mark.parametrize("name", ["cholesky", "eigh", "svd", "qr", "slogdet", "solve"])
def test_gradients_match_jax(name: str) -> None:
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jjnp

    ours, theirs, args = _jax_cases(jax, jjnp)[name]
    argnums = tuple(range(len(args)))
    got = fl.grad(ours, argnums=argnums)(*(jnp.asarray(a) for a in args))
    want = jax.grad(theirs, argnums=argnums)(*(jjnp.asarray(a) for a in args))
    for g, w in zip(got, want):
        np.testing.assert_allclose(_np(g), np.asarray(w), rtol=1e-8, atol=1e-10, err_msg=name)
