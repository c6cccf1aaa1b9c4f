"""Pytrees as JAX's: flatten/unflatten/map, node registration, key paths,
transpose/reduce/all/broadcast, the ``tree_util`` names.

Expected reprs and key strings are those JAX documents for the same calls
(jax.tree / jax.tree_util docs); values are checked against plain Python.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import threading
from collections import OrderedDict, defaultdict, namedtuple
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import tree, tree_util
from functorch_lite.tree import DictKey, FlattenedIndexKey, GetAttrKey, SequenceKey, keystr

Point = namedtuple("Point", ["x", "y"])


# --- flatten / unflatten ------------------------------------------------------------------


@pytest.mark.parametrize("value", [
    1, (), [], {}, None, (1,), [1, (2, 3)], {"a": 1, "b": [2, 3]}, (None, 1, [None]),
    Point(1, (2, 3)), OrderedDict([("z", 1), ("a", 2)]), {"k": {"n": (1, [2, {"m": 3}])}},
    defaultdict(list, {"b": [1], "a": 2}), [{}, (), [None, {"x": None}]], {1: "a", 0: "b"},
])
def test_flatten_unflatten_roundtrip(value: Any) -> None:
    leaves, treedef = tree.flatten(value)
    rebuilt = tree.unflatten(treedef, leaves)
    assert rebuilt == value and type(rebuilt) is type(value)
    assert treedef.num_leaves == len(leaves)
    assert tree.leaves(value) == leaves
    assert tree.structure(value) == treedef and hash(tree.structure(value)) == hash(treedef)
    # the path flattening agrees with the plain one
    path_leaves, path_def = tree.flatten_with_path(value)
    assert [x for _, x in path_leaves] == leaves and path_def == treedef
    if isinstance(value, defaultdict):
        assert rebuilt.default_factory is value.default_factory


def test_dict_keys_sorted_ordered_dict_in_insertion_order() -> None:
    assert tree.leaves({"b": 1, "a": 2, "c": 3}) == [2, 1, 3]
    assert tree.leaves(OrderedDict([("b", 1), ("a", 2)])) == [1, 2]
    assert tree.leaves(defaultdict(int, {"b": 1, "a": 2})) == [2, 1]
    # dicts with the same keys inserted in another order have one structure
    assert tree.structure({"a": 0, "b": 0}) == tree.structure({"b": 0, "a": 0})
    assert tree.unflatten(tree.structure({"b": 0, "a": 0}), [10, 20]) == {"a": 10, "b": 20}
    # an OrderedDict's key order is part of its structure, and it is not a dict
    assert tree.structure(OrderedDict(a=0, b=0)) != tree.structure(OrderedDict(b=0, a=0))
    assert tree.structure({"a": 0}) != tree.structure(OrderedDict(a=0))
    assert tree.structure({"a": 0}) != tree.structure(defaultdict(int, a=0))
    assert repr(tree.structure(OrderedDict([("z", 1), ("a", 2)]))) == \
        "PyTreeDef(CustomNode(OrderedDict[('z', 'a')], [*, *]))"


def test_unsortable_dict_keys_raise() -> None:
    with pytest.raises(ValueError, match="sortable"):
        tree.flatten({1: "a", "b": 2})


def test_none_is_an_empty_subtree() -> None:
    leaves, treedef = tree.flatten([None, 1, (None,)])
    assert leaves == [1]
    assert tree.unflatten(treedef, [5]) == [None, 5, (None,)]
    assert tree.structure(None) != tree.structure(1)
    assert tree.structure(None).num_leaves == 0 and tree.leaves(None) == []
    assert tree.map(lambda x: x * 2, (None, 3)) == (None, 6)
    assert tree.map(lambda x, y: x + y, {"a": None, "b": 1}, {"a": None, "b": 2}) == {"a": None, "b": 3}
    # as in JAX, None does not match a value in a further tree
    with pytest.raises(ValueError, match="Expected None, got 2"):
        tree.map(lambda x, y: x, (None, 1), (2, 1))
    # ... unless is_leaf makes it a leaf
    assert tree.map(lambda x, y: y if x is None else x + y, (None, 1), (2, 1), is_leaf=lambda x: x is None) == (2, 2)


def test_namedtuple_is_a_node_and_keeps_its_type() -> None:
    p = tree.map(lambda v: v + 1, Point(1, 2))
    assert isinstance(p, Point) and p == Point(2, 3)
    Other = namedtuple("Other", ["x", "y"])
    assert tree.structure(Point(1, 2)) != tree.structure(Other(1, 2))
    assert tree.structure(Point(1, 2)) != tree.structure((1, 2))
    assert repr(tree.structure(Point(1, 2))) == "PyTreeDef(CustomNode(namedtuple[Point], [*, *]))"


def test_subclasses_of_containers_are_leaves_unless_registered() -> None:
    class MyDict(dict):  # type: ignore[type-arg]
        pass

    class MyList(list):  # type: ignore[type-arg]
        pass

    d, lst = MyDict(a=1), MyList([1, 2])
    assert tree.leaves([d, lst]) == [d, lst]


def test_is_leaf_stops_descent() -> None:
    value = {"a": (1, 2), "b": [3]}
    leaves, treedef = tree.flatten(value, is_leaf=lambda x: isinstance(x, tuple))
    assert leaves == [(1, 2), 3]
    assert tree.unflatten(treedef, leaves) == value
    assert tree.leaves(value, is_leaf=lambda x: isinstance(x, tuple)) == [(1, 2), 3]
    assert tree.structure(value, is_leaf=lambda x: isinstance(x, list)) == tree.structure({"a": (0, 0), "b": 0})
    assert tree.map(len, [(1, 2), (3,)], is_leaf=lambda x: isinstance(x, tuple)) == [2, 1]
    assert tree.leaves([1, (2,)], is_leaf=lambda x: None) == [1, 2]  # None means "not a leaf", as in JAX
    for answer in (1, np.True_, "yes"):  # JAX accepts only True, False and None
        with pytest.raises(ValueError, match="non-boolean value"):
            tree.leaves([1], is_leaf=lambda x, a=answer: a)
        with pytest.raises(ValueError, match="non-boolean value"):
            tree.leaves_with_path([1], is_leaf=lambda x, a=answer: a)


def test_unflatten_checks_leaf_count_and_takes_any_iterable() -> None:
    treedef = tree.structure((0, [0, 0]))
    with pytest.raises(ValueError, match="Too few leaves for PyTreeDef; expected 3, got 2"):
        tree.unflatten(treedef, [1, 2])
    with pytest.raises(ValueError, match="Too many leaves for PyTreeDef; expected 3, got 4"):
        tree.unflatten(treedef, [1, 2, 3, 4])
    assert tree.unflatten(treedef, iter(range(3))) == (0, [1, 2])
    assert tree.unflatten(tree.structure(7), (x for x in [8])) == 8


def test_unflatten_builds_fresh_containers() -> None:
    treedef = tree.structure([[0, 0], {"a": 0}])
    first = tree.unflatten(treedef, [1, 2, 3])
    first[0].append(99)
    first[1]["b"] = 0
    assert tree.unflatten(treedef, [1, 2, 3]) == [[1, 2], {"a": 3}]


def test_repeated_unflatten_matches_the_walk() -> None:
    """A treedef unflattened many times switches to a generated builder: same results."""
    p = Pair(OrderedDict([("z", 1.0), ("a", (2,))]), Tagged(3, {"m": [1]}))
    value = {
        "s": [1, (2,), None, {}, [], ()], "n": {1.5: Point(3, {4: 4}), -2: {True: 7}},
        "t": {(1, "t"): defaultdict(list, {"k": 5})}, "p": p, "f": tree_util.Partial(operator.add, 6),
        "deep": [[[[[[8]]]]]],
    }
    leaves, treedef = tree.flatten(value)
    want = tree.unflatten(treedef, leaves)
    for _ in range(6):
        got = tree.unflatten(treedef, leaves)
        assert tree.structure(got) == treedef and tree.leaves(got) == leaves
        assert [type(k) for k in got["n"]] == [type(k) for k in want["n"]]
        assert list(got["t"][(1, "t")].items()) == [("k", 5)] and got["t"][(1, "t")].default_factory is list
        assert got["p"].b.meta is want["p"].b.meta  # the treedef's own aux data, as the walk gives
        assert got["f"](1) == 7
    # keys equal across types stay the treedef's own: 1.0 is not rebuilt as 1
    for key in (1, 1.0, True):
        td = tree.structure({key: 0})
        for _ in range(6):
            (k,) = tree.unflatten(td, [0])
            assert type(k) is type(key)
    deep: Any = 0
    for _ in range(60):  # deeper than the generated code goes: the walk stays
        deep = [deep]
    td = tree.structure(deep)
    assert [tree.unflatten(td, [i]) == tree.map(lambda _: i, deep) for i in range(6)] == [True] * 6


# --- map and prefix trees -----------------------------------------------------------------


def test_map_over_several_trees() -> None:
    assert tree.map(lambda a, b: a + b, {"x": 1, "y": (2,)}, {"x": 10, "y": (20,)}) == {"x": 11, "y": (22,)}
    # further trees may hold subtrees where the first has leaves (JAX's prefix rule)
    assert tree.map(lambda x, y: (x, y), [1, 2], [(3, 4), 5]) == [(1, (3, 4)), (2, 5)]
    assert tree.map(lambda a, b, c: a * b + c, [1, 2], [3, 4], [5, 6]) == [8, 14]


@pytest.mark.parametrize("first, other, message", [
    ((1, 2), (1, 2, 3), r"Tuple arity mismatch: 3 != 2"),
    ([1, 2], (1, 2), r"Expected list, got \(1, 2\)"),
    ({"a": 1}, {"b": 1}, r"Dict key mismatch; expected keys: \['a'\]"),
    ({"a": [1, (2, 3)]}, {"a": [1, (2,)]}, r"at key path \['a'\]\[1\]: Tuple arity mismatch"),
    (Point(1, 2), (1, 2), r"Expected a Point node"),
])
def test_map_structure_mismatch_names_the_key_path(first: Any, other: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        tree.map(lambda *xs: xs[0], first, other)


def test_flatten_up_to_and_broadcast() -> None:
    treedef = tree.structure((0, {"a": 0}))
    assert treedef.flatten_up_to(([1, 2], {"a": (3,)})) == [[1, 2], (3,)]
    with pytest.raises(ValueError, match=r"key path \[1\]"):
        treedef.flatten_up_to(([1, 2], [3]))
    assert tree.broadcast([1, 2], [(0, 0), {"a": 0, "b": (0, 0)}]) == [(1, 1), {"a": 2, "b": (2, 2)}]
    assert tree_util.tree_broadcast(5, {"x": [0, 0]}) == {"x": [5, 5]}


# --- treedefs -----------------------------------------------------------------------------


def test_treedef_repr_hash_and_equality() -> None:
    assert repr(tree.structure((1, [2, 3]))) == "PyTreeDef((*, [*, *]))"
    assert repr(tree.structure({"a": None})) == "PyTreeDef({'a': None})"
    assert repr(tree.structure((1,))) == "PyTreeDef((*,))"
    assert repr(tree.structure([1, {"x": 3}])) == "PyTreeDef([*, {'x': *}])"
    assert repr(tree.structure(5)) == "PyTreeDef(*)"
    assert hash(tree.structure((1, 2))) == hash(tree.structure((3, 4)))
    assert tree.structure((1, 2)) != tree.structure([1, 2])
    assert tree.structure({"a": 1}) != tree.structure({"a": (1,)})
    assert tree.structure({"a": 1}) != (dict, ("a",), 1)  # not equal to its internals
    # usable as dict keys (jit keys its cache on them)
    table = {tree.structure({"a": [0, 0]}): "x"}
    assert table[tree.structure({"a": [5, 6]})] == "x"


def test_treedef_methods_and_helpers() -> None:
    td = tree.structure([(1, 2), 3, {"a": 4}])
    assert td.num_leaves == 4 and td.num_nodes == 7  # list, tuple and dict nodes, four leaves
    assert tree_util.treedef_children(td) == [tree.structure(x) for x in [(1, 2), 3, {"a": 4}]]
    assert td.children() == tree_util.treedef_children(td)  # callable, as JAX's method
    assert len(td.children) == 3 and td.children[1].kind is None  # ... and the tuple existing code reads
    assert td.node_data() == (list, None) and tree.structure({"b": 1, "a": 2}).node_data() == (dict, ["a", "b"])
    assert tree.structure(1).node_data() is None
    assert tree_util.treedef_tuple([tree.structure([1, 2]), tree.structure({"a": 1})]) == \
        tree.structure(([1, 2], {"a": 1}))
    assert tree_util.treedef_is_leaf(tree.structure(1)) and tree_util.treedef_is_leaf(tree.structure(None))
    assert not tree_util.treedef_is_leaf(tree.structure([1]))
    assert tree_util.treedef_is_strict_leaf(tree.structure(1))
    assert not tree_util.treedef_is_strict_leaf(tree.structure(None))
    assert tree.structure([0, 0]).compose(tree.structure((0, None))) == tree.structure([(0, None), (0, None)])
    assert tree_util.build_tree(tree.structure([(0, 0), {"a": 0}]), [[10, 11], [12]]) == [(10, 11), {"a": 12}]
    # the constructor the exporter uses
    rebuilt = tree.PyTreeDef(dict, ("a", "b"), [tree.PyTreeDef(None, None, ()), tree.structure((1, 2))])
    assert rebuilt == tree.structure({"a": 1, "b": (2, 3)}) and rebuilt.num_leaves == 3


def test_treedef_pickles_and_copies() -> None:
    import copy
    import pickle

    td = tree.structure({"a": [1, (2, None)], "p": Point(1, 2), "o": OrderedDict(z=1)})
    for _ in range(6):
        td.unflatten(list(range(td.num_leaves)))  # past the generated builder's threshold
    for other in (pickle.loads(pickle.dumps(td)), copy.deepcopy(td), copy.copy(td)):
        assert other == td and hash(other) == hash(td) and other.num_leaves == td.num_leaves
        assert other.unflatten(range(5)) == td.unflatten(range(5))


def test_all_leaves() -> None:
    assert tree.all_leaves([1, 2.0, jnp.ones(2), "s"])
    assert not tree.all_leaves([1, (2,)])
    assert not tree.all_leaves([None])
    assert tree.all_leaves([(1, 2), 3], is_leaf=lambda x: isinstance(x, tuple))


def test_arrays_are_leaves() -> None:
    x = jnp.ones((2, 3))
    a = np.zeros(3)
    leaves = tree.leaves({"w": x, "b": [x, 1.0], "n": a})
    assert len(leaves) == 4 and leaves[0] is x and leaves[1] == 1.0 and leaves[2] is a and leaves[3] is x


# --- registration --------------------------------------------------------------------------


class Pair:
    def __init__(self, a: Any, b: Any) -> None:
        self.a, self.b = a, b

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Pair) and (self.a, self.b) == (other.a, other.b)


tree.register_pytree_node(Pair, lambda p: ((p.a, p.b), "pair-aux"), lambda aux, kids: Pair(*kids))


def test_register_pytree_node() -> None:
    v = Pair(1, (2, Pair(3, 4)))
    leaves, treedef = tree.flatten(v)
    assert leaves == [1, 2, 3, 4]
    assert tree.unflatten(treedef, [5, 6, 7, 8]) == Pair(5, (6, Pair(7, 8)))
    assert repr(tree.structure(Pair(1, 2))) == "PyTreeDef(CustomNode(Pair[pair-aux], [*, *]))"
    with pytest.raises(ValueError, match="Duplicate custom PyTreeDef type registration"):
        tree.register_pytree_node(Pair, lambda p: ((), None), lambda a, k: Pair(0, 0))
    with pytest.raises(ValueError, match="already registered"):
        tree.register_pytree_node(dict, lambda p: ((), None), lambda a, k: {})
    # no keys given: FlattenedIndexKey, as in JAX
    assert [keystr(p) for p, _ in tree.leaves_with_path(Pair(1, 2))] == ["[<flat index 0>]", "[<flat index 1>]"]


class Tagged:
    """A node whose aux data is a dict (unhashable), as JAX allows."""

    def __init__(self, value: Any, meta: dict[str, Any]) -> None:
        self.value, self.meta = value, meta


tree.register_pytree_node(Tagged, lambda t: ((t.value,), dict(t.meta)), lambda aux, kids: Tagged(kids[0], aux))


def test_dict_aux_data_compares_by_equality() -> None:
    a = tree.structure(Tagged(1, {"k": 1, "j": [1, 2]}))
    b = tree.structure(Tagged(2, {"j": [1, 2], "k": 1}))
    c = tree.structure(Tagged(1, {"k": 2, "j": [1, 2]}))
    assert a == b and hash(a) == hash(b)
    assert a != c
    assert {a: 1}[b] == 1
    out = tree.map(lambda x: x + 1, Tagged(1, {"k": 1}))
    assert isinstance(out, Tagged) and out.value == 2 and out.meta == {"k": 1}
    with pytest.raises(ValueError, match="Mismatch of Tagged node data"):
        tree.map(lambda x, y: x, Tagged(1, {"k": 1}), Tagged(1, {"k": 2}))


def test_aux_data_that_cannot_be_compared_raises_clearly() -> None:
    class Bad:
        def __init__(self, v: Any) -> None:
            self.v = v

    tree.register_pytree_node(Bad, lambda b: ((), np.arange(3)), lambda aux, kids: Bad(aux))
    s1, s2 = tree.structure(Bad(0)), tree.structure(Bad(0))
    with pytest.raises(TypeError, match="cannot be compared"):
        _ = s1 == s2


def test_bad_flatten_function_raises_clearly() -> None:
    class Odd:
        pass

    tree.register_pytree_node(Odd, lambda o: [1, 2, 3], lambda aux, kids: Odd())
    with pytest.raises(ValueError, match=r"must return a \(children, aux_data\) pair"):
        tree.flatten([Odd()])


def test_registering_a_type_already_seen_as_a_leaf() -> None:
    class Late:
        def __init__(self, v: Any) -> None:
            self.v = v

    x = Late(3)
    assert tree.leaves([x, x]) == [x, x]  # a leaf, and remembered as one
    tree.register_pytree_node(Late, lambda o: ((o.v,), None), lambda aux, kids: Late(*kids))
    assert tree.leaves([x, x]) == [3, 3]


def test_register_pytree_node_class_decorator() -> None:
    @tree_util.register_pytree_node_class
    class MyContainer:
        def __init__(self, x: Any, y: Any) -> None:
            self.x, self.y = x, y

        def tree_flatten(self) -> tuple[tuple[Any, Any], None]:
            return (self.x, self.y), None

        @classmethod
        def tree_unflatten(cls, aux: Any, children: Any) -> MyContainer:
            return cls(*children)

    m = tree.map(lambda v: v * 2, MyContainer(1, [2, 3]))
    assert isinstance(m, MyContainer) and m.x == 2 and m.y == [4, 6]
    assert repr(tree.structure(MyContainer(1, 2))) == "PyTreeDef(CustomNode(MyContainer[None], [*, *]))"
    out = fl.jit(lambda c: c.x + 2 * c.y)(MyContainer(jnp.zeros(4), jnp.arange(4.0)))
    assert np.asarray(out).tolist() == [0.0, 2.0, 4.0, 6.0]


def test_register_with_keys_and_static() -> None:
    @tree_util.register_pytree_with_keys_class
    class Special:
        def __init__(self, x: Any, y: Any) -> None:
            self.x, self.y = x, y

        def tree_flatten_with_keys(self) -> Any:
            return ((GetAttrKey("x"), self.x), (GetAttrKey("y"), self.y)), None

        @classmethod
        def tree_unflatten(cls, aux: Any, children: Any) -> Special:
            return cls(*children)

    paths = tree.leaves_with_path([Special(1, {"k": 2})])
    assert [(keystr(p), x) for p, x in paths] == [("[0].x", 1), ("[0].y['k']", 2)]
    assert tree.leaves(Special(1, 2)) == [1, 2]

    @tree_util.register_static
    class Mode(str):
        pass

    leaves, treedef = tree.flatten({"mode": Mode("train"), "x": 1})
    assert leaves == [1]
    assert tree.unflatten(treedef, [5]) == {"mode": "train", "x": 5}
    assert tree.structure(Mode("train")) != tree.structure(Mode("eval"))


# --- dataclasses ---------------------------------------------------------------------------


@tree.register_dataclass
@dataclasses.dataclass
class Params:
    w: Any
    b: Any
    name: str = dataclasses.field(default="layer", metadata={"static": True})


def test_register_dataclass_decorator_static_fields_are_aux() -> None:
    p = Params(1.0, 2.0, "dense")
    leaves, treedef = tree.flatten(p)
    assert leaves == [1.0, 2.0]
    assert tree.unflatten(treedef, [3.0, 4.0]) == Params(3.0, 4.0, "dense")
    assert tree.structure(Params(0, 0, "a")) != tree.structure(Params(0, 0, "b"))
    assert repr(treedef) == "PyTreeDef(CustomNode(Params[('dense',)], [*, *]))"
    assert [keystr(k) for k, _ in tree.leaves_with_path(p)] == [".w", ".b"]


def test_register_dataclass_explicit_fields_partial_form_and_errors() -> None:
    @functools.partial(tree_util.register_dataclass, data_fields=["x", "y"], meta_fields=["op"])
    @dataclasses.dataclass
    class MyStruct:
        x: Any
        y: Any
        op: str

    m = MyStruct(x=1, y=[2, 3], op="add")
    leaves, treedef = tree.flatten(m)
    assert leaves == [1, 2, 3]
    assert repr(tree.structure(MyStruct(1, 2, "add"))) == "PyTreeDef(CustomNode(MyStruct[('add',)], [*, *]))"
    assert tree.unflatten(treedef, [4, 5, 6]) == MyStruct(4, [5, 6], "add")

    @dataclasses.dataclass
    class Layer:
        kernel: Any
        act: str
        cache: Any = None

    with pytest.raises(ValueError, match=r"missing: \['cache'\]"):
        tree.register_dataclass(Layer, data_fields=["kernel"], meta_fields=["act"])
    with pytest.raises(ValueError, match="overlap"):
        tree.register_dataclass(Layer, data_fields=["kernel", "act", "cache"], meta_fields=["act"])
    with pytest.raises(TypeError, match="both be given"):
        tree.register_dataclass(Layer, data_fields=["kernel"])
    with pytest.raises(TypeError, match="not a dataclass"):
        tree.register_dataclass(int)
    tree.register_dataclass(Layer, data_fields=["kernel"], meta_fields=["act"], drop_fields=["cache"])
    assert tree.map(lambda v: v * 2, Layer([1, 2], "relu")) == Layer([2, 4], "relu")


def test_dataclass_through_transforms() -> None:
    p = Params(jnp.asarray([1.0, 2.0]), jnp.asarray(0.5))
    g = fl.grad(lambda q, x: jnp.sum(q.w * x + q.b))(p, jnp.asarray([3.0, 4.0]))
    assert isinstance(g, Params) and g.name == "layer"
    assert np.asarray(g.w).tolist() == [3.0, 4.0] and float(g.b) == 2.0

    calls = []

    @fl.jit
    def f(q: Params) -> Any:
        calls.append(q.name)
        return q.w * 2 if q.name == "double" else q.w

    assert np.asarray(f(Params(jnp.ones(2), jnp.ones(()), "double"))).tolist() == [2.0, 2.0]
    assert np.asarray(f(Params(jnp.ones(2), jnp.ones(()), "same"))).tolist() == [1.0, 1.0]
    f(Params(jnp.ones(2), jnp.ones(()), "double"))
    assert calls == ["double", "same"]  # meta fields are static: one trace each, then cached


# --- transforms over registered nodes --------------------------------------------------------


def test_registered_node_through_transforms() -> None:
    p = Pair(jnp.asarray(2.0), jnp.asarray(3.0))
    g = fl.grad(lambda q: q.a * q.b)(p)
    assert isinstance(g, Pair) and float(g.a) == 3.0 and float(g.b) == 2.0
    out = fl.vmap(lambda q: Pair(q.a + q.b, q.a * q.b))(Pair(jnp.arange(3.0), jnp.ones(3)))
    assert isinstance(out, Pair)
    assert np.asarray(out.a).tolist() == [1.0, 2.0, 3.0]
    j = fl.jit(lambda q: Pair(q.b, q.a))(p)
    assert isinstance(j, Pair) and float(j.a) == 3.0


def test_dict_aux_node_through_jit_and_grad() -> None:
    f = fl.jit(lambda t: t.value * t.meta["scale"])
    out = f(Tagged(jnp.asarray([1.0, 2.0]), {"scale": 3.0}))
    assert np.asarray(out).tolist() == [3.0, 6.0]
    out = f(Tagged(jnp.asarray([1.0, 2.0]), {"scale": 4.0}))  # other aux data: another trace
    assert np.asarray(out).tolist() == [4.0, 8.0]
    g = fl.grad(lambda t: jnp.sum(t.value) * t.meta["scale"])(Tagged(jnp.ones(2), {"scale": 5.0}))
    assert isinstance(g, Tagged) and np.asarray(g.value).tolist() == [5.0, 5.0] and g.meta == {"scale": 5.0}


def test_partial_is_a_pytree() -> None:
    add_one = tree_util.Partial(operator.add, 1)
    assert add_one(2) == 3 and tree.leaves(add_one) == [1]
    assert tree.map(lambda x: x * 10, add_one)(2) == 12
    call = fl.jit(lambda f, x: f(x))
    assert float(call(tree_util.Partial(jnp.add, jnp.asarray(1.0)), jnp.asarray(2.0))) == 3.0
    inner = functools.partial(operator.mul, 3)
    outer = tree_util.Partial(inner, 2)
    assert outer() == 6 and tree.leaves(outer) == [2]  # the inner partial's argument stays in the function


# --- key paths ------------------------------------------------------------------------------


def test_key_entries_repr_str_eq_hash() -> None:
    assert [repr(k) for k in (SequenceKey(0), DictKey("x"), GetAttrKey("y"), FlattenedIndexKey(2))] == \
        ["SequenceKey(idx=0)", "DictKey(key='x')", "GetAttrKey(name='y')", "FlattenedIndexKey(key=2)"]
    assert [str(k) for k in (SequenceKey(0), DictKey("x"), DictKey(1), GetAttrKey("y"), FlattenedIndexKey(2))] == \
        ["[0]", "['x']", "[1]", ".y", "[<flat index 2>]"]
    assert SequenceKey(1) == SequenceKey(1) and SequenceKey(1) != FlattenedIndexKey(1)
    assert len({DictKey("a"), DictKey("a"), GetAttrKey("a")}) == 2
    assert (SequenceKey(3).idx, DictKey("k").key, GetAttrKey("n").name, FlattenedIndexKey(4).key) == (3, "k", "n", 4)
    match DictKey("w"):
        case DictKey(key=k):
            assert k == "w"


def test_flatten_with_path_as_jax_documents() -> None:
    path_vals, treedef = tree.flatten_with_path([1, {"x": 3}])
    assert repr(path_vals) == "[((SequenceKey(idx=0),), 1), ((SequenceKey(idx=1), DictKey(key='x')), 3)]"
    assert repr(treedef) == "PyTreeDef([*, {'x': *}])"
    params = {"foo": {"bar": {"baz": 1, "bat": [2, 3]}}}
    paths = [p for p, _ in tree_util.tree_leaves_with_path(params)]
    assert [keystr(p) for p in paths] == [
        "['foo']['bar']['bat'][0]", "['foo']['bar']['bat'][1]", "['foo']['bar']['baz']"]
    assert [keystr(p, simple=True, separator="/") for p in paths] == ["foo/bar/bat/0", "foo/bar/bat/1", "foo/bar/baz"]
    assert keystr((0, 1, "a", "b")) == "01ab"
    assert [keystr(p) for p, _ in tree.leaves_with_path(Point(1, [2]))] == [".x", ".y[0]"]
    od = OrderedDict([("z", 1), ("a", 2)])
    assert [keystr(p) for p, _ in tree.leaves_with_path(od)] == ["['z']", "['a']"]


def test_paths_with_is_leaf() -> None:
    value = {"a": (1, 2), "b": [3]}
    pairs = tree.leaves_with_path(value, is_leaf=lambda x: isinstance(x, tuple))
    assert [(keystr(p), x) for p, x in pairs] == [("['a']", (1, 2)), ("['b'][0]", 3)]
    pairs = tree.leaves_with_path(value, is_leaf=lambda p, x: len(p) == 1, is_leaf_takes_path=True)
    assert [(keystr(p), x) for p, x in pairs] == [("['a']", (1, 2)), ("['b']", [3])]


def test_map_with_path() -> None:
    out = tree.map_with_path(lambda p, x, y: f"{keystr(p)}:{x + y}", {"a": [1, 2]}, {"a": [10, 20]})
    assert out == {"a": ["['a'][0]:11", "['a'][1]:22"]}
    assert tree_util.tree_map_with_path(lambda p, x: len(p), (1, (2, 3))) == (1, (2, 2))


# --- transpose, reduce, all ------------------------------------------------------------------


def test_transpose() -> None:
    t = [(1, 2, 3), (4, 5, 6)]
    outer, inner = tree.structure(["*", "*"]), tree.structure(("*", "*", "*"))
    assert tree.transpose(outer, inner, t) == ([1, 4], [2, 5], [3, 6])
    assert tree.transpose(outer, None, t) == ([1, 4], [2, 5], [3, 6])
    assert tree.transpose(tree.structure({"a": 0, "b": 0}), tree.structure([0, 0]), {"a": [1, 2], "b": [3, 4]}) \
        == [{"a": 1, "b": 3}, {"a": 2, "b": 4}]
    with pytest.raises(TypeError, match="Mismatch"):
        tree.transpose(outer, inner, [(1, 2), (3, 4, 5, 6)])
    with pytest.raises(ValueError, match="Expected list"):
        tree.transpose(outer, inner, ((1, 2, 3), (4, 5, 6)))


def test_reduce_all_and_reduce_associative() -> None:
    t = {"a": 1, "b": [2, 3], "c": None}
    assert tree.reduce(operator.add, t) == 6
    assert tree.reduce(operator.add, t, 10) == 16
    assert tree.reduce(lambda acc, x: acc + [x], [], []) == []
    with pytest.raises(TypeError):
        tree.reduce(operator.add, [])
    assert tree.all([True, {"a": 1}]) and not tree.all({"a": [1, 0]}) and tree.all([])
    assert tree.all([(0, 1)], is_leaf=lambda x: isinstance(x, tuple))
    xs = tuple([i] for i in range(7))
    assert tree.reduce_associative(operator.add, xs, is_leaf=lambda x: isinstance(x, list)) == list(range(7))
    assert tree.reduce_associative(operator.add, [], identity=0) == 0


# --- tree_util ------------------------------------------------------------------------------


def test_tree_util_has_jax_names_bound_to_the_same_functions() -> None:
    pairs = {
        "tree_flatten": tree.flatten, "tree_unflatten": tree.unflatten, "tree_map": tree.map,
        "tree_leaves": tree.leaves, "tree_structure": tree.structure, "tree_all": tree.all,
        "tree_reduce": tree.reduce, "tree_transpose": tree.transpose, "tree_map_with_path": tree.map_with_path,
        "tree_flatten_with_path": tree.flatten_with_path, "tree_leaves_with_path": tree.leaves_with_path,
        "register_pytree_node": tree.register_pytree_node, "register_dataclass": tree.register_dataclass,
        "keystr": tree.keystr, "PyTreeDef": tree.PyTreeDef, "Partial": tree.Partial,
        "treedef_is_leaf": tree.treedef_is_leaf, "all_leaves": tree.all_leaves,
    }
    for name, obj in pairs.items():
        assert getattr(tree_util, name) is obj, name
    for name in tree_util.__all__:
        assert hasattr(tree_util, name), name
    assert fl.tree_util is tree_util
    assert tree.tree_flatten is tree.flatten and tree.tree_map is tree.map


# --- properties -----------------------------------------------------------------------------


_leaf = st.one_of(st.integers(-5, 5), st.floats(allow_nan=False), st.text(max_size=2))
_trees = st.recursive(
    _leaf | st.none(),
    lambda kids: st.one_of(
        st.lists(kids, max_size=3), st.lists(kids, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=2), kids, max_size=3),
        st.builds(Point, kids, kids),
        st.dictionaries(st.integers(0, 5), kids, max_size=3).map(lambda d: OrderedDict(sorted(d.items()))),
    ),
    max_leaves=12,
)


@settings(max_examples=40, deadline=None)
@given(_trees, _trees)
def test_properties_roundtrip_structure_equality_and_hash(a: Any, b: Any) -> None:
    la, da = tree.flatten(a)
    lb, db = tree.flatten(b)
    assert tree.unflatten(da, la) == a
    assert tree.leaves_with_path(a) == list(zip([p for p, _ in tree.leaves_with_path(a)], la))
    # structures are equal exactly when rebuilding either with the other's leaves round-trips
    same = da == db
    if same:
        assert hash(da) == hash(db) and tree.unflatten(da, lb) == b
    if len(la) == len(lb):
        assert (tree.unflatten(db, la) == tree.unflatten(da, la)) == same or not same
    assert da == tree.structure(tree.map(lambda x: 0, a))
    assert [tree.unflatten(da, la) for _ in range(6)] == [a] * 6  # the walk, then the generated builder
    assert tree.structure(a, is_leaf=lambda x: False) == da


def test_flattening_from_many_threads_agrees() -> None:
    value = {f"k{i}": [i, (i, None), {"x": i}] for i in range(20)}
    want = tree.flatten(value)
    results: list[Any] = []

    def work() -> None:
        for _ in range(50):
            results.append(tree.flatten(value))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(results) == 200 and all(r == want for r in results)


# --- against JAX, where it is installed ---------------------------------------------------------


def _jax_tree_util() -> Any:
    import os

    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    return pytest.importorskip("jax.tree_util")


@pytest.mark.parametrize("value", [
    1, None, (1,), [1, (2, None)], {"b": 1, "a": [2, 3]}, Point(1, {"z": 2}), OrderedDict([("z", 1), ("a", 2)]),
    defaultdict(list, {"b": 1, "a": 2}), {1: 2, 0: 3}, (), [], {}, [{}, (None,)],
])
def test_same_leaves_structure_and_paths_as_jax(value: Any) -> None:
    jtu = _jax_tree_util()
    j_leaves, j_def = jtu.tree_flatten(value)
    f_leaves, f_def = tree_util.tree_flatten(value)
    assert f_leaves == j_leaves
    assert repr(f_def) == repr(j_def)
    assert (f_def.num_leaves, f_def.num_nodes, f_def.node_data()) == (j_def.num_leaves, j_def.num_nodes,
                                                                      j_def.node_data())
    assert [(keystr(p), x) for p, x in tree_util.tree_leaves_with_path(value)] == \
        [(jtu.keystr(p), x) for p, x in jtu.tree_leaves_with_path(value)]
    assert [repr(p) for p, _ in tree_util.tree_leaves_with_path(value)] == \
        [repr(p) for p, _ in jtu.tree_leaves_with_path(value)]
    assert repr(tree_util.treedef_children(f_def)) == repr(jtu.treedef_children(j_def))
    assert tree_util.treedef_is_leaf(f_def) == jtu.treedef_is_leaf(j_def)


def test_same_tree_functions_as_jax() -> None:
    jtu = _jax_tree_util()
    import jax

    t = {"a": [1, 2], "b": (3, None, {"c": 4})}
    assert tree.map(lambda x: x * 2, t) == jax.tree.map(lambda x: x * 2, t)
    assert tree.map(lambda x, y: (x, y), [1, 2], [(3, 4), 5]) == jax.tree.map(lambda x, y: (x, y), [1, 2], [(3, 4), 5])
    assert tree.reduce(operator.add, t) == jax.tree.reduce(operator.add, t)
    assert tree.all(t) == jax.tree.all(t) and tree.all([]) == jax.tree.all([])
    assert tree.broadcast([1, 2], [(0, 0), {"a": 0}]) == jax.tree.broadcast([1, 2], [(0, 0), {"a": 0}])
    pair = [(1, 2, 3), (4, 5, 6)]
    assert tree.transpose(tree.structure([0, 0]), None, pair) == jax.tree.transpose(jax.tree.structure([0, 0]), None,
                                                                                   pair)
    assert repr(tree.structure(tree_util.Partial(operator.add, 1, k=2))) == \
        repr(jtu.tree_structure(jtu.Partial(operator.add, 1, k=2)))
    assert tree.all_leaves([None]) == jtu.all_leaves([None]) and tree.all_leaves([1, "s"]) == jtu.all_leaves([1, "s"])
    for first, other in [((1, 2), (1, 2, 3)), ([1, 2], (1, 2)), ({"a": 1}, {"b": 1}), ((None, 1), (2, 1))]:
        with pytest.raises(ValueError):
            jax.tree.map(lambda *xs: xs[0], first, other)
        with pytest.raises(ValueError):
            tree.map(lambda *xs: xs[0], first, other)
