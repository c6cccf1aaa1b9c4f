"""functorch_lite.random: the Threefry kernel, keys, samplers, statistics, transforms."""

from __future__ import annotations

import contextlib
import io
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import random
from functorch_lite.ops.prng import threefry2x32_p
from tests._gradcheck import numerical_grad
from tests.registry.prng import threefry2x32_ref

N = 100_000


def u32(x: Any) -> np.ndarray[Any, Any]:
    return np.asarray(x).view(np.uint32)


def i32(values: Any) -> Any:
    return jnp.array(np.asarray(values, np.uint32).view(np.int32))


# --- the kernel ----------------------------------------------------------------------------

# Random123's known-answer vectors for threefry2x32_20 (kat_vectors): key, counter -> output
KAT = [
    ((0x00000000, 0x00000000), (0x00000000, 0x00000000), (0x6B200159, 0x99BA4EFE)),
    ((0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF), (0x1CB996FC, 0xBB002BE7)),
    ((0x13198A2E, 0x03707344), (0x243F6A88, 0x85A308D3), (0xC4923A9C, 0x483DF7A0)),
]


def test_known_answer_vectors() -> None:
    k0, k1, x0, x1 = (i32([v[i][j] for v in KAT]) for i, j in ((0, 0), (0, 1), (1, 0), (1, 1)))
    y0, y1 = threefry2x32_p.bind(k0, k1, x0, x1)
    assert u32(y0).tolist() == [v[2][0] for v in KAT]
    assert u32(y1).tolist() == [v[2][1] for v in KAT]
    for key, ctr, out in KAT:  # the NumPy reference agrees with the spec too
        r0, r1 = threefry2x32_ref(*(np.uint32(v) for v in key + ctr))
        assert (int(r0), int(r1)) == out


def test_kernel_matches_reference_on_strided_operands() -> None:
    rng = np.random.default_rng(0)
    words = [rng.integers(-(2**31), 2**31, (37, 300), dtype=np.int32) for _ in range(4)]
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
    key = [jnp.broadcast_to(i32([7]).reshape(()), (37, 300)), jnp.broadcast_to(i32([9]).reshape(()), (37, 300))]
    y0, y1 = threefry2x32_p.bind(*key, views[2], views[3])
    r0, r1 = threefry2x32_ref(np.uint32(7), np.uint32(9), words[2].view(np.uint32), words[3].view(np.uint32))
    assert (u32(y0) == r0).all() and (u32(y1) == r1).all()


def test_threefry_rejects_bad_operands() -> None:
    z = jnp.zeros(3, dtype=jnp.int32)
    with pytest.raises(TypeError, match="four int32 arrays of one shape"):
        threefry2x32_p.bind(z, z, z, jnp.zeros(3, dtype=jnp.int64))
    with pytest.raises(TypeError, match=r"count1=i32\[4\]"):
        threefry2x32_p.bind(z, z, z, jnp.zeros(4, dtype=jnp.int32))
    y0, y1 = threefry2x32_p.bind(*(jnp.zeros((0, 3), dtype=jnp.int32),) * 4)
    assert y0.shape == y1.shape == (0, 3)


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


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
def test_matches_jax_random(jax_32bit: Any) -> None:
    jax = jax_32bit
    jr = jax.random
    for seed in (0, 1, 42, -5, 2**31 - 1, -(2**31)):
        assert (u32(random.PRNGKey(seed)) == np.asarray(jr.PRNGKey(seed))).all()
    k, jk = random.PRNGKey(7), jr.PRNGKey(7)
    assert (u32(random.split(k, 5)) == np.asarray(jr.split(jk, 5))).all()
    assert (u32(random.split(k, (2, 3))) == np.asarray(jr.split(jk, (2, 3)))).all()
    assert (u32(random.fold_in(k, 12345)) == np.asarray(jr.fold_in(jk, 12345))).all()
    assert (u32(random.bits(k, (3, 5))) == np.asarray(jr.bits(jk, (3, 5)))).all()
    assert (np.asarray(random.bits(k, (9,), np.uint8)) == np.asarray(jr.bits(jk, (9,), "uint8"))).all()
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
    assert random.PRNGKey(0).tolist() == [0, 0]
    assert random.PRNGKey(42).tolist() == [0, 42]
    assert u32(random.PRNGKey(-1)).tolist() == [0, 0xFFFFFFFF]  # int32 seeds: JAX's default mode
    assert random.PRNGKey(2**40 + 5).tolist() == [256, 5]  # larger seeds: both 32-bit words
    assert u32(random.PRNGKey(2**64 - 1)).tolist() == [0xFFFFFFFF, 0xFFFFFFFF]
    assert u32(random.PRNGKey(-(2**63))).tolist() == [0x80000000, 0]
    assert random.PRNGKey(np.int64(7)).tolist() == [0, 7]
    k = random.PRNGKey(0)
    assert k.dtype == np.int32 and k.shape == (2,)
    # array seeds follow the same rule as Python ints
    for s in (5, -5, 2**40 + 5, -(2**40)):
        assert random.PRNGKey(jnp.array(s, dtype=jnp.int64)).tolist() == random.PRNGKey(s).tolist()
    assert random.PRNGKey(jnp.array(-5, dtype=jnp.int32)).tolist() == random.PRNGKey(-5).tolist()
    assert random.PRNGKey(jnp.array(200, dtype=jnp.uint8)).tolist() == [0, 200]


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
    np.zeros(3, np.int32), jnp.zeros(2), jnp.zeros(2, dtype=jnp.int64), jnp.zeros((2, 2), dtype=jnp.int32),
    jnp.zeros(3, dtype=jnp.int32), [0, 0], 0,
])
def test_bad_keys(bad: Any) -> None:
    for fn in (lambda k: random.uniform(k), lambda k: random.split(k), lambda k: random.bits(k, (2,)),
               lambda k: random.fold_in(k, 1), lambda k: random.normal(k), lambda k: random.permutation(k, 3)):
        with pytest.raises(TypeError, match=r"int32 array of shape \(2,\)") as info:
            fn(bad)
    msg = str(info.value)
    if hasattr(bad, "shape"):
        assert str(tuple(bad.shape)) in msg and str(bad.dtype) in msg
    else:
        assert type(bad).__name__ in msg
    if getattr(bad, "ndim", 0) == 2:
        assert "vmap" in msg


