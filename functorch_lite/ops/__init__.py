"""Primitives, each declared once with all its rules (see DESIGN.md).

Importing this package declares every primitive; ``core.PRIMITIVES`` maps
names to them (the export loader validates programs against it).
"""

from functorch_lite.ops import cumulative as cumulative
from functorch_lite.ops import debug, elementwise, reductions, shape_ops
from functorch_lite.ops import indexing as indexing
from functorch_lite.ops import linalg as linalg
from functorch_lite.ops import prng as prng
from functorch_lite.ops import sorting as sorting

__all__ = ["elementwise", "reductions", "shape_ops"]
