"""Strided views of Tensors: shape, strides and storage offset as PyTorch
computes them, write-through between views, and the errors PyTorch raises."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import functorch_lite as fl

# the PyTorch-style layer keeps PyTorch's dtypes whatever the 64-bit mode: test it in the default (off)
pytestmark = pytest.mark.usefixtures("x64_off")


def _x() -> Any:
    return fl.arange(24).view(2, 3, 4)  # strides (12, 4, 1)


# (op, shape, strides, offset) as PyTorch's view rules give them for x = arange(24).view(2, 3, 4)
VIEW_TABLE: list[tuple[str, Callable[[Any], Any], tuple[int, ...], tuple[int, ...], int]] = [
    ("transpose(0, 2)", lambda x: x.transpose(0, 2), (4, 3, 2), (1, 4, 12), 0),
    ("permute(2, 0, 1)", lambda x: x.permute(2, 0, 1), (4, 2, 3), (1, 12, 4), 0),
    ("x[1]", lambda x: x[1], (3, 4), (4, 1), 12),
    ("x[:, 1:3, ::2]", lambda x: x[:, 1:3, ::2], (2, 2, 2), (12, 4, 2), 4),
    ("x[..., -1]", lambda x: x[..., -1], (2, 3), (12, 4), 3),
    ("x[1, None, :, 2]", lambda x: x[1, None, :, 2], (1, 3), (12, 4), 14),
    ("narrow(2, 1, 2)", lambda x: x.narrow(2, 1, 2), (2, 3, 2), (12, 4, 1), 1),
    ("narrow(1, -2, 2)", lambda x: x.narrow(1, -2, 2), (2, 2, 4), (12, 4, 1), 4),
    ("select(1, 2)", lambda x: x.select(1, 2), (2, 4), (12, 1), 8),
    ("select(-1, -1)", lambda x: x.select(-1, -1), (2, 3), (12, 4), 3),
    ("unsqueeze(1)", lambda x: x.unsqueeze(1), (2, 1, 3, 4), (12, 12, 4, 1), 0),
    ("unsqueeze(-1)", lambda x: x.unsqueeze(-1), (2, 3, 4, 1), (12, 4, 1, 1), 0),
    ("unsqueeze(0)", lambda x: x.unsqueeze(0), (1, 2, 3, 4), (24, 12, 4, 1), 0),
    ("view(6, 4)", lambda x: x.view(6, 4), (6, 4), (4, 1), 0),
    ("view(-1)", lambda x: x.view(-1), (24,), (1,), 0),
    ("flatten()", lambda x: x.flatten(), (24,), (1,), 0),
    ("flatten(1)", lambda x: x.flatten(1), (2, 12), (12, 1), 0),
    ("x[:, 0].view(2, 2, 2)", lambda x: x[:, 0].view(2, 2, 2), (2, 2, 2), (12, 2, 1), 0),
    ("transpose(1, 2)[0]", lambda x: x.transpose(1, 2)[0], (4, 3), (1, 4), 0),
    ("x[1].t()", lambda x: x[1].t(), (4, 3), (1, 4), 12),
    ("x.mT", lambda x: x.mT, (2, 4, 3), (12, 1, 4), 0),
    ("x.T", lambda x: x.T, (4, 3, 2), (1, 4, 12), 0),
    ("x[:, :1].expand(2, 5, 4)", lambda x: x[:, :1].expand(2, 5, 4), (2, 5, 4), (12, 0, 1), 0),
    ("x[0, 0].expand(3, -1)", lambda x: x[0, 0].expand(3, -1), (3, 4), (0, 1), 0),
    ("x[:, :1].squeeze()", lambda x: x[:, :1].squeeze(), (2, 4), (12, 1), 0),
    ("x[:, :1].squeeze(0)", lambda x: x[:, :1].squeeze(0), (2, 1, 4), (12, 4, 1), 0),
    ("x[:, :1].squeeze(1)", lambda x: x[:, :1].squeeze(1), (2, 4), (12, 1), 0),
    ("x[1:, 2:]", lambda x: x[1:, 2:], (1, 1, 4), (12, 4, 1), 20),
    ("x[5:]", lambda x: x[5:], (0, 3, 4), (12, 4, 1), 24),
    ("reshape(4, 6)", lambda x: x.reshape(4, 6), (4, 6), (6, 1), 0),
]


@pytest.mark.parametrize("name,op,shape,strides,offset", VIEW_TABLE, ids=[r[0] for r in VIEW_TABLE])
def test_view_layout(name: str, op: Callable[[Any], Any], shape: tuple[int, ...], strides: tuple[int, ...],
                     offset: int) -> None:
    x = _x()
    v = op(x)
    assert tuple(v.shape) == shape and v.stride() == strides and v.storage_offset() == offset
    assert v.untyped_storage() == x.untyped_storage()
    ref = np.lib.stride_tricks.as_strided(np.arange(24)[offset:], shape, [s * 8 for s in strides])
    assert v.tolist() == ref.tolist()


def test_split_chunk_unbind_layouts() -> None:
    x = fl.arange(10)
    assert [(tuple(p.shape), p.storage_offset()) for p in x.chunk(3)] == [((4,), 0), ((4,), 4), ((2,), 8)]
    assert [tuple(p.shape) for p in fl.arange(6).chunk(4)] == [(2,), (2,), (2,)]
    assert [(tuple(p.shape), p.storage_offset()) for p in x.split([3, 7])] == [((3,), 0), ((7,), 3)]
    m = fl.arange(12).view(3, 4)
    cols = m.unbind(1)
    assert len(cols) == 4 and cols[2].stride() == (4,) and cols[2].storage_offset() == 2
    assert [tuple(p.shape) for p in m.split(3, dim=1)] == [(3, 3), (3, 1)]
    with pytest.raises(RuntimeError, match="sum exactly to 10"):
        x.split([3, 3])
    rows = list(m)
    assert [r.tolist() for r in rows] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]


def test_contiguous_and_clone() -> None:
    x = fl.zeros(2, 3)
    assert x.is_contiguous() and x.contiguous() is x
    t = x.t()
    assert not t.is_contiguous()
    c = t.contiguous()
    assert c is not t and c.is_contiguous() and c.stride() == (2, 1)
    assert c.untyped_storage() != x.untyped_storage()
    k = t.clone()  # keeps a dense layout's memory order, as PyTorch's preserve_format
    assert k.stride() == (1, 3) and k.untyped_storage() != x.untyped_storage()
    s = fl.arange(12).view(3, 4)[:, ::2].clone()  # not dense: row-major copy
    assert s.stride() == (2, 1) and s.tolist() == [[0, 2], [4, 6], [8, 10]]
    assert fl.zeros(3, 1).is_contiguous() and fl.zeros(1, 3).t().is_contiguous()


def test_view_errors_name_reshape() -> None:
    x = _x().transpose(1, 2)
    with pytest.raises(RuntimeError, match=r"reshape"):
        x.view(24)
    r = x.reshape(24)
    assert r.is_contiguous() and r.untyped_storage() != x.untyped_storage()
    assert r.tolist() == np.arange(24).reshape(2, 3, 4).transpose(0, 2, 1).reshape(-1).tolist()
    with pytest.raises(RuntimeError, match="invalid for input of size 24"):
        _x().view(5, -1)
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        _x().view(-1, -1)


def test_bad_view_arguments() -> None:
    x = _x()
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.transpose(0, 3)
    with pytest.raises(IndexError, match="out of bounds"):
        x.select(0, 2)
    with pytest.raises(IndexError, match="out of bounds"):
        x[2]
    with pytest.raises(RuntimeError, match="exceeds dimension size"):
        x.narrow(2, 3, 2)
    with pytest.raises(RuntimeError, match="repeated dim"):
        x.permute(0, 0, 1)
    with pytest.raises(RuntimeError, match="number of dims"):
        x.permute(0, 1)
    with pytest.raises(RuntimeError, match="must match the existing size"):
        x.expand(2, 3, 5)
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0, 0]
    with pytest.raises(RuntimeError, match="t\\(\\) expects"):
        x.t()


def test_write_through_views_is_seen_by_all() -> None:
    x = fl.zeros(3, 4)
    a = x[1]
    b = x.t()
    c = x.view(12)
    d = x.narrow(1, 2, 2)
    a.fill_(1.0)
    b[3].add_(10.0)
    c[0] = -1.0
    d.mul_(2.0)
    ref = np.zeros((3, 4))
    ref[1] = 1.0
    ref[:, 3] += 10.0
    ref.reshape(12)[0] = -1.0
    ref[:, 2:] *= 2.0
    for v, r in [(x, ref), (a, ref[1]), (b, ref.T), (c, ref.reshape(12)), (d, ref[:, 2:])]:
        assert v.tolist() == r.tolist()


def test_writes_into_expanded_tensors_raise() -> None:
    x = fl.zeros(3, 1)
    e = x.expand(3, 4)
    for write in (lambda: e.add_(1), lambda: e.zero_(), lambda: e.copy_(fl.ones(3, 4)),
                  lambda: e.__setitem__(0, 1.0), lambda: e.normal_()):
        with pytest.raises(RuntimeError, match="single memory location"):
            write()
    assert x.tolist() == [[0.0], [0.0], [0.0]] and x._version == 0
    e2 = e.clone()
    e2.add_(1)  # the clone owns a dense buffer
    assert e2.tolist() == [[1.0] * 4] * 3


def test_advanced_indexing_copies() -> None:
    x = fl.arange(12).view(3, 4)
    y = x[[0, 2]]
    z = x[x > 5]
    w = x[fl.tensor([1, 1]), 1:3]
    assert y.tolist() == [[0, 1, 2, 3], [8, 9, 10, 11]] and z.tolist() == [6, 7, 8, 9, 10, 11]
    assert w.tolist() == [[5, 6], [5, 6]]
    y.zero_()
    assert x[0].tolist() == [0, 1, 2, 3]
    with pytest.raises(IndexError, match="out of bounds"):
        x[[0, 3]]


# --- properties: views of non-contiguous tensors behave as NumPy views -------------

@st.composite
def _strided(draw: Any) -> tuple[tuple[int, ...], list[int], list[slice]]:
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    perm = draw(st.permutations(range(len(shape))))
    slices = [slice(draw(st.integers(0, d - 1)), None, draw(st.integers(1, 2))) for d in (shape[p] for p in perm)]
    return shape, list(perm), slices


@settings(max_examples=40, deadline=None)
@given(_strided(), st.sampled_from(["add_", "mul_", "setitem", "copy_", "t_add_"]))
def test_views_write_through_like_numpy(case: tuple[tuple[int, ...], list[int], list[slice]], op: str) -> None:
    shape, perm, slices = case
    n = np.arange(1, 1 + int(np.prod(shape)), dtype=np.float64).reshape(shape)
    t = fl.tensor(n.copy())
    nv = n.transpose(perm)[tuple(slices)]
    tv = t.permute(*perm)[tuple(slices)]
    assert tv.tolist() == nv.tolist() and tv.shape == nv.shape
    assert tv.stride() == tuple(s // 8 for s in nv.strides)
    if op == "add_":
        tv.add_(0.5)
        nv += 0.5
    elif op == "mul_":
        tv.mul_(tv)
        nv *= nv.copy()
    elif op == "setitem":
        tv[...] = -1.0
        nv[...] = -1.0
    elif op == "copy_":
        src = np.arange(nv.size, dtype=np.float64).reshape(nv.shape)
        tv.copy_(fl.tensor(src))
        nv[...] = src
    elif nv.ndim >= 2:
        tv.transpose(0, 1).add_(3.0)
        nv.swapaxes(0, 1)[...] += 3.0
    assert t.tolist() == n.tolist()
    flat = t.reshape(-1)
    assert flat.tolist() == n.reshape(-1).tolist()
