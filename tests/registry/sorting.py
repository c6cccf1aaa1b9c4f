"""Registry entries for sorting, searching, quantiles and cumulative ops.

NumPy is the oracle: ``np.sort``/``np.argsort(kind="stable")`` (values are
drawn with many ties, NaNs, infinities and signed zeros, so stability and
the NaN order are exercised), ``np.cumsum``/``np.cumprod`` with the
accumulation dtype, ``np.maximum.accumulate``, ``np.quantile``,
``np.searchsorted`` and ``np.unique``.
"""

from __future__ import annotations

from typing import Any

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np

import functorch_lite.numpy as jnp
from functorch_lite import dtypes
from functorch_lite.ops import cumulative as cum
from tests.registry import OpEntry, register
from tests.strategies import ALL_DTYPES, FLOATS, INTS, NUMERIC, elements_for, shapes, sum_dtype

Arr = np.ndarray[Any, Any]

# few distinct values: ties everywhere, plus the values whose order is special
_SPECIAL = (-2.5, -1.0, -0.0, 0.0, 1.0, 3.0, np.nan, np.inf, -np.inf)


def _tie_elements(dt: np.dtype[Any], inf: bool = True) -> Any:
    if dt.kind == "f":
        return st.sampled_from(_SPECIAL if inf else _SPECIAL[:-2]) | elements_for(dt)
    if dt.kind in "iu":
        return st.integers(0 if dt.kind == "u" else -3, 3)
    return st.booleans()


def _arrays(dts: tuple[np.dtype[Any], ...], min_dims: int = 0, max_dims: int = 3, min_side: int = 0,
            ties: bool = True, lo: float | None = None, hi: float | None = None, inf: bool = True) -> Any:
    def draw_inputs(data: Any) -> list[Arr]:
        dt = data.draw(st.sampled_from(dts))
        shape = data.draw(shapes(min_dims, max_dims, min_side))
        el = _tie_elements(dt, inf) if ties else elements_for(dt, lo, hi)
        return [data.draw(hnp.arrays(dt, shape, elements=el))]

    return draw_inputs


def _quiet(ref: Any) -> Any:
    """The reference without NumPy's overflow/invalid warnings (inf - inf...)."""

    def quiet_ref(*args: Any) -> Any:
        with np.errstate(all="ignore"):
            return ref(*args)

    return quiet_ref


def _acc(x: Arr) -> np.dtype[Any]:
    return sum_dtype(x.dtype)


def _float(x: Arr) -> np.dtype[Any]:
    return x.dtype if x.dtype.kind == "f" else dtypes.default_float_dtype()


def _argsort_desc(x: Arr, axis: int) -> Arr:
    # stable descending: ties keep their original order (JAX's definition)
    n = x.shape[axis]
    idx = np.flip(np.argsort(np.flip(x, axis), axis=axis, kind="stable"), axis)
    return (n - 1 - idx).astype(dtypes.default_int_dtype())


# --- sort / argsort ---------------------------------------------------------------------
register(OpEntry("sort", jnp.sort, lambda x: np.sort(x, axis=-1, kind="stable"), _arrays(ALL_DTYPES, 1),
                 ("sort",)))
register(OpEntry("sort_axis0", lambda x: jnp.sort(x, axis=0), lambda x: np.sort(x, axis=0, kind="stable"),
                 _arrays(ALL_DTYPES, 1), ("sort",)))
register(OpEntry("sort_flat", lambda x: jnp.sort(x, axis=None), lambda x: np.sort(x, axis=None),
                 _arrays(ALL_DTYPES, 0), ("sort", "reshape")))
register(OpEntry("sort_descending", lambda x: jnp.sort(x, axis=0, descending=True),
                 lambda x: np.flip(np.sort(x, axis=0), 0), _arrays(ALL_DTYPES, 1), ("sort",)))
register(OpEntry("argsort", jnp.argsort,
                 lambda x: np.argsort(x, axis=-1, kind="stable").astype(dtypes.default_int_dtype()),
                 _arrays(ALL_DTYPES, 1), ("argsort",), differentiable=False))
register(OpEntry("argsort_axis0", lambda x: jnp.argsort(x, axis=0),
                 lambda x: np.argsort(x, axis=0, kind="stable").astype(dtypes.default_int_dtype()),
                 _arrays(ALL_DTYPES, 1), ("argsort",), differentiable=False))
register(OpEntry("argsort_flat", lambda x: jnp.argsort(x, axis=None),
                 lambda x: np.argsort(x, axis=None, kind="stable").astype(dtypes.default_int_dtype()),
                 _arrays(ALL_DTYPES, 0), ("argsort",), differentiable=False))
register(OpEntry("argsort_descending", lambda x: jnp.argsort(x, axis=-1, descending=True),
                 lambda x: _argsort_desc(x, x.ndim - 1), _arrays(ALL_DTYPES, 1), ("argsort",),
                 differentiable=False))
