"""The tape: recording Tensor ops for ``backward()``.

An op whose inputs require grad (with grad mode on) runs its functional-core
function under the core's reverse mode (:func:`functorch_lite.transforms.ad.vjp`)
and keeps the pullback in a :class:`FunctionNode`, the result's ``grad_fn``.
Derivatives therefore come from the primitives' vjp rules (``ops.tables``):
there is no second set of formulas.  A leaf that requires grad gets an
:class:`AccumulateGrad` node that adds into ``.grad``.  The engine
(:mod:`functorch_lite.stateful._engine`) walks the nodes iteratively.

Example:
    >>> import functorch_lite as fl
    >>> x = fl.tensor([1.0, 2.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.grad_fn.name(), y.grad_fn.next_functions[0][0].name()
    ('SumBackward0', 'MulBackward0')
    >>> y.backward(); x.grad
    tensor([2., 4.])
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import functorch_lite.numpy as jnp
from functorch_lite import core
from functorch_lite.array import Array, Storage, contiguous_strides
from functorch_lite.numpy._util import scalar_operand
from functorch_lite.ops import shape_ops as so
from functorch_lite.ops.tables import vjp_rules
from functorch_lite.stateful._base import _CONTIG, TensorBase
from functorch_lite.stateful._grad_mode import _state as _grad_state
from functorch_lite.stateful._storage import SHARED, StorageHandle
from functorch_lite.transforms import ad
from functorch_lite.transforms.jit import jit

# which inputs' values a pullback reads (checked against in-place writes):
SAVE_ALL = "all"  # every tensor input (the conservative default)
SAVE_NONE = "none"  # linear ops (add, views, sums): no value is needed
SAVE_PARTNER = "partner"  # mul-like: an input is needed only when another input requires grad


class Node:
    """A node of the backward graph (``tensor.grad_fn``)."""

    __slots__ = ("next_functions", "_pre_hooks", "_retain", "__weakref__")
    next_functions: tuple[tuple[Any, int], ...]

    def __init__(self) -> None:
        self.next_functions = ()
        self._pre_hooks: list[Callable[[Any], Any]] | None = None
        self._retain: weakref.ref[Any] | None = None  # the non-leaf tensor whose grad retain_grad() keeps

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"

    def check_saved(self) -> None:
        """Raise if a value this node needs was freed or written in place."""

    def release(self) -> None:
        """Free the saved values (after a backward without retain_graph)."""

    def apply(self, ct: Any, create_graph: bool) -> tuple[Any, ...]:
        """The gradients (tensors or None) of the inputs, one per edge."""
        raise NotImplementedError(f"{self.name()} does not compute gradients")

    def register_prehook(self, hook: Callable[[Any], Any]) -> Any:
        if self._pre_hooks is None:
            self._pre_hooks = []
        self._pre_hooks.append(hook)
        return _RemovableHandle(self._pre_hooks, hook)


class _RemovableHandle:
    """What ``register_hook`` returns: ``remove()`` unregisters the hook."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks: list[Callable[[Any], Any]], hook: Callable[[Any], Any]) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        for i, h in enumerate(self._hooks):
            if h is self._hook:
                del self._hooks[i]
                return


class AccumulateGrad(Node):
    """The node of a leaf that requires grad: it adds the incoming gradient
    into ``leaf.grad``."""

    __slots__ = ("variable",)

    def __init__(self, leaf: TensorBase) -> None:
        super().__init__()
        self.variable = leaf


