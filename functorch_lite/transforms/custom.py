"""Functions with their own derivative rules: ``custom_jvp``, ``custom_vjp``,
and ``checkpoint`` (recompute in the backward pass instead of saving).

Each is a callable object; a call goes to the innermost transform among its
arguments (``Trace.process_custom``).  Transforms that do not differentiate
simply run the function; forward and reverse mode use the rule.

Example:
    >>> import functorch_lite as fl
    >>> import functorch_lite.numpy as jnp
    >>> @fl.custom_vjp
    ... def clip_grad(x):
    ...     return x
    >>> clip_grad.defvjp(lambda x: (x, None), lambda res, g: (jnp.clip(g, -1.0, 1.0),))
    >>> float(fl.grad(lambda x: clip_grad(x) * 10.0)(2.0))
    1.0
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from functorch_lite import core, tree
from functorch_lite.core import Tracer


def _call(rule: Any, args: tuple[Any, ...]) -> Any:
    leaves = [x for x in tree.leaves(args) if isinstance(x, Tracer)]
    trace = core.find_top_trace(leaves)
    return trace.process_custom(rule, args)


class custom_jvp:  # noqa: N801  (JAX's name)
    """Give ``fun`` a custom forward-mode rule with :meth:`defjvp`.

    The rule ``jvp(primals, tangents) -> (primal_out, tangent_out)`` is used by
    ``jvp``/``jacfwd``; reverse mode differentiates through the rule's tangent
    computation (which must be linear in the tangents, as in JAX).

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> @fl.custom_jvp
        ... def f(x):
        ...     return jnp.sin(x)
        >>> _ = f.defjvp(lambda p, t: (jnp.sin(p[0]), 2.0 * t[0]))
        >>> float(fl.grad(f)(0.3))
        2.0
    """

    def __init__(self, fun: Callable[..., Any]) -> None:
        self.fun = fun
        self.kind = "custom_jvp"
        self.jvp_rule: Callable[..., Any] | None = None
        functools.update_wrapper(self, fun)

    def defjvp(self, jvp: Callable[..., Any]) -> Callable[..., Any]:
        self.jvp_rule = jvp
        return jvp

    def __call__(self, *args: Any) -> Any:
        if self.jvp_rule is None:
            raise AttributeError(f"custom_jvp {getattr(self.fun, '__name__', '')!r} has no rule; call .defjvp first")
        return _call(self, args)


class custom_vjp:  # noqa: N801
    """Give ``fun`` a custom reverse-mode rule with :meth:`defvjp`.

    ``fwd(*args) -> (out, residuals)`` and ``bwd(residuals, ct) -> tuple``
    of cotangents, one per positional argument (None for no gradient).
    Forward mode (``jvp``) of a custom_vjp function raises, as in JAX.

    Example:
        >>> import functorch_lite as fl
        >>> @fl.custom_vjp
        ... def double(x):
        ...     return 2.0 * x
        >>> double.defvjp(lambda x: (2.0 * x, None), lambda res, g: (2.0 * g,))
        >>> float(fl.grad(double)(1.0))
        2.0
    """

    def __init__(self, fun: Callable[..., Any], nondiff_argnums: tuple[int, ...] = ()) -> None:
        self.fun = fun
        self.kind = "custom_vjp"
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.fwd: Callable[..., Any] | None = None
        self.bwd: Callable[..., Any] | None = None
        functools.update_wrapper(self, fun)

    def defvjp(self, fwd: Callable[..., Any], bwd: Callable[..., Any]) -> None:
        self.fwd = fwd
        self.bwd = bwd

    def __call__(self, *args: Any) -> Any:
        if self.fwd is None or self.bwd is None:
            raise AttributeError(f"custom_vjp {getattr(self.fun, '__name__', '')!r} has no rule; call .defvjp first")
        return _call(self, args)


class _Checkpoint:
    def __init__(self, fun: Callable[..., Any]) -> None:
        self.fun = fun
        self.kind = "checkpoint"
        functools.update_wrapper(self, fun)

    def __call__(self, *args: Any) -> Any:
        return _call(self, args)


def checkpoint(fun: Callable[..., Any], *, prevent_cse: bool = True, policy: Any = None) -> Callable[..., Any]:
    """Differentiate ``fun`` by recomputing its forward pass in the backward
    pass instead of storing its intermediates (less memory, more compute).

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> f = fl.checkpoint(lambda x: jnp.sin(jnp.sin(x)))
        >>> f"{float(fl.grad(f)(0.5)):.6f}"
        '0.778644'
    """
    return _Checkpoint(fun)


remat = checkpoint
