"""Timing helpers for the benchmarks: interleaved medians in one process,
fresh-subprocess timings, optional peers (PyTorch, JAX) and machine facts.

Rules (see DESIGN.md, "Measuring speed on these machines"): compare
libraries within one process, interleave their runs round by round (so a
noisy neighbour hits every contender alike), report medians, and state the
machine.  Absolute times move 20-40 % between runs; ratios are what count.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


# --- interleaved timing -----------------------------------------------------------------------------


def interleaved(
    cases: dict[str, Callable[[], Any]], rounds: int, number: int = 1, warmup: int = 2,
    mins: dict[str, float] | None = None, settle: float = 0.02, min_sample: float = 0.0,
) -> dict[str, float]:
    """Median seconds per call of each case (the fastest round goes to ``mins``).

    Each round times ``number`` back-to-back calls of every case, in an order
    shuffled from round to round (seeded), so that no contender always runs
    right after the same other one.  Between cases the process sleeps
    ``settle`` seconds: thread pools of a peer (PyTorch's OpenMP, XLA's)
    keep spinning for a while after an op returns and would otherwise steal
    the CPU from whichever case runs next (measured: +4 ms on a 7 ms add).
    The garbage collector is off while timing (results are dropped at once,
    so memory is freed by reference counting as in normal use).

    ``min_sample``: time at least ``number`` calls and enough back-to-back
    calls for a sample to last about this many seconds (per case), as
    ``timeit`` does.  A single call of a few tens of microseconds right after
    the settle sleep measures the wake-up with cold caches (measured 5-10x
    the steady-state time of a 40 us NumPy expression), not the case.
    """
    counts = {}
    for name, fn in cases.items():
        for _ in range(warmup):
            fn()
        per_call = float("inf")
        for _ in range(3 if min_sample else 0):  # after the warm-up: no compiling in it
            t0 = time.perf_counter()
            fn()
            per_call = min(per_call, time.perf_counter() - t0)
        counts[name] = max(number, int(min_sample / per_call) if 0 < per_call < float("inf") else number)
    names = list(cases)
    rng = random.Random(1234)
    samples: dict[str, list[float]] = {n: [] for n in names}
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(rounds):
            order = names[:]
            rng.shuffle(order)
            for name in order:
                if settle:
                    time.sleep(settle)
                fn = cases[name]
                n = counts[name]
                t0 = time.perf_counter()
                for _ in range(n):
                    fn()
                samples[name].append((time.perf_counter() - t0) / n)
    finally:
        if was_enabled:
            gc.enable()
    if mins is not None:
        mins.update({n: min(v) for n, v in samples.items()})
    return {n: statistics.median(v) for n, v in samples.items()}


# --- subprocesses --------------------------------------------------------------------------------------


def run_python(code: str, env: dict[str, str] | None = None, timeout: float = 600) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter; it must print one JSON object last."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), full_env.get("PYTHONPATH", "")]))
    if env:
        full_env.update(env)
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=full_env, timeout=timeout, cwd=str(REPO)
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"error": " | ".join(tail) or f"exit code {proc.returncode}"}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def run_self(section: str, env: dict[str, str], quick: bool) -> dict[str, Any]:
    """Run one section of the calling script in a subprocess with ``env``
    (thread settings must be in the environment before NumPy is imported)."""
    script = Path(sys.argv[0]).resolve()
    args = [sys.executable, str(script), "--section", section, "--json"] + (["--quick"] if quick else [])
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), full_env.get("PYTHONPATH", "")]))
    full_env.update(env)
    proc = subprocess.run(args, capture_output=True, text=True, env=full_env, timeout=3600, cwd=str(REPO))
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise RuntimeError(f"section {section} failed: " + " | ".join(tail))
    result: dict[str, Any] = json.loads(lines[-1])
    return result


# --- peers ---------------------------------------------------------------------------------------------


@dataclass
class Peers:
    torch: Any = None
    jax: Any = None
    jnp: Any = None
    missing: dict[str, str] = field(default_factory=dict)


def load_peers(single_thread: bool = False, with_jax: bool = True) -> Peers:
    """Import PyTorch and JAX (CPU) if installed; a missing one is skipped
    (JAX also when ``with_jax`` is False: its thread pools disturb a 2-CPU machine)."""
    p = Peers()
    try:
        import torch

        if single_thread:
            torch.set_num_threads(1)
        p.torch = torch
    except Exception as e:  # any import failure just skips the peer
        p.missing["torch"] = f"{type(e).__name__}: {e}"
    if not with_jax:
        p.missing["jax"] = "left out (--no-jax)"
        return p
    try:
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
        import jax
        import jax.numpy as jax_np

        p.jax = jax
        p.jnp = jax_np
    except Exception as e:
        p.missing["jax"] = f"{type(e).__name__}: {e}"
    return p


SINGLE_THREAD_ENV = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMBA_NUM_THREADS": "1",
    "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
}


# --- machine ---------------------------------------------------------------------------------------------


def machine_info() -> dict[str, str]:
    info: dict[str, str] = {"python": platform.python_version(), "platform": platform.platform()}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for line in out.splitlines():
            key, _, val = line.partition(":")
            if key.strip() in ("Model name", "CPU(s)", "Thread(s) per core", "L2 cache", "L3 cache"):
                info[key.strip()] = val.strip()
    except (OSError, subprocess.SubprocessError):
        info["Model name"] = platform.processor() or "unknown"
    info["os.cpu_count"] = str(os.cpu_count())
    for mod in ("numpy", "numba", "torch", "jax", "jaxlib"):
        try:
            m = __import__(mod)
            info[mod] = str(m.__version__)
        except Exception:
            info[mod] = "not installed"
    try:
        import numpy as np

        cfg = np.show_config(mode="dicts")  # type: ignore[call-arg]
        blas = cfg["Build Dependencies"]["blas"]
        info["numpy BLAS"] = f"{blas.get('name')} {blas.get('version')}"
    except Exception:
        pass
    core = _openblas_core()
    if core:
        info["OpenBLAS kernels"] = core
    one_cpu = sys.modules.get("_one_cpu")
    if one_cpu is not None:
        info["affinity"] = one_cpu.PINNED
        if one_cpu.FORCED_CORETYPE:
            info["OpenBLAS kernels"] += f" (OPENBLAS_CORETYPE={one_cpu.FORCED_CORETYPE} dropped)"
    elif os.environ.get("OPENBLAS_CORETYPE"):
        info["OpenBLAS kernels"] = f"{core} (forced: OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']})"
    return info


def _openblas_core() -> str:
    """The kernel family NumPy's bundled OpenBLAS chose (its ``get_corename``), or ''."""
    import ctypes
    import glob

    try:
        import numpy as np

        libs = glob.glob(os.path.join(os.path.dirname(np.__file__) + ".libs", "*openblas*.so*"))
        for lib in libs:
            dll = ctypes.CDLL(lib)
            for name in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename", "openblas_get_corename"):
                fn = getattr(dll, name, None)
                if fn is not None:
                    fn.restype = ctypes.c_char_p
                    return str(fn().decode())
    except Exception:
        pass
    return ""


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def fmt_ratio(r: float | None) -> str:
    return "n/a" if r is None else f"{r:.2f}x"


# --- RESULTS.md ------------------------------------------------------------------------------------------


def write_block(body: str, path: Path, begin: str, end: str) -> None:
    """Replace (or append) the block between the ``begin``/``end`` markers of
    RESULTS.md with ``body``, leaving every other section alone."""
    block = f"{begin}\n\n{body}\n{end}"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    if begin in text and end in text:
        head, _, rest = text.partition(begin)
        _, _, tail = rest.partition(end)
        path.write_text(head + block + tail)
    else:
        path.write_text(text.rstrip("\n") + "\n\n" + block + "\n")
