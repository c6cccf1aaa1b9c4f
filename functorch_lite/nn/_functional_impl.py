"""The implementation behind :mod:`functorch_lite.nn.functional`, which re-exports its ``__all__``
(and whose docstring describes the module)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import functorch_lite.numpy as jnp
import functorch_lite.scipy.special as jsp
from functorch_lite.array import Array
from functorch_lite.dtypes import keep_64_bit_in_module
from functorch_lite.nn._conv import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    conv1d,
    conv2d,
    conv3d,
    max_pool1d,
    max_pool2d,
)
from functorch_lite.ops.linalg import dot_general_p
from functorch_lite.stateful import Tensor, arange, as_tensor, int64, no_grad, rand, where
from functorch_lite.stateful._autograd import JitOp, apply_op
from functorch_lite.stateful._layout import norm_dim

_REDUCTIONS = ("none", "mean", "sum")


# activations ----------------------------------------------------------------------------------------
def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002 - PyTorch's names
    """``max(x, 0)``.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.nn.functional as F
        >>> F.relu(fl.tensor([-1.0, 3.0])).tolist()
        [0.0, 3.0]
    """
    return input.relu_() if inplace else input.relu()  # type: ignore[no-any-return]


def _erf(x: Tensor) -> Tensor:
    # Tensor has no erf method: the core's erf through the tape's generic op (its vjp rule gives the grad)
    return apply_op(jsp.erf, [x], "ErfBackward0")  # type: ignore[no-any-return]


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    """``x * Phi(x)`` (``approximate='none'``, with erf) or PyTorch's tanh
    approximation ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.nn.functional as F
        >>> round(F.gelu(fl.tensor([1.0])).item(), 4), round(F.gelu(fl.tensor([1.0]), approximate="tanh").item(), 4)
        (0.8413, 0.8412)
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate argument must be either none or tanh, got {approximate!r}")
    if input.dtype.is_floating_point and not input._traced:
        op = _GELU if approximate == "none" else _GELU_TANH
        return op((input,), (), "GeluBackward0")  # type: ignore[no-any-return]
    if approximate == "none":
        return input * 0.5 * (1.0 + _erf(input * (1.0 / math.sqrt(2.0))))  # type: ignore[no-any-return]
    inner = (input + 0.044715 * input * input * input) * math.sqrt(2.0 / math.pi)
    return 0.5 * input * (1.0 + inner.tanh())  # type: ignore[no-any-return]


def _gelu_core(a: Any) -> Any:
    return a * 0.5 * (1.0 + jsp.erf(a * (1.0 / math.sqrt(2.0))))


def _gelu_tanh_core(a: Any) -> Any:
    return 0.5 * a * (1.0 + jnp.tanh((a + 0.044715 * a * a * a) * math.sqrt(2.0 / math.pi)))


def _silu_core(a: Any) -> Any:
    return a / (1.0 + jnp.exp(-a))


_GELU, _GELU_TANH, _SILU = JitOp(_gelu_core), JitOp(_gelu_tanh_core), JitOp(_silu_core)


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    """Elementwise tanh."""
    return input.tanh()  # type: ignore[no-any-return]


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """Elementwise ``1 / (1 + exp(-x))``."""
    return input.sigmoid()  # type: ignore[no-any-return]


