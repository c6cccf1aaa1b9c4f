"""Complex linear algebra, ``eig``/``eigvals``, and the pieces built on the
decompositions: ``scipy.special.i0e``/``i1e``, ``scipy.stats.multivariate_normal``
and ``nn.initializers.orthogonal``.

Values against NumPy/SciPy (eigen-decompositions through their defining
equations, up to eigenvector phase and order), gradients against JAX's in
64-bit mode (its flag saved and restored by a fixture) and against complex
finite differences (``df/dx - i df/dy``, JAX's convention for a real-valued
function), and modes against each other (vmap == loop, jit == eager)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import random, tree
from functorch_lite.lax import linalg as lax_linalg
from functorch_lite.nn import initializers
from functorch_lite.scipy import linalg as fsl
from functorch_lite.scipy import special, stats

sl = pytest.importorskip("scipy.linalg")
ss = pytest.importorskip("scipy.special")
sst = pytest.importorskip("scipy.stats")

RNG = np.random.default_rng(11)
C64, C128 = np.dtype(np.complex64), np.dtype(np.complex128)


def crandn(*shape: int, rng: np.random.Generator = RNG) -> np.ndarray[Any, Any]:
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def _np(x: Any) -> Any:
    return np.asarray(x)


def _tol(dt: Any) -> Any:
    single = np.dtype(dt) in (np.float32, np.complex64)
    return {"rtol": 3e-4, "atol": 3e-4} if single else {"rtol": 1e-9, "atol": 1e-9}


def _hpd(n: int, batch: tuple[int, ...] = (), rng: np.random.Generator = RNG) -> np.ndarray[Any, Any]:
    z = crandn(*batch, n, n, rng=rng)
    return z @ np.conj(np.swapaxes(z, -1, -2)) + n * np.eye(n)


def complex_fd_grad(f: Callable[[Any], Any], z: np.ndarray[Any, Any], eps: float = 1e-6) -> np.ndarray[Any, Any]:
    """``df/dx - i df/dy`` of a real-valued ``f`` by central differences."""
    out = np.zeros(z.shape, C128)
    for k in np.ndindex(z.shape):
        parts = []
        for step in (eps, 1j * eps):
            e = np.zeros(z.shape, C128)
            e[k] = step
            parts.append((float(f(jnp.asarray(z + e))) - float(f(jnp.asarray(z - e)))) / (2 * eps))
        out[k] = parts[0] - 1j * parts[1]
    return out


# --- eig / eigvals: values ------------------------------------------------------------------------


@pytest.mark.parametrize("dt", [np.float32, np.float64, C64, C128])
@pytest.mark.parametrize("batch", [(), (2,), (2, 3)])
def test_eig_satisfies_its_equation_and_matches_numpy(dt: Any, batch: tuple[int, ...]) -> None:
    n = 4
    a = (crandn(*batch, n, n) if np.dtype(dt).kind == "c" else RNG.standard_normal(batch + (n, n))).astype(dt)
    w, v = jnp.linalg.eig(jnp.asarray(a))
    want_dt = C64 if np.dtype(dt) in (np.float32, C64) else C128
    assert _np(w).dtype == want_dt and _np(v).dtype == want_dt
    assert _np(w).shape == batch + (n,) and _np(v).shape == batch + (n, n)
    tol = _tol(dt)
    av = a.astype(want_dt) @ _np(v)
    np.testing.assert_allclose(av, _np(v) * _np(w)[..., None, :], **tol)  # A V = V diag(w)
    np.testing.assert_allclose(np.linalg.norm(_np(v), axis=-2), 1.0, **tol)  # unit columns
    np.testing.assert_allclose(np.sort_complex(_np(w).reshape(-1, n)),
                               np.sort_complex(_np(np.linalg.eigvals(a).astype(want_dt)).reshape(-1, n)), **tol)
    np.testing.assert_allclose(np.sort_complex(_np(jnp.linalg.eigvals(jnp.asarray(a))).reshape(-1, n)),
                               np.sort_complex(_np(w).reshape(-1, n)), **tol)


def test_lax_eig_left_and_right_eigenvectors() -> None:
    a = RNG.standard_normal((2, 4, 4))
    w, vl, vr = (_np(o) for o in lax_linalg.eig(jnp.asarray(a)))
    vlh = np.conj(np.swapaxes(vl, -1, -2))
    np.testing.assert_allclose(vlh @ a, w[..., :, None] * vlh, atol=1e-10)  # vl_j^H A = w_j vl_j^H
    np.testing.assert_allclose(a @ vr, vr * w[..., None, :], atol=1e-10)
    for v in (vl, vr):  # LAPACK's normalisation: unit norm, largest component real
        np.testing.assert_allclose(np.linalg.norm(v, axis=-2), 1.0, atol=1e-12)
        big = np.take_along_axis(v, np.argmax(np.abs(v), axis=-2)[..., None, :], axis=-2)
        np.testing.assert_allclose(big.imag, 0.0, atol=1e-12)
    (w_only,) = lax_linalg.eig(jnp.asarray(a), compute_left_eigenvectors=False, compute_right_eigenvectors=False)
    np.testing.assert_allclose(_np(w_only), w, atol=1e-12)


def test_eig_edge_cases() -> None:
    w, v = jnp.linalg.eig(jnp.zeros((2, 0, 0)))
    assert _np(w).shape == (2, 0) and _np(v).shape == (2, 0, 0)
    w = jnp.linalg.eigvals(jnp.asarray(np.array([[0.0, 1.0], [-1.0, 0.0]])))
    np.testing.assert_allclose(np.sort_complex(_np(w)), [-1j, 1j], atol=1e-15)
    assert np.isnan(_np(jnp.linalg.eigvals(jnp.asarray(np.array([[np.nan, 0.0], [0.0, 1.0]]))))).all()
    with pytest.raises(ValueError, match="square"):
        jnp.linalg.eig(jnp.ones((2, 3)))
    with pytest.raises(TypeError, match="floating-point"):
        jnp.linalg.eigvals(jnp.ones((2, 2), dtype=jnp.int32))


# --- eig / eigvals: derivatives -------------------------------------------------------------------

_W = crandn(3, 3)


def _eig_loss(np_: Any, lin: Any, left: bool) -> Callable[[Any], Any]:
    def f(a: Any) -> Any:
        outs = lin.eig(a, compute_left_eigenvectors=left, compute_right_eigenvectors=True, enable_eigvec_derivs=True)
        tot = np_.real(np_.sum(outs[0] ** 2 * (1 + 0.5j)))
        # right eigenvectors are LAPACK's in both libraries: a phase-dependent term too; left ones
        # agree up to the sign of their (real) largest component: phase-free terms only
        tot = tot + np_.real(np_.sum(outs[-1] * _W)) + np_.sum(np_.abs(outs[-1] * _W) ** 2)
        if left:
            tot = tot + np_.sum(np_.abs(outs[1] * _W) ** 3) + np_.sum(np_.abs(np_.sum(outs[1] * _W, axis=0)))
        return tot

    return f


@pytest.mark.parametrize(("kind", "left"), [("real", True), ("complex", False)])
def test_eig_derivatives_match_jax(jax64: Any, left: bool, kind: str) -> None:
    a = crandn(3, 3) if kind == "complex" else RNG.standard_normal((3, 3))
    t = crandn(3, 3) if kind == "complex" else RNG.standard_normal((3, 3))
    ours, theirs = _eig_loss(jnp, lax_linalg, left), _eig_loss(jax64.numpy, jax64.lax.linalg, left)
    np.testing.assert_allclose(_np(fl.grad(ours)(jnp.asarray(a))), np.asarray(jax64.grad(theirs)(a)), atol=1e-10)
    _, got = fl.jvp(ours, (jnp.asarray(a),), (jnp.asarray(t),))
    _, want = jax64.jvp(theirs, (a,), (t,))
    np.testing.assert_allclose(float(got), float(want), rtol=1e-9, atol=1e-10)
    # eigenvalues alone (jnp.linalg.eigvals), JAX's rule diag(V^-1 dA V)
    g = fl.grad(lambda x: jnp.real(jnp.sum(jnp.linalg.eigvals(x) ** 3 * (1 - 2j))))(jnp.asarray(a))
    jg = jax64.grad(lambda x: jax64.numpy.real(jax64.numpy.sum(jax64.numpy.linalg.eigvals(x) ** 3 * (1 - 2j))))(a)
    np.testing.assert_allclose(_np(g), np.asarray(jg), atol=1e-10)


def test_eig_gradient_matches_finite_differences() -> None:
    a = crandn(3, 3)

    def f(x: Any) -> Any:
        w, v = jnp.linalg.eig(x)
        return jnp.sum(jnp.abs(v[0]) ** 2 * jnp.real(w)) + jnp.real(jnp.sum(v * _W))

    np.testing.assert_allclose(_np(fl.grad(f)(jnp.asarray(a))), complex_fd_grad(f, a), rtol=1e-5, atol=1e-6)
    r = RNG.standard_normal((3, 3))
    g = fl.grad(lambda x: jnp.sum(jnp.imag(jnp.linalg.eigvals(x)) ** 2))(jnp.asarray(r))
    assert _np(g).dtype == np.float64  # a real input gets a real gradient
    eps = 1e-6
    for k in np.ndindex(3, 3):
        e = np.zeros((3, 3))
        e[k] = eps
        fd = (np.sum(np.linalg.eigvals(r + e).imag ** 2) - np.sum(np.linalg.eigvals(r - e).imag ** 2)) / (2 * eps)
        assert abs(_np(g)[k] - fd) < 1e-5


def test_lax_eig_vector_derivatives_are_opt_in_as_in_jax() -> None:
    a = jnp.asarray(RNG.standard_normal((3, 3)))
    with pytest.raises(NotImplementedError, match="enable_eigvec_derivs"):
        fl.grad(lambda x: jnp.sum(jnp.abs(lax_linalg.eig(x)[2])))(a)
    with pytest.raises(NotImplementedError, match="enable_eigvec_derivs"):
        fl.jvp(lambda x: lax_linalg.eig(x, compute_left_eigenvectors=False)[0], (a,), (a,))
    fl.grad(lambda x: jnp.sum(jnp.real(lax_linalg.eig(x, compute_left_eigenvectors=False,
                                                      compute_right_eigenvectors=False)[0])))(a)


def test_eig_vmap_equals_loop_and_jit_equals_eager() -> None:
    a = RNG.standard_normal((3, 4, 4))

    def loss(x: Any) -> Any:
        w, v = jnp.linalg.eig(x)
        return jnp.sum(jnp.abs(v) ** 3) + jnp.sum(jnp.real(w) ** 2)

    loop = np.stack([_np(fl.grad(loss)(jnp.asarray(x))) for x in a])
    np.testing.assert_allclose(_np(fl.vmap(fl.grad(loss))(jnp.asarray(a))), loop, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_np(fl.jit(fl.vmap(fl.grad(loss)))(jnp.asarray(a))), loop, rtol=1e-10, atol=1e-12)
    w_jit = fl.jit(jnp.linalg.eigvals)(jnp.asarray(a))
    np.testing.assert_allclose(_np(w_jit), _np(jnp.linalg.eigvals(jnp.asarray(a))), atol=1e-12)


# --- complex decompositions and solvers: values ------------------------------------------------------


@pytest.mark.parametrize("dt", [C64, C128])
def test_complex_square_functions_match_numpy(dt: Any) -> None:
    rng = np.random.default_rng(5)
    a = (crandn(2, 3, 3, rng=rng) + 3 * np.eye(3)).astype(dt)
    s = _hpd(3, (2,), rng).astype(dt)
    b = crandn(2, 3, 2, rng=rng).astype(dt)
    fa, fs, fb = jnp.asarray(a), jnp.asarray(s), jnp.asarray(b)
    tol = _tol(dt)
    low = _np(jnp.linalg.cholesky(fs))
    assert low.dtype == dt
    np.testing.assert_allclose(low, np.linalg.cholesky(s), **tol)
    np.testing.assert_allclose(_np(jnp.linalg.cholesky(fs, upper=True)), np.linalg.cholesky(s, upper=True), **tol)
    np.testing.assert_allclose(_np(jnp.linalg.solve(fa, fb)), np.linalg.solve(a, b), **tol)
    np.testing.assert_allclose(_np(jnp.linalg.solve(fa[0], fb[0, :, 0])), np.linalg.solve(a[0], b[0, :, 0]), **tol)
    np.testing.assert_allclose(_np(jnp.linalg.inv(fa)), np.linalg.inv(a), **tol)
    np.testing.assert_allclose(_np(jnp.linalg.det(fa)), np.linalg.det(a), **tol)
    sign, logdet = jnp.linalg.slogdet(fa)
    np_sign, np_logdet = np.linalg.slogdet(a)
    assert _np(sign).dtype == dt and _np(logdet).dtype == np.dtype(dt).type(0).real.dtype
    np.testing.assert_allclose(_np(sign), np_sign, **tol)
    np.testing.assert_allclose(_np(logdet), np_logdet, **tol)
    w, v = jnp.linalg.eigh(fs)
    assert _np(w).dtype.kind == "f" and _np(v).dtype == dt
    np.testing.assert_allclose(_np(w), np.linalg.eigvalsh(s), **tol)
    np.testing.assert_allclose(s @ _np(v), _np(v) * _np(w)[..., None, :], **tol)
    np.testing.assert_allclose(_np(jnp.linalg.eigvalsh(fs)), np.linalg.eigvalsh(s), **tol)
    np.testing.assert_allclose(_np(jnp.linalg.matrix_power(fa, 3)), np.linalg.matrix_power(a, 3), **tol)
    np.testing.assert_allclose(_np(jnp.linalg.matrix_power(fa, -2)), np.linalg.matrix_power(a, -2),
                               rtol=10 * tol["rtol"], atol=10 * tol["atol"])
    np.testing.assert_allclose(_np(jnp.linalg.cond(fa)), np.linalg.cond(a), rtol=10 * tol["rtol"])
    np.testing.assert_allclose(_np(jnp.linalg.cond(fa, 1)), np.linalg.cond(a, 1), rtol=10 * tol["rtol"])
    np.testing.assert_array_equal(_np(jnp.linalg.matrix_rank(fa)), np.linalg.matrix_rank(a))
    np.testing.assert_allclose(_np(fsl.expm(fa * 0.5)), np.stack([sl.expm(x * 0.5) for x in a]),
                               rtol=10 * tol["rtol"], atol=10 * tol["atol"])
    np.testing.assert_allclose(_np(fsl.solve(fs, fb, assume_a="pos")), np.linalg.solve(s, b), **tol)
    np.testing.assert_allclose(_np(fsl.solve(fa, fb)), np.linalg.solve(a, b), **tol)


@pytest.mark.parametrize("dt", [C64, C128])
def test_complex_rectangular_functions_match_numpy(dt: Any) -> None:
    rng = np.random.default_rng(6)
    tol = _tol(dt)
    for shape in ((4, 3), (3, 5), (2, 3, 3)):
        a = crandn(*shape, rng=rng).astype(dt)
        fa = jnp.asarray(a)
        for mode in ("reduced", "complete"):
            q, r = jnp.linalg.qr(fa, mode=mode)
            nq, nr = np.linalg.qr(a, mode=mode)
            assert _np(q).shape == nq.shape and _np(q).dtype == dt
            np.testing.assert_allclose(_np(q) @ _np(r), a, **tol)
            np.testing.assert_allclose(np.abs(_np(r)), np.abs(nr), **tol)
        u, s, vh = jnp.linalg.svd(fa, full_matrices=False)
        assert _np(s).dtype.kind == "f" and _np(u).dtype == dt
        np.testing.assert_allclose(_np(s), np.linalg.svd(a, compute_uv=False), **tol)
        np.testing.assert_allclose((_np(u) * _np(s)[..., None, :]) @ _np(vh), a, **tol)
        np.testing.assert_allclose(_np(jnp.linalg.svdvals(fa)), np.linalg.svd(a, compute_uv=False), **tol)
        np.testing.assert_allclose(_np(jnp.linalg.pinv(fa)), np.linalg.pinv(a), rtol=10 * tol["rtol"],
                                   atol=10 * tol["atol"])
    a, b = crandn(5, 3, rng=rng).astype(dt), crandn(5, 2, rng=rng).astype(dt)
    x, res, rank, s = jnp.linalg.lstsq(jnp.asarray(a), jnp.asarray(b))
    nx, nres, nrank, ns = np.linalg.lstsq(a, b, rcond=None)
    np.testing.assert_allclose(_np(x), nx, **tol)
    np.testing.assert_allclose(_np(res), nres, rtol=10 * tol["rtol"])
    assert int(rank) == nrank and _np(res).dtype.kind == "f"


@pytest.mark.parametrize("trans", [0, 1, 2])
@pytest.mark.parametrize("lower", [True, False])
def test_complex_scipy_solvers_match_scipy(trans: int, lower: bool) -> None:
    rng = np.random.default_rng(7 + trans)
    a = crandn(3, 3, rng=rng) * 0.3 + 2 * np.eye(3)
    b = crandn(3, 2, rng=rng)
    tol = _tol(C128)
    np.testing.assert_allclose(_np(fsl.solve_triangular(jnp.asarray(a), jnp.asarray(b), trans=trans, lower=lower)),
                               sl.solve_triangular(a, b, trans=trans, lower=lower), **tol)
    np.testing.assert_allclose(_np(fsl.lu_solve(fsl.lu_factor(jnp.asarray(a)), jnp.asarray(b), trans=trans)),
                               sl.lu_solve(sl.lu_factor(a), b, trans=trans), **tol)
    s = _hpd(3, (), rng)
    c = fsl.cho_factor(jnp.asarray(s), lower=lower)
    np.testing.assert_allclose(_np(fsl.cho_solve(c, jnp.asarray(b))), sl.cho_solve(sl.cho_factor(s, lower=lower), b),
                               **tol)
    p, low, up = fsl.lu(jnp.asarray(a))
    for got, want in zip((p, low, up), sl.lu(a)):
        np.testing.assert_allclose(_np(got), want, **tol)
    # a real matrix with a complex right-hand side promotes
    np.testing.assert_allclose(_np(jnp.linalg.solve(jnp.asarray(a.real), jnp.asarray(b))), np.linalg.solve(a.real, b),
                               **tol)


# --- complex derivatives: against JAX and finite differences ---------------------------------------

_W3, _W43 = crandn(3, 3), crandn(4, 3)


def _complex_cases(np_: Any, spl: Any) -> dict[str, tuple[Callable[..., Any], list[Any]]]:
    a = crandn(3, 3, rng=np.random.default_rng(1)) + 3 * np.eye(3)
    s = _hpd(3, (), np.random.default_rng(2))
    t = crandn(4, 3, rng=np.random.default_rng(3))
    b = crandn(3, 2, rng=np.random.default_rng(4))
    la = np_.linalg

    def svd_loss(x: Any) -> Any:
        u, sv, vh = la.svd(x, full_matrices=False)
        return np_.sum(sv * np.arange(3.0)) + np_.sum(np_.abs(u * _W43) ** 2) + np_.sum(np_.abs(vh * _W3) ** 2)

    return {
        "cholesky": (lambda x: np_.sum(np_.abs(la.cholesky(x) * _W3) ** 2), [s]),
        "solve": (lambda x, y: np_.sum(np_.abs(la.solve(x, y)) ** 2), [a, b]),
        "inv": (lambda x: np_.real(np_.sum(la.inv(x) * _W3)), [a]),
        "det": (lambda x: np_.abs(la.det(x)), [a]),
        "slogdet": (lambda x: la.slogdet(x)[1] + np_.real(la.slogdet(x)[0] * (1 + 2j)), [a]),
        "qr": (lambda x: np_.sum(np_.abs(la.qr(x)[0] * _W43) ** 2) + np_.real(np_.sum(la.qr(x)[1] * _W3)), [t]),
        "eigh": (lambda x: np_.sum(la.eigh(x)[0] * np.arange(3.0)) + np_.sum(np_.abs(la.eigh(x)[1] * _W3) ** 2), [s]),
        "svd": (svd_loss, [t]),
        "svd_wide": (lambda x: np_.sum(np_.abs(la.svd(x, full_matrices=False)[0] * _W3) ** 2)
                     + np_.sum(np_.abs(la.svd(x, full_matrices=False)[2] * _W43.T) ** 2), [t.T.copy()]),
        "pinv": (lambda x: np_.real(np_.sum(la.pinv(x) * _W43.T)), [t]),
        "lstsq": (lambda x, y: np_.sum(np_.abs(la.lstsq(x, y)[0]) ** 2), [t, crandn(4, 2)]),
        "expm": (lambda x: np_.real(np_.sum(spl.expm(x) * _W3)), [a * 0.3]),
        "solve_triangular": (lambda x, y: np_.real(np_.sum(spl.solve_triangular(x, y, trans=2, lower=True) * 2j)),
                             [a, b]),
        "cho_factor_solve": (lambda x, y: np_.real(np_.sum(spl.cho_solve(spl.cho_factor(x), y) * (1 + 2j))), [s, b]),
        "lu_factor_solve": (lambda x, y: np_.real(np_.sum(spl.lu_solve(spl.lu_factor(x), y, trans=2) * (1 + 2j))),
                            [a, b]),
    }


# inv/det/lstsq/expm are compositions of the rules checked here (LU, SVD, matmul): their
# complex gradients are covered by the finite-difference and transpose checks below
_CASES = sorted(set(_complex_cases(np, None)) - {"inv", "det", "lstsq", "expm"})


@pytest.mark.parametrize("name", _CASES)
def test_complex_gradients_match_jax(jax64: Any, name: str) -> None:
    import jax.scipy.linalg as jsl

    ours, args = _complex_cases(jnp, fsl)[name]
    theirs, _ = _complex_cases(jax64.numpy, jsl)[name]
    argnums = tuple(range(len(args)))
    np.testing.assert_allclose(float(ours(*(jnp.asarray(x) for x in args))), float(theirs(*args)), rtol=1e-10)
    got = fl.grad(ours, argnums=argnums)(*(jnp.asarray(x) for x in args))
    want = jax64.grad(theirs, argnums=argnums)(*args)
    for g, w in zip(got, want):
        np.testing.assert_allclose(_np(g), np.asarray(w), rtol=1e-8, atol=1e-10, err_msg=name)


@pytest.mark.parametrize("name", ["cholesky", "qr", "svd", "eigh", "slogdet", "inv", "det", "lstsq", "expm"])
def test_complex_gradients_match_finite_differences(name: str) -> None:
    f, args = _complex_cases(jnp, fsl)[name]
    rest = [jnp.asarray(x) for x in args[1:]]

    def f0(x: Any) -> Any:
        return f(x, *rest)

    np.testing.assert_allclose(_np(fl.grad(f0)(jnp.asarray(args[0]))), complex_fd_grad(f0, args[0]), rtol=1e-5,
                               atol=1e-6, err_msg=name)


def test_complex_vjp_is_the_transpose_of_the_jvp() -> None:
    """<vjp(ct), t> == Re(sum(ct * jvp(t))) for the complex decompositions (JAX's pairing)."""
    t43, a = crandn(4, 3), _hpd(3)
    progs: list[tuple[Callable[[Any], Any], np.ndarray[Any, Any]]] = [
        (lambda x: tuple(jnp.linalg.qr(x)), t43),
        (lambda x: tuple(jnp.linalg.svd(x, full_matrices=False)), t43),
        (lambda x: tuple(jnp.linalg.eigh(x)), a),
        (jnp.linalg.cholesky, a),
        (lambda x: lax_linalg.triangular_solve(x, x[:2], left_side=False, lower=True, conjugate_a=True), a),
    ]
    for prog, x0 in progs:
        t = crandn(*x0.shape)
        out, tout = fl.jvp(prog, (jnp.asarray(x0),), (jnp.asarray(t),))
        cts = [crandn(*np.shape(o)) if _np(o).dtype.kind == "c" else RNG.standard_normal(np.shape(o))
               for o in tree.leaves(out)]
        ct_tree = tree.unflatten(tree.structure(out), [jnp.asarray(c) for c in cts])
        _, pull = fl.vjp(prog, jnp.asarray(x0))
        (g,) = pull(ct_tree)
        lhs = np.real(np.sum(_np(g) * t))
        rhs = sum(np.real(np.sum(c * _np(o))) for c, o in zip(cts, tree.leaves(tout)))
        assert abs(lhs - rhs) < 1e-9 * (1 + abs(rhs))


def test_complex_vmap_equals_loop_and_jit_equals_eager() -> None:
    a = crandn(3, 3, 3) + 3 * np.eye(3)
    s = _hpd(3, (3,))

    def f(x: Any, y: Any) -> Any:
        w, v = jnp.linalg.eigh(y)
        q, r = jnp.linalg.qr(x)
        sign, logdet = jnp.linalg.slogdet(x)
        return (jnp.linalg.solve(x, jnp.linalg.cholesky(y)), w, jnp.abs(v), jnp.abs(q), r, sign, logdet,
                jnp.linalg.svd(x, compute_uv=False))

    vm = fl.vmap(f)(jnp.asarray(a), jnp.asarray(s))
    jitted = fl.jit(fl.vmap(f))(jnp.asarray(a), jnp.asarray(s))
    for i in range(3):
        one = f(jnp.asarray(a[i]), jnp.asarray(s[i]))
        for got, jgot, want in zip(vm, jitted, one):
            np.testing.assert_allclose(_np(got)[i], _np(want), rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(_np(jgot)[i], _np(want), rtol=1e-10, atol=1e-12)


# --- scipy.special.i0e / i1e -------------------------------------------------------------------------

_BESSEL_X = np.concatenate([np.linspace(-30.0, 30.0, 241), [0.0, -0.0, 8.0, -8.0, 1e-300, 700.0, 1e6]])


@pytest.mark.parametrize("name", ["i0e", "i1e"])
def test_bessel_values_match_scipy(name: str) -> None:
    ours, ref = getattr(special, name), getattr(ss, name)
    np.testing.assert_allclose(_np(ours(jnp.asarray(_BESSEL_X))), ref(_BESSEL_X), rtol=1e-14, atol=1e-300)
    x32 = _BESSEL_X.astype(np.float32)
    got32 = _np(ours(jnp.asarray(x32)))
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, ref(x32.astype(np.float64)), rtol=1e-6, atol=1e-30)
    special_pts = np.array([np.inf, -np.inf, np.nan])
    np.testing.assert_array_equal(_np(ours(jnp.asarray(special_pts))), ref(special_pts))
    assert _np(ours(jnp.asarray(np.array([1, 2])))).dtype == np.float64  # integers: the default float


def test_bessel_derivatives() -> None:
    x = np.array([-9.0, -2.5, -0.3, 0.0, 0.4, 3.0, 12.0])
    g0 = _np(fl.vmap(fl.grad(special.i0e))(jnp.asarray(x)))
    g1 = _np(fl.vmap(fl.grad(special.i1e))(jnp.asarray(x)))
    np.testing.assert_allclose(g0, ss.i1e(x) - np.sign(x) * ss.i0e(x), rtol=1e-13, atol=1e-15)
    safe = np.where(x == 0, 1.0, x)
    want1 = np.where(x == 0, 0.5, ss.i0e(x) - ss.i1e(x) * (np.sign(x) + 1 / safe))
    np.testing.assert_allclose(g1, want1, rtol=1e-13, atol=1e-15)
    eps = 1e-6
    for ref, g in ((ss.i0e, g0), (ss.i1e, g1)):
        xs = x[x != 0]  # i0e has a kink at 0 (|x|); i1e is smooth there
        np.testing.assert_allclose(g[x != 0], (ref(xs + eps) - ref(xs - eps)) / (2 * eps), rtol=1e-6, atol=1e-9)
    assert abs(g1[3] - (ss.i1e(eps) - ss.i1e(-eps)) / (2 * eps)) < 1e-6
    # second derivatives exist (the rules are written with the primitives)
    h = _np(fl.grad(fl.grad(special.i1e))(jnp.asarray(1.5)))
    fd = (ss.i1e(1.5 + 1e-4) - 2 * ss.i1e(1.5) + ss.i1e(1.5 - 1e-4)) / 1e-8
    assert abs(float(h) - fd) < 1e-5


def test_bessel_derivatives_match_jax(jax64: Any) -> None:
    x = np.array([-3.0, -0.5, 0.0, 0.7, 9.0])
    for name in ("i0e", "i1e"):
        ours = _np(fl.vmap(fl.grad(getattr(special, name)))(jnp.asarray(x)))
        theirs = np.asarray(jax64.vmap(jax64.grad(getattr(jax64.scipy.special, name)))(x))
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14, err_msg=name)


