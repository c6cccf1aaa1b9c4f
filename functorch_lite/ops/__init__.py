"""Primitives, each declared once with all its rules (see DESIGN.md).

Importing this package declares every primitive; ``core.PRIMITIVES`` maps
names to them (the export loader validates programs against it).
"""

from functorch_lite.ops import (
    along_axis,
    bits,
    conv,
    cumulative,
    debug,
    elementwise,
    fft,
    incomplete,
    indexing,
    linalg,
    linalg_decomp,
    prng,
    reductions,
    shape_ops,
    sorting,
    special,
    windowed,
)

__all__ = [
    "along_axis", "bits", "conv",
    "cumulative", "debug", "elementwise", "fft", "incomplete", "indexing", "linalg",
    "linalg_decomp", "prng", "reductions", "shape_ops", "sorting", "special",
    "windowed",
]
