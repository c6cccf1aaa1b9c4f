"""Convolution primitive: ``conv_general_dilated`` (XLA's / JAX's semantics,
in one canonical layout).

``conv_general_dilated_p.bind(lhs, rhs, window_strides=, padding=,
lhs_dilation=, rhs_dilation=, feature_group_count=, batch_group_count=,
preferred_element_type=)`` takes ``lhs`` as ``(N, C, *spatial)`` and ``rhs``
as ``(O, I, *window)`` and gives ``(N // batch_group_count, O,
*out_spatial)``:

- the lhs is dilated (``lhs_dilation - 1`` zeros between elements: a
  transposed convolution) and padded by ``padding`` ``(lo, hi)`` pairs
  (negative pads crop);
- the window is dilated by ``rhs_dilation`` (atrous convolution) and slides
  by ``window_strides``; ``out = max(0, (padded - dilated_window) // stride
  + 1)`` per spatial dim (a window larger than the padded input gives size 0,
  as in JAX);
- ``feature_group_count`` G splits the lhs channels and the output features
  into G groups (``C == G * I``); ``batch_group_count`` B splits the lhs
  batch into B groups, group ``b`` making output features block ``b``
  (``I == C``); at most one of them exceeds 1.

Layouts other than the canonical one (``dimension_numbers``) are transposes
(free views) in ``lax.conv_general_dilated``; the rules below therefore
need no dimension numbers.  Operands have equal dtypes (any supported dtype;
ints wrap, bool is OR-of-AND); ``preferred_element_type`` widens the result.

The rules (all in canonical layout, closed under transformation): the jvp
is bilinear; the lhs cotangent is a convolution of the cotangent with the
flipped, in/out-swapped kernel (``lhs_dilation = window_strides``); the rhs
cotangent a convolution of the lhs with the cotangent as the window (feature
groups become batch groups and back), as in JAX; vmap folds a batched lhs
into N (or into batch groups), a batched rhs into O, both into groups.

Example:
    >>> import functorch_lite.numpy as jnp
    >>> x, w = jnp.ones((1, 2, 5, 5)), jnp.ones((3, 2, 3, 3))
    >>> conv_general_dilated_p.bind(x, w, window_strides=(1, 1), padding=((1, 1), (1, 1)),
    ...     lhs_dilation=(1, 1), rhs_dilation=(1, 1), feature_group_count=1,
    ...     batch_group_count=1, preferred_element_type=None).shape
    (1, 3, 5, 5)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from functorch_lite import dtypes
from functorch_lite.array import Array
from functorch_lite.core import Primitive, ShapedArray
from functorch_lite.ops import params as P
from functorch_lite.ops.kernels import conv as k
from functorch_lite.ops.shape_ops import rev_p
from functorch_lite.ops.tables import batch_rules, jvp_rules, param_types, vjp_rules

Pads = tuple[tuple[int, int], ...]

CONV: dict[str, Primitive] = {}

conv_general_dilated_p = Primitive("conv_general_dilated")
CONV["conv_general_dilated"] = conv_general_dilated_p

_POSITIVE = P.int_in(1, P.INT_LIMIT - 1)


def _is_pair(v: Any) -> bool:
    return type(v) is tuple and len(v) == 2 and all(P.is_any_int(x) for x in v)


param_types[conv_general_dilated_p] = {
    "window_strides": P.ParamSpec("a tuple of positive integers", P.tuple_of(_POSITIVE, P.MAX_NDIM)),
    "padding": P.ParamSpec("a tuple of (low, high) integer pairs", P.tuple_of(_is_pair, P.MAX_NDIM)),
    "lhs_dilation": P.ParamSpec("a tuple of positive integers", P.tuple_of(_POSITIVE, P.MAX_NDIM)),
    "rhs_dilation": P.ParamSpec("a tuple of positive integers", P.tuple_of(_POSITIVE, P.MAX_NDIM)),
    "feature_group_count": P.ParamSpec("a positive integer", P.int_in(1, 2**31)),
    "batch_group_count": P.ParamSpec("a positive integer", P.int_in(1, 2**31)),
    "preferred_element_type": P.ParamSpec("a supported dtype or None", lambda v: v is None or P.is_dtype(v),
                                          required=False),
}


def _dilate(n: int, d: int) -> int:
    return 0 if n == 0 else (n - 1) * d + 1


def _ints(name: str, v: Any, n: int, lo: int, shapes: str) -> tuple[int, ...]:
    if (not isinstance(v, tuple) or len(v) != n
            or not all(isinstance(e, int) and not isinstance(e, bool) and e >= lo for e in v)):
        raise ValueError(
            f"conv_general_dilated: {name} must be a tuple of {n} integers >= {lo} (one per spatial "
            f"dimension of {shapes}), got {v!r}"
        )
    return v


def conv_shape(lhs: tuple[int, ...], rhs: tuple[int, ...], window_strides: tuple[int, ...], padding: Pads,
               lhs_dilation: tuple[int, ...], rhs_dilation: tuple[int, ...], feature_group_count: int,
               batch_group_count: int) -> tuple[int, ...]:
    """The canonical output shape of ``conv_general_dilated``, or a clear error.

    Example:
        >>> conv_shape((8, 4, 10, 10), (6, 2, 3, 3), (2, 2), ((1, 1), (1, 1)), (1, 1), (1, 1), 2, 1)
        (8, 6, 5, 5)
    """
    shapes = f"lhs {lhs} and rhs {rhs}"
    if len(lhs) != len(rhs) or len(lhs) < 2:
        raise ValueError(
            f"conv_general_dilated: lhs and rhs need the same number of dimensions (batch/feature and "
            f"the spatial ones), at least 2, got {shapes}"
        )
    nsp = len(lhs) - 2
    strides = _ints("window_strides", window_strides, nsp, 1, shapes)
    ld = _ints("lhs_dilation", lhs_dilation, nsp, 1, shapes)
    rd = _ints("rhs_dilation", rhs_dilation, nsp, 1, shapes)
    if (not isinstance(padding, tuple) or len(padding) != nsp
            or not all(isinstance(q, tuple) and len(q) == 2
                       and all(isinstance(e, int) and not isinstance(e, bool) for e in q) for q in padding)):
        raise ValueError(
            f"conv_general_dilated: padding must be a tuple of {nsp} (low, high) integer pairs for {shapes}, "
            f"got {padding!r}"
        )
    fgc, bgc = feature_group_count, batch_group_count
    for name, g in (("feature_group_count", fgc), ("batch_group_count", bgc)):
        if not isinstance(g, int) or isinstance(g, bool) or g < 1:
            raise ValueError(f"conv_general_dilated: {name} must be a positive integer, got {g!r}")
    if fgc > 1 and bgc > 1:
        raise ValueError(
            f"conv_general_dilated: at most one of feature_group_count ({fgc}) and batch_group_count "
            f"({bgc}) may exceed 1"
        )
    n, c = lhs[:2]
    o, i = rhs[:2]
    if c % fgc:
        raise ValueError(
            f"conv_general_dilated: feature_group_count {fgc} must divide the lhs feature (channel) "
            f"size {c} ({shapes})"
        )
    if c // fgc != i:
        hint = f" divided by feature_group_count {fgc}" if fgc > 1 else ""
        raise ValueError(
            f"conv_general_dilated: the lhs feature (channel) size {c}{hint} must equal the rhs input "
            f"feature size {i} ({shapes}; canonical layouts: lhs (N, C, ...), rhs (O, I, ...))"
        )
    for name, g in (("feature_group_count", fgc), ("batch_group_count", bgc)):
        if o % g:
            raise ValueError(
                f"conv_general_dilated: the rhs output feature size {o} must be a multiple of "
                f"{name} {g} ({shapes})"
            )
    if n % bgc:
        raise ValueError(
            f"conv_general_dilated: batch_group_count {bgc} must divide the lhs batch size {n} ({shapes})"
        )
    out = [n // bgc, o]
    for d in range(nsp):
        lo, hi = padding[d]
        padded = _dilate(lhs[2 + d], ld[d]) + lo + hi
        if padded < 0:
            raise ValueError(
                f"conv_general_dilated: negative padding {padding[d]} is larger than spatial dimension "
                f"{d} of the (dilated) lhs, size {_dilate(lhs[2 + d], ld[d])} ({shapes})"
            )
        out.append(max(0, (padded - _dilate(rhs[2 + d], rd[d])) // strides[d] + 1))
    return tuple(out)


def _conv_abstract(lhs: ShapedArray, rhs: ShapedArray, *, window_strides: tuple[int, ...], padding: Pads,
                   lhs_dilation: tuple[int, ...], rhs_dilation: tuple[int, ...], feature_group_count: int,
                   batch_group_count: int, preferred_element_type: np.dtype[Any] | None = None) -> ShapedArray:
    if lhs.dtype != rhs.dtype:
        raise TypeError(
            f"conv_general_dilated: operands must have equal dtypes, got {lhs.str_short()} and "
            f"{rhs.str_short()}; convert one first (e.g. rhs.astype(lhs.dtype))"
        )
    shape = conv_shape(lhs.shape, rhs.shape, window_strides, padding, lhs_dilation, rhs_dilation,
                       feature_group_count, batch_group_count)
    if preferred_element_type is None:
        return ShapedArray(shape, lhs.dtype, lhs.weak_type and rhs.weak_type)
    out = dtypes.canonicalize(preferred_element_type)
    if dtypes.promote_types(lhs.dtype, out) != out:
        raise TypeError(
            f"conv_general_dilated: preferred_element_type {out} is narrower than the operand dtype "
            f"{lhs.dtype}; pass a dtype that {lhs.dtype} promotes to (or None)"
        )
    return ShapedArray(shape, out, False)


# (shapes, dtype, params) -> validated output aval; see linalg._AVAL_CACHE for why no lock
_AVAL_CACHE: dict[tuple[Any, ...], ShapedArray] = {}


def _conv_impl(lhs: Array, rhs: Array, *, window_strides: tuple[int, ...], padding: Pads,
               lhs_dilation: tuple[int, ...], rhs_dilation: tuple[int, ...], feature_group_count: int,
               batch_group_count: int, preferred_element_type: np.dtype[Any] | None = None) -> Array:
    params = (window_strides, padding, lhs_dilation, rhs_dilation, feature_group_count, batch_group_count,
              preferred_element_type)
    key = (lhs._shape, rhs._shape, lhs._dtype, rhs._dtype) + params
    aval = _AVAL_CACHE.get(key)
    if aval is None:
        aval = _conv_abstract(
            ShapedArray(lhs.shape, lhs.dtype), ShapedArray(rhs.shape, rhs.dtype),
            window_strides=window_strides, padding=padding, lhs_dilation=lhs_dilation,
            rhs_dilation=rhs_dilation, feature_group_count=feature_group_count,
            batch_group_count=batch_group_count, preferred_element_type=preferred_element_type)
        if len(_AVAL_CACHE) > 1024:
            _AVAL_CACHE.clear()
        _AVAL_CACHE[key] = aval
    x, w = lhs._numpy(), rhs._numpy()
    if x.dtype != aval.dtype:
        x, w = x.astype(aval.dtype), w.astype(aval.dtype)
    out = k.conv(x, w, window_strides, padding, lhs_dilation, rhs_dilation, feature_group_count,
                 batch_group_count, aval.dtype)
    weak = preferred_element_type is None and lhs.weak_type and rhs.weak_type
    return Array._wrap(out, weak)


conv_general_dilated_p.impl = _conv_impl
conv_general_dilated_p.abstract_eval = _conv_abstract


# --- differentiation and batching rules ---------------------------------------------------
from functorch_lite.ops import _rules as r  # noqa: E402


def _bind(lhs: Any, rhs: Any, window_strides: tuple[int, ...], padding: Pads, lhs_dilation: tuple[int, ...],
          rhs_dilation: tuple[int, ...], feature_group_count: int, batch_group_count: int,
          preferred_element_type: np.dtype[Any] | None = None) -> Any:
    return conv_general_dilated_p.bind(
        lhs, rhs, window_strides=window_strides, padding=padding, lhs_dilation=lhs_dilation,
        rhs_dilation=rhs_dilation, feature_group_count=feature_group_count,
        batch_group_count=batch_group_count, preferred_element_type=preferred_element_type)


def _swap01(x: Any) -> Any:
    return r.transpose(x, (1, 0) + tuple(range(2, r.get_aval(x).ndim)))


def _axis_out_of(x: Any, src: int, size1: int) -> Any:
    """Split axis ``src`` into ``(size1, rest)`` (major, minor)."""
    shape = r.get_aval(x).shape
    return r.reshape(x, shape[:src] + (size1, shape[src] // size1) + shape[src + 1:])


def _axis_into(x: Any, src: int, dst: int) -> Any:
    """Merge axis ``src`` into axis ``dst`` (numbered after ``src`` is removed) as its major part."""
    nd = r.get_aval(x).ndim
    perm = [i for i in range(nd) if i != src]
    perm.insert(dst, src)
    y = r.transpose(x, perm)
    shape = r.get_aval(y).shape
    return r.reshape(y, shape[:dst] + (shape[dst] * shape[dst + 1],) + shape[dst + 2:])


def _conv_jvp(primals: Any, tangents: Any, **params: Any) -> tuple[Any, Any]:
    lhs, rhs = primals
    tl, tr = tangents
    ans = conv_general_dilated_p.bind(lhs, rhs, **params)
    out = None
    if not isinstance(tl, r.Zero):
        out = conv_general_dilated_p.bind(tl, rhs, **params)
    if not isinstance(tr, r.Zero):
        term = conv_general_dilated_p.bind(lhs, tr, **params)
        out = term if out is None else r.add(out, term)
    return ans, (r.Zero(r.get_aval(ans)) if out is None else out)


def _lhs_ct(ct: Any, ans: Any, lhs: Any, rhs: Any, *, window_strides: tuple[int, ...], padding: Pads,
            lhs_dilation: tuple[int, ...], rhs_dilation: tuple[int, ...], feature_group_count: int,
            batch_group_count: int, preferred_element_type: np.dtype[Any] | None = None) -> Any:
    """d lhs: the cotangent convolved with the flipped kernel, in/out features swapped
    (groups moved to the swapped output features), ``lhs_dilation = window_strides``."""
    if not r.is_float(lhs):
        return None
    la, ra, ca = r.get_aval(lhs), r.get_aval(rhs), r.get_aval(ct)
    nsp = la.ndim - 2
    groups = max(feature_group_count, batch_group_count)
    w = rhs
    if groups > 1:
        w = _axis_into(_axis_out_of(w, 0, groups), 0, 1)  # (O/G, G*I, K...)
    w = _swap01(rev_p.bind(w, dimensions=tuple(range(2, la.ndim))))  # (G*I, O/G, K...)
    pads = []
    for d in range(nsp):
        din = _dilate(la.shape[2 + d], lhs_dilation[d])
        dwin = _dilate(ra.shape[2 + d], rhs_dilation[d])
        dout = _dilate(ca.shape[2 + d], window_strides[d])
        before = dwin - padding[d][0] - 1
        pads.append((before, din + dwin - 1 - dout - before))
    g = r.convert(ct, la.dtype) if ca.dtype != la.dtype else ct
    out = _bind(g, w, lhs_dilation, tuple(pads), window_strides, rhs_dilation, groups, 1)
    if batch_group_count > 1:
        out = _axis_into(_axis_out_of(out, 1, batch_group_count), 1, 0)
    return out


def _rhs_ct(ct: Any, ans: Any, lhs: Any, rhs: Any, *, window_strides: tuple[int, ...], padding: Pads,
            lhs_dilation: tuple[int, ...], rhs_dilation: tuple[int, ...], feature_group_count: int,
            batch_group_count: int, preferred_element_type: np.dtype[Any] | None = None) -> Any:
    """d rhs: the lhs (batch and features swapped) convolved with the cotangent as the
    window (``rhs_dilation = window_strides``); feature groups become batch groups."""
    if not r.is_float(rhs):
        return None
    la, ra, ca = r.get_aval(lhs), r.get_aval(rhs), r.get_aval(ct)
    if 0 in ca.shape:
        return r.full_aval(ShapedArray(ra.shape, ra.dtype), 0)
    nsp = la.ndim - 2
    fgc, bgc = (batch_group_count, 1) if batch_group_count > 1 else (1, feature_group_count)
    pads = []
    for d in range(nsp):
        din = _dilate(la.shape[2 + d], lhs_dilation[d])
        dwin = _dilate(ra.shape[2 + d], rhs_dilation[d])
        dout = _dilate(ca.shape[2 + d], window_strides[d])
        lo = padding[d][0]
        pads.append((lo, (dout - din) + (dwin - lo - 1)))
    g = r.convert(ct, la.dtype) if ca.dtype != la.dtype else ct
    out = _bind(_swap01(lhs), _swap01(g), rhs_dilation, tuple(pads), lhs_dilation, window_strides, fgc, bgc)
    return _swap01(out)


jvp_rules[conv_general_dilated_p] = _conv_jvp
vjp_rules[conv_general_dilated_p] = (_lhs_ct, _rhs_ct)


def _conv_batch(vals: Any, dims: Any, *, axis_size: int, window_strides: tuple[int, ...], padding: Pads,
                lhs_dilation: tuple[int, ...], rhs_dilation: tuple[int, ...], feature_group_count: int,
                batch_group_count: int, preferred_element_type: np.dtype[Any] | None = None) -> Any:
    (lhs, rhs), (dl, dr) = vals, dims
    geo = (window_strides, padding, lhs_dilation, rhs_dilation)
    fgc, bgc, pet = feature_group_count, batch_group_count, preferred_element_type
    b = axis_size
    if dl is not None and dr is not None:
        lhs, rhs = r.moveaxis(lhs, dl, 0), r.moveaxis(rhs, dr, 0)
        if bgc > 1:
            lhs, bgc = _axis_into(lhs, 0, 0), bgc * b  # (B*N, C, ...): B more batch groups
        else:
            lhs, fgc = _axis_into(lhs, 0, 1), fgc * b  # (N, B*C, ...): B more feature groups
        out = _bind(lhs, _axis_into(rhs, 0, 0), *geo, fgc, bgc, pet)
        return _axis_out_of(out, 1, b), 1
    if dl is not None:
        lhs = r.moveaxis(lhs, dl, 0)
        if bgc == 1:
            out = _bind(_axis_into(lhs, 0, 0), rhs, *geo, fgc, bgc, pet)
        else:
            # keep the batch groups outermost: (B, G, N/G, ...) -> (G, B*N/G, ...) -> (G*B*N/G, ...)
            lhs = _axis_into(_axis_out_of(lhs, 1, bgc), 0, 1)
            out = _bind(_axis_into(lhs, 0, 0), rhs, *geo, fgc, bgc, pet)
        return _axis_out_of(out, 0, b), 0
    rhs = r.moveaxis(rhs, dr, 0)
    if fgc == 1 and bgc == 1:
        out = _bind(lhs, _axis_into(rhs, 0, 0), *geo, fgc, bgc, pet)
        return _axis_out_of(out, 1, b), 1
    groups = max(fgc, bgc)
    # groups outermost in the output features: (B, G, O/G, ...) -> (G, B*O/G, ...) -> (G*B*O/G, ...)
    w = _axis_into(_axis_into(_axis_out_of(rhs, 1, groups), 0, 1), 0, 0)
    out = _bind(lhs, w, *geo, fgc, bgc, pet)
    out = _axis_out_of(_axis_out_of(out, 1, groups), 2, b)  # (N, G, B, O/G, ...)
    return _axis_into(out, 1, 2), 1


batch_rules[conv_general_dilated_p] = _conv_batch
