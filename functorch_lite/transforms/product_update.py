"""Fusion, pass 0b: fold an update into the matrix product it adds (before partitioning).

``c - s * dot_general(a, b)`` (or ``c + s * ...``, ``c - ...``, ``c + ...``)
where the product and its scaled copy have no other use becomes one
``dot_update(c, a, b, alpha=-s)``: GEMM computes ``alpha * a @ b + c`` in
its own loop (``beta = 1``), so the product is never written out and read
back (XLA fuses a dot with its addend the same way).  This is SGD's weight
update ``w - lr * (x.T @ g)``: on MNIST's 1024x1024 float32 weight it saves
the gradient's 4 MB write and read.  The values are the elementwise form's
up to the rounding of one fused multiply-add per element.

Only float32 matrix products (the dtype it was measured on) of at least :data:`MIN_ELEMENTS` outputs are
folded (below it the weights stay in cache, and copying ``w`` into the
result costs more than the fused update kernel), with ``s`` a compile-time
scalar.

Example:
    >>> import functorch_lite as fl
    >>> import functorch_lite.numpy as jnp
    >>> from functorch_lite.transforms.compiler import optimize
    >>> f = lambda w, x, g: w - 0.1 * (x.T @ g)
    >>> p = optimize(fl.make_ir(f)(jnp.ones((512, 1024)), jnp.ones((8, 512)), jnp.ones((8, 1024))))
    >>> [e.prim.name for e in product_updates(p).eqns]
    ['dot_update']
"""

from __future__ import annotations

import numpy as np

from functorch_lite.ops.elementwise import add_p, mul_p, sub_p
from functorch_lite.ops.linalg import dot_general_p, dot_update_p
from functorch_lite.transforms.ir import Atom, Eqn, Literal, Program, Var, is_scalar_literal
from functorch_lite.transforms.patterns import use_counts

#: the smallest product (in output elements) worth one BLAS call with the update folded in:
#: a weight larger than a core's L2 (a 784x256 float32 update measured 2 % slower folded,
#: 784x1024 and 1024x1024 3 % of a whole MNIST step faster)
MIN_ELEMENTS = 1 << 19


def _scale(e: Eqn, x: Var) -> float | None:
    """``s`` when ``e`` is ``s * x`` or ``x * s`` for a compile-time scalar ``s``."""
    other = e.inputs[1] if e.inputs[0] is x else e.inputs[0]
    if isinstance(other, Literal) and is_scalar_literal(other.val) and other.val.dtype == x.aval.dtype:
        return float(other.scalar())
    return None


def _plain_product(e: Eqn) -> bool:
    (lc, _), (lb, _) = e.params["dimension_numbers"]
    out = e.outvars[0].aval
    a, b = e.inputs
    # float32 only: measured there (float64's GEMMs behave differently here, see product_layout)
    return (not lb and len(lc) == 1 and out.ndim == 2 and out.dtype == np.float32
            and a.aval.dtype == b.aval.dtype == out.dtype
            and e.params.get("preferred_element_type") in (None, out.dtype)
            and out.shape[0] * out.shape[1] >= MIN_ELEMENTS)


def product_updates(p: Program) -> Program:
    """``p`` with every update of a product folded into it (``p`` itself if none).

    Example:
        >>> import functorch_lite as fl
        >>> import functorch_lite.numpy as jnp
        >>> from functorch_lite.transforms.compiler import optimize
        >>> p = optimize(fl.make_ir(lambda w, x: (w - x @ x, x @ x))(jnp.ones((1024, 1024)), jnp.ones((1024, 1024))))
        >>> product_updates(p) is p   # the product is also an output: nothing folds
        True
    """
    uses = use_counts(p, outputs=True)
    made: dict[int, int] = {id(v): i for i, e in enumerate(p.eqns) for v in e.outvars}

    def single(a: Atom, prim: object) -> Eqn | None:
        if not isinstance(a, Var) or uses.get(id(a)) != 1 or id(a) not in made:
            return None
        e = p.eqns[made[id(a)]]
        return e if e.prim is prim else None

    drop: set[int] = set()
    replace: dict[int, Eqn] = {}
    for i, e in enumerate(p.eqns):
        out = e.outvars[0].aval if e.outvars else None
        if e.prim not in (add_p, sub_p) or len(e.inputs) != 2 or out is None or out.dtype != np.float32:
            continue
        for k in ((1,) if e.prim is sub_p else (1, 0)):
            c, x = e.inputs[1 - k], e.inputs[k]
            if (not isinstance(c, Var) or c.aval.shape != out.shape or c.aval.dtype != out.dtype
                    or x.aval.dtype != out.dtype):
                continue
            scale, mul = 1.0, single(x, mul_p)
            prod_var: Atom = x
            if mul is not None:
                prod_var = mul.inputs[1] if isinstance(mul.inputs[0], Literal) else mul.inputs[0]
                s = _scale(mul, prod_var) if isinstance(prod_var, Var) else None
                if s is None:
                    continue
                scale = s
            dot = single(prod_var, dot_general_p)
            if dot is None or not _plain_product(dot) or dot.outvars[0].aval.shape != c.aval.shape:
                continue
            alpha = -scale if e.prim is sub_p else scale
            replace[i] = Eqn(dot_update_p, [c, dot.inputs[0], dot.inputs[1]],
                             {"dimension_numbers": dot.params["dimension_numbers"], "alpha": alpha}, e.outvars)
            drop.add(made[id(prod_var)])
            if mul is not None:
                drop.add(made[id(x)])
            break
    if not replace:
        return p
    eqns = [replace.get(i, e) for i, e in enumerate(p.eqns) if i not in drop]
    return Program(p.invars, p.constvars, p.consts, eqns, p.outs)


__all__ = ["product_updates", "MIN_ELEMENTS"]