register(OpEntry("argsort_descending_axis0", lambda x: jnp.argsort(x, axis=0, descending=True),
                 lambda x: _argsort_desc(x, 0), _arrays(ALL_DTYPES, 1), ("argsort",), differentiable=False))

# --- cumulative -------------------------------------------------------------------------------
_SMALL = dict(ties=False, lo=-2, hi=2)
for _suffix, _axis in [("flat", None), ("axis0", 0), ("last", -1)]:
    _min = 0 if _axis is None else 1
    register(OpEntry(f"cumsum_{_suffix}", lambda x, a=_axis: jnp.cumsum(x, axis=a),
                     _quiet(lambda x, a=_axis: np.cumsum(x, axis=a, dtype=_acc(x))),
                     _arrays(ALL_DTYPES, _min, ties=False), ("cumsum", "convert_element_type")))
    register(OpEntry(f"cumprod_{_suffix}", lambda x, a=_axis: jnp.cumprod(x, axis=a),
                     _quiet(lambda x, a=_axis: np.cumprod(x, axis=a, dtype=_acc(x))),
                     _arrays(NUMERIC, _min, **_SMALL), ("cumprod", "convert_element_type"),
                     rtol=1e-4, atol=1e-4))
register(OpEntry("cumsum_float_dtype", lambda x: jnp.cumsum(x, axis=0, dtype=jnp.float32),
                 _quiet(lambda x: np.cumsum(x.astype(np.float32), axis=0, dtype=np.float32)),
                 _arrays(INTS, 1, ties=False), ("cumsum",), rtol=1e-5, atol=1e-5))
register(OpEntry("cumsum_bool_dtype", lambda x: jnp.cumsum(x, axis=0, dtype=bool),
                 lambda x: np.logical_or.accumulate(x.astype(bool), axis=0),
                 _arrays(ALL_DTYPES, 1), ("cummax",), differentiable=False))
register(OpEntry("nancumsum", lambda x: jnp.nancumsum(x, axis=-1),
                 _quiet(lambda x: np.nancumsum(x, axis=-1, dtype=_acc(x))), _arrays(ALL_DTYPES, 1),
                 ("cumsum", "select", "isnan")))
register(OpEntry("nancumprod", lambda x: jnp.nancumprod(x, axis=0),
                 _quiet(lambda x: np.nancumprod(x, axis=0, dtype=_acc(x))), _arrays(NUMERIC, 1, max_dims=2),
                 ("cumprod", "select", "isnan")))
register(OpEntry("cumulative_sum", lambda x: jnp.cumulative_sum(x, axis=-1, include_initial=True),
                 _quiet(lambda x: np.cumulative_sum(x, axis=-1, dtype=_acc(x), include_initial=True)),
                 _arrays(ALL_DTYPES, 1, ties=False), ("cumsum", "pad")))
register(OpEntry("cumulative_prod", lambda x: jnp.cumulative_prod(x, axis=0),
                 _quiet(lambda x: np.cumulative_prod(x, axis=0, dtype=_acc(x))),
                 _arrays(NUMERIC, 1, **_SMALL), ("cumprod",), rtol=1e-4, atol=1e-4))

# the primitives' own parameters (reverse, booleans, NaN propagation)
_ACC_DTYPES = (dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64)
for _name, _prim, _ufunc in [("cumsum", cum.cumsum_p, np.add), ("cumprod", cum.cumprod_p, np.multiply),
                             ("cummax", cum.cummax_p, np.maximum), ("cummin", cum.cummin_p, np.minimum)]:
    # the API accumulates sums/products in int32, int64 or a float: test those (each
    # dtype is a Numba compile on a cold cache); max/min see every dtype
    _dts = _ACC_DTYPES if _name in ("cumsum", "cumprod") else ALL_DTYPES
    for _axis, _rev in [(0, True), (-1, False)]:
        register(OpEntry(
            f"{_name}_p_axis{_axis}{'_reverse' if _rev else ''}",
            lambda x, p=_prim, a=_axis, r=_rev: p.bind(x, axis=a % x.ndim, reverse=r),
            _quiet(lambda x, u=_ufunc, a=_axis, r=_rev: (
                np.flip(u.accumulate(np.flip(x, a), axis=a, dtype=x.dtype), a) if r
                else u.accumulate(x, axis=a, dtype=x.dtype))),
            _arrays(_dts, 1, **(_SMALL if _name == "cumprod" else {})), (_name,),
            rtol=1e-4, atol=1e-4))

# --- quantiles ------------------------------------------------------------------------------
# no infinities here: NumPy's lerp turns inf - inf into NaN even where the quantile
# is an exact element (np.quantile([1, 2, inf], 1.0) is nan); tests/numpy_api/test_sorting.py
# checks that functorch_lite returns the element there.


