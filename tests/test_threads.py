"""Transforms are thread-safe: each thread has its own trace stack, so a
transform running in one thread never changes what another thread computes,
and jit compiles a new signature once even when many threads ask at once.

Every multi-threaded result is checked against the same computation run in
a single thread first.  Races are forced with barriers and events (no
sleeps); every wait has a timeout so that a deadlock fails instead of
hanging the run.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import core

N_THREADS = 8
TIMEOUT = 120.0


@pytest.fixture(autouse=True)
def _switch_threads_often() -> Iterator[None]:
    """Hand the interpreter lock between threads every few microseconds
    instead of every 5 ms, so that threads interleave inside short traces."""
    prev = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        yield
    finally:
        sys.setswitchinterval(prev)


def _run_threads(n: int, target: Callable[[int], Any]) -> list[Any]:
    """Run ``target(i)`` in ``n`` threads; return the results, re-raising
    the first error of any thread here."""
    results: list[Any] = [None] * n
    errors: list[BaseException] = []

    def body(i: int) -> None:
        try:
            results[i] = target(i)
        except BaseException as e:  # re-raised in the main thread
            errors.append(e)

    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a thread did not finish (deadlock?)"
    if errors:
        raise errors[0]
    return results


def _loss(w: Any, x: Any) -> Any:
    return jnp.sum(jnp.sin(x * w) * w)


def _make_jitted() -> dict[str, Any]:
    """Fresh jitted functions (empty caches), so that calls compile."""
    return {
        "ew": fl.jit(lambda x, y: jnp.tanh(x * 2.0 + y) - y),
        "grad": fl.jit(fl.grad(_loss)),
        "vmap": fl.jit(fl.vmap(lambda r: jnp.sum(r * r))),
    }


def _workload(i: int, iterations: int, jitted: dict[str, Any],
              barrier: threading.Barrier | None) -> list[np.ndarray[Any, Any]]:
    """Eager ops, jit on shapes new to the function, grad and vmap, mixed;
    the outputs as NumPy arrays in a fixed order."""
    out: list[np.ndarray[Any, Any]] = []
    for it in range(iterations):
        if barrier is not None:
            barrier.wait(TIMEOUT)  # every thread starts each round together
        n = 2 + (i + it) % 4  # four tiny shapes: every thread meets some first calls
        x = jnp.asarray(np.linspace(-1.0, 1.0, n, dtype=np.float32) + 0.1 * i)
        y = jnp.asarray(np.arange(n, dtype=np.float32) * 0.25 - 0.5 * it)
        w = jnp.asarray(np.float32(0.5 + 0.1 * it))
        out.append(np.asarray(x + y))
        out.append(np.asarray(jnp.sin(x) * y))
        out.append(np.asarray(jitted["ew"](x, y)))
        out.append(np.asarray(fl.grad(_loss)(w, x)))
        out.append(np.asarray(jitted["grad"](w, x)))
        xy = jnp.stack([x, y])
        out.append(np.asarray(fl.vmap(lambda r: jnp.sum(r * r))(xy)))
        out.append(np.asarray(jitted["vmap"](xy)))
        out.append(np.asarray(fl.vmap(fl.grad(_loss), in_axes=(0, None))(x, y)))
        out.append(np.asarray(fl.jit(lambda a: jnp.cos(a) + 1.0)(y)))  # a fresh function each time
    return out


def test_threads_mixing_eager_jit_grad_vmap_match_a_single_threaded_run() -> None:
    iterations = 3
    want = [_workload(i, iterations, _make_jitted(), None) for i in range(N_THREADS)]
    # one shared set of fresh jitted functions: threads meet their first calls together
    jitted = _make_jitted()
    barrier = threading.Barrier(N_THREADS)
    got = _run_threads(N_THREADS, lambda i: _workload(i, iterations, jitted, barrier))
    for i in range(N_THREADS):
        assert len(got[i]) == len(want[i])
        for k, (g, w) in enumerate(zip(got[i], want[i])):
            assert g.dtype == w.dtype and g.shape == w.shape, (i, k)
            np.testing.assert_array_equal(g, w, err_msg=f"thread {i}, output {k}")
    # each distinct signature was traced once, whichever thread got there first
    assert jitted["ew"].cache_info().misses == 4
    assert jitted["grad"].cache_info().misses == 4


def test_eager_ops_in_another_thread_stay_concrete_while_one_thread_traces() -> None:
    inside = threading.Event()
    release = threading.Event()
    seen_level: list[int] = []

    @fl.jit
    def traced(x: Any) -> Any:
        y = jnp.sin(x) * 2.0
        seen_level.append(core.find_top_trace(()).main.level)
        inside.set()
        assert release.wait(TIMEOUT)  # stay inside the trace while the main thread computes
        return y + 1.0

    xs = np.linspace(0.0, 1.0, 3, dtype=np.float32)
    box: list[Any] = []
    t = threading.Thread(target=lambda: box.append(np.asarray(traced(jnp.asarray(xs)))), daemon=True)
    t.start()
    try:
        assert inside.wait(TIMEOUT)
        x = jnp.asarray(xs)
        y = jnp.asarray(np.float32(2.0) - xs)
        assert core.find_top_trace(()).main.level == 0
        results = [x + y, jnp.sin(x), x * 2.0, jnp.sum(x), fl.grad(lambda v: jnp.sum(v * v))(x),
                   fl.vmap(lambda v: v * 3.0)(x), fl.jit(lambda v: v - 1.0)(x)]
        for r in results:
            assert type(r) is fl.Array, type(r)
        np.testing.assert_array_equal(np.asarray(results[0]), xs + (np.float32(2.0) - xs))
        np.testing.assert_array_equal(np.asarray(results[1]), np.sin(xs))
        np.testing.assert_array_equal(np.asarray(results[4]), 2 * xs)
        np.testing.assert_array_equal(np.asarray(results[6]), xs - np.float32(1.0))
    finally:
        release.set()
        t.join(TIMEOUT)
    assert not t.is_alive()
    assert seen_level == [1]
    np.testing.assert_allclose(box[0], np.sin(xs) * 2 + 1, rtol=1e-6)


def test_concurrent_first_calls_on_a_new_shape_trace_once() -> None:
    traces: list[int] = []
    started = threading.Barrier(N_THREADS)
    calling = [0]
    all_calling = threading.Event()
    lock = threading.Lock()

    @fl.jit
    def f(x: Any) -> Any:
        traces.append(1)
        # hold the trace open until every thread has entered its call
        assert all_calling.wait(TIMEOUT)
        return jnp.exp(x) * 0.5 + x

    x = jnp.asarray(np.array([0.5, -1.0, 2.0], dtype=np.float32))

    def call(i: int) -> np.ndarray[Any, Any]:
        started.wait(TIMEOUT)
        with lock:
            calling[0] += 1
            if calling[0] == N_THREADS:
                all_calling.set()
        return np.asarray(f(x))

    got = _run_threads(N_THREADS, call)
    assert len(traces) == 1
    info = f.cache_info()
    assert info.misses == 1 and info.size == 1
    want = np.exp(np.asarray(x)) * np.float32(0.5) + np.asarray(x)
    for g in got:
        np.testing.assert_allclose(g, want, rtol=1e-6)


def test_a_failing_first_compile_fails_in_every_waiting_thread() -> None:
    barrier = threading.Barrier(4)

    @fl.jit
    def bad(x: Any) -> Any:
        return x @ x  # (3,) @ (3,) is fine; (2, 3) @ (2, 3) is not

    def call(i: int) -> str:
        barrier.wait(TIMEOUT)
        try:
            bad(jnp.ones((2, 3)))
        except (TypeError, ValueError) as e:
            return type(e).__name__
        return "no error"

    got = _run_threads(4, call)
    assert "no error" not in got
    assert bad.cache_info().size == 0
    assert float(bad(jnp.ones(3))) == 3.0  # the function still works


def test_recursive_first_call_on_the_same_signature_does_not_deadlock() -> None:
    depth: list[int] = []

    @fl.jit
    def f(x: Any) -> Any:
        depth.append(1)
        if len(depth) == 1:
            # a concrete call of this very signature while it is being compiled
            inner = f(jnp.ones(3))
            return x + inner
        return x * 2.0

    box: list[Any] = []
    t = threading.Thread(target=lambda: box.append(np.asarray(f(jnp.ones(3)))), daemon=True)
    t.start()
    t.join(TIMEOUT)
    assert not t.is_alive(), "recursive jit compile deadlocked"
    np.testing.assert_array_equal(box[0], np.full(3, 3.0, np.float32))


def test_disable_jit_block_affects_only_its_own_thread() -> None:
    inside = threading.Event()
    release = threading.Event()
    kinds: list[str] = []

    @fl.jit
    def f(x: Any) -> Any:
        kinds.append(type(x).__name__)
        return x + 1.0

    def eager_thread() -> None:
        with fl.disable_jit():
            assert fl.config.disable_jit
            f(jnp.ones(2))
            inside.set()
            assert release.wait(TIMEOUT)

    t = threading.Thread(target=eager_thread, daemon=True)
    t.start()
    try:
        assert inside.wait(TIMEOUT)
        assert not fl.config.disable_jit
        np.testing.assert_array_equal(np.asarray(f(jnp.ones(2))), [2.0, 2.0])
    finally:
        release.set()
        t.join(TIMEOUT)
    assert kinds[0] == "Array" and kinds[1] != "Array"  # eager there, traced here
    assert f.cache_info().misses == 1
    # the process-wide switch reaches every thread
    fl.config.update("disable_jit", True)
    try:
        out = _run_threads(2, lambda i: type(fl.jit(lambda v: v * 2.0)(jnp.ones(2))).__name__)
        assert out == ["Array", "Array"]
        assert f.cache_info().misses == 1
        _run_threads(1, lambda i: f(jnp.ones(2)))
        assert kinds[-1] == "Array"
    finally:
        fl.config.update("disable_jit", False)
    assert not fl.config.disable_jit


def test_a_tracer_used_in_another_thread_is_a_leaked_tracer() -> None:
    box: list[Any] = []
    release = threading.Event()
    inside = threading.Event()

    def f(x: Any) -> Any:
        box.append(x * 2.0)
        inside.set()
        assert release.wait(TIMEOUT)
        return jnp.sum(x)

    t = threading.Thread(target=lambda: fl.grad(f)(jnp.ones(2)), daemon=True)
    t.start()
    try:
        assert inside.wait(TIMEOUT)
        # the grad transform is live in that thread, not in this one
        with pytest.raises(core.LeakedTracerError, match="another thread"):
            jnp.sin(box[0])
    finally:
        release.set()
        t.join(TIMEOUT)
    assert not t.is_alive()
