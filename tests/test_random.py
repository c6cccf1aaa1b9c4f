"""functorch_lite.random: the Threefry kernel, keys, samplers, statistics, transforms."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import math
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import _random_impl, random
from functorch_lite.ops.prng import threefry2x32_p
from tests._gradcheck import numerical_grad
from tests.registry.prng import threefry2x32_ref

N = 100_000


def u32(x: Any) -> np.ndarray[Any, Any]:
    return np.asarray(x).view(np.uint32)


def w32(values: Any) -> Any:
    return jnp.array(np.asarray(values, np.uint32))


def i32(values: Any) -> Any:
    """uint32 words as int32 bit patterns (the older raw keys and threefry operands)."""
    return jnp.array(np.asarray(values, np.uint32).view(np.int32))


# --- the kernel ----------------------------------------------------------------------------

# Random123's known-answer vectors for threefry2x32_20 (kat_vectors): key, counter -> output
KAT = [
    ((0x00000000, 0x00000000), (0x00000000, 0x00000000), (0x6B200159, 0x99BA4EFE)),
    ((0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF), (0x1CB996FC, 0xBB002BE7)),
    ((0x13198A2E, 0x03707344), (0x243F6A88, 0x85A308D3), (0xC4923A9C, 0x483DF7A0)),
]


@pytest.mark.parametrize("words", [w32, i32])
def test_known_answer_vectors(words: Any) -> None:
    k0, k1, x0, x1 = (words([v[i][j] for v in KAT]) for i, j in ((0, 0), (0, 1), (1, 0), (1, 1)))
    y0, y1 = threefry2x32_p.bind(k0, k1, x0, x1)
    assert y0.dtype == y1.dtype == k0.dtype  # uint32, or int32 bit patterns (older programs) in and out
    assert u32(y0).tolist() == [v[2][0] for v in KAT]
    assert u32(y1).tolist() == [v[2][1] for v in KAT]
    for key, ctr, out in KAT:  # the NumPy reference agrees with the spec too
        r0, r1 = threefry2x32_ref(*(np.uint32(v) for v in key + ctr))
        assert (int(r0), int(r1)) == out


def test_kernel_matches_reference_on_strided_operands() -> None:
    rng = np.random.default_rng(0)
    words = [rng.integers(0, 2**32, (37, 300), dtype=np.uint32) for _ in range(4)]
    views = [
        jnp.array(np.ascontiguousarray(words[0].T)).T,              # transposed
        jnp.array(np.repeat(words[1], 2, axis=1))[:, ::2],          # stepped
        jnp.flip(jnp.array(np.ascontiguousarray(words[2][::-1])), 0),  # reversed
        jnp.array(words[3]),
    ]
    y0, y1 = threefry2x32_p.bind(*views)
    r0, r1 = threefry2x32_ref(*(w.view(np.uint32) for w in words))
    assert (u32(y0) == r0).all() and (u32(y1) == r1).all()
    # a broadcast key (stride 0) with dense counters: the fast path
    key = [jnp.broadcast_to(w32([7]).reshape(()), (37, 300)), jnp.broadcast_to(w32([9]).reshape(()), (37, 300))]
    y0, y1 = threefry2x32_p.bind(*key, views[2], views[3])
    r0, r1 = threefry2x32_ref(np.uint32(7), np.uint32(9), words[2].view(np.uint32), words[3].view(np.uint32))
    assert (u32(y0) == r0).all() and (u32(y1) == r1).all()


def test_threefry_rejects_bad_operands() -> None:
    z = jnp.zeros(3, dtype=jnp.uint32)
    with pytest.raises(TypeError, match="four uint32 arrays of one shape"):
        threefry2x32_p.bind(z, z, z, jnp.zeros(3, dtype=jnp.int64))
    with pytest.raises(TypeError, match=r"count1=uint32\[4\]"):
        threefry2x32_p.bind(z, z, z, jnp.zeros(4, dtype=jnp.uint32))
    with pytest.raises(TypeError, match=r"count1=i32\[3\]"):  # uint32 and int32 words do not mix
        threefry2x32_p.bind(z, z, z, jnp.zeros(3, dtype=jnp.int32))
    for dt in (jnp.uint32, jnp.int32):
        y0, y1 = threefry2x32_p.bind(*(jnp.zeros((0, 3), dtype=dt),) * 4)
        assert y0.shape == y1.shape == (0, 3) and y0.dtype == dt


# --- cross-check against JAX (optional) -----------------------------------------------------


@pytest.fixture
def jax_32bit() -> Any:
    """JAX in its default 32-bit mode (test_compare_jax.py switches x64 on for the
    whole process, and x64 JAX sign-extends negative seeds into the key's high word)."""
    jax = pytest.importorskip("jax")
    saved = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", False)
    try:
        yield jax
    finally:
        jax.config.update("jax_enable_x64", saved)


@pytest.fixture
def jax_64bit() -> Any:
    """JAX with jax_enable_x64 (its 64-bit seeds and default uint64 bits)."""
    jax = pytest.importorskip("jax")
    saved = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        yield jax
    finally:
        jax.config.update("jax_enable_x64", saved)


def same(ours: Any, theirs: Any) -> None:
    """Equal values and dtypes."""
    a, b = np.asarray(ours), np.asarray(theirs)
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a, b)


_SEEDS = (0, 1, 42, -1, -5, 2**31 - 1, -(2**31), 2**31, 2**32 - 1, 2**32, 2**40 + 5, -(2**40), 2**63 - 1, -(2**63))


