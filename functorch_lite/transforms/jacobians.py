"""Jacobians and Hessians: ``jacrev`` (vmap of vjp), ``jacfwd`` (vmap of jvp).

The result for one input and one output has shape ``out.shape + in.shape``;
pytree outputs give a tree of that structure, and tuple ``argnums`` give a
tuple per output leaf (JAX's nesting: output structure outside, inputs in).

Example:
    >>> import functorch_lite as fl
    >>> import functorch_lite.numpy as jnp
    >>> fl.jacrev(lambda x: x * x)(jnp.array([1.0, 2.0])).tolist()
    [[2.0, 0.0], [0.0, 4.0]]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Concatenate, Literal, ParamSpec, TypeVar, overload

import numpy as np

from functorch_lite import tree
from functorch_lite.array import Array, ArrayMethods
from functorch_lite.core import get_aval
from functorch_lite.ops import _rules as r
from functorch_lite.transforms.ad import (
    Transformed,
    _argnums_tuple,
    _check_float_input,
    _check_grad_output,
    _to_array,
    jvp,
    vjp,
)
from functorch_lite.transforms.batching import vmap


def _basis(aval_shape: tuple[int, ...], dtype: np.dtype[Any]) -> Array:
    n = int(np.prod(aval_shape, dtype=np.int64))
    return Array._wrap(np.eye(n, dtype=dtype).reshape((n,) + tuple(aval_shape)))


def _partial(fun: Callable[..., Any], args: Sequence[Any], nums: tuple[int, ...],
             kwargs: dict[str, Any]) -> Callable[..., Any]:
    def f(*dargs: Any) -> Any:
        full = list(args)
        for i, a in zip(nums, dargs):
            full[i] = a
        return fun(*full, **kwargs)

    return f

# The Jacobian of a function of an array (first argument, argnums=0) that
# returns an array is an array; anything else (pytrees, has_aux) is typed Any.
P = ParamSpec("P")
AnArray = TypeVar("AnArray", bound=ArrayMethods)


@overload
def jacrev(fun: Callable[Concatenate[AnArray, P], ArrayMethods], argnums: Literal[0] = 0,
           has_aux: Literal[False] = False, holomorphic: bool = False,
           allow_int: bool = False) -> Transformed[Concatenate[AnArray, P], Array]: ...
@overload
def jacrev(fun: Callable[P, Any], argnums: int | Sequence[int] = 0, has_aux: bool = False,
           holomorphic: bool = False, allow_int: bool = False) -> Transformed[P, Any]: ...
def jacrev(fun: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False,
           holomorphic: bool = False, allow_int: bool = False) -> Callable[..., Any]:
    """Jacobian by reverse mode: one vjp per output element, vectorised by vmap.

    Outputs must be real unless ``holomorphic=True`` (then inputs and
    outputs are complex and the result is the complex Jacobian), as JAX.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> fl.jacrev(jnp.sin)(jnp.zeros(2)).tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums_tuple(argnums, len(args), "jacrev")
        dargs = tuple(args[i] for i in nums)
        for leaf in tree.leaves(dargs):
            _check_float_input(_to_array(leaf), "jacrev", allow_int, holomorphic)
        res = vjp(_partial(fun, args, nums, kwargs), *dargs, has_aux=has_aux)
        out, f_vjp = res[0], res[1]
        o_leaves, o_tree = tree.flatten(out)
        o_leaves = [_to_array(o) for o in o_leaves]
        for o in o_leaves:
            _check_grad_output(get_aval(o).dtype, "jacrev", holomorphic)
        per_out = []
        for k, o in enumerate(o_leaves):
            aval = get_aval(o)
            basis = _basis(aval.shape, aval.dtype)

            def pull(ct: Any, k: int = k) -> Any:
                cts = [ct if j == k else r.full_aval(get_aval(q).strip_weak(), 0) for j, q in enumerate(o_leaves)]
                return f_vjp(tree.unflatten(o_tree, cts))

            if aval.size == 0:
                jac_tree = tree.map(lambda x, s=aval.shape: _empty_jac(s, x), dargs)
            else:
                jac_tree = vmap(pull)(basis)
                jac_tree = tree.map(lambda j, s=aval.shape: r.reshape(j, s + get_aval(j).shape[1:]), jac_tree)
            per_out.append(jac_tree[0] if isinstance(argnums, int) else jac_tree)
        result = tree.unflatten(o_tree, per_out)
        return (result, res[2]) if has_aux else result

    return wrapped


def _empty_jac(out_shape: tuple[int, ...], x: Any) -> Array:
    xa = get_aval(_to_array(x))
    return Array._wrap(np.zeros(out_shape + xa.shape, xa.dtype))


jacobian = jacrev


