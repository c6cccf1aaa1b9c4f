"""Foundation benchmarks: functorch_lite beside NumPy (and PyTorch / JAX on CPU
when they are importable), in one process, interleaved, medians.

    python benchmarks/bench_foundation.py                 # everything, print a report
    python benchmarks/bench_foundation.py --write         # ... and update benchmarks/RESULTS.md
    python benchmarks/bench_foundation.py --sections overhead --quick

Sections (each runs in its own subprocess so thread settings apply before
NumPy is imported):

- ``large``:    elementwise add/mul/exp/tanh and reductions sum/sum(axis=0)/
                sum(axis=1)/max on 10M float32, contiguous and transposed;
- ``matmul``:   1024x1024 float32, with OPENBLAS_NUM_THREADS=1 (and the other
                thread pools at 1) and with the default thread settings;
- ``overhead``: per-op cost of ``a + b`` and ``exp(a)`` on 10 elements;
- ``import``:   ``import functorch_lite`` vs ``import numba`` in fresh interpreters;
- ``firstcall``: the first call of an op in a fresh interpreter with a warm
                kernel cache, and the cold compile time per Numba kernel (a
                fresh ``FUNCTORCH_LITE_CACHE_DIR``, where every kernel is cached).

Targets (from the issue) are printed beside each ratio; misses are reported
as they are.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as H  # noqa: E402

# OpenBLAS picks its own kernels, as on a user's machine (see _one_cpu.py; this script keeps the
# thread settings of each section itself, so it does not import that module)
if not os.environ.get("FL_BENCH_KEEP_CORETYPE"):
    os.environ.pop("OPENBLAS_CORETYPE", None)

N_LARGE = (2500, 4000)  # 10M elements
N_MATMUL = 1024
N_SMALL = 10

TARGET_LARGE = 1.1  # x NumPy
TARGET_MATMUL = 1.1  # x NumPy
TARGET_OVERHEAD_TORCH = 1.0  # x PyTorch eager (issue 16; was 1.5)
TARGET_OVERHEAD_JAX = 0.25  # x JAX eager
TARGET_IMPORT = 1.5  # x import numba
TARGET_FIRST_CALL = 0.050  # seconds


# --- sections (run inside a subprocess) ------------------------------------------------------------


def _large_cases(layout: str, peers: H.Peers) -> dict[str, dict[str, Any]]:
    """op name -> {library: zero-argument call} on 10M float32 inputs."""
    import numpy as np

    import functorch_lite.numpy as jnp

    rng = np.random.default_rng(0)
    shape = N_LARGE if layout == "contiguous" else N_LARGE[::-1]
    a_np = rng.standard_normal(shape, dtype=np.float32)
    b_np = rng.standard_normal(shape, dtype=np.float32)
    a, b = jnp.asarray(a_np), jnp.asarray(b_np)
    if layout == "transposed":
        a_np, b_np, a, b = a_np.T, b_np.T, a.T, b.T
        assert not a.is_contiguous()
    ops: dict[str, dict[str, Any]] = {
        "add": {"fl": lambda: a + b, "numpy": lambda: a_np + b_np},
        "mul": {"fl": lambda: a * b, "numpy": lambda: a_np * b_np},
        "exp": {"fl": lambda: jnp.exp(a), "numpy": lambda: np.exp(a_np)},
        "tanh": {"fl": lambda: jnp.tanh(a), "numpy": lambda: np.tanh(a_np)},
        "sum": {"fl": lambda: jnp.sum(a), "numpy": lambda: np.sum(a_np)},
        "sum(axis=0)": {"fl": lambda: jnp.sum(a, axis=0), "numpy": lambda: np.sum(a_np, axis=0)},
        "sum(axis=1)": {"fl": lambda: jnp.sum(a, axis=1), "numpy": lambda: np.sum(a_np, axis=1)},
        "max": {"fl": lambda: jnp.max(a), "numpy": lambda: np.max(a_np)},
    }
    if peers.torch is not None:  # the same buffers, the same views
        torch = peers.torch
        ta = torch.from_numpy(a_np.T).T if layout == "transposed" else torch.from_numpy(a_np)
        tb = torch.from_numpy(b_np.T).T if layout == "transposed" else torch.from_numpy(b_np)
        ops["add"]["torch"] = lambda: ta + tb
        ops["mul"]["torch"] = lambda: ta * tb
        ops["exp"]["torch"] = lambda: torch.exp(ta)
        ops["tanh"]["torch"] = lambda: torch.tanh(ta)
        ops["sum"]["torch"] = lambda: ta.sum()
        ops["sum(axis=0)"]["torch"] = lambda: ta.sum(0)
        ops["sum(axis=1)"]["torch"] = lambda: ta.sum(1)
        ops["max"]["torch"] = lambda: ta.max()
    if peers.jax is not None and layout == "contiguous":  # JAX has no strided views
        xj = peers.jnp
        ja, jb = peers.jax.device_put(a_np), peers.jax.device_put(b_np)
        ops["add"]["jax"] = lambda: (ja + jb).block_until_ready()
        ops["mul"]["jax"] = lambda: (ja * jb).block_until_ready()
        ops["exp"]["jax"] = lambda: xj.exp(ja).block_until_ready()
        ops["tanh"]["jax"] = lambda: xj.tanh(ja).block_until_ready()
        ops["sum"]["jax"] = lambda: xj.sum(ja).block_until_ready()
        ops["sum(axis=0)"]["jax"] = lambda: xj.sum(ja, axis=0).block_until_ready()
        ops["sum(axis=1)"]["jax"] = lambda: xj.sum(ja, axis=1).block_until_ready()
        ops["max"]["jax"] = lambda: xj.max(ja).block_until_ready()
    return ops


def section_large(quick: bool) -> dict[str, Any]:
    import numpy as np

    peers = H.load_peers()
    rounds = 3 if quick else 15
    out: dict[str, Any] = {"rows": [], "missing": peers.missing}
    for layout in ("contiguous", "transposed"):
        ops = _large_cases(layout, peers)
        # the contenders must agree before they are timed
        for name, cases in ops.items():
            ref = cases["numpy"]()
            for lib, fn in cases.items():
                np.testing.assert_allclose(np.asarray(fn()), ref, rtol=2e-3, atol=2e-2, err_msg=f"{name} {lib}")
        for name, cases in ops.items():
            best: dict[str, float] = {}
            number = 1 if name in ("add", "mul", "exp", "tanh") else 4  # reductions take ~2 ms
            t = H.interleaved(cases, rounds=rounds, number=number, warmup=1, mins=best)
            out["rows"].append({"op": name, "layout": layout, **t, "best": best})
        del ops
    return out


def section_matmul(quick: bool) -> dict[str, Any]:
    import numpy as np

    import functorch_lite.numpy as jnp

    single = os.environ.get("OPENBLAS_NUM_THREADS") == "1"
    peers = H.load_peers(single_thread=single)
    rng = np.random.default_rng(0)
    a_np = rng.standard_normal((N_MATMUL, N_MATMUL), dtype=np.float32)
    b_np = rng.standard_normal((N_MATMUL, N_MATMUL), dtype=np.float32)
    a, b = jnp.asarray(a_np), jnp.asarray(b_np)
    cases: dict[str, Any] = {"fl": lambda: a @ b, "numpy": lambda: a_np @ b_np}
    cases_t: dict[str, Any] = {"fl": lambda: a.T @ b, "numpy": lambda: a_np.T @ b_np}
    if peers.torch is not None:
        ta, tb = peers.torch.from_numpy(a_np), peers.torch.from_numpy(b_np)
        cases["torch"] = lambda: ta @ tb
        cases_t["torch"] = lambda: ta.T @ tb
    if peers.jax is not None:
        ja, jb = peers.jax.device_put(a_np), peers.jax.device_put(b_np)
        cases["jax"] = lambda: (ja @ jb).block_until_ready()
    np.testing.assert_allclose(np.asarray(a @ b), a_np @ b_np, rtol=1e-3, atol=1e-3)
    rounds = 3 if quick else 9
    rows = []
    for name, cs in (("matmul 1024x1024", cases), ("matmul a.T @ b", cases_t)):
        best: dict[str, float] = {}
        rows.append({"op": name, **H.interleaved(cs, rounds=rounds, number=2, warmup=2, mins=best), "best": best})
    return {"rows": rows, "single_thread": single, "missing": peers.missing}


def section_overhead(quick: bool) -> dict[str, Any]:
    import numpy as np

    import functorch_lite.numpy as jnp

    peers = H.load_peers()
    a_np = np.linspace(0.0, 1.0, N_SMALL, dtype=np.float32)
    b_np = a_np[::-1].copy()
    a, b = jnp.asarray(a_np), jnp.asarray(b_np)
    ops: dict[str, dict[str, Any]] = {
        "a + b": {"fl": lambda: a + b, "numpy": lambda: a_np + b_np},
        "exp(a)": {"fl": lambda: jnp.exp(a), "numpy": lambda: np.exp(a_np)},
        "a * 2.0": {"fl": lambda: a * 2.0, "numpy": lambda: a_np * 2.0},
        "sum(a)": {"fl": lambda: jnp.sum(a), "numpy": lambda: np.sum(a_np)},
        "a[1:]": {"fl": lambda: a[1:], "numpy": lambda: a_np[1:]},
    }
    if peers.torch is not None:
        torch = peers.torch
        ta, tb = torch.from_numpy(a_np), torch.from_numpy(b_np)
        ops["a + b"]["torch"] = lambda: ta + tb
        ops["exp(a)"]["torch"] = lambda: torch.exp(ta)
        ops["a * 2.0"]["torch"] = lambda: ta * 2.0
        ops["sum(a)"]["torch"] = lambda: torch.sum(ta)
        ops["a[1:]"]["torch"] = lambda: ta[1:]
    if peers.jax is not None:
        xj = peers.jnp
        ja, jb = peers.jax.device_put(a_np), peers.jax.device_put(b_np)
        ops["a + b"]["jax"] = lambda: (ja + jb).block_until_ready()
        ops["exp(a)"]["jax"] = lambda: xj.exp(ja).block_until_ready()
        ops["a * 2.0"]["jax"] = lambda: (ja * 2.0).block_until_ready()
        ops["sum(a)"]["jax"] = lambda: xj.sum(ja).block_until_ready()
        ops["a[1:]"]["jax"] = lambda: ja[1:].block_until_ready()
    rounds, number = (5, 300) if quick else (21, 2000)
    rows = []
    for name, cases in ops.items():
        best: dict[str, float] = {}
        rows.append({"op": name, **H.interleaved(cases, rounds=rounds, number=number, warmup=200, mins=best),
                     "best": best})
    return {"rows": rows, "missing": peers.missing}


_IMPORT_CODE = """
import json, time
t0 = time.perf_counter()
import {mod}
t1 = time.perf_counter()
print(json.dumps({{"t": t1 - t0}}))
"""


def section_import(quick: bool) -> dict[str, Any]:
    mods = ["numpy", "numba", "functorch_lite"]
    reps = 3 if quick else 9
    samples: dict[str, list[float]] = {m: [] for m in mods}
    errors: dict[str, str] = {}
    for r in range(reps):
        for m in mods[r % len(mods):] + mods[: r % len(mods)]:
            res = H.run_python(_IMPORT_CODE.format(mod=m))
            if "error" in res:
                errors[m] = res["error"]
            else:
                samples[m].append(res["t"])
    med = {m: statistics.median(v) if v else None for m, v in samples.items()}
    return {"median": med, "samples": samples, "errors": errors, "reps": reps}


# Ops whose first call is timed in a fresh interpreter.  ``setup`` builds the
# inputs (not timed); ``op`` is the call.  Ops that do not exist yet report
# their error instead of a time.
FIRST_CALL_OPS: dict[str, tuple[str, str]] = {
    "a + b (float32)": ("a = jnp.ones(10); b = jnp.ones(10)", "a + b"),
    "exp(a)": ("a = jnp.ones(10)", "jnp.exp(a)"),
    "sum(a, axis=0)": ("a = jnp.ones((4, 5))", "jnp.sum(a, axis=0)"),
    "cumsum (int32)": ("a = jnp.arange(10)", "jnp.cumsum(a)"),
    "gather a[idx]": ("a = jnp.arange(10.0); i = jnp.array([3, 1, 4])", "a[i]"),
    "scatter a.at[idx].add": ("a = jnp.zeros(10); i = jnp.array([3, 1, 4])", "a.at[i].add(1.0)"),
    "searchsorted": ("a = jnp.arange(10.0); v = jnp.array([2.5, 7.0])", "jnp.searchsorted(a, v)"),
    "matmul (int32)": ("a = jnp.ones((8, 8), dtype=jnp.int32)", "a @ a"),
    "matmul (float32)": ("a = jnp.ones((8, 8))", "a @ a"),
}

_FIRST_CALL_CODE = """
import json, sys, time
t0 = time.perf_counter()
import functorch_lite.numpy as jnp
t1 = time.perf_counter()
init = None
if {preinit}:
    # pay Numba's one-time start-up (LLVM, type system) on a throwaway function first,
    # so that the op's first call shows only its own kernels' compile or cache load
    import numba
    @numba.njit(cache=False)
    def _throwaway(x):
        return x + 1
    ti = time.perf_counter()
    _throwaway(1)
    init = time.perf_counter() - ti
{setup}
t2 = time.perf_counter()
r = {op}
t3 = time.perf_counter()
r = {op}
t4 = time.perf_counter()
hits = misses = 0
for name, mod in list(sys.modules.items()):
    if not name.startswith("functorch_lite"):
        continue
    for obj in list(vars(mod).values()):
        st = getattr(obj, "stats", None)
        if st is not None and hasattr(st, "cache_hits") and hasattr(obj, "py_func"):
            hits += sum(st.cache_hits.values())
            misses += sum(st.cache_misses.values())
