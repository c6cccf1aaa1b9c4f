"""Fusion, pass 2: describe a fusion group as a kernel.

A :class:`~functorch_lite.transforms.fusion_partition.Group` (members, maps
over union-find dims) becomes a :class:`FusedGroup`: its iteration dims in a
stable order (the largest input's first), its inputs and outputs with their
maps onto those dims, and the :class:`~functorch_lite.ops.kernels.fused_desc.KernelDesc`
of its scalar nodes (each member's :class:`~functorch_lite.ops.fusion_rules.Elementwise`
expression or :class:`~functorch_lite.ops.fusion_rules.Reduction`; views only
rename their operand).  Layout-independent: planning a call for given
strides is ``fusion_plan``'s job.

Constants other than the few in :data:`INLINE_VALUES` are kernel arguments
(a mean's divisor would otherwise make one kernel per shape).

Example:
    >>> import functorch_lite as fl
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite.transforms.fusion_partition import partition, uses_of
    >>> p = fl.make_ir(lambda x: x * 0.3 + 1.0)(jnp.ones((2, 3)))
    >>> (g,), _ = partition(p)
    >>> fg = describe(g, p.eqns, {id(p.outs[0])}, uses_of(p.eqns))
    >>> fg.sizes, fg.desc.params, [type(v).__name__ for v in fg.param_values]  # 0.3 is passed, as float32
    ([2, 3], ('L0',), ['float32'])
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from functorch_lite.ops.fusion_rules import Elementwise, IndexMap, Map, Reduction
from functorch_lite.ops.kernels.fused_desc import KernelDesc, Node, literal
from functorch_lite.ops.tables import fusion_rules
from functorch_lite.transforms.fusion_partition import Group, lit_value
from functorch_lite.transforms.ir import Atom, Eqn, Literal, Var

_WORD = re.compile(r"\b[A-Za-z_]\w*")

#: literal values written into a kernel's source; any other literal is a
#: runtime parameter of the kernel.  Shape-derived constants (a mean's
#: divisor, a variance's ``n - ddof``) would otherwise make one kernel per
#: shape: a Numba compile (~0.35 s) and ~1 MB each.  These few are kept
#: because LLVM simplifies with them (``x * 1``, ``x - 0``, ``x * 2`` as
#: ``x + x``, ``x / 2`` as ``x * 0.5``, comparisons against 0 or inf) and they
#: are not shape-derived; a runtime scalar costs nothing else (it is loop
#: invariant, and Numba compiles without fastmath, so no constant folding
#: is lost).  Fusion rules that specialise on a value (``pow``'s exponent)
#: read it from their ``lits`` argument, whichever way it is passed.
INLINE_VALUES = frozenset({0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, float("inf"), float("-inf")})


def inline_literal(value: Any, dtype: np.dtype[Any]) -> bool:
    """Whether a literal operand is written into the kernel's source (else
    it is passed at run time: see :data:`INLINE_VALUES`).

    Example:
        >>> inline_literal(0.5, np.dtype("float32")), inline_literal(0.3, np.dtype("float32"))
        (True, False)
    """
    if dtype.kind == "b":
        return True
    if dtype.kind == "c":
        return False  # a runtime parameter: Numba types complex arguments exactly
    r = float(value)
    return r != r or r in INLINE_VALUES


@dataclass(frozen=True)
class FusedGroup:
    """A fusion group as a kernel, for any input layout.

    ``sizes``/``reduced``: the iteration dims; ``in_maps``/``out_maps``: each
    input's/output's axes onto them; ``in_scalar``: inputs passed by value
    (no axis varies); ``param_values``: the runtime scalar parameters
    (``desc.params``), in order.
    """

    eqns: list[Eqn]
    inputs: list[Var]
    sizes: list[int]
    reduced: tuple[bool, ...]
    in_maps: list[Map]
    in_scalar: list[bool]
    out_vars: list[Var]
    out_maps: list[Map]
    param_values: list[Any]
    desc: KernelDesc
    has_reduction: bool

    @property
    def array_inputs(self) -> list[int]:
        """Positions of the inputs read through strides."""
        return [k for k, s in enumerate(self.in_scalar) if not s]


def _group_inputs(members: list[Eqn]) -> list[Var]:
    """Vars used by members but produced elsewhere, in order of first use."""
    produced = {id(e.outvars[0]) for e in members}
    inputs: list[Var] = []
    seen: set[int] = set()
    for e in members:
        for a in e.inputs:
            if isinstance(a, Var) and id(a) not in produced and id(a) not in seen:
                seen.add(id(a))
                inputs.append(a)
    return inputs


def _dim_order(g: Group, members: list[Eqn], inputs: list[Var]) -> list[int]:
    """The group's canonical dims in a stable order: the largest input's first."""
    order: list[int] = []
    maps = [g.maps[id(a)] for a in sorted(inputs, key=lambda a: -a.aval.size)]
    maps += [g.maps[id(e.outvars[0])] for e in members] + [opmap for _, opmap, _ in g.reductions]
    for m in maps:
        for d in g.canon(m):
            if d is not None and d not in order:
                order.append(d)
    return order


class _Nodes:
    """The kernel's scalar nodes, built input by input and member by member."""

    def __init__(self, reduced: tuple[bool, ...]) -> None:
        self.reduced = reduced
        self.nodes: list[Node] = []
        self.names: set[str] = set()
        self.name_of: dict[int, str] = {}
        self.params: list[tuple[str, Any]] = []  # (kernel parameter name, typed value)

    def row(self, m: Map) -> bool:
        return not any(d is not None and self.reduced[d] for d in m)

    def add_input(self, k: int, a: Var, m: Map) -> None:
        nm = f"x{k}"
        self.name_of[id(a)] = nm
        kind = "scalar" if all(d is None for d in m) else "in"
        self.nodes.append(Node(nm, a.aval.dtype, kind, row=self.row(m)))
        self.names.add(nm)

    def operand(self, a: Atom) -> str:
        if isinstance(a, Literal):
            value, dt = a.scalar(), a.aval.dtype
            if inline_literal(value, dt):
                return literal(value, dt)
            # typed as the literal (a Python float would make float32 arithmetic float64);
            # float64 and int64 as Python scalars, which Numba's dispatcher types fastest
            typed = dt.type(value)
            self.params.append((f"L{len(self.params)}",
                                typed.item() if dt.name in ("float64", "int64", "complex128") else typed))
            return self.params[-1][0]
        return self.name_of[id(a)]

    def add_eqn(self, k: int, e: Eqn, m: Map) -> None:
        v = e.outvars[0]
        rule = fusion_rules[e.prim]
        if isinstance(rule, IndexMap):
            self.name_of[id(v)] = self.operand(e.inputs[0])
            return
        nm = f"v{k}"
        self.name_of[id(v)] = nm
        self.names.add(nm)
        if isinstance(rule, Reduction):
            x = e.inputs[0].aval.dtype
            acc = rule.acc(x)
            self.nodes.append(Node(nm, v.aval.dtype, "red", (self.operand(e.inputs[0]),), row=self.row(m),
                                   identity=literal(rule.identity(x), acc), combine=rule.combine(x),
                                   acc_dtype=acc, chunk=rule.chunk))
            return
        assert isinstance(rule, Elementwise)
        args = [self.operand(a) for a in e.inputs]
        expr = rule.expr(args, [a.aval.dtype for a in e.inputs], v.aval.dtype, e.params,
                         [lit_value(a) for a in e.inputs])
        assert expr is not None
        deps = tuple(x for x in args if x in self.names)
        self.nodes.append(Node(nm, v.aval.dtype, "op", deps, expr, row=self.row(m)))

    def used_params(self) -> list[tuple[str, Any]]:
        # a rule may not use an operand's name (``x ** 3`` is ``x * x * x``): only used ones are passed
        used = {w for n in self.nodes if n.kind == "op" for w in _WORD.findall(n.expr)}
        return [(nm, val) for nm, val in self.params if nm in used]


