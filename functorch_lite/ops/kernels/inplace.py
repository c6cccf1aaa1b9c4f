"""In-place update kernels for the stateful layer: ``y += a * x`` without a
temporary (what ``Tensor.add_(x, alpha=a)`` and every optimizer step run).

Example:
    >>> import numpy as np
    >>> y = np.ones(3, np.float32)
    >>> axpy(y, np.arange(3, dtype=np.float32), np.float32(2.0))
    >>> y.tolist()
    [1.0, 3.0, 5.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from functorch_lite.ops.kernels._njit import njit_cached


@njit_cached(nogil=True)
def _axpy(y: Any, x: Any, a: Any) -> None:  # pragma: no cover - compiled
    for i in range(y.shape[0]):
        y[i] += a * x[i]


def axpy(y: np.ndarray[Any, Any], x: np.ndarray[Any, Any], a: Any) -> None:
    """``y += a * x`` for 1-D contiguous arrays of one float dtype, with ``a``
    of that dtype (so float32 updates round as float32 arithmetic does).
    The caller checks shapes, dtypes, contiguity and that ``x`` does not
    overlap ``y`` other than exactly."""
    if y.shape != x.shape or y.dtype != x.dtype or y.ndim != 1:
        raise ValueError(f"axpy: expected two 1-D arrays of one shape and dtype, got {y.shape} {y.dtype} and "
                         f"{x.shape} {x.dtype}")
    _axpy(y, x, y.dtype.type(a))
