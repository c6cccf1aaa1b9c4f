"""Fusion: group elementwise, broadcast and reduction equations into
generated kernels (the last lowering step of ``jit``).

**Grouping.**  Equations are visited from the last to the first, and each
fusable one joins the group of its consumers (XLA's producer-consumer
fusion), so a chain ends up in one group whatever its shape changes:

- elementwise primitives with a ``fusion`` rule (ops/elementwise.py);
- reductions with a ``fusion`` rule (``reduce_sum``/``max``/``min``,
  ops/reductions.py) together with their elementwise producers and the
  consumers of the reduced value (a softmax, a logsumexp, a mean squared
  error: one kernel each);
- ``broadcast_in_dim``, ``expand_dims``, ``squeeze``, ``transpose`` and
  size-1 ``reshape`` become index maps: a broadcast input is read with
  stride 0 and never materialised.  They join a group only when every use is
  in it (else they run their impl, a view).

Every value of a group is indexed by a *map* from its axes to the group's
iteration dims (union-find over dim variables; a reduction adds its reduced
axes as new dims, which unify with the dims of its input's other uses).  A
join is refused when it would make a map non-injective, give two reductions
different reduced dims, leave a reduction's input short of a dim (the
reduction would be recomputed along it) or create a cycle with an equation
outside the group (checked with reachability bitsets).  An intermediate
used outside its group is an output of the group.  Other equations
(``dot_general``, ``gather``, ``sort``, ...) run their ``impl``.

**Running.**  Per call, a group picks its loop order from its inputs'
strides (memory order of the largest input), coalesces dims that are
contiguous in every array, allocates its outputs in that order, and calls
the kernel generated for that loop structure (ops/kernels/codegen.py;
compiled once per structure, any sizes; constants other than the few
in ``_INLINE_VALUES`` are arguments too, so a shape-derived one such as a
mean's divisor does not make a kernel per shape).  C-contiguous inputs of the
output's shape take the flat unit-stride loop; large calls run in
parallel.  An intermediate's buffer is reused by a later group's output of
the same size and dtype once its last reader (a kernel) has run.

Example:
    >>> import functorch_lite as fl
    >>> import functorch_lite.numpy as jnp
    >>> f = fl.jit(lambda x: jnp.tanh(x * 2.0 + 1.0) * 0.5 + x ** 2)
    >>> f.lower(jnp.ones(4)).n_kernels
    1
"""

from __future__ import annotations

import heapq
import os
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from functorch_lite.array import Array, Storage, contiguous_strides
from functorch_lite.core import Primitive
from functorch_lite.ops.kernels import codegen as cg
from functorch_lite.transforms.compiler import Executable
from functorch_lite.transforms.ir import Atom, Eqn, Literal, Program, Var, pretty

_MAP_OPS = frozenset({"broadcast_in_dim", "expand_dims", "squeeze", "reshape", "transpose"})
_DTYPES = frozenset(np.dtype(t) for t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8,
                                          np.float32, np.float64))
_WORD = re.compile(r"\b[A-Za-z_]\w*")
_SHORT = {"float32": "f32", "float64": "f64", "int8": "i8", "int16": "i16", "int32": "i32", "int64": "i64",
          "uint8": "u8", "bool": "b"}

#: strided kernels loop over at least this many dims (outer size-1 loops are
#: free), so that one compiled kernel serves arrays of any rank up to it
PAD_RANK = 3
#: an innermost loop at least this long gets its 0/1 strides baked into the kernel
#: (a vectorised loop; shorter loops share one kernel across layouts instead)
INNER_SPECIALISE_MIN = 16

def _parallel_min() -> int:
    env = os.environ.get("FUNCTORCH_LITE_PARALLEL_MIN")
    if env:
        return int(env)
    # On 2 cores shared with other jobs a parallel loop ran 2x *slower* than a
    # serial one (benchmarks/RESULTS.md, jit section): parallel by default only
    # where there are cores to spare.
    return 1 << 20 if (os.cpu_count() or 1) >= 4 else 1 << 62


#: calls with at least this many elements run the outer loop in parallel
#: (``FUNCTORCH_LITE_PARALLEL_MIN`` overrides; default 1M elements on machines
#: with 4 or more CPUs, never on smaller ones)
PARALLEL_MIN_ELEMENTS = _parallel_min()


# --- dims: union-find over iteration-dim variables ----------------------------------------------


