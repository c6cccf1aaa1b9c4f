"""Fusion, pass 0: the memory layout of matrix products (before partitioning).

OpenBLAS's sgemm/dgemm is layout-sensitive when the product has few rows:
``(128 x K) @ (K x N)`` written row-major is slower than the same product
computed as ``(B^T @ A^T)``, a column-major result, once the weights are not
in cache (as in a training step), and the gap is large for a small
contraction (``(128 x 10) @ (10 x 1024)``: 45 against 138 GFLOP/s).  Measured
on a whole MNIST step in NumPy (784-1024-1024-10, batch 128), the activations
and their cotangents column-major saved 4-5 % of the step; but one operand
of an elementwise op in the other layout costs more than all of it (a
128x1024 multiply of a row-major and a column-major operand: 500 us against
60 us), so the choice is made for the program as a whole:

1. every float32 product ``(M, N)`` with ``16 <= M <= 256`` and ``N >= 512``
   (no batch axes) is a candidate (float64's dgemm measured slower flipped): it would be computed as the row-major
   ``(N, M)`` product of the swapped operands, then read through a
   transpose (a view, or an index map inside a fused kernel);
2. layouts are propagated forward: an elementwise op's result follows its
   operands (as the fused loops do: they run in the memory order of their
   largest input and write their result in it), a transpose swaps, a
   reduction to fewer than two dims, a product and any value with fewer
   than two dims of size > 1 end it;
3. a column-major value that meets a row-major one in an elementwise op,
   reaches any other op (a reshape, a gather, control flow...), or is a
   program output sends the candidates it came from back to row-major;
   repeated until nothing conflicts (each round only removes candidates, so
   at worst the program is left as it was).

The result is the same numbers (OpenBLAS sums each element in the same
order either way); only the time and the internal strides change.

Example:
    >>> import functorch_lite as fl
    >>> import functorch_lite.numpy as jnp
    >>> f = lambda x, w: jnp.tanh(x @ w).sum(axis=1)
    >>> p = fl.make_ir(f)(jnp.ones((32, 8)), jnp.ones((8, 512)))
    >>> [e.prim.name for e in product_layouts(p).eqns]
    ['dot_general', 'transpose', 'tanh', 'reduce_sum']
"""

from __future__ import annotations

import numpy as np

from functorch_lite.core import ShapedArray
from functorch_lite.ops.fusion_rules import Elementwise, IndexMap, Reduction
from functorch_lite.ops.linalg import dot_general_p
from functorch_lite.ops.shape_ops import broadcast_in_dim_p, transpose_p
from functorch_lite.ops.tables import fusion_rules
from functorch_lite.transforms.ir import Eqn, Program, Var

#: the rows of a product worth computing column-major (measured 16-256 here)
MIN_ROWS, MAX_ROWS = 16, 256
#: and its fewest columns: at 256 the plain form measured as fast or faster (a 784-256-256-10
#: MLP step: 3 % slower with its products flipped), at 1024 the flipped one 4-5 % faster
MIN_COLS = 512

_ROW, _COL, _ANY = 0, 1, 2


def _is_candidate(e: Eqn) -> bool:
    if e.prim is not dot_general_p:
        return False
    (lc, rc), (lb, _) = e.params["dimension_numbers"]
    out = e.outvars[0].aval
    # float32 only: float64 GEMMs measured 5-15 % slower flipped (128x784x1024, 128x1024x1024)
    return (not lb and len(lc) == 1 and out.ndim == 2 and out.dtype == np.float32
            and MIN_ROWS <= out.shape[0] <= MAX_ROWS and out.shape[1] >= max(MIN_COLS, out.shape[0] + 1)
            and e.inputs[0].aval.ndim == 2 and e.inputs[1].aval.ndim == 2)


def _free(aval: ShapedArray) -> bool:
    """A value with fewer than two axes of size > 1 has no layout to get wrong."""
    return sum(1 for d in aval.shape if d > 1) < 2


