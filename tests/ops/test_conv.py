"""``conv_general_dilated`` and its lax wrappers: values against a NumPy
oracle (and JAX when installed), gradients against finite differences,
vmap against a loop, jit against eager, export, and bad inputs."""

from __future__ import annotations

import itertools
from typing import Any

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import export as E
from functorch_lite import lax
from functorch_lite.ops.conv import conv_general_dilated_p
from functorch_lite.ops.tables import param_types
from tests._gradcheck import assert_close, numerical_jvp, numerical_vjp
from tests.strategies import fl_view

Arr = np.ndarray[Any, Any]
SPATIAL = "HWD"


# --- the oracle ---------------------------------------------------------------------------


def _dilate_pad(x: Arr, ld: tuple[int, ...], pads: tuple[tuple[int, int], ...]) -> Arr:
    """x (N, C, *S) with ``ld - 1`` zeros between elements, then padded (negative: cropped)."""
    shape = x.shape[:2] + tuple(0 if n == 0 else (n - 1) * d + 1 for n, d in zip(x.shape[2:], ld))
    xd = np.zeros(shape, x.dtype)
    xd[(slice(None), slice(None)) + tuple(slice(None, None, d) for d in ld)] = x
    xp = np.pad(xd, [(0, 0), (0, 0)] + [(max(lo, 0), max(hi, 0)) for lo, hi in pads])
    crop = tuple(slice(max(-lo, 0), xp.shape[2 + i] - max(-hi, 0)) for i, (lo, hi) in enumerate(pads))
    return xp[(slice(None), slice(None)) + crop]


