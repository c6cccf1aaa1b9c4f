"""The jit compiler: optimise an IR program and lower it to an executable.

Passes: constant folding, algebraic simplification, common-subexpression
elimination, dead-code elimination and transposes around products; the
per-op rewrites are rows of pattern tables (:data:`SIMPLIFY`,
:data:`PRODUCTS`; ``transforms/patterns.py``), not switches on names.  This
module also holds ``Executable``, what lowering returns.
Lowering (``fusion.lower_with_fusion``, which sits above this module) turns
each equation into a direct call of its primitive's ``impl`` (no tracing,
promotion or dispatch at run time) and replaces groups of
elementwise/broadcast/reduction equations with one generated Numba kernel
each.

Example:
    >>> import functorch_lite as fl
    >>> import functorch_lite.numpy as jnp
    >>> p = fl.make_ir(lambda x: (x * 2.0 + 1.0) * (x * 2.0))(jnp.ones(2))
    >>> [e.prim.name for e in optimize(p).eqns]
    ['mul', 'add', 'mul']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from functorch_lite.array import Array, Storage
from functorch_lite.core import Primitive, ShapedArray
from functorch_lite.ops.elementwise import (
    ELEMENTWISE,
    add_p,
    convert_element_type_p,
    div_p,
    mul_p,
    pow_p,
    select_p,
    sub_p,
)
from functorch_lite.ops.linalg import dot_general_p
from functorch_lite.ops.reductions import reduce_sum_p
from functorch_lite.ops.shape_ops import broadcast_in_dim_p, copy_p, reshape_p, transpose_p
from functorch_lite.transforms.ir import Atom, Eqn, Literal, Program, Var, is_scalar_literal
from functorch_lite.transforms.patterns import PatternTable, Result, Rewrite, Rewriting, rewrite_program, use_counts

# primitives never folded at compile time (their value must stay a runtime op)
_NO_FOLD = frozenset({copy_p})
# the elementwise primitives (each result element depends on the same element of each operand only)
_ELEMENTWISE = frozenset(ELEMENTWISE.values()) - _NO_FOLD


def _key_atom(a: Atom) -> Any:
    if isinstance(a, Literal):
        # the value's bytes: 0.0 == -0.0 (and nan != nan) would merge or split the wrong constants
        return ("lit", a.aval.shape, a.aval.dtype, a.aval.weak_type, np.asarray(a.scalar(), a.aval.dtype).tobytes())
    return ("var", id(a))


def _key_params(params: dict[str, Any]) -> Any:
    items = []
    for k, v in sorted(params.items()):
        try:
            hash(v)
            items.append((k, v))
        except TypeError:
            items.append((k, id(v)))
    return tuple(items)


def _broadcast_literal(one: np.ndarray[Any, Any], aval: ShapedArray) -> Literal:
    """A literal of ``aval`` whose every element is ``one``'s only element."""
    return Literal(Array(Storage(np.ascontiguousarray(one.reshape(1))), aval.shape, (0,) * aval.ndim, 0,
                         aval.weak_type))


def fold_elementwise(e: Eqn) -> Literal | None:
    """The value of an elementwise equation whose operands are all literals,
    as a literal: evaluated once, on one element of each operand, and
    broadcast to the result's shape (a literal is one value broadcast with
    zero strides, so every element of the result is that value).  None when
    ``e`` is not such an equation.  Floating-point warnings are silenced, as
    in the fused kernels that would otherwise compute it.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> p = fl.make_ir(lambda x: x + (jnp.broadcast_to(2.0, (3,)) - 1.0))(jnp.ones(3))
        >>> e = p.eqns[0]
        >>> e.prim.name, e.inputs, fold_elementwise(e)
        ('sub', [2.0:f32[3], 1.0:f32[3]], 1.0:f32[3])
    """
    if e.prim not in _ELEMENTWISE or not e.inputs or e.prim.effectful or e.prim.multiple_results:
        return None
    lits = [a for a in e.inputs if isinstance(a, Literal)]
    out = e.outvars[0].aval
    if len(lits) != len(e.inputs) or out.size == 0 or e.prim.impl is None:
        return None
    # one element as a 1-D array: the impls' ordinary path (kernels are written for arrays)
    ones = [Array(Storage(np.ascontiguousarray(a.val._numpy().reshape(-1)[:1])), (1,), (1,), 0, a.aval.weak_type)
            for a in lits]
    with np.errstate(all="ignore"):
        val = e.prim.impl(*ones, **e.params)
    if not isinstance(val, Array) or val.shape != (1,) or val.dtype != out.dtype:
        return None
    return _broadcast_literal(val._numpy(), out)


