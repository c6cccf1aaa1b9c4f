"""Automatic differentiation: forward mode (jvp) and reverse mode (vjp).

Forward mode is a :class:`JVPTrace` carrying (primal, tangent) pairs through
each primitive's ``jvp`` rule.  Reverse mode is a tape, as in HIPS autograd:
a :class:`VJPTrace` records one node per primitive application (its
primals, output and parents); ``backward`` walks the nodes in reverse
topological order, calling the primitive's per-argument ``vjp`` rules.  The
rules are written with primitives, so a backward pass run under an outer
transform is itself traced: ``grad(grad(f))``, ``jacfwd(jacrev(f))`` and any
other nesting work, with one trace level per transform so perturbations are
never confused.

Example:
    >>> import functorch_lite as fl
    >>> import functorch_lite.numpy as jnp
    >>> float(fl.grad(lambda x: jnp.sin(x) * x)(0.0))
    0.0
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Concatenate, Literal, ParamSpec, Protocol, TypeVar, overload

import numpy as np

from functorch_lite import core, tree
from functorch_lite.array import Array, ArrayMethods
from functorch_lite.core import (
    Primitive,
    ShapedArray,
    Trace,
    Tracer,
    Zero,
    get_aval,
    instantiate,
    zeros_array,
)
from functorch_lite.numpy._util import asarray, convert
from functorch_lite.ops.elementwise import stop_gradient_p
from functorch_lite.ops.tables import VjpAll, jvp_rules, vjp_rules

# --- forward mode -----------------------------------------------------------------

# Types of the transforms' signatures.  A transformed function keeps the
# parameters of ``fun`` (P).  ``Diffable`` is what a gradient takes the type of
# the argument from: an array or a container pytree of them; a gradient with
# respect to anything else (a Python float, a custom pytree) is typed ``Any``.
# The first overloads take an ``Array`` first parameter: an unannotated lambda
# then gets ``Array`` for it (pyright infers a lambda's parameters from the
# first overload that fits, and would otherwise give it the bound's union).
P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
Aux = TypeVar("Aux")
Diffable = TypeVar("Diffable", bound="ArrayMethods | dict[Any, Any] | list[Any] | tuple[Any, ...]")
VJPFunction = Callable[[Any], tuple[Any, ...]]  # cotangent of the output -> one cotangent per primal
R_co = TypeVar("R_co", covariant=True)


class Transformed(Protocol[P, R_co]):
    """What ``grad``, ``value_and_grad`` and the Jacobians return: callable
    with ``fun``'s parameters ``P``, returning ``R_co``.

    A protocol rather than ``Callable[P, R]`` because these transforms are
    overloaded (a precise result for ``argnums=0``, ``Any`` otherwise): for a
    ``fun`` with untyped parameters both overloads match, and mypy then
    falls back to this class with ``Any`` parameters, which stays callable
    under ``--strict`` (an erased ``Callable`` would be an "untyped function").
    """

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R_co: ...


class JVPTracer(Tracer):
    __slots__ = ("primal", "tangent")

    def __init__(self, trace: Trace, primal: Any, tangent: Any) -> None:
        self._trace = trace
        self.primal = primal
        self.tangent = tangent

    @property
    def aval(self) -> ShapedArray:
        return get_aval(self.primal)

    def concrete_inner(self) -> Any:
        # the primal is the whole value: ``if x > 0`` under jvp works on it, as in JAX
        return self.primal


class JVPTrace(Trace):
    __slots__ = ()

    def pure(self, val: Any) -> JVPTracer:
        return JVPTracer(self, val, Zero(get_aval(val)))

    lift = pure

    def process_primitive(self, prim: Primitive, tracers: Sequence[Any], params: dict[str, Any]) -> Any:
        primals = [t.primal for t in tracers]
        tangents = [t.tangent for t in tracers]
        if prim.nondifferentiable or all(isinstance(t, Zero) for t in tangents):
            out = prim.bind(*primals, **params)
            if prim.multiple_results:
                return [JVPTracer(self, o, Zero(get_aval(o))) for o in out]
            return JVPTracer(self, out, Zero(get_aval(out)))
        out, t_out = jvp_rules[prim](primals, tangents, **params)
        if prim.multiple_results:
            return [JVPTracer(self, o, t) for o, t in zip(out, t_out)]
        return JVPTracer(self, out, t_out)

    def process_custom(self, rule: Any, args: Sequence[Any]) -> Any:
        return _jvp_custom(self, rule, tuple(args))


# --- reverse mode -------------------------------------------------------------------


class Node:
    """One recorded primitive application (or an input leaf, ``prim is None``)."""

    __slots__ = ("prim", "params", "primals", "ans", "parents", "n_out", "custom")

    def __init__(
        self, prim: Primitive | None, params: dict[str, Any], primals: Sequence[Any], ans: Any,
        parents: Sequence[tuple[Node, int] | None], n_out: int = 1,
        custom: Callable[[Any], Sequence[Any]] | None = None,
    ) -> None:
        self.prim = prim
        self.params = params
        self.primals = primals
        self.ans = ans
        self.parents = parents
        self.n_out = n_out
        # custom(ct) -> cotangent per parent (custom_vjp, checkpoint)
        self.custom = custom


class VJPTracer(Tracer):
    __slots__ = ("primal", "ref")

    def __init__(self, trace: Trace, primal: Any, ref: tuple[Node, int] | None) -> None:
        self._trace = trace
        self.primal = primal
        self.ref = ref  # (node, output index) or None for constants

    @property
    def aval(self) -> ShapedArray:
        return get_aval(self.primal)

    def concrete_inner(self) -> Any:
        return self.primal


class VJPTrace(Trace):
    __slots__ = ()

    def pure(self, val: Any) -> VJPTracer:
        return VJPTracer(self, val, None)

    lift = pure

    def process_primitive(self, prim: Primitive, tracers: Sequence[Any], params: dict[str, Any]) -> Any:
        primals = [t.primal for t in tracers]
        parents = [t.ref for t in tracers]
        out = prim.bind(*primals, **params)
        if prim.nondifferentiable or all(p is None for p in parents):
            if prim.multiple_results:
                return [VJPTracer(self, o, None) for o in out]
            return VJPTracer(self, out, None)
        if prim not in vjp_rules:  # fail while tracing, not later in the backward pass
            raise vjp_rules.missing(prim)
        if prim.multiple_results:
            node = Node(prim, params, primals, out, parents, len(out))
            return [VJPTracer(self, o, (node, i)) for i, o in enumerate(out)]
        node = Node(prim, params, primals, out, parents)
        return VJPTracer(self, out, (node, 0))

    def process_custom(self, rule: Any, args: Sequence[Any]) -> Any:
        return _vjp_custom(self, rule, tuple(args))


def _add_ct(a: Any, b: Any) -> Any:
    if a is None:
        return b
    if b is None:
        return a
    return core.PRIMITIVES["add"].bind(a, b)


def _toposort(roots: Sequence[Node]) -> list[Node]:
    """Nodes reachable from roots, each after every node that uses it."""
    order: list[Node] = []
    seen: set[int] = set()
    for root in roots:
        if id(root) in seen:
            continue
        stack: list[tuple[Node, bool]] = [(root, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            for p in node.parents:
                if p is not None and id(p[0]) not in seen:
                    stack.append((p[0], False))
    order.reverse()
    return order


def backward(outputs: Sequence[tuple[tuple[Node, int], Any]]) -> dict[int, Any]:
    """Propagate cotangents from ``(ref, ct)`` pairs; returns cotangents of the
    leaf nodes keyed by ``id(node)``."""
    cts: dict[tuple[int, int], Any] = {}
    roots = []
    for (node, i), ct in outputs:
        key = (id(node), i)
        cts[key] = _add_ct(cts.get(key), ct)
        roots.append(node)
    leaves: dict[int, Any] = {}
    for node in _toposort(roots):
        multi = node.n_out > 1 or (node.prim is not None and node.prim.multiple_results)
        if not multi:
            ct = cts.pop((id(node), 0), None)
            if ct is None:
                continue
        else:
            outs = [cts.pop((id(node), i), None) for i in range(node.n_out)]
            if all(c is None for c in outs):
                continue
            ct = [
                zeros_array(get_aval(a)) if c is None else c for c, a in zip(outs, node.ans)
            ]
        if node.prim is None and node.custom is None:
            leaves[id(node)] = ct
            continue
        if node.custom is not None:
            in_cts = node.custom(ct)
            for parent, c in zip(node.parents, in_cts):
                if parent is not None and c is not None:
                    key = (id(parent[0]), parent[1])
                    cts[key] = _add_ct(cts.get(key), c)
            continue
        prim = node.prim
        assert prim is not None
        rules = vjp_rules[prim]
        if isinstance(rules, VjpAll):
            in_cts = rules.rule(ct, node.ans, *node.primals, **node.params)
            for parent, c in zip(node.parents, in_cts):
                if parent is not None and c is not None:
                    key = (id(parent[0]), parent[1])
                    cts[key] = _add_ct(cts.get(key), c)
            continue
        for i, parent in enumerate(node.parents):
            if parent is None:
                continue
            rule = rules[i]
            if rule is None:
                continue
            c = rule(ct, node.ans, *node.primals, **node.params)
            if c is not None:
                key = (id(parent[0]), parent[1])
                cts[key] = _add_ct(cts.get(key), c)
    return leaves


# --- functions with custom rules (custom_jvp, custom_vjp, checkpoint) -----------------
# ``rule.kind`` says which; transforms/custom.py builds ``rule`` for one call, with the
# non-differentiable arguments already bound, so ``args`` holds only the others.


def _split_custom(trace: Trace, args: tuple[Any, ...]) -> tuple[list[Any], list[Any]]:
    """The leaves of ``args`` raised to ``trace``, and the rest as they are
    (Python and NumPy scalars: constants, handed to the rules unchanged as JAX does)."""
    leaves = tree.leaves(args)
    return [core.full_raise(trace, x) if core.is_array(x) else x for x in leaves], leaves


def _scalar_zero(x: Any) -> Zero:
    return Zero(get_aval(asarray(x)).strip_weak())


def _out_tracers(out: Any, t_out: Any, wrap: Callable[[Any, Any], Any], what: str) -> Any:
    """Pair each output leaf with its tangent (or tape entry), after checking
    that the rule gave one of the same structure and shape."""
    o_leaves, o_tree = tree.flatten(out)
    t_leaves, t_tree = tree.flatten(t_out)
    if o_tree != t_tree:
        raise TypeError(
            f"{what} rule must produce primal and tangent outputs of the same pytree structure, "
            f"got {o_tree} and {t_tree}"
        )
    pairs = []
    for o, t in zip(o_leaves, t_leaves):
        o = _to_array(o)
        if not isinstance(t, Zero):
            t = _to_array(t)
            if get_aval(t).shape != get_aval(o).shape:
                raise ValueError(
                    f"{what} rule must produce a tangent of its output's shape, got tangent shape "
                    f"{get_aval(t).shape} for output shape {get_aval(o).shape}"
                )
        pairs.append(wrap(o, t))
    return tree.unflatten(o_tree, pairs)


def _jvp_custom(self: JVPTrace, rule: Any, args: tuple[Any, ...]) -> Any:
    if rule.kind == "custom_vjp":
        raise TypeError(
            "can't apply forward-mode differentiation (jvp, jacfwd) to a custom_vjp function; "
            "use jacrev/grad, or define a custom_jvp rule instead"
        )
    tracers, leaves = _split_custom(self, args)
    primals = [t.primal if isinstance(t, JVPTracer) else t for t in tracers]
    tangents = [t.tangent if isinstance(t, JVPTracer) else _scalar_zero(t) for t in tracers]
    treedef = tree.structure(args)
    p_args = tree.unflatten(treedef, primals)
    if all(isinstance(t, Zero) for t in tangents):  # nothing perturbed: the rule is not needed
        out = rule.fun(*p_args)
        return tree.map(lambda o: JVPTracer(self, _to_array(o), Zero(get_aval(_to_array(o)))), out)
    t_args = tree.unflatten(treedef, [instantiate(t) for t in tangents])
    if rule.kind == "custom_jvp":
        out, t_out = rule.jvp_rule(p_args, t_args)
    else:  # checkpoint: forward mode needs no memory savings
        out, t_out = jvp(rule.fun, p_args, t_args)
    return _out_tracers(out, t_out, lambda o, t: JVPTracer(self, o, t), "custom_jvp")


def flat_cotangents(args: tuple[Any, ...], cts: Any, what: str) -> list[Any]:
    """A custom rule's cotangents, one pytree (or None) per positional
    argument, as one entry (or None) per leaf of ``args``.

    Example:
        >>> flat_cotangents((1.0, (2.0, 3.0)), (None, (4.0, None)), "bwd")
        [None, 4.0, None]
    """
    if not isinstance(cts, (tuple, list)) or len(cts) != len(args):
        got = f"a {type(cts).__name__} of length {len(cts)}" if isinstance(cts, (tuple, list)) else (
            f"a {type(cts).__name__}")
        raise TypeError(
            f"{what} must return a tuple with one cotangent (or None) per differentiable positional "
            f"argument ({len(args)}), got {got}"
        )
    flat: list[Any] = []
    for i, (a, c) in enumerate(zip(args, cts)):
        a_leaves, a_tree = tree.flatten(a)
        if c is None:
            flat.extend([None] * len(a_leaves))
            continue
        c_leaves, c_tree = tree.flatten(c, is_leaf=lambda v: v is None)
        if len(c_leaves) != len(a_leaves):
            raise TypeError(
                f"{what}: the cotangent of argument {i} has structure {c_tree}, but the argument "
                f"has {a_tree}"
            )
        for x, ct in zip(a_leaves, c_leaves):
            if ct is not None and core.is_array(x) and get_aval(_to_array(ct)).shape != get_aval(x).shape:
                raise ValueError(
                    f"{what}: the cotangent of argument {i} has shape {get_aval(_to_array(ct)).shape}, "
                    f"but the argument has shape {get_aval(x).shape}"
                )
        flat.extend(c_leaves)
    return flat


def _unflat_ct(o_tree: tree.PyTreeDef, ct: Any) -> Any:
    return tree.unflatten(o_tree, ct if isinstance(ct, list) else [ct])


def _linearized_custom_jvp(rule: Any, treedef: tree.PyTreeDef, p_args: Any,
                           primals: list[Any]) -> tuple[Any, Callable[[Any], Any]]:
    """Run the jvp rule once, recording its tangent map for transposition
    (as JAX linearizes): the output and a pullback of the tangent output.
    The primal function runs only if the rule calls it, once per call."""
    jvp_rule = rule.jvp_rule

    def tangent_map(*ts: Any) -> Any:
        out, t_out = jvp_rule(p_args, tree.unflatten(treedef, list(ts)))
        return t_out, out

    zeros = [instantiate(_scalar_zero(p) if not core.is_array(p) else Zero(get_aval(p).strip_weak()))
             for p in primals]
    t_out, f_vjp, out = vjp(tangent_map, *zeros, has_aux=True)
    _out_tracers(out, t_out, lambda o, t: o, "custom_jvp")  # check the rule's output only
    return out, f_vjp


def _vjp_custom(self: VJPTrace, rule: Any, args: tuple[Any, ...]) -> Any:
    tracers, _ = _split_custom(self, args)
    primals = [t.primal if isinstance(t, VJPTracer) else t for t in tracers]
    parents = [t.ref if isinstance(t, VJPTracer) else None for t in tracers]
    treedef = tree.structure(args)
    p_args = tree.unflatten(treedef, primals)
    if all(p is None for p in parents):
        out = rule.fun(*p_args)
        return tree.map(lambda o: VJPTracer(self, _to_array(o), None), out)
    pull: Callable[[Any], list[Any]]
    if rule.kind == "custom_vjp":
        pair = rule.fwd(*p_args)
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError("custom_vjp fwd must return a pair (output, residuals)")
        out, res = pair
        bwd = rule.bwd

        def pull(ct: Any) -> list[Any]:
            cts = flat_cotangents(p_args, bwd(res, _unflat_ct(o_tree, ct)), "custom_vjp bwd")
            return [None if c is None else _to_array(c) for c in cts]
    elif rule.kind == "custom_jvp":
        out, f_vjp = _linearized_custom_jvp(rule, treedef, p_args, primals)

        def pull(ct: Any) -> list[Any]:
            return list(f_vjp(_unflat_ct(o_tree, ct)))
    else:  # checkpoint: keep only the inputs, recompute in the backward pass
        out = rule.fun(*p_args)
        fun = rule.fun

        def pull(ct: Any) -> list[Any]:
            _, f_vjp = vjp(lambda *xs: fun(*tree.unflatten(treedef, list(xs))), *primals)
            return list(f_vjp(_unflat_ct(o_tree, ct)))

    o_leaves, o_tree = tree.flatten(out)
    o_leaves = [_to_array(o) for o in o_leaves]
    node = Node(None, {}, primals, o_leaves, parents, n_out=len(o_leaves), custom=pull)
    if len(o_leaves) == 1:
        node.ans = o_leaves[0]
    return tree.unflatten(o_tree, [VJPTracer(self, o, (node, i)) for i, o in enumerate(o_leaves)])


# --- user-facing transforms -----------------------------------------------------------


def _to_array(x: Any) -> Any:
    if isinstance(x, (Array, Tracer)):
        return x

    return asarray(x)


def _check_float_input(x: Any, name: str, allow_int: bool, holomorphic: bool = False) -> None:
    dt = get_aval(x).dtype
    if holomorphic:
        if dt.kind != "c":
            raise TypeError(
                f"{name} with holomorphic=True requires inputs with complex dtype, got {dt} "
                f"({get_aval(x).str_short()}); convert with .astype(jnp.complex64)"
            )
        return
    if dt.kind not in "fc" and not allow_int:
        raise TypeError(
            f"{name} requires float inputs to differentiate, got {dt} "
            f"({get_aval(x).str_short()}); convert with .astype(jnp.float32), or pass "
            "allow_int=True to get zero gradients for integer inputs"
        )


def _check_grad_output(dt: np.dtype[Any], name: str, holomorphic: bool) -> None:
    if holomorphic:
        if dt.kind != "c":
            raise TypeError(f"{name} with holomorphic=True requires outputs with complex dtype, got {dt}")
    elif dt.kind != "f":
        hint = "; for holomorphic differentiation, pass holomorphic=True" if dt.kind == "c" else ""
        raise TypeError(f"{name} requires real-valued (float) outputs, got {dt}{hint}")


@overload
def jvp(fun: Callable[..., R], primals: Sequence[Any], tangents: Sequence[Any],
        has_aux: Literal[False] = False) -> tuple[R, R]: ...
@overload
def jvp(fun: Callable[..., tuple[R, Aux]], primals: Sequence[Any], tangents: Sequence[Any],
        has_aux: Literal[True]) -> tuple[R, R, Aux]: ...
@overload
def jvp(fun: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any],
        has_aux: bool = False) -> tuple[Any, ...]: ...
def jvp(fun: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any],
        has_aux: bool = False) -> tuple[Any, ...]:
    """Forward-mode derivative: ``(fun(*primals), d fun(primals) . tangents)``.

    ``primals`` and ``tangents`` are tuples/lists of the same pytree structure,
    shapes and dtypes.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> y, t = fl.jvp(jnp.sin, (0.0,), (2.0,))
        >>> float(y), float(t)
        (0.0, 2.0)
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp: primals and tangents must be tuples or lists, one entry per positional argument")
    p_leaves, p_tree = tree.flatten(tuple(primals))
    t_leaves, t_tree = tree.flatten(tuple(tangents))
    if p_tree != t_tree:
        raise TypeError(f"jvp: primals and tangents must have the same tree structure, got {p_tree} and {t_tree}")
    p_leaves = [_to_array(p) for p in p_leaves]
    t_in = []
    for p, t in zip(p_leaves, t_leaves):
        pa = get_aval(p)
        if t is None or isinstance(t, Zero):
            t_in.append(Zero(pa))
            continue
        t = _to_array(t)
        ta = get_aval(t)
        if ta.shape != pa.shape:
            raise ValueError(f"jvp: tangent shape {ta.shape} does not match primal shape {pa.shape}")
        if pa.dtype.kind not in "fc":
            t_in.append(Zero(pa))
            continue
        if ta.dtype != pa.dtype:
            if ta.weak_type:
                t = convert(t, pa.dtype)
            else:
                raise TypeError(
                    f"jvp: tangent dtype {ta.dtype} does not match primal dtype {pa.dtype}; "
                    "tangents must have their primal's dtype"
                )
        t_in.append(t)
    with core.new_main(JVPTrace, name="jvp") as main:
        trace = JVPTrace(main)
        tracers = [JVPTracer(trace, p, t) for p, t in zip(p_leaves, t_in)]
        out = fun(*tree.unflatten(p_tree, tracers))
        aux = None
        if has_aux:
            out, aux = _split_aux(out, "jvp")
        o_leaves, o_tree = tree.flatten(out)
        po, to = [], []
        for o in o_leaves:
            if isinstance(o, JVPTracer) and o._trace.main is main:
                po.append(o.primal)
                to.append(instantiate(o.tangent))
            else:
                o = _to_array(o)
                po.append(o)
                to.append(zeros_array(get_aval(o)))
        if has_aux:
            aux = _lower_aux(aux, main)
    res = (tree.unflatten(o_tree, po), tree.unflatten(o_tree, to))
    return res + (aux,) if has_aux else res


