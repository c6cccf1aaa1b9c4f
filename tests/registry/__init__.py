"""The op registry: one entry per user-facing op, driving the generic tests.

Each entry says how to draw inputs, the functorch_lite call, the NumPy
reference, and which primitives it exercises.  ``tests/numpy_api/test_registry.py``
runs every entry against NumPy over hypothesis-drawn shapes, dtypes and
memory layouts, checks that each entry stages the primitives it declares,
and fails when a primitive has no entry.  Later
transforms (grad, vmap, jit) reuse the same entries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class OpEntry:
    name: str
    fn: Callable[..., Any]
    ref: Callable[..., Any]
    # draw(data) -> list of NumPy inputs (the op's positional array arguments)
    inputs: Callable[[Any], list[np.ndarray[Any, Any]]]
    # the primitives this entry tests: each must be staged by ``fn`` on the drawn
    # inputs (tests/numpy_api/test_registry.py checks it); helpers it also stages need not be listed
    primitives: tuple[str, ...]
    rtol: float = 1e-5
    atol: float = 1e-6
    # check the result dtype against the reference's dtype
    check_dtype: bool = True
    # which inputs may be given as non-contiguous views
    views: bool = True
    differentiable: bool = True
    # argument positions that are integer/boolean (never differentiated)
    nondiff_args: tuple[int, ...] = ()
    tags: frozenset[str] = field(default_factory=frozenset)


REGISTRY: dict[str, OpEntry] = {}


def register(entry: OpEntry) -> OpEntry:
    if entry.name in REGISTRY:
        raise ValueError(f"registry entry {entry.name!r} declared twice")
    REGISTRY[entry.name] = entry
    return entry


def load_all() -> dict[str, OpEntry]:
    """Import every registry module so that its entries are registered."""
    import importlib
    import pkgutil

    import tests.registry as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"tests.registry.{mod.name}")
    return REGISTRY