def _keys_match_jax(jr: Any) -> None:
    """PRNGKey, key, key_data, split, fold_in and bits against JAX in its current mode."""
    for seed in _SEEDS:
        same(random.PRNGKey(seed), jr.PRNGKey(seed))
        same(random.key_data(random.key(seed)), jr.key_data(jr.key(seed)))
    jax = sys.modules["jax"]
    for dt in (np.int8, np.uint8, np.int32, np.int64, np.uint64):
        seeds = np.array([-5, 5, 2**40 + 5]).astype(dt)  # wraps, as NumPy does
        want = np.asarray(jax.vmap(jr.PRNGKey)(seeds))  # one compile per dtype
        same(fl.vmap(random.PRNGKey)(jnp.asarray(seeds)), want)
        for i, s in enumerate(seeds):
            same(random.PRNGKey(s), want[i])  # a NumPy scalar
            same(random.PRNGKey(jnp.asarray(s)), want[i])
    k, jk = random.PRNGKey(7), jr.PRNGKey(7)
    same(random.split(k, 5), jr.split(jk, 5))
    same(random.split(k, (2, 3)), jr.split(jk, (2, 3)))
    same(random.fold_in(k, 12345), jr.fold_in(jk, 12345))
    same(random.fold_in(k, 2**32 - 1), jr.fold_in(jk, 2**32 - 1))
    same(random.key_data(random.split(random.key(7), 3)), jr.key_data(jr.split(jr.key(7), 3)))
    same(random.bits(k, (3, 5)), jr.bits(jk, (3, 5)))  # the default dtype too
    for udt in ("uint8", "uint16", "uint32", np.uint32):
        same(random.bits(k, (9,), udt), jr.bits(jk, (9,), udt))
    for bad in ("int8", "int32", "float32", "bool"):  # refused, as JAX
        with pytest.raises(ValueError, match="unsigned"):
            jr.bits(jk, (2,), bad)
        with pytest.raises(ValueError, match="unsigned"):
            random.bits(k, (2,), bad)


