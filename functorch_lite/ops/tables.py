"""The rule tables: one table per kind of rule, each read by one interpreter.

A primitive's declaration (``impl`` and ``abstract_eval``, its definition) is
an attribute of the :class:`~functorch_lite.core.Primitive`; everything a
*transform* needs to know about it is a row in the table that transform owns,
written beside the declaration in ``ops/`` (JAX's layout: ``ad.primitive_jvps``,
``batching.primitive_batchers``).  A new transform is one new table here, one
interpreter module that reads it, and one row beside each op it supports.

==================  ==============================================  ==========================
table               a row is                                        read by
==================  ==============================================  ==========================
``jvp_rules``       ``rule(primals, tangents, **params)``           ``transforms/ad.py`` (jvp)
                    ``-> (out, tangent_out)``
``vjp_rules``       a tuple, one ``rule(ct, ans, *primals,          ``transforms/ad.py`` (vjp),
                    **params)`` or None per argument; or            the Tensor tape
                    :class:`VjpAll` for every argument at once
``batch_rules``     ``rule(vals, dims, *, axis_size, **params)``    ``transforms/batching.py``
                    ``-> (out, out_dim)``
``fusion_rules``    a ``FusionRule`` (``ops/fusion_rules.py``):     ``transforms/fusion_partition.py``,
                    an elementwise template, a reduction or a       ``transforms/fusion_group.py``
                    view's index map
``specializers``    ``make(*avals, **params)`` -> a callable of     ``transforms/fusion.py``
                    the arrays alone, or None
``param_types``     ``{param name: ParamSpec}`` allowed in a        ``export.py``
                    saved program (``ops/params.py``)
``param_checks``    ``check(params, n_inputs)`` raising             ``export.py``
                    ValueError: what a type alone cannot say
``subprogram_       ``inputs(in_avals, params)`` -> ``[(label,      ``export.py``
inputs``            program, avals it is fed)]`` (control flow)
``in_place_impls``  ``impl(x, out=x)``: a unary op that can write   ``transforms/fusion.py``
                    its result (same dtype) over its operand
==================  ==============================================  ==========================

Looking a rule up with ``table[prim]`` raises :class:`MissingRuleError`
naming the primitive and the rule when the row is missing; ``table.get(prim)``
gives None instead.

Example:
    >>> from functorch_lite.ops import elementwise
    >>> from functorch_lite.ops.tables import batch_rules, jvp_rules
    >>> elementwise.exp_p in jvp_rules, batch_rules.kind
    (True, 'batch')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from functorch_lite.core import MissingRuleError, Primitive
from functorch_lite.ops.fusion_rules import FusionRule

R = TypeVar("R")

JvpRule = Callable[..., tuple[Any, Any]]
VjpRule = Callable[..., Any]
BatchRule = Callable[..., tuple[Any, Any]]
Specializer = Callable[..., Callable[..., Any] | None]


class RuleTable(dict[Primitive, R]):
    """A dict from primitive to rule whose missing rows raise
    :class:`MissingRuleError` (naming the primitive and the rule kind).

    Example:
        >>> from functorch_lite.core import PRIMITIVES
        >>> t: RuleTable[int] = RuleTable("example")
        >>> try:
        ...     t[PRIMITIVES["add"]]
        ... except MissingRuleError as e:
        ...     print(e)
        primitive 'add' has no example rule, so it cannot be used under this transform
    """

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def __missing__(self, prim: Primitive) -> R:
        raise self.missing(prim)

    def missing(self, prim: Primitive) -> MissingRuleError:
        """The error a lookup of ``prim``'s missing row raises."""
        return MissingRuleError(
            f"primitive {prim.name!r} has no {self.kind} rule, so it cannot be used under this transform"
        )

    def define(self, prim: Primitive) -> Callable[[R], R]:
        """Decorator form: ``@table.define(prim)`` over the rule.

        Example:
            >>> t: RuleTable[Callable[[], int]] = RuleTable("example")
            >>> from functorch_lite.core import PRIMITIVES
            >>> @t.define(PRIMITIVES["add"])
            ... def _rule() -> int:
            ...     return 1
            >>> t[PRIMITIVES["add"]]()
            1
        """

        def register(rule: R) -> R:
            self[prim] = rule
            return rule

        return register


class VjpAll:
    """A vjp row giving every argument's cotangent at once (ops with any
    number of operands, control flow): ``rule(ct, ans, *primals, **params)``
    returns one cotangent or None per argument.

    Example:
        >>> VjpAll(lambda ct, ans, *xs: [ct] * len(xs)).rule("c", None, 1, 2)
        ['c', 'c']
    """

    __slots__ = ("rule",)

    def __init__(self, rule: Callable[..., Sequence[Any]]) -> None:
        self.rule = rule


jvp_rules: RuleTable[JvpRule] = RuleTable("jvp")
vjp_rules: RuleTable[Sequence[VjpRule | None] | VjpAll] = RuleTable("vjp")
batch_rules: RuleTable[BatchRule] = RuleTable("batch")
fusion_rules: RuleTable[FusionRule] = RuleTable("fusion")
specializers: RuleTable[Specializer] = RuleTable("specialize")
param_types: RuleTable[dict[str, Any]] = RuleTable("param types")
param_checks: RuleTable[Callable[[dict[str, Any], int], None]] = RuleTable("param check")
subprogram_inputs: RuleTable[Callable[..., list[tuple[str, Any, list[Any]]]]] = RuleTable("sub-program inputs")
in_place_impls: RuleTable[Callable[..., Any]] = RuleTable("in-place impl")

__all__ = [
    "RuleTable", "VjpAll", "JvpRule", "VjpRule", "BatchRule", "Specializer",
    "jvp_rules", "vjp_rules", "batch_rules", "fusion_rules", "specializers", "param_types",
    "param_checks", "subprogram_inputs", "in_place_impls",
]