# --- scipy.stats.multivariate_normal -------------------------------------------------------------


def test_multivariate_normal_matches_scipy() -> None:
    m = RNG.standard_normal((4, 4))
    cov = m @ m.T + 4 * np.eye(4)
    mu, x = RNG.standard_normal(4), RNG.standard_normal((5, 3, 4))
    mvn = stats.multivariate_normal
    np.testing.assert_allclose(_np(mvn.logpdf(jnp.asarray(x), jnp.asarray(mu), jnp.asarray(cov))),
                               sst.multivariate_normal.logpdf(x, mu, cov), rtol=1e-12)
    np.testing.assert_allclose(_np(mvn.pdf(jnp.asarray(x[0, 0]), jnp.asarray(mu), jnp.asarray(cov))),
                               sst.multivariate_normal.pdf(x[0, 0], mu, cov), rtol=1e-12)
    covs = np.stack([cov, 2 * cov, 0.5 * cov])  # a batch of covariances broadcasts against x
    want = np.stack([sst.multivariate_normal.logpdf(x[:, i], mu, covs[i]) for i in range(3)], axis=1)
    np.testing.assert_allclose(_np(mvn.logpdf(jnp.asarray(x), jnp.asarray(mu), jnp.asarray(covs))), want, rtol=1e-12)
    np.testing.assert_allclose(_np(mvn.logpdf(jnp.asarray(x), jnp.asarray(mu), 2.0)),
                               sst.multivariate_normal.logpdf(x, mu, 2.0), rtol=1e-12)
    np.testing.assert_allclose(float(mvn.logpdf(1.0, 0.5, 2.0)), sst.norm.logpdf(1.0, 0.5, np.sqrt(2.0)), rtol=1e-12)
    x32 = jnp.asarray(x.astype(np.float32))
    assert _np(mvn.logpdf(x32, jnp.asarray(mu.astype(np.float32)), jnp.asarray(cov.astype(np.float32)))).dtype == \
        np.float32
    assert np.isnan(_np(mvn.logpdf(jnp.zeros(2), jnp.zeros(2), -jnp.eye(2))))  # not positive definite
    with pytest.raises(NotImplementedError, match="allow_singular"):
        mvn.logpdf(jnp.zeros(2), jnp.zeros(2), jnp.eye(2), allow_singular=True)
    with pytest.raises(ValueError, match="cov must be"):
        mvn.logpdf(jnp.zeros(2), jnp.zeros(2), jnp.eye(3))


