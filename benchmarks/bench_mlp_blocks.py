"""A second harness for the MLP training-step ratios of ``bench_transforms.py``.

    python benchmarks/bench_mlp_blocks.py              # 25 rounds of 40-call blocks
    python benchmarks/bench_mlp_blocks.py --rounds 9   # quicker

``bench_transforms.py`` times ~20 ms samples of each case with settle sleeps
between them (``_harness.interleaved``).  This script times differently, so
that a ratio recorded in RESULTS.md is not an artefact of one harness: each
round runs a block of ``--calls`` back-to-back calls of every implementation,
in an order rotated every round, with no pause and no garbage collection
between blocks; a block's time is its mean per call, and each case's time is
the median over rounds.  Every step is the one of ``bench_transforms.py``
(MLP 784-256-256-10, batch 128, float32; one thread per library).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import _one_cpu  # noqa: F401  (first: one thread per library, on one CPU)
import numpy as np
from _harness import load_peers
from bench_transforms import (
    fl_loss,
    fl_loss_int,
    fl_sgd_step,
    make_mlp,
    mlp_logits,
    np_sgd_step,
    np_value_and_grad,
)

import functorch_lite as fl
import functorch_lite.numpy as jnp


def cases() -> dict[str, Callable[[], Any]]:
    """Every implementation's step, ready to call (compiled by a first call)."""
    params_np, x_np, y_np = make_mlp()
    labels_np = np.argmax(y_np, axis=1)
    params = [jnp.array(p) for p in params_np]
    x, y, labels = jnp.array(x_np), jnp.array(y_np), jnp.array(labels_np)
    jvg, jvg_int = fl.jit(fl.value_and_grad(fl_loss)), fl.jit(fl.value_and_grad(fl_loss_int))
    jstep = fl.jit(fl_sgd_step)
    out: dict[str, Callable[[], Any]] = {
        "fl jit(value_and_grad)": lambda: jvg(params, x, y),
        "fl jit(value_and_grad) int labels": lambda: jvg_int(params, x, labels),
        "fl jit(sgd step)": lambda: jstep(params, x, y),
        "NumPy value_and_grad": lambda: np_value_and_grad(params_np, x_np, y_np),
        "NumPy sgd step": lambda: np_sgd_step(params_np, x_np, y_np),
    }
    peers = load_peers(single_thread=True)
    if peers.jax is not None:
        jax, xp = peers.jax, peers.jnp

        def loss(ps: list[Any], xx: Any, yy: Any) -> Any:
            return -xp.mean(xp.sum(yy * jax.nn.log_softmax(mlp_logits(xp, ps, xx)), axis=-1))

        def loss_int(ps: list[Any], xx: Any, yy: Any) -> Any:
            logp = jax.nn.log_softmax(mlp_logits(xp, ps, xx))
            return -xp.mean(xp.take_along_axis(logp, yy[:, None], axis=1))

        @jax.jit
        def step(ps: list[Any], xx: Any, yy: Any) -> list[Any]:
            grads = jax.grad(loss)(ps, xx, yy)
            return [q - 0.1 * g for q, g in zip(ps, grads)]

        jp = [xp.asarray(p) for p in params_np]
        jx, jy, jl = xp.asarray(x_np), xp.asarray(y_np), xp.asarray(labels_np)
        vg, vg_int = jax.jit(jax.value_and_grad(loss)), jax.jit(jax.value_and_grad(loss_int))
        out["JAX jit(value_and_grad)"] = lambda: jax.block_until_ready(vg(jp, jx, jy))
        out["JAX jit(value_and_grad) int labels"] = lambda: jax.block_until_ready(vg_int(jp, jx, jl))
        out["JAX jit(sgd step)"] = lambda: jax.block_until_ready(step(jp, jx, jy))
    for f in out.values():
        f()
    return out


RATIOS = [
    ("jit(value_and_grad) / NumPy", "fl jit(value_and_grad)", "NumPy value_and_grad"),
    ("jit(value_and_grad), int labels / NumPy", "fl jit(value_and_grad) int labels", "NumPy value_and_grad"),
    ("jit(sgd step) / NumPy step", "fl jit(sgd step)", "NumPy sgd step"),
    ("jit(value_and_grad) / JAX", "fl jit(value_and_grad)", "JAX jit(value_and_grad)"),
    ("jit(value_and_grad), int labels / JAX", "fl jit(value_and_grad) int labels",
     "JAX jit(value_and_grad) int labels"),
    ("jit(sgd step) / JAX", "fl jit(sgd step)", "JAX jit(sgd step)"),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=25)
    ap.add_argument("--calls", type=int, default=40, help="back-to-back calls per block")
    args = ap.parse_args()
    fns = cases()
    names = list(fns)
    blocks: dict[str, list[float]] = {k: [] for k in names}
    for r in range(args.rounds):
        order = names[r % len(names):] + names[: r % len(names)]
        for k in order:
            f = fns[k]
            t0 = time.perf_counter()
            for _ in range(args.calls):
                f()
            blocks[k].append((time.perf_counter() - t0) / args.calls)
    med = {k: statistics.median(v) for k, v in blocks.items()}
    print(f"{args.rounds} rounds of {args.calls}-call blocks; median per call:")
    for k in names:
        print(f"  {k:40s} {med[k] * 1e6:9.1f} us")
    print("ratios (each round's blocks divided, then the median; in brackets: ratio of the medians):")
    for label, num, den in RATIOS:
        if num in blocks and den in blocks:
            per_round = statistics.median(a / b for a, b in zip(blocks[num], blocks[den]))
            print(f"  {label:42s} {per_round:.3f}x  [{med[num] / med[den]:.3f}x]")


if __name__ == "__main__":
    main()
