"""Silent wrong answers, found by fuzzing and by hand, each pinned against NumPy
(or JAX where JAX defines the behaviour and NumPy's would be float64/float16).

- regressions: ``diag``/``tril``/``triu`` (negative offsets, dtypes kept),
  ``fmod`` with huge/infinite divisors, signed zeros through scalar caches and
  fused ``maximum``/``minimum``, integer ``round`` with negative decimals,
  ``nonzero(size=...)`` (validated, and traceable), result dtypes of
  ``heaviside``/``rint``/``square``/``round``, ``signbit(-nan)``;
- a sweep of every elementwise function of ``functorch_lite.numpy`` over the
  special values of every supported dtype (+-0, +-inf, +-nan, huge, tiny,
  denormals, integer extremes), eagerly and under ``jit``, against NumPy.
  Documented departures from NumPy are listed with their reason.

jit sweeps bundle every function of one arity into one traced program per
dtype, so the fused kernels compile a few times, not once per function.
"""

from __future__ import annotations

import itertools
import threading
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import dtypes
from functorch_lite.core import ShapedArray
from functorch_lite.numpy import _elementwise
from functorch_lite.numpy._util import from_numpy
from functorch_lite.ops import _rules

F32, F64 = np.dtype(np.float32), np.dtype(np.float64)


def _exact(v: Any) -> Any:
    """An Array of ``v``'s own dtype in either 64-bit mode."""
    a = np.asarray(v)
    return from_numpy(a, a.dtype)


def _np(x: Any) -> np.ndarray[Any, Any]:
    return np.asarray(x)


def assert_same(got: Any, want: Any, *, exact: bool = True, what: str = "", zero_sign: bool = True) -> None:
    """Equal dtype, shape and values; nan where NumPy has nan; zeros with
    NumPy's sign (unless ``zero_sign=False``).  ``exact=False`` allows a few
    ulps (fused polynomial transcendentals) on finite nonzero results, never
    on inf/nan/zero."""
    g, w = _np(got), _np(want)
    assert g.dtype == w.dtype, f"{what}: dtype {g.dtype}, NumPy {w.dtype}"
    assert g.shape == w.shape, f"{what}: shape {g.shape}, NumPy {w.shape}"
    if w.dtype.kind == "c":  # each part as a float (NaN and the sign of zero per part)
        assert_same(g.real, w.real, exact=exact, what=f"{what} (real part)", zero_sign=zero_sign)
        assert_same(g.imag, w.imag, exact=exact, what=f"{what} (imaginary part)", zero_sign=zero_sign)
        return
    if w.dtype.kind != "f":
        np.testing.assert_array_equal(g, w, err_msg=what)
        return
    gn, wn = np.isnan(g), np.isnan(w)
    bad = gn != wn
    fin = ~gn & ~wn
    with np.errstate(all="ignore"):
        if exact:
            bad |= fin & (g != w)
        else:
            info = np.finfo(w.dtype)
            tol = 8 * np.spacing(np.abs(w)) + 2 * info.eps * np.abs(w) + info.tiny
            bad |= fin & (g != w) & ~(np.isfinite(g) & np.isfinite(w) & (np.abs(g - w) <= tol))
    if zero_sign:
        bad |= fin & (g == 0) & (w == 0) & (np.signbit(g) != np.signbit(w))
    if bad.any():
        i = np.nonzero(bad.reshape(-1))[0][:8]
        raise AssertionError(f"{what}: {bad.sum()} mismatches, got {g.reshape(-1)[i]}, NumPy {w.reshape(-1)[i]}")


# --- diag / tril / triu -------------------------------------------------------------------------


@pytest.mark.parametrize("dt", [np.float32, np.int32, np.bool_])
def test_diag_negative_offsets_match_numpy(dt: Any) -> None:
    v = np.array([1, 0, 3], dt)
    m = np.arange(12).reshape(3, 4).astype(dt)
    for k in range(-4, 5):
        for src in (v, m):
            want = np.diag(src, k)
            assert_same(jnp.diag(jnp.asarray(src), k), want, what=f"diag {src.shape} k={k}")
    # traced: the offset is static, the values are not
    for k in (-2, 1):
        assert_same(fl.jit(lambda x: jnp.diag(x, k))(jnp.asarray(v)), np.diag(v, k), what=f"jit diag k={k}")


@pytest.mark.parametrize("dt", dtypes.SUPPORTED)
def test_tril_triu_diag_keep_every_dtype(dt: Any) -> None:
    m = (np.arange(12).reshape(3, 4) % 3).astype(dt)
    for k in (-1, 0, 2):
        assert_same(jnp.tril(jnp.asarray(m), k), np.tril(m, k), what=f"tril {dt} k={k}")
        assert_same(jnp.triu(jnp.asarray(m), k), np.triu(m, k), what=f"triu {dt} k={k}")
        assert_same(jnp.diag(jnp.asarray(m[0]), k), np.diag(m[0], k), what=f"diag {dt} k={k}")


