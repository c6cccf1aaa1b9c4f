"""Public ways to build an Array never describe memory outside its buffer, and
valid-but-unusual inputs (huge slice steps, empty grids, big Python ints,
big-endian / unaligned / read-only NumPy data) are accepted with NumPy's values.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
import textwrap
from typing import Any

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite.array import ViewBoundsError

# --- the constructor against a brute-force oracle ------------------------------------------------


def _reachable(shape: tuple[int, ...], strides: tuple[int, ...], offset: int) -> list[int]:
    """Every storage index the view reads, by enumerating its elements."""
    return [offset + sum(i * s for i, s in zip(idx, strides))
            for idx in itertools.product(*(range(d) for d in shape))]


@settings(max_examples=50)
@given(
    size=st.integers(0, 12),
    shape=st.lists(st.integers(0, 4), max_size=3).map(tuple),
    data=st.data(),
    dtype=st.sampled_from([np.float64, np.int8]),
)
def test_constructor_accepts_exactly_the_in_bounds_layouts(
    size: int, shape: tuple[int, ...], data: Any, dtype: Any
) -> None:
    strides = tuple(data.draw(st.lists(st.integers(-5, 5), min_size=len(shape), max_size=len(shape))))
    offset = data.draw(st.integers(-3, 15))
    base = (np.arange(size) * 3 - 7).astype(dtype)
    reach = _reachable(shape, strides, offset)
    ok = all(0 <= i < size for i in reach) if reach else 0 <= offset <= size
    storage = fl.Storage(base)
    if not ok:
        layout = re.escape(f"Array(shape={shape}, strides={strides}, offset={offset}) over {size} elements")
        with pytest.raises(ValueError, match=layout):
            fl.Array(storage, shape, strides, offset)
        return
    arr = fl.Array(storage, list(shape), list(strides), np.int64(offset))
    expected = base[np.array(reach, dtype=np.int64)].reshape(shape)
    assert arr.shape == shape and arr.stride() == strides and arr.storage_offset() == offset
    assert arr.dtype == base.dtype
    np.testing.assert_array_equal(np.asarray(arr), expected)
    np.testing.assert_array_equal(np.asarray(arr * 2), expected * 2)  # an op reads the same elements
    if size and expected.size:
        np.testing.assert_array_equal(np.asarray(jnp.take(arr, jnp.array([0, -1]))),
                                      expected.reshape(-1)[[0, -1]])


def test_constructor_bounds_edges() -> None:
    s = fl.Storage(np.arange(6.0))
    assert fl.Array(s, (3,), (-2,), 5).tolist() == [5.0, 3.0, 1.0]
    assert fl.Array(s, (2, 3)).stride() == (3, 1)  # strides default to row-major
    assert fl.Array(s, (4, 2), (0, 5)).tolist() == [[0.0, 5.0]] * 4  # stride 0 repeats
    assert fl.Array(s, (0, 7), (100, -100), 6).shape == (0, 7)  # empty: no element is read
    with pytest.raises(ViewBoundsError, match=r"reaches element 6"):
        fl.Array(s, (3,), (-2,), 6)
    with pytest.raises(ViewBoundsError, match=r"reaches element -1"):
        fl.Array(s, (3,), (-2,), 3)
    with pytest.raises(ViewBoundsError, match="negative offset"):
        fl.Array(s, (0,), (1,), -1)
    with pytest.raises(ViewBoundsError, match="beyond the end"):
        fl.Array(s, (0,), (1,), 7)
    with pytest.raises(ValueError, match="storage of 0|over 0 elements"):
        fl.Array(fl.Storage(np.zeros(0)), (1,), (1,))
    err = ViewBoundsError("x")
    assert isinstance(err, ValueError) and isinstance(err, IndexError)


@pytest.mark.parametrize("shape, strides, offset, match", [
    ((True,), (1,), 0, "bool"),
    ((2.0,), (1,), 0, "float"),
    ((np.float64(2),), (1,), 0, "float"),
    ((2,), (1.0,), 0, "float"),
    ((2,), (np.True_,), 0, "bool"),
    ((2,), (1,), 1.0, "offset must be an integer"),
    ((2,), (1,), True, "offset must be an integer"),
    (2, (1,), 0, "tuple of ints"),
    ((2,), 1, 0, "tuple of ints"),
])
def test_constructor_rejects_wrong_types(shape: Any, strides: Any, offset: Any, match: str) -> None:
    with pytest.raises(TypeError, match=match):
        fl.Array(fl.Storage(np.zeros(4)), shape, strides, offset)


@pytest.mark.parametrize("shape, strides, match", [
    ((2, 2), (1,), "2 sizes but 1 strides"),
    ((-1,), (1,), "negative size"),
    ((1,) * 65, (0,) * 65, "65 dimensions"),
    ((2**62, 2**62), (0, 0), "more than int64 can count"),
    ((0, 2**62, 2**62), (0, 0, 0), "more than int64 can count"),  # as NumPy: zero does not excuse
    ((1,), (2**62,), "bytes does not fit in int64"),  # 2**62 float64s: 2**65 bytes
])
def test_constructor_rejects_bad_values(shape: Any, strides: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        fl.Array(fl.Storage(np.zeros(4)), shape, strides, 0)


def test_constructor_takes_no_numpy_view_and_a_storage_only() -> None:
    s = fl.Storage(np.zeros(4))
    with pytest.raises(TypeError):
        fl.Array(s, (4,), (1,), 0, False, np.ones(100))  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="Storage"):
        fl.Array(np.zeros(4), (4,), (1,))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="weak_type"):
        fl.Array(s, (4,), (1,), 0, "yes")  # type: ignore[arg-type]


def test_huge_stride_on_a_length_one_axis_works_everywhere() -> None:
    """A stride that never applies may be as large as NumPy allows (in bytes)."""
    base = np.arange(3, dtype=np.float32)
    x = fl.Array(fl.Storage(base), (1, 3), (2**59, 1))
    expected = base.reshape(1, 3)
    np.testing.assert_array_equal(np.asarray(x), expected)
    np.testing.assert_array_equal(np.asarray(fl.jit(lambda v: v * 2.0 + 1.0)(x)), expected * 2 + 1)
    np.testing.assert_array_equal(np.asarray(jnp.take(x, jnp.array([2, 0]))), [2.0, 0.0])


def test_issue_repro_raises_instead_of_crashing() -> None:
    """The out-of-bounds view is refused up front; if it were not, the take and
    the jitted op below would read far outside the 3-element buffer."""
    code = textwrap.dedent("""
        import numpy as np
        import functorch_lite as fl
        import functorch_lite.numpy as jnp
        try:
            a = fl.Array(fl.Storage(np.zeros(3)), (10**7,), (1,))
        except ValueError as e:
            assert "10000000" in str(e) and "3 elements" in str(e), e
            print("REFUSED")
        else:
            print(float(jnp.take(a, jnp.array([9_999_999]))[0]))
            print(float(fl.jit(lambda v: (v * 2.0).sum())(a)))
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "REFUSED", r.stdout


