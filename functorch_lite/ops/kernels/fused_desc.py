"""Descriptions of generated fused kernels: what to compute and how to loop.

``transforms/fusion_group.py`` describes a fused group as a :class:`KernelDesc`
(a topologically ordered list of scalar :class:`Node` s) and
``transforms/fusion_plan.py``, per input layout, a :class:`LoopNest` (how
many loops, which of them reduce, flat or strided, parallel or not);
:mod:`.fused_source` turns the two into the source of one Numba function.

Example:
    >>> import numpy as np
    >>> f32 = np.dtype("float32")
    >>> desc = KernelDesc(nodes=(Node("x0", f32, "in"), Node("v1", f32, "op", ("x0",), "(x0 * x0)")),
    ...                   inputs=("x0",), outputs=("v1",))
    >>> [n.name for n in desc.nodes], LoopNest(1, (False,), flat=True).ndim
    (['x0', 'v1'], 1)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Node:
    """One scalar value of a fused kernel.

    ``kind``: ``"in"`` (an array input, read through strides), ``"scalar"``
    (an input passed by value), ``"op"`` (``expr``, a Python expression over
    earlier node names) or ``"red"`` (a reduction of ``args[0]``).
    ``row``: the value does not vary along the reduced dims.
    """

    name: str
    dtype: np.dtype[Any]
    kind: str
    args: tuple[str, ...] = ()
    expr: str = ""
    row: bool = False
    identity: str = ""  # reductions: typed source literal of the start value
    combine: str = ""  # reductions: format string over the accumulator {0} and a value {1}
    acc_dtype: np.dtype[Any] | None = None
    chunk: str = ""  # reductions: fastmath chunk reducer


@dataclass(frozen=True)
class KernelDesc:
    """A fused group: nodes in topological order, inputs and outputs (by name).

    ``params``: names of scalar constants passed by value after the inputs
    (free names in node expressions, typed by the caller's values): a
    constant that is a parameter rather than a literal of the source lets
    one compiled kernel serve every value of it (transforms/fusion.py
    decides which constants are worth a literal).
    """

    nodes: tuple[Node, ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    params: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoopNest:
    """The loop structure of one call: ``ndim`` loops (outer to inner),
    which of them reduce, whether it is the flat unit-stride fast path, and
    whether the outermost loop runs in parallel."""

    ndim: int
    reduced: tuple[bool, ...]
    flat: bool = False
    parallel: bool = False
    #: (array name, stride) for arrays whose innermost-loop stride is baked
    #: into the source: 1 lets LLVM vectorise the loop (a runtime stride does
    #: not), 0 hoists the load, and what depends only on it, out of the loop
    inner: tuple[tuple[str, int], ...] = ()
    #: the innermost loop reduces and is shorter than a vector: its values are
    #: combined into a scalar as they come, not buffered and handed to a chunk
    #: reducer (a call per row that cost more than the row's work)
    short_rows: bool = False


def literal(value: Any, dtype: np.dtype[Any]) -> str:
    """Source text of a typed scalar constant.

    Example:
        >>> literal(0.5, np.dtype("float32")), literal(float("-inf"), np.dtype("float64"))
        ('np.float32(0.5)', 'np.float64(-np.inf)')
    """
    if dtype.kind == "b":
        return "True" if bool(value) else "False"
    if dtype.kind in "iu":
        return f"np.{dtype.name}({int(value)})"
    v = float(value)
    if v != v:
        # keep the sign bit (signbit, copysign see it); Numba folds -np.nan to +nan
        text = "np.copysign(np.nan, -1.0)" if math.copysign(1.0, v) < 0 else "np.nan"
    elif v in (float("inf"), float("-inf")):
        text = "np.inf" if v > 0 else "-np.inf"
    else:
        text = repr(float(np.asarray(v, dtype)))
    return f"np.{dtype.name}({text})"


__all__ = ["Node", "KernelDesc", "LoopNest", "literal"]
