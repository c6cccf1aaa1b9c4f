"""Convolutions with JAX's ``jax.lax`` API: ``conv_general_dilated`` and its
wrappers (``conv``, ``conv_with_general_padding``, ``conv_transpose``),
``conv_dimension_numbers`` and ``ConvDimensionNumbers``.

All of them bind one primitive, ``conv_general_dilated`` (``ops/conv.py``),
which works in the canonical layout (lhs ``N, C, spatial...``, rhs ``O, I,
spatial...``, output ``N, O, spatial...``); other layouts given by
``dimension_numbers`` are transposed in and out here, as views (no copy).

Example:
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite import lax
    >>> x, w = jnp.ones((1, 5, 5, 2)), jnp.ones((3, 3, 2, 4))
    >>> lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")).shape
    (1, 5, 5, 4)
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from functorch_lite import dtypes
from functorch_lite.array import Array
from functorch_lite.core import get_aval
from functorch_lite.numpy._util import asarray
from functorch_lite.ops import _rules as r
from functorch_lite.ops.conv import conv_general_dilated_p
from functorch_lite.ops.shape_ops import rev_p

__all__ = [
    "ConvDimensionNumbers", "conv_dimension_numbers", "conv_general_dilated", "conv",
    "conv_with_general_padding", "conv_transpose", "padtype_to_pads",
]


class ConvDimensionNumbers(NamedTuple):
    """Where the batch, feature and spatial dimensions of a convolution are.

    ``lhs_spec``: (batch dim, feature dim, spatial dims...); ``rhs_spec``:
    (out feature dim, in feature dim, spatial dims...); ``out_spec``: (batch
    dim, feature dim, spatial dims...).  Spatial dims are listed in the order
    that ``window_strides``, ``padding`` and the dilations follow.

    Example:
        >>> conv_dimension_numbers((1, 5, 5, 2), (3, 3, 2, 4), ("NHWC", "HWIO", "NHWC"))
        ConvDimensionNumbers(lhs_spec=(0, 3, 1, 2), rhs_spec=(3, 2, 0, 1), out_spec=(0, 3, 1, 2))
    """

    lhs_spec: tuple[int, ...]
    rhs_spec: tuple[int, ...]
    out_spec: tuple[int, ...]


def _spec_perm(spec: str, pair: tuple[str, str], rhs_spec: str) -> tuple[int, ...]:
    spatial = sorted((i for i, ch in enumerate(spec) if ch not in pair), key=lambda i: rhs_spec.index(spec[i]))
    return (spec.index(pair[0]), spec.index(pair[1])) + tuple(spatial)


def conv_dimension_numbers(lhs_shape: Sequence[int], rhs_shape: Sequence[int],
                           dimension_numbers: Any) -> ConvDimensionNumbers:
    """``dimension_numbers`` (None, a ``ConvDimensionNumbers`` or three layout
    strings such as ``("NHWC", "HWIO", "NHWC")``) as a ``ConvDimensionNumbers``.

    In the strings, ``N``/``C`` are the lhs and output batch and feature
    dims, ``O``/``I`` the rhs output and input feature dims, and any other
    distinct characters the spatial dims, matched by character; spatial dims
    are ordered as they appear in the rhs string.  None means ``NC...``,
    ``OI...``, ``NC...``.

    Example:
        >>> conv_dimension_numbers((2, 3, 8), (4, 3, 2), None)
        ConvDimensionNumbers(lhs_spec=(0, 1, 2), rhs_spec=(0, 1, 2), out_spec=(0, 1, 2))
    """
    nd = len(lhs_shape)
    if len(rhs_shape) != nd:
        raise TypeError(
            f"convolution: lhs and rhs need the same number of dimensions, got shapes {tuple(lhs_shape)} "
            f"and {tuple(rhs_shape)}"
        )
    if isinstance(dimension_numbers, ConvDimensionNumbers):
        specs = tuple(tuple(operator.index(a) for a in s) for s in dimension_numbers)
        for name, s in zip(("lhs_spec", "rhs_spec", "out_spec"), specs):
            if sorted(s) != list(range(nd)):
                raise ValueError(
                    f"convolution: dimension_numbers.{name} {s} must be a permutation of the {nd} axes of "
                    f"lhs {tuple(lhs_shape)} / rhs {tuple(rhs_shape)}"
                )
        return ConvDimensionNumbers(*specs)
    if dimension_numbers is None:
        iota = tuple(range(nd))
        return ConvDimensionNumbers(iota, iota, iota)
    if not isinstance(dimension_numbers, (list, tuple)) or len(dimension_numbers) != 3:
        raise TypeError(
            "convolution: dimension_numbers must be None, a ConvDimensionNumbers or three layout strings "
            f"like ('NCHW', 'OIHW', 'NCHW'), got {dimension_numbers!r}"
        )
    if not all(isinstance(s, str) for s in dimension_numbers):
        raise TypeError(f"convolution: dimension_numbers must be strings, got {dimension_numbers!r}")
    lhs_s, rhs_s, out_s = dimension_numbers
    pairs = (("N", "C"), ("O", "I"), ("N", "C"))
    for i, (s, (a, b)) in enumerate(zip(dimension_numbers, pairs)):
        if len(s) != nd:
            raise TypeError(
                f"convolution: dimension_numbers[{i}] {s!r} must have one character per dimension of "
                f"lhs {tuple(lhs_shape)} / rhs {tuple(rhs_shape)} ({nd})"
            )
        if s.count(a) != 1 or s.count(b) != 1 or len(set(s)) != len(s):
            raise TypeError(
                f"convolution: dimension_numbers[{i}] {s!r} must contain {a!r} and {b!r} exactly once and "
                "no repeated characters"
            )
    if not set(lhs_s) - {"N", "C"} == set(rhs_s) - {"O", "I"} == set(out_s) - {"N", "C"}:
        raise TypeError(
            f"convolution: dimension_numbers {tuple(dimension_numbers)} must name the same spatial "
            "characters in all three strings"
        )
    return ConvDimensionNumbers(*(_spec_perm(s, p, rhs_s) for s, p in zip(dimension_numbers, pairs)))


def padtype_to_pads(in_shape: Sequence[int], window_shape: Sequence[int], window_strides: Sequence[int],
                    padding: str) -> list[tuple[int, int]]:
    """``'SAME'``, ``'SAME_LOWER'`` or ``'VALID'`` as explicit ``(low, high)`` pads.

    ``'SAME'`` pads so that the output size is ``ceil(in / stride)``, the odd
    pad on the high side (``'SAME_LOWER'``: on the low side).

    Example:
        >>> padtype_to_pads((5, 6), (3, 2), (1, 2), "SAME")
        [(1, 1), (0, 0)]
    """
    mode = padding.upper() if isinstance(padding, str) else padding
    if mode == "VALID":
        return [(0, 0)] * len(in_shape)
    if mode not in ("SAME", "SAME_LOWER"):
        raise ValueError(f"convolution: padding must be 'SAME', 'SAME_LOWER', 'VALID' or (low, high) pairs, "
                         f"got {padding!r}")
    pads = []
    for n, w, s in zip(in_shape, window_shape, window_strides):
        out = -(-n // s)
        total = max(0, (out - 1) * s + w - n)
        lo = total // 2 if mode == "SAME" else total - total // 2
        pads.append((lo, total - lo))
    return pads


def _int_tuple(name: str, v: Any, n: int, default: int | None = None) -> tuple[int, ...]:
    if v is None and default is not None:
        return (default,) * n
    try:
        out = tuple(operator.index(a) for a in v)
    except TypeError:
        raise TypeError(f"convolution: {name} must be a sequence of {n} integers, got {v!r}") from None
    if len(out) != n:
        raise ValueError(f"convolution: {name} must have {n} entries (one per spatial dimension), got {v!r}")
    return out


def conv_general_dilated(lhs: Any, rhs: Any, window_strides: Sequence[int], padding: str | Sequence[tuple[int, int]],
                         lhs_dilation: Sequence[int] | None = None, rhs_dilation: Sequence[int] | None = None,
                         dimension_numbers: Any = None, feature_group_count: int = 1, batch_group_count: int = 1,
                         precision: Any = None, preferred_element_type: Any = None) -> Array:
    """General n-dimensional convolution with strides, padding, dilations and groups (``jax.lax``'s).

    Args:
        lhs: the input, rank ``n + 2`` (batch, feature and ``n`` spatial dims).
        rhs: the kernel, rank ``n + 2`` (out feature, in feature, ``n`` spatial dims).
        window_strides: ``n`` strides of the window.
        padding: ``'SAME'``, ``'SAME_LOWER'``, ``'VALID'`` or ``n`` ``(low, high)``
            pairs (negative pads crop).
        lhs_dilation: ``n`` lhs dilation factors (a transposed convolution), default 1.
        rhs_dilation: ``n`` kernel dilation factors (atrous convolution), default 1.
        dimension_numbers: None (``NCHW``, ``OIHW``, ``NCHW``), a
            ``ConvDimensionNumbers`` or three layout strings (``('NHWC', 'HWIO', 'NHWC')``).
        feature_group_count: split features into groups (``C == groups * I``).
        batch_group_count: split the lhs batch into groups, one per block of output features.
        precision: accepted for JAX compatibility and ignored (float math is exact IEEE).
        preferred_element_type: the result dtype (one the operand dtype promotes to).

    Operands must have equal dtypes, as in JAX.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> x = jnp.arange(5.0).reshape(1, 1, 5)
        >>> conv_general_dilated(x, jnp.ones((1, 1, 2)), (1,), "VALID").tolist()
        [[[1.0, 3.0, 5.0, 7.0]]]
    """
    del precision
    x, w = asarray(lhs), asarray(rhs)
    xa, wa = get_aval(x), get_aval(w)
    dn = conv_dimension_numbers(xa.shape, wa.shape, dimension_numbers)
    nsp = xa.ndim - 2
    if nsp < 0:
        raise ValueError(f"convolution: lhs and rhs need at least 2 dimensions, got {xa.str_short()}, "
                         f"{wa.str_short()}")
    strides = _int_tuple("window_strides", window_strides, nsp)
    ld = _int_tuple("lhs_dilation", lhs_dilation, nsp, 1)
    rd = _int_tuple("rhs_dilation", rhs_dilation, nsp, 1)
    for name, v in (("window_strides", strides), ("lhs_dilation", ld), ("rhs_dilation", rd)):
        if any(a < 1 for a in v):
            raise ValueError(f"convolution: {name} must be positive, got {v}")
    fgc, bgc = operator.index(feature_group_count), operator.index(batch_group_count)
    x = r.transpose(x, dn.lhs_spec)
    w = r.transpose(w, dn.rhs_spec)
    xs, ws = get_aval(x).shape, get_aval(w).shape
    pads: tuple[tuple[int, int], ...]
    if isinstance(padding, str):
        if any(a != 1 for a in ld):
            raise ValueError(
                "convolution: string padding is not defined with lhs_dilation (a transposed convolution): "
                "give explicit (low, high) pairs or use lax.conv_transpose"
            )
        win = [0 if k == 0 else (k - 1) * d + 1 for k, d in zip(ws[2:], rd)]
        pads = tuple(padtype_to_pads(xs[2:], win, strides, padding))
    else:
        try:
            pads = tuple((operator.index(lo), operator.index(hi)) for lo, hi in padding)
        except (TypeError, ValueError):
            raise ValueError(
                f"convolution: padding must be a string or a sequence of (low, high) integer pairs, got {padding!r}"
            ) from None
        if len(pads) != nsp:
            raise ValueError(f"convolution: padding needs {nsp} (low, high) pairs, got {padding!r}")
    pet = None if preferred_element_type is None else dtypes.canonicalize(np.dtype(preferred_element_type))
    out = conv_general_dilated_p.bind(
        x, w, window_strides=strides, padding=pads, lhs_dilation=ld, rhs_dilation=rd,
        feature_group_count=fgc, batch_group_count=bgc, preferred_element_type=pet)
    result: Array = r.transpose(out, r.inverse_permutation(dn.out_spec))
    return result


def conv(lhs: Any, rhs: Any, window_strides: Sequence[int], padding: str, precision: Any = None,
         preferred_element_type: Any = None) -> Array:
    """``conv_general_dilated`` in the NCHW/OIHW layout without dilation or groups.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> conv(jnp.ones((1, 1, 4, 4)), jnp.ones((2, 1, 3, 3)), (1, 1), "SAME")[0, 0, 0].tolist()
        [4.0, 6.0, 6.0, 4.0]
    """
    return conv_general_dilated(lhs, rhs, window_strides, padding, precision=precision,
                                preferred_element_type=preferred_element_type)


def conv_with_general_padding(lhs: Any, rhs: Any, window_strides: Sequence[int],
                              padding: str | Sequence[tuple[int, int]], lhs_dilation: Sequence[int] | None,
                              rhs_dilation: Sequence[int] | None, precision: Any = None,
                              preferred_element_type: Any = None) -> Array:
    """``conv_general_dilated`` in the NCHW/OIHW layout with padding and dilations.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> conv_with_general_padding(jnp.ones((1, 1, 3)), jnp.ones((1, 1, 2)), (1,), [(1, 1)], (2,),
        ...                           None).tolist()
        [[[1.0, 1.0, 1.0, 1.0, 1.0, 1.0]]]
    """
    return conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=lhs_dilation,
                                rhs_dilation=rhs_dilation, precision=precision,
                                preferred_element_type=preferred_element_type)


def _conv_transpose_padding(k: int, s: int, padding: Any) -> tuple[int, int]:
    if padding == "SAME":
        pad_len = k + s - 2
        pad_a = k - 1 if s > k - 1 else -(-pad_len // 2)
    elif padding == "VALID":
        pad_len = k + s - 2 + max(k - s, 0)
        pad_a = k - 1
    elif isinstance(padding, tuple):
        pads = tuple(k - p - 1 for p in padding)
        pad_a, pad_len = pads[0], sum(pads)
    else:
        raise ValueError(f"conv_transpose: padding must be 'SAME', 'VALID' or (low, high) pairs, got {padding!r}")
    return pad_a, pad_len - pad_a


_TRANSPOSE_LAYOUTS = {2: ("NC", "IO", "NC"), 3: ("NHC", "HIO", "NHC"), 4: ("NHWC", "HWIO", "NHWC"),
                      5: ("NHWDC", "HWDIO", "NHWDC")}


def conv_transpose(lhs: Any, rhs: Any, strides: Sequence[int], padding: str | Sequence[tuple[int, int]],
                   rhs_dilation: Sequence[int] | None = None, dimension_numbers: Any = None,
                   transpose_kernel: bool = False, precision: Any = None, preferred_element_type: Any = None,
                   use_consistent_padding: bool = False) -> Array:
    """A transposed ("fractionally strided") convolution, ``jax.lax.conv_transpose``'s.

    The default layout is TensorFlow's (``NHWC``, ``HWIO``, ``NHWC`` for 2-D).
    ``'SAME'``/``'VALID'`` (and with ``use_consistent_padding=True`` explicit
    pairs too) name the padding of the forward convolution this one
    transposes; otherwise pairs pad the dilated input directly.
    ``transpose_kernel=True`` flips the kernel's spatial dims and swaps its
    in/out features, giving the gradient of ``conv_general_dilated``
    (Keras' ``Conv2DTranspose``).

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> conv_transpose(jnp.ones((1, 3, 1)), jnp.ones((2, 1, 1)), (2,), "VALID").shape
        (1, 6, 1)
    """
    x, w = asarray(lhs), asarray(rhs)
    xa, wa = get_aval(x), get_aval(w)
    if xa.ndim != wa.ndim or xa.ndim < 2:
        raise ValueError(f"conv_transpose: lhs and rhs need the same rank >= 2, got {xa.str_short()} and "
                         f"{wa.str_short()}")
    if dimension_numbers is None:
        if xa.ndim not in _TRANSPOSE_LAYOUTS:
            raise ValueError(f"conv_transpose: no default dimension_numbers for rank {xa.ndim}; pass them")
        dimension_numbers = _TRANSPOSE_LAYOUTS[xa.ndim]
    dn = conv_dimension_numbers(xa.shape, wa.shape, dimension_numbers)
    nsp = xa.ndim - 2
    k_sdims = [wa.shape[a] for a in dn.rhs_spec[2:]]
    rd = _int_tuple("rhs_dilation", rhs_dilation, nsp, 1)
    st = _int_tuple("strides", strides, nsp)
    pads: Any
    if use_consistent_padding or (isinstance(padding, str) and padding in ("SAME", "VALID")):
        eff = [0 if k == 0 else (k - 1) * d + 1 for k, d in zip(k_sdims, rd)]
        per_dim = [padding] * nsp if isinstance(padding, str) else [tuple(p) for p in padding]
        pads = tuple(_conv_transpose_padding(k, s, p) for k, s, p in zip(eff, st, per_dim))
    else:
        pads = padding
    if transpose_kernel:
        w = rev_p.bind(w, dimensions=tuple(dn.rhs_spec[2:]))
        perm = list(range(wa.ndim))
        perm[dn.rhs_spec[0]], perm[dn.rhs_spec[1]] = perm[dn.rhs_spec[1]], perm[dn.rhs_spec[0]]
        w = r.transpose(w, perm)
    return conv_general_dilated(x, w, (1,) * nsp, pads, st, rd, dn, precision=precision,
                                preferred_element_type=preferred_element_type)