class FunctionNode(Node):
    """One recorded op: its pullback, its inputs' edges, and the versions of
    the inputs whose values the pullback reads."""

    __slots__ = ("_name", "_fn", "_inputs", "_primals", "_pullback", "_saved", "_freed", "_keep")

    def __init__(self, name: str, fn: Callable[..., Any], inputs: Sequence[TensorBase], primals: Sequence[Any],
                 pullback: Any, saved: Sequence[tuple[TensorBase, int]]) -> None:
        super().__init__()
        self._name = name
        self._fn: Callable[..., Any] | None = fn  # the op as a function of the differentiable inputs' Arrays
        self._inputs = tuple(inputs)
        self._primals = tuple(primals)  # their Arrays at the time of the op
        # None: deferred; the forward is traced again at backward time (small ops, see record)
        self._pullback = pullback
        self._saved = tuple(saved)
        self._freed = False
        # a node that saves no value keeps its pullback after backward, as PyTorch's
        # AddBackward0 can run twice: only saved values are freed
        self._keep = not saved
        self.next_functions = tuple((edge_of(t), 0) for t in inputs)

    def name(self) -> str:
        return self._name

    def check_saved(self) -> None:
        if self._freed:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved tensors after they "
                "have already been freed). Saved intermediate values of the graph are freed when you call "
                ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
                "graph a second time or if you need to access saved tensors after calling backward "
                f"(node {self._name})."
            )
        for i, (t, v) in enumerate(self._saved):
            if t._h.version != v:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: [{t._dtype.name} {list(t._shape)}], which is input {i} of {self._name}, is at "
                    f"version {t._h.version}; expected version {v} instead. Hint: the tensor (or a view of the "
                    "same storage) was written in place after the op that saved it; use the out-of-place op "
                    "(e.g. x = x + 1 instead of x.add_(1)) or clone() it before the write."
                )

    def release(self) -> None:
        if not self._keep:
            self._pullback = None
            self._fn = None
            self._inputs = ()
            self._primals = ()
            self._saved = ()
            self._freed = True

    def apply(self, ct: TensorBase, create_graph: bool) -> tuple[Any, ...]:
        """Cotangents (tensors or None) for each input edge."""
        fn = self._fn
        assert fn is not None  # check_saved() raised for a freed node
        if not create_graph:
            if self._pullback is None:
                self._pullback = ad.vjp(fn, *self._primals)[1]
            cts = self._pullback(ct.array())
            return tuple(TensorBase._wrap(c) for c in cts)
        # the backward pass recorded: d/d(ct, inputs) of vjp(fn)(ct), so second
        # derivatives come from the same rules, one level deeper
        outs = []
        for i in range(len(self._inputs)):
            def one(c: Any, *xs: Any, i: int = i) -> Any:
                return ad.vjp(fn, *xs)[1](c)[i]

            name = self._name.replace("Backward0", "BackwardBackward0")
            outs.append(apply_op(one, (ct, *self._inputs), name, SAVE_ALL))
        return tuple(outs)