def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``x * sigmoid(x)``."""
    if input.dtype.is_floating_point and not input._traced:
        out = _SILU((input,), (), "SiluBackward0")
    else:
        out = input * input.sigmoid()
    return input.copy_(out) if inplace else out  # type: ignore[no-any-return]


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    """``x`` where positive, ``negative_slope * x`` elsewhere."""
    out = where(input > 0, input, input * negative_slope)
    return input.copy_(out) if inplace else out  # type: ignore[no-any-return]


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    """``log(1 + exp(beta x)) / beta``, linear where ``beta x > threshold``."""
    bx = input * beta
    soft = (bx.clamp(max=threshold)).exp().log1p() / beta
    return where(bx > threshold, input, soft)  # type: ignore[no-any-return]


def _softmax_dim(ndim: int, name: str) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. "
                  "Change the call to include dim=X as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def _cast(input: Tensor, dtype: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    return input if dtype is None else input.to(dtype)


def softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:  # noqa: A002
    """``exp(x) / sum(exp(x))`` along ``dim`` (shifted by the max, which
    cancels, so large inputs do not overflow).

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.nn.functional as F
        >>> [round(v, 4) for v in F.softmax(fl.tensor([0.0, 1.0]), dim=0).tolist()]
        [0.2689, 0.7311]
    """
    x = _cast(input, dtype)
    d = norm_dim(_softmax_dim(x.ndim, "softmax") if dim is None else dim, max(x.ndim, 1))
    return apply_op(lambda a: jnp.softmax(a, axis=d), (x,), "SoftmaxBackward0")  # type: ignore[no-any-return]


def log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:  # noqa: A002
    """``x - logsumexp(x)`` along ``dim``.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.nn.functional as F
        >>> [round(v, 4) for v in F.log_softmax(fl.tensor([0.0, 1.0]), dim=0).tolist()]
        [-1.3133, -0.3133]
    """
    x = _cast(input, dtype)
    d = norm_dim(_softmax_dim(x.ndim, "log_softmax") if dim is None else dim, max(x.ndim, 1))
    return apply_op(lambda a: jnp.log_softmax(a, axis=d), (x,), "LogSoftmaxBackward0")  # type: ignore[no-any-return]


# layers ---------------------------------------------------------------------------------------------
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """``input @ weight.T + bias``.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.nn.functional as F
        >>> F.linear(fl.tensor([[1.0, 2.0]]), fl.tensor([[3.0, 4.0]]), fl.tensor([0.5])).tolist()
        [[11.5]]
    """
    if input.shape[-1:] != weight.shape[-1:]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied: input {tuple(input.shape)} and weight "
                           f"{tuple(weight.shape)} (the input's last dim must equal weight.shape[1])")
    if (weight.ndim == 2 and input.ndim >= 1 and input.dtype == weight.dtype and input.dtype.is_floating_point
            and (bias is None or (bias.dtype == weight.dtype and bias.ndim <= 1))):
        # one compiled op each way (PyTorch's addmm): no per-call tracing of the matmul's pullback
        if bias is None:
            return _LINEAR_NO_BIAS((input, weight), (), "MmBackward0")  # type: ignore[no-any-return]
        return _LINEAR((input, weight, bias), (), "AddmmBackward0")  # type: ignore[no-any-return]
    out = input.matmul(weight.t()) if weight.ndim == 2 else input.matmul(weight)
    return out if bias is None else out + bias  # type: ignore[no-any-return]


def _linear_no_bias_core(x: Any, w: Any) -> Any:
    # x's last dim against w's second, with no transposed view: the weight's cotangent
    # comes out in w's own (out, in) layout, contiguous
    return dot_general_p.bind(x, w, dimension_numbers=(((x.ndim - 1,), (1,)), ((), ())))


def _linear_core(x: Any, w: Any, b: Any) -> Any:
    return _linear_no_bias_core(x, w) + b


_LINEAR = JitOp(_linear_core)
_LINEAR_NO_BIAS = JitOp(_linear_no_bias_core)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y_k = x1^T W_k x2 + b_k`` over the leading (batch) dims.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.nn.functional as F
        >>> F.bilinear(fl.ones(1, 2), fl.ones(1, 3), fl.ones(4, 2, 3)).tolist()
        [[6.0, 6.0, 6.0, 6.0]]
    """
    out_f, in1, in2 = weight.shape
    if input1.shape[-1] != in1 or input2.shape[-1] != in2 or input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear: inputs {tuple(input1.shape)} and {tuple(input2.shape)} do not match "
                           f"weight {tuple(weight.shape)} (need (..., {in1}) and (..., {in2}), same leading dims)")
    lead = tuple(input1.shape[:-1])
    tmp = input1.matmul(weight.permute(1, 0, 2).reshape(in1, out_f * in2)).reshape(*lead, out_f, in2)
    out = (tmp * input2.unsqueeze(-2)).sum(-1)
    return out if bias is None else out + bias  # type: ignore[no-any-return]


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Zero each element with probability ``p`` and scale the rest by
    ``1 / (1 - p)`` when ``training``; the identity otherwise.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.nn.functional as F
        >>> F.dropout(fl.ones(3), 0.5, training=False).tolist()
        [1.0, 1.0, 1.0]
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input.zero_() if inplace else input * 0.0  # type: ignore[no-any-return]
    keep = (rand(*input.shape, dtype=input.dtype) >= p).to(input.dtype) * (1.0 / (1.0 - p))
    return input.mul_(keep) if inplace else input * keep  # type: ignore[no-any-return]


