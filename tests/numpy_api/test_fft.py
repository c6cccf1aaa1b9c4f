"""``jnp.fft`` and the ``fft`` primitive: values against ``np.fft`` for every
function over shapes (odd lengths, ``n``/``s`` smaller and larger than the
axis, negative axes, size-1 and empty edge cases), dtypes and norms; the
errors NumPy raises; gradients against finite differences (float64 and
complex128, JAX's convention ``df/dx - i df/dy`` for a complex input) and
against JAX for all four transform types, jvp against JAX; vmap against a
loop; jit against eager; the default 32-bit mode's dtypes against JAX's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import export, lax
from functorch_lite.ops.fft import fft_p
from tests._gradcheck import assert_close, numerical_grad, numerical_jvp
from tests.strategies import fl_view

FEW = settings(max_examples=20, deadline=None)
RNG = np.random.default_rng(11)
NORMS = [None, "backward", "ortho", "forward"]


def _np(x: Any) -> np.ndarray[Any, Any]:
    return np.asarray(x)


def _data(shape: tuple[int, ...], dtype: Any, rng: np.random.Generator = RNG) -> np.ndarray[Any, Any]:
    dt = np.dtype(dtype)
    if dt.kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dt)
    if dt.kind in "iu":
        return rng.integers(-5, 6, shape).astype(dt)
    if dt.kind == "b":
        return rng.random(shape) < 0.5
    return rng.standard_normal(shape).astype(dt)


def _check(got: Any, want: np.ndarray[Any, Any], what: str = "") -> None:
    g = _np(got)
    assert g.shape == want.shape, f"{what}: shape {g.shape} != NumPy's {want.shape}"
    assert g.dtype == want.dtype, f"{what}: dtype {g.dtype} != NumPy's {want.dtype}"
    single = g.dtype in (np.float32, np.complex64)
    scale = float(np.max(np.abs(want))) if want.size else 0.0
    tol = (2e-5, 2e-5 * (1 + scale)) if single else (1e-11, 1e-11 * (1 + scale))
    np.testing.assert_allclose(g, want, rtol=tol[0], atol=tol[1], err_msg=what)


# --- values against NumPy ---------------------------------------------------------------------

ONE_D = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
REAL_ONLY = {"rfft", "ihfft"}  # NumPy and JAX refuse complex input
HALF_INPUT = {"irfft", "hfft"}  # default n = 2 * (m - 1): m = 1 is an error
DTYPES = [np.float32, np.float64, np.complex64, np.complex128]
# (shape, n, axis): odd and even lengths, n cropping and padding, negative axes, size-1 axes, empty batches
CASES_1D = [
    ((8,), None, -1), ((7,), None, -1), ((3, 5), 4, -1), ((3, 5), 7, 0), ((2, 3, 4), 3, 1),
    ((2, 3, 4), None, -2), ((1,), None, -1), ((4, 1), 1, -1), ((4, 1), 3, 1), ((0, 4), None, -1),
    ((2, 6), 1, -1), ((5, 2), 6, -2),
]


def _applicable(names: list[str], real_only: set[str]) -> list[tuple[str, Any]]:
    """(function, dtype) pairs; the real-input transforms refuse complex input (tested below)."""
    return [(n, d) for n in names for d in DTYPES if not (n in real_only and np.dtype(d).kind == "c")]


@pytest.mark.parametrize(("name", "dtype"), _applicable(ONE_D, REAL_ONLY))
@pytest.mark.parametrize("norm", NORMS)
def test_one_axis_functions_match_numpy(name: str, dtype: Any, norm: str | None) -> None:
    ours, theirs = getattr(jnp.fft, name), getattr(np.fft, name)
    for shape, n, axis in CASES_1D:
        if name in HALF_INPUT and n is None and shape[axis] == 1:
            continue
        x = _data(shape, dtype)
        _check(ours(jnp.asarray(x), n=n, axis=axis, norm=norm), theirs(x, n=n, axis=axis, norm=norm),
               f"{name}{shape} n={n} axis={axis} norm={norm} {np.dtype(dtype)}")


N_D = ["fftn", "ifftn", "rfftn", "irfftn"]
# (shape, s, axes)
CASES_ND = [
    ((4, 6), None, None), ((3, 5), (4, 4), None), ((2, 3, 5), (4, 3), (0, 2)), ((2, 3, 5), None, (2, 0)),
    ((2, 3, 4), (3,), (-2,)), ((3, 4), None, (0,)), ((2, 3, 5), (2, 2, 3), None), ((3, 4, 2), (5, 1), (-1, -3)),
    ((1, 1), None, None), ((0, 3, 4), None, (1, 2)), ((2, 3, 4, 3), (2, 3, 4, 5), None),
]


def _np_nd(name: str, x: np.ndarray[Any, Any], s: Any, axes: Any, norm: Any) -> np.ndarray[Any, Any]:
    if s is not None and axes is None:  # NumPy 2 deprecates s without axes: the last len(s) axes, as JAX
        axes = tuple(range(x.ndim - len(s), x.ndim))
    out: np.ndarray[Any, Any] = getattr(np.fft, name)(x, s=s, axes=axes, norm=norm)
    return out


@pytest.mark.parametrize(("name", "dtype"), _applicable(N_D, {"rfftn"}))
@pytest.mark.parametrize("norm", NORMS)
def test_n_axis_functions_match_numpy(name: str, dtype: Any, norm: str | None) -> None:
    for shape, s, axes in CASES_ND:
        if name == "irfftn" and s is None and shape[-1 if axes is None else axes[-1]] == 1:
            continue  # the default output length 2 * (1 - 1) is an error
        x = _data(shape, dtype)
        _check(getattr(jnp.fft, name)(jnp.asarray(x), s=s, axes=axes, norm=norm), _np_nd(name, x, s, axes, norm),
               f"{name}{shape} s={s} axes={axes} norm={norm} {np.dtype(dtype)}")


@pytest.mark.parametrize("name", ["fft2", "ifft2", "rfft2", "irfft2"])
@pytest.mark.parametrize("norm", [None, "ortho"])
def test_two_axis_functions_match_numpy(name: str, norm: str | None) -> None:
    for dtype in (np.float32, np.complex128):
        if name == "rfft2" and np.dtype(dtype).kind == "c":
            continue
        for shape, s, axes in [((4, 6), None, (-2, -1)), ((2, 3, 5), (4, 4), (-2, -1)), ((3, 5, 2), (3, 3), (0, 1)),
                               ((3, 5, 2), None, (2, 0))]:
            x = _data(shape, dtype)
            ours = getattr(jnp.fft, name)(jnp.asarray(x), s=s, axes=axes, norm=norm)
            _check(ours, getattr(np.fft, name)(x, s=s, axes=axes, norm=norm), f"{name}{shape} s={s} axes={axes}")
    x = _data((3, 4), np.float64)
    _check(getattr(jnp.fft, name)(jnp.asarray(x)), getattr(np.fft, name)(x), f"{name} defaults")


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8, np.bool_])
def test_integer_and_boolean_inputs_convert_as_numpy(dtype: Any) -> None:
    x = _data((6,), dtype)
    for name in ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]:
        _check(getattr(jnp.fft, name)(jnp.asarray(x)), getattr(np.fft, name)(x), f"{name} of {np.dtype(dtype)}")
    y = _data((3, 4), dtype)
    for name in N_D:
        _check(getattr(jnp.fft, name)(jnp.asarray(y)), getattr(np.fft, name)(y), f"{name} of {np.dtype(dtype)}")


@given(data=st.data())
@FEW
def test_drawn_layouts_and_lengths_match_numpy(data: Any) -> None:
    nd = data.draw(st.integers(1, 3))
    shape = tuple(data.draw(st.lists(st.integers(1, 6), min_size=nd, max_size=nd)))
    name = data.draw(st.sampled_from(["fft", "ifft", "rfft", "irfft"]))
    dtype = data.draw(st.sampled_from([np.float64, np.complex128] if name not in REAL_ONLY else [np.float64]))
    axis = data.draw(st.integers(-nd, nd - 1))
    n = data.draw(st.none() | st.integers(1, 9))
    if name == "irfft" and n is None and shape[axis] == 1:
        n = 2
    x = _data(shape, dtype, np.random.default_rng(data.draw(st.integers(0, 2**31))))
    got = getattr(jnp.fft, name)(fl_view(data.draw, x), n=n, axis=axis)
    _check(got, getattr(np.fft, name)(x, n=n, axis=axis), f"{name}{shape} n={n} axis={axis}")


def test_zero_dimensional_and_empty_axes() -> None:
    # fftn of a 0-d array transforms nothing: the input, converted (JAX); NumPy's value
    out = jnp.fft.fftn(jnp.asarray(3.0))
    assert out.dtype == np.complex128 and complex(out) == 3.0 + 0j
    assert _np(jnp.fft.rfftn(jnp.asarray(np.float32(2.0)))).dtype == np.float32
    x = _data((2, 3), np.complex128)
    np.testing.assert_array_equal(_np(jnp.fft.fftn(jnp.asarray(x), axes=())), x)
    # empty batches transform to empty results of the right shape and dtype
    _check(jnp.fft.rfft(jnp.zeros((0, 5), jnp.float32), n=8), np.fft.rfft(np.zeros((0, 5), np.float32), n=8))
    _check(jnp.fft.irfft2(jnp.zeros((0, 2, 3), jnp.complex64)), np.fft.irfft2(np.zeros((0, 2, 3), np.complex64)))


def test_errors_where_numpy_raises() -> None:
    x = jnp.asarray(_data((3, 4), np.float64))
    z = jnp.asarray(_data((3, 4), np.complex128))
    bad: list[Callable[[], Any]] = [
        lambda: jnp.fft.fft(x, n=0), lambda: jnp.fft.fft(jnp.zeros((3, 0))), lambda: jnp.fft.irfft(z, n=-2),
        lambda: jnp.fft.irfft(jnp.ones((3, 1), jnp.complex128)), lambda: jnp.fft.fftn(x, s=(0, 3)),
        lambda: jnp.fft.irfft(jnp.ones((3, 0), jnp.complex128)), lambda: jnp.fft.irfftn(jnp.ones((2, 0)))]
    for f in bad:
        with pytest.raises(ValueError, match="invalid number of FFT data points"):
            f()
    with pytest.raises(ValueError, match="invalid norm value 'bad'"):
        jnp.fft.fft(x, norm="bad")
    with pytest.raises(ValueError, match="have different lengths"):
        jnp.fft.fftn(x, s=(2, 3), axes=(0,))
    with pytest.raises(ValueError, match="repeated axes"):
        jnp.fft.fftn(x, axes=(0, 0))
    with pytest.raises(ValueError, match="names more axes"):
        jnp.fft.fftn(x, s=(2, 2, 2))
    # out-of-bounds axes raise AxisError: NumPy's IndexError and this library's ValueError
    for f in (lambda: jnp.fft.fft(x, axis=2), lambda: jnp.fft.fft(jnp.asarray(1.0)),
              lambda: jnp.fft.rfftn(x, axes=(0, -3)), lambda: jnp.fft.fftshift(x, axes=5)):
        with pytest.raises(np.exceptions.AxisError, match="out of bounds"):
            f()
    for f in (lambda: jnp.fft.rfft(z), lambda: jnp.fft.ihfft(z), lambda: jnp.fft.rfftn(z), lambda: jnp.fft.rfft2(z)):
        with pytest.raises(TypeError, match="takes a real array, got complex128"):
            f()
    with pytest.raises(TypeError, match="requires ndarray or scalar arguments"):
        jnp.fft.fft([1.0, 2.0])
    with pytest.raises(TypeError, match="n must be an integer"):
        jnp.fft.fft(x, n=2.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="s must be a sequence of ints"):
        jnp.fft.fftn(x, s=3)  # type: ignore[arg-type]


def test_primitive_checks_its_operand() -> None:
    x = jnp.asarray(np.ones((2, 4)))
    with pytest.raises(TypeError, match=r"FFT takes a complex array, got f64\[2,4\]"):
        fft_p.bind(x, fft_type="FFT", fft_lengths=(4,))
    with pytest.raises(TypeError, match=r"RFFT takes a real floating-point array, got i32\[4\]"):
        fft_p.bind(jnp.asarray(np.arange(4, dtype=np.int32)), fft_type="RFFT", fft_lengths=(4,))
    with pytest.raises(ValueError, match=r"needs trailing axes \(3,\), got c\w*\[2,4\]"):
        fft_p.bind(x.astype(np.dtype(np.complex128)), fft_type="IRFFT", fft_lengths=(5,))
    with pytest.raises(ValueError, match="needs at least 3 axes"):
        fft_p.bind(x, fft_type="RFFT", fft_lengths=(2, 2, 4))
    with pytest.raises(ValueError, match="fft_type must be one of"):
        fft_p.bind(x, fft_type="DCT", fft_lengths=(4,))
    with pytest.raises(ValueError, match="non-empty tuple of positive ints"):
        fft_p.bind(x, fft_type="RFFT", fft_lengths=())
    # float32/complex64 stay single precision in the kernel, and are exact enough
    y = _data((3, 16), np.float32)
    out = fft_p.bind(jnp.asarray(y), fft_type="RFFT", fft_lengths=(16,))
    assert out.dtype == np.complex64
    _check(out, np.fft.rfft(y))


def test_lax_fft() -> None:
    x = _data((2, 3, 8), np.float64)
    z = x.astype(np.complex128)
    _check(lax.fft(jnp.asarray(x), lax.FftType.FFT, (3, 8)), np.fft.fftn(z, axes=(1, 2)))
    _check(lax.fft(jnp.asarray(z), "ifft", (8,)), np.fft.ifft(z))
    _check(lax.fft(jnp.asarray(x), "RFFT", (2, 3, 8)), np.fft.rfftn(x))
    r = np.fft.rfft(x)
    _check(lax.fft(jnp.asarray(r), lax.FftType.IRFFT, (8,)), np.fft.irfft(r, 8))
    assert lax.fft(jnp.asarray(x), "FFT", ()).dtype == np.complex128
    with pytest.raises(ValueError, match="RFFT takes real input"):
        lax.fft(jnp.asarray(z), "RFFT", (8,))
    with pytest.raises(ValueError, match="unknown FFT type"):
        lax.fft(jnp.asarray(z), "DFT", (8,))


# --- frequencies and shifts -------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 7, 8])
@pytest.mark.parametrize("d", [1.0, 0.25, 3])
def test_frequencies_match_numpy(n: int, d: float) -> None:
    for name in ("fftfreq", "rfftfreq"):
        got = getattr(jnp.fft, name)(n, d)
        want = getattr(np.fft, name)(n, d)
        assert got.dtype == np.float64
        np.testing.assert_allclose(_np(got), want, rtol=1e-15, atol=0, err_msg=name)
        f32 = getattr(jnp.fft, name)(n, d, dtype=jnp.float32)
        assert f32.dtype == np.float32
        np.testing.assert_allclose(_np(f32), want, rtol=1e-6, err_msg=name)
    # a traced spacing works under jit
    got = fl.jit(lambda dd: jnp.fft.fftfreq(n, dd))(jnp.asarray(d, jnp.float64))
    np.testing.assert_allclose(_np(got), np.fft.fftfreq(n, d), rtol=1e-15)


def test_frequency_errors() -> None:
    with pytest.raises(ValueError, match="n takes an int"):
        jnp.fft.fftfreq([4])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="d takes a single value"):
        jnp.fft.rfftfreq(4, [1.0])
    with pytest.raises(ValueError, match="n must be positive"):
        jnp.fft.fftfreq(0)
    with pytest.raises(ValueError, match="not available"):
        jnp.fft.fftfreq(4, device="gpu")


@pytest.mark.parametrize("shape", [(5,), (6,), (3, 4), (2, 5, 3), (1,), ()])
def test_shifts_match_numpy(shape: tuple[int, ...]) -> None:
    x = _data(shape, np.float64)
    axes_choices: list[Any] = [None] + ([0, -1, (0,)] if shape else []) + ([(1, 0)] if len(shape) > 1 else [])
    for axes in axes_choices:
        for name in ("fftshift", "ifftshift"):
            got = getattr(jnp.fft, name)(jnp.asarray(x), axes=axes)
            want = getattr(np.fft, name)(x, axes=axes) if shape else x  # NumPy fails on 0-d; JAX returns it
            np.testing.assert_array_equal(_np(got), want, err_msg=f"{name} {axes}")
        round_trip = jnp.fft.ifftshift(jnp.fft.fftshift(jnp.asarray(x), axes), axes)
        np.testing.assert_array_equal(_np(round_trip), x)


# --- gradients against finite differences -----------------------------------------------------


def _fd_grad(loss: Callable[[Any], Any], x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The finite-difference gradient of a real loss in JAX's convention:
    ``df/dx`` for real x, ``df/dre - i df/dim`` for complex x."""
    if x.dtype.kind != "c":
        return np.asarray(numerical_grad(loss, [x]))

    def parts(re: Any, im: Any) -> Any:
        return loss(re + 1j * im)

    g_re = np.asarray(numerical_grad(parts, [x.real, x.imag], 0))
    g_im = np.asarray(numerical_grad(parts, [x.real, x.imag], 1))
    return g_re - 1j * g_im


