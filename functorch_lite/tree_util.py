"""``jax.tree_util``'s names for the pytree functions of :mod:`functorch_lite.tree`.

Code written for JAX keeps working with ``import functorch_lite.tree_util
as tree_util`` (or ``from functorch_lite import tree_util``): the functions
are the same objects as in :mod:`functorch_lite.tree`.

Example:
    >>> from functorch_lite import tree_util
    >>> leaves, treedef = tree_util.tree_flatten({"w": [1, 2], "b": 3})
    >>> leaves, treedef
    ([3, 1, 2], PyTreeDef({'b': *, 'w': [*, *]}))
    >>> tree_util.tree_map(lambda x: x * 10, {"w": [1, 2], "b": 3})
    {'b': 30, 'w': [10, 20]}
    >>> [tree_util.keystr(p) for p, _ in tree_util.tree_leaves_with_path({"w": [1, 2]})]
    ["['w'][0]", "['w'][1]"]
"""



from functorch_lite.tree import (
    DictKey,
    FlattenedIndexKey,
    GetAttrKey,
    KeyEntry,
    KeyPath,
    Partial,
    PyTreeDef,
    SequenceKey,
    all_leaves,
    build_tree,
    flatten_one_level,
    flatten_one_level_with_keys,
    is_tree_node,
    keystr,
    register_dataclass,
    register_pytree_node,
    register_pytree_node_class,
    register_pytree_with_keys,
    register_pytree_with_keys_class,
    register_static,
    tree_all,
    tree_broadcast,
    tree_flatten,
    tree_flatten_with_path,
    tree_leaves,
    tree_leaves_with_path,
    tree_map,
    tree_map_with_path,
    tree_reduce,
    tree_reduce_associative,
    tree_structure,
    tree_transpose,
    tree_unflatten,
    treedef_children,
    treedef_is_leaf,
    treedef_is_strict_leaf,
    treedef_tuple,
)

__all__ = [
    "DictKey", "FlattenedIndexKey", "GetAttrKey", "KeyEntry", "KeyPath", "Partial", "PyTreeDef", "SequenceKey",
    "all_leaves", "build_tree", "flatten_one_level", "flatten_one_level_with_keys", "is_tree_node", "keystr",
    "register_dataclass", "register_pytree_node", "register_pytree_node_class", "register_pytree_with_keys",
    "register_pytree_with_keys_class", "register_static",
    "tree_all", "tree_broadcast", "tree_flatten", "tree_flatten_with_path", "tree_leaves", "tree_leaves_with_path",
    "tree_map", "tree_map_with_path", "tree_reduce", "tree_reduce_associative", "tree_structure", "tree_transpose",
    "tree_unflatten", "treedef_children", "treedef_is_leaf", "treedef_is_strict_leaf", "treedef_tuple",
]
