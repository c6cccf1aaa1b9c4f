"""Fusion, pass 1: partition a program's equations into fusion groups.

Equations are visited from the last to the first, and each fusable one
joins the group of its consumers (XLA's producer-consumer fusion), so a chain
ends up in one group whatever its shape changes.  What fuses, and how, is
the primitive's row in ``fusion_rules`` (``ops/fusion_rules.py``):

- :class:`~functorch_lite.ops.fusion_rules.Elementwise` ops;
- :class:`~functorch_lite.ops.fusion_rules.Reduction` s, together with their
  elementwise producers and the consumers of the reduced value (a softmax, a
  logsumexp, a mean squared error: one kernel each);
- :class:`~functorch_lite.ops.fusion_rules.IndexMap` views (broadcasts,
  transposes, size-1 reshapes...): a broadcast input is read with stride 0
  and never materialised.  A view joins a group only when every use is in it
  (else it runs its impl, a view).

Every value of a group is indexed by a *map* from its axes to the group's
iteration dims (union-find over dim variables; a reduction adds its reduced
axes as new dims, which unify with the dims of its input's other uses).  A
join is refused when it would make a map non-injective, give two reductions
different reduced dims, leave a reduction's input short of a dim (the
reduction would be recomputed along it) or create a cycle in the grouped
program, each group one node (reachability bitsets over equations, closed
over the groups a path enters: two groups can each be convex and still
need each other).  Groups of views
alone would only copy: they are dropped, and their ops run as impls; so is
a group of one op whose row says NumPy's loop beats the kernel
(``Elementwise.alone_impl``: float32 ``tanh`` and logs), and such an op at
the end of a group with a small result runs after the kernel, as its impl.

Example:
    >>> import functorch_lite as fl
    >>> import functorch_lite.numpy as jnp
    >>> p = fl.make_ir(lambda x: jnp.exp(x * 2.0).sum() + 1.0)(jnp.ones(3))
    >>> groups, group_of = partition(p)
    >>> [[p.eqns[i].prim.name for i in g.members] for g in groups]
    [['mul', 'exp', 'reduce_sum', 'add']]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from functorch_lite.ops.fusion_rules import Elementwise, FusionRule, IndexMap, Map, Reduction
from functorch_lite.ops.tables import fusion_rules
from functorch_lite.transforms.ir import Atom, Eqn, Literal, Program, Var

#: dtypes fused loops handle (others run their impl); a complex value fuses only
#: through elementwise rows marked ``complex_ok`` (never through a reduction)
FUSABLE_DTYPES = frozenset(np.dtype(t) for t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8,
                                                 np.uint16, np.uint32, np.uint64, np.float32, np.float64,
                                                 np.complex64, np.complex128))


# --- dims: union-find over iteration-dim variables ----------------------------------------------


class Dims:
    """Union-find over iteration-dim variables, each with a size."""

    __slots__ = ("parent", "size")

    def __init__(self, parent: list[int] | None = None, size: list[int] | None = None) -> None:
        self.parent: list[int] = parent if parent is not None else []
        self.size: list[int] = size if size is not None else []

    def new(self, size: int) -> int:
        self.parent.append(len(self.parent))
        self.size.append(size)
        return len(self.parent) - 1

    def find(self, a: int) -> int:
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if self.size[ra] != self.size[rb]:
            return False
        self.parent[rb] = ra
        return True

    def copy(self) -> Dims:
        return Dims(list(self.parent), list(self.size))


class Group:
    """A fusion group under construction (then described by ``fusion_group``)."""

    def __init__(self, gid: int) -> None:
        self.gid = gid
        self.members: list[int] = []
        self.bits = 0  # the members, as a bitset over equation indices
        self.reach = 0  # the equations the members feed, transitively (over equations, not groups)
        self.dims = Dims()
        self.maps: dict[int, Map] = {}  # id(var) -> map (member outputs and operands)
        self.reductions: list[tuple[int, Map, Map]] = []  # (eqn index, operand map, reduced dims)
        self.compute = False

    def snapshot(self) -> tuple[Any, ...]:
        return (self.dims.copy(), dict(self.maps), list(self.reductions))

    def restore(self, snap: tuple[Any, ...]) -> None:
        self.dims, self.maps, self.reductions = snap[0], snap[1], snap[2]

    def canon(self, m: Map) -> Map:
        return tuple(None if d is None else self.dims.find(d) for d in m)


# --- classifying equations ---------------------------------------------------------------------


def lit_value(a: Atom) -> Any:
    """A literal operand's value (None for a variable)."""
    return a.scalar() if isinstance(a, Literal) else None


