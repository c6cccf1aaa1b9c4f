"""Convolution (``lax.conv_general_dilated``) beside PyTorch and JAX, one thread each.

    python benchmarks/bench_conv.py            # print a report
    python benchmarks/bench_conv.py --quick    # fewer rounds
    python benchmarks/bench_conv.py --no-jax   # PyTorch only (XLA's thread pools slow every
                                               # contender down on a busy 2-CPU machine)

Cases (batch 64, float32, 3x3 filters, padding 1, NCHW/OIHW; medians of
interleaved rounds, ``benchmarks/_harness.py``):

- ``a``: 1x28x28 input, 32 filters (the first layer of a small CNN);
- ``b``: 32x14x14 input, 32 filters (a middle layer);

each forward, and the gradient with respect to both operands of ``sum(out *
g)`` for a fixed cotangent ``g`` (backward: PyTorch's ``autograd.grad``,
functorch_lite's ``vjp`` pullback, JAX's jitted ``vjp``).  Targets: forward
<= 1.5 x PyTorch, backward <= 2 x PyTorch.  PyTorch and JAX are optional
(the ``compare`` extra); JAX runs jitted (its op-by-op dispatch is not what
it is for).
"""

from __future__ import annotations

import argparse
from typing import Any  # noqa: E402

import _one_cpu  # noqa: E402, F401  (first: one thread per library, on one CPU)
import numpy as np  # noqa: E402
from _harness import fmt_ratio, fmt_time, interleaved, load_peers, machine_info  # noqa: E402

import functorch_lite as fl  # noqa: E402
import functorch_lite.numpy as jnp  # noqa: E402
from functorch_lite import lax  # noqa: E402

CASES = {"a: 64x1x28x28, 32 3x3": (1, 28), "b: 64x32x14x14, 32 3x3": (32, 14)}
PAD = ((1, 1), (1, 1))


def _fl(x: Any, w: Any, g: Any) -> dict[str, Any]:
    xa, wa, ga = jnp.asarray(x), jnp.asarray(w), jnp.asarray(g)

    def f(a: Any, b: Any) -> Any:
        return lax.conv_general_dilated(a, b, (1, 1), PAD)

    def bwd() -> Any:
        return fl.vjp(f, xa, wa)[1](ga)

    return {"fwd": lambda: f(xa, wa), "bwd": bwd}


def _torch(torch: Any, x: Any, w: Any, g: Any) -> dict[str, Any]:
    xt, wt, gt = torch.tensor(x), torch.tensor(w), torch.tensor(g)
    xr, wr = xt.clone().requires_grad_(), wt.clone().requires_grad_()
    conv2d = torch.nn.functional.conv2d

    def bwd() -> Any:
        return torch.autograd.grad(conv2d(xr, wr, padding=1), (xr, wr), gt)

    return {"fwd": lambda: conv2d(xt, wt, padding=1), "bwd": bwd}


def _jax(jax: Any, x: Any, w: Any, g: Any) -> dict[str, Any]:
    xj, wj, gj = jax.numpy.asarray(x), jax.numpy.asarray(w), jax.numpy.asarray(g)

    def f(a: Any, b: Any) -> Any:
        return jax.lax.conv_general_dilated(a, b, (1, 1), PAD)

    fwd = jax.jit(f)
    bwd = jax.jit(lambda a, b, c: jax.vjp(f, a, b)[1](c))
    return {"fwd": lambda: fwd(xj, wj).block_until_ready(),
            "bwd": lambda: jax.block_until_ready(bwd(xj, wj, gj))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer rounds (a smoke test)")
    ap.add_argument("--no-jax", action="store_true", help="leave JAX out (its thread pools disturb a 2-CPU machine)")
    args = ap.parse_args()
    peers = load_peers(single_thread=True, with_jax=not args.no_jax)
    torch, jax = peers.torch, peers.jax
    rounds = 5 if args.quick else 21
    rng = np.random.default_rng(0)
    info = machine_info()
    print(f"machine: {info.get('Model name', '?')}, {info.get('CPU(s)', '?')} CPUs; one thread per library\n")
    print("| case | pass | fl | PyTorch | JAX (jit) | fl/PyTorch | fl/JAX | target |")
    print("|---|---|---|---|---|---|---|---|")
    for name, (c, hw) in CASES.items():
        x = rng.standard_normal((64, c, hw, hw)).astype(np.float32)
        w = rng.standard_normal((32, c, 3, 3)).astype(np.float32)
        g = rng.standard_normal((64, 32, hw, hw)).astype(np.float32)
        libs = {"fl": _fl(x, w, g)}
        if torch is not None:
            libs["torch"] = _torch(torch, x, w, g)
        if jax is not None:
            libs["jax"] = _jax(jax, x, w, g)
        for pas, target in (("fwd", "<= 1.5x"), ("bwd", "<= 2x")):
            t = interleaved({lib: fns[pas] for lib, fns in libs.items()}, rounds=rounds)
            tf, tt, tj = t["fl"], t.get("torch"), t.get("jax")
            print(f"| {name} | {pas} | {fmt_time(tf)} | {fmt_time(tt)} | {fmt_time(tj)} | "
                  f"{fmt_ratio(tf / tt) if tt else 'n/a'} | {fmt_ratio(tf / tj) if tj else 'n/a'} | {target} |")


if __name__ == "__main__":
    main()
