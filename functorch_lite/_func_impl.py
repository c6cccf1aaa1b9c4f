"""The implementation behind :mod:`functorch_lite.func`, which re-exports its ``__all__``
(and whose docstring describes the module)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from functorch_lite import tree
from functorch_lite.array import Array
from functorch_lite.core import Tracer
from functorch_lite.nn.modules.module import Module
from functorch_lite.stateful._functions import stack
from functorch_lite.stateful._random import vmap_randomness
from functorch_lite.stateful._traced import to_core, to_tensor
from functorch_lite.transforms import ad, batching, jacobians

__all__ = ["functional_call", "stack_module_state", "grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd",
           "hessian", "vmap"]


# --- functional_call -----------------------------------------------------------------------------

def _merge(dicts: Any) -> dict[str, Any]:
    if isinstance(dicts, Mapping):
        dicts = (dicts,)
    if not isinstance(dicts, (tuple, list)) or not all(isinstance(d, Mapping) for d in dicts):
        raise TypeError("functional_call: parameter_and_buffer_dicts must be a dict (name -> tensor) or a tuple of "
                        f"dicts, got {type(dicts).__name__}")
    merged: dict[str, Any] = {}
    for d in dicts:
        for k, v in d.items():
            if k in merged:
                raise ValueError(f"functional_call: {k!r} appeared in multiple dictionaries; each parameter or "
                                 "buffer may be given once")
            merged[k] = v
    return merged


def _slots(module: Module) -> dict[str, tuple[Module, str, str, Any]]:
    """Every parameter and buffer name (tied ones under each of their
    names): ``name -> (owning module, table, attribute, current value)``."""
    out: dict[str, tuple[Module, str, str, Any]] = {}
    for prefix, mod in module.named_modules(remove_duplicate=False):
        for table in ("_parameters", "_buffers"):
            for attr, value in getattr(mod, table).items():
                if value is not None:
                    out[f"{prefix}.{attr}" if prefix else attr] = (mod, table, attr, value)
    return out


def _resolve(module: Module, given: dict[str, Any], tie_weights: bool, strict: bool) -> dict[str, Any]:
    slots = _slots(module)
    unexpected = sorted(set(given) - set(slots))
    if unexpected:
        raise ValueError(f"functional_call: {unexpected} name no parameter or buffer of {type(module).__name__} "
                         f"(its names: {sorted(slots)})")
    values = dict(given)
    if tie_weights:
        by_id: dict[int, list[str]] = {}
        for name, (_, _, _, v) in slots.items():
            by_id.setdefault(id(v), []).append(name)
        for names in by_id.values():
            if len(names) < 2:
                continue
            chosen = [n for n in names if n in given]
            if len({id(given[n]) for n in chosen}) > 1:
                raise ValueError(f"functional_call: {chosen} are tied in the module but were given different values; "
                                 "give one of them (or pass tie_weights=False)")
            if chosen:
                for n in names:
                    values[n] = given[chosen[0]]
    if strict:
        missing = sorted(set(slots) - set(values))
        if missing:
            raise RuntimeError(f"functional_call got missing keys {missing} (strict=True needs every parameter "
                               "and buffer)")
    return {name: (slots[name], v) for name, v in values.items()}


@contextlib.contextmanager
def _swapped(resolved: dict[str, Any]) -> Iterator[None]:
    done: list[tuple[dict[str, Any], str, Any]] = []
    try:
        for (mod, table, attr, old), value in resolved.values():
            d = getattr(mod, table)
            d[attr] = to_tensor(value)
            done.append((d, attr, old))
        yield
    finally:
        for d, attr, old in reversed(done):
            d[attr] = old


def _is_core(v: Any) -> bool:
    return isinstance(v, (Array, Tracer))


def functional_call(module: Module, parameter_and_buffer_dicts: Any, args: Any = None,
                    kwargs: dict[str, Any] | None = None, *, tie_weights: bool = True, strict: bool = False) -> Any:
    """Call ``module(*args, **kwargs)`` with the given parameters and buffers
    in place of its own (``torch.func.functional_call``).

    ``parameter_and_buffer_dicts`` maps dotted names (as ``named_parameters``/
    ``named_buffers`` give them) to tensors, Arrays or tracers; a tuple of
    dicts is merged.  Names not given keep the module's own values (all must
    be given with ``strict=True``); a weight tied under two names needs to be
    given once (``tie_weights``).  The module is restored afterwards, also on
    an exception.  When any given value or argument is a core value (Array or
    tracer) the result's tensors are returned as core values, so the call
    composes with ``fl.grad``/``fl.vmap``/``fl.jit``; otherwise it returns
    what the module returns.  Swapping is not thread-safe for one module
    shared across threads (as PyTorch's).

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> from functorch_lite import nn
        >>> from functorch_lite.func import functional_call
        >>> model = nn.Linear(3, 1)
        >>> params = {k: v.detach().array() for k, v in model.named_parameters()}
        >>> loss = lambda p, x: jnp.sum(functional_call(model, p, (x,)) ** 2)
        >>> g = fl.jit(fl.grad(loss))(params, jnp.ones((4, 3)))
        >>> sorted(g), g["weight"].shape
        (['bias', 'weight'], (1, 3))
    """
    if not isinstance(module, Module):
        raise TypeError(f"functional_call expects an nn.Module, got {type(module).__name__}")
    given = _merge(parameter_and_buffer_dicts)
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    kwargs = {} if kwargs is None else kwargs
    core_mode = any(_is_core(v) for v in tree.leaves((given, args, kwargs)))
    resolved = _resolve(module, given, tie_weights, strict)
    t_args, t_kwargs = tree.map(to_tensor, (args, kwargs))
    with _swapped(resolved):
        out = module(*t_args, **t_kwargs)
    return tree.map(to_core, out) if core_mode else out


def stack_module_state(models: Sequence[Module]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The parameters and buffers of same-shaped modules, stacked along a new
    first dim: ``(params, buffers)`` for ``vmap`` over an ensemble
    (``torch.func.stack_module_state``).  Stacked parameters are new leaves
    that require grad where the originals do.

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite import nn
        >>> from functorch_lite.func import functional_call, stack_module_state, vmap
        >>> models = [nn.Linear(3, 2) for _ in range(4)]
        >>> params, buffers = stack_module_state(models)
        >>> params["weight"].shape
        functorch_lite.Size([4, 2, 3])
        >>> run = lambda p, b, x: functional_call(models[0], (p, b), (x,))
        >>> vmap(run, in_dims=(0, 0, None))(params, buffers, fl.ones(5, 3)).shape
        functorch_lite.Size([4, 5, 2])
    """
    models = list(models)
    if not models:
        raise ValueError("stack_module_state: expected at least one model, got an empty list")
    kinds = {type(m) for m in models}
    if len(kinds) > 1:
        raise ValueError(f"stack_module_state: expected models of one class, got {sorted(k.__name__ for k in kinds)}")
    params: dict[str, Any] = {}
    for name, p in models[0].named_parameters():
        out = stack([dict(m.named_parameters())[name].detach() for m in models])
        params[name] = out.requires_grad_() if p.requires_grad else out
    buffers = {name: stack([dict(m.named_buffers())[name] for m in models])
               for name, _ in models[0].named_buffers()}
    return params, buffers


# --- transforms on tensors -----------------------------------------------------------------------

def _lift(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` (tensors in, tensors out) as a function of core values."""

    def core_fn(*args: Any, **kwargs: Any) -> Any:
        return tree.map(to_core, func(*tree.map(to_tensor, args), **kwargs))

    return core_fn


def _to_core_tree(x: Any) -> Any:
    return tree.map(to_core, x)


def _to_tensors(x: Any) -> Any:
    return tree.map(to_tensor, x)


def _tensor_transform(core_transform: Callable[..., Callable[..., Any]], func: Callable[..., Any],
                      **options: Any) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        f = _lift(lambda *a: func(*a, **kwargs))
        return _to_tensors(core_transform(f, **options)(*_to_core_tree(args)))

    run.__name__ = getattr(func, "__name__", "func")
    run.__doc__ = getattr(func, "__doc__", None)
    return run


def grad(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable[..., Any]:
    """The gradient of a scalar-valued ``func`` with respect to the arguments
    ``argnums`` (pytrees of tensors), as ``torch.func.grad``.

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite.func import grad
        >>> grad(lambda x: (x ** 3).sum())(fl.tensor([1.0, 2.0]))
        tensor([ 3., 12.])
        >>> grad(grad(lambda x: x.sin()))(fl.tensor(0.0))
        tensor(-0.)
    """
    return _tensor_transform(ad.grad, func, argnums=argnums, has_aux=has_aux)


def grad_and_value(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0,
                   has_aux: bool = False) -> Callable[..., Any]:
    """``(gradient, value)`` of ``func`` in one pass (``torch.func.grad_and_value``);
    with ``has_aux``: ``(gradient, (value, aux))``.

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite.func import grad_and_value
        >>> grad_and_value(lambda x: (x * x).sum())(fl.tensor([3.0]))
        (tensor([6.]), tensor(9.))
    """
    vg = ad.value_and_grad

    def swapped(f: Callable[..., Any], **options: Any) -> Callable[..., Any]:
        def run(*args: Any) -> Any:
            value, g = vg(f, **options)(*args)
            return g, value

        return run

    return _tensor_transform(swapped, func, argnums=argnums, has_aux=has_aux)


def vjp(func: Callable[..., Any], *primals: Any, has_aux: bool = False) -> Any:
    """``(func(*primals), vjp_fn)``, where ``vjp_fn(cotangents)`` gives one
    cotangent per primal (``torch.func.vjp``); with ``has_aux`` also the aux.

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite.func import vjp
        >>> out, fn = vjp(lambda x: x * 2, fl.tensor([1.0, 2.0]))
        >>> fn(fl.ones(2))
        (tensor([2., 2.]),)
    """
    res = ad.vjp(_lift(func), *_to_core_tree(primals), has_aux=has_aux)
    pullback = res[1]

    def vjp_fn(ct: Any) -> Any:
        return _to_tensors(tuple(pullback(_to_core_tree(ct))))

    if has_aux:
        return _to_tensors(res[0]), vjp_fn, _to_tensors(res[2])
    return _to_tensors(res[0]), vjp_fn


def jvp(func: Callable[..., Any], primals: Any, tangents: Any, *, strict: bool = False,
        has_aux: bool = False) -> Any:
    """``(func(*primals), d func . tangents)`` by forward mode (``torch.func.jvp``).

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite.func import jvp
        >>> jvp(lambda x: x.exp(), (fl.tensor([0.0]),), (fl.tensor([2.0]),))
        (tensor([1.]), tensor([2.]))
    """
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to be tuples, got "
                           f"{type(primals).__name__} and {type(tangents).__name__}")
    return _to_tensors(ad.jvp(_lift(func), _to_core_tree(primals), _to_core_tree(tangents), has_aux=has_aux))


def jacrev(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0, *, has_aux: bool = False,
           chunk_size: int | None = None) -> Callable[..., Any]:
    """The Jacobian by reverse mode (``torch.func.jacrev``); ``chunk_size``
    is accepted for compatibility (the vjps run vectorised at once).

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite.func import jacrev
        >>> jacrev(lambda x: x * x)(fl.tensor([1.0, 2.0]))
        tensor([[2., 0.],
                [0., 4.]])
    """
    return _tensor_transform(jacobians.jacrev, func, argnums=argnums, has_aux=has_aux)


def jacfwd(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False, *,
           randomness: str = "error") -> Callable[..., Any]:
    """The Jacobian by forward mode (``torch.func.jacfwd``).

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite.func import jacfwd
        >>> jacfwd(lambda x: x.sin())(fl.tensor([0.0]))
        tensor([[1.]])
    """
    _check_randomness(randomness)
    return _with_randomness(randomness, _tensor_transform(jacobians.jacfwd, func, argnums=argnums, has_aux=has_aux))


def hessian(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """The Hessian of a scalar ``func`` (``torch.func.hessian``).

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite.func import hessian
        >>> hessian(lambda x: (x ** 3).sum())(fl.tensor([1.0, 2.0]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    return _tensor_transform(jacobians.hessian, func, argnums=argnums)


def _check_randomness(randomness: str) -> None:
    if randomness == "different":
        raise NotImplementedError(
            "randomness='different' is not supported: random ops inside a transform draw concrete values of the "
            "per-example shape; draw the batch of random values outside vmap and pass it in (in_dims=0), or use "
            "randomness='same'"
        )
    if randomness not in ("error", "same"):
        raise ValueError(f"randomness must be 'error', 'same' or 'different', got {randomness!r}")


def _with_randomness(randomness: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        vmap_randomness.modes.append(randomness)
        try:
            return fn(*args, **kwargs)
        finally:
            vmap_randomness.modes.pop()

    run.__name__ = fn.__name__
    return run


def vmap(func: Callable[..., Any], in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable[..., Any]:
    """Map ``func`` over a dim of its tensor inputs, vectorised
    (``torch.func.vmap``): ``in_dims``/``out_dims`` are ints, None or pytrees
    of them, as the core's ``in_axes``/``out_axes``.  A random op inside
    raises with ``randomness='error'`` (the default, as PyTorch's); with
    ``'same'`` every example draws the same values.

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite.func import vmap
        >>> vmap(lambda row: row.dot(row))(fl.tensor([[1.0, 2.0], [3.0, 4.0]]))
        tensor([ 5., 25.])
    """
    _check_randomness(randomness)
    inner = _tensor_transform(batching.vmap, func, in_axes=in_dims, out_axes=out_dims, chunk_size=chunk_size)
    return _with_randomness(randomness, inner)

