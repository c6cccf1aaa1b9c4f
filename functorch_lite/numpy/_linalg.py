"""Products and contractions: ``matmul`` (``@``), ``dot``, ``tensordot``, ``einsum``...

Every contraction is one ``dot_general`` bind (einsum: one per operand
pair, left to right); batch axes are broadcast with ``broadcast_in_dim``
views, never with Python loops.  Dtypes follow JAX: operands are promoted
to one dtype and the result keeps it (``int32 @ int32`` stays ``int32``,
``bool @ bool`` is ``bool``).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

from functorch_lite import dtypes
from functorch_lite.array import Array
from functorch_lite.numpy._elementwise import conjugate, multiply
from functorch_lite.numpy._manipulation import diagonal
from functorch_lite.numpy._reductions import sum as sum_
from functorch_lite.numpy._util import (
    ArrayOrTracer,
    asarray,
    broadcast_shapes,
    broadcast_to_shape,
    convert,
    normalize_axis,
    promote_dtypes,
)
from functorch_lite.ops import reductions as red
from functorch_lite.ops import shape_ops as so
from functorch_lite.ops.linalg import dot_general_p

__all__ = [
    "matmul", "dot", "vdot", "inner", "outer", "tensordot", "einsum", "kron", "trace", "vecdot",
]


def _promote(*args: Any) -> list[ArrayOrTracer]:
    """Convert to arrays and promote to one dtype (no broadcasting)."""
    if len(args) == 2:
        a, b = args
        if type(a) is Array and type(b) is Array and a._dtype is b._dtype and a.weak_type == b.weak_type:
            return [a, b]  # fast path: nothing to convert
    xs = [asarray(a) for a in args]
    dt, weak = promote_dtypes(*xs)
    return [convert(x, dt, weak) for x in xs]


def _preferred(preferred_element_type: Any) -> Any:
    return None if preferred_element_type is None else dtypes.canonicalize(preferred_element_type)


def _dot_general(
    x: ArrayOrTracer, y: ArrayOrTracer, lc: Sequence[int], rc: Sequence[int],
    lb: Sequence[int] = (), rb: Sequence[int] = (), preferred: Any = None,
) -> Any:
    dn = ((tuple(lc), tuple(rc)), (tuple(lb), tuple(rb)))  # hashable static params
    return dot_general_p.bind(x, y, dimension_numbers=dn, preferred_element_type=preferred)


def _transpose(x: Any, perm: Sequence[int]) -> Any:
    perm = tuple(perm)
    if perm == tuple(range(len(perm))):
        return x
    return so.transpose_p.bind(x, permutation=perm)


def _multiply(x: Any, y: Any) -> Any:
    return multiply(x, y)


def matmul(a: Any, b: Any, *, precision: Any = None, preferred_element_type: Any = None) -> Array:
    """Matrix product with NumPy's rules (also the ``@`` operator).

    1-D operands are promoted to a row (``a``) or column (``b``) vector and
    that axis is dropped from the result; leading (batch) axes broadcast.
    ``precision`` is accepted for JAX compatibility and ignored.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> a = jnp.array([[1, 2], [3, 4]])
        >>> (a @ a).tolist()
        [[7, 10], [15, 22]]
        >>> jnp.matmul(jnp.ones((5, 2, 3)), jnp.ones(3)).shape
        (5, 2)
    """
    x, y = _promote(a, b)
    for i, v in enumerate((x, y)):
        if v.ndim == 0:
            raise ValueError(
                f"matmul: input operand {i} is 0-d (shape ()), but matmul needs at least one "
                "dimension; use jnp.multiply (or *) to scale by a scalar"
            )
    k_x = x.shape[-1]
    k_y = y.shape[-2] if y.ndim >= 2 else y.shape[0]
    if k_x != k_y:
        where = "second-to-last" if y.ndim >= 2 else "only"
        raise ValueError(
            f"matmul: shapes {x.shape} and {y.shape} are not aligned: the last axis of the first "
            f"({k_x}) must equal the {where} axis of the second ({k_y})"
        )
    pref = _preferred(preferred_element_type)
    if y.ndim <= 2:
        # every leading axis of x is a free axis: one big GEMM over (batch*M, K)
        result: Array = _dot_general(x, y, (x.ndim - 1,), (0,), preferred=pref)
        return result
    if x.ndim <= 2:
        out = _dot_general(x, y, (x.ndim - 1,), (y.ndim - 2,), preferred=pref)
        if x.ndim == 1:
            result = out  # y's batch axes, then N
            return result
        # (M, batch..., N) -> (batch..., M, N): a view
        nb = y.ndim - 2
        result = _transpose(out, list(range(1, nb + 1)) + [0, nb + 1])
        return result
    batch = x.shape[:-2]
    if batch != y.shape[:-2]:
        try:
            batch = broadcast_shapes(batch, y.shape[:-2], name="matmul")
        except ValueError:
            raise ValueError(
                f"matmul: the batch (leading) axes of shapes {x.shape} and {y.shape} cannot be "
                "broadcast together; they must match or be 1"
            ) from None
        # size-1 batch axes become stride-0 views: no copy, no loop
        x = broadcast_to_shape(x, batch + x.shape[-2:])
        y = broadcast_to_shape(y, batch + y.shape[-2:])
    nb = len(batch)
    bd = tuple(range(nb))
    result = _dot_general(x, y, (nb + 1,), (nb,), bd, bd, preferred=pref)
    return result


def dot(a: Any, b: Any, *, precision: Any = None, preferred_element_type: Any = None) -> Array:
    """NumPy's ``dot``: sum over the last axis of ``a`` and the second-to-last of ``b``.

    0-d operands multiply; a 1-D ``b`` contracts with ``a``'s last axis.
    The result has ``a.shape[:-1] + b.shape[:-2] + b.shape[-1:]``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.dot(jnp.array([1, 2, 3]), jnp.array([4, 5, 6])).item()
        32
        >>> jnp.dot(jnp.ones((2, 3, 4)), jnp.ones((5, 4, 6))).shape
        (2, 3, 5, 6)
    """
    x, y = _promote(a, b)
    if x.ndim == 0 or y.ndim == 0:
        out: Array = _multiply(x, y)
        return out
    ry = 0 if y.ndim == 1 else y.ndim - 2
    if x.shape[-1] != y.shape[ry]:
        raise ValueError(
            f"dot: shapes {x.shape} and {y.shape} are not aligned: {x.shape[-1]} (axis "
            f"{x.ndim - 1} of the first) != {y.shape[ry]} (axis {ry} of the second)"
        )
    out = _dot_general(x, y, (x.ndim - 1,), (ry,), preferred=_preferred(preferred_element_type))
    return out


def vdot(a: Any, b: Any, *, precision: Any = None, preferred_element_type: Any = None) -> Array:
    """Dot product of the flattened arrays, conjugating the first (as NumPy).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.vdot(jnp.ones((2, 3)), jnp.ones((3, 2))).item()
        6.0
        >>> jnp.vdot(jnp.array([1j]), jnp.array([1j])).item()
        (1+0j)
    """
    x, y = _promote(a, b)
    x = conjugate(x)
    if x.size != y.size:
        raise ValueError(
            f"vdot: arrays of shapes {x.shape} ({x.size} elements) and {y.shape} ({y.size} "
            "elements) must have the same number of elements"
        )
    x = so.reshape_p.bind(x, new_sizes=(x.size,))
    y = so.reshape_p.bind(y, new_sizes=(y.size,))
    out: Array = _dot_general(x, y, (0,), (0,), preferred=_preferred(preferred_element_type))
    return out


def inner(a: Any, b: Any, *, precision: Any = None, preferred_element_type: Any = None) -> Array:
    """Sum over the last axes of both: result ``a.shape[:-1] + b.shape[:-1]``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.inner(jnp.ones((2, 3)), jnp.ones((4, 3))).shape
        (2, 4)
    """
    x, y = _promote(a, b)
    if x.ndim == 0 or y.ndim == 0:
        out: Array = _multiply(x, y)
        return out
    if x.shape[-1] != y.shape[-1]:
        raise ValueError(
            f"inner: the last axes of shapes {x.shape} and {y.shape} must match "
            f"({x.shape[-1]} != {y.shape[-1]})"
        )
    out = _dot_general(x, y, (x.ndim - 1,), (y.ndim - 1,), preferred=_preferred(preferred_element_type))
    return out


def outer(a: Any, b: Any) -> Array:
    """Outer product of the flattened arrays: ``out[i, j] = a[i] * b[j]``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.outer(jnp.array([1, 2]), jnp.array([1, 10, 100])).tolist()
        [[1, 10, 100], [2, 20, 200]]
    """
    x, y = _promote(a, b)
    x = so.reshape_p.bind(x, new_sizes=(x.size, 1))
    y = so.reshape_p.bind(y, new_sizes=(1, y.size))
    out: Array = _multiply(x, y)
    return out


def _axes_list(ax: Any, ndim: int, name: str) -> tuple[int, ...]:
    if isinstance(ax, Sequence) and not isinstance(ax, str):
        return tuple(normalize_axis(a, ndim, name) for a in ax)
    return (normalize_axis(ax, ndim, name),)


def tensordot(a: Any, b: Any, axes: Any = 2, *, precision: Any = None, preferred_element_type: Any = None) -> Array:
    """Sum products over paired axes: ``axes=n`` pairs the last ``n`` of ``a``
    with the first ``n`` of ``b``; ``axes=(axes_a, axes_b)`` names them.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.tensordot(jnp.ones((2, 3, 4)), jnp.ones((3, 4, 5))).shape
        (2, 5)
        >>> jnp.tensordot(jnp.ones((2, 3)), jnp.ones((3, 2)), axes=([0], [1])).shape
        (3, 3)
    """
    x, y = _promote(a, b)
    if isinstance(axes, Sequence) and not isinstance(axes, str):
        if len(axes) != 2:
            raise ValueError(f"tensordot: axes must be an int or a pair (axes_a, axes_b), got {axes!r}")
        lc = _axes_list(axes[0], x.ndim, "tensordot axis")
        rc = _axes_list(axes[1], y.ndim, "tensordot axis")
        if len(lc) != len(rc):
            raise ValueError(
                f"tensordot: axes_a {tuple(axes[0])} and axes_b {tuple(axes[1])} must have the same length"
            )
    else:
        try:
            n = operator.index(axes)
        except TypeError:
            raise TypeError(f"tensordot: axes must be an int or a pair of sequences, got {axes!r}") from None
        if n < 0 or n > x.ndim or n > y.ndim:
            raise ValueError(
                f"tensordot: axes={n} needs 0 <= axes <= the rank of both operands, got shapes "
                f"{x.shape} and {y.shape}"
            )
        lc = tuple(range(x.ndim - n, x.ndim))
        rc = tuple(range(n))
    if len(set(lc)) != len(lc) or len(set(rc)) != len(rc):
        raise ValueError(f"tensordot: repeated axis in axes={axes!r}")
    for i, j in zip(lc, rc):
        if x.shape[i] != y.shape[j]:
            raise ValueError(
                f"tensordot: shape mismatch: axis {i} of {x.shape} has size {x.shape[i]} but axis "
                f"{j} of {y.shape} has size {y.shape[j]}"
            )
    out: Array = _dot_general(x, y, lc, rc, preferred=_preferred(preferred_element_type))
    return out


def vecdot(x1: Any, x2: Any, /, *, axis: int = -1, precision: Any = None,
           preferred_element_type: Any = None) -> Array:
    """Dot product along ``axis``, broadcasting the other axes (Array API);
    the first argument is conjugated, as the standard says.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.vecdot(jnp.ones((2, 3)), jnp.array([1.0, 2.0, 3.0])).tolist()
        [6.0, 6.0]
    """
    x, y = _promote(x1, x2)
    x = conjugate(x)
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(f"vecdot: needs arrays with at least one axis, got shapes {x.shape} and {y.shape}")
    ax, ay = normalize_axis(axis, x.ndim), normalize_axis(axis, y.ndim)
    if x.shape[ax] != y.shape[ay]:
        raise ValueError(
            f"vecdot: axis {axis} has size {x.shape[ax]} in {x.shape} but {y.shape[ay]} in {y.shape}"
        )
    xs = x.shape[:ax] + x.shape[ax + 1:]
    ys = y.shape[:ay] + y.shape[ay + 1:]
    batch = broadcast_shapes(xs, ys, name="vecdot")
    # move the contracted axis last, then broadcast the rest (views)
    x = _transpose(x, [i for i in range(x.ndim) if i != ax] + [ax])
    y = _transpose(y, [i for i in range(y.ndim) if i != ay] + [ay])
    x = broadcast_to_shape(x, batch + (x.shape[-1],))
    y = broadcast_to_shape(y, batch + (y.shape[-1],))
    nb = len(batch)
    out: Array = _dot_general(x, y, (nb,), (nb,), range(nb), range(nb), preferred=_preferred(preferred_element_type))
    return out


# --- einsum ------------------------------------------------------------------------------

_ELL = "..."


def _tokens(spec: str, subscripts: str) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(spec):
        if spec.startswith(_ELL, i):
            if _ELL in out:
                raise ValueError(f"einsum: more than one '...' in term {spec!r} of {subscripts!r}")
            out.append(_ELL)
            i += 3
            continue
        c = spec[i]
        if not (c.isascii() and c.isalpha()):
            raise ValueError(
                f"einsum: invalid character {c!r} in subscripts {subscripts!r}; use letters "
                "a-z, A-Z, ',' between operands, '->' before the output and '...' for broadcast axes"
            )
        out.append(c)
        i += 1
    return out


def _parse_einsum(subscripts: str, ndims: list[int]) -> tuple[list[list[str]], list[str]]:
    """Labels per operand axis and output labels; ellipsis axes get labels '0', '1'..."""
    if not isinstance(subscripts, str):
        raise TypeError(
            "einsum: the first argument must be a subscripts string such as 'ij,jk->ik' "
            f"(the interleaved operand/sublist form is not supported), got {type(subscripts).__name__}"
        )
    s = subscripts.replace(" ", "")
    if s.count("->") > 1 or ("-" in s.replace("->", "")) or (">" in s.replace("->", "")):
        raise ValueError(f"einsum: subscripts {subscripts!r} must contain at most one '->'")
    explicit = "->" in s
    ins, out_spec = s.split("->") if explicit else (s, "")
    in_specs = ins.split(",")
    if len(in_specs) != len(ndims):
        raise ValueError(
            f"einsum: subscripts {subscripts!r} describe {len(in_specs)} operand(s) but "
            f"{len(ndims)} were given"
        )
    toks = [_tokens(t, subscripts) for t in in_specs]
    ell_nd = []
    for i, (t, nd) in enumerate(zip(toks, ndims)):
        named = len(t) - (1 if _ELL in t else 0)
        if (_ELL in t and named > nd) or (_ELL not in t and named != nd):
            raise ValueError(
                f"einsum: operand {i} has {nd} dimension(s) but its term {in_specs[i]!r} in "
                f"{subscripts!r} names {named}"
            )
        ell_nd.append(nd - named if _ELL in t else 0)
    n_ell = max(ell_nd, default=0)
    ell_labels = [str(j) for j in range(n_ell)]
    labels: list[list[str]] = []
    for t, e in zip(toks, ell_nd):
        lab: list[str] = []
        for tok in t:
            lab.extend(ell_labels[n_ell - e:] if tok == _ELL else [tok])
        labels.append(lab)
    if explicit:
        ot = _tokens(out_spec, subscripts)
        out: list[str] = []
        for tok in ot:
            out.extend(ell_labels if tok == _ELL else [tok])
        if n_ell and _ELL not in ot:
            raise ValueError(
                f"einsum: the inputs of {subscripts!r} have '...' axes but the output does not; "
                "add '...' to the output (or sum them away explicitly)"
            )
        seen = {c for lab in labels for c in lab}
        for c in ot:
            if c != _ELL and ot.count(c) > 1:
                raise ValueError(f"einsum: output subscript {c!r} appears more than once in {subscripts!r}")
            if c != _ELL and c not in seen:
                raise ValueError(f"einsum: output subscript {c!r} in {subscripts!r} appears in no input")
    else:
        counts: dict[str, int] = {}
        for lab in labels:
            for c in lab:
                if c not in ell_labels:
                    counts[c] = counts.get(c, 0) + 1
        out = ell_labels + sorted(c for c, n in counts.items() if n == 1)
    return labels, out


def _sum_labels(x: Any, lab: list[str], drop: set[str]) -> tuple[Any, list[str]]:
    axes = tuple(i for i, c in enumerate(lab) if c in drop)
    if not axes:
        return x, lab
    prim = red.reduce_or_p if x.dtype.kind == "b" else red.reduce_sum_p
    return prim.bind(x, axes=axes), [c for c in lab if c not in drop]


def _broadcast_product(x: Any, xl: list[str], y: Any, yl: list[str], batch: list[str]) -> tuple[Any, list[str]]:
    """A pair with nothing to sum over (``ij,ij->ij``, ``i,j->ij``) is an elementwise
    product with broadcasting: memory-bound, where a dot_general would run a GEMM
    per element; labels come out in dot_general's order (batch, x's, y's)."""
    xo = [c for c in xl if c not in batch]
    yo = [c for c in yl if c not in batch]
    nb, nx, ny = len(batch), len(xo), len(yo)
    x = _transpose(x, [xl.index(c) for c in batch + xo])
    y = _transpose(y, [yl.index(c) for c in batch + yo])
    if ny:
        x = so.expand_dims_p.bind(x, dimensions=tuple(range(nb + nx, nb + nx + ny)))
    if nx:
        y = so.expand_dims_p.bind(y, dimensions=tuple(range(nb, nb + nx)))
    return _multiply(x, y), batch + xo + yo


