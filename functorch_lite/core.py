"""The tracing core: abstract values, primitives, ``bind`` and interpreters.

JAX's model, kept small (see Autodidax).  Every operation is a
:class:`Primitive`; ``prim.bind(*args, **params)`` hands it to the innermost
active interpreter (a :class:`Trace`) that owns one of the arguments.  With
no transform active the primitive's ``impl`` runs directly on concrete
Arrays.  Transforms (jvp, vjp, vmap, jit staging) push a :class:`MainTrace`
on the stack and wrap values in their :class:`Tracer` subclass.  The stack
is per thread (as in JAX): a transform in one thread never affects another
thread's operations, and every new thread starts with none active.

A primitive carries its definition: ``impl`` and ``abstract_eval`` (the
shape/dtype rule).  What each transform needs (jvp, vjp, batch, fusion...)
is a row in the table that transform reads (``ops/tables.py``), declared
beside the primitive in ``ops/``.  A missing rule raises
:class:`MissingRuleError` naming the primitive and rule.

Example:
    >>> from functorch_lite import core
    >>> core.ShapedArray((2, 3), core.np.dtype("float32"))
    ShapedArray(f32[2,3])
"""

from __future__ import annotations

import contextlib
import operator
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from functorch_lite.array import Array, ArrayMethods

_SHORT = {
    "bool": "bool", "int8": "i8", "int16": "i16", "int32": "i32", "int64": "i64",
    "uint8": "u8", "float32": "f32", "float64": "f64",
}


def short_dtype(dtype: np.dtype[Any]) -> str:
    """Short dtype name used in IR text (``f32``, ``i64``...).

    Example:
        >>> short_dtype(np.dtype("float64"))
        'f64'
    """
    return _SHORT.get(dtype.name, dtype.name)


class ShapedArray:
    """Abstract value: shape, dtype and weak type, but no data.

    Example:
        >>> a = ShapedArray((3,), np.dtype("int32"))
        >>> a.ndim, a.size, a.str_short()
        (1, 3, 'i32[3]')
    """

    __slots__ = ("shape", "dtype", "weak_type")

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype[Any], weak_type: bool = False) -> None:
        self.shape = tuple(shape)
        self.dtype = dtype
        self.weak_type = weak_type

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    def str_short(self) -> str:
        return f"{short_dtype(self.dtype)}[{','.join(map(str, self.shape))}]"

    def strip_weak(self) -> ShapedArray:
        return ShapedArray(self.shape, self.dtype, False) if self.weak_type else self

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ShapedArray)
            and self.shape == other.shape
            and self.dtype == other.dtype
            and self.weak_type == other.weak_type
        )

    def __hash__(self) -> int:
        return hash((self.shape, self.dtype, self.weak_type))

    def __repr__(self) -> str:
        return f"ShapedArray({self.str_short()}{', weak' if self.weak_type else ''})"


class MissingRuleError(NotImplementedError):
    """A primitive lacks the rule a transform needs."""


class UnexpectedTracerError(TypeError):
    """A tracer met code that cannot take one (JAX's name and base class)."""


class LeakedTracerError(UnexpectedTracerError, RuntimeError):
    """A tracer was used after the transform that made it returned."""


class ConcretizationTypeError(TypeError):
    """Python control flow or conversion needed a concrete value from a tracer
    that has none (under ``jit`` or ``vmap``); JAX's name and base class."""


class TracerBoolConversionError(ConcretizationTypeError):
    """``bool()`` (an ``if``, ``while``, ``and``...) of a tracer with no concrete value."""


class TracerIntegerConversionError(ConcretizationTypeError):
    """A tracer with no concrete value used as a Python integer (``range``,
    ``operator.index``, list indices).  JAX derives it from ``TypeError``
    beside ConcretizationTypeError; deriving it from ConcretizationTypeError
    keeps every JAX ``except`` clause catching it, and older ones here."""


class TracerArrayConversionError(TypeError):
    """A tracer was handed to NumPy, which needs concrete data."""


PRIMITIVES: dict[str, Primitive] = {}