def _quantile_ref(x: Arr, q: Any, axis: Any = None, keepdims: bool = False, method: str = "linear") -> Arr:
    with np.errstate(all="ignore"):
        r = np.quantile(x.astype(np.float64), q, axis=axis, keepdims=keepdims, method=method)
    return np.asarray(r).astype(_float(x))


_QUANT = dict(rtol=1e-5, atol=1e-5)
register(OpEntry("median", jnp.median, lambda x: _quantile_ref(x, 0.5), _arrays(NUMERIC, 0, min_side=1, inf=False),
                 ("sort", "slice", "mul"), **_QUANT))
register(OpEntry("median_axis_keepdims", lambda x: jnp.median(x, axis=-1, keepdims=True),
                 lambda x: _quantile_ref(x, 0.5, -1, True), _arrays(NUMERIC, 1, min_side=1, inf=False),
                 ("sort", "select"), **_QUANT))
register(OpEntry("quantile_vector_q", lambda x: jnp.quantile(x, [0.0, 0.3, 0.75, 1.0], axis=0),
                 lambda x: _quantile_ref(x, [0.0, 0.3, 0.75, 1.0], 0), _arrays(NUMERIC, 1, min_side=1, inf=False),
                 ("sort", "concatenate"), **_QUANT))
register(OpEntry("quantile_axes", lambda x: jnp.quantile(x, 0.4, axis=(0, -1), keepdims=True),
                 lambda x: _quantile_ref(x, 0.4, (0, -1), True), _arrays(NUMERIC, 2, min_side=1, inf=False),
                 ("sort", "transpose"), **_QUANT))
for _method in ("lower", "higher", "midpoint", "nearest"):
    register(OpEntry(f"quantile_{_method}", lambda x, m=_method: jnp.quantile(x, [0.1, 0.5, 0.9], axis=-1,
                                                                              method=m),
                     lambda x, m=_method: _quantile_ref(x, [0.1, 0.5, 0.9], -1, method=m),
                     _arrays(NUMERIC, 1, min_side=1, inf=False), ("sort",), **_QUANT))
register(OpEntry("percentile", lambda x: jnp.percentile(x, [25, 50], axis=-1),
                 lambda x: np.asarray(np.percentile(x.astype(np.float64), [25, 50], axis=-1)).astype(_float(x)),
                 _arrays(FLOATS, 1, min_side=1, inf=False), ("sort",), **_QUANT))

# --- searchsorted -------------------------------------------------------------------------


def _search_inputs(mixed: bool) -> Any:
    def draw_inputs(data: Any) -> list[Arr]:
        dt = data.draw(st.sampled_from(INTS if mixed else ALL_DTYPES))
        n = data.draw(st.integers(0, 9))
        a = np.sort(data.draw(hnp.arrays(dt, (n,), elements=_tie_elements(dt))))
        kdt = dtypes.float32 if mixed else dt
        el = (st.sampled_from((-4.0, -0.5, 0.0, 1.5, 2.0, 3.5)) | st.integers(-4, 4).map(float)) if mixed \
            else _tie_elements(kdt)
        keys = data.draw(hnp.arrays(kdt, data.draw(shapes(0, 2)), elements=el))
        return [a, keys]

    return draw_inputs


for _side in ("left", "right"):
    register(OpEntry(f"searchsorted_{_side}", lambda a, v, s=_side: jnp.searchsorted(a, v, side=s),
                     lambda a, v, s=_side: np.asarray(np.searchsorted(a, v, side=s)).astype(dtypes.default_int_dtype()),
                     _search_inputs(False), ("searchsorted",), differentiable=False))
register(OpEntry("searchsorted_mixed_dtypes", lambda a, v: jnp.searchsorted(a, v),
                 lambda a, v: np.asarray(np.searchsorted(a.astype(np.float64), v.astype(np.float64)))
                 .astype(dtypes.default_int_dtype()), _search_inputs(True), ("searchsorted", "convert_element_type"),
                 differentiable=False))

# --- unique (concrete input) -----------------------------------------------------------------
register(OpEntry("unique", jnp.unique, np.unique, _arrays(ALL_DTYPES, 0), (), differentiable=False))
register(OpEntry("unique_all", lambda x: jnp.unique(x, return_index=True, return_inverse=True,
                                                    return_counts=True),
                 lambda x: tuple(r if i == 0 else r.astype(dtypes.default_int_dtype()) for i, r in enumerate(
                     np.unique(x, return_index=True, return_inverse=True, return_counts=True))),
                 _arrays(ALL_DTYPES, 0), (), differentiable=False))
register(OpEntry("unique_no_equal_nan", lambda x: jnp.unique(x, equal_nan=False),
                 lambda x: np.unique(x, equal_nan=False), _arrays(FLOATS, 1), (), differentiable=False))
