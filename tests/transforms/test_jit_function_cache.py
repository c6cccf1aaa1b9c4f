"""jit caches by function, not by wrapper (as JAX does): ``jit(f)(x)`` with a
fresh wrapper each time reuses the trace of the same ``f`` under the same
options, holds ``f`` weakly, and so keeps JAX's "pure functions" semantics
(a global changed after the first trace is not seen on a cache hit)."""

from __future__ import annotations

import functools
import gc
import threading
import weakref
from typing import Any

import numpy as np

import functorch_lite as fl
import functorch_lite.numpy as jnp

TIMEOUT = 60.0

g = 0.0


def impure_uses_globals(x: Any) -> Any:
    return x + g


def test_the_pure_functions_gotcha_gives_jaxs_values() -> None:
    # JAX's "common gotchas", pure functions: the second call hits the cache
    # of the first trace, where g was 0; a new shape retraces and sees g = 10
    global g
    g = 0.0
    try:
        assert float(fl.jit(impure_uses_globals)(4.0)) == 4.0
        g = 10.0
        assert float(fl.jit(impure_uses_globals)(5.0)) == 5.0
        assert np.asarray(fl.jit(impure_uses_globals)(jnp.array([4.0]))).tolist() == [14.0]
        assert fl.jit(impure_uses_globals).cache_info().misses == 2
    finally:
        g = 0.0
        fl.jit(impure_uses_globals).clear_cache()


def test_fresh_wrappers_of_one_function_trace_once() -> None:
    traces: list[int] = []

    def body(i: Any) -> Any:
        traces.append(1)
        return jnp.sin(i * 2.0) + 1.0

    got = [float(fl.jit(body)(i)) for i in range(20)]
    assert len(traces) == 1
    np.testing.assert_allclose(got, np.sin(np.arange(20) * 2.0) + 1.0, rtol=1e-6)
    info = fl.jit(body).cache_info()  # a new wrapper reports the shared counters
    assert (info.hits, info.misses, info.size) == (19, 1, 1)
    fl.jit(body).clear_cache()  # clears it for every wrapper
    assert fl.jit(body).cache_info().size == 0
    fl.jit(body)(1)
    assert len(traces) == 2


def test_different_options_and_different_functions_have_separate_caches() -> None:
    traces: list[str] = []

    def power(x: Any, n: Any) -> Any:
        traces.append("power")
        return x**n

    x = jnp.asarray(np.array([2.0, 3.0], dtype=np.float32))
    assert np.asarray(fl.jit(power, static_argnums=1)(x, 2)).tolist() == [4.0, 9.0]
    assert np.asarray(fl.jit(power, static_argnums=1)(x, 2)).tolist() == [4.0, 9.0]
    assert len(traces) == 1
    # n traced instead of static: another cache, another trace
    assert np.asarray(fl.jit(power)(x, 2)).tolist() == [4.0, 9.0]
    assert np.asarray(fl.jit(power, static_argnames="n")(x, n=3)).tolist() == [8.0, 27.0]
    assert np.asarray(fl.jit(power, static_argnums=1, cache_size=1)(x, 2)).tolist() == [4.0, 9.0]
    assert len(traces) == 4
    assert fl.jit(power, static_argnums=1).cache_info().misses == 1

    # a lambda redefined in a loop is a new function every time: no sharing
    lams = [lambda y, k=k: traces.append("lam") or y + k for k in range(3)]
    assert [float(fl.jit(lam)(1.0)) for lam in lams] == [1.0, 2.0, 3.0]
    assert traces.count("lam") == 3

    # partial objects are keyed by identity, as in JAX
    p = functools.partial(power, n=2)
    q = functools.partial(power, n=3)
    assert np.asarray(fl.jit(p)(x)).tolist() == [4.0, 9.0]
    assert np.asarray(fl.jit(p)(x)).tolist() == [4.0, 9.0]
    assert np.asarray(fl.jit(q)(x)).tolist() == [8.0, 27.0]
    assert traces.count("power") == 6


class _Scaled:
    """Equal to every other instance, so its bound methods compare equal."""

    def __init__(self, scale: float) -> None:
        self.scale = scale

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Scaled)

    def __hash__(self) -> int:
        return 0

    def apply(self, x: Any) -> Any:
        return x * self.scale


def test_bound_methods_of_equal_objects_never_share_a_trace() -> None:
    a, b = _Scaled(2.0), _Scaled(3.0)
    fa = fl.jit(a.apply)  # kept alive, so an equal key would still be found
    assert float(fa(1.0)) == 2.0
    assert float(fl.jit(b.apply)(1.0)) == 3.0
    assert float(fl.jit(a.apply)(1.0)) == 2.0


def test_the_cache_does_not_keep_the_function_alive() -> None:
    def make() -> Any:
        def f(x: Any) -> Any:
            return jnp.cos(x) * 3.0

        return f

    f = make()
    ref = weakref.ref(f)
    wrappers = [fl.jit(f) for _ in range(3)]
    for w in wrappers:
        w(jnp.ones(2))
    assert wrappers[0].cache_info().misses == 1
    del f, w, wrappers
    gc.collect()
    assert ref() is None


def test_a_function_closing_over_a_tracer_is_freed_with_its_tracer() -> None:
    refs: list[weakref.ref[Any]] = []

    def outer(x: Any) -> Any:
        def h(y: Any) -> Any:
            return y * x

        refs.append(weakref.ref(h))
        return fl.jit(h)(2.0) + fl.jit(h)(1.0)

    assert float(fl.grad(outer)(3.0)) == 3.0
    assert float(fl.grad(outer)(5.0)) == 3.0
    gc.collect()
    assert len(refs) == 2 and all(r() is None for r in refs)


def _inner(x: Any) -> Any:
    return jnp.sin(x) * x


def test_nested_jit_and_jit_under_transforms_share_and_stay_correct() -> None:
    xs = np.array([0.1, 0.7, -1.3], dtype=np.float32)
    x = jnp.asarray(xs)

    def outer(y: Any) -> Any:
        return fl.jit(_inner)(y) + 1.0

    for _ in range(2):
        np.testing.assert_allclose(np.asarray(fl.jit(outer)(x)), np.sin(xs) * xs + 1.0, rtol=1e-6)
        got = fl.vmap(fl.grad(lambda t: fl.jit(_inner)(t)))(x)
        np.testing.assert_allclose(np.asarray(got), np.cos(xs) * xs + np.sin(xs), rtol=1e-5)
    assert fl.jit(outer).cache_info().misses == 1


def test_two_threads_with_two_wrappers_compile_once() -> None:
    traces: list[int] = []
    entered = threading.Event()
    lock = threading.Lock()
    calling = [0]
    both_calling = threading.Event()

    def f(x: Any) -> Any:
        traces.append(1)
        entered.set()
        # hold the trace open until the second thread is in its call
        assert both_calling.wait(TIMEOUT)
        return jnp.exp(x) * 0.5

    x = jnp.asarray(np.array([0.5, -1.0], dtype=np.float32))
    results: list[Any] = [None, None]

    def call(i: int) -> None:
        if i == 1:
            assert entered.wait(TIMEOUT)
        wrapper = fl.jit(f)
        with lock:
            calling[0] += 1
            if calling[0] == 2:
                both_calling.set()
        results[i] = np.asarray(wrapper(x))

    threads = [threading.Thread(target=call, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    assert not any(t.is_alive() for t in threads)
    assert len(traces) == 1
    assert fl.jit(f).cache_info().misses == 1
    for r in results:
        np.testing.assert_allclose(r, np.exp(np.asarray(x)) * np.float32(0.5), rtol=1e-6)