def test_multivariate_normal_gradients_match_jax(jax64: Any) -> None:
    m = RNG.standard_normal((3, 3))
    cov = m @ m.T + 3 * np.eye(3)
    mu, x = RNG.standard_normal(3), RNG.standard_normal((4, 3))

    def ours(a: Any, b: Any, c: Any) -> Any:
        return jnp.sum(stats.multivariate_normal.logpdf(a, b, c))

    def theirs(a: Any, b: Any, c: Any) -> Any:
        return jax64.numpy.sum(jax64.scipy.stats.multivariate_normal.logpdf(a, b, c))

    got = fl.grad(ours, argnums=(0, 1, 2))(jnp.asarray(x), jnp.asarray(mu), jnp.asarray(cov))
    want = jax64.grad(theirs, argnums=(0, 1, 2))(x, mu, cov)
    for g, w in zip(got, want):
        np.testing.assert_allclose(_np(g), np.asarray(w), rtol=1e-9, atol=1e-12)


# --- nn.initializers.orthogonal -------------------------------------------------------------------


@pytest.mark.parametrize(("shape", "axis"), [((4, 3), -1), ((3, 5), -1), ((2, 3, 4), -1), ((2, 3, 4), 0),
                                             ((2, 3, 4), 1), ((6, 6), 0)])
