"""Param types: what each primitive's params may be, for checking saved programs.

Each primitive's row in ``tables.param_types`` is written beside its
declaration: ``{param name: ParamSpec}``.  ``export.load`` checks every
equation of a file against its primitive's row before anything reaches a
shape rule or a kernel, so an axis must be an int (not a bool, a float or a
tuple), a shape a tuple of non-negative ints, a dtype a supported dtype.  A
primitive without a row takes no params.  ``tests/test_export_safety.py``
checks the rows against every shape rule's signature, so a new param cannot
be forgotten.

Example:
    >>> AXES.ok((0, -1)), AXES.ok((0.5,)), AXES.ok(True)
    (True, False, False)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from functorch_lite import dtypes

#: the most dimensions an array in a saved program may have
MAX_NDIM = 32
#: integers in a saved program are int64
INT_LIMIT = 2**63
#: the dtypes a saved program may name
DTYPE_NAMES: dict[str, np.dtype[Any]] = {d.name: d for d in dtypes.SUPPORTED}


class ParamSpec:
    """One param's expected type: what to call it in messages, a predicate,
    and whether a file may leave it out (the primitive has a default).

    Example:
        >>> ParamSpec("a boolean", lambda v: type(v) is bool).ok(1)
        False
    """

    __slots__ = ("what", "ok", "required")

    def __init__(self, what: str, ok: Callable[[Any], bool], required: bool = True) -> None:
        self.what = what
        self.ok = ok
        self.required = required


def int_in(lo: int, hi: int) -> Callable[[Any], bool]:
    """A predicate: an int (not a bool) in ``[lo, hi]``.

    Example:
        >>> int_in(0, 3)(3), int_in(0, 3)(True)
        (True, False)
    """
    return lambda v: type(v) is int and lo <= v <= hi


def tuple_of(ok: Callable[[Any], bool], max_len: int) -> Callable[[Any], bool]:
    """A predicate: a tuple of at most ``max_len`` items that each pass ``ok``.

    Example:
        >>> tuple_of(int_in(0, 9), 2)((1, 2)), tuple_of(int_in(0, 9), 2)([1, 2])
        (True, False)
    """
    return lambda v: type(v) is tuple and len(v) <= max_len and all(ok(x) for x in v)


def is_dtype(v: Any) -> bool:
    """Whether ``v`` is one of the supported NumPy dtypes.

    Example:
        >>> is_dtype(np.dtype("float32")), is_dtype("float32")
        (True, False)
    """
    return isinstance(v, np.dtype) and DTYPE_NAMES.get(v.name) == v


def one_of(*names: str) -> ParamSpec:
    """A string param that must be one of ``names``.

    Example:
        >>> one_of("left", "right").ok("up")
        False
    """
    return ParamSpec(f"one of {list(names)}", lambda v: isinstance(v, str) and v in names)


is_axis = int_in(-MAX_NDIM, MAX_NDIM - 1)
is_size = int_in(0, INT_LIMIT - 1)
is_any_int = int_in(-INT_LIMIT, INT_LIMIT - 1)
is_count = int_in(0, 2**31)
is_axes = tuple_of(is_axis, MAX_NDIM)

AXIS = ParamSpec(f"an integer axis in [{-MAX_NDIM}, {MAX_NDIM - 1}]", is_axis)
AXES = ParamSpec(f"a tuple of integer axes in [{-MAX_NDIM}, {MAX_NDIM - 1}]", is_axes)
SIZES = ParamSpec("a tuple of non-negative integers", tuple_of(is_size, MAX_NDIM))
INTS = ParamSpec("a tuple of integers", tuple_of(is_any_int, MAX_NDIM))
INT = ParamSpec("an integer", is_any_int)
SIZE = ParamSpec("a non-negative integer", is_size)
COUNT = ParamSpec("a non-negative integer count", is_count)
BOOL = ParamSpec("a boolean", lambda v: type(v) is bool)
DTYPE = ParamSpec(f"a supported dtype ({', '.join(sorted(DTYPE_NAMES))})", is_dtype)

REDUCE = {"axes": AXES}
