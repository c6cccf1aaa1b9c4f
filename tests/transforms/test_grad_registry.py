"""Gradients of every differentiable registry entry against finite differences.

For each entry with ``differentiable=True`` the drawn inputs are made
float64 (integer/boolean arguments stay as they are and are not
differentiated) and moved off non-differentiable points (ties, zeros,
integer boundaries) by a small multiplicative jitter.  Then, along a random
direction ``v`` and with a random output cotangent ``ct``:

(a) reverse mode: ``<vjp(ct), v>`` equals the central difference of
    ``<ct, fn(x)>`` along ``v``;
(b) forward mode: ``jvp(fn, x, v)`` equals the central difference of ``fn``;
(c) second order: ``jvp`` of ``x -> vjp(fn, x)(ct)`` equals the central
    difference of the first-order result;
(d) non-contiguous inputs (``tests.strategies.fl_view`` layouts) give the
    same derivatives as contiguous ones.

Of several float inputs a drawn subset is differentiated, the rest being
constants, so the rules' symbolic-zero and constant paths are exercised too.

Directional checks cost two extra evaluations each, whatever the input size.

A primitive without a jvp/vjp rule makes its entries fail with a
MissingRuleError naming it.
"""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import assume, given, settings

import functorch_lite as fl
from functorch_lite import core, tree
from functorch_lite.ops.tables import jvp_rules, vjp_rules
from tests._gradcheck import EPS, assert_close, numerical_grad, numerical_jacobian, numerical_jvp, numerical_vjp
from tests.registry import REGISTRY, OpEntry, load_all
from tests.strategies import fl_view

load_all()

DIFF_ENTRIES = sorted(n for n, e in REGISTRY.items() if e.differentiable)


