"""Registry entries for products, contractions and norms (NumPy as the oracle)."""

from __future__ import annotations

import math
from typing import Any

import hypothesis.strategies as st
import numpy as np

import functorch_lite.numpy as jnp
from functorch_lite import dtypes
from tests.registry import OpEntry, register
from tests.strategies import ALL_DTYPES, NUMERIC, broadcastable_shapes, np_arrays, shapes, sum_dtype

# values in [-5, 5]: float32 sums over a few products stay well inside rtol/atol 1e-4
_LO, _HI = -5, 5
_TOL = {"rtol": 1e-4, "atol": 1e-4}
_DOT_PRIMS = ("dot_general", "convert_element_type")


def _ref(fn: Any) -> Any:
    """NumPy reference in the JAX result dtype (floats computed in float64)."""

    def ref(*xs: np.ndarray[Any, Any]) -> Any:
        dt = dtypes.result_type(*(x.dtype for x in xs))
        with np.errstate(all="ignore"):
            if dt.kind == "f":
                out = fn(*(x.astype(np.float64) for x in xs))
            else:
                out = fn(*(x.astype(dt) for x in xs))
        return np.asarray(out).astype(dt)

    return ref


def _arrays(data: Any, shapes_: list[tuple[int, ...]], dts: tuple[np.dtype[Any], ...] = ALL_DTYPES) -> list[Any]:
    d1 = data.draw(st.sampled_from(dts))
    same = data.draw(st.booleans())
    out = []
    for s in shapes_:
        dt = d1 if same else data.draw(st.sampled_from(dts))
        out.append(data.draw(np_arrays(dt, s, _LO, _HI)))
    return out


_side = st.integers(0, 4)


def _matmul_inputs(kind: str) -> Any:
    def draw(data: Any) -> list[Any]:
        m, k, n = data.draw(_side), data.draw(_side), data.draw(_side)
        if kind == "2d":
            return _arrays(data, [(m, k), (k, n)])
        if kind == "vec":
            mode = data.draw(st.sampled_from(["1-1", "1-2", "2-1"]))
            xs = (k,) if mode[0] == "1" else (m, k)
            ys = (k,) if mode[2] == "1" else (k, n)
            return _arrays(data, [xs, ys])
        if kind == "batched":
            b = data.draw(shapes(1, 2, 0, 3))
            return _arrays(data, [b + (m, k), b + (k, n)])
        # broadcast: batch shapes broadcast against each other; either side may be 1-D
        bx, by = data.draw(broadcastable_shapes(2, min_dims=0, max_dims=2, max_side=3))
        xs = (k,) if data.draw(st.integers(0, 4)) == 0 else bx + (m, k)
        ys = (k,) if data.draw(st.integers(0, 4)) == 0 else by + (k, n)
        return _arrays(data, [xs, ys])

    return draw


for _kind in ("2d", "vec", "batched", "broadcast"):
    register(OpEntry(f"matmul_{_kind}", jnp.matmul, _ref(np.matmul), _matmul_inputs(_kind), _DOT_PRIMS, **_TOL))

register(OpEntry("matmul_operator", lambda x, y: x @ y, _ref(np.matmul), _matmul_inputs("broadcast"),
                 _DOT_PRIMS, **_TOL))


def _dot_inputs(data: Any) -> list[Any]:
    k = data.draw(_side)
    nx, ny = data.draw(st.integers(0, 3)), data.draw(st.integers(0, 3))
    xs = data.draw(shapes(nx, nx, 0, 3))
    ys = data.draw(shapes(ny, ny, 0, 3))
    if nx and ny:
        xs = xs[:-1] + (k,)
        ys = (k,) if ny == 1 else ys[:-2] + (k,) + ys[-1:]
    return _arrays(data, [xs, ys])


register(OpEntry("dot", jnp.dot, _ref(np.dot), _dot_inputs, _DOT_PRIMS + ("mul",), **_TOL))
register(OpEntry("dot_method", lambda x, y: x.dot(y), _ref(np.dot), _dot_inputs, _DOT_PRIMS, **_TOL))


def _vdot_inputs(data: Any) -> list[Any]:
    s = data.draw(shapes(1, 3, 0, 4))
    return _arrays(data, [s, tuple(reversed(s))])


register(OpEntry("vdot", jnp.vdot, _ref(np.vdot), _vdot_inputs, _DOT_PRIMS + ("reshape",), **_TOL))


