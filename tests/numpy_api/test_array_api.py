"""Array API conformance of ``functorch_lite.numpy`` (the namespace
``x.__array_namespace__()`` returns): regression tests for what the external
suite (data-apis/array-api-tests, not part of CI) found, checked against
NumPy's semantics.
"""

from __future__ import annotations

import inspect
from typing import Any

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite.core import ConcretizationTypeError

CREATION = ["zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like", "full_like",
            "arange", "linspace", "eye", "asarray", "from_dlpack"]


# --- names and signatures ------------------------------------------------------------------
def test_namespace_and_version() -> None:
    x = jnp.ones(2)
    assert x.__array_namespace__() is jnp
    assert jnp.__array_api_version__ == "2024.12"
    for name in ["astype", "diff", "isin", "unique_all", "unique_counts", "unique_inverse",
                 "unique_values", "unstack", "from_dlpack", "__array_namespace_info__"]:
        assert callable(getattr(jnp, name)), name


@pytest.mark.parametrize("name", CREATION)
def test_creation_functions_take_device(name: Any) -> None:
    p = inspect.signature(getattr(jnp, name)).parameters["device"]
    assert p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is None


@pytest.mark.parametrize("device", [None, "cpu", fl.devices()[0], jnp.ones(1).device])
def test_device_keyword_accepts_the_cpu(device: Any) -> None:
    x = jnp.ones(3)
    outs = [jnp.zeros(2, device=device), jnp.ones(2, device=device), jnp.empty(2, device=device),
            jnp.full(2, 3.0, device=device), jnp.zeros_like(x, device=device),
            jnp.ones_like(x, device=device), jnp.empty_like(x, device=device),
            jnp.full_like(x, 1, device=device), jnp.arange(3, device=device),
            jnp.linspace(0, 1, 3, device=device), jnp.eye(2, device=device),
            jnp.astype(x, jnp.int32, device=device)]
    assert all(o.device == x.device for o in outs)


def test_device_keyword_rejects_other_devices() -> None:
    with pytest.raises(ValueError, match="CPU only"):
        jnp.zeros(2, device="cuda")
    with pytest.raises(ValueError, match="CPU only"):
        jnp.arange(2, device="gpu")


def test_isdtype_signature_names() -> None:
    assert list(inspect.signature(jnp.isdtype).parameters) == ["dtype", "kind"]
    assert jnp.isdtype(dtype=jnp.int8, kind="integral")


def test_dlpack_signature_and_roundtrip() -> None:
    x = jnp.arange(4.0)
    params = inspect.signature(x.__dlpack__).parameters
    assert {"stream", "max_version", "dl_device", "copy"} <= set(params)
    np.testing.assert_array_equal(np.from_dlpack(x), np.arange(4.0))
    np.testing.assert_array_equal(np.from_dlpack(x, copy=True), np.arange(4.0))
    y = jnp.from_dlpack(np.arange(3, dtype=np.int16))
    assert y.dtype == np.int16 and y.tolist() == [0, 1, 2]
    assert jnp.from_dlpack(x) is x and jnp.from_dlpack(x, copy=False) is x
    assert jnp.from_dlpack(x, copy=True) is not x
    with pytest.raises(TypeError, match="__dlpack__"):
        jnp.from_dlpack([1, 2])


# --- inspection ------------------------------------------------------------------------------
def test_scalar_types_never_equal_none() -> None:
    # np.dtype(None) is float64; a dtype must still not compare equal to None (as NumPy's/JAX's types)
    assert jnp.float64 != None  # noqa: E711
    assert None != jnp.float64  # noqa: E711
    assert jnp.float64 == "float64" and jnp.float64 == np.float64


def test_namespace_info() -> None:
    info = jnp.__array_namespace_info__()
    caps = info.capabilities()
    assert set(caps) == {"boolean indexing", "data-dependent shapes", "max dimensions"}
    assert info.default_device() == jnp.ones(1).device
    assert info.devices() == [info.default_device()]
    d = info.default_dtypes()
    assert d == {"real floating": np.float64, "complex floating": np.complex128,
                 "integral": np.int64, "indexing": np.int64}
    assert set(info.dtypes()) == {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16",
                                  "uint32", "uint64", "float32", "float64", "complex64", "complex128"}
    assert set(info.dtypes(kind="unsigned integer")) == {"uint8", "uint16", "uint32", "uint64"}
    assert set(info.dtypes(kind=("bool", jnp.float32))) == {"bool", "float32"}
    assert info.default_dtypes(device="cpu") == d
    with pytest.raises(ValueError, match="CPU only"):
        info.dtypes(device="cuda")


