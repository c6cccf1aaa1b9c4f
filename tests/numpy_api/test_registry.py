"""Every registered op against NumPy, over drawn shapes, dtypes and layouts,
and every entry's declared primitives against the ones it stages."""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import functorch_lite as fl
from functorch_lite import core
from functorch_lite.core import Tracer
from functorch_lite.numpy import NonConcreteBooleanIndexError
from functorch_lite.transforms.ir import Program
from tests._kernel_paths import KERNEL_PATHS, PRIMITIVES, kernel_path
from tests.registry import REGISTRY, OpEntry, load_all
from tests.strategies import fl_view

load_all()

# entries of primitives with a NumPy path for small inputs run through both paths
PATH_CASES = [(n, p) for n in sorted(REGISTRY)
              for p in (KERNEL_PATHS if PRIMITIVES & set(REGISTRY[n].primitives) else ("default",))]


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


@pytest.mark.parametrize(("name", "path"), PATH_CASES)
@given(data=st.data())
def test_matches_numpy(name: str, path: str, data: Any) -> None:
    e = REGISTRY[name]
    np_inputs = e.inputs(data)
    fl_inputs = [fl_view(data.draw, x) if e.views else fl_view(data.draw, x, ("contiguous",)) for x in np_inputs]
    if path == "default":
        out = e.fn(*fl_inputs)
    else:
        with kernel_path(path):
            out = e.fn(*fl_inputs)
    assert_matches(out, e.ref(*np_inputs), e)


def test_every_primitive_has_a_registry_entry() -> None:
    covered = {p for e in REGISTRY.values() for p in e.primitives}
    unknown = covered - set(core.PRIMITIVES)
    assert not unknown, f"registry entries name unknown primitives: {sorted(unknown)}"
    missing = set(core.PRIMITIVES) - covered
    assert not missing, f"primitives without a registry entry: {sorted(missing)}"


# --- declared primitives are staged -------------------------------------------------------
#
# An entry's ``primitives`` say which primitives it tests; the coverage checks
# above and in test_grad_registry.py/test_vmap_registry.py trust them.  So each
# declared primitive must really be staged by the entry, over the same few
# drawn inputs every run (derandomized).  The converse is not required: an
# entry may stage helpers it does not claim to test (a convert_element_type
# for integer draws, a broadcast_in_dim for unequal shapes), which change with
# the drawn dtypes and shapes and with how the library composes the op.

STAGING_EXAMPLES = 10


class _RecordingEval(core.EvalTrace):
    """Eager evaluation that records the name of every primitive bound."""

    def process_primitive(self, prim: core.Primitive, tracers: Any, params: dict[str, Any]) -> Any:
        self.main.payload.add(prim.name)
        return super().process_primitive(prim, tracers, params)


def program_primitives(prog: Program, acc: set[str]) -> set[str]:
    """Names of the primitives of ``prog``, control-flow bodies included."""
    for eqn in prog.eqns:
        acc.add(eqn.prim.name)
        for v in eqn.params.values():
            for sub in v if isinstance(v, (tuple, list)) else (v,):
                if isinstance(sub, Program):
                    program_primitives(sub, acc)
    return acc


def staged_primitives(e: OpEntry, xs: list[Any]) -> set[str]:
    """The primitives ``e.fn(*xs)`` stages under ``make_ir``; an op whose
    output shape depends on its data (unique, boolean masks) or on concrete
    index arguments cannot be staged, and is recorded while it runs eagerly."""
    try:
        return program_primitives(fl.make_ir(e.fn)(*xs), set())
    except (core.ConcretizationTypeError, NonConcreteBooleanIndexError, TypeError):
        acc: set[str] = set()
        with core.new_main(_RecordingEval, acc, "record") as main, core.new_dynamic(main):
            e.fn(*xs)
        return acc


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_declared_primitives_are_staged(name: str) -> None:
    e = REGISTRY[name]
    seen: set[str] = set()

    @settings(max_examples=STAGING_EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def stage(data: Any) -> None:
        seen.update(staged_primitives(e, [fl.numpy.asarray(x) for x in e.inputs(data)]))

    stage()
    missing = set(e.primitives) - seen
    assert not missing, (
        f"{name} declares {sorted(missing)} but stages only {sorted(seen)} over {STAGING_EXAMPLES} drawn inputs: "
        "declare what the entry exercises (tests/registry/)"
    )
