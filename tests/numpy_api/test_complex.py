"""Complex numbers (complex64, complex128) outside the elementwise primitives:
creation, conversions, the composed elementwise functions, reductions,
products, indexing and manipulation, sorting, PRNG, export, the Array
methods and ``lax``'s complex functions, and autodiff/vmap/jit on complex
programs.

Values are compared against NumPy; gradients against finite differences on
complex128 (JAX's convention: ``grad`` of a real-valued ``f(z)`` is
``df/dx - i df/dy``) and against JAX itself where the convention matters
(``pytest.importorskip``: CI may not have JAX).  The special-value sweeps of
the elementwise functions (every pair of special real and imaginary parts)
are in tests/test_wrong_answers.py; the registry entries of the complex
primitives in tests/registry/complex.py.

Documented departures from NumPy (each pinned by a test below):

- ``maximum``/``minimum``/``fmax``/``fmin``/``max``/``min``/``ptp`` order
  complex numbers lexicographically (real part, then imaginary part) with
  NumPy's NaN rules, as NumPy and JAX; so do ``sort``/``argsort``/``unique``/
  ``searchsorted``.  ``argmax``/``argmin``/``clip`` refuse complex, as JAX;
  the comparisons ``<`` and friends refuse it too (the Array API leaves them
  undefined; NumPy and JAX compare lexicographically).
- ``median``/``quantile``/``percentile`` refuse complex, as JAX (NumPy's
  ``median`` sorts lexicographically).
- ``logaddexp``/``logaddexp2`` refuse complex, as NumPy (JAX accepts it).
- ``deg2rad``/``rad2deg`` accept complex, as JAX (NumPy refuses it).
- complex -> real conversions (``astype``, ``asarray(dtype=)``, ``.at[].set``)
  keep the real part and warn with NumPy's ``ComplexWarning`` (JAX warns that
  they will become errors).
- the linear-algebra decompositions and solvers accept complex matrices
  (tests/numpy_api/test_linalg_complex.py has their values and gradients).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import dtypes, lax, random

C64, C128 = np.dtype(np.complex64), np.dtype(np.complex128)
RNG = np.random.default_rng(1234)


def crandn(*shape: int, dtype: Any = C128) -> np.ndarray[Any, Any]:
    z = RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)
    return np.asarray(z, dtype)


def close(got: Any, want: Any, rtol: float = 1e-12, atol: float = 1e-12, dtype: bool = True) -> None:
    g, w = np.asarray(got), np.asarray(want)
    assert g.shape == w.shape, (g.shape, w.shape)
    if dtype:
        assert g.dtype == w.dtype, (g.dtype, w.dtype)
    np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, equal_nan=True)


# --- 1. creation and conversion ----------------------------------------------------------------


def test_array_from_python_complex_and_numpy() -> None:
    a = jnp.array([1 + 2j, 3, -0.5j])
    assert a.dtype == C128 and a.tolist() == [1 + 2j, 3 + 0j, -0.5j]
    assert jnp.asarray(1j).weak_type and jnp.asarray(1j).dtype == C128
    for dt in (C64, C128):
        z = crandn(2, 3, dtype=dt)
        out = jnp.asarray(z)
        assert out.dtype == dt
        np.testing.assert_array_equal(np.asarray(out), z)
        np.testing.assert_array_equal(np.asarray(jnp.array(z[:, ::2])), z[:, ::2])
    # the sign of zero in either part survives
    z = np.array([complex(-0.0, -0.0), complex(0.0, -0.0)])
    assert np.array_equal(np.signbit(np.asarray(jnp.asarray(z)).imag), [True, True])


@pytest.mark.usefixtures("x64_off")
def test_32_bit_mode_narrows_complex128_host_data() -> None:
    assert jnp.array([1 + 2j]).dtype == C64
    assert jnp.asarray(np.array([1 + 2j])).dtype == C64
    assert jnp.zeros(2, complex).dtype == C64
    assert (jnp.ones(2) * 1j).dtype == C64
    with pytest.warns(UserWarning, match="truncated to dtype complex64"):
        assert random.normal(random.key(0), (2,), "complex128").dtype == C64


def test_creation_functions_take_complex_dtypes_and_fill_values() -> None:
    for dt in (C64, C128):
        close(jnp.zeros((2, 3), dt), np.zeros((2, 3), dt))
        close(jnp.ones(3, dt), np.ones(3, dt))
        close(jnp.full(3, 1 - 2j, dt), np.full(3, 1 - 2j, dt))
        close(jnp.eye(3, k=1, dtype=dt), np.eye(3, k=1, dtype=dt))
        close(jnp.identity(2, dtype=dt), np.identity(2, dtype=dt))
        close(jnp.arange(4, dtype=dt), np.arange(4, dtype=dt))
        assert jnp.empty((2,), dt).dtype == dt
        close(jnp.zeros_like(jnp.ones(2), dtype=dt), np.zeros(2, dt))
        close(jnp.full_like(jnp.ones(2), 2j, dtype=dt), np.full(2, 2j, dt))
    close(jnp.full(2, 1 + 2j), np.full(2, 1 + 2j))
    close(jnp.full_like(jnp.asarray(crandn(3)), 0.5j), np.full(3, 0.5j))
    close(jnp.linspace(0, 1 + 1j, 5), np.linspace(0, 1 + 1j, 5))
    close(jnp.linspace(-1j, 2, 4, endpoint=False), np.linspace(-1j, 2, 4, endpoint=False))
    close(jnp.linspace(0, 1, 3, dtype=C64), np.linspace(0, 1, 3, dtype=C64))
    assert jnp.complex64(1 + 2j).dtype == C64 and complex(jnp.complex64(1 + 2j)) == 1 + 2j
    close(jnp.complex128([1, 2j]), np.complex128([1, 2j]))
    close(jnp.diag(jnp.asarray(np.arange(3) * 1j)), np.diag(np.arange(3) * 1j))


def test_astype_to_and_from_complex() -> None:
    z = crandn(4)
    close(jnp.asarray(z.real).astype(C64), z.real.astype(C64))
    close(jnp.arange(3).astype(C128), np.arange(3).astype(C128))
    close(jnp.asarray(z).astype(C64), z.astype(C64), rtol=1e-6)
    close(jnp.asarray(z).astype(bool), z.astype(bool))
    close(jnp.asarray(np.array([0j, 1j, 0.5])).astype(bool), np.array([False, True, True]))
    for target in (np.float32, np.float64, np.int32):
        with pytest.warns(np.exceptions.ComplexWarning, match="discards the imaginary part"):
            out = jnp.asarray(z).astype(target)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
            close(out, z.astype(target), rtol=1e-6)
    with pytest.warns(np.exceptions.ComplexWarning):
        jnp.asarray(jnp.asarray(z), dtype=np.float64)
    with pytest.warns(np.exceptions.ComplexWarning):
        jnp.array(jnp.asarray(z), dtype=np.float64)
    with pytest.warns(np.exceptions.ComplexWarning):
        jnp.zeros(3).at[0].set(1 + 2j)
    for reduction in (jnp.sum, jnp.prod, jnp.mean, jnp.var):
        with pytest.warns(np.exceptions.ComplexWarning, match="discards the imaginary part"):
            out = reduction(jnp.asarray(z), dtype=np.float64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
            close(out, reduction(z.real), dtype=False)


def test_array_methods_and_conversions() -> None:
    z = crandn(2, 3)
    a = jnp.asarray(z)
    close(a.real, z.real)
    close(a.imag, z.imag)
    close(a.conj(), z.conj())
    close(a.conjugate(), z.conjugate())
    close(jnp.ones(2).real, np.ones(2))
    close(jnp.ones(2).imag, np.zeros(2))
    close(jnp.ones(2).conj(), np.ones(2))
    assert complex(a[0, 1]) == complex(z[0, 1])
    assert a[1, 2].item() == complex(z[1, 2])
    assert a.tolist() == z.tolist()
    with pytest.raises(TypeError):
        float(a[0, 0])  # as JAX and Python: no silent drop of the imaginary part
    # NumPy's body (repr(np.array([1 + 2j, -0.5j])) is "array([ 1.+2.j , -0.-0.5j])") and the dtype
    assert repr(jnp.array([1 + 2j, -0.5j])) == "Array([ 1.+2.j , -0.-0.5j], dtype=complex128)"
    assert "dtype=complex64" in repr(jnp.array([1j], dtype=C64))
    assert str(jnp.array([1j])) == str(np.array([1j]))


def test_lax_complex_functions() -> None:
    x, y = np.array([1.0, -2.0]), np.array([0.5, -0.0])
    z = lax.complex(jnp.asarray(x), jnp.asarray(y))
    assert z.dtype == C128
    np.testing.assert_array_equal(np.asarray(lax.real(z)), x)
    np.testing.assert_array_equal(np.asarray(lax.imag(z)), y)
    assert np.signbit(np.asarray(lax.imag(z))[1])
    close(lax.conj(z), np.conj(x + 1j * y))
    assert lax.complex(jnp.ones(2, "float32"), 2.0).dtype == C64
    assert lax.conj(jnp.ones(2, "float32")).dtype == C64  # as JAX: a real input gives complex
    close(lax.add(z, 1j), x + 1j * y + 1j)
    with pytest.raises(TypeError, match="complex operand"):
        lax.real(jnp.ones(2))
    with pytest.raises(TypeError, match="complex operand"):
        lax.imag(jnp.arange(2))
    with pytest.raises(TypeError, match="real floating-point operands of one dtype"):
        lax.complex(jnp.ones(2, "float32"), jnp.ones(2, "float64"))
    with pytest.raises(TypeError, match="real floating-point"):
        lax.complex(z, z)
    with pytest.raises(TypeError, match="same shape"):
        lax.complex(jnp.ones(2), jnp.ones(3))


def test_lax_complex_matches_jax(jax64: Any) -> None:
    jl = jax64.lax
    x, y = np.array([1.0, -2.0], np.float32), np.array([0.5, 3.0], np.float32)
    for ours, theirs in ((lax.complex(jnp.asarray(x), jnp.asarray(y)), jl.complex(x, y)),
                         (lax.conj(jnp.asarray(x)), jl.conj(x))):
        assert np.asarray(ours).dtype == np.asarray(theirs).dtype
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))


# --- 2. elementwise: composed functions and refusals ---------------------------------------------

Z1 = np.array([1 + 2j, -0.5 + 0.25j, 3 - 1j, 0.7 - 2.2j, -1.5 - 0.5j, 0j, 2.5 + 0j, -0.5 + 1.5j])
Z2 = np.array([0.3 - 1j, 2 + 0.5j, -1 + 1j, 1.5 + 0j, 0.25j, 1 + 1j, -2 - 3j, 0.5 + 0j])

UNARY_COMPOSED: dict[str, Callable[[Any], Any]] = {
    "square": np.square, "reciprocal": lambda z: 1 / z, "sinc": np.sinc, "sign": np.sign,
    "round": np.round, "around": np.around, "rint": np.rint, "positive": np.positive,
    "nan_to_num": np.nan_to_num, "angle": np.angle, "real": np.real, "imag": np.imag, "conj": np.conj,
    "iscomplex": np.iscomplex, "isreal": np.isreal, "abs": np.abs, "exp2": np.exp2, "log2": np.log2,
    "log10": np.log10, "expm1": np.expm1, "log1p": np.log1p,
}


@pytest.mark.parametrize("name", sorted(UNARY_COMPOSED))
def test_composed_unary_functions_match_numpy(name: str) -> None:
    ref = UNARY_COMPOSED[name]
    for dt in (C64, C128):
        z = Z1.astype(dt)
        with np.errstate(all="ignore"):
            want = ref(z)
        got = getattr(jnp, name)(jnp.asarray(z))
        tol = 1e-5 if dt == C64 else 1e-13
        close(got, want, rtol=tol, atol=tol)


def test_round_with_decimals_and_angle_in_degrees() -> None:
    z = np.array([1.2345 + 6.789j, -0.005 - 2.5j])
    close(jnp.round(jnp.asarray(z), 2), np.round(z, 2))
    close(jnp.round(jnp.asarray(z), -1), np.round(z, -1))
    close(jnp.angle(jnp.asarray(z), deg=True), np.angle(z, deg=True))


BINARY_COMPOSED: dict[str, Callable[[Any, Any], Any]] = {
    "power": np.power, "float_power": np.float_power, "isclose": np.isclose, "true_divide": np.true_divide,
    "subtract": np.subtract, "equal": np.equal, "not_equal": np.not_equal, "logical_and": np.logical_and,
}


@pytest.mark.parametrize("name", sorted(BINARY_COMPOSED))
def test_binary_functions_match_numpy(name: str) -> None:
    ref = BINARY_COMPOSED[name]
    for dt in (C64, C128):
        a, b = Z1.astype(dt), Z2.astype(dt)
        with np.errstate(all="ignore"):
            want = ref(a, b)
        got = getattr(jnp, name)(jnp.asarray(a), jnp.asarray(b))
        tol = 1e-5 if dt == C64 else 1e-13
        close(got, want, rtol=tol, atol=tol)


def test_mixed_real_complex_operands_and_scalars() -> None:
    x = np.array([1.0, -2.0, 0.5])
    z = np.array([1j, 2 - 1j, -0.5 + 0.5j])
    close(jnp.asarray(x) + jnp.asarray(z), x + z)
    close(jnp.asarray(x) ** jnp.asarray(z), x.astype(complex) ** z)
    close(jnp.asarray(z) ** 2.5, z ** 2.5)
    close(jnp.asarray(z) ** (0.5 - 1j), z ** (0.5 - 1j))
    close(jnp.asarray(z) ** 3, z ** 3)
    close(jnp.power(jnp.asarray(z), jnp.arange(3)), z ** np.arange(3))
    close(jnp.float_power(jnp.asarray(x), 1j), np.float_power(x, 1j))
    assert (jnp.ones(2, "float32") * 1j).dtype == C64
    assert (jnp.ones(2, "float64") * jnp.ones(2, C64)).dtype == C128
    assert (jnp.arange(2) * jnp.ones(2, C64)).dtype == C64


REFUSED_UNARY = ["floor", "ceil", "trunc", "fix", "cbrt", "signbit", "isposinf", "isneginf", "bitwise_not"]
REFUSED_BINARY = ["remainder", "mod", "fmod", "floor_divide", "divmod", "hypot", "copysign", "heaviside",
                  "arctan2", "nextafter", "logaddexp", "logaddexp2", "less", "less_equal", "greater",
                  "greater_equal", "bitwise_and", "left_shift"]


@pytest.mark.parametrize("name", REFUSED_UNARY + REFUSED_BINARY)
def test_real_only_functions_refuse_complex_clearly(name: str) -> None:
    z = jnp.asarray(Z1)
    args = (z,) if name in REFUSED_UNARY else (z, jnp.asarray(Z2))
    with pytest.raises(TypeError, match="complex|non-complex|real|integer") as e:
        getattr(jnp, name)(*args)
    assert "complex" in str(e.value) or "integer" in str(e.value), str(e.value)


def test_clip_and_order_refusals_name_the_problem() -> None:
    z = jnp.asarray(Z1)
    with pytest.raises(TypeError, match="clip: complex numbers"):
        jnp.clip(z, 0, 1)
    with pytest.raises(TypeError, match="clip: complex numbers"):
        jnp.clip(jnp.ones(2), 1j)
    with pytest.raises(TypeError, match="no order"):
        _ = z < z
    with pytest.raises(TypeError, match="floor: complex numbers are not supported"):
        jnp.floor(z)


# --- 3. reductions ------------------------------------------------------------------------------


@pytest.mark.parametrize("dt", [C64, C128], ids=str)
def test_reductions_match_numpy(dt: np.dtype[Any]) -> None:
    z = crandn(3, 4, dtype=dt)
    a = jnp.asarray(z)
    tol = 1e-5 if dt == C64 else 1e-12
    for axis in (None, 0, 1, (0, 1)):
        close(jnp.sum(a, axis=axis), np.sum(z, axis=axis), tol, tol)
        close(jnp.prod(a, axis=axis), np.prod(z, axis=axis), tol, tol)
        close(jnp.mean(a, axis=axis), np.mean(z, axis=axis), tol, tol)
        close(jnp.var(a, axis=axis), np.var(z, axis=axis), tol, tol)  # real, as NumPy
        close(jnp.std(a, axis=axis, ddof=1), np.std(z, axis=axis, ddof=1), tol, tol)
        close(jnp.all(a, axis=axis), np.all(z, axis=axis))
        close(jnp.any(a, axis=axis), np.any(z, axis=axis))
        close(jnp.count_nonzero(a, axis=axis), np.count_nonzero(z, axis=axis), dtype=False)
    assert jnp.var(a).dtype == dtypes.real_dtype(dt)
    for axis in (0, 1, None):
        close(jnp.cumsum(a, axis=axis), np.cumsum(z, axis=axis), tol, tol)
        close(jnp.cumprod(a, axis=axis), np.cumprod(z, axis=axis), tol, tol)
    close(a.sum(keepdims=True), z.sum(keepdims=True), tol, tol)
    close(jnp.trace(a), np.trace(z), tol, tol)
    close(jnp.trace(a, offset=1), np.trace(z, offset=1), tol, tol)
    w = crandn(4, dtype=dt)
    close(jnp.average(a, axis=1, weights=jnp.asarray(w)), np.average(z, axis=1, weights=w), 1e-4, 1e-4)
    close(jnp.average(a), np.average(z), tol, tol)
    # the Numba scan kernel is real-only: long complex scans take NumPy's accumulate
    long = crandn(5000, dtype=dt)
    close(jnp.cumsum(jnp.asarray(long)[::-1]), np.cumsum(long[::-1]), 1e-4 if dt == C64 else 1e-10, 1e-3)


def test_nan_reductions_of_complex() -> None:
    z = np.array([1 + 1j, complex(np.nan, 0), complex(0, np.nan), 2 - 1j])
    close(jnp.nancumsum(jnp.asarray(z)), np.nancumsum(z))
    close(jnp.nancumprod(jnp.asarray(z)), np.nancumprod(z))
    assert bool(jnp.array_equal(jnp.asarray(z), jnp.asarray(z), equal_nan=True))
    assert bool(jnp.allclose(jnp.asarray(z), jnp.asarray(z), equal_nan=True))


@pytest.mark.parametrize("fn", ["argmax", "argmin", "logsumexp", "median", "quantile"])
def test_order_reductions_refuse_complex(fn: str) -> None:
    args = (0.5,) if fn == "quantile" else ()
    with pytest.raises(TypeError, match="complex"):
        getattr(jnp, fn)(jnp.asarray(Z1), *args)


SPECIAL_PARTS = [0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 2.5]
ZS = np.array([complex(a, b) for a in SPECIAL_PARTS for b in SPECIAL_PARTS])


@pytest.mark.parametrize("fn", ["max", "min"])
def test_complex_max_min_are_lexicographic_as_numpy(fn: str) -> None:
    """NumPy's maximum.reduce: lexicographic, the first of equal extremes (the
    sign of zero shows which), the first NaN (either part) when there is one."""
    for trial in range(60):
        z = RNG.choice(ZS, size=(3, 5))
        if trial % 2:
            z = np.where(np.isnan(z), 1 + 1j, z)
        for axis in (None, 0, 1, (0, 1)):
            got = np.asarray(getattr(jnp, fn)(jnp.asarray(z), axis=axis))
            want = getattr(np, fn)(z, axis=axis)
            for part in ("real", "imag"):
                g, w = getattr(got, part), getattr(want, part)
                np.testing.assert_array_equal(g, w)
                np.testing.assert_array_equal(np.signbit(g), np.signbit(w))
    z = crandn(3, 4)
    close(getattr(jnp, fn)(jnp.asarray(z), axis=1, keepdims=True), getattr(np, fn)(z, axis=1, keepdims=True))
    close(getattr(jnp, fn)(jnp.asarray(z), initial=0.5j), getattr(np, fn)(z, initial=0.5j))
    close(jnp.ptp(jnp.asarray(z), axis=0), np.ptp(z, axis=0))
    with pytest.raises(ValueError, match="zero-size"):
        getattr(jnp, fn)(jnp.zeros((0, 2), C64), axis=0)


def test_complex_max_matches_jax_with_gradient(jax64: Any) -> None:
    jjnp = jax64.numpy
    z = crandn(3, 4)

    def f(np_: Any) -> Callable[[Any], Any]:
        return lambda v: np_.sum(np_.abs(np_.max(v * (1 + 1j), axis=1))) + np_.real(
            np_.sum(np_.minimum(v, v[::-1]) * (2 - 1j))) + np_.imag(np_.min(v))

    close(f(jnp)(jnp.asarray(z)), f(jjnp)(z), 1e-12, 1e-12, dtype=False)
    close(fl.grad(f(jnp))(jnp.asarray(z)), jax64.grad(f(jjnp))(z), 1e-12, 1e-12)
    close(jnp.maximum(jnp.asarray(z), 0.5 + 0j), jjnp.maximum(z, 0.5 + 0j))
    close(jnp.max(jnp.asarray(z), axis=0), jjnp.max(z, axis=0))


# --- 4. products ----------------------------------------------------------------------------------


def test_products_match_numpy_complex_and_mixed() -> None:
    A, B, v, w = crandn(3, 4), crandn(4, 2), crandn(4), crandn(4)
    R = RNG.standard_normal((4, 2))
    for a, b in ((A, B), (A, R), (A.real.copy(), B)):
        close(jnp.matmul(jnp.asarray(a), jnp.asarray(b)), a @ b)
        close(jnp.dot(jnp.asarray(a), jnp.asarray(b)), np.dot(a, b))
        close(jnp.tensordot(jnp.asarray(a), jnp.asarray(b), 1), np.tensordot(a, b, 1))
        close(jnp.einsum("ij,jk->ik", jnp.asarray(a), jnp.asarray(b)), np.einsum("ij,jk->ik", a, b))
        close(jnp.kron(jnp.asarray(a), jnp.asarray(b)), np.kron(a, b))
    close(jnp.vdot(jnp.asarray(v), jnp.asarray(w)), np.vdot(v, w))  # conjugates its first argument
    close(jnp.vdot(jnp.asarray(A), jnp.asarray(A)), np.vdot(A, A))
    close(jnp.vecdot(jnp.asarray(A), jnp.asarray(v)), np.vecdot(A, v))
    close(jnp.inner(jnp.asarray(v), jnp.asarray(w)), np.inner(v, w))
    close(jnp.outer(jnp.asarray(v), jnp.asarray(w)), np.outer(v, w))
    close(jnp.einsum("i,i->", jnp.asarray(v), jnp.asarray(w)), np.einsum("i,i->", v, w))
    close(jnp.asarray(A) @ jnp.asarray(A).conj().T, A @ A.conj().T)
    close(jnp.linalg.norm(jnp.asarray(A)), np.linalg.norm(A))
    for ord_ in (1, 2, np.inf, 3):
        close(jnp.linalg.norm(jnp.asarray(v), ord=ord_), np.linalg.norm(v, ord=ord_))
    for ord_ in ("fro", 1, np.inf):
        close(jnp.linalg.norm(jnp.asarray(A), ord=ord_), np.linalg.norm(A, ord=ord_))
    close(jnp.linalg.matrix_power(jnp.asarray(A[:, :3]), 3), np.linalg.matrix_power(A[:, :3], 3))
    a64, b64 = A.astype(C64), B.astype(C64)
    close(jnp.asarray(a64) @ jnp.asarray(b64), a64 @ b64, 1e-5, 1e-5)


@pytest.mark.parametrize("name", ["det", "inv", "solve", "slogdet", "qr", "svd", "eigh", "cholesky", "pinv",
                                  "matrix_rank", "lstsq"])
def test_decompositions_accept_complex(name: str) -> None:
    A = jnp.asarray(crandn(3, 3) + 3 * np.eye(3))
    args = (A, jnp.ones(3)) if name in ("solve", "lstsq") else (A,)
    if name in ("eigh", "cholesky"):
        args = (A @ A.conj().T,)
    for leaf in fl.tree.leaves(getattr(jnp.linalg, name)(*args)):
        assert np.isfinite(np.asarray(leaf)).all(), name


def test_matmul_gradient_matches_jax(jax64: Any) -> None:
    jjnp = jax64.numpy
    A, B, R = crandn(3, 4), crandn(4, 2), RNG.standard_normal((4, 2))

    def loss(np_: Any) -> Callable[..., Any]:
        def f(a: Any, b: Any, r: Any) -> Any:
            c = np_.matmul(a, b) + np_.dot(a, r)
            return (np_.sum(np_.abs(c) ** 2) + np_.real(np_.sum(c * np_.conj(c[::-1])))
                    + np_.imag(np_.vdot(a[0], b[:, 0])) + np_.sum(np_.abs(np_.einsum("ij,jk->ik", a, r))))
        return f

    ours = fl.grad(loss(jnp), argnums=(0, 1, 2))(jnp.asarray(A), jnp.asarray(B), jnp.asarray(R))
    theirs = jax64.grad(loss(jjnp), argnums=(0, 1, 2))(A, B, R)
    for o, t in zip(ours, theirs):
        close(o, t, 1e-11, 1e-11)
    jitted = fl.jit(fl.grad(loss(jnp), argnums=(0, 1, 2)))(jnp.asarray(A), jnp.asarray(B), jnp.asarray(R))
    for o, t in zip(jitted, theirs):
        close(o, t, 1e-11, 1e-11)


# --- 5. indexing and manipulation ----------------------------------------------------------------


@pytest.mark.parametrize("n", [5, 3000])  # the NumPy path for small inputs, the kernels for large ones
def test_gather_and_scatter(n: int) -> None:
    z = crandn(n, 3)
    a = jnp.asarray(z)[::2]
    zz = z[::2]
    idx = RNG.integers(0, zz.shape[0], 2000 if n > 10 else 4)
    close(a[idx], zz[idx])
    close(a.T[:, idx], zz.T[:, idx])
    close(a[1, ::-1], zz[1, ::-1])
    u = crandn(len(idx), 3)
    w = zz.copy()
    np.add.at(w, idx, u)
    close(a.at[idx].add(jnp.asarray(u)), w)
    w = zz.copy()
    np.multiply.at(w, idx, u)
    close(a.at[idx].multiply(jnp.asarray(u)), w)
    uniq = np.unique(idx)
    w = zz.copy()
    w[uniq] = u[: len(uniq)]
    close(a.at[uniq].set(jnp.asarray(u[: len(uniq)])), w)
    w = zz.copy()
    w[1] = 5j
    close(a.at[1].set(5j), w)
    close(a.at[1, 2].get(), zz[1, 2])
    close(a.at[10**6].get(mode="fill"), np.full(3, complex(np.nan, 0)))
    with pytest.raises(TypeError, match="no order|none"):
        a.at[0].min(1j)


def test_take_where_and_manipulation() -> None:
    z, y = crandn(2, 3), crandn(2, 3)
    a = jnp.asarray(z)
    close(jnp.take(a, jnp.array([2, 0]), axis=1), np.take(z, [2, 0], axis=1))
    ind = np.array([[2, 0, 1], [1, 1, 0]])
    close(jnp.take_along_axis(a, jnp.asarray(ind), 1), np.take_along_axis(z, ind, 1))
    cond = np.array([[True, False, True], [False, False, True]])
    close(jnp.where(jnp.asarray(cond), a, jnp.asarray(y)), np.where(cond, z, y))
    close(jnp.where(jnp.asarray(cond), a, 0), np.where(cond, z, 0))
    close(jnp.where(jnp.asarray(cond), 1j, 2.0), np.where(cond, 1j, 2.0))
    close(jnp.concatenate([a, jnp.ones((1, 3))]), np.concatenate([z, np.ones((1, 3))]))
    close(jnp.stack([a, jnp.asarray(y)]), np.stack([z, y]))
    close(jnp.split(a, 3, axis=1)[1], np.split(z, 3, axis=1)[1])
    close(jnp.reshape(a, (3, 2)), np.reshape(z, (3, 2)))
    close(jnp.transpose(a), z.T)
    close(jnp.flip(a, 1), np.flip(z, 1))
    close(jnp.roll(a, 1), np.roll(z, 1))
    close(jnp.tile(a, 2), np.tile(z, 2))
    close(jnp.repeat(a, 2, axis=0), np.repeat(z, 2, axis=0))
    close(jnp.pad(a, 1), np.pad(z, 1))
    close(jnp.pad(a, 1, constant_values=1j), np.pad(z, 1, constant_values=1j))
    close(jnp.tril(a), np.tril(z))
    close(jnp.diagonal(a), np.diagonal(z))
    close(jnp.broadcast_to(a[0], (4, 3)), np.broadcast_to(z[0], (4, 3)))
    close(jnp.nonzero(jnp.array([0j, 1j, 0, 2]))[0], np.nonzero([0j, 1j, 0, 2])[0], dtype=False)


def test_sort_argsort_unique_searchsorted_are_lexicographic() -> None:
    z = np.array([1 + 2j, 1 - 1j, complex(np.nan, 0), 3 - 1j, 1 - 1j, complex(0, np.nan), -0.5j,
                  complex(2, np.inf), -1 + 0j])
    a = jnp.asarray(z)
    np.testing.assert_array_equal(np.asarray(jnp.sort(a)), np.sort(z))
    np.testing.assert_array_equal(np.asarray(jnp.argsort(a)), np.argsort(z, kind="stable"))
    np.testing.assert_array_equal(np.asarray(jnp.sort(a, descending=True)), np.sort(z)[::-1])
    finite = z[np.isfinite(z)]
    np.testing.assert_array_equal(np.asarray(jnp.unique(jnp.asarray(finite))), np.unique(finite))
    s = np.sort(finite)
    np.testing.assert_array_equal(np.asarray(jnp.searchsorted(jnp.asarray(s), jnp.asarray(finite))),
                                  np.searchsorted(s, finite))
    m = crandn(3, 5)
    np.testing.assert_array_equal(np.asarray(jnp.sort(jnp.asarray(m), axis=0)), np.sort(m, axis=0))
    traced = fl.jit(lambda v: jnp.unique(v, size=6))(jnp.asarray(finite))
    np.testing.assert_array_equal(np.asarray(traced)[:5], np.unique(finite))


def test_sort_complex_matches_jax_dtypes() -> None:
    z = np.array([1 + 2j, 1 - 1j, -3 + 0j])
    close(jnp.sort_complex(jnp.asarray(z)), np.sort_complex(z))
    close(jnp.sort_complex(jnp.array([3.0, -1.0], dtype="float32")), np.array([-1, 3], C64))  # JAX: complex64
    close(jnp.sort_complex(jnp.array([[2, 1], [0, 5]])), np.array([[1, 2], [0, 5]], C128))


def test_argsort_descending_keeps_ties_stable() -> None:
    z = np.array([1 + 1j, 2 + 0j, 1 + 1j, 0j])
    np.testing.assert_array_equal(np.asarray(jnp.argsort(jnp.asarray(z), descending=True)), [1, 0, 2, 3])


# --- 6. random ------------------------------------------------------------------------------------


def test_random_normal_complex_statistics() -> None:
    for dt in (C64, C128):
        z = np.asarray(random.normal(random.key(3), (20000,), dt))
        assert z.dtype == dt
        assert abs(z.real.var() - 0.5) < 0.03 and abs(z.imag.var() - 0.5) < 0.03
        assert abs(np.mean(z)) < 0.03 and abs(np.corrcoef(z.real, z.imag)[0, 1]) < 0.03
    assert random.normal(random.PRNGKey(0), (2, 3), "complex64").shape == (2, 3)
    for sampler in (random.uniform, random.gumbel, random.exponential):
        with pytest.raises(ValueError, match="only random.normal draws complex"):
            sampler(random.key(0), (2,), C64)
    with pytest.raises(ValueError, match="only random.normal draws complex"):
        random.truncated_normal(random.key(0), -1.0, 1.0, (2,), C64)


def test_random_normal_complex_under_vmap_and_jit() -> None:
    keys = random.split(random.PRNGKey(0), 4)
    batched = fl.vmap(lambda k: random.normal(k, (3,), C64))(keys)
    loop = np.stack([np.asarray(random.normal(k, (3,), C64)) for k in keys])
    np.testing.assert_array_equal(np.asarray(batched), loop)
    np.testing.assert_array_equal(np.asarray(fl.jit(lambda k: random.normal(k, (3,), C128))(keys[1])),
                                  np.asarray(random.normal(keys[1], (3,), C128)))
    assert fl.vmap(lambda k: random.normal(k, (2,), C64))(random.split(random.key(0), 3)).shape == (3, 2)


def test_random_normal_complex_matches_jax(jax64: Any) -> None:
    jr = jax64.random
    for dt in ("complex64", "complex128"):
        ours = np.asarray(random.normal(random.PRNGKey(7), (500,), dt))
        theirs = np.asarray(jr.normal(jr.PRNGKey(7), (500,), dt))
        assert ours.dtype == theirs.dtype
        np.testing.assert_allclose(ours, theirs, rtol=1e-5 if dt == "complex64" else 1e-12, atol=1e-6)


# --- 7. export ------------------------------------------------------------------------------------


def test_export_round_trip_with_complex_inputs_constants_and_outputs() -> None:
    const = jnp.asarray(np.array([1 + 2j, 3 - 4j, 0.5j]))

    def f(z: Any, x: Any, s: Any) -> Any:
        w = z * const + 2j * jnp.conj(z) + x * s
        return jnp.abs(w), w.real, jnp.exp(w) @ const, jnp.sum(w * (1 - 0.5j)), jnp.full((2,), 2 - 1j)

    z = jnp.asarray(np.array([0.1 + 0.2j, -1 + 0.5j, 2j]))
    x = jnp.arange(3.0)
    data = fl.export.export(f, z, x, 1j).serialize()
    g = fl.export.load(data)
    for got, want in zip(g(z, x, 0.5j), f(z, x, 0.5j)):
        close(got, want)
    z64 = z.astype(C64)
    g32 = fl.export.load(fl.export.export(lambda v: v * (1 + 1j) - jnp.conj(v), z64).serialize())
    out = g32(z64)
    assert out.dtype == C64
    close(out, np.asarray(z64) * (1 + 1j) - np.conj(np.asarray(z64)), 1e-6, 1e-6)
    real_in = fl.export.load(fl.export.export(lambda v, s: v * s, x, 1.5).serialize())
    with pytest.raises(TypeError, match="Python complex"):
        real_in(x, 2j)


def test_save_and_load_complex_arrays(tmp_path: Any) -> None:
    z = jnp.asarray(crandn(2, 3))
    path = tmp_path / "z.fl"
    fl.serialization.save({"a": z, "b": z.astype(C64)}, path)
    back = fl.serialization.load(path)
    close(back["a"], z)
    close(back["b"], z.astype(C64))


# --- 8. autodiff, vmap and jit --------------------------------------------------------------------


def complex_fd_grad(f: Callable[[Any], Any], z: np.ndarray[Any, Any], eps: float = 1e-6) -> np.ndarray[Any, Any]:
    """``df/dx - i df/dy`` of a real-valued ``f`` by central differences (JAX's convention)."""
    out = np.zeros(z.shape, C128)
    for k in np.ndindex(z.shape):
        parts = []
        for step in (eps, 1j * eps):
            e = np.zeros(z.shape, C128)
            e[k] = step
            hi, lo = float(f(jnp.asarray(z + e))), float(f(jnp.asarray(z - e)))
            parts.append((hi - lo) / (2 * eps))
        out[k] = parts[0] - 1j * parts[1]
    return out


REAL_LOSSES: dict[str, Callable[[Any], Any]] = {
    "abs2": lambda z: jnp.sum(jnp.abs(z) ** 2),
    "real_exp": lambda z: jnp.sum(jnp.real(jnp.exp(z) * (1 - 2j))),
    "imag_log": lambda z: jnp.sum(jnp.imag(jnp.log(z + 3))),
    "angle": lambda z: jnp.sum(jnp.angle(z + 0.1j)),
    "var_mean": lambda z: jnp.var(z) + jnp.abs(jnp.mean(z)),
    "cum": lambda z: jnp.sum(jnp.abs(jnp.cumsum(z) * jnp.cumprod(z))),
    "matmul": lambda z: jnp.real(jnp.vdot(z, jnp.outer(z, jnp.conj(z)) @ z)),
    "sort_index": lambda z: jnp.sum(jnp.abs(jnp.sort(z) * jnp.arange(4.0)) + jnp.real(z.at[1].multiply(z[0]))),
    "sqrt_pow": lambda z: jnp.sum(jnp.abs(jnp.sqrt(z * z + 2) + z ** (1.5 + 0.5j))),
    "norm": lambda z: jnp.linalg.norm(z) + jnp.linalg.norm(z, ord=1),
}
Z0 = np.array([0.3 + 0.4j, -0.7 + 0.2j, 1.1 - 0.5j, 0.2 - 0.9j])


@pytest.mark.parametrize("name", sorted(REAL_LOSSES))
def test_grad_of_real_function_of_complex_matches_finite_differences(name: str) -> None:
    f = REAL_LOSSES[name]
    g = fl.grad(f)(jnp.asarray(Z0))
    assert g.dtype == C128
    close(g, complex_fd_grad(f, Z0), rtol=1e-6, atol=1e-6)


def _jax_loss(jjnp: Any, name: str) -> Callable[[Any], Any]:
    table: dict[str, Callable[[Any], Any]] = {
        "abs2": lambda z: jjnp.sum(jjnp.abs(z) ** 2),
        "real_exp": lambda z: jjnp.sum(jjnp.real(jjnp.exp(z) * (1 - 2j))),
        "imag_log": lambda z: jjnp.sum(jjnp.imag(jjnp.log(z + 3))),
        "angle": lambda z: jjnp.sum(jjnp.angle(z + 0.1j)),
        "var_mean": lambda z: jjnp.var(z) + jjnp.abs(jjnp.mean(z)),
        "cum": lambda z: jjnp.sum(jjnp.abs(jjnp.cumsum(z) * jjnp.cumprod(z))),
        "matmul": lambda z: jjnp.real(jjnp.vdot(z, jjnp.outer(z, jjnp.conj(z)) @ z)),
        "sort_index": lambda z: jjnp.sum(jjnp.abs(jjnp.sort(z) * jjnp.arange(4.0)) + jjnp.real(z.at[1].multiply(z[0]))),
        "sqrt_pow": lambda z: jjnp.sum(jjnp.abs(jjnp.sqrt(z * z + 2) + z ** (1.5 + 0.5j))),
        "norm": lambda z: jjnp.linalg.norm(z) + jjnp.linalg.norm(z, ord=1),
    }
    return table[name]


def test_grads_match_jax(jax64: Any) -> None:
    for name, f in REAL_LOSSES.items():
        ours = fl.grad(f)(jnp.asarray(Z0))
        theirs = jax64.grad(_jax_loss(jax64.numpy, name))(Z0)
        close(ours, theirs, rtol=1e-10, atol=1e-10)


def test_holomorphic_derivatives_match_jax(jax64: Any) -> None:
    jjnp = jax64.numpy

    def f(np_: Any) -> Callable[[Any], Any]:
        return lambda z: np_.sum(np_.sin(z) * z ** 2 + np_.exp(z) / (z + 2))

    def v(np_: Any) -> Callable[[Any], Any]:
        return lambda z: np_.cumprod(z) * np_.tanh(z) + np_.dot(np_.outer(z, z), z)

    z = jnp.asarray(Z0)
    close(fl.grad(f(jnp), holomorphic=True)(z), jax64.grad(f(jjnp), holomorphic=True)(Z0), 1e-11, 1e-11)
    close(fl.jacfwd(v(jnp), holomorphic=True)(z), jax64.jacfwd(v(jjnp), holomorphic=True)(Z0), 1e-11, 1e-11)
    close(fl.jacrev(v(jnp), holomorphic=True)(z), jax64.jacrev(v(jjnp), holomorphic=True)(Z0), 1e-11, 1e-11)
    # holomorphic: the derivative is df/dz (the finite difference along the real axis)
    eps = 1e-6
    e = np.zeros(4, C128)
    e[2] = eps
    fd = (float(np.real(f(np)(Z0 + e))) - float(np.real(f(np)(Z0 - e)))) / (2 * eps) + 1j * (
        float(np.imag(f(np)(Z0 + e))) - float(np.imag(f(np)(Z0 - e)))) / (2 * eps)
    assert abs(complex(fl.grad(f(jnp), holomorphic=True)(z)[2]) - fd) < 1e-6


def test_jvp_and_vjp_of_a_complex_program_agree() -> None:
    """<vjp(ct), t> == Re(sum(ct * jvp(t))) under the bilinear pairing JAX uses."""

    def prog(z: Any) -> Any:
        return jnp.exp(z) @ jnp.outer(z, jnp.conj(z)) + jnp.cumsum(jnp.sqrt(z + 2)) * jnp.abs(z)

    t, ct = crandn(4), crandn(4)
    _, tout = fl.jvp(prog, (jnp.asarray(Z0),), (jnp.asarray(t),))
    _, pull = fl.vjp(prog, jnp.asarray(Z0))
    (g,) = pull(jnp.asarray(ct))
    lhs = np.real(np.sum(np.asarray(g) * t))
    rhs = np.real(np.sum(ct * np.asarray(tout)))
    assert abs(lhs - rhs) < 1e-10 * (1 + abs(rhs))


def _program(z: Any, x: Any) -> Any:
    w = jnp.exp(z * 1j) * x + jnp.conj(z) ** 2
    return jnp.sum(w * jnp.sort(z), axis=-1), jnp.abs(w).mean(), w.at[0].add(x[0]).real, jnp.vdot(w, z)


def test_jit_equals_eager_and_vmap_equals_loop() -> None:
    Z, X = crandn(3, 4), RNG.standard_normal((3, 4))
    for z, x in zip(Z, X):
        eager = _program(jnp.asarray(z), jnp.asarray(x))
        jitted = fl.jit(_program)(jnp.asarray(z), jnp.asarray(x))
        for a, b in zip(jitted, eager):
            close(a, b, 1e-13, 1e-13)
    batched = fl.vmap(_program)(jnp.asarray(Z), jnp.asarray(X))
    loop = [_program(jnp.asarray(z), jnp.asarray(x)) for z, x in zip(Z, X)]
    for k, out in enumerate(batched):
        close(out, np.stack([np.asarray(o[k]) for o in loop]), 1e-13, 1e-13)
    gj = fl.jit(fl.vmap(fl.grad(lambda z, x: jnp.real(_program(z, x)[0]) + _program(z, x)[1])))(
        jnp.asarray(Z), jnp.asarray(X))
    for i in range(3):
        g = fl.grad(lambda z, x: jnp.real(_program(z, x)[0]) + _program(z, x)[1])(jnp.asarray(Z[i]), jnp.asarray(X[i]))
        close(gj[i], g, 1e-12, 1e-12)


def test_complex_conversion_of_traced_values() -> None:
    # concrete under grad (JAX's rule for Python conversions), an error under jit
    g = fl.grad(lambda z: jnp.abs(z) * complex(z).real)(jnp.array(1 + 1j))
    close(g, np.array((1 - 1j) / np.sqrt(2)))  # d|z|/dx - i d|z|/dy
    with pytest.raises(fl.errors.ConcretizationTypeError, match="complex\\(\\) conversion"):
        fl.jit(lambda z: complex(z))(jnp.array(1j))


def test_grad_refuses_complex_outputs_without_holomorphic() -> None:
    with pytest.raises(TypeError, match="holomorphic=True"):
        fl.grad(lambda z: jnp.sum(z * z))(jnp.asarray(Z0))
