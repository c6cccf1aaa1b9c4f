"""Sorting, searching, quantiles and cumulative ops: errors, edge cases, layouts.

The registry (tests/registry/sorting.py) checks values against NumPy over
drawn shapes/dtypes/layouts; this file covers what it cannot: error
messages, 0-d and empty inputs, signed zeros, output layouts, the Numba scan
kernel on every kind of strided input, and the data-dependent ``unique``
under ``jit``.
"""

from __future__ import annotations

from typing import Any

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite.core import ConcretizationTypeError
from functorch_lite.ops import cumulative as cum
from functorch_lite.ops import sorting as srt

Arr = np.ndarray[Any, Any]


# --- errors -----------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [jnp.sort, jnp.argsort])
def test_sort_bad_axis_names_axis_and_ndim(fn: Any) -> None:
    with pytest.raises(ValueError, match=r"axis 2 is out of bounds for an array of dimension 2"):
        fn(jnp.zeros((2, 3)), axis=2)
    with pytest.raises(ValueError, match=r"axis -3 .* dimension 2"):
        fn(jnp.zeros((2, 3)), axis=-3)


@pytest.mark.parametrize("fn", [jnp.sort, jnp.argsort])
def test_sort_0d_needs_axis_none(fn: Any) -> None:
    # NumPy raises AxisError and JAX ValueError for axis=-1 on a 0-d array
    with pytest.raises(ValueError, match=r"axis -1 .* dimension 0.*axis=None"):
        fn(jnp.array(3.0))
    out = fn(jnp.array(3.0), axis=None)
    assert out.shape == (1,)
    assert out.tolist() == ([3.0] if fn is jnp.sort else [0])


def test_kind_and_order_are_rejected() -> None:
    with pytest.raises(TypeError, match="stable=True or stable=False"):
        jnp.sort(jnp.zeros(3), kind="mergesort")
    with pytest.raises(TypeError, match="order"):
        jnp.argsort(jnp.zeros(3), order="f0")


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
def test_primitive_shape_rules() -> None:
    x = jnp.zeros((2, 3))
    with pytest.raises(ValueError, match=r"sort: dimension 2 is out of bounds for f32\[2,3\]"):
        srt.sort_p.bind(x, dimension=2, descending=False)
    with pytest.raises(ValueError, match="argsort: dimension -1"):
        srt.argsort_p.bind(x, dimension=-1, descending=False, stable=True)
    with pytest.raises(ValueError, match="0-d array has no axis"):
        srt.sort_p.bind(jnp.array(1.0), dimension=0, descending=False)
    with pytest.raises(ValueError, match=r"cumsum: axis 2 is out of bounds for f32\[2,3\] with 2 dimensions"):
        cum.cumsum_p.bind(x, axis=2, reverse=False)
    with pytest.raises(TypeError, match="cumprod: expected a numeric .* got dtype bool"):
        cum.cumprod_p.bind(jnp.zeros(3, bool), axis=0, reverse=False)
    with pytest.raises(TypeError, match=r"share one dtype"):
        srt.searchsorted_p.bind(jnp.zeros(3), jnp.zeros(2, "int32"), side="left")
    with pytest.raises(ValueError, match=r"must be 1-D, got f32\[2,3\]"):
        srt.searchsorted_p.bind(x, jnp.zeros(2), side="left")
    with pytest.raises(ValueError, match="side must be 'left' or 'right'"):
        srt.searchsorted_p.bind(jnp.zeros(3), jnp.zeros(2), side="middle")


def test_cumulative_errors() -> None:
    with pytest.raises(ValueError, match=r"cumsum: axis 2 .* dimension 2"):
        jnp.cumsum(jnp.zeros((2, 3)), axis=2)
    with pytest.raises(ValueError, match=r"cumprod: axis 1 .* dimension 1"):
        jnp.cumprod(jnp.array(2.0), axis=1)  # a 0-d array counts as 1-D, as in NumPy
    with pytest.raises(ValueError, match="at least one dimension"):
        jnp.cumulative_sum(jnp.array(1.0))
    with pytest.raises(ValueError, match=r"axis=None is only allowed for 1-D arrays, got shape \(2, 3\)"):
        jnp.cumulative_prod(jnp.zeros((2, 3)))


