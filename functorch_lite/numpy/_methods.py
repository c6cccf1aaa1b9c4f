"""The functions behind the operators and methods of Arrays and tracers.

``Array``/``Tracer`` methods (``x + y``, ``x.sum()``, ``x.at[i].set(v)``)
are declared in :mod:`functorch_lite.array`, below this layer; each calls a
member of :class:`~functorch_lite.array.ArrayOps`.  :class:`NumpyOps` is that
protocol filled with this package's functions, and :func:`install` hands it
to the array module when ``functorch_lite.numpy`` is imported.

Example:
    >>> import functorch_lite.numpy as jnp
    >>> NumpyOps.sum is jnp.sum
    True
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from functorch_lite import array, dtypes
from functorch_lite.numpy import _elementwise as ew
from functorch_lite.numpy import _indexing, _linalg, _manipulation, _reductions, _sorting
from functorch_lite.numpy._creation import convert_checked
from functorch_lite.numpy._util import asarray


def astype(x: Any, dtype: Any) -> Any:
    """``x.astype(dtype)``: ``x`` converted to ``dtype`` (a strong type).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> jnp.arange(3).astype("float32").tolist()
        [0.0, 1.0, 2.0]
    """
    a = asarray(x)
    want = dtypes.canonicalize(dtype)
    if want.itemsize == 8 and a.dtype.itemsize == 8:
        # data that already holds 64 bits (made in 64-bit mode or by the PyTorch-style
        # layer) keeps them: only new 64-bit data is narrowed in 32-bit mode
        return convert_checked(a, want, "astype")
    return convert_checked(a, dtypes.requested(dtype, "astype"), "astype")


class NumpyOps:
    """:class:`~functorch_lite.array.ArrayOps` with this package's functions.

    Used as the class itself, never instantiated: its attributes are the
    plain functions (looking one up costs what a module attribute costs).
    """

    add = ew.add
    subtract = ew.subtract
    multiply = ew.multiply
    true_divide = ew.true_divide
    floor_divide = ew.floor_divide
    remainder = ew.remainder
    power = ew.power
    matmul = _linalg.matmul
    negative = ew.negative
    positive = ew.positive
    abs = ew.abs
    bitwise_not = ew.bitwise_not
    bitwise_and = ew.bitwise_and
    bitwise_or = ew.bitwise_or
    bitwise_xor = ew.bitwise_xor
    left_shift = ew.left_shift
    right_shift = ew.right_shift
    reciprocal = ew.reciprocal
    equal = ew.equal
    not_equal = ew.not_equal
    less = ew.less
    less_equal = ew.less_equal
    greater = ew.greater
    greater_equal = ew.greater_equal
    getitem = _indexing.getitem
    at_update = _indexing.at_update
    astype = astype
    transpose = _manipulation.transpose
    swapaxes = _manipulation.swapaxes
    reshape = _manipulation.reshape
    squeeze = _manipulation.squeeze
    ravel = _manipulation.ravel
    diagonal = _manipulation.diagonal
    sum = _reductions.sum
    prod = _reductions.prod
    mean = _reductions.mean
    var = _reductions.var
    std = _reductions.std
    max = _reductions.max
    min = _reductions.min
    argmax = _reductions.argmax
    argmin = _reductions.argmin
    all = _reductions.all
    any = _reductions.any
    cumsum = _sorting.cumsum
    cumprod = _sorting.cumprod
    clip = ew.clip
    round = ew.round
    dot = _linalg.dot
    sort = _sorting.sort
    argsort = _sorting.argsort
    take = _indexing.take
    real = ew.real
    imag = ew.imag
    conjugate = ew.conjugate


def install(namespace: ModuleType) -> None:
    """Make :class:`NumpyOps` the functions behind every Array/tracer method
    and ``namespace`` the Array API namespace (``x.__array_namespace__()``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> install(jnp)  # what importing functorch_lite.numpy did
        >>> jnp.ones(2).__array_namespace__() is jnp
        True
    """
    array.install_ops(NumpyOps, namespace)
