"""Turning user data (nested lists, scalars, NumPy arrays, Arrays) into
NumPy buffers with PyTorch's dtype inference.

Example:
    >>> data_to_numpy([1, 2])[1], data_to_numpy([1.5])[1], data_to_numpy([True])[1]
    (functorch_lite.int64, functorch_lite.float32, functorch_lite.bool)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from functorch_lite.array import Array
from functorch_lite.stateful import _dtypes as D
from functorch_lite.stateful._base import TensorBase


def data_to_numpy(data: Any, dtype: Any = None) -> tuple[np.ndarray[Any, Any], D.dtype]:
    """A fresh NumPy array holding ``data`` and its dtype: NumPy data and
    Arrays keep theirs; Python floats take the default dtype, ints int64,
    bools bool (``dtype`` overrides)."""
    if isinstance(data, TensorBase):
        arr = np.array(data._np_read(), copy=True)
        kept: D.dtype | None = data._dtype
    elif isinstance(data, Array):
        arr = np.array(data.numpy(), copy=True)
        kept = D.from_np(arr.dtype)
    elif isinstance(data, (np.ndarray, np.generic)):
        arr = np.array(data, copy=True)
        kept = D.to_dtype(arr.dtype) if arr.dtype != object else None
    else:
        try:
            arr = np.array(data)
        except (ValueError, OverflowError) as e:
            raise ValueError(
                f"cannot make a tensor from {type(data).__name__} data: {e}; nested lists must be "
                "rectangular and hold numbers (bool, int, float)"
            ) from None
        kept = None
        kind = arr.dtype.kind
        if kind == "f":
            kept = D.get_default_dtype() if _plain_python(data) else D.to_dtype(arr.dtype)
        elif kind == "c":  # Python complex numbers: the complex dtype of the default float's precision
            kept = D.complex_for(D.get_default_dtype()) if _plain_python(data) else D.to_dtype(arr.dtype)
        elif kind in "iu" and arr.dtype.itemsize == 8 and kind == "u":
            raise OverflowError("value cannot be converted to type int64 without overflow")
        elif kind in "iu":
            kept = D.int64 if _plain_python(data) else D.to_dtype(arr.dtype)
        elif kind == "b":
            kept = D.bool_
        if kept is None:
            raise TypeError(
                f"cannot make a tensor from {type(data).__name__} data holding {arr.dtype} values; "
                "use bool, int, float or complex numbers (ints must fit in int64)"
            )
    if kept is None:
        raise TypeError(f"NumPy dtype {arr.dtype} is not supported by functorch_lite tensors")
    out_dt = kept if dtype is None else D.to_dtype(dtype)
    if arr.dtype != out_dt.np_dtype or not arr.flags.c_contiguous or not arr.dtype.isnative:
        arr = np.asarray(arr.astype(out_dt.np_dtype), order="C")
    return arr, out_dt


def _plain_python(data: Any) -> bool:
    """Whether the first leaf of nested lists is a Python number (PyTorch
    infers the default dtypes for those, and the leaf's dtype otherwise)."""
    while isinstance(data, (list, tuple)) and data:
        data = data[0]
    return isinstance(data, (bool, int, float, complex)) or not hasattr(data, "dtype")
