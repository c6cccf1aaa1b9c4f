"""The Tensor's state and its bridges to the functional core.

A tensor is a storage handle (shared by all its views, with their version
counter), a shape, strides and offset in elements, a dtype, and the slots
autograd needs (``requires_grad``, ``grad``, ``grad_fn``).  Ops hand the core
a *lent* ``Array`` view of the buffer for the length of one call
(:meth:`TensorBase._lend`) and wrap the core's result Array in a new handle
(:meth:`TensorBase._wrap`); ``array()`` hands out snapshots.

Example:
    >>> import functorch_lite as fl
    >>> t = fl.tensor([1.0, 2.0])
    >>> a = t.array(); _ = t.add_(1)
    >>> a.tolist(), t.tolist()
    ([1.0, 2.0], [2.0, 3.0])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from functorch_lite.array import Array, Storage, contiguous_strides, strict_index
from functorch_lite.core import Tracer
from functorch_lite.numpy._util import convert
from functorch_lite.stateful import _dtypes as D
from functorch_lite.stateful._layout import Layout, Size, dense_strides, norm_dim
from functorch_lite.stateful._storage import EXCLUSIVE, SHARED, StorageHandle, np_view

# the concrete Tensor class, registered by _tensor.py (op results are Tensors
# even when an operand is a subclass such as a Parameter)
_TENSOR_CLS: list[type[TensorBase]] = []
# the traced tensor class, registered by _traced.py: what a tracer result is wrapped in
_TRACED_CLS: list[Any] = []


class UntypedStorage:
    """The bytes behind a tensor, shared by all its views
    (``torch.UntypedStorage``); ``data_ptr()`` identifies the buffer.

    Example:
        >>> import functorch_lite as fl
        >>> x = fl.zeros(2, 3)
        >>> x.t().untyped_storage().data_ptr() == x.untyped_storage().data_ptr(), x.untyped_storage().nbytes()
        (True, 24)
    """

    __slots__ = ("_h",)

    def __init__(self, handle: StorageHandle) -> None:
        self._h = handle

    def data_ptr(self) -> int:
        return self._h.data_ptr()

    def nbytes(self) -> int:
        return self._h.nbytes()

    def size(self) -> int:
        return self._h.nbytes()

    def __len__(self) -> int:
        return self._h.nbytes()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UntypedStorage) and other._h is self._h

    def __hash__(self) -> int:
        return id(self._h)

    def __repr__(self) -> str:
        return f"UntypedStorage(nbytes={self.nbytes()})"


class TypedStorage:
    """The elements behind a tensor, 1-D, shared by all its views
    (``torch.TypedStorage``, as ``Tensor.storage()`` returns it).  Indexing
    reads and writes single elements; a write is seen by every view (and
    copies the buffer first if an Array shares it).

    Example:
        >>> import functorch_lite as fl
        >>> points = fl.tensor([[4.0, 1.0], [5.0, 3.0]])
        >>> s = points.storage()
        >>> s[0] = 2.0
        >>> len(s), s[1], points.tolist()
        (4, 1.0, [[2.0, 1.0], [5.0, 3.0]])
    """

    __slots__ = ("_h",)

    def __init__(self, handle: StorageHandle) -> None:
        self._h = handle

    @property
    def dtype(self) -> D.dtype:
        return D.from_np(self._h.storage.dtype)

    @property
    def device(self) -> str:
        return "cpu"

    def __len__(self) -> int:
        return len(self._h.storage)

    def size(self) -> int:
        return len(self._h.storage)

    def element_size(self) -> int:
        return int(self._h.storage.dtype.itemsize)

    def nbytes(self) -> int:
        return self._h.nbytes()

    def data_ptr(self) -> int:
        return self._h.data_ptr()

    def untyped(self) -> UntypedStorage:
        return UntypedStorage(self._h)

    def _index(self, i: Any) -> int:
        n = len(self)
        k = strict_index(i, "storage index")
        if not -n <= k < n:
            raise IndexError(f"index {k} out of range for storage of size {n}")
        return k % n

    def __getitem__(self, i: Any) -> Any:
        return self._h.storage[self._index(i)]

    def __setitem__(self, i: Any, value: Any) -> None:
        k = self._index(i)
        if isinstance(value, TensorBase):
            value = value.item()
        if not isinstance(value, (bool, int, float, np.generic)):
            raise TypeError(f"a storage element must be a number, got {type(value).__name__}")
        self._h.writable((), (), k)[()] = value

    def tolist(self) -> list[Any]:
        return self._h.storage.tolist()

    def __iter__(self) -> Any:
        return iter(self.tolist())

    def __repr__(self) -> str:
        body = "\n".join(f" {v}" for v in self.tolist())
        tail = f"[functorch_lite.TypedStorage(dtype={self.dtype}, device=cpu) of size {len(self)}]"
        return f"{body}\n{tail}" if body else tail


# row-major strides of the shapes seen (a shape's strides never change; a race costs a recompute)
_CONTIG: dict[tuple[int, ...], tuple[int, ...]] = {}



def core_cast(x: Any, np_dt: Any) -> Any:
    """``x.astype(np_dt)`` for a core value without the functional API's 32-bit
    narrowing: this layer keeps PyTorch's dtypes whatever the 64-bit mode."""
    return convert(x, np.dtype(np_dt))