def _outputs(g: Group, members: list[Eqn], program_outs: set[int], uses: dict[int, list[int]]) -> list[Var]:
    """Member results used outside the group (views excepted: they stay views)."""
    member_set = set(g.members)
    outs: list[Var] = []
    for e in members:
        v = e.outvars[0]
        if isinstance(fusion_rules[e.prim], IndexMap):
            continue
        if id(v) in program_outs or any(j not in member_set for j in uses.get(id(v), ())):
            outs.append(v)
    return outs


def describe(g: Group, eqns: list[Eqn], program_outs: set[int], uses: dict[int, list[int]]) -> FusedGroup:
    """The kernel description of group ``g`` of the program's ``eqns``."""
    members = [eqns[i] for i in g.members]
    inputs = _group_inputs(members)
    dim_order = _dim_order(g, members, inputs)
    index = {d: k for k, d in enumerate(dim_order)}
    red = {d for _, _, r in g.reductions for d in g.canon(r) if d is not None}
    reduced = tuple(d in red for d in dim_order)

    def smap(v: Var) -> Map:
        return tuple(None if d is None else index[d] for d in g.canon(g.maps[id(v)]))

    b = _Nodes(reduced)
    in_maps = [smap(a) for a in inputs]
    for k, (a, m) in enumerate(zip(inputs, in_maps)):
        b.add_input(k, a, m)
    for k, e in enumerate(members):
        b.add_eqn(k, e, () if isinstance(fusion_rules[e.prim], IndexMap) else smap(e.outvars[0]))
    out_vars = _outputs(g, members, program_outs, uses)
    params = b.used_params()
    desc = KernelDesc(tuple(b.nodes), tuple(f"x{k}" for k in range(len(inputs))),
                      tuple(b.name_of[id(v)] for v in out_vars), tuple(nm for nm, _ in params))
    return FusedGroup(members, inputs, [g.dims.size[d] for d in dim_order], reduced, in_maps,
                      [all(d is None for d in m) for m in in_maps], out_vars, [smap(v) for v in out_vars],
                      [val for _, val in params], desc, bool(g.reductions))


__all__ = ["FusedGroup", "describe", "inline_literal", "INLINE_VALUES"]