def classify(e: Eqn) -> FusionRule | None:
    """The fusion rule under which ``e`` fuses, or None (it runs its impl)."""
    prim = e.prim
    if prim.multiple_results or len(e.outvars) != 1:
        return None
    avals = [a.aval for a in e.inputs] + [v.aval for v in e.outvars]
    if any(a.dtype not in FUSABLE_DTYPES for a in avals):
        return None
    rule = fusion_rules.get(prim)
    if isinstance(rule, IndexMap):
        return rule if rule.accepts(e.inputs[0].aval.shape, e.outvars[0].aval.shape, e.params) else None
    if isinstance(rule, Reduction):
        if any(a.dtype.kind == "c" for a in avals):
            return None
        return rule if "axes" in e.params and isinstance(e.inputs[0], Var) else None
    if not isinstance(rule, Elementwise):
        return None
    names = [f"a{k}" for k in range(len(e.inputs))]
    lits = [lit_value(a) for a in e.inputs]
    try:
        expr = rule.expr(names, [a.aval.dtype for a in e.inputs], e.outvars[0].aval.dtype, e.params, lits)
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    return None if expr is None else rule


def operand_maps(e: Eqn, rule: FusionRule, om: Map, dims: Dims) -> tuple[list[Map | None], Map]:
    """Each operand's map given the output's (None for literals) and, for
    a reduction, the reduced dims (fresh dim variables)."""
    x = e.inputs[0].aval
    reduced: list[int | None] = []
    if isinstance(rule, IndexMap):
        maps: list[Map] = [rule.operand_map(om, x.shape, e.outvars[0].aval.shape, e.params)]
    elif isinstance(rule, Reduction):
        axes = set(rule.axes(e.params))
        it = iter(om)
        m_list: list[int | None] = []
        for j, s in enumerate(x.shape):
            if j in axes:
                d = None if s == 1 else dims.new(s)
                m_list.append(d)
                reduced.append(d)
            else:
                m_list.append(next(it))
        maps = [tuple(m_list)]
    else:
        maps = [om for _ in e.inputs]
    out: list[Map | None] = [None if isinstance(a, Literal) else m for a, m in zip(e.inputs, maps)]
    return out, tuple(reduced)


def _valid(g: Group) -> bool:
    all_dims: set[int] = set()
    for m in g.maps.values():
        c = [d for d in g.canon(m) if d is not None]
        if len(set(c)) != len(c):
            return False  # a value would be indexed twice by one dim
        all_dims.update(c)
    red_sets = {frozenset(d for d in g.canon(r) if d is not None) for _, _, r in g.reductions}
    if len(red_sets) > 1:
        return False
    for _, opmap, _ in g.reductions:
        if {d for d in g.canon(opmap) if d is not None} != all_dims:
            return False  # the reduction's input would be recomputed along a dim it lacks
    return True


def _tie_reduced_dims(g: Group, operand: Atom, reduced: Map) -> None:
    """A reduction's new dims that nothing else uses yet are tied to the
    group's dims its input lacks, size for size: the input then spans every
    dim of the group (no recomputation), and the kernel sweeps the reduced
    dim again after the reduction (as a softmax's or layer norm's second
    pass does).  Any tie is sound while every map stays injective, which
    ``_valid`` checks."""
    own = g.maps.get(id(operand), ())
    dom = {d for d in g.canon(own) if d is not None}
    elsewhere: set[int] = set()
    for vid, m in g.maps.items():
        if vid != id(operand):
            elsewhere.update(d for d in g.canon(m) if d is not None)
    leftover = sorted(elsewhere - dom)
    for r in reduced:
        if r is None:
            continue
        rc = g.dims.find(r)
        if rc in elsewhere:
            continue
        for cand in leftover:
            if g.dims.size[cand] == g.dims.size[rc]:
                g.dims.union(cand, rc)
                leftover.remove(cand)
                break


