"""jit against eager for every registry entry, and jit's own behaviour: the
cache key (no retrace on the same signature; retrace on a new shape, dtype,
weak type or static value), make_ir printing, eval_shape, disable_jit,
compositions with grad/vmap, jit inside jit and the cache-miss explanation."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import core, tree
from tests.registry import REGISTRY, load_all
from tests.strategies import fl_view
from tests.transforms.test_grad_registry import fewer_examples
from tests.transforms.test_vmap_registry import STATIC_ARGS, VALUE_DEPENDENT_SHAPE, assert_tree_close, bind_statics

load_all()

ENTRIES = sorted(n for n in REGISTRY if n not in VALUE_DEPENDENT_SHAPE)


@pytest.mark.parametrize("name", ENTRIES)
@given(data=st.data())
# each new signature compiles fused kernels (0.1-0.3 s each; CI's kernel cache is cold)
@settings(max_examples=fewer_examples(6, 2))
def test_jit_matches_eager(name: str, data: Any) -> None:
    e = REGISTRY[name]
    base = [np.asarray(x) for x in e.inputs(data)]
    f, dyn = bind_statics(e, base)
    args = [fl_view(data.draw, base[i]) if e.views else jnp.asarray(base[i]) for i in dyn]
    want = f(*args)
    jf = fl.jit(f)
    got = jf(*args)
    assert not any(isinstance(x, core.Tracer) for x in tree.leaves(got)), f"{name}: jit returned a tracer"
    assert_tree_close(got, want, e, "jit")
    # a second call with the same signature reuses the compiled program
    got2 = jf(*args)
    assert_tree_close(got2, want, e, "jit (cached)")
    assert jf.cache_info().misses == 1 and jf.cache_info().hits >= 1


def test_value_dependent_entries_raise_a_clear_error_under_jit() -> None:
    x = jnp.asarray([3, 1, 3])
    with pytest.raises((core.ConcretizationTypeError, TypeError)):
        fl.jit(jnp.unique)(x)
    assert set(STATIC_ARGS) <= set(REGISTRY)
    assert set(VALUE_DEPENDENT_SHAPE) <= set(REGISTRY)


# --- cache keys -------------------------------------------------------------------------------


def _counting(fun: Any) -> tuple[Any, list[int]]:
    traces: list[int] = []

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        traces.append(1)
        return fun(*args, **kwargs)

    return wrapped, traces


def test_no_retrace_on_same_signature() -> None:
    f, traces = _counting(lambda x, y: jnp.sin(x) * y)
    jf = fl.jit(f)
    for k in range(3):
        jf(jnp.ones((2, 3)) * k, jnp.ones((2, 3)))
    assert len(traces) == 1
    info = jf.cache_info()
    assert (info.hits, info.misses, info.size) == (2, 1, 1)
    # a non-contiguous argument of the same shape/dtype reuses the trace
    jf(jnp.ones((3, 2)).T, jnp.ones((2, 3)))
    assert len(traces) == 1


def test_retrace_on_new_shape_dtype_weak_type_and_structure() -> None:
    f, traces = _counting(lambda x: x * 2)
    jf = fl.jit(f)
    jf(jnp.ones(3, dtype=jnp.float32))
    jf(jnp.ones(4, dtype=jnp.float32))  # shape
    assert len(traces) == 2
    jf(jnp.ones(4, dtype=jnp.float64))  # dtype
    assert len(traces) == 3
    jf(1.0)  # a weakly typed Python float ...
    jf(jnp.asarray(np.float32(1.0)))  # ... is not a strongly typed f32 scalar
    assert len(traces) == 5
    jf(2.0)
    assert len(traces) == 5
    g, gtraces = _counting(lambda t: t[0] + t[1])
    jg = fl.jit(g)
    jg((jnp.ones(2), jnp.ones(2)))
    jg([jnp.ones(2), jnp.ones(2)])  # tuple vs list: a new tree structure
    assert len(gtraces) == 2
    assert jf.cache_info().misses == 5


def test_list_and_python_scalar_arguments_take_the_fast_path_correctly() -> None:
    """Lists/tuples of Arrays and Python scalars are keyed without pytree flattening;
    values still flow in, and structure, dtype and shape changes still retrace."""
    f, traces = _counting(lambda ps, s, k: [p * s + k for p in ps])
    jf = fl.jit(f)
    ps = [jnp.ones(2, "float32"), jnp.arange(3.0, dtype="float32")]

    def expect(out: Any, s: float, k: float) -> None:
        np.testing.assert_allclose(np.asarray(out[0]), np.ones(2) * s + k)
        np.testing.assert_allclose(np.asarray(out[1]), np.arange(3.0) * s + k)

    expect(jf(ps, 2.0, 1), 2.0, 1)
    expect(jf(ps, 3.0, 2), 3.0, 2)  # new values, same trace
    expect(jf([ps[0], ps[1]], -1.5, 0), -1.5, 0)
    assert len(traces) == 1
    expect(jf(ps, 2, 1), 2, 1)  # an int scale: another dtype
    assert len(traces) == 2
    expect(jf(tuple(ps), 2.0, 1), 2.0, 1)  # a tuple: another structure
    assert len(traces) == 3
    jf([ps[0], ps[1][:2]], 2.0, 1)  # another shape
    assert len(traces) == 4
    big = jf(ps, 2.0, 2**40)  # 64-bit mode: Python ints are int64 already, so the same trace
    assert len(traces) == 4 and float(big[0][0]) == float(np.float32(2.0) + np.float32(2**40))
    with fl.enable_x64(False):  # 32-bit mode: a new mode is a new trace, and 2**40 does not fit int32
        expect(jf(ps, 3.0, 2), 3.0, 2)
        assert len(traces) == 5
        with pytest.raises(OverflowError, match="int32"):
            jf(ps, 2.0, 2**40)
    expect(jf(ps, 3.0, 2), 3.0, 2)
    assert len(traces) == 5
    # bools are not ints
    g, gtraces = _counting(lambda x, flag: jnp.where(flag, x, -x))
    jg = fl.jit(g)
    np.testing.assert_array_equal(np.asarray(jg(jnp.ones(2), True)), [1.0, 1.0])
    np.testing.assert_array_equal(np.asarray(jg(jnp.ones(2), False)), [-1.0, -1.0])
    np.testing.assert_array_equal(np.asarray(jg(jnp.ones(2), 0)), [-1.0, -1.0])
    assert len(gtraces) == 2


def test_weak_type_is_kept_through_jit() -> None:
    out = fl.jit(lambda x: x * 2)(1.0)
    assert out.weak_type == (1.0 * jnp.asarray(1.0)).weak_type
    y = fl.jit(lambda x: x + 1.0)(jnp.ones(2, dtype=jnp.float32))
    assert y.dtype == np.float32


def test_static_arguments() -> None:
    f, traces = _counting(lambda x, n, mode="a": x ** n if mode == "a" else x * n)
    jf = fl.jit(f, static_argnums=1, static_argnames="mode")
    assert float(jf(2.0, 3)) == 8.0
    assert float(jf(5.0, 3)) == 125.0
    assert len(traces) == 1
    assert float(jf(2.0, 4)) == 16.0  # new static value: retrace
    assert len(traces) == 2
    assert float(jf(2.0, 4, mode="b")) == 8.0
    assert len(traces) == 3
    with pytest.raises(TypeError, match="hashable"):
        jf(2.0, [1, 2])
    with pytest.raises(TypeError, match="hashable"):
        jf(2.0, 1, mode={"x": 1})
    # a static argument given by name among the positionals
    h = fl.jit(lambda x, k: x * k, static_argnames="k")
    assert float(h(2.0, 3)) == 6.0


def test_static_argument_drives_python_control_flow() -> None:
    @fl.jit(static_argnames="relu")
    def layer(x: Any, relu: bool) -> Any:
        return jnp.maximum(x, 0.0) if relu else x

    x = jnp.asarray([-1.0, 2.0])
    assert np.asarray(layer(x, relu=True)).tolist() == [0.0, 2.0]
    assert np.asarray(layer(x, relu=False)).tolist() == [-1.0, 2.0]


def test_python_if_on_traced_value_raises_naming_lax_cond() -> None:
    def f(x: Any) -> Any:
        if x > 0:
            return x
        return -x

    with pytest.raises(core.ConcretizationTypeError, match="lax.cond"):
        fl.jit(f)(1.0)


def test_explain_cache_misses_message(capsys: Any) -> None:
    prev = fl.config.explain_cache_misses
    fl.config.update("explain_cache_misses", True)
    try:
        def my_fun(x: Any) -> Any:
            return x + 1

        jf = fl.jit(my_fun)
        jf(jnp.ones(2, "float32"))
        jf(jnp.ones(3, "float32"))
        err = capsys.readouterr().err
        assert "retracing 'my_fun'" in err and "(2,)" in err and "(3,)" in err
        jf(jnp.ones(3, dtype=jnp.float64))
        assert "float64" in capsys.readouterr().err
    finally:
        fl.config.update("explain_cache_misses", prev)
    with pytest.raises(KeyError, match="unknown config option"):
        fl.config.update("no_such_option", True)


def test_explain_cache_misses_environment_variable() -> None:
    code = (
        "import functorch_lite as fl, functorch_lite.numpy as jnp\n"
        "f = fl.jit(lambda x: x * 2)\n"
        "f(jnp.ones(2)); f(jnp.ones(5))\n"
    )
    env = {"FUNCTORCH_LITE_EXPLAIN_CACHE_MISSES": "1", "PATH": "/usr/bin:/bin"}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "retracing" in res.stderr and "(5,)" in res.stderr


# --- make_ir / eval_shape / disable_jit -----------------------------------------------------------


def test_make_ir_printing() -> None:
    text = str(fl.make_ir(lambda x, y: jnp.sum(jnp.sin(x) * y))(fl.ShapeDtypeStruct((2, 3), "float32"),
                                                                jnp.ones((2, 3), "float32")))
    assert text.startswith("{ lambda ; a:f32[2,3] b:f32[2,3] . let")
    assert "sin a" in text and "mul" in text and "reduce_sum" in text
    assert text.rstrip().endswith("}")
    assert "f32[]" in text
    prog = fl.make_ir(lambda x, n: x * n, static_argnums=1)(jnp.ones(2), 3)
    assert len(prog.invars) == 1


def test_make_ir_of_transformed_functions() -> None:
    prog = fl.make_ir(fl.grad(lambda x: jnp.sum(jnp.sin(x))))(jnp.ones(3))
    assert "cos" in [e.prim.name for e in prog.eqns]
    prog = fl.make_ir(fl.vmap(lambda x: jnp.sum(x)))(jnp.ones((4, 3)))
    assert prog.out_avals[0].shape == (4,)


def test_eval_shape() -> None:
    out = fl.eval_shape(lambda x, y: {"p": x @ y, "s": jnp.sum(x)},
                        fl.ShapeDtypeStruct((3, 4), "float32"), fl.ShapeDtypeStruct((4, 5), jnp.float64))
    assert out["p"].shape == (3, 5) and out["p"].dtype == np.float64
    assert out["s"].shape == () and out["s"].dtype == np.float32
    s = fl.eval_shape(jnp.sin, jnp.ones((2, 2)))
    assert isinstance(s, fl.ShapeDtypeStruct) and s.shape == (2, 2)
    with pytest.raises((TypeError, ValueError)):
        fl.eval_shape(lambda x, y: x @ y, fl.ShapeDtypeStruct((3, 4), "float32"),
                      fl.ShapeDtypeStruct((5, 5), "float32"))


def test_disable_jit_runs_python_eagerly() -> None:
    seen: list[Any] = []

    @fl.jit
    def f(x: Any) -> Any:
        seen.append(type(x).__name__)
        return x * 2

    with fl.disable_jit():
        assert np.asarray(f(jnp.ones(2))).tolist() == [2.0, 2.0]
        f(jnp.ones(2))
    assert seen == ["Array", "Array"]
    assert f.cache_info().misses == 0
    f(jnp.ones(2))
    assert seen[-1] != "Array" and f.cache_info().misses == 1
    assert not fl.config.disable_jit


# --- compositions -----------------------------------------------------------------------------------


def _loss(w: Any, x: Any) -> Any:
    return jnp.sum(jnp.tanh(x @ w) ** 2)


def _data() -> tuple[Any, Any]:
    rng = np.random.default_rng(0)
    return jnp.asarray(rng.standard_normal((3, 2))), jnp.asarray(rng.standard_normal((4, 3)))


def test_jit_of_grad_and_vmap_and_grad_vmap_of_jit_equal_eager() -> None:
    w, x = _data()
    g = fl.grad(_loss)(w, x)
    for h in (fl.jit(fl.grad(_loss)), fl.grad(fl.jit(_loss)), fl.jit(fl.grad(fl.jit(_loss)))):
        np.testing.assert_allclose(np.asarray(h(w, x)), np.asarray(g), rtol=1e-12, atol=1e-12)
    per_ex = fl.vmap(fl.grad(_loss), in_axes=(None, 0))(w, x[:, None, :])
    for v in (fl.jit(fl.vmap(fl.grad(_loss), in_axes=(None, 0))), fl.vmap(fl.jit(fl.grad(_loss)), in_axes=(None, 0)),
              fl.vmap(fl.grad(fl.jit(_loss)), in_axes=(None, 0))):
        np.testing.assert_allclose(np.asarray(v(w, x[:, None, :])), np.asarray(per_ex), rtol=1e-12, atol=1e-12)
    ys = fl.vmap(_loss, in_axes=(None, 0))(w, x[:, None, :])
    np.testing.assert_allclose(np.asarray(fl.jit(fl.vmap(_loss, in_axes=(None, 0)))(w, x[:, None, :])),
                               np.asarray(ys), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(fl.vmap(fl.jit(_loss), in_axes=(None, 0))(w, x[:, None, :])),
                               np.asarray(ys), rtol=1e-12)
    hj = fl.jit(fl.hessian(lambda v: _loss(v, x)))(w)
    np.testing.assert_allclose(np.asarray(hj), np.asarray(fl.hessian(lambda v: _loss(v, x))(w)), rtol=1e-10,
                               atol=1e-12)


def test_jit_inside_jit() -> None:
    inner_traces: list[int] = []

    @fl.jit
    def inner(x: Any) -> Any:
        inner_traces.append(1)
        return jnp.sin(x) + 1.0

    @fl.jit
    def outer(x: Any) -> Any:
        return inner(x) * inner(2.0 * x)

    x = jnp.asarray([0.1, 0.2])
    want = (np.sin([0.1, 0.2]) + 1) * (np.sin([0.2, 0.4]) + 1)
    np.testing.assert_allclose(np.asarray(outer(x)), want, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(outer(x)), want, rtol=1e-6)
    assert outer.cache_info().misses == 1
    # the outer program contains the inner one's operations
    names = [e.prim.name for e in outer.lower(x).ir().eqns]
    assert names.count("sin") == 2
    g = fl.grad(lambda v: jnp.sum(outer(v)))(x)
    assert np.asarray(g).shape == (2,)


def test_jit_closure_over_outer_tracer() -> None:
    # a jitted function that closes over a value of an enclosing transform
    def f(y: Any) -> Any:
        return fl.jit(lambda x: x * y)(jnp.asarray(3.0))

    assert float(fl.grad(f)(2.0)) == 3.0
    np.testing.assert_allclose(np.asarray(fl.vmap(f)(jnp.asarray([1.0, 2.0]))), [3.0, 6.0])


def test_jit_pytrees_kwargs_and_method() -> None:
    @fl.jit
    def f(p: Any, scale: Any = 1.0) -> Any:
        return {"out": (p["a"] + p["b"][0]) * scale, "n": p["b"][1]}

    out = f({"a": jnp.ones(2), "b": (jnp.ones(2), jnp.zeros(1))}, scale=3.0)
    assert np.asarray(out["out"]).tolist() == [6.0, 6.0] and np.asarray(out["n"]).tolist() == [0.0]

    class Model:
        def __init__(self) -> None:
            self.k = 2.0

        @fl.jit(static_argnums=0)  # self is static (hashable by identity), as in JAX
        def apply(self_: Any, x: Any) -> Any:  # noqa: N805
            return x * self_.k

    assert float(Model().apply(jnp.asarray(4.0))) == 8.0


def test_jit_returns_constants_and_inputs() -> None:
    f = fl.jit(lambda x: (x, jnp.ones(2), 3.0))
    a, b, c = f(jnp.asarray([5.0]))
    assert np.asarray(a).tolist() == [5.0] and np.asarray(b).tolist() == [1.0, 1.0] and float(c) == 3.0


def test_leaked_tracer_from_jit_raises_naming_the_transform() -> None:
    leaked: list[Any] = []

    @fl.jit
    def f(x: Any) -> Any:
        leaked.append(x)
        return x + 1

    f(jnp.ones(2))
    with pytest.raises(core.LeakedTracerError, match="jit"):
        jnp.sin(leaked[0])
