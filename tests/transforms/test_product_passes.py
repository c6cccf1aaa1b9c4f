"""jit's product passes: column-major small-row products (``product_layout``)
and updates folded into their GEMM (``product_update``).  Values against
NumPy; each pass's choice read from the lowered program."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import core
from functorch_lite.ops.kernels import blas_update
from functorch_lite.ops.linalg import dot_update_p
from functorch_lite.transforms.compiler import optimize
from functorch_lite.transforms.product_layout import product_layouts
from functorch_lite.transforms.product_update import product_updates


def _prims(f: Any, *args: Any) -> list[str]:
    p = product_updates(product_layouts(optimize(fl.make_ir(f)(*args))))
    return [e.prim.name for e in p.eqns]


def _rand(rng: np.random.Generator, *shape: int, dtype: Any = np.float32) -> np.ndarray[Any, Any]:
    return rng.standard_normal(shape).astype(dtype)


# --- product_layout ------------------------------------------------------------------------------


def _mlp_step(params: list[tuple[Any, Any]], x: Any, y: Any) -> Any:
    def loss(params: Any) -> Any:
        h = x
        for w, b in params[:-1]:
            h = jnp.tanh(h @ w + b)
        w, b = params[-1]
        logits = h @ w + b
        return -jnp.mean(jnp.sum(jnp.log_softmax(logits) * y, axis=1))

    grads = fl.grad(loss)(params)
    return [(w - 0.01 * dw, b - 0.01 * db) for (w, b), (dw, db) in zip(params, grads)]


def _np_mlp_step(params: list[tuple[Any, Any]], x: Any, y: Any) -> list[tuple[Any, Any]]:
    acts = [x]
    h = x
    for w, b in params[:-1]:
        h = np.tanh(h @ w + b)
        acts.append(h)
    w, b = params[-1]
    z = h @ w + b
    e = np.exp(z - z.max(1, keepdims=True))
    g = (e / e.sum(1, keepdims=True) - y * y.sum(1, keepdims=True)) / x.shape[0]
    out = []
    for i in range(len(params) - 1, -1, -1):
        w, b = params[i]
        out.append((w - 0.01 * (acts[i].T @ g), b - 0.01 * g.sum(0)))
        if i:
            g = (g @ w.T) * (1 - acts[i] ** 2)
    return out[::-1]


def test_mlp_step_runs_its_small_row_products_column_major_with_numpy_values() -> None:
    rng = np.random.default_rng(0)
    sizes = (96, 512, 512, 10)
    params = [(_rand(rng, m, n) * 0.1, _rand(rng, n) * 0.1) for m, n in zip(sizes[:-1], sizes[1:])]
    x, y = _rand(rng, 32, 96), np.eye(10, dtype=np.float32)[rng.integers(0, 10, 32)]
    fparams = [(jnp.asarray(w), jnp.asarray(b)) for w, b in params]
    prims = _prims(_mlp_step, fparams, jnp.asarray(x), jnp.asarray(y))
    # x@W1, h1@W2 and the two hidden cotangent products (g@W.T) are (32, 512): column-major
    assert prims.count("transpose") == 4
    got = fl.jit(_mlp_step)(fparams, jnp.asarray(x), jnp.asarray(y))
    eager = _mlp_step(fparams, jnp.asarray(x), jnp.asarray(y))
    want = _np_mlp_step([(w.astype(np.float64), b.astype(np.float64)) for w, b in params],
                        x.astype(np.float64), y.astype(np.float64))
    for (gw, gb), (ew, eb_), (ww, wb) in zip(got, eager, want):
        np.testing.assert_allclose(np.asarray(gw), ww, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(np.asarray(gb), wb, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(np.asarray(gw), np.asarray(ew), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(np.asarray(gb), np.asarray(eb_), rtol=1e-6, atol=1e-7)
        assert np.asarray(gw).flags.c_contiguous  # outputs stay row-major


@pytest.mark.parametrize("case", ["residual", "output", "reshape", "big_rows", "narrow"])
def test_a_column_major_product_that_would_meet_row_major_code_stays_row_major(case: str) -> None:
    rng = np.random.default_rng(1)
    x, w = jnp.asarray(_rand(rng, 32, 64)), jnp.asarray(_rand(rng, 64, 512))
    fns = {
        "residual": lambda x, w: jnp.tanh(jnp.tile(x, (1, 8)) + x @ w).sum(),  # meets a row-major value
        "output": lambda x, w: x @ w,                                  # a program output
        "reshape": lambda x, w: jnp.tanh(x @ w).reshape(-1)[::3].sum(),  # a reshape reads it
        "big_rows": lambda x, w: jnp.tanh(jnp.tile(x, (16, 1)) @ w).sum(),  # 512 rows: not a candidate
        "narrow": lambda x, w: jnp.tanh(x @ w[:, :256]).sum(),        # 256 columns: not a candidate
    }
    f = fns[case]
    assert "transpose" not in _prims(f, x, w)
    np.testing.assert_allclose(np.asarray(fl.jit(f)(x, w)), np.asarray(f(x, w)), rtol=2e-5, atol=1e-5)


def test_a_conflict_sends_back_only_the_products_it_involves() -> None:
    rng = np.random.default_rng(2)
    x, w = jnp.asarray(_rand(rng, 32, 64)), jnp.asarray(_rand(rng, 64, 1024))

    def f(x: Any, w: Any) -> Any:
        a = jnp.tanh(x @ w)          # only reduced: column-major is fine
        b = x @ w[:, :512] * 2.0     # meets a row-major value below
        return a.sum(axis=0), (b + jnp.tile(x, (1, 8))).sum()

    prims = _prims(f, x, w)
    assert prims.count("transpose") == 1
    got, want = fl.jit(f)(x, w), f(x, w)
    for g, e in zip(got, want):
        np.testing.assert_allclose(np.asarray(g), np.asarray(e), rtol=2e-5, atol=1e-4)


@settings(max_examples=25, deadline=None)
@given(m=st.integers(16, 40), k=st.integers(1, 70), extra=st.integers(1, 60),
       dtype=st.sampled_from([np.float32, np.float64]), strided=st.booleans())
def test_column_major_chains_match_numpy(m: int, k: int, extra: int, dtype: Any, strided: bool) -> None:
    rng = np.random.default_rng(m * 1000 + k)
    n = 512 + extra
    xs = _rand(rng, m, 2 * k if strided else k, dtype=dtype)
    x_np = xs[:, ::2] if strided else xs
    w_np, b_np = _rand(rng, k, n, dtype=dtype), _rand(rng, n, dtype=dtype)

    def f(x: Any, w: Any, b: Any) -> Any:
        h = jnp.tanh(x @ w + b)
        return (h * h).sum(axis=0), jnp.max(h, axis=1)

    x = jnp.asarray(xs)[:, ::2] if strided else jnp.asarray(xs)
    got = fl.jit(f)(x, jnp.asarray(w_np), jnp.asarray(b_np))
    h = np.tanh(x_np.astype(np.float64) @ w_np + b_np)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(np.asarray(got[0]), (h * h).sum(axis=0), rtol=tol, atol=tol * k)
    np.testing.assert_allclose(np.asarray(got[1]), h.max(axis=1), rtol=tol, atol=tol)


# --- product_update -------------------------------------------------------------------------------

UPDATES = {
    "w - s*(x.T@g)": (lambda w, x, g: w - 0.01 * (x.T @ g), lambda w, x, g: w - 0.01 * (x.T @ g)),
    "w - (x.T@g)*s": (lambda w, x, g: w - (x.T @ g) * 0.5, lambda w, x, g: w - (x.T @ g) * 0.5),
    "w + s*(x.T@g)": (lambda w, x, g: w + 2.0 * (x.T @ g), lambda w, x, g: w + 2.0 * (x.T @ g)),
    "(x.T@g) + w": (lambda w, x, g: (x.T @ g) + w, lambda w, x, g: (x.T @ g) + w),
    "w - x.T@g": (lambda w, x, g: w - x.T @ g, lambda w, x, g: w - x.T @ g),
}


@pytest.mark.parametrize("name", sorted(UPDATES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_updates_of_a_product_fold_into_one_gemm(name: str, dtype: Any) -> None:
    f, ref = UPDATES[name]
    rng = np.random.default_rng(3)
    w, x, g = _rand(rng, 512, 1030, dtype=dtype), _rand(rng, 24, 512, dtype=dtype), _rand(rng, 24, 1030, dtype=dtype)
    args = [jnp.asarray(a) for a in (w, x, g)]
    # float32 only (where it was measured); float64 keeps the product and the fused update
    assert (_prims(f, *args) == ["dot_update"]) == (dtype == np.float32)
    got = np.asarray(fl.jit(f)(*args))
    want = ref(*(a.astype(np.float64) for a in (w, x, g)))
    tol = 2e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * 10)
    assert got.dtype == dtype


@pytest.mark.parametrize("case", ["small", "other_use", "array_scale", "product_first", "int"])
def test_updates_that_must_not_fold(case: str) -> None:
    rng = np.random.default_rng(4)
    w, x, g = _rand(rng, 1024, 1024), _rand(rng, 8, 1024), _rand(rng, 8, 1024)
    fns = {
        "small": (lambda w, x, g: w[:512, :512] - 0.1 * (x[:, :512].T @ g[:, :512])),
        "other_use": (lambda w, x, g: (w - 0.1 * (x.T @ g), (x.T @ g).sum())),
        "array_scale": (lambda w, x, g: w - g[0] * (x.T @ g)),
        "product_first": (lambda w, x, g: 0.1 * (x.T @ g) - w),
        "int": (lambda w, x, g: w.astype(jnp.int32) - 2 * (x.astype(jnp.int32).T @ g.astype(jnp.int32))),
    }
    f = fns[case]
    args = [jnp.asarray(a) for a in (w, x, g)]
    assert "dot_update" not in _prims(f, *args)
    for got, want in zip(fl.tree.leaves(fl.jit(f)(*args)), fl.tree.leaves(f(*args))):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=2e-5, atol=1e-4)


@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
@pytest.mark.parametrize("blas", [True, False])
def test_accumulate_product_every_layout_and_without_blas(ta: bool, tb: bool, blas: bool,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    if not blas:
        monkeypatch.setattr(blas_update, "gemm_entry", lambda dtype: None)
    rng = np.random.default_rng(5)
    a = _rand(rng, 40, 30, dtype=np.float64)
    b = _rand(rng, 30, 50, dtype=np.float64)
    c = _rand(rng, 50, 40, dtype=np.float64).T  # a column-major addend
    aa = np.ascontiguousarray(a.T).T if ta else a
    bb = np.ascontiguousarray(b.T).T if tb else b
    got = blas_update.accumulate_product(c, aa, bb, -0.25)
    np.testing.assert_allclose(got, c - 0.25 * (a @ b), rtol=1e-12, atol=1e-12)
    assert got.flags.c_contiguous
    # a layout BLAS cannot read (a stepped slice) is computed by NumPy, same values
    step = _rand(rng, 40, 60, dtype=np.float64)[:, ::2]
    np.testing.assert_allclose(blas_update.accumulate_product(c, step, b, 1.0), c + step @ b, rtol=1e-12)


def test_accumulate_product_empty_contraction_and_empty_result() -> None:
    c = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = blas_update.accumulate_product(c, np.ones((2, 0), np.float32), np.ones((0, 3), np.float32), 3.0)
    assert out.tolist() == c.tolist() and out is not c
    assert blas_update.accumulate_product(np.ones((0, 3), np.float32), np.ones((0, 4), np.float32),
                                          np.ones((4, 3), np.float32), 1.0).shape == (0, 3)


def test_dot_update_is_lowering_only() -> None:
    assert "dot_update" not in core.PRIMITIVES
    with pytest.raises(TypeError, match="addend's shape"):
        dot_update_p.impl(jnp.ones((2, 2)), jnp.ones((2, 3)), jnp.ones((3, 3)),
                          dimension_numbers=(((1,), (0,)), ((), ())), alpha=1.0)


def test_kernels_after_a_column_major_product_take_their_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each fused kernel's fast path is compiled for the layouts the program
    gives its inputs (column-major activations here), not only C order."""
    from functorch_lite.transforms.fusion_runner import GroupRunner

    rng = np.random.default_rng(6)
    sizes = (64, 512, 512, 10)
    params = [(jnp.asarray(_rand(rng, m, n) * 0.1), jnp.asarray(_rand(rng, n) * 0.1))
              for m, n in zip(sizes[:-1], sizes[1:])]
    x, y = jnp.asarray(_rand(rng, 32, 64)), jnp.asarray(np.eye(10, dtype=np.float32)[rng.integers(0, 10, 32)])
    step = fl.jit(_mlp_step)
    first = step(params, x, y)
    generic = []
    original = GroupRunner.run_generic

    def counting(self: GroupRunner, *xs: Any) -> Any:
        generic.append(self)
        return original(self, *xs)

    monkeypatch.setattr(GroupRunner, "run_generic", counting)
    again = step(params, x, y)
    assert not generic
    assert "(1, 32)" in step.lower(params, x, y).as_text()  # a guard for a column-major (32, 512) input
    for a, b in zip(fl.tree.leaves(first), fl.tree.leaves(again)):
        assert np.array_equal(np.asarray(a), np.asarray(b))
    # a caller's transposed view still runs, through the generic path
    h = jnp.asarray(_rand(rng, 512, 32))
    f = fl.jit(lambda h, b: jnp.tanh(h + b))
    f(jnp.asarray(_rand(rng, 32, 512)), params[0][1])
    np.testing.assert_allclose(np.asarray(f(h.T, params[0][1])), np.tanh(np.asarray(h).T + np.asarray(params[0][1])),
                               rtol=1e-6, atol=1e-6)
    assert generic


