"""``nn.Module``: the base class of layers, with PyTorch's registration of
parameters, buffers and submodules, state dicts, modes, hooks and printing.

Example:
    >>> from functorch_lite import nn
    >>> net = nn.Sequential(nn.Linear(2, 3), nn.Tanh())
    >>> [name for name, _ in net.named_parameters()]
    ['0.weight', '0.bias']
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from functorch_lite.dtypes import keeps_64_bit
from functorch_lite.nn.parameter import Parameter
from functorch_lite.stateful import Tensor, float32, float64, no_grad
from functorch_lite.stateful._zero_grad import zero_grads


class _IncompatibleKeys(NamedTuple):
    """What :meth:`Module.load_state_dict` did not match (PyTorch's report)."""

    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"_IncompatibleKeys(missing_keys={self.missing_keys}, unexpected_keys={self.unexpected_keys})"


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods; ``remove()`` unregisters.

    Example:
        >>> from functorch_lite import nn
        >>> m = nn.Identity()
        >>> h = m.register_forward_hook(lambda mod, args, out: None)
        >>> h.remove(); len(m._forward_hooks)
        0
    """

    _ids = itertools.count()

    def __init__(self, hooks: dict[int, Any]) -> None:
        self._hooks = hooks
        self.id = next(RemovableHandle._ids)

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def _addindent(s: str, spaces: int) -> str:
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


class Module:
    """Base class of all layers (PyTorch's ``torch.nn.Module``).

    Assigning a :class:`Parameter`, a ``Module`` or (through
    :meth:`register_buffer`) a tensor as an attribute registers it, in
    assignment order; ``state_dict`` keys are dotted attribute paths.

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite import nn
        >>> class Scale(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.w = nn.Parameter(fl.ones(2))
        ...         self.register_buffer("count", fl.zeros(()))
        ...     def forward(self, x):
        ...         return x * self.w
        >>> m = Scale()
        >>> list(m.state_dict()), m(fl.tensor([1.0, 2.0])).tolist()
        (['w', 'count'], [1.0, 2.0])
    """

    training: bool
    _parameters: dict[str, Parameter | None]
    _buffers: dict[str, Tensor | None]
    _modules: dict[str, Module | None]

    def __init__(self) -> None:
        sa = object.__setattr__
        sa(self, "training", True)
        sa(self, "_parameters", {})
        sa(self, "_buffers", {})
        sa(self, "_non_persistent_buffers_set", set())
        sa(self, "_modules", {})
        sa(self, "_forward_hooks", {})
        sa(self, "_forward_pre_hooks", {})

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    @keeps_64_bit  # PyTorch's dtype rules whatever the functional API's 64-bit mode
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        for hook in list(self._forward_pre_hooks.values()):
            new = hook(self, args)
            if new is not None:
                args = new if isinstance(new, tuple) else (new,)
        out = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            new = hook(self, args, out)
            if new is not None:
                out = new
        return out

    # registration ---------------------------------------------------------------------------------
    def _check_name(self, name: Any, what: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {what} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{what} name should be a string. Got {type(name).__name__}")
        if "." in name or name == "":
            raise KeyError(f'{what} name can\'t contain "." or be empty, got {name!r}')

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or a ``None`` placeholder) under ``name``.

        Example:
            >>> import functorch_lite as fl
            >>> from functorch_lite import nn
            >>> m = nn.Module(); m.register_parameter("p", nn.Parameter(fl.zeros(1)))
            >>> [n for n, _ in m.named_parameters()]
            ['p']
        """
        self._check_name(name, "parameter")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                            "(functorch_lite.nn.Parameter or None required)")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a tensor that is state but not a parameter (``running_mean``...);
        persistent buffers are in the state dict.

        Example:
            >>> import functorch_lite as fl
            >>> from functorch_lite import nn
            >>> m = nn.Module(); m.register_buffer("b", fl.ones(1), persistent=False)
            >>> [n for n, _ in m.named_buffers()], list(m.state_dict())
            (['b'], [])
        """
        self._check_name(name, "buffer")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(functorch_lite Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a submodule under ``name`` (what attribute assignment does)."""
        self._check_name(name, "module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        params, buffers, modules = d.get("_parameters"), d.get("_buffers"), d.get("_modules")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(functorch_lite.nn.Parameter or None expected)")
            params[name] = None
        elif isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name)
            modules[name] = value
        elif modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' "
                                "(functorch_lite.nn.Module or None expected)")
            modules[name] = None
        elif buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(functorch_lite Tensor or None expected)")
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        self.__dict__.pop(name, None)
        for table in ("_parameters", "_buffers", "_modules"):
            self.__dict__[table].pop(name, None)
        self._non_persistent_buffers_set.discard(name)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            if table in d and name in d[table]:
                return d[table][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for table in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__[table]:
                del self.__dict__[table][name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))

    # traversal ------------------------------------------------------------------------------------
    def named_modules(self, memo: set[int] | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """This module and every descendant, depth first, as ``(dotted name, module)``.

        Example:
            >>> from functorch_lite import nn
            >>> [n for n, _ in nn.Sequential(nn.Linear(1, 1), nn.ReLU()).named_modules()]
            ['', '0', '1']
        """
        memo = set() if memo is None else memo
        if remove_duplicate and id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, prefix + ("." if prefix else "") + name, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        """This module and every descendant (see :meth:`named_modules`)."""
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct submodules as ``(name, module)``, each once."""
        seen: set[int] = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        """The direct submodules."""
        for _, m in self.named_children():
            yield m

    def _named_members(self, table: str, prefix: str, recurse: bool,
                       remove_duplicate: bool) -> Iterator[tuple[str, Any]]:
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        seen: set[int] = set()
        for mod_prefix, mod in mods:
            for name, value in getattr(mod, table).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield mod_prefix + ("." if mod_prefix else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Parameters as ``(dotted name, parameter)``; a shared one appears once.

        Example:
            >>> from functorch_lite import nn
            >>> [(n, tuple(p.shape)) for n, p in nn.Linear(2, 3).named_parameters()]
            [('weight', (3, 2)), ('bias', (3,))]
        """
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """The parameters (see :meth:`named_parameters`)."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """Buffers as ``(dotted name, tensor)``."""
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """The buffers (see :meth:`named_buffers`)."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # state dicts ----------------------------------------------------------------------------------
    def state_dict(self, *, destination: Any = None, prefix: str = "", keep_vars: bool = False) -> Any:
        """An ``OrderedDict`` of parameters and persistent buffers by dotted
        name: each module's own parameters, then its buffers, then its
        children's (detached tensors sharing storage, unless ``keep_vars``).

        Example:
            >>> from functorch_lite import nn
            >>> list(nn.Sequential(nn.Linear(1, 2), nn.BatchNorm1d(2)).state_dict())
            ['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked']
        """
        out: Any = OrderedDict() if destination is None else destination
        for name, p in self._parameters.items():
            if p is not None:
                out[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                out[prefix + name] = b if keep_vars else b.detach()
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=out, prefix=prefix + name + ".", keep_vars=keep_vars)
        return out

    def _own_state(self) -> dict[str, tuple[Module, str, str]]:
        """Every state-dict key -> (owning module, table, attribute name)."""
        own: dict[str, tuple[Module, str, str]] = {}
        for mod_prefix, mod in self.named_modules(remove_duplicate=False):
            pre = mod_prefix + ("." if mod_prefix else "")
            for name, p in mod._parameters.items():
                if p is not None:
                    own[pre + name] = (mod, "_parameters", name)
            for name, b in mod._buffers.items():
                if b is not None and name not in mod._non_persistent_buffers_set:
                    own[pre + name] = (mod, "_buffers", name)
        return own

    def load_state_dict(self, state_dict: Any, strict: bool = True, assign: bool = False) -> _IncompatibleKeys:
        """Copy ``state_dict``'s tensors into the parameters and buffers (in
        place, under ``no_grad``).  With ``strict``, missing or unexpected
        keys raise PyTorch's ``RuntimeError``; shape mismatches always raise.
        Returns the keys that did not match.

        Example:
            >>> from functorch_lite import nn
            >>> a, b = nn.Linear(2, 2), nn.Linear(2, 2)
            >>> b.load_state_dict(a.state_dict())
            <All keys matched successfully>
            >>> bool((a.weight == b.weight).all())
            True
        """
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict).__name__}.")
        own = self._own_state()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict.keys() if k not in own]
        errors = _copy_state(own, state_dict, assign)
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in unexpected)))
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in missing)))
        if errors:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                type(self).__name__, "\n\t".join(errors)))
        return _IncompatibleKeys(missing, unexpected)

    # modes and conversions ------------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode here and in every descendant; returns ``self``."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for m in self.children():
            m.train(mode)
        return self

    def eval(self) -> Module:
        """``train(False)``: dropout off, batch norm uses its running statistics."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set ``requires_grad`` on every parameter; returns ``self``."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the parameters' ``.grad``: to ``None`` (the default) or zeros.

        Example:
            >>> import functorch_lite as fl
            >>> from functorch_lite import nn
            >>> m = nn.Linear(1, 1); m.weight.grad = fl.ones(1, 1)
            >>> m.zero_grad(); m.weight.grad is None
            True
        """
        zero_grads(self.parameters(), set_to_none)

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every descendant (children first), then on ``self``."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def _apply_tensors(self, fn: Callable[[Tensor], Tensor]) -> Module:
        for m in self.modules():
            for p in list(m._parameters.values()):
                if p is None:
                    continue
                with no_grad():
                    converted = fn(p)
                if converted is p:
                    continue
                # the Parameter keeps its identity (an optimizer built before .to() still
                # holds it), as PyTorch's ``param.data = fn(param.data)``
                p.data = converted
                if p.grad is not None:
                    p.grad = fn(p.grad)
            for name, b in list(m._buffers.items()):
                if b is not None:
                    with no_grad():
                        m._buffers[name] = fn(b)
        return self

    def to(self, *args: Any, dtype: Any = None, device: Any = None, non_blocking: bool = False) -> Module:
        """Convert floating-point parameters and buffers to ``dtype`` (integer
        buffers such as ``num_batches_tracked`` keep theirs).  Parameters keep
        their identity (their ``data`` is replaced, as PyTorch does), so an
        optimizer built before ``to`` goes on working.

        Example:
            >>> import functorch_lite as fl
            >>> from functorch_lite import nn
            >>> nn.Linear(1, 1).to(fl.float64).weight.dtype
            functorch_lite.float64
        """
        def convert(t: Tensor) -> Tensor:
            if not t.is_floating_point():
                return t
            return t.to(*args, dtype=dtype, device=device)  # type: ignore[no-any-return]
        return self._apply_tensors(convert)

    def float(self) -> Module:
        """Floating-point parameters and buffers to float32."""
        return self.to(float32)

    def double(self) -> Module:
        """Floating-point parameters and buffers to float64."""
        return self.to(float64)

    def cpu(self) -> Module:
        return self

    # hooks ----------------------------------------------------------------------------------------
    def register_forward_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(module, args)`` runs before ``forward``; a non-None result replaces ``args``."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    def register_forward_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(module, args, output)`` runs after ``forward``; a non-None result replaces the output.

        Example:
            >>> import functorch_lite as fl
            >>> from functorch_lite import nn
            >>> m = nn.Identity()
            >>> _ = m.register_forward_hook(lambda mod, args, out: out * 2)
            >>> m(fl.tensor([1.0])).tolist()
            [2.0]
        """
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    # printing -------------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text between this module's parentheses in its ``repr`` (override it)."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({key}): " + _addindent(repr(m), 2) for key, m in self._modules.items()]
        lines = extra_lines + child_lines
        body = ""
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                body = extra_lines[0]
            else:
                body = "\n  " + "\n  ".join(lines) + "\n"
        return self._get_name() + "(" + body + ")"


def _copy_state(own: dict[str, tuple[Module, str, str]], state_dict: Any, assign: bool) -> list[str]:
    errors: list[str] = []
    with no_grad():
        for key, (mod, table, name) in own.items():
            if key not in state_dict:
                continue
            src = state_dict[key]
            dst = getattr(mod, table)[name]
            if not isinstance(src, Tensor):
                errors.append(f'While copying the parameter named "{key}", expected torch.Tensor or Tensor-like '
                              f"object from checkpoint but received {type(src).__name__}")
                continue
            if tuple(src.shape) != tuple(dst.shape):
                errors.append(f"size mismatch for {key}: copying a param with shape {src.shape} from checkpoint, "
                              f"the shape in current model is {dst.shape}.")
                continue
            if assign:
                getattr(mod, table)[name] = Parameter(src, dst.requires_grad) if table == "_parameters" else src
            else:
                dst.copy_(src)
    return errors
