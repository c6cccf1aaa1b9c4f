"""vmap of every registry entry against a Python loop of the entry.

A batch of 1-3 examples is made from one drawn input by permuting values
(float arrays: all elements; integer/boolean arrays: rows, so index columns
keep their bounds; sorted inputs are re-sorted), so every example stays inside the entry's domain and
shapes.  Checks: ``vmap(fn)`` over stacked inputs equals stacking ``fn``
over the examples, for drawn ``in_axes`` (0, 1, -1, None per argument) and
``out_axes`` (0, -1), on drawn memory layouts; nested vmap; per-example
gradients ``vmap(grad(f))`` equal a loop of ``grad``.

A primitive without a batch rule makes its entries fail with a
MissingRuleError naming it.
"""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import assume, given, settings

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import core, tree
from functorch_lite.ops.tables import batch_rules
from tests.registry import REGISTRY, OpEntry, load_all
from tests.strategies import fl_view
from tests.transforms.test_grad_registry import Float64Draws, fewer_examples, jitter

load_all()

# The output SHAPE depends on the input VALUES: no transform that traces can
# handle these (JAX neither); they are tested eagerly by test_registry.py.
VALUE_DEPENDENT_SHAPE: dict[str, str] = {
    "unique": "number of distinct values",
    "unique_all": "number of distinct values",
    "unique_no_equal_nan": "number of distinct values",
}

# Arguments whose values fix the output shape or an axis (split sections,
# boolean masks, repeat counts, the axis of take_along_axis): passed as
# concrete, unbatched constants (closed over), as a user would.
STATIC_ARGS: dict[str, tuple[int, ...]] = {
    "split_sections": (1,),
    "getitem_mask": (1,),
    "getitem_mask_trailing": (1,),
    "at_max_mask": (1,),
    "repeat_per_element": (1,),
    "take_along_axis": (2,),
    "take_along_axis_fill": (2,),
    "scatter_add_along_axis": (2, 3),
    "put_along_axis": (2,),
}

# Inputs with structure that a permutation must keep: the (*batch, k) index
# matrices of the gather/scatter primitives (the last axis is the index
# column: permute only batch rows), and sorted arrays (re-sorted).
INDEX_MATRIX_ENTRIES = ("gather", "scatter_")
SORTED_ARGS: dict[str, tuple[int, ...]] = {
    "searchsorted_left": (0,), "searchsorted_right": (0,), "searchsorted_mixed_dtypes": (0,),
}

ENTRIES = sorted(n for n in REGISTRY if n not in VALUE_DEPENDENT_SHAPE)


def _permuted(x: np.ndarray[Any, Any], rng: np.random.Generator, index_matrix: bool) -> np.ndarray[Any, Any]:
    if x.ndim == 0 or x.size == 0:
        return x
    if x.dtype.kind == "f":
        return rng.permutation(x.reshape(-1)).reshape(x.shape)
    if index_matrix and x.ndim < 2:
        return x
    return x[rng.permutation(x.shape[0])]


def make_examples(e: OpEntry, base: list[np.ndarray[Any, Any]], n: int,
                  rng: np.random.Generator) -> list[list[np.ndarray[Any, Any]]]:
    """``n`` examples of the entry's inputs with ``base``'s shapes and dtypes:
    values permuted (all elements of float arrays, rows of integer/boolean
    arrays, whose columns may have different bounds)."""
    statics = STATIC_ARGS.get(e.name, ())
    index_matrix = e.name.startswith(INDEX_MATRIX_ENTRIES)
    sorted_args = SORTED_ARGS.get(e.name, ())
    out = [base]
    for _ in range(n - 1):
        ex = []
        for i, x in enumerate(base):
            if i not in statics:
                x = _permuted(x, rng, index_matrix and x.dtype.kind in "iu")
                if i in sorted_args:
                    x = np.sort(x, axis=-1)
            ex.append(x)
        out.append(ex)
    return out


