"""jit benchmarks: fused generated kernels beside NumPy eager, a hand-written
Numba loop and ``jax.jit``, in one process, interleaved, medians.

    python benchmarks/bench_jit.py                  # everything, print a report
    python benchmarks/bench_jit.py --write          # ... and update the jit section of benchmarks/RESULTS.md
    python benchmarks/bench_jit.py --sections chain,overhead --quick

Sections (each in its own subprocess):

- ``chain``:    ``tanh(x*a + b)*0.5 + x**2`` on 10M float32: ``fl.jit`` (one
                fused kernel), NumPy eager, a hand-written single-loop
                ``@njit`` kernel with the same vectorised tanh (the practical
                limit; it allocates its output like any caller), the same
                loop with ``np.tanh`` (libm: what Numba gives without help),
                and ``jax.jit``;
- ``kept``:     the chain with the last 8 results of each implementation
                kept alive (no freed buffer to reuse), and the chain written
                eagerly with ``functorch_lite.numpy`` beside NumPy;
- ``fused``:    softmax over rows, logsumexp, sum(x*x) and a mean squared
                error on 10M float32 vs NumPy eager and ``jax.jit``;
- ``single``:   one elementwise op alone (tanh, exp, log, log2, sqrt, abs) on
                1M and 10M float32: ``fl.jit`` beside eager and NumPy;
- ``overhead``: a jitted call on 8 elements vs ``jax.jit``, with array and
                Python-scalar arguments, and the share of the lowered
                program (``executable.run``) in it;
- ``memory``:   peak traced memory of one call of the chain (10M float32):
                fused vs NumPy eager (``tracemalloc``);
- ``parallel``: the fused chain with the flat loop serial vs ``prange``
                (workqueue threading layer), to choose the default;
- ``compile``:  first call of the chain in a fresh interpreter, with an empty
                kernel cache and with the cache the previous run left.

Targets (from the issue): fused chain <= 0.5 x jax.jit's time and <= 1.2 x
the hand-written kernel's; call overhead <= 0.4 x jax.jit's.  Misses are
reported as they are.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as H  # noqa: E402
import _one_cpu  # noqa: E402, F401  (first: one thread per library, on one CPU)

N = 10_000_000
ROWS = (10_000, 1_000)  # softmax / logsumexp: 10M elements
TARGET_VS_JAX = 0.5
TARGET_VS_HAND = 1.2
TARGET_OVERHEAD_VS_JAX = 0.4  # issue 16 (issue 5 asked 0.5)


def _chain_fns(peers: H.Peers) -> dict[str, Any]:
    import numpy as np
    from numba import njit

    import functorch_lite as fl
    import functorch_lite.numpy as jnp
    from functorch_lite.ops.kernels import fastmath as fm

    @njit(error_model="numpy")
    def hand_fm(x: Any, a: Any, b: Any, out: Any) -> None:
        for i in range(x.shape[0]):
            v = x[i]
            out[i] = fm.tanh_f32(v * a + b) * np.float32(0.5) + v * v

    @njit(error_model="numpy")
    def hand_libm(x: Any, a: Any, b: Any, out: Any) -> None:
        for i in range(x.shape[0]):
            v = x[i]
            out[i] = np.tanh(v * a + b) * np.float32(0.5) + v * v

    xn = np.random.default_rng(0).standard_normal(N).astype(np.float32)
    x = jnp.asarray(xn)
    a32, b32 = np.float32(2.0), np.float32(1.0)
    f = fl.jit(lambda x, a, b: jnp.tanh(x * a + b) * 0.5 + x ** 2)

    def hand(kernel: Any) -> Any:
        def run() -> Any:
            out = np.empty_like(xn)
            kernel(xn, a32, b32, out)
            return out
        return run

    pre = np.empty_like(xn)
    cases: dict[str, Any] = {
        "fl.jit": lambda: f(x, 2.0, 1.0),
        "numpy": lambda: np.tanh(xn * a32 + b32) * np.float32(0.5) + xn ** 2,
        "hand-written @njit": hand(hand_fm),
        "hand-written @njit, output preallocated": lambda: hand_fm(xn, a32, b32, pre),
        "@njit with np.tanh": hand(hand_libm),
    }
    if peers.jax is not None:
        jf = peers.jax.jit(lambda x, a, b: peers.jnp.tanh(x * a + b) * 0.5 + x ** 2)
        xj = peers.jnp.asarray(xn)
        cases["jax.jit"] = lambda: jf(xj, 2.0, 1.0).block_until_ready()
    ref = hand(hand_fm)()
    err = float(np.max(np.abs(np.asarray(f(x, 2.0, 1.0)) - ref)))
    return {"cases": cases, "max_abs_diff_vs_hand": err, "n_kernels": f.lower(x, 2.0, 1.0).n_kernels}


def section_chain(quick: bool) -> dict[str, Any]:
    peers = H.load_peers()
    c = _chain_fns(peers)
    times = H.interleaved(c["cases"], rounds=5 if quick else 21)
    return {"times": times, "max_abs_diff_vs_hand": c["max_abs_diff_vs_hand"], "n_kernels": c["n_kernels"],
            "missing": peers.missing}


KEEP = 8
TARGET_KEPT_VS_HAND = 1.0
TARGET_KEPT_VS_JAX = 0.75
TARGET_EAGER_VS_NUMPY = 1.1


def section_kept(quick: bool) -> dict[str, Any]:
    """The chain with each implementation's last ``KEEP`` results kept alive
    (as a caller that stores its outputs does): no freed buffer is there to
    reuse, so every call pays for fresh memory.  Also the chain written
    eagerly with ``functorch_lite.numpy`` (one op at a time) beside NumPy."""
    from collections import deque

    import numpy as np

    import functorch_lite.numpy as jnp

    peers = H.load_peers()
    c = _chain_fns(peers)["cases"]

    def kept(fn: Any) -> Any:
        last: deque[Any] = deque(maxlen=KEEP)
        return lambda: last.append(fn())

    names = [k for k in ("fl.jit", "hand-written @njit", "jax.jit", "numpy") if k in c]
    cases = {k: kept(c[k]) for k in names}
    xn = np.random.default_rng(0).standard_normal(N).astype(np.float32)
    x = jnp.asarray(xn)
    cases["fl eager"] = kept(lambda: jnp.tanh(x * 2.0 + 1.0) * 0.5 + x ** 2)
    times = H.interleaved(cases, rounds=5 if quick else 15)
    return {"times": times, "missing": peers.missing}


def _jax_fn(peers: H.Peers, name: str) -> Any:
    jax, jn = peers.jax, peers.jnp
    return {"softmax": lambda v: jax.nn.softmax(v, axis=-1),
            "logsumexp": lambda v: jax.nn.logsumexp(v, axis=-1),
            "sumsq": lambda v: jn.sum(v * v), "mse": lambda v, w: jn.mean((v - w) ** 2)}[name]


def section_fused(quick: bool) -> dict[str, Any]:
    import numpy as np

    import functorch_lite as fl
    import functorch_lite.numpy as jnp

    peers = H.load_peers()
    rng = np.random.default_rng(1)
    xn = rng.standard_normal(ROWS).astype(np.float32)
    yn = rng.standard_normal(ROWS).astype(np.float32)
    x, y = jnp.asarray(xn), jnp.asarray(yn)

    def np_softmax(v: Any) -> Any:
        e = np.exp(v - v.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def np_lse(v: Any) -> Any:
        m = v.max(axis=-1, keepdims=True)
        return np.log(np.exp(v - m).sum(axis=-1)) + m[:, 0]

    ops: dict[str, tuple[Any, Any, Any, tuple[Any, ...]]] = {
        "softmax(axis=-1)": (lambda v: jnp.softmax(v, axis=-1), np_softmax, "softmax", (x,)),
        "logsumexp(axis=-1)": (lambda v: jnp.logsumexp(v, axis=-1), np_lse, "logsumexp", (x,)),
        "sum(x*x)": (lambda v: jnp.sum(v * v), lambda v: np.sum(v * v), "sumsq", (x,)),
        "mean((x-y)**2)": (lambda v, w: jnp.mean((v - w) ** 2), lambda v, w: np.mean((v - w) ** 2), "mse", (x, y)),
    }
    rows = []
    for name, (f, npf, jname, args) in ops.items():
        jf = fl.jit(f)
        nargs = [np.asarray(a) for a in args]
        cases: dict[str, Any] = {"fl.jit": lambda jf=jf, args=args: jf(*args),
                                 "numpy": lambda npf=npf, nargs=nargs: npf(*nargs)}
        if peers.jax is not None:
            jj = peers.jax.jit(_jax_fn(peers, jname))
            jargs = [peers.jnp.asarray(a) for a in nargs]
            cases["jax.jit"] = lambda jj=jj, jargs=jargs: jj(*jargs).block_until_ready()
        got = np.asarray(jf(*args), dtype=np.float64)
        want = np.asarray(npf(*nargs), dtype=np.float64)
        err = float(np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-30)))
        times = H.interleaved(cases, rounds=5 if quick else 15)
        rows.append({"op": name, "times": times, "kernels": jf.lower(*args).n_kernels, "max_rel_err": err})
    return {"rows": rows, "missing": peers.missing}


def section_transposed(quick: bool) -> dict[str, Any]:
    """Reductions over a transposed 4096^2 float32 view: jit beside eager (the same
    view, no copy), NumPy on the same view, and jax.jit of the same expression."""
    import numpy as np

    import functorch_lite as fl
    import functorch_lite.numpy as jnp

    peers = H.load_peers()
    xn = np.random.default_rng(2).random((4096, 4096), dtype=np.float32)
    x = jnp.asarray(xn)
    # each case written once over the array module ``m`` (functorch_lite.numpy, numpy, jax.numpy)
    ops: dict[str, Any] = {
        "sum(x.T, axis=1)": lambda m, v: m.sum(v.T, axis=1),
        "sum(x.T, axis=0)": lambda m, v: m.sum(v.T, axis=0),
        "mean(x.T, axis=0)": lambda m, v: m.mean(v.T, axis=0),
        "mean(x.T, axis=1)": lambda m, v: m.mean(v.T, axis=1),
        "max(x.T, axis=1)": lambda m, v: m.max(v.T, axis=1),
    }
    rows = []
    for name, op in ops.items():
        jf = fl.jit(lambda v, op=op: op(jnp, v))
        npf = functools.partial(op, np)
        cases: dict[str, Any] = {"fl.jit": lambda jf=jf: jf(x), "fl eager": lambda op=op: op(jnp, x),
                                 "numpy": lambda npf=npf: npf(xn)}
        if peers.jax is not None:
            jfn = peers.jax.jit(functools.partial(op, peers.jnp))
            xj = peers.jnp.asarray(xn)
            cases["jax.jit"] = lambda jfn=jfn, xj=xj: jfn(xj).block_until_ready()
        np.testing.assert_allclose(np.asarray(jf(x)), npf(xn), rtol=1e-3)
        rows.append({"op": name, "times": H.interleaved(cases, rounds=5 if quick else 15, min_sample=0.02)})
    return {"rows": rows, "missing": peers.missing}


def section_single(quick: bool) -> dict[str, Any]:
    """One elementwise op alone, 1M and 10M float32: ``fl.jit`` beside eager and NumPy.
    Nothing is fused, so jit should take eager's time: a lone float32 ``tanh``/log runs
    NumPy's loop (faster than the generated one), the others a generated kernel."""
    import numpy as np

    import functorch_lite as fl
    import functorch_lite.numpy as jnp

    rng = np.random.default_rng(5)
    rows = []
    for n in (1 << 20, N):
        xn = (rng.random(n, dtype=np.float32) + np.float32(0.1))
        x = jnp.asarray(xn)
        for name in ("tanh", "exp", "log", "log2", "sqrt", "abs"):
            fn, npf = getattr(jnp, name), getattr(np, name)
            jf = fl.jit(fn)
            np.testing.assert_allclose(np.asarray(jf(x)), npf(xn), rtol=1e-5)
            cases = {"fl.jit": lambda jf=jf, x=x: jf(x), "fl eager": lambda fn=fn, x=x: fn(x),
                     "numpy": lambda npf=npf, xn=xn: npf(xn)}
            rows.append({"op": f"{name}, {n:,}", "times": H.interleaved(cases, rounds=5 if quick else 11,
                                                                               min_sample=0.02)})
    return {"rows": rows}