class _Dims:
    __slots__ = ("parent", "size")

    def __init__(self) -> None:
        self.parent: list[int] = []
        self.size: list[int] = []

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

    def copy(self) -> _Dims:
        d = _Dims()
        d.parent = list(self.parent)
        d.size = list(self.size)
        return d


Map = tuple[int | None, ...]


class _Group:
    """A fusion group under construction (then frozen into a :class:`_Kernel`)."""

    def __init__(self, gid: int) -> None:
        self.gid = gid
        self.members: list[int] = []
        self.bits = 0
        self.dims = _Dims()
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


def _rule_expr(prim: Primitive, names: list[str], dts: list[np.dtype[Any]], out: np.dtype[Any],
               params: dict[str, Any], lits: list[Any]) -> str | None:
    rule = prim.fusion
    if isinstance(rule, str):
        return rule.format(*names, t=_SHORT.get(dts[0].name, dts[0].name) if dts else "")
    if callable(rule):
        res: str | None = rule(names, dts, out, params, lits)
        return res
    return None


def _lit_value(a: Atom) -> Any:
    return a.scalar() if isinstance(a, Literal) else None


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
_INLINE_VALUES = frozenset({0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, float("inf"), float("-inf")})


def _inline_literal(value: Any, dtype: np.dtype[Any]) -> bool:
    """Whether a literal operand is written into the kernel's source (else
    it is passed at run time: see ``_INLINE_VALUES``)."""
    if dtype.kind == "b":
        return True
    r = float(value)  # fusion sees only real dtypes (``_DTYPES``)
    return r != r or r in _INLINE_VALUES


def _squeezable(src: tuple[int, ...], dst: tuple[int, ...]) -> bool:
    return [d for d in src if d != 1] == [d for d in dst if d != 1]


def _classify(e: Eqn) -> str | None:
    """"map", "elementwise", "reduce" or None (not fusable)."""
    prim = e.prim
    if prim.multiple_results or len(e.outvars) != 1:
        return None
    avals = [a.aval for a in e.inputs] + [v.aval for v in e.outvars]
    if any(a.dtype not in _DTYPES for a in avals):
        return None
    name = prim.name
    if name in _MAP_OPS:
        if name == "reshape" and not _squeezable(e.inputs[0].aval.shape, e.outvars[0].aval.shape):
            return None
        return "map"
    rule = prim.fusion
    if isinstance(rule, dict):
        return "reduce" if "axes" in e.params and isinstance(e.inputs[0], Var) else None
    if rule is None:
        return None
    names = [f"a{k}" for k in range(len(e.inputs))]
    lits = [_lit_value(a) for a in e.inputs]
    try:
        expr = _rule_expr(prim, names, [a.aval.dtype for a in e.inputs], e.outvars[0].aval.dtype, e.params, lits)
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    return None if expr is None else "elementwise"


def _operand_maps(e: Eqn, om: Map, dims: _Dims) -> tuple[list[Map | None], Map]:
    """Each operand's map given the output's (None for literals) and, for
    a reduction, the reduced dims (fresh dim variables)."""
    name = e.prim.name
    x = e.inputs[0].aval
    reduced: list[int | None] = []
    if name == "broadcast_in_dim":
        shape, bdims = e.params["shape"], e.params["broadcast_dimensions"]
        m: Map = tuple(om[bd] if x.shape[j] == shape[bd] and x.shape[j] != 1 else None
                       for j, bd in enumerate(bdims))
        maps: list[Map | None] = [m]
    elif name == "expand_dims":
        dd = set(e.params["dimensions"])
        maps = [tuple(d for i, d in enumerate(om) if i not in dd)]
    elif name == "squeeze":
        dd = set(e.params["dimensions"])
        it = iter(om)
        maps = [tuple(None if i in dd else next(it) for i in range(x.ndim))]
    elif name == "reshape":
        it = iter([d for d, s in zip(om, e.outvars[0].aval.shape) if s != 1])
        maps = [tuple(next(it) if s != 1 else None for s in x.shape)]
    elif name == "transpose":
        perm = e.params["permutation"]
        inv: list[int | None] = [None] * x.ndim
        for i, p in enumerate(perm):
            inv[p] = om[i]
        maps = [tuple(inv)]
    elif isinstance(e.prim.fusion, dict):
        axes = set(e.params["axes"])
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


