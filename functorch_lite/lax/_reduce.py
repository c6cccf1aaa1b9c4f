"""JAX's ``lax`` reductions, scans and sorts: ``reduce`` and ``reduce_sum`` &
co., ``argmax``/``argmin``, ``cumsum``/``cumprod``/``cummax``/``cummin``/
``cumlogsumexp``, ``associative_scan``, ``sort`` (several operands, several
keys), ``sort_key_val`` and ``top_k``.

All are built from primitives (the reducers, the cumulative scans, stable
``argsort`` and gathers along an axis), so they are differentiable,
batchable and jittable.  ``sort`` orders as JAX does: ``-0.0`` equals
``0.0``, NaNs go last, complex numbers compare lexicographically, and a
stable sort keeps equal keys in their original order.

Example:
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite import lax
    >>> lax.cumsum(jnp.array([1, 2, 3]), reverse=True).tolist()
    [6, 5, 3]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, cast, overload

import numpy as np

import functorch_lite.numpy as jnp
from functorch_lite import dtypes, tree
from functorch_lite.array import Array
from functorch_lite.core import get_aval
from functorch_lite.lax import _elementwise as lew
from functorch_lite.lax import _ops
from functorch_lite.lax._slicing import slice_in_dim
from functorch_lite.ops import cumulative as cu
from functorch_lite.ops import elementwise as ew
from functorch_lite.ops import reductions as red

__all__ = ["reduce", "reduce_sum", "reduce_prod", "reduce_max", "reduce_min", "reduce_and", "reduce_or",
           "reduce_xor", "argmax", "argmin", "cumsum", "cumprod", "cummax", "cummin", "cumlogsumexp",
           "associative_scan", "sort", "sort_key_val", "top_k"]


def _axes(name: str, axes: Any, ndim: int) -> tuple[int, ...]:
    try:
        out = tuple(int(a) for a in axes)
    except TypeError:
        raise TypeError(f"lax.{name}: axes must be a sequence of ints, got {axes!r}") from None
    if any(not 0 <= a < ndim for a in out) or len(set(out)) != len(out):
        raise ValueError(f"lax.{name}: axes {out} must be distinct axes in [0, {ndim})")
    return tuple(sorted(out))


class ReduceFunction(Protocol):
    """A reduction of ``operand`` over ``axes`` (``lax.reduce_sum``...)."""

    def __call__(self, operand: Any, axes: Sequence[int]) -> Array: ...


class CumulativeFunction(Protocol):
    """A running reduction along ``axis`` (``lax.cumsum``...)."""

    def __call__(self, operand: Any, axis: int = 0, reverse: bool = False) -> Array: ...


def _reducer(name: str, prim: Any, kinds: str) -> ReduceFunction:
    def f(operand: Any, axes: Sequence[int]) -> Array:
        x = jnp.asarray(operand)
        aval = get_aval(x)
        ax = _axes(name, axes, aval.ndim)
        if aval.dtype.kind not in kinds:
            raise TypeError(f"lax.{name}: unsupported operand {aval.str_short()}")
        if not ax:
            return cast(Array, x)
        out: Array = prim.bind(x, axes=ax)
        return out

    f.__name__ = f.__qualname__ = name
    f.__doc__ = (f"``{name}`` over ``axes`` (JAX's ``lax.{name}``).\n\n"
                 f"    Example:\n"
                 f"        >>> import functorch_lite.numpy as jnp\n"
                 f"        >>> from functorch_lite import lax\n"
                 f"        >>> lax.{name}(jnp.array([[1, 2], [3, 4]]), (1,)).tolist()\n"
                 f"        {_NP[name](np.array([[1, 2], [3, 4]]), axis=1).tolist()}\n")
    return f


_NP: dict[str, Any] = {"reduce_sum": np.sum, "reduce_prod": np.prod, "reduce_max": np.max, "reduce_min": np.min}
reduce_sum = _reducer("reduce_sum", red.reduce_sum_p, "iufc")
reduce_prod = _reducer("reduce_prod", red.reduce_prod_p, "iufc")
reduce_max = _reducer("reduce_max", red.reduce_max_p, "biuf")
reduce_min = _reducer("reduce_min", red.reduce_min_p, "biuf")


def _bitwise_reduce(name: str, x: Any, axes: tuple[int, ...]) -> Any:
    """An and/or/xor reduction of integers: the reduced axes moved last and
    flattened, then halved ``log2(n)`` times with the elementwise op."""
    aval = get_aval(x)
    keep = [a for a in range(aval.ndim) if a not in axes]
    y = jnp.transpose(x, keep + list(axes))
    n = int(np.prod([aval.shape[a] for a in axes]))
    y = jnp.reshape(y, tuple(aval.shape[a] for a in keep) + (n,))
    prim = {"reduce_and": ew.and_p, "reduce_or": ew.or_p, "reduce_xor": ew.xor_p}[name]
    identity = -1 if name == "reduce_and" else 0
    if name == "reduce_and" and aval.dtype.kind == "u":
        identity = int(np.iinfo(aval.dtype).max)
    last = len(keep)
    if n == 0:
        return jnp.full(tuple(aval.shape[a] for a in keep), identity, aval.dtype)
    while n > 1:
        if n % 2:
            y = jnp.concatenate([y, jnp.full(get_aval(y).shape[:-1] + (1,), identity, aval.dtype)], axis=last)
            n += 1
        y = prim.bind(slice_in_dim(y, 0, None, 2, last), slice_in_dim(y, 1, None, 2, last))
        n //= 2
    return jnp.squeeze(y, axis=last)


def _bool_or_bits(name: str, prim: Any) -> ReduceFunction:
    def f(operand: Any, axes: Sequence[int]) -> Array:
        x = jnp.asarray(operand)
        aval = get_aval(x)
        ax = _axes(name, axes, aval.ndim)
        if aval.dtype.kind not in "biu":
            raise TypeError(f"lax.{name}: needs a boolean or integer operand, got {aval.str_short()}")
        if not ax:
            return cast(Array, x)
        if aval.dtype.kind == "b" and prim is not None:
            out: Array = prim.bind(x, axes=ax)
            return out
        if aval.dtype.kind == "b":  # xor of bools: parity of the count
            return (jnp.sum(x.astype(np.int64), axis=ax) % 2) == 1
        out = _bitwise_reduce(name, x, ax)
        return out

    f.__name__ = f.__qualname__ = name
    f.__doc__ = (f"Bitwise (logical, for bool) ``{name[7:]}`` over ``axes`` (JAX's ``lax.{name}``).\n\n"
                 f"    Example:\n"
                 f"        >>> import functorch_lite.numpy as jnp\n"
                 f"        >>> from functorch_lite import lax\n"
                 f"        >>> lax.{name}(jnp.array([6, 3]), (0,)).tolist()\n"
                 f"        {dict(reduce_and=2, reduce_or=7, reduce_xor=5)[name]}\n")
    return f


reduce_and = _bool_or_bits("reduce_and", red.reduce_and_p)
reduce_or = _bool_or_bits("reduce_or", red.reduce_or_p)
reduce_xor = _bool_or_bits("reduce_xor", None)

_MONOIDS: dict[Any, tuple[Callable[[Any, Sequence[int]], Any], Callable[[Any, Any], Any]]] = {
    lew.add: (reduce_sum, jnp.add), jnp.add: (reduce_sum, jnp.add),
    lew.mul: (reduce_prod, jnp.multiply), jnp.multiply: (reduce_prod, jnp.multiply),
    lew.max: (reduce_max, jnp.maximum), jnp.maximum: (reduce_max, jnp.maximum),
    lew.min: (reduce_min, jnp.minimum), jnp.minimum: (reduce_min, jnp.minimum),
    _ops.bitwise_and: (reduce_and, jnp.bitwise_and), jnp.bitwise_and: (reduce_and, jnp.bitwise_and),
    _ops.bitwise_or: (reduce_or, jnp.bitwise_or), jnp.bitwise_or: (reduce_or, jnp.bitwise_or),
    _ops.bitwise_xor: (reduce_xor, jnp.bitwise_xor), jnp.bitwise_xor: (reduce_xor, jnp.bitwise_xor),
}


def reduce(operands: Any, init_values: Any, computation: Callable[..., Any], dimensions: Sequence[int]) -> Any:
    """Reduce ``operands`` over ``dimensions`` with ``computation``, starting
    from ``init_values`` (JAX's ``lax.reduce``).  ``computation`` must be one of
    the monoids ``lax.add``/``mul``/``max``/``min``/``bitwise_and``/``bitwise_or``/
    ``bitwise_xor`` (or their ``jnp`` counterparts); a pytree of operands is
    reduced leaf by leaf with the same monoid.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> from functorch_lite import lax
        >>> reduce(jnp.array([[1.0, 2.0], [3.0, 4.0]]), 0.0, lax.add, (0,)).tolist()
        [4.0, 6.0]
    """
    monoid = _MONOIDS.get(computation)
    if monoid is None:
        raise NotImplementedError(
            f"lax.reduce: computation {getattr(computation, '__name__', computation)!r} is not a recognised "
            "monoid; use lax.add, lax.mul, lax.max, lax.min, lax.bitwise_and, lax.bitwise_or or lax.bitwise_xor "
            "(or write the reduction with lax.scan / lax.associative_scan)"
        )
    red_fn, combine = monoid
    xs, treedef = tree.tree_flatten(operands)
    inits, itree = tree.tree_flatten(init_values)
    if len(xs) != len(inits):
        raise ValueError(f"lax.reduce: {len(xs)} operands but {len(inits)} init values (structures {treedef} and "
                         f"{itree})")
    outs = []
    for x, init in zip(xs, inits):
        x = jnp.asarray(x)
        i = lew._operand(init, x)
        if get_aval(i).shape != () or get_aval(i).dtype != get_aval(x).dtype:
            raise TypeError(f"lax.reduce: init value must be a scalar of the operand's dtype "
                            f"{get_aval(x).dtype}, got {get_aval(i).str_short()}")
        outs.append(combine(red_fn(x, dimensions), i))
    return tree.tree_unflatten(treedef, outs)  # a pytree like operands


def _arg(name: str, prim: Any, operand: Any, axis: int, index_dtype: Any) -> Any:
    x = jnp.asarray(operand)
    aval = get_aval(x)
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or not 0 <= axis < aval.ndim:
        raise ValueError(f"lax.{name}: axis {axis!r} must be an int in [0, {aval.ndim}) for {aval.str_short()}")
    idt = dtypes.requested(index_dtype, f"lax.{name}")
    if idt.kind not in "iu":
        raise TypeError(f"lax.{name}: index_dtype must be an integer dtype, got {idt}")
    if aval.dtype.kind == "c":
        raise TypeError(f"lax.{name}: complex numbers have no order ({aval.str_short()})")
    return prim.bind(x, axes=(int(axis),), index_dtype=idt)


def argmax(operand: Any, axis: int, index_dtype: Any) -> Array:
    """Index of the first maximum along ``axis`` (NaN counts as the maximum),
    in ``index_dtype`` (JAX's ``lax.argmax``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> argmax(jnp.array([1.0, 3.0, 3.0]), 0, jnp.int32).tolist()
        1
    """
    out: Array = _arg("argmax", red.argmax_p, operand, axis, index_dtype)
    return out


def argmin(operand: Any, axis: int, index_dtype: Any) -> Array:
    """Index of the first minimum along ``axis`` (JAX's ``lax.argmin``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> argmin(jnp.array([[3, 1], [0, 4]]), 1, jnp.int32).tolist()
        [1, 0]
    """
    out: Array = _arg("argmin", red.argmin_p, operand, axis, index_dtype)
    return out


def _scan_axis(name: str, x: Any, axis: int) -> int:
    nd = get_aval(x).ndim
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or not -nd <= axis < max(nd, 1):
        raise ValueError(f"lax.{name}: axis {axis!r} is out of range for {get_aval(x).str_short()}")
    return int(axis) % max(nd, 1)


def _cumulative(name: str, prim: Any) -> CumulativeFunction:
    def f(operand: Any, axis: int = 0, reverse: bool = False) -> Array:
        x = jnp.asarray(operand)
        ax = _scan_axis(name, x, axis)
        if get_aval(x).ndim == 0:
            raise ValueError(f"lax.{name}: needs an array with at least one axis, got a scalar")
        out: Array = prim.bind(x, axis=ax, reverse=bool(reverse))
        return out

    f.__name__ = f.__qualname__ = name
    ref: Any = {"cumsum": np.cumsum, "cumprod": np.cumprod, "cummax": np.maximum.accumulate,
           "cummin": np.minimum.accumulate}[name]
    f.__doc__ = (f"Running ``{name[3:]}`` along ``axis``, from the end when ``reverse`` (JAX's ``lax.{name}``).\n\n"
                 f"    Example:\n"
                 f"        >>> import functorch_lite.numpy as jnp\n"
                 f"        >>> from functorch_lite import lax\n"
                 f"        >>> lax.{name}(jnp.array([2, 1, 3])).tolist()\n"
                 f"        {ref(np.array([2, 1, 3])).tolist()}\n")
    return f


cumsum = _cumulative("cumsum", cu.cumsum_p)
cumprod = _cumulative("cumprod", cu.cumprod_p)
cummax = _cumulative("cummax", cu.cummax_p)
cummin = _cumulative("cummin", cu.cummin_p)


def cumlogsumexp(operand: Any, axis: int = 0, reverse: bool = False) -> Array:
    """Running ``log(sum(exp(x)))`` along ``axis``, computed stably (JAX's
    ``lax.cumlogsumexp``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> [round(v, 4) for v in cumlogsumexp(jnp.array([0.0, 0.0, 0.0])).tolist()]
        [0.0, 0.6931, 1.0986]
    """
    x = jnp.asarray(operand)
    if get_aval(x).dtype.kind not in "f":
        raise TypeError(f"lax.cumlogsumexp: needs a real floating-point operand, got {get_aval(x).str_short()}")
    ax = _scan_axis("cumlogsumexp", x, axis)
    out: Array = associative_scan(jnp.logaddexp, x, reverse=reverse, axis=ax)
    return out


def _interleave(even: Any, odd: Any, axis: int) -> Any:
    """Elements ``even[0], odd[0], even[1], odd[1], ...`` along ``axis``
    (``even`` has as many elements as ``odd`` or one more)."""
    ne, no = get_aval(even).shape[axis], get_aval(odd).shape[axis]
    if ne > no:
        last = slice_in_dim(even, ne - 1, ne, axis=axis)
        even = slice_in_dim(even, 0, ne - 1, axis=axis)
    pair = jnp.stack([even, odd], axis=axis + 1)
    shape = list(get_aval(even).shape)
    shape[axis] = 2 * no
    out = jnp.reshape(pair, tuple(shape))
    if ne > no:
        out = jnp.concatenate([out, last], axis=axis)
    return out


def associative_scan(fn: Callable[[Any, Any], Any], elems: Any, reverse: bool = False, axis: int = 0) -> Any:
    """All prefix combinations ``fn(... fn(fn(e0, e1), e2) ..., ei)`` along
    ``axis`` for an associative ``fn`` of two pytrees of arrays (JAX's
    ``lax.associative_scan``): the parallel-prefix scheme, ``O(log n)`` levels of
    elementwise ``fn`` calls on halves of the input.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> associative_scan(jnp.add, jnp.arange(5)).tolist()
        [0, 1, 3, 6, 10]
    """
    leaves, treedef = tree.tree_flatten(elems)
    if not leaves:
        raise ValueError("lax.associative_scan: elems has no arrays")
    xs = [jnp.asarray(v) for v in leaves]
    nd = get_aval(xs[0]).ndim
    if nd == 0:
        raise ValueError("lax.associative_scan: elems must have at least one axis")
    ax = _scan_axis("associative_scan", xs[0], axis)
    n = get_aval(xs[0]).shape[ax]
    for v in xs:
        if get_aval(v).ndim <= ax or get_aval(v).shape[ax] != n:
            raise ValueError(f"lax.associative_scan: every array needs axis {ax} of size {n}, got "
                             f"{[get_aval(v).shape for v in xs]}")
    if reverse:
        xs = [jnp.flip(v, axis=ax) for v in xs]

    def combine(a: list[Any], b: list[Any]) -> list[Any]:
        out = tree.tree_leaves(fn(tree.tree_unflatten(treedef, a), tree.tree_unflatten(treedef, b)))
        if len(out) != len(a):
            raise ValueError(f"lax.associative_scan: fn returned {len(out)} arrays for {len(a)} inputs")
        for o, i in zip(out, a):
            if get_aval(jnp.asarray(o)).shape != get_aval(i).shape:
                raise ValueError(f"lax.associative_scan: fn must keep shapes, got {get_aval(jnp.asarray(o)).shape} "
                                 f"for {get_aval(i).shape}")
        return [jnp.asarray(o) for o in out]

    def sl(vs: list[Any], start: int, stop: int | None, step: int = 1) -> list[Any]:
        return [slice_in_dim(v, start, stop, step, ax) for v in vs]

    def scan(vs: list[Any]) -> list[Any]:
        k = get_aval(vs[0]).shape[ax]
        if k < 2:
            return vs
        pairs = combine(sl(vs, 0, k - 1, 2), sl(vs, 1, None, 2))
        odd = scan(pairs)
        if k % 2 == 0:
            rest = combine(sl(odd, 0, get_aval(odd[0]).shape[ax] - 1), sl(vs, 2, None, 2))
        else:
            rest = combine(odd, sl(vs, 2, None, 2))
        even = [jnp.concatenate([f, r], axis=ax) for f, r in zip(sl(vs, 0, 1), rest)]
        return [_interleave(e, o, ax) for e, o in zip(even, odd)]

    out = scan(xs)
    if reverse:
        out = [jnp.flip(v, axis=ax) for v in out]
    return tree.tree_unflatten(treedef, out)  # a pytree like elems


def _sort_key(k: Any) -> list[Any]:
    """Keys whose stable ascending argsort gives JAX's order (complex: real, then imag)."""
    if get_aval(k).dtype.kind == "c":
        return [ew.real_p.bind(k), ew.imag_p.bind(k)]
    return [k]


@overload
def sort(operand: tuple[Any, ...] | list[Any], dimension: int = ..., is_stable: bool = ...,
         num_keys: int = ...) -> tuple[Array, ...]: ...
@overload
def sort(operand: Any, dimension: int = ..., is_stable: bool = ..., num_keys: int = ...) -> Array: ...
def sort(operand: Any, dimension: int = -1, is_stable: bool = True, num_keys: int = 1) -> Array | tuple[Array, ...]:
    """Sort along ``dimension`` (JAX's ``lax.sort``).  Given a sequence of
    arrays of one shape, the first ``num_keys`` are the lexicographic sort
    keys and every array is permuted alike; returns a tuple then, one array
    for one array.  NaNs sort last, ``-0.0 == 0.0``; the sort is always stable.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> k, v = sort((jnp.array([2, 1, 2, 1]), jnp.array([4, 3, 2, 1])))
        >>> k.tolist(), v.tolist()
        ([1, 1, 2, 2], [3, 1, 4, 2])
    """
    single = not isinstance(operand, (tuple, list))
    xs = [jnp.asarray(operand)] if single else [jnp.asarray(o) for o in operand]
    if not xs:
        raise ValueError("lax.sort: needs at least one operand")
    shape = get_aval(xs[0]).shape
    for x in xs:
        if get_aval(x).shape != shape:
            raise ValueError(f"lax.sort: operands must share one shape, got {[get_aval(v).shape for v in xs]}")
    if not shape:
        raise ValueError("lax.sort: operands must have at least one axis")
    nd = len(shape)
    if isinstance(dimension, bool) or not isinstance(dimension, (int, np.integer)) or not -nd <= dimension < nd:
        raise ValueError(f"lax.sort: dimension {dimension!r} is out of range for shape {shape}")
    dim = int(dimension) % nd
    if isinstance(num_keys, bool) or not isinstance(num_keys, (int, np.integer)) or not 1 <= num_keys <= len(xs):
        raise ValueError(f"lax.sort: num_keys must be an int in [1, {len(xs)}], got {num_keys!r}")
    keys = [kk for k in xs[:num_keys] for kk in _sort_key(k)]
    perm = None
    for k in reversed(keys):  # lexicographic: least significant key first, each pass stable
        kk = k if perm is None else jnp.take_along_axis(k, perm, axis=dim)
        step = jnp.argsort(kk, axis=dim, stable=True)
        perm = step if perm is None else jnp.take_along_axis(perm, step, axis=dim)
    outs = tuple(jnp.take_along_axis(x, perm, axis=dim) for x in xs)
    return outs[0] if single else outs


def sort_key_val(keys: Any, values: Any, dimension: int = -1, is_stable: bool = True) -> tuple[Array, Array]:
    """``keys`` sorted along ``dimension`` and ``values`` permuted alike (JAX's
    ``lax.sort_key_val``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> k, v = sort_key_val(jnp.array([3, 1, 2]), jnp.array([0.75, 0.25, 0.5]))
        >>> k.tolist(), v.tolist()
        ([1, 2, 3], [0.25, 0.5, 0.75])
    """
    k, v = sort((keys, values), dimension, is_stable, 1)
    return k, v


def top_k(operand: Any, k: int) -> tuple[Array, Array]:
    """The ``k`` largest entries along the last axis, in descending order, and
    their int32 indices (JAX's ``lax.top_k``); equal values keep the lower
    index first and NaN counts as the largest.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> v, i = top_k(jnp.array([1, 3, 3, 2]), 2)
        >>> v.tolist(), i.tolist()
        ([3, 3], [1, 2])
    """
    x = jnp.asarray(operand)
    aval = get_aval(x)
    if aval.ndim == 0:
        raise ValueError("lax.top_k: operand must have at least one axis")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= aval.shape[-1]:
        raise ValueError(f"lax.top_k: k must be an int in [0, {aval.shape[-1]}] (the last axis of "
                         f"{aval.str_short()}), got {k!r}")
    if aval.dtype.kind == "c":
        raise TypeError(f"lax.top_k: complex numbers have no order ({aval.str_short()})")
    n = aval.shape[-1]
    # descending and stable: sort the reversed row ascending (stably), then reverse back;
    # floats take the sign as a second key, so +0.0 ranks above -0.0 as in XLA's TopK
    r = jnp.flip(x, axis=-1)
    pos = jnp.broadcast_to(jnp.arange(n - 1, -1, -1, dtype=np.int32), aval.shape)
    if aval.dtype.kind == "f":
        positive = ew.convert_element_type_p.bind(ew.logical_not_p.bind(ew.signbit_p.bind(r)),
                                                  new_dtype=np.dtype(np.int8), weak_type=False)
        _, _, order = sort((r, positive, pos), dimension=-1, num_keys=2)
    else:
        _, order = sort((r, pos), dimension=-1, num_keys=1)
    idx = slice_in_dim(jnp.flip(order, axis=-1), 0, int(k), axis=aval.ndim - 1)
    return jnp.take_along_axis(x, idx, axis=-1), idx
