"""Control flow that works under every transform: ``cond``, ``switch``,
``while_loop``, ``fori_loop``, ``scan``, ``map`` and ``select``.

Example:
    >>> from functorch_lite import lax
    >>> float(lax.cond(True, lambda x: x + 1.0, lambda x: x - 1.0, 1.0))
    2.0
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from functorch_lite import tree
from functorch_lite.array import Array
from functorch_lite.core import ShapedArray, Tracer, get_aval
from functorch_lite.numpy._elementwise import not_equal
from functorch_lite.numpy._util import asarray, convert
from functorch_lite.ops import elementwise as ew
from functorch_lite.transforms import control_flow as cf
from functorch_lite.transforms.ad import stop_gradient

__all__ = ["cond", "switch", "while_loop", "fori_loop", "scan", "map", "select", "stop_gradient"]

# The pytrees that flow through control flow: a branch result, a loop carry,
# scan's per-step inputs and outputs.  As in JAX's annotations, the result has
# the type the functions give it; Python scalars in it come back as 0-d Arrays.
T = TypeVar("T")
R = TypeVar("R")
Carry = TypeVar("Carry")
X = TypeVar("X")
Y = TypeVar("Y")


def _arr(x: Any) -> Any:
    if isinstance(x, (Array, Tracer)):
        return x

    return asarray(x)


def _leaves(operands: Any) -> tuple[list[Any], tree.PyTreeDef]:
    leaves, treedef = tree.flatten(operands)
    return [_arr(x) for x in leaves], treedef


def _avals(xs: Sequence[Any]) -> list[ShapedArray]:
    return [get_aval(x) for x in xs]


def switch(index: Any, branches: Sequence[Callable[..., R]], *operands: Any) -> R:
    """Apply ``branches[index](*operands)``; the index is clamped into range.

    Example:
        >>> from functorch_lite import lax
        >>> float(lax.switch(1, [lambda x: x + 1.0, lambda x: x * 10.0], 2.0))
        20.0
    """
    if not branches:
        raise ValueError("switch needs at least one branch")
    idx = _arr(index)
    if idx.shape != () or idx.dtype.kind not in "iub":
        raise TypeError(f"switch: index must be a scalar integer, got {get_aval(idx).str_short()}")

    idx = convert(idx, np.dtype(np.int32))
    leaves, in_tree = _leaves(tuple(operands))
    avals = _avals(leaves)
    progs, consts, out_trees = [], [], []
    for b in branches:
        p, c, ot = cf.closure_convert(lambda *a, b=b: b(*a), avals, in_tree)
        progs.append(p)
        consts.append(c)
        out_trees.append(ot)
    for ot in out_trees[1:]:
        if ot != out_trees[0]:
            raise TypeError(f"cond/switch branches must return the same structure, got {out_trees[0]} and {ot}")
    for p in progs[1:]:
        cf._check_same_avals("cond/switch branches must return the same shapes and dtypes",
                             progs[0].out_avals, p.out_avals)
    progs2, all_consts = cf._merge_consts(progs, consts)
    outs = cf.cond_p.bind(idx, *all_consts, *leaves, branches=tuple(progs2))
    out: R = tree.unflatten(out_trees[0], outs)
    return out


def cond(pred: Any, true_fun: Callable[..., R], false_fun: Callable[..., R], *operands: Any) -> R:
    """``true_fun(*operands)`` if ``pred`` else ``false_fun(*operands)``.

    Under jit or vmap the predicate may be traced: both branches are traced
    (and, with a batched predicate, both run and the results are selected).

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite import lax
        >>> f = fl.jit(lambda x: lax.cond(x > 0, lambda v: v * 2.0, lambda v: -v, x))
        >>> float(f(3.0)), float(f(-1.0))
        (6.0, 1.0)
    """
    p = _arr(pred)
    if p.shape != ():
        raise TypeError(f"cond: the predicate must be a scalar, got shape {p.shape}; use jnp.where for arrays")
    if p.dtype.kind != "b":
        p = not_equal(p, 0)
    return switch(p, [false_fun, true_fun], *operands)


def while_loop(cond_fun: Callable[[T], Any], body_fun: Callable[[T], T], init_val: T) -> T:
    """``val = init_val; while cond_fun(val): val = body_fun(val)``.

    Forward-mode differentiable; reverse mode raises (use ``scan``).

    Example:
        >>> from functorch_lite import lax
        >>> float(lax.while_loop(lambda v: v < 100.0, lambda v: v * 3.0, 1.0))
        243.0
    """
    leaves, in_tree = _leaves(init_val)
    avals = _avals(leaves)
    cprog, cconsts, cot = cf.closure_convert(lambda *a: cond_fun(tree.unflatten(in_tree, a)), avals,
                                             tree.structure(tuple(range(len(leaves)))))
    bprog, bconsts, bot = cf.closure_convert(lambda *a: body_fun(tree.unflatten(in_tree, a)), avals,
                                             tree.structure(tuple(range(len(leaves)))))
    promoted = _promote_weak_carry(leaves, bprog.out_avals) if bot == in_tree else None
    if promoted is not None:
        init2: T = tree.unflatten(in_tree, promoted)
        return while_loop(cond_fun, body_fun, init2)
    if bot != in_tree:
        raise TypeError(f"while_loop: body_fun must return the structure of init_val {in_tree}, got {bot}")
    c_out = cprog.out_avals
    if len(c_out) != 1 or c_out[0].shape != () or c_out[0].dtype.kind != "b":
        raise TypeError(
            f"while_loop: cond_fun must return a boolean scalar, got {[a.str_short() for a in c_out]}"
        )
    cf._check_same_avals("while_loop: body_fun must keep the carry's shapes and dtypes", avals, bprog.out_avals)
    leaves = _match_weak(leaves, bprog.out_avals)
    outs = cf.while_p.bind(*cconsts, *bconsts, *leaves, cond_prog=cprog, body_prog=bprog,
                           n_cond_consts=len(cconsts), n_body_consts=len(bconsts))
    out: T = tree.unflatten(in_tree, outs)
    return out


def _promote_weak_carry(leaves: list[Any], outs: Sequence[ShapedArray]) -> list[Any] | None:
    """JAX's rule for weakly typed loop carries: a weak init leaf (a Python
    scalar) whose body output has another dtype of the same shape takes that
    dtype (``fori_loop(0, n, lambda i, c: c + x32, 0.0)`` carries float32 in
    64-bit mode too).  None: nothing to promote."""
    changed = False
    new = []
    for x, o in zip(leaves, outs):
        a = get_aval(x)
        if a.weak_type and a.shape == o.shape and a.dtype != o.dtype:
            new.append(convert(x, o.dtype, o.weak_type))
            changed = True
        else:
            new.append(x)
    return new if changed else None


def _match_weak(leaves: list[Any], avals: Sequence[ShapedArray]) -> list[Any]:
    return [convert(x, a.dtype, a.weak_type and get_aval(x).weak_type) for x, a in zip(leaves, avals)]


def scan(f: Callable[[Carry, X], tuple[Carry, Y]], init: Carry, xs: X | None = None, length: int | None = None,
         reverse: bool = False, unroll: int = 1) -> tuple[Carry, Y]:
    """``carry, y = f(carry, x)`` over the leading axis of ``xs``; returns
    ``(final_carry, stacked_ys)``.  Fully differentiable and batchable.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> from functorch_lite import lax
        >>> c, ys = lax.scan(lambda c, x: (c + x, c * x), 0.0, jnp.arange(1.0, 4.0))
        >>> float(c), ys.tolist()
        (6.0, [0.0, 2.0, 9.0])
    """
    c_leaves, c_tree = _leaves(init)
    x_leaves, x_tree = _leaves(xs) if xs is not None else ([], tree.structure(None))
    lengths = {get_aval(x).shape[0] for x in x_leaves if get_aval(x).ndim}
    if any(get_aval(x).ndim == 0 for x in x_leaves):
        raise ValueError("scan: every xs leaf needs a leading axis to scan over; got a 0-d array")
    if len(lengths) > 1:
        raise ValueError(f"scan: xs leaves have different leading sizes {sorted(lengths)}")
    if length is None:
        if not lengths:
            raise ValueError("scan: pass length= when xs is None")
        length = lengths.pop()
    elif lengths and lengths != {length}:
        raise ValueError(f"scan: length={length} but xs have leading size {sorted(lengths)}")
    nk = len(c_leaves)
    x_avals = [ShapedArray(get_aval(x).shape[1:], get_aval(x).dtype, get_aval(x).weak_type) for x in x_leaves]
    y_tree_box: list[Any] = []

    def body(*a: Any) -> list[Any]:
        carry = tree.unflatten(c_tree, a[:nk])
        x: Any = tree.unflatten(x_tree, a[nk:]) if xs is not None else None  # None when xs is (as JAX)
        new_carry, y = f(carry, x)
        nc_leaves, nc_tree = tree.flatten(new_carry)
        if nc_tree != c_tree:
            raise TypeError(f"scan: f must return a carry with the structure of init {c_tree}, got {nc_tree}")
        y_leaves, y_tree = tree.flatten(y)
        y_tree_box.append(y_tree)
        return [_arr(v) for v in nc_leaves] + [_arr(v) for v in y_leaves]

    prog, consts = cf._stage(body, _avals(c_leaves) + x_avals)
    promoted = _promote_weak_carry(c_leaves, prog.out_avals[:nk])
    if promoted is not None:
        return scan(f, tree.unflatten(c_tree, promoted), xs, length, reverse, unroll)
    cf._check_same_avals("scan: f must keep the carry's shapes and dtypes", _avals(c_leaves),
                         prog.out_avals[:nk])
    c_leaves = _match_weak(c_leaves, prog.out_avals[:nk])
    outs = cf.scan_p.bind(*consts, *c_leaves, *x_leaves, body=prog, length=length, reverse=reverse,
                          n_consts=len(consts), n_carry=nk)
    return tree.unflatten(c_tree, outs[:nk]), tree.unflatten(y_tree_box[-1], outs[nk:])


def fori_loop(lower: Any, upper: Any, body_fun: Callable[[Any, T], T], init_val: T) -> T:
    """``for i in range(lower, upper): val = body_fun(i, val)``.

    With Python-int bounds it is a ``scan`` (reverse-differentiable); with
    traced bounds a ``while_loop``.

    Example:
        >>> from functorch_lite import lax
        >>> float(lax.fori_loop(0, 3, lambda i, v: v * 2.0, 1.0))
        8.0
    """
    concrete = all(isinstance(b, (int, np.integer)) or (isinstance(b, Array) and b.ndim == 0)
                   for b in (lower, upper))
    if concrete:
        lo, hi = int(lower), int(upper)
        n = max(hi - lo, 0)
        if n == 0:
            return init_val
        idx = Array._wrap(np.arange(lo, hi, dtype=np.int32))
        out, _ = scan(lambda v, i: (body_fun(i, v), None), init_val, idx)
        return out
    lo_a = _arr(lower)
    hi_a = _arr(upper)

    def c(state: Any) -> Any:
        return state[0] < state[1]

    def b(state: Any) -> Any:
        i, h, v = state
        return (i + 1, h, body_fun(i, v))

    return while_loop(c, b, (lo_a, hi_a, init_val))[2]


def map(f: Callable[[X], Y], xs: X) -> Y:  # noqa: A001
    """Apply ``f`` to each slice of ``xs`` along its leading axis (a scan).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> from functorch_lite import lax
        >>> lax.map(lambda r: r.sum(), jnp.ones((3, 2))).tolist()
        [2.0, 2.0, 2.0]
    """
    _, ys = scan(lambda c, x: (c, f(x)), (), xs)
    return ys


def select(pred: Any, on_true: Any, on_false: Any) -> Array:
    """Elementwise ``on_true if pred else on_false`` on same-shaped arrays.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> from functorch_lite import lax
        >>> lax.select(jnp.array([True, False]), jnp.ones(2), jnp.zeros(2)).tolist()
        [1.0, 0.0]
    """
    p, a, b = _arr(pred), _arr(on_true), _arr(on_false)
    out: Array = ew.select_p.bind(p, a, b)
    return out