# --- the grouping pass ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Program:
    """What the pass reads about the program: equations, their uses, the
    program's outputs, reachability and each equation's fusion rule."""

    eqns: list[Eqn]
    uses: dict[int, list[int]]  # id(var) -> indices of the equations reading it
    out_ids: set[int]
    reach: list[int]  # bitset of the equations that transitively consume eqn i's results
    rules: list[FusionRule | None]


def uses_of(eqns: list[Eqn]) -> dict[int, list[int]]:
    """id(var) -> indices of the equations that read it."""
    uses: dict[int, list[int]] = {}
    for i, e in enumerate(eqns):
        for a in e.inputs:
            if isinstance(a, Var):
                uses.setdefault(id(a), []).append(i)
    return uses


def _facts(p: Program) -> _Program:
    eqns = p.eqns
    uses = uses_of(eqns)
    reach = [0] * len(eqns)
    for i in reversed(range(len(eqns))):
        r = 0
        for v in eqns[i].outvars:
            for j in uses.get(id(v), ()):
                r |= (1 << j) | reach[j]
        reach[i] = r
    return _Program(eqns, uses, {id(a) for a in p.outs if isinstance(a, Var)}, reach, [classify(e) for e in eqns])


def _add(pg: _Program, group_of: dict[int, Group], g: Group, i: int, om: Map) -> bool:
    """Put equation ``i`` (whose output has map ``om``) into ``g``; False
    (``g`` then needs restoring) when a map or a reduction would not fit."""
    e, rule = pg.eqns[i], pg.rules[i]
    assert rule is not None
    opmaps, reduced = operand_maps(e, rule, om, g.dims)
    for a, m in zip(e.inputs, opmaps):
        if m is None or not isinstance(a, Var):
            continue
        old = g.maps.get(id(a))
        if old is None:
            g.maps[id(a)] = m
        else:
            for x, y in zip(old, m):
                if (x is None) != (y is None) or (x is not None and y is not None and not g.dims.union(x, y)):
                    return False
    if isinstance(rule, Reduction):
        _tie_reduced_dims(g, e.inputs[0], reduced)
        g.reductions.append((i, opmaps[0] or (), reduced))
    if not _valid(g):
        return False
    g.members.append(i)
    g.bits |= 1 << i
    g.reach |= pg.reach[i]
    if not isinstance(rule, IndexMap):
        g.compute = True
    group_of[i] = g
    return True


def _feeds_group(pg: _Program, groups: list[Group], g: Group, starts: list[int]) -> bool:
    """Whether the equations ``starts`` reach ``g`` in the *grouped* program,
    where each group is one node: reaching any member of a group reaches
    what all its members feed.  Reachability over equations alone misses
    paths that enter a group through one member and leave it through
    another (``a -> h.x``, ``h.y -> g``, with no path from ``x`` to ``y``):
    each group is then convex, yet the groups need each other."""
    r = 0
    for j in starts:
        r |= (1 << j) | pg.reach[j]
    pending = [h for h in groups if h is not g]
    while not r & g.bits:
        entered = [h for h in pending if h.bits & r]
        if not entered:
            return False
        pending = [h for h in pending if not h.bits & r]
        for h in entered:
            r |= h.bits | h.reach
    return True


def _try_join(pg: _Program, group_of: dict[int, Group], groups: list[Group], g: Group, i: int) -> bool:
    v = pg.eqns[i].outvars[0]
    om = g.maps.get(id(v))
    if om is None:
        return False
    # Every group holds only equations after ``i`` (they are visited last to
    # first), so nothing in a group reaches ``i``: joining makes a cycle exactly
    # when one of ``i``'s consumers outside ``g`` leads back into ``g``.
    outside = [j for j in pg.uses.get(id(v), ()) if group_of.get(j) is not g]
    if outside and _feeds_group(pg, groups, g, outside):
        return False  # g would both feed and need an equation outside it
    snap = g.snapshot()
    if not _add(pg, group_of, g, i, om):
        g.restore(snap)
        return False
    return True


