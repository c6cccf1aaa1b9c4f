"""PyTorch's dtype objects, default dtype and type promotion.

The stateful layer follows PyTorch where the functional core follows JAX:
Python ints are int64, Python floats the default dtype (float32 unless
:func:`set_default_dtype` says float64), Python complex numbers the complex
dtype of that precision, integer sums accumulate in int64, and a tensor
meets a scalar or a 0-d tensor by *category* (bool < integer < float <
complex): ``int32_tensor + 2.5`` is float32, ``float32_tensor + float64_0d``
is float32, ``int32_tensor + float64_0d`` is float64, ``float32_tensor * 1j``
is complex64.

Example:
    >>> import functorch_lite as fl
    >>> fl.promote_types(fl.int32, fl.float32), fl.get_default_dtype()
    (functorch_lite.float32, functorch_lite.float32)
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from functorch_lite import dtypes as _core_dtypes


class dtype:  # noqa: N801 - PyTorch's name
    """A tensor element type, as ``torch.dtype``; compares equal to the
    NumPy dtype it stands for.

    Example:
        >>> import numpy as np
        >>> import functorch_lite as fl
        >>> fl.float32.is_floating_point, fl.int64.itemsize, fl.float32 == np.float32
        (True, 8, True)
    """

    __slots__ = ("name", "np_dtype", "is_floating_point", "is_signed", "itemsize", "_rank")

    def __init__(self, name: str, np_dtype: np.dtype[Any], rank: int) -> None:
        self.name = name
        self.np_dtype = np_dtype
        self.is_floating_point = np_dtype.kind == "f"
        self.is_signed = np_dtype.kind in "ifc"
        self.itemsize = int(np_dtype.itemsize)
        self._rank = rank

    @property
    def is_complex(self) -> bool:
        return bool(self.np_dtype.kind == "c")

    @property
    def is_differentiable(self) -> bool:
        """Whether tensors of this dtype can require gradients (floating or complex)."""
        return bool(self.np_dtype.kind in "fc")

    def __repr__(self) -> str:
        return f"functorch_lite.{self.name}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, dtype):
            return other is self
        try:
            return bool(self.np_dtype == np.dtype(other))  # type: ignore[call-overload]
        except TypeError:
            return False

    def __hash__(self) -> int:
        return hash(self.np_dtype)

    def __reduce__(self) -> Any:
        return (to_dtype, (self.name,))


bool_ = dtype("bool", _core_dtypes.bool_, 0)
uint8 = dtype("uint8", _core_dtypes.uint8, 1)
int8 = dtype("int8", _core_dtypes.int8, 1)
int16 = dtype("int16", _core_dtypes.int16, 2)
int32 = dtype("int32", _core_dtypes.int32, 3)
int64 = dtype("int64", _core_dtypes.int64, 4)
uint16 = dtype("uint16", _core_dtypes.uint16, 2)
uint32 = dtype("uint32", _core_dtypes.uint32, 3)
uint64 = dtype("uint64", _core_dtypes.uint64, 4)
float32 = dtype("float32", _core_dtypes.float32, 10)
float64 = dtype("float64", _core_dtypes.float64, 11)
complex64 = dtype("complex64", _core_dtypes.complex64, 20)
complex128 = dtype("complex128", _core_dtypes.complex128, 21)

ALL: tuple[dtype, ...] = (bool_, uint8, int8, int16, int32, int64, uint16, uint32, uint64, float32, float64,
                          complex64, complex128)
_BY_NP: dict[np.dtype[Any], dtype] = {d.np_dtype: d for d in ALL}
_ALIASES: dict[str, dtype] = {
    "bool": bool_, "uint8": uint8, "int8": int8, "int16": int16, "short": int16,
    "int32": int32, "int": int32, "int64": int64, "long": int64,
    "float32": float32, "float": float32, "float64": float64, "double": float64,
    "uint16": uint16, "uint32": uint32, "uint64": uint64,
    "complex64": complex64, "cfloat": complex64, "complex128": complex128, "cdouble": complex128,
}


class _Defaults:
    # PyTorch's default dtype is process-wide (not per thread)
    lock = threading.Lock()
    float_dtype: dtype = float32


def get_default_dtype() -> dtype:
    """The dtype of tensors made from Python floats (float32 unless changed).

    Example:
        >>> import functorch_lite as fl
        >>> fl.get_default_dtype()
        functorch_lite.float32
    """
    return _Defaults.float_dtype


def set_default_dtype(d: Any) -> None:
    """Set the dtype for Python floats: ``float32`` or ``float64`` (as PyTorch,
    process-wide).

    Example:
        >>> import functorch_lite as fl
        >>> fl.set_default_dtype(fl.float64); fl.tensor([1.5]).dtype
        functorch_lite.float64
        >>> fl.set_default_dtype(fl.float32)
    """
    dt = to_dtype(d)
    if not dt.is_floating_point:
        raise TypeError(f"set_default_dtype only supports floating point dtypes (float32, float64), got {dt}")
    with _Defaults.lock:
        _Defaults.float_dtype = dt


def to_dtype(d: Any) -> dtype:
    """``d`` (a dtype object, a NumPy dtype, a name or ``float``/``int``/``bool``)
    as one of this layer's dtype objects; ``TypeError`` names the supported ones.

    Example:
        >>> to_dtype("long"), to_dtype(float)
        (functorch_lite.int64, functorch_lite.float32)
    """
    if isinstance(d, dtype):
        return d
    if d is float:
        return get_default_dtype()
    if d is int:
        return int64
    if d is bool:
        return bool_
    if d is complex:
        return complex_for(get_default_dtype())
    if isinstance(d, str) and d in _ALIASES:
        return _ALIASES[d]
    try:
        found = _BY_NP.get(np.dtype(d))
    except TypeError:
        found = None
    if found is None:
        names = ", ".join(x.name for x in ALL)
        raise TypeError(f"dtype {d!r} is not supported by functorch_lite tensors; use one of: {names}")
    return found


def from_np(d: np.dtype[Any]) -> dtype:
    """The dtype object of a supported NumPy dtype."""
    found = _BY_NP.get(d)
    return found if found is not None else to_dtype(d)


def complex_for(d: dtype) -> dtype:
    """The complex dtype whose parts have ``d``'s precision (float64:
    complex128; other real dtypes: complex64; complex dtypes are kept)."""
    if d.is_complex:
        return d
    return complex128 if d is float64 else complex64


def _category(d: dtype) -> int:
    if d is bool_:
        return 0
    return 2 if d.is_floating_point else (3 if d.is_complex else 1)


category = _category


def category_of_scalar(v: Any) -> int:
    """0 for bools, 1 for ints, 2 for floats, 3 for complex numbers (4 for anything else)."""
    if isinstance(v, (bool, np.bool_)):
        return 0
    if isinstance(v, (int, np.integer)):
        return 1
    if isinstance(v, (float, np.floating)):
        return 2
    if isinstance(v, (complex, np.complexfloating)):
        return 3
    return 4


def promote_types(a: Any, b: Any) -> dtype:
    """The smallest dtype both ``a`` and ``b`` convert to, as PyTorch
    (``int64 + float32 -> float32``, ``uint8 + int8 -> int16``).

    Example:
        >>> import functorch_lite as fl
        >>> fl.promote_types(fl.int64, fl.float32), fl.promote_types(fl.uint8, fl.int8)
        (functorch_lite.float32, functorch_lite.int16)
    """
    x, y = to_dtype(a), to_dtype(b)
    if x is y:
        return x
    cx, cy = _category(x), _category(y)
    if {cx, cy} == {2, 3}:  # complex64 + float64 -> complex128, as PyTorch
        return complex128 if float64 in (x, y) or complex128 in (x, y) else complex64
    if cx != cy:
        return x if cx > cy else y
    if cx >= 2:
        return x if x.itemsize >= y.itemsize else y
    return _BY_NP[np.promote_types(x.np_dtype, y.np_dtype)]


def scalar_dtype(v: Any) -> dtype:
    """The dtype PyTorch gives a Python (or NumPy) scalar."""
    if isinstance(v, (bool, np.bool_)):
        return bool_
    if isinstance(v, (int, np.integer)):
        return int64
    if isinstance(v, (float, np.floating)):
        return get_default_dtype()
    if isinstance(v, (complex, np.complexfloating)):
        return complex_for(get_default_dtype())
    raise TypeError(f"expected a Python number or a tensor, got {type(v).__name__} {v!r}")


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    # c10's combine_categories: a higher-priority operand keeps its dtype
    # unless a lower-priority one is of a higher category
    if higher is None:
        return lower
    if lower is None or _category(higher) >= _category(lower):
        if lower is not None and higher is bool_:
            return promote_types(higher, lower)
        return higher
    if _category(lower) == 3 and higher.is_floating_point:
        return complex_for(higher)  # float32 tensor * 1j: complex64 (the tensor's precision)
    return promote_types(higher, lower)


def result_type(*operands: tuple[dtype, int]) -> dtype:
    """PyTorch's result dtype of ``(dtype, priority)`` operands, priority 2
    for tensors with dimensions, 1 for 0-d tensors, 0 for Python scalars
    (whose dtype is :func:`scalar_dtype`'s).

    Example:
        >>> result_type((int32, 2), (float64, 1)), result_type((float32, 2), (float64, 1))
        (functorch_lite.float64, functorch_lite.float32)
    """
    slots: list[dtype | None] = [None, None, None]
    for d, prio in operands:
        cur = slots[prio]
        slots[prio] = d if cur is None else promote_types(cur, d)
    out = _combine(slots[2], _combine(slots[1], slots[0]))
    if out is None:
        raise TypeError("result_type needs at least one operand")
    return out


def can_cast(from_: Any, to: Any) -> bool:
    """Whether an in-place op may write a ``from_`` result into ``to``
    (PyTorch's rule: never float to integer, nor non-bool to bool).

    Example:
        >>> import functorch_lite as fl
        >>> fl.can_cast(fl.float32, fl.int32), fl.can_cast(fl.int64, fl.float32)
        (False, True)
    """
    f, t = to_dtype(from_), to_dtype(to)
    return _category(f) <= _category(t)
