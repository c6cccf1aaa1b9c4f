"""Fusion, pass 4: run a fused group, from the program's generated code.

A :class:`GroupRunner` holds one :class:`~functorch_lite.transforms.fusion_group.FusedGroup`
and its plans by input strides.  :meth:`GroupRunner.driver` writes the
Python lines that run the group inside the program's generated ``run``: a
fast path for C-contiguous inputs (sizes and strides are constants of the
source, the output buffers come from the buffer pool or a dead intermediate)
and :meth:`GroupRunner.run_generic` for any other layout (planned, and its
kernel compiled, on first sight).

Example:
    >>> import functorch_lite as fl
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite.transforms.fusion_group import describe
    >>> from functorch_lite.transforms.fusion_partition import partition, uses_of
    >>> p = fl.make_ir(lambda x: x * 2.0 + 1.0)(jnp.ones((2, 2)))
    >>> (g,), _ = partition(p)
    >>> r = GroupRunner(describe(g, p.eqns, {id(p.outs[0])}, uses_of(p.eqns)), 1 << 62)
    >>> r.run_generic(jnp.ones((2, 2)).T)[0].tolist()
    [[3.0, 3.0], [3.0, 3.0]]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from functorch_lite.array import Array, Storage, contiguous_strides
from functorch_lite.ops.kernels import buffer_pool
from functorch_lite.transforms.fusion_group import FusedGroup
from functorch_lite.transforms.fusion_plan import Plan, make_plan


def strides_guard(name: str, shape: tuple[int, ...], want: tuple[int, ...]) -> str:
    """Source of a test that ``name`` has the strides ``want``; the stride of
    a size-1 axis is never used, so it is not tested (``expand_dims`` views
    may carry any stride there).

    Example:
        >>> strides_guard("a", (2, 3), (1, 2)), strides_guard("a", (2, 1), (1, 1))
        ('a._strides == (1, 2)', 'a._strides[0] == 1')
    """
    if 1 not in shape:
        return f"{name}._strides == {tuple(want)!r}"
    tests = [f"{name}._strides[{i}] == {s}" for i, (n, s) in enumerate(zip(shape, want)) if n != 1]
    return " and ".join(tests) or "True"


def _flat_data(name: str) -> str:
    """Source of ``name._storage._data`` without the property's call (a
    Python frame, ~25 ns) when the flat view exists, as it mostly does.

    Example:
        >>> _flat_data("a")
        '(a._storage._flat if a._storage._flat is not None else a._storage._data)'
    """
    return f"({name}._storage._flat if {name}._storage._flat is not None else {name}._storage._data)"


class GroupRunner:
    """One fused group of a lowered program: its plans and how to call them."""

    def __init__(self, fg: FusedGroup, parallel_min: int) -> None:
        self.fg = fg
        self.parallel_min = parallel_min
        self.plans: dict[Any, Plan] = {}
        #: the plan of the fast path, for the input layouts the program
        #: expects (set by :meth:`driver`)
        self.default_plan: Plan | None = None

    def plan(self, in_strides: Sequence[tuple[int, ...]]) -> Plan:
        key = tuple(in_strides)
        p = self.plans.get(key)
        if p is None:
            # threads racing here build equal plans (the kernel compile itself
            # is deduplicated under the kernel cache's lock); the last one stored wins
            p = self.plans[key] = make_plan(self.fg, in_strides, self.parallel_min)
        return p

    def run_generic(self, *xs: Array) -> list[Array]:
        """Run on any input layout (the plan for these strides is made, and
        its kernel compiled, on first sight)."""
        fg = self.fg
        key = tuple([xs[k]._strides for k in fg.array_inputs])
        plan = self.plans.get(key)
        if plan is None:
            plan = self.plan(key)
        args: list[Any] = list(plan.sizes)
        for k, x in enumerate(xs):
            if fg.in_scalar[k]:
                args.append(x._storage._data[x._offset])
            else:
                args.append(x._storage._data)
                args.append(x._offset)
                args.extend(plan.in_strides[k])
        args.extend(fg.param_values)
        bufs = []
        for j, v in enumerate(fg.out_vars):
            buf = buffer_pool.empty(plan.out_sizes[j], v.aval.dtype)
            bufs.append(buf)
            args.append(buf)
            args.extend(plan.out_kstrides[j])
        plan.kernel(*args)
        outs = []
        for j, v in enumerate(fg.out_vars):
            a = v.aval
            outs.append(Array._unchecked(Storage._of_dense(bufs[j]), a.shape, plan.out_strides[j], 0, a.weak_type))
        return outs

    def _input_args(self, plan: Plan, k: int, ins: list[str], ns: dict[str, Any]) -> list[str]:
        fg = self.fg
        args = [repr(s) for s in plan.sizes]
        for q, x in enumerate(ins):
            if fg.in_scalar[q]:
                args.append(f"{_flat_data(x)}[{x}._offset]")
            else:
                args += [_flat_data(x), f"{x}._offset"] + [repr(s) for s in plan.in_strides[q]]
        for j, val in enumerate(fg.param_values):
            ns[f"S{k}_{j}"] = val
            args.append(f"S{k}_{j}")
        return args

    def driver(self, k: int, ins: list[str], outs: list[str], reuse: list[str | None],
               ns: dict[str, Any], expect: Sequence[tuple[int, ...] | None] | None = None) -> list[str]:
        """Python lines that run this group inside the program's generated
        ``run``: a fast path specialised to the input layouts the program
        expects (``expect[q]`` for array input ``q``, C-contiguous where None:
        no lookups, sizes and strides are constants) and the generic path."""
        fg = self.fg
        known = expect if expect is not None else [None] * len(fg.inputs)
        want = {q: known[q] or contiguous_strides(fg.inputs[q].aval.shape) for q in fg.array_inputs}
        plan = make_plan(fg, list(want.values()), self.parallel_min)
        self.default_plan = plan
        ns[f"K{k}"] = plan.kernel
        # the fast path's call: the Numba dispatcher until its first call, then
        # the compiled overload's entry point (see ``_bind_entry_point``)
        ns[f"F{k}"] = _bind_entry_point(ns, f"F{k}", plan.kernel.fn)
        ns[f"G{k}"] = self
        ns["NEW"] = Array._of_buffer
        tests = []
        for q in fg.array_inputs:
            in_dtype = fg.inputs[q].aval.dtype
            ns[f"D_{in_dtype.name}"] = in_dtype
            tests.append(strides_guard(ins[q], fg.inputs[q].aval.shape, want[q]))
            # the entry point reads a buffer of another dtype but the same item
            # size as its own: such a call takes the generic path, as it did
            # when the dispatcher chose the overload
            tests.append(f"{ins[q]}._dtype is D_{in_dtype.name}")
        guard = " and ".join(tests)
        args = self._input_args(plan, k, ins, ns)
        body: list[str] = []
        for j, v in enumerate(fg.out_vars):
            a = v.aval
            n = plan.out_sizes[j]
            dt = f"D_{a.dtype.name}"
            ns[dt] = a.dtype
            if reuse[j] is not None:
                body.append(f"q{j} = {reuse[j]}._storage._data")
            elif n * a.dtype.itemsize >= buffer_pool.POOL_MIN_BYTES:
                body.append(f"q{j} = empty({n}, {dt})")
            else:
                body.append(f"q{j} = np_empty({n}, {dt})")
                ns["np_empty"] = np.empty
            args += [f"q{j}"] + [repr(s) for s in plan.out_kstrides[j]]
        call = ", ".join(args)
        body += ["try:", f"    F{k}({call})", "except Exception:", f"    K{k}({call})"]
        for j, v in enumerate(fg.out_vars):
            a = v.aval
            body.append(f"{outs[j]} = NEW(q{j}, {a.shape!r}, {plan.out_strides[j]!r}, {a.weak_type!r})")
        lhs = ", ".join(outs) + ("," if len(outs) == 1 else "")
        generic = f"{lhs} = G{k}.run_generic({', '.join(ins)})"
        if not guard:
            return body
        return [f"if {guard}:"] + ["    " + ln for ln in body] + ["else:", "    " + generic]


def _bind_entry_point(ns: dict[str, Any], name: str, dispatcher: Any) -> Callable[..., Any]:
    """A stand-in for ``dispatcher`` under ``ns[name]``: its first call goes
    through the dispatcher (which compiles or loads the kernel) and then
    rebinds ``ns[name]`` to the compiled overload's entry point for exactly
    those argument types.

    The fast path always passes the same types (sizes and offsets are ints,
    scalars come from storages of the program's dtypes, buffers are 1-D
    native arrays of them), so the dispatcher's per-call type resolution
    (~0.3 us for a few arguments) is skipped.  The entry point is the
    function the dispatcher itself calls; its unboxing still checks that each
    argument is an array of the right item size, and any error reruns the
    call through the dispatcher (the ``K`` fallback of the generated code).
    Until the first call ``ns`` refers to itself through this closure: the
    rebinding ends that cycle.  ``ns["K<k>"]`` (the Kernel) keeps the
    dispatcher, and so the entry point's machine code, alive.
    """
    def first_call(*args: Any) -> Any:
        out = dispatcher(*args)
        try:
            cres = dispatcher.overloads.get(tuple(dispatcher.typeof_pyval(a) for a in args))
        except Exception:  # an argument Numba cannot type by value: keep dispatching
            cres = None
        if cres is not None:
            ns[name] = cres.entry_point
        return out
    return first_call


__all__ = ["GroupRunner", "strides_guard"]
