"""Matrix decompositions beside NumPy and JAX, one thread each.

    python benchmarks/bench_linalg.py            # print a report
    python benchmarks/bench_linalg.py --quick    # fewer rounds
    python benchmarks/bench_linalg.py --no-jax   # NumPy only

Cases (float64, medians of interleaved rounds, ``benchmarks/_harness.py``):

- ``cholesky``: the factor of a 256x256 SPD matrix;
- ``cholesky+solve``: factor, then solve for 8 right-hand sides with the factor
  (functorch_lite/JAX: ``cho_factor`` + ``cho_solve``; NumPy, which has no
  triangular solve: ``cholesky`` + ``solve``);
- ``solve``: ``linalg.solve`` by LU, 256x256 and 8 right-hand sides;
- ``eigh``: eigenvalues and eigenvectors of a 256x256 symmetric matrix;
- ``gp grad``: the gradient of a Gaussian-process negative log-likelihood
  (squared-exponential kernel on 512 2-D points, three log-hyperparameters,
  a 512x512 Cholesky) under ``fl.jit(fl.grad(...))`` and
  ``jax.jit(jax.grad(...))``; NumPy has no autodiff (n/a).

functorch_lite runs eagerly for the first four (one primitive each) and
jitted for the last; JAX runs jitted throughout.
"""

from __future__ import annotations

import argparse
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"  # spin-waiting pools collapse on a shared 2-core machine (DESIGN.md)
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import math  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from _harness import fmt_ratio, fmt_time, interleaved, machine_info  # noqa: E402

import functorch_lite as fl  # noqa: E402
import functorch_lite.numpy as jnp  # noqa: E402
from functorch_lite.scipy import linalg as fsl  # noqa: E402

N = 256
N_GP = 512


def _gp_nll(mod: Any, cho_factor: Any, cho_solve: Any) -> Any:
    def nll(theta: Any, x: Any, y: Any) -> Any:
        ell, sf, noise = mod.exp(theta[0]), mod.exp(theta[1]), mod.exp(theta[2])
        sq = mod.sum((x[:, None, :] - x[None, :, :]) ** 2, axis=-1)
        k = sf * sf * mod.exp(-0.5 * sq / (ell * ell)) + (noise + 1e-6) * mod.eye(x.shape[0], dtype=x.dtype)
        c = cho_factor(k, lower=True)
        alpha = cho_solve(c, y)
        return (0.5 * mod.sum(y * alpha) + mod.sum(mod.log(mod.diagonal(c[0])))
                + 0.5 * x.shape[0] * math.log(2 * math.pi))

    return nll


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer rounds (a smoke test)")
    ap.add_argument("--no-jax", action="store_true", help="leave JAX out")
    args = ap.parse_args()
    jax: Any = None
    if not args.no_jax:
        try:
            import jax

            jax.config.update("jax_enable_x64", True)
            import jax.scipy.linalg  # noqa: F401
        except ImportError:
            jax = None
    rounds = 5 if args.quick else 15
    rng = np.random.default_rng(0)
    m = rng.standard_normal((N, N))
    spd = m @ m.T + N * np.eye(N)
    gen = m + 2 * np.eye(N)
    b = rng.standard_normal((N, 8))
    xs = rng.uniform(-3, 3, (N_GP, 2))
    ys = np.sin(xs[:, 0]) + 0.1 * rng.standard_normal(N_GP)
    theta = np.array([0.0, 0.0, -2.0])

    f_spd, f_gen, f_b = jnp.asarray(spd), jnp.asarray(gen), jnp.asarray(b)
    cases: dict[str, dict[str, Any]] = {
        "cholesky 256": {"fl": lambda: jnp.linalg.cholesky(f_spd), "numpy": lambda: np.linalg.cholesky(spd)},
        "cholesky+solve 256, k=8": {
            "fl": lambda: fsl.cho_solve(fsl.cho_factor(f_spd, lower=True), f_b),
            "numpy": lambda: (np.linalg.cholesky(spd), np.linalg.solve(spd, b)),
        },
        "solve 256, k=8": {"fl": lambda: jnp.linalg.solve(f_gen, f_b), "numpy": lambda: np.linalg.solve(gen, b)},
        "eigh 256": {"fl": lambda: jnp.linalg.eigh(f_spd), "numpy": lambda: np.linalg.eigh(spd)},
    }
    fl_grad = fl.jit(fl.grad(_gp_nll(jnp, fsl.cho_factor, fsl.cho_solve)))
    f_theta, f_xs, f_ys = jnp.asarray(theta), jnp.asarray(xs), jnp.asarray(ys)
    cases["gp grad, 512x512 Cholesky"] = {"fl": lambda: fl_grad(f_theta, f_xs, f_ys)}
    if jax is not None:
        jj = jax.numpy
        j_spd, j_gen, j_b = jj.asarray(spd), jj.asarray(gen), jj.asarray(b)
        chol = jax.jit(jj.linalg.cholesky)
        cho = jax.jit(lambda a, r: jax.scipy.linalg.cho_solve(jax.scipy.linalg.cho_factor(a, lower=True), r))
        solve = jax.jit(jj.linalg.solve)
        eigh = jax.jit(jj.linalg.eigh)
        cases["cholesky 256"]["jax"] = lambda: chol(j_spd).block_until_ready()
        cases["cholesky+solve 256, k=8"]["jax"] = lambda: cho(j_spd, j_b).block_until_ready()
        cases["solve 256, k=8"]["jax"] = lambda: solve(j_gen, j_b).block_until_ready()
        cases["eigh 256"]["jax"] = lambda: jax.block_until_ready(eigh(j_spd))
        j_grad = jax.jit(jax.grad(_gp_nll(jj, jax.scipy.linalg.cho_factor, jax.scipy.linalg.cho_solve)))
        j_theta, j_xs, j_ys = jj.asarray(theta), jj.asarray(xs), jj.asarray(ys)
        cases["gp grad, 512x512 Cholesky"]["jax"] = lambda: j_grad(j_theta, j_xs, j_ys).block_until_ready()
        np.testing.assert_allclose(np.asarray(fl_grad(f_theta, f_xs, f_ys)),
                                   np.asarray(j_grad(j_theta, j_xs, j_ys)), rtol=1e-6)
    info = machine_info()
    print(f"machine: {info.get('Model name', '?')}, {info.get('CPU(s)', '?')} CPUs; one thread per library\n")
    print("| case | fl | NumPy | JAX (jit) | fl/NumPy | fl/JAX |")
    print("|---|---|---|---|---|---|")
    for name, libs in cases.items():
        t = interleaved(libs, rounds=rounds)
        tf, tn, tj = t["fl"], t.get("numpy"), t.get("jax")
        print(f"| {name} | {fmt_time(tf)} | {fmt_time(tn) if tn else 'n/a'} | {fmt_time(tj) if tj else 'n/a'} | "
              f"{fmt_ratio(tf / tn) if tn else 'n/a'} | {fmt_ratio(tf / tj) if tj else 'n/a'} |")


if __name__ == "__main__":
    main()