# --- Storage: what it wraps ----------------------------------------------------------------------


def test_storage_shares_a_plain_buffer() -> None:
    data = np.arange(5, dtype=np.int32)
    s = fl.Storage(data)
    assert np.shares_memory(s.numpy(), data) and s.tolist() == data.tolist()


@pytest.mark.parametrize("make", [
    lambda: np.arange(4, dtype=">f4"),
    lambda: np.arange(4, dtype=">i8"),
    lambda: np.frombuffer(b"\0" + np.arange(4, dtype=np.float64).tobytes(), dtype=np.float64, offset=1),
    lambda: np.arange(8, dtype=np.int16)[::2],
    lambda: np.arange(4.0).view(type("Sub", (np.ndarray,), {})),
])
def test_storage_converts_odd_buffers(make: Any) -> None:
    data = make()
    s = fl.Storage(data)
    buf = s.numpy()
    assert buf.dtype.isnative and buf.flags.aligned and buf.flags.c_contiguous and type(buf) is np.ndarray
    assert buf.dtype == data.dtype.newbyteorder("=")
    np.testing.assert_array_equal(buf, data)
    x = fl.Array(s, (len(s),), (1,))
    np.testing.assert_array_equal(np.asarray(x + x), data + data)


def test_storage_accepts_a_read_only_buffer() -> None:
    data = np.arange(3.0)
    data.flags.writeable = False
    assert fl.Storage(data).tolist() == [0.0, 1.0, 2.0]