W6 = _data((3, 6), np.complex128)
LOSSES: dict[str, tuple[Callable[[Any], Any], tuple[int, ...], Any]] = {
    "abs2_fft_real": (lambda x: jnp.sum(jnp.abs(jnp.fft.fft(x)) ** 2), (3, 5), np.float64),
    "abs2_fft_complex": (lambda z: jnp.sum(jnp.abs(jnp.fft.fft(z, n=7)) ** 2), (3, 5), np.complex128),
    "real_ifft_w": (lambda z: jnp.sum(jnp.real(jnp.fft.ifft(z, n=6) * jnp.asarray(W6))), (3, 4), np.complex128),
    "irfft_cubed": (lambda z: jnp.sum(jnp.fft.irfft(z) ** 3), (2, 4), np.complex128),
    "irfft_cubed_odd_n": (lambda z: jnp.sum(jnp.fft.irfft(z, n=7, axis=0, norm="ortho") ** 3), (3, 2),
                          np.complex128),
    "abs_rfft": (lambda x: jnp.sum(jnp.abs(jnp.fft.rfft(x))), (2, 6), np.float64),
    "abs_rfft_odd_forward": (lambda x: jnp.sum(jnp.abs(jnp.fft.rfft(x, n=5, norm="forward"))), (2, 6), np.float64),
    "rfftn_irfftn": (lambda x: jnp.sum(jnp.fft.irfftn(jnp.fft.rfftn(x) ** 2, s=x.shape) * x), (3, 4), np.float64),
    "fft2_ortho_imag": (lambda z: jnp.sum(jnp.imag(jnp.fft.fft2(z, norm="ortho")) ** 2), (3, 4), np.complex128),
    "hfft": (lambda z: jnp.sum(jnp.sin(jnp.fft.hfft(z, n=5))), (3, 3), np.complex128),
    "ihfft": (lambda x: jnp.sum(jnp.abs(jnp.fft.ihfft(x, axis=0)) ** 2), (5, 2), np.float64),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_gradients_match_finite_differences(name: str) -> None:
    loss, shape, dtype = LOSSES[name]
    x = _data(shape, dtype, np.random.default_rng(3))
    got = _np(fl.grad(loss)(jnp.asarray(x)))
    assert got.dtype == x.dtype and got.shape == x.shape
    assert_close(got.real, _fd_grad(loss, x).real, rtol=1e-6, atol=1e-7, what=f"{name} (real)")
    assert_close(got.imag, _fd_grad(loss, x).imag, rtol=1e-6, atol=1e-7, what=f"{name} (imag)")


# not through jnp.abs of a complex value: its rule treats z / |z| as a constant (second derivatives 0)
@pytest.mark.parametrize("name", ["irfft_cubed", "fft2_ortho_imag", "rfftn_irfftn", "hfft"])
def test_second_derivatives_match_finite_differences(name: str) -> None:
    loss, shape, dtype = LOSSES[name]
    x = _data(shape, dtype, np.random.default_rng(4))
    v = _data(shape, dtype, np.random.default_rng(5))
    g = fl.grad(loss)

    def g_parts(*xs: Any) -> Any:  # the gradient as a real function of real arguments (a complex x as two)
        out = g(xs[0] + 1j * xs[1] if len(xs) == 2 else xs[0])
        return jnp.stack([jnp.real(out), jnp.imag(out)])

    xs = [x.real, x.imag] if dtype == np.complex128 else [x]
    vs = [v.real, v.imag] if dtype == np.complex128 else [v]
    _, t = fl.jvp(g_parts, tuple(jnp.asarray(a) for a in xs), tuple(jnp.asarray(a) for a in vs))
    assert_close(_np(t), numerical_jvp(g_parts, xs, vs), rtol=1e-6, atol=1e-6, what=name)


# --- against JAX ------------------------------------------------------------------------------




# one loss per transform type and shape path: (fn of a module, input shape, dtype)
JAX_CASES: dict[str, tuple[Callable[[Any, Any], Any], tuple[int, ...], Any]] = {
    "FFT": (lambda m, z: m.sum(m.abs(m.fft.fftn(z, s=(3, 6), axes=(0, 1))) ** 3), (2, 5), np.complex128),
    "FFT_real_in": (lambda m, x: m.sum(m.real(m.fft.fft(x, axis=0)) * m.arange(2.0)[:, None]), (2, 3), np.float64),
    "IFFT": (lambda m, z: m.sum(m.imag(m.fft.ifft2(z, norm="ortho")) ** 2), (3, 4), np.complex128),
    "RFFT": (lambda m, x: m.sum(m.abs(m.fft.rfft(x, n=7)) ** 3), (2, 6), np.float64),
    "RFFT_nd": (lambda m, x: m.sum(m.real(m.fft.rfftn(x)) * m.imag(m.fft.rfftn(x))), (3, 4, 6), np.float64),
    "IRFFT": (lambda m, z: m.sum(m.fft.irfft(z) ** 3), (2, 5), np.complex128),
    "IRFFT_odd_nd": (lambda m, z: m.sum(m.fft.irfftn(z, s=(3, 5)) ** 3), (3, 3), np.complex128),
    "IRFFT_forward": (lambda m, z: m.sum(m.cos(m.fft.irfft(z, n=6, norm="forward"))), (4,), np.complex128),
}


@pytest.mark.parametrize("name", sorted(JAX_CASES))
def test_gradients_and_jvps_match_jax(name: str, jax64: Any) -> None:
    import jax.numpy as jjnp

    f, shape, dtype = JAX_CASES[name]
    x = _data(shape, dtype, np.random.default_rng(8))
    t = _data(shape, dtype, np.random.default_rng(9))
    got = _np(fl.grad(lambda a: f(jnp, a))(jnp.asarray(x)))
    want = np.asarray(jax64.grad(lambda a: f(jjnp, a))(jjnp.asarray(x)))
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10, err_msg=f"{name}: grad")

    def inner(m: Any) -> Callable[[Any], Any]:  # an array-valued function: the transform alone
        return lambda a: m.fft.irfft(a) if "IRFFT" in name else (
            m.fft.rfft(a) if "RFFT" in name else m.fft.fft(a))

    _, jt = fl.jvp(inner(jnp), (jnp.asarray(x),), (jnp.asarray(t),))
    _, jt_want = jax64.jvp(inner(jjnp), (jjnp.asarray(x),), (jjnp.asarray(t),))
    np.testing.assert_allclose(_np(jt), np.asarray(jt_want), rtol=1e-9, atol=1e-10, err_msg=f"{name}: jvp")
    # and the vjp of the complex-valued transform (cotangent conventions, no loss in between)
    ct_like = np.asarray(inner(jjnp)(jjnp.asarray(x)))
    ct = _data(ct_like.shape, ct_like.dtype, np.random.default_rng(10))
    _, pull = fl.vjp(inner(jnp), jnp.asarray(x))
    _, jpull = jax64.vjp(inner(jjnp), jjnp.asarray(x))
    np.testing.assert_allclose(_np(pull(jnp.asarray(ct))[0]), np.asarray(jpull(jjnp.asarray(ct))[0]), rtol=1e-9,
                               atol=1e-10, err_msg=f"{name}: vjp")


