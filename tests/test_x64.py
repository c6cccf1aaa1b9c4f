"""64-bit mode: off by default as in JAX (host data and dtype requests narrow
to 32 bits), on through ``config.update``, the environment or ``enable_x64``
blocks (per thread); the PyTorch-style layer keeps PyTorch's dtypes either way."""

import os
import subprocess
import sys
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import dtypes


@pytest.fixture
def x32() -> Iterator[None]:
    """The default mode users meet (the suite itself runs in 64-bit mode)."""
    with fl.enable_x64(False):
        yield


def test_host_data_narrows_to_32_bits(x32: None) -> None:
    assert jnp.asarray(np.ones(3)).dtype == np.float32
    assert jnp.asarray(np.arange(3)).dtype == np.int32
    assert jnp.array(np.float64(1.5)).dtype == np.float32
    assert jnp.array([1.0, 2.0]).dtype == np.float32
    assert jnp.array([1, 2]).dtype == np.int32
    assert jnp.sin(np.linspace(0.0, 1.0, 5)).dtype == np.float32
    np.testing.assert_allclose(np.asarray(jnp.asarray(np.linspace(0.0, 1.0, 5))), np.linspace(0, 1, 5), rtol=1e-7)
    # the other byte order narrows too (it stayed 64-bit before)
    big = jnp.asarray(np.arange(3, dtype=">f8") / 4)
    assert big.dtype == np.float32 and big.tolist() == [0.0, 0.25, 0.5]
    assert jnp.asarray(np.arange(3, dtype=">i8")).dtype == np.int32
    # the converted copy is the Array's own: changing the host data later changes nothing
    host = np.linspace(0.0, 1.0, 6).reshape(2, 3)[:, ::2]
    a, b = jnp.asarray(host), jnp.asarray(host, dtype=jnp.float32)
    host[0, 0] = 9.0
    assert a.tolist() == b.tolist() == [[0.0, 0.4000000059604645], [0.6000000238418579, 1.0]]
    assert a.stride() == b.stride() == (2, 1)
    # int64 host data wraps as NumPy's astype does (JAX's behaviour), Python ints refuse
    assert jnp.asarray(np.array([2**40 + 3])).tolist() == [3]
    with pytest.raises(OverflowError, match="too large to convert to int32.*enable_x64"):
        jnp.array(2**31)
    with pytest.raises(OverflowError, match="int32"):
        jnp.array([1, 2**31])
    with pytest.raises(OverflowError, match="int32"):
        jnp.ones(2, jnp.int32) + 2**31


def test_transforms_see_32_bit_arguments(x32: None) -> None:
    x = np.linspace(0.0, 1.0, 4)
    assert fl.jit(lambda v: v * 2)(x).dtype == np.float32
    assert fl.grad(lambda v: (v**2).sum())(x).dtype == np.float32
    assert fl.grad(lambda v: v * 2.0)(1.0).dtype == np.float32
    assert fl.vmap(lambda v: v + 1)(x).dtype == np.float32


@pytest.mark.parametrize(
    "make, where",
    [
        (lambda: jnp.zeros(2, dtype=jnp.float64), "zeros"),
        (lambda: jnp.ones(2, dtype="float64"), "ones"),
        (lambda: jnp.arange(3, dtype=np.int64), "arange"),
        (lambda: jnp.array([1, 2], dtype=np.int64), "array"),
        (lambda: jnp.asarray([1.0], dtype=np.float64), "asarray"),
        (lambda: jnp.full((2,), 1.0, dtype=np.float64), "full"),
        (lambda: jnp.linspace(0, 1, 3, dtype=np.float64), "linspace"),
        (lambda: jnp.eye(2, dtype=np.float64), "eye"),
        (lambda: jnp.ones(2).astype(np.float64), "astype"),
        (lambda: jnp.sum(jnp.ones(2), dtype=np.float64), "a reduction"),
        (lambda: fl.random.normal(fl.random.PRNGKey(0), (2,), dtype=np.float64), "float_dtype"),
    ],
)
def test_explicit_64_bit_requests_narrow_with_a_warning(x32: None, make, where: str) -> None:
    with pytest.warns(UserWarning, match=f"requested in {where} is not available.*enable_x64") as rec:
        out = make()
    assert out.dtype in (np.float32, np.int32)
    assert rec[0].filename == __file__  # the warning points at the caller's line


