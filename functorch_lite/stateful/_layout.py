"""View arithmetic: the shape, strides (in elements) and storage offset of
each view op, as PyTorch computes them.  Pure functions of metadata; no
memory is touched here.

Example:
    >>> view_strides((2, 3), (3, 1), (3, 2)), view_strides((2, 3), (1, 2), (6,)) is None
    ((2, 1), True)
"""

from __future__ import annotations

import math
from typing import Any

from functorch_lite.array import contiguous_strides, is_row_major, strict_index
from functorch_lite.ops.shape_ops import view_strides as view_strides_core

Layout = tuple[tuple[int, ...], tuple[int, ...], int]


class Size(tuple[int, ...]):
    """A tensor's shape, a tuple of ints (``torch.Size``).

    Example:
        >>> import functorch_lite as fl
        >>> s = fl.zeros(2, 3).shape
        >>> s, s.numel(), s == (2, 3)
        (functorch_lite.Size([2, 3]), 6, True)
    """

    def numel(self) -> int:
        return math.prod(self)

    def __repr__(self) -> str:
        return f"functorch_lite.Size({list(self)})"


def norm_dim(dim: Any, ndim: int) -> int:
    """``dim`` wrapped into ``[0, ndim)`` (a 0-d tensor accepts -1 and 0).

    Example:
        >>> norm_dim(-1, 3)
        2
    """
    d = strict_index(dim, "dim")
    n = max(ndim, 1)
    if not -n <= d < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
    return d % n


def sizes_arg(args: tuple[Any, ...], what: str = "size") -> tuple[int, ...]:
    """Sizes passed as varargs (``zeros(2, 3)``) or one sequence (``zeros((2, 3))``)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    return tuple(strict_index(a, f"{what}: every size") for a in args)


def is_contiguous(shape: tuple[int, ...], strides: tuple[int, ...]) -> bool:
    """PyTorch's rule: row-major, ignoring size-1 dims; empty tensors are."""
    return is_row_major(shape, strides)


def dense_strides(shape: tuple[int, ...], strides: tuple[int, ...]) -> tuple[int, ...]:
    """Strides for a copy that keeps the layout's memory order when it is
    dense and non-overlapping (PyTorch's ``preserve_format``), else
    row-major.

    Example:
        >>> dense_strides((2, 3), (1, 2)), dense_strides((2, 3), (1, 4))
        ((1, 2), (3, 1))
    """
    order = sorted(range(len(shape)), key=lambda i: (strides[i], -i))
    need = 1
    for i in order:
        if shape[i] < 2:
            continue
        if strides[i] != need:
            return contiguous_strides(shape)
        need *= shape[i]
    out = list(strides)
    acc = 1
    for i in order:
        out[i] = acc
        acc *= max(shape[i], 1)
    return tuple(out)


def infer_size(shape: tuple[int, ...], numel: int) -> tuple[int, ...]:
    """Resolve one ``-1`` in a requested shape."""
    neg = [i for i, d in enumerate(shape) if d == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    if any(d < -1 for d in shape):
        raise RuntimeError(f"invalid shape dimension {min(shape)} in {list(shape)}")
    known = math.prod(d for d in shape if d != -1)
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        return tuple(numel // known if d == -1 else d for d in shape)
    if known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def view_strides(old: tuple[int, ...], strides: tuple[int, ...], new: tuple[int, ...]) -> tuple[int, ...] | None:
    """Strides of ``new`` over the same memory, or None when the layout does
    not allow a view (PyTorch's ``computeStride``, shared with the core's
    ``reshape``); an empty tensor viewed as its own shape keeps its strides."""
    if old == new and 0 in old:
        return strides
    return view_strides_core(old, strides, new)


def transpose(lay: Layout, d0: int, d1: int) -> Layout:
    shape, strides, off = lay
    n = len(shape)
    a, b = norm_dim(d0, n), norm_dim(d1, n)
    if n == 0:
        return lay
    sh, st = list(shape), list(strides)
    sh[a], sh[b] = sh[b], sh[a]
    st[a], st[b] = st[b], st[a]
    return tuple(sh), tuple(st), off


def permute(lay: Layout, dims: tuple[int, ...]) -> Layout:
    shape, strides, off = lay
    n = len(shape)
    if len(dims) != n:
        raise RuntimeError(
            f"permute: number of dims don't match: the tensor has {n} dimensions but {len(dims)} were given "
            f"({list(dims)})"
        )
    ds = [norm_dim(d, n) for d in dims]
    if len(set(ds)) != len(ds):
        raise RuntimeError(f"permute: repeated dim in {list(dims)}")
    return tuple(shape[d] for d in ds), tuple(strides[d] for d in ds), off


def narrow(lay: Layout, dim: int, start: int, length: int) -> Layout:
    shape, strides, off = lay
    if not shape:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = norm_dim(dim, len(shape))
    start, length = strict_index(start, "narrow: start"), strict_index(length, "narrow: length")
    size = shape[d]
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    if start < 0:
        start += size
    if length < 0 or start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    sh = list(shape)
    sh[d] = length
    return tuple(sh), strides, off + start * strides[d]


def select(lay: Layout, dim: int, index: int) -> Layout:
    shape, strides, off = lay
    if not shape:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = norm_dim(dim, len(shape))
    i = strict_index(index, "select: index")
    size = shape[d]
    if not -size <= i < size:
        raise IndexError(f"index {i} is out of bounds for dimension {d} with size {size}")
    i %= size
    return shape[:d] + shape[d + 1:], strides[:d] + strides[d + 1:], off + i * strides[d]


def unsqueeze(lay: Layout, dim: int) -> Layout:
    shape, strides, off = lay
    n = len(shape)
    d = strict_index(dim, "unsqueeze: dim")
    if not -(n + 1) <= d <= n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-(n + 1)}, {n}], but got {d})")
    d %= n + 1
    st = 1 if d >= n else shape[d] * strides[d]
    return shape[:d] + (1,) + shape[d:], strides[:d] + (st,) + strides[d:], off


