"""Staging: trace a Python function into an IR :class:`Program`.

The staging trace is installed as the *dynamic* trace, so every primitive
bound while it is active is recorded, even on constants; concrete arrays
met on the way become inline literals (scalars and stride-0 broadcasts) or
program constants.

Example:
    >>> import functorch_lite as fl
    >>> import functorch_lite.numpy as jnp
    >>> p = fl.make_ir(lambda x, y: jnp.sum(x * y))(jnp.ones(3), jnp.ones(3))
    >>> [e.prim.name for e in p.eqns]
    ['mul', 'reduce_sum']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from functorch_lite import core, dtypes, tree
from functorch_lite.array import Array
from functorch_lite.core import Primitive, ShapedArray, Trace, Tracer
from functorch_lite.numpy._util import asarray
from functorch_lite.transforms.ir import Atom, Eqn, Literal, Program, Var, is_scalar_literal


class ShapeDtypeStruct:
    """An abstract argument (shape and dtype, no data) for tracing and export.

    Example:
        >>> import functorch_lite as fl
        >>> fl.ShapeDtypeStruct((2, 3), "float32").shape
        (2, 3)
    """

    def __init__(self, shape: Sequence[int], dtype: Any, weak_type: bool = False) -> None:
        self.shape = tuple(int(d) for d in shape)
        self.dtype = dtypes.canonicalize(dtype)
        self.weak_type = weak_type

    def __repr__(self) -> str:
        return f"ShapeDtypeStruct(shape={self.shape}, dtype={self.dtype})"


class _Builder:
    def __init__(self) -> None:
        self.eqns: list[Eqn] = []
        self.constvars: list[Var] = []
        self.consts: list[Any] = []
        self.const_ids: dict[int, Var] = {}


class IRTracer(Tracer):
    __slots__ = ("atom",)

    def __init__(self, trace: Trace, atom: Atom) -> None:
        self._trace = trace
        self.atom = atom

    @property
    def aval(self) -> ShapedArray:
        return self.atom.aval


class IRTrace(Trace):
    __slots__ = ()

    @property
    def builder(self) -> _Builder:
        b: _Builder = self.main.payload
        return b

    def pure(self, val: Any) -> IRTracer:
        """A constant: an inline literal, or a program constant.  A tracer of an
        enclosing transform (a value the staged function closes over) also
        becomes a constant; control flow turns constants into operands."""
        if not isinstance(val, (Array, Tracer)):
            val = asarray(val)
        if isinstance(val, Array) and is_scalar_literal(val):
            return IRTracer(self, Literal(val))
        b = self.builder
        var = b.const_ids.get(id(val))
        if var is None:
            aval = core.get_aval(val)
            var = Var(ShapedArray(aval.shape, aval.dtype, aval.weak_type))
            b.const_ids[id(val)] = var
            b.constvars.append(var)
            b.consts.append(val)
        return IRTracer(self, var)

    lift = pure

    def process_primitive(self, prim: Primitive, tracers: Sequence[Any], params: dict[str, Any]) -> Any:
        avals = [t.aval for t in tracers]
        out = prim.rule("abstract_eval")(*avals, **params)
        out_avals = list(out) if prim.multiple_results else [out]
        outvars = [Var(a) for a in out_avals]
        self.builder.eqns.append(Eqn(prim, [t.atom for t in tracers], params, outvars))
        tracers_out = [IRTracer(self, v) for v in outvars]
        return tracers_out if prim.multiple_results else tracers_out[0]


def aval_of_arg(x: Any) -> ShapedArray:
    """The abstract value an argument is traced with: a ShapeDtypeStruct's, a
    tracer's or an Array's own, else that of ``asarray(x)`` (a Python scalar is weak).

    Example:
        >>> aval_of_arg(2.0).weak_type
        True
    """
    if isinstance(x, ShapeDtypeStruct):
        return ShapedArray(x.shape, x.dtype, x.weak_type)
    if isinstance(x, Tracer):
        return x.aval
    if isinstance(x, Array):
        return ShapedArray(x.shape, x.dtype, x.weak_type)

    a = asarray(x)
    return ShapedArray(a.shape, a.dtype, a.weak_type)


def trace_to_program(fun: Callable[..., Any], in_avals: Sequence[ShapedArray],
                     in_tree: tree.PyTreeDef) -> tuple[Program, tree.PyTreeDef]:
    """Stage ``fun`` applied to abstract arguments; returns the program and
    the output tree structure."""
    builder = _Builder()
    with core.new_main(IRTrace, payload=builder, name="jit") as main:
        trace = IRTrace(main)
        invars = [Var(a) for a in in_avals]
        tracers = [IRTracer(trace, v) for v in invars]
        with core.new_dynamic(main):
            out = fun(*tree.unflatten(in_tree, tracers))
            o_leaves, o_tree = tree.flatten(out)
            outs: list[Atom] = []
            for o in o_leaves:
                t = core.full_raise(trace, o if isinstance(o, (Array, Tracer)) else _literal_array(o))
                outs.append(t.atom)
    prog = Program(invars, builder.constvars, builder.consts, builder.eqns, outs)
    return prog, o_tree


def _literal_array(x: Any) -> Any:
    if x is None:
        raise TypeError("a traced function returned None inside its outputs; return arrays only")
    return asarray(x)


def make_ir(fun: Callable[..., Any], static_argnums: Sequence[int] | int = ()) -> Callable[..., Program]:
    """``make_ir(fun)(*args)`` traces ``fun`` and returns its typed IR program
    (the ``make_jaxpr`` of this library).  Arguments may be arrays or
    :class:`ShapeDtypeStruct`.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> print(fl.make_ir(jnp.exp)(fl.ShapeDtypeStruct((2,), "float32")))
        { lambda ; a:f32[2] . let
            b:f32[2] = exp a
          in (b) }
    """
    statics = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)

    def traced(*args: Any) -> Program:
        dyn_idx = [i for i in range(len(args)) if i not in statics]
        dyn = [args[i] for i in dyn_idx]

        def f(*dargs: Any) -> Any:
            full = list(args)
            for i, a in zip(dyn_idx, dargs):
                full[i] = a
            return fun(*full)

        leaves, in_tree = tree.flatten(tuple(dyn), is_leaf=lambda x: isinstance(x, ShapeDtypeStruct))
        avals = [aval_of_arg(x) for x in leaves]
        prog, _ = trace_to_program(f, avals, in_tree)
        return prog

    return traced


def eval_shape(fun: Callable[..., Any], *args: Any) -> Any:
    """Output shapes/dtypes of ``fun(*args)`` without computing anything.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> fl.eval_shape(lambda x: x.T @ x, fl.ShapeDtypeStruct((3, 2), "float32")).shape
        (2, 2)
    """
    leaves, in_tree = tree.flatten(tuple(args), is_leaf=lambda x: isinstance(x, ShapeDtypeStruct))
    avals = [aval_of_arg(x) for x in leaves]
    prog, o_tree = trace_to_program(fun, avals, in_tree)
    return tree.unflatten(o_tree, [ShapeDtypeStruct(a.shape, a.dtype, a.weak_type) for a in prog.out_avals])