class _UfuncNode(FunctionNode):
    """The node of :func:`record_ufunc` and :func:`record_unary`: one
    elementwise primitive on operands of one shape and dtype.  It keeps what
    the op had at hand (the operands' Arrays or numbers, the result); the
    backward pass calls the primitive's vjp rules on them as
    :class:`_RulePullback` does, and builds the op as a function of its
    differentiable inputs only for ``create_graph``, so that recording stays
    a few attribute writes.  ``_pullback`` and ``_primals`` stay unset: only
    :meth:`FunctionNode.apply`'s retracing reads them, which this node never runs."""

    __slots__ = ("_core", "_rules", "_vals", "_diff", "_ans", "_num")

    def __init__(self, name: str, core_fn: Callable[..., Any], rules: tuple[Any, ...], vals: tuple[Any, ...],
                 diff: tuple[int, ...], inputs: tuple[TensorBase, ...], saved: tuple[tuple[TensorBase, int], ...],
                 ans: Array | Storage, num: tuple[int, Any] | None = None) -> None:
        # Node's and FunctionNode's slots, without their __init__ (this is the hot path)
        self._pre_hooks = None
        self._retain = None
        self._name = name
        self._fn = None  # built by apply, for create_graph
        self._inputs = inputs
        self._saved = saved
        self._freed = False
        self._keep = not saved
        self._core = core_fn
        self._rules = rules
        self._vals = vals
        self._diff = diff
        # the primitive's result as an Array, or its buffer when row-major of the operands'
        # shape (SHARED with the result tensor: a write to the tensor copies it first)
        self._ans: Array | Storage | None = ans
        self._num = num  # (position, number) of a Python number operand (vals holds its Array)
        if len(inputs) == 1:
            t = inputs[0]
            # edge_of, inlined: a leaf's AccumulateGrad is made once, by its first recorded op
            e = t.grad_fn
            if e is None:
                e = t._acc if t._acc is not None else edge_of(t)
            self.next_functions = ((e, 0),)
        else:
            self.next_functions = tuple((edge_of(t), 0) for t in inputs)

    def release(self) -> None:
        if not self._keep:
            self._vals = ()
            self._ans = None
        super().release()

    def apply(self, ct: TensorBase, create_graph: bool) -> tuple[Any, ...]:
        if create_graph:
            if self._fn is None:
                orig = list(self._vals)
                if self._num is not None:  # the op as a function of the number, as record_elementwise's
                    orig[self._num[0]] = self._num[1]
                self._fn = _diff_fn(self._core, orig, self._diff)
            return super().apply(ct, create_graph)
        vals = self._vals
        ans = self._ans
        assert ans is not None  # check_saved() raised for a freed node
        if not isinstance(ans, Array):  # a binary op's row-major buffer, first backward
            shape = vals[0]._shape
            ans = self._ans = Array._unchecked(ans, shape, _CONTIG[shape])
        # the primitive's vjp rules, called as _RulePullback calls them
        c, rules = ct.array(), self._rules
        return tuple([TensorBase._wrap(rules[i](c, ans, *vals)) for i in self._diff])


def edge_of(t: TensorBase) -> Node | None:
    """The node a gradient for ``t`` flows into (None if it needs none)."""
    fn: Node | None = t.grad_fn
    if fn is not None:
        return fn
    if not t._requires_grad:
        return None
    acc: AccumulateGrad | None = t._acc
    if acc is None:
        acc = t._acc = AccumulateGrad(t)
    return acc


def recording(*args: Any) -> bool:
    """Whether an op on ``args`` is recorded."""
    if not _grad_state.grad_enabled:
        return False
    rec = False
    for a in args:
        if isinstance(a, TensorBase):
            if a._traced:
                return False  # a transform differentiates traced values, not the tape
            if a._requires_grad:
                rec = True
    return rec


def apply_op(fn: Callable[..., Any], args: Sequence[Any], name: str, saves: str = SAVE_ALL) -> Any:
    """``fn`` of the core values of ``args`` (tensors lent as Arrays, other
    values as they are), as a new tensor; recorded on the tape when an input
    requires grad and grad mode is on."""
    if not recording(*args):
        return TensorBase._wrap(fn(*[a._lend() if isinstance(a, TensorBase) else a for a in args]), *args)
    return record(fn, args, name, saves)


def record(fn: Callable[..., Any], args: Sequence[Any], name: str, saves: str) -> Any:
    vals = [a._lend() if isinstance(a, TensorBase) else a for a in args]
    diff = [i for i, a in enumerate(args) if isinstance(a, TensorBase) and a._requires_grad]

    f = _diff_fn(fn, vals, diff)
    primals = [vals[i] for i in diff]
    size = 0
    for a in args:
        if isinstance(a, TensorBase):
            size += a.numel()
    if size <= DEFER_BELOW:
        # small operands: run the op plainly now and trace it at backward time, which
        # costs a second (cheap) forward but halves the per-op cost of recording
        out, pullback = fn(*vals), None
    else:
        out, pullback = ad.vjp(f, *primals)
    res = TensorBase._wrap(out, *args)
    if not res._dtype.is_differentiable:
        return res  # comparisons, argmax...: no gradient flows through them
    inputs = [args[i] for i in diff]
    res._requires_grad = True
    res.grad_fn = FunctionNode(name, f, inputs, primals, pullback, _saved(args, saves))
    return res


