"""jit's compile cache: a least-recently-used bound per function, its
counters, memory returned on eviction and ``clear_cache``, and cache keys of
static arguments (type and sign are part of the key, as in JAX)."""

from __future__ import annotations

import gc
import math
import tracemalloc
import weakref
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp


def _counting(cache_size: int | None = None) -> tuple[Any, list[tuple[int, ...]]]:
    """A jitted function that records the shape of every trace."""
    traces: list[tuple[int, ...]] = []

    def f(x: Any) -> Any:
        traces.append(x.shape)
        return x * 2.0 + 1.0

    return fl.jit(f, cache_size=cache_size), traces


@pytest.fixture
def restore_cache_size() -> Iterator[None]:
    prev = fl.config.jit_cache_size
    yield
    fl.config.update("jit_cache_size", prev)


def test_least_recently_used_signature_is_evicted_first() -> None:
    f, traces = _counting(cache_size=2)
    a, b, c = jnp.ones(2), jnp.ones(3), jnp.ones(4)
    f(a)
    f(b)
    f(a)  # a is now more recent than b
    f(c)  # evicts b
    assert traces == [(2,), (3,), (4,)]
    f(a)
    f(c)
    assert traces == [(2,), (3,), (4,)]  # both still cached
    f(b)  # b was evicted: traced again, evicting a (c was used after a)
    assert traces[-1] == (3,)
    f(c)
    assert len(traces) == 4
    f(a)
    assert traces[-1] == (2,) and len(traces) == 5
    info = f.cache_info()
    assert (info.hits, info.misses, info.size, info.maxsize, info.evictions) == (4, 5, 2, 2, 3)
    np.testing.assert_array_equal(np.asarray(f(b)), [3.0, 3.0, 3.0])


def test_every_dispatch_path_counts_hits_and_refreshes_recency() -> None:
    traces: list[int] = []

    def g(xs: Any, s: Any = 1.0) -> Any:
        traces.append(1)
        return xs[0] * s + xs[1]

    f = fl.jit(g, cache_size=2)
    pair = (jnp.ones(2), jnp.ones(2))
    f(pair, s=1.0)  # keyword arguments: the general path
    f(pair, s=1.0)
    f(pair)  # a tuple of arrays: the tree fast path
    f(pair)
    assert len(traces) == 2
    f([jnp.ones(3), jnp.ones(3)])  # evicts the least recent: the keyword signature
    f(pair)  # still cached (used more recently)
    assert len(traces) == 3
    f(pair, s=1.0)
    assert len(traces) == 4
    info = f.cache_info()
    assert (info.hits, info.misses, info.evictions, info.size) == (3, 4, 2, 2)
    np.testing.assert_array_equal(np.asarray(f(pair, s=3.0)), [4.0, 4.0])


def test_an_evicted_signature_is_gone_from_the_fast_dispatch_tables() -> None:
    f, traces = _counting(cache_size=1)
    x, y = jnp.ones(2), jnp.ones(3)
    for _ in range(3):
        f(x)
        f(y)
    assert traces == [(2,), (3,)] * 3
    assert f.cache_info().evictions == 5
    assert len(f._fast) == 1 and len(f._cache) == 1


def test_config_cache_size_is_the_default_and_validated(restore_cache_size: None) -> None:
    fl.config.update("jit_cache_size", 3)
    f, traces = _counting()
    g, _ = _counting(cache_size=5)
    for n in range(1, 8):
        f(jnp.ones(n))
        g(jnp.ones(n))
    assert f.cache_info().size == 3 and f.cache_info().maxsize == 3
    assert g.cache_info().size == 5 and g.cache_info().maxsize == 5
    bad: Any
    for bad in (0, -1, 1.5, True, "4", None):
        with pytest.raises(ValueError, match="positive int"):
            fl.config.update("jit_cache_size", bad)
        if bad is not None:
            with pytest.raises(ValueError, match="positive int"):
                fl.jit(lambda x: x, cache_size=bad)
    assert fl.config.jit_cache_size == 3


def test_clear_cache_keeps_counters_and_retraces() -> None:
    f, traces = _counting()
    f(jnp.ones(2))
    f(jnp.ones(2))
    f.clear_cache()
    info = f.cache_info()
    assert (info.hits, info.misses, info.size) == (1, 1, 0)
    f(jnp.ones(2))
    assert len(traces) == 2 and f.cache_info().size == 1