def bind_statics(e: OpEntry, base: list[np.ndarray[Any, Any]]) -> tuple[Any, list[int]]:
    """The entry as a function of its non-static arguments, and their positions."""
    statics = STATIC_ARGS.get(e.name, ())
    dyn = [i for i in range(len(base)) if i not in statics]
    consts = {i: jnp.asarray(base[i]) for i in statics}

    def f(*xs: Any) -> Any:
        full: list[Any] = [None] * len(base)
        for i, c in consts.items():
            full[i] = c
        for i, x in zip(dyn, xs):
            full[i] = x
        return e.fn(*full)

    return f, dyn


def assert_tree_close(got: Any, want: Any, e: OpEntry, what: str) -> None:
    g_leaves, g_tree = tree.flatten(got)
    w_leaves, w_tree = tree.flatten(want)
    assert g_tree == w_tree, f"{e.name} {what}: output structure {g_tree} != {w_tree}"
    for g, w in zip(g_leaves, w_leaves):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape, f"{e.name} {what}: shape {g.shape} != loop's {w.shape}"
        assert g.dtype == w.dtype, f"{e.name} {what}: dtype {g.dtype} != loop's {w.dtype}"
        if g.dtype.kind == "f":
            tol = 1e-9 if g.dtype == np.float64 else 0.0
            np.testing.assert_allclose(g, w, rtol=max(e.rtol, tol), atol=max(e.atol, tol), err_msg=f"{e.name} {what}")
        else:
            np.testing.assert_array_equal(g, w, err_msg=f"{e.name} {what}")


def stack_outputs(outs: list[Any], axis: int) -> Any:
    leaves = [tree.flatten(o) for o in outs]
    o_tree = leaves[0][1]
    stacked = [np.stack([np.asarray(lv[0][k]) for lv in leaves], axis=axis) for k in range(len(leaves[0][0]))]
    return tree.unflatten(o_tree, stacked)


def _axis_choices(ndim: int) -> list[int | None]:
    # axes of the stacked argument (ndim + 1 dimensions)
    return [0, None, -1] + ([1] if ndim >= 1 else [])


# --- vmap vs loop -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ENTRIES)
@given(data=st.data())
def test_vmap_matches_loop(name: str, data: Any) -> None:
    e = REGISTRY[name]
    base = [np.asarray(x) for x in e.inputs(data)]
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    n = data.draw(st.integers(1, 3), label="batch")
    f, dyn = bind_statics(e, base)
    assume(dyn)
    examples = make_examples(e, base, n, rng)
    axes = [data.draw(st.sampled_from(_axis_choices(base[i].ndim)), label=f"in_axes[{i}]") for i in dyn]
    if all(a is None for a in axes):
        axes[0] = 0
    out_axis = data.draw(st.sampled_from([0, -1]), label="out_axes")
    args = []
    for i, a in zip(dyn, axes):
        if a is None:
            for ex in examples:
                ex[i] = base[i]
            args.append(jnp.asarray(base[i]))
        else:
            stacked = np.stack([ex[i] for ex in examples], axis=a)
            args.append(fl_view(data.draw, stacked) if e.views else jnp.asarray(stacked))
    want = stack_outputs([f(*[jnp.asarray(ex[i]) for i in dyn]) for ex in examples], out_axis)
    got = fl.vmap(f, in_axes=tuple(axes), out_axes=out_axis)(*args)
    assert_tree_close(got, want, e, f"vmap(in_axes={tuple(axes)}, out_axes={out_axis})")


