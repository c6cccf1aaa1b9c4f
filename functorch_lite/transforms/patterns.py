"""Rewrite rules as rows of a table, and the pass that applies them.

A :class:`PatternTable` maps a primitive to the rewrites that may apply to
its equations (tinygrad's ``PatternMatcher``, with the primitive as the
pattern's root): a row is a function ``rewrite(eqn, ctx)`` returning None
(no match), an existing :data:`~functorch_lite.transforms.ir.Atom` (the
equation merely passes it through and is dropped), or a list of equations
that replace it (producing the same output variables).  The first row of an
equation's primitive that matches wins.  :func:`rewrite_program` runs a
table over a program once, front to back; ``transforms/compiler.py`` holds
the tables (algebraic identities, products as broadcast multiplies,
transposes around products).

Example:
    >>> import functorch_lite as fl
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite.ops.elementwise import neg_p
    >>> def double_negation(e, ctx):
    ...     x = e.inputs[0]
    ...     inner = ctx.producers.get(id(x))
    ...     return inner.inputs[0] if inner is not None and inner.prim is neg_p else None
    >>> table = PatternTable.of((neg_p, double_negation))
    >>> p = fl.make_ir(lambda x: -(-x) * 2.0)(jnp.ones(2))
    >>> [e.prim.name for e in rewrite_program(p, table).eqns]
    ['neg', 'mul']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from functorch_lite.core import Primitive
from functorch_lite.transforms.ir import Atom, Eqn, Program, Var

#: what a rewrite returns: no match, the atom the equation passes through, or replacement equations
Result = Atom | list[Eqn] | None


class Rewriting:
    """The state of one pass, shared by the rows: the equations emitted so
    far (``eqns``; a row may edit earlier ones), the use count of each
    variable in the input program (``uses``, outputs counted when asked),
    and the emitted equation producing each variable (``producers``,
    ``index``: its position in ``eqns``)."""

    def __init__(self, uses: dict[int, int]) -> None:
        self.uses = uses
        self.eqns: list[Eqn] = []
        self.producers: dict[int, Eqn] = {}
        self.index: dict[int, int] = {}
        #: per-pass notes of the rows (e.g. the transposes seen so far)
        self.notes: dict[int, Any] = {}

    def emit(self, e: Eqn) -> None:
        for v in e.outvars:
            self.producers[id(v)] = e
            self.index[id(v)] = len(self.eqns)
        self.eqns.append(e)


Rewrite = Callable[[Eqn, Rewriting], Result]


class PatternTable:
    """Rewrite rows by primitive; :meth:`of` builds one from
    ``(primitive or tuple of primitives, rewrite)`` rows.

    Example:
        >>> from functorch_lite.ops.elementwise import add_p, mul_p
        >>> t = PatternTable.of(((add_p, mul_p), lambda e, ctx: None))
        >>> sorted(p.name for p in t.rows)
        ['add', 'mul']
    """

    def __init__(self, rows: dict[Primitive, tuple[Rewrite, ...]]) -> None:
        self.rows = rows

    @classmethod
    def of(cls, *rows: tuple[Primitive | tuple[Primitive, ...], Rewrite]) -> PatternTable:
        table: dict[Primitive, tuple[Rewrite, ...]] = {}
        for prims, rewrite in rows:
            for prim in prims if isinstance(prims, tuple) else (prims,):
                table[prim] = table.get(prim, ()) + (rewrite,)
        return cls(table)

    def rewrite(self, e: Eqn, ctx: Rewriting) -> Result:
        """The first match among ``e``'s primitive's rows, or None."""
        for row in self.rows.get(e.prim, ()):
            out = row(e, ctx)
            if out is not None:
                return out
        return None


def use_counts(p: Program, outputs: bool = False) -> dict[int, int]:
    """How many times each variable is read by an equation (and, with
    ``outputs``, returned by the program)."""
    uses: dict[int, int] = {}
    for a in [a for e in p.eqns for a in e.inputs] + (list(p.outs) if outputs else []):
        if isinstance(a, Var):
            uses[id(a)] = uses.get(id(a), 0) + 1
    return uses


def rewrite_program(p: Program, table: PatternTable, ctx: Rewriting | None = None) -> Program:
    """One front-to-back pass of ``table`` over ``p`` (effectful and
    multiple-result equations are left alone)."""
    ctx = ctx if ctx is not None else Rewriting(use_counts(p))
    env: dict[int, Atom] = {}

    def sub(a: Atom) -> Atom:
        return env.get(id(a), a) if isinstance(a, Var) else a

    for e in p.eqns:
        e = Eqn(e.prim, [sub(a) for a in e.inputs], e.params, e.outvars)
        out = None if e.prim.effectful or e.prim.multiple_results else table.rewrite(e, ctx)
        if out is None:
            ctx.emit(e)
        elif isinstance(out, list):
            for new in out:
                ctx.emit(new)
        else:
            env[id(e.outvars[0])] = out
    return Program(p.invars, p.constvars, p.consts, ctx.eqns, [sub(a) for a in p.outs])


__all__ = ["PatternTable", "Rewriting", "Rewrite", "Result", "rewrite_program", "use_counts"]
