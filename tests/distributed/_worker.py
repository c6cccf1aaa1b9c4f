"""One rank of a multi-process test job: ``mpiexec -n P python -m tests.distributed._worker MODE``.

``checks``: every collective's values, gradients (reverse and forward mode),
vmap and jit against NumPy references built from every rank's inputs (each
rank can rebuild them all: they are seeded by rank), send/recv around a
ring, an exported program, and both styles of data-parallel training
against a single-process full-batch reference, with the parameters compared
across ranks after every step.  A failed check raises; the uncaught
exception aborts the whole job (``init``'s excepthook), so the launcher sees
a nonzero exit and the message.

``raise``: rank 1 raises before a collective; the job must end at once.
``hang``: rank 1 skips a collective and stays alive; rank 0's collective
must time out and abort the job with a message.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from typing import Any

import numpy as np

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import distributed as dist
from functorch_lite import dtypes, nn

dtypes.set_x64(True)


def close(got: Any, want: Any, what: str, tol: float = 1e-10) -> None:
    g, w = np.asarray(got), np.asarray(want)
    if g.shape != w.shape or not np.allclose(g, w, rtol=tol, atol=tol):
        raise AssertionError(f"rank {dist.rank()}: {what}: got {g.tolist()} (shape {g.shape}), "
                             f"want {w.tolist()} (shape {w.shape})")


def inputs(r: int, shape: tuple[int, ...], salt: int = 0) -> np.ndarray[Any, Any]:
    return np.random.default_rng(1000 * salt + r).standard_normal(shape)


def check_collectives(p: int, me: int) -> None:
    shape = (3, 2)
    xs = [inputs(r, shape) for r in range(p)]
    ws = [inputs(r, shape, 1) for r in range(p)]
    x, w = jnp.asarray(xs[me]), jnp.asarray(ws[me])
    total = sum(xs)
    wsum = sum(ws)

    # values, eager and jitted
    for op, want in (("sum", total), ("mean", total / p), ("max", np.max(xs, 0)), ("min", np.min(xs, 0))):
        close(dist.all_reduce(x, op), want, f"all_reduce {op}")
        close(fl.jit(lambda v, op=op: dist.all_reduce(v * 1.0, op) + 0.0)(x), want, f"jit all_reduce {op}")
    close(dist.all_reduce(jnp.asarray(np.arange(4) + me), "sum"), sum(np.arange(4) + r for r in range(p)), "int sum")
    close(dist.reduce(x, root=p - 1), total if me == p - 1 else np.zeros(shape), "reduce")
    close(dist.broadcast(x, root=1), xs[1], "broadcast")
    close(dist.all_gather(x), np.stack(xs), "all_gather")
    close(dist.all_gather(x, axis=1, tiled=True), np.concatenate(xs, 1), "all_gather tiled axis 1")
    blocks = [inputs(r, (p, 2), 2) for r in range(p)]
    close(dist.reduce_scatter(jnp.asarray(blocks[me])), np.sum(blocks, axis=0)[me], "reduce_scatter")
    tall = [inputs(r, (2, 2 * p), 3) for r in range(p)]
    close(dist.reduce_scatter(jnp.asarray(tall[me]), "mean", scatter_dimension=1, tiled=True),
          (np.sum(tall, axis=0) / p)[:, 2 * me:2 * me + 2], "reduce_scatter mean tiled axis 1")
    close(dist.psum({"a": x, "b": jnp.asarray(me * 1.0)})["b"], sum(range(p)), "psum pytree")

    # gradients: the objective is the sum over ranks of each rank's term (the SPMD convention)
    g = fl.grad(lambda v: jnp.sum(w * jnp.sin(dist.all_reduce(v))))(x)
    close(g, sum(ws[r] * np.cos(total) for r in range(p)), "grad all_reduce sum")
    g = fl.jit(fl.grad(lambda v: jnp.sum(w * dist.all_reduce(v, "mean"))))(x)
    close(g, wsum / p, "jit grad all_reduce mean")
    g = fl.grad(lambda v: jnp.sum(w * dist.all_reduce(v, "max")))(x)
    close(g, np.where(np.argmax(xs, 0) == me, wsum, 0.0), "grad all_reduce max")
    _, t = fl.jvp(lambda v: dist.all_reduce(v, "min"), (x,), (w,))
    close(t, np.choose(np.argmin(xs, 0), ws), "jvp all_reduce min")
    _, t = fl.jvp(lambda v: dist.all_gather(v), (x,), (w,))
    close(t, np.stack(ws), "jvp all_gather")
    big_w = [inputs(r, (p,) + shape, 4) for r in range(p)]
    g = fl.grad(lambda v: jnp.sum(jnp.asarray(big_w[me]) * dist.all_gather(v)))(x)
    close(g, sum(bw[me] for bw in big_w), "grad all_gather (a reduce_scatter)")
    g = fl.grad(lambda v: jnp.sum(w[0] * dist.reduce_scatter(v)))(jnp.asarray(blocks[me]))
    close(g, np.stack([ws[r][0] for r in range(p)]), "grad reduce_scatter (an all_gather)")
    g = fl.grad(lambda v: jnp.sum(w * dist.broadcast(v, root=0)))(x)
    close(g, wsum if me == 0 else np.zeros(shape), "grad broadcast (a reduce)")
    g = fl.grad(lambda v: jnp.sum(w * dist.reduce(v, root=0)))(x)
    close(g, ws[0], "grad reduce (a broadcast)")
    gg = fl.grad(lambda v: jnp.sum(fl.grad(lambda u: jnp.sum(dist.all_reduce(u) ** 3))(v)))(x)
    close(gg, 6.0 * p * p * total, "second order through all_reduce")

    # vmap over a local axis: the ranks stay the ranks
    xb = [inputs(r, (4,) + shape, 5) for r in range(p)]
    close(fl.vmap(dist.all_reduce)(jnp.asarray(xb[me])), sum(xb), "vmap all_reduce")
    close(fl.vmap(lambda v: dist.all_gather(v), in_axes=1)(jnp.asarray(xb[me])),
          np.stack([np.moveaxis(np.stack(xb), 2, 0)[j] for j in range(shape[0])]), "vmap all_gather in_axes=1")
    close(fl.jit(fl.vmap(fl.grad(lambda v: jnp.sum(jnp.sin(dist.all_reduce(v))))))(jnp.asarray(xb[me])),
          p * np.cos(sum(xb)), "jit vmap grad all_reduce")

    # send/recv around a ring (every rank sends first: sends never block)
    right, left = (me + 1) % p, (me - 1) % p
    dist.send(x, dest=right, tag=5)
    close(dist.recv(x, source=left, tag=5), xs[left], "ring send/recv")
    def ring_step(v: Any) -> Any:
        dist.send(v * 2.0, right, 6)
        return dist.recv(v, left, 6)

    ring = fl.jit(ring_step)
    close(ring(x), 2.0 * xs[left], "jit ring send/recv")

    # an exported program with a collective loads and runs on every rank
    exp = fl.export.export(lambda v: dist.all_reduce(jnp.sin(v)), fl.ShapeDtypeStruct(shape, "float64"))
    close(fl.export.load(exp.serialize())(x), sum(np.sin(xs)), "exported all_reduce")

    # a jitted collective whose result is unused still runs on every rank (effectful):
    # were it dropped here but not on a rank that uses it, that rank would wait forever
    f = fl.jit(lambda v: (dist.all_reduce(v), v + 1.0)[1] if me % 2 else dist.all_reduce(v) + 1.0)
    f(x)
    dist.barrier()


def _mlp(seed: int) -> nn.Module:
    fl.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 1)).double()


def gathered_equal(arrays: list[Any], what: str) -> None:
    flat = np.concatenate([np.asarray(a, np.float64).reshape(-1) for a in arrays])
    every = np.asarray(dist.all_gather(jnp.asarray(flat)))
    for r in range(every.shape[0]):
        if not np.array_equal(every[r], every[0]):
            raise AssertionError(f"{what}: rank {r}'s parameters differ from rank 0's")


def check_ddp(p: int, me: int) -> None:
    n = 4 * p
    X = inputs(0, (n, 3), 7)
    Y = inputs(0, (n, 1), 8)
    model: Any = dist.DistributedDataParallel(_mlp(seed=me), bucket_cap_mb=60 / 2**20)  # ~60 bytes: several buckets
    if len(model.buckets()) < 3:
        raise AssertionError(f"expected several buckets, got {model.buckets()}")
    # overlap: every bucket's all-reduce starts during backward, before the pass ends
    reducer = model._reducer
    started: list[int] = []
    finish = reducer.on_end

    def spy_end() -> None:
        if reducer.active:  # other models' backward passes (the reference's) end here too
            started.append(reducer.next)
        finish()

    reducer.on_end = spy_end
    ref = _mlp(seed=99)
    ref.load_state_dict(model.module.state_dict())
    opt = fl.optim.SGD(model.parameters(), lr=0.1)
    ref_opt = fl.optim.SGD(ref.parameters(), lr=0.1)
    sampler = dist.DistributedSampler(range(n), shuffle=True, seed=3)
    for epoch in range(3):
        sampler.set_epoch(epoch)
        idx = sampler.indices()
        every = np.asarray(dist.all_gather(jnp.asarray(np.array(idx))))
        if sorted(every.reshape(-1).tolist()) != list(range(n)):
            raise AssertionError(f"DistributedSampler shards do not partition the dataset: {every.tolist()}")
        opt.zero_grad()
        loss = ((model(fl.tensor(X[idx])) - fl.tensor(Y[idx])) ** 2).mean()
        loss.backward()
        ref_opt.zero_grad()
        ((ref(fl.tensor(X)) - fl.tensor(Y)) ** 2).mean().backward()
        for (name, a), b in zip(model.module.named_parameters(), ref.parameters()):
            close(a.grad.numpy(), b.grad.numpy(), f"DDP averaged grad of {name}, epoch {epoch}", 1e-12)
        if started != [len(model.buckets())] * (epoch + 1):
            raise AssertionError(f"buckets started before the end of backward: {started}")
        opt.step()
        ref_opt.step()
        gathered_equal([q.detach().numpy() for q in model.parameters()], f"DDP after step {epoch}")
    # no_sync: local accumulation, then one synchronised backward averages the sum
    opt.zero_grad()
    idx = sampler.indices()
    with model.no_sync():
        ((model(fl.tensor(X[idx])) - fl.tensor(Y[idx])) ** 2).mean().backward()
    local = model.module[0].weight.grad.numpy().copy()
    ((model(fl.tensor(X[idx])) - fl.tensor(Y[idx])) ** 2).mean().backward()
    close(model.module[0].weight.grad.numpy(), np.asarray(dist.all_reduce(jnp.asarray(2 * local), "mean")),
          "no_sync then sync")
    check_unused_parameters(p, me)
    # rank-0 checkpoint, read back on every rank
    # one directory for every rank: the launcher's, else the one of this job's process tree
    path = os.path.join(os.environ.get("FL_TEST_TMP") or tempfile.gettempdir(), f"fl_ckpt_{os.getppid()}.fl")
    dist.save_checkpoint(model.module.state_dict(), path)
    state = dist.load_checkpoint(path)
    for k, v in model.module.state_dict().items():
        close(state[k].numpy(), v.numpy(), f"checkpoint {k}")


class _Heads(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(3, 1).double()
        self.b = nn.Linear(3, 1).double()
        self.never = nn.Linear(3, 1).double()

    def forward(self, x: Any, use_b: bool) -> Any:
        return self.a(x) + self.b(x) if use_b else self.a(x)


def check_unused_parameters(p: int, me: int) -> None:
    # b is used on rank 0 only, never by nobody: b's .grad is the average with zeros for the
    # other ranks, on every rank alike; never's stays None
    fl.manual_seed(me)
    model: Any = dist.DistributedDataParallel(_Heads(), bucket_cap_mb=40 / 2**20)
    x = fl.tensor(inputs(me, (4, 3), 10))
    model(x, use_b=me == 0).sum().backward()
    heads = model.module
    gb = x.numpy().sum(0)  # d/dw of sum(x @ w.T + c), on the rank that uses b
    xs_sum = sum(inputs(r, (4, 3), 10).sum(0) for r in range(p))
    close(heads.a.weight.grad.numpy(), (xs_sum / p)[None], "DDP grad of a parameter every rank uses")
    close(heads.b.weight.grad.numpy(), (np.asarray(dist.broadcast(jnp.asarray(gb), 0)) / p)[None],
          "DDP grad of a parameter rank 0 alone uses")
    close(heads.b.bias.grad.numpy(), [4.0 / p], "DDP grad of a bias rank 0 alone uses")
    if heads.never.weight.grad is not None:
        raise AssertionError("a parameter no rank used got a .grad")


def check_functional(p: int, me: int) -> None:
    n = 4 * p
    X = jnp.asarray(inputs(0, (n, 3), 7))
    Y = jnp.asarray(inputs(0, (n,), 8))
    params = dist.sync_params({"w": jnp.asarray(inputs(me, (3,), 9)), "b": jnp.asarray(float(me))})

    def loss(prm: Any, x: Any, y: Any) -> Any:
        return jnp.mean((jnp.tanh(x @ prm["w"]) + prm["b"] - y) ** 2)

    step = fl.jit(dist.data_parallel(fl.value_and_grad(loss)))
    ref_params = params
    for i in range(3):
        value, grads = step(params, dist.shard(X), dist.shard(Y))
        ref_value, ref_grads = fl.value_and_grad(loss)(ref_params, X, Y)
        close(value, ref_value, f"data_parallel loss, step {i}", 1e-12)
        for k in grads:
            close(grads[k], ref_grads[k], f"data_parallel grad {k}, step {i}", 1e-12)
        params = fl.tree.map(lambda a, g: a - 0.1 * g, params, grads)
        ref_params = fl.tree.map(lambda a, g: a - 0.1 * g, ref_params, ref_grads)
        gathered_equal([params["w"], params["b"]], f"data_parallel after step {i}")


def main() -> None:
    mode = sys.argv[1]
    dist.init(timeout=float(os.environ.get("FL_TEST_TIMEOUT", "60")))
    p, me = dist.world_size(), dist.rank()
    if mode == "checks":
        t0 = time.perf_counter()
        check_collectives(p, me)
        check_ddp(p, me)
        check_functional(p, me)
        dist.barrier()
        print(f"rank {me} of {p}: all checks passed in {time.perf_counter() - t0:.1f} s", flush=True)
    elif mode == "raise":
        if me == 1:
            raise RuntimeError("deliberate failure on rank 1")
        dist.all_reduce(jnp.ones(3))
        print("rank 0 finished a collective that rank 1 never joined", flush=True)
    elif mode == "hang":
        if me == 1:
            time.sleep(30)  # alive, but never joins: only rank 0's timeout can end the job
        dist.all_reduce(jnp.ones(3))
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()
