"""The Array object: NumPy/DLPack interop, the Array API namespace, repr,
Python conversions, 0-d and empty arrays, immutability and weak types."""

from __future__ import annotations

import copy
import operator
import pickle
from typing import Any

import numpy as np
import pytest

import functorch_lite
import functorch_lite.numpy as jnp
from functorch_lite.array import Array, Storage

# --- __array__ -----------------------------------------------------------------------------------


def test_asarray_is_zero_copy_and_read_only() -> None:
    x = jnp.arange(12.0).reshape(3, 4)
    a = np.asarray(x)
    assert a.dtype == np.float32 and a.shape == (3, 4)
    assert np.shares_memory(a, x.storage().numpy())
    assert a.__array_interface__["data"][0] == x.storage().data_ptr()
    assert not a.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        a[0, 0] = 5.0
    assert x.tolist()[0][0] == 0.0


def test_read_only_flag_cannot_be_switched_back_on() -> None:
    x = jnp.arange(3.0)
    a = np.asarray(x)
    with pytest.raises(ValueError):
        a.flags.writeable = True


def test_asarray_of_views_shares_memory_with_numpy_strides() -> None:
    x = jnp.arange(24).reshape(2, 3, 4)
    for y in (x.T, x[:, ::-2, 1:], jnp.diagonal(x, 0, 0, 2), jnp.broadcast_to(x[:, :1], (2, 5, 4))):
        a = np.asarray(y)
        assert np.shares_memory(a, x.storage().numpy())
        assert a.strides == y.strides == tuple(s * 4 for s in y.stride())
        assert not a.flags.writeable
        np.testing.assert_array_equal(a, np.array(y.tolist()).reshape(y.shape))


def test_array_copy_true_copies() -> None:
    x = jnp.arange(6.0)
    for a in (np.array(x, copy=True), np.asarray(x, copy=True), np.array(x)):
        assert not np.shares_memory(a, np.asarray(x))
        assert a.flags.writeable
        a[0] = 42.0
        assert float(x[0]) == 0.0
    a = np.asarray(x, copy=False)
    assert np.shares_memory(a, np.asarray(x))


def test_array_with_dtype() -> None:
    x = jnp.arange(3)
    a = np.asarray(x, dtype=np.float64)
    assert a.dtype == np.float64 and a.tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(ValueError, match="copy"):
        np.asarray(x, dtype=np.float64, copy=False)
    assert np.asarray(x, dtype=np.int32, copy=False).dtype == np.int32


def test_numpy_functions_accept_arrays() -> None:
    x = jnp.arange(6.0).reshape(2, 3)
    assert np.sum(np.asarray(x)) == 15.0
    np.testing.assert_array_equal(np.transpose(np.asarray(x)), np.arange(6.0).reshape(2, 3).T)
    # NumPy ufuncs defer to our reflected operators instead of converting
    out = np.float32(2.0) * x
    assert isinstance(out, Array) and out.dtype == np.float32


def test_numpy_method_is_read_only_view() -> None:
    x = jnp.arange(4)
    v = x.numpy()
    assert np.shares_memory(v, np.asarray(x)) and not v.flags.writeable


# --- DLPack -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["bool", "int8", "int16", "int32", "int64", "uint8", "float32", "float64"])
def test_dlpack_round_trip_numpy(dtype: str) -> None:
    x = jnp.asarray(np.arange(12).reshape(3, 4).astype(dtype))
    for y in (x, x.T, x[1:, ::2]):
        a = np.from_dlpack(y)
        assert a.dtype == y.dtype and a.shape == y.shape
        np.testing.assert_array_equal(a, np.asarray(y))
        assert np.shares_memory(a, x.storage().numpy())
        assert not a.flags.writeable
        # and back: a NumPy array (of the DLPack data) becomes an equal Array
        z = jnp.asarray(a)
        assert z.tolist() == y.tolist() and z.dtype == y.dtype
    assert x.__dlpack_device__() == (1, 0)