def section_overhead(quick: bool) -> dict[str, Any]:
    import numpy as np

    import functorch_lite as fl
    import functorch_lite.numpy as jnp

    peers = H.load_peers()
    xn = np.linspace(-1, 1, 8, dtype=np.float32)
    x = jnp.asarray(xn)
    a, b = jnp.asarray(np.float32(2.0)), jnp.asarray(np.float32(1.0))
    f = fl.jit(lambda x, a, b: jnp.tanh(x * a + b) * 0.5 + x ** 2)
    f(x, a, b)
    ex = f.lower(x, a, b)._entry.executable
    number = 200 if quick else 2000
    cases: dict[str, Any] = {
        "fl.jit (array args)": lambda: f(x, a, b),
        "fl.jit (Python scalars)": lambda: f(x, 2.0, 1.0),
        "fl lowered program only": lambda: ex.run([x, a, b]),
        "numpy eager": lambda: np.tanh(xn * np.float32(2.0) + np.float32(1.0)) * np.float32(0.5) + xn ** 2,
    }
    if peers.jax is not None:
        jf = peers.jax.jit(lambda x, a, b: peers.jnp.tanh(x * a + b) * 0.5 + x ** 2)
        xj = peers.jnp.asarray(xn)
        aj, bj = peers.jnp.asarray(np.float32(2.0)), peers.jnp.asarray(np.float32(1.0))
        jf(xj, aj, bj)
        cases["jax.jit (array args)"] = lambda: jf(xj, aj, bj)
        cases["jax.jit (Python scalars)"] = lambda: jf(xj, 2.0, 1.0)
    times = H.interleaved(cases, rounds=7 if quick else 31, number=number)
    return {"times": times, "missing": peers.missing}


