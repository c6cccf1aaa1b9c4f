"""vmap: vectorising map via a batching rule per primitive.

A :class:`BatchTracer` carries a value with one extra (batch) axis at
``bdim`` (or ``None`` when the value does not vary over the batch).  Each
primitive's ``batch`` rule, ``rule(vals, dims, **params) -> (out, out_dim)``,
pushes the batch axis through the operation with ordinary primitives (a
matmul stays one matmul with an extra batch dimension), so no op falls back
to a Python loop.

Example:
    >>> import functorch_lite as fl
    >>> import functorch_lite.numpy as jnp
    >>> fl.vmap(lambda x: jnp.sum(x * x))(jnp.arange(6.0).reshape(3, 2)).tolist()
    [1.0, 13.0, 41.0]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, TypeVar

from functorch_lite import core, tree
from functorch_lite.core import Primitive, ShapedArray, Trace, Tracer, get_aval
from functorch_lite.numpy._indexing import basic_getitem
from functorch_lite.numpy._manipulation import concatenate
from functorch_lite.numpy._util import asarray
from functorch_lite.ops import _rules as r
from functorch_lite.ops.tables import batch_rules


class BatchTracer(Tracer):
    __slots__ = ("val", "bdim", "_aval")

    def __init__(self, trace: Trace, val: Any, bdim: int | None) -> None:
        self._trace = trace
        self.val = val
        self.bdim = bdim
        self._aval: ShapedArray | None = None

    @property
    def aval(self) -> ShapedArray:
        a = self._aval
        if a is None:  # computed once: batching rules and tracers above ask often
            a = get_aval(self.val)
            if self.bdim is not None:
                a = ShapedArray(a.shape[: self.bdim] + a.shape[self.bdim + 1:], a.dtype, a.weak_type)
            self._aval = a
        return a

    def full_lower(self) -> Any:
        if self.bdim is None:
            return core.full_lower(self.val)
        return self


class BatchTrace(Trace):
    __slots__ = ()

    @property
    def axis_size(self) -> int:
        size: int = self.main.payload
        return size

    def pure(self, val: Any) -> BatchTracer:
        return BatchTracer(self, val, None)

    lift = pure

    def process_primitive(self, prim: Primitive, tracers: Sequence[Any], params: dict[str, Any]) -> Any:
        vals = [t.val for t in tracers]
        dims = [t.bdim for t in tracers]
        if all(d is None for d in dims):
            out = prim.bind(*vals, **params)
            if prim.multiple_results:
                return [BatchTracer(self, o, None) for o in out]
            return BatchTracer(self, out, None)
        rule = batch_rules[prim]
        out, out_dim = rule(vals, dims, axis_size=self.axis_size, **params)
        if prim.multiple_results:
            return [BatchTracer(self, o, d) for o, d in zip(out, out_dim)]
        return BatchTracer(self, out, out_dim)


# --- vmap ------------------------------------------------------------------------------


def _flatten_axes(what: str, axes: Any, treedef: tree.PyTreeDef, nleaves: int) -> list[Any]:
    """Broadcast an axes pytree prefix over a tree's leaves."""
    if axes is None or isinstance(axes, int):
        return [axes] * nleaves
    out: list[Any] = []

    def walk(prefix: Any, sub: tree.PyTreeDef) -> None:
        if prefix is None or isinstance(prefix, int):
            out.extend([prefix] * sub.num_leaves)
            return
        p_leaves, p_def = tree.flatten(prefix, is_leaf=lambda x: x is None)
        if sub.kind is None:
            raise ValueError(
                f"vmap {what}: {axes!r} is not a pytree prefix of the {what[:-5]}s: found a container "
                "where the argument has a single array"
            )
        kids = sub.children
        if p_def.kind != sub.kind or len(p_def.children) != len(kids) or p_def.aux != sub.aux:
            raise ValueError(
                f"vmap {what}: {axes!r} is not a pytree prefix of the {what[:-5]}s' structure {treedef}"
            )
        items = _children_of(prefix)
        for item, child in zip(items, kids):
            walk(item, child)

    walk(axes, treedef)
    return out


def _children_of(x: Any) -> list[Any]:
    # the pytree's own order (an OrderedDict keeps insertion order; a dict sorts its keys)
    return list(tree.flatten_one_level(x)[0])


_moveaxis = r.moveaxis


def _to_array(x: Any) -> Any:
    return asarray(x)

P = ParamSpec("P")
R = TypeVar("R")


