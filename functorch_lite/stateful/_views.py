"""View methods: new shape/strides/offset over the same storage handle, so
a write through any view is seen by all of them (PyTorch's semantics).

Example:
    >>> import functorch_lite as fl
    >>> x = fl.zeros(2, 3)
    >>> y = x.t()
    >>> y[0, 1] = 7.0
    >>> x.tolist(), y.is_contiguous(), y.stride()
    ([[0.0, 0.0, 0.0], [7.0, 0.0, 0.0]], False, (1, 3))
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

import functorch_lite.numpy as jnp
from functorch_lite.stateful import _layout as L
from functorch_lite.stateful._autograd import SAVE_NONE, apply_op, record_view, recording
from functorch_lite.stateful._base import TensorBase


def _index_part(i: Any) -> Any:
    """An index entry the core understands (tensors become lent Arrays)."""
    if isinstance(i, TensorBase):
        return i._lend()
    return i


class ViewMixin(TensorBase):
    """View methods of :class:`Tensor` (see the module docstring)."""

    __slots__ = ()

    def _v(self, lay: L.Layout, fn: Any, name: str) -> Any:
        """The view ``lay``; when recorded, its backward is that of ``fn``, the
        same view as a core function."""
        out = self._view(lay)
        if recording(self):
            record_view(out, self, fn, name)
        return out

    def is_contiguous(self) -> bool:
        """Whether the elements are row-major without gaps (size-1 dims ignored).

        Example:
            >>> import functorch_lite as fl
            >>> fl.zeros(2, 3).is_contiguous(), fl.zeros(2, 3).t().is_contiguous()
            (True, False)
        """
        return L.is_contiguous(self._shape, self._strides)

    def contiguous(self) -> Any:
        """``self`` if contiguous, else a row-major copy.

        Example:
            >>> import functorch_lite as fl
            >>> x = fl.zeros(2, 3)
            >>> x.contiguous() is x, x.t().contiguous().stride()
            (True, (2, 1))
        """
        if self.is_contiguous():
            return self
        if recording(self):
            return apply_op(jnp.array, (self,), "CloneBackward0", SAVE_NONE)
        out = self._fresh(np.array(self._np_read(), order="C", copy=True))
        return out

    def clone(self) -> Any:
        """A copy in new memory (keeping a dense layout's memory order).

        Example:
            >>> import functorch_lite as fl
            >>> x = fl.ones(2)
            >>> y = x.clone(); _ = y.zero_()
            >>> x.tolist()
            [1.0, 1.0]
        """
        if recording(self):  # the copy keeps the layout's memory order: copy first, then record
            out = self._copy()
            record_view(out, self, jnp.array, "CloneBackward0")
            return out
        return self._copy()

    def detach(self) -> Any:
        """A tensor over the same storage that does not require grad.

        Example:
            >>> import functorch_lite as fl
            >>> fl.ones(2).detach().requires_grad
            False
        """
        return TensorBase._make(self._h, self._layout, self._dtype, self._view_base)

    def t(self) -> Any:
        """The transpose of a tensor of at most 2 dims (a view)."""
        if self.ndim > 2:
            raise RuntimeError(
                f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D; use transpose(d0, d1)"
            )
        return self if self.ndim < 2 else self._v(L.transpose(self._layout, 0, 1), jnp.transpose, "TBackward0")

    @property
    def T(self) -> Any:  # noqa: N802 - PyTorch's name
        """All dims reversed (a view)."""
        return self._v(L.permute(self._layout, tuple(range(self.ndim - 1, -1, -1))), jnp.transpose,
                       "PermuteBackward0")

    @property
    def mT(self) -> Any:  # noqa: N802 - PyTorch's name
        """The last two dims swapped (a view)."""
        if self.ndim < 2:
            raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.")
        return self.transpose(-2, -1)

    def transpose(self, dim0: int, dim1: int) -> Any:
        """Swap two dims (a view).

        Example:
            >>> import functorch_lite as fl
            >>> fl.zeros(2, 3, 4).transpose(0, 2).shape
            functorch_lite.Size([4, 3, 2])
        """
        lay = L.transpose(self._layout, dim0, dim1)
        return self._v(lay, lambda a: jnp.swapaxes(a, dim0, dim1), "TransposeBackward0")

    swapaxes = transpose

    def permute(self, *dims: Any) -> Any:
        """Reorder the dims (a view).

        Example:
            >>> import functorch_lite as fl
            >>> fl.zeros(2, 3, 4).permute(2, 0, 1).stride()
            (1, 12, 4)
        """
        perm = L.sizes_arg(dims, "permute")
        lay = L.permute(self._layout, perm)
        return self._v(lay, lambda a: jnp.transpose(a, tuple(d % max(self.ndim, 1) for d in perm)),
                       "PermuteBackward0")

    def view(self, *shape: Any) -> Any:
        """The same elements in another shape, sharing memory; raises when
        the strides do not allow it (use ``reshape``).

        Example:
            >>> import functorch_lite as fl
            >>> fl.arange(6).view(2, -1).stride()
            (3, 1)
        """
        new = L.infer_size(L.sizes_arg(shape, "view"), self.numel())
        st = L.view_strides(self._shape, self._strides, new)
        if st is None:
            raise RuntimeError(
                f"view size is not compatible with input tensor's size and stride (at least one dimension spans "
                f"across two contiguous subspaces): shape {list(self._shape)} strides {list(self._strides)} to "
                f"{list(new)}. Use .reshape(...) instead."
            )
        return self._v((new, st, self._offset), lambda a: jnp.reshape(a, new), "ViewBackward0")

    def view_as(self, other: TensorBase) -> Any:
        return self.view(other._shape)

    def reshape(self, *shape: Any) -> Any:
        """``view`` when the strides allow it, else a copy.

        Example:
            >>> import functorch_lite as fl
            >>> x = fl.arange(6).view(2, 3).t()
            >>> x.reshape(6).tolist()
            [0, 3, 1, 4, 2, 5]
        """
        new = L.infer_size(L.sizes_arg(shape, "reshape"), self.numel())
        st = L.view_strides(self._shape, self._strides, new)
        if st is not None:
            return self._v((new, st, self._offset), lambda a: jnp.reshape(a, new), "ViewBackward0")
        if recording(self):
            return apply_op(lambda a: jnp.reshape(a, new), (self,), "UnsafeViewBackward0", SAVE_NONE)
        return self._fresh(np.array(self._np_read(), order="C", copy=True).reshape(new))

    def reshape_as(self, other: TensorBase) -> Any:
        return self.reshape(other._shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Any:
        """Merge dims ``start_dim..end_dim`` into one (a view when possible).

        Example:
            >>> import functorch_lite as fl
            >>> fl.zeros(2, 3, 4).flatten(1).shape
            functorch_lite.Size([2, 12])
        """
        if not self._shape:
            return self.reshape(1)
        a, b = L.norm_dim(start_dim, self.ndim), L.norm_dim(end_dim, self.ndim)
        if a > b:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        n = 1
        for d in self._shape[a:b + 1]:
            n *= d
        return self.reshape(self._shape[:a] + (n,) + self._shape[b + 1:])

    def unflatten(self, dim: int, sizes: Any) -> Any:
        d = L.norm_dim(dim, self.ndim)
        new = L.infer_size(tuple(sizes), self._shape[d])
        return self.reshape(self._shape[:d] + new + self._shape[d + 1:])

    def narrow(self, dim: int, start: int, length: int) -> Any:
        """``length`` elements of ``dim`` from ``start`` (a view)."""
        lay = L.narrow(self._layout, dim, start, length)
        d = L.norm_dim(dim, self.ndim)
        s0 = int(start) + self._shape[d] if int(start) < 0 else int(start)
        idx = (slice(None),) * d + (slice(s0, s0 + lay[0][d]),)
        return self._v(lay, lambda a: a[idx], "SliceBackward0")

    def select(self, dim: int, index: int) -> Any:
        """Index ``dim`` at ``index``, dropping the dim (a view)."""
        lay = L.select(self._layout, dim, index)
        d = L.norm_dim(dim, self.ndim)
        idx = (slice(None),) * d + (int(index) % self._shape[d],)
        return self._v(lay, lambda a: a[idx], "SelectBackward0")

    def unsqueeze(self, dim: int) -> Any:
        """Insert a size-1 dim (a view)."""
        lay = L.unsqueeze(self._layout, dim)
        return self._v(lay, lambda a: jnp.reshape(a, lay[0]), "UnsqueezeBackward0")

    def squeeze(self, dim: Any = None) -> Any:
        """Drop size-1 dims (all, or those of ``dim`` that have size 1)."""
        lay = L.squeeze(self._layout, dim)
        return self._v(lay, lambda a: jnp.reshape(a, lay[0]), "SqueezeBackward0")

    def expand(self, *sizes: Any) -> Any:
        """Broadcast size-1 dims to ``sizes`` with stride 0 (a view that
        cannot be written into).

        Example:
            >>> import functorch_lite as fl
            >>> fl.zeros(3, 1).expand(3, 4).stride()
            (1, 0)
        """
        lay = L.expand(self._layout, L.sizes_arg(sizes, "expand"))
        return self._v(lay, lambda a: jnp.broadcast_to(a, lay[0]), "ExpandBackward0")

    def expand_as(self, other: TensorBase) -> Any:
        return self.expand(other._shape)

    def unbind(self, dim: int = 0) -> tuple[Any, ...]:
        """Every index of ``dim`` as a view."""
        d = L.norm_dim(dim, self.ndim)
        return tuple(self.select(d, i) for i in range(self._shape[d]))

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple[Any, ...]:
        """Views of consecutive pieces of ``dim``: of one size (the last may
        be smaller) or of the listed sizes.

        Example:
            >>> import functorch_lite as fl
            >>> [p.tolist() for p in fl.arange(5).split(2)]
            [[0, 1], [2, 3], [4]]
        """
        d = L.norm_dim(dim, self.ndim)
        n = self._shape[d]
        if isinstance(split_size_or_sections, (list, tuple)):
            sizes = [int(s) for s in split_size_or_sections]
            if sum(sizes) != n or any(s < 0 for s in sizes):
                raise RuntimeError(
                    f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
                    f"dimension {d}), but got split_sizes={sizes}"
                )
        else:
            step = int(split_size_or_sections)
            if step <= 0 and n > 0:
                raise RuntimeError(f"split expects split_size be positive, but got split_size={step}")
            sizes = [min(step, n - i) for i in range(0, n, step)] if n else [0]
        out, start = [], 0
        for s in sizes:
            out.append(self.narrow(d, start, s))
            start += s
        return tuple(out)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Any, ...]:
        """At most ``chunks`` views of (nearly) equal size along ``dim``."""
        if chunks <= 0:
            raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        n = self._shape[L.norm_dim(dim, self.ndim)]
        return self.split(max(-(-n // chunks), 1), dim)

    def __iter__(self) -> Iterator[Any]:
        if not self._shape:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __getitem__(self, idx: Any) -> Any:
        """Basic indices (ints, slices, None, ...) give views; tensors, lists
        and masks give copies, as in PyTorch."""
        if L.is_basic_index(idx):
            items = idx if isinstance(idx, tuple) else (idx,)
            name = "SliceBackward0" if all(isinstance(i, slice) for i in items) else "SelectBackward0"
            return self._v(L.basic_index(self._layout, idx), lambda a: a[idx], name)
        items = idx if isinstance(idx, tuple) else (idx,)
        if recording(self):
            # snapshots: the pullback scatters to these positions, even after a write into the index tensor
            snaps = tuple(i.array() if isinstance(i, TensorBase) else i for i in items)
            key = snaps if isinstance(idx, tuple) else snaps[0]
            return apply_op(lambda a: a[key], (self,), "IndexBackward0", SAVE_NONE)
        parts = tuple(_index_part(i) for i in items)
        key = parts if isinstance(idx, tuple) else parts[0]
        out = self._lend()[key]
        return self._wrap(out, self, *[i for i in items if isinstance(i, TensorBase)])