def ref_conv(x: Arr, w: Arr, strides: tuple[int, ...], pads: tuple[tuple[int, int], ...], ld: tuple[int, ...],
             rd: tuple[int, ...], fgc: int = 1, bgc: int = 1) -> Arr:
    """The canonical-layout convolution by its definition: a sum over window taps."""
    acc = np.float64 if x.dtype.kind == "f" else np.int64
    xp = _dilate_pad(x.astype(acc), ld, pads)
    n, c = x.shape[:2]
    o = w.shape[0]
    win = tuple(0 if k == 0 else (k - 1) * d + 1 for k, d in zip(w.shape[2:], rd))
    out_sp = tuple(max(0, (p - k) // s + 1) for p, k, s in zip(xp.shape[2:], win, strides))
    g = max(fgc, bgc)
    out = np.zeros((n // bgc, g, o // g) + out_sp, acc)
    for tap in itertools.product(*(range(k) for k in w.shape[2:])):
        sl = tuple(slice(t * d, t * d + (m - 1) * s + 1, s) if m else slice(0, 0)
                   for t, d, m, s in zip(tap, rd, out_sp, strides))
        xs = xp[(slice(None), slice(None)) + sl]
        wt = w[(slice(None), slice(None)) + tap].astype(acc).reshape(g, o // g, -1)
        if bgc > 1:
            xs = xs.reshape((bgc, n // bgc, c) + out_sp)
            out += np.einsum("bnc...,boc->nbo...", xs, wt)
        else:
            xs = xs.reshape((n, fgc, c // fgc) + out_sp)
            out += np.einsum("ngc...,goc->ngo...", xs, wt)
    out = out.reshape((n // bgc, o) + out_sp)
    res: Arr = (out != 0) if x.dtype == np.bool_ else out.astype(x.dtype)
    return res


# --- drawn configurations -----------------------------------------------------------------


@st.composite
def configs(draw: Any, dtypes: tuple[str, ...] = ("float32", "float64"), max_side: int = 6) -> dict[str, Any]:
    nsp = draw(st.integers(1, 3))
    if nsp == 3:
        max_side = min(max_side, 4)
    groups = draw(st.sampled_from(["none", "none", "feature", "batch"]))
    g = draw(st.integers(2, 3)) if groups != "none" else 1
    fgc, bgc = (g, 1) if groups == "feature" else (1, g) if groups == "batch" else (1, 1)
    n = draw(st.integers(1, 3)) * bgc
    i = draw(st.integers(1, 3))
    c = i * fgc
    o = draw(st.integers(1, 3)) * g
    spatial = tuple(draw(st.integers(1, max_side)) for _ in range(nsp))
    window = tuple(draw(st.integers(1, 3)) for _ in range(nsp))
    strides = tuple(draw(st.integers(1, 3)) for _ in range(nsp))
    rd = tuple(draw(st.integers(1, 2)) for _ in range(nsp))
    mode = draw(st.sampled_from(["SAME", "VALID", "SAME_LOWER", "pairs", "pairs"]))
    if mode == "pairs":
        ld = tuple(draw(st.integers(1, 2)) for _ in range(nsp))
        pads: Any = tuple((draw(st.integers(-1, 2)), draw(st.integers(-1, 2))) for _ in range(nsp))
        # keep the padded input non-negative (JAX's rule; the errors are tested separately)
        pads = tuple((max(lo, -(sp - 1) * d // 2), max(hi, -(sp - 1) * d // 2))
                     for (lo, hi), sp, d in zip(pads, spatial, ld))
    else:
        ld, pads = (1,) * nsp, mode
    dtype = np.dtype(draw(st.sampled_from(dtypes)))
    layout = draw(st.booleans())
    return {"nsp": nsp, "n": n, "c": c, "o": o, "i": i, "spatial": spatial, "window": window,
            "strides": strides, "rd": rd, "ld": ld, "pads": pads, "fgc": fgc, "bgc": bgc, "dtype": dtype,
            "layout": layout, "seed": draw(st.integers(0, 2**16))}


def _explicit_pads(cfg: dict[str, Any]) -> tuple[tuple[int, int], ...]:
    if not isinstance(cfg["pads"], str):
        return tuple(cfg["pads"])
    win = [(k - 1) * d + 1 for k, d in zip(cfg["window"], cfg["rd"])]
    return tuple(lax.padtype_to_pads(cfg["spatial"], win, cfg["strides"], cfg["pads"]))


def _operands(cfg: dict[str, Any]) -> tuple[Arr, Arr]:
    rng = np.random.default_rng(cfg["seed"])
    x = rng.uniform(-2, 2, (cfg["n"], cfg["c"]) + cfg["spatial"])
    w = rng.uniform(-2, 2, (cfg["o"], cfg["i"]) + cfg["window"])
    return x.astype(cfg["dtype"]), w.astype(cfg["dtype"])


def _layout(cfg: dict[str, Any], draw: Any) -> tuple[tuple[str, str, str], list[int], list[int], list[int]]:
    """Drawn layout strings and the permutations from canonical to them."""
    sp = SPATIAL[:cfg["nsp"]]
    if not cfg["layout"]:
        return ("NC" + sp, "OI" + sp, "NC" + sp), *([list(range(cfg["nsp"] + 2))] * 3)  # type: ignore[return-value]
    perms = [list(draw(st.permutations(range(cfg["nsp"] + 2)))) for _ in range(3)]
    # the rhs string orders the spatial dims (window_strides[0] goes with its first one): keep it
    at = [k for k, a in enumerate(perms[1]) if a >= 2]
    for k, a in zip(at, sorted(perms[1][k] for k in at)):
        perms[1][k] = a
    specs = tuple("".join((base + sp)[p] for p in perm) for base, perm in zip(("NC", "OI", "NC"), perms))
    return specs, perms[0], perms[1], perms[2]  # type: ignore[return-value]


def _call(cfg: dict[str, Any], x: Any, w: Any, dn: Any = None, **kw: Any) -> Any:
    return lax.conv_general_dilated(x, w, cfg["strides"], cfg["pads"], lhs_dilation=cfg["ld"],
                                    rhs_dilation=cfg["rd"], dimension_numbers=dn,
                                    feature_group_count=cfg["fgc"], batch_group_count=cfg["bgc"], **kw)


def _ref(cfg: dict[str, Any], x: Arr, w: Arr) -> Arr:
    return ref_conv(x, w, cfg["strides"], _explicit_pads(cfg), cfg["ld"], cfg["rd"], cfg["fgc"], cfg["bgc"])


def _tol(dtype: np.dtype[Any]) -> float:
    return 1e-4 if dtype == np.float32 else 1e-10


# --- values -------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(cfg=configs(), data=st.data())
def test_matches_numpy_oracle(cfg: dict[str, Any], data: Any) -> None:
    x, w = _operands(cfg)
    specs, lp, rp, op = _layout(cfg, data.draw)
    xl, wl = np.transpose(x, lp), np.transpose(w, rp)
    got = np.asarray(_call(cfg, fl_view(data.draw, xl), fl_view(data.draw, wl), specs))
    want = np.transpose(_ref(cfg, x, w), op)
    assert got.dtype == cfg["dtype"]
    np.testing.assert_allclose(got, want, rtol=_tol(cfg["dtype"]), atol=_tol(cfg["dtype"]))


@pytest.mark.parametrize("dtype", ["int32", "int8", "bool"])
def test_integer_and_bool_operands(dtype: str) -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(-3, 4, (2, 4, 5, 6)).astype(dtype)
    w = rng.integers(-3, 4, (6, 2, 3, 2)).astype(dtype)
    got = lax.conv_general_dilated(jnp.asarray(x), jnp.asarray(w), (1, 2), ((1, 0), (1, 1)), feature_group_count=2)
    assert got.dtype == np.dtype(dtype)
    want = ref_conv(x, w, (1, 2), ((1, 0), (1, 1)), (1, 1), (1, 1), 2)
    if dtype == "int8":
        want = ref_conv(x.astype(np.int64), w.astype(np.int64), (1, 2), ((1, 0), (1, 1)), (1, 1), (1, 1), 2)
        want = want.astype(np.int8)  # wraps, as JAX's int8 convolution does
    np.testing.assert_array_equal(np.asarray(got), want)


def test_preferred_element_type() -> None:
    x = np.arange(2 * 3 * 5, dtype=np.int8).reshape(2, 3, 5)
    w = np.ones((4, 3, 3), np.int8) * 7
    got = lax.conv(jnp.asarray(x), jnp.asarray(w), (1,), "VALID", preferred_element_type=np.int32)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(np.asarray(got), ref_conv(x.astype(np.int64), w.astype(np.int64), (1,),
                                                             ((0, 0),), (1,), (1,)))
    f32 = lax.conv(jnp.ones((1, 1, 3)), jnp.ones((1, 1, 2)), (1,), "VALID", preferred_element_type=jnp.float64)
    assert f32.dtype == np.float64
    with pytest.raises(TypeError, match="narrower"):
        lax.conv(jnp.ones((1, 1, 3)), jnp.ones((1, 1, 2)), (1,), "VALID", preferred_element_type=np.int32)


@pytest.mark.parametrize("case", [
    # (lhs shape, rhs shape, strides, padding, lhs_dilation, rhs_dilation): one per kernel path
    ((2, 3, 9, 8), (4, 3, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), (1, 1)),   # stride 1: whole-row patches
    ((2, 3, 9, 8), (4, 3, 3, 3), (2, 3), ((1, 2), (0, 1)), (1, 1), (2, 1)),   # strided: tables
    ((2, 3, 9, 8), (4, 3, 3, 3), (1, 1), ((2, 2), (1, 1)), (2, 3), (1, 1)),   # lhs dilation, stride 1
    ((2, 3, 9, 8), (4, 3, 3, 3), (2, 1), ((2, 2), (1, 1)), (2, 3), (1, 2)),   # lhs dilation, strided
    ((3, 2, 9, 8), (4, 2, 7, 6), (1, 1), ((0, 0), (0, 1)), (1, 1), (1, 1)),   # big window: rows
    ((3, 2, 9, 10), (4, 2, 3, 5), (2, 1), ((1, 0), (1, 0)), (1, 1), (1, 2)),  # big dilated window: rows
    ((3, 2, 9, 4), (4, 2, 4, 6), (1, 1), ((1, 0), (1, 0)), (1, 2), (1, 1)),    # rows with lhs dilation
    ((3, 2, 9, 8), (4, 2, 1, 1), (1, 1), ((0, 0), (0, 0)), (1, 1), (1, 1)),   # 1x1: a matmul
    ((3, 2, 9, 8), (4, 2, 3, 3), (1, 1), ((-1, -2), (0, -3)), (1, 1), (1, 1)),  # negative padding
    ((2, 3, 0, 8), (4, 3, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), (1, 1)),   # empty spatial dim
    ((2, 0, 5, 8), (4, 0, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), (1, 1)),   # no channels: zeros
    ((0, 3, 5, 8), (4, 3, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), (1, 1)),   # empty batch
    ((2, 3, 2, 2), (4, 3, 3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1), (1, 1)),   # window > input: size 0
    ((2, 3), (4, 3), (), (), (), ()),                                          # no spatial dims
])
def test_kernel_paths_and_edge_shapes(case: Any) -> None:
    xs, ws, strides, pads, ld, rd = case
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    got = lax.conv_general_dilated(jnp.asarray(x), jnp.asarray(w), strides, pads, ld, rd)
    want = ref_conv(x, w, strides, pads, ld, rd)
    assert got.shape == want.shape
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("groups", [(1, 1), (2, 1), (1, 2)])
@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("batch", [1, 6])
def test_large_window_paths(groups: tuple[int, int], nd: int, batch: int) -> None:
    """A window wider than the output (the rhs cotangent's shape): per-position GEMMs
    for a large batch, the row buffer for a small one; with groups, strides, dilation."""
    fgc, bgc = groups
    rng = np.random.default_rng(7)
    x = rng.standard_normal((batch * bgc, 2 * fgc) + (6,) * nd)
    w = rng.standard_normal((4 * max(groups), 2) + (3,) * (nd - 1) + (5,))
    strides, pads = (2,) + (1,) * (nd - 1), ((1, 0),) * nd
    ld = (2,) + (1,) * (nd - 1) if nd > 1 else (1,)
    for rd in ((1,) * nd, (2,) + (1,) * (nd - 1) if nd > 1 else (1,)):
        got = lax.conv_general_dilated(jnp.asarray(x), jnp.asarray(w), strides, pads, ld, rd,
                                       feature_group_count=fgc, batch_group_count=bgc)
        want = ref_conv(x, w, strides, pads, ld, rd, fgc, bgc)
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12, atol=1e-12)
    x[0, 0, 0] = np.inf  # the per-position GEMMs are not for non-finite input: same answer as the definition
    with np.errstate(invalid="ignore"):  # inf * 0 (padding) is nan, as in the definition
        got = lax.conv_general_dilated(jnp.asarray(x), jnp.asarray(w), strides, pads, ld, None,
                                       feature_group_count=fgc, batch_group_count=bgc)
        want = ref_conv(x, w, strides, pads, ld, (1,) * nd, fgc, bgc)
    np.testing.assert_array_equal(np.isnan(np.asarray(got)), np.isnan(want))


def test_conv_dimension_numbers_forms() -> None:
    x, w = jnp.ones((1, 5, 6, 2)), jnp.ones((3, 2, 2, 4))
    dn = lax.conv_dimension_numbers(x.shape, w.shape, ("NHWC", "HWIO", "NHWC"))
    assert dn == lax.ConvDimensionNumbers((0, 3, 1, 2), (3, 2, 0, 1), (0, 3, 1, 2))
    a = lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=dn)
    b = lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=["NHWC", "HWIO", "NHWC"])
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # spatial dims follow the rhs string's order: window_strides[0] goes with 'W' here
    y = lax.conv_general_dilated(jnp.ones((1, 1, 6, 6)), jnp.ones((1, 1, 1, 1)), (1, 3), "VALID",
                                 dimension_numbers=("NCHW", "OIWH", "NCHW"))
    assert y.shape == (1, 1, 2, 6)


# --- against JAX --------------------------------------------------------------------------


def _jax() -> Any:
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


@settings(max_examples=15, deadline=None)
@given(cfg=configs(dtypes=("float64",)), data=st.data())
def test_matches_jax(cfg: dict[str, Any], data: Any) -> None:
    jax = _jax()
    x, w = _operands(cfg)
    specs, lp, rp, _ = _layout(cfg, data.draw)
    xl, wl = np.transpose(x, lp), np.transpose(w, rp)
    got = _call(cfg, jnp.asarray(xl), jnp.asarray(wl), specs)
    want = jax.lax.conv_general_dilated(xl, wl, cfg["strides"], cfg["pads"], lhs_dilation=cfg["ld"],
                                        rhs_dilation=cfg["rd"], dimension_numbers=specs,
                                        feature_group_count=cfg["fgc"], batch_group_count=cfg["bgc"])
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-10, atol=1e-10)
    ct = np.random.default_rng(cfg["seed"]).standard_normal(np.shape(want))
    _, pull = fl.vjp(lambda a, b: _call(cfg, a, b, specs), jnp.asarray(xl), jnp.asarray(wl))
    _, jpull = jax.vjp(lambda a, b: jax.lax.conv_general_dilated(
        a, b, cfg["strides"], cfg["pads"], lhs_dilation=cfg["ld"], rhs_dilation=cfg["rd"],
        dimension_numbers=specs, feature_group_count=cfg["fgc"], batch_group_count=cfg["bgc"]), xl, wl)
    assert_close(pull(jnp.asarray(ct)), jpull(ct), rtol=1e-9, atol=1e-9, what="vjp vs JAX")


@pytest.mark.parametrize("padding", ["SAME", "VALID", ((1, 0), (2, 1)), ((0, 0), (1, 1))])
@pytest.mark.parametrize("transpose_kernel", [False, True])
@pytest.mark.parametrize("consistent", [False, True])
def test_conv_transpose_matches_jax(padding: Any, transpose_kernel: bool, consistent: bool) -> None:
    jax = _jax()
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((2, 5, 4, 3)), rng.standard_normal((3, 2, 3, 4))
    kw = {"transpose_kernel": transpose_kernel, "use_consistent_padding": consistent}
    if transpose_kernel:
        w = rng.standard_normal((3, 2, 4, 3))
    got = lax.conv_transpose(jnp.asarray(x), jnp.asarray(w), (2, 1), padding, rhs_dilation=(1, 2), **kw)
    want = jax.lax.conv_transpose(x, w, (2, 1), padding, rhs_dilation=(1, 2), **kw)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("nd", [1, 3])
def test_conv_transpose_other_ranks_and_wrappers_match_jax(nd: int) -> None:
    jax = _jax()
    rng = np.random.default_rng(3)
    sp = (5, 4, 3)[:nd]
    x = rng.standard_normal((2,) + sp + (3,))
    w = rng.standard_normal((2,) * nd + (3, 2))
    got = lax.conv_transpose(jnp.asarray(x), jnp.asarray(w), (2,) * nd, "SAME")
    np.testing.assert_allclose(np.asarray(got), np.asarray(jax.lax.conv_transpose(x, w, (2,) * nd, "SAME")),
                               rtol=1e-10, atol=1e-10)
    xc, wc = rng.standard_normal((2, 3) + sp), rng.standard_normal((4, 3) + (2,) * nd)
    np.testing.assert_allclose(np.asarray(lax.conv(jnp.asarray(xc), jnp.asarray(wc), (1,) * nd, "SAME")),
                               np.asarray(jax.lax.conv(xc, wc, (1,) * nd, "SAME")), rtol=1e-10, atol=1e-10)
    pads = [(1, 2)] * nd
    got2 = lax.conv_with_general_padding(jnp.asarray(xc), jnp.asarray(wc), (1,) * nd, pads, (2,) * nd, (1,) * nd)
    want2 = jax.lax.conv_with_general_padding(xc, wc, (1,) * nd, pads, (2,) * nd, (1,) * nd)
    np.testing.assert_allclose(np.asarray(got2), np.asarray(want2), rtol=1e-10, atol=1e-10)


# --- derivatives --------------------------------------------------------------------------


@settings(max_examples=15, deadline=None)
@given(cfg=configs(dtypes=("float64",), max_side=4))
def test_vjp_and_jvp_match_finite_differences(cfg: dict[str, Any]) -> None:
    x, w = _operands(cfg)
    rng = np.random.default_rng(cfg["seed"] + 1)

    def f(a: Any, b: Any) -> Any:
        return _call(cfg, a, b)

    out, pull = fl.vjp(f, jnp.asarray(x), jnp.asarray(w))
    ct = rng.standard_normal(out.shape)
    gx, gw = pull(jnp.asarray(ct))
    assert_close(gx, numerical_vjp(f, [x, w], ct, 0), rtol=1e-6, atol=1e-6, what="lhs cotangent")
    assert_close(gw, numerical_vjp(f, [x, w], ct, 1), rtol=1e-6, atol=1e-6, what="rhs cotangent")
    tx, tw = rng.standard_normal(x.shape), rng.standard_normal(w.shape)
    _, t_out = fl.jvp(f, (jnp.asarray(x), jnp.asarray(w)), (jnp.asarray(tx), jnp.asarray(tw)))
    assert_close(t_out, numerical_jvp(f, [x, w], [tx, tw]), rtol=1e-6, atol=1e-6, what="jvp")


@pytest.mark.parametrize("groups", [(1, 1), (2, 1), (1, 2)])
def test_second_order(groups: tuple[int, int]) -> None:
    fgc, bgc = groups
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2 * bgc, 2 * fgc, 5, 4))
    w = rng.standard_normal((2 * max(groups), 2, 3, 2))

    def loss(a: Any, b: Any) -> Any:
        y = lax.conv_general_dilated(a, b, (2, 1), ((1, 1), (0, 1)), (1, 1), (1, 2),
                                     feature_group_count=fgc, batch_group_count=bgc)
        return jnp.sum(jnp.tanh(y) * y)

    grad = fl.grad(loss, argnums=(0, 1))
    vx, vw = rng.standard_normal(x.shape), rng.standard_normal(w.shape)
    _, hv = fl.jvp(lambda a, b: grad(a, b), (jnp.asarray(x), jnp.asarray(w)), (jnp.asarray(vx), jnp.asarray(vw)))
    assert_close(hv, numerical_jvp(grad, [x, w], [vx, vw]), rtol=1e-5, atol=1e-5, what="Hessian-vector product")


# --- vmap, jit, export --------------------------------------------------------------------


@pytest.mark.parametrize("groups", [(1, 1), (2, 1), (1, 2)])
@pytest.mark.parametrize("axes", [(0, None), (None, 0), (0, 0), (2, 1)])
def test_vmap_matches_a_loop(groups: tuple[int, int], axes: tuple[int | None, int | None]) -> None:
    fgc, bgc = groups
    rng = np.random.default_rng(5)
    b = 3
    x = rng.standard_normal((b, 2 * bgc, 2 * fgc, 6, 5))
    w = rng.standard_normal((b, 2 * max(groups), 2, 3, 2))

    def f(a: Any, k: Any) -> Any:
        return lax.conv_general_dilated(a, k, (1, 2), "SAME", rhs_dilation=(2, 1),
                                       feature_group_count=fgc, batch_group_count=bgc)

    xa = x if axes[0] is not None else x[0]
    wa = w if axes[1] is not None else w[0]
    xs = np.moveaxis(xa, 0, axes[0]) if axes[0] is not None else xa
    ws = np.moveaxis(wa, 0, axes[1]) if axes[1] is not None else wa
    got = fl.vmap(f, in_axes=axes)(jnp.asarray(xs), jnp.asarray(ws))
    want = np.stack([np.asarray(f(jnp.asarray(x[i] if axes[0] is not None else xa),
                                  jnp.asarray(w[i] if axes[1] is not None else wa))) for i in range(b)])
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12, atol=1e-12)

    def loss(a: Any, k: Any) -> Any:
        return jnp.sum(f(a, k) ** 2)

    g = fl.vmap(fl.grad(loss, argnums=(0, 1)), in_axes=axes)(jnp.asarray(xs), jnp.asarray(ws))
    for i in range(b):
        gi = fl.grad(loss, argnums=(0, 1))(jnp.asarray(x[i] if axes[0] is not None else xa),
                                           jnp.asarray(w[i] if axes[1] is not None else wa))
        # per-example gradients, batched along axis 0 (out_axes=0) even for the unbatched operand
        np.testing.assert_allclose(np.asarray(g[0])[i], np.asarray(gi[0]), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(np.asarray(g[1])[i], np.asarray(gi[1]), rtol=1e-10, atol=1e-10)


def _cnn(x: Any, w1: Any, w2: Any) -> Any:
    h = jnp.tanh(lax.conv_general_dilated(x, w1, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")))
    return lax.conv_general_dilated(h, w2, (2, 2), ((1, 0), (0, 1)), dimension_numbers=("NHWC", "HWIO", "NHWC"))


def _cnn_args() -> tuple[Any, Any, Any]:
    rng = np.random.default_rng(6)
    return (jnp.asarray(rng.standard_normal((2, 7, 6, 3)).astype(np.float32)),
            jnp.asarray(rng.standard_normal((3, 3, 3, 4)).astype(np.float32)),
            jnp.asarray(rng.standard_normal((2, 2, 4, 5)).astype(np.float32)))


def test_jit_matches_eager() -> None:
    args = _cnn_args()
    np.testing.assert_allclose(np.asarray(fl.jit(_cnn)(*args)), np.asarray(_cnn(*args)), rtol=1e-6, atol=1e-6)
    grad = fl.grad(lambda *a: jnp.sum(_cnn(*a) ** 2), argnums=(0, 1, 2))
    assert_close(fl.jit(grad)(*args), grad(*args), rtol=1e-4, atol=1e-4, what="jit(grad)")  # float32 sums


def test_export_round_trip() -> None:
    args = _cnn_args()
    exp = E.export(_cnn, *args)
    data = exp.serialize()
    loaded = E.load(data)
    assert loaded.serialize() == data
    np.testing.assert_array_equal(np.asarray(loaded(*args)), np.asarray(fl.jit(_cnn)(*args)))


# --- bad inputs ---------------------------------------------------------------------------


def _bad(match: str, *args: Any, exc: type[Exception] = ValueError, **kw: Any) -> None:
    with pytest.raises(exc, match=match):
        lax.conv_general_dilated(*args, **kw)


def test_bad_inputs_give_clear_errors() -> None:
    x, w = jnp.ones((2, 4, 5, 5), "float32"), jnp.ones((6, 2, 3, 3), "float32")
    _bad("equal dtypes", x, w.astype(np.float64), (1, 1), "SAME", feature_group_count=2, exc=TypeError)
    _bad("must equal the rhs input feature size 2", x, w, (1, 1), "SAME")
    _bad("feature_group_count 3 must divide", x, w, (1, 1), "SAME", feature_group_count=3)
    _bad("multiple of feature_group_count 4", x, jnp.ones((6, 1, 3, 3), "float32"), (1, 1), "SAME",
         feature_group_count=4)
    _bad("batch_group_count 3 must divide the lhs batch size 2", x, jnp.ones((6, 4, 3, 3), "float32"), (1, 1), "SAME",
         batch_group_count=3)
    _bad("at most one", jnp.ones((2, 4, 5, 5), "float32"), jnp.ones((4, 2, 3, 3), "float32"), (1, 1), "SAME",
         feature_group_count=2, batch_group_count=2)
    _bad("positive integer", x, w, (1, 1), "SAME", feature_group_count=0)
    _bad("same number of dimensions", x, jnp.ones((6, 2, 3), "float32"), (1, 1), "SAME", exc=TypeError)
    _bad("window_strides must have 2 entries", x, w, (1,), "SAME", feature_group_count=2)
    _bad("window_strides must be positive", x, w, (0, 1), "SAME", feature_group_count=2)
    _bad("rhs_dilation must be positive", x, w, (1, 1), "SAME", rhs_dilation=(1, 0), feature_group_count=2)
    _bad("padding needs 2", x, w, (1, 1), [(1, 1)], feature_group_count=2)
    _bad("padding must be", x, w, (1, 1), "FULL", feature_group_count=2)
    _bad("padding must be a string or", x, w, (1, 1), [(1, 1.5), (0, 0)], feature_group_count=2)
    _bad("negative padding", x, w, (1, 1), [(-3, -3), (0, 0)], feature_group_count=2)
    _bad("string padding", x, w, (1, 1), "SAME", lhs_dilation=(2, 1), feature_group_count=2)
    _bad("exactly once", x, w, (1, 1), "SAME", dimension_numbers=("NCHH", "OIHW", "NCHW"), exc=TypeError)
    _bad("same spatial", x, w, (1, 1), "SAME", dimension_numbers=("NCHW", "OIHX", "NCHW"), exc=TypeError)
    _bad("one character per dimension", x, w, (1, 1), "SAME", dimension_numbers=("NCH", "OIHW", "NCHW"),
         exc=TypeError)
    with pytest.raises(ValueError, match="tuple of 2 integers"):
        conv_general_dilated_p.bind(x, w, window_strides=(1,), padding=((0, 0), (0, 0)), lhs_dilation=(1, 1),
                                    rhs_dilation=(1, 1), feature_group_count=2, batch_group_count=1)


def test_params_of_a_saved_program_are_checked() -> None:
    args = _cnn_args()
    header_params = [v for v in E.export(_cnn, *args).ir_text.splitlines() if "conv_general_dilated" in v]
    assert header_params, "the program stages conv_general_dilated"
    spec = param_types[conv_general_dilated_p]
    assert spec["padding"].ok(((1, -1),)) and not spec["padding"].ok(((1, 2, 3),))
    assert not spec["window_strides"].ok((0,)) and not spec["feature_group_count"].ok(True)
