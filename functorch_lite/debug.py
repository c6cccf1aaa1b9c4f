"""Debugging helpers that work inside ``jit``, ``vmap`` and ``grad``.

Format strings are data, not code: ``str.format`` can walk attributes and
indexes (``"{0.__class__...}"``) and pad to any width, so a format string
from an untrusted source (an exported file) could print secrets or build a
huge string.  :func:`print` therefore accepts only plain fields (``{}``,
``{0}``, ``{name}``) with an optional ``!r``/``!s`` conversion and a plain
format spec whose width and precision are at most ``MAX_FORMAT_WIDTH``;
:func:`check_format` is the check, also run by ``export.load``.

Example:
    >>> import functorch_lite as fl
    >>> import functorch_lite.numpy as jnp
    >>> @fl.jit
    ... def f(x):
    ...     fl.debug.print("x is {}", x)
    ...     return x * 2
    >>> _ = f(jnp.arange(3))
    x is [0 1 2]
"""

from __future__ import annotations

from typing import Any

from functorch_lite import tree
from functorch_lite.numpy._util import asarray
from functorch_lite.ops.debug import MAX_FORMAT_LENGTH, MAX_FORMAT_WIDTH, check_format, debug_print_p

__all__ = ["print", "check_format", "MAX_FORMAT_WIDTH", "MAX_FORMAT_LENGTH"]

def print(fmt: str, *args: Any, **kwargs: Any) -> None:  # noqa: A001
    """Print ``fmt.format(*args, **kwargs)`` with runtime values, also when
    traced (the values are printed each time the compiled code runs).

    ``fmt`` is checked first (see :func:`check_format`): attribute/index
    access in fields, nested fields in specs, conversions other than
    ``!r``/``!s`` and widths or precisions over ``MAX_FORMAT_WIDTH`` raise
    ``ValueError``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> from functorch_lite import debug
        >>> debug.print("{a} + {b}", a=jnp.ones(1), b=2)
        [1.] + 2
        >>> debug.print("{0:>6.2f}|", jnp.asarray(1.5))
          1.50|
    """

    names = sorted(kwargs)
    leaves, treedef = tree.flatten((args, [kwargs[k] for k in names]))
    n_pos = len(tree.leaves(args))
    check_format(fmt, n_pos, names)
    arrays = [asarray(x) for x in leaves]
    # positional placeholders are renumbered into one flat list of operands
    mapping = {k: n_pos + i for i, k in enumerate(names)}
    flat_fmt = _renumber(fmt, mapping)
    check_format(flat_fmt, len(arrays))
    debug_print_p.bind(*arrays, fmt=flat_fmt)


def _renumber(fmt: str, mapping: dict[str, int]) -> str:
    import string  # start-up cost: string (~1 ms: it compiles Template's pattern) on first debug print

    out = []
    auto = 0
    for literal, field, spec, conv in string.Formatter().parse(fmt):
        out.append(literal.replace("{", "{{").replace("}", "}}"))
        if field is None:
            continue
        if field == "":
            key = auto
            auto += 1
        elif field in mapping:
            key = mapping[field]
        else:
            key = int(field)
        out.append("{" + str(key) + (("!" + conv) if conv else "") + ((":" + spec) if spec else "") + "}")
    return "".join(out)