def test_namespace_info_32_bit(x64_off: None) -> None:
    info = jnp.__array_namespace_info__()
    assert info.default_dtypes()["real floating"] == np.float32
    assert info.default_dtypes()["indexing"] == np.int32
    assert "float64" not in info.dtypes() and "int32" in info.dtypes()


# --- statistical: correction ------------------------------------------------------------------
@pytest.mark.parametrize("correction", [0, 1, 0.5, 3])
@pytest.mark.parametrize("fn", ["std", "var"])
def test_correction_is_ddof(fn: str, correction: float) -> None:
    a = np.random.default_rng(0).normal(size=(3, 4))
    got = getattr(jnp, fn)(jnp.asarray(a), axis=1, correction=correction)
    np.testing.assert_allclose(got, getattr(np, fn)(a, axis=1, ddof=correction), rtol=1e-12)
    with pytest.raises(ValueError, match="both given"):
        getattr(jnp, fn)(jnp.asarray(a), ddof=1, correction=1)


# --- data types -----------------------------------------------------------------------------
def test_astype_function() -> None:
    x = jnp.arange(3)
    assert jnp.astype(x, jnp.float32).dtype == np.float32
    assert jnp.astype(x, x.dtype) is x
    y = jnp.astype(x, x.dtype, copy=True)
    assert y is not x and y.tolist() == [0, 1, 2]


@pytest.mark.parametrize(("args", "want"), [
    ((jnp.bool_, jnp.bool_, True), np.bool_),
    ((jnp.int8, 1), np.int8),
    ((jnp.uint8, 1), np.uint8),
    ((jnp.int8, 1.0), np.float64),
    ((jnp.float32, 1j), np.complex64),
    ((jnp.int8, jnp.float32), np.float32),
    ((jnp.int8, jnp.uint8), np.int16),
])
def test_result_type_takes_scalars_and_arrays(args: Any, want: Any) -> None:
    assert jnp.result_type(*args) == want


def test_result_type_arrays() -> None:
    assert jnp.result_type(jnp.ones(2, dtype=jnp.int16), jnp.int8) == np.int16
    assert jnp.result_type(jnp.asarray(1), jnp.int8) == np.int8  # a weak array adopts the dtype
    with pytest.raises(TypeError, match="at least one"):
        jnp.result_type()


# --- utility: diff --------------------------------------------------------------------------
@settings(max_examples=20, deadline=None)
@given(a=hnp.arrays(st.sampled_from([np.int32, np.float64, np.bool_]),
                    hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4)),
       n=st.integers(0, 3), data=st.data())
def test_diff_matches_numpy(a: Any, n: int, data: Any) -> None:
    axis = data.draw(st.integers(-a.ndim, a.ndim - 1))
    np.testing.assert_array_equal(jnp.diff(jnp.asarray(a), n=n, axis=axis), np.diff(a, n=n, axis=axis))


def test_diff_prepend_append() -> None:
    a = np.arange(6.0).reshape(2, 3) ** 2
    got = jnp.diff(jnp.asarray(a), axis=1, prepend=-1.0, append=jnp.ones((2, 1)))
    np.testing.assert_array_equal(got, np.diff(a, axis=1, prepend=-1.0, append=np.ones((2, 1))))
    assert jnp.diff(jnp.ones(3), n=10**9).shape == (0,)  # a huge n stays fast
    with pytest.raises(ValueError, match="0-d"):
        jnp.diff(jnp.asarray(1.0))
    with pytest.raises(ValueError, match="out of bounds"):
        jnp.diff(jnp.ones(3), axis=1)


# --- sets ---------------------------------------------------------------------------------
@settings(max_examples=20, deadline=None)
@given(x=hnp.arrays(np.int8, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
                    elements=st.integers(-3, 3)),
       t=hnp.arrays(np.int8, st.integers(0, 5), elements=st.integers(-3, 3)), invert=st.booleans())
def test_isin_matches_numpy(x: Any, t: Any, invert: bool) -> None:
    got = jnp.isin(jnp.asarray(x), jnp.asarray(t), invert=invert)
    assert got.shape == x.shape and got.dtype == np.bool_
    np.testing.assert_array_equal(got, np.isin(x, t, invert=invert))