def test_tril_triu_keep_bool_under_jit() -> None:
    m = np.arange(12).reshape(3, 4) % 2 == 0
    got = fl.jit(lambda x: (jnp.tril(x, -1), jnp.triu(x, 1)))(jnp.asarray(m))
    assert_same(got[0], np.tril(m, -1), what="jit tril")
    assert_same(got[1], np.triu(m, 1), what="jit triu")


def test_diag_rejects_a_float_offset() -> None:
    with pytest.raises(TypeError, match="offset k must be an integer"):
        jnp.diag(jnp.arange(3), 1.0)


# --- fmod ---------------------------------------------------------------------------------------


def _fmod_grid(dt: Any) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    big = np.finfo(dt).max
    vals = np.array([0.0, -0.0, 5.0, -5.0, 7.5, -2.25, 1e-30, 3e38, np.inf, -np.inf, np.nan, big, -big,
                     np.finfo(dt).smallest_subnormal, 1e300 if dt == np.float64 else 1e30], dt)
    a, b = (np.array(t, dt) for t in zip(*itertools.product(vals, vals)))
    return a, b


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_fmod_matches_numpy_for_every_divisor(dt: Any) -> None:
    a, b = _fmod_grid(dt)
    with np.errstate(all="ignore"):
        want = np.fmod(a, b)
    assert_same(jnp.fmod(jnp.asarray(a), jnp.asarray(b)), want, what=f"fmod {np.dtype(dt)}")
    assert_same(fl.jit(jnp.fmod)(jnp.asarray(a), jnp.asarray(b)), want, what=f"jit fmod {np.dtype(dt)}")


def test_fmod_examples_and_ints() -> None:
    assert float(jnp.fmod(5.0, jnp.inf)) == 5.0
    assert float(jnp.fmod(jnp.asarray(np.float64(-5.0)), 1e300)) == -5.0
    assert np.signbit(_np(jnp.fmod(jnp.asarray(np.float32(-4.0)), 2.0)))
    for dt in (np.int8, np.int32, np.int64, np.uint8):
        info = np.iinfo(dt)
        v = np.array(sorted({0, 1, 2, 3, 7, info.max, info.min, info.max - 1, max(info.min, -7)}), dt)
        a, b = (np.array(t, dt) for t in zip(*itertools.product(v, v)))
        with np.errstate(all="ignore"):
            want = np.fmod(a, b)
        assert_same(jnp.fmod(jnp.asarray(a), jnp.asarray(b)), want, what=f"fmod {np.dtype(dt)}")


def test_fmod_gradients() -> None:
    # d/dx fmod(x, y) = 1, d/dy = -trunc(x / y), also at x == 0
    x = np.array([0.0, -0.0, 7.5, -7.5, 1.0], np.float64)
    y = np.array([2.0, 2.0, -2.0, 2.0, 1e300], np.float64)
    gx, gy = fl.grad(lambda a, b: jnp.sum(jnp.fmod(a, b)), argnums=(0, 1))(jnp.asarray(x), jnp.asarray(y))
    np.testing.assert_array_equal(_np(gx), np.ones_like(x))
    np.testing.assert_array_equal(_np(gy), -np.trunc(x / y))


# --- signed zero --------------------------------------------------------------------------------


def test_full_aval_cache_tells_signed_zeros_and_types_apart() -> None:
    aval = ShapedArray((3,), F32)
    for first, second in ((0.0, -0.0), (-0.0, 0.0)):
        _rules._FULL_CACHE.clear()
        _rules.full_aval(aval, first)
        got = _np(_rules.full_aval(aval, second))
        assert (np.signbit(got) == np.signbit(np.float32(second))).all()
    ai = ShapedArray((), np.dtype(np.int32))
    assert _rules.full_aval(ai, 1).dtype == np.int32
    assert _rules.scalar_key(1) != _rules.scalar_key(1.0) != _rules.scalar_key(True)
    nan_neg = _np(_rules.full_aval(aval, -float("nan")))
    assert np.isnan(nan_neg).all() and np.signbit(nan_neg).all()