def test_dlpack_negative_strides() -> None:
    x = jnp.arange(5.0)
    a = np.from_dlpack(jnp.flip(x))
    assert a.tolist() == [4.0, 3.0, 2.0, 1.0, 0.0]


def test_dlpack_torch_if_available() -> None:
    torch = pytest.importorskip("torch")
    x = jnp.arange(6.0).reshape(2, 3)
    t = torch.from_dlpack(x)
    assert t.tolist() == x.tolist() and t.dtype == torch.float32


# --- Array API namespace ------------------------------------------------------------------------


def test_array_namespace() -> None:
    x = jnp.ones(3)
    assert x.__array_namespace__() is functorch_lite.numpy
    assert x.__array_namespace__(api_version="2023.12") is jnp
    xp = x.__array_namespace__()
    assert float(xp.sum(x)) == 3.0


# --- repr / str -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make,expected",
    [
        (lambda: jnp.array([1.0, 2.5]), "Array([1. , 2.5])"),
        (lambda: jnp.array([1, 2]), "Array([1, 2])"),
        (lambda: jnp.array([True, False]), "Array([ True, False])"),
        (lambda: jnp.array([1, 2], dtype=jnp.int8), "Array([1, 2], dtype=int8)"),
        (lambda: jnp.array([1, 2], dtype=jnp.uint8), "Array([1, 2], dtype=uint8)"),
        (lambda: jnp.array([1, 2], dtype=jnp.int16), "Array([1, 2], dtype=int16)"),
        (lambda: jnp.array([1, 2], dtype=jnp.int64), "Array([1, 2], dtype=int64)"),
        (lambda: jnp.array([0.5], dtype=jnp.float64), "Array([0.5], dtype=float64)"),
        (lambda: jnp.array(3.0), "Array(3.)"),
        (lambda: jnp.array(3, dtype=jnp.int8), "Array(3, dtype=int8)"),
        (lambda: jnp.zeros(0), "Array([], dtype=float32)"),
        (lambda: jnp.zeros((2, 0), dtype=jnp.int64), "Array([], shape=(2, 0), dtype=int64)"),
        (lambda: jnp.asarray(2.0), "Array(2., weak_type=True)"),
        (lambda: jnp.arange(6).reshape(2, 3), "Array([[0, 1, 2],\n       [3, 4, 5]])"),
    ],
)
def test_repr(make: Any, expected: str) -> None:
    assert repr(make()) == expected


@pytest.mark.parametrize("dtype", ["bool", "int8", "int16", "int32", "int64", "uint8", "float32", "float64"])
def test_repr_matches_numpy_layout(dtype: str) -> None:
    """Same body as NumPy's repr; dtype shown unless it is a default
    (float32, int32, bool)."""
    a = (np.arange(-3, 9).reshape(3, 4) * 1.5).astype(dtype)
    x = jnp.asarray(a)
    np_body = np.array2string(a, separator=", ", prefix="Array(")
    suffix = "" if dtype in ("float32", "int32", "bool") else f", dtype={dtype}"
    assert repr(x) == f"Array({np_body}{suffix})"
    assert repr(x.T) == f"Array({np.array2string(a.T, separator=', ', prefix='Array(')}{suffix})"
    assert str(x) == str(a)


def test_large_repr_is_summarised_like_numpy() -> None:
    x = jnp.arange(5000)
    r = repr(x)
    assert "..." in r and r.startswith("Array([   0,    1,    2") and len(r) < 200


def test_format() -> None:
    assert f"{jnp.array(2.5):.3f}" == "2.500"
    assert f"{jnp.array([1, 2])}" == "[1 2]"


# --- Python conversions ---------------------------------------------------------------------------


