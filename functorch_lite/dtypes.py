"""Supported dtypes and the type-promotion rules.

Within a kind (bool, signed, unsigned, float) promotion follows the Python
Array API standard.  Across kinds it follows JAX: integers meet a float at
that float (``int32 + float32 -> float32``), and booleans meet anything at
the other type.  Python scalars are *weak*: they take the dtype of the array
they meet (``float32_array * 2.0`` stays float32) unless their kind is
higher (``int32_array * 2.5`` becomes the default float).

Example:
    >>> from functorch_lite import dtypes
    >>> dtypes.result_type(dtypes.int8, dtypes.uint8)
    dtype('int16')
"""

from __future__ import annotations

from typing import Any

import numpy as np

bool_ = np.dtype(np.bool_)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)

SUPPORTED: tuple[np.dtype[Any], ...] = (
    bool_, int8, int16, int32, int64, uint8, float32, float64,
)
_SUPPORTED_SET = frozenset(SUPPORTED)
FLOATING: tuple[np.dtype[Any], ...] = (float32, float64)
INTEGER: tuple[np.dtype[Any], ...] = (int8, int16, int32, int64, uint8)

default_float = float32
default_int = int32

_NAMES = {
    "bool": bool_, "bool_": bool_, "int8": int8, "int16": int16, "int32": int32,
    "int64": int64, "uint8": uint8, "float32": float32, "float64": float64,
    "float": default_float, "int": default_int,
}


def canonicalize(dtype: Any) -> np.dtype[Any]:
    """Turn a dtype-like (name, NumPy dtype, Python type) into a supported dtype.

    Raises ``TypeError`` naming the supported dtypes for anything else.

    Example:
        >>> canonicalize("float32")
        dtype('float32')
    """
    if isinstance(dtype, np.dtype) and dtype in _SUPPORTED_SET:
        return dtype
    if dtype is float:
        return default_float
    if dtype is int:
        return default_int
    if dtype is bool:
        return bool_
    if isinstance(dtype, str) and dtype in _NAMES:
        named: np.dtype[Any] = _NAMES[dtype]
        return named
    dt: np.dtype[Any] | None
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is not None and dt in _SUPPORTED_SET:
        return dt
    names = ", ".join(str(d) for d in SUPPORTED)
    raise TypeError(f"dtype {dtype!r} is not supported by functorch_lite; use one of: {names}")


def is_float(dtype: np.dtype[Any]) -> bool:
    """Whether ``dtype`` is a floating-point dtype.

    Example:
        >>> is_float(float32)
        True
    """
    return dtype.kind == "f"


def is_integer(dtype: np.dtype[Any]) -> bool:
    """Whether ``dtype`` is a (signed or unsigned) integer dtype.

    Example:
        >>> is_integer(uint8)
        True
    """
    return dtype.kind in "iu"


def _promote_pair(a: np.dtype[Any], b: np.dtype[Any]) -> np.dtype[Any]:
    if a == b:
        return a
    ka, kb = a.kind, b.kind
    if ka == "b":
        return b
    if kb == "b":
        return a
    if ka == "f" or kb == "f":
        if ka == "f" and kb == "f":
            return float64 if float64 in (a, b) else float32
        return a if ka == "f" else b
    # both integers
    if ka == kb:
        return a if a.itemsize >= b.itemsize else b
    signed, unsigned = (a, b) if ka == "i" else (b, a)
    if signed.itemsize > unsigned.itemsize:
        return signed
    # only int8 with uint8 gets here (uint8 is the one unsigned type): int16
    return int16


_PROMOTION: dict[tuple[np.dtype[Any], np.dtype[Any]], np.dtype[Any]] = {
    (a, b): _promote_pair(a, b) for a in SUPPORTED for b in SUPPORTED
}

_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2}


def promote_types(a: np.dtype[Any], b: np.dtype[Any]) -> np.dtype[Any]:
    """The dtype two (strongly typed) dtypes promote to.

    Example:
        >>> promote_types(int32, float32)
        dtype('float32')
    """
    hit = _PROMOTION.get((a, b))
    if hit is None:  # dtype-likes ("float32", float, np.int8) are canonicalised; anything else is refused
        hit = _PROMOTION[(canonicalize(a), canonicalize(b))]
    return hit


def promote_weak(
    a: np.dtype[Any], a_weak: bool, b: np.dtype[Any], b_weak: bool
) -> tuple[np.dtype[Any], bool]:
    """Promote two dtypes where either may come from a Python scalar (weak).

    A weak operand adopts the strong operand's dtype unless its kind is
    higher: a Python float meeting an int array gives the default float,
    and (as in JAX) the result stays weak, since its width came from no array.

    Example:
        >>> promote_weak(float32, False, float64, True)
        (dtype('float32'), False)
        >>> promote_weak(int8, False, float32, True)
        (dtype('float32'), True)
    """
    if a_weak == b_weak:
        return _PROMOTION[(a, b)], a_weak
    strong, weak = (b, a) if a_weak else (a, b)
    if _KIND_RANK[weak.kind] <= _KIND_RANK[strong.kind]:
        return strong, False
    if weak.kind == "f":
        return default_float, True
    return default_int if weak.kind in "iu" else weak, True


def result_type(*dtypes: Any) -> np.dtype[Any]:
    """The promoted dtype of several dtypes (all treated as strong).

    Example:
        >>> result_type(int8, float64)
        dtype('float64')
    """
    if not dtypes:
        raise TypeError("result_type needs at least one dtype")
    out = canonicalize(dtypes[0])
    for d in dtypes[1:]:
        out = _PROMOTION[(out, canonicalize(d))]
    return out


def scalar_dtype(value: bool | int | float) -> np.dtype[Any]:
    """The (weak) dtype a Python scalar gets.

    Example:
        >>> scalar_dtype(2.0)
        dtype('float32')
    """
    if isinstance(value, bool):
        return bool_
    if isinstance(value, int):
        return default_int
    if isinstance(value, float):
        return default_float
    raise TypeError(f"{type(value).__name__} is not a supported scalar type (bool, int, float)")


def finfo(dtype: Any) -> Any:
    """Machine limits of a float dtype (NumPy's ``finfo``).

    Example:
        >>> float(finfo(float32).eps) > 0
        True
    """
    return np.finfo(canonicalize(dtype))


def iinfo(dtype: Any) -> Any:
    """Machine limits of an integer dtype (NumPy's ``iinfo``).

    Example:
        >>> int(iinfo(int8).max)
        127
    """
    return np.iinfo(canonicalize(dtype))