def fold_constants(p: Program) -> Program:
    """Evaluate equations whose inputs are all literals: elementwise ones
    at any shape (:func:`fold_elementwise`), others when their result is
    one value (a scalar, or constant along every axis)."""
    env: dict[int, Atom] = {}

    def sub(a: Atom) -> Atom:
        return env.get(id(a), a) if isinstance(a, Var) else a

    eqns = []
    for e in p.eqns:
        inputs = [sub(a) for a in e.inputs]
        e = Eqn(e.prim, inputs, e.params, e.outvars)
        folded = fold_elementwise(e)
        if folded is not None:
            env[id(e.outvars[0])] = folded
            continue
        if (
            inputs and all(isinstance(a, Literal) for a in inputs) and not e.prim.multiple_results
            and not e.prim.effectful and e.prim not in _ELEMENTWISE
            and e.prim not in _NO_FOLD and e.prim.impl is not None
        ):
            val = e.prim.impl(*[a.val for a in inputs], **e.params)  # type: ignore[union-attr]
            if isinstance(val, Array) and is_scalar_literal(val):
                env[id(e.outvars[0])] = Literal(val)
                continue
        eqns.append(e)
    return Program(p.invars, p.constvars, p.consts, eqns, [sub(a) for a in p.outs])


def cse(p: Program) -> Program:
    """Reuse the result of an identical earlier equation."""
    env: dict[int, Var] = {}
    seen: dict[Any, list[Var]] = {}

    def sub(a: Atom) -> Atom:
        return env.get(id(a), a) if isinstance(a, Var) else a

    eqns = []
    for e in p.eqns:
        inputs = [sub(a) for a in e.inputs]
        key = (e.prim.name, tuple(_key_atom(a) for a in inputs), _key_params(e.params))
        prev = None if e.prim.effectful else seen.get(key)
        if prev is not None:
            for old, new in zip(e.outvars, prev):
                env[id(old)] = new
            continue
        seen[key] = e.outvars
        eqns.append(Eqn(e.prim, inputs, e.params, e.outvars))
    return Program(p.invars, p.constvars, p.consts, eqns, [sub(a) for a in p.outs])


def dce(p: Program) -> Program:
    """Drop equations whose results are never used (all primitives are pure)."""
    live = {id(a) for a in p.outs if isinstance(a, Var)}
    kept = []
    for e in reversed(p.eqns):
        if e.prim.effectful or any(id(v) in live for v in e.outvars):
            kept.append(e)
            for a in e.inputs:
                if isinstance(a, Var):
                    live.add(id(a))
    kept.reverse()
    cv = [(v, c) for v, c in zip(p.constvars, p.consts) if id(v) in live]
    return Program(p.invars, [v for v, _ in cv], [c for _, c in cv], kept, p.outs)


def _literal_value(a: Atom) -> Any:
    if isinstance(a, Literal) and a.aval.size > 0:
        return a.scalar()
    return None


# --- algebraic identities: rows that drop an equation returning one of its inputs ---------------


def _passes_through(e: Eqn, a: Atom) -> bool:
    out = e.outvars[0].aval
    return a.aval.shape == out.shape and a.aval.dtype == out.dtype


def _neutral(value: int, zero_sign: float | None, commutes: bool) -> Rewrite:
    """``x op n`` (and ``n op x`` when ``op`` commutes) is ``x`` for the neutral
    literal ``n``.  For floats, ``zero_sign`` is the sign of the only zero that
    keeps every ``x``'s sign (``-0.0 + 0.0`` is ``+0.0``: only ``x + (-0.0)``
    and ``x - (+0.0)`` are identities)."""

    def unit(a: Atom, float_out: bool) -> bool:
        v = _literal_value(a)
        if isinstance(v, bool) or v != value:
            return False
        return zero_sign is None or not float_out or math.copysign(1.0, float(v)) == zero_sign

    def rewrite(e: Eqn, ctx: Rewriting) -> Atom | None:
        if len(e.inputs) != 2:
            return None
        x, y = e.inputs
        float_out = e.outvars[0].aval.dtype.kind in "fc"
        if unit(y, float_out) and _passes_through(e, x):
            return x
        if commutes and unit(x, float_out) and _passes_through(e, y):
            return y
        return None

    return rewrite


