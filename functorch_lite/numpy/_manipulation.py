"""Shape manipulation: views (transpose, reshape, squeeze...) and joins."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast, overload

import numpy as np

from functorch_lite import dtypes as _d
from functorch_lite.array import Array, check_layout, strict_index
from functorch_lite.core import Tracer
from functorch_lite.numpy._util import (
    asarray,
    broadcast_to_shape,
    convert,
    normalize_axes,
    normalize_axis,
    operator_index,
    promote_dtypes,
    shape_tuple,
)
from functorch_lite.numpy._util import (
    broadcast_shapes as _broadcast_shapes,
)
from functorch_lite.ops import shape_ops as so

__all__ = [
    "transpose", "permute_dims", "swapaxes", "moveaxis", "reshape", "ravel",
    "expand_dims", "squeeze", "broadcast_to", "broadcast_arrays", "broadcast_shapes",
    "diagonal", "as_strided", "concatenate", "concat", "stack", "hstack", "vstack",
    "dstack", "column_stack", "atleast_1d", "atleast_2d", "atleast_3d", "flip", "fliplr",
    "flipud", "matrix_transpose", "shape", "ndim", "size",
]


def transpose(a: Any, axes: Sequence[int] | None = None) -> Array:
    """Permute axes (reverse them by default); a view, no copy.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.transpose(jnp.zeros((2, 3, 4)), (2, 0, 1)).shape
        (4, 2, 3)
    """
    x = asarray(a)
    if axes is None:
        perm = tuple(range(x.ndim - 1, -1, -1))
    else:
        perm = tuple(normalize_axis(ax, x.ndim) for ax in axes)
        if sorted(perm) != list(range(x.ndim)):
            raise ValueError(
                f"transpose: axes {tuple(axes)} are not a permutation of the {x.ndim} axes of shape {x.shape}"
            )
    if perm == tuple(range(x.ndim)):
        return cast(Array, x)
    out: Array = so.transpose_p.bind(x, permutation=perm)
    return out


permute_dims = transpose


def matrix_transpose(x: Any) -> Array:
    """Swap the last two axes.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.matrix_transpose(jnp.zeros((5, 2, 3))).shape
        (5, 3, 2)
    """
    return swapaxes(x, -1, -2)


def swapaxes(a: Any, axis1: int, axis2: int) -> Array:
    """Exchange two axes (any two); a view.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.swapaxes(jnp.zeros((2, 3, 4)), 0, 2).shape
        (4, 3, 2)
    """
    x = asarray(a)
    i, j = normalize_axis(axis1, x.ndim), normalize_axis(axis2, x.ndim)
    perm = list(range(x.ndim))
    perm[i], perm[j] = perm[j], perm[i]
    return transpose(x, perm)


def moveaxis(a: Any, source: int | Sequence[int], destination: int | Sequence[int]) -> Array:
    """Move axes to new positions, keeping the others in order; a view.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.moveaxis(jnp.zeros((2, 3, 4)), 0, -1).shape
        (3, 4, 2)
    """
    x = asarray(a)
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise ValueError("moveaxis: source and destination need the same number of axes")
    src = [normalize_axis(s, x.ndim) for s in src]
    dst = [normalize_axis(d, x.ndim) for d in dst]
    order = [i for i in range(x.ndim) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(x, order)


def reshape(a: Any, shape: Any, order: str = "C", *, newshape: Any = None, copy: bool | None = None) -> Array:
    """New shape over the same elements: a view when strides allow, else a copy.

    One dimension may be -1 (inferred).  ``copy`` (the Array API's) is
    accepted and, as in JAX, has no visible effect: arrays are immutable.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> x = jnp.arange(6)
        >>> y = jnp.reshape(x, (2, -1))
        >>> y.shape, y.storage() is x.storage()
        ((2, 3), True)
    """
    if order not in ("C", "F", "A"):
        raise ValueError(f"reshape: order must be 'C' or 'F', got {order!r}")
    x = asarray(a)
    if newshape is not None:
        shape = newshape
    if isinstance(shape, int) or hasattr(shape, "__index__"):
        shape = (shape,)
    try:
        dims = [operator_index(d) for d in shape]  # never truncates floats
    except TypeError:
        raise TypeError(f"reshape: a shape must be an int or a sequence of ints, got {shape!r}") from None
    if dims.count(-1) > 1:
        raise ValueError(f"reshape: only one dimension can be -1, got {tuple(dims)}")
    if -1 in dims:
        known = 1
        for d in dims:
            if d != -1:
                known *= d
        if known == 0 or x.size % known:
            raise ValueError(f"cannot reshape array of shape {x.shape} (size {x.size}) into shape {tuple(dims)}")
        dims[dims.index(-1)] = x.size // known
    new = shape_tuple(dims)
    if order == "F":
        return transpose(reshape(transpose(x), new[::-1]))
    if new == x.shape:
        return cast(Array, x)
    out: Array = so.reshape_p.bind(x, new_sizes=new)
    return out


def ravel(a: Any, order: str = "C") -> Array:
    """Flatten to 1-D (a view of a contiguous array).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.ravel(jnp.ones((2, 2))).shape
        (4,)
    """
    return reshape(a, (-1,), order=order)


def expand_dims(a: Any, axis: int | Sequence[int]) -> Array:
    """Insert size-1 axes at ``axis`` positions of the output; a view.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.expand_dims(jnp.zeros(3), (0, 2)).shape
        (1, 3, 1)
    """
    x = asarray(a)
    axes = [axis] if isinstance(axis, int) else list(axis)
    n = x.ndim + len(axes)
    for ax in axes:
        if isinstance(ax, (int, np.integer)) and not -n <= ax < n:
            # NumPy's AxisError: a ValueError (as JAX) and an IndexError (as the Array API)
            raise np.exceptions.AxisError(
                f"expand_dims: axis {ax} is out of bounds for the result's dimension {n} "
                f"(input shape {x.shape}); use -{n} <= axis < {n}")
    dims = tuple(sorted(normalize_axis(ax, n) for ax in axes))
    if len(set(dims)) != len(dims):
        raise ValueError(f"expand_dims: repeated axis in {axis}")
    out: Array = so.expand_dims_p.bind(x, dimensions=dims)
    return out


def squeeze(a: Any, axis: int | Sequence[int] | None = None) -> Array:
    """Remove size-1 axes (all of them, or those named); a view.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.squeeze(jnp.zeros((1, 3, 1))).shape
        (3,)
    """
    x = asarray(a)
    if axis is None:
        dims = tuple(i for i, d in enumerate(x.shape) if d == 1)
    else:
        dims = normalize_axes(axis, x.ndim)
        for d in dims:
            if x.shape[d] != 1:
                raise ValueError(f"squeeze: cannot select axis {d} of shape {x.shape}: its size is not 1")
    if not dims:
        return cast(Array, x)
    out: Array = so.squeeze_p.bind(x, dimensions=dims)
    return out


def broadcast_shapes(*shapes: Any) -> tuple[int, ...]:
    """The shape that ``shapes`` broadcast to (NumPy's rules); each shape is
    an int or a sequence of non-negative ints.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.broadcast_shapes((2, 1), (3,))
        (2, 3)
    """
    checked = []
    for s in shapes:
        dims = (s,) if not isinstance(s, (tuple, list)) else s
        out = []
        for d in dims:
            n = strict_index(d, f"broadcast_shapes: every size in {s!r}")
            if not 0 <= n < 2**63:
                raise ValueError(f"broadcast_shapes: sizes must be in [0, 2**63), got {n} in {s!r}")
            out.append(n)
        checked.append(tuple(out))
    return _broadcast_shapes(*checked, name="broadcast_shapes")


def broadcast_to(a: Any, shape: Any) -> Array:
    """Broadcast to ``shape`` (stride-0 view, no copy).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> y = jnp.broadcast_to(jnp.arange(3), (2, 3))
        >>> y.shape, y.stride()
        ((2, 3), (0, 1))
    """
    x = asarray(a)
    shape = shape_tuple(shape)
    out_shape = _broadcast_shapes(x.shape, shape, name="broadcast_to")
    if out_shape != shape:
        raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}")
    return cast(Array, broadcast_to_shape(x, shape))


def broadcast_arrays(*args: Any) -> list[Array]:
    """Broadcast arrays against each other (views).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> [x.shape for x in jnp.broadcast_arrays(jnp.zeros(3), jnp.zeros((2, 1)))]
        [(2, 3), (2, 3)]
    """
    xs = [asarray(a) for a in args]
    shape = _broadcast_shapes(*(x.shape for x in xs), name="broadcast_arrays")
    return cast(list[Array], [broadcast_to_shape(x, shape) for x in xs])


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Array:
    """The diagonal over two axes, appended as the last axis; a view.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.diagonal(jnp.arange(9).reshape(3, 3)).tolist()
        [0, 4, 8]
    """
    x = asarray(a)
    if x.ndim < 2:
        raise ValueError(f"diagonal needs at least 2 dimensions, got shape {x.shape}")
    i, j = normalize_axis(axis1, x.ndim), normalize_axis(axis2, x.ndim)
    if i == j:
        raise ValueError("diagonal: axis1 and axis2 must differ")
    out: Array = so.diagonal_p.bind(x, offset=int(offset), axis1=i, axis2=j)
    return out


def as_strided(a: Any, shape: Sequence[int], strides: Sequence[int], offset: int = 0) -> Array:
    """View over ``a``'s elements (row-major order) with element strides.

    ``strides`` and ``offset`` count elements of ``a`` in row-major order
    (ints; negative strides allowed, the offset must be >= 0).  Every element
    of the view must lie inside ``a``: otherwise a ``ViewBoundsError`` (a
    ``ValueError`` that is also an ``IndexError``) names the layout.  A
    contiguous ``a`` is viewed in place.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.as_strided(jnp.arange(5), (3, 2), (1, 1)).tolist()
        [[0, 1], [1, 2], [2, 3]]
        >>> jnp.as_strided(jnp.arange(5), (3,), (-2,), offset=4).tolist()
        [4, 2, 0]
    """
    x = asarray(a)
    shp, st, off = check_layout(
        _int_seq(shape), _int_seq(strides), offset, x.size, x.dtype.itemsize, name="as_strided",
        fix=f"strides and offset count the {x.size} elements of the {x.shape} input in row-major order",
    )
    out: Array = so.as_strided_p.bind(x, shape=shp, strides=st, offset=off)
    return out


def _int_seq(v: Any) -> Any:
    """An int or an iterable of them as a tuple; anything else as it is, for
    ``check_layout`` to name."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
        return (v,)
    if isinstance(v, (str, bytes)):
        return v
    try:
        return tuple(v)
    except TypeError:
        return v


def concatenate(arrays: Sequence[Any], axis: int | None = 0, dtype: Any = None) -> Array:
    """Join arrays along an existing axis (``axis=None`` flattens first).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.concatenate([jnp.zeros(2), jnp.ones(1)]).tolist()
        [0.0, 0.0, 1.0]
    """
    if isinstance(arrays, (Tracer,)) or not isinstance(arrays, (list, tuple)):
        arrays = list(arrays)
    if not arrays:
        raise ValueError("concatenate needs at least one array")
    xs = [asarray(x) for x in arrays]
    if axis is None:
        xs = [ravel(x) for x in xs]
        axis = 0
    dt, weak = promote_dtypes(*xs)
    if dtype is not None:
        dt, weak = _d.requested(dtype, "concatenate"), False
    for x in xs:
        if x.ndim == 0:
            raise ValueError("concatenate: zero-dimensional arrays cannot be concatenated; use stack")
        if x.ndim != xs[0].ndim:
            raise ValueError(
                "concatenate: all arrays need the same number of dimensions, got shapes "
                + ", ".join(str(y.shape) for y in xs)
            )
    ax = normalize_axis(axis, xs[0].ndim)
    xs = [convert(x, dt, weak) for x in xs]
    if len(xs) == 1:
        return cast(Array, xs[0])
    out: Array = so.concatenate_p.bind(*xs, dimension=ax)
    return out


concat = concatenate


def stack(arrays: Sequence[Any], axis: int = 0, dtype: Any = None) -> Array:
    """Join arrays of one shape along a new axis.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.stack([jnp.zeros(2), jnp.ones(2)], axis=1).shape
        (2, 2)
    """
    xs = [asarray(x) for x in arrays]
    if not xs:
        raise ValueError("stack needs at least one array")
    for x in xs:
        if x.shape != xs[0].shape:
            raise ValueError("stack: all arrays need the same shape, got " + ", ".join(str(y.shape) for y in xs))
    ax = normalize_axis(axis, xs[0].ndim + 1)
    return concatenate([expand_dims(x, ax) for x in xs], axis=ax, dtype=dtype)


@overload
def atleast_1d(x: Any, /) -> Array: ...
@overload
def atleast_1d(x: Any, y: Any, /, *arys: Any) -> list[Array]: ...
def atleast_1d(*arys: Any) -> Array | list[Array]:
    """Views with at least one dimension.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.atleast_1d(1.0).shape
        (1,)
    """
    out = [reshape(asarray(a), (1,)) if asarray(a).ndim == 0 else asarray(a) for a in arys]
    return cast(Array, out[0]) if len(out) == 1 else cast(list[Array], out)


@overload
def atleast_2d(x: Any, /) -> Array: ...
@overload
def atleast_2d(x: Any, y: Any, /, *arys: Any) -> list[Array]: ...
def atleast_2d(*arys: Any) -> Array | list[Array]:
    """Views with at least two dimensions.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.atleast_2d(jnp.zeros(3)).shape
        (1, 3)
    """
    out = []
    for a in arys:
        x = asarray(a)
        out.append(reshape(x, (1,) * (2 - x.ndim) + x.shape) if x.ndim < 2 else x)
    return cast(Array, out[0]) if len(out) == 1 else cast(list[Array], out)


@overload
def atleast_3d(x: Any, /) -> Array: ...
@overload
def atleast_3d(x: Any, y: Any, /, *arys: Any) -> list[Array]: ...
def atleast_3d(*arys: Any) -> Array | list[Array]:
    """Views with at least three dimensions (NumPy's placement of new axes).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.atleast_3d(jnp.zeros(3)).shape
        (1, 3, 1)
    """
    out = []
    for a in arys:
        x = asarray(a)
        if x.ndim == 0:
            x = reshape(x, (1, 1, 1))
        elif x.ndim == 1:
            x = reshape(x, (1, x.shape[0], 1))
        elif x.ndim == 2:
            x = expand_dims(x, 2)
        out.append(x)
    return cast(Array, out[0]) if len(out) == 1 else cast(list[Array], out)


def hstack(tup: Sequence[Any], dtype: Any = None) -> Array:
    """Stack horizontally (along axis 1, or 0 for 1-D arrays).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.hstack([jnp.zeros(2), jnp.ones(2)]).shape
        (4,)
    """
    xs = [atleast_1d(x) for x in tup]
    if not xs:
        raise ValueError("hstack needs at least one array to concatenate, got an empty sequence")
    return concatenate(xs, axis=0 if xs[0].ndim == 1 else 1, dtype=dtype)


def vstack(tup: Sequence[Any], dtype: Any = None) -> Array:
    """Stack vertically (along axis 0 after making arrays 2-D).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.vstack([jnp.zeros(2), jnp.ones(2)]).shape
        (2, 2)
    """
    return concatenate([atleast_2d(x) for x in tup], axis=0, dtype=dtype)


def dstack(tup: Sequence[Any], dtype: Any = None) -> Array:
    """Stack along the third axis.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.dstack([jnp.zeros(2), jnp.ones(2)]).shape
        (1, 2, 2)
    """
    return concatenate([atleast_3d(x) for x in tup], axis=2, dtype=dtype)


def column_stack(tup: Sequence[Any]) -> Array:
    """Stack 1-D arrays as columns of a 2-D array.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.column_stack([jnp.zeros(2), jnp.ones(2)]).shape
        (2, 2)
    """
    xs = [asarray(x) for x in tup]
    return concatenate([reshape(x, (-1, 1)) if x.ndim < 2 else x for x in xs], axis=1)


def flip(m: Any, axis: int | Sequence[int] | None = None) -> Array:
    """Reverse the order of elements along axes; a view (negative strides).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> y = jnp.flip(jnp.arange(3))
        >>> y.tolist(), y.stride()
        ([2, 1, 0], (-1,))
    """
    x = asarray(m)
    dims = normalize_axes(axis, x.ndim)
    if not dims:
        return cast(Array, x)
    out: Array = so.rev_p.bind(x, dimensions=dims)
    return out


def fliplr(m: Any) -> Array:
    """Reverse along axis 1.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.fliplr(jnp.arange(4).reshape(2, 2)).tolist()
        [[1, 0], [3, 2]]
    """
    return flip(m, 1)


def flipud(m: Any) -> Array:
    """Reverse along axis 0.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.flipud(jnp.arange(2)).tolist()
        [1, 0]
    """
    return flip(m, 0)


def shape(a: Any) -> tuple[int, ...]:
    """The shape of ``a``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.shape(jnp.zeros((2, 3)))
        (2, 3)
    """
    return tuple(asarray(a).shape)


def ndim(a: Any) -> int:
    """The number of dimensions of ``a``.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.ndim(1.0)
        0
    """
    return asarray(a).ndim


def size(a: Any, axis: int | None = None) -> int:
    """The number of elements (along ``axis`` if given).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.size(jnp.zeros((2, 3)))
        6
    """
    x = asarray(a)
    return x.size if axis is None else x.shape[normalize_axis(axis, x.ndim)]