def test_quantile_errors() -> None:
    x = jnp.arange(5.0)
    with pytest.raises(ValueError, match=r"q must be in the range \[0, 1\], got \[1.5\]"):
        jnp.quantile(x, [1.5])
    with pytest.raises(ValueError, match=r"range \[0, 100\]"):
        jnp.percentile(x, 101)
    with pytest.raises(ValueError, match="method must be one of"):
        jnp.quantile(x, 0.5, method="weibull")
    with pytest.raises(ValueError, match=r"axis 1 .* dimension 1"):
        jnp.median(x, axis=1)
    with pytest.raises(ConcretizationTypeError, match="q must be concrete"):
        fl.jit(lambda x, q: jnp.quantile(x, q))(x, jnp.array(0.5))


def test_searchsorted_errors() -> None:
    with pytest.raises(ValueError, match=r"a must be 1-D, got shape \(2, 2\)"):
        jnp.searchsorted(jnp.zeros((2, 2)), 1.0)
    with pytest.raises(ValueError, match="side must be"):
        jnp.searchsorted(jnp.zeros(2), 1.0, side="up")
    with pytest.raises(ValueError, match="sorter must be an integer array of a's shape"):
        jnp.searchsorted(jnp.zeros(2), 1.0, sorter=jnp.array([1, 0, 2]))


def test_unique_of_tracer_needs_size() -> None:
    x = jnp.array([3, 1, 3])
    with pytest.raises(ConcretizationTypeError, match=r"pass size=\.\.\."):
        fl.jit(jnp.unique)(x)
    with pytest.raises(NotImplementedError, match="return_counts"):
        fl.jit(lambda v: jnp.unique(v, size=3, return_counts=True))(x)
    with pytest.raises(ValueError, match="pass fill_value"):
        jnp.unique(jnp.zeros(0), size=2)


# --- 0-d and empty inputs --------------------------------------------------------------------
@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
def test_zero_d_inputs() -> None:
    s = jnp.array(2.5)
    assert jnp.cumsum(s).tolist() == [2.5]
    assert jnp.cumsum(s, axis=0).tolist() == [2.5]
    assert jnp.cumprod(jnp.array(3, "int8")).dtype == np.int32
    assert jnp.unique(s).tolist() == [2.5]
    assert float(jnp.median(s)) == 2.5
    assert jnp.quantile(s, [0.0, 1.0]).tolist() == [2.5, 2.5]
    assert jnp.searchsorted(jnp.array([1.0, 2.0, 3.0]), s).shape == ()
    assert int(jnp.searchsorted(jnp.array([1.0, 2.0, 3.0]), s)) == 2


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
@pytest.mark.parametrize("shape", [(0,), (0, 3), (3, 0), (2, 0, 4)])
def test_empty_inputs(shape: tuple[int, ...]) -> None:
    x = np.zeros(shape, np.float32)
    for axis in range(len(shape)):
        assert jnp.sort(jnp.array(x), axis=axis).shape == shape
        a = jnp.argsort(jnp.array(x), axis=axis)
        assert a.shape == shape and a.dtype == np.int32
        assert jnp.sort(jnp.array(x), axis=axis, descending=True).shape == shape
        for op in (jnp.cumsum, jnp.cumprod):
            assert op(jnp.array(x), axis=axis).shape == shape
        c = jnp.cumulative_sum(jnp.array(x), axis=axis, include_initial=True)
        np.testing.assert_array_equal(c, np.cumulative_sum(x, axis=axis, include_initial=True))
        # NaN where the axis is empty, as np.median (np.quantile raises IndexError)
        q = jnp.quantile(jnp.array(x), [0.5, 0.7], axis=axis)
        assert q.shape == (2,) + shape[:axis] + shape[axis + 1:]
        if x.shape[axis] == 0:
            assert np.isnan(np.asarray(q)).all()
    assert jnp.unique(jnp.array(x)).shape == (0,)
    assert jnp.unique(jnp.array(x), size=2, fill_value=7).tolist() == [7.0, 7.0]


def test_median_of_empty_is_nan() -> None:
    assert np.isnan(float(jnp.median(jnp.zeros(0))))


def test_searchsorted_empty() -> None:
    assert jnp.searchsorted(jnp.zeros(0), jnp.array([1.0, -1.0])).tolist() == [0, 0]
    assert jnp.searchsorted(jnp.arange(3.0), jnp.zeros((2, 0))).shape == (2, 0)


