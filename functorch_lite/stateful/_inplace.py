"""In-place methods (trailing ``_``), ``t[idx] = v`` and the in-place
operators.  The new values come from the functional core (as for the
out-of-place methods); everything is validated first (dtypes, shapes,
indices, overlap), then one write goes through a NumPy view of the storage
handle's buffer (:meth:`StorageHandle.writable`: copy-on-write when an Array
may see it, version counter bumped).  Every method returns ``self``.

Example:
    >>> import functorch_lite as fl
    >>> x = fl.ones(3)
    >>> v = x[1:]
    >>> _ = v.mul_(4)
    >>> x.tolist(), x._version
    ([1.0, 4.0, 4.0], 1)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import functorch_lite.numpy as jnp
import functorch_lite.random as jr
from functorch_lite.array import Array
from functorch_lite.ops.kernels.inplace import axpy
from functorch_lite.stateful import _dtypes as D
from functorch_lite.stateful import _layout as L
from functorch_lite.stateful._autograd import SAVE_NONE, UFUNCS, FunctionNode, apply_op, record_view, recording
from functorch_lite.stateful._base import TensorBase, core_cast
from functorch_lite.stateful._grad_mode import _state as _grad_state
from functorch_lite.stateful._grad_mode import is_grad_enabled, no_grad
from functorch_lite.stateful._math import MathMixin, as_core, coerce, is_scalar, promote, relu_core
from functorch_lite.stateful._random import Generator, key_for
from functorch_lite.stateful._storage import EXCLUSIVE, SHARED, has_internal_overlap


def _np_value(v: Any) -> Any:
    """A value to write: a NumPy array (read now) or a Python scalar."""
    if isinstance(v, TensorBase):
        return v._np_read()
    if isinstance(v, Array):
        return v._numpy()
    return v


def cast_scalar(value: Any, dt: D.dtype) -> np.ndarray[Any, Any]:
    """``value`` as a 0-d array of ``dt``; a float that no integer of ``dt``
    holds (nan, inf, out of range) raises instead of wrapping, as PyTorch."""
    if dt.np_dtype.kind in "iu" and isinstance(value, (float, np.floating)):
        info = np.iinfo(dt.np_dtype)
        if not (np.isfinite(value) and info.min <= value < info.max + 1):
            raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow: {value}")
    if dt.np_dtype.kind in "iu" and isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        info = np.iinfo(dt.np_dtype)
        if not info.min <= int(value) <= info.max:
            raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow: {value}")
    return np.array(value).astype(dt.np_dtype)


class InplaceMixin(MathMixin):
    """In-place methods of :class:`Tensor` (see the module docstring)."""

    __slots__ = ()

    # machinery -------------------------------------------------------------------------
    def _check_writable(self, name: str) -> None:
        if self._requires_grad and self.grad_fn is None and is_grad_enabled():
            raise RuntimeError(
                f"a leaf Variable that requires grad is being used in an in-place operation ({name}); "
                "wrap the update in `with functorch_lite.no_grad():`"
            )
        if not L.is_contiguous(self._shape, self._strides) and has_internal_overlap(self._shape, self._strides):
            raise RuntimeError(
                f"unsupported operation ({name}): more than one element of the written-to tensor refers to a single "
                f"memory location (shape {list(self._shape)}, strides {list(self._strides)}, e.g. from expand()). "
                "Please clone() the tensor before performing the operation."
            )

    def _write(self, value: Any, name: str) -> Any:
        """Write ``value`` (broadcast to this shape, cast to this dtype)."""
        self._check_writable(name)
        if is_grad_enabled() and (self._requires_grad or (isinstance(value, TensorBase) and value._requires_grad)):
            return self._write_recorded(value, name)
        src = _np_value(value)
        if is_scalar(src):
            src = cast_scalar(src, self._dtype)
        vshape = np.shape(src)
        if vshape != self._shape:
            try:
                ok = np.broadcast_shapes(vshape, self._shape) == self._shape
            except ValueError:
                ok = False
            if not ok:
                raise RuntimeError(
                    f"{name}: output with shape {list(self._shape)} doesn't match the broadcast shape of the value "
                    f"{list(vshape)}"
                )
        h = self._h
        h.make_writable()
        h.version += 1
        # the lent view's cached NumPy view is this region of the (now writable) buffer
        np.copyto(self._lend()._numpy(), src, casting="unsafe")
        return self

    def _write_recorded(self, value: Any, name: str) -> Any:
        """An in-place write while gradients are recorded: the tensor takes
        the graph of the value written (computed out of place from the old
        value, so the old value's node stays valid)."""
        if self._view_base is not None:
            return self._write_view_recorded(value, name)
        if isinstance(value, TensorBase) and value._requires_grad:
            if isinstance(value.grad_fn, FunctionNode):
                # the old values stay in the old buffer (copied on this write), so the
                # value's own node needs no version check on this tensor
                value.grad_fn._saved = tuple(p for p in value.grad_fn._saved if p[0]._h is not self._h)
            if value._shape != self._shape or value._dtype is not self._dtype:
                shape, np_dt = self._shape, self._dtype.np_dtype
                value = apply_op(lambda v: jnp.broadcast_to(core_cast(v, np_dt), shape), (value,), "CopyBackwards",
                                 SAVE_NONE)
            fn = value.grad_fn
        else:
            fn = None
        # nodes recorded earlier may keep views of the old buffer: make the write copy it first
        if self._h.state == EXCLUSIVE:
            self._h.state = SHARED
        with no_grad():
            self._write(value.array() if isinstance(value, TensorBase) else value, name)
        self.grad_fn = fn
        self._requires_grad = fn is not None
        return self

    def _write_view_recorded(self, value: Any, name: str) -> Any:
        """An in-place write into a view while recording (PyTorch's
        CopySlices): the base takes the new value of the whole storage region
        (the old base with this view's elements replaced, a recorded scatter)
        and this view becomes a recorded gather of the new base.  Other views
        taken earlier keep the graph they had."""
        base: Any = self._view_base
        assert base is not None
        if base._requires_grad and base.grad_fn is None:
            raise RuntimeError(
                f"a view of a leaf Variable that requires grad is being used in an in-place operation ({name}); "
                "wrap the update in `with functorch_lite.no_grad():`"
            )
        if has_internal_overlap(base._shape, base._strides):
            raise RuntimeError(f"{name}: the base of this view has overlapping elements (e.g. from expand()); "
                               "clone() it before writing into its views")
        ia = Array._wrap(_positions_in(base, self))
        if isinstance(value, TensorBase) and isinstance(value.grad_fn, FunctionNode):
            # as in _write_recorded: the old values stay in the old buffer (copied on the write)
            value.grad_fn._saved = tuple(p for p in value.grad_fn._saved if p[0]._h is not self._h)
        bshape, vshape, np_dt = base._shape, self._shape, self._dtype.np_dtype
        if isinstance(value, TensorBase):
            new_base = apply_op(
                lambda b, v: b.reshape(-1).at[ia].set(jnp.broadcast_to(core_cast(v, np_dt), vshape).reshape(-1))
                .reshape(bshape), (base, value), "CopySlices", SAVE_NONE)
        else:
            fill = Array._wrap(cast_scalar(value, self._dtype)) if is_scalar(value) else value
            new_base = apply_op(
                lambda b: b.reshape(-1).at[ia].set(jnp.broadcast_to(core_cast(fill, np_dt), vshape).reshape(-1))
                .reshape(bshape), (base,), "CopySlices", SAVE_NONE)
        base._write(new_base, name)
        self.grad_fn = None
        self._requires_grad = False
        if base._requires_grad:
            record_view(self, base, lambda b: b.reshape(-1)[ia].reshape(vshape), "AsStridedBackward0")
        return self

    def _inplace_ufunc(self, o: Any, fn: Callable[[Any, Any], Any], name: str) -> bool:
        """Write ``fn(self, o)`` straight into this tensor's buffer with the
        NumPy ufunc (no temporary, no copy), where that is exactly what the
        general path computes: a floating tensor, an operand of its dtype (or
        a Python number, weakly typed), nothing recorded.  False if not taken."""
        uf = UFUNCS.get(fn)
        if uf is None or self._traced or not self._dtype.is_floating_point:
            return False
        grad_on = _grad_state.grad_enabled
        if grad_on and self._requires_grad:
            return False
        if isinstance(o, TensorBase):
            if o._dtype is not self._dtype or o._traced or (grad_on and o._requires_grad):
                return False
            if o._shape != self._shape:
                try:
                    if np.broadcast_shapes(o._shape, self._shape) != self._shape:
                        return False
                except ValueError:
                    return False
            # read before the write below may swap this buffer (copy-on-write): the values are the same
            src = o._lend()._numpy()
        elif type(o) in (float, int):
            src = o
        else:
            return False
        dst = self._lend()._numpy()
        if not dst.flags.c_contiguous:  # NumPy's flag is is_row_major's test: no overlap possible
            self._check_writable(name)
        h = self._h
        if h.state == SHARED:
            h.make_writable()
            dst = self._lend()._numpy()  # the copy's
        h.version += 1
        # NumPy buffers an operand that overlaps the output, so o may view this very storage
        if uf is np.maximum or uf is np.minimum:
            uf(dst, src, out=dst)  # NumPy deprecates their positional out
        else:
            uf(dst, src, dst)  # positional: the keyword costs ~0.1 us, a tenth of the op
        return True

    def _ibinary(self, other: Any, fn: Callable[[Any, Any], Any], name: str, kind: str = "") -> Any:
        o = coerce(other)
        if self._inplace_ufunc(o, fn, name):
            return self
        dt = promote(self, o)
        if kind == "div" and not dt.is_differentiable:
            dt = D.get_default_dtype()
        self._check_cast(dt, name)
        if recording(self, o):
            return self._write(self._binary(o, fn, kind), name)
        return self._write(fn(as_core(self, dt), as_core(o, dt)), name)

    def _iunary(self, fn: Callable[[Any], Any], name: str, floating: bool = False) -> Any:
        dt = self._dtype if self._dtype.is_differentiable or not floating else D.get_default_dtype()
        self._check_cast(dt, name)
        if recording(self):
            return self._write(self._unary(fn, floating), name)
        return self._write(fn(self._as(dt)), name)

    def _check_cast(self, dt: D.dtype, name: str) -> None:
        if not D.can_cast(dt, self._dtype):
            raise RuntimeError(
                f"{name}: result type {dt.name.capitalize()} can't be cast to the desired output type "
                f"{self._dtype.name.capitalize()}; use the out-of-place op, or convert the tensor first"
            )

    # arithmetic -------------------------------------------------------------------------
    def add_(self, other: Any, *, alpha: Any = 1) -> Any:
        """``self += alpha * other``, in place.

        Example:
            >>> import functorch_lite as fl
            >>> fl.zeros(2).add_(fl.ones(2), alpha=3).tolist()
            [3.0, 3.0]
        """
        if alpha != 1:
            o = coerce(other)
            if self._axpy(o, alpha, "add_"):
                return self
            other = o * alpha
        elif isinstance(other, TensorBase) and self._inplace_ufunc(other, jnp.add, "add_"):
            return self  # _ibinary's first step, one call sooner
        return self._ibinary(other, jnp.add, "add_")

    def _axpy(self, o: Any, alpha: Any, name: str) -> bool:
        """``self += alpha * o`` by one kernel pass when both are contiguous
        tensors of one floating dtype and shape, not recorded, not overlapping."""
        if (not isinstance(o, TensorBase) or type(alpha) not in (float, int) or o._dtype is not self._dtype
                or o._shape != self._shape or self._traced or o._traced or not self._dtype.is_floating_point
                or (is_grad_enabled() and (self._requires_grad or o._requires_grad))
                or not L.is_contiguous(self._shape, self._strides) or not L.is_contiguous(o._shape, o._strides)):
            return False
        self._check_writable(name)
        h = self._h
        h.make_writable()
        src = o._lend()._numpy()
        dst = self._lend()._numpy()
        if np.may_share_memory(dst, src):
            return False
        h.version += 1
        axpy(dst.reshape(-1), src.reshape(-1), alpha)
        return True

    def sub_(self, other: Any, *, alpha: Any = 1) -> Any:
        if alpha != 1:
            o = coerce(other)
            if self._axpy(o, -alpha, "sub_"):
                return self
            other = o * alpha
        return self._ibinary(other, jnp.subtract, "sub_")

    def mul_(self, other: Any) -> Any: return self._ibinary(other, jnp.multiply, "mul_")

    def div_(self, other: Any, *, rounding_mode: str | None = None) -> Any:
        if rounding_mode is None:
            return self._ibinary(other, jnp.true_divide, "div_", "div")
        val = self.div(other, rounding_mode=rounding_mode)
        self._check_cast(val._dtype, "div_")
        return self._write(val, "div_")

    def pow_(self, exponent: Any) -> Any: return self._ibinary(exponent, jnp.power, "pow_")
    def remainder_(self, other: Any) -> Any: return self._ibinary(other, jnp.remainder, "remainder_")
    def floor_divide_(self, other: Any) -> Any: return self._ibinary(other, jnp.floor_divide, "floor_divide_")
    def maximum_(self, other: Any) -> Any: return self._ibinary(other, jnp.maximum, "maximum_")
    def minimum_(self, other: Any) -> Any: return self._ibinary(other, jnp.minimum, "minimum_")

    def neg_(self) -> Any:
        if self._dtype is D.bool_:
            self.neg()  # raises PyTorch's error
        return self._iunary(jnp.negative, "neg_")

    def abs_(self) -> Any: return self._iunary(jnp.abs, "abs_")
    def sign_(self) -> Any: return self._iunary(jnp.sign, "sign_")
    def square_(self) -> Any: return self._iunary(jnp.square, "square_")
    def exp_(self) -> Any: return self._iunary(jnp.exp, "exp_", True)
    def log_(self) -> Any: return self._iunary(jnp.log, "log_", True)
    def log1p_(self) -> Any: return self._iunary(jnp.log1p, "log1p_", True)
    def sqrt_(self) -> Any: return self._iunary(jnp.sqrt, "sqrt_", True)
    def sin_(self) -> Any: return self._iunary(jnp.sin, "sin_", True)
    def cos_(self) -> Any: return self._iunary(jnp.cos, "cos_", True)
    def tanh_(self) -> Any: return self._iunary(jnp.tanh, "tanh_", True)
    def sigmoid_(self) -> Any: return self._iunary(lambda a: 0.5 * jnp.tanh(0.5 * a) + 0.5, "sigmoid_", True)
    def relu_(self) -> Any: return self._iunary(relu_core, "relu_")
    def floor_(self) -> Any: return self._iunary(jnp.floor, "floor_")
    def ceil_(self) -> Any: return self._iunary(jnp.ceil, "ceil_")
    def round_(self) -> Any: return self._iunary(jnp.round, "round_")
    def trunc_(self) -> Any: return self._iunary(jnp.trunc, "trunc_")
    def reciprocal_(self) -> Any: return self._iunary(lambda a: 1 / a, "reciprocal_", True)

    def clamp_(self, min: Any = None, max: Any = None) -> Any:  # noqa: A002 - PyTorch's names
        """Clamp in place (see :meth:`clamp`)."""
        val = self.clamp(min, max)
        self._check_cast(val._dtype, "clamp_")
        return self._write(val, "clamp_")

    clip_ = clamp_

    def __iadd__(self, o: Any) -> Any: return self.add_(o)
    def __isub__(self, o: Any) -> Any: return self.sub_(o)
    def __imul__(self, o: Any) -> Any: return self.mul_(o)
    def __itruediv__(self, o: Any) -> Any: return self.div_(o)
    def __ipow__(self, o: Any) -> Any: return self.pow_(o)
    def __ifloordiv__(self, o: Any) -> Any: return self.floor_divide_(o)
    def __imod__(self, o: Any) -> Any: return self.remainder_(o)

    def __imatmul__(self, o: Any) -> Any:
        """``a @= b`` writes into ``a`` when the product keeps its shape and
        dtype (square factors); otherwise ``a`` is rebound to the product."""
        out = self.matmul(o)
        if out._shape != self._shape:
            return out
        return self._write(out, "__imatmul__")

    # filling and copying ------------------------------------------------------------------
    def zero_(self) -> Any:
        """Set every element to 0.

        Example:
            >>> import functorch_lite as fl
            >>> fl.ones(2, dtype=fl.int64).zero_().tolist()
            [0, 0]
        """
        return self._write(0, "zero_")

    def fill_(self, value: Any) -> Any:
        """Set every element to ``value`` (a number or a 0-d tensor), cast to
        this dtype."""
        if isinstance(value, TensorBase):
            if value.ndim != 0:
                raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                                   f"{value.ndim} dimensions.")
            value = value.item()
        if not is_scalar(value):
            raise TypeError(f"fill_ expects a number or a 0-d tensor, got {type(value).__name__}")
        return self._write(value, "fill_")

    def copy_(self, src: Any, non_blocking: bool = False) -> Any:
        """Copy ``src`` (broadcast to this shape, any dtype) into this tensor.

        Example:
            >>> import functorch_lite as fl
            >>> fl.zeros(2, 2).copy_(fl.tensor([1, 2])).tolist()
            [[1.0, 2.0], [1.0, 2.0]]
        """
        s = coerce(src)
        return self._write(s, "copy_")

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Generator | None = None) -> Any:
        """Fill with samples of N(mean, std**2)."""
        self._check_random("normal_")
        draw = jr.normal(key_for(generator), self._shape, dtype=self._dtype.np_dtype)
        return self._write(draw * std + mean, "normal_")

    def uniform_(self, *args: float, generator: Generator | None = None, **kwargs: float) -> Any:
        """Fill with samples of U[from, to) (``uniform_(from=0, to=1)``)."""
        lo, hi = (list(args) + [0.0, 1.0][len(args):])[:2]
        lo, hi = kwargs.pop("from", lo), kwargs.pop("to", hi)
        if kwargs:
            raise TypeError(f"uniform_ got unexpected keyword arguments {sorted(kwargs)}")
        if not lo <= hi:
            raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={lo} > to={hi}")
        self._check_random("uniform_")
        draw = jr.uniform(key_for(generator), self._shape, dtype=self._dtype.np_dtype, minval=lo, maxval=hi)
        return self._write(draw, "uniform_")

    def _check_random(self, name: str) -> None:
        if not self._dtype.is_floating_point:
            raise RuntimeError(f"{name} expects a floating point tensor, got {self._dtype.name}")

    # masked and indexed writes ------------------------------------------------------------
    def masked_fill_(self, mask: Any, value: Any) -> Any:
        """Set the elements where ``mask`` (bool, broadcastable to this shape)
        holds to ``value``.

        Example:
            >>> import functorch_lite as fl
            >>> x = fl.tensor([1.0, -2.0, 3.0])
            >>> x.masked_fill_(x < 0, 0.0).tolist()
            [1.0, 0.0, 3.0]
        """
        m = coerce(mask)
        if not isinstance(m, TensorBase) or m._dtype is not D.bool_:
            raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype "
                               f"{getattr(m, 'dtype', type(m).__name__)}")
        if isinstance(value, TensorBase):
            if value.ndim != 0:
                raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                                   f"{value.ndim} dimension(s).")
            value = value.item()
        try:
            ok = np.broadcast_shapes(m._shape, self._shape) == self._shape
        except ValueError:
            ok = False
        if not ok:
            raise RuntimeError(f"masked_fill_: the mask of shape {list(m._shape)} does not broadcast to the "
                               f"tensor's shape {list(self._shape)}")
        fill = Array._wrap(cast_scalar(value, self._dtype))
        if recording(self):
            return self._write(apply_op(lambda a, mm: jnp.where(mm, fill, a), (self, m), "MaskedFillBackward0"),
                               "masked_fill_")
        val = jnp.where(m._lend(), fill, self._lend())
        return self._write(val, "masked_fill_")

    def masked_fill(self, mask: Any, value: Any) -> Any:
        return self.clone().masked_fill_(mask, value)

    def index_add_(self, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Any:
        """Add ``alpha * source`` into the entries ``index`` of ``dim``
        (repeated indices accumulate).

        Example:
            >>> import functorch_lite as fl
            >>> fl.zeros(3).index_add_(0, fl.tensor([0, 2, 0]), fl.tensor([1.0, 2.0, 3.0])).tolist()
            [4.0, 0.0, 2.0]
        """
        d = L.norm_dim(dim, self.ndim)
        idx, src = coerce(index), coerce(source)
        if not isinstance(src, TensorBase) or src._dtype is not self._dtype:
            raise RuntimeError(f"index_add_(): self ({self._dtype.name}) and source "
                               f"({getattr(src, 'dtype', type(src).__name__)}) must have the same scalar type")
        ix = _check_index_vector("index_add_", idx, self._shape[d] if self.ndim else 1)
        want = list(self._shape)
        if self.ndim:
            want[d] = ix.size
        if list(src._shape) != want and not (self.ndim == 0 and src.numel() == 1):
            raise RuntimeError(f"index_add_(): source shape {list(src._shape)} must be {want} (self's shape with "
                               f"dim {d} of the index's length {ix.size})")
        if alpha != 1:
            src = src * alpha
        if self.ndim == 0:
            return self._write(apply_op(lambda a, s: a + jnp.sum(s), (self, src), "IndexAddBackward0"), "index_add_")
        where = (slice(None),) * d + (Array._wrap(ix),)
        if recording(self, src):
            return self._write(apply_op(lambda a, s: a.at[where].add(s), (self, src), "IndexAddBackward0"),
                               "index_add_")
        return self._write(self._lend().at[where].add(src._lend()), "index_add_")

    def index_add(self, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Any:
        return self.clone().index_add_(dim, index, source, alpha=alpha)

    def scatter_(self, dim: int, index: Any, src: Any = None, *, value: Any = None, reduce: str | None = None) -> Any:
        """``self[..., index[i, j], ...] = src[i, j]`` along ``dim`` (src a
        tensor or a number); ``reduce="add"``/``"multiply"`` accumulate.

        Example:
            >>> import functorch_lite as fl
            >>> fl.zeros(2, 3).scatter_(1, fl.tensor([[2], [0]]), 5.0).tolist()
            [[0.0, 0.0, 5.0], [5.0, 0.0, 0.0]]
        """
        d = L.norm_dim(dim, self.ndim)
        source = value if src is None else src
        ix = coerce(index)
        if not isinstance(ix, TensorBase) or ix._dtype is not D.int64:
            raise RuntimeError("scatter_(): Expected dtype int64 for index")
        if ix.ndim != self.ndim:
            raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
        for k in range(self.ndim):
            if k != d and ix._shape[k] > self._shape[k]:
                raise RuntimeError(f"Size does not match at dimension {k} expected index {list(ix._shape)} to be "
                                   f"smaller than self {list(self._shape)} apart from dimension {d}")
        idx = _check_index_values("scatter_", ix._np_read(), self._shape[d] if self.ndim else 1)
        grids = list(np.indices(ix._shape, sparse=True)) if self.ndim else []
        if self.ndim:
            grids[d] = idx
        where = tuple(Array._wrap(np.broadcast_to(g, ix._shape).copy()) for g in grids)
        if isinstance(source, TensorBase):
            if source._dtype is not self._dtype:
                raise RuntimeError(f"scatter(): Expected self.dtype to be equal to src.dtype ({self._dtype.name} "
                                   f"vs {source._dtype.name})")
            if source.ndim != ix.ndim or any(a > b for a, b in zip(ix._shape, source._shape)):
                raise RuntimeError(f"Size does not match: expected index {list(ix._shape)} to be smaller than "
                                   f"src {list(source._shape)}")
            part = tuple(slice(0, n) for n in ix._shape)
            vals: Any = source._lend()[part]
            if recording(self, source):
                if reduce not in (None, "add"):
                    raise RuntimeError("scatter_ with reduce='multiply' is not differentiable here; compute it "
                                       "under no_grad() or use the out-of-place ops")
                red = reduce

                def op(a: Any, s: Any) -> Any:
                    r = a.at[where]
                    return r.add(s[part]) if red == "add" else r.set(s[part])

                return self._write(apply_op(op, (self, source), "ScatterBackward0"), "scatter_")
        elif is_scalar(source):
            vals = Array._wrap(cast_scalar(source, self._dtype))
        else:
            raise TypeError(f"scatter_ expects src to be a tensor or a number, got {type(source).__name__}")
        if recording(self):
            if reduce not in (None, "add"):
                raise RuntimeError("scatter_ with reduce='multiply' is not differentiable here; compute it "
                                   "under no_grad() or use the out-of-place ops")
            red2 = reduce
            return self._write(apply_op(lambda a: a.at[where].add(vals) if red2 == "add" else a.at[where].set(vals),
                                        (self,), "ScatterBackward1"), "scatter_")
        ref = self._lend().at[where]
        new = {None: ref.set, "add": ref.add, "multiply": ref.multiply}.get(reduce)
        if new is None:
            raise RuntimeError(f"reduce argument must be either add or multiply, got {reduce!r}")
        return self._write(new(vals), "scatter_")

    def _setitem_recorded(self, idx: Any, value: Any) -> None:
        """``t[idx] = v`` while gradients are recorded: the new value of the
        whole tensor, out of place, then written."""
        items = idx if isinstance(idx, tuple) else (idx,)
        # snapshots: the pullback needs these positions even after a write into the index tensor
        parts = tuple(i.array() if isinstance(i, TensorBase) else i for i in items)
        key = parts if isinstance(idx, tuple) else parts[0]
        np_dt = self._dtype.np_dtype
        if isinstance(value, TensorBase):
            new = apply_op(lambda a, v: a.at[key].set(core_cast(v, np_dt)), (self, value), "CopySlices")
        else:
            fill = Array._wrap(cast_scalar(value, self._dtype))
            new = apply_op(lambda a: a.at[key].set(fill), (self,), "CopySlices")
        self._write(new, "__setitem__")

    def scatter(self, dim: int, index: Any, src: Any = None, **kwargs: Any) -> Any:
        return self.clone().scatter_(dim, index, src, **kwargs)

    def __setitem__(self, idx: Any, value: Any) -> None:
        """``t[idx] = v``: basic indices write through a view; tensor, list
        and mask indices are validated (bounds, shapes) before any write."""
        if recording(self, value):
            self._setitem_recorded(idx, coerce(value))
            return
        if L.is_basic_index(idx):
            target = self._view(L.basic_index(self._layout, idx))
            target._check_writable("__setitem__")
            target._write(coerce(value), "__setitem__")
            return
        items = idx if isinstance(idx, tuple) else (idx,)
        # reading the same positions validates bounds and mask shapes in the core
        core_idx = tuple(i._lend() if isinstance(i, TensorBase) else i for i in items)
        picked = self._lend()[core_idx if isinstance(idx, tuple) else core_idx[0]]
        src = _np_value(coerce(value))
        try:
            np.broadcast_shapes(np.shape(src), picked.shape)
        except ValueError:
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(np.shape(src))} cannot be broadcast to "
                               f"indexing result of shape {list(picked.shape)}") from None
        # copies: an index tensor may view the very buffer being written
        np_idx = tuple(np.array(i._np_read()) if isinstance(i, TensorBase) else i for i in items)
        cast = cast_scalar(src, self._dtype) if is_scalar(src) else np.asarray(src).astype(self._dtype.np_dtype)
        self._check_writable("__setitem__")
        dst = self._h.writable(*self._layout)
        dst[np_idx if isinstance(idx, tuple) else np_idx[0]] = cast


