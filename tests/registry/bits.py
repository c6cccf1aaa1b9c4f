"""Registry entries for the bit-level primitives (functorch_lite/ops/bits.py),
through their ``functorch_lite.lax`` front ends."""

from __future__ import annotations

from typing import Any

import numpy as np

from functorch_lite import lax
from tests.registry import OpEntry, register
from tests.registry.elementwise import unary_inputs
from tests.strategies import FLOATS, INTS

_UNSIGNED = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def _popcount_ref(x: np.ndarray[Any, Any]) -> Any:
    return np.bitwise_count(x.view(_UNSIGNED[x.dtype.itemsize])).astype(x.dtype)


def _clz_ref(x: np.ndarray[Any, Any]) -> Any:
    nbits = x.dtype.itemsize * 8
    u = x.view(_UNSIGNED[x.dtype.itemsize]).ravel()
    out = np.array([nbits - int(v).bit_length() for v in u], dtype=x.dtype)
    return out.reshape(x.shape)


def _bitcast_unsigned(x: np.ndarray[Any, Any]) -> Any:
    return lax.bitcast_convert_type(x, _UNSIGNED[x.dtype.itemsize])


def _bitcast_ref(x: np.ndarray[Any, Any]) -> Any:
    return np.array(x, order="C").view(_UNSIGNED[x.dtype.itemsize])


def _full_precision(x: Any) -> Any:
    """reduce_precision to the operand's own format: the identity, differentiable everywhere."""
    fi = np.finfo(np.dtype(x.dtype))
    return lax.reduce_precision(x, int(fi.nexp), int(fi.nmant))


register(OpEntry("lax.population_count", lax.population_count, _popcount_ref, unary_inputs(INTS),
                 ("population_count",), differentiable=False))
register(OpEntry("lax.clz", lax.clz, _clz_ref, unary_inputs(INTS), ("clz",), differentiable=False))
register(OpEntry("lax.bitcast_convert_type", _bitcast_unsigned, _bitcast_ref, unary_inputs(FLOATS + INTS),
                 ("bitcast_convert_type",), differentiable=False))
register(OpEntry("lax.reduce_precision", _full_precision, lambda x: x.copy(), unary_inputs(FLOATS, -10, 10),
                 ("reduce_precision",)))