# --- values that NumPy orders specially --------------------------------------------------------
@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_sort_keeps_signed_zeros_in_stable_order(dt: str) -> None:
    x = np.array([0.0, -0.0, 1.0, -0.0, 0.0, -1.0, 0.0, -0.0], dt)
    got = np.asarray(jnp.sort(jnp.array(x)))
    ref = np.sort(x, kind="stable")
    np.testing.assert_array_equal(np.signbit(got), np.signbit(ref))
    got_d = np.asarray(jnp.sort(jnp.array(x), descending=True))
    np.testing.assert_array_equal(np.signbit(got_d), np.signbit(ref[::-1]))


def test_nan_order() -> None:
    nan = float("nan")
    x = jnp.array([2.0, nan, -np.inf, 1.0, nan, np.inf])
    np.testing.assert_array_equal(jnp.sort(x), [-np.inf, 1.0, 2.0, np.inf, nan, nan])
    np.testing.assert_array_equal(jnp.sort(x, descending=True), [nan, nan, np.inf, 2.0, 1.0, -np.inf])
    assert jnp.argsort(x).tolist() == [2, 3, 0, 5, 1, 4]
    assert jnp.argsort(x, descending=True).tolist() == [1, 4, 5, 0, 3, 2]
    assert jnp.searchsorted(jnp.sort(x), nan).tolist() == 4
    assert jnp.searchsorted(jnp.sort(x), nan, side="right").tolist() == 6


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # inf - inf in the lerp
def test_quantile_next_to_infinities_gives_the_element() -> None:
    inf = float("inf")
    assert float(jnp.median(jnp.array([1.0, 2.0, inf]))) == 2.0
    assert float(jnp.quantile(jnp.array([1.0, inf]), 0.0)) == 1.0
    assert float(jnp.quantile(jnp.array([1.0, 2.0, inf]), 1.0)) == inf
    assert float(jnp.quantile(jnp.array([1.0, inf, inf]), 0.75)) == inf
    assert np.isnan(float(jnp.median(jnp.array([1.0, float("nan"), 3.0]))))


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
def test_unstable_argsort_sorts() -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, (5, 40)).astype(np.float32)
    idx = np.asarray(jnp.argsort(jnp.array(x), axis=1, stable=False))
    assert idx.dtype == np.int32
    np.testing.assert_array_equal(np.sort(idx, axis=1), np.broadcast_to(np.arange(40), (5, 40)))
    np.testing.assert_array_equal(np.take_along_axis(x, idx, 1), np.sort(x, axis=1))


# --- dtypes -------------------------------------------------------------------------------------
@pytest.mark.parametrize("dt,acc", [("bool", "int64"), ("int8", "int64"), ("int16", "int64"), ("uint8", "uint64"),
                                    ("uint16", "uint64"), ("uint32", "uint64"), ("uint64", "uint64"),
                                    ("int32", "int64"), ("int64", "int64"), ("float32", "float32"),
                                    ("float64", "float64")])
def test_cumsum_accumulation_dtype(dt: str, acc: str) -> None:
    x = jnp.array(np.ones(4, dt))
    for fn in (jnp.cumsum, jnp.cumprod, jnp.cumulative_sum, jnp.cumulative_prod):
        assert fn(x).dtype == np.dtype(acc)
    assert jnp.cumsum(x, dtype="float64").dtype == np.float64
    assert jnp.sort(x).dtype == np.dtype(dt)
    assert jnp.argsort(x).dtype == np.int64  # 64-bit mode: JAX's (and NumPy's) accumulators and indices


@pytest.mark.usefixtures("x64_off")
def test_cumsum_accumulation_dtype_in_32_bit_mode() -> None:
    for dt in ("bool", "int8", "int16", "uint8", "int32", "uint16", "uint32"):
        x = jnp.array(np.ones(4, dt))
        want = np.uint32 if dt.startswith("u") else np.int32  # unsigned sums stay unsigned (NumPy, JAX)
        assert jnp.cumsum(x).dtype == want and jnp.argsort(x).dtype == np.int32


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
def test_cumsum_wraps_like_numpy() -> None:
    x = np.full(10, 2**30, np.int32)
    np.testing.assert_array_equal(jnp.cumsum(jnp.array(x)), np.cumsum(x, dtype=np.int32))


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
def test_quantile_dtypes() -> None:
    assert jnp.median(jnp.arange(4)).dtype == np.float32
    with fl.enable_x64():
        assert jnp.median(jnp.arange(4.0, dtype="float64")).dtype == np.float64
    assert float(jnp.quantile(jnp.array([True, False]), 0.5)) == 0.5


