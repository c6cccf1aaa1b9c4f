"""Complex elementwise chains under jit beside NumPy, a hand-written Numba
loop, PyTorch and jax.jit, one thread each, in one process: the fused
complex kernels (issue 11's "complex elementwise chain under jit").

The chain is ``z * w + conj(z) * 0.5j - real(z) * w`` on 1M complex64
(fused arithmetic, conj/real, a complex literal), timed two ways as users
write it: results dropped (the buffer pool can recycle) and the last 8
results kept alive (every output a fresh allocation).

Run:  OPENBLAS_NUM_THREADS=1 python benchmarks/bench_complex.py [--quick] [--write]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import _harness as H  # noqa: E402
import _one_cpu  # noqa: E402, F401  (first: one thread per library, on one CPU)
import numba  # noqa: E402
import numpy as np  # noqa: E402

import functorch_lite as fl  # noqa: E402
import functorch_lite.numpy as jnp  # noqa: E402

N = 1 << 20
BEGIN, END = "<!-- bench_complex:begin -->", "<!-- bench_complex:end -->"


def chain(m: Any, z: Any, w: Any) -> Any:
    return z * w + m.conj(z) * 0.5j - m.real(z) * w


@numba.njit(cache=True)
def _hand(z: Any, w: Any, out: Any) -> None:
    for i in range(z.shape[0]):
        out[i] = z[i] * w[i] + z[i].conjugate() * np.complex64(0.5j) - np.complex64(z[i].real) * w[i]


def hand(z: Any, w: Any) -> Any:
    out = np.empty_like(z)
    _hand(z, w, out)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--write", action="store_true", help="write the table into benchmarks/RESULTS.md")
    args = ap.parse_args()
    rounds = 7 if args.quick else 25
    peers = H.load_peers(single_thread=True)
    rng = np.random.default_rng(0)
    zn = (rng.standard_normal(N) + 1j * rng.standard_normal(N)).astype(np.complex64)
    wn = (rng.standard_normal(N) + 1j * rng.standard_normal(N)).astype(np.complex64)
    z, w = jnp.asarray(zn), jnp.asarray(wn)
    f = fl.jit(lambda a, b: chain(jnp, a, b))
    np.testing.assert_allclose(np.asarray(f(z, w)), chain(np, zn, wn), rtol=1e-5, atol=1e-5)
    cases: dict[str, Any] = {
        "functorch_lite jit": lambda: f(z, w),
        "NumPy": lambda: chain(np, zn, wn),
        "Numba loop (np.empty)": lambda: hand(zn, wn),
    }
    if peers.jax is not None:
        jz, jw = peers.jnp.asarray(zn), peers.jnp.asarray(wn)
        jf = peers.jax.jit(lambda a, b: chain(peers.jnp, a, b))
        cases["jax.jit"] = lambda: jf(jz, jw).block_until_ready()
    if peers.torch is not None:
        tz, tw = peers.torch.from_numpy(zn), peers.torch.from_numpy(wn)
        cases["PyTorch"] = lambda: tz * tw + peers.torch.conj(tz) * 0.5j - tz.real * tw

    def kept(fn: Any) -> Any:
        keep: list[Any] = []

        def run() -> None:
            keep.append(fn())
            if len(keep) > 8:
                keep.pop(0)

        return run

    dropped = H.interleaved(cases, rounds)
    alive = H.interleaved({k: kept(v) for k, v in cases.items()}, rounds)
    base = "functorch_lite jit"
    lines = ["| case | results dropped | ratio (ours / this) | last 8 results kept | ratio (ours / this) |",
             "|---|---|---|---|---|"]
    for name in cases:
        lines.append(f"| {name} | {H.fmt_time(dropped[name])} | {H.fmt_ratio(dropped[base] / dropped[name])} | "
                     f"{H.fmt_time(alive[name])} | {H.fmt_ratio(alive[base] / alive[name])} |")
    info = H.machine_info()
    body = "\n".join([
        "## Complex elementwise chain under jit (bench_complex.py)",
        "",
        f"`z * w + conj(z) * 0.5j - real(z) * w` on {N:,} complex64, one thread per library, medians of "
        f"{rounds} interleaved rounds; ratio = functorch_lite's time / the case's (below 1: we are faster). "
        f"Machine: {info.get('Model name', '?')}, {info.get('os.cpu_count')} CPUs; numpy {info.get('numpy')}, "
        f"numba {info.get('numba')}, jax {info.get('jax')}, torch {info.get('torch')}.",
        "",
        *lines,
    ])
    print(body)
    if args.write:
        H.write_block(body, Path(__file__).with_name("RESULTS.md"), BEGIN, END)


if __name__ == "__main__":
    main()
