"""JAX's "MNIST from scratch" training loop, written identically for
functorch_lite and JAX, on the same synthetic data, one thread each.

    python benchmarks/bench_mnist.py             # 100 steps per epoch sample, 5 rounds
    python benchmarks/bench_mnist.py --quick     # fewer steps and rounds

The model and loop are the published example's: an MLP 784-1024-1024-10 with
``tanh`` hidden layers and a ``logsumexp`` log-softmax, parameters drawn with
scale 0.1, the loss ``-mean(sum(preds * one_hot_targets, axis=1))``, and a
``jit``-ted update ``params - 0.001 * grad`` over a list of ``(w, b)`` pairs
at batch 128.  The data are NumPy float64 arrays (images) and one-hot float64
targets, as the example loads them: with 64-bit mode off (the default of both
libraries) both train in float32.  A "step" case times the jitted update on
a fixed batch (10 calls per sample, the time per call printed); an "epoch" case times ``--steps`` updates
over shuffled batches (the example's epoch is 469 steps; the per-epoch time
printed is scaled to 469).  The ratio is functorch_lite's time over JAX's
(the issue's target: <= 1.0).
"""

from __future__ import annotations

import argparse
from typing import Any  # noqa: E402

import _one_cpu  # noqa: E402, F401  (first: one thread per library, on one CPU)
import numpy as np  # noqa: E402
from _harness import fmt_ratio, fmt_time, interleaved, load_peers, machine_info  # noqa: E402

import functorch_lite as fl  # noqa: E402
import functorch_lite.numpy as fjnp  # noqa: E402

LAYERS = (784, 1024, 1024, 10)
BATCH = 128
EPOCH_STEPS = 60000 // BATCH + 1  # 469, the example's steps per epoch
#: updates per "step" sample (one 7 ms call per sample made the step ratio swing by 5 %)
STEP_REPEAT = 10


def _program(jax: Any, jnp: Any, logsumexp: Any) -> tuple[Any, Any]:
    """The example's ``update`` and ``loss`` for one library (``jax`` is its
    transform namespace, ``jnp`` its numpy)."""

    def predict(params: Any, inputs: Any) -> Any:
        activations = inputs
        for w, b in params[:-1]:
            outputs = jnp.dot(activations, w) + b
            activations = jnp.tanh(outputs)
        final_w, final_b = params[-1]
        logits = jnp.dot(activations, final_w) + final_b
        return logits - logsumexp(logits, axis=1, keepdims=True)

    def loss(params: Any, batch: Any) -> Any:
        inputs, targets = batch
        preds = predict(params, inputs)
        return -jnp.mean(jnp.sum(preds * targets, axis=1))

    @jax.jit
    def update(params: Any, batch: Any) -> Any:
        grads = jax.grad(loss)(params, batch)
        return [(w - 0.001 * dw, b - 0.001 * db) for (w, b), (dw, db) in zip(params, grads)]

    return update, loss


def _init(jnp: Any, rng: np.random.Generator) -> list[tuple[Any, Any]]:
    return [(jnp.asarray(0.1 * rng.standard_normal((m, n))), jnp.asarray(0.1 * rng.standard_normal(n)))
            for m, n in zip(LAYERS[:-1], LAYERS[1:])]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--steps", type=int, default=None, help="updates per timed epoch sample")
    args = ap.parse_args()
    steps = args.steps or (20 if args.quick else 100)
    rounds = 3 if args.quick else 5

    rng = np.random.default_rng(0)
    n = steps * BATCH
    images = rng.random((n, 784))  # float64, as the example's loader gives them
    labels = rng.integers(0, 10, n)
    targets = np.eye(10)[labels]  # one-hot float64
    order = rng.permutation(n)
    batches = [(images[order[i * BATCH:(i + 1) * BATCH]], targets[order[i * BATCH:(i + 1) * BATCH]])
               for i in range(steps)]

    peers = load_peers(single_thread=True)
    libs: dict[str, tuple[Any, Any, Any]] = {
        "functorch_lite": (fl, fjnp, fl.scipy.special.logsumexp),
    }
    if peers.jax is not None:
        from jax.scipy.special import logsumexp as jax_logsumexp

        libs["jax"] = (peers.jax, peers.jnp, jax_logsumexp)

    cases: dict[str, Any] = {}
    dtypes: dict[str, str] = {}
    for name, (jax, jnp, lse) in libs.items():
        update, _ = _program(jax, jnp, lse)
        params0 = _init(jnp, np.random.default_rng(1))
        dtypes[name] = str(params0[0][0].dtype)
        dev_batches = [(jnp.asarray(x), jnp.asarray(y)) for x, y in batches]
        one = dev_batches[0]
        state = {"p": params0}

        def step(update: Any = update, state: Any = state, one: Any = one) -> Any:
            for _ in range(STEP_REPEAT):
                state["p"] = update(state["p"], one)
            return state["p"][0][0].block_until_ready() if hasattr(state["p"][0][0], "block_until_ready") else None

        def epoch(update: Any = update, params0: Any = params0, dev_batches: Any = dev_batches) -> Any:
            p = params0
            for b in dev_batches:
                p = update(p, b)
            w = p[0][0]
            return w.block_until_ready() if hasattr(w, "block_until_ready") else w

        cases[f"step/{name}"] = step
        cases[f"epoch/{name}"] = epoch

    t = interleaved(cases, rounds=rounds, number=1, warmup=1)
    print("MNIST from scratch (784-1024-1024-10, batch 128, jit(grad) + SGD), one thread per library")
    print(f"machine: {machine_info()}")
    print(f"dtypes of the parameters: {dtypes}")
    for case in ("step", "epoch"):
        ours = t[f"{case}/functorch_lite"]
        theirs = t.get(f"{case}/jax")
        scale = EPOCH_STEPS / steps if case == "epoch" else 1.0 / STEP_REPEAT
        label = "per epoch (469 steps)" if case == "epoch" else "per step"
        line = f"{case:6s} {label:22s} functorch_lite {fmt_time(ours * scale)}"
        if theirs is not None:
            line += f"   jax.jit {fmt_time(theirs * scale)}   ratio {fmt_ratio(ours / theirs)}"
        print(line)


if __name__ == "__main__":
    main()