class Primitive:
    """An operation known to every transform.

    Its definition (set by the declaring module in ``functorch_lite/ops``):

    - ``impl(*arrays, **params)`` evaluates on concrete Arrays;
    - ``abstract_eval(*avals, **params)`` gives the output ShapedArray(s) or
      raises a clear error (this is what ``jit`` traces with);
    - ``multiple_results``, ``nondifferentiable``, ``effectful``: facts about
      the op that every transform respects.

    A ``lowering_only`` primitive is made by ``jit``'s back end after every
    transform has run (a product with its update folded in): it has an
    ``impl`` and a shape rule but no transform rules, and it is not in
    :data:`PRIMITIVES`, so no transform, registry or exported file meets it.

    Transform rules (jvp, vjp, batch, fusion, jit specialisations, export's
    param types) are rows of the tables in ``ops/tables.py``, written beside
    the declaration.

    Example:
        >>> from functorch_lite.ops import elementwise
        >>> elementwise.add_p.name
        'add'
    """

    def __init__(self, name: str, *, multiple_results: bool = False, lowering_only: bool = False) -> None:
        if name in PRIMITIVES:
            raise ValueError(f"primitive {name!r} is declared twice")
        self.name = name
        self.multiple_results = multiple_results
        self.impl: Callable[..., Any] | None = None
        self.abstract_eval: Callable[..., Any] | None = None
        # ops that never produce a nonzero derivative (comparisons, argmax...)
        self.nondifferentiable = False
        # ops with side effects (printing): never removed or merged by the compiler
        self.effectful = False
        if not lowering_only:
            PRIMITIVES[name] = self

    def rule(self, kind: str) -> Any:
        """The rule of that kind, or :class:`MissingRuleError` naming it."""
        r = getattr(self, kind)
        if r is None:
            raise MissingRuleError(
                f"primitive {self.name!r} has no {kind} rule, so it cannot be used "
                f"under this transform"
            )
        return r

    def bind(self, *args: Any, **params: Any) -> Any:
        if _only_eval or _tls.only_eval:
            for a in args:
                if isinstance(a, Tracer):
                    break
            else:
                return self.impl(*args, **params)  # type: ignore[misc]
        return _bind_traced(self, args, params)

    def __repr__(self) -> str:
        return self.name


# --- traces -------------------------------------------------------------------


class MainTrace:
    """One active transform: its level on the stack, its Trace type and data."""

    __slots__ = ("level", "trace_type", "payload", "name", "trace")

    def __init__(self, level: int, trace_type: type[Trace], payload: Any, name: str) -> None:
        self.level = level
        self.trace_type = trace_type
        self.payload = payload
        self.name = name
        # traces are stateless views of their main: one instance serves every bind
        self.trace: Trace = trace_type(self)

    def __repr__(self) -> str:
        return f"MainTrace({self.level}, {self.name})"


class Trace:
    """An interpreter; subclasses implement ``pure``, ``lift``, ``process_primitive``."""

    __slots__ = ("main",)

    def __init__(self, main: MainTrace) -> None:
        self.main = main

    def pure(self, val: Any) -> Tracer:
        raise NotImplementedError

    def lift(self, val: Tracer) -> Tracer:
        return self.pure(val)

    def process_primitive(self, prim: Primitive, tracers: Sequence[Any], params: dict[str, Any]) -> Any:
        raise NotImplementedError

    def process_custom(self, rule: Any, args: Sequence[Any]) -> Any:
        """A function with a custom derivative (custom_jvp, custom_vjp,
        checkpoint): transforms that do not differentiate just run it."""
        return rule.fun(*args)


class EvalTrace(Trace):
    __slots__ = ()

    def pure(self, val: Any) -> Any:
        return val

    lift = pure

    def process_primitive(self, prim: Primitive, tracers: Sequence[Any], params: dict[str, Any]) -> Any:
        return prim.rule("impl")(*tracers, **params)


class _TraceState(threading.local):
    """This thread's transform state.  Every thread starts at the eval level:
    a transform active in one thread never changes what another thread's
    operations do, and its tracers are leaked tracers there (as in JAX)."""

    stack: list[MainTrace]
    dynamic: MainTrace
    only_eval: bool

    def __init__(self) -> None:
        self.stack = [MainTrace(0, EvalTrace, None, "eval")]
        self.dynamic = self.stack[0]
        # no transform active in this thread: ``bind`` may call ``impl`` at once
        self.only_eval = True


_tls = _TraceState()

# True while no thread at all has a transform active.  Eager dispatch reads
# this one module global first (as cheap as before threads were considered);
# when it is False, each thread's own ``_tls.only_eval`` decides.  A stale
# True seen by another thread is harmless: it only says that *that* thread
# may evaluate directly, which its own (unchanged) state already allows.
_only_eval = True
_busy_threads = 0
_busy_lock = threading.Lock()


def _refresh_fast_path() -> None:
    global _only_eval, _busy_threads
    s = _tls
    now = len(s.stack) == 1 and s.dynamic is s.stack[0]
    if now is s.only_eval:
        return
    s.only_eval = now
    with _busy_lock:
        _busy_threads += -1 if now else 1
        _only_eval = _busy_threads == 0


