"""Debugging helpers that work inside ``jit``, ``vmap`` and ``grad``.

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
from functorch_lite.ops.debug import debug_print_p


def print(fmt: str, *args: Any, **kwargs: Any) -> None:  # noqa: A001
    """Print ``fmt.format(*args, **kwargs)`` with runtime values, also when
    traced (the values are printed each time the compiled code runs).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> from functorch_lite import debug
        >>> debug.print("{a} + {b}", a=jnp.ones(1), b=2)
        [1.] + 2
    """
    from functorch_lite.numpy._util import asarray

    names = sorted(kwargs)
    leaves, treedef = tree.flatten((args, [kwargs[k] for k in names]))
    arrays = [asarray(x) for x in leaves]
    # positional placeholders are renumbered into one flat list of operands
    n_pos = len(tree.leaves(args))
    mapping = {k: "{" + str(n_pos + i) + "}" for i, k in enumerate(names)}
    flat_fmt = _renumber(fmt, mapping)
    debug_print_p.bind(*arrays, fmt=flat_fmt)


def _renumber(fmt: str, mapping: dict[str, str]) -> str:
    import string

    out = []
    auto = 0
    for literal, field, spec, conv in string.Formatter().parse(fmt):
        out.append(literal.replace("{", "{{").replace("}", "}}"))
        if field is None:
            continue
        if field == "":
            key = "{" + str(auto)
            auto += 1
        elif field.isdigit():
            key = "{" + field
        elif field in mapping:
            key = mapping[field][:-1]
        else:
            raise KeyError(f"debug.print: no argument named {field!r}")
        out.append(key + (("!" + conv) if conv else "") + ((":" + spec) if spec else "") + "}")
    return "".join(out)
