"""The jit compiler: optimise an IR program and lower it to an executable.

Passes: constant folding, common-subexpression elimination, dead-code
elimination; this module also holds ``Executable``, what lowering returns.
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

from functorch_lite.array import Array
from functorch_lite.core import PRIMITIVES, ShapedArray
from functorch_lite.transforms.ir import Atom, Eqn, Literal, Program, Var, is_scalar_literal

# primitives never folded at compile time (their value must stay a runtime op)
_NO_FOLD = {"copy"}


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


def fold_constants(p: Program) -> Program:
    """Evaluate equations whose inputs are all literals (small results only)."""
    env: dict[int, Atom] = {}

    def sub(a: Atom) -> Atom:
        return env.get(id(a), a) if isinstance(a, Var) else a

    eqns = []
    for e in p.eqns:
        inputs = [sub(a) for a in e.inputs]
        if (
            inputs and all(isinstance(a, Literal) for a in inputs) and not e.prim.multiple_results
            and not e.prim.effectful
            and e.prim.name not in _NO_FOLD and e.prim.impl is not None
        ):
            val = e.prim.impl(*[a.val for a in inputs], **e.params)  # type: ignore[union-attr]
            if isinstance(val, Array) and is_scalar_literal(val):
                env[id(e.outvars[0])] = Literal(val)
                continue
        eqns.append(Eqn(e.prim, inputs, e.params, e.outvars))
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


def _is_identity(e: Eqn, inputs: list[Atom]) -> Atom | None:
    """The input an equation merely passes through (x*1, x+0, x/1, identity
    casts, broadcasts, reshapes and transposes), or None."""
    name = e.prim.name
    out = e.outvars[0].aval if len(e.outvars) == 1 else None
    if out is None:
        return None

    def same(a: Atom) -> bool:
        return a.aval.shape == out.shape and a.aval.dtype == out.dtype

    if name in ("mul", "add", "sub", "div") and len(inputs) == 2:
        x, y = inputs

        def unit(lit: Atom) -> bool:
            v = _literal_value(lit)
            if isinstance(v, bool) or v != (1 if name in ("mul", "div") else 0):
                return False
            if name in ("add", "sub") and out.dtype.kind in "fc":
                # -0.0 + 0.0 is +0.0: only x + (-0.0) and x - (+0.0) keep every x's sign
                return math.copysign(1.0, float(v)) == (-1.0 if name == "add" else 1.0)
            return True

        if unit(y) and same(x):
            return x
        if name in ("mul", "add") and unit(x) and same(y):
            return y
        return None
    if name in ("convert_element_type", "broadcast_in_dim", "reshape", "copy") and same(inputs[0]):
        if name == "convert_element_type" and inputs[0].aval.weak_type != out.weak_type:
            return None
        return inputs[0] if name != "copy" else None
    if name == "transpose" and tuple(e.params["permutation"]) == tuple(range(out.ndim)):
        return inputs[0]
    return None


_OUTER_FUSE_MAX = 1 << 18


def _broadcast_product_form(e: Eqn, inputs: list[Atom], eqns: list[Eqn], uses: dict[int, int]) -> bool:
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
    lhs, rhs = inputs
    la, ra = lhs.aval, rhs.aval
    out = e.outvars[0].aval
    if e.params.get("preferred_element_type") is not None or out.dtype.kind != "f":
        return False
    lfree = [i for i in range(la.ndim) if i not in lc and i not in lb]
    rfree = [i for i in range(ra.ndim) if i not in rc and i not in rb]
    matrix = lhs if lfree else rhs
    contract: tuple[int, ...]
    if all(la.shape[i] == 1 for i in lc) and out.size <= _OUTER_FUSE_MAX:
        contract = ()  # the size-1 contracted axes are dropped
    elif lc and bool(lfree) != bool(rfree) and isinstance(matrix, Var) and uses.get(id(matrix), 0) >= 2:
        contract = tuple(la.shape[i] for i in lc)
    else:
        return False
    nb, nl, nr = len(lb), len(lfree), len(rfree)
    full = out.shape + contract
    cdims = tuple(range(out.ndim, len(full)))
    a = _operand_as(eqns, lhs, lb, lfree, lc, full, tuple(range(nb + nl)) + cdims)
    b = _operand_as(eqns, rhs, rb, rfree, rc, full, tuple(range(nb)) + tuple(range(nb + nl, nb + nl + nr)) + cdims)
    if not contract:
        eqns.append(Eqn(PRIMITIVES["mul"], [a, b], {}, e.outvars))
        return True
    prod = Var(ShapedArray(full, out.dtype, out.weak_type))
    eqns.append(Eqn(PRIMITIVES["mul"], [a, b], {}, [prod]))
    eqns.append(Eqn(PRIMITIVES["reduce_sum"], [prod], {"axes": cdims}, e.outvars))
    return True


def _operand_as(eqns: list[Eqn], x: Atom, batch: Sequence[int], free: list[int], contract: Sequence[int],
                full: tuple[int, ...], dims: tuple[int, ...]) -> Atom:
    """A ``dot_general`` operand as an operand of the broadcast multiply of shape
    ``full``: its axes ordered batch, free, contracted (contracted axes dropped
    when ``full`` has none), then broadcast along ``dims``; equations go to ``eqns``."""
    aval = x.aval

    def emit(prim: str, out_shape: tuple[int, ...], **params: Any) -> Var:
        v = Var(ShapedArray(out_shape, aval.dtype, aval.weak_type))
        eqns.append(Eqn(PRIMITIVES[prim], [x], params, [v]))
        return v

    perm = tuple(batch) + tuple(free) + tuple(contract)
    shape = tuple(aval.shape[i] for i in perm)
    if perm != tuple(range(aval.ndim)):
        x = emit("transpose", shape, permutation=perm)
    if len(dims) < len(shape):
        shape = shape[: len(batch) + len(free)]
        x = emit("reshape", shape, new_sizes=shape)
    if shape == full:
        return x
    return emit("broadcast_in_dim", full, shape=full, broadcast_dimensions=dims)


def simplify(p: Program) -> Program:
    """Algebraic identities: drop equations that return one of their inputs."""
    env: dict[int, Atom] = {}

    def sub(a: Atom) -> Atom:
        return env.get(id(a), a) if isinstance(a, Var) else a

    uses: dict[int, int] = {}
    for e in p.eqns:
        for a in e.inputs:
            if isinstance(a, Var):
                uses[id(a)] = uses.get(id(a), 0) + 1
    eqns: list[Eqn] = []
    for e in p.eqns:
        inputs = [sub(a) for a in e.inputs]
        if not e.prim.effectful and not e.prim.multiple_results:
            same = _is_identity(e, inputs)
            if same is not None:
                env[id(e.outvars[0])] = same
                continue
            if e.prim.name == "dot_general" and _broadcast_product_form(e, inputs, eqns, uses):
                continue
        eqns.append(Eqn(e.prim, inputs, e.params, e.outvars))
    outs = [sub(a) for a in p.outs]
    return Program(p.invars, p.constvars, p.consts, eqns, outs)


def transposed_products(p: Program) -> Program:
    """Transposes around products.  An operand ``transpose`` is absorbed into the
    contraction where the output order allows, and ``transpose(dot_general(a, b))``
    that only swaps the two free blocks of the product becomes
    ``dot_general(b, a)``: the result is made in the
    layout its users read (a weight gradient ``(x.T @ g).T`` is ``g.T @ x``
    written row-major), instead of a transposed view that every later
    elementwise op would walk across."""
    uses: dict[int, int] = {}
    for e in p.eqns:
        for a in e.inputs:
            if isinstance(a, Var):
                uses[id(a)] = uses.get(id(a), 0) + 1
    for a in p.outs:
        if isinstance(a, Var):
            uses[id(a)] = uses.get(id(a), 0) + 1
    producer: dict[int, int] = {}
    transposes: dict[int, Eqn] = {}
    eqns = list(p.eqns)
    dropped: set[int] = set()
    for i, e in enumerate(eqns):
        if e.prim.name == "dot_general":
            e = eqns[i] = _absorb_operand_transposes(e, transposes)
            producer[id(e.outvars[0])] = i
            continue
        if e.prim.name == "transpose":
            transposes[id(e.outvars[0])] = e
        if e.prim.name != "transpose" or not isinstance(e.inputs[0], Var):
            continue
        j = producer.get(id(e.inputs[0]))
        if j is None or uses.get(id(e.inputs[0])) != 1:
            continue
        d = eqns[j]
        (lc, rc), (lb, rb) = d.params["dimension_numbers"]
        lhs, rhs = d.inputs
        nb = len(lb)
        nl = lhs.aval.ndim - len(lc) - nb
        nr = rhs.aval.ndim - len(rc) - nb
        swap = tuple(range(nb)) + tuple(range(nb + nl, nb + nl + nr)) + tuple(range(nb, nb + nl))
        if tuple(e.params["permutation"]) != swap:
            continue
        params = dict(d.params, dimension_numbers=((rc, lc), (rb, lb)))
        eqns[j] = Eqn(d.prim, [rhs, lhs], params, e.outvars)
        dropped.add(i)
    kept = [e for i, e in enumerate(eqns) if i not in dropped]
    return Program(p.invars, p.constvars, p.consts, kept, p.outs)


def _absorb_operand_transposes(d: Eqn, transposes: dict[int, Eqn]) -> Eqn:
    """``dot_general(transpose(x), y)`` reads ``x`` directly (the contraction
    names ``x``'s axes), when that keeps the output's axis order: one view op
    fewer per call, and the kernel sees the operand's real layout."""
    (lc, rc), (lb, rb) = d.params["dimension_numbers"]
    ins = list(d.inputs)
    dims = [[list(lc), list(lb)], [list(rc), list(rb)]]
    changed = False
    for k in range(2):
        t = transposes.get(id(ins[k])) if isinstance(ins[k], Var) else None
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
        return d
    (lc2, lb2), (rc2, rb2) = dims
    params = dict(d.params, dimension_numbers=((tuple(lc2), tuple(rc2)), (tuple(lb2), tuple(rb2))))
    return Eqn(d.prim, ins, params, d.outvars)


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
                 n_kernels: int) -> None:
        self.run = run
        self.source = source
        self.program = program
        self.n_kernels = n_kernels
