"""Convolution and pooling on tensors (``F.conv2d``, ``F.max_pool2d``...),
as PyTorch spells them.

Each is one call of the functional core's windowed primitives
(``lax.conv_general_dilated``, ``lax.reduce_window``), recorded as one tape
node, so ``backward()``, ``grad``, ``vmap`` and ``jit`` all use those
primitives' rules.  Layouts are PyTorch's: input (N, C, *spatial) or
unbatched (C, *spatial), weight (out_channels, in_channels / groups,
*kernel).

Example:
    >>> import functorch_lite as fl
    >>> import functorch_lite.nn.functional as F
    >>> x = fl.arange(16.0).reshape(1, 1, 4, 4)
    >>> F.conv2d(x, fl.ones(1, 1, 2, 2), stride=2).tolist()
    [[[[10.0, 18.0], [42.0, 50.0]]]]
    >>> F.max_pool2d(x, 2).tolist(), F.avg_pool2d(x, 2).tolist()
    ([[[[5.0, 7.0], [13.0, 15.0]]]], [[[[2.5, 4.5], [10.5, 12.5]]]])
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

import functorch_lite.numpy as jnp
from functorch_lite import lax
from functorch_lite.array import Array
from functorch_lite.dtypes import keep_64_bit_in_module
from functorch_lite.stateful import Tensor
from functorch_lite.stateful._autograd import SAVE_ALL, SAVE_NONE, apply_op

_PAD_MODES = {"zeros": None, "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def ntuple(v: Any, n: int, name: str) -> tuple[int, ...]:
    """An int or a length-``n`` sequence of ints as a tuple of ``n`` ints."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return (int(v),) * n
    if isinstance(v, (tuple, list)) and len(v) == n and all(
            isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in v):
        return tuple(int(i) for i in v)
    if isinstance(v, (tuple, list)) and len(v) == 1 and n > 1:
        return ntuple(v[0], n, name)
    raise TypeError(f"{name} must be an int or a tuple of {n} ints, got {v!r}")


def _batched(input: Tensor, nsp: int, name: str) -> tuple[Tensor, bool]:  # noqa: A002 - PyTorch's name
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): input must be a Tensor, got {type(input).__name__}")
    if input.ndim == nsp + 1:
        return input.unsqueeze(0), True
    if input.ndim != nsp + 2:
        raise RuntimeError(f"{name}: expected {nsp + 1}D (unbatched) or {nsp + 2}D (batched) input, got input of "
                           f"size {list(input.shape)}")
    return input, False


