"""Data-parallel scaling of the MLP training step over MPI (``functorch_lite.distributed``).

    python benchmarks/bench_distributed.py            # 1 and 2 ranks
    python benchmarks/bench_distributed.py --steps 20

Launches ``mpiexec -n 1`` and ``-n 2`` (the ``mpi`` extra: mpi4py and the
mpich wheel) of this file in worker mode.  Each rank runs the MLP
784-256-256-10 step -- ``jit(data_parallel(value_and_grad(loss)))`` on its
shard of a global batch of 128, then SGD -- and also times a bare
``all_reduce`` of a gradient-sized float32 buffer (the parameters' 269,322
elements, 1.08 MB).  Printed per world size: step time (median), all-reduce
time, bytes each rank sends per step by the ring model (2 (p-1)/p x gradient
bytes) and parallel efficiency ``t1 / (p * tp)`` for the same global batch
(strong scaling).  One thread per rank (OPENBLAS/NUMBA at 1).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

LAYERS = (784, 256, 256, 10)
GLOBAL_BATCH = 128


def worker(steps: int) -> None:
    import numpy as np

    import functorch_lite as fl
    import functorch_lite.numpy as jnp
    from functorch_lite import distributed as dist

    dist.init()
    rank, size = dist.rank(), dist.world_size()
    rng = np.random.default_rng(0)
    params = [(jnp.asarray(0.05 * rng.standard_normal((m, n)).astype(np.float32)), jnp.zeros(n, "float32"))
              for m, n in zip(LAYERS[:-1], LAYERS[1:])]
    x = rng.random((GLOBAL_BATCH, 784)).astype(np.float32)
    y = rng.integers(0, 10, GLOBAL_BATCH)
    per = GLOBAL_BATCH // size
    xs, ys = jnp.asarray(x[rank * per:(rank + 1) * per]), jnp.asarray(y[rank * per:(rank + 1) * per])

    def loss(ps: Any, xb: Any, yb: Any) -> Any:
        h = xb
        for w, b in ps[:-1]:
            h = jnp.maximum(h @ w + b, 0.0)
        logits = h @ ps[-1][0] + ps[-1][1]
        logp = logits - fl.scipy.special.logsumexp(logits, axis=1, keepdims=True)
        return -jnp.mean(jnp.take_along_axis(logp, yb[:, None], axis=1))

    @fl.jit
    def step(ps: Any, xb: Any, yb: Any) -> Any:
        value, grads = dist.data_parallel(fl.value_and_grad(loss))(ps, xb, yb)
        return [(w - 0.01 * gw, b - 0.01 * gb) for (w, b), (gw, gb) in zip(ps, grads)], value

    nparam = sum(int(w.size + b.size) for w, b in params)
    buf = jnp.ones(nparam, "float32")
    for _ in range(3):
        params, _ = step(params, xs, ys)
        dist.all_reduce(buf, "sum")
    times, red = [], []
    for _ in range(steps):
        dist.barrier()
        t = time.perf_counter()
        params, v = step(params, xs, ys)
        float(v)
        times.append(time.perf_counter() - t)
        dist.barrier()
        t = time.perf_counter()
        dist.all_reduce(buf, "sum")
        red.append(time.perf_counter() - t)
    if rank == 0:
        print(json.dumps({"size": size, "step": statistics.median(times), "all_reduce": statistics.median(red),
                          "nparam": nparam}))


def _mpiexec() -> str:
    here = Path(sys.executable).parent / "mpiexec"
    return str(here) if here.exists() else "mpiexec"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--steps", type=int, default=30)
    args = ap.parse_args()
    if args.worker:
        worker(args.steps)
        return
    rows = []
    for n in (1, 2):
        cmd = [_mpiexec(), "-n", str(n), sys.executable, __file__, "--worker", "--steps", str(args.steps)]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if out.returncode != 0:
            print(out.stderr[-2000:])
            raise SystemExit(f"mpiexec -n {n} failed")
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    t1 = rows[0]["step"]
    print("MLP 784-256-256-10, global batch 128, jit(data_parallel(value_and_grad)) + SGD, one thread per rank")
    print("| ranks | step | all_reduce of the gradient (1.08 MB) | bytes sent per rank per step (ring) | efficiency |")
    print("|---|---|---|---|---|")
    for r in rows:
        p = r["size"]
        nbytes = 2 * (p - 1) / p * r["nparam"] * 4
        eff = t1 / (p * r["step"])
        print(f"| {p} | {r['step'] * 1e3:.2f} ms | {r['all_reduce'] * 1e3:.3f} ms | {nbytes / 1e6:.2f} MB "
              f"| {eff:.2f} |")


if __name__ == "__main__":
    main()
