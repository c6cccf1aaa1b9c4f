"""``optim.Optimizer``: parameter groups, ``zero_grad``, ``step``, state dicts.

Subclasses implement ``_update(group, param, grad, state)``, run once per
parameter with a gradient, under ``no_grad``, writing the parameter in place.

Example:
    >>> import functorch_lite as fl
    >>> from functorch_lite import nn, optim
    >>> opt = optim.SGD(nn.Linear(2, 1).parameters(), lr=0.1)
    >>> [len(g["params"]) for g in opt.param_groups], opt.param_groups[0]["lr"]
    ([2], 0.1)
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from functorch_lite.stateful import Tensor, enable_grad, no_grad
from functorch_lite.stateful._zero_grad import zero_grads


class _Required:
    def __repr__(self) -> str:
        return "<required parameter>"


required: Any = _Required()


class Optimizer:
    """Base class of the optimizers (PyTorch's ``torch.optim.Optimizer``).

    ``params`` is an iterable of tensors or of dicts (parameter groups with
    their own hyper-parameters; missing ones come from ``defaults``).
    ``state`` maps each parameter to its per-parameter state (moments,
    step counts: tensors).

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite import nn, optim
        >>> m = nn.Linear(1, 1)
        >>> opt = optim.SGD([{"params": [m.weight]}, {"params": [m.bias], "lr": 1.0}], lr=0.1)
        >>> [g["lr"] for g in opt.param_groups]
        [0.1, 1.0]
    """

    def __init__(self, params: Any, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {type(params).__name__}")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def __repr__(self) -> str:
        out = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            out += f"\nParameter Group {i}"
            for key in sorted(group):
                if key != "params":
                    out += f"\n    {key}: {group[key]}"
        return out + "\n)"

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (a dict with ``"params"`` and optional
        hyper-parameters); a parameter may belong to one group only."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
        group = dict(param_group, params=params)
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            group.setdefault(name, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params) or seen & {id(p) for p in params}:
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's ``.grad``: to ``None`` (default) or zeros."""
        zero_grads((p for group in self.param_groups for p in group["params"]), set_to_none)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a ``.grad``; ``closure``
        (re-evaluating the loss, with grad enabled) runs first and its loss is
        returned.

        Example:
            >>> import functorch_lite as fl
            >>> from functorch_lite import optim
            >>> w = fl.tensor([1.0], requires_grad=True)
            >>> opt = optim.SGD([w], lr=0.5)
            >>> w.grad = fl.tensor([2.0]); _ = opt.step()
            >>> w.tolist()
            [0.0]
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    grad = p.grad
                    if grad.shape != p.shape:
                        raise RuntimeError(f"{type(self).__name__}.step: grad of shape {tuple(grad.shape)} does not "
                                           f"match its parameter's shape {tuple(p.shape)}")
                    self._update(group, p, grad, self.state.setdefault(p, {}))
        return loss

    def _update(self, group: dict[str, Any], p: Tensor, grad: Tensor, state: dict[str, Any]) -> None:
        raise NotImplementedError

    # state dicts ----------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [index...]}]}``
        with parameters numbered in group order, as PyTorch."""
        index: dict[int, int] = {}
        groups = []
        for g in self.param_groups:
            ids = []
            for p in g["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in g.items() if k != "params"}, "params": ids})
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyper-parameters and per-parameter state saved by
        :meth:`state_dict` (state tensors are copied, floating ones cast to
        their parameter's dtype)."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for mine, saved in zip(self.param_groups, groups):
            if len(mine["params"]) != len(saved["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                                 "optimizer's group")
        params = {i: p for mine, saved in zip(self.param_groups, groups)
                  for i, p in zip(saved["params"], mine["params"])}
        self.state = {}
        for key, s in state_dict["state"].items():
            # containers that keep only string keys (JSON headers) hand the indices back as "0", "1"...
            key = int(key) if isinstance(key, str) and key.isdigit() else key
            if key in params:
                p = params[key]
                self.state[p] = {k: _cast_state(k, v, p) for k, v in s.items()}
        for mine, saved in zip(self.param_groups, groups):
            mine.update({k: copy.deepcopy(v) for k, v in saved.items() if k != "params"})


def _cast_state(key: str, value: Any, param: Tensor) -> Any:
    if not isinstance(value, Tensor):
        return copy.deepcopy(value)
    if key != "step" and value.is_floating_point():
        return value.to(param.dtype, copy=True)
    return value.clone()

