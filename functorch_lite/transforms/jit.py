"""jit: trace once per abstract signature, optimise, lower, cache, run.

The cache key is the argument pytree structure, each leaf's shape, dtype and
weak type, and the values of static arguments.  A call whose arguments are
tracers of an enclosing transform (``grad(jit(f))``, ``vmap(jit(f))``,
``jit`` inside ``jit``) runs ``f`` under that transform instead, so the outer
transform sees every primitive (and an outer ``jit`` compiles the whole).

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
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from functorch_lite import tree
from functorch_lite.array import Array
from functorch_lite.core import ShapedArray, Tracer
from functorch_lite.transforms import compiler
from functorch_lite.transforms.ir import Program
from functorch_lite.transforms.staging import trace_to_program


class _Config:
    """Library switches (``config.update(name, value)``)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {
            "explain_cache_misses": os.environ.get("FUNCTORCH_LITE_EXPLAIN_CACHE_MISSES", "") not in ("", "0"),
            "disable_jit": False,
        }

    def update(self, name: str, value: Any) -> None:
        if name not in self.values:
            raise KeyError(f"unknown config option {name!r}; known: {sorted(self.values)}")
        self.values[name] = value
        setattr(_state, name, value)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None


class _State:
    """Plain attributes mirroring ``config`` for the hot path (no dict lookups)."""

    disable_jit = False
    explain_cache_misses = False


_state = _State()
config = _Config()
_state.explain_cache_misses = config.values["explain_cache_misses"]


@contextlib.contextmanager
def disable_jit(disable: bool = True) -> Iterator[None]:
    """Run jitted functions eagerly (op by op) inside this block, for debugging.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> with fl.disable_jit():
        ...     fl.jit(lambda x: x + 1)(jnp.ones(2)).tolist()
        [2.0, 2.0]
    """
    prev = config.disable_jit
    config.update("disable_jit", disable)
    try:
        yield
    finally:
        config.update("disable_jit", prev)


@dataclass
class CacheInfo:
    hits: int
    misses: int
    size: int


class _Entry:
    __slots__ = ("program", "out_tree", "executable", "closes_over_tracer", "single_out")

    def __init__(self, program: Program, out_tree: tree.PyTreeDef, executable: compiler.Executable) -> None:
        self.program = program
        self.out_tree = out_tree
        self.executable = executable
        self.closes_over_tracer = any(isinstance(c, Tracer) for c in program.consts)
        self.single_out = out_tree == tree.structure(0)

    def run(self, leaves: Sequence[Any]) -> Any:
        """The program's outputs for these argument leaves, in the output tree."""
        outs = self.executable.run(leaves)
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
    from functorch_lite.numpy._util import asarray

    return asarray(x)