def _same_pads(kernel: tuple[int, ...], dilation: tuple[int, ...]) -> list[tuple[int, int]]:
    # PyTorch's 'same': the extra element of an odd total padding goes on the right
    out = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        out.append((total // 2, total - total // 2))
    return out


def _conv(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any,  # noqa: A002
          dilation: Any, groups: int, nsp: int, name: str) -> Tensor:
    x, unbatched = _batched(input, nsp, name)
    if not isinstance(weight, Tensor) or weight.ndim != nsp + 2:
        raise RuntimeError(f"{name}: expected weight of {nsp + 2} dims (out_channels, in_channels / groups, *kernel), "
                           f"got {list(getattr(weight, 'shape', []))}")
    if x.dtype != weight.dtype or (bias is not None and bias.dtype != weight.dtype):
        raise RuntimeError(f"{name}: input type ({x.dtype}), weight type ({weight.dtype})"
                           + (f" and bias type ({bias.dtype})" if bias is not None else "")
                           + " should be the same; convert with .to(dtype)")
    if not isinstance(groups, int) or groups < 1:
        raise RuntimeError(f"{name}: non-positive groups is not supported, got {groups!r}")
    st, dil = ntuple(stride, nsp, "stride"), ntuple(dilation, nsp, "dilation")
    if min(st) < 1 or min(dil) < 1:
        raise RuntimeError(f"{name}: stride and dilation must be positive, got stride={st}, dilation={dil}")
    kernel = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            pads = [(0, 0)] * nsp
        elif padding == "same":
            if any(s != 1 for s in st):
                raise ValueError(f"{name}: padding='same' is not supported for strided convolutions (stride={st})")
            pads = _same_pads(kernel, dil)
        else:
            raise ValueError(f"{name}: invalid padding string {padding!r}, should be one of 'valid', 'same'")
    else:
        pads = [(p, p) for p in ntuple(padding, nsp, "padding")]
        if min(p for p, _ in pads) < 0:
            raise RuntimeError(f"{name}: negative padding is not supported, got {padding!r}")
    c_in = x.shape[1]
    if c_in != weight.shape[1] * groups or weight.shape[0] % groups:
        raise RuntimeError(
            f"{name}: expected input {list(x.shape)} to have {weight.shape[1] * groups} channels (weight "
            f"{list(weight.shape)} with groups={groups}), but got {c_in} channels instead")
    for i, (n, k, d, (lo, hi)) in enumerate(zip(x.shape[2:], kernel, dil, pads)):
        if n + lo + hi < d * (k - 1) + 1:
            raise RuntimeError(
                f"{name}: calculated padded input size per channel ({n + lo + hi}) in spatial dim {i} is smaller than "
                f"the (dilated) kernel size ({d * (k - 1) + 1}); input {list(x.shape)}, weight {list(weight.shape)}")
    dn = lax.conv_dimension_numbers(tuple(x.shape), tuple(weight.shape), _layouts(nsp))

    def run(xa: Any, wa: Any, *b: Any) -> Any:
        out = lax.conv_general_dilated(xa, wa, st, pads, rhs_dilation=dil, dimension_numbers=dn,
                                       feature_group_count=groups)
        if b:
            out = out + b[0].reshape((1, -1) + (1,) * nsp)
        return out

    args = (x, weight) if bias is None else (x, weight, bias)
    out = apply_op(run, args, "ConvolutionBackward0", SAVE_ALL)
    return out.squeeze(0) if unbatched else out  # type: ignore[no-any-return]


def _layouts(nsp: int) -> tuple[str, str, str]:
    sp = "DHW"[3 - nsp:] if nsp <= 3 else "".join(chr(ord("a") + i) for i in range(nsp))
    return "NC" + sp, "OI" + sp, "NC" + sp


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,  # noqa: A002
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D convolution (cross-correlation, as PyTorch) over (N, C, L) input.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.nn.functional as F
        >>> F.conv1d(fl.tensor([[[1.0, 2.0, 3.0]]]), fl.tensor([[[1.0, -1.0]]])).tolist()
        [[[-1.0, -1.0]]]
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,  # noqa: A002
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D convolution over (N, C, H, W) input with weight (O, C / groups, kH, kW);
    ``padding`` an int, a pair, ``'valid'`` or ``'same'``.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.nn.functional as F
        >>> F.conv2d(fl.ones(2, 3, 5, 5), fl.ones(4, 3, 3, 3), padding=1).shape
        functorch_lite.Size([2, 4, 5, 5])
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,  # noqa: A002
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """3-D convolution over (N, C, D, H, W) input.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.nn.functional as F
        >>> F.conv3d(fl.ones(1, 1, 3, 3, 3), fl.ones(1, 1, 3, 3, 3)).tolist()
        [[[[[27.0]]]]]
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def pad_input(input: Tensor, pads: tuple[int, ...], mode: str) -> Tensor:  # noqa: A002
    """``input`` padded on its last ``len(pads)`` dims (``pads`` per dim,
    both sides) in a ``padding_mode`` of the conv modules."""
    np_mode = _PAD_MODES.get(mode)
    if mode not in _PAD_MODES:
        raise ValueError(f"padding_mode must be one of {sorted(_PAD_MODES)}, got {mode!r}")
    if np_mode is None or not any(pads):
        return input
    width = [(0, 0)] * (input.ndim - len(pads)) + [(p, p) for p in pads]
    return apply_op(lambda a: jnp.pad(a, width, mode=np_mode), (input,), "PadBackward0",  # type: ignore[no-any-return]
                    SAVE_NONE)


# pooling ---------------------------------------------------------------------------------------------
def _pool_out(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    span = n + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1  # the last window must start inside the input or the left padding
    return out


def _pool_geometry(x: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: bool,
                   nsp: int, name: str) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[int, ...],
                                                 list[tuple[int, int]]]:
    k = ntuple(kernel_size, nsp, "kernel_size")
    s = k if stride is None or (isinstance(stride, (tuple, list)) and not stride) else ntuple(stride, nsp, "stride")
    p = ntuple(padding, nsp, "padding")
    d = ntuple(dilation, nsp, "dilation")
    if min(k) < 1 or min(s) < 1 or min(d) < 1 or min(p) < 0:
        raise RuntimeError(f"{name}: kernel_size, stride and dilation must be positive and padding non-negative, got "
                           f"kernel_size={k}, stride={s}, padding={p}, dilation={d}")
    for ki, pi in zip(k, p):
        if pi > ki // 2:
            raise RuntimeError(f"{name}: pad should be at most half of effective kernel size, but got pad={pi}, "
                               f"kernel_size={ki}")
    outs = []
    extra = []
    for n, ki, si, pi, di in zip(x.shape[2:], k, s, p, d):
        o = _pool_out(n, ki, si, pi, di, ceil_mode)
        if o < 1:
            raise RuntimeError(f"{name}: input {list(x.shape)} is too small for kernel_size={k}, padding={p}, "
                               f"dilation={d} (output size {o})")
        outs.append(o)
        # ceil_mode may need windows past the right padding: pad further (never read: -inf / counted 0)
        need = (o - 1) * si + di * (ki - 1) + 1
        extra.append(max(0, need - (n + 2 * pi)))
    pads = [(pi, pi + e) for pi, e in zip(p, extra)]
    return k, s, p, d, pads


def _reduce(a: Any, init: Any, op: Callable[..., Any], k: tuple[int, ...], s: tuple[int, ...],
            pads: list[tuple[int, int]], d: tuple[int, ...] | None = None) -> Any:
    dil = None if d is None else (1, 1, *d)
    return lax.reduce_window(a, init, op, (1, 1, *k), (1, 1, *s), [(0, 0), (0, 0), *pads], window_dilation=dil)


def _max_pool(input: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any,  # noqa: A002
              ceil_mode: bool, return_indices: bool, nsp: int, name: str) -> Tensor:
    if return_indices:
        raise NotImplementedError(
            f"{name}(return_indices=True) is not supported yet (nor MaxUnpool); take the maximum without "
            "indices, or find them with argmax over unfolded windows")
    x, unbatched = _batched(input, nsp, name)
    k, s, _, d, pads = _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode, nsp, name)
    init: Any = -math.inf if x.dtype.is_floating_point else int(np.iinfo(x.dtype.np_dtype).min)
    out = apply_op(lambda a: _reduce(a, init, lax.max, k, s, pads, d),
                   (x,), f"MaxPool{nsp}DWithIndicesBackward0",
                   SAVE_ALL)
    return out.squeeze(0) if unbatched else out  # type: ignore[no-any-return]


def _avg_pool(input: Tensor, kernel_size: Any, stride: Any, padding: Any, ceil_mode: bool,  # noqa: A002
              count_include_pad: bool, divisor_override: int | None, nsp: int, name: str) -> Tensor:
    x, unbatched = _batched(input, nsp, name)
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"{name}: expected a floating point input, got {x.dtype}")
    k, s, p, _, pads = _pool_geometry(x, kernel_size, stride, padding, 1, ceil_mode, nsp, name)
    if divisor_override is not None and (not isinstance(divisor_override, int) or divisor_override == 0):
        raise RuntimeError(f"{name}: divisor must be a non-zero int, got {divisor_override!r}")
    spatial = tuple(x.shape[2:])
    np_dt = x.dtype.np_dtype
    if divisor_override is not None:
        divisor: Any = float(divisor_override)
    elif all(lo == hi == 0 for lo, hi in pads) or (count_include_pad and all(hi == lo for lo, hi in pads)):
        divisor = float(math.prod(k))
    else:
        # elements each window covers: inside the padded input (count_include_pad) or the input only
        ones = np.zeros((1, 1, *(n + 2 * pi for n, pi in zip(spatial, p))), np_dt)
        inner: tuple[Any, ...] = (0, 0, *(slice(pi, pi + n) for n, pi in zip(spatial, p)))
        if count_include_pad:
            ones[...] = 1
        else:
            ones[inner] = 1
        extra = [(0, hi - lo) for lo, hi in pads]
        divisor = _reduce(Array._wrap(ones), 0.0, lax.add, k, s, extra)
    out = apply_op(lambda a: _reduce(a, 0.0, lax.add, k, s, pads) / divisor, (x,),
                   f"AvgPool{nsp}DBackward0", SAVE_NONE)
    return out.squeeze(0) if unbatched else out  # type: ignore[no-any-return]


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Tensor:
    """The maximum over windows of the last dim of (N, C, L) input.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.nn.functional as F
        >>> F.max_pool1d(fl.tensor([[[1.0, 3.0, 2.0, 5.0]]]), 2).tolist()
        [[[3.0, 5.0]]]
    """
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1, "max_pool1d")


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Tensor:
    """The maximum over (kH, kW) windows of (N, C, H, W) input; ``stride``
    defaults to the kernel size, padding counts as -inf.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.nn.functional as F
        >>> F.max_pool2d(fl.arange(9.0).reshape(1, 3, 3), 2, stride=1).tolist()
        [[[4.0, 5.0], [7.0, 8.0]]]
    """
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2, "max_pool2d")


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """The mean over windows of the last dim of (N, C, L) input.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.nn.functional as F
        >>> F.avg_pool1d(fl.tensor([[[1.0, 3.0, 2.0, 5.0]]]), 2).tolist()
        [[[2.0, 3.5]]]
    """
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1, "avg_pool1d")


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """The mean over (kH, kW) windows of (N, C, H, W) input (padding counted
    in the divisor unless ``count_include_pad=False``).

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.nn.functional as F
        >>> F.avg_pool2d(fl.ones(1, 1, 2, 2), 2, padding=1).tolist()
        [[[[0.25, 0.25], [0.25, 0.25]]]]
    """
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 2,
                     "avg_pool2d")


def _adaptive_matrix(n: int, out: int, dtype: Any) -> Array:
    """(out, n): row i averages input positions floor(i n / out) .. ceil((i + 1) n / out) - 1."""
    m = np.zeros((out, n), dtype)
    for i in range(out):
        lo, hi = (i * n) // out, -(-((i + 1) * n) // out)
        m[i, lo:hi] = 1.0 / (hi - lo)
    return Array._wrap(m)


def _adaptive_sizes(output_size: Any, spatial: tuple[int, ...]) -> tuple[int, ...]:
    n = len(spatial)
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size,) * n
    sizes = tuple(spatial[i] if o is None else o for i, o in enumerate(output_size))
    if len(sizes) != n or not all(isinstance(o, (int, np.integer)) and o >= 1 for o in sizes):
        raise RuntimeError(f"adaptive pooling: output_size must be {n} positive ints (or None), got {output_size!r}")
    return tuple(int(o) for o in sizes)


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:  # noqa: A002
    """Mean pooling of (N, C, L) input to ``output_size`` positions with
    PyTorch's window bounds (floor start, ceil end).

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.nn.functional as F
        >>> F.adaptive_avg_pool1d(fl.tensor([[[1.0, 2.0, 3.0, 4.0, 5.0]]]), 2).tolist()
        [[[2.0, 4.0]]]
    """
    return _adaptive(input, output_size, 1, "adaptive_avg_pool1d")


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:  # noqa: A002
    """Mean pooling of (N, C, H, W) input to ``output_size`` (an int, a pair,
    None keeping a dim), as ``torch.nn.functional.adaptive_avg_pool2d``.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.nn.functional as F
        >>> F.adaptive_avg_pool2d(fl.arange(16.0).reshape(1, 1, 4, 4), 1).tolist()
        [[[[7.5]]]]
    """
    return _adaptive(input, output_size, 2, "adaptive_avg_pool2d")


def _adaptive(input: Tensor, output_size: Any, nsp: int, name: str) -> Tensor:  # noqa: A002
    x, unbatched = _batched(input, nsp, name)
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"{name}: expected a floating point input, got {x.dtype}")
    spatial = tuple(x.shape[2:])
    if min(spatial, default=1) < 1:
        raise RuntimeError(f"{name}: input {list(x.shape)} has an empty spatial dim")
    sizes = _adaptive_sizes(output_size, spatial)
    np_dt = x.dtype.np_dtype
    mats = [_adaptive_matrix(n, o, np_dt) for n, o in zip(spatial, sizes)]

    def run(a: Any) -> Any:
        # one (out, n) averaging matrix per spatial dim: separable, linear, and exact for uneven windows
        for i, m in enumerate(mats):
            a = jnp.moveaxis(jnp.tensordot(a, m, axes=([2 + i], [1])), -1, 2 + i)
        return a

    out = apply_op(run, (x,), f"AdaptiveAvgPool{nsp}DBackward0", SAVE_NONE)
    return out.squeeze(0) if unbatched else out  # type: ignore[no-any-return]


keep_64_bit_in_module(globals())  # PyTorch's dtype rules whatever the functional API's 64-bit mode