def test_full_aval_cache_is_thread_safe_and_bounded() -> None:
    aval = ShapedArray((2,), F64)
    errors: list[str] = []

    def work(t: int) -> None:
        for i in range(3000):
            v = float((t * 3000 + i) % 4500) * (-1.0 if i % 2 else 1.0)
            got = _np(_rules.full_aval(aval, v))
            if not (got == v).all() or np.signbit(got[0]) != np.signbit(v):
                errors.append(f"{v} -> {got}")

    threads = [threading.Thread(target=work, args=(t,)) for t in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors[:5]
    assert len(_rules._FULL_CACHE) <= _rules._FULL_CACHE_MAX


def test_asarray_keeps_the_sign_of_zero() -> None:
    jnp.asarray(0.0)
    assert np.signbit(_np(jnp.asarray(-0.0)))
    jnp.asarray(-0.0)
    assert not np.signbit(_np(jnp.asarray(0.0)))


def test_maximum_with_a_python_zero_matches_numpy_whatever_came_first() -> None:
    x = np.array([-0.0, 0.0, -1.0, 2.0], np.float32)
    for zero in (-0.0, 0.0, -0.0):
        for f, nf in ((jnp.maximum, np.maximum), (jnp.minimum, np.minimum)):
            assert_same(f(jnp.asarray(x), zero), nf(x, np.float32(zero)), what=f"{f.__name__}(x, {zero})")
            assert_same(jnp.add(jnp.asarray(x), zero), np.add(x, np.float32(zero)), what=f"add(x, {zero})")


def test_jit_keeps_signed_zero_constants_apart() -> None:
    x = np.array([-0.0, 0.0], np.float32)
    pos, neg = jnp.asarray(np.float32(0.0)), jnp.asarray(np.float32(-0.0))
    got = fl.jit(lambda v: (jnp.maximum(v, pos), jnp.maximum(v, neg)))(jnp.asarray(x))
    assert_same(got[0], np.maximum(x, np.float32(0.0)), what="max(x, 0.0)")
    assert_same(got[1], np.maximum(x, np.float32(-0.0)), what="max(x, -0.0)")


def test_jit_keeps_the_sign_of_a_nan_constant() -> None:
    x = np.array([1.0, 2.0], np.float32)
    neg_nan = jnp.asarray(np.float32(-np.nan))
    got = fl.jit(lambda v: jnp.signbit(jnp.maximum(v * 2.0, neg_nan)))(jnp.asarray(x))
    assert_same(got, np.signbit(np.maximum(x * 2, np.float32(-np.nan))), what="signbit(max(x, -nan))")


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_fused_maximum_minimum_break_ties_as_numpy(dt: Any) -> None:
    # NumPy returns the second operand on a tie, which decides the sign of a zero result
    a = np.array([0.0, -0.0, 0.0, -0.0, np.nan, 1.0, -np.nan], dt)
    b = np.array([-0.0, 0.0, 0.0, -0.0, 1.0, np.nan, np.nan], dt)
    got = fl.jit(lambda x, y: (jnp.maximum(x, y), jnp.minimum(x, y)))(jnp.asarray(a), jnp.asarray(b))
    for g, f, nf in zip(got, (jnp.maximum, jnp.minimum), (np.maximum, np.minimum)):
        assert_same(g, nf(a, b), what=f"jit {nf.__name__}")
        assert_same(f(jnp.asarray(a), jnp.asarray(b)), nf(a, b), what=nf.__name__)


# --- round --------------------------------------------------------------------------------------


def _round_int_exact(v: int, d: int, dt: Any) -> int:
    """Round half to even to a multiple of 10**d in exact integers, wrapped to dt."""
    f = 10**d
    q, r = divmod(v, f)
    if 2 * r > f or (2 * r == f and q % 2):
        q += 1
    bits = 8 * np.dtype(dt).itemsize
    out = q * f
    if np.dtype(dt).kind == "u":
        return out % 2**bits
    return (out + 2 ** (bits - 1)) % 2**bits - 2 ** (bits - 1)


def _int_samples(dt: Any) -> np.ndarray[Any, Any]:
    info = np.iinfo(dt)
    if info.bits <= 8:
        return np.arange(info.min, info.max + 1).astype(dt)
    rng = np.random.default_rng(0)
    near = [info.min + i for i in range(12)] + [info.max - i for i in range(12)]
    ties = [s * (k * 10**e + 5 * 10 ** (e - 1)) for e in range(1, 6) for k in range(4) for s in (1, -1)]
    picks = rng.integers(info.min, info.max, 200, endpoint=True).tolist()
    vals = [v for v in near + ties + picks + [0, 15, 25, -15, 250, 5, -5] if info.min <= v <= info.max]
    return np.array(vals, dt)


@pytest.mark.parametrize("dt", [np.int8, np.uint8, np.int16, np.int32, np.int64])
def test_round_integers_with_negative_decimals(dt: Any) -> None:
    x = _int_samples(dt)
    info = np.iinfo(dt)
    for d in (1, 2, 3, 5, 9, 18, 19, 20, 40, 10**9):
        want = np.array([_round_int_exact(int(v), min(d, 40), dt) for v in x], dt)
        got = jnp.round(jnp.asarray(x), -d)
        assert_same(got, want, what=f"round({np.dtype(dt)}, {-d})")
        if info.bits <= 32 and d <= 40:  # NumPy's own 10**d loop takes minutes for d = 10**9
            # NumPy (through float64, exact here) agrees wherever the result fits
            exact = np.array([_round_int_exact(int(v), d, np.int64) for v in x])
            fits = (exact >= info.min) & (exact <= info.max)
            with np.errstate(all="ignore"):
                npr = np.round(x, -d)
            np.testing.assert_array_equal(_np(got)[fits], npr[fits], err_msg=f"round {np.dtype(dt)} {-d}")


def test_round_integer_examples_and_jit() -> None:
    assert jnp.round(jnp.array([15, 25, -15, 250]), -1).tolist() == [20, 20, -20, 250]
    i8 = jnp.asarray(np.array([127, 123, -128, -125, 125, 115], np.int8))
    assert jnp.round(i8, -1).tolist() == np.round(_np(i8), -1).tolist()
    x = _int_samples(np.int32)
    for d in (1, 4):
        got = fl.jit(lambda v: jnp.round(v, -d))(jnp.asarray(x))
        assert_same(got, np.array([_round_int_exact(int(v), d, np.int32) for v in x], np.int32),
                    what=f"jit round int32 {-d}")
    assert jnp.round(jnp.arange(3, dtype="int32"), 2).dtype == np.int32  # integers keep their dtype
    with pytest.raises(TypeError, match="decimals must be an integer"):
        jnp.round(jnp.arange(3), 1.5)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_round_floats_match_numpy(dt: Any) -> None:
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(0, 1000, 300), np.arange(-30, 30) * 0.5 + 0.25, np.arange(-30, 30) * 5.0,
                        [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -1e-30]]).astype(dt)
    for d in (-3, -1, 0, 1, 2, 5):
        with np.errstate(all="ignore"):
            want = np.round(x, d)
        assert_same(jnp.round(jnp.asarray(x), d), want, what=f"round({np.dtype(dt)}, {d})")
    assert_same(fl.jit(lambda v: jnp.round(v, 2))(jnp.asarray(x)), np.round(x, 2), what="jit round")


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_round_floats_never_turn_finite_values_into_inf_or_nan(dt: Any) -> None:
    # NumPy and JAX give inf/nan here (x * 10**d overflows); rounding far right of the
    # last digit is the identity, far left of the first it is a signed zero
    big = np.finfo(dt).max
    x = np.array([big, -big, 1.5, -2.5, 0.0, -0.0, np.inf, np.nan], dt)
    for d in (10, 400, 10**9):
        got = _np(jnp.round(jnp.asarray(x), d))
        np.testing.assert_array_equal(got[:2], x[:2])
        assert_same(got[2:], np.round(x[2:].astype(np.float64), min(d, 300)).astype(dt), what=f"d={d}")
    for d in (-400, -(10**9)):
        got = _np(jnp.round(jnp.asarray(x), d))
        assert_same(got, np.array([0.0, -0.0, 0.0, -0.0, 0.0, -0.0, np.inf, np.nan], dt), what=f"d={d}")