def _valid(g: _Group) -> bool:
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


def _tie_reduced_dims(g: _Group, operand: Atom, reduced: Map) -> None:
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


def _partition(p: Program) -> tuple[list[_Group], dict[int, _Group]]:
    eqns = p.eqns
    n = len(eqns)
    uses: dict[int, list[int]] = {}
    for i, e in enumerate(eqns):
        for a in e.inputs:
            if isinstance(a, Var):
                uses.setdefault(id(a), []).append(i)
    out_ids = {id(a) for a in p.outs if isinstance(a, Var)}
    reach = [0] * n  # eqns that transitively consume eqn i's results
    for i in reversed(range(n)):
        r = 0
        for v in eqns[i].outvars:
            for j in uses.get(id(v), ()):
                r |= (1 << j) | reach[j]
        reach[i] = r
    kinds = [_classify(e) for e in eqns]
    group_of: dict[int, _Group] = {}
    groups: list[_Group] = []

    def try_join(g: _Group, i: int) -> bool:
        e = eqns[i]
        v = e.outvars[0]
        om = g.maps.get(id(v))
        if om is None:
            return False
        for j in uses.get(id(v), ()):
            if group_of.get(j) is not g and reach[j] & g.bits:
                return False  # g would both feed and need an outside equation
        snap = g.snapshot()
        if not _add(g, i, om):
            g.restore(snap)
            return False
        return True

    def _add(g: _Group, i: int, om: Map) -> bool:
        e = eqns[i]
        opmaps, reduced = _operand_maps(e, om, g.dims)
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
        if kinds[i] == "reduce":
            opmap = opmaps[0] or ()
            _tie_reduced_dims(g, e.inputs[0], reduced)
            g.reductions.append((i, opmap, reduced))
        if not _valid(g):
            return False
        g.members.append(i)
        g.bits |= 1 << i
        if kinds[i] != "map":
            g.compute = True
        group_of[i] = g
        return True

    for i in reversed(range(n)):
        kind = kinds[i]
        if kind is None:
            continue
        v = eqns[i].outvars[0]
        consumers = uses.get(id(v), [])
        cands: list[_Group] = []
        for j in consumers:
            gj = group_of.get(j)
            if gj is not None and gj not in cands:
                cands.append(gj)
        joined = False
        for g in cands:
            if kind == "map" and (id(v) in out_ids or any(group_of.get(j) is not g for j in consumers)):
                continue
            if try_join(g, i):
                joined = True
                break
        if joined or kind == "map":
            continue
        g = _Group(len(groups))
        om = tuple(None if s == 1 else g.dims.new(s) for s in v.aval.shape)
        g.maps[id(v)] = om
        if _add(g, i, om):
            groups.append(g)
        else:  # should not happen: a lone equation is always a valid group
            group_of.pop(i, None)
    # groups of view ops alone would only copy: their ops run as impls (views)
    kept = []
    for g in groups:
        if g.compute:
            g.members.sort()
            kept.append(g)
        else:
            for i in g.members:
                group_of.pop(i, None)
    return kept, group_of


# --- a frozen group: kernel description and runner ---------------------------------------------