def fewer_examples(divisor: int, minimum: int) -> int:
    """A fraction of the profile's example count (tests/conftest.py) for a slow sweep."""
    return max(minimum, settings().max_examples // divisor)


# --- helpers -------------------------------------------------------------------------------


def jitter(xs: list[np.ndarray[Any, Any]], rng: np.random.Generator) -> list[np.ndarray[Any, Any]]:
    """Move float arrays (jointly) off ties, zeros and integer boundaries.

    Multiplicative jitter keeps every value inside the (sign-preserving)
    domain the registry drew it from; values near zero (kinks of abs, norms,
    sign changes) are pushed to 0.05-0.3 keeping their sign (either sign
    for exact zeros, which are only drawn where the domain contains 0).
    Finally all magnitudes, across the arrays, are spread at least
    ``1e-4 * (1 + |x|)`` apart (pushing the larger one outward by at most
    ~1 %), so no two values tie or nearly tie, not even ``x`` and ``-x``
    (max, min, sort, cummax, max(|x|) and the like have kinks there).
    """
    out = []
    for x in xs:
        x = np.asarray(x, np.float64)
        y = x * (1.0 + 0.01 * rng.uniform(-1.0, 1.0, x.shape))
        tiny = np.abs(y) < 0.05
        if tiny.any():
            sign = np.where(y == 0, rng.choice([-1.0, 1.0], x.shape), np.sign(y))
            y = np.where(tiny, sign * rng.uniform(0.05, 0.3, x.shape), y)
        out.append(y)
    flat = np.concatenate([y.reshape(-1) for y in out]) if out else np.zeros(0)
    if flat.size > 1:
        order = np.argsort(np.abs(flat), kind="stable")
        mags = np.abs(flat)[order]
        for k in range(1, mags.size):
            mags[k] = max(mags[k], mags[k - 1] + 1e-4 * (1.0 + mags[k - 1]))
        spread = np.empty_like(flat)
        spread[order] = mags
        flat = np.sign(flat) * spread
    res, pos = [], 0
    for y in out:
        res.append(flat[pos:pos + y.size].reshape(y.shape))
        pos += y.size
    return res


class Float64Draws:
    """Hypothesis' ``data`` where every draw of a dtype from a list that holds
    a float dtype gives float64: the entry's own value bounds then apply to
    float64 values, and no draw is wasted on integer-only inputs."""

    def __init__(self, data: Any) -> None:
        self._data = data

    def draw(self, strategy: Any, label: Any = None) -> Any:
        elems = getattr(strategy, "elements", None)
        if isinstance(elems, (tuple, list)) and elems and all(isinstance(d, np.dtype) for d in elems):
            if any(d.kind == "f" for d in elems):
                strategy = st.just(np.dtype(np.float64))
        return self._data.draw(strategy, label)


# the zero vector (also an empty one) is a kink of the 2-norm: sqrt at 0
KINK_AT_EMPTY = ("norm", "vector_norm", "matrix_norm")


class Case:
    """A drawn entry call: float64 differentiable inputs and the fixed rest."""

    def __init__(self, e: OpEntry, data: Any) -> None:
        self.e = e
        raw = e.inputs(Float64Draws(data))
        if e.name.startswith(KINK_AT_EMPTY):
            assume(all(np.asarray(x).size for x in raw))
        seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
        self.rng = np.random.default_rng(seed)
        self.args: list[np.ndarray[Any, Any]] = []
        self.diff: list[int] = []
        for i, x in enumerate(raw):
            x = np.asarray(x)
            self.args.append(x)
            if i not in e.nondiff_args and x.dtype.kind == "f":
                self.diff.append(i)
        for i, y in zip(self.diff, jitter([self.args[i] for i in self.diff], self.rng)):
            self.args[i] = y
        if not self.diff:
            # Float64Draws turns every dtype choice that allows a float into float64,
            # so only an entry whose differentiable inputs are integer-only gets here
            pytest.skip(f"{e.name}: integer-only inputs, nothing to differentiate")
        if len(self.diff) > 1:
            # differentiate a drawn subset: the other float inputs are constants
            # (symbolic-zero tangents in forward mode, no parent in reverse mode)
            keep = data.draw(st.sets(st.sampled_from(self.diff), min_size=1), label="differentiated args")
            self.diff = sorted(keep)
        out = self.call([self.args[i] for i in self.diff])
        self.out_leaves, self.out_tree = tree.flatten(out)
        self.float_out = [np.asarray(o).dtype.kind == "f" for o in self.out_leaves]
        assume(any(self.float_out))
        self.y0 = [np.asarray(o) for o in self.out_leaves]
        assume(all(np.all(np.isfinite(y)) for y, f in zip(self.y0, self.float_out) if f))
        # a float32 result (astype, dtype=) rounds: difference it with a larger step
        low = any(y.dtype != np.float64 for y, f in zip(self.y0, self.float_out) if f)
        self.eps = 1e-2 * (1.0 + _mag([self.args[i] for i in self.diff])) if low else EPS
        self.rtol = 1e-2 if low else 1e-5

    def fn(self, *dargs: Any) -> Any:
        """The entry as a function of its differentiable arguments only."""
        full: list[Any] = [fl.numpy.asarray(a) for a in self.args]
        for i, a in zip(self.diff, dargs):
            full[i] = a
        return self.e.fn(*full)

    def call(self, dargs: list[Any], views: bool = False, draw: Any = None) -> Any:
        xs = [fl_view(draw, a) if views else fl.numpy.asarray(a) for a in dargs]
        return self.fn(*xs)

    def directions(self) -> list[np.ndarray[Any, Any]]:
        return [self.rng.standard_normal(self.args[i].shape) for i in self.diff]

    def cotangent(self) -> Any:
        cts = []
        for y, f in zip(self.y0, self.float_out):
            cts.append(self.rng.standard_normal(y.shape) if f else np.zeros(y.shape, y.dtype))
        return cts

    def ct_tree(self, cts: list[np.ndarray[Any, Any]]) -> Any:
        return tree.unflatten(self.out_tree, [fl.numpy.asarray(c) for c in cts])

    def float_leaves(self, out: Any) -> list[np.ndarray[Any, Any]]:
        return [np.asarray(o, np.float64) for o, f in zip(tree.leaves(out), self.float_out) if f]

    def fd(self, vs: list[np.ndarray[Any, Any]]) -> list[np.ndarray[Any, Any]]:
        """Central differences of the float outputs along ``vs``."""
        xs = [self.args[i] for i in self.diff]
        return self.float_leaves(numerical_jvp(self.fn, xs, vs, self.eps))


def check_close(got: Any, want: Any, what: str, scale: float = 1.0, rtol: float = 1e-5) -> None:
    """Derivatives against finite differences, with an absolute tolerance that
    grows with the magnitudes involved (``scale``)."""
    assert_close(got, want, rtol=rtol, atol=1e-6 * (1.0 + scale), what=what)


def _dot(a: list[np.ndarray[Any, Any]], b: list[np.ndarray[Any, Any]]) -> float:
    return float(sum(np.sum(x * y) for x, y in zip(a, b)))


def _mag(xs: list[np.ndarray[Any, Any]]) -> float:
    return float(max((np.max(np.abs(x)) for x in xs if x.size), default=0.0))


# --- the sweeps -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DIFF_ENTRIES)
@given(data=st.data())
def test_first_order_matches_finite_differences(name: str, data: Any) -> None:
    c = Case(REGISTRY[name], data)
    xs = [fl.numpy.asarray(c.args[i]) for i in c.diff]
    vs = c.directions()
    cts = c.cotangent()
    _, f_vjp = fl.vjp(c.fn, *xs)
    g = [np.asarray(t) for t in f_vjp(c.ct_tree(cts))]
    _, t_out = fl.jvp(c.fn, tuple(xs), tuple(fl.numpy.asarray(v) for v in vs))
    fd = c.fd(vs)
    float_cts = [ct for ct, f in zip(cts, c.float_out) if f]
    scale = _mag(c.y0) / c.eps * 1e-10 + _mag(fd)
    # (a) reverse mode: <vjp(ct), v> = d/de <ct, f(x + e v)>
    check_close(_dot(g, vs), _dot(float_cts, fd), f"{name}: <vjp(ct), v> vs finite differences",
                 scale * (1 + _mag(float_cts)) * max(1, sum(v.size for v in vs)) ** 0.5, c.rtol)
    # (b) forward mode
    for got, want in zip(c.float_leaves(t_out), fd):
        check_close(got, want, f"{name}: jvp vs finite differences", scale, c.rtol)
    # gradients have the inputs' shapes and dtypes
    for gi, i in zip(g, c.diff):
        assert gi.shape == c.args[i].shape and gi.dtype == np.float64, f"{name}: cotangent {gi.shape} {gi.dtype}"


@pytest.mark.slow
@pytest.mark.parametrize("name", DIFF_ENTRIES)
@given(data=st.data())
@settings(max_examples=fewer_examples(2, 5))
def test_second_order_matches_finite_differences(name: str, data: Any) -> None:
    c = Case(REGISTRY[name], data)
    xs = [fl.numpy.asarray(c.args[i]) for i in c.diff]
    vs = c.directions()
    ct = c.ct_tree(c.cotangent())

    def g(*dx: Any) -> Any:
        _, f_vjp = fl.vjp(c.fn, *dx)
        return f_vjp(ct)

    _, t_g = fl.jvp(g, tuple(xs), tuple(fl.numpy.asarray(v) for v in vs))
    fd = numerical_jvp(g, [c.args[i] for i in c.diff], vs, c.eps)
    g0 = [np.asarray(t) for t in g(*xs)]
    for k, (got, want) in enumerate(zip(t_g, fd)):
        scale = _mag([want]) + _mag(g0) / c.eps * 1e-10
        check_close(got, want, f"{name}: jvp of vjp (argument {c.diff[k]}) vs finite differences", scale,
                     rtol=max(c.rtol, 1e-4))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(n for n in DIFF_ENTRIES if REGISTRY[n].views))