class JitOp:
    """A composite op run as one compiled program each way: ``fn(*xs,
    *consts)`` jitted forward, and its vjp with respect to the tensors
    ``xs`` jitted backward (the same primitives' vjp rules, traced once per
    signature instead of once per call).  For ops of many primitives on
    small tensors (losses), where eager dispatch and per-call tracing cost
    more than the arithmetic.  ``fn`` must be a module-level function of
    core values (its identity keys jit's cache); ``consts`` are Arrays.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> op = JitOp(lambda x, c: jnp.sum(x * c))
        >>> w = fl.ones(3, requires_grad=True)
        >>> out = op((w,), (jnp.arange(3.0, dtype="float32"),), "SumBackward0")
        >>> out.backward(); w.grad
        tensor([0., 1., 2.])
    """

    __slots__ = ("fn", "fwd", "bwd")

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.fwd = jit(fn)

        def pullback(diff: tuple[int, ...], n: int, *args: Any) -> Any:
            # only the inputs that require grad: a frozen input's cotangent (a matmul) is never computed
            xs, consts, ct = args[:n], args[n:-1], args[-1]
            of_diff = _diff_fn(lambda *v: fn(*v, *consts), xs, diff)
            return ad.vjp(of_diff, *[xs[i] for i in diff])[1](ct)

        self.bwd = jit(pullback, static_argnums=(0, 1))

    def __call__(self, tensors: Sequence[TensorBase], consts: Sequence[Any], name: str) -> Any:
        vals = [t._lend() for t in tensors]
        out = self.fwd(*vals, *consts)
        if not recording(*tensors):
            return TensorBase._wrap(out, *tensors)
        res = TensorBase._wrap(out, *tensors)
        n = len(vals)
        diff = [i for i, t in enumerate(tensors) if t._requires_grad]
        bwd, fn = self.bwd, self.fn

        diff_t = tuple(diff)

        def pull(ct: Any) -> tuple[Any, ...]:
            return tuple(bwd(diff_t, n, *vals, *consts, ct))

        res._requires_grad = True
        of_diff = _diff_fn(lambda *v: fn(*v, *consts), vals, diff)
        res.grad_fn = FunctionNode(name, of_diff, [tensors[i] for i in diff], [vals[i] for i in diff], pull,
                                   _saved(tensors, SAVE_ALL))
        return res


# total input elements up to which an op's tracing is deferred to the backward pass
DEFER_BELOW = 4096


def _diff_fn(fn: Callable[..., Any], vals: Sequence[Any], diff: Sequence[int]) -> Callable[..., Any]:
    """``fn`` as a function of the differentiable arguments only."""

    def f(*xs: Any) -> Any:
        v = list(vals)
        for i, x in zip(diff, xs):
            v[i] = x
        return fn(*v)

    return f


class _RulePullback:
    """The pullback of one elementwise primitive (after NumPy broadcasting):
    its vjp rules called directly, then ``broadcast_in_dim``'s rule for a
    broadcast operand -- what the functional tape would call for this
    two-node trace, without tracing."""

    __slots__ = ("_rules", "_vals", "_ans", "_diff", "_bcasts")

    def __init__(self, rules: tuple[Any, ...], vals: Sequence[Any], ans: Any, diff: Sequence[int],
                 bcasts: dict[int, tuple[Any, Any, dict[str, Any]]]) -> None:
        self._rules, self._vals, self._ans, self._diff, self._bcasts = rules, vals, ans, diff, bcasts

    def __call__(self, ct: Any) -> tuple[Any, ...]:
        out = []
        for i in self._diff:
            c = self._rules[i](ct, self._ans, *self._vals)
            b = self._bcasts.get(i)
            if b is not None:
                x, bx, params = b
                c = _BCAST_RULE[0](c, bx, x, **params)
            out.append(c)
        return tuple(out)