def test_result_dtypes_of_rounding_and_step_functions() -> None:
    b = jnp.asarray(np.array([True, False]))
    i8 = jnp.asarray(np.array([-1, 0, 3], np.int8))
    i32 = jnp.asarray(np.array([-1, 0, 3], np.int32))
    # NumPy: square(bool) -> int8; round/floor of ints keep the int dtype
    assert jnp.square(b).dtype == np.square(_np(b)).dtype == np.int8
    assert jnp.square(b).tolist() == [1, 0]
    for x in (i8, i32):
        assert jnp.round(x).dtype == np.round(_np(x)).dtype
        assert jnp.floor(x).dtype == np.floor(_np(x)).dtype
    # where NumPy gives float64 (or float16), the default float, as JAX
    for x in (b, i8, i32):
        assert jnp.rint(x).dtype == dtypes.default_float
        assert jnp.heaviside(x, x).dtype == dtypes.default_float
        np.testing.assert_array_equal(_np(jnp.rint(x)), np.rint(_np(x).astype(np.float32)))
        np.testing.assert_array_equal(_np(jnp.heaviside(x, 0.5)), np.heaviside(_np(x).astype(np.float32), 0.5))
    assert jnp.round(b).dtype == dtypes.default_float
    for dt in (np.float32, np.float64):
        x = jnp.asarray(np.array([-1.5, 0.5], dt))
        for f in (jnp.round, jnp.rint, jnp.square, lambda v: jnp.heaviside(v, 0.5)):
            assert f(x).dtype == dt


# --- nonzero ------------------------------------------------------------------------------------


def test_nonzero_rejects_a_negative_or_non_integer_size() -> None:
    x = jnp.asarray(np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="size must be non-negative"):
        jnp.nonzero(x, size=-1)
    with pytest.raises(TypeError, match="size must be"):
        jnp.nonzero(x, size=2.0)
    with pytest.raises(ValueError, match="fill_value"):
        jnp.nonzero(x, fill_value=1)
    with pytest.raises(ValueError, match="one per axis"):
        jnp.nonzero(x, size=2, fill_value=(1, 2))
    with pytest.raises(ValueError, match="0-d"):
        jnp.nonzero(jnp.asarray(1.0))


def _nonzero_ref(x: np.ndarray[Any, Any], size: int, fill: Any) -> list[np.ndarray[Any, Any]]:
    fills = fill if isinstance(fill, tuple) else (fill,) * x.ndim
    out = []
    for r, f in zip(np.nonzero(x), fills):
        out.append(np.concatenate([r[:size], np.full(max(0, size - len(r)), f)]).astype(np.int32))
    return out


