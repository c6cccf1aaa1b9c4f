"""jit: trace once per abstract signature, optimise, lower, cache, run.

The cache key is the argument pytree structure, each leaf's shape, dtype and
weak type, and the values of static arguments.  A call whose arguments are
tracers of an enclosing transform (``grad(jit(f))``, ``vmap(jit(f))``,
``jit`` inside ``jit``) runs ``f`` under that transform instead, so the outer
transform sees every primitive (and an outer ``jit`` compiles the whole).

Compiled programs are cached per function, as in JAX: ``jit(f)`` called
again on the same ``f`` with the same options (static and donated arguments,
``cache_size``) shares the first wrapper's cache, so ``jit(f)(x)`` in a loop
traces once.  Like JAX's cache, it holds ``f`` weakly and keys it by
identity: a function redefined (a lambda in a loop) is a new function, and a
cache hit reuses the trace, so a global changed since is not seen (JAX's
"pure functions" rule).  Callables compared by value (bound methods, which
are new objects on every attribute access, or objects defining ``__eq__``)
and callables that cannot be weakly referenced get a cache per wrapper.

Each cache keeps its compiled programs in least-recently-used order
(``config.jit_cache_size`` signatures, or ``jit(f, cache_size=n)``);
``cache_info()`` reports hits, misses, evictions and size, and
``clear_cache()`` frees the programs.  Jitted functions may be called from
several threads: a new signature is traced and compiled once while the
other threads asking for it wait.

Set ``FUNCTORCH_LITE_EXPLAIN_CACHE_MISSES=1`` (or call
``config.update("explain_cache_misses", True)``) to be told why a call
retraced.

Example:
    >>> import functorch_lite as fl
    >>> import functorch_lite.numpy as jnp
    >>> f = fl.jit(lambda x: jnp.tanh(x) * 2.0)
    >>> f(jnp.zeros(3)).tolist()
    [0.0, 0.0, 0.0]
    >>> f.cache_info().misses
    1
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import itertools
import os
import sys
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, ParamSpec, Protocol, TypeVar, overload

import numpy as np

from functorch_lite import dtypes, tree
from functorch_lite.array import Array
from functorch_lite.core import ShapedArray, Tracer
from functorch_lite.dtypes import _x64_fast, _x64_global, _x64_local
from functorch_lite.numpy._util import asarray
from functorch_lite.transforms import compiler
from functorch_lite.transforms.ir import Program
from functorch_lite.transforms.staging import trace_to_program

_DEFAULT_CACHE_SIZE = 1024


class _Config:
    """Library switches (``config.update(name, value)``).

    Options are process-wide: ``config.update`` changes them for every
    thread.  The :func:`disable_jit` context manager is the exception: it
    only affects the thread that enters it (JAX's semantics), and
    ``config.disable_jit`` reads the value in effect in the calling thread.

    - ``explain_cache_misses``: print why a jitted function retraced;
    - ``disable_jit``: run jitted functions eagerly, op by op;
    - ``enable_x64`` (also ``jax_enable_x64``; environment variable
      ``FUNCTORCH_LITE_ENABLE_X64=1``): 64-bit mode, off by default as in
      JAX; :func:`~functorch_lite.enable_x64` blocks set it per thread;
    - ``jit_cache_size``: how many compiled signatures each jitted function
      keeps (least recently used first out); a function's own
      ``jit(f, cache_size=n)`` wins, and a new value applies to a function
      at its next compile.

    Example:
        >>> import functorch_lite as fl
        >>> fl.config.jit_cache_size
        1024
    """

    def __init__(self) -> None:
        self.values: dict[str, Any] = {
            "explain_cache_misses": os.environ.get("FUNCTORCH_LITE_EXPLAIN_CACHE_MISSES", "") not in ("", "0"),
            "disable_jit": False,
            "jit_cache_size": _DEFAULT_CACHE_SIZE,
        }

    # 64-bit mode lives in ``dtypes`` (the numpy layer reads it); JAX's name works too
    _X64_NAMES = ("enable_x64", "jax_enable_x64")

    def update(self, name: str, value: Any) -> None:
        """Set option ``name`` for the whole process."""
        if name in self._X64_NAMES:
            dtypes.set_x64(value)
            return
        if name not in self.values:
            raise KeyError(f"unknown config option {name!r}; known: {sorted(self.values)}")
        if name == "jit_cache_size":
            value = _check_cache_size(value, "config jit_cache_size")
        self.values[name] = value
        if name == "disable_jit":
            _refresh_disabled()
        else:
            setattr(_state, name, value)

    def __getattr__(self, name: str) -> Any:
        if name == "disable_jit":
            return _jit_disabled()
        if name in self._X64_NAMES:
            return dtypes.x64_enabled()
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None


class _State:
    """Plain attributes mirroring ``config`` for the hot path (no dict lookups)."""

    explain_cache_misses = False
    # may jit be disabled in some thread?  False lets every call skip the
    # per-thread check (one global read on the hot path)
    maybe_disabled = False


class _ThreadState(threading.local):
    """Per-thread jit state."""

    # what the innermost ``disable_jit()`` block of this thread asked for;
    # None outside any block (the process-wide option decides)
    disable_jit: bool | None = None
    # how many jit compiles are running in this thread (nested: a compile
    # that calls another jitted function on concrete arrays)
    compiling = 0


_state = _State()
_thread = _ThreadState()
_blocks_lock = threading.Lock()
_disable_blocks = 0  # disable_jit() blocks open, in all threads
config = _Config()
_state.explain_cache_misses = config.values["explain_cache_misses"]


def _jit_disabled() -> bool:
    """Whether jitted functions run eagerly in this thread."""
    d = _thread.disable_jit
    return bool(config.values["disable_jit"]) if d is None else d


def _refresh_disabled(blocks_delta: int = 0) -> None:
    global _disable_blocks
    with _blocks_lock:
        _disable_blocks += blocks_delta
        _state.maybe_disabled = bool(config.values["disable_jit"]) or _disable_blocks > 0


def _check_cache_size(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be a positive int (compiled signatures kept), got {value!r}")
    return value


@contextlib.contextmanager
def disable_jit(disable: bool = True) -> Iterator[None]:
    """Run jitted functions eagerly (op by op) inside this block, for
    debugging.  Only the calling thread is affected; use
    ``config.update("disable_jit", True)`` for the whole process.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> with fl.disable_jit():
        ...     fl.jit(lambda x: x + 1)(jnp.ones(2)).tolist()
        [2.0, 2.0]
    """
    prev = _thread.disable_jit
    _thread.disable_jit = bool(disable)
    _refresh_disabled(+1)
    try:
        yield
    finally:
        _thread.disable_jit = prev
        _refresh_disabled(-1)


@dataclass
class CacheInfo:
    """Counters of one jitted function's cache.

    ``misses`` counts traces (compiles), ``hits`` calls served by a cached
    program, ``evictions`` programs dropped to keep at most ``maxsize``.
    ``hits`` is counted without a lock, so calls racing in several threads
    may now and then be missed; the other counters are exact.
    """

    hits: int
    misses: int
    size: int
    maxsize: int = _DEFAULT_CACHE_SIZE
    evictions: int = 0


class _Entry:
    __slots__ = ("program", "out_tree", "executable", "fn", "closes_over_tracer", "single_out", "direct", "key",
                 "last_use", "fast_keys")

    def __init__(self, program: Program, out_tree: tree.PyTreeDef, executable: compiler.Executable) -> None:
        self.key: Any = None
        self.last_use = 0
        # (0 for ``_fast`` / 1 for ``_fast_tree``, key) of the dispatch tables that point here
        self.fast_keys: list[tuple[int, Any]] = []
        self.program = program
        self.out_tree = out_tree
        self.executable = executable
        self.closes_over_tracer = any(isinstance(c, Tracer) for c in program.consts)
        self.single_out = out_tree == tree.structure(0)
        # the generated runner itself, for the hot path (one attribute read); for a
        # bare single result, the runner that returns it as it is
        one = executable.run_one
        self.direct = self.single_out and one is not None
        self.fn: Callable[[Sequence[Any]], Any] = executable.run
        if self.single_out and one is not None:
            self.fn = one

    def run(self, leaves: Sequence[Any]) -> Any:
        """The program's outputs for these argument leaves, in the output tree."""
        if self.direct:
            return self.fn(leaves)
        outs = self.fn(leaves)
        return outs[0] if self.single_out else tree.unflatten(self.out_tree, outs)


class Lowered:
    """What ``f.lower(*args)`` returns: the optimised IR and generated code."""

    def __init__(self, entry: _Entry) -> None:
        self._entry = entry

    def as_text(self) -> str:
        """The generated kernels' source and the call sequence."""
        return self._entry.executable.source

    def ir(self) -> Program:
        return self._entry.program

    @property
    def n_kernels(self) -> int:
        """How many generated (fused) kernels the program runs."""
        return self._entry.executable.n_kernels

    def compile(self) -> Lowered:
        return self


def _to_arg(x: Any) -> Any:
    if isinstance(x, (Array, Tracer)):
        return x

    return asarray(x)


class _Pending:
    """A compile in progress: other threads wanting the same signature wait
    for it instead of tracing the function again."""

    __slots__ = ("done", "entry")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.entry: _Entry | None = None  # None after a failed compile: waiters try themselves


class _Cache:
    """The compile cache of one function under one set of jit options,
    shared by every wrapper ``jit`` makes of them.  It must not reference
    the function: the registry holds functions weakly, and a value that
    kept its key alive would never be freed."""

    __slots__ = ("lock", "entries", "pending", "fast", "fast_tree", "tick", "other_ticks", "hits", "misses",
                 "evictions", "last_key", "cache_size", "sig")

    def __init__(self, cache_size: int | None, sig: inspect.Signature | None) -> None:
        # guards the tables below; never held while tracing or compiling
        self.lock = threading.Lock()
        self.entries: dict[Any, _Entry] = {}
        self.pending: dict[Any, _Pending] = {}
        # positional-Arrays-only signatures -> entry (skips pytree flattening)
        self.fast: dict[tuple[Any, ...], _Entry] = {}
        # the same for lists/tuples of Arrays and Python scalars (see ``_walk``)
        self.fast_tree: dict[tuple[Any, ...], _Entry] = {}
        # recency stamps for the least-recently-used order (``next`` is atomic: the hot
        # path needs no lock).  A hit on the hot paths takes one stamp and counts
        # nothing else: those hits are the stamps taken minus ``other_ticks`` (stamps
        # taken elsewhere); ``hits`` counts the hits of the other paths
        self.tick = itertools.count()
        self.other_ticks = 0
        self.hits = 0
        self.misses = 0
        self.evictions = 0
        self.last_key: Any = None
        self.cache_size = cache_size
        self.sig = sig


# function -> {jit options -> its cache}; weak keys so that a cache lives no
# longer than its function
_registry: weakref.WeakKeyDictionary[Any, dict[Any, _Cache]] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def _signature(fun: Callable[..., Any]) -> inspect.Signature | None:
    try:
        return inspect.signature(fun)
    except (TypeError, ValueError):
        return None


def _cache_for(fun: Callable[..., Any], options: tuple[Any, ...], cache_size: int | None) -> _Cache:
    """The cache shared by the wrappers of ``fun`` with these options, or a
    new private one for a callable that cannot be keyed by identity."""
    t: Any = type(fun)
    # only identity-compared callables share: sharing by ``__eq__`` would
    # reuse one function's traces for a different (equal) one, e.g. bound
    # methods of equal objects
    if t.__eq__ is object.__eq__ and t.__hash__ is object.__hash__:
        with _registry_lock:
            try:
                per_fun = _registry.get(fun)
                if per_fun is None:
                    per_fun = _registry[fun] = {}
                cache = per_fun.get(options)
                if cache is None:
                    cache = per_fun[options] = _Cache(cache_size, _signature(fun))
                return cache
            except TypeError:
                pass  # not weakly referenceable (builtins, __slots__ classes), or unhashable options
    return _Cache(cache_size, _signature(fun))

P = ParamSpec("P")
R = TypeVar("R")


class JitFunction(Generic[P, R]):
    """A jitted function; call it like the original.

    Compiled programs are kept per function and jit options (shared by every
    wrapper of the same function, see the module docstring) in a
    least-recently-used cache of ``cache_size`` signatures (default:
    ``config.jit_cache_size``).  It is safe to call from several threads:
    the first call with a new signature traces and compiles once while the
    others wait for its result.
    """

    def __init__(self, fun: Callable[P, R], static_argnums: tuple[int, ...],
                 static_argnames: tuple[str, ...], donate_argnums: tuple[int, ...],
                 cache_size: int | None = None) -> None:
        self.fun = fun
        self.static_argnums = static_argnums
        self.static_argnames = static_argnames
        self.donate_argnums = donate_argnums
        size = None if cache_size is None else _check_cache_size(cache_size, "jit cache_size")
        st = self._st = _cache_for(fun, (static_argnums, static_argnames, donate_argnums, size), size)
        # the shared tables, bound here for the hot path (cleared in place, never replaced)
        self._lock = st.lock
        self._cache = st.entries
        self._pending = st.pending
        self._fast = st.fast
        self._fast_tree = st.fast_tree
        self._tick = st.tick
        self._sig = st.sig
        self._plain = not static_argnums and not static_argnames  # no static arguments: fast paths apply
        functools.update_wrapper(self, fun)

    # --- argument handling -----------------------------------------------------------
    def _split(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, list[Any], tree.PyTreeDef, Any]:
        n = len(args)
        statics_pos = tuple(a % n if n else a for a in self.static_argnums if -n <= a < n)
        static_vals = []
        for i in statics_pos:
            static_vals.append((i, _static_key(args[i], f"static argument {i}")))
        static_kw = []
        dyn_kwargs = {}
        for k, v in kwargs.items():
            if k in self.static_argnames:
                static_kw.append((k, _static_key(v, f"static argument {k!r}")))
            else:
                dyn_kwargs[k] = v
        if self._sig is not None and self.static_argnames:
            params = list(self._sig.parameters)
            for name in self.static_argnames:
                if name in params and params.index(name) < n and params.index(name) not in statics_pos:
                    i = params.index(name)
                    statics_pos = statics_pos + (i,)
                    static_vals.append((i, _static_key(args[i], f"static argument {name!r}")))
        dyn_args = tuple(a for i, a in enumerate(args) if i not in statics_pos)
        leaves, in_tree = tree.flatten((dyn_args, dyn_kwargs))
        static_vals.sort(key=lambda iv: iv[0])
        static_kw.sort(key=lambda kv: kv[0])
        static_key = (tuple(static_vals), tuple(static_kw), statics_pos)
        return static_key, leaves, in_tree, statics_pos

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        if not kwargs and self._plain and not _state.maybe_disabled:
            # the hot path: positional Arrays (and Python scalars) only, a
            # signature seen before; keyed by 64-bit mode too (constants and
            # defaults in the trace depend on it): ``dtypes.x64_enabled()`` inline
            x64 = _x64_fast[0]  # None while an enable_x64 block is open in any thread
            if x64 is None:
                x64 = _x64_local.value
                if x64 is None:
                    x64 = _x64_global[0]
            key: list[Any] = [x64]
            for a in args:
                if type(a) is not Array:
                    break
                key.append((a._shape, a._dtype, a.weak_type))
            else:
                entry = self._fast.get(tuple(key))
                if entry is not None:
                    entry.last_use = next(self._tick)  # also counts the hit (see ``_Cache``)
                    if entry.direct:
                        hit: R = entry.fn(args)
                        return hit
                    outs = entry.fn(args)
                    hit = outs[0] if entry.single_out else tree.unflatten(entry.out_tree, outs)
                    return hit
                out: R = self._call(args, kwargs)
                return out
            key = [x64]
            leaves = _top_scalars(args, key, x64)
            if leaves is not None:
                entry = self._fast.get(tuple(key))
                if entry is not None:
                    entry.last_use = next(self._tick)  # also counts the hit (see ``_Cache``)
                    if entry.direct:
                        hit = entry.fn(leaves)
                        return hit
                    outs = entry.fn(leaves)
                    hit = outs[0] if entry.single_out else tree.unflatten(entry.out_tree, outs)
                    return hit
        out = self._call(args, kwargs)
        return out

    def _call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if _state.maybe_disabled and _jit_disabled():
            return self.fun(*args, **kwargs)
        fast_key: tuple[Any, ...] | None = None
        fast_table = 0
        if not kwargs and self._plain:
            x64 = dtypes.x64_enabled()
            top: list[Any] = [x64]
            if _top_scalars(args, top, x64) is not None:
                # Arrays and Python scalars: a scalar's leaf is its weak 0-d
                # Array, so both share one signature (and ``__call__``'s table)
                fast_key = tuple(top)
            else:
                # lists/tuples of Arrays and Python scalars: keyed without pytree flattening
                key: list[Any] = [dtypes.x64_enabled()]
                fast_leaves: list[Any] = []
                if _walk(args, key, fast_leaves):
                    fast_key = tuple(key)
                    fast_table = 1
                    entry = self._fast_tree.get(fast_key)
                    if entry is not None:
                        entry.last_use = next(self._tick)  # also counts the hit (see ``_Cache``)
                        return entry.run(fast_leaves)
        static_key, leaves, in_tree, statics_pos = self._split(args, kwargs)
        leaves = [_to_arg(x) for x in leaves]
        if any(isinstance(x, Tracer) for x in leaves):
            # inside another transform: let it see every primitive
            return self.fun(*args, **kwargs)
        entry = self._entry(args, kwargs, static_key, leaves, in_tree, statics_pos)
        if entry.closes_over_tracer:
            # the function captured a value of an enclosing transform: run it there
            return self.fun(*args, **kwargs)
        if fast_key is not None and not statics_pos:
            self._remember(fast_table, fast_key, entry)
        return entry.run(leaves)

    # --- the cache ---------------------------------------------------------------------
    def _remember(self, table: int, fast_key: tuple[Any, ...], entry: _Entry) -> None:
        """Let the dispatch table ``table`` find ``entry`` by ``fast_key``,
        unless it was evicted meanwhile."""
        with self._lock:
            if self._cache.get(entry.key) is entry:
                (self._fast_tree if table else self._fast)[fast_key] = entry
                entry.fast_keys.append((table, fast_key))

    def _entry(self, args: tuple[Any, ...], kwargs: dict[str, Any], static_key: Any, leaves: list[Any],
               in_tree: tree.PyTreeDef, statics_pos: tuple[int, ...]) -> _Entry:
        avals = tuple((x.shape, x.dtype, x.weak_type) for x in leaves)
        key = (in_tree, avals, static_key, dtypes.x64_enabled())
        while True:
            with self._lock:
                entry = self._cache.get(key)
                if entry is not None:
                    self._st.hits += 1
                    entry.last_use = self._stamp()
                    return entry
                pending = self._pending.get(key)
                # a thread that is compiling never waits (two compiles that each
                # call the other's function could otherwise wait on each other):
                # it compiles this signature itself, as a recursive call would
                if pending is None or _thread.compiling:
                    # ``own`` is None for a nested compile, which caches nothing
                    own = None
                    if pending is None:
                        own = self._pending[key] = _Pending()
                    self._st.misses += 1
                    last, self._st.last_key = self._st.last_key, key
                    break
            pending.done.wait()
            if pending.entry is not None:
                with self._lock:
                    self._st.hits += 1
                return pending.entry
            # that compile failed: try here (and raise its error in this thread too)
        try:
            if config.explain_cache_misses and last is not None:
                print(_explain(self.fun, last, key), file=sys.stderr)
            _thread.compiling += 1
            try:
                entry = self._compile(args, kwargs, leaves, in_tree, statics_pos)
            finally:
                _thread.compiling -= 1
        except BaseException:
            if own is not None:
                with self._lock:
                    del self._pending[key]
                own.done.set()
            raise
        if own is None:
            return entry  # a nested compile: the call that registered the signature caches its own
        with self._lock:
            del self._pending[key]
            self._insert(key, entry)
        own.entry = entry
        own.done.set()
        return entry

    def _insert(self, key: Any, entry: _Entry) -> None:
        """Cache ``entry`` (the lock is held), evicting the least recently
        used entries beyond the size bound."""
        entry.key = key
        entry.last_use = self._stamp()
        self._cache[key] = entry
        limit = self.maxsize
        while len(self._cache) > limit:
            victim = min(self._cache.values(), key=_last_use)
            self._drop(victim)
            self._st.evictions += 1

    def _drop(self, entry: _Entry) -> None:
        del self._cache[entry.key]
        for table, fk in entry.fast_keys:
            t = self._fast_tree if table else self._fast
            if t.get(fk) is entry:
                del t[fk]
        entry.fast_keys.clear()

    def _compile(self, args: tuple[Any, ...], kwargs: dict[str, Any], leaves: list[Any],
                 in_tree: tree.PyTreeDef, statics_pos: tuple[int, ...]) -> _Entry:
        fun = self.fun

        def flat_fun(dyn_args: tuple[Any, ...], dyn_kwargs: dict[str, Any]) -> Any:
            full = []
            it = iter(dyn_args)
            for i in range(len(args)):
                full.append(args[i] if i in statics_pos else next(it))
            kw = dict(dyn_kwargs)
            for k, v in kwargs.items():
                if k in self.static_argnames:
                    kw[k] = v
            return fun(*full, **kw)

        avals = [ShapedArray(x.shape, x.dtype, x.weak_type) for x in leaves]
        program, out_tree = trace_to_program(flat_fun, avals, in_tree)
        program = compiler.optimize(program)
        from functorch_lite.transforms import fusion  # start-up cost: the fusion back end, on first lowering

        return _Entry(program, out_tree, fusion.lower_with_fusion(program))

    # --- introspection ----------------------------------------------------------------
    @property
    def maxsize(self) -> int:
        """How many compiled signatures this function keeps."""
        size = self._st.cache_size
        n: int = size if size is not None else config.values["jit_cache_size"]
        return n

    def lower(self, *args: P.args, **kwargs: P.kwargs) -> Lowered:
        """The optimised IR and generated code for these arguments (compiled
        and cached as a call would).

        Example:
            >>> import functorch_lite as fl
            >>> import functorch_lite.numpy as jnp
            >>> fl.jit(lambda x: x * 2.0 + 1.0).lower(jnp.ones(3)).n_kernels
            1
        """
        static_key, leaves, in_tree, statics_pos = self._split(args, kwargs)
        leaves = [_to_arg(x) for x in leaves]
        return Lowered(self._entry(args, kwargs, static_key, leaves, in_tree, statics_pos))

    def cache_info(self) -> CacheInfo:
        """Hits, misses (traces), evictions, size and maximum size of the cache.

        Example:
            >>> import functorch_lite as fl
            >>> import functorch_lite.numpy as jnp
            >>> f = fl.jit(lambda x: x + 1, cache_size=1)
            >>> _ = f(jnp.ones(2)); _ = f(jnp.ones(3)); _ = f(jnp.ones(3))
            >>> f.cache_info()
            CacheInfo(hits=1, misses=2, size=1, maxsize=1, evictions=1)
        """
        with self._lock:
            st = self._st
            fast_hits = next(st.tick) - st.other_ticks
            st.other_ticks += 1  # this call's stamp
            return CacheInfo(st.hits + fast_hits, st.misses, len(self._cache), self.maxsize, st.evictions)

    def _stamp(self) -> int:
        """A recency stamp taken off the hot paths (not counted as their hit)."""
        st = self._st
        st.other_ticks += 1
        return next(st.tick)

    def clear_cache(self) -> None:
        """Drop every compiled program of this function (counters are kept).

        Example:
            >>> import functorch_lite as fl
            >>> import functorch_lite.numpy as jnp
            >>> f = fl.jit(lambda x: x + 1)
            >>> _ = f(jnp.ones(2)); f.clear_cache(); f.cache_info().size
            0
        """
        with self._lock:
            for entry in list(self._cache.values()):
                entry.fast_keys.clear()
            self._cache.clear()
            self._fast.clear()
            self._fast_tree.clear()
            self._st.last_key = None

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        if obj is None:
            return self
        return functools.partial(self, obj)


def _last_use(e: _Entry) -> int:
    return e.last_use


def _walk(x: Any, key: list[Any], leaves: list[Any]) -> bool:
    """Flatten ``x`` as ``tree.flatten`` would, for plain lists/tuples of
    Arrays and Python scalars only (scalars become their weak 0-d Arrays),
    appending a signature to ``key``; False for anything else."""
    t = type(x)
    if t is Array:
        key.append((x._shape, x._dtype, x.weak_type))
        leaves.append(x)
        return True
    if t is tuple or t is list:
        key.append((t, len(x)))
        for c in x:
            if not _walk(c, key, leaves):
                return False
        return True
    if t is float or t is int or t is bool:
        a = _to_arg(x)
        key.append((a._shape, a._dtype, True))
        leaves.append(a)
        return True
    return False


# (type, value, 64-bit mode) of a Python scalar argument -> (its weak 0-d
# Array, its signature entry); float zeros are never stored, as 0.0 == -0.0
# would hand one the other's array
_scalar_leaves: dict[tuple[Any, Any, bool], tuple[Array, Any]] = {}


def _top_scalars(args: tuple[Any, ...], key: list[Any], x64: bool) -> list[Any] | None:
    """For positional arguments that are Arrays or Python scalars only:
    append each leaf's signature to ``key`` as ``__call__``'s table keys
    it and return the leaves (scalars as their weak 0-d Arrays, as
    ``_to_arg`` makes them); None (``key`` partly filled) otherwise."""
    leaves = list(args)
    i = 0
    for a in args:
        t = type(a)
        if t is Array:
            key.append((a._shape, a._dtype, a.weak_type))
        elif t is float or t is int or t is bool:
            sk = (t, a, x64)
            hit = _scalar_leaves.get(sk)
            if hit is None:
                arr = _to_arg(a)
                hit = (arr, (arr._shape, arr._dtype, arr.weak_type))
                if t is not float or a != 0.0:
                    if len(_scalar_leaves) >= 1024:
                        _scalar_leaves.clear()
                    _scalar_leaves[sk] = hit
            leaves[i] = hit[0]
            key.append(hit[1])
        else:
            return None
        i += 1
    return leaves


def _static_key(v: Any, what: str) -> Any:
    """The cache key of a static argument: its type beside its value, so that
    values that compare equal but differ in type (``1``, ``1.0``, ``True``)
    or in sign (``0.0``, ``-0.0``) trace separately, as they may give
    different programs.  Floats are keyed by their exact bits (a NaN static
    hits the cache); tuples and frozensets are keyed element by element.

    Example:
        >>> _static_key(1, "n") == _static_key(1.0, "n")
        False
        >>> _static_key(0.0, "x") == _static_key(-0.0, "x")
        False
    """
    try:
        hash(v)
    except TypeError:
        raise TypeError(
            f"jit: {what} of type {type(v).__name__} is not hashable, so it cannot be static; "
            "pass a tuple instead of a list, or make it a traced (non-static) argument"
        ) from None
    return _key_of(v)


def _key_of(v: Any) -> Any:
    t = type(v)
    if isinstance(v, tuple):
        return (t, tuple(_key_of(c) for c in v))
    if isinstance(v, frozenset):
        return (t, frozenset(_key_of(c) for c in v))
    if isinstance(v, np.generic):
        return (t, v.dtype, v.tobytes())
    if isinstance(v, float):
        return (t, v.hex())
    if isinstance(v, complex):
        return (t, v.real.hex(), v.imag.hex())
    return (t, v)


def _explain(fun: Any, old: Any, new: Any) -> str:
    name = getattr(fun, "__name__", "function")
    reasons = []
    if old[0] != new[0]:
        reasons.append(f"the argument structure changed: {old[0]} -> {new[0]}")
    elif old[1] != new[1]:
        for i, (a, b) in enumerate(zip(old[1], new[1])):
            if a != b:
                reasons.append(
                    f"argument leaf {i}: shape/dtype/weak_type {a[0]}/{a[1]}/{a[2]} -> {b[0]}/{b[1]}/{b[2]}"
                )
    if old[2] != new[2]:
        reasons.append(f"static arguments changed: {old[2]} -> {new[2]}")
    if old[3] != new[3]:
        reasons.append(f"64-bit mode changed: {old[3]} -> {new[3]}")
    return f"jit: retracing {name!r} because " + ("; ".join(reasons) or "it was not seen before")


class JitDecorator(Protocol):
    """What ``jit(static_argnums=...)`` (no function yet) returns: a decorator."""

    def __call__(self, fun: Callable[P, R], /) -> JitFunction[P, R]: ...


@overload
def jit(fun: Callable[P, R], *, static_argnums: int | Sequence[int] | None = None,
        static_argnames: str | Sequence[str] | None = None,
        donate_argnums: int | Sequence[int] | None = None, cache_size: int | None = None) -> JitFunction[P, R]: ...
@overload
def jit(fun: None = None, *, static_argnums: int | Sequence[int] | None = None,
        static_argnames: str | Sequence[str] | None = None,
        donate_argnums: int | Sequence[int] | None = None, cache_size: int | None = None) -> JitDecorator: ...
def jit(fun: Callable[..., Any] | None = None, *, static_argnums: int | Sequence[int] | None = None,
        static_argnames: str | Sequence[str] | None = None,
        donate_argnums: int | Sequence[int] | None = None, cache_size: int | None = None) -> Any:
    """Compile ``fun``: traced once per abstract signature, optimised, fused
    and cached; usable as ``@jit`` and ``@jit(static_argnames=...)``.

    Static arguments are part of the signature with their type: ``1``,
    ``1.0`` and ``True`` compile separately.  ``cache_size`` bounds how many
    signatures stay compiled (least recently used first out; default
    ``config.jit_cache_size``).  Jitted functions may be called from several
    threads at once.

    Example:
        >>> import functorch_lite as fl
        >>> @fl.jit(static_argnums=1)
        ... def power(x, n):
        ...     return x ** n
        >>> float(power(2.0, 3))
        8.0
    """
    def norm(v: Any) -> tuple[Any, ...]:
        if v is None:
            return ()
        return (v,) if isinstance(v, (int, str)) else tuple(v)

    def make(f: Callable[..., Any]) -> JitFunction[..., Any]:
        return JitFunction(f, norm(static_argnums), norm(static_argnames), norm(donate_argnums), cache_size)

    if fun is None:
        return make
    return make(fun)