def section_memory(quick: bool) -> dict[str, Any]:
    import gc
    import tracemalloc

    import numpy as np

    import functorch_lite as fl
    import functorch_lite.numpy as jnp
    from functorch_lite.ops.kernels import codegen as cg

    xn = np.random.default_rng(0).standard_normal(N).astype(np.float32)
    x = jnp.asarray(xn)
    f = fl.jit(lambda x, a, b: jnp.tanh(x * a + b) * 0.5 + x ** 2)
    f(x, 2.0, 1.0)

    def peak(fn: Any) -> int:
        cg.clear_pool()
        gc.collect()
        tracemalloc.start()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        out = fn()
        p = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
        del out
        return int(p)

    return {
        "output_bytes": int(xn.nbytes),
        "fl.jit": peak(lambda: f(x, 2.0, 1.0)),
        "numpy": peak(lambda: np.tanh(xn * np.float32(2.0) + np.float32(1.0)) * np.float32(0.5) + xn ** 2),
    }


def section_parallel(quick: bool) -> dict[str, Any]:
    import numpy as np

    import functorch_lite as fl
    import functorch_lite.numpy as jnp
    from functorch_lite.transforms import fusion

    xn = np.random.default_rng(0).standard_normal(N).astype(np.float32)
    x = jnp.asarray(xn)
    fusion.PARALLEL_MIN_ELEMENTS = 1 << 62
    fs = fl.jit(lambda x, a, b: jnp.tanh(x * a + b) * 0.5 + x ** 2)
    fs(x, 2.0, 1.0)
    fusion.PARALLEL_MIN_ELEMENTS = 1
    fp = fl.jit(lambda x, a, b: jnp.tanh(x * a + b) * 0.5 + x ** 2)
    fp(x, 2.0, 1.0)
    import numba

    times = H.interleaved({"serial": lambda: fs(x, 2.0, 1.0), "parallel (prange)": lambda: fp(x, 2.0, 1.0)},
                          rounds=5 if quick else 21)
    return {"times": times, "threads": int(numba.get_num_threads()), "layer": str(numba.threading_layer())}


