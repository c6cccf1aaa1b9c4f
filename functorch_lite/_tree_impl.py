"""The implementation behind :mod:`functorch_lite.tree`, which re-exports its ``__all__``
(and whose docstring describes the module)."""

from __future__ import annotations

import dataclasses
import functools
import operator
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from itertools import islice
from typing import Any, NamedTuple, TypeVar

T = TypeVar("T")
Typ = TypeVar("Typ", bound=type)
Leaf = Any
KeyEntry = Any
KeyPath = tuple[Any, ...]

# ``map`` and ``all`` are this module's (JAX's names); the builtins stay reachable.
_builtin_all = all
_builtin_map = map
_NoneType = type(None)


# --- key paths ---------------------------------------------------------------------------


class _Key:
    """A key-path entry: one value, compared by type and value."""

    __slots__ = ("_v",)
    _field = ""

    def __init__(self, value: Any) -> None:
        self._v = value

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and bool(self._v == other._v)  # type: ignore[attr-defined, unused-ignore]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._v))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._field}={self._v!r})"

    def simple(self) -> str:
        """The entry as ``keystr(..., simple=True)`` writes it."""
        return str(self._v)


class SequenceKey(_Key):
    """The key of a tuple or list element: its index.

    Example:
        >>> k = SequenceKey(0)
        >>> k, str(k), k.idx
        (SequenceKey(idx=0), '[0]', 0)
    """

    __slots__ = ()
    __match_args__ = ("idx",)
    _field = "idx"

    def __init__(self, idx: int) -> None:
        self._v = idx

    @property
    def idx(self) -> int:
        return int(self._v)

    def __str__(self) -> str:
        return f"[{self._v!r}]"


class DictKey(_Key):
    """The key of a dict (or ``OrderedDict``, ``defaultdict``) entry.

    Example:
        >>> k = DictKey("w")
        >>> k, str(k), k.key
        (DictKey(key='w'), "['w']", 'w')
    """

    __slots__ = ()
    __match_args__ = ("key",)
    _field = "key"

    def __init__(self, key: Hashable) -> None:
        self._v = key

    @property
    def key(self) -> Hashable:
        return self._v  # type: ignore[no-any-return]

    def __str__(self) -> str:
        return f"[{self._v!r}]"


class GetAttrKey(_Key):
    """The key of a namedtuple or dataclass field: its attribute name.

    Example:
        >>> k = GetAttrKey("x")
        >>> k, str(k), k.name
        (GetAttrKey(name='x'), '.x', 'x')
    """

    __slots__ = ()
    __match_args__ = ("name",)
    _field = "name"

    def __init__(self, name: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"GetAttrKey needs an attribute name (a str), got {type(name).__name__}")
        self._v = name

    @property
    def name(self) -> str:
        return str(self._v)

    def __str__(self) -> str:
        return f".{self._v}"


class FlattenedIndexKey(_Key):
    """The key of a child of a node registered without keys: its position.

    Example:
        >>> k = FlattenedIndexKey(1)
        >>> k, str(k), k.key
        (FlattenedIndexKey(key=1), '[<flat index 1>]', 1)
    """

    __slots__ = ()
    __match_args__ = ("key",)
    _field = "key"

    def __init__(self, key: int) -> None:
        self._v = key

    @property
    def key(self) -> int:
        return int(self._v)

    def __str__(self) -> str:
        return f"[<flat index {self._v}>]"


def keystr(keys: KeyPath, *, simple: bool = False, separator: str = "") -> str:
    """A key path as text: each entry's ``str`` joined by ``separator``.

    ``simple=True`` writes bare indices, keys and names (shorter, but ``0``
    may then be a list index, an int key or the string key ``'0'``).

    Example:
        >>> params = {"foo": {"bar": [2, 3]}}
        >>> [keystr(p) for p, _ in leaves_with_path(params)]
        ["['foo']['bar'][0]", "['foo']['bar'][1]"]
        >>> keystr(leaves_with_path(params)[0][0], simple=True, separator="/")
        'foo/bar/0'
    """
    if simple:
        return separator.join(k.simple() if isinstance(k, _Key) else str(k) for k in keys)
    return separator.join(str(k) for k in keys)


# --- the registry ------------------------------------------------------------------------


class _NodeType(NamedTuple):
    to_iterable: Callable[[Any], tuple[Iterable[Any], Any]]
    from_iterable: Callable[[Any, Iterable[Any]], Any]
    to_iterable_with_keys: Callable[[Any], tuple[Iterable[tuple[Any, Any]], Any]] | None = None


# Registered node types (OrderedDict and defaultdict among them, as in JAX).
_REGISTRY: dict[type, _NodeType] = {}

# Flattening speed: ``_FLAT`` caches, per Python type, its flatten function
# (None for a leaf type), so a child costs one dict lookup instead of the
# registry/namedtuple tests; ``_LEAF_TYPES`` lets a whole container of leaves
# (a dict of arrays, a tuple of arguments) be checked and copied at C speed.
# Registration clears both; ``_generation`` keeps a classification computed
# before a registration from being cached after it.
_FLAT: dict[type, Callable[[Any, list[Any]], Any] | None] = {}
_LEAF_TYPES: set[type] = set()
_FLAT_CACHE_MAX = 4096  # dynamically created classes must not grow the cache without bound
_lock = threading.Lock()
_generation = [0]
_MISS: Any = object()


def _register(nodetype: type, node: _NodeType) -> None:
    if not isinstance(nodetype, type):
        raise TypeError(f"a pytree node type must be a class, got {nodetype!r}")
    with _lock:
        if nodetype in _REGISTRY or nodetype in _BUILTIN_FLAT:
            raise ValueError(
                f"Duplicate custom PyTreeDef type registration for {nodetype!r}: "
                f"{nodetype.__name__} is already registered as a pytree node")
        _REGISTRY[nodetype] = node
        _generation[0] += 1
        _FLAT.clear()
        _LEAF_TYPES.clear()


def _classify(t: type) -> Callable[[Any, list[Any]], Any] | None:
    """The flatten function of type ``t`` (None: a leaf), cached in ``_FLAT``."""
    gen = _generation[0]
    f = _BUILTIN_FLAT.get(t)
    if f is None:
        if t in _REGISTRY:
            f = _flat_custom
        elif issubclass(t, tuple) and hasattr(t, "_fields"):
            f = _flat_namedtuple
    with _lock:
        if gen == _generation[0]:
            if len(_FLAT) >= _FLAT_CACHE_MAX:
                _FLAT.clear()
                _LEAF_TYPES.clear()
            _FLAT[t] = f
            if f is None:
                _LEAF_TYPES.add(t)
    return f


def _is_namedtuple_type(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, tuple) and hasattr(kind, "_fields") and kind not in _REGISTRY


def _children_aux(node: _NodeType, x: Any) -> tuple[Sequence[Any], Any]:
    out = node.to_iterable(x)
    if not isinstance(out, tuple) or len(out) != 2:
        raise ValueError(
            f"the flatten function of the pytree node type {type(x).__name__} must return a "
            f"(children, aux_data) pair, got {_short(out)}")
    children, aux = out
    if type(children) is not list and type(children) is not tuple:
        try:
            children = list(children)
        except TypeError:
            raise ValueError(
                f"the flatten function of the pytree node type {type(x).__name__} returned children "
                f"that are not iterable: {_short(children)}") from None
    return children, aux


