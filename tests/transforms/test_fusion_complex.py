"""jit fuses complex elementwise chains (and the wide unsigned dtypes) into
generated kernels, with eager's values, special values included; complex
reductions and the ops whose Numba form could differ from NumPy's at special
values (division, abs, transcendental functions) run their impls.

A complex product may differ from eager's in the last bit relative to its
magnitude: NumPy's SIMD loop computes ``ac - bd`` with a fused multiply-add
(``(1e30+1e30j)**2`` has real part -8.8e43 there, exactly 0 in the fused
loop), so values are compared to within an ulp of the magnitude, and nan/inf
patterns exactly."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite.transforms import jit as jit_mod

SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, np.inf, -np.inf, np.nan, 3e7]  # 3e7**4 fits float32
Z = np.array([complex(a, b) for a in SPECIAL for b in SPECIAL])


def _chain(a: Any, b: Any) -> list[Any]:
    return [a * b + a, a - b * 2.0, jnp.conj(a) * (1 + 2j), jnp.real(a) + jnp.imag(b), a == b, jnp.isnan(a),
            (a * a) ** 2, jnp.real(a).astype(b.dtype) * b, jnp.where(jnp.real(a) > 0, a, b)]


def _close(e: np.ndarray[Any, Any], j: np.ndarray[Any, Any], what: str) -> None:
    assert e.dtype == j.dtype, what
    if e.dtype.kind != "c":
        np.testing.assert_array_equal(e, j, err_msg=what)
        return
    for part in (np.real, np.imag):
        pe, pj = part(e), part(j)
        np.testing.assert_array_equal(np.isnan(pe), np.isnan(pj), err_msg=what)
        np.testing.assert_array_equal(np.isinf(pe) * np.sign(pe), np.isinf(pj) * np.sign(pj), err_msg=what)
    fin = np.isfinite(e) & np.isfinite(j)
    eps = np.finfo(e.real.dtype).eps
    with np.errstate(all="ignore"):
        bad = np.abs(e - j) > 4 * eps * np.maximum(np.abs(e), np.abs(j))
    assert not (bad & fin).any(), (what, e[bad & fin], j[bad & fin])


def _fused_kernels(f: Any, *args: Any) -> int:
    text = jit_mod.jit(f).lower(*args).as_text()
    return text.count("# kernel") and sum("fused" in line for line in text.splitlines() if "# kernel" in line)


@pytest.mark.parametrize("dt", [np.complex64, np.complex128], ids=lambda d: np.dtype(d).name)
def test_complex_chain_jit_equals_eager(dt: Any) -> None:
    a, b = jnp.asarray(Z.astype(dt)), jnp.asarray(Z[::-1].astype(dt))
    with np.errstate(all="ignore"):
        eager = _chain(a, b)
        jitted = fl.jit(_chain)(a, b)
    for k, (e, j) in enumerate(zip(eager, jitted)):
        _close(np.asarray(e), np.asarray(j), f"output {k}")
    assert _fused_kernels(_chain, a, b) >= 1


def test_complex_fusion_keeps_division_abs_exp_and_sums_exact() -> None:
    a = jnp.asarray(Z)
    b = jnp.asarray(Z[::-1])

    def f(x: Any, y: Any) -> Any:
        return x / y, jnp.abs(x), jnp.exp(x), jnp.sum(x * y), jnp.sqrt(x)

    with np.errstate(all="ignore"):
        want = [np.asarray(v) for v in f(a, b)]
        got = [np.asarray(v) for v in fl.jit(f)(a, b)]
    for k, (w, g) in enumerate(zip(want, got)):
        _close(w, g, f"output {k}")


def test_complex_literal_is_a_runtime_parameter_one_kernel_for_many_values() -> None:
    x = jnp.asarray(np.arange(8) * (1 - 0.5j))
    outs = [fl.jit(lambda v, c=c: v * c + 1.0)(x) for c in (0.3 + 1j, 2j, -1.5 + 0.25j)]
    for c, o in zip((0.3 + 1j, 2j, -1.5 + 0.25j), outs):
        np.testing.assert_allclose(np.asarray(o), np.asarray(x) * c + 1.0, rtol=1e-15)


@pytest.mark.parametrize("dt", [np.uint16, np.uint32, np.uint64], ids=lambda d: np.dtype(d).name)
def test_wide_unsigned_chains_fuse_and_wrap_like_numpy(dt: Any) -> None:
    top = np.iinfo(dt).max
    a = np.array([0, 1, 5, top, top - 3], dt)
    b = np.array([7, 0, 2, 3, top], dt)

    def f(x: Any, y: Any) -> Any:
        return (x * y + x) ^ (y - x), jnp.maximum(x, y) & 0xFF, jnp.sum(x * 3)

    with np.errstate(all="ignore"):
        want = [a * b + a ^ (b - a), np.maximum(a, b) & dt(0xFF), np.sum(a * dt(3), dtype=np.uint64)]
    got = fl.jit(f)(jnp.asarray(a), jnp.asarray(b))
    for w, g in zip(want, got):
        g = np.asarray(g)
        np.testing.assert_array_equal(g, w)
        assert g.dtype == np.asarray(w).dtype
    assert _fused_kernels(f, jnp.asarray(a), jnp.asarray(b)) >= 1