def squeeze(lay: Layout, dim: Any = None) -> Layout:
    shape, strides, off = lay
    if dim is None:
        keep = [i for i, s in enumerate(shape) if s != 1]
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        drop = {norm_dim(d, len(shape)) for d in dims} if shape else set()
        keep = [i for i in range(len(shape)) if not (i in drop and shape[i] == 1)]
    return tuple(shape[i] for i in keep), tuple(strides[i] for i in keep), off


def expand(lay: Layout, sizes: tuple[int, ...]) -> Layout:
    shape, strides, off = lay
    n, m = len(shape), len(sizes)
    if m < n:
        raise RuntimeError(
            f"expand: the number of sizes provided ({m}) must be greater or equal to the number of "
            f"dimensions in the tensor ({n})"
        )
    sh, st = [], []
    for i, want in enumerate(sizes):
        j = i - (m - n)
        if j < 0:
            if want < 0:
                raise RuntimeError(f"expand: -1 is not allowed in a leading, non-existing dimension ({i})")
            sh.append(want)
            st.append(0)
            continue
        have = shape[j]
        if want == -1:
            want = have
        if have == want:
            sh.append(have)
            st.append(strides[j])
        elif have == 1 and want >= 0:
            sh.append(want)
            st.append(0)
        else:
            raise RuntimeError(
                f"The expanded size of the tensor ({want}) must match the existing size ({have}) at "
                f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: {list(shape)}"
            )
    return tuple(sh), tuple(st), off


def slice_dim(lay: Layout, d: int, sl: slice) -> Layout:
    shape, strides, off = lay
    step = 1 if sl.step is None else strict_index(sl.step, "slice step")
    if step <= 0:
        raise ValueError("step must be greater than zero (negative steps make no view; use flip())")
    start, stop, step = slice(sl.start, sl.stop, step).indices(shape[d])
    n = len(range(start, stop, step))
    sh, st = list(shape), list(strides)
    sh[d] = n
    st[d] = strides[d] * step
    return tuple(sh), tuple(st), off + start * strides[d]


def is_basic_index(idx: Any) -> bool:
    """Whether every entry is an int, slice, None or Ellipsis (a view)."""
    items = idx if isinstance(idx, tuple) else (idx,)
    return all(
        (isinstance(i, int) and not isinstance(i, bool)) or i is None or i is Ellipsis or isinstance(i, slice)
        for i in items
    )


def basic_index(lay: Layout, idx: Any) -> Layout:
    """The view ``t[idx]`` for a basic index (see :func:`is_basic_index`)."""
    items = idx if isinstance(idx, tuple) else (idx,)
    n_real = sum(1 for i in items if i is not None and i is not Ellipsis)
    if sum(1 for i in items if i is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    ndim = len(lay[0])
    if n_real > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    expanded: list[Any] = []
    for i in items:
        if i is Ellipsis:
            expanded.extend([slice(None)] * (ndim - n_real))
        else:
            expanded.append(i)
    d = 0
    for i in expanded:
        if i is None:
            lay = unsqueeze(lay, d)
            d += 1
        elif isinstance(i, slice):
            lay = slice_dim(lay, d, i)
            d += 1
        else:
            lay = select(lay, d, i)
    return lay