def test_defaults_follow_the_mode() -> None:
    with fl.enable_x64(False):
        assert jnp.zeros(2).dtype == np.float32 and jnp.arange(3).dtype == np.int32
        assert jnp.argmax(jnp.ones(3)).dtype == np.int32
        assert (jnp.ones(2, jnp.int32) * 2.5).dtype == np.float32
        assert jnp.sum(jnp.ones(3, jnp.int8)).dtype == np.int32
        assert jnp.sum(jnp.ones(3, jnp.int32)).dtype == np.int32
        assert fl.random.normal(fl.random.PRNGKey(0), (2,)).dtype == np.float32
        assert jnp.zeros(2, dtype=float).dtype == np.float32
    with fl.enable_x64(True):
        assert jnp.zeros(2).dtype == np.float64 and jnp.arange(3).dtype == np.int64
        assert jnp.argmax(jnp.ones(3)).dtype == np.int64
        assert jnp.argsort(jnp.ones(3)).dtype == np.int64
        assert (jnp.ones(2, jnp.int32) * 2.5).dtype == np.float64
        assert jnp.sum(jnp.ones(3, jnp.int8)).dtype == np.int64
        assert jnp.sum(jnp.ones(3, jnp.int32)).dtype == np.int64
        assert jnp.array([1.0]).dtype == np.float64
        assert jnp.asarray(np.ones(2)).dtype == np.float64
        assert fl.random.normal(fl.random.PRNGKey(0), (2,)).dtype == np.float64
        assert jnp.array(2**40).dtype == np.int64
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert jnp.zeros(2, dtype=np.float64).dtype == np.float64  # no warning in 64-bit mode


def test_existing_64_bit_arrays_keep_their_dtype(x32: None) -> None:
    with fl.enable_x64():
        a = jnp.linspace(0.0, 1.0, 4)
    assert a.dtype == np.float64
    assert jnp.sin(a).dtype == np.float64 and (a * 2.0).dtype == np.float64
    assert fl.jit(lambda v: v + 1)(a).dtype == np.float64


def test_jit_retraces_when_the_mode_changes() -> None:
    f = fl.jit(lambda v: v + jnp.zeros(2))
    x = jnp.ones(2, jnp.float32)
    with fl.enable_x64(False):
        assert f(x).dtype == np.float32
    with fl.enable_x64(True):
        assert f(x).dtype == np.float64
    with fl.enable_x64(False):
        assert f(x).dtype == np.float32


def test_jit_dispatch_sees_each_threads_mode() -> None:
    """jit's hot path reads one process-wide cell while no ``enable_x64`` block is
    open anywhere; a thread inside a block, a thread outside and the global
    option each still get their own mode's program, as the blocks open and close."""
    f = fl.jit(lambda v: v + jnp.zeros(2))
    x = jnp.ones(2, jnp.float32)
    assert f(x).dtype == np.float64  # this suite's setting, through the fast cell
    inside, go, done = threading.Event(), threading.Event(), threading.Event()
    seen: list[Any] = []

    def in_block() -> None:
        with fl.enable_x64(False):
            inside.set()
            go.wait()
            seen.append(f(x).dtype)
        done.set()

    t = threading.Thread(target=in_block)
    t.start()
    inside.wait()
    assert dtypes._x64_fast[0] is None  # a block is open: everyone takes the full lookup
    assert f(x).dtype == np.float64  # this thread: the global option
    go.set()
    done.wait()
    t.join()
    assert seen == [np.float32]
    assert dtypes._x64_fast[0] is True and f(x).dtype == np.float64
    try:
        fl.config.update("enable_x64", False)
        assert dtypes._x64_fast[0] is False and f(x).dtype == np.float32
    finally:
        fl.config.update("enable_x64", True)