print(json.dumps({{"import": t1 - t0, "first": t3 - t2, "second": t4 - t3, "hits": hits, "misses": misses,
                  "init": init}}))
"""


def _median(rows: list[dict[str, Any]], key: str) -> float | None:
    vals = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def section_firstcall(quick: bool) -> dict[str, Any]:
    """Per op, in fresh interpreters: ``cold`` runs start from an empty Numba
    cache directory (each its own), ``warm`` runs share one that a cold run
    filled.  ``plain`` runs time the op's first call as a user sees it;
    ``preinit`` runs pay Numba's one-time start-up on a throwaway function
    first, so the first call shows only the op's own compile / cache load."""
    warm_reps, cold_reps = (3, 1) if quick else (7, 3)
    rows = []
    for name, (setup, op) in FIRST_CALL_OPS.items():
        plain = _FIRST_CALL_CODE.format(setup=setup, op=op, preinit=False)
        pre = _FIRST_CALL_CODE.format(setup=setup, op=op, preinit=True)
        cold: list[dict[str, Any]] = []
        for _ in range(cold_reps):
            with tempfile.TemporaryDirectory(prefix="fl-numba-cache-") as cache:
                cold.append(H.run_python(pre, {"NUMBA_CACHE_DIR": cache, "FUNCTORCH_LITE_CACHE_DIR": cache}))
        with tempfile.TemporaryDirectory(prefix="fl-numba-cache-") as cache:
            env = {"NUMBA_CACHE_DIR": cache, "FUNCTORCH_LITE_CACHE_DIR": cache}
            H.run_python(plain, env)  # fill the cache
            warm: list[dict[str, Any]] = []
            warm_pre: list[dict[str, Any]] = []
            for _ in range(warm_reps):  # interleaved
                warm.append(H.run_python(plain, env))
                warm_pre.append(H.run_python(pre, env))
        errors = [r["error"] for r in cold + warm + warm_pre if "error" in r]
        if errors:
            rows.append({"op": name, "error": errors[0]})
            continue
        compiled = max(r["misses"] for r in cold)
        cold_first = _median(cold, "first")
        load_first = _median(warm_pre, "first")
        rows.append({
            "op": name,
            "first_warm": _median(warm, "first"),
            "second_warm": _median(warm, "second"),
            "import_warm": _median(warm, "import"),
            "kernels_compiled": compiled,
            "kernels_loaded_warm": max(r["hits"] for r in warm),
            "first_warm_after_init": load_first,
            "first_cold_after_init": cold_first,
            "compile_per_kernel": cold_first / compiled if compiled and cold_first is not None else None,
            "numba_init": _median(cold + warm_pre, "init"),
        })
    return {"rows": rows, "warm_reps": warm_reps, "cold_reps": cold_reps}


