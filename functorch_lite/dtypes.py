"""Supported dtypes and the type-promotion rules.

Within a kind (bool, signed, unsigned, float, complex) promotion follows the
Python Array API standard.  Across kinds it follows JAX: integers meet a
float or complex at that dtype (``int32 + float32 -> float32``), a float
meets a complex at the complex of the wider precision (``float64 +
complex64 -> complex128``), booleans meet anything at the other type, and
``uint64`` with a signed integer (which no integer holds) gives the default
float, as JAX's lattice does (the standard leaves it undefined).

Python scalars are *weak*: they take the dtype of the array they meet
(``float32_array * 2.0`` stays float32) unless their kind is higher
(``int32_array * 2.5`` becomes the default float, ``float32_array * 1j``
complex64).

Example:
    >>> from functorch_lite import dtypes
    >>> dtypes.result_type(dtypes.int8, dtypes.uint8)
    dtype('int16')
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
import warnings
from collections.abc import Callable
from types import FunctionType, TracebackType
from typing import Any, TypeVar

import numpy as np

bool_ = np.dtype(np.bool_)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
uint16 = np.dtype(np.uint16)
uint32 = np.dtype(np.uint32)
uint64 = np.dtype(np.uint64)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
complex64 = np.dtype(np.complex64)
complex128 = np.dtype(np.complex128)

SUPPORTED: tuple[np.dtype[Any], ...] = (
    bool_, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float32, float64, complex64, complex128,
)
_SUPPORTED_SET = frozenset(SUPPORTED)
FLOATING: tuple[np.dtype[Any], ...] = (float32, float64)
COMPLEX: tuple[np.dtype[Any], ...] = (complex64, complex128)
INTEGER: tuple[np.dtype[Any], ...] = (int8, int16, int32, int64, uint8, uint16, uint32, uint64)

# --- 64-bit mode ------------------------------------------------------------------------
# As in JAX, the functional API is 32-bit unless 64-bit mode is on: host data
# (NumPy arrays and scalars, lists, Python scalars) and explicit dtype requests
# are canonicalised to 32 bits, and the default float/int are float32/int32.
# The flag is process-wide (``config.update("enable_x64", True)`` or the
# FUNCTORCH_LITE_ENABLE_X64 environment variable); ``enable_x64(...)`` blocks
# override it in the thread that enters them.  Arrays that already hold 64-bit
# data (made in 64-bit mode, or by the PyTorch-style layer, which keeps
# PyTorch's dtype rules) keep their dtype either way: only values entering the
# functional API are canonicalised.


class _X64Local(threading.local):
    value: bool | None = None  # the innermost enable_x64 block of this thread; None: none open


_x64_local = _X64Local()
_x64_global = [os.environ.get("FUNCTORCH_LITE_ENABLE_X64", "").strip().lower() in ("1", "true", "yes", "on")]
# The mode of every thread while no enable_x64 block is open in any thread, else None:
# jit's hot path reads this one cell instead of a thread-local (~30 ns a call).  A block
# clears it before setting its thread's value and restores it after, so the thread
# in the block never sees a stale cell; other threads' mode is the global one anyway.
_x64_fast: list[bool | None] = [_x64_global[0]]
_x64_blocks = [0]  # enable_x64 blocks open, all threads
_x64_lock = threading.Lock()


def _refresh_x64_fast() -> None:
    _x64_fast[0] = None if _x64_blocks[0] else _x64_global[0]


def x64_enabled() -> bool:
    """Whether 64-bit mode is on in the calling thread.

    Example:
        >>> x64_enabled()
        False
    """
    v = _x64_local.value
    return _x64_global[0] if v is None else v


def set_x64(value: bool) -> None:
    """Turn 64-bit mode on or off for the whole process
    (``config.update("enable_x64", value)`` calls this).

    Example:
        >>> was = x64_enabled(); set_x64(True); x64_enabled()
        True
        >>> set_x64(was)
    """
    if not isinstance(value, bool):
        raise TypeError(f"enable_x64 takes True or False, not {value!r}")
    with _x64_lock:
        _x64_global[0] = value
        _refresh_x64_fast()


class enable_x64(contextlib.ContextDecorator):  # noqa: N801 - a context manager named as JAX's
    """A block in which 64-bit mode is ``new_val`` (in the entering thread only).

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> with fl.enable_x64():
        ...     print(jnp.zeros(2).dtype)
        float64
        >>> jnp.zeros(2).dtype
        dtype('float32')
    """

    def __init__(self, new_val: bool = True) -> None:
        if not isinstance(new_val, bool):
            raise TypeError(f"enable_x64 takes True or False, not {new_val!r}")
        self.new_val = new_val
        self._saved: list[bool | None] = []

    def __enter__(self) -> enable_x64:
        with _x64_lock:
            _x64_blocks[0] += 1
            _refresh_x64_fast()
        self._saved.append(_x64_local.value)
        _x64_local.value = self.new_val
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        _x64_local.value = self._saved.pop()
        with _x64_lock:
            _x64_blocks[0] -= 1
            _refresh_x64_fast()


_F = TypeVar("_F", bound=Callable[..., Any])


def keeps_64_bit(fn: _F) -> _F:
    """``fn`` run with 64-bit mode on in the calling thread.

    The PyTorch-style layer keeps PyTorch's dtype rules (``int64`` indices,
    ``float64`` on request) whatever the mode, and it is built on the
    functional API: its entry points are wrapped with this.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> keeps_64_bit(lambda: jnp.arange(2).dtype)()
        dtype('int64')
    """
    if getattr(fn, "_keeps_64_bit", False):
        return fn

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        local = _x64_local
        prev = local.value
        if prev is True:
            return fn(*args, **kwargs)
        local.value = True
        try:
            return fn(*args, **kwargs)
        finally:
            local.value = prev

    run._keeps_64_bit = True  # type: ignore[attr-defined]
    return run  # type: ignore[return-value]


def keep_64_bit_in_class(cls: type, skip: frozenset[str] = frozenset()) -> None:
    """Wrap the public methods, special methods and property accessors
    ``cls`` itself defines, except those named in ``skip``, with
    :func:`keeps_64_bit` (inherited ones are wrapped where they are defined).

    Example:
        >>> class C:
        ...     def f(self):
        ...         return x64_enabled()
        >>> keep_64_bit_in_class(C); C().f()
        True
    """
    for name, v in list(vars(cls).items()):
        if name in skip or (name.startswith("_") and not name.endswith("__")):
            continue  # private helpers run inside a wrapped entry point: no second layer
        if isinstance(v, FunctionType):
            setattr(cls, name, keeps_64_bit(v))
        elif isinstance(v, property):
            setattr(cls, name, property(
                None if v.fget is None else keeps_64_bit(v.fget),
                None if v.fset is None else keeps_64_bit(v.fset),
                None if v.fdel is None else keeps_64_bit(v.fdel),
                v.__doc__,
            ))


def keep_64_bit_in_module(namespace: dict[str, Any]) -> None:
    """Wrap the public functions a module defines (its ``globals()``) with
    :func:`keeps_64_bit`.

    Example:
        >>> ns = {"__name__": "m", "f": lambda: x64_enabled()}
        >>> ns["f"].__module__ = "m"; keep_64_bit_in_module(ns); ns["f"]()
        True
    """
    mod = namespace["__name__"]
    for name, v in list(namespace.items()):
        if not name.startswith("_") and isinstance(v, FunctionType) and v.__module__ == mod:
            namespace[name] = keeps_64_bit(v)


def default_float_dtype() -> np.dtype[Any]:
    """The dtype of Python floats and of float results from integers:
    float64 in 64-bit mode, float32 otherwise.

    Example:
        >>> default_float_dtype()
        dtype('float32')
    """
    return float64 if x64_enabled() else float32


def default_complex_dtype() -> np.dtype[Any]:
    """The dtype of Python complex numbers and of complex results from
    integers: complex128 in 64-bit mode, complex64 otherwise.

    Example:
        >>> default_complex_dtype()
        dtype('complex64')
    """
    return complex128 if x64_enabled() else complex64


def default_int_dtype() -> np.dtype[Any]:
    """The dtype of Python ints and of indices: int64 in 64-bit mode, int32 otherwise.

    Example:
        >>> default_int_dtype()
        dtype('int32')
    """
    return int64 if x64_enabled() else int32


def accumulation_dtype(dt: np.dtype[Any]) -> np.dtype[Any]:
    """The dtype ``sum``/``prod``/``cumsum`` give an array of ``dt`` without a
    ``dtype=``: booleans and narrow signed integers widen to the default int,
    narrow unsigned integers to the default unsigned int (uint64 in 64-bit
    mode, else uint32), as NumPy and JAX; other dtypes are kept.

    Example:
        >>> accumulation_dtype(uint8), accumulation_dtype(int8), accumulation_dtype(float32)
        (dtype('uint32'), dtype('int32'), dtype('float32'))
    """
    di = default_int_dtype()
    if dt.kind == "u" and dt.itemsize < di.itemsize:
        return uint64 if di == int64 else uint32
    if dt.kind == "b" or (dt.kind == "i" and dt.itemsize < di.itemsize):
        return di
    return dt


_TO_32 = {float64: float32, int64: int32, uint64: uint32, complex128: complex64}


def canonical_host_dtype(dt: np.dtype[Any]) -> np.dtype[Any]:
    """The dtype host data of dtype ``dt`` gets in the functional API: 64-bit
    kinds narrow to 32 bits unless 64-bit mode is on.

    Example:
        >>> canonical_host_dtype(float64), canonical_host_dtype(uint8), canonical_host_dtype(np.dtype(">f8"))
        (dtype('float32'), dtype('uint8'), dtype('float32'))
    """
    if not dt.isnative:  # host data in the other byte order narrows too (the copy converts it)
        dt = dt.newbyteorder("=")
    if dt in _TO_32 and not x64_enabled():
        return _TO_32[dt]
    return dt


def requested(dtype: Any, where: str) -> np.dtype[Any]:
    """A dtype a user asked for (``dtype=`` of ``where``): canonicalised, and
    narrowed to 32 bits with JAX's warning unless 64-bit mode is on.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     requested("float64", "zeros")
        dtype('float32')
    """
    dt = canonicalize(dtype)
    if dt in _TO_32 and not x64_enabled():
        narrow = _TO_32[dt]
        warnings.warn(
            f"Explicitly requested dtype {dt} requested in {where} is not available, and will be "
            f"truncated to dtype {narrow}. To enable more dtypes, set the enable_x64 configuration "
            "option (functorch_lite.config.update('enable_x64', True)) or the FUNCTORCH_LITE_ENABLE_X64 "
            "environment variable.",
            UserWarning, stacklevel=_user_stacklevel(),
        )
        return narrow
    return dt


def _user_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first caller outside this package."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith("functorch_lite."):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


_NAMES = {
    "bool": bool_, "bool_": bool_, "int8": int8, "int16": int16, "int32": int32,
    "int64": int64, "uint8": uint8, "uint16": uint16, "uint32": uint32, "uint64": uint64,
    "float32": float32, "float64": float64, "complex64": complex64, "complex128": complex128,
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
    if dtype is float or (isinstance(dtype, str) and dtype == "float"):
        return default_float_dtype()
    if dtype is int or (isinstance(dtype, str) and dtype == "int"):
        return default_int_dtype()
    if dtype is bool:
        return bool_
    if dtype is complex or (isinstance(dtype, str) and dtype == "complex"):
        return default_complex_dtype()
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


def is_complex(dtype: np.dtype[Any]) -> bool:
    """Whether ``dtype`` is a complex dtype.

    Example:
        >>> is_complex(complex64)
        True
    """
    return dtype.kind == "c"


def is_inexact(dtype: np.dtype[Any]) -> bool:
    """Whether ``dtype`` is a real or complex floating-point dtype.

    Example:
        >>> is_inexact(float32), is_inexact(int32)
        (True, False)
    """
    return dtype.kind in "fc"


def to_complex(dtype: np.dtype[Any]) -> np.dtype[Any]:
    """The complex dtype whose parts have ``dtype``'s precision (float32 and
    smaller: complex64; float64: complex128; complex dtypes are kept).

    Example:
        >>> to_complex(float64)
        dtype('complex128')
    """
    if dtype.kind == "c":
        return dtype
    if dtype == float64:
        return complex128
    if dtype.kind == "f":
        return complex64
    return default_complex_dtype()


def real_dtype(dtype: np.dtype[Any]) -> np.dtype[Any]:
    """The dtype of the real and imaginary parts of ``dtype`` (itself when real).

    Example:
        >>> real_dtype(complex64)
        dtype('float32')
    """
    if dtype == complex64:
        return float32
    if dtype == complex128:
        return float64
    return dtype


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
    if ka in "fc" or kb in "fc":
        if ka in "iu":
            return b
        if kb in "iu":
            return a
        # float/complex: complex if either is, at the wider of the two precisions
        wide = 8 if 8 in (real_dtype(a).itemsize, real_dtype(b).itemsize) else 4
        if "c" in (ka, kb):
            return complex128 if wide == 8 else complex64
        return float64 if wide == 8 else float32
    # both integers
    if ka == kb:
        return a if a.itemsize >= b.itemsize else b
    signed, unsigned = (a, b) if ka == "i" else (b, a)
    if signed.itemsize > unsigned.itemsize:
        return signed
    if unsigned.itemsize < 8:
        return np.dtype(f"int{unsigned.itemsize * 16}")
    # uint64 with any signed integer: no integer holds both; JAX's lattice
    # joins them at its weak float, so the result is the default float
    return float64 if x64_enabled() else float32


_PROMOTION: dict[tuple[np.dtype[Any], np.dtype[Any]], np.dtype[Any]] = {
    (a, b): _promote_pair(a, b) for a in SUPPORTED for b in SUPPORTED
    if not ({a, b} & {uint64} and {a.kind, b.kind} == {"i", "u"})
}
# (the uint64-with-signed pairs follow the mode, the default float: promote_types computes them)

_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def promote_types(a: np.dtype[Any], b: np.dtype[Any]) -> np.dtype[Any]:
    """The dtype two (strongly typed) dtypes promote to.

    Example:
        >>> promote_types(int32, float32)
        dtype('float32')
    """
    hit = _PROMOTION.get((a, b))
    if hit is None:  # dtype-likes ("float32", float, np.int8) are canonicalised; anything else is refused
        return _promote_pair(canonicalize(a), canonicalize(b))
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
        return promote_types(a, b), a_weak
    strong, weak = (b, a) if a_weak else (a, b)
    if _KIND_RANK[weak.kind] <= _KIND_RANK[strong.kind]:
        return strong, False
    if weak.kind == "c":
        if strong.kind == "f":
            return to_complex(strong), False  # float32 array * 1j: complex64, as JAX
        return default_complex_dtype(), True
    if weak.kind == "f":
        return default_float_dtype(), True
    return default_int_dtype() if weak.kind in "iu" else weak, True


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
        out = promote_types(out, canonicalize(d))
    return out


def scalar_dtype(value: bool | int | float | complex) -> np.dtype[Any]:
    """The (weak) dtype a Python scalar gets.

    Example:
        >>> scalar_dtype(2.0)
        dtype('float32')
    """
    if isinstance(value, bool):
        return bool_
    if isinstance(value, int):
        return default_int_dtype()
    if isinstance(value, float):
        return default_float_dtype()
    if isinstance(value, complex):
        return default_complex_dtype()
    raise TypeError(f"{type(value).__name__} is not a supported scalar type (bool, int, float, complex)")


class finfo:
    """Machine limits of a floating-point (or complex: its real part's) dtype.

    NumPy's ``finfo`` with the Array API's attributes as Python numbers
    (``bits``: int; ``eps``, ``max``, ``min``, ``smallest_normal``, ``tiny``:
    float); every other attribute of NumPy's (``resolution``, ``precision``,
    ``epsneg``...) is NumPy's own.

    Example:
        >>> info = finfo(float32)
        >>> info.bits, info.eps == 2.0 ** -23, type(info.max).__name__
        (32, True, 'float')
    """

    def __init__(self, dtype: Any) -> None:
        info = np.finfo(canonicalize(dtype))
        self._info = info
        self.dtype: np.dtype[Any] = np.dtype(info.dtype)
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.smallest_normal = float(info.smallest_normal)
        self.tiny = self.smallest_normal

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_info":  # copy/pickle probe before __init__ ran
            raise AttributeError(name)
        return getattr(self._info, name)

    def __repr__(self) -> str:
        return (f"finfo(resolution={self._info.resolution}, min={self.min:.6e}, max={self.max:.6e}, "
                f"dtype={self.dtype.name})")


def iinfo(dtype: Any) -> np.iinfo[Any]:
    """Machine limits of an integer dtype (NumPy's ``iinfo``).

    Example:
        >>> int(iinfo(int8).max)
        127
    """
    return np.iinfo(canonicalize(dtype))


def __getattr__(name: str) -> np.dtype[Any]:
    # ``dtypes.default_float``/``default_int`` read the current mode (JAX's
    # ``jnp.float_``/``int_`` analogues); a module attribute could not follow it
    if name == "default_float":
        return default_float_dtype()
    if name == "default_int":
        return default_int_dtype()
    if name == "default_complex":
        return default_complex_dtype()
    raise AttributeError(f"module 'functorch_lite.dtypes' has no attribute {name!r}")
