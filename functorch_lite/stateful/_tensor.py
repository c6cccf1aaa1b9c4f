"""The :class:`Tensor` class: the mixins put together, its constructor and
its printed form.

Example:
    >>> import functorch_lite as fl
    >>> fl.Tensor([1, 2]), fl.Tensor(2, 3).shape
    (tensor([1., 2.]), functorch_lite.Size([2, 3]))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from functorch_lite.dtypes import keep_64_bit_in_class
from functorch_lite.stateful import _dtypes as D
from functorch_lite.stateful._base import _TENSOR_CLS, TensorBase
from functorch_lite.stateful._convert import data_to_numpy
from functorch_lite.stateful._inplace import InplaceMixin
from functorch_lite.stateful._layout import sizes_arg
from functorch_lite.stateful._tensor_autograd import AutogradMixin


class Tensor(InplaceMixin, AutogradMixin):
    """A mutable, strided n-d array with PyTorch's interface.

    ``Tensor(data)`` copies nested lists or NumPy data into the default float
    dtype and ``Tensor(*sizes)`` makes an uninitialised (here: zeroed) one;
    prefer the factories (``tensor``, ``zeros``, ``from_numpy``...).  Views
    (``t()``, slicing, ``view``...) share storage; ``_`` methods write in
    place and return ``self``; ``array()`` gives an immutable snapshot.

    Example:
        >>> import functorch_lite as fl
        >>> x = fl.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> x[0].add_(10)
        tensor([11., 12.])
        >>> x
        tensor([[11., 12.],
                [ 3.,  4.]])
    """

    __slots__ = ()

    def __init__(self, *args: Any) -> None:
        dt = D.get_default_dtype()
        if not args:
            arr = np.zeros(0, dt.np_dtype)  # Tensor() is empty, as in PyTorch
        elif len(args) == 1 and not isinstance(args[0], (int, np.integer)):
            arr, _ = data_to_numpy(args[0], dt)
        else:
            arr = np.zeros(sizes_arg(args, "Tensor"), dt.np_dtype)
        fresh = TensorBase._fresh(arr)
        self._h, self._shape, self._strides, self._offset = fresh._h, fresh._shape, fresh._strides, fresh._offset
        self._dtype = fresh._dtype
        self._requires_grad = False
        self._grad = None
        self.grad_fn = None
        self._view_base = None
        self._lent = None
        self._acc = None

    # new tensors with this one's dtype (PyTorch's new_* methods) --------------------------------------
    def _new_filled(self, size: tuple[Any, ...], value: Any, dtype: Any, requires_grad: bool) -> Any:
        dt = self._dtype if dtype is None else D.to_dtype(dtype)
        out = TensorBase._fresh(np.full(sizes_arg(size, "new tensor"), value, dt.np_dtype))
        if requires_grad:
            out.requires_grad = True
        return out

    def new_zeros(self, *size: Any, dtype: Any = None, requires_grad: bool = False) -> Any:
        """Zeros of this tensor's dtype (unless ``dtype`` is given).

        Example:
            >>> import functorch_lite as fl
            >>> fl.ones(1, dtype=fl.int32).new_zeros(2).tolist(), fl.ones(1, dtype=fl.int32).new_zeros(2).dtype
            ([0, 0], functorch_lite.int32)
        """
        return self._new_filled(size, 0, dtype, requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, requires_grad: bool = False) -> Any:
        """Ones of this tensor's dtype."""
        return self._new_filled(size, 1, dtype, requires_grad)

    def new_empty(self, *size: Any, dtype: Any = None, requires_grad: bool = False) -> Any:
        """An unspecified (here zeroed) tensor of this tensor's dtype."""
        return self._new_filled(size, 0, dtype, requires_grad)

    def new_full(self, size: Any, fill_value: Any, *, dtype: Any = None, requires_grad: bool = False) -> Any:
        """``fill_value`` in ``size``, of this tensor's dtype."""
        return self._new_filled((size,), fill_value, dtype, requires_grad)

    def new_tensor(self, data: Any, *, dtype: Any = None, requires_grad: bool = False) -> Any:
        """A copy of ``data`` with this tensor's dtype (unless ``dtype`` is given)."""
        arr, _ = data_to_numpy(data, self._dtype if dtype is None else dtype)
        out = TensorBase._fresh(arr)
        if requires_grad:
            out.requires_grad = True
        return out

    def __repr__(self) -> str:
        body = _format(self._np_read(), self._dtype)
        extra = ""
        if self.numel() == 0 and self.ndim != 1:
            extra += f", size={tuple(self._shape)}"
        if self._dtype not in (D.get_default_dtype(), D.complex_for(D.get_default_dtype()), D.int64, D.bool_):
            extra += f", dtype=functorch_lite.{self._dtype.name}"
        if self.grad_fn is not None:
            extra += f", grad_fn=<{self.grad_fn.name()}>"
        elif self._requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        if self.ndim == 0 and spec:
            return format(self.item(), spec)
        return repr(self)