def _keyed_children_aux(node: _NodeType, x: Any) -> tuple[list[tuple[Any, Any]], Any]:
    assert node.to_iterable_with_keys is not None
    out = node.to_iterable_with_keys(x)
    if not isinstance(out, tuple) or len(out) != 2:
        raise ValueError(
            f"the flatten-with-keys function of the pytree node type {type(x).__name__} must return a "
            f"(key_child_pairs, aux_data) pair, got {_short(out)}")
    pairs = list(out[0])
    for p in pairs:
        if not isinstance(p, tuple) or len(p) != 2:
            raise ValueError(
                f"the flatten-with-keys function of the pytree node type {type(x).__name__} must give "
                f"(key, child) pairs, got {_short(p)}")
    return pairs, out[1]


def _short(x: Any, limit: int = 200) -> str:
    s = repr(x)
    return s if len(s) <= limit else s[:limit] + "..."


def _unsortable(d: dict[Any, Any], e: Exception) -> ValueError:
    return ValueError(
        f"pytree dict keys must be sortable, as the leaves follow the sorted keys; got keys {_short(list(d))} ({e})")


def _sorted_keys(d: dict[Any, Any]) -> list[Any]:
    try:
        return sorted(d)
    except TypeError as e:
        raise _unsortable(d, e) from e


def _aux_eq(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return bool(a == b)
    except Exception as e:
        raise TypeError(
            f"pytree aux data of type {type(a).__name__} cannot be compared with == ({e}); the aux data a "
            "flatten function returns must compare to a bool, as in JAX: use a tuple of hashable values "
            "(not arrays)") from e


# --- structures ----------------------------------------------------------------------------

# A structure is held as nested tuples, so that comparing and hashing a
# treedef (jit does both on every call) run at C speed:
#   a leaf:  None
#   a node:  (kind, aux, kids): ``kind`` the node's type; ``aux`` its aux data
#            (custom aux data wrapped in ``_Aux``); ``kids`` the number of
#            children when every child is a leaf (the common case: a dict of
#            arrays), else a tuple of the child structures.
# Each structure has one form (``_canon``), so tuple equality is structural
# equality.
Node = Any


class _Aux:
    """Custom aux data inside a structure: compared with ``==`` and hashed to a
    constant, as JAX does not require aux data to be hashable (a dict is fine)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return type(other) is _Aux and _aux_eq(self.value, other.value)

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return repr(self.value)


def _wrap_aux(kind: Any, aux: Any) -> Any:
    if aux is None or kind is dict or kind is OrderedDict:
        return aux  # None, or the keys (hashable, being dict keys)
    return _Aux(aux)


def _unwrap_aux(aux: Any) -> Any:
    return aux.value if type(aux) is _Aux else aux


def _canon(kids: list[Node]) -> int | tuple[Node, ...]:
    n = len(kids)
    return n if kids.count(None) == n else tuple(kids)


def _kid_nodes(node: Node) -> tuple[Node, ...]:
    kids = node[2]
    return (None,) * kids if type(kids) is int else kids


def _count_leaves(node: Node) -> int:
    if node is None:
        return 1
    kids = node[2]
    return kids if type(kids) is int else sum(_count_leaves(c) for c in kids)


def _count_nodes(node: Node) -> int:
    if node is None:
        return 1
    kids = node[2]
    return 1 + (kids if type(kids) is int else sum(_count_nodes(c) for c in kids))


class _ChildDefs(tuple["PyTreeDef", ...]):
    """A treedef's child structures: a tuple, and callable as JAX's
    ``treedef.children()`` (which returns them as a list)."""

    __slots__ = ()

    def __call__(self) -> list[PyTreeDef]:
        return list(self)


class PyTreeDef:
    """The structure of a pytree: node kinds, aux data and leaf positions.

    ``kind`` is the root's type (``None`` for a leaf), ``aux`` its aux data
    (a dict's sorted keys, a custom node's aux data), ``children`` the child
    structures.  Treedefs compare by structure and aux data (``==``), as in
    JAX; the hash leaves custom aux data out (it need not be hashable).

    Example:
        >>> structure((1, [2, 3]))
        PyTreeDef((*, [*, *]))
        >>> structure((1, [2, 3])).num_leaves, structure((1, [2, 3])).num_nodes
        (3, 5)
    """

    __slots__ = ("_node", "num_leaves", "_hash", "_builder", "_uses")

    def __init__(self, kind: Any, aux: Any, children: Iterable[PyTreeDef]) -> None:
        if kind is None:
            self._node: Node = None
            self.num_leaves: int = 1
        else:
            kids = list(children)
            self._node = (kind, _wrap_aux(kind, aux), _canon([c._node for c in kids]))
            self.num_leaves = sum(c.num_leaves for c in kids)
        self._hash: int | None = None
        self._builder: Callable[[list[Any]], Any] | None = None
        self._uses = 0

    @property
    def kind(self) -> Any:
        """The root's node type; None for a leaf."""
        return None if self._node is None else self._node[0]

    @property
    def aux(self) -> Hashable:
        """The root's aux data (a dict's keys in order; None for tuples, lists, leaves).

        Typed ``Hashable`` as JAX types it, though any aux data that compares
        with ``==`` is accepted (a dict too).
        """
        return None if self._node is None else _unwrap_aux(self._node[1])

    @property
    def children(self) -> _ChildDefs:
        """The child structures (a tuple; ``treedef.children()`` gives a list, as JAX's)."""
        if self._node is None:
            return _ChildDefs()
        return _ChildDefs([_td(c, _count_leaves(c)) for c in _kid_nodes(self._node)])

    @property
    def num_nodes(self) -> int:
        """Nodes and leaves in the structure."""
        return _count_nodes(self._node)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PyTreeDef):
            return NotImplemented
        return self is other or bool(self._node == other._node)

    def __hash__(self) -> int:
        h = self._hash
        if h is None:
            h = self._hash = hash(self._node)
        return h

    def unflatten(self, leaves: Iterable[Any]) -> Any:
        """Rebuild a tree of this structure from ``leaves`` (see :func:`unflatten`).

        Example:
            >>> structure({"a": 0, "b": (0, 0)}).unflatten([1, 2, 3])
            {'a': 1, 'b': (2, 3)}
        """
        xs = leaves if type(leaves) is list else list(leaves)
        if len(xs) != self.num_leaves:
            few = "few" if len(xs) < self.num_leaves else "many"
            raise ValueError(f"Too {few} leaves for PyTreeDef; expected {self.num_leaves}, got {len(xs)}: {self}")
        builder = self._builder
        if builder is not None:
            return builder(xs)
        node = self._node
        if node is None:
            return xs[0]
        uses = self._uses = self._uses + 1
        if uses == _COMPILE_AFTER_USES and self.num_leaves <= _COMPILE_MAX_LEAVES:
            builder = self._builder = _generate_builder(node)
            if builder is not None:
                return builder(xs)
        return _build(node, iter(xs))

    def flatten_up_to(self, xs: Any) -> list[Any]:
        """The subtrees of ``xs`` at this structure's leaves (``xs`` must have
        this structure, possibly with deeper subtrees where it has leaves).

        Example:
            >>> structure((0, 0)).flatten_up_to(([1, 2], {"a": 3}))
            [[1, 2], {'a': 3}]
        """
        out: list[Any] = []
        try:
            _up_to(self._node, xs, out)
        except _Mismatch as e:
            raise ValueError(f"{e.describe()}; the structure is {self}") from None
        return out

    def compose(self, inner: PyTreeDef) -> PyTreeDef:
        """The structure with ``inner`` in place of each leaf.

        Example:
            >>> structure([0, 0]).compose(structure((0, 0)))
            PyTreeDef([(*, *), (*, *)])
        """
        return _td(_compose(self._node, inner._node), self.num_leaves * inner.num_leaves)

    def node_data(self) -> tuple[type, Any] | None:
        """``(node type, aux data)`` of the root (a dict's keys as a list); None for a leaf.

        Example:
            >>> structure({"b": 1, "a": 2}).node_data()
            (<class 'dict'>, ['a', 'b'])
        """
        node = self._node
        if node is None:
            return None
        kind, aux = node[0], _unwrap_aux(node[1])
        return kind, (list(aux) if kind is dict else aux)

    def from_iterable_tree(self, xs: Any) -> Any:
        """Build this structure from nested iterables with its shape (JAX's ``build_tree``).

        Example:
            >>> structure([(0, 0), {"a": 0, "b": 0}]).from_iterable_tree([[1, 2], [3, 4]])
            [(1, 2), {'a': 3, 'b': 4}]
        """
        return _from_iterables(self._node, xs)

    def __repr__(self) -> str:
        return f"PyTreeDef({_node_str(self._node)})"

    def __reduce__(self) -> tuple[Any, ...]:
        # the structure only: a generated builder is not picklable (and is rebuilt on use)
        return _td, (self._node, self.num_leaves)


