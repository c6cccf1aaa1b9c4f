"""The communicator: which process this is, how many there are, and the raw
collectives on NumPy buffers that the primitives' ``impl`` calls.

Two backends share one interface:

- :class:`MPICommunicator` over ``mpi4py`` (the ``mpi`` extra), on a private
  duplicate of ``COMM_WORLD`` so that our messages never match the user's own
  MPI traffic.  Buffers go through mpi4py's buffer protocol (the upper-case
  ``Iallreduce``, ``Iallgather``... methods), never pickled objects: a
  contiguous Array is sent from its own storage without a copy.  Every call
  is nonblocking and polled against a deadline, so a rank that died or never
  reached the same collective makes the job end with a message (``Abort``)
  instead of hanging.
- :class:`SelfCommunicator`: a world of one process and no MPI at all, so the
  same program runs unchanged on a laptop (collectives are identities).

Example:
    >>> from functorch_lite.distributed import _comm
    >>> c = _comm.SelfCommunicator()
    >>> c.rank, c.size, c.allreduce(np.arange(3.0), "mean").tolist()
    (0, 1, [0.0, 1.0, 2.0])
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

#: the reductions a collective may apply
OPS = ("sum", "mean", "max", "min")
#: seconds a collective may wait before the job is aborted (``init(timeout=...)`` overrides)
DEFAULT_TIMEOUT = 300.0
TIMEOUT_ENV = "FUNCTORCH_LITE_DIST_TIMEOUT"
_SPIN_S = 0.0002  # busy polling for this long, then yielding...
_YIELD_S = 0.1  # ...until this long, then sleeping
INSTALL_HINT = "pip install -e '.[mpi]' (mpi4py and an MPI such as the mpich wheel)"

# environment variables MPI launchers set: their world size, when more than one
_LAUNCHER_SIZE_VARS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS", "MV2_COMM_WORLD_SIZE")


class DistributedError(RuntimeError):
    """A distributed call was used wrongly (no communicator, a bad rank,
    a message of the wrong size)."""


def mpi_available() -> bool:
    """Whether ``mpi4py`` is installed (it is not imported, so MPI does not start).

    Example:
        >>> isinstance(mpi_available(), bool)
        True
    """
    return importlib.util.find_spec("mpi4py") is not None


def launched_size() -> int:
    """The number of processes an MPI launcher says this job has (1 when not
    launched by one), read from the environment.

    Example:
        >>> launched_size() >= 1
        True
    """
    for var in _LAUNCHER_SIZE_VARS:
        v = os.environ.get(var, "")
        if v.isdigit() and int(v) > 1:
            return int(v)
    return 1


def _c(x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """x itself when C-contiguous (what MPI reads without a copy), else a C copy;
    unlike ``np.ascontiguousarray`` it keeps 0-d arrays 0-d."""
    return x if x.flags.c_contiguous else np.array(x, order="C", copy=True)


def _load_mpi() -> Any:
    from mpi4py import MPI  # optional: importing it starts MPI, which only init() should do
    return MPI


class Communicator:
    """The interface of a backend: rank, size and collectives on NumPy arrays.

    Inputs are never written; each call returns a new array (or, where no
    data moves, the input itself: arrays handed to it are immutable).
    """

    backend = "none"
    rank = 0
    size = 1
    timeout = DEFAULT_TIMEOUT

    def _result(self, buf: np.ndarray[Any, Any], op: str) -> np.ndarray[Any, Any]:
        """A copy out of the reused receive buffer; "mean" is the sum over ranks divided here."""
        out = buf.copy()
        if op == "mean":
            out /= self.size
        return out

    def allreduce(self, x: np.ndarray[Any, Any], op: str) -> np.ndarray[Any, Any]:
        raise NotImplementedError

    def reduce(self, x: np.ndarray[Any, Any], op: str, root: int) -> np.ndarray[Any, Any]:
        """The reduction on ``root``; zeros of x's shape on the other ranks."""
        raise NotImplementedError

    def allgather(self, x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Every rank's x stacked along a new leading axis of size ``size``."""
        raise NotImplementedError

    def reduce_scatter(self, x: np.ndarray[Any, Any], op: str) -> np.ndarray[Any, Any]:
        """x has a leading axis of size ``size``: rank r gets the reduction of block r."""
        raise NotImplementedError

    def bcast(self, x: np.ndarray[Any, Any], root: int) -> np.ndarray[Any, Any]:
        raise NotImplementedError

    def send(self, x: np.ndarray[Any, Any], dest: int, tag: int) -> None:
        raise NotImplementedError

    def recv(self, shape: tuple[int, ...], dtype: np.dtype[Any], source: int, tag: int) -> np.ndarray[Any, Any]:
        raise NotImplementedError

    def barrier(self) -> None:
        raise NotImplementedError

    def check_peer(self, r: int, what: str) -> None:
        if type(r) is not int or not 0 <= r < self.size:
            raise DistributedError(f"{what} must be a rank in [0, {self.size - 1}] (world size {self.size}), got {r!r}")


class SelfCommunicator(Communicator):
    """A world of one process without MPI: collectives are identities, and a
    message sent to rank 0 waits in a queue for the matching ``recv``.

    Example:
        >>> c = SelfCommunicator()
        >>> c.send(np.ones(2), 0, tag=3); c.recv((2,), np.dtype("float64"), 0, 3).tolist()
        [1.0, 1.0]
    """

    backend = "self"

    def __init__(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout
        self._queue: dict[int, list[np.ndarray[Any, Any]]] = {}

    def allreduce(self, x: np.ndarray[Any, Any], op: str) -> np.ndarray[Any, Any]:
        return x

    def reduce(self, x: np.ndarray[Any, Any], op: str, root: int) -> np.ndarray[Any, Any]:
        return x

    def allgather(self, x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        return x[None]

    def reduce_scatter(self, x: np.ndarray[Any, Any], op: str) -> np.ndarray[Any, Any]:
        out: np.ndarray[Any, Any] = x[0]
        return out

    def bcast(self, x: np.ndarray[Any, Any], root: int) -> np.ndarray[Any, Any]:
        return x

    def send(self, x: np.ndarray[Any, Any], dest: int, tag: int) -> None:
        self._queue.setdefault(tag, []).append(x)

    def recv(self, shape: tuple[int, ...], dtype: np.dtype[Any], source: int, tag: int) -> np.ndarray[Any, Any]:
        q = self._queue.get(tag)
        if not q:
            raise DistributedError(
                f"recv(source=0, tag={tag}) in a world of one process: nothing was sent with that tag, and "
                "no other process can send it (this would wait forever)"
            )
        x = q.pop(0)
        if x.shape != shape or x.dtype != dtype:
            raise DistributedError(f"recv expected {dtype}{list(shape)} but the message holds {x.dtype}{list(x.shape)} "
                                   "(send and recv must agree on shape and dtype)")
        return x

    def barrier(self) -> None:
        pass


class MPICommunicator(Communicator):
    """Collectives over ``mpi4py`` on a duplicate of ``COMM_WORLD``.

    Every operation starts a nonblocking request and polls it (``Test``)
    until it completes or ``timeout`` seconds pass; then the job is aborted
    with a message naming the operation, since the other ranks could never
    finish it.  Polling sleeps a little between tests after a short spin, so
    ranks sharing a core (more ranks than cores) do not starve each other.
    """

    backend = "mpi"

    def __init__(self, mpi: Any, timeout: float) -> None:
        self.MPI = mpi
        self.comm = mpi.COMM_WORLD.Dup()
        self.rank = int(self.comm.Get_rank())
        self.size = int(self.comm.Get_size())
        self.timeout = timeout
        self._ops = {"sum": mpi.SUM, "mean": mpi.SUM, "max": mpi.MAX, "min": mpi.MIN}
        # bool buffers take the logical reductions (MPI defines no MAX/MIN on them)
        self._bool_ops = {"max": mpi.LOR, "min": mpi.LAND}
        # sends complete in the background (the Array they read is immutable):
        # (request, buffer kept alive, description)
        self._pending: list[tuple[Any, np.ndarray[Any, Any], str]] = []
        self._scratch: dict[tuple[tuple[int, ...], np.dtype[Any]], np.ndarray[Any, Any]] = {}

    def scratch(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> np.ndarray[Any, Any]:
        """A receive buffer kept for reuse.  Receiving into a fresh allocation each
        time made MPICH's large all-reduces 5-50x slower here (1 MB: 16 ms vs 0.3 ms),
        so results land in a reused buffer and are copied out (0.1 ms per MB)."""
        key = (shape, np.dtype(dtype))
        buf = self._scratch.get(key)
        if buf is None:
            if len(self._scratch) >= 16:
                self._scratch.clear()
            buf = self._scratch[key] = np.empty(shape, dtype)
        return buf

    def _op(self, op: str, dtype: np.dtype[Any]) -> Any:
        if dtype == np.bool_:
            return self._bool_ops[op]
        return self._ops[op]

    def wait(self, req: Any, what: str, status: Any = None) -> None:
        """Poll ``req`` until it completes, or abort the job after ``timeout`` s."""
        if req.Test(status):
            return
        start = time.monotonic()
        deadline = start + self.timeout
        nap = 0.0
        while not req.Test(status):
            now = time.monotonic()
            waited = now - start
            # MPI progresses a nonblocking collective only inside MPI calls, so poll hard at
            # first (a multi-round reduction needs many Tests); a longer wait yields the core
            # (ranks sharing one), then sleeps up to 1 ms between polls
            if waited > _SPIN_S:
                if waited > _YIELD_S:
                    nap = min(1e-3, nap * 1.5 + 1e-5)
                time.sleep(nap)
            if now > deadline:
                self.abort(f"{what} did not complete within {self.timeout:g} s: another rank failed, exited, or "
                           "is not calling the same collective (with the same shapes) in the same order")
        self._reap()

    def _reap(self) -> None:
        if self._pending:
            self._pending = [p for p in self._pending if not p[0].Test()]

    def abort(self, why: str) -> None:
        sys.stderr.write(f"functorch_lite.distributed: rank {self.rank} of {self.size}: {why}; aborting the job\n")
        sys.stderr.flush()
        self.comm.Abort(1)

    def flush(self) -> None:
        """Wait for every send still in flight."""
        while self._pending:
            req, _, what = self._pending[0]
            self.wait(req, what)
            self._pending = [p for p in self._pending if p[0] is not req]

    def allreduce(self, x: np.ndarray[Any, Any], op: str) -> np.ndarray[Any, Any]:
        x = _c(x)
        buf = self.scratch(x.shape, x.dtype)
        self.wait(self.comm.Iallreduce(x, buf, op=self._op(op, x.dtype)),
                  f"all_reduce({op}) of {x.dtype}{list(x.shape)}")
        return self._result(buf, op)

    def reduce(self, x: np.ndarray[Any, Any], op: str, root: int) -> np.ndarray[Any, Any]:
        x = _c(x)
        buf = self.scratch(x.shape, x.dtype) if self.rank == root else None
        self.wait(self.comm.Ireduce(x, buf, op=self._op(op, x.dtype), root=root),
                  f"reduce({op}, root={root}) of {x.dtype}{list(x.shape)}")
        if buf is None:
            return np.zeros_like(x)
        return self._result(buf, op)

    def allgather(self, x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        x = _c(x)
        buf = self.scratch((self.size,) + x.shape, x.dtype)
        self.wait(self.comm.Iallgather(x, buf), f"all_gather of {x.dtype}{list(x.shape)}")
        return buf.copy()

    def reduce_scatter(self, x: np.ndarray[Any, Any], op: str) -> np.ndarray[Any, Any]:
        x = _c(x)
        buf = self.scratch(x.shape[1:], x.dtype)
        self.wait(self.comm.Ireduce_scatter_block(x, buf, op=self._op(op, x.dtype)),
                  f"reduce_scatter({op}) of {x.dtype}{list(x.shape)}")
        return self._result(buf, op)

    def bcast(self, x: np.ndarray[Any, Any], root: int) -> np.ndarray[Any, Any]:
        buf = self.scratch(x.shape, x.dtype)
        if self.rank == root:
            np.copyto(buf, x)
        self.wait(self.comm.Ibcast(buf, root=root), f"broadcast(root={root}) of {x.dtype}{list(x.shape)}")
        return x if self.rank == root else buf.copy()

    def send(self, x: np.ndarray[Any, Any], dest: int, tag: int) -> None:
        x = _c(x)
        req = self.comm.Isend(x, dest=dest, tag=tag)
        self._pending.append((req, x, f"send to rank {dest} (tag {tag}) of {x.dtype}{list(x.shape)}"))
        self._reap()

    def recv(self, shape: tuple[int, ...], dtype: np.dtype[Any], source: int, tag: int) -> np.ndarray[Any, Any]:
        buf = self.scratch(shape, dtype)
        status = self.MPI.Status()
        what = f"recv from rank {source} (tag {tag}) of {dtype}{list(shape)}"
        try:
            self.wait(self.comm.Irecv(buf, source=source, tag=tag), what, status)
        except self.MPI.Exception as e:
            raise DistributedError(f"{what} failed: {e} (the message is larger than the receiving array? "
                                   "send and recv must agree on shape and dtype)") from None
        got = status.Get_count(self.MPI.BYTE)
        if got != buf.nbytes:
            raise DistributedError(f"{what}: the message holds {got} bytes, the receiving array {buf.nbytes} "
                                   "(send and recv must agree on shape and dtype)")
        return buf.copy()

    def barrier(self) -> None:
        self.flush()
        self.wait(self.comm.Ibarrier(), "barrier")


_current: Communicator | None = None


def current() -> Communicator:
    """The communicator of this process, or a clear error before ``init()``.

    Example:
        >>> from functorch_lite import distributed as dist
        >>> dist.init().size >= 1
        True
        >>> current() is dist.init()
        True
    """
    if _current is None:
        raise DistributedError(
            "functorch_lite.distributed is not initialised in this process: call "
            "functorch_lite.distributed.init() first (in every process of the job)"
        )
    return _current


def is_initialized() -> bool:
    """Whether :func:`init` has run in this process.

    Example:
        >>> isinstance(is_initialized(), bool)
        True
    """
    return _current is not None


def _timeout_from_env() -> float:
    v = os.environ.get(TIMEOUT_ENV)
    if v is None:
        return DEFAULT_TIMEOUT
    try:
        t = float(v)
    except ValueError:
        raise DistributedError(f"{TIMEOUT_ENV}={v!r} is not a number of seconds") from None
    if not t > 0:
        raise DistributedError(f"{TIMEOUT_ENV} must be a positive number of seconds, got {v!r}")
    return t


def _abort_on_uncaught(comm: MPICommunicator) -> None:
    """A failure on one rank ends the job: an uncaught exception prints its
    traceback, then aborts every rank (as ``python -m mpi4py`` does), so the
    others do not wait for it until their timeout."""
    previous: Callable[..., Any] = sys.excepthook

    def hook(tp: type[BaseException], value: BaseException, tb: Any) -> None:
        traceback.print_exception(tp, value, tb)
        comm.abort(f"uncaught {tp.__name__}")
        previous(tp, value, tb)

    sys.excepthook = hook


def init(backend: str = "auto", *, timeout: float | None = None, abort_on_exception: bool = True) -> Communicator:
    """Start the communicator of this process (idempotent: later calls return it).

    ``backend``: ``"mpi"`` (needs mpi4py), ``"self"`` (one process, no MPI)
    or ``"auto"``: MPI when mpi4py is installed, else a world of one process
    -- unless an MPI launcher started several processes, in which case it
    raises instead of letting each one train alone.  ``timeout`` (seconds,
    default ``$FUNCTORCH_LITE_DIST_TIMEOUT`` or 300) bounds every collective.
    With several processes and ``abort_on_exception``, an uncaught exception
    on any rank aborts the whole job.

    Example:
        >>> from functorch_lite import distributed as dist
        >>> c = dist.init()
        >>> (c.rank, c.size) == (dist.rank(), dist.world_size())
        True
    """
    global _current
    if _current is not None:
        if backend not in ("auto", _current.backend):
            raise DistributedError(f"init(backend={backend!r}): already initialised with backend "
                                   f"{_current.backend!r} in this process")
        return _current
    if backend not in ("auto", "mpi", "self"):
        raise ValueError(f"init: backend must be 'auto', 'mpi' or 'self', got {backend!r}")
    t = _timeout_from_env() if timeout is None else float(timeout)
    if not t > 0:
        raise ValueError(f"init: timeout must be a positive number of seconds, got {timeout!r}")
    if backend == "auto":
        if mpi_available():
            backend = "mpi"
        elif launched_size() > 1:
            raise ImportError(
                f"this process was started by an MPI launcher with {launched_size()} processes, but mpi4py is not "
                f"installed, so they cannot communicate (each would train alone); install it: {INSTALL_HINT}"
            )
        else:
            backend = "self"
    if backend == "self":
        if launched_size() > 1:
            raise DistributedError(f"init(backend='self') in a job of {launched_size()} MPI processes: "
                                   "use backend='mpi' (or 'auto')")
        _current = SelfCommunicator(t)
        return _current
    if not mpi_available():
        raise ImportError(f"functorch_lite.distributed with backend='mpi' needs mpi4py: {INSTALL_HINT}")
    mpi = _load_mpi()
    if not mpi.Is_initialized():
        mpi.Init_thread()
    comm = MPICommunicator(mpi, t)
    if comm.size > 1 and abort_on_exception:
        _abort_on_uncaught(comm)
    atexit.register(_finish, comm)
    _current = comm
    return comm


def _finish(comm: MPICommunicator) -> None:
    # sends still in flight complete before MPI finalises at exit; one that no rank will ever
    # receive (its receiver failed) must not hold the exit for the whole timeout
    if comm.MPI.Is_finalized():
        return
    deadline = time.monotonic() + min(comm.timeout, 10.0)
    while comm._pending and time.monotonic() < deadline:
        comm._reap()
        time.sleep(1e-3)
    if comm._pending:
        sys.stderr.write(f"functorch_lite.distributed: rank {comm.rank}: {len(comm._pending)} send(s) never received "
                         f"at exit (first: {comm._pending[0][2]}); cancelled\n")
        for req, _, _ in comm._pending:
            req.Cancel()
        comm._pending = []


def rank() -> int:
    """This process's rank, ``0 <= rank() < world_size()``.

    Example:
        >>> from functorch_lite import distributed as dist
        >>> _ = dist.init()
        >>> 0 <= dist.rank() < dist.world_size()
        True
    """
    return current().rank


def world_size() -> int:
    """The number of processes in the job.

    Example:
        >>> from functorch_lite import distributed as dist
        >>> _ = dist.init()
        >>> dist.world_size() >= 1
        True
    """
    return current().size


def barrier() -> None:
    """Wait until every process reaches this call (and every send of this
    process has completed).

    Example:
        >>> from functorch_lite import distributed as dist
        >>> _ = dist.init()
        >>> dist.barrier()
    """
    current().barrier()


__all__ = [
    "OPS", "DEFAULT_TIMEOUT", "TIMEOUT_ENV", "DistributedError", "Communicator", "SelfCommunicator",
    "MPICommunicator", "current", "is_initialized", "init", "rank", "world_size", "barrier", "mpi_available",
    "launched_size",
]