def einsum(subscripts: str, *operands: Any, optimize: Any = "optimal", precision: Any = None,
           preferred_element_type: Any = None) -> Array:
    """Einstein summation, NumPy's subscripts (implicit or explicit output, ``...``).

    A label repeated in one operand takes the diagonal; labels absent from
    the output are summed; the operands are contracted pairwise, left to
    right, each pair with one ``dot_general`` (a pair with no label to sum
    over is an elementwise product).  ``optimize`` and
    ``precision`` are accepted and ignored.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> a = jnp.arange(6).reshape(2, 3)
        >>> jnp.einsum("ij,kj->ik", a, a).tolist()
        [[5, 14], [14, 50]]
        >>> jnp.einsum("ii", jnp.eye(3)).item()
        3.0
    """
    if not operands:
        raise ValueError("einsum needs at least one operand")
    xs = _promote(*operands)
    if preferred_element_type is not None:
        dt = dtypes.canonicalize(preferred_element_type)
        xs = [convert(x, dt) for x in xs]
    labels, out = _parse_einsum(subscripts, [x.ndim for x in xs])
    # repeated labels in one operand -> its diagonal (appended as the last axis)
    for i in range(len(xs)):
        x, lab = xs[i], labels[i]
        while True:
            dup = next((c for c in lab if lab.count(c) > 1), None)
            if dup is None:
                break
            p = lab.index(dup)
            q = lab.index(dup, p + 1)
            if x.shape[p] != x.shape[q]:
                raise ValueError(
                    f"einsum: label {dup!r} repeats in operand {i} (shape {x.shape}) over axes of "
                    f"different sizes {x.shape[p]} and {x.shape[q]}"
                )
            x = so.diagonal_p.bind(x, offset=0, axis1=p, axis2=q)
            lab = [c for j, c in enumerate(lab) if j not in (p, q)] + [dup]
        xs[i], labels[i] = x, lab
    # label sizes; size-1 axes broadcast against a larger size (squeezed away)
    sizes: dict[str, int] = {}
    for i, (x, lab) in enumerate(zip(xs, labels)):
        for c, d in zip(lab, x.shape):
            if sizes.get(c, 1) == 1:
                sizes[c] = d
            elif d not in (1, sizes[c]):
                what = "a '...' axis" if c.isdigit() else f"label {c!r}"
                raise ValueError(
                    f"einsum: {what} has size {d} in operand {i} (shape {x.shape}) but "
                    f"{sizes[c]} in an earlier operand of {subscripts!r}"
                )
    for i, (x, lab) in enumerate(zip(xs, labels)):
        sq = tuple(j for j, (c, d) in enumerate(zip(lab, x.shape)) if d == 1 and sizes[c] != 1)
        if sq:
            xs[i] = so.squeeze_p.bind(x, dimensions=sq)
            labels[i] = [c for j, c in enumerate(lab) if j not in sq]
    # labels in one operand only and not in the output are summed right away
    out_set = set(out)
    for i in range(len(xs)):
        others = {c for j, lab in enumerate(labels) if j != i for c in lab}
        drop = {c for c in labels[i] if c not in out_set and c not in others}
        xs[i], labels[i] = _sum_labels(xs[i], labels[i], drop)
    res, rl = xs[0], labels[0]
    for j in range(1, len(xs)):
        y, yl = xs[j], labels[j]
        later = out_set | {c for lab in labels[j + 1:] for c in lab}
        common = [c for c in rl if c in yl]
        batch = [c for c in common if c in later]
        contract = [c for c in common if c not in later]
        if contract:
            res = _dot_general(
                res, y, [rl.index(c) for c in contract], [yl.index(c) for c in contract],
                [rl.index(c) for c in batch], [yl.index(c) for c in batch],
            )
            rl = batch + [c for c in rl if c not in common] + [c for c in yl if c not in common]
        else:
            res, rl = _broadcast_product(res, rl, y, yl, batch)
        res, rl = _sum_labels(res, rl, {c for c in rl if c not in later})
    res, rl = _sum_labels(res, rl, {c for c in rl if c not in out_set})
    result: Array = _transpose(res, [rl.index(c) for c in out])
    return result