def _split_aux(out: Any, name: str) -> tuple[Any, Any]:
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError(f"{name} with has_aux=True needs the function to return a pair (output, aux)")
    return out[0], out[1]


def _lower_aux(aux: Any, main: core.MainTrace) -> Any:
    def lower(x: Any) -> Any:
        while isinstance(x, (JVPTracer, VJPTracer)) and x._trace.main is main:
            x = x.primal
        return x

    return tree.map(lower, aux)


class _VJPResult:
    """The ``vjp_fn`` returned by :func:`vjp`; callable any number of times."""

    def __init__(self, in_tree: tree.PyTreeDef, in_leaves: Sequence[Any], leaf_nodes: Sequence[Node],
                 out_tree: tree.PyTreeDef, out_avals: Sequence[ShapedArray],
                 out_refs: Sequence[tuple[Node, int] | None]) -> None:
        self.in_tree = in_tree
        self.in_leaves = in_leaves
        self.leaf_nodes = leaf_nodes
        self.out_tree = out_tree
        self.out_avals = out_avals
        self.out_refs = out_refs

    def __call__(self, ct: Any) -> tuple[Any, ...]:
        c_leaves, c_tree = tree.flatten(ct)
        if c_tree != self.out_tree:
            raise TypeError(
                f"vjp_fn: the cotangent's structure {c_tree} does not match the output's {self.out_tree}"
            )
        pairs = []
        for c, aval, ref in zip(c_leaves, self.out_avals, self.out_refs):
            c = _to_array(c)
            ca = get_aval(c)
            if ca.shape != aval.shape:
                raise ValueError(f"vjp_fn: cotangent shape {ca.shape} does not match output shape {aval.shape}")
            if ca.dtype != aval.dtype:
                if ca.weak_type or (aval.dtype.kind in "fc" and ca.dtype.kind != "c"):
                    c = convert(c, aval.dtype)
                else:
                    raise TypeError(f"vjp_fn: cotangent dtype {ca.dtype} does not match output dtype {aval.dtype}")
            if ref is not None and aval.dtype.kind in "fc":
                pairs.append((ref, c))
        leaf_cts = backward(pairs) if pairs else {}
        outs = []
        for x, node in zip(self.in_leaves, self.leaf_nodes):
            c = leaf_cts.get(id(node))
            outs.append(zeros_array(get_aval(x).strip_weak()) if c is None else c)
        cts: tuple[Any, ...] = tree.unflatten(self.in_tree, outs)  # the primals' tuple
        return cts


