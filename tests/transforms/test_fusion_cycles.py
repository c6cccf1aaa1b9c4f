"""jit fusion never groups equations into a cyclic program.

Fusion groups are built by joining producers to their consumers' groups
(``transforms/fusion_partition.py``).  A join is sound only when the grouped
program, each group one node, stays acyclic.  Reachability over equations
alone is not enough: two groups can each be convex and still need each
other, as in (the smallest program that showed it, five equations)::

    a = x * 2 ; k = y + 1 ; b = a * 3 ; out0 = a + k ; out1 = b + k

Visited last to first, ``out1`` and ``out0`` start two groups, ``b`` joins
``out1``'s; ``k`` (first read by ``out0``) joins ``out0``'s group, then ``a``
(first read by ``b``) joined ``out1``'s: no path leads from ``a`` to ``k``,
yet group {a, b, out1} feeds group {k, out0} (``a -> out0``) and needs it
(``k -> out1``).  The Adam step hit the same shape through its moment
updates (``jit`` raised "the grouped program has a cycle").

Checked here: the grouped program of those two, and of random programs with
shared values, reductions, broadcasts and unfusable equations between groups
(hypothesis), is acyclic and schedules; and ``jit`` equals eager on them,
including several Adam steps.
"""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import optimizers, random
from functorch_lite.transforms.compiler import optimize
from functorch_lite.transforms.fusion_partition import partition
from functorch_lite.transforms.fusion_schedule import schedule
from functorch_lite.transforms.ir import Program, Var


def grouped_cycle(p: Program) -> list[int] | None:
    """A cycle of the program grouped as ``partition`` groups it (each group
    one node, other equations their own), as the equation indices of the
    nodes it passes through; None when there is none."""
    groups, group_of = partition(p)
    node_of = {i: ("g", group_of[i].gid) if i in group_of else ("e", i) for i in range(len(p.eqns))}
    producer = {id(v): i for i, e in enumerate(p.eqns) for v in e.outvars}
    succ: dict[Any, set[Any]] = {n: set() for n in node_of.values()}
    first: dict[Any, int] = {}
    for i, e in enumerate(p.eqns):
        first.setdefault(node_of[i], i)
        for a in e.inputs:
            if isinstance(a, Var) and id(a) in producer and node_of[producer[id(a)]] != node_of[i]:
                succ[node_of[producer[id(a)]]].add(node_of[i])
    state: dict[Any, int] = {}  # 1: on the DFS stack, 2: done
    stack: list[Any] = []

    def visit(n: Any) -> list[int] | None:
        state[n] = 1
        stack.append(n)
        for c in sorted(succ[n]):
            if state.get(c) == 1:
                return [first[m] for m in stack[stack.index(c):]]
            if c not in state:
                found = visit(c)
                if found is not None:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(succ):
        if n not in state:
            found = visit(n)
            if found is not None:
                return found
    return None


def assert_groups_acyclic(p: Program) -> None:
    """The grouped program has no cycle, and the scheduler orders it."""
    cycle = grouped_cycle(p)
    assert cycle is None, f"grouped program has a cycle through equations {cycle}:\n{p}"
    groups, group_of = partition(p)
    steps = schedule(p.eqns, groups, group_of)
    assert sorted(i for kind, obj in steps for i in (obj.members if kind == "group" else [obj])) == list(
        range(len(p.eqns)))


def assert_jit_equals_eager(f: Any, *args: Any) -> None:
    with fl.disable_jit():
        want = fl.tree.flatten(f(*args))[0]
    got = fl.tree.flatten(fl.jit(f)(*args))[0]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, g.dtype, w.shape, w.dtype)
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)


# --- the smallest program -----------------------------------------------------------------------


def crossed(x: Any, y: Any) -> Any:
    a = x * 2.0
    k = y + 1.0
    b = a * 3.0
    return a + k, b + k


def test_crossed_consumers_program_is_the_expected_ir() -> None:
    # the test below must keep testing this shape of program
    p = optimize(fl.make_ir(crossed)(jnp.ones(4), jnp.ones(4)))
    assert [e.prim.name for e in p.eqns] == ["mul", "add", "mul", "add", "add"]


def test_crossed_consumers_group_without_cycle() -> None:
    p = optimize(fl.make_ir(crossed)(jnp.ones(4), jnp.ones(4)))
    assert_groups_acyclic(p)
    groups, _ = partition(p)
    assert len(groups) <= 2  # still fused: the fix refuses one join, not fusion


def test_crossed_consumers_jit_equals_eager() -> None:
    x, y = jnp.arange(4.0), jnp.arange(4.0) + 1.0
    assert_jit_equals_eager(crossed, x, y)
    a, b = fl.jit(crossed)(x, y)
    np.testing.assert_array_equal(np.asarray(a), np.arange(4.0) * 3 + 2)
    np.testing.assert_array_equal(np.asarray(b), np.arange(4.0) * 7 + 2)


def test_cycle_through_a_reduction_and_an_unfused_op() -> None:
    # the Adam shape: a reduction's input feeds one group, its result another
    # whose value comes back through an unfused equation (pow of a literal base)
    def f(x: Any, t: Any) -> Any:
        g = x * 0.5
        s = g.sum()
        c = 1.0 - 0.9 ** t  # unfused pow between the groups
        return g / c + 1.0, s * s / c

    x, t = jnp.arange(1.0, 5.0), jnp.asarray(3.0)
    assert_groups_acyclic(optimize(fl.make_ir(f)(x, t)))
    assert_jit_equals_eager(f, x, t)


# --- the Adam step ------------------------------------------------------------------------------


def _loss(params: Any, x: Any, y: Any) -> Any:
    return jnp.mean((x @ params["w"] + params["b"] - y) ** 2)


