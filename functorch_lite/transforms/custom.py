"""Functions with their own derivative rules: ``custom_jvp``, ``custom_vjp``,
and ``checkpoint`` (recompute in the backward pass instead of saving).

JAX's API and semantics: ``defjvp``/``defjvps``/``defvjp``, ``nondiff_argnums``
(those arguments come first in the rules' signatures), keyword arguments
resolved to positions by the function's signature.  Each call binds its
non-differentiable arguments into a :class:`CustomRules` and goes to the
innermost transform among the other arguments (``Trace.process_custom``):
transforms that do not differentiate run the function; forward and reverse
mode use the rule (reverse mode transposes a custom_jvp rule, running it once).
Under ``vmap`` the rules themselves are batched, so ``grad(vmap(f))`` keeps
``f``'s rule, as in JAX.

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
import inspect
import numbers
from collections.abc import Callable, Sequence
from typing import Any, Generic, ParamSpec, TypeVar, cast

import numpy as np

from functorch_lite import core, tree
from functorch_lite.core import Tracer, UnexpectedTracerError
from functorch_lite.numpy._manipulation import moveaxis
from functorch_lite.numpy._reductions import sum as _sum
from functorch_lite.transforms.ad import flat_cotangents, stop_gradient
from functorch_lite.transforms.batching import BatchTrace, BatchTracer, vmap


class CustomRules:
    """What the interpreters see of one call of a function with custom rules:
    ``kind`` (``custom_jvp``, ``custom_vjp`` or ``checkpoint``), ``fun``, and
    ``jvp_rule(primals, tangents)`` or ``fwd(*args)``/``bwd(res, ct)``, all
    taking only the differentiable arguments.

    Example:
        >>> CustomRules("checkpoint", abs).kind
        'checkpoint'
    """

    __slots__ = ("kind", "fun", "jvp_rule", "fwd", "bwd")

    def __init__(self, kind: str, fun: Callable[..., Any], jvp_rule: Callable[..., Any] | None = None,
                 fwd: Callable[..., Any] | None = None, bwd: Callable[..., Any] | None = None) -> None:
        self.kind = kind
        self.fun = fun
        self.jvp_rule = jvp_rule
        self.fwd = fwd
        self.bwd = bwd


def _call(rule: CustomRules, args: tuple[Any, ...]) -> Any:
    leaves = [x for x in tree.leaves(args) if isinstance(x, Tracer)]
    trace = core.find_top_trace(leaves)
    if isinstance(trace, BatchTrace):
        return _batch_custom(trace, rule, args)
    return trace.process_custom(rule, args)


# --- arguments ----------------------------------------------------------------------


def _signature(fun: Callable[..., Any]) -> inspect.Signature | None:
    try:
        return inspect.signature(fun)
    except (TypeError, ValueError):  # builtins without a signature: positions only
        return None


def _resolve(name: str, sig: inspect.Signature | None, args: tuple[Any, ...],
             kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """Keyword arguments and defaults as positions (JAX's ``resolve_kwargs``)."""
    if sig is None:
        if kwargs:
            raise TypeError(f"{name}: keyword arguments need a function with an inspectable signature")
        return args
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"{name}: {e}") from None
    bound.apply_defaults()
    if bound.kwargs:
        raise TypeError(
            f"{name}: keyword-only arguments {sorted(bound.kwargs)} cannot be mapped to positions; "
            "make them positional or bind them with functools.partial"
        )
    return tuple(bound.args)


def _argnums(name: str, nums: Sequence[int], names: Sequence[str], sig: inspect.Signature | None) -> tuple[int, ...]:
    out = [int(i) for i in nums]
    if names:
        params = list(sig.parameters) if sig is not None else []
        for n in names:
            if n not in params:
                raise ValueError(f"{name}: nondiff_argnames {n!r} is not a parameter of the function")
            out.append(params.index(n))
    if any(i < 0 for i in out):
        raise ValueError(f"{name}: nondiff_argnums must be non-negative, got {tuple(out)}")
    return tuple(sorted(set(out)))


