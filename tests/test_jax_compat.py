"""JAX users' code, run side by side with JAX (the ``compare`` extra): one
representative snippet per point of the JAX-compatibility list (jit caching,
32-bit mode, custom rules, concrete control flow, pytrees with paths, API
names, optimizers), same values, same dtypes, same exception names.
docs/jax_users.md lists every remaining difference."""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as fjnp
from functorch_lite import lax as flax
from functorch_lite import random as frandom
from functorch_lite import tree_util as ftu

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
jtu = pytest.importorskip("jax.tree_util")

# JAX runs in its default (32-bit) mode here: so does the library. Other compare modules turn
# JAX's 64-bit flag on at import, so it is set off (and restored) around each test.
pytestmark = pytest.mark.usefixtures("x64_off", "jax32")

LIBS = [(fl, fjnp, flax, frandom, ftu), (jax, jnp, jax.lax, jax.random, jtu)]


def _both(fn: Any) -> tuple[Any, Any]:
    return fn(*LIBS[0]), fn(*LIBS[1])


def _same(a: Any, b: Any, rtol: float = 1e-6) -> None:
    la, lb = jtu.tree_leaves(a), jtu.tree_leaves(b)
    assert len(la) == len(lb)
    for x, y in zip(la, lb):
        x, y = np.asarray(x), np.asarray(y)
        assert x.dtype == y.dtype and x.shape == y.shape, (x.dtype, y.dtype, x.shape, y.shape)
        np.testing.assert_allclose(x, y, rtol=rtol, atol=1e-6)


# --- 1. jit caches by function -------------------------------------------------------------------
def test_jit_reuses_the_trace_of_the_same_function_and_global_gotcha() -> None:
    def run(m: Any, np_: Any, *_: Any) -> list[Any]:
        g = [0.0]

        def impure(x: Any) -> Any:
            return x + g[0]

        out = [m.jit(impure)(np_.float32(4.0))]
        g[0] = 10.0  # the "pure functions" gotcha: the cached trace keeps the old value
        out.append(m.jit(impure)(np_.float32(5.0)))
        out.append(m.jit(impure)(np_.array([4.0], np_.float32)))  # a new shape retraces: sees 10
        return out

    _same(*_both(run))


# --- 2. 32-bit by default ------------------------------------------------------------------------
def test_default_and_x64_dtypes_match() -> None:
    def run(m: Any, np_: Any, *_: Any) -> list[Any]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [np_.asarray(np.ones(2)), np_.arange(3), np_.zeros(2, np_.float64), np_.ones(2).astype("int64"),
                    m.grad(lambda x: (x * x).sum())(np.linspace(0, 1, 3))]

    _same(*_both(run))
    with fl.enable_x64(), jax.enable_x64(True):
        _same(*_both(lambda m, np_, *_: [np_.asarray(np.ones(2)), np_.arange(3), np_.array([1.5]),
                                         np_.argmax(np_.ones(3)), np_.ones(2, np_.int32) * 2.5]))


# --- 3. custom rules -----------------------------------------------------------------------------
def test_custom_jvp_defjvps_and_nondiff_argnums() -> None:
    def run(m: Any, np_: Any, *_: Any) -> list[Any]:
        @m.custom_jvp
        def f(x: Any, y: Any) -> Any:
            return np_.sin(x) * y

        f.defjvps(lambda t, ans, x, y: np_.cos(x) * 2.0 * t * y, lambda t, ans, x, y: np_.sin(x) * t)

        from functools import partial

        @partial(m.custom_vjp, nondiff_argnums=(0,))
        def scale(k: float, x: Any) -> Any:
            return k * x

        scale.defvjp(lambda k, x: (k * x, None), lambda k, res, g: (3.0 * k * g,))
        x = np_.float32(0.7)
        return [m.grad(f)(x, 2.0), m.grad(f, argnums=1)(x, 2.0), m.grad(lambda v: scale(2.0, v))(x)]

    _same(*_both(run))