@pytest.mark.parametrize("data, err, match", [
    (np.zeros((2, 2)), ValueError, r"1-D buffer, got shape \(2, 2\)"),
    (np.zeros(()), ValueError, r"1-D buffer, got shape \(\)"),
    (np.zeros(3, np.complex256), TypeError, "complex256 is not supported"),
    (np.zeros(3, np.float16), TypeError, "float16 is not supported"),
    (np.array([None, 1], dtype=object), TypeError, "object is not supported"),
    ([1.0, 2.0], TypeError, "1-D NumPy array, got list"),
])
def test_storage_rejects(data: Any, err: type[Exception], match: str) -> None:
    with pytest.raises(err, match=match):
        fl.Storage(data)


# --- as_strided --------------------------------------------------------------------------------


def test_as_strided_negative_offset_and_types_are_clear() -> None:
    x = jnp.arange(6)
    layout = re.escape("as_strided(shape=(2,), strides=(1,), offset=-1)")
    with pytest.raises(ViewBoundsError, match=layout + ".*negative offset"):
        jnp.as_strided(x, (2,), (1,), -1)
    with pytest.raises(TypeError, match="every entry of strides .* must be an integer"):
        jnp.as_strided(x, (2,), (1.5,))
    with pytest.raises(TypeError, match="offset must be an integer"):
        jnp.as_strided(x, (2,), (1,), 1.0)
    with pytest.raises(ValueError, match="reaches element 6"):
        jnp.as_strided(x, (3,), (2,), 2)
    v = np.arange(6)
    expected = np.lib.stride_tricks.as_strided(v[5:], (3, 2), (-2 * v.itemsize, -1 * v.itemsize))
    np.testing.assert_array_equal(np.asarray(jnp.as_strided(x, (3, 2), (-2, -1), 5)), expected)
    assert jnp.as_strided(x, 3, 2).tolist() == [0, 2, 4]  # ints stand for 1-tuples


# --- item 8: valid inputs accepted (against NumPy) -------------------------------------------------

_BIG = [None, 0, 2, -2, 2**61, 2**62, -2**62, 2**63, -2**63, 2**70, -2**70]
_STEPS = [None, 1, -1, 3, -3, 2**61, -2**61, 2**63, 2**70, -2**70]


@pytest.mark.parametrize("step", _STEPS)
def test_slices_with_huge_bounds_and_steps(step: Any) -> None:
    a = np.arange(20).reshape(4, 5)
    x = jnp.asarray(a)
    f = fl.jit(lambda v, s: v[slice(*s)] + 1, static_argnums=1)  # slices are unhashable before 3.12
    for start, stop in itertools.product(_BIG, _BIG):
        s = slice(start, stop, step)
        for idx in (s, (slice(None), s), (s, -1)):
            got, want = x[idx], a[idx]
            assert got.shape == want.shape, idx
            np.testing.assert_array_equal(np.asarray(got), want)
        np.testing.assert_array_equal(np.asarray(f(x, (start, stop, step))), a[s] + 1)


def test_issue_slices() -> None:
    a = np.arange(7.0)
    x = jnp.asarray(a)
    for s in (slice(None, None, 2**61), slice(2**62, None), slice(-2**63, None), slice(None, None, 2**70),
              slice(None, None, -2**70)):
        np.testing.assert_array_equal(np.asarray(x[s]), a[s])
        assert all(abs(st) < 2**31 for st in x[s].stride())  # no overflowing stride arithmetic


@pytest.mark.parametrize("lengths", [(), (0,), (3,), (0, 3), (2, 0), (0, 0), (2, 0, 3), (2, 3, 4)])
@pytest.mark.parametrize("indexing", ["xy", "ij"])
@pytest.mark.parametrize("sparse", [False, True])
def test_meshgrid_matches_numpy(lengths: tuple[int, ...], indexing: str, sparse: bool) -> None:
    vecs = [np.arange(n, dtype=np.float32) + 10 * i for i, n in enumerate(lengths)]
    got = jnp.meshgrid(*[jnp.asarray(v) for v in vecs], indexing=indexing, sparse=sparse)
    want = np.meshgrid(*vecs, indexing=indexing, sparse=sparse)
    assert isinstance(got, list) and len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape
        np.testing.assert_array_equal(np.asarray(g), w)


