"""Pytrees: nested containers of arrays that every transform takes and returns.

The rules are JAX's (``jax.tree`` / ``jax.tree_util``): tuples, lists, dicts
(keys sorted), ``None`` (a node without children, so an empty subtree),
namedtuples, ``OrderedDict`` (insertion order) and ``defaultdict`` (keys
sorted) are nodes; register your own types with :func:`register_pytree_node`,
:func:`register_pytree_node_class`, :func:`register_dataclass`,
:func:`register_pytree_with_keys` or :func:`register_static`.  Anything else
is a leaf.  Every leaf has a key path (:func:`flatten_with_path`,
:func:`keystr`).  :mod:`functorch_lite.tree_util` has the same functions
under ``jax.tree_util``'s names.

Deliberate differences from JAX: :func:`transpose` checks each outer leaf's
subtree size (JAX checks only the total), and structure-mismatch messages
are worded differently (same ``ValueError``).  ``treedef.children`` is a
tuple that can also be called, as JAX's ``treedef.children()``.

Example:
    >>> from functorch_lite import tree
    >>> leaves, treedef = tree.flatten({"b": (1, 2), "a": [3]})
    >>> leaves
    [3, 1, 2]
    >>> tree.unflatten(treedef, [30, 10, 20])
    {'a': [30], 'b': (10, 20)}
"""

# The public face of functorch_lite._tree_impl: only the names of ``__all__``, so
# the implementation's imports (numpy, typing...) do not leak into this namespace.

from functorch_lite._tree_impl import (
    DictKey as DictKey,
)
from functorch_lite._tree_impl import (
    FlattenedIndexKey as FlattenedIndexKey,
)
from functorch_lite._tree_impl import (
    GetAttrKey as GetAttrKey,
)
from functorch_lite._tree_impl import (
    KeyEntry as KeyEntry,
)
from functorch_lite._tree_impl import (
    KeyPath as KeyPath,
)
from functorch_lite._tree_impl import (
    Partial as Partial,
)
from functorch_lite._tree_impl import (
    PyTreeDef as PyTreeDef,
)
from functorch_lite._tree_impl import (
    SequenceKey as SequenceKey,
)
from functorch_lite._tree_impl import (
    all as all,  # noqa: A004 - jax.tree.all
)
from functorch_lite._tree_impl import (
    all_leaves as all_leaves,
)
from functorch_lite._tree_impl import (
    broadcast as broadcast,
)
from functorch_lite._tree_impl import (
    build_tree as build_tree,
)
from functorch_lite._tree_impl import (
    flatten as flatten,
)
from functorch_lite._tree_impl import (
    flatten_one_level as flatten_one_level,
)
from functorch_lite._tree_impl import (
    flatten_one_level_with_keys as flatten_one_level_with_keys,
)
from functorch_lite._tree_impl import (
    flatten_with_path as flatten_with_path,
)
from functorch_lite._tree_impl import (
    is_tree_node as is_tree_node,
)
from functorch_lite._tree_impl import (
    keystr as keystr,
)
from functorch_lite._tree_impl import (
    leaves as leaves,
)
from functorch_lite._tree_impl import (
    leaves_with_path as leaves_with_path,
)
from functorch_lite._tree_impl import (
    map as map,  # noqa: A004 - jax.tree.map
)
from functorch_lite._tree_impl import (
    map_with_path as map_with_path,
)
from functorch_lite._tree_impl import (
    reduce as reduce,
)
from functorch_lite._tree_impl import (
    reduce_associative as reduce_associative,
)
from functorch_lite._tree_impl import (
    register_dataclass as register_dataclass,
)
from functorch_lite._tree_impl import (
    register_pytree_node as register_pytree_node,
)
from functorch_lite._tree_impl import (
    register_pytree_node_class as register_pytree_node_class,
)
from functorch_lite._tree_impl import (
    register_pytree_with_keys as register_pytree_with_keys,
)
from functorch_lite._tree_impl import (
    register_pytree_with_keys_class as register_pytree_with_keys_class,
)
from functorch_lite._tree_impl import (
    register_static as register_static,
)
from functorch_lite._tree_impl import (
    structure as structure,
)
from functorch_lite._tree_impl import (
    transpose as transpose,
)
from functorch_lite._tree_impl import (
    tree_all as tree_all,
)
from functorch_lite._tree_impl import (
    tree_broadcast as tree_broadcast,
)
from functorch_lite._tree_impl import (
    tree_flatten as tree_flatten,
)
from functorch_lite._tree_impl import (
    tree_flatten_with_path as tree_flatten_with_path,
)
from functorch_lite._tree_impl import (
    tree_leaves as tree_leaves,
)
from functorch_lite._tree_impl import (
    tree_leaves_with_path as tree_leaves_with_path,
)
from functorch_lite._tree_impl import (
    tree_map as tree_map,
)
from functorch_lite._tree_impl import (
    tree_map_with_path as tree_map_with_path,
)
from functorch_lite._tree_impl import (
    tree_reduce as tree_reduce,
)
from functorch_lite._tree_impl import (
    tree_reduce_associative as tree_reduce_associative,
)
from functorch_lite._tree_impl import (
    tree_structure as tree_structure,
)
from functorch_lite._tree_impl import (
    tree_transpose as tree_transpose,
)
from functorch_lite._tree_impl import (
    tree_unflatten as tree_unflatten,
)
from functorch_lite._tree_impl import (
    treedef_children as treedef_children,
)
from functorch_lite._tree_impl import (
    treedef_is_leaf as treedef_is_leaf,
)
from functorch_lite._tree_impl import (
    treedef_is_strict_leaf as treedef_is_strict_leaf,
)
from functorch_lite._tree_impl import (
    treedef_tuple as treedef_tuple,
)
from functorch_lite._tree_impl import (
    unflatten as unflatten,
)

__all__ = [
    "KeyEntry", "KeyPath", "SequenceKey", "DictKey", "GetAttrKey", "FlattenedIndexKey", "keystr", "PyTreeDef",
    "flatten", "unflatten", "leaves", "structure", "flatten_with_path", "leaves_with_path",
    "flatten_one_level", "flatten_one_level_with_keys", "map", "map_with_path", "all", "reduce",
    "reduce_associative", "transpose", "broadcast", "all_leaves", "is_tree_node", "treedef_tuple",
    "treedef_children", "treedef_is_leaf", "treedef_is_strict_leaf", "build_tree", "register_pytree_node",
    "register_pytree_with_keys", "register_pytree_node_class", "register_pytree_with_keys_class",
    "register_dataclass", "register_static", "Partial", "tree_flatten", "tree_unflatten", "tree_map",
    "tree_leaves", "tree_structure", "tree_flatten_with_path", "tree_leaves_with_path", "tree_map_with_path",
    "tree_all", "tree_reduce", "tree_reduce_associative", "tree_transpose", "tree_broadcast",
]
