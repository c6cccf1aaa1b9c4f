"""Pytree flattening: ``functorch_lite.tree`` beside ``jax.tree_util`` and
``optree`` (each only if importable), in one process, interleaved, medians.

    python benchmarks/bench_tree.py            # print a report
    python benchmarks/bench_tree.py --quick    # fewer rounds

Trees (every leaf a shared 0-d NumPy array, the same objects for every
library):

- ``nested``: a 1,000-leaf dict nested three deep (10 x 10 x 10, string keys);
- ``params``: a model-parameter dict, 500 layers of ``{"w", "b"}`` (1,000 leaves);
- ``args``:   the arguments of a jitted call, ``((x, y, z), {})``.

Operations: ``flatten``, ``unflatten`` (same structure, new leaves) and
``flatten+key`` (flatten, then hash the treedef and compare it with a cached
one: what a jit call does to find its compiled program).  The ratio column is
functorch_lite's time over JAX's (below 1: faster).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as H  # noqa: E402
import _one_cpu  # noqa: E402, F401  (first: one thread per library, on one CPU)


def _trees() -> dict[str, Any]:
    import numpy as np

    leaf = [np.zeros(()) for _ in range(1000)]
    nested = {f"layer{i}": {f"block{j}": {f"p{k}": leaf[100 * i + 10 * j + k] for k in range(10)}
                            for j in range(10)} for i in range(10)}
    params = {f"dense_{i}": {"w": leaf[2 * i], "b": leaf[2 * i + 1]} for i in range(500)}
    args = ((leaf[0], leaf[1], leaf[2]), {})
    return {"nested": nested, "params": params, "args": args}


def _ops(flatten: Callable[[Any], tuple[list[Any], Any]], unflatten: Callable[[Any, list[Any]], Any],
         tree: Any) -> dict[str, Callable[[], Any]]:
    leaves, treedef = flatten(tree)
    new_leaves = list(leaves)

    def key() -> bool:
        td = flatten(tree)[1]
        return hash(td) == hash(treedef) and td == treedef

    return {"flatten": lambda: flatten(tree), "unflatten": lambda: unflatten(treedef, new_leaves), "flatten+key": key}


def _libraries() -> dict[str, tuple[Callable[..., Any], Callable[..., Any]]]:
    from functorch_lite import tree_util as fl_tree

    libs: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
        "functorch_lite": (fl_tree.tree_flatten, fl_tree.tree_unflatten)}
    peers = H.load_peers()
    if peers.jax is not None:
        libs["jax"] = (peers.jax.tree_util.tree_flatten, peers.jax.tree_util.tree_unflatten)
    else:
        print(f"jax: not measured ({peers.missing.get('jax', 'not installed')})")
    try:
        import optree

        libs["optree"] = (optree.tree_flatten, optree.tree_unflatten)
    except ImportError:
        print("optree: not measured (not installed)")
    return libs


def _check_same_leaves(libs: dict[str, tuple[Callable[..., Any], Callable[..., Any]]], trees: dict[str, Any]) -> None:
    """Every library must give the same leaves in the same order (else the timings compare different work)."""
    for tname, tree in trees.items():
        ref = [id(x) for x in libs["functorch_lite"][0](tree)[0]]
        for lib, (flatten, unflatten) in libs.items():
            leaves, treedef = flatten(tree)
            if [id(x) for x in leaves] != ref:
                raise SystemExit(f"{lib} flattens the {tname} tree in another order than functorch_lite")
            if flatten(unflatten(treedef, leaves))[0] != leaves:
                raise SystemExit(f"{lib} does not round-trip the {tname} tree")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer rounds (noisier)")
    args = ap.parse_args()
    rounds = 7 if args.quick else 25
    trees = _trees()
    libs = _libraries()
    _check_same_leaves(libs, trees)
    info = H.machine_info()
    print(f"machine: {info.get('Model name', '?')}, {info.get('os.cpu_count')} CPUs; "
          f"python {info['python']}, jax {info.get('jax')}")
    names = list(libs)
    header = f"{'tree':8s} {'operation':12s}" + "".join(f"{n:>16s}" for n in names)
    if "jax" in libs:
        header += f"{'fl / jax':>10s}"
    print(header)
    for tname, tree in trees.items():
        per_lib = {lib: _ops(fl, ufl, tree) for lib, (fl, ufl) in libs.items()}
        for op in ("flatten", "unflatten", "flatten+key"):
            cases = {lib: per_lib[lib][op] for lib in names}
            med = H.interleaved(cases, rounds=rounds, min_sample=0.005, settle=0.0)
            line = f"{tname:8s} {op:12s}" + "".join(f"{H.fmt_time(med[n]):>16s}" for n in names)
            if "jax" in libs:
                line += f"{H.fmt_ratio(med['functorch_lite'] / med['jax']):>10s}"
            print(line, flush=True)


if __name__ == "__main__":
    main()
