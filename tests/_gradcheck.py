"""Central finite differences in float64: the tests' oracle for derivatives.

Every test that checks a derivative against finite differences uses these:

- ``numerical_grad(f, args, argnum)``: the gradient of a scalar ``f(*args)``
  with respect to ``args[argnum]`` (an array or a pytree of arrays), one
  coordinate at a time;
- ``numerical_vjp(f, args, ct, argnum)``: the gradient of ``<ct, f(*args)>``;
- ``richardson_grad(f, x)``: a higher-order estimate with an error bar, for
  functions whose higher derivatives are large (random programs);
- ``numerical_jvp(f, primals, tangents)``: the directional derivative
  ``(f(x + eps v) - f(x - eps v)) / (2 eps)`` along ``tangents``, for any
  number of (pytree) arguments and outputs;
- ``numerical_jacobian(f, x)``: ``d f(x) / d x`` with shape
  ``f(x).shape + x.shape``;
- ``assert_close(got, want, rtol=, atol=, what=)``: pytrees compared leaf by
  leaf as ``np.testing.assert_allclose`` does (``|got - want| <= atol +
  rtol * |want|``), failing with the leaf and the worst element named.

Arguments are taken as NumPy values; the differentiated ones are made float64
and handed to ``f`` as functorch_lite arrays (``wrap``; pass ``wrap=None`` for
a NumPy ``f``), the others keep their dtype.  Results are float64 NumPy
arrays.  Central differences have an O(eps**2) truncation error and an
O(ulp / eps) rounding error; ``eps=1e-6`` in float64 balances them for the
smooth, order-one functions the tests use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import functorch_lite.numpy as jnp
from functorch_lite import tree

Arr = np.ndarray[Any, Any]
EPS = 1e-6


def _f64(x: Any) -> Arr:
    return np.asarray(x, np.float64)


def _wrap_all(wrap: Callable[[Any], Any] | None, xs: Sequence[Any]) -> list[Any]:
    if wrap is None:
        return list(xs)
    return [tree.map(wrap, x) for x in xs]


def _to_array(x: Any) -> Any:
    return jnp.asarray(np.asarray(x))


def numerical_jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any], eps: float = EPS,
                  wrap: Callable[[Any], Any] | None = _to_array) -> Any:
    """Central difference of ``f`` along ``tangents``: the output pytree, float64.

    Example:
        >>> import numpy as np
        >>> round(float(numerical_jvp(lambda x: x * x, [np.array(3.0)], [np.array(1.0)])), 6)
        6.0
    """
    xs = [tree.map(_f64, x) for x in primals]
    vs = [tree.map(_f64, v) for v in tangents]
    plus = f(*_wrap_all(wrap, [tree.map(lambda a, b: a + eps * b, x, v) for x, v in zip(xs, vs)]))
    minus = f(*_wrap_all(wrap, [tree.map(lambda a, b: a - eps * b, x, v) for x, v in zip(xs, vs)]))
    return tree.map(lambda p, m: (_f64(p) - _f64(m)) / (2 * eps), plus, minus)


def numerical_jacobian(f: Callable[[Any], Any], x: Any, eps: float = EPS,
                       wrap: Callable[[Any], Any] | None = _to_array) -> Arr:
    """``d f(x) / d x`` of one array argument and one array result, shape
    ``f(x).shape + x.shape``, one input coordinate at a time."""
    x = _f64(x)
    cols = []
    for i in np.ndindex(*x.shape):
        e = np.zeros_like(x)
        e[i] = 1.0
        cols.append(_f64(numerical_jvp(f, [x], [e], eps, wrap)))
    out_shape = cols[0].shape if cols else _f64(f(*_wrap_all(wrap, [x]))).shape
    return np.stack(cols, axis=-1).reshape(out_shape + x.shape) if cols else np.zeros(out_shape + x.shape)


def numerical_grad(f: Callable[..., Any], args: Sequence[Any], argnum: int = 0, eps: float = EPS,
                   wrap: Callable[[Any], Any] | None = _to_array) -> Any:
    """Gradient of the scalar ``f(*args)`` with respect to ``args[argnum]``
    (a pytree of the same structure, float64).

    Example:
        >>> import numpy as np
        >>> g = numerical_grad(lambda x, y: (x * y).sum(), [np.array([1.0, 2.0]), np.array([3.0, 4.0])], 1)
        >>> np.round(g, 6).tolist()
        [1.0, 2.0]
    """
    leaves, treedef = tree.flatten(args[argnum])
    base = [_f64(a) for a in leaves]
    grads = [np.zeros_like(b) for b in base]
    rest = _wrap_all(wrap, [a for j, a in enumerate(args) if j != argnum])

    def at(k: int, i: tuple[int, ...], step: float) -> float:
        moved = [b.copy() for b in base]
        moved[k][i] += step
        x = tree.unflatten(treedef, moved)
        full = list(rest)
        full.insert(argnum, _wrap_all(wrap, [x])[0])
        return float(np.asarray(f(*full)))

    for k, b in enumerate(base):
        for i in np.ndindex(*b.shape):
            grads[k][i] = (at(k, i, eps) - at(k, i, -eps)) / (2 * eps)
    return tree.unflatten(treedef, grads)


def richardson_grad(f: Callable[[Any], Any], x: Any, h: float = 1e-5,
                    wrap: Callable[[Any], Any] | None = _to_array) -> tuple[Arr, Arr]:
    """Gradient of the scalar ``f(x)`` by Richardson extrapolation of central
    differences at steps ``h_i`` and ``h_i / 2`` (``h_i = h * max(1, |x_i|)``):
    the O(h**4) estimate, and the two central differences' disagreement as
    its error bar (large for ``sin(exp(exp(x)))``, tiny for tame functions).

    Example:
        >>> import numpy as np
        >>> g, err = richardson_grad(lambda x: (x ** 3).sum(), np.array([1.0, -2.0]))
        >>> np.round(g, 6).tolist(), bool(np.all(err < 1e-6))
        ([3.0, 12.0], True)
    """
    x = _f64(x)
    g, err = np.zeros_like(x), np.zeros_like(x)
    for i in np.ndindex(*x.shape):
        e = np.zeros_like(x)
        e[i] = 1.0
        step = h * max(1.0, abs(float(x[i])))
        d1, d2 = (float(numerical_jvp(f, [x], [e], s, wrap)) for s in (step, step / 2))
        g[i] = (4 * d2 - d1) / 3
        err[i] = abs(d2 - d1)
    return g, err


def numerical_vjp(f: Callable[..., Any], args: Sequence[Any], ct: Any, argnum: int = 0, eps: float = EPS,
                  wrap: Callable[[Any], Any] | None = _to_array) -> Any:
    """Gradient of ``<ct, f(*args)>`` (summed over the output pytree's
    leaves, in float64 NumPy) with respect to ``args[argnum]``."""
    cts = [_f64(c) for c in tree.leaves(ct)]

    def inner(*xs: Any) -> float:
        outs = [_f64(o) for o in tree.leaves(f(*xs))]
        return float(sum(np.sum(o * c) for o, c in zip(outs, cts)))

    return numerical_grad(inner, args, argnum, eps, wrap)


def assert_close(got: Any, want: Any, *, rtol: float, atol: float, what: str = "") -> None:
    """``got`` against ``want`` (pytrees of the same structure), leaf by leaf,
    as ``np.testing.assert_allclose``; the message names the leaf and the
    worst element (largest excess over the tolerance)."""
    g_leaves, g_def = tree.flatten(got)
    w_leaves, w_def = tree.flatten(want)
    assert len(g_leaves) == len(w_leaves), f"{what}: {len(g_leaves)} leaves ({g_def}) != {len(w_leaves)} ({w_def})"
    for k, (g, w) in enumerate(zip(g_leaves, w_leaves)):
        g, w = _f64(g), _f64(w)
        where = f"{what} (leaf {k} of {len(g_leaves)})" if len(g_leaves) > 1 else what
        assert g.shape == w.shape, f"{where}: shape {g.shape} != {w.shape}"
        with np.errstate(invalid="ignore"):
            excess = np.abs(g - w) - (atol + rtol * np.abs(w))
        excess = np.where(np.isnan(g) != np.isnan(w), np.inf, np.nan_to_num(excess, nan=-1.0))
        if excess.size and float(excess.max()) > 0:
            i = np.unravel_index(int(np.argmax(excess)), excess.shape)
            bad = int(np.count_nonzero(excess > 0))
            raise AssertionError(
                f"{where}: {bad} of {excess.size} elements differ beyond atol={atol:g} + rtol={rtol:g} * |want|; "
                f"worst at index {tuple(int(j) for j in i)}: got {g[i]!r}, want {w[i]!r} "
                f"(difference {float(g[i] - w[i]):.3g})"
            )