_new_object = object.__new__


def _td(node: Node, num_leaves: int) -> PyTreeDef:
    d: PyTreeDef = _new_object(PyTreeDef)
    d._node = node
    d.num_leaves = num_leaves
    d._hash = None
    d._builder = None
    d._uses = 0
    return d


def _compose(node: Node, inner: Node) -> Node:
    if node is None:
        return inner
    kind, aux, kids = node
    if type(kids) is int:
        if inner is None:
            return node
        kids = (None,) * kids
    return (kind, aux, _canon([_compose(c, inner) for c in kids]))


def _from_iterables(node: Node, xs: Any) -> Any:
    if node is None:
        return xs
    kids = _kid_nodes(node)
    ys = list(xs)
    if len(ys) != len(kids):
        raise ValueError(f"build_tree: {len(ys)} items where the node {_node_str(node)} has {len(kids)}")
    return _rebuild(node[0], node[1], [_from_iterables(c, y) for c, y in zip(kids, ys)])


def _node_str(node: Node) -> str:
    if node is None:
        return "*"
    kind, aux, kids = node
    parts = ["*"] * kids if type(kids) is int else [_node_str(c) for c in kids]
    if kind is tuple:
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
    if kind is list:
        return "[" + ", ".join(parts) + "]"
    if kind is dict:
        return "{" + ", ".join(f"{k!r}: {v}" for k, v in zip(aux, parts)) + "}"
    if kind is _NoneType:
        return "None"
    if kind in _REGISTRY:
        return f"CustomNode({kind.__name__}[{_unwrap_aux(aux)}], [{', '.join(parts)}])"
    return f"CustomNode(namedtuple[{kind.__name__}], [{', '.join(parts)}])"


_NONE_NODE = (_NoneType, None, 0)


# --- flattening ----------------------------------------------------------------------------


def _flat(x: Any, leaves: list[Any]) -> Node:
    f = _FLAT.get(type(x), _MISS)
    if f is _MISS:
        f = _classify(type(x))
    if f is None:
        leaves.append(x)
        return None
    return f(x, leaves)


def _kids(xs: Sequence[Any], leaves: list[Any]) -> int | tuple[Node, ...]:
    """The kids of a node with children ``xs``, their leaves appended to ``leaves``."""
    if _LEAF_TYPES.issuperset(_builtin_map(type, xs)):
        leaves.extend(xs)
        return len(xs)
    return _kids_mixed(xs, leaves)


def _kids_mixed(xs: Sequence[Any], leaves: list[Any]) -> int | tuple[Node, ...]:
    out: list[Node] = []
    nodes = False
    for c in xs:
        f = _FLAT.get(type(c), _MISS)
        if f is None:
            leaves.append(c)
            out.append(None)
        else:
            k = _flat(c, leaves) if f is _MISS else f(c, leaves)
            if k is not None:
                nodes = True
            out.append(k)
    return tuple(out) if nodes else len(out)


def _flat_tuple(x: tuple[Any, ...], leaves: list[Any]) -> Node:
    if _LEAF_TYPES.issuperset(_builtin_map(type, x)):
        leaves.extend(x)
        return (tuple, None, len(x))
    return (tuple, None, _kids_mixed(x, leaves))


def _flat_list(x: list[Any], leaves: list[Any]) -> Node:
    if _LEAF_TYPES.issuperset(_builtin_map(type, x)):
        leaves.extend(x)
        return (list, None, len(x))
    return (list, None, _kids_mixed(x, leaves))


