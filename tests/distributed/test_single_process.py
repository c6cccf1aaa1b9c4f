"""functorch_lite.distributed in one process: the world of one rank (MPI's
singleton when mpi4py is installed, else the MPI-free backend), how jit
treats collectives, export's refusal without a communicator, errors, the
sampler and the backward hook DistributedDataParallel rides on.

Several ranks: tests/distributed/test_mpi_jobs.py.  Values, gradients,
vmap and jit of every collective in a world of one: the op registry
(tests/registry/distributed.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import core, nn
from functorch_lite import distributed as dist
from functorch_lite.distributed import _comm
from functorch_lite.stateful import _engine
from functorch_lite.transforms.compiler import optimize
from functorch_lite.transforms.fusion_partition import partition
from functorch_lite.transforms.fusion_schedule import schedule


@pytest.fixture(autouse=True)
def world() -> Iterator[_comm.Communicator]:
    yield dist.init()


@pytest.fixture
def no_world(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process as if init() had not run (restored afterwards)."""
    monkeypatch.setattr(_comm, "_current", None)
    yield


def names(p: Any) -> list[str]:
    return [e.prim.name for e in p.eqns]


# --- jit around collectives ---------------------------------------------------------------------


def test_an_unused_collective_is_kept_and_two_equal_ones_are_not_merged() -> None:
    def f(x: Any) -> Any:
        dist.all_reduce(x)  # unused: every rank must still run it
        return dist.all_reduce(x * 2.0) + dist.all_reduce(x * 2.0)

    p = optimize(fl.make_ir(f)(jnp.ones(3)))
    assert names(p).count("all_reduce") == 3
    assert fl.jit(f)(jnp.ones(3)).tolist() == [4.0 * dist.world_size()] * 3


def test_a_collective_of_a_constant_is_not_folded_at_compile_time() -> None:
    p = optimize(fl.make_ir(lambda x: x + dist.all_reduce(jnp.float32(2.0)))(jnp.ones(2)))
    assert "all_reduce" in names(p)


def test_a_collective_ends_a_fused_kernel_and_runs_between_kernels() -> None:
    p = optimize(fl.make_ir(lambda x: dist.all_reduce(x * 2.0 + 1.0) * 3.0 - 1.0)(jnp.ones(4)))
    groups, group_of = partition(p)
    steps = schedule(p.eqns, groups, group_of)
    kinds = [(k, p.eqns[o].prim.name if k == "eqn" else sorted(p.eqns[i].prim.name for i in o.members))
             for k, o in steps]
    assert kinds == [("group", ["add", "mul"]), ("eqn", "all_reduce"), ("group", ["mul", "sub"])]


def test_effectful_steps_keep_program_order() -> None:
    # the recv does not depend on the send, and the send's producer fuses with later work:
    # ordered by data alone the recv would run first, which deadlocks two ranks that both recv first
    me = dist.rank()

    def f(x: Any) -> Any:
        y = x * 2.0
        dist.send(y, dest=me, tag=21)
        r = dist.recv(x, source=me, tag=21)
        return r, jnp.sin(y) + 1.0

    p = optimize(fl.make_ir(f)(jnp.ones(3)))
    groups, group_of = partition(p)
    order = [p.eqns[o].prim.name for k, o in schedule(p.eqns, groups, group_of) if k == "eqn"]
    assert order.index("send") < order.index("recv")
    got, _ = fl.jit(f)(jnp.arange(3.0))
    assert got.tolist() == [0.0, 2.0, 4.0]


def test_vmap_of_send_recv_moves_whole_batches() -> None:
    me = dist.rank()

    def f(x: Any) -> Any:
        dist.send(x + 1.0, dest=me, tag=22)
        return dist.recv(x, source=me, tag=22)

    xs = jnp.arange(6.0).reshape(2, 3)
    assert fl.vmap(f, in_axes=1)(xs).tolist() == (np.arange(6.0).reshape(2, 3).T + 1).tolist()


# --- export ----------------------------------------------------------------------------------------


def _exported() -> bytes:
    exp = fl.export.export(lambda v: dist.all_reduce(jnp.sin(v), "mean"), fl.ShapeDtypeStruct((3,), "float32"))
    return exp.serialize()


def test_an_exported_collective_loads_and_runs_with_a_communicator() -> None:
    again = fl.export.load(_exported())
    assert "all_reduce[op='mean']" in str(again)
    np.testing.assert_allclose(again(jnp.ones(3, dtype="float32")), np.sin(np.ones(3, np.float32)), rtol=1e-6)


