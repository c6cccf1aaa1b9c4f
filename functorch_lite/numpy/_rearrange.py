"""Rearranging: split, tile, repeat, roll, rot90.

Built from existing primitives only: slicing views (``basic_getitem``),
``concatenate``, ``broadcast_in_dim`` + ``reshape`` and ``gather`` (through
``take``), so all of them are differentiable, batchable and jittable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from functorch_lite.array import Array
from functorch_lite.core import Tracer
from functorch_lite.numpy import _elementwise as ew
from functorch_lite.numpy._indexing import basic_getitem, take
from functorch_lite.numpy._manipulation import concatenate, flip, reshape, transpose
from functorch_lite.numpy._util import ArrayOrTracer, asarray, normalize_axis
from functorch_lite.ops import shape_ops as so

__all__ = ["split", "array_split", "hsplit", "vsplit", "dsplit", "tile", "repeat", "roll", "rot90"]


def _slice_axis(x: ArrayOrTracer, axis: int, start: int | None, stop: int | None) -> Any:
    return basic_getitem(x, (slice(None),) * axis + (slice(start, stop),))


def _split(name: str, ary: Any, indices_or_sections: Any, axis: int, equal: bool) -> list[Any]:
    x = asarray(ary)
    if x.ndim == 0:
        raise ValueError(f"{name}: cannot split a 0-d array")
    ax = normalize_axis(axis, x.ndim)
    n = x.shape[ax]
    ios = indices_or_sections
    if isinstance(ios, Array) and ios.ndim == 0:
        ios = int(ios)
    if isinstance(ios, (int, np.integer)):
        sections = int(ios)
        if sections <= 0:
            raise ValueError(f"{name}: number of sections must be larger than 0, got {sections}")
        if equal and n % sections:
            raise ValueError(
                f"{name}: array split does not result in an equal division: axis {ax} of size {n} "
                f"into {sections} sections; use array_split for unequal parts"
            )
        each, extra = divmod(n, sections)
        sizes = [each + 1] * extra + [each] * (sections - extra)
        bounds = [0]
        for s in sizes:
            bounds.append(bounds[-1] + s)
        return [_slice_axis(x, ax, bounds[i], bounds[i + 1]) for i in range(sections)]
    if isinstance(ios, Tracer):
        raise TypeError(f"{name}: split points must be concrete (the output shapes depend on them)")
    points = [int(p) for p in (ios.tolist() if isinstance(ios, Array) else ios)]
    edges: list[int | None] = [0, *points, None]
    return [_slice_axis(x, ax, edges[i], edges[i + 1]) for i in range(len(edges) - 1)]


def split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Array]:
    """Split into equal sections (an int that must divide the axis) or at the
    given indices; the parts are views.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> [p.tolist() for p in jnp.split(jnp.arange(6), [2, 5])]
        [[0, 1], [2, 3, 4], [5]]
    """
    return _split("split", ary, indices_or_sections, axis, True)


def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Array]:
    """Like :func:`split`, but sections need not divide the axis (the first
    ``n % sections`` parts get one more element).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> [p.tolist() for p in jnp.array_split(jnp.arange(5), 3)]
        [[0, 1], [2, 3], [4]]
    """
    return _split("array_split", ary, indices_or_sections, axis, False)


def hsplit(ary: Any, indices_or_sections: Any) -> list[Array]:
    """Split along axis 1 (axis 0 for 1-D arrays).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> [p.shape for p in jnp.hsplit(jnp.zeros((2, 4)), 2)]
        [(2, 2), (2, 2)]
    """
    x = asarray(ary)
    if x.ndim == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return _split("hsplit", x, indices_or_sections, 1 if x.ndim > 1 else 0, True)


def vsplit(ary: Any, indices_or_sections: Any) -> list[Array]:
    """Split along axis 0 (arrays of 2 or more dimensions).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> [p.shape for p in jnp.vsplit(jnp.zeros((4, 2)), 2)]
        [(2, 2), (2, 2)]
    """
    x = asarray(ary)
    if x.ndim < 2:
        raise ValueError(f"vsplit only works on arrays of 2 or more dimensions, got shape {x.shape}")
    return _split("vsplit", x, indices_or_sections, 0, True)


def dsplit(ary: Any, indices_or_sections: Any) -> list[Array]:
    """Split along axis 2 (arrays of 3 or more dimensions).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> [p.shape for p in jnp.dsplit(jnp.zeros((1, 2, 4)), [1])]
        [(1, 2, 1), (1, 2, 3)]
    """
    x = asarray(ary)
    if x.ndim < 3:
        raise ValueError(f"dsplit only works on arrays of 3 or more dimensions, got shape {x.shape}")
    return _split("dsplit", x, indices_or_sections, 2, True)


def tile(A: Any, reps: Any) -> Array:
    """Repeat the whole array ``reps`` times along each axis (NumPy's rules
    for padding ``reps`` or the shape with leading ones).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.tile(jnp.array([[1, 2]]), (2, 2)).tolist()
        [[1, 2, 1, 2], [1, 2, 1, 2]]
    """
    x = asarray(A)
    r = (int(reps),) if isinstance(reps, (int, np.integer)) else tuple(int(v) for v in reps)
    if any(v < 0 for v in r):
        raise ValueError(f"tile: repetitions must be non-negative, got {r}")
    nd = max(x.ndim, len(r))
    r = (1,) * (nd - len(r)) + r
    shape = (1,) * (nd - x.ndim) + tuple(x.shape)
    if x.ndim != nd:
        x = reshape(x, shape)
    if all(v == 1 for v in r):
        return cast(Array, x)
    inter: list[int] = []
    for rv, d in zip(r, shape):
        inter.extend([rv, d])
    b = so.broadcast_in_dim_p.bind(x, shape=tuple(inter), broadcast_dimensions=tuple(range(1, 2 * nd, 2)))
    return reshape(b, tuple(rv * d for rv, d in zip(r, shape)))


def repeat(a: Any, repeats: Any, axis: int | None = None) -> Array:
    """Repeat each element ``repeats`` times along ``axis`` (flattened when
    None).  ``repeats`` is an int or one count per element (concrete).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.repeat(jnp.array([1, 2]), 2).tolist()
        [1, 1, 2, 2]
        >>> jnp.repeat(jnp.array([[1, 2], [3, 4]]), [1, 2], axis=0).tolist()
        [[1, 2], [3, 4], [3, 4]]
    """
    x = asarray(a)
    if axis is None:
        x = reshape(x, (-1,))
        ax = 0
    else:
        ax = normalize_axis(axis, x.ndim)
    if isinstance(repeats, Tracer):
        raise TypeError(
            "repeat: repeats must be concrete (the output shape depends on them); pass a Python "
            "int or a concrete array of counts"
        )
    reps = np.asarray(repeats._numpy() if isinstance(repeats, Array) else repeats)
    if reps.dtype.kind not in "iub" and reps.size:
        raise TypeError(f"repeat: repeats must be integers, got dtype {reps.dtype}")
    reps = reps.astype(np.int64)
    n = x.shape[ax]
    if reps.ndim > 1 or (reps.ndim == 1 and reps.shape[0] not in (1, n)):
        raise ValueError(f"repeat: repeats of shape {reps.shape} do not match axis {ax} of size {n}")
    if (reps < 0).any():
        raise ValueError("repeat: repeats may not contain negative values")
    if reps.size == 1 or (reps.size and (reps == reps.reshape(-1)[0]).all()):
        r = int(reps.reshape(-1)[0])
        shape = tuple(x.shape)
        inter = shape[: ax + 1] + (r,) + shape[ax + 1:]
        dims = tuple(range(ax + 1)) + tuple(range(ax + 2, x.ndim + 1))
        b = so.broadcast_in_dim_p.bind(x, shape=inter, broadcast_dimensions=dims)
        return reshape(b, shape[:ax] + (n * r,) + shape[ax + 1:])
    src = np.repeat(np.arange(n, dtype=np.int64), reps)
    return take(x, Array._wrap(src), axis=ax)


def roll(a: Any, shift: Any, axis: int | Sequence[int] | None = None) -> Array:
    """Shift elements cyclically along ``axis`` (all elements, flattened, when
    None).  ``shift`` and ``axis`` may be tuples (broadcast against each
    other); a traced ``shift`` works too (it becomes a gather).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.roll(jnp.arange(5), 2).tolist()
        [3, 4, 0, 1, 2]
        >>> jnp.roll(jnp.arange(6).reshape(2, 3), (1, -1), axis=(0, 1)).tolist()
        [[4, 5, 3], [1, 2, 0]]
    """
    x = asarray(a)
    if axis is None:
        return reshape(roll(reshape(x, (-1,)), shift, 0), x.shape)
    if isinstance(shift, Tracer):
        if shift.ndim != 0 or not isinstance(axis, (int, np.integer)):
            raise TypeError("roll: a traced shift must be a scalar with one int axis")

        ax = normalize_axis(axis, x.ndim)
        n = x.shape[ax]
        if n == 0:
            return cast(Array, x)
        src = ew.subtract(Array._wrap(np.arange(n, dtype=np.int64)), shift)
        return take(x, src, axis=ax, mode="wrap")
    shifts = np.asarray(shift)
    axes = np.asarray(axis)
    if shifts.dtype.kind not in "iu" or axes.dtype.kind not in "iu":
        raise TypeError(f"roll: shift and axis must be integers, got {shift!r} and {axis!r}")
    if shifts.ndim > 1 or axes.ndim > 1:
        raise ValueError("roll: shift and axis must be ints or 1-D sequences")
    try:
        pairs = np.broadcast(shifts, axes)
    except ValueError:
        raise ValueError(f"roll: shift {shift!r} and axis {axis!r} must broadcast together") from None
    total: dict[int, int] = {}
    for s, ax_ in pairs:
        ax = normalize_axis(int(ax_), x.ndim)
        total[ax] = total.get(ax, 0) + int(s)
    out: Any = x
    for ax, s in total.items():
        n = x.shape[ax]
        if n == 0 or s % n == 0:
            continue
        s %= n
        out = concatenate([_slice_axis(out, ax, n - s, None), _slice_axis(out, ax, None, n - s)], axis=ax)
    result: Array = out
    return result


def rot90(m: Any, k: int = 1, axes: tuple[int, int] = (0, 1)) -> Array:
    """Rotate by 90 degrees ``k`` times in the plane of ``axes`` (from the
    first axis towards the second); a view (flips and a transpose).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.rot90(jnp.array([[1, 2], [3, 4]])).tolist()
        [[2, 4], [1, 3]]
    """
    x = asarray(m)
    if len(axes) != 2:
        raise ValueError(f"rot90: axes must have length 2, got {axes}")
    if x.ndim < 2:
        raise ValueError(f"rot90: needs an array with at least 2 dimensions, got shape {x.shape}")
    a0, a1 = normalize_axis(axes[0], x.ndim), normalize_axis(axes[1], x.ndim)
    if a0 == a1:
        raise ValueError(f"rot90: axes must be different, got {axes}")
    k = int(k) % 4
    if k == 0:
        return cast(Array, x)
    if k == 2:
        return flip(flip(x, a0), a1)
    perm = list(range(x.ndim))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return transpose(flip(x, a1), perm)
    return flip(transpose(x, perm), a1)
