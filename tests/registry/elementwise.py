"""Registry entries for elementwise functions."""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st
import numpy as np

import functorch_lite.numpy as jnp
from functorch_lite import dtypes
from tests.registry import OpEntry, register
from tests.strategies import ALL_DTYPES, FLOATS, INTS, NUMERIC, broadcastable_shapes, np_arrays, shapes


def _float_of(dt: np.dtype[Any]) -> np.dtype[Any]:
    return dt if dt.kind == "f" else dtypes.default_float


def unary_inputs(dts: tuple[np.dtype[Any], ...], lo: float | None = None, hi: float | None = None) -> Any:
    def draw_inputs(data: Any) -> list[np.ndarray[Any, Any]]:
        dt = data.draw(st.sampled_from(dts))
        shape = data.draw(shapes())
        return [data.draw(np_arrays(dt, shape, lo, hi))]

    return draw_inputs


def binary_inputs(dts: tuple[np.dtype[Any], ...], lo: float | None = None, hi: float | None = None,
                  lo2: float | None = None, hi2: float | None = None, same_dtype: bool = False) -> Any:
    def draw_inputs(data: Any) -> list[np.ndarray[Any, Any]]:
        d1 = data.draw(st.sampled_from(dts))
        d2 = d1 if same_dtype else data.draw(st.sampled_from(dts))
        s1, s2 = data.draw(broadcastable_shapes(2))
        return [
            data.draw(np_arrays(d1, s1, lo, hi)),
            data.draw(np_arrays(d2, s2, lo if lo2 is None else lo2, hi if hi2 is None else hi2)),
        ]

    return draw_inputs


def unary_float(name: str, prim: str, ref: Any, lo: float | None = None, hi: float | None = None,
                rtol: float = 1e-5, atol: float = 1e-6, differentiable: bool = True) -> None:
    fn = getattr(jnp, name)

    def reference(x: np.ndarray[Any, Any]) -> Any:
        with np.errstate(all="ignore"):
            return ref(x.astype(_float_of(x.dtype)))

    register(OpEntry(name, fn, reference, unary_inputs(NUMERIC, lo, hi), (prim, "convert_element_type"),
                     rtol=rtol, atol=atol, differentiable=differentiable))


for _name, _prim, _ref, _lo, _hi in [
    ("exp", "exp", np.exp, -5, 5), ("exp2", "exp2", np.exp2, -5, 5),
    ("expm1", "expm1", np.expm1, -5, 5), ("log", "log", np.log, 0.01, 10),
    ("log1p", "log1p", np.log1p, -0.9, 10), ("log2", "log2", np.log2, 0.01, 10),
    ("log10", "log10", np.log10, 0.01, 10), ("sqrt", "sqrt", np.sqrt, 0.01, 10),
    ("cbrt", "cbrt", np.cbrt, -10, 10), ("sin", "sin", np.sin, -5, 5),
    ("cos", "cos", np.cos, -5, 5), ("tan", "tan", np.tan, -1.2, 1.2),
    ("arcsin", "asin", np.arcsin, -0.95, 0.95), ("arccos", "acos", np.arccos, -0.95, 0.95),
    ("arctan", "atan", np.arctan, -5, 5), ("sinh", "sinh", np.sinh, -5, 5),
    ("cosh", "cosh", np.cosh, -5, 5), ("tanh", "tanh", np.tanh, -5, 5),
    ("arcsinh", "asinh", np.arcsinh, -5, 5), ("arccosh", "acosh", np.arccosh, 1.05, 10),
    ("arctanh", "atanh", np.arctanh, -0.95, 0.95),
]:
    unary_float(_name, _prim, _ref, _lo, _hi)


def _same_dtype_unary(name: str, prims: tuple[str, ...], ref: Any, dts: tuple[np.dtype[Any], ...],
                      differentiable: bool = True, lo: float | None = None, hi: float | None = None) -> None:
    register(OpEntry(name, getattr(jnp, name), ref, unary_inputs(dts, lo, hi), prims,
                     differentiable=differentiable))


_same_dtype_unary("negative", ("neg",), np.negative, NUMERIC)
_same_dtype_unary("abs", ("abs",), np.abs, NUMERIC)
_same_dtype_unary("sign", ("sign",), np.sign, NUMERIC, differentiable=False)
_same_dtype_unary("square", ("mul",), np.square, NUMERIC)


def _int_identity(f: Any) -> Any:
    # rounding an integer array returns it unchanged (JAX), not a float copy (NumPy)
    return lambda x: x if x.dtype.kind in "iub" else f(x)


_same_dtype_unary("floor", ("floor",), _int_identity(np.floor), NUMERIC, differentiable=False)
_same_dtype_unary("ceil", ("ceil",), _int_identity(np.ceil), NUMERIC, differentiable=False)
# integers become the default float, as in JAX (NumPy: float16/32/64 by width)
_same_dtype_unary("rint", ("round", "convert_element_type"),
                  lambda x: np.rint(x if x.dtype.kind == "f" else x.astype(dtypes.default_float)),
                  NUMERIC, differentiable=False)
_same_dtype_unary("signbit", ("signbit",), np.signbit, FLOATS, differentiable=False)
_same_dtype_unary("trunc", ("trunc",), _int_identity(np.trunc), NUMERIC, differentiable=False)
_same_dtype_unary("logical_not", ("logical_not", "ne"), np.logical_not, ALL_DTYPES, differentiable=False)
_same_dtype_unary("bitwise_not", ("bitwise_not", "logical_not"), np.invert,
                  (dtypes.bool_,) + INTS, differentiable=False)