@overload
def vjp(fun: Callable[..., R], *primals: Any, has_aux: Literal[False] = False) -> tuple[R, VJPFunction]: ...
@overload
def vjp(fun: Callable[..., tuple[R, Aux]], *primals: Any, has_aux: Literal[True]) -> tuple[R, VJPFunction, Aux]: ...
@overload
def vjp(fun: Callable[..., Any], *primals: Any, has_aux: bool = False) -> tuple[Any, ...]: ...
def vjp(fun: Callable[..., Any], *primals: Any, has_aux: bool = False) -> tuple[Any, ...]:
    """Reverse-mode: ``(fun(*primals), vjp_fn)`` with ``vjp_fn(ct)`` returning a
    tuple of cotangents, one per primal (same pytree structure).

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> y, f_vjp = fl.vjp(lambda x: x * x, jnp.array([3.0]))
        >>> f_vjp(jnp.ones(1))[0].tolist()
        [6.0]
    """
    in_leaves, in_tree = tree.flatten(primals)
    in_leaves = [_to_array(x) for x in in_leaves]
    with core.new_main(VJPTrace, name="vjp") as main:
        trace = VJPTrace(main)
        nodes = [Node(None, {}, (), x, ()) for x in in_leaves]
        tracers = [VJPTracer(trace, x, (n, 0)) for x, n in zip(in_leaves, nodes)]
        out = fun(*tree.unflatten(in_tree, tracers))
        aux = None
        if has_aux:
            out, aux = _split_aux(out, "vjp")
        o_leaves, o_tree = tree.flatten(out)
        prim_out, refs, avals = [], [], []
        for o in o_leaves:
            if isinstance(o, VJPTracer) and o._trace.main is main:
                prim_out.append(o.primal)
                refs.append(o.ref)
            else:
                o = _to_array(o)
                prim_out.append(o)
                refs.append(None)
            avals.append(get_aval(prim_out[-1]))
        if has_aux:
            aux = _lower_aux(aux, main)
    fn = _VJPResult(in_tree, in_leaves, nodes, o_tree, avals, refs)
    out_tree_val = tree.unflatten(o_tree, prim_out)
    return (out_tree_val, fn, aux) if has_aux else (out_tree_val, fn)


