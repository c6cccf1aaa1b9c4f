"""A second harness for the MNIST row of RESULTS.md: whole epochs, alternated.

    python benchmarks/bench_mnist_alternating.py            # 6 epochs of 200 steps per library
    python benchmarks/bench_mnist_alternating.py --epochs 2 --steps 50

Independent of ``bench_mnist.py``'s interleaving harness: each library runs
a whole epoch of ``--steps`` updates in turn (the order alternating from one
epoch to the next), and each batch is sliced from the float64 NumPy data and
converted inside the loop, as JAX's example does.  The model and update are
``bench_mnist.py``'s.  Prints the median epoch time of each library, their
ratio (the issue's target: <= 1.0) and the ratio of every epoch pair.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import _one_cpu  # noqa: F401  (first: one thread per library, on one CPU)
import numpy as np
from _harness import load_peers, machine_info
from bench_mnist import BATCH, _init, _program

import functorch_lite as fl
import functorch_lite.numpy as fjnp


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--steps", type=int, default=200)
    args = ap.parse_args()
    rng = np.random.default_rng(42)
    n = args.steps * BATCH
    images = rng.random((n, 784))
    targets = np.eye(10)[rng.integers(0, 10, n)]
    libs: dict[str, tuple[Any, Any, Any]] = {"functorch_lite": (fl, fjnp, fl.scipy.special.logsumexp)}
    peers = load_peers(single_thread=True)
    if peers.jax is not None:
        from jax.scipy.special import logsumexp as jax_logsumexp

        libs["jax"] = (peers.jax, peers.jnp, jax_logsumexp)
    state: dict[str, list[Any]] = {}
    for name, (jax, jnp, lse) in libs.items():
        update, _ = _program(jax, jnp, lse)
        params = update(_init(jnp, np.random.default_rng(1)), (jnp.asarray(images[:BATCH]),
                                                               jnp.asarray(targets[:BATCH])))
        state[name] = [update, params, jnp]
    times: dict[str, list[float]] = {name: [] for name in libs}
    names = list(libs)
    for e in range(args.epochs):
        order = np.random.default_rng(e).permutation(n)
        for name in names if e % 2 == 0 else names[::-1]:
            update, params, jnp = state[name]
            t0 = time.perf_counter()
            for i in range(args.steps):
                idx = order[i * BATCH:(i + 1) * BATCH]
                params = update(params, (jnp.asarray(images[idx]), jnp.asarray(targets[idx])))
            w = params[0][0]
            if hasattr(w, "block_until_ready"):
                w.block_until_ready()
            times[name].append(time.perf_counter() - t0)
            state[name][1] = params
    print(f"MNIST epochs of {args.steps} steps, alternated; machine: {machine_info()}")
    ours = float(np.median(times["functorch_lite"]))
    line = f"functorch_lite {ours:.3f} s"
    if "jax" in times:
        theirs = float(np.median(times["jax"]))
        pairs = [round(a / b, 3) for a, b in zip(times["functorch_lite"], times["jax"])]
        line += f"   jax.jit {theirs:.3f} s   ratio {ours / theirs:.3f}x   per epoch {pairs}"
    print(line)


if __name__ == "__main__":
    main()