@given(data=st.data())
@settings(max_examples=fewer_examples(2, 5))
def test_non_contiguous_inputs_give_same_derivatives(name: str, data: Any) -> None:
    c = Case(REGISTRY[name], data)
    xa = [c.args[i] for i in c.diff]
    vs = c.directions()
    ct = c.ct_tree(c.cotangent())
    views = [fl_view(data.draw, x) for x in xa]
    contig = [fl.numpy.asarray(x) for x in xa]
    _, pull_v = fl.vjp(c.fn, *views)
    _, pull_c = fl.vjp(c.fn, *contig)
    tv = fl.jvp(c.fn, tuple(views), tuple(fl_view(data.draw, v) for v in vs))[1]
    tc = fl.jvp(c.fn, tuple(contig), tuple(fl.numpy.asarray(v) for v in vs))[1]
    for a, b in zip(pull_v(ct), pull_c(ct)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12, atol=1e-12, err_msg=name)
    for a, b in zip(tree.leaves(tv), tree.leaves(tc)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12, atol=1e-12, err_msg=name)


# --- coverage ---------------------------------------------------------------------------------


def test_every_differentiable_primitive_has_jvp_and_vjp_rules() -> None:
    missing = []
    for name, p in sorted(core.PRIMITIVES.items()):
        if p.nondifferentiable:
            continue
        if p not in jvp_rules:
            missing.append(f"{name}: jvp")
        if p not in vjp_rules:
            missing.append(f"{name}: vjp")
    assert not missing, (
        "primitives without differentiation rules (mark them nondifferentiable if they have no "
        f"derivative): {missing}"
    )


