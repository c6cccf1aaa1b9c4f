"""Eager elementwise ops take large outputs from the buffer pool: a freed
temporary's buffer is reused by the next op, never one that a live Array, a
view of it, a NumPy array taken from it or a Tensor still holds."""

from __future__ import annotations

import numpy as np

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite.ops.kernels import buffer_pool

N = (buffer_pool.POOL_MIN_BYTES // 4) * 2  # float32 elements: twice the pool's smallest size


def _x() -> tuple[np.ndarray, jnp.ndarray]:
    xn = np.random.default_rng(0).standard_normal(N).astype(np.float32)
    return xn, jnp.asarray(xn)


def test_a_chain_of_freed_temporaries_reuses_buffers_and_matches_numpy() -> None:
    xn, x = _x()
    buffer_pool.clear_pool()
    got = jnp.tanh(x * 2.0 + 1.0) * 0.5 + x ** 2
    want = np.tanh(xn * np.float32(2) + np.float32(1)) * np.float32(0.5) + xn ** 2
    np.testing.assert_allclose(np.asarray(got), want, rtol=2e-6, atol=1e-6)
    first = np.asarray(x * 3.0)
    del first, got
    pooled = {b.__array_interface__["data"][0] for b in buffer_pool._pool}
    # a freed buffer comes back for the next large output: no fresh allocation
    again = np.asarray(-x)
    assert again.__array_interface__["data"][0] in pooled
    assert len(buffer_pool._pool) == len(pooled)
    np.testing.assert_array_equal(again, -xn)


def test_live_results_and_everything_taken_from_them_keep_their_values() -> None:
    xn, x = _x()
    buffer_pool.clear_pool()
    kept = x * 2.0  # an Array
    view = (x + 1.0)[::2]  # only a view of the sum stays alive
    as_np = np.asarray(x - 1.0)  # a NumPy array over a pooled buffer
    tensor = fl.as_tensor(x * 4.0)
    for _ in range(20):  # churn: many freed outputs of the same size
        _ = jnp.exp(x) + jnp.sin(x)
    np.testing.assert_array_equal(np.asarray(kept), xn * np.float32(2))
    np.testing.assert_array_equal(np.asarray(view), (xn + np.float32(1))[::2])
    np.testing.assert_array_equal(as_np, xn - np.float32(1))
    np.testing.assert_array_equal(tensor.numpy(), xn * np.float32(4))


def test_a_write_into_a_tensor_over_a_pooled_buffer_does_not_reach_the_pool() -> None:
    _, x = _x()
    buffer_pool.clear_pool()
    t = fl.as_tensor(x * 2.0)
    t.add_(1.0)  # copy-on-write: the pooled buffer is shared with the functional core
    y = x * 2.0  # may reuse nothing that t now writes to
    np.testing.assert_array_equal(np.asarray(y), np.asarray(x) * np.float32(2))
    np.testing.assert_array_equal(t.numpy(), np.asarray(x) * np.float32(2) + np.float32(1))


def test_transposed_and_small_operands_take_the_plain_path() -> None:
    xn = np.random.default_rng(1).standard_normal((1024, 512)).astype(np.float32)
    x = jnp.asarray(xn)
    np.testing.assert_array_equal(np.asarray(jnp.exp(x.T)), np.exp(xn.T))
    np.testing.assert_array_equal(np.asarray(x.T + x.T), xn.T + xn.T)
    small = jnp.arange(4.0)
    np.testing.assert_array_equal(np.asarray(small * small), np.arange(4.0, dtype=np.float32) ** 2)


def test_a_loop_keeping_its_last_results_recycles_the_oldest_buffer() -> None:
    buffer_pool.clear_pool()
    n = 2 * buffer_pool.POOL_MIN_BYTES // 4
    kept: list[np.ndarray] = []
    addrs = set()
    for _ in range(20):
        b = buffer_pool.empty(n, np.dtype(np.float32))
        addrs.add(b.__array_interface__["data"][0])
        kept.append(b)
        del b
        if len(kept) > 8:
            kept.pop(0)
    assert len(addrs) == 9  # 8 held + the one freed by each step, reused from then on


def test_idle_buffers_are_bounded_after_callers_let_go() -> None:
    buffer_pool.clear_pool()
    n = buffer_pool.POOL_MAX_BYTES // 4 // 4  # a quarter of the idle bound each
    held = [buffer_pool.empty(n, np.dtype(np.float32)) for _ in range(8)]
    assert sum(b.nbytes for b in buffer_pool._pool) <= 2 * buffer_pool.POOL_MAX_BYTES
    del held
    buffer_pool.empty(n + 1, np.dtype(np.float32))  # a miss: trims the idle ones
    idle = [b for b in buffer_pool._pool if b.size == n]
    assert sum(b.nbytes for b in idle) <= buffer_pool.POOL_MAX_BYTES
    buffer_pool.clear_pool()


def test_quiet_ops_take_pooled_buffers_and_stay_quiet() -> None:
    """``log``/``sqrt``... (ufuncs run under ``errstate``) take large outputs from
    the pool too, and their domain errors still give inf/nan without a warning."""
    import warnings

    xn, x = _x()
    xn[:3] = [0.0, -1.0, np.inf]
    x = jnp.asarray(xn)
    buffer_pool.clear_pool()
    tmp = x * 2.0
    del tmp  # a freed large result: its buffer goes to the pool
    pooled = {b.__array_interface__["data"][0] for b in buffer_pool._pool}
    assert pooled
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = np.asarray(jnp.log(x))
    assert got.__array_interface__["data"][0] in pooled
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(got, np.log(xn))