def test_raw_uint32_keys_are_accepted() -> None:
    raw = np.array([0, 0xFFFFFFFF], np.uint32)
    assert (u32(random.split(raw)) == u32(random.split(jnp.array(raw.view(np.int32))))).all()


def test_split_and_fold_in() -> None:
    k = random.PRNGKey(3)
    ks = random.split(k, 4)
    assert ks.shape == (4, 2) and ks.dtype == np.int32
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
    for fn in (lambda k: random.uniform(k, (50,)), lambda k: random.normal(k, (50,)),
               lambda k: random.randint(k, (50,), 0, 100), lambda k: random.bits(k, (50,), np.uint64),
               lambda k: random.gumbel(k, (50,)), lambda k: random.permutation(k, 50)):
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
    b32 = u32(random.bits(k, (6,)))
    assert random.bits(k, (6,)).dtype == np.int32
    assert random.random_bits(k, (6,)).tolist() == b32.view(np.int32).tolist()
    b64 = random.bits(k, (6,), np.uint64)
    y0, y1 = random._blocks(k, (6,))
    assert b64.dtype == np.int64
    assert (np.asarray(b64).view(np.uint64) == (u32(y0).astype(np.uint64) << np.uint64(32)) | u32(y1)).all()
    assert (np.asarray(random.bits(k, (6,), np.uint8)) == (b32 & 0xFF)).all()
    assert (np.asarray(random.bits(k, (6,), np.uint16)).view(np.uint16) == (b32 & 0xFFFF)).all()
    assert random.bits(k).shape == ()
    with pytest.raises(TypeError, match="integer dtype"):
        random.bits(k, (2,), np.float32)
    # the bits look random: each bit position is set about half the time
    many = u32(random.bits(k, (N,)))
    freq = ((many[:, None] >> np.arange(32, dtype=np.uint32)) & 1).mean(axis=0)
    assert np.abs(freq - 0.5).max() < 0.01


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
    z = np.asarray(random._erfinv(jnp.array(np.array([lo, hi, 0.0], dtype)), edges=False))
    assert np.isfinite(z).all() and z[0] < -3.5 and z[1] > 3.5 and z[2] == 0


def test_erf_and_erfinv_accuracy() -> None:
    xs = np.linspace(-7, 7, 2001)
    got = np.asarray(random._erf(jnp.array(xs)))
    want = np.array([math.erf(v) for v in xs])
    assert np.abs(got - want).max() < 2e-16 * 4
    assert (np.abs(got - want) <= 4e-16 * np.abs(want) + 1e-300).all()
    ps = np.concatenate([np.linspace(-0.999999, 0.999999, 4001), [-1 + 1e-15, 1 - 1e-12, 0.0]])
    inv64 = np.asarray(random._erfinv(jnp.array(ps)))
    back = np.array([math.erf(v) for v in inv64])
    assert np.abs(back - ps).max() < 1e-15
    p32 = np.linspace(-0.9999, 0.9999, 4001).astype(np.float32)  # Giles' float32 form: a few ulp
    inv32 = np.asarray(random._erfinv(jnp.array(p32)))
    ref = np.asarray(random._erfinv(jnp.array(p32.astype(np.float64))))
    assert (np.abs(inv32 - ref) <= 1e-5 * np.abs(ref) + 1e-7).all()
    edge = np.asarray(random._erfinv(jnp.array([-1.0, 1.0])))
    assert edge.tolist() == [-np.inf, np.inf]


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
def test_truncated_normal() -> None:
    k = random.PRNGKey(4)
    a, b = -0.5, 1.5
    x = np.asarray(random.truncated_normal(k, a, b, (N,)))
    assert x.dtype == np.float32 and (x > a).all() and (x < b).all()
    pdf = lambda t: math.exp(-t * t / 2) / math.sqrt(2 * math.pi)  # noqa: E731
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

_SAMPLERS = [
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
    for fn in (lambda k: random.normal(k, (5,)), lambda k: random.randint(k, (5,), 0, 9),
               lambda k: random.split(k, 2), lambda k: random.uniform(k, (4,), minval=-1.0, maxval=1.0)):
        np.testing.assert_allclose(fl.jit(fn)(k), fn(k), rtol=1e-6)
