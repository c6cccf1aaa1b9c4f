"""Pytrees: nested containers of arrays that every transform takes and returns.

Tuples, lists, dicts (keys sorted), ``OrderedDict`` (insertion order),
namedtuples and ``None`` (a node with no children) are built in; register
your own types with :func:`register_pytree_node` or
:func:`register_dataclass`.  Anything else is a leaf.

Example:
    >>> from functorch_lite import tree
    >>> leaves, treedef = tree.flatten({"b": (1, 2), "a": [3]})
    >>> leaves
    [3, 1, 2]
    >>> tree.unflatten(treedef, [30, 10, 20])
    {'a': [30], 'b': (10, 20)}
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, NamedTuple, TypeVar

T = TypeVar("T")


class _NodeType(NamedTuple):
    to_iterable: Callable[[Any], tuple[Iterable[Any], Hashable]]
    from_iterable: Callable[[Hashable, Iterable[Any]], Any]


_REGISTRY: dict[type, _NodeType] = {}


def register_pytree_node(
    nodetype: type,
    flatten_func: Callable[[Any], tuple[Iterable[Any], Hashable]],
    unflatten_func: Callable[[Hashable, Iterable[Any]], Any],
) -> None:
    """Make ``nodetype`` a pytree node.

    ``flatten_func(x) -> (children, aux_data)`` (aux_data hashable) and
    ``unflatten_func(aux_data, children) -> x``.

    Example:
        >>> class Pair:
        ...     def __init__(self, a, b): self.a, self.b = a, b
        >>> register_pytree_node(Pair, lambda p: ((p.a, p.b), None), lambda _, c: Pair(*c))
        >>> leaves(Pair(1, (2, 3)))
        [1, 2, 3]
    """
    if nodetype in _REGISTRY:
        raise ValueError(f"{nodetype.__name__} is already registered as a pytree node")
    _REGISTRY[nodetype] = _NodeType(flatten_func, unflatten_func)


def register_dataclass(
    cls: type[T], data_fields: Sequence[str] | None = None, meta_fields: Sequence[str] | None = None
) -> type[T]:
    """Register a dataclass: ``data_fields`` are children, ``meta_fields`` static.

    Usable as a decorator (all fields are data unless marked with
    ``dataclasses.field(metadata={"static": True})``).

    Example:
        >>> import dataclasses
        >>> @register_dataclass
        ... @dataclasses.dataclass
        ... class Params:
        ...     w: float
        ...     name: str = dataclasses.field(default="p", metadata={"static": True})
        >>> leaves(Params(2.0))
        [2.0]
    """
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"register_dataclass needs a dataclass, got {cls!r}")
    fields = dataclasses.fields(cls)
    if data_fields is None or meta_fields is None:
        meta = [f.name for f in fields if f.metadata.get("static", False)]
        data = [f.name for f in fields if f.name not in meta]
    else:
        data, meta = list(data_fields), list(meta_fields)
    data_t, meta_t = tuple(data), tuple(meta)

    def flat(x: Any) -> tuple[Iterable[Any], Hashable]:
        return [getattr(x, n) for n in data_t], tuple(getattr(x, n) for n in meta_t)

    def unflat(aux: Hashable, children: Iterable[Any]) -> Any:
        kwargs = dict(zip(data_t, children))
        kwargs.update(zip(meta_t, aux))  # type: ignore[call-overload]
        return cls(**kwargs)

    register_pytree_node(cls, flat, unflat)
    return cls


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


class PyTreeDef:
    """The structure of a pytree: node types, aux data and leaf positions.

    Example:
        >>> structure((1, [2, 3]))
        PyTreeDef((*, [*, *]))
    """

    __slots__ = ("kind", "aux", "children", "num_leaves", "_hash")

    def __init__(self, kind: Any, aux: Hashable, children: tuple[PyTreeDef, ...]) -> None:
        self.kind = kind  # None for a leaf
        self.aux = aux
        self.children = children
        self.num_leaves: int = 1 if kind is None else sum(c.num_leaves for c in children)
        self._hash = hash((kind, aux, children))

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, PyTreeDef)
            and self._hash == other._hash
            and self.kind == other.kind
            and self.aux == other.aux
            and self.children == other.children
        )

    def __hash__(self) -> int:
        return self._hash

    def unflatten(self, leaves: Iterable[Any]) -> Any:
        it = iter(leaves)
        out = self._build(it)
        if next(it, _SENTINEL) is not _SENTINEL:
            raise ValueError(f"too many leaves for the tree structure {self}")
        return out

    def _build(self, it: Any) -> Any:
        if self.kind is None:
            v = next(it, _SENTINEL)
            if v is _SENTINEL:
                raise ValueError(f"too few leaves for the tree structure {self}")
            return v
        kids = [c._build(it) for c in self.children]
        return _rebuild(self.kind, self.aux, kids)

    def __repr__(self) -> str:
        return f"PyTreeDef({self._str()})"

    def _str(self) -> str:
        if self.kind is None:
            return "*"
        kids = [c._str() for c in self.children]
        if self.kind is tuple:
            return "(" + ", ".join(kids) + ("," if len(kids) == 1 else "") + ")"
        if self.kind is list:
            return "[" + ", ".join(kids) + "]"
        if self.kind is dict or self.kind is OrderedDict:
            return "{" + ", ".join(f"{k!r}: {v}" for k, v in zip(self.aux, kids)) + "}"  # type: ignore[call-overload]
        if self.kind is type(None):
            return "None"
        name = getattr(self.kind, "__name__", str(self.kind))
        return f"{name}(" + ", ".join(kids) + ")"


_SENTINEL = object()
_LEAF = PyTreeDef(None, None, ())


def _rebuild(kind: Any, aux: Hashable, kids: list[Any]) -> Any:
    if kind is tuple:
        return tuple(kids)
    if kind is list:
        return kids
    if kind is dict:
        return dict(zip(aux, kids))  # type: ignore[call-overload]
    if kind is OrderedDict:
        return OrderedDict(zip(aux, kids))  # type: ignore[call-overload]
    if kind is type(None):
        return None
    if isinstance(kind, type) and issubclass(kind, tuple) and hasattr(kind, "_fields"):
        return kind(*kids)
    return _REGISTRY[kind].from_iterable(aux, kids)


def _flatten(x: Any, leaves: list[Any], is_leaf: Callable[[Any], bool] | None) -> PyTreeDef:
    if is_leaf is not None and is_leaf(x):
        leaves.append(x)
        return _LEAF
    t = type(x)
    if t is tuple or t is list:
        return PyTreeDef(t, None, tuple(_flatten(c, leaves, is_leaf) for c in x))
    if t is dict:
        keys = sorted(x)
        return PyTreeDef(dict, tuple(keys), tuple(_flatten(x[k], leaves, is_leaf) for k in keys))
    if t is OrderedDict:
        keys = list(x)
        return PyTreeDef(OrderedDict, tuple(keys), tuple(_flatten(x[k], leaves, is_leaf) for k in keys))
    if x is None:
        return PyTreeDef(type(None), None, ())
    if _is_namedtuple(x):
        return PyTreeDef(t, None, tuple(_flatten(c, leaves, is_leaf) for c in x))
    node = _REGISTRY.get(t)
    if node is not None:
        children, aux = node.to_iterable(x)
        return PyTreeDef(t, aux, tuple(_flatten(c, leaves, is_leaf) for c in children))
    leaves.append(x)
    return _LEAF


def flatten(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> tuple[list[Any], PyTreeDef]:
    """Leaves (in order) and the structure of ``tree``.

    Example:
        >>> flatten([1, (2, None)])[0]
        [1, 2]
    """
    leaves: list[Any] = []
    treedef = _flatten(tree, leaves, is_leaf)
    return leaves, treedef


def unflatten(treedef: PyTreeDef, leaves: Iterable[Any]) -> Any:
    """Rebuild a tree of structure ``treedef`` from ``leaves``.

    Example:
        >>> unflatten(structure((0, 0)), [5, 6])
        (5, 6)
    """
    return treedef.unflatten(leaves)


def leaves(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> list[Any]:
    """The leaves of ``tree``.

    Example:
        >>> leaves({"x": 1, "y": [2, 3]})
        [1, 2, 3]
    """
    return flatten(tree, is_leaf)[0]


def structure(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> PyTreeDef:
    """The structure of ``tree``.

    Example:
        >>> structure({"a": 1}) == structure({"a": 2})
        True
    """
    return flatten(tree, is_leaf)[1]


def map(f: Callable[..., Any], tree: Any, *rest: Any, is_leaf: Callable[[Any], bool] | None = None) -> Any:  # noqa: A001
    """Apply ``f`` leafwise over ``tree`` (and trees of the same structure).

    Example:
        >>> map(lambda a, b: a + b, (1, [2]), (10, [20]))
        (11, [22])
    """
    lv, treedef = flatten(tree, is_leaf)
    others = []
    for r in rest:
        rl, rdef = flatten(r, is_leaf)
        if rdef != treedef:
            raise ValueError(f"tree.map: structures differ: {treedef} vs {rdef}")
        others.append(rl)
    return treedef.unflatten(f(*xs) for xs in zip(lv, *others))


def all_leaves(iterable: Iterable[Any]) -> bool:
    """Whether every element is a leaf (not a container).

    Example:
        >>> all_leaves([1, 2.0]), all_leaves([(1,)])
        (True, False)
    """
    return all(structure(x) == _LEAF for x in iterable)


tree_flatten = flatten
tree_unflatten = unflatten
tree_map = map
tree_leaves = leaves
tree_structure = structure
