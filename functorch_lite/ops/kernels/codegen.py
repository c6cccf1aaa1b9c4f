"""Generated fused kernels, in one namespace (re-exports only).

The pieces live in modules with one job each:

- :mod:`.fused_desc`: what a fused kernel computes (:class:`Node`,
  :class:`KernelDesc`) and how it loops (:class:`LoopNest`), and
  :func:`literal` (source text of a typed constant);
- :mod:`.fused_source`: :func:`kernel_source`, the Numba source of one
  kernel (phases, row passes, hoisting);
- :mod:`.kernel_cache`: :func:`get_kernel`, the compiled kernels kept in
  memory (least recently used dropped first) and on disk (:mod:`.diskcache`);
- :mod:`.buffer_pool`: :func:`empty`, output buffers recycled from a small
  pool.

``transforms/fusion*.py`` decides what to fuse and how to loop; this layer
only turns those decisions into compiled code and memory.

Example:
    >>> import numpy as np
    >>> from functorch_lite.ops.kernels import codegen as cg
    >>> f32 = np.dtype("float32")
    >>> desc = cg.KernelDesc(
    ...     nodes=(cg.Node("x0", f32, "in"), cg.Node("v1", f32, "op", ("x0",), "(x0 * x0)")),
    ...     inputs=("x0",), outputs=("v1",))
    >>> src = cg.kernel_source(desc, cg.LoopNest(1, (False,), flat=True))
    >>> "for i0 in range(n0):" in src
    True
"""

from __future__ import annotations

from functorch_lite.ops.kernels.buffer_pool import POOL_MAX_BYTES, POOL_MIN_BYTES, clear_pool, empty
from functorch_lite.ops.kernels.fused_desc import KernelDesc, LoopNest, Node, literal
from functorch_lite.ops.kernels.fused_source import CHUNK, PAR_CHUNK, kernel_source
from functorch_lite.ops.kernels.kernel_cache import (
    MAX_KERNELS,
    Kernel,
    _forget,
    _kernels,
    _max_kernels,
    cache_dir,
    get_kernel,
    stats,
)

__all__ = [
    "Node", "KernelDesc", "LoopNest", "literal", "kernel_source", "CHUNK", "PAR_CHUNK",
    "Kernel", "get_kernel", "stats", "cache_dir", "MAX_KERNELS", "_forget", "_kernels", "_max_kernels",
    "empty", "clear_pool", "POOL_MIN_BYTES", "POOL_MAX_BYTES",
]
