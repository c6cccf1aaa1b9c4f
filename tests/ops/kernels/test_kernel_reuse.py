"""One generated kernel per fused structure, not per shape, and a bounded
in-memory kernel cache.

- literals that are not worth a literal in the source (a mean's divisor,
  any "ordinary" constant such as 0.3 or 1e-5) are runtime parameters of
  the kernel: one compiled kernel serves every shape of a jit'd mean;
- the values stay NumPy's for several shapes, dtypes, under jit and vmap;
- the few values the source does specialise on (0.5, 2, ...) stay literals;
- the in-memory kernel cache evicts its least recently used kernel past
  ``kernel_cache.MAX_KERNELS``, dropping its module, while holders can still run it.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite.ops.kernels import fused_desc as fd
from functorch_lite.ops.kernels import kernel_cache as kc
from functorch_lite.ops.kernels.fused_source import kernel_source
from functorch_lite.transforms import fusion_group, fusion_plan

# the divisor is never one of the inlined values, and (n, 2) arrays have at least
# fusion_plan.INNER_SPECIALISE_MIN elements: shorter inner loops take the other of the two layout
# kernels (inner stride baked in or not), which is a choice of structure, not of shape
ROWS = [8, 13, 21, 34, 55, 89, 144, 233]


def _record_sources(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    seen: set[str] = set()
    real = kc.get_kernel

    def spy(source: str) -> kc.Kernel:
        seen.add(source)
        return real(source)

    monkeypatch.setattr(kc, "get_kernel", spy)
    return seen


@pytest.mark.parametrize("axis", [0, None])
def test_mean_one_kernel_for_every_shape(monkeypatch: pytest.MonkeyPatch, axis: Any) -> None:
    assert min(ROWS) * 2 >= fusion_plan.INNER_SPECIALISE_MIN
    seen = _record_sources(monkeypatch)
    f = fl.jit(lambda x: jnp.mean(x, axis=axis))
    before = kc.stats()["kernels"]
    rng = np.random.default_rng(0)
    for n in ROWS + [n + 100 for n in ROWS] + [1000, 1001, 1002, 1003]:  # 20 shapes
        x = rng.standard_normal((n, 2)).astype(np.float32)
        np.testing.assert_allclose(np.asarray(f(jnp.asarray(x))), x.mean(axis=axis), rtol=2e-6, atol=1e-7)
    assert len(seen) == 1, f"{len(seen)} distinct kernels for one structure"
    assert kc.stats()["kernels"] - before <= 1


def test_mean_source_takes_the_divisor_as_a_parameter() -> None:
    text = fl.jit(lambda x: jnp.mean(x, axis=0)).lower(jnp.ones((7, 2), jnp.float32)).as_text()
    kernel = text.split("# kernel 0 (as compiled")[1]
    assert "L0" in kernel.split("def kernel(")[1].split(")")[0]
    assert "7.0" not in kernel  # the divisor is passed, not written in


def test_special_constants_stay_literals() -> None:
    text = fl.jit(lambda x: jnp.tanh(x * 0.3 + 1e-5) * 0.5 + x ** 2).lower(jnp.ones(8, jnp.float32)).as_text()
    kernel = text.split("# kernel 0 (as compiled")[1]
    assert "np.float32(0.5)" in kernel and "(x0 * x0)" in kernel
    assert "0.3" not in kernel and "L0" in kernel and "L1" in kernel
    assert "L2" not in kernel  # pow's exponent is specialised on, not passed


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return np.asarray(e / e.sum(axis=axis, keepdims=True))


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_values_over_shapes(dt: Any) -> None:
    rtol = 2e-5 if dt == np.float32 else 1e-12
    fns = {
        "mean": (fl.jit(lambda x: jnp.mean(x, axis=1)), lambda x: x.mean(axis=1)),
        "var": (fl.jit(lambda x: jnp.var(x, axis=0)), lambda x: x.var(axis=0)),
        "var_ddof": (fl.jit(lambda x: jnp.var(x, ddof=1)), lambda x: x.var(ddof=1)),
        "softmax": (fl.jit(lambda x: jnp.softmax(x, axis=-1)), lambda x: _softmax(x, -1)),
        "chain": (fl.jit(lambda x: jnp.tanh(x * 0.3 + 1e-5) * 0.7 - x / 3.0),
                  lambda x: np.tanh(x * dt(0.3) + dt(1e-5)) * dt(0.7) - x / dt(3.0)),
    }
    rng = np.random.default_rng(1)
    for shape in [(3, 4), (5, 7), (17, 3), (4, 40)]:
        x = rng.standard_normal(shape).astype(dt)
        for name, (f, ref) in fns.items():
            got = np.asarray(f(jnp.asarray(x)))
            want = ref(x)
            assert got.dtype == want.dtype, (name, shape)
            np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol, err_msg=f"{name} {shape}")


def test_integer_parameters_keep_their_dtype() -> None:
    # int8 arithmetic wraps as NumPy's: the passed constant is typed int8, not a Python int
    f = fl.jit(lambda x: x * jnp.int8(3) + jnp.int8(7))
    for n in (5, 9):
        x = np.arange(-n, n, dtype=np.int8) * np.int8(9)
        got = np.asarray(f(jnp.asarray(x)))
        assert got.dtype == np.int8
        np.testing.assert_array_equal(got, x * np.int8(3) + np.int8(7))


def test_vmap_under_jit_over_shapes(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _record_sources(monkeypatch)
    f = fl.jit(fl.vmap(lambda r: jnp.mean(r * 0.3 + 1e-5)))
    rng = np.random.default_rng(2)
    for n in [n for n in ROWS if n >= fusion_plan.INNER_SPECIALISE_MIN]:  # the reduced loop is innermost
        x = rng.standard_normal((4, n)).astype(np.float32)
        want = (x * np.float32(0.3) + np.float32(1e-5)).mean(axis=1)
        np.testing.assert_allclose(np.asarray(f(jnp.asarray(x))), want, rtol=2e-5, atol=1e-6)
    assert len(seen) == 1


def test_inline_rule() -> None:
    f32 = np.dtype(np.float32)
    for v in (0.0, -0.0, 1.0, -1.0, 2.0, 0.5, float("inf"), float("nan")):
        assert fusion_group.inline_literal(v, f32)
    for v in (0.3, 1e-5, 3.0, 7.0, 1000.0):
        assert not fusion_group.inline_literal(v, f32)
    assert fusion_group.inline_literal(True, np.dtype(np.bool_))
    assert not fusion_group.inline_literal(5, np.dtype(np.int32))


def _tiny_source(expr: str) -> str:
    f64 = np.dtype("float64")
    nodes = (fd.Node("x0", f64, "in"), fd.Node("v1", f64, "op", ("x0",), expr))
    return kernel_source(fd.KernelDesc(nodes, ("x0",), ("v1",)), fd.LoopNest(1, (False,), flat=True))


def test_lru_bound_evicts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kc, "_kernels", OrderedDict())
    monkeypatch.setattr(kc, "MAX_KERNELS", 2)
    srcs = [_tiny_source(e) for e in ("(x0 * x0)", "(x0 + x0)", "(x0 - x0)")]
    k0 = kc.get_kernel(srcs[0])
    kc.get_kernel(srcs[1])
    assert kc.get_kernel(srcs[0]) is k0  # a hit: srcs[0] is now the most recently used
    k2 = kc.get_kernel(srcs[2])
    assert list(kc._kernels) == [srcs[0], srcs[2]]
    assert kc.stats()["kernels"] == 2
    x = np.arange(4.0)
    out = np.empty(4)
    k2(4, x, 0, out)
    np.testing.assert_array_equal(out, x - x)
    k1_again = kc.get_kernel(srcs[1])  # loaded again; evicts srcs[0]
    assert srcs[0] not in kc._kernels and k0.module.__name__ not in sys.modules
    k0(4, x, 0, out)  # a holder of an evicted kernel can still run it
    np.testing.assert_array_equal(out, x * x)
    k1_again(4, x, 0, out)
    np.testing.assert_array_equal(out, x + x)


def test_max_kernels_env_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUNCTORCH_LITE_MAX_KERNELS", "lots")
    with pytest.raises(ValueError, match="FUNCTORCH_LITE_MAX_KERNELS"):
        kc._max_kernels()
    monkeypatch.setenv("FUNCTORCH_LITE_MAX_KERNELS", "64")
    assert kc._max_kernels() == 64
