"""Registry entries for convolutions (the NumPy oracle of tests/ops/test_conv.py)."""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st
import numpy as np

from functorch_lite import lax
from tests.ops.test_conv import ref_conv
from tests.registry import OpEntry, register
from tests.strategies import np_arrays

_TOL = 1e-4
_PRIMS = ("conv_general_dilated",)


def _inputs(nsp: int, fgc: int = 1, bgc: int = 1, channels_last: bool = False) -> Any:
    def draw(data: Any) -> list[Any]:
        dt = np.dtype(data.draw(st.sampled_from(["float32", "float64"])))
        g = max(fgc, bgc)
        n = data.draw(st.integers(1, 2)) * bgc
        i = data.draw(st.integers(1, 2))
        o = data.draw(st.integers(1, 2)) * g
        sp = tuple(data.draw(st.integers(2, 5)) for _ in range(nsp))
        win = tuple(data.draw(st.integers(1, 2)) for _ in range(nsp))
        x = data.draw(np_arrays(dt, (n, i * fgc) + sp, -2, 2))
        w = data.draw(np_arrays(dt, (o, i) + win, -2, 2))
        if channels_last:
            return [np.moveaxis(x, 1, -1), np.moveaxis(w, (0, 1), (-1, -2))]
        return [x, w]

    return draw


def _ref(strides: tuple[int, ...], pads: tuple[tuple[int, int], ...], ld: tuple[int, ...], rd: tuple[int, ...],
         fgc: int = 1, bgc: int = 1) -> Any:
    return lambda x, w: ref_conv(x, w, strides, pads, ld, rd, fgc, bgc)


register(OpEntry(
    "conv_general_dilated_2d",
    lambda x, w: lax.conv_general_dilated(x, w, (2, 1), ((1, 0), (1, 2)), (1, 1), (1, 2)),
    _ref((2, 1), ((1, 0), (1, 2)), (1, 1), (1, 2)), _inputs(2), _PRIMS, rtol=_TOL, atol=_TOL))
register(OpEntry(
    "conv_general_dilated_1d_lhs_dilation",
    lambda x, w: lax.conv_general_dilated(x, w, (1,), ((2, -1),), (2,), (1,)),
    _ref((1,), ((2, -1),), (2,), (1,)), _inputs(1), _PRIMS, rtol=_TOL, atol=_TOL))
register(OpEntry(
    "conv_general_dilated_3d",
    lambda x, w: lax.conv_general_dilated(x, w, (1, 2, 1), ((1, 1), (0, 0), (1, 0))),
    _ref((1, 2, 1), ((1, 1), (0, 0), (1, 0)), (1, 1, 1), (1, 1, 1)), _inputs(3), _PRIMS, rtol=_TOL, atol=_TOL))
register(OpEntry(
    "conv_general_dilated_feature_groups",
    lambda x, w: lax.conv_general_dilated(x, w, (1, 1), ((1, 1), (0, 1)), feature_group_count=2),
    _ref((1, 1), ((1, 1), (0, 1)), (1, 1), (1, 1), fgc=2), _inputs(2, fgc=2), _PRIMS, rtol=_TOL, atol=_TOL))
register(OpEntry(
    "conv_general_dilated_batch_groups",
    lambda x, w: lax.conv_general_dilated(x, w, (1, 1), ((0, 1), (1, 0)), batch_group_count=2),
    _ref((1, 1), ((0, 1), (1, 0)), (1, 1), (1, 1), bgc=2), _inputs(2, bgc=2), _PRIMS, rtol=_TOL, atol=_TOL))
register(OpEntry(
    "conv_general_dilated_nhwc",
    lambda x, w: lax.conv_general_dilated(x, w, (1, 1), ((1, 1), (1, 1)), dimension_numbers=("NHWC", "HWIO", "NHWC")),
    lambda x, w: np.moveaxis(ref_conv(np.moveaxis(x, -1, 1), np.moveaxis(w, (-1, -2), (0, 1)), (1, 1),
                                      ((1, 1), (1, 1)), (1, 1), (1, 1)), 1, -1),
    _inputs(2, channels_last=True), _PRIMS, rtol=_TOL, atol=_TOL))