# A dict's sorted order, per tuple of its keys in insertion order: C-speed
# getters of the sorted keys (taken from the dict's own key tuple, so that keys
# that compare equal but differ in type, 1 and 1.0, are kept as they are) and
# of the values in that order.  Model parameters are many dicts with the same
# few keys; sorting them and reading values one by one dominated flattening.
_DICT_ORDER: dict[tuple[Any, ...], tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {}
_DICT_ORDER_MAX = 4096


def _dict_order(keys: tuple[Any, ...], d: dict[Any, Any]) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    try:
        perm = sorted(range(len(keys)), key=keys.__getitem__)
    except TypeError as e:
        raise _unsortable(d, e) from e
    entry = (operator.itemgetter(*perm), operator.itemgetter(*[keys[i] for i in perm]))
    if len(_DICT_ORDER) >= _DICT_ORDER_MAX:
        _DICT_ORDER.clear()
    _DICT_ORDER[keys] = entry
    return entry


def _flat_dict(x: dict[Any, Any], leaves: list[Any]) -> Node:
    keys = tuple(x)
    n = len(keys)
    if n > 1:
        order = _DICT_ORDER.get(keys)
        if order is None:
            order = _dict_order(keys, x)
        keys = order[0](keys)
        vals = order[1](x)
    else:
        vals = tuple(_builtin_map(x.__getitem__, keys))
    if _LEAF_TYPES.issuperset(_builtin_map(type, vals)):
        leaves.extend(vals)
        return (dict, keys, n)
    return (dict, keys, _kids_mixed(vals, leaves))


def _flat_none(x: None, leaves: list[Any]) -> Node:
    return _NONE_NODE


def _flat_odict(x: OrderedDict[Any, Any], leaves: list[Any]) -> Node:
    keys = tuple(x)
    return (OrderedDict, keys, _kids([x[k] for k in keys], leaves))


def _flat_ddict(x: defaultdict[Any, Any], leaves: list[Any]) -> Node:
    keys = tuple(_sorted_keys(x))
    return (defaultdict, _Aux((x.default_factory, keys)), _kids([x[k] for k in keys], leaves))


def _flat_namedtuple(x: tuple[Any, ...], leaves: list[Any]) -> Node:
    return (type(x), None, _kids(x, leaves))


def _flat_custom(x: Any, leaves: list[Any]) -> Node:
    t = type(x)
    children, aux = _children_aux(_REGISTRY[t], x)
    return (t, None if aux is None else _Aux(aux), _kids(children, leaves))


_BUILTIN_FLAT: dict[type, Callable[[Any, list[Any]], Node]] = {
    tuple: _flat_tuple, list: _flat_list, dict: _flat_dict, _NoneType: _flat_none,
    OrderedDict: _flat_odict, defaultdict: _flat_ddict,
}


def _one_level(x: Any) -> tuple[Any, Any, Sequence[Any]] | None:
    """``(kind, aux, children)`` of a node, None for a leaf."""
    t = type(x)
    f = _FLAT.get(t, _MISS)
    if f is _MISS:
        f = _classify(t)
    if f is None:
        return None
    if t is dict:
        keys = _sorted_keys(x)
        return dict, tuple(keys), [x[k] for k in keys]
    if t is tuple or t is list or f is _flat_namedtuple:
        return t, None, x
    if t is _NoneType:
        return t, None, ()
    children, aux = _children_aux(_REGISTRY[t], x)
    return t, aux, children


def _one_level_keys(x: Any) -> tuple[Any, Any, list[tuple[Any, Any]]] | None:
    """``(kind, aux, [(key, child), ...])`` of a node, None for a leaf."""
    node = _REGISTRY.get(type(x))
    if node is not None and node.to_iterable_with_keys is not None:
        pairs, aux = _keyed_children_aux(node, x)
        return type(x), aux, pairs
    parts = _one_level(x)
    if parts is None:
        return None
    kind, aux, children = parts
    if kind is dict:
        keys: Sequence[Any] = [DictKey(k) for k in aux]
    elif kind is tuple or kind is list:
        keys = [SequenceKey(i) for i in range(len(children))]
    elif kind is not _NoneType and _is_namedtuple_type(kind):
        keys = [GetAttrKey(str(f)) for f in kind._fields]
    else:
        keys = [FlattenedIndexKey(i) for i in range(len(children))]
    return kind, aux, list(zip(keys, children))


def _says_leaf(answer: Any) -> bool:
    """An ``is_leaf`` answer: True, False or None (False), as JAX accepts."""
    if answer is True:
        return True
    if answer is False or answer is None:
        return False
    raise ValueError(f"is_leaf predicate returned a non-boolean value {answer!r}; expected a boolean")


def _flat_pred(x: Any, leaves: list[Any], is_leaf: Callable[[Any], Any]) -> Node:
    if _says_leaf(is_leaf(x)):
        leaves.append(x)
        return None
    parts = _one_level(x)
    if parts is None:
        leaves.append(x)
        return None
    kind, aux, children = parts
    return (kind, _wrap_aux(kind, aux), _canon([_flat_pred(c, leaves, is_leaf) for c in children]))


def _flat_path(x: Any, path: KeyPath, out: list[tuple[KeyPath, Any]],
               is_leaf: Callable[[KeyPath, Any], Any] | None) -> Node:
    if is_leaf is not None and _says_leaf(is_leaf(path, x)):
        out.append((path, x))
        return None
    parts = _one_level_keys(x)
    if parts is None:
        out.append((path, x))
        return None
    kind, aux, pairs = parts
    return (kind, _wrap_aux(kind, aux), _canon([_flat_path(c, (*path, k), out, is_leaf) for k, c in pairs]))


def flatten(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> tuple[list[Any], PyTreeDef]:
    """The leaves of ``tree`` (in order) and its structure.

    ``is_leaf(x)`` True stops the descent at ``x`` (a subtree becomes one
    leaf); it must return True, False or None, as in JAX.

    Example:
        >>> flatten([1, (2, None)])
        ([1, 2], PyTreeDef([*, (*, None)]))
        >>> flatten({"a": (1, 2)}, is_leaf=lambda x: isinstance(x, tuple))[0]
        [(1, 2)]
    """
    leaves: list[Any] = []
    node = _flat(tree, leaves) if is_leaf is None else _flat_pred(tree, leaves, is_leaf)
    return leaves, _td(node, len(leaves))


def _build(node: Node, it: Any) -> Any:
    """The node rebuilt from the leaf iterator ``it`` (the count was checked)."""
    kind, aux, kids = node
    if type(kids) is int:
        if kind is dict:
            return dict(zip(aux, islice(it, kids)))
        if kind is tuple:
            return tuple(islice(it, kids))
        vals = list(islice(it, kids))
        return vals if kind is list else _rebuild(kind, aux, vals)
    vals = [next(it) if c is None else _build(c, it) for c in kids]
    if kind is dict:
        return dict(zip(aux, vals))
    if kind is tuple:
        return tuple(vals)
    return vals if kind is list else _rebuild(kind, aux, vals)


def _rebuild(kind: Any, aux: Any, vals: list[Any]) -> Any:
    if kind is dict:
        return dict(zip(aux, vals))
    if kind is tuple:
        return tuple(vals)
    if kind is list:
        return vals
    if kind is _NoneType:
        return None
    node = _REGISTRY.get(kind)
    if node is not None:
        return node.from_iterable(_unwrap_aux(aux), tuple(vals))
    return kind(*vals)


# --- unflattening by generated code ---------------------------------------------------------

# A treedef unflattened many times (jit rebuilds its output tree from the same
# one on every call) is compiled into one Python expression that builds the
# whole tree from the leaf list (``{'b': (L[0], L[1]), 'w': L[2]}``), which
# runs about 3x faster than walking the structure.  Only our own names, leaf
# indices and the literals of exact str/int keys go into the source; every
# other key, aux data and node type is the treedef's own object, bound by
# name.  Deep or very large structures keep the walk (the compiler's nesting
# limit; compile time), and so do treedefs used a few times only.
_COMPILE_AFTER_USES = 4
_COMPILE_MAX_LEAVES = 20_000
_COMPILE_MAX_DEPTH = 40


def _generate_builder(node: Node) -> Callable[[list[Any]], Any] | None:
    names: dict[str, Any] = {}
    counter = [0]
    try:
        expr = _expr(node, counter, names, 0)
    except _TooDeep:
        return None
    src = f"def _unflatten(L):\n    return {expr}\n"
    try:
        code = compile(src, "<functorch_lite.tree unflatten>", "exec")
    except (SyntaxError, RecursionError, MemoryError):  # beyond what the compiler takes: keep the walk
        return None
    exec(code, names)  # source built above from indices, our names and str/int literals only
    return names["_unflatten"]  # type: ignore[no-any-return]


class _TooDeep(Exception):
    pass


def _bind(names: dict[str, Any], value: Any) -> str:
    name = f"C{len(names)}"
    names[name] = value
    return name


def _key_src(k: Any, names: dict[str, Any]) -> str:
    return repr(k) if type(k) is str or type(k) is int else _bind(names, k)


def _expr(node: Node, counter: list[int], names: dict[str, Any], depth: int) -> str:
    if node is None:
        i = counter[0]
        counter[0] = i + 1
        return f"L[{i}]"
    if depth > _COMPILE_MAX_DEPTH:
        raise _TooDeep
    kind, aux, kids = node
    parts = [_expr(c, counter, names, depth + 1) for c in _kid_nodes(node)]
    if kind is dict:
        return "{" + ", ".join(f"{_key_src(k, names)}: {v}" for k, v in zip(aux, parts)) + "}"
    if kind is tuple:
        return "(" + "".join(p + ", " for p in parts) + ")"
    if kind is list:
        return "[" + ", ".join(parts) + "]"
    if kind is _NoneType:
        return "None"
    reg = _REGISTRY.get(kind)
    if reg is not None:
        fn, data = _bind(names, reg.from_iterable), _bind(names, _unwrap_aux(aux))
        return f"{fn}({data}, (" + "".join(p + ", " for p in parts) + "))"
    return f"{_bind(names, kind)}(" + ", ".join(parts) + ")"  # a namedtuple


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
        >>> leaves({"x": 1, "y": [2, 3], "z": None})
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


def flatten_with_path(tree: Any, is_leaf: Callable[..., bool] | None = None,
                      is_leaf_takes_path: bool = False) -> tuple[list[tuple[KeyPath, Any]], PyTreeDef]:
    """``(key_path, leaf)`` pairs of ``tree`` and its structure.

    Keys: :class:`SequenceKey` (tuple, list), :class:`DictKey` (dicts),
    :class:`GetAttrKey` (namedtuple, dataclass fields), :class:`FlattenedIndexKey`
    (nodes registered without keys).  With ``is_leaf_takes_path``, ``is_leaf``
    is called as ``is_leaf(path, x)``.

    Example:
        >>> flatten_with_path([1, {"x": 3}])
        ([((SequenceKey(idx=0),), 1), ((SequenceKey(idx=1), DictKey(key='x')), 3)], PyTreeDef([*, {'x': *}]))
    """
    pred: Callable[[KeyPath, Any], Any] | None = None
    if is_leaf is not None:
        pred = is_leaf if is_leaf_takes_path else (lambda _, x: is_leaf(x))
    out: list[tuple[KeyPath, Any]] = []
    node = _flat_path(tree, (), out, pred)
    return out, _td(node, len(out))


def leaves_with_path(tree: Any, is_leaf: Callable[..., bool] | None = None,
                     is_leaf_takes_path: bool = False) -> list[tuple[KeyPath, Any]]:
    """``(key_path, leaf)`` pairs of ``tree``.

    Example:
        >>> [(keystr(p), x) for p, x in leaves_with_path({"a": [1, 2]})]
        [("['a'][0]", 1), ("['a'][1]", 2)]
    """
    return flatten_with_path(tree, is_leaf, is_leaf_takes_path)[0]


def flatten_one_level(tree: Any) -> tuple[Sequence[Any], Any]:
    """``(children, aux_data)`` of one node; ValueError for a leaf.

    Example:
        >>> flatten_one_level({"b": [1, 2], "a": 3})
        ([3, [1, 2]], ('a', 'b'))
    """
    parts = _one_level(tree)
    if parts is None:
        raise ValueError(f"can't tree-flatten type: {type(tree)}")
    return parts[2], parts[1]


def flatten_one_level_with_keys(tree: Any) -> tuple[list[tuple[Any, Any]], Any]:
    """``([(key, child), ...], aux_data)`` of one node; ValueError for a leaf.

    Example:
        >>> flatten_one_level_with_keys((7,))
        ([(SequenceKey(idx=0), 7)], None)
    """
    parts = _one_level_keys(tree)
    if parts is None:
        raise ValueError(f"can't tree-flatten type: {type(tree)}")
    return parts[2], parts[1]


# --- matching a structure ---------------------------------------------------------------------


class _Mismatch(ValueError):
    """A tree that does not have a structure; ``path`` is filled on the way out."""

    def __init__(self, msg: str) -> None:
        super().__init__(msg)
        self.msg = msg
        self.path: list[Any] = []

    def describe(self) -> str:
        where = f"at key path {keystr(tuple(self.path))}" if self.path else "at the root"
        return f"pytree structure mismatch {where}: {self.msg}"


def _child_key(node: Node, i: int) -> Any:
    kind, aux = node[0], _unwrap_aux(node[1])
    if kind is dict or kind is OrderedDict:
        return DictKey(aux[i])
    if kind is defaultdict:
        return DictKey(aux[1][i])
    if kind is tuple or kind is list:
        return SequenceKey(i)
    if _is_namedtuple_type(kind):
        return GetAttrKey(str(kind._fields[i]))
    return FlattenedIndexKey(i)


def _node_values(node: Node, x: Any) -> Sequence[Any]:
    """The children of ``x``, which must be a node of ``node``'s kind and aux data."""
    kind, aux, kids = node
    arity = kids if type(kids) is int else len(kids)
    t = type(x)
    if kind is dict:
        if t is not dict:
            raise _Mismatch(f"Expected dict, got {_short(x)}.")
        try:
            found = [x[k] for k in aux]
        except KeyError:
            found = None
        if found is None or len(x) != arity:
            raise _Mismatch(f"Dict key mismatch; expected keys: {_short(list(aux))}; dict: {_short(x)}.")
        return found
    if kind is tuple or kind is list:
        if t is not kind:
            raise _Mismatch(f"Expected {kind.__name__}, got {_short(x)}.")
        if len(x) != arity:
            raise _Mismatch(f"{kind.__name__.capitalize()} arity mismatch: {len(x)} != {arity}; "
                            f"{kind.__name__}: {_short(x)}.")
        return x  # type: ignore[no-any-return]
    if kind is _NoneType:
        if x is not None:
            raise _Mismatch(f"Expected None, got {_short(x)}.")
        return ()
    if t is not kind:
        raise _Mismatch(f"Expected a {kind.__name__} node, got {_short(x)}.")
    _, x_aux, vals = _one_level(x)  # type: ignore[misc]
    if not _aux_eq(_unwrap_aux(aux), x_aux):
        raise _Mismatch(f"Mismatch of {kind.__name__} node data: {_short(_unwrap_aux(aux))} != {_short(x_aux)}.")
    if len(vals) != arity:
        raise _Mismatch(f"{kind.__name__} arity mismatch: {len(vals)} != {arity}; value: {_short(x)}.")
    return vals


def _up_to(node: Node, x: Any, out: list[Any]) -> None:
    if node is None:
        out.append(x)
        return
    vals = _node_values(node, x)
    kids = node[2]
    if type(kids) is int:
        out.extend(vals)
        return
    for i, (c, v) in enumerate(zip(kids, vals)):
        if c is None:
            out.append(v)
            continue
        try:
            _up_to(c, v, out)
        except _Mismatch as e:
            e.path.insert(0, _child_key(node, i))
            raise


def _rest_leaves(treedef: PyTreeDef, rest: tuple[Any, ...], what: str) -> list[list[Any]]:
    out = []
    for i, r in enumerate(rest):
        xs: list[Any] = []
        try:
            _up_to(treedef._node, r, xs)
        except _Mismatch as e:
            raise ValueError(
                f"{what}: tree {i + 2} does not have the first tree's structure ({e.describe()}); every "
                f"further tree must have the first one's structure {treedef}, or deeper subtrees at its "
                "leaves") from None
        out.append(xs)
    return out


# --- functions of trees ----------------------------------------------------------------------


def map(f: Callable[..., Any], tree: Any, *rest: Any,  # noqa: A001
        is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """Apply ``f`` leafwise over ``tree`` and trees of the same structure.

    The further trees may hold whole subtrees where ``tree`` has leaves
    (``f`` then gets the subtree); ``None`` in ``tree`` is an empty subtree,
    so the others need ``None`` there too.

    Example:
        >>> map(lambda a, b: a + b, (1, [2]), (10, [20]))
        (11, [22])
        >>> map(lambda x, y: (x, y), [1, 2], [(3, 4), 5])
        [(1, (3, 4)), (2, 5)]
    """
    lv, treedef = flatten(tree, is_leaf)
    if not rest:
        return treedef.unflatten([f(x) for x in lv])
    others = _rest_leaves(treedef, rest, "tree.map")
    return treedef.unflatten([f(*xs) for xs in zip(lv, *others)])


def map_with_path(f: Callable[..., Any], tree: Any, *rest: Any,
                  is_leaf: Callable[..., bool] | None = None, is_leaf_takes_path: bool = False) -> Any:
    """Like :func:`map`, with each leaf's key path as ``f``'s first argument.

    Example:
        >>> map_with_path(lambda p, x: f"{keystr(p)}={x}", {"a": 1, "b": (2,)})
        {'a': "['a']=1", 'b': ("['b'][0]=2",)}
    """
    pairs, treedef = flatten_with_path(tree, is_leaf, is_leaf_takes_path)
    others = _rest_leaves(treedef, rest, "tree.map_with_path")
    return treedef.unflatten([f(p, x, *xs) for (p, x), *xs in zip(pairs, *others)])


def all(tree: Any, *, is_leaf: Callable[[Any], bool] | None = None) -> bool:  # noqa: A001
    """Whether every leaf is true (``all`` over the leaves).

    Example:
        >>> all([True, {"a": 1}]), all({"a": [1, 0]})
        (True, False)
    """
    return _builtin_all(leaves(tree, is_leaf))


class _Unspecified:
    def __repr__(self) -> str:
        return "<unspecified>"


_UNSPECIFIED: Any = _Unspecified()


def reduce(function: Callable[[Any, Any], Any], tree: Any, initializer: Any = _UNSPECIFIED,
           is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """``functools.reduce`` of ``function`` over the leaves.

    Example:
        >>> import operator
        >>> reduce(operator.add, {"a": 1, "b": [2, 3]}), reduce(operator.add, [], 10)
        (6, 10)
    """
    if initializer is _UNSPECIFIED:
        return functools.reduce(function, leaves(tree, is_leaf))
    return functools.reduce(function, leaves(tree, is_leaf), initializer)


def _tree_reduce_balanced(xs: list[Any], op: Callable[[Any, Any], Any], identity: Any) -> Any:
    if not xs:
        if identity is _UNSPECIFIED:
            raise TypeError("reduce_associative of a tree without leaves needs identity=")
        return identity
    while len(xs) > 1:
        nxt = [op(xs[i], xs[i + 1]) for i in range(0, len(xs) - 1, 2)]
        if len(xs) % 2:
            nxt.append(xs[-1])
        xs = nxt
    return xs[0]


def reduce_associative(operation: Callable[[Any, Any], Any], tree: Any, *, identity: Any = _UNSPECIFIED,
                       is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """Reduce the leaves with an associative ``operation``, pairwise (a balanced tree of calls).

    Example:
        >>> reduce_associative(lambda a, b: a + b, [1, (2, 3), {"x": 4}])
        10
    """
    return _tree_reduce_balanced(leaves(tree, is_leaf), operation, identity)


def transpose(outer_treedef: PyTreeDef, inner_treedef: PyTreeDef | None, pytree_to_transpose: Any) -> Any:
    """A tree of structure ``outer(inner)`` turned into one of structure ``inner(outer)``.

    ``inner_treedef=None`` takes the inner structure from the first outer leaf.
    Unlike JAX, which only checks the total leaf count, every outer leaf's
    subtree must have the inner structure's leaf count (else ``TypeError``),
    so that leaves are never silently regrouped.

    Example:
        >>> t = [(1, 2, 3), (4, 5, 6)]
        >>> transpose(structure([0, 0]), structure((0, 0, 0)), t)
        ([1, 4], [2, 5], [3, 6])
        >>> transpose(structure([0, 0]), None, t)
        ([1, 4], [2, 5], [3, 6])
    """
    subtrees = outer_treedef.flatten_up_to(pytree_to_transpose)
    if inner_treedef is None:
        if not subtrees:
            raise ValueError(f"transpose: the outer structure {outer_treedef} has no leaves to infer the inner "
                             "structure from; pass inner_treedef")
        inner_treedef = structure(subtrees[0])
    rows = [leaves(s) for s in subtrees]
    if any(len(r) != inner_treedef.num_leaves for r in rows):
        raise TypeError(f"Mismatch\n{structure(pytree_to_transpose)}\n != \n{outer_treedef.compose(inner_treedef)}")
    columns = [outer_treedef.unflatten(col) for col in zip(*rows)]
    return inner_treedef.unflatten(columns)


def broadcast(prefix_tree: Any, full_tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """``prefix_tree``'s leaves repeated over the matching subtrees of ``full_tree``.

    Example:
        >>> broadcast([1, 2], [(0, 0), {"a": 0}])
        [(1, 1), {'a': 2}]
    """
    out: list[Any] = []
    map(lambda x, sub: out.extend([x] * structure(sub).num_leaves), prefix_tree, full_tree, is_leaf=is_leaf)
    return structure(full_tree).unflatten(out)


def all_leaves(iterable: Iterable[Any], is_leaf: Callable[[Any], bool] | None = None) -> bool:
    """Whether every element is a leaf (not a container, not ``None``).

    Example:
        >>> all_leaves([1, 2.0]), all_leaves([(1,)]), all_leaves([None])
        (True, False, False)
    """
    items = list(iterable)
    if is_leaf is not None:
        lv = leaves(items, is_leaf)
        return len(lv) == len(items) and _builtin_all(a is b for a, b in zip(items, lv))
    return not any(is_tree_node(type(x)) for x in items)


def is_tree_node(typ: type) -> bool:
    """Whether instances of ``typ`` are pytree nodes (built in, registered or a namedtuple).

    Example:
        >>> is_tree_node(dict), is_tree_node(float)
        (True, False)
    """
    f = _FLAT.get(typ, _MISS)
    return (_classify(typ) if f is _MISS else f) is not None


# --- treedefs ---------------------------------------------------------------------------------


def treedef_tuple(treedefs: Iterable[PyTreeDef]) -> PyTreeDef:
    """The structure of a tuple of trees with structures ``treedefs``.

    Example:
        >>> treedef_tuple([structure([1, 2]), structure({"a": 1})]) == structure(([1, 2], {"a": 1}))
        True
    """
    return PyTreeDef(tuple, None, treedefs)


def treedef_children(treedef: PyTreeDef) -> list[PyTreeDef]:
    """The structures of the root's children.

    Example:
        >>> treedef_children(structure([(1, 2), 3, {"a": 4}]))
        [PyTreeDef((*, *)), PyTreeDef(*), PyTreeDef({'a': *})]
    """
    return list(treedef.children)


def treedef_is_leaf(treedef: PyTreeDef) -> bool:
    """Whether the structure is a single node (a leaf, or an empty container such as ``None``).

    Example:
        >>> treedef_is_leaf(structure(1)), treedef_is_leaf(structure(None)), treedef_is_leaf(structure([1]))
        (True, True, False)
    """
    return treedef.num_nodes == 1


def treedef_is_strict_leaf(treedef: PyTreeDef) -> bool:
    """Whether the structure is a single leaf.

    Example:
        >>> treedef_is_strict_leaf(structure(1)), treedef_is_strict_leaf(structure(None))
        (True, False)
    """
    return treedef.num_nodes == 1 and treedef.num_leaves == 1


def build_tree(treedef: PyTreeDef, xs: Any) -> Any:
    """Build ``treedef``'s structure from nested iterables.

    Example:
        >>> build_tree(structure([(0, 0), {"a": 0, "b": 0}]), [[10, 11], [12, 13]])
        [(10, 11), {'a': 12, 'b': 13}]
    """
    return treedef.from_iterable_tree(xs)


# --- registration -----------------------------------------------------------------------------


def register_pytree_node(
    nodetype: type,
    flatten_func: Callable[[Any], tuple[Iterable[Any], Any]],
    unflatten_func: Callable[[Any, Iterable[Any]], Any],
    flatten_with_keys_func: Callable[[Any], tuple[Iterable[tuple[Any, Any]], Any]] | None = None,
) -> None:
    """Make ``nodetype`` a pytree node.

    ``flatten_func(x) -> (children, aux_data)`` and ``unflatten_func(aux_data,
    children) -> x`` (children as a tuple).  ``aux_data`` is stored in the
    treedef: treedefs compare it with ``==`` (so it must compare to a bool:
    tuples, strings, dicts are fine; arrays are not).  Leaf key paths use
    ``flatten_with_keys_func(x) -> ([(key, child), ...], aux_data)`` if
    given, else :class:`FlattenedIndexKey` positions.

    Example:
        >>> class Pair:
        ...     def __init__(self, a, b): self.a, self.b = a, b
        >>> register_pytree_node(Pair, lambda p: ((p.a, p.b), {"tag": 1}), lambda aux, c: Pair(*c))
        >>> leaves(Pair(1, (2, 3)))
        [1, 2, 3]
        >>> structure(Pair(1, 2))
        PyTreeDef(CustomNode(Pair[{'tag': 1}], [*, *]))
    """
    _register(nodetype, _NodeType(flatten_func, unflatten_func, flatten_with_keys_func))


def register_pytree_with_keys(
    nodetype: type,
    flatten_with_keys: Callable[[Any], tuple[Iterable[tuple[Any, Any]], Any]],
    unflatten_func: Callable[[Any, Iterable[Any]], Any],
    flatten_func: Callable[[Any], tuple[Iterable[Any], Any]] | None = None,
) -> None:
    """Make ``nodetype`` a pytree node whose children have keys.

    ``flatten_with_keys(x) -> ([(key, child), ...], aux_data)``;
    ``flatten_func`` (children without keys, same order and aux data) is
    optional and only faster.

    Example:
        >>> class Box:
        ...     def __init__(self, v): self.v = v
        >>> register_pytree_with_keys(Box, lambda b: (((GetAttrKey("v"), b.v),), None), lambda _, c: Box(*c))
        >>> [keystr(p) for p, _ in leaves_with_path([Box(1)])]
        ['[0].v']
    """
    def drop_keys(x: Any) -> tuple[list[Any], Any]:
        pairs, aux = flatten_with_keys(x)
        return [c for _, c in pairs], aux

    _register(nodetype, _NodeType(flatten_func or drop_keys, unflatten_func, flatten_with_keys))


def register_pytree_node_class(cls: Typ) -> Typ:
    """Class decorator: ``cls.tree_flatten(self)`` and the classmethod
    ``cls.tree_unflatten(aux_data, children)`` make it a pytree node.

    Example:
        >>> @register_pytree_node_class
        ... class Vec:
        ...     def __init__(self, x, y): self.x, self.y = x, y
        ...     def tree_flatten(self): return (self.x, self.y), None
        ...     @classmethod
        ...     def tree_unflatten(cls, aux, children): return cls(*children)
        >>> map(lambda v: v * 2, Vec(1, 2)).y
        4
    """
    register_pytree_node(cls, operator.methodcaller("tree_flatten"), cls.tree_unflatten)  # type: ignore[attr-defined]
    return cls


def register_pytree_with_keys_class(cls: Typ) -> Typ:
    """Class decorator: ``cls.tree_flatten_with_keys(self)`` (and optionally
    ``tree_flatten``) with the classmethod ``tree_unflatten``.

    Example:
        >>> @register_pytree_with_keys_class
        ... class Named:
        ...     def __init__(self, w): self.w = w
        ...     def tree_flatten_with_keys(self): return ((GetAttrKey("w"), self.w),), None
        ...     @classmethod
        ...     def tree_unflatten(cls, aux, children): return cls(*children)
        >>> keystr(leaves_with_path(Named(3))[0][0])
        '.w'
    """
    flat = operator.methodcaller("tree_flatten") if hasattr(cls, "tree_flatten") else None
    unflat = cls.tree_unflatten  # type: ignore[attr-defined]
    register_pytree_with_keys(cls, operator.methodcaller("tree_flatten_with_keys"), unflat, flat)
    return cls


def _dataclass_fields(nodetype: type, data_fields: Sequence[str] | None, meta_fields: Sequence[str] | None,
                      drop_fields: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if (data_fields is None) != (meta_fields is None):
        raise TypeError("register_dataclass: data_fields and meta_fields must both be given when either is; "
                        f"got data_fields={data_fields!r}, meta_fields={meta_fields!r}")
    is_dc = dataclasses.is_dataclass(nodetype)
    if data_fields is None or meta_fields is None:
        if not is_dc:
            raise TypeError(f"register_dataclass: {nodetype!r} is not a dataclass, so data_fields and "
                            "meta_fields are required")
        fields = [f for f in dataclasses.fields(nodetype) if f.name not in drop_fields]
        data_fields = [f.name for f in fields if not f.metadata.get("static", False)]
        meta_fields = [f.name for f in fields if f.metadata.get("static", False)]
    data, meta = tuple(data_fields), tuple(meta_fields)
    if is_dc:
        init = {f.name for f in dataclasses.fields(nodetype) if f.init} - set(drop_fields)
        given = {*data, *meta}
        if given != init:
            raise ValueError(
                "register_dataclass: data_fields and meta_fields must list every dataclass field with "
                f"init=True, and only those; missing: {sorted(init - given)}, unexpected: {sorted(given - init)} "
                "(add fields to drop_fields to leave them out)")
    if overlap := set(data) & set(meta):
        raise ValueError(f"register_dataclass: data_fields and meta_fields overlap: {sorted(overlap)}")
    return data, meta


def register_dataclass(nodetype: Typ, data_fields: Sequence[str] | None = None,
                       meta_fields: Sequence[str] | None = None, drop_fields: Sequence[str] = ()) -> Typ:
    """Register a dataclass: ``data_fields`` are children, ``meta_fields`` aux data.

    Usable as a decorator: without field lists, fields marked
    ``dataclasses.field(metadata={"static": True})`` are meta fields and the
    rest data (JAX's rule).  Meta fields must be hashable: ``jit`` keys its
    cache on them.

    Example:
        >>> import dataclasses
        >>> @register_dataclass
        ... @dataclasses.dataclass
        ... class Params:
        ...     w: float
        ...     name: str = dataclasses.field(default="p", metadata={"static": True})
        >>> flatten(Params(2.0))
        ([2.0], PyTreeDef(CustomNode(Params[('p',)], [*])))
        >>> keystr(leaves_with_path(Params(2.0))[0][0])
        '.w'
    """
    data, meta = _dataclass_fields(nodetype, data_fields, meta_fields, drop_fields)
    get_meta = _getter(meta)
    get_data = _getter(data)

    def flat(x: Any) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        return get_data(x), get_meta(x)

    def flat_keys(x: Any) -> tuple[list[tuple[Any, Any]], tuple[Any, ...]]:
        return [(GetAttrKey(n), v) for n, v in zip(data, get_data(x))], get_meta(x)

    def unflat(aux: tuple[Any, ...], children: Iterable[Any]) -> Any:
        kwargs = dict(zip(meta, aux))
        kwargs.update(zip(data, children))
        return nodetype(**kwargs)

    register_pytree_node(nodetype, flat, unflat, flat_keys)
    return nodetype


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """A function giving the attributes ``names`` of an object, as a tuple."""
    if len(names) > 1:
        return operator.attrgetter(*names)
    if len(names) == 1:
        name = names[0]
        return lambda x: (getattr(x, name),)
    return lambda x: ()


def register_static(cls: type[T]) -> type[T]:
    """Class decorator: instances become pytrees without leaves (the whole
    value is aux data, so ``jit`` treats it as static; it must be hashable).

    Example:
        >>> @register_static
        ... class Mode(str):
        ...     pass
        >>> flatten([Mode("train"), 1])[0]
        [1]
    """
    register_pytree_with_keys(cls, lambda obj: ((), obj), lambda obj, _: obj)
    return cls


class _OpaqueCallable:
    """A function kept whole inside a :class:`Partial` (equality and hash are the function's)."""

    def __init__(self, fun: Callable[..., Any]) -> None:
        self.fun = fun

    def __call__(self, *args: Any, **kw: Any) -> Any:
        return self.fun(*args, **kw)

    def __hash__(self) -> int:
        return hash(self.fun)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _OpaqueCallable):
            return bool(self.fun == other.fun)
        return bool(self.fun == other)

    def __repr__(self) -> str:
        return f"_OpaqueCallable({self.fun!r})"


class Partial(functools.partial[Any]):
    """``functools.partial`` as a pytree: the bound arguments are children
    (traced by transforms), the function is aux data.

    Example:
        >>> import operator
        >>> add_one = Partial(operator.add, 1)
        >>> add_one(2), leaves(add_one)
        (3, [1])
        >>> map(lambda x: x * 10, add_one)(2)
        12
    """

    def __new__(cls, func: Callable[..., Any], *args: Any, **kw: Any) -> Partial:
        if isinstance(func, functools.partial):
            # functools.partial would merge the inner partial's arguments into
            # this one, making them children; JAX keeps the inner one whole
            func = _OpaqueCallable(func)
        return super().__new__(cls, func, *args, **kw)


# --- built-in node types kept in the registry (JAX registers these two the same way) -----------


def _odict_keys(x: OrderedDict[Any, Any]) -> tuple[list[tuple[Any, Any]], tuple[Any, ...]]:
    keys = tuple(x)
    return [(DictKey(k), x[k]) for k in keys], keys


def _ddict_flat(x: defaultdict[Any, Any]) -> tuple[list[Any], tuple[Any, tuple[Any, ...]]]:
    keys = tuple(_sorted_keys(x))
    return [x[k] for k in keys], (x.default_factory, keys)


def _ddict_keys(x: defaultdict[Any, Any]) -> tuple[list[tuple[Any, Any]], tuple[Any, tuple[Any, ...]]]:
    vals, aux = _ddict_flat(x)
    return [(DictKey(k), v) for k, v in zip(aux[1], vals)], aux


_REGISTRY[OrderedDict] = _NodeType(
    lambda x: ([x[k] for k in x], tuple(x)), lambda keys, vals: OrderedDict(zip(keys, vals)), _odict_keys)
_REGISTRY[defaultdict] = _NodeType(
    _ddict_flat, lambda aux, vals: defaultdict(aux[0], zip(aux[1], vals)), _ddict_keys)
register_pytree_node(
    Partial, lambda p: ((p.args, p.keywords), p.func),
    lambda func, xs: Partial(func, *tuple(xs)[0], **tuple(xs)[1]))


# JAX's ``jax.tree_util`` names (see also functorch_lite.tree_util).
tree_flatten = flatten
tree_unflatten = unflatten
tree_map = map
tree_leaves = leaves
tree_structure = structure
tree_flatten_with_path = flatten_with_path
tree_leaves_with_path = leaves_with_path
tree_map_with_path = map_with_path
tree_all = all
tree_reduce = reduce
tree_reduce_associative = reduce_associative
tree_transpose = transpose
tree_broadcast = broadcast


# The public namespace (jax.tree's names, and jax.tree_util's tree_* ones; KeyEntry and
# KeyPath are JAX's type aliases for key paths).
__all__ = [
    "KeyEntry", "KeyPath", "SequenceKey", "DictKey", "GetAttrKey", "FlattenedIndexKey", "keystr", "PyTreeDef",
    "flatten", "unflatten", "leaves", "structure", "flatten_with_path", "leaves_with_path", "flatten_one_level",
    "flatten_one_level_with_keys", "map", "map_with_path", "all", "reduce", "reduce_associative", "transpose",
    "broadcast", "all_leaves", "is_tree_node", "treedef_tuple", "treedef_children", "treedef_is_leaf",
    "treedef_is_strict_leaf", "build_tree", "register_pytree_node", "register_pytree_with_keys",
    "register_pytree_node_class", "register_pytree_with_keys_class", "register_dataclass", "register_static",
    "Partial", "tree_flatten", "tree_unflatten", "tree_map", "tree_leaves", "tree_structure",
    "tree_flatten_with_path", "tree_leaves_with_path", "tree_map_with_path", "tree_all", "tree_reduce",
    "tree_reduce_associative", "tree_transpose", "tree_broadcast",
]