def test_nonzero_with_size_eager_jit_and_vmap() -> None:
    x = np.array([[0.0, -0.0, np.nan, 2.0], [0.0, 3.0, 0.0, -1.0], [0.0, 0.0, 0.0, 0.0]], np.float32)
    for size, fill in ((0, 0), (2, 0), (4, 0), (7, -1), (7, (5, -2))):
        want = _nonzero_ref(x, size, fill)
        got_e = jnp.nonzero(jnp.asarray(x), size=size, fill_value=fill)
        got_j = fl.jit(lambda v: jnp.nonzero(v, size=size, fill_value=fill))(jnp.asarray(x))
        for ge, gj, w in zip(got_e, got_j, want):
            assert_same(ge, w, what=f"nonzero size={size}")
            assert_same(gj, w, what=f"jit nonzero size={size}")
    got_v = fl.vmap(lambda row: jnp.nonzero(row, size=3, fill_value=9)[0])(jnp.asarray(x))
    assert_same(got_v, np.stack([_nonzero_ref(r, 3, 9)[0] for r in x]), what="vmap nonzero")
    assert_same(fl.jit(lambda v: jnp.nonzero(v > 0, size=2)[0])(jnp.asarray(np.array([0, 1, 1]))),
                np.array([1, 2], np.int32), what="jit nonzero of a mask")


# --- signbit ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_signbit_of_negative_nan_and_zero(dt: Any) -> None:
    x = np.array([-np.nan, np.nan, -0.0, 0.0, -np.inf, np.inf, -1e-45, 1.0], dt)
    want = np.signbit(x)
    assert want[0] and not want[1]
    assert_same(jnp.signbit(jnp.asarray(x)), want, what="signbit")
    assert_same(fl.jit(jnp.signbit)(jnp.asarray(x)), want, what="jit signbit")
    y = np.ones_like(x)
    assert_same(jnp.copysign(jnp.asarray(y), jnp.asarray(x)), np.copysign(y, x), what="copysign")
    assert_same(fl.jit(jnp.copysign)(jnp.asarray(y), jnp.asarray(x)), np.copysign(y, x), what="jit copysign")


# --- the special-value sweep ---------------------------------------------------------------------


def special_values(dt: np.dtype[Any]) -> np.ndarray[Any, Any]:
    """One small array holding every special value of ``dt``; for complex
    dtypes every combination of special real and imaginary parts."""
    if dt.kind == "c":
        part = dtypes.real_dtype(dt)
        big = 1e30 if part == F32 else 1e300
        vals = np.array([0.0, -0.0, 1.0, -1.0, 0.5, -2.5, np.inf, -np.inf, np.nan, big, -big], part)
        re, im = (np.array(t, part) for t in zip(*itertools.product(vals, vals)))
        z = np.empty(re.shape, dt)
        z.real, z.imag = re, im  # exact parts (re + 1j * im would compute, and lose -0.0)
        return z
    if dt.kind == "b":
        return np.array([False, True])
    if dt.kind == "f":
        fi = np.finfo(dt)
        return np.array([0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5, 3.0, 7.0, -7.0, np.inf, -np.inf,
                         np.nan, -np.nan, fi.max, fi.min, fi.tiny, -fi.tiny, fi.smallest_subnormal,
                         -fi.smallest_subnormal, 1e30 if dt == F32 else 1e300], dt)
    ii = np.iinfo(dt)
    cand = [0, 1, -1, 2, -2, 3, 7, -7, 15, -15, 25, 127, ii.max, ii.min, ii.max - 1, ii.min + 1]
    return np.array([v for v in cand if ii.min <= v <= ii.max], dt)


