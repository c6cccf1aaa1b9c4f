"""Random array programs for the differential fuzzer (tests/test_fuzz.py).

A program is a straight-line list of nodes: inputs, and steps that apply one
``functorch_lite.numpy`` function (looked up by name in the op table below) to
earlier nodes or Python scalars.  The same program runs on ``functorch_lite``
Arrays and, as the oracle, on NumPy arrays.

Programs are generated *with their values in hand*: every candidate step is
evaluated by the NumPy oracle while drawing, and rejected when its result would
not be reproducible across correct implementations -- a discontinuous op
(comparison, argmax, floor, sign, where's condition) fed a value that carries
rounding noise, a singularity or overflow reached by a noisy value, or
magnitudes past 1e15.  Rounding noise is modelled explicitly: besides the clean
oracle, two "noisy" float64 copies of the program run with a relative and an
absolute error of 16 ulps (of the target dtype) injected after every step whose
result depends on the implementation (transcendentals, means, and sums/products
of values that are not small dyadic numbers).  The spread of the noisy copies is
the per-element tolerance of the comparisons, so a fused polynomial ``exp`` that
differs from NumPy's by a few ulps passes, and a wrong element, axis, sign,
dtype or NaN does not.

Dtype expectations are JAX's (with 64-bit floats enabled and 32-bit default
integers): bool < int32 < float32 < float64, Python scalars are weak (they never
widen an array), integer and bool inputs of float functions and of ``divide``
and ``mean`` give float32, ``sum``/``prod`` of bool give int32, comparisons give
bool, ``argmax``/``argmin`` give int32.  NumPy's own promotion differs (int32 +
float32 is float64 there), so the oracle casts each step's operands to the
expected dtype first and computes in it.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import hypothesis.strategies as st
import numpy as np

from functorch_lite.numpy._util import from_numpy

BOOL = np.dtype(bool)
I32 = np.dtype(np.int32)
I64 = np.dtype(np.int64)
F32 = np.dtype(np.float32)
F64 = np.dtype(np.float64)
DTYPES = (F32, F64, I32, BOOL)
_RANK = {BOOL: 0, I32: 1, F32: 2, F64: 3}
_WIDE = {BOOL: BOOL, I32: I64, F32: F64, F64: F64}
MAX_MAGNITUDE = 1e15
NOISE_ULPS = 16.0
N_NOISY = 2


def promote(*dts: Any) -> np.dtype[Any]:
    """JAX promotion over {bool, int32, float32, float64} (a chain, so: the highest)."""
    arrays = [d for d in dts if isinstance(d, np.dtype)]
    scalars = [d for d in dts if not isinstance(d, np.dtype)]
    out = max(arrays, key=lambda d: _RANK[d]) if arrays else BOOL  # scalars alone: their own kinds
    for s in scalars:  # weak Python scalars: only lift the kind, never the width
        if s is float and out.kind != "f":
            out = F32
        elif s is int and out == BOOL:
            out = I32
    return out


def _float_of(d: np.dtype[Any]) -> np.dtype[Any]:
    return d if d.kind == "f" else F32


def _eps(d: np.dtype[Any]) -> float:
    return float(np.finfo(d).eps) if d.kind == "f" else 0.0


def _is_nice(a: np.ndarray[Any, Any]) -> bool:
    """Small dyadic values: every sum/product order of <= 256 of them is exact in float32."""
    if a.dtype.kind != "f":
        return True
    f = a[np.isfinite(a)]
    return bool(np.all(np.abs(f) < 4096) and np.all(f * 16 == np.round(f * 16)))


# --- the op table ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    """One fuzzable function.

    ``fn(xp, *args, **params)`` runs it with ``xp`` either NumPy or
    ``functorch_lite.numpy``; ``out(dtypes)`` is the documented result dtype and
    ``compute(dtypes)`` the dtype NumPy computes in; ``accept`` lists the input
    dtype kinds it is fuzzed with.
    """

    name: str
    kind: str  # unary | binary | where | reduce | shape
    fn: Callable[..., Any]
    out: Callable[[Sequence[Any]], np.dtype[Any]]
    compute: Callable[[Sequence[Any]], np.dtype[Any]]
    accept: str = "bif"
    exact: bool = True  # bit-reproducible across correct implementations on exact operands
    discontinuous: bool = False
    smooth: bool = False  # allowed in gradient programs
    domain: str = ""  # "positive": gradient programs keep operands >= 0.1


def _same(dts: Sequence[Any]) -> np.dtype[Any]:
    return promote(*dts)


def _floaty(dts: Sequence[Any]) -> np.dtype[Any]:
    return _float_of(promote(*dts))


def _boolean(dts: Sequence[Any]) -> np.dtype[Any]:
    return BOOL


def _index(dts: Sequence[Any]) -> np.dtype[Any]:
    return I32


def _sum_dtype(dts: Sequence[Any]) -> np.dtype[Any]:
    return I32 if promote(*dts) == BOOL else promote(*dts)


def _call(name: str) -> Callable[..., Any]:
    return lambda xp, *a, **p: getattr(xp, name)(*a, **p)


def _where(xp: Any, c: Any, a: Any, b: Any) -> Any:
    return xp.where(c > 0, a, b)


def _clip(xp: Any, a: Any, *, lo: Any, hi: Any) -> Any:
    return xp.clip(a, lo, hi)


def _take(xp: Any, a: Any, *, indices: tuple[int, ...], axis: int | None) -> Any:
    return xp.take(a, xp.array(list(indices), dtype=xp.int32), axis=axis)


def _slice(xp: Any, a: Any, *, index: tuple[slice, ...]) -> Any:
    return a[index]


def _concat(xp: Any, a: Any, b: Any, *, axis: int) -> Any:
    return xp.concatenate([a, b], axis=axis)


def _unary(name: str, *, accept: str = "bif", exact: bool = True, smooth: bool = False, domain: str = "",
           discontinuous: bool = False, out: Callable[..., np.dtype[Any]] = _same) -> Op:
    comp = _floaty if out is _floaty else (lambda d: promote(*d))
    return Op(name, "unary", _call(name), out, comp, accept, exact, discontinuous, smooth, domain)


def _binary(name: str, *, accept: str = "bif", exact: bool = True, smooth: bool = False, domain: str = "",
            discontinuous: bool = False, out: Callable[..., np.dtype[Any]] = _same) -> Op:
    comp = _floaty if out is _floaty else (lambda d: promote(*d))
    return Op(name, "binary", _call(name), out, comp, accept, exact, discontinuous, smooth, domain)


def _reduce(name: str, out: Callable[..., np.dtype[Any]], *, exact: bool = True, smooth: bool = False,
            accept: str = "bif", discontinuous: bool = False) -> Op:
    comp = _floaty if out is _floaty else (lambda d: _sum_dtype(d) if out is _sum_dtype else promote(*d))
    return Op(name, "reduce", _call(name), out, comp, accept, exact, discontinuous, smooth)


def _shape(name: str, fn: Callable[..., Any] | None = None, *, accept: str = "bif") -> Op:
    return Op(name, "shape", fn or _call(name), _same, lambda d: promote(*d), accept, True, False, True)


OPS: tuple[Op, ...] = (
    _unary("exp", exact=False, smooth=True, out=_floaty),
    _unary("log", exact=False, smooth=True, domain="positive", out=_floaty),
    _unary("sin", exact=False, smooth=True, out=_floaty),
    _unary("tanh", exact=False, smooth=True, out=_floaty),
    _unary("log1p", exact=False, smooth=True, domain="positive", out=_floaty),
    _unary("sqrt", smooth=True, domain="positive", out=_floaty),  # correctly rounded everywhere
    _unary("abs", accept="if"),
    _unary("negative", accept="if", smooth=True),
    _unary("square", accept="if", smooth=True),
    _unary("floor", accept="f", discontinuous=True),
    _unary("sign", accept="if", discontinuous=True),
    _unary("logical_not", discontinuous=True, out=_boolean),
    _binary("add", smooth=True),
    _binary("subtract", accept="if", smooth=True),
    _binary("multiply", smooth=True),
    _binary("divide", smooth=True, domain="positive", out=_floaty),
    _binary("maximum"),
    _binary("minimum"),
    _binary("power", accept="f", exact=False, smooth=True, domain="positive"),
    _binary("greater", discontinuous=True, out=_boolean),
    _binary("less_equal", discontinuous=True, out=_boolean),
    _binary("equal", discontinuous=True, out=_boolean),
    _binary("not_equal", discontinuous=True, out=_boolean),
    Op("where", "where", _where, lambda d: promote(*d[1:]), lambda d: promote(*d[1:]), "bif", True, True),
    _reduce("sum", _sum_dtype, smooth=True),
    _reduce("prod", _sum_dtype, smooth=True),
    _reduce("mean", _floaty, exact=False, smooth=True),
    _reduce("max", _same),
    _reduce("min", _same),
    _reduce("argmax", _index, discontinuous=True),
    _reduce("argmin", _index, discontinuous=True),
    Op("cumsum", "scan", _call("cumsum"), _sum_dtype, _sum_dtype, "bif", True, False, True),
    Op("sort", "scan", _call("sort"), _same, lambda d: promote(*d), "if", True, False, False),
    _binary("remainder", accept="if", discontinuous=True),
    _binary("floor_divide", accept="if", discontinuous=True),
    Op("clip", "clip", _clip, _same, lambda d: promote(*d), "if", True, False, False),
    Op("take", "take", _take, _same, lambda d: promote(*d), "bif", True, False, True),
    _shape("transpose"),
    _shape("reshape"),
    _shape("expand_dims"),
    _shape("squeeze"),
    _shape("broadcast_to"),
    _shape("slice", _slice),
    _shape("flip"),
    Op("concatenate", "concat", _concat, _same, lambda d: promote(*d), "bif", True, False, True),
    Op("matmul", "matmul", _call("matmul"), _same, lambda d: promote(*d), "if", True, False, True),
)
OPS_BY_NAME = {op.name: op for op in OPS}
SMOOTH_OPS = tuple(op for op in OPS if op.smooth)
# Sums/products whose rounding depends on the summation order.
ORDER_DEPENDENT = frozenset({"sum", "prod", "matmul", "cumsum"})


# --- programs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Input:
    """A program argument: its per-batch-member values and how its Array is laid out."""

    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    members: tuple[np.ndarray[Any, Any], ...]  # one value per vmap batch member
    batched: bool
    layout: tuple[Any, ...]


@dataclass(frozen=True)
class Step:
    op: str
    args: tuple[Any, ...]  # ints: node numbers; ("scalar", v): a Python scalar
    params: tuple[tuple[str, Any], ...]
    noisy: bool  # the oracle injects rounding noise after it


@dataclass
class Program:
    nodes: list[Input | Step] = field(default_factory=list)
    seed: int = 0

    @property
    def inputs(self) -> list[Input]:
        return [n for n in self.nodes if isinstance(n, Input)]

    @property
    def batch(self) -> int:
        return len(self.inputs[0].members)

    def __repr__(self) -> str:
        names = []
        k = 0
        for n in self.nodes:
            if isinstance(n, Input):
                names.append(f"x{k}")
                k += 1
            else:
                names.append(f"v{len(names)}")
        lines = [f"def program({', '.join(names[i] for i, n in enumerate(self.nodes) if isinstance(n, Input))}):"]
        for i, n in enumerate(self.nodes):
            if isinstance(n, Step):
                args = ", ".join(repr(a[1]) if isinstance(a, tuple) else names[a] for a in n.args)
                params = "".join(f", {k}={v!r}" for k, v in n.params)
                lines.append(f"    {names[i]} = {n.op}({args}{params})")
        lines.append(f"    return {names[-1]}")
        for i, n in enumerate(self.nodes):
            if isinstance(n, Input):
                vals = "; ".join(np.array2string(m, separator=", ", threshold=80) for m in n.members)
                lines.append(f"# {names[i]}: {n.dtype}{list(n.shape)} batched={n.batched} layout={n.layout}: {vals}")
        return "\n".join(lines)


def _cast(v: Any, dt: np.dtype[Any]) -> Any:
    return np.asarray(v).astype(dt) if isinstance(v, np.ndarray | np.generic) else v


def _target_dtypes(prog: Program) -> list[np.dtype[Any]]:
    dts: list[np.dtype[Any]] = []
    for n in prog.nodes:
        if isinstance(n, Input):
            dts.append(n.dtype)
        else:
            op = OPS_BY_NAME[n.op]
            dts.append(op.out([dts[a] if isinstance(a, int) else type(a[1]) for a in n.args]))
    return dts


def _run_step(step: Step, args: list[Any], target: Sequence[Any], *, wide: bool) -> np.ndarray[Any, Any]:
    op = OPS_BY_NAME[step.op]
    comp, out = op.compute(target), op.out(target)
    if wide:
        comp, out = _WIDE[comp], _WIDE[out]
    if op.kind == "where":
        args[1:] = [_cast(v, comp) for v in args[1:]]
    else:
        args = [_cast(v, comp) for v in args]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's "mean of empty slice": the NaN is the answer
        r = op.fn(np, *args, **dict(step.params))
    return np.asarray(r).astype(out)


def _noise(r: np.ndarray[Any, Any], args: Sequence[Any], target: np.dtype[Any],
           rng: np.random.Generator) -> np.ndarray[Any, Any]:
    if r.dtype.kind != "f" or r.size == 0:
        return r
    scale = max([float(np.max(np.abs(a[np.isfinite(a)]), initial=0.0)) for a in args
                 if isinstance(a, np.ndarray) and a.dtype.kind == "f"] + [0.0])
    e = NOISE_ULPS * _eps(target)
    with np.errstate(all="ignore"):
        return r + e * (np.abs(r) * rng.uniform(-1, 1, r.shape) + scale * rng.uniform(-1, 1, r.shape))


def oracle_eval(prog: Program, member: int, *, wide: bool = False, noise_seed: int | None = None,
                inputs: Sequence[np.ndarray[Any, Any]] | None = None) -> list[np.ndarray[Any, Any]]:
    """Every node's value for one batch member: in the target dtypes, or float64/int64 with ``wide``
    (optionally with rounding noise after the noisy steps)."""
    target = _target_dtypes(prog)
    rng = np.random.default_rng(noise_seed) if noise_seed is not None else None
    vals: list[np.ndarray[Any, Any]] = []
    it = iter(inputs) if inputs is not None else None
    for i, n in enumerate(prog.nodes):
        if isinstance(n, Input):
            v = next(it) if it is not None else n.members[member]
            vals.append(v.astype(_WIDE[n.dtype]) if wide else v)
            continue
        args = [vals[a] if isinstance(a, int) else a[1] for a in n.args]
        tdts = [target[a] if isinstance(a, int) else type(a[1]) for a in n.args]
        r = _run_step(n, list(args), tdts, wide=wide)
        if rng is not None and n.noisy:
            r = _noise(r, args, target[i], rng)
        vals.append(r)
    return vals


# --- running on functorch_lite --------------------------------------------------------------------


def make_function(prog: Program, xp: Any, *, every_step: bool = False) -> Callable[..., Any]:
    """The program as a Python function of its inputs, over module ``xp``: it returns the last
    step's value, or with ``every_step`` a tuple of every step's value."""

    def program(*xs: Any) -> Any:
        it = iter(xs)
        vals: list[Any] = []
        for n in prog.nodes:
            if isinstance(n, Input):
                vals.append(next(it))
            else:
                op = OPS_BY_NAME[n.op]
                args = [vals[a] if isinstance(a, int) else a[1] for a in n.args]
                vals.append(op.fn(xp, *args, **dict(n.params)))
        if every_step:
            return tuple(v for v, n in zip(vals, prog.nodes) if isinstance(n, Step))
        return vals[-1]

    return program


def _exact(v: Any) -> Any:
    """An Array of ``v``'s own dtype in either 64-bit mode (the oracle's
    inputs are what the programs see; only values made inside narrow)."""
    a = np.asarray(v)
    return from_numpy(a, a.dtype)


def build_array(value: np.ndarray[Any, Any], layout: tuple[Any, ...]) -> Any:
    """A functorch_lite Array equal to ``value`` with the drawn memory layout (a view, not a copy)."""
    import functorch_lite.numpy as jnp

    kind = layout[0]
    v = value
    if kind == "transposed" and v.ndim >= 2:
        out = _exact(np.ascontiguousarray(v.T)).T
    elif kind == "stepped" and v.ndim >= 1:
        steps, offsets = layout[1], layout[2]
        big_shape, index = [], []
        for d, k, o in zip(v.shape, steps, offsets):
            n = d * abs(k) + 1
            big_shape.append(n)
            if d == 0:
                index.append(slice(0, 0, k))
            elif k > 0:
                index.append(slice(o, o + d * k, k))
            else:
                start = n - 1 - o
                stop = start + d * k
                index.append(slice(start, None if stop < 0 else stop, k))
        big = np.zeros(big_shape, v.dtype)
        big[tuple(index)] = v
        out = _exact(big)[tuple(index)]
    elif kind == "broadcast" and v.ndim >= 1:
        dims = layout[1]
        small = v[tuple(slice(0, 1) if i in dims else slice(None) for i in range(v.ndim))]
        out = jnp.broadcast_to(_exact(np.ascontiguousarray(small)), v.shape)
    else:
        out = _exact(v)
    assert out.shape == v.shape and out.dtype == v.dtype, (out.shape, v.shape, out.dtype, v.dtype)
    return out


def batched_value(inp: Input) -> np.ndarray[Any, Any]:
    return np.stack(inp.members) if inp.batched else inp.members[0]


# --- generation -----------------------------------------------------------------------------------

_FLOAT_SPECIALS = (math.nan, math.inf, math.nan, -math.inf, -0.0)


def _elements(dtype: np.dtype[Any], smooth: bool, specials: bool) -> st.SearchStrategy[Any]:
    if dtype == BOOL:
        return st.booleans()
    if dtype.kind == "i":
        return st.integers(-20, 20)
    if smooth:
        return st.floats(-2.0, 2.0, allow_nan=False, width=32)
    nice = st.integers(-8, 8).map(lambda k: k / 2)  # exact in every order of sums and products
    general = st.floats(-4.0, 4.0, allow_nan=False, width=32)
    if specials:
        return st.one_of(nice, st.sampled_from(_FLOAT_SPECIALS))
    return st.one_of(nice, nice, general)


def _draw_layout(draw: Any, shape: tuple[int, ...], smooth: bool) -> tuple[Any, ...]:
    kinds = ["contiguous", "transposed", "stepped", "broadcast"]
    kind = draw(st.sampled_from(kinds))
    if kind == "stepped" and shape:
        steps = tuple(draw(st.sampled_from((1, 2, 3, -1, -2))) for _ in shape)
        offsets = tuple(draw(st.integers(0, 1)) for _ in shape)
        return ("stepped", steps, offsets)
    if kind == "broadcast" and shape:
        dims = tuple(i for i in range(len(shape)) if draw(st.booleans()))
        return ("broadcast", dims or (0,))
    if kind == "transposed" and len(shape) >= 2:
        return ("transposed",)
    return ("contiguous",)


def _draw_input(draw: Any, shape: tuple[int, ...], dtype: np.dtype[Any], batch: int, smooth: bool,
                batched: bool | None = None) -> Input:
    if batched is None:
        batched = batch > 1 and draw(st.booleans())
    full = ((batch,) if batched else ()) + shape
    layout = _draw_layout(draw, full, smooth)
    size = math.prod(full)
    specials = not smooth and dtype.kind == "f" and draw(st.booleans())  # NaN, +-inf, -0.0 in a third
    flat = draw(st.lists(_elements(dtype, smooth, specials), min_size=size, max_size=size))
    value = np.array(flat, dtype=dtype).reshape(full)
    if layout[0] == "broadcast":  # the value must be constant along the stride-0 dims
        small = value[tuple(slice(0, 1) if i in layout[1] else slice(None) for i in range(value.ndim))]
        value = np.ascontiguousarray(np.broadcast_to(small, full))
    members = tuple(value[b, ...] for b in range(batch)) if batched else (value,) * batch
    return Input(shape, dtype, members, batched, layout)


def _draw_shape(draw: Any, smooth: bool, min_dims: int = 0, max_dims: int = 3) -> tuple[int, ...]:
    # sampled_from, not integers: Hypothesis favours the first choice, and 0-d or 0-size everywhere
    # would starve the interesting layouts.
    nd = draw(st.sampled_from(tuple(d for d in (2, 1, 3, 0) if min_dims <= d <= max_dims)))
    sides = (2, 3, 1, 4) if smooth else (2, 3, 1, 4, 0)
    return tuple(draw(st.sampled_from(sides)) for _ in range(nd))


def _broadcast_partner(draw: Any, shape: tuple[int, ...]) -> tuple[int, ...]:
    drop = draw(st.integers(0, len(shape)))
    s = [1 if draw(st.integers(0, 3)) == 0 else d for d in shape[drop:]]
    if len(shape) < 3 and draw(st.integers(0, 5)) == 0:
        s = [draw(st.integers(1, 2))] + list(shape)
    return tuple(s)


class _Reject(Exception):
    """This candidate step is not reproducible across correct implementations."""


@dataclass
class _State:
    prog: Program
    batch: int
    smooth: bool
    # per node: clean target-dtype values, clean wide values, noisy wide values (per member)
    clean: list[list[np.ndarray[Any, Any]]] = field(default_factory=list)
    wide: list[list[np.ndarray[Any, Any]]] = field(default_factory=list)
    noisy: list[list[list[np.ndarray[Any, Any]]]] = field(default_factory=list)
    dtypes: list[np.dtype[Any]] = field(default_factory=list)
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(0))

    def add_input(self, inp: Input) -> int:
        self.prog.nodes.append(inp)
        self.clean.append(list(inp.members))
        w = [m.astype(_WIDE[inp.dtype]) for m in inp.members]
        self.wide.append(w)
        self.noisy.append([list(w) for _ in range(N_NOISY)])
        self.dtypes.append(inp.dtype)
        return len(self.prog.nodes) - 1

    def shape(self, i: int) -> tuple[int, ...]:
        return tuple(self.clean[i][0].shape)


def _try_step(s: _State, op: Op, args: tuple[Any, ...], params: dict[str, Any]) -> None:
    """Evaluate a candidate step on every copy; append it or raise _Reject."""
    tdts = [s.dtypes[a] if isinstance(a, int) else type(a[1]) for a in args]
    out_dt = op.out(tdts)
    param_t = tuple(sorted(params.items()))

    def vals(store: list[list[np.ndarray[Any, Any]]], m: int) -> list[Any]:
        return [store[a][m] if isinstance(a, int) else a[1] for a in args]

    if op.name in ("remainder", "floor_divide") and promote(*tdts).kind == "i":
        for m in range(s.batch):  # integer division by zero: NumPy says 0, JAX leaves it to XLA
            if np.any(np.asarray(vals(s.clean, m)[1]) == 0):
                raise _Reject("integer division by zero")
    probe = Step(op.name, args, param_t, noisy=False)
    clean, wide, noisy = [], [], [[] for _ in range(N_NOISY)]
    for m in range(s.batch):
        try:
            c = _run_step(probe, vals(s.clean, m), tdts, wide=False)
            w = _run_step(probe, vals(s.wide, m), tdts, wide=True)
            ns = [_run_step(probe, [s.noisy[a][k][m] if isinstance(a, int) else a[1] for a in args], tdts,
                            wide=True) for k in range(N_NOISY)]
        except (ValueError, TypeError, IndexError) as e:  # NumPy refuses (empty max, bad shapes)
            raise _Reject(str(e)) from e
        clean.append(c)
        wide.append(w)
        for k in range(N_NOISY):
            noisy[k].append(ns[k])
    # Steps whose exact result depends on the implementation get noise.
    operands_nice = all(_is_nice(v) for m in range(s.batch) for v in vals(s.wide, m) if isinstance(v, np.ndarray))
    noisy_step = out_dt.kind == "f" and (not op.exact or (
        op.name in ORDER_DEPENDENT and not (operands_nice and all(_is_nice(w) for w in wide))))
    if noisy_step:
        for k in range(N_NOISY):
            noisy[k] = [_noise(noisy[k][m], vals(s.wide, m), out_dt, s.rng)
                        for m in range(s.batch)]
    for m in range(s.batch):
        w = wide[m]
        if w.dtype.kind in "fi":
            fin = np.abs(w[np.isfinite(w)]) if w.dtype.kind == "f" else np.abs(w)
            if fin.size and float(fin.max()) > (MAX_MAGNITUDE if w.dtype.kind == "f" else 2**31 - 1):
                raise _Reject("magnitude")
        finite = np.isfinite(w) if w.dtype.kind == "f" else None
        c = clean[m]
        if finite is not None and not np.array_equal(np.isfinite(c), finite):
            raise _Reject("overflow in the target dtype")
        for k in range(N_NOISY):
            n = noisy[k][m]
            if finite is not None:
                if not np.array_equal(np.isfinite(n), finite) or not np.array_equal(np.isnan(n), np.isnan(w)):
                    raise _Reject("nonfinite depends on rounding")
                if float(np.max(np.abs(n[finite]), initial=0.0)) > MAX_MAGNITUDE:
                    raise _Reject("magnitude")
            if op.discontinuous and not np.array_equal(n.astype(w.dtype), w, equal_nan=True):
                raise _Reject("discontinuous op on a noisy value")
        if s.smooth:
            if op.domain == "positive":
                # Operands that must stay >= 0.1 for finite differences: the denominator, the base.
                at = {"divide": 1, "power": 0}.get(op.name, 0)
                v = vals(s.wide, m)[at]
                low = float(np.min(v, initial=np.inf)) if isinstance(v, np.ndarray) else float(v)
                if low < 0.1:
                    raise _Reject("gradient domain")
            if w.size and not np.all(np.isfinite(w)):
                raise _Reject("nonfinite in a gradient program")
            if w.size and float(np.max(np.abs(w))) > 1e6:
                raise _Reject("gradient magnitude")
    s.prog.nodes.append(Step(op.name, args, param_t, noisy_step))
    s.clean.append(clean)
    s.wide.append(wide)
    s.noisy.append(noisy)
    s.dtypes.append(out_dt)


def _accepts(op: Op, dt: Any) -> bool:
    if not isinstance(dt, np.dtype):
        return True
    return ("b" if dt == BOOL else "i" if dt.kind == "i" else "f") in op.accept


_SCALARS: dict[str, tuple[Any, ...]] = {
    "f": (0.5, 2.0, -1.5, 3.0, 0.0),
    "i": (2, -3, 0, 1),
    "b": (True,),
}


def _draw_operand(draw: Any, s: _State, shape: tuple[int, ...], op: Op) -> Any:
    """A second operand broadcast-compatible with ``shape``: a scalar, an earlier node, or a new input."""
    choice = draw(st.integers(0, 3))
    if choice == 0 and not s.smooth:
        kind = draw(st.sampled_from("fib")) if op.accept == "bif" else draw(st.sampled_from(op.accept))
        return ("scalar", draw(st.sampled_from(_SCALARS[kind])))
    if choice == 1:
        ok = []
        for i in range(len(s.prog.nodes)):
            try:
                np.broadcast_shapes(shape, s.shape(i))
            except ValueError:
                continue
            ok.append(i)
        if ok:
            return draw(st.sampled_from(ok))
    new_shape = _broadcast_partner(draw, shape)
    dt = F64 if s.smooth else draw(st.sampled_from(DTYPES))
    return s.add_input(_draw_input(draw, new_shape, dt, s.batch, s.smooth))


def _draw_axis(draw: Any, ndim: int) -> int:
    ax = draw(st.integers(0, ndim - 1))
    return ax - ndim if draw(st.booleans()) else ax


def _draw_reshape(draw: Any, shape: tuple[int, ...]) -> tuple[int, ...]:
    n = math.prod(shape)
    nd = draw(st.integers(0, 3))
    if n == 0:
        out = [draw(st.integers(0, 3)) for _ in range(max(nd, 1))]
        out[draw(st.integers(0, len(out) - 1))] = 0
        return tuple(out)
    divisors = [d for d in range(1, n + 1) if n % d == 0]
    out, rest = [], n
    for _ in range(max(nd - 1, 0)):
        d = draw(st.sampled_from([d for d in divisors if rest % d == 0]))
        out.append(d)
        rest //= d
    if nd == 0:
        if n != 1:
            out.append(n)
    else:
        out.append(rest)
    if out and draw(st.booleans()):
        out[draw(st.integers(0, len(out) - 1))] = -1
    return tuple(out)


def _draw_slice(draw: Any, d: int) -> slice:
    step = draw(st.sampled_from((None, 1, 2, 3, -1, -2)))
    start = draw(st.one_of(st.none(), st.integers(-d - 1, d + 1)))
    stop = draw(st.one_of(st.none(), st.integers(-d - 1, d + 1)))
    return slice(start, stop, step)


def _draw_step(draw: Any, s: _State) -> None:
    pool = SMOOTH_OPS if s.smooth else OPS
    op = draw(st.sampled_from(pool))
    last = len(s.prog.nodes) - 1
    a = last if draw(st.integers(0, 2)) else draw(st.integers(0, last))
    shape, dt = s.shape(a), s.dtypes[a]
    if not _accepts(op, dt):
        raise _Reject("dtype")
    nd = len(shape)
    params: dict[str, Any] = {}
    args: tuple[Any, ...] = (a,)
    if op.kind == "binary":
        b = _draw_operand(draw, s, shape, op)
        args = (b, a) if draw(st.booleans()) else (a, b)
        bdt = s.dtypes[b] if isinstance(b, int) else type(b[1])
        if not _accepts(op, bdt):
            raise _Reject("dtype")
        if op.name == "subtract" and BOOL in (dt, bdt):
            raise _Reject("NumPy refuses bool subtract")
        if op.name == "power" and not isinstance(b, int):
            args = (a, b)
    elif op.kind == "where":
        b = _draw_operand(draw, s, shape, op)
        c = _draw_operand(draw, s, shape, op)
        args = (a, b, c)
    elif op.kind == "reduce":
        if nd and draw(st.integers(0, 2)):
            params["axis"] = _draw_axis(draw, nd)
        elif nd >= 2 and op.name not in ("argmax", "argmin") and draw(st.booleans()):
            params["axis"] = tuple(sorted(draw(st.sets(st.integers(0, nd - 1), min_size=1, max_size=nd))))
        if draw(st.booleans()):
            params["keepdims"] = True
    elif op.kind == "scan":
        params["axis"] = _draw_axis(draw, nd) if nd and draw(st.integers(0, 3)) else None
        if params["axis"] is None and op.name == "sort" and nd != 1:
            raise _Reject("sort(axis=None) flattens: kept to 1-D")
    elif op.kind == "clip":
        kind = "f" if dt.kind == "f" else "i"
        lo, hi = sorted(draw(st.sampled_from(_SCALARS[kind])) for _ in range(2))
        params.update(lo=lo, hi=hi)
    elif op.kind == "take":
        axis = _draw_axis(draw, nd) if nd and draw(st.booleans()) else None
        n = math.prod(shape) if axis is None else shape[axis]
        if n == 0:
            raise _Reject("nothing to take from")
        params.update(axis=axis, indices=tuple(draw(st.lists(st.integers(-n, n - 1), max_size=4))))
    elif op.name == "transpose":
        params["axes"] = tuple(draw(st.permutations(range(nd))))
    elif op.name == "reshape":
        params["shape"] = _draw_reshape(draw, shape)
    elif op.name == "expand_dims":
        if nd >= 3:
            raise _Reject("rank")
        params["axis"] = draw(st.integers(-nd - 1, nd))
    elif op.name == "squeeze":
        ones = [i for i, d in enumerate(shape) if d == 1]
        if not ones:
            raise _Reject("nothing to squeeze")
        params["axis"] = draw(st.sampled_from(ones)) - (nd if draw(st.booleans()) else 0)
    elif op.name == "broadcast_to":
        new = [draw(st.integers(1, 3)) if d == 1 and draw(st.booleans()) else d for d in shape]
        if nd < 3 and draw(st.booleans()):
            new = [draw(st.integers(1, 3))] + new
        params["shape"] = tuple(new)
    elif op.name == "slice":
        if not nd:
            raise _Reject("rank")
        params["index"] = tuple(_draw_slice(draw, d) for d in shape[: draw(st.integers(1, nd))])
    elif op.name == "flip":
        if nd and draw(st.integers(0, 2)):
            params["axis"] = _draw_axis(draw, nd)
    elif op.kind == "concat":
        if not nd:
            raise _Reject("rank")
        axis = _draw_axis(draw, nd)
        params["axis"] = axis
        if draw(st.booleans()):
            args = (a, a)
        else:
            other = list(shape)
            other[axis] = draw(st.integers(0 if not s.smooth else 1, 3))
            odt = F64 if s.smooth else (dt if draw(st.booleans()) else draw(st.sampled_from(DTYPES)))
            args = (a, s.add_input(_draw_input(draw, tuple(other), odt, s.batch, s.smooth)))
    elif op.kind == "matmul":
        if nd != 2:
            raise _Reject("rank")
        k = shape[1]
        partners = [i for i in range(len(s.prog.nodes)) if len(s.shape(i)) == 2 and s.shape(i)[0] == k
                    and _accepts(op, s.dtypes[i])]
        if partners and draw(st.booleans()):
            b = draw(st.sampled_from(partners))
        else:
            odt = F64 if s.smooth else draw(st.sampled_from((F32, F64, I32)))
            b = s.add_input(_draw_input(draw, (k, draw(st.integers(1 if s.smooth else 0, 3))), odt, s.batch,
                                        s.smooth))
        args = (a, b)
    _try_step(s, op, args, params)


@st.composite
def programs(draw: Any, *, smooth: bool = False, max_ops: int = 12, batch: bool = True) -> Program:
    """A program of 1..max_ops steps with inputs; ``smooth``: float64 gradient programs."""
    seed = draw(st.integers(0, 2**32 - 1))
    b = draw(st.integers(2, 3)) if batch else 1
    s = _State(Program(seed=seed), b, smooth, rng=np.random.default_rng(seed))
    dt = F64 if smooth else draw(st.sampled_from(DTYPES))
    s.add_input(_draw_input(draw, _draw_shape(draw, smooth), dt, b, smooth, batched=b > 1))
    n_ops = draw(st.integers(1, max_ops))
    tries = 0
    while sum(isinstance(n, Step) for n in s.prog.nodes) < n_ops and tries < 3 * n_ops:
        tries += 1
        mark = len(s.prog.nodes)
        try:
            _draw_step(draw, s)
        except _Reject:  # drop any inputs the rejected step added
            del s.prog.nodes[mark:], s.clean[mark:], s.wide[mark:], s.noisy[mark:], s.dtypes[mark:]
    if not any(isinstance(n, Step) for n in s.prog.nodes):
        s.prog.nodes.append(Step("negative" if s.dtypes[0] != BOOL else "logical_not", (0,), (), False))
    return s.prog


# --- comparison -----------------------------------------------------------------------------------


def tolerances(prog: Program, member: int, inputs: Sequence[np.ndarray[Any, Any]] | None = None
               ) -> list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]]:
    """(expected value in the target dtype, per-element tolerance) of every step's result."""
    refs = oracle_eval(prog, member, inputs=inputs)
    wides = oracle_eval(prog, member, wide=True, inputs=inputs)
    noisies = [oracle_eval(prog, member, wide=True, noise_seed=prog.seed + 1 + k, inputs=inputs)
               for k in range(N_NOISY)]
    out = []
    for i, n in enumerate(prog.nodes):
        if isinstance(n, Input):
            continue
        ref, wide = refs[i], wides[i]
        if ref.dtype.kind != "f":
            out.append((ref, np.zeros(ref.shape)))
            continue
        spread = np.zeros(ref.shape)
        with np.errstate(all="ignore"):
            for d in [np.abs(noisy[i] - wide) for noisy in noisies] + [np.abs(ref.astype(np.float64) - wide)]:
                spread = np.maximum(spread, np.where(np.isfinite(d), d, 0.0))
            tol = 4 * spread + 8 * _eps(ref.dtype) * np.abs(np.where(np.isfinite(ref), ref, 0.0))
        out.append((ref, tol + np.finfo(ref.dtype).tiny))
    return out


