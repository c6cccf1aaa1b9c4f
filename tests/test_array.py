"""The Array object: NumPy/DLPack interop, the Array API namespace, repr,
Python conversions, 0-d and empty arrays, immutability, weak types, and the
operators and methods (on arrays and tracers alike)."""

from __future__ import annotations

import copy
import operator
import pickle
from typing import Any

import numpy as np
import pytest

import functorch_lite
import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite.array import Array, ArrayOps, Storage, _NotInstalled
from functorch_lite.numpy._methods import NumpyOps

# --- __array__ -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
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


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
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


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
def test_array_with_dtype() -> None:
    x = jnp.arange(3)
    a = np.asarray(x, dtype=np.float64)
    assert a.dtype == np.float64 and a.tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(ValueError, match="copy"):
        np.asarray(x, dtype=np.float64, copy=False)
    assert np.asarray(x, dtype=np.int32, copy=False).dtype == np.int32


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
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


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
def test_dlpack_torch_if_available() -> None:
    torch = pytest.importorskip("torch")
    x = jnp.arange(6.0).reshape(2, 3)
    t = torch.from_dlpack(x)
    assert t.tolist() == x.tolist() and t.dtype == torch.float32


def _address(a: Any) -> int:
    return int(np.asarray(a).__array_interface__["data"][0])


def test_from_dlpack_shares_read_only_buffers_and_copies_writable_ones() -> None:
    ro = np.arange(12.0).reshape(3, 4)
    ro.flags.writeable = False
    y = jnp.from_dlpack(ro)
    assert np.shares_memory(np.asarray(y), ro) and y.tolist() == ro.tolist()
    assert not np.asarray(y).flags.writeable
    w = np.arange(4.0)
    copied, shared = jnp.from_dlpack(w), jnp.from_dlpack(w, copy=False)
    assert not np.shares_memory(np.asarray(copied), w) and np.shares_memory(np.asarray(shared), w)
    w[0] = 7.0  # the explicit alias follows the exporter's writes; the default copy does not
    assert shared.tolist()[0] == 7.0 and copied.tolist()[0] == 0.0
    assert not np.shares_memory(np.asarray(jnp.from_dlpack(ro, copy=True)), ro)
    assert float(jnp.sum(y * 2)) == float((ro * 2).sum())


def test_from_dlpack_zero_copy_from_jax_and_torch() -> None:
    torch = pytest.importorskip("torch")
    jax = pytest.importorskip("jax")
    j = jax.numpy.arange(6.0).reshape(2, 3)
    y = jnp.from_dlpack(j)  # JAX exports read-only: shared
    assert _address(y) == _address(np.from_dlpack(j)) and y.tolist() == j.tolist()
    t = torch.arange(6.0).reshape(2, 3)
    assert _address(jnp.from_dlpack(t)) != t.data_ptr()  # writable: copied
    assert _address(jnp.from_dlpack(t, copy=False)) == t.data_ptr()
    x = jnp.arange(6.0).reshape(2, 3)  # and out: torch and JAX read our buffer in place
    assert torch.from_dlpack(x).data_ptr() == _address(x)
    assert jax.numpy.from_dlpack(x).tolist() == x.tolist()


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
        (lambda: fl.enable_x64()(lambda: jnp.array([1, 2], dtype=jnp.int64))(), "Array([1, 2], dtype=int64)"),
        (lambda: fl.enable_x64()(lambda: jnp.array([0.5], dtype=jnp.float64))(), "Array([0.5], dtype=float64)"),
        (lambda: jnp.array(3.0), "Array(3.)"),
        (lambda: jnp.array(3, dtype=jnp.int8), "Array(3, dtype=int8)"),
        (lambda: jnp.zeros(0), "Array([], dtype=float32)"),
        (lambda: fl.enable_x64()(lambda: jnp.zeros((2, 0), dtype=jnp.int64))(), "Array([], shape=(2, 0), dtype=int64)"),
        (lambda: jnp.asarray(2.0), "Array(2., weak_type=True)"),
        (lambda: jnp.arange(6).reshape(2, 3), "Array([[0, 1, 2],\n       [3, 4, 5]])"),
    ],
)
@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
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


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
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


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
def test_weak_type_propagation() -> None:
    x = jnp.float32(1) * 2.0
    assert x.dtype == np.float32 and x.weak_type is False
    assert (2.0 * jnp.float32(1)).dtype == np.float32
    w = jnp.asarray(1.5)
    assert w.weak_type is True and w.dtype == np.float32
    assert (w * 2).weak_type is True
    with fl.enable_x64():
        f64 = jnp.ones(2, jnp.float64)
    assert (w * f64).dtype == np.float64  # weak adopts the array's dtype
    assert (w * f64).weak_type is False
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