@pytest.mark.usefixtures("x64_off")
def test_default_mode_dtypes_match_jax(jax32: Any) -> None:
    import jax.numpy as jjnp

    for dt in (np.int32, np.bool_, np.float32, np.complex64, np.uint8):
        x = _data((4, 6), dt)
        for name in ONE_D + N_D + ["fft2", "ifft2", "rfft2", "irfft2"]:
            if dt == np.complex64 and name in REAL_ONLY | {"rfftn", "rfft2"}:
                continue
            got = getattr(jnp.fft, name)(jnp.asarray(x))
            want = getattr(jjnp.fft, name)(jjnp.asarray(x))
            assert got.dtype == want.dtype, f"{name} of {np.dtype(dt)}: {got.dtype} != JAX's {want.dtype}"
            assert got.shape == want.shape
    for name in ("fftfreq", "rfftfreq"):
        assert getattr(jnp.fft, name)(5).dtype == getattr(jjnp.fft, name)(5).dtype


# --- modes: vmap against a loop, jit against eager ----------------------------------------------

MODE_FNS: dict[str, Callable[[Any], Any]] = {
    "fft": lambda z: jnp.fft.fft(z, n=6),
    "ifftn": lambda z: jnp.fft.ifftn(z, axes=(0, -1), norm="ortho"),
    "rfft": lambda x: jnp.fft.rfft(jnp.real(x), axis=0),
    "irfft2": lambda z: jnp.fft.irfft2(z, s=(3, 5)),
    "hfft": lambda z: jnp.fft.hfft(z, n=5, norm="forward"),
    "fftshift": lambda z: jnp.fft.fftshift(jnp.fft.fft2(z)),
}