def eager_only() -> bool:
    """Whether this thread has no transform active, so that a primitive
    applied to concrete Arrays (no tracers) runs its ``impl`` at once: what
    ``bind`` would do, without its dispatch.  API fast paths that have
    checked their operands are plain Arrays call ``prim.impl`` when it holds.

    Example:
        >>> eager_only()
        True
        >>> with new_main(EvalTrace, name="demo"):
        ...     eager_only()
        False
    """
    return _only_eval or _tls.only_eval


@contextlib.contextmanager
def new_main(trace_type: type[Trace], payload: Any = None, name: str = "") -> Iterator[MainTrace]:
    """Push a new transform level on this thread's stack; tracers of it
    become leaked when it pops.

    Example:
        >>> with new_main(EvalTrace, name="demo") as main:
        ...     main.level
        1
    """
    stack = _tls.stack
    main = MainTrace(len(stack), trace_type, payload, name or trace_type.__name__)
    stack.append(main)
    _refresh_fast_path()
    try:
        yield main
    finally:
        stack.pop()
        _refresh_fast_path()


@contextlib.contextmanager
def new_dynamic(main: MainTrace) -> Iterator[None]:
    """Make ``main`` catch every bind of this thread, even on constants (jit staging).

    Example:
        >>> with new_main(EvalTrace, name="demo") as main, new_dynamic(main):
        ...     find_top_trace(()).main is main
        True
    """
    s = _tls
    prev, s.dynamic = s.dynamic, main
    _refresh_fast_path()
    try:
        yield
    finally:
        s.dynamic = prev
        _refresh_fast_path()


def _check_live(t: Tracer) -> MainTrace:
    main: MainTrace = t._trace.main
    lvl = main.level
    stack = _tls.stack
    if lvl >= len(stack) or stack[lvl] is not main:
        raise LeakedTracerError(
            f"a tracer of the {main.name!r} transform was used after that transform "
            f"returned, or in another thread (value {t.aval.str_short()}); return it "
            "from the transformed function instead of storing it in an outer variable "
            "or global, and run each transform within one thread"
        )
    return main


def find_top_trace(args: Sequence[Any]) -> Trace:
    top = _tls.dynamic
    for a in args:
        if isinstance(a, Tracer):
            m = _check_live(a)
            if m.level > top.level:
                top = m
    return top.trace


def full_raise(trace: Trace, val: Any) -> Any:
    if not isinstance(val, Tracer):
        return trace.pure(val)
    main = val._trace.main
    if main is trace.main:
        return val
    if main.level < trace.main.level:
        return trace.lift(val)
    raise LeakedTracerError(
        f"a tracer of {main.name!r} (level {main.level}) met the {trace.main.name!r} "
        f"transform (level {trace.main.level}); it probably escaped its transform"
    )


def full_lower(val: Any) -> Any:
    if isinstance(val, Tracer):
        return val.full_lower()
    return val


def _bind_traced(prim: Primitive, args: Sequence[Any], params: dict[str, Any]) -> Any:
    trace = find_top_trace(args)
    tracers = [full_raise(trace, a) for a in args]
    out = trace.process_primitive(prim, tracers, params)
    if prim.multiple_results:
        return [full_lower(o) for o in out]
    return full_lower(out)


# --- tracers ------------------------------------------------------------------

_CONTROL_FLOW_HINT = (
    "Python control flow (if/while/bool/int/float) needs a concrete value, but "
    "this is a traced value {aval} inside a transform that has none (jit, vmap). "
    "Use functorch_lite.lax.cond or lax.switch instead of if, lax.while_loop or "
    "lax.fori_loop instead of while, jnp.where to select values, or mark the "
    "argument static (jit's static_argnums)."
)

_CONVERSIONS: dict[str, tuple[type[ConcretizationTypeError], str]] = {
    "bool": (TracerBoolConversionError, "Attempted boolean conversion (an if, while, and/or, bool())"),
    "index": (TracerIntegerConversionError, "Attempted integer conversion (range, operator.index, an index)"),
    "int": (ConcretizationTypeError, "Attempted int() conversion"),
    "float": (ConcretizationTypeError, "Attempted float() conversion"),
    "complex": (ConcretizationTypeError, "Attempted complex() conversion"),
    "item": (ConcretizationTypeError, "The item() method was called"),
    "tolist": (ConcretizationTypeError, "The tolist() method was called"),
}