def test_every_differentiable_primitive_is_exercised_by_a_differentiable_entry() -> None:
    covered = {p for n in DIFF_ENTRIES for p in REGISTRY[n].primitives}
    control_flow = {"cond", "while", "scan"}  # tested by tests/test_lax.py
    missing = [
        n for n, p in core.PRIMITIVES.items()
        if not p.nondifferentiable and n not in covered and n not in control_flow
    ]
    assert not missing, f"differentiable primitives with no differentiable registry entry: {sorted(missing)}"


def test_missing_rule_error_names_primitive_and_rule() -> None:
    p = core.Primitive("_test_no_rules_prim")
    try:
        p.impl = lambda x: x
        p.abstract_eval = lambda x: x
        with pytest.raises(core.MissingRuleError, match=r"'_test_no_rules_prim'.*jvp"):
            fl.jvp(lambda x: p.bind(x), (fl.numpy.ones(2),), (fl.numpy.ones(2),))
        with pytest.raises(core.MissingRuleError, match=r"'_test_no_rules_prim'.*vjp"):
            fl.grad(lambda x: p.bind(x).sum())(fl.numpy.ones(2))
        with pytest.raises(core.MissingRuleError, match=r"'_test_no_rules_prim'.*batch"):
            fl.vmap(lambda x: p.bind(x))(fl.numpy.ones((2, 3)))
    finally:
        del core.PRIMITIVES["_test_no_rules_prim"]


def test_finite_difference_checker_catches_a_wrong_derivative() -> None:
    """The shared checker (tests/_gradcheck.py) is exact enough to pass a right
    gradient and names the leaf and the worst element of a wrong one."""
    x = np.array([[0.3, -1.2, 2.0], [0.7, 1.1, -0.4]])
    params = {"w": x, "b": (np.array([0.5, -0.5]), None)}

    def loss(p: Any) -> Any:
        return fl.numpy.sum(fl.numpy.sin(p["w"]) * p["b"][0][:, None])

    fd = numerical_grad(loss, [params])
    g = fl.grad(loss)(tree.map(fl.numpy.asarray, params))
    assert_close(g, fd, rtol=1e-7, atol=1e-9, what="grad of a pytree")
    wrong = {"w": np.asarray(g["w"]).copy(), "b": g["b"]}
    wrong["w"][1, 2] += 1e-4
    with pytest.raises(AssertionError, match=r"wrong grad \(leaf 1 of 2\): 1 of 6 elements .* index \(1, 2\)"):
        assert_close(wrong, fd, rtol=1e-7, atol=1e-9, what="wrong grad")
    v = np.ones_like(x)
    np.testing.assert_allclose(numerical_jvp(lambda w: fl.numpy.sin(w), [x], [v]), np.cos(x), rtol=1e-9)
    np.testing.assert_allclose(numerical_vjp(lambda w: fl.numpy.sin(w), [x], v), np.cos(x), rtol=1e-9)
    np.testing.assert_allclose(numerical_jacobian(lambda w: w * w, x[0]), np.diag(2 * x[0]), rtol=1e-9, atol=1e-9)