@pytest.mark.parametrize("v", [2**31, -2**31 - 1, 2**63 - 1, -2**63, 5, -7, 2**31 - 1])
def test_python_int_scalar_gets_the_dtype_of_a_list(v: int) -> None:
    a, b = jnp.array(v), jnp.array([v])  # 64-bit mode: the default int is int64
    assert a.dtype == b.dtype == np.int64
    assert a.shape == () and a.item() == v == b.tolist()[0]
    with fl.enable_x64(False):  # 32-bit mode: int32, and ints beyond it raise (as JAX)
        if -2**31 <= v < 2**31:
            assert jnp.array(v).dtype == jnp.array([v]).dtype == np.int32
        else:
            for obj in (v, [v]):
                with pytest.raises(OverflowError, match="int32"):
                    jnp.array(obj)


@pytest.mark.parametrize("obj", [2**63, 2**64, -2**63 - 1, [2**64], [2**63, -1], [[2**63], [1]], [1.5, 2**64]])
def test_python_ints_beyond_int64_overflow_clearly(obj: Any) -> None:
    with pytest.raises(OverflowError, match="does not fit in int64"):
        jnp.array(obj)
    with pytest.raises(OverflowError, match="does not fit in int64"):
        jnp.asarray(obj)


def test_python_ints_beyond_int64_to_an_int_dtype_overflow() -> None:
    with pytest.raises(OverflowError, match="does not fit"):
        jnp.array([2**63, -1], dtype=jnp.int64)  # NumPy makes these float64 and would wrap


def _odd_numpy_inputs() -> list[np.ndarray[Any, Any]]:
    ro = np.arange(6.0).reshape(2, 3)
    ro.flags.writeable = False
    raw = b"\0" + np.arange(6, dtype=np.float64).tobytes()
    return [
        np.arange(6, dtype=">f4").reshape(2, 3),
        np.arange(6, dtype=">i4")[::-1],
        np.arange(6, dtype=">f8").reshape(3, 2).T,
        np.frombuffer(raw, dtype=np.float64, offset=1).reshape(2, 3),  # unaligned, read-only
        np.frombuffer(bytearray(raw), dtype="<i4", count=3, offset=1),
        ro,
        np.array(3.5, dtype=">f8"),
    ]


@pytest.mark.parametrize("i", range(len(_odd_numpy_inputs())))
@pytest.mark.parametrize("convert", [jnp.asarray, jnp.array])
def test_big_endian_unaligned_read_only_numpy_inputs_are_converted(i: int, convert: Any) -> None:
    a = _odd_numpy_inputs()[i]
    x = convert(a)
    assert x.dtype == a.dtype.newbyteorder("=") and x.shape == a.shape
    np.testing.assert_array_equal(np.asarray(x), a)
    np.testing.assert_array_equal(np.asarray(x * 2 + 1), a * 2 + 1)
    np.testing.assert_array_equal(np.asarray(fl.jit(lambda v: v * 2 + 1)(x)), a * 2 + 1)


def test_array_protocol_and_dlpack_imports_are_copied() -> None:
    a = np.arange(4, dtype=">f8")

    class HasArray:
        def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray[Any, Any]:
            return a

    class HasDLPack:
        def __init__(self, v: np.ndarray[Any, Any]) -> None:
            self.v = v

        def __dlpack__(self, **kw: Any) -> Any:
            return self.v.__dlpack__(**kw)

        def __dlpack_device__(self) -> tuple[int, int]:
            return self.v.__dlpack_device__()

    x = jnp.asarray(HasArray())
    assert x.dtype == np.float64
    np.testing.assert_array_equal(np.asarray(x), a)
    src = np.arange(5, dtype=np.int32)
    y = jnp.asarray(HasDLPack(src))
    src[0] = 100  # a copy: later writes to the source do not reach the array
    assert y.tolist() == [0, 1, 2, 3, 4]