for _n, _p in [("isnan", "isnan"), ("isinf", "isinf"), ("isfinite", "isfinite")]:
    _same_dtype_unary(_n, (_p,), getattr(np, _n), ALL_DTYPES, differentiable=False)


def _promoted(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any], to_float: bool = False) -> tuple[Any, Any]:
    dt = dtypes.result_type(a.dtype, b.dtype)
    if to_float:
        dt = _float_of(dt)
    return a.astype(dt), b.astype(dt)


def binary(name: str, prims: tuple[str, ...], ref: Any, dts: tuple[np.dtype[Any], ...] = NUMERIC,
           to_float: bool = False, differentiable: bool = True, lo: float | None = None,
           hi: float | None = None, lo2: float | None = None, hi2: float | None = None,
           bool_out: bool = False, rtol: float = 1e-5, atol: float = 1e-6,
           helpers: tuple[str, ...] = ("convert_element_type", "broadcast_in_dim")) -> None:
    def reference(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> Any:
        x, y = _promoted(a, b, to_float)
        with np.errstate(all="ignore"):
            out = ref(x, y)
        return out if bool_out else np.asarray(out).astype(x.dtype)

    register(OpEntry(name, getattr(jnp, name), reference, binary_inputs(dts, lo, hi, lo2, hi2),
                     prims + helpers, rtol=rtol, atol=atol,
                     differentiable=differentiable))


binary("add", ("add",), np.add, ALL_DTYPES)
binary("subtract", ("sub",), np.subtract)
binary("multiply", ("mul",), np.multiply, ALL_DTYPES)
binary("true_divide", ("div",), np.true_divide, to_float=True, lo2=0.5, hi2=10)
binary("floor_divide", ("floor_divide",), np.floor_divide, lo2=1, hi2=10, differentiable=False)
binary("remainder", ("rem",), np.remainder, lo2=1, hi2=10)
binary("power", ("pow",), np.power, FLOATS, lo=0.1, hi=3, lo2=-2, hi2=2)
binary("maximum", ("max",), np.maximum, ALL_DTYPES)
binary("minimum", ("min",), np.minimum, ALL_DTYPES)
binary("arctan2", ("atan2",), np.arctan2, to_float=True)
binary("nextafter", ("nextafter",), np.nextafter, FLOATS, to_float=True, differentiable=False)
binary("logaddexp", ("max", "sub", "exp", "log1p", "select"), np.logaddexp, to_float=True)
binary("bitwise_and", ("and",), np.bitwise_and, (dtypes.bool_,) + INTS, differentiable=False)
binary("bitwise_or", ("or",), np.bitwise_or, (dtypes.bool_,) + INTS, differentiable=False)
binary("bitwise_xor", ("xor",), np.bitwise_xor, (dtypes.bool_,) + INTS, differentiable=False)
binary("left_shift", ("shift_left",), np.left_shift, INTS, lo2=0, hi2=6, differentiable=False)
binary("right_shift", ("shift_right",), np.right_shift, INTS, lo2=0, hi2=6, differentiable=False)
for _n, _p in [("equal", "eq"), ("not_equal", "ne"), ("less", "lt"), ("less_equal", "le"),
               ("greater", "gt"), ("greater_equal", "ge")]:
    binary(_n, (_p,), getattr(np, _n), ALL_DTYPES, differentiable=False, bool_out=True)
# the operands are made boolean with ``!= 0``, never converted
for _n, _p in (("logical_and", "and"), ("logical_or", "or"), ("logical_xor", "xor")):
    binary(_n, (_p, "ne"), getattr(np, _n), ALL_DTYPES, differentiable=False, bool_out=True,
           helpers=("broadcast_in_dim",))


def _where_inputs(data: Any) -> list[np.ndarray[Any, Any]]:
    s1, s2, s3 = data.draw(broadcastable_shapes(3))
    d = data.draw(st.sampled_from(ALL_DTYPES))
    d2 = data.draw(st.sampled_from(ALL_DTYPES))
    return [data.draw(np_arrays(dtypes.bool_, s1)), data.draw(np_arrays(d, s2)), data.draw(np_arrays(d2, s3))]


def _where_ref(c: np.ndarray[Any, Any], a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> Any:
    x, y = _promoted(a, b)
    return np.where(c, x, y)


register(OpEntry("where", jnp.where, _where_ref, _where_inputs, ("select",), nondiff_args=(0,)))


def _clip_inputs(data: Any) -> list[np.ndarray[Any, Any]]:
    s = data.draw(shapes())
    d = data.draw(st.sampled_from([t for t in NUMERIC if t != dtypes.uint8]))
    return [data.draw(np_arrays(d, s))]


register(OpEntry("clip", lambda x: jnp.clip(x, -3, 4), lambda x: np.clip(x, -3, 4).astype(x.dtype),
                 _clip_inputs, ("max", "min")))


def _astype_inputs(data: Any) -> list[np.ndarray[Any, Any]]:
    # values every target dtype can hold (out-of-range float->int casts clamp, as in XLA)
    return [data.draw(np_arrays(data.draw(st.sampled_from(ALL_DTYPES)), data.draw(shapes()), 0, 100))]


for _dt in ALL_DTYPES:
    register(OpEntry(f"astype_{_dt.name}", lambda x, _d=_dt: x.astype(_d),
                     lambda x, _d=_dt: x.astype(_d), _astype_inputs, ("convert_element_type",),
                     differentiable=_dt.kind == "f"))


def _sg(x: Any) -> Any:
    import functorch_lite as fl

    return fl.stop_gradient(x)


register(OpEntry("stop_gradient", _sg, lambda x: x, unary_inputs(ALL_DTYPES), ("stop_gradient",),
                 differentiable=False))