def test_accumulate_product_non_native_byte_order_takes_the_numpy_path() -> None:
    a = np.arange(6, dtype=">f8").reshape(2, 3)
    b = np.linspace(0, 1, 6).astype(">f8").reshape(3, 2)
    c = np.ones((2, 2), ">f8")
    want = c.astype(np.float64) - 0.5 * (a.astype(np.float64) @ b.astype(np.float64))
    np.testing.assert_allclose(blas_update.accumulate_product(c, a, b, -0.5), want, rtol=1e-15)


def test_float64_products_stay_row_major() -> None:
    rng = np.random.default_rng(7)
    x, w = jnp.asarray(_rand(rng, 32, 64, dtype=np.float64)), jnp.asarray(_rand(rng, 64, 512, dtype=np.float64))
    f = lambda x, w: jnp.tanh(x @ w).sum(axis=0)  # noqa: E731
    assert "transpose" not in _prims(f, x, w)
    assert "transpose" in _prims(f, x.astype(jnp.float32), w.astype(jnp.float32))


_LAYOUTS = {
    "row-major": lambda a: a,
    "column-major": lambda a: jnp.transpose(jnp.asarray(np.ascontiguousarray(np.asarray(a).T))),
    "strided": lambda a: jnp.asarray(np.repeat(np.asarray(a), 2, axis=1))[:, ::2],
    "reversed": lambda a: jnp.asarray(np.asarray(a)[::-1].copy())[::-1],
    "broadcast row": lambda a: jnp.broadcast_to(a[:1], a.shape),
    "padded rows": lambda a: jnp.asarray(np.pad(np.asarray(a), ((0, 0), (0, 3))))[:, :a.shape[1]],
}