def _same_type(e: Eqn, ctx: Rewriting) -> Atom | None:
    """A reshape, broadcast or cast to what the operand already is."""
    x = e.inputs[0]
    if not _passes_through(e, x):
        return None
    if e.prim is convert_element_type_p and x.aval.weak_type != e.outvars[0].aval.weak_type:
        return None
    return x


def _as_result(e: Eqn, a: Atom) -> Atom | None:
    """``a`` standing for ``e``'s result: a literal retyped as the result
    (weak or not), a variable only when its type is the result's."""
    out = e.outvars[0].aval
    if a.aval.shape != out.shape or a.aval.dtype != out.dtype:
        return None
    if isinstance(a, Literal):
        return a if a.aval.weak_type == out.weak_type else _broadcast_literal(a.val._numpy().reshape(-1)[:1], out)
    return a if a.aval.weak_type == out.weak_type else None


def _fold_literals(e: Eqn, ctx: Rewriting) -> Atom | None:
    """An elementwise equation on literals only (some made by earlier rows: a
    select on a known predicate) is a literal."""
    return fold_elementwise(e)


def _small_power(e: Eqn, ctx: Rewriting) -> Result:
    """``x ** 1`` is ``x``, ``x ** 2`` is ``x * x``: exactly, for every ``x``
    (nan, +-inf and -0.0 included: NumPy's power special-cases these
    exponents too) and for integers (both wrap alike).  The gradient of
    ``x ** 2`` is ``2 * x ** 1``; as a ``mul`` the square fuses with its
    neighbours wherever it is."""
    x, y = e.inputs
    v = _literal_value(y)
    if v is None or isinstance(v, bool) or x.aval.shape != e.outvars[0].aval.shape:
        return None
    if v == 1:
        return _as_result(e, x)
    if v == 2:
        return [Eqn(mul_p, [x, x], {}, e.outvars)]
    return None


def _known_select(e: Eqn, ctx: Rewriting) -> Atom | None:
    """``select(p, a, b)`` is ``a`` or ``b`` when the predicate is a literal
    (the gradient of ``x ** 2`` selects on ``2 == 0``), or when both
    branches are the same value."""
    pred, on_true, on_false = e.inputs
    if on_true is on_false:
        return _as_result(e, on_true)
    v = _literal_value(pred)
    if v is None:
        return None
    return _as_result(e, on_true if v else on_false)


def _identity_permutation(e: Eqn, ctx: Rewriting) -> Atom | None:
    return e.inputs[0] if tuple(e.params["permutation"]) == tuple(range(e.outvars[0].aval.ndim)) else None


# --- products as broadcast multiplies ----------------------------------------------------------

_OUTER_FUSE_MAX = 1 << 18


