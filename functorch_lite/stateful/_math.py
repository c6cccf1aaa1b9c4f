"""Out-of-place math, comparisons and reductions of :class:`Tensor`, with
PyTorch's names (``dim``/``keepdim``), dtypes and type promotion.  Every op
converts its operands to the promoted dtype and calls the functional core
(``functorch_lite.numpy``); none has a second implementation.

Example:
    >>> import functorch_lite as fl
    >>> x = fl.tensor([[1, 5], [7, 2]])
    >>> (x * 1.5).dtype, x.sum().dtype, x.max(dim=1)
    (functorch_lite.float32, functorch_lite.int64, ValuesIndices(values=tensor([5, 7]), indices=tensor([1, 0])))
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

import functorch_lite.numpy as jnp
from functorch_lite.array import Array
from functorch_lite.core import Tracer
from functorch_lite.dtypes import keeps_64_bit
from functorch_lite.stateful import _dtypes as D
from functorch_lite.stateful._autograd import (
    SAVE_NONE,
    UFUNCS,
    JitOp,
    apply_op,
    node_name,
    record,
    record_elementwise,
    record_ufunc,
    record_unary,
    recording,
    saves_of,
)
from functorch_lite.stateful._base import TensorBase, core_cast
from functorch_lite.stateful._grad_mode import _state as _grad_state
from functorch_lite.stateful._layout import norm_dim
from functorch_lite.stateful._views import ViewMixin

Scalar = bool | int | float


class ValuesIndices(NamedTuple):
    """``(values, indices)`` of ``max``/``min``/``sort`` along a dim."""

    values: Any
    indices: Any


def is_scalar(v: Any) -> bool:
    return (isinstance(v, (bool, int, float, complex, np.bool_, np.integer, np.floating, np.complexfloating))
            and not isinstance(v, TensorBase))


_KNOWN = (TensorBase, Array, np.ndarray, list, tuple)


def coerce(v: Any) -> Any:
    """A tensor operand or a Python scalar; other data becomes a tensor."""
    if isinstance(v, TensorBase):
        return v
    if isinstance(v, Tracer):
        return TensorBase._wrap(v)
    if is_scalar(v):
        return v.item() if isinstance(v, np.generic) else v
    if isinstance(v, (Array, np.ndarray, list, tuple)):
        return _TO_TENSOR[0](v)
    raise TypeError(f"expected a tensor or a number, got {type(v).__name__}")


# set by _factories (which builds on this module): data -> tensor
_TO_TENSOR: list[Callable[[Any], Any]] = []


def _direct_binary(a: TensorBase, o: Any, fn: Callable[[Any, Any], Any], reverse: bool) -> Any:
    """``fn(a, o)`` by its ufunc into a fresh tensor, or None where the
    general path is needed (other dtypes, shapes that do not broadcast)."""
    uf = UFUNCS.get(fn)  # eager tensor ops and their in-place forms call the ufunc directly
    if uf is None or not a._dtype.is_floating_point or a._traced:
        return None
    x = a._lend()._numpy()
    if isinstance(o, TensorBase):
        if o._dtype is not a._dtype or o._traced:
            return None
        if o._shape != a._shape:
            try:
                np.broadcast_shapes(o._shape, a._shape)
            except ValueError:
                return None  # the general path raises the shape error
        y: Any = o._lend()._numpy()
    elif type(o) in (float, int):
        y = o
    else:
        return None
    out = uf(y, x) if reverse else uf(x, y)
    if type(out) is not np.ndarray or not out.flags.c_contiguous or out.dtype != x.dtype:
        return TensorBase._fresh(np.asarray(out, dtype=x.dtype))
    return TensorBase._own(out, a._dtype)


def relu_core(a: Any) -> Any:
    """PyTorch's relu as a core function: 0 where ``a <= 0``, else ``a`` (nan stays
    nan), so the gradient is 0 at 0 and passes through nan, as PyTorch's
    ``threshold_backward`` (``maximum``'s rule would split a tie at 0 in halves)."""
    return jnp.where(a <= 0, 0, a)


_RELU = JitOp(relu_core)
# elements from which an activation runs as one compiled op (a fused kernel each way, ~10 us
# to dispatch) rather than eager primitives (a pass per primitive plus the pullback's trace)
JIT_FROM = 4096


def operand_key(v: Any) -> tuple[D.dtype, int]:
    if isinstance(v, TensorBase):
        return v._dtype, (2 if v._shape else 1)
    return D.scalar_dtype(v), 0


def promote(*vals: Any) -> D.dtype:
    """PyTorch's result dtype of tensors and scalars."""
    if len(vals) == 2:
        a, b = vals
        if isinstance(a, TensorBase):
            if isinstance(b, TensorBase):
                if a._dtype is b._dtype:
                    return a._dtype
            elif D.category_of_scalar(b) <= D.category(a._dtype):
                return a._dtype  # a scalar of the same or a lower category never changes the dtype
    return D.result_type(*(operand_key(v) for v in vals))


def as_core(v: Any, dt: D.dtype) -> Any:
    """``v`` for a core call in dtype ``dt``: a lent Array or a Python scalar."""
    if isinstance(v, TensorBase):
        return v._as(dt)
    return v


def cast(x: Any, np_dt: Any) -> Any:
    """A core value in dtype ``np_dt`` (Python scalars stay weakly typed)."""
    if is_scalar(x) or x.dtype == np_dt:
        return x
    return core_cast(x, np_dt)


def _axis(dim: Any) -> Any:
    if dim is None or isinstance(dim, int):
        return dim
    return tuple(dim)


def _need_float(name: str, t: TensorBase, dtype: Any) -> D.dtype:
    dt = t._dtype if dtype is None else D.to_dtype(dtype)
    if not dt.is_differentiable:
        raise RuntimeError(
            f"{name}(): could not infer output dtype. Input dtype must be either a floating point or complex "
            f"dtype. Got: {dt.name}; convert with .float() or pass dtype=functorch_lite.float32"
        )
    return dt


class MathMixin(ViewMixin):
    """Out-of-place math of :class:`Tensor` (see the module docstring)."""

    __slots__ = ()

    # machinery --------------------------------------------------------------------
    def _binary(self, other: Any, fn: Callable[[Any, Any], Any], kind: str = "", reverse: bool = False) -> Any:
        if (self._requires_grad or (isinstance(other, TensorBase) and other._requires_grad)) \
                and _grad_state.grad_enabled:
            fast = record_ufunc(fn, self, other, reverse)
            if fast is not None:
                return fast
        o = coerce(other)
        dt = promote(self, o)
        if kind == "div" and not dt.is_differentiable:
            dt = D.get_default_dtype()
        if recording(self, o):
            if dt is self._dtype:
                fast = record_elementwise(fn, (o, self) if reverse else (self, o), node_name(fn), saves_of(fn))
                if fast is not None:
                    return fast
            np_dt = dt.np_dtype

            def op(a: Any, b: Any) -> Any:
                a, b = cast(a, np_dt), cast(b, np_dt)
                return fn(b, a) if reverse else fn(a, b)

            return record(op, (self, o), node_name(fn), saves_of(fn))
        if dt is self._dtype:
            direct = _direct_binary(self, o, fn, reverse)
            if direct is not None:
                return direct
        a, b = as_core(self, dt), as_core(o, dt)
        out = fn(b, a) if reverse else fn(a, b)
        return self._wrap(out, self, o)

    def _op(self, other: Any, fn: Callable[[Any, Any], Any], kind: str = "", reverse: bool = False) -> Any:
        """An operator: NotImplemented for operands it does not know, so that
        Python tries theirs (a tracer's, inside a transform)."""
        if isinstance(other, TensorBase):
            # _binary's fast paths, one call sooner and without its promotion
            # (they take only operands of one dtype)
            if (self._requires_grad or other._requires_grad) and _grad_state.grad_enabled:
                fast = record_ufunc(fn, self, other, reverse)
            else:
                fast = _direct_binary(self, other, fn, reverse)
            if fast is not None:
                return fast
        elif not isinstance(other, _KNOWN) and not is_scalar(other):
            return NotImplemented
        return self._binary(other, fn, kind, reverse)

    def _unary(self, fn: Callable[[Any], Any], floating: bool = False, name: str = "") -> Any:
        dt = self._dtype
        if floating and not dt.is_differentiable:
            dt = D.get_default_dtype()
        if recording(self):
            if dt is self._dtype:
                fast = None if name else record_unary(fn, self)
                if fast is not None:
                    return fast
                fast = record_elementwise(fn, (self,), node_name(fn, name), saves_of(fn))
                if fast is not None:
                    return fast
            np_dt = dt.np_dtype
            return record(lambda a: fn(cast(a, np_dt)), (self,), node_name(fn, name), saves_of(fn))
        return self._wrap(fn(self._as(dt)), self)

    # arithmetic ---------------------------------------------------------------------
    def add(self, other: Any, *, alpha: Scalar = 1) -> Any:
        """``self + alpha * other``.

        Example:
            >>> import functorch_lite as fl
            >>> fl.tensor([1, 2]).add(fl.tensor([10, 20]), alpha=2).tolist()
            [21, 42]
        """
        if alpha != 1:
            other = coerce(other) * alpha
        return self._binary(other, jnp.add)

    def sub(self, other: Any, *, alpha: Scalar = 1) -> Any:
        """``self - alpha * other``."""
        if alpha != 1:
            other = coerce(other) * alpha
        return self._binary(other, jnp.subtract)

    subtract = sub

    def mul(self, other: Any) -> Any:
        return self._binary(other, jnp.multiply)

    multiply = mul

    def div(self, other: Any, *, rounding_mode: str | None = None) -> Any:
        """True division (integers give the default float dtype), or
        ``rounding_mode="floor"``/``"trunc"``."""
        if rounding_mode is None:
            return self._binary(other, jnp.true_divide, "div")
        if rounding_mode == "floor":
            return self._binary(other, jnp.floor_divide)
        if rounding_mode == "trunc":
            q = self._binary(other, jnp.true_divide, "div").trunc()
            return q if promote(self, coerce(other)).is_floating_point else q.to(promote(self, coerce(other)))
        raise ValueError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'"
        )

    divide = true_divide = div

    def floor_divide(self, other: Any) -> Any:
        return self._binary(other, jnp.floor_divide)

    def remainder(self, other: Any) -> Any:
        return self._binary(other, jnp.remainder)

    def fmod(self, other: Any) -> Any:
        return self._binary(other, jnp.fmod)

    def pow(self, exponent: Any) -> Any:
        """``self ** exponent`` (elementwise).

        Example:
            >>> import functorch_lite as fl
            >>> fl.tensor([1.0, 2.0, 3.0]).pow(2).tolist()
            [1.0, 4.0, 9.0]
        """
        return self._binary(exponent, jnp.power)

    def matmul(self, other: Any) -> Any:
        """Matrix product with NumPy/PyTorch broadcasting; both operands must
        have the same dtype, as in PyTorch.

        Example:
            >>> import functorch_lite as fl
            >>> (fl.ones(2, 3) @ fl.ones(3)).tolist()
            [3.0, 3.0]
        """
        o = coerce(other)
        if not isinstance(o, TensorBase):
            raise TypeError("matmul needs two tensors; multiply by a number with *")
        if o._dtype is not self._dtype:
            raise RuntimeError(
                f"expected m1 and m2 to have the same dtype, but got: {self._dtype.name} != {o._dtype.name}; "
                "convert one with .to(dtype)"
            )
        if self.ndim == 0 or o.ndim == 0:
            raise RuntimeError("both arguments to matmul need to be at least 1D, but they are "
                               f"{self.ndim}D and {o.ndim}D")
        name = {(2, 2): "Mm", (1, 1): "Dot", (2, 1): "Mv"}.get((self.ndim, o.ndim), "Matmul")
        return apply_op(jnp.matmul, (self, o), f"{name}Backward0")

    def mm(self, other: Any) -> Any:
        if self.ndim != 2 or getattr(other, "ndim", 0) != 2:
            raise RuntimeError("mm: both arguments must be 2-D matrices")
        return self.matmul(other)

    def dot(self, other: Any) -> Any:
        if self.ndim != 1 or getattr(other, "ndim", 0) != 1:
            raise RuntimeError("1D tensors expected, but got other shapes; use matmul for matrices")
        return self.matmul(other)

    def maximum(self, other: Any) -> Any:
        return self._binary(other, jnp.maximum)

    def minimum(self, other: Any) -> Any:
        return self._binary(other, jnp.minimum)

    def __add__(self, o: Any) -> Any: return self._op(o, jnp.add)
    def __radd__(self, o: Any) -> Any: return self._op(o, jnp.add, reverse=True)
    def __sub__(self, o: Any) -> Any: return self._op(o, jnp.subtract)
    def __rsub__(self, o: Any) -> Any: return self._op(o, jnp.subtract, reverse=True)
    def __mul__(self, o: Any) -> Any: return self._op(o, jnp.multiply)
    def __rmul__(self, o: Any) -> Any: return self._op(o, jnp.multiply, reverse=True)
    def __truediv__(self, o: Any) -> Any: return self._op(o, jnp.true_divide, "div")
    def __rtruediv__(self, o: Any) -> Any: return self._op(o, jnp.true_divide, "div", reverse=True)
    def __floordiv__(self, o: Any) -> Any: return self._op(o, jnp.floor_divide)
    def __rfloordiv__(self, o: Any) -> Any: return self._op(o, jnp.floor_divide, reverse=True)
    def __mod__(self, o: Any) -> Any: return self._op(o, jnp.remainder)
    def __rmod__(self, o: Any) -> Any: return self._op(o, jnp.remainder, reverse=True)
    def __pow__(self, o: Any) -> Any: return self._op(o, jnp.power)
    def __rpow__(self, o: Any) -> Any: return self._op(o, jnp.power, reverse=True)
    def __matmul__(self, o: Any) -> Any: return self.matmul(o) if isinstance(o, _KNOWN) else NotImplemented
    def __rmatmul__(self, o: Any) -> Any: return coerce(o).matmul(self)
    def __neg__(self) -> Any: return self.neg()
    def __pos__(self) -> Any: return self
    def __abs__(self) -> Any: return self.abs()
    def __and__(self, o: Any) -> Any: return self._op(o, jnp.bitwise_and)
    def __or__(self, o: Any) -> Any: return self._op(o, jnp.bitwise_or)
    def __xor__(self, o: Any) -> Any: return self._op(o, jnp.bitwise_xor)
    def __invert__(self) -> Any: return self._unary(jnp.invert)

    # comparisons (bool results) -------------------------------------------------------
    def eq(self, o: Any) -> Any: return self._binary(o, jnp.equal)
    def ne(self, o: Any) -> Any: return self._binary(o, jnp.not_equal)
    def lt(self, o: Any) -> Any: return self._binary(o, jnp.less)
    def le(self, o: Any) -> Any: return self._binary(o, jnp.less_equal)
    def gt(self, o: Any) -> Any: return self._binary(o, jnp.greater)
    def ge(self, o: Any) -> Any: return self._binary(o, jnp.greater_equal)
    def __eq__(self, o: Any) -> Any: return self._op(o, jnp.equal)
    def __ne__(self, o: Any) -> Any: return self._op(o, jnp.not_equal)
    def __lt__(self, o: Any) -> Any: return self._op(o, jnp.less)
    def __le__(self, o: Any) -> Any: return self._op(o, jnp.less_equal)
    def __gt__(self, o: Any) -> Any: return self._op(o, jnp.greater)
    def __ge__(self, o: Any) -> Any: return self._op(o, jnp.greater_equal)
    __hash__ = TensorBase.__hash__

    def equal(self, other: Any) -> bool:
        """Whether both have the same shape and elements."""
        o = coerce(other)
        return bool(o.shape == self.shape and bool(self.eq(o).all()))

    def allclose(self, other: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> bool:
        o = coerce(other)
        dt = promote(self, o)
        return bool(jnp.allclose(as_core(self, dt), as_core(o, dt), rtol=rtol, atol=atol, equal_nan=equal_nan))

    def __contains__(self, element: Any) -> bool:
        return bool(self.eq(element).any().item())

    def isnan(self) -> Any: return self._unary(jnp.isnan)
    def isfinite(self) -> Any: return self._unary(jnp.isfinite)
    def logical_not(self) -> Any: return self._unary(jnp.logical_not)

    # unary math ------------------------------------------------------------------------
    def neg(self) -> Any:
        if self._dtype is D.bool_:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                               "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
        return self._unary(jnp.negative)

    negative = neg

    def abs(self) -> Any: return self._unary(jnp.abs)
    absolute = abs  # noqa: A003 - PyTorch's alias
    def sign(self) -> Any: return self._unary(jnp.sign)
    def square(self) -> Any: return self._unary(jnp.square)
    def exp(self) -> Any: return self._unary(jnp.exp, True)
    def expm1(self) -> Any: return self._unary(jnp.expm1, True)
    def log(self) -> Any: return self._unary(jnp.log, True)
    def log1p(self) -> Any: return self._unary(jnp.log1p, True)
    def log2(self) -> Any: return self._unary(jnp.log2, True)
    def log10(self) -> Any: return self._unary(jnp.log10, True)
    def sqrt(self) -> Any: return self._unary(jnp.sqrt, True)
    def rsqrt(self) -> Any: return self._unary(lambda a: 1 / jnp.sqrt(a), True, "Rsqrt")
    def reciprocal(self) -> Any: return self._unary(lambda a: 1 / a, True, "Reciprocal")
    def sin(self) -> Any: return self._unary(jnp.sin, True)
    def cos(self) -> Any: return self._unary(jnp.cos, True)
    def tan(self) -> Any: return self._unary(jnp.tan, True)
    def tanh(self) -> Any: return self._unary(jnp.tanh, True)
    def sigmoid(self) -> Any: return self._unary(lambda a: 0.5 * jnp.tanh(0.5 * a) + 0.5, True, "Sigmoid")
    def relu(self) -> Any:
        if self._shape and math.prod(self._shape) >= JIT_FROM and not self._traced:
            return _RELU((self,), (), "ReluBackward0")  # one fused pass each way
        return self._unary(relu_core, name="Relu")
    def floor(self) -> Any: return self._unary(jnp.floor)
    def ceil(self) -> Any: return self._unary(jnp.ceil)
    def round(self) -> Any: return self._unary(jnp.round)
    def trunc(self) -> Any: return self._unary(jnp.trunc)

    # complex numbers ------------------------------------------------------------------
    # PyTorch's ``.real``/``.imag`` of a complex tensor are views that write through to
    # it; here they are new tensors (a real view of complex storage would need storage
    # reinterpretation): reading and differentiating match PyTorch, writing does not.
    @property
    def real(self) -> Any:
        """The real part (the tensor itself for a real tensor).

        Example:
            >>> import functorch_lite as fl
            >>> fl.tensor([1 + 2j]).real.tolist()
            [1.0]
        """
        return self._unary(jnp.real, name="Real") if self._dtype.is_complex else self

    @property
    def imag(self) -> Any:
        """The imaginary part of a complex tensor.

        Example:
            >>> import functorch_lite as fl
            >>> fl.tensor([1 + 2j]).imag.tolist()
            [2.0]
        """
        if not self._dtype.is_complex:
            raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
        return self._unary(jnp.imag, name="Imag")

    def conj(self) -> Any:
        """The complex conjugate (the tensor itself for a real tensor).

        Example:
            >>> import functorch_lite as fl
            >>> fl.tensor([1 + 2j]).conj().tolist()
            [(1-2j)]
        """
        return self._unary(jnp.conj, name="Conj") if self._dtype.is_complex else self

    conj_physical = conj

    def resolve_conj(self) -> Any:
        """``self``: conjugation is never lazy here."""
        return self

    def is_conj(self) -> bool:
        """False: conjugation is never lazy here."""
        return False

    def angle(self) -> Any:
        """The argument of each element in radians (0 or pi for real numbers).

        Example:
            >>> import functorch_lite as fl
            >>> round(fl.tensor([1j]).angle().item(), 4)
            1.5708
        """
        return self._unary(jnp.angle, True, "Angle")

    def is_complex(self) -> bool:
        """Whether the dtype is complex.

        Example:
            >>> import functorch_lite as fl
            >>> fl.tensor([1j]).is_complex(), fl.tensor([1.0]).is_complex()
            (True, False)
        """
        return bool(self._dtype.is_complex)

    def clamp(self, min: Any = None, max: Any = None) -> Any:  # noqa: A002 - PyTorch's names
        """Elementwise ``min(max(self, min), max)``; either bound may be None.

        Example:
            >>> import functorch_lite as fl
            >>> fl.tensor([-1.0, 0.5, 2.0]).clamp(0, 1).tolist()
            [0.0, 0.5, 1.0]
        """
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        bounds = [coerce(b) for b in (min, max) if b is not None]
        np_dt = promote(self, *bounds).np_dtype
        lo, hi = min is not None, max is not None

        def op(x: Any, *bs: Any) -> Any:
            out = cast(x, np_dt)
            if lo:
                out = jnp.maximum(out, cast(bs[0], np_dt))
            if hi:
                out = jnp.minimum(out, cast(bs[-1], np_dt))
            return out

        return apply_op(op, (self, *bounds), "ClampBackward1")

    clip = clamp

    def where(self, condition: Any, other: Any) -> Any:
        """``self`` where ``condition`` holds, else ``other``."""
        return where(condition, self, other)

    # dtype conversion -------------------------------------------------------------------
    def to(self, *args: Any, dtype: Any = None, device: Any = None, non_blocking: bool = False,
           copy: bool = False) -> Any:
        """Convert the dtype (``to(dtype)``, ``to(other)``, ``to("cpu")``);
        ``self`` when nothing changes.

        Example:
            >>> import functorch_lite as fl
            >>> x = fl.tensor([1.5])
            >>> x.to(fl.int64).tolist(), x.to(fl.float32) is x
            ([1], True)
        """
        for a in (*args, device):
            if isinstance(a, TensorBase):
                dtype = a._dtype
            elif isinstance(a, str):
                if a.split(":")[0] != "cpu":
                    raise RuntimeError(f"to(): device {a!r} is not available; functorch_lite tensors live on 'cpu'")
            elif a is not None:
                dtype = a
        dt = self._dtype if dtype is None else D.to_dtype(dtype)
        if dt is self._dtype and not copy:
            return self
        if dt is self._dtype:
            return self.clone()
        return apply_op(lambda a: core_cast(a, dt.np_dtype), (self,), "ToCopyBackward0", SAVE_NONE)

    def type(self, dtype: Any = None) -> Any:
        if dtype is None:
            return f"functorch_lite.{self._dtype.name}"
        return self.to(dtype)


    # reductions -------------------------------------------------------------------------
    def sum(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
        """Sum over ``dim`` (all dims if None); integers and bools sum in int64.

        Example:
            >>> import functorch_lite as fl
            >>> fl.tensor([[1, 2], [3, 4]]).sum(dim=0, keepdim=True).tolist()
            [[4, 6]]
        """
        dt = D.to_dtype(dtype) if dtype is not None else (self._dtype if self._dtype.is_differentiable else D.int64)
        axis, np_dt = _axis(dim), dt.np_dtype
        return apply_op(lambda a: jnp.sum(cast(a, np_dt), axis=axis, keepdims=keepdim), (self,), "SumBackward0",
                        SAVE_NONE)

    def prod(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
        dt = D.to_dtype(dtype) if dtype is not None else (self._dtype if self._dtype.is_differentiable else D.int64)
        axis, np_dt = _axis(dim), dt.np_dtype
        return apply_op(lambda a: jnp.prod(cast(a, np_dt), axis=axis, keepdims=keepdim), (self,), "ProdBackward0")

    def mean(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
        """Mean over ``dim``; needs a float tensor (or ``dtype=``), as PyTorch.

        Example:
            >>> import functorch_lite as fl
            >>> fl.tensor([[1.0, 2.0], [3.0, 5.0]]).mean(1).tolist()
            [1.5, 4.0]
        """
        dt = _need_float("mean", self, dtype)
        axis, np_dt = _axis(dim), dt.np_dtype
        return apply_op(lambda a: jnp.mean(cast(a, np_dt), axis=axis, keepdims=keepdim), (self,), "MeanBackward0",
                        SAVE_NONE)

    def _var(self, name: str, dim: Any, unbiased: Any, keepdim: bool, correction: Any) -> Any:
        if isinstance(dim, bool):  # legacy std(unbiased)
            dim, unbiased = None, dim
        if correction is not None and unbiased is not None:
            raise RuntimeError(f"{name}: pass either unbiased= or correction=, not both")
        c = correction if correction is not None else (0 if unbiased is False else 1)
        _need_float(name, self, None)
        axis = _axis(dim)
        scale = 1.0
        if float(c) != int(c):  # a fractional correction: rescale the population variance
            axes = range(self.ndim) if axis is None else [norm_dim(a, self.ndim) for a in np.atleast_1d(axis)]
            n = 1
            for a in axes:
                n *= self._shape[a]
            scale = n / (n - float(c))

        def op(x: Any) -> Any:
            if scale == 1.0:
                out = jnp.var(x, axis=axis, ddof=int(c), keepdims=keepdim)
            else:
                out = jnp.var(x, axis=axis, keepdims=keepdim) * scale
            return jnp.sqrt(out) if name == "std" else out

        return apply_op(op, (self,), f"{name.capitalize()}Backward0")

    def var(self, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *, correction: Any = None) -> Any:
        """Variance over ``dim`` with Bessel's correction by default
        (``correction=0`` or ``unbiased=False`` for the population variance;
        any ``correction`` divides by ``N - correction``).

        Example:
            >>> import functorch_lite as fl
            >>> round(fl.tensor([1.0, 2.0, 4.0]).var().item(), 4)
            2.3333
        """
        return self._var("var", dim, unbiased, keepdim, correction)

    def std(self, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *, correction: Any = None) -> Any:
        """Standard deviation; see :meth:`var`.

        Example:
            >>> import functorch_lite as fl
            >>> round(fl.tensor([1.0, 3.0]).std().item(), 5)
            1.41421
        """
        return self._var("std", dim, unbiased, keepdim, correction)

    def _extreme(self, name: str, dim: Any, keepdim: bool) -> Any:
        red, arg = (jnp.max, jnp.argmax) if name == "max" else (jnp.min, jnp.argmin)
        if isinstance(dim, TensorBase):
            return self.maximum(dim) if name == "max" else self.minimum(dim)
        if self.numel() == 0 and (dim is None or self._shape[norm_dim(dim, self.ndim)] == 0):
            raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0, "
                             "or the reduced dim has size 0")
        label = f"{name.capitalize()}Backward1"
        if dim is None:
            return apply_op(red, (self,), label)
        d = norm_dim(dim, self.ndim) if self.ndim else None
        values = apply_op(lambda a: red(a, axis=d, keepdims=keepdim), (self,), label.replace("1", "0"))
        idx = self._wrap(arg(self._lend(), axis=d, keepdims=keepdim).astype(np.int64), self)
        return ValuesIndices(values, idx)

    def max(self, dim: Any = None, keepdim: bool = False) -> Any:
        """The largest element; with ``dim``, ``(values, indices)`` along it;
        with a tensor, the elementwise maximum.

        Example:
            >>> import functorch_lite as fl
            >>> v, i = fl.tensor([[1, 9], [8, 2]]).max(dim=1)
            >>> v.tolist(), i.tolist()
            ([9, 8], [1, 0])
        """
        return self._extreme("max", dim, keepdim)

    def min(self, dim: Any = None, keepdim: bool = False) -> Any:
        """The smallest element; see :meth:`max`."""
        return self._extreme("min", dim, keepdim)

    def amax(self, dim: Any = (), keepdim: bool = False) -> Any:
        axis = None if dim == () else _axis(dim)
        return apply_op(lambda a: jnp.max(a, axis=axis, keepdims=keepdim), (self,), "AmaxBackward0")

    def amin(self, dim: Any = (), keepdim: bool = False) -> Any:
        axis = None if dim == () else _axis(dim)
        return apply_op(lambda a: jnp.min(a, axis=axis, keepdims=keepdim), (self,), "AminBackward0")

    def argmax(self, dim: Any = None, keepdim: bool = False) -> Any:
        """Index (int64) of the largest element, of the flattened tensor when
        ``dim`` is None.

        Example:
            >>> import functorch_lite as fl
            >>> fl.tensor([[1, 9], [8, 2]]).argmax().item()
            1
        """
        src = self._lend() if dim is not None else self._lend().reshape(-1)
        axis = norm_dim(dim, self.ndim) if dim is not None and self.ndim else None
        return self._wrap(jnp.argmax(src, axis=axis, keepdims=keepdim and dim is not None).astype(np.int64), self)

    def argmin(self, dim: Any = None, keepdim: bool = False) -> Any:
        src = self._lend() if dim is not None else self._lend().reshape(-1)
        axis = norm_dim(dim, self.ndim) if dim is not None and self.ndim else None
        return self._wrap(jnp.argmin(src, axis=axis, keepdims=keepdim and dim is not None).astype(np.int64), self)

    def all(self, dim: Any = None, keepdim: bool = False) -> Any:
        return self._wrap(jnp.all(self._lend(), axis=_axis(dim), keepdims=keepdim), self)

    def any(self, dim: Any = None, keepdim: bool = False) -> Any:
        return self._wrap(jnp.any(self._lend(), axis=_axis(dim), keepdims=keepdim), self)

    def cumsum(self, dim: int, *, dtype: Any = None) -> Any:
        dt = D.to_dtype(dtype) if dtype is not None else (self._dtype if self._dtype.is_differentiable else D.int64)
        axis, np_dt = norm_dim(dim, self.ndim), dt.np_dtype
        return apply_op(lambda a: jnp.cumsum(cast(a, np_dt), axis=axis), (self,), "CumsumBackward0", SAVE_NONE)


    # conversions named after builtins: last, so that annotations above see the builtins
    def type_as(self, other: TensorBase) -> Any: return self.to(other._dtype)
    def float(self) -> Any: return self.to(D.float32)
    def double(self) -> Any: return self.to(D.float64)
    def long(self) -> Any: return self.to(D.int64)
    def int(self) -> Any: return self.to(D.int32)
    def short(self) -> Any: return self.to(D.int16)
    def bool(self) -> Any: return self.to(D.bool_)
    def byte(self) -> Any: return self.to(D.uint8)
    def cpu(self) -> Any: return self

def where(condition: Any, input: Any, other: Any) -> Any:  # noqa: A002 - PyTorch's name
    """Elementwise ``input if condition else other``, broadcasting all three.

    Example:
        >>> import functorch_lite as fl
        >>> x = fl.tensor([1.0, -2.0, 3.0])
        >>> fl.where(x > 0, x, 0.0).tolist()
        [1.0, 0.0, 3.0]
    """
    cond = coerce(condition)
    if not isinstance(cond, TensorBase) or cond._dtype is not D.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{getattr(cond, 'dtype', type(cond).__name__)}")
    x, y = coerce(input), coerce(other)
    np_dt = promote(x, y).np_dtype
    return apply_op(lambda c, a, b: jnp.where(c, cast(a, np_dt), cast(b, np_dt)), (cond, x, y), "WhereBackward0")


where = keeps_64_bit(where)  # PyTorch's dtype rules whatever the functional API's 64-bit mode
