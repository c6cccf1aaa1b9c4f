"""``check_grads``: test a function's derivatives against finite differences, as ``jax.test_util``.

``check_grads(f, args, order)`` checks forward mode (``jvp`` against a
central difference along random tangents) and reverse mode (``vjp`` by the
transpose identity ``<ct, J t> == <J^T ct, t>``) up to ``order``, recursing
into the derivative functions themselves for higher orders.  The finite
differences run in float64 (float inputs are upcast), so float32 functions
are checked against an accurate reference; tolerances default to the input
dtype's (``2e-3`` for float32, ``1e-5`` for float64).

Example:
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite.test_util import check_grads
    >>> check_grads(jnp.sin, (jnp.array([0.5, 1.0]),), order=2)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from functorch_lite import numpy as jnp
from functorch_lite import tree
from functorch_lite.numpy._util import from_numpy
from functorch_lite.transforms.ad import jvp, vjp

_TOL = {"float32": 2e-3, "float64": 1e-5}
_EPS = 1e-4


def _tol(leaves: Sequence[Any], given: float | None) -> float:
    if given is not None:
        return given
    names = {np.asarray(x).dtype.name for x in leaves}
    return _TOL["float32"] if "float32" in names or not names & set(_TOL) else _TOL["float64"]


def _random_like(x: Any, rng: np.random.Generator) -> Any:
    a = np.asarray(x)
    return from_numpy(rng.standard_normal(a.shape).astype(a.dtype), a.dtype)


def _inner(a: Any, b: Any) -> float:
    return float(sum(np.vdot(np.asarray(x, np.float64), np.asarray(y, np.float64))
                     for x, y in zip(tree.tree_leaves(a), tree.tree_leaves(b))))


def _upcast(x: Any) -> Any:
    a = np.asarray(x)
    # explicit dtype: float64 in either 64-bit mode (differences need the precision)
    return from_numpy(a.astype(np.float64), np.float64) if a.dtype.kind == "f" else x


def numerical_jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any],
                  eps: float = _EPS) -> Any:
    """``(f(x + eps t) - f(x - eps t)) / (2 eps)``, evaluated in float64.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> round(float(numerical_jvp(lambda x: x * x, [jnp.array(3.0)], [jnp.array(1.0)])), 6)
        6.0
    """
    xs = [tree.tree_map(_upcast, x) for x in primals]
    ts = [tree.tree_map(_upcast, t) for t in tangents]
    plus = f(*[tree.tree_map(lambda a, b: a + eps * b, x, t) for x, t in zip(xs, ts)])
    minus = f(*[tree.tree_map(lambda a, b: a - eps * b, x, t) for x, t in zip(xs, ts)])
    return tree.tree_map(lambda p, m: (np.asarray(p, np.float64) - np.asarray(m, np.float64)) / (2 * eps),
                         plus, minus)


def _assert_close(got: Any, want: Any, atol: float, rtol: float, what: str) -> None:
    g_leaves, w_leaves = tree.tree_leaves(got), tree.tree_leaves(want)
    if len(g_leaves) != len(w_leaves):
        raise AssertionError(f"{what}: {len(g_leaves)} outputs, expected {len(w_leaves)}")
    for i, (g, w) in enumerate(zip(g_leaves, w_leaves)):
        np.testing.assert_allclose(np.asarray(g, np.float64), np.asarray(w, np.float64), atol=atol, rtol=rtol,
                                   err_msg=f"{what}, output {i}")


def check_jvp(f: Callable[..., Any], f_jvp: Callable[..., Any], args: Sequence[Any], atol: float | None = None,
              rtol: float | None = None, eps: float = _EPS, rng: np.random.Generator | None = None) -> None:
    """``f_jvp(args, tangents)`` against ``f`` and a central difference along random tangents.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> check_jvp(jnp.exp, lambda p, t: fl.jvp(jnp.exp, p, t), (jnp.array([0.1]),))
    """
    rng = np.random.default_rng(0) if rng is None else rng
    tangents = tree.tree_map(lambda x: _random_like(x, rng), tuple(args))
    out, t_out = f_jvp(tuple(args), tangents)
    leaves = tree.tree_leaves(args)
    a, r = _tol(leaves, atol), _tol(leaves, rtol)
    _assert_close(out, f(*args), a, r, "jvp primal output")
    _assert_close(t_out, numerical_jvp(f, args, tangents, eps), a, r, "jvp tangent vs finite differences")


def check_vjp(f: Callable[..., Any], f_vjp: Callable[..., Any], args: Sequence[Any], atol: float | None = None,
              rtol: float | None = None, eps: float = _EPS, rng: np.random.Generator | None = None) -> None:
    """``f_vjp(*args) -> (out, pullback)`` checked by ``<ct, J t> == <J^T ct, t>``.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> check_vjp(jnp.tanh, lambda *a: fl.vjp(jnp.tanh, *a), (jnp.array([0.3]),))
    """
    rng = np.random.default_rng(1) if rng is None else rng
    out, pullback = f_vjp(*args)
    leaves = tree.tree_leaves(args)
    a, r = _tol(leaves, atol), _tol(leaves, rtol)
    _assert_close(out, f(*args), a, r, "vjp primal output")
    tangents = tree.tree_map(lambda x: _random_like(x, rng), tuple(args))
    t_out = numerical_jvp(f, args, tangents, eps)
    ct = tree.tree_map(lambda x: _random_like(x, rng), out)
    ct_in = pullback(ct)
    got, want = _inner(tangents, ct_in), _inner(t_out, ct)
    if not abs(got - want) <= a + r * abs(want):
        raise AssertionError(f"vjp: <J^T ct, t> = {got!r} but <ct, J t> by finite differences = {want!r}")


def check_grads(f: Callable[..., Any], args: Sequence[Any], order: int, modes: Sequence[str] = ("fwd", "rev"),
                atol: float | None = None, rtol: float | None = None, eps: float | None = None) -> None:
    """Check ``f``'s derivatives up to ``order`` in the given ``modes`` (``"fwd"``,
    ``"rev"``); raises ``AssertionError`` naming what disagreed.

    Example:
        >>> import functorch_lite.numpy as jnp
        >>> check_grads(lambda x, y: x * jnp.exp(y), (jnp.array(1.5),
        ...             jnp.array(0.2)), order=2, modes=["rev"])
    """
    if order < 1:
        raise ValueError(f"check_grads: order must be >= 1, got {order}")
    if not set(modes) <= {"fwd", "rev"}:
        raise ValueError(f"check_grads: modes must be 'fwd' and/or 'rev', got {list(modes)}")
    e = _EPS if eps is None else eps
    args = tuple(args)
    if "fwd" in modes:
        check_jvp(f, lambda p, t: jvp(f, p, t), args, atol, rtol, e)
        if order > 1:
            check_grads(lambda *a: jvp(f, a, tree.tree_map(jnp.ones_like, a))[1], args, order - 1, ["fwd"],
                        atol, rtol, e)
    if "rev" in modes:
        check_vjp(f, lambda *a: vjp(f, *a), args, atol, rtol, e)
        if order > 1:
            def first(*a: Any) -> Any:
                out, pull = vjp(f, *a)
                return pull(tree.tree_map(jnp.ones_like, out))

            check_grads(first, args, order - 1, ["rev"], atol, rtol, e)


__all__ = ["check_grads", "check_jvp", "check_vjp", "numerical_jvp"]