# name -> NumPy reference; "float" functions compute integer/boolean inputs in the
# default float (JAX), where NumPy picks float16/32/64 by width
UNARY_EXACT: dict[str, Any] = {
    "negative": np.negative, "positive": np.positive, "abs": np.abs, "absolute": np.abs, "sign": np.sign,
    "floor": np.floor, "ceil": np.ceil, "trunc": np.trunc, "fix": np.fix, "round": np.round,
    "around": np.round, "rint": np.rint, "square": np.square, "isnan": np.isnan, "isinf": np.isinf,
    "isfinite": np.isfinite, "isposinf": np.isposinf, "isneginf": np.isneginf,
    "logical_not": np.logical_not, "bitwise_not": np.bitwise_not, "invert": np.invert,
    "bitwise_invert": np.bitwise_invert, "signbit": np.signbit, "nan_to_num": np.nan_to_num,
}
UNARY_FLOAT: dict[str, Any] = {
    "exp": np.exp, "exp2": np.exp2, "expm1": np.expm1, "log": np.log, "log1p": np.log1p, "log2": np.log2,
    "log10": np.log10, "sqrt": np.sqrt, "cbrt": np.cbrt, "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "arcsin": np.arcsin, "asin": np.arcsin, "arccos": np.arccos, "acos": np.arccos, "arctan": np.arctan,
    "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "arcsinh": np.arcsinh,
    "asinh": np.arcsinh, "arccosh": np.arccosh, "acosh": np.arccosh, "arctanh": np.arctanh,
    "atanh": np.arctanh, "deg2rad": np.deg2rad, "radians": np.radians, "rad2deg": np.rad2deg,
    "degrees": np.degrees, "reciprocal": np.reciprocal, "sinc": np.sinc,
}
BINARY_EXACT: dict[str, Any] = {
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply, "floor_divide": np.floor_divide,
    "remainder": np.remainder, "mod": np.mod, "fmod": np.fmod, "maximum": np.maximum,
    "minimum": np.minimum, "fmax": np.fmax, "fmin": np.fmin, "equal": np.equal, "not_equal": np.not_equal,
    "less": np.less, "less_equal": np.less_equal, "greater": np.greater, "greater_equal": np.greater_equal,
    "logical_and": np.logical_and, "logical_or": np.logical_or, "logical_xor": np.logical_xor,
    "bitwise_and": np.bitwise_and, "bitwise_or": np.bitwise_or, "bitwise_xor": np.bitwise_xor,
    "left_shift": np.left_shift, "right_shift": np.right_shift, "bitwise_left_shift": np.left_shift,
    "bitwise_right_shift": np.right_shift, "divmod": np.divmod, "isclose": np.isclose,
}
BINARY_FLOAT_EXACT: dict[str, Any] = {
    "divide": np.divide, "true_divide": np.true_divide, "copysign": np.copysign, "heaviside": np.heaviside,
    "nextafter": np.nextafter,
}
BINARY_INEXACT: dict[str, Any] = {
    "power": np.power, "pow": np.power, "float_power": np.float_power,
}
BINARY_FLOAT_INEXACT: dict[str, Any] = {
    "arctan2": np.arctan2, "atan2": np.arctan2, "hypot": np.hypot, "logaddexp": np.logaddexp,
    "logaddexp2": np.logaddexp2,
}
# not elementwise maps of special values to special values, or checked elsewhere
NOT_SWEPT = {
    "where": "a selection; tests/registry and the fuzzer cover it",
    "clip": "maximum then minimum, both swept",
    **{n: "complex parts and predicates: tests/numpy_api/test_complex.py sweeps them"
       for n in ("real", "imag", "conjugate", "conj", "angle", "iscomplex", "isreal", "iscomplexobj", "isrealobj")},
}
# the eager sweeps cover every dtype, complex included (every pair of special parts: the
# branch cuts' signed zeros, C99 Annex G's infinities and NaNs); the jit sweeps the JIT_DTYPES
_NO_ORDER = ("complex comparisons raise (the Array API leaves them undefined; NumPy and JAX compare "
             "lexicographically, as maximum/minimum/fmax/fmin here do)")
_REAL_ONLY = "defined on real numbers only: raises for complex, as in NumPy"
# documented departures: (name, dtype kind) -> reason; the function is still checked to raise
RAISES = {
    ("negative", "b"): "boolean negation raises, as in NumPy",
    ("subtract", "b"): "boolean subtraction raises, as in NumPy",
    ("bitwise_not", "f"): "no bitwise ops on floats, as in NumPy",
    ("invert", "f"): "no bitwise ops on floats, as in NumPy",
    ("bitwise_invert", "f"): "no bitwise ops on floats, as in NumPy",
    ("bitwise_and", "f"): "no bitwise ops on floats, as in NumPy",
    ("bitwise_or", "f"): "no bitwise ops on floats, as in NumPy",
    ("bitwise_xor", "f"): "no bitwise ops on floats, as in NumPy",
    ("left_shift", "f"): "no shifts of floats, as in NumPy",
    ("right_shift", "f"): "no shifts of floats, as in NumPy",
    ("bitwise_left_shift", "f"): "no shifts of floats, as in NumPy",
    ("bitwise_right_shift", "f"): "no shifts of floats, as in NumPy",
    ("left_shift", "b"): "shifting booleans raises (NumPy shifts them as int8; JAX needs integers)",
    ("right_shift", "b"): "shifting booleans raises (NumPy shifts them as int8; JAX needs integers)",
    ("bitwise_left_shift", "b"): "shifting booleans raises (NumPy shifts them as int8; JAX needs integers)",
    ("bitwise_right_shift", "b"): "shifting booleans raises (NumPy shifts them as int8; JAX needs integers)",
    **{(n, "c"): _NO_ORDER for n in ("less", "less_equal", "greater", "greater_equal")},
    **{(n, "c"): _REAL_ONLY for n in (
        "floor", "ceil", "trunc", "fix", "signbit", "isposinf", "isneginf", "cbrt", "bitwise_not", "invert",
        "bitwise_invert", "floor_divide", "remainder", "mod", "fmod", "divmod", "copysign", "heaviside",
        "nextafter", "arctan2", "atan2", "hypot", "bitwise_and", "bitwise_or", "bitwise_xor", "left_shift",
        "right_shift", "bitwise_left_shift", "bitwise_right_shift")},
    ("logaddexp", "c"): "raises for complex, as NumPy (JAX accepts complex)",
    ("logaddexp2", "c"): "raises for complex, as NumPy (JAX accepts complex)",
}
def _parts(re: Any, im: Any) -> Any:
    out = np.empty(np.shape(re), np.result_type(re, np.complex64))  # re + 1j * im would merge zero signs
    out.real, out.imag = re, im
    return out