def _broadcast_product_form(e: Eqn, ctx: Rewriting) -> list[Eqn] | None:
    """Rewrite a float ``dot_general`` as broadcasts, one multiply and (for a
    sum) a ``reduce_sum``, which fusion merges with the elementwise ops around
    it.  Two cases:

    - an outer product (it sums over nothing, or over size-1 axes), up to
      ``_OUTER_FUSE_MAX`` elements: per-example gradients are such products;
      larger ones keep dot_general's own outer-product kernel, which writes them
      at memory speed, where a fused loop would redo its producers' work per
      output element;
    - a matrix-vector product (one operand has no free axes) whose matrix has
      other uses in the program: the product is no bigger than the matrix, so
      the matrix is read once for the product and its other consumers
      (per-example gradients of linear models: 256x512, 35 -> 30 us).  On its own
      it stays with BLAS GEMV (the fused reduction runs at 0.5-0.7x its speed).
    """
    (lc, rc), (lb, rb) = e.params["dimension_numbers"]
    lhs, rhs = e.inputs
    la, ra = lhs.aval, rhs.aval
    out = e.outvars[0].aval
    if e.params.get("preferred_element_type") is not None or out.dtype.kind != "f":
        return None
    lfree = [i for i in range(la.ndim) if i not in lc and i not in lb]
    rfree = [i for i in range(ra.ndim) if i not in rc and i not in rb]
    matrix = lhs if lfree else rhs
    contract: tuple[int, ...]
    if all(la.shape[i] == 1 for i in lc) and out.size <= _OUTER_FUSE_MAX:
        contract = ()  # the size-1 contracted axes are dropped
    elif lc and bool(lfree) != bool(rfree) and isinstance(matrix, Var) and ctx.uses.get(id(matrix), 0) >= 2:
        contract = tuple(la.shape[i] for i in lc)
    else:
        return None
    nb, nl, nr = len(lb), len(lfree), len(rfree)
    full = out.shape + contract
    cdims = tuple(range(out.ndim, len(full)))
    eqns: list[Eqn] = []
    a = _operand_as(eqns, lhs, lb, lfree, lc, full, tuple(range(nb + nl)) + cdims)
    b = _operand_as(eqns, rhs, rb, rfree, rc, full, tuple(range(nb)) + tuple(range(nb + nl, nb + nl + nr)) + cdims)
    if not contract:
        return eqns + [Eqn(mul_p, [a, b], {}, e.outvars)]
    prod = Var(ShapedArray(full, out.dtype, out.weak_type))
    return eqns + [Eqn(mul_p, [a, b], {}, [prod]), Eqn(reduce_sum_p, [prod], {"axes": cdims}, e.outvars)]


def _operand_as(eqns: list[Eqn], x: Atom, batch: Sequence[int], free: list[int], contract: Sequence[int],
                full: tuple[int, ...], dims: tuple[int, ...]) -> Atom:
    """A ``dot_general`` operand as an operand of the broadcast multiply of shape
    ``full``: its axes ordered batch, free, contracted (contracted axes dropped
    when ``full`` has none), then broadcast along ``dims``; equations go to ``eqns``."""
    aval = x.aval

    def emit(prim: Primitive, out_shape: tuple[int, ...], **params: Any) -> Var:
        v = Var(ShapedArray(out_shape, aval.dtype, aval.weak_type))
        eqns.append(Eqn(prim, [x], params, [v]))
        return v

    perm = tuple(batch) + tuple(free) + tuple(contract)
    shape = tuple(aval.shape[i] for i in perm)
    if perm != tuple(range(aval.ndim)):
        x = emit(transpose_p, shape, permutation=perm)
    if len(dims) < len(shape):
        shape = shape[: len(batch) + len(free)]
        x = emit(reshape_p, shape, new_sizes=shape)
    if shape == full:
        return x
    return emit(broadcast_in_dim_p, full, shape=full, broadcast_dimensions=dims)


#: the rows of :func:`simplify`
SIMPLIFY = PatternTable.of(
    (tuple(_ELEMENTWISE), _fold_literals),
    (pow_p, _small_power),
    (select_p, _known_select),
    (mul_p, _neutral(1, None, commutes=True)),
    (div_p, _neutral(1, None, commutes=False)),
    (add_p, _neutral(0, -1.0, commutes=True)),
    (sub_p, _neutral(0, 1.0, commutes=False)),
    ((convert_element_type_p, broadcast_in_dim_p, reshape_p), _same_type),
    (transpose_p, _identity_permutation),
    (dot_general_p, _broadcast_product_form),
)


def simplify(p: Program) -> Program:
    """Algebraic identities (drop equations that return one of their inputs)
    and small products as broadcast multiplies: the rows of :data:`SIMPLIFY`.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> p = fl.make_ir(lambda x: (x * 1.0 + 0.0) * 3.0)(jnp.ones(2))
        >>> [e.prim.name for e in simplify(p).eqns]
        ['add', 'mul']
    """
    return rewrite_program(p, SIMPLIFY)


# --- transposes around products ----------------------------------------------------------------


