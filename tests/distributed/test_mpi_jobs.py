"""Multi-process jobs: ``mpiexec -n 2`` and ``-n 4`` on this machine (loopback
only), each rank running ``tests/distributed/_worker.py``.

A few launches check many things each (starting processes that import
functorch_lite costs about a second); every launch is bounded by a
subprocess timeout, and the collectives inside by ``init(timeout=...)``.
Skipped, with the reason, when mpi4py or ``mpiexec`` is missing (the ``mpi``
extra: ``pip install -e '.[mpi]'``).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _mpiexec() -> str | None:
    # the mpich wheel puts mpiexec beside the interpreter; a system MPI puts it on PATH
    here = Path(sys.executable).parent / "mpiexec"
    return str(here) if here.exists() else shutil.which("mpiexec")


MPIEXEC = _mpiexec()
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("mpi4py") is None or MPIEXEC is None,
    reason="needs the mpi extra (mpi4py and an mpiexec): pip install -e '.[mpi]'",
)


def launch(n: int, mode: str, tmp_path: Path, collective_timeout: float,
           limit: float) -> subprocess.CompletedProcess[str]:
    assert MPIEXEC is not None
    env = dict(os.environ, FL_TEST_TMP=str(tmp_path), FL_TEST_TIMEOUT=str(collective_timeout),
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", NUMBA_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    cmd = [MPIEXEC, "-n", str(n), sys.executable, "-m", "tests.distributed._worker", mode]
    # its own session, so that a job past its limit is ended whole: mpiexec, its proxies and every rank
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        pytest.fail(f"{' '.join(cmd)} did not finish within {limit} s (a hang the timeouts should have ended)\n"
                    f"stdout: {stdout}\nstderr: {stderr}")
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)


@pytest.mark.parametrize("n", [2, 4])
def test_collectives_gradients_and_both_training_styles(n: int, tmp_path: Path) -> None:
    out = launch(n, "checks", tmp_path, collective_timeout=60, limit=150)
    assert out.returncode == 0, f"mpiexec -n {n} failed (rc {out.returncode}):\n{out.stdout}\n{out.stderr}"
    for r in range(n):
        assert f"rank {r} of {n}: all checks passed" in out.stdout, out.stdout + out.stderr


def test_an_exception_on_one_rank_ends_the_job(tmp_path: Path) -> None:
    out = launch(2, "raise", tmp_path, collective_timeout=60, limit=60)
    assert out.returncode != 0
    assert "deliberate failure on rank 1" in out.stderr
    assert "rank 1 of 2: uncaught RuntimeError; aborting the job" in out.stderr
    assert "finished a collective" not in out.stdout


def test_a_rank_that_never_joins_a_collective_times_out_with_a_message(tmp_path: Path) -> None:
    out = launch(2, "hang", tmp_path, collective_timeout=2, limit=60)
    assert out.returncode != 0
    assert "rank 0 of 2: all_reduce(sum) of float64[3] did not complete within 2 s" in out.stderr, out.stderr