# complex departures that do not raise: NumPy refuses these on complex, JAX (and we) compute
# x * (pi / 180) (or 180 / pi) in complex arithmetic, the constant becoming complex
_DEG = np.pi / 180.0
COMPLEX_REF: dict[str, Any] = {
    "deg2rad": lambda z: np.multiply(z, np.asarray(complex(_DEG), z.dtype)),
    "radians": lambda z: np.multiply(z, np.asarray(complex(_DEG), z.dtype)),
    "rad2deg": lambda z: np.multiply(z, np.asarray(complex(1 / _DEG), z.dtype)),
    "degrees": lambda z: np.multiply(z, np.asarray(complex(1 / _DEG), z.dtype)),
    # 1 / z by complex division, as JAX: np.reciprocal's complex loop gives nan + nan j for
    # 1 / 0 (C99 Annex G and np.divide: an infinity) and loses the sign of zeros beside inf
    "reciprocal": lambda z: np.divide(np.ones((), z.dtype), z),
    # NumPy's complex expm1 gives nan + nan j for an infinite real part; C99's cexp (less
    # accurate near 0, so only where a part is not finite) minus 1 has the standard's values
    # (and x +- 0j: cexp(x +- 0j) - 1, whose imaginary part NumPy turns into nan when expm1(x) overflows)
    "expm1": lambda z: np.where(z.imag == 0, _parts(np.expm1(z.real) + 0.0, z.imag),
                                np.where(np.isfinite(z.real) & np.isfinite(z.imag), np.expm1(z), np.exp(z) - 1)),
    # tanh(+-inf + iy), y finite: +-1 + 0j with the zero signed as y (the Array API; NumPy: as sin(2y))
    "tanh": lambda z: np.where(np.isinf(z.real) & np.isfinite(z.imag),
                               _parts(np.sign(z.real), np.copysign(np.zeros_like(z.imag), z.imag)), np.tanh(z)),
}
# C leaves the sign of fmax(0.0, -0.0) open and NumPy's SIMD and scalar loops disagree on
# it (np.fmax(np.zeros(7), -np.zeros(7)) is [0, -0, -0, ...]): ours is maximum's (the second)
ZERO_SIGN_FREE = {"fmax", "fmin"}
# NumPy has no boolean loop: the result follows JAX (the input, unchanged)
BOOL_IDENTITY = {"positive", "sign"}
# integers/booleans computed in the default float, as JAX (NumPy: float16/32/64 by width);
# round keeps integer dtypes (as NumPy) and only booleans become floats
TO_DEFAULT_FLOAT = {"rint"}
ROUND = {"round", "around"}


def test_sweep_lists_every_elementwise_function() -> None:
    listed = (set(UNARY_EXACT) | set(UNARY_FLOAT) | set(BINARY_EXACT) | set(BINARY_FLOAT_EXACT)
              | set(BINARY_INEXACT) | set(BINARY_FLOAT_INEXACT) | set(NOT_SWEPT))
    assert set(_elementwise.__all__) == listed, set(_elementwise.__all__) ^ listed


def _unary_ref(name: str, npf: Any, x: np.ndarray[Any, Any]) -> Any:
    kind = x.dtype.kind
    if kind == "c":
        return COMPLEX_REF.get(name, npf)(x)
    if kind != "f" and (name in UNARY_FLOAT or name in TO_DEFAULT_FLOAT or (name in ROUND and kind == "b")):
        return npf(x.astype(dtypes.default_float))
    if kind == "b" and name in BOOL_IDENTITY:
        return x
    return npf(x)


