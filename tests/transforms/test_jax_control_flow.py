"""Python control flow and conversions on traced values, as in JAX.

Under ``grad``/``jvp``/``vjp`` of concrete inputs a traced value knows its
value, so ``if x > 0:``, ``int(x)``, ``range(n)``... work (JAX's "Control
flow" tutorial); under ``jit`` and ``vmap`` there is no single value and the
error is JAX's class (``functorch_lite.errors``), naming the ``lax`` primitive
to use instead.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import errors, lax


def piecewise(x: Any) -> Any:  # the JAX tutorial's example
    if x < 3:
        return 3.0 * x**2
    return -4 * x


def test_python_if_under_grad_as_the_jax_tutorial() -> None:
    assert float(fl.grad(piecewise)(2.0)) == 12.0
    assert float(fl.grad(piecewise)(4.0)) == -4.0
    assert float(fl.grad(fl.grad(piecewise))(2.0)) == 6.0
    assert float(fl.jvp(piecewise, (2.0,), (1.0,))[1]) == 12.0
    y, f_vjp = fl.vjp(piecewise, 4.0)
    assert float(y) == -16.0 and float(f_vjp(1.0)[0]) == -4.0
    assert float(fl.hessian(piecewise)(2.0)) == 6.0
    assert float(fl.jacfwd(piecewise)(4.0)) == -4.0
    assert float(fl.jacrev(piecewise)(2.0)) == 12.0
    # jit of grad stages the comparison: no concrete value there
    with pytest.raises(errors.TracerBoolConversionError, match="lax.cond"):
        fl.jit(fl.grad(piecewise))(2.0)
    # ... unless the argument is static, as in JAX
    assert float(fl.jit(piecewise, static_argnums=0)(2.0)) == 12.0


def test_loops_and_conversions_on_concrete_values_under_grad() -> None:
    def f(x: Any) -> Any:
        n = int(x)  # 3 at x = 3.7
        acc = x
        for _ in range(n):
            acc = acc * x
        k = (x * 2).astype(jnp.int32)  # 7
        coeffs = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
        while bool(acc > 1000.0) and x.item() > 0:
            acc = acc / 2.0
        return acc * coeffs[k] + float(x) + jnp.sum(jnp.ones(operator.index(k))) + len(range(k))

    x = 3.7
    # acc = x**4 = 187.4: below 1000, so no halving; coeffs[7] = 7
    want = 7.0 * 4 * x**3
    np.testing.assert_allclose(float(fl.grad(f)(x)), want, rtol=1e-5)
    np.testing.assert_allclose(float(fl.jvp(f, (x,), (1.0,))[1]), want, rtol=1e-5)

    def g(x: Any) -> Any:  # tolist/float give constants: no derivative flows through them
        vals = x.tolist()
        return x[0] * vals[1] + x[1] * float(x[0])

    assert fl.grad(g)(jnp.asarray([2.0, 5.0])).tolist() == [5.0, 2.0]


def test_integer_tracers_index_under_jvp_of_an_integer_computation() -> None:
    def f(x: Any) -> Any:
        i = jnp.argmax(x)  # an integer traced value, concrete under jvp
        return x[i] * 2.0 + [10.0, 20.0, 30.0][i]

    y, t = fl.jvp(f, (jnp.asarray([1.0, 5.0, 2.0]),), (jnp.asarray([0.0, 1.0, 0.0]),))
    assert (float(y), float(t)) == (30.0, 2.0)


@pytest.mark.parametrize("transform", ["jit", "vmap", "vmap_of_grad", "grad_of_vmap"])
def test_errors_without_a_concrete_value_are_jax_classes(transform: str) -> None:
    def run(fn: Any) -> Any:
        if transform == "jit":
            return fl.jit(fn)(jnp.asarray(2.0))
        if transform == "vmap":
            return fl.vmap(fn)(jnp.asarray([2.0, 3.0]))
        if transform == "vmap_of_grad":
            return fl.vmap(fl.grad(fn))(jnp.asarray([2.0, 3.0]))
        return fl.grad(lambda xs: jnp.sum(fl.vmap(fn)(xs)))(jnp.asarray([2.0, 3.0]))

    with pytest.raises(errors.TracerBoolConversionError, match="lax.cond") as e:
        run(piecewise)
    assert isinstance(e.value, errors.ConcretizationTypeError) and isinstance(e.value, TypeError)
    with pytest.raises(errors.TracerIntegerConversionError, match="fori_loop"):
        run(lambda x: x * len(range((x * 2).astype(jnp.int32))))
    with pytest.raises(errors.TracerIntegerConversionError):
        run(lambda x: x * [1.0, 2.0][(x * 0).astype(jnp.int32)])
    for conv in (int, float, lambda v: v.item(), lambda v: v.tolist()):
        with pytest.raises(errors.ConcretizationTypeError, match="while_loop") as c:
            run(lambda x: x * conv(x))
        assert type(c.value) is errors.ConcretizationTypeError
    with pytest.raises(errors.TracerArrayConversionError, match="functorch_lite.numpy"):
        run(lambda x: x * np.asarray(x))


def test_the_error_names_the_conversion_and_the_traced_value() -> None:
    with pytest.raises(errors.TracerBoolConversionError, match=r"boolean conversion.*bool\[\]"):
        fl.jit(piecewise)(1.0)
    with pytest.raises(errors.ConcretizationTypeError, match=r"int\(\) conversion.*f32\[\]"):
        fl.jit(lambda x: x * int(x))(jnp.float32(1.0))
    # existing JAX except clauses catch them
    try:
        fl.jit(piecewise)(1.0)
    except errors.ConcretizationTypeError:
        pass
    try:
        fl.jit(lambda n: jnp.ones(n))(3)
    except TypeError:
        pass
    else:  # pragma: no cover
        raise AssertionError("a traced shape must raise")


def test_lax_cond_is_the_way_under_jit_and_vmap() -> None:
    def f(x: Any) -> Any:
        return lax.cond(x < 3, lambda x: 3.0 * x**2, lambda x: -4.0 * x, x)

    xs = jnp.asarray([2.0, 4.0])
    assert fl.jit(fl.vmap(fl.grad(f)))(xs).tolist() == [12.0, -4.0]
    assert fl.vmap(fl.grad(piecewise_where))(xs).tolist() == [12.0, -4.0]


def piecewise_where(x: Any) -> Any:
    return jnp.where(x < 3, 3.0 * x**2, -4.0 * x)


def test_unbatched_values_under_vmap_stay_concrete() -> None:
    # in_axes=None passes the value through unchanged, as in JAX
    def f(x: Any, n: Any) -> Any:
        return x * 2.0 if n > 0 else x * -2.0

    assert fl.vmap(f, in_axes=(0, None))(jnp.asarray([1.0, 2.0]), jnp.asarray(1)).tolist() == [2.0, 4.0]


def test_errors_module_is_exported_with_jax_hierarchy() -> None:
    assert fl.errors is errors
    assert issubclass(errors.TracerBoolConversionError, errors.ConcretizationTypeError)
    assert issubclass(errors.TracerIntegerConversionError, errors.ConcretizationTypeError)
    assert issubclass(errors.ConcretizationTypeError, TypeError)
    assert issubclass(errors.TracerArrayConversionError, TypeError)
    assert issubclass(errors.UnexpectedTracerError, TypeError)
    assert issubclass(errors.LeakedTracerError, errors.UnexpectedTracerError)
    assert issubclass(errors.LeakedTracerError, RuntimeError)
    assert issubclass(errors.NonConcreteBooleanIndexError, IndexError)
    assert not issubclass(errors.TracerArrayConversionError, errors.ConcretizationTypeError)
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), Exception), name
    with pytest.raises(errors.NonConcreteBooleanIndexError):
        fl.jit(lambda x: x[x > 0])(jnp.ones(3))
