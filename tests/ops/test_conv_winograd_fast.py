"""Winograd F(2x2, 3x3) transforms over the geometries their scratch layout
special-cases: the padding fused into the input transform (pads wider than
the image, an odd output), the recomputed last tile of each tile row (its
columns past ``2 tw`` non-zero), the output crop, and chunks of images that
reuse one scratch (a short last chunk)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from functorch_lite.ops.kernels import conv as kc
from tests._gradcheck import assert_close
from tests.ops.test_conv import ref_conv

GEOMETRIES = [
    # (n, c, o, h, w, pads)
    (3, 8, 4, 14, 14, ((1, 1), (1, 1))),
    (2, 9, 3, 7, 9, ((0, 0), (0, 0))),
    (3, 8, 2, 5, 6, ((2, 0), (0, 3))),
    (2, 8, 3, 6, 5, ((0, 2), (3, 1))),
    (2, 8, 2, 1, 2, ((5, 0), (0, 4))),
    (1, 8, 1, 1, 1, ((1, 1), (1, 1))),
    (4, 10, 5, 9, 17, ((1, 2), (2, 1))),
    (2, 8, 3, 3, 3, ((0, 0), (0, 0))),
    (2, 8, 2, 3, 1, ((1, 1), (3, 0))),  # the left pad past the tile grid's 2 tw columns
]


@pytest.mark.parametrize("geom", GEOMETRIES)
@pytest.mark.parametrize("chunked", [False, True])
def test_winograd_forward_matches_the_definition(geom: Any, chunked: bool, monkeypatch: Any) -> None:
    n, c, o, h, w, pads = geom
    if chunked:
        # 2 images per chunk: a short last chunk for odd batches, the scratch reused across chunks
        t = ((h + sum(pads[0]) - 1) // 2) * ((w + sum(pads[1]) - 1) // 2)
        monkeypatch.setattr(kc, "WINO_CHUNK_BYTES", 2 * 16 * max(c, o) * t * 8)
    rng = np.random.default_rng(n * 100 + h * 10 + w)
    for dt in (np.dtype("float32"), np.dtype("float64")):
        x = rng.standard_normal((n, c, h, w)).astype(dt)
        k = rng.standard_normal((o, c, 3, 3)).astype(dt)
        want = ref_conv(x.astype(np.float64), k.astype(np.float64), (1, 1), pads, (1, 1), (1, 1))
        for xv in (x, np.asfortranarray(x)):
            got = kc.conv(xv, k, (1, 1), pads, (1, 1), (1, 1), 1, 1, dt)
            assert got.dtype == dt and got.shape == want.shape
            tol = 1e-4 if dt == np.float32 else 1e-11
            assert_close(got, want, rtol=tol, atol=tol)


@pytest.mark.parametrize("geom", GEOMETRIES)
def test_winograd_weight_gradient_matches_the_definition(geom: Any, monkeypatch: Any) -> None:
    n, c, o, h, w, pads = geom
    monkeypatch.setattr(kc, "WINO_MIN_CHANNELS", 1)
    monkeypatch.setattr(kc, "WINO_CT_CHUNK_BYTES", 1)  # one image per chunk
    rng = np.random.default_rng(n * 100 + h * 10 + w + 1)
    p = (h + sum(pads[0]) - 2, w + sum(pads[1]) - 2)
    for dt in (np.dtype("float32"), np.dtype("float64")):
        x = rng.standard_normal((n, c, h, w)).astype(dt).swapaxes(0, 1)
        ct = rng.standard_normal((n, o) + p).astype(dt).swapaxes(0, 1)
        got = kc.conv(x, ct, (1, 1), pads, (1, 1), (1, 1), 1, 1, dt)
        want = ref_conv(x.astype(np.float64), ct.astype(np.float64), (1, 1), pads, (1, 1), (1, 1))
        assert got.shape == want.shape == (c, o, 3, 3)
        tol = 1e-4 if dt == np.float32 else 1e-11
        assert_close(got, want, rtol=tol, atol=tol * float(np.abs(want).max()))


def test_winograd_float32_error_stays_near_the_direct_sum(monkeypatch: Any) -> None:
    """The benchmark layer: the float32 error against a float64 reference is no
    worse than twice the float32 patch GEMM's."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 32, 14, 14)).astype(np.float32)
    k = rng.standard_normal((32, 32, 3, 3)).astype(np.float32)
    pads = ((1, 1), (1, 1))
    f32 = np.dtype("float32")
    want = ref_conv(x.astype(np.float64), k.astype(np.float64), (1, 1), pads, (1, 1), (1, 1))
    got = kc.conv(x, k, (1, 1), pads, (1, 1), (1, 1), 1, 1, f32)
    monkeypatch.setattr(kc, "WINO_MIN_CHANNELS", 10**9)
    direct = kc.conv(x, k, (1, 1), pads, (1, 1), (1, 1), 1, 1, f32)
    assert np.abs(got - want).max() <= 2 * np.abs(direct - want).max()


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 3), o=st.integers(1, 3), h=st.integers(1, 11), w=st.integers(1, 11),
       pads=st.tuples(*(st.integers(0, 4) for _ in range(4))), chunked=st.booleans())
def test_winograd_any_geometry_matches_the_definition(n: int, o: int, h: int, w: int, pads: Any,
                                                       chunked: bool) -> None:
    """Random sizes and pads (Numba does not bounds-check: a scratch index off by
    one would read or write the wrong element, so every geometry is checked)."""
    p = ((pads[0], pads[1]), (pads[2], pads[3]))
    assume(h + pads[0] + pads[1] >= 3 and w + pads[2] + pads[3] >= 3)
    old = kc.WINO_CHUNK_BYTES
    try:
        if chunked:
            t = ((h + pads[0] + pads[1] - 1) // 2) * ((w + pads[2] + pads[3] - 1) // 2)
            kc.WINO_CHUNK_BYTES = 16 * 8 * t * 4  # one image per chunk
        rng = np.random.default_rng(n + 7 * h + 31 * w)
        x = rng.standard_normal((n, 8, h, w)).astype(np.float32)
        k = rng.standard_normal((o, 8, 3, 3)).astype(np.float32)
        want = ref_conv(x.astype(np.float64), k.astype(np.float64), (1, 1), p, (1, 1), (1, 1))
        got = kc.conv(x, k, (1, 1), p, (1, 1), (1, 1), 1, 1, np.dtype("float32"))
        assert got.shape == want.shape
        assert_close(got, want, rtol=1e-4, atol=1e-4)
    finally:
        kc.WINO_CHUNK_BYTES = old
