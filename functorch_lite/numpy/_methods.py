"""Fill the Array/tracer operator table from the ``functorch_lite.numpy`` namespace."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from functorch_lite import dtypes
from functorch_lite.array import ArrayMethods, register_method
from functorch_lite.numpy import _indexing
from functorch_lite.numpy._util import asarray, convert

# method-table name -> namespace function name
_METHOD_NAMES = {
    "add": "add", "subtract": "subtract", "multiply": "multiply",
    "true_divide": "true_divide", "floor_divide": "floor_divide", "remainder": "remainder",
    "power": "power", "matmul": "matmul", "negative": "negative", "positive": "positive",
    "abs": "abs", "invert": "bitwise_not", "bitwise_and": "bitwise_and",
    "bitwise_or": "bitwise_or", "bitwise_xor": "bitwise_xor", "left_shift": "left_shift",
    "right_shift": "right_shift", "equal": "equal", "not_equal": "not_equal",
    "less": "less", "less_equal": "less_equal", "greater": "greater",
    "greater_equal": "greater_equal", "reciprocal": "reciprocal", "transpose": "transpose",
    "swapaxes": "swapaxes", "reshape": "reshape", "squeeze": "squeeze", "ravel": "ravel",
    "diagonal": "diagonal", "sum": "sum", "prod": "prod", "mean": "mean", "var": "var",
    "std": "std", "max": "max", "min": "min", "argmax": "argmax", "argmin": "argmin",
    "all": "all", "any": "any", "cumsum": "cumsum", "cumprod": "cumprod", "clip": "clip",
    "round": "round", "dot": "dot", "sort": "sort", "argsort": "argsort", "take": "take",
}


def _astype(x: Any, dtype: Any) -> Any:
    return convert(asarray(x), dtypes.canonicalize(dtype))


def install(namespace: ModuleType) -> None:
    """Register every namespace function that backs an Array method."""
    register_method("astype")(_astype)
    register_method("namespace")(lambda: namespace)

    register_method("getitem")(_indexing.getitem)
    register_method("at_update")(_indexing.at_update)
    for method, fname in _METHOD_NAMES.items():
        fn = getattr(namespace, fname, None)
        if fn is not None:
            register_method(method)(fn)
    _install_fast_operators(namespace)


# The hottest binary operators skip the method table: the dunder becomes the
# namespace function itself (one Python call less per ``a + b``).
_FAST_BINARY = {
    "add": "add", "sub": "subtract", "mul": "multiply", "truediv": "true_divide",
}


def _install_fast_operators(namespace: ModuleType) -> None:
    for dunder, fname in _FAST_BINARY.items():
        fn = getattr(namespace, fname)
        setattr(ArrayMethods, f"__{dunder}__", fn)
        setattr(ArrayMethods, f"__r{dunder}__", _reflected(fn))


def _reflected(fn: Any) -> Any:
    def r(x: Any, y: Any) -> Any:
        return fn(y, x)

    return r