SECTION_ORDER = ("large", "matmul_1t", "matmul_default", "overhead", "import", "firstcall")

SECTIONS = {
    "large": section_large,
    "matmul": section_matmul,
    "overhead": section_overhead,
    "import": section_import,
    "firstcall": section_firstcall,
}


# --- report ----------------------------------------------------------------------------------------------


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _ok(r: float | None, target: float) -> str:
    if r is None:
        return "n/a"
    return "yes" if r <= target else "**no**"


def report(results: dict[str, Any], info: dict[str, str], quick: bool) -> str:
    lines: list[str] = []
    add = lines.append
    add("## Machine\n")
    add("| | |\n|---|---|")
    for k, v in info.items():
        add(f"| {k} | {v} |")
    add("")
    add("Times are medians of interleaved rounds in one process (`benchmarks/_harness.py`); "
        "`fl` is functorch_lite. Ratios are fl time / peer time (below 1 means fl is faster); targets are "
        "judged on medians. The *best rounds* ratio compares each contender's fastest round, which "
        "neighbours' jobs disturb least."
        + (" **Quick mode: few repetitions.**" if quick else ""))
    add("")

    stamps = {k: v.get("measured", "?") for k, v in results.items() if isinstance(v, dict)}
    if stamps:
        add("Measured (start time; 1-minute load average of this 2-core machine at the section's end, "
            "from other jobs sharing it): "
            + ", ".join(f"{k} {v} (load {results[k].get('load', float('nan')):.1f})" for k, v in stamps.items())
            + ".\n")

    if "large" in results:
        res = results["large"]
        add("## Large elementwise and reductions (10M float32, shape (2500, 4000))\n")
        add(f"Target: fl <= {TARGET_LARGE} x NumPy. Transposed inputs are `.T` views of (4000, 2500) "
            "buffers (PyTorch likewise); JAX has no strided views, so it runs the contiguous case only. "
            "PyTorch may use both cores here; NumPy and fl use one.\n")
        add("| op | layout | fl | NumPy | PyTorch | JAX | fl/NumPy | target met | fl/NumPy, best rounds |")
        add("|---|---|---|---|---|---|---|---|---|")
        for row in res["rows"]:
            r = _ratio(row.get("fl"), row.get("numpy"))
            best = row.get("best", {})
            add(f"| {row['op']} | {row['layout']} | {H.fmt_time(row.get('fl'))} | {H.fmt_time(row.get('numpy'))} "
                f"| {H.fmt_time(row.get('torch'))} | {H.fmt_time(row.get('jax'))} | {H.fmt_ratio(r)} "
                f"| {_ok(r, TARGET_LARGE)} | {H.fmt_ratio(_ratio(best.get('fl'), best.get('numpy')))} |")
        add("")

    for key, title in (("matmul_1t", "OPENBLAS_NUM_THREADS=1 (all thread pools at 1)"),
                       ("matmul_default", "default thread settings")):
        if key not in results:
            continue
        res = results[key]
        add(f"## Matmul 1024x1024 float32, {title}\n")
        if "error" in res:
            add(f"Not measured: {res['error']}\n")
            continue
        add(f"Target: fl <= {TARGET_MATMUL} x NumPy.\n")
        add("| op | fl | NumPy | PyTorch | JAX | fl/NumPy | target met | fl/NumPy, best rounds |")
        add("|---|---|---|---|---|---|---|---|")
        for row in res["rows"]:
            r = _ratio(row.get("fl"), row.get("numpy"))
            best = row.get("best", {})
            add(f"| {row['op']} | {H.fmt_time(row.get('fl'))} | {H.fmt_time(row.get('numpy'))} "
                f"| {H.fmt_time(row.get('torch'))} | {H.fmt_time(row.get('jax'))} | {H.fmt_ratio(r)} "
                f"| {_ok(r, TARGET_MATMUL)} | {H.fmt_ratio(_ratio(best.get('fl'), best.get('numpy')))} |")
        add("")

    if "overhead" in results:
        res = results["overhead"]
        add(f"## Per-op overhead ({N_SMALL}-element float32)\n")
        add(f"Targets: fl <= {TARGET_OVERHEAD_TORCH} x PyTorch eager and <= {TARGET_OVERHEAD_JAX} x JAX eager "
            "(JAX timed with `block_until_ready()`). Only the first two rows have targets; "
            "the others are for information.\n")
        add("| op | fl | NumPy | PyTorch | JAX | fl/NumPy | fl/PyTorch | fl/JAX | targets met "
            "| best rounds: fl/PyTorch, fl/JAX |")
        add("|---|---|---|---|---|---|---|---|---|---|")
        for i, row in enumerate(res["rows"]):
            rn = _ratio(row.get("fl"), row.get("numpy"))
            rt = _ratio(row.get("fl"), row.get("torch"))
            rj = _ratio(row.get("fl"), row.get("jax"))
            best = row.get("best", {})
            met = f"torch: {_ok(rt, TARGET_OVERHEAD_TORCH)}, jax: {_ok(rj, TARGET_OVERHEAD_JAX)}" if i < 2 else "-"
            add(f"| {row['op']} | {H.fmt_time(row.get('fl'))} | {H.fmt_time(row.get('numpy'))} "
                f"| {H.fmt_time(row.get('torch'))} | {H.fmt_time(row.get('jax'))} | {H.fmt_ratio(rn)} "
                f"| {H.fmt_ratio(rt)} | {H.fmt_ratio(rj)} | {met} "
                f"| {H.fmt_ratio(_ratio(best.get('fl'), best.get('torch')))}, "
                f"{H.fmt_ratio(_ratio(best.get('fl'), best.get('jax')))} |")
        add("")

    if "import" in results:
        res = results["import"]
        med = res["median"]
        r = _ratio(med.get("functorch_lite"), med.get("numba"))
        add(f"## Import time (fresh interpreter, median of {res['reps']})\n")
        add(f"Target: `import functorch_lite` <= {TARGET_IMPORT} x `import numba`.\n")
        add("| import | median | samples |")
        add("|---|---|---|")
        for m, v in med.items():
            samples = ", ".join(f"{s * 1e3:.0f}" for s in res["samples"][m])
            add(f"| {m} | {H.fmt_time(v)} | {samples} ms |")
        add(f"\nfunctorch_lite / numba = {H.fmt_ratio(r)} (target met: {_ok(r, TARGET_IMPORT)})\n")
        for m, e in res.get("errors", {}).items():
            add(f"- {m}: error {e}")

    if "firstcall" in results:
        res = results["firstcall"]
        add("## First call of an op in a fresh interpreter\n")
        add(f"Target: first call with a warm Numba cache <= {TARGET_FIRST_CALL * 1e3:.0f} ms. "
            f"*Warm*: median of {res['warm_reps']} fresh interpreters sharing a Numba cache directory "
            "filled by an earlier run; the first call is timed as a user sees it, after `import` and "
            "input set-up. *After Numba init*: the same, but Numba's one-time start-up was paid first "
            "on a throwaway `@njit` function (its time is the last column), so the first call shows only "
            f"loading the op's kernels from the cache (warm) or compiling them (cold: median of "
            f"{res['cold_reps']} runs, each with an empty `FUNCTORCH_LITE_CACHE_DIR`). "
            "Compile per kernel = cold first call after init / kernels compiled.\n")
        add("| op | first call (warm cache) | target met | second call | kernels | "
            "warm, after Numba init | cold, after Numba init | compile per kernel | Numba init |")
        add("|---|---|---|---|---|---|---|---|---|")
        for row in res["rows"]:
            if "error" in row:
                add(f"| {row['op']} | n/a: {row['error'][:90]} | n/a | | | | | | |")
                continue
            add(f"| {row['op']} | {H.fmt_time(row['first_warm'])} | {_ok(row['first_warm'], TARGET_FIRST_CALL)} "
                f"| {H.fmt_time(row['second_warm'])} | {row['kernels_compiled']} "
                f"| {H.fmt_time(row['first_warm_after_init'])} | {H.fmt_time(row['first_cold_after_init'])} "
                f"| {H.fmt_time(row['compile_per_kernel'])} | {H.fmt_time(row['numba_init'])} |")
        add("")

    missing: dict[str, str] = {}
    for res in results.values():
        if isinstance(res, dict):
            missing.update(res.get("missing", {}))
    if missing:
        add("## Peers not measured\n")
        for k, v in missing.items():
            add(f"- {k}: {v}")
        add("")
    return "\n".join(lines)