# --- kron, trace -------------------------------------------------------------------------


def kron(a: Any, b: Any) -> Array:
    """Kronecker product: blocks ``a[i, j] * b`` (ranks padded with leading 1s).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.kron(jnp.array([1, 10]), jnp.array([1, 2, 3])).tolist()
        [1, 2, 3, 10, 20, 30]
    """
    x, y = _promote(a, b)
    nd = max(x.ndim, y.ndim)
    xs = (1,) * (nd - x.ndim) + x.shape
    ys = (1,) * (nd - y.ndim) + y.shape
    # x as (x0, 1, x1, 1, ...) and y as (1, y0, 1, y1, ...): views; multiply broadcasts
    xe = so.reshape_p.bind(x, new_sizes=tuple(d for s in xs for d in (s, 1)))
    ye = so.reshape_p.bind(y, new_sizes=tuple(d for s in ys for d in (1, s)))
    prod = _multiply(xe, ye)
    out: Array = so.reshape_p.bind(prod, new_sizes=tuple(p * q for p, q in zip(xs, ys)))
    return out


def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None) -> Array:
    """Sum along a diagonal (of the ``axis1``/``axis2`` planes).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.trace(jnp.arange(9).reshape(3, 3)).item()
        12
        >>> jnp.trace(jnp.ones((2, 3, 3)), axis1=1, axis2=2).tolist()
        [3.0, 3.0]
    """

    return sum_(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)
