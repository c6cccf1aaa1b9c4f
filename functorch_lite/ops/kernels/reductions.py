"""Reduction kernels.

Sums use NumPy's pairwise summation (accurate and memory-bound, the
hardware limit here); max/min/and/or use its SIMD loops.  NaN propagates
through max/min as in NumPy/JAX.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def sum_(x: np.ndarray[Any, Any], axes: tuple[int, ...]) -> Any:
    return np.add.reduce(x, axis=axes, dtype=x.dtype)


def prod(x: np.ndarray[Any, Any], axes: tuple[int, ...]) -> Any:
    return np.multiply.reduce(x, axis=axes, dtype=x.dtype)


def max_(x: np.ndarray[Any, Any], axes: tuple[int, ...]) -> Any:
    return np.maximum.reduce(x, axis=axes)


def min_(x: np.ndarray[Any, Any], axes: tuple[int, ...]) -> Any:
    return np.minimum.reduce(x, axis=axes)


def all_(x: np.ndarray[Any, Any], axes: tuple[int, ...]) -> Any:
    return np.logical_and.reduce(x, axis=axes)


def any_(x: np.ndarray[Any, Any], axes: tuple[int, ...]) -> Any:
    return np.logical_or.reduce(x, axis=axes)


def argmax(x: np.ndarray[Any, Any], axis: int) -> Any:
    return np.argmax(x, axis=axis)


def argmin(x: np.ndarray[Any, Any], axis: int) -> Any:
    return np.argmin(x, axis=axis)