def _join_consumers(pg: _Program, group_of: dict[int, Group], groups: list[Group], i: int) -> bool:
    """Join equation ``i`` to the first of its consumers' groups that takes it."""
    v = pg.eqns[i].outvars[0]
    consumers = pg.uses.get(id(v), [])
    cands: list[Group] = []
    for j in consumers:
        gj = group_of.get(j)
        if gj is not None and gj not in cands:
            cands.append(gj)
    is_map = isinstance(pg.rules[i], IndexMap)
    for g in cands:
        if is_map and (id(v) in pg.out_ids or any(group_of.get(j) is not g for j in consumers)):
            continue
        if _try_join(pg, group_of, groups, g, i):
            return True
    return False


def partition(p: Program) -> tuple[list[Group], dict[int, Group]]:
    """The fusion groups of ``p`` (each with its members sorted) and the
    group of each fused equation's index."""
    pg = _facts(p)
    group_of: dict[int, Group] = {}
    groups: list[Group] = []
    for i in reversed(range(len(pg.eqns))):
        rule = pg.rules[i]
        if rule is None or _join_consumers(pg, group_of, groups, i) or isinstance(rule, IndexMap):
            continue
        g = Group(len(groups))
        v = pg.eqns[i].outvars[0]
        om = tuple(None if s == 1 else g.dims.new(s) for s in v.aval.shape)
        g.maps[id(v)] = om
        if _add(pg, group_of, g, i, om):
            groups.append(g)
        else:  # should not happen: a lone equation is always a valid group
            group_of.pop(i, None)
    kept = []
    for g in groups:
        if g.compute:
            _split_tails(pg, group_of, g)
        if g.compute and not _alone_impl(pg, g):
            g.members.sort()
            kept.append(g)
        else:  # views alone would only copy, and some ops alone run faster as NumPy's loops: impls
            for i in g.members:
                group_of.pop(i, None)
    return kept, group_of


#: a group's result of at most this many elements is cache-resident: a tail op whose
#: row asks for its impl alone is faster as NumPy's loop after the kernel (the extra
#: pass over the buffer stays in cache); larger ones keep the fused single pass
TAIL_SPLIT_MAX = 1 << 18


def _split_tails(pg: _Program, group_of: dict[int, Group], g: Group) -> None:
    """Take out of ``g`` each last op (no member reads its result) whose row asks
    for its impl alone (``Elementwise.alone_impl``: float32 ``tanh``, logs) and
    whose operand the group computes, same shape, when the result is small: the
    kernel then writes the operand and NumPy's loop finishes it in place
    (``tanh(x @ w + b)`` of 128 x 256 float32 under jit: 12.9 us fused, 9.9 us split)."""
    members = set(g.members)
    made_by = {id(pg.eqns[i].outvars[0]): i for i in g.members}
    for i in list(g.members):
        e = pg.eqns[i]
        v = e.outvars[0]
        if (not _wants_impl(pg, i) or v.aval.size > TAIL_SPLIT_MAX or len(e.inputs) != 1
                or not isinstance(e.inputs[0], Var)):
            continue
        src = made_by.get(id(e.inputs[0]))
        if (src is None or isinstance(pg.rules[src], IndexMap) or e.inputs[0].aval.shape != v.aval.shape
                or any(j in members for j in pg.uses.get(id(v), ()))):
            continue
        rest = [j for j in g.members if j != i]
        if not any(not isinstance(pg.rules[j], IndexMap) for j in rest):
            continue  # nothing else computed: the whole group runs as impls (``_alone_impl``)
        g.members = rest
        members.discard(i)
        group_of.pop(i, None)


def _alone_impl(pg: _Program, g: Group) -> bool:
    """Whether ``g`` computes one op alone whose row asks for its impl then
    (``Elementwise.alone_impl``: NumPy's own loop is faster than the kernel's)."""
    compute = [i for i in g.members if not isinstance(pg.rules[i], IndexMap)]
    return len(compute) == 1 and _wants_impl(pg, compute[0])


def _wants_impl(pg: _Program, i: int) -> bool:
    """Whether equation ``i``'s row names its result's dtype in ``alone_impl``."""
    rule = pg.rules[i]
    return isinstance(rule, Elementwise) and pg.eqns[i].outvars[0].aval.dtype.name in rule.alone_impl


__all__ = ["Group", "Dims", "partition", "classify", "operand_maps", "uses_of", "lit_value", "FUSABLE_DTYPES"]