def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,  # noqa: A002
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dims (biased
    variance, ``eps`` inside the square root), then scale and shift.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.nn.functional as F
        >>> [round(v, 3) for v in F.layer_norm(fl.tensor([1.0, 3.0]), (2,)).tolist()]
        [-1.0, 1.0]
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(shape):]) != shape or len(shape) > input.ndim:
        raise RuntimeError(f"layer_norm: expected input with shape [*, {', '.join(map(str, shape))}], "
                           f"but got input of size {tuple(input.shape)}")
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    mean = input.mean(dims, keepdim=True)
    centred = input - mean
    var = (centred * centred).mean(dims, keepdim=True)
    out = centred / (var + eps).sqrt()
    if weight is not None:
        out = out * weight
    return out if bias is None else out + bias  # type: ignore[no-any-return]


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,  # noqa: A002
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float | None = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dim 1) over the batch and spatial dims.
    Training uses the batch statistics and updates the running ones in place
    (``(1 - momentum) * running + momentum * batch``, the unbiased variance);
    evaluation uses the running statistics.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.nn.functional as F
        >>> x = fl.tensor([[1.0], [3.0]])
        >>> [round(v, 3) for v in F.batch_norm(x, None, None, training=True).reshape(-1).tolist()]
        [-1.0, 1.0]
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm expects input of shape (N, C) or (N, C, *), got {tuple(input.shape)}")
    dims = (0, *range(2, input.ndim))
    shape = (1, input.shape[1]) + (1,) * (input.ndim - 2)
    count = input.numel() // input.shape[1]
    if training:
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{tuple(input.shape)}")
        mean = input.mean(dims)
        var = ((input - mean.reshape(shape)) ** 2).mean(dims)
        if running_mean is not None and running_var is not None:
            m = 0.0 if momentum is None else momentum
            with no_grad():
                running_mean.mul_(1 - m).add_(mean.detach() * m)
                running_var.mul_(1 - m).add_(var.detach() * (m * count / (count - 1)))
    elif running_mean is None or running_var is None:
        raise ValueError("batch_norm in evaluation needs running_mean and running_var (or training=True)")
    else:
        mean, var = running_mean, running_var
    out = (input - mean.reshape(shape)) / (var.reshape(shape) + eps).sqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    return out if bias is None else out + bias.reshape(shape)  # type: ignore[no-any-return]