def _binary_ref(name: str, npf: Any, a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> Any:
    if (name in BINARY_FLOAT_EXACT or name in BINARY_FLOAT_INEXACT) and a.dtype.kind not in "fc":
        a, b = a.astype(dtypes.default_float), b.astype(dtypes.default_float)
    return npf(a, b)


def _unary_cases(dt: np.dtype[Any]) -> list[tuple[str, Any, bool]]:
    cases = []
    for table, exact in ((UNARY_EXACT, True), (UNARY_FLOAT, False)):
        for name, npf in table.items():
            if (name, dt.kind) not in RAISES:
                cases.append((name, npf, exact))
    return cases


def _binary_cases(dt: np.dtype[Any]) -> list[tuple[str, Any, bool]]:
    cases = []
    for table, exact in ((BINARY_EXACT, True), (BINARY_FLOAT_EXACT, True), (BINARY_INEXACT, False),
                         (BINARY_FLOAT_INEXACT, False)):
        for name, npf in table.items():
            if (name, dt.kind) not in RAISES:
                cases.append((name, npf, exact))
    return cases


def _pairs(dt: np.dtype[Any]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    v = special_values(dt)
    a, b = (np.array(t, dt) for t in zip(*itertools.product(v, v)))
    return a, b


def _power_operands(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> tuple[Any, Any]:
    # NumPy raises for negative integer exponents (JAX truncates: tests/registry covers it)
    if a.dtype.kind in "iu":
        keep = b >= 0
        return a[keep], b[keep]
    return a, b


def _flat(out: Any) -> list[Any]:
    return list(out) if isinstance(out, tuple) else [out]


def _check(name: str, got: Any, want: Any, exact: bool, mode: str, dt: np.dtype[Any]) -> None:
    gots, wants = _flat(got), _flat(want)
    assert len(gots) == len(wants), name
    for g, w in zip(gots, wants):
        assert_same(g, w, exact=exact, what=f"{mode} {name} on {dt}", zero_sign=name not in ZERO_SIGN_FREE)


@pytest.mark.parametrize("dt", dtypes.SUPPORTED, ids=str)
def test_sweep_unary_eager(dt: np.dtype[Any]) -> None:
    x = special_values(dt)
    for name, npf, exact in _unary_cases(dt):
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            want = _unary_ref(name, npf, x)
            got = getattr(jnp, name)(jnp.asarray(x))
        _check(name, got, want, exact, "eager", dt)
    for (name, kind), _reason in RAISES.items():
        if kind == dt.kind and name in UNARY_EXACT:
            with pytest.raises(TypeError):
                getattr(jnp, name)(jnp.asarray(x))


@pytest.mark.usefixtures("x64_off")  # JAX's 32-bit promotion, on inputs of every dtype
@pytest.mark.parametrize("dt", dtypes.SUPPORTED, ids=str)
def test_sweep_binary_eager(dt: np.dtype[Any]) -> None:
    a, b = _pairs(dt)
    for name, npf, exact in _binary_cases(dt):
        x, y = _power_operands(a, b) if name in BINARY_INEXACT else (a, b)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            want = _binary_ref(name, npf, x, y)
            got = getattr(jnp, name)(_exact(x), _exact(y))
        _check(name, got, want, exact, "eager", dt)
    for (name, kind), _reason in RAISES.items():
        if kind == dt.kind and name not in UNARY_EXACT:
            with pytest.raises(TypeError):
                getattr(jnp, name)(_exact(a), _exact(b))


# jit: every function of one arity in one program (a few fused kernels per dtype)
JIT_DTYPES = [dtypes.float32, dtypes.float64, dtypes.int8, dtypes.int32, dtypes.int64, dtypes.uint8,
              dtypes.uint16, dtypes.uint32, dtypes.uint64, dtypes.bool_]


def _bundle(cases: list[tuple[str, Any, bool]], arity: int) -> Callable[..., Any]:
    fns = [getattr(jnp, name) for name, _, _ in cases]
    powers = [name in BINARY_INEXACT for name, _, _ in cases]

    def program(*args: Any) -> Any:
        if arity == 1:
            return [f(args[0]) for f in fns]
        return [f(args[2], args[3]) if p else f(args[0], args[1]) for f, p in zip(fns, powers)]

    return program


@pytest.mark.parametrize("dt", JIT_DTYPES, ids=str)
def test_sweep_unary_jit(dt: np.dtype[Any]) -> None:
    x = special_values(dt)
    cases = _unary_cases(dt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        outs = fl.jit(_bundle(cases, 1))(jnp.asarray(x))
        with np.errstate(all="ignore"):
            for (name, npf, exact), got in zip(cases, outs):
                _check(name, got, _unary_ref(name, npf, x), exact, "jit", dt)


@pytest.mark.usefixtures("x64_off")  # JAX's 32-bit promotion, on inputs of every dtype
@pytest.mark.parametrize("dt", JIT_DTYPES, ids=str)
def test_sweep_binary_jit(dt: np.dtype[Any]) -> None:
    a, b = _pairs(dt)
    pa, pb = _power_operands(a, b)
    cases = _binary_cases(dt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        outs = fl.jit(_bundle(cases, 2))(*(_exact(v) for v in (a, b, pa, pb)))
        with np.errstate(all="ignore"):
            for (name, npf, exact), got in zip(cases, outs):
                x, y = (pa, pb) if name in BINARY_INEXACT else (a, b)
                _check(name, got, _binary_ref(name, npf, x, y), exact, "jit", dt)


def test_gather_and_scatter_with_empty_index_rows() -> None:
    """Index rows of length 0 each address the whole operand (an (M, 0) index
    matrix used to lose M: a reshape error, found by the jit registry)."""
    import functorch_lite.numpy as jnp
    from functorch_lite.ops import indexing as ix

    op = np.arange(3.0)
    idx = jnp.zeros((2, 0), dtype=jnp.int32)
    np.testing.assert_array_equal(np.asarray(ix.gather_p.bind(jnp.array(op), idx)), np.stack([op, op]))
    upd = np.array([[1.0, 5.0, 0.0], [2.0, -1.0, 3.0]])
    want = {"add": op + upd.sum(0), "set": upd[-1], "mul": op * upd.prod(0),
            "min": np.minimum(op, upd.min(0)), "max": np.maximum(op, upd.max(0))}
    for mode, w in want.items():
        got = ix.scatter_p.bind(jnp.array(op), idx, jnp.array(upd), mode=mode)
        np.testing.assert_array_equal(np.asarray(got), w, err_msg=mode)


def test_vmap_in_axes_ordered_dict_follows_insertion_order() -> None:
    from collections import OrderedDict

    import functorch_lite as fl
    import functorch_lite.numpy as jnp

    f = fl.vmap(lambda d: d["z"] * d["a"], in_axes=(OrderedDict([("z", 0), ("a", None)]),))
    out = f(OrderedDict([("z", jnp.arange(3.0)), ("a", jnp.array(2.0))]))
    np.testing.assert_array_equal(np.asarray(out), [0.0, 2.0, 4.0])