# core functions that are one elementwise primitive on operands of one dtype
_FAST: dict[Any, str] = {
    jnp.add: "add", jnp.subtract: "sub", jnp.multiply: "mul", jnp.true_divide: "div", jnp.maximum: "max",
    jnp.minimum: "min", jnp.exp: "exp", jnp.log: "log", jnp.sin: "sin", jnp.cos: "cos", jnp.tan: "tan",
    jnp.tanh: "tanh", jnp.sqrt: "sqrt", jnp.negative: "neg", jnp.expm1: "expm1", jnp.log1p: "log1p",
}
_BCAST_RULE: list[Any] = []  # broadcast_in_dim's vjp rule, looked up on first use (the table fills at import)


_UNSEEN = object()
# core function -> (primitive, its vjp rules), or None: looked up once (the tables are full by then)
_FAST_RULES: dict[Any, Any] = {}


def _fast_rules(fn: Callable[..., Any]) -> Any:
    prim_name = _FAST.get(fn)
    entry = None
    if prim_name is not None:
        prim = core.PRIMITIVES[prim_name]
        rules = vjp_rules.get(prim)
        if type(rules) is tuple:
            entry = (prim, rules)
    _FAST_RULES[fn] = entry
    return entry


def _rules_of(fn: Callable[..., Any]) -> Any:
    """``fn``'s entry of :data:`_FAST_RULES`, looked up on first use (the hot
    paths inline this)."""
    entry = _FAST_RULES.get(fn, _UNSEEN)
    return _fast_rules(fn) if entry is _UNSEEN else entry


def _broadcast(x: Array, shape: tuple[int, ...]) -> tuple[Array, dict[str, Any]]:
    """``x`` broadcast to ``shape`` as the core's NumPy broadcasting does it."""
    params = {"shape": shape, "broadcast_dimensions": tuple(range(len(shape) - x.ndim, len(shape)))}
    return so.broadcast_in_dim_p.bind(x, **params), params


def record_elementwise(fn: Callable[..., Any], args: Sequence[Any], name: str, saves: str) -> Any:
    """``record`` for an elementwise core function whose tensor operands all
    have the result's floating dtype (numbers allowed): the primitive is
    bound once and its vjp rules become the pullback, skipping the tracer.
    None when the operands do not qualify (the caller takes the general path)."""
    entry = _FAST_RULES.get(fn, _UNSEEN)
    if entry is _UNSEEN:
        entry = _fast_rules(fn)
    if entry is None:
        return None
    prim, rules = entry
    dt: Any = None
    shape: tuple[int, ...] = ()
    same = True
    diff = []
    for i, a in enumerate(args):
        if isinstance(a, TensorBase):
            if dt is None:
                dt, shape = a._dtype, a._shape
            elif a._dtype is not dt:
                return None
            elif a._shape != shape:
                same = False
            if a._requires_grad:
                if rules[i] is None:
                    return None
                diff.append(i)
    if not dt.is_differentiable:
        return None
    if not same:
        try:
            shape = tuple(np.broadcast_shapes(*(a._shape for a in args if isinstance(a, TensorBase))))
        except ValueError:
            return None  # the general path raises the shape error
    orig = [a._lend() if isinstance(a, TensorBase) else a for a in args]
    vals = list(orig)
    bcasts: dict[int, tuple[Any, Any, dict[str, Any]]] = {}
    ref = None
    for k, a in enumerate(args):
        if isinstance(a, TensorBase):
            if a._shape != shape:
                if not _BCAST_RULE and not _find_bcast_rule():
                    return None
                bx, params = _broadcast(orig[k], shape)
                bcasts[k] = (orig[k], bx, params)
                vals[k] = bx
            ref = vals[k]
    assert ref is not None  # Tensor._binary/_unary pass at least one tensor
    for k, a in enumerate(args):
        if not isinstance(a, TensorBase):
            v = scalar_operand(a, ref) if type(a) in (int, float) else None
            if v is None:
                return None
            vals[k] = v
    ans = prim.bind(*vals)
    # an elementwise primitive's eager result is a fresh dense buffer: no aliasing to check
    res = TensorBase._make(StorageHandle(ans.storage(), SHARED), (ans._shape, ans._strides, ans._offset), dt)
    res._requires_grad = True
    res.grad_fn = FunctionNode(name, _diff_fn(fn, orig, diff), [args[i] for i in diff], [orig[i] for i in diff],
                               _RulePullback(rules, vals, ans, diff, bcasts), _saved(args, saves))
    return res


