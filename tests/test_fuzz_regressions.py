"""Regression tests for what the fuzzers found (tests/test_fuzz.py, tests/test_bad_inputs.py).

Each test is the smallest input that showed the problem, checked against
NumPy (or JAX where JAX defines the answer).  A problem not fixed yet is a
strict xfail whose reason says what is wrong, so the fix shows up as an
XPASS and the mark comes off with it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp


def _runs_within_cpu_seconds(code: str, seconds: int) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter that may spend ``seconds`` of CPU after its imports.

    CPU time, not wall time: the check does not depend on how loaded the machine is,
    and a runaway computation is killed (SIGXCPU) instead of holding a core."""
    script = textwrap.dedent("""
        import resource, numpy as np
        import functorch_lite.numpy as jnp
        used = int(resource.getrusage(resource.RUSAGE_SELF).ru_utime) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (used + {seconds}, used + {seconds} + 1))
    """).format(seconds=seconds) + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)


def test_round_with_huge_decimals_returns_promptly() -> None:
    # Found by the bad-input corpus: round computed 10**|decimals| as a Python int before comparing it
    # with the dtype's range, so decimals=10**9 hung the process.
    r = _runs_within_cpu_seconds("""
        x = np.array([1.25, -2.5, 3.0], np.float32)
        # No digits that far right: every float is already rounded (NumPy's 10.0**d is inf and gives nan).
        assert jnp.round(jnp.asarray(x), 10**8).tolist() == x.tolist()
        # That far left every finite value rounds to 0 (as documented; NumPy scales by inf and gets nan).
        assert jnp.round(jnp.asarray(x), -10**8).tolist() == [0.0, 0.0, 0.0]
        assert jnp.around(jnp.asarray(x), 10**8).tolist() == x.tolist()
        i = np.array([15, -25, 7], np.int32)
        assert jnp.round(jnp.asarray(i), -10**8).tolist() == np.round(i, -12).tolist() == [0, 0, 0]
    """, seconds=3)
    assert r.returncode == 0, f"rc {r.returncode}: {r.stderr[-1500:]}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_jit_keeps_ieee_meaning_of_adding_zero(dtype: type) -> None:
    # Found by fuzzing jit(vmap(f)): floor_divide(2, add(x, 0.0)) at x = -0.0 gave -inf, NumPy +inf.
    x = np.array([-0.0, 0.0, 1.5], dtype)
    with np.errstate(divide="ignore"):
        want_sum = x + dtype(0.0)
        want_div = np.floor_divide(dtype(2), x + dtype(0.0))
    got_sum = np.asarray(fl.jit(lambda a: jnp.add(a, 0.0))(jnp.asarray(x)))
    got_div = np.asarray(fl.jit(lambda a: jnp.floor_divide(2, jnp.add(a, 0.0)))(jnp.asarray(x)))
    np.testing.assert_array_equal(np.signbit(got_sum), np.signbit(want_sum))
    np.testing.assert_array_equal(got_div, want_div)


def test_jit_keeps_the_identities_that_are_exact() -> None:
    # The fix must keep dropping what is an identity in IEEE arithmetic: x - 0.0, x * 1, x / 1.
    x = jnp.asarray(np.array([-0.0, 0.0, np.nan, -np.inf], np.float32))
    for f in (lambda a: a - 0.0, lambda a: a * 1.0, lambda a: a / 1.0):
        got = np.asarray(fl.jit(f)(x))
        want = f(np.asarray(x))
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
@pytest.mark.parametrize("path", [
    "numpy",
    "numba",
])
@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_cumulative_ops_of_an_empty_view_with_an_offset(name: str, path: str, monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    # Found by fuzzing vmap against a loop: member 1 of a (2, 2, 0) batch is a (2, 0) view at offset 2
    # of a 0-element storage.
    from functorch_lite.ops.kernels import cumulative

    monkeypatch.setattr(cumulative, "NUMPY_BELOW", 4096 if path == "numpy" else 0)
    x = jnp.zeros((2, 2, 0))[1]
    for axis in (None, 0, 1):
        got = np.asarray(getattr(jnp, name)(x, axis=axis))
        want = getattr(np, name)(np.zeros((2, 0), np.float32), axis=axis)
        assert got.shape == want.shape and got.dtype == want.dtype
