"""Pytrees: flatten/unflatten/map/leaves/structure and node registration."""

from __future__ import annotations

import dataclasses
from collections import OrderedDict, namedtuple
from typing import Any

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import tree

Point = namedtuple("Point", ["x", "y"])


@pytest.mark.parametrize("value", [
    1, (), [], {}, None, (1,), [1, (2, 3)], {"a": 1, "b": [2, 3]}, (None, 1, [None]),
    Point(1, (2, 3)), OrderedDict([("z", 1), ("a", 2)]), {"k": {"n": (1, [2, {"m": 3}])}},
])
def test_flatten_unflatten_roundtrip(value: Any) -> None:
    leaves, treedef = tree.flatten(value)
    assert tree.unflatten(treedef, leaves) == value
    assert type(tree.unflatten(treedef, leaves)) is type(value)
    assert treedef.num_leaves == len(leaves)
    assert tree.leaves(value) == leaves
    assert tree.structure(value) == treedef


def test_dict_keys_are_sorted_ordered_dict_keeps_insertion_order() -> None:
    assert tree.leaves({"b": 1, "a": 2, "c": 3}) == [2, 1, 3]
    assert tree.leaves(OrderedDict([("b", 1), ("a", 2)])) == [1, 2]
    # two dicts with the same keys in a different insertion order have the same structure
    assert tree.structure({"a": 0, "b": 0}) == tree.structure({"b": 0, "a": 0})
    assert tree.structure({"a": 0}) != tree.structure(OrderedDict(a=0))
    rebuilt = tree.unflatten(tree.structure({"b": 0, "a": 0}), [10, 20])
    assert rebuilt == {"a": 10, "b": 20}


def test_none_is_a_node_without_children() -> None:
    leaves, treedef = tree.flatten([None, 1, (None,)])
    assert leaves == [1]
    assert tree.unflatten(treedef, [5]) == [None, 5, (None,)]
    assert tree.structure(None) != tree.structure(1)
    assert tree.map(lambda x: x * 2, (None, 3)) == (None, 6)


def test_namedtuple_is_a_node_and_keeps_its_type() -> None:
    p = tree.map(lambda v: v + 1, Point(1, 2))
    assert isinstance(p, Point) and p == Point(2, 3)
    Other = namedtuple("Other", ["x", "y"])
    assert tree.structure(Point(1, 2)) != tree.structure(Other(1, 2))
    assert tree.structure(Point(1, 2)) != tree.structure((1, 2))


def test_map_over_several_trees_and_structure_mismatch() -> None:
    assert tree.map(lambda a, b: a + b, {"x": 1, "y": (2,)}, {"x": 10, "y": (20,)}) == {"x": 11, "y": (22,)}
    with pytest.raises(ValueError, match="structures differ"):
        tree.map(lambda a, b: a + b, (1, 2), (1, 2, 3))
    with pytest.raises(ValueError, match="structures differ"):
        tree.map(lambda a, b: a + b, [1, 2], (1, 2))


def test_is_leaf_stops_descent() -> None:
    value = {"a": (1, 2), "b": [3]}
    leaves, treedef = tree.flatten(value, is_leaf=lambda x: isinstance(x, tuple))
    assert leaves == [(1, 2), 3]
    assert tree.unflatten(treedef, leaves) == value
    assert tree.map(lambda t: len(t), [(1, 2), (3,)], is_leaf=lambda x: isinstance(x, tuple)) == [2, 1]


def test_unflatten_checks_leaf_count() -> None:
    treedef = tree.structure((0, [0, 0]))
    with pytest.raises(ValueError, match="too few leaves"):
        tree.unflatten(treedef, [1, 2])
    with pytest.raises(ValueError, match="too many leaves"):
        tree.unflatten(treedef, [1, 2, 3, 4])


def test_treedef_repr_hash_and_all_leaves() -> None:
    assert repr(tree.structure((1, [2, 3]))) == "PyTreeDef((*, [*, *]))"
    assert repr(tree.structure({"a": None})) == "PyTreeDef({'a': None})"
    assert hash(tree.structure((1, 2))) == hash(tree.structure((3, 4)))
    assert tree.all_leaves([1, 2.0, jnp.ones(2)])
    assert not tree.all_leaves([1, (2,)])


def test_arrays_are_leaves() -> None:
    x = jnp.ones((2, 3))
    leaves = tree.leaves({"w": x, "b": [x, 1.0]})
    assert len(leaves) == 3 and leaves[0] is x and leaves[1] == 1.0 and leaves[2] is x


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
    assert "Pair" in repr(treedef)
    with pytest.raises(ValueError, match="already registered"):
        tree.register_pytree_node(Pair, lambda p: ((), None), lambda a, k: Pair(0, 0))


def test_registered_node_through_transforms() -> None:
    p = Pair(jnp.asarray(2.0), jnp.asarray(3.0))
    g = fl.grad(lambda q: q.a * q.b)(p)
    assert isinstance(g, Pair) and float(g.a) == 3.0 and float(g.b) == 2.0
    out = fl.vmap(lambda q: Pair(q.a + q.b, q.a * q.b))(Pair(jnp.arange(3.0), jnp.ones(3)))
    assert isinstance(out, Pair)
    assert np.asarray(out.a).tolist() == [1.0, 2.0, 3.0]
    j = fl.jit(lambda q: Pair(q.b, q.a))(p)
    assert isinstance(j, Pair) and float(j.a) == 3.0


@tree.register_dataclass
@dataclasses.dataclass
class Params:
    w: Any
    b: Any
    name: str = dataclasses.field(default="layer", metadata={"static": True})


def test_register_dataclass_static_fields_are_aux() -> None:
    p = Params(1.0, 2.0, "dense")
    leaves, treedef = tree.flatten(p)
    assert leaves == [1.0, 2.0]
    q = tree.unflatten(treedef, [3.0, 4.0])
    assert q == Params(3.0, 4.0, "dense")
    assert tree.structure(Params(0, 0, "a")) != tree.structure(Params(0, 0, "b"))


def test_register_dataclass_explicit_fields_and_errors() -> None:
    @dataclasses.dataclass
    class Layer:
        kernel: Any
        act: str

    tree.register_dataclass(Layer, data_fields=["kernel"], meta_fields=["act"])
    leaves, treedef = tree.flatten(Layer([1, 2], "relu"))
    assert leaves == [1, 2]
    assert tree.unflatten(treedef, [3, 4]) == Layer([3, 4], "relu")
    with pytest.raises(TypeError, match="dataclass"):
        tree.register_dataclass(int)


def test_dataclass_gradient() -> None:
    p = Params(jnp.asarray([1.0, 2.0]), jnp.asarray(0.5))
    g = fl.grad(lambda q, x: jnp.sum(q.w * x + q.b))(p, jnp.asarray([3.0, 4.0]))
    assert isinstance(g, Params) and g.name == "layer"
    assert np.asarray(g.w).tolist() == [3.0, 4.0] and float(g.b) == 2.0


def test_tree_aliases() -> None:
    assert tree.tree_flatten is tree.flatten and tree.tree_map is tree.map
    assert tree.tree_leaves is tree.leaves and tree.tree_structure is tree.structure
    assert tree.tree_unflatten is tree.unflatten
