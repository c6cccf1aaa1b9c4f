"""Fusion: group elementwise chains into generated kernels (lowering step).

This first version lowers every equation to a direct ``impl`` call.
"""

from __future__ import annotations

from functorch_lite.transforms.compiler import Executable, interpret_steps
from functorch_lite.transforms.ir import Program, pretty


def lower_with_fusion(p: Program) -> Executable:
    return Executable(interpret_steps(p), pretty(p), p, 0)