def vmap(fun: Callable[P, R], in_axes: Any = 0, out_axes: Any = 0, axis_size: int | None = None,
         chunk_size: int | None = None) -> Callable[P, R]:
    """Map ``fun`` over an axis of its inputs, vectorised.

    ``in_axes``/``out_axes``: int, None (not mapped / not stacked) or pytree
    prefixes of the arguments / outputs; negative axes count from the end.
    ``axis_size`` is needed only when nothing is mapped.  ``chunk_size``
    evaluates the batch in chunks of that size to bound memory.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> f = lambda row, w: jnp.sum(row * w)
        >>> fl.vmap(f, in_axes=(0, None))(jnp.ones((3, 2)), jnp.array([1.0, 2.0])).tolist()
        [3.0, 3.0, 3.0]
    """
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)

    # typed with fun's parameters and result (a batch of them); keyword
    # arguments type-check but raise below, as the message says
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        if kwargs:
            raise TypeError("vmap: keyword arguments are not mapped; bind them with functools.partial")
        leaves, treedef = tree.flatten(args)
        ax_tuple = in_axes if not isinstance(in_axes, tuple) or len(args) != len(in_axes) else in_axes
        if isinstance(in_axes, tuple) and len(in_axes) != len(args):
            raise ValueError(
                f"vmap in_axes: a tuple of {len(in_axes)} entries for a call with {len(args)} "
                "positional arguments; in_axes must be a pytree prefix of the arguments"
            )
        axes = _flatten_axes("in_axes", ax_tuple, treedef, len(leaves))
        leaves = [_to_array(x) if a is not None else x for x, a in zip(leaves, axes)]
        sizes = {}
        norm_axes: list[int | None] = []
        for i, (x, a) in enumerate(zip(leaves, axes)):
            if a is None:
                norm_axes.append(None)
                continue
            nd = get_aval(x).ndim
            if not -nd <= a < nd:
                raise ValueError(
                    f"vmap: in_axes {a} is out of range for argument leaf {i} with shape {get_aval(x).shape}"
                )
            a %= nd
            norm_axes.append(a)
            sizes[i] = get_aval(x).shape[a]
        distinct = set(sizes.values())
        if len(distinct) > 1:
            detail = ", ".join(f"leaf {i}: size {s}" for i, s in sizes.items())
            raise ValueError(f"vmap got inconsistent sizes for the mapped axis: {detail}")
        if distinct:
            n = distinct.pop()
            if axis_size is not None and axis_size != n:
                raise ValueError(f"vmap: axis_size={axis_size} but the mapped inputs have size {n}")
        elif axis_size is None:
            raise ValueError("vmap needs axis_size when no argument is mapped (all in_axes are None)")
        else:
            n = axis_size
        if chunk_size is not None and n > chunk_size:
            chunked: R = _chunked(fun, treedef, leaves, norm_axes, n, chunk_size, out_axes)
            return chunked
        out: R = _vmap_call(fun, treedef, leaves, norm_axes, n, out_axes)
        return out

    wrapped.__name__ = f"vmap({getattr(fun, '__name__', 'fun')})"
    wrapped.__doc__ = fun.__doc__
    return wrapped


def _vmap_call(fun: Callable[..., Any], treedef: tree.PyTreeDef, leaves: list[Any],
               axes: list[int | None], n: int, out_axes: Any) -> Any:
    with core.new_main(BatchTrace, payload=n, name="vmap") as main:
        trace = BatchTrace(main)
        tracers = [BatchTracer(trace, x, a) if a is not None else x for x, a in zip(leaves, axes)]
        out = fun(*tree.unflatten(treedef, tracers))
        o_leaves, o_tree = tree.flatten(out)
        o_axes = _flatten_axes("out_axes", out_axes, o_tree, len(o_leaves))
        results = []
        for o, oa in zip(o_leaves, o_axes):
            if isinstance(o, BatchTracer) and o._trace.main is main:
                val, bd = o.val, o.bdim
            else:
                val, bd = _to_array(o), None
            results.append(_place_out(val, bd, oa, n))
    return tree.unflatten(o_tree, results)


def _place_out(val: Any, bdim: int | None, out_axis: int | None, n: int) -> Any:
    if out_axis is None:
        if bdim is not None:
            raise ValueError(
                "vmap: out_axes=None for an output that varies over the mapped axis; only outputs "
                "that do not depend on the mapped inputs can use out_axes=None"
            )
        return val
    if bdim is None:
        aval = get_aval(val)
        val = r.broadcast(val, (n,) + aval.shape, tuple(range(1, aval.ndim + 1)))
        bdim = 0
    nd = get_aval(val).ndim
    if not -nd <= out_axis < nd:
        raise ValueError(f"vmap: out_axes {out_axis} is out of range for an output with {nd - 1} dimensions")
    return _moveaxis(val, bdim, out_axis % nd)


def _chunked(fun: Callable[..., Any], treedef: tree.PyTreeDef, leaves: list[Any], axes: list[int | None],
             n: int, chunk: int, out_axes: Any) -> Any:
    outs = []
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        sub = []
        for x, a in zip(leaves, axes):
            if a is None:
                sub.append(x)
            else:
                idx = (slice(None),) * a + (slice(start, stop),)
                sub.append(basic_getitem(x, idx))
        outs.append(_vmap_call(fun, treedef, sub, axes, stop - start, out_axes))
    first_leaves, o_tree = tree.flatten(outs[0])
    o_axes = _flatten_axes("out_axes", out_axes, o_tree, len(first_leaves))
    per = [tree.leaves(o) for o in outs]
    merged = []
    for j, oa in enumerate(o_axes):
        parts = [p[j] for p in per]
        merged.append(parts[0] if oa is None else concatenate(parts, axis=oa))
    return tree.unflatten(o_tree, merged)