# --- operators and methods ---------------------------------------------------------------------
# Each method is an ordinary method of ArrayMethods that calls the functorch_lite.numpy function
# of the same name (array.ArrayOps, filled by numpy._methods.NumpyOps); NumPy is the oracle.

_F = np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]], np.float32)
_I = np.array([[3, -6, 5], [12, 1, 7]], np.int32)
_S = np.array([[1, 2, 0], [3, 1, 2]], np.int32)  # small shift amounts / exponents

_METHOD_CASES: list[tuple[str, Any, Any]] = [
    # (name, function of the Array(s), the same on NumPy arrays)
    ("+", lambda x, y: x + y, lambda a, b: a + b),
    ("r+", lambda x, y: 2.0 + x, lambda a, b: np.float32(2.0) + a),
    ("-", lambda x, y: x - y, lambda a, b: a - b),
    ("r-", lambda x, y: 1.0 - x, lambda a, b: np.float32(1.0) - a),
    ("*", lambda x, y: x * y, lambda a, b: a * b),
    ("r*", lambda x, y: 3 * x, lambda a, b: 3 * a),
    ("/", lambda x, y: x / y, lambda a, b: a / b),
    ("r/", lambda x, y: 1.0 / x, lambda a, b: np.float32(1.0) / a),
    ("//", lambda x, y: x // y, lambda a, b: a // b),
    ("r//", lambda x, y: 7.0 // x, lambda a, b: np.float32(7.0) // a),
    ("%", lambda x, y: x % y, lambda a, b: a % b),
    ("r%", lambda x, y: 7.0 % x, lambda a, b: np.float32(7.0) % a),
    ("divmod", lambda x, y: divmod(x, y), lambda a, b: divmod(a, b)),
    ("**", lambda x, y: abs(x) ** y, lambda a, b: np.abs(a) ** b),
    ("r**", lambda x, y: 2.0 ** x, lambda a, b: np.float32(2.0) ** a),
    ("@", lambda x, y: x @ y.T, lambda a, b: a @ b.T),
    ("r@", lambda x, y: _F.T @ x, lambda a, b: _F.T @ a),
    ("neg", lambda x, y: -x, lambda a, b: -a),
    ("pos", lambda x, y: +x, lambda a, b: +a),
    ("abs", lambda x, y: abs(x), lambda a, b: np.abs(a)),
    ("==", lambda x, y: x == y, lambda a, b: a == b),
    ("!=", lambda x, y: x != y, lambda a, b: a != b),
    ("<", lambda x, y: x < y, lambda a, b: a < b),
    ("<=", lambda x, y: x <= y, lambda a, b: a <= b),
    (">", lambda x, y: x > y, lambda a, b: a > b),
    (">=", lambda x, y: x >= y, lambda a, b: a >= b),
    ("[]", lambda x, y: x[1, ::-2], lambda a, b: a[1, ::-2]),
    ("[[]]", lambda x, y: x[[1, 0, 1]], lambda a, b: a[[1, 0, 1]]),
    ("iter", lambda x, y: list(x), lambda a, b: list(a)),
    ("T", lambda x, y: x.T, lambda a, b: a.T),
    ("mT", lambda x, y: x.mT, lambda a, b: np.swapaxes(a, -1, -2)),
    ("astype", lambda x, y: x.astype("int32"), lambda a, b: a.astype(np.int32)),
    ("reshape", lambda x, y: x.reshape(3, 2), lambda a, b: a.reshape(3, 2)),
    ("reshape tuple", lambda x, y: x.reshape((1, 6)), lambda a, b: a.reshape((1, 6))),
    ("reshape F", lambda x, y: x.reshape(3, 2, order="F"), lambda a, b: a.reshape(3, 2, order="F")),
    ("transpose", lambda x, y: x.transpose(), lambda a, b: a.transpose()),
    ("transpose axes", lambda x, y: x.transpose((1, 0)), lambda a, b: a.transpose((1, 0))),
    ("permute", lambda x, y: x.permute(1, 0), lambda a, b: a.transpose(1, 0)),
    ("swapaxes", lambda x, y: x.swapaxes(0, 1), lambda a, b: a.swapaxes(0, 1)),
    ("squeeze", lambda x, y: x[:1].squeeze(0), lambda a, b: a[:1].squeeze(0)),
    ("ravel", lambda x, y: x.ravel(), lambda a, b: a.ravel()),
    ("flatten", lambda x, y: x.flatten(), lambda a, b: a.flatten()),
    ("diagonal", lambda x, y: x.diagonal(1), lambda a, b: a.diagonal(1)),
    ("sum", lambda x, y: x.sum(axis=0, keepdims=True), lambda a, b: a.sum(axis=0, keepdims=True)),
    ("sum dtype", lambda x, y: x.sum(dtype="float64"), lambda a, b: a.sum(dtype=np.float64)),
    ("prod", lambda x, y: x.prod(1), lambda a, b: a.prod(1)),
    ("mean", lambda x, y: x.mean(axis=(0, 1)), lambda a, b: a.mean(axis=(0, 1))),
    ("var", lambda x, y: x.var(axis=1, ddof=1), lambda a, b: a.var(axis=1, ddof=1)),
    ("std", lambda x, y: x.std(keepdims=True), lambda a, b: a.std(keepdims=True)),
    ("max", lambda x, y: x.max(axis=1), lambda a, b: a.max(axis=1)),
    ("min", lambda x, y: x.min(), lambda a, b: a.min()),
    ("argmax", lambda x, y: x.argmax(axis=1), lambda a, b: a.argmax(axis=1).astype(np.int64)),
    ("argmin", lambda x, y: x.argmin(), lambda a, b: np.int64(a.argmin())),
    ("all", lambda x, y: x.all(axis=0), lambda a, b: a.all(axis=0)),
    ("any", lambda x, y: (x > 3).any(keepdims=True), lambda a, b: (a > 3).any(keepdims=True)),
    ("cumsum", lambda x, y: x.cumsum(axis=1), lambda a, b: a.cumsum(axis=1)),
    ("cumprod", lambda x, y: x.cumprod(), lambda a, b: a.cumprod()),
    ("clip", lambda x, y: x.clip(-1.0, 2.0), lambda a, b: a.clip(-1.0, 2.0)),
    ("round", lambda x, y: (x / 3).round(2), lambda a, b: (a / np.float32(3)).round(2)),
    ("dot", lambda x, y: x.dot(y.T), lambda a, b: a.dot(b.T)),
    ("sort", lambda x, y: x.sort(axis=0), lambda a, b: np.sort(a, axis=0)),
    ("argsort", lambda x, y: x.argsort(), lambda a, b: np.argsort(a, kind="stable").astype(np.int64)),
    ("take", lambda x, y: x.take(jnp.array([2, 0]), axis=1), lambda a, b: a.take([2, 0], axis=1)),
    ("conj", lambda x, y: x.conj(), lambda a, b: a.conj()),
    ("real", lambda x, y: x.real, lambda a, b: a.real),
    ("at get", lambda x, y: x.at[0, 1:].get(), lambda a, b: a[0, 1:]),
]

_INT_CASES: list[tuple[str, Any, Any]] = [
    ("~", lambda x, y: ~x, lambda a, b: ~a),
    ("&", lambda x, y: x & y, lambda a, b: a & b),
    ("r&", lambda x, y: 6 & x, lambda a, b: 6 & a),
    ("|", lambda x, y: x | y, lambda a, b: a | b),
    ("r|", lambda x, y: 6 | x, lambda a, b: 6 | a),
    ("^", lambda x, y: x ^ y, lambda a, b: a ^ b),
    ("r^", lambda x, y: 6 ^ x, lambda a, b: 6 ^ a),
    ("<<", lambda x, y: x << y, lambda a, b: a << b),
    ("r<<", lambda x, y: 1 << y, lambda a, b: 1 << b),
    (">>", lambda x, y: x >> y, lambda a, b: a >> b),
    ("r>>", lambda x, y: 64 >> y, lambda a, b: 64 >> b),
    ("int //", lambda x, y: x // (y + 1), lambda a, b: a // (b + 1)),
    ("int %", lambda x, y: x % (y + 1), lambda a, b: a % (b + 1)),
    ("int **", lambda x, y: x ** y, lambda a, b: a ** b),
]


def _same(got: Any, want: Any) -> None:
    if isinstance(want, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(want)
        for g, w in zip(got, want):
            _same(g, w)
        return
    want = np.asarray(want)
    assert isinstance(got, Array)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6)


@pytest.mark.parametrize("name,method,oracle", _METHOD_CASES, ids=[c[0] for c in _METHOD_CASES])
def test_float_methods_match_numpy(name: str, method: Any, oracle: Any) -> None:
    b = _F[::-1] + np.float32(0.25)
    _same(method(jnp.asarray(_F), jnp.asarray(b)), oracle(_F, b))


@pytest.mark.parametrize("name,method,oracle", _INT_CASES, ids=[c[0] for c in _INT_CASES])
def test_integer_methods_match_numpy(name: str, method: Any, oracle: Any) -> None:
    _same(method(jnp.asarray(_I), jnp.asarray(_S)), oracle(_I, _S))


@pytest.mark.parametrize("mode", ["set", "add", "multiply", "mul", "divide", "power", "min", "max"])
def test_at_methods_match_numpy(mode: str) -> None:
    x = jnp.asarray(_F)
    got = getattr(x.at[jnp.array([1, 0, 1]), 2], mode)(2.0)
    want = _F.copy()
    idx = (np.array([1, 0, 1]), 2)
    ufunc = {"set": None, "add": np.add, "multiply": np.multiply, "mul": np.multiply,
             "divide": np.divide, "power": np.power, "min": np.minimum, "max": np.maximum}[mode]
    if ufunc is None:
        want[idx] = 2.0
    elif mode == "power":
        want[idx] = want[idx] ** 2.0  # a repeated index is read once, as x.at[idx].set(x[idx] ** v)
    else:
        ufunc.at(want, idx, np.float32(2.0))
    _same(got, want)
    assert x.tolist() == _F.tolist()  # x itself is unchanged


def test_method_errors_are_the_functions_errors() -> None:
    x = jnp.asarray(_F)
    with pytest.raises(TypeError, match="boolean subtraction"):
        _ = (x > 0) - (x < 0)
    with pytest.raises(ValueError, match="broadcast"):
        _ = x + jnp.ones(4)
    with pytest.raises(ValueError, match="mT needs an array with at least 2 dimensions"):
        _ = jnp.ones(3).mT
    with pytest.raises(TypeError, match="at\\[idx\\].divide needs a float array"):
        jnp.asarray(_I).at[0].divide(2)
    with pytest.raises(TypeError, match="immutable"):
        x[0] = 1.0


def test_methods_on_tracers_are_the_same_methods() -> None:
    a = _F.astype(np.float64)

    def f(x: Any) -> Any:
        y = (x.T @ x).sum(axis=0) + x.mean(axis=0) * 2.0 - x.max(axis=0) / 4.0
        return (x.at[0].add(y) ** 2).sum() + (-x).clip(-1.0, 1.0).sum()

    want = float(f(jnp.asarray(a)))
    assert float(functorch_lite.jit(f)(jnp.asarray(a))) == pytest.approx(want, rel=1e-12)
    rows = functorch_lite.vmap(lambda r: (r * r).sum() + r.T.cumsum()[-1])(jnp.asarray(a))
    np.testing.assert_allclose(np.asarray(rows), (a * a).sum(1) + a.sum(1), rtol=1e-12)
    g = functorch_lite.grad(lambda x: (x * x).sum() + x.T.mean())(jnp.asarray(a))
    np.testing.assert_allclose(np.asarray(g), 2 * a + 1 / a.size, rtol=1e-12)


def test_every_operation_has_its_numpy_function() -> None:
    wanted = {n for n in vars(ArrayOps) if not n.startswith("_")}
    given = {n for n in vars(NumpyOps) if not n.startswith("_")}
    assert wanted == given
    for name in wanted - {"getitem", "at_update", "astype"}:
        assert getattr(NumpyOps, name) is getattr(jnp, name), name


def test_methods_before_the_numpy_layer_is_imported_say_why() -> None:
    with pytest.raises(RuntimeError, match="'sum' is unavailable: import functorch_lite"):
        _ = _NotInstalled().sum


# --- functions moved below their users (no import cycles) ----------------------------------------


def test_one_argument_where_is_nonzero() -> None:
    a = np.array([[0, 2, 0], [1, 0, 3]], np.int32)
    for got in (jnp.where(jnp.asarray(a)), jnp.nonzero(jnp.asarray(a))):
        want = np.nonzero(a)
        assert len(got) == 2
        for g, w in zip(got, want):
            assert g.dtype == np.int32 and g.tolist() == w.tolist()
    with pytest.raises(ValueError, match="0-d"):
        jnp.where(jnp.asarray(1))
    with pytest.raises(ValueError, match="0-d"):
        jnp.nonzero(jnp.asarray(1), size=2)
    with pytest.raises(ValueError, match="fill_value only applies with size"):
        jnp.nonzero(jnp.asarray(a), fill_value=1)
    with pytest.raises(TypeError, match="data-dependent shape; pass size"):
        functorch_lite.jit(lambda c: jnp.where(c)[0])(jnp.asarray(a))


@pytest.mark.parametrize("fn", ["isnan", "isinf", "isfinite"])
def test_float_predicates_of_integers(fn: str) -> None:
    a = np.array([[0, -3, 7]], np.int32)
    got = getattr(jnp, fn)(jnp.asarray(a))
    want = getattr(np, fn)(a)
    assert got.dtype == np.bool_ and got.shape == want.shape and got.tolist() == want.tolist()
    assert getattr(jnp, fn)(jnp.asarray(np.array([True]))).tolist() == getattr(np, fn)(np.array([True])).tolist()


def test_traced_nonzero_with_size_matches_numpy() -> None:
    a = np.array([[0, 2, 0], [1, 0, 3]], np.float32)
    got = functorch_lite.jit(lambda v: jnp.nonzero(v, size=4, fill_value=-1))(jnp.asarray(a))
    want = [np.concatenate([w, [-1]]) for w in np.nonzero(a)]
    for g, w in zip(got, want):
        assert g.dtype == np.int32 and g.tolist() == w.tolist()


def test_numpy_views_of_whole_flat_buffers() -> None:
    """``_numpy()`` of an Array over a whole flat buffer (what a jitted kernel
    returns) is a reshape of it, row- or column-major; any other layout takes the
    general constructor; the values are the same either way."""
    from functorch_lite.array import Array

    q = np.arange(24, dtype=np.float32)
    cases = [((4, 6), (6, 1), q.reshape(4, 6)), ((4, 6), (1, 4), q.reshape(6, 4).T), ((24,), (1,), q),
             ((1, 24), (24, 1), q.reshape(1, 24)), ((2, 6), (6, 1), q[:12].reshape(2, 6)),
             ((3, 4), (8, 2), q.reshape(3, 8)[:, ::2]), ((), (), q[:1].reshape(()))]
    for shape, strides, want in cases:
        a = Array._of_buffer(q, shape, strides, False)
        v = a._numpy()
        assert v.shape == shape and np.shares_memory(v, q)
        np.testing.assert_array_equal(v, want)
        assert a._numpy() is v  # cached
