"""Tensor's autograd interface, as PyTorch's: ``requires_grad``, ``grad``,
``is_leaf``, ``backward``, hooks, ``retain_grad``, ``detach_``.

Example:
    >>> import functorch_lite as fl
    >>> w = fl.tensor([2.0, 3.0], requires_grad=True)
    >>> for _ in range(2):
    ...     (w * w).sum().backward()
    >>> w.grad  # accumulated over both calls
    tensor([ 8., 12.])
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Callable
from typing import Any

from functorch_lite.stateful._autograd import edge_of
from functorch_lite.stateful._base import TensorBase
from functorch_lite.stateful._engine import root_grads, run_backward


class AutogradMixin(TensorBase):
    """The autograd methods of :class:`Tensor` (see the module docstring)."""

    __slots__ = ()

    @property
    def requires_grad(self) -> bool:
        """Whether ops on this tensor are recorded for ``backward()``."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        value = bool(value)
        if self.grad_fn is not None and not value:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed "
                "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."
            )
        if value and not self._dtype.is_differentiable:
            raise RuntimeError(f"only Tensors of floating point dtype can require gradients, got {self._dtype.name}; "
                               "convert with .float() first")
        self._requires_grad = value

    def requires_grad_(self, requires_grad: bool = True) -> Any:
        """Set ``requires_grad`` in place; returns ``self``.

        Example:
            >>> import functorch_lite as fl
            >>> fl.zeros(2).requires_grad_().requires_grad
            True
        """
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded op (their ``grad`` is kept)."""
        return self.grad_fn is None

    @property
    def grad(self) -> Any:
        """The gradient accumulated by ``backward()`` (leaves, or tensors
        that called ``retain_grad()``); None until the first backward."""
        if self.grad_fn is not None and not self.retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute "
                "won't be populated during autograd.backward(). If you indeed want the .grad field to be populated "
                "for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf "
                "Tensor by mistake, make sure you access the leaf Tensor instead.",
                UserWarning, stacklevel=2,
            )
        return self._grad

    @grad.setter
    def grad(self, value: Any) -> None:
        if value is not None:
            if not isinstance(value, TensorBase):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got {type(value).__name__}")
            if value._shape != self._shape or value._dtype is not self._dtype:
                raise RuntimeError(
                    f"assigned grad has data of a different size or type: {list(value._shape)} {value._dtype.name}, "
                    f"the tensor is {list(self._shape)} {self._dtype.name}"
                )
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        """Whether ``retain_grad()`` was called on this non-leaf tensor."""
        fn = self.grad_fn
        return fn is not None and fn._retain is not None and fn._retain() is self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor in the next backward passes.

        Example:
            >>> import functorch_lite as fl
            >>> x = fl.tensor([1.0, 2.0], requires_grad=True)
            >>> y = x * 3; y.retain_grad()
            >>> (y * y).sum().backward(); y.grad
            tensor([ 6., 12.])
        """
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None:
            self.grad_fn._retain = weakref.ref(self)

    def register_hook(self, hook: Callable[[Any], Any]) -> Any:
        """Call ``hook(grad)`` when the gradient for this tensor is computed;
        a tensor it returns replaces the gradient.  Returns a handle with
        ``remove()``.

        Example:
            >>> import functorch_lite as fl
            >>> x = fl.tensor([1.0, 2.0], requires_grad=True)
            >>> h = x.register_hook(lambda g: g * 10)
            >>> x.sum().backward(); x.grad
            tensor([10., 10.])
        """
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        node = edge_of(self)
        assert node is not None
        return node.register_prehook(hook)

    def backward(self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
                 inputs: Any = None) -> None:
        """Accumulate the gradient of this tensor into the ``.grad`` of the
        leaves it was computed from (``gradient`` is needed unless it is a
        scalar).  The graph's saved values are freed unless ``retain_graph``.

        Example:
            >>> import functorch_lite as fl
            >>> x = fl.tensor([1.0, 2.0], requires_grad=True)
            >>> (x ** 2).backward(fl.tensor([1.0, 0.5])); x.grad
            tensor([2., 2.])
        """
        retain = create_graph if retain_graph is None else retain_graph
        grads = root_grads([self], None if gradient is None else [gradient])
        if inputs is not None:
            ins = [inputs] if isinstance(inputs, TensorBase) else list(inputs)
            captured = run_backward([self], grads, retain, create_graph, ins)
            for x in ins:
                g = captured.get(id(edge_of(x)))
                if g is not None:
                    x._grad = (g if create_graph else g.detach()) if x._grad is None else x._grad + g
            return
        run_backward([self], grads, retain, create_graph)

    @property
    def data(self) -> Any:
        """This tensor's values without its graph (``detach()``: shares the
        storage; writes through it are not recorded)."""
        return TensorBase._make(self._h, self._layout, self._dtype, self._view_base)

    @data.setter
    def data(self, value: Any) -> None:
        if not isinstance(value, TensorBase):
            raise TypeError(f"data must be set to a Tensor, got {type(value).__name__}")
        if value._dtype is not self._dtype and self._requires_grad and not value._dtype.is_differentiable:
            raise RuntimeError(f"data set to a {value._dtype.name} tensor on a tensor that requires grad")
        # PyTorch's `t.data = v`: t now views v's storage, keeping its identity and graph flags
        self._h, self._shape, self._strides, self._offset = value._h, value._shape, value._strides, value._offset
        self._dtype, self._view_base, self._lent = value._dtype, value._view_base, None

    def detach_(self) -> Any:
        """Make this tensor a leaf that does not require grad, in place."""
        if self._view_base is not None and self.grad_fn is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._requires_grad = False
        return self
