"""Pooling (``lax.reduce_window``) beside PyTorch, JAX and NumPy, one thread each.

    python benchmarks/bench_pool.py            # print a report
    python benchmarks/bench_pool.py --quick    # fewer rounds
    python benchmarks/bench_pool.py --no-jax   # leave JAX out (XLA's thread pools slow every
                                               # contender down on a busy 2-CPU machine)

Input 64 x 32 x 28 x 28 float32 (NCHW); cases:

- ``max 2x2/2``, ``avg 2x2/2``: window 2, stride 2, no padding;
- ``max 3x3/1 p1``, ``avg 3x3/1 p1``: window 3, stride 1, padding 1 (average
  pooling counts the padding, PyTorch's default ``count_include_pad``).

Average pooling is the window sum times ``1 / window size`` (what the nn
layer does).  Passes: ``fwd`` the pooled output; ``grad`` the gradient of
``sum(pool(x) * g)`` with respect to ``x`` for a fixed cotangent ``g``
(functorch_lite's ``vjp`` pullback, which recomputes the forward;
PyTorch's ``autograd.grad`` of a fresh forward; JAX's jitted ``vjp``), so
both rows include a forward.  NumPy (the 2x2 cases only) is the reshape
reduction ``x.reshape(64, 32, 14, 2, 14, 2).max(axis=(3, 5))``, forward only.
Targets: forward <= 1.5 x PyTorch, grad <= 2 x PyTorch, 2x2 forward not
slower than NumPy.  Medians of interleaved rounds (``benchmarks/_harness.py``).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import _one_cpu  # noqa: E402, F401  (first: one thread per library, on one CPU)
import numpy as np  # noqa: E402
from _harness import fmt_ratio, fmt_time, interleaved, load_peers, machine_info  # noqa: E402

import functorch_lite as fl  # noqa: E402
import functorch_lite.numpy as jnp  # noqa: E402

SHAPE = (64, 32, 28, 28)
# name: (kind, window, stride, padding)
CASES = {
    "max 2x2/2": ("max", 2, 2, 0),
    "avg 2x2/2": ("avg", 2, 2, 0),
    "max 3x3/1 p1": ("max", 3, 1, 1),
    "avg 3x3/1 p1": ("avg", 3, 1, 1),
}


def _pool(lib: Any, kind: str, k: int, s: int, p: int) -> Callable[[Any], Any]:
    """The pooling function in ``lib.lax`` terms (functorch_lite or JAX)."""
    window, strides = (1, 1, k, k), (1, 1, s, s)
    pads = ((0, 0), (0, 0), (p, p), (p, p))

    def pool(x: Any) -> Any:
        if kind == "max":
            return lib.lax.reduce_window(x, -np.inf, lib.lax.max, window, strides, pads)
        return lib.lax.reduce_window(x, 0.0, lib.lax.add, window, strides, pads) * (1.0 / (k * k))

    return pool


def _fl(kind: str, k: int, s: int, p: int, x: Any, g: Any) -> dict[str, Any]:
    xa, ga = jnp.asarray(x), jnp.asarray(g)
    pool = _pool(fl, kind, k, s, p)
    return {"fwd": lambda: pool(xa), "grad": lambda: fl.vjp(pool, xa)[1](ga)}


def _torch(torch: Any, kind: str, k: int, s: int, p: int, x: Any, g: Any) -> dict[str, Any]:
    F = torch.nn.functional
    xt, gt = torch.tensor(x), torch.tensor(g)
    xr = xt.clone().requires_grad_()

    def pool(z: Any) -> Any:
        return F.max_pool2d(z, k, s, p) if kind == "max" else F.avg_pool2d(z, k, s, p)

    return {"fwd": lambda: pool(xt), "grad": lambda: torch.autograd.grad(pool(xr), xr, gt)}


def _jax(jax: Any, kind: str, k: int, s: int, p: int, x: Any, g: Any) -> dict[str, Any]:
    xj, gj = jax.numpy.asarray(x), jax.numpy.asarray(g)
    pool = _pool(jax, kind, k, s, p)
    fwd = jax.jit(pool)
    grad = jax.jit(lambda a, c: jax.vjp(pool, a)[1](c))
    return {"fwd": lambda: fwd(xj).block_until_ready(), "grad": lambda: jax.block_until_ready(grad(xj, gj))}


def _numpy(kind: str, x: Any) -> dict[str, Any]:
    n, c, h, w = x.shape
    if kind == "max":
        return {"fwd": lambda: x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))}
    return {"fwd": lambda: x.reshape(n, c, h // 2, 2, w // 2, 2).sum(axis=(3, 5)) * np.float32(0.25)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer rounds (a smoke test)")
    ap.add_argument("--no-jax", action="store_true", help="leave JAX out (its thread pools disturb a 2-CPU machine)")
    args = ap.parse_args()
    peers = load_peers(single_thread=True, with_jax=not args.no_jax)
    torch, jax = peers.torch, peers.jax
    rounds = 5 if args.quick else 15
    rng = np.random.default_rng(0)
    info = machine_info()
    print(f"machine: {info.get('Model name', '?')}, {info.get('CPU(s)', '?')} CPUs; one thread per library; "
          f"input {'x'.join(map(str, SHAPE))} float32\n")
    print("| case | pass | fl | PyTorch | JAX (jit) | NumPy | fl/PyTorch | fl/JAX | fl/NumPy | target |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    x = rng.standard_normal(SHAPE).astype(np.float32)
    for name, (kind, k, s, p) in CASES.items():
        out = (SHAPE[2] + 2 * p - k) // s + 1
        g = rng.standard_normal(SHAPE[:2] + (out, out)).astype(np.float32)
        libs = {"fl": _fl(kind, k, s, p, x, g)}
        if torch is not None:
            libs["torch"] = _torch(torch, kind, k, s, p, x, g)
        if jax is not None:
            libs["jax"] = _jax(jax, kind, k, s, p, x, g)
        if k == s == 2:
            libs["numpy"] = _numpy(kind, x)
        for pas, target in (("fwd", "<= 1.5x PyTorch" + (", <= 1x NumPy" if k == s == 2 else "")),
                            ("grad", "<= 2x PyTorch")):
            t = interleaved({lib: fns[pas] for lib, fns in libs.items() if pas in fns}, rounds=rounds)
            tf, tt, tj, tn = t["fl"], t.get("torch"), t.get("jax"), t.get("numpy")
            print(f"| {name} | {pas} | {fmt_time(tf)} | {fmt_time(tt)} | {fmt_time(tj)} | {fmt_time(tn)} | "
                  f"{fmt_ratio(tf / tt) if tt else 'n/a'} | {fmt_ratio(tf / tj) if tj else 'n/a'} | "
                  f"{fmt_ratio(tf / tn) if tn else 'n/a'} | {target} |")


if __name__ == "__main__":
    main()