@pytest.mark.parametrize("name", sorted(MODE_FNS))
@given(data=st.data())
@settings(max_examples=15, deadline=None)
def test_vmap_matches_loop(name: str, data: Any) -> None:
    f = MODE_FNS[name]
    b = data.draw(st.integers(1, 3))
    shape = (data.draw(st.integers(1, 4)), data.draw(st.integers(2, 5)))
    axis = data.draw(st.sampled_from([0, 1, 2, -1]))
    xs = _data((b,) + shape, np.complex128, np.random.default_rng(data.draw(st.integers(0, 2**31))))
    stacked = np.moveaxis(xs, 0, axis)
    got = fl.vmap(f, in_axes=axis)(fl_view(data.draw, stacked))
    want = np.stack([_np(f(jnp.asarray(x))) for x in xs])
    np.testing.assert_allclose(_np(got), want, rtol=1e-12, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("name", sorted(MODE_FNS))
def test_jit_matches_eager(name: str) -> None:
    f = MODE_FNS[name]
    for shape in [(3, 4), (2, 7)]:
        z = jnp.asarray(_data(shape, np.complex128))
        np.testing.assert_allclose(_np(fl.jit(f)(z)), _np(f(z)), rtol=1e-13, atol=1e-13, err_msg=name)


def test_grad_under_jit_and_vmap() -> None:
    loss = LOSSES["irfft_cubed"][0]
    zs = _data((3, 2, 4), np.complex128)
    per = np.stack([_np(fl.grad(loss)(jnp.asarray(z))) for z in zs])
    np.testing.assert_allclose(_np(fl.jit(fl.vmap(fl.grad(loss)))(jnp.asarray(zs))), per, rtol=1e-12, atol=1e-12)
    # a jitted transform is one fft equation (no fusion row: jit runs the kernel)
    prog = fl.make_ir(lambda x: jnp.fft.rfft(x))(jnp.ones(8))
    assert [e.prim.name for e in prog.eqns] == ["fft"]


def test_export_round_trip() -> None:
    def f(x: Any) -> Any:
        return jnp.abs(jnp.fft.rfft(x, n=6)) + jnp.fft.irfft(jnp.fft.fft(x)[..., :3], n=4)[..., :1]

    x = _data((2, 5), np.float64)
    loaded = export.load(export.export(f, jnp.asarray(x)).serialize())
    np.testing.assert_allclose(_np(loaded(jnp.asarray(x))), _np(f(jnp.asarray(x))), rtol=1e-14, atol=1e-14)
