"""The backward engine: walks the graph of ``grad_fn`` nodes from the roots,
iteratively (a 10,000-op chain needs no recursion), each node once all the
nodes that feed it a gradient have run (Kahn's order), freeing saved values
as it goes unless ``retain_graph``.

Example:
    >>> import functorch_lite as fl
    >>> x = fl.tensor(3.0, requires_grad=True)
    >>> y = x * x + x
    >>> fl.autograd.grad(y, x)
    (tensor(7.),)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from functorch_lite.array import is_row_major
from functorch_lite.stateful._autograd import AccumulateGrad, Node, edge_of, pytorch_convention
from functorch_lite.stateful._base import TensorBase
from functorch_lite.stateful._grad_mode import set_grad_enabled
from functorch_lite.stateful._storage import EXCLUSIVE, EXTERNAL, SHARED


def root_grads(outputs: Sequence[Any], grads: Sequence[Any] | None) -> list[Any]:
    """The gradient of each output: the given one (shape-checked) or ones for a scalar."""
    out = []
    for i, t in enumerate(outputs):
        g = None if grads is None else grads[i]
        if g is None:
            if t.numel() != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs (output {i} has shape "
                    f"{list(t._shape)}); pass gradient= (a tensor of the output's shape) or reduce it first, "
                    "e.g. y.sum().backward()"
                )
            if not t._dtype.is_floating_point:
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got "
                                   f"{t._dtype.name}")
            g = TensorBase._fresh(np.ones(t._shape, t._dtype.np_dtype))
        else:
            if not isinstance(g, TensorBase):
                raise TypeError(f"gradient must be a Tensor or None, got {type(g).__name__}")
            if g._shape != t._shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {list(g._shape)} and "
                                   f"output[{i}] has a shape of {list(t._shape)}.")
            g = g.to(t._dtype, copy=True) if not g._requires_grad else g.to(t._dtype)  # type: ignore[attr-defined]
        out.append(g)
    return out


def _dependencies(roots: Sequence[Node]) -> dict[int, int]:
    """For each reachable node, how many edges lead into it."""
    deps: dict[int, int] = {}
    seen: set[int] = set()
    stack = list(roots)
    for r in roots:
        seen.add(id(r))
    while stack:
        node = stack.pop()
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            deps[id(nxt)] = deps.get(id(nxt), 0) + 1
            if id(nxt) not in seen:
                seen.add(id(nxt))
                stack.append(nxt)
    return deps


def _kept(g: Any) -> Any:
    """``g`` (detached) to store as a ``.grad``: other tensors of the pass
    may share its buffer, so a later in-place write must copy it first."""
    h = g._h
    if h.state == EXCLUSIVE:
        h.state = SHARED
    elif h.state == EXTERNAL:  # user memory, written behind our back
        return TensorBase._fresh(np.array(g._np_read(), copy=True))
    return g.detach()


def _pre_hooks(node: Node, g: Any) -> Any:
    if g._dtype.is_complex and (node._pre_hooks or node._retain is not None):
        # hooks and retained gradients see PyTorch's convention
        return pytorch_convention(_run_pre_hooks(node, pytorch_convention(g)))
    return _run_pre_hooks(node, g)


def _run_pre_hooks(node: Node, g: Any) -> Any:
    if node._pre_hooks:
        for hook in list(node._pre_hooks):
            new = hook(g)
            if new is not None:
                if not isinstance(new, TensorBase) or new._shape != g._shape:
                    raise RuntimeError(
                        f"hook returned {type(new).__name__} of shape {list(getattr(new, '_shape', ()))}; "
                        f"a hook must return None or a tensor of the gradient's shape {list(g._shape)}"
                    )
                g = new.clone()  # type: ignore[attr-defined]  # never store or accumulate into the hook's tensor
    if node._retain is not None:
        t = node._retain()
        if t is not None and t.grad_fn is node:
            t._grad = _kept(g) if t._grad is None else t._grad + g.detach()
    return g


def _accumulate(node: AccumulateGrad, g: Any, create_graph: bool) -> None:
    leaf = node.variable
    g = pytorch_convention(g)
    if leaf._grad is None:
        # a stored gradient is only ever written by later accumulations, which
        # copy it first (_kept); a hook's or the user's tensor was copied already
        if create_graph:
            leaf._grad = g
        elif is_row_major(leaf._shape, leaf._strides) and not is_row_major(g._shape, g._strides):
            # PyTorch's gradient layout contract: a contiguous parameter gets a contiguous
            # .grad (a transposed matmul cotangent is copied once), so optimizer steps run dense
            leaf._grad = TensorBase._fresh(np.array(g._np_read(), order="C"))
        else:
            leaf._grad = _kept(g)
    elif create_graph:
        leaf._grad = leaf._grad + g
    else:
        leaf._grad.add_(g.detach())


class BackwardObserver:
    """Watches ``backward()`` passes that accumulate into ``.grad`` (data
    parallelism's hook: ``distributed.DistributedDataParallel`` starts a
    bucket's all-reduce as soon as its gradients are in, and collects them
    all when the pass ends).  Add instances to :data:`BACKWARD_OBSERVERS`."""

    def on_accumulate(self, leaf: Any) -> None:
        """``leaf.grad`` was just updated by the running pass."""

    def on_end(self) -> None:
        """The pass finished (not called when it raised)."""


#: observers of every backward pass into ``.grad`` (empty: the engine pays nothing)
BACKWARD_OBSERVERS: list[BackwardObserver] = []


def run_backward(outputs: Sequence[Any], grads: Sequence[Any], retain_graph: bool, create_graph: bool,
                 inputs: Sequence[Any] | None = None) -> dict[int, Any]:
    """Propagate ``grads`` from ``outputs``; accumulate into leaves' ``.grad``
    (``inputs is None``) or return the gradient reaching each input's node,
    keyed by ``id(node)``."""
    roots: list[Node] = []
    buffers: dict[int, Any] = {}
    for i, (t, g) in enumerate(zip(outputs, grads)):
        node = edge_of(t)
        if node is None:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn; set "
                "requires_grad=True on the leaves (or call requires_grad_()) before computing it, outside no_grad()"
            )
        g = pytorch_convention(g)
        buffers[id(node)] = g if id(node) not in buffers else buffers[id(node)] + g
        if node not in roots:
            roots.append(node)
    capture = {id(edge_of(x)): x for x in inputs} if inputs is not None else None
    deps = _dependencies(roots)
    ready = [r for r in roots if deps.get(id(r), 0) == 0]
    captured: dict[int, Any] = {}
    with set_grad_enabled(bool(create_graph)):
        while ready:
            node = ready.pop()
            g = buffers.pop(id(node), None)
            skipped = capture is not None and isinstance(node, AccumulateGrad) and id(node) not in capture
            if g is not None and not skipped:  # autograd.grad runs no leaf it does not return
                if node._pre_hooks or node._retain is not None:  # most nodes have neither
                    g = _pre_hooks(node, g)
                if capture is not None and id(node) in capture:
                    captured[id(node)] = pytorch_convention(g)
            if isinstance(node, AccumulateGrad):
                if g is not None and capture is None:
                    _accumulate(node, g, create_graph)
                    for obs in BACKWARD_OBSERVERS:
                        obs.on_accumulate(node.variable)
                continue
            cts: Sequence[Any] = ()
            if g is not None:
                node.check_saved()
                cts = node.apply(g, create_graph)
                if not retain_graph:
                    node.release()
            for k, (nxt, _) in enumerate(node.next_functions):
                if nxt is None:
                    continue
                c = cts[k] if k < len(cts) else None
                if c is not None:
                    key = id(nxt)
                    buffers[key] = c if key not in buffers else buffers[key] + c
                deps[id(nxt)] -= 1
                if deps[id(nxt)] == 0:
                    ready.append(nxt)
    if capture is None:
        for obs in list(BACKWARD_OBSERVERS):
            obs.on_end()
    return captured
