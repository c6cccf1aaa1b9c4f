"""The select kernel's fast paths equal np.where exactly (NaN, -0.0 and
infinities included), and the layouts it does not take fall back."""

from __future__ import annotations

import numpy as np
import pytest

from functorch_lite.ops.kernels.elementwise import select


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_select_paths_match_where(dtype: type) -> None:
    rng = np.random.default_rng(0)
    shape = (70, 90)  # above the kernel threshold
    pred = rng.random(shape) > 0.5
    a = rng.standard_normal(shape).astype(dtype)
    a[0, :4] = [np.nan, -0.0, np.inf, -np.inf]
    b = rng.standard_normal(shape).astype(dtype)
    zero = np.broadcast_to(dtype(0), shape)
    two = np.broadcast_to(dtype(2), shape)
    cases = [(a, b), (a, zero), (two, b), (a.T.copy().T, b), (a[:, ::-1], b), (zero, two), (a, b.astype(np.float16))]
    for t, f in cases:
        np.testing.assert_array_equal(select(pred, t, f), np.where(pred, t, f))
    np.testing.assert_array_equal(select(pred.T, a.T, b.T), np.where(pred.T, a.T, b.T))  # non-contiguous predicate
    small = pred[:2, :3]
    np.testing.assert_array_equal(select(small, a[:2, :3], zero[:2, :3]), np.where(small, a[:2, :3], 0))