def test_enable_x64_is_per_thread_and_nests() -> None:
    seen: list[bool] = []
    with fl.enable_x64(False):
        with fl.enable_x64(True):
            t = threading.Thread(target=lambda: seen.append(dtypes.x64_enabled()))
            t.start()
            t.join()
            assert dtypes.x64_enabled()
        assert not dtypes.x64_enabled()
    assert seen == [True]  # the other thread sees the process-wide option (on in this suite)
    with pytest.raises(TypeError, match="True or False"):
        fl.enable_x64(1)  # type: ignore[arg-type]


def test_config_update_and_names() -> None:
    assert fl.config.enable_x64 is True and fl.config.jax_enable_x64 is True  # this suite's setting
    try:
        fl.config.update("jax_enable_x64", False)
        assert not dtypes.x64_enabled() and jnp.zeros(1).dtype == np.float32
        fl.config.update("enable_x64", True)
        assert jnp.zeros(1).dtype == np.float64
    finally:
        fl.config.update("enable_x64", True)
    with pytest.raises(TypeError):
        fl.config.update("enable_x64", "yes")


@pytest.mark.parametrize("env, want", [("", "float32"), ("1", "float64"), ("true", "float64"), ("0", "float32")])
def test_environment_variable(env: str, want: str) -> None:
    code = "import numpy as np, functorch_lite.numpy as jnp; print(jnp.asarray(np.ones(1)).dtype)"
    environ = {**os.environ, "FUNCTORCH_LITE_ENABLE_X64": env}
    out = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == want


def test_the_pytorch_style_layer_keeps_pytorch_dtypes(x32: None) -> None:
    assert fl.tensor([1.0, 2.0]).dtype == fl.float32
    assert fl.tensor([1, 2]).dtype == fl.int64
    assert fl.tensor([1.0], dtype=fl.float64).dtype == fl.float64
    t = fl.from_numpy(np.linspace(0.0, 1.0, 4))
    assert t.dtype == fl.float64
    assert (t * 2.5).dtype == fl.float64 and t.sum().dtype == fl.float64
    assert fl.tensor([1, 2]).sum().dtype == fl.int64
    assert fl.tensor([3.0, 1.0]).argmax().dtype == fl.int64
    assert fl.arange(3).dtype == fl.int64 and fl.zeros(2, dtype=fl.float64).dtype == fl.float64
    # its immutable snapshot keeps the dtype, and functional ops on it too
    a = t.array()
    assert a.dtype == np.float64 and jnp.exp(a).dtype == np.float64


def test_same_dtypes_as_jax_in_32_bit_mode(x32: None) -> None:
    jax = pytest.importorskip("jax")
    jjnp = pytest.importorskip("jax.numpy")
    if jax.config.read("jax_enable_x64"):
        pytest.skip("JAX is in 64-bit mode in this process")
    cases = [
        lambda m: m.asarray(np.ones(3)),
        lambda m: m.asarray(np.arange(3)),
        lambda m: m.array([1.0, 2.0]),
        lambda m: m.array([1, 2]),
        lambda m: m.arange(3),
        lambda m: m.arange(3.0),
        lambda m: m.zeros(2),
        lambda m: m.ones(2, m.int32) * 2.5,
        lambda m: m.sum(m.ones(3, m.int8)),
        lambda m: m.mean(m.ones(3, m.int32)),
        lambda m: m.argmax(m.ones(3)),
        lambda m: m.ones(2, m.float32) + np.float64(1.0),
        lambda m: m.ones(2, m.int32) * np.float64(2.5),
        lambda m: m.linspace(0, 1, 3),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, case in enumerate(cases):
            assert case(jnp).dtype == case(jjnp).dtype, i