class _Kernel:
    """One fused group: its generated kernel(s) and how to call them."""

    def __init__(self, g: _Group, eqns: list[Eqn], program_outs: set[int], uses: dict[int, list[int]]) -> None:
        self.eqns = [eqns[i] for i in g.members]
        member_set = set(g.members)
        produced = {id(e.outvars[0]): e for e in self.eqns}
        # iteration dims: canonical dim ids, in a stable order
        dim_order: list[int] = []

        def note(m: Map) -> None:
            for d in g.canon(m):
                if d is not None and d not in dim_order:
                    dim_order.append(d)

        # inputs: vars used by members but produced elsewhere
        inputs: list[Var] = []
        seen: set[int] = set()
        for e in self.eqns:
            for a in e.inputs:
                if isinstance(a, Var) and id(a) not in produced and id(a) not in seen:
                    seen.add(id(a))
                    inputs.append(a)
        # the largest input first fixes the default dim order
        for a in sorted(inputs, key=lambda a: -a.aval.size):
            note(g.maps[id(a)])
        for e in self.eqns:
            note(g.maps[id(e.outvars[0])])
        for _, opmap, _ in g.reductions:
            note(opmap)
        self.dim_ids = dim_order
        index = {d: k for k, d in enumerate(dim_order)}
        self.sizes = [g.dims.size[d] for d in dim_order]
        red: set[int] = set()
        for _, _, r in g.reductions:
            red.update(d for d in g.canon(r) if d is not None)
        self.reduced = tuple(d in red for d in dim_order)

        def smap(v: Var) -> tuple[int | None, ...]:
            return tuple(None if d is None else index[d] for d in g.canon(g.maps[id(v)]))

        # nodes
        nodes: list[cg.Node] = []
        node_names: set[str] = set()
        name_of: dict[int, str] = {}
        self.in_maps: list[tuple[int | None, ...]] = []
        self.in_scalar: list[bool] = []
        for k, a in enumerate(inputs):
            m = smap(a)
            scalar = all(d is None for d in m)
            nm = f"x{k}"
            name_of[id(a)] = nm
            nodes.append(cg.Node(nm, a.aval.dtype, "scalar" if scalar else "in",
                                 row=not any(d is not None and self.reduced[d] for d in m)))
            node_names.add(nm)
            self.in_maps.append(m)
            self.in_scalar.append(scalar)

        params: list[tuple[str, Any]] = []  # (kernel parameter name, typed value)

        def operand(a: Atom) -> str:
            if isinstance(a, Literal):
                value, dt = a.scalar(), a.aval.dtype
                if _inline_literal(value, dt):
                    return cg.literal(value, dt)
                # typed as the literal (a Python float would make float32 arithmetic float64);
                # float64 and int64 as Python scalars, which Numba's dispatcher types fastest
                typed = dt.type(value)
                params.append((f"L{len(params)}", typed.item() if dt.name in ("float64", "int64") else typed))
                return params[-1][0]
            return name_of[id(a)]

        for k, e in enumerate(self.eqns):
            v = e.outvars[0]
            if e.prim.name in _MAP_OPS:
                name_of[id(v)] = operand(e.inputs[0])
                continue
            nm = f"v{k}"
            name_of[id(v)] = nm
            node_names.add(nm)
            m = smap(v)
            row = not any(d is not None and self.reduced[d] for d in m)
            rule = e.prim.fusion
            if isinstance(rule, dict):
                x = e.inputs[0].aval.dtype
                acc = rule["acc"](x)
                nodes.append(cg.Node(nm, v.aval.dtype, "red", (operand(e.inputs[0]),), row=row,
                                     identity=cg.literal(rule["identity"](x), acc),
                                     combine=rule["combine"](x), acc_dtype=acc, chunk=rule["chunk"]))
            else:
                args = [operand(a) for a in e.inputs]
                expr = _rule_expr(e.prim, args, [a.aval.dtype for a in e.inputs], v.aval.dtype, e.params,
                                  [_lit_value(a) for a in e.inputs])
                assert expr is not None
                deps = tuple(x for x in args if x in node_names)
                nodes.append(cg.Node(nm, v.aval.dtype, "op", deps, expr, row=row))
        # outputs: member results used outside the group
        self.out_vars: list[Var] = []
        for e in self.eqns:
            v = e.outvars[0]
            if e.prim.name in _MAP_OPS:
                continue
            if id(v) in program_outs or any(j not in member_set for j in uses.get(id(v), ())):
                self.out_vars.append(v)
        self.out_maps = [smap(v) for v in self.out_vars]
        # a rule may not use an operand's name (``x ** 3`` is ``x * x * x``): only used ones are passed
        used = {w for n in nodes if n.kind == "op" for w in _WORD.findall(n.expr)}
        params = [(nm, val) for nm, val in params if nm in used]
        #: values of the kernel's runtime scalar parameters (``desc.params``), in order
        self.param_values: list[Any] = [val for _, val in params]
        self.desc = cg.KernelDesc(tuple(nodes), tuple(f"x{k}" for k in range(len(inputs))),
                                  tuple(name_of[id(v)] for v in self.out_vars), tuple(nm for nm, _ in params))
        self.has_reduction = bool(g.reductions)
        self.plans: dict[Any, _Plan] = {}
        self.array_inputs = [k for k, s in enumerate(self.in_scalar) if not s]
        self.default_plan: _Plan | None = None
        self.inputs = inputs

    # --- plans: loop order, coalescing, output layout ---------------------------------------------
    def plan(self, in_strides: Sequence[tuple[int, ...]]) -> _Plan:
        key = tuple(in_strides)
        p = self.plans.get(key)
        if p is None:
            # threads racing here build equal plans (the kernel compile itself
            # is deduplicated under codegen's lock); the last one stored wins
            p = self.plans[key] = _Plan(self, in_strides)
        return p

    # --- running ------------------------------------------------------------------------------
    def run_generic(self, *xs: Array) -> list[Array]:
        """Run on any input layout (the plan for these strides is made, and
        its kernel compiled, on first sight)."""
        key = tuple([xs[k]._strides for k in self.array_inputs])
        plan = self.plans.get(key)
        if plan is None:
            plan = self.plan(key)
        args: list[Any] = list(plan.sizes)
        for k, x in enumerate(xs):
            if self.in_scalar[k]:
                args.append(x._storage._data[x._offset])
            else:
                args.append(x._storage._data)
                args.append(x._offset)
                args.extend(plan.in_strides[k])
        args.extend(self.param_values)
        bufs = []
        for j, v in enumerate(self.out_vars):
            buf = cg.empty(plan.out_sizes[j], v.aval.dtype)
            bufs.append(buf)
            args.append(buf)
            args.extend(plan.out_kstrides[j])
        plan.kernel(*args)
        outs = []
        for j, v in enumerate(self.out_vars):
            a = v.aval
            outs.append(Array._unchecked(Storage._of_dense(bufs[j]), a.shape, plan.out_strides[j], 0, a.weak_type))
        return outs

    def driver(self, k: int, ins: list[str], outs: list[str], reuse: list[str | None],
               ns: dict[str, Any]) -> list[str]:
        """Python lines that run this group inside the program's generated
        ``run``: a fast path specialised to C-contiguous inputs (no
        lookups: sizes and strides are constants) and the generic path."""
        plan = _Plan(self, [contiguous_strides(self.inputs[q].aval.shape) for q in self.array_inputs])
        self.default_plan = plan
        ns[f"K{k}"] = plan.kernel
        ns[f"F{k}"] = plan.kernel.fn
        ns[f"G{k}"] = self
        guard = " and ".join(_contiguous_guard(ins[q], self.inputs[q].aval.shape) for q in self.array_inputs)
        args = [repr(s) for s in plan.sizes]
        for q, x in enumerate(ins):
            if self.in_scalar[q]:
                args.append(f"{x}._storage._data[{x}._offset]")
            else:
                args += [f"{x}._storage._data", f"{x}._offset"] + [repr(s) for s in plan.in_strides[q]]
        for j, val in enumerate(self.param_values):
            ns[f"S{k}_{j}"] = val
            args.append(f"S{k}_{j}")
        body: list[str] = []
        for j, v in enumerate(self.out_vars):
            a = v.aval
            n = plan.out_sizes[j]
            if reuse[j] is not None:
                body.append(f"q{j} = {reuse[j]}._storage._data")
            elif n * a.dtype.itemsize >= cg.POOL_MIN_BYTES:
                body.append(f"q{j} = empty({n}, np.{a.dtype.name})")
            else:
                body.append(f"q{j} = np.empty({n}, np.{a.dtype.name})")
            args += [f"q{j}"] + [repr(s) for s in plan.out_kstrides[j]]
        call = ", ".join(args)
        body += ["try:", f"    F{k}({call})", "except Exception:", f"    K{k}({call})"]
        for j, v in enumerate(self.out_vars):
            a = v.aval
            body.append(f"{outs[j]} = Array._unchecked(Storage._of_dense(q{j}), {a.shape!r}, "
                        f"{plan.out_strides[j]!r}, 0, {a.weak_type!r})")
        lhs = ", ".join(outs) + ("," if len(outs) == 1 else "")
        generic = f"{lhs} = G{k}.run_generic({', '.join(ins)})"
        if not guard:
            return body
        return [f"if {guard}:"] + ["    " + ln for ln in body] + ["else:", "    " + generic]