@pytest.mark.parametrize("bshape", [(), (1,)])
@pytest.mark.parametrize("name", ["adam", "sgd_momentum", "rmsprop"])
def test_optimizer_steps_jit_equal_eager(name: str, bshape: tuple[int, ...]) -> None:
    opt = {"adam": optimizers.adam(0.1), "sgd_momentum": optimizers.sgd(0.1, momentum=0.9),
           "rmsprop": optimizers.rmsprop(0.1)}[name]
    x = random.normal(random.key(1), (50, 2))
    y = x @ jnp.array([2.0, -3.0]) + 0.5

    def step(params: Any, state: Any) -> Any:
        value, g = fl.value_and_grad(_loss)(params, x, y)
        updates, state = opt.update(g, state, params)
        return optimizers.apply_updates(params, updates), state, value

    p = optimize(fl.make_ir(step)({"w": jnp.zeros(2), "b": jnp.zeros(bshape)},
                                  opt.init({"w": jnp.zeros(2), "b": jnp.zeros(bshape)})))
    assert_groups_acyclic(p)
    jstep = fl.jit(step)
    pj = pe = {"w": jnp.zeros(2), "b": jnp.zeros(bshape)}
    sj = se = opt.init(pj)
    losses = []
    for _ in range(4):
        pj, sj, vj = jstep(pj, sj)
        with fl.disable_jit():
            pe, se, ve = step(pe, se)
        for a, b in zip(fl.tree.flatten((pj, sj, vj))[0], fl.tree.flatten((pe, se, ve))[0]):
            a, b = np.asarray(a), np.asarray(b)
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
        losses.append(float(vj))
    assert losses[-1] < losses[0]  # and it trains


# --- random programs ------------------------------------------------------------------------------

# values of shapes (2, 3), (3,) and (): binary ops broadcast them, reductions go down
_SHAPES = ((2, 3), (3,), ())


def _unary(kind: str, v: Any) -> Any:
    return {"sin": jnp.sin, "neg": jnp.negative, "half": lambda a: a * 0.5, "tanh": jnp.tanh,
            "sort": lambda a: jnp.sort(a, axis=-1) if a.ndim else a + 0.0,
            "cumsum": lambda a: jnp.cumsum(a, axis=-1) * 0.25 if a.ndim else a - 1.0,
            "sum0": lambda a: a.sum(axis=0) * 0.5 if a.ndim else a * 0.5,
            "max0": lambda a: a.max(axis=0) if a.ndim else a * 2.0}[kind](v)


def _binary(kind: str, a: Any, b: Any) -> Any:
    return {"add": jnp.add, "sub": jnp.subtract, "mul": jnp.multiply, "max": jnp.maximum}[kind](a, b)


_BINARY = ("add", "sub", "mul", "max")
_UNARY = ("sin", "neg", "half", "tanh", "sort", "cumsum", "sum0", "max0")


@st.composite
def dag_programs(draw: Any) -> tuple[list[tuple[Any, ...]], list[int]]:
    """Steps over three inputs (nodes 0-2: shapes (2, 3), (3,), ()), each
    reading earlier nodes, and the nodes returned.  Shaped to make crossed
    consumers: a few shared values, then two to four chains, interleaved,
    each reading shared values and returned (each chain's end starts a
    group); a chain's value may become shared, and unfusable sorts and scans
    or reductions may sit anywhere."""
    steps: list[tuple[Any, ...]] = []

    def add(step: tuple[Any, ...]) -> int:
        steps.append(step)
        return 2 + len(steps)

    def op(*operands: int) -> tuple[Any, ...]:
        if len(operands) == 2:
            return ("bin", draw(st.sampled_from(_BINARY)), *operands)
        return ("un", draw(st.sampled_from(_UNARY)), *operands)

    shared = [0, 1, 2]
    for _ in range(draw(st.integers(1, 4))):
        ins = draw(st.lists(st.sampled_from(shared), min_size=1, max_size=2))
        shared.append(add(op(*ins)))
    heads: list[int | None] = [None] * draw(st.integers(2, 4))
    for k in range(draw(st.integers(4, 14))):
        # mostly round robin: each shared value is read by several chains, in varying orders
        c = k % len(heads) if draw(st.integers(0, 2)) else draw(st.integers(0, len(heads) - 1))
        x = draw(st.sampled_from(shared))
        h = heads[c]
        new = add(op(x) if h is None else op(h, x) if draw(st.integers(0, 3)) else op(h))
        heads[c] = new
        if not draw(st.integers(0, 4)):
            shared.append(new)
    return steps, sorted({h for h in heads if h is not None})


def _dag_function(prog: tuple[list[tuple[Any, ...]], list[int]]) -> Any:
    steps, outs = prog

    def f(*xs: Any) -> Any:
        vals = list(xs)
        for s in steps:
            vals.append(_binary(s[1], vals[s[2]], vals[s[3]]) if s[0] == "bin" else _unary(s[1], vals[s[2]]))
        return tuple(vals[i] for i in outs)

    return f


def _dag_inputs() -> list[Any]:
    rng = np.random.default_rng(0)
    return [jnp.asarray(rng.uniform(-1, 1, s)) for s in _SHAPES]


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(dag_programs())
def test_random_programs_group_without_cycle(prog: tuple[list[tuple[Any, ...]], list[int]]) -> None:
    # partitioning only (no kernel compiles): many programs are cheap
    p = optimize(fl.make_ir(_dag_function(prog))(*_dag_inputs()))
    assert_groups_acyclic(p)


@settings(max_examples=6, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(dag_programs())
def test_random_programs_jit_equal_eager(prog: tuple[list[tuple[Any, ...]], list[int]]) -> None:
    assert_jit_equals_eager(_dag_function(prog), *_dag_inputs())