_TENSOR_CLS.append(Tensor)


def _float_formatter(values: np.ndarray[Any, Any]) -> Callable[[Any], str]:
    """PyTorch's float style for a set of values: integral floats as ``1.``,
    others with four decimals, scientific notation for wide ranges."""
    finite = values[np.isfinite(values)]
    big = float(np.abs(finite).max()) if finite.size else 0.0
    nz = np.abs(finite[finite != 0])
    small = float(nz.min()) if nz.size else 0.0
    if big >= 1e8 or (small and (small < 1e-4 or big / small > 1000)):
        fmt = "{:.4e}"
    elif bool(np.all(finite == np.round(finite))):
        fmt = "{:.0f}."
    else:
        fmt = "{:.4f}"

    def one(v: Any) -> str:
        return fmt.format(v) if np.isfinite(v) else str(v)

    return one


def _format(a: np.ndarray[Any, Any], dt: D.dtype) -> str:
    """PyTorch's print style: integral floats as ``1.``, others with four
    decimals, scientific notation for wide ranges; columns aligned; complex
    numbers as ``1.5000-2.0000j`` with one style for both parts."""
    opts: dict[str, Any] = {"separator": ", ", "prefix": "tensor(", "threshold": 1000, "edgeitems": 3}
    if dt.is_floating_point and a.size:
        one = _float_formatter(a)
        width = max(len(one(v)) for v in a.reshape(-1)[:2000])
        opts["formatter"] = {"float_kind": lambda v: one(v).rjust(width)}
        if a.ndim == 0:
            return one(a.item())
    if dt.is_complex and a.size:
        flat = a.reshape(-1)[:2000]
        part = _float_formatter(np.concatenate([flat.real, flat.imag]))
        wr = max(len(part(v)) for v in flat.real)
        wi = max(len(part(abs(v))) for v in flat.imag)

        def cplx(z: Any) -> str:
            im = z.imag
            sign = "-" if (im < 0 or (im == 0 and np.signbit(im))) else "+"
            return f"{part(z.real).rjust(wr)}{sign}{part(abs(im)).rjust(wi)}j"

        opts["formatter"] = {"complex_kind": cplx}
        if a.ndim == 0:
            return cplx(a.item()).strip()
    if a.ndim == 0:
        return repr(a.item())
    return np.array2string(a, **opts)


# PyTorch's dtype rules whatever the functional API's 64-bit mode (see dtypes.keeps_64_bit).
# The per-op hot paths are left unwrapped (the wrapper costs ~0.3 us a layer): they keep their
# operands' dtypes and never ask the functional API for a default or a 64-bit dtype, which
# the x64-off stateful tests check.
_HOT = frozenset({
    "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
    "__neg__", "__matmul__", "__iadd__", "__isub__", "__imul__", "__itruediv__",
    "__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__", "__getitem__", "__len__", "__iter__",
    "__repr__", "__bool__", "__float__", "__int__", "__index__", "__hash__", "__array__",
    "add_", "sub_", "mul_", "div_", "zero_", "fill_", "copy_", "addcmul_", "addcdiv_", "lerp_", "sqrt_",
    "shape", "dtype", "grad", "requires_grad", "data", "is_leaf", "ndim", "T", "mT", "grad_fn", "device",
    "size", "dim", "numel", "stride", "storage_offset", "is_contiguous", "view", "reshape", "t", "transpose",
    "permute", "unsqueeze", "squeeze", "expand", "detach", "contiguous", "flatten", "item", "tolist",
})
for _cls in Tensor.__mro__:
    if _cls.__module__.startswith("functorch_lite.stateful."):
        keep_64_bit_in_class(_cls, _HOT)
