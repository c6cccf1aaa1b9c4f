"""Fusion, pass 5: order the steps of a lowered program and plan its memory.

:func:`schedule` puts the fusion groups and the remaining equations in a
topological order (each by its latest member, so the program's own order is
kept where it can be).  :func:`buffer_reuse` lets a group's output take the
buffer of an intermediate of the same size and dtype whose last reader (a
kernel) has run, and :func:`frees` deletes every intermediate after its last
use (lower peak memory).

Example:
    >>> import functorch_lite as fl
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite.transforms.fusion_partition import partition
    >>> p = fl.make_ir(lambda x: jnp.sort(x * 2.0) + 1.0)(jnp.ones(3))
    >>> groups, group_of = partition(p)
    >>> [kind for kind, _ in schedule(p.eqns, groups, group_of)]
    ['group', 'eqn', 'group']
"""

from __future__ import annotations

import heapq
from typing import Any

from functorch_lite.transforms.fusion_partition import Group
from functorch_lite.transforms.ir import Eqn, Program, Var

#: a step: ("group", Group) or ("eqn", equation index)
Step = tuple[str, Any]


def members(step: Step) -> list[int]:
    """The equation indices a step runs."""
    kind, obj = step
    return list(obj.members) if kind == "group" else [obj]


def _dependencies(eqns: list[Eqn], steps: list[list[int]]) -> tuple[list[set[int]], list[list[int]]]:
    producer: dict[int, int] = {}
    for k, ms in enumerate(steps):
        for i in ms:
            for v in eqns[i].outvars:
                producer[id(v)] = k
    deps: list[set[int]] = [set() for _ in steps]
    rdeps: list[list[int]] = [[] for _ in steps]
    for k, ms in enumerate(steps):
        for i in ms:
            for a in eqns[i].inputs:
                src = producer.get(id(a)) if isinstance(a, Var) else None
                if src is not None and src != k and src not in deps[k]:
                    deps[k].add(src)
                    rdeps[src].append(k)
    return deps, rdeps


def schedule(eqns: list[Eqn], groups: list[Group], group_of: dict[int, Group]) -> list[Step]:
    """Groups and standalone equations in a topological order."""
    nodes: list[Step] = [("group", g) for g in groups] + [("eqn", i) for i in range(len(eqns)) if i not in group_of]
    ms = [members(nd) for nd in nodes]
    deps, rdeps = _dependencies(eqns, ms)
    # effectful equations (prints, collectives, sends) keep their program order: two
    # ranks exchanging messages must never see one's recv moved before its send
    effects = sorted((ms[k][0], k) for k, nd in enumerate(nodes) if nd[0] == "eqn" and eqns[nd[1]].prim.effectful)
    for (_, a), (_, b) in zip(effects, effects[1:]):
        if a not in deps[b]:
            deps[b].add(a)
            rdeps[a].append(b)
    heap = [(max(ms[k]), k) for k in range(len(nodes)) if not deps[k]]
    heapq.heapify(heap)
    order: list[Step] = []
    while heap:
        _, k = heapq.heappop(heap)
        order.append(nodes[k])
        for c in rdeps[k]:
            deps[c].discard(k)
            if not deps[c]:
                heapq.heappush(heap, (max(ms[c]), c))
    if len(order) != len(nodes):
        raise RuntimeError("fusion: the grouped program has a cycle (a bug in functorch_lite)")
    return order


def buffer_reuse(steps: list[Step], group_outs: dict[int, list[Var]], uses: dict[int, list[int]],
                 program_outs: set[int], group_of: dict[int, Group]) -> dict[int, list[Var | None]]:
    """Per group step (by index), the donor whose buffer each output takes, or None.

    A group output whose readers are all kernels hands its buffer to a
    later group output of the same size and dtype once its last reader ran
    (an impl reader might keep a view of it, so those never donate)."""
    step_of_eqn = {i: t for t, st in enumerate(steps) for i in members(st)}
    free: list[tuple[int, Var]] = []  # (free after step, donor)
    out: dict[int, list[Var | None]] = {}
    for t in range(len(steps)):
        if t not in group_outs:
            continue
        donors: list[Var | None] = []
        for v in group_outs[t]:
            a = v.aval
            got = None
            for q, (after, d) in enumerate(free):
                if after < t and d.aval.size == a.size and d.aval.dtype == a.dtype:
                    got = d
                    del free[q]
                    break
            donors.append(got)
            if id(v) in program_outs or a.size * a.dtype.itemsize < 4096:
                continue
            readers = uses.get(id(v), [])
            if readers and all(i in group_of for i in readers):
                free.append((max(step_of_eqn[i] for i in readers), v))
        out[t] = donors
    return out


def frees(p: Program, steps: list[Step], group_outs: dict[int, list[Var]],
          reuse: dict[int, list[Var | None]]) -> list[list[Var]]:
    """Per step, the intermediates to delete after it (their last use; a
    donor's buffer is taken at the reusing step)."""
    eqns = p.eqns
    last_use: dict[int, int] = {}
    var_of: dict[int, Var] = {}
    for t, st in enumerate(steps):
        for i in members(st):
            for a in eqns[i].inputs:
                if isinstance(a, Var):
                    last_use[id(a)] = t
                    var_of[id(a)] = a
    for t in group_outs:
        for donor in reuse.get(t, []):
            if donor is not None:
                last_use[id(donor)] = max(last_use.get(id(donor), t), t)
    keep = {id(a) for a in p.outs if isinstance(a, Var)} | {id(v) for v in p.invars} | {id(v) for v in p.constvars}
    materialised = {id(v) for vs in group_outs.values() for v in vs} | {
        id(v) for kind, obj in steps if kind == "eqn" for v in eqns[obj].outvars}
    out: list[list[Var]] = [[] for _ in steps]
    for vid, t in last_use.items():
        if vid not in keep and vid in materialised:
            out[t].append(var_of[vid])
    return out


__all__ = ["Step", "schedule", "buffer_reuse", "frees", "members"]
