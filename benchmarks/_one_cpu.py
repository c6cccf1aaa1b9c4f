"""One thread per library, on one CPU.  Every benchmark imports this module
first, before NumPy, PyTorch or JAX load.

- The thread-count variables are set to 1 for OpenBLAS, OpenMP (PyTorch),
  MKL and Numba; spin-waiting pools collapse on a shared 2-core machine
  (DESIGN.md, "Measuring speed on these machines").
- The process is pinned to one CPU.  JAX 0.10's CPU runtime does not honour
  ``XLA_FLAGS=--xla_cpu_multi_thread_eigen=false
  intra_op_parallelism_threads=1``: a jitted 128x1024 @ 1024x1024 float32
  matmul measured 1.41 ms of CPU time per 0.76 ms of wall time, so JAX
  used both cores while every other library used one.  Threads inherit the
  affinity, so pinning before the peers import binds them all.
- A forced ``OPENBLAS_CORETYPE`` is dropped before NumPy loads its
  OpenBLAS, so that OpenBLAS picks its kernels for this CPU as it does on a
  user's machine.  This workplace's machines set ``OPENBLAS_CORETYPE=Haswell``
  (AVX2 kernels) on CPUs with AVX-512: NumPy's single-thread sgemm then runs at
  ~105 GFLOP/s instead of ~170.  Set ``FL_BENCH_KEEP_CORETYPE=1`` to keep it;
  ``machine_info()`` reports the kernels in use either way.

``FL_BENCH_CPU`` picks the CPU (default: the lowest one this process may use);
``FL_BENCH_CPU=all`` leaves the affinity alone.
"""

from __future__ import annotations

import os

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
for _var in THREAD_VARS:
    os.environ[_var] = "1"
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

FORCED_CORETYPE = None if os.environ.get("FL_BENCH_KEEP_CORETYPE") else os.environ.pop("OPENBLAS_CORETYPE", None)


def _pin() -> str:
    want = os.environ.get("FL_BENCH_CPU", "")
    if want == "all" or not hasattr(os, "sched_setaffinity"):
        return "not pinned"
    cpu = int(want) if want else min(os.sched_getaffinity(0))
    # every thread already running (none should be, this early) and, by inheritance, every later one
    for tid in os.listdir("/proc/self/task") if os.path.isdir("/proc/self/task") else ["0"]:
        os.sched_setaffinity(int(tid), {cpu})
    return f"pinned to CPU {cpu}"


PINNED = _pin()