# --- layouts --------------------------------------------------------------------------------
def test_sort_of_transposed_view_keeps_its_layout() -> None:
    base = jnp.array(np.random.default_rng(1).standard_normal((3, 50)).astype(np.float32))
    t = base.T  # (50, 3), axis 0 contiguous
    out = jnp.sort(t, axis=0)
    assert out.stride() == (1, 50)  # sorted rows stay contiguous: no transposing copy
    np.testing.assert_array_equal(out, np.sort(np.asarray(t), axis=0))
    idx = jnp.argsort(t, axis=0)
    assert idx.stride() == (1, 50)
    np.testing.assert_array_equal(idx, np.argsort(np.asarray(t), axis=0, kind="stable"))


def test_cumsum_output_follows_input_layout(kernel_path: str) -> None:
    base = jnp.array(np.arange(12.0, dtype=np.float32).reshape(3, 4))
    out = jnp.cumsum(base.T, axis=1)
    assert out.stride() == (1, 4)
    np.testing.assert_array_equal(out, np.cumsum(np.asarray(base.T), axis=1))


def _layouts(x: Arr) -> dict[str, Any]:
    """The same values as ``x`` (3-D) in many memory layouts."""
    big = np.zeros(tuple(2 * d + 1 for d in x.shape), x.dtype)
    big[1::2, 1::2, 1::2] = x
    perm = (2, 0, 1)
    inv = tuple(np.argsort(perm))
    out: dict[str, Any] = {
        "contiguous": jnp.array(x),
        "transposed": jnp.array(np.ascontiguousarray(np.transpose(x, perm))).transpose(inv),
        "stepped": jnp.array(big)[1::2, 1::2, 1::2],
        "reversed": jnp.flip(jnp.array(np.ascontiguousarray(x[::-1, :, ::-1])), (0, 2)),
        "stepped_transposed": jnp.array(np.ascontiguousarray(np.transpose(big, perm)))
        .transpose(inv)[1::2, 1::2, 1::2],
        "reversed_stepped": jnp.flip(jnp.array(np.ascontiguousarray(big[::-1, :, ::-1]))[1::2, 1::2, 1::2], (0, 2)),
        "broadcast_row": jnp.broadcast_to(jnp.array(x[:1, :1, :]), x.shape),
    }
    return out


_UFUNCS = {"sum": np.add, "prod": np.multiply, "max": np.maximum, "min": np.minimum}
_PRIMS = {"sum": cum.cumsum_p, "prod": cum.cumprod_p, "max": cum.cummax_p, "min": cum.cummin_p}


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "stepped", "reversed", "stepped_transposed",
                                    "reversed_stepped", "broadcast_row"])
@pytest.mark.parametrize("op", ["sum", "prod", "max", "min"])
@pytest.mark.parametrize("dt", ["float32", "int64"])
def test_scan_kernel_on_layouts(layout: str, op: str, dt: str, kernel_path: str) -> None:
    rng = np.random.default_rng(2)
    x = (rng.standard_normal((5, 6, 19)) * (1.1 if op == "prod" else 10)).astype(dt)
    if dt == "float32":
        x[1, 2, 3] = np.nan
    v = _layouts(x)[layout]
    xv = np.asarray(v)
    for axis in range(3):
        for reverse in (False, True):
            got = np.asarray(_PRIMS[op].bind(v, axis=axis, reverse=reverse))
            with np.errstate(all="ignore"):
                if reverse:
                    ref = np.flip(_UFUNCS[op].accumulate(np.flip(xv, axis), axis=axis, dtype=xv.dtype), axis)
                else:
                    ref = _UFUNCS[op].accumulate(xv, axis=axis, dtype=xv.dtype)
            # same order of operations as NumPy: bit-identical, NaNs included
            np.testing.assert_array_equal(got, ref, err_msg=f"{layout} {op} axis={axis} reverse={reverse}")


def test_scan_kernel_booleans_and_long_rows() -> None:
    rng = np.random.default_rng(3)
    b = rng.random((3, 70)) < 0.2
    for prim, uf in ((cum.cummax_p, np.logical_or), (cum.cummin_p, np.logical_and)):
        for axis in (0, 1):
            got = prim.bind(jnp.array(b).T, axis=1 - axis, reverse=False)
            np.testing.assert_array_equal(got, uf.accumulate(b.T, axis=1 - axis))
    x = rng.standard_normal((64, 1000)).astype(np.float32)  # vectorised row updates
    np.testing.assert_array_equal(jnp.cumsum(jnp.array(x), axis=0), np.cumsum(x, axis=0))
    np.testing.assert_array_equal(jnp.cumsum(jnp.array(x), axis=1), np.cumsum(x, axis=1))


