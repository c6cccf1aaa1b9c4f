"""``autograd.Function``: ops with a user-written ``forward``/``backward``
pair, recorded as one node of the tape.

Example:
    >>> import functorch_lite as fl
    >>> class Square(fl.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         (x,) = ctx.saved_tensors
    ...         return 2 * x * g
    >>> x = fl.tensor([3.0], requires_grad=True)
    >>> Square.apply(x).sum().backward(); x.grad
    tensor([6.])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from functorch_lite.stateful._autograd import Node, edge_of, pytorch_convention, recording
from functorch_lite.stateful._base import TensorBase
from functorch_lite.stateful._grad_mode import no_grad, set_grad_enabled

_FREED = ("Trying to backward through the graph a second time (or directly access saved tensors after they have "
          "already been freed). Specify retain_graph=True if you need to backward through the graph a second time.")


class FunctionCtx:
    """The ``ctx`` handed to ``forward`` and ``backward``."""

    def __init__(self) -> None:
        self._saved: tuple[tuple[Any, int], ...] = ()
        self._freed = False
        self._live = 0  # output nodes whose backward has not yet freed the saved tensors
        self.needs_input_grad: tuple[bool, ...] = ()

    def save_for_backward(self, *tensors: Any) -> None:
        """Keep tensors for ``backward`` (checked against later in-place writes)."""
        self._saved = tuple((t, t._h.version if isinstance(t, TensorBase) else 0) for t in tensors)

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        if self._freed:
            raise RuntimeError(_FREED)
        for i, (t, v) in enumerate(self._saved):
            if isinstance(t, TensorBase) and t._h.version != v:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: saved tensor {i} of shape {list(t._shape)} is at version {t._h.version}; expected "
                    f"version {v} instead. Hint: clone() it before the in-place write."
                )
        return tuple(t for t, _ in self._saved)

    def mark_non_differentiable(self, *tensors: Any) -> None:
        """Accepted for PyTorch compatibility (integer outputs never require grad here)."""

    def set_materialize_grads(self, value: bool) -> None:
        """Accepted for PyTorch compatibility: missing gradients are always zeros."""


class CustomNode(Node):
    """The node of one output of a ``Function.apply``."""

    __slots__ = ("_cls", "_ctx", "_arg_pos", "_out", "_done", "_shapes")

    def __init__(self, cls: type, ctx: FunctionCtx, args: tuple[Any, ...], out: int,
                 shapes: list[tuple[tuple[int, ...], Any]]) -> None:
        super().__init__()
        self._cls, self._ctx, self._out, self._shapes = cls, ctx, out, shapes
        self._done = False
        ctx._live += 1
        self._arg_pos = [i for i, a in enumerate(args) if isinstance(a, TensorBase) and a._requires_grad]
        self.next_functions = tuple((edge_of(args[i]), 0) for i in self._arg_pos)

    def name(self) -> str:
        return f"{self._cls.__name__}Backward"

    def check_saved(self) -> None:
        if self._done:
            raise RuntimeError(_FREED)
        self._ctx.saved_tensors  # noqa: B018 - raises when freed or modified

    def release(self) -> None:
        # the outputs share ctx: its tensors go once every output's backward has run
        if not self._done:
            self._done = True
            self._ctx._live -= 1
            if self._ctx._live == 0:
                self._ctx._freed = True
                self._ctx._saved = ()

    def apply(self, ct: Any, create_graph: bool) -> tuple[Any, ...]:
        grads = [pytorch_convention(ct) if k == self._out else TensorBase._fresh(np.zeros(s, d.np_dtype))
                 for k, (s, d) in enumerate(self._shapes)]
        with set_grad_enabled(bool(create_graph)):
            res = self._cls.backward(self._ctx, *grads)  # type: ignore[attr-defined]
        res = res if isinstance(res, tuple) else (res,)
        out = []
        for i in self._arg_pos:
            g = res[i] if i < len(res) else None
            if g is not None and not isinstance(g, TensorBase):
                raise TypeError(f"{self._cls.__name__}.backward returned {type(g).__name__} for input {i}; "
                                "return a tensor or None per forward input")
            out.append(None if g is None else pytorch_convention(g))
        return tuple(out)


class Function:
    """Base class of ops with custom gradients: subclass with static
    ``forward(ctx, *args)`` and ``backward(ctx, *grads)`` (one gradient per
    forward argument, None for non-tensors) and call ``apply(*args)``."""

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any) -> Any:
        raise NotImplementedError("a Function subclass must define a static forward(ctx, *args)")

    @staticmethod
    def backward(ctx: FunctionCtx, *grads: Any) -> Any:
        raise NotImplementedError("a Function subclass must define a static backward(ctx, *grads)")

    @classmethod
    def apply(cls, *args: Any) -> Any:
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, TensorBase) and a._requires_grad for a in args)
        rec = recording(*args)
        with no_grad():
            out = cls.forward(ctx, *args)
        if not rec:
            return out
        outs = out if isinstance(out, tuple) else (out,)
        # fresh tensor objects, so that an output that is an input keeps the input's own graph
        new = tuple(TensorBase._make(o._h, o._layout, o._dtype, o._view_base) if isinstance(o, TensorBase) else o
                    for o in outs)
        shapes = [(o._shape, o._dtype) for o in new if isinstance(o, TensorBase)]
        k = 0
        for o in new:
            if isinstance(o, TensorBase):
                if o._dtype.is_differentiable:
                    o._requires_grad = True
                    o.grad_fn = CustomNode(cls, ctx, args, k, shapes)
                k += 1
        return new if isinstance(out, tuple) else new[0]