@pytest.mark.parametrize("layout", list(_LAYOUTS))
@pytest.mark.parametrize("shape", [(5, 7), (1, 7), (5, 1)])
def test_jitted_matrix_products_take_any_operand_layout(layout: str, shape: tuple[int, int]) -> None:
    """The jitted matrix product calls ``np.matmul`` straight on operands BLAS can
    read as they are (row- or column-major, tested on the Arrays' own strides)
    and hands every other layout to the general impl: each of the four
    orientations, for each operand layout, gives NumPy's product."""
    rng = np.random.default_rng(3)
    a = _LAYOUTS[layout](jnp.asarray(_rand(rng, *shape)))
    b = jnp.asarray(_rand(rng, shape[1], 4))
    c = jnp.asarray(_rand(rng, 4, shape[0]))
    an, bn, cn = np.asarray(a), np.asarray(b), np.asarray(c)
    cases = {
        "a @ b": (lambda x, y: x @ y, (a, b), an @ bn),
        "b.T @ a.T": (lambda x, y: y.T @ x.T, (a, b), bn.T @ an.T),
        "a.T @ c.T": (lambda x, y: x.T @ y.T, (a, c), an.T @ cn.T),
        "c @ a": (lambda x, y: y @ x, (a, c), cn @ an),
    }
    for name, (f, args, want) in cases.items():
        got = fl.jit(f)(*args)
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-5, err_msg=name)
        # a jitted kernel's whole-buffer output (row- or column-major) read back through a view
        twice = fl.jit(lambda x, y, f=f: f(x, y) * 2.0)(*args)
        np.testing.assert_allclose(np.asarray(twice), 2 * want, rtol=1e-5, atol=1e-5, err_msg=name)