def _inner_inputs(data: Any) -> list[Any]:
    k = data.draw(_side)
    nx, ny = data.draw(st.integers(0, 3)), data.draw(st.integers(0, 3))
    xs = data.draw(shapes(nx, nx, 0, 3))
    ys = data.draw(shapes(ny, ny, 0, 3))
    if nx and ny:
        xs, ys = xs[:-1] + (k,), ys[:-1] + (k,)
    return _arrays(data, [xs, ys])


register(OpEntry("inner", jnp.inner, _ref(np.inner), _inner_inputs, _DOT_PRIMS + ("mul",), **_TOL))


def _two_any(data: Any) -> list[Any]:
    return _arrays(data, [data.draw(shapes(0, 2, 0, 4)), data.draw(shapes(0, 2, 0, 4))])


register(OpEntry("outer", jnp.outer, _ref(np.outer), _two_any, ("mul", "reshape", "broadcast_in_dim"), **_TOL))
register(OpEntry("kron", jnp.kron, _ref(np.kron), _two_any, ("mul", "reshape", "broadcast_in_dim"), **_TOL))


def _tensordot_int_inputs(data: Any) -> list[Any]:
    n = data.draw(st.integers(0, 2))
    common = data.draw(shapes(n, n, 0, 3))
    xs = data.draw(shapes(0, 2, 0, 3)) + common
    ys = common + data.draw(shapes(0, 2, 0, 3))
    return _arrays(data, [xs, ys])


register(OpEntry("tensordot_int", lambda x, y: jnp.tensordot(x, y, axes=_common_rank(x, y)),
                 lambda x, y: _ref(lambda a, b: np.tensordot(a, b, axes=_common_rank(a, b)))(x, y),
                 _tensordot_int_inputs, _DOT_PRIMS, **_TOL))


def _common_rank(x: Any, y: Any) -> int:
    # the largest n with x.shape[-n:] == y.shape[:n] (what the drawer built), at most 2
    for n in (2, 1, 0):
        if n <= x.ndim and n <= y.ndim and tuple(x.shape[x.ndim - n:]) == tuple(y.shape[:n]):
            return n
    return 0


def _tensordot_pair_inputs(data: Any) -> list[Any]:
    a, b, c = data.draw(_side), data.draw(_side), data.draw(_side)
    return _arrays(data, [(a, b, c), (c, 2, a)])


register(OpEntry("tensordot_pairs", lambda x, y: jnp.tensordot(x, y, axes=([0, 2], [2, 0])),
                 _ref(lambda x, y: np.tensordot(x, y, axes=([0, 2], [2, 0]))),
                 _tensordot_pair_inputs, _DOT_PRIMS, **_TOL))


def _vecdot_inputs(data: Any) -> list[Any]:
    k = data.draw(_side)
    bx, by = data.draw(broadcastable_shapes(2, min_dims=0, max_dims=2, max_side=3))
    return _arrays(data, [bx + (k,), by + (k,)])


register(OpEntry("vecdot", jnp.vecdot, _ref(lambda x, y: np.sum(x * y, axis=-1)), _vecdot_inputs,
                 _DOT_PRIMS + ("broadcast_in_dim",), **_TOL))
register(OpEntry("linalg_vecdot", jnp.linalg.vecdot, _ref(lambda x, y: np.sum(x * y, axis=-1)), _vecdot_inputs,
                 _DOT_PRIMS, **_TOL))


# --- einsum -------------------------------------------------------------------------------

# each spec with the primitives it lowers to (transposes and squeezes that only
# some drawn shapes need are not claimed)
_EINSUM_SPECS: dict[str, tuple[str, ...]] = {
    "ij,jk->ik": _DOT_PRIMS, "ij,jk": _DOT_PRIMS, "bij,bjk->bik": _DOT_PRIMS, "i,i->": _DOT_PRIMS,
    "i,i": _DOT_PRIMS, "ij->": ("reduce_sum", "reduce_or"), "ii": ("diagonal", "reduce_sum", "reduce_or"),
    "ii->i": ("diagonal",), "ij->ji": ("transpose",), "ijk,jkl->il": _DOT_PRIMS, "ij,kj->ik": _DOT_PRIMS,
    "i,j->ij": ("mul", "expand_dims", "broadcast_in_dim", "convert_element_type"),
    "...ij,...jk->...ik": ("dot_general",), "...i,i": _DOT_PRIMS, "ij,jk,kl->il": _DOT_PRIMS,
    "iij,jk->ik": _DOT_PRIMS + ("diagonal",), "ij,ij->i": _DOT_PRIMS, "Ab,bA": _DOT_PRIMS,
    "...": (), "i,i->i": ("mul", "convert_element_type"), "ba": ("transpose",),
    "ij,ij->ij": ("mul", "convert_element_type"),
    "ij,jk->ijk": ("mul", "expand_dims", "broadcast_in_dim", "transpose", "convert_element_type"),
    "bi,bj->bji": ("mul", "expand_dims", "broadcast_in_dim", "transpose", "convert_element_type"),
}