def _contiguous_guard(name: str, shape: tuple[int, ...]) -> str:
    """Source of a test that ``name`` is laid out C-contiguously; the stride of
    a size-1 axis is never used, so it is not tested (``expand_dims`` views
    may carry any stride there)."""
    want = contiguous_strides(shape)
    if 1 not in shape:
        return f"{name}._strides == {want!r}"
    tests = [f"{name}._strides[{i}] == {s}" for i, (n, s) in enumerate(zip(shape, want)) if n != 1]
    return " and ".join(tests) or "True"


class _Plan:
    """How one group runs for one combination of input strides."""

    def __init__(self, k: _Kernel, in_strides: Sequence[tuple[int, ...]], compile_kernel: bool = True) -> None:
        nd = len(k.sizes)
        sizes = list(k.sizes)
        # S-strides of every array input
        sst: dict[int, list[int]] = {}
        for k_in, strides in zip(k.array_inputs, in_strides):
            row = [0] * nd
            for j, dim in enumerate(k.in_maps[k_in]):
                if dim is not None:
                    row[dim] = strides[j]
            sst[k_in] = row

        def domain_size(k_in: int) -> int:
            n = 1
            for d in k.in_maps[k_in]:
                if d is not None:
                    n *= sizes[d]
            return n

        ranked = sorted(k.array_inputs, key=lambda q: -domain_size(q))
        # Loop order: by the biggest input's strides (memory order), then the next's.
        # A dim an input does not move along (stride 0) goes outside the ones it
        # does: the biggest input then streams contiguously in the inner loop, and
        # what varies only along the outer dims is computed before it (hoisting).
        def rank(s: int) -> float:
            return -abs(s) if s else -float("inf")

        order = sorted(range(nd), key=lambda d: tuple(rank(sst[q][d]) for q in ranked) + (d,))
        pos = {d: i for i, d in enumerate(order)}
        # outputs: dense in loop order
        out_strides: list[tuple[int, ...]] = []
        out_sst: list[list[int]] = []
        out_sizes: list[int] = []
        for v, m in zip(k.out_vars, k.out_maps):
            shape = v.aval.shape
            mapped = [j for j, d in enumerate(m) if d is not None]
            if [pos[m[j]] for j in mapped] == sorted(pos[m[j]] for j in mapped):  # type: ignore[index]
                st = contiguous_strides(shape)
            else:
                acc = 1
                st_l = [0] * len(shape)
                for j in sorted(mapped, key=lambda j: -pos[m[j]]):  # type: ignore[index]
                    st_l[j] = acc
                    acc *= shape[j]
                st = tuple(st_l)
            out_strides.append(st)
            row = [0] * nd
            for j, dim in enumerate(m):
                if dim is not None:
                    row[dim] = st[j]
            out_sst.append(row)
            n = 1
            for s in shape:
                n *= s
            out_sizes.append(n)
        # loop dims in order, coalescing neighbours contiguous in every array
        arrays = [sst[q] for q in k.array_inputs] + out_sst
        loops: list[list[int]] = []  # [size, reduced, strides...]
        for d in order:
            cur = [sizes[d], int(k.reduced[d])] + [a[d] for a in arrays]
            if loops:
                prev = loops[-1]
                if prev[1] == cur[1] and all(prev[2 + i] == cur[2 + i] * cur[0] for i in range(len(arrays))):
                    prev[0] *= cur[0]
                    prev[2:] = cur[2:]
                    continue
            loops.append(cur)
        if not loops:
            loops.append([1, 0] + [1] * len(arrays))
        total = 1
        for s in sizes:
            total *= s
        flat = not k.has_reduction and len(loops) == 1 and all(x == 1 for x in loops[0][2:])
        parallel = total >= PARALLEL_MIN_ELEMENTS and not loops[0][1] and (flat or loops[0][0] >= 4)
        if not flat and not parallel:
            # one strided kernel serves every rank up to PAD_RANK: pad with outer size-1 loops
            while len(loops) < PAD_RANK:
                loops.insert(0, [1, 0] + [0] * len(arrays))
        L = len(loops)
        reduced = tuple(bool(lp[1]) for lp in loops)
        inner: tuple[tuple[str, int], ...] = ()
        if not flat and loops[-1][0] >= INNER_SPECIALISE_MIN:
            names = [f"x{q}" for q in k.array_inputs] + [f"Q{j}" for j in range(len(k.out_vars))]
            inner = tuple((nm, st) for nm, st in zip(names, loops[-1][2:]) if st in (0, 1))
        nest = cg.LoopNest(L, reduced, flat=flat, parallel=parallel, inner=inner)
        self.source = cg.kernel_source(k.desc, nest)
        self.sizes = [lp[0] for lp in loops]
        na = len(k.array_inputs)
        self.in_strides: dict[int, list[int]] = {}
        for i, q in enumerate(k.array_inputs):
            self.in_strides[q] = [] if flat else [lp[2 + i] for lp in loops]
        self.out_kstrides = [[] if flat else [lp[2 + na + j] for lp in loops] for j in range(len(k.out_vars))]
        self.out_strides = out_strides
        self.out_sizes = out_sizes
        self.kernel: Any = cg.get_kernel(self.source) if compile_kernel else None