BEGIN = "<!-- generated by benchmarks/bench_foundation.py: begin -->"
END = "<!-- generated by benchmarks/bench_foundation.py: end -->"


def write_results(body: str, path: Path) -> None:
    """Replace the generated block of RESULTS.md, keeping any notes around it."""
    block = f"{BEGIN}\n\n{body}\n{END}"
    if path.exists():
        text = path.read_text()
        if BEGIN in text and END in text:
            head, _, rest = text.partition(BEGIN)
            _, _, tail = rest.partition(END)
            path.write_text(head + block + tail)
            return
    path.write_text("# Benchmark results\n\n" + textwrap.dedent("""\
        Produced by `python benchmarks/bench_foundation.py --write`.

        """) + block + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sections", default=",".join(SECTIONS), help="comma-separated: " + ", ".join(SECTIONS))
    ap.add_argument("--quick", action="store_true", help="few repetitions (smoke test)")
    ap.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    ap.add_argument("--section", help=argparse.SUPPRESS)  # internal: run one section here
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
        if s == "matmul":
            results["matmul_1t"] = H.run_self("matmul", H.SINGLE_THREAD_ENV, args.quick)
            results["matmul_default"] = H.run_self("matmul", {}, args.quick)
        else:
            results[s] = H.run_self(s, {}, args.quick)
        load = os.getloadavg()[0]
        for k in ("matmul_1t", "matmul_default") if s == "matmul" else (s,):
            results[k]["load"] = load
    for res in results.values():
        res["measured"] = stamp
        res["quick"] = args.quick
    here = Path(__file__).resolve().parent
    if args.write:
        # merge with the sections measured earlier, so one section can be rerun alone
        raw = here / "results.json"
        merged: dict[str, Any] = json.loads(raw.read_text()) if raw.exists() else {}
        merged.update(results)
        raw.write_text(json.dumps(merged, indent=1) + "\n")
        results = {k: merged[k] for k in SECTION_ORDER if k in merged}
    body = report(results, H.machine_info(), any(r.get("quick") for r in results.values()))
    print(body)
    if args.write:
        write_results(body, here / "RESULTS.md")
        print(f"wrote {here / 'RESULTS.md'} and results.json", file=sys.stderr)


if __name__ == "__main__":
    main()