def _einsum_tokens(term: str) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(term):
        if term.startswith("...", i):
            out.append("...")
            i += 3
        else:
            out.append(term[i])
            i += 1
    return out


def _einsum_inputs(spec: str) -> Any:
    terms = [_einsum_tokens(t) for t in spec.split("->")[0].split(",")]
    labels = sorted({c for t in terms for c in t if c != "..."})

    def draw(data: Any) -> list[Any]:
        sizes = {c: data.draw(_side) for c in labels}
        ell = data.draw(broadcastable_shapes(len(terms), min_dims=0, max_dims=2, max_side=3))
        shps = [tuple(d for tok in t for d in (ell[i] if tok == "..." else (sizes[tok],)))
                for i, t in enumerate(terms)]
        return _arrays(data, shps)

    return draw


for _spec, _prims in _EINSUM_SPECS.items():
    register(OpEntry(f"einsum[{_spec}]", lambda *xs, s=_spec: jnp.einsum(s, *xs),
                     _ref(lambda *xs, s=_spec: np.einsum(s, *xs)), _einsum_inputs(_spec), _prims, **_TOL))


# --- trace --------------------------------------------------------------------------------


def _trace_ref(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    acc = sum_dtype(x.dtype)
    src = x.astype(np.float64) if acc.kind == "f" else x.astype(acc)
    return np.trace(src, offset, axis1, axis2).astype(acc)


def _trace_inputs(data: Any) -> list[Any]:
    dt = data.draw(st.sampled_from(ALL_DTYPES))
    return [data.draw(np_arrays(dt, data.draw(shapes(2, 3, 0, 4)), _LO, _HI))]


register(OpEntry("trace", jnp.trace, _trace_ref, _trace_inputs, ("diagonal", "reduce_sum"), **_TOL))
register(OpEntry("trace_offset", lambda x: jnp.trace(x, offset=1, axis1=-1, axis2=0),
                 lambda x: _trace_ref(x, 1, -1, 0), _trace_inputs, ("diagonal", "reduce_sum"), **_TOL))
register(OpEntry("linalg_trace", lambda x: jnp.linalg.trace(x, offset=-1),
                 lambda x: _trace_ref(x, -1, -2, -1), _trace_inputs, ("diagonal", "reduce_sum"), **_TOL))


# --- norms --------------------------------------------------------------------------------


def _float(dt: np.dtype[Any]) -> np.dtype[Any]:
    return dt if dt.kind == "f" else dtypes.default_float_dtype()


def _norm_ref(**kw: Any) -> Any:
    def ref(x: np.ndarray[Any, Any]) -> Any:
        with np.errstate(all="ignore"):
            return np.asarray(np.linalg.norm(x.astype(np.float64), **kw)).astype(_float(x.dtype))

    return ref


def _norm_inputs(min_dims: int, max_dims: int, min_side: int, separate: bool = False) -> Any:
    """``separate``: the max/min of abs row or column sums (matrix orders
    1, -1, inf, -inf) has a kink wherever two sums tie or an element is 0, and
    finite differences across one are meaningless; the drawn magnitudes are
    then raised by 0.1 x (linear index + 1), so every line's sum differs from
    every other's by at least 0.1 unless the draw cancels that exactly."""
    def draw(data: Any) -> list[Any]:
        dt = data.draw(st.sampled_from(NUMERIC))
        x = data.draw(np_arrays(dt, data.draw(shapes(min_dims, max_dims, min_side, 4)), _LO, _HI))
        if separate and x.dtype.kind == "f":
            lift = 0.1 * np.arange(1, x.size + 1).reshape(x.shape)
            x = (np.where(np.signbit(x), -1.0, 1.0) * (np.abs(x) + lift)).astype(x.dtype)
        return [x]

    return draw


# what each order lowers to, besides the convert_element_type of integer inputs
_TWO_NORM = ("sqrt", "mul", "reduce_sum", "convert_element_type")
_VECTOR_ORD_PRIMS: dict[Any, tuple[str, ...]] = {
    None: _TWO_NORM, 2: _TWO_NORM, 1: ("abs", "reduce_sum"), math.inf: ("abs", "reduce_max"),
    -math.inf: ("abs", "reduce_min"), 0: ("ne", "reduce_sum"), 3: ("abs", "pow", "reduce_sum"),
    0.5: ("abs", "pow", "reduce_sum"),
}
_MATRIX_ORD_PRIMS: dict[Any, tuple[str, ...]] = {
    None: _TWO_NORM, "fro": _TWO_NORM, 1: ("abs", "reduce_sum", "reduce_max"),
    -1: ("abs", "reduce_sum", "reduce_min"), math.inf: ("abs", "reduce_sum", "reduce_max"),
    -math.inf: ("abs", "reduce_sum", "reduce_min"),
}

register(OpEntry("norm", jnp.linalg.norm, _norm_ref(), _norm_inputs(0, 3, 0), _TWO_NORM, **_TOL))
register(OpEntry("norm_keepdims", lambda x: jnp.linalg.norm(x, keepdims=True), _norm_ref(keepdims=True),
                 _norm_inputs(0, 3, 0), _TWO_NORM, **_TOL))
for _ord, _prims in _VECTOR_ORD_PRIMS.items():
    register(OpEntry(f"norm_vector[{_ord}]", lambda x, o=_ord: jnp.linalg.norm(x, ord=o, axis=-1),
                     _norm_ref(ord=_ord, axis=-1), _norm_inputs(1, 3, 1), _prims + ("convert_element_type",), **_TOL))
for _ord, _prims in _MATRIX_ORD_PRIMS.items():
    # the 1/inf norms reduce one axis with keepdims, then squeeze it
    _squeeze = ("squeeze",) if "abs" in _prims else ()
    _kinked = "abs" in _prims
    register(OpEntry(f"norm_matrix[{_ord}]", lambda x, o=_ord: jnp.linalg.norm(x, ord=o, axis=(-2, -1)),
                     _norm_ref(ord=_ord, axis=(-2, -1)), _norm_inputs(2, 3, 1, _kinked), _prims + _squeeze, **_TOL))
    register(OpEntry(f"norm_matrix_keep[{_ord}]",
                     lambda x, o=_ord: jnp.linalg.norm(x, ord=o, axis=(-1, 0), keepdims=True),
                     _norm_ref(ord=_ord, axis=(-1, 0), keepdims=True), _norm_inputs(2, 3, 1, _kinked), _prims,
                     **_TOL))
register(OpEntry("norm_2d_ord1", lambda x: jnp.linalg.norm(x, ord=1), _norm_ref(ord=1), _norm_inputs(2, 2, 1),
                 _MATRIX_ORD_PRIMS[1] + ("squeeze",), **_TOL))
register(OpEntry("vector_norm", jnp.linalg.vector_norm, lambda x: _norm_ref()(x.reshape(-1)),
                 _norm_inputs(0, 3, 0), _TWO_NORM, **_TOL))
register(OpEntry("vector_norm_axes", lambda x: jnp.linalg.vector_norm(x, axis=(0, -1), ord=1),
                 lambda x: np.sum(np.abs(x.astype(np.float64)), axis=(0, -1)).astype(_float(x.dtype)),
                 _norm_inputs(2, 3, 0), _VECTOR_ORD_PRIMS[1], **_TOL))
register(OpEntry("vector_norm_inf", lambda x: jnp.linalg.vector_norm(x, ord=math.inf, keepdims=True),
                 lambda x: np.asarray(np.max(np.abs(x.astype(np.float64)), keepdims=True)).astype(_float(x.dtype)),
                 _norm_inputs(0, 3, 1), _VECTOR_ORD_PRIMS[math.inf], **_TOL))
register(OpEntry("matrix_norm", jnp.linalg.matrix_norm, _norm_ref(ord="fro", axis=(-2, -1)),
                 _norm_inputs(2, 3, 0), _TWO_NORM, **_TOL))