def _argnums_tuple(argnums: int | Sequence[int], nargs: int, name: str) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for a in nums:
        if not isinstance(a, int) or not -nargs <= a < nargs:
            raise ValueError(
                f"{name}: argnums {argnums!r} does not name a positional argument of a call with "
                f"{nargs} positional arguments"
            )
    return tuple(a % nargs for a in nums)


@overload
def value_and_grad(fun: Callable[Concatenate[Array, P], R], argnums: Literal[0] = 0, has_aux: Literal[False] = False,
                   holomorphic: bool = False,
                   allow_int: bool = False) -> Transformed[Concatenate[Array, P], tuple[R, Array]]: ...
@overload
def value_and_grad(fun: Callable[Concatenate[Diffable, P], R], argnums: Literal[0] = 0, has_aux: Literal[False] = False,
                   holomorphic: bool = False,
                   allow_int: bool = False) -> Transformed[Concatenate[Diffable, P], tuple[R, Diffable]]: ...
@overload
def value_and_grad(fun: Callable[P, R], argnums: int | Sequence[int] = 0, has_aux: bool = False,
                   holomorphic: bool = False, allow_int: bool = False) -> Transformed[P, tuple[R, Any]]: ...
def value_and_grad(fun: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False,
                   holomorphic: bool = False, allow_int: bool = False) -> Callable[..., tuple[Any, Any]]:
    """``fun`` and its gradient with respect to ``argnums`` in one pass.

    Complex inputs follow JAX's convention: for a real-valued ``fun`` of
    ``z = x + iy`` the result is ``df/dx - i df/dy`` (the conjugate of the
    steepest-ascent direction: step with ``conj(g)``); with
    ``holomorphic=True`` a complex-valued holomorphic ``fun`` gives its
    complex derivative ``f'(z)``.

    Example:
        >>> import functorch_lite as fl
        >>> v, g = fl.value_and_grad(lambda x: x ** 2)(3.0)
        >>> float(v), float(g)
        (9.0, 6.0)
        >>> complex(fl.grad(lambda z: z ** 2, holomorphic=True)(1j))
        2j
    """

    def wrapped(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        nums = _argnums_tuple(argnums, len(args), "grad")
        diff_args = tuple(args[i] for i in nums)
        for leaf in tree.leaves(diff_args):
            _check_float_input(_to_array(leaf), "grad", allow_int, holomorphic)

        def f_partial(*dargs: Any) -> Any:
            full = list(args)
            for i, a in zip(nums, dargs):
                full[i] = a
            return fun(*full, **kwargs)

        res = vjp(f_partial, *diff_args, has_aux=has_aux)
        out, fn = res[0], res[1]
        out_arr = out
        if not isinstance(out_arr, (Array, Tracer)):
            if isinstance(out_arr, (int, float)):
                out_arr = _to_array(out_arr)
            else:
                raise TypeError(
                    f"grad requires a scalar output, got a {type(out).__name__}; use jacrev or vjp "
                    "for non-scalar or structured outputs"
                )
        aval = get_aval(out_arr)
        if aval.shape != ():
            hint = " (index it: out[0], or sum it)" if aval.shape == (1,) else ""
            raise TypeError(
                f"grad requires a scalar (shape ()) output, got shape {aval.shape}{hint}; use "
                "jacrev or vjp for non-scalar outputs"
            )
        _check_grad_output(aval.dtype, "grad", holomorphic)
        g = fn(_ones(aval))
        g = g[0] if isinstance(argnums, int) else g
        if has_aux:
            return (out, res[2]), g
        return out, g

    wrapped.__name__ = f"value_and_grad({getattr(fun, '__name__', 'fun')})"
    wrapped.__doc__ = fun.__doc__
    return wrapped


def _ones(aval: ShapedArray) -> Array:
    return Array._wrap(np.ones(aval.shape, aval.dtype))


@overload
def grad(fun: Callable[Concatenate[Array, P], Any], argnums: Literal[0] = 0, has_aux: Literal[False] = False,
         holomorphic: bool = False, allow_int: bool = False) -> Transformed[Concatenate[Array, P], Array]: ...
@overload
def grad(fun: Callable[Concatenate[Diffable, P], Any], argnums: Literal[0] = 0, has_aux: Literal[False] = False,
         holomorphic: bool = False, allow_int: bool = False) -> Transformed[Concatenate[Diffable, P], Diffable]: ...
@overload
def grad(fun: Callable[P, Any], argnums: int | Sequence[int] = 0, has_aux: bool = False,
         holomorphic: bool = False, allow_int: bool = False) -> Transformed[P, Any]: ...
def grad(fun: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False,
         holomorphic: bool = False, allow_int: bool = False) -> Callable[..., Any]:
    """Gradient of a scalar-valued ``fun`` with respect to ``argnums``.

    With ``has_aux=True`` ``fun`` returns ``(value, aux)`` and the result is
    ``(grad, aux)``.  Arguments may be pytrees; the gradient has their shape.
    Complex inputs and ``holomorphic=True`` follow JAX (see
    :func:`value_and_grad`).

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> fl.grad(lambda w: jnp.sum(w * w))(jnp.array([1.0, 2.0])).tolist()
        [2.0, 4.0]
    """
    vg = value_and_grad(fun, argnums, has_aux, holomorphic, allow_int)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        (v, g) = vg(*args, **kwargs)
        if has_aux:
            return g, v[1]
        return g

    wrapped.__name__ = f"grad({getattr(fun, '__name__', 'fun')})"
    wrapped.__doc__ = fun.__doc__
    return wrapped


def linearize(fun: Callable[..., R], *primals: Any) -> tuple[R, Callable[..., R]]:
    """``(fun(*primals), f_jvp)`` where ``f_jvp(*tangents)`` is the linear map.

    Each call of ``f_jvp`` re-runs forward mode at ``primals`` (values are
    the same as JAX's; the linearised program is not stored).

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> y, f = fl.linearize(jnp.exp, 0.0)
        >>> float(f(2.0))
        2.0
    """
    zeros = tree.map(lambda q: zeros_array(get_aval(_to_array(q))), tuple(primals))
    out = jvp(fun, primals, zeros)[0]

    def f_jvp(*tangents: Any) -> R:
        t_out: R = jvp(fun, primals, tangents)[1]
        return t_out

    return out, f_jvp


def stop_gradient(x: T) -> T:
    """Identity on values; blocks derivatives (zero gradient) through ``x``.

    Works leafwise on pytrees.

    Example:
        >>> import functorch_lite as fl
        >>> float(fl.grad(lambda x: x * fl.stop_gradient(x))(3.0))
        3.0
    """

    def one(v: Any) -> Any:
        return stop_gradient_p.bind(_to_array(v))

    out: T = tree.map(one, x)
    return out