# --- 4. Python control flow on concrete values; error names under jit -----------------------------
def test_concrete_control_flow_under_grad_and_error_names_under_jit() -> None:
    def f(m: Any, np_: Any) -> Any:
        def g(x: Any) -> Any:
            return x * x if x > 0 else -x
        return g

    a, b = _both(lambda m, np_, *_: [m.grad(f(m, np_))(np_.float32(2.0)), m.grad(f(m, np_))(np_.float32(-2.0))])
    _same(a, b)
    for m, np_, *_ in LIBS:
        with pytest.raises(Exception) as info:
            m.jit(f(m, np_))(np_.float32(1.0))
        assert type(info.value).__name__ == "TracerBoolConversionError"
        assert isinstance(info.value, m.errors.ConcretizationTypeError)


# --- 5. pytrees with paths -----------------------------------------------------------------------
def test_paths_keystr_and_registered_nodes() -> None:
    tree = {"a": [1.0, (2.0, 3.0)], "b": {"c": 4.0}}
    keys = [(ftu.keystr(p), v) for p, v in ftu.tree_flatten_with_path(tree)[0]]
    want = [(jtu.keystr(p), v) for p, v in jtu.tree_flatten_with_path(tree)[0]]
    assert keys == want
    got = ftu.tree_map_with_path(lambda p, v: len(p) * v, tree)
    assert got == jtu.tree_map_with_path(lambda p, v: len(p) * v, tree)

    def point(tu: Any) -> Any:
        @dataclasses.dataclass
        class Point:
            x: Any
            y: Any
            name: str

        tu.register_dataclass(Point, data_fields=["x", "y"], meta_fields=["name"])
        return Point(1.0, 2.0, "p")

    assert ftu.tree_leaves(point(ftu)) == jtu.tree_leaves(point(jtu))
    assert ftu.tree_transpose(ftu.tree_structure([0, 0]), ftu.tree_structure((0, 0)), [(1, 2), (3, 4)]) == \
        jtu.tree_transpose(jtu.tree_structure([0, 0]), jtu.tree_structure((0, 0)), [(1, 2), (3, 4)])


# --- 6. API names JAX code uses ------------------------------------------------------------------
def test_api_names_same_values() -> None:
    def run(m: Any, np_: Any, lax: Any, random: Any, _: Any) -> list[Any]:
        x = np_.arange(5.0, dtype=np_.float32)
        idx = np_.array([0, 7, -9])
        k = random.PRNGKey(42)
        return [x.at[idx].get(mode="fill", fill_value=-1.0), x.at[idx].add(1.0, mode="drop"),
                x.at[idx].get(mode="clip"), np_.take(x, idx, mode="clip"),
                random.randint(k, (6,), 0, 100), random.uniform(random.split(k)[1], (3,)),
                x.block_until_ready(),
                lax.fori_loop(0, 4, lambda i, c: c * 2.0, np_.float32(1.0))]

    _same(*_both(run))
    # key words: uint32, as JAX's (docs/jax_users.md)
    ours, theirs = np.asarray(frandom.key_data(frandom.key(3))), np.asarray(jax.random.key_data(jax.random.key(3)))
    assert ours.dtype == theirs.dtype == np.uint32 and (ours == theirs).all()
    assert "sin" in str(fl.make_jaxpr(fjnp.sin)(1.0)) and str(jax.make_jaxpr(jnp.sin)(1.0)).startswith("{ lambda")
    for _m, np_, *_ in LIBS:
        with pytest.raises(TypeError):
            np_.sum([1, 2, 3])


# --- 7. functional optimizers --------------------------------------------------------------------
def test_optimizers_follow_optax() -> None:
    optax = pytest.importorskip("optax")
    params = {"w": fjnp.array([1.0, -2.0]), "b": fjnp.array(0.5)}
    grads = {"w": fjnp.array([0.3, -0.1]), "b": fjnp.array(0.2)}
    for ours, theirs in [(fl.optimizers.adam(0.1), optax.adam(0.1)), (fl.optimizers.sgd(0.1, momentum=0.9),
                                                                      optax.sgd(0.1, momentum=0.9))]:
        so, st = ours.init(params), theirs.init({k: jnp.asarray(np.asarray(v)) for k, v in params.items()})
        for _ in range(3):
            uo, so = ours.update(grads, so, params)
            ut, st = theirs.update({k: jnp.asarray(np.asarray(v)) for k, v in grads.items()}, st)
        _same(uo, ut, rtol=1e-5)
