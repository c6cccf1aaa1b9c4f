"""Fusion: lower an optimised program, fused groups as generated kernels
(the last step of ``jit``).

The passes, one module each:

0. ``product_layout``: which matrix products are computed column-major
   (OpenBLAS is faster so for few rows; chosen for the whole program, so
   that no elementwise op meets two layouts); ``product_update``: a
   product's update ``w - lr * (x.T @ g)`` folded into its GEMM (``beta = 1``);
   ``gather_onehot``: one-index gathers over a short axis (an integer-label
   loss) as masked reductions that fuse with their neighbours;
1. ``fusion_partition``: group elementwise, reduction and view equations
   (producer-consumer fusion over index maps; what fuses is each
   primitive's row in ``fusion_rules``, ``ops/fusion_rules.py``);
2. ``fusion_group``: describe each group as a kernel (dims, inputs, outputs,
   scalar nodes; constants outside ``INLINE_VALUES`` become arguments);
3. ``fusion_plan``: per input layout, loop order, coalescing, output layout,
   flat/strided/parallel, and the kernel source (``ops/kernels/fused_source.py``)
   compiled through the kernel cache (``ops/kernels/kernel_cache.py``);
4. ``fusion_runner``: the Python lines that call a group's kernel (a
   C-contiguous fast path and a generic one);
5. ``fusion_schedule``: the steps' order, output buffers taken over from
   dead intermediates, intermediates freed after their last use.

This module drives them: everything that is not fused calls its
primitive's ``impl`` (or the callable its ``specializers`` row prepares for
these abstract inputs), and the whole sequence is one generated Python
function, so a call costs little more than the kernels' own dispatch.

Example:
    >>> import functorch_lite as fl
    >>> import functorch_lite.numpy as jnp
    >>> f = fl.jit(lambda x: jnp.tanh(x * 2.0 + 1.0) * 0.5 + x ** 2)
    >>> f.lower(jnp.ones(4)).n_kernels
    1
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from functorch_lite.array import Array, Storage
from functorch_lite.ops.kernels import buffer_pool
from functorch_lite.ops.shape_ops import transpose_p
from functorch_lite.ops.tables import in_place_impls, specializers
from functorch_lite.transforms.compiler import Executable
from functorch_lite.transforms.fusion_group import describe
from functorch_lite.transforms.fusion_partition import Group, partition, uses_of
from functorch_lite.transforms.fusion_plan import INNER_SPECIALISE_MIN, PAD_RANK, parallel_min_from_env
from functorch_lite.transforms.fusion_runner import GroupRunner
from functorch_lite.transforms.fusion_schedule import Step, buffer_reuse, frees, schedule
from functorch_lite.transforms.gather_onehot import onehot_gathers
from functorch_lite.transforms.ir import Eqn, Program, Var, pretty
from functorch_lite.transforms.product_layout import product_layouts
from functorch_lite.transforms.product_update import product_updates

#: calls with at least this many elements run the outer loop in parallel
#: (``FUNCTORCH_LITE_PARALLEL_MIN`` overrides; default 1M elements on machines
#: with 4 or more CPUs, never on smaller ones); read when a program is lowered
PARALLEL_MIN_ELEMENTS = parallel_min_from_env()


class _Names:
    """Names of values in the generated function, given on first use."""

    def __init__(self, names: dict[int, str]) -> None:
        self.names = names

    def __call__(self, v: Var) -> str:
        nm = self.names.get(id(v))
        if nm is None:
            nm = self.names[id(v)] = f"v{len(self.names)}"
        return nm


def _finish_in_place(impl: Callable[..., Any], x: Array) -> Array:
    """``impl`` of ``x`` written over ``x``'s own buffer (a kernel's result that
    nothing else reads): the result is a new Array on the same storage."""
    xv = x._numpy()
    impl(xv, out=xv)
    out = Array._unchecked(x._storage, x._shape, x._strides, x._offset, x.weak_type)
    out._np = xv
    return out


def _in_place(e: Eqn, kernel_outs: set[int], uses: dict[int, list[int]], program_outs: set[int]) -> bool:
    """Whether standalone ``e`` may run in place: a unary op whose impl can write
    over its operand, the operand a kernel's result that only ``e`` reads."""
    if e.prim not in in_place_impls or len(e.inputs) != 1 or e.params:
        return False
    x, v = e.inputs[0], e.outvars[0]
    return (isinstance(x, Var) and id(x) in kernel_outs and id(x) not in program_outs
            and len(uses.get(id(x), ())) == 1 and x.aval.dtype == v.aval.dtype and x.aval.shape == v.aval.shape)