def test_keys_and_bits_match_jax_x64(jax_64bit: Any) -> None:
    jr = jax_64bit.random
    _keys_match_jax(jr)
    k, jk = random.PRNGKey(-3), jr.PRNGKey(-3)
    assert random.bits(k, (4,)).dtype == np.uint64  # the default unsigned int of 64-bit mode
    same(random.bits(k, (2, 3), np.uint64), jr.bits(jk, (2, 3), np.uint64))
    same(random.uniform(k, (100,), "float64"), jr.uniform(jk, (100,), "float64"))


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
def test_matches_jax_random(jax_32bit: Any) -> None:
    jax = jax_32bit
    jr = jax.random
    _keys_match_jax(jr)
    k, jk = random.PRNGKey(7), jr.PRNGKey(7)
    with pytest.warns(UserWarning, match="uint64") as caught:
        same(random.bits(k, (4,), np.uint64), jr.bits(jk, (4,), np.uint64))  # narrowed to uint32, as JAX
    assert any("bits" in str(w.message) for w in caught)  # ours names the function
    assert (np.asarray(random.uniform(k, (1000,))) == np.asarray(jr.uniform(jk, (1000,)))).all()
    assert (np.asarray(random.bernoulli(k, 0.3, (1000,))) == np.asarray(jr.bernoulli(jk, 0.3, (1000,)))).all()
    assert (np.asarray(random.permutation(k, 1000)) == np.asarray(jr.permutation(jk, 1000))).all()
    x = np.arange(24).reshape(4, 6)
    assert (np.asarray(random.permutation(k, jnp.array(x), axis=1))
            == np.asarray(jr.permutation(jk, x, axis=1))).all()
    lg = np.log(np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]], np.float32))
    assert (np.asarray(random.categorical(k, jnp.array(lg), shape=(50, 2)))
            == np.asarray(jr.categorical(jk, lg, shape=(50, 2)))).all()
    # same formulas; XLA fuses multiply-adds and has its own log, so allow an ulp or two
    np.testing.assert_allclose(random.uniform(k, (1000,), minval=-3.0, maxval=2.0),
                               jr.uniform(jk, (1000,), minval=-3.0, maxval=2.0), rtol=0, atol=5e-7)
    np.testing.assert_allclose(random.normal(k, (10_000,)), jr.normal(jk, (10_000,)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(random.truncated_normal(k, -1.5, 0.5, (1000,)),
                               jr.truncated_normal(jk, -1.5, 0.5, (1000,)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(random.gumbel(k, (1000,)), jr.gumbel(jk, (1000,)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(random.exponential(k, (1000,)), jr.exponential(jk, (1000,)), rtol=1e-5, atol=1e-6)


# --- keys -----------------------------------------------------------------------------------


def test_key_from_seeds() -> None:
    """64-bit mode (JAX's with jax_enable_x64): a Python int seed is an int64."""
    assert random.PRNGKey(0).tolist() == [0, 0]
    assert random.PRNGKey(42).tolist() == [0, 42]
    assert random.PRNGKey(-1).tolist() == [0xFFFFFFFF, 0xFFFFFFFF]  # sign-extended into the high word
    assert random.PRNGKey(2**40 + 5).tolist() == [256, 5]  # both 32-bit words
    assert random.PRNGKey(2**64 - 1).tolist() == [0xFFFFFFFF, 0xFFFFFFFF]  # read as uint64 (JAX raises)
    assert random.PRNGKey(-(2**63)).tolist() == [0x80000000, 0]
    assert random.PRNGKey(np.int64(7)).tolist() == [0, 7]
    assert random.PRNGKey(np.int32(-1)).tolist() == [0, 0xFFFFFFFF]  # a 32-bit seed: no high word
    k = random.PRNGKey(0)
    assert k.dtype == np.uint32 and k.shape == (2,)
    # 64-bit array seeds follow the same rule as Python ints; narrower ones give no high word
    for s in (5, -5, 2**40 + 5, -(2**40)):
        assert random.PRNGKey(jnp.array(s, dtype=jnp.int64)).tolist() == random.PRNGKey(s).tolist()
        assert fl.jit(random.PRNGKey)(jnp.array(s, dtype=jnp.int64)).tolist() == random.PRNGKey(s).tolist()
    assert random.PRNGKey(jnp.array(np.uint64(2**64 - 3))).tolist() == [0xFFFFFFFF, 0xFFFFFFFD]
    assert random.PRNGKey(jnp.array(-5, dtype=jnp.int32)).tolist() == [0, 2**32 - 5]
    assert random.PRNGKey(jnp.array(-5, dtype=jnp.int8)).tolist() == [0, 2**32 - 5]
    assert random.PRNGKey(jnp.array(200, dtype=jnp.uint8)).tolist() == [0, 200]


@pytest.mark.usefixtures("x64_off")  # JAX's default mode: Python int seeds keep their low 32 bits
def test_key_from_seeds_32bit() -> None:
    for s, want in ((42, [0, 42]), (-1, [0, 0xFFFFFFFF]), (2**32 - 1, [0, 0xFFFFFFFF]), (2**40 + 5, [0, 5]),
                    (-(2**63), [0, 0]), (2**64 - 1, [0, 0xFFFFFFFF])):
        k = random.PRNGKey(s)
        assert k.dtype == np.uint32 and k.tolist() == want
        assert random.key_data(random.key(s)).tolist() == want
    assert random.PRNGKey(np.int64(2**40 + 5)).tolist() == [0, 5]  # narrowed, as JAX


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
def test_bad_seeds() -> None:
    with pytest.raises(TypeError, match="integer"):
        random.PRNGKey(1.5)
    with pytest.raises(TypeError, match="bool"):
        random.PRNGKey(True)
    with pytest.raises(TypeError, match=r"scalar integer.*shape \(2,\)"):
        random.PRNGKey(jnp.arange(2))
    with pytest.raises(TypeError, match="float32"):
        random.PRNGKey(jnp.array(1.0))
    with pytest.raises(OverflowError, match="64 bits"):
        random.PRNGKey(2**64)


@pytest.mark.parametrize("bad", [
    np.zeros(3, np.int32), np.zeros(2, np.int64), jnp.zeros(2), jnp.zeros(2, dtype=jnp.int64),
    jnp.zeros((2, 2), dtype=jnp.int32), jnp.zeros((2, 2), dtype=jnp.uint32), jnp.zeros(3, dtype=jnp.uint32),
    jnp.zeros(2, dtype=jnp.uint64), [0, 0], 0,
])
def test_bad_keys(bad: Any) -> None:
    uses: list[Callable[[Any], Any]] = [
        lambda k: random.uniform(k), lambda k: random.split(k), lambda k: random.bits(k, (2,)),
        lambda k: random.fold_in(k, 1), lambda k: random.normal(k), lambda k: random.permutation(k, 3)]
    for fn in uses:
        with pytest.raises(TypeError, match=r"uint32 array of shape \(2,\)") as info:
            fn(bad)
    msg = str(info.value)
    if hasattr(bad, "shape"):
        assert str(tuple(bad.shape)) in msg and str(bad.dtype) in msg
    else:
        assert type(bad).__name__ in msg
    if getattr(bad, "ndim", 0) == 2:
        assert "vmap" in msg


_KEY_USES: list[Callable[[Any], Any]] = [
    lambda k: random.split(k, 3), lambda k: random.fold_in(k, 9), lambda k: random.bits(k, (4,), np.uint32),
    lambda k: random.uniform(k, (3,)), lambda k: random.normal(k, (3,)), lambda k: random.randint(k, (4,), 0, 99),
    lambda k: random.permutation(k, 5), lambda k: random.key_data(k),
]


def test_every_kind_of_key_is_accepted() -> None:
    """uint32 keys; int32 ones (the older raw keys: saved programs, user code),
    reinterpreted; NumPy arrays of either; typed keys.  Outputs are uint32 keys."""
    raw = np.array([0x80000001, 0xFFFFFFFF], np.uint32)
    typed = random.wrap_key_data(raw)
    kinds = [jnp.array(raw), jnp.array(raw.view(np.int32)), raw, raw.view(np.int32), typed,
             random.wrap_key_data(raw.view(np.int32)), random.wrap_key_data(jnp.array(raw.view(np.int32)))]
    for use in _KEY_USES:
        want = use(jnp.array(raw))
        for k in kinds:
            got = use(k)
            if isinstance(got, random.PRNGKeyArray):
                got = random.key_data(got)
            assert got.dtype == want.dtype and got.tolist() == want.tolist()
    assert random.key_data(jnp.array(raw.view(np.int32))).dtype == np.uint32
    assert random.key_data(typed).dtype == np.uint32 and random.key_data(typed).tolist() == raw.tolist()
    # batches of old int32 keys, under vmap and jit
    old = random.split(jnp.array(raw), 3).astype(np.int32)  # (3, 2) int32 bit patterns
    assert old.dtype == np.int32
    mapped = fl.vmap(lambda k: random.normal(k, (2,)))(old)
    assert mapped.tolist() == fl.vmap(lambda k: random.normal(k, (2,)))(random.split(jnp.array(raw), 3)).tolist()
    assert fl.jit(random.split)(jnp.array(raw.view(np.int32))).tolist() == random.split(raw).tolist()
    assert fl.jit(random.split)(jnp.array(raw.view(np.int32))).dtype == np.uint32


def test_keys_from_jax_are_accepted() -> None:
    jax = pytest.importorskip("jax")
    jk = jax.random.PRNGKey(3)  # a jax.Array of uint32
    assert random.split(jk, 2).tolist() == random.split(random.PRNGKey(3), 2).tolist()
    assert random.key_data(jk).tolist() == [0, 3]
    typed = random.wrap_key_data(jax.random.key_data(jax.random.split(jax.random.key(3), 2)))
    assert random.key_data(typed).tolist() == random.key_data(random.split(random.key(3), 2)).tolist()


def test_split_and_fold_in() -> None:
    k = random.PRNGKey(3)
    ks = random.split(k, 4)
    assert ks.shape == (4, 2) and ks.dtype == np.uint32 and random.fold_in(k, 1).dtype == np.uint32
    assert len({tuple(r) for r in ks.tolist()}) == 4
    assert random.split(k, (2, 3)).shape == (2, 3, 2)
    assert random.split(k, 0).shape == (0, 2)
    assert random.split(k).tolist() == random.split(k, 2).tolist()
    for i in range(4):
        assert random.fold_in(k, i).tolist() == ks[i].tolist()
    assert random.fold_in(k, jnp.array(2)).tolist() == ks[2].tolist()
    assert random.fold_in(k, -1).tolist() == random.fold_in(k, 2**32 - 1).tolist()
    with pytest.raises(OverflowError, match="32 bits"):
        random.fold_in(k, 2**32)
    with pytest.raises(TypeError, match="vmap"):
        random.fold_in(k, jnp.arange(3))


# --- exported programs ---------------------------------------------------------------------------

# A program exported before keys were uint32 (zlib + base64 of its file): its key input, its
# threefry2x32 equations and its bits/fold_in outputs are int32 bit patterns.  It was
#     def f(k):
#         k1, k2 = random.split(k)
#         return random.normal(k1, (4,)), random.bits(k2, (3,)), random.randint(k2, (3,), 0, 10), random.fold_in(k, 5)
# exported on random.PRNGKey(0) in the default (32-bit) mode.
_OLD_EXPORT = (
    "eNrlXM1u60QU7oUdSzawRN4goRGa/xnfJRIICSTQFUJIpYr8M24NidPaTm8vVVeseAFYsUBiw4IXYcGWBwAhHoNxknvttEk9cezM"
    "RLEUNa5njr/vnONzjqdn+tGnH371+WfPvnhycnLy7Zcn8+PrxY+TWy+Z5pOg9J56ySyLymkeXYzGaaneVzeX07z0gJdmozJXynt6"
    "65Wzy7H+cuq9553dAS8LJqqaqAdNZ+UouA7Ghb5668Xli8v5lfE0KAnW14uLoPrNKT0D3nMVfOs9TfRgdQfqwWm2OpQMMhTfG3q2"
    "wL6GIWh8KraX+TSeRSp/oCpvfu08DyaVhGiaFeWqGl5iyMIXpdKXpL5nkhRKax1uRgY2C0C8llB930K7r0TgWgTBW6lyDQ0qu/Fo"
    "gOC0E4imCAk3i9Cn6ipb2CXN9A+4sPxaQ70Ugh4KuQy0nSsxp15RBnk5SrM4jTQSjbF6ihYOBLzrueByIXRxDu/OtIRTb5xO0m3m"
    "oeW8oszT2HxGBTZPtU96xVjfyau0OGcuDJg/SjxOJyorUu3opqwbWK5mSn3XQCMN0ODH7TAf1Y4EL/UY5tMgjoKiHD1OZAV3PUnH"
    "Qz2vJrB/R0IdHQn37EgIOuVJCB26K/lAh7NbbdeyyiT3KVyoG30Gl8cjnO5AF02AbkqreZUXOokm+Qt8oyfXViEmWADqz0/uOa0u"
    "ZIIsrhRdNFBRJ1ExgLgRMGwG7CWuJooagy5VoqBUmf40MJikB9QCYPvUCHpLlqCHqAe2i4O757B+A6ENE6LeTIgtmBBDx0zoH215"
    "irFTVQU2yV+0l6qCDlNVWPAlVypUzNzyJX7ovoQpwKJDiUoflKi4gypAN621lahYAuzvaJn6HjfTvBZNYKuy/HZl9YatuEiTcpSn"
    "5xdlAyNqw5joQyR7wqjL4ga2dW7Svqy4+sxk6vloMXfp+MuTyvFfCZs/LZWMUXNkOJ2OFwOXgleq52ulo6IaK/1glYtpNXDyUKk1"
    "7uZzQuiWat2Ofg14Mhs38FFTfBRawcfa8S3cMkz2hC+Im47JncM3CW4a+AQgYjDjyB4lZ+q8IdnvUfJ4eo4ua9kUDoWaIrOHKdj+"
    "YVoGoC2Jl3vB1tmXNLAan2GgxPvDV8zCBj6DQCklZwl69E6DBUpqECgJp2Eo95ZoVgIl5YDSwciLdvJMCMKjkFshL4ck77eTjxAL"
    "fGKHPIMDkmcGYS0OCeaM+FbI4yHJm8RMyWhAw8AKeTokeYOApxJFpQxDK+SHDHjMIOBxIhMREWWF/JABjxkEPJxgFUFi5Z3AxVKr"
    "+U7AUZ9F0lXeqDI5NqNOLVVx3CBi+mECGQp9G1UcN6gyeRiymBBpw7U5A5wMRt7gXVrgOAohsZLOuBiSvDRIZyKMBbSTzrg/IHkB"
    "DSwfIhxGxAp5gYYkbxAzYxGxxLdjeUGGJG8Q8IQKGApIZIX8kAFPcKOXFy4tFTJiyIAnpInlaULY3kqF1SoOAw6B6HMhslBjFTWq"
    "JQkHXJyVBlVoQiAN2d6cawUfRkfb2iCJW623Jk1wpJc/R5OB/hyNjra1QXK3fEkcui9JBqTs0NpAHrQ2kA6qAN201tbaIH3gwx0t"
    "s6G1wSh6ON1ubeSzbjeMY+CTXjrGqTsd4z492gLBdyuo++x4LSHdsoTY2RK74Fm7W8H33cOEIAQIov6aub01Xe0tOygsxC93doSR"
    "Yw9g7pjCrd5nBKmL4YK7CEroGCatxjAE8dGmfuTcvlZ06O/WNtzJmUCMiGPudPDLfghhgBDrZbGGubNYgxDXtMQwyzVo0y5VTo3N"
    "/uhGioWonrdRIOSvtfIcdN1lXx0m1t5RAxs2qSB4vLs1kdES/B6jm9H2UceT5fFu2ESYOuZO7ODdCROAMO8lWXKHkiXWb0lYDpQs"
    "N+0HdTtZbtht6layxK0gYQBXjr2AzFXzmSG4FSS3AHKlkQJt2LjrmCZ19CG0P19qtuogwg7A4Qk/BDOJQ9Ck3DkZt0Xl/neCS/1O"
    "1yH5Psi9bSJYq4jtKyvQqQZrTd0UOrjqSpGLoDBAlFhZCj6r/vXrdZAX295XQ63mSAx8pGO/rxnQs7u76t/NPjlZParz1/Tn9Xvn"
    "zevrxt8/v/rzjW+effzW7//9IZMf/3nz73/JOx/89f3PP/0w/vW3d3/55O3/AVYSUv8="
)
# its outputs then, for random.PRNGKey(3)
_OLD_EXPORT_OUT = [[-2.3783395290374756, -1.7061669826507568, -0.4913964569568634, -0.9631258845329285],
                   [111646283, -1968215437, 2065972637], [1, 0, 6], [-1830603709, 131619366]]


@pytest.mark.usefixtures("x64_off")  # as it was exported
def test_programs_exported_with_int32_keys_still_load() -> None:
    prog = fl.export.load(zlib.decompress(base64.b64decode("".join(_OLD_EXPORT))))
    assert "threefry2x32" in str(prog)
    old_key = jnp.array(np.array([0, 3], np.uint32).view(np.int32))
    out = prog(old_key)
    # the integers exactly; the floats to rounding: fused kernels now contract a*b+c into
    # one FMA (one rounding instead of two), which moved the normals' last bit
    np.testing.assert_allclose(np.asarray(out[0]), _OLD_EXPORT_OUT[0], rtol=1e-6)
    assert [np.asarray(o).tolist() for o in out[1:]] == _OLD_EXPORT_OUT[1:]
    # the same values as today's functions give, as uint32 where JAX has uint32
    k = random.PRNGKey(3)
    k1, k2 = random.split(k)
    np.testing.assert_allclose(np.asarray(out[0]), np.asarray(random.normal(k1, (4,))), rtol=1e-6)  # FMA: above
    assert u32(out[1]).tolist() == random.bits(k2, (3,), np.uint32).tolist()
    assert np.asarray(out[2]).tolist() == random.randint(k2, (3,), 0, 10).tolist()
    assert u32(out[3]).tolist() == random.fold_in(k, 5).tolist()


def test_export_round_trip_with_uint32_keys() -> None:
    def f(k: Any, scale: Any) -> Any:
        k1, k2 = random.split(k)
        return random.normal(k1, (4,)) * scale, random.bits(k2, (3,)), random.fold_in(k, 5), random.split(k2, 2)

    exp = fl.export.export(f, random.PRNGKey(0), jnp.float32(2.0))
    again = fl.export.load(exp.serialize())
    k = random.PRNGKey(11)
    for got, want in zip(again(k, jnp.float32(3.0)), f(k, jnp.float32(3.0))):
        assert got.dtype == want.dtype and np.asarray(got).tolist() == np.asarray(want).tolist()
    assert again(k, jnp.float32(1.0))[2].dtype == np.uint32


# --- determinism -----------------------------------------------------------------------------


_FINGERPRINT = """
import json
import numpy as np
from functorch_lite import random
k = random.PRNGKey(123)
print(json.dumps([np.asarray(random.bits(k, (6,))).tolist(), np.asarray(random.normal(k, (4,))).tolist(),
                  np.asarray(random.randint(k, (5,), 0, 1000)).tolist(),
                  np.asarray(random.permutation(k, 7)).tolist()]))
"""


def test_same_key_same_values_and_split_keys_differ() -> None:
    k = random.PRNGKey(11)
    uses: list[Callable[[Any], Any]] = [
        lambda k: random.uniform(k, (50,)), lambda k: random.normal(k, (50,)),
        lambda k: random.randint(k, (50,), 0, 100), lambda k: random.bits(k, (50,), np.uint64),
        lambda k: random.gumbel(k, (50,)), lambda k: random.permutation(k, 50)]
    for fn in uses:
        a, b = np.asarray(fn(k)), np.asarray(fn(k))
        assert (a == b).all()
        k1, k2 = random.split(k)
        c, d = np.asarray(fn(k1)), np.asarray(fn(k2))
        assert (c != d).any() and (c != a).any()


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
def test_same_bits_in_a_fresh_process() -> None:
    root = Path(__file__).resolve().parents[1]
    run = subprocess.run([sys.executable, "-c", _FINGERPRINT], capture_output=True, text=True, check=True,
                         timeout=300, cwd=root)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(_FINGERPRINT, {})  # the same code in this process
    assert json.loads(run.stdout.strip().splitlines()[-1]) == json.loads(buf.getvalue())


# --- bits and uniform ------------------------------------------------------------------------


def test_bits_widths() -> None:
    k = random.PRNGKey(5)
    b32 = random.bits(k, (6,), np.uint32)
    assert b32.dtype == np.uint32 and b32.shape == (6,)
    assert random.bits(k, (6,)).dtype == np.uint64  # the default unsigned int (64-bit mode, as JAX)
    assert random.random_bits(k, (6,), "uint32").tolist() == b32.tolist()
    b64 = random.bits(k, (6,), np.uint64)
    y0, y1 = _random_impl._blocks(k, (6,))
    assert b64.dtype == np.uint64 and y0.dtype == np.uint32
    assert (np.asarray(b64) == (u32(y0).astype(np.uint64) << np.uint64(32)) | u32(y1)).all()
    assert (np.asarray(b64) == np.asarray(random.bits(k, (6,)))).all()
    assert (np.asarray(random.bits(k, (6,), np.uint8)) == (np.asarray(b32) & 0xFF)).all()
    b16 = random.bits(k, (6,), np.uint16)
    assert b16.dtype == np.uint16 and (np.asarray(b16) == (np.asarray(b32) & 0xFFFF)).all()
    assert random.bits(k).shape == ()
    for bad in (np.float32, np.int32, "int8", np.int64, bool, "complex64"):
        with pytest.raises(ValueError, match="unsigned integer dtype"):
            random.bits(k, (2,), bad)
    with pytest.raises(ValueError, match=r"unsigned integer dtype.*'nonsense'"):
        random.bits(k, (2,), "nonsense")
    # the bits look random: each bit position is set about half the time
    many = u32(random.bits(k, (N,), np.uint32))
    freq = ((many[:, None] >> np.arange(32, dtype=np.uint32)) & 1).mean(axis=0)
    assert np.abs(freq - 0.5).max() < 0.01


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
def test_bits_in_32_bit_mode() -> None:
    k = random.PRNGKey(5)
    assert random.bits(k, (3,)).dtype == np.uint32  # the default unsigned int
    with pytest.warns(UserWarning, match="uint64.*bits"):
        narrowed = random.bits(k, (3,), np.uint64)  # narrowed to uint32, as JAX
    assert narrowed.dtype == np.uint32 and narrowed.tolist() == random.bits(k, (3,)).tolist()
    for fn in (random.bits, fl.jit(random.bits, static_argnums=(1,))):
        assert fn(k, (3,)).tolist() == random.bits(random.PRNGKey(5), (3,), "uint32").tolist()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_uniform_statistics_and_range(dtype: str) -> None:
    x = np.asarray(random.uniform(random.PRNGKey(0), (N,), dtype))
    assert x.dtype == dtype and x.min() >= 0.0 and x.max() < 1.0
    assert abs(x.mean() - 0.5) < 0.005 and abs(x.var() - 1 / 12) < 0.003
    y = np.asarray(random.uniform(random.PRNGKey(1), (N,), dtype, minval=-2.0, maxval=5.0))
    assert y.min() >= -2.0 and y.max() < 5.0 and abs(y.mean() - 1.5) < 0.04
    lo = jnp.array([0.0, 10.0, -1.0], dtype=dtype)
    z = np.asarray(random.uniform(random.PRNGKey(2), (1000, 3), dtype, minval=lo, maxval=lo + 1.0))
    assert (z >= np.asarray(lo)).all() and (z < np.asarray(lo) + 1.0).all()


def test_uniform_float64_uses_52_bits() -> None:
    x = np.asarray(random.uniform(random.PRNGKey(0), (1000,), "float64"))
    assert ((x * 2.0**23) % 1 != 0).mean() > 0.99  # finer than float32's 2**-23 grid
    assert ((x * 2.0**52) % 1 == 0).all()  # on the 2**-52 grid


def test_uniform_bad_arguments() -> None:
    k = random.PRNGKey(0)
    with pytest.raises(ValueError, match="float dtype"):
        random.uniform(k, (2,), jnp.int32)
    with pytest.raises(ValueError, match="broadcast to the requested shape"):
        random.uniform(k, (2,), minval=jnp.zeros(3))
    with pytest.raises(ValueError, match="non-negative"):
        random.uniform(k, (-1,))
    with pytest.raises(TypeError, match="shape"):
        random.uniform(k, "abc")


# --- normal and friends ----------------------------------------------------------------------


def _ndtr(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_normal_statistics(dtype: str) -> None:
    x = np.asarray(random.normal(random.PRNGKey(0), (N,), dtype))
    assert x.dtype == dtype and np.isfinite(x).all()
    assert abs(x.mean()) < 0.016 and abs(x.var() - 1) < 0.03
    for t in (-2.0, -1.0, 0.0, 0.5, 1.5):  # the empirical CDF
        assert abs((x < t).mean() - _ndtr(t)) < 0.006
    assert abs(((x - x.mean()) ** 3).mean()) < 0.05  # symmetric


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normal_is_finite_at_the_extreme_uniforms(dtype: Any) -> None:
    # the smallest and largest u that normal() can feed to erfinv
    lo = np.nextafter(dtype(-1), dtype(0))
    f_max = dtype(1) - np.finfo(dtype).eps / 2 if dtype == np.float64 else dtype(1 - 2.0**-23)
    hi = f_max * (dtype(1) - lo) + lo
    z = np.asarray(_random_impl._erfinv(jnp.array(np.array([lo, hi, 0.0], dtype)), edges=False))
    assert np.isfinite(z).all() and z[0] < -3.5 and z[1] > 3.5 and z[2] == 0


def test_erf_and_erfinv_accuracy() -> None:
    xs = np.linspace(-7, 7, 2001)
    got = np.asarray(_random_impl._erf(jnp.array(xs)))
    want = np.array([math.erf(v) for v in xs])
    assert np.abs(got - want).max() < 2e-16 * 4
    assert (np.abs(got - want) <= 4e-16 * np.abs(want) + 1e-300).all()
    ps = np.concatenate([np.linspace(-0.999999, 0.999999, 4001), [-1 + 1e-15, 1 - 1e-12, 0.0]])
    inv64 = np.asarray(_random_impl._erfinv(jnp.array(ps)))
    back = np.array([math.erf(v) for v in inv64])
    assert np.abs(back - ps).max() < 1e-15
    p32 = np.linspace(-0.9999, 0.9999, 4001).astype(np.float32)  # Giles' float32 form: a few ulp
    inv32 = np.asarray(_random_impl._erfinv(jnp.array(p32)))
    ref = np.asarray(_random_impl._erfinv(jnp.array(p32.astype(np.float64))))
    assert (np.abs(inv32 - ref) <= 1e-5 * np.abs(ref) + 1e-7).all()
    edge = np.asarray(_random_impl._erfinv(jnp.array([-1.0, 1.0])))
    assert edge.tolist() == [-np.inf, np.inf]


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
def test_truncated_normal() -> None:
    k = random.PRNGKey(4)
    a, b = -0.5, 1.5
    x = np.asarray(random.truncated_normal(k, a, b, (N,)))
    assert x.dtype == np.float32 and (x > a).all() and (x < b).all()
    def pdf(t: float) -> float:
        return math.exp(-t * t / 2) / math.sqrt(2 * math.pi)

    mean = (pdf(a) - pdf(b)) / (_ndtr(b) - _ndtr(a))
    assert abs(x.mean() - mean) < 0.01
    # shape from the bounds; per-element bounds respected
    lo = jnp.array([-3.0, 0.0, 2.0])
    y = random.truncated_normal(k, lo, lo + 0.25)
    assert y.shape == (3,)
    z = np.asarray(random.truncated_normal(k, lo, lo + 0.25, (500, 3)))
    assert (z > np.asarray(lo)).all() and (z < np.asarray(lo) + 0.25).all()
    # far in a tail: still finite and inside the interval
    t = np.asarray(random.truncated_normal(k, 5.0, 6.0, (1000,)))
    assert np.isfinite(t).all() and (t > 5.0).all() and (t < 6.0).all()
    t64 = np.asarray(random.truncated_normal(k, 5.0, 6.0, (1000,), "float64"))
    assert (t64 > 5.0).all() and (t64 < 6.0).all() and abs(t64.mean() - 5.18) < 0.05
    with pytest.raises(ValueError, match="broadcast"):
        random.truncated_normal(k, jnp.zeros(3), 1.0, (2,))


def test_gumbel_and_exponential() -> None:
    g = np.asarray(random.gumbel(random.PRNGKey(0), (N,)))
    assert np.isfinite(g).all() and abs(g.mean() - 0.5772) < 0.02 and abs(g.var() - math.pi**2 / 6) < 0.05
    e = np.asarray(random.exponential(random.PRNGKey(0), (N,), "float64"))
    assert e.dtype == np.float64 and e.min() >= 0 and abs(e.mean() - 1) < 0.015 and abs(e.var() - 1) < 0.05


# --- discrete distributions ------------------------------------------------------------------


def test_bernoulli() -> None:
    k = random.PRNGKey(8)
    b = np.asarray(random.bernoulli(k, 0.3, (N,)))
    assert b.dtype == np.bool_ and abs(b.mean() - 0.3) < 0.007
    assert random.bernoulli(k).shape == ()
    p = jnp.array([0.0, 0.25, 1.0])
    c = np.asarray(random.bernoulli(k, p, (20_000, 3)))
    assert not c[:, 0].any() and c[:, 2].all() and abs(c[:, 1].mean() - 0.25) < 0.015
    assert random.bernoulli(k, p).shape == (3,)
    with pytest.raises(TypeError, match="float"):
        random.bernoulli(k, 1)


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
def test_categorical_matches_softmax() -> None:
    k = random.PRNGKey(9)
    logits = np.array([0.0, 1.0, -1.0, 2.0, 0.5], np.float32)
    p = np.exp(logits) / np.exp(logits).sum()
    s = np.asarray(random.categorical(k, jnp.array(logits), shape=(N,)))
    assert s.dtype == np.int32 and s.min() >= 0 and s.max() < 5
    assert np.abs(np.bincount(s, minlength=5) / N - p).max() < 0.008
    # a batch of distributions along axis 0, and extra leading sample axes
    batch = np.stack([logits, logits[::-1]], axis=1)  # (5, 2)
    t = np.asarray(random.categorical(k, jnp.array(batch), axis=0, shape=(20_000, 2)))
    assert t.shape == (20_000, 2)
    assert np.abs(np.bincount(t[:, 1], minlength=5) / 20_000 - p[::-1]).max() < 0.015
    assert random.categorical(k, jnp.array(batch), axis=0).shape == (2,)
    with pytest.raises(ValueError, match="broadcast"):
        random.categorical(k, jnp.array(batch), axis=0, shape=(3,))


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
def test_randint_covers_range_uniformly() -> None:
    k = random.PRNGKey(10)
    x = np.asarray(random.randint(k, (N,), -3, 7))
    assert x.dtype == np.int32 and x.min() == -3 and x.max() == 6
    counts = np.bincount(x + 3, minlength=10)
    assert np.abs(counts / N - 0.1).max() < 0.006
    u8 = np.asarray(random.randint(k, (N,), 0, 256, jnp.uint8))
    assert u8.dtype == np.uint8 and len(np.unique(u8)) == 256
    i8 = np.asarray(random.randint(k, (N,), -1000, 1000, jnp.int8))  # clipped to int8's range
    assert i8.min() == -128 and i8.max() == 127
    full = np.asarray(random.randint(k, (N,), -(2**31), 2**31 - 1))
    assert full.max() < 2**31 - 1 and full.min() < -(2**30) and full.max() > 2**30
    with fl.enable_x64():  # int64 draws need 64-bit mode, as in JAX
        big = np.asarray(random.randint(k, (1000,), -(2**62), 2**62, jnp.int64))
        huge = np.asarray(random.randint(k, (1000,), -(2**63), 2**63 - 1, jnp.int64))  # span > 2**63
        assert big.dtype == np.int64 and big.min() >= -(2**62) and big.max() < 2**62 and big.max() > 2**61
    assert huge.min() < -(2**62) and huge.max() > 2**62
    assert (np.asarray(random.randint(k, (5,), 4, 4)) == 4).all()  # empty range: minval
    assert (np.asarray(random.randint(k, (5,), 4, 2)) == 4).all()


def test_randint_array_bounds_and_static_bounds_agree() -> None:
    k = random.PRNGKey(12)
    lo = jnp.array([0, -50, 1000])
    hi = jnp.array([3, 50, 1001])
    x = np.asarray(random.randint(k, (4000, 3), lo, hi))
    assert (x >= np.asarray(lo)).all() and (x < np.asarray(hi)).all()
    assert set(x[:, 0].tolist()) == {0, 1, 2} and (x[:, 2] == 1000).all()
    for a, b in ((0, 10), (-(2**31), 2**31 - 1), (5, 2**31 + 7)):  # fast path == general path
        fast = np.asarray(random.randint(k, (300,), a, b))
        general = np.asarray(random.randint(k, (300,), jnp.array(a, dtype=jnp.int64), jnp.array(b, dtype=jnp.int64)))
        assert (fast == general).all()
    f = np.asarray(random.randint(k, (1000,), 0.0, 2.9))  # float bounds truncate, as JAX
    assert set(f.tolist()) == {0, 1}
    with pytest.raises(TypeError, match="integer dtype"):
        random.randint(k, (2,), 0, 3, jnp.float32)


def test_permutation() -> None:
    k = random.PRNGKey(13)
    p = np.asarray(random.permutation(k, 100))
    assert sorted(p.tolist()) == list(range(100)) and (p != np.arange(100)).any()
    assert random.permutation(k, 0).shape == (0,) and random.permutation(k, 1).tolist() == [0]
    x = np.arange(30).reshape(5, 6)
    rows = np.asarray(random.permutation(k, jnp.array(x)))
    assert sorted(map(tuple, rows.tolist())) == sorted(map(tuple, x.tolist()))
    cols = np.asarray(random.permutation(k, jnp.array(x), axis=1))
    assert (cols == x[:, cols[0]]).all() and sorted(cols[0].tolist()) == list(range(6))  # one column order
    # independent: every row its own shuffle; all 6 orders of 3 items about equally often
    many = np.asarray(random.permutation(k, jnp.tile(jnp.arange(3), (6000, 1)), axis=1, independent=True))
    assert (np.sort(many, axis=1) == np.arange(3)).all()
    codes = many[:, 0] * 9 + many[:, 1] * 3 + many[:, 2]
    _, counts = np.unique(codes, return_counts=True)
    assert len(counts) == 6 and np.abs(counts - 1000).max() < 150
    with pytest.raises(TypeError, match="integer or an array"):
        random.permutation(k, jnp.array(2.5))


def test_choice() -> None:
    k = random.PRNGKey(14)
    s = np.asarray(random.choice(k, 5, (N,)))
    assert np.abs(np.bincount(s, minlength=5) / N - 0.2).max() < 0.01
    w = np.asarray(random.choice(k, 10, (10,), replace=False))
    assert sorted(w.tolist()) == list(range(10))
    p = jnp.array([0.1, 0.6, 0.3])
    c = np.asarray(random.choice(k, 3, (N,), p=p))
    assert np.abs(np.bincount(c, minlength=3) / N - np.asarray(p)).max() < 0.01
    nr = np.asarray(random.choice(k, 3, (2,), replace=False, p=p))
    assert len(set(nr.tolist())) == 2
    a = jnp.arange(12).reshape(3, 4)
    assert random.choice(k, a, (5,), axis=1).shape == (3, 5)
    assert random.choice(k, 3, (0,)).shape == (0,)
    with pytest.raises(ValueError, match="without replacement"):
        random.choice(k, 3, (4,), replace=False)


# --- transforms --------------------------------------------------------------------------------

_SAMPLERS: list[Callable[[Any], Any]] = [
    lambda k: random.uniform(k, (3,)), lambda k: random.normal(k, (2, 3)), lambda k: random.randint(k, (5,), 0, 7),
    lambda k: random.split(k, 3), lambda k: random.fold_in(k, 3), lambda k: random.bits(k, (4,)),
    lambda k: random.bernoulli(k, 0.5, (4,)), lambda k: random.categorical(k, jnp.zeros((2, 5))),
    lambda k: random.truncated_normal(k, -1.0, 1.0, (3,)), lambda k: random.choice(k, 5, (2,)),
]


@pytest.mark.parametrize("i", range(len(_SAMPLERS)))
def test_vmap_over_keys_gives_independent_streams(i: int) -> None:
    fn = _SAMPLERS[i]
    keys = random.split(random.PRNGKey(0), 4)
    got = np.asarray(fl.vmap(fn)(keys))
    want = np.stack([np.asarray(fn(keys[j])) for j in range(4)])
    assert (got == want).all()
    assert (got[0] != got[1]).any() or got.dtype == np.bool_


def test_vmap_of_permutation() -> None:
    keys = random.split(random.PRNGKey(0), 3)
    got = np.asarray(fl.vmap(lambda k: random.permutation(k, 6))(keys))
    assert (got == np.stack([np.asarray(random.permutation(keys[j], 6)) for j in range(3)])).all()


def test_vmap_over_seeds_and_fold_in_data() -> None:
    seeds = jnp.arange(3)
    assert fl.vmap(random.PRNGKey)(seeds).tolist() == [random.PRNGKey(s).tolist() for s in range(3)]
    folded = fl.vmap(lambda d: random.fold_in(random.PRNGKey(0), d))(seeds)
    assert folded.tolist() == random.split(random.PRNGKey(0), 3).tolist()


def test_grad_through_samplers() -> None:
    k = random.PRNGKey(1)
    g = fl.grad(lambda m: random.uniform(k, (100,), minval=0.0, maxval=m).sum())(2.0)
    assert float(g) == pytest.approx(float(random.uniform(k, (100,)).sum()), rel=1e-6)
    g = fl.grad(lambda s: (random.normal(k, (100,)) * s).sum())(2.0)
    assert float(g) == pytest.approx(float(random.normal(k, (100,)).sum()), rel=1e-6)

    def tn_mean(lo: Any) -> Any:
        return random.truncated_normal(k, lo, 1.0, (200,), "float64").mean()

    lo = jnp.array(-1.0, dtype=jnp.float64)
    fd = float(numerical_grad(tn_mean, [np.float64(-1.0)]))
    assert float(fl.grad(tn_mean)(lo)) == pytest.approx(fd, rel=1e-5)


def test_jit_matches_eager() -> None:
    k = random.PRNGKey(2)
    uses: list[Callable[[Any], Any]] = [
        lambda k: random.normal(k, (5,)), lambda k: random.randint(k, (5,), 0, 9),
        lambda k: random.split(k, 2), lambda k: random.uniform(k, (4,), minval=-1.0, maxval=1.0)]
    for fn in uses:
        np.testing.assert_allclose(fl.jit(fn)(k), fn(k), rtol=1e-6)


def test_split_under_vmap_and_no_gradient_into_keys() -> None:
    keys = random.split(random.PRNGKey(5), 4)
    assert fl.vmap(random.split)(keys).shape == (4, 2, 2)
    loop = np.stack([np.asarray(random.split(keys[j], 3)) for j in range(4)])
    for fn in (fl.vmap(lambda k: random.split(k, 3)), fl.jit(fl.vmap(lambda k: random.split(k, 3)))):
        got = fn(keys)
        assert got.dtype == np.uint32 and (np.asarray(got) == loop).all()
    typed = fl.vmap(lambda k: random.split(k, 3))(random.wrap_key_data(keys))
    assert isinstance(typed, random.PRNGKeyArray) and (np.asarray(random.key_data(typed)) == loop).all()
    with pytest.raises(TypeError, match="uint32"):  # keys are integers: no gradient flows into them
        fl.grad(lambda k: random.normal(k, (3,)).sum())(keys[0])
    g = fl.grad(lambda s, k: (s * random.normal(k, (3,))).sum())(2.0, keys[0])
    assert float(g) == pytest.approx(float(random.normal(keys[0], (3,)).sum()), rel=1e-6)