def _traced_bytes() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def test_clear_cache_and_eviction_release_the_memory_of_compiled_programs() -> None:
    def body(x: Any) -> Any:
        return jnp.sin(x) * 2.0 + jnp.cos(x) * x

    f = fl.jit(body)
    bounded = fl.jit(body, cache_size=4)
    # kernels and per-shape helpers warmed up: what is measured is the jit cache
    for n in (2, 3, 30):
        f(jnp.ones((n, 3)))
        bounded(jnp.ones((n, 3)))
    f.clear_cache()
    shapes = [(n, 3) for n in range(4, 64)]
    xs = [jnp.ones(s) for s in shapes]
    tracemalloc.start()
    try:
        start = _traced_bytes()
        for x in xs:
            f(x)
        grown = _traced_bytes() - start
        programs = [weakref.ref(e.executable) for e in f._cache.values()]
        gc.disable()  # freed by reference counting alone: no reference cycles
        try:
            f.clear_cache()
            assert not any(p() is not None for p in programs)
        finally:
            gc.enable()
        left = _traced_bytes() - start
        for x in xs:
            bounded(x)
        bounded_left = _traced_bytes() - start
    finally:
        tracemalloc.stop()
    assert f.cache_info().size == 0 and bounded.cache_info().size == 4
    assert grown > 100_000, grown  # ~10 KB per compiled signature
    assert left < 0.1 * grown, (left, grown)
    assert bounded_left < 0.3 * grown, (bounded_left, grown)
    print(f"60 signatures: +{grown} B; after clear_cache +{left} B; with cache_size=4 +{bounded_left} B")


# --- static arguments: type and sign are part of the key ------------------------------------------


def test_statics_equal_in_value_but_of_different_types_compile_separately() -> None:
    seen: list[type] = []

    def f(x: Any, n: Any) -> Any:
        seen.append(type(n))
        return x * (10.0 if type(n) is bool else 20.0 if type(n) is int else 30.0)

    jf = fl.jit(f, static_argnums=1)
    x = jnp.ones(2)
    got = [float(jf(x, n)[0]) for n in (1, 1.0, True, np.float32(1), 1, 1.0, True)]
    assert got == [20.0, 30.0, 10.0, 30.0, 20.0, 30.0, 10.0]
    assert seen == [int, float, bool, np.float32]
    assert jf.cache_info().misses == 4
    # the same through static_argnames, passed by keyword and by position
    jk = fl.jit(f, static_argnames="n")
    assert [float(jk(x, n=v)[0]) for v in (1, 1.0, True)] == [20.0, 30.0, 10.0]
    assert [float(jk(x, v)[0]) for v in (True, 1.0, 1)] == [10.0, 30.0, 20.0]
    assert jk.cache_info().misses == 6


def test_signed_zero_statics_compile_separately() -> None:
    jf = fl.jit(lambda x, s: x * math.copysign(1.0, s), static_argnums=1)
    x = jnp.asarray([1.0, 2.0])
    np.testing.assert_array_equal(np.asarray(jf(x, 0.0)), [1.0, 2.0])
    np.testing.assert_array_equal(np.asarray(jf(x, -0.0)), [-1.0, -2.0])
    np.testing.assert_array_equal(np.asarray(jf(x, 0.0)), [1.0, 2.0])
    np.testing.assert_array_equal(np.asarray(jf(x, -0.0)), [-1.0, -2.0])
    assert jf.cache_info().misses == 2
    # a NaN static equals itself as a key: traced once
    jn = fl.jit(lambda x, s: x + (1.0 if math.isnan(s) else 0.0), static_argnums=1)
    jn(x, float("nan"))
    jn(x, float("nan"))
    assert jn.cache_info().misses == 1


def test_nested_static_tuples_are_keyed_by_element_types() -> None:
    kinds: list[Any] = []

    def f(x: Any, spec: Any) -> Any:
        kinds.append(spec)
        scale = spec[1][0]
        return x * (2.0 if type(scale) is int else 3.0) * (-1.0 if math.copysign(1.0, spec[1][1]) < 0 else 1.0)

    jf = fl.jit(f, static_argnums=1)
    x = jnp.ones(1)
    specs = [("a", (1, 0.0)), ("a", (1.0, 0.0)), ("a", (1, -0.0)), ("a", (True, 0.0)), ("a", (1, 0.0))]
    got = [float(jf(x, s)[0]) for s in specs]
    assert got == [2.0, 3.0, -2.0, 3.0, 2.0]
    assert jf.cache_info().misses == 4
    with pytest.raises(TypeError, match="not hashable"):
        jf(x, ("a", [1, 2]))


def test_one_result_programs_return_it_bare_and_others_in_their_tree() -> None:
    """A program with one output is also compiled as a runner returning it bare
    (the hot path of a jitted function with one array result); every result
    structure still comes back as eager's: a bare array, a 1-tuple, a list, a
    constant, an argument passed through, several results."""
    x = jnp.arange(6.0).reshape(2, 3)
    cases = {
        "bare": lambda v: v * 2.0,
        "tuple": lambda v: (v * 2.0,),
        "list": lambda v: [jnp.negative(v) * 3.0],
        "constant": lambda v: jnp.float32(3.0),
        "passed through": lambda v: v,
        "two": lambda v: (v + 1.0, v.sum()),
    }
    for name, f in cases.items():
        jf = fl.jit(f)
        for _ in range(2):  # the first call compiles, the second takes the hot path
            got, want = jf(x), f(x)
            assert type(got) is type(want), name
            for g, w in zip(fl.tree.leaves(got), fl.tree.leaves(want)):
                np.testing.assert_array_equal(np.asarray(g), np.asarray(w), err_msg=name)
        entry = next(iter(jf._st.entries.values()))
        assert entry.direct == (name in ("bare", "constant", "passed through")), name
