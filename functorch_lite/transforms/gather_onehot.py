"""Fusion, pass 0c: one-index gathers over a short axis as masked reductions.

``take_along_axis(x, idx, axis)`` with one index per row (``idx`` has size
1 along ``axis``) and a short axis (at most :data:`MAX_AXIS` elements, a
classifier's classes) is the integer-label loss's ``logp[i, y[i]]``.  Run
as a gather it is a kernel call of its own between two fused kernels, and
its cotangent, ``scatter_add_along_axis``, another; both cost more in calls
than in work.  Here they become::

    j    = index_check(idx)              # IndexError as eagerly; negatives wrapped
    take = max over axis of select(iota == j, x, lowest)
    scat = select(iota == j, u, 0) + 0   # (+ 0 turns a -0.0 into 0.0, as zeros + u does)

elementwise ops and a reduction that fuse with the softmax before them and
the backward after them.  The values are the gather's exactly: a max over one
selected value and the dtype's lowest keeps ``-0.0``, ``-inf`` and NaN.

Example:
    >>> import functorch_lite as fl
    >>> import functorch_lite.numpy as jnp
    >>> p = fl.make_ir(lambda x, y: jnp.take_along_axis(x, y[:, None], axis=1))(jnp.ones((4, 3)), jnp.zeros(4, int))
    >>> [e.prim.name for e in onehot_gathers(p).eqns][:3]
    ['expand_dims', 'index_check', 'broadcast_in_dim']
"""

from __future__ import annotations

from typing import Any

import numpy as np

from functorch_lite.array import Array
from functorch_lite.core import Primitive, ShapedArray
from functorch_lite.ops import _rules as r
from functorch_lite.ops.along_axis import index_check_p, scatter_add_along_axis_p, take_along_axis_p
from functorch_lite.ops.elementwise import add_p, eq_p, select_p
from functorch_lite.ops.reductions import reduce_max_p
from functorch_lite.ops.shape_ops import broadcast_in_dim_p, expand_dims_p
from functorch_lite.transforms.ir import Atom, Eqn, Literal, Program, Var

#: the longest axis gathered by a masked reduction (a short class axis); longer ones keep the gather
MAX_AXIS = 64


def _lowest(dtype: np.dtype[Any]) -> Any:
    if dtype.kind == "f":
        return -np.inf
    if dtype.kind == "b":
        return False
    return np.iinfo(dtype).min


def _fits(x: ShapedArray, idx: ShapedArray, axis: int) -> bool:
    return (x.ndim == idx.ndim and idx.shape[axis] == 1 and 1 <= x.shape[axis] <= MAX_AXIS
            and x.dtype.kind in "biuf" and idx.dtype.kind in "iu")


class _Builder:
    """New equations and constants of the rewritten program."""

    def __init__(self, p: Program) -> None:
        self.eqns: list[Eqn] = []
        self.constvars = list(p.constvars)
        self.consts = list(p.consts)
        self.checked: dict[tuple[int, int, int], Var] = {}
        self.iotas: dict[tuple[int, str], Var] = {}

    def emit(self, prim: Primitive, ins: list[Atom], params: dict[str, Any], aval: ShapedArray) -> Var:
        out = Var(aval)
        self.eqns.append(Eqn(prim, ins, params, [out]))
        return out

    def mask(self, idx: Var, shape: tuple[int, ...], axis: int, name: str) -> Var:
        """``iota == idx`` over ``shape`` along ``axis`` (``idx`` checked once per axis size)."""
        n = shape[axis]
        key = (id(idx), n, axis)
        j = self.checked.get(key)
        if j is None:
            j = self.checked[key] = self.emit(index_check_p, [idx], {"size": n, "axis": axis, "name": name},
                                              ShapedArray(idx.aval.shape, idx.aval.dtype))
        iota = self.iotas.get((n, idx.aval.dtype.str))
        if iota is None:
            iota = self.iotas[(n, idx.aval.dtype.str)] = Var(ShapedArray((n,), idx.aval.dtype))
            self.constvars.append(iota)
            self.consts.append(Array._wrap(np.arange(n, dtype=idx.aval.dtype), False))
        full = ShapedArray(shape, idx.aval.dtype)
        ib = self.emit(broadcast_in_dim_p, [j], {"shape": shape, "broadcast_dimensions": tuple(range(len(shape)))},
                       full)
        io = self.emit(broadcast_in_dim_p, [iota], {"shape": shape, "broadcast_dimensions": (axis,)}, full)
        return self.emit(eq_p, [io, ib], {}, ShapedArray(shape, np.dtype(np.bool_)))


def _literal(aval: ShapedArray, value: Any) -> Literal:
    return Literal(r.full_aval(ShapedArray(aval.shape, aval.dtype, aval.weak_type), value))


def onehot_gathers(p: Program) -> Program:
    """``p`` with its one-index gathers over short axes (and their
    scatter-add transposes) as masked reductions (``p`` itself if none).

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> p = fl.make_ir(lambda x, y: jnp.take_along_axis(x, y, axis=1))(jnp.ones((4, 100)), jnp.zeros((4, 1), int))
        >>> onehot_gathers(p) is p   # 100 classes: the gather stays
        True
    """
    if not any(e.prim in (take_along_axis_p, scatter_add_along_axis_p) for e in p.eqns):
        return p
    b = _Builder(p)
    changed = False
    for e in p.eqns:
        idx = e.inputs[1] if len(e.inputs) == 2 else None
        if e.prim is take_along_axis_p and isinstance(idx, Var):
            x = e.inputs[0]
            axis = e.params["axis"]
            if _fits(x.aval, idx.aval, axis):
                m = b.mask(idx, x.aval.shape, axis, "take_along_axis")
                picked = b.emit(select_p, [m, x, _literal(x.aval, _lowest(x.aval.dtype))], {}, x.aval)
                out = e.outvars[0]
                red = b.emit(reduce_max_p, [picked], {"axes": (axis,)},
                             ShapedArray(out.aval.shape[:axis] + out.aval.shape[axis + 1:], out.aval.dtype,
                                         out.aval.weak_type))
                b.eqns.append(Eqn(expand_dims_p, [red], {"dimensions": (axis,)}, [out]))
                changed = True
                continue
        if e.prim is scatter_add_along_axis_p and isinstance(idx, Var):
            u = e.inputs[0]
            axis = e.params["axis"]
            out = e.outvars[0]
            if u.aval.shape == idx.aval.shape and _fits(out.aval, idx.aval, axis):
                m = b.mask(idx, out.aval.shape, axis, "take_along_axis (transpose)")
                ub = b.emit(broadcast_in_dim_p, [u], {"shape": out.aval.shape,
                                                      "broadcast_dimensions": tuple(range(out.aval.ndim))}, out.aval)
                zero = _literal(out.aval, 0)
                if out.aval.dtype.kind == "f":
                    sel = b.emit(select_p, [m, ub, zero], {}, out.aval)
                    b.eqns.append(Eqn(add_p, [sel, zero], {}, [out]))
                else:
                    b.eqns.append(Eqn(select_p, [m, ub, zero], {}, [out]))
                changed = True
                continue
        b.eqns.append(e)
    if not changed:
        return p
    return Program(p.invars, b.constvars, b.consts, b.eqns, p.outs)


__all__ = ["onehot_gathers", "MAX_AXIS"]
