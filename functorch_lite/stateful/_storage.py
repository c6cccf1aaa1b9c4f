"""Mutable storage handles: the one place the stateful layer writes memory.

A :class:`StorageHandle` is what every view of a tensor shares: the current
buffer (a :class:`~functorch_lite.array.Storage`), the version counter that
in-place writes bump, and who else may see the buffer:

- ``EXCLUSIVE``: only tensors over this handle see it; writes go in place.
- ``SHARED``: an immutable ``Array`` (an op result, a cached constant, a
  snapshot handed out by ``Tensor.array()``) may see it.  The next write
  first copies the buffer and swaps the handle to the copy (copy-on-write),
  so nothing outside the handle ever sees the write.
- ``EXTERNAL``: user NumPy memory (``from_numpy``, ``Tensor.numpy()``),
  which the user may write at any time: writes go in place, as in PyTorch,
  and snapshots are copies.

Example:
    >>> import numpy as np
    >>> from functorch_lite.array import Storage
    >>> h = StorageHandle(Storage(np.zeros(3, np.float32)), SHARED)
    >>> old = h.storage
    >>> h.writable((3,), (1,), 0)[:] = 1.0
    >>> old.tolist(), h.storage.tolist(), h.version, h.state == EXCLUSIVE
    ([0.0, 0.0, 0.0], [1.0, 1.0, 1.0], 1, True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from functorch_lite.array import Array, Storage

EXCLUSIVE = 0
SHARED = 1
EXTERNAL = 2


class StorageHandle:
    """A tensor's mutable reference to its buffer, shared by all its views.

    Example:
        >>> import numpy as np
        >>> from functorch_lite.array import Storage
        >>> h = StorageHandle(Storage(np.arange(4.0)), EXCLUSIVE)
        >>> h.lend((2,), (2,), 1).tolist()
        [1.0, 3.0]
    """

    __slots__ = ("storage", "state", "version", "__weakref__")
    storage: Storage
    state: int
    version: int

    def __init__(self, storage: Storage, state: int) -> None:
        self.storage = storage
        self.state = state
        self.version = 0

    # reading ------------------------------------------------------------------
    def lend(self, shape: tuple[int, ...], strides: tuple[int, ...], offset: int) -> Array:
        """An Array over the current buffer for the length of one functional
        call: the eager core returns results and keeps no argument, and
        results that alias an argument are copied by the caller."""
        return Array._unchecked(self.storage, shape, strides, offset)

    def snapshot(self, shape: tuple[int, ...], strides: tuple[int, ...], offset: int) -> Array:
        """An Array that no later in-place write changes (no copy unless the
        buffer is user NumPy memory)."""
        if self.state == EXTERNAL:
            view = self.lend(shape, strides, offset)._numpy()
            return Array._wrap(np.array(view, order="C", copy=True))
        self.state = SHARED
        return self.lend(shape, strides, offset)

    # writing ------------------------------------------------------------------
    def make_writable(self) -> None:
        """Copy the buffer first if an immutable Array may see it."""
        if self.state == SHARED:
            fresh = np.array(self.storage._data, copy=True)
            self.storage = Storage(fresh)
            self.state = EXCLUSIVE

    def writable(self, shape: tuple[int, ...], strides: tuple[int, ...], offset: int) -> np.ndarray[Any, Any]:
        """A writable NumPy view of the region, after copy-on-write, with the
        version counter bumped (every caller writes through it)."""
        self.make_writable()
        self.version += 1
        return np_view(self.storage, shape, strides, offset)

    def export(self, shape: tuple[int, ...], strides: tuple[int, ...], offset: int) -> np.ndarray[Any, Any]:
        """A writable NumPy view handed to the user (``Tensor.numpy()``): the
        buffer becomes user memory, so later snapshots copy."""
        self.make_writable()
        self.state = EXTERNAL
        return np_view(self.storage, shape, strides, offset)

    def data_ptr(self) -> int:
        return self.storage.data_ptr()

    def nbytes(self) -> int:
        return len(self.storage) * self.storage.dtype.itemsize


def np_view(storage: Storage, shape: tuple[int, ...], strides: tuple[int, ...], offset: int) -> np.ndarray[Any, Any]:
    """A writable NumPy view of ``storage`` (the caller checked the layout)."""
    isz = storage.dtype.itemsize
    if 0 in shape:
        return np.empty(shape, storage.dtype)
    buf = storage._data
    return np.ndarray(shape, storage.dtype, buffer=buf, offset=offset * isz,
                      strides=tuple(s * isz for s in strides))


def has_internal_overlap(shape: tuple[int, ...], strides: tuple[int, ...]) -> bool:
    """Whether two indices of the layout reach the same element.

    Example:
        >>> has_internal_overlap((3, 2), (0, 1)), has_internal_overlap((3, 2), (2, 3))
        (True, False)
    """
    if any(d == 0 for d in shape):
        return False
    if any(s == 0 and d > 1 for d, s in zip(shape, strides)):
        return True
    dims = sorted((abs(s), d) for d, s in zip(shape, strides) if d > 1)
    reach = 1
    for s, d in dims:
        if s < reach:
            # the quick test is only sufficient: count the distinct offsets
            offs = np.zeros((), np.int64)
            for dd, ss in zip(shape, strides):
                offs = np.add.outer(offs, np.arange(dd, dtype=np.int64) * ss)
            return bool(np.unique(offs).size != offs.size)
        reach = s * (d - 1) + reach
    return False