def _eqn_lines(t: int, e: Eqn, name: _Names, ns: dict[str, Any], in_place: bool = False) -> list[str]:
    """The call of a standalone equation's impl (or its specialised callable)."""
    x = e.inputs[0] if e.inputs else None
    if in_place and isinstance(x, Var):
        ns["IN_PLACE"] = _finish_in_place
        ns[f"I{t}"] = in_place_impls[e.prim]
        return [f"    {name(e.outvars[0])} = IN_PLACE(I{t}, {name(x)})  # {e.prim.name}, in place"]
    impl = e.prim.impl
    if impl is None:
        raise NotImplementedError(f"primitive {e.prim.name!r} has no impl rule and cannot run")
    make = specializers.get(e.prim)
    special = make(*[a.aval for a in e.inputs], **e.params) if make is not None else None
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
    return [f"    {lhs}I{t}({', '.join(args)})  # {e.prim.name}"]


def _group_lines(k: int, runner: GroupRunner, g: Group, donors: list[Var | None], eqns: list[Eqn],
                 name: _Names, ns: dict[str, Any], layouts: dict[int, tuple[int, ...]]) -> list[str]:
    fg = runner.fg
    ins = [name(v) for v in fg.inputs]
    outs = [name(v) for v in fg.out_vars]
    reuse = [None if d is None else name(d) for d in donors]
    lines = [f"    # kernel {k}: fused {' '.join(eqns[i].prim.name for i in g.members)}"]
    lines += ["    " + ln for ln in runner.driver(k, ins, outs, reuse, ns, [layouts.get(id(v)) for v in fg.inputs])]
    plan = runner.default_plan
    if plan is not None:
        for v, st in zip(fg.out_vars, plan.out_strides):
            layouts[id(v)] = tuple(st)
    return lines


def _eqn_layout(e: Eqn, layouts: dict[int, tuple[int, ...]], in_place: bool = False) -> None:
    """The strides a standalone equation's result is expected to have, where it
    is not C-contiguous: a ``transpose`` (a view) of a value with known strides,
    or an op run in place over such a value (its buffer, its strides)."""
    x = e.inputs[0] if e.inputs else None
    if not isinstance(x, Var) or id(x) not in layouts:
        return
    st = layouts[id(x)]
    if e.prim is transpose_p:
        layouts[id(e.outvars[0])] = tuple(st[i] for i in e.params["permutation"])
    elif in_place:
        layouts[id(e.outvars[0])] = st


def _namespace(p: Program) -> tuple[dict[str, Any], _Names]:
    ns: dict[str, Any] = {"np": np, "Array": Array, "Storage": Storage, "empty": buffer_pool.empty}
    names: dict[int, str] = {}
    for k, (v, c) in enumerate(zip(p.constvars, p.consts)):
        names[id(v)] = f"c{k}"
        ns[f"c{k}"] = c
    for k, v in enumerate(p.invars):
        names[id(v)] = f"a{k}"
    return ns, _Names(names)


