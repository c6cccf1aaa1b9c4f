"""Scalar types (``jnp.float32`` ...): usable as dtypes and as constructors.

Example:
    >>> import functorch_lite.numpy as jnp
    >>> jnp.float32(2).dtype, jnp.zeros(1, jnp.int8).dtype
    (dtype('float32'), dtype('int8'))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from functorch_lite import dtypes
from functorch_lite.array import Array
from functorch_lite.numpy._creation import array


class ScalarType:
    """``jnp.float32(x)`` makes an array; ``np.dtype(jnp.float32)`` works too."""

    def __init__(self, dtype: np.dtype[Any]) -> None:
        self.dtype = dtype
        self.__name__ = dtype.name

    def __call__(self, x: Any) -> Array:
        return array(x, dtype=self.dtype)

    def __repr__(self) -> str:
        return f"functorch_lite.numpy.{self.dtype.name}"

    def __eq__(self, other: object) -> bool:
        # anything that is not a dtype-like compares unequal (np.dtype raises TypeError,
        # ValueError or others for tuples, dicts, strings that are not dtype names...);
        # None too, although np.dtype(None) is float64 (as NumPy's and JAX's scalar types)
        if other is None:
            return False
        try:
            return bool(np.dtype(other) == self.dtype)  # type: ignore[call-overload]
        except Exception:
            return False

    def __hash__(self) -> int:
        return hash(self.dtype)


bool_ = ScalarType(dtypes.bool_)
int8 = ScalarType(dtypes.int8)
int16 = ScalarType(dtypes.int16)
int32 = ScalarType(dtypes.int32)
int64 = ScalarType(dtypes.int64)
uint8 = ScalarType(dtypes.uint8)
uint16 = ScalarType(dtypes.uint16)
uint32 = ScalarType(dtypes.uint32)
uint64 = ScalarType(dtypes.uint64)
float32 = ScalarType(dtypes.float32)
float64 = ScalarType(dtypes.float64)
complex64 = ScalarType(dtypes.complex64)
complex128 = ScalarType(dtypes.complex128)