def test_an_exported_collective_refuses_to_load_without_a_communicator(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _exported()
    monkeypatch.setattr(_comm, "_current", None)
    with pytest.raises(fl.export.ExportFormatError, match=r"collective 'all_reduce', which needs an initialised "
                       r"communicator: call functorch_lite.distributed.init\(\)"):
        fl.export.load(data)


def test_a_collective_unknown_to_the_loader_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _exported()
    monkeypatch.delitem(core.PRIMITIVES, "all_reduce")
    with pytest.raises(fl.export.ExportFormatError, match="import functorch_lite.distributed"):
        fl.export.load(data)


# --- errors ---------------------------------------------------------------------------------------


def test_calls_before_init_say_to_call_init(no_world: None) -> None:
    for call in (dist.rank, dist.world_size, dist.barrier, lambda: dist.all_reduce(jnp.ones(2)),
                 lambda: dist.DistributedSampler(range(3))):
        with pytest.raises(dist.DistributedError, match=r"call functorch_lite.distributed.init\(\) first"):
            call()


def test_bad_operands_and_params_are_clear_errors() -> None:
    p = dist.world_size()
    with pytest.raises(ValueError, match=r"op must be one of \['sum', 'mean', 'max', 'min'\], got 'prod'"):
        dist.all_reduce(jnp.ones(2), "prod")
    with pytest.raises(TypeError, match="op 'mean' needs a floating dtype, got i32"):
        dist.all_reduce(jnp.ones(2, dtype="int32"), "mean")
    with pytest.raises(TypeError, match="op 'sum' needs a numeric dtype, got bool"):
        dist.all_reduce(jnp.ones(2, dtype=bool))
    with pytest.raises(ValueError, match=f"must have the world size {p}"):
        dist.reduce_scatter(jnp.ones((p + 1, 2)))
    with pytest.raises(ValueError, match="axis 3 is out of range"):
        dist.all_gather(jnp.ones(2), axis=3)
    with pytest.raises(dist.DistributedError, match=rf"root must be a rank in \[0, {p - 1}\]"):
        dist.broadcast(jnp.ones(2), root=p)
    with pytest.raises(dist.DistributedError, match="dest must be a rank"):
        dist.send(jnp.ones(2), dest=-1)
    with pytest.raises(TypeError, match="for a pytree use psum/pmean"):
        dist.all_reduce({"a": jnp.ones(2)})


def test_a_message_of_the_wrong_size_is_a_clear_error() -> None:
    me = dist.rank()
    dist.send(jnp.ones(3), dest=me, tag=23)
    with pytest.raises(dist.DistributedError, match="send and recv must agree on shape and dtype"):
        dist.recv(jnp.ones(2), source=me, tag=23)


def test_init_without_mpi4py(monkeypatch: pytest.MonkeyPatch, no_world: None) -> None:
    monkeypatch.setattr(_comm, "mpi_available", lambda: False)
    for var in _comm._LAUNCHER_SIZE_VARS:
        monkeypatch.delenv(var, raising=False)
    c = dist.init()
    assert (c.backend, c.rank, c.size) == ("self", 0, 1)
    assert dist.all_gather(jnp.ones(2)).shape == (1, 2)
    with pytest.raises(dist.DistributedError, match="already initialised with backend 'self'"):
        dist.init("mpi")
    with pytest.raises(dist.DistributedError, match="nothing was sent with that tag"):
        dist.recv(jnp.ones(2), source=0, tag=9)
    monkeypatch.setattr(_comm, "_current", None)
    with pytest.raises(ImportError, match=r"needs mpi4py: pip install -e '.\[mpi\]'"):
        dist.init("mpi")
    monkeypatch.setenv("PMI_SIZE", "4")
    with pytest.raises(ImportError, match=r"MPI launcher with 4 processes, but mpi4py is not installed"):
        dist.init()


def test_init_checks_its_arguments(no_world: None, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="backend must be 'auto', 'mpi' or 'self'"):
        dist.init("nccl")
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        dist.init(timeout=0)
    monkeypatch.setenv(_comm.TIMEOUT_ENV, "soon")
    with pytest.raises(dist.DistributedError, match="is not a number of seconds"):
        dist.init()


# --- the PyTorch-style pieces ------------------------------------------------------------------------


def _oracle(n: int, p: int, r: int, drop_last: bool) -> list[int]:
    idx = list(range(n))
    if drop_last:
        idx = idx[: n - n % p]
    else:
        while len(idx) % p:
            idx += idx[: p - len(idx) % p]
    return idx[r::p]


@pytest.mark.parametrize("n", [0, 1, 5, 8])
@pytest.mark.parametrize("drop_last", [False, True])
def test_sampler_shards_like_torch(n: int, drop_last: bool) -> None:
    torch_data = pytest.importorskip("torch.utils.data")
    for p in (1, 2, 3):
        for r in range(p):
            s = dist.DistributedSampler(range(n), num_replicas=p, rank=r, shuffle=False, drop_last=drop_last)
            if n == 0 and not drop_last:
                continue
            want = list(torch_data.DistributedSampler(range(n), num_replicas=p, rank=r, shuffle=False,
                                                      drop_last=drop_last))
            assert list(s) == want == _oracle(n, p, r, drop_last)
            assert len(s) == len(want)


def test_sampler_shuffles_the_same_way_on_every_rank_and_per_epoch() -> None:
    shards = [dist.DistributedSampler(range(10), num_replicas=2, rank=r, seed=4) for r in (0, 1)]
    assert sorted(shards[0].indices() + shards[1].indices()) == list(range(10))
    first = shards[0].indices()
    shards[0].set_epoch(1)
    assert shards[0].indices() != first and sorted(shards[0].indices()) != first
    with pytest.raises(ValueError, match="invalid rank 2 for 2 replicas"):
        dist.DistributedSampler(range(4), num_replicas=2, rank=2)


class _Recorder(_engine.BackwardObserver):
    def __init__(self) -> None:
        self.events: list[Any] = []

    def on_accumulate(self, leaf: Any) -> None:
        self.events.append(("acc", leaf.shape))

    def on_end(self) -> None:
        self.events.append("end")


def test_the_engine_tells_observers_of_each_accumulation_and_the_end() -> None:
    rec = _Recorder()
    _engine.BACKWARD_OBSERVERS.append(rec)
    try:
        w = fl.ones(2, 3, requires_grad=True)
        b = fl.ones(3, requires_grad=True)
        (fl.ones(1, 2) @ w + b).sum().backward()
        fl.autograd.grad((w * 2).sum(), w)  # returns gradients, accumulates nothing: not observed
    finally:
        _engine.BACKWARD_OBSERVERS.remove(rec)
    assert sorted(e for e in rec.events if e != "end") == [("acc", (2, 3)), ("acc", (3,))]
    assert rec.events[-1] == "end" and rec.events.count("end") == 1


def test_ddp_in_a_world_of_one_is_the_module() -> None:
    fl.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    ddp = dist.DistributedDataParallel(net, bucket_cap_mb=30 / 2**20)
    assert [n for b in ddp.buckets() for n in b] == ["2.bias", "2.weight", "0.bias", "0.weight"]
    assert all(len(b) == 1 for b in ddp.buckets())  # 30 bytes: one small tensor each
    x = fl.ones(5, 3)
    ddp(x).sum().backward()
    ref = [p.grad.numpy().copy() for p in net.parameters()]
    for p in net.parameters():
        p.grad = None
    net(x).sum().backward()
    for a, p in zip(ref, net.parameters()):
        np.testing.assert_array_equal(a, p.grad.numpy())
    with ddp.no_sync():
        ddp(x).sum().backward()
    assert list(ddp.state_dict())[0].startswith("module.")
    with pytest.raises(TypeError, match="wraps an nn.Module"):
        dist.DistributedDataParallel(lambda v: v)  # type: ignore[arg-type]


def test_functional_helpers_in_a_world_of_one() -> None:
    params = dist.sync_params({"w": jnp.arange(3.0), "n": jnp.asarray(2)})
    step = dist.data_parallel(lambda prm: (jnp.sum(prm["w"]), prm["n"] + 1))
    value, count = step(params)
    assert float(value) == 3.0 and int(count) == 3
    assert dist.shard(jnp.arange(4.0 * dist.world_size())).shape == (4,)
    out = dist.pmean({"a": jnp.ones(2), "b": jnp.zeros((2, 2)), "c": jnp.float32(1.0)})
    assert out["b"].shape == (2, 2) and out["c"].dtype == np.float32
    with pytest.raises(TypeError, match="op 'mean' needs a floating dtype"):
        dist.pmean(jnp.arange(3))


def test_contiguous_buffers_go_to_mpi_without_a_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    c = dist.init()
    x = jnp.arange(12.0).reshape(3, 4)
    seen: list[Any] = []
    real = c.allreduce

    def spy(buf: Any, op: str) -> Any:
        seen.append(buf)
        return real(buf, op)

    monkeypatch.setattr(c, "allreduce", spy)
    dist.all_reduce(x)
    dist.all_reduce(x.T)
    assert np.shares_memory(seen[0], x._numpy())  # the Array's own storage
    a = np.arange(6.0).reshape(2, 3)
    assert _comm._c(a) is a and not np.shares_memory(_comm._c(a.T), a) and _comm._c(a.T).flags.c_contiguous
    assert _comm._c(np.float32(1.0) * np.ones(())).shape == ()  # 0-d stays 0-d
