"""The specialised kernels behind a CNN's training step, each against the
general path or a definition: Winograd F(2x2, 3x3) convolution, the
window-sized (weight-gradient) convolution, and the one-pass max-pool
gradient over tiled windows (ties, NaN, strided layouts, borders)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import lax
from functorch_lite.ops.kernels import conv as kc
from functorch_lite.ops.kernels import windowed as kw
from tests._gradcheck import assert_close, numerical_vjp
from tests.ops.test_conv import ref_conv

Arr = np.ndarray[Any, Any]
F32 = np.dtype("float32")


@pytest.mark.parametrize("seed", range(6))
def test_winograd_matches_the_definition(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, c, o = int(rng.integers(1, 4)), int(rng.integers(8, 12)), int(rng.integers(1, 5))
    h, w = int(rng.integers(1, 9)), int(rng.integers(1, 9))
    pads = tuple((int(rng.integers(0, 3)), int(rng.integers(0, 3))) for _ in range(2))
    if h + sum(pads[0]) < 3 or w + sum(pads[1]) < 3:
        pads = ((1, 1), (1, 1))
        h, w = max(h, 1), max(w, 1)
    for dt in (np.dtype("float32"), np.dtype("float64")):
        # a channel-swapped lhs and a flipped kernel (the lhs cotangent's operands): strided views
        x = rng.standard_normal((c, n, h, w)).astype(dt).transpose(1, 0, 2, 3)
        k = rng.standard_normal((o, c, 3, 3)).astype(dt)[:, :, ::-1, ::-1]
        got = kc.conv(x, k, (1, 1), pads, (1, 1), (1, 1), 1, 1, dt)
        tol = 1e-4 if dt == F32 else 1e-11
        assert_close(got, ref_conv(x, k, (1, 1), pads, (1, 1), (1, 1)), rtol=tol, atol=tol)


@pytest.mark.parametrize("seed", range(6))
def test_winograd_weight_gradient_matches_the_definition(seed: int, monkeypatch: Any) -> None:
    """A 3x3 output of batch-swapped operands: the transpose of the Winograd convolution."""
    monkeypatch.setattr(kc, "WINO_MIN_CHANNELS", 1)
    monkeypatch.setattr(kc, "WINO_CT_CHUNK_BYTES", 1)  # one image per chunk: the accumulation
    rng = np.random.default_rng(seed)
    c, n, o = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
    h, w = int(rng.integers(2, 9)), int(rng.integers(2, 9))
    pads = tuple((int(rng.integers(0, 3)), int(rng.integers(0, 3))) for _ in range(2))
    p = (h + sum(pads[0]) - 2, w + sum(pads[1]) - 2)
    for dt in (np.dtype("float32"), np.dtype("float64")):
        x = rng.standard_normal((n, c, h, w)).astype(dt).swapaxes(0, 1)
        ct = rng.standard_normal((n, o) + p).astype(dt).swapaxes(0, 1)
        got = kc.conv(x, ct, (1, 1), pads, (1, 1), (1, 1), 1, 1, dt)
        want = ref_conv(x, ct, (1, 1), pads, (1, 1), (1, 1))
        assert got.shape[2:] == (3, 3)
        tol = 1e-4 if dt == F32 else 1e-11
        assert_close(got, want, rtol=tol, atol=tol * float(np.abs(want).max()))


def test_winograd_leaves_non_finite_operands_to_the_direct_sum() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 8, 6, 6))
    x[0, 3, 2, 2] = np.inf
    x[1, 5, 4, 1] = np.nan
    k = rng.standard_normal((3, 8, 3, 3))
    k[0, 0, 1, 1] = 0.0
    got = kc.conv(x, k, (1, 1), ((1, 1), (1, 1)), (1, 1), (1, 1), 1, 1, np.dtype("float64"))
    want = ref_conv(x, k, (1, 1), ((1, 1), (1, 1)), (1, 1), (1, 1))
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
    fin = np.isfinite(want)
    assert_close(got[fin], want[fin], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_window_sized_output_matches_the_definition(seed: int) -> None:
    """The rhs cotangent's convolution: swapped forward lhs and cotangent, several chunks."""
    rng = np.random.default_rng(seed)
    while True:  # draw until the output is window-sized (smaller than the cotangent "window")
        nsp = int(rng.integers(1, 4))
        n, c, o = int(rng.integers(1, 7)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
        s = tuple(int(v) for v in rng.integers(2, 7, nsp))
        p = tuple(max(1, v - int(rng.integers(0, 2))) for v in s)
        st = tuple(int(v) for v in rng.integers(1, 3, nsp))  # the forward's rhs dilation
        pads = tuple((int(rng.integers(0, 2)), int(rng.integers(0, 2))) for _ in range(nsp))
        x = rng.standard_normal((n, c) + s).swapaxes(0, 1)
        ct = rng.standard_normal((n, o) + p).swapaxes(0, 1)
        want = ref_conv(x, ct, st, pads, (1,) * nsp, (1,) * nsp)
        if 0 not in want.shape and want.shape[-1] < p[-1]:
            break
    old = kc.WINDOW_CHUNK_K
    kc.WINDOW_CHUNK_K = 1  # one image per GEMM: chunk boundaries and accumulation
    try:
        chunked = kc.conv(x, ct, st, pads, (1,) * nsp, (1,) * nsp, 1, 1, np.dtype("float64"))
    finally:
        kc.WINDOW_CHUNK_K = old
    whole = kc.conv(x, ct, st, pads, (1,) * nsp, (1,) * nsp, 1, 1, np.dtype("float64"))
    assert_close(chunked, want, rtol=1e-11, atol=1e-11)
    assert_close(whole, want, rtol=1e-11, atol=1e-11)


def test_window_sized_output_keeps_non_finite_values_where_they_are_read() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 2, 5, 5))
    x[1, 0, 4, 4] = np.inf  # read by the junk columns of the padded rows only through zeros
    ct = rng.standard_normal((4, 3, 5, 5))
    xs, cs = x.swapaxes(0, 1), ct.swapaxes(0, 1)
    got = kc.conv(xs, cs, (1, 1), ((1, 1), (1, 1)), (1, 1), (1, 1), 1, 1, np.dtype("float64"))
    want = ref_conv(xs, cs, (1, 1), ((1, 1), (1, 1)), (1, 1), (1, 1))
    np.testing.assert_array_equal(np.isfinite(got), np.isfinite(want))
    fin = np.isfinite(want)
    assert_close(got[fin], want[fin], rtol=1e-12, atol=1e-12)