# --- lowering ------------------------------------------------------------------------------------


def lower_with_fusion(p: Program) -> Executable:
    """Lower an optimised program: fused groups become generated kernels,
    everything else calls its primitive's ``impl``; the whole sequence is
    one generated Python function (locals, constants inlined), so a call
    costs little more than the kernels' own dispatch."""
    eqns = p.eqns
    groups, group_of = _partition(p)
    uses: dict[int, list[int]] = {}
    for i, e in enumerate(eqns):
        for a in e.inputs:
            if isinstance(a, Var):
                uses.setdefault(id(a), []).append(i)
    program_outs = {id(a) for a in p.outs if isinstance(a, Var)}
    steps = _schedule(eqns, groups, group_of)
    # names of values in the generated function
    names: dict[int, str] = {}

    def name(v: Var) -> str:
        nm = names.get(id(v))
        if nm is None:
            nm = names[id(v)] = f"v{len(names)}"
        return nm

    ns: dict[str, Any] = {"np": np, "Array": Array, "Storage": Storage, "empty": cg.empty}
    for k, (v, c) in enumerate(zip(p.constvars, p.consts)):
        names[id(v)] = f"c{k}"
        ns[f"c{k}"] = c
    for k, v in enumerate(p.invars):
        names[id(v)] = f"a{k}"
    kernels: list[_Kernel] = []
    step_kernels: dict[int, _Kernel] = {}
    for t, (kind, obj) in enumerate(steps):
        if kind == "group":
            kern = _Kernel(obj, eqns, program_outs, uses)
            step_kernels[t] = kern
            kernels.append(kern)
    reuse = _plan_buffer_reuse(steps, step_kernels, uses, program_outs, group_of)
    # free each intermediate after its last use (lower peak memory)
    last_use: dict[int, int] = {}
    for t, (kind, obj) in enumerate(steps):
        for i in (obj.members if kind == "group" else [obj]):
            for a in eqns[i].inputs:
                if isinstance(a, Var):
                    last_use[id(a)] = t
    for t in step_kernels:  # a donor's buffer is taken at the reusing step
        for donor in reuse.get(t, []):
            if donor is not None:
                last_use[id(donor)] = max(last_use.get(id(donor), t), t)
    keep = program_outs | {id(v) for v in p.invars} | {id(v) for v in p.constvars}
    frees: list[list[Var]] = [[] for _ in steps]
    var_of: dict[int, Var] = {}
    for e in eqns:
        for a in e.inputs:
            if isinstance(a, Var):
                var_of[id(a)] = a
    materialised = {id(v) for kern in kernels for v in kern.out_vars} | {
        id(v) for kind, obj in steps if kind == "eqn" for v in eqns[obj].outvars}
    for vid, t in last_use.items():
        if vid not in keep and vid in materialised:
            frees[t].append(var_of[vid])
    n_in = len(p.invars)
    lines = ["def run(args):"]
    if n_in:
        lines.append(f"    {', '.join(f'a{k}' for k in range(n_in))}{',' if n_in == 1 else ''} = args")
    steps_text: list[str] = []
    for t, (kind, obj) in enumerate(steps):
        if kind == "group":
            kern = step_kernels[t]
            k = kernels.index(kern)
            ins = [name(v) for v in kern.inputs]
            outs = [name(v) for v in kern.out_vars]
            donors = [None if d is None else name(d) for d in reuse.get(t, [None] * len(outs))]
            lines.append(f"    # kernel {k}: fused {' '.join(eqns[i].prim.name for i in obj.members)}")
            lines += ["    " + ln for ln in kern.driver(k, ins, outs, donors, ns)]
            steps_text.append(f"kernel {k}")
        else:
            e = eqns[obj]
            impl = e.prim.impl
            if impl is None:
                raise NotImplementedError(f"primitive {e.prim.name!r} has no impl rule and cannot run")
            special = e.prim.specialize(*[a.aval for a in e.inputs], **e.params) if e.prim.specialize else None
            ns[f"I{t}"] = special or impl
            args = []
            for q, a in enumerate(e.inputs):
                if isinstance(a, Var):
                    args.append(name(a))
                else:
                    ns[f"L{t}_{q}"] = a.val
                    args.append(f"L{t}_{q}")
            if e.params and special is None:
                ns[f"P{t}"] = e.params
                args.append(f"**P{t}")
            outs = [name(v) for v in e.outvars]
            if not e.prim.multiple_results:
                lhs = f"{outs[0]} = "
            elif outs:
                lhs = ", ".join(outs) + ("," if len(outs) == 1 else "") + " = "
            else:
                lhs = ""  # an effect (debug_print): no results
            lines.append(f"    {lhs}I{t}({', '.join(args)})  # {e.prim.name}")
        dead = [name(v) for v in frees[t]]
        if dead:
            lines.append(f"    del {', '.join(dead)}")
    rets = []
    for q, a in enumerate(p.outs):
        if isinstance(a, Var):
            rets.append(name(a))
        else:
            ns[f"R{q}"] = a.val
            rets.append(f"R{q}")
    lines.append(f"    return [{', '.join(rets)}]")
    src = "\n".join(lines) + "\n"
    code = compile(src, f"<functorch_lite jit program {id(p):x}>", "exec")
    exec(code, ns)
    # taken out of its own globals: no reference cycle, so a dropped program
    # (jit cache eviction or clear_cache) is freed at once, not at the next GC
    run = ns.pop("run")
    text = "\n".join([pretty(p), "", "# the generated runner", src.rstrip()] + [
        f"\n# kernel {k} (as compiled for C-contiguous inputs)\n{kern.default_plan.source}"
        for k, kern in enumerate(kernels) if kern.default_plan is not None])
    return Executable(run, text, p, len(kernels))


