"""JAX- and Array-API-compatible names: devices, device_put/get, make_jaxpr,
block_until_ready, asarray(dtype=, copy=, device=)."""

from __future__ import annotations

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp


def test_devices_and_placement() -> None:
    (cpu,) = fl.devices()
    assert repr(cpu) == "CpuDevice(id=0)" and cpu.platform == "cpu"
    x = jnp.arange(3)
    assert x.device == cpu and x.devices() == {cpu}
    assert x.to_device("cpu") is x and x.to_device(cpu) is x
    assert x.block_until_ready() is x
    with pytest.raises(ValueError, match="CPU only"):
        x.to_device("gpu")
    with pytest.raises(RuntimeError, match="CPU only"):
        fl.devices("gpu")
    tree = {"a": np.arange(4.0), "b": [1, 2.5]}
    put = fl.device_put(tree)
    assert isinstance(put["a"], fl.Array) and put["a"].dtype == np.float64
    np.testing.assert_array_equal(np.asarray(put["a"]), tree["a"])
    assert put["b"][0].weak_type
    got = fl.device_get(put)
    assert isinstance(got["a"], np.ndarray) and got["a"].flags.writeable
    np.testing.assert_array_equal(got["a"], tree["a"])
    with pytest.raises(ValueError, match="CPU only"):
        fl.device_put(1.0, "tpu")


def test_make_jaxpr_is_make_ir() -> None:
    text = str(fl.make_jaxpr(lambda x: jnp.sin(x) * 2)(jnp.ones(2)))
    assert text == str(fl.make_ir(lambda x: jnp.sin(x) * 2)(jnp.ones(2)))
    assert "sin" in text and text.startswith("{ lambda")


def test_asarray_dtype_copy_device() -> None:
    x = jnp.array([1, 2, 3])
    assert jnp.asarray(x) is x
    y = jnp.asarray(x, dtype=jnp.float32)
    assert y.dtype == np.float32 and y.tolist() == [1.0, 2.0, 3.0]
    c = jnp.asarray(x, copy=True)
    assert c is not x and c.tolist() == x.tolist()
    assert not np.shares_memory(np.asarray(c), np.asarray(x))
    assert jnp.asarray(x, copy=False) is x
    with pytest.raises(ValueError, match="copy=False"):
        jnp.asarray(x, dtype=jnp.float32, copy=False)
    with pytest.raises(ValueError, match="copy=False"):
        jnp.asarray(np.ones(2), copy=False)
    src = np.ones(2)
    a = jnp.asarray(src)
    src[0] = 5.0  # the array never sees a later write to the NumPy buffer
    assert a.tolist() == [1.0, 1.0]
    assert jnp.asarray([1.5], device="cpu").tolist() == [1.5]
    with pytest.raises(ValueError, match="CPU only"):
        jnp.asarray([1.5], device="cuda")
    with pytest.raises(ValueError, match="order"):
        jnp.asarray([1.5], order="F")
    f = fl.jit(lambda v: jnp.asarray(v, dtype=jnp.int32) + 1)
    assert f(jnp.array([1.7, 2.2])).tolist() == [2, 3]


def test_check_grads_passes_right_rules_and_catches_wrong_ones() -> None:
    from functorch_lite.test_util import check_grads

    x = jnp.array(np.array([0.3, -1.2, 2.0]))
    check_grads(lambda v: jnp.sum(jnp.sin(v) * v**2), (x,), order=3)
    check_grads(lambda a, b: (a * b, jnp.exp(a - b)), (x, x[::-1]), order=2)  # several args and outputs
    check_grads(jnp.tanh, (x.astype(jnp.float32),), order=1)  # float32 tolerances

    @fl.custom_vjp
    def wrong_vjp(v: fl.Array) -> fl.Array:
        return jnp.sin(v)

    wrong_vjp.defvjp(lambda v: (jnp.sin(v), v), lambda v, g: (g * 2.0,))
    with pytest.raises(AssertionError, match="vjp"):
        check_grads(wrong_vjp, (x,), order=1, modes=["rev"])

    @fl.custom_jvp
    def wrong_jvp(v: fl.Array) -> fl.Array:
        return jnp.exp(v)

    wrong_jvp.defjvp(lambda p, t: (jnp.exp(p[0]), t[0]))
    with pytest.raises(AssertionError, match="finite differences"):
        check_grads(wrong_jvp, (x,), order=1, modes=["fwd"])
    with pytest.raises(ValueError, match="order"):
        check_grads(jnp.sin, (x,), order=0)
