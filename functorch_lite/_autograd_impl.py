"""The implementation behind :mod:`functorch_lite.autograd`, which re-exports its ``__all__``
(and whose docstring describes the module)."""

from __future__ import annotations

from typing import Any

from functorch_lite.dtypes import keep_64_bit_in_module
from functorch_lite.stateful._autograd import edge_of
from functorch_lite.stateful._base import TensorBase
from functorch_lite.stateful._engine import root_grads, run_backward
from functorch_lite.stateful._function import Function, FunctionCtx
from functorch_lite.stateful._grad_mode import enable_grad, no_grad, set_grad_enabled

__all__ = ["grad", "backward", "Function", "FunctionCtx", "no_grad", "enable_grad", "set_grad_enabled"]


def _seq(x: Any) -> list[Any]:
    if x is None:
        return []
    return [x] if isinstance(x, TensorBase) else list(x)


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool = False) -> tuple[Any, ...]:
    """The gradients of ``outputs`` (weighted by ``grad_outputs``) with
    respect to each of ``inputs``, returned (not accumulated into ``.grad``).

    Example:
        >>> import functorch_lite as fl
        >>> x = fl.tensor([1.0, 2.0], requires_grad=True)
        >>> fl.autograd.grad((x * x).sum(), [x])
        (tensor([2., 4.]),)
    """
    outs, ins = _seq(outputs), _seq(inputs)
    gos = _seq(grad_outputs) if grad_outputs is not None else None
    if gos is not None and len(gos) != len(outs):
        raise RuntimeError(f"grad requires one grad_output per output: got {len(gos)} for {len(outs)} outputs")
    for i, x in enumerate(ins):
        if not isinstance(x, TensorBase) or not x._requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors (input {i}) does not require grad")
    retain = create_graph if retain_graph is None else retain_graph
    captured = run_backward(outs, root_grads(outs, gos), retain, create_graph, ins)
    res = []
    for i, x in enumerate(ins):
        g = captured.get(id(edge_of(x)))
        if g is None and not allow_unused:
            raise RuntimeError(
                f"One of the differentiated Tensors (input {i}, shape {list(x._shape)}) appears to not have been "
                "used in the graph. Set allow_unused=True if this is the desired behavior."
            )
        res.append(g if g is None or create_graph else g.detach())
    return tuple(res)


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs: Any = None) -> None:
    """Accumulate the gradients of ``tensors`` into the leaves' ``.grad``
    (``Tensor.backward`` for several outputs at once).

    Example:
        >>> import functorch_lite as fl
        >>> x = fl.tensor([1.0, 2.0], requires_grad=True)
        >>> fl.autograd.backward([x.sum(), (x * x).sum()]); x.grad
        tensor([3., 5.])
    """
    outs = _seq(tensors)
    gos = _seq(grad_tensors) if grad_tensors is not None else None
    retain = create_graph if retain_graph is None else retain_graph
    grads = root_grads(outs, gos)
    if inputs is None:
        run_backward(outs, grads, retain, create_graph)
        return
    ins = _seq(inputs)
    captured = run_backward(outs, grads, retain, create_graph, ins)
    for x in ins:
        g = captured.get(id(edge_of(x)))
        if g is not None:
            x._grad = (g if create_graph else g.detach()) if x._grad is None else x._grad + g


keep_64_bit_in_module(globals())  # PyTorch's dtype rules whatever the functional API's 64-bit mode