def _schedule(eqns: list[Eqn], groups: list[_Group], group_of: dict[int, _Group]) -> list[tuple[str, Any]]:
    """Groups and standalone equations in a topological order."""
    nodes: list[tuple[str, Any]] = [("group", g) for g in groups] + [
        ("eqn", i) for i in range(len(eqns)) if i not in group_of]
    members = [nd[1].members if nd[0] == "group" else [nd[1]] for nd in nodes]
    producer: dict[int, int] = {}
    for k, ms in enumerate(members):
        for i in ms:
            for v in eqns[i].outvars:
                producer[id(v)] = k
    deps: list[set[int]] = [set() for _ in nodes]
    rdeps: list[list[int]] = [[] for _ in nodes]
    for k, ms in enumerate(members):
        for i in ms:
            for a in eqns[i].inputs:
                src = producer.get(id(a)) if isinstance(a, Var) else None
                if src is not None and src != k and src not in deps[k]:
                    deps[k].add(src)
                    rdeps[src].append(k)
    heap = [(max(members[k]), k) for k in range(len(nodes)) if not deps[k]]
    heapq.heapify(heap)
    order: list[tuple[str, Any]] = []
    while heap:
        _, k = heapq.heappop(heap)
        order.append(nodes[k])
        for c in rdeps[k]:
            deps[c].discard(k)
            if not deps[c]:
                heapq.heappush(heap, (max(members[c]), c))
    if len(order) != len(nodes):
        raise RuntimeError("fusion: the grouped program has a cycle (a bug in functorch_lite)")
    return order


def _plan_buffer_reuse(steps: list[tuple[str, Any]], step_kernels: dict[int, _Kernel],
                       uses: dict[int, list[int]], program_outs: set[int],
                       group_of: dict[int, _Group]) -> dict[int, list[Var | None]]:
    """A group output whose readers are all kernels hands its buffer to a
    later group output of the same size and dtype once its last reader ran
    (an impl reader might keep a view of it, so those never donate)."""
    step_of_eqn: dict[int, int] = {}
    for t, (kind, obj) in enumerate(steps):
        for i in (obj.members if kind == "group" else [obj]):
            step_of_eqn[i] = t
    free: list[tuple[int, Var]] = []  # (free after step, donor)
    out: dict[int, list[Var | None]] = {}
    for t in range(len(steps)):
        kern = step_kernels.get(t)
        if kern is None:
            continue
        donors: list[Var | None] = []
        for v in kern.out_vars:
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