# core functions that are exactly one NumPy ufunc on operands of one float dtype (or
# a weakly typed Python number): the primitive's eager impl calls that same ufunc,
# with no floating-point warnings to silence
UFUNCS: dict[Any, np.ufunc] = {
    jnp.add: np.add, jnp.subtract: np.subtract, jnp.multiply: np.multiply,
    jnp.maximum: np.maximum, jnp.minimum: np.minimum,
}
# elements from which record_ufunc leaves an op to the primitive's impl: above, the
# arithmetic outweighs the dispatch, and the impl takes large outputs from the buffer pool
UFUNC_BELOW = 1 << 16
# core function -> (ufunc, its primitive's vjp rules, grad_fn name, SAVE_*), or None: looked up once
_UFUNC_ENTRIES: dict[Any, Any] = {}


def _ufunc_entry(fn: Callable[..., Any]) -> Any:
    entry = _rules_of(fn)
    uf = UFUNCS.get(fn)
    out = None
    if uf is not None and entry is not None and len(entry[1]) == 2:
        out = (uf, entry[1], node_name(fn), saves_of(fn))
    _UFUNC_ENTRIES[fn] = out
    return out


def record_ufunc(fn: Callable[..., Any], a: TensorBase, o: Any, reverse: bool) -> Any:
    """``fn(a, o)`` (``fn(o, a)`` if ``reverse``) recorded on the tape, for a
    binary core function of :data:`UFUNCS` (one elementwise primitive whose
    eager impl is that NumPy ufunc): ``a`` a real floating tensor, ``o`` a
    tensor of its dtype and shape or a Python number (weakly typed), an
    operand requiring grad, grad mode on, no transform active.  The ufunc
    writes a fresh buffer (what ``prim.bind`` would do, without its dispatch)
    and the node keeps the primitive's vjp rules for the backward pass.
    None when the operands do not qualify (the caller takes the general path)."""
    entry = _UFUNC_ENTRIES.get(fn, _UNSEEN)
    if entry is _UNSEEN:
        entry = _ufunc_entry(fn)
    if entry is None or a._traced or not (core._only_eval or core._tls.only_eval):
        return None
    dt = a._dtype
    if not dt.is_floating_point:
        return None
    xa = a._lend()
    xn = xa._numpy()
    if xn.size >= UFUNC_BELOW:
        return None
    num: tuple[int, Any] | None = None
    if isinstance(o, TensorBase):
        if o._dtype is not dt or o._shape != a._shape or o._traced:
            return None
        ya = o._lend()
    elif type(o) is float or type(o) is int:
        sa = scalar_operand(o, xa)  # the operand the general path gives the primitive and its rules
        if sa is None:
            return None
        ya = sa
        num = (0 if reverse else 1, o)
    else:
        return None
    uf, rules, name, saves = entry
    if reverse:
        p, q, vals = o, a, (ya, xa)
    else:
        p, q, vals = a, o, (xa, ya)
    # the differentiable inputs, and the (input, version) pairs the pullback reads, as _saved gives them
    saved: tuple[tuple[TensorBase, int], ...] = ()
    inputs: tuple[TensorBase, ...]
    diff: tuple[int, ...]
    q_tensor = isinstance(q, TensorBase)
    if isinstance(p, TensorBase) and p._requires_grad:
        if rules[0] is None:
            return None
        if q_tensor and q._requires_grad:
            if rules[1] is None:
                return None
            diff, inputs = (0, 1), (p, q)
            if saves != SAVE_NONE:
                saved = ((p, p._h.version), (q, q._h.version))
        else:
            diff, inputs = (0,), (p,)
            if saves == SAVE_ALL:
                saved = ((p, p._h.version), (q, q._h.version)) if q_tensor else ((p, p._h.version),)
            elif saves == SAVE_PARTNER and q_tensor:
                saved = ((q, q._h.version),)
    elif q_tensor and q._requires_grad:
        if rules[1] is None:
            return None
        diff, inputs = (1,), (q,)
        p_tensor = isinstance(p, TensorBase)
        if saves == SAVE_ALL:
            saved = ((p, p._h.version), (q, q._h.version)) if p_tensor else ((q, q._h.version),)
        elif saves == SAVE_PARTNER and p_tensor:
            saved = ((p, p._h.version),)
    else:
        return None
    yn = ya._numpy()
    out = uf(yn, xn) if reverse else uf(xn, yn)
    if type(out) is not np.ndarray:
        out = np.asarray(out)  # a 0-d operation gives a NumPy scalar
    if not out.flags.c_contiguous or (out.dtype is not xa._dtype and out.dtype != xa._dtype):
        return None  # e.g. both operands transposed: the general path keeps that layout
    shape = a._shape
    strides = _CONTIG.get(shape)
    if strides is None:
        strides = _CONTIG[shape] = contiguous_strides(shape)
    # SHARED: the node's Array of the result sees this buffer, so a later in-place write copies it first
    st = Storage._of_dense(out)
    res = TensorBase._make(StorageHandle(st, SHARED), (shape, strides, 0), dt)
    res._requires_grad = True
    res.grad_fn = _UfuncNode(name, fn, rules, vals, diff, inputs, saved, st, num)
    return res


