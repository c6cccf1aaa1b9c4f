"""``debug_print``: a side-effecting primitive that prints runtime values.

Its ``fmt`` is data, not code: :func:`check_format` admits plain fields
only (see ``functorch_lite.debug``), checked when the primitive is bound
or traced and again by ``export.load``.  It has no outputs, so it is marked ``effectful`` and the compiler never
removes or merges it.  Under vmap it prints the batched values; under
differentiation it prints primal values and contributes nothing.

Example:
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite.ops.debug import debug_print_p
    >>> debug_print_p.bind(jnp.arange(2), fmt="x={}")
    x=[0 1]
    []
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

import numpy as np

from functorch_lite.array import Array
from functorch_lite.core import Primitive, ShapedArray
from functorch_lite.ops.params import ParamSpec
from functorch_lite.ops.tables import batch_rules, jvp_rules, param_checks, param_types, vjp_rules

MAX_FORMAT_WIDTH = 1000
MAX_FORMAT_LENGTH = 4096

# The format-spec mini-language, without nested fields:
# [[fill]align][sign]["z"]["#"]["0"][width][grouping]["." precision][type]
_SPEC = re.compile(
    r"""(?:(?P<fill>[^{}])?(?P<align>[<>=^]))?
        [-+ ]?
        z?
        \#?
        0?
        (?P<width>[0-9]+)?
        [,_]?
        (?:\.(?P<precision>[0-9]+))?
        [bcdeEfFgGnosxX%]?
        \Z""",
    re.VERBOSE | re.DOTALL | re.ASCII,
)
_INDEX = re.compile(r"[0-9]{1,6}\Z", re.ASCII)


def check_format(fmt: Any, n_args: int | None = None, names: Collection[str] = ()) -> None:
    """Raise ``ValueError`` unless ``fmt`` is a safe format string for
    :func:`print`: plain positional (``{}``, ``{0}``) or named (``{x}``)
    fields, no attribute or index access, conversion ``!r``, ``!s`` or none,
    and a plain format spec (no nested fields) whose width and precision are
    at most ``MAX_FORMAT_WIDTH``.  With ``n_args``, positional fields must
    refer to one of that many arguments; named fields must be in ``names``.

    Example:
        >>> from functorch_lite.ops.debug import check_format
        >>> check_format("{0} and {1!r:>8.3}", 2)
        >>> try:
        ...     check_format("{0.__class__}", 1)
        ... except ValueError as e:
        ...     msg = str(e)
        >>> "attribute or index access" in msg
        True
    """
    if not isinstance(fmt, str):
        raise ValueError(f"debug format string must be a str, got {type(fmt).__name__}")
    if len(fmt) > MAX_FORMAT_LENGTH:
        raise ValueError(f"debug format string is {len(fmt)} characters long, more than the "
                         f"{MAX_FORMAT_LENGTH} allowed")
    import string  # start-up cost: string (~1 ms: it compiles Template's pattern) on first debug print

    try:
        parts = list(string.Formatter().parse(fmt))
    except ValueError as e:
        raise ValueError(f"debug format string {_short(fmt)} is malformed: {e}") from None
    auto = 0
    manual = False
    for _, field, spec, conv in parts:
        if field is None:
            continue
        if field == "":
            if manual:
                raise ValueError(f"debug format string {_short(fmt)} mixes automatic ({{}}) and numbered "
                                 "({0}) fields; use one or the other")
            auto += 1
            index: int | None = auto - 1
        elif _INDEX.match(field):
            if auto:
                raise ValueError(f"debug format string {_short(fmt)} mixes automatic ({{}}) and numbered "
                                 "({0}) fields; use one or the other")
            manual = True
            index = int(field)
        elif field.isidentifier():
            index = None
            if field not in names:
                known = ", ".join(sorted(names)) or "none"
                raise ValueError(f"debug format string {_short(fmt)}: no argument named {field!r} "
                                 f"(keyword arguments given: {known})")
        else:
            raise ValueError(
                f"debug format string: field {field!r} uses attribute or index access (or is not a plain "
                "name or number); only {}, {0} and {name} fields are allowed -- compute the value first "
                "and pass it as an argument"
            )
        if index is not None and n_args is not None and index >= n_args:
            raise ValueError(f"debug format string {_short(fmt)} refers to positional argument {index}, but "
                             f"only {n_args} positional value(s) are given")
        if conv not in (None, "r", "s"):
            raise ValueError(f"debug format string: conversion !{conv} in field {field!r} is not allowed "
                             "(use !r, !s or none)")
        _check_spec(spec or "", field)


def _check_spec(spec: str, field: str) -> None:
    if "{" in spec or "}" in spec:
        raise ValueError(f"debug format string: field {field!r} has a nested field in its format spec "
                         f"{spec!r}; write the width and precision as numbers")
    m = _SPEC.match(spec)
    if m is None:
        raise ValueError(f"debug format string: {spec!r} (field {field!r}) is not a plain format spec "
                         "([[fill]align][sign][z][#][0][width][grouping][.precision][type])")
    for what in ("width", "precision"):
        digits = m.group(what)
        value = None if digits is None else digits.lstrip("0") or "0"
        if value is not None and (len(value) > 6 or int(value) > MAX_FORMAT_WIDTH):
            raise ValueError(f"debug format string: {what} {digits} in field {field!r} is more than the "
                             f"{MAX_FORMAT_WIDTH} allowed")


def _short(s: str) -> str:
    r = repr(s)
    return r if len(r) <= 60 else r[:57] + "..."



debug_print_p = Primitive("debug_print", multiple_results=True)
debug_print_p.nondifferentiable = True
debug_print_p.effectful = True


def _impl(*args: Array, fmt: str) -> list[Any]:
    check_format(fmt, len(args))
    print(fmt.format(*[np.asarray(a) for a in args]))
    return []


def _abstract(*args: ShapedArray, fmt: str) -> list[ShapedArray]:
    check_format(fmt, len(args))
    return []


def _batch(vals: Any, dims: Any, *, axis_size: int, fmt: str) -> Any:
    debug_print_p.bind(*vals, fmt=fmt)
    return [], []


debug_print_p.impl = _impl
debug_print_p.abstract_eval = _abstract
batch_rules[debug_print_p] = _batch
jvp_rules[debug_print_p] = lambda primals, tangents, *, fmt: (debug_print_p.bind(*primals, fmt=fmt), [])
vjp_rules[debug_print_p] = ()
param_types[debug_print_p] = {"fmt": ParamSpec("a format string", lambda v: isinstance(v, str))}
param_checks[debug_print_p] = lambda params, n_inputs: check_format(params["fmt"], n_inputs)
