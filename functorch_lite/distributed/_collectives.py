"""Collectives as primitives, each declared once with all its rules.

``all_reduce``, ``reduce``, ``broadcast``, ``all_gather``, ``reduce_scatter``,
``send`` and ``recv`` are primitives like ``add``: an ``impl`` (the
communicator's call on the operand's NumPy view, no copy when it is
contiguous), a shape rule, and rows in the rule tables beside them, so
``grad``, ``vmap`` and ``jit`` see through them.

Differentiation follows the SPMD convention of JAX and mpi4jax: every rank
runs the same program, and the objective being differentiated is the *sum*
of the per-rank objectives.  So the transpose of an all-reduce-sum is an
all-reduce-sum of the cotangents, of an all-gather a reduce-scatter (and
back), of a broadcast a reduce to the root (and back).  A consequence users
of ``pmean`` must know: ``grad`` of a loss gives each rank the gradient of
*its* term; average the gradients (``pmean(grads)``) for data parallelism.

All of them are marked ``effectful``: ``jit`` never removes (even when the
result is unused), merges, constant-folds or reorders them, so every rank
runs the same collectives in the same order whatever its program computes
around them.  They have no fusion rule, so a collective always ends a fused
kernel and runs between kernels.  ``send``/``recv`` carry no derivative
(like ``torch.distributed.send``/``recv``): a received value is a constant.

Example:
    >>> import functorch_lite as fl
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite import distributed as dist
    >>> _ = dist.init()
    >>> float(fl.grad(lambda x: dist.all_reduce(x * x).sum())(jnp.float32(3.0))) == 6.0 * dist.world_size()
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from functorch_lite import tree
from functorch_lite.array import Array
from functorch_lite.core import Primitive, ShapedArray, Zero, get_aval, is_array
from functorch_lite.distributed._comm import OPS, DistributedError, current, is_initialized
from functorch_lite.numpy._util import asarray
from functorch_lite.ops import _rules as r
from functorch_lite.ops import params as P
from functorch_lite.ops.tables import batch_rules, jvp_rules, param_checks, param_types, vjp_rules

MAX_TAG = 32767  # the least MPI_TAG_UB the MPI standard guarantees

all_reduce_p = Primitive("all_reduce")
reduce_p = Primitive("reduce")
broadcast_p = Primitive("broadcast")
all_gather_p = Primitive("all_gather")
reduce_scatter_p = Primitive("reduce_scatter")
send_p = Primitive("send", multiple_results=True)
recv_p = Primitive("recv")

COLLECTIVES = (all_reduce_p, reduce_p, broadcast_p, all_gather_p, reduce_scatter_p, send_p, recv_p)
for _p in COLLECTIVES:
    _p.effectful = True
send_p.nondifferentiable = True
recv_p.nondifferentiable = True


# --- shape rules ------------------------------------------------------------------------------


def _check_op(name: str, x: ShapedArray, op: str, allowed: Sequence[str] = OPS) -> None:
    if op not in allowed:
        raise ValueError(f"{name}: op must be one of {list(allowed)}, got {op!r}")
    if op in ("sum", "mean") and x.dtype == np.bool_:
        raise TypeError(f"{name}: op {op!r} needs a numeric dtype, got {x.str_short()}; convert it first "
                        "(or use op='max'/'min' for logical or/and)")
    if op == "mean" and x.dtype.kind != "f":
        raise TypeError(f"{name}: op 'mean' needs a floating dtype, got {x.str_short()}; use op='sum' or "
                        "convert it to float first")


def _check_root(name: str, root: int, what: str = "root") -> None:
    current().check_peer(root, f"{name}: {what}")


def _check_world(name: str, world_size: int) -> None:
    size = current().size
    if world_size != size:
        raise DistributedError(f"{name} was built for a world of {world_size} processes, but this job has {size}")


def _axis(name: str, x: ShapedArray, axis: int, extra: int = 0) -> int:
    n = x.ndim + extra
    if not -n <= axis < n:
        raise ValueError(f"{name}: axis {axis} is out of range for {x.str_short()}")
    return axis % n


def _all_reduce_abstract(x: ShapedArray, *, op: str) -> ShapedArray:
    current()
    _check_op("all_reduce", x, op)
    return x


def _reduce_abstract(x: ShapedArray, *, op: str, root: int) -> ShapedArray:
    _check_op("reduce", x, op, ("sum", "mean"))
    _check_root("reduce", root)
    return x


def _broadcast_abstract(x: ShapedArray, *, root: int) -> ShapedArray:
    _check_root("broadcast", root)
    return x


def _all_gather_abstract(x: ShapedArray, *, axis: int, tiled: bool, world_size: int) -> ShapedArray:
    _check_world("all_gather", world_size)
    if tiled:
        if x.ndim == 0:
            raise ValueError("all_gather(tiled=True) concatenates along an axis: the operand must have one, got "
                             f"{x.str_short()}")
        a = _axis("all_gather", x, axis)
        shape = x.shape[:a] + (x.shape[a] * world_size,) + x.shape[a + 1:]
    else:
        a = _axis("all_gather", x, axis, extra=1)
        shape = x.shape[:a] + (world_size,) + x.shape[a:]
    return ShapedArray(shape, x.dtype, x.weak_type)


def _reduce_scatter_abstract(x: ShapedArray, *, op: str, scatter_dimension: int, tiled: bool,
                             world_size: int) -> ShapedArray:
    _check_world("reduce_scatter", world_size)
    _check_op("reduce_scatter", x, op, ("sum", "mean"))
    if x.ndim == 0:
        raise ValueError(f"reduce_scatter needs an axis to scatter, got {x.str_short()}")
    a = _axis("reduce_scatter", x, scatter_dimension)
    n = x.shape[a]
    if tiled:
        if n % world_size:
            raise ValueError(f"reduce_scatter(tiled=True): axis {a} of {x.str_short()} has size {n}, not a multiple "
                             f"of the world size {world_size}")
        shape = x.shape[:a] + (n // world_size,) + x.shape[a + 1:]
    else:
        if n != world_size:
            raise ValueError(f"reduce_scatter: axis {a} of {x.str_short()} must have the world size {world_size} "
                             "(one block per rank); use tiled=True to split a longer axis evenly")
        shape = x.shape[:a] + x.shape[a + 1:]
    return ShapedArray(shape, x.dtype, x.weak_type)


def _send_abstract(x: ShapedArray, *, dest: int, tag: int) -> list[ShapedArray]:
    _check_root("send", dest, "dest")
    return []


def _recv_abstract(like: ShapedArray, *, source: int, tag: int) -> ShapedArray:
    # ``like`` only gives the shape and dtype: under vmap a batched template receives a batched message
    _check_root("recv", source, "source")
    return like.strip_weak()


# --- impls ------------------------------------------------------------------------------------


def _aval(x: Array) -> ShapedArray:
    return get_aval(x)


def _wrap(out: np.ndarray[Any, Any], x: Array) -> Array:
    return Array._wrap(out, x.weak_type)


def _all_reduce_impl(x: Array, *, op: str) -> Array:
    _all_reduce_abstract(_aval(x), op=op)
    xs = x._numpy()
    out = current().allreduce(xs, op)
    return x if out is xs else _wrap(out, x)


def _reduce_impl(x: Array, *, op: str, root: int) -> Array:
    _reduce_abstract(_aval(x), op=op, root=root)
    xs = x._numpy()
    out = current().reduce(xs, op, root)
    return x if out is xs else _wrap(out, x)


def _broadcast_impl(x: Array, *, root: int) -> Array:
    _broadcast_abstract(_aval(x), root=root)
    xs = x._numpy()
    out = current().bcast(xs, root)
    return x if out is xs else _wrap(out, x)


def _all_gather_impl(x: Array, *, axis: int, tiled: bool, world_size: int) -> Array:
    aval = _all_gather_abstract(_aval(x), axis=axis, tiled=tiled, world_size=world_size)
    stacked = current().allgather(x._numpy())  # (world, *x.shape)
    a = _axis("all_gather", _aval(x), axis, extra=0 if tiled else 1)
    out = np.moveaxis(stacked, 0, a)
    return _wrap(np.array(out, order="C", copy=None).reshape(aval.shape), x)


def _reduce_scatter_impl(x: Array, *, op: str, scatter_dimension: int, tiled: bool, world_size: int) -> Array:
    aval = _reduce_scatter_abstract(_aval(x), op=op, scatter_dimension=scatter_dimension, tiled=tiled,
                                    world_size=world_size)
    a = _axis("reduce_scatter", _aval(x), scatter_dimension)
    xs = np.moveaxis(x._numpy(), a, 0)
    blocks = xs.reshape((world_size, xs.shape[0] // world_size) + xs.shape[1:]) if tiled else xs
    mine = current().reduce_scatter(blocks, op)  # rank's block, scatter axis first (tiled) or gone
    out = np.moveaxis(mine, 0, a) if tiled else mine
    return _wrap(np.array(out, order="C", copy=None).reshape(aval.shape), x)


def _send_impl(x: Array, *, dest: int, tag: int) -> list[Any]:
    _send_abstract(_aval(x), dest=dest, tag=tag)
    current().send(x._numpy(), dest, tag)
    return []


def _recv_impl(like: Array, *, source: int, tag: int) -> Array:
    aval = _recv_abstract(_aval(like), source=source, tag=tag)
    return Array._wrap(current().recv(aval.shape, aval.dtype, source, tag))


for _p, _impl, _abs in (
    (all_reduce_p, _all_reduce_impl, _all_reduce_abstract),
    (reduce_p, _reduce_impl, _reduce_abstract),
    (broadcast_p, _broadcast_impl, _broadcast_abstract),
    (all_gather_p, _all_gather_impl, _all_gather_abstract),
    (reduce_scatter_p, _reduce_scatter_impl, _reduce_scatter_abstract),
    (send_p, _send_impl, _send_abstract),
    (recv_p, _recv_impl, _recv_abstract),
):
    _p.impl = _impl
    _p.abstract_eval = _abs


# --- differentiation rules ---------------------------------------------------------------------


def _scale(x: Any, factor: float) -> Any:
    return r.mul(x, r.full_like(x, factor))


def _linear_jvp(prim: Primitive) -> Any:
    def jvp(primals: Sequence[Any], tangents: Sequence[Any], **params: Any) -> tuple[Any, Any]:
        (x,), (t,) = primals, tangents
        ans = prim.bind(x, **params)
        if isinstance(t, Zero):
            return ans, Zero(get_aval(ans))
        return ans, prim.bind(t, **params)

    return jvp


def _extreme_share(x: Any, ans: Any) -> Any:
    # the ranks holding the max/min share its derivative evenly (ties, as reduce_max does)
    hit = r.convert(r.eq(x, ans), get_aval(x).dtype)
    return r.div(hit, all_reduce_p.bind(hit, op="sum"))


def _all_reduce_jvp(primals: Sequence[Any], tangents: Sequence[Any], *, op: str) -> tuple[Any, Any]:
    (x,), (t,) = primals, tangents
    ans = all_reduce_p.bind(x, op=op)
    if isinstance(t, Zero):
        return ans, Zero(get_aval(ans))
    if op in ("sum", "mean"):
        return ans, all_reduce_p.bind(t, op=op)
    return ans, all_reduce_p.bind(r.mul(t, _extreme_share(x, ans)), op="sum")


def _all_reduce_vjp(ct: Any, ans: Any, x: Any, *, op: str) -> Any:
    if op in ("sum", "mean"):
        return all_reduce_p.bind(ct, op=op)
    return r.mul(_extreme_share(x, ans), all_reduce_p.bind(ct, op="sum"))


def _reduce_vjp(ct: Any, ans: Any, x: Any, *, op: str, root: int) -> Any:
    out = broadcast_p.bind(ct, root=root)
    return _scale(out, 1.0 / current().size) if op == "mean" else out


def _broadcast_vjp(ct: Any, ans: Any, x: Any, *, root: int) -> Any:
    return reduce_p.bind(ct, op="sum", root=root)


def _all_gather_vjp(ct: Any, ans: Any, x: Any, *, axis: int, tiled: bool, world_size: int) -> Any:
    a = _axis("all_gather", get_aval(x), axis, extra=0 if tiled else 1)
    return reduce_scatter_p.bind(ct, op="sum", scatter_dimension=a, tiled=tiled, world_size=world_size)


def _reduce_scatter_vjp(ct: Any, ans: Any, x: Any, *, op: str, scatter_dimension: int, tiled: bool,
                        world_size: int) -> Any:
    a = _axis("reduce_scatter", get_aval(x), scatter_dimension)
    out = all_gather_p.bind(ct, axis=a, tiled=tiled, world_size=world_size)
    return _scale(out, 1.0 / world_size) if op == "mean" else out


jvp_rules[all_reduce_p] = _all_reduce_jvp
vjp_rules[all_reduce_p] = (_all_reduce_vjp,)
for _p, _vjp in ((reduce_p, _reduce_vjp), (broadcast_p, _broadcast_vjp), (all_gather_p, _all_gather_vjp),
                 (reduce_scatter_p, _reduce_scatter_vjp)):
    jvp_rules[_p] = _linear_jvp(_p)
    vjp_rules[_p] = (_vjp,)
# no derivative: a message carries values, not tangents
jvp_rules[send_p] = lambda primals, tangents, **params: (send_p.bind(*primals, **params), [])
vjp_rules[send_p] = (None,)
vjp_rules[recv_p] = (None,)


# --- batching rules: vmap maps over a local axis, the ranks stay the ranks ----------------------


def _batch_same(prim: Primitive) -> Any:
    def rule(vals: Sequence[Any], dims: Sequence[int | None], *, axis_size: int, **params: Any) -> Any:
        return prim.bind(vals[0], **params), dims[0]

    return rule


def _all_gather_batch(vals: Sequence[Any], dims: Sequence[int | None], *, axis_size: int, axis: int, tiled: bool,
                      world_size: int) -> Any:
    x = r.bdim_to_front(vals[0], dims[0], axis_size)
    a = _axis("all_gather", get_aval(vals[0]) if dims[0] is None else _unbatched(vals[0], dims[0]), axis,
              extra=0 if tiled else 1)
    return all_gather_p.bind(x, axis=a + 1, tiled=tiled, world_size=world_size), 0


def _reduce_scatter_batch(vals: Sequence[Any], dims: Sequence[int | None], *, axis_size: int, op: str,
                          scatter_dimension: int, tiled: bool, world_size: int) -> Any:
    x = r.bdim_to_front(vals[0], dims[0], axis_size)
    a = _axis("reduce_scatter", _unbatched(vals[0], dims[0]), scatter_dimension)
    return reduce_scatter_p.bind(x, op=op, scatter_dimension=a + 1, tiled=tiled, world_size=world_size), 0


def _unbatched(x: Any, d: int | None) -> ShapedArray:
    a = get_aval(x)
    if d is None:
        return a
    return ShapedArray(a.shape[:d] + a.shape[d + 1:], a.dtype, a.weak_type)


def _send_batch(vals: Sequence[Any], dims: Sequence[int | None], *, axis_size: int, dest: int, tag: int) -> Any:
    # the receiver gets the whole batch, batch axis first: it must recv that shape
    send_p.bind(r.bdim_to_front(vals[0], dims[0], axis_size), dest=dest, tag=tag)
    return [], []


for _p in (all_reduce_p, reduce_p, broadcast_p):
    batch_rules[_p] = _batch_same(_p)
batch_rules[all_gather_p] = _all_gather_batch
batch_rules[reduce_scatter_p] = _reduce_scatter_batch
batch_rules[send_p] = _send_batch
batch_rules[recv_p] = lambda vals, dims, *, axis_size, **params: (
    recv_p.bind(r.bdim_to_front(vals[0], dims[0], axis_size), **params), 0)


# --- what a saved program may say (export.load checks it before anything runs) --------------------

_RANK = P.ParamSpec("a rank (a non-negative integer)", P.int_in(0, 2**31 - 1))
_WORLD = P.ParamSpec("a world size (a positive integer)", P.int_in(1, 2**31 - 1))
_TAG = P.ParamSpec(f"a message tag in [0, {MAX_TAG}]", P.int_in(0, MAX_TAG))

param_types[all_reduce_p] = {"op": P.one_of(*OPS)}
param_types[reduce_p] = {"op": P.one_of("sum", "mean"), "root": _RANK}
param_types[broadcast_p] = {"root": _RANK}
param_types[all_gather_p] = {"axis": P.AXIS, "tiled": P.BOOL, "world_size": _WORLD}
param_types[reduce_scatter_p] = {"op": P.one_of("sum", "mean"), "scatter_dimension": P.AXIS, "tiled": P.BOOL,
                                 "world_size": _WORLD}
param_types[send_p] = {"dest": _RANK, "tag": _TAG}
param_types[recv_p] = {"source": _RANK, "tag": _TAG}


def _needs_communicator(prim: Primitive) -> Any:
    def check(params: dict[str, Any], n_inputs: int) -> None:
        if not is_initialized():
            raise ValueError(
                f"this program contains the collective {prim.name!r}, which needs an initialised communicator: "
                "call functorch_lite.distributed.init() in every process of the job before loading it"
            )
        size = current().size
        ws = params.get("world_size")
        if ws is not None and ws != size:
            raise ValueError(f"{prim.name!r} was exported for a world of {ws} processes, but this job has {size}")
        for key in ("root", "dest", "source"):
            v = params.get(key)
            if v is not None and v >= size:
                raise ValueError(f"{prim.name!r}: {key} {v} is not a rank of this job of {size} processes")

    return check


for _p in COLLECTIVES:
    param_checks[_p] = _needs_communicator(_p)


# --- the user-facing functions -------------------------------------------------------------------


def _operand(x: Any, what: str) -> Any:
    try:
        return asarray(x)
    except TypeError:
        raise TypeError(f"{what}: expected an array, got {type(x).__name__} (for a pytree use psum/pmean, "
                        "for a Tensor's gradients DistributedDataParallel)") from None


def all_reduce(x: Any, op: str = "sum") -> Any:
    """The elementwise reduction (``"sum"``, ``"mean"``, ``"max"``, ``"min"``)
    of ``x`` over all ranks, returned on every rank (``MPI_Allreduce``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> from functorch_lite import distributed as dist
        >>> _ = dist.init()
        >>> (dist.all_reduce(jnp.ones(2)).tolist() == [float(dist.world_size())] * 2)
        True
    """
    return all_reduce_p.bind(_operand(x, "all_reduce"), op=op)


def reduce(x: Any, root: int = 0, op: str = "sum") -> Any:
    """The sum (or mean) of ``x`` over all ranks on ``root``; zeros on the others.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> from functorch_lite import distributed as dist
        >>> _ = dist.init()
        >>> out = dist.reduce(jnp.ones(2), root=0)
        >>> out.tolist() == ([float(dist.world_size())] * 2 if dist.rank() == 0 else [0.0, 0.0])
        True
    """
    return reduce_p.bind(_operand(x, "reduce"), op=op, root=root)


def broadcast(x: Any, root: int = 0) -> Any:
    """``root``'s ``x`` on every rank (``x`` gives the shape and dtype elsewhere).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> from functorch_lite import distributed as dist
        >>> _ = dist.init()
        >>> dist.broadcast(jnp.arange(3.0) + dist.rank()).tolist()
        [0.0, 1.0, 2.0]
    """
    return broadcast_p.bind(_operand(x, "broadcast"), root=root)


def all_gather(x: Any, axis: int = 0, *, tiled: bool = False) -> Any:
    """Every rank's ``x``, in rank order: stacked along a new axis ``axis``
    (size ``world_size()``), or concatenated along ``axis`` with
    ``tiled=True`` (``jax.lax.all_gather``'s convention).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> from functorch_lite import distributed as dist
        >>> _ = dist.init()
        >>> dist.all_gather(jnp.ones((2, 3))).shape == (dist.world_size(), 2, 3)
        True
    """
    return all_gather_p.bind(_operand(x, "all_gather"), axis=axis, tiled=bool(tiled),
                             world_size=current().size)


def reduce_scatter(x: Any, op: str = "sum", *, scatter_dimension: int = 0, tiled: bool = False) -> Any:
    """Reduce ``x`` over ranks and give rank ``r`` block ``r`` of the result
    along ``scatter_dimension``: that axis must have size ``world_size()``
    (it is removed), or with ``tiled=True`` a multiple of it (it shrinks).
    ``op`` is ``"sum"`` or ``"mean"`` (``jax.lax.psum_scatter``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> from functorch_lite import distributed as dist
        >>> _ = dist.init()
        >>> p = dist.world_size()
        >>> dist.reduce_scatter(jnp.ones((p, 2))).tolist() == [float(p)] * 2
        True
    """
    return reduce_scatter_p.bind(_operand(x, "reduce_scatter"), op=op, scatter_dimension=scatter_dimension,
                                 tiled=bool(tiled), world_size=current().size)


def send(x: Any, dest: int, tag: int = 0) -> None:
    """Send ``x`` to rank ``dest``; the call returns at once (the Array is
    immutable, so MPI reads it in the background; ``barrier()`` and exit
    wait for it).  Messages between two ranks with one tag arrive in order.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> from functorch_lite import distributed as dist
        >>> _ = dist.init()
        >>> me = dist.rank()
        >>> dist.send(jnp.arange(3.0), dest=me, tag=7)
        >>> dist.recv(jnp.zeros(3), source=me, tag=7).tolist()
        [0.0, 1.0, 2.0]
    """
    send_p.bind(_operand(x, "send"), dest=dest, tag=tag)


def recv(like: Any, source: int, tag: int = 0) -> Any:
    """Receive an array from rank ``source``; ``like`` (an array, or anything
    with ``shape`` and ``dtype``) says its shape and dtype, which must match
    the sender's exactly (a clear error otherwise).  Under ``vmap`` a batched
    ``like`` receives the whole batch a batched ``send`` sent.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> from functorch_lite import distributed as dist
        >>> _ = dist.init()
        >>> dist.send(jnp.ones(2, dtype="int32"), dest=dist.rank())
        >>> dist.recv(jnp.zeros(2, dtype="int32"), source=dist.rank()).tolist()
        [1, 1]
    """
    if not is_array(like):
        like = r.full_aval(ShapedArray(tuple(int(d) for d in like.shape), np.dtype(like.dtype)), 0)
    return recv_p.bind(like, source=source, tag=tag)


def _tree_reduce(x: Any, op: str) -> Any:
    """``all_reduce`` of every array leaf of a pytree: the leaves of one dtype
    travel in one message (latency, not bandwidth, bounds small gradients)."""
    leaves, treedef = tree.flatten(x)
    arrs: list[Any] = [asarray(v) for v in leaves]
    groups: dict[np.dtype[Any], list[int]] = {}
    for i, a in enumerate(arrs):
        groups.setdefault(get_aval(a).dtype, []).append(i)
    out: list[Any] = list(arrs)
    for idx in groups.values():
        if len(idx) == 1:
            out[idx[0]] = all_reduce_p.bind(arrs[idx[0]], op=op)
            continue
        avals = [get_aval(arrs[i]) for i in idx]
        flat = r._p("concatenate").bind(*[r.reshape(arrs[i], (av.size,)) for i, av in zip(idx, avals)], dimension=0)
        red = all_reduce_p.bind(flat, op=op)
        start = 0
        for i, av in zip(idx, avals):
            piece = r._p("slice").bind(red, start_indices=(start,), limit_indices=(start + av.size,), strides=(1,))
            out[i] = r.reshape(piece, av.shape)
            start += av.size
    return tree.unflatten(treedef, out)


def psum(x: Any) -> Any:
    """The sum over ranks of every array in a pytree (``jax.lax.psum``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> from functorch_lite import distributed as dist
        >>> _ = dist.init()
        >>> out = dist.psum({"a": jnp.ones(2), "b": jnp.float32(2.0)})
        >>> float(out["b"]) == 2.0 * dist.world_size()
        True
    """
    return _tree_reduce(x, "sum")


def pmean(x: Any) -> Any:
    """The mean over ranks of every array in a pytree (``jax.lax.pmean``):
    what data parallelism applies to gradients.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> from functorch_lite import distributed as dist
        >>> _ = dist.init()
        >>> dist.pmean([jnp.ones(2), jnp.zeros(1)])[0].tolist()
        [1.0, 1.0]
    """
    return _tree_reduce(x, "mean")


__all__ = [
    "all_reduce_p", "reduce_p", "broadcast_p", "all_gather_p", "reduce_scatter_p", "send_p", "recv_p",
    "COLLECTIVES", "all_reduce", "reduce", "broadcast", "all_gather", "reduce_scatter", "send", "recv",
    "psum", "pmean",
]