# core function -> (primitive's impl, its vjp rules, grad_fn name, SAVE_*), or None: looked up once
_UNARY_ENTRIES: dict[Any, Any] = {}


def _unary_entry(fn: Callable[..., Any]) -> Any:
    entry = _rules_of(fn)
    out = None
    if entry is not None and len(entry[1]) == 1 and entry[1][0] is not None and entry[0].impl is not None:
        out = (entry[0].impl, entry[1], node_name(fn), saves_of(fn))
    _UNARY_ENTRIES[fn] = out
    return out


def record_unary(fn: Callable[..., Any], a: TensorBase) -> Any:
    """``fn(a)`` recorded on the tape, for a unary core function that is one
    elementwise primitive (``exp``, ``tanh``...): ``a`` a real floating
    tensor that requires grad, grad mode on, no transform active.  The
    primitive's impl runs directly (what ``prim.bind`` does then, without its
    dispatch) and the node keeps its vjp rules, as :func:`record_ufunc`.
    None when the operand does not qualify (the caller takes the general path)."""
    entry = _UNARY_ENTRIES.get(fn, _UNSEEN)
    if entry is _UNSEEN:
        entry = _unary_entry(fn)
    if entry is None or a._traced or not (core._only_eval or core._tls.only_eval):
        return None
    dt = a._dtype
    if not dt.is_floating_point:
        return None
    impl, rules, name, saves = entry
    xa = a._lend()
    ans = impl(xa)
    if ans._dtype is not xa._dtype and ans._dtype != xa._dtype:
        return None
    # an elementwise primitive's eager result is a fresh dense buffer: no aliasing to check
    res = TensorBase._make(StorageHandle(ans._storage, SHARED), (ans._shape, ans._strides, ans._offset), dt)
    res._requires_grad = True
    saved = () if saves == SAVE_NONE else ((a, a._h.version),)
    res.grad_fn = _UfuncNode(name, fn, rules, (xa,), (0,), (a,), saved, ans)
    return res


