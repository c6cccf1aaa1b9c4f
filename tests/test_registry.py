"""Every registered op against NumPy, over drawn shapes, dtypes and layouts."""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given

from functorch_lite import core
from functorch_lite.core import Tracer
from tests.registry import REGISTRY, OpEntry, load_all
from tests.strategies import fl_view

load_all()

def assert_matches(out: Any, expected: Any, e: OpEntry) -> None:
    if isinstance(expected, (tuple, list)):
        assert isinstance(out, (tuple, list)) and len(out) == len(expected)
        for o, x in zip(out, expected):
            assert_matches(o, x, e)
        return
    assert not isinstance(out, Tracer)
    exp = np.asarray(expected)
    got = np.asarray(out)
    assert got.shape == exp.shape, f"{e.name}: shape {got.shape} != NumPy's {exp.shape}"
    if e.check_dtype:
        assert got.dtype == exp.dtype, f"{e.name}: dtype {got.dtype} != expected {exp.dtype}"
    if exp.dtype.kind == "f" or got.dtype.kind == "f":
        tol = (e.rtol, e.atol) if got.dtype != np.float64 else (min(e.rtol, 1e-9), min(e.atol, 1e-9))
        np.testing.assert_allclose(got, exp.astype(got.dtype), rtol=tol[0], atol=tol[1], err_msg=e.name)
    else:
        np.testing.assert_array_equal(got, exp, err_msg=e.name)


@pytest.mark.parametrize("name", sorted(REGISTRY))
@given(data=st.data())
def test_matches_numpy(name: str, data: Any) -> None:
    e = REGISTRY[name]
    np_inputs = e.inputs(data)
    fl_inputs = [fl_view(data.draw, x) if e.views else fl_view(data.draw, x, ("contiguous",)) for x in np_inputs]
    out = e.fn(*fl_inputs)
    assert_matches(out, e.ref(*np_inputs), e)


def test_every_primitive_has_a_registry_entry() -> None:
    covered = {p for e in REGISTRY.values() for p in e.primitives}
    unknown = covered - set(core.PRIMITIVES)
    assert not unknown, f"registry entries name unknown primitives: {sorted(unknown)}"
    missing = set(core.PRIMITIVES) - covered
    assert not missing, f"primitives without a registry entry: {sorted(missing)}"
