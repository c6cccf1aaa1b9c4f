"""The PyTorch-style layer beside PyTorch CPU eager: a training step and per-op costs.

    python benchmarks/bench_stateful.py            # print a report
    python benchmarks/bench_stateful.py --quick    # fewer rounds

Cases (one BLAS/OpenMP thread for every library, set before NumPy loads;
medians of interleaved rounds, ``benchmarks/_harness.py``):

- ``step``: one training step of the MLP 784-256-256-10 at batch 128 --
  ``zero_grad()``, forward, ``CrossEntropyLoss`` on integer labels,
  ``backward()``, ``SGD.step()`` -- written identically for both libraries
  (the issue's target: <= 1.2 x PyTorch);
- ``jit step``: the same step as one ``fl.jit`` program -- the same
  ``nn.Sequential`` run through ``func.functional_call``, ``value_and_grad``
  and the SGD update on the parameter dict (the issue's target: <= 0.8 x
  PyTorch eager);
- ``cnn step``: the small CNN (conv 3x3 1->32, ReLU, max-pool 2, conv 3x3
  32->32, ReLU, max-pool 2, linear 1568->10) on 1x28x28 at batch 64, one
  eager step as above (target: <= 1.5 x PyTorch), and ``conv2d`` forward
  alone on 64x32x14x14 with 32 3x3 filters (target: <= 1.5 x PyTorch's);
- ``a.add_(b)`` and ``a * b`` with ``requires_grad`` on 10-element tensors
  (target: <= 1.5 x PyTorch's dispatch).

Without PyTorch installed (the ``compare`` extra) only functorch_lite's
times are printed.
"""

from __future__ import annotations

import argparse
from typing import Any  # noqa: E402

import _one_cpu  # noqa: E402, F401  (first: one thread per library, on one CPU)
import numpy as np  # noqa: E402
from _harness import fmt_ratio, fmt_time, interleaved, machine_info  # noqa: E402

import functorch_lite as fl  # noqa: E402
import functorch_lite.numpy as jnp  # noqa: E402
from functorch_lite import func, tree  # noqa: E402
from functorch_lite import nn as fnn  # noqa: E402
from functorch_lite import optim as foptim  # noqa: E402


def _mlp(nn: Any) -> Any:
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))


def _cnn(nn: Any) -> Any:
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(32 * 7 * 7, 10))


def _step(m: Any, nn: Any, optim: Any, x: np.ndarray[Any, Any], y: np.ndarray[Any, Any], build: Any = _mlp) -> Any:
    """One eager training step of ``build(nn)``, written identically for both libraries."""
    m.manual_seed(0)
    model = build(nn)
    opt = optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    xt, yt = m.tensor(x), m.tensor(y)

    def step() -> Any:
        opt.zero_grad()
        loss = loss_fn(model(xt), yt)
        loss.backward()
        opt.step()
        return loss

    return step


def _conv_fwd(m: Any, functional: Any, x: np.ndarray[Any, Any], w: np.ndarray[Any, Any]) -> Any:
    xt, wt = m.tensor(x), m.tensor(w)
    return lambda: functional.conv2d(xt, wt, padding=1)


def _jit_step(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> Any:
    fl.manual_seed(0)
    model = _mlp(fnn)
    state = {"p": {k: v.detach().array() for k, v in model.named_parameters()}}
    xa, ya = jnp.asarray(x), jnp.asarray(y)

    def loss_fn(p: Any) -> Any:
        logits = func.functional_call(model, p, (xa,))
        return -jnp.mean(jnp.take_along_axis(fl.nn.log_softmax(logits, axis=1), ya[:, None], axis=1))

    @fl.jit
    def update(p: Any) -> Any:
        loss, g = fl.value_and_grad(loss_fn)(p)
        return tree.map(lambda pi, gi: pi - 0.01 * gi, p, g), loss

    def step() -> Any:
        state["p"], loss = update(state["p"])
        return loss

    return step


def _ops(m: Any) -> dict[str, Any]:
    a, b = m.ones(10), m.ones(10)
    w = m.ones(10, requires_grad=True)
    return {"a.add_(b)": lambda: a.add_(b), "w * b (requires_grad)": lambda: w * b}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer rounds (a smoke test)")
    args = ap.parse_args()
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        torch = None
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 784)).astype(np.float32)
    y = rng.integers(0, 10, 128)
    rounds = 5 if args.quick else 25
    cases = {"fl step": _step(fl, fnn, foptim, x, y), "fl jit step": _jit_step(x, y)}
    if torch is not None:
        cases["torch step"] = _step(torch, torch.nn, torch.optim, x, y)
    xc = rng.standard_normal((64, 1, 28, 28)).astype(np.float32)
    yc = rng.integers(0, 10, 64)
    xf = rng.standard_normal((64, 32, 14, 14)).astype(np.float32)
    wf = (rng.standard_normal((32, 32, 3, 3)) * 0.1).astype(np.float32)
    cases["fl cnn step"] = _step(fl, fnn, foptim, xc, yc, _cnn)
    cases["fl conv2d"] = _conv_fwd(fl, fnn.functional, xf, wf)
    if torch is not None:
        cases["torch cnn step"] = _step(torch, torch.nn, torch.optim, xc, yc, _cnn)
        cases["torch conv2d"] = _conv_fwd(torch, torch.nn.functional, xf, wf)
    steps = interleaved(cases, rounds=rounds)
    ops_fl = _ops(fl)
    ops_cases = {f"fl {k}": v for k, v in ops_fl.items()}
    if torch is not None:
        ops_cases.update({f"torch {k}": v for k, v in _ops(torch).items()})
    ops = interleaved(ops_cases, rounds=rounds, min_sample=0.01)
    info = machine_info()
    print(f"machine: {info.get('Model name', '?')}, {info.get('CPU(s)', '?')} CPUs; one thread per library\n")
    print("| case | fl | PyTorch | fl/PyTorch | target |")
    print("|---|---|---|---|---|")
    t = steps.get("torch step")
    print(f"| training step (MLP 784-256-256-10, batch 128) | {fmt_time(steps['fl step'])} | {fmt_time(t)} | "
          f"{fmt_ratio(steps['fl step'] / t) if t else 'n/a'} | <= 1.2x |")
    tj = steps["fl jit step"]
    print(f"| jit(step) through func.functional_call | {fmt_time(tj)} | {fmt_time(t)} | "
          f"{fmt_ratio(tj / t) if t else 'n/a'} | <= 0.8x |")
    for k, label, target in (("cnn step", "CNN step (2 conv 3x3 x32, pool, linear; 1x28x28, batch 64)", "1.5"),
                              ("conv2d", "conv2d forward (64x32x14x14, 32 3x3 filters, padding 1)", "1.5")):
        tf, tt = steps[f"fl {k}"], steps.get(f"torch {k}")
        print(f"| {label} | {fmt_time(tf)} | {fmt_time(tt)} | {fmt_ratio(tf / tt) if tt else 'n/a'} | <= {target}x |")
    for k in ops_fl:
        tt = ops.get(f"torch {k}")
        print(f"| {k}, 10 elements | {fmt_time(ops[f'fl {k}'])} | {fmt_time(tt)} | "
              f"{fmt_ratio(ops[f'fl {k}'] / tt) if tt else 'n/a'} | <= 1.5x |")


if __name__ == "__main__":
    main()