def _storage_positions(t: TensorBase) -> np.ndarray[Any, Any]:
    """The storage index of each element of ``t``, in C order."""
    pos = np.full((), t._offset, dtype=np.int64)
    for k, (n, s) in enumerate(zip(t._shape, t._strides)):
        shape = [1] * t.ndim
        shape[k] = n
        pos = pos + (np.arange(n, dtype=np.int64) * s).reshape(shape)
    return np.broadcast_to(pos, t._shape).reshape(-1)


def _positions_in(base: TensorBase, view: TensorBase) -> np.ndarray[Any, Any]:
    """For each element of ``view`` (C order), the flat C-order index of the
    element of ``base`` at the same storage position."""
    pb = _storage_positions(base)
    order = np.argsort(pb, kind="stable")
    sorted_pb = pb[order]
    pv = _storage_positions(view)
    k = np.minimum(np.searchsorted(sorted_pb, pv), max(pb.size - 1, 0))
    if pv.size and (pb.size == 0 or not np.array_equal(sorted_pb[k], pv)):
        raise RuntimeError("internal: a view reaches storage outside its base")
    return order[k] if pv.size else np.zeros(0, np.int64)


def _check_index_vector(name: str, idx: Any, size: int) -> np.ndarray[Any, Any]:
    if not isinstance(idx, TensorBase) or idx._dtype not in (D.int64, D.int32) or idx.ndim > 1:
        raise RuntimeError(f"{name}(): Expected a 0-d or 1-d int64/int32 index tensor, got "
                           f"{getattr(idx, 'dtype', type(idx).__name__)} of shape {list(getattr(idx, 'shape', ()))}")
    return _check_index_values(name, np.array(idx._np_read(), dtype=np.int64).reshape(-1), size)


def _check_index_values(name: str, ix: np.ndarray[Any, Any], size: int) -> np.ndarray[Any, Any]:
    if ix.size and (int(ix.min()) < -size or int(ix.max()) >= size):
        bad = int(ix.max()) if int(ix.max()) >= size else int(ix.min())
        raise IndexError(f"{name}: index {bad} is out of bounds for dimension with size {size}")
    return np.where(ix < 0, ix + size, ix).astype(np.int64)
