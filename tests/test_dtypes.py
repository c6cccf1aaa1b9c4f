"""Type promotion: the full table for the 13 supported dtypes, weak Python scalars,
and unsupported dtypes.

The expected tables are written out by hand, not derived from the code:
within a kind (bool, signed, unsigned, float, complex) they are the Python
Array API standard's promotion tables; across kinds they follow JAX's lattice
(``bool + x -> x``, any integer + a float or complex -> that dtype, float +
complex -> the complex of the wider precision, uint64 + a signed integer ->
the default float).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import dtypes

SHORT = {
    "b": np.dtype(np.bool_), "i1": np.dtype(np.int8), "i2": np.dtype(np.int16), "i4": np.dtype(np.int32),
    "i8": np.dtype(np.int64), "u1": np.dtype(np.uint8), "u2": np.dtype(np.uint16), "u4": np.dtype(np.uint32),
    "u8": np.dtype(np.uint64), "f4": np.dtype(np.float32), "f8": np.dtype(np.float64),
    "c8": np.dtype(np.complex64), "c16": np.dtype(np.complex128),
}

# Row dtype promoted with column dtype (64-bit mode, as this suite runs).
#   within-kind cells: Array API standard tables (signed ints widen to the larger;
#   iN+uM -> the smallest signed int holding both; f4+f8 -> f8; c8+c16 -> c16);
#   cross-kind cells: JAX (bool + x -> x; int + f/c -> that f/c; f4+c8 -> c8,
#   f8+c8 -> c16; u8 + a signed int -> f8, the default float).
PROMOTION_TABLE = """
      b    i1   i2   i4   i8   u1   u2   u4   u8   f4   f8   c8   c16
b     b    i1   i2   i4   i8   u1   u2   u4   u8   f4   f8   c8   c16
i1    i1   i1   i2   i4   i8   i2   i4   i8   f8   f4   f8   c8   c16
i2    i2   i2   i2   i4   i8   i2   i4   i8   f8   f4   f8   c8   c16
i4    i4   i4   i4   i4   i8   i4   i4   i8   f8   f4   f8   c8   c16
i8    i8   i8   i8   i8   i8   i8   i8   i8   f8   f4   f8   c8   c16
u1    u1   i2   i2   i4   i8   u1   u2   u4   u8   f4   f8   c8   c16
u2    u2   i4   i4   i4   i8   u2   u2   u4   u8   f4   f8   c8   c16
u4    u4   i8   i8   i8   i8   u4   u4   u4   u8   f4   f8   c8   c16
u8    u8   f8   f8   f8   f8   u8   u8   u8   u8   f4   f8   c8   c16
f4    f4   f4   f4   f4   f4   f4   f4   f4   f4   f4   f8   c8   c16
f8    f8   f8   f8   f8   f8   f8   f8   f8   f8   f8   f8   c16  c16
c8    c8   c8   c8   c8   c8   c8   c8   c8   c8   c8   c16  c8   c16
c16   c16  c16  c16  c16  c16  c16  c16  c16  c16  c16  c16  c16  c16
"""


def _ones64(shape: Any, dt: Any) -> Any:
    """Ones of ``dt`` as given, 64-bit dtypes included: the 32-bit default
    mode narrows requests, yet arrays made in 64-bit mode keep their dtype."""
    with fl.enable_x64():
        return jnp.ones(shape, dt)


def _parse(table: str) -> dict[tuple[np.dtype[Any], np.dtype[Any]], np.dtype[Any]]:
    rows = [line.split() for line in table.strip().splitlines()]
    cols = rows[0]
    out = {}
    for row in rows[1:]:
        for col, cell in zip(cols, row[1:]):
            out[(SHORT[row[0]], SHORT[col])] = SHORT[cell]
    return out


EXPECTED = _parse(PROMOTION_TABLE)
PAIRS = sorted(EXPECTED, key=lambda p: (p[0].str, p[1].str))


def test_table_is_complete_and_symmetric() -> None:
    assert len(EXPECTED) == 13 * 13
    assert set(SHORT.values()) == set(dtypes.SUPPORTED)
    for (a, b), r in EXPECTED.items():
        assert EXPECTED[(b, a)] == r


@pytest.mark.parametrize("a,b", PAIRS, ids=lambda d: str(d))
def test_promote_types(a: np.dtype[Any], b: np.dtype[Any]) -> None:
    want = EXPECTED[(a, b)]
    assert dtypes.promote_types(a, b) == want
    assert jnp.promote_types(a, b) == want
    assert dtypes.result_type(a, b) == want
    assert jnp.result_type(a.name, b.name) == want


@pytest.mark.parametrize("a,b", PAIRS, ids=lambda d: str(d))
def test_binary_ops_promote_arrays(a: np.dtype[Any], b: np.dtype[Any]) -> None:
    want = EXPECTED[(a, b)]
    x = jnp.ones((2, 3), dtype=a)
    y = jnp.ones((3,), dtype=b)
    ordered = "c" not in (a.kind, b.kind)  # complex numbers have no order (Array API)
    outs = (x + y, jnp.add(x, y), x * y) + ((jnp.maximum(x, y), jnp.where(x > 0, x, y)) if ordered else ())
    for out in outs:
        assert out.dtype == want
        assert out.weak_type is False
    # 0-d arrays are strongly typed too (only Python scalars are weak)
    assert (x + jnp.ones((), dtype=b)).dtype == want
    assert jnp.concatenate([jnp.ones(2, dtype=a), jnp.ones(1, dtype=b)]).dtype == want
    # the values are the promoted NumPy values
    np.testing.assert_array_equal(np.asarray(x * y), np.ones((2, 3), want))


def test_result_type_of_many() -> None:
    assert dtypes.result_type(np.int8, np.uint8, np.int16) == np.int16
    assert dtypes.result_type(np.bool_, np.uint8, np.int32, np.float32) == np.float32
    assert dtypes.result_type("int64", "float32", "float64") == np.float64
    with pytest.raises(TypeError):
        dtypes.result_type()


# --- weak Python scalars ------------------------------------------------------------------------

# array dtype -> dtype after meeting a Python bool / int / float (written out)
WEAK_TABLE = """
      bool  int  float  complex