def _split(name: str, nondiff: tuple[int, ...], args: tuple[Any, ...]) -> tuple[list[Any], tuple[Any, ...]]:
    if nondiff and nondiff[-1] >= len(args):
        raise ValueError(
            f"{name}: nondiff_argnums {nondiff} names argument {nondiff[-1]}, but the call has "
            f"{len(args)} positional arguments"
        )
    static = [args[i] for i in nondiff]
    dyn = tuple(a for i, a in enumerate(args) if i not in nondiff)
    for leaf in tree.leaves(dyn):
        if not (core.is_array(leaf) or isinstance(leaf, (numbers.Number, np.ndarray, np.generic))):
            raise TypeError(
                f"{name}: an argument leaf of type {type(leaf).__name__} is not an array or a number; "
                "pass functions and other non-array arguments through nondiff_argnums"
            )
    return static, dyn


def _merge(nondiff: tuple[int, ...], static: list[Any], dyn: Sequence[Any]) -> list[Any]:
    full: list[Any] = []
    it_s, it_d = iter(static), iter(dyn)
    for i in range(len(static) + len(dyn)):
        full.append(next(it_s) if i in nondiff else next(it_d))
    return full


# --- custom_jvp ---------------------------------------------------------------------

P = ParamSpec("P")
R = TypeVar("R")