def tolerance(prog: Program, member: int, inputs: Sequence[np.ndarray[Any, Any]] | None = None
              ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """(expected value in the target dtype, per-element tolerance) of the program's result."""
    return tolerances(prog, member, inputs)[-1]


def assert_close(actual: Any, expected: np.ndarray[Any, Any], tol: np.ndarray[Any, Any], what: str,
                 prog: Program) -> None:
    """Same shape; bools/ints equal; floats: NaN and inf where expected, finite values within ``tol``."""
    a = np.asarray(actual)
    assert a.shape == expected.shape, f"{what}: shape {a.shape} != expected {expected.shape}\n{prog!r}"
    if expected.dtype.kind != "f":
        bad = a != expected
    else:
        a64, e64 = a.astype(np.float64), expected.astype(np.float64)
        with np.errstate(all="ignore"):
            same_special = (np.isnan(a64) & np.isnan(e64)) | ((a64 == e64) & ~np.isfinite(e64))
            bad = ~same_special & ~(np.abs(a64 - e64) <= tol)
    if np.any(bad):
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise AssertionError(
            f"{what}: {int(np.sum(bad))} of {a.size} elements differ; first at {idx}: got {a[idx]!r}, "
            f"expected {expected[idx]!r} (tolerance {np.asarray(tol)[idx] if np.ndim(tol) else tol!r})\n"
            f"{prog!r}")