def test_tolist_and_item_give_python_scalars() -> None:
    assert jnp.array([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert jnp.array(3).tolist() == 3
    for x, typ in ((jnp.array(3), int), (jnp.array(3.5), float), (jnp.array(True), bool),
                   (jnp.array([7], dtype=jnp.uint8), int), (jnp.array([[2.0]], dtype=jnp.float64), float)):
        v = x.item()
        assert type(v) is typ
        assert type(x.tolist() if x.ndim == 0 else x.tolist()[0]) in (typ, list)
    with pytest.raises(ValueError, match=r"exactly one element.*\(2,\)"):
        jnp.ones(2).item()


def test_float_int_bool_index() -> None:
    assert float(jnp.array([2.5])) == 2.5 and type(float(jnp.array(1))) is float
    assert int(jnp.array(7.9)) == 7 and int(jnp.array(-7.9)) == -7
    assert bool(jnp.array([0])) is False and bool(jnp.array(2.0)) is True
    assert operator.index(jnp.array(3)) == 3
    assert operator.index(jnp.array(3, dtype=jnp.uint8)) == 3
    assert [10, 20, 30][jnp.array(2)] == 30
    assert list(range(10))[jnp.array(1):jnp.array(3)] == [1, 2]
    with pytest.raises(TypeError, match="float32"):
        operator.index(jnp.array(3.0))
    with pytest.raises(TypeError, match="one element"):
        operator.index(jnp.array([1, 2]))
    assert jnp.arange(10)[jnp.array(4)].item() == 4


def test_len_and_iter() -> None:
    x = jnp.arange(6).reshape(3, 2)
    assert len(x) == 3
    rows = list(x)
    assert len(rows) == 3 and all(isinstance(r, Array) and r.shape == (2,) for r in rows)
    assert [r.tolist() for r in rows] == [[0, 1], [2, 3], [4, 5]]
    assert all(r.storage() is x.storage() for r in rows)  # rows are views
    assert [int(v) for v in jnp.arange(3)] == [0, 1, 2]
    a, b = jnp.array([1.0, 2.0])
    assert float(a) == 1.0 and float(b) == 2.0
    with pytest.raises(TypeError, match="0-d"):
        len(jnp.array(1))
    with pytest.raises(TypeError, match="0-d"):
        iter(jnp.array(1))
    with pytest.raises(TypeError, match="0-d"):
        list(jnp.array(1))


def test_metadata() -> None:
    x = jnp.zeros((2, 3, 4), dtype=jnp.int16)
    assert x.shape == (2, 3, 4) and x.ndim == 3 and x.size == 24
    assert x.dtype == np.int16 and x.itemsize == 2 and x.nbytes == 48
    assert x.stride() == (12, 4, 1) and x.stride(1) == 4 and x.stride(-1) == 1
    assert x.strides == (24, 8, 2)
    assert x.storage_offset() == 0
    assert isinstance(x.storage(), Storage) and len(x.storage()) == 24
    with pytest.raises(IndexError, match="dimension 3"):
        x.stride(3)
    assert x.block_until_ready() is x


# --- 0-d and zero-size arrays ---------------------------------------------------------------------


def test_zero_d_arrays() -> None:
    x = jnp.array(5.0)
    assert x.shape == () and x.ndim == 0 and x.size == 1 and x.stride() == ()
    assert x.tolist() == 5.0 and x.item() == 5.0
    assert x[()].item() == 5.0 and x[...].shape == () and x[None].shape == (1,)
    assert (x + 1).shape == () and jnp.sum(x).shape == ()
    assert x.reshape(1, 1).shape == (1, 1) and x.reshape(()).shape == ()
    assert x.T.shape == () and x.is_contiguous()
    assert np.asarray(x).shape == ()
    with pytest.raises(IndexError):
        x[0]


@pytest.mark.parametrize("shape", [(0,), (0, 3), (3, 0), (2, 0, 4)])
def test_zero_size_arrays(shape: tuple[int, ...]) -> None:
    x = jnp.zeros(shape)
    a = np.zeros(shape, np.float32)
    assert x.size == 0 and x.shape == shape and len(x) == shape[0]
    assert x.tolist() == a.tolist() and list(x) == [] if shape[0] == 0 else True
    assert np.asarray(x).shape == shape
    assert (x + 1).shape == shape and jnp.exp(x).shape == shape
    assert float(jnp.sum(x)) == 0.0
    np.testing.assert_array_equal(np.asarray(jnp.sum(x, axis=-1)), a.sum(axis=-1))
    assert x.T.shape == a.T.shape and x.reshape(-1).shape == (0,)
    assert x.is_contiguous() and x.T.is_contiguous() and x.clone().shape == shape
    assert x[::-1].shape == a[::-1].shape
    with pytest.raises(ValueError):
        bool(x)


# --- immutability, hashing, pickling ---------------------------------------------------------------


def test_setitem_raises_naming_at() -> None:
    x = jnp.zeros(3)
    for idx in (0, slice(1, 2), (Ellipsis,)):
        with pytest.raises(TypeError, match=r"\.at\["):
            x[idx] = 1.0
    assert x.tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(TypeError, match="immutable"):
        x[0] += 1


def test_attributes_cannot_be_set() -> None:
    x = jnp.zeros(3)
    with pytest.raises(AttributeError):
        x.shape = (3, 1)  # type: ignore[misc]
    with pytest.raises(AttributeError):
        x.foo = 1  # type: ignore[attr-defined]


def test_hash_raises() -> None:
    x = jnp.zeros(3)
    with pytest.raises(TypeError, match="unhashable"):
        hash(x)
    with pytest.raises(TypeError):
        _ = {x: 1}
    with pytest.raises(TypeError):
        hash(jnp.array(1.0))


def test_pickle_raises_clear_message() -> None:
    x = jnp.arange(3)
    for proto in range(pickle.HIGHEST_PROTOCOL + 1):
        with pytest.raises(TypeError, match="not pickled.*numpy.save"):
            pickle.dumps(x, protocol=proto)
    with pytest.raises(TypeError, match="not pickled"):
        pickle.dumps([{"w": x.T}])


def test_copy_module() -> None:
    """copy.copy/deepcopy work without pickling (an immutable array may be shared)."""
    x = jnp.arange(3)
    tree = {"w": x, "b": [x.T, 1.0]}
    for y in (copy.copy(x), copy.deepcopy(x)):
        assert isinstance(y, Array) and y.tolist() == x.tolist()
    t2 = copy.deepcopy(tree)
    assert t2["w"].tolist() == [0, 1, 2] and t2["b"][1] == 1.0


# --- weak types ------------------------------------------------------------------------------------


def test_weak_type_propagation() -> None:
    x = jnp.float32(1) * 2.0
    assert x.dtype == np.float32 and x.weak_type is False
    assert (2.0 * jnp.float32(1)).dtype == np.float32
    w = jnp.asarray(1.5)
    assert w.weak_type is True and w.dtype == np.float32
    assert (w * 2).weak_type is True
    assert (w * jnp.ones(2, jnp.float64)).dtype == np.float64  # weak adopts the array's dtype
    assert (w * jnp.ones(2, jnp.float64)).weak_type is False
    assert jnp.asarray(1).weak_type and jnp.asarray(True).weak_type
    assert jnp.ones(2).weak_type is False and jnp.array([1.0]).weak_type is False


def test_numpy_scalars_are_strong() -> None:
    x = jnp.ones(2, jnp.float32) * np.float64(2.0)
    assert x.dtype == np.float64
    assert jnp.asarray(np.int8(3)).weak_type is False and jnp.asarray(np.int8(3)).dtype == np.int8


def test_array_constructor_copies_numpy_input() -> None:
    a = np.arange(4.0)
    x = jnp.asarray(a)
    a[0] = 99.0
    assert float(x[0]) == 0.0  # immutable: later writes to the source are not seen