class custom_jvp(Generic[P, R]):  # noqa: N801  (JAX's name)
    """Give ``fun`` a custom forward-mode rule with :meth:`defjvp` or :meth:`defjvps`.

    The rule ``jvp(primals, tangents) -> (primal_out, tangent_out)`` is used by
    ``jvp``/``jacfwd``; reverse mode transposes the rule's tangent computation
    (which must be linear in the tangents, as in JAX).  With
    ``nondiff_argnums`` those arguments are passed to the rule first:
    ``jvp(*nondiff_args, primals, tangents)``.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> @fl.custom_jvp
        ... def f(x):
        ...     return jnp.sin(x)
        >>> _ = f.defjvp(lambda p, t: (f(p[0]), 2.0 * t[0]))
        >>> float(fl.grad(f)(0.3))
        2.0
    """

    def __init__(self, fun: Callable[P, R], nondiff_argnums: Sequence[int] = (),
                 nondiff_argnames: Sequence[str] = ()) -> None:
        self.fun = fun
        self._sig = _signature(fun)
        self.nondiff_argnums = _argnums("custom_jvp", nondiff_argnums, nondiff_argnames, self._sig)
        self.jvp: Callable[..., Any] | None = None
        self.symbolic_zeros = False
        functools.update_wrapper(self, fun)

    def defjvp(self, jvp: Callable[..., Any], symbolic_zeros: bool = False) -> Callable[..., Any]:
        """Set the rule ``jvp(primals, tangents) -> (primal_out, tangent_out)``;
        returns ``jvp``, so it works as a decorator."""
        if symbolic_zeros:
            raise NotImplementedError(
                "custom_jvp: symbolic_zeros=True is not supported; the rule receives zero arrays "
                "for unperturbed inputs"
            )
        self.jvp = jvp
        return jvp

    def defjvps(self, *jvps: Callable[..., Any] | None) -> None:
        """One rule per positional argument, ``jvp_i(t_i, primal_out, *primals)``
        (None: no dependence); the tangent output is their sum.

        Example:
            >>> import functorch_lite as fl
            >>> import functorch_lite.numpy as jnp
            >>> f = fl.custom_jvp(lambda x, y: jnp.sin(x) * y)
            >>> f.defjvps(lambda x_dot, out, x, y: jnp.cos(x) * x_dot * y,
            ...           lambda y_dot, out, x, y: jnp.sin(x) * y_dot)
            >>> round(float(fl.grad(f, argnums=1)(2.0, 3.0)), 5)
            0.9093
        """
        if self.nondiff_argnums:
            raise TypeError("custom_jvp: defjvps cannot be used with nondiff_argnums; use defjvp")

        def jvp(primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> tuple[Any, Any]:
            if len(jvps) != len(primals):
                raise TypeError(
                    f"custom_jvp: defjvps got {len(jvps)} rules for a call with {len(primals)} "
                    "positional arguments; give one (or None) per argument"
                )
            call: Callable[..., Any] = self  # any positional arguments here, not fun's P
            out = call(*primals)
            parts = [rule(t, out, *primals) for rule, t in zip(jvps, tangents) if rule is not None]
            if not parts:
                return out, tree.map(lambda o: o * 0, out)
            return out, functools.reduce(lambda a, b: tree.map(lambda u, v: u + v, a, b), parts)

        self.defjvp(jvp)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        if self.jvp is None:
            raise AttributeError(f"custom_jvp {getattr(self.fun, '__name__', '')!r} has no rule; call .defjvp first")
        full = _resolve("custom_jvp", self._sig, args, kwargs)
        nondiff = self.nondiff_argnums
        if not nondiff:
            _split("custom_jvp", (), full)
            out: R = _call(CustomRules("custom_jvp", self.fun, jvp_rule=self.jvp), full)
            return out
        # as JAX: arrays among the non-differentiable arguments carry no derivative
        static, dyn = _split("custom_jvp", nondiff, tuple(
            stop_gradient(a) if i in nondiff and core.is_array(a) else a for i, a in enumerate(full)))
        fun: Callable[..., Any] = self.fun
        rule = self.jvp

        def fun_dyn(*d: Any) -> Any:
            return fun(*_merge(nondiff, static, d))

        def jvp_dyn(primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            return rule(*static, primals, tangents)

        out = _call(CustomRules("custom_jvp", fun_dyn, jvp_rule=jvp_dyn), dyn)
        return out


# --- custom_vjp ---------------------------------------------------------------------


class custom_vjp(Generic[P, R]):  # noqa: N801
    """Give ``fun`` a custom reverse-mode rule with :meth:`defvjp`.

    ``fwd(*args) -> (out, residuals)`` and ``bwd(residuals, ct) -> tuple``
    of cotangents, one per differentiable positional argument (None for no
    gradient).  With ``nondiff_argnums``, ``fwd`` takes every argument and
    ``bwd(*nondiff_args, residuals, ct)`` returns cotangents for the others
    only.  Forward mode (``jvp``) of a custom_vjp function raises, as in JAX.

    Example:
        >>> import functorch_lite as fl
        >>> @fl.custom_vjp
        ... def double(x):
        ...     return 2.0 * x
        >>> double.defvjp(lambda x: (2.0 * x, None), lambda res, g: (2.0 * g,))
        >>> float(fl.grad(double)(1.0))
        2.0
    """

    def __init__(self, fun: Callable[P, R], nondiff_argnums: Sequence[int] = (),
                 nondiff_argnames: Sequence[str] = ()) -> None:
        self.fun = fun
        self._sig = _signature(fun)
        self.nondiff_argnums = _argnums("custom_vjp", nondiff_argnums, nondiff_argnames, self._sig)
        self.fwd: Callable[..., Any] | None = None
        self.bwd: Callable[..., Any] | None = None
        functools.update_wrapper(self, fun)

    def defvjp(self, fwd: Callable[..., Any], bwd: Callable[..., Any], symbolic_zeros: bool = False) -> None:
        """Set the forward pass ``fwd(*args) -> (out, residuals)`` and the
        backward pass ``bwd(*nondiff_args, residuals, ct) -> cotangents``."""
        if symbolic_zeros:
            raise NotImplementedError("custom_vjp: symbolic_zeros=True is not supported")
        self.fwd = fwd
        self.bwd = bwd

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        if self.fwd is None or self.bwd is None:
            raise AttributeError(f"custom_vjp {getattr(self.fun, '__name__', '')!r} has no rule; call .defvjp first")
        full = _resolve("custom_vjp", self._sig, args, kwargs)
        nondiff = self.nondiff_argnums
        static, dyn = _split("custom_vjp", nondiff, full)
        if not nondiff:
            out: R = _call(CustomRules("custom_vjp", self.fun, fwd=self.fwd, bwd=self.bwd), dyn)
            return out
        for i, s in zip(nondiff, static):
            if any(isinstance(leaf, Tracer) for leaf in tree.leaves(s)):
                raise UnexpectedTracerError(
                    f"custom_vjp: argument {i} is in nondiff_argnums but holds a traced value; "
                    "nondiff_argnums is for values that are never traced (functions, settings), as "
                    "in JAX: pass arrays as ordinary arguments and return None as their cotangent"
                )
        fun: Callable[..., Any] = self.fun
        fwd, bwd = self.fwd, self.bwd

        def fun_dyn(*d: Any) -> Any:
            return fun(*_merge(nondiff, static, d))

        def fwd_dyn(*d: Any) -> Any:
            return fwd(*_merge(nondiff, static, d))

        def bwd_dyn(res: Any, ct: Any) -> Any:
            return bwd(*static, res, ct)

        out = _call(CustomRules("custom_vjp", fun_dyn, fwd=fwd_dyn, bwd=bwd_dyn), dyn)
        return out


# --- checkpoint ---------------------------------------------------------------------


class _Checkpoint:
    def __init__(self, fun: Callable[..., Any]) -> None:
        self.fun = fun
        self.rules = CustomRules("checkpoint", fun)
        functools.update_wrapper(self, fun)

    def __call__(self, *args: Any) -> Any:
        return _call(self.rules, args)


def checkpoint(fun: Callable[P, R], *, prevent_cse: bool = True, policy: Any = None) -> Callable[P, R]:
    """Differentiate ``fun`` by recomputing its forward pass in the backward
    pass instead of storing its intermediates (less memory, more compute).

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> f = fl.checkpoint(lambda x: jnp.sin(jnp.sin(x)))
        >>> f"{float(fl.grad(f)(0.5)):.6f}"
        '0.778644'
    """
    # typed with fun's parameters and result; at run time positional arguments only
    return cast(Callable[P, R], _Checkpoint(fun))


remat = checkpoint


# --- under vmap: batch the rules, keep them -----------------------------------------


def _batch_custom(trace: BatchTrace, rule: CustomRules, args: tuple[Any, ...]) -> Any:
    """A custom-rule call under ``vmap``: the function and each rule are
    vmapped and the call goes on, with a batch axis in front, to the
    transform below, so a ``grad`` outside the ``vmap`` still uses the rule
    (JAX's semantics).  Arguments are passed as flat leaves."""
    leaves, treedef = tree.flatten(args)
    vals: list[Any] = []
    dims: list[int | None] = []
    for x in leaves:
        t = core.full_raise(trace, x) if isinstance(x, Tracer) else None
        vals.append(x if t is None else t.val)
        dims.append(None if t is None else t.bdim)
    if all(d is None for d in dims):
        return _call(rule, tree.unflatten(treedef, vals))
    n, in_axes = trace.axis_size, tuple(dims)

    def on_leaves(f: Callable[..., Any]) -> Callable[..., Any]:
        return vmap(lambda *ls: f(*tree.unflatten(treedef, list(ls))), in_axes=in_axes, axis_size=n)

    batched = CustomRules(rule.kind, on_leaves(rule.fun))
    if rule.jvp_rule is not None:
        jvp_rule = rule.jvp_rule

        def one_jvp(ps: tuple[Any, ...], ts: tuple[Any, ...]) -> Any:
            return jvp_rule(tree.unflatten(treedef, list(ps)), tree.unflatten(treedef, list(ts)))

        batched.jvp_rule = lambda ps, ts: vmap(one_jvp, in_axes=(in_axes, in_axes), axis_size=n)(
            tuple(ps), tuple(ts))
    if rule.fwd is not None and rule.bwd is not None:
        batched.fwd = on_leaves(rule.fwd)
        batched.bwd = _batched_bwd(rule.bwd, args, dims, n)
    out = _call(batched, tuple(vals))
    return tree.map(lambda o: BatchTracer(trace, o, 0), out)


def _batched_bwd(bwd: Callable[..., Any], args: tuple[Any, ...], dims: list[int | None],
                 n: int) -> Callable[[Any, Any], tuple[Any, ...]]:
    """``bwd`` vmapped over residuals and cotangents (all batched in front),
    giving one cotangent per leaf, laid out as that leaf is: summed over the
    batch where the leaf was not batched, the batch axis moved back where it was."""

    def batched_bwd(res: Any, ct: Any) -> tuple[Any, ...]:
        cts = vmap(lambda r, c: flat_cotangents(args, bwd(r, c), "custom_vjp bwd"), axis_size=n)(res, ct)
        out = []
        for c, d in zip(cts, dims):
            if c is not None:
                c = _sum(c, axis=0) if d is None else moveaxis(c, 0, d)
            out.append(c)
        return tuple(out)

    return batched_bwd
