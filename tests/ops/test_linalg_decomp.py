"""The decomposition primitives' rules: jvp and vjp against finite differences
(float64), batch rules against a loop, jit against eager, kernels against
NumPy/SciPy, and the errors and degenerate points JAX documents."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import tree
from functorch_lite.core import ShapedArray
from functorch_lite.ops import linalg_decomp as ld
from functorch_lite.ops.kernels import linalg_decomp as k
from functorch_lite.test_util import check_grads
from tests._gradcheck import assert_close, numerical_jvp

RNG = np.random.default_rng(1234)


def _spd(shape: tuple[int, ...], rng: np.random.Generator = RNG) -> np.ndarray[Any, Any]:
    x = rng.standard_normal(shape)
    n = shape[-1]
    return x @ np.swapaxes(x, -1, -2) + n * np.eye(n)


def _leaves(x: Any) -> list[np.ndarray[Any, Any]]:
    return [np.asarray(o, np.float64) for o in tree.leaves(x) if np.asarray(o).dtype.kind == "f"]


def check_rules(f: Callable[[Any], Any], x: np.ndarray[Any, Any], sym: bool = False, rtol: float = 1e-6) -> None:
    """jvp along a random direction and vjp of a random cotangent, both against
    central differences of ``f`` (``sym``: symmetric directions only, for ops
    that read one triangle of a symmetric input)."""
    v = RNG.standard_normal(x.shape)
    if sym:
        v = v + np.swapaxes(v, -1, -2)
    _, t = fl.jvp(f, (jnp.asarray(x),), (jnp.asarray(v),))
    fd = _leaves(numerical_jvp(f, [x], [v]))
    assert_close(_leaves(t), fd, rtol=rtol, atol=1e-6, what="jvp")
    out, pullback = fl.vjp(f, jnp.asarray(x))
    cts = [RNG.standard_normal(np.shape(o)) if np.asarray(o).dtype.kind == "f" else np.zeros(np.shape(o), np.int32)
           for o in tree.leaves(out)]
    (g,) = pullback(tree.unflatten(tree.structure(out), [jnp.asarray(c) for c in cts]))
    g = np.asarray(g)
    if sym:
        g = g + np.swapaxes(g, -1, -2)
    lhs = float(np.sum(g * v)) / (2.0 if sym else 1.0)
    f_cts = [c for c, o in zip(cts, tree.leaves(out)) if np.asarray(o).dtype.kind == "f"]
    rhs = float(sum(np.sum(c * d) for c, d in zip(f_cts, fd)))
    assert abs(lhs - rhs) <= 1e-6 * (1 + abs(rhs)), f"vjp: <g, v> = {lhs} but <ct, J v> = {rhs}"


# --- derivatives --------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(1, 1), (4, 4), (2, 3, 3)])
def test_cholesky_rules(shape: tuple[int, ...]) -> None:
    check_rules(ld.cholesky_p.bind, _spd(shape), sym=True)


def test_symmetrize_input_rules_take_any_direction() -> None:
    # with symmetrize_input the op is a function of the whole matrix: no symmetric directions needed
    check_rules(lambda x: ld.cholesky_p.bind(x, symmetrize_input=True), _spd((2, 3, 3)))
    check_rules(lambda x: ld.eigh_p.bind(x, lower=False, symmetrize_input=True), _spd((3, 3)), rtol=1e-5)


@pytest.mark.parametrize("left_side", [True, False])
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize(("transpose_a", "unit_diagonal"), [(False, False), (True, False), (False, True)])
def test_triangular_solve_rules(left_side: bool, lower: bool, transpose_a: bool, unit_diagonal: bool) -> None:
    a = RNG.standard_normal((2, 4, 4)) * 0.3 + 3 * np.eye(4)
    b = RNG.standard_normal((2, 4, 3) if left_side else (2, 3, 4))
    params = {"left_side": left_side, "lower": lower, "transpose_a": transpose_a, "unit_diagonal": unit_diagonal}
    check_rules(lambda x: ld.triangular_solve_p.bind(x, jnp.asarray(b), **params), a)
    check_rules(lambda y: ld.triangular_solve_p.bind(jnp.asarray(a), y, **params), b)


@pytest.mark.parametrize("shape", [(3, 3), (5, 3), (3, 5), (2, 4, 4)])
def test_lu_rules(shape: tuple[int, ...]) -> None:
    check_rules(lambda x: ld.lu_p.bind(x)[0], RNG.standard_normal(shape))


@pytest.mark.parametrize(("shape", "full"), [((4, 4), False), ((5, 3), False), ((4, 4), True), ((2, 4, 2), False)])
def test_qr_rules(shape: tuple[int, ...], full: bool) -> None:
    check_rules(lambda x: ld.qr_p.bind(x, full_matrices=full), RNG.standard_normal(shape))


@pytest.mark.parametrize("shape", [(1, 1), (4, 4), (2, 3, 3)])
def test_eigh_rules(shape: tuple[int, ...]) -> None:
    check_rules(lambda x: ld.eigh_p.bind(x, lower=True), _spd(shape), sym=True, rtol=1e-5)


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 3, 2)])
@pytest.mark.parametrize("compute_uv", [True, False])
def test_svd_rules(shape: tuple[int, ...], compute_uv: bool) -> None:
    check_rules(lambda x: ld.svd_p.bind(x, full_matrices=False, compute_uv=compute_uv), RNG.standard_normal(shape),
                rtol=1e-5)


def test_svd_full_matrices_square_is_differentiable() -> None:
    check_rules(lambda x: ld.svd_p.bind(x, full_matrices=True, compute_uv=True), RNG.standard_normal((3, 3)),
                rtol=1e-5)


def test_second_derivative_through_cholesky() -> None:
    x0 = _spd((3, 3))

    def f(x: Any) -> Any:
        return jnp.sum(jnp.sin(ld.cholesky_p.bind(x)))

    v = RNG.standard_normal((3, 3))
    v = v + v.T
    _, hv = fl.jvp(fl.grad(f), (jnp.asarray(x0),), (jnp.asarray(v),))
    fd = numerical_jvp(lambda x: fl.grad(f)(x), [x0], [v])
    assert_close(np.asarray(hv), np.asarray(fd), rtol=1e-5, atol=1e-6, what="hessian-vector product")


# --- degenerate points and errors ---------------------------------------------------------------


def test_not_positive_definite_gives_nan_not_an_error() -> None:
    out = np.asarray(ld.cholesky_p.bind(jnp.asarray(np.array([[[1.0, 0.0], [0.0, 1.0]], [[-1.0, 0.0], [0.0, 1.0]]]))))
    assert np.allclose(out[0], np.eye(2)) and np.isnan(out[1]).all()


def test_repeated_eigenvalues_give_nonfinite_eigenvector_derivative() -> None:
    # JAX's rule: 1 / (w_j - w_i) is inf for a tie; the eigenvalues' derivative stays finite
    with np.errstate(invalid="ignore"):
        _, (dv, dw) = fl.jvp(lambda x: ld.eigh_p.bind(x, lower=True), (jnp.eye(3, dtype=jnp.float64),),
                             (jnp.asarray(_spd((3, 3))),))
    assert not np.isfinite(np.asarray(dv)).all()
    assert np.isfinite(np.asarray(dw)).all()


def test_qr_derivative_of_tall_complete_factorisation_is_not_implemented() -> None:
    with pytest.raises(NotImplementedError, match="full_matrices=True"):
        fl.grad(lambda x: jnp.sum(ld.qr_p.bind(x, full_matrices=True)[1]))(jnp.ones((3, 2)))


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
@pytest.mark.parametrize("full_matrices", [False, True])
def test_qr_derivative_of_wide_matrix(dtype: Any, full_matrices: bool) -> None:
    # A = [X | Y] with Q, U = qr(X) and R = [U | Q^H Y]: jvp and vjp against finite differences
    rng = np.random.default_rng(3)
    a = rng.standard_normal((3, 5)) + (1j * rng.standard_normal((3, 5)) if dtype == np.complex128 else 0)
    a[:, :3] += 4 * np.eye(3)
    check_grads(lambda x: tuple(ld.qr_p.bind(x, full_matrices=full_matrices)), (jnp.asarray(a.astype(dtype)),),
                order=2, modes=["fwd", "rev"])


def test_qr_wide_gradient_matches_pytorch() -> None:
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(1).standard_normal((2, 3, 6))

    t = torch.tensor(a, requires_grad=True)
    q, r = torch.linalg.qr(t)
    ((q ** 3).sum() + (r * torch.sin(r)).sum()).backward()

    def loss(x: Any) -> Any:
        q, r = jnp.linalg.qr(x)
        return jnp.sum(q ** 3) + jnp.sum(r * jnp.sin(r))

    g = fl.grad(loss)(jnp.asarray(a))
    np.testing.assert_allclose(np.asarray(g), t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_svd_full_matrices_derivative_needs_square() -> None:
    with pytest.raises(NotImplementedError, match="full_matrices"):
        fl.grad(lambda x: jnp.sum(ld.svd_p.bind(x, full_matrices=True, compute_uv=True)[1]))(jnp.ones((3, 2)))


@pytest.mark.parametrize("prim", ["cholesky", "lu", "qr", "eigh", "svd"])
def test_integer_input_is_a_type_error(prim: str) -> None:
    p = ld.LINALG_DECOMP[prim]
    params: dict[str, Any] = {"qr": {"full_matrices": False}, "eigh": {"lower": True},
                              "svd": {"full_matrices": False, "compute_uv": True}}.get(prim, {})
    with pytest.raises(TypeError, match=r"floating-point.*i32"):
        p.bind(jnp.ones((2, 2), dtype=jnp.int32), **params)


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
def test_shape_errors_name_the_shapes() -> None:
    with pytest.raises(ValueError, match="square"):
        ld.cholesky_p.bind(jnp.ones((2, 3)))
    with pytest.raises(ValueError, match="ndim >= 2"):
        ld.eigh_p.bind(jnp.ones(3), lower=True)
    with pytest.raises(ValueError, match=r"f32\[3,3\].*f32\[2,1\]"):
        ld.triangular_solve_p.bind(jnp.ones((3, 3)), jnp.ones((2, 1)), left_side=True, lower=True,
                                   transpose_a=False, unit_diagonal=False)
    with pytest.raises(TypeError, match="one dtype"):
        ld.triangular_solve_p.abstract_eval(ShapedArray((2, 2), np.dtype("float32")),  # type: ignore[misc]
                                            ShapedArray((2, 1), np.dtype("float64")), left_side=True,
                                            lower=True, transpose_a=False, unit_diagonal=False)
    with pytest.raises(ValueError, match="pivots must lie"):
        ld.lu_pivots_to_permutation_p.bind(jnp.array([3], dtype=jnp.int32), permutation_size=2)


# --- batching and jit -----------------------------------------------------------------------------

_ONE_OPERAND: dict[str, Callable[[Any], Any]] = {
    "cholesky": ld.cholesky_p.bind,
    "lu": ld.lu_p.bind,
    "qr": lambda x: ld.qr_p.bind(x, full_matrices=False),
    "eigh": lambda x: ld.eigh_p.bind(x, lower=True),
    "svd": lambda x: ld.svd_p.bind(x, full_matrices=False, compute_uv=True),
}


@pytest.mark.parametrize("name", sorted(_ONE_OPERAND))
def test_vmap_matches_loop_and_jit_matches_eager(name: str) -> None:
    f = _ONE_OPERAND[name]
    xs = _spd((3, 2, 4, 4))
    xs = np.moveaxis(xs, 1, 0)  # (2, 3, 4, 4): vmap over axis 1 of a batched operand
    vm = fl.vmap(f, in_axes=1)(jnp.asarray(xs))
    for i in range(xs.shape[1]):
        one = f(jnp.asarray(xs[:, i]))
        for a, b in zip(tree.leaves(vm), tree.leaves(one)):
            np.testing.assert_allclose(np.asarray(a)[i], np.asarray(b), rtol=1e-10, atol=1e-12)
    for a, b in zip(tree.leaves(fl.jit(f)(jnp.asarray(xs))), tree.leaves(f(jnp.asarray(xs)))):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_triangular_solve_vmap_one_side_batched() -> None:
    a = RNG.standard_normal((4, 4)) * 0.3 + 3 * np.eye(4)
    bs = RNG.standard_normal((5, 4, 2))

    def f(a_: Any, b_: Any) -> Any:
        return ld.triangular_solve_p.bind(a_, b_, left_side=True, lower=False, transpose_a=True, unit_diagonal=False)

    out = np.asarray(fl.vmap(f, in_axes=(None, 0))(jnp.asarray(a), jnp.asarray(bs)))
    for i in range(5):
        np.testing.assert_allclose(out[i], np.asarray(f(jnp.asarray(a), jnp.asarray(bs[i]))), rtol=1e-12)
    g = fl.jit(fl.vmap(fl.grad(lambda a_, b_: jnp.sum(f(a_, b_))), in_axes=(0, None)))(
        jnp.asarray(np.stack([a, a + 0.1])), jnp.asarray(bs[0]))
    assert np.asarray(g).shape == (2, 4, 4) and np.isfinite(np.asarray(g)).all()


def test_grad_under_jit_matches_eager() -> None:
    x = jnp.asarray(_spd((4, 4)))

    def f(a: Any) -> Any:
        v, w = ld.eigh_p.bind(a, lower=True)
        return jnp.sum(w * w) + jnp.sum(ld.cholesky_p.bind(a))

    np.testing.assert_allclose(np.asarray(fl.jit(fl.grad(f))(x)), np.asarray(fl.grad(f)(x)), rtol=1e-12)


def test_exported_program_with_decompositions_round_trips() -> None:
    from functorch_lite import export as E

    def f(a: Any) -> Any:
        low = jnp.linalg.cholesky(a)
        w = jnp.linalg.eigvalsh(a)
        s = jnp.linalg.svdvals(a)
        q, r = jnp.linalg.qr(a)
        return jnp.sum(low) + jnp.sum(w) + jnp.sum(s) + jnp.sum(r) + jnp.linalg.det(a)

    x = jnp.asarray(_spd((3, 3)))
    loaded = E.load(E.export(fl.grad(f), x).serialize())
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(fl.grad(f)(x)), rtol=1e-12)


# --- kernels ------------------------------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(n=st.integers(0, 140), m=st.sampled_from([0, 1, 3, 17, 40]), left=st.booleans(), lower=st.booleans(),
       trans=st.booleans(), unit=st.booleans(), batch=st.sampled_from([(), (2,)]))
def test_triangular_solve_kernel(n: int, m: int, left: bool, lower: bool, trans: bool, unit: bool,
                                 batch: tuple[int, ...]) -> None:
    rng = np.random.default_rng(n * 7 + m)
    # off-diagonal entries small: a unit-triangular matrix with O(1) ones is exponentially ill-conditioned
    a = rng.standard_normal(batch + (n, n)) * (0.3 / max(1, n) ** 0.5) + 2 * np.eye(n)
    if unit:  # the diagonal must not be read
        a[..., np.arange(n), np.arange(n)] = 1e300
    b = rng.standard_normal(batch + ((n, m) if left else (m, n)))
    x = k.triangular_solve(a, b, left, lower, trans, unit)
    t = np.tril(a) if lower else np.triu(a)
    if unit:
        t[..., np.arange(n), np.arange(n)] = 1
    op = np.swapaxes(t, -1, -2) if trans else t
    np.testing.assert_allclose(op @ x if left else x @ op, b, atol=1e-9)
    assert x.flags.c_contiguous and x.dtype == b.dtype


@pytest.mark.parametrize(("n", "m"), [(2, 1), (70, 20)])
@pytest.mark.parametrize("left", [True, False])
def test_triangular_solve_singular_gives_inf_or_nan(n: int, m: int, left: bool) -> None:
    a = np.tril(np.ones((n, n)))
    a[n // 2, n // 2] = 0.0
    b = np.ones((n, m) if left else (m, n))
    out = k.triangular_solve(a, b, left, True, False, False)
    assert out.shape == b.shape and not np.isfinite(out).all()


@settings(max_examples=20, deadline=None)
@given(m=st.integers(0, 6), n=st.integers(0, 6), batch=st.sampled_from([(), (3,), (0,)]), seed=st.integers(0, 99))
def test_lu_kernel_matches_scipy(m: int, n: int, batch: tuple[int, ...], seed: int) -> None:
    sl = pytest.importorskip("scipy.linalg")
    a = np.random.default_rng(seed).standard_normal(batch + (m, n))
    f, piv, perm = k.lu(a)
    assert f.shape == a.shape and piv.shape == batch + (min(m, n),) and perm.shape == batch + (m,)
    assert piv.dtype == np.int32 and perm.dtype == np.int32
    for idx in np.ndindex(*batch):
        if m and n:
            p, low, up = sl.lu(a[idx])
            kk = min(m, n)
            np.testing.assert_allclose(np.tril(f[idx], -1)[:, :kk] + np.eye(m, kk), low, atol=1e-12)
            np.testing.assert_allclose(np.triu(f[idx])[:kk], up, atol=1e-12)
            np.testing.assert_array_equal(a[idx][perm[idx]], (p.T @ a[idx]))
        np.testing.assert_array_equal(k.lu_pivots_to_permutation(piv[idx], m), perm[idx])


def test_lu_kernel_float32_and_views() -> None:
    a = np.random.default_rng(0).standard_normal((6, 10)).astype(np.float32)
    view = a[::2, ::2].T  # a non-contiguous (5, 3) view
    f, _, perm = k.lu(view)
    assert f.dtype == np.float32
    low = np.tril(f, -1)[:, :3] + np.eye(5, 3, dtype=np.float32)
    np.testing.assert_allclose(low @ np.triu(f)[:3], view[perm], rtol=1e-5, atol=1e-5)



@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
def test_blocked_cholesky_matches_lapack(dtype: Any) -> None:
    # from k._CHOL_BLOCKED_MIN on, the factor is blocked (NumPy on diagonal blocks, matmuls
    # elsewhere): LAPACK's factor, reading one triangle (or symmetrising), NaN where not spd
    n = k._CHOL_BLOCKED_MIN + 70
    m = RNG.standard_normal((2, n, n)) + (1j * RNG.standard_normal((2, n, n)) if np.dtype(dtype).kind == "c" else 0)
    spd = (m @ np.conj(np.swapaxes(m, -1, -2)) + n * np.eye(n)).astype(dtype)
    tol = 1e-4 if dtype in (np.float32, np.complex64) else 1e-12
    ref = np.linalg.cholesky(spd)
    junk_upper = np.triu(np.ones((n, n), dtype), 1)
    skew = junk_upper - junk_upper.T  # (a + a^H) / 2 removes it again
    for got in (k.cholesky(spd), k.cholesky(spd + junk_upper), k.cholesky(spd + skew, symmetrize=True)):
        np.testing.assert_allclose(got, ref, rtol=0, atol=tol * np.abs(ref).max())
    bad = spd.copy()
    bad[1, n - 3, n - 3] = -1e6
    out = k.cholesky(bad)
    assert np.isnan(out[1]).all() and np.isfinite(out[0]).all()