def _conflicts(p: Program, flipped: set[int]) -> set[int]:
    """The flipped products whose column-major results meet something that
    must stay row-major (empty: this choice is consistent)."""
    layout: dict[int, int] = {}
    origin: dict[int, frozenset[int]] = {}
    bad: set[int] = set()

    def of(a: object) -> tuple[int, frozenset[int]]:
        if not isinstance(a, Var) or _free(a.aval) or layout.get(id(a)) == _ANY:
            return _ANY, frozenset()
        return layout.get(id(a), _ROW), origin.get(id(a), frozenset())

    for i, e in enumerate(p.eqns):
        ins = [of(a) for a in e.inputs]
        came = frozenset().union(*(o for _, o in ins))
        cols = any(lay == _COL for lay, _ in ins)
        out_lay, out_from = _ROW, frozenset[int]()
        rule = fusion_rules.get(e.prim)
        if i in flipped:
            out_lay, out_from = _COL, frozenset((i,))
        elif e.prim is dot_general_p:
            pass  # BLAS reads either layout
        elif e.prim is transpose_p and len(ins) == 1 and tuple(e.params["permutation"]) == (1, 0):
            out_lay = {_ROW: _COL, _COL: _ROW, _ANY: _ANY}[ins[0][0]]
            out_from = ins[0][1]
        elif e.prim is broadcast_in_dim_p and ins[0][0] == _ANY:
            out_lay = _ANY  # values vary along one axis at most: read with stride 0, either layout
        elif isinstance(rule, Elementwise) and len(e.outvars) == 1:
            shape = e.outvars[0].aval.shape
            full = [(lay, o) for a, (lay, o) in zip(e.inputs, ins) if lay != _ANY and a.aval.shape == shape]
            kinds = {lay for lay, _ in full}
            if len(kinds) > 1 or (cols and len(full) < sum(1 for lay, _ in ins if lay != _ANY)):
                bad |= came
            elif kinds == {_COL}:
                out_lay, out_from = _COL, came
        elif isinstance(rule, Reduction) and all(_free(v.aval) for v in e.outvars):
            pass
        elif (isinstance(rule, IndexMap) and all(_free(v.aval) for v in e.outvars)
              and rule.accepts(e.inputs[0].aval.shape, e.outvars[0].aval.shape, e.params)):
            pass  # a view to a vector (a squeeze): read through its map, either layout
        elif cols:
            bad |= came
        for v in e.outvars:
            if not _free(v.aval):
                layout[id(v)] = out_lay
                origin[id(v)] = out_from
    for a in p.outs:
        lay, o = of(a)
        if lay == _COL:
            bad |= o
    return bad & flipped


def _choose(p: Program) -> set[int]:
    flipped = {i for i, e in enumerate(p.eqns) if _is_candidate(e)}
    while flipped:
        bad = _conflicts(p, flipped)
        if not bad:
            break
        flipped -= bad
    return flipped


def product_layouts(p: Program) -> Program:
    """``p`` with each product chosen by the rules above computed as the
    row-major product of its swapped operands followed by a ``transpose``
    (``p`` itself when none is chosen).

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> p = fl.make_ir(lambda x, w: x @ w)(jnp.ones((32, 8)), jnp.ones((8, 512)))
        >>> product_layouts(p) is p   # a program output stays row-major
        True
    """
    flipped = _choose(p)
    if not flipped:
        return p
    eqns: list[Eqn] = []
    for i, e in enumerate(p.eqns):
        if i not in flipped:
            eqns.append(e)
            continue
        (lc, rc), (lb, rb) = e.params["dimension_numbers"]
        out = e.outvars[0]
        m, n = out.aval.shape
        swapped = Var(ShapedArray((n, m), out.aval.dtype, out.aval.weak_type))
        eqns.append(Eqn(e.prim, [e.inputs[1], e.inputs[0]],
                        dict(e.params, dimension_numbers=((rc, lc), (rb, lb))), [swapped]))
        eqns.append(Eqn(transpose_p, [swapped], {"permutation": (1, 0)}, [out]))
    return Program(p.invars, p.constvars, p.consts, eqns, p.outs)


__all__ = ["product_layouts", "MIN_ROWS", "MAX_ROWS", "MIN_COLS"]
