"""PyTorch-style data parallelism: ``DistributedDataParallel``, a
``DistributedSampler`` and rank-0 checkpoints.

``DistributedDataParallel(module)`` broadcasts rank 0's parameters and
buffers when it is built, then averages ``.grad`` over ranks during every
``backward()``: parameters are grouped into size-capped buckets (in reverse
registration order, roughly the order backward produces their gradients);
as soon as every gradient of a bucket has been accumulated, the bucket's
all-reduce starts (nonblocking), overlapping the rest of backward; when the
pass ends, the averages are written back into ``.grad``.  Buckets are
launched strictly in order, so every rank issues the same collectives in the
same order even when their backward passes visit parameters differently.

Example:
    >>> import functorch_lite as fl
    >>> from functorch_lite import distributed as dist, nn
    >>> _ = dist.init()
    >>> model = dist.DistributedDataParallel(nn.Linear(3, 1))
    >>> model(fl.ones(2, 3)).sum().backward()
    >>> model.module.weight.grad.tolist()
    [[2.0, 2.0, 2.0]]
"""

from __future__ import annotations

import contextlib
import math
import weakref
from collections.abc import Iterator
from typing import Any

import numpy as np

from functorch_lite import serialization
from functorch_lite.distributed._comm import Communicator, MPICommunicator, barrier, current
from functorch_lite.nn.modules.module import Module
from functorch_lite.stateful._base import TensorBase
from functorch_lite.stateful._engine import BACKWARD_OBSERVERS, BackwardObserver
from functorch_lite.stateful._grad_mode import no_grad


class _Bucket:
    __slots__ = ("params", "offsets", "dtype", "buf", "request", "seen")

    def __init__(self, params: list[Any]) -> None:
        self.params = params
        self.dtype = params[0]._dtype.np_dtype
        sizes = [p.numel() for p in params]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int).tolist()
        # the gradients, then one "used by this rank" flag per parameter (their sum: how many ranks used it)
        self.buf = np.zeros(self.offsets[-1] + len(params), self.dtype)
        self.request: Any = None
        self.seen: set[int] = set()


class _Reducer(BackwardObserver):
    """Starts each bucket's all-reduce when its gradients are in; finishes them at the end of backward."""

    def __init__(self, comm: MPICommunicator, buckets: list[list[Any]]) -> None:
        self.comm = comm
        self.buckets = [_Bucket(b) for b in buckets]
        self.where = {id(p): (k, i) for k, b in enumerate(self.buckets) for i, p in enumerate(b.params)}
        self.enabled = True
        self.next = 0  # the first bucket not launched in this pass
        self.active = False

    def _launch(self, b: _Bucket) -> None:
        n = len(b.params)
        b.buf[-n:] = 0
        for i, p in enumerate(b.params):
            lo, hi = b.offsets[i], b.offsets[i + 1]
            if id(p) in b.seen and p._grad is not None:
                b.buf[lo:hi] = p._grad._np_read().reshape(-1)
                b.buf[b.offsets[-1] + i] = 1
            else:
                b.buf[lo:hi] = 0
        mpi = self.comm.MPI
        b.request = self.comm.comm.Iallreduce(mpi.IN_PLACE, b.buf, op=mpi.SUM)

    def on_accumulate(self, leaf: Any) -> None:
        if not self.enabled:
            return
        slot = self.where.get(id(leaf))
        if slot is None:
            return
        self.active = True
        b = self.buckets[slot[0]]
        b.seen.add(id(leaf))
        bs = self.buckets
        while self.next < len(bs) and len(bs[self.next].seen) == len(bs[self.next].params):
            self._launch(bs[self.next])
            self.next += 1
        for done in self.buckets[:self.next]:
            done.request.Test()  # MPI progresses the in-flight reductions only inside MPI calls

    def on_end(self) -> None:
        if not self.active:
            return
        while self.next < len(self.buckets):  # parameters some rank did not use this pass
            self._launch(self.buckets[self.next])
            self.next += 1
        p_size = self.comm.size
        with no_grad():
            for k, b in enumerate(self.buckets):
                self.comm.wait(b.request, f"DistributedDataParallel gradient all_reduce (bucket {k} of "
                                          f"{len(self.buckets)}, {b.buf.nbytes} bytes)")
                b.request = None
                counts = b.buf[b.offsets[-1]:]
                for i, p in enumerate(b.params):
                    if counts[i] == 0:  # no rank used it: its .grad stays as it was
                        continue
                    avg = b.buf[b.offsets[i]:b.offsets[i + 1]] / p_size
                    g = TensorBase._fresh(avg.astype(b.dtype, copy=False).reshape(p._shape))
                    if p._grad is None:
                        p.grad = g
                    else:
                        p._grad.copy_(g)
                b.seen.clear()
        self.next = 0
        self.active = False