def test_unique_family_nans_distinct_and_inverse_shape() -> None:
    a = np.array([[2.0, np.nan, 1.0], [2.0, np.nan, 2.0]])
    x = jnp.asarray(a)
    r = jnp.unique_all(x)
    assert r._fields == ("values", "indices", "inverse_indices", "counts")
    np.testing.assert_array_equal(r.values, [1.0, 2.0, np.nan, np.nan])
    np.testing.assert_array_equal(r.counts, [1, 3, 1, 1])
    assert r.inverse_indices.shape == a.shape
    np.testing.assert_array_equal(r.values[r.inverse_indices], a)
    np.testing.assert_array_equal(np.asarray(a).reshape(-1)[np.asarray(r.indices)], r.values)
    c = jnp.unique_counts(x)
    assert c._fields == ("values", "counts") and c.counts.tolist() == [1, 3, 1, 1]
    i = jnp.unique_inverse(x)
    assert i._fields == ("values", "inverse_indices")
    np.testing.assert_array_equal(i.inverse_indices, r.inverse_indices)
    assert jnp.unique_values(x).shape == (4,)  # each NaN distinct, as the standard and JAX
    assert r.indices.dtype == np.int64


def test_unique_family_0d_inverse_keeps_shape() -> None:
    x = jnp.asarray(False)
    assert jnp.unique_all(x).inverse_indices.shape == ()
    assert jnp.unique_inverse(x).inverse_indices.shape == ()
    assert jnp.unique_counts(x).values.shape == (1,)


def test_unique_family_refuses_tracers() -> None:
    with pytest.raises(ConcretizationTypeError, match="unique_counts"):
        fl.jit(jnp.unique_counts)(jnp.ones(3))


# --- manipulation -------------------------------------------------------------------------
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_unstack(axis: int) -> None:
    a = np.arange(24).reshape(2, 3, 4)
    got = jnp.unstack(jnp.asarray(a), axis=axis)
    assert isinstance(got, tuple) and len(got) == a.shape[axis]
    for g, w in zip(got, np.moveaxis(a, axis, 0)):
        np.testing.assert_array_equal(g, w)
    with pytest.raises(ValueError, match="0-d"):
        jnp.unstack(jnp.asarray(1))


def test_reshape_accepts_copy() -> None:
    assert jnp.reshape(jnp.arange(6), (2, 3), copy=True).shape == (2, 3)
    assert jnp.reshape(jnp.arange(6), (3, 2), copy=None).shape == (3, 2)


# --- searching ------------------------------------------------------------------------------
@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted_sorter(side: Any) -> None:
    a = np.array([3.0, 1.0, 2.0, 2.0, 5.0])
    v = np.array([0.0, 2.0, 2.5, 9.0])
    sorter = np.argsort(a, kind="stable")
    got = jnp.searchsorted(jnp.asarray(a), jnp.asarray(v), side=side, sorter=jnp.asarray(sorter))
    np.testing.assert_array_equal(got, np.searchsorted(a, v, side=side, sorter=sorter))
    with pytest.raises(ValueError, match="sorter must be an integer array"):
        jnp.searchsorted(jnp.asarray(a), jnp.asarray(v), sorter=jnp.ones(5))


@pytest.mark.parametrize(("shape", "axis"), [((), -2), ((), 1), ((3,), 2), ((3,), -3), ((2, 2), (0, 4))])
def test_expand_dims_out_of_range_is_index_and_value_error(shape: Any, axis: Any) -> None:
    for err in (IndexError, ValueError):  # the Array API asks IndexError; JAX raises ValueError
        with pytest.raises(err, match="out of bounds"):
            jnp.expand_dims(jnp.zeros(shape), axis)
    assert jnp.expand_dims(jnp.zeros(3), -2).shape == (1, 3)


# --- indexing -------------------------------------------------------------------------------
@pytest.mark.parametrize(("xs", "ms"), [((0, 1), (0, 0)), ((2, 3), (0, 3)), ((2, 3), (2, 0)), ((3,), (0,)),
                                        ((2, 3), (0, 0)), ((2, 3), (2,))])
def test_empty_mask_axis_selects_nothing(xs: Any, ms: Any) -> None:
    a = np.arange(int(np.prod(xs)), dtype=np.float64).reshape(xs)
    m = np.zeros(ms, bool)
    got = jnp.asarray(a)[jnp.asarray(m)]
    np.testing.assert_array_equal(got, a[m])
    assert got.shape == a[m].shape


def test_mask_size_mismatch_still_raises() -> None:
    with pytest.raises(IndexError, match="boolean index did not match"):
        jnp.zeros((2, 3))[jnp.zeros((3,), dtype=bool)]


def test_take_along_axis_default_axis_is_last() -> None:
    a = np.array([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    i = np.argsort(a, axis=-1)
    np.testing.assert_array_equal(jnp.take_along_axis(jnp.asarray(a), jnp.asarray(i)), np.sort(a, axis=-1))
    assert jnp.take_along_axis(jnp.asarray([True]), jnp.zeros(0, dtype=jnp.int64)).shape == (0,)
