"""The IR: a typed, first-order program of primitive applications.

A :class:`Program` has input variables, constants, a list of equations
``outs = prim[params](ins)`` and output atoms.  ``make_ir(fun)(*args)``
(staging.py) builds one by tracing; ``eval_program`` runs one by binding each
primitive (so evaluating under grad/vmap differentiates/batches it); the
compiler (compiler.py) optimises and fuses it; export.py serialises it.

Example:
    >>> import functorch_lite as fl
    >>> import functorch_lite.numpy as jnp
    >>> print(fl.make_ir(lambda x: jnp.sin(x) * 2.0)(jnp.zeros(3)))
    { lambda ; a:f32[3] . let
        b:f32[3] = sin a
        c:f32[3] = mul b 2.0:f32[3]
      in (c) }
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from functorch_lite import core
from functorch_lite.array import Array
from functorch_lite.core import Primitive, ShapedArray

# ``next`` on a count is atomic: threads tracing at once never share a number
_var_ids = itertools.count(1)


class Var:
    """A value produced once: a program input, a constant or an equation output."""

    __slots__ = ("aval", "count")

    def __init__(self, aval: ShapedArray) -> None:
        self.aval = aval
        self.count = next(_var_ids)

    def __repr__(self) -> str:
        return f"Var({self.count}:{self.aval.str_short()})"


class Literal:
    """A constant written inline (a scalar, possibly broadcast with stride 0)."""

    __slots__ = ("val", "aval")

    def __init__(self, val: Array) -> None:
        self.val = val
        self.aval = ShapedArray(val.shape, val.dtype, val.weak_type)

    def scalar(self) -> Any:
        return self.val._numpy().reshape(-1)[0].item() if self.val.size else 0

    def __repr__(self) -> str:
        return f"{self.scalar()!r}:{self.aval.str_short()}"


Atom = Var | Literal


class Eqn:
    __slots__ = ("prim", "inputs", "params", "outvars")

    def __init__(self, prim: Primitive, inputs: list[Atom], params: dict[str, Any], outvars: list[Var]) -> None:
        self.prim = prim
        self.inputs = inputs
        self.params = params
        self.outvars = outvars


class Program:
    """``invars`` (arguments), ``constvars``/``consts`` (captured arrays),
    ``eqns`` and ``outs``.

    Example:
        >>> import functorch_lite as fl
        >>> p = fl.make_ir(lambda x: x + 1)(1.0)
        >>> len(p.eqns), [str(v.aval) for v in p.invars]
        (1, ['ShapedArray(f32[], weak)'])
    """

    def __init__(self, invars: list[Var], constvars: list[Var], consts: list[Array], eqns: list[Eqn],
                 outs: list[Atom]) -> None:
        self.invars = invars
        self.constvars = constvars
        self.consts = consts
        self.eqns = eqns
        self.outs = outs

    @property
    def in_avals(self) -> list[ShapedArray]:
        return [v.aval for v in self.invars]

    @property
    def out_avals(self) -> list[ShapedArray]:
        return [o.aval for o in self.outs]

    def __str__(self) -> str:
        return pretty(self)

    def __repr__(self) -> str:
        return pretty(self)


def is_scalar_literal(x: Any) -> bool:
    """A concrete array whose elements are all one value (stride 0 or size <= 1)."""
    if not isinstance(x, Array):
        return False
    return x.size <= 1 or all(s == 0 for s, d in zip(x._strides, x._shape) if d > 1)


class _Namer:
    def __init__(self) -> None:
        self.names: dict[int, str] = {}

    def __call__(self, v: Var) -> str:
        name = self.names.get(id(v))
        if name is None:
            name = self.names[id(v)] = _name(len(self.names))
        return name


def _name(i: int) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    out = ""
    i += 1
    while i > 0:
        i, rem = divmod(i - 1, 26)
        out = letters[rem] + out
    return out


def _param_str(v: Any) -> str:
    if isinstance(v, np.dtype):
        return core.short_dtype(v)
    if isinstance(v, Program):
        return "{ program }"
    if isinstance(v, tuple) and v and isinstance(v[0], Program):
        return "(" + ", ".join("{ program }" for _ in v) + ")"
    return repr(v)


def pretty(p: Program, indent: int = 0) -> str:
    name = _Namer()

    def atom(a: Atom) -> str:
        return repr(a) if isinstance(a, Literal) else name(a)

    def decl(v: Var) -> str:
        return f"{name(v)}:{v.aval.str_short()}"

    pad = " " * indent
    consts = " ".join(decl(v) for v in p.constvars)
    ins = " ".join(decl(v) for v in p.invars)
    lines = [f"{pad}{{ lambda {consts}; {ins} . let"]
    for e in p.eqns:
        lhs = " ".join(decl(v) for v in e.outvars)
        params = " ".join(f"{k}={_param_str(v)}" for k, v in e.params.items())
        bracket = f"[{params}]" if params else ""
        rhs = " ".join(atom(a) for a in e.inputs)
        lines.append(f"{pad}    {lhs} = {e.prim.name}{bracket} {rhs}")
        for v in e.params.values():
            subs = [v] if isinstance(v, Program) else list(v) if isinstance(v, tuple) and v and isinstance(
                v[0], Program) else []
            for sp in subs:
                lines.append(pretty(sp, indent + 6))
    outs = " ".join(atom(a) for a in p.outs)
    lines.append(f"{pad}  in ({outs}) }}")
    return "\n".join(lines)


def eval_program(p: Program, args: Sequence[Any], consts: Sequence[Any] | None = None) -> list[Any]:
    """Run a program by binding its primitives (works under any transform)."""
    env: dict[int, Any] = {}
    for v, x in zip(p.constvars, p.consts if consts is None else consts):
        env[id(v)] = x
    if len(args) != len(p.invars):
        raise TypeError(f"program takes {len(p.invars)} arguments, got {len(args)}")
    for v, x in zip(p.invars, args):
        env[id(v)] = x

    def read(a: Atom) -> Any:
        return a.val if isinstance(a, Literal) else env[id(a)]

    for e in p.eqns:
        outs = e.prim.bind(*[read(a) for a in e.inputs], **e.params)
        if e.prim.multiple_results:
            for v, o in zip(e.outvars, outs):
                env[id(v)] = o
        else:
            env[id(e.outvars[0])] = outs
    return [read(a) for a in p.outs]