def _broadcast_inplace(comm: Communicator, tensors: list[Any]) -> None:
    if comm.size == 1:
        return
    with no_grad():
        for t in tensors:
            got = comm.bcast(t._np_read(), 0)
            if comm.rank != 0:
                t.copy_(TensorBase._fresh(np.array(got, copy=True)))


class DistributedDataParallel(Module):
    """Wrap ``module`` so that ``backward()`` leaves the *average over ranks*
    of each parameter's gradient in ``.grad`` (``torch.nn.parallel.
    DistributedDataParallel``).  Build it on every rank after ``init()``;
    rank 0's parameters and buffers are copied to the others.  Feed each rank
    its own shard of the data (:class:`DistributedSampler`).

    ``bucket_cap_mb`` caps the bytes of one bucket (one all-reduce);
    ``broadcast_buffers`` re-sends rank 0's buffers (batch-norm statistics)
    before every forward.  :meth:`no_sync` accumulates gradients locally for
    gradient accumulation; the next synchronised backward averages the sum.
    A parameter no rank used in a pass keeps its ``.grad``; one some rank used
    gets the average (zeros counted for the others), on every rank alike.

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite import distributed as dist, nn
        >>> _ = dist.init()
        >>> ddp = dist.DistributedDataParallel(nn.Linear(2, 2), bucket_cap_mb=1)
        >>> len(ddp.buckets()) >= 1
        True
    """

    def __init__(self, module: Module, *, bucket_cap_mb: float = 25.0, broadcast_buffers: bool = True) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel wraps an nn.Module, got {type(module).__name__}")
        if not bucket_cap_mb > 0:
            raise ValueError(f"bucket_cap_mb must be positive, got {bucket_cap_mb!r}")
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        comm = current()
        seen: set[int] = set()
        params = []
        for p in module.parameters():
            if p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                params.append(p)
        _broadcast_inplace(comm, params + list(module.buffers()))
        cap = bucket_cap_mb * 2**20
        buckets: list[list[Any]] = []
        for p in reversed(params):
            last = buckets[-1] if buckets else None
            nbytes = p.numel() * p.element_size()
            if (last is None or last[0]._dtype is not p._dtype
                    or sum(q.numel() * q.element_size() for q in last) + nbytes > cap):
                buckets.append([p])
            else:
                last.append(p)
        object.__setattr__(self, "_bucket_params", buckets)
        reducer = _Reducer(comm, buckets) if isinstance(comm, MPICommunicator) and comm.size > 1 else None
        object.__setattr__(self, "_reducer", reducer)
        if reducer is not None:
            BACKWARD_OBSERVERS.append(reducer)
            # the hook goes when the wrapper does: a dropped model never joins another backward's all-reduce
            weakref.finalize(self, _unregister, reducer)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        if self.broadcast_buffers:
            bufs = list(self.module.buffers())
            if bufs:
                _broadcast_inplace(current(), bufs)
        return self.module(*args, **kwargs)

    def buckets(self) -> list[list[str]]:
        """The parameter names of each bucket, in launch order."""
        names = {id(p): n for n, p in self.module.named_parameters()}
        return [[names[id(p)] for p in b] for b in self._bucket_params]

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Within this context backward accumulates ``.grad`` locally, with no
        communication (gradient accumulation over several micro-batches)."""
        r = self._reducer
        if r is None:
            yield
            return
        prev, r.enabled = r.enabled, False
        try:
            yield
        finally:
            r.enabled = prev


def _unregister(reducer: _Reducer) -> None:
    if reducer in BACKWARD_OBSERVERS:
        BACKWARD_OBSERVERS.remove(reducer)


class DistributedSampler:
    """The indices of this rank's share of a dataset (``torch.utils.data.
    distributed.DistributedSampler``): the (shuffled, per ``set_epoch``)
    index list is padded by repeating its start to a multiple of the number
    of replicas (or cut, with ``drop_last``), and rank ``r`` takes every
    ``num_replicas``-th index from ``r``.  Every rank gets the same count.

    Example:
        >>> s = DistributedSampler(range(5), num_replicas=2, rank=1, shuffle=False)
        >>> list(s), len(s)
        ([1, 3, 0], 3)
    """

    def __init__(self, dataset: Any, num_replicas: int | None = None, rank: int | None = None, shuffle: bool = True,
                 seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            comm = current()
            num_replicas = comm.size if num_replicas is None else num_replicas
            rank = comm.rank if rank is None else rank
        if num_replicas < 1 or not 0 <= rank < num_replicas:
            raise ValueError(f"DistributedSampler: invalid rank {rank} for {num_replicas} replicas "
                             f"(need 0 <= rank < num_replicas)")
        self.n = len(dataset)
        self.num_replicas = num_replicas
        self.rank = rank
        self.shuffle = shuffle
        self.seed = seed
        self.drop_last = drop_last
        self.epoch = 0
        if drop_last:
            self.num_samples = self.n // num_replicas
        else:
            self.num_samples = math.ceil(self.n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def set_epoch(self, epoch: int) -> None:
        """Reshuffle for ``epoch`` (the same permutation on every rank)."""
        self.epoch = epoch

    def indices(self) -> list[int]:
        """This rank's indices for the current epoch."""
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(self.n)
        else:
            order = np.arange(self.n)
        if self.total_size > self.n:
            if self.n == 0:
                raise ValueError("DistributedSampler: the dataset is empty")
            order = np.resize(order, self.total_size)  # repeats from the start, as torch pads
        order = order[:self.total_size]
        return [int(i) for i in order[self.rank:self.total_size:self.num_replicas]]

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices())

    def __len__(self) -> int:
        return self.num_samples


