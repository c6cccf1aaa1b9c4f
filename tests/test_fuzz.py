"""Differential fuzzer: random programs, four ways of running them, one answer.

Hypothesis draws straight-line programs of 1-12 ``functorch_lite.numpy`` calls
(tests/_fuzz_programs.py: elementwise math, broadcasting binary ops and
comparisons, ``where``, reductions with ``axis``/``keepdims``, transposes,
reshapes, ``expand_dims``/``squeeze``/``broadcast_to``, slicing with negative
steps, ``flip``, ``concatenate`` and 2-D ``matmul``) over float32, float64,
int32 and bool inputs of random shapes (0-d and 0-size included), laid out as
transposed, stepped, negative-stride and stride-0 views.  Each program is run
(a) eagerly against NumPy, with dtypes checked against JAX's promotion rules,
both through the Numba kernels and through the NumPy paths the library takes
for small inputs;
(b) under ``jit`` against eager (same dtype); (c) under ``vmap`` over a leading
batch axis against a Python loop of eager calls; and (d), for smooth float64
programs with inputs away from singularities, through ``grad`` of the sum
against central finite differences of the NumPy program.  The PyTorch-style
layer's ``backward()`` joins as a fifth way once the Tensor layer lands.

The default run is derandomized and small (reproducible in CI, few new jit
compiles).  ``pytest tests/test_fuzz.py --fuzz-long`` (or
``FUNCTORCH_LITE_FUZZ_EXAMPLES=N``) runs N random examples per mode instead.
A disagreement found this way becomes a regression test in
tests/test_fuzz_regressions.py.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import functorch_lite as fl
import functorch_lite.numpy as jnp
from tests import _fuzz_programs as fp
from tests._gradcheck import richardson_grad
from tests._kernel_paths import kernel_path

_LONG = int(os.environ.get("FUNCTORCH_LITE_FUZZ_EXAMPLES", "0"))


def _budget(default: int) -> settings:
    return settings(
        max_examples=_LONG or default, deadline=None, derandomize=not _LONG, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )


def _arrays(prog: fp.Program, member: int | None) -> list[Any]:
    """The program's inputs as functorch_lite views: batched ones whole (member None) or one member."""
    out = []
    for inp in prog.inputs:
        a = fp.build_array(fp.batched_value(inp), inp.layout)
        out.append(a[member] if (inp.batched and member is not None) else a)
    return out


def _quiet(f: Any, *args: Any) -> Any:
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return f(*args)


@pytest.mark.usefixtures("x64_off")  # a default-mode (32-bit) behaviour
@pytest.mark.parametrize("paths", ["numba", "numpy"])
@_budget(100)
@given(prog=fp.programs())
def test_eager_matches_numpy(paths: str, prog: fp.Program) -> None:
    f = fp.make_function(prog, jnp, every_step=True)
    for m in range(prog.batch):
        with kernel_path(paths):
            outs = _quiet(f, *_arrays(prog, m))
        for k, (out, (ref, tol)) in enumerate(zip(outs, fp.tolerances(prog, m))):
            assert out.dtype == ref.dtype, f"step {k}: eager dtype {out.dtype}, expected {ref.dtype}\n{prog!r}"
            fp.assert_close(out, ref, tol, f"step {k}: eager vs NumPy", prog)


@_budget(20)
@given(fp.programs(batch=False))
def test_jit_matches_eager(prog: fp.Program) -> None:
    f = fp.make_function(prog, jnp)
    args = _arrays(prog, 0)
    eager = _quiet(f, *args)
    jitted = _quiet(fl.jit(f), *args)
    assert jitted.dtype == eager.dtype, f"jit dtype {jitted.dtype}, eager {eager.dtype}\n{prog!r}"
    _, tol = fp.tolerance(prog, 0)
    fp.assert_close(jitted, np.asarray(eager), tol, "jit vs eager", prog)


@_budget(80)
@given(fp.programs())
def test_vmap_matches_loop(prog: fp.Program) -> None:
    f = fp.make_function(prog, jnp, every_step=True)
    in_axes = tuple(0 if inp.batched else None for inp in prog.inputs)
    batched = _quiet(fl.vmap(f, in_axes=in_axes), *_arrays(prog, None))
    for m in range(prog.batch):
        loop = _quiet(f, *_arrays(prog, m))
        for k, (b, one, (_, tol)) in enumerate(zip(batched, loop, fp.tolerances(prog, m))):
            assert b.shape[:1] == (prog.batch,), f"step {k}: vmap result shape {b.shape}\n{prog!r}"
            assert b.dtype == one.dtype, f"step {k}: vmap dtype {b.dtype}, eager {one.dtype}\n{prog!r}"
            fp.assert_close(b[m], np.asarray(one), tol, f"step {k}: vmap member {m} vs eager", prog)


@_budget(50)
@given(fp.programs(smooth=True, batch=False, max_ops=8))
def test_grad_matches_finite_differences(prog: fp.Program) -> None:
    f = fp.make_function(prog, jnp)
    args = _arrays(prog, 0)
    g = np.asarray(fl.grad(lambda x, *rest: jnp.sum(f(x, *rest)))(*args))
    values = [inp.members[0].astype(np.float64) for inp in prog.inputs]
    x = values[0]
    assert g.shape == x.shape and g.dtype == np.float64, f"grad {g.shape} {g.dtype} for {x.shape}\n{prog!r}"

    def total(x0: np.ndarray[Any, Any]) -> float:
        return float(np.sum(fp.oracle_eval(prog, 0, inputs=[x0, *values[1:]])[-1]))

    # Richardson: two step sizes give an O(h**4) estimate, and their disagreement the FD error
    # (large for sin(exp(exp(x))), small for everything tame).
    fd, err = richardson_grad(total, x, wrap=None)
    scale = 1.0 + abs(total(x)) + float(np.max(np.abs(fd), initial=0.0))
    fp.assert_close(g, fd, 1e-6 * np.abs(fd) + 1e-8 * scale + err, "grad vs finite differences", prog)