class JitFunction:
    """A jitted function; call it like the original."""

    def __init__(self, fun: Callable[..., Any], static_argnums: tuple[int, ...],
                 static_argnames: tuple[str, ...], donate_argnums: tuple[int, ...]) -> None:
        self.fun = fun
        self.static_argnums = static_argnums
        self.static_argnames = static_argnames
        self.donate_argnums = donate_argnums
        self._cache: dict[Any, _Entry] = {}
        # positional-Arrays-only signatures -> entry (skips pytree flattening)
        self._fast: dict[tuple[Any, ...], _Entry] = {}
        self._plain = not static_argnums and not static_argnames  # no static arguments: fast paths apply
        # the same for lists/tuples of Arrays and Python scalars (see ``_walk``)
        self._fast_tree: dict[tuple[Any, ...], _Entry] = {}
        self._hits = 0
        self._misses = 0
        self._last_key: Any = None
        try:
            self._sig: inspect.Signature | None = inspect.signature(fun)
        except (TypeError, ValueError):
            self._sig = None
        functools.update_wrapper(self, fun)

    # --- argument handling -----------------------------------------------------------
    def _split(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, list[Any], tree.PyTreeDef, Any]:
        n = len(args)
        statics_pos = tuple(a % n if n else a for a in self.static_argnums if -n <= a < n)
        static_vals = []
        for i in statics_pos:
            static_vals.append((i, _hashable(args[i], f"static argument {i}")))
        static_kw = []
        dyn_kwargs = {}
        for k, v in kwargs.items():
            if k in self.static_argnames:
                static_kw.append((k, _hashable(v, f"static argument {k!r}")))
            else:
                dyn_kwargs[k] = v
        if self._sig is not None and self.static_argnames:
            params = list(self._sig.parameters)
            for name in self.static_argnames:
                if name in params and params.index(name) < n and params.index(name) not in statics_pos:
                    i = params.index(name)
                    statics_pos = statics_pos + (i,)
                    static_vals.append((i, _hashable(args[i], f"static argument {name!r}")))
        dyn_args = tuple(a for i, a in enumerate(args) if i not in statics_pos)
        leaves, in_tree = tree.flatten((dyn_args, dyn_kwargs))
        static_key = (tuple(sorted(static_vals)), tuple(sorted(static_kw)), statics_pos)
        return static_key, leaves, in_tree, statics_pos

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not kwargs and self._plain and not _state.disable_jit:
            # the hot path: positional Arrays only, a signature seen before
            key = []
            for a in args:
                if type(a) is not Array:
                    break
                key.append((a._shape, a._dtype, a.weak_type))
            else:
                entry = self._fast.get(tuple(key))
                if entry is not None:
                    self._hits += 1
                    return entry.run(args)
        return self._call(args, kwargs)

    def _call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if _state.disable_jit:
            return self.fun(*args, **kwargs)
        fast_key: tuple[Any, ...] | None = None
        fast_table = self._fast
        if not kwargs and self._plain:
            if all(type(a) is Array for a in args):
                fast_key = tuple((a._shape, a._dtype, a.weak_type) for a in args)
            else:
                # lists/tuples of Arrays and Python scalars: keyed without pytree flattening
                key: list[Any] = []
                fast_leaves: list[Any] = []
                if _walk(args, key, fast_leaves):
                    fast_key = tuple(key)
                    fast_table = self._fast_tree
                    entry = fast_table.get(fast_key)
                    if entry is not None:
                        self._hits += 1
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
            fast_table[fast_key] = entry
        return entry.run(leaves)

    def _entry(self, args: tuple[Any, ...], kwargs: dict[str, Any], static_key: Any, leaves: list[Any],
               in_tree: tree.PyTreeDef, statics_pos: tuple[int, ...]) -> _Entry:
        avals = tuple((x.shape, x.dtype, x.weak_type) for x in leaves)
        key = (in_tree, avals, static_key)
        entry = self._cache.get(key)
        if entry is not None:
            self._hits += 1
            return entry
        self._misses += 1
        if config.explain_cache_misses and self._last_key is not None:
            print(_explain(self.fun, self._last_key, key), file=sys.stderr)
        self._last_key = key
        entry = self._compile(args, kwargs, leaves, in_tree, statics_pos)
        self._cache[key] = entry
        return entry

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
        return _Entry(program, out_tree, compiler.lower(program))

    # --- introspection ----------------------------------------------------------------
    def lower(self, *args: Any, **kwargs: Any) -> Lowered:
        static_key, leaves, in_tree, statics_pos = self._split(args, kwargs)
        leaves = [_to_arg(x) for x in leaves]
        return Lowered(self._entry(args, kwargs, static_key, leaves, in_tree, statics_pos))

    def cache_info(self) -> CacheInfo:
        return CacheInfo(self._hits, self._misses, len(self._cache))

    def clear_cache(self) -> None:
        self._cache.clear()
        self._fast.clear()
        self._fast_tree.clear()

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        if obj is None:
            return self
        return functools.partial(self, obj)


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


def _hashable(v: Any, what: str) -> Any:
    try:
        hash(v)
    except TypeError:
        raise TypeError(
            f"jit: {what} of type {type(v).__name__} is not hashable, so it cannot be static; "
            "pass a tuple instead of a list, or make it a traced (non-static) argument"
        ) from None
    return v


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
    return f"jit: retracing {name!r} because " + ("; ".join(reasons) or "it was not seen before")


def jit(fun: Callable[..., Any] | None = None, *, static_argnums: int | Sequence[int] | None = None,
        static_argnames: str | Sequence[str] | None = None,
        donate_argnums: int | Sequence[int] | None = None) -> Any:
    """Compile ``fun``: traced once per abstract signature, optimised, fused
    and cached; usable as ``@jit`` and ``@jit(static_argnames=...)``.

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

    def make(f: Callable[..., Any]) -> JitFunction:
        return JitFunction(f, norm(static_argnums), norm(static_argnames), norm(donate_argnums))

    if fun is None:
        return make
    return make(fun)
