"""JAX's out-of-range index modes (``.at[...]`` get/updates, ``take``,
``take_along_axis``), JAX's ``check_arraylike`` rule for jnp functions, and
typed PRNG keys / ``randint``'s values.

Values come from a plain-NumPy oracle of JAX's documented semantics (runs
without JAX) and, where JAX is installed, from JAX itself; transforms are
checked as eager == jit == vmap-of-a-loop, gradients against finite
differences in float64."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import random
from tests._gradcheck import assert_close, numerical_grad

IDX = np.array([-7, -1, 2, 5, 9, 0])


@pytest.fixture
def jax32() -> Iterator[Any]:
    """JAX in its default 32-bit mode (another test module may switch x64 on)."""
    jax = pytest.importorskip("jax")
    saved = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", False)
    try:
        yield jax
    finally:
        jax.config.update("jax_enable_x64", saved)


# --- a NumPy oracle of JAX's semantics (1-D operand, integer index array) ---------------------


def _fill_default(dt: np.dtype[Any]) -> Any:
    if dt.kind == "f":
        return np.nan
    if dt.kind == "b":
        return True
    return np.iinfo(dt).max if dt.kind == "u" else np.iinfo(dt).min


def oracle_get(x: np.ndarray[Any, Any], idx: np.ndarray[Any, Any], mode: str, fill: Any = None) -> Any:
    n = x.shape[0]
    out = []
    for i in idx.tolist():
        j = i + n if i < 0 else i
        if 0 <= j < n:
            out.append(x[j])
        elif mode == "fill":
            out.append(_fill_default(x.dtype) if fill is None else fill)
        else:  # clip, promise_in_bounds
            out.append(x[min(max(j, 0), n - 1)])
    return np.array(out, x.dtype)


_UFUNC = {"set": None, "add": np.add, "mul": np.multiply, "min": np.minimum, "max": np.maximum}


def oracle_update(x: np.ndarray[Any, Any], idx: np.ndarray[Any, Any], v: np.ndarray[Any, Any], how: str,
                  mode: str) -> Any:
    out = x.copy()
    n = x.shape[0]
    for i, u in zip(idx.tolist(), np.broadcast_to(v, idx.shape).tolist()):
        j = i + n if i < 0 else i
        if not 0 <= j < n:
            if mode != "clip" or n == 0:
                continue
            j = min(max(j, 0), n - 1)
        uf = _UFUNC[how]
        out[j] = u if uf is None else uf(out[j], u)
    return out


@pytest.mark.parametrize("mode", ["clip", "fill", "promise_in_bounds"])
@pytest.mark.parametrize("dtype", ["float32", "int32", "uint8", "bool"])
def test_get_modes_vs_oracle(mode: str, dtype: str) -> None:
    x = (np.arange(5) % 3).astype(dtype)
    got = jnp.array(x).at[jnp.array(IDX)].get(mode=mode)
    np.testing.assert_array_equal(np.asarray(got), oracle_get(x, IDX, mode))
    assert got.dtype == x.dtype
    got = jnp.array(x).at[IDX.tolist()].get(mode=mode, fill_value=1)
    np.testing.assert_array_equal(np.asarray(got), oracle_get(x, IDX, mode, 1))


@pytest.mark.parametrize("mode", ["clip", "drop", "fill", "promise_in_bounds"])
@pytest.mark.parametrize("how", ["set", "add", "mul", "min", "max"])
def test_update_modes_vs_oracle(mode: str, how: str) -> None:
    x = np.arange(1, 6, dtype=np.float32)
    v = np.array([10, 20, 30, 40, 50, 60], np.float32) - 25
    ref = jnp.array(x).at[jnp.array(IDX)]
    method = {"set": ref.set, "add": ref.add, "mul": ref.multiply, "min": ref.min, "max": ref.max}[how]
    got = method(jnp.array(v), mode=mode)
    np.testing.assert_array_equal(np.asarray(got), oracle_update(x, IDX, v, how, mode))


@settings(max_examples=20, deadline=None)
@given(n=st.integers(0, 5), idx=st.lists(st.integers(-9, 9), min_size=0, max_size=6),
       mode=st.sampled_from(["clip", "drop", "fill"]), how=st.sampled_from(["set", "add", "max"]))
def test_modes_hypothesis(n: int, idx: list[int], mode: str, how: str) -> None:
    x = np.arange(n, dtype=np.float64) * 1.5
    ix = np.array(idx, np.int64)
    v = np.arange(len(idx), dtype=np.float64) + 100
    ref = jnp.array(x).at[jnp.array(ix)]
    got = {"set": ref.set, "add": ref.add, "max": ref.max}[how](jnp.array(v), mode=mode)
    np.testing.assert_array_equal(np.asarray(got), oracle_update(x, ix, v, how, mode))
    if n and mode != "drop":
        np.testing.assert_array_equal(np.asarray(ref.get(mode=mode)), oracle_get(x, ix, mode))


def test_modes_with_scalars_slices_and_several_axes() -> None:
    x = jnp.arange(12.0).reshape(3, 4)
    assert np.isnan(float(x.at[5, 0].get(mode="fill")))
    assert float(x.at[-4, 9].get(mode="clip")) == 3.0  # -4 + 3 = -1 -> 0; 9 -> 3
    got = x.at[jnp.array([0, 3]), 1:3].get(mode="fill", fill_value=-1.0)
    assert got.tolist() == [[1.0, 2.0], [-1.0, -1.0]]
    # broadcast index arrays on two axes, separated by a slice: the index shape goes first (NumPy's rule)
    y = jnp.arange(24.0).reshape(2, 3, 4)
    got = y.at[jnp.array([[0], [5]]), :, jnp.array([1, 4])].get(mode="fill", fill_value=0.0)
    ref = np.asarray(y)[np.array([[0], [1]]), :, np.array([1, 3])]
    ref[1] = 0.0
    ref[:, 1] = 0.0
    np.testing.assert_array_equal(np.asarray(got), ref)
    out = jnp.zeros((2, 3)).at[jnp.array([0, 2]), jnp.array([[3], [1]])].set(1.0, mode="drop")
    assert out.tolist() == [[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
    out = jnp.zeros((2, 3)).at[5, 1:].add(1.0, mode="drop")
    assert out.tolist() == [[0.0] * 3] * 2
    assert jnp.zeros((2, 3)).at[5, 1:].add(1.0, mode="clip").tolist() == [[0.0] * 3, [0.0, 1.0, 1.0]]


def test_divide_power_and_empty_axes() -> None:
    x = jnp.arange(1.0, 4.0)
    assert x.at[jnp.array([1, 7])].divide(2.0, mode="drop").tolist() == [1.0, 1.0, 3.0]
    assert x.at[jnp.array([1, 7])].power(2.0, mode="clip").tolist() == [1.0, 4.0, 9.0]
    assert x.at[jnp.array([1, 7])].power(2.0, mode="drop").tolist() == [1.0, 4.0, 3.0]
    e = jnp.zeros((0, 2))
    assert e.at[jnp.array([0, 3])].set(1.0, mode="drop").shape == (0, 2)
    assert e.at[jnp.array([0, 3])].power(2.0, mode="drop").shape == (0, 2)
    assert np.isnan(np.asarray(e.at[jnp.array([0, 3])].get(mode="fill"))).all()
    with pytest.raises(IndexError, match="empty axis"):
        e.at[jnp.array([0])].get(mode="clip")


def test_default_still_raises_and_bad_modes() -> None:
    x = jnp.arange(3.0)
    with pytest.raises(IndexError, match="out of bounds"):
        x.at[3].get()
    with pytest.raises(IndexError, match="out of bounds"):
        x.at[jnp.array([0, 3])].set(1.0)
    with pytest.raises(IndexError, match="out of bounds"):
        jnp.take(x, jnp.array([3]))
    with pytest.raises(IndexError, match="out of bounds"):
        jnp.take_along_axis(x, jnp.array([-4]), axis=0)
    with pytest.raises(ValueError, match="mode must be one of"):
        x.at[0].get(mode="wrap")
    with pytest.raises(ValueError, match="mode must be one of"):
        x.at[0].set(1.0, mode="raise!")
    with pytest.raises(ValueError, match="mode must be one of"):
        jnp.take(x, jnp.array([0]), mode="promise_in_bounds")  # as JAX: not a take mode
    # hints are accepted
    assert x.at[jnp.array([0, 2])].add(1.0, indices_are_sorted=True, unique_indices=True).tolist() == [1.0, 1.0, 3.0]


def test_take_modes() -> None:
    x = jnp.arange(5.0)
    ix = jnp.array(IDX)
    assert jnp.take(x, ix, mode="clip").tolist() == [0.0, 0.0, 2.0, 4.0, 4.0, 0.0]  # NumPy's clip: -1 -> 0
    np.testing.assert_array_equal(np.asarray(jnp.take(x, ix, mode="fill")),
                                  oracle_get(np.arange(5.0), IDX, "fill"))
    m = jnp.arange(6).reshape(2, 3)
    assert jnp.take(m, jnp.array([[0, 3]]), axis=1, mode="fill", fill_value=-1).tolist() == [[[0, -1]], [[3, -1]]]
    assert x.take(ix, mode="fill", fill_value=7.0).tolist()[3:] == [7.0, 7.0, 0.0]
    assert jnp.take(jnp.arange(3, dtype=jnp.int32), jnp.array([5]), mode="fill").tolist() == [-(2**31)]
    a = jnp.array([[10, 30, 20], [60, 40, 50]])
    i2 = jnp.array([[0, 5, -1], [-4, 1, 2]])
    assert jnp.take_along_axis(a, i2, axis=1, mode="clip").tolist() == [[10, 20, 20], [60, 40, 50]]
    assert jnp.take_along_axis(a, i2, axis=1, mode="fill", fill_value=0).tolist() == [[10, 0, 20], [0, 40, 50]]
    assert jnp.take_along_axis(a, i2, axis=1, mode="promise_in_bounds").tolist() == [[10, 20, 10], [60, 40, 50]]


def test_modes_match_jax(jax32: Any) -> None:
    jjnp = jax32.numpy
    for dt in ("float32", "int32", "uint8", "int8", "bool"):
        x = (np.arange(5) % 4).astype(dt)
        for mode in ("clip", "fill", "promise_in_bounds"):
            want = np.asarray(jjnp.asarray(x).at[IDX].get(mode=mode))
            np.testing.assert_array_equal(np.asarray(jnp.array(x).at[jnp.array(IDX)].get(mode=mode)), want)
    x = np.arange(1, 6, dtype=np.float32)
    v = np.arange(6, dtype=np.float32) - 2
    for mode in ("clip", "drop", "fill", "promise_in_bounds"):
        for how in ("set", "add", "multiply", "min", "max", "divide", "power"):
            want = np.asarray(getattr(jjnp.asarray(x).at[IDX], how)(v, mode=mode))
            got = np.asarray(getattr(jnp.array(x).at[jnp.array(IDX)], how)(jnp.array(v), mode=mode))
            np.testing.assert_allclose(got, want, rtol=1e-6, err_msg=f"{how} {mode}")
    xf = np.arange(5.0, dtype=np.float32)
    for mode in ("clip", "fill"):
        np.testing.assert_array_equal(np.asarray(jnp.take(jnp.array(xf), jnp.array(IDX), mode=mode)),
                                      np.asarray(jjnp.take(xf, IDX, mode=mode)))
    for mode in ("clip", "fill", "promise_in_bounds"):
        np.testing.assert_array_equal(
            np.asarray(jnp.take_along_axis(jnp.array(xf), jnp.array(IDX), axis=0, mode=mode)),
            np.asarray(jjnp.take_along_axis(xf, IDX, axis=0, mode=mode)))


def test_modes_eager_jit_vmap_agree() -> None:
    x = jnp.arange(5.0)
    idxs = jnp.array([IDX, IDX[::-1], IDX * 2])

    def get(x: Any, i: Any) -> Any:
        return x.at[i].get(mode="fill", fill_value=-1.0) + x.at[i].get(mode="clip")

    def upd(x: Any, i: Any) -> Any:
        return x.at[i].add(1.0, mode="drop").at[i].set(7.0, mode="clip")

    def along(x: Any, i: Any) -> Any:
        return jnp.take_along_axis(x, i, axis=0, mode="fill") + jnp.take(x, i, mode="fill", fill_value=0.0)

    for f in (get, upd, along):
        eager = np.stack([np.asarray(f(x, i)) for i in idxs])
        jitted = np.stack([np.asarray(fl.jit(f)(x, i)) for i in idxs])
        mapped = np.asarray(fl.vmap(f, (None, 0))(x, idxs))
        np.testing.assert_array_equal(jitted, eager)
        np.testing.assert_array_equal(mapped, eager)
    # a batched operand too
    xs = jnp.stack([x, x * 2, x - 1])
    mapped = np.asarray(fl.vmap(upd)(xs, idxs))
    np.testing.assert_array_equal(mapped, np.stack([np.asarray(upd(a, i)) for a, i in zip(xs, idxs)]))
    # without a mode a traced out-of-range index still raises when the program runs
    with pytest.raises(IndexError, match="out of bounds"):
        fl.jit(lambda x, i: x[i])(x, jnp.array([1, 9]))


def test_mode_gradients_vs_finite_differences() -> None:
    x = np.linspace(-1.0, 2.0, 5)
    u = np.linspace(0.5, 1.5, 6)
    ix = jnp.array(IDX)
    w = jnp.array(np.arange(1.0, 7.0))

    def f_get(v: Any) -> Any:
        return jnp.sum(w * jnp.sin(v.at[ix].get(mode="fill", fill_value=0.0)))

    def f_clip(v: Any) -> Any:
        return jnp.sum(w * v.at[ix].get(mode="clip") ** 2)

    def f_set(uu: Any) -> Any:
        zeros = jnp.zeros(5, jnp.float64)
        return jnp.sum(jnp.arange(1.0, 6.0, dtype=jnp.float64) * zeros.at[ix].set(uu ** 2, mode="drop"))

    def f_set_clip(uu: Any) -> Any:
        ones = jnp.ones(5, jnp.float64)
        return jnp.sum(jnp.arange(1.0, 6.0, dtype=jnp.float64) * ones.at[ix].set(uu ** 2, mode="clip"))

    def f_mul(v: Any) -> Any:
        return jnp.sum(v.at[ix].multiply(jnp.array(u), mode="drop") ** 2)

    for f, arg in ((f_get, x), (f_clip, x), (f_set, u), (f_set_clip, u), (f_mul, x)):
        got = fl.grad(f)(jnp.array(arg))
        assert_close(got, numerical_grad(f, [arg]), rtol=1e-6, atol=1e-7, what=f.__name__)


# --- check_arraylike -------------------------------------------------------------------------


def test_lists_where_an_array_is_expected_raise_typeerror() -> None:
    msg = r"sum requires ndarray or scalar arguments, got <class 'list'> at position 0\."
    with pytest.raises(TypeError, match=msg):
        jnp.sum([1, 2, 3])
    with pytest.raises(TypeError, match=msg):
        jnp.sum(a=[1, 2, 3])
    with pytest.raises(TypeError, match="add requires ndarray or scalar arguments, got <class 'tuple'> at position 1"):
        jnp.add(jnp.ones(2), (1, 2))
    with pytest.raises(TypeError, match="where requires"):
        jnp.where(jnp.ones(2) > 0, [1, 2], 0)
    with pytest.raises(TypeError, match="atleast_1d requires.*position 1"):
        jnp.atleast_1d(1.0, [2.0])
    with pytest.raises(TypeError, match="take requires"):
        jnp.take(jnp.arange(3), [0, 1])
    with pytest.raises(TypeError, match="matmul requires"):
        jnp.linalg.matmul([[1.0]], jnp.ones((1, 1)))
    assert jnp.linalg.matmul is jnp.matmul
    # what JAX accepts: arrays, NumPy arrays, scalars; shapes and axes as tuples; sequences of arrays
    assert float(jnp.sum(np.arange(4))) == 6.0 and float(jnp.sum(3.0)) == 3.0
    assert jnp.reshape(jnp.arange(4), (2, 2)).shape == (2, 2)
    assert jnp.sum(jnp.ones((2, 3)), axis=(0, 1)).shape == ()
    assert jnp.stack([jnp.ones(2), jnp.zeros(2)]).shape == (2, 2)
    assert jnp.concatenate([jnp.ones(2), jnp.zeros(2)]).shape == (4,)
    assert jnp.array([1, 2]).tolist() == jnp.asarray([1, 2]).tolist() == [1, 2]
    assert jnp.full((2,), 3.0).tolist() == [3.0, 3.0]
    assert jnp.ones(3).sum() == 3.0 and jnp.ones(2).take(jnp.array([0])).tolist() == [1.0]
    # the wrapper keeps the function's name, doc and signature
    assert jnp.sum.__name__ == "sum" and "Example" in (jnp.sum.__doc__ or "")


def test_check_arraylike_names_match_jax(jax32: Any) -> None:
    jjnp = jax32.numpy
    for name, args in (("sum", ([1, 2],)), ("exp", ([1.0],)), ("maximum", (1.0, [2.0])),
                       ("clip", ([1.0], 0.0, 1.0)), ("argmax", ([1, 2],)), ("cumsum", ([1, 2],))):
        with pytest.raises(TypeError) as ours:
            getattr(jnp, name)(*args)
        with pytest.raises(TypeError) as theirs:
            getattr(jjnp, name)(*args)
        assert str(ours.value) == str(theirs.value)


# --- typed keys and randint -----------------------------------------------------------------


def test_typed_keys() -> None:
    k = random.key(42)
    assert isinstance(k, random.PRNGKeyArray) and k.shape == () and k.ndim == 0 and k.size == 1
    assert str(k.dtype) == "key<fry>" and k.dtype == random.key(0).dtype
    assert repr(k) == "Array((), dtype=key<fry>) overlaying:\n[ 0 42]"
    assert random.key_data(k).tolist() == random.PRNGKey(42).tolist() == [0, 42]
    assert random.key_impl(k) == "threefry2x32"
    ks = random.split(k, 3)
    assert isinstance(ks, random.PRNGKeyArray) and ks.shape == (3,) and len(ks) == 3
    assert random.key_data(ks).tolist() == random.split(random.PRNGKey(42), 3).tolist()
    assert random.key_data(ks[1]).tolist() == random.key_data(list(ks)[1]).tolist()
    assert random.key_data(random.fold_in(k, 1)).tolist() == random.key_data(ks[1]).tolist()
    assert random.split(k, (2, 2)).shape == (2, 2) and random.split(k, (2, 2))[1, 0].shape == ()
    assert random.key_data(random.split(k, (2, 2))[..., 1]).shape == (2, 2)
    back = random.wrap_key_data(random.key_data(ks))
    assert back.shape == (3,) and random.key_data(back).tolist() == random.key_data(ks).tolist()
    raw = np.array([[0, 0xFFFFFFFF]], np.uint32)  # JAX's uint32 data
    assert random.key_data(random.wrap_key_data(raw)).tolist() == [[0, 0xFFFFFFFF]]
    # the samplers give the same values for a typed key and its raw data
    for fn in (lambda kk: random.uniform(kk, (4,)), lambda kk: random.normal(kk, (3,)),
               lambda kk: random.randint(kk, (4,), 0, 9), lambda kk: random.permutation(kk, 5)):
        np.testing.assert_array_equal(np.asarray(fn(ks[2])), np.asarray(fn(random.key_data(ks)[2])))
    # PRNGKey stays the raw (2,) uint32 key
    assert random.PRNGKey(0).shape == (2,) and random.split(random.PRNGKey(0)).shape == (2, 2)


def test_typed_keys_errors() -> None:
    ks = random.split(random.key(0), 2)
    with pytest.raises(TypeError, match="vmap"):
        random.uniform(ks)
    with pytest.raises(TypeError, match="key_data"):
        np.asarray(random.key(0))
    with pytest.raises(TypeError, match=r"shape ends with \(2,\)"):
        random.wrap_key_data(jnp.zeros(3, jnp.int32))
    with pytest.raises(TypeError, match="already"):
        random.wrap_key_data(ks)
    with pytest.raises(ValueError, match="threefry2x32"):
        random.wrap_key_data(random.key_data(ks), impl="rbg")
    with pytest.raises(TypeError, match="key_data"):
        random.key_data(jnp.zeros(3))
    with pytest.raises(TypeError, match="len"):
        len(random.key(0))


def test_typed_keys_under_transforms() -> None:
    ks = random.split(random.key(7), 4)
    f = lambda kk: random.normal(kk, (3,))  # noqa: E731
    mapped = np.asarray(fl.vmap(f)(ks))
    np.testing.assert_array_equal(mapped, np.stack([np.asarray(f(kk)) for kk in ks]))
    out = fl.jit(lambda kk: random.split(kk, 2))(ks[0])
    assert isinstance(out, random.PRNGKeyArray) and out.shape == (2,)
    assert random.key_data(out).tolist() == random.key_data(random.split(ks[0], 2)).tolist()
    made = fl.vmap(random.key)(jnp.arange(3))
    assert made.shape == (3,) and random.key_data(made).tolist() == [[0, 0], [0, 1], [0, 2]]
    g = fl.grad(lambda s, kk: jnp.sum(s * random.normal(kk, (2,))))(1.0, ks[0])
    assert float(g) == float(jnp.sum(random.normal(ks[0], (2,))))


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
def test_typed_keys_match_jax(jax32: Any) -> None:
    jr = jax32.random
    for seed in (0, 5, 2**31 - 1):
        k, jk = random.key(seed), jr.key(seed)
        assert str(k.dtype) == str(jk.dtype) and repr(k) == repr(jk)
        u32 = np.asarray(random.key_data(random.split(k, 3))).view(np.uint32)
        np.testing.assert_array_equal(u32, np.asarray(jr.key_data(jr.split(jk, 3))))
        np.testing.assert_array_equal(np.asarray(random.uniform(k, (5,))), np.asarray(jr.uniform(jk, (5,))))


def _randint_oracle(key: Any, shape: tuple[int, ...], lo: int, hi: int, dtype: Any) -> Any:
    """JAX's randint in NumPy uint32 arithmetic, from this library's bits
    (which match JAX's: checked in test_random.py)."""
    info = np.iinfo(dtype)
    if info.bits < 32:
        lo, hi = min(max(lo, int(info.min)), int(info.max)), min(max(hi, int(info.min)), int(info.max) + 1)
    i32 = np.iinfo(np.int32)
    out_of_range = hi > i32.max
    a, b = min(max(lo, i32.min), i32.max), min(max(hi, i32.min), i32.max)
    k1, k2 = random.split(key)
    hb = np.asarray(random.bits(k1, shape, np.uint32))
    lb = np.asarray(random.bits(k2, shape, np.uint32))
    with np.errstate(over="ignore"):
        span = np.uint32((b - a) % 2**32)
        if b <= a:
            span = np.uint32(1)
        elif out_of_range:
            span = np.uint32(span + np.uint32(1))
        if span == 0:  # XLA's x % 0 == x
            off = lb
        else:
            m = np.uint32(2**16) % span
            m = np.uint32(m * m) % span
            off = (np.uint32(1) * (hb % span) * m + lb % span) % span
        return (np.int32(a) + off.astype(np.int32)).astype(dtype)


@pytest.mark.parametrize(("lo", "hi", "dtype"), [
    (0, 10, np.int32), (-5, 2**31 - 1, np.int32), (-(2**31), 2**31 - 1, np.int32), (3, 1, np.int32),
    (0, 256, np.uint8), (-100, 100, np.int8), (-300, 300, np.int8), (-1000, 1000, np.int16), (7, 2**40, np.int32),
])
def test_randint_is_jax_algorithm(lo: int, hi: int, dtype: Any) -> None:
    k = random.key(3)
    got = random.randint(k, (64,), lo, hi, dtype)
    want = _randint_oracle(k, (64,), lo, hi, dtype)
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(np.asarray(got), want)
    # the same with array bounds, and under jit
    arr = random.randint(k, (64,), jnp.array(lo, jnp.int64), jnp.array(hi, jnp.int64), dtype)
    np.testing.assert_array_equal(np.asarray(arr), want)
    jitted = fl.jit(lambda kk, a, b: random.randint(kk, (64,), a, b, dtype))(k, jnp.array(lo, jnp.int64),
                                                                            jnp.array(hi, jnp.int64))
    np.testing.assert_array_equal(np.asarray(jitted), want)


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
def test_randint_matches_jax(jax32: Any) -> None:
    jr = jax32.random
    for seed in (0, 11):
        for lo, hi, dt in ((0, 10, "int32"), (-5, 2**31 - 1, "int32"), (0, 256, "uint8"), (-100, 100, "int8"),
                           (-1000, 1000, "int16"), (-(2**31), 2**31 - 1, "int32")):
            got = random.randint(random.key(seed), (100,), lo, hi, dt)
            want = jr.randint(jr.key(seed), (100,), lo, hi, dt)
            np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
        lo_a, hi_a = np.array(3), np.array([1, 5, 9, 100, 3, 4, 5, 6])
        got = random.randint(random.PRNGKey(seed), (8,), jnp.array(lo_a), jnp.array(hi_a))
        np.testing.assert_array_equal(np.asarray(got), np.asarray(jr.randint(jr.PRNGKey(seed), (8,), lo_a, hi_a)))
