"""Functional data parallelism: average what a gradient function returns.

Each rank computes the loss and gradients of *its* shard of the batch; the
mean of those gradients over ranks is the gradient of the whole batch (with
equal shards and a mean loss), so every rank applies the same update and the
parameters stay identical.  :func:`data_parallel` wraps a ``value_and_grad``
(or ``grad``) function to do that; under ``jit`` the all-reduce runs between
the fused kernels of the step.

Example:
    >>> import functorch_lite as fl
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite import distributed as dist
    >>> _ = dist.init()
    >>> loss = lambda w, x: jnp.mean((x @ w) ** 2)
    >>> step = fl.jit(dist.data_parallel(fl.value_and_grad(loss)))
    >>> value, g = step(jnp.ones(2), dist.shard(jnp.ones((4 * dist.world_size(), 2))))
    >>> float(value), g.tolist()
    (4.0, [4.0, 4.0])
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from functorch_lite import tree
from functorch_lite.core import get_aval, is_array
from functorch_lite.distributed._collectives import _tree_reduce, broadcast_p
from functorch_lite.distributed._comm import current
from functorch_lite.numpy._util import asarray
from functorch_lite.ops import _rules as r


def data_parallel(fun: Callable[..., Any]) -> Callable[..., Any]:
    """``fun`` with every floating-point array it returns averaged over ranks
    (``pmean``, one message per dtype); other leaves (counts, flags) are
    returned as this rank computed them.

    Wrap the gradient function of a training step -- ``data_parallel(
    value_and_grad(loss))`` -- and feed each rank its own shard of the batch
    (:func:`shard`): the averaged gradient is the full batch's, on every rank.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> from functorch_lite import distributed as dist
        >>> _ = dist.init()
        >>> g = dist.data_parallel(fl.grad(lambda w: jnp.sum(w * w)))(jnp.ones(2))
        >>> g.tolist()
        [2.0, 2.0]
    """

    @functools.wraps(fun)
    def averaged(*args: Any, **kwargs: Any) -> Any:
        out = fun(*args, **kwargs)
        leaves, treedef = tree.flatten(out)
        floats = [i for i, v in enumerate(leaves) if is_array(v) and get_aval(v).dtype.kind == "f"]
        if floats:
            mean = _tree_reduce([leaves[i] for i in floats], "mean")
            for i, m in zip(floats, mean):
                leaves[i] = m
        return tree.unflatten(treedef, leaves)

    return averaged


def shard(x: Any, axis: int = 0) -> Any:
    """This rank's block of every array in a pytree along ``axis``: rank
    ``r`` of ``p`` gets rows ``[r*n/p, (r+1)*n/p)``.  The axis length must
    be a multiple of the world size (equal shards keep ``pmean`` of mean
    losses equal to the full batch's mean).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> from functorch_lite import distributed as dist
        >>> _ = dist.init()
        >>> dist.shard(jnp.arange(6.0) * dist.world_size()).shape == (6,)
        True
    """
    comm = current()
    p, rk = comm.size, comm.rank

    def one(v: Any) -> Any:
        a = asarray(v)
        aval = get_aval(a)
        if not -aval.ndim <= axis < aval.ndim:
            raise ValueError(f"shard: axis {axis} is out of range for {aval.str_short()}")
        ax = axis % aval.ndim
        n = aval.shape[ax]
        if n % p:
            raise ValueError(f"shard: axis {ax} of {aval.str_short()} has length {n}, not a multiple of the world size "
                             f"{p}; drop or pad the last {n % p} example(s), or use DistributedSampler")
        k = n // p
        start = tuple(rk * k if i == ax else 0 for i in range(aval.ndim))
        limit = tuple((rk + 1) * k if i == ax else d for i, d in enumerate(aval.shape))
        return r._p("slice").bind(a, start_indices=start, limit_indices=limit, strides=(1,) * aval.ndim)

    return tree.map(one, x)


def sync_params(params: Any, root: int = 0) -> Any:
    """Every array of a pytree as ``root`` has it (``broadcast``): start all
    ranks from the same initial parameters.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> from functorch_lite import distributed as dist
        >>> _ = dist.init()
        >>> dist.sync_params({"w": jnp.ones(2) * (dist.rank() + 1)})["w"].tolist()
        [1.0, 1.0]
    """
    return tree.map(lambda v: broadcast_p.bind(asarray(v), root=root), params)


__all__ = ["data_parallel", "shard", "sync_params"]