def _find_bcast_rule() -> bool:
    b_rules = vjp_rules.get(so.broadcast_in_dim_p)
    if not isinstance(b_rules, tuple) or b_rules[0] is None:
        return False
    _BCAST_RULE.append(b_rules[0])
    return True


def _saved(args: Sequence[Any], saves: str) -> list[tuple[TensorBase, int]]:
    if saves == SAVE_NONE:
        return []
    ts = [a for a in args if isinstance(a, TensorBase)]
    if saves == SAVE_PARTNER:
        n_grad = sum(1 for t in ts if t._requires_grad)
        # t is needed when another operand requires grad
        return [(t, t._h.version) for t in ts if n_grad - t._requires_grad > 0]
    return [(t, t._h.version) for t in ts]


_TORCH_NAMES = {
    "add": "Add", "subtract": "Sub", "multiply": "Mul", "true_divide": "Div", "power": "Pow",
    "maximum": "Maximum", "minimum": "Minimum", "floor_divide": "FloorDivide", "remainder": "Remainder",
    "fmod": "Fmod", "negative": "Neg", "abs": "Abs", "exp": "Exp", "log": "Log", "sqrt": "Sqrt", "sin": "Sin",
    "cos": "Cos", "tan": "Tan", "tanh": "Tanh", "expm1": "Expm1", "log1p": "Log1P", "log2": "Log2",
    "log10": "Log10", "square": "Pow", "sign": "Sign", "floor": "Floor", "ceil": "Ceil", "round": "Round",
    "trunc": "Trunc",
}
_LINEAR = frozenset(("add", "subtract", "negative"))


def node_name(fn: Callable[..., Any], default: str = "") -> str:
    """PyTorch's grad_fn name for a core function (``multiply`` -> ``MulBackward0``)."""
    n = getattr(fn, "__name__", "")
    base = _TORCH_NAMES.get(n) or default or n.capitalize()
    return f"{base}Backward0"


def saves_of(fn: Callable[..., Any]) -> str:
    """Which inputs a core function's pullback reads (see ``SAVE_*``)."""
    n = getattr(fn, "__name__", "")
    if n in _LINEAR:
        return SAVE_NONE
    if n == "multiply":
        return SAVE_PARTNER
    return SAVE_ALL


def record_view(view: TensorBase, src: TensorBase, fn: Callable[[Any], Any], name: str) -> None:
    """Give ``view`` (sharing ``src``'s storage) a node whose pullback is
    that of ``fn``, the same view as a core function of ``src``'s Array."""
    pullback = None  # small: traced at backward time, as in record
    if src.numel() > DEFER_BELOW:
        out, pullback = ad.vjp(fn, src._lend())
        if tuple(out.shape) != view._shape:
            raise AssertionError(f"internal: view function gives shape {tuple(out.shape)}, the view has {view._shape}")
    view._requires_grad = True
    view.grad_fn = FunctionNode(name, fn, (src,), (src._lend(),), pullback, ())


def pytorch_convention(g: Any) -> Any:
    """A gradient between the engine's convention and PyTorch's (an involution).

    The engine runs the core's vjp rules, which follow JAX's convention for
    complex values (the gradient of a real loss is dL/dx - i dL/dy); PyTorch
    reports the conjugate (dL/dx + i dL/dy).  Gradients cross this
    conjugation where users see or give them: ``backward(gradient=)``,
    ``.grad``, hooks, ``retain_grad``, ``autograd.grad`` and custom
    ``Function.backward``.  Real gradients pass unchanged.

    Example:
        >>> import functorch_lite as fl
        >>> pytorch_convention(fl.tensor([1 + 2j])).tolist()
        [(1-2j)]
    """
    return g.conj() if g._dtype.is_complex else g
