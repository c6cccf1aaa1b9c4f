"""Control-flow primitives that carry IR programs: ``cond``, ``while``, ``scan``.

They live beside the IR rather than in ``ops/`` because their rules build
new programs (the jvp of a branch, the batched body of a loop) by staging.
Every rule is declared here, beside its primitive: impl, abstract_eval,
jvp, vjp (``vjp_all``: all cotangents in one pass), batch.  Functions the
user passes are closure-converted: values they capture (including tracers of
enclosing transforms) become explicit leading operands, so every enclosing
transform sees them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from functorch_lite import core, tree
from functorch_lite.array import Array
from functorch_lite.core import Primitive, ShapedArray, Zero, get_aval, zeros_array
from functorch_lite.numpy._indexing import basic_getitem
from functorch_lite.ops import _rules as r
from functorch_lite.ops import params as P
from functorch_lite.ops.tables import (
    VjpAll,
    batch_rules,
    jvp_rules,
    param_types,
    subprogram_inputs,
    vjp_rules,
)
from functorch_lite.transforms import ad, batching
from functorch_lite.transforms.ir import Program, Var, eval_program
from functorch_lite.transforms.staging import trace_to_program

# --- staging helpers -------------------------------------------------------------------


def closure_convert(fun: Callable[..., Any], in_avals: Sequence[ShapedArray],
                    in_tree: tree.PyTreeDef) -> tuple[Program, list[Any], tree.PyTreeDef]:
    """Trace ``fun``; its captured values become leading inputs.

    Returns (program taking consts + args, const values, out tree).
    """
    prog, out_tree = trace_to_program(fun, in_avals, in_tree)
    consts = list(prog.consts)
    closed = Program(list(prog.constvars) + list(prog.invars), [], [], prog.eqns, prog.outs)
    return closed, consts, out_tree


def _stage(f: Callable[..., Any], avals: Sequence[ShapedArray]) -> tuple[Program, list[Any]]:
    """Stage a flat function of flat avals; returns (program, consts)."""
    leaves_tree = tree.structure(tuple(range(len(avals))))
    prog, consts, _ = closure_convert(lambda *xs: list(f(*xs)), avals, leaves_tree)
    return prog, consts


def _avals(xs: Sequence[Any]) -> list[ShapedArray]:
    return [get_aval(x) for x in xs]


def jvp_program(p: Program) -> tuple[Program, list[Any]]:
    """Program (*args, *tangents) -> (*outs, *out_tangents)."""
    n = len(p.invars)

    def f(*xs: Any) -> list[Any]:
        outs, t_outs = ad.jvp(lambda *a: eval_program(p, a), tuple(xs[:n]), tuple(xs[n:]))
        return list(outs) + list(t_outs)

    return _stage(f, p.in_avals + [a.strip_weak() for a in p.in_avals])


def vjp_program(p: Program) -> tuple[Program, list[Any]]:
    """Program (*args, *out_cts) -> (*arg_cts)."""
    n = len(p.invars)

    def f(*xs: Any) -> list[Any]:
        _, pull = ad.vjp(lambda *a: eval_program(p, a), *xs[:n])
        return list(pull(list(xs[n:])))

    return _stage(f, p.in_avals + [a.strip_weak() for a in p.out_avals])


def batch_program(p: Program, dims: Sequence[int | None], size: int) -> tuple[Program, list[Any]]:
    """Program on batched args (batch axis at ``dims``) with every output
    batched at axis 0."""
    in_avals = []
    for a, d in zip(p.in_avals, dims):
        if d is None:
            in_avals.append(a)
        else:
            shape = a.shape[:d] + (size,) + a.shape[d:]
            in_avals.append(ShapedArray(shape, a.dtype, a.weak_type))

    def f(*xs: Any) -> list[Any]:
        in_axes = tuple(dims)
        return list(batching.vmap(lambda *a: eval_program(p, a), in_axes=in_axes, axis_size=size)(*xs))

    return _stage(f, in_avals)


def _check_same_avals(what: str, a: Sequence[ShapedArray], b: Sequence[ShapedArray]) -> None:
    sa = [x.strip_weak() for x in a]
    sb = [x.strip_weak() for x in b]
    if len(sa) != len(sb) or any(x.shape != y.shape or x.dtype != y.dtype for x, y in zip(sa, sb)):
        raise TypeError(
            f"{what}: " + ", ".join(x.str_short() for x in sa) + " vs " + ", ".join(y.str_short() for y in sb)
        )


_run = eval_program


# --- what a saved program may say (export.load checks files against these rows) ------------------
#
# A control-flow primitive runs its sub-programs on (some of) its operands.  Each
# sub-program of a loaded file was checked on its own declared inputs; the
# ``subprogram_inputs`` row says which operands the primitive actually passes to
# each, so a hostile file cannot declare one shape and be fed another.

_PROGRAM = P.ParamSpec("a program", lambda v: isinstance(v, Program))
_MAX_STEPS = P.ParamSpec("a non-negative integer step budget", P.is_count, required=False)


def _count(params: dict[str, Any], key: str, hi: int) -> int:
    n = params[key]
    if type(n) is not int or not 0 <= n <= hi:
        raise ValueError(f"param {key}={n!r} must be an integer in [0, {hi}]")
    return n


def _prog(params: dict[str, Any], key: str) -> Program:
    p = params[key]
    if not isinstance(p, Program):
        raise TypeError(f"param {key} must be a program")
    return p


SubprogramFeeds = list[tuple[str, Program, list[ShapedArray]]]


# --- cond -----------------------------------------------------------------------------------

cond_p = Primitive("cond", multiple_results=True)


def _cond_abstract(index: ShapedArray, *ops: ShapedArray, branches: tuple[Program, ...]) -> list[ShapedArray]:
    if index.shape != () or index.dtype.kind not in "iub":
        raise TypeError(f"cond/switch: the index must be a scalar integer or boolean, got {index.str_short()}")
    for b in branches:
        _check_same_avals("cond/switch: a branch's inputs do not match the operands", b.in_avals, list(ops))
    outs = branches[0].out_avals
    for b in branches[1:]:
        _check_same_avals("cond/switch branches must return the same shapes and dtypes", outs, b.out_avals)
    return [a.strip_weak() if not all(br.out_avals[i].weak_type for br in branches) else a
            for i, a in enumerate(outs)]


def _cond_impl(index: Array, *ops: Array, branches: tuple[Program, ...]) -> list[Any]:
    i = int(np.clip(int(index.item()), 0, len(branches) - 1))
    return _run(branches[i], ops)


def _cond_jvp(primals: Sequence[Any], tangents: Sequence[Any], *, branches: tuple[Program, ...]) -> Any:
    index, ops = primals[0], list(primals[1:])
    ts = [core.instantiate(t) if isinstance(t, Zero) else t for t in tangents[1:]]
    ts = [t if r.is_float(o) else zeros_array(get_aval(o)) for t, o in zip(ts, ops)]
    progs, consts = [], []
    for b in branches:
        p, c = jvp_program(b)
        progs.append(p)
        consts.append(c)
    progs2, all_consts = _merge_consts(progs, consts)
    outs = cond_p.bind(index, *all_consts, *ops, *ts, branches=tuple(progs2))
    n = len(branches[0].outs)
    return outs[:n], outs[n:]


def _merge_consts(progs: list[Program], consts: list[list[Any]]) -> tuple[list[Program], list[Any]]:
    """Give every branch the same leading const inputs (the union of all)."""
    all_consts: list[Any] = [c for cs in consts for c in cs]
    out = []
    offset = 0
    for p, cs in zip(progs, consts):
        n = len(cs)
        before = [Var(get_aval(c)) for c in all_consts[:offset]]
        after = [Var(get_aval(c)) for c in all_consts[offset + n:]]
        out.append(Program(before + p.invars[:n] + after + p.invars[n:], [], [], p.eqns, p.outs))
        offset += n
    return out, all_consts


def _cond_vjp_all(cts: Sequence[Any], ans: Any, index: Any, *ops: Any,
                  branches: tuple[Program, ...]) -> list[Any]:
    cts = [c if c is not None else zeros_array(get_aval(a)) for c, a in zip(cts, ans)]
    progs, consts = [], []
    for b in branches:
        p, c = vjp_program(b)
        progs.append(p)
        consts.append(c)
    progs2, all_consts = _merge_consts(progs, consts)
    in_cts = cond_p.bind(index, *all_consts, *ops, *cts, branches=tuple(progs2))
    return [None] + [c if r.is_float(o) else None for c, o in zip(in_cts, ops)]


def _cond_batch(vals: Sequence[Any], dims: Sequence[int | None], *, axis_size: int,
                branches: tuple[Program, ...]) -> Any:
    index, ops = vals[0], list(vals[1:])
    idim, odims = dims[0], list(dims[1:])
    progs, consts = [], []
    for b in branches:
        p, c = batch_program(b, odims, axis_size)
        progs.append(p)
        consts.append(c)
    progs2, all_consts = _merge_consts(progs, consts)
    if idim is None:
        outs = cond_p.bind(index, *all_consts, *ops, branches=tuple(progs2))
        return outs, [0] * len(outs)
    # a batched predicate: run every branch and select per lane
    index = r.bdim_to_front(index, idim, axis_size)
    results = [_run(p, all_consts + ops) for p in progs2]
    nb = len(branches)
    idx = r.convert(index, np.dtype(np.int32))
    outs = []
    for k in range(len(results[0])):
        acc = results[nb - 1][k]
        for bi in range(nb - 2, -1, -1):
            # the index is clamped: anything <= 0 takes branch 0
            hit = r.eq(idx, r.full_like(idx, bi)) if bi > 0 else _le(idx, 0)
            shape = get_aval(acc).shape
            acc = r.select(r.broadcast(hit, shape, (0,)), results[bi][k], acc)
        outs.append(acc)
    return outs, [0] * len(outs)


def _le(x: Any, v: int) -> Any:
    return core.PRIMITIVES["le"].bind(x, r.full_like(x, v))


cond_p.impl = _cond_impl
cond_p.abstract_eval = _cond_abstract
jvp_rules[cond_p] = _cond_jvp
vjp_rules[cond_p] = VjpAll(_cond_vjp_all)
batch_rules[cond_p] = _cond_batch


def _cond_inputs(ins: list[ShapedArray], params: dict[str, Any]) -> SubprogramFeeds:
    branches = params["branches"]
    if not isinstance(branches, tuple) or not branches or not all(isinstance(b, Program) for b in branches):
        raise TypeError("param branches must be a non-empty tuple of programs")
    if not ins:
        raise ValueError("cond needs an index operand")
    return [(f"branch {i}", b, ins[1:]) for i, b in enumerate(branches)]


param_types[cond_p] = {"branches": P.ParamSpec(
    "a non-empty tuple of programs",
    lambda v: type(v) is tuple and len(v) >= 1 and all(isinstance(b, Program) for b in v))}
subprogram_inputs[cond_p] = _cond_inputs


# --- while ------------------------------------------------------------------------------------

class LoopLimitError(RuntimeError):
    """A loop ran past the step budget in its ``max_steps`` parameter.

    ``while`` and ``scan`` take an optional ``max_steps`` (absent from the
    programs users trace): ``export.load(..., max_steps=n)`` sets it on every
    loop of a loaded program, and the loops' jvp, transpose and batch rules
    pass it on, so the budget holds under ``jit``, ``vmap`` and ``grad`` too.

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> from functorch_lite import lax
        >>> e = fl.export.export(lambda x: lax.while_loop(lambda c: c < 100, lambda c: c + 1, x), jnp.asarray(0))
        >>> f = fl.export.load(e.serialize(), max_steps=10)
        >>> f(jnp.asarray(95)).item()
        100
        >>> try:
        ...     fl.vmap(f)(jnp.asarray([0, 95]))
        ... except fl.export.LoopLimitError as e:
        ...     print(str(e).split(" (")[0])
        a while_loop would run more than max_steps=10 iterations
    """


def _budget(max_steps: int | None) -> dict[str, int]:
    """The ``max_steps`` param, present only when a budget is set (so traced programs keep their params)."""
    return {} if max_steps is None else {"max_steps": max_steps}


while_p = Primitive("while", multiple_results=True)


def _while_abstract(*args: ShapedArray, cond_prog: Program, body_prog: Program, n_cond_consts: int,
                    n_body_consts: int, max_steps: int | None = None) -> list[ShapedArray]:
    carry = list(args[n_cond_consts + n_body_consts:])
    _check_same_avals("while_loop: cond program inputs do not match its operands", cond_prog.in_avals,
                      list(args[:n_cond_consts]) + carry)
    _check_same_avals("while_loop: body program inputs do not match its operands", body_prog.in_avals,
                      list(args[n_cond_consts:n_cond_consts + n_body_consts]) + carry)
    c_out = cond_prog.out_avals
    if len(c_out) != 1 or c_out[0].shape != () or c_out[0].dtype.kind != "b":
        raise TypeError(f"while_loop: cond_fun must return a boolean scalar, got {[a.str_short() for a in c_out]}")
    _check_same_avals("while_loop: body_fun must return a carry of the same shapes and dtypes as init_val",
                      carry, body_prog.out_avals)
    return carry


def _while_impl(*args: Any, cond_prog: Program, body_prog: Program, n_cond_consts: int,
                n_body_consts: int, max_steps: int | None = None) -> list[Any]:
    cc = list(args[:n_cond_consts])
    bc = list(args[n_cond_consts:n_cond_consts + n_body_consts])
    carry = list(args[n_cond_consts + n_body_consts:])
    steps = 0
    while bool(_run(cond_prog, cc + carry)[0]):
        if max_steps is not None and steps >= max_steps:
            raise LoopLimitError(
                f"a while_loop would run more than max_steps={max_steps} iterations (the step budget of a "
                "loaded program, export.load(..., max_steps=...); load with a larger max_steps if the "
                "program is trusted)"
            )
        steps += 1
        carry = _run(body_prog, bc + carry)
    return carry


def _while_jvp(primals: Sequence[Any], tangents: Sequence[Any], *, cond_prog: Program, body_prog: Program,
               n_cond_consts: int, n_body_consts: int, max_steps: int | None = None) -> Any:
    nc, nb = n_cond_consts, n_body_consts
    carry = list(primals[nc + nb:])
    ts = [core.instantiate(t) for t in tangents]
    bconst_t = ts[nc:nc + nb]
    carry_t = [t if r.is_float(c) else zeros_array(get_aval(c)) for t, c in zip(ts[nc + nb:], carry)]
    # body over (primal carry, tangent carry), consts and their tangents fixed
    jp, jconsts = jvp_program(body_prog)

    def body(*xs: Any) -> list[Any]:
        bc, bct, c, ct = xs[:nb], xs[nb:2 * nb], xs[2 * nb:2 * nb + len(carry)], xs[2 * nb + len(carry):]
        out = _run(jp, list(jconsts) + list(bc) + list(c) + list(bct) + list(ct))
        return list(bc) + list(bct) + out

    def cond(*xs: Any) -> list[Any]:
        # operands: cond consts, then the loop state (body consts, their tangents, carry, ...)
        return _run(cond_prog, list(xs[:nc]) + list(xs[nc + 2 * nb:nc + 2 * nb + len(carry)]))

    init = list(primals[nc:nc + nb]) + bconst_t + carry + carry_t
    out = while_loop_flat(cond, body, list(primals[:nc]), init, max_steps)
    k = 2 * nb
    n = len(carry)
    return out[k:k + n], out[k + n:]


def _while_vjp_all(*args: Any, **params: Any) -> list[Any]:
    raise TypeError(
        "reverse-mode differentiation (grad, vjp, jacrev) of lax.while_loop is not supported, as in "
        "JAX: its trip count is not known ahead. Use lax.fori_loop with Python-int bounds or lax.scan, "
        "which are reverse-differentiable, or forward mode (jvp, jacfwd)"
    )


def _while_batch(vals: Sequence[Any], dims: Sequence[int | None], *, axis_size: int, cond_prog: Program,
                 body_prog: Program, n_cond_consts: int, n_body_consts: int, max_steps: int | None = None) -> Any:
    nc, nb = n_cond_consts, n_body_consts
    cc, bc, carry = list(vals[:nc]), list(vals[nc:nc + nb]), list(vals[nc + nb:])
    ccd, bcd = list(dims[:nc]), list(dims[nc:nc + nb])
    # every carry batched at 0 (simplest fixed point)
    carry = [r.bdim_to_front(c, d, axis_size) for c, d in zip(carry, dims[nc + nb:])]
    cdims: list[int | None] = [0] * len(carry)
    bprog, bconsts = batch_program(body_prog, bcd + cdims, axis_size)
    cprog, cconsts = batch_program(cond_prog, ccd + cdims, axis_size)

    def any_lane(*xs: Any) -> list[Any]:
        pred = _run(cprog, list(cconsts) + list(xs[:nc]) + list(xs[nc + nb:]))[0]
        return [core.PRIMITIVES["reduce_or"].bind(pred, axes=(0,))]

    def body(*xs: Any) -> list[Any]:
        bcs, cs = list(xs[:nb]), list(xs[nb:])
        pred = _run(cprog, list(cconsts) + cc + cs)[0]
        new = _run(bprog, list(bconsts) + bcs + cs)
        # lanes already done keep their carry
        out = []
        for n_, o in zip(new, cs):
            shape = get_aval(o).shape
            out.append(r.select(r.broadcast(pred, shape, (0,)), n_, o))
        return bcs + out

    out = while_loop_flat(any_lane, body, cc, bc + carry, max_steps)
    return out[nb:], [0] * len(carry)


while_p.impl = _while_impl
while_p.abstract_eval = _while_abstract
jvp_rules[while_p] = _while_jvp
vjp_rules[while_p] = VjpAll(_while_vjp_all)
batch_rules[while_p] = _while_batch


def _while_inputs(ins: list[ShapedArray], params: dict[str, Any]) -> SubprogramFeeds:
    ncc = _count(params, "n_cond_consts", len(ins))
    nbc = _count(params, "n_body_consts", len(ins) - ncc)
    carry = ins[ncc + nbc:]
    return [("cond_prog", _prog(params, "cond_prog"), ins[:ncc] + carry),
            ("body_prog", _prog(params, "body_prog"), ins[ncc:ncc + nbc] + carry)]


param_types[while_p] = {"cond_prog": _PROGRAM, "body_prog": _PROGRAM, "n_cond_consts": P.COUNT,
                        "n_body_consts": P.COUNT, "max_steps": _MAX_STEPS}
subprogram_inputs[while_p] = _while_inputs


def while_loop_flat(cond: Callable[..., list[Any]], body: Callable[..., list[Any]], cond_consts: list[Any],
                    init: list[Any], max_steps: int | None = None) -> list[Any]:
    """``while cond(*cond_consts, *carry): carry = body(*carry)`` on flat lists,
    where ``cond`` takes the const operands first."""
    nc = len(cond_consts)
    avals = _avals(cond_consts) + _avals(init)
    cprog, cconsts = _stage(lambda *xs: cond(*xs), avals)
    bprog, bconsts = _stage(lambda *xs: body(*xs), _avals(init))
    out = while_p.bind(
        *cconsts, *cond_consts, *bconsts, *init,
        cond_prog=cprog, body_prog=bprog, n_cond_consts=len(cconsts) + nc, n_body_consts=len(bconsts),
        **_budget(max_steps),
    )
    return list(out)


# --- scan -------------------------------------------------------------------------------------

scan_p = Primitive("scan", multiple_results=True)


def _scan_split(args: Sequence[Any], n_consts: int, n_carry: int) -> tuple[list[Any], list[Any], list[Any]]:
    return list(args[:n_consts]), list(args[n_consts:n_consts + n_carry]), list(args[n_consts + n_carry:])


def _scan_abstract(*args: ShapedArray, body: Program, length: int, reverse: bool, n_consts: int,
                   n_carry: int, max_steps: int | None = None) -> list[ShapedArray]:
    _, carry, xs = _scan_split(args, n_consts, n_carry)
    for x in xs:
        if not x.shape or x.shape[0] != length:
            raise ValueError(f"scan: every xs leaf needs leading axis {length}, got {x.str_short()}")
    slices = [ShapedArray(x.shape[1:], x.dtype, x.weak_type) for x in xs]
    _check_same_avals("scan: body program inputs do not match its operands", body.in_avals,
                      list(args[:n_consts]) + carry + slices)
    outs = body.out_avals
    _check_same_avals("scan: the body must return a carry of the same shapes and dtypes as init",
                      carry, outs[:n_carry])
    ys = [ShapedArray((length,) + a.shape, a.dtype, a.weak_type) for a in outs[n_carry:]]
    return list(carry) + ys


def _scan_impl(*args: Any, body: Program, length: int, reverse: bool, n_consts: int, n_carry: int,
               max_steps: int | None = None) -> list[Any]:
    if max_steps is not None and length > max_steps:
        raise LoopLimitError(
            f"a scan of length {length} would run more than max_steps={max_steps} iterations (the step budget "
            "of a loaded program, export.load(..., max_steps=...); load with a larger max_steps if the "
            "program is trusted)"
        )
    consts, carry, xs = _scan_split(args, n_consts, n_carry)
    ys_steps: list[list[Any]] = []
    order = range(length - 1, -1, -1) if reverse else range(length)
    for i in order:
        x_i = [_index0(x, i) for x in xs]
        out = _run(body, consts + carry + x_i)
        carry = out[:n_carry]
        ys_steps.append(out[n_carry:])
    if reverse:
        ys_steps.reverse()
    y_avals = body.out_avals[n_carry:]
    ys = []
    for k, a in enumerate(y_avals):
        if length == 0:
            ys.append(Array._wrap(np.zeros((0,) + a.shape, a.dtype)))
        else:
            ys.append(Array._wrap(np.stack([np.asarray(step[k]) for step in ys_steps])))
    return carry + ys


def _index0(x: Any, i: int) -> Any:
    return basic_getitem(x, i)


def scan_flat(body: Callable[..., list[Any]], consts: list[Any], init: list[Any], xs: list[Any],
              length: int, reverse: bool, max_steps: int | None = None) -> list[Any]:
    """Stage ``body(*consts, *carry, *x_slices) -> carry + ys`` and bind scan."""
    x_avals = [ShapedArray(get_aval(x).shape[1:], get_aval(x).dtype, get_aval(x).weak_type) for x in xs]
    prog, pconsts = _stage(lambda *a: body(*a), _avals(consts) + _avals(init) + x_avals)
    return list(scan_p.bind(*pconsts, *consts, *init, *xs, body=prog, length=length, reverse=reverse,
                            n_consts=len(pconsts) + len(consts), n_carry=len(init), **_budget(max_steps)))


def _scan_jvp(primals: Sequence[Any], tangents: Sequence[Any], *, body: Program, length: int, reverse: bool,
              n_consts: int, n_carry: int, max_steps: int | None = None) -> Any:
    consts, carry, xs = _scan_split(primals, n_consts, n_carry)
    ts = [core.instantiate(t) for t in tangents]
    ts = [t if r.is_float(p) else zeros_array(get_aval(p)) for t, p in zip(ts, primals)]
    tc, tcarry, txs = _scan_split(ts, n_consts, n_carry)
    jp, jconsts = jvp_program(body)
    nc, nk, nx = len(consts), len(carry), len(xs)
    n_out_y = len(body.outs) - n_carry

    def step(*a: Any) -> list[Any]:
        c, ct = list(a[:nc]), list(a[nc:2 * nc])
        k, kt = list(a[2 * nc:2 * nc + nk]), list(a[2 * nc + nk:2 * nc + 2 * nk])
        x, xt = list(a[2 * nc + 2 * nk:2 * nc + 2 * nk + nx]), list(a[2 * nc + 2 * nk + nx:])
        out = _run(jp, list(jconsts) + c + k + x + ct + kt + xt)
        n = len(body.outs)
        prim_out, tan_out = out[:n], out[n:]
        return prim_out[:nk] + tan_out[:nk] + prim_out[nk:] + tan_out[nk:]

    out = scan_flat(step, consts + tc, carry + tcarry, xs + txs, length, reverse, max_steps)
    new_carry, new_tcarry = out[:nk], out[nk:2 * nk]
    ys, tys = out[2 * nk:2 * nk + n_out_y], out[2 * nk + n_out_y:]
    return new_carry + ys, new_tcarry + tys


def _scan_vjp_all(cts: Sequence[Any], ans: Any, *args: Any, body: Program, length: int, reverse: bool,
                  n_consts: int, n_carry: int, max_steps: int | None = None) -> list[Any]:
    consts, carry, xs = _scan_split(args, n_consts, n_carry)
    nk = n_carry
    cts = [c if c is not None else zeros_array(get_aval(a).strip_weak()) for c, a in zip(cts, ans)]
    ct_carry, ct_ys = list(cts[:nk]), list(cts[nk:])
    # forward again, keeping the carry that entered each step
    def fwd_step(*a: Any) -> list[Any]:
        c, k, x = list(a[:n_consts]), list(a[n_consts:n_consts + nk]), list(a[n_consts + nk:])
        out = _run(body, c + k + x)
        return out[:nk] + k

    saved = scan_flat(fwd_step, consts, carry, xs, length, reverse, max_steps)[nk:]
    vp, vconsts = vjp_program(body)

    def bwd_step(*a: Any) -> list[Any]:
        c = list(a[:n_consts])
        acc_c, ct_k = list(a[n_consts:2 * n_consts]), list(a[2 * n_consts:2 * n_consts + nk])
        rest = list(a[2 * n_consts + nk:])
        k_in, x_in, cty = rest[:nk], rest[nk:nk + len(xs)], rest[nk + len(xs):]
        in_cts = _run(vp, list(vconsts) + c + k_in + x_in + ct_k + cty)
        d_c, d_k, d_x = in_cts[:n_consts], in_cts[n_consts:n_consts + nk], in_cts[n_consts + nk:]
        new_acc = [r.add(a_, d) if r.is_float(a_) else a_ for a_, d in zip(acc_c, d_c)]
        return new_acc + d_k + d_x

    acc0 = [zeros_array(get_aval(c).strip_weak()) for c in consts]
    out = scan_flat(bwd_step, consts, acc0 + ct_carry, saved + xs + ct_ys, length, not reverse, max_steps)
    d_consts, d_carry, d_xs = out[:n_consts], out[n_consts:n_consts + nk], out[n_consts + nk:]
    res = []
    for c, a in zip(d_consts + d_carry + d_xs, args):
        res.append(c if r.is_float(a) else None)
    return res


def _scan_batch(vals: Sequence[Any], dims: Sequence[int | None], *, axis_size: int, body: Program,
                length: int, reverse: bool, n_consts: int, n_carry: int, max_steps: int | None = None) -> Any:
    consts, carry, xs = _scan_split(vals, n_consts, n_carry)
    cd, _, xd = _scan_split(dims, n_consts, n_carry)
    carry = [r.bdim_to_front(c, d, axis_size) for c, d in zip(carry, dims[n_consts:n_consts + n_carry])]
    # xs: scan axis 0, batch axis 1
    new_xs = []
    x_in_dims: list[int | None] = []
    for x, d in zip(xs, xd):
        if d is None:
            new_xs.append(x)
            x_in_dims.append(None)
        else:
            new_xs.append(r.moveaxis(x, d, 1))
            x_in_dims.append(0)
    bprog, bconsts = batch_program(body, list(cd) + [0] * len(carry) + x_in_dims, axis_size)
    out = scan_flat(lambda *a: _run(bprog, list(bconsts) + list(a)), consts, carry, new_xs, length, reverse,
                    max_steps)
    nk = len(carry)
    ys = out[nk:]
    return out[:nk] + ys, [0] * nk + [1] * len(ys)


scan_p.impl = _scan_impl
scan_p.abstract_eval = _scan_abstract
jvp_rules[scan_p] = _scan_jvp
vjp_rules[scan_p] = VjpAll(_scan_vjp_all)
batch_rules[scan_p] = _scan_batch


def _scan_inputs(ins: list[ShapedArray], params: dict[str, Any]) -> SubprogramFeeds:
    nc = _count(params, "n_consts", len(ins))
    ncarry = _count(params, "n_carry", len(ins) - nc)
    slices = []
    for x in ins[nc + ncarry:]:
        if not x.shape:
            raise ValueError(f"a scanned-over operand must have a leading axis, got {x.str_short()}")
        slices.append(ShapedArray(x.shape[1:], x.dtype, x.weak_type))
    return [("body", _prog(params, "body"), ins[:nc + ncarry] + slices)]


param_types[scan_p] = {"body": _PROGRAM, "length": P.SIZE, "reverse": P.BOOL, "n_consts": P.COUNT,
                       "n_carry": P.COUNT, "max_steps": _MAX_STEPS}
subprogram_inputs[scan_p] = _scan_inputs