def test_cnn_layer_gradients_match_finite_differences() -> None:
    """conv 3x3 (Winograd forward and lhs cotangent, window-sized rhs cotangent), then 2x2 max-pool."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 8, 6, 6))
    k = rng.standard_normal((8, 8, 3, 3)) * 0.3
    ct = rng.standard_normal((2, 8, 3, 3))

    def f(a: Any, b: Any) -> Any:
        y = lax.conv_general_dilated(a, b, (1, 1), ((1, 1), (1, 1)))
        return lax.reduce_window(y, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

    _, pull = fl.vjp(f, jnp.asarray(x), jnp.asarray(k))
    gx, gk = pull(jnp.asarray(ct))
    assert_close(np.asarray(gx), numerical_vjp(f, (x, k), ct, 0), rtol=1e-6, atol=1e-6)
    assert_close(np.asarray(gk), numerical_vjp(f, (x, k), ct, 1), rtol=1e-6, atol=1e-6)


# --- max-pool gradient over tiles ----------------------------------------------------------

T = (1, 1, 0, 0, 1, 1)


def _general(*args: Any) -> Arr:
    tiles = kw._tiles
    kw._tiles = lambda *a: None
    try:
        return kw.select_and_scatter(*args)
    finally:
        kw._tiles = tiles


def _strided(x: Arr, perm: tuple[int, ...]) -> tuple[Arr, int, tuple[int, ...]]:
    """``x`` stored in axis order ``perm`` inside a larger flat buffer: (buffer, offset, strides)."""
    base = np.ascontiguousarray(x.transpose(perm))
    flat = np.zeros(base.size + 3, x.dtype)
    flat[3:] = base.reshape(-1)
    view = np.ndarray(base.shape, x.dtype, flat, 3 * x.itemsize).transpose(np.argsort(perm))
    return flat, 3, tuple(s // x.itemsize for s in view.strides)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int16", "bool"])
def test_tiled_scatter_matches_the_general_selection(dtype: str) -> None:
    rng = np.random.default_rng(3)
    for trial in range(40):
        nd = int(rng.integers(2, 5))
        shape = tuple(int(v) for v in rng.integers(1, 8, nd))
        wins = tuple(T if rng.random() < 0.4 else (w, w, 0, 0, 1, 1)
                     for w in (int(v) for v in rng.integers(1, 4, nd)))
        if trial % 3 == 0:  # the common 2x2 pooling over the last two axes
            wins = (T,) * (nd - 2) + ((2, 2, 0, 0, 1, 1),) * 2
        oshape = tuple(kw.out_size(n, w) for n, w in zip(shape, wins))
        if 0 in oshape:
            continue
        x = rng.integers(-1, 2, shape).astype(dtype)  # many ties
        if dtype.startswith("float"):
            x[rng.random(shape) < 0.05] = np.nan
            x[rng.random(shape) < 0.05] = -np.inf
        perm = tuple(int(v) for v in rng.permutation(nd)) if trial % 2 else tuple(range(nd))
        xbuf, xoff, xst = _strided(x, perm)
        s = rng.standard_normal(oshape)
        sbuf, soff, sst = _strided(s, tuple(range(nd))[::-1])
        for op in ("max", "min"):
            args = (sbuf, soff, sst, xbuf, xoff, xst, shape, op, wins)
            np.testing.assert_array_equal(kw.select_and_scatter(*args), _general(*args))


def test_tiled_scatter_ties_nan_and_border_like_torch() -> None:
    # one NaN per window: with several, PyTorch's CPU kernel takes the last, this library the first
    torch = pytest.importorskip("torch")
    x = np.array([[[[1.0, 1.0, 0.0, 2.0, 9.0],
                    [1.0, 0.0, 2.0, 2.0, 9.0],
                    [np.nan, 3.0, 5.0, 5.0, 9.0],
                    [3.0, 3.0, 5.0, 5.0, 9.0],
                    [9.0, 9.0, 9.0, 9.0, 9.0]]]])
    s = np.arange(1.0, 5.0).reshape(1, 1, 2, 2)
    wins = (T, T, (2, 2, 0, 0, 1, 1), (2, 2, 0, 0, 1, 1))
    got = kw.select_and_scatter(s.reshape(-1), 0, (4, 4, 2, 1), x.reshape(-1), 0, (25, 25, 5, 1), x.shape,
                                "max", wins)
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool2d(xt, 2).backward(torch.tensor(s))
    np.testing.assert_array_equal(got, xt.grad.numpy())