_FIRST_CALL = textwrap.dedent('''
    import json, time
    t0 = time.perf_counter()
    import numpy as np
    import functorch_lite as fl
    import functorch_lite.numpy as jnp
    from functorch_lite.ops.kernels import codegen as cg
    t1 = time.perf_counter()
    x = jnp.asarray(np.linspace(-1, 1, 1000, dtype=np.float32))
    f = fl.jit(lambda x, a, b: jnp.tanh(x * a + b) * 0.5 + x ** 2)
    t2 = time.perf_counter()
    f(x, 2.0, 1.0)
    t3 = time.perf_counter()
    f(x, 2.0, 1.0)
    t4 = time.perf_counter()
    print(json.dumps(dict(cg.stats(), import_s=t1 - t0, first=t3 - t2, second=t4 - t3)))
''')


def section_compile(quick: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as d:
        env = {"FUNCTORCH_LITE_CACHE_DIR": d}
        cold = H.run_python(_FIRST_CALL, env)
        warm = H.run_python(_FIRST_CALL, env)
    return {"cold": cold, "warm": warm}


SECTIONS = {
    "chain": section_chain,
    "kept": section_kept,
    "fused": section_fused,
    "transposed": section_transposed,
    "single": section_single,
    "overhead": section_overhead,
    "memory": section_memory,
    "parallel": section_parallel,
    "compile": section_compile,
}


# --- report --------------------------------------------------------------------------------------


def _ok(ratio: float | None, target: float) -> str:
    if ratio is None:
        return "n/a"
    return "yes" if ratio <= target else "**no**"


def _impl_table(t: dict[str, float], vs_jax: float, vs_hand: float) -> list[str]:
    """The chain's table: each implementation's time, fl.jit's ratio to it and
    the targets against jax.jit and the hand-written kernel (and, for a
    ``fl eager`` row, eager over NumPy against ``TARGET_EAGER_VS_NUMPY``)."""
    rows = ["| implementation | time | fl.jit / this | target met |", "|---|---|---|---|"]
    fl_t = t["fl.jit"]
    for k, v in t.items():
        ratio = fl_t / v if v else None
        target = {"jax.jit": _ok(ratio, vs_jax), "hand-written @njit": _ok(ratio, vs_hand)}.get(k, "")
        if k == "fl eager":
            eager = v / t["numpy"] if t.get("numpy") else None
            target = f"eager / NumPy {H.fmt_ratio(eager)}: {_ok(eager, TARGET_EAGER_VS_NUMPY)}"
        rows.append(f"| {k} | {H.fmt_time(v)} | {H.fmt_ratio(ratio) if k != 'fl.jit' else ''} | {target} |")
    return rows + [""]


def report(results: dict[str, Any], quick: bool) -> str:
    lines: list[str] = []
    add = lines.append
    add("## jit: fused generated kernels\n")
    add("Produced by `python benchmarks/bench_jit.py --write` (machine as above; medians of interleaved "
        "rounds in one process). `fl.jit` runs one generated Numba kernel per fused group "
        "(transforms/fusion.py, ops/kernels/codegen.py); single-threaded unless noted.")
    stamps = ", ".join(f"{k} {v.get('measured', '?')} (load {v.get('load', float('nan')):.1f})"
                       for k, v in results.items())
    add(f"\nMeasured (start time; 1-minute load average of this 2-core machine at the section's end): {stamps}.")
    if quick:
        add("\n**Quick run: few repetitions, numbers are rough.**")
    add("")
    if "chain" in results:
        r = results["chain"]
        t = r["times"]
        add(f"### `tanh(x*a + b)*0.5 + x**2`, 10M float32 ({r['n_kernels']} kernel)\n")
        add(f"Targets: fl <= {TARGET_VS_JAX} x jax.jit, fl <= {TARGET_VS_HAND} x the hand-written kernel "
            "(same vectorised tanh, single loop, output from `np.empty` per call). fl's largest difference "
            f"from the hand-written kernel: {r['max_abs_diff_vs_hand']:.2g}. fl takes its output from a "
            "pool of recently freed buffers (the result of the previous round is dropped), so it skips the "
            "page faults a fresh 40 MB `np.empty` pays; the preallocated row is the kernel alone.\n")
        lines += _impl_table(t, TARGET_VS_JAX, TARGET_VS_HAND)
    if "kept" in results:
        t = results["kept"]["times"]
        add(f"### The same chain with the last {KEEP} results of every implementation kept alive\n")
        add(f"Targets: fl.jit <= {TARGET_KEPT_VS_HAND} x the hand-written kernel (output from `np.empty`), "
            f"<= {TARGET_KEPT_VS_JAX} x jax.jit; the chain written eagerly with `functorch_lite.numpy` <= "
            f"{TARGET_EAGER_VS_NUMPY} x NumPy. A result stays alive for 8 more calls, so no freed result is there to "
            "reuse until then (fl's buffer pool then recycles the oldest one's buffer; the hand-written kernel and "
            "NumPy allocate afresh; an eager chain's temporaries are freed at once). On these VMs a fresh page "
            "the host has not backed yet costs ~2.3 ms per MB, so absolute times here swing by 10x from run to run "
            "(DESIGN.md); compare rows of one run.\n")
        lines += _impl_table(t, TARGET_KEPT_VS_JAX, TARGET_KEPT_VS_HAND)
    if "fused" in results:
        add("### Reductions with their producers and consumers fused, 10M float32 (10000 x 1000)\n")
        add("| op | kernels | fl | NumPy | jax.jit | fl/NumPy | fl/jax | max rel. err vs NumPy |")
        add("|---|---|---|---|---|---|---|---|")
        for row in results["fused"]["rows"]:
            t = row["times"]
            j = t.get("jax.jit")
            add(f"| {row['op']} | {row['kernels']} | {H.fmt_time(t['fl.jit'])} | {H.fmt_time(t['numpy'])} "
                f"| {H.fmt_time(j)} | {H.fmt_ratio(t['fl.jit'] / t['numpy'])} "
                f"| {H.fmt_ratio(t['fl.jit'] / j if j else None)} | {row['max_rel_err']:.1e} |")
        add("")
    if "transposed" in results:
        add("### Reductions over a transposed view under jit, 4096 x 4096 float32\n")
        add("Targets: jit never slower than eager; jit <= 1.05 x NumPy (on the same `.T` view).\n")
        add("| op | fl.jit | fl eager | NumPy | jax.jit | jit/eager | jit/NumPy | jit/jax | targets met |")
        add("|---|---|---|---|---|---|---|---|---|")
        for row in results["transposed"]["rows"]:
            t = row["times"]
            j = t.get("jax.jit")
            r_e, r_n = t["fl.jit"] / t["fl eager"], t["fl.jit"] / t["numpy"]
            met = "yes" if r_e <= 1.0 and r_n <= 1.05 else "**no**"
            add(f"| {row['op']} | {H.fmt_time(t['fl.jit'])} | {H.fmt_time(t['fl eager'])} | {H.fmt_time(t['numpy'])} "
                f"| {H.fmt_time(j)} | {H.fmt_ratio(r_e)} | {H.fmt_ratio(r_n)} "
                f"| {H.fmt_ratio(t['fl.jit'] / j if j else None)} | {met} |")
        add("")
    if "single" in results:
        add("### One op alone under jit, float32\n")
        add("Target: jit never slower than eager (5 % noise allowed). Nothing fuses, so jit should take "
            "eager's time plus its call; a lone float32 `tanh`/`log`/`log2`/`log10` runs NumPy's loop "
            "(`Elementwise.alone_impl`), the others a generated kernel; NumPy allocates each output "
            "afresh, fl takes large ones from its buffer pool.\n")
        add("| op, elements | fl.jit | fl eager | NumPy | jit/eager | jit/NumPy | target met |")
        add("|---|---|---|---|---|---|---|")
        for row in results["single"]["rows"]:
            t = row["times"]
            r_e = t["fl.jit"] / t["fl eager"]
            add(f"| {row['op']} | {H.fmt_time(t['fl.jit'])} | {H.fmt_time(t['fl eager'])} | {H.fmt_time(t['numpy'])} "
                f"| {H.fmt_ratio(r_e)} | {H.fmt_ratio(t['fl.jit'] / t['numpy'])} | {_ok(r_e, 1.05)} |")
        add("")
    if "overhead" in results:
        t = results["overhead"]["times"]
        add("### Call overhead: the chain on 8 float32 elements\n")
        add(f"Target: fl.jit <= {TARGET_OVERHEAD_VS_JAX} x jax.jit. *Lowered program only* is "
            "`executable.run` (the generated runner and kernel, no argument flattening or cache lookup): "
            "the rest of `fl.jit`'s time is spent in transforms/jit.py's dispatch.\n")
        add("| call | time | vs jax.jit (same args) | target met |")
        add("|---|---|---|---|")
        for k, v in t.items():
            peer = None
            if k.startswith("fl.jit"):
                peer = t.get(k.replace("fl.jit", "jax.jit"))
            elif k == "fl lowered program only":
                peer = t.get("jax.jit (array args)")
            ratio = v / peer if peer else None
            target = _ok(ratio, TARGET_OVERHEAD_VS_JAX) if k.startswith("fl") else ""
            add(f"| {k} | {H.fmt_time(v)} | {H.fmt_ratio(ratio) if ratio else ''} | {target} |")
        add("")
    if "memory" in results:
        r = results["memory"]
        mb = 1 << 20
        add("### Peak memory of one call of the chain (10M float32, tracemalloc)\n")
        add("| implementation | peak allocated | in outputs (40 MB each) |")
        add("|---|---|---|")
        for k in ("fl.jit", "numpy"):
            add(f"| {k} | {r[k] / mb:.1f} MiB | {r[k] / r['output_bytes']:.1f} |")
        add("")
    if "parallel" in results:
        r = results["parallel"]
        t = r["times"]
        add(f"### Serial vs parallel flat loop (chain, 10M float32; {r['threads']} threads, "
            f"`{r['layer']}` layer)\n")
        add("| loop | time |")
        add("|---|---|")
        for k, v in t.items():
            add(f"| {k} | {H.fmt_time(v)} |")
        add("")
    if "compile" in results:
        r = results["compile"]
        add("### First call of the chain in a fresh interpreter\n")
        add("| kernel cache | import functorch_lite | first call | second call | compiled | loaded |")
        add("|---|---|---|---|---|---|")
        for k in ("cold", "warm"):
            v = r[k]
            if "error" in v:
                add(f"| {k} | n/a: {v['error'][:80]} | | | | |")
                continue
            add(f"| {k} | {H.fmt_time(v['import_s'])} | {H.fmt_time(v['first'])} | {H.fmt_time(v['second'])} "
                f"| {v['compiled']} | {v['loaded']} |")
        add("\nThe warm first call still pays Numba's one-time start-up (its CPU target initialises on "
            "the first compile or cache load in a process), tracing and loading the kernel.\n")
    missing: dict[str, str] = {}
    for res in results.values():
        if isinstance(res, dict):
            missing.update(res.get("missing", {}))
    if missing:
        add("Peers not measured: " + "; ".join(f"{k}: {v}" for k, v in missing.items()) + "\n")
    return "\n".join(lines)


BEGIN = "<!-- generated by benchmarks/bench_jit.py: begin -->"
END = "<!-- generated by benchmarks/bench_jit.py: end -->"


def write_results(body: str, path: Path) -> None:
    """Replace (or append) the jit block of RESULTS.md."""
    H.write_block(body, path, BEGIN, END)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sections", default=",".join(SECTIONS), help="comma-separated: " + ", ".join(SECTIONS))
    ap.add_argument("--quick", action="store_true", help="few repetitions (smoke test)")
    ap.add_argument("--write", action="store_true", help="update the jit section of benchmarks/RESULTS.md")
    ap.add_argument("--section", help=argparse.SUPPRESS)
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.section:
        print(json.dumps(SECTIONS[args.section](args.quick)))
        return
    wanted = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = set(wanted) - set(SECTIONS)
    if unknown:
        ap.error(f"unknown sections {sorted(unknown)}; choose from {list(SECTIONS)}")
    results: dict[str, Any] = {}
    stamp = time.strftime("%Y-%m-%d %H:%M")
    for s in wanted:
        print(f"running {s} ...", file=sys.stderr, flush=True)
        results[s] = H.run_self(s, {}, args.quick)
        results[s]["load"] = os.getloadavg()[0]
        results[s]["measured"] = stamp
        results[s]["quick"] = args.quick
    here = Path(__file__).resolve().parent
    if args.write:
        raw = here / "results_jit.json"
        merged: dict[str, Any] = json.loads(raw.read_text()) if raw.exists() else {}
        merged.update(results)
        raw.write_text(json.dumps(merged, indent=1) + "\n")
        results = {k: merged[k] for k in SECTIONS if k in merged}
    body = report(results, any(r.get("quick") for r in results.values()))
    print(body)
    if args.write:
        write_results(body, here / "RESULTS.md")
        print(f"wrote the jit section of {here / 'RESULTS.md'} and results_jit.json", file=sys.stderr)


if __name__ == "__main__":
    main()