def _body(p: Program, steps: list[Step], runners: dict[int, GroupRunner], reuse: dict[int, list[Var | None]],
          dead: list[list[Var]], name: _Names, ns: dict[str, Any]) -> list[str]:
    """The generated ``run``'s source lines, step by step."""
    kernel_outs = {id(v) for r in runners.values() for v in r.fg.out_vars}
    uses = uses_of(p.eqns)
    program_outs = {id(a) for a in p.outs if isinstance(a, Var)}
    lines = ["def run(args):"]
    n_in = len(p.invars)
    if n_in:
        lines.append(f"    {', '.join(f'a{k}' for k in range(n_in))}{',' if n_in == 1 else ''} = args")
    order = list(runners)
    # strides each value is expected to have where not C-contiguous (fused results in their
    # loop order, views of them): each fast path is compiled for the layouts it will meet
    layouts: dict[int, tuple[int, ...]] = {}
    for t, (kind, obj) in enumerate(steps):
        if kind == "group":
            runner = runners[t]
            donors = reuse.get(t, [None] * len(runner.fg.out_vars))
            lines += _group_lines(order.index(t), runner, obj, donors, p.eqns, name, ns, layouts)
        else:
            e = p.eqns[obj]
            in_place = _in_place(e, kernel_outs, uses, program_outs)
            lines += _eqn_lines(t, e, name, ns, in_place)
            _eqn_layout(e, layouts, in_place)
        names = [name(v) for v in dead[t]]
        if names:
            lines.append(f"    del {', '.join(names)}")
    rets = []
    for q, a in enumerate(p.outs):
        if isinstance(a, Var):
            rets.append(name(a))
        else:
            ns[f"R{q}"] = a.val
            rets.append(f"R{q}")
    lines.append(f"    return [{', '.join(rets)}]")
    return lines


def lower_with_fusion(p: Program) -> Executable:
    """Lower an optimised program: fused groups become generated kernels,
    everything else calls its primitive's ``impl``; the whole sequence is
    one generated Python function (locals, constants inlined), so a call
    costs little more than the kernels' own dispatch.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> ex = lower_with_fusion(fl.make_ir(lambda x: jnp.exp(x) + 1.0)(jnp.zeros(2)))
        >>> ex.n_kernels, ex.run([jnp.zeros(2)])[0].tolist()
        (1, [2.0, 2.0])
    """
    p = onehot_gathers(product_updates(product_layouts(p)))
    groups, group_of = partition(p)
    uses = uses_of(p.eqns)
    program_outs = {id(a) for a in p.outs if isinstance(a, Var)}
    steps = schedule(p.eqns, groups, group_of)
    runners = {t: GroupRunner(describe(obj, p.eqns, program_outs, uses), PARALLEL_MIN_ELEMENTS)
               for t, (kind, obj) in enumerate(steps) if kind == "group"}
    group_outs = {t: r.fg.out_vars for t, r in runners.items()}
    reuse = buffer_reuse(steps, group_outs, uses, program_outs, group_of)
    ns, name = _namespace(p)
    body = _body(p, steps, runners, reuse, frees(p, steps, group_outs, reuse), name, ns)
    src = "\n".join(body) + "\n"
    code = compile(src, f"<functorch_lite jit program {id(p):x}>", "exec")
    exec(code, ns)
    # taken out of its own globals: no reference cycle, so a dropped program
    # (jit cache eviction or clear_cache) is freed at once, not at the next GC
    run = ns.pop("run")
    run_one = None
    if len(p.outs) == 1:  # the same body returning its one output bare
        ret = body[-1]
        assert ret.startswith("    return [") and ret.endswith("]")
        one = "\n".join(["def run_one(args):", *body[1:-1], "    return " + ret[len("    return ["):-1]]) + "\n"
        exec(compile(one, f"<functorch_lite jit program {id(p):x}, one output>", "exec"), ns)
        run_one = ns.pop("run_one")
    kernels = list(runners.values())
    text = "\n".join([pretty(p), "", "# the generated runner", src.rstrip()] + [
        f"\n# kernel {k} (as compiled for the input layouts the program expects)\n{r.default_plan.source}"
        for k, r in enumerate(kernels) if r.default_plan is not None])
    return Executable(run, text, p, len(kernels), run_one)


__all__ = ["lower_with_fusion", "PARALLEL_MIN_ELEMENTS", "INNER_SPECIALISE_MIN", "PAD_RANK"]
