"""Transform compositions, pytrees, argnums/has_aux, and error messages."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import core, lax
from tests._gradcheck import assert_close, numerical_grad


def f64(v: Any) -> Any:
    return jnp.asarray(np.asarray(v, np.float64))


def _np(x: Any) -> np.ndarray[Any, Any]:
    return np.asarray(x)


# --- compositions -------------------------------------------------------------------------------


def test_grad_grad_grad() -> None:
    f = lambda x: jnp.sin(x) * x ** 3  # noqa: E731
    x = 0.7
    d1 = np.cos(x) * x ** 3 + 3 * x ** 2 * np.sin(x)
    d2 = -np.sin(x) * x ** 3 + 6 * x ** 2 * np.cos(x) + 6 * x * np.sin(x)
    d3 = (-np.cos(x) * x ** 3 - 9 * x ** 2 * np.sin(x) + 18 * x * np.cos(x) + 6 * np.sin(x))
    assert float(fl.grad(f)(f64(x))) == pytest.approx(d1, rel=1e-12)
    assert float(fl.grad(fl.grad(f))(f64(x))) == pytest.approx(d2, rel=1e-12)
    assert float(fl.grad(fl.grad(fl.grad(f)))(f64(x))) == pytest.approx(d3, rel=1e-12)
    assert float(fl.jit(fl.grad(fl.grad(fl.grad(f))))(f64(x))) == pytest.approx(d3, rel=1e-12)


def test_jacfwd_of_jacrev_is_the_hessian() -> None:
    a = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, 0.5], [0.0, 0.5, 1.0]])
    f = lambda x: 0.5 * x @ f64(a) @ x + jnp.sum(x ** 4)  # noqa: E731
    x = np.array([0.1, -0.5, 0.7])
    want = a + np.diag(12 * x ** 2)
    for h in (fl.jacfwd(fl.jacrev(f)), fl.jacrev(fl.jacrev(f)), fl.jacfwd(fl.jacfwd(f)), fl.jacrev(fl.jacfwd(f)),
              fl.hessian(f)):
        np.testing.assert_allclose(_np(h(f64(x))), want, rtol=1e-12, atol=1e-12)


def test_vmap_grad_and_grad_vmap() -> None:
    w = f64([0.5, -1.0, 2.0])
    xs = f64(np.arange(12.0).reshape(4, 3) / 10)
    loss = lambda w, x: jnp.tanh(jnp.dot(w, x)) ** 2  # noqa: E731
    per_ex = fl.vmap(fl.grad(loss), in_axes=(None, 0))(w, xs)
    loop = np.stack([_np(fl.grad(loss)(w, x)) for x in xs])
    np.testing.assert_allclose(_np(per_ex), loop, rtol=1e-12)
    # grad of a vmapped (batched) loss = sum of the per-example gradients
    total = fl.grad(lambda w: jnp.sum(fl.vmap(loss, in_axes=(None, 0))(w, xs)))(w)
    np.testing.assert_allclose(_np(total), loop.sum(0), rtol=1e-12)
    np.testing.assert_allclose(_np(fl.jit(fl.vmap(fl.grad(loss), in_axes=(None, 0)))(w, xs)), loop, rtol=1e-12)


def test_vmap_vmap_and_out_axes() -> None:
    x = f64(np.arange(24.0).reshape(2, 3, 4))
    out = fl.vmap(fl.vmap(lambda r: jnp.sum(r * r)))(x)
    np.testing.assert_allclose(_np(out), (_np(x) ** 2).sum(-1))
    out = fl.vmap(fl.vmap(lambda r: r * 2.0, in_axes=1, out_axes=1), in_axes=2, out_axes=0)(x)
    np.testing.assert_allclose(_np(out), 2 * _np(x).transpose(2, 0, 1))
    # out_axes=None for an output that does not depend on the mapped input
    a, b = fl.vmap(lambda r: (r + 1.0, jnp.ones(2)), out_axes=(0, None))(f64([1.0, 2.0, 3.0]))
    assert _np(a).tolist() == [2.0, 3.0, 4.0] and _np(b).tolist() == [1.0, 1.0]
    # axis_size with no mapped input, and chunking
    assert _np(fl.vmap(lambda: f64(3.0), axis_size=2)()).tolist() == [3.0, 3.0]
    np.testing.assert_allclose(_np(fl.vmap(lambda r: r @ r, chunk_size=2)(x[0])), (_np(x[0]) ** 2).sum(-1))


def test_jacobians_of_vmap_and_vmap_of_jacobians() -> None:
    f = lambda x: jnp.sin(x) * jnp.sum(x)  # noqa: E731
    xs = f64(np.random.default_rng(0).standard_normal((3, 4)))
    jac = fl.vmap(fl.jacrev(f))(xs)
    loop = np.stack([_np(fl.jacfwd(f)(x)) for x in xs])
    np.testing.assert_allclose(_np(jac), loop, rtol=1e-12)
    big = fl.jacrev(fl.vmap(f))(xs)  # (3, 4, 3, 4), block diagonal over the batch
    for i in range(3):
        np.testing.assert_allclose(_np(big)[i, :, i, :], loop[i], rtol=1e-12)


def test_custom_rules_under_vmap() -> None:
    @fl.custom_jvp
    def safe_log(x: Any) -> Any:
        return jnp.log(x)

    safe_log.defjvp(lambda p, t: (jnp.log(p[0]), t[0] / jnp.maximum(p[0], 1e-3)))
    xs = f64([1e-6, 0.5, 2.0])
    np.testing.assert_allclose(_np(fl.vmap(fl.grad(safe_log))(xs)), 1 / np.maximum(_np(xs), 1e-3), rtol=1e-12)

    @fl.custom_vjp
    def scale_grad(x: Any) -> Any:
        return x

    scale_grad.defvjp(lambda x: (x, x), lambda x, g: (g * x,))
    np.testing.assert_allclose(_np(fl.vmap(fl.grad(lambda x: 3.0 * scale_grad(x)))(xs)), 3 * _np(xs), rtol=1e-12)


def test_perturbation_confusion() -> None:
    # d/dx [x * d/dy (x + y)]  at any point = d/dx [x * 1] = 1
    def inner(x: Any) -> Any:
        return x * fl.grad(lambda y: x + y)(f64(1.0))

    assert float(fl.grad(inner)(f64(2.0))) == 1.0
    assert float(fl.jvp(inner, (f64(2.0),), (f64(1.0),))[1]) == 1.0
    # the same with forward mode inside
    def inner_fwd(x: Any) -> Any:
        return x * fl.jvp(lambda y: x + y, (f64(1.0),), (f64(1.0),))[1]

    assert float(fl.grad(inner_fwd)(f64(2.0))) == 1.0
    # d/dx [x * d/dy (x * y)] = d/dx x**2 = 2x
    assert float(fl.grad(lambda x: x * fl.grad(lambda y: x * y)(f64(5.0)))(f64(3.0))) == 6.0


# --- argnums, has_aux, pytrees ------------------------------------------------------------------------


def test_argnums_tuple_and_negative() -> None:
    f = lambda a, b, c: a * b ** 2 + c  # noqa: E731
    ga, gc = fl.grad(f, argnums=(0, 2))(2.0, 3.0, 4.0)
    assert (float(ga), float(gc)) == (9.0, 1.0)
    assert float(fl.grad(f, argnums=-2)(2.0, 3.0, 4.0)) == 12.0
    (v, g) = fl.value_and_grad(f, argnums=(1,))(2.0, 3.0, 4.0)
    assert float(v) == 22.0 and isinstance(g, tuple) and float(g[0]) == 12.0
    j = fl.jacrev(lambda a, b: a * b, argnums=(0, 1))(f64([1.0, 2.0]), f64([3.0, 4.0]))
    np.testing.assert_allclose(_np(j[0]), np.diag([3.0, 4.0]))
    np.testing.assert_allclose(_np(j[1]), np.diag([1.0, 2.0]))
    j = fl.jacfwd(lambda a, b: a * b, argnums=(0, 1))(f64([1.0, 2.0]), f64([3.0, 4.0]))
    np.testing.assert_allclose(_np(j[1]), np.diag([1.0, 2.0]))


def test_has_aux() -> None:
    def f(x: Any) -> Any:
        y = jnp.sum(x ** 2)
        return y, {"y": y, "n": 3}

    g, aux = fl.grad(f, has_aux=True)(f64([1.0, 2.0]))
    assert _np(g).tolist() == [2.0, 4.0] and float(aux["y"]) == 5.0 and aux["n"] == 3
    assert not isinstance(aux["y"], core.Tracer)
    (v, aux2), g2 = fl.value_and_grad(f, has_aux=True)(f64([1.0, 2.0]))
    assert float(v) == 5.0 and float(aux2["y"]) == 5.0
    y, t, aux3 = fl.jvp(f, (f64([1.0, 2.0]),), (f64([1.0, 0.0]),), has_aux=True)
    assert float(t) == 2.0 and float(aux3["y"]) == 5.0
    y, pull, aux4 = fl.vjp(f, f64([1.0, 2.0]), has_aux=True)
    assert _np(pull(f64(1.0))[0]).tolist() == [2.0, 4.0]
    j, aux5 = fl.jacrev(f, has_aux=True)(f64([1.0, 2.0]))
    assert _np(j).tolist() == [2.0, 4.0] and float(aux5["y"]) == 5.0
    j, aux6 = fl.jacfwd(f, has_aux=True)(f64([1.0, 2.0]))
    assert _np(j).tolist() == [2.0, 4.0] and float(aux6["y"]) == 5.0
    with pytest.raises(TypeError, match="pair"):
        fl.grad(lambda x: x, has_aux=True)(1.0)


def test_pytree_arguments_and_outputs() -> None:
    params = {"w": f64([[1.0, 2.0], [3.0, 4.0]]), "b": (f64([0.5, -0.5]), None)}

    def loss(p: Any, x: Any) -> Any:
        return jnp.sum(jnp.tanh(x @ p["w"] + p["b"][0]))

    x = f64([[0.1, 0.2]])
    g = fl.grad(loss)(params, x)
    assert set(g) == {"w", "b"} and g["b"][1] is None
    # the whole pytree of gradients (None leaves included) against finite differences
    fd = numerical_grad(loss, [{"w": _np(params["w"]), "b": (_np(params["b"][0]), None)}, x])
    assert_close(g, fd, rtol=1e-6, atol=1e-9, what="grad of a pytree of parameters")
    out, t = fl.jvp(lambda p: {"s": loss(p, x), "w2": p["w"] * 2}, (params,),
                    ({"w": f64(np.ones((2, 2))), "b": (f64(np.zeros(2)), None)},))
    assert set(out) == {"s", "w2"} and _np(t["w2"]).tolist() == [[2.0, 2.0], [2.0, 2.0]]
    vs = fl.vmap(lambda p: {"a": p[0] + p[1]})((f64([1.0, 2.0]), f64([3.0, 4.0])))
    assert _np(vs["a"]).tolist() == [4.0, 6.0]
    jr = fl.jacrev(lambda p: {"s": jnp.sum(p["a"] * 2.0)})({"a": f64([1.0, 2.0])})
    assert _np(jr["s"]["a"]).tolist() == [2.0, 2.0]
    # in_axes as a pytree prefix
    out = fl.vmap(lambda d: d["x"] * d["k"], in_axes=({"x": 0, "k": None},))({"x": f64([1.0, 2.0]), "k": f64(3.0)})
    assert _np(out).tolist() == [3.0, 6.0]


def test_linearize_and_stop_gradient() -> None:
    y, f_jvp = fl.linearize(lambda x: jnp.sin(x) * 2.0, f64(0.3))
    assert float(y) == pytest.approx(2 * np.sin(0.3))
    assert float(f_jvp(f64(1.0))) == pytest.approx(2 * np.cos(0.3))
    assert float(fl.grad(lambda x: x * fl.stop_gradient(x * x))(f64(3.0))) == 9.0
    sg = fl.stop_gradient({"a": f64(1.0), "b": [f64(2.0)]})
    assert float(sg["b"][0]) == 2.0
    assert float(fl.jvp(lambda x: fl.stop_gradient(x) * x, (f64(2.0),), (f64(1.0),))[1]) == 2.0


def test_integer_inputs_allow_int_and_outputs() -> None:
    with pytest.raises(TypeError, match="allow_int"):
        fl.grad(lambda x: x * 2.0)(3)
    with pytest.raises(TypeError, match="float inputs"):
        fl.grad(lambda x: jnp.sum(x * 2.0))(jnp.arange(3))
    g = fl.grad(lambda x: jnp.sum(x * 2.0), allow_int=True)(jnp.arange(3))
    assert _np(g).tolist() == [0, 0, 0]
    with pytest.raises(TypeError, match="allow_int"):
        fl.jacrev(lambda x: x * 2.0)(jnp.arange(3))
    with pytest.raises(TypeError, match="float"):
        fl.jacfwd(lambda x: x * 2.0)(jnp.arange(3))
    with pytest.raises(TypeError, match="real-valued"):
        fl.grad(lambda x: jnp.sum(x > 0))(f64([1.0]))
    # integer-valued intermediate steps are fine; their derivative is zero
    assert float(fl.grad(lambda x: x * jnp.floor(x))(f64(2.5))) == 2.0


def test_jvp_tangent_errors() -> None:
    with pytest.raises(TypeError, match="tuples or lists"):
        fl.jvp(jnp.sin, f64(1.0), f64(1.0))
    with pytest.raises(TypeError, match="same tree structure"):
        fl.jvp(lambda a, b: a + b, (f64(1.0), f64(2.0)), (f64(1.0),))
    with pytest.raises(ValueError, match="shape"):
        fl.jvp(jnp.sin, (f64([1.0, 2.0]),), (f64([1.0]),))
    with pytest.raises(TypeError, match="dtype"):
        fl.jvp(jnp.sin, (f64([1.0]),), (jnp.asarray(np.asarray([1.0], np.float32)),))
    # a weakly typed Python float tangent adopts the primal's dtype
    _, t = fl.jvp(jnp.sin, (f64(0.0),), (1.0,))
    assert _np(t).dtype == np.float64


def test_vjp_cotangent_errors() -> None:
    _, pull = fl.vjp(lambda x: x * 2.0, f64([1.0, 2.0]))
    with pytest.raises(ValueError, match="shape"):
        pull(f64([1.0]))
    with pytest.raises(TypeError, match="structure"):
        pull((f64([1.0, 1.0]),))
    assert _np(pull(f64([1.0, 1.0]))[0]).tolist() == [2.0, 2.0]
    # callable more than once
    assert _np(pull(f64([0.0, 1.0]))[0]).tolist() == [0.0, 2.0]


def test_non_scalar_output_to_grad_suggests_jacrev_vjp_and_indexing() -> None:
    with pytest.raises(TypeError, match=r"jacrev.*vjp|vjp.*jacrev") as info:
        fl.grad(lambda x: x * 2.0)(f64([1.0, 2.0]))
    assert "(2,)" in str(info.value)
    with pytest.raises(TypeError, match=r"out\[0\]") as info:
        fl.grad(lambda x: x * 2.0)(f64([1.0]))
    assert "jacrev" in str(info.value)
    with pytest.raises(TypeError, match="jacrev"):
        fl.grad(lambda x: (x, x))(f64(1.0))


def test_unknown_argnums() -> None:
    with pytest.raises(ValueError, match="argnums"):
        fl.grad(lambda x: x, argnums=1)(1.0)
    with pytest.raises(ValueError, match="argnums"):
        fl.grad(lambda x, y: x, argnums=(0, 3))(1.0, 2.0)
    with pytest.raises(ValueError, match="argnums"):
        fl.jacrev(lambda x: x, argnums=2)(f64([1.0]))
    with pytest.raises(ValueError, match="argnums"):
        fl.jacfwd(lambda x: x, argnums=-3)(f64([1.0]))


def test_leaked_tracer_names_the_transform() -> None:
    for transform, name in [(fl.grad, "vjp"), (lambda f: lambda x: fl.jvp(f, (x,), (x,)), "jvp"),
                            (fl.vmap, "vmap"), (fl.jit, "jit")]:
        box: list[Any] = []

        def f(x: Any) -> Any:
            box.append(x)
            return jnp.sum(x * 2.0)

        transform(f)(f64([1.0, 2.0]))
        with pytest.raises(core.LeakedTracerError, match=name):
            jnp.sin(box[0])


def test_python_control_flow_on_traced_values_names_lax() -> None:
    def f(x: Any) -> Any:
        return x if x > 0 else -x

    # grad/jvp of concrete inputs know the value, so there ``if`` works (as in JAX):
    # tests/transforms/test_jax_control_flow.py; jit and vmap have no single concrete value
    cases = [(fl.vmap(f), f64([1.0, -1.0])), (fl.jit(f), f64(1.0)),
             (fl.jit(fl.grad(f)), f64(1.0)), (fl.vmap(fl.grad(f)), f64([1.0, -1.0]))]
    for t, arg in cases:
        with pytest.raises(core.ConcretizationTypeError, match="lax.cond"):
            t(arg)
    with pytest.raises(core.ConcretizationTypeError, match="while_loop|fori_loop"):
        fl.jit(lambda x: int(x))(f64(1.0))
    with pytest.raises(core.TracerArrayConversionError, match="functorch_lite.numpy"):
        fl.jit(lambda x: np.asarray(x))(f64(1.0))
    with pytest.raises(TypeError):
        fl.jit(lambda x: np.sin(x))(f64(1.0))


def test_missing_rule_error_names_primitive_and_rule() -> None:
    p = core.Primitive("_test_transforms_no_rules")
    try:
        p.impl = lambda x: x
        p.abstract_eval = lambda x: x
        with pytest.raises(core.MissingRuleError, match=r"'_test_transforms_no_rules'.*jvp rule"):
            fl.jacfwd(lambda x: p.bind(x))(f64([1.0]))
        with pytest.raises(core.MissingRuleError, match=r"'_test_transforms_no_rules'.*vjp rule"):
            fl.grad(lambda x: jnp.sum(p.bind(x)))(f64([1.0]))
        with pytest.raises(core.MissingRuleError, match=r"'_test_transforms_no_rules'.*batch rule"):
            fl.vmap(p.bind)(f64([1.0]))
        # jit needs only the shape rule
        assert _np(fl.jit(p.bind)(f64([1.0]))).tolist() == [1.0]
    finally:
        del core.PRIMITIVES["_test_transforms_no_rules"]


def test_vmap_errors() -> None:
    with pytest.raises(ValueError, match="inconsistent sizes"):
        fl.vmap(lambda a, b: a + b)(f64([1.0, 2.0]), f64([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="out of range"):
        fl.vmap(lambda a: a, in_axes=2)(f64([1.0, 2.0]))
    with pytest.raises(ValueError, match="axis_size"):
        fl.vmap(lambda a: a, in_axes=None)(f64([1.0]))
    with pytest.raises(ValueError, match="in_axes"):
        fl.vmap(lambda a, b: a, in_axes=(0,))(f64([1.0]), f64([1.0]))
    with pytest.raises(ValueError, match="out_axes=None"):
        fl.vmap(lambda a: a, out_axes=None)(f64([1.0]))
    with pytest.raises(TypeError, match="keyword"):
        fl.vmap(lambda a, b=1.0: a)(f64([1.0]), b=2.0)


def test_transforms_accept_python_scalars_and_lists_of_arrays() -> None:
    assert float(fl.grad(lambda x: x * x)(3.0)) == 6.0
    assert float(fl.jit(lambda x: x * x)(3.0)) == 9.0
    g = fl.grad(lambda xs: sum(jnp.sum(x) for x in xs))([f64([1.0]), f64([2.0, 3.0])])
    assert [_np(a).tolist() for a in g] == [[1.0], [1.0, 1.0]]


def test_scan_inside_vmap_inside_grad_inside_jit() -> None:
    def f(w: Any, xs: Any) -> Any:
        def step(c: Any, x: Any) -> Any:
            return jnp.tanh(c * w + x), c

        return jnp.sum(fl.vmap(lambda row: lax.scan(step, f64(0.0), row)[0])(xs))

    w = f64(0.5)
    xs = f64(np.random.default_rng(0).standard_normal((3, 4)))
    g = fl.grad(f)(w, xs)
    gj = fl.jit(fl.grad(f))(w, xs)
    assert float(g) == pytest.approx(float(numerical_grad(f, [np.float64(0.5), xs])), rel=1e-6)
    assert float(gj) == pytest.approx(float(g), rel=1e-12)
