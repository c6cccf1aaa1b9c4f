"""The rows of ``fusion_rules``: what a primitive contributes to a fused loop.

``jit`` fuses chains of equations into generated Numba kernels
(``transforms/fusion*.py``).  An op takes part only through its row in
:data:`~functorch_lite.ops.tables.fusion_rules`, declared beside the op in
``ops/``, and the row is one :class:`FusionRule` of three kinds:

- :class:`Elementwise`: the scalar expression the op computes, inlined into
  the loop body (``add``: ``"({0} + {1})"``);
- :class:`Reduction`: how the loop accumulates it (start value, accumulator
  dtype, combining expression, vectorised chunk reducer);
- :class:`IndexMap`: a view op (``broadcast_in_dim``, ``transpose``...) that
  only changes how its operand is indexed: the operand is read through the
  map and never materialised.

Example:
    >>> import numpy as np
    >>> f32 = np.dtype("float32")
    >>> Elementwise("fm.exp_{t}({0})", floats_only=True).expr(["x"], [f32], f32, {}, [None])
    'fm.exp_f32(x)'
    >>> IndexMap(lambda om, x, out, params: om[::-1]).operand_map((3, 4), (2, 2), (2, 2), {})
    (4, 3)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: a value's axes -> iteration dims of its fused loop (None: the axis has size 1 / is not iterated)
Map = tuple[int | None, ...]

#: ``build(names, in_dtypes, out_dtype, params, literals) -> source | None``: ``literals[i]``
#: is operand i's value when it is a compile-time scalar, else None
ExprBuilder = Callable[[list[str], list[np.dtype[Any]], np.dtype[Any], dict[str, Any], list[Any]], "str | None"]

_SHORT = {"float32": "f32", "float64": "f64", "int8": "i8", "int16": "i16", "int32": "i32", "int64": "i64",
          "uint8": "u8", "bool": "b"}
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


class FusionRule:
    """Base of the three kinds of row (the table's one type).

    Example:
        >>> isinstance(Elementwise("({0})"), FusionRule)
        True
    """

    __slots__ = ()


@dataclass(frozen=True)
class Elementwise(FusionRule):
    """A scalar expression in the fused loop body.

    ``template`` is a format string over the operand names ``{0}``, ``{1}``...
    and ``{t}`` (the first operand dtype's short name: f32, i8...);
    ``floats_only`` limits it to float32/float64 operands; complex operands
    or results fuse only where ``complex_ok`` (the expression is right for
    complex scalars in Numba, special values included).  ``build``, when
    given, replaces the template: it returns the source, or None for "not
    fusable with these dtypes/params" (the op then runs its impl).  Names
    resolve in the generated module: ``np`` and ``fm``
    (``ops/kernels/fastmath.py``); the generator casts every result back to
    the output dtype.  ``alone_impl``: dtypes (by name) for which a
    group of this op alone -- nothing else computed with it -- runs the
    op's impl instead of a generated kernel, because NumPy's own loop for it
    is faster than the expression's (fusing it with other ops still wins:
    the chain's memory passes are saved).

    Example:
        >>> i8 = np.dtype("int8")
        >>> Elementwise("({0} + {1})").expr(["a", "b"], [i8, i8], i8, {}, [None, None])
        '(a + b)'
        >>> Elementwise("fm.tanh_{t}({0})", floats_only=True).expr(["a"], [i8], i8, {}, [None]) is None
        True
    """

    template: str = ""
    floats_only: bool = False
    build: ExprBuilder | None = None
    complex_ok: bool = False
    alone_impl: frozenset[str] = frozenset()

    def expr(self, names: list[str], dts: list[np.dtype[Any]], out: np.dtype[Any], params: dict[str, Any],
             lits: list[Any]) -> str | None:
        """The expression's source over ``names``, or None where the op does not fuse."""
        if not self.complex_ok and (out.kind == "c" or any(d.kind == "c" for d in dts)):
            return None
        if self.build is not None:
            return self.build(names, dts, out, params, lits)
        if self.floats_only and (not dts or dts[0] not in _FLOATS):
            return None
        return self.template.format(*names, t=_SHORT.get(dts[0].name, dts[0].name) if dts else "")


@dataclass(frozen=True)
class Reduction(FusionRule):
    """A reduction over ``params["axes"]`` accumulated in the fused loop.

    ``identity(dtype)`` is the start value, ``acc(dtype)`` the accumulator
    dtype, ``combine(dtype)`` a format string over the accumulator ``{0}``
    and a value ``{1}``, and ``chunk`` the name (in ops/kernels/fastmath.py)
    of the vectorised reducer of a buffered chunk of values.

    Example:
        >>> r = Reduction(lambda dt: 0, lambda dt: dt, lambda dt: "({0} + {1})", "sum_chunk")
        >>> r.combine(np.dtype("int8")).format("s", "x"), r.axes({"axes": (1,)})
        ('(s + x)', (1,))
    """

    identity: Callable[[np.dtype[Any]], Any]
    acc: Callable[[np.dtype[Any]], np.dtype[Any]]
    combine: Callable[[np.dtype[Any]], str]
    chunk: str

    def axes(self, params: dict[str, Any]) -> tuple[int, ...]:
        """The reduced axes of the operand."""
        return tuple(params["axes"])


@dataclass(frozen=True)
class IndexMap(FusionRule):
    """A view op read through an index map instead of being materialised.

    ``operand_map(out_map, in_shape, out_shape, params)`` gives the operand's
    map from the result's (an axis of size 1, or one that is broadcast,
    maps to None); ``accepts(in_shape, out_shape, params)`` says whether this
    instance of the op is such a view (a ``reshape`` only when it adds or
    drops size-1 axes).

    Example:
        >>> swap = IndexMap(lambda om, x, out, params: (om[1], om[0]))
        >>> swap.operand_map((7, 8), (2, 3), (3, 2), {}), swap.accepts((2, 3), (3, 2), {})
        ((8, 7), True)
    """

    operand_map: Callable[[Map, tuple[int, ...], tuple[int, ...], dict[str, Any]], Map]
    accepts: Callable[[tuple[int, ...], tuple[int, ...], dict[str, Any]], bool] = lambda x, out, params: True


def squeezable(src: Sequence[int], dst: Sequence[int]) -> bool:
    """Whether ``src`` and ``dst`` differ only by size-1 axes.

    Example:
        >>> squeezable((1, 3, 1, 4), (3, 4)), squeezable((2, 3), (3, 2))
        (True, False)
    """
    return [d for d in src if d != 1] == [d for d in dst if d != 1]


__all__ = ["FusionRule", "Elementwise", "Reduction", "IndexMap", "Map", "ExprBuilder", "squeezable"]
