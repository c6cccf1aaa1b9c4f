"""The buffer pool: flat output buffers for generated kernels.

Large outputs come from a small pool of recently returned buffers that
nobody references any more (the caching-allocator idea: a fresh large buffer
pays a page fault per 4 KiB on first write, a recycled one does not).

Example:
    >>> import numpy as np
    >>> clear_pool()
    >>> empty(3, np.dtype("float32")).shape
    (3,)
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

import numpy as np

POOL_MIN_BYTES = 1 << 20
#: bytes of unreferenced outputs kept for reuse (``FUNCTORCH_LITE_POOL_BYTES``; 0 disables)
POOL_MAX_BYTES = int(os.environ.get("FUNCTORCH_LITE_POOL_BYTES", str(256 << 20)))
_POOL_MAX_ENTRIES = 16
_pool: list[np.ndarray[Any, Any]] = []
_pool_lock = threading.Lock()


def empty(n: int, dtype: Any) -> np.ndarray[Any, Any]:
    """A flat output buffer of ``n`` elements.

    Large buffers come from a small pool of recently returned outputs that
    nobody references any more (the caching-allocator idea: a fresh large
    buffer pays a page fault per 4 KiB on first write, a recycled one does
    not).  A pooled buffer is handed out only when the pool holds the only
    reference to it.

    Example:
        >>> empty(3, np.dtype("float32")).shape
        (3,)
    """
    dtype = np.dtype(dtype)
    nbytes = n * dtype.itemsize
    if nbytes < POOL_MIN_BYTES or nbytes > POOL_MAX_BYTES:
        return np.empty(n, dtype)
    with _pool_lock:
        for i in range(len(_pool)):
            buf = _pool[i]
            # 3 = the pool's list + ``buf`` + getrefcount's argument: nobody else holds it
            if buf.size == n and buf.dtype == dtype and sys.getrefcount(buf) <= 3:
                del _pool[i]
                _pool.append(buf)  # most recently used last
                return buf
        buf = np.empty(n, dtype)
        _pool.append(buf)
        _trim()
        return buf


def empty_shaped(shape: tuple[int, ...], dtype: Any) -> np.ndarray[Any, Any]:
    """:func:`empty` of ``prod(shape)`` elements, as a C-ordered array of ``shape``.

    Example:
        >>> empty_shaped((2, 3), np.dtype("float32")).shape
        (2, 3)
    """
    n = 1
    for d in shape:
        n *= d
    return empty(n, dtype).reshape(shape)


def _trim() -> None:
    """Keep at most ``POOL_MAX_BYTES`` of idle buffers, twice that in all, and
    ``_POOL_MAX_ENTRIES`` entries, dropping the oldest first (idle ones before
    held ones).  A buffer a caller still holds costs no memory of its own, and
    keeping it lets the next output reuse it the moment the caller lets go: a
    loop that keeps its last 8 results of 40 MB then recycles the oldest one's
    buffer instead of page-faulting a fresh one per call.  What the pool can
    retain after its callers let go of everything: ``2 * POOL_MAX_BYTES``
    until the next allocation trims it to ``POOL_MAX_BYTES``."""
    idle = total = 0
    for b in _pool:
        total += b.nbytes
        if sys.getrefcount(b) <= 3:  # the list + ``b`` + getrefcount's argument
            idle += b.nbytes
    i = 0
    while idle > POOL_MAX_BYTES and i < len(_pool):
        b = _pool[i]
        if sys.getrefcount(b) <= 3:
            idle -= b.nbytes
            total -= b.nbytes
            del _pool[i]
        else:
            i += 1
        del b
    while len(_pool) > _POOL_MAX_ENTRIES or (total > 2 * POOL_MAX_BYTES and len(_pool) > 1):
        total -= _pool.pop(0).nbytes


def clear_pool() -> None:
    """Forget the pooled output buffers (their memory is freed once unused).

    Example:
        >>> clear_pool()
    """
    with _pool_lock:
        _pool.clear()


__all__ = ["POOL_MIN_BYTES", "POOL_MAX_BYTES", "empty", "empty_shaped", "clear_pool"]