def test_searchsorted_strided_and_sorted_keys() -> None:
    rng = np.random.default_rng(4)
    a = np.sort(rng.integers(0, 50, 200)).astype(np.float64)
    big = np.zeros(400)
    big[::2] = a[::-1]
    sv = jnp.flip(jnp.array(big)[::2])  # negative stride of 2, read in place
    keys = np.concatenate([np.sort(rng.uniform(-5, 55, 300)), rng.uniform(-5, 55, 300), a[::7]])
    for side in ("left", "right"):
        np.testing.assert_array_equal(jnp.searchsorted(sv, jnp.array(keys), side=side),
                                      np.searchsorted(a, keys, side=side))


# --- unique under jit -----------------------------------------------------------------------
def _np_unique_sized(x: Arr, size: int, fill: Any, equal_nan: bool) -> Arr:
    u = np.unique(x, equal_nan=equal_nan)
    f = u[0] if fill is None else fill
    return np.concatenate([u[:size], np.full(max(0, size - u.shape[0]), f, u.dtype)])


@given(st.data())
def test_unique_with_size_under_jit_matches_numpy(data: Any) -> None:
    dt = data.draw(st.sampled_from(["float32", "int8", "uint8", "bool", "int32"]))
    dtype = np.dtype(dt)
    if dtype.kind == "f":
        el: Any = st.sampled_from([-1.0, 0.0, 2.5, np.inf, -np.inf, np.nan])
    elif dtype.kind == "b":
        el = st.booleans()
    else:
        info = np.iinfo(dtype)
        el = st.sampled_from([int(info.min), 0, 1, int(info.max)])  # the filler value included
    x = data.draw(hnp.arrays(dtype, data.draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=5)),
                             elements=el))
    size = data.draw(st.integers(0, 8))
    fill = data.draw(st.sampled_from([None, 1]))
    equal_nan = data.draw(st.booleans())

    def f(v: Any) -> Any:
        return jnp.unique(v, size=size, fill_value=fill, equal_nan=equal_nan)

    ref = _np_unique_sized(x, size, fill, equal_nan)
    eager = f(jnp.array(x))
    traced = fl.jit(f)(jnp.array(x))
    np.testing.assert_array_equal(eager, ref)
    np.testing.assert_array_equal(traced, ref)
    assert traced.dtype == eager.dtype == x.dtype


def test_unique_with_size_pads_index_outputs() -> None:
    vals, idx, inv, counts = jnp.unique(jnp.array([[3, 1], [1, 2]]), return_index=True, return_inverse=True,
                                        return_counts=True, size=5)
    assert vals.tolist() == [1, 2, 3, 1, 1]
    assert idx.tolist() == [1, 3, 0, 1, 1]
    assert inv.tolist() == [[2, 0], [0, 1]]
    assert counts.tolist() == [2, 1, 1, 0, 0]


def test_unique_axis() -> None:
    x = np.array([[1, 2], [0, 5], [1, 2]], np.int32)
    np.testing.assert_array_equal(jnp.unique(jnp.array(x), axis=0), np.unique(x, axis=0))
    with pytest.raises(ValueError, match=r"axis 2 .* dimension 2"):
        jnp.unique(jnp.array(x), axis=2)


# --- jit agrees with eager ----------------------------------------------------------------
def test_jit_matches_eager() -> None:
    x = jnp.array(np.random.default_rng(5).standard_normal((4, 7)).astype(np.float32))
    fns = [
        lambda v: jnp.sort(v, axis=0, descending=True),
        lambda v: jnp.argsort(v, axis=1),
        lambda v: jnp.cumsum(v, axis=0),
        lambda v: jnp.cumulative_prod(v, axis=1, include_initial=True),
        lambda v: jnp.quantile(v, [0.1, 0.5], axis=1, keepdims=True),
        lambda v: jnp.searchsorted(jnp.sort(v[0]), v),
        lambda v: cum.cummax_p.bind(v, axis=1, reverse=True),
    ]
    for fn in fns:
        np.testing.assert_array_equal(fl.jit(fn)(x), fn(x))
