"""Edge cases and errors of dot_general, matmul, einsum, tensordot and norms."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite.core import ShapedArray
from functorch_lite.ops.kernels import linalg as k
from functorch_lite.ops.linalg import dot_general_p
from tests._gradcheck import numerical_grad

F32 = np.dtype("float32")
MM = (((1,), (0,)), ((), ()))


def _np(x: Any) -> np.ndarray[Any, Any]:
    return np.asarray(x)


# --- errors -------------------------------------------------------------------------------


def test_matmul_mismatched_inner_dims_names_both_shapes() -> None:
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 5\)"):
        jnp.matmul(jnp.ones((2, 3)), jnp.ones((4, 5)))
    with pytest.raises(ValueError, match=r"\(7, 2, 3\).*\(4,\)"):
        jnp.ones((7, 2, 3)) @ jnp.ones(4)


@pytest.mark.parametrize("shapes", [((), (3,)), ((3,), ()), ((), ())])
def test_matmul_0d_raises_like_numpy(shapes: tuple[tuple[int, ...], ...]) -> None:
    a, b = (np.ones(s, np.float32) for s in shapes)
    with pytest.raises(ValueError):
        np.matmul(a, b)
    with pytest.raises(ValueError, match="0-d"):
        jnp.matmul(jnp.array(a), jnp.array(b))


def test_matmul_unbroadcastable_batch() -> None:
    with pytest.raises(ValueError, match=r"batch.*\(2, 3, 4\).*\(5, 4, 6\)"):
        jnp.matmul(jnp.ones((2, 3, 4)), jnp.ones((5, 4, 6)))


def test_dot_general_shape_rule_errors() -> None:
    a, b = jnp.ones((2, 3), "float32"), jnp.ones((4, 5), "float32")
    with pytest.raises(ValueError, match=r"f32\[2,3\].*f32\[4,5\]"):
        dot_general_p.bind(a, b, dimension_numbers=MM, preferred_element_type=None)
    with pytest.raises(TypeError, match="equal dtypes"):
        dot_general_p.bind(a, jnp.ones((3, 2), "float64"), dimension_numbers=MM, preferred_element_type=None)
    with pytest.raises(ValueError, match="out of range"):
        dot_general_p.bind(a, a, dimension_numbers=(((2,), (0,)), ((), ())), preferred_element_type=None)
    with pytest.raises(ValueError, match="repeated"):
        dot_general_p.bind(a, a, dimension_numbers=(((0,), (0,)), ((0,), (0,))), preferred_element_type=None)
    with pytest.raises(ValueError, match="same number"):
        dot_general_p.bind(a, a, dimension_numbers=(((0, 1), (0,)), ((), ())), preferred_element_type=None)
    with pytest.raises(TypeError, match="dimension_numbers"):
        dot_general_p.bind(a, a, dimension_numbers=((0,), (0,)), preferred_element_type=None)
    with pytest.raises(TypeError, match="narrower"):
        dot_general_p.bind(a, jnp.ones((3, 2), "float32"), dimension_numbers=MM,
                           preferred_element_type=np.dtype("int32"))


def test_dot_general_abstract_eval_matches_impl() -> None:
    lhs, rhs = ShapedArray((5, 2, 3, 7), F32), ShapedArray((3, 5, 4, 7), F32)
    dn = (((2, 3), (0, 3)), ((0,), (1,)))
    aval = dot_general_p.abstract_eval(lhs, rhs, dimension_numbers=dn, preferred_element_type=None)  # type: ignore[misc]
    assert aval.shape == (5, 2, 4) and aval.dtype == F32
    x, y = np.random.rand(5, 2, 3, 7), np.random.rand(3, 5, 4, 7)
    out = dot_general_p.bind(jnp.array(x, "float32"), jnp.array(y, "float32"), dimension_numbers=dn,
                             preferred_element_type=None)
    np.testing.assert_allclose(_np(out), np.einsum("bmkc,kbnc->bmn", x, y), rtol=1e-5)


def test_dot_and_friends_errors() -> None:
    with pytest.raises(ValueError, match=r"dot: shapes \(2, 3\) and \(2, 3\)"):
        jnp.dot(jnp.ones((2, 3)), jnp.ones((2, 3)))
    with pytest.raises(ValueError, match="inner"):
        jnp.inner(jnp.ones(3), jnp.ones(4))
    with pytest.raises(ValueError, match="same number of elements"):
        jnp.vdot(jnp.ones(3), jnp.ones(4))
    with pytest.raises(ValueError, match="tensordot: shape mismatch"):
        jnp.tensordot(jnp.ones((2, 3)), jnp.ones((2, 3)), axes=1)
    with pytest.raises(ValueError, match="axes=3"):
        jnp.tensordot(jnp.ones((2, 3)), jnp.ones((2, 3)), axes=3)
    with pytest.raises(ValueError, match="same length"):
        jnp.tensordot(jnp.ones((2, 3)), jnp.ones((2, 3)), axes=([0, 1], [0]))
    with pytest.raises(ValueError, match="vecdot"):
        jnp.vecdot(jnp.ones((2, 3)), jnp.ones((2, 1)))
    with pytest.raises(ValueError, match="1-D"):
        jnp.linalg.outer(jnp.ones((2, 2)), jnp.ones(2))


@pytest.mark.parametrize(
    "spec, shapes, err, match",
    [
        ("ij,jk", [(2, 3), (4, 5)], ValueError, "label 'j' has size 4"),
        ("ij", [(2, 3), (3, 4)], ValueError, "1 operand"),
        ("ij,jk", [(2, 3)], ValueError, "2 operand"),
        ("ij->ik", [(2, 3)], ValueError, "'k'.*appears in no input"),
        ("ij->ii", [(2, 3)], ValueError, "more than once"),
        ("i$", [(2, 3)], ValueError, "invalid character"),
        ("i->i->i", [(2,)], ValueError, "at most one '->'"),
        ("ijk", [(2, 3)], ValueError, "2 dimension"),
        ("...i->i", [(2, 3)], ValueError, r"'\.\.\.'"),
        ("ii", [(2, 3)], ValueError, "different sizes 2 and 3"),
        ("...i...", [(2, 3)], ValueError, "more than one"),
    ],
)
def test_einsum_bad_specs(spec: str, shapes: list[tuple[int, ...]], err: type, match: str) -> None:
    with pytest.raises(err, match=match):
        jnp.einsum(spec, *(jnp.ones(s) for s in shapes))


def test_einsum_interleaved_form_rejected() -> None:
    with pytest.raises(TypeError, match="subscripts string"):
        jnp.einsum(jnp.ones((2, 2)), [0, 1])  # type: ignore[arg-type]


@pytest.mark.parametrize("o", ["nuc", 2, -2])
def test_spectral_matrix_norms_match_numpy_with_gradients(o: Any) -> None:
    rng = np.random.default_rng(3)
    a = rng.standard_normal((4, 3))
    np.testing.assert_allclose(np.asarray(jnp.linalg.norm(jnp.asarray(a), ord=o)), np.linalg.norm(a, o), rtol=1e-12)
    z = rng.standard_normal((2, 3, 5)) + 1j * rng.standard_normal((2, 3, 5))  # singular values of the complex entries
    got = jnp.linalg.norm(jnp.asarray(z), ord=o, axis=(2, 1), keepdims=True)
    np.testing.assert_allclose(np.asarray(got), np.linalg.norm(z, o, axis=(2, 1), keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(jnp.linalg.matrix_norm(jnp.asarray(z), ord=o)),
                               np.linalg.matrix_norm(z, ord=o), rtol=1e-12)

    def f(m: Any) -> Any:
        return jnp.linalg.norm(m, ord=o)

    np.testing.assert_allclose(np.asarray(fl.grad(f)(jnp.asarray(a))), numerical_grad(f, [a]), rtol=1e-6, atol=1e-8)


def test_norm_unsupported_orders() -> None:
    m = jnp.ones((3, 3))
    with pytest.raises(ValueError, match="invalid order 'fro' for vectors"):
        jnp.linalg.norm(jnp.ones(3), ord="fro")
    with pytest.raises(ValueError, match="invalid order 3"):
        jnp.linalg.norm(m, ord=3)
    with pytest.raises(ValueError, match="1-D or 2-D"):
        jnp.linalg.norm(jnp.ones((2, 2, 2)), ord=1)
    with pytest.raises(ValueError, match="must differ"):
        jnp.linalg.norm(m, axis=(0, -2))


# --- exactness and dtypes -----------------------------------------------------------------


# small integer products have a NumPy path and a Numba kernel: the kernel_path fixture tests both


def test_int64_matmul_is_exact_beyond_float53(kernel_path: str) -> None:
    rng = np.random.default_rng(0)
    a = rng.integers(-(2**40), 2**40, (7, 5), dtype=np.int64)
    b = rng.integers(-(2**10), 2**10, (5, 6), dtype=np.int64)
    expected = np.array([[sum(int(a[i, q]) * int(b[q, j]) for q in range(5)) for j in range(6)]
                         for i in range(7)], dtype=np.int64)
    out = jnp.array(a) @ jnp.array(b)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(_np(out), expected)


@pytest.mark.parametrize("dt", ["int8", "uint8", "int16", "int32", "int64"])
def test_int_matmul_wraps_like_numpy(dt: str, kernel_path: str) -> None:
    rng = np.random.default_rng(1)
    info = np.iinfo(dt)
    a = rng.integers(info.min, info.max, (6, 9), dtype=dt, endpoint=True)
    b = rng.integers(info.min, info.max, (9, 4), dtype=dt, endpoint=True)
    out = jnp.matmul(jnp.array(a), jnp.array(b))
    assert out.dtype == np.dtype(dt)
    np.testing.assert_array_equal(_np(out), a @ b)


def test_int_matmul_blocked_over_k() -> None:
    # n * itemsize * K well above the panel size: several k-blocks
    rng = np.random.default_rng(2)
    a = rng.integers(-50, 50, (30, 700), dtype=np.int64)
    b = rng.integers(-50, 50, (700, 400), dtype=np.int64)
    assert k._PANEL_BYTES // (400 * 8) < 700
    np.testing.assert_array_equal(_np(jnp.array(a) @ jnp.array(b)), a @ b)


def test_bool_matmul_is_or_of_ands(kernel_path: str) -> None:
    rng = np.random.default_rng(3)
    a = rng.random((5, 300)) < 0.01
    b = rng.random((300, 4)) < 0.01
    a[0, :] = True  # 300 hits: a byte counter would wrap, an OR does not
    b[:, 0] = True
    out = jnp.array(a) @ jnp.array(b)
    assert out.dtype == np.bool_
    np.testing.assert_array_equal(_np(out), a @ b)


def test_dtype_rules_follow_jax() -> None:
    i32, f32 = jnp.ones((2, 2), "int32"), jnp.ones((2, 2), "float32")
    assert (i32 @ i32).dtype == np.int32
    assert (i32 @ f32).dtype == np.float32
    assert jnp.matmul(jnp.ones((2, 2), "int8"), jnp.ones((2, 2), "uint8")).dtype == np.int16
    assert jnp.dot(f32, 2).dtype == np.float32  # weak scalar keeps float32
    assert jnp.linalg.norm(i32).dtype == np.float64  # the default float: float64 in 64-bit mode, as JAX
    assert jnp.einsum("ij,jk", i32, jnp.ones((2, 2), "int64")).dtype == np.int64


def test_preferred_element_type(kernel_path: str) -> None:
    a = jnp.array(np.full((3, 200), 100, np.int8))
    b = jnp.array(np.full((200, 2), 100, np.int8))
    out = jnp.matmul(a, b, preferred_element_type="int32")
    assert out.dtype == np.int32
    np.testing.assert_array_equal(_np(out), np.full((3, 2), 2_000_000, np.int32))
    f = jnp.matmul(jnp.ones((2, 3)), jnp.ones((3, 2)), preferred_element_type="float64")
    assert f.dtype == np.float64 and f.tolist() == [[3.0, 3.0], [3.0, 3.0]]
    e = jnp.einsum("ij,jk->ik", a, b, preferred_element_type="int32")
    np.testing.assert_array_equal(_np(e), _np(out))


# --- layouts and copies -------------------------------------------------------------------


def test_transposed_operands_reach_blas_without_copy() -> None:
    base = np.random.rand(64, 48).astype(np.float32)
    x = jnp.array(base)
    xt = x.T  # a view
    a, b, shape = k.blas_operands(xt._numpy(), x._numpy(), (1,), (0,), (), ())
    assert shape is None
    assert np.shares_memory(a, x._numpy()) and np.shares_memory(b, x._numpy())
    np.testing.assert_allclose(_np(xt @ x), base.T @ base, rtol=1e-5)
    # contraction over axis 0 of both (x.T @ x written as dot_general): still views
    a, b, _ = k.blas_operands(x._numpy(), x._numpy(), (0,), (0,), (), ())
    assert np.shares_memory(a, x._numpy()) and np.shares_memory(b, x._numpy())


def test_batched_views_and_broadcast_batches_are_not_copied() -> None:
    x = jnp.array(np.random.rand(4, 5, 6).astype(np.float32))
    w = jnp.array(np.random.rand(1, 6, 3).astype(np.float32))
    wb = jnp.broadcast_to(w, (4, 6, 3))  # stride-0 batch axis
    xv, wv = x._numpy(), wb._numpy()
    a, b, _ = k.blas_operands(xv.transpose(0, 2, 1), wv, (1,), (1,), (0,), (0,))
    assert np.shares_memory(a, xv) and np.shares_memory(b, wv)
    assert b.strides[0] == 0  # not materialised
    np.testing.assert_allclose(_np(x @ w), _np(x) @ _np(w), rtol=1e-5)
    # a stepped core under a broadcast batch: the core is packed once, the batch stays stride 0
    base = np.random.rand(12, 10).astype(np.float32)
    s = jnp.broadcast_to(jnp.array(base)[None, ::2, ::2], (3, 6, 5))
    packed = k._blas_operand(s._numpy())
    assert packed.strides[0] == 0 and packed[0].flags.c_contiguous
    np.testing.assert_allclose(_np(s @ jnp.ones((5, 2))), np.broadcast_to(base[::2, ::2] @ np.ones((5, 2)), (3, 6, 2)),
                               rtol=1e-5)


def test_stepped_operand_is_packed_and_correct() -> None:
    base = np.random.rand(20, 30).astype(np.float32)
    x = jnp.array(base)[::2, ::3]  # neither row- nor column-major: BLAS needs a packed copy
    xv = x._numpy()
    a, _, _ = k.blas_operands(xv, xv.T, (1,), (0,), (), ())
    assert a.flags.c_contiguous and not np.shares_memory(a, xv)
    np.testing.assert_allclose(_np(x @ x.T), base[::2, ::3] @ base[::2, ::3].T, rtol=1e-5)


def test_tensordot_merges_contracting_axes_as_views() -> None:
    x = np.random.rand(3, 4, 5).astype(np.float32)
    y = np.random.rand(4, 5, 6).astype(np.float32)
    a, b, shape = k.blas_operands(x, y, (1, 2), (0, 1), (), ())
    assert shape == (3, 6) and np.shares_memory(a, x) and np.shares_memory(b, y)
    # the pairs given in the other order still merge as views
    a, b, _ = k.blas_operands(x, y, (2, 1), (1, 0), (), ())
    assert np.shares_memory(a, x) and np.shares_memory(b, y)
    np.testing.assert_allclose(_np(jnp.tensordot(jnp.array(x), jnp.array(y), axes=([2, 1], [1, 0]))),
                               np.tensordot(x, y, axes=([2, 1], [1, 0])), rtol=1e-5)


@pytest.mark.parametrize("layout", ["T", "step", "rev", "bcast", "offset"])
def test_non_contiguous_operands_give_the_same_answer(layout: str) -> None:
    rng = np.random.default_rng(4)
    for dt in ("float32", "float64", "int32", "bool"):
        base = (rng.random((8, 8)) * 10).astype(dt)
        arr = jnp.array(base)
        view: Any = {
            "T": arr.T, "step": arr[::2, 1::2], "rev": jnp.flip(arr, (0, 1)),
            "bcast": jnp.broadcast_to(arr[:1], (8, 8)), "offset": arr[1:, 2:],
        }[layout]
        v = _np(view)
        for got, want in [(view @ view.T, v @ v.T), (view.T @ arr[: v.shape[0]], v.T @ base[: v.shape[0]]),
                          (jnp.einsum("ij,ij->i", view, view), np.einsum("ij,ij->i", v, v))]:
            if dt.startswith("float"):
                np.testing.assert_allclose(_np(got), want, rtol=1e-5)
            else:
                np.testing.assert_array_equal(_np(got), want)


# --- semantics ----------------------------------------------------------------------------


def test_matmul_paths_match_numpy() -> None:
    rng = np.random.default_rng(5)
    for xs, ys in [((3, 4), (2, 4, 5)), ((4,), (2, 4, 5)), ((2, 3, 4), (4,)), ((2, 1, 3, 4), (5, 4, 2)),
                   ((1, 3, 4), (4, 2)), ((0, 3, 4), (4, 2)), ((3, 0), (0, 2))]:
        x, y = rng.random(xs), rng.random(ys)
        np.testing.assert_allclose(_np(jnp.matmul(jnp.array(x, "float64"), jnp.array(y, "float64"))), x @ y)


def test_operator_and_method() -> None:
    a = jnp.array([[1, 2], [3, 4]])
    assert (a @ a).tolist() == [[7, 10], [15, 22]]
    assert (np.array([[1, 0], [0, 1]], np.int32) @ a).tolist() == [[1, 2], [3, 4]]
    assert a.dot(jnp.array([1, 1])).tolist() == [3, 7]


def test_einsum_semantics() -> None:
    rng = np.random.default_rng(6)
    x = rng.random((3, 3))
    assert float(jnp.einsum("ii", jnp.array(x, "float64"))) == pytest.approx(np.trace(x))
    # implicit output: '...' axes first, then the single labels in ASCII order (upper case first)
    a, b = rng.random((2, 3)), rng.random((3, 4))
    got = jnp.einsum("aB,Bc", jnp.array(a), jnp.array(b))
    assert got.shape == np.einsum("aB,Bc", a, b).shape
    assert jnp.einsum("a,B", jnp.ones(2), jnp.ones(3)).shape == (3, 2)
    # a size-1 label broadcasts, as in NumPy
    np.testing.assert_allclose(_np(jnp.einsum("i,i->i", jnp.ones(1) * 2, jnp.arange(3.0))), [0.0, 2.0, 4.0])
    # three operands, spaces, optimize accepted
    c = rng.random((4, 2))
    np.testing.assert_allclose(
        _np(jnp.einsum("ij, jk, kl -> il", jnp.array(a, "float64"), jnp.array(b, "float64"),
                       jnp.array(c, "float64"), optimize=True)),
        np.einsum("ij,jk,kl->il", a, b, c))
    # a label summed in one operand only, kept diagonal in another
    y = rng.random((3, 3, 2))
    np.testing.assert_allclose(_np(jnp.einsum("iij,k->i", jnp.array(y, "float64"), jnp.array(a[0], "float64"))),
                               np.einsum("iij,k->i", y, a[0]))
    # scalar operands
    assert float(jnp.einsum(",->", 2.0, 3.0)) == 6.0


def test_kron_trace_outer_misc() -> None:
    assert jnp.kron(jnp.array(2), jnp.array(3)).item() == 6
    a, b = np.arange(6).reshape(2, 3), np.arange(4).reshape(2, 1, 2)
    np.testing.assert_array_equal(_np(jnp.kron(jnp.array(a), jnp.array(b))), np.kron(a, b))
    assert jnp.trace(jnp.ones((3, 4)), offset=2).item() == 2.0
    assert jnp.trace(jnp.ones((3, 4)), offset=5).item() == 0.0
    assert jnp.outer(jnp.ones((2, 2)), jnp.ones(3)).shape == (4, 3)
    assert jnp.linalg.diagonal(jnp.ones((5, 2, 3))).shape == (5, 2)
    assert jnp.linalg.matrix_transpose(jnp.ones((5, 2, 3))).shape == (5, 3, 2)
    assert jnp.linalg.tensordot(jnp.ones((2, 3)), jnp.ones((3, 2)), axes=1).shape == (2, 2)
    assert jnp.linalg.matmul is jnp.matmul


def test_norm_variants() -> None:
    x = np.array([[3.0, -4.0, 0.0], [1.0, 2.0, -2.0]])
    jx = jnp.array(x, "float64")
    for o in (None, 2, 1, math.inf, -math.inf, 0, 3, 0.5, -1):
        with np.errstate(all="ignore"):
            want = np.linalg.norm(x, ord=o, axis=1)
        np.testing.assert_allclose(_np(jnp.linalg.norm(jx, ord=o, axis=1)), want, rtol=1e-12)
    for o in (None, "fro", 1, -1, math.inf, -math.inf):
        np.testing.assert_allclose(_np(jnp.linalg.norm(jx, ord=o)), np.linalg.norm(x, ord=o), rtol=1e-12)
        np.testing.assert_allclose(_np(jnp.linalg.norm(jx, ord=o, axis=(1, 0), keepdims=True)),
                                   np.linalg.norm(x, ord=o, axis=(1, 0), keepdims=True), rtol=1e-12)
    assert jnp.linalg.norm(jnp.array(-3.0)).item() == 3.0
    assert jnp.linalg.vector_norm(jx, ord=math.inf).item() == 4.0
    assert jnp.linalg.matrix_norm(jx, ord=1).item() == 6.0
