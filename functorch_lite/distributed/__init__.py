"""Data-parallel training over MPI, in the functional and the PyTorch style.

``init()`` starts the communicator (MPI through ``mpi4py`` when installed --
``pip install -e '.[mpi]'`` -- else a world of one process); then every
process runs the same program and the collectives below exchange Arrays
between them.  Collectives are primitives, so ``grad``, ``vmap`` and ``jit``
see through them.  Launch with ``mpiexec -n 4 python train.py``; see
``docs/distributed.md``.

Importing this package never starts MPI and needs no mpi4py.

Example:
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite import distributed as dist
    >>> _ = dist.init()
    >>> dist.pmean(jnp.arange(3.0)).tolist()
    [0.0, 1.0, 2.0]
"""

from __future__ import annotations

from functorch_lite.distributed._collectives import (
    COLLECTIVES,
    all_gather,
    all_reduce,
    broadcast,
    pmean,
    psum,
    recv,
    reduce,
    reduce_scatter,
    send,
)
from functorch_lite.distributed._comm import (
    DistributedError,
    barrier,
    current,
    init,
    is_initialized,
    mpi_available,
    rank,
    world_size,
)
from functorch_lite.distributed._data_parallel import data_parallel, shard, sync_params
from functorch_lite.distributed._ddp import (
    DistributedDataParallel,
    DistributedSampler,
    load_checkpoint,
    save_checkpoint,
)

__all__ = [
    "init", "is_initialized", "rank", "world_size", "barrier", "current", "mpi_available", "DistributedError",
    "all_reduce", "reduce", "broadcast", "all_gather", "reduce_scatter", "send", "recv", "psum", "pmean",
    "COLLECTIVES", "data_parallel", "shard", "sync_params",
    "DistributedDataParallel", "DistributedSampler", "save_checkpoint", "load_checkpoint",
]