def concrete_value(x: Any) -> Array | None:
    """The concrete Array a value stands for, or None where it has none.

    A tracer of ``grad``/``jvp``/``vjp`` at concrete inputs knows its value
    (its primal), so Python control flow on it works, as in JAX; tracers of
    ``jit`` (abstract) and ``vmap`` (one value per example) do not.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> concrete_value(jnp.ones(2)).tolist()
        [1.0, 1.0]
    """
    while isinstance(x, Tracer):
        x = x.concrete_inner()
    return x if isinstance(x, Array) else None


def concretize(t: Tracer, what: str) -> Array:
    """``t``'s concrete value for the Python conversion ``what`` (``bool``,
    ``index``, ``int``, ``float``, ``item``, ``tolist``), or JAX's error class
    for that conversion, naming the ``lax`` primitive to use instead.

    Example:
        >>> import functorch_lite as fl
        >>> float(fl.grad(lambda x: x * x if x > 0 else -x)(3.0))  # concrete under grad
        6.0
        >>> try:
        ...     fl.jit(lambda x: x if x > 0 else -x)(3.0)
        ... except TracerBoolConversionError as e:
        ...     print(type(e).__name__, "lax.cond" in str(e))
        TracerBoolConversionError True
    """
    v = concrete_value(t)
    if v is not None:
        return v
    cls, what_happened = _CONVERSIONS[what]
    raise cls(f"{what_happened} on a traced value {t.aval.str_short()}. "
              + _CONTROL_FLOW_HINT.format(aval=t.aval.str_short()))


class Tracer(ArrayMethods):
    """A value inside a transform; behaves like an Array for the user."""

    __slots__ = ("_trace",)
    _trace: Trace

    @property
    def aval(self) -> ShapedArray:
        raise NotImplementedError

    @property
    def shape(self) -> tuple[int, ...]:
        return self.aval.shape

    @property
    def dtype(self) -> np.dtype[Any]:
        return self.aval.dtype

    @property
    def weak_type(self) -> bool:
        return self.aval.weak_type

    def full_lower(self) -> Any:
        return self

    def concrete_inner(self) -> Any:
        """The value this tracer wraps when that value is all of it (a
        differentiation tracer's primal), else None: see :func:`concrete_value`."""
        return None

    def __bool__(self) -> bool:
        return bool(concretize(self, "bool"))

    def __int__(self) -> int:
        return int(concretize(self, "int"))

    def __float__(self) -> float:
        return float(concretize(self, "float"))

    def __complex__(self) -> complex:
        return complex(concretize(self, "complex"))

    def __index__(self) -> int:
        return operator.index(concretize(self, "index"))

    def item(self) -> Any:
        return concretize(self, "item").item()

    def tolist(self) -> Any:
        return concretize(self, "tolist").tolist()

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray[Any, Any]:
        raise TracerArrayConversionError(
            f"a traced value {self.aval.str_short()} cannot become a NumPy array inside "
            "a transform; use functorch_lite.numpy functions instead of numpy ones"
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.aval.str_short()})"


def get_aval(x: Any) -> ShapedArray:
    """The abstract value of an Array or tracer.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> get_aval(jnp.zeros((2,)))
        ShapedArray(f32[2])
    """
    if isinstance(x, Tracer):
        return x.aval
    if isinstance(x, Array):
        a: ShapedArray | None = x._aval
        if a is None:
            a = x._aval = ShapedArray(x._shape, x._dtype, x.weak_type)
        return a
    raise TypeError(f"expected an Array or tracer, got {type(x).__name__}")


def is_array(x: Any) -> bool:
    """Whether ``x`` is an Array or a tracer standing for one."""
    return isinstance(x, (Array, Tracer))


class Zero:
    """A symbolic zero tangent or cotangent of a given abstract value.

    Rules receive and may return ``Zero`` instead of materialising zeros, so
    derivatives of integer outputs and of unused inputs cost nothing.

    Example:
        >>> Zero(ShapedArray((2,), np.dtype("float32")))
        Zero(f32[2])
    """

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray) -> None:
        self.aval = aval

    def __repr__(self) -> str:
        return f"Zero({self.aval.str_short()})"


def zeros_array(aval: ShapedArray) -> Array:
    """A concrete array of zeros for ``aval`` (a stride-0 view of one zero)."""
    base = Array._wrap(np.zeros((), aval.dtype), aval.weak_type)
    if not aval.shape:
        return base
    return Array._unchecked(base._storage, aval.shape, (0,) * aval.ndim, 0, aval.weak_type)


def instantiate(t: Any) -> Any:
    """Materialise a symbolic zero; other values pass through."""
    if isinstance(t, Zero):
        return zeros_array(t.aval)
    return t