@pytest.mark.slow
@pytest.mark.parametrize("name", ENTRIES)
@given(data=st.data())
@settings(max_examples=fewer_examples(4, 3))
def test_nested_vmap_matches_loop(name: str, data: Any) -> None:
    e = REGISTRY[name]
    base = [np.asarray(x) for x in e.inputs(data)]
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    f, dyn = bind_statics(e, base)
    assume(dyn)
    n_out, n_in = 2, data.draw(st.integers(1, 2), label="inner batch")
    grid = [make_examples(e, base, n_in, rng) for _ in range(n_out)]
    # the first argument varies over both axes; the others over the inner axis only
    inner_only = {i: make_examples(e, base, n_in, rng) for i in dyn[1:]}
    for j in range(n_out):
        for k in range(n_in):
            for i in dyn[1:]:
                grid[j][k][i] = inner_only[i][k][i]
    first = dyn[0]
    args = [jnp.asarray(np.stack([np.stack([grid[j][k][first] for k in range(n_in)]) for j in range(n_out)]))]
    args += [jnp.asarray(np.stack([grid[0][k][i] for k in range(n_in)])) for i in dyn[1:]]
    inner_axes = (0,) * len(dyn)
    outer_axes = (0,) + (None,) * (len(dyn) - 1)
    want = stack_outputs([stack_outputs([f(*[jnp.asarray(grid[j][k][i]) for i in dyn]) for k in range(n_in)], 0)
                          for j in range(n_out)], 0)
    got = fl.vmap(fl.vmap(f, in_axes=inner_axes), in_axes=outer_axes)(*args)
    assert_tree_close(got, want, e, "vmap(vmap)")


# --- per-example gradients ----------------------------------------------------------------------

GRAD_ENTRIES = sorted(n for n in ENTRIES if REGISTRY[n].differentiable)


@pytest.mark.slow
@pytest.mark.parametrize("name", GRAD_ENTRIES)
@given(data=st.data())
@settings(max_examples=fewer_examples(3, 4))
def test_vmap_of_grad_matches_loop(name: str, data: Any) -> None:
    e = REGISTRY[name]
    base = [np.asarray(x) for x in e.inputs(Float64Draws(data))]
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    statics = STATIC_ARGS.get(name, ())
    diff = [i for i, x in enumerate(base) if x.dtype.kind == "f" and i not in e.nondiff_args and i not in statics]
    if not diff:
        pytest.skip(f"{name}: integer-only inputs, nothing to differentiate")
    for i, y in zip(diff, jitter([base[i] for i in diff], rng)):
        base[i] = y
    f, dyn = bind_statics(e, base)
    out0 = tree.leaves(f(*[jnp.asarray(base[i]) for i in dyn]))
    weights = [rng.standard_normal(np.shape(o)) if np.asarray(o).dtype.kind == "f" else None for o in out0]
    assume(any(w is not None for w in weights))

    def loss(*xs: Any) -> Any:
        total = jnp.asarray(0.0)
        for o, w in zip(tree.leaves(f(*xs)), weights):
            if w is not None:
                total = total + jnp.sum(o * jnp.asarray(w))
        return total

    argnum = dyn.index(diff[0])
    n = data.draw(st.integers(1, 3), label="batch")
    examples = make_examples(e, base, n, rng)
    # the differentiated argument is batched; the others are batched or shared (drawn)
    axes = [0 if k == argnum else data.draw(st.sampled_from([0, None])) for k in range(len(dyn))]
    for k, i in enumerate(dyn):
        if axes[k] is None:
            for ex in examples:
                ex[i] = base[i]
    args = [jnp.asarray(np.stack([ex[i] for ex in examples])) if a == 0 else jnp.asarray(base[i])
            for a, i in zip(axes, dyn)]
    g = fl.grad(loss, argnums=argnum)
    want = np.stack([np.asarray(g(*[jnp.asarray(ex[i]) for i in dyn])) for ex in examples])
    got = fl.vmap(g, in_axes=tuple(axes))(*args)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-9, atol=1e-9, err_msg=f"{name}: vmap(grad)")


# --- coverage ---------------------------------------------------------------------------------


def test_every_primitive_has_a_batch_rule() -> None:
    missing = sorted(n for n, p in core.PRIMITIVES.items() if p not in batch_rules)
    assert not missing, f"primitives without a batch (vmap) rule: {missing}"