def save_checkpoint(obj: Any, f: Any) -> None:
    """Save ``obj`` (e.g. ``model.module.state_dict()``) with
    :func:`functorch_lite.save` (the safe format: no pickle) on rank 0 only,
    then wait until it is written: after this call every rank may load it.

    Example:
        >>> import os, tempfile
        >>> import functorch_lite as fl
        >>> from functorch_lite import distributed as dist
        >>> _ = dist.init()
        >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.fl")
        >>> dist.save_checkpoint({"w": fl.ones(2)}, path)
        >>> dist.load_checkpoint(path)["w"].tolist()
        [1.0, 1.0]
    """
    if current().rank == 0:
        serialization.save(obj, f)
    barrier()


def load_checkpoint(f: Any, **limits: Any) -> Any:
    """Load what :func:`save_checkpoint` wrote (every rank reads the file;
    ``limits`` are :func:`functorch_lite.load`'s size limits).

    Example:
        >>> import io
        >>> import functorch_lite as fl
        >>> from functorch_lite import distributed as dist
        >>> b = io.BytesIO(); fl.save([1, 2], b)
        >>> dist.load_checkpoint(b.getvalue())
        [1, 2]
    """
    return serialization.load(f, **limits)


__all__ = ["DistributedDataParallel", "DistributedSampler", "save_checkpoint", "load_checkpoint"]