def test_orthogonal_initializer(shape: tuple[int, ...], axis: int) -> None:
    init = initializers.orthogonal(scale=2.0, column_axis=axis)
    w = _np(init(random.key(3), shape))
    assert w.shape == shape and w.dtype == np.float32
    mat = np.moveaxis(w, axis, -1).reshape(-1, shape[axis]).astype(np.float64)
    gram = mat.T @ mat if mat.shape[0] >= mat.shape[1] else mat @ mat.T
    np.testing.assert_allclose(gram, 4.0 * np.eye(len(gram)), atol=1e-5)
    np.testing.assert_array_equal(_np(init(random.key(3), shape)), w)  # same key, same matrix


def test_orthogonal_initializer_dtypes_and_errors() -> None:
    w = _np(initializers.orthogonal(dtype=jnp.float64)(random.key(0), (5, 5)))
    assert w.dtype == np.float64
    np.testing.assert_allclose(w.T @ w, np.eye(5), atol=1e-12)
    z = _np(initializers.orthogonal()(random.key(0), (3, 3), jnp.complex128))
    assert z.dtype == C128
    np.testing.assert_allclose(np.conj(z.T) @ z, np.eye(3), atol=1e-12)
    assert _np(initializers.orthogonal()(random.key(0), (0, 3))).shape == (0, 3)
    with pytest.raises(ValueError, match="2-D"):
        initializers.orthogonal()(random.key(0), (3,))
    # the columns' signs are fixed by R's diagonal: not all first-row entries share a sign
    signs = {bool(_np(initializers.orthogonal()(random.key(k), (4, 4)))[0, 0] > 0) for k in range(8)}
    assert signs == {True, False}
