"""Edge cases and errors of indexing: gather/scatter, ``x[idx]``, ``x.at[idx]``,
take/take_along_axis and the rearranging functions.  Values against NumPy
over drawn inputs live in ``tests/registry/indexing.py``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

import functorch_lite.numpy as jnp
from functorch_lite import core
from functorch_lite.array import Array
from functorch_lite.core import ShapedArray, Trace, Tracer, get_aval
from functorch_lite.numpy import NonConcreteBooleanIndexError
from functorch_lite.ops.indexing import gather_p, scatter_p

# --- a minimal test-only transform: tracers that carry their concrete value ----------------


class _ValTracer(Tracer):
    __slots__ = ("val",)

    def __init__(self, trace: Trace, val: Array) -> None:
        self._trace = trace
        self.val = val

    @property
    def aval(self) -> ShapedArray:
        return get_aval(self.val)


class _ValTrace(Trace):
    """Runs each primitive's impl on the carried values, and checks that its
    abstract_eval agrees (so the traced code path is the one exercised)."""

    def pure(self, val: Any) -> _ValTracer:
        return _ValTracer(self, val)

    lift = pure

    def process_primitive(self, prim: core.Primitive, tracers: Sequence[Any], params: dict[str, Any]) -> Any:
        vals = [t.val for t in tracers]
        aval = prim.rule("abstract_eval")(*(get_aval(v) for v in vals), **params)
        out = prim.rule("impl")(*vals, **params)
        assert (out.shape, out.dtype) == (aval.shape, aval.dtype), (prim, aval, out.shape, out.dtype)
        return _ValTracer(self, out)


def traced(f: Callable[..., Any], *args: Any) -> Any:
    """Call ``f`` with every argument as a tracer; return the concrete result."""
    with core.new_main(_ValTrace, name="test_values") as main:
        trace = _ValTrace(main)
        out = f(*(_ValTracer(trace, jnp.asarray(a)) for a in args))
        assert isinstance(out, _ValTracer), type(out)
        return out.val


X = np.arange(24, dtype=np.float32).reshape(2, 3, 4)


def x_() -> Array:
    return jnp.array(X)


# --- traced indices -----------------------------------------------------------------------------


@pytest.mark.parametrize("i", [0, 1, -1, -2])
def test_traced_scalar_index_uses_gather(i: int) -> None:
    out = traced(lambda x, j: x[j], x_(), jnp.array(i, dtype="int32"))
    np.testing.assert_array_equal(np.asarray(out), X[i])
    out = traced(lambda x, j: x[1:, j, ::2], x_(), jnp.array(i, dtype="int64"))
    np.testing.assert_array_equal(np.asarray(out), X[1:, i, ::2])


def test_traced_index_with_concrete_operand() -> None:
    out = traced(lambda j: x_()[j, :, jnp.array([0, 3])], jnp.array(-1))
    np.testing.assert_array_equal(np.asarray(out), X[-1, :, [0, 3]])


def test_traced_index_out_of_range_raises_at_run_time() -> None:
    with pytest.raises(IndexError, match="out of bounds for axis 0 with size 2"):
        traced(lambda x, j: x[j], x_(), jnp.array(2))
    with pytest.raises(IndexError, match="out of bounds"):
        traced(lambda x, j: x[j], x_(), jnp.array(-3))


def test_traced_mask_is_a_clear_error() -> None:
    with pytest.raises(NonConcreteBooleanIndexError, match="data-dependent") as e:
        traced(lambda x, m: x[m], x_(), jnp.array(X > 3))
    assert "jnp.where" in str(e.value) and "size=" in str(e.value)
    assert isinstance(e.value, IndexError)
    with pytest.raises(NonConcreteBooleanIndexError):
        traced(lambda x, m: x.at[m].set(0.0), x_(), jnp.array(X > 3))


def test_traced_at_updates() -> None:
    idx = jnp.array([1, -1, 1])
    out = traced(lambda x, i, v: x.at[:, i].add(v), x_(), idx, jnp.ones((2, 3, 4)))
    ref = X.copy()
    np.add.at(ref, (slice(None), np.array([1, -1, 1])), 1.0)
    np.testing.assert_array_equal(np.asarray(out), ref)


@pytest.mark.parametrize("mode", [None, "clip", "wrap"])
def test_traced_take(mode: str | None) -> None:
    idx = np.array([[0, 3], [-1, 2]]) if mode is None else np.array([[-7, 3], [9, 2]])
    out = traced(lambda x, i: jnp.take(x, i, axis=-1, mode=mode), x_(), jnp.array(idx))
    np.testing.assert_array_equal(np.asarray(out), np.take(X, idx, axis=-1, mode=mode or "raise"))
    out = traced(lambda x, i: jnp.take_along_axis(x, i, axis=1), x_(), jnp.array([[[2], [-1]]] * 2))
    np.testing.assert_array_equal(np.asarray(out), np.take_along_axis(X, np.array([[[2], [-1]]] * 2), axis=1))


def test_traced_roll_shift() -> None:
    for s in (0, 1, -5, 7):
        out = traced(lambda x, k: jnp.roll(x, k, axis=2), x_(), jnp.array(s))
        np.testing.assert_array_equal(np.asarray(out), np.roll(X, s, axis=2))


def test_traced_repeat_counts_are_refused() -> None:
    with pytest.raises(TypeError, match="concrete"):
        traced(lambda x, r: jnp.repeat(x, r, axis=0), x_(), jnp.array([1, 2]))


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize("idx", [5, -6, [5], [-6], (0, [1, 5]), (slice(None), slice(None), np.array([[4]]))])
def test_out_of_bounds(idx: Any) -> None:
    x = jnp.zeros((5, 3, 4))
    with pytest.raises(IndexError, match="out of bounds for axis [0-2] with size [345]"):
        x[idx]
    with pytest.raises(IndexError, match="out of bounds"):
        x.at[idx].set(1.0)
    with pytest.raises(IndexError, match="out of bounds"):
        np.zeros((5, 3, 4))[idx]  # the same index is an error in NumPy too


def test_out_of_bounds_int64_beyond_int32() -> None:
    with pytest.raises(IndexError, match="out of bounds"):
        jnp.zeros(3)[np.array([2**40])]


def test_primitives_require_normalised_indices() -> None:
    x = jnp.zeros((3, 2))
    with pytest.raises(IndexError, match=r"index -1 is out of bounds for axis 0 with size 3.*0 <= i < size"):
        gather_p.bind(x, jnp.array([[0], [-1]]))
    with pytest.raises(IndexError, match=r"index 2 is out of bounds for axis 1 with size 2"):
        scatter_p.bind(x, jnp.array([[0, 2]]), jnp.zeros(1), mode="add")


def test_primitive_shape_rules() -> None:
    x = jnp.zeros((3, 2), "float32")
    with pytest.raises(TypeError, match="integer"):
        gather_p.bind(x, jnp.array([[0.0]]))
    with pytest.raises(ValueError, match="index 3 axes"):
        gather_p.bind(x, jnp.zeros((1, 3), dtype="int32"))
    with pytest.raises(ValueError, match=r"updates must have shape"):
        scatter_p.bind(x, jnp.zeros((4, 1), dtype="int32"), jnp.zeros((4, 3)), mode="add")
    with pytest.raises(ValueError, match="updates must have shape"):
        scatter_p.bind(x, jnp.zeros((4, 1), dtype="int32"), jnp.zeros((4, 2), dtype="float64"), mode="add")
    with pytest.raises(ValueError, match="mode"):
        scatter_p.bind(x, jnp.zeros((4, 1), dtype="int32"), jnp.zeros((4, 2)), mode="sub")
    a = gather_p.abstract_eval(ShapedArray((5, 6, 7), np.dtype("float32")), ShapedArray((2, 3, 2), np.dtype("int8")))
    assert a.shape == (2, 3, 7)


@pytest.mark.parametrize("idx", [jnp.array([1.0]), np.array([1.0]), [1.0], 1.0, (0, 1.5), "a"])
def test_float_and_other_indices_raise(idx: Any) -> None:
    with pytest.raises(IndexError, match="integer"):
        x_()[idx]
    with pytest.raises(IndexError):
        x_().at[idx].set(0.0)


def test_float_indices_to_take() -> None:
    with pytest.raises(IndexError, match="integer"):
        jnp.take(x_(), jnp.array([0.0]))
    with pytest.raises((IndexError, TypeError)):
        jnp.take_along_axis(x_(), jnp.zeros((2, 3, 1)), axis=2)


def test_mask_of_wrong_shape() -> None:
    with pytest.raises(IndexError, match="boolean index did not match indexed array along axis 0; size of axis is 2"):
        x_()[np.ones(3, bool)]
    with pytest.raises(IndexError, match="along axis 2"):
        x_()[:, np.ones((3, 5), bool)]
    with pytest.raises(IndexError, match="too many indices"):
        x_()[np.ones((2, 3, 4, 1), bool)]


def test_broadcast_mismatch_of_index_arrays() -> None:
    with pytest.raises(IndexError, match="could not be broadcast together"):
        x_()[[0, 1], [0, 1, 2]]


def test_item_assignment_names_at() -> None:
    x = x_()
    with pytest.raises(TypeError, match=r"\.at\[idx\]\.set"):
        x[0] = 1  # type: ignore[index]


def test_too_many_indices_and_two_ellipses() -> None:
    with pytest.raises(IndexError, match="too many indices"):
        x_()[0, 0, [0], 0]
    with pytest.raises(IndexError, match="single ellipsis"):
        x_()[..., [0], ...]


def test_at_value_must_broadcast() -> None:
    with pytest.raises(ValueError, match=r"value of shape \(5,\) cannot be broadcast to the indexed shape \(2, 4\)"):
        x_().at[:, 0].set(jnp.zeros(5))
    # extra leading size-1 axes are dropped, as in NumPy assignment
    out = x_().at[0, 0].set(jnp.ones((1, 1, 4)))
    assert np.asarray(out)[0, 0].tolist() == [1.0] * 4


def test_take_modes_and_errors() -> None:
    with pytest.raises(ValueError, match="mode"):
        jnp.take(x_(), jnp.array([0]), mode="bogus")
    with pytest.raises(IndexError, match="out of bounds for axis 0 with size 24"):
        jnp.take(x_(), jnp.array([24]))
    with pytest.raises(IndexError, match="empty axis"):
        jnp.take(jnp.zeros((0, 2)), jnp.array([0]), axis=0, mode="clip")
    assert jnp.take(jnp.zeros((0, 2)), jnp.zeros(0, dtype="int32"), axis=0).shape == (0, 2)


def test_along_axis_errors() -> None:
    with pytest.raises(ValueError, match="same number of dimensions"):
        jnp.take_along_axis(x_(), jnp.array([0]), axis=0)
    with pytest.raises(ValueError, match="broadcast"):
        jnp.take_along_axis(x_(), jnp.zeros((3, 1, 1), dtype="int32"), axis=1)
    out = jnp.take_along_axis(x_(), jnp.array([3, -1, 0]), axis=None)
    assert out.tolist() == [3.0, 23.0, 0.0]


def test_rearrange_errors() -> None:
    with pytest.raises(ValueError, match="equal division"):
        jnp.split(jnp.arange(5), 2)
    with pytest.raises(ValueError, match="larger than 0"):
        jnp.array_split(jnp.arange(5), 0)
    with pytest.raises(ValueError, match="negative"):
        jnp.repeat(jnp.arange(3), [1, -1, 2])
    with pytest.raises(ValueError, match="do not match"):
        jnp.repeat(jnp.arange(3), [1, 2])
    with pytest.raises(ValueError, match="2 or more"):
        jnp.vsplit(jnp.arange(4), 2)
    with pytest.raises(ValueError, match="different"):
        jnp.rot90(jnp.zeros((2, 2)), axes=(0, 0))


# --- semantics ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["set", "add", "multiply", "min", "max", "get"])
def test_x_unchanged_after_at(method: str) -> None:
    x = x_()
    before = np.asarray(x).copy()
    ref = x.at[[0, 0, 1], 1:, ::-1]
    out = getattr(ref, method)() if method == "get" else getattr(ref, method)(2.0)
    np.testing.assert_array_equal(np.asarray(x), before)
    assert out.storage() is not x.storage()


def test_at_semantics_repeated_indices() -> None:
    x = jnp.zeros(3, dtype="int32")
    assert x.at[jnp.array([1, 1, 1])].add(2).tolist() == [0, 6, 0]
    assert x.at[np.array([2, 0, 2])].set(jnp.array([1, 2, 3])).tolist() == [2, 0, 3]  # last write wins
    y = jnp.array([1.0, 5.0])
    assert y.at[[0, 0]].multiply(jnp.array([2.0, 3.0])).tolist() == [6.0, 5.0]
    assert y.at[[1, 1]].min(jnp.array([4.0, 2.0])).tolist() == [1.0, 2.0]
    assert y.at[[0, 0]].max(jnp.array([4.0, 2.0])).tolist() == [4.0, 5.0]
    assert np.isnan(y.at[[0, 0]].min(jnp.array([np.nan, 0.0])).tolist()[0])  # NaN propagates
    b = jnp.array([False, True])
    assert b.at[[0, 0]].add(jnp.array([True, True])).tolist() == [True, True]
    assert b.at[[1]].multiply(False).tolist() == [False, False]


def test_at_keeps_dtype() -> None:
    x = jnp.zeros(3, dtype="int32")
    out = x.at[0].add(1.7)
    assert out.dtype == np.int32 and out.tolist() == [1, 0, 0]
    y = jnp.zeros(2, dtype="float32").at[1].set(jnp.array([2.5], dtype="float64"))
    assert y.dtype == np.float32 and y.tolist() == [0.0, 2.5]
    z = jnp.zeros(2, dtype="float64").at[0].set(0.1)
    assert z.tolist() == [0.1, 0.0]  # exactly, not through float32
    with pytest.raises(OverflowError):
        jnp.zeros(2, dtype="int8").at[0].set(300)


def test_at_with_basic_and_empty_indices() -> None:
    x = x_()
    assert np.asarray(x.at[...].add(1.0)).tolist() == (X + 1).tolist()
    assert np.asarray(x.at[[]].add(1.0)).tolist() == X.tolist()
    assert np.asarray(x.at[False].set(9.0)).tolist() == X.tolist()
    ref = X.copy()
    ref[None, 1, ..., None, 2] = -1
    assert np.asarray(x.at[None, 1, ..., None, 2].set(-1.0)).tolist() == ref.tolist()


def test_at_get_matches_getitem() -> None:
    idx = (slice(None), [2, 0], np.array([True, False, True, False]))
    np.testing.assert_array_equal(np.asarray(x_().at[idx].get()), X[idx])


def test_bool_scalars_and_empty_lists() -> None:
    for idx in (True, False, (slice(None), True, [0]), [], (slice(None), []), (Ellipsis, None, [1])):
        np.testing.assert_array_equal(np.asarray(x_()[idx]), X[idx])


def test_views_stay_views() -> None:
    x = x_()
    for v in (x[1:, ::2], x[None, ..., 0], x[::-1], x[..., 1], x.T[0]):
        assert v.storage() is x.storage()
    for p in jnp.split(x, [1], axis=2) + jnp.array_split(x, 2, axis=1):
        assert p.storage() is x.storage()
    assert jnp.rot90(x).storage() is x.storage()
    assert x[[0]].storage() is not x.storage()


def test_gather_reads_strided_operands_in_place() -> None:
    base = jnp.array(np.arange(60, dtype=np.float64).reshape(3, 4, 5))
    view = base.transpose((2, 0, 1))[::-2, :, 1:]
    nv = np.arange(60, dtype=np.float64).reshape(3, 4, 5).transpose((2, 0, 1))[::-2, :, 1:]
    idx = jnp.array([[2, 1], [0, 0], [1, 2]])
    np.testing.assert_array_equal(np.asarray(gather_p.bind(view, idx)), nv[[2, 0, 1], [1, 0, 2]])
    out = scatter_p.bind(view, idx, jnp.ones((3, 3), dtype="float64"), mode="add")
    ref = nv.copy()
    np.add.at(ref, ([2, 0, 1], [1, 0, 2]), 1.0)
    np.testing.assert_array_equal(np.asarray(out), ref)


def test_scatter_reads_broadcast_updates() -> None:
    x = jnp.zeros((4, 3))
    upd = jnp.broadcast_to(jnp.array([1.0, 2.0, 3.0]), (5, 3))
    out = scatter_p.bind(x, jnp.array([[0], [3], [0], [1], [0]]), upd, mode="add")
    assert np.asarray(out).tolist() == [[3.0, 6.0, 9.0], [1.0, 2.0, 3.0], [0.0] * 3, [1.0, 2.0, 3.0]]


def test_rearrange_values() -> None:
    x = np.arange(12).reshape(3, 4)
    for got, ref in [
        (jnp.hsplit(jnp.array(x), [1, 3]), np.hsplit(x, [1, 3])),
        (jnp.vsplit(jnp.array(x), 3), np.vsplit(x, 3)),
        (jnp.dsplit(jnp.array(x[..., None]), 1), np.dsplit(x[..., None], 1)),
    ]:
        assert [p.tolist() for p in got] == [p.tolist() for p in ref]
    assert jnp.tile(jnp.array(x), 0).shape == np.tile(x, 0).shape
    assert jnp.tile(jnp.array(3), (2, 2)).tolist() == np.tile(3, (2, 2)).tolist()
    reps = [0, 1, 2, 3]
    assert jnp.repeat(jnp.array(x), jnp.array(reps), axis=1).tolist() == np.repeat(x, reps, axis=1).tolist()
    assert jnp.repeat(jnp.array(x), [2], axis=0).tolist() == np.repeat(x, [2], axis=0).tolist()
    assert jnp.roll(jnp.array(x), (1, 2), axis=1).tolist() == np.roll(x, (1, 2), axis=1).tolist()
    assert jnp.roll(jnp.zeros((0, 3)), 2, axis=0).shape == (0, 3)
    out = jnp.put_along_axis(jnp.array(x), jnp.array([[0], [1], [2]]), jnp.array([[7], [8], [9]]), axis=1, mode="add")
    assert out.tolist() == (x + np.array([[7, 0, 0, 0], [0, 8, 0, 0], [0, 0, 9, 0]])).tolist()