def _absorb_operand_transposes(d: Eqn, ctx: Rewriting) -> list[Eqn] | None:
    """``dot_general(transpose(x), y)`` reads ``x`` directly (the contraction
    names ``x``'s axes), when that keeps the output's axis order: one view op
    fewer per call, and the kernel sees the operand's real layout."""
    (lc, rc), (lb, rb) = d.params["dimension_numbers"]
    ins = list(d.inputs)
    dims = [[list(lc), list(lb)], [list(rc), list(rb)]]
    changed = False
    for k in range(2):
        t = ctx.notes.get(id(ins[k])) if isinstance(ins[k], Var) else None
        if t is None:
            continue
        perm = t.params["permutation"]
        contract, batch = dims[k]
        free = [perm[i] for i in range(len(perm)) if i not in contract and i not in batch]
        if free != sorted(free):
            continue  # the output's free axes would come out in another order
        dims[k] = [[perm[i] for i in contract], [perm[i] for i in batch]]
        ins[k] = t.inputs[0]
        changed = True
    if not changed:
        return None
    (lc2, lb2), (rc2, rb2) = dims
    params = dict(d.params, dimension_numbers=((tuple(lc2), tuple(rc2)), (tuple(lb2), tuple(rb2))))
    return [Eqn(d.prim, ins, params, d.outvars)]


def _swap_product(e: Eqn, ctx: Rewriting) -> list[Eqn] | None:
    """``transpose(dot_general(a, b))`` that only swaps the free blocks, the
    product's only use, is ``dot_general(b, a)``, made where the product was.
    Any other transpose is noted, for the products that read it."""
    x = e.inputs[0]
    j = ctx.index.get(id(x)) if isinstance(x, Var) and ctx.uses.get(id(x)) == 1 else None
    d = ctx.eqns[j] if j is not None else None
    if d is None or d.prim is not dot_general_p:
        ctx.notes[id(e.outvars[0])] = e
        return None
    (lc, rc), (lb, rb) = d.params["dimension_numbers"]
    lhs, rhs = d.inputs
    nb = len(lb)
    nl = lhs.aval.ndim - len(lc) - nb
    nr = rhs.aval.ndim - len(rc) - nb
    swap = tuple(range(nb)) + tuple(range(nb + nl, nb + nl + nr)) + tuple(range(nb, nb + nl))
    if tuple(e.params["permutation"]) != swap:
        ctx.notes[id(e.outvars[0])] = e
        return None
    params = dict(d.params, dimension_numbers=((rc, lc), (rb, lb)))
    ctx.eqns[j] = Eqn(d.prim, [rhs, lhs], params, e.outvars)  # type: ignore[index]
    return []


#: the rows of :func:`transposed_products`
PRODUCTS = PatternTable.of(
    (dot_general_p, _absorb_operand_transposes),
    (transpose_p, _swap_product),
)


def transposed_products(p: Program) -> Program:
    """Transposes around products.  An operand ``transpose`` is absorbed into the
    contraction where the output order allows, and ``transpose(dot_general(a, b))``
    that only swaps the two free blocks of the product becomes
    ``dot_general(b, a)``: the result is made in the
    layout its users read (a weight gradient ``(x.T @ g).T`` is ``g.T @ x``
    written row-major), instead of a transposed view that every later
    elementwise op would walk across.  The rows of :data:`PRODUCTS`.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> p = fl.make_ir(lambda x, g: (x.T @ g).T)(jnp.ones((4, 2)), jnp.ones((4, 3)))
        >>> [e.prim.name for e in dce(transposed_products(p)).eqns]  # x.T absorbed, the result swapped
        ['dot_general']
    """
    return rewrite_program(p, PRODUCTS, Rewriting(use_counts(p, outputs=True)))


def optimize(p: Program) -> Program:
    """Constant folding, algebraic simplification, CSE, DCE and operand
    order of transposed products, in that order."""
    return dce(transposed_products(dce(cse(simplify(fold_constants(p))))))


class Executable:
    """A lowered program: ``run(args) -> outputs`` on concrete Arrays.

    ``source`` is the text of what runs: the generated kernels' source and
    the sequence of calls.
    """

    def __init__(self, run: Callable[[Sequence[Array]], list[Array]], source: str, program: Program,
                 n_kernels: int, run_one: Callable[[Sequence[Array]], Any] | None = None) -> None:
        self.run = run
        self.source = source
        self.program = program
        self.n_kernels = n_kernels
        #: for a program with one output: ``run`` returning it bare, not in a list
        #: (what a jitted function of one result calls: ~40 ns less per call)
        self.run_one = run_one