class TensorBase:
    """State and core bridges shared by the Tensor mixins (not public)."""

    __slots__ = ("_h", "_shape", "_strides", "_offset", "_dtype", "_requires_grad", "_grad", "grad_fn",
                 "_view_base", "_lent", "_acc", "__weakref__")
    # NumPy defers to the tensor's reflected operators (ndarray + tensor is a tensor), as in PyTorch
    __array_priority__ = 1000
    _h: StorageHandle
    _shape: tuple[int, ...]
    _strides: tuple[int, ...]
    _offset: int
    _dtype: D.dtype
    _requires_grad: bool
    _grad: Any
    grad_fn: Any  # the backward node of a recorded op's result (None for leaves)
    _acc: Any  # a leaf's AccumulateGrad node, made by the first op that records it
    _view_base: TensorBase | None
    _lent: Array | None  # the last lent view (its NumPy view is cached in it)
    _traced = False  # a TracedTensor (a transform's tracer, no storage) overrides this

    # construction -------------------------------------------------------------
    @staticmethod
    def _make(h: StorageHandle, lay: Layout, dt: D.dtype, base: TensorBase | None = None) -> Any:
        t = object.__new__(_TENSOR_CLS[0])
        t._h = h
        t._shape, t._strides, t._offset = lay
        t._dtype = dt
        t._requires_grad = False
        t._grad = None
        t.grad_fn = None
        t._view_base = base
        t._lent = None
        t._acc = None
        return t

    @staticmethod
    def _fresh(arr: np.ndarray[Any, Any]) -> Any:
        """A tensor that owns a fresh C-contiguous NumPy buffer nobody else holds."""
        arr = np.asarray(arr, order="C")
        h = StorageHandle(Storage(arr.reshape(-1)), EXCLUSIVE)
        return TensorBase._make(h, (arr.shape, contiguous_strides(arr.shape), 0), D.from_np(arr.dtype))

    @staticmethod
    def _own(arr: np.ndarray[Any, Any], dt: D.dtype) -> Any:
        """A tensor owning ``arr``, a C-contiguous array of dtype ``dt`` just
        allocated by the caller (a ufunc's result): no copy, no checks."""
        shape = arr.shape
        strides = _CONTIG.get(shape)
        if strides is None:
            strides = _CONTIG[shape] = contiguous_strides(shape)
        return TensorBase._make(StorageHandle(Storage._of_dense(arr), EXCLUSIVE), (shape, strides, 0), dt)

    def _view(self, lay: Layout) -> Any:
        """A view over the same handle (shares storage and version counter)."""
        base = self._view_base if self._view_base is not None else self
        return TensorBase._make(self._h, lay, self._dtype, base)

    @property
    def _layout(self) -> Layout:
        return self._shape, self._strides, self._offset

    # the functional core ------------------------------------------------------
    def _lend(self) -> Array:
        lent = self._lent
        # reused while the handle keeps its buffer: the layout never changes, and the
        # core keeps no argument (copy-on-write swaps the buffer and so drops it)
        if lent is None or lent._storage is not self._h.storage:
            st = self._h.storage
            base = st._base
            shape = self._shape
            if self._offset == 0 and base.shape == shape and self._strides == _CONTIG.get(shape):
                # the whole row-major buffer (an op's fresh result): its NumPy array is the view,
                # which spares building one (~1 us) when the result is used in the next op
                lent = Array._unchecked(st, shape, self._strides, 0, False, base)
            else:
                lent = self._h.lend(shape, self._strides, self._offset)
            self._lent = lent
        return lent

    def _as(self, dt: D.dtype) -> Array:
        """The lent Array converted to ``dt`` (a core op when it differs)."""
        a = self._lend()
        return a if dt is self._dtype else core_cast(a, dt.np_dtype)

    @staticmethod
    def _wrap(out: Any, *inputs: Any) -> Any:
        """A new tensor holding the core's result ``out``.

        The result is SHARED (it may be a cached constant or alias a core
        buffer: the first in-place write copies it).  A result that aliases an
        input tensor's buffer, or whose layout a tensor cannot have (negative
        or zero strides over several elements), is copied now.
        """
        if not isinstance(out, Array):
            if isinstance(out, Tracer) and _TRACED_CLS:
                return _TRACED_CLS[0].of(out)
            raise TypeError(f"internal: expected an Array result, got {type(out).__name__}")
        shape, strides = out._shape, out._strides
        base = out._storage._base
        alias = False
        for t in inputs:
            if isinstance(t, TensorBase) and np.may_share_memory(base, t._h.storage._base):
                alias = True
        bad = False
        for d, s in zip(shape, strides):
            if s < 0 or (s == 0 and d > 1):
                bad = True
        if alias or bad:
            return TensorBase._fresh(np.array(out._numpy(), order="C", copy=True))
        h = StorageHandle(out.storage(), SHARED)
        return TensorBase._make(h, (shape, strides, out._offset), D.from_np(out._dtype))

    def _np_read(self) -> np.ndarray[Any, Any]:
        """A NumPy view for reading now (not kept)."""
        return np_view(self._h.storage, self._shape, self._strides, self._offset)

    def _copy(self) -> Any:
        """A copy that keeps a dense layout's memory order (``clone()``)."""
        st = dense_strides(self._shape, self._strides)
        n = math.prod(self._shape)
        buf = np.empty(n, self._dtype.np_dtype)
        h = StorageHandle(Storage(buf), EXCLUSIVE)
        np_view(h.storage, self._shape, st, 0)[...] = self._np_read()
        return TensorBase._make(h, (self._shape, st, 0), self._dtype)

    # metadata -----------------------------------------------------------------
    @property
    def shape(self) -> Size:
        """The sizes, as a :class:`Size` (a tuple)."""
        return Size(self._shape)

    @property
    def dtype(self) -> D.dtype:
        return self._dtype

    @property
    def ndim(self) -> int:
        return len(self._shape)

    @property
    def device(self) -> str:
        return "cpu"

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def _version(self) -> int:
        """Bumped by every in-place write through any view of the storage."""
        return self._h.version

    @property
    def _base(self) -> Any:
        """The tensor this one is a view of (None for a non-view)."""
        return self._view_base

    def size(self, dim: int | None = None) -> Any:
        """The shape (one dim's size if ``dim`` is given).

        Example:
            >>> import functorch_lite as fl
            >>> fl.zeros(2, 3).size(), fl.zeros(2, 3).size(-1)
            (functorch_lite.Size([2, 3]), 3)
        """
        if dim is None:
            return Size(self._shape)
        return self._shape[norm_dim(dim, len(self._shape))]

    def dim(self) -> int:
        """The number of dimensions."""
        return len(self._shape)

    def numel(self) -> int:
        """The number of elements."""
        return math.prod(self._shape)

    nelement = numel

    def element_size(self) -> int:
        """Bytes per element."""
        return self._dtype.itemsize

    def stride(self, dim: int | None = None) -> Any:
        """Strides in elements (one dim's if ``dim`` is given).

        Example:
            >>> import functorch_lite as fl
            >>> fl.zeros(2, 3).stride(), fl.zeros(2, 3).t().stride()
            ((3, 1), (1, 3))
        """
        if dim is None:
            return self._strides
        return self._strides[norm_dim(dim, len(self._shape))]

    def storage_offset(self) -> int:
        """Index of the first element in the storage.

        Example:
            >>> import functorch_lite as fl
            >>> fl.arange(6).view(2, 3)[1].storage_offset()
            3
        """
        return self._offset

    def storage(self) -> TypedStorage:
        """The 1-D elements behind this tensor and its views (``TypedStorage``).

        Example:
            >>> import functorch_lite as fl
            >>> x = fl.tensor([[1, 2], [3, 4]])
            >>> x.t().storage().tolist()
            [1, 2, 3, 4]
        """
        return TypedStorage(self._h)

    def untyped_storage(self) -> UntypedStorage:
        """The storage shared by every view of this tensor."""
        return UntypedStorage(self._h)

    def data_ptr(self) -> int:
        """Address of the first element (it moves when a write copies a
        storage an Array shares, see DESIGN.md)."""
        return self._h.data_ptr() + self._offset * self._dtype.itemsize

    def is_floating_point(self) -> bool:
        return self._dtype.is_floating_point

    # conversion -----------------------------------------------------------------
    def array(self) -> Array:
        """An immutable Array snapshot: later in-place writes never change it.

        Example:
            >>> import functorch_lite as fl
            >>> t = fl.ones(2)
            >>> a = t.array(); _ = t.zero_()
            >>> a.tolist()
            [1.0, 1.0]
        """
        return self._h.snapshot(self._shape, self._strides, self._offset)

    def __jax_array__(self) -> Array:
        return self.array()

    def numpy(self, *, force: bool = False) -> np.ndarray[Any, Any]:
        """A writable NumPy view sharing this tensor's memory, as PyTorch
        (``force=True`` returns a copy).

        Example:
            >>> import functorch_lite as fl
            >>> t = fl.zeros(3)
            >>> t.numpy()[0] = 5.0
            >>> t.tolist()
            [5.0, 0.0, 0.0]
        """
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        if force:
            return np.array(self._np_read(), copy=True)
        return self._h.export(self._shape, self._strides, self._offset)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray[Any, Any]:
        v = np.array(self._np_read(), copy=True) if copy else self._h.export(*self._layout)
        if dtype is not None and np.dtype(dtype) != v.dtype:
            if copy is False:
                raise ValueError("converting the dtype needs a copy; pass copy=None or True")
            v = v.astype(dtype)
        return v

    def tolist(self) -> Any:
        """Nested Python lists (a number for a 0-d tensor).

        Example:
            >>> import functorch_lite as fl
            >>> fl.tensor([[1, 2]]).tolist()
            [[1, 2]]
        """
        return self._np_read().tolist()

    def item(self) -> Any:
        """The only element as a Python number.

        Example:
            >>> import functorch_lite as fl
            >>> fl.tensor([2.5]).item()
            2.5
        """
        if self.numel() != 1:
            raise RuntimeError(
                f"a Tensor with {self.numel()} elements cannot be converted to Scalar (shape {list(self._shape)}); "
                "reduce it first (e.g. .sum()) or index one element"
            )
        return self._np_read().reshape(-1)[0].item()

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous (shape {list(self._shape)})"
            )
        return bool(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._dtype.is_differentiable or self.numel() != 1:
            raise TypeError(
                f"only integer tensors of a single element can be converted to an index, got "
                f"shape {list(self._shape)} dtype {self._dtype}"
            )
        return int(self.item())

    def __len__(self) -> int:
        if not self._shape:
            raise TypeError("len() of a 0-d tensor")
        return self._shape[0]

    def __hash__(self) -> int:
        return id(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        out = self._copy()
        out._requires_grad = self._requires_grad
        memo[id(self)] = out
        return out

    def __reduce__(self) -> Any:
        raise TypeError("functorch_lite tensors are not pickled; save them with functorch_lite's safe save/load")