def _check_index(name: str, t: Tensor) -> None:
    if t.is_floating_point() or t.dtype.name == "bool":
        raise RuntimeError(f"{name}: expected an integer (int64) index tensor, got {t.dtype}")


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None) -> Tensor:  # noqa: A002
    """Rows of ``weight`` at the indices ``input`` (shape ``input.shape + (dim,)``);
    lookups of ``padding_idx`` contribute no gradient to its row.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.nn.functional as F
        >>> F.embedding(fl.tensor([2, 0]), fl.tensor([[0.0], [1.0], [2.0]])).tolist()
        [[2.0], [0.0]]
    """
    idx = as_tensor(input)
    _check_index("embedding", idx)
    if idx.numel() and (int(idx.min()) < 0 or int(idx.max()) >= weight.shape[0]):
        raise IndexError(f"embedding: index out of range in self (indices must lie in [0, {weight.shape[0]}), "
                         f"got min {int(idx.min())}, max {int(idx.max())})")
    rows = weight[idx]
    if padding_idx is None:
        return rows  # type: ignore[no-any-return]
    # the padding row's value is returned but gets no gradient, as PyTorch
    return where((idx != padding_idx).unsqueeze(-1), rows, rows.detach())  # type: ignore[no-any-return]


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding: shape ``tensor.shape + (num_classes,)``
    (``num_classes=-1``: one more than the largest class).

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.nn.functional as F
        >>> F.one_hot(fl.tensor([0, 2])).tolist()
        [[1, 0, 0], [0, 0, 1]]
    """
    if not isinstance(tensor, Tensor) or tensor.dtype is not int64:
        raise RuntimeError("one_hot is only applicable to index tensor of dtype int64, got "
                           f"{getattr(tensor, 'dtype', type(tensor).__name__)}")
    if tensor.numel() and int(tensor.min()) < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        if not tensor.numel():
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(tensor.max()) + 1
    elif tensor.numel() and int(tensor.max()) >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return (tensor.unsqueeze(-1) == arange(num_classes)).long()  # type: ignore[no-any-return]


# losses ---------------------------------------------------------------------------------------------
def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()  # type: ignore[no-any-return]
    if reduction == "sum":
        return loss.sum()  # type: ignore[no-any-return]
    raise ValueError(f"{reduction} is not a valid value for reduction (use one of {_REDUCTIONS})")


def _same_size(name: str, input: Tensor, target: Tensor) -> None:  # noqa: A002
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(f"{name}: Using a target size ({target.shape}) that is different to the input size "
                      f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", stacklevel=3)


def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction (use one of {_REDUCTIONS})")


def _core_reduce(v: Any, reduction: str) -> Any:
    if reduction == "mean":
        return jnp.mean(v)
    return jnp.sum(v) if reduction == "sum" else v


def _pointwise_loss(node: str, per_element: Callable[..., Any], tensors: tuple[Tensor, ...],
                    reduction: str) -> Tensor:
    """A loss of elementwise terms, reduced, recorded as one node (PyTorch's name)."""
    _check_reduction(reduction)
    return apply_op(lambda *xs: _core_reduce(per_element(*xs), reduction), tensors,  # type: ignore[no-any-return]
                    node)


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Squared error ``(input - target)**2``, reduced.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.nn.functional as F
        >>> F.mse_loss(fl.tensor([1.0, 2.0]), fl.tensor([0.0, 0.0])).item()
        2.5
    """
    _same_size("mse_loss", input, target)
    return _pointwise_loss("MseLossBackward0", lambda a, b: jnp.square(a - b), (input, target),
                           reduction)


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Absolute error ``|input - target|``, reduced."""
    _same_size("l1_loss", input, target)
    return _reduce((input - target).abs(), reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, reduction: str = "mean", beta: float = 1.0) -> Tensor:  # noqa: A002
    """``0.5 d**2 / beta`` where ``|d| < beta``, ``|d| - 0.5 beta`` elsewhere
    (``beta=0``: the L1 loss).

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.nn.functional as F
        >>> F.smooth_l1_loss(fl.tensor([0.5, 3.0]), fl.zeros(2), reduction="none").tolist()
        [0.125, 2.5]
    """
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta (got {beta})")
    _same_size("smooth_l1_loss", input, target)

    def terms(a: Any, b: Any) -> Any:
        ad = jnp.abs(a - b)
        return ad if beta == 0 else jnp.where(ad < beta, 0.5 * ad * ad / beta, ad - 0.5 * beta)

    return _pointwise_loss("SmoothL1LossBackward0", terms, (input, target), reduction)


def _class_layout(input: Tensor, target: Tensor, name: str) -> tuple[Tensor, Tensor, bool]:  # noqa: A002
    """(N, C, *) input and (N, *) target; whether the input was unbatched."""
    if input.ndim == 1:
        if target.ndim != 0:
            raise ValueError(f"{name}: an unbatched input of shape {tuple(input.shape)} needs a 0-d target, "
                             f"got shape {tuple(target.shape)}")
        return input.unsqueeze(0), target.unsqueeze(0), True
    if input.ndim < 1 or tuple(target.shape) != (input.shape[0], *input.shape[2:]):
        raise ValueError(f"{name}: expected target of shape {(input.shape[0], *input.shape[2:])} for input of "
                         f"shape {tuple(input.shape)} (N, C, *), got {tuple(target.shape)}")
    return input, target, False


def _class_coefficients(x: Tensor, t: Tensor, weight: Tensor | None, ignore_index: int,
                        smoothing: float) -> tuple[Any, Any]:
    """The loss as a weighted sum of log-probabilities: ``coef`` (the input's
    shape) with ``loss[n] = -sum_c coef[n, c] * logp[n, c]``, and the divisor
    of the ``mean`` (the summed weights of the kept targets, as PyTorch).
    Computed from the target's values once (NumPy), or with core ops when the
    target is traced (inside vmap/jit: no value to validate)."""
    _check_index("nll_loss", t)
    n_classes = x.shape[1]
    np_dt = x.dtype.np_dtype
    traced = t._traced or (weight is not None and weight._traced)
    xp: Any = jnp if traced else np
    tv = t._lend() if traced else t._np_read()
    ignored = tv == ignore_index
    safe = xp.where(ignored, 0, tv)
    if not traced and safe.size and (int(safe.min()) < 0 or int(safe.max()) >= n_classes):
        bad = int(safe.min()) if int(safe.min()) < 0 else int(safe.max())
        raise IndexError(f"Target {bad} is out of bounds (classes are 0..{n_classes - 1}; "
                         f"ignore_index is {ignore_index})")
    cshape = (1, n_classes) + (1,) * (x.ndim - 2)
    kept = xp.expand_dims(xp.logical_not(ignored).astype(np_dt), 1)
    classes = xp.arange(n_classes).reshape(cshape)
    hit = (xp.expand_dims(safe, 1) == classes).astype(np_dt)
    if weight is None:
        w_sample = kept
        per_class: Any = 1.0
    else:
        wv = (weight._lend() if traced else weight._np_read()).astype(np_dt)
        w_sample = kept * xp.expand_dims(wv[safe], 1)
        per_class = wv.reshape(cshape)
    coef = hit * w_sample
    if smoothing:
        coef = (1 - smoothing) * coef + (smoothing / n_classes) * (kept * per_class)
    if not traced:
        return Array._wrap(np.ascontiguousarray(coef, dtype=np_dt)), w_sample.sum()
    return coef, w_sample.sum()


def _nll_terms(a: Any, coef: Any, log_softmax_first: bool) -> Any:
    logp = jnp.log_softmax(a, axis=1) if log_softmax_first else a
    return -jnp.sum(logp * coef, axis=1)


def _nll_none(a: Any, coef: Any) -> Any:
    return _nll_terms(a, coef, False)


def _nll_sum(a: Any, coef: Any) -> Any:
    return jnp.sum(_nll_terms(a, coef, False))


def _nll_mean(a: Any, coef: Any, divisor: Any) -> Any:
    return jnp.sum(_nll_terms(a, coef, False)) / divisor


def _ce_none(a: Any, coef: Any) -> Any:
    return _nll_terms(a, coef, True)


def _ce_sum(a: Any, coef: Any) -> Any:
    return jnp.sum(_nll_terms(a, coef, True))


def _ce_mean(a: Any, coef: Any, divisor: Any) -> Any:
    return jnp.sum(_nll_terms(a, coef, True)) / divisor


# (log-softmax first, reduction) -> the loss as one compiled op each way
_NLL_FNS: dict[tuple[bool, str], Callable[..., Any]] = {
    (False, "none"): _nll_none, (False, "sum"): _nll_sum, (False, "mean"): _nll_mean,
    (True, "none"): _ce_none, (True, "sum"): _ce_sum, (True, "mean"): _ce_mean}
_NLL_OPS = {key: JitOp(f) for key, f in _NLL_FNS.items()}


def _weighted_nll(x: Tensor, coef: Any, divisor: Any, reduction: str, unbatched: bool, log_softmax_first: bool,
                  name: str) -> Tensor:
    _check_reduction(reduction)
    op = _NLL_OPS[(log_softmax_first, reduction)]
    consts = (coef,) if reduction != "mean" else (coef, jnp.asarray(divisor, dtype=x.dtype.np_dtype))
    out = op((x,), consts, name)
    return out[0] if unbatched and reduction == "none" else out  # type: ignore[no-any-return]


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, ignore_index: int = -100,  # noqa: A002
             reduction: str = "mean") -> Tensor:
    """Negative log likelihood ``-weight[t] * input[n, t]`` of class indices
    ``t``; ``mean`` divides by the summed weights of the kept targets.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.nn.functional as F
        >>> F.nll_loss(fl.tensor([[-1.0, -2.0], [-3.0, -4.0]]), fl.tensor([1, 0])).item()
        2.5
    """
    x, t, unbatched = _class_layout(input, as_tensor(target), "nll_loss")
    coef, divisor = _class_coefficients(x, t, weight, ignore_index, 0.0)
    return _weighted_nll(x, coef, divisor, reduction, unbatched, False, "NllLossBackward0")


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,  # noqa: A002
                  ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy of logits ``input`` (classes along dim 1) with class
    indices or class probabilities ``target``, as PyTorch (weights,
    ``ignore_index`` for indices, ``label_smoothing`` mixing in the uniform
    distribution).  With class indices it is one recorded op (log-softmax
    and the weighted pick together).

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.nn.functional as F
        >>> round(F.cross_entropy(fl.tensor([[0.0, 0.0]]), fl.tensor([1])).item(), 4)
        0.6931
    """
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    target = as_tensor(target)
    class_dim = 0 if input.ndim == 1 else 1
    n_classes = input.shape[class_dim]
    if target.is_floating_point():
        if tuple(target.shape) != tuple(input.shape):
            raise ValueError(f"cross_entropy: class-probability targets must have the input's shape "
                             f"{tuple(input.shape)}, got {tuple(target.shape)}")
        logp = log_softmax(input, class_dim)
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        shape = [1] * input.ndim
        shape[class_dim] = n_classes
        terms = logp * target if weight is None else logp * target * weight.reshape(shape)
        loss = -terms.sum(class_dim)
        if reduction == "mean":
            return loss.sum() / (input.numel() // n_classes)  # type: ignore[no-any-return]
        return _reduce(loss, reduction)
    x, t, unbatched = _class_layout(input, target, "cross_entropy")
    coef, divisor = _class_coefficients(x, t, weight, ignore_index, label_smoothing)
    return _weighted_nll(x, coef, divisor, reduction, unbatched, True, "NllLossBackward0")


def _bce_shapes(name: str, input: Tensor, target: Tensor) -> None:  # noqa: A002
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"{name}: Target size ({target.shape}) must be the same as input size ({input.shape})")


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,  # noqa: A002
                         reduction: str = "mean") -> Tensor:
    """``-w (t log x + (1 - t) log(1 - x))`` of probabilities ``x`` (each
    log clamped at -100, as PyTorch).

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.nn.functional as F
        >>> round(F.binary_cross_entropy(fl.tensor([0.5]), fl.tensor([1.0])).item(), 4)
        0.6931
    """
    _bce_shapes("binary_cross_entropy", input, target)
    if input.numel() and bool(((input < 0) | (input > 1)).any()):
        raise RuntimeError("all elements of input should be between 0 and 1 (binary_cross_entropy takes "
                           "probabilities; use binary_cross_entropy_with_logits for logits)")

    def terms(x: Any, t: Any, *w: Any) -> Any:
        loss = -(t * jnp.maximum(jnp.log(x), -100.0) + (1 - t) * jnp.maximum(jnp.log1p(-x), -100.0))
        return loss * w[0] if w else loss

    args = (input, target) if weight is None else (input, target, weight)
    return _pointwise_loss("BinaryCrossEntropyBackward0", terms, args, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,  # noqa: A002
                                     reduction: str = "mean", pos_weight: Tensor | None = None) -> Tensor:
    """``binary_cross_entropy(sigmoid(x), t)`` computed stably from logits,
    with ``pos_weight`` scaling the positive term.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.nn.functional as F
        >>> round(F.binary_cross_entropy_with_logits(fl.tensor([0.0]), fl.tensor([1.0])).item(), 4)
        0.6931
    """
    _bce_shapes("binary_cross_entropy_with_logits", input, target)
    extra = tuple(v for v in (weight, pos_weight) if v is not None)
    has_w, has_pw = weight is not None, pos_weight is not None

    def terms(x: Any, t: Any, *ws: Any) -> Any:
        log_term = jnp.logaddexp(0.0, -x)  # log(1 + exp(-x)), stable
        lw = (ws[-1] - 1) * t + 1 if has_pw else 1
        loss = (1 - t) * x + lw * log_term
        return loss * ws[0] if has_w else loss

    return _pointwise_loss("BinaryCrossEntropyWithLogitsBackward0", terms,
                           (input, target, *extra), reduction)


__all__ = [
    "relu", "gelu", "tanh", "sigmoid", "silu", "leaky_relu", "softplus", "softmax", "log_softmax",
    "linear", "bilinear", "dropout", "layer_norm", "batch_norm", "embedding", "one_hot",
    "mse_loss", "l1_loss", "smooth_l1_loss", "nll_loss", "cross_entropy", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "conv1d", "conv2d", "conv3d", "max_pool1d", "max_pool2d", "avg_pool1d",
    "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
]


keep_64_bit_in_module(globals())  # PyTorch's dtype rules whatever the functional API's 64-bit mode