b     b     i4   f4     c8
i1    i1    i1   f4     c8
i2    i2    i2   f4     c8
i4    i4    i4   f4     c8
i8    i8    i8   f4     c8
u1    u1    u1   f4     c8
u2    u2    u2   f4     c8
u4    u4    u4   f4     c8
u8    u8    u8   f4     c8
f4    f4    f4   f4     c8
f8    f8    f8   f8     c16
c8    c8    c8   c8     c8
c16   c16   c16  c16    c16
"""


def _weak_expected() -> dict[tuple[np.dtype[Any], type], np.dtype[Any]]:
    rows = [line.split() for line in WEAK_TABLE.strip().splitlines()]
    kinds = {"bool": bool, "int": int, "float": float, "complex": complex}
    return {(SHORT[r[0]], kinds[c]): SHORT[cell] for r in rows[1:] for c, cell in zip(rows[0], r[1:])}


WEAK_EXPECTED = _weak_expected()
SCALARS = {bool: True, int: 1, float: 2.5, complex: 1.5 - 2j}


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
@pytest.mark.parametrize("key", sorted(WEAK_EXPECTED, key=str), ids=str)
def test_weak_scalar_table(key: tuple[np.dtype[Any], type]) -> None:
    dt, kind = key
    want = WEAK_EXPECTED[key]
    x = _ones64(3, dt)
    s = SCALARS[kind]
    ordered = "c" not in (dt.kind, want.kind)
    for out in (x + s, s + x, jnp.add(x, s), jnp.multiply(s, x)) + ((jnp.maximum(x, s),) if ordered else ()):
        assert out.dtype == want, (dt, kind, out.dtype)
        # the width came from the array unless the scalar's kind was higher; a float array
        # meeting a complex scalar gives the complex of its own width, strong (as JAX)
        assert out.weak_type is (want != dt and dt.kind != "f")


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
def test_weak_scalar_cases_from_the_issue() -> None:
    assert (jnp.ones(3, jnp.float32) * 2.0).dtype == np.float32
    assert (jnp.ones(3, jnp.int32) + 1).dtype == np.int32
    assert (jnp.ones(3, jnp.int8) + 1).dtype == np.int8
    assert (jnp.ones(3, jnp.int32) * 2.5).dtype == np.float32
    assert (jnp.ones(3, jnp.bool_) + 1).dtype == np.int32
    assert (_ones64(3, jnp.float64) * 2.0).dtype == np.float64
    assert (jnp.ones(3, jnp.uint8) + 1).dtype == np.uint8
    assert (_ones64(3, jnp.int64) * 2.5).dtype == np.float32
    np.testing.assert_allclose(np.asarray(jnp.arange(3, dtype=jnp.int32) * 2.5), [0.0, 2.5, 5.0])


def test_weak_scalars_do_not_upcast() -> None:
    x = jnp.float32(1) * 2.0
    assert x.dtype == np.float32 and x.weak_type is False
    # a float64 array keeps float64; a float32 one is not promoted by a float64-sized value
    assert (jnp.ones(2, jnp.float32) + 1e300).dtype == np.float32
    assert (jnp.ones(2, jnp.int16) * -3).dtype == np.int16


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
def test_python_scalar_arrays_are_weak() -> None:
    for s, dt in ((2.0, np.float32), (2, np.int32), (True, np.bool_)):
        a = jnp.asarray(s)
        assert a.shape == () and a.dtype == dt and a.weak_type is True
        assert "weak_type=True" in repr(a)
    # weak meets weak: stays weak, promotes by kind
    w = jnp.asarray(2) + 1.5
    assert w.dtype == np.float32 and w.weak_type is True
    assert (jnp.asarray(2) + 1).weak_type is True
    # a weak scalar array behaves like the scalar it came from
    assert (jnp.ones(2, jnp.int8) + jnp.asarray(3)).dtype == np.int8
    assert (_ones64(2, jnp.float64) * jnp.asarray(0.5)).dtype == np.float64
    # explicit dtypes make strong arrays
    assert jnp.asarray(jnp.float32(2.0)).weak_type is False
    assert (jnp.ones(2, jnp.int8) + jnp.int32(3)).dtype == np.int32


def test_weak_type_propagates_through_unary_ops_and_views() -> None:
    w = jnp.asarray(2.0)
    assert jnp.exp(w).weak_type is True
    assert (-w).weak_type is True
    assert jnp.reshape(w, (1,)).weak_type is True
    assert jnp.broadcast_to(w, (3,)).weak_type is True
    assert (jnp.ones(2, jnp.int8) + jnp.broadcast_to(jnp.asarray(1), (2,))).dtype == np.int8


def test_weak_int_overflow_raises() -> None:
    with pytest.raises(OverflowError, match=r"-1.*uint8"):
        jnp.ones(3, jnp.uint8) + (-1)
    with pytest.raises(OverflowError, match=r"300.*int8"):
        jnp.ones(3, jnp.int8) * 300
    with pytest.raises(OverflowError, match="int32"):
        jnp.ones(3, jnp.int32) + 2**31
    with pytest.raises(OverflowError, match="int64"):
        jnp.ones(3, jnp.int64) + 2**63
    with pytest.raises(OverflowError):
        jnp.asarray(2**64)
    # in range is fine, including the extremes
    assert (jnp.zeros(2, jnp.uint8) + 255).tolist() == [255, 255]
    assert (jnp.zeros(2, jnp.int8) + (-128)).tolist() == [-128, -128]
    assert (jnp.zeros(2, jnp.int64) + 2**62).tolist() == [2**62, 2**62]
    # a large Python int alone is int64 (it does not fit int32)
    big = jnp.asarray(2**40)
    assert big.dtype == np.int64 and big.weak_type is True


def test_integer_arithmetic_wraps_like_numpy() -> None:
    x = jnp.array([127, -128], dtype=jnp.int8)
    assert (x + 1).tolist() == [-128, -127]
    assert (jnp.array([255], dtype=jnp.uint8) + jnp.array([1], dtype=jnp.uint8)).tolist() == [0]


# --- unsupported dtypes ---------------------------------------------------------------------------

UNSUPPORTED = [np.float16, np.complex256, np.longdouble, object, "U3", "S2", "datetime64[s]", "float16", "bfloat16"]
SUPPORTED_NAMES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32",
                   "float64", "complex64", "complex128")


def _assert_names_supported(exc: pytest.ExceptionInfo[TypeError]) -> None:
    msg = str(exc.value)
    for name in SUPPORTED_NAMES:
        assert name in msg, f"{name} missing from: {msg}"


@pytest.mark.parametrize("dt", UNSUPPORTED, ids=str)
def test_unsupported_dtype_names_the_supported_ones(dt: Any) -> None:
    with pytest.raises(TypeError) as e:
        dtypes.canonicalize(dt)
    _assert_names_supported(e)
    with pytest.raises(TypeError) as e:
        jnp.zeros(3, dtype=dt)
    _assert_names_supported(e)
    with pytest.raises(TypeError) as e:
        jnp.ones(3).astype(dt)
    _assert_names_supported(e)


@pytest.mark.parametrize("dt", [np.float16, np.longdouble, np.complex256], ids=str)
def test_unsupported_numpy_input_raises(dt: Any) -> None:
    with pytest.raises(TypeError) as e:
        jnp.asarray(np.zeros(3, dt))
    _assert_names_supported(e)
    with pytest.raises(TypeError):
        jnp.array(np.zeros(3, dt))
    with pytest.raises(TypeError):
        jnp.ones(3) + np.zeros(3, dt)


@pytest.mark.parametrize("obj", [["a", "b"], [b"x"], [object()], np.array(["x"])],
                         ids=["str-list", "bytes-list", "object-list", "str-array"])  # stable across xdist workers
def test_strings_objects_raise_type_error(obj: Any) -> None:
    with pytest.raises(TypeError):
        jnp.asarray(obj)
    with pytest.raises(TypeError):
        jnp.array(obj)


def test_complex_python_scalar_is_weak_complex() -> None:
    z = jnp.ones(2, jnp.float32) * 1j  # float32 meets a weak complex: complex64, as JAX
    assert z.dtype == np.complex64 and z.weak_type is False
    assert np.asarray(z).tolist() == [1j, 1j]
    w = jnp.asarray(2 + 1j)
    assert w.weak_type is True and w.dtype == dtypes.default_complex_dtype()


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
def test_canonicalize_accepts_every_spelling() -> None:
    for dt in dtypes.SUPPORTED:
        assert dtypes.canonicalize(dt) == dt
        assert dtypes.canonicalize(dt.name) == dt
        assert dtypes.canonicalize(dt.type) == dt
        with fl.enable_x64():
            assert jnp.zeros(1, dtype=dt).dtype == dt
    assert dtypes.canonicalize(float) == np.float32
    assert dtypes.canonicalize(int) == np.int32
    assert dtypes.canonicalize(bool) == np.bool_
    assert dtypes.canonicalize(jnp.float64) == np.float64  # scalar types work as dtypes
    assert jnp.zeros(1, jnp.int8).dtype == np.int8


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
def test_defaults_are_32_bit() -> None:
    assert jnp.array([1.0, 2.0]).dtype == np.float32
    assert jnp.array([1, 2]).dtype == np.int32
    assert jnp.arange(3).dtype == np.int32
    assert jnp.zeros(2).dtype == np.float32
    assert jnp.array(np.zeros(2, np.float64)).dtype == np.float32  # 64-bit NumPy data narrows, as in JAX


def test_all_pairs_against_numpy_values() -> None:
    """Mixed-dtype arithmetic gives NumPy's values computed in the promoted dtype."""
    rng = np.random.default_rng(0)
    for a, b in itertools.product(dtypes.SUPPORTED, repeat=2):
        xa = (rng.integers(0, 5, 6) if a.kind != "b" else rng.integers(0, 2, 6)).astype(a)
        xb = (rng.integers(0, 5, 6) if b.kind != "b" else rng.integers(0, 2, 6)).astype(b)
        want = EXPECTED[(a, b)]
        got = jnp.asarray(xa) + jnp.asarray(xb) if want.kind != "b" else jnp.asarray(xa) | jnp.asarray(xb)
        ref = (xa.astype(want) + xb.astype(want)) if want.kind != "b" else (xa | xb)
        assert got.dtype == want
        np.testing.assert_array_equal(np.asarray(got), ref)