@overload
def jacfwd(fun: Callable[Concatenate[AnArray, P], ArrayMethods], argnums: Literal[0] = 0,
           has_aux: Literal[False] = False,
           holomorphic: bool = False) -> Transformed[Concatenate[AnArray, P], Array]: ...
@overload
def jacfwd(fun: Callable[P, Any], argnums: int | Sequence[int] = 0, has_aux: bool = False,
           holomorphic: bool = False) -> Transformed[P, Any]: ...
def jacfwd(fun: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False,
           holomorphic: bool = False) -> Callable[..., Any]:
    """Jacobian by forward mode: one jvp per input element, vectorised by vmap.

    Inputs must be real unless ``holomorphic=True`` (then inputs and
    outputs are complex and the result is the complex Jacobian), as JAX.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> fl.jacfwd(lambda x: x ** 3)(jnp.array([2.0])).tolist()
        [[12.0]]
    """

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums_tuple(argnums, len(args), "jacfwd")
        dargs = tuple(_to_array_tree(args[i]) for i in nums)
        for leaf in tree.leaves(dargs):
            if not holomorphic and get_aval(leaf).dtype.kind == "c":
                raise TypeError(
                    f"jacfwd requires real-valued inputs, got {get_aval(leaf).dtype}; for holomorphic "
                    "differentiation pass holomorphic=True, otherwise pass the real and imaginary parts")
            _check_float_input(leaf, "jacfwd", False, holomorphic)
        f = _partial(fun, args, nums, kwargs)
        in_leaves, in_tree = tree.flatten(dargs)
        per_in = []
        out_tree_ref: list[Any] = []
        aux_ref: list[Any] = []
        for k, x in enumerate(in_leaves):
            xa = get_aval(x)
            basis = _basis(xa.shape, xa.dtype)

            def push(t: Any, k: int = k) -> Any:
                ts = [t if j == k else r.full_aval(get_aval(q), 0) for j, q in enumerate(in_leaves)]
                res = jvp(f, dargs, tree.unflatten(in_tree, ts), has_aux=has_aux)
                return res[1] if not has_aux else (res[1], res[2])

            prim = jvp(f, dargs, tree.map(lambda q: r.full_aval(get_aval(q), 0), dargs), has_aux=has_aux)
            if holomorphic:
                for o in tree.leaves(prim[0]):
                    _check_grad_output(get_aval(_to_array(o)).dtype, "jacfwd", True)
            out_tree_ref.append(prim[0])
            if has_aux:
                aux_ref.append(prim[2])
            if xa.size == 0:
                jac = tree.map(lambda o, s=xa.shape: Array._wrap(
                    np.zeros(get_aval(_to_array(o)).shape + s, get_aval(_to_array(o)).dtype)), prim[0])
            else:
                t_out = vmap(push, out_axes=-1 if not has_aux else (-1, None))(basis)
                t_out = t_out[0] if has_aux else t_out
                jac = tree.map(lambda j, s=xa.shape: r.reshape(j, get_aval(j).shape[:-1] + s), t_out)
            per_in.append(jac)
        out0 = out_tree_ref[0] if out_tree_ref else fun(*args, **kwargs)
        o_leaves, o_tree = tree.flatten(out0)
        # regroup: output structure outside, input structure inside
        per_in_leaves = [tree.leaves(p) for p in per_in]
        result_leaves = []
        for j in range(len(o_leaves)):
            inner = tree.unflatten(in_tree, [per_in_leaves[k][j] for k in range(len(in_leaves))])
            result_leaves.append(inner[0] if isinstance(argnums, int) else inner)
        result = tree.unflatten(o_tree, result_leaves)
        return (result, aux_ref[0]) if has_aux else result

    return wrapped


def _to_array_tree(x: Any) -> Any:
    return tree.map(_to_array, x)


@overload
def hessian(fun: Callable[Concatenate[AnArray, P], ArrayMethods], argnums: Literal[0] = 0,
            has_aux: Literal[False] = False,
           holomorphic: bool = False) -> Transformed[Concatenate[AnArray, P], Array]: ...
@overload
def hessian(fun: Callable[P, Any], argnums: int | Sequence[int] = 0, has_aux: bool = False,
            holomorphic: bool = False) -> Transformed[P, Any]: ...
def hessian(fun: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False,
            holomorphic: bool = False) -> Callable[..., Any]:
    """Hessian: ``jacfwd(jacrev(fun))``.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> fl.hessian(lambda x: jnp.sum(x ** 3))(jnp.array([1.0, 2.0])).tolist()
        [[6.0, 0.0], [0.0, 12.0]]
    """
    return jacfwd(jacrev(fun, argnums, has_aux, holomorphic), argnums, has_aux, holomorphic)
